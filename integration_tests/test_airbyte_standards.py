"""The airbyte-cdk standard tests of source-personio, run against the bundled Personio emulator.

The scenarios come from acceptance-test-config.yml: spec (the sample config matches the spec), connection
(the sample config succeeds, invalid_config.json with a wrong secret fails), discovery, and basic_read (records
from every one of the twenty-two streams, each valid against its schema). Every config points at the emulator, whose
fake credential the sample config carries, so no scenario needs secrets/ and none is skipped for lack of them.
The incremental scenario, which the CDK 7.39 suite does not collect, is read here from configured_catalog.json
and the state files.

The Docker-based tests of the suite carry the `image_tests` marker and are deselected (pyproject addopts).
"""
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, List, Optional

import pytest
from airbyte_cdk.models import AirbyteMessageSerializer
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from integration_tests import (
    ALL_STREAMS,
    INCREMENTAL_STREAMS,
    INTEGRATION_TESTS,
    config_for,
    load_json,
    shared_emulator,
)
from source_personio.source import SourcePersonio
from tools.catalogs import cursor_value


class TestSourcePersonioStandards(SourceTestSuiteBase):
    # The suite names the connector after its directory, which is not source-personio in every checkout.
    connector_name = "source-personio"

    @pytest.fixture(autouse=True)
    def _emulator_stops_with_the_session(self, emulator):
        """The scenarios point at the shared emulator; the session fixture stops it after the last test."""

    @classmethod
    def get_scenarios(cls) -> List[ConnectorTestScenario]:
        """The scenarios of acceptance-test-config.yml, each with its config file pointed at the emulator.

        The config is handed over as `config_dict`, which the suite prefers to the file everywhere (the
        source, the secret leak check, the config-matches-spec check); `config_path` still names the scenario.
        """
        connector_root = cls.get_connector_root_dir()
        api_url = shared_emulator().url
        return [
            scenario.model_copy(
                update={
                    "config_dict": {
                        **scenario.get_config_dict(connector_root=connector_root, empty_if_missing=False),
                        "api_url": api_url,
                    }
                }
            )
            for scenario in super().get_scenarios()
        ]

    @classmethod
    def create_connector(cls, scenario: Optional[ConnectorTestScenario]) -> SourcePersonio:
        """The source as run.py builds it: CDK 7 reads and checks with the config it was built with."""
        config = scenario.get_config_dict(connector_root=cls.get_connector_root_dir(), empty_if_missing=True) if scenario else {}
        return SourcePersonio(config=config or None)


def test_scenarios_need_no_credentials(emulator):
    """Every scenario runs here: none reads a config under secrets/, all point at the running emulator."""
    scenarios = TestSourcePersonioStandards.get_scenarios()

    assert {scenario.id for scenario in scenarios} == {"sample_config", "invalid_config"}
    assert not [scenario.id for scenario in scenarios if scenario.requires_creds]
    assert {scenario.config_dict["api_url"] for scenario in scenarios} == {emulator.url}


