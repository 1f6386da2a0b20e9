"""Run the installed `source-personio` command the way Airbyte does, and collect what it prints.

    from tools.sync_runner import SourceRunner
    from tools.catalogs import configured_catalog, cursor_value
    runner = SourceRunner()
    runner.check(config).connection_status          # {"status": "SUCCEEDED"}
    catalog = configured_catalog(runner.discover(config).catalog)   # every stream; incremental where it can be
    first = runner.read(config, catalog)
    second = runner.read(config, catalog, state=first.final_state)
    second.records["persons"], second.states["persons"], second.error_messages, second.seconds
    second.stream_errors["compensations"], cursor_value(second.states["employments"])

Each call starts one subprocess (`source-personio <command> --config … [--catalog …] [--state …]`) with the
config, catalog and state written to a private temporary directory that is removed afterwards, and parses
its stdout line by line as it arrives. Records are kept in memory per stream, or, with `records_dir`, written
straight to `<records_dir>/<stream>.jsonl` and only counted, or with `records="count"` only counted (with
`records="ids"`, their ids kept too). Nothing here prints or logs the config: use tools.catalogs.redacted() before
showing one.

It is the one runner of the connector for the tools and the tests. What some of them need besides:

    SourceRunner(timeout=150, kill_at_timeout=True)     # a run still going at 150 s is killed, not raised
    runner.read(config, catalog, stop_after_lines=40)   # killed after 40 stdout lines (an interrupted sync)
    runner.read(config, catalog, stop_when=lambda: …)   # killed once the condition holds (polled every 50 ms)
    SourceRunner(keep_output=True)                      # every stdout line kept: result.output for secret scans
    SourceRunner(sleep_scale=10)                        # the connector's backoff sleeps 10x shorter
    SourceRunner(measure=True)                          # result.cpu_seconds and result.peak_mb
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Callable, Dict, Iterator, List, Mapping, Optional, Sequence, Set, Tuple, Union

from tools.preloaded_launcher import PreloadedProcess
from tools.process_wrappers import COMPRESSED_SLEEP, MEASURING_LAUNCHER

COMMAND = "source-personio"
# On, the installed command's runs are forked from an interpreter that has imported it already
# (tools/preloaded_launcher.py), which saves each run about 1.4 s of CPU. Off by default.
PRELOADED = {"on": False}

Message = Dict[str, Any]


def find_command(name: str = COMMAND) -> str:
    """The console script installed next to the running interpreter, else the first one on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(
            f"{name} is not installed next to {sys.executable} nor on PATH; install the package (pip install -e .)"
        )
    return found


