"""Fault scenarios for source-personio, shared by `python -m tools.faults` and integration_tests/.

Every scenario runs the installed `source-personio` as a subprocess against its own emulator
(tools/personio_emulator) with one kind of trouble injected, on the streams that trouble concerns
(`Scenario.streams`; the three windowed lists unless said otherwise), and judges what came out:

- records lost: emulator records (taken when the sync starts; keyed by each stream's primary key)
  missing from everything emitted. For a sync that fails, only records the emitted state claims are
  done count: every record of a stream that reported COMPLETE, else those whose cursor value lies
  before the stream's last emitted cursor. A scenario that resumes (`resume`) runs a second sync from
  the first one's state once the fault is gone: then every record must be in one of the two, and what
  changed in between (`between`) must be in the second;
- records duplicated: primary keys emitted more than once. Records within a second of a window edge are
  read by both windows on purpose (the manifest widens each window by a second), so only other
  duplicates are a problem;
- secret seen: whether the client secret, any access token the emulator issued (all are recorded), or
  anything shaped like a Personio token appears anywhere in stdout or stderr.

    from tools.fault_scenarios import Suite
    suite = Suite()
    suite.start()
    suite.outcome("5xx burst on every endpoint").problems     # [] when it behaved as it must

Retries (manifest: max_retries 5, exponential factor 0.5): waits of 1, 2, 4, 8 and 16 s, each plus the
second the CDK adds, 36 s per request; each attempt may also wait the 20 s read timeout. A request that
exhausts its retries on 5xx, resets or timeouts stops the whole read at once (source.py raises
PersonioUnavailable, run.py prints the outage trace and exits 1 without waiting for requests in flight),
so a persistent fault ends the sync one request's retry budget after its first failing answer, however
many windows are left. Everything runs in real time by default; with `sleep_scale` > 1 those sleeps are
compressed inside the connector process and the real-time cost is estimated (wall time plus the sleep
the busiest thread skipped).
"""
import math
import concurrent.futures
import json
import os
import random
import re
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.personio_emulator.settings import ALL_SCOPES
from tools.personio_emulator.streams import ALL_STREAMS as ENDPOINTS
from tools.reference_reader import window_days
from tools.sync_runner import SourceRunner, configured_catalog

# The windowed lists: what a scenario reads unless it names its streams.
STREAMS = ("persons", "absence_periods", "attendance_periods")
CONNECTOR = Path(sys.executable).parent / "source-personio"

# Several pages per window and several windows per stream, small enough for a sync in seconds. The data
# span 2021-01-01 to yesterday, so 180-day windows give a dozen windows per period stream and 365-day
# windows six for persons.
COMPANY = {"seed": 7, "persons": 50, "absence_periods": 300, "attendance_periods": 900}
WINDOWS = {"start_date": "2021-01-01T00:00:00Z", "window_size_days": 180, "persons_window_size_days": 365,
           "lookback_window_hours": 24}
# The manifest's own window sizes (365 days, persons 3650): a None removes the field WINDOWS sets, and
# num_workers, left out of configs, is the manifest's default (10) too.
DEFAULT_WINDOWS = {"window_size_days": None, "persons_window_size_days": None}
DEFAULT_NUM_WORKERS = 10
# Where rate limiting is not under test: the per-parent and other budgets (10/s by default) would make a
# 50-person company's employments, breakdowns and 70 months of compensations cost half a minute a sync.
FAST_BUDGETS = {"per_parent_requests_per_second": 100, "other_requests_per_second": 100}
# The connector's retry budget for one request (manifest: max_retries 5, exponential factor 0.5): waits
# of 0.5*2^k s for k = 1..5 (1, 2, 4, 8, 16), each plus the second the CDK adds, 36 s in all.
MAX_RETRIES = 5
BACKOFF_FACTOR = 0.5
RETRY_BUDGET_SECONDS = int(sum(BACKOFF_FACTOR * 2 ** k + 1 for k in range(1, MAX_RETRIES + 1)))
# The requester's connect and read timeouts: a server silent for longer is given up on, and the request retried.
READ_TIMEOUT_SECONDS = 20
# Between the first failing answer of an outage and the end of the sync, at the default settings.
OUTAGE_LIMIT_SECONDS = 180
# Beyond the backoff, between its first failing answer and its end a failing sync spends a little time
# on the failing requests themselves and on ending the process: a few seconds, up to 20 with six syncs
# sharing a loaded machine.
SLACK_SECONDS = 30

# Each stream's primary key (the manifest's) where it is not `id`, and its cursor field where it is not
# `updated_at`; the streams read whole have no cursor.
PRIMARY_KEYS = {"person_custom_attributes": ("person_id", "id"), "absence_period_breakdowns": ("absence_period_id", "date"),
                "compensations": ("id", "month"), "org_units": ("type", "id")}
CURSOR_FIELDS = {"absence_period_breakdowns": "absence_period_updated_at", "compensations": "month"}
# Streams whose records come in windows of updated_at, and whose windows they follow (duplicates within a
# second of a window edge are expected there).
WINDOWED = {"persons": "persons", "absence_periods": "absence_periods", "attendance_periods": "attendance_periods",
            "person_custom_attributes": "persons", "absence_period_breakdowns": "absence_periods"}
RECRUITING_LISTS = ("recruiting_applications", "recruiting_candidates")

Message = Dict[str, Any]


# -- running the connector --------------------------------------------------------------------------


@dataclass
class Run:
    """What one connector process printed."""

    argv: List[str]
    exit_code: Optional[int] = None
    seconds: float = 0.0
    ended: float = 0.0  # time.monotonic() when the process had exited
    skipped_sleep: float = 0.0  # backoff the busiest thread did not wait for (compressed sleeps)
    killed: Optional[str] = None  # why this harness killed it, if it did
    lines: List[str] = field(default_factory=list)  # stdout, raw
    stderr: str = ""
    messages: List[Message] = field(default_factory=list)

    @property
    def output(self) -> str:
        return "".join(self.lines) + self.stderr

    @property
    def real_seconds(self) -> float:
        """Wall time, plus the waiting a compressed run skipped: about what the run costs in real time."""
        return self.seconds + self.skipped_sleep

    def of_type(self, kind: str) -> List[Message]:
        return [m for m in self.messages if m.get("type") == kind]

    @property
    def records(self) -> List[Tuple[str, Message]]:
        return [(m["record"]["stream"], m["record"]["data"]) for m in self.of_type("RECORD")]

    @property
    def stream_states(self) -> Dict[str, Message]:
        """The last STATE message of each stream, as `read --state` takes them."""
        last = {}
        for message in self.of_type("STATE"):
            state = message["state"]
            if state.get("type") == "STREAM":
                last[state["stream"]["stream_descriptor"]["name"]] = state
        return last

    def cursor(self, stream: str) -> Optional[datetime]:
        """The stream's last emitted cursor: the window cursor, or a per-parent stream's global one."""
        state = self.stream_states.get(stream)
        value = None if state is None else cursor_value(stream, state["stream"].get("stream_state") or {})
        return parse_instant(value) if value else None

    @property
    def errors(self) -> List[Message]:
        return [m["trace"]["error"] for m in self.of_type("TRACE") if m["trace"].get("type") == "ERROR"]

    @property
    def statuses(self) -> Dict[str, str]:
        last = {}
        for message in self.of_type("TRACE"):
            status = message["trace"].get("stream_status")
            if message["trace"].get("type") == "STREAM_STATUS" and status:
                last[status["stream_descriptor"]["name"]] = status["status"]
        return last

    @property
    def logs(self) -> List[Message]:
        return [m["log"] for m in self.of_type("LOG")]

    @property
    def connection_status(self) -> Optional[Message]:
        statuses = self.of_type("CONNECTION_STATUS")
        return statuses[-1]["connectionStatus"] if statuses else None

    @property
    def completed(self) -> bool:
        return self.exit_code == 0 and not self.errors and self.killed is None

    @property
    def result(self) -> str:
        if self.killed:
            return f"killed ({self.killed})"
        if self.completed:
            return "completed"
        kinds = sorted({error.get("failure_type") or "?" for error in self.errors[:1]})
        return f"failed ({', '.join(kinds) or f'exit {self.exit_code}'})"


_SLEEP_PATCH = '''\
"""Written by tools/fault_scenarios.py for connector processes it runs with compressed sleeps.

Sleeps of 1 s or more (the CDK's backoffs) last PERSONIO_FAULTS_SLEEP_SCALE times less; at exit the
time skipped by the thread that skipped most goes to PERSONIO_FAULTS_SLEEP_LOG."""
import atexit, os, threading, time
_scale = float(os.environ.get("PERSONIO_FAULTS_SLEEP_SCALE") or 1)
_log = os.environ.get("PERSONIO_FAULTS_SLEEP_LOG")
_sleep = time.sleep
_skipped = {}
def _compressed(seconds):
    if seconds >= 1:
        short = seconds / _scale
        ident = threading.get_ident()
        _skipped[ident] = _skipped.get(ident, 0.0) + seconds - short
        seconds = short
    _sleep(seconds)
def _write():
    if _log:
        with open(_log, "w") as handle:
            handle.write(str(max(_skipped.values(), default=0.0)))
time.sleep = _compressed
atexit.register(_write)
'''


