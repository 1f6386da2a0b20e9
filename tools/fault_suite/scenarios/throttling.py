"""Rows where Personio throttles: 429 storms with and without Retry-After, and on a per-parent endpoint."""
from typing import Callable, List

from tools.fault_suite.scenario import COMPLETES, Context, Scenario
from tools.fault_suite.settings import STREAMS


RATE_LIMITS = {stream: (2.0, 2) for stream in STREAMS}  # 2 requests a second, a burst of 2


def _throttled(context: Context) -> List[str]:
    throttled = sum(context.emulator.stats.throttled.values())
    return [] if throttled else ["no request was throttled: the storm did not happen"]


def _throttled_on(stream: str) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        throttled = context.emulator.stats.throttled.get(stream, 0)
        context.notes.append(f"{throttled} of {context.emulator.stats.requests.get(stream, 0)} {stream} requests answered 429")
        return [] if throttled else [f"no {stream} request was throttled: the storm did not happen"]
    return check


ROWS = [
    Scenario("429 storm with Retry-After", "2 req/s buckets on every endpoint; 429 + Retry-After + x-ratelimit-*",
             COMPLETES, settings={"rate_limits": RATE_LIMITS, "retry_after_on_429": True},
             bound_seconds=240, check=_throttled),
    Scenario("429 storm without Retry-After", "2 req/s buckets; 429 with only x-ratelimit-* headers",
             COMPLETES, settings={"rate_limits": RATE_LIMITS, "retry_after_on_429": False},
             bound_seconds=300, check=_throttled),
    # A per-parent endpoint is one bucket for all parents (contract §7): a small one on employments, under
    # the connector's default per-parent budget (10/s), so it is throttled all along.
    Scenario("429 storm on employments", "a 2 req/s bucket on /v2/persons/{id}/employments; 429 without Retry-After",
             COMPLETES, settings={"rate_limits": {"employments": (2.0, 2)}, "retry_after_on_429": False},
             streams=("persons", "employments"), bound_seconds=240, check=_throttled_on("employments")),
]
