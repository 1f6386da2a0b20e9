"""One request in, one reply out: routing, latency, stats and the request log. No sockets here."""
import time
from typing import Optional
from urllib.parse import parse_qs

from . import admin, single
from .api import list_endpoint
from .auth import revoke_endpoint, token_endpoint
from .endpoints import BY_PATH
from .faults import TOKEN_KINDS, pick
from .injection import early_reply, finish
from .more_api import more_list
from .more_endpoints import route
from .replies import Reply, problem
from .stats import log_entry

_AUTH_PATHS = {"/v2/auth/token": "token", "/v2/auth/revoke": "revoke"}


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
    endpoint = BY_PATH.get(request.path)
    more = None if endpoint is not None else route(request.path)  # the section 7 endpoints
    one = None if endpoint is not None or more is not None else single.route(request.path)
    if more is not None:
        name = more[0].stream
    elif one is not None:
        name = one[0]
    else:
        name = endpoint.stream if endpoint else _AUTH_PATHS.get(request.path, "unknown")
    entry = log_entry(request.method, request.path, name, request.query, request.headers)
    settings = emu.settings
    if settings.latency_seconds > 0:
        time.sleep(settings.latency_seconds)

    if name == "unknown":
        reply = problem(404, "Not Found", f"No resource at {request.path}")
    elif request.method != ("GET" if endpoint or more or one else "POST"):
        reply = problem(405, "Method Not Allowed", f"{request.method} is not allowed on {request.path}")
    elif endpoint is not None:
        reply = list_endpoint(emu, endpoint, request)
    elif more is not None:
        reply = more_list(emu, more[0], more[1], request)
    elif one is not None:
        reply = single.one_record(emu, one, request)
    elif name == "token":
        reply = _token(emu, request)
    else:
        reply = revoke_endpoint(emu, request)
    emu.stats.record(entry, "reset" if reply.drop else reply.status)
    return reply


def _token(emu, request) -> Reply:
    fault = pick(emu.settings.faults, "token", TOKEN_KINDS)
    kind = fault.kind if fault else None
    if fault is not None:
        replaced = early_reply(kind, fault.detail)
        if replaced is not None:
            return replaced
    return finish(token_endpoint(emu, request), kind, emu.settings.fault_hang_seconds)
