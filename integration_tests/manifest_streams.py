"""The streams manifest.yaml declares, read from the file (so tests cover streams added later)."""
from typing import Any, Dict, List, Tuple

import yaml
from airbyte_cdk.sources.declarative.parsers.manifest_reference_resolver import ManifestReferenceResolver

from integration_tests import REPO_ROOT

MANIFEST_PATH = REPO_ROOT / "source_personio" / "manifest.yaml"


def load_manifest() -> Dict[str, Any]:
    """The manifest as the YAML document holds it, references unresolved (as the Builder UI sends it)."""
    return yaml.safe_load(MANIFEST_PATH.read_text())


def resolved_streams() -> List[Dict[str, Any]]:
    """The `streams` of the manifest with `$ref` resolved: a stream may take its name or key from a definition."""
    return ManifestReferenceResolver().preprocess_manifest(load_manifest())["streams"]


def stream_name(stream: Dict[str, Any]) -> str:
    name = stream.get("name") or stream.get("$parameters", {}).get("name")
    assert name, f"a stream of the manifest has no name: {sorted(stream)}"
    return name


def declared_streams() -> List[str]:
    names = [stream_name(stream) for stream in resolved_streams()]
    assert len(names) == len(set(names)), f"a stream name repeats: {names}"
    return names


def primary_keys() -> Dict[str, Tuple[str, ...]]:
    """Each stream's primary key as top-level field names (the manifest allows a name, a list, or a list of paths)."""
    keys = {}
    for stream in resolved_streams():
        key = stream.get("primary_key") or []
        if isinstance(key, str):
            key = [key]
        fields = []
        for part in key:
            if isinstance(part, list):
                assert len(part) == 1, f"{stream_name(stream)}: nested primary key {key}"
                part = part[0]
            fields.append(part)
        keys[stream_name(stream)] = tuple(fields)
    return keys


def cursor_fields() -> Dict[str, str]:
    """Each incremental stream's cursor field (streams read whole have none)."""
    return {
        stream_name(stream): stream["incremental_sync"]["cursor_field"]
        for stream in resolved_streams()
        if stream.get("incremental_sync")
    }


def schema_properties() -> Dict[str, List[str]]:
    """The top-level properties each stream's inline schema declares."""
    manifest = ManifestReferenceResolver().preprocess_manifest(load_manifest())
    properties = {}
    for stream in manifest["streams"]:
        schema = (stream.get("schema_loader") or {}).get("schema") or {}
        properties[stream_name(stream)] = sorted(schema.get("properties") or {})
    return properties


def partitioned_by_an_unwindowed_parent() -> List[str]:
    """Incremental streams read once per record of a parent stream that is read whole (no date filter), e.g.
    employments per person: their partitions ignore the start date, their records do not."""
    names = []
    for stream in resolved_streams():
        router = (stream.get("retriever") or {}).get("partition_router") or {}
        routers = router if isinstance(router, list) else [router]
        parents = [
            config.get("stream") or {}
            for router in routers
            if router.get("type") == "SubstreamPartitionRouter"
            for config in router.get("parent_stream_configs") or []
        ]
        if stream.get("incremental_sync") and parents and not any(parent.get("incremental_sync") for parent in parents):
            names.append(stream_name(stream))
    return names
