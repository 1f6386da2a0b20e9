"""Running the installed connector for one row of the fault suite."""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from tools.sync_runner import SourceRunner, configured_catalog
from tools.fault_suite.records import parse_instant
from tools.fault_suite.settings import CURSOR_FIELDS, Message, STREAMS


CONNECTOR = Path(sys.executable).parent / "source-personio"


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
"""Written by tools/fault_suite/connector.py for connector processes it runs with compressed sleeps.

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
