"""`/_emulator/…`: control and inspection for when the emulator runs as its own process.

    GET  /_emulator/stats               counters and request log (JSON)
    POST /_emulator/stats/reset
    GET  /_emulator/settings            current settings (secret masked)
    POST /_emulator/settings            JSON patch of settings, e.g. {"latency_seconds": 0.1, "faults": [{"kind": "status_500"}]}
    POST /_emulator/faults              append one fault {"kind": …, "stream": …, "after": …, "count": …}
    POST /_emulator/revoke-tokens
    POST /_emulator/clock               {"advance_seconds": 3600}: expire tokens, refill buckets
    POST /_emulator/mutate              {"action": "update|create|delete", "stream": …, "record_id"|"count"|"fraction"|"at": …}
                                        compensations: {"action": "update", "stream": "compensations", "record_id": …, "month": "YYYY-MM", "amount": …}
    GET  /_emulator/records/<stream>    current records, as the API renders them
"""
import json

from .faults import Fault
from .replies import Reply, json_reply
from .settings import STREAMS, apply_patch, to_json

PREFIX = "/_emulator/"


def handle(emu, request) -> Reply:
    route = (request.method, request.path[len(PREFIX):])
    try:
        body = json.loads(request.body) if request.body else {}
        if not isinstance(body, dict):
            raise ValueError("the body must be a JSON object")
        return _route(emu, route, body)
    except (ValueError, KeyError, TypeError) as error:
        return json_reply(400, {"error": str(error)})


def _route(emu, route, body) -> Reply:
    method, path = route
    if route == ("GET", "stats"):
        return json_reply(200, emu.stats.snapshot())
    if route == ("POST", "stats/reset"):
        emu.stats.reset()
        return json_reply(200, {})
    if route == ("GET", "settings"):
        return json_reply(200, to_json(emu.settings))
    if route == ("POST", "settings"):
        apply_patch(emu.settings, body)
        return json_reply(200, to_json(emu.settings))
    if route == ("POST", "faults"):
        emu.add_fault(Fault.from_dict(body))
        return json_reply(200, to_json(emu.settings)["faults"])
    if route == ("POST", "revoke-tokens"):
        emu.revoke_tokens()
        return json_reply(200, {})
    if route == ("POST", "clock"):
        emu.advance_clock(float(body["advance_seconds"]))
        return json_reply(200, {"now": emu.now()})
    if route == ("POST", "mutate"):
        return json_reply(200, {"ids": _mutate(emu.company, body)})
    if method == "GET" and path.startswith("records/"):
        stream = path[len("records/"):]
        if stream not in STREAMS:
            return json_reply(404, {"error": f"unknown stream {stream!r}"})
        return json_reply(200, emu.company.records(stream))
    return json_reply(404, {"error": f"no admin route {method} {PREFIX}{path}"})


def _mutate(company, body: dict) -> list:
    action, stream = body.get("action"), body.get("stream")
    if stream not in STREAMS:
        raise ValueError(f"stream must be one of {', '.join(STREAMS)}")
    if action == "update":
        return company.update(stream, record_id=body.get("record_id"), count=body.get("count"),
                              fraction=body.get("fraction"), at=body.get("at"), month=body.get("month"),
                              amount=body.get("amount"))
    if action == "create":
        return company.create(stream, count=int(body.get("count", 1)), at=body.get("at"))
    if action == "delete":
        return [body["record_id"]] if company.delete(stream, body["record_id"]) else []
    raise ValueError("action must be update, create or delete")
