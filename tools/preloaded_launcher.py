"""Start `source-personio` commands forked from an interpreter that has already imported the connector.

A connector process spends about 1.4 s of CPU importing the CDK before it does anything (its message serializers
alone take 0.6 s), and the test suite starts about 400 of them on a 2-core machine. With `sync_runner.PRELOADED`
on (off by default; nothing turns it on yet but tools/tests/test_preloaded_launcher.py), the sync runner starts
them through this launcher: one server process per test process imports `source_personio.run` once, then forks
a child for each command. The child is what the console script would be (the same `run()`, argv,
environment, working directory, stdin, stdout and stderr, exit status, killable by its pid), minus the start-up.

    process = PreloadedProcess(argv, env, cwd, stderr=file)   # like subprocess.Popen(argv, stdout=PIPE, text=True)
    for line in process.stdout: ...
    process.wait(); process.kill(); process.poll(); process.pid; process.returncode

What differs from a fresh interpreter, and why it does not matter here: every child shares the server's hash seed
(each child reseeds `random`), modules read the environment of the server when it imported them (the connector
reads none at import), and the server's `sys.path`. tools/tests/test_preloaded_launcher.py holds the two ways
to the same records, states, errors and exit statuses.

The server only uses the standard library at module level, so it runs from this file's path (runpy), with the
caller's PYTHONPATH deciding which `source_personio` it imports.
"""
import atexit
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

MAX_REQUEST = 1 << 20


# -- the server (its own process) ---------------------------------------------------------------------------------


def _run_child(request: Dict[str, Any], fds: List[int]) -> int:
    """In the forked child: become the command, run it, and give its exit status."""
    import random
    import traceback

    for target, fd in zip((0, 1, 2), fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    sys.argv = list(request["argv"])
    random.seed()
    code: Any = 0
    try:
        if request.get("prelude"):
            exec(compile(request["prelude"], "<prelude>", "exec"), {"__name__": "prelude"})
        from source_personio.run import run

        code = run(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
    except BaseException:  # as the interpreter does with an uncaught exception
        traceback.print_exc()
        code = 1
    finally:
        # What interpreter shutdown does: join non-daemon threads (the CDK's workers), run atexit handlers, flush.
        threading._shutdown()  # type: ignore[attr-defined]
        atexit._run_exitfuncs()
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except (OSError, ValueError):
                pass
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    sys.stderr.flush()
    return 1


def serve(socket_path: str) -> None:
    """Accept one connection per command: its request and three descriptors in, its pid out, then its exit
    status once it ends. Stops when the stdin pipe from the process that started the server closes."""
    import source_personio.run  # noqa: F401  (the point of the server: import once, fork many times)

    if threading.active_count() != 1:
        raise RuntimeError("importing the connector started a thread; forking would copy it half-alive")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(socket_path)
    listener.listen(64)
    print("ready", flush=True)
    waiting: Dict[int, socket.socket] = {}  # pid -> the connection to report its exit to
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [], 0.02)
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            return
        if listener in readable:
            connection, _ = listener.accept()
            message, fds, _, _ = socket.recv_fds(connection, MAX_REQUEST, 3)
            request = json.loads(message)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    listener.close()
                    connection.close()
                    for other in waiting.values():
                        other.close()
                    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                    code = _run_child(request, fds)
                finally:
                    os._exit(code)
            for fd in fds:
                os.close(fd)
            connection.sendall(json.dumps({"pid": pid}).encode())
            waiting[pid] = connection
        while waiting:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if pid == 0:
                break
            connection = waiting.pop(pid, None)
            if connection is not None:
                try:
                    connection.sendall(json.dumps({"exit": os.waitstatus_to_exitcode(status)}).encode())
                except OSError:  # the caller went away
                    pass
                connection.close()


# -- the caller's side --------------------------------------------------------------------------------------------


class _Server:
    """The one server of this process, started on first use and stopped when this process exits."""

    _lock = threading.Lock()
    _instance: Optional["_Server"] = None

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="source-personio-launcher-")
        self.socket_path = os.path.join(self.directory, "launcher.sock")
        bootstrap = "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
        self.process = subprocess.Popen(
            [sys.executable, "-c", bootstrap, str(Path(__file__).resolve()), self.socket_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=self.directory, text=True,
        )
        ready = self.process.stdout.readline().strip()
        if ready != "ready":
            self.process.kill()
            raise RuntimeError(f"the preloaded launcher did not start (exit {self.process.wait()})")
        atexit.register(self.stop)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        try:
            os.unlink(self.socket_path)
            os.rmdir(self.directory)
        except OSError:
            pass

    @classmethod
    def get(cls) -> "_Server":
        with cls._lock:
            if cls._instance is None or cls._instance.process.poll() is not None:
                cls._instance = cls()
            return cls._instance


class PreloadedProcess:
    """The part of subprocess.Popen(argv, stdout=PIPE, stderr=file, text=True) the sync runner uses."""

    def __init__(self, argv: Sequence[str], env: Mapping[str, str], cwd: Optional[str], stderr,
                 prelude: Optional[str] = None):
        self.args = list(argv)
        self.returncode: Optional[int] = None
        self._lock = threading.Lock()
        read_end, write_end = os.pipe()
        stdin = os.open(os.devnull, os.O_RDONLY)
        self._connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self._connection.connect(_Server.get().socket_path)
            request = {"argv": self.args, "env": dict(env), "cwd": cwd or os.getcwd(), "prelude": prelude}
            socket.send_fds(self._connection, [json.dumps(request).encode()], [stdin, write_end, stderr.fileno()])
            self.pid = json.loads(self._connection.recv(MAX_REQUEST))["pid"]
        except BaseException:
            os.close(read_end)
            self._connection.close()
            raise
        finally:
            os.close(write_end)
            os.close(stdin)
        self.stdout = open(read_end, "r", encoding="utf-8", errors="replace", buffering=1)

    def _receive(self, timeout: Optional[float]) -> Optional[int]:
        """The exit status once the server reported it; None while the command runs (or another thread waits)."""
        if self.returncode is not None:
            return self.returncode
        if not (self._lock.acquire(False) if timeout == 0 else self._lock.acquire(timeout=-1 if timeout is None else timeout)):
            return self.returncode
        try:
            if self.returncode is None:
                self._connection.settimeout(timeout)
                try:
                    message = self._connection.recv(MAX_REQUEST)
                except (BlockingIOError, socket.timeout):
                    return None
                # no message: the server ended without reporting, as if the command had been killed
                self.returncode = json.loads(message)["exit"] if message else -signal.SIGKILL
                self._connection.close()
            return self.returncode
        finally:
            self._lock.release()

    def poll(self) -> Optional[int]:
        return self._receive(0)

    def wait(self, timeout: Optional[float] = None) -> int:
        code = self._receive(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return code

    def kill(self) -> None:
        # Not through poll(): another thread may be waiting on the connection, and the kill is what ends its wait.
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


if __name__ == "__main__":
    serve(sys.argv[1])
