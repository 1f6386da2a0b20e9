"""A newcomer adds a plain list stream by editing the manifest (the stream and its schema), the emulator's endpoint
table and one test file (the unit tests' response template), and nothing else: the facts, the catalogs built from
discover, the tools and the tests that enumerate streams all pick it up (docs/development.md shows the steps)."""
import json
import os
import subprocess
import sys

import yaml
from airbyte_cdk.models import AirbyteMessageSerializer
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.test.entrypoint_wrapper import discover

from tools.catalogs import DISCOVER_ONLY_CONFIG, configured_catalog
from tools.stream_facts import MANIFEST_PATH, REPO_ROOT, StreamFacts

NEW = {"name": "work_schedules", "endpoint": "work-schedules", "scope": "personio:work-schedules:read", "page_size": 100}


def manifest_with_a_new_plain_list() -> dict:
    """The manifest with one more block under the plain full-refresh lists, as docs/development.md shows it."""
    manifest = yaml.safe_load(MANIFEST_PATH.read_text())
    manifest["streams"].append({
        "$ref": "#/definitions/list_stream",
        "name": NEW["name"],
        "$parameters": dict(NEW),
        "schema_loader": {"type": "InlineSchemaLoader", "schema": {"$ref": f"#/schemas/{NEW['name']}"}},
    })
    manifest["schemas"][NEW["name"]] = {
        "$schema": "http://json-schema.org/draft-07/schema#", "type": "object", "additionalProperties": True,
        "required": ["id"], "properties": {"id": {"description": "Id.", "type": ["string", "integer"]},
                                           "name": {"description": "Name.", "type": ["null", "string"]}},
    }
    return manifest


def test_the_facts_know_the_new_stream():
    facts = StreamFacts(manifest_with_a_new_plain_list())

    stream = facts[NEW["name"]]
    assert (stream.kind, stream.endpoint, stream.scope, stream.page_size) == ("whole", NEW["endpoint"], NEW["scope"], 100)
    assert stream.primary_key == ("id",) and not stream.incremental and not stream.required
    assert NEW["name"] in facts.endpoints and NEW["name"] in facts.whole
    assert stream.properties == ("id", "name")


def test_discover_and_the_configured_catalogs_hold_the_new_stream():
    manifest = manifest_with_a_new_plain_list()
    config = DISCOVER_ONLY_CONFIG
    source = ConcurrentDeclarativeSource(source_config=manifest, config=config, catalog=None, state=None)
    discovered = AirbyteMessageSerializer.dump(discover(source, config).catalog)["catalog"]

    modes = {entry["stream"]["name"]: entry["sync_mode"] for entry in configured_catalog(discovered)["streams"]}

    assert modes[NEW["name"]] == "full_refresh"
    assert set(modes) == set(StreamFacts(manifest).names)


def test_the_tools_and_the_tests_that_enumerate_streams_pick_it_up(tmp_path):
    """Imported against the changed manifest (STREAM_FACTS_MANIFEST), each list the tools and tests take from the
    facts holds the new stream, with no edit of theirs."""
    path = tmp_path / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest_with_a_new_plain_list(), sort_keys=False))
    probe = f"""
import json
from integration_tests import ALL_STREAMS
from integration_tests.syncs import CURSORS, PRIMARY_KEYS
from tools.benchmark.minimum import STREAMS as BENCHMARK_WINDOWED
from tools.benchmark.scenarios import EVERY_STREAM as BENCHMARKED
from tools.fault_suite.scenarios.outages import EVERY_STREAM as FAULTED
from unit_tests.mock_server.request_builder import PLAIN_LIST_ENDPOINTS
from unit_tests.mock_server.test_discover import _CATALOG
from unit_tests.mock_server.test_optional_streams import _SCOPES
name = {NEW['name']!r}
print(json.dumps({{
    "integration tests": name in ALL_STREAMS, "cursors": name in CURSORS and CURSORS[name] is None,
    "keys": PRIMARY_KEYS.get(name) == ("id",), "benchmark": name in BENCHMARKED and name not in BENCHMARK_WINDOWED,
    "fault suite": name in FAULTED, "plain list unit tests": PLAIN_LIST_ENDPOINTS.get(name) == {NEW['endpoint']!r},
    "scopes": _SCOPES.get(name) == {NEW['scope']!r}, "discover unit test": name in _CATALOG,
}}))
"""
    env = {**os.environ, "STREAM_FACTS_MANIFEST": str(path), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=REPO_ROOT,
                          timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert [where for where, ok in seen.items() if not ok] == [], seen
