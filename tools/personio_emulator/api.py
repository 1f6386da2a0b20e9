"""GET on the three list endpoints: token, throttle, scope, faults, filters, then the page; and the
page envelope (with its faults) every list endpoint shares."""
import json
from typing import Callable, Optional, Tuple

from .auth import authorize
from .endpoints import ATTENDANCE_PERIODS, PERSONS, BadRequest, Endpoint, next_cursor, read_query
from .faults import REQUEST_KINDS, pick
from .injection import early_reply, finish
from .links import base_url, cursor_href, query_of, self_href
from .loops import fresh_nonce, next_link
from .replies import Reply, problem
from .settings import BETA_STREAMS, CURSOR_WINS

_RECORD_FAULTS = {"record_without_id", "record_without_updated_at", "record_bad_updated_at"}
_LINK_FAULTS = {"empty_page_with_next", "next_self", "next_foreign"}


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
    fault = pick(settings.faults, stream, REQUEST_KINDS)
    if fault is None:
        return None, None
    return fault.kind, early_reply(fault.kind, fault.detail)


def served_limit(settings, stream: str, asked: int, kind: Optional[str]) -> int:
    """How many records the page holds: the limit asked, at most the stream's page cap (a server may send
    short pages with a next link), ten times that under the huge_page fault."""
    served = min(asked, settings.page_cap.get(stream, asked))
    return served * 10 if kind == "huge_page" else served


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
        query = read_query(endpoint, query_of(request, settings), settings.naive_filter_timezone, default_sort)
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
        limit=served_limit(settings, endpoint.stream, query.limit, kind),
        match=query.match, order=query.order, order_token=query.order_token, whitelist=whitelist,
    )

    return page_reply(emu, request, endpoint.stream, page.blobs, page.more, page.last_key, query,
                      lambda after, extra=None: next_cursor(endpoint, query, after, extra), kind)


def page_reply(emu, request, stream: str, blobs, more: bool, last_key, query, cursor_for, kind) -> Reply:
    """The envelope around a page, with the page and loop faults applied; every list endpoint shares this.
    `query` has the page's `after`, `limit`, `cursor` (as sent) and loop `marks`; `cursor_for(after,
    extra=None)` makes the cursor of the page after `after`."""
    settings = emu.settings
    base, path, limit = base_url(emu), request.path, query.limit
    own = None
    if settings.self_link == "cursor":  # a first page has none: one that leads to it
        own = query.cursor if query.cursor is not None else cursor_for(query.after)
    self_link = self_href(settings, base, request, own)
    next_href = None
    if more:
        next_href = cursor_href(settings, base, path, cursor_for(last_key), limit)
    if kind == "empty_page_with_next":
        # continue where this page should have started, so nothing is lost for a reader that follows
        blobs = []
        next_href = cursor_href(settings, base, path, cursor_for(query.after, {"n": fresh_nonce()}), limit)
    elif kind == "next_self":
        next_href = self_link
    elif kind == "next_foreign":
        foreign = settings.foreign_base_url.rstrip("/")
        next_href = cursor_href(settings, foreign, path, cursor_for(last_key), limit)
    elif kind in _RECORD_FAULTS and blobs:
        blobs = [_broken(blobs[0], kind)] + blobs[1:]
    if kind not in _LINK_FAULTS:
        looped = next_link(emu, request, stream, bool(blobs), more, last_key, query, cursor_for)
        if looped is not None:
            next_href = looped

    links = {"self": {"href": self_link}}
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


def _broken(blob: bytes, kind: str) -> bytes:
    record = json.loads(blob)
    if kind == "record_without_id":
        record.pop("id", None)
    elif kind == "record_without_updated_at":
        record.pop("updated_at", None)
    else:
        record["updated_at"] = "31/01/2024 25:61"
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
