"""Rows where a page is hostile: not JSON, cut short, records without id or updated_at, odd next links."""
import math
import threading
from typing import List

from tools.fault_suite.records import parse_instant
from tools.fault_suite.scenario import COMPLETES, Context, EITHER, FAILS, Scenario
from tools.fault_suite.scenarios.outages import _stopped_at_the_outage
from tools.fault_suite.settings import DEFAULT_WINDOWS
from tools.fault_suite.windows import outage_bound_seconds, windows_of
from tools.personio_emulator import Emulator
from tools.sync_runner import cursor_value


def _logged_missing_cursor(context: Context) -> List[str]:
    if any("updated_at" in log.get("message", "") and log.get("level") in ("WARN", "WARNING", "ERROR")
           for log in context.run.logs):
        return []
    return ["a record without updated_at was emitted without any warning"]


BAD_UPDATED_AT = "31/01/2024 25:61"  # what the emulator's record_bad_updated_at fault writes
MISSING_CURSOR_LOG = "Could not find cursor field `updated_at`"


def _bad_updated_at_passed_through(context: Context) -> List[str]:
    """The record with an unparseable updated_at is delivered as sent, the CDK says so once, and the
    stream's state is the latest good updated_at, untouched by the bad one."""
    run, problems = context.run, []
    stream = "attendance_periods"
    passed = [data for name, data in run.each_record() if name == stream and data.get("updated_at") == BAD_UPDATED_AT]
    if len(passed) != 1:
        problems.append(f"{len(passed)} records delivered with updated_at {BAD_UPDATED_AT!r} unchanged, expected 1")
    logged = [log for log in run.logs if MISSING_CURSOR_LOG in log.get("message", "")]
    if len(logged) != 1 or logged[0].get("level") not in ("WARN", "WARNING"):
        problems.append(f"expected one warning {MISSING_CURSOR_LOG!r}…, got {[(l.get('level'), l.get('message', '')[:80]) for l in logged]}")
    state = (run.stream_states.get(stream) or {}).get("stream", {}).get("stream_state") or {}
    try:
        cursor = parse_instant(cursor_value(state) or "")
    except ValueError:
        return problems + [f"the {stream} state is not a timestamp: {state!r}"]
    good = [parse_instant(data["updated_at"]) for name, data in run.each_record()
            if name == stream and data.get("updated_at") not in (None, BAD_UPDATED_AT)]
    latest = max(good).replace(microsecond=0)
    if cursor != latest:
        problems.append(f"the {stream} state is {cursor_value(state)}, not the latest good updated_at {latest:%Y-%m-%dT%H:%M:%SZ}")
    return problems


class EmptyPageAtWindowEnd:
    """Personio's quirk where it belongs: a window's data ends with an empty page that still carries a
    next link. For `stream`, the last page of every window links on (past its last record) instead of
    ending, and the page that link leads to, empty because the data has ended, links on again, to the
    same place, as does the first page of a window without records: a reader that follows loops.
    Counts the empty pages served and how many of them were asked for twice (a link followed)."""

    def __init__(self, emulator: Emulator, stream: str = "attendance_periods"):
        self.stream = stream
        self.served = 0
        self.followed = 0
        self._seen: set = set()
        self._lock = threading.Lock()
        page = emulator.company.page

        def quirky_page(name, **query):
            result = page(name, **query)
            if name != stream or result.more:
                return result
            if result.blobs:
                return result._replace(more=True)  # the last page with records, linking on
            key = (query.get("lower"), query.get("upper"), repr(query.get("after")))
            with self._lock:
                self.served += 1
                self.followed += key in self._seen
                self._seen.add(key)
            return result._replace(more=True)  # empty, and a next link back to where it is

        emulator.company.page = quirky_page


