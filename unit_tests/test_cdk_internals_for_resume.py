"""The CDK internals `source_personio/resume_state.py` relies on, each pinned: a CDK upgrade that changes one fails
here by name, before any sync resumes wrongly.

Pinned against airbyte-cdk 7.39.1 (`sources/streams/concurrent/cursor.py`, `state_converters/`,
`sources/declarative/parsers/model_to_component_factory.py`).
"""
import datetime
import inspect

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.declarative.incremental import ConcurrentPerPartitionCursor
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.state_converters.abstract_stream_state_converter import (
    ConcurrencyCompatibleStateType,
)
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from source_personio.resume_state import FinishedMonths, FinishedWindows
from source_personio.source import SourcePersonio
from tools.stream_facts import FACTS
from unit_tests.mock_server.config import ConfigBuilder

# The streams with a date cursor of their own, and those read per parent (tools/stream_facts.py).
WINDOWED = FACTS.of_kind("windowed", "monthly", "open_ended")
# deletions keeps a cursor per webhook instead (one global cursor would start each sync earlier by the last
# sync's duration and read events on the state's edge again)
PER_PARENT = tuple(name for name in FACTS.of_kind("per_parent") if name != "deletions")
MANIFEST = str(__import__("pathlib").Path(__file__).parents[1] / "source_personio" / "manifest.yaml")


def _cursors(source):
    return {stream.name: stream.cursor for stream in source.streams(source._config)}


def _manifest_alone(config, state=None):
    catalog = CatalogBuilder().with_stream("absence_periods", SyncMode.incremental).build()
    return YamlDeclarativeSource(path_to_yaml=MANIFEST, catalog=catalog, config=config, state=state)


def test_the_factory_builds_each_stream_cursor_in_one_overridable_method():
    assert list(inspect.signature(ModelToComponentFactory._build_concurrent_cursor).parameters) == [
        "self", "model", "stream_slicer", "config"]


def test_the_manifest_alone_builds_windowed_cursors_writing_one_value():
    # This is what resume_state.py changes: without it, the CDK's converter writes the one-value form.
    cursors = _cursors(_manifest_alone(ConfigBuilder().build()))
    for name in WINDOWED:
        cursor = cursors[name]
        assert type(cursor) is ConcurrentCursor, name
        assert type(cursor._connector_state_converter) is CustomFormatConcurrentStreamStateConverter, name
        assert cursor._connector_state_converter._is_sequential_state is True, name
    for name in PER_PARENT:
        assert type(cursors[name]) is ConcurrentPerPartitionCursor, name


def test_the_connector_swaps_only_the_windowed_converters():
    cursors = _cursors(SourcePersonio(config=ConfigBuilder().build()))
    for name in WINDOWED:
        expected = FinishedMonths if name == "compensations" else FinishedWindows
        assert type(cursors[name]._connector_state_converter) is expected, name
    for name in PER_PARENT:
        assert type(cursors[name]._connector_state_converter) is CustomFormatConcurrentStreamStateConverter, name


def test_the_cursor_attributes_resume_state_reads_hold_what_it_expects():
    cursor = _cursors(_manifest_alone(ConfigBuilder().build()))["absence_periods"]
    assert cursor._cursor_granularity == datetime.timedelta(seconds=1)
    assert cursor._lookback_window == datetime.timedelta(hours=24)
    assert cursor._slice_range == datetime.timedelta(days=365)
    assert cursor._start == datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    # a fresh sync starts from one range, the start date itself
    assert cursor._concurrent_state["state_type"] == "date-range"
    assert [(s["start"], s["end"]) for s in cursor._concurrent_state["slices"]] == [(cursor._start, cursor._start)]
    monthly = _cursors(_manifest_alone(ConfigBuilder().build()))["compensations"]
    assert not isinstance(monthly._slice_range, datetime.timedelta)  # an isodate Duration of one month


def test_the_state_property_asks_the_converter_for_the_state_message():
    source = inspect.getsource(ConcurrentCursor.state.fget)
    assert "convert_to_state_message(" in source and "self._concurrent_state" in source


def test_serialize_writes_the_date_range_form():
    converter = CustomFormatConcurrentStreamStateConverter("%Y-%m-%dT%H:%M:%SZ", is_sequential_state=True)
    moment = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    state = {"slices": [{"start": moment, "end": moment, "most_recent_cursor_value": moment}], "state_type": "date-range"}
    assert converter.serialize(state, ConcurrencyCompatibleStateType.date_range) == {
        "slices": [{"start": "2024-01-01T00:00:00Z", "end": "2024-01-01T00:00:00Z",
                    "most_recent_cursor_value": "2024-01-01T00:00:00Z"}],
        "state_type": "date-range",
    }


def test_a_negative_lookback_starts_the_last_windows_one_granularity_after_the_range():
    cursor = _cursors(_manifest_alone(ConfigBuilder().build()))["absence_periods"]
    cursor._lookback_window = -datetime.timedelta(seconds=1)
    end = datetime.datetime(2024, 3, 1, tzinfo=datetime.timezone.utc)
    assert cursor._calculate_lower_boundary_of_last_slice(end) == end + datetime.timedelta(seconds=1)


@freeze_time("2024-04-10T00:00:00Z")
def test_the_cdk_reads_a_date_range_state_as_gaps_and_what_follows_the_last_range():
    # The manifest alone (the Connector Builder's runtime) given the state the connector writes.
    config = ConfigBuilder().with_window_size_days(30).build()
    state = StateBuilder().with_stream_state("absence_periods", {
        "state_type": "date-range",
        "slices": [{"start": "2023-12-31T23:59:59Z", "end": "2024-01-30T23:59:59Z"},
                   {"start": "2024-03-01T00:00:00Z", "end": "2024-04-09T00:00:00Z"}],
    }).build()
    cursor = _cursors(_manifest_alone(config, state))["absence_periods"]
    windows = [(s["start_time"], s["end_time"]) for s in cursor.stream_slices()]
    assert windows == [("2024-01-31T00:00:00Z", "2024-02-29T23:59:59Z"), ("2024-04-08T00:00:00Z", "2024-04-10T00:00:00Z")]


def test_a_per_parent_cursor_asks_its_throttle_before_each_mid_sync_state():
    source = inspect.getsource(ConcurrentPerPartitionCursor._emit_state_message)
    assert "self._throttle_state_message()" in source
    assert "if self._use_global_cursor and not self._parent_state:" in source
    cursors = _cursors(_manifest_alone(ConfigBuilder().build()))
    for name in PER_PARENT:
        assert cursors[name]._use_global_cursor is True, name
        assert hasattr(cursors[name], "_parent_state"), name
    # the connector replaces the ten-minute throttle of both
    cursors = _cursors(SourcePersonio(config=ConfigBuilder().build()))
    for name in PER_PARENT:
        assert cursors[name]._throttle_state_message.__name__ == "when_parent_progress_moved", name
