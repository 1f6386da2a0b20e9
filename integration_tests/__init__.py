"""Tests of source-personio as Airbyte runs it, all against the bundled Personio emulator (no credentials).

- test_airbyte_standards.py: the airbyte-cdk standard tests driven by acceptance-test-config.yml.
- test_docker_recipe.py: the Dockerfile, checked with a parser and replayed in a clean virtualenv.
- test_manifest_runtime.py: manifest.yaml alone, run by the CDK's source-declarative-manifest.

The helpers below are shared by those modules; the fixtures are in conftest.py.
"""
import atexit
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from tools.catalogs import DISCOVER_ONLY_CONFIG, configured_catalog
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.stream_facts import FACTS

INTEGRATION_TESTS = Path(__file__).parent
REPO_ROOT = INTEGRATION_TESTS.parent
# The windowed lists; every stream the manifest declares; its incremental ones (tools/stream_facts.py).
STREAMS = FACTS.windowed_lists
ALL_STREAMS = FACTS.names
INCREMENTAL_STREAMS = FACTS.incremental

# Small enough for a full read in seconds, large enough for several pages and windows per stream.
EMULATOR_COMPANY = {"seed": 1, "persons": 50, "absence_periods": 200, "attendance_periods": 1000}

_shared: Optional[Emulator] = None


def shared_emulator() -> Emulator:
    """The one emulator of the test session, started on first use.

    The standard tests build their scenarios while pytest collects them, before any fixture runs, so the
    emulator cannot wait for a fixture to start it; the `emulator` fixture (conftest.py) stops it at the end.
    Every test only reads from it.
    """
    global _shared
    if _shared is None:
        _shared = Emulator(EmulatorSettings(**EMULATOR_COMPANY)).start()
        atexit.register(_shared.stop)  # in case no test asked for the fixture (all deselected)
    return _shared


def stop_shared_emulator() -> None:
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


def load_json(name: str) -> Any:
    return json.loads((INTEGRATION_TESTS / name).read_text())


def config_for(emulator: Emulator, name: str = "sample_config.json") -> Dict[str, Any]:
    """A config file of integration_tests/ with its api_url pointed at the running emulator."""
    return {**load_json(name), "api_url": emulator.url}


@lru_cache(maxsize=1)
def discovered_in_process() -> Dict[str, Any]:
    """What discover returns, asked of the connector in this process (the manifest's schemas need no API call)."""
    from airbyte_cdk.models import AirbyteMessageSerializer
    from airbyte_cdk.test.entrypoint_wrapper import discover

    from source_personio.source import SourcePersonio

    config = DISCOVER_ONLY_CONFIG
    return AirbyteMessageSerializer.dump(discover(SourcePersonio(config=config), config).catalog)["catalog"]


def full_refresh_catalog(streams: Sequence[str] = STREAMS) -> Dict[str, Any]:
    """`streams` configured from the discovered catalog, read in full refresh."""
    return configured_catalog(discovered_in_process(), "full_refresh", streams)


def airbyte_messages(stdout: str) -> List[Dict[str, Any]]:
    """The Airbyte protocol messages a connector printed, one JSON object per line."""
    messages = []
    for line in stdout.splitlines():
        try:
            message = json.loads(line)
        except ValueError:
            continue
        if isinstance(message, dict) and "type" in message:
            messages.append(message)
    return messages


def records_by_stream(messages: List[Dict[str, Any]]) -> Dict[str, List[Dict[str, Any]]]:
    records: Dict[str, List[Dict[str, Any]]] = {}
    for message in messages:
        if message["type"] == "RECORD":
            records.setdefault(message["record"]["stream"], []).append(message["record"]["data"])
    return records


def error_traces(messages: List[Dict[str, Any]]) -> List[str]:
    return [
        message["trace"]["error"]["message"]
        for message in messages
        if message["type"] == "TRACE" and message["trace"].get("type") == "ERROR"
    ]


def connection_status(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    statuses = [message["connectionStatus"] for message in messages if message["type"] == "CONNECTION_STATUS"]
    assert len(statuses) == 1, f"expected one CONNECTION_STATUS message, got {statuses}"
    return statuses[0]


def console_script(name: str) -> Path:
    """A console script installed next to the running interpreter (this virtualenv's bin/)."""
    script = Path(sys.executable).parent / name
    assert script.is_file(), f"{name} is not installed next to {sys.executable}"
    return script