@dataclass
class RunResult:
    """What one run of the connector printed, sorted by message type."""

    command: List[str]  # the argv, with the temporary file paths
    exit_code: int
    seconds: float  # wall time from start to exit
    records: Dict[str, List[Message]] = field(default_factory=dict, repr=False)  # per stream, without records_dir
    record_counts: Dict[str, int] = field(default_factory=dict)
    records_files: Dict[str, Path] = field(default_factory=dict)  # stream -> jsonl file, with records_dir
    states: Dict[str, Any] = field(default_factory=dict)  # the LAST stream_state per stream
    state_history: Dict[str, List[Any]] = field(default_factory=dict, repr=False)  # each stream_state, in order
    state_messages: Dict[str, Message] = field(default_factory=dict)  # the last raw STATE message per stream
    global_states: List[Message] = field(default_factory=list)  # STATE messages of another type than STREAM
    logs: List[Message] = field(default_factory=list, repr=False)  # {"level": …, "message": …}
    traces: List[Message] = field(default_factory=list, repr=False)  # every TRACE message's `trace`
    stream_status: Dict[str, str] = field(default_factory=dict)  # last status per stream (STARTED, COMPLETE, …)
    stream_seconds: Dict[str, float] = field(default_factory=dict)  # seconds from start to the stream's last status
    connection_status: Optional[Message] = None
    spec: Optional[Message] = field(default=None, repr=False)
    catalog: Optional[Message] = field(default=None, repr=False)  # the discovered catalog
    other: List[Message] = field(default_factory=list)  # any other message type
    non_json_lines: List[str] = field(default_factory=list)  # stdout lines that are not Airbyte messages
    stderr: str = field(default="", repr=False)
    ids: Dict[str, Set[Any]] = field(default_factory=dict, repr=False)  # per stream, with records="ids"
    stdout: List[str] = field(default_factory=list, repr=False)  # every stdout line, with keep_output
    killed: Optional[str] = None  # why the runner killed the process, if it did
    ended: float = 0.0  # time.monotonic() when the process had exited
    skipped_sleep: float = 0.0  # backoff the busiest thread did not wait for (sleep_scale)
    cpu_seconds: float = 0.0  # with measure
    peak_mb: float = 0.0  # with measure

    @property
    def errors(self) -> List[Message]:
        """The `error` part of every ERROR trace."""
        return [t["error"] for t in self.traces if t.get("type") == "ERROR" and t.get("error")]

    @property
    def error_messages(self) -> List[str]:
        return [error.get("message") or "" for error in self.errors]

    @property
    def stream_errors(self) -> Dict[str, List[str]]:
        """The messages of the ERROR traces that name a stream, per stream."""
        found: Dict[str, List[str]] = {}
        for error in self.errors:
            stream = (error.get("stream_descriptor") or {}).get("name")
            if stream:
                found.setdefault(stream, []).append(error.get("message") or "")
        return found

    @property
    def succeeded(self) -> bool:
        """Exit code 0, no error trace, not killed, and for check a SUCCEEDED status."""
        if self.exit_code != 0 or self.errors or self.killed:
            return False
        return self.connection_status is None or self.connection_status.get("status") == "SUCCEEDED"

    @property
    def summary(self) -> str:
        """"completed", "killed (why)" or "failed (the first error's failure type, else the exit code)"."""
        if self.killed:
            return f"killed ({self.killed})"
        if self.succeeded:
            return "completed"
        kinds = sorted({error.get("failure_type") or "?" for error in self.errors[:1]})
        return f"failed ({', '.join(kinds) or f'exit {self.exit_code}'})"

    @property
    def output(self) -> str:
        """Everything the process printed (stdout only with keep_output), for secret scans."""
        return "".join(self.stdout) + self.stderr

    @property
    def real_seconds(self) -> float:
        """Wall time, plus the waiting shortened sleeps skipped: about what the run costs in real time."""
        return self.seconds + self.skipped_sleep

    @property
    def stream_states(self) -> Dict[str, Message]:
        """The last STATE of each stream, as `read --state` takes them (the `state` part of the message)."""
        return {stream: message["state"] for stream, message in self.state_messages.items()}

    @property
    def final_state(self) -> List[Message]:
        """The last state of every stream, as the list of STATE messages a next `read --state` takes."""
        return [message["state"] for message in self.state_messages.values()] + [m["state"] for m in self.global_states]

    def each_record(self) -> Iterator[Tuple[str, Message]]:
        """(stream, record data) for every record kept in memory, stream by stream."""
        for stream, records in self.records.items():
            for data in records:
                yield stream, data

    def total_records(self) -> int:
        return sum(self.record_counts.values())


