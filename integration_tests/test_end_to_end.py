"""source-personio end to end: the installed command, run as a subprocess the way the Docker entrypoint runs it,
against the Personio emulator.

Every connector run costs a process start (2-3 s), so runs are made once in module-scoped fixtures and several
tests look at the same run. Each fixture starts its own emulator: the session-wide one of conftest.py is only
read from, and these tests change records and settings.

- check: succeeds; names bad credentials; names every missing scope.
- discover: three streams, both sync modes, cursor updated_at, primary key id.
- full refresh: exactly the emulator's records, with updated_at normalised to UTC.
- incremental: a second sync from the first one's state returns the changed and created records plus exactly
  those within the lookback before the state, and asks Personio for exactly that range.
- deletions: Personio lists none, so only a full refresh drops deleted records.
- whitelisting: a credential that sees no person attribute still syncs persons.
- hygiene: state in UTC `Z`, never decreasing; no output line carries the client secret or an access token.
"""
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List, Set

import pytest

from tools.personio_emulator import Emulator, EmulatorSettings
from tools.sync_runner import RunResult, SourceRunner, configured_catalog

STREAMS = ("persons", "absence_periods", "attendance_periods")
SCOPES = {
    "persons": "personio:persons:read",
    "absence_periods": "personio:absences:read",
    "attendance_periods": "personio:attendances:read",
}
ALL_SCOPES = set(SCOPES.values())
DEFAULT_LOOKBACK = timedelta(hours=24)  # the spec's default lookback_window_hours
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SECOND = timedelta(seconds=1)

# Small enough to read in seconds with the default windows (most hold a few records)...
COMPANY = {"persons": 60, "absence_periods": 250, "attendance_periods": 600}
# ...and, read in 1000-day windows, several windows per stream with several pages in each (persons come 50 to
# a page, periods 100): the full refresh reads this one.
PAGED_COMPANY = {"persons": 200, "absence_periods": 400, "attendance_periods": 800}
PAGED_WINDOWS = {"window_size_days": 1000, "persons_window_size_days": 1000}
TINY_COMPANY = {"persons": 5, "absence_periods": 10, "attendance_periods": 10}


# -- helpers ---------------------------------------------------------------------------------------


@dataclass
class Run:
    """One connector run and everything it wrote, stdout and stderr, for the secret checks."""

    result: RunResult
    output: List[str] = field(default_factory=list, repr=False)
    requests: List[Dict[str, Any]] = field(default_factory=list, repr=False)  # the emulator's log of the run

    def records(self, stream: str) -> List[Dict[str, Any]]:
        return self.result.records.get(stream, [])

    def ids(self, stream: str) -> Set[str]:
        return {record["id"] for record in self.records(stream)}


def run_connector(emulator: Emulator, command: str, config: Dict[str, Any], **kwargs) -> Run:
    emulator.stats.reset()
    output: List[str] = []
    result = SourceRunner(timeout=240).run(command, config=config, on_line=output.append, **kwargs)
    output.append(result.stderr)
    return Run(result, output, emulator.stats.entries())


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


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def utc_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_second(moment: datetime) -> datetime:
    return moment.replace(microsecond=0)


def updated_at(emulator: Emulator, stream: str, record_id: str) -> datetime:
    return EPOCH + timedelta(microseconds=emulator.company.updated_us(stream, record_id))


def first_window_request(run: Run, stream: str) -> Dict[str, str]:
    """The query of the stream's first request that opened a window (not a next page)."""
    windows = [e["query"] for e in run.requests if e["endpoint"] == stream and "cursor" not in e["query"]]
    assert windows, f"no {stream} request in the emulator's log"
    return windows[0]


def assert_succeeded(run: Run) -> None:
    assert run.result.succeeded, (run.result.exit_code, run.result.error_messages, run.result.stderr[-3000:])


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
    emulator_for_check.settings.granted_scopes = ALL_SCOPES - {missing}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert missing in status["message"]
    for granted in ALL_SCOPES - {missing}:
        assert granted not in status["message"]


