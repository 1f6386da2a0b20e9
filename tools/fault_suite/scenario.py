"""What a fault row is: the fault, what must happen, and the context its checks see."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, List, Mapping, Optional, Tuple

from tools.fault_suite.observers import ForeignHost, TokenLog
from tools.fault_suite.records import Key, Snapshot
from tools.fault_suite.settings import STREAMS
from tools.fault_suite.windows import outage_bound_seconds
from tools.personio_emulator import Emulator
from tools.sync_runner import RunResult


COMPLETES, FAILS, EITHER = "completes", "fails clearly", "completes, or fails clearly"


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str  # what goes wrong, as the table says it
    expect: str  # COMPLETES, FAILS or EITHER
    faults: Tuple[Mapping[str, Any], ...] = ()  # Fault(**each), made fresh for every run
    settings: Mapping[str, Any] = field(default_factory=dict)  # emulator settings
    config: Mapping[str, Any] = field(default_factory=dict)  # connector config, over WINDOWS (None removes a field)
    streams: Tuple[str, ...] = STREAMS  # the streams selected (incremental where they can be)
    trigger: Optional[Tuple[int, Callable[[Emulator], None]]] = None  # (after N data requests, action)
    message: Optional[str] = None  # regex the first error message must match when it fails
    failure_type: Optional[str] = None  # the first error's failure_type when it fails
    bound_seconds: float = 120  # the run must end within this (estimated real time); orders the runs
    # The fault persists: from its first failing answer the run must end within outage_bound_seconds()
    # (one request's retries, each attempt taking up to per_attempt_seconds) and OUTAGE_LIMIT_SECONDS.
    persistent: bool = False
    per_attempt_seconds: float = 0
    # After the run the faults are cleared, `between` (if any) changes the company, and a second sync
    # starts from the first one's state: it must complete, the two together must hold every record, and
    # the second must hold what `between` returned (stream -> key -> the cursor instant it must have).
    resume: bool = False
    between: Optional[Callable[["Context"], Mapping[str, Mapping[Key, datetime]]]] = None
    foreign_host: bool = False  # point next_foreign links at a listener on another loopback host
    check: Optional[Callable[["Context"], List[str]]] = None  # more problems to look for
    prepare: Optional[Callable[[Emulator], Any]] = None  # alters the emulator; its result goes to Context
    group: str = "faults"
    # The runner kills each sync of the row at this many seconds (default: from the bound), so a sync that
    # may loop forever makes the row fail quickly instead of holding up the suite.
    deadline: Optional[float] = None

    def bound_for(self, config: Optional[Mapping[str, Any]] = None) -> float:
        """The time the run may take; for a persistent fault, from its first failing answer."""
        if not self.persistent:
            return self.bound_seconds
        return outage_bound_seconds(self.per_attempt_seconds)


@dataclass
class Context:
    scenario: Scenario
    emulator: Emulator
    run: RunResult
    tokens: TokenLog
    foreign: Optional[ForeignHost]
    snap: Snapshot
    config: Mapping[str, Any]
    prepared: Any = None
    second: Optional[RunResult] = None  # the sync that resumed, for scenarios that resume
    notes: List[str] = field(default_factory=list)  # for the row's notes


def _status_seen(status) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        seen = sum(codes.get(status, 0) for codes in context.emulator.stats.status_codes.values())
        return [] if seen else [f"the emulator never answered {status}: the scenario did not happen"]
    return check
