"""Rows for the deletions and stage-transitions streams: a 429 storm, a burst of server errors, and an interruption
with records deleted before the next sync, each with nothing lost."""
from datetime import datetime, timedelta, timezone
from typing import Callable, Dict, List

from tools.fault_suite.records import Key
from tools.fault_suite.scenario import COMPLETES, Context, FAILS, Scenario, _status_seen
from tools.fault_suite.settings import FAST_BUDGETS
from tools.fault_suite.windows import outage_bound_seconds
from tools.stream_facts import FACTS

TRANSITIONS = "recruiting_application_stage_transitions"
STREAMS = (FACTS["deletions"].name, TRANSITIONS)
# Buckets under the connector's budgets (10/s per parent list, 10/s for the webhook lists); the event log comes one
# event a page, so its few events take enough requests to empty a bucket of one.
STORM = {"webhooks": (2.0, 2), "deletions": (1.0, 1), TRANSITIONS: (2.0, 2), FACTS[TRANSITIONS].parent: (2.0, 2)}


def _throttled_on(*streams: str) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        throttled = {stream: context.emulator.stats.throttled.get(stream, 0) for stream in streams}
        context.notes.append(", ".join(f"{n} {stream} requests answered 429" for stream, n in throttled.items()))
        return [f"no {stream} request was throttled: the storm did not happen" for stream, n in throttled.items() if not n]
    return check


def _delete_between_syncs(context: Context) -> Dict[str, Dict[Key, datetime]]:
    """Deletes a person and an absence after the interrupted sync: the next one must read their deletions (and the
    person's employments'), at the instants the emulator recorded them."""
    company = context.emulator.company
    person, absence = company.ids("persons")[0], company.ids("absence_periods")[0]
    employments = [e["id"] for e in company.employments(person) or []]
    company.delete("persons", person)
    company.delete("absence_periods", absence)
    newest = company.webhook_log.served()[-1].occurred_us
    at = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=newest)
    deleted = [("persons", person), ("absence_periods", absence)] + [("employments", e) for e in employments]
    context.notes.append(f"deleted between the syncs: {len(deleted)} records")
    return {"deletions": {key: at for key in deleted}}


def rows() -> List[Scenario]:
    return [
        Scenario("429 storm on deletions and stage transitions",
                 "2 req/s buckets on the webhook list, the application list and stage transitions, 1 req/s on the "
                 "webhook events (one event a page); 429 without Retry-After", COMPLETES,
                 settings={"rate_limits": STORM, "retry_after_on_429": False, "page_cap": {"deletions": 1}},
                 streams=STREAMS, bound_seconds=300, check=_throttled_on("deletions", TRANSITIONS)),
        Scenario("5xx on deletions and stage transitions",
                 "503 twice on the webhook events, 500 then 502 on stage transitions", COMPLETES,
                 faults=({"kind": "status_503", "stream": "deletions", "count": 2},
                         {"kind": "status_500", "stream": TRANSITIONS, "after": 3},
                         {"kind": "status_502", "stream": TRANSITIONS, "after": 3}),
                 config=FAST_BUDGETS, streams=STREAMS, check=_status_seen(503)),
        # Every data request after the 8th answers 503 until the sync stops; the next sync, with a person and an
        # absence deleted in between, reads from the saved state: both together hold every record, and the next
        # one the new deletions.
        Scenario("interrupted deletions and stage transitions, records deleted before the next sync",
                 "every data request after the 8th answers 503 (sync stops); then a person and an absence deleted",
                 FAILS, faults=({"kind": "status_503", "after": 8, "count": None},), config=FAST_BUDGETS,
                 streams=STREAMS, message=r"Personio is unavailable.*server errors \(HTTP 5xx\)",
                 failure_type="transient_error", persistent=True, resume=True, between=_delete_between_syncs,
                 bound_seconds=outage_bound_seconds() + 60),
    ]


ROWS = rows()
