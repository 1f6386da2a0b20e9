"""The strict reading of a list's query string by its table entry, and the cursors that carry it on.

A first page's filters are read into plain values (sets of ids, instants in microseconds, dates, sort
parts) that the endpoint's source applies; a cursor carries the stream, the parent of the path, the
filters as sent, the limit, the sort and the last key served, so later pages need nothing else.
"""
import functools
import re
from dataclasses import dataclass, field
from datetime import date, timezone, tzinfo
from typing import Callable, Dict, List, Optional
from zoneinfo import ZoneInfo

from . import cursor, times
from .compensations import add_month
from .table import Endpoint, Filter


class BadRequest(Exception):
    """A 400 with `detail` as the problem detail."""


@dataclass
class Query:
    limit: int
    after: object  # the position after which this page starts (a key of the source's order)
    filters: Dict[str, List[str]]  # as sent on the first page: every next cursor carries them
    values: Dict[str, object]  # as read: what the source applies
    sort: Optional[str]  # as sent, or the endpoint's default; None: the source's own order
    filters_with_cursor: List[str]  # parameter names sent next to a cursor (see Endpoint.cursor_wins)
    parent: Optional[str] = None
    cursor: Optional[str] = None  # the cursor as sent: None on a first page
    marks: Dict[str, object] = field(default_factory=dict)  # a loop fault's marks in that cursor
    zone: str = "UTC"  # the zone offset-less filter values were read in

    @property
    def order_token(self) -> tuple:
        """What a sorted view of the indexed store is cached by."""
        return self.sort, self.zone, tuple(sorted((k, tuple(v)) for k, v in self.filters.items()))


_DIGITS = re.compile(r"\d+\Z")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


@functools.lru_cache(maxsize=16)
def zone(name: str) -> tzinfo:
    return timezone.utc if name.upper() in ("UTC", "Z") else ZoneInfo(name)


def read(endpoint: Endpoint, params: Dict[str, List[str]], parent: Optional[str], settings) -> Query:
    params = dict(params)
    for name, detail in endpoint.refused.items():  # `limit` too, where an endpoint takes no paging parameters
        if name in params:
            raise BadRequest(detail)
    limit_values = params.pop("limit", None)
    cursor_values = params.pop("cursor", None)
    unknown = sorted(name for name in params if name not in endpoint.filters)
    if unknown:
        raise BadRequest(f"Unknown query parameter(s): {', '.join(unknown)}")
    limit = _limit(limit_values, endpoint.max_limit)
    with_cursor: List[str] = []
    after, state = None, {}
    if cursor_values is not None:
        state = _state(cursor_values, endpoint.stream, parent)
        with_cursor = sorted(params)
        filters, after, sort = state.get("f", {}), _tupled(state.get("a")), state.get("s")
        if limit is None:
            limit = state.get("l")
    else:
        filters = params
        sort = filters["sort"][0] if "sort" in filters else _default_sort(endpoint, settings)
    values = _values(endpoint, filters, zone(settings.naive_filter_timezone))
    if sort and "sort" not in values:
        values["sort"] = _sort_parts(endpoint, "sort", sort)
    return Query(limit or endpoint.default_limit, after, filters, values, sort or None, with_cursor, parent,
                 cursor_values[0] if cursor_values else None, cursor.marks(state), settings.naive_filter_timezone)


def next_cursor(endpoint: Endpoint, query: Query, after, extra: Optional[dict] = None) -> str:
    """`extra`: a nonce ("n", making an otherwise identical cursor distinct) or a loop fault's marks."""
    state = {"e": endpoint.stream, "p": query.parent, "f": query.filters, "a": after, "l": query.limit,
             "s": query.sort}
    return cursor.encode({**state, **(extra or {})})


def _default_sort(endpoint: Endpoint, settings) -> Optional[str]:
    if endpoint.sort_setting:
        return getattr(settings, endpoint.sort_setting)
    return endpoint.default_sort or None


def _limit(values: Optional[List[str]], max_limit: int) -> Optional[int]:
    """The `limit` parameter, if given: one integer from 1 to the endpoint's largest page."""
    if values is None:
        return None
    if len(values) != 1 or not _DIGITS.match(values[0]) or not 1 <= int(values[0]) <= max_limit:
        raise BadRequest(f"limit must be an integer between 1 and {max_limit}")
    return int(values[0])


def _state(values: List[str], stream: str, parent: Optional[str]) -> dict:
    """The state inside a `cursor` parameter, which must have been issued for this stream (and parent)."""
    if len(values) != 1:
        raise BadRequest("Only one cursor may be given")
    state = cursor.decode(values[0])
    if state is None or state.get("e") != stream or state.get("p") != parent:
        raise BadRequest("Invalid cursor")
    return state


def _tupled(value):
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value


