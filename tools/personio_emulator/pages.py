"""The sources the endpoint table names: each reads one page (or one record) out of the company's store.

A list is (keys, blobs) in served order with ascending keys, so the page after a cursor is one bisect:
the indexed streams key by (updated_at, id) or the asked sort, employments and recruiting lists by
newest-first updated_at then id, breakdowns by date, compensations by person, month and plan, and the
"listed" ones (records made by a generator, filtered here by the table's filters) by position.
Filtered and rendered lists are cached per company version, so a walk renders each record once.
"""
import bisect
import importlib
import json
from typing import Callable, Dict, List, NamedTuple, Optional

from . import query as reading
from .employments import Employment
from .replies import json_bytes
from .scopes import SALARY_BANDS_SCOPE

_CACHE_SIZE = 64


class Page(NamedTuple):
    blobs: List[bytes]
    last_key: object  # position to continue after (a key of the order used); None if nothing served
    more: bool
    meta: Optional[dict] = None  # more of `_meta` beside the links (a report's `columns`)


class View(NamedTuple):
    """What a "listed" generator is given: the store, the query's values, the parent, the credential's scopes."""
    store: object  # company.on_demand
    endpoint: object
    values: Dict[str, object]
    parent: Optional[str]
    scopes: frozenset


def _allowed(settings, name: str) -> Optional[frozenset]:
    allowed = getattr(settings, name) if name else None
    return None if allowed is None else frozenset(allowed)


def _slice(view, after, limit: int) -> Page:
    keys, blobs = view
    start = 0 if after is None else bisect.bisect_right(keys, after)
    stop = start + limit
    picked = blobs[start:stop]
    return Page(picked, keys[start + len(picked) - 1] if picked else after, stop < len(keys))


# -- the (updated_at, id) indexed streams: persons, absence periods, attendance periods ------------------------

def indexed(emu, endpoint, query, limit: int, scopes) -> Page:
    lower = upper = None
    bounds = []
    for name, value in query.values.items():
        spec = endpoint.filters.get(name)
        if spec is not None and spec.kind == "instant" and spec.field == "updated_at":
            bounds.append(name)
            # the index holds exact instants: strict bounds become inclusive ones a microsecond in
            if spec.op in ("gt", "gte", "eq"):
                bound = value + 1 if spec.op == "gt" else value
                lower = bound if lower is None else max(lower, bound)
            if spec.op in ("lt", "lte", "eq"):
                bound = value - 1 if spec.op == "lt" else value
                upper = bound if upper is None else min(upper, bound)
    tests = reading.checks(endpoint, query.values, skip=bounds)
    match = None
    if tests:
        def match(record, tests=tests):
            return all(test(record) for test in tests)
    sort = query.values.get("sort")
    return emu.company.page(
        endpoint.stream, lower=lower, upper=upper, after=query.after, limit=limit, match=match,
        order=reading.order_key(sort) if sort else None, order_token=query.order_token,
        whitelist=_allowed(emu.settings, endpoint.whitelist_setting),
    )


def one_person(emu, endpoint, params):
    blob = emu.company.person_blob(params["id"], _allowed(emu.settings, endpoint.whitelist_setting))
    return blob, f"Person {params['id']} not found"


def one_employment(emu, endpoint, params):
    blob = emu.company.employment_blob(params["person_id"], params["id"])
    return blob, f"Employment {params['id']} of person {params['person_id']} not found"


def one_listed(emu, endpoint, params):
    """One record of a "listed" generator (the entry's `records`), found by its id."""
    company = emu.company
    scopes = frozenset(emu.settings.granted_scopes)
    with company._lock:
        made = generator(endpoint)(View(company.on_demand, endpoint, {}, params.get("parent"), scopes)) or []
    found = next((record for record in made if record.get("id") == params["id"]), None)
    return (None if found is None else json_bytes(found)), f"No {endpoint.stream} record {params['id']}"


# -- per-parent and built-on-use streams -------------------------------------------------------------------

def employments(emu, endpoint, query, limit: int, scopes) -> Optional[Page]:
    company, settings, values = emu.company, emu.settings, query.values
    with company._lock:
        found = company.on_demand.employments_of(query.parent)
        if found is None:
            return None
        exact, gt, lt = values.get("updated_at"), values.get("updated_at.gt"), values.get("updated_at.lt")
        ids = values.get("id")
        chosen = sorted((e for e in found if (ids is None or e.id in ids) and (exact is None or e.updated_us == exact)
                         and (gt is None or e.updated_us > gt) and (lt is None or e.updated_us < lt)),
                        key=Employment.key)
        whitelist = _allowed(settings, endpoint.whitelist_setting)
        omit, base = settings.employment_person_omitted, company.base_url
        view = [e.key() for e in chosen], [e.render(base, whitelist, omit) for e in chosen]
    return _slice(view, query.after, limit)


