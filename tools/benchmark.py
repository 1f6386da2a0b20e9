"""`make benchmark`: how fast, how frugal with requests and how lean source-personio is, against the emulator.

    python -m tools.benchmark            # the full run (about 100,000 attendance periods; < 15 minutes)
    python -m tools.benchmark --quick    # a tenth of the data, for CI and smoke tests (about two minutes)
    python -m tools.benchmark --scenarios f                      # one scenario alone (any of a,b,c,d,e,f)
    python -m tools.benchmark --scenarios a,d --manifest /tmp/copy/manifest.yaml   # try a manifest copy
    python -m tools.benchmark_profile    # where the connector's CPU goes (py-spy), by category

Not a test: it starts the bundled Personio emulator with a seeded company on 127.0.0.1, runs the installed
`source-personio read` as a subprocess per scenario, and prints one table with the targets below.

  a  full refresh, no latency: records per second against a minimal hand-written reader
     (`tools.reference_reader`, requests + json, one request at a time), run the same way;
  b  the same with 100 ms latency per request: wall time against the reference reader's;
  c  100 ms latency plus per-endpoint token buckets (10/s for the period endpoints, 30/s for persons) and
     the connector's DEFAULT rate settings (with 700-day windows, see RATE_LIMITED_WINDOWS): wall time
     against the rate-limit bound, and 429 answers;
  d  an incremental sync from c's final state after 1 % of every stream's records changed;
  e  peak memory of the same full refresh as a at 4x the data, against a's (1x);
  f  employments of the 1,000-person company in full, at the connector's DEFAULT config, with 100 ms latency
     under Personio-like buckets (emulator settings.PERSONIO_LIKE_RATE_LIMITS: 10/s for the employments
     endpoint across all persons, 30/s for persons): every employment read and no request failing, wall time
     against the employments bucket's bound (its minimum requests / 10 per second), and 429 answers.

Both programs write their Airbyte messages into a pipe this process counts line by line, so they pay the same
output cost. Peak memory and CPU time come from `getrusage(RUSAGE_CHILDREN)` in a small launcher process that
starts each program and does nothing else: the launcher is forked from this (large) process, and a child forked
from it would otherwise carry this process's resident size into its own peak.

The minimum number of requests is computed from the emulator's records and the windows the connector uses
(consecutive windows from start_date, or from the state minus the lookback, of window_size_days (persons:
persons_window_size_days) minus one second, the last ending now): max(1, ceil(n / page size)) per window, where
n counts the records the window's filters match, plus one token call per stream. The windows are checked
against the first-page filters the emulator logged. The unwindowed minimum, ceil(records / page size) per
endpoint at its largest page size plus one token call per stream, is printed beside it for every scenario, to
show what windowing costs. Employments have no windows: one list of every person, then max(1, ceil(n / 50))
requests per person, n counting the person's employments the updated_at.gt filter matches.
"""
import argparse
import bisect
import json
import math
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.settings import PERSONIO_LIKE_RATE_LIMITS
from tools.reference_reader import parse_instant, window_filters, windows

ROOT = Path(__file__).resolve().parent.parent
STREAMS = ("persons", "absence_periods", "attendance_periods")  # the windowed lists, read by a to e
EMPLOYMENTS = "employments"  # read by f
SHORT = {"persons": "persons", "absence_periods": "absences", "attendance_periods": "attendances",
         "employments": "employments"}
PAGE_SIZE = {"persons": 50, "absence_periods": 100, "attendance_periods": 100, "employments": 50}
SECOND_US = 1_000_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
DEFAULT_START = "2010-01-01T00:00:00Z"  # the manifest's default start_date

FULL_SIZES = {"persons": 1_000, "absence_periods": 10_000, "attendance_periods": 100_000}
QUICK_SIZES = {"persons": 100, "absence_periods": 1_000, "attendance_periods": 10_000}
LATENCY = 0.1
# The emulator's token buckets in c: (requests per second, burst = one second's worth).
BUCKETS = {"persons": (30.0, 30), "absence_periods": (10.0, 10), "attendance_periods": (10.0, 10)}
CHANGED_SHARE = 0.01
MEMORY_FACTOR = 4

# What a, b and e may raise through the config (a user can); c and d keep the manifest's default rates.
FAST_CONFIG = {"num_workers": 10, "periods_requests_per_second": 200, "persons_requests_per_second": 200}
WINDOWS = {"window_size_days": 90, "persons_window_size_days": 365}  # the manifest's defaults, set explicitly
# c and d: fewer, longer windows. The CDK hands partitions to its workers in the order the streams produced
# them, so with 29 absence windows queued ahead of attendance's, attendance (the bound) waits until absences are
# nearly done and the endpoints run one after the other; with 4 windows per period stream they run side by side.
RATE_LIMITED_WINDOWS = {"window_size_days": 700, "persons_window_size_days": 3650}

# f: the buckets of the two endpoints employments reads (Personio-like, as the one live probe saw them).
EMPLOYMENT_BUCKETS = {stream: PERSONIO_LIKE_RATE_LIMITS[stream] for stream in ("persons", EMPLOYMENTS)}

