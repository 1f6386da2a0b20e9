"""`make demo`: sync Personio with the installed source-personio command, once in full and once incrementally.

Without credentials in the environment the demo starts the bundled Personio emulator with a seeded company,
runs spec, check and discover, reads all three streams (incremental sync mode, no state), changes some
records through the emulator (updates about 1 %, creates and deletes a few), and reads again from the saved
state. With PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET set it does the same against that Personio
account, without changing anything there.
"""
import argparse
import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from tools.sync_runner import RunResult, SourceRunner, configured_catalog, redacted

STREAMS = ("persons", "absence_periods", "attendance_periods")
ENV_CLIENT_ID = "PERSONIO_CLIENT_ID"
ENV_CLIENT_SECRET = "PERSONIO_CLIENT_SECRET"
ENV_START_DATE = "PERSONIO_START_DATE"
ENV_API_URL = "PERSONIO_API_URL"

EPILOG = f"""\
credentials (environment):
  {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET}   sync that Personio account instead of the emulator (read only)
  {ENV_START_DATE}   optional, e.g. 2024-01-01T00:00:00Z; default: the connector's (whole history)
  {ENV_API_URL}      optional, default https://api.personio.de

written to the output directory:
  <stream>.jsonl                the full read's records, one JSON object per line
  incremental/<stream>.jsonl    the incremental read's records
  state_after_full_read.json    the state the incremental read started from
  state.json                    the final state (input for a next `read --state`)
  catalog.json, config.json     the configured catalog and the config used (without the client secret)

Exit status 0 when every step succeeded (and, against the emulator, the incremental read returned fewer
records than the full read and every changed record); 1 otherwise.
"""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo",
        description="Run source-personio end to end: spec, check, discover, a full read, then an incremental "
                    "read from the saved state. Uses the bundled Personio emulator unless Personio credentials "
                    "are set in the environment.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output", type=Path, default=Path("output"), metavar="DIR",
                        help="where records, state, catalog and config go (default: ./output)")
    parser.add_argument("--emulator", action="store_true",
                        help="use the emulator even when Personio credentials are set")
    company = parser.add_argument_group("emulated company (ignored with real credentials)")
    company.add_argument("--seed", type=int, default=1)
    company.add_argument("--persons", type=int, default=200)
    company.add_argument("--absence-periods", type=int, default=2_000)
    company.add_argument("--attendance-periods", type=int, default=20_000)
    company.add_argument("--update-fraction", type=float, default=0.01,
                         help="share of each stream's records changed between the reads (default 0.01)")
    company.add_argument("--create", type=int, default=3, metavar="N", help="records created per stream (default 3)")
    company.add_argument("--delete", type=int, default=2, metavar="N", help="records deleted per stream (default 2)")
    return parser.parse_args(argv)


# -- output ------------------------------------------------------------------------------------


class Printer:
    """Prints progress; masks every secret it was told about, whatever text it is handed."""

    def __init__(self, secrets: Sequence[str] = ()):
        self.secrets = [s for s in secrets if s]

    def mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def __call__(self, text: str = "") -> None:
        print(self.mask(text), flush=True)


def write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2) + "\n")


def cursor_values(state: Mapping[str, Any]) -> Dict[str, Optional[str]]:
    return {stream: (value or {}).get("updated_at") if isinstance(value, Mapping) else value
            for stream, value in state.items()}


@dataclass
class Changes:
    """What the demo changes in the emulator between the two reads."""

    update_fraction: float = 0.01
    create: int = 3
    delete: int = 2
    seed: int = 1


# -- the steps -----------------------------------------------------------------------------------


