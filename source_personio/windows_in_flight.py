"""At most two windows of each windowed stream are read at once, so that a sync killed at any moment has at most
two windows unfinished, and the next sync reads at most two windows' records again (the state holds every finished
window: see resume_state.py).

The CDK hands every window of every stream to its workers first in, first out: at the default ten workers all
the windows of a company's history are read side by side, none finishes before the end of the sync, and a kill
half-way leaves each of them half read. Two windows in flight still keep two requests of a stream under way, which
is enough to spend Personio's ten requests a second at 100 ms a page; one would not be.

How: the stream's partition generator (the CDK thread that cuts the windows) waits for a free slot before it
hands out the next window, and a window frees its slot when its read ends, whether it succeeded or failed. The
CDK runs fewer generator threads than workers (it asserts so), so a waiting generator never holds the worker the
window it waits for needs. With one worker the generator and the reads share that worker, and windows are read
one at a time anyway: nothing is limited then. Per-parent streams and streams read in one window are left alone.
"""
import datetime
import threading
from typing import Any, Callable, Iterable, Iterator, Mapping

from airbyte_cdk.sources.declarative.models.declarative_component_schema import ConcurrencyLevel as ConcurrencyLevelModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition

WINDOWS_IN_FLIGHT = 2


def limit_windows_in_flight(factory: ModelToComponentFactory, manifest: Mapping[str, Any], config: Mapping[str, Any]) -> None:
    """Makes each windowed stream that `factory` builds read at most WINDOWS_IN_FLIGHT windows at once."""
    workers = factory.create_component(ConcurrencyLevelModel, manifest["concurrency_level"], config).get_concurrency_level()
    if workers < 2:
        return
    create: Callable[..., Any] = factory.create_component

    def create_component(model_type: Any, component_definition: Any, config: Any, **kwargs: Any) -> Any:
        component = create(model_type, component_definition, config, **kwargs)
        if isinstance(component, DefaultStream) and _is_windowed(component.cursor):
            generator = component._stream_partition_generator
            generator.generate = _in_slots(generator.generate, threading.Semaphore(WINDOWS_IN_FLIGHT))
        return component

    factory.create_component = create_component  # type: ignore[method-assign]


def _is_windowed(cursor: Any) -> bool:
    # A stream without `step` is one window from the state to now (timedelta.max is the CDK's "no step").
    return type(cursor) is ConcurrentCursor and cursor._slice_range != datetime.timedelta.max


def _in_slots(generate: Callable[[], Iterable[Partition]], slots: threading.Semaphore) -> Callable[[], Iterator[Partition]]:
    def generate_in_slots() -> Iterator[Partition]:
        for partition in generate():
            slots.acquire()
            partition.read = _freeing(partition.read, slots)  # type: ignore[method-assign]
            yield partition

    return generate_in_slots


def _freeing(read: Callable[[], Iterable[Any]], slots: threading.Semaphore) -> Callable[[], Iterator[Any]]:
    def read_then_free() -> Iterator[Any]:
        try:
            yield from read()
        finally:
            slots.release()

    return read_then_free
