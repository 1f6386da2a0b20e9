"""The fewest requests that could fetch what a benchmark scenario reads, from the emulator's own records.

Windowed minimum: the connector's windows (consecutive windows from start_date, or from the state minus the
lookback, of window_size_days (persons: persons_window_size_days) minus one second, the last ending now), each
max(1, ceil(n / page size)) requests, n counting the records the window's filters match, plus the one token call
of the sync. Unwindowed minimum: ceil(records / largest page size) per endpoint plus the one token call, what a
reader that needed no windows would spend. Employments: one list of every person, then max(1, ceil(n / 50))
requests per person. Every stream: the same per endpoint, summed over the streams that share it, plus one request
per absence (28 breakdown rows a page) and one per calendar month of compensations.
"""
import bisect
import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional, Tuple

from tools.personio_emulator import Emulator
from tools.benchmark.reference_reader import parse_instant, start_of, window_filters, windows
from tools.stream_facts import FACTS

STREAMS = FACTS.windowed_lists
# The per-person list: every person is asked on every sync (its parent is read whole).
EMPLOYMENTS = FACTS.partitioned_by_an_unwindowed_parent()[0]
PAGE_SIZE = {stream.name: stream.page_size for stream in FACTS if stream.page_size}
SECOND_US = 1_000_000


def instants(emu: Emulator, stream: str) -> List[int]:
    """Every record's exact updated_at (epoch microseconds), sorted: what the emulator's filters compare."""
    company = emu.company
    return sorted(company.updated_us(stream, record_id) for record_id in company.ids(stream))


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * SECOND_US + moment.microsecond


def window_counts(stream: str, keys: List[int], spans: List[Tuple[datetime, datetime]]) -> List[int]:
    """Records each window's first-page filters match (the filters as the connector sends them)."""
    out = []
    for lower, upper in spans:
        if FACTS[stream].strict_window:  # updated_at.gt = lower - 1 s, updated_at.lt = upper + 1 s (persons)
            lo = bisect.bisect_right(keys, _us(lower) - SECOND_US)
            hi = bisect.bisect_left(keys, _us(upper) + SECOND_US)
        else:  # updated_at.gte = lower, updated_at.lte = upper + 1 s (inclusive)
            lo = bisect.bisect_left(keys, _us(lower))
            hi = bisect.bisect_right(keys, _us(upper) + SECOND_US)
        out.append(max(0, hi - lo))
    return out


@dataclass
class Minimum:
    windows: Dict[str, List[Tuple[datetime, datetime]]]
    pages: Dict[str, int]  # windowed minimum per endpoint
    flat_pages: Dict[str, int]  # unwindowed minimum per endpoint (largest page size, no windows)
    matched: Dict[str, int]  # records the windows match (boundary records count twice)
    tokens: int = 1  # the connector takes one access token for the whole sync

    @property
    def total(self) -> int:
        return sum(self.pages.values()) + self.tokens

    @property
    def flat_total(self) -> int:
        return sum(self.flat_pages.values()) + self.tokens


def minimum(emu: Emulator, config: dict, now: datetime, states: Optional[Dict[str, dict]] = None,
            only_after: Optional[int] = None) -> Minimum:
    """Windowed and no-window minimum requests for a run starting at `now` (from `states` when given)."""
    start = start_of(config)
    lookback = timedelta(hours=int(config.get("lookback_window_hours", 24)))
    result = Minimum({}, {}, {}, {})
    for stream in STREAMS:
        keys = instants(emu, stream)
        days = FACTS.window_days(stream, config)
        stream_state = states[stream]["stream"]["stream_state"] if states and stream in states else {}
        spans = spans_to_read(stream_state, start, lookback, days, now)
        lower = spans[0][0] if spans else now
        counts = window_counts(stream, keys, spans)
        page = PAGE_SIZE[stream]
        result.windows[stream] = spans
        result.pages[stream] = sum(max(1, math.ceil(n / page)) for n in counts)
        result.matched[stream] = sum(counts)
        # no windows: one query for everything the sync has to read
        if lower == start:
            wanted = len(keys)
        else:
            wanted = len(keys) - bisect.bisect_left(keys, _us(lower))
        result.flat_pages[stream] = max(1, math.ceil(wanted / page))
    return result


