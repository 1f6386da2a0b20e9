"""source-personio end to end: the installed command, run as a subprocess the way the Docker entrypoint runs it,
against the Personio emulator.

Every connector run costs a process start (2-3 s), so runs are made once in module-scoped fixtures and several
tests look at the same run. Each fixture starts its own emulator: the session-wide one of conftest.py is only
read from, and these tests change records and settings. Rate limiting is not under test here (the fault and
invariant suites test it): configs raise the per-endpoint request budgets, which would otherwise make a sync of
every stream last tens of seconds.

- check: succeeds; names bad credentials; names every missing required scope; with recruiting unlicensed and
  the compensations scope missing, succeeds and names what each unreadable optional stream lacks.
- discover: twenty-two streams, their sync modes, cursors and primary keys.
- full refresh of every stream: exactly the emulator's records (updated_at normalised to UTC), compensations
  month by month, breakdowns absence by absence; every reference between the streams resolves; the analytics
  queries (tools/demo/analytics.sql) on DuckDB give the answers the emulator's records give.
- incremental: a second sync from the first one's state returns the changed and created records plus exactly
  those within the lookback before the state, and asks Personio for exactly that range; after a change to an
  absence, a compensation, an application and an employment (its person untouched), it reads each of them,
  asks breakdowns only for the absences it read, and compensations only from the saved month minus one.
- optional streams: a read of every stream without the recruiting module and the compensations scope fails
  those streams, with messages naming the module or scope, and syncs every other stream.
- make demo: on a small company it syncs every stream, every reference resolves, every query is answered.
- deletions: Personio lists none, so only a full refresh drops deleted records.
- whitelisting: a credential that sees no person attribute still syncs persons.
- hygiene: state in UTC `Z` (compensations: a month), never decreasing; no output line carries the client
  secret or an access token.
"""
import random
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import duckdb
import pytest

from tools.demo import analytics
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.settings import ALL_SCOPES as EVERY_EMULATED_SCOPE
from tools.demo.reference_check import REFERENCES, check as check_references, dangling
from tools.sync_runner import RunResult, SourceRunner, configured_catalog, cursor_value, sync_modes

# The windowed lists: the tests of windows, lookback and deletions are about these.
STREAMS = ("persons", "absence_periods", "attendance_periods")
SCOPES = {
    "persons": "personio:persons:read",
    "absence_periods": "personio:absences:read",
    "attendance_periods": "personio:attendances:read",
}
ALL_SCOPES = set(SCOPES.values())  # what check requires

# Every stream, its cursor (None: read whole on every sync) and its primary key.
CURSORS: Dict[str, Optional[str]] = {
    "persons": "updated_at",
    "absence_periods": "updated_at",
    "attendance_periods": "updated_at",
    "person_custom_attributes": "updated_at",
    "employments": "updated_at",
    "absence_period_breakdowns": "absence_period_updated_at",
    "compensations": "month",
    "recruiting_applications": "updated_at",
    "recruiting_candidates": "updated_at",
    "recruiting_application_stage_transitions": "application_updated_at",
    "deletions": "occurred_at",
    "org_units": None,
    "legal_entities": None,
    "workplaces": None,
    "cost_centers": None,
    "jobs": None,
    "salary_bands": None,
    "absence_types": None,
    "projects": None,
    "compensation_types": None,
    "recruiting_jobs": None,
    "recruiting_categories": None,
}
ALL_STREAMS = tuple(CURSORS)
INCREMENTAL_STREAMS = tuple(stream for stream, cursor in CURSORS.items() if cursor)
PRIMARY_KEYS: Dict[str, Tuple[str, ...]] = {
    **{stream: ("id",) for stream in ALL_STREAMS},
    "person_custom_attributes": ("person_id", "id"),
    "absence_period_breakdowns": ("absence_period_id", "date"),
    "compensations": ("id", "month"),
    "org_units": ("type", "id"),
    "recruiting_application_stage_transitions": ("application_id", "id"),
    "deletions": ("stream", "id"),
}
RECRUITING = ("recruiting_applications", "recruiting_candidates", "recruiting_jobs", "recruiting_categories",
              "recruiting_application_stage_transitions")
COMPENSATIONS_SCOPE = "personio:compensations:read"

DEFAULT_LOOKBACK = timedelta(hours=24)  # the spec's default lookback_window_hours
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)

# Request budgets far above what the emulator needs: rate limiting is tested elsewhere.
FAST = {
    "persons_requests_per_second": 1000,
    "periods_requests_per_second": 1000,
    "per_parent_requests_per_second": 1000,
    "other_requests_per_second": 1000,
}
# The emulator's history starts in 2014 (employments); records updated before the start date are not read.
WHOLE_HISTORY = {"start_date": "2010-01-01T00:00:00Z"}

# Small enough to read in seconds with the default windows (most hold a few records)...
COMPANY = {"persons": 60, "absence_periods": 250, "attendance_periods": 600}
# ...and, read in 1000-day windows, several windows per stream with several pages in each (persons come 50 to
# a page, periods 100): the full refresh of every stream reads this one. Its attendance periods are enough for a
# dozen work periods on projects in any one month, which the analytics query of last month's hours needs.
PAGED_COMPANY = {"persons": 200, "absence_periods": 400, "attendance_periods": 3000}
PAGED_WINDOWS = {"window_size_days": 1000, "persons_window_size_days": 1000}
TINY_COMPANY = {"persons": 5, "absence_periods": 10, "attendance_periods": 10}


# -- helpers ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One connector run and everything it wrote, stdout and stderr, for the secret checks."""

    result: RunResult
    output: List[str] = field(default_factory=list, repr=False)
    requests: List[Dict[str, Any]] = field(default_factory=list, repr=False)  # the emulator's log of the run
    started_at: Optional[datetime] = None  # UTC, the connector's "now" is between the two
    ended_at: Optional[datetime] = None

    def records(self, stream: str) -> List[Dict[str, Any]]:
        return self.result.records.get(stream, [])

    def ids(self, stream: str) -> Set[str]:
        return {record["id"] for record in self.records(stream)}

    def keys(self, stream: str) -> Set[Tuple[str, ...]]:
        return {key_of(stream, record) for record in self.records(stream)}

    def requests_to(self, stream: str) -> List[Dict[str, Any]]:
        return [entry for entry in self.requests if entry["endpoint"] == stream]

    def first_pages(self, stream: str) -> List[Dict[str, Any]]:
        """The stream's requests that opened a window or a parent (not a next page)."""
        return [entry for entry in self.requests_to(stream) if "cursor" not in entry["query"]]


