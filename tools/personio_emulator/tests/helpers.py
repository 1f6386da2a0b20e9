"""What the emulator's tests share: a client with a token, walking a list, the paths and the table of lists."""
import calendar
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import requests

PERSONS, ABSENCES, ATTENDANCES = "/v2/persons", "/v2/absence-periods", "/v2/attendance-periods"
BOUNDARY = "2024-01-31T00:00:00Z"


def token_response(emu, **form):
    body = {"grant_type": "client_credentials", "client_id": emu.client_id, "client_secret": emu.client_secret}
    body.update(form)
    return requests.post(emu.token_url, data=body, timeout=5)


def client(emu, **headers) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {token_response(emu).json()['access_token']}"
    session.headers.update(headers)
    return session


def get(emu, path, session=None, **params):
    return (session or client(emu)).get(emu.url + path, params=params, timeout=5)


def walk(emu, path, session=None, **params):
    """All records of a list, following next links verbatim."""
    session = session or client(emu)
    response = session.get(emu.url + path, params=params, timeout=5)
    assert response.status_code == 200, response.text
    body = response.json()
    return body["_data"] + follow(emu, session, body["_meta"]["links"].get("next", {}).get("href"))


def follow(emu, session, href):
    """The records of every page from `href` on (hrefs may be relative)."""
    records = []
    while href:
        response = session.get(urljoin(emu.url, href), timeout=5)
        assert response.status_code == 200, response.text
        body = response.json()
        records.extend(body["_data"])
        href = body["_meta"]["links"].get("next", {}).get("href")
    return records


def ids(records):
    return [r["id"] for r in records]


def error_title(response):
    assert response.headers["Content-Type"] == "application/problem+json"
    return response.json()["errors"][0]["title"]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))

ORG, LEGAL, WORKPLACES, COST_CENTERS = "/v2/org-units", "/v2/legal-entities", "/v2/workplaces", "/v2/cost-centers"
JOBS, BANDS, TYPES, PROJECTS = "/v2/jobs", "/v2/salary-bands", "/v2/absence-types", "/v2/projects"
COMPENSATIONS, COMPENSATION_TYPES = "/v2/compensations", "/v2/compensations/types"
APPLICATIONS, CANDIDATES = "/v2/recruiting/applications", "/v2/recruiting/candidates"
RECRUITING_JOBS, CATEGORIES = "/v2/recruiting/jobs", "/v2/recruiting/categories"


def employments_path(emu, person_id=None):
    return f"/v2/persons/{person_id or emu.company.ids('persons')[0]}/employments"


def breakdowns_path(emu, absence_id=None):
    return f"/v2/absence-periods/{absence_id or emu.company.ids('absence_periods')[0]}/breakdowns"


def a_month(emu):
    """The last full month the company has compensations for, as start/end params."""
    month = emu.company.compensation_months()[-2]
    year, number = map(int, month.split("-"))
    return {"start_date": f"{month}-01", "end_date": f"{month}-{calendar.monthrange(year, number)[1]:02d}"}


# (stream, path maker, max limit, default limit, scope, params every request needs)
ENDPOINTS = [
    ("employments", employments_path, 50, 10, "personio:persons:read", {}),
    ("org_units", lambda emu: ORG, 100, 50, "personio:org-units:read", {"type": "department"}),
    ("legal_entities", lambda emu: LEGAL, 100, 20, "personio:legal-entities:read", {}),
    ("workplaces", lambda emu: WORKPLACES, 100, 50, "personio:workplaces:read", {}),
    ("cost_centers", lambda emu: COST_CENTERS, 100, 50, "personio:cost-centers:read", {}),
    ("jobs", lambda emu: JOBS, 100, 50, "personio:jobs:read", {}),
    ("salary_bands", lambda emu: BANDS, 100, 50, "personio:salary-bands:read", {}),
    ("absence_types", lambda emu: TYPES, 100, 100, "personio:absences:read", {}),
    ("absence_period_breakdowns", breakdowns_path, 28, 28, "personio:absences:read", {}),
    ("projects", lambda emu: PROJECTS, 100, 50, "personio:projects:read", {}),
    ("compensations", lambda emu: COMPENSATIONS, 100, 100, "personio:compensations:read", "month"),
    ("compensation_types", lambda emu: COMPENSATION_TYPES, 100, 100, "personio:compensations:read", {}),
    ("recruiting_applications", lambda emu: APPLICATIONS, 200, 100, "personio:recruiting:read", {}),
    ("recruiting_candidates", lambda emu: CANDIDATES, 200, 100, "personio:recruiting:read", {}),
    ("recruiting_jobs", lambda emu: RECRUITING_JOBS, 100, 50, "personio:recruiting:read", {}),
    ("recruiting_categories", lambda emu: CATEGORIES, 100, 50, "personio:recruiting:read", {}),
]
ENDPOINT_IDS = [e[0] for e in ENDPOINTS]


def needs(emu, params):
    return a_month(emu) if params == "month" else dict(params)


def person_with_two_employments(emu) -> str:
    return next(p["id"] for p in emu.company.records("persons") if len(p["employments"]) == 2)


def timestamp_form(value) -> str:
    """Which RECRUITING_TIMESTAMPS form a timestamp is in."""
    text = value["date-time"] if isinstance(value, dict) else value
    naive = text[-1] != "Z" and text[-6] not in "+-"
    if isinstance(value, dict):
        assert set(value) == {"date-time", "timezone"} and not text.endswith("Z")
        return "object_naive" if naive else "object"
    return "string_naive" if naive else ("string" if text.endswith("Z") else "string_offset")


def timestamp_instant(value) -> int:
    """Epoch microseconds of a timestamp in any form."""
    text = value["date-time"] if isinstance(value, dict) else value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(value["timezone"]) if isinstance(value, dict) else timezone.utc)
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)
