"""PyAirbyte: the "Reading into DuckDB with PyAirbyte" code of docs/querying.md, run as written, against the emulator.

The Python block of that section is taken from docs/querying.md and run, unchanged, with `.venv-pyairbyte/bin/python`
(PyAirbyte installed by `make test` from integration_tests/pyairbyte-requirements.txt) from the repository root, as
the page says, pointing at the connector command of the main venv (`local_executable`). The environment is the
page's (`AIRBYTE_OFFLINE_MODE=1`, `DO_NOT_TRACK=1`, the credential variables) plus the emulator's URL, PyAirbyte's
cache, logs and temporary files moved into the test's directory, and HTTP(S)_PROXY set to a closed local port (with
NO_PROXY for 127.0.0.1): a registry look-up, a telemetry call or a download would fail the run.

Three runs, each followed by a look at every DuckDB table (read through PyAirbyte's own cache API):
1. `--full-refresh`: every stream's table holds exactly the emulator's records (keys, no duplicates, updated_at);
2. after records are updated, created and deleted in the emulator, an incremental run: far fewer records read, and
   the tables hold what they held (a deleted record stays: Personio lists no deletions) merged with every change,
   each once and with its new updated_at (what an incremental read does not ask for, such as older months of a
   new compensation, may wait for the next full refresh);
3. `--full-refresh` again: the tables hold exactly the emulator's records, the deleted ones gone.

Which streams: every stream the manifest declares (PyAirbyte's `streams="*"`); the truth for each comes from
`emu.company.records(stream)`, or, for the streams the connector derives, from the records they derive from.
"""
import json
import os
import random
import re
import subprocess
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Set, Tuple
from zoneinfo import ZoneInfo

import pytest

from integration_tests import REPO_ROOT
from tools.stream_facts import cursor_fields, declared_streams, primary_keys, schema_properties
from tools.personio_emulator import Emulator, EmulatorSettings


PYAIRBYTE_PYTHON = REPO_ROOT / ".venv-pyairbyte" / "bin" / "python"
PAGE = REPO_ROOT / "docs" / "querying.md"
SECTION = "Reading into DuckDB with PyAirbyte"

# Small: three connector runs through PyAirbyte, each reading every stream.
COMPANY = {"seed": 21, "persons": 40, "absence_periods": 100, "attendance_periods": 250}
# Two years back (the emulator's history runs from 2021 to yesterday): a third of the records, and few empty months
# of compensations to ask for. The truth below keeps what the connector reads from this date on.
START = date(date.today().year - 2, date.today().month, 1)
START_DATE = START.isoformat()

# Test-only, run with PyAirbyte's interpreter: the page's code as its own __main__ (its arguments after the
# output path), then every cached table through PyAirbyte's cache API into the output file. One process per run
# saves PyAirbyte's start-up (5 s and more).
RUN_AND_DUMP = """
import json, runpy, sys

out, script, *arguments = sys.argv[1:]
sys.argv = [script, *arguments]
runpy.run_path(script, run_name="__main__")

import airbyte as ab

cache = ab.new_local_cache("personio")
tables = {name: [dict(row) for row in dataset] for name, dataset in cache.streams.items()}
with open(out, "w") as handle:
    json.dump(tables, handle, default=str)
"""

Key = Tuple[str, ...]


# -- the page's code -------------------------------------------------------------------------------------------------


def readme_code() -> str:
    """The one Python block of the page's PyAirbyte section."""
    text = PAGE.read_text()
    section = re.search(rf"^## {re.escape(SECTION)}\n(.*?)(?=^## |\Z)", text, flags=re.MULTILINE | re.DOTALL)
    assert section, f"docs/querying.md has no '## {SECTION}' section"
    blocks = re.findall(r"^```python\n(.*?)^```", section.group(1), flags=re.MULTILINE | re.DOTALL)
    assert len(blocks) == 1, f"expected one python block in '{SECTION}', found {len(blocks)}"
    return blocks[0]


