"""Each stream block of the manifest names Personio's reference page for its endpoint on a `# Docs:` line right
above it, so a reader checks the API in one click."""
import re
from pathlib import Path

import yaml

MANIFEST = Path(__file__).resolve().parents[1] / "source_personio" / "manifest.yaml"


def test_every_stream_block_has_a_docs_line_naming_its_endpoints_reference_page():
    text = MANIFEST.read_text()
    streams_section = text.split("\nstreams:\n", 1)[1].split("\nconcurrency_level:", 1)[0]
    lines = streams_section.split("\n")
    blocks = [i for i, line in enumerate(lines) if line.startswith("  - ")]
    manifest = yaml.safe_load(text)

    assert len(blocks) == len(manifest["streams"]) == 22
    for index, end in zip(blocks, blocks[1:] + [len(lines)]):
        above = lines[index - 1]
        match = re.fullmatch(r"  # Docs: https://developer\.personio\.de/reference/get_v2-([a-z-]+)", above)
        assert match, f"no '# Docs:' line above: {lines[index]}"
        block = "\n".join(lines[index:end])
        endpoint = re.search(r"endpoint: ([a-z/-]+)", block)
        if endpoint and "parent_endpoint" not in block:  # per-parent pages name the parent too
            assert match.group(1) == endpoint.group(1).replace("/", "-"), (above, endpoint.group(1))
