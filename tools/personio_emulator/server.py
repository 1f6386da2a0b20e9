"""HTTP/1.1 plumbing on the standard library: keep-alive, TCP_NODELAY, and every response
written with one sendall.

http.server's own send_response/end_headers path writes headers and body separately; with Nagle
and delayed ACKs that stalls small responses by ~40 ms, which would make the emulator the
bottleneck of any benchmark. Binding is to 127.0.0.1 only.
"""
import socket
import socketserver
import struct
import sys
import threading
import time
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .app import Request, handle
from .replies import Reply

HOST = "127.0.0.1"
_MAX_LINE = 65536
_MAX_HEADERS = 100
_PHRASES = {status.value: status.phrase for status in HTTPStatus}
_date = [0, ""]  # (second, Date header value): formatted once a second, not once a request


def _http_date() -> str:
    now = int(time.time())
    if _date[0] != now:
        _date[1] = formatdate(now, usegmt=True)
        _date[0] = now
    return _date[1]


class Headers(dict):
    """Request headers by lower-cased name, with the case-insensitive get() handlers use."""

    def get(self, name, default=None):
        return dict.get(self, name.lower(), default)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    server_version = "personio-emulator"
    sys_version = ""

    def handle_one_request(self) -> None:
        """Read one request. Replaces http.server's parser, whose email-package header parsing
        cost a third of the server's time per page; this one knows just what the API needs."""
        try:
            line = self.rfile.readline(_MAX_LINE + 1)
        except (TimeoutError, ConnectionError):
            self.close_connection = True
            return
        if not line:
            self.close_connection = True
            return
        self.raw_requestline = line
        self.request_version = "HTTP/1.1"
        parts = line.decode("latin-1").split()
        if len(line) > _MAX_LINE or len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            self.close_connection = True
            self.command, self.path = "?", "?"
            self._send(Reply(400, b'{"error":"bad request line"}'))
            return
        self.command, self.path, version = parts
        headers = Headers()
        for _ in range(_MAX_HEADERS):
            raw = self.rfile.readline(_MAX_LINE + 1)
            if raw in (b"\r\n", b"\n", b""):
                break
            name, _, value = raw.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        else:
            self.close_connection = True
            self._send(Reply(431, b'{"error":"too many headers"}'))
            return
        self.headers = headers
        connection = headers.get("connection", "").lower()
        self.close_connection = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self._dispatch()

    def _dispatch(self) -> None:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._send(Reply(411, b'{"error":"Content-Length required"}'))
            return
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True
            self._send(Reply(400, b'{"error":"bad Content-Length"}'))
            return
        body = self.rfile.read(length) if length else b""  # always drain it, or keep-alive desyncs
        path, _, raw_query = self.path.partition("?")
        reply = handle(self.server.emulator, Request(self.command, path, raw_query, self.headers, body))
        self._send(reply)

    def _send(self, reply: Reply) -> None:
        if reply.hang:
            time.sleep(reply.hang)
        if reply.drop:
            self._reset()
            return
        body = reply.body
        lines = [
            f"HTTP/1.1 {reply.status} {_PHRASES.get(reply.status, '')}",
            f"Content-Type: {reply.content_type}",
            f"Content-Length: {len(body)}",
            f"Date: {_http_date()}",
            "Server: personio-emulator",
        ]
        lines.extend(f"{name}: {value}" for name, value in reply.headers)
        if reply.short:
            body = body[: len(body) // 2]  # fewer bytes than promised, then hang up
            self.close_connection = True
        if self.close_connection:
            lines.append("Connection: close")
        self.wfile.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        if self.server.emulator.settings.log_requests:
            sys.stderr.write(f"{self.command} {self.path} -> {reply.status} ({len(body)} bytes)\n")

    def _reset(self) -> None:
        """Abort the connection: SO_LINGER 0 makes close() send RST instead of FIN."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.server.mark_for_reset(self.connection)
        self.close_connection = True

    def log_message(self, format, *args) -> None:
        if self.server.emulator.settings.log_requests:
            super().log_message(format, *args)


class EmulatorHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a hung fault must not hold up stop()
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, emulator, port: int):
        self.emulator = emulator
        self._connections = set()
        self._resets = set()
        self._lock = threading.Lock()
        super().__init__((HOST, port), Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves a host name (getfqdn), which can block on DNS; not needed
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def get_request(self):
        sock, address = self.socket.accept()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._lock:
            self._connections.add(sock)
        return sock, address

    def mark_for_reset(self, sock) -> None:
        with self._lock:
            self._resets.add(sock)

    def shutdown_request(self, request) -> None:
        with self._lock:
            self._connections.discard(request)
            reset = request in self._resets
            self._resets.discard(request)
        if reset:
            self.close_request(request)  # no shutdown(): it would send a FIN before the RST
        else:
            super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        if isinstance(sys.exc_info()[1], OSError):
            return  # clients hanging up mid-answer are part of the job
        super().handle_error(request, client_address)

    def close_connections(self) -> None:
        """Hang up on keep-alive clients, whose threads would otherwise keep serving after stop."""
        with self._lock:
            connections = list(self._connections)
        for sock in connections:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
