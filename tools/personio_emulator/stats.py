"""Counters and a bounded request log, so tests can assert on what a connector sent.

Only whether an Authorization header was present is logged, never its value, and secret-looking
query parameters are masked.
"""
import collections
import threading
from typing import Dict, List, Optional

_MASKED = {"client_secret", "token", "access_token", "refresh_token"}
_LOGGED_HEADERS = ("X-Personio-App-ID", "X-Personio-Partner-ID", "Host", "User-Agent")


def log_entry(method: str, path: str, endpoint: str, query: Dict[str, List[str]], headers) -> dict:
    shown = {}
    for name, values in query.items():
        if name.lower() in _MASKED:
            shown[name] = "<masked>"
        else:
            shown[name] = values[0] if len(values) == 1 else list(values)
    head = {"authorization": headers.get("Authorization") is not None}
    for name in _LOGGED_HEADERS:
        head[name.lower()] = headers.get(name)
    return {"method": method, "path": path, "endpoint": endpoint, "query": shown, "headers": head}


class Stats:
    """`requests`, `throttled` count per endpoint (a stream name of streams.py, "token", "revoke",
    "unknown"); `status_codes[endpoint][status]`, where a
    dropped connection counts as status "reset"; `filters_with_cursor`; `log`, newest last."""

    def __init__(self, log_size: int = 10_000):
        self._lock = threading.Lock()
        self._log_size = log_size
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = collections.Counter()
            self.status_codes = collections.defaultdict(collections.Counter)
            self.throttled = collections.Counter()
            self.filters_with_cursor = 0
            self.log = collections.deque(maxlen=self._log_size)

    def record(self, entry: dict, status) -> None:
        endpoint = entry["endpoint"]
        entry["status"] = status
        with self._lock:
            self.requests[endpoint] += 1
            self.status_codes[endpoint][status] += 1
            if status == 429:
                self.throttled[endpoint] += 1
            self.log.append(entry)

    def count_filters_with_cursor(self) -> None:
        with self._lock:
            self.filters_with_cursor += 1

    def entries(self, endpoint: Optional[str] = None) -> List[dict]:
        """Logged requests, oldest first, optionally for one endpoint."""
        with self._lock:
            return [e for e in self.log if endpoint is None or e["endpoint"] == endpoint]

    def snapshot(self) -> dict:
        with self._lock:
            return {
                "requests": dict(self.requests),
                "status_codes": {k: {str(s): n for s, n in v.items()} for k, v in self.status_codes.items()},
                "throttled": dict(self.throttled),
                "filters_with_cursor": self.filters_with_cursor,
                "log": list(self.log),
            }
