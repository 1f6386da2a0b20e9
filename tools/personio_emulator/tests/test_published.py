"""What Personio's published definitions and the live check of contract §8 add to the emulator: x-ratelimit-*
headers on every answer, filters sent again next to a cursor, every documented filter, the one-record endpoints,
the published record shapes by default and the dialects that bring back the odd values. Given / When / Then."""
import re
from datetime import datetime

import pytest

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import BETA_STREAMS
from tools.personio_emulator.tests.helpers import ABSENCES, ATTENDANCES, PERSONS, client, get, ids, walk

DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\Z")
TERMINATION_TYPES = {"UNSPECIFIED", "EMPLOYEE", "FIRED", "DEATH", "CONTRACT_EXPIRED", "AGREEMENT",
                     "SUB_COMPANY_SWITCH", "IRREVOCABLE_SUSPENSION", "CANCELLATION", "COLLECTIVE_AGREEMENT",
                     "SETTLEMENT_AGREEMENT", "RETIREMENT", "COURT_SETTLEMENT", "QUIT"}
RATE_HEADERS = ("x-ratelimit-burst-capacity", "x-ratelimit-replenish-rate", "x-ratelimit-requested-tokens",
                "x-ratelimit-remaining")


def employments_of(emu, person_id):
    return f"/v2/persons/{person_id}/employments"


