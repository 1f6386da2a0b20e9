"""The fault suite of source-personio, as a table: `make faults` or `python -m tools.fault_suite`.

Runs the installed `source-personio` against the emulator under every row of tools/fault_suite/scenarios/
(throttling, server errors, resets, timeouts, token trouble, hostile responses, link writings, loops), the
interruption trials (kill at a seeded random line, resume from the last state), bad configs and the secret
checks, and prints one row each: fault, outcome, records lost, records duplicated, whether a secret was seen,
time. Problems follow the table; the exit status is 1 if there are any.

Everything runs in real time: a persistent fault costs one request's backoff (36 s) before the read stops,
the silent server six 20 s read timeouts on top, and the two outages then resume in a second sync; the link
and loop rows take 20 to 50 s each (a looping sync is killed at 150 s): expect about six minutes.
--sleep-scale N compresses the persistent faults' backoff sleeps N times inside the connector process and
estimates their real time instead.
"""
import argparse
import sys
import time

from tools.fault_suite.settings import RETRY_BUDGET_SECONDS
from tools.fault_suite.suite import Suite
from tools.fault_suite.table import table


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.fault_suite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", metavar="TEXT", help="run only rows whose name contains TEXT")
    parser.add_argument("--trials", type=int, default=20,
                        help="interruption trials, each at the default settings (default 20)")
    parser.add_argument("--seed", type=int, default=20_241_125, help="seed of the kill points")
    parser.add_argument("--workers", type=int, default=6, help="rows run at once (default 6)")
    parser.add_argument("--sleep-scale", type=float, default=1,
                        help="compress the backoff sleeps of persistent faults this many times (default 1: real time)")
    args = parser.parse_args(argv)

    only = (lambda name: args.only.lower() in name.lower()) if args.only else None
    scale = args.sleep_scale
    suite = Suite(sleep_scale=scale, trials=args.trials, seed=args.seed, workers=args.workers, only=only)
    if not suite.jobs:
        parser.error(f"no row matches {args.only!r}")
    started = time.monotonic()
    print(f"source-personio fault suite: {len(suite.jobs)} rows, {args.workers} at a time"
          + (f"; persistent faults' sleeps compressed x{scale:g}" if scale != 1 else "; real time"), flush=True)
    suite.start()
    outcomes = []
    for outcome in suite.outcomes():
        outcomes.append(outcome)
        print(f"  done: {outcome.name} ({'ok' if outcome.ok else 'PROBLEM'})", file=sys.stderr, flush=True)
    suite.shutdown()
    print()
    for line in table(outcomes):
        print(line)
    problems = [o for o in outcomes if not o.ok]
    print()
    print(f"{len(outcomes)} rows, {len(problems)} with problems, in {time.monotonic() - started:.0f} s "
          f"(one request's full backoff is {RETRY_BUDGET_SECONDS} s).")
    for outcome in problems:
        print(f"\nPROBLEM {outcome.name} ({outcome.fault}):")
        for problem in outcome.problems:
            print(f"  - {problem}")
    notes = [o for o in outcomes if o.notes]
    for outcome in notes:
        print(f"note {outcome.name}: {'; '.join(outcome.notes)}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
