"""GET on the section 7 endpoints: token, throttle, scope, module, faults, query, then the page.

The order of the checks: a bad token is 401 and a throttled one 429 before anything else; a
missing scope is 403 (employments: settings.persons_missing_scope_status, as persons); a module
the tenant has not licensed is 404, or 412 for legal entities; then faults and the query (400);
then an unknown parent (person, absence) is 404.
"""
from . import views
from .api import page_reply
from .auth import authorize
from .endpoints import BadRequest
from .faults import pick
from .injection import early_reply
from .more_endpoints import MoreEndpoint, next_cursor, read
from .replies import Reply, problem

_PARENTS = {"employments": "Person", "absence_period_breakdowns": "Absence period"}


def more_list(emu, endpoint: MoreEndpoint, parent, request) -> Reply:
    grant = authorize(emu, request)
    if isinstance(grant, Reply):
        return grant
    verdict = emu.limiter.check(endpoint.stream, emu.settings, grant.client_id)
    if not verdict.allowed:
        return problem(429, "Too Many Requests", "Rate limit exceeded", verdict.headers)
    reply = _answer(emu, endpoint, parent, request, grant)
    reply.headers.extend(verdict.headers)
    return reply


def _answer(emu, endpoint: MoreEndpoint, parent, request, grant) -> Reply:
    settings = emu.settings
    scope = settings.projects_scope if endpoint.scope is None else endpoint.scope
    if scope not in grant.scopes or scope not in settings.granted_scopes:
        status = settings.persons_missing_scope_status if endpoint.stream == "employments" else 403
        return problem(status, "Insufficient access scope", f"This endpoint requires the scope {scope}")
    if endpoint.stream in settings.unlicensed_modules:
        if endpoint.stream == "legal_entities":
            return problem(412, "No access to legal entities feature",
                           "The legal entities feature is not enabled for this company")
        return problem(404, "Not Found", f"No resource at {request.path}")

    fault = pick(settings.faults, endpoint.stream)
    kind = fault.kind if fault else None
    if fault is not None:
        replaced = early_reply(kind, fault.detail)
        if replaced is not None:
            return replaced

    try:
        query = read(endpoint, request.query, parent)
    except BadRequest as error:
        return problem(400, "Invalid request content", str(error))
    if query.filters_with_cursor:
        emu.stats.count_filters_with_cursor()
        if not settings.allow_filters_with_cursor:
            names = ", ".join(query.filters_with_cursor)
            return problem(400, "Invalid request content",
                           f"Filters may not be sent together with a cursor (got {names}); the cursor carries them")

    limit = query.limit * 10 if kind == "huge_page" else query.limit
    page = views.page(emu.company, endpoint, parent, query, settings, grant.scopes, limit)
    if page is None:
        return problem(404, "Not Found", f"{_PARENTS[endpoint.stream]} {parent} not found")
    return page_reply(emu, request, page.blobs, page.more, page.last_key, query.after,
                      lambda after, nonce=0: next_cursor(endpoint, query, parent, after, nonce), kind)