class SourceRunner:
    """Runs one connector command; `env` adds to (does not replace) this process's environment.

    `command` is the program (default: the installed source-personio), or its argv prefix (say
    `[python, -m, some.reader]`). At `timeout` seconds the process is killed: the run raises TimeoutExpired, or
    with `kill_at_timeout` returns with `killed` set."""

    def __init__(self, command: Union[str, Sequence[str], None] = None, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[str] = None, timeout: Optional[float] = 600, kill_at_timeout: bool = False,
                 keep_output: bool = False, sleep_scale: float = 1, measure: bool = False):
        command = command or find_command()
        self.command = [command] if isinstance(command, str) else list(command)
        self.env = {**os.environ, **(env or {})}
        self.cwd = cwd
        self.timeout = timeout
        self.kill_at_timeout = kill_at_timeout
        self.keep_output = keep_output
        self.sleep_scale = sleep_scale
        self.measure = measure

    def spec(self) -> RunResult:
        return self.run("spec")

    def check(self, config: Mapping[str, Any]) -> RunResult:
        return self.run("check", config=config)

    def discover(self, config: Mapping[str, Any]) -> RunResult:
        return self.run("discover", config=config)

    def read(self, config: Mapping[str, Any], catalog: Optional[Mapping[str, Any]],
             state: Optional[Sequence[Message]] = None, **options) -> RunResult:
        return self.run("read", config=config, catalog=catalog, state=state, **options)

    def run(self, command: str, config: Optional[Mapping[str, Any]] = None,
            catalog: Optional[Mapping[str, Any]] = None, state: Optional[Sequence[Message]] = None,
            records_dir: Optional[Path] = None, on_message: Optional[Callable[[Message], None]] = None,
            on_line: Optional[Callable[[str], None]] = None, extra_args: Sequence[str] = (),
            records: str = "keep", stop_after_lines: Optional[int] = None,
            stop_when: Optional[Callable[[], bool]] = None) -> RunResult:
        """Run `command`; `on_line` sees every stdout line (raw), `on_message` every parsed message.

        With `records_dir`, records go to `<records_dir>/<stream>.jsonl` (one record's data per line, files
        truncated first) instead of `RunResult.records`; with `records="count"` they are only counted, with
        `records="ids"` counted and their ids kept in `RunResult.ids`. The process is killed after
        `stop_after_lines` stdout lines, or once `stop_when()` holds, as a sync interrupted from outside.
        """
        workdir = Path(tempfile.mkdtemp(prefix="source-personio-run-"))  # mode 0700: the config holds a secret
        try:
            argv = [*self.command, command]
            for flag, content in (("--config", config), ("--catalog", catalog), ("--state", state)):
                if content is not None:
                    path = workdir / f"{flag[2:]}.json"
                    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as handle:
                        json.dump(content, handle)
                    argv += [flag, str(path)]
            argv += list(extra_args)
            env = dict(self.env)
            if self.sleep_scale != 1:
                (workdir / "sitecustomize.py").write_text(COMPRESSED_SLEEP)
                # the caller's PYTHONPATH stays after it: it decides which source_personio runs (a worktree's, say)
                env.update(PYTHONPATH=os.pathsep.join(filter(None, [str(workdir), env.get("PYTHONPATH")])),
                           PERSONIO_SLEEP_SCALE=str(self.sleep_scale), PERSONIO_SLEEP_LOG=str(workdir / "skipped"))
            if self.measure:
                argv = [sys.executable, "-c", MEASURING_LAUNCHER, str(workdir / "usage.json"), *argv]
            collector = _Collector(RunResult(command=argv, exit_code=-1, seconds=0.0), records_dir, records,
                                   self.keep_output)
            result = self._execute(argv, env, workdir, collector, on_message, on_line, stop_after_lines, stop_when)
            self._read_reports(result, workdir)
            return result
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _read_reports(self, result: RunResult, workdir: Path) -> None:
        """What the wrappers left: the sleep the connector skipped, the launcher's CPU time and peak memory."""
        skipped = workdir / "skipped"
        if skipped.exists():
            result.skipped_sleep = float(skipped.read_text() or 0)
        if self.measure:
            try:
                usage = json.loads((workdir / "usage.json").read_text())
            except (OSError, ValueError):  # the launcher was killed with the program
                return
            result.exit_code = usage["code"]
            result.cpu_seconds = usage["user"] + usage["sys"]
            result.peak_mb = usage["maxrss_kb"] / 1024

    def _preloaded(self, argv: Sequence[str]) -> bool:
        """Forked from the preloaded launcher (tests only): the installed command itself, not measured."""
        return PRELOADED["on"] and not self.measure and argv[0] == find_command()

    def _execute(self, argv, env, workdir, collector, on_message, on_line, stop_after_lines, stop_when) -> RunResult:
        result = collector.result
        started = time.monotonic()
        try:
            with open(workdir / "stderr.txt", "w+b") as stderr:
                # its own process group when measured, so a kill reaches the launcher and the program it started
                if self._preloaded(argv):
                    process = PreloadedProcess(argv, env, self.cwd, stderr,
                                               prelude=COMPRESSED_SLEEP if self.sleep_scale != 1 else None)
                else:
                    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=self.cwd,
                                               text=True, encoding="utf-8", errors="replace", bufsize=1,
                                               start_new_session=self.measure)

                def kill(why: str) -> None:
                    if process.poll() is None:
                        result.killed = result.killed or why
                        if self.measure:
                            try:
                                os.killpg(process.pid, signal.SIGKILL)
                            except ProcessLookupError:
                                pass
                        else:
                            process.kill()

                # A watchdog, because a connector that hangs without printing would block the loop below.
                watchdog = None
                if self.timeout is not None:
                    watchdog = threading.Timer(self.timeout, kill, [f"still running at the {self.timeout:.0f} s deadline"])
                    watchdog.daemon = True
                    watchdog.start()
                if stop_when is not None:
                    threading.Thread(target=_kill_when, args=(process, stop_when, kill), daemon=True).start()
                try:
                    lines = 0
                    for line in process.stdout:
                        lines += 1
                        if on_line is not None:
                            on_line(line)
                        message = collector.line(line, time.monotonic() - started)
                        if message is not None and on_message is not None:
                            on_message(message)
                        if stop_after_lines is not None and lines >= stop_after_lines:
                            kill(f"after {stop_after_lines} lines")
                            break
                    result.exit_code = process.wait()
                    result.ended = time.monotonic()
                except BaseException:
                    kill("interrupted")
                    process.wait()
                    raise
                finally:
                    if watchdog is not None:
                        watchdog.cancel()
                    process.stdout.close()
                if result.killed and result.killed.startswith("still running") and not self.kill_at_timeout:
                    raise subprocess.TimeoutExpired(argv, self.timeout)
                stderr.seek(0)
                result.stderr = stderr.read().decode("utf-8", errors="replace")
        finally:
            collector.close()
            result.seconds = time.monotonic() - started
        return result


