"""Judging the syncs of one row: records lost, duplicated, secrets seen, time taken, the error given."""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tools.fault_suite.records import Key, Snapshot, cursor_at, key_of, parse_instant
from tools.fault_suite.scenario import COMPLETES, FAILS, Scenario
from tools.fault_suite.settings import (
    MAX_RETRIES, OUTAGE_LIMIT_SECONDS, RETRY_BUDGET_SECONDS, SLACK_SECONDS,
)
from tools.fault_suite.windows import on_window_edge, window_steps
from tools.stream_facts import FACTS
from tools.sync_runner import RunResult


@dataclass
class Outcome:
    """One row of the fault table."""

    name: str
    group: str
    fault: str
    expected: str
    result: str = ""
    lost: Optional[int] = None
    duplicated: Optional[int] = None
    secrets: List[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the connector run(s)
    real_seconds: float = 0.0  # estimated real-time cost (= seconds unless sleeps were compressed)
    compressed: bool = False
    outage_seconds: Optional[float] = None  # persistent faults: from the first failing answer to the end
    error: str = ""  # the first error message, if any
    tokens_issued: int = 0  # access tokens the emulator issued, all of them scanned for
    completed: Optional[bool] = None  # the (first) sync completed: exit 0, no error trace, not killed
    exit_code: Optional[int] = None
    failure_type: Optional[str] = None  # the first error's
    read_error: str = ""  # bad configs: the read's first error message (`error` holds check's message)
    bound_violation: str = ""  # interruption trials: streams read twice beyond RESUME_WINDOWS windows, if any
    read_twice: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # interruption: stream -> (read twice, bound)
    notes: List[str] = field(default_factory=list)
    unexplained_duplicates: Optional[int] = None  # records emitted twice away from any window edge
    found: Dict[str, List[str]] = field(default_factory=dict)  # criterion (below) -> what went wrong against it

    def add(self, criterion: str, problem: str) -> None:
        self.found.setdefault(criterion, []).append(problem)

    @property
    def problems(self) -> List[str]:
        return [problem for problems in self.found.values() for problem in problems]

    @property
    def ok(self) -> bool:
        return not self.problems


# What a row is judged on; Outcome.found files each problem under one of these.
ENDING = "ends as it must"  # completes, or fails with the expected error, message and exit status
IN_TIME = "ends in time"
NOTHING_LOST = "loses no record"
NO_DUPLICATES = "duplicates only on window edges"
NO_SECRET = "no secret in the output"
HAPPENED = "the fault happened"
OWN_CHECK = "the row's own check"
NEXT_SYNC = "the next sync completes"
READ_TWICE = "reads at most two windows twice"
CHECK_NAMES_FIELD = "check fails naming the field"
READ_NAMES_FIELD = "read stops with a config error naming the field"
HARNESS = "the harness ran"


def count_emitted(runs: Sequence[RunResult]) -> Counter:
    """(stream, primary key) -> how many times the runs emitted it."""
    return Counter((stream, key_of(stream, data)) for run in runs for stream, data in run.each_record())


def must_have(snap: Snapshot, run: RunResult) -> Dict[str, set]:
    """Per stream, the keys a run claims to have delivered: all of a COMPLETE stream (or of a completed
    run), else those whose cursor value lies before the stream's last emitted cursor."""
    claimed = {}
    for stream, records in snap.items():
        if run.succeeded or run.stream_status.get(stream) == "COMPLETE":
            claimed[stream] = set(records)
        else:
            cursor = cursor_at(run, stream)
            claimed[stream] = {k for k, at in records.items() if cursor is not None and at is not None and at < cursor}
    return claimed


def lost_records(snap: Snapshot, claimed: Mapping[str, set], emitted: Counter) -> Dict[str, List[Key]]:
    return {stream: sorted((k for k in claimed[stream] if (stream, k) not in emitted), key=str) for stream in snap}


def logged_skip(run: RunResult, count: int) -> bool:
    """Whether a warning or error log says that `count` records were skipped."""
    for log in run.logs:
        text = log.get("message", "")
        if log.get("level") in ("WARN", "WARNING", "ERROR") and "skip" in text.lower() and str(count) in text:
            return True
    return False


TOKEN_SHAPE = re.compile(r"papi-[A-Za-z0-9_\-]{16,}")


def secrets_seen(text: str, secret: str, tokens: Iterable[str]) -> List[str]:
    """What of the secret and the tokens shows in `text`, described without repeating it."""
    seen = []
    if secret and secret in text:
        seen.append("client secret")
    leaked = [token for token in tokens if token in text]
    if leaked:
        seen.append(f"{len(leaked)} issued access token(s)")
    elif TOKEN_SHAPE.search(text):
        seen.append("a papi- token")
    return seen


def judge_next_sync(outcome: Outcome, first: RunResult, second: RunResult, snap: Snapshot,
                    must_read: Mapping[str, Mapping[Key, datetime]]) -> None:
    """The sync after the first one, the fault gone: it completes; the two together hold every record the
    emulator held at the start; the second holds every change made in between, with its new cursor value."""
    outcome.result += f"; next sync {second.summary}"
    outcome.seconds += second.seconds
    outcome.real_seconds += second.real_seconds
    if not second.succeeded:
        errors = [e.get("message") or "" for e in second.errors]
        outcome.add(NEXT_SYNC, f"the next sync did not complete: {second.summary} {errors[:1]}")
    both = count_emitted([first, second])
    missing = lost_records(snap, {stream: set(keys) for stream, keys in snap.items()}, both)
    changed: Dict[str, List[Key]] = {}
    for stream, expected in must_read.items():
        field_name = FACTS[stream].cursor_field or "updated_at"
        read: Dict[Key, List[datetime]] = {}
        for name, data in second.each_record():
            if name == stream and isinstance(data.get(field_name), str):
                read.setdefault(key_of(stream, data), []).append(parse_instant(data[field_name]))
        changed[stream] = sorted((k for k, at in expected.items() if not any(seen >= at for seen in read.get(k, []))), key=str)
    lost = {stream: set(missing.get(stream, [])) | set(changed.get(stream, [])) for stream in set(missing) | set(changed)}
    count = sum(len(keys) for keys in lost.values())
    if count:
        where = "; ".join(f"{stream}: {len(keys)} ({sorted(keys, key=str)[:3]})" for stream, keys in lost.items() if keys)
        outcome.add(NOTHING_LOST, f"{count} records in neither sync, or changed in between and not read by the next one ({where})")
    outcome.lost = max(outcome.lost or 0, count)
    read_by = lambda run: ", ".join(f"{stream} {n}" for stream, n in run.record_counts.items()) or "nothing"
    outcome.notes.append(f"records read by the first sync: {read_by(first)}; by the next: {read_by(second)}")
    if must_read:
        outcome.notes.append("next sync read " + ", ".join(
            f"{len(expected) - len(changed[stream])} of {len(expected)} changed {stream}" for stream, expected in must_read.items()))


def judge(outcome: Outcome, scenario: Scenario, run: RunResult, snap: Snapshot, config: Mapping[str, Any],
          bound: float) -> None:
    outcome.result = run.summary
    outcome.seconds, outcome.real_seconds = run.seconds, run.real_seconds
    first_error = run.errors[0] if run.errors else {}
    outcome.error = first_error.get("message") or ""
    outcome.completed, outcome.exit_code = run.succeeded, run.exit_code
    outcome.failure_type = first_error.get("failure_type")

    if run.killed:
        outcome.add(ENDING, f"did not end: {run.killed}")
    elif scenario.expect == COMPLETES and not run.succeeded:
        outcome.add(ENDING, f"expected the sync to complete; it {run.summary}: {outcome.error[:200]}")
    elif scenario.expect == FAILS and run.succeeded:
        outcome.add(ENDING, "expected a clear failure; the sync reported success")
    elif not run.succeeded:
        if scenario.message and not re.search(scenario.message, outcome.error):
            outcome.add(ENDING, f"unclear error (expected /{scenario.message}/): {outcome.error[:200]!r}")
        if scenario.failure_type and first_error.get("failure_type") != scenario.failure_type:
            outcome.add(ENDING, f"failure_type {first_error.get('failure_type')}, expected {scenario.failure_type}")
        if run.exit_code == 0:
            outcome.add(ENDING, "the sync failed yet exited 0")
    estimated = " (estimated real time)" if run.skipped_sleep else ""
    if scenario.persistent and outcome.outage_seconds is not None:
        limit = min(bound, OUTAGE_LIMIT_SECONDS)
        if outcome.outage_seconds > limit:
            attempts = f" + {MAX_RETRIES + 1} x {scenario.per_attempt_seconds:.0f} s" if scenario.per_attempt_seconds else ""
            outcome.add(IN_TIME, f"went on {outcome.outage_seconds:.0f} s{estimated} after the first failing answer, over the"
                            f" {limit:.0f} s bound ({RETRY_BUDGET_SECONDS} s of retries{attempts} + {SLACK_SECONDS} s,"
                            f" at most {OUTAGE_LIMIT_SECONDS} s)")
    elif scenario.persistent:
        outcome.add(HAPPENED, "the persistent fault never fired")
    elif run.real_seconds > bound:
        outcome.add(IN_TIME, f"took {run.real_seconds:.0f} s{estimated}, over the {bound:.0f} s bound")

    emitted = count_emitted([run])
    lost = lost_records(snap, must_have(snap, run), emitted)
    outcome.lost = sum(len(ids) for ids in lost.values())
    if outcome.lost:
        where = ", ".join(f"{stream}: {len(ids)}" for stream, ids in lost.items() if ids)
        if run.succeeded and logged_skip(run, outcome.lost):
            outcome.notes.append(f"{outcome.lost} records skipped, logged with their count")
        else:
            verb = "lost silently (the sync reported success)" if run.succeeded else "lost from windows the state claims done"
            outcome.add(NOTHING_LOST, f"{outcome.lost} records {verb} ({where})")

    start, steps = parse_instant(config["start_date"]), window_steps(config)
    duplicated = [(s, i) for (s, i), n in emitted.items() if n > 1]
    outcome.duplicated = len(duplicated)
    unexplained = [(s, k) for s, k in duplicated
                   if s not in steps or snap[s].get(k) is None or not on_window_edge(snap[s][k], start, steps[s])]
    outcome.unexplained_duplicates = len(unexplained)
    if unexplained:
        outcome.add(NO_DUPLICATES, f"{len(unexplained)} records emitted twice away from any window edge")
