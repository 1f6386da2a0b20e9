"""`make demo`: sync Personio with the installed source-personio command, once in full and once incrementally,
then answer a few questions from what it synced.

Without credentials in the environment the demo starts the bundled Personio emulator with a seeded company,
runs spec, check and discover, reads every stream (incremental where a stream allows it, else full refresh; no
state), changes records through the emulator (about 1 % of persons, periods, employments and recruiting records
updated, a few persons and periods created and deleted, some compensations of the last two months corrected),
and reads again from the saved state. It then checks that every reference between the synced tables resolves,
loads the tables into a local DuckDB file and prints the answers of the queries in tools/demo/analytics.sql.

With PERSONIO_CLIENT_ID and PERSONIO_CLIENT_SECRET set it does the same against that Personio account, without
changing anything there; streams the account cannot read (a module it lacks, a scope the credential lacks) are
reported and left out.
"""
import argparse
import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple

from tools.catalogs import configured_catalog, cursor_value, redacted
from tools.demo import reports
from tools.stream_facts import FACTS
from tools.sync_runner import RunResult, SourceRunner

# The streams check requires; any other stream a Personio account cannot read is left out with a message.
REQUIRED_STREAMS = FACTS.required
# The streams the emulator can create and delete records in.
WINDOWED_STREAMS = FACTS.windowed_lists
# What the demo updates between the reads besides the windowed lists (a share of each): the other lists keyed by
# id and read from a saved state.
UPDATED_STREAMS = tuple(name for name in FACTS.of_kind("per_parent", "open_ended") if FACTS[name].primary_key == ("id",))
DATABASE = "personio.duckdb"
ENV_CLIENT_ID = "PERSONIO_CLIENT_ID"
ENV_CLIENT_SECRET = "PERSONIO_CLIENT_SECRET"
ENV_START_DATE = "PERSONIO_START_DATE"
ENV_API_URL = "PERSONIO_API_URL"
# The emulator's history starts in 2014: from 2010 every record is read, so every reference can resolve.
EMULATOR_START_DATE = "2010-01-01T00:00:00Z"
# The emulator does not throttle; at the connector's default budgets (10 requests/s per endpoint) the per-absence
# breakdowns alone would take minutes.
EMULATOR_BUDGETS = {
    "persons_requests_per_second": 1000,
    "periods_requests_per_second": 1000,
    "per_parent_requests_per_second": 1000,
    "other_requests_per_second": 1000,
}

EPILOG = f"""\
credentials (environment):
  {ENV_CLIENT_ID}, {ENV_CLIENT_SECRET}   sync that Personio account instead of the emulator (read only)
  {ENV_START_DATE}   optional, e.g. 2024-01-01T00:00:00Z; default: the connector's (whole history)
  {ENV_API_URL}      optional, default https://api.personio.de

written to the output directory:
  <stream>.jsonl                the full read's records, one JSON object per line, for every stream
  incremental/<stream>.jsonl    the incremental read's records
  state_after_full_read.json    the state the incremental read started from
  state.json                    the final state (input for a next `read --state`)
  catalog.json, config.json     the configured catalog and the config used (without the client secret)
  {DATABASE}               the tables after both reads (deduplicated by primary key), for DuckDB;
                                `python -m tools.demo.analytics {{DIR}}/{DATABASE}` prints the answers again

Exit status 0 when every step succeeded (and, against the emulator, the incremental read returned fewer
records than the full read and every changed record, and every reference resolved); 1 otherwise.
"""


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m tools.demo",
        description="Run source-personio end to end: spec, check, discover, a full read of every stream, then an "
                    "incremental read from the saved state; check that the synced tables join up and answer a few "
                    "questions from them in DuckDB. Uses the bundled Personio emulator unless Personio "
                    "credentials are set in the environment.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--output", type=Path, default=Path("output"), metavar="DIR",
                        help="where records, state, catalog, config and the DuckDB file go (default: ./output)")
    parser.add_argument("--emulator", action="store_true",
                        help="use the emulator even when Personio credentials are set")
    company = parser.add_argument_group("emulated company (ignored with real credentials)")
    company.add_argument("--seed", type=int, default=1)
    company.add_argument("--persons", type=int, default=200)
    company.add_argument("--absence-periods", type=int, default=2_000)
    company.add_argument("--attendance-periods", type=int, default=20_000)
    company.add_argument("--update-fraction", type=float, default=0.01,
                         help="share of each stream's records changed between the reads (default 0.01)")
    company.add_argument("--create", type=int, default=3, metavar="N",
                         help="persons and periods created per stream (default 3)")
    company.add_argument("--delete", type=int, default=2, metavar="N",
                         help="persons and periods deleted per stream (default 2)")
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


