"""Judging the syncs of one row: records lost, duplicated, secrets seen, time taken, the error given."""
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tools.fault_suite.connector import Run
from tools.fault_suite.records import Key, Snapshot, key_of, parse_instant
from tools.fault_suite.scenario import COMPLETES, FAILS, Scenario
from tools.fault_suite.settings import CURSOR_FIELDS, MAX_RETRIES, OUTAGE_LIMIT_SECONDS, RETRY_BUDGET_SECONDS, SLACK_SECONDS
from tools.fault_suite.windows import on_window_edge, window_steps


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
    bound_violation: str = ""  # interruption trials: streams read twice beyond RESUME_WINDOWS windows, if any
    read_twice: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # interruption: stream -> (read twice, bound)
    notes: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def count_emitted(runs: Sequence[Run]) -> Counter:
    """(stream, primary key) -> how many times the runs emitted it."""
    return Counter((stream, key_of(stream, data)) for run in runs for stream, data in run.records)


def must_have(snap: Snapshot, run: Run) -> Dict[str, set]:
    """Per stream, the keys a run claims to have delivered: all of a COMPLETE stream (or of a completed
    run), else those whose cursor value lies before the stream's last emitted cursor."""
    claimed = {}
    for stream, records in snap.items():
        if run.completed or run.statuses.get(stream) == "COMPLETE":
            claimed[stream] = set(records)
        else:
            cursor = run.cursor(stream)
            claimed[stream] = {k for k, at in records.items() if cursor is not None and at is not None and at < cursor}
    return claimed


def lost_records(snap: Snapshot, claimed: Mapping[str, set], emitted: Counter) -> Dict[str, List[Key]]:
    return {stream: sorted((k for k in claimed[stream] if (stream, k) not in emitted), key=str) for stream in snap}


def logged_skip(run: Run, count: int) -> bool:
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


def judge_next_sync(outcome: Outcome, first: Run, second: Run, snap: Snapshot,
                    must_read: Mapping[str, Mapping[Key, datetime]]) -> None:
    """The sync after the first one, the fault gone: it completes; the two together hold every record the
    emulator held at the start; the second holds every change made in between, with its new cursor value."""
    outcome.result += f"; next sync {second.result}"
    outcome.seconds += second.seconds
    outcome.real_seconds += second.real_seconds
    problems = outcome.problems
    if not second.completed:
        errors = [e.get("message") or "" for e in second.errors]
        problems.append(f"the next sync did not complete: {second.result} {errors[:1]}")
    both = count_emitted([first, second])
    missing = lost_records(snap, {stream: set(keys) for stream, keys in snap.items()}, both)
    changed: Dict[str, List[Key]] = {}
    for stream, expected in must_read.items():
        field_name = CURSOR_FIELDS.get(stream, "updated_at")
        read: Dict[Key, List[datetime]] = {}
        for name, data in second.records:
            if name == stream and isinstance(data.get(field_name), str):
                read.setdefault(key_of(stream, data), []).append(parse_instant(data[field_name]))
        changed[stream] = sorted((k for k, at in expected.items() if not any(seen >= at for seen in read.get(k, []))), key=str)
    lost = {stream: set(missing.get(stream, [])) | set(changed.get(stream, [])) for stream in set(missing) | set(changed)}
    count = sum(len(keys) for keys in lost.values())
    if count:
        where = "; ".join(f"{stream}: {len(keys)} ({sorted(keys, key=str)[:3]})" for stream, keys in lost.items() if keys)
        problems.append(f"{count} records in neither sync, or changed in between and not read by the next one ({where})")
    outcome.lost = max(outcome.lost or 0, count)
    read_by = lambda run: ", ".join(f"{stream} {n}" for stream, n in Counter(s for s, _ in run.records).items()) or "nothing"
    outcome.notes.append(f"records read by the first sync: {read_by(first)}; by the next: {read_by(second)}")
    if must_read:
        outcome.notes.append("next sync read " + ", ".join(
            f"{len(expected) - len(changed[stream])} of {len(expected)} changed {stream}" for stream, expected in must_read.items()))


def judge(outcome: Outcome, scenario: Scenario, run: Run, snap: Snapshot, config: Mapping[str, Any],
          bound: float) -> None:
    outcome.result = run.result
    outcome.seconds, outcome.real_seconds = run.seconds, run.real_seconds
    first_error = run.errors[0] if run.errors else {}
    outcome.error = first_error.get("message") or ""
    problems = outcome.problems

    if run.killed:
        problems.append(f"did not end: {run.killed}")
    elif scenario.expect == COMPLETES and not run.completed:
        problems.append(f"expected the sync to complete; it {run.result}: {outcome.error[:200]}")
    elif scenario.expect == FAILS and run.completed:
        problems.append("expected a clear failure; the sync reported success")
    elif not run.completed:
        if scenario.message and not re.search(scenario.message, outcome.error):
            problems.append(f"unclear error (expected /{scenario.message}/): {outcome.error[:200]!r}")
        if scenario.failure_type and first_error.get("failure_type") != scenario.failure_type:
            problems.append(f"failure_type {first_error.get('failure_type')}, expected {scenario.failure_type}")
    estimated = " (estimated real time)" if run.skipped_sleep else ""
    if scenario.persistent and outcome.outage_seconds is not None:
        limit = min(bound, OUTAGE_LIMIT_SECONDS)
        if outcome.outage_seconds > limit:
            attempts = f" + {MAX_RETRIES + 1} x {scenario.per_attempt_seconds:.0f} s" if scenario.per_attempt_seconds else ""
            problems.append(f"went on {outcome.outage_seconds:.0f} s{estimated} after the first failing answer, over the"
                            f" {limit:.0f} s bound ({RETRY_BUDGET_SECONDS} s of retries{attempts} + {SLACK_SECONDS} s,"
                            f" at most {OUTAGE_LIMIT_SECONDS} s)")
    elif scenario.persistent:
        problems.append("the persistent fault never fired")
    elif run.real_seconds > bound:
        problems.append(f"took {run.real_seconds:.0f} s{estimated}, over the {bound:.0f} s bound")

    emitted = count_emitted([run])
    lost = lost_records(snap, must_have(snap, run), emitted)
    outcome.lost = sum(len(ids) for ids in lost.values())
    if outcome.lost:
        where = ", ".join(f"{stream}: {len(ids)}" for stream, ids in lost.items() if ids)
        if run.completed and logged_skip(run, outcome.lost):
            outcome.notes.append(f"{outcome.lost} records skipped, logged with their count")
        else:
            verb = "lost silently (the sync reported success)" if run.completed else "lost from windows the state claims done"
            problems.append(f"{outcome.lost} records {verb} ({where})")

    start, steps = parse_instant(config["start_date"]), window_steps(config)
    duplicated = [(s, i) for (s, i), n in emitted.items() if n > 1]
    outcome.duplicated = len(duplicated)
    unexplained = [(s, k) for s, k in duplicated
                   if s not in steps or snap[s].get(k) is None or not on_window_edge(snap[s][k], start, steps[s])]
    if unexplained:
        problems.append(f"{len(unexplained)} records emitted twice away from any window edge")
