"""The three list endpoints as data, and the strict reading of their query strings.

What differs between endpoints (page size, which updated_at operators, how date-times may be
written, which filters exist) is declared once in the table below; `read_query` applies it.
"""
import functools
import re
from dataclasses import dataclass, field
from datetime import timezone, tzinfo
from typing import Callable, Dict, List, Optional
from zoneinfo import ZoneInfo

from . import cursor, times
from .settings import ABSENCES_SCOPE, ATTENDANCES_SCOPE, PERSONS_SCOPE


@dataclass(frozen=True)
class Filter:
    kind: str  # "instant" (RFC 3339 instants), "wall" (offset-less local times), "date", "in", "enum", "text"
    field: str  # dotted path into the rendered record
    op: str = ""  # eq | gt | lt | gte | lte for the ordered kinds
    allowed: tuple = ()  # values an "enum" filter accepts


@dataclass(frozen=True)
class Endpoint:
    stream: str
    path: str
    scope: str
    max_limit: int
    default_limit: int
    filters: Dict[str, Filter]
    offsets: str  # how date-time values may be written: "required", "any" or "forbidden"
    plain_dates: bool  # whether YYYY-MM-DD is accepted where a date-time is expected
    sort_fields: tuple = field(default=())


def _ordered(kind: str, name: str, ops) -> Dict[str, Filter]:
    return {f"{name}.{op}": Filter(kind, name, op) for op in ops}


PERSONS = Endpoint(
    "persons", "/v2/persons", PERSONS_SCOPE, max_limit=50, default_limit=10,
    filters={  # every filter of the published definition (contract §8)
        **_ordered("instant", "updated_at", ("gt", "lt")),  # strict, and no .gte/.lte at all
        **_ordered("instant", "created_at", ("gt", "lt")),
        "updated_at": Filter("instant", "updated_at", "eq"),
        "created_at": Filter("instant", "created_at", "eq"),
        "id": Filter("in", "id"),
        "email": Filter("in", "email"),
        "first_name": Filter("text", "first_name"),
        "last_name": Filter("text", "last_name"),
        "preferred_name": Filter("text", "preferred_name"),
        "status": Filter("enum", "status", allowed=("ACTIVE", "INACTIVE")),
    },
    offsets="required", plain_dates=True,
)
ABSENCE_PERIODS = Endpoint(
    "absence_periods", "/v2/absence-periods", ABSENCES_SCOPE, max_limit=100, default_limit=100,
    filters={
        **_ordered("instant", "updated_at", ("gte", "lte")),  # inclusive
        "person.id": Filter("in", "person.id"),
        "absence_type.id": Filter("in", "absence_type.id"),
        "id": Filter("in", "id"),
        **_ordered("wall", "starts_from.date_time", ("gte", "lte")),
        **_ordered("wall", "ends_at.date_time", ("gte", "lte")),
    },
    offsets="any", plain_dates=False,
)
ATTENDANCE_PERIODS = Endpoint(
    "attendance_periods", "/v2/attendance-periods", ATTENDANCES_SCOPE, max_limit=100, default_limit=100,
    filters={
        **_ordered("instant", "updated_at", ("gte", "lte")),  # inclusive; `Z` or an offset is a 400
        "person.id": Filter("in", "person.id"),
        "id": Filter("in", "id"),
        "project.id": Filter("in", "project.id"),
        "status": Filter("enum", "status", allowed=("PENDING", "CONFIRMED", "REJECTED")),
        **_ordered("wall", "start.date_time", ("gte", "lte")),
        **_ordered("wall", "end.date_time", ("gte", "lte")),
        **_ordered("date", "attribution_date", ("gte", "lte")),
    },
    offsets="forbidden", plain_dates=False,
    sort_fields=("person.id", "start.date_time", "end.date_time", "attribution_date", "updated_at", "created_at", "id"),
)
ENDPOINTS = (PERSONS, ABSENCE_PERIODS, ATTENDANCE_PERIODS)
BY_PATH = {e.path: e for e in ENDPOINTS}
BY_STREAM = {e.stream: e for e in ENDPOINTS}


class BadRequest(Exception):
    """A 400 with `detail` as the problem detail."""


