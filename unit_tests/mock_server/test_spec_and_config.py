import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Tuple
from unittest import TestCase

import pytest
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import _run_command
from freezegun import freeze_time

from source_personio.run import run
from source_personio.source import SourcePersonio
from tools.stream_facts import FACTS

from .config import ConfigBuilder
from .helpers import query_params, run_discover
from .request_builder import ACCESS_TOKEN, API_URL
from .response_builder import PageBuilder

_EXPECTED_PROPERTIES = [
    # name, default
    ("client_id", None),
    ("client_secret", None),
    ("start_date", None),
    ("lookback_window_hours", 24),
    ("api_url", "https://api.personio.de"),
    ("app_id", "AIRBYTE_SOURCE_PERSONIO"),
    ("partner_id", None),
    ("window_size_days", 365),
    ("persons_window_size_days", 3650),
    ("num_workers", 10),
    ("persons_requests_per_second", 25),
    ("periods_requests_per_second", 10),
    ("per_parent_requests_per_second", 10),
    ("other_requests_per_second", 10),
    ("sync_reports", False),
    ("report_ids", None),
    ("webhook_id", None),
]
_STREAMS = set(FACTS.required)  # the streams `check` requires


def _connection_specification() -> Mapping[str, Any]:
    output = _run_command(SourcePersonio(), ["spec"])
    assert len(output.spec_messages) == 1
    return output.spec_messages[0].spec.connectionSpecification


def _schema_nodes(schema: Mapping[str, Any], path: str = "$") -> Iterator[Tuple[str, Mapping[str, Any]]]:
    """Every (sub)schema of a JSON schema, with a readable path."""
    yield path, schema
    for name, child in (schema.get("properties") or {}).items():
        yield from _schema_nodes(child, f"{path}.{name}")
    if isinstance(schema.get("items"), Mapping):
        yield from _schema_nodes(schema["items"], f"{path}[]")


class TestSpec(TestCase):
    """The manifest's `spec`: property order and defaults, every property titled and described, only the two
    credentials required, the client secret marked `airbyte_secret`, the documentation URL on docs.airbyte.com."""

    def test_properties_come_in_order_with_title_description_and_default(self) -> None:
        # When
        spec = _connection_specification()

        # Then
        properties = spec["properties"]
        assert list(properties) == [name for name, _ in _EXPECTED_PROPERTIES]
        assert sorted(properties, key=lambda name: properties[name]["order"]) == list(properties)
        for name, default in _EXPECTED_PROPERTIES:
            assert properties[name].get("title"), name
            assert properties[name].get("description"), name
            assert properties[name].get("default") == default, name

    def test_only_the_credentials_are_required_and_the_secret_is_hidden(self) -> None:
        # When
        spec = _connection_specification()

        # Then
        assert spec["required"] == ["client_id", "client_secret"]
        assert spec["properties"]["client_secret"]["airbyte_secret"] is True
        secret_like = [name for name in spec["properties"] if name.endswith(("_secret", "_token", "password"))]
        assert all(spec["properties"][name].get("airbyte_secret") for name in secret_like)

    def test_documentation_url_points_at_the_airbyte_docs_page(self) -> None:
        # When
        output = _run_command(SourcePersonio(), ["spec"])

        # Then
        assert str(output.spec_messages[0].spec.documentationUrl) == "https://docs.airbyte.com/integrations/sources/personio"


class TestDiscover(TestCase):
    """The manifest's `streams` and `schemas` as discover shows them: the three original streams full refresh and
    incremental on `updated_at` with primary key `id` (the other streams' table is in test_discover.py); in every
    stream each property nullable except the primary key's; no schema closed with `additionalProperties: false`;
    a custom attribute's `value` accepts any JSON type."""

    def setUp(self) -> None:
        self.streams = {stream.name: stream for stream in run_discover(ConfigBuilder().build()).catalog.catalog.streams}

    def test_three_streams_with_both_sync_modes_cursor_and_primary_key(self) -> None:
        assert _STREAMS <= set(self.streams)
        for stream in (self.streams[name] for name in _STREAMS):
            assert set(stream.supported_sync_modes) == {SyncMode.full_refresh, SyncMode.incremental}, stream.name
            assert stream.source_defined_cursor is True, stream.name
            assert stream.default_cursor_field == ["updated_at"], stream.name
            assert stream.source_defined_primary_key == [["id"]], stream.name

    def test_every_property_except_id_is_nullable_and_no_schema_is_closed(self) -> None:
        for stream in self.streams.values():
            schema = stream.json_schema
            key_paths = {f"$.{field}" for key in stream.source_defined_primary_key for field in key}
            for path in key_paths:
                assert "null" not in schema["properties"][path[2:]]["type"], f"{stream.name} {path}"
            for path, node in _schema_nodes(schema):
                assert node.get("additionalProperties", True) is not False, f"{stream.name} {path}"
                if path == "$" or path in key_paths or "type" not in node:
                    continue
                types = node["type"] if isinstance(node["type"], list) else [node["type"]]
                assert "null" in types, f"{stream.name} {path} is not nullable"

    def test_custom_attribute_values_accept_any_json_type(self) -> None:
        value = self.streams["persons"].json_schema["properties"]["custom_attributes"]["items"]["properties"]["value"]
        assert "type" not in value
        assert not {"enum", "const", "anyOf", "oneOf", "allOf", "not", "format"} & set(value)


