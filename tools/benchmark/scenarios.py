"""The benchmark's scenarios: each starts its emulators, runs the connector (or the reference reader) and keeps
what it measured for the report."""
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tools.benchmark.minimum import (EMPLOYMENTS, STREAMS, Minimum, check_employment_filters, check_windows,
                                     employments_minimum, every_stream_minimum, instants, minimum,
                                     window_counts)
from tools.benchmark.launcher import Run, catalog, connector_command, run_program
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.settings import PERSONIO_LIKE_RATE_LIMITS
from tools.personio_emulator.streams import ALL_STREAMS

# The connector's stream names, in its manifest's order (the emulator names endpoints after the streams).
EVERY_STREAM = ("persons", "absence_periods", "attendance_periods", "person_custom_attributes", "employments",
                "absence_period_breakdowns", "compensations", "org_units", "legal_entities", "workplaces",
                "cost_centers", "jobs", "salary_bands", "absence_types", "projects", "compensation_types",
                "recruiting_applications", "recruiting_candidates", "recruiting_jobs", "recruiting_categories",
                "recruiting_application_stage_transitions", "deletions")
# the webhook list is no stream of its own: the deletions stream reads it to find its webhook
assert set(EVERY_STREAM) == (set(ALL_STREAMS) - {"webhooks"}) | {"person_custom_attributes"}
SHORT = {"persons": "persons", "absence_periods": "absences", "attendance_periods": "attendances",
         "employments": "employments"}

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
    scenario: str
    run: Run
    minimum: Optional[Minimum] = None
    window_problems: List[str] = field(default_factory=list)
    config: dict = field(default_factory=dict)
    emulator_settings: dict = field(default_factory=dict)  # company, latency and buckets the run met
    streams: Tuple[str, ...] = STREAMS
    endpoint_minimum: Dict[str, int] = field(default_factory=dict)  # g: fewest requests per endpoint


class Bench:
    def __init__(self, args):
        self.args = args
        self.sizes = QUICK_SIZES if args.quick else FULL_SIZES
        self.command = connector_command(args.manifest)
        self.workdir = Path(tempfile.mkdtemp(prefix="personio-benchmark-"))
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

    def write(self, name: str, content) -> str:
        path = self.workdir / name
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
            json.dump(content, handle)
        return str(path)

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
        tag = label.replace(" ", "_")
        config = {**config, **self.extra}
        argv = [*self.command, "--config", self.write(f"config-{tag}.json", config),
                "--catalog", self.write(f"catalog-{tag}.json", catalog(sync_mode, streams))]
        if states:
            argv += ["--state", self.write(f"state-{tag}.json", list(states.values()))]
        return self._measure(label, emu, config, argv, states, keep_ids, tuple(streams), stop_when)

    def reference(self, label: str, emu: Emulator, config: dict) -> Result:
        argv = [sys.executable, "-m", "tools.benchmark.reference_reader",
                "--config", self.write(f"config-{label.replace(' ', '_')}.json", config)]
        return self._measure(label, emu, config, argv, None, False, STREAMS, None)

    def _measure(self, label, emu, config, argv, states, keep_ids, streams, stop_when) -> Result:
        emu.stats.reset()
        now = datetime.now(timezone.utc)
        if streams == (EMPLOYMENTS,):
            expected, _ = employments_minimum(emu, config)
        else:
            expected = minimum(emu, config, now, states)
        company = {s: emu.company.size(s) for s in STREAMS}
        settings = {"latency_seconds": emu.settings.latency_seconds, "rate_limits": dict(emu.settings.rate_limits),
                    "company": company, "data_start": emu.settings.data_start}
        run = run_program(label, argv, self.workdir, self.timeout, keep_ids, stop_when)
        snapshot = emu.stats.snapshot()
        run.requests = dict(snapshot["requests"])
        run.throttled = sum(snapshot["throttled"].values())
        result = Result(label.split()[0], run, expected, [], config, settings, streams)
        if streams == EVERY_STREAM:
            result.endpoint_minimum = every_stream_minimum(emu, config, now)
        elif streams == (EMPLOYMENTS,):
            result.window_problems = check_employment_filters(emu, config)
        elif label != "resume killed":  # killed half-way through its windows
            result.window_problems, _ = check_windows(emu, expected)
        if run.killed and run.ok:
            status = "killed on purpose"
        else:
            status = "ok" if run.ok else f"FAILED (exit {run.exit_code}) {run.errors[:2]} {run.stderr[-300:]}"
        print(f"  {run.label:<24} {run.wall:6.1f} s  {run.total_records:>8} records  {run.total_requests:>6} "
              f"requests  {status}", file=sys.stderr, flush=True)
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
            per_record = [r.run.cpu / max(1, r.run.total_records) * 1e6 for r in runs]
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
                               states=first.run.states, keep_ids=True)
        missing = sum(len(ids - after.run.ids.get(s, set())) for s, ids in changed.items())
        self.note(f"after-changes: {sum(len(v) for v in changed.values())} records changed "
                  f"({', '.join(f'{len(v)} {SHORT[s]}' for s, v in changed.items())}); "
                  f"{missing} of them missing from its output.")
        if missing:
            after.run.errors.append(f"{missing} changed records not read")
        self.add(after)

    def every_stream(self) -> None:
        with self.limited(self.emulator({s: n // EVERY_STREAM_SHARE for s, n in self.sizes.items()})) as emu:
            every = self.connector("every-stream", emu, default_config(emu), streams=EVERY_STREAM)
            missing = [s for s in EVERY_STREAM if not every.run.records.get(s)]
            if missing:
                every.run.errors.append(f"no records from {', '.join(missing)}")
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
                                             states=first.run.states, keep_ids=True))
            spans = minimum(emu, config, datetime.now(timezone.utc)).windows
            missing = {s: len(set(emu.company.ids(s)) - first.run.ids.get(s, set()) - second.run.ids.get(s, set()))
                       for s in STREAMS}
            repeats = {}
            for stream in STREAMS:
                one_window = max(window_counts(stream, instants(emu, stream), spans[stream]))
                again = len(first.run.ids.get(stream, set()) & second.run.ids.get(stream, set()))
                requests = (first.run.requests.get(stream, 0), second.run.requests.get(stream, 0))
                repeats[stream] = (again, RESUME_WINDOWS * one_window, one_window, len(spans[stream]), missing[stream],
                                   requests)
            self.repeats = (first.run.wall, repeats)
            if any(missing.values()):
                second.run.errors.append(f"records lost across the interruption: {missing}")

    def employments(self) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            config = default_config(emu)
            run = self.connector("employments", emu, config, keep_ids=True, streams=(EMPLOYMENTS,))
            _, wanted = employments_minimum(emu, config)
            missing = len(wanted - run.run.ids.get(EMPLOYMENTS, set()))
            if missing:
                run.run.errors.append(f"{missing} employments not read")
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
