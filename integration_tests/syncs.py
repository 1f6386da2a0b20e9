"""What the end-to-end tests share: the installed command run against the Personio emulator (a process per run, the
way the Docker entrypoint runs it), the emulator's log of each run, and the facts and companies the tests use.

Every connector run costs a process start (2-3 s), so runs are made once in session fixtures (conftest.py) and
several tests look at the same run. Each fixture starts its own emulator: the session-wide one is only read from,
and these tests change records and settings. Rate limiting is not under test here (the fault and invariant suites
test it): configs raise the per-endpoint request budgets, which would otherwise make a sync of every stream last
tens of seconds.
"""
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo


from tools.catalogs import configured_catalog, cursor_value
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.stream_facts import FACTS
from tools.sync_runner import RunResult, SourceRunner


# The windowed lists: the tests of windows, lookback and deletions are about these; the scopes check requires.
STREAMS = FACTS.windowed_lists
SCOPES = {stream: FACTS[stream].scope for stream in FACTS.required}
ALL_SCOPES = set(SCOPES.values())  # what check requires

# Every stream, its cursor (None: read whole on every sync) and its primary key (tools/stream_facts.py).
CURSORS: Dict[str, Optional[str]] = {stream.name: stream.cursor_field for stream in FACTS}
ALL_STREAMS = FACTS.names
INCREMENTAL_STREAMS = FACTS.incremental
PRIMARY_KEYS: Dict[str, Tuple[str, ...]] = FACTS.primary_keys
RECRUITING = FACTS.needing_module("Recruiting")
COMPENSATIONS_SCOPE = "personio:compensations:read"
# The lists with an endpoint of their own whose records are keyed by id and carry an exact updated_at.
BY_ID_WITH_UPDATED_AT = tuple(name for name in FACTS.incremental if name in FACTS.endpoints
                              and FACTS[name].primary_key == ("id",) and FACTS[name].cursor_field == "updated_at")

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


@dataclass
class EmulatedRun:
    """One run of tools/sync_runner.py against an emulator: its result, everything it wrote (stdout and stderr, for
    the secret checks) and the emulator's log of the requests it made."""

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


def run_connector(emulator: Emulator, command: str, config: Dict[str, Any], **kwargs) -> EmulatedRun:
    emulator.stats.reset()
    output: List[str] = []
    started_at = datetime.now(timezone.utc)
    result = SourceRunner(timeout=240).run(command, config=config, on_line=output.append, **kwargs)
    output.append(result.stderr)
    return EmulatedRun(result, output, emulator.stats.entries(), started_at, datetime.now(timezone.utc))


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


def first_window_request(run: EmulatedRun, stream: str) -> Dict[str, str]:
    """The query of the stream's first request that opened a window (not a next page). The persons endpoint is
    also listed whole, without a window filter, as the parent of employments: that request opens no window."""
    windows = [entry["query"] for entry in run.first_pages(stream)
               if any(name.startswith("updated_at") for name in entry["query"])]
    assert windows, f"no {stream} request in the emulator's log"
    return windows[0]


def parent_of(entry: Dict[str, Any]) -> str:
    """The parent id in a per-parent request's path: /v2/persons/{id}/employments, /v2/absence-periods/{id}/…"""
    return entry["path"].split("?")[0].rstrip("/").split("/")[-2]


def assert_succeeded(run: EmulatedRun) -> None:
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


# Fields the connector rewrites to a UTC `Z` string (the same instant), per stream: the timestamps its manifest
# adds or replaces.
REWRITTEN_TIMES = {
    stream.name: tuple(dict.fromkeys(name for name in stream.added_fields if name.endswith("_at")))
    for stream in FACTS if any(name.endswith("_at") for name in stream.added_fields)
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

        held = held_transitions(emulator) if stream.startswith("recruiting") else held_deletions(emulator)
        return {key_of(stream, record): record for record in held}
    return {key_of(stream, record): record for record in company.records(stream)}


def comparable(stream: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """The record without the fields compared on their own (rewritten timestamps, what the connector adds) and
    without top-level nulls: the CDK's message serializer omits those (None fields of the message, record data
    included; airbytehq/airbyte#36061), and a destination reads a missing field as null. Nested nulls are kept."""
    left_out = set(REWRITTEN_TIMES.get(stream, ())) | {"created_at_original", "updated_at_original", "parent_chain"}
    return {k: v for k, v in record.items() if v is not None and k not in left_out}


@dataclass
class IncrementalScenario:
    """A first sync of every stream, changes in Personio, then second syncs from the first one's state."""

    emulator: Emulator
    state_instant: datetime  # newest updated_at before the changes: what the first sync saves
    at_state: Dict[str, str]  # the record placed at the state instant itself
    inside_lookback: Dict[str, List[str]]  # placed at or after state - 24 h (the one at the state included)
    outside_lookback: Dict[str, List[str]]  # placed just before state - 24 h
    first: EmulatedRun = None
    updated: Dict[str, List[str]] = field(default_factory=dict)
    created: Dict[str, List[str]] = field(default_factory=dict)
    deleted: Dict[str, List[str]] = field(default_factory=dict)
    employment: str = ""  # changed, its person not
    application: str = ""
    compensation: Tuple[str, str, float] = ("", "", 0.0)  # id, month "YYYY-MM", the new amount
    without_lookback: EmulatedRun = None  # lookback_window_hours=0
    default_lookback: EmulatedRun = None  # lookback_window_hours unset: 24
    full_refresh_after: EmulatedRun = None

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


def start_incremental(discovered) -> IncrementalScenario:
    """The scenario, its syncs run; its emulator runs until the caller stops it."""
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
    return scenario


def destination_tables(catalog: Dict[str, Any], *runs: EmulatedRun) -> Dict[str, List[Dict[str, Any]]]:
    """What a destination holds after the runs, in order: incremental streams appended and deduplicated by
    primary key (the latest record wins), full-refresh streams overwritten by the latest run."""
    tables = {}
    for entry in catalog["streams"]:
        stream = entry["stream"]["name"]
        reads = runs if entry["sync_mode"] == "incremental" else runs[-1:]
        tables[stream] = list({key_of(stream, r): r for run in reads for r in run.records(stream)}.values())
    return tables


# The streams a company without the recruiting module and a credential without the compensations scope cannot
# read, and what their messages must name.
UNREADABLE = {
    **{stream: "Recruiting" for stream in RECRUITING},
    **{stream: COMPENSATIONS_SCOPE for stream in FACTS.with_scope(COMPENSATIONS_SCOPE)},
}
