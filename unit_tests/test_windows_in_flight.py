"""Two windows of a windowed stream at most are read at once (`source_personio/windows_in_flight.py`), and the CDK
internals that rests on."""
import inspect
import threading

import pytest
from airbyte_cdk.sources.concurrent_source.concurrent_source import ConcurrentSource
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream

from source_personio.source import SourcePersonio
from source_personio.windows_in_flight import WINDOWS_IN_FLIGHT, _in_slots
from tools.stream_facts import FACTS
from unit_tests.mock_server.config import ConfigBuilder

# The streams cut into windows of their own (of days, or months) and the others (per parent, open-ended, whole).
LIMITED = FACTS.of_kind("windowed", "monthly")
UNLIMITED = FACTS.of_kind("per_parent", "open_ended", "whole")


class Window:
    def __init__(self, name, fails=False):
        self.name, self.fails = name, fails

    def read(self):
        yield f"{self.name} record"
        if self.fails:
            raise RuntimeError("Personio refused the window")


def _streams(config):
    source = SourcePersonio(config=config)
    return {stream.name: stream for stream in source.streams(source._config)}


def test_a_third_window_waits_until_one_of_the_first_two_has_been_read():
    slots = threading.Semaphore(WINDOWS_IN_FLIGHT)
    windows = _in_slots(lambda: iter([Window("a"), Window("b"), Window("c")]), slots)()
    first, second = next(windows), next(windows)

    assert not slots.acquire(blocking=False)  # the generator would wait here for the third
    assert list(first.read()) == ["a record"]
    assert slots.acquire(blocking=False)  # a window read to its end frees its slot
    slots.release()
    assert next(windows).name == "c"
    assert second.name == "b"


def test_a_window_that_fails_frees_its_slot():
    slots = threading.Semaphore(WINDOWS_IN_FLIGHT)
    windows = _in_slots(lambda: iter([Window("a", fails=True), Window("b")]), slots)()
    failing = next(windows)
    next(windows)

    with pytest.raises(RuntimeError):
        list(failing.read())
    assert slots.acquire(blocking=False)


def test_only_the_windowed_streams_are_limited_at_the_default_worker_count():
    streams = _streams(ConfigBuilder().build())
    for name in LIMITED:
        assert streams[name]._stream_partition_generator.generate.__name__ == "generate_in_slots", name
    for name in UNLIMITED:
        assert streams[name]._stream_partition_generator.generate.__name__ != "generate_in_slots", name


def test_nothing_is_limited_with_one_worker():
    # one worker reads one window at a time already, and a waiting generator would hold the only worker
    streams = _streams(ConfigBuilder().with_num_workers(1).build())
    for name in LIMITED:
        assert streams[name]._stream_partition_generator.generate.__name__ != "generate_in_slots", name


def test_the_cdk_internals_the_limit_rests_on():
    # a stream's windows come from its partition generator's generate(), each window's records from read()
    assert "self._stream_partition_generator.generate()" in inspect.getsource(DefaultStream.generate_partitions)
    # fewer threads cut windows than there are workers, so a waiting generator never starves the reads
    assert "It is required to have more workers than threads generating partitions" in inspect.getsource(ConcurrentSource.create)
