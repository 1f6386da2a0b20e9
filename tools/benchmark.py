"""`make benchmark`: how close source-personio's first syncs sit to Personio's rate limits, and what they cost in
requests, CPU and memory, against the bundled emulator. Every target of issue 10 is printed with its verdict.

    python -m tools.benchmark            # the full run (< 15 minutes on 2 cores)
    python -m tools.benchmark --quick    # a tenth of the data, a smoke run (a few minutes)
    python -m tools.benchmark --scenarios s,c          # some scenarios alone (any of a,c,d,e,f,g,r,s)
    python -m tools.benchmark --scenarios a --manifest /tmp/copy/manifest.yaml   # try a manifest copy
    python -m tools.benchmark_profile    # where the connector's CPU goes (py-spy), by category

Not a test: it starts emulators with seeded companies on 127.0.0.1, runs the installed `source-personio read`
(or `tools.reference_reader`) as a subprocess per run, and prints one table. The large company is 1,000 persons,
10,000 absence periods and 100,000 attendance periods, updated between 2021 and yesterday. Every scenario but a
and e runs the connector's DEFAULT config (no start date, window size, worker count or rate set) against the
emulator's Personio-like buckets (30 requests/s on persons, 10/s on every other endpoint, burst one second's
worth, no Retry-After) with 100 ms latency per request:

  s  sparse history: 300 persons, 1,000 absences, 3,000 attendances updated 2016-2026. Requests against the
     unwindowed minimum (pages at the largest page size plus the one token call of the sync).
  c  the large company's first sync of persons, absences and attendances: wall time against the bound of the
     slowest endpoint (its fewest requests / its bucket's rate), and 429 answers.
  d  an incremental sync from c's state after 1 % of every stream's records changed: every change read.
  g  every stream (all 20) on a tenth of the large company: wall time against the slowest endpoint's bound
     (absence breakdowns, one request per absence), 429 answers, every stream read. The large company's
     breakdowns alone take 1,000 s at 10/s, more than this whole benchmark may.
  r  c's sync killed at half its bound, then resumed from the last state messages: records read twice per
     stream against twice one window's records, records lost (none may be), requests of both syncs.
  a  CPU per record of a full refresh of the large company (no latency, no buckets, request ceilings raised in
     the config as a user can) against the hand-written `tools.reference_reader` on the same emulator.
  e  peak memory of a's read at 4x and 16x the large company, against each other and a's (1x).
  f  (not in the default run) employments of the large company alone.

Timing: a runs first, alone (it measures CPU); then s, c and d, g, r and e run side by side: all but e wait on
buckets and latency rather than CPU, and e measures memory, which sharing the machine does not change. Both programs write their Airbyte messages into a pipe this process counts line by line, so
they pay the same output cost.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from tools.benchmark_minimum import (EMPLOYMENTS, STREAMS, Minimum, check_employment_filters, check_windows,
                                     employments_minimum, every_stream_minimum, instants, minimum,
                                     window_counts)
from tools.benchmark_run import Run, catalog, connector_command, run_program
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.settings import PERSONIO_LIKE_RATE_LIMITS
from tools.personio_emulator.streams import ALL_STREAMS

# The connector's stream names, in its manifest's order (the emulator names endpoints after the streams).
EVERY_STREAM = ("persons", "absence_periods", "attendance_periods", "person_custom_attributes", "employments",
                "absence_period_breakdowns", "compensations", "org_units", "legal_entities", "workplaces",
                "cost_centers", "jobs", "salary_bands", "absence_types", "projects", "compensation_types",
                "recruiting_applications", "recruiting_candidates", "recruiting_jobs", "recruiting_categories")
assert set(EVERY_STREAM) == set(ALL_STREAMS) | {"person_custom_attributes"}
SHORT = {"persons": "persons", "absence_periods": "absences", "attendance_periods": "attendances",
         "employments": "employments"}

FULL_SIZES = {"persons": 1_000, "absence_periods": 10_000, "attendance_periods": 100_000}
QUICK_SIZES = {"persons": 100, "absence_periods": 1_000, "attendance_periods": 10_000}
SPARSE_SIZES = {"persons": 300, "absence_periods": 1_000, "attendance_periods": 3_000}
SPARSE_START = datetime(2016, 1, 1)
EVERY_STREAM_SHARE = 10  # g reads the large company divided by this
LATENCY = 0.1
BUCKETS = dict(PERSONIO_LIKE_RATE_LIMITS)  # stream -> (requests per second, burst)
# Personio's documented default order of attendance periods (contract §3), not the emulator's faster
# updated_at order: the order decides how often the connector's cursor sees a new maximum.
PERSONIO_ATTENDANCE_ORDER = "person.id,start.date_time,end.date_time"
CHANGED_SHARE = 0.01
MEMORY_FACTORS = (4, 16)
A_ROUNDS = 2
KILL_SHARE = 0.5  # r kills the first sync once its slowest endpoint served this share of its fewest requests
RESUME_WINDOWS = 2  # r: records read by both syncs may be at most this many times one window's records

# What a and e raise through the config (a user with a larger quota can): the client-side request ceilings.
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
        self.repeats = None  # r: (seconds until the kill, {stream: (read again, allowed, largest window, windows)})
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
        argv = [sys.executable, "-m", "tools.reference_reader",
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
        elif not label.startswith("r "):  # r's first sync is killed half-way through its windows
            result.window_problems, _ = check_windows(emu, expected)
        if run.killed and run.ok:
            status = "killed on purpose"
        else:
            status = "ok" if run.ok else f"FAILED (exit {run.exit_code}) {run.errors[:2]} {run.stderr[-300:]}"
        print(f"  {run.label:<24} {run.wall:6.1f} s  {run.total_records:>8} records  {run.total_requests:>6} "
              f"requests  {status}", file=sys.stderr, flush=True)
        return result

    # -- scenarios -----------------------------------------------------------------------------------------

    def run(self, scenarios: str) -> None:
        started = time.monotonic()
        if "a" in scenarios or "e" in scenarios:  # e compares its peaks with a's
            print(f"generating the large company ({self.sizes}) …", file=sys.stderr, flush=True)
            with self.emulator(self.sizes) as large:
                self.scenario_a(large)
        side_by_side = [getattr(self, f"scenario_{name}") for name in "escgrf" if name in scenarios]
        if "d" in scenarios and "c" not in scenarios:
            side_by_side.append(self.scenario_c)
        threads = [threading.Thread(target=self._guarded, args=(job, scenarios)) for job in side_by_side]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.total_seconds = time.monotonic() - started

    def _guarded(self, job, scenarios: str) -> None:
        try:
            job(scenarios)
        except Exception as error:  # one scenario's crash must not hide the others' figures
            self.note(f"{job.__name__} crashed: {error!r}")

    def scenario_a(self, emu: Emulator, scenarios: str = "a") -> None:
        """Two rounds of the same full refresh by each program, alternating; the round with less CPU per record
        counts for each (CPU time on a shared 2-core machine varies by a third from run to run)."""
        config = default_config(emu, **FAST_CONFIG)
        rounds = {"connector": [], "reference": []}
        for _ in range(A_ROUNDS):
            rounds["connector"].append(self.connector("a connector", emu, config))
            rounds["reference"].append(self.reference("a reference", emu, config))
        for program, runs in rounds.items():
            per_record = [r.run.cpu / max(1, r.run.total_records) * 1e6 for r in runs]
            self.add(runs[per_record.index(min(per_record))])
            self.note(f"a: {program} CPU per record in each round: {', '.join(f'{v:.0f}' for v in per_record)} µs; "
                      f"the lowest counts.")

    def scenario_s(self, scenarios: str) -> None:
        with self.limited(self.emulator(SPARSE_SIZES, data_start=SPARSE_START)) as emu:
            self.add(self.connector("s connector", emu, default_config(emu), sync_mode="incremental"))

    def scenario_c(self, scenarios: str) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            c = self.connector("c connector", emu, default_config(emu), sync_mode="incremental")
            if "c" in scenarios:
                self.add(c)
            if "d" in scenarios:
                changed = {s: set(emu.company.update(s, fraction=CHANGED_SHARE)) for s in STREAMS}
                time.sleep(1.1)  # the changes are stamped "now": let the connector's now be past them
                d = self.connector("d connector", emu, default_config(emu), sync_mode="incremental",
                                   states=c.run.states, keep_ids=True)
                missing = sum(len(ids - d.run.ids.get(s, set())) for s, ids in changed.items())
                self.note(f"d: {sum(len(v) for v in changed.values())} records changed "
                          f"({', '.join(f'{len(v)} {SHORT[s]}' for s, v in changed.items())}); "
                          f"{missing} of them missing from d's output.")
                if missing:
                    d.run.errors.append(f"{missing} changed records not read")
                self.add(d)

    def scenario_g(self, scenarios: str) -> None:
        with self.limited(self.emulator({s: n // EVERY_STREAM_SHARE for s, n in self.sizes.items()})) as emu:
            g = self.connector("g connector", emu, default_config(emu), streams=EVERY_STREAM)
            missing = [s for s in EVERY_STREAM if not g.run.records.get(s)]
            if missing:
                g.run.errors.append(f"no records from {', '.join(missing)}")
            self.add(g)

    def scenario_r(self, scenarios: str) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            config = {**default_config(emu), **self.extra}  # the windows the runs below will use
            expected = minimum(emu, config, datetime.now(timezone.utc))
            slowest = max(STREAMS, key=lambda s: expected.pages[s] / BUCKETS[s][0])
            half = KILL_SHARE * expected.pages[slowest]

            def half_way() -> bool:  # the slowest endpoint has served half of its pages
                return emu.stats.requests.get(slowest, 0) >= half

            first = self.add(self.connector("r connector killed", emu, config, sync_mode="incremental",
                                            keep_ids=True, stop_when=half_way))
            second = self.add(self.connector("r connector resumed", emu, config, sync_mode="incremental",
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

    def scenario_f(self, scenarios: str) -> None:
        with self.limited(self.emulator(self.sizes)) as emu:
            config = default_config(emu)
            f = self.connector("f connector", emu, config, keep_ids=True, streams=(EMPLOYMENTS,))
            _, wanted = employments_minimum(emu, config)
            missing = len(wanted - f.run.ids.get(EMPLOYMENTS, set()))
            if missing:
                f.run.errors.append(f"{missing} employments not read")
            self.add(f)

    def scenario_e(self, scenarios: str) -> None:
        for factor in MEMORY_FACTORS:
            print(f"generating the company at {factor}x …", file=sys.stderr, flush=True)
            # the emulator's own updated_at order: no sorted view of a million records to build in this process,
            # beside the scenarios that time their requests; the order does not change what memory holds
            with self.emulator({s: n * factor for s, n in self.sizes.items()}, prerender=False,
                               attendance_default_sort=None) as big:
                self.add(self.connector(f"e connector {factor}x", big, default_config(big, **FAST_CONFIG)))


# -- the report ------------------------------------------------------------------------------------------

def _by(results: List[Result], label: str) -> Optional[Result]:
    for result in results:
        if result.run.label == label:
            return result
    return None


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def bound_of(result: Result) -> Tuple[float, str]:
    """Seconds the slowest endpoint needs at its bucket's rate for the fewest requests, and which one it is."""
    pages = result.endpoint_minimum or {s: result.minimum.pages[s] for s in result.streams if s in result.minimum.pages}
    seconds = {endpoint: n / BUCKETS[endpoint][0] for endpoint, n in pages.items()}
    slowest = max(seconds, key=seconds.get)
    return seconds[slowest], slowest


