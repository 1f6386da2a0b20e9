"""Every option of the emulator in one dataclass; the server reads it on each request, so a test
may change a field between requests."""
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Dict, List, Optional, Set, Tuple

from .faults import Fault

PERSONS_SCOPE = "personio:persons:read"
ABSENCES_SCOPE = "personio:absences:read"
ATTENDANCES_SCOPE = "personio:attendances:read"
ALL_SCOPES = frozenset({PERSONS_SCOPE, ABSENCES_SCOPE, ATTENDANCES_SCOPE})
STREAMS = ("persons", "absence_periods", "attendance_periods")


@dataclass
class EmulatorSettings:
    # -- the generated company (read once, when the Emulator is built) --
    seed: int = 1
    persons: int = 50
    absence_periods: int = 200
    attendance_periods: int = 1000
    data_end: Optional[datetime] = None  # updated_at values stop here (naive = UTC); default yesterday 00:00 UTC
    prerender: bool = False  # build every record's JSON at start: the first sync then costs no rendering

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

    # -- lists --
    naive_filter_timezone: str = "UTC"  # zone for offset-less filter values, e.g. "Europe/Berlin"
    relative_next_links: bool = False
    allow_filters_with_cursor: bool = False  # strict by default: filters live in the cursor
    # None: attendance periods come in (updated_at, id) order (fast); the real API's documented
    # default is "person.id,start.date_time,end.date_time", set that to test order independence.
    attendance_default_sort: Optional[str] = None

    # -- rate limits --
    rate_limits: Dict[str, Tuple[float, int]] = field(default_factory=dict)  # stream -> (per second, burst)
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


def apply_patch(settings: EmulatorSettings, patch: dict) -> None:
    """Apply a JSON patch (the admin endpoint's body) with the types the fields expect."""
    names = {f.name for f in dataclasses.fields(settings)}
    unknown = set(patch) - names
    if unknown:
        raise ValueError(f"unknown settings: {', '.join(sorted(unknown))}")
    converted = {}
    for name, value in patch.items():
        if name == "granted_scopes":
            value = set(value)
        elif name == "whitelisted_person_attributes":
            value = None if value is None else set(value)
        elif name == "rate_limits":
            value = {stream: (float(pair[0]), int(pair[1])) for stream, pair in value.items()}
        elif name == "faults":
            value = [Fault.from_dict(f) for f in value]
        elif name == "data_end" and value is not None:
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