@dataclass
class ListQuery:
    limit: int
    lower: Optional[int]  # inclusive updated_at bounds in microseconds, for the index bisect
    upper: Optional[int]
    match: Optional[Callable[[dict], bool]]
    sort: Optional[str]
    order: Optional[Callable[[dict], tuple]]
    order_token: object
    after: object  # position after which this page starts
    filters: Dict[str, List[str]]  # the filters as sent, carried on in the next cursor
    filters_with_cursor: List[str]  # filter names sent next to a cursor (ignored; see settings)
    cursor: Optional[str] = None  # the cursor as sent: None on a window's first page
    marks: Dict[str, object] = field(default_factory=dict)  # a loop fault's marks in that cursor


@functools.lru_cache(maxsize=16)
def zone(name: str) -> tzinfo:
    return timezone.utc if name.upper() in ("UTC", "Z") else ZoneInfo(name)


_DIGITS = re.compile(r"\d+\Z")


def read_query(endpoint: Endpoint, params: Dict[str, List[str]], naive_zone: str,
               default_sort: Optional[str] = None) -> ListQuery:
    params = dict(params)
    limit_values = params.pop("limit", None)
    cursor_values = params.pop("cursor", None)
    sort_values = params.pop("sort", None) if endpoint.sort_fields else None
    unknown = sorted(name for name in params if name not in endpoint.filters)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")

    limit = read_limit(limit_values, endpoint.max_limit)

    with_cursor: List[str] = []
    state = {}
    if cursor_values is not None:
        state = read_cursor(cursor_values, endpoint.stream)
        with_cursor = sorted(params) + (["sort"] if sort_values is not None else [])
        filters, sort, after = state.get("f", {}), state.get("s"), state.get("a")
        if limit is None:
            limit = state.get("l", endpoint.default_limit)
        if isinstance(after, list):
            after = _tupled(after)
    else:
        filters, after = params, None
        if sort_values is not None:
            if len(sort_values) != 1:
                raise BadRequest("sort may be given once")
            sort = sort_values[0]
        else:
            sort = default_sort
    if limit is None:
        limit = endpoint.default_limit

    lower, upper, checks = _read_filters(endpoint, filters, zone(naive_zone))
    match = None
    if checks:
        def match(record, checks=checks):
            return all(check(record) for check in checks)
    order = _order(endpoint, sort) if sort else None
    token = (sort, naive_zone, tuple(sorted((k, tuple(v)) for k, v in filters.items())))
    return ListQuery(limit, lower, upper, match, sort, order, token, after, filters, with_cursor,
                     cursor_values[0] if cursor_values else None, cursor.marks(state))


def read_limit(values: Optional[List[str]], max_limit: int) -> Optional[int]:
    """The `limit` parameter, if given: one integer from 1 to the endpoint's largest page."""
    if values is None:
        return None
    if len(values) != 1 or not _DIGITS.match(values[0]) or not 1 <= int(values[0]) <= max_limit:
        raise BadRequest(f"limit must be an integer between 1 and {max_limit}")
    return int(values[0])


def read_cursor(values: List[str], stream: str, parent: Optional[str] = None) -> dict:
    """The state inside a `cursor` parameter, which must have been issued for this stream (and parent)."""
    if len(values) != 1:
        raise BadRequest("Only one cursor may be given")
    state = cursor.decode(values[0])
    if state is None or state.get("e") != stream or state.get("p") != parent:
        raise BadRequest("Invalid cursor")
    return state


def next_cursor(endpoint: Endpoint, query: ListQuery, after, extra: Optional[dict] = None) -> str:
    """`extra`: a nonce ("n", making an otherwise identical cursor distinct) or a loop fault's marks."""
    state = {"e": endpoint.stream, "f": query.filters, "a": after, "l": query.limit, "s": query.sort}
    return cursor.encode({**state, **(extra or {})})


def _tupled(value):
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


