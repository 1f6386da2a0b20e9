"""The CDK's workers serve the selected streams in turn, and read at most two windows of a windowed stream at once.

Why: the CDK hands its worker pool every partition (a window, a month, a parent) first in, first out, and a worker
whose request waits for its endpoint's budget keeps its thread meanwhile. With every stream selected, the thousand
absences of the breakdowns (one request each, the stream that bounds the sync) queued behind a hundred employments
waiting on their own budget, and each month of compensations then queued behind the thousand breakdowns: the
streams ran mostly one after the other, 1.33x the rate-limit bound, where their budgets let them run side by side
(1.04x-1.09x with this module: docs/performance.md).

What: `take_turns(source)` gives the source's worker pool a queue of its own. Partitions wait in one line per stream,
and a free worker takes the first partition of the stream with the fewest partitions being read (of those, the next
in turn): each stream's next partition waits for at most one partition of every other stream, and the workers freed
while a long window holds one go to the streams that have fewest. Partition generators (the CDK runs at most half
the workers' worth at once) go first: they only feed the lines. A windowed stream has at most WINDOWS_IN_FLIGHT
windows read at once, the earliest first, so that a sync killed at any moment has at most two windows unfinished per
stream (the state holds every finished window: see resume_state.py). Two windows in flight still keep two requests
of a stream under way, enough to spend Personio's ten requests a second at 100 ms a page; one would not be. A window
waiting for its turn holds no thread.

The manifest is unchanged: sources not passed to `take_turns` (the Connector Builder's, `source-declarative-manifest`)
read first in, first out, as the CDK does.

Relied on (pinned by unit_tests/cdk_internals/test_stream_turns_hooks.py): `ConcurrentDeclarativeSource` builds its
`ConcurrentSource` at construction (`_concurrent_source._threadpool._threadpool`, a ThreadPoolExecutor whose threads
start at the first submit); the CDK submits `PartitionReader.process_partition(partition, cursor)` per partition and
`PartitionEnqueuer.generate_partitions(stream)` per stream; a windowed stream's cursor is a `ConcurrentCursor` with a
`_slice_range`; CPython's ThreadPoolExecutor keeps its pending work items in `_work_queue`, each with `run()` and
`future`, and its threads take them with `get(block=True)`, its shutdown with `get_nowait()`, and `None` wakes them.
"""
import collections
import datetime
import queue
import threading
from typing import Any, Deque, Dict, List, Optional

from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader

WINDOWS_IN_FLIGHT = 2

_NOTHING = object()  # `None` is the pool's wake-up call, a real item


def take_turns(source: Any) -> None:
    """Makes the worker pool of `source` (a ConcurrentDeclarativeSource not yet read) serve its streams in turn."""
    executor = source._concurrent_source._threadpool._threadpool
    # Each worker thread keeps the queue it was started with: it must be replaced before the first one starts.
    if executor._threads:
        raise RuntimeError("take_turns must be called before the source reads")
    executor._work_queue = StreamTurns()


def is_windowed(cursor: Any) -> bool:
    # A stream without `step` is one window from the state to now (timedelta.max is the CDK's "no step").
    return type(cursor) is ConcurrentCursor and cursor._slice_range != datetime.timedelta.max


class _Turn:
    """A partition taken by a worker: running it frees its stream's place."""

    def __init__(self, work_item: Any, stream: str, turns: "StreamTurns") -> None:
        self.future = work_item.future
        self._work_item, self._stream, self._turns = work_item, stream, turns

    def run(self) -> None:
        try:
            self._work_item.run()
        finally:
            self._turns.finished(self._stream)


class StreamTurns:
    """The work queue of a ThreadPoolExecutor (`put`, `get`, `get_nowait`), with one line of partitions per stream."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._first: Deque[Any] = collections.deque()  # partition generators, wake-up calls, anything not a partition
        self._lines: Dict[str, Deque[Any]] = {}  # stream -> its partitions not yet taken, in the order they were cut
        self._limits: Dict[str, Optional[int]] = {}  # stream -> partitions it may have in flight (None: any number)
        self._in_flight: Dict[str, int] = collections.Counter()
        self._streams: List[str] = []  # in the order they first had a partition; whose turn it is goes round them
        self._turn = 0

    def put(self, item: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        with self._changed:
            stream = _partition_stream(item)
            if stream is None:
                self._first.append(item)
            else:
                if stream not in self._lines:
                    self._lines[stream] = collections.deque()
                    self._limits[stream] = WINDOWS_IN_FLIGHT if is_windowed(item.args[1]) else None
                    self._streams.append(stream)
                self._lines[stream].append(item)
            self._changed.notify()

    def get(self, block: bool = True, timeout: Optional[float] = None) -> Any:
        with self._changed:
            while True:
                item = self._next()
                if item is not _NOTHING:
                    return item
                if not block or not self._changed.wait(timeout):
                    raise queue.Empty

    def get_nowait(self) -> Any:
        return self.get(block=False)

    def finished(self, stream: str) -> None:
        with self._changed:
            self._in_flight[stream] -= 1
            # Only a stream with a limit can have had a partition waiting for this place: one waiting worker may
            # take it (waking them all for each of a thousand parents costs CPU for nothing).
            if self._limits[stream] is not None and self._lines[stream]:
                self._changed.notify()

    def _next(self) -> Any:
        if self._first:
            return self._first.popleft()
        # A window that takes minutes holds its worker: the workers freed meanwhile go to the streams with fewest.
        chosen, chosen_step = None, 0
        for step in range(len(self._streams)):
            stream = self._streams[(self._turn + step) % len(self._streams)]
            limit = self._limits[stream]
            if not self._lines[stream] or (limit is not None and self._in_flight[stream] >= limit):
                continue
            if chosen is None or self._in_flight[stream] < self._in_flight[chosen]:
                chosen, chosen_step = stream, step
        if chosen is None:
            return _NOTHING
        self._turn = (self._turn + chosen_step + 1) % len(self._streams)
        self._in_flight[chosen] += 1
        return _Turn(self._lines[chosen].popleft(), chosen, self)


def _partition_stream(work_item: Any) -> Optional[str]:
    """The stream of a partition read, None for any other work."""
    function = getattr(getattr(work_item, "fn", None), "__func__", None)
    if function is PartitionReader.process_partition:
        return work_item.args[0].stream_name()
    return None