def _stopped_at_the_empty_page(context: Context) -> List[str]:
    quirk: EmptyPageAtWindowEnd = context.prepared
    problems = []
    windows = windows_of(context.config, quirk.stream)
    if quirk.served < len(windows):
        problems.append(f"{quirk.served} empty pages with a next link served for {len(windows)} windows:"
                        " not every window ended on one")
    if quirk.followed:
        problems.append(f"the next link of an empty page was followed {quirk.followed} time(s)")
    # every page with records, one partial page and the empty page per window: no endless loop
    limit = 100
    bound = math.ceil(len(context.snap[quirk.stream]) / limit) + 2 * len(windows) + 2
    asked = context.emulator.stats.requests[quirk.stream]
    if asked > bound:
        problems.append(f"{asked} requests to {quirk.stream}, more than the {bound} its pages need")
    return problems


def _nothing_sent_abroad(context: Context) -> List[str]:
    foreign = context.foreign
    if foreign.authorizations:
        return [f"the bearer token was sent to {foreign.url} in {foreign.authorizations} request(s)"]
    return []


ROWS = [
    # -- hostile responses --------------------------------------------------------------------------
    Scenario("non-JSON body", "an HTML proxy page with status 200, once",
             COMPLETES, faults=({"kind": "non_json", "stream": "attendance_periods", "after": 2},)),
    # Like an outage: the first attendance request to run out of retries stops the read.
    Scenario("non-JSON body, persistent", "every attendance answer after the 3rd is an HTML page",
             FAILS, faults=({"kind": "non_json", "stream": "attendance_periods", "after": 3, "count": None},),
             config=DEFAULT_WINDOWS, message=r"Personio is unavailable.*no usable answer", failure_type="transient_error",
             persistent=True,
             bound_seconds=outage_bound_seconds() + 10, check=_stopped_at_the_outage("no usable answer")),
    Scenario("truncated JSON", "half of a page's JSON, once",
             COMPLETES, faults=({"kind": "truncated_json", "stream": "attendance_periods", "after": 2},)),
    Scenario("_data missing", "a page without _data, once",
             COMPLETES, faults=({"kind": "data_missing", "stream": "absence_periods", "after": 2},)),
    Scenario("_data not a list", "a page whose _data is an object, once",
             COMPLETES, faults=({"kind": "data_not_list", "stream": "persons", "after": 2},)),
    Scenario("record without id", "one attendance record lacks id",
             FAILS, faults=({"kind": "record_without_id", "stream": "attendance_periods", "after": 3},),
             message=r"without an 'id'"),
    Scenario("record without updated_at", "one attendance record lacks updated_at",
             EITHER, faults=({"kind": "record_without_updated_at", "stream": "attendance_periods", "after": 3},),
             message=r"updated_at", check=_logged_missing_cursor),
    # Passed through as sent: delivered, the CDK warns once, the state comes from the good values.
    Scenario("unparseable updated_at", f"one record's updated_at is {BAD_UPDATED_AT!r}",
             COMPLETES, faults=({"kind": "record_bad_updated_at", "stream": "attendance_periods", "after": 3},),
             check=_bad_updated_at_passed_through),
    # Windows of two years hold several pages each, so a page that links to itself hides the rest:
    # the sync must stop and say so; its state claims only windows it finished.
    Scenario("next link to itself", "the first attendance page's next link is its own URL",
             FAILS, faults=({"kind": "next_self", "stream": "attendance_periods"},),
             config={"window_size_days": 730}, failure_type="system_error",
             message=r"next link for attendance_periods points at the page just read"),
    Scenario("next link to another host", "a next link to http://127.0.0.2:<port>/… (a listener)",
             EITHER, faults=({"kind": "next_foreign", "stream": "attendance_periods", "count": 3},),
             config={"window_size_days": 730}, foreign_host=True, message=r"(?i)host|link",
             check=_nothing_sent_abroad),
    # The contract (personio-api.md §2): a page can be empty and still carry a next link, and a reader
    # must stop there. The empty page comes where a window's records end, as Personio sends it, so
    # stopping loses nothing; following its link would loop.
    Scenario("empty page with a next link", "every attendance window ends on an empty page whose next link loops",
             COMPLETES, prepare=EmptyPageAtWindowEnd, check=_stopped_at_the_empty_page),
    Scenario("huge page", "pages 10x the requested limit",
             COMPLETES, faults=({"kind": "huge_page", "stream": "attendance_periods", "count": None},)),
]
