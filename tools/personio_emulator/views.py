"""One page of a section 7 endpoint, from the company's state (extra.py) and a read query.

Every list is (keys, blobs) in served order with ascending string keys, so the page after a
cursor is one bisect. Static lists key by position (they never change); employments and
recruiting lists by newest-first updated_at then id; breakdowns by date; compensations by person,
month and plan. Filtered and rendered lists are cached: the catalog's forever, compensations per
company version, so a walk renders each record once.
"""
import bisect
import json
from typing import Optional

from .company import Page
from .employments import Employment
from .replies import json_bytes
from .settings import SALARY_BANDS_SCOPE

_CACHE_SIZE = 64


def page(company, endpoint, parent: Optional[str], query, settings, scopes, limit: int) -> Optional[Page]:
    """None when the parent (person or absence) does not exist."""
    extra = company.extra
    stream = endpoint.stream
    with company._lock:
        if stream in ("recruiting_applications", "recruiting_candidates"):
            return _recruiting(extra, stream, query, settings.recruiting_timestamps, limit)
        if stream == "employments":
            view = _employments(company, parent, query.values, settings)
        elif stream == "absence_period_breakdowns":
            view = extra.breakdown_rows(parent)
        elif stream == "compensations":
            view = _compensations(company, query, settings.compensation_ids_recur)
        else:
            salary_bands = SALARY_BANDS_SCOPE in scopes and SALARY_BANDS_SCOPE in settings.granted_scopes
            view = _static(extra, endpoint, query, salary_bands)
    if view is None:
        return None
    keys, blobs = view
    start = 0 if query.after is None else bisect.bisect_right(keys, query.after)
    stop = start + limit
    picked = blobs[start:stop]
    return Page(picked, keys[start + len(picked) - 1] if picked else query.after, stop < len(keys))


def _recruiting(extra, stream, query, mode, limit) -> Page:
    board = extra.boards[stream]
    lo, hi = board.window(query.values.get("updated_at.gt"), query.values.get("updated_at.lt"))
    if query.after is not None:
        lo = max(lo, bisect.bisect_right(board.keys, query.after))
    keys = board.keys[lo:min(hi, lo + limit)]
    rows = board.rows
    return Page([rows[key[21:]].render(mode) for key in keys], keys[-1] if keys else query.after, lo + limit < hi)


def _employments(company, person_id, values, settings):
    found = company.extra.employments_of(person_id)
    if found is None:
        return None
    exact, gt, lt = values.get("updated_at"), values.get("updated_at.gt"), values.get("updated_at.lt")
    ids = values.get("id")
    chosen = sorted((e for e in found if (ids is None or e.id in ids) and (exact is None or e.updated_us == exact)
                     and (gt is None or e.updated_us > gt) and (lt is None or e.updated_us < lt)), key=Employment.key)
    allowed = settings.whitelisted_employment_attributes
    whitelist = None if allowed is None else frozenset(allowed)
    omit = settings.employment_person_omitted
    base = company.base_url
    return [e.key() for e in chosen], [e.render(base, whitelist, omit) for e in chosen]


def _compensations(company, query, recur: bool):
    extra = company.extra
    values = query.values
    token = ("compensations", json.dumps(query.filters, sort_keys=True), recur, company.version,
             extra.overrides_version)
    cached = extra.view_cache.get(token)
    if cached is None:
        items = extra.compensation_items(values["start_date"], values["end_date"], values.get("person.id"),
                                         values.get("legal_entity.id"), recur)
        cached = _remember(extra, token, ([k for k, _ in items], [b for _, b in items]))
    return cached


def _static(extra, endpoint, query, salary_bands: bool):
    values = query.values
    token = (endpoint.stream, json.dumps(query.filters, sort_keys=True), salary_bands)
    cached = extra.view_cache.get(token)
    if cached is not None:
        return cached
    catalog = extra.catalog
    if endpoint.stream == "org_units":
        records = catalog.departments if values["type"] == "department" else catalog.teams
        if values.get("include_parent_chain"):
            records = [dict(u, parent_chain=catalog.parent_chain[(u["type"], u["id"])]) for u in records]
    else:
        records = catalog.lists()[endpoint.stream]
    if endpoint.stream == "jobs" and not salary_bands:
        records = [dict(j, salary_band_ids=[]) for j in records]  # bands stay hidden without their scope
    for name, field in (("id", "id"), ("country", "country")):
        if name in values:
            records = [r for r in records if r.get(field) in values[name]]
    if "name" in values:
        records = [r for r in records if r.get("name") == values["name"]]
    sort = values.get("sort")
    if sort is None and endpoint.default_sort:
        sort = [(endpoint.default_sort.lstrip("-"), endpoint.default_sort.startswith("-"))]
    for field, descending in reversed(sort or []):  # stable sorts, last key first
        records = sorted(records, key=lambda r: _sort_value(r, field), reverse=descending)
    view = ([f"{i:08d}" for i in range(len(records))], [json_bytes(r) for r in records])
    return _remember(extra, token, view)


def _sort_value(record: dict, field: str):
    """Digit ids sort as numbers; UUIDs (jobs) as text."""
    value = record[field]
    return int(value) if field == "id" and value.isdigit() else value


def _remember(extra, token, view):
    if len(extra.view_cache) > _CACHE_SIZE:
        extra.view_cache.clear()
    extra.view_cache[token] = view
    return view
