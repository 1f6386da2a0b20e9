"""The benchmark's report: one table of runs, one of targets with their verdicts, and notes on what each run met."""
import json
import os
from typing import List, Optional, Tuple

from tools.benchmark.scenarios import (BUCKETS, DEFAULT_SCENARIOS, EVERY_STREAM, MEMORY_FACTORS, RESUME_WINDOWS,
                                       STREAMS, TARGET_429, TARGET_BOUND, TARGET_CPU, TARGET_MEMORY, TARGET_REQUESTS,
                                       TARGET_SECONDS, TARGET_SPARSE, Bench, Result)

# The order of the runs in the table.
REPORT_ORDER = ("cpu", "sparse-history", "first-sync", "after-changes", "every-stream", "resume", "employments", "memory")

def _by(results: List[Result], label: str) -> Optional[Result]:
    for result in results:
        if result.label == label:
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
    order = list(REPORT_ORDER)
    results = sorted(bench.results, key=lambda r: order.index(r.scenario) if r.scenario in order else len(order))
    lines = []
    head = (f"{'run':<22}{'records':>9}{'requests':>10}{'429':>5}{'minimum':>9}{'no-win':>8}{'wall s':>8}"
            f"{'rec/s':>8}{'CPU µs/rec':>11}{'peak MB':>9}")
    lines.append(head)
    lines.append("-" * len(head))
    for result in results:
        run = result
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

    sparse = _by(results, "sparse-history")
    if sparse:
        m = sparse.minimum
        ratio = sparse.total_requests / m.flat_total
        targets.append(("1 sparse-history", "requests / unwindowed minimum", f"{sparse.total_requests}/{m.flat_total} = "
                        f"{ratio:.2f}x", f"<= {TARGET_SPARSE}x", ratio <= TARGET_SPARSE))
    for result in results:
        if result.label in ("sparse-history", "first-sync", "after-changes", "cpu connector"):
            m = result.minimum
            ratio = result.total_requests / m.total
            targets.append((f"1 {result.label}", "requests / windowed minimum", f"{result.total_requests}/"
                            f"{m.total} = {ratio:.3f}x", f"<= {TARGET_REQUESTS}x", ratio <= TARGET_REQUESTS))
    for label in ("first-sync", "every-stream"):
        result = _by(results, label)
        if result:
            bound, slowest = bound_of(result)
            ratio = result.wall / bound
            targets.append((f"2 {label}", f"wall / bound of {slowest}", f"{result.wall:.1f}/{bound:.1f} s = "
                            f"{ratio:.2f}x", f"<= {TARGET_BOUND}x", ratio <= TARGET_BOUND))
            share = result.throttled / max(1, result.total_requests)
            targets.append((f"2 {label}", "429 answers", f"{result.throttled}/{result.total_requests} = "
                            f"{share:.2%}", f"<= {TARGET_429:.0%}", share <= TARGET_429))
    every = _by(results, "every-stream")
    if every:
        asked = sum(v for k, v in every.requests.items() if k != "token")
        least = sum(every.endpoint_minimum.values())
        ratio = asked / least
        targets.append(("1 every-stream", "data requests / minimum", f"{asked}/{least} = {ratio:.3f}x",
                        f"<= {TARGET_REQUESTS}x", ratio <= TARGET_REQUESTS))
        read = sum(1 for name in EVERY_STREAM if every.records.get(name))
        targets.append(("2 every-stream", "streams with records", f"{read}/{len(EVERY_STREAM)}",
                        f"{len(EVERY_STREAM)}", read == len(EVERY_STREAM)))
    a, ref = _by(results, "cpu connector"), _by(results, "cpu reference")
    if a and ref:
        mine = a.cpu / a.total_records * 1e6
        theirs = ref.cpu / ref.total_records * 1e6
        targets.append(("3 cpu", "CPU µs per record / reference's", f"{mine:.0f}/{theirs:.0f} = "
                        f"{mine / theirs:.1f}x", f"<= {TARGET_CPU:.0f}x", mine / theirs <= TARGET_CPU))
    peaks = {1: a.peak_mb if a else None}
    for factor in MEMORY_FACTORS:
        big = _by(results, f"memory {factor}x")
        peaks[factor] = big.peak_mb if big else None
    if peaks[MEMORY_FACTORS[0]] and peaks[MEMORY_FACTORS[1]]:
        ratio = peaks[MEMORY_FACTORS[1]] / peaks[MEMORY_FACTORS[0]]
        shown = ", ".join(f"{k}x {v:.0f} MB" for k, v in peaks.items() if v)
        targets.append(("4 memory", f"peak RSS {MEMORY_FACTORS[1]}x / {MEMORY_FACTORS[0]}x", f"{ratio:.2f}x "
                        f"({shown})", f"<= {TARGET_MEMORY}x", ratio <= TARGET_MEMORY))
    repeats = bench.repeats
    if repeats:
        kill_after, per_stream = repeats
        for stream, (again, allowed, one_window, count, lost, (before, after)) in per_stream.items():
            targets.append((f"5 resume {stream}", "records read twice across a kill; lost",
                            f"{again} (largest of {count} windows: {one_window}); lost {lost}; requests "
                            f"{before} + {after}", f"<= {allowed} ({RESUME_WINDOWS}x one window); 0 lost",
                            again <= allowed and lost == 0))
    for result in results:
        if not result.ok:
            targets.append((result.label, "run succeeded", f"exit {result.exit_code} {result.errors[:1]}",
                            "exit 0, no error", False))
        if result.window_problems:
            targets.append((result.label, "windows as assumed", "; ".join(result.window_problems)[:120],
                            "same as the minimum's", False))
    if not bench.args.quick and set(bench.wanted) >= set(DEFAULT_SCENARIOS):
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
    lines.append(f"- command: {bench.command_line}; seed {bench.args.seed}; large company "
                 f"{'/'.join(str(bench.sizes[s]) for s in STREAMS)} {'/'.join(STREAMS)}"
                 f"{' (--quick)' if bench.args.quick else ''}; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}.")
    for result in results:
        shown = {k: v for k, v in result.config.items() if k not in ("client_id", "client_secret", "api_url")}
        met = result.emulator_settings
        buckets = "Personio-like (30/s persons, 10/s others)" if met.get("rate_limits") == BUCKETS else (
            "none" if not met.get("rate_limits") else str(met.get("rate_limits")))
        company = "/".join(str(met["company"][s]) for s in STREAMS)
        since = f", updated since {met['data_start']:%Y-%m-%d}" if met.get("data_start") else ""
        lines.append(f"- {result.label}: {len(result.streams)} streams, company {company}{since}; config "
                     f"{json.dumps(shown, sort_keys=True)} (every other key at the manifest's default); latency "
                     f"{1000 * met.get('latency_seconds', 0):.0f} ms, buckets {buckets}.")
    for result in results:
        if result.endpoint_minimum:
            parts = ", ".join(f"{k} {v}/{result.requests.get(k, 0)}" for k, v in
                              sorted(result.endpoint_minimum.items(), key=lambda kv: -kv[1]) if v > 2)
            lines.append(f"- {result.label}: fewest/made requests per endpoint: {parts}; token calls "
                         f"{result.requests.get('token', 0)}; records per stream: "
                         + ", ".join(f"{k} {v}" for k, v in sorted(result.records.items())) + ".")
        elif result.minimum is not None and result.minimum.windows:
            m = result.minimum
            lines.append(f"- {result.label}: windows " + ", ".join(f"{s} {len(m.windows[s])}" for s in STREAMS)
                         + "; fewest requests windowed/unwindowed " + ", ".join(
                             f"{s} {m.pages[s]}/{m.flat_pages[s]}" for s in STREAMS)
                         + f", tokens {m.tokens}; made " + ", ".join(
                             f"{k} {v}" for k, v in sorted(result.requests.items())) + ".")
    if repeats:
        lines.append(f"- resume: the first sync was killed {repeats[0]:.0f} s after launch; 'read twice' counts ids read by "
                     f"both syncs (the killed one and the one resumed from its last state messages), 'lost' the "
                     f"emulator's ids read by neither, 'requests' the killed sync's plus the resumed one's per "
                     f"endpoint; the limit is {RESUME_WINDOWS}x the largest window's records.")
    if a and ref:
        lines.append(f"- cpu: connector {a.cpu:.1f} CPU s for {a.total_records} records, reference reader "
                     f"{ref.cpu:.1f} CPU s for {ref.total_records} (same windows, filters and output).")
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
