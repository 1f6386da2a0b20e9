"""Pins the CDK behaviour source_personio/deletions_retention.py and deletion_webhooks.py rely on. A CDK upgrade that
changes it fails here, naming what to revisit (the behaviour itself is tested in
unit_tests/mock_server/test_deletions.py)."""
import inspect

from airbyte_cdk.exception_handler import generate_failed_streams_error_message
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.default_stream import DefaultStream
from airbyte_cdk.sources.types import StreamSlice

from source_personio.source import SourcePersonio

_CONFIG = {"client_id": "fake-id", "client_secret": "fake-secret"}


def test_read_selects_the_streams_of_the_catalog_it_is_given() -> None:
    # deletions_retention leaves a stale deletions stream out of the catalog SourcePersonio.read passes on.
    source = inspect.getsource(ConcurrentDeclarativeSource.read)

    assert "configured_catalog=catalog" in source, (
        "revisit SourcePersonio.read: the CDK no longer reads the streams of the catalog passed to read()")


def test_the_closing_error_lists_each_failed_stream_by_name() -> None:
    message = generate_failed_streams_error_message({"deletions": [ValueError("x")]})

    assert message == "During the sync, the following streams did not sync successfully: deletions: ValueError('x')", (
        "revisit deletions_retention.closing_error")


def test_the_deletions_stream_lists_its_webhooks_as_partitions_with_a_parent_id() -> None:
    # deletion_webhooks.webhook_ids reads each partition's slice for the webhook id.
    stream = next(s for s in SourcePersonio(config=_CONFIG).streams(_CONFIG) if s.name == "deletions")

    assert isinstance(stream, DefaultStream) and callable(stream.generate_partitions), (
        "revisit deletion_webhooks.webhook_ids: the stream no longer generates partitions")
    assert "partition" in inspect.signature(StreamSlice).parameters, "revisit webhook_ids: slices lost .partition"
