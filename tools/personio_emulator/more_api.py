"""GET on the section 7 endpoints: token, throttle, scope, module, faults, query, then the page.

The order of the checks: a bad token is 401 and a throttled one 429 before anything else; a
missing scope is 403 (employments: settings.persons_missing_scope_status, as persons); a module
the tenant has not licensed is 404, or 412 for legal entities; a beta list without `Beta: true` is 400
when settings.beta_header_required; then faults and the query (400);
then an unknown parent (person, absence) is 404.
"""
from . import views
from .api import injected_fault, page_reply, refusal, refused_beta, refused_cursor_filters, served_limit, throttled
from .endpoints import BadRequest
from .links import query_of
from .more_endpoints import MoreEndpoint, next_cursor, read
from .replies import Reply, problem

_PARENTS = {"employments": "Person", "absence_period_breakdowns": "Absence period"}


def more_list(emu, endpoint: MoreEndpoint, parent, request) -> Reply:
    return throttled(emu, endpoint.stream, request, lambda grant: _answer(emu, endpoint, parent, request, grant))


def _answer(emu, endpoint: MoreEndpoint, parent, request, grant) -> Reply:
    settings = emu.settings
    scope = settings.projects_scope if endpoint.scope is None else endpoint.scope
    scope_status = settings.persons_missing_scope_status if endpoint.stream == "employments" else 403
    refused = refusal(settings, grant, endpoint.stream, scope, request.path, scope_status)
    if refused is not None:
        return refused
    refused = refused_beta(settings, endpoint.stream, request)
    if refused is not None:
        return refused
    kind, replaced = injected_fault(settings, endpoint.stream)
    if replaced is not None:
        return replaced

    try:
        query = read(endpoint, query_of(request, settings), parent)
    except BadRequest as error:
        return problem(400, "Invalid request content", str(error))
    refused = refused_cursor_filters(emu, endpoint.stream, query)
    if refused is not None:
        return refused

    limit = served_limit(settings, endpoint.stream, query.limit, kind)
    page = views.page(emu.company, endpoint, parent, query, settings, grant.scopes, limit)
    if page is None:
        return problem(404, "Not Found", f"{_PARENTS[endpoint.stream]} {parent} not found")
    return page_reply(emu, request, endpoint.stream, page.blobs, page.more, page.last_key, query,
                      lambda after, extra=None: next_cursor(endpoint, query, parent, after, extra), kind)
