"""Every option of the emulator in one dataclass; the server reads it on each request, so a test
may change a field between requests."""
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Set, Tuple

from .faults import Fault
from .links import CURSOR_ESCAPES, NEXT_LINKS, SELF_LINKS
from .scopes import (ABSENCES_SCOPE, ALL_SCOPES, ATTENDANCES_SCOPE, COMPENSATIONS_SCOPE,  # noqa: F401 (re-exported)
                     COST_CENTERS_SCOPE, JOBS_SCOPE, LEGAL_ENTITIES_SCOPE, ORG_UNITS_SCOPE, PERSONS_SCOPE,
                     PROJECTS_SCOPE, RECRUITING_SCOPE, SALARY_BANDS_SCOPE, WORKPLACES_SCOPE)
from .streams import ALL_STREAMS
from .table import BETA_STREAMS, CURSOR_WINS, LIST_OF  # noqa: F401 (re-exported)
from .webhooks import DELETION_EVENT_SHAPES

STREAMS = ALL_STREAMS
# How recruiting created_at/updated_at are written (README "Dialects"): "string" `…Z`, "string_offset" with the
# record zone's offset, "string_naive" UTC wall time without offset; "object" {"date-time", "timezone"} with the
# zone's offset, "object_naive" the same without offset (wall time in its own zone); "mixed" some of each.
RECRUITING_TIMESTAMPS = ("string", "string_offset", "string_naive", "object", "object_naive", "mixed")
CUSTOM_ATTRIBUTE_VALUES = ("string", "typed")
# Per-endpoint token buckets (per second, burst). The live check (contract §8) saw persons refill 30/s with a
# burst of 100; an earlier probe (§5) read the burst as 30, and 10/s elsewhere. Each per-parent endpoint is one
# bucket across parents.
PERSONS_BURSTS = (100, 30)


def personio_like_rate_limits(persons_burst: int = 100) -> Dict[str, Tuple[float, int]]:
    return {stream: ((30.0, persons_burst) if stream == "persons" else (10.0, 10)) for stream in ALL_STREAMS}


PERSONIO_LIKE_RATE_LIMITS = personio_like_rate_limits()
# The counts of the company's structure; None scales with persons (see catalog.structure_sizes).
STRUCTURE_SIZES = ("departments", "teams", "workplaces", "cost_centers", "jobs", "legal_entities", "salary_bands",
                   "recruiting_categories", "recruiting_jobs", "recruiting_candidates", "recruiting_applications")


