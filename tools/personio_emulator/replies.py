"""What a handler answers, and the two error body shapes the API uses."""
import json
import uuid
from datetime import datetime, timezone
from typing import List, Optional, Tuple

JSON = "application/json"
PROBLEM = "application/problem+json"

PROBLEM_TYPES = {
    400: "https://developer.personio.de/reference/errors#bad-request",
    401: "https://developer.personio.de/reference/errors#unauthorized",
    403: "https://developer.personio.de/reference/errors#forbidden",
    404: "https://developer.personio.de/reference/errors#not-found",
    405: "https://developer.personio.de/reference/errors#method-not-allowed",
    412: "https://developer.personio.de/reference/errors#precondition-failed",
    429: "https://developer.personio.de/reference/errors#too-many-requests",
    500: "https://developer.personio.de/reference/errors#internal-server-error",
    502: "https://developer.personio.de/reference/errors#bad-gateway",
    503: "https://developer.personio.de/reference/errors#service-unavailable",
}


class Reply:
    __slots__ = ("status", "body", "content_type", "headers", "drop", "hang", "short")

    def __init__(self, status: int, body: bytes = b"", content_type: str = JSON,
                 headers: Optional[List[Tuple[str, str]]] = None):
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers if headers is not None else []
        self.drop = False  # close the connection with a reset instead of answering
        self.hang = 0.0  # seconds to wait before answering
        self.short = False  # announce the full Content-Length but send only half the body


def json_bytes(payload) -> bytes:
    """Compact UTF-8 JSON, the form every record is served in."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()


def json_reply(status: int, payload, headers=None) -> Reply:
    return Reply(status, json_bytes(payload), JSON, headers)


def problem(status: int, title: str, detail: str, headers=None) -> Reply:
    """The application/problem+json body of the data endpoints."""
    payload = {
        "personio_trace_id": str(uuid.uuid4()),
        "timestamp": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "errors": [{"title": title, "detail": detail, "type": PROBLEM_TYPES.get(status, "about:blank"), "_meta": {}}],
    }
    reply = json_reply(status, payload, headers)
    reply.content_type = PROBLEM
    return reply


def oauth_error(status: int, error: str, description: str) -> Reply:
    """The OAuth2-style body of the token endpoint."""
    return json_reply(status, {"error": error, "error_description": description, "trace_id": str(uuid.uuid4())},
                      [("Cache-Control", "no-store")])
