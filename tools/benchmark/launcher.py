"""Running one program for the benchmark: under a launcher that reports its CPU time and peak memory, with its
Airbyte messages counted line by line from a pipe.

Peak memory and CPU time come from `getrusage(RUSAGE_CHILDREN)` in a small launcher process that starts the
program and does nothing else: the launcher is forked from the benchmark (a large process), and a child forked
from it would otherwise carry the benchmark's resident size into its own peak.
"""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parents[2]

# Starts a program, waits, and leaves its CPU time and peak resident size in a file.
_LAUNCHER = """\
import json, resource, subprocess, sys
code = subprocess.call(sys.argv[2:])
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
with open(sys.argv[1], "w") as out:
    json.dump({"code": code, "user": usage.ru_utime, "sys": usage.ru_stime, "maxrss_kb": usage.ru_maxrss}, out)
"""


def connector_command(manifest: Optional[str]) -> List[str]:
    if manifest:
        return [str(Path(sys.executable).parent / "source-declarative-manifest"), "read", "--manifest-path", manifest]
    try:
        from tools.sync_runner import find_command
        return [find_command(), "read"]
    except ImportError:
        return [str(Path(sys.executable).parent / "source-personio"), "read"]


def catalog(sync_mode: str, names: Sequence[str]) -> dict:
    streams = []
    for name in names:
        entry = {
            "stream": {"name": name, "json_schema": {}, "supported_sync_modes": ["full_refresh", "incremental"],
                       "source_defined_cursor": True, "default_cursor_field": ["updated_at"],
                       "source_defined_primary_key": [["id"]]},
            "sync_mode": sync_mode,
            "destination_sync_mode": "append_dedup" if sync_mode == "incremental" else "overwrite",
            "primary_key": [["id"]],
        }
        if sync_mode == "incremental":
            entry["cursor_field"] = ["updated_at"]
        streams.append(entry)
    return {"streams": streams}


# -- running one program --------------------------------------------------------------------------------

@dataclass
class Run:
    label: str
    exit_code: int = -1
    wall: float = 0.0
    cpu: float = 0.0
    peak_mb: float = 0.0
    records: Dict[str, int] = field(default_factory=dict)
    states: Dict[str, dict] = field(default_factory=dict)
    ids: Dict[str, set] = field(default_factory=dict)
    errors: List[str] = field(default_factory=list)
    stderr: str = ""
    killed: bool = False  # on purpose, by `stop_when`
    # filled from the emulator
    requests: Dict[str, int] = field(default_factory=dict)
    throttled: int = 0

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def total_requests(self) -> int:
        return sum(self.requests.values())

    @property
    def ok(self) -> bool:
        return (self.exit_code == 0 or self.killed) and not self.errors


# Both programs run with the environment the connector's Docker image sets: MALLOC_ARENA_MAX=2 keeps glibc
# from giving each worker thread its own malloc arena, whose memory otherwise grows with the data read.
PROGRAM_ENVIRONMENT = {**os.environ, "MALLOC_ARENA_MAX": "2"}


def run_program(label: str, argv: Sequence[str], workdir: Path, timeout: float, keep_ids: bool = False,
                stop_when: Optional[Callable[[], bool]] = None) -> Run:
    """Run argv under the launcher, count its RECORD lines per stream, keep its last STATE per stream. When
    `stop_when` turns true (polled every 50 ms) the program is killed, as a sync interrupted from outside."""
    run = Run(label)
    usage_path = workdir / f"usage-{label.replace(' ', '_')}.json"
    stderr_path = workdir / f"stderr-{label.replace(' ', '_')}.txt"
    counts: Dict[bytes, int] = {}
    with open(stderr_path, "wb") as stderr:
        started = time.monotonic()
        process = subprocess.Popen([sys.executable, "-c", _LAUNCHER, str(usage_path), *argv], stdout=subprocess.PIPE,
                                   stderr=stderr, cwd=ROOT, start_new_session=True, env=PROGRAM_ENVIRONMENT)
        timer = threading.Timer(timeout, lambda: _kill(process))
        timer.daemon = True
        timer.start()
        if stop_when is not None:
            threading.Thread(target=_kill_when, args=(process, stop_when, run), daemon=True).start()
        try:
            for line in process.stdout:
                if line.startswith(b'{"type":"RECORD"'):
                    start = line.find(b'"stream":"') + 10
                    stream = line[start:line.index(b'"', start)]
                    counts[stream] = counts.get(stream, 0) + 1
                    if keep_ids:
                        record = json.loads(line)["record"]
                        run.ids.setdefault(record["stream"], set()).add(record["data"].get("id"))
                elif line.startswith(b'{"type":"STATE"'):
                    state = json.loads(line)["state"]
                    if "stream" in state:
                        run.states[state["stream"]["stream_descriptor"]["name"]] = state
                elif line.startswith(b'{"type":"TRACE"') and b'"type":"ERROR"' in line:
                    error = json.loads(line)["trace"].get("error") or {}
                    run.errors.append(error.get("message") or "error trace")
            process.wait()
        finally:
            timer.cancel()
            if process.poll() is None:
                _kill(process)
                process.wait()
        run.wall = time.monotonic() - started
    run.records = {stream.decode(): n for stream, n in counts.items()}
    run.stderr = stderr_path.read_text(errors="replace")[-2000:]
    try:
        usage = json.loads(usage_path.read_text())
        run.exit_code = usage["code"]
        run.cpu = usage["user"] + usage["sys"]
        run.peak_mb = usage["maxrss_kb"] / 1024
    except (OSError, ValueError):  # the launcher was killed with the program
        run.exit_code = process.returncode if process.returncode is not None else -1
        if not run.killed:
            run.errors.append(f"no usage report (killed after {timeout:.0f} s?)")
    return run


def _kill_when(process: subprocess.Popen, condition: Callable[[], bool], run: Run) -> None:
    while process.poll() is None:
        if condition():
            run.killed = True
            _kill(process)
            return
        time.sleep(0.05)


def _kill(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the launcher and the program it started, nothing else
    except ProcessLookupError:
        pass
