"""The company API tests use: references between streams and mutations.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import time

import pytest

from tools.personio_emulator import EmulatorSettings
from tools.personio_emulator.company import Company
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.references import REFERENCES
from tools.personio_emulator.settings import STREAMS
from tools.personio_emulator.tests.helpers import (APPLICATIONS, CANDIDATES, COMPENSATIONS, breakdowns_path,
                                                   employments_path, get, ids, walk)


# -- references -------------------------------------------------------------------------------

class TestReferences:
    @pytest.mark.parametrize("seed,persons,collide", [(1, 50, False), (2, 7, True), (3, 300, False), (4, 1, True)])
    def test_every_reference_resolves(self, seed, persons, collide):
        company = Company(seed=seed, persons=persons, absence_periods=200, attendance_periods=400,
                          settings=EmulatorSettings(seed=seed, persons=persons, org_unit_ids_collide=collide))
        assert company.dangling() == []
        assert company.size("employments") >= persons and company.size("recruiting_applications") > 0
        assert company.records("compensations") or persons == 1  # a lone person may not be paid yet

    def test_the_list_names_every_reference_of_the_brief(self):
        pairs = {(r.stream, r.target) for r in REFERENCES}
        for pair in [("employments", "persons"), ("employments", "org_units"), ("employments", "cost_centers"),
                     ("employments", "workplaces"), ("employments", "legal_entities"), ("employments", "jobs"),
                     ("absence_periods", "absence_types"), ("attendance_periods", "projects"),
                     ("compensations", "persons"), ("compensations", "compensation_types"),
                     ("compensations", "legal_entities"), ("recruiting_applications", "recruiting_candidates"),
                     ("recruiting_applications", "recruiting_jobs"), ("recruiting_jobs", "recruiting_categories"),
                     ("projects", "cost_centers"), ("jobs", "salary_bands")]:
            assert pair in pairs
        assert all(r.stream in STREAMS and r.target in STREAMS for r in REFERENCES)

    def test_a_deleted_target_shows_up_as_dangling(self):
        company = Company(seed=1, persons=20, absence_periods=20, attendance_periods=20)
        person = company.records("absence_periods")[0]["person"]["id"]
        company.delete("persons", person)
        assert ("absence_periods", "person.id") in {(d[0], d[2]) for d in company.dangling()}

    def test_new_parts_of_a_1000_person_company_build_fast(self):
        company = Company(seed=5, persons=1000, absence_periods=10, attendance_periods=10)
        started = time.perf_counter()
        company.records("org_units")
        company.size("employments")
        company.compensations(month=company.compensation_months()[-1])
        company.size("recruiting_applications")
        assert time.perf_counter() - started < 1.0


# -- mutations --------------------------------------------------------------------------------

class TestMutations:
    def test_employment_update_leaves_its_person_alone(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.records("persons")[0]
        [employment] = emu.company.employments(person["id"])
        [changed] = emu.company.update("employments", record_id=employment["id"], at="2099-01-01T00:00:00Z")
        after = emu.company.get("employments", changed)
        assert after["updated_at"] == "2099-01-01T00:00:00Z"
        assert after["weekly_working_hours"] != employment["weekly_working_hours"]
        assert emu.company.get("persons", person["id"]) == person
        served = get(emu, employments_path(emu, person["id"]), **{"updated_at.gt": "2098-12-31T23:59:59Z"}).json()
        assert ids(served["_data"]) == [changed]

    def test_employment_update_by_count_stamps_now(self, personio_emulator):
        emu = personio_emulator
        before = time.time()
        changed = emu.company.update("employments", count=3)
        assert len(set(changed)) == 3
        assert all(emu.company.updated_us("employments", i) >= int(before) * 1_000_000 - 1000 for i in changed)

    def test_absence_update_moves_its_breakdowns(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"])
        rows = get(emu, breakdowns_path(emu, absence["id"])).json()["_data"]
        emu.company.update("absence_periods", record_id=absence["id"])
        longer = get(emu, breakdowns_path(emu, absence["id"])).json()["_data"]
        assert len(longer) == len(rows) + 1 and longer[:len(rows)] == rows

    @pytest.mark.parametrize("stream,path", [("recruiting_applications", APPLICATIONS),
                                             ("recruiting_candidates", CANDIDATES)])
    def test_recruiting_update_moves_to_the_top(self, personio_emulator, stream, path):
        emu = personio_emulator
        record_id = emu.company.ids(stream)[-1]  # the oldest
        before = emu.company.get(stream, record_id)
        emu.company.update(stream, record_id=record_id)
        top = get(emu, path, limit=1).json()["_data"][0]
        assert top["id"] == record_id and top != before

    def test_compensation_amount_changes_in_one_month_only(self, personio_emulator):
        emu = personio_emulator
        months = emu.company.compensation_months()[-3:]
        record = next(r for r in emu.company.compensations(month=months[1]) if r["interval"] != "ONE_TIME")
        [changed] = emu.company.update("compensations", record_id=record["id"], month=months[1], amount=12345.5)
        assert changed == record["id"]
        month = {"start_date": f"{months[1]}-01", "end_date": f"{months[1]}-28"}
        served = {r["id"]: r for r in walk(emu, COMPENSATIONS, **month)}
        assert served[record["id"]]["amount"]["value"] == 12345.5
        for other in (months[0], months[2]):
            again = [r for r in emu.company.compensations(month=other) if r["id"] == record["id"]]
            assert all(r["amount"] == record["amount"] for r in again)
        emu.company.update("compensations", record_id=record["id"], month=months[1])
        again = {r["id"]: r for r in emu.company.compensations(month=months[1])}
        assert again[record["id"]]["amount"]["value"] == 12445.5

    def test_what_cannot_be_updated_says_so(self, personio_emulator):
        company = personio_emulator.company
        for stream in ("workplaces", "absence_period_breakdowns"):
            with pytest.raises(ValueError):
                company.update(stream)
        with pytest.raises(ValueError):
            company.update("compensations", count=1)
        with pytest.raises(ValueError):
            company.create("employments")