TARGET_REQUESTS = 1.1
TARGET_SPEED_A = 0.4
TARGET_WALL_B = 0.4
TARGET_BOUND_C = 1.2
TARGET_429_C = 0.01
TARGET_MEMORY_E = 1.2
TARGET_BOUND_F = 1.2
TARGET_429_F = 0.01

# Starts a program, waits, and leaves its CPU time and peak resident size in a file.
_LAUNCHER = """\
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "user": usage.ru_utime, "sys": usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""


def connector_command(manifest: Optional[str]) -> List[str]:
    if manifest:
        return [str(Path(sys.executable).parent / "source-declarative-manifest"), "read", "--manifest-path", manifest]
    try:
        from tools.sync_runner import find_command
        return [find_command(), "read"]
    except ImportError:
        return [str(Path(sys.executable).parent / "source-personio"), "read"]


def catalog(sync_mode: str, names: Sequence[str] = STREAMS) -> dict:
    streams = []
    for name in names:
        entry = {
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
                       "source_defined_cursor": True, "default_cursor_field": ["updated_at"],
                       "source_defined_primary_key": [["id"]]},
            "sync_mode": sync_mode,
            "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
            "primary_key": [["id"]],
        }
        if sync_mode == "incremental":
            entry["cursor_field"] = ["updated_at"]
        streams.append(entry)
    return {"streams": streams}


# -- running one program --------------------------------------------------------------------------------

@dataclass
class Run:
    label: str
    exit_code: int = -1
    wall: float = 0.0
    cpu: float = 0.0
    peak_mb: float = 0.0
    records: Dict[str, int] = field(default_factory=dict)
    states: Dict[str, dict] = field(default_factory=dict)
    ids: Dict[str, set] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)
    tail: List[str] = field(default_factory=list)
    stderr: str = ""
    # filled from the emulator
    requests: Dict[str, int] = field(default_factory=dict)
    throttled: int = 0
    harness_cpu: float = 0.0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.errors


# Both programs run with the environment the connector's Docker image sets: MALLOC_ARENA_MAX=2 keeps glibc
# from giving each worker thread its own malloc arena, whose memory otherwise grows with the data read.
PROGRAM_ENVIRONMENT = {**os.environ, "MALLOC_ARENA_MAX": "2"}


def run_program(label: str, argv: Sequence[str], workdir: Path, timeout: float, keep_ids: bool = False) -> Run:
    """Run argv under the launcher, count its RECORD lines per stream, keep its last STATE per stream."""
    run = Run(label)
    usage_path = workdir / f"usage-{label.replace(' ', '_')}.json"
    stderr_path = workdir / f"stderr-{label.replace(' ', '_')}.txt"
    counts: Dict[bytes, int] = {}
    with open(stderr_path, "wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(usage_path), *argv], stdout=subprocess.PIPE,
                                   stderr=stderr, cwd=ROOT, start_new_session=True, env=PROGRAM_ENVIRONMENT)
        timer = threading.Timer(timeout, lambda: _kill(process))
        timer.daemon = True
        timer.start()
        try:
            for line in process.stdout:
                if line.startswith(b'{"type":"RECORD"'):
                    start = line.find(b'"stream":"') + 10
                    stream = line[start:line.index(b'"', start)]
                    counts[stream] = counts.get(stream, 0) + 1
                    if keep_ids:
                        record = json.loads(line)["record"]
                        run.ids.setdefault(record["stream"], set()).add(record["data"].get("id"))
                elif line.startswith(b'{"type":"STATE"'):
                    state = json.loads(line)["state"]
                    if "stream" in state:
                        run.states[state["stream"]["stream_descriptor"]["name"]] = state
                else:
                    if line.startswith(b'{"type":"TRACE"') and b'"type":"ERROR"' in line:
                        error = json.loads(line)["trace"].get("error") or {}
                        run.errors.append(error.get("message") or "error trace")
                    run.tail = (run.tail + [line.decode("utf-8", "replace").strip()[:300]])[-8:]
            process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                _kill(process)
                process.wait()
        run.wall = time.monotonic() - started
    run.records = {stream.decode(): n for stream, n in counts.items()}
    run.stderr = stderr_path.read_text(errors="replace")[-2000:]
    try:
        usage = json.loads(usage_path.read_text())
        run.exit_code = usage["code"]
        run.cpu = usage["user"] + usage["sys"]
        run.peak_mb = usage["maxrss_kb"] / 1024
    except (OSError, ValueError):
        run.exit_code = process.returncode if process.returncode is not None else -1
        run.errors.append(f"no usage report (killed after {timeout:.0f} s?)")
    return run


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and the program it started, nothing else
    except ProcessLookupError:
        pass


# -- minimum requests ------------------------------------------------------------------------------------

def instants(emu: Emulator, stream: str) -> List[int]:
    """Every record's exact updated_at (epoch microseconds), sorted: what the emulator's filters compare."""
    company = emu.company
    return sorted(company.updated_us(stream, record_id) for record_id in company.ids(stream))


def _us(moment: datetime) -> int:
    return int(moment.timestamp()) * SECOND_US + moment.microsecond


def window_counts(stream: str, keys: List[int], spans: List[Tuple[datetime, datetime]]) -> List[int]:
    """Records each window's first-page filters match (the filters as the connector sends them)."""
    out = []
    for lower, upper in spans:
        if stream == "persons":  # updated_at.gt = lower - 1 s, updated_at.lt = upper + 1 s (strict)
            lo = bisect.bisect_right(keys, _us(lower) - SECOND_US)
            hi = bisect.bisect_left(keys, _us(upper) + SECOND_US)
        else:  # updated_at.gte = lower, updated_at.lte = upper + 1 s (inclusive)
            lo = bisect.bisect_left(keys, _us(lower))
            hi = bisect.bisect_right(keys, _us(upper) + SECOND_US)
        out.append(max(0, hi - lo))
    return out