class Demo:
    def __init__(self, runner: SourceRunner, config: Dict[str, Any], output: Path, say: Printer,
                 emulator=None, changes: Optional[Changes] = None):
        self.runner = runner
        self.changes = changes or Changes()
        self.config = config
        self.output = output
        self.say = say
        self.emulator = emulator
        self.reads: List[Dict[str, Any]] = []  # one summary per read

    def failed(self, step: str, result: RunResult) -> int:
        self.say(f"{step} failed (exit code {result.exit_code}):")
        for message in result.error_messages or [result.stderr.strip()[-2000:] or "no error message"]:
            self.say(f"  {message}")
        return 1

    def run(self) -> int:
        spec = self.runner.spec()
        if spec.spec is None:
            return self.failed("spec", spec)
        connection = spec.spec["connectionSpecification"]
        required = connection.get("required", [])
        self.say(f"spec      {len(connection['properties'])} config options, required: {', '.join(required)}"
                 f"  [{spec.seconds:.1f} s]")

        check = self.runner.check(self.config)
        status = (check.connection_status or {}).get("status")
        self.say(f"check     {status}  [{check.seconds:.1f} s]")
        if status != "SUCCEEDED":
            if check.connection_status and check.connection_status.get("message"):
                self.say(f"  {check.connection_status['message']}")
            return self.failed("check", check) if check.errors or status is None else 1

        discover = self.runner.discover(self.config)
        if discover.catalog is None:
            return self.failed("discover", discover)
        self.say(f"discover  [{discover.seconds:.1f} s]")
        for stream in discover.catalog["streams"]:
            self.say(f"  {stream['name']:<20} modes {', '.join(stream['supported_sync_modes'])}; "
                     f"cursor {'.'.join(stream.get('default_cursor_field') or [])}; "
                     f"primary key {', '.join('.'.join(k) for k in stream.get('source_defined_primary_key') or [])}")

        catalog = configured_catalog(discover.catalog, "incremental")
        self.output.mkdir(parents=True, exist_ok=True)
        write_json(self.output / "catalog.json", catalog)
        write_json(self.output / "config.json", redacted(self.config, spec.spec))

        full = self.read("full", catalog, None, self.output)
        if full is None:
            return 1
        write_json(self.output / "state_after_full_read.json", full.final_state)

        changed = self.change_records() if self.emulator is not None else None

        incremental = self.read("incremental", catalog, full.final_state, self.output / "incremental")
        if incremental is None:
            return 1
        final_state = {**full.state_messages, **incremental.state_messages}
        write_json(self.output / "state.json", [message["state"] for message in final_state.values()])
        final_values = cursor_values({**full.states, **incremental.states})

        self.summary(cursor_values(full.states), final_values)
        return self.verify(full, incremental, changed)

    def read(self, label: str, catalog, state, records_dir: Path) -> Optional[RunResult]:
        for stream in STREAMS:  # no stale file from an earlier run survives
            (records_dir / f"{stream}.jsonl").unlink(missing_ok=True)
        before = self.requests()
        result = self.runner.read(self.config, catalog, state=state, records_dir=records_dir)
        after = self.requests()
        for stream in STREAMS:
            (records_dir / f"{stream}.jsonl").touch()
        self.say(f"read      {label}: {result.total_records()} records in {result.seconds:.1f} s")
        if not result.succeeded:
            self.failed(f"{label} read", result)
            return None
        requests = None if before is None else {k: after.get(k, 0) - before.get(k, 0) for k in after}
        self.reads.append({"label": label, "result": result, "requests": requests,
                           "unique": {s: unique_ids(records_dir / f"{s}.jsonl") for s in STREAMS}})
        return result

    def requests(self) -> Optional[Dict[str, int]]:
        return None if self.emulator is None else dict(self.emulator.stats.requests)

    def change_records(self) -> Dict[str, Dict[str, List[str]]]:
        """Update, create and delete records in the emulator; the ids per stream and action."""
        company, args = self.emulator.company, self.changes
        rng = random.Random(f"demo-deletions-{args.seed}")
        changed = {}
        for stream in STREAMS:
            updated = company.update(stream, fraction=args.update_fraction) if args.update_fraction > 0 else []
            created = company.create(stream, count=args.create) if args.create > 0 else []
            untouched = sorted(set(company.ids(stream)) - set(updated) - set(created))
            deleted = rng.sample(untouched, min(args.delete, len(untouched)))
            for record_id in deleted:
                company.delete(stream, record_id)
            changed[stream] = {"updated": updated, "created": created, "deleted": deleted}
            self.say(f"changed   {stream:<20} {len(updated)} updated, {len(created)} created, {len(deleted)} deleted")
        return changed

    def summary(self, started_from: Mapping[str, Optional[str]], final_values: Mapping[str, Optional[str]]) -> None:
        counted = self.emulator is not None
        self.say()
        header = f"{'read':<12} {'stream':<20} {'records':>8} {'unique ids':>10} {'requests':>9} {'done after':>11}"
        self.say(header)
        self.say("-" * len(header))
        for read in self.reads:
            result, requests = read["result"], read["requests"] or {}
            label = read["label"]
            for stream in STREAMS:
                count = result.record_counts.get(stream, 0)
                calls = str(requests.get(stream, 0)) if counted else "-"
                done = result.stream_seconds.get(stream)
                self.say(f"{label:<12} {stream:<20} {count:>8} {read['unique'][stream]:>10} {calls:>9} "
                         f"{(f'{done:.1f} s' if done is not None else '-'):>11}")
            if counted:
                self.say(f"{label:<12} {'token endpoint':<20} {'':>8} {'':>10} {requests.get('token', 0):>9} {'':>11}")
            data_calls = str(sum(requests.get(s, 0) for s in STREAMS)) if counted else "-"
            self.say(f"{label:<12} {'all streams':<20} {result.total_records():>8} {'':>10} {data_calls:>9} "
                     f"{f'{result.seconds:.1f} s':>11}")
        self.say()
        self.say("state (updated_at cursor)   after the full read       final")
        for stream in STREAMS:
            self.say(f"  {stream:<25} {str(started_from.get(stream)):<25} {final_values.get(stream)}")
        self.say()
        self.say(f"'done after' counts from the start of the read's process (about 2 s of it is start-up). "
                 f"Records read twice at window edges share an id.")
        if not counted:
            self.say("Requests are counted only against the emulator.")
        self.say(f"Written to {self.output}/: <stream>.jsonl, incremental/<stream>.jsonl, state.json, "
                 f"state_after_full_read.json, catalog.json, config.json (without the secret).")

    def verify(self, full: RunResult, incremental: RunResult, changed) -> int:
        if changed is None:
            return 0
        problems = []
        if incremental.total_records() >= full.total_records():
            problems.append(f"the incremental read returned {incremental.total_records()} records, "
                            f"not fewer than the full read's {full.total_records()}")
        seen = {s: set(unique_id_list(self.output / "incremental" / f"{s}.jsonl")) for s in STREAMS}
        for stream, ids in changed.items():
            missing = set(ids["updated"]) | set(ids["created"])
            missing -= seen[stream]
            if missing:
                problems.append(f"{stream}: {len(missing)} changed record(s) missing from the incremental read")
        self.say()
        self.say("Deleted records are not reported by an incremental read (Personio lists no deletions); "
                 "a full refresh drops them.")
        for problem in problems:
            self.say(f"PROBLEM: {problem}")
        return 1 if problems else 0