def spans_to_read(stream_state: dict, start: datetime, lookback: timedelta, days: int,
                  now: datetime) -> List[Tuple[datetime, datetime]]:
    """The windows the connector reads given a windowed stream's state: from the start date without one; from the
    value minus the lookback for 0.3.0's one value; for the finished ranges (`state_type: date-range`), the gaps
    between them (each ending a second before the next range) and everything from the last range's end minus the
    lookback."""
    if stream_state.get("state_type") != "date-range":
        value = stream_state.get("updated_at")
        lower = max(start, parse_instant(value).astimezone(timezone.utc) - lookback) if value else start
        return windows(lower, days, now)
    second = timedelta(seconds=1)
    ranges = sorted((parse_instant(item["start"]), parse_instant(item["end"])) for item in stream_state["slices"])
    # as source_personio/resume_state.py does: what lies from the last end minus the lookback on is read again
    first_read = max(start, ranges[-1][1] - lookback)
    ranges = [(lo, min(hi, first_read - second)) for lo, hi in ranges if lo <= first_read - second]
    if not ranges:
        return windows(first_read, days, now)
    spans: List[Tuple[datetime, datetime]] = []
    if ranges[0][0] > start:
        spans += windows(start, days, ranges[0][0] - second)
    for (_, end), (following, _) in zip(ranges, ranges[1:]):
        spans += windows(max(start, end + second), days, following - second)
    return spans + windows(max(start, ranges[-1][1] + second), days, now)


def employments_minimum(emu: Emulator, config: dict) -> Tuple[Minimum, set]:
    """Scenario f: every person listed once without windows (the largest persons page), then one request per
    person (and more pages only past 50 employments), filtered updated_at.gt = start - 1 s; one token call for
    the sync. Without windows this is also the unwindowed minimum. Returns it and the ids the filters
    match (what a full read must deliver)."""
    start = start_of(config)
    lower = _us(start) - SECOND_US
    company = emu.company
    persons = company.ids("persons")
    wanted: set = set()
    pages = 0
    for person_id in persons:
        matched = [e["id"] for e in company.employments(person_id) or []
                   if company.updated_us(EMPLOYMENTS, e["id"]) > lower]
        wanted.update(matched)
        pages += max(1, math.ceil(len(matched) / PAGE_SIZE[EMPLOYMENTS]))
    counts = {"persons": max(1, math.ceil(len(persons) / PAGE_SIZE["persons"])), EMPLOYMENTS: pages}
    return Minimum({}, counts, dict(counts), {"persons": len(persons), EMPLOYMENTS: len(wanted)}), wanted


