"""Rate limits, latency and injected faults on every endpoint.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import threading
import time

import pytest
import requests

from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.personio_emulator.__main__ import parser, settings_from
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import PERSONIO_LIKE_RATE_LIMITS, STREAMS
from tools.personio_emulator.tests.helpers import (ABSENCES, APPLICATIONS, ATTENDANCES, CANDIDATES,
                                                   COMPENSATION_TYPES, ENDPOINTS, PERSONS, RECRUITING_JOBS, TYPES,
                                                   breakdowns_path, client, employments_path, follow, get, ids, needs,
                                                   token_response, walk)


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
        rest = follow(emu, session, empty["_meta"]["links"]["next"]["href"])
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


# -- throttling, faults, control --------------------------------------------------------------

class TestRateLimitsAndFaults:
    def test_a_per_parent_endpoint_is_one_bucket(self, make_personio_emulator):
        emu = make_personio_emulator(rate_limits={"employments": (1, 2)})
        session = client(emu)
        people = emu.company.ids("persons")[:3]
        statuses = [get(emu, employments_path(emu, p), session).status_code for p in people]
        assert statuses == [200, 200, 429]
        assert get(emu, breakdowns_path(emu), session).status_code == 200
        assert emu.stats.throttled["employments"] == 1

    def test_personio_like_limits_cover_every_endpoint(self, make_personio_emulator):
        assert set(PERSONIO_LIKE_RATE_LIMITS) == set(STREAMS)
        assert PERSONIO_LIKE_RATE_LIMITS["persons"] == (30, 100) and PERSONIO_LIKE_RATE_LIMITS["employments"] == (10, 10)
        emu = make_personio_emulator(rate_limits=dict(PERSONIO_LIKE_RATE_LIMITS))
        response = get(emu, APPLICATIONS)
        assert response.headers["x-ratelimit-burst-capacity"] == "10"

    @pytest.mark.parametrize("stream,path", [("employments", employments_path), ("compensation_types",
                                                                                   lambda emu: COMPENSATION_TYPES)])
    def test_faults_target_new_streams(self, personio_emulator, stream, path):
        emu = personio_emulator
        emu.add_fault(Fault("status_503", stream=stream))
        session = client(emu)
        assert get(emu, path(emu), session).status_code == 503
        assert get(emu, path(emu), session).status_code == 200
        assert get(emu, TYPES, session).status_code == 200
        assert emu.stats.status_codes[stream][503] == 1

    def test_empty_page_with_next_on_breakdowns(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"] is None)
        emu.add_fault(Fault("empty_page_with_next", stream="absence_period_breakdowns"))
        session = client(emu)
        empty = get(emu, breakdowns_path(emu, absence["id"]), session).json()
        assert empty["_data"] == []
        rows = follow(emu, session, empty["_meta"]["links"]["next"]["href"])
        assert rows == emu.company.breakdowns(absence["id"])

    def test_relative_next_links(self, make_personio_emulator):
        emu = make_personio_emulator(relative_next_links=True, recruiting_candidates=30)
        href = get(emu, CANDIDATES, limit=10).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(CANDIDATES + "?cursor=")
        assert len(walk(emu, CANDIDATES, limit=10)) == 30

    def test_admin_patch_and_records(self, personio_emulator):
        emu = personio_emulator
        admin = emu.url + "/_emulator"
        patch = {"unlicensed_modules": ["recruiting_jobs"], "whitelisted_employment_attributes": [],
                 "recruiting_timestamps": "object", "rate_limits": {"absence_period_breakdowns": [5, 5]}}
        settings = requests.post(admin + "/settings", json=patch, timeout=5).json()
        assert settings["unlicensed_modules"] == ["recruiting_jobs"]
        assert emu.settings.unlicensed_modules == {"recruiting_jobs"}
        assert emu.settings.whitelisted_employment_attributes == set()
        assert get(emu, RECRUITING_JOBS).status_code == 404
        assert requests.post(admin + "/settings", json={"recruiting_timestamps": "epoch"}, timeout=5).status_code == 400
        records = requests.get(admin + "/records/workplaces", timeout=5).json()
        assert records == emu.company.records("workplaces")
        record = emu.company.compensations(month=emu.company.compensation_months()[-1])[0]
        body = {"action": "update", "stream": "compensations", "record_id": record["id"],
                "month": emu.company.compensation_months()[-1], "amount": 1}
        assert requests.post(admin + "/mutate", json=body, timeout=5).json() == {"ids": [record["id"]]}

    def test_cli_flags(self):
        args = parser().parse_args(["--personio-like-rate-limits", "--rate-limit", "employments=2/3",
                                    "--unlicensed", "legal_entities", "--recruiting-timestamps", "string",
                                    "--persons-burst", "30", "--beta-header-required", "--custom-attribute-values",
                                    "typed", "--unseen-nulls"])
        settings = settings_from(args)
        assert settings.rate_limits["employments"] == (2.0, 3) and settings.rate_limits["jobs"] == (10.0, 10)
        assert settings.rate_limits["persons"] == (30.0, 30) and settings.beta_header_required
        assert settings.custom_attribute_values == "typed" and settings.unseen_nulls
        assert settings.unlicensed_modules == {"legal_entities"} and settings.recruiting_timestamps == "string"

    def test_stats_name_the_stream_and_the_path(self, personio_emulator):
        emu = personio_emulator
        emu.stats.reset()
        session = client(emu)
        get(emu, employments_path(emu), session)
        [entry] = emu.stats.entries("employments")
        assert entry["path"] == employments_path(emu) and entry["status"] == 200


def test_every_endpoint_walks_with_every_new_setting_changed():
    """Given an emulator with every new setting away from its default, every endpoint still walks."""
    settings = EmulatorSettings(persons=30, absence_periods=30, attendance_periods=30, org_unit_ids_collide=True,
                                compensation_ids_recur=False, recruiting_timestamps="object", compensation_months=3,
                                whitelisted_employment_attributes={"office"}, employment_person_omitted=True)
    with Emulator(settings) as emu:
        session = client(emu)
        for stream, path, most, default, scope, params in ENDPOINTS:
            assert walk(emu, path(emu), session, limit=min(most, 3), **needs(emu, params)) is not None, stream