def test_the_readme_code_is_offline_and_uses_the_installed_connector():
    code = readme_code()

    assert 'local_executable=".venv/bin/source-personio"' in code
    assert "force_full_refresh=full_refresh" in code
    section = PAGE.read_text().split(f"## {SECTION}", 1)[1]
    assert "AIRBYTE_OFFLINE_MODE=1" in section and "DO_NOT_TRACK=1" in section


# -- running it ------------------------------------------------------------------------------------------------------


class PyAirbyteRunner:
    def __init__(self, emulator: Emulator, workdir: Path):
        self.emulator = emulator
        self.workdir = workdir
        self.script = workdir / "personio_duckdb.py"
        self.script.write_text(readme_code())
        self.wrapper = workdir / "run_and_dump.py"
        self.wrapper.write_text(RUN_AND_DUMP)
        self.runs = 0

    def env(self) -> Dict[str, str]:
        env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONSTARTUP", "VIRTUAL_ENV")}
        for key in [key for key in env if key.lower() in ("http_proxy", "https_proxy", "all_proxy", "no_proxy")]:
            del env[key]
        env.update(
            # as the page says
            AIRBYTE_OFFLINE_MODE="1",
            DO_NOT_TRACK="1",
            PERSONIO_CLIENT_ID=self.emulator.client_id,
            PERSONIO_CLIENT_SECRET=self.emulator.client_secret,
            PERSONIO_START_DATE=START_DATE,
            PERSONIO_API_URL=self.emulator.url,
            # PyAirbyte's files in the test's directory, not the repository's .cache or /tmp/airbyte
            AIRBYTE_CACHE_ROOT=str(self.workdir / "cache"),
            AIRBYTE_LOGGING_ROOT=str(self.workdir / "logs"),
            AIRBYTE_TEMP_DIR=str(self.workdir / "tmp"),
            NO_LIVE_PROGRESS="1",
            # nothing but the emulator is reachable
            HTTP_PROXY="http://127.0.0.1:9",
            HTTPS_PROXY="http://127.0.0.1:9",
            ALL_PROXY="http://127.0.0.1:9",
            NO_PROXY="127.0.0.1,localhost",
        )
        (self.workdir / "tmp").mkdir(exist_ok=True)
        return env

    def run(self, *args: str) -> Tuple[str, Dict[str, List[Dict[str, Any]]]]:
        """The page's code with these arguments; its output, and every DuckDB table after it."""
        self.runs += 1
        tables = self.workdir / f"tables-{self.runs}.json"
        completed = subprocess.run(
            [str(PYAIRBYTE_PYTHON), str(self.wrapper), str(tables), str(self.script), *args],
            cwd=REPO_ROOT,  # the page runs it from the repository root
            env=self.env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=400,
        )
        assert completed.returncode == 0, (
            f"the PyAirbyte code of docs/querying.md {' '.join(args)} exited {completed.returncode}:\n"
            f"{completed.stdout[-4000:]}\n{completed.stderr[-6000:]}"
        )
        return completed.stdout, json.loads(tables.read_text())


def records_read(stdout: str) -> int:
    match = re.search(r"^(?:full refresh|incremental): (\d+) records read$", stdout, flags=re.MULTILINE)
    assert match, f"the PyAirbyte code printed no record count:\n{stdout[-2000:]}"
    return int(match.group(1))


# -- the truth -------------------------------------------------------------------------------------------------------


def instant(value: Any) -> Optional[datetime]:
    """An updated_at as an instant in UTC, whichever way it is written (RFC 3339, DuckDB's text, a recruiting object)."""
    zone = timezone.utc
    if isinstance(value, dict):  # a date-time without offset is wall time in the object's own timezone
        value, zone = value.get("date-time"), ZoneInfo(value.get("timezone") or "UTC")
    if not isinstance(value, str):
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    # DuckDB gives PyAirbyte's timestamps back in UTC without an offset. Compared to the second, as DuckDB's text
    # may leave a fraction out.
    return (moment if moment.tzinfo else moment.replace(tzinfo=zone)).astimezone(timezone.utc).replace(microsecond=0)