@dataclass
class Minimum:
    windows: Dict[str, List[Tuple[datetime, datetime]]]
    pages: Dict[str, int]  # windowed minimum per endpoint
    flat_pages: Dict[str, int]  # unwindowed minimum per endpoint (largest page size, no windows)
    matched: Dict[str, int]  # records the windows match (boundary records count twice)
    tokens: int = len(STREAMS)  # one token call per stream read
    token_limit: Optional[int] = None  # the token-calls target where it is not `tokens`

    @property
    def total(self) -> int:
        return sum(self.pages.values()) + self.tokens

    @property
    def flat_total(self) -> int:
        return sum(self.flat_pages.values()) + self.tokens


def minimum(emu: Emulator, config: dict, now: datetime, states: Optional[Dict[str, dict]] = None,
            only_after: Optional[int] = None) -> Minimum:
    """Windowed and no-window minimum requests for a run starting at `now` (from `states` when given)."""
    start = parse_instant(config["start_date"]).astimezone(timezone.utc).replace(microsecond=0)
    lookback = timedelta(hours=int(config.get("lookback_window_hours", 24)))
    result = Minimum({}, {}, {}, {})
    for stream in STREAMS:
        keys = instants(emu, stream)
        days = int(config.get("persons_window_size_days", 365) if stream == "persons"
                   else config.get("window_size_days", 90))
        lower = start
        if states and stream in states:
            value = states[stream]["stream"]["stream_state"].get("updated_at")
            if value:
                lower = max(start, parse_instant(value).astimezone(timezone.utc) - lookback)
        spans = windows(lower, days, now)
        counts = window_counts(stream, keys, spans)
        page = PAGE_SIZE[stream]
        result.windows[stream] = spans
        result.pages[stream] = sum(max(1, math.ceil(n / page)) for n in counts)
        result.matched[stream] = sum(counts)
        # no windows: one query for everything the sync has to read
        if lower == start:
            wanted = len(keys)
        else:
            wanted = len(keys) - bisect.bisect_left(keys, _us(lower))
        result.flat_pages[stream] = max(1, math.ceil(wanted / page))
    return result


def employments_minimum(emu: Emulator, config: dict) -> Tuple[Minimum, set]:
    """Scenario f: every person listed once without windows (the largest persons page), then one request per
    person (and more pages only past 50 employments), filtered updated_at.gt = start - 1 s; one token call for
    the one stream. Without windows this is also the unwindowed minimum. Returns it and the ids the filters
    match (what a full read must deliver)."""
    start = parse_instant(config.get("start_date") or DEFAULT_START).astimezone(timezone.utc).replace(microsecond=0)
    lower = _us(start) - SECOND_US
    company = emu.company
    persons = company.ids("persons")
    wanted: set = set()
    pages = 0
    for person_id in persons:
        matched = [e["id"] for e in company.employments(person_id) or []
                   if company.updated_us(EMPLOYMENTS, e["id"]) > lower]
        wanted.update(matched)
        pages += max(1, math.ceil(len(matched) / PAGE_SIZE[EMPLOYMENTS]))
    counts = {"persons": max(1, math.ceil(len(persons) / PAGE_SIZE["persons"])), EMPLOYMENTS: pages}
    # The persons list is a stream of its own inside the connector (employments' parent), with its own token.
    return Minimum({}, counts, dict(counts), {"persons": len(persons), EMPLOYMENTS: len(wanted)}, tokens=1,
                   token_limit=2), wanted


