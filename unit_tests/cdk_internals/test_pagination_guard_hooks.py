"""Pins each CDK internal that source_personio/pagination_guard.py relies on. A CDK upgrade that changes one fails
here, naming what to revisit, instead of silently dropping the loop and refusal guards (the behaviour itself is
tested in unit_tests/mock_server/test_pagination_loops.py; the hook that reaches parent streams, in
test_factory_hooks.py)."""
import inspect

from airbyte_cdk.sources.declarative.models.declarative_component_schema import SimpleRetriever as SimpleRetrieverModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.declarative.stream_slicers.declarative_partition_generator import DeclarativePartitionFactory

from source_personio.factory_hooks import cdk_method
from source_personio.pagination_guard import GuardedRetriever
from source_personio.source import SourcePersonio

_CONFIG = {"client_id": "fake-id", "client_secret": "fake-secret"}


def _parameters(function) -> list:
    return list(inspect.signature(function).parameters)


def test_the_source_builds_retrievers_through_its_factorys_constructor_table() -> None:
    source = SourcePersonio(config=_CONFIG)

    factory = source._constructor

    assert isinstance(factory, ModelToComponentFactory), "revisit pagination_guard.install: no component factory"
    assert SimpleRetrieverModel in factory.PYDANTIC_MODEL_TO_CONSTRUCTOR, "revisit install: retrievers built elsewhere"
    assert _parameters(cdk_method("create_simple_retriever"))[:2] == ["self", "model"]  # the CDK's, before any wrap


def test_read_pages_takes_a_records_function_per_page_and_the_slice() -> None:
    assert _parameters(SimpleRetriever._read_pages) == ["self", "records_generator_fn", "stream_slice"], (
        "revisit GuardedRetriever._read_pages: SimpleRetriever._read_pages changed its signature")


def test_next_page_token_is_given_the_slice_and_returns_the_paginators_token() -> None:
    parameters = _parameters(SimpleRetriever._next_page_token)

    assert parameters[:5] == ["self", "response", "last_page_size", "last_record", "last_page_token_value"]
    assert "stream_slice" in parameters, "revisit GuardedRetriever._next_page_token: the slice is no longer passed"
    source = inspect.getsource(SimpleRetriever._read_pages)
    assert "self._next_page_token(" in source and "records_generator_fn(response)" in source, (
        "revisit GuardedRetriever: _read_pages no longer calls the hooks it overrides")


def test_one_retriever_serves_every_partition_of_a_stream() -> None:
    # The per-window memory and the refusal gate live on the retriever; one per partition would gate nothing.
    assert "_retriever" in inspect.getsource(DeclarativePartitionFactory.create)


def test_every_stream_of_the_installed_source_reads_through_a_guarded_retriever() -> None:
    source = SourcePersonio(config=_CONFIG)

    retrievers = [stream._stream_partition_generator._partition_factory._retriever for stream in source.streams(_CONFIG)]

    assert retrievers and all(isinstance(retriever, GuardedRetriever) for retriever in retrievers), (
        [type(retriever).__name__ for retriever in retrievers])


def test_the_manifest_alone_builds_plain_retrievers() -> None:
    # Another source in the same process (the Connector Builder's, the declarative runtime's) is left as it is.
    from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
    import source_personio

    SourcePersonio(config=_CONFIG)
    bare = YamlDeclarativeSource(path_to_yaml=str(inspect.getfile(source_personio)).replace("__init__.py", "manifest.yaml"),
                                 config=_CONFIG)

    retrievers = [stream._stream_partition_generator._partition_factory._retriever for stream in bare.streams(_CONFIG)]

    assert retrievers and not any(isinstance(retriever, GuardedRetriever) for retriever in retrievers)
