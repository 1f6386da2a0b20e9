"""The airbyte-cdk standard tests of source-personio, run against the bundled Personio emulator.

The scenarios come from acceptance-test-config.yml: spec (the sample config matches the spec), connection
(the sample config succeeds, invalid_config.json with a wrong secret fails), discovery, and basic_read (records
from all three streams, each valid against its schema). Every config points at the emulator, whose fake
credential the sample config carries, so no scenario needs secrets/ and none is skipped for lack of them.

The Docker-based tests of the suite carry the `image_tests` marker and are deselected (pyproject addopts).
"""
from typing import Any, Dict, List, Optional

import pytest
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase

from integration_tests import INTEGRATION_TESTS, STREAMS, config_for, shared_emulator
from source_personio.source import SourcePersonio


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
    """An incremental read of configured_catalog.json from a state file, as the platform runs it."""
    config = config_for(emulator)
    catalog = SourcePersonio.read_catalog(str(INTEGRATION_TESTS / "configured_catalog.json"))
    state = SourcePersonio.read_state(str(INTEGRATION_TESTS / state_file))
    source = SourcePersonio(config=config, catalog=catalog, state=state)
    return entrypoint_wrapper.read(source, config, catalog, state)


def _final_states(output: entrypoint_wrapper.EntrypointOutput) -> Dict[str, Dict[str, Any]]:
    states = {}
    for message in output.state_messages:
        stream_state = message.state.stream
        states[stream_state.stream_descriptor.name] = stream_state.stream_state.__dict__
    return states


def test_incremental_read_from_sample_state_resumes_at_the_state(emulator):
    """Given sample_state.json (2024-01-01 for every stream), when read incrementally, then every stream
    returns records, none older than the state minus the default 24 h lookback, and its state moves on."""
    output = _incremental_read(emulator, "sample_state.json")

    assert not output.errors
    for stream in STREAMS:
        updated = [record.record.data["updated_at"] for record in output.records if record.record.stream == stream]
        assert updated, f"no records for {stream}"
        assert min(updated) >= "2023-12-31T00:00:00", stream
        assert _final_states(output)[stream]["updated_at"] > "2024-01-01T00:00:00Z", stream


def test_incremental_read_from_abnormal_state_reads_nothing(emulator):
    """Given abnormal_state.json (2099, far in the future), when read incrementally, then the sync succeeds
    without records and no stream's state moves back."""
    output = _incremental_read(emulator, "abnormal_state.json")

    assert not output.errors
    assert output.records == []
    states = _final_states(output)
    assert set(states) == set(STREAMS)
    for stream, state in states.items():
        assert state["updated_at"] >= "2099-12-31T00:00:00Z", stream