def test_check_names_the_persons_scope_when_personio_answers_401(emulator_for_check):
    """The contract's other variant: /v2/persons answers a credential without the persons right with 401."""
    emulator_for_check.settings.granted_scopes = ALL_SCOPES - {SCOPES["persons"]}
    emulator_for_check.settings.persons_missing_scope_status = 401

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["persons"] in status["message"], status["message"]


def test_check_names_both_missing_scopes(emulator_for_check):
    emulator_for_check.settings.granted_scopes = {SCOPES["persons"]}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["absence_periods"] in status["message"]
    assert SCOPES["attendance_periods"] in status["message"]
    assert SCOPES["persons"] not in status["message"]


# -- discover --------------------------------------------------------------------------------------


def test_discover_lists_three_incremental_streams_keyed_by_id(discovered):
    streams = {stream["name"]: stream for stream in discovered["streams"]}

    assert set(streams) == set(STREAMS)
    for stream in streams.values():
        assert set(stream["supported_sync_modes"]) == {"full_refresh", "incremental"}
        assert stream["source_defined_cursor"] is True
        assert stream["default_cursor_field"] == ["updated_at"]
        assert stream["source_defined_primary_key"] == [["id"]]
        assert {"id", "updated_at"} <= set(stream["json_schema"]["properties"])


# -- full refresh ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def company_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=3, **PAGED_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def full_refresh(company_emulator, discovered) -> Run:
    config = company_emulator.config(**PAGED_WINDOWS)
    run = run_connector(company_emulator, "read", config, catalog=configured_catalog(discovered, "full_refresh"))
    assert_succeeded(run)
    return run


@pytest.mark.parametrize("stream", STREAMS)
def test_full_refresh_returns_exactly_the_records_personio_holds(company_emulator, full_refresh, stream):
    expected = {record["id"]: record for record in company_emulator.company.records(stream)}
    records = full_refresh.records(stream)

    assert full_refresh.ids(stream) == set(expected)
    for record in records:
        held = expected[record["id"]]
        # updated_at is the one field the connector rewrites: to UTC, the same instant
        assert record["updated_at"].endswith("Z"), record["updated_at"]
        assert micros(instant(record["updated_at"])) == company_emulator.company.updated_us(stream, record["id"])
        assert without_nulls(record, "updated_at") == without_nulls(held, "updated_at")


def without_nulls(record: Dict[str, Any], *leaving_out: str) -> Dict[str, Any]:
    """The record without top-level null fields: the CDK's message serializer omits those (None fields of
    the message, record data included; airbytehq/airbyte#36061), and a destination reads a missing field as
    null. Nested nulls are kept, so they are compared as they are."""
    return {k: v for k, v in record.items() if v is not None and k not in leaving_out}


def test_full_refresh_pages_through_every_window_without_an_error(full_refresh):
    assert {entry["status"] for entry in full_refresh.requests} == {200}
    for stream in STREAMS:
        requests = [entry["query"] for entry in full_refresh.requests if entry["endpoint"] == stream]
        windows = [query for query in requests if "cursor" not in query]
        pages = [query for query in requests if "cursor" in query]
        assert len(windows) >= 3 and pages, f"{stream}: the company is too small to test windows and pages"
        # a next page carries its opaque cursor and the page size, never the window filters again
        assert all(set(query) == {"cursor", "limit"} for query in pages), pages


def test_full_refresh_reads_the_latest_changes_when_personio_reads_filter_times_in_local_time(discovered):
    """Period filters carry no offset (attendance periods reject one), and the contract leaves open in which
    zone Personio reads them. Read in the company's zone (Europe/Berlin, UTC+1 or +2), a window that ends
    "now" in UTC ends an hour or two early: the changes of the last hour(s) must still be read."""
    emulator = start_emulator(seed=6, naive_filter_timezone="Europe/Berlin", **TINY_COMPANY)
    try:
        changed = {stream: emulator.company.update(stream, count=2) for stream in STREAMS}  # updated now

        full_refresh_catalog = configured_catalog(discovered, "full_refresh")
        run = run_connector(emulator, "read", emulator.config(), catalog=full_refresh_catalog)

        assert_succeeded(run)
        for stream in STREAMS:
            missed = set(changed[stream]) - run.ids(stream)
            assert run.ids(stream) == set(emulator.company.ids(stream)), f"{stream}: missed the changes {missed}"
    finally:
        emulator.stop()


