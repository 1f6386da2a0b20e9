"""GET on the three list endpoints: token, throttle, scope, faults, filters, then the page; and the
page envelope (with its faults) every list endpoint shares."""
import itertools
import json

from .auth import authorize
from .endpoints import ATTENDANCE_PERIODS, PERSONS, BadRequest, Endpoint, next_cursor, read_query
from .faults import pick
from .injection import early_reply, finish
from .replies import Reply, problem

_RECORD_FAULTS = {"record_without_id", "record_without_updated_at", "record_bad_updated_at"}
_nonces = itertools.count(1)


def list_endpoint(emu, endpoint: Endpoint, request) -> Reply:
    settings = emu.settings
    grant = authorize(emu, request)
    if isinstance(grant, Reply):
        return grant
    verdict = emu.limiter.check(endpoint.stream, settings, grant.client_id)
    if not verdict.allowed:
        return problem(429, "Too Many Requests", "Rate limit exceeded", verdict.headers)
    reply = _answer(emu, endpoint, request, grant)
    reply.headers.extend(verdict.headers)  # the x-ratelimit-* headers ride on every answer
    return reply


def _answer(emu, endpoint: Endpoint, request, grant) -> Reply:
    settings = emu.settings
    # scopes can be withdrawn from the credential while its tokens live
    if endpoint.scope not in grant.scopes or endpoint.scope not in settings.granted_scopes:
        status = settings.persons_missing_scope_status if endpoint is PERSONS else 403
        return problem(status, "Insufficient access scope", f"This endpoint requires the scope {endpoint.scope}")
    if settings.unlicensed_modules and endpoint.stream in settings.unlicensed_modules:
        return problem(404, "Not Found", f"No resource at {request.path}")

    fault = pick(settings.faults, endpoint.stream)
    kind = fault.kind if fault else None
    if fault is not None:
        replaced = early_reply(kind, fault.detail)
        if replaced is not None:
            return replaced

    default_sort = settings.attendance_default_sort if endpoint is ATTENDANCE_PERIODS else None
    try:
        query = read_query(endpoint, request.query, settings.naive_filter_timezone, default_sort)
    except BadRequest as error:
        return problem(400, "Invalid request content", str(error))
    if query.filters_with_cursor:
        emu.stats.count_filters_with_cursor()
        if not settings.allow_filters_with_cursor:
            names = ", ".join(query.filters_with_cursor)
            return problem(400, "Invalid request content",
                           f"Filters may not be sent together with a cursor (got {names}); the cursor carries them")

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