class Truth:
    """The emulator's records that a sync from START_DATE reads, keyed as the connector keys each stream."""

    def __init__(self, emulator: Emulator):
        self.emulator = emulator
        self.company = emulator.company
        self.keys = primary_keys()
        self.cursors = cursor_fields()
        self.start = datetime(START.year, START.month, START.day, tzinfo=timezone.utc)
        # PyAirbyte keeps only the columns a stream's schema declares
        self.has_updated_at = {stream: "updated_at" in fields for stream, fields in schema_properties().items()}

    def since_start(self, moment: Optional[datetime]) -> bool:
        return moment is not None and moment >= self.start

    def records(self, stream: str) -> Dict[Key, Optional[datetime]]:
        """Key -> updated_at (None where the stream carries none) of every record the sync should hold now."""
        company = self.company
        key = self.keys[stream]
        if stream == "person_custom_attributes":  # one row per person and attribute, read with the persons
            assert key == ("person_id", "id"), key
            return {
                (person["id"], attribute["id"]): instant(person.get("updated_at"))
                for person in company.records("persons")
                if self.since_start(instant(person.get("updated_at")))
                for attribute in person.get("custom_attributes") or []
            }
        if stream == "absence_period_breakdowns":  # one row per day of each absence read, keyed by the absence
            assert key == ("absence_period_id", "date"), key
            return {
                (absence["id"], row["date"]): None
                for absence in company.records("absence_periods")
                if self.since_start(instant(absence.get("updated_at")))
                for row in company.get("absence_period_breakdowns", absence["id"]) or []
            }
        if stream == "compensations":  # one row per compensation and month, for the months from the start date
            assert key == ("id", "month"), key
            extra = company.extra
            return {
                (item["id"], month): None
                for month in extra.window_months()
                if month >= START_DATE[:7]
                for item in extra.compensations(month=month)
            }
        if stream == "deletions":  # the deletion webhook's events, all within Personio's 30 days, so after the start
            from integration_tests.test_deletions_and_stage_transitions import held_deletions

            return {(record["stream"], str(record["id"])): None for record in held_deletions(self.emulator)}
        if stream == "recruiting_application_stage_transitions":  # of the applications changed since the start
            changed = {a["id"] for a in company.records("recruiting_applications")
                       if self.since_start(instant(a.get("updated_at")))}
            return {(str(r["application_id"]), str(r["id"])): None
                    for r in company.records(stream) if r["application_id"] in changed}
        truth = {}
        for record in company.records(stream):
            missing = [field for field in key if field not in record]
            assert not missing, f"{stream}: the emulator's records lack key field(s) {missing}; teach Truth this stream"
            updated_at = instant(record.get("updated_at"))
            if self.cursors.get(stream) == "updated_at" and not self.since_start(updated_at):
                continue  # the sync asks Personio only for records changed since the start date
            truth[tuple(str(record[field]) for field in key)] = updated_at if self.has_updated_at[stream] else None
        return truth


def cached(tables: Dict[str, List[Dict[str, Any]]], stream: str, key: Key) -> Tuple[List[Key], Dict[Key, Optional[datetime]]]:
    """A cached table's keys (duplicates kept) and each key's updated_at."""
    rows = tables.get(stream)
    assert rows is not None, f"no DuckDB table for {stream}; tables: {sorted(tables)}"
    keys = [tuple(str(row[field]) for field in key) for row in rows]
    return keys, {k: instant(row.get("updated_at")) for k, row in zip(keys, rows)}


