"""Every endpoint the emulator serves, declared once: this table is where a reader finds what an endpoint
accepts and how it answers. One request path (serving.py) plays every entry; query.py reads a query string
by the entry's filters; pages.py holds the `source` functions that read a page out of the store.

Plain data only (it imports nothing but the scopes), so settings, faults and the README test can all read it.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, Optional, Tuple

from .scopes import (ABSENCES_SCOPE, ATTENDANCES_SCOPE, COMPENSATIONS_SCOPE, COST_CENTERS_SCOPE, JOBS_SCOPE,
                     LEGAL_ENTITIES_SCOPE, ORG_UNITS_SCOPE, PERSONS_SCOPE, RECRUITING_SCOPE, REPORTS_SCOPE,
                     SALARY_BANDS_SCOPE, WEBHOOKS_SCOPE, WORKPLACES_SCOPE)


@dataclass(frozen=True)
class Filter:
    """One query parameter. `kind` says how its value is written and read:
    "in" comma lists (may repeat), "text" exact text, "enum" one of `allowed`, "bool" true/false,
    "date" YYYY-MM-DD, "instant" a date-time (the endpoint's `offsets` rule), "wall" a local date-time
    compared as written, "sort" fields of `allowed`, `-` for descending."""
    kind: str
    field: str = ""  # dotted path into the served record it compares with; "" = the source reads the value
    op: str = "eq"  # eq | gt | lt | gte | lte, for the ordered kinds
    allowed: tuple = ()
    pattern: str = ""  # each value of an "in" list must match this, else 400 with `described`
    described: str = ""


@dataclass(frozen=True)
class Endpoint:
    stream: str  # the key in rate_limits, faults, stats, unlicensed_modules and the company API
    path: str  # {name} marks a path parameter; {parent} is the parent a per-parent list belongs to
    source: str  # the function of pages.py that serves it (or, for the token endpoints, of serving.py)
    method: str = "GET"
    scope: str = ""  # "" = none (token endpoints); `scope_setting` names a setting that overrides it
    scope_setting: str = ""
    missing_scope_status_setting: str = ""  # a setting holding the status of a missing scope (else 403)
    unlicensed: Tuple[int, str, str] = (404, "Not Found", "")  # status, title, detail ("" = names the path)
    parent: str = ""  # "Person": an unknown {parent} is a 404 "Person <id> not found"
    max_limit: int = 0  # `limit` accepted from 1 to this; 0 = a one-record endpoint (no envelope, no query)
    default_limit: int = 0
    filters: Dict[str, Filter] = field(default_factory=dict)
    required: Tuple[str, ...] = ()
    required_hint: str = ""
    one_of: Tuple[str, ...] = ()  # at most one of these may be sent
    date_range: Tuple[str, ...] = ()  # (start, end): end not before start, at most one calendar month later
    refused: Dict[str, str] = field(default_factory=dict)  # parameter -> its 400 detail
    offsets: str = "required"  # "instant" filters: "required", "any" or "forbidden" offset
    plain_dates: bool = False  # whether YYYY-MM-DD is accepted where an "instant" is expected
    default_sort: str = ""  # the order when no `sort` is sent; `sort_setting` names a setting overriding it
    sort_setting: str = ""
    order: str = ""  # how records come, for readers (the README)
    links: str = "cursor"  # "cursor": the _data/_meta envelope with self and next links; "none": a bare record
    beta: bool = False  # Personio still documents `Beta: true` (settings.beta_header_required enforces it)
    cursor_wins: bool = False  # filters sent again next to a cursor are ignored, not a 400 (contract §8)
    faults: bool = True  # request and page faults play here
    whitelist_setting: str = ""  # a setting naming the attributes a credential sees
    records: str = ""  # for source "listed": "module:function" making the records (see README "Adding…")
    notes: str = ""  # anything else a reader must know, shown in the README

    @property
    def one_record(self) -> bool:
        return self.links == "none" and self.method == "GET"


def _ordered(kind: str, name: str, ops) -> Dict[str, Filter]:
    return {f"{name}.{op}": Filter(kind, name, op) for op in ops}


IDS = Filter("in", "id")
NAME = Filter("text", "name")
SORT_BY_ID_OR_NAME = Filter("sort", allowed=("id", "name"))
CATALOG_FILTERS = {"id": IDS, "name": NAME, "sort": SORT_BY_ID_OR_NAME}
RECRUITING_FILTERS = _ordered("instant", "updated_at", ("gt", "lt"))
PERSONS_SCOPE_STATUS = "persons_missing_scope_status"

ENDPOINTS = (
    Endpoint("token", "/v2/auth/token", "token", method="POST",
             notes="client credentials (form or JSON); scopes as asked, at most those granted"),
    Endpoint("revoke", "/v2/auth/revoke", "revoke", method="POST", notes="revokes a token"),
    Endpoint("persons", "/v2/persons", "indexed", scope=PERSONS_SCOPE,
             missing_scope_status_setting=PERSONS_SCOPE_STATUS, max_limit=50, default_limit=10,
             filters={  # every filter of the published definition (contract §8)
                 **_ordered("instant", "updated_at", ("gt", "lt")),  # strict, and no .gte/.lte at all
                 **_ordered("instant", "created_at", ("gt", "lt")),
                 "updated_at": Filter("instant", "updated_at"),
                 "created_at": Filter("instant", "created_at"),
                 "id": IDS,
                 "email": Filter("in", "email"),
                 "first_name": Filter("text", "first_name"),
                 "last_name": Filter("text", "last_name"),
                 "preferred_name": Filter("text", "preferred_name"),
                 "status": Filter("enum", "status", allowed=("ACTIVE", "INACTIVE")),
             },
             plain_dates=True, cursor_wins=True, whitelist_setting="whitelisted_person_attributes",
             order="updated_at, id"),
    Endpoint("persons", "/v2/persons/{id}", "one_person", scope=PERSONS_SCOPE,
             missing_scope_status_setting=PERSONS_SCOPE_STATUS, links="none", faults=False,
             whitelist_setting="whitelisted_person_attributes", notes="one person as the list shows it"),
    Endpoint("employments", "/v2/persons/{parent}/employments", "employments", scope=PERSONS_SCOPE,
             missing_scope_status_setting=PERSONS_SCOPE_STATUS, parent="Person", max_limit=50, default_limit=10,
             filters={"id": IDS, "updated_at": Filter("instant", "updated_at"),
                      **_ordered("instant", "updated_at", ("gt", "lt"))},
             cursor_wins=True, whitelist_setting="whitelisted_employment_attributes", order="newest first"),
    Endpoint("employments", "/v2/persons/{person_id}/employments/{id}", "one_employment", scope=PERSONS_SCOPE,
             missing_scope_status_setting=PERSONS_SCOPE_STATUS, links="none", faults=False,
             whitelist_setting="whitelisted_employment_attributes", notes="404 unless it is that person's"),
    Endpoint("absence_periods", "/v2/absence-periods", "indexed", scope=ABSENCES_SCOPE,
             max_limit=100, default_limit=100,
             filters={
                 **_ordered("instant", "updated_at", ("gte", "lte")),  # inclusive
                 "person.id": Filter("in", "person.id"),
                 "absence_type.id": Filter("in", "absence_type.id"),
                 "id": IDS,
                 **_ordered("wall", "starts_from.date_time", ("gte", "lte")),
                 **_ordered("wall", "ends_at.date_time", ("gte", "lte")),
             },
             offsets="any", order="updated_at, id"),
    Endpoint("absence_period_breakdowns", "/v2/absence-periods/{parent}/breakdowns", "breakdowns",
             scope=ABSENCES_SCOPE, parent="Absence period", max_limit=28, default_limit=28, order="by date"),
    Endpoint("attendance_periods", "/v2/attendance-periods", "indexed", scope=ATTENDANCES_SCOPE,
             max_limit=100, default_limit=100,
             filters={
                 **_ordered("instant", "updated_at", ("gte", "lte")),  # inclusive; `Z` or an offset is a 400
                 "person.id": Filter("in", "person.id"),
                 "id": IDS,
                 "project.id": Filter("in", "project.id"),
                 "status": Filter("enum", "status", allowed=("PENDING", "CONFIRMED", "REJECTED")),
                 **_ordered("wall", "start.date_time", ("gte", "lte")),
                 **_ordered("wall", "end.date_time", ("gte", "lte")),
                 **_ordered("date", "attribution_date", ("gte", "lte")),
                 "sort": Filter("sort", allowed=("person.id", "start.date_time", "end.date_time",
                                                 "attribution_date", "updated_at", "created_at", "id")),
             },
             offsets="forbidden", sort_setting="attendance_default_sort",
             order="updated_at, id (or `attendance_default_sort`)"),
    Endpoint("org_units", "/v2/org-units", "listed", scope=ORG_UNITS_SCOPE, max_limit=100, default_limit=50,
             filters={"type": Filter("enum", allowed=("department", "team")),
                      "include_parent_chain": Filter("bool")},
             required=("type",), required_hint=" (department or team)", beta=True,
             records="pages:org_units"),
    Endpoint("legal_entities", "/v2/legal-entities", "listed", scope=LEGAL_ENTITIES_SCOPE,
             unlicensed=(412, "No access to legal entities feature",
                         "The legal entities feature is not enabled for this company"),
             max_limit=100, default_limit=20,
             filters={"id": IDS, "country": Filter("in", "country", pattern=r"[A-Z]{2}\Z",
                                                   described="ISO 3166-1 alpha-2 codes, e.g. DE")},
             records="pages:catalog_list", order="newest first"),
    Endpoint("workplaces", "/v2/workplaces", "listed", scope=WORKPLACES_SCOPE, max_limit=100, default_limit=50,
             filters=CATALOG_FILTERS, default_sort="id", beta=True, records="pages:catalog_list"),
    Endpoint("cost_centers", "/v2/cost-centers", "listed", scope=COST_CENTERS_SCOPE, max_limit=100,
             default_limit=50, filters=CATALOG_FILTERS, default_sort="id", beta=True, records="pages:catalog_list"),
    Endpoint("jobs", "/v2/jobs", "listed", scope=JOBS_SCOPE, max_limit=100, default_limit=50,
             filters=CATALOG_FILTERS, default_sort="-id", records="pages:jobs",
             notes=f"`salary_band_ids` is `[]` without `{SALARY_BANDS_SCOPE}`"),
    Endpoint("salary_bands", "/v2/salary-bands", "listed", scope=SALARY_BANDS_SCOPE, max_limit=100,
             default_limit=50, filters={"id": IDS}, records="pages:catalog_list"),
    Endpoint("absence_types", "/v2/absence-types", "listed", scope=ABSENCES_SCOPE, max_limit=100,
             default_limit=100, records="pages:catalog_list"),
    Endpoint("projects", "/v2/projects", "listed", scope=ATTENDANCES_SCOPE, scope_setting="projects_scope",
             max_limit=100, default_limit=50, refused={"includes": "includes is not supported on /v2/projects"},
             records="pages:catalog_list"),
    Endpoint("compensations", "/v2/compensations", "compensations", scope=COMPENSATIONS_SCOPE,
             max_limit=100, default_limit=100,
             filters={"start_date": Filter("date"), "end_date": Filter("date"), "person.id": IDS,
                      "legal_entity.id": IDS},
             required=("start_date", "end_date"), date_range=("start_date", "end_date"),
             order="person, month, plan"),
    Endpoint("compensation_types", "/v2/compensations/types", "listed", scope=COMPENSATIONS_SCOPE,
             max_limit=100, default_limit=100, records="pages:catalog_list"),
    Endpoint("recruiting_applications", "/v2/recruiting/applications", "recruiting", scope=RECRUITING_SCOPE,
             max_limit=200, default_limit=100, filters=RECRUITING_FILTERS, one_of=tuple(RECRUITING_FILTERS),
             beta=True, order="newest first"),
    Endpoint("recruiting_candidates", "/v2/recruiting/candidates", "recruiting", scope=RECRUITING_SCOPE,
             max_limit=200, default_limit=100, filters=RECRUITING_FILTERS, one_of=tuple(RECRUITING_FILTERS),
             beta=True, order="newest first"),
    # the contract does not know these limits: a request without one gets 50, 1-100 is accepted
    Endpoint("recruiting_jobs", "/v2/recruiting/jobs", "listed", scope=RECRUITING_SCOPE, max_limit=100,
             default_limit=50, beta=True, records="pages:catalog_list"),
    Endpoint("recruiting_categories", "/v2/recruiting/categories", "listed", scope=RECRUITING_SCOPE,
             max_limit=100, default_limit=50, beta=True, records="pages:catalog_list"),
    # Report API v2 (reports.py). The contract: a `limit` of 0 or less lists every report; here 1-100.
    Endpoint("reports", "/v2/reports", "listed", scope=REPORTS_SCOPE, max_limit=100, default_limit=50,
             records="reports:report_list", notes="the reports made available to the API"),
    Endpoint("report_rows", "/v2/reports/{parent}", "report_rows", scope=REPORTS_SCOPE, parent="Report",
             max_limit=1000, default_limit=1000, filters={"locale": Filter("enum", allowed=("en", "de", "fr", "es", "it", "nl"))},
             order="as the report sorts them",
             notes="rows as cells or objects (`report_rows`), columns under `_meta.columns`; "
                   "`reports_refused` answers a report 403 or 404; `locale` next to a cursor is a 400"),
    # the contract: no paging parameters here (a `limit` is a 400); a page holds every transition
    Endpoint("recruiting_application_stage_transitions", "/v2/recruiting/applications/{parent}/stage-transitions",
             "listed", scope=RECRUITING_SCOPE, parent="Application", max_limit=100, default_limit=100,
             refused={"limit": "limit is not supported on stage transitions"}, beta=True,
             records="stage_transitions:stage_transitions", order="oldest first"),
    # the contract knows no page size for the webhook list
    Endpoint("webhooks", "/v2/webhooks", "listed", scope=WEBHOOKS_SCOPE, max_limit=100, default_limit=50,
             records="webhooks:webhooks", notes="the deletion webhook (`deletion_webhook`) and one other"),
    Endpoint("deletions", "/v2/webhooks/{parent}/events", "listed", scope=WEBHOOKS_SCOPE, parent="Webhook",
             max_limit=200, default_limit=100,
             filters={**_ordered("instant", "occurred_at", ("gte", "lte")),  # inclusive
                      "event_name": Filter("text", "event_name")},
             records="webhooks:events", order="oldest first",
             notes="the last 30 days of the webhook's events; the company's deletes add to them"),
)

LISTS = tuple(e for e in ENDPOINTS if e.max_limit)
STREAMS = tuple(e.stream for e in LISTS)  # every data stream, in table order
LIST_OF = {e.stream: e for e in LISTS}
BETA_STREAMS = frozenset(e.stream for e in LISTS if e.beta)
CURSOR_WINS = frozenset(e.stream for e in LISTS if e.cursor_wins)


def path_pattern(path: str) -> "re.Pattern":
    """A path with {name} parameters as a regular expression whose groups are those names."""
    return re.compile(re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(path)) + r"\Z")


_LITERAL = {e.path: e for e in ENDPOINTS if "{" not in e.path}
_TEMPLATES = [(path_pattern(e.path), e) for e in ENDPOINTS if "{" in e.path]


def route(path: str) -> Optional[Tuple[Endpoint, Dict[str, str]]]:
    """(endpoint, path parameters) for a path, else None."""
    endpoint = _LITERAL.get(path)
    if endpoint is not None:
        return endpoint, {}
    for pattern, endpoint in _TEMPLATES:
        match = pattern.match(path)
        if match:
            return endpoint, match.groupdict()
    return None
