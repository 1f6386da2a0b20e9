"""`make benchmark`: how close source-personio's first syncs sit to Personio's rate limits, and what they cost in
requests, CPU and memory, against the bundled emulator. Every performance target is printed with its verdict.

    python -m tools.benchmark                  # the full run (< 15 minutes on 2 cores)
    python -m tools.benchmark --quick          # a tenth of the data, a smoke run (a few minutes)
    python -m tools.benchmark --scenarios sparse-history,first-sync      # some scenarios alone
    python -m tools.benchmark --scenarios cpu --manifest /tmp/copy/manifest.yaml   # try a manifest copy
    python -m tools.benchmark --list           # every scenario and what it measures
    python -m tools.benchmark.cpu_profile      # where the connector's CPU goes (py-spy), by category

Not a test: it starts emulators with seeded companies on 127.0.0.1, runs the installed `source-personio read`
(or `tools.benchmark.reference_reader`) as a subprocess per run, and prints one table. The large company is
1,000 persons, 10,000 absence periods and 100,000 attendance periods, updated between 2021 and yesterday. Every
scenario but cpu and memory runs the connector's DEFAULT config (no start date, window size, worker count or rate
set) against the emulator's Personio-like buckets (30 requests/s on persons, 10/s on every other endpoint, burst
one second's worth, no Retry-After) with 100 ms latency per request:

  sparse-history  300 persons, 1,000 absences, 3,000 attendances updated 2016-2026. Requests against the
                  unwindowed minimum (pages at the largest page size plus the one token call of the sync).
  first-sync      the large company's first sync of persons, absences and attendances: wall time against the
                  bound of the slowest endpoint (its fewest requests / its bucket's rate), and 429 answers.
  after-changes   an incremental sync from first-sync's state after 1 % of every stream's records changed: every
                  change read.
  every-stream    every stream on a tenth of the large company: wall time against the slowest endpoint's bound
                  (absence breakdowns, one request per absence), 429 answers, every stream read. The large
                  company's breakdowns alone take 1,000 s at 10/s, more than this whole benchmark may.
  resume          first-sync killed at half its bound, then resumed from the last state messages: records read
                  twice per stream against twice one window's records, records lost (none may be), requests of
                  both syncs.
  cpu             CPU per record of a full refresh of the large company (no latency, no buckets, request ceilings
                  raised in the config as a user can) against the hand-written reference reader on the same
                  emulator.
  memory          peak memory of cpu's read at 4x and 16x the large company, against each other and cpu's (1x).
  employments     (not in the default run) employments of the large company alone.

Timing: cpu runs first, alone (it measures CPU); then the others run side by side: all but memory wait on
buckets and latency rather than CPU, and memory measures memory, which sharing the machine does not change.
Both programs write their Airbyte messages into a pipe this process counts line by line, so they pay the same
output cost.

Where things are: `scenarios.py` (the scenarios; tools/sync_runner.py runs each program and measures its CPU and peak memory),
`report.py` (the tables), `minimum.py` (the fewest requests each run could make), `reference_reader.py` (the yardstick), `cpu_profile.py` (py-spy).
"""
import argparse
import json
import sys
from typing import Optional, Sequence

from tools.benchmark.report import report
from tools.benchmark.scenarios import DEFAULT_SCENARIOS, SCENARIOS, Bench


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.benchmark", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the data (smoke run)")
    parser.add_argument("--scenarios", default=",".join(DEFAULT_SCENARIOS),
                        help=f"comma-separated, any of {', '.join(SCENARIOS)} (default: all but employments)")
    parser.add_argument("--list", action="store_true", help="list the scenarios and what each measures, and exit")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--manifest", help="run `source-declarative-manifest` on this manifest instead of the "
                                           "installed source-personio (to try a manifest change)")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="add to every connector config (experiments only: nothing then runs the defaults)")
    parser.add_argument("--json", help="also write the measurements to this file")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target fails")
    args = parser.parse_args(argv)
    if args.list:
        width = max(map(len, SCENARIOS))
        print("\n".join(f"{name:<{width}}  {measures}" for name, measures in SCENARIOS.items()))
        return 0
    wanted = [name.strip() for name in args.scenarios.split(",") if name.strip()]
    unknown = [name for name in wanted if name not in SCENARIOS]
    if unknown or not wanted:
        parser.error(f"--scenarios takes names of {', '.join(SCENARIOS)}, not {', '.join(unknown) or 'nothing'}")
    bench = Bench(args)
    bench.run(wanted)
    text, passed = report(bench)
    print(text)
    if args.json:
        with open(args.json, "w") as out:
            json.dump([{"label": r.label, "records": r.records, "requests": r.requests,
                        "throttled": r.throttled, "wall": r.wall, "cpu": r.cpu, "peak_mb": r.peak_mb,
                        "minimum": r.minimum.total if r.minimum else None,
                        "endpoint_minimum": r.endpoint_minimum or None,
                        "config": {k: v for k, v in r.config.items() if k not in ("client_id", "client_secret")},
                        "exit_code": r.run.exit_code, "errors": r.errors} for r in bench.results], out, indent=1)
    return 1 if args.strict and not passed else 0


if __name__ == "__main__":
    sys.exit(main())
