"""What a row watches in its emulator: tokens issued, requests answered, the first fault fired, and a
listener on another host."""
import socketserver
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Dict, List, Optional, Sequence

from tools.fault_suite.settings import STREAMS
from tools.personio_emulator import Emulator, Fault


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