def assert_table(stream: str, key: Key, keys: List[Key], updated: Dict[Key, Optional[datetime]],
                 expected: Dict[Key, Optional[datetime]], allowed: Set[Key] = frozenset()) -> None:
    """The table holds every expected key once, with its updated_at, and nothing but expected or allowed keys."""
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"{stream}: {len(duplicates)} key(s) twice in DuckDB, e.g. {duplicates[:3]}"
    missing = set(expected) - set(keys)
    unexpected = set(keys) - set(expected) - set(allowed)
    assert not missing and not unexpected, (
        f"{stream} {key}: {len(missing)} record(s) missing from DuckDB (e.g. {sorted(missing)[:3]}), "
        f"{len(unexpected)} not expected (e.g. {sorted(unexpected)[:3]})"
    )
    stale = [(k, updated[k], moment) for k, moment in expected.items() if moment is not None and updated[k] != moment]
    assert not stale, f"{stream}: updated_at differs from the emulator's for {len(stale)}, e.g. {stale[:3]}"


# -- the scenario ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> Iterator[Dict[str, Any]]:
    """The three runs, the tables after each, and the truth at each moment."""
    assert PYAIRBYTE_PYTHON.is_file(), (
        f"{PYAIRBYTE_PYTHON} is missing: `make test` (or `make pyairbyte`) installs PyAirbyte there"
    )
    emulator = Emulator(EmulatorSettings(**COMPANY)).start()
    try:
        runner = PyAirbyteRunner(emulator, tmp_path_factory.mktemp("pyairbyte"))
        version = subprocess.run(
            [str(PYAIRBYTE_PYTHON), "-c", "import airbyte, importlib.metadata as m; print(m.version('airbyte'))"],
            env=runner.env(), capture_output=True, text=True, timeout=120,
        )
        assert version.returncode == 0, f"PyAirbyte does not import: {version.stderr[-3000:]}"
        assert version.stdout.strip().startswith("0.71."), version.stdout
        truth = Truth(emulator)
        streams = declared_streams()
        result: Dict[str, Any] = {"streams": streams, "keys": truth.keys}

        result["full_stdout"], result["full_tables"] = runner.run("--full-refresh")
        result["full_truth"] = {stream: truth.records(stream) for stream in streams}

        rng = random.Random(21)
        changed: Dict[str, List[str]] = {}
        deleted: Dict[str, List[Key]] = {}
        for stream in ("persons", "absence_periods", "attendance_periods"):
            held = [k[0] for k in result["full_truth"][stream]]  # records the full refresh cached
            deleted[stream] = [(record_id,) for record_id in rng.sample(held, 2)]
            for (record_id,) in deleted[stream]:
                assert emulator.company.delete(stream, record_id)
            changed[stream] = emulator.company.update(stream, count=3) + emulator.company.create(stream, count=2)
        for stream in ("employments", "recruiting_candidates", "recruiting_applications"):
            changed[stream] = emulator.company.update(stream, count=2)
        result["changed"] = changed
        result["deleted"] = deleted

        emulator.stats.reset()
        result["incremental_stdout"], result["incremental_tables"] = runner.run()
        result["incremental_requests"] = emulator.stats.entries()
        result["incremental_truth"] = {stream: truth.records(stream) for stream in streams}

        result["second_full_stdout"], result["second_full_tables"] = runner.run("--full-refresh")
        result["second_full_truth"] = {stream: truth.records(stream) for stream in streams}
        result["repository_files"] = subprocess.run(
            ["git", "status", "--porcelain", "--ignored", "--", ".cache"], cwd=REPO_ROOT, capture_output=True, text=True
        ).stdout
        yield result
    finally:
        emulator.stop()


STREAMS = declared_streams()


def test_every_declared_stream_has_a_table(runs):
    for phase in ("full_tables", "incremental_tables", "second_full_tables"):
        assert set(runs[phase]) == set(STREAMS), phase


@pytest.mark.parametrize("stream", STREAMS)
def test_a_full_refresh_caches_exactly_the_emulators_records(runs, stream):
    key = runs["keys"][stream]
    keys, updated = cached(runs["full_tables"], stream, key)

    assert runs["full_truth"][stream], f"{stream}: the emulator holds no record, so nothing is compared"
    assert_table(stream, key, keys, updated, runs["full_truth"][stream])