def instant(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestRateLimitHeaders:
    def test_every_answer_carries_them_with_personio_figures_when_nothing_throttles(self, personio_emulator):
        # Given no bucket configured
        emu = personio_emulator
        session = client(emu)
        person = emu.company.ids("persons")[0]
        # When persons, employments, another list, a 400 and a 404 are asked for
        answers = {path: get(emu, path, session) for path in (PERSONS, employments_of(emu, person), ABSENCES,
                                                              "/v2/persons/0/employments", "/v2/org-units")}
        # Then each carries the four headers; persons advertises 30/s with a burst of 100
        assert [a.status_code for a in answers.values()] == [200, 200, 200, 404, 400]
        for answer in answers.values():
            assert all(name in answer.headers for name in RATE_HEADERS)
            assert answer.headers["x-ratelimit-requested-tokens"] == "1"
        persons = answers[PERSONS].headers
        assert (persons["x-ratelimit-burst-capacity"], persons["x-ratelimit-replenish-rate"]) == ("100", "30")
        assert persons["x-ratelimit-remaining"] == "99"

    @pytest.mark.parametrize("burst", [100, 30])
    def test_the_personio_like_burst_is_a_dialect(self, make_personio_emulator, burst):
        # Given Personio-like buckets with a persons burst of 100 or 30
        emu = make_personio_emulator(personio_like_burst=burst)
        session = client(emu)
        # When requests are sent back to back until one is throttled
        answers = [get(emu, PERSONS, session, limit=1)]
        while answers[-1].status_code == 200 and len(answers) < 2000:
            answers.append(get(emu, PERSONS, session, limit=1))
        # Then the burst is advertised and spent before the first 429; other lists keep 10/s with a burst of 10
        assert answers[0].headers["x-ratelimit-burst-capacity"] == str(burst)
        assert answers[0].headers["x-ratelimit-remaining"] == str(burst - 1)
        assert answers[-1].status_code == 429 and len(answers) > burst
        assert get(emu, ABSENCES, session).headers["x-ratelimit-burst-capacity"] == "10"


class TestFiltersNextToACursor:
    @pytest.mark.parametrize("path", ["persons", "employments"])
    def test_are_accepted_and_the_cursor_wins(self, make_personio_emulator, path):
        # Given a first page under a filter
        emu = make_personio_emulator(persons=60)
        session = client(emu)
        if path == "persons":
            url, params = PERSONS, {"status": "ACTIVE", "limit": 5}
            expected = [p["id"] for p in emu.company.records("persons") if p["status"] == "ACTIVE"]
            contrary = {"status": "INACTIVE"}
        else:
            person = next(p for p in emu.company.ids("persons") if len(emu.company.employments(p)) > 1)
            url, params = employments_of(emu, person), {"limit": 1, "updated_at.lt": "2099-01-01T00:00:00Z"}
            expected = [e["id"] for e in emu.company.employments(person)]
            contrary = {"updated_at.gt": "2099-01-01T00:00:00Z"}
        first = get(emu, url, session, **params).json()
        # When every next page is asked with the filter sent again, and with a contrary one
        seen, href = ids(first["_data"]), first["_meta"]["links"]["next"]["href"]
        again = session.get(href, params=contrary, timeout=5)
        while href:
            body = session.get(href, params=params, timeout=5).json()
            seen += ids(body["_data"])
            href = body["_meta"]["links"].get("next", {}).get("href")
        # Then both are accepted and the cursor's filter decides
        assert again.status_code == 200 and ids(again.json()["_data"])[0] == seen[len(first["_data"])]
        assert seen == expected and emu.stats.filters_with_cursor >= 2

    def test_other_lists_still_refuse_them(self, personio_emulator):
        session = client(personio_emulator)
        href = get(personio_emulator, ABSENCES, session, limit=5).json()["_meta"]["links"]["next"]["href"]
        assert session.get(href, params={"person.id": "1"}, timeout=5).status_code == 400


class TestEveryDocumentedFilter:
    def test_persons_filters_select_what_they_say(self, make_personio_emulator):
        # Given persons with every field
        emu = make_personio_emulator(persons=80)
        persons = emu.company.records("persons")
        one = next(p for p in persons if p["preferred_name"])
        created, updated = one["created_at"], one["updated_at"]
        selections = {
            "id": (one["id"], lambda p: p["id"] == one["id"]),
            "email": (one["email"], lambda p: p["email"] == one["email"]),
            "first_name": (one["first_name"], lambda p: p["first_name"] == one["first_name"]),
            "last_name": (one["last_name"], lambda p: p["last_name"] == one["last_name"]),
            "preferred_name": (one["preferred_name"], lambda p: p["preferred_name"] == one["preferred_name"]),
            "created_at": (created, lambda p: instant(p["created_at"]) == instant(created)),
            "created_at.gt": (created, lambda p: instant(p["created_at"]) > instant(created)),
            "created_at.lt": (created, lambda p: instant(p["created_at"]) < instant(created)),
            "updated_at": (updated, lambda p: instant(p["updated_at"]) == instant(updated)),
            "updated_at.gt": (updated, lambda p: instant(p["updated_at"]) > instant(updated)),
            "updated_at.lt": (updated, lambda p: instant(p["updated_at"]) < instant(updated)),
            "status": ("INACTIVE", lambda p: p["status"] == "INACTIVE"),
        }
        for name, (value, keep) in selections.items():
            # When the list is walked under one filter, Then exactly the persons it selects come
            assert ids(walk(emu, PERSONS, limit=7, **{name: value})) == [p["id"] for p in persons if keep(p)], name
        # And an unknown one stays a 400
        assert get(emu, PERSONS, nickname="x").status_code == 400

    def test_employments_id_and_updated_at(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        person = next(p for p in emu.company.ids("persons") if len(emu.company.employments(p)) > 1)
        first, second = emu.company.employments(person)
        path = employments_of(emu, person)
        assert ids(walk(emu, path, id=second["id"])) == [second["id"]]
        assert ids(walk(emu, path, updated_at=first["updated_at"])) == [first["id"]]
        assert get(emu, path, sort="id").status_code == 400


class TestOneRecord:
    def test_a_person_and_an_employment_as_their_lists_show_them(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        person = get(emu, PERSONS, session).json()["_data"][3]
        employment = walk(emu, employments_of(emu, person["id"]), session)[0]
        one = get(emu, f"/v2/persons/{person['id']}", session)
        assert one.status_code == 200 and one.json() == person
        assert all(name in one.headers for name in RATE_HEADERS)
        assert get(emu, f"/v2/persons/{person['id']}/employments/{employment['id']}", session).json() == employment

    def test_unknown_ids_parameters_tokens_and_scopes(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        person = emu.company.ids("persons")[0]
        other = emu.company.ids("persons")[1]
        employment = emu.company.employments(person)[0]["id"]
        assert get(emu, "/v2/persons/1", session).status_code == 404
        assert get(emu, f"/v2/persons/{other}/employments/{employment}", session).status_code == 404  # not theirs
        assert get(emu, f"/v2/persons/{person}", session, limit=1).status_code == 400
        assert emu.stats.entries("persons")[-1]["path"] == f"/v2/persons/{person}"
        assert client(emu).get(emu.url + f"/v2/persons/{person}", headers={"Authorization": "Bearer nope"},
                               timeout=5).status_code == 401
        emu.settings.granted_scopes = set()
        assert get(emu, f"/v2/persons/{person}/employments/{employment}", session).status_code == 403

    def test_the_whitelist_and_the_bucket_apply(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_person_attributes={"first_name"}, rate_limits={"persons": (1, 1)})
        session = client(emu)
        person = emu.company.ids("persons")[0]
        assert set(get(emu, f"/v2/persons/{person}", session).json()) == {"id", "first_name", "employments", "_meta"}
        assert get(emu, PERSONS, session).status_code == 429  # one bucket with the list


class TestPublishedShapes:
    def test_persons_by_default(self, make_personio_emulator):
        emu = make_personio_emulator(persons=200)
        persons = emu.company.records("persons")
        attributes = [a for p in persons for a in p["custom_attributes"]]
        assert all(isinstance(a["value"], str) and a["type"] == a["type"].lower() for a in attributes)
        assert all(p.get("profile_picture") is not None for p in persons if "profile_picture" in p)
        assert any("profile_picture" not in p for p in persons)  # a person without a picture has none
        assert all(value is not None for p in persons for value in p.values())
        assert {p["gender"] for p in persons} <= {"UNSPECIFIED", "MALE", "FEMALE", "DIVERSE"}

    def test_employments_by_default(self, make_personio_emulator):
        emu = make_personio_emulator(persons=200)
        employments = [e for p in emu.company.ids("persons") for e in emu.company.employments(p)]
        dates = ("employment_start_date", "employment_end_date", "contract_end_date", "probation_end_date")
        assert all(e[d] is None or DATE.match(e[d]) for e in employments for d in dates)
        terminations = [e["termination"] for e in employments if e["termination"]]
        assert terminations and all(DATE.match(t[d]) for t in terminations
                                    for d in ("termination_date", "last_working_day", "terminated_at"))
        assert {t["type"] for t in terminations} <= TERMINATION_TYPES
        assert all(e["job"] is None or (set(e["job"]) == {"id"} and UUID.match(e["job"]["id"])) for e in employments)
        assert any(e["job"] is None for e in employments) and any(e["job"] for e in employments)
        assert {e["status"] for e in employments} <= {"ACTIVE", "INACTIVE", "ONBOARDING", "LEAVE", "UNSPECIFIED"}
        assert emu.company.dangling() == []  # job ids are the /v2/jobs ids

    def test_the_odd_values_are_a_dialect(self, personio_emulator):
        # Given a running emulator in the default dialect
        emu = personio_emulator
        plain = walk(emu, PERSONS)
        # When typed values and unseen nulls are switched on
        emu.settings.custom_attribute_values = "typed"
        emu.settings.unseen_nulls = True
        odd = walk(emu, PERSONS)
        # Then the next requests show null, numbers, lists and objects, and null pictures and preferred names
        values = [a["value"] for p in odd for a in p["custom_attributes"]]
        assert None in values and any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
        assert any(isinstance(v, list) for v in values) and any(isinstance(v, dict) for v in values)
        assert "unspecified" in {a["type"] for p in odd for a in p["custom_attributes"]}
        assert any(p["profile_picture"] is None for p in odd) and any(p["preferred_name"] is None for p in odd)
        assert ids(odd) == ids(plain)


class TestBetaHeader:
    @pytest.mark.parametrize("stream,path", [("org_units", "/v2/org-units?type=team"),
                                             ("recruiting_applications", "/v2/recruiting/applications"),
                                             ("workplaces", "/v2/workplaces"), ("cost_centers", "/v2/cost-centers")])
    def test_required_when_set(self, make_personio_emulator, stream, path):
        emu = make_personio_emulator(beta_header_required=True)
        session = client(emu)
        assert stream in BETA_STREAMS
        refused = session.get(emu.url + path, timeout=5)
        assert refused.status_code == 400 and "Beta: true" in refused.json()["errors"][0]["detail"]
        assert session.get(emu.url + path, headers={"Beta": "true"}, timeout=5).status_code == 200
        assert get(emu, ATTENDANCES, session).status_code == 200  # not a beta list
        emu.settings.beta_header_required = False
        assert session.get(emu.url + path, timeout=5).status_code == 200
