"""The section 7 endpoints as data, and the strict reading of their query strings.

Like endpoints.py for the first three, but these filter small or per-parent lists, so a filter is
read into a plain value (a set of ids, an instant, a date...) that views.py applies. Cursors carry
the stream, the parent id of the path, the filters, the limit and the last key served.
"""
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Dict, List, Optional, Tuple

from . import cursor, times
from .compensations import add_month
from .endpoints import BadRequest, read_cursor, read_limit
from .settings import (ABSENCES_SCOPE, COMPENSATIONS_SCOPE, COST_CENTERS_SCOPE, JOBS_SCOPE, LEGAL_ENTITIES_SCOPE,
                       ORG_UNITS_SCOPE, PERSONS_SCOPE, RECRUITING_SCOPE, SALARY_BANDS_SCOPE, WORKPLACES_SCOPE)


@dataclass(frozen=True)
class Param:
    kind: str  # "in" (comma lists, may repeat), "text", "instant", "date", "bool", "enum", "sort"
    allowed: tuple = ()  # values of an "enum", fields of a "sort"


@dataclass(frozen=True)
class MoreEndpoint:
    stream: str
    path: str  # the whole path, or the part before the parent id
    scope: Optional[str]  # None: settings.projects_scope decides
    max_limit: int
    default_limit: int
    params: Dict[str, Param] = field(default_factory=dict)
    required: Tuple[str, ...] = ()
    suffix: str = ""  # after the parent id, for per-parent endpoints
    default_sort: str = ""


IDS, NAME, SORT = Param("in"), Param("text"), Param("sort", ("id", "name"))
INSTANT = Param("instant")
CATALOG_FILTERS = {"id": IDS, "name": NAME, "sort": SORT}
MORE_ENDPOINTS = (
    MoreEndpoint("employments", "/v2/persons/", PERSONS_SCOPE, 50, 10,
                 {"id": IDS, "updated_at": INSTANT, "updated_at.gt": INSTANT, "updated_at.lt": INSTANT},
                 suffix="/employments"),
    MoreEndpoint("org_units", "/v2/org-units", ORG_UNITS_SCOPE, 100, 50,
                 {"type": Param("enum", ("department", "team")), "include_parent_chain": Param("bool")},
                 required=("type",)),
    MoreEndpoint("legal_entities", "/v2/legal-entities", LEGAL_ENTITIES_SCOPE, 100, 20,
                 {"id": IDS, "country": Param("in")}),
    MoreEndpoint("workplaces", "/v2/workplaces", WORKPLACES_SCOPE, 100, 50, CATALOG_FILTERS, default_sort="id"),
    MoreEndpoint("cost_centers", "/v2/cost-centers", COST_CENTERS_SCOPE, 100, 50, CATALOG_FILTERS, default_sort="id"),
    MoreEndpoint("jobs", "/v2/jobs", JOBS_SCOPE, 100, 50, CATALOG_FILTERS, default_sort="-id"),
    MoreEndpoint("salary_bands", "/v2/salary-bands", SALARY_BANDS_SCOPE, 100, 50, {"id": IDS}),
    MoreEndpoint("absence_types", "/v2/absence-types", ABSENCES_SCOPE, 100, 100),
    MoreEndpoint("absence_period_breakdowns", "/v2/absence-periods/", ABSENCES_SCOPE, 28, 28, suffix="/breakdowns"),
    MoreEndpoint("projects", "/v2/projects", None, 100, 50),
    MoreEndpoint("compensations", "/v2/compensations", COMPENSATIONS_SCOPE, 100, 100,
                 {"start_date": Param("date"), "end_date": Param("date"), "person.id": IDS, "legal_entity.id": IDS},
                 required=("start_date", "end_date")),
    MoreEndpoint("compensation_types", "/v2/compensations/types", COMPENSATIONS_SCOPE, 100, 100),
    MoreEndpoint("recruiting_applications", "/v2/recruiting/applications", RECRUITING_SCOPE, 200, 100,
                 {"updated_at.gt": INSTANT, "updated_at.lt": INSTANT}),
    MoreEndpoint("recruiting_candidates", "/v2/recruiting/candidates", RECRUITING_SCOPE, 200, 100,
                 {"updated_at.gt": INSTANT, "updated_at.lt": INSTANT}),
    # the contract does not know these limits: a request without one gets 50, 1-100 is accepted
    MoreEndpoint("recruiting_jobs", "/v2/recruiting/jobs", RECRUITING_SCOPE, 100, 50),
    MoreEndpoint("recruiting_categories", "/v2/recruiting/categories", RECRUITING_SCOPE, 100, 50),
)
BY_PATH = {e.path: e for e in MORE_ENDPOINTS if not e.suffix}
BY_STREAM = {e.stream: e for e in MORE_ENDPOINTS}
_PARENTED = [e for e in MORE_ENDPOINTS if e.suffix]


