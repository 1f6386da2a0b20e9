"""The sync invariant, checked with hypothesis through the installed `source-personio`.

For a generated small company and a random sequence of changes (update, create, delete; employments
changed without their person) and syncs (full refresh or incremental; interrupted by SIGKILL after N
output lines, by a fault that fails the sync, or not at all), a destination that keeps every record
read, deduplicated by id keeping the latest updated_at, holds exactly the emulator's current records
after every sync that completes, except deleted records: only a full refresh removes them.

Employments are read too. Personio need not move a person's updated_at when one of their employments
changes, so employment changes here leave the person alone, and are stamped at random instants that
include the edges an incremental sync starts from: exactly the saved cursor, a second (or a fraction of
one) either side of it, exactly the lookback before it, the start date, and late writes within the
lookback. Every employment changed after the state must be read by the next incremental sync; the
invariant says so, since a change it missed leaves the destination stale.

The streams derived from those are read and checked too: absence period breakdowns (the rows held for
each current absence, keyed by absence and date, equal what the emulator serves for it, so an absence
update must bring its breakdowns again), compensations (keyed by id and month; in every month the sync
read, the ids and amounts equal the emulator's for that month; changed among the steps in the current
or the previous month, which an incremental sync re-reads) and the two recruiting lists (deduplicated by
id keeping the latest updated_at, like the windowed lists; updated among the steps, late writes too).

The destination behaves like Airbyte's: incremental syncs append and deduplicate, a completed full
refresh replaces a stream, an interrupted one only appends; incremental syncs start from the last state
each stream emitted in an earlier incremental sync, interrupted or not.

Each sync is a subprocess (2 to 4 s), so examples are few and derandomized; shrinking is off because
it would re-run dozens of syncs, and a failure prints its example in full instead.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Tuple, Union
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from tools.catalogs import cursor_value
from tools.fault_suite.connector import catalog, run_connector
from tools.fault_suite.judge import secrets_seen
from tools.fault_suite.observers import TokenLog
from tools.fault_suite.records import EPOCH, parse_instant
from tools.fault_suite.settings import STREAMS as WINDOWED_STREAMS
from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.stream_facts import FACTS


START_DATE = "2021-01-01T00:00:00Z"
LOOKBACK_HOURS = 24
# The open-ended lists (recruiting: newest first, one window from the state).
RECRUITING = FACTS.of_kind("open_ended")
# The streams keyed by id with an updated_at: the windowed lists, employments (one request per person on
# every sync, one cursor for the stream) and the recruiting lists.
BY_ID = tuple(name for name in FACTS.incremental if name in FACTS.endpoints and FACTS[name].primary_key == ("id",))
# With breakdowns (one request per absence) and compensations (one request per month), whose keys are composite:
# every incremental stream with an endpoint of its own.
# (Not deletions: its rows are Personio's deletion events, not records of the company; its own end-to-end tests
# hold it to the emulator's event log.)
STREAMS = tuple(name for name in FACTS.incremental if name in FACTS.endpoints and name != "deletions")
# Employments and breakdowns are one request per parent, compensations one per month since the start date:
# budgets well above the defaults keep syncs short.
BUDGETS = {"per_parent_requests_per_second": 100, "other_requests_per_second": 100}


# -- what happens, as data ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Update:
    stream: str
    pick: int  # which records: ids in (updated_at, id) order, from pick modulo their number
    count: int
    hours_ago: int  # a late write, within the lookback; never earlier than the record's last change


@dataclass(frozen=True)
class Create:
    stream: str
    count: int
    hours_ago: int


@dataclass(frozen=True)
class Delete:
    stream: str
    pick: int
    count: int


@dataclass(frozen=True)
class EmploymentUpdate:
    """Employments changed, their person untouched, stamped at `anchor` + `offset_seconds` + `offset_ms`.

    Anchors: "now"; "cursor", the employments cursor of the state the next incremental sync starts from;
    "lookback edge", that cursor minus the lookback; "start", the start date, for employments last changed
    before it (which no sync has read yet): only before the first incremental sync, as later a change
    stamped years before the state is not one that can happen. Without a state yet, the cursor anchors are
    "now". An instant before the record's own last change (or after now) is moved to a millisecond after
    that change (or to now): updated_at never goes backwards."""
    pick: int  # which employments: ids in served order, from pick modulo their number
    count: int
    anchor: str
    offset_seconds: int
    offset_ms: int


@dataclass(frozen=True)
class CompensationUpdate:
    """One compensation's amount changed (100 more) in the emulator's "current" month or the "previous" one."""
    pick: int  # which compensation: ids of that month, sorted, from pick modulo their number
    month: str


@dataclass(frozen=True)
class Sync:
    mode: str  # "incremental" or "full_refresh"
    kill_after_lines: Optional[int] = None  # SIGKILL the connector after this many stdout lines
    fail_after_requests: Optional[int] = None  # every data request after this many answers 400


Change = Union[Update, Create, Delete, EmploymentUpdate, CompensationUpdate]


@dataclass(frozen=True)
class Company:
    seed: int
    persons: int
    absence_periods: int
    attendance_periods: int
    window_size_days: int
    persons_window_size_days: int
    num_workers: int


companies = st.builds(
    Company,
    seed=st.integers(0, 10_000),
    persons=st.integers(3, 25),
    absence_periods=st.integers(0, 40),
    attendance_periods=st.integers(5, 120),
    window_size_days=st.sampled_from([60, 180, 365]),
    persons_window_size_days=st.sampled_from([180, 365, 730]),
    num_workers=st.sampled_from([1, 6]),
)
streams = st.sampled_from(WINDOWED_STREAMS)
fractions = st.sampled_from([0, 1, 500, 999])
employment_updates = st.one_of(
    # on and around the saved cursor, and on (or just inside) the lookback's lower edge
    st.builds(EmploymentUpdate, st.integers(0, 10_000), st.integers(1, 3), st.just("cursor"),
              st.sampled_from([-1, 0, 1]), fractions),
    st.builds(EmploymentUpdate, st.integers(0, 10_000), st.integers(1, 3), st.just("lookback edge"),
              st.sampled_from([0, 1]), fractions),
    # now, or a late write within the lookback
    st.builds(EmploymentUpdate, st.integers(0, 10_000), st.integers(1, 3), st.just("now"),
              st.integers(-20 * 3600, 0), fractions),
    st.builds(EmploymentUpdate, st.integers(0, 10_000), st.integers(1, 2), st.just("start"), st.just(0), st.just(0)),
)
changes = st.one_of(
    st.builds(Update, streams, st.integers(0, 10_000), st.integers(1, 3), st.integers(0, 20)),
    st.builds(Create, streams, st.integers(1, 3), st.integers(0, 20)),
    st.builds(Delete, streams, st.integers(0, 10_000), st.integers(1, 2)),
    employment_updates,
    # an absence update is among the Updates above (its breakdowns follow); recruiting records are only updated
    st.builds(Update, st.sampled_from(RECRUITING), st.integers(0, 10_000), st.integers(1, 3), st.integers(0, 20)),
    st.builds(CompensationUpdate, st.integers(0, 10_000), st.sampled_from(["current", "previous"])),
)
syncs = st.one_of(
    st.builds(Sync, st.sampled_from(["incremental", "full_refresh"])),
    st.builds(Sync, st.sampled_from(["incremental", "full_refresh"]), kill_after_lines=st.integers(1, 250)),
    st.builds(Sync, st.sampled_from(["incremental", "full_refresh"]), fail_after_requests=st.integers(0, 12)),
)


# One to three rounds of a few changes and a sync; a final uninterrupted incremental sync follows.
histories = st.lists(st.tuples(st.lists(changes, max_size=3), syncs), min_size=1, max_size=3)


# -- the destination ----------------------------------------------------------------------------------


class Destination:
    """Records per stream and id, the incremental state, and what was deleted since the last full refresh."""

    def __init__(self):
        # stream -> primary key (the id; (absence_period_id, date) and (id, month) for the composite ones)
        self.records: Dict[str, Dict[object, dict]] = {stream: {} for stream in STREAMS}
        # deleted keys; breakdowns: the ids of deleted absences
        self.deleted: Dict[str, set] = {stream: set() for stream in STREAMS}
        self.state: Dict[str, dict] = {}
        self.months_read: set = set()  # the compensation months the last sync read

    def load(self, sync: Sync, run) -> None:
        read: Dict[str, Dict[object, dict]] = {stream: {} for stream in STREAMS}
        for stream, record in run.each_record():
            keep_latest(stream, read[stream], record)
        self.months_read = {record["month"] for record in read["compensations"].values()}
        for stream in STREAMS:
            if sync.mode == "full_refresh" and run.succeeded:
                self.records[stream] = read[stream]
                self.deleted[stream].clear()
            else:
                for record in read[stream].values():
                    keep_latest(stream, self.records[stream], record)
        if sync.mode == "incremental":
            self.state.update(run.stream_states)


def key_of(stream: str, record: dict):
    return FACTS.key_of(stream, record)


def keep_latest(stream: str, records: Dict[object, dict], record: dict) -> None:
    """Airbyte's dedup: the record with the latest cursor wins, the later one on a tie (compensations: the
    cursor is the month, part of the key, so always the later one)."""
    key = key_of(stream, record)
    held = records.get(key)
    if held is None or stream == "compensations" or version(stream, record) >= version(stream, held):
        records[key] = record


def version(stream: str, record: dict) -> datetime:
    return moment(record[FACTS.cursor_fields[stream]])


def moment(value) -> datetime:
    """A timestamp as an instant: text, or recruiting's {"date-time": …, "timezone": …} object. A date-time
    without offset is wall time: an object's in its own timezone, text's in UTC."""
    at = parse_instant(value["date-time"] if isinstance(value, dict) else value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo(value["timezone"]) if isinstance(value, dict) else timezone.utc)
    return at


def instant(record: dict) -> datetime:
    return moment(record["updated_at"])


def comparable(record: dict, stream: Optional[str] = None) -> dict:
    """A record with its updated_at as an instant (the connector writes it in UTC, the API may not) and
    without top-level nulls: the CDK's message serializer leaves those out (a missing field reads as null).
    Recruiting: without the `*_original` fields the connector adds (the API's timestamp objects, kept as
    sent), and created_at and updated_at as instants, which the connector writes in UTC."""
    kept = {k: v for k, v in record.items() if v is not None}
    if stream in RECRUITING:
        kept = {k: v for k, v in kept.items() if not k.endswith("_original")}
        for name in ("created_at", "updated_at"):
            if name in kept:
                kept[name] = moment(kept[name])
        return kept
    return {**kept, "updated_at": instant(record)}


# -- applying changes ---------------------------------------------------------------------------------


def apply(emulator: Emulator, change: Change, destination: Destination) -> None:
    now = datetime.fromtimestamp(emulator.now(), timezone.utc)
    company = emulator.company
    if isinstance(change, EmploymentUpdate):
        update_employments(emulator, change, destination, now)
        return
    if isinstance(change, CompensationUpdate):
        months = company.compensation_months()
        month = months[-1] if change.month == "current" else months[-2]
        ids = sorted({record["id"] for record in company.compensations(month=month)})
        if ids:
            company.update("compensations", record_id=ids[change.pick % len(ids)], month=month)
        return
    if isinstance(change, Create):
        at = now - timedelta(hours=change.hours_ago)
        created = company.create(change.stream, change.count, at=at)
        if change.stream == "persons":
            # The emulator derives a new person's employments from the seed, with updated_at values of the
            # generated past; in Personio they are new records, written when the person is.
            for person_id in created:
                for employment in company.employments(person_id) or []:
                    company.update("employments", record_id=employment["id"], at=at)
        return
    ids = company.ids(change.stream)
    if not ids:
        return
    chosen = {ids[(change.pick + k) % len(ids)] for k in range(change.count)}
    for record_id in sorted(chosen):
        if isinstance(change, Delete):
            if change.stream == "persons":  # their employments go with them (the endpoint answers 404)
                destination.deleted["employments"].update(e["id"] for e in company.employments(record_id) or [])
                # and so do their compensations, from every month
                destination.deleted["compensations"].update(
                    (c["id"], month) for month in company.compensation_months()
                    for c in company.compensations(month=month) if c["person"]["id"] == record_id)
            if change.stream == "absence_periods":  # its breakdowns go with it
                destination.deleted["absence_period_breakdowns"].add(record_id)
            company.delete(change.stream, record_id)
            destination.deleted[change.stream].add(record_id)
        else:
            last = datetime.fromtimestamp(company.updated_us(change.stream, record_id) / 1e6, timezone.utc)
            at = max(now - timedelta(hours=change.hours_ago), last + timedelta(seconds=1))
            company.update(change.stream, record_id=record_id, at=min(at, now))


def update_employments(emulator: Emulator, change: EmploymentUpdate, destination: Destination, now: datetime) -> None:
    company = emulator.company
    ids = company.ids("employments")
    if not ids:
        return
    state = destination.state.get("employments")
    value = cursor_value(state["stream"].get("stream_state") or {}) if state else None
    cursor = parse_instant(value) if value else now
    start = parse_instant(START_DATE)
    last_change = lambda record_id: EPOCH + timedelta(microseconds=company.updated_us("employments", record_id))
    if change.anchor == "start":
        if value:
            return
        ids = [record_id for record_id in ids if last_change(record_id) < start]
        if not ids:
            return
    anchor = {"now": now, "cursor": cursor, "lookback edge": cursor - timedelta(hours=LOOKBACK_HOURS),
              "start": start}[change.anchor]
    wanted = anchor + timedelta(seconds=change.offset_seconds, milliseconds=change.offset_ms)
    for record_id in sorted({ids[(change.pick + k) % len(ids)] for k in range(change.count)}):
        at = min(max(wanted, last_change(record_id) + timedelta(milliseconds=1)), now)
        owner = company.get("employments", record_id)["person"]["id"]
        person_before = company.updated_us("persons", owner)
        company.update("employments", record_id=record_id, at=at)
        assert company.updated_us("persons", owner) == person_before, "the emulator moved the person's updated_at"


def run_sync(emulator: Emulator, tokens: TokenLog, config: dict, sync: Sync, destination: Destination):
    fault = None
    if sync.fail_after_requests is not None:
        fault = emulator.add_fault(Fault("status_400", after=sync.fail_after_requests, count=None,
                                         detail="Injected: the sync is interrupted here"))
    state = list(destination.state.values()) if sync.mode == "incremental" and destination.state else None
    try:
        run = run_connector("read", config, catalog(sync.mode, STREAMS), state=state,
                            kill_after_lines=sync.kill_after_lines, deadline=300)
    finally:
        if fault is not None:
            emulator.clear_faults()
    seen = secrets_seen(run.output, emulator.client_secret, tokens.tokens)
    assert not seen, f"{sync}: {', '.join(seen)} in the connector's output"
    assert run.killed is None or run.killed.startswith("after"), f"{sync}: {run.killed}"
    if sync.kill_after_lines is None and (fault is None or not fault.fired):
        assert run.succeeded, f"{sync} did not complete: {run.summary} {[e.get('message') for e in run.errors][:2]}"
    destination.load(sync, run)
    return run


def assert_invariant(emulator: Emulator, destination: Destination, history: List[str]) -> None:
    start = parse_instant(START_DATE)
    company = emulator.company
    for stream in BY_ID:
        # Only what changed since the start date is read (employments reach back before it).
        current = {record["id"]: record for record in company.records(stream) if instant(record) >= start}
        held = destination.records[stream]
        missing = sorted(set(current) - set(held))
        stale = sorted(i for i in set(current) & set(held)
                       if comparable(held[i], stream) != comparable(current[i], stream))
        extra = sorted(set(held) - set(current) - destination.deleted[stream])
        assert not (missing or stale or extra), (
            f"{stream} after {' → '.join(history)}: {len(missing)} missing {missing[:3]}, "
            f"{len(stale)} stale {[difference(held[i], current[i], stream) for i in stale[:3]]}, "
            f"{len(extra)} that were never deleted {extra[:3]}"
        )
    # Breakdowns: for each current absence, the rows held (without the fields the connector adds) are the
    # rows the emulator serves, each read with the absence's current updated_at.
    stream, held = "absence_period_breakdowns", destination.records["absence_period_breakdowns"]
    absences = {record["id"]: instant(record) for record in company.records("absence_periods") if instant(record) >= start}
    for absence_id, updated_at in absences.items():
        expected = {row["date"]: comparable_row(row) for row in company.breakdowns(absence_id) or []}
        rows = {date: row for (parent, date), row in held.items() if parent == absence_id}
        got = {date: comparable_row(row) for date, row in rows.items()}
        behind = sorted(date for date, row in rows.items() if moment(row["absence_period_updated_at"]) != updated_at)
        assert got == expected and not behind, (
            f"{stream} of absence {absence_id} after {' → '.join(history)}: missing {sorted(set(expected) - set(got))[:3]},"
            f" extra {sorted(set(got) - set(expected))[:3]}, differing"
            f" {[(d, got[d], expected[d]) for d in sorted(set(got) & set(expected)) if got[d] != expected[d]][:2]},"
            f" read with an older absence_period_updated_at than {updated_at}: {behind[:3]}"
        )
    extra = sorted({parent for parent, _ in held} - set(absences) - destination.deleted[stream])
    assert not extra, f"{stream} after {' → '.join(history)}: rows of absences never deleted {extra[:3]}"
    # Compensations: in every month the sync read, the ids and amounts held are the emulator's for that month;
    # in a month not read again, those still served have the amounts served (only the current and previous
    # month change here; persons created or deleted move the older months' ids, which no sync re-reads).
    stream, held = "compensations", destination.records["compensations"]
    for month in sorted({month for _, month in held} | destination.months_read):
        current = {(record["id"], month): comparable_row(record) for record in company.compensations(month=month)}
        got = {key: comparable_row(record) for key, record in held.items() if key[1] == month}
        if month in destination.months_read:
            missing = sorted(set(current) - set(got))
            extra = sorted(set(got) - set(current) - destination.deleted[stream])
        else:
            missing = extra = []
        stale = sorted(key for key in set(current) & set(got) if got[key] != current[key])
        assert not (missing or stale or extra), (
            f"{stream} {month} after {' → '.join(history)}: {len(missing)} missing {missing[:3]}, {len(stale)} stale"
            f" {[(key, got[key].get('amount'), current[key].get('amount')) for key in stale[:3]]},"
            f" {len(extra)} that were never deleted {extra[:3]}"
        )


def comparable_row(record: dict) -> dict:
    """A breakdown or compensation as the API serves it: without the fields the connector adds and nulls."""
    added = ("absence_period_id", "absence_period_updated_at", "month")
    return {k: v for k, v in record.items() if v is not None and k not in added}


def difference(held: dict, current: dict, stream: Optional[str] = None) -> str:
    a, b = comparable(held, stream), comparable(current, stream)
    fields = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
    return f"{held['id']}: " + ", ".join(f"{k} read {held.get(k)!r}, now {current.get(k)!r}" for k in fields)


# -- the property -------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None, derandomize=True, database=None, phases=(Phase.explicit, Phase.generate),
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large], print_blob=True)
@given(company=companies, rounds=histories)
@example(  # every kind of step once: a full refresh, changes, a kill, a fault, a resume, a full refresh
    company=Company(seed=5, persons=12, absence_periods=30, attendance_periods=90, window_size_days=180,
                    persons_window_size_days=365, num_workers=6),
    rounds=[
        ([], Sync("full_refresh")),
        ([Delete("persons", 3, 1), Update("attendance_periods", 7, 2, 20), Create("absence_periods", 2, 5)],
         Sync("incremental", kill_after_lines=60)),
        ([Update("persons", 1, 1, 0), Delete("attendance_periods", 11, 2), EmploymentUpdate(6, 2, "now", 0, 0)],
         Sync("incremental", fail_after_requests=4)),
        ([Create("attendance_periods", 3, 0)], Sync("full_refresh")),
    ],
)


@example(  # a late write inside the lookback: a record changed "now", synced, then one changed 20 h ago
    company=Company(seed=9, persons=8, absence_periods=10, attendance_periods=40, window_size_days=365,
                    persons_window_size_days=730, num_workers=1),
    rounds=[
        ([Update("attendance_periods", 1, 1, 0), Update("persons", 2, 1, 0)], Sync("incremental")),
        ([Update("attendance_periods", 20, 2, 20), Create("persons", 1, 20)], Sync("incremental")),
    ],
)


@example(  # employments changed without their persons, on the edges of the saved cursor and the lookback
    company=Company(seed=3, persons=10, absence_periods=5, attendance_periods=20, window_size_days=365,
                    persons_window_size_days=730, num_workers=6),
    rounds=[
        ([EmploymentUpdate(1, 2, "start", 0, 0)], Sync("incremental")),
        ([EmploymentUpdate(0, 1, "cursor", 0, 0), EmploymentUpdate(3, 1, "cursor", 1, 0),
          EmploymentUpdate(5, 1, "cursor", 0, 999), EmploymentUpdate(7, 1, "lookback edge", 0, 0),
          EmploymentUpdate(9, 1, "now", 0, 0)], Sync("incremental")),
        ([EmploymentUpdate(2, 2, "now", -72_000, 500), Delete("persons", 4, 1), Create("persons", 1, 3)],
         Sync("incremental", kill_after_lines=25)),
        ([EmploymentUpdate(11, 1, "cursor", -1, 1)], Sync("incremental")),
    ],
)


@example(  # the derived streams: an absence update (its breakdowns), compensations changed in the current and the
    # previous month, recruiting updates (one a late write), then deletions and an interrupted sync
    company=Company(seed=4, persons=8, absence_periods=15, attendance_periods=20, window_size_days=365,
                    persons_window_size_days=730, num_workers=6),
    rounds=[
        ([], Sync("incremental")),
        ([Update("absence_periods", 2, 2, 0), CompensationUpdate(1, "current"), CompensationUpdate(4, "previous"),
          Update("recruiting_applications", 3, 2, 0), Update("recruiting_candidates", 5, 1, 20)], Sync("incremental")),
        ([Delete("persons", 1, 1), Delete("absence_periods", 0, 1), CompensationUpdate(2, "previous"),
          Update("absence_periods", 6, 1, 20)], Sync("incremental", kill_after_lines=40)),
    ],
)


def test_deduplicated_reads_equal_the_emulator_except_deletions(company: Company,
                                                                   rounds: List[Tuple[List[Change], Sync]]):
    settings_ = EmulatorSettings(seed=company.seed, persons=company.persons, absence_periods=company.absence_periods,
                                 attendance_periods=company.attendance_periods)
    with Emulator(settings_) as emulator:
        tokens = TokenLog(emulator)
        config = emulator.config(start_date=START_DATE, lookback_window_hours=LOOKBACK_HOURS,
                                 window_size_days=company.window_size_days,
                                 persons_window_size_days=company.persons_window_size_days,
                                 num_workers=company.num_workers, **BUDGETS)
        destination = Destination()
        history: List[str] = []
        for round_changes, sync in [*rounds, ([], Sync("incremental"))]:
            for change in round_changes:
                apply(emulator, change, destination)
                history.append(repr(change))
            run = run_sync(emulator, tokens, config, sync, destination)
            history.append(f"{sync} [{run.summary}]")
            if run.succeeded:
                assert_invariant(emulator, destination, history)
