"""The emulator is only useful if it is as strict as the contract (shared/personio-api.md §6).
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import json
import threading
import time
from datetime import datetime, timezone
from urllib.parse import urljoin

import pytest
import requests

from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.personio_emulator.__main__ import parser, settings_from
from tools.personio_emulator.company import Company
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import ALL_SCOPES

PERSONS, ABSENCES, ATTENDANCES = "/v2/persons", "/v2/absence-periods", "/v2/attendance-periods"
BOUNDARY = "2024-01-31T00:00:00Z"


def token_response(emu, **form):
    body = {"grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret}
    body.update(form)
    return requests.post(emu.token_url, data=body, timeout=5)


def client(emu, **headers) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token_response(emu).json()['access_token']}"
    session.headers.update(headers)
    return session


def get(emu, path, session=None, **params):
    return (session or client(emu)).get(emu.url + path, params=params, timeout=5)


def walk(emu, path, session=None, **params):
    """All records of a list, following next links verbatim."""
    session = session or client(emu)
    response = session.get(emu.url + path, params=params, timeout=5)
    records = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["_data"])
        nxt = body["_meta"]["links"].get("next")
        if not nxt:
            return records
        response = session.get(urljoin(emu.url, nxt["href"]), timeout=5)  # hrefs may be relative


def ids(records):
    return [r["id"] for r in records]


def error_title(response):
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()["errors"][0]["title"]


# -- authentication ---------------------------------------------------------------------------

class TestToken:
    def test_form_body_gets_a_bearer_token_with_all_granted_scopes(self, personio_emulator):
        response = token_response(personio_emulator)
        body = response.json()
        assert response.status_code == 200
        assert body["access_token"].startswith("papi-")
        assert body["token_type"] == "Bearer" and body["expires_in"] == 86400
        assert set(body["scope"].split()) == ALL_SCOPES  # the default credential holds every scope

    def test_json_body_is_rejected(self, personio_emulator):
        emu = personio_emulator
        response = requests.post(emu.token_url, json={"grant_type": "client_credentials", "client_id": emu.client_id,
                                                      "client_secret": emu.client_secret}, timeout=5)
        assert response.status_code == 400 and response.json()["error"] == "invalid_request"

    @pytest.mark.parametrize("status", [400, 401])
    def test_wrong_secret_or_unknown_client_is_invalid_client(self, make_personio_emulator, status):
        emu = make_personio_emulator(auth_error_status=status)
        for form in ({"client_secret": "wrong"}, {"client_id": "someone-else"}):
            response = token_response(emu, **form)
            assert response.status_code == status and response.json()["error"] == "invalid_client"

    def test_scope_can_be_narrowed_but_not_widened(self, make_personio_emulator):
        emu = make_personio_emulator(granted_scopes={"personio:persons:read"})
        assert token_response(emu, scope="personio:persons:read").json()["scope"] == "personio:persons:read"
        assert token_response(emu, scope="personio:absences:read").json()["error"] == "invalid_scope"

    def test_token_expires_after_its_lifetime(self, make_personio_emulator):
        emu = make_personio_emulator(token_lifetime_seconds=60)
        session = client(emu)
        assert get(emu, PERSONS, session).status_code == 200
        emu.advance_clock(61)
        response = get(emu, PERSONS, session)
        assert response.status_code == 401 and error_title(response) == "Unauthorized"

    def test_revoked_unknown_or_missing_tokens_get_401(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        emu.revoke_tokens()
        assert get(emu, PERSONS, session).status_code == 401
        assert requests.get(emu.url + PERSONS, headers={"Authorization": "Bearer papi-nope"}, timeout=5).status_code == 401
        assert requests.get(emu.url + PERSONS, timeout=5).status_code == 401

    def test_revoke_endpoint_ends_one_token(self, personio_emulator):
        emu = personio_emulator
        token = token_response(emu).json()["access_token"]
        assert requests.post(emu.url + "/v2/auth/revoke", data={"token": token}, timeout=5).status_code == 200
        assert requests.get(emu.url + PERSONS, headers={"Authorization": f"Bearer {token}"}, timeout=5).status_code == 401

    def test_token_endpoint_allows_150_a_minute(self, personio_emulator):
        emu = personio_emulator
        session = requests.Session()
        statuses = [session.post(emu.token_url, data={"grant_type": "client_credentials", "client_id": emu.client_id,
                                                       "client_secret": emu.client_secret}).status_code for _ in range(151)]
        assert statuses[:150] == [200] * 150 and statuses[150] == 429


class TestScopes:
    def test_missing_scope_is_403_insufficient_access_scope(self, make_personio_emulator):
        emu = make_personio_emulator(granted_scopes={"personio:absences:read", "personio:attendances:read"})
        response = get(emu, PERSONS)
        assert response.status_code == 403 and error_title(response) == "Insufficient access scope"
        assert get(emu, ABSENCES).status_code == 200

    def test_persons_variant_answers_401(self, make_personio_emulator):
        emu = make_personio_emulator(persons_missing_scope_status=401, granted_scopes={"personio:absences:read"})
        assert get(emu, PERSONS).status_code == 401
        assert get(emu, ATTENDANCES).status_code == 403

    def test_withdrawing_a_scope_applies_to_live_tokens(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        emu.settings.granted_scopes = {"personio:persons:read"}
        assert get(emu, ATTENDANCES, session).status_code == 403


# -- query strictness -------------------------------------------------------------------------

class TestLimits:
    @pytest.mark.parametrize("path,good,bad", [(PERSONS, 50, 51), (ABSENCES, 100, 101), (ATTENDANCES, 100, 101)])
    def test_limit_range(self, personio_emulator, path, good, bad):
        session = client(personio_emulator)
        assert get(personio_emulator, path, session, limit=good).status_code == 200
        for value in (bad, 0, -1, "ten"):
            response = get(personio_emulator, path, session, limit=value)
            assert response.status_code == 400 and error_title(response) == "Invalid request content"

    @pytest.mark.parametrize("path,default", [(PERSONS, 10), (ABSENCES, 60), (ATTENDANCES, 100)])
    def test_default_page_size(self, personio_emulator, path, default):
        assert len(get(personio_emulator, path).json()["_data"]) == default  # 60 = all absences of the small company


class TestFilterNames:
    @pytest.mark.parametrize("path,param", [
        (PERSONS, "updated_at.gte"), (PERSONS, "updated_at.lte"), (PERSONS, "created_at.gte"),
        (ABSENCES, "updated_at.gt"), (ATTENDANCES, "updated_at.lt"), (ATTENDANCES, "page"), (PERSONS, "sort"),
    ])
    def test_unknown_or_wrong_operator_is_400(self, personio_emulator, path, param):
        value = "2024-01-01T00:00:00Z" if path == PERSONS else "2024-01-01T00:00:00"
        response = get(personio_emulator, path, **{param: value})
        assert response.status_code == 400 and param in response.json()["errors"][0]["detail"]


class TestFilterValues:
    @pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+02:00", "2024-01-01", "yesterday"])
    def test_attendance_rejects_offsets_dates_and_junk(self, personio_emulator, value):
        response = get(personio_emulator, ATTENDANCES, **{"updated_at.gte": value})
        assert response.status_code == 400 and error_title(response) == "Invalid request content"

    @pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00"])
    def test_absences_accept_with_and_without_offset(self, personio_emulator, value):
        assert get(personio_emulator, ABSENCES, **{"updated_at.gte": value}).status_code == 200

    @pytest.mark.parametrize("value,status", [("2024-01-01T00:00:00Z", 200), ("2024-01-01T00:00:00-05:00", 200),
                                              ("2024-01-01", 200), ("2024-01-01T00:00:00", 400)])
    def test_persons_want_rfc3339_or_a_date(self, personio_emulator, value, status):
        assert get(personio_emulator, PERSONS, **{"updated_at.gt": value}).status_code == status


class TestBoundaries:
    """A record exactly on a window edge: persons' strict .gt/.lt exclude it, the periods'
    inclusive .gte/.lte include it; fractions and offsets compare as exact instants."""

    def test_persons_strict(self, personio_emulator):
        emu = personio_emulator
        [edge] = emu.company.create("persons", at=BOUNDARY)
        session = client(emu)

        def window(**params):
            return ids(walk(emu, PERSONS, session, limit=50, **params))
        assert edge not in window(**{"updated_at.gt": BOUNDARY})
        assert edge not in window(**{"updated_at.lt": BOUNDARY})
        assert edge in window(**{"updated_at.gt": "2024-01-30T23:59:59Z", "updated_at.lt": "2024-01-31T00:00:01Z"})
        assert edge in window(**{"updated_at.gt": "2024-01-31T00:59:59+01:00", "updated_at.lt": "2024-01-31T01:00:01+01:00"})

    @pytest.mark.parametrize("path,stream", [(ATTENDANCES, "attendance_periods"), (ABSENCES, "absence_periods")])
    def test_periods_inclusive_with_exact_instants(self, personio_emulator, path, stream):
        emu = personio_emulator
        [edge] = emu.company.create(stream, at="2024-01-31T02:00:00+02:00")  # = BOUNDARY, rendered with +02:00
        [half] = emu.company.create(stream, at="2024-01-31T00:00:00.5Z")
        assert emu.company.get(stream, edge)["updated_at"] == "2024-01-31T02:00:00+02:00"
        session = client(emu)
        only_edge = walk(emu, path, session, **{"updated_at.gte": "2024-01-31T00:00:00", "updated_at.lte": "2024-01-31T00:00:00"})
        assert ids(only_edge) == [edge]
        assert half in ids(walk(emu, path, session, **{"updated_at.gte": "2024-01-31T00:00:00", "updated_at.lte": "2024-01-31T00:00:01"}))
        assert edge not in ids(walk(emu, path, session, **{"updated_at.lte": "2024-01-30T23:59:59"}))

    def test_offset_less_values_read_in_the_configured_zone(self, make_personio_emulator):
        emu = make_personio_emulator(naive_filter_timezone="Europe/Berlin")
        [edge] = emu.company.create("attendance_periods", at=BOUNDARY)  # 01:00 in Berlin
        session = client(emu)
        assert ids(walk(emu, ATTENDANCES, session, **{"updated_at.gte": "2024-01-31T01:00:00",
                                                      "updated_at.lte": "2024-01-31T01:00:00"})) == [edge]
        assert ids(walk(emu, ATTENDANCES, session, **{"updated_at.gte": "2024-01-31T00:00:00",
                                                      "updated_at.lte": "2024-01-31T00:59:59"})) == []


# -- pagination -------------------------------------------------------------------------------

class TestPagination:
    def test_walk_returns_every_record_once_in_updated_at_order(self, personio_emulator):
        emu = personio_emulator
        for path, stream, limit in ((PERSONS, "persons", 7), (ATTENDANCES, "attendance_periods", 13)):
            assert ids(walk(emu, path, limit=limit)) == emu.company.ids(stream)

    def test_cursor_holds_plus_slash_equals_and_is_url_encoded(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        href = get(emu, ATTENDANCES, session, limit=5).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(emu.url + ATTENDANCES + "?cursor=")
        assert "%2B" in href and "%2F" in href and "%3D" in href and "+" not in href
        assert session.get(href, timeout=5).status_code == 200
        raw = requests.utils.unquote(href.split("cursor=")[1])
        broken = session.get(f"{emu.url}{ATTENDANCES}?cursor={raw}", timeout=5)  # `+` unescaped reads as space
        assert broken.status_code == 400 and "cursor" in broken.json()["errors"][0]["detail"]

    def test_last_page_has_no_next_and_self_link(self, personio_emulator):
        body = get(personio_emulator, ABSENCES, limit=100).json()
        assert "next" not in body["_meta"]["links"]
        assert body["_meta"]["links"]["self"]["href"] == personio_emulator.url + ABSENCES + "?limit=100"

    def test_relative_next_links(self, make_personio_emulator):
        emu = make_personio_emulator(relative_next_links=True)
        href = get(emu, PERSONS).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(PERSONS + "?cursor=")
        assert len(walk(emu, PERSONS)) == emu.company.size("persons")

    def test_filters_next_to_a_cursor_are_400_and_counted(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        window = {"updated_at.gte": "2021-01-01T00:00:00", "limit": 5}
        href = get(emu, ATTENDANCES, session, **window).json()["_meta"]["links"]["next"]["href"]
        response = session.get(href, params={"updated_at.gte": "2021-01-01T00:00:00"}, timeout=5)
        assert response.status_code == 400 and emu.stats.filters_with_cursor == 1
        assert session.get(href, params={"limit": 7}, timeout=5).status_code == 200  # limit may ride along

    def test_cursor_keeps_the_window_and_position_across_changes(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        window = {"updated_at.gte": "2021-01-01T00:00:00", "updated_at.lte": "2023-12-31T23:59:59"}
        expected = emu.company.records("attendance_periods")
        expected = [r["id"] for r in expected if "2021" <= r["updated_at"][:4] <= "2023"]
        first = get(emu, ATTENDANCES, session, limit=10, **window).json()
        emu.company.update("attendance_periods", record_id=first["_data"][0]["id"])  # moves to now: out of the window
        rest = []
        href = first["_meta"]["links"]["next"]["href"]
        while href:
            body = session.get(href, timeout=5).json()
            rest.extend(body["_data"])
            href = body["_meta"]["links"].get("next", {}).get("href")
        assert ids(first["_data"]) + ids(rest) == expected

    def test_attendance_sort(self, personio_emulator):
        records = walk(personio_emulator, ATTENDANCES, limit=17, sort="person.id,-start.date_time")
        keys = [(int(r["person"]["id"]), r["start"]["date_time"]) for r in records]
        assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))
        assert len(records) == personio_emulator.company.size("attendance_periods")
        assert get(personio_emulator, ATTENDANCES, sort="salary").status_code == 400


# -- records ----------------------------------------------------------------------------------

class TestWhitelisting:
    def test_none_whitelisted_leaves_id_employments_meta(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_person_attributes=set())
        for person in walk(emu, PERSONS):
            assert set(person) == {"id", "employments", "_meta"}

    def test_some_whitelisted(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_person_attributes={"first_name", "email", "dynamic_305"})
        person = get(emu, PERSONS).json()["_data"][0]
        assert set(person) == {"id", "first_name", "email", "custom_attributes", "employments", "_meta"}
        assert [a["id"] for a in person["custom_attributes"]] == ["dynamic_305"]


class TestData:
    def test_same_seed_same_bytes_other_seed_other_data(self):
        end = datetime(2025, 6, 1)
        a, b = Company(seed=7, end=end), Company(seed=7, end=end)
        for stream in ("persons", "absence_periods", "attendance_periods"):
            assert json.dumps(a.records(stream)) == json.dumps(b.records(stream))
        assert Company(seed=8, end=end).records("persons") != a.records("persons")

    def test_shapes_forms_and_edges(self):
        company = Company(seed=3, persons=40, absence_periods=2000, attendance_periods=4000)
        persons = company.records("persons")
        assert all(p["id"].isdigit() and p["updated_at"].endswith("Z") and "." not in p["updated_at"] for p in persons)
        types = {a["type"] for p in persons for a in p["custom_attributes"]}
        assert types == {"string", "int", "double", "date", "boolean", "string_list"}  # lower case, values strings
        assert all(isinstance(a["value"], str) for p in persons for a in p["custom_attributes"])
        assert any("label" not in a for a in persons[0]["custom_attributes"])
        person_ids = {p["id"] for p in persons}
        stamps = []
        for stream in ("absence_periods", "attendance_periods"):
            for record in company.records(stream):
                assert record["person"]["id"] in person_ids
                created = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
                updated = datetime.fromisoformat(record["updated_at"].replace("Z", "+00:00"))
                assert created <= updated
                stamps.append((record["updated_at"], updated.astimezone(timezone.utc)))
        texts = [t for t, _ in stamps]
        assert any(t.endswith("Z") for t in texts) and any(t.endswith("+00:00") for t in texts)
        assert any(t.endswith("+02:00") for t in texts) and any(t.endswith("-05:00") for t in texts)
        assert any("." in t for t in texts)
        on_day = [u for _, u in stamps if (u.hour, u.minute, u.second, u.microsecond) == (0, 0, 0, 0)]
        assert 0.01 < len(on_day) / len(stamps) < 0.04
        attendance = company.records("attendance_periods")
        assert any("end" not in r for r in attendance) and any(r.get("end") is None and "end" in r for r in attendance)
        assert any(r["end"] and r["end"]["date_time"][:10] > r["start"]["date_time"][:10] for r in attendance if r.get("end"))
        assert any(r["ends_at"] is None for r in company.records("absence_periods"))

    def test_mutations_show_in_the_next_request(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        recent = {"updated_at.gte": "2099-01-01T00:00:00"}
        assert get(emu, ATTENDANCES, session, **recent).json()["_data"] == []
        changed = emu.company.update("attendance_periods", count=2, at="2099-01-01T00:00:00Z")
        created = emu.company.create("attendance_periods", at="2099-01-02T00:00:00Z")
        seen = ids(get(emu, ATTENDANCES, session, **recent).json()["_data"])
        assert seen == sorted(changed) + created
        assert emu.company.delete("attendance_periods", created[0])
        assert created[0] not in ids(walk(emu, ATTENDANCES, session))
        [touched] = emu.company.update("persons", fraction=0.01)
        assert get(emu, PERSONS, session, **{"updated_at.gt": "2099-01-01T00:00:00Z"}).json()["_data"] == []
        assert ids(walk(emu, PERSONS, session))[-1] == touched  # stamped now: the latest


# -- throttling and latency -------------------------------------------------------------------

class TestRateLimits:
    def test_token_bucket_headers_and_429_without_retry_after(self, make_personio_emulator):
        emu = make_personio_emulator(rate_limits={"persons": (1, 2)})
        session = client(emu)
        responses = [get(emu, PERSONS, session) for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 429]
        assert [r.headers["x-ratelimit-remaining"] for r in responses] == ["1", "0", "0"]
        assert responses[0].headers["x-ratelimit-replenish-rate"] == "1"
        assert responses[0].headers["x-ratelimit-burst-capacity"] == "2"
        assert "Retry-After" not in responses[2].headers
        assert get(emu, ABSENCES, session).status_code == 200  # buckets are per endpoint
        emu.advance_clock(1.0)
        assert get(emu, PERSONS, session).status_code == 200
        assert emu.stats.throttled["persons"] == 1

    def test_retry_after_when_enabled(self, make_personio_emulator):
        emu = make_personio_emulator(rate_limits={"attendance_periods": (0.5, 1)}, retry_after_on_429=True)
        session = client(emu)
        get(emu, ATTENDANCES, session)
        response = get(emu, ATTENDANCES, session)
        assert response.status_code == 429 and response.headers["Retry-After"] == "2"

    def test_credential_limit_across_endpoints(self, make_personio_emulator):
        emu = make_personio_emulator(credential_rate_limit_per_minute=3)
        session = client(emu)
        statuses = [get(emu, path, session).status_code for path in (PERSONS, ABSENCES, ATTENDANCES, PERSONS)]
        assert statuses == [200, 200, 200, 429]

    def test_latency_overlaps_across_threads(self, make_personio_emulator):
        emu = make_personio_emulator(latency_seconds=0.3)
        token = token_response(emu).json()["access_token"]
        threads = [threading.Thread(target=requests.get, args=(emu.url + PERSONS,),
                                    kwargs={"headers": {"Authorization": f"Bearer {token}"}}) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert 0.3 <= time.monotonic() - started < 0.9


# -- faults -----------------------------------------------------------------------------------

class TestFaults:
    @pytest.mark.parametrize("kind,status", [("status_500", 500), ("status_502", 502), ("status_503", 503)])
    def test_server_errors(self, personio_emulator, kind, status):
        personio_emulator.add_fault(Fault(kind, stream="persons"))
        assert get(personio_emulator, PERSONS).status_code == status
        assert get(personio_emulator, PERSONS).status_code == 200  # count=1

    def test_status_400_detail(self, personio_emulator):
        personio_emulator.add_fault(Fault("status_400", detail="cursor expired"))
        response = get(personio_emulator, ABSENCES)
        assert response.status_code == 400 and response.json()["errors"][0]["detail"] == "cursor expired"

    def test_after_and_count(self, personio_emulator):
        personio_emulator.add_fault(Fault.parse("status_503:persons:1:2"))
        session = client(personio_emulator)
        statuses = [get(personio_emulator, PERSONS, session).status_code for _ in range(4)]
        assert statuses == [200, 503, 503, 200]
        assert get(personio_emulator, ABSENCES, session).status_code == 200

    def test_probability_is_seeded(self, make_personio_emulator):
        runs = []
        for _ in range(2):
            emu = make_personio_emulator()
            emu.add_fault(Fault("status_500", count=None, probability=0.5, seed=4))
            session = client(emu)
            runs.append([get(emu, ATTENDANCES, session, limit=1).status_code for _ in range(12)])
        assert runs[0] == runs[1] and {500, 200} == set(runs[0])

    def test_token_endpoint_fault(self, personio_emulator):
        personio_emulator.add_fault(Fault("status_503", stream="token"))
        assert token_response(personio_emulator).status_code == 503
        assert token_response(personio_emulator).status_code == 200

    def test_reset(self, personio_emulator):
        personio_emulator.add_fault(Fault("reset"))
        with pytest.raises(requests.ConnectionError):
            get(personio_emulator, PERSONS)
        assert personio_emulator.stats.status_codes["persons"]["reset"] == 1

    def test_timeout(self, make_personio_emulator):
        emu = make_personio_emulator(fault_hang_seconds=2)
        emu.add_fault(Fault("timeout"))
        session = client(emu)
        with pytest.raises(requests.ReadTimeout):
            session.get(emu.url + PERSONS, timeout=0.2)

    def test_short_body(self, personio_emulator):
        personio_emulator.add_fault(Fault("short_body"))
        with pytest.raises(requests.RequestException):
            get(personio_emulator, PERSONS)

    def test_truncated_and_non_json(self, personio_emulator):
        emu = personio_emulator
        emu.add_fault(Fault("truncated_json"))
        emu.add_fault(Fault("non_json", after=1))
        session = client(emu)
        for _ in range(2):
            response = get(emu, PERSONS, session)
            assert response.status_code == 200
            with pytest.raises(ValueError):
                response.json()
        assert get(emu, PERSONS, session).headers["Content-Type"] == "application/json"

    @pytest.mark.parametrize("kind", ["data_missing", "data_not_list"])
    def test_envelope_faults(self, personio_emulator, kind):
        personio_emulator.add_fault(Fault(kind))
        body = get(personio_emulator, ATTENDANCES).json()
        assert "_meta" in body and not isinstance(body.get("_data"), list)

    @pytest.mark.parametrize("kind,check", [
        ("record_without_id", lambda r: "id" not in r),
        ("record_without_updated_at", lambda r: "updated_at" not in r),
        ("record_bad_updated_at", lambda r: r["updated_at"] == "31/01/2024 25:61"),
    ])
    def test_record_faults(self, personio_emulator, kind, check):
        personio_emulator.add_fault(Fault(kind, stream="absence_periods"))
        records = get(personio_emulator, ABSENCES).json()["_data"]
        assert check(records[0]) and "id" in records[1]

    def test_next_self_and_next_foreign(self, personio_emulator):
        emu = personio_emulator
        emu.add_fault(Fault("next_self"))
        emu.add_fault(Fault("next_foreign", after=1))
        session = client(emu)
        links = get(emu, PERSONS, session, limit=5).json()["_meta"]["links"]
        assert links["next"]["href"] == links["self"]["href"]
        foreign = get(emu, PERSONS, session, limit=5).json()["_meta"]["links"]["next"]["href"]
        assert foreign.startswith("http://127.0.0.2:9/v2/persons?cursor=")

    def test_empty_page_with_next_loses_nothing_for_a_follower(self, personio_emulator):
        emu = personio_emulator
        expected = ids(walk(emu, ATTENDANCES, limit=40))
        emu.add_fault(Fault("empty_page_with_next", after=1))
        session = client(emu)
        first = get(emu, ATTENDANCES, session, limit=40).json()
        empty = session.get(first["_meta"]["links"]["next"]["href"], timeout=5).json()
        assert empty["_data"] == [] and "next" in empty["_meta"]["links"]
        rest = []
        href = empty["_meta"]["links"]["next"]["href"]
        while href:
            body = session.get(href, timeout=5).json()
            rest.extend(body["_data"])
            href = body["_meta"]["links"].get("next", {}).get("href")
        assert ids(first["_data"]) + ids(rest) == expected

    def test_huge_page(self, personio_emulator):
        personio_emulator.add_fault(Fault("huge_page"))
        assert len(get(personio_emulator, ATTENDANCES, limit=3).json()["_data"]) == 30

    def test_clear_faults_and_bad_kind(self, personio_emulator):
        personio_emulator.add_fault(Fault("status_500", count=None))
        personio_emulator.clear_faults()
        assert get(personio_emulator, PERSONS).status_code == 200
        with pytest.raises(ValueError):
            Fault("status_418")


# -- observation and control ------------------------------------------------------------------

class TestStatsAndAdmin:
    def test_request_log_without_secrets(self, personio_emulator):
        emu = personio_emulator
        emu.stats.reset()
        session = client(emu, **{"X-Personio-App-ID": "AIRBYTE_SOURCE", "X-Personio-Partner-ID": "AIRBYTE"})
        get(emu, ABSENCES, session, limit=5, **{"updated_at.gte": "2021-01-01T00:00:00"})
        [entry] = emu.stats.entries("absence_periods")
        assert entry["query"] == {"limit": "5", "updated_at.gte": "2021-01-01T00:00:00"}
        assert entry["headers"]["authorization"] is True
        assert entry["headers"]["x-personio-app-id"] == "AIRBYTE_SOURCE"
        assert entry["headers"]["x-personio-partner-id"] == "AIRBYTE"
        assert entry["headers"]["host"] == emu.url[len("http://"):]
        assert emu.stats.requests == {"token": 1, "absence_periods": 1}
        assert emu.stats.status_codes["absence_periods"][200] == 1
        dump = json.dumps(emu.stats.snapshot())
        assert emu.client_secret not in dump and session.headers["Authorization"][7:] not in dump

    def test_admin_endpoints(self, personio_emulator):
        emu = personio_emulator
        admin = emu.url + "/_emulator"
        ids_ = requests.post(admin + "/mutate", json={"action": "create", "stream": "persons", "at": BOUNDARY}, timeout=5).json()["ids"]
        records = requests.get(admin + "/records/persons", timeout=5).json()
        assert [r for r in records if r["id"] == ids_[0]][0]["updated_at"] == BOUNDARY
        patched = requests.post(admin + "/settings", json={"faults": [{"kind": "status_502"}], "latency_seconds": 0}, timeout=5)
        assert patched.status_code == 200 and emu.settings.faults[0].kind == "status_502"
        assert get(emu, PERSONS).status_code == 502
        assert requests.get(admin + "/stats", timeout=5).json()["status_codes"]["persons"] == {"502": 1}
        assert requests.post(admin + "/settings", json={"no_such": 1}, timeout=5).status_code == 400

    def test_unknown_path_and_method(self, personio_emulator):
        assert get(personio_emulator, "/v2/employees").status_code == 404
        assert get(personio_emulator, "/v2/persons/").status_code == 404
        assert requests.post(personio_emulator.url + PERSONS, timeout=5).status_code == 405

    def test_config_and_cli_settings(self, personio_emulator):
        config = personio_emulator.config(start_date="2024-01-01T00:00:00Z")
        assert config["api_url"] == personio_emulator.url and config["start_date"] == "2024-01-01T00:00:00Z"
        args = parser().parse_args(["--port", "0", "--rate-limit", "persons=30/30", "--whitelist", "none",
                                    "--fault", "reset:attendance_periods:3:all", "--retry-after", "--latency-ms", "5"])
        settings = settings_from(args)
        assert settings.rate_limits == {"persons": (30.0, 30)} and settings.whitelisted_person_attributes == set()
        assert (settings.faults[0].kind, settings.faults[0].after, settings.faults[0].count) == ("reset", 3, None)
        assert settings.retry_after_on_429 and settings.latency_seconds == 0.005

    def test_binds_loopback_only_and_stops_cleanly(self):
        emu = Emulator(EmulatorSettings(persons=3, absence_periods=3, attendance_periods=3)).start()
        assert emu._server.server_address[0] == "127.0.0.1"
        session = client(emu)
        assert get(emu, PERSONS, session).status_code == 200
        url = emu.url
        emu.stop()
        with pytest.raises(requests.ConnectionError):  # the keep-alive connection is closed too
            session.get(url + PERSONS, timeout=2)


def test_data_start_spreads_the_history_from_that_date():
    # Given a company whose history starts in 2016 instead of 2021
    start, end = datetime(2016, 1, 1), datetime(2026, 1, 1)
    company = Emulator(EmulatorSettings(persons=30, absence_periods=100, attendance_periods=300, data_start=start,
                                        data_end=end)).company
    # Then every updated_at falls between the two, and some fall before 2021
    instants = [company.updated_us(stream, record_id) / 1e6 for stream in ("persons", "attendance_periods")
                for record_id in company.ids(stream)]
    assert min(instants) >= start.replace(tzinfo=timezone.utc).timestamp()
    assert max(instants) <= end.replace(tzinfo=timezone.utc).timestamp()
    assert min(instants) < datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp()


def test_data_start_after_data_end_is_refused():
    with pytest.raises(ValueError, match="data_start"):
        EmulatorSettings(data_start=datetime(2026, 1, 2), data_end=datetime(2026, 1, 1))