def unique_id_list(path: Path) -> List[str]:
    ids = []
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                ids.append(json.loads(line).get("id"))
    return ids


def unique_ids(path: Path) -> int:
    return len(set(unique_id_list(path)))


# -- entry point ---------------------------------------------------------------------------------


def real_config() -> Optional[Dict[str, Any]]:
    client_id, client_secret = os.environ.get(ENV_CLIENT_ID), os.environ.get(ENV_CLIENT_SECRET)
    if not client_id or not client_secret:
        return None
    config = {"client_id": client_id, "client_secret": client_secret}
    if os.environ.get(ENV_START_DATE):
        config["start_date"] = os.environ[ENV_START_DATE]
    if os.environ.get(ENV_API_URL):
        config["api_url"] = os.environ[ENV_API_URL]
    return config


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    runner = SourceRunner()
    config = None if args.emulator else real_config()
    if config is not None:
        say = Printer([config["client_secret"]])
        say(f"Personio account at {config.get('api_url', 'https://api.personio.de')} "
            f"(client id {config['client_id']}); nothing is changed there.")
        return Demo(runner, config, args.output, say).run()

    from tools.personio_emulator import Emulator, EmulatorSettings

    settings = EmulatorSettings(seed=args.seed, persons=args.persons, absence_periods=args.absence_periods,
                                attendance_periods=args.attendance_periods)
    with Emulator(settings) as emulator:
        say = Printer([emulator.client_secret])
        say(f"No {ENV_CLIENT_ID}/{ENV_CLIENT_SECRET} set: using the Personio emulator at {emulator.url} "
            f"(seed {args.seed}: {args.persons} persons, {args.absence_periods} absence periods, "
            f"{args.attendance_periods} attendance periods).")
        config = emulator.config()
        changes = Changes(args.update_fraction, args.create, args.delete, args.seed)
        return Demo(runner, config, args.output, say, emulator, changes).run()


if __name__ == "__main__":
    sys.exit(main())
