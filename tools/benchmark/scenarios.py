"""The benchmark's scenarios: each starts its emulators, runs the connector (or the reference reader) and keeps
what it measured for the report."""
import json
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tools.benchmark.minimum import (EMPLOYMENTS, STREAMS, Minimum, check_employment_filters, check_windows,
                                     employments_minimum, every_stream_minimum, instants, minimum,
                                     window_counts)
from tools.sync_runner import RunResult, SourceRunner, configured_catalog, discovered_catalog, find_command
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.settings import PERSONIO_LIKE_RATE_LIMITS
from tools.stream_facts import FACTS
from tools.benchmark.reference_reader import plan as reference_plan

EVERY_STREAM = FACTS.names

FULL_SIZES = {"persons": 1_000, "absence_periods": 10_000, "attendance_periods": 100_000}
QUICK_SIZES = {"persons": 100, "absence_periods": 1_000, "attendance_periods": 10_000}
SPARSE_SIZES = {"persons": 300, "absence_periods": 1_000, "attendance_periods": 3_000}
SPARSE_START = datetime(2016, 1, 1)
EVERY_STREAM_SHARE = 10  # every-stream reads the large company divided by this
LATENCY = 0.1
BUCKETS = dict(PERSONIO_LIKE_RATE_LIMITS)  # stream -> (requests per second, burst)
# Personio's documented default order of attendance periods (contract §3), not the emulator's faster
# updated_at order: the order decides how often the connector's cursor sees a new maximum.
PERSONIO_ATTENDANCE_ORDER = "person.id,start.date_time,end.date_time"
CHANGED_SHARE = 0.01
MEMORY_FACTORS = (4, 16)
CPU_ROUNDS = 2
KILL_SHARE = 0.5  # resume kills the first sync once its slowest endpoint served this share of its fewest requests
RESUME_WINDOWS = 2  # resume: records read by both syncs may be at most this many times one window's records

# What cpu and memory raise through the config (a user with a larger quota can): the client-side request ceilings.
FAST_CONFIG = {"periods_requests_per_second": 1000, "persons_requests_per_second": 1000}
ROOT = Path(__file__).resolve().parents[2]
# Both programs run with the environment the connector's Docker image sets: MALLOC_ARENA_MAX=2 keeps glibc
# from giving each worker thread its own malloc arena, whose memory otherwise grows with the data read.
PROGRAM_ENVIRONMENT = {"MALLOC_ARENA_MAX": "2"}

TARGET_SPARSE = 2.0
TARGET_REQUESTS = 1.1
TARGET_BOUND = 1.1
TARGET_429 = 0.01
TARGET_CPU = 5.0
TARGET_MEMORY = 1.2
TARGET_SECONDS = 15 * 60


def default_config(emu: Emulator, **extra) -> dict:
    """The credentials and the emulator's address, nothing else: the manifest's defaults for everything."""
    config = {k: v for k, v in emu.config().items() if k != "start_date"}
    config.update(extra)
    return config