def run_connector(command: str, config: Mapping[str, Any], catalog: Optional[Mapping[str, Any]] = None,
                  state: Optional[Sequence[Message]] = None, kill_after_lines: Optional[int] = None,
                  deadline: float = 900, sleep_scale: float = 1, extra_args: Sequence[str] = ()) -> Run:
    """Run `source-personio <command>`; SIGKILL it after `kill_after_lines` stdout lines or at `deadline`.

    `sleep_scale` > 1 shortens the connector's sleeps of a second or more that many times, through a
    sitecustomize on its PYTHONPATH: what the connector decides is unchanged, only its waiting shrinks.
    """
    workdir = Path(tempfile.mkdtemp(prefix="personio-faults-"))  # 0700: the config holds the secret
    try:
        argv = [str(CONNECTOR), command]
        for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
            if content is not None:
                path = workdir / f"{flag[2:]}.json"
                path.write_text(json.dumps(content))
                argv += [flag, str(path)]
        argv += list(extra_args)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PERSONIO_FAULTS_")}
        sleep_log = workdir / "skipped-sleep"
        if sleep_scale != 1:
            (workdir / "sitecustomize.py").write_text(_SLEEP_PATCH)
            # the caller's PYTHONPATH stays after it: it decides which source_personio runs (a worktree's, say)
            env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(workdir), os.environ.get("PYTHONPATH")])),
                       PERSONIO_FAULTS_SLEEP_SCALE=str(sleep_scale), PERSONIO_FAULTS_SLEEP_LOG=str(sleep_log))
        run = Run(argv)
        started = time.monotonic()
        with open(workdir / "stderr", "w+b") as stderr:
            process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=workdir,
                                       text=True, encoding="utf-8", errors="replace")

            def expire() -> None:
                if process.poll() is None:
                    run.killed = run.killed or f"still running at the {deadline:.0f} s deadline"
                    process.kill()

            watchdog = threading.Timer(deadline, expire)
            watchdog.daemon = True
            watchdog.start()
            try:
                for line in process.stdout:
                    run.lines.append(line)
                    if kill_after_lines is not None and len(run.lines) >= kill_after_lines:
                        if process.poll() is None:
                            run.killed = f"after {kill_after_lines} lines"
                            process.kill()
                        break
                process.stdout.close()
                run.exit_code = process.wait()
                run.ended = time.monotonic()
            finally:
                watchdog.cancel()
                if process.poll() is None:
                    process.kill()
                    process.wait()
            stderr.seek(0)
            run.stderr = stderr.read().decode("utf-8", errors="replace")
        run.seconds = time.monotonic() - started
        if sleep_log.exists():
            run.skipped_sleep = float(sleep_log.read_text() or 0)
        for line in run.lines:
            try:
                message = json.loads(line)
            except ValueError:
                continue
            if isinstance(message, dict) and "type" in message:
                run.messages.append(message)
        return run
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def cursor_value(stream: str, stream_state: Mapping[str, Any]) -> Optional[str]:
    """The cursor in a stream's state: `{"updated_at": …}`, or a per-parent stream's global
    `{"use_global_cursor": true, "state": {"updated_at": …}, …}`, or for the finished windows' form
    (`{"state_type": "date-range", "slices": […]}`) the latest value of its first range (all before it is read)."""
    if stream_state.get("state_type") == "date-range":
        first = (stream_state.get("slices") or [{}])[0]
        return first.get("most_recent_cursor_value")
    name = CURSOR_FIELDS.get(stream, "updated_at")
    value = stream_state.get(name)
    if value is None and isinstance(stream_state.get("state"), Mapping):
        value = stream_state["state"].get(name)
    return value if isinstance(value, str) else None


_discovered: Dict[str, Any] = {}
_discovered_lock = threading.Lock()


def discovered_catalog() -> Dict[str, Any]:
    """What `source-personio discover` returns (once per process: the manifest's schemas need no API)."""
    with _discovered_lock:
        if "catalog" not in _discovered:
            config = {"client_id": "discover-only", "client_secret": "discover-only", "api_url": "http://127.0.0.1:9"}
            run = SourceRunner(command=str(CONNECTOR), timeout=300).discover(config)
            if run.catalog is None:
                raise RuntimeError(f"discover gave no catalog: {run.error_messages[:1]} {run.stderr[-500:]}")
            _discovered["catalog"] = run.catalog
        return _discovered["catalog"]


def catalog(sync_mode: str = "incremental", streams: Sequence[str] = STREAMS) -> Dict[str, Any]:
    """A configured catalog of `streams`, built from the discovered one as Airbyte builds it: each stream in
    `sync_mode` where it supports it, else (the lists read whole) in full refresh."""
    discovered = discovered_catalog()
    modes = {stream["name"]: stream.get("supported_sync_modes") or [] for stream in discovered["streams"]}
    unknown = [name for name in streams if name not in modes]
    if unknown:
        raise ValueError(f"not in the discovered catalog: {', '.join(unknown)}")
    wanted = [name for name in streams if sync_mode in modes[name]]
    whole = [name for name in streams if name not in wanted]
    entries = []
    for mode, names in ((sync_mode, wanted), ("full_refresh", whole)):
        if names:
            entries += configured_catalog(discovered, mode, names)["streams"]
    order = {name: n for n, name in enumerate(streams)}
    return {"streams": sorted(entries, key=lambda entry: order[entry["stream"]["name"]])}


# -- what the emulator knows and sees ------------------------------------------------------------------


class TokenLog:
    """Records every access token the emulator issues, including ones later revoked or expired."""

    def __init__(self, emulator: Emulator):
        self.tokens: List[str] = []
        issue = emulator.tokens.issue

        def recording_issue(*args, **kwargs):
            token = issue(*args, **kwargs)
            self.tokens.append(token)
            return token

        emulator.tokens.issue = recording_issue


class AfterRequests:
    """Runs `action(emulator)` once, right after the emulator has answered `count` data requests."""

    def __init__(self, emulator: Emulator, count: int, action: Callable[[Emulator], None]):
        self.fired = False
        record = emulator.stats.record
        seen = [0]
        lock = threading.Lock()

        def counting_record(entry, status):
            record(entry, status)
            if entry["endpoint"] in STREAMS:
                with lock:
                    seen[0] += 1
                    due = seen[0] == count
                if due:
                    action(emulator)
                    self.fired = True

        emulator.stats.record = counting_record


Key = Any  # a record's primary key: its id, or a tuple for composite keys
Snapshot = Dict[str, Dict[Key, Optional[datetime]]]  # stream -> key -> cursor instant (None: no cursor)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def key_of(stream: str, data: Mapping[str, Any]) -> Key:
    fields = PRIMARY_KEYS.get(stream)
    if fields is None:
        return data.get("id")
    return tuple(data.get(name) for name in fields)


def exact(emulator: Emulator, stream: str, record_id: str) -> datetime:
    """The instant behind a record's rendered updated_at (recruiting renders some as objects)."""
    return EPOCH + timedelta(microseconds=emulator.company.updated_us(stream, record_id))


def snapshot(emulator: Emulator, streams: Sequence[str] = STREAMS, start: Optional[datetime] = None) -> Snapshot:
    """Every record the emulator holds for `streams`, by primary key, with its cursor instant where the
    stream has one (breakdowns: their absence's updated_at; custom attributes: their person's). With
    `start` (the config's start_date), records whose cursor lies before it are left out: a sync reads
    only what changed since (employments reach back to 2012, the other generated data to 2021)."""
    company, snap = emulator.company, {}
    for stream in streams:
        if stream in STREAMS:
            snap[stream] = {r["id"]: parse_instant(r["updated_at"]) for r in company.records(stream)}
        elif stream == "employments" or stream in RECRUITING_LISTS:
            snap[stream] = {record_id: exact(emulator, stream, record_id) for record_id in company.ids(stream)}
        elif stream == "person_custom_attributes":
            snap[stream] = {(p["id"], a["id"]): parse_instant(p["updated_at"])
                            for p in company.records("persons") for a in p.get("custom_attributes") or []}
        elif stream == "absence_period_breakdowns":
            snap[stream] = {(a["id"], row["date"]): parse_instant(a["updated_at"])
                            for a in company.records("absence_periods") for row in company.breakdowns(a["id"]) or []}
        elif stream == "compensations":
            snap[stream] = {(r["id"], month): None for month in company.compensation_months()
                            for r in company.compensations(month=month)}
        else:
            snap[stream] = {key_of(stream, r): None for r in company.records(stream)}
    if start is not None:
        snap = {stream: {k: at for k, at in records.items() if at is None or at >= start} for stream, records in snap.items()}
    return snap


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


TOKEN_SHAPE = re.compile(r"papi-[A-Za-z0-9_\-]{16,}")


def secrets_seen(text: str, secret: str, tokens: Iterable[str]) -> List[str]:
    """What of the secret and the tokens shows in `text`, described without repeating it."""
    seen = []
    if secret and secret in text:
        seen.append("client secret")
    leaked = [token for token in tokens if token in text]
    if leaked:
        seen.append(f"{len(leaked)} issued access token(s)")
    elif TOKEN_SHAPE.search(text):
        seen.append("a papi- token")
    return seen


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def server_bind(self) -> None:  # HTTPServer's would resolve the host's name, which may wait on DNS
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]


