"""The worker pool of the installed source serves the streams in turn, two windows of a windowed stream at most
(`source_personio/stream_turns.py`)."""
import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor, wait
from concurrent.futures.thread import _WorkItem

import pytest
from airbyte_cdk.sources.streams.concurrent.partition_enqueuer import PartitionEnqueuer
from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader

from source_personio.source import SourcePersonio
from source_personio.stream_turns import WINDOWS_IN_FLIGHT, StreamTurns, is_windowed
from tools.stream_facts import FACTS
from unit_tests.mock_server.config import ConfigBuilder

# Streams cut into windows of their own (days or months), and the others (per parent, open-ended, whole).
WINDOWED = FACTS.of_kind("windowed", "monthly")
NOT_WINDOWED = FACTS.of_kind("per_parent", "open_ended", "whole")


class Partition:
    """A partition whose read waits for `release` and counts how many of its stream's partitions read at once."""

    def __init__(self, stream, label, gauge=None, release=None):
        self.stream, self.label, self.gauge, self.release = stream, label, gauge, release

    def stream_name(self):
        return self.stream

    def read(self):
        if self.gauge is not None:
            self.gauge.enter(self.stream)
        try:
            if self.release is not None:
                self.release.wait(5)
            return iter(())
        finally:
            if self.gauge is not None:
                self.gauge.leave(self.stream)

    def to_slice(self):
        return None


class Gauge:
    def __init__(self):
        self.lock, self.now, self.most = threading.Lock(), {}, {}

    def enter(self, stream):
        with self.lock:
            self.now[stream] = self.now.get(stream, 0) + 1
            self.most[stream] = max(self.most.get(stream, 0), self.now[stream])

    def leave(self, stream):
        with self.lock:
            self.now[stream] -= 1


@pytest.fixture(scope="module")
def cursors():
    source = SourcePersonio(config=ConfigBuilder().build())
    return {stream.name: stream.cursor for stream in source.streams(source._config)}


def _read(partition, cursor):
    return _WorkItem(Future(), PartitionReader(queue.Queue()).process_partition, (partition, cursor), {})


def _labels(turns, count):
    return [turns.get_nowait()._work_item.args[0].label for _ in range(count)]


def test_windowed_streams_are_the_ones_with_a_step(cursors):
    for name in WINDOWED:
        assert is_windowed(cursors[name]), name
    for name in NOT_WINDOWED:
        assert not is_windowed(cursors[name]), name


def test_a_free_worker_takes_the_next_streams_partition_not_the_next_in_line(cursors):
    turns = StreamTurns()
    for number in range(3):
        turns.put(_read(Partition("absence_period_breakdowns", f"breakdown {number}"), cursors["absence_period_breakdowns"]))
    turns.put(_read(Partition("employments", "employment 0"), cursors["employments"]))
    turns.put(_read(Partition("compensations", "month 0"), cursors["compensations"]))

    assert _labels(turns, 5) == ["breakdown 0", "employment 0", "month 0", "breakdown 1", "breakdown 2"]


def test_a_free_worker_goes_to_the_stream_with_the_fewest_partitions_being_read(cursors):
    turns = StreamTurns()
    for number in range(3):
        turns.put(_read(Partition("employments", f"employment {number}"), cursors["employments"]))
    for number in range(3):
        turns.put(_read(Partition("absence_period_breakdowns", f"breakdown {number}"), cursors["absence_period_breakdowns"]))
    first_employment, _, second_employment = turns.get_nowait(), turns.get_nowait(), turns.get_nowait()
    # Given both employments read, one breakdown still being read, and the breakdowns next in turn
    first_employment.run()
    second_employment.run()

    # Then the next worker goes to the employments, which have none being read
    assert _labels(turns, 2) == ["employment 2", "breakdown 1"]


def test_a_third_window_waits_until_one_of_the_first_two_has_been_read(cursors):
    turns = StreamTurns()
    for month in range(3):
        turns.put(_read(Partition("compensations", f"month {month}"), cursors["compensations"]))
    first, second = turns.get_nowait(), turns.get_nowait()

    with pytest.raises(queue.Empty):
        turns.get_nowait()
    first.run()  # read to its end (or failed: the CDK's reader catches either) frees its place
    assert _labels(turns, 1) == ["month 2"]
    assert second._work_item.args[0].label == "month 1"


def test_partition_generators_and_wake_up_calls_go_first(cursors):
    turns = StreamTurns()
    turns.put(_read(Partition("employments", "employment 0"), cursors["employments"]))
    generator = _WorkItem(Future(), PartitionEnqueuer(queue.Queue(), None).generate_partitions, ("a stream",), {})
    turns.put(generator)
    turns.put(None)

    assert turns.get_nowait() is generator
    assert turns.get_nowait() is None
    assert _labels(turns, 1) == ["employment 0"]


def test_a_pool_reads_everything_with_two_windows_at_most_and_other_streams_beside_them(cursors):
    executor = ThreadPoolExecutor(max_workers=4)
    executor._work_queue = StreamTurns()
    gauge, release = Gauge(), threading.Event()
    reader = PartitionReader(queue.Queue())
    futures = [executor.submit(reader.process_partition, Partition("attendance_periods", n, gauge, release),
                               cursors["attendance_periods"]) for n in range(6)]
    futures += [executor.submit(reader.process_partition, Partition("employments", n, gauge, release),
                                cursors["employments"]) for n in range(6)]
    deadline = time.monotonic() + 5
    while sum(gauge.now.values()) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)

    assert gauge.now == {"attendance_periods": WINDOWS_IN_FLIGHT, "employments": 2}  # the other two workers
    release.set()
    done, not_done = wait(futures, timeout=5)
    executor.shutdown()
    assert not not_done
    assert gauge.most["attendance_periods"] == WINDOWS_IN_FLIGHT
    assert gauge.now == {"attendance_periods": 0, "employments": 0}


def test_the_installed_source_reads_through_stream_turns_and_the_bare_cdk_does_not():
    from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
    import source_personio

    installed = SourcePersonio(config=ConfigBuilder().build())
    assert isinstance(installed._concurrent_source._threadpool._threadpool._work_queue, StreamTurns)

    manifest = source_personio.__path__[0] + "/manifest.yaml"
    bare = YamlDeclarativeSource(path_to_yaml=manifest, config=ConfigBuilder().build())
    assert not isinstance(bare._concurrent_source._threadpool._threadpool._work_queue, StreamTurns)