def _values(endpoint: Endpoint, filters: Dict[str, List[str]], naive_zone: tzinfo) -> Dict[str, object]:
    values = {}
    for name, given in sorted(filters.items()):
        spec = endpoint.filters.get(name)
        if spec is None or not isinstance(given, list) or not given:
            raise BadRequest(f"Unknown query parameter: {name}")
        values[name] = _value(endpoint, name, spec, given, naive_zone)
    missing = [name for name in endpoint.required if name not in values]
    if missing:
        verb = "is" if len(missing) == 1 else "are"
        raise BadRequest(f"{', '.join(missing)} {verb} required{endpoint.required_hint}")
    if len([name for name in endpoint.one_of if name in values]) > 1:
        raise BadRequest(f"Only one of {' and '.join(endpoint.one_of)} may be given")
    if endpoint.date_range:
        start, end = (values[name] for name in endpoint.date_range)
        if end < start:
            raise BadRequest(f"{endpoint.date_range[1]} must not be before {endpoint.date_range[0]}")
        if end > add_month(start):
            raise BadRequest(f"The range from {' to '.join(endpoint.date_range)} must not exceed one month")
    return values


def _value(endpoint: Endpoint, name: str, spec: Filter, given: List[str], naive_zone: tzinfo):
    if spec.kind == "in":
        wanted = frozenset(v for value in given for v in value.split(",") if v)
        if not wanted:
            raise BadRequest(f"{name} must not be empty")
        if spec.pattern and not all(re.match(spec.pattern, v) for v in wanted):
            raise BadRequest(f"{name} must be {spec.described}")
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
        return _sort_parts(endpoint, name, text)
    parsed = _date_time(endpoint, name, text)
    if spec.kind == "wall":
        return times.wall_text(parsed.wall)
    return times.instant(parsed, timezone.utc if parsed.date_only else naive_zone)


def _sort_parts(endpoint: Endpoint, name: str, text: str) -> List[tuple]:
    """[(field, descending)] of a `sort` value."""
    allowed = endpoint.filters[name].allowed if name in endpoint.filters else ()
    parts = []
    for item in text.split(","):
        field_name = item.lstrip("+-")
        if field_name not in allowed:
            raise BadRequest(f"Invalid sort field {field_name!r}; allowed: {', '.join(allowed)}")
        parts.append((field_name, item.startswith("-")))
    return parts


def _date_time(endpoint: Endpoint, name: str, text: str) -> times.TimeText:
    parsed = times.parse(text)
    if parsed is None:
        raise BadRequest(f"Invalid request content: {name} is not a date-time: {text!r}")
    if parsed.date_only:
        if not endpoint.plain_dates:
            wanted = "an RFC 3339 date-time with offset" if endpoint.offsets == "required" else "a date-time"
            raise BadRequest(f"Invalid request content: {name} must be {wanted}, not a date: {text!r}")
        return parsed
    if parsed.offset is None and endpoint.offsets == "required":
        raise BadRequest(f"Invalid request content: {name} must be an RFC 3339 date-time with offset: {text!r}")
    if parsed.offset is not None and endpoint.offsets == "forbidden":
        raise BadRequest(f"Invalid request content: {name} must be a date-time without offset")
    return parsed


# -- applying read values to served records (the sources that filter rendered records use these) -------------

_OPS = {
    "eq": lambda a, b: a == b, "gt": lambda a, b: a > b, "lt": lambda a, b: a < b,
    "gte": lambda a, b: a >= b, "lte": lambda a, b: a <= b,
}


def field_of(record: dict, path: str):
    value = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def checks(endpoint: Endpoint, values: Dict[str, object], skip=()) -> List[Callable[[dict], bool]]:
    """A test per filter that compares with a record field (except `skip`)."""
    out = []
    for name, value in values.items():
        spec = endpoint.filters.get(name)
        if spec is None or not spec.field or name in skip or spec.kind == "sort":
            continue
        if spec.kind == "in":
            out.append(lambda r, f=spec.field, w=value: field_of(r, f) in w)
        elif spec.kind == "instant":
            out.append(_compare_instant(spec, value))
        else:
            bound = value.isoformat() if isinstance(value, date) else value
            out.append(_compare(spec, bound))
    return out


def _compare(spec: Filter, bound):
    op = _OPS[spec.op]

    def check(record):
        value = field_of(record, spec.field)
        return value is not None and type(value) is type(bound) and op(value, bound)
    return check


def _compare_instant(spec: Filter, bound: int):
    op = _OPS[spec.op]

    def check(record):
        parsed = times.parse(field_of(record, spec.field) or "")
        return parsed is not None and op(times.instant(parsed, timezone.utc), bound)
    return check


def order_key(parts: List[tuple]) -> Callable[[dict], tuple]:
    """A sort key for served records. Digit ids sort as numbers, `_at` fields as instants. Descending
    parts use negated numbers, or negated code points with a terminator, so every part sorts ascending
    and a cursor can bisect the order."""
    def key(record):
        out = []
        for name, descending in parts:
            value = field_of(record, name)
            if value is None:
                out.append((1, 0))
                continue
            if name.endswith("_at"):
                value = times.instant(times.parse(value), timezone.utc)
            elif (name == "id" or name.endswith(".id")) and value.isdigit():
                value = int(value)
            if descending:
                value = -value if isinstance(value, int) else tuple(-ord(c) for c in value) + (1,)
            out.append((0, value))
        return tuple(out)
    return key
