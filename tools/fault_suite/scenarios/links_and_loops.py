"""Link writings and loops.

Servers that look like Personio write links differently (personio-api.md §2): `self` echoes the request as
sent or carries the cursor alone, `next` carries the cursor alone (Personio's live shape) or `limit` too, in
either order, the cursor percent-encoded or raw, links absolute or relative. One independent server's next
link, after a full last page, led back to a page already read and then to itself, and a full sync looped
forever: the loop rows below play that and three other loops on a windowed list, a per-person list, a monthly
one and a recruiting list, each in another link writing. The sync must end, the looping stream fail with a
message that names it and says "loop", every other stream complete, and the next sync, the fault gone,
lose nothing. Short pages (the emulator's page cap) give a tiny company several pages per window, person and
month; the runner kills a sync at LOOP_DEADLINE_SECONDS, so a connector that loops fails its row quickly.
"""
import re
from typing import Callable, List

from tools.fault_suite.records import cursor_at, parse_instant
from tools.fault_suite.scenario import COMPLETES, Context, FAILS, Scenario
from tools.fault_suite.scenarios.outages import UNAVAILABLE
from tools.fault_suite.settings import FAST_BUDGETS


LOOP_COMPANY = {"persons": 20, "absence_periods": 20, "attendance_periods": 60, "compensation_months": 4}
LOOP_DEADLINE_SECONDS = 150
# One looped list of each kind that pages through more than a window's first page (a windowed list, a per-parent
# one, a monthly one, an open-ended one), and the page cap that gives it several pages per window.
LOOPED = {"windowed": ("attendance_periods", 2), "per_parent": ("employments", 1), "monthly": ("compensations", 4),
          "open_ended": ("recruiting_applications", 4)}
PAGE_CAPS = dict(LOOPED.values())
LOOPED_STREAMS = tuple(PAGE_CAPS)
WRITINGS = {
    "absolute, cursor alone, %2B": {},
    "relative": {"relative_next_links": True},
    "cursor then limit": {"next_link": "cursor_limit"},
    "limit then cursor": {"next_link": "limit_cursor"},
    "raw +": {"link_cursor_escaping": "raw"},
    "self = cursor alone": {"self_link": "cursor"},
    "relative, limit then cursor, raw +, self = cursor": {
        "relative_next_links": True, "next_link": "limit_cursor", "link_cursor_escaping": "raw", "self_link": "cursor"},
}
# kind -> (after, count, what the table says); after and count count only the pages with records the loop can
# play on.
LOOP_SHAPES = {
    "next_repeat": (3, None, "from the {nth} page on, every next link leads to the page just read"),
    "next_back": (1, None, "from the {nth} page with more on, A's next link goes on to B and B's leads back to A"),
    "last_page_loops": (1, 1, "the {nth} page with no more after it links back to itself (cursor alone), then to"
                              " itself for good"),
    "repeat_forever": (2, 1, "from the {nth} page on, every next link is a new cursor to the same records"),
}
# A recruiting list is one open-ended window, so it has one last page: that one loops. The independent server's
# shape on attendance periods comes in the 6th window, read one window at a time, so the row shows the state
# keeping the five finished before it.
LOOP_AFTER = {("last_page_loops", "recruiting_applications"): 0, ("last_page_loops", "attendance_periods"): 5}
LOOP_IN_ORDER = {("last_page_loops", "attendance_periods")}
# Which link writing each loop row uses: every writing appears, each loop meets several.
LOOP_WRITINGS = {
    ("next_repeat", "attendance_periods"): "absolute, cursor alone, %2B",
    ("next_back", "attendance_periods"): "relative",
    ("last_page_loops", "attendance_periods"): "absolute, cursor alone, %2B",
    ("repeat_forever", "attendance_periods"): "relative, limit then cursor, raw +, self = cursor",
    ("next_repeat", "employments"): "cursor then limit",
    ("next_back", "employments"): "raw +",
    ("last_page_loops", "employments"): "self = cursor alone",
    ("repeat_forever", "employments"): "limit then cursor",
    ("next_repeat", "compensations"): "raw +",
    ("next_back", "compensations"): "limit then cursor",
    ("last_page_loops", "compensations"): "relative",
    ("repeat_forever", "compensations"): "self = cursor alone",
    ("next_repeat", "recruiting_applications"): "limit then cursor",
    ("next_back", "recruiting_applications"): "absolute, cursor alone, %2B",
    ("last_page_loops", "recruiting_applications"): "raw +",
    ("repeat_forever", "recruiting_applications"): "cursor then limit",
}


