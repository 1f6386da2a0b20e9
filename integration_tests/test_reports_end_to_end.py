"""Personio's reports end to end: the installed command against the emulator's Report API v2 (one stream per
report, a schema from its columns, rows as objects whichever shape Personio sends, a refused report failing
alone). Each run costs a process start, so runs are made in module-scoped fixtures and several tests look at
the same run.

- discover: with reports on, one full-refresh stream per listed report, named after it, with typed nullable
  columns; `report_ids` keeps the named ones; a credential that may not list reports gets the declared
  streams and a passing check that says why there are none.
- read: every row of every report, as an object keyed by column name, for rows sent as cells and as objects;
  each report page asked with `limit` alone, then the cursor and `limit` alone.
- a report not shared with the credential fails alone, naming the report and what to change in Personio.
"""
from tools.stream_facts import FACTS
from typing import Any, Dict, Iterator, List

import pytest

from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.reports import reports as emulated_reports
from tools.catalogs import configured_catalog
from tools.sync_runner import SourceRunner

COMPANY = {"seed": 5, "persons": 60, "absence_periods": 50, "attendance_periods": 50}
FAST = {"other_requests_per_second": 1000}
NAMES = {
    "Headcount by Department": "report_headcount_by_department_",
    "Überstunden pro Mitarbeiter (März)": "report_ueberstunden_pro_mitarbeiter_maerz_",
    "Absences 2025 (historical)": "report_absences_2025_historical_",
}


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorSettings(**COMPANY)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def runner() -> SourceRunner:
    return SourceRunner()


@pytest.fixture(scope="module")
def reports(emu) -> List[Any]:
    return emulated_reports(emu.company.on_demand)


def stream_of(report) -> str:
    return NAMES[report.name] + report.id.replace("-", "")[-8:]


def expected_rows(report) -> List[Dict[str, Any]]:
    """The report's rows as objects; null cells left out, as every Airbyte record leaves them out."""
    return [{c["name"]: cell for c, cell in zip(report.columns, cells) if cell is not None} for cells in report.rows]


@pytest.fixture(scope="module")
def discovered(emu, runner) -> Dict[str, Any]:
    result = runner.discover(emu.config(sync_reports=True, **FAST))
    assert result.succeeded, result.error_messages
    return {stream["name"]: stream for stream in result.catalog["streams"]}


def read_reports(emu, runner, discovered, **config) -> Any:
    names = [name for name in discovered if name.startswith("report_")]
    catalog = configured_catalog({"streams": list(discovered.values())}, "full_refresh", streams=names)
    return runner.read(emu.config(sync_reports=True, **FAST, **config), catalog)


class TestDiscover:
    def test_one_full_refresh_stream_per_report_named_after_it(self, discovered, reports):
        assert {name for name in discovered if name.startswith("report_")} == {stream_of(r) for r in reports}
        assert len(discovered) == len(FACTS.names) + len(reports)
        for report in reports:
            stream = discovered[stream_of(report)]
            assert stream["supported_sync_modes"] == ["full_refresh"]
            assert not stream.get("source_defined_primary_key")

    def test_the_schema_has_every_column_typed_and_nullable(self, discovered, reports):
        overtime = next(r for r in reports if r.name.startswith("Überstunden"))
        properties = discovered[stream_of(overtime)]["json_schema"]["properties"]
        assert list(properties) == [c["name"] for c in overtime.columns]
        assert properties["employee_id"]["type"] == ["null", "integer"]
        assert properties["overtime_hours"]["type"] == ["null", "number"]
        assert properties["approved"]["type"] == ["null", "boolean"]
        assert properties["last_change"] == {"type": ["null", "string"], "format": "date-time"}

    def test_report_ids_keep_only_the_named_reports(self, emu, runner, reports):
        wanted = reports[1]
        result = runner.discover(emu.config(report_ids=[wanted.id], **FAST))
        assert [s["name"] for s in result.catalog["streams"] if s["name"].startswith("report_")] == [stream_of(wanted)]


class TestRead:
    @pytest.mark.parametrize("shape", ["cells", "objects"])
    def test_every_row_of_every_report_as_an_object(self, emu, runner, discovered, reports, shape):
        emu.settings.report_rows = shape
        emu.stats.reset()
        try:
            result = read_reports(emu, runner, discovered)
        finally:
            emu.settings.report_rows = "cells"
        assert result.succeeded, result.error_messages
        for report in reports:
            assert [m for m in result.records[stream_of(report)]] == expected_rows(report), report.name

    def test_pages_carry_limit_alone_then_the_cursor_and_limit_alone(self, emu, runner, discovered, reports):
        emu.stats.reset()
        result = read_reports(emu, runner, discovered)
        assert result.succeeded, result.error_messages
        pages = [entry["query"] for entry in emu.stats.entries("report_rows")]
        reading = [query for query in pages if query.get("limit") != "1"]  # limit=1: the columns, for the schema
        assert {frozenset(query) for query in reading} == {frozenset({"limit"}), frozenset({"limit", "cursor"})}
        overtime = next(r for r in reports if r.name.startswith("Überstunden"))
        assert sum(1 for query in reading if "cursor" in query) == (len(overtime.rows) - 1) // 100
        assert emu.stats.filters_with_cursor == 0


class TestRefusals:
    def test_a_report_not_shared_fails_alone_naming_it(self, emu, runner, discovered, reports):
        hidden, others = reports[0], reports[1:]
        emu.settings.reports_refused = {hidden.id: 403}
        try:
            result = read_reports(emu, runner, discovered)
        finally:
            emu.settings.reports_refused = {}
        assert result.exit_code != 0
        assert set(result.stream_errors) == {stream_of(hidden)}
        message = result.stream_errors[stream_of(hidden)][0]
        assert f"Personio refused the report '{hidden.name}' (id {hidden.id}" in message
        assert "share the report with the credential's owner" in message
        for report in others:
            assert result.records[stream_of(report)] == expected_rows(report)

    def test_without_the_reports_scope_there_are_no_report_streams_and_check_passes(self, emu, runner):
        granted = set(emu.settings.granted_scopes)
        emu.settings.granted_scopes = granted - {"personio:reports:read"}
        try:
            discover = runner.discover(emu.config(sync_reports=True, **FAST))
            check = runner.check(emu.config(sync_reports=True, **FAST))
        finally:
            emu.settings.granted_scopes = granted
        assert len(discover.catalog["streams"]) == len(FACTS.names)
        assert check.connection_status["status"] == "SUCCEEDED"
        logs = "\n".join(log["message"] for log in check.logs)
        assert "No report stream (check passes)" in logs and "personio:reports:read" in logs
