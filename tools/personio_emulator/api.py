"""GET on the three list endpoints: token, throttle, scope, faults, filters, then the page; and the
page envelope (with its faults) every list endpoint shares."""
import itertools
import json
from typing import Callable, Optional, Tuple

from .auth import authorize
from .endpoints import ATTENDANCE_PERIODS, PERSONS, BadRequest, Endpoint, next_cursor, read_query
from .faults import pick
from .injection import early_reply, finish
from .replies import Reply, problem
from .settings import BETA_STREAMS, CURSOR_WINS

_RECORD_FAULTS = {"record_without_id", "record_without_updated_at", "record_bad_updated_at"}
_nonces = itertools.count(1)


def list_endpoint(emu, endpoint: Endpoint, request) -> Reply:
    return throttled(emu, endpoint.stream, request, lambda grant: _answer(emu, endpoint, request, grant))


def throttled(emu, stream: str, request, answer: Callable[[object], Reply]) -> Reply:
    """A bad token is 401 and a throttled one 429 before anything else; the x-ratelimit-* headers ride on every
    answer."""
    grant = authorize(emu, request)
    if isinstance(grant, Reply):
        return grant
    verdict = emu.limiter.check(stream, emu.settings, grant.client_id)
    if not verdict.allowed:
        return problem(429, "Too Many Requests", "Rate limit exceeded", verdict.headers)
    reply = answer(grant)
    reply.headers.extend(verdict.headers)
    return reply


def refusal(settings, grant, stream: str, scope: str, path: str, scope_status: int = 403) -> Optional[Reply]:
    """403 for a missing scope (scopes can be withdrawn from the credential while its tokens live), then 404 for a
    module the tenant has not licensed (412 for legal entities); None when the request may go on."""
    if scope not in grant.scopes or scope not in settings.granted_scopes:
        return problem(scope_status, "Insufficient access scope", f"This endpoint requires the scope {scope}")
    if settings.unlicensed_modules and stream in settings.unlicensed_modules:
        if stream == "legal_entities":
            return problem(412, "No access to legal entities feature",
                           "The legal entities feature is not enabled for this company")
        return problem(404, "Not Found", f"No resource at {path}")
    return None


def injected_fault(settings, stream: str) -> Tuple[Optional[str], Optional[Reply]]:
    """The fault to play on this request (its kind) and, for faults that replace the answer, the reply."""
    fault = pick(settings.faults, stream)
    if fault is None:
        return None, None
    return fault.kind, early_reply(fault.kind, fault.detail)


def refused_cursor_filters(emu, stream: str, query) -> Optional[Reply]:
    """Filters sent next to a cursor are counted; persons and employments ignore them (the cursor wins), the
    other lists refuse them (settings.CURSOR_WINS)."""
    if not query.filters_with_cursor:
        return None
    emu.stats.count_filters_with_cursor()
    if stream in CURSOR_WINS:
        return None
    names = ", ".join(query.filters_with_cursor)
    return problem(400, "Invalid request content",
                   f"Filters may not be sent together with a cursor (got {names}); the cursor carries them")


def refused_beta(settings, stream: str, request) -> Optional[Reply]:
    """With settings.beta_header_required, a list Personio still documents as beta wants `Beta: true`. Our
    judgement of the answer without it: a 400 naming the header, like any other malformed request."""
    if not settings.beta_header_required or stream not in BETA_STREAMS:
        return None
    if (request.headers.get("Beta") or "").strip().lower() == "true":
        return None
    return problem(400, "Bad Request", "This endpoint is in beta: send the header `Beta: true`")


def _answer(emu, endpoint: Endpoint, request, grant) -> Reply:
    settings = emu.settings
    scope_status = settings.persons_missing_scope_status if endpoint is PERSONS else 403
    refused = refusal(settings, grant, endpoint.stream, endpoint.scope, request.path, scope_status)
    if refused is not None:
        return refused
    kind, replaced = injected_fault(settings, endpoint.stream)
    if replaced is not None:
        return replaced

    default_sort = settings.attendance_default_sort if endpoint is ATTENDANCE_PERIODS else None
    try:
        query = read_query(endpoint, request.query, settings.naive_filter_timezone, default_sort)
    except BadRequest as error:
        return problem(400, "Invalid request content", str(error))
    refused = refused_cursor_filters(emu, endpoint.stream, query)
    if refused is not None:
        return refused

    whitelist = None
    if endpoint is PERSONS and settings.whitelisted_person_attributes is not None:
        whitelist = frozenset(settings.whitelisted_person_attributes)
    page = emu.company.page(
        endpoint.stream, lower=query.lower, upper=query.upper, after=query.after,
        limit=query.limit * 10 if kind == "huge_page" else query.limit,
        match=query.match, order=query.order, order_token=query.order_token, whitelist=whitelist,
    )

    return page_reply(emu, request, page.blobs, page.more, page.last_key, query.after,
                      lambda after, nonce=0: next_cursor(endpoint, query, after, nonce), kind)


def page_reply(emu, request, blobs, more: bool, last_key, after, cursor_for, kind) -> Reply:
    """The envelope around a page, with the page faults applied. `cursor_for(after, nonce=0)`
    makes the cursor of the page after `after`; every list endpoint shares this."""
    settings = emu.settings
    base = "" if settings.relative_next_links else emu.url
    self_href = base + request.path + ("?" + request.raw_query if request.raw_query else "")
    next_href = None
    if more:
        next_href = _href(base, request.path, cursor_for(last_key))
    if kind == "empty_page_with_next":
        # continue where this page should have started, so nothing is lost for a reader that follows
        blobs = []
        next_href = _href(base, request.path, cursor_for(after, next(_nonces)))
    elif kind == "next_self":
        next_href = self_href
    elif kind == "next_foreign":
        foreign = settings.foreign_base_url.rstrip("/")
        next_href = _href(foreign, request.path, cursor_for(last_key))
    elif kind in _RECORD_FAULTS and blobs:
        blobs = [_broken(blobs[0], kind)] + blobs[1:]

    links = {"self": {"href": self_href}}
    if next_href is not None:
        links["next"] = {"href": next_href}
    meta = json.dumps({"links": links}, separators=(",", ":")).encode()
    if kind == "data_missing":
        body = b'{"_meta":' + meta + b"}"
    elif kind == "data_not_list":
        body = b'{"_data":{"records":[' + b",".join(blobs) + b']},"_meta":' + meta + b"}"
    else:
        body = b'{"_data":[' + b",".join(blobs) + b'],"_meta":' + meta + b"}"
    return finish(Reply(200, body), kind, settings.fault_hang_seconds)


def _href(base: str, path: str, cursor: str) -> str:
    # a cursor is base64: only + / = need escaping, and str.replace is far cheaper than quote()
    escaped = cursor.replace("+", "%2B").replace("/", "%2F").replace("=", "%3D")
    return f"{base}{path}?cursor={escaped}"


def _broken(blob: bytes, kind: str) -> bytes:
    record = json.loads(blob)
    if kind == "record_without_id":
        record.pop("id", None)
    elif kind == "record_without_updated_at":
        record.pop("updated_at", None)
    else:
        record["updated_at"] = "31/01/2024 25:61"
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
