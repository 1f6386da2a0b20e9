"""The custom-connector path: manifest.yaml alone, run by the CDK's own runtime, not by this package.

Airbyte's Connector Builder and "custom connector" uploads run a bare manifest with the CDK's
`source-declarative-manifest` command. These tests run that command as a subprocess, from an empty directory
holding a copy of the manifest, against the emulator; Python's import log (PYTHONPROFILEIMPORTTIME) shows
that `source_personio` is never imported, so the manifest needs none of the package's Python.
"""
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Set, Tuple

import jsonschema
import pytest
import yaml
from airbyte_cdk.sources.declarative.concurrent_declarative_source import get_declarative_component_schema
from airbyte_cdk.sources.declarative.parsers.manifest_component_transformer import ManifestComponentTransformer
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from integration_tests import (
    ALL_STREAMS,
    REPO_ROOT,
    airbyte_messages,
    config_for,
    connection_status,
    console_script,
    error_traces,
    full_refresh_catalog,
    records_by_stream,
)


MANIFEST = REPO_ROOT / "source_personio" / "manifest.yaml"


def _schema_errors(manifest: Dict[str, Any]) -> List[str]:
    """The manifest's errors against declarative_component_schema.yaml, after resolving $ref and
    $parameters the way the CDK does before it validates."""
    resolved = ManifestReferenceResolver().preprocess_manifest(manifest)
    propagated = ManifestComponentTransformer().propagate_types_and_parameters("", resolved, {})
    schema = get_declarative_component_schema()
    validator = jsonschema.validators.validator_for(schema)(schema)
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(propagated)]


def test_manifest_matches_the_cdk_component_schema():
    manifest = yaml.safe_load(MANIFEST.read_text())

    assert _schema_errors(manifest) == []


def test_the_schema_check_catches_an_invalid_manifest():
    """The control for the test above: a component of an unknown type is reported."""
    manifest = yaml.safe_load(MANIFEST.read_text())
    manifest["check"]["type"] = "CheckEveryStream"

    assert _schema_errors(manifest)


def _run_manifest(workdir: Path, command: str, *args: str) -> Tuple[List[Dict[str, Any]], Set[str]]:
    """`source-declarative-manifest <command> … --manifest-path manifest.yaml` from `workdir`; returns the
    protocol messages and the names of the modules the process imported."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONSTARTUP")}
    env["PYTHONPROFILEIMPORTTIME"] = "1"
    completed = subprocess.run(
        [str(console_script("source-declarative-manifest")), command, *args, "--manifest-path", "manifest.yaml"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    imported = {line.rsplit("|", 1)[-1].strip() for line in completed.stderr.splitlines() if line.startswith("import time:")}
    assert completed.returncode == 0, f"{command} exited {completed.returncode}:\n{completed.stdout[-3000:]}"
    return airbyte_messages(completed.stdout), imported


def _personio_modules(imported: Set[str]) -> List[str]:
    # An editable install adds a path hook module whose name merely mentions the package; it loads nothing of it.
    return sorted(name for name in imported if name == "source_personio" or name.startswith("source_personio."))


@pytest.fixture
def manifest_workdir(tmp_path: Path, emulator) -> Path:
    """An empty directory with a copy of manifest.yaml, an emulator config and a catalog of every stream."""
    shutil.copy(MANIFEST, tmp_path / "manifest.yaml")
    (tmp_path / "config.json").write_text(json.dumps(config_for(emulator)))
    (tmp_path / "catalog.json").write_text(json.dumps(full_refresh_catalog(ALL_STREAMS)))
    return tmp_path


def test_check_succeeds_without_the_package(manifest_workdir):
    messages, imported = _run_manifest(manifest_workdir, "check", "--config", "config.json")

    assert connection_status(messages)["status"] == "SUCCEEDED"
    assert _personio_modules(imported) == []
    assert "airbyte_cdk.cli.source_declarative_manifest" in imported


def test_read_returns_every_stream_without_the_package(manifest_workdir):
    messages, imported = _run_manifest(manifest_workdir, "read", "--config", "config.json", "--catalog", "catalog.json")

    assert error_traces(messages) == []
    assert sorted(records_by_stream(messages)) == sorted(ALL_STREAMS), "a stream returned no records"
    assert _personio_modules(imported) == []


# The finished windows the installed connector saves for absence_periods after a kill: a first range, a gap (2023)
# left by a window that did not finish, and a second range.
FINISHED_WINDOWS = {
    "state_type": "date-range",
    "slices": [
        {"start": "2020-12-31T23:59:59Z", "end": "2022-12-31T23:59:59Z", "most_recent_cursor_value": "2022-12-30T10:00:00Z"},
        {"start": "2024-01-01T00:00:00Z", "end": "2025-06-01T00:00:00Z", "most_recent_cursor_value": "2025-05-30T10:00:00Z"},
    ],
}


def test_read_resumes_from_the_connectors_finished_windows_without_the_package(manifest_workdir, emulator):
    """The state the installed connector writes is read by the manifest alone: the gap and what follows the last
    range (from its end minus the 24 h lookback) are read, nothing inside the ranges; the state it writes back is
    the CDK's one value (the manifest alone does not write ranges)."""
    catalog = full_refresh_catalog(("absence_periods",))
    catalog["streams"][0].update(sync_mode="incremental", destination_sync_mode="append")
    (manifest_workdir / "incremental.json").write_text(json.dumps(catalog))
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "absence_periods"}, "stream_state": FINISHED_WINDOWS}}]
    (manifest_workdir / "state.json").write_text(json.dumps(state))

    messages, imported = _run_manifest(manifest_workdir, "read", "--config", "config.json", "--catalog", "incremental.json",
                                       "--state", "state.json")

    assert error_traces(messages) == [] and _personio_modules(imported) == []
    read = {record["id"] for record in records_by_stream(messages)["absence_periods"]}
    held = {record["id"]: record["updated_at"][:19] for record in emulator.company.records("absence_periods")}
    in_gap = {i for i, at in held.items() if "2023-01-01T00:00:01" <= at < "2023-12-31T23:59:59"}
    after = {i for i, at in held.items() if at >= "2025-05-31T00:00:01"}
    inside = {i for i, at in held.items() if "2021-01-01T00:00:01" <= at < "2022-12-31T23:59:58"
              or "2024-01-01T00:00:01" <= at < "2025-05-30T23:59:59"}
    assert in_gap and after and inside, "the emulator's company has records in every part"
    assert in_gap | after <= read
    assert not read & inside
    states = [m["state"]["stream"]["stream_state"] for m in messages if m["type"] == "STATE"]
    assert states and "updated_at" in states[-1] and "slices" not in states[-1]