def route(path: str):
    """(endpoint, parent id or None) for a section 7 path, else None."""
    endpoint = BY_PATH.get(path)
    if endpoint is not None:
        return endpoint, None
    for endpoint in _PARENTED:
        if path.startswith(endpoint.path) and path.endswith(endpoint.suffix):
            parent = path[len(endpoint.path):len(path) - len(endpoint.suffix)]
            if parent and "/" not in parent:
                return endpoint, parent
    return None


@dataclass
class MoreQuery:
    limit: int
    after: Optional[str]  # the last key served, from the cursor
    filters: Dict[str, List[str]]  # as sent: the next cursor carries them
    values: Dict[str, object]  # as read: what views.py applies
    filters_with_cursor: List[str]
    cursor: Optional[str] = None  # the cursor as sent: None on a first page
    marks: Dict[str, object] = field(default_factory=dict)  # a loop fault's marks in that cursor


_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")
_COUNTRY = re.compile(r"[A-Z]{2}\Z")


def read(endpoint: MoreEndpoint, params: Dict[str, List[str]], parent: Optional[str]) -> MoreQuery:
    params = dict(params)
    limit_values = params.pop("limit", None)
    cursor_values = params.pop("cursor", None)
    if "includes" in params and endpoint.stream == "projects":
        raise BadRequest("includes is not supported on /v2/projects")
    unknown = sorted(name for name in params if name not in endpoint.params)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")
    limit = read_limit(limit_values, endpoint.max_limit)
    with_cursor: List[str] = []
    after = None
    state = {}
    if cursor_values is not None:
        state = read_cursor(cursor_values, endpoint.stream, parent)
        with_cursor = sorted(params)
        filters, after = state.get("f", {}), state.get("a")
        if limit is None:
            limit = state.get("l", endpoint.default_limit)
    else:
        filters = params
    return MoreQuery(limit or endpoint.default_limit, after, filters, _values(endpoint, filters), with_cursor,
                     cursor_values[0] if cursor_values else None, cursor.marks(state))


def next_cursor(endpoint: MoreEndpoint, query: MoreQuery, parent: Optional[str], after,
                extra: Optional[dict] = None) -> str:
    """`extra`: a nonce ("n", making an otherwise identical cursor distinct) or a loop fault's marks."""
    state = {"e": endpoint.stream, "p": parent, "f": query.filters, "a": after, "l": query.limit}
    return cursor.encode({**state, **(extra or {})})


def _values(endpoint: MoreEndpoint, filters: Dict[str, List[str]]) -> Dict[str, object]:
    values = {}
    for name, given in filters.items():
        spec = endpoint.params.get(name)
        if spec is None or not isinstance(given, list) or not given:
            raise BadRequest(f"Unknown query parameter: {name}")
        values[name] = _value(name, spec, given)
    missing = [name for name in endpoint.required if name not in values]
    if missing:
        hint = " (department or team)" if endpoint.stream == "org_units" else ""
        raise BadRequest(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} required{hint}")
    if endpoint.stream == "compensations":
        start, end = values["start_date"], values["end_date"]
        if end < start:
            raise BadRequest("end_date must not be before start_date")
        if end > add_month(start):
            raise BadRequest("The range from start_date to end_date must not exceed one month")
    if "updated_at.gt" in values and "updated_at.lt" in values and endpoint.stream.startswith("recruiting_"):
        raise BadRequest("Only one of updated_at.gt and updated_at.lt may be given")
    if "country" in values and not all(_COUNTRY.match(c) for c in values["country"]):
        raise BadRequest("country must be ISO 3166-1 alpha-2 codes, e.g. DE")
    return values


def _value(name: str, spec: Param, given: List[str]):
    if spec.kind == "in":
        wanted = frozenset(v for value in given for v in value.split(",") if v)
        if not wanted:
            raise BadRequest(f"{name} must not be empty")
        return wanted
    if len(given) != 1:
        raise BadRequest(f"{name} may be given once")
    text = given[0]
    if spec.kind == "text":
        return text
    if spec.kind == "enum":
        if text not in spec.allowed:
            raise BadRequest(f"{name} must be one of {', '.join(spec.allowed)}")
        return text
    if spec.kind == "bool":
        if text not in ("true", "false"):
            raise BadRequest(f"{name} must be true or false")
        return text == "true"
    if spec.kind == "date":
        try:
            if not _DATE.match(text):
                raise ValueError
            return date.fromisoformat(text)
        except ValueError:
            raise BadRequest(f"Invalid request content: {name} must be a date (YYYY-MM-DD)")
    if spec.kind == "sort":
        parts = []
        for item in text.split(","):
            field_name = item.lstrip("+-")
            if field_name not in spec.allowed:
                raise BadRequest(f"Invalid sort field {field_name!r}; allowed: {', '.join(spec.allowed)}")
            parts.append((field_name, item.startswith("-")))
        return parts
    parsed = times.parse(text)  # "instant": RFC 3339 with an offset, nothing looser
    if parsed is None or parsed.date_only or parsed.offset is None:
        raise BadRequest(f"Invalid request content: {name} must be an RFC 3339 date-time with offset: {text!r}")
    return times.instant(parsed, None)