def check_employment_filters(emu: Emulator, config: dict) -> List[str]:
    """Every person's first employments page carries updated_at.gt = start - 1 s, and only that filter."""
    start = parse_instant(config.get("start_date") or DEFAULT_START).astimezone(timezone.utc).replace(microsecond=0)
    wanted = (start - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    firsts = [e["query"] for e in emu.stats.entries() if e["endpoint"] == EMPLOYMENTS and "cursor" not in e["query"]]
    wrong = [q for q in firsts if q.get("updated_at.gt") != wanted or "updated_at.lt" in q]
    return [f"{len(wrong)} of {len(firsts)} first employments pages not filtered updated_at.gt={wanted}: {wrong[:2]}"] if wrong else []


def check_windows(emu: Emulator, expected: Minimum) -> Tuple[List[str], int]:
    """Compare the first-page filters the emulator logged with the windows the minimum assumed: the same
    window starts, and the same ends where the connector sent one (it may leave the newest windows open
    towards now). The last window ends at the connector's own "now", seconds after the one assumed here, so
    its end is not compared. Returns the differences and the number of windows sent without an end."""
    problems = []
    open_ended = 0
    entries = emu.stats.entries()
    for stream in expected.windows:
        sent: Dict[str, Optional[str]] = {}
        for entry in entries:
            if entry["endpoint"] == stream and "cursor" not in entry["query"]:
                query = entry["query"]
                lower = query.get("updated_at.gt") or query.get("updated_at.gte")
                sent[lower] = query.get("updated_at.lt") or query.get("updated_at.lte")
        wanted: Dict[str, str] = {}
        for lower, upper in expected.windows[stream]:
            values = list(window_filters(stream, lower, upper).values())
            wanted[values[0]] = values[1]
        last = max(wanted) if wanted else None
        open_ended += sum(1 for upper in sent.values() if upper is None)
        wrong_ends = [(lower, upper, wanted.get(lower)) for lower, upper in sent.items()
                      if upper is not None and lower != last and upper != wanted.get(lower)]
        if set(sent) != set(wanted) or wrong_ends:
            problems.append(f"{stream}: {len(sent)} windows sent, {len(wanted)} assumed; starts sent only "
                            f"{sorted(set(sent) - set(wanted))[:2]}, assumed only {sorted(set(wanted) - set(sent))[:2]}"
                            f"; other ends {wrong_ends[:2]}")
    return problems, open_ended


# -- scenarios ---------------------------------------------------------------------------------------------

@dataclass
class Result:
    scenario: str
    run: Run
    minimum: Optional[Minimum] = None
    window_problems: List[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    open_windows: int = 0  # windows sent without an upper bound
    emulator_settings: dict = field(default_factory=dict)  # latency and buckets the run met
    streams: Tuple[str, ...] = STREAMS
    started: float = 0.0  # time.monotonic() at launch


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = QUICK_SIZES if args.quick else FULL_SIZES
        self.command = connector_command(args.manifest)
        self.workdir = Path(tempfile.mkdtemp(prefix="personio-benchmark-"))
        self.results: List[Result] = []
        self.notes: List[str] = []
        self.timeout = 900
        self.extra = {}
        for item in args.set or []:
            key, _, value = item.partition("=")
            try:
                self.extra[key] = json.loads(value)
            except ValueError:
                self.extra[key] = value

    def emulator(self, factor: int = 1, prerender: bool = True, **settings) -> Emulator:
        sizes = {stream: n * factor for stream, n in self.sizes.items()}
        emu = Emulator(EmulatorSettings(seed=self.args.seed, prerender=prerender, request_log_size=200_000,
                                        **sizes, **settings))
        record = emu.stats.record

        def timed_record(entry: dict, status) -> None:  # when each answer went out, for f's timeline
            entry["at"] = time.monotonic()
            record(entry, status)

        emu.stats.record = timed_record
        return emu.start()

    def write(self, name: str, content) -> str:
        path = self.workdir / name
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(content, handle)
        return str(path)

    def connector(self, label: str, emu: Emulator, config: dict, sync_mode: str = "full_refresh",
                  states: Optional[Dict[str, dict]] = None, keep_ids: bool = False,
                  streams: Sequence[str] = STREAMS) -> Result:
        tag = label.replace(" ", "_")
        argv = [*self.command, "--config", self.write(f"config-{tag}.json", config),
                "--catalog", self.write(f"catalog-{tag}.json", catalog(sync_mode, streams))]
        if states:
            argv += ["--state", self.write(f"state-{tag}.json", list(states.values()))]
        return self._measure(label, emu, config, argv, states, keep_ids, tuple(streams))

    def reference(self, label: str, emu: Emulator, config: dict) -> Result:
        argv = [sys.executable, "-m", "tools.reference_reader",
                "--config", self.write(f"config-{label.replace(' ', '_')}.json", config)]
        return self._measure(label, emu, config, argv, None, False, STREAMS)

    def _measure(self, label, emu, config, argv, states, keep_ids, streams) -> Result:
        emu.stats.reset()
        now = datetime.now(timezone.utc)
        if EMPLOYMENTS in streams:
            expected, _ = employments_minimum(emu, config)
        else:
            expected = minimum(emu, config, now, states)
        settings = {"latency_seconds": emu.settings.latency_seconds, "rate_limits": dict(emu.settings.rate_limits),
                    "retry_after_on_429": emu.settings.retry_after_on_429}
        before = resource.getrusage(resource.RUSAGE_SELF)
        launched = time.monotonic()
        run = run_program(label, argv, self.workdir, self.timeout, keep_ids)
        after = resource.getrusage(resource.RUSAGE_SELF)
        run.harness_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        snapshot = emu.stats.snapshot()
        run.requests = {k: v for k, v in snapshot["requests"].items() if k in (*STREAMS, EMPLOYMENTS, "token")}
        run.throttled = sum(snapshot["throttled"].values())
        if EMPLOYMENTS in streams:
            problems, open_ended = check_employment_filters(emu, config), 0
        else:
            problems, open_ended = check_windows(emu, expected)
        result = Result(label.split()[0], run, expected, problems, config, open_ended, settings, streams, launched)
        self._progress(result)
        return result

    def _progress(self, result: Result) -> None:
        run = result.run
        status = "ok" if run.ok else f"FAILED (exit {run.exit_code}) {run.errors[:2]} {run.tail[-3:]} {run.stderr[-500:]}"
        print(f"  {run.label:<22} {run.wall:6.1f} s  {run.total_records:>7} records  {run.total_requests:>5} requests  "
              f"{status}", file=sys.stderr, flush=True)

    # a, b, c, d share one company; ref b runs beside c on a twin emulator (both wait on latency, not CPU)
    def run(self, scenarios: str) -> None:
        start = {"start_date": "2020-01-01T00:00:00Z"}
        fast = {**start, **WINDOWS, **FAST_CONFIG, **self.extra}
        default = {**start, **RATE_LIMITED_WINDOWS, **self.extra}
        started = time.monotonic()
        print(f"generating the company ({self.sizes}) …", file=sys.stderr, flush=True)
        emu = self.emulator(prerender=any(name in scenarios for name in "abcd"))
        twin = None
        try:
            if "a" in scenarios:
                self.results.append(self.connector("a connector", emu, emu.config(**fast)))
                self.results.append(self.reference("a reference", emu, emu.config(**fast)))
            if "b" in scenarios:
                emu.settings.latency_seconds = LATENCY
                self.results.append(self.connector("b connector", emu, emu.config(**fast)))
                emu.settings.latency_seconds = 0.0
            overlap = "b" in scenarios and "c" in scenarios and not self.args.serial
            ref_b: List[Result] = []
            if overlap:
                twin = self.emulator(latency_seconds=LATENCY)
                thread = threading.Thread(target=lambda: ref_b.append(self.reference("b reference", twin,
                                                                                     twin.config(**fast))))
                thread.start()
            elif "b" in scenarios:
                emu.settings.latency_seconds = LATENCY
                ref_b.append(self.reference("b reference", emu, emu.config(**fast)))
                emu.settings.latency_seconds = 0.0
            c_states = None
            if "c" in scenarios or "d" in scenarios:
                emu.settings.latency_seconds = LATENCY
                emu.settings.rate_limits = dict(BUCKETS)
                c = self.connector("c connector", emu, emu.config(**default), sync_mode="incremental")
                emu.settings.rate_limits = {}
                emu.settings.latency_seconds = 0.0
                c_states = c.run.states
                if "c" in scenarios:
                    self.results.append(c)
            if overlap:
                thread.join()
                self.notes.append("b's reference ran at the same time as c (on a twin emulator): both wait on the "
                                  "100 ms latency, not on CPU; --serial runs it alone.")
            self.results.extend(ref_b)
            if "d" in scenarios:
                changed = {s: set(emu.company.update(s, fraction=CHANGED_SHARE)) for s in STREAMS}
                time.sleep(1.1)  # the changes are stamped "now": let the connector's now be past them
                d = self.connector("d connector", emu, emu.config(**default), sync_mode="incremental",
                                   states=c_states, keep_ids=True)
                missing = sum(len(ids - d.run.ids.get(s, set())) for s, ids in changed.items())
                self.notes.append(f"d: {sum(len(v) for v in changed.values())} records changed "
                                  f"({', '.join(f'{len(v)} {SHORT[s]}' for s, v in changed.items())}); "
                                  f"{missing} of them missing from d's output.")
                if missing:
                    d.run.errors.append(f"{missing} changed records not read")
                self.results.append(d)
            if "f" in scenarios:
                self.run_f(emu)
        finally:
            emu.stop()
            if twin is not None:
                twin.stop()
        del emu, twin
        if "e" in scenarios:
            print(f"generating the company at {MEMORY_FACTOR}x …", file=sys.stderr, flush=True)
            big = self.emulator(factor=MEMORY_FACTOR, prerender=False)
            try:
                self.results.append(self.connector(f"e connector {MEMORY_FACTOR}x", big, big.config(**fast)))
            finally:
                big.stop()
        self.total_seconds = time.monotonic() - started


    def run_f(self, emu: Emulator) -> None:
        """Employments in full at the connector's default config (start_date too: every employment since 2010)
        under the Personio-like buckets of the persons and employments endpoints, with 100 ms latency."""
        config = {k: v for k, v in emu.config(**self.extra).items() if k != "start_date" or "start_date" in self.extra}
        emu.settings.latency_seconds = LATENCY
        emu.settings.rate_limits = dict(EMPLOYMENT_BUCKETS)
        emu.settings.retry_after_on_429 = False
        try:
            f = self.connector("f connector", emu, config, sync_mode="full_refresh", keep_ids=True, streams=(EMPLOYMENTS,))
        finally:
            emu.settings.rate_limits = {}
            emu.settings.latency_seconds = 0.0
        _, wanted = employments_minimum(emu, config)
        entries = emu.stats.entries()
        times = [e["at"] for e in entries if e["endpoint"] == EMPLOYMENTS and "at" in e]
        persons = [e["at"] for e in entries if e["endpoint"] == "persons" and "at" in e]
        first = min((e["at"] for e in entries if "at" in e), default=None)
        if times and first is not None:
            span = times[-1] - times[0]
            self.notes.append(f"f's timeline: first request {first - f.started:.1f} s after launch; persons list "
                              f"{persons[0] - f.started:.1f} to {persons[-1] - f.started:.1f} s; employments "
                              f"{times[0] - f.started:.1f} to {times[-1] - f.started:.1f} s, {len(times)} answers at "
                              f"{(len(times) - 1) / span if span else 0:.1f}/s; exit at {f.run.wall:.1f} s.")
        read = f.run.ids.get(EMPLOYMENTS, set())
        missing = len(wanted - read)
        self.notes.append(f"f: {len(read & wanted)} of the {len(wanted)} employments read ({missing} missing), "
                          f"{len(read - wanted)} not expected; {f.run.requests.get(EMPLOYMENTS, 0)} employments "
                          f"requests for {len(emu.company.ids('persons'))} persons.")
        if missing:
            f.run.errors.append(f"{missing} employments not read")
        self.results.append(f)


# -- the report ------------------------------------------------------------------------------------------

def _by(results: List[Result], label: str) -> Optional[Result]:
    for result in results:
        if result.run.label == label:
            return result
    return None


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report(bench: Bench) -> Tuple[str, bool]:
    results = bench.results
    lines = []
    head = (f"{'scenario':<15}{'program':<11}{'records persons/abs/att/empl':>30}"
            f"{'requests token/persons/abs/att/empl':>37}{'429':>5}{'min req':>9}{'no-win':>8}"
            f"{'wall s':>8}{'rec/s':>8}{'CPU µs/rec':>11}{'peak MB':>9}")
    lines.append(head)
    lines.append("-" * len(head))
    names = {"a": "a full", "b": "b latency", "c": "c rate-limit", "d": "d incremental", "e": "e memory 4x",
             "f": "f employments"}
    for result in results:
        run = result.run
        recs = "/".join(str(run.records.get(s, 0)) for s in (*STREAMS, EMPLOYMENTS))
        reqs = "/".join(str(run.requests.get(k, 0)) for k in ("token", *STREAMS, EMPLOYMENTS))
        minimum_ = result.minimum
        rate = run.total_records / run.wall if run.wall else 0
        cpu_us = run.cpu / run.total_records * 1e6 if run.total_records else 0
        program = run.label.split()[1]
        lines.append(f"{names.get(result.scenario, result.scenario):<15}{program:<11}{recs:>30}{reqs:>37}"
                     f"{run.throttled:>5}{minimum_.total if minimum_ else '':>9}"
                     f"{minimum_.flat_total if minimum_ else '':>8}{run.wall:>8.1f}{rate:>8.0f}{cpu_us:>11.0f}"
                     f"{run.peak_mb:>9.0f}")

    targets = []  # (scenario, what, measured, limit text, ok)

    def requests_target(result: Result) -> None:
        run, minimum_ = result.run, result.minimum
        ratio = run.total_requests / minimum_.total
        targets.append((run.label, "requests / windowed minimum", f"{run.total_requests}/{minimum_.total} = "
                        f"{ratio:.3f}x", f"<= {TARGET_REQUESTS}x", ratio <= TARGET_REQUESTS))
        tokens = run.requests.get("token", 0)
        limit = minimum_.token_limit or minimum_.tokens
        what = "(one per stream)" if limit == minimum_.tokens else "(one per stream and parent list)"
        targets.append((run.label, "token calls", str(tokens), f"<= {limit} {what}", tokens <= limit))

    for result in results:
        if result.run.label.split()[1] == "connector":
            requests_target(result)
    a, ref_a = _by(results, "a connector"), _by(results, "a reference")
    if a and ref_a:
        ratio = (a.run.total_records / a.run.wall) / (ref_a.run.total_records / ref_a.run.wall)
        targets.append(("a connector", "records/s vs reference", f"{a.run.total_records / a.run.wall:.0f}/"
                        f"{ref_a.run.total_records / ref_a.run.wall:.0f} = {ratio:.2f}x", f">= {TARGET_SPEED_A}x",
                        ratio >= TARGET_SPEED_A))
    b, ref_b = _by(results, "b connector"), _by(results, "b reference")
    if b and ref_b:
        ratio = b.run.wall / ref_b.run.wall
        targets.append(("b connector", "wall vs reference", f"{b.run.wall:.1f}/{ref_b.run.wall:.1f} s = {ratio:.2f}x",
                        f"<= {TARGET_WALL_B}x", ratio <= TARGET_WALL_B))
    c = _by(results, "c connector")
    if c:
        rates = {s: BUCKETS[s][0] for s in STREAMS}
        bound = max(c.minimum.pages[s] / rates[s] for s in STREAMS)
        ratio = c.run.wall / bound
        targets.append(("c connector", "wall vs rate-limit bound", f"{c.run.wall:.1f}/{bound:.1f} s = {ratio:.2f}x",
                        f"<= {TARGET_BOUND_C}x", ratio <= TARGET_BOUND_C))
        share = c.run.throttled / max(1, c.run.total_requests)
        targets.append(("c connector", "429 answers", f"{c.run.throttled}/{c.run.total_requests} = {share:.2%}",
                        f"<= {TARGET_429_C:.0%}", share <= TARGET_429_C))
    f = _by(results, "f connector")
    if f:
        rate = EMPLOYMENT_BUCKETS[EMPLOYMENTS][0]
        bound = f.minimum.pages[EMPLOYMENTS] / rate
        ratio = f.run.wall / bound
        targets.append(("f connector", "wall vs employments bucket bound", f"{f.run.wall:.1f}/{bound:.1f} s = "
                        f"{ratio:.2f}x", f"<= {TARGET_BOUND_F}x", ratio <= TARGET_BOUND_F))
        share = f.run.throttled / max(1, f.run.total_requests)
        targets.append(("f connector", "429 answers", f"{f.run.throttled}/{f.run.total_requests} = {share:.2%}",
                        f"<= {TARGET_429_F:.0%}", share <= TARGET_429_F))
        wanted = f.minimum.matched[EMPLOYMENTS]
        read = f.run.records.get(EMPLOYMENTS, 0)
        targets.append(("f connector", "employments read, none failing", f"{read}/{wanted}, exit {f.run.exit_code}, "
                        f"{len(f.run.errors)} errors", "all, exit 0, 0 errors", f.run.ok and read >= wanted))
    e = _by(results, f"e connector {MEMORY_FACTOR}x")
    if e and a:
        ratio = e.run.peak_mb / a.run.peak_mb
        targets.append((e.run.label, f"peak RSS {MEMORY_FACTOR}x vs 1x (a)", f"{e.run.peak_mb:.0f}/{a.run.peak_mb:.0f} MB "
                        f"= {ratio:.2f}x", f"<= {TARGET_MEMORY_E}x", ratio <= TARGET_MEMORY_E))
    for result in results:
        if not result.run.ok:
            targets.append((result.run.label, "run succeeded", f"exit {result.run.exit_code} {result.run.errors[:1]}",
                            "exit 0, no error", False))
        if result.window_problems:
            targets.append((result.run.label, "windows as assumed", "; ".join(result.window_problems)[:120],
                            "same as the minimum's", False))

    lines.append("")
    widths = [max([len("target")] + [len(t[0] + ": " + t[1]) for t in targets]) + 2,
              max([len("measured")] + [len(t[2]) for t in targets]) + 2,
              max([len("limit")] + [len(t[3]) for t in targets]) + 2]
    lines.append(f"{'target':<{widths[0]}}{'measured':<{widths[1]}}{'limit':<{widths[2]}}verdict")
    for label, what, measured, limit, ok in targets:
        lines.append(f"{label + ': ' + what:<{widths[0]}}{measured:<{widths[1]}}{limit:<{widths[2]}}{verdict(ok)}")

    lines.append("")
    lines.append("notes")
    lines.append(f"- command: {' '.join(bench.command)}; company seed {bench.args.seed}, "
                 f"{'/'.join(str(bench.sizes[s]) for s in STREAMS)} persons/absences/attendances at 1x"
                 f"{' (--quick)' if bench.args.quick else ''}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}.")
    for result in results:
        shown = {k: v for k, v in result.config.items() if k not in ("client_id", "client_secret", "api_url")}
        met = result.emulator_settings
        buckets = ", ".join(f"{s} {r:g}/s burst {b}" for s, (r, b) in sorted((met.get("rate_limits") or {}).items()))
        lines.append(f"- {result.run.label}: streams {', '.join(result.streams)}; config {json.dumps(shown, sort_keys=True)}"
                     f" (every other key at the manifest's default); emulator latency "
                     f"{1000 * met.get('latency_seconds', 0):.0f} ms, buckets {buckets or 'none'}"
                     f"{', Retry-After on 429' if met.get('retry_after_on_429') else ''}.")
    ran = {result.scenario for result in results}
    if ran & set("abe"):
        lines.append(f"- a, b and e raise num_workers and the per-second request ceilings through the config (as a user "
                     f"can); c and d use the manifest's defaults (9/s periods, 25/s persons, 6 workers) against the "
                     f"emulator's buckets of {BUCKETS['absence_periods'][0]:.0f}/s per period endpoint and "
                     f"{BUCKETS['persons'][0]:.0f}/s for persons (burst = one second's worth, no Retry-After).")
    if ran & set("cd"):
        lines.append(f"- c and d use windows of {RATE_LIMITED_WINDOWS['window_size_days']} days (persons "
                     f"{RATE_LIMITED_WINDOWS['persons_window_size_days']}): the CDK starts partitions in the order the "
                     f"streams produce them, so with the default 90-day windows attendance (the bound) waits behind "
                     f"absences' 29 windows and the two endpoints run one after the other instead of side by side.")
    if bench.extra:
        lines.append(f"- EXPERIMENT: --set {bench.extra} was added to every config; c no longer runs the defaults.")
    if ran & set("cd"):
        lines.append("- c reads in incremental mode (a first sync: the same requests as a full refresh) so that d "
                     "starts from its final state; d's lookback is the default 24 h.")
    if c:
        lines.append("- c's rate-limit bound = max over endpoints of windowed-minimum pages / bucket rate: "
                     + ", ".join(f"{SHORT[s]} {c.minimum.pages[s]}/{BUCKETS[s][0]:.0f}" for s in STREAMS) + ".")
    for result in (a, c, _by(results, "d connector")):
        if result is not None and result.minimum and result.minimum.windows:
            m = result.minimum
            lines.append(f"- windows in {result.scenario}: " + ", ".join(f"{SHORT[s]} {len(m.windows[s])}" for s in STREAMS)
                         + "; records they match (a record on a boundary of two inclusive windows counts twice): "
                         + ", ".join(f"{SHORT[s]} {m.matched[s]}" for s in STREAMS)
                         + (f"; {result.open_windows} windows were sent without an upper bound" if result.open_windows else "")
                         + ".")
    if a and a.run.harness_cpu:
        pace = a.run.total_requests / a.run.wall
        lines.append(f"- emulator + this harness during a: {a.run.harness_cpu:.1f} CPU s for {a.run.total_requests} "
                     f"requests ({1000 * a.run.harness_cpu / a.run.total_requests:.2f} ms each, capacity "
                     f"{a.run.total_requests / a.run.harness_cpu:.0f} pages/s) against the connector's {pace:.0f} pages/s.")
    if ref_a and ref_a.run.harness_cpu:
        lines.append(f"- emulator + this harness during a's reference: {ref_a.run.harness_cpu:.1f} CPU s of its "
                     f"{ref_a.run.wall:.1f} s wall ({ref_a.run.total_requests / ref_a.run.harness_cpu:.0f} pages per "
                     f"CPU second against the reader's {ref_a.run.total_requests / ref_a.run.wall:.0f} pages/s); the "
                     f"reader itself used {ref_a.run.cpu:.1f} CPU s.")
    lines.append("- min req = windowed minimum incl. one token call per stream; no-win = the unwindowed minimum, "
                 "ceil(records / largest page size) per endpoint plus one token call per stream. CPU and peak MB come "
                 "from the program's own rusage.")
    for result in results:
        m = result.minimum
        if m is not None and result.run.label.split()[1] == "connector":
            cost = (m.total / m.flat_total - 1) if m.flat_total else 0
            lines.append(f"- {result.run.label}: windowed minimum {m.total} vs unwindowed {m.flat_total} "
                         f"({', '.join(f'{SHORT[s]} {m.pages[s]}/{m.flat_pages[s]}' for s in m.pages)}, tokens {m.tokens}): "
                         f"windows cost {cost:+.1%}.")
    if f:
        lines.append(f"- f's bound = employments minimum requests / the bucket's {EMPLOYMENT_BUCKETS[EMPLOYMENTS][0]:.0f}/s "
                     f"= {f.minimum.pages[EMPLOYMENTS]}/{EMPLOYMENT_BUCKETS[EMPLOYMENTS][0]:.0f}; the connector's default "
                     f"per-parent budget is 9/s, so 1/0.9 = 1.11x of it is the budget's own share.")
    lines.extend(f"- {note}" for note in bench.notes)
    if bench.args.quick:
        lines.append("- --quick is a smoke run: the connector's ~3 s start-up weighs on a's, c's and f's ratios, so their "
                     "verdicts only mean something in the full run.")
    lines.append(f"- whole benchmark: {bench.total_seconds:.0f} s.")
    return "\n".join(lines), all(t[4] for t in targets)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (smoke run, e.g. for CI)")
    parser.add_argument("--scenarios", default="abcdef",
                        help="any of a,b,c,d,e,f (d needs c's state; c is run for it), e.g. --scenarios f")
    parser.add_argument("--serial", action="store_true", help="run b's reference alone instead of beside c")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", help="run `source-declarative-manifest` on this manifest instead of the "
                                           "installed source-personio (to try a manifest change)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="add to every config (experiments only: c then no longer runs the defaults)")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    args.scenarios = args.scenarios.replace(",", "")
    unknown = sorted(set(args.scenarios) - set("abcdef"))
    if unknown or not args.scenarios:
        parser.error(f"--scenarios takes letters of a,b,c,d,e,f, not {''.join(unknown) or 'nothing'}")
    bench = Bench(args)
    try:
        bench.run(args.scenarios)
    finally:
        shutil.rmtree(bench.workdir, ignore_errors=True)  # configs, catalogs, states, stderr of each run
    text, passed = report(bench)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{"label": r.run.label, "records": r.run.records, "requests": r.run.requests,
                        "throttled": r.run.throttled, "wall": r.run.wall, "cpu": r.run.cpu, "peak_mb": r.run.peak_mb,
                        "minimum": r.minimum.total if r.minimum else None,
                        "minimum_pages": r.minimum.pages if r.minimum else None,
                        "no_window_minimum": r.minimum.flat_total if r.minimum else None,
                        "config": {k: v for k, v in r.config.items() if k not in ("client_id", "client_secret")},
                        "exit_code": r.run.exit_code, "errors": r.run.errors} for r in bench.results], out, indent=1)
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
