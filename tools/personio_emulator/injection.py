"""How a fired fault changes an answer; faults.py decides when one fires."""
from http import HTTPStatus
from typing import Optional

from .replies import Reply, problem

_HTML = (b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
         b"<body><h1>Service temporarily unavailable</h1><p>cloudflare</p></body></html>")


def early_reply(kind: str, detail: str) -> Optional[Reply]:
    """The whole answer for faults that replace it; None for faults that alter a real one."""
    if kind in ("status_500", "status_502", "status_503"):
        status = int(kind[-3:])
        return problem(status, HTTPStatus(status).phrase, "Injected by the emulator")
    if kind == "status_400":
        return problem(400, "Invalid request content", detail)
    if kind == "reset":
        reply = Reply(0)
        reply.drop = True
        return reply
    if kind == "non_json":
        return Reply(200, _HTML, "text/html; charset=utf-8")  # a proxy page with a 200 status
    return None


def finish(reply: Reply, kind: Optional[str], hang_seconds: float) -> Reply:
    """Faults that act on the bytes or the timing of an otherwise normal answer."""
    if kind == "timeout":
        reply.hang = hang_seconds
    elif kind == "short_body":
        reply.short = True
    elif kind == "truncated_json":
        reply.body = reply.body[: len(reply.body) // 2]
    return reply