def _incremental_read(emulator, state_file: str) -> entrypoint_wrapper.EntrypointOutput:
    """An incremental read of configured_catalog.json (every stream: incremental where it can be, else full
    refresh) from a state file, as the platform runs it."""
    config = config_for(emulator)
    catalog = SourcePersonio.read_catalog(str(INTEGRATION_TESTS / "configured_catalog.json"))
    state = SourcePersonio.read_state(str(INTEGRATION_TESTS / state_file))
    if state_file == "sample_state.json":
        # Personio keeps deletions 30 days: a fixed date would be past them, so the sample's moves to 29 days ago
        recent = (datetime.now(timezone.utc) - timedelta(days=29)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        for message in state:
            if message.stream.stream_descriptor.name == "deletions":
                message.stream.stream_state.state = {"occurred_at": recent}
    source = SourcePersonio(config=config, catalog=catalog, state=state)
    return entrypoint_wrapper.read(source, config, catalog, state)


def _final_states(output: entrypoint_wrapper.EntrypointOutput) -> Dict[str, Dict[str, Any]]:
    """The last state of each stream, as plain JSON (per-parent streams nest theirs)."""
    states = {}
    for message in output.state_messages:
        state = AirbyteMessageSerializer.dump(message)["state"]["stream"]
        states[state["stream_descriptor"]["name"]] = state.get("stream_state") or {}
    return states


def _records(output: entrypoint_wrapper.EntrypointOutput) -> Dict[str, List[Dict[str, Any]]]:
    records: Dict[str, List[Dict[str, Any]]] = {}
    for message in output.records:
        records.setdefault(message.record.stream, []).append(message.record.data)
    return records


def _cursor_of(stream: str, record: Dict[str, Any]) -> str:
    """The value in an incremental stream's record that its state tracks."""
    if stream == "absence_period_breakdowns":
        return record["absence_period_updated_at"]
    if stream == "recruiting_application_stage_transitions":
        return record["application_updated_at"]
    if stream == "deletions":
        return record["occurred_at"]
    if stream == "compensations":
        return record["month"]
    return record["updated_at"]


def _listed_streams() -> List[str]:
    return [entry["stream"]["name"] for entry in load_json("configured_catalog.json")["streams"]]


def test_configured_catalog_lists_every_incremental_stream_incrementally():
    """The incremental scenario's catalog: every incremental stream in incremental mode; whatever else it lists is a
    declared stream read whole (a stream read whole needs no line of it)."""
    catalog = load_json("configured_catalog.json")
    modes = {entry["stream"]["name"]: entry["sync_mode"] for entry in catalog["streams"]}

    assert [name for name, mode in modes.items() if mode == "incremental"] == list(INCREMENTAL_STREAMS)
    assert set(modes) <= set(ALL_STREAMS)
    assert all(mode == "full_refresh" for name, mode in modes.items() if name not in INCREMENTAL_STREAMS)


def test_state_files_hold_every_incremental_stream():
    for name in ("sample_state.json", "abnormal_state.json"):
        streams = [state["stream"]["stream_descriptor"]["name"] for state in load_json(name)]
        assert sorted(streams) == sorted(INCREMENTAL_STREAMS), name


def test_incremental_read_from_sample_state_resumes_at_the_state(emulator):
    """Given sample_state.json (2024-01-01 for every incremental stream; January 2024 for compensations; 29 days
    ago for deletions, whose events Personio keeps 30 days), when
    read incrementally, then every stream returns records, none older than the state minus the lookback (24 h;
    a month for compensations), and every incremental stream's state moves on."""
    output = _incremental_read(emulator, "sample_state.json")
    records, states = _records(output), _final_states(output)

    assert not output.errors
    assert sorted(records) == sorted(_listed_streams()), "every stream returns records"
    for stream in INCREMENTAL_STREAMS:
        oldest = min(_cursor_of(stream, record) for record in records[stream])
        if stream == "compensations":
            assert oldest >= "2023-12", oldest
            assert cursor_value(states[stream]) > "2024-01-01", states[stream]
        elif stream == "deletions":  # no lookback, and from 29 days ago
            assert oldest > (datetime.now(timezone.utc) - timedelta(days=29, minutes=5)).isoformat(), oldest
        else:
            assert oldest >= "2023-12-31T00:00:00", (stream, oldest)
            assert cursor_value(states[stream]) > "2024-01-01T00:00:00Z", (stream, states[stream])


def test_incremental_read_from_abnormal_state_reads_nothing_new(emulator):
    """Given abnormal_state.json (2099, far in the future), when read incrementally, then the sync succeeds,
    the incremental streams return no record and keep their state, and the streams read whole are read whole."""
    output = _incremental_read(emulator, "abnormal_state.json")
    records, states = _records(output), _final_states(output)

    assert not output.errors
    assert sorted(records) == sorted(set(_listed_streams()) - set(INCREMENTAL_STREAMS))
    assert set(INCREMENTAL_STREAMS) <= set(states)
    for stream in INCREMENTAL_STREAMS:
        future = "2099-12-01" if stream == "compensations" else "2099-12-31T00:00:00"  # with or without a fraction
        assert cursor_value(states[stream]) >= future, (stream, states[stream])