def check_employment_filters(emu: Emulator, config: dict) -> List[str]:
    """Every person's first employments page carries updated_at.gt = start - 1 s, and only that filter."""
    start = start_of(config)
    wanted = (start - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    firsts = [e["query"] for e in emu.stats.entries() if e["endpoint"] == EMPLOYMENTS and "cursor" not in e["query"]]
    wrong = [q for q in firsts if q.get("updated_at.gt") != wanted or "updated_at.lt" in q]
    return [f"{len(wrong)} of {len(firsts)} first employments pages not filtered updated_at.gt={wanted}: {wrong[:2]}"] if wrong else []


def check_windows(emu: Emulator, expected: Minimum) -> Tuple[List[str], int]:
    """Compare the first-page filters the emulator logged with the windows the minimum assumed: the same
    window starts, and the same ends where the connector sent one (it may leave the newest windows open
    towards now). The last window ends at the connector's own "now", seconds after the one assumed here, so
    its end is not compared. Returns the differences and the number of windows sent without an end."""
    problems = []
    open_ended = 0
    entries = emu.stats.entries()
    for stream in expected.windows:
        sent: Dict[str, Optional[str]] = {}
        for entry in entries:
            if entry["endpoint"] == stream and "cursor" not in entry["query"]:
                query = entry["query"]
                lower = query.get("updated_at.gt") or query.get("updated_at.gte")
                sent[lower] = query.get("updated_at.lt") or query.get("updated_at.lte")
        wanted: Dict[str, str] = {}
        for lower, upper in expected.windows[stream]:
            values = list(window_filters(FACTS[stream].strict_window, lower, upper).values())
            wanted[values[0]] = values[1]
        last = max(wanted) if wanted else None
        open_ended += sum(1 for upper in sent.values() if upper is None)
        wrong_ends = [(lower, upper, wanted.get(lower)) for lower, upper in sent.items()
                      if upper is not None and lower != last and upper != wanted.get(lower)]
        if set(sent) != set(wanted) or wrong_ends:
            problems.append(f"{stream}: {len(sent)} windows sent, {len(wanted)} assumed; starts sent only "
                            f"{sorted(set(sent) - set(wanted))[:2]}, assumed only {sorted(set(wanted) - set(sent))[:2]}"
                            f"; other ends {wrong_ends[:2]}")
    return problems, open_ended


def lookback_records(emu: Emulator, stream: str, state: Optional[dict], hours: int) -> int:
    """Records a resumed sync reads again by design: those updated within the lookback before the saved state."""
    value = (state or {}).get("stream", {}).get("stream_state", {}).get("updated_at")
    if not value:
        return 0
    keys = instants(emu, stream)
    end = parse_instant(value).astimezone(timezone.utc)
    return bisect.bisect_right(keys, _us(end) + SECOND_US) - bisect.bisect_left(keys, _us(end - timedelta(hours=hours)))


def compensation_months(start: datetime, now: datetime) -> List[str]:
    """Calendar months from the start date's to now's, as the connector walks them ("YYYY-MM")."""
    months, year, month = [], start.year, start.month
    while (year, month) <= (now.year, now.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def every_stream_minimum(emu: Emulator, config: dict, now: datetime) -> Dict[str, int]:
    """Fewest requests per emulator endpoint for a first sync of every stream (tokens aside). The persons
    endpoint serves persons, person_custom_attributes (the same windows) and employments' list of every person;
    the absence-periods endpoint serves absence_periods and, as breakdowns' parent, the same windows again. The
    structure and recruiting lists count one request each (a lower bound; none of them is near the bound)."""
    windowed = minimum(emu, config, now)
    company = emu.company
    persons = company.ids("persons")
    employments, _ = employments_minimum(emu, config)
    out = {
        "persons": 2 * windowed.pages["persons"] + max(1, math.ceil(len(persons) / PAGE_SIZE["persons"])),
        "absence_periods": 2 * windowed.pages["absence_periods"],
        "attendance_periods": windowed.pages["attendance_periods"],
        EMPLOYMENTS: employments.pages[EMPLOYMENTS],
        "absence_period_breakdowns": sum(max(1, math.ceil(len(company.breakdowns(a) or []) /
                                                          PAGE_SIZE["absence_period_breakdowns"]))
                                         for a in company.ids("absence_periods")),
        "compensations": sum(max(1, math.ceil(len(company.compensations(month=m)) / PAGE_SIZE["compensations"]))
                             for m in compensation_months(start_of(config), now)),
    }
    if "recruiting_application_stage_transitions" in FACTS:  # Personio does not page them: one per application
        out["recruiting_application_stage_transitions"] = len(company.ids("recruiting_applications"))
    if "deletions" in FACTS:  # its parent, the list of webhooks, is one request of its own
        out["webhooks"] = 1
    for stream in FACTS.endpoints:  # the other lists: one request each, one per partition (departments, teams)
        if stream not in out:
            out[stream] = max(1, len(FACTS[stream].partitions))
    return out
