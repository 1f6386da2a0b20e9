"""Interruption trials: a sync killed at a seeded random line, then resumed from its last state."""
import random
from dataclasses import dataclass
from typing import List

from tools.fault_suite.connector import catalog, run_connector
from tools.fault_suite.judge import (
    HAPPENED, NEXT_SYNC, NOTHING_LOST, NO_SECRET, Outcome, READ_TWICE, count_emitted, lost_records, secrets_seen,
)
from tools.fault_suite.observers import TokenLog
from tools.fault_suite.records import snapshot
from tools.fault_suite.settings import DEFAULT_WINDOWS, STREAMS
from tools.fault_suite.windows import config_over_windows, windows_of
from tools.personio_emulator import Emulator, EmulatorSettings


TRIAL_COMPANY = {"seed": 11, "persons": 30, "absence_periods": 150, "attendance_periods": 400}


RESUME_WINDOWS = 2  # records read by both the killed and the resumed sync: at most this many windows' worth


@dataclass(frozen=True)
class Trial:
    number: int
    kill_after_lines: int

    @property
    def name(self) -> str:
        return f"interruption #{self.number:02d}"


def interruption_trials(count: int = 20, seed: int = 20_241_125) -> List[Trial]:
    """`count` kill points, seeded: after 1 to (records in the company) stdout lines, so every kill lands
    before the end. Every trial runs the connector's default settings (window sizes, ten workers)."""
    rng = random.Random(seed)
    total = sum(TRIAL_COMPANY[s] for s in STREAMS)
    return [Trial(n, rng.randint(1, total)) for n in range(1, count + 1)]


def run_trial(trial: Trial) -> Outcome:
    """Kill a sync after `trial.kill_after_lines` lines, resume it from the last state it emitted, and
    judge the union of both: nothing lost, and per stream, the records both syncs read (read twice) at most
    RESUME_WINDOWS times the records of the stream's largest window.

    The state holds every finished window (source_personio/resume_state.py), so the resumed sync reads the
    windows unfinished at the kill and the lookback before the last finished one; what it reads twice is what
    the killed sync had read of those."""
    outcome = Outcome(trial.name, "interruption",
                      f"SIGKILL after {trial.kill_after_lines} lines (default settings), then resume",
                      f"resumes: 0 lost, read twice <= {RESUME_WINDOWS}x one window per stream")
    with Emulator(EmulatorSettings(**TRIAL_COMPANY)) as emulator:
        tokens = TokenLog(emulator)
        snap = snapshot(emulator)
        config = config_over_windows(emulator, DEFAULT_WINDOWS)
        killed = run_connector("read", config, catalog(), kill_after_lines=trial.kill_after_lines, deadline=300)
        resumed = run_connector("read", config, catalog(), state=list(killed.stream_states.values()), deadline=300)
        outcome.secrets = secrets_seen(killed.output + resumed.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = killed.seconds + resumed.seconds
    outcome.result = f"{'killed' if killed.killed else 'ended by itself'}, then resume {resumed.summary}"
    outcome.error = (resumed.errors[0].get("message") or "") if resumed.errors else ""
    outcome.completed, outcome.exit_code = resumed.succeeded, resumed.exit_code
    if not killed.killed:
        outcome.add(HAPPENED, f"the first run was not interrupted (it {killed.summary} in {len(killed.stdout)} lines)")
    if not resumed.succeeded:
        outcome.add(NEXT_SYNC, f"the resumed sync did not complete: {resumed.summary} {outcome.error[:200]}")
    if outcome.secrets:
        outcome.add(NO_SECRET, f"secret seen in the output: {', '.join(outcome.secrets)}")

    emitted = count_emitted([killed, resumed])
    lost = lost_records(snap, {s: set(snap[s]) for s in STREAMS}, emitted)
    outcome.lost = sum(len(ids) for ids in lost.values())
    if outcome.lost:
        outcome.add(NOTHING_LOST, f"{outcome.lost} records lost: " + ", ".join(f"{s}: {ids[:3]}" for s, ids in lost.items() if ids))
    outcome.duplicated = sum(1 for n in emitted.values() if n > 1)

    first, second = count_emitted([killed]), count_emitted([resumed])
    for stream in STREAMS:
        twice = sum(1 for (s, key) in first if s == stream and (s, key) in second)
        largest = max([sum(1 for at in snap[stream].values() if a <= at < b) for a, b in windows_of(config, stream)] or [0])
        outcome.read_twice[stream] = (twice, RESUME_WINDOWS * largest)
    outcome.result += "; read twice " + ", ".join(f"{s} {n} (<= {bound})" for s, (n, bound) in outcome.read_twice.items())
    over = {s: v for s, v in outcome.read_twice.items() if v[0] > v[1]}
    if over:
        outcome.bound_violation = "read twice beyond " + ", ".join(
            f"{s}: {n} > {bound} ({RESUME_WINDOWS}x one window)" for s, (n, bound) in over.items())
        outcome.add(READ_TWICE, outcome.bound_violation)
    return outcome