def _kill_when(process: subprocess.Popen, condition: Callable[[], bool], kill: Callable[[str], None]) -> None:
    while process.poll() is None:
        if condition():
            kill("stopped on purpose")
            return
        time.sleep(0.05)


class _Collector:
    """Sorts messages into a RunResult as they arrive."""

    def __init__(self, result: RunResult, records_dir: Optional[Path], records: str = "keep", keep_output: bool = False):
        if records not in ("keep", "count", "ids"):
            raise ValueError(f"records must be keep, count or ids, not {records!r}")
        self.result = result
        self.records = records
        self.keep_output = keep_output
        self.records_dir = Path(records_dir) if records_dir is not None else None
        self.files: Dict[str, IO[str]] = {}
        if self.records_dir is not None:
            self.records_dir.mkdir(parents=True, exist_ok=True)

    def line(self, line: str, elapsed: float) -> Optional[Message]:
        if self.keep_output:
            self.result.stdout.append(line)
        if self.records == "count" and line.startswith('{"type":"RECORD"'):
            # counted without parsing: a large read's records would cost this process more CPU than the reader's
            start = line.find('"stream":"') + 10
            stream = line[start:line.index('"', start)]
            self.result.record_counts[stream] = self.result.record_counts.get(stream, 0) + 1
            return None
        text = line.strip()
        if not text:
            return None
        try:
            message = json.loads(text)
        except ValueError:
            message = None
        if not isinstance(message, dict) or "type" not in message:
            self.result.non_json_lines.append(text)
            return None
        self._sort(message, elapsed)
        return message

    def _sort(self, message: Message, elapsed: float) -> None:
        result, kind = self.result, message["type"]
        if kind == "RECORD":
            record = message["record"]
            stream = record["stream"]
            result.record_counts[stream] = result.record_counts.get(stream, 0) + 1
            if self.records == "ids":
                result.ids.setdefault(stream, set()).add(record["data"].get("id"))
            elif self.records_dir is None:
                result.records.setdefault(stream, []).append(record["data"])
            else:
                self._file(stream).write(json.dumps(record["data"], ensure_ascii=False) + "\n")
        elif kind == "STATE":
            state = message["state"]
            if state.get("type", "STREAM") == "STREAM" and "stream" in state:
                stream = state["stream"]["stream_descriptor"]["name"]
                value = state["stream"].get("stream_state")
                result.states[stream] = value
                result.state_history.setdefault(stream, []).append(value)
                result.state_messages[stream] = message
            else:
                result.global_states.append(message)
        elif kind == "LOG":
            result.logs.append(message["log"])
        elif kind == "TRACE":
            trace = message["trace"]
            result.traces.append(trace)
            status = trace.get("stream_status") if trace.get("type") == "STREAM_STATUS" else None
            if status:
                stream = status["stream_descriptor"]["name"]
                result.stream_status[stream] = status["status"]
                result.stream_seconds[stream] = elapsed
        elif kind == "CONNECTION_STATUS":
            result.connection_status = message["connectionStatus"]
        elif kind == "SPEC":
            result.spec = message["spec"]
        elif kind == "CATALOG":
            result.catalog = message["catalog"]
        else:
            result.other.append(message)

    def _file(self, stream: str) -> IO[str]:
        handle = self.files.get(stream)
        if handle is None:
            path = self.records_dir / f"{stream}.jsonl"
            handle = self.files[stream] = open(path, "w", encoding="utf-8")
            self.result.records_files[stream] = path
        return handle

    def close(self) -> None:
        for handle in self.files.values():
            handle.close()
