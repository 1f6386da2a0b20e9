"""The Dockerfile: read with a Dockerfile parser, then its recipe replayed without Docker.

No Docker engine runs here, so the image itself is never built. What can be checked is checked: the parsed
instructions agree with metadata.yaml and with how Airbyte starts a connector, and the recipe works when
replayed step by step. Its COPY instructions fill a build context, a wheel is built from that context alone,
and the Dockerfile's own `pip install` line installs it into a clean virtualenv (no site packages, every
dependency resolved from the index as in the image). That virtualenv's `source-personio` then runs spec,
check and read against the emulator from an empty directory, as the image's ENTRYPOINT would.

Marked `slow` (one to two minutes, nearly all of it pip fetching the dependencies from PyPI); it runs in the
default pytest invocation.
"""
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import uuid
import zipfile
from pathlib import Path
from typing import Any, Dict, List, Tuple
from urllib.parse import urlparse

import pytest
import yaml
from airbyte_cdk.models.connector_metadata import ConnectorLanguage, MetadataFile
from dockerfile_parse import DockerfileParser

from integration_tests import (
    REPO_ROOT,
    STREAMS,
    airbyte_messages,
    config_for,
    connection_status,
    error_traces,
    full_refresh_catalog,
    records_by_stream,
)

pytestmark = pytest.mark.slow

# The interpreter of the clean virtualenv: this one unless set. The base image runs Python 3.13; point this
# at a 3.13 interpreter to replay the recipe on the image's Python.
RECIPE_PYTHON = os.environ.get("SOURCE_PERSONIO_RECIPE_PYTHON", sys.executable)


@pytest.fixture(scope="module")
def dockerfile() -> DockerfileParser:
    # A file object, so the parser never writes to the repository's Dockerfile.
    return DockerfileParser(fileobj=io.BytesIO((REPO_ROOT / "Dockerfile").read_bytes()))


def _instructions(dockerfile: DockerfileParser, name: str) -> List[str]:
    return [item["value"] for item in dockerfile.structure if item["instruction"] == name]


def _copies(dockerfile: DockerfileParser) -> List[Tuple[List[str], str]]:
    """Each COPY as (sources, destination)."""
    copies = []
    for value in _instructions(dockerfile, "COPY"):
        *sources, destination = shlex.split(value)
        assert not [source for source in sources if source.startswith("--")], f"COPY with flags is not replayed: {value}"
        copies.append((sources, destination))
    return copies


@pytest.fixture(scope="module")
def metadata() -> MetadataFile:
    return MetadataFile.from_file(REPO_ROOT / "metadata.yaml")


def test_metadata_yaml_describes_this_connector(metadata):
    """As the CDK's image tests read metadata.yaml, plus the fields the registry needs to be right."""
    data = yaml.safe_load((REPO_ROOT / "metadata.yaml").read_text())["data"]
    manifest = yaml.safe_load((REPO_ROOT / "source_personio" / "manifest.yaml").read_text())
    default_api_url = manifest["spec"]["connection_specification"]["properties"]["api_url"]["default"]

    assert metadata.data.dockerRepository == "airbyte/source-personio"
    assert metadata.data.language == ConnectorLanguage.PYTHON
    assert set(metadata.data.tags) == {"language:python", "cdk:low-code"}
    assert str(uuid.UUID(data["definitionId"])) == data["definitionId"]
    assert data["allowedHosts"]["hosts"] == [urlparse(default_api_url).hostname]


def test_builds_from_the_base_image_of_metadata_yaml(dockerfile, metadata):
    base_image = metadata.data.connectorBuildOptions.baseImage

    assert not dockerfile.is_multistage
    assert dockerfile.baseimage == base_image
    assert re.fullmatch(r"docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}", base_image)


def test_starts_the_console_script_as_airbyte_expects(dockerfile):
    (entrypoint,) = _instructions(dockerfile, "ENTRYPOINT")

    assert json.loads(entrypoint) == ["source-personio"]
    assert dockerfile.envs["AIRBYTE_ENTRYPOINT"] == "source-personio"
    assert _instructions(dockerfile, "WORKDIR") == ["/airbyte/integration_code"]


def test_runs_as_the_base_images_non_root_user(dockerfile):
    """The install runs as root; from the last USER on, the base image's `airbyte` user (uid 1000) runs."""
    instructions = [item["instruction"] for item in dockerfile.structure]
    users = _instructions(dockerfile, "USER")

    assert users and users[-1] == "airbyte"
    assert max(i for i, name in enumerate(instructions) if name == "USER") > max(i for i, name in enumerate(instructions) if name == "RUN")