class ForeignHost:
    """A listener on another loopback address (127.0.0.2, else another port of 127.0.0.1) answering
    every request with an empty page, and remembering whether each carried an Authorization header."""

    def __init__(self):
        self.requests: List[Dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                outer.requests.append({"path": self.path, "authorization": self.headers.get("Authorization")})
                body = b'{"_data":[],"_meta":{"links":{}}}'
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET

            def log_message(self, *args):
                pass

        try:
            self.server = _QuietServer(("127.0.0.2", 0), Handler)
        except OSError:
            self.server = _QuietServer(("127.0.0.1", 0), Handler)
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def authorizations(self) -> int:
        return sum(1 for r in self.requests if r["authorization"])


# -- windows -------------------------------------------------------------------------------------------


def config_over_windows(emulator: Emulator, changes: Mapping[str, Any]) -> Dict[str, Any]:
    """A config for `emulator`: WINDOWS with `changes` over it, a change to None removing the field."""
    config = emulator.config(**{**WINDOWS, **changes})
    return {name: value for name, value in config.items() if value is not None}


def window_steps(config: Mapping[str, Any]) -> Dict[str, timedelta]:
    """The window length of each windowed stream (custom attributes and breakdowns follow their parents')."""
    periods = timedelta(days=window_days(config, "attendance_periods"))
    own = {"persons": timedelta(days=window_days(config, "persons")),
           "absence_periods": periods, "attendance_periods": periods}
    return {stream: own[parent] for stream, parent in WINDOWED.items()}


def windows_of(config: Mapping[str, Any], stream: str, now: Optional[datetime] = None) -> List[Tuple[datetime, datetime]]:
    """The windows the connector cuts for `stream`: start, start+step, …, the last one ending now."""
    start, step = parse_instant(config["start_date"]), window_steps(config)[stream]
    now = now or datetime.now(start.tzinfo)
    cut = []
    while start < now:
        cut.append((start, min(start + step, now)))
        start += step
    return cut


def outage_bound_seconds(per_attempt_seconds: float = 0) -> float:
    """How long a sync whose requests fail for good may go on after the first failing answer: the first
    request to meet the fault spends its retries (its attempts, each up to `per_attempt_seconds`, and the
    waits between them), then the read stops at once, whatever else is in flight or still to read."""
    return RETRY_BUDGET_SECONDS + (MAX_RETRIES + 1) * per_attempt_seconds + SLACK_SECONDS


def on_window_edge(moment: datetime, start: datetime, step: timedelta) -> bool:
    """Whether `moment` lies within a second of an edge of the windows start, start+step, …"""
    offset = (moment - start) % step
    return offset <= timedelta(seconds=1) or step - offset <= timedelta(seconds=1)


# -- judging one sync ----------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One row of the fault table."""

    name: str
    group: str
    fault: str
    expected: str
    result: str = ""
    lost: Optional[int] = None
    duplicated: Optional[int] = None
    secrets: List[str] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the connector run(s)
    real_seconds: float = 0.0  # estimated real-time cost (= seconds unless sleeps were compressed)
    compressed: bool = False
    outage_seconds: Optional[float] = None  # persistent faults: from the first failing answer to the end
    error: str = ""  # the first error message, if any
    tokens_issued: int = 0  # access tokens the emulator issued, all of them scanned for
    bound_violation: str = ""  # interruption trials: streams read twice beyond RESUME_WINDOWS windows, if any
    read_twice: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # interruption: stream -> (read twice, bound)
    notes: List[str] = field(default_factory=list)
    problems: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def count_emitted(runs: Sequence[Run]) -> Counter:
    """(stream, primary key) -> how many times the runs emitted it."""
    return Counter((stream, key_of(stream, data)) for run in runs for stream, data in run.records)


def must_have(snap: Snapshot, run: Run) -> Dict[str, set]:
    """Per stream, the keys a run claims to have delivered: all of a COMPLETE stream (or of a completed
    run), else those whose cursor value lies before the stream's last emitted cursor."""
    claimed = {}
    for stream, records in snap.items():
        if run.completed or run.statuses.get(stream) == "COMPLETE":
            claimed[stream] = set(records)
        else:
            cursor = run.cursor(stream)
            claimed[stream] = {k for k, at in records.items() if cursor is not None and at is not None and at < cursor}
    return claimed


def lost_records(snap: Snapshot, claimed: Mapping[str, set], emitted: Counter) -> Dict[str, List[Key]]:
    return {stream: sorted((k for k in claimed[stream] if (stream, k) not in emitted), key=str) for stream in snap}


def logged_skip(run: Run, count: int) -> bool:
    """Whether a warning or error log says that `count` records were skipped."""
    for log in run.logs:
        text = log.get("message", "")
        if log.get("level") in ("WARN", "WARNING", "ERROR") and "skip" in text.lower() and str(count) in text:
            return True
    return False


# -- fault scenarios -----------------------------------------------------------------------------------

COMPLETES, FAILS, EITHER = "completes", "fails clearly", "completes, or fails clearly"


@dataclass(frozen=True)
class Scenario:
    name: str
    fault: str  # what goes wrong, as the table says it
    expect: str  # COMPLETES, FAILS or EITHER
    faults: Tuple[Mapping[str, Any], ...] = ()  # Fault(**each), made fresh for every run
    settings: Mapping[str, Any] = field(default_factory=dict)  # emulator settings
    config: Mapping[str, Any] = field(default_factory=dict)  # connector config, over WINDOWS (None removes a field)
    streams: Tuple[str, ...] = STREAMS  # the streams selected (incremental where they can be)
    trigger: Optional[Tuple[int, Callable[[Emulator], None]]] = None  # (after N data requests, action)
    message: Optional[str] = None  # regex the first error message must match when it fails
    failure_type: Optional[str] = None  # the first error's failure_type when it fails
    bound_seconds: float = 120  # the run must end within this (estimated real time); orders the runs
    # The fault persists: from its first failing answer the run must end within outage_bound_seconds()
    # (one request's retries, each attempt taking up to per_attempt_seconds) and OUTAGE_LIMIT_SECONDS.
    persistent: bool = False
    per_attempt_seconds: float = 0
    # After the run the faults are cleared, `between` (if any) changes the company, and a second sync
    # starts from the first one's state: it must complete, the two together must hold every record, and
    # the second must hold what `between` returned (stream -> key -> the cursor instant it must have).
    resume: bool = False
    between: Optional[Callable[["Context"], Mapping[str, Mapping[Key, datetime]]]] = None
    foreign_host: bool = False  # point next_foreign links at a listener on another loopback host
    check: Optional[Callable[["Context"], List[str]]] = None  # more problems to look for
    prepare: Optional[Callable[[Emulator], Any]] = None  # alters the emulator; its result goes to Context
    group: str = "faults"
    # The runner kills each sync of the row at this many seconds (default: from the bound), so a sync that
    # may loop forever makes the row fail quickly instead of holding up the suite.
    deadline: Optional[float] = None

    def bound_for(self, config: Optional[Mapping[str, Any]] = None) -> float:
        """The time the run may take; for a persistent fault, from its first failing answer."""
        if not self.persistent:
            return self.bound_seconds
        return outage_bound_seconds(self.per_attempt_seconds)


@dataclass
class Context:
    scenario: Scenario
    emulator: Emulator
    run: Run
    tokens: TokenLog
    foreign: Optional[ForeignHost]
    snap: Snapshot
    config: Mapping[str, Any]
    prepared: Any = None
    second: Optional[Run] = None  # the sync that resumed, for scenarios that resume
    notes: List[str] = field(default_factory=list)  # for the row's notes


def _revoke_credential(emulator: Emulator) -> None:
    """The API credential is deleted in Personio: its secret stops working and its tokens die."""
    emulator.settings.client_secret = "rotated-" + emulator.settings.client_secret
    emulator.revoke_tokens()


def _withdraw_absences_scope(emulator: Emulator) -> None:
    emulator.settings.granted_scopes = emulator.settings.granted_scopes - {"personio:absences:read"}


def _status_seen(status) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        seen = sum(codes.get(status, 0) for codes in context.emulator.stats.status_codes.values())
        return [] if seen else [f"the emulator never answered {status}: the scenario did not happen"]
    return check


def _throttled(context: Context) -> List[str]:
    throttled = sum(context.emulator.stats.throttled.values())
    return [] if throttled else ["no request was throttled: the storm did not happen"]


def _renewed_tokens(context: Context) -> List[str]:
    issued = len(context.tokens.tokens)
    return [] if issued > 3 else [f"only {issued} tokens issued: no token expired mid-sync"]


def _logged_missing_cursor(context: Context) -> List[str]:
    if any("updated_at" in log.get("message", "") and log.get("level") in ("WARN", "WARNING", "ERROR")
           for log in context.run.logs):
        return []
    return ["a record without updated_at was emitted without any warning"]


BAD_UPDATED_AT = "31/01/2024 25:61"  # what the emulator's record_bad_updated_at fault writes
MISSING_CURSOR_LOG = "Could not find cursor field `updated_at`"


def _bad_updated_at_passed_through(context: Context) -> List[str]:
    """The record with an unparseable updated_at is delivered as sent, the CDK says so once, and the
    stream's state is the latest good updated_at, untouched by the bad one."""
    run, problems = context.run, []
    stream = "attendance_periods"
    passed = [data for name, data in run.records if name == stream and data.get("updated_at") == BAD_UPDATED_AT]
    if len(passed) != 1:
        problems.append(f"{len(passed)} records delivered with updated_at {BAD_UPDATED_AT!r} unchanged, expected 1")
    logged = [log for log in run.logs if MISSING_CURSOR_LOG in log.get("message", "")]
    if len(logged) != 1 or logged[0].get("level") not in ("WARN", "WARNING"):
        problems.append(f"expected one warning {MISSING_CURSOR_LOG!r}…, got {[(l.get('level'), l.get('message', '')[:80]) for l in logged]}")
    state = (run.stream_states.get(stream) or {}).get("stream", {}).get("stream_state") or {}
    try:
        cursor = parse_instant(cursor_value(stream, state) or "")
    except ValueError:
        return problems + [f"the {stream} state is not a timestamp: {state!r}"]
    good = [parse_instant(data["updated_at"]) for name, data in run.records
            if name == stream and data.get("updated_at") not in (None, BAD_UPDATED_AT)]
    latest = max(good).replace(microsecond=0)
    if cursor != latest:
        problems.append(f"the {stream} state is {cursor_value(stream, state)}, not the latest good updated_at {latest:%Y-%m-%dT%H:%M:%SZ}")
    return problems


def _waited_for_the_read_timeout(context: Context) -> List[str]:
    """The held answer was given up on at the read timeout and the request retried: the sync took at
    least the timeout, and the request the emulator held was asked again."""
    if context.run.seconds < READ_TIMEOUT_SECONDS:
        return [f"the sync ended in {context.run.seconds:.0f} s, before the {READ_TIMEOUT_SECONDS} s read timeout:"
                " the held answer was not waited for"]
    return []


class EmptyPageAtWindowEnd:
    """Personio's quirk where it belongs: a window's data ends with an empty page that still carries a
    next link. For `stream`, the last page of every window links on (past its last record) instead of
    ending, and the page that link leads to, empty because the data has ended, links on again, to the
    same place, as does the first page of a window without records: a reader that follows loops.
    Counts the empty pages served and how many of them were asked for twice (a link followed)."""

    def __init__(self, emulator: Emulator, stream: str = "attendance_periods"):
        self.stream = stream
        self.served = 0
        self.followed = 0
        self._seen: set = set()
        self._lock = threading.Lock()
        page = emulator.company.page

        def quirky_page(name, **query):
            result = page(name, **query)
            if name != stream or result.more:
                return result
            if result.blobs:
                return result._replace(more=True)  # the last page with records, linking on
            key = (query.get("lower"), query.get("upper"), repr(query.get("after")))
            with self._lock:
                self.served += 1
                self.followed += key in self._seen
                self._seen.add(key)
            return result._replace(more=True)  # empty, and a next link back to where it is

        emulator.company.page = quirky_page


def _stopped_at_the_empty_page(context: Context) -> List[str]:
    quirk: EmptyPageAtWindowEnd = context.prepared
    problems = []
    windows = windows_of(context.config, quirk.stream)
    if quirk.served < len(windows):
        problems.append(f"{quirk.served} empty pages with a next link served for {len(windows)} windows:"
                        " not every window ended on one")
    if quirk.followed:
        problems.append(f"the next link of an empty page was followed {quirk.followed} time(s)")
    # every page with records, one partial page and the empty page per window: no endless loop
    limit = 100
    bound = math.ceil(len(context.snap[quirk.stream]) / limit) + 2 * len(windows) + 2
    asked = context.emulator.stats.requests[quirk.stream]
    if asked > bound:
        problems.append(f"{asked} requests to {quirk.stream}, more than the {bound} its pages need")
    return problems


def _nothing_sent_abroad(context: Context) -> List[str]:
    foreign = context.foreign
    if foreign.authorizations:
        return [f"the bearer token was sent to {foreign.url} in {foreign.authorizations} request(s)"]
    return []


# The trace run.py prints when a request ran out of retries on 5xx, resets or timeouts (messages.UNAVAILABLE).
UNAVAILABLE = re.compile(r"Personio is unavailable: (?P<stream>\w+) kept failing after every retry \((?P<cause>.+?)\)\. "
                         r".*finished.*kept.*the next sync resumes", re.S)


def _stopped_at_the_outage(cause: str) -> Callable[[Context], List[str]]:
    """The read stopped at the first request that ran out of retries: an outage trace naming the stream
    and `cause`, a transient error, exit code 1."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        outages = [e for e in run.errors if UNAVAILABLE.search(e.get("message") or "")]
        if not outages:
            problems.append("no 'Personio is unavailable: … the next sync resumes' trace: the read did not stop at the outage")
        else:
            match = UNAVAILABLE.search(outages[-1]["message"])
            if cause not in match.group("cause"):
                problems.append(f"the outage trace names the cause {match.group('cause')!r}, not {cause!r}")
            if match.group("stream") not in context.scenario.streams:
                problems.append(f"the outage trace names {match.group('stream')!r}, which was not selected")
            if outages[-1].get("failure_type") != "transient_error":
                problems.append(f"the outage is a {outages[-1].get('failure_type')}, not a transient_error")
        if run.exit_code != 1:
            problems.append(f"exit code {run.exit_code}, expected 1")
        return problems
    return check


def _throttled_on(stream: str) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        throttled = context.emulator.stats.throttled.get(stream, 0)
        context.notes.append(f"{throttled} of {context.emulator.stats.requests.get(stream, 0)} {stream} requests answered 429")
        return [] if throttled else [f"no {stream} request was throttled: the storm did not happen"]
    return check


def _change_employments_without_their_persons(context: Context) -> Dict[str, Dict[Key, datetime]]:
    """Between the syncs, five employments change and their persons do not (a new supervisor or a
    termination need not move the person's updated_at): one stamped now, one an hour ago (a late write),
    and three on the edges the next sync starts from: exactly the saved cursor, a second after it, and
    exactly the lookback before it. Returns them with their new updated_at: the next sync must read them."""
    emulator, company = context.emulator, context.emulator.company
    cursor = context.run.cursor("employments")
    if cursor is None:
        raise RuntimeError("the first sync saved no employments state")
    lookback = timedelta(hours=int(context.config["lookback_window_hours"]))
    now = datetime.now(timezone.utc)
    moments = [now, now - timedelta(hours=1), cursor, cursor + timedelta(seconds=1), cursor - lookback]
    older = sorted(i for i in company.ids("employments") if exact(emulator, "employments", i) < min(moments))
    chosen = random.Random(5).sample(older, len(moments))
    owners = {i: company.get("employments", i)["person"]["id"] for i in chosen}
    persons_before = {person: company.updated_us("persons", person) for person in owners.values()}
    for record_id, at in zip(chosen, moments):
        company.update("employments", record_id=record_id, at=at)
    moved = [person for person, us in persons_before.items() if company.updated_us("persons", person) != us]
    if moved:
        raise RuntimeError(f"the emulator moved the updated_at of persons {moved}: the scenario did not happen")
    context.prepared = owners
    return {"employments": {record_id: exact(emulator, "employments", record_id) for record_id in chosen}}


def _persons_not_reread(context: Context) -> List[str]:
    """Says whether the persons of the changed employments came again: they need not (their updated_at
    stayed), so the employments must have been found on their own."""
    owners = set((context.prepared or {}).values())
    again = {data.get("id") for name, data in (context.second.records if context.second else []) if name == "persons"}
    context.notes.append(f"{len(owners & again)} of the {len(owners)} persons of the changed employments were"
                         f" re-read by persons (only the lookback brings them)")
    return []


def _refused_alone(refused: Mapping[str, str]) -> Callable[[Context], List[str]]:
    """`refused`: stream -> what its error must name (the scope or the module). Those streams fail with a
    config error saying so; every other selected stream completes, each incremental one with its state
    emitted; the closing summary names the refused streams; the read is not taken for an outage."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        for stream, named in refused.items():
            errors = [e for e in run.errors if (e.get("stream_descriptor") or {}).get("name") == stream]
            if not errors:
                problems.append(f"{stream}: no error trace of its own")
            elif not all(named in (e.get("message") or "") for e in errors):
                wrong = next(e for e in errors if named not in (e.get("message") or ""))
                problems.append(f"{stream}: an error does not name {named!r}: {(wrong.get('message') or '')[:200]!r}")
            elif any(e.get("failure_type") != "config_error" for e in errors):
                problems.append(f"{stream}: failure types {sorted({e.get('failure_type') for e in errors})}, not config_error")
            if run.statuses.get(stream) == "COMPLETE":
                problems.append(f"{stream} was refused yet reported COMPLETE")
        incremental = {entry["stream"]["name"] for entry in catalog("incremental", context.scenario.streams)["streams"]
                       if entry["sync_mode"] == "incremental"}
        for stream in context.scenario.streams:
            if stream in refused:
                continue
            if run.statuses.get(stream) != "COMPLETE":
                problems.append(f"{stream} (not refused) ended {run.statuses.get(stream)}, not COMPLETE")
            if stream in incremental and stream not in run.stream_states:
                problems.append(f"{stream} (not refused) emitted no state: it was not checkpointed")
        summary = [e for e in run.errors if "did not sync successfully" in (e.get("message") or "")]
        if not summary:
            problems.append("no closing 'did not sync successfully' error")
        else:
            missing = [stream for stream in refused if stream not in summary[-1]["message"]]
            if missing:
                problems.append(f"the closing error does not name {', '.join(missing)}")
        if any(UNAVAILABLE.search(e.get("message") or "") for e in run.errors):
            problems.append("a refusal was reported as an outage")
        if run.exit_code == 0:
            problems.append("exit code 0 although streams were refused")
        return problems
    return check


RECRUITING_STREAMS = ("recruiting_applications", "recruiting_candidates", "recruiting_jobs", "recruiting_categories")
# The streams behind the persistent outage: the windowed lists, and both per-parent lists (one cursor each,
# saved when the stream ends), so the row shows the next sync re-reading what the stopped one had not saved.
OUTAGE_STREAMS = ("persons", "absence_periods", "attendance_periods", "employments", "absence_period_breakdowns")

# Every stream of the manifest: one per emulator endpoint, and the custom attributes read from persons'
# pages. The row that selects them all checks this against `discover`, so a stream added later shows there.
EVERY_STREAM = (*ENDPOINTS, "person_custom_attributes")
# A small company for the row on every stream: its 24 months of compensations and its per-parent lists
# (a request per person, per absence) stay a few hundred requests.
SMALL_COMPANY = {"persons": 10, "absence_periods": 30, "attendance_periods": 60}


def _transient_faults_everywhere(context: Context) -> List[str]:
    """Every stream of the discovered catalog was selected and read to COMPLETE, with as many distinct
    records as the emulator holds (the loss accounting covers every stream through snapshot()), and every
    endpoint answered both a 503 and a reset: the faults hit every endpoint, not just the first ones."""
    run, stats, problems = context.run, context.emulator.stats, []
    discovered = {stream["name"] for stream in discovered_catalog()["streams"]}
    if discovered != set(context.scenario.streams):
        problems.append(f"the row's streams differ from discover: missing {sorted(discovered - set(context.scenario.streams))},"
                        f" unknown {sorted(set(context.scenario.streams) - discovered)}")
    emitted = count_emitted([run])
    for stream in context.scenario.streams:
        if run.statuses.get(stream) != "COMPLETE":
            problems.append(f"{stream} ended {run.statuses.get(stream)}, not COMPLETE")
        read = {key for (name, key) in emitted if name == stream}
        if not context.snap[stream]:
            problems.append(f"{stream}: the emulator holds no records, so its loss accounting proves nothing")
        elif read != set(context.snap[stream]):
            problems.append(f"{stream}: read {len(read)} distinct records, the emulator holds {len(context.snap[stream])}")
    for endpoint in ENDPOINTS:
        codes = stats.status_codes.get(endpoint, {})
        if not codes.get(503) or not codes.get("reset"):
            problems.append(f"{endpoint} answered {dict(codes)}: not both a 503 and a reset")
    return problems


RATE_LIMITS = {"persons": (2.0, 2), "absence_periods": (2.0, 2), "attendance_periods": (2.0, 2)}

SCENARIO_LIST = [
    # -- throttling ---------------------------------------------------------------------------------
    Scenario("429 storm with Retry-After", "2 req/s buckets on every endpoint; 429 + Retry-After + x-ratelimit-*",
             COMPLETES, settings={"rate_limits": RATE_LIMITS, "retry_after_on_429": True},
             bound_seconds=240, check=_throttled),
    Scenario("429 storm without Retry-After", "2 req/s buckets; 429 with only x-ratelimit-* headers",
             COMPLETES, settings={"rate_limits": RATE_LIMITS, "retry_after_on_429": False},
             bound_seconds=300, check=_throttled),
    # -- server errors and the network --------------------------------------------------------------
    Scenario("5xx burst on every endpoint", "503 twice, on the 3rd and 4th data request",
             COMPLETES, faults=({"kind": "status_503", "after": 2, "count": 2},)),
    # A per-parent endpoint is one bucket for all parents (contract §7): a small one on employments, under
    # the connector's default per-parent budget (10/s), so it is throttled all along.
    Scenario("429 storm on employments", "a 2 req/s bucket on /v2/persons/{id}/employments; 429 without Retry-After",
             COMPLETES, settings={"rate_limits": {"employments": (2.0, 2)}, "retry_after_on_429": False},
             streams=("persons", "employments"), bound_seconds=240, check=_throttled_on("employments")),
    Scenario("500 then 502 on one window", "500 then 502 on consecutive attendance requests",
             COMPLETES, faults=({"kind": "status_500", "stream": "attendance_periods", "after": 4},
                                {"kind": "status_502", "stream": "attendance_periods", "after": 4})),
    Scenario("connection resets", "2 connections reset without an answer (persons)",
             COMPLETES, faults=({"kind": "reset", "stream": "persons", "after": 1, "count": 2},),
             check=_status_seen("reset")),
    # Every stream selected, and on every endpoint its first request answers 503 and the retry finds the
    # connection reset: each stream retries twice (2 s + 3 s of backoff) and every stream completes whole.
    Scenario("transient faults on every stream", "on each of the 19 endpoints (20 streams): a 503, then a reset",
             COMPLETES, faults=tuple(fault for endpoint in ENDPOINTS for fault in (
                 {"kind": "status_503", "stream": endpoint, "count": 1}, {"kind": "reset", "stream": endpoint, "count": 1})),
             settings=SMALL_COMPANY, config=FAST_BUDGETS, streams=EVERY_STREAM, bound_seconds=60,
             check=_transient_faults_everywhere),
    Scenario("cut-off transfer", "Content-Length promises more bytes than are sent",
             COMPLETES, faults=({"kind": "short_body", "stream": "absence_periods", "after": 2},)),
    # Held past the 20 s read timeout, then answered (too late): the request is retried and the sync
    # completes, in about the timeout plus a backoff.
    Scenario("read timeout", f"one answer held back for {READ_TIMEOUT_SECONDS + 10} s (past the {READ_TIMEOUT_SECONDS} s read timeout)",
             COMPLETES, faults=({"kind": "timeout", "stream": "attendance_periods", "after": 2},),
             settings={"fault_hang_seconds": READ_TIMEOUT_SECONDS + 10}, bound_seconds=READ_TIMEOUT_SECONDS + 60,
             check=_waited_for_the_read_timeout),
    Scenario("token endpoint 503", "the token endpoint answers 503 twice",
             COMPLETES, faults=({"kind": "status_503", "stream": "token", "count": 2},)),
    # At the default window sizes and num_workers: the first request to run out of retries stops the whole
    # read (one retry budget, 36 s, after the first 503), and the next sync, the outage over, resumes from the
    # state and completes: every record is in one of the two. After 120 requests the windowed lists are done,
    # employments nearly and the breakdowns in part (a per-parent stream's cursor is saved only when it ends,
    # so the next sync reads it again).
    Scenario("persistent outage", "every data request after the 120th answers 503, for good (5 streams)",
             FAILS, faults=({"kind": "status_503", "after": 120, "count": None},), streams=OUTAGE_STREAMS,
             config=DEFAULT_WINDOWS, message=r"Personio is unavailable.*server errors \(HTTP 5xx\)", failure_type="transient_error",
             persistent=True, resume=True, bound_seconds=outage_bound_seconds() + 60,
             check=_stopped_at_the_outage("server errors (HTTP 5xx)")),
    # The slowest outage: every attempt waits out the read timeout, six attempts of 20 s and 36 s of waits.
    # It stops the streams inside their windows in flight; the next sync reads those again.
    # The first error says Personio is unavailable (a transient error); the CDK's "Read timed out" stays in its
    # internal message.
    Scenario("persistent outage, silent server", f"every data request after the 12th is held {READ_TIMEOUT_SECONDS + 5} s,"
             f" past the {READ_TIMEOUT_SECONDS} s read timeout, for good",
             FAILS, faults=({"kind": "timeout", "after": 12, "count": None},),
             settings={"fault_hang_seconds": READ_TIMEOUT_SECONDS + 5}, config=DEFAULT_WINDOWS,
             message=r"Personio is unavailable.*no answer within the timeout", failure_type="transient_error",
             persistent=True, per_attempt_seconds=READ_TIMEOUT_SECONDS, resume=True,
             bound_seconds=outage_bound_seconds(READ_TIMEOUT_SECONDS) + 30,
             check=_stopped_at_the_outage("no answer within the timeout")),
    # -- tokens and the credential ------------------------------------------------------------------
    Scenario("short token lifetime", "expires_in = 1 s, so tokens expire throughout the sync",
             COMPLETES, settings={"token_lifetime_seconds": 1, "latency_seconds": 0.2},
             config={"num_workers": 2}, check=_renewed_tokens),
    Scenario("token expired early", "the server expires every token after 10 requests (clock jump)",
             COMPLETES, trigger=(10, lambda emulator: emulator.advance_clock(2 * 86_400)),
             check=_status_seen(401)),
    Scenario("token revoked", "every token revoked after 10 requests; the credential still works",
             COMPLETES, trigger=(10, lambda emulator: emulator.revoke_tokens()), check=_status_seen(401)),
    Scenario("credential revoked", "secret rotated and tokens revoked after 10 requests",
             FAILS, trigger=(10, _revoke_credential), failure_type="config_error",
             message=r"(?i)client id|client secret|credential"),
    Scenario("scope withdrawn", "personio:absences:read withdrawn after 10 requests (403)",
             FAILS, trigger=(10, _withdraw_absences_scope), failure_type="config_error",
             message=r"personio:absences:read"),
    # -- what Personio leaves out or refuses -------------------------------------------------------------
    # The person's updated_at need not move when an employment changes: every person is asked each sync.
    Scenario("employment changed without its person", "5 employments changed between two incremental syncs"
             " (now, a late write, on the saved cursor, a second after it, on the lookback edge), persons untouched",
             COMPLETES, streams=("persons", "employments"), config=FAST_BUDGETS,
             between=_change_employments_without_their_persons, check=_persons_not_reread),
    Scenario("optional stream refused (403)", "the credential lacks personio:compensations:read (compensations selected)",
             FAILS, settings={"granted_scopes": set(ALL_SCOPES) - {"personio:compensations:read"}},
             streams=("persons", "absence_periods", "employments", "org_units", "workplaces", "compensations"),
             config=FAST_BUDGETS, failure_type="config_error",
             check=_refused_alone({"compensations": "personio:compensations:read"})),
    Scenario("recruiting module missing (404)", "the company has no Recruiting module (recruiting streams selected)",
             FAILS, settings={"unlicensed_modules": set(RECRUITING_STREAMS)},
             streams=("persons", "employments", "recruiting_applications", "recruiting_jobs", "workplaces", "jobs"),
             config=FAST_BUDGETS, failure_type="config_error",
             check=_refused_alone({"recruiting_applications": "Recruiting module", "recruiting_jobs": "Recruiting module"})),
    # -- hostile responses --------------------------------------------------------------------------
    Scenario("non-JSON body", "an HTML proxy page with status 200, once",
             COMPLETES, faults=({"kind": "non_json", "stream": "attendance_periods", "after": 2},)),
    # Like an outage: the first attendance request to run out of retries stops the read.
    Scenario("non-JSON body, persistent", "every attendance answer after the 3rd is an HTML page",
             FAILS, faults=({"kind": "non_json", "stream": "attendance_periods", "after": 3, "count": None},),
             config=DEFAULT_WINDOWS, message=r"Personio is unavailable.*no usable answer", failure_type="transient_error",
             persistent=True,
             bound_seconds=outage_bound_seconds() + 10, check=_stopped_at_the_outage("no usable answer")),
    Scenario("truncated JSON", "half of a page's JSON, once",
             COMPLETES, faults=({"kind": "truncated_json", "stream": "attendance_periods", "after": 2},)),
    Scenario("_data missing", "a page without _data, once",
             COMPLETES, faults=({"kind": "data_missing", "stream": "absence_periods", "after": 2},)),
    Scenario("_data not a list", "a page whose _data is an object, once",
             COMPLETES, faults=({"kind": "data_not_list", "stream": "persons", "after": 2},)),
    Scenario("record without id", "one attendance record lacks id",
             FAILS, faults=({"kind": "record_without_id", "stream": "attendance_periods", "after": 3},),
             message=r"without an 'id'"),
    Scenario("record without updated_at", "one attendance record lacks updated_at",
             EITHER, faults=({"kind": "record_without_updated_at", "stream": "attendance_periods", "after": 3},),
             message=r"updated_at", check=_logged_missing_cursor),
    # Passed through as sent: delivered, the CDK warns once, the state comes from the good values.
    Scenario("unparseable updated_at", f"one record's updated_at is {BAD_UPDATED_AT!r}",
             COMPLETES, faults=({"kind": "record_bad_updated_at", "stream": "attendance_periods", "after": 3},),
             check=_bad_updated_at_passed_through),
    # Windows of two years hold several pages each, so a page that links to itself hides the rest:
    # the sync must stop and say so; its state claims only windows it finished.
    Scenario("next link to itself", "the first attendance page's next link is its own URL",
             FAILS, faults=({"kind": "next_self", "stream": "attendance_periods"},),
             config={"window_size_days": 730}, failure_type="system_error",
             message=r"next link for attendance_periods points at the page just read"),
    Scenario("next link to another host", "a next link to http://127.0.0.2:<port>/… (a listener)",
             EITHER, faults=({"kind": "next_foreign", "stream": "attendance_periods", "count": 3},),
             config={"window_size_days": 730}, foreign_host=True, message=r"(?i)host|link",
             check=_nothing_sent_abroad),
    # The contract (personio-api.md §2): a page can be empty and still carry a next link, and a reader
    # must stop there. The empty page comes where a window's records end, as Personio sends it, so
    # stopping loses nothing; following its link would loop.
    Scenario("empty page with a next link", "every attendance window ends on an empty page whose next link loops",
             COMPLETES, prepare=EmptyPageAtWindowEnd, check=_stopped_at_the_empty_page),
    Scenario("huge page", "pages 10x the requested limit",
             COMPLETES, faults=({"kind": "huge_page", "stream": "attendance_periods", "count": None},)),
]


# -- link writings and loops ------------------------------------------------------------------------
# Servers that look like Personio write links differently (personio-api.md §2): `self` echoes the request as
# sent or carries the cursor alone, `next` carries the cursor alone (Personio's live shape) or `limit` too, in
# either order, the cursor percent-encoded or raw, links absolute or relative. One independent server's next
# link, after a full last page, led back to a page already read and then to itself, and a full sync looped
# forever: the loop rows below play that and three other loops on a windowed list, a per-person list, a monthly
# one and a recruiting list, each in another link writing. The sync must end, the looping stream fail with a
# message that names it and says "loop", every other stream complete, and the next sync, the fault gone,
# lose nothing. Short pages (the emulator's page cap) give a tiny company several pages per window, person and
# month; the runner kills a sync at LOOP_DEADLINE_SECONDS, so a connector that loops fails its row quickly.

LOOP_COMPANY = {"persons": 20, "absence_periods": 20, "attendance_periods": 60, "compensation_months": 4}
LOOP_DEADLINE_SECONDS = 150
PAGE_CAPS = {"attendance_periods": 2, "employments": 1, "compensations": 4, "recruiting_applications": 4}
LOOPED_STREAMS = tuple(PAGE_CAPS)
WRITINGS = {
    "absolute, cursor alone, %2B": {},
    "relative": {"relative_next_links": True},
    "cursor then limit": {"next_link": "cursor_limit"},
    "limit then cursor": {"next_link": "limit_cursor"},
    "raw +": {"link_cursor_escaping": "raw"},
    "self = cursor alone": {"self_link": "cursor"},
    "relative, limit then cursor, raw +, self = cursor": {
        "relative_next_links": True, "next_link": "limit_cursor", "link_cursor_escaping": "raw", "self_link": "cursor"},
}
# kind -> (after, count, what the table says); after and count count only the pages with records the loop can
# play on.
LOOP_SHAPES = {
    "next_repeat": (3, None, "from the {nth} page on, every next link leads to the page just read"),
    "next_back": (1, None, "from the {nth} page with more on, A's next link goes on to B and B's leads back to A"),
    "last_page_loops": (1, 1, "the {nth} page with no more after it links back to itself (cursor alone), then to"
                              " itself for good"),
    "repeat_forever": (2, 1, "from the {nth} page on, every next link is a new cursor to the same records"),
}
# A recruiting list is one open-ended window, so it has one last page: that one loops. The independent server's
# shape on attendance periods comes in the 6th window, read one window at a time, so the row shows the state
# keeping the five finished before it.
LOOP_AFTER = {("last_page_loops", "recruiting_applications"): 0, ("last_page_loops", "attendance_periods"): 5}
LOOP_IN_ORDER = {("last_page_loops", "attendance_periods")}
# Which link writing each loop row uses: every writing appears, each loop meets several.
LOOP_WRITINGS = {
    ("next_repeat", "attendance_periods"): "absolute, cursor alone, %2B",
    ("next_back", "attendance_periods"): "relative",
    ("last_page_loops", "attendance_periods"): "absolute, cursor alone, %2B",
    ("repeat_forever", "attendance_periods"): "relative, limit then cursor, raw +, self = cursor",
    ("next_repeat", "employments"): "cursor then limit",
    ("next_back", "employments"): "raw +",
    ("last_page_loops", "employments"): "self = cursor alone",
    ("repeat_forever", "employments"): "limit then cursor",
    ("next_repeat", "compensations"): "raw +",
    ("next_back", "compensations"): "limit then cursor",
    ("last_page_loops", "compensations"): "relative",
    ("repeat_forever", "compensations"): "self = cursor alone",
    ("next_repeat", "recruiting_applications"): "limit then cursor",
    ("next_back", "recruiting_applications"): "absolute, cursor alone, %2B",
    ("last_page_loops", "recruiting_applications"): "raw +",
    ("repeat_forever", "recruiting_applications"): "cursor then limit",
}


def _loop_stopped(stream: str, keeps_windows: bool = False) -> Callable[[Context], List[str]]:
    """The looping stream fails with an error naming it and saying "loop"; every other selected stream
    completes; the exit status is non-zero; the loop is not taken for an outage. With `keeps_windows` (windows
    read in order, the loop in a later one) the looping stream's state is past the start date."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        if run.killed:
            return []  # judge() says it did not end
        messages = [e.get("message") or "" for e in run.errors]
        said = [m for m in messages if stream in m and re.search(r"(?i)\bloop", m)]
        if not said:
            shown = [m[:160] for m in messages[:2]]
            problems.append(f"no error trace naming {stream} and saying 'loop' (errors: {shown})")
        if run.statuses.get(stream) == "COMPLETE":
            problems.append(f"{stream} looped yet reported COMPLETE")
        for other in context.scenario.streams:
            if other != stream and run.statuses.get(other) != "COMPLETE":
                problems.append(f"{other} (not looping) ended {run.statuses.get(other)}, not COMPLETE")
        if run.exit_code == 0:
            problems.append("exit code 0 although a stream looped")
        if any(UNAVAILABLE.search(m) for m in messages):
            problems.append("a loop was reported as an outage")
        kept = run.cursor(stream)
        if keeps_windows and (kept is None or kept <= parse_instant(context.config["start_date"])):
            problems.append(f"{stream}: the state kept no finished window ({kept})")
        context.notes.append(f"{context.emulator.stats.requests.get(stream, 0)} {stream} requests; its state kept"
                             f" at {run.cursor(stream) or 'nothing (no window finished in order)'}")
        return problems
    return check


def _links_followed(context: Context) -> List[str]:
    """Every capped list was read past its first pages (requests with a cursor answered 200), and no request
    was refused: the link writing was followed, not just present."""
    problems = []
    for stream in LOOPED_STREAMS:
        entries = context.emulator.stats.entries(stream)
        followed = sum(1 for e in entries if "cursor" in e["query"] and e["status"] == 200)
        refused = sum(1 for e in entries if e["status"] == 400)
        if not followed:
            problems.append(f"{stream}: no next link was followed")
        if refused:
            problems.append(f"{stream}: {refused} requests refused (400): the link was not sent as written")
    return problems


def _writing_scenarios() -> List[Scenario]:
    rows = []
    for writing, settings in WRITINGS.items():
        rows.append(Scenario(
            f"links: {writing}", f"links written {writing}; pages of 1 to 4 records", COMPLETES,
            settings={**LOOP_COMPANY, "page_cap": PAGE_CAPS, **settings}, config=FAST_BUDGETS,
            streams=("persons",) + LOOPED_STREAMS, bound_seconds=LOOP_DEADLINE_SECONDS,
            deadline=LOOP_DEADLINE_SECONDS, check=_links_followed, group="links"))
    return rows


def _loop_scenarios() -> List[Scenario]:
    rows = []
    for kind, (after, count, said) in LOOP_SHAPES.items():
        for stream in LOOPED_STREAMS:
            writing = LOOP_WRITINGS[(kind, stream)]
            fault = {"kind": kind, "stream": stream, "after": LOOP_AFTER.get((kind, stream), after), "count": count}
            nth = {1: "1st", 2: "2nd", 3: "3rd"}.get(fault["after"] + 1, f"{fault['after'] + 1}th")
            in_order = (kind, stream) in LOOP_IN_ORDER
            rows.append(Scenario(
                f"loop: {kind} on {stream} ({writing})", f"{stream}: {said.format(nth=nth)}; links {writing}"
                + ("; one window at a time" if in_order else ""), FAILS, faults=(fault,),
                settings={**LOOP_COMPANY, "page_cap": {stream: PAGE_CAPS[stream]}, **WRITINGS[writing]},
                config={**FAST_BUDGETS, **({"num_workers": 1} if in_order else {})}, streams=("persons", stream),
                resume=True, bound_seconds=LOOP_DEADLINE_SECONDS, deadline=LOOP_DEADLINE_SECONDS,
                check=_loop_stopped(stream, keeps_windows=in_order), group="loops"))
    return rows


SCENARIO_LIST += _writing_scenarios() + _loop_scenarios()
SCENARIOS = {scenario.name: scenario for scenario in SCENARIO_LIST}


class FirstFired:
    """When the first of `faults` fired (time.monotonic()), or None."""

    def __init__(self, faults: Sequence[Fault]):
        self.at: Optional[float] = None
        for fault in faults:
            consume = fault._consume

            def consume_and_note(consume=consume) -> None:
                if self.at is None:
                    self.at = time.monotonic()
                consume()

            fault._consume = consume_and_note


def run_scenario(scenario: Scenario, sleep_scale: float = 1) -> Outcome:
    """One sync under `scenario` (and, for a scenario that resumes, the next one), judged. `sleep_scale`
    applies to persistent scenarios only."""
    scale = sleep_scale if scenario.persistent else 1
    outcome = Outcome(scenario.name, scenario.group, scenario.fault, scenario.expect, compressed=scale != 1)
    emulator = Emulator(EmulatorSettings(**{**COMPANY, **scenario.settings}))
    foreign = ForeignHost() if scenario.foreign_host else None
    if foreign is not None:
        emulator.settings.foreign_base_url = foreign.url + "/"
    emulator.start()
    try:
        tokens = TokenLog(emulator)
        config = config_over_windows(emulator, scenario.config)
        snap = snapshot(emulator, scenario.streams, parse_instant(config["start_date"]))
        faults = [emulator.add_fault(Fault(**spec)) for spec in scenario.faults]
        trigger = AfterRequests(emulator, *scenario.trigger) if scenario.trigger else None
        prepared = scenario.prepare(emulator) if scenario.prepare else None
        selected = catalog("incremental", scenario.streams)
        bound = scenario.bound_for(config)
        first_failure = FirstFired(faults)
        # Killed well past the bound, so the measured (or estimated) time, not the kill, tells how long it takes.
        deadline = scenario.deadline or (bound * 2 + (120 if scenario.persistent else 0)) / scale + 30
        run = run_connector("read", config, selected, deadline=deadline, sleep_scale=scale)
        if scenario.persistent and first_failure.at is not None:
            outcome.outage_seconds = run.ended - first_failure.at + run.skipped_sleep
        judge(outcome, scenario, run, snap, config, bound)
        context = Context(scenario, emulator, run, tokens, foreign, snap, config, prepared)
        if scenario.resume or scenario.between is not None:
            emulator.clear_faults()
            must_read = scenario.between(context) if scenario.between is not None else {}
            context.second = run_connector("read", config, selected, state=list(run.stream_states.values()),
                                           deadline=scenario.deadline or 600)
            judge_next_sync(outcome, run, context.second, snap, must_read)
        outcome.secrets = secrets_seen(run.output + (context.second.output if context.second else ""),
                                       emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
        if outcome.secrets:
            outcome.problems.append(f"secret seen in the output: {', '.join(outcome.secrets)}")
        for fault in faults:
            if not fault.fired:
                outcome.problems.append(f"fault {fault.kind} never fired: the scenario did not happen")
        if trigger is not None and not trigger.fired:
            outcome.problems.append("the mid-sync change never happened (too few requests)")
        if foreign is not None:
            outcome.notes.append(f"{len(foreign.requests)} request(s) reached the foreign host")
        token_answers = {s: n for s, n in emulator.stats.status_codes.get("token", {}).items() if s != 200}
        if token_answers:
            outcome.notes.append("token endpoint also answered " + ", ".join(f"{s} x{n}" for s, n in token_answers.items()))
        if scenario.check is not None:
            outcome.problems.extend(scenario.check(context))
        outcome.notes.extend(context.notes)
        return outcome
    finally:
        emulator.stop()
        if foreign is not None:
            foreign.stop()


def judge_next_sync(outcome: Outcome, first: Run, second: Run, snap: Snapshot,
                    must_read: Mapping[str, Mapping[Key, datetime]]) -> None:
    """The sync after the first one, the fault gone: it completes; the two together hold every record the
    emulator held at the start; the second holds every change made in between, with its new cursor value."""
    outcome.result += f"; next sync {second.result}"
    outcome.seconds += second.seconds
    outcome.real_seconds += second.real_seconds
    problems = outcome.problems
    if not second.completed:
        errors = [e.get("message") or "" for e in second.errors]
        problems.append(f"the next sync did not complete: {second.result} {errors[:1]}")
    both = count_emitted([first, second])
    missing = lost_records(snap, {stream: set(keys) for stream, keys in snap.items()}, both)
    changed: Dict[str, List[Key]] = {}
    for stream, expected in must_read.items():
        field_name = CURSOR_FIELDS.get(stream, "updated_at")
        read: Dict[Key, List[datetime]] = {}
        for name, data in second.records:
            if name == stream and isinstance(data.get(field_name), str):
                read.setdefault(key_of(stream, data), []).append(parse_instant(data[field_name]))
        changed[stream] = sorted((k for k, at in expected.items() if not any(seen >= at for seen in read.get(k, []))), key=str)
    lost = {stream: set(missing.get(stream, [])) | set(changed.get(stream, [])) for stream in set(missing) | set(changed)}
    count = sum(len(keys) for keys in lost.values())
    if count:
        where = "; ".join(f"{stream}: {len(keys)} ({sorted(keys, key=str)[:3]})" for stream, keys in lost.items() if keys)
        problems.append(f"{count} records in neither sync, or changed in between and not read by the next one ({where})")
    outcome.lost = max(outcome.lost or 0, count)
    read_by = lambda run: ", ".join(f"{stream} {n}" for stream, n in Counter(s for s, _ in run.records).items()) or "nothing"
    outcome.notes.append(f"records read by the first sync: {read_by(first)}; by the next: {read_by(second)}")
    if must_read:
        outcome.notes.append("next sync read " + ", ".join(
            f"{len(expected) - len(changed[stream])} of {len(expected)} changed {stream}" for stream, expected in must_read.items()))


def judge(outcome: Outcome, scenario: Scenario, run: Run, snap: Snapshot, config: Mapping[str, Any],
          bound: float) -> None:
    outcome.result = run.result
    outcome.seconds, outcome.real_seconds = run.seconds, run.real_seconds
    first_error = run.errors[0] if run.errors else {}
    outcome.error = first_error.get("message") or ""
    problems = outcome.problems

    if run.killed:
        problems.append(f"did not end: {run.killed}")
    elif scenario.expect == COMPLETES and not run.completed:
        problems.append(f"expected the sync to complete; it {run.result}: {outcome.error[:200]}")
    elif scenario.expect == FAILS and run.completed:
        problems.append("expected a clear failure; the sync reported success")
    elif not run.completed:
        if scenario.message and not re.search(scenario.message, outcome.error):
            problems.append(f"unclear error (expected /{scenario.message}/): {outcome.error[:200]!r}")
        if scenario.failure_type and first_error.get("failure_type") != scenario.failure_type:
            problems.append(f"failure_type {first_error.get('failure_type')}, expected {scenario.failure_type}")
    estimated = " (estimated real time)" if run.skipped_sleep else ""
    if scenario.persistent and outcome.outage_seconds is not None:
        limit = min(bound, OUTAGE_LIMIT_SECONDS)
        if outcome.outage_seconds > limit:
            attempts = f" + {MAX_RETRIES + 1} x {scenario.per_attempt_seconds:.0f} s" if scenario.per_attempt_seconds else ""
            problems.append(f"went on {outcome.outage_seconds:.0f} s{estimated} after the first failing answer, over the"
                            f" {limit:.0f} s bound ({RETRY_BUDGET_SECONDS} s of retries{attempts} + {SLACK_SECONDS} s,"
                            f" at most {OUTAGE_LIMIT_SECONDS} s)")
    elif scenario.persistent:
        problems.append("the persistent fault never fired")
    elif run.real_seconds > bound:
        problems.append(f"took {run.real_seconds:.0f} s{estimated}, over the {bound:.0f} s bound")

    emitted = count_emitted([run])
    lost = lost_records(snap, must_have(snap, run), emitted)
    outcome.lost = sum(len(ids) for ids in lost.values())
    if outcome.lost:
        where = ", ".join(f"{stream}: {len(ids)}" for stream, ids in lost.items() if ids)
        if run.completed and logged_skip(run, outcome.lost):
            outcome.notes.append(f"{outcome.lost} records skipped, logged with their count")
        else:
            verb = "lost silently (the sync reported success)" if run.completed else "lost from windows the state claims done"
            problems.append(f"{outcome.lost} records {verb} ({where})")

    start, steps = parse_instant(config["start_date"]), window_steps(config)
    duplicated = [(s, i) for (s, i), n in emitted.items() if n > 1]
    outcome.duplicated = len(duplicated)
    unexplained = [(s, k) for s, k in duplicated
                   if s not in steps or snap[s].get(k) is None or not on_window_edge(snap[s][k], start, steps[s])]
    if unexplained:
        problems.append(f"{len(unexplained)} records emitted twice away from any window edge")


# -- interruption trials -------------------------------------------------------------------------------

TRIAL_COMPANY = {"seed": 11, "persons": 30, "absence_periods": 150, "attendance_periods": 400}


RESUME_WINDOWS = 2  # records read by both the killed and the resumed sync: at most this many windows' worth


@dataclass(frozen=True)
class Trial:
    number: int
    kill_after_lines: int

    @property
    def name(self) -> str:
        return f"interruption #{self.number:02d}"


def interruption_trials(count: int = 20, seed: int = 20_241_125) -> List[Trial]:
    """`count` kill points, seeded: after 1 to (records in the company) stdout lines, so every kill lands
    before the end. Every trial runs the connector's default settings (window sizes, ten workers)."""
    rng = random.Random(seed)
    total = sum(TRIAL_COMPANY[s] for s in STREAMS)
    return [Trial(n, rng.randint(1, total)) for n in range(1, count + 1)]


def run_trial(trial: Trial) -> Outcome:
    """Kill a sync after `trial.kill_after_lines` lines, resume it from the last state it emitted, and
    judge the union of both: nothing lost, and per stream, the records both syncs read (read twice) at most
    RESUME_WINDOWS times the records of the stream's largest window.

    The state holds every finished window (source_personio/resume_state.py), so the resumed sync reads the
    windows unfinished at the kill and the lookback before the last finished one; what it reads twice is what
    the killed sync had read of those."""
    outcome = Outcome(trial.name, "interruption",
                      f"SIGKILL after {trial.kill_after_lines} lines (default settings), then resume",
                      f"resumes: 0 lost, read twice <= {RESUME_WINDOWS}x one window per stream")
    with Emulator(EmulatorSettings(**TRIAL_COMPANY)) as emulator:
        tokens = TokenLog(emulator)
        snap = snapshot(emulator)
        config = config_over_windows(emulator, DEFAULT_WINDOWS)
        killed = run_connector("read", config, catalog(), kill_after_lines=trial.kill_after_lines, deadline=300)
        resumed = run_connector("read", config, catalog(), state=list(killed.stream_states.values()), deadline=300)
        outcome.secrets = secrets_seen(killed.output + resumed.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = killed.seconds + resumed.seconds
    outcome.result = f"{'killed' if killed.killed else 'ended by itself'}, then resume {resumed.result}"
    outcome.error = (resumed.errors[0].get("message") or "") if resumed.errors else ""
    problems = outcome.problems
    if not killed.killed:
        problems.append(f"the first run was not interrupted (it {killed.result} in {len(killed.lines)} lines)")
    if not resumed.completed:
        problems.append(f"the resumed sync did not complete: {resumed.result} {outcome.error[:200]}")
    if outcome.secrets:
        problems.append(f"secret seen in the output: {', '.join(outcome.secrets)}")

    emitted = count_emitted([killed, resumed])
    lost = lost_records(snap, {s: set(snap[s]) for s in STREAMS}, emitted)
    outcome.lost = sum(len(ids) for ids in lost.values())
    if outcome.lost:
        problems.append(f"{outcome.lost} records lost: " + ", ".join(f"{s}: {ids[:3]}" for s, ids in lost.items() if ids))
    outcome.duplicated = sum(1 for n in emitted.values() if n > 1)

    first, second = count_emitted([killed]), count_emitted([resumed])
    for stream in STREAMS:
        twice = sum(1 for (s, key) in first if s == stream and (s, key) in second)
        largest = max([sum(1 for at in snap[stream].values() if a <= at < b) for a, b in windows_of(config, stream)] or [0])
        outcome.read_twice[stream] = (twice, RESUME_WINDOWS * largest)
    outcome.result += "; read twice " + ", ".join(f"{s} {n} (<= {bound})" for s, (n, bound) in outcome.read_twice.items())
    over = {s: v for s, v in outcome.read_twice.items() if v[0] > v[1]}
    if over:
        outcome.bound_violation = "read twice beyond " + ", ".join(
            f"{s}: {n} > {bound} ({RESUME_WINDOWS}x one window)" for s, (n, bound) in over.items())
        problems.append(outcome.bound_violation)
    return outcome


# -- bad configs ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BadConfig:
    name: str
    field: str  # the field the message must name
    change: Mapping[str, Any]  # over a working config; None removes the field


BAD_CONFIGS = [
    BadConfig("client_id of the wrong type", "client_id", {"client_id": 12345}),
    BadConfig("empty client_secret", "client_secret", {"client_secret": ""}),
    BadConfig("missing client_secret", "client_secret", {"client_secret": None}),
    BadConfig("malformed start_date", "start_date", {"start_date": "01/02/2024"}),
    BadConfig("impossible start_date", "start_date", {"start_date": "2024-02-30T00:00:00Z"}),
    BadConfig("future start_date", "start_date", {"start_date": "2999-01-01T00:00:00Z"}),
    BadConfig("plain-http api_url", "api_url", {"api_url": "http://api.personio.de"}),
    BadConfig("window size as text", "window_size_days", {"window_size_days": "ninety"}),
    BadConfig("negative lookback", "lookback_window_hours", {"lookback_window_hours": -1}),
]


def run_bad_config(case: BadConfig) -> Outcome:
    """`check` must fail and `read` must stop with a config error, both naming the field."""
    outcome = Outcome(f"bad config: {case.name}", "bad config", f"{case.field} = {case.change[case.field]!r}",
                      f"check FAILED and read config_error, naming '{case.field}'")
    # An emulator, so a config the connector wrongly accepted would sync rather than hang on retries.
    with Emulator(EmulatorSettings(seed=3, persons=5, absence_periods=5, attendance_periods=5)) as emulator:
        tokens = TokenLog(emulator)
        config = {**emulator.config(**WINDOWS), **case.change}
        config = {k: v for k, v in config.items() if v is not None}
        check = run_connector("check", config, deadline=120)
        read = run_connector("read", config, catalog(), deadline=120)
        outcome.secrets = secrets_seen(check.output + read.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = check.seconds + read.seconds
    status = check.connection_status or {}
    read_error = read.errors[0] if read.errors else {}
    outcome.result = f"check {status.get('status', 'no status')}, read {read.result}"
    outcome.error = status.get("message") or ""
    problems = outcome.problems
    if status.get("status") != "FAILED":
        problems.append(f"check did not fail: {status}")
    elif f"'{case.field}'" not in (status.get("message") or ""):
        problems.append(f"check's message does not name '{case.field}': {status.get('message')!r}")
    if read.completed or read_error.get("failure_type") != "config_error":
        problems.append(f"read did not stop with a config error: {read.result}")
    elif f"'{case.field}'" not in (read_error.get("message") or ""):
        problems.append(f"read's error does not name '{case.field}': {read_error.get('message')!r}")
    if read.exit_code == 0:
        problems.append("read exited 0 on a bad config")
    if outcome.secrets:
        problems.append(f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome


# -- secrets in the remaining paths --------------------------------------------------------------------


def run_wrong_secret() -> Outcome:
    """A wrong client secret is still a secret: check and read must fail without printing it."""
    outcome = Outcome("wrong client secret", "secrets", "client_secret is wrong (check and read)",
                      "both fail with a credentials message; the wrong secret never printed")
    wrong = "wrong-" + "s3cr3t-" * 4
    with Emulator(EmulatorSettings(seed=3, persons=5, absence_periods=5, attendance_periods=5)) as emulator:
        tokens = TokenLog(emulator)
        config = emulator.config(**WINDOWS, client_secret=wrong)
        check = run_connector("check", config, deadline=180)
        read = run_connector("read", config, catalog(), deadline=180)
        outcome.secrets = secrets_seen(check.output + read.output, wrong, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = check.seconds + read.seconds
    status = check.connection_status or {}
    outcome.result = f"check {status.get('status')}, read {read.result}"
    outcome.error = status.get("message") or ""
    if status.get("status") != "FAILED" or not re.search(r"(?i)client secret", outcome.error):
        outcome.problems.append(f"check does not point at the credentials: {status}")
    if read.completed or (read.errors[:1] or [{}])[0].get("failure_type") != "config_error":
        outcome.problems.append(f"read did not stop with a config error: {read.result}")
    if outcome.secrets:
        outcome.problems.append(f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome


def run_debug_read() -> Outcome:
    """`read --debug` logs every request and response: headers and bodies must come out masked."""
    outcome = Outcome("debug logging", "secrets", "read --debug (requests, headers and bodies logged)",
                      "completes; no secret or token in the debug output")
    with Emulator(EmulatorSettings(seed=3, persons=10, absence_periods=20, attendance_periods=40)) as emulator:
        tokens = TokenLog(emulator)
        run = run_connector("read", emulator.config(**WINDOWS), catalog(), extra_args=["--debug"], deadline=180)
        outcome.secrets = secrets_seen(run.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = run.seconds
    outcome.result = run.result
    if not run.completed:
        outcome.problems.append(f"the debug read did not complete: {run.result}")
    if outcome.secrets:
        outcome.problems.append(f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome


# -- the whole suite -----------------------------------------------------------------------------------


class Suite:
    """Every scenario, trial, bad config and secret check, run in a thread pool (each with its own
    emulator and connector process); `outcome(name)` waits for one."""

    def __init__(self, sleep_scale: float = 1, trials: int = 20, seed: int = 20_241_125, workers: int = 6,
                 only: Optional[Callable[[str], bool]] = None):
        self.sleep_scale = sleep_scale
        self.jobs: Dict[str, Callable[[], Outcome]] = {}
        for scenario in SCENARIO_LIST:
            self.jobs[scenario.name] = lambda s=scenario: run_scenario(s, sleep_scale)
        for trial in interruption_trials(trials, seed):
            self.jobs[trial.name] = lambda t=trial: run_trial(t)
        for case in BAD_CONFIGS:
            self.jobs[f"bad config: {case.name}"] = lambda c=case: run_bad_config(c)
        self.jobs["wrong client secret"] = run_wrong_secret
        self.jobs["debug logging"] = run_debug_read
        if only is not None:
            self.jobs = {name: job for name, job in self.jobs.items() if only(name)}
        self.workers = workers
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._futures: Dict[str, concurrent.futures.Future] = {}
        self._lock = threading.Lock()

    def start(self) -> "Suite":
        """Submit everything; the longest (persistent faults, timeouts, throttling) first."""
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="fault")
                slow = sorted((n for n in self.jobs if n in SCENARIOS and SCENARIOS[n].bound_seconds > 60),
                              key=lambda n: -SCENARIOS[n].bound_seconds)
                for name in slow + [n for n in self.jobs if n not in slow]:
                    self._futures[name] = self._pool.submit(self._guarded, name)
        return self

    def _guarded(self, name: str) -> Outcome:
        try:
            return self.jobs[name]()
        except Exception as error:  # a broken harness shows as a row, not as a hung suite
            outcome = Outcome(name, "harness", "", "")
            outcome.result = "harness error"
            outcome.problems.append(f"the harness failed: {error!r}")
            return outcome

    def names(self, group: Optional[str] = None) -> List[str]:
        names = list(self.jobs)
        if group == "faults":
            return [n for n in names if n in SCENARIOS]
        if group == "interruption":
            return [n for n in names if n.startswith("interruption #")]
        if group == "bad config":
            return [n for n in names if n.startswith("bad config: ")]
        return names

    def outcome(self, name: str) -> Outcome:
        self.start()
        return self._futures[name].result()

    def outcomes(self) -> Iterable[Outcome]:
        """Every outcome, in the order of `names()`, each as soon as it and those before it are done."""
        for name in self.names():
            yield self.outcome(name)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


_shared: Dict[Tuple, Suite] = {}
_shared_lock = threading.Lock()


def shared_suite(rows: Optional[frozenset] = None, **options) -> Suite:
    """One started Suite per set of rows and options in this process, so test modules share the runs."""
    key = (rows, tuple(sorted(options.items())))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Suite(only=None if rows is None else rows.__contains__, **options).start()
        return _shared[key]


# -- the table -----------------------------------------------------------------------------------------


def _cell(value: Optional[int]) -> str:
    return "-" if value is None else str(value)


def table(outcomes: Iterable[Outcome]) -> List[str]:
    """The fault table as text lines: fault, outcome, records lost, records duplicated, secret seen."""
    header = ("fault", "outcome", "lost", "dup", "secret seen", "time", "verdict")
    rows = []
    for o in outcomes:
        time_text = f"{o.seconds:.0f}s" if not o.compressed else f"{o.seconds:.0f}s (≈{o.real_seconds:.0f}s real)"
        if o.outage_seconds is not None:
            time_text += f"; failed {o.outage_seconds:.0f}s after the first failing answer"
        rows.append((o.name, o.result, _cell(o.lost), _cell(o.duplicated),
                     "yes: " + ", ".join(o.secrets) if o.secrets else "no", time_text,
                     "ok" if o.ok else "PROBLEM"))
    widths = [max(len(header[i]), *(len(r[i]) for r in rows)) if rows else len(header[i]) for i in range(len(header))]
    line = lambda cells: "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()
    return [line(header), line(tuple("-" * w for w in widths))] + [line(r) for r in rows]


# -- for pytest ----------------------------------------------------------------------------------------

# How the integration tests run the suite: in real time (the persistent faults wait 40 s on their backoff,
# the silent server about 160 s, the read timeout 30 s; all at once), 20 trials, six rows at a time.
TEST_OPTIONS = {"sleep_scale": 1, "trials": 20, "workers": 6}


def suite_for_tests(items: Iterable[Any]) -> Suite:
    """The shared Suite running just the rows the selected tests ask for (their `row` or `rows`
    parameter), all at once, so that test_faults.py and test_secrets.py wait on the same runs."""
    wanted = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("row"), str):
            wanted.add(params["row"])
        wanted.update(params.get("rows") or ())
    return shared_suite(rows=frozenset(wanted), **TEST_OPTIONS)
