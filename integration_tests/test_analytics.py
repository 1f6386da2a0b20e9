"""The analytics queries (tools/demo/analytics.sql) on DuckDB give the answers the emulator's records give."""
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from typing import Iterator, List

import duckdb
import pytest

from tools.demo import analytics


@pytest.fixture(scope="module")
def warehouse(full_refresh, discovered) -> Iterator[duckdb.DuckDBPyConnection]:
    """The full refresh's records in an in-memory DuckDB database, a table per stream."""
    connection = duckdb.connect()
    counts = analytics.load_tables(connection, full_refresh.result.records, analytics.catalog_schemas(discovered))
    assert counts == full_refresh.result.record_counts
    yield connection
    connection.close()


def expected_headcount(company, today: date) -> List[tuple]:
    departments = {unit["id"]: unit["name"] for unit in company.records("org_units") if unit["type"] == "department"}
    persons = defaultdict(set)
    for employment in company.records("employments"):
        if employment.get("status") != "ACTIVE":
            continue
        for unit in employment.get("org_units") or []:
            if unit["type"] == "department" and unit["id"] in departments:
                persons[unit["id"]].add(employment["person"]["id"])
    return [(departments[unit], len(ids)) for unit, ids in persons.items()]


def expected_leave_days(company, today: date) -> List[tuple]:
    types = {kind["id"]: kind for kind in company.records("absence_types")}
    days = defaultdict(float)
    for absence in company.records("absence_periods"):
        kind = types.get(absence["absence_type"]["id"])
        if kind is None or kind["unit"] != "DAY" or absence["approval"]["status"] != "APPROVED":
            continue
        for row in company.breakdowns(absence["id"]):
            if row["date"][:4] == str(today.year) and row["effective_duration"]["unit"] == "DAY":
                days[kind["name"]] += row["effective_duration"]["value"]
    return list(days.items())


def expected_project_hours(company, today: date) -> List[tuple]:
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    projects = {project["id"]: project["name"] for project in company.records("projects")}
    seconds = defaultdict(float)
    for period in company.records("attendance_periods"):
        project = (period.get("project") or {}).get("id")
        end = (period.get("end") or {}).get("date_time")
        status = period.get("status") or (period.get("approval") or {}).get("status")
        if period["type"] != "WORK" or end is None or project not in projects or status == "REJECTED":
            continue
        if last_month <= date.fromisoformat(period["attribution_date"]) < this_month:
            start = datetime.fromisoformat(period["start"]["date_time"])
            seconds[projects[project]] += (datetime.fromisoformat(end) - start).total_seconds()
    return [(name, round(total / 3600, 1)) for name, total in seconds.items()]


def expected_open_applications(company, today: date) -> List[tuple]:
    jobs = {job["id"]: job["name"] for job in company.records("recruiting_jobs")}
    open_ones = Counter(
        jobs[application["job"]["id"]]
        for application in company.records("recruiting_applications")
        if application["status"] not in ("HIRED", "REJECTED", "WITHDRAWN") and application["job"]["id"] in jobs
    )
    return list(open_ones.items())


def expected_median_days_to_hire(company, today) -> List[tuple]:
    from integration_tests.test_deletions_and_stage_transitions import expected_median_days_to_hire as expected

    return expected(company, today)


EXPECTED_ANSWERS = {
    "headcount_by_department": expected_headcount,
    "leave_days_by_absence_type": expected_leave_days,
    "hours_per_project_last_month": expected_project_hours,
    "open_applications_per_job": expected_open_applications,
    "median_days_to_hire_per_job": expected_median_days_to_hire,
}


def test_every_query_has_an_expected_answer():
    assert [query.name for query in analytics.queries()] == list(EXPECTED_ANSWERS)


@pytest.mark.parametrize("name", EXPECTED_ANSWERS)
def test_the_analytics_queries_answer_as_the_emulators_records_do(company_emulator, warehouse, name):
    """The SQL the demo runs and docs/querying.md quotes, on the synced tables, against the same question asked of
    the emulator's own records in Python."""
    today = warehouse.execute("SELECT current_date").fetchone()[0]  # DuckDB's today, as the queries see it
    expected = EXPECTED_ANSWERS[name](company_emulator.company, today)

    columns, rows = analytics.answer(warehouse, analytics.query(name))

    assert len(columns) == 2
    if not (name == "leave_days_by_absence_type" and today.timetuple().tm_yday <= 7):  # a year just begun
        assert expected, f"{name}: the emulated company gives an empty answer; nothing is compared"
    assert sorted(label for label, _ in rows) == sorted(label for label, _ in expected)
    answered = dict(rows)
    for label, value in expected:
        assert answered[label] == pytest.approx(value, abs=0.051), (label, answered[label], value)
    values = [value for _, value in rows]
    assert values == sorted(values, reverse=True), "largest first"