@dataclass
class EmulatorSettings:
    # -- the generated company (read once, when the Emulator is built) --
    seed: int = 1
    persons: int = 50
    absence_periods: int = 200
    attendance_periods: int = 1000
    data_end: Optional[datetime] = None  # updated_at values stop here (naive = UTC); default yesterday 00:00 UTC
    data_start: Optional[datetime] = None  # updated_at values start here (naive = UTC); default 2021-01-01
    prerender: bool = False  # build every record's JSON at start: the first sync then costs no rendering
    # the structure behind the lists built on first use (on_demand.py); None = scaled with persons
    departments: Optional[int] = None  # persons / 25, at least 2
    teams: Optional[int] = None  # persons / 10, at least 2
    workplaces: Optional[int] = None  # sqrt(persons) / 2, at least 2
    cost_centers: Optional[int] = None  # sqrt(persons), at least 3
    jobs: Optional[int] = None  # persons / 8, at least 5
    legal_entities: Optional[int] = None  # 1 under 30 persons, 2 under 500, else 3
    salary_bands: Optional[int] = None  # jobs / 2, at least 3
    recruiting_categories: Optional[int] = None  # 4, 6 from 500 persons
    recruiting_jobs: Optional[int] = None  # persons / 20, 3 to 500
    recruiting_candidates: Optional[int] = None  # persons, 20 to 10,000
    recruiting_applications: Optional[int] = None  # 1.5 per candidate
    compensation_months: int = 24  # compensations exist for these calendar months up to data_end's
    org_unit_ids_collide: bool = False  # True: some team ids equal department ids (the contract cannot say)

    # -- server --
    port: int = 0  # 0 = a free port; the server binds 127.0.0.1 only
    latency_seconds: float = 0.0  # added to every API request, in the handler thread
    log_requests: bool = False  # one stderr line per request
    request_log_size: int = 10_000  # entries kept in stats.log

    # -- the one API credential (fake, emulator-only) --
    client_id: str = "emulator-client-id"
    client_secret: str = "emulator-client-secret-fake-for-tests-only"
    token_lifetime_seconds: int = 86_400
    auth_error_status: int = 400  # unknown client / wrong secret: 400, or 401 as some clients saw
    granted_scopes: Set[str] = field(default_factory=lambda: set(ALL_SCOPES))
    persons_missing_scope_status: int = 403  # or 401, the other variant the contract lists
    whitelisted_person_attributes: Optional[Set[str]] = None  # None = all attributes visible
    # None = all; a set keeps id, person, status and _meta plus the named employment attributes
    whitelisted_employment_attributes: Optional[Set[str]] = None
    employment_person_omitted: bool = False  # True: employment records leave `person` out
    projects_scope: str = PROJECTS_SCOPE  # unsure in the contract: or ATTENDANCES_SCOPE
    # stream names of modules the tenant has not licensed: 404 Not Found (legal_entities: 412)
    unlicensed_modules: Set[str] = field(default_factory=set)

    # -- lists --
    naive_filter_timezone: str = "UTC"  # zone for offset-less filter values, e.g. "Europe/Berlin"
    relative_next_links: bool = False  # True: self and next links are relative (/v2/…?cursor=…)
    # how links are written (links.py): self "echo" (the request as sent) or "cursor" (the page's cursor
    # alone); next "cursor" (Personio's live shape), "cursor_limit" or "limit_cursor"; the cursor in links
    # "percent"-encoded (%2B %2F %3D) or "raw" (+ / =; a raw + that arrives as a space is read as +)
    self_link: str = "echo"
    next_link: str = "cursor"
    link_cursor_escaping: str = "percent"
    # stream -> the most records a page holds whatever the limit asked: short pages with a next link, so a
    # small company's lists still span many pages
    page_cap: Dict[str, int] = field(default_factory=dict)
    # None: attendance periods come in (updated_at, id) order (fast); the real API's documented
    # default is "person.id,start.date_time,end.date_time", set that to test order independence.
    attendance_default_sort: Optional[str] = None
    compensation_ids_recur: bool = True  # True: a recurring compensation keeps its id every month
    recruiting_timestamps: str = "mixed"  # created_at/updated_at: one of RECRUITING_TIMESTAMPS
    beta_header_required: bool = False  # True: BETA_STREAMS answer 400 to a request without `Beta: true`
    report_rows: str = "cells"  # a report's rows: "cells" (lists in the order of _meta.columns) or "objects"
    reports_refused: Dict[str, int] = field(default_factory=dict)  # report id -> 403 (not shared) or 404
    deletion_webhook: bool = True  # a webhook subscribed to the deletion events exists (webhooks.py)
    deletion_event_shape: str = "mixed"  # how events name the deleted record: one of DELETION_EVENT_SHAPES

    # -- record dialects (the defaults follow Personio's published schemas and the live check) --
    custom_attribute_values: str = "string"  # "typed": numbers, booleans, lists, objects and nulls as well
    unseen_nulls: bool = False  # True: null profile_picture and preferred_name, which Personio was not seen to send

    # -- rate limits --
    rate_limits: Dict[str, Tuple[float, int]] = field(default_factory=dict)  # stream -> (per second, burst)
    # a persons burst (100 or 30): every stream throttled as personio_like_rate_limits(burst), rate_limits
    # entries win; None: only rate_limits throttles, and the headers advertise the Personio-like figures
    personio_like_burst: Optional[int] = None
    retry_after_on_429: bool = False
    credential_rate_limit_per_minute: Optional[int] = None  # the other variant: ~200/min per credential
    token_rate_limit_per_minute: int = 150

    # -- faults --
    faults: List[Fault] = field(default_factory=list)
    fault_hang_seconds: float = 10.0
    foreign_base_url: str = "http://127.0.0.2:9/"

    def __post_init__(self):
        check(self)