@dataclass
class Result:
    """One measured run: what the program printed and used (`run`), and what the emulator saw of it."""

    label: str
    run: RunResult
    minimum: Optional[Minimum] = None
    window_problems: List[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    emulator_settings: dict = field(default_factory=dict)  # company, latency and buckets the run met
    streams: Tuple[str, ...] = STREAMS
    endpoint_minimum: Dict[str, int] = field(default_factory=dict)  # every-stream: fewest requests per endpoint
    requests: Dict[str, int] = field(default_factory=dict)  # per endpoint, as the emulator counted them
    throttled: int = 0
    problems: List[str] = field(default_factory=list)  # what the scenario found wrong

    @property
    def scenario(self) -> str:
        return self.label.split()[0]

    @property
    def wall(self) -> float:
        return self.run.seconds

    @property
    def cpu(self) -> float:
        return self.run.cpu_seconds

    @property
    def peak_mb(self) -> float:
        return self.run.peak_mb

    @property
    def records(self) -> Dict[str, int]:
        return self.run.record_counts

    @property
    def total_records(self) -> int:
        return self.run.total_records()

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def killed(self) -> bool:
        """Stopped on purpose (an interrupted sync), not at the timeout."""
        return self.run.killed == "stopped on purpose"

    @property
    def errors(self) -> List[str]:
        return self.run.error_messages + self.problems

    @property
    def ok(self) -> bool:
        ended = self.run.exit_code == 0 if self.run.killed is None else self.killed
        return ended and not self.errors


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = QUICK_SIZES if args.quick else FULL_SIZES
        # `--manifest`: source-declarative-manifest on that file instead of the installed command
        self.command = [str(Path(sys.executable).parent / "source-declarative-manifest")] if args.manifest else None
        self.manifest_args = ["--manifest-path", args.manifest] if args.manifest else []
        self.command_line = " ".join([*(self.command or [find_command()]), "read", *self.manifest_args])
        self.results: List[Result] = []
        self.notes: List[str] = []
        self.timeout = 1200
        self.total_seconds = 0.0
        self.repeats = None  # resume: (seconds until the kill, {stream: (read again, allowed, largest window, windows)})
        self._lock = threading.Lock()
        self.extra = {}
        for item in args.set or []:
            key, _, value = item.partition("=")
            try:
                self.extra[key] = json.loads(value)
            except ValueError:
                self.extra[key] = value

    # -- plumbing ----------------------------------------------------------------------------------------

    def emulator(self, sizes: Dict[str, int], prerender: bool = True, **settings) -> Emulator:
        settings.setdefault("attendance_default_sort", PERSONIO_ATTENDANCE_ORDER)
        return Emulator(EmulatorSettings(seed=self.args.seed, prerender=prerender, request_log_size=400_000,
                                         **sizes, **settings)).start()

    def limited(self, emu: Emulator) -> Emulator:
        emu.settings.latency_seconds = LATENCY
        emu.settings.rate_limits = dict(BUCKETS)
        emu.settings.retry_after_on_429 = False
        return emu

    def runner(self, command=None) -> SourceRunner:
        """A runner that measures CPU and peak memory, with the environment of the connector's Docker image."""
        return SourceRunner(command or self.command, env=PROGRAM_ENVIRONMENT, cwd=str(ROOT), timeout=self.timeout,
                            kill_at_timeout=True, measure=True)

    def catalog(self, sync_mode: str, streams: Sequence[str]) -> dict:
        """`streams` configured from what discover returns, as Airbyte configures them."""
        return configured_catalog(discovered_catalog(self.command, self.manifest_args), sync_mode, streams)

    def add(self, result: Result) -> Result:
        with self._lock:
            self.results.append(result)
        return result

    def note(self, text: str) -> None:
        with self._lock:
            self.notes.append(text)

    def connector(self, label: str, emu: Emulator, config: dict, sync_mode: str = "full_refresh",
                  states: Optional[Dict[str, dict]] = None, keep_ids: bool = False,
                  streams: Sequence[str] = STREAMS, stop_when=None) -> Result:
        config = {**config, **self.extra}
        catalog = self.catalog(sync_mode, streams)

        def run() -> RunResult:
            return self.runner().read(config, catalog, state=list(states.values()) if states else None,
                                      extra_args=self.manifest_args, records="ids" if keep_ids else "count",
                                      stop_when=stop_when)
        return self._measure(label, emu, config, run, states, tuple(streams))

    def reference(self, label: str, emu: Emulator, config: dict) -> Result:
        reader = self.runner([sys.executable, "-m", "tools.benchmark.reference_reader"])
        plan = ["--plan", json.dumps(reference_plan())]
        return self._measure(label, emu, config, lambda: reader.run("read", config=config, records="count",
                                                                    extra_args=plan), None, STREAMS)

    def _measure(self, label, emu, config, run_program, states, streams) -> Result:
        emu.stats.reset()
        now = datetime.now(timezone.utc)
        if streams == (EMPLOYMENTS,):
            expected, _ = employments_minimum(emu, config)
        else:
            expected = minimum(emu, config, now, states)
        company = {s: emu.company.size(s) for s in STREAMS}
        settings = {"latency_seconds": emu.settings.latency_seconds, "rate_limits": dict(emu.settings.rate_limits),
                    "company": company, "data_start": emu.settings.data_start}
        result = Result(label, run_program(), expected, [], config, settings, streams)
        snapshot = emu.stats.snapshot()
        result.requests = dict(snapshot["requests"])
        result.throttled = sum(snapshot["throttled"].values())
        if streams == EVERY_STREAM:
            result.endpoint_minimum = every_stream_minimum(emu, config, now)
        elif streams == (EMPLOYMENTS,):
            result.window_problems = check_employment_filters(emu, config)
        elif label != "resume killed":  # killed half-way through its windows
            result.window_problems, _ = check_windows(emu, expected)
        if result.killed and result.ok:
            status = "killed on purpose"
        else:
            status = "ok" if result.ok else (f"FAILED (exit {result.run.exit_code}) {result.errors[:2]} "
                                             f"{result.run.stderr[-300:]}")
        print(f"  {result.label:<24} {result.wall:6.1f} s  {result.total_records:>8} records  "
              f"{result.total_requests:>6} requests  {status}", file=sys.stderr, flush=True)
        return result

    # -- scenarios -----------------------------------------------------------------------------------------

    def run(self, wanted: Sequence[str]) -> None:
        """Run the scenarios named in `wanted` (keys of SCENARIOS): cpu first and alone (it measures CPU), then
        the others side by side (they wait on buckets and latency; memory does not depend on the load)."""
        self.wanted = set(wanted)
        started = time.monotonic()
        if self.wanted & {"cpu", "memory"}:  # memory compares its peaks with cpu's
            print(f"generating the large company ({self.sizes}) …", file=sys.stderr, flush=True)
            with self.emulator(self.sizes) as large:
                self.cpu(large)
        side_by_side = [job for name, job in SIDE_BY_SIDE.items() if name in self.wanted]
        if "after-changes" in self.wanted and "first-sync" not in self.wanted:
            side_by_side.append(Bench.first_sync)  # after-changes starts from first-sync's state
        threads = [threading.Thread(target=self._guarded, args=(job,)) for job in side_by_side]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.total_seconds = time.monotonic() - started

    def _guarded(self, job) -> None:
        try:
            job(self)
        except Exception as error:  # one scenario's crash must not hide the others' figures
            self.note(f"{job.__name__} crashed: {error!r}")

    def cpu(self, emu: Emulator) -> None:
        """Two rounds of the same full refresh by each program, alternating; the round with less CPU per record
        counts for each (CPU time on a shared 2-core machine varies by a third from run to run)."""
        config = default_config(emu, **FAST_CONFIG)
        rounds = {"connector": [], "reference": []}
        for _ in range(CPU_ROUNDS):
            rounds["connector"].append(self.connector("cpu connector", emu, config))
            rounds["reference"].append(self.reference("cpu reference", emu, config))
        for program, runs in rounds.items():
            per_record = [r.cpu / max(1, r.total_records) * 1e6 for r in runs]
            self.add(runs[per_record.index(min(per_record))])
            self.note(f"cpu: {program} CPU per record in each round: {', '.join(f'{v:.0f}' for v in per_record)} µs; "
                      f"the lowest counts.")

    def sparse_history(self) -> None:
        with self.limited(self.emulator(SPARSE_SIZES, data_start=SPARSE_START)) as emu:
            self.add(self.connector("sparse-history", emu, default_config(emu), sync_mode="incremental"))

    def first_sync(self) -> None:
        """The large company's first sync; then, when asked for, the incremental sync after changes from its state."""
        with self.limited(self.emulator(self.sizes)) as emu:
            first = self.connector("first-sync", emu, default_config(emu), sync_mode="incremental")
            if "first-sync" in self.wanted:
                self.add(first)
            if "after-changes" in self.wanted:
                self.after_changes(emu, first)

    def after_changes(self, emu: Emulator, first: Result) -> None:
        changed = {s: set(emu.company.update(s, fraction=CHANGED_SHARE)) for s in STREAMS}
        time.sleep(1.1)  # the changes are stamped "now": let the connector's now be past them
        after = self.connector("after-changes", emu, default_config(emu), sync_mode="incremental",
                               states=first.run.stream_states, keep_ids=True)
        missing = sum(len(ids - after.run.ids.get(s, set())) for s, ids in changed.items())
        self.note(f"after-changes: {sum(len(v) for v in changed.values())} records changed "
                  f"({', '.join(f'{len(v)} {s}' for s, v in changed.items())}); "
                  f"{missing} of them missing from its output.")
        if missing:
            after.problems.append(f"{missing} changed records not read")
        self.add(after)

    def every_stream(self) -> None:
        with self.limited(self.emulator({s: n // EVERY_STREAM_SHARE for s, n in self.sizes.items()})) as emu:
            every = self.connector("every-stream", emu, default_config(emu), streams=EVERY_STREAM)
            missing = [s for s in EVERY_STREAM if not every.records.get(s)]
            if missing:
                every.problems.append(f"no records from {', '.join(missing)}")
            self.add(every)

    def resume(self) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            config = {**default_config(emu), **self.extra}  # the windows the runs below will use
            expected = minimum(emu, config, datetime.now(timezone.utc))
            slowest = max(STREAMS, key=lambda s: expected.pages[s] / BUCKETS[s][0])
            half = KILL_SHARE * expected.pages[slowest]

            def half_way() -> bool:  # the slowest endpoint has served half of its pages
                return emu.stats.requests.get(slowest, 0) >= half

            first = self.add(self.connector("resume killed", emu, config, sync_mode="incremental",
                                            keep_ids=True, stop_when=half_way))
            second = self.add(self.connector("resume resumed", emu, config, sync_mode="incremental",
                                             states=first.run.stream_states, keep_ids=True))
            spans = minimum(emu, config, datetime.now(timezone.utc)).windows
            missing = {s: len(set(emu.company.ids(s)) - first.run.ids.get(s, set()) - second.run.ids.get(s, set()))
                       for s in STREAMS}
            repeats = {}
            for stream in STREAMS:
                one_window = max(window_counts(stream, instants(emu, stream), spans[stream]))
                again = len(first.run.ids.get(stream, set()) & second.run.ids.get(stream, set()))
                requests = (first.requests.get(stream, 0), second.requests.get(stream, 0))
                repeats[stream] = (again, RESUME_WINDOWS * one_window, one_window, len(spans[stream]), missing[stream],
                                   requests)
            self.repeats = (first.wall, repeats)
            if any(missing.values()):
                second.problems.append(f"records lost across the interruption: {missing}")

    def employments(self) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            config = default_config(emu)
            run = self.connector("employments", emu, config, keep_ids=True, streams=(EMPLOYMENTS,))
            _, wanted = employments_minimum(emu, config)
            missing = len(wanted - run.run.ids.get(EMPLOYMENTS, set()))
            if missing:
                run.problems.append(f"{missing} employments not read")
            self.add(run)

    def memory(self) -> None:
        for factor in MEMORY_FACTORS:
            print(f"generating the company at {factor}x …", file=sys.stderr, flush=True)
            # the emulator's own updated_at order: no sorted view of a million records to build in this process,
            # beside the scenarios that time their requests; the order does not change what memory holds
            with self.emulator({s: n * factor for s, n in self.sizes.items()}, prerender=False,
                               attendance_default_sort=None) as big:
                self.add(self.connector(f"memory {factor}x", big, default_config(big, **FAST_CONFIG)))


# Every scenario by name, with what it measures (`--scenarios` takes these names).
SCENARIOS = {
    "sparse-history": "300 persons, 1,000 absences, 3,000 attendances updated 2016-2026: requests against the"
                      " unwindowed minimum",
    "first-sync": "the large company's first sync of the windowed lists: wall time against the slowest endpoint's"
                  " bound, and 429 answers",
    "after-changes": "an incremental sync from first-sync's state after 1 % of every record changed: every change read",
    "every-stream": "every stream on a tenth of the large company: wall time against the slowest endpoint's bound,"
                    " 429 answers, every stream read",
    "resume": "first-sync killed half-way, then resumed from its last state: records read twice and lost",
    "cpu": "CPU per record of a full refresh of the large company, against the hand-written reference reader",
    "memory": "peak memory of cpu's read at 4x and 16x the large company",
    "employments": "employments of the large company alone (not in the default run)",
}
DEFAULT_SCENARIOS = tuple(name for name in SCENARIOS if name != "employments")
# What runs side by side after cpu, longest first; after-changes runs inside first-sync, from its state.
SIDE_BY_SIDE = {"memory": Bench.memory, "sparse-history": Bench.sparse_history, "first-sync": Bench.first_sync,
                "every-stream": Bench.every_stream, "resume": Bench.resume, "employments": Bench.employments}