# -- incremental -----------------------------------------------------------------------------------


@dataclass
class IncrementalScenario:
    """A first sync, changes in Personio, then second syncs from the first one's state."""

    emulator: Emulator
    state_instant: datetime  # newest updated_at before the changes: what the first sync saves
    at_state: Dict[str, str]  # the record placed at the state instant itself
    inside_lookback: Dict[str, List[str]]  # placed at or after state - 24 h (the one at the state included)
    outside_lookback: Dict[str, List[str]]  # placed just before state - 24 h
    first: Run = None
    updated: Dict[str, List[str]] = field(default_factory=dict)
    created: Dict[str, List[str]] = field(default_factory=dict)
    deleted: Dict[str, List[str]] = field(default_factory=dict)
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
    rng = random.Random(4)
    scenario = IncrementalScenario(emulator, state_instant, {}, {}, {})
    edge = state_instant - DEFAULT_LOOKBACK
    for stream in STREAMS:
        ids = rng.sample(emulator.company.ids(stream), 9)
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
    scenario.first = run_connector(emulator, "read", emulator.config(), catalog=incremental_catalog)
    assert_succeeded(scenario.first)

    placed = {s: set(scenario.inside_lookback[s]) | set(scenario.outside_lookback[s]) for s in STREAMS}
    for stream in STREAMS:
        untouched = sorted(set(emulator.company.ids(stream)) - placed[stream])
        chosen = rng.sample(untouched, 5)
        scenario.updated[stream] = [emulator.company.update(stream, record_id=i)[0] for i in chosen[:3]]
        scenario.created[stream] = emulator.company.create(stream, count=2)
        scenario.deleted[stream] = chosen[3:]
        for record_id in scenario.deleted[stream]:
            assert emulator.company.delete(stream, record_id)

    state = scenario.first.result.final_state
    scenario.without_lookback = run_connector(
        emulator, "read", emulator.config(lookback_window_hours=0), catalog=incremental_catalog, state=state
    )
    scenario.default_lookback = run_connector(
        emulator, "read", emulator.config(), catalog=incremental_catalog, state=state
    )
    scenario.full_refresh_after = run_connector(
        emulator, "read", emulator.config(), catalog=configured_catalog(discovered, "full_refresh")
    )
    yield scenario
    emulator.stop()


def test_first_incremental_sync_reads_everything_and_saves_the_newest_updated_at(incremental):
    assert_succeeded(incremental.first)
    for stream in STREAMS:
        held_then = set(incremental.emulator.company.ids(stream)) - set(incremental.created[stream])
        assert incremental.first.ids(stream) == held_then | set(incremental.deleted[stream])
        assert incremental.first.result.states[stream] == {"updated_at": utc_z(incremental.state_instant)}


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


# -- whitelisting ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def whitelisting_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=5, whitelisted_person_attributes=set(), **COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def persons_without_attributes(whitelisting_emulator, discovered) -> Run:
    config = whitelisting_emulator.config()
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
            values = [state["updated_at"] for state in history]
            assert all(value.endswith("Z") for value in values), (name, stream, values)
            instants = [instant(value) for value in values]
            assert instants == sorted(instants), (name, stream, values)


def test_state_after_a_sync_is_the_newest_updated_at_it_read(incremental):
    for run in (incremental.without_lookback, incremental.default_lookback):
        for stream in STREAMS:
            newest = max(instant(record["updated_at"]) for record in run.records(stream))
            assert run.result.states[stream] == {"updated_at": utc_z(whole_second(newest))}


def test_no_output_carries_the_client_secret_or_an_access_token(
    incremental, full_refresh, persons_without_attributes, successful_check
):
    runs = {**_all_reads(incremental, full_refresh, persons_without_attributes), "check": successful_check}
    secret = incremental.emulator.client_secret
    tokens = list(ISSUED_TOKENS)
    assert tokens, "the emulators issued no token: nothing was looked for"

    for name, run in runs.items():
        for line in run.output:
            assert secret not in line, f"{name} printed the client secret"
            leaked = [token for token in tokens if token in line]
            assert not leaked, f"{name} printed an access token"
