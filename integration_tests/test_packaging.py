"""The files Airbyte packages the connector with: metadata.yaml, icon.svg, the version and the documentation URL.

metadata.yaml is validated with Airbyte's own published model of it, `ConnectorMetadataDefinitionV0` from the PyPI
package `airbyte-connector-models` (Airbyte's generated Pydantic models of the metadata schema its registry
uses; every object forbids unknown keys). The JSON schema shipped beside the model
(`ConnectorMetadataDefinitionV0.json`) cannot be used directly: its nested `$id`s leave `$ref`s that point nowhere
(e.g. `RemoteRegistries.yml#/properties/data/...`), so a JSON Schema validator stops on them.

Then: the icon metadata.yaml names is a small, self-contained SVG at the connector root; the version agrees in
pyproject.toml, metadata.yaml's dockerImageTag and the top row of CHANGELOG.md; the documentation URL agrees in
metadata.yaml, the manifest's spec and the "Airbyte packaging" section of docs/development.md.
"""
import re
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path
from typing import Any, Dict, List

import pytest
import yaml

from integration_tests import REPO_ROOT


METADATA = REPO_ROOT / "metadata.yaml"
CHANGELOG = REPO_ROOT / "CHANGELOG.md"
DEVELOPMENT = REPO_ROOT / "docs" / "development.md"
MANIFEST = REPO_ROOT / "source_personio" / "manifest.yaml"
SEMVER = re.compile(r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")


def metadata_document() -> Dict[str, Any]:
    return yaml.safe_load(METADATA.read_text())


def metadata_model():
    """Airbyte's model of metadata.yaml. Missing is a failure, not a skip: `make install` installs it."""
    try:
        from airbyte_connector_models.metadata.v0.connector_metadata_definition_v0 import (
            ConnectorMetadataDefinitionV0,
        )
    except ImportError as error:  # pragma: no cover - only where the dev extra is not installed
        pytest.fail(
            f"airbyte-connector-models is not installed ({error}); `make install` installs it with the dev extra "
            f"(it supports Python < 3.13, this is {sys.version.split()[0]})"
        )
    return ConnectorMetadataDefinitionV0


def page_section(page: Path, title: str) -> str:
    """The text of a page's `## <title>` section, up to the next `## ` heading."""
    text = page.read_text()
    match = re.search(rf"^## {re.escape(title)}\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert match, f"{page.relative_to(REPO_ROOT)} has no '## {title}' section"
    return match.group(1)


def changelog_rows() -> List[List[str]]:
    """The rows of CHANGELOG.md's table, as cells, newest first."""
    rows = []
    for line in CHANGELOG.read_text().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and SEMVER.fullmatch(cells[0]):
            rows.append(cells)
    assert rows, "CHANGELOG.md has no version row"
    return rows


# -- metadata.yaml against Airbyte's model --------------------------------------------------------------------------


def test_metadata_yaml_is_valid_for_airbyte():
    model = metadata_model()

    metadata = model.model_validate(metadata_document())

    assert metadata.metadata_spec_version == "1.0"
    assert metadata.data.connector_type.value == "source"
    assert metadata.data.docker_repository == "airbyte/source-personio"


@pytest.mark.parametrize(
    "change, field",
    [
        (lambda data: data.update(iconn="icon.svg"), "iconn"),
        (lambda data: data.update(connectorType="sauce"), "connectorType"),
        (lambda data: data.update(definitionId="not-a-uuid"), "definitionId"),
        (lambda data: data.pop("githubIssueLabel"), "githubIssueLabel"),
        (lambda data: data["remoteRegistries"]["pypi"].pop("packageName"), "packageName"),
    ],
    ids=["unknown-key", "bad-enum", "bad-uuid", "missing-field", "missing-nested-field"],
)


def test_the_model_rejects_what_airbyte_would(change, field):
    """Controls for the test above: the model is strict enough to catch a typo or a missing field."""
    document = metadata_document()
    change(document["data"])

    with pytest.raises(Exception) as raised:
        metadata_model().model_validate(document)

    assert field in str(raised.value)


def test_pypi_publishing_is_declared_only_for_a_python_connector():
    """One of Airbyte's metadata checks beyond the schema: PyPI publishing needs the language:python tag."""
    data = metadata_document()["data"]
    pypi = data["remoteRegistries"]["pypi"]

    assert pypi["packageName"] == "airbyte-source-personio"
    assert not pypi["enabled"] or "language:python" in data["tags"]


# -- icon -----------------------------------------------------------------------------------------------------------


def test_icon_is_a_small_self_contained_svg_at_the_connector_root():
    name = metadata_document()["data"]["icon"]
    icon = REPO_ROOT / name

    assert name == "icon.svg" and icon.is_file()
    text = icon.read_text()
    assert len(text.encode()) < 10_000
    root = ElementTree.fromstring(text)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("viewBox")
    assert "<script" not in text and "href" not in text, "no scripts, no external or embedded images"


# -- one version, one documentation URL ------------------------------------------------------------------------------


def test_pyproject_metadata_and_changelog_name_the_same_version():
    project = re.search(r"^\[project\]\n(.*?)(?=^\[)", (REPO_ROOT / "pyproject.toml").read_text(), re.MULTILINE | re.DOTALL)
    version = re.search(r'^version = "([^"]+)"$', project.group(1), re.MULTILINE).group(1)
    docker_image_tag = str(metadata_document()["data"]["dockerImageTag"])
    newest = changelog_rows()[0][0]

    assert SEMVER.fullmatch(version), version
    assert (version, docker_image_tag, newest) == (version, version, version)


def test_changelog_versions_are_unique_and_newest_first():
    versions = [tuple(int(part) for part in row[0].split(".")) for row in changelog_rows()]

    assert versions == sorted(set(versions), reverse=True)
    for row in changelog_rows():
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", row[1]), row
        assert row[2], row


def test_the_documentation_url_is_the_same_everywhere():
    url = metadata_document()["data"]["documentationUrl"]
    spec_url = yaml.safe_load(MANIFEST.read_text())["spec"]["documentation_url"]

    assert url.startswith("https://")
    assert spec_url == url
    assert url in page_section(DEVELOPMENT, "Airbyte packaging")
