"""Pins each CDK (and CPython) internal that source_personio/stream_turns.py relies on. An upgrade that changes one
fails here, naming what to revisit, instead of silently reading every partition first in, first out again (the
behaviour itself is tested in unit_tests/test_stream_turns.py)."""
import inspect
from concurrent.futures import ThreadPoolExecutor, thread

from airbyte_cdk.sources.concurrent_source.concurrent_read_processor import ConcurrentReadProcessor
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partition_enqueuer import PartitionEnqueuer
from airbyte_cdk.sources.streams.concurrent.partition_reader import PartitionReader

from source_personio.source import SourcePersonio
from source_personio.stream_turns import StreamTurns

_CONFIG = {"client_id": "fake-id", "client_secret": "fake-secret"}


def test_the_source_builds_its_worker_pool_at_construction_with_no_thread_started() -> None:
    source = SourcePersonio(config=_CONFIG)

    executor = source._concurrent_source._threadpool._threadpool

    assert isinstance(executor, ThreadPoolExecutor), "revisit take_turns: the CDK's pool is no longer reached there"
    assert not executor._threads, "revisit take_turns: threads started before the queue could be replaced"
    assert isinstance(executor._work_queue, StreamTurns)


def test_each_partition_is_submitted_as_a_read_of_that_partition_with_its_streams_cursor() -> None:
    assert "self._partition_reader.process_partition, partition, cursor" in inspect.getsource(
        ConcurrentReadProcessor.on_partition), "revisit stream_turns._partition_stream: partitions submitted otherwise"
    assert list(inspect.signature(PartitionReader.process_partition).parameters) == ["self", "partition", "cursor"]


def test_partition_generators_are_submitted_as_other_work() -> None:
    assert "self._partition_enqueuer.generate_partitions" in inspect.getsource(
        ConcurrentReadProcessor.start_next_partition_generator)
    assert PartitionEnqueuer.generate_partitions is not PartitionReader.process_partition


def test_a_cursor_without_step_is_given_the_largest_slice_range() -> None:
    # is_windowed tells a stream cut in windows from one read in one piece by this value.
    assert "self._slice_range = slice_range" in inspect.getsource(ConcurrentCursor.__init__)
    assert "step_length = datetime.timedelta.max" in inspect.getsource(
        ModelToComponentFactory.create_concurrent_cursor_from_datetime_based_cursor)


def test_cpythons_pool_threads_take_work_from_the_queue_they_were_started_with() -> None:
    worker = inspect.getsource(thread._worker)
    assert "work_queue.get(block=True)" in worker and "work_item.run()" in worker, (
        "revisit StreamTurns: the pool's threads take their work otherwise")
    adjust = inspect.getsource(ThreadPoolExecutor._adjust_thread_count)
    assert "self._work_queue" in adjust, "revisit take_turns: new threads no longer take the executor's queue"
    shutdown = inspect.getsource(ThreadPoolExecutor.shutdown)
    assert "self._work_queue.get_nowait()" in shutdown and "work_item.future.cancel()" in shutdown
    assert {"future", "run"} <= set(dir(thread._WorkItem)) | set(inspect.signature(thread._WorkItem).parameters)