def breakdowns(emu, endpoint, query, limit: int, scopes) -> Optional[Page]:
    with emu.company._lock:
        view = emu.company.on_demand.breakdown_rows(query.parent)
    return None if view is None else _slice(view, query.after, limit)


def recruiting(emu, endpoint, query, limit: int, scopes) -> Page:
    company = emu.company
    with company._lock:
        board = company.on_demand.boards[endpoint.stream]
        lo, hi = board.window(query.values.get("updated_at.gt"), query.values.get("updated_at.lt"))
        if query.after is not None:
            lo = max(lo, bisect.bisect_right(board.keys, query.after))
        keys = board.keys[lo:min(hi, lo + limit)]
        mode, rows = emu.settings.recruiting_timestamps, board.rows
        blobs = [rows[key[21:]].render(mode) for key in keys]
    return Page(blobs, keys[-1] if keys else query.after, lo + limit < hi)


def compensations(emu, endpoint, query, limit: int, scopes) -> Page:
    company = emu.company
    store, values, recur = company.on_demand, query.values, emu.settings.compensation_ids_recur
    with company._lock:
        token = ("compensations", json.dumps(query.filters, sort_keys=True), recur, company.version,
                 store.overrides_version)
        view = store.view_cache.get(token)
        if view is None:
            items = store.compensation_items(values["start_date"], values["end_date"], values.get("person.id"),
                                             values.get("legal_entity.id"), recur)
            view = _remember(store, token, ([k for k, _ in items], [b for _, b in items]))
    return _slice(view, query.after, limit)


# -- "listed": records a generator makes, filtered and sorted by the table's filters ----------------------------

def listed(emu, endpoint, query, limit: int, scopes) -> Optional[Page]:
    company = emu.company
    store = company.on_demand
    visible = frozenset(scopes) & frozenset(emu.settings.granted_scopes)
    make = generator(endpoint)
    with company._lock:
        # a generator whose records follow settings or the clock names what they follow in its `cache_key`
        token = (endpoint.stream, query.parent, json.dumps(query.filters, sort_keys=True), query.sort, visible,
                 company.version, make.cache_key(store) if hasattr(make, "cache_key") else None)
        view = store.view_cache.get(token)
        if view is None:
            records = make(View(store, endpoint, query.values, query.parent, visible))
            if records is None:
                return None
            tests = reading.checks(endpoint, query.values)
            records = [r for r in records if all(test(r) for test in tests)]
            sort = query.values.get("sort")
            if sort:
                records = sorted(records, key=reading.order_key(sort))
            view = _remember(store, token, ([f"{i:08d}" for i in range(len(records))],
                                            [json_bytes(r) for r in records]))
    return _slice(view, query.after, limit)


def generator(endpoint) -> Callable[[View], Optional[list]]:
    """The function an entry's `records` names ("module:function", a module of this package)."""
    module, _, name = endpoint.records.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def catalog_list(view: View) -> List[dict]:
    """A list of the catalog (catalog.py), under the stream's name."""
    return view.store.catalog.lists()[view.endpoint.stream]


def org_units(view: View) -> List[dict]:
    catalog = view.store.catalog
    kind = view.values.get("type")  # None: both, departments first (the company API's view)
    records = catalog.teams if kind == "team" else catalog.departments + ([] if kind else catalog.teams)
    if view.values.get("include_parent_chain"):
        records = [dict(u, parent_chain=catalog.parent_chain[(u["type"], u["id"])]) for u in records]
    return records


def jobs(view: View) -> List[dict]:
    records = catalog_list(view)
    if SALARY_BANDS_SCOPE not in view.scopes:
        records = [dict(j, salary_band_ids=[]) for j in records]  # bands stay hidden without their scope
    return records


def report_rows(emu, endpoint, query, limit: int, scopes):
    """A report's rows (reports.py): a Page with the columns in `meta`, a refusal Reply, or None (404)."""
    from .reports import rows_page
    return rows_page(emu, endpoint, query, limit, scopes)


def _remember(store, token, view):
    if len(store.view_cache) > _CACHE_SIZE:
        store.view_cache.clear()
    store.view_cache[token] = view
    return view