def expected_after_incremental(runs: Dict[str, Any], stream: str, before: Set[Key]) -> Dict[Key, Optional[datetime]]:
    """What an incremental run must leave in a table: every record it held that the emulator still holds, with the
    emulator's current updated_at; every record changed or created since (with what derives from it); streams
    without a cursor whole; compensations from the month before the saved one on."""
    truth = runs["incremental_truth"][stream]
    changed = runs["changed"]
    must = {k for k in truth if k in before}
    if stream not in cursor_fields():
        must = set(truth)
    elif stream == "compensations":
        months = [entry["query"]["start_date"][:7] for entry in runs["incremental_requests"]
                  if entry["endpoint"] == "compensations" and "start_date" in entry["query"]]
        assert months, "the incremental run read no compensations"
        must |= {k for k in truth if k[1] >= min(months)}
    elif stream == "person_custom_attributes":
        must |= {k for k in truth if k[0] in changed["persons"]}
    elif stream == "absence_period_breakdowns":
        must |= {k for k in truth if k[0] in changed["absence_periods"]}
    elif stream in changed:
        must |= {(record_id,) for record_id in changed[stream]}
    assert must <= set(truth), f"{stream}: the emulator no longer holds {sorted(must - set(truth))[:3]}"
    return {k: truth[k] for k in must}


@pytest.mark.parametrize("stream", STREAMS)
def test_an_incremental_run_adds_every_change(runs, stream):
    """Records deleted in Personio stay (it lists no deletions); nothing is lost, duplicated or left stale."""
    key = runs["keys"][stream]
    keys, updated = cached(runs["incremental_tables"], stream, key)
    before = set(cached(runs["full_tables"], stream, key)[0])
    expected = expected_after_incremental(runs, stream, before)

    assert before <= set(keys), f"{stream}: the merge lost rows"
    assert_table(stream, key, keys, updated, expected, allowed=before | set(runs["incremental_truth"][stream]))


def test_the_incremental_run_read_the_changes_and_little_else(runs):
    full, incremental = records_read(runs["full_stdout"]), records_read(runs["incremental_stdout"])

    assert incremental < full / 2, (full, incremental)
    for stream, ids in runs["changed"].items():
        key = runs["keys"][stream]
        cached_keys = set(cached(runs["incremental_tables"], stream, key)[0])
        assert {(record_id,) for record_id in ids} <= cached_keys, stream
    persons_windows = [
        entry["query"] for entry in runs["incremental_requests"]
        if entry["endpoint"] == "persons" and "updated_at.gt" in entry["query"]
    ]
    assert persons_windows, "the incremental run asked for no persons window"
    first_since = min(instant(query["updated_at.gt"]) for query in persons_windows)
    assert first_since > instant(START_DATE + "T00:00:00Z"), "persons were read from the start date again"


def test_deleted_records_stay_after_an_incremental_run_and_go_with_a_full_refresh(runs):
    for stream, deleted in runs["deleted"].items():
        key = runs["keys"][stream]
        deleted = set(deleted)
        assert deleted <= set(cached(runs["full_tables"], stream, key)[0]), stream
        assert deleted <= set(cached(runs["incremental_tables"], stream, key)[0]), stream
        assert not deleted & set(cached(runs["second_full_tables"], stream, key)[0]), stream


@pytest.mark.parametrize("stream", STREAMS)
def test_a_second_full_refresh_caches_exactly_the_emulators_records(runs, stream):
    key = runs["keys"][stream]
    keys, updated = cached(runs["second_full_tables"], stream, key)

    assert_table(stream, key, keys, updated, runs["second_full_truth"][stream])


def test_nothing_is_left_in_the_repository(runs):
    """PyAirbyte's cache went where AIRBYTE_CACHE_ROOT said, not into the repository's .cache."""
    assert runs["repository_files"] == ""
