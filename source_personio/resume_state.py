"""State that lets an interrupted sync resume after every finished window, not only after the first unfinished one.

The CDK's `ConcurrentCursor` keeps the windows a sync has finished as a list of ranges (the "date-range" form,
`{"state_type": "date-range", "slices": [{"start", "end", "most_recent_cursor_value"}, ...]}`) and, given that
form as state, reads only the gaps between the ranges and what follows the last one. But the declarative factory
builds every cursor with a converter fixed to the one-value ("sequential") form, which keeps only the first run of
contiguous ranges: windows that finished after an unfinished one are read again. Here the installed connector makes
its windowed streams write the ranges instead. The manifest is left alone, so the Connector Builder and
`source-declarative-manifest` still write one value, and read the ranges written here with the same CDK code.

Two corrections keep the ranges from claiming what no window of this sync read:
- The CDK starts a sync with one range ending at the saved value (or at the start date), and reads from
  `lookback_window` before it. If the window holding that lookback is unfinished when a later one finishes, the
  saved ranges would claim the lookback read; so the range is cut where this sync's windows begin, and the
  lookback, now part of the cut, is taken back (it stays one `cursor_granularity`: the CDK starts reading that
  long after the end of a range). A fresh sync's first range is then one second before the start date, so a
  record on the start date's second is read again after a kill too.
- Calendar-month windows (compensations) restart `lookback_window` (a month) before the end of the last range;
  that end is saved on a month's first day so the restart stays on month boundaries (see `FinishedMonths`).

Per-parent streams (`ConcurrentPerPartitionCursor`, one cursor for the stream) keep the manifest's state. Mid-sync
the CDK saves their parents' progress (`parent_state`: how far the parent stream got, every parent before it
done) at most every ten minutes; here it is saved whenever that progress moves, so an `absence_period_breakdowns`
sync killed after most absences resumes after the last finished window of absences. `employments` has no parent
progress to save (its parent, every person, is read whole on every sync) and starts again after a kill.
"""
import copy
import datetime
import time
from typing import Any, Callable, List, MutableMapping, Optional

from airbyte_cdk.sources.declarative.incremental import ConcurrentPerPartitionCursor
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, CursorField
from airbyte_cdk.sources.streams.concurrent.state_converters.abstract_stream_state_converter import (
    ConcurrencyCompatibleStateType,
)
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)

START, END, LATEST = "start", "end", "most_recent_cursor_value"


class FinishedWindows(CustomFormatConcurrentStreamStateConverter):
    """Writes the finished ranges (the CDK's date-range form) instead of one value.

    The last range is saved ending at the latest cursor value read in it, so the next sync starts `lookback_window`
    before the newest record, as it did from the one value (from the range's end it would start before the time
    the last sync ran). What lies between is re-read, and holds no record the last sync saw.
    """

    def convert_to_state_message(
        self, cursor_field: CursorField, stream_state: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        return self.serialize(self.for_next_sync(stream_state), ConcurrencyCompatibleStateType.date_range)

    def for_next_sync(self, stream_state: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        slices = [dict(item) for item in stream_state.get("slices", [])]
        if slices and slices[-1].get(LATEST) is not None and slices[-1][LATEST] < slices[-1][END]:
            last = slices[-1]
            last[END] = last[LATEST]
            last[START] = min(last[START], last[END])
        return {**stream_state, "slices": slices}


class FinishedMonths(FinishedWindows):
    """Calendar months: the next sync reads from a month's first day, `end - P1M` of the last range.

    A range reaching the current month (a sync that got to the end) is saved ending at the latest month read (its
    records carry their month's first day; the current month's first without any), so the next sync starts the
    month before it, as from the one-value form. A range ending on an earlier month's last day
    (windows finished before a kill) is saved ending one day later, on the next month's first: the next sync
    re-reads that finished month only, and never the gap before it twice. That one day is claimed without being
    read, but the next sync reads from the month before it, which holds that day.
    """

    def for_next_sync(self, stream_state: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
        slices = [dict(item) for item in stream_state.get("slices", [])]
        if slices:
            last = slices[-1]
            this_month = self.get_end_provider()().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            if last[END] < this_month:
                last[END] = last[END] + datetime.timedelta(days=1)
            else:
                last[END] = last.get(LATEST) or last[END].replace(day=1)
                last[START] = min(last[START], last[END])
        return {**stream_state, "slices": slices}


def resume_after_finished_windows(factory: ModelToComponentFactory) -> None:
    """Makes every windowed stream `factory` builds save its finished windows (see the module's docstring)."""
    build: Callable[..., Any] = factory._build_concurrent_cursor

    def build_cursor(model: Any, stream_slicer: Any, config: Any) -> Any:
        cursor = build(model, stream_slicer, config)
        # Exactly ConcurrentCursor: per-parent cursors and streams without a cursor keep the CDK's own state.
        if type(cursor) is ConcurrentCursor and type(cursor._connector_state_converter) is CustomFormatConcurrentStreamStateConverter:
            monthly = not isinstance(cursor._slice_range, datetime.timedelta)
            cursor._connector_state_converter.__class__ = FinishedMonths if monthly else FinishedWindows
            _start_ranges_where_windows_start(cursor)
        elif type(cursor) is ConcurrentPerPartitionCursor and cursor._use_global_cursor:
            _save_parent_progress_when_it_moves(cursor)
        return cursor

    factory._build_concurrent_cursor = build_cursor  # type: ignore[method-assign]


def _start_ranges_where_windows_start(cursor: ConcurrentCursor) -> None:
    slices: List[MutableMapping[str, Any]] = cursor._concurrent_state.get("slices") or []
    if not slices:
        return
    granularity: Optional[datetime.timedelta] = cursor._cursor_granularity
    lookback = cursor._lookback_window
    first_read = slices[-1][END] - lookback if lookback else slices[-1][END]
    if cursor._start is not None:
        first_read = max(first_read, cursor._start)
    # Everything from first_read on is this sync's to read; a range claims only what lies before it.
    claimed_until = first_read - granularity if granularity else first_read
    kept = []
    for item in sorted(slices, key=lambda s: (s[START], s[END])):
        if item[START] > claimed_until:
            continue
        # The latest value stays: previous syncs did read it, and the one value read from this form (the first
        # range's latest) then never moves back.
        item[END] = min(item[END], claimed_until)
        kept.append(item)
    # Nothing claimed (a first sync): a range of one unit just before the first read, with no latest value.
    cursor._concurrent_state["slices"] = kept or [{START: claimed_until, END: claimed_until}]
    # The CDK reads from `end - lookback` of the last range; the cut above already holds the lookback, and a
    # negative granularity makes it read from `end + granularity`, as it does after every other range.
    cursor._lookback_window = -granularity if granularity else None


def _save_parent_progress_when_it_moves(cursor: ConcurrentPerPartitionCursor) -> None:
    # The CDK asks `_throttle_state_message` before each mid-sync state (after a parent's partition closes) and
    # emits when it returns a time; it skips the state anyway while there is no parent progress.
    saved: List[Any] = [copy.deepcopy(cursor._parent_state)]

    def when_parent_progress_moved() -> Optional[float]:
        if cursor._parent_state == saved[0]:
            return None
        saved[0] = copy.deepcopy(cursor._parent_state)
        return time.time()

    cursor._throttle_state_message = when_parent_progress_moved  # type: ignore[method-assign]