def read_jsonl(path: Path) -> Iterator[Dict[str, Any]]:
    if path.exists():
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                if line.strip():
                    yield json.loads(line)


def primary_key(record: Mapping[str, Any], key: Sequence[Sequence[str]]) -> Tuple[str, ...]:
    """A record's primary key (the catalog's [[field], …]) as text; the record's `id` without one."""
    fields = [path[0] for path in key] or ["id"]
    return tuple(str(record.get(name)) for name in fields)


@dataclass
class Changes:
    """What the demo changes in the emulator between the two reads."""

    update_fraction: float = 0.01
    create: int = 3
    delete: int = 2
    seed: int = 1


@dataclass
class Read:
    label: str
    result: RunResult
    directory: Path
    requests: Optional[Dict[str, int]]  # per endpoint, against the emulator
    unique: Dict[str, int]  # distinct primary keys per stream
    failed: Dict[str, str]  # optional streams the account could not read: the first message


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
        self.reads: List[Read] = []
        self.catalog: Dict[str, Any] = {}
        self.streams: List[str] = []
        self.problems: List[str] = []

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
        for log in check.logs:
            if "ptional stream" in log.get("message", "") or "eport" in log.get("message", "") or log.get("message", "").startswith("Deletions"):
                self.say(f"  {log['message']}")
        if status != "SUCCEEDED":
            if check.connection_status and check.connection_status.get("message"):
                self.say(f"  {check.connection_status['message']}")
            return self.failed("check", check) if check.errors or status is None else 1

        discover = self.runner.discover(self.config)
        if discover.catalog is None:
            return self.failed("discover", discover)
        self.say(f"discover  {len(discover.catalog['streams'])} streams  [{discover.seconds:.1f} s]")
        width = max(len(stream["name"]) for stream in discover.catalog["streams"])
        for stream in discover.catalog["streams"]:
            cursor = ".".join(stream.get("default_cursor_field") or []) or "-"
            keys = ", ".join(".".join(k) for k in stream.get("source_defined_primary_key") or [])
            self.say(f"  {stream['name']:<{width}} {' and '.join(stream['supported_sync_modes']):<29} "
                     f"cursor {cursor:<26} key {keys}")

        self.catalog = configured_catalog(discover.catalog, "incremental")
        self.streams = [entry["stream"]["name"] for entry in self.catalog["streams"]]
        self.output.mkdir(parents=True, exist_ok=True)
        write_json(self.output / "catalog.json", self.catalog)
        write_json(self.output / "config.json", redacted(self.config, spec.spec))

        full = self.read("full", None, self.output)
        if full is None:
            return 1
        write_json(self.output / "state_after_full_read.json", full.result.final_state)

        changed = self.change_records() if self.emulator is not None else None

        incremental = self.read("incremental", full.result.final_state, self.output / "incremental")
        if incremental is None:
            return 1
        final_state = {**full.result.state_messages, **incremental.result.state_messages}
        write_json(self.output / "state.json", [message["state"] for message in final_state.values()])

        self.summary(full, incremental)
        tables = self.tables(full, incremental)
        self.references(tables)
        self.answers(tables)
        if changed is not None:
            self.verify(full, incremental, changed)
        self.say()
        self.say(f"Written to {self.output}/: <stream>.jsonl, incremental/<stream>.jsonl, state.json, "
                 f"state_after_full_read.json, catalog.json, config.json (without the secret), {DATABASE}.")
        for problem in self.problems:
            self.say(f"PROBLEM: {problem}")
        return 1 if self.problems else 0

    # -- reading -----------------------------------------------------------------------------------

    def read(self, label: str, state, records_dir: Path) -> Optional[Read]:
        for stream in self.streams:  # no stale file from an earlier run survives
            (records_dir / f"{stream}.jsonl").unlink(missing_ok=True)
        before = self.requests()
        result = self.runner.read(self.config, self.catalog, state=state, records_dir=records_dir)
        after = self.requests()
        for stream in self.streams:
            (records_dir / f"{stream}.jsonl").touch()
        self.say(f"read      {label}: {result.total_records()} records of {len(self.streams)} streams "
                 f"in {result.seconds:.1f} s")
        refused = {stream: messages[0] for stream, messages in result.stream_errors.items()}
        # A real account may lack a module or a scope: those optional streams are left out, if every other stream
        # was read. Against the emulator every stream must be read.
        only_optional_refused = bool(refused) and not set(refused) & set(REQUIRED_STREAMS) and all(
            result.stream_status.get(stream) == "COMPLETE" for stream in self.streams if stream not in refused)
        if not result.succeeded and not (self.emulator is None and only_optional_refused):
            self.failed(f"{label} read", result)
            return None
        for stream, message in refused.items():
            self.say(f"  left out {stream}: {message}")
        requests = None if before is None else {k: after.get(k, 0) - before.get(k, 0) for k in after}
        keys = {entry["stream"]["name"]: entry["stream"].get("source_defined_primary_key") or []
                for entry in self.catalog["streams"]}
        unique = {s: reports.distinct_rows(read_jsonl(records_dir / f"{s}.jsonl")) if reports.is_report(s)
                  else len({primary_key(r, keys[s]) for r in read_jsonl(records_dir / f"{s}.jsonl")})
                  for s in self.streams}
        read = Read(label, result, records_dir, requests, unique, refused)
        self.reads.append(read)
        return read

    def requests(self) -> Optional[Dict[str, int]]:
        return None if self.emulator is None else dict(self.emulator.stats.requests)

    # -- changes between the reads (emulator only) -----------------------------------------------

    def change_records(self) -> Dict[str, Any]:
        """Update, create and delete records in the emulator; the ids per stream and action."""
        company, args = self.emulator.company, self.changes
        rng = random.Random(f"demo-deletions-{args.seed}")
        changed: Dict[str, Any] = {}
        for stream in WINDOWED_STREAMS:
            updated = company.update(stream, fraction=args.update_fraction) if args.update_fraction > 0 else []
            created = company.create(stream, count=args.create) if args.create > 0 else []
            untouched = sorted(set(company.ids(stream)) - set(updated) - set(created))
            deleted = rng.sample(untouched, min(args.delete, len(untouched)))
            for record_id in deleted:
                company.delete(stream, record_id)
            changed[stream] = {"updated": updated, "created": created, "deleted": deleted}
            self.say(f"changed   {stream:<26} {len(updated)} updated, {len(created)} created, {len(deleted)} deleted")
            if stream == "persons" and created:
                # The emulator dates a created person's employments years back, before the person existed; Personio
                # creates them with the person. Stamped now, as Personio would, so the incremental read can see them.
                hired = [e["id"] for person in created for e in company.employments(person) or []]
                for employment_id in hired:
                    company.update("employments", record_id=employment_id)
                self.say(f"changed   {'employments':<26} {len(hired)} created with the new persons")
        absences = changed["absence_periods"]
        self.say(f"changed   {'absence_period_breakdowns':<26} the rows of the {len(absences['updated'])} updated "
                 f"absences (each ends a day later) and of the {len(absences['created'])} created ones")
        for stream in UPDATED_STREAMS:
            updated = company.update(stream, fraction=args.update_fraction) if args.update_fraction > 0 else []
            changed[stream] = {"updated": updated, "created": [], "deleted": []}
            if stream == "employments":
                changed[stream]["created"] = [e["id"] for person in changed["persons"]["created"]
                                              for e in company.employments(person) or []]
            note = " (their persons untouched)" if stream == "employments" else ""
            self.say(f"changed   {stream:<26} {len(updated)} updated{note}")
        # last month's and this month's pay: what an incremental sync reads again
        corrected = []
        for month in company.compensation_months()[-2:]:
            served = company.compensations(month=month)
            for record in random.Random(f"demo-compensations-{args.seed}-{month}").sample(served, min(2, len(served))):
                company.update("compensations", record_id=record["id"], month=month)
                corrected.append((record["id"], month, round(record["amount"]["value"] + 100, 2)))
        changed["compensations"] = corrected
        self.say(f"changed   {'compensations':<26} {len(corrected)} amounts corrected in "
                 f"{' and '.join(company.compensation_months()[-2:])}")
        return changed

    # -- what the reads show ---------------------------------------------------------------------

    def summary(self, full: Read, incremental: Read) -> None:
        counted = self.emulator is not None
        modes = {entry["stream"]["name"]: entry["sync_mode"] for entry in self.catalog["streams"]}
        self.say()
        self.say(f"{'':<34}{'full read':^40}  {'incremental read':^40}")
        columns = f"{'records':>8} {'keys':>7} {'requests':>9} {'done after':>11}"
        self.say(f"{'stream (sync mode)':<34}{columns:>40}  {columns:>40}")
        self.say("-" * 116)

        def cells(read: Read, stream: str) -> str:
            if stream in read.failed:
                return f"{'not readable':>40}"
            count = read.result.record_counts.get(stream, 0)
            calls = str((read.requests or {}).get(stream, 0)) if counted and not reports.is_report(stream) else "-"
            done = read.result.stream_seconds.get(stream)
            return (f"{count:>8} {read.unique[stream]:>7} {calls:>9} "
                    f"{(f'{done:.1f} s' if done is not None else '-'):>11}")

        for stream in self.streams:
            mode = "incr." if modes[stream] == "incremental" else "full"
            self.say(f"{stream + ' (' + mode + ')':<34}{cells(full, stream)}  {cells(incremental, stream)}")
        if counted:
            pages = [str(sum((read.requests or {}).get(e, 0) for e in ("reports", "report_rows"))) for read in (full, incremental)]
            self.say(f"{'report list and pages (all reports)':<34}{'':>17}{pages[0]:>9}{'':>14}  {'':>17}{pages[1]:>9}")
            tokens = [str((read.requests or {}).get("token", 0)) for read in (full, incremental)]
            self.say(f"{'token endpoint':<34}{'':>17}{tokens[0]:>9}{'':>14}  {'':>17}{tokens[1]:>9}")

        def total(read: Read) -> str:
            calls = str(sum((read.requests or {}).get(s, 0) for s in self.streams)) if counted else "-"
            return f"{read.result.total_records():>8} {'':>7} {calls:>9} {f'{read.result.seconds:.1f} s':>11}"

        self.say(f"{'all streams':<34}{total(full)}  {total(incremental)}")
        self.say()
        self.say(f"{'state (cursor)':<34} {'after the full read':<28} final")
        final = {**full.result.states, **incremental.result.states}
        for stream in self.streams:
            if modes[stream] == "incremental":
                self.say(f"  {stream:<32} {str(cursor_value(full.result.states.get(stream))):<28} "
                         f"{cursor_value(final.get(stream))}")
        self.say()
        self.say("'keys' counts distinct primary keys: a record read twice at a window edge counts once. 'done after' "
                 "counts from the start of the read's process (about 2 s of it is start-up). Streams in full refresh "
                 "are read whole every time; the per-person employments are asked for every person on every sync.")
        if not counted:
            self.say("Requests are counted only against the emulator.")

    def tables(self, full: Read, incremental: Read) -> Dict[str, List[Dict[str, Any]]]:
        """The records a destination holds after both reads: incremental streams appended and deduplicated by
        primary key (the latest record wins), full-refresh streams overwritten by the latest read."""
        tables = {}
        for entry in self.catalog["streams"]:
            stream, key = entry["stream"]["name"], entry["stream"].get("source_defined_primary_key") or []
            if stream in full.failed or stream in incremental.failed:
                continue
            if reports.is_report(stream):  # rows without a key, overwritten by the latest read
                tables[stream] = list(read_jsonl(incremental.directory / f"{stream}.jsonl"))
                continue
            reads = (full, incremental) if entry["sync_mode"] == "incremental" else (incremental,)
            rows: Dict[Tuple[str, ...], Dict[str, Any]] = {}
            for read in reads:
                for record in read_jsonl(read.directory / f"{stream}.jsonl"):
                    rows[primary_key(record, key)] = record
            tables[stream] = list(rows.values())
        return tables

    def references(self, tables: Mapping[str, List[Dict[str, Any]]]) -> None:
        from tools.demo.reference_check import check, dangling

        results = check(tables)
        self.say()
        self.say("references (the tables after both reads, joined as an analyst joins them)")
        for result in results:
            self.say(f"  {result.line()}")
        broken = dangling(results)
        if broken:
            self.problems.append(f"{len(broken)} reference(s) do not resolve: {', '.join(broken)}")
        elif self.emulator is not None and not all(result.checked for result in results):
            self.problems.append("some references were not checked: a stream was not synced")

    def answers(self, tables: Mapping[str, List[Dict[str, Any]]]) -> None:
        import duckdb

        from tools.demo import analytics

        database = self.output / DATABASE
        database.unlink(missing_ok=True)
        with duckdb.connect(str(database)) as connection:
            analytics.load_tables(connection, tables, analytics.catalog_schemas(self.catalog))
            self.say()
            self.say(f"answers (tools/demo/analytics.sql on {database}, {len(tables)} tables)")
            for query in analytics.queries():
                self.say()
                self.say(f"  {query.title}")
                try:
                    columns, rows = analytics.answer(connection, query)
                except duckdb.Error as error:  # a table the account could not read
                    self.say(f"    not answered: {str(error).splitlines()[0]}")
                    if self.emulator is not None:
                        self.problems.append(f"{query.name}: {error}")
                    continue
                for line in analytics.table_lines(columns, rows, indent="    "):
                    self.say(line)
            self.say()
            self.say("reports (one table per Personio report, rows as objects keyed by column name)")
            reports.show(self.say, connection, tables)
        if self.emulator is not None:
            self.problems.extend(reports.problems(self.emulator, tables))

    def verify(self, full: Read, incremental: Read, changed: Mapping[str, Any]) -> None:
        if incremental.result.total_records() >= full.result.total_records():
            self.problems.append(f"the incremental read returned {incremental.result.total_records()} records, "
                                 f"not fewer than the full read's {full.result.total_records()}")
        seen = {stream: {record.get("id") for record in read_jsonl(incremental.directory / f"{stream}.jsonl")}
                for stream in (*WINDOWED_STREAMS, *UPDATED_STREAMS)}
        for stream in (*WINDOWED_STREAMS, *UPDATED_STREAMS):
            missing = (set(changed[stream]["updated"]) | set(changed[stream]["created"])) - seen[stream]
            if missing:
                self.problems.append(f"{stream}: {len(missing)} changed record(s) missing from the incremental read")
        absences = set(changed["absence_periods"]["updated"]) | set(changed["absence_periods"]["created"])
        broken_down = {row["absence_period_id"]
                       for row in read_jsonl(incremental.directory / "absence_period_breakdowns.jsonl")}
        if absences - broken_down:
            self.problems.append(f"absence_period_breakdowns: the rows of {len(absences - broken_down)} changed "
                                 f"absence(s) missing from the incremental read")
        amounts = {(row["id"], row["month"]): row["amount"]["value"]
                   for row in read_jsonl(incremental.directory / "compensations.jsonl")}
        wrong = [c for c in changed["compensations"] if amounts.get((c[0], c[1])) != c[2]]
        if wrong:
            self.problems.append(f"compensations: {len(wrong)} corrected amount(s) not read by the incremental read")
        self.deletions_seen(incremental, changed)
        if not self.problems:
            self.say("The incremental read returned every changed record (employments without their persons, the "
                     "breakdowns of changed absences, last month's corrected pay) and fewer records than the full "
                     "read.")

    def deletions_seen(self, incremental: Read, changed: Mapping[str, Any]) -> None:
        """The records deleted between the reads, as the incremental read's `deletions` stream reports them."""
        self.say()
        if "deletions" not in self.streams or "deletions" in incremental.failed:
            self.say("Deleted records: the deletions stream was not read, so only a full refresh drops them.")
            return
        reported = {(row["stream"], str(row["id"])) for row in read_jsonl(incremental.directory / "deletions.jsonl")}
        deleted = {(stream, str(record_id)) for stream in WINDOWED_STREAMS for record_id in changed[stream]["deleted"]}
        missing = deleted - reported
        if missing:
            self.problems.append(f"deletions: {len(missing)} deleted record(s) not reported by the incremental read")
        counts = ", ".join(f"{stream} {sum(1 for s, _ in reported if s == stream)}"
                           for stream in ("persons", "employments", "absence_periods", "attendance_periods"))
        self.say(f"Deletions seen: the incremental read reported {len(deleted & reported)} of the {len(deleted)} records "
                 f"deleted between the reads ({counts} rows in deletions, a deleted person's employments included); "
                 f"docs/querying.md shows the SQL that removes them from each table.")


# -- entry point ---------------------------------------------------------------------------------


def real_config() -> Optional[Dict[str, Any]]:
    client_id, client_secret = os.environ.get(ENV_CLIENT_ID), os.environ.get(ENV_CLIENT_SECRET)
    if not client_id or not client_secret:
        return None
    config = {"client_id": client_id, "client_secret": client_secret, "sync_reports": True}  # reports are optional
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
            f"{args.attendance_periods} attendance periods; start date {EMULATOR_START_DATE[:10]}, request budgets "
            f"raised since the emulator does not throttle).")
        config = emulator.config(start_date=EMULATOR_START_DATE, sync_reports=True, **EMULATOR_BUDGETS)
        changes = Changes(args.update_fraction, args.create, args.delete, args.seed)
        return Demo(runner, config, args.output, say, emulator, changes).run()


if __name__ == "__main__":
    sys.exit(main())