# --- the CLI: `source-personio check|read` with a broken config ---------------------------------------------

_INVALID_CONFIGS = [
    # id, config, the field the message must name
    ("malformed-start-date", ConfigBuilder().with_start_date("2024-13-45").build(), "start_date"),
    ("start-date-not-a-date", ConfigBuilder().with_start_date("yesterday").build(), "start_date"),
    ("future-start-date", ConfigBuilder().with_start_date("2024-03-02T00:00:00Z").build(), "start_date"),
    ("plain-http-api-url", ConfigBuilder().with_api_url("http://api.personio.de").build(), "api_url"),
    ("empty-client-secret", ConfigBuilder().with_client_secret("").build(), "client_secret"),
    ("num-workers-not-a-number", ConfigBuilder().with_num_workers("x").build(), "num_workers"),
    ("missing-client-secret", ConfigBuilder().without("client_secret").build(), "client_secret"),
]


def _write(directory: Path, name: str, content: Any) -> str:
    path = directory / name
    path.write_text(json.dumps(content))
    return str(path)


def _catalog(stream: str = "persons") -> Dict[str, Any]:
    return {
        "streams": [
            {
                "stream": {"name": stream, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"]},
                "sync_mode": "incremental",
                "destination_sync_mode": "append",
            }
        ]
    }


def _printed_messages(capsys: pytest.CaptureFixture) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


@freeze_time("2024-03-01T00:00:00Z")
@pytest.mark.parametrize("config,field", [pytest.param(config, field, id=name) for name, config, field in _INVALID_CONFIGS])
def test_check_reports_a_failed_connection_naming_the_field(config, field, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Given
    config_path = _write(tmp_path, "config.json", config)

    # When
    with requests_mock.Mocker():  # no HTTP call may leave
        run(["check", "--config", config_path])

    # Then
    statuses = [message for message in _printed_messages(capsys) if message["type"] == "CONNECTION_STATUS"]
    assert len(statuses) == 1
    assert statuses[0]["connectionStatus"]["status"] == "FAILED"
    assert f"'{field}'" in statuses[0]["connectionStatus"]["message"]


@freeze_time("2024-03-01T00:00:00Z")
@pytest.mark.parametrize("config,field", [pytest.param(config, field, id=name) for name, config, field in _INVALID_CONFIGS])
def test_read_prints_a_config_error_naming_the_field_and_exits_non_zero(config, field, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Given
    config_path = _write(tmp_path, "config.json", config)
    catalog_path = _write(tmp_path, "catalog.json", _catalog())

    # When
    with requests_mock.Mocker(), pytest.raises(SystemExit) as exit_info:
        run(["read", "--config", config_path, "--catalog", catalog_path])

    # Then
    assert exit_info.value.code not in (0, None)
    traces = [message["trace"] for message in _printed_messages(capsys) if message["type"] == "TRACE"]
    errors = [trace["error"] for trace in traces if trace["type"] == "ERROR"]
    assert len(errors) == 1
    assert errors[0]["failure_type"] == "config_error"
    assert f"'{field}'" in errors[0]["message"]


def test_config_errors_never_echo_the_client_secret(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Given a secret of the wrong type, which the type check would quote
    config_path = _write(tmp_path, "config.json", ConfigBuilder().with_client_secret(987654321987).build())

    # When
    run(["check", "--config", config_path])

    # Then
    out = capsys.readouterr().out
    assert "client_secret" in out
    assert "987654321987" not in out


@freeze_time("2024-03-01T00:00:00Z")
@pytest.mark.parametrize(
    "config",
    [
        pytest.param(ConfigBuilder().build(), id="start-date-with-z"),
        pytest.param(ConfigBuilder().with_start_date("2024-01-01").build(), id="start-date-as-a-date"),
        pytest.param(ConfigBuilder().with_start_date("2024-01-01T02:00:00+02:00").build(), id="start-date-with-offset"),
        pytest.param(ConfigBuilder().with_api_url("https://api.personio.de/").build(), id="api-url-with-trailing-slash"),
        pytest.param(ConfigBuilder().with_api_url("http://localhost:8080").build(), id="local-emulator"),
    ],
)
def test_a_valid_config_passes_check_through_the_cli(config, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    # Given
    config_path = _write(tmp_path, "config.json", config)
    api_url = config.get("api_url", API_URL).rstrip("/")

    # When
    with requests_mock.Mocker() as mocker:
        mocker.post(f"{api_url}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
        mocker.get(requests_mock.ANY, json=PageBuilder.persons().build_body())
        run(["check", "--config", config_path])

    # Then
    statuses = [message for message in _printed_messages(capsys) if message["type"] == "CONNECTION_STATUS"]
    assert [status["connectionStatus"]["status"] for status in statuses] == ["SUCCEEDED"]
    assert {request.hostname for request in mocker.request_history} == {api_url.split("://")[1].split(":")[0]}
    first_persons = next(request for request in mocker.request_history if request.path == "/v2/persons")
    assert query_params(first_persons)["updated_at.gt"] == ["2023-12-31T23:59:59Z"]