def run_connector(emulator: Emulator, command: str, config: Dict[str, Any], **kwargs) -> Run:
    emulator.stats.reset()
    output: List[str] = []
    started_at = datetime.now(timezone.utc)
    result = SourceRunner(timeout=240).run(command, config=config, on_line=output.append, **kwargs)
    output.append(result.stderr)
    return Run(result, output, emulator.stats.entries(), started_at, datetime.now(timezone.utc))


# Every access token the emulators of this module hand out, to look for in the connector's output.
ISSUED_TOKENS: List[str] = []


def start_emulator(**settings) -> Emulator:
    emulator = Emulator(EmulatorSettings(**settings)).start()
    issue = emulator.tokens.issue

    def issue_and_remember(*args, **kwargs) -> str:
        token = issue(*args, **kwargs)
        ISSUED_TOKENS.append(token)
        return token

    emulator.tokens.issue = issue_and_remember
    return emulator


@pytest.fixture(scope="module")
def discovered() -> Dict[str, Any]:
    """The catalog discover returns; configured catalogs are built from it, as Airbyte builds them."""
    with Emulator(EmulatorSettings(seed=1, **TINY_COMPANY)) as emulator:
        run = run_connector(emulator, "discover", emulator.config())
    assert run.result.catalog is not None, (run.result.error_messages, run.result.stderr[-3000:])
    return run.result.catalog


def key_of(stream: str, record: Dict[str, Any]) -> Tuple[str, ...]:
    return tuple(str(record.get(name)) for name in PRIMARY_KEYS[stream])


def instant(value: Any) -> datetime:
    """An RFC 3339 string, or a recruiting timestamp object {"date-time": …, "timezone": …}, as a UTC datetime. A
    date-time without offset is wall time: an object's in its own timezone, a string's in UTC."""
    text = value["date-time"] if isinstance(value, dict) else value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(value["timezone"]) if isinstance(value, dict) else timezone.utc)
    return moment.astimezone(timezone.utc)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def utc_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def updated_at(emulator: Emulator, stream: str, record_id: str) -> datetime:
    return EPOCH + timedelta(microseconds=emulator.company.updated_us(stream, record_id))


def first_window_request(run: Run, stream: str) -> Dict[str, str]:
    """The query of the stream's first request that opened a window (not a next page). The persons endpoint is
    also listed whole, without a window filter, as the parent of employments: that request opens no window."""
    windows = [entry["query"] for entry in run.first_pages(stream)
               if any(name.startswith("updated_at") for name in entry["query"])]
    assert windows, f"no {stream} request in the emulator's log"
    return windows[0]


def parent_of(entry: Dict[str, Any]) -> str:
    """The parent id in a per-parent request's path: /v2/persons/{id}/employments, /v2/absence-periods/{id}/…"""
    return entry["path"].split("?")[0].rstrip("/").split("/")[-2]


def assert_succeeded(run: Run) -> None:
    assert run.result.succeeded, (run.result.exit_code, run.result.error_messages, run.result.stderr[-3000:])


def month_before(month: str) -> str:
    """"2026-03" -> "2026-02"."""
    year, number = int(month[:4]), int(month[5:7])
    return f"{year - 1}-12" if number == 1 else f"{year}-{number - 1:02d}"


def months_through(first: str, last: str) -> List[str]:
    """Every month from `first` to `last`, both included: ("2026-11", "2027-01") -> 2026-11, 2026-12, 2027-01."""
    months = [first]
    while months[-1] < last:
        year, number = int(months[-1][:4]), int(months[-1][5:7])
        months.append(f"{year + 1}-01" if number == 12 else f"{year}-{number + 1:02d}")
    return months


# -- check -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def check_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=2, **TINY_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture
def emulator_for_check(check_emulator) -> Iterator[Emulator]:
    """The check emulator, its credential settings put back after each test."""
    settings = check_emulator.settings
    saved = (set(settings.granted_scopes), settings.auth_error_status, settings.persons_missing_scope_status)
    yield check_emulator
    settings.granted_scopes, settings.auth_error_status, settings.persons_missing_scope_status = saved


@pytest.fixture(scope="module")
def successful_check(check_emulator) -> Run:
    return run_connector(check_emulator, "check", check_emulator.config())


def test_check_succeeds_with_a_credential_holding_every_scope(successful_check):
    assert successful_check.result.exit_code == 0
    assert successful_check.result.connection_status == {"status": "SUCCEEDED"}
    assert {e["endpoint"] for e in successful_check.requests} >= {"token", *STREAMS}
    readable = [log["message"] for log in successful_check.result.logs
                if log["message"].startswith("Optional streams this credential can read")]
    assert readable, "check did not say which optional streams it can read"
    for stream in set(ALL_STREAMS) - set(STREAMS):
        assert stream in readable[0], f"{stream} is not listed as readable: {readable[0]}"


def test_check_takes_one_access_token_for_every_stream_it_probes(successful_check):
    # Personio throttles its token endpoint past 150 calls a minute; one token may serve every request (§1).
    assert len(successful_check.requests_to("token")) == 1


@pytest.mark.parametrize("auth_error_status", [400, 401], ids=["personio-answers-400", "personio-answers-401"])
def test_check_fails_clearly_for_a_wrong_client_secret(emulator_for_check, auth_error_status):
    emulator_for_check.settings.auth_error_status = auth_error_status
    wrong_secret = "wrong-secret-" + "x" * 20

    run = run_connector(emulator_for_check, "check", emulator_for_check.config(client_secret=wrong_secret))

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert "Client ID and Client Secret" in status["message"]
    assert not any(wrong_secret in line for line in run.output)
    assert not [e for e in run.requests if e["endpoint"] in STREAMS], "no data call without a token"


@pytest.mark.parametrize("missing_stream", STREAMS)
def test_check_names_the_one_missing_scope(emulator_for_check, missing_stream):
    missing = SCOPES[missing_stream]
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {missing}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert missing in status["message"]
    for granted in ALL_SCOPES - {missing}:
        assert granted not in status["message"]


