#!/usr/bin/env bash
# Runs the test suite with the clock moved to another instant, to find tests that depend on today's date:
#   bash tools/test_at.sh "2026-12-31 23:52:00" [pytest arguments…]
# Needs Debian's faketime (apt-get install faketime) and `make install pyairbyte personio-client` first.
# A relative offset, not faketime's "@start": with "@" every new process starts its clock again at that instant,
# so the connector subprocesses would run behind the emulator and the tests.
set -euo pipefail
cd "$(dirname "$0")/.."
instant="$1"; shift
offset=$(( $(date -u -d "$instant" +%s) - $(date -u +%s) ))
exec faketime -f "+${offset}" .venv/bin/python -m pytest -q "$@"