def report(bench: Bench) -> Tuple[str, bool]:
    results = sorted(bench.results, key=lambda r: "ascdgrfe".index(r.scenario[0]) if r.scenario[0] in "ascdgrfe" else 9)
    lines = []
    head = (f"{'run':<22}{'records':>9}{'requests':>10}{'429':>5}{'minimum':>9}{'no-win':>8}{'wall s':>8}"
            f"{'rec/s':>8}{'CPU µs/rec':>11}{'peak MB':>9}")
    lines.append(head)
    lines.append("-" * len(head))
    for result in results:
        run = result.run
        if result.endpoint_minimum:
            least, flat = sum(result.endpoint_minimum.values()), ""
        elif result.minimum is not None:
            least, flat = result.minimum.total, result.minimum.flat_total
        else:
            least, flat = "", ""
        rate = run.total_records / run.wall if run.wall else 0
        cpu_us = run.cpu / run.total_records * 1e6 if run.total_records else 0
        lines.append(f"{run.label:<22}{run.total_records:>9}{run.total_requests:>10}{run.throttled:>5}{least:>9}"
                     f"{flat:>8}{run.wall:>8.1f}{rate:>8.0f}{cpu_us:>11.0f}{run.peak_mb:>9.0f}")

    targets = []  # (run, what, measured, limit text, ok)

    s = _by(results, "s connector")
    if s:
        m = s.minimum
        ratio = s.run.total_requests / m.flat_total
        targets.append(("1 s connector", "requests / unwindowed minimum", f"{s.run.total_requests}/{m.flat_total} = "
                        f"{ratio:.2f}x", f"<= {TARGET_SPARSE}x", ratio <= TARGET_SPARSE))
    for result in results:
        if result.run.label in ("s connector", "c connector", "d connector", "a connector"):
            m = result.minimum
            ratio = result.run.total_requests / m.total
            targets.append((f"1 {result.run.label}", "requests / windowed minimum", f"{result.run.total_requests}/"
                            f"{m.total} = {ratio:.3f}x", f"<= {TARGET_REQUESTS}x", ratio <= TARGET_REQUESTS))
    for label in ("c connector", "g connector"):
        result = _by(results, label)
        if result:
            bound, slowest = bound_of(result)
            ratio = result.run.wall / bound
            targets.append((f"2 {label}", f"wall / bound of {slowest}", f"{result.run.wall:.1f}/{bound:.1f} s = "
                            f"{ratio:.2f}x", f"<= {TARGET_BOUND}x", ratio <= TARGET_BOUND))
            share = result.run.throttled / max(1, result.run.total_requests)
            targets.append((f"2 {label}", "429 answers", f"{result.run.throttled}/{result.run.total_requests} = "
                            f"{share:.2%}", f"<= {TARGET_429:.0%}", share <= TARGET_429))
    g = _by(results, "g connector")
    if g:
        asked = sum(v for k, v in g.run.requests.items() if k != "token")
        least = sum(g.endpoint_minimum.values())
        ratio = asked / least
        targets.append(("1 g connector", "data requests / minimum", f"{asked}/{least} = {ratio:.3f}x",
                        f"<= {TARGET_REQUESTS}x", ratio <= TARGET_REQUESTS))
        read = sum(1 for name in EVERY_STREAM if g.run.records.get(name))
        targets.append(("2 g connector", "streams with records", f"{read}/{len(EVERY_STREAM)}",
                        f"{len(EVERY_STREAM)}", read == len(EVERY_STREAM)))
    a, ref = _by(results, "a connector"), _by(results, "a reference")
    if a and ref:
        mine = a.run.cpu / a.run.total_records * 1e6
        theirs = ref.run.cpu / ref.run.total_records * 1e6
        targets.append(("3 a connector", "CPU µs per record / reference's", f"{mine:.0f}/{theirs:.0f} = "
                        f"{mine / theirs:.1f}x", f"<= {TARGET_CPU:.0f}x", mine / theirs <= TARGET_CPU))
    peaks = {1: a.run.peak_mb if a else None}
    for factor in MEMORY_FACTORS:
        e = _by(results, f"e connector {factor}x")
        peaks[factor] = e.run.peak_mb if e else None
    if peaks[MEMORY_FACTORS[0]] and peaks[MEMORY_FACTORS[1]]:
        ratio = peaks[MEMORY_FACTORS[1]] / peaks[MEMORY_FACTORS[0]]
        shown = ", ".join(f"{k}x {v:.0f} MB" for k, v in peaks.items() if v)
        targets.append(("4 e connector", f"peak RSS {MEMORY_FACTORS[1]}x / {MEMORY_FACTORS[0]}x", f"{ratio:.2f}x "
                        f"({shown})", f"<= {TARGET_MEMORY}x", ratio <= TARGET_MEMORY))
    repeats = bench.repeats
    if repeats:
        kill_after, per_stream = repeats
        for stream, (again, allowed, one_window, count, lost, (before, after)) in per_stream.items():
            targets.append((f"5 r {SHORT[stream]}", "records read twice across a kill; lost",
                            f"{again} (largest of {count} windows: {one_window}); lost {lost}; requests "
                            f"{before} + {after}", f"<= {allowed} ({RESUME_WINDOWS}x one window); 0 lost",
                            again <= allowed and lost == 0))
    for result in results:
        if not result.run.ok:
            targets.append((result.run.label, "run succeeded", f"exit {result.run.exit_code} {result.run.errors[:1]}",
                            "exit 0, no error", False))
        if result.window_problems:
            targets.append((result.run.label, "windows as assumed", "; ".join(result.window_problems)[:120],
                            "same as the minimum's", False))
    if not bench.args.quick and set(bench.args.scenarios) >= set("acdegrs"):
        targets.append(("6 make benchmark", "whole run", f"{bench.total_seconds:.0f} s", f"<= {TARGET_SECONDS} s",
                        bench.total_seconds <= TARGET_SECONDS))

    lines.append("")
    widths = [max([len("target")] + [len(t[0] + ": " + t[1]) for t in targets]) + 2,
              max([len("measured")] + [len(t[2]) for t in targets]) + 2,
              max([len("limit")] + [len(t[3]) for t in targets]) + 2]
    lines.append(f"{'target':<{widths[0]}}{'measured':<{widths[1]}}{'limit':<{widths[2]}}verdict")
    for label, what, measured, limit, ok in targets:
        lines.append(f"{label + ': ' + what:<{widths[0]}}{measured:<{widths[1]}}{limit:<{widths[2]}}{verdict(ok)}")

    lines.append("")
    lines.append("notes")
    lines.append(f"- command: {' '.join(bench.command)}; seed {bench.args.seed}; large company "
                 f"{'/'.join(str(bench.sizes[s]) for s in STREAMS)} persons/absences/attendances"
                 f"{' (--quick)' if bench.args.quick else ''}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}.")
    for result in results:
        shown = {k: v for k, v in result.config.items() if k not in ("client_id", "client_secret", "api_url")}
        met = result.emulator_settings
        buckets = "Personio-like (30/s persons, 10/s others)" if met.get("rate_limits") == BUCKETS else (
            "none" if not met.get("rate_limits") else str(met.get("rate_limits")))
        company = "/".join(str(met["company"][s]) for s in STREAMS)
        since = f", updated since {met['data_start']:%Y-%m-%d}" if met.get("data_start") else ""
        lines.append(f"- {result.run.label}: {len(result.streams)} streams, company {company}{since}; config "
                     f"{json.dumps(shown, sort_keys=True)} (every other key at the manifest's default); latency "
                     f"{1000 * met.get('latency_seconds', 0):.0f} ms, buckets {buckets}.")
    for result in results:
        if result.endpoint_minimum:
            parts = ", ".join(f"{k} {v}/{result.run.requests.get(k, 0)}" for k, v in
                              sorted(result.endpoint_minimum.items(), key=lambda kv: -kv[1]) if v > 2)
            lines.append(f"- {result.run.label}: fewest/made requests per endpoint: {parts}; token calls "
                         f"{result.run.requests.get('token', 0)}; records per stream: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(result.run.records.items())) + ".")
        elif result.minimum is not None and result.minimum.windows:
            m = result.minimum
            lines.append(f"- {result.run.label}: windows " + ", ".join(f"{SHORT[s]} {len(m.windows[s])}" for s in STREAMS)
                         + "; fewest requests windowed/unwindowed " + ", ".join(
                             f"{SHORT[s]} {m.pages[s]}/{m.flat_pages[s]}" for s in STREAMS)
                         + f", tokens {m.tokens}; made " + ", ".join(
                             f"{k} {v}" for k, v in sorted(result.run.requests.items())) + ".")
    if repeats:
        lines.append(f"- r: the first sync was killed {repeats[0]:.0f} s after launch; 'read twice' counts ids read by "
                     f"both syncs (the killed one and the one resumed from its last state messages), 'lost' the "
                     f"emulator's ids read by neither, 'requests' the killed sync's plus the resumed one's per "
                     f"endpoint; the limit is {RESUME_WINDOWS}x the largest window's records.")
    if a and ref:
        lines.append(f"- a: connector {a.run.cpu:.1f} CPU s for {a.run.total_records} records, reference reader "
                     f"{ref.run.cpu:.1f} CPU s for {ref.run.total_records} (same windows, filters and output).")
    lines.append("- minimum = fewest requests with the connector's windows, one token call for the sync; no-win = "
                 "ceil(records / largest page size) per endpoint plus the one token call. CPU and peak MB come "
                 "from the program's own rusage. The bound of a run is its slowest endpoint's fewest requests over "
                 "that endpoint's bucket rate.")
    lines.extend(f"- {note}" for note in bench.notes)
    if bench.extra:
        lines.append(f"- EXPERIMENT: --set {bench.extra} was added to every config; nothing ran the defaults.")
    if bench.args.quick:
        lines.append("- --quick is a smoke run: the connector's ~3 s start-up weighs on the bounds, so the verdicts "
                     "only mean something in the full run.")
    lines.append(f"- whole benchmark: {bench.total_seconds:.0f} s.")
    return "\n".join(lines), all(t[4] for t in targets)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (smoke run)")
    parser.add_argument("--scenarios", default="acdegrs", help="any of a,c,d,e,f,g,r,s (default: all but f)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", help="run `source-declarative-manifest` on this manifest instead of the "
                                           "installed source-personio (to try a manifest change)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="add to every connector config (experiments only: nothing then runs the defaults)")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    args.scenarios = args.scenarios.replace(",", "")
    unknown = sorted(set(args.scenarios) - set("acdefgrs"))
    if unknown or not args.scenarios:
        parser.error(f"--scenarios takes letters of a,c,d,e,f,g,r,s, not {''.join(unknown) or 'nothing'}")
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
                        "endpoint_minimum": r.endpoint_minimum or None,
                        "config": {k: v for k, v in r.config.items() if k not in ("client_id", "client_secret")},
                        "exit_code": r.run.exit_code, "errors": r.run.errors} for r in bench.results], out, indent=1)
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