def test_check_names_the_persons_scope_when_personio_answers_401(emulator_for_check):
    """The contract's other variant: /v2/persons answers a credential without the persons right with 401."""
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {SCOPES["persons"]}
    emulator_for_check.settings.persons_missing_scope_status = 401

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["persons"] in status["message"], status["message"]


def test_check_names_both_missing_scopes(emulator_for_check):
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {
        SCOPES["absence_periods"], SCOPES["attendance_periods"]}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["absence_periods"] in status["message"]
    assert SCOPES["attendance_periods"] in status["message"]
    assert SCOPES["persons"] not in status["message"]


# -- discover --------------------------------------------------------------------------------------


def test_discover_lists_every_stream_with_its_sync_modes_cursor_and_key(discovered):
    streams = {stream["name"]: stream for stream in discovered["streams"]}

    assert sorted(streams) == sorted(ALL_STREAMS)
    for name, stream in streams.items():
        cursor = CURSORS[name]
        if cursor:
            assert set(stream["supported_sync_modes"]) == {"full_refresh", "incremental"}, name
            assert stream["source_defined_cursor"] is True, name
            assert stream["default_cursor_field"] == [cursor], name
            assert cursor in stream["json_schema"]["properties"], name
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"], name
        assert stream["source_defined_primary_key"] == [[part] for part in PRIMARY_KEYS[name]], name
        assert set(PRIMARY_KEYS[name]) <= set(stream["json_schema"]["properties"]), name


def test_configured_catalog_is_incremental_wherever_a_stream_allows_it(discovered):
    modes = sync_modes(configured_catalog(discovered, "incremental"))

    assert modes == {name: "incremental" if CURSORS[name] else "full_refresh" for name in ALL_STREAMS}
    assert set(sync_modes(configured_catalog(discovered, "full_refresh")).values()) == {"full_refresh"}
    with pytest.raises(ValueError, match="org_units"):
        configured_catalog(discovered, "incremental", strict=True)


# -- full refresh of every stream ------------------------------------------------------------------


@pytest.fixture(scope="module")
def company_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=3, **PAGED_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def full_refresh(company_emulator, discovered) -> Run:
    config = company_emulator.config(**PAGED_WINDOWS, **FAST, **WHOLE_HISTORY)
    run = run_connector(company_emulator, "read", config, catalog=configured_catalog(discovered, "full_refresh"))
    assert_succeeded(run)
    return run


# Fields the connector rewrites to a UTC `Z` string (the same instant), per stream.
REWRITTEN_TIMES = {
    **{stream: ("updated_at",) for stream in ("persons", "absence_periods", "attendance_periods",
                                              "person_custom_attributes", "employments")},
    "absence_period_breakdowns": ("absence_period_updated_at",),
    "recruiting_applications": ("updated_at", "created_at"),
    "recruiting_candidates": ("updated_at", "created_at"),
    "recruiting_application_stage_transitions": ("application_updated_at",),
    "deletions": ("occurred_at",),
}


def held_records(emulator: Emulator, stream: str) -> Dict[Tuple[str, ...], Dict[str, Any]]:
    """What Personio holds, by primary key, as the connector emits it: custom attributes one row per person
    and attribute, breakdown rows labelled with their absence, compensations labelled with their month."""
    company = emulator.company
    if stream == "person_custom_attributes":
        return {
            (person["id"], attribute["id"]): {**attribute, "person_id": person["id"],
                                              "updated_at": person["updated_at"]}
            for person in company.records("persons")
            for attribute in person.get("custom_attributes") or []
        }
    if stream == "absence_period_breakdowns":
        return {
            (absence["id"], row["date"]): {**row, "absence_period_id": absence["id"],
                                           "absence_period_updated_at": absence["updated_at"]}
            for absence in company.records("absence_periods")
            for row in company.breakdowns(absence["id"])
        }
    if stream == "compensations":
        return {
            (record["id"], month): {**record, "month": month}
            for month in company.compensation_months()
            for record in company.compensations(month=month)
        }
    if stream in ("recruiting_application_stage_transitions", "deletions"):
        from integration_tests.test_deletions_and_stage_transitions import held_deletions, held_transitions

        return {key_of(stream, record): record for record in (held_transitions if "stage" in stream else
                                                               held_deletions)(emulator)}
    return {key_of(stream, record): record for record in company.records(stream)}


