"""One request in, one reply out: routing, latency, stats and the request log. No sockets here."""
import time
from typing import Optional
from urllib.parse import parse_qs

from . import admin
from .replies import Reply, problem
from .serving import serve
from .stats import log_entry
from .table import route


class Request:
    __slots__ = ("method", "path", "raw_query", "headers", "body", "_query")

    def __init__(self, method: str, path: str, raw_query: str, headers, body: bytes):
        self.method = method
        self.path = path
        self.raw_query = raw_query
        self.headers = headers  # case-insensitive .get(), as http.server gives them
        self.body = body
        self._query: Optional[dict] = None

    @property
    def query(self) -> dict:
        """name -> list of values; `+` means space, as in any form-encoded query."""
        if self._query is None:
            self._query = parse_qs(self.raw_query, keep_blank_values=True)
        return self._query


def handle(emu, request: Request) -> Reply:
    if request.path.startswith(admin.PREFIX):
        return admin.handle(emu, request)
    routed = route(request.path)
    name = routed[0].stream if routed else "unknown"
    entry = log_entry(request.method, request.path, name, request.query, request.headers)
    if emu.settings.latency_seconds > 0:
        time.sleep(emu.settings.latency_seconds)
    if routed is None:
        reply = problem(404, "Not Found", f"No resource at {request.path}")
    elif request.method != routed[0].method:
        reply = problem(405, "Method Not Allowed", f"{request.method} is not allowed on {request.path}")
    else:
        reply = serve(emu, routed[0], routed[1], request)
    emu.stats.record(entry, "reset" if reply.drop else reply.status)
    return reply