def _loop_stopped(stream: str, keeps_windows: bool = False) -> Callable[[Context], List[str]]:
    """The looping stream fails with an error naming it and saying "loop"; every other selected stream
    completes; the exit status is non-zero; the loop is not taken for an outage. With `keeps_windows` (windows
    read in order, the loop in a later one) the looping stream's state is past the start date."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        if run.killed:
            return []  # judge() says it did not end
        messages = [e.get("message") or "" for e in run.errors]
        said = [m for m in messages if stream in m and re.search(r"(?i)\bloop", m)]
        if not said:
            shown = [m[:160] for m in messages[:2]]
            problems.append(f"no error trace naming {stream} and saying 'loop' (errors: {shown})")
        if run.stream_status.get(stream) == "COMPLETE":
            problems.append(f"{stream} looped yet reported COMPLETE")
        for other in context.scenario.streams:
            if other != stream and run.stream_status.get(other) != "COMPLETE":
                problems.append(f"{other} (not looping) ended {run.stream_status.get(other)}, not COMPLETE")
        if run.exit_code == 0:
            problems.append("exit code 0 although a stream looped")
        if any(UNAVAILABLE.search(m) for m in messages):
            problems.append("a loop was reported as an outage")
        kept = cursor_at(run, stream)
        if keeps_windows and (kept is None or kept <= parse_instant(context.config["start_date"])):
            problems.append(f"{stream}: the state kept no finished window ({kept})")
        context.notes.append(f"{context.emulator.stats.requests.get(stream, 0)} {stream} requests; its state kept"
                             f" at {cursor_at(run, stream) or 'nothing (no window finished in order)'}")
        return problems
    return check


def _links_followed(context: Context) -> List[str]:
    """Every capped list was read past its first pages (requests with a cursor answered 200), and no request
    was refused: the link writing was followed, not just present."""
    problems = []
    for stream in LOOPED_STREAMS:
        entries = context.emulator.stats.entries(stream)
        followed = sum(1 for e in entries if "cursor" in e["query"] and e["status"] == 200)
        refused = sum(1 for e in entries if e["status"] == 400)
        if not followed:
            problems.append(f"{stream}: no next link was followed")
        if refused:
            problems.append(f"{stream}: {refused} requests refused (400): the link was not sent as written")
    return problems


def _writing_scenarios() -> List[Scenario]:
    rows = []
    for writing, settings in WRITINGS.items():
        rows.append(Scenario(
            f"links: {writing}", f"links written {writing}; pages of 1 to 4 records", COMPLETES,
            settings={**LOOP_COMPANY, "page_cap": PAGE_CAPS, **settings}, config=FAST_BUDGETS,
            streams=("persons",) + LOOPED_STREAMS, bound_seconds=LOOP_DEADLINE_SECONDS,
            deadline=LOOP_DEADLINE_SECONDS, check=_links_followed, group="links"))
    return rows


def _loop_scenarios() -> List[Scenario]:
    rows = []
    for kind, (after, count, said) in LOOP_SHAPES.items():
        for stream in LOOPED_STREAMS:
            writing = LOOP_WRITINGS[(kind, stream)]
            fault = {"kind": kind, "stream": stream, "after": LOOP_AFTER.get((kind, stream), after), "count": count}
            nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(fault["after"] + 1, f"{fault['after'] + 1}th")
            in_order = (kind, stream) in LOOP_IN_ORDER
            rows.append(Scenario(
                f"loop: {kind} on {stream} ({writing})", f"{stream}: {said.format(nth=nth)}; links {writing}"
                + ("; one window at a time" if in_order else ""), FAILS, faults=(fault,),
                settings={**LOOP_COMPANY, "page_cap": {stream: PAGE_CAPS[stream]}, **WRITINGS[writing]},
                config={**FAST_BUDGETS, **({"num_workers": 1} if in_order else {})}, streams=("persons", stream),
                resume=True, bound_seconds=LOOP_DEADLINE_SECONDS, deadline=LOOP_DEADLINE_SECONDS,
                check=_loop_stopped(stream, keeps_windows=in_order), group="loops"))
    return rows


ROWS = _writing_scenarios() + _loop_scenarios()