def comparable(stream: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """The record without the fields compared on their own (rewritten timestamps, what the connector adds) and
    without top-level nulls: the CDK's message serializer omits those (None fields of the message, record data
    included; airbytehq/airbyte#36061), and a destination reads a missing field as null. Nested nulls are kept."""
    left_out = set(REWRITTEN_TIMES.get(stream, ())) | {"created_at_original", "updated_at_original", "parent_chain"}
    return {k: v for k, v in record.items() if v is not None and k not in left_out}


@pytest.mark.parametrize("stream", ALL_STREAMS)
def test_full_refresh_returns_exactly_the_records_personio_holds(company_emulator, full_refresh, stream):
    held = held_records(company_emulator, stream)
    records = full_refresh.records(stream)

    assert held, f"the emulated company holds no {stream}: nothing is compared"
    assert len(records) == len(held), f"{stream}: {len(records)} records read, {len(held)} held (a key read twice?)"
    assert full_refresh.keys(stream) == set(held)
    for record in records:
        expected = held[key_of(stream, record)]
        for name in REWRITTEN_TIMES.get(stream, ()):
            # the fields the connector rewrites: to UTC, the same instant
            assert record[name].endswith("Z"), (stream, name, record[name])
            assert instant(record[name]) == instant(expected[name]), (stream, name, record[name], expected[name])
        for name in ("created_at", "updated_at"):
            if isinstance(expected.get(name), dict):  # a recruiting timestamp object is kept as it came
                assert record[f"{name}_original"] == expected[name]
        assert comparable(stream, record) == comparable(stream, expected)


def test_the_beta_header_reads_the_endpoints_whose_reference_still_asks_for_it(discovered):
    """Personio's reference still documents `Beta: true` on org units, cost centers, workplaces and recruiting; an
    emulator that refuses requests without it (400) is read whole, and every other test (header not required) shows
    the header is harmless where it is not asked for."""
    from tools.personio_emulator.settings import BETA_STREAMS

    with Emulator(EmulatorSettings(seed=8, beta_header_required=True, **TINY_COMPANY)) as emulator:
        streams = sorted(BETA_STREAMS)
        run = run_connector(emulator, "read", emulator.config(**FAST),
                            catalog=configured_catalog(discovered, "full_refresh", streams))

        assert_succeeded(run)
        for stream in streams:
            assert run.keys(stream) == set(held_records(emulator, stream)), stream


def test_full_refresh_keeps_the_exact_updated_at_instants(company_emulator, full_refresh):
    for stream in (*STREAMS, "employments", "recruiting_applications", "recruiting_candidates"):
        for record in full_refresh.records(stream):
            assert micros(instant(record["updated_at"])) == company_emulator.company.updated_us(stream, record["id"])


def test_full_refresh_pages_through_every_window_without_an_error(full_refresh):
    assert {entry["status"] for entry in full_refresh.requests} == {200}
    for stream in STREAMS:
        requests = [entry["query"] for entry in full_refresh.requests_to(stream)]
        windows = [query for query in requests if "cursor" not in query]
        pages = [query for query in requests if "cursor" in query]
        assert len(windows) >= 3 and pages, f"{stream}: the company is too small to test windows and pages"
    # a next page of any stream carries its opaque cursor and the page size, never the filters again
    for stream in ALL_STREAMS:
        pages = [entry["query"] for entry in full_refresh.requests_to(stream) if "cursor" in entry["query"]]
        assert all(set(query) <= {"cursor", "limit"} for query in pages), (stream, pages)


def test_full_refresh_of_every_stream_takes_one_access_token(full_refresh):
    # Every stream, every parent list (persons for employments, absences for breakdowns) and every worker thread
    # uses the same token: Personio throttles its token endpoint past 150 calls a minute (contract §1).
    read = {stream for stream in ALL_STREAMS if full_refresh.requests_to(stream)}
    assert read == set(ALL_STREAMS) - {"person_custom_attributes"}  # that one is read from the persons endpoint
    assert len(full_refresh.requests_to("token")) == 1


def test_full_refresh_asks_each_person_for_employments_once(company_emulator, full_refresh):
    asked = Counter(parent_of(entry) for entry in full_refresh.first_pages("employments"))

    assert set(asked) == set(company_emulator.company.ids("persons"))
    assert set(asked.values()) == {1}


def test_full_refresh_reads_each_absence_breakdown_once(company_emulator, full_refresh):
    company = company_emulator.company
    asked = Counter(parent_of(entry) for entry in full_refresh.first_pages("absence_period_breakdowns"))
    rows = defaultdict(list)
    for record in full_refresh.records("absence_period_breakdowns"):
        rows[record["absence_period_id"]].append({"date": record["date"],
                                                  "effective_duration": record["effective_duration"]})

    assert set(asked) == set(company.ids("absence_periods")) and set(asked.values()) == {1}
    for absence_id in company.ids("absence_periods"):
        assert rows[absence_id] == company.breakdowns(absence_id), absence_id
    # open-ended absences have 30 rows, more than a page of 28: their second page was followed
    assert any(len(rows[absence_id]) > 28 for absence_id in rows)


def test_full_refresh_reads_compensations_one_calendar_month_at_a_time(company_emulator, full_refresh):
    company = company_emulator.company
    read = defaultdict(set)
    for record in full_refresh.records("compensations"):
        read[record["month"]].add((record["id"], record["amount"]["value"]))
    windows = sorted((entry["query"] for entry in full_refresh.first_pages("compensations")),
                     key=lambda query: query["start_date"])

    for month in company.compensation_months():
        held = {(record["id"], record["amount"]["value"]) for record in company.compensations(month=month)}
        assert read[month] == held, month
    assert set(read) == set(company.compensation_months())
    # from the first to the last day of a calendar month; the current month up to today
    for query in windows[:-1]:
        start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
        assert start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month, query
    assert windows[0]["start_date"] == "2010-01-01"
    today = datetime.now(timezone.utc).date()  # the connector's clock is UTC
    assert windows[-1]["start_date"] == today.replace(day=1).isoformat()
    assert windows[-1]["end_date"] == today.isoformat()
    assert len(windows) == len({query["start_date"] for query in windows}), "a month asked twice"


# -- joins -----------------------------------------------------------------------------------------


def test_every_reference_resolves_after_a_full_sync_of_every_stream(full_refresh):
    results = check_references(full_refresh.result.records)

    assert [str(result.reference) for result in results if not result.checked] == []
    assert dangling(results) == {}
    assert [str(result.reference) for result in results if result.resolved == 0] == [], "references never used"


def test_the_reference_check_names_what_does_not_resolve(full_refresh):
    """The control for the test above: without one person and one project, what points at them dangles."""
    records = dict(full_refresh.result.records)
    person, project = records["persons"][0], next(
        p for p in records["projects"] if any((a.get("project") or {}).get("id") == p["id"]
                                              for a in records["attendance_periods"]))
    records["persons"] = records["persons"][1:]
    records["projects"] = [p for p in records["projects"] if p is not project]

    found = dangling(check_references(records))

    assert "employments.person.id -> persons" in found
    assert all(d.value == (person["id"],) for d in found["employments.person.id -> persons"])
    assert {d.value for d in found["attendance_periods.project.id -> projects"]} == {(project["id"],)}
    assert "compensations.type.id -> compensation_types" not in found


def test_references_match_org_units_on_type_and_id_and_ids_as_text():
    """A department and a team may share an id, so an org unit is found by both; an id sent as a number on one
    endpoint and as text on another still joins, as it does after a destination's cast."""
    records = {
        "org_units": [{"type": "department", "id": 7, "name": "Sales"},
                      {"type": "team", "id": "8", "parent": {"type": "department", "id": "7"}}],
        "employments": [{"id": "e1", "org_units": [{"type": "department", "id": "7"}, {"type": "team", "id": 8}]},
                        {"id": "e2", "org_units": [{"type": "team", "id": "7"}]}],
    }
    references = [reference for reference in REFERENCES if reference.target == "org_units"]

    results = {str(result.reference): result for result in check_references(records, references)}

    employments = results["employments.org_units[].(type, id) -> org_units"]
    assert employments.resolved == 2
    assert [(d.record, d.value) for d in employments.dangling] == [("e2", ("team", "7"))]
    assert results["org_units.parent.(type, id) -> org_units"].resolved == 1
    assert "1 DANGLING (e2 -> team/7)" in employments.line()


def test_a_reference_to_a_stream_not_synced_is_reported_as_not_checked():
    results = check_references({"employments": [{"id": "e1", "job": {"id": "1"}}]})

    jobs = next(result for result in results if str(result.reference) == "employments.job.id -> jobs")
    assert not jobs.checked and jobs.line() == "employments.job.id -> jobs: not checked (jobs not synced)"
    assert dangling(results) == {}


def test_the_reference_list_covers_every_stream():
    covered = {reference.stream for reference in REFERENCES} | {reference.target for reference in REFERENCES}

    assert covered == set(ALL_STREAMS) - {"deletions"}  # what it names is gone: nothing to resolve


# -- analytics -------------------------------------------------------------------------------------


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


def expected_median_days_to_hire(company, today: date) -> List[tuple]:
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


# -- the local-time variant of the period filters --------------------------------------------------


def test_full_refresh_reads_the_latest_changes_when_personio_reads_filter_times_in_local_time(discovered):
    """Period filters carry no offset (attendance periods reject one), and the contract leaves open in which
    zone Personio reads them. Read in the company's zone (Europe/Berlin, UTC+1 or +2), a window that ends
    "now" in UTC ends an hour or two early: the changes of the last hour(s) must still be read."""
    emulator = start_emulator(seed=6, naive_filter_timezone="Europe/Berlin", **TINY_COMPANY)
    try:
        changed = {stream: emulator.company.update(stream, count=2) for stream in STREAMS}  # updated now

        windowed_catalog = configured_catalog(discovered, "full_refresh", STREAMS)
        run = run_connector(emulator, "read", emulator.config(**FAST), catalog=windowed_catalog)

        assert_succeeded(run)
        for stream in STREAMS:
            missed = set(changed[stream]) - run.ids(stream)
            assert run.ids(stream) == set(emulator.company.ids(stream)), f"{stream}: missed the changes {missed}"
    finally:
        emulator.stop()


# -- incremental -----------------------------------------------------------------------------------


@dataclass
class IncrementalScenario:
    """A first sync of every stream, changes in Personio, then second syncs from the first one's state."""

    emulator: Emulator
    state_instant: datetime  # newest updated_at before the changes: what the first sync saves
    at_state: Dict[str, str]  # the record placed at the state instant itself
    inside_lookback: Dict[str, List[str]]  # placed at or after state - 24 h (the one at the state included)
    outside_lookback: Dict[str, List[str]]  # placed just before state - 24 h
    first: Run = None
    updated: Dict[str, List[str]] = field(default_factory=dict)
    created: Dict[str, List[str]] = field(default_factory=dict)
    deleted: Dict[str, List[str]] = field(default_factory=dict)
    employment: str = ""  # changed, its person not
    application: str = ""
    compensation: Tuple[str, str, float] = ("", "", 0.0)  # id, month "YYYY-MM", the new amount
    without_lookback: Run = None  # lookback_window_hours=0
    default_lookback: Run = None  # lookback_window_hours unset: 24
    full_refresh_after: Run = None

    def changed(self, stream: str) -> Set[str]:
        return set(self.updated[stream]) | set(self.created[stream])

    def unchanged_within(self, stream: str, lookback: timedelta) -> Set[str]:
        """Records not changed between the syncs whose updated_at lies in [state - lookback, state]."""
        lower = self.state_instant - lookback
        return {
            record_id
            for record_id in self.emulator.company.ids(stream)
            if record_id not in self.changed(stream)
            and lower <= updated_at(self.emulator, stream, record_id) <= self.state_instant
        }


def _place(emulator: Emulator, stream: str, record_id: str, moment: datetime, offset_hours: int = 0) -> None:
    """Give a record this updated_at, written with the given UTC offset (persons always come in UTC)."""
    local = moment.astimezone(timezone(timedelta(hours=offset_hours)))
    text = local.isoformat().replace("+00:00", "Z")
    emulator.company.update(stream, record_id=record_id, at=text)


@pytest.fixture(scope="module")
def incremental(discovered) -> Iterator[IncrementalScenario]:
    now = datetime.now(timezone.utc)
    state_instant = whole_second(now - timedelta(hours=6))
    # generated history ends two days before the state, so the lookback holds only the records placed below
    emulator = start_emulator(seed=4, data_end=(state_instant - timedelta(days=2)).replace(tzinfo=None), **COMPANY)
    company = emulator.company
    rng = random.Random(4)
    scenario = IncrementalScenario(emulator, state_instant, {}, {}, {})
    edge = state_instant - DEFAULT_LOOKBACK
    for stream in STREAMS:
        ids = rng.sample(company.ids(stream), 9)
        inside = [(state_instant, 0), (edge, 0), (edge + SECOND, 0), (state_instant - timedelta(hours=1), 2)]
        outside = [(edge - SECOND, 0), (edge - timedelta(hours=6), -5)]
        if stream != "persons":  # periods carry fractions of a second; persons whole seconds
            inside.append((edge + timedelta(milliseconds=500), 0))
            outside.append((edge - timedelta(milliseconds=500), 2))
        for record_id, (moment, offset) in zip(ids, inside + outside):
            _place(emulator, stream, record_id, moment, offset)
        scenario.at_state[stream] = ids[0]
        scenario.inside_lookback[stream] = ids[: len(inside)]
        scenario.outside_lookback[stream] = ids[len(inside): len(inside) + len(outside)]

    incremental_catalog = configured_catalog(discovered, "incremental")
    config = emulator.config(**FAST, **WHOLE_HISTORY)
    scenario.first = run_connector(emulator, "read", config, catalog=incremental_catalog)
    assert_succeeded(scenario.first)

    placed = {s: set(scenario.inside_lookback[s]) | set(scenario.outside_lookback[s]) for s in STREAMS}
    for stream in STREAMS:
        untouched = sorted(set(company.ids(stream)) - placed[stream])
        chosen = rng.sample(untouched, 5)
        scenario.updated[stream] = [company.update(stream, record_id=i)[0] for i in chosen[:3]]
        scenario.created[stream] = company.create(stream, count=2)
        scenario.deleted[stream] = chosen[3:]
        for record_id in scenario.deleted[stream]:
            assert company.delete(stream, record_id)
    # The emulator dates a created person's employments years back, before the person existed; Personio creates
    # them with the person. Stamped now, as Personio would, or no incremental sync could see them.
    for person in scenario.created["persons"]:
        for employment in company.employments(person):
            company.update("employments", record_id=employment["id"])

    # Beyond the windowed lists: an employment whose person stays as it was, an application, and a compensation
    # of the month before the saved one (last month's pay is what gets corrected).
    persons_touched = placed["persons"] | scenario.changed("persons") | set(scenario.deleted["persons"])
    employments = [e for e in company.records("employments") if e["person"]["id"] not in persons_touched]
    scenario.employment = company.update("employments", record_id=rng.choice(employments)["id"])[0]
    scenario.application = company.update("recruiting_applications", record_id=rng.choice(
        company.ids("recruiting_applications")))[0]
    saved_month = cursor_value(scenario.first.result.states["compensations"])[:7]
    month = month_before(saved_month) if month_before(saved_month) in company.compensation_months() else saved_month
    compensation = rng.choice(company.compensations(month=month))
    company.update("compensations", record_id=compensation["id"], month=month)
    scenario.compensation = (compensation["id"], month, round(compensation["amount"]["value"] + 100, 2))

    state = scenario.first.result.final_state
    scenario.without_lookback = run_connector(
        emulator, "read", {**config, "lookback_window_hours": 0}, catalog=incremental_catalog, state=state
    )
    scenario.default_lookback = run_connector(emulator, "read", config, catalog=incremental_catalog, state=state)
    scenario.full_refresh_after = run_connector(
        emulator, "read", config, catalog=configured_catalog(discovered, "full_refresh", STREAMS)
    )
    yield scenario
    emulator.stop()


def test_first_incremental_sync_reads_everything_and_saves_the_newest_updated_at(incremental):
    assert_succeeded(incremental.first)
    assert set(incremental.first.result.record_counts) == set(ALL_STREAMS)
    for stream in STREAMS:
        held_then = set(incremental.emulator.company.ids(stream)) - set(incremental.created[stream])
        assert incremental.first.ids(stream) == held_then | set(incremental.deleted[stream])
        assert cursor_value(incremental.first.result.states[stream]) == utc_z(incremental.state_instant)


def test_first_incremental_sync_saves_state_for_every_incremental_stream(incremental):
    states = incremental.first.result.states

    for stream in INCREMENTAL_STREAMS:
        assert cursor_value(states.get(stream)), (stream, states.get(stream))
    for stream in ("employments", "absence_period_breakdowns"):  # one cursor for all parents
        assert states[stream]["use_global_cursor"] is True, states[stream]
    # the absences read as breakdowns' parents keep 0.3.0's one value; the absence_periods stream its finished windows
    assert cursor_value(states["absence_period_breakdowns"]["parent_state"]["absence_periods"]) == cursor_value(
        states["absence_periods"])
    for stream in ("persons", "absence_periods", "attendance_periods", "compensations", "recruiting_applications"):
        assert states[stream]["state_type"] == "date-range", states[stream]
    assert date.fromisoformat(cursor_value(states["compensations"])).day == 1


@pytest.mark.parametrize("stream", STREAMS)
def test_incremental_without_lookback_returns_the_changed_records(incremental, stream):
    """Exactly the updated and created records, plus what shares the state's instant: the lower bound is
    inclusive, since another record may have been written at that instant after the first sync."""
    run = incremental.without_lookback
    assert_succeeded(run)

    at_the_state = incremental.unchanged_within(stream, timedelta(0))
    assert at_the_state == {incremental.at_state[stream]}
    assert run.ids(stream) == incremental.changed(stream) | at_the_state


@pytest.mark.parametrize("stream", STREAMS)
def test_incremental_with_default_lookback_adds_exactly_the_records_within_it(incremental, stream):
    run = incremental.default_lookback
    assert_succeeded(run)

    within = incremental.unchanged_within(stream, DEFAULT_LOOKBACK)
    assert within == set(incremental.inside_lookback[stream])  # the placed records, edge included
    assert run.ids(stream) == incremental.changed(stream) | within
    assert not run.ids(stream) & set(incremental.outside_lookback[stream])


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("lookback", [timedelta(0), DEFAULT_LOOKBACK], ids=["no-lookback", "default-lookback"])
def test_incremental_asks_personio_from_state_minus_lookback(incremental, stream, lookback):
    run = incremental.without_lookback if lookback == timedelta(0) else incremental.default_lookback
    lower = incremental.state_instant - lookback

    query = first_window_request(run, stream)

    if stream == "persons":  # only the strict updated_at.gt exists: one second earlier, in UTC
        assert query.get("updated_at.gt") == utc_z(lower - SECOND)
    else:  # inclusive, UTC wall time without offset (attendance periods reject one)
        assert query.get("updated_at.gte") == lower.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("lookback", ["no-lookback", "default-lookback"])
def test_incremental_asks_breakdowns_only_for_the_absences_it_reads(incremental, lookback):
    """The changed absences (and those within the lookback) are asked for their breakdowns, no other: the
    absences' own state rides in the breakdowns' state."""
    run = incremental.without_lookback if lookback == "no-lookback" else incremental.default_lookback
    company = incremental.emulator.company
    asked = Counter(parent_of(entry) for entry in run.first_pages("absence_period_breakdowns"))

    assert set(asked) == run.ids("absence_periods") and set(asked.values()) == {1}
    assert incremental.changed("absence_periods") <= set(asked)
    assert len(asked) < len(incremental.first.first_pages("absence_period_breakdowns")) / 10
    for absence_id in incremental.changed("absence_periods"):  # an update moved ends_at: the rows followed
        rows = [{"date": r["date"], "effective_duration": r["effective_duration"]}
                for r in run.records("absence_period_breakdowns") if r["absence_period_id"] == absence_id]
        assert rows == company.breakdowns(absence_id), absence_id


def test_incremental_reads_compensations_from_the_month_before_the_saved_one_up_to_this_month(incremental):
    """The rule as docs/streams.md states it; the saved month and this month differ whenever the clock has moved into a
    month the emulator's data does not reach, so both are taken from the run, never assumed equal."""
    run = incremental.default_lookback
    saved_month = cursor_value(incremental.first.result.states["compensations"])[:7]
    record_id, month, amount = incremental.compensation

    asked = sorted(entry["query"]["start_date"][:7] for entry in run.first_pages("compensations"))

    # The run may have started in one month and ended in the next (a sync across midnight on the last day).
    this_month_at_start, this_month_at_end = (run.started_at.strftime("%Y-%m"), run.ended_at.strftime("%Y-%m"))
    assert asked in (months_through(month_before(saved_month), this_month_at_start),
                     months_through(month_before(saved_month), this_month_at_end))
    assert {record["month"] for record in run.records("compensations")} <= set(asked)
    changed = [r for r in run.records("compensations") if r["id"] == record_id and r["month"] == month]
    assert [r["amount"]["value"] for r in changed] == [amount]
    assert len(incremental.first.first_pages("compensations")) > 12, "the first sync read many more months"


def _read_since_the_request(run: Run, incremental, stream: str) -> Set[str]:
    """The records of `stream` Personio holds updated strictly after the lower bound the run asked with
    (updated_at.gt, one filter for the whole stream)."""
    bounds = {entry["query"].get("updated_at.gt") for entry in run.first_pages(stream)}
    assert len(bounds) == 1 and None not in bounds, bounds
    lower = micros(instant(bounds.pop()))
    company = incremental.emulator.company
    return {record_id for record_id in company.ids(stream) if company.updated_us(stream, record_id) > lower}


def test_incremental_reads_a_changed_employment_although_its_person_did_not_change(incremental):
    run = incremental.default_lookback
    changed = incremental.emulator.company.get("employments", incremental.employment)
    saved = instant(incremental.first.result.states["employments"]["state"]["updated_at"])

    asked = Counter(parent_of(entry) for entry in run.first_pages("employments"))
    lower = instant(first_window_request(run, "employments")["updated_at.gt"])

    assert incremental.employment in run.ids("employments")
    assert changed["person"]["id"] not in run.ids("persons")
    assert set(asked) == set(incremental.emulator.company.ids("persons"))  # every person, every sync
    assert lower <= saved - DEFAULT_LOOKBACK - SECOND  # from the saved state minus the lookback
    assert lower >= saved - DEFAULT_LOOKBACK - timedelta(minutes=10)
    assert run.ids("employments") == _read_since_the_request(run, incremental, "employments")


def test_incremental_reads_a_changed_application_and_the_lookback(incremental):
    run = incremental.default_lookback
    saved = instant(cursor_value(incremental.first.result.states["recruiting_applications"]))
    lower = instant(first_window_request(run, "recruiting_applications")["updated_at.gt"])

    assert incremental.application in run.ids("recruiting_applications")
    assert lower == saved - DEFAULT_LOOKBACK - SECOND
    assert run.ids("recruiting_applications") == _read_since_the_request(run, incremental, "recruiting_applications")
    assert len(run.ids("recruiting_applications")) < len(incremental.first.ids("recruiting_applications"))


def destination_tables(catalog: Dict[str, Any], *runs: Run) -> Dict[str, List[Dict[str, Any]]]:
    """What a destination holds after the runs, in order: incremental streams appended and deduplicated by
    primary key (the latest record wins), full-refresh streams overwritten by the latest run."""
    tables = {}
    for entry in catalog["streams"]:
        stream = entry["stream"]["name"]
        reads = runs if entry["sync_mode"] == "incremental" else runs[-1:]
        tables[stream] = list({key_of(stream, r): r for run in reads for r in run.records(stream)}.values())
    return tables


def test_references_resolve_in_the_tables_after_an_incremental_sync(incremental, discovered):
    """Created persons bring employments, changed absences new breakdown rows: the tables a destination holds
    after the first sync and an incremental one still join up."""
    tables = destination_tables(configured_catalog(discovered, "incremental"), incremental.first,
                                incremental.default_lookback)

    results = check_references(tables)

    assert dangling(results) == {}
    assert all(result.checked for result in results)
    created = {e["id"] for p in incremental.created["persons"] for e in incremental.emulator.company.employments(p)}
    assert created and created <= {e["id"] for e in tables["employments"]}


def test_deletions_reach_the_destination_only_through_a_full_refresh(incremental):
    """Expected behaviour, not a bug: Personio lists no deleted records, so an incremental sync cannot report
    a deletion and the destination keeps the record until the next full refresh."""
    assert_succeeded(incremental.full_refresh_after)
    for stream in STREAMS:
        deleted = set(incremental.deleted[stream])
        assert deleted <= incremental.first.ids(stream)
        assert not deleted & incremental.default_lookback.ids(stream)
        assert incremental.full_refresh_after.ids(stream) == set(incremental.emulator.company.ids(stream))
        assert not deleted & incremental.full_refresh_after.ids(stream)


# -- optional streams --------------------------------------------------------------------------------


# The streams a company without the recruiting module and a credential without the compensations scope cannot
# read, and what their messages must name.
UNREADABLE = {
    **{stream: "Recruiting" for stream in RECRUITING},
    "compensations": COMPENSATIONS_SCOPE,
    "compensation_types": COMPENSATIONS_SCOPE,
}


@pytest.fixture(scope="module")
def restricted_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=7, unlicensed_modules=set(RECRUITING),
                              granted_scopes=set(EVERY_EMULATED_SCOPE) - {COMPENSATIONS_SCOPE}, **TINY_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def restricted_check(restricted_emulator) -> Run:
    return run_connector(restricted_emulator, "check", restricted_emulator.config(**FAST))


@pytest.fixture(scope="module")
def restricted_read(restricted_emulator, discovered) -> Run:
    config = restricted_emulator.config(**FAST, **WHOLE_HISTORY)
    return run_connector(restricted_emulator, "read", config, catalog=configured_catalog(discovered, "incremental"))


def test_check_succeeds_without_the_optional_streams_and_names_what_each_lacks(restricted_check):
    assert restricted_check.result.connection_status == {"status": "SUCCEEDED"}
    logs = [log["message"] for log in restricted_check.result.logs]
    readable = next(line for line in logs if line.startswith("Optional streams this credential can read"))

    for stream, lacking in UNREADABLE.items():
        said = [line for line in logs if "not readable" in line and f"{stream}:" in line]
        assert said, f"check did not name {stream}: {logs}"
        assert lacking in said[0], said[0]
        assert f" {stream}," not in readable + "," and f" {stream}." not in readable
    for stream in set(ALL_STREAMS) - set(STREAMS) - set(UNREADABLE):
        assert stream in readable, readable


def test_read_fails_only_the_unreadable_streams_naming_the_module_or_scope(restricted_read):
    result = restricted_read.result

    assert result.exit_code != 0
    assert set(result.stream_errors) == set(UNREADABLE)
    for stream, lacking in UNREADABLE.items():
        assert result.stream_status.get(stream) == "INCOMPLETE", stream
        assert any(lacking in message for message in result.stream_errors[stream]), result.stream_errors[stream]
        assert not result.record_counts.get(stream)
    for stream in set(ALL_STREAMS) - set(UNREADABLE):
        assert result.stream_status.get(stream) == "COMPLETE", (stream, result.stream_status.get(stream))
        assert result.record_counts.get(stream), f"no records for {stream}"
        if CURSORS[stream]:
            assert cursor_value(result.states.get(stream)), f"no state for {stream}"


def test_read_is_refused_only_by_the_unreadable_endpoints(restricted_read):
    refused = Counter(entry["endpoint"] for entry in restricted_read.requests if entry["status"] != 200)

    # stage transitions are not asked for once their parent list is refused
    assert set(refused) == set(UNREADABLE) - {"recruiting_application_stage_transitions"}
    assert {entry["status"] for entry in restricted_read.requests if entry["status"] != 200} == {403, 404}


# -- whitelisting ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whitelisting_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=5, whitelisted_person_attributes=set(), **COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def persons_without_attributes(whitelisting_emulator, discovered) -> Run:
    config = whitelisting_emulator.config(**FAST)
    persons_catalog = configured_catalog(discovered, "incremental", ["persons"])
    return run_connector(whitelisting_emulator, "read", config, catalog=persons_catalog)


def test_persons_sync_when_the_credential_whitelists_no_attribute(whitelisting_emulator, persons_without_attributes):
    run = persons_without_attributes
    assert_succeeded(run)

    assert run.ids("persons") == set(whitelisting_emulator.company.ids("persons"))
    for record in run.records("persons"):
        assert set(record) <= {"id", "employments", "_meta", "updated_at"}
        assert record.get("updated_at") is None
        assert record["employments"] and record["_meta"]


# -- state and secrets ------------------------------------------------------------------------------


def _all_reads(incremental, full_refresh, persons_without_attributes) -> Dict[str, Run]:
    return {
        "full refresh": full_refresh,
        "first incremental": incremental.first,
        "incremental without lookback": incremental.without_lookback,
        "incremental with default lookback": incremental.default_lookback,
        "full refresh after changes": incremental.full_refresh_after,
        "persons without attributes": persons_without_attributes,
    }


def test_state_is_utc_and_never_decreases_within_a_sync(incremental, full_refresh, persons_without_attributes):
    for name, run in _all_reads(incremental, full_refresh, persons_without_attributes).items():
        assert run.result.state_history, f"{name}: no state emitted"
        for stream, history in run.result.state_history.items():
            values = [cursor_value(state) for state in history]
            values = [value for value in values if value is not None]  # streams read whole keep no cursor
            if stream == "compensations":  # a calendar month's first day
                assert all(date.fromisoformat(value).day == 1 for value in values), (name, values)
                assert values == sorted(values), (name, stream, values)
                continue
            assert all(value.endswith("Z") for value in values), (name, stream, values)
            instants = [instant(value) for value in values]
            assert instants == sorted(instants), (name, stream, values)


def test_state_after_a_sync_is_the_newest_updated_at_it_read(incremental):
    for run in (incremental.without_lookback, incremental.default_lookback):
        for stream in STREAMS:
            newest = max(instant(record["updated_at"]) for record in run.records(stream))
            assert cursor_value(run.result.states[stream]) == utc_z(whole_second(newest))


def test_no_output_carries_the_client_secret_or_an_access_token(
    incremental, full_refresh, persons_without_attributes, successful_check, restricted_read
):
    runs = {**_all_reads(incremental, full_refresh, persons_without_attributes), "check": successful_check,
            "read without optional streams": restricted_read}
    secret = incremental.emulator.client_secret
    tokens = list(ISSUED_TOKENS)
    assert tokens, "the emulators issued no token: nothing was looked for"

    for name, run in runs.items():
        for line in run.output:
            assert secret not in line, f"{name} printed the client secret"
            leaked = [token for token in tokens if token in line]
            assert not leaked, f"{name} printed an access token"


# -- make demo ---------------------------------------------------------------------------------------


def test_make_demo_syncs_every_stream_joins_them_and_answers_the_questions(tmp_path, capsys):
    """`make demo` on a small company: both reads cover every stream, the summary lists each, every reference
    resolves, and the answers of every query in tools/demo/analytics.sql are printed from the DuckDB file it writes."""
    from tools.demo import sync_and_answer as demo

    code = demo.main(["--emulator", "--persons", "30", "--absence-periods", "60", "--attendance-periods", "400",
                      "--output", str(tmp_path)])

    printed = capsys.readouterr().out
    assert code == 0, printed[-4000:]
    for stream in ALL_STREAMS:
        assert (tmp_path / f"{stream}.jsonl").stat().st_size > 0, f"the full read wrote no {stream}"
        assert (tmp_path / "incremental" / f"{stream}.jsonl").exists()
        mode = "incr." if CURSORS[stream] else "full"
        assert f"{stream} ({mode})" in printed, f"{stream} is missing from the summary"
    assert printed.count("references resolved") == len(REFERENCES), printed
    assert "DANGLING" not in printed and "PROBLEM" not in printed
    for query in analytics.queries():
        assert query.title in printed
    with duckdb.connect(str(tmp_path / demo.DATABASE), read_only=True) as connection:
        tables = {row[0] for row in connection.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert tables == set(ALL_STREAMS)