def test_dockerignore_admits_exactly_what_copy_needs(dockerfile):
    """The build context excludes everything (credentials above all) except the sources the COPYs name."""
    patterns = [line.strip() for line in (REPO_ROOT / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")]
    admitted = {pattern[1:].rstrip("/") for pattern in patterns if pattern.startswith("!")}
    copied = {source.rstrip("/") for sources, _ in _copies(dockerfile) for source in sources}

    assert patterns[0] == "*"
    assert admitted == copied
    assert not [source for source in copied if not (REPO_ROOT / source).exists()], "a COPY source is missing from the repository"


def _replay_copies(dockerfile: DockerfileParser, workdir: Path) -> None:
    """COPY as Docker does it: a directory's contents into the destination, files into a destination ending in /."""
    for sources, destination in _copies(dockerfile):
        for source in sources:
            origin = REPO_ROOT / source
            assert origin.exists(), f"COPY {source}: no such file in the repository, so the image would not build"
            target = workdir / destination
            if origin.is_dir():
                shutil.copytree(origin, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"), dirs_exist_ok=True)
            else:
                target = target / origin.name if destination.endswith("/") else target
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target)


def _install_command(dockerfile: DockerfileParser) -> List[str]:
    """The Dockerfile's one RUN, which must be `pip install [options] .`."""
    (run,) = _instructions(dockerfile, "RUN")
    command = shlex.split(run)
    assert command[:2] == ["pip", "install"] and command[-1] == ".", f"not a pip install of the context: {run}"
    return command


def _run(command: List[str], cwd: Path, env: Dict[str, str], timeout: int = 300) -> subprocess.CompletedProcess:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert completed.returncode == 0, f"{command} exited {completed.returncode}:\n{completed.stdout[-2000:]}\n{completed.stderr[-3000:]}"
    return completed


def _source_personio(venv_bin: Path, cwd: Path, env: Dict[str, str], *args: str) -> List[Dict[str, Any]]:
    return airbyte_messages(_run([str(venv_bin / "source-personio"), *args], cwd, env, timeout=180).stdout)


def test_recipe_installs_a_working_connector_in_a_clean_virtualenv(dockerfile, metadata, emulator, tmp_path):
    # Given the build context the COPY instructions make, and a clean virtualenv
    workdir = tmp_path / "airbyte" / "integration_code"
    _replay_copies(dockerfile, workdir)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    _run([RECIPE_PYTHON, "-m", "venv", str(tmp_path / "venv")], tmp_path, env)
    venv_bin = tmp_path / "venv" / "bin"
    env["PATH"] = f"{venv_bin}{os.pathsep}{env.get('PATH', '')}"

    # When a wheel is built from that context alone and installed with the Dockerfile's pip line
    wheels = tmp_path / "wheels"
    _run([str(venv_bin / "python"), "-m", "pip", "wheel", "--no-deps", "--no-cache-dir", "-w", str(wheels), str(workdir)], tmp_path, env)
    (wheel,) = wheels.glob("source_personio-*.whl")
    install = _install_command(dockerfile)
    _run([str(venv_bin / "pip"), *install[1:-1], str(wheel)], workdir, env, timeout=600)

    # Then the wheel is the version the image is tagged with, ships the manifest and declares the console script
    assert wheel.name.split("-")[1] == metadata.data.dockerImageTag
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        entry_points = archive.read(next(name for name in names if name.endswith(".dist-info/entry_points.txt"))).decode()
    assert "source_personio/manifest.yaml" in names
    assert re.search(r"^source-personio = source_personio\.run:run$", entry_points, re.MULTILINE)

    # And from an empty directory the installed package, not the repository's, answers spec, check and read
    cwd = tmp_path / "empty"
    cwd.mkdir()
    imported_from = _run([str(venv_bin / "python"), "-c", "import source_personio; print(source_personio.__file__)"], cwd, env).stdout.strip()
    assert Path(imported_from).resolve().is_relative_to((tmp_path / "venv").resolve())
    (cwd.parent / "config.json").write_text(json.dumps(config_for(emulator)))
    (cwd.parent / "catalog.json").write_text(json.dumps(full_refresh_catalog()))

    spec = [message["spec"] for message in _source_personio(venv_bin, cwd, env, "spec") if message["type"] == "SPEC"]
    assert len(spec) == 1 and {"client_id", "client_secret"} <= set(spec[0]["connectionSpecification"]["required"])

    check = _source_personio(venv_bin, cwd, env, "check", "--config", "../config.json")
    assert connection_status(check)["status"] == "SUCCEEDED"

    read = _source_personio(venv_bin, cwd, env, "read", "--config", "../config.json", "--catalog", "../catalog.json")
    assert error_traces(read) == []
    assert sorted(records_by_stream(read)) == sorted(STREAMS)