def _read_filters(endpoint: Endpoint, filters: Dict[str, List[str]], naive_zone: tzinfo):
    lower = upper = None
    checks = []
    for name, values in sorted(filters.items()):
        spec = endpoint.filters.get(name)
        if spec is None or not isinstance(values, list) or not values:
            raise BadRequest(f"Unknown query parameter: {name}")
        if spec.kind == "in":
            wanted = {v for value in values for v in value.split(",") if v}
            if not wanted:
                raise BadRequest(f"{name} must not be empty")
            checks.append(lambda r, f=spec.field, w=wanted: _get(r, f) in w)
            continue
        if len(values) != 1:
            raise BadRequest(f"{name} may be given once")
        text = values[0]
        if spec.kind == "text":
            checks.append(lambda r, f=spec.field, v=text: _get(r, f) == v)
        elif spec.kind == "enum":
            if text not in spec.allowed:
                raise BadRequest(f"{name} must be one of {', '.join(spec.allowed)}")
            checks.append(lambda r, f=spec.field, v=text: _get(r, f) == v)
        elif spec.kind == "date":
            parsed = times.parse(text)
            if parsed is None or not parsed.date_only:
                raise BadRequest(f"Invalid request content: {name} must be a date (YYYY-MM-DD)")
            checks.append(_compare(spec, text))
        elif spec.kind == "wall":
            parsed = _date_time(endpoint, name, text)
            checks.append(_compare(spec, times.wall_text(parsed.wall)))
        else:
            parsed = _date_time(endpoint, name, text)
            value = times.instant(parsed, timezone.utc if parsed.date_only else naive_zone)
            if spec.field == "updated_at":
                # the index holds exact instants: strict bounds become inclusive ones a microsecond in
                if spec.op in ("gt", "gte", "eq"):
                    bound = value + 1 if spec.op == "gt" else value
                    lower = bound if lower is None else max(lower, bound)
                if spec.op in ("lt", "lte", "eq"):
                    bound = value - 1 if spec.op == "lt" else value
                    upper = bound if upper is None else min(upper, bound)
            else:
                checks.append(_compare_instant(spec, value))
    return lower, upper, checks


def _date_time(endpoint: Endpoint, name: str, text: str) -> times.TimeText:
    parsed = times.parse(text)
    if parsed is None:
        raise BadRequest(f"Invalid request content: {name} is not a date-time: {text!r}")
    if parsed.date_only:
        if not endpoint.plain_dates:
            raise BadRequest(f"Invalid request content: {name} must be a date-time, not a date")
        return parsed
    if parsed.offset is None and endpoint.offsets == "required":
        raise BadRequest(f"Invalid request content: {name} must be an RFC 3339 date-time with offset")
    if parsed.offset is not None and endpoint.offsets == "forbidden":
        raise BadRequest(f"Invalid request content: {name} must be a date-time without offset")
    return parsed


def _get(record: dict, path: str):
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


_OPS = {
    "eq": lambda a, b: a == b, "gt": lambda a, b: a > b, "lt": lambda a, b: a < b,
    "gte": lambda a, b: a >= b, "lte": lambda a, b: a <= b,
}


def _compare(spec: Filter, bound: str):
    op = _OPS[spec.op]

    def check(record):
        value = _get(record, spec.field)
        return isinstance(value, str) and op(value, bound)
    return check


def _compare_instant(spec: Filter, bound: int):
    op = _OPS[spec.op]

    def check(record):
        parsed = times.parse(_get(record, spec.field) or "")
        return parsed is not None and op(times.instant(parsed, timezone.utc), bound)
    return check


def _order(endpoint: Endpoint, sort: str) -> Callable[[dict], tuple]:
    """A sort key for rendered records. Descending parts use negated numbers, or negated code
    points with a terminator, so every part sorts ascending and a cursor can bisect the order."""
    parts = []
    for item in sort.split(","):
        descending = item.startswith("-")
        name = item.lstrip("+-")
        if name not in endpoint.sort_fields:
            raise BadRequest(f"Invalid sort field {name!r}; allowed: {', '.join(endpoint.sort_fields)}")
        parts.append((name, descending))

    def key(record):
        out = []
        for name, descending in parts:
            value = _get(record, name)
            if value is None:
                out.append((1, 0))
                continue
            if name.endswith("_at"):
                value = times.instant(times.parse(value), timezone.utc)
            elif name == "person.id" and value.isdigit():
                value = int(value)
            if descending:
                value = -value if isinstance(value, int) else tuple(-ord(c) for c in value) + (1,)
            out.append((0, value))
        return tuple(out)
    return key
