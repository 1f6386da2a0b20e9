"""The windows the connector cuts and the time a failing sync may take."""
from datetime import datetime, timedelta
from typing import Any, Dict, List, Mapping, Optional, Tuple

from tools.stream_facts import FACTS
from tools.fault_suite.records import parse_instant
from tools.fault_suite.settings import MAX_RETRIES, RETRY_BUDGET_SECONDS, SLACK_SECONDS, WINDOWED, WINDOWS
from tools.personio_emulator import Emulator


def config_over_windows(emulator: Emulator, changes: Mapping[str, Any]) -> Dict[str, Any]:
    """A config for `emulator`: WINDOWS with `changes` over it, a change to None removing the field."""
    config = emulator.config(**{**WINDOWS, **changes})
    return {name: value for name, value in config.items() if value is not None}


def window_steps(config: Mapping[str, Any]) -> Dict[str, timedelta]:
    """The window length of each windowed stream (custom attributes and breakdowns follow their parents')."""
    return {stream: timedelta(days=FACTS.window_days(stream, config)) for stream in WINDOWED}


def windows_of(config: Mapping[str, Any], stream: str, now: Optional[datetime] = None) -> List[Tuple[datetime, datetime]]:
    """The windows the connector cuts for `stream`: start, start+step, …, the last one ending now."""
    start, step = parse_instant(config["start_date"]), window_steps(config)[stream]
    now = now or datetime.now(start.tzinfo)
    cut = []
    while start < now:
        cut.append((start, min(start + step, now)))
        start += step
    return cut


def outage_bound_seconds(per_attempt_seconds: float = 0) -> float:
    """How long a sync whose requests fail for good may go on after the first failing answer: the first
    request to meet the fault spends its retries (its attempts, each up to `per_attempt_seconds`, and the
    waits between them), then the read stops at once, whatever else is in flight or still to read."""
    return RETRY_BUDGET_SECONDS + (MAX_RETRIES + 1) * per_attempt_seconds + SLACK_SECONDS


def on_window_edge(moment: datetime, start: datetime, step: timedelta) -> bool:
    """Whether `moment` lies within a second of an edge of the windows start, start+step, …"""
    offset = (moment - start) % step
    return offset <= timedelta(seconds=1) or step - offset <= timedelta(seconds=1)
