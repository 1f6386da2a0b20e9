"""Absence breakdowns and compensations: rows per day and per month.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import calendar

import pytest

from tools.personio_emulator.company import Company
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import COMPENSATIONS, a_month, breakdowns_path, client, get, walk


# -- breakdowns -------------------------------------------------------------------------------

class TestBreakdowns:
    def test_rows_follow_the_absence(self, make_personio_emulator):
        emu = make_personio_emulator(absence_periods=400)
        types = {t["id"]: t["unit"] for t in emu.company.records("absence_types")}
        halves = weekends = 0
        for absence in emu.company.records("absence_periods")[:150]:
            rows = emu.company.breakdowns(absence["id"])
            first = absence["starts_from"]["date_time"][:10]
            assert rows[0]["date"] == first
            if absence["ends_at"] is None:
                assert len(rows) == 30  # the documented horizon of an open-ended absence
            else:
                assert rows[-1]["date"] == absence["ends_at"]["date_time"][:10]
            unit = types[absence["absence_type"]["id"]]
            full = 1.0 if unit == "DAY" else 8.0
            for row in rows:
                assert set(row) == {"date", "effective_duration"}
                assert row["effective_duration"]["unit"] == unit
                assert row["effective_duration"]["value"] in (0.0, full / 2, full)
                weekend = calendar.weekday(*map(int, row["date"].split("-"))) >= 5
                weekends += weekend
                assert not weekend or row["effective_duration"]["value"] == 0.0
            if absence["starts_from"]["type"] == "SECOND_HALF" and rows[0]["effective_duration"]["value"]:
                assert rows[0]["effective_duration"]["value"] == full / 2
                halves += 1
        assert halves and weekends and {"DAY", "HOUR"} <= set(types.values())

    def test_open_ended_absence_paginates_28_a_page(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"] is None)
        session = client(emu)
        first = get(emu, breakdowns_path(emu, absence["id"]), session).json()
        assert len(first["_data"]) == 28
        rest = session.get(first["_meta"]["links"]["next"]["href"], timeout=5).json()
        assert len(rest["_data"]) == 2 and "next" not in rest["_meta"]["links"]
        assert first["_data"] + rest["_data"] == emu.company.breakdowns(absence["id"])
        assert len(walk(emu, breakdowns_path(emu, absence["id"]), session, limit=5)) == 30

    def test_unknown_or_deleted_absence_is_404(self, personio_emulator):
        emu = personio_emulator
        assert get(emu, breakdowns_path(emu, "00000000-0000-4000-8000-000000000000")).status_code == 404
        absence = emu.company.ids("absence_periods")[0]
        emu.company.delete("absence_periods", absence)
        assert get(emu, breakdowns_path(emu, absence)).status_code == 404


# -- compensations ----------------------------------------------------------------------------

class TestCompensations:
    @pytest.mark.parametrize("start,end,status", [
        ("2024-01-01", "2024-01-31", 200), ("2024-01-15", "2024-02-15", 200), ("2024-01-01", "2024-02-01", 200),
        ("2024-01-31", "2024-02-29", 200), ("2024-01-01", "2024-01-01", 200), ("2023-12-15", "2024-01-15", 200),
        ("2024-01-01", "2024-02-02", 400), ("2024-01-15", "2024-02-16", 400), ("2024-01-31", "2024-03-01", 400),
        ("2024-02-01", "2024-01-31", 400), ("2024-02-30", "2024-03-01", 400),
    ])
    def test_one_month_rule(self, personio_emulator, start, end, status):
        assert get(personio_emulator, COMPENSATIONS, start_date=start, end_date=end).status_code == status

    def test_a_month_serves_what_the_company_holds(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        month = a_month(emu)
        served = walk(emu, COMPENSATIONS, limit=7, **month)
        assert served == emu.company.compensations(month=month["start_date"][:7]) and served
        types = {t["id"] for t in emu.company.records("compensation_types")}
        for record in served:
            assert set(record) == {"id", "person", "legal_entity", "type", "amount", "interval", "effective_from"}
            assert record["type"]["id"] in types and record["interval"] in ("MONTHLY", "YEARLY", "ONE_TIME")
        person = served[0]["person"]["id"]
        only = walk(emu, COMPENSATIONS, **{"person.id": person}, **month)
        assert only and {r["person"]["id"] for r in only} == {person}

    def test_only_the_recent_months_have_any(self, personio_emulator):
        emu = personio_emulator
        months = emu.company.compensation_months()
        assert len(months) == 24
        assert get(emu, COMPENSATIONS, start_date="2019-01-01", end_date="2019-01-31").json()["_data"] == []

    def test_recurring_ids_same_every_month_or_distinct(self, make_personio_emulator):
        emu = make_personio_emulator(persons=40)
        months = emu.company.compensation_months()[-3:-1]

        def salaries(month):
            return {(r["person"]["id"], r["effective_from"]): r["id"] for r in emu.company.compensations(month=month)
                    if r["type"]["name"] == "Base salary"}
        first, second = salaries(months[0]), salaries(months[1])
        both = set(first) & set(second)
        assert both and all(first[k] == second[k] for k in both)
        emu.settings.compensation_ids_recur = False
        first, second = salaries(months[0]), salaries(months[1])
        assert all(first[k] != second[k] for k in both)
        assert set(first.values()) == {r["id"] for r in walk(emu, COMPENSATIONS, start_date=f"{months[0]}-01",
                                                               end_date=f"{months[0]}-28")
                                       if r["type"]["name"] == "Base salary"}

    def test_company_stays_small(self):
        company = Company(seed=2, persons=1000, absence_periods=10, attendance_periods=10)
        month = company.compensation_months()[-2]
        assert 900 < len(company.compensations(month=month)) < 1500
