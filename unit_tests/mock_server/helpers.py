"""Runs the connector the way the platform does: built with its config, catalog and state (CDK 7 ignores
what is passed later), then driven through the Airbyte entrypoint."""
import json
import re
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence
from urllib.parse import parse_qs, urlparse

from airbyte_cdk.models import AirbyteMessage, AirbyteStateMessage, FailureType, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, discover, read
from airbyte_cdk.test.models.outcome import ExpectedOutcome

from source_personio.source import SourcePersonio


def read_stream(
    stream: str,
    config: Mapping[str, Any],
    sync_mode: SyncMode = SyncMode.incremental,
    state: Optional[List[AirbyteStateMessage]] = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    source = SourcePersonio(config=config, catalog=catalog, state=state)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, catalog, state, expected_outcome=outcome)


def read_streams(
    streams: Sequence[str],
    config: Mapping[str, Any],
    sync_mode: SyncMode = SyncMode.incremental,
    state: Optional[List[AirbyteStateMessage]] = None,
    expect_failure: bool = False,
) -> EntrypointOutput:
    """One read of several streams, as one job of a connection with several streams selected."""
    builder = CatalogBuilder()
    for stream in streams:
        builder = builder.with_stream(stream, sync_mode)
    catalog = builder.build()
    source = SourcePersonio(config=config, catalog=catalog, state=state)
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(source, config, catalog, state, expected_outcome=outcome)


def run_check(config: Mapping[str, Any]) -> EntrypointOutput:
    with tempfile.TemporaryDirectory() as directory:
        config_path = Path(directory) / "config.json"
        config_path.write_text(json.dumps(config))
        return _run_command(SourcePersonio(config=config), ["check", "--config", str(config_path)])


def run_discover(config: Mapping[str, Any]) -> EntrypointOutput:
    return discover(SourcePersonio(config=config), config)


def record_data(output: EntrypointOutput) -> List[Mapping[str, Any]]:
    return [message.record.data for message in output.records]


def record_ids(output: EntrypointOutput) -> List[str]:
    return [record["id"] for record in record_data(output)]


def state_values(output: EntrypointOutput, cursor_field: str = "updated_at") -> List[Any]:
    """Each state's cursor value. The finished-windows form stands for the value the one-value form would hold:
    the latest cursor value of its first range (the windows finished without a gap since the start), None while
    that range holds no record."""
    return [low_water_mark(plain(message.state.stream.stream_state), cursor_field) for message in output.state_messages]


def low_water_mark(stream_state: Mapping[str, Any], cursor_field: str = "updated_at") -> Any:
    if stream_state.get("state_type") == "date-range":
        first = stream_state["slices"][0]
        return first.get("most_recent_cursor_value")
    return stream_state.get(cursor_field)


def finished_ranges(output: EntrypointOutput, stream: str) -> List[List[Any]]:
    """The finished windows the stream's last state holds, as [start, end] pairs."""
    state = states_of(output, stream)[-1]
    assert state.get("state_type") == "date-range", state
    return [[item["start"], item["end"]] for item in state["slices"]]


def records_of(output: EntrypointOutput, stream: str) -> List[Mapping[str, Any]]:
    """The records one stream emitted in a read of several."""
    return [message.record.data for message in output.records if message.record.stream == stream]


def states_of(output: EntrypointOutput, stream: str) -> List[Dict[str, Any]]:
    """Every state one stream emitted, in order, as plain dicts (nested states included)."""
    return [
        plain(message.state.stream.stream_state)
        for message in output.state_messages
        if message.state.stream.stream_descriptor.name == stream
    ]


def plain(value: Any) -> Any:
    """A state (or any part of a message) as plain dicts and lists."""
    if hasattr(value, "__dict__") and not isinstance(value, type):
        value = value.__dict__
    if isinstance(value, Mapping):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def config_error_traces(output: EntrypointOutput) -> List[AirbyteMessage]:
    return [message for message in output.errors if message.trace.error.failure_type == FailureType.config_error]


def stream_errors(output: EntrypointOutput) -> Dict[str, List[Any]]:
    """Error traces by the stream they name (the closing summary names none and is left out)."""
    errors: Dict[str, List[Any]] = {}
    for message in output.errors:
        descriptor = message.trace.error.stream_descriptor
        if descriptor is not None:
            errors.setdefault(descriptor.name, []).append(message.trace.error)
    return errors


_SUMMARY = "the following streams did not sync successfully:"


def failed_streams(output: EntrypointOutput) -> List[str]:
    """The streams the closing error of a read lists as failed, each once, in its order (empty when there is none).

    The CDK lists a stream once per failed partition (window, month, org-unit type)."""
    for message in output.errors:
        text = message.trace.error.message or ""
        if message.trace.error.stream_descriptor is None and _SUMMARY in text:
            names = re.findall(r"^\s*([a-z_]+): [A-Za-z]+\(", text.split(_SUMMARY, 1)[1], re.MULTILINE)
            return list(dict.fromkeys(names))
    return []


def error_text(output: EntrypointOutput) -> str:
    """Every error trace's message and internal message, one per line, for `assertIn` checks."""
    lines = []
    for message in output.errors:
        lines.append(message.trace.error.message or "")
        lines.append(message.trace.error.internal_message or "")
    return "\n".join(lines)


def connection_status(output: EntrypointOutput) -> Any:
    statuses = output.connection_status_messages
    assert len(statuses) == 1, f"expected one connection status, got {statuses}"
    return statuses[0].connectionStatus


def query_params(request: Any) -> Mapping[str, List[str]]:
    """The decoded query of a request recorded by requests-mock, case preserved (its `.qs` lower-cases values)."""
    return parse_qs(urlparse(request.url).query)


def assert_utc_instant(actual: str, expected: str) -> None:
    """`actual` is written in UTC (`…Z`, no other offset) and names the same instant as `expected`, fraction
    included; how many fraction digits it uses is left open."""
    from dateutil.parser import isoparse

    assert actual.endswith("Z") and "+" not in actual, f"{actual!r} is not written in UTC"
    assert isoparse(actual) == isoparse(expected), f"{actual!r} is not the instant {expected!r}"
