"""The one request path every data endpoint of the table takes:

token (401) -> bucket (429) -> scope (403, or the entry's setting) -> module (404; legal entities 412)
-> `Beta` header (400, with settings.beta_header_required) -> fault -> query (400) -> page (404 for an
unknown parent or record) -> envelope. The x-ratelimit-* headers ride on every answer past the token.
The token endpoints (POST) have their own short path: token faults, then auth.py.
"""
from typing import Dict, Optional

from . import pages
from .auth import authorize, revoke_endpoint, token_endpoint
from .envelope import page_reply
from .faults import REQUEST_KINDS, TOKEN_KINDS, pick
from .injection import early_reply, finish
from .links import query_of
from .query import BadRequest, next_cursor, read
from .replies import Reply, problem
from .table import Endpoint


def serve(emu, endpoint: Endpoint, params: Dict[str, str], request) -> Reply:
    if endpoint.method == "POST":
        return token(emu, request) if endpoint.source == "token" else revoke_endpoint(emu, request)
    grant = authorize(emu, request)
    if isinstance(grant, Reply):
        return grant
    verdict = emu.limiter.check(endpoint.stream, emu.settings, grant.client_id)
    if not verdict.allowed:
        return problem(429, "Too Many Requests", "Rate limit exceeded", verdict.headers)
    reply = _answer(emu, endpoint, params, request, grant)
    reply.headers.extend(verdict.headers)
    return reply


def token(emu, request) -> Reply:
    fault = pick(emu.settings.faults, "token", TOKEN_KINDS)
    kind = fault.kind if fault else None
    if fault is not None:
        replaced = early_reply(kind, fault.detail)
        if replaced is not None:
            return replaced
    return finish(token_endpoint(emu, request), kind, emu.settings.fault_hang_seconds)


def _answer(emu, endpoint: Endpoint, params: Dict[str, str], request, grant) -> Reply:
    settings = emu.settings
    refused = _refusal(settings, endpoint, grant, request) or _refused_beta(settings, endpoint, request)
    if refused is not None:
        return refused
    kind = None
    if endpoint.faults:
        fault = pick(settings.faults, endpoint.stream, REQUEST_KINDS)
        kind = fault.kind if fault else None
        replaced = early_reply(fault.kind, fault.detail) if fault else None
        if replaced is not None:
            return replaced
    source = getattr(pages, endpoint.source)
    if endpoint.one_record:
        if request.query:
            return problem(400, "Invalid request content",
                           f"Unknown query parameter(s): {', '.join(sorted(request.query))}")
        blob, missing = source(emu, endpoint, params)
        return problem(404, "Not Found", missing) if blob is None else Reply(200, blob)

    parent = params.get("parent")
    try:
        query = read(endpoint, query_of(request, settings), parent, settings)
    except BadRequest as error:
        return problem(400, "Invalid request content", str(error))
    refused = _refused_cursor_filters(emu, endpoint, query)
    if refused is not None:
        return refused
    page = source(emu, endpoint, query, _served_limit(settings, endpoint.stream, query.limit, kind), grant.scopes)
    if page is None:
        return problem(404, "Not Found", f"{endpoint.parent} {parent} not found")
    return page_reply(emu, request, endpoint.stream, page.blobs, page.more, page.last_key, query,
                      lambda after, extra=None: next_cursor(endpoint, query, after, extra), kind)


def _refusal(settings, endpoint: Endpoint, grant, request) -> Optional[Reply]:
    """403 for a missing scope (scopes can be withdrawn from the credential while its tokens live), then the
    entry's answer for a module the tenant has not licensed; None when the request may go on."""
    scope = getattr(settings, endpoint.scope_setting) if endpoint.scope_setting else endpoint.scope
    if scope not in grant.scopes or scope not in settings.granted_scopes:
        status = getattr(settings, endpoint.missing_scope_status_setting, 403)
        return problem(status, "Insufficient access scope", f"This endpoint requires the scope {scope}")
    if settings.unlicensed_modules and endpoint.stream in settings.unlicensed_modules:
        status, title, detail = endpoint.unlicensed
        return problem(status, title, detail or f"No resource at {request.path}")
    return None


def _refused_beta(settings, endpoint: Endpoint, request) -> Optional[Reply]:
    """With settings.beta_header_required, a list Personio still documents as beta wants `Beta: true`. Our
    judgement of the answer without it: a 400 naming the header, like any other malformed request."""
    if not settings.beta_header_required or not endpoint.beta:
        return None
    if (request.headers.get("Beta") or "").strip().lower() == "true":
        return None
    return problem(400, "Bad Request", "This endpoint is in beta: send the header `Beta: true`")


def _refused_cursor_filters(emu, endpoint: Endpoint, query) -> Optional[Reply]:
    """Filters sent next to a cursor are counted; some lists ignore them (the cursor wins), the others refuse
    them."""
    if not query.filters_with_cursor:
        return None
    emu.stats.count_filters_with_cursor()
    if endpoint.cursor_wins:
        return None
    names = ", ".join(query.filters_with_cursor)
    return problem(400, "Invalid request content",
                   f"Filters may not be sent together with a cursor (got {names}); the cursor carries them")


def _served_limit(settings, stream: str, asked: int, kind: Optional[str]) -> int:
    """How many records the page holds: the limit asked, at most the stream's page cap (a server may send
    short pages with a next link), ten times that under the huge_page fault."""
    served = min(asked, settings.page_cap.get(stream, asked))
    return served * 10 if kind == "huge_page" else served