def check(settings: EmulatorSettings) -> None:
    """Refuse values the emulator cannot honour, so a typo fails loudly instead of silently."""
    if settings.auth_error_status not in (400, 401):
        raise ValueError("auth_error_status must be 400 or 401")
    if settings.persons_missing_scope_status not in (401, 403):
        raise ValueError("persons_missing_scope_status must be 401 or 403")
    for stream, limit in settings.rate_limits.items():
        if stream not in STREAMS:
            raise ValueError(f"rate_limits: unknown stream {stream!r}")
        rate, burst = limit
        if rate <= 0 or burst < 1:
            raise ValueError(f"rate_limits[{stream!r}]: rate must be > 0 and burst >= 1")
    for fault in settings.faults:
        if not isinstance(fault, Fault):
            raise ValueError("faults must be Fault objects")
    if settings.deletion_event_shape not in DELETION_EVENT_SHAPES:
        raise ValueError(f"deletion_event_shape must be one of {', '.join(DELETION_EVENT_SHAPES)}")
    if settings.projects_scope not in (PROJECTS_SCOPE, ATTENDANCES_SCOPE):
        raise ValueError(f"projects_scope must be {PROJECTS_SCOPE} or {ATTENDANCES_SCOPE}")
    if settings.personio_like_burst is not None and settings.personio_like_burst not in PERSONS_BURSTS:
        raise ValueError(f"personio_like_burst must be None or one of {PERSONS_BURSTS}")
    if settings.custom_attribute_values not in CUSTOM_ATTRIBUTE_VALUES:
        raise ValueError(f"custom_attribute_values must be one of {', '.join(CUSTOM_ATTRIBUTE_VALUES)}")
    if settings.recruiting_timestamps not in RECRUITING_TIMESTAMPS:
        raise ValueError(f"recruiting_timestamps must be one of {', '.join(RECRUITING_TIMESTAMPS)}")
    for name, allowed in (("self_link", SELF_LINKS), ("next_link", NEXT_LINKS),
                          ("link_cursor_escaping", CURSOR_ESCAPES)):
        if getattr(settings, name) not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    if settings.report_rows not in ("cells", "objects"):
        raise ValueError("report_rows must be cells or objects")
    if any(status not in (403, 404) for status in settings.reports_refused.values()):
        raise ValueError("reports_refused: each report id maps to 403 or 404")
    for stream, cap in settings.page_cap.items():
        if stream not in STREAMS or not isinstance(cap, int) or cap < 1:
            raise ValueError(f"page_cap: {stream!r} must be a stream with a cap >= 1")
        if stream in LIST_OF and "limit" in LIST_OF[stream].refused:  # Personio does not page it: a cap would invent pages
            raise ValueError(f"page_cap: {stream!r} is not paged (it refuses `limit`)")
    unknown = set(settings.unlicensed_modules) - set(STREAMS)
    if unknown:
        raise ValueError(f"unlicensed_modules: unknown streams {', '.join(sorted(unknown))}")
    if settings.data_start is not None and settings.data_start >= (settings.data_end or datetime.now()):
        raise ValueError("data_start must be before data_end (default: yesterday)")
    if settings.compensation_months < 1:
        raise ValueError("compensation_months must be at least 1")
    for name in STRUCTURE_SIZES:
        value = getattr(settings, name)
        # employments point at one of each, and recruiting jobs at a category: these cannot be empty
        least = 0 if name in ("teams", "salary_bands", "recruiting_candidates", "recruiting_applications") else 1
        if value is not None and (not isinstance(value, int) or value < least):
            raise ValueError(f"{name} must be None or a count >= {least}")
    if settings.recruiting_applications and settings.recruiting_candidates == 0:
        raise ValueError("recruiting_applications need recruiting_candidates")


def apply_patch(settings: EmulatorSettings, patch: dict) -> None:
    """Apply a JSON patch (the admin endpoint's body) with the types the fields expect."""
    names = {f.name for f in dataclasses.fields(settings)}
    unknown = set(patch) - names
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    converted = {}
    for name, value in patch.items():
        if name in ("granted_scopes", "unlicensed_modules"):
            value = set(value)
        elif name in ("whitelisted_person_attributes", "whitelisted_employment_attributes"):
            value = None if value is None else set(value)
        elif name == "rate_limits":
            value = {stream: (float(pair[0]), int(pair[1])) for stream, pair in value.items()}
        elif name == "reports_refused":
            value = {str(report_id): int(status) for report_id, status in value.items()}
        elif name == "page_cap":
            value = {stream: int(cap) for stream, cap in value.items()}
        elif name == "faults":
            value = [Fault.from_dict(f) for f in value]
        elif name in ("data_end", "data_start") and value is not None:
            value = datetime.fromisoformat(value)
        converted[name] = value
    candidate = dataclasses.replace(settings, **converted)  # validates before anything changes
    for name, value in converted.items():
        setattr(settings, name, getattr(candidate, name))


def to_json(settings: EmulatorSettings) -> dict:
    out = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        if f.name == "client_secret":
            value = "<emulator-only secret, see settings>"
        elif isinstance(value, (set, frozenset)):
            value = sorted(value)
        elif f.name == "faults":
            value = [fault.to_dict() for fault in value]
        elif f.name == "rate_limits":
            value = {k: list(v) for k, v in value.items()}
        elif isinstance(value, datetime):
            value = value.isoformat()
        out[f.name] = value
    return out
