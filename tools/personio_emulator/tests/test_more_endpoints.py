"""The section 7 endpoints must be as strict as the contract (shared/personio-api.md §7) and their
company consistent. Each test reads Given / When / Then; no test sleeps."""
import calendar
import time
from datetime import datetime, timedelta, timezone
from urllib.parse import urljoin
from zoneinfo import ZoneInfo

import pytest
import requests

from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.personio_emulator.__main__ import parser, settings_from
from tools.personio_emulator.company import Company
from tools.personio_emulator.generator import Generator
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.references import REFERENCES
from tools.personio_emulator.settings import ALL_SCOPES, PERSONIO_LIKE_RATE_LIMITS, RECRUITING_TIMESTAMPS, STREAMS
from tools.personio_emulator.tests.test_emulator import client, error_title, get, ids, walk
from tools.personio_emulator.times import render


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


# -- query strictness -------------------------------------------------------------------------

class TestLimits:
    @pytest.mark.parametrize("stream,path,most,default,scope,params", ENDPOINTS, ids=ENDPOINT_IDS)
    def test_limit_range(self, personio_emulator, stream, path, most, default, scope, params):
        emu = personio_emulator
        session = client(emu)
        base = needs(emu, params)
        assert get(emu, path(emu), session, **base).status_code == 200  # no limit: the default
        assert get(emu, path(emu), session, limit=most, **base).status_code == 200
        for value in (most + 1, 0, -1, "ten"):
            response = get(emu, path(emu), session, limit=value, **base)
            assert response.status_code == 400 and error_title(response) == "Invalid request content"
            assert f"between 1 and {most}" in response.json()["errors"][0]["detail"]

    @pytest.mark.parametrize("path,default", [(APPLICATIONS, 100), (CANDIDATES, 100), (RECRUITING_JOBS, 50),
                                              (LEGAL, 20), (JOBS, 50), (COMPENSATION_TYPES, 5)])
    def test_default_page_size(self, make_personio_emulator, path, default):
        emu = make_personio_emulator(recruiting_candidates=150, recruiting_jobs=60, legal_entities=25, jobs=60)
        assert len(get(emu, path).json()["_data"]) == default


class TestParameters:
    @pytest.mark.parametrize("path,params,needle", [
        (ORG, {}, "type is required"),
        (ORG, {"type": "division"}, "type must be one of"),
        (ORG, {"type": "team", "include_parent_chain": "yes"}, "true or false"),
        (PROJECTS, {"includes": "cost_center"}, "includes"),
        (TYPES, {"name": "Sick leave"}, "name"),
        (COMPENSATION_TYPES, {"id": "1"}, "id"),
        (LEGAL, {"country": "de"}, "country"),
        (BANDS, {"name": "Band A1"}, "name"),
        (WORKPLACES, {"sort": "city"}, "sort"),
        (COMPENSATIONS, {"start_date": "2024-01-01"}, "end_date"),
        (COMPENSATIONS, {"end_date": "2024-01-31"}, "start_date"),
        (COMPENSATIONS, {"start_date": "2024-1-01", "end_date": "2024-01-31"}, "start_date"),
        (COMPENSATIONS, {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31"}, "start_date"),
        (APPLICATIONS, {"updated_at.gte": "2024-01-01T00:00:00Z"}, "updated_at.gte"),
        (CANDIDATES, {"updated_at.gt": "2024-01-01T00:00:00"}, "offset"),
        (CANDIDATES, {"updated_at.lt": "2024-01-01"}, "offset"),
        (RECRUITING_JOBS, {"status": "OPEN"}, "status"),
    ])
    def test_missing_required_or_forbidden_is_400(self, personio_emulator, path, params, needle):
        response = get(personio_emulator, path, **params)
        assert response.status_code == 400 and error_title(response) == "Invalid request content"
        assert needle in response.json()["errors"][0]["detail"]

    @pytest.mark.parametrize("param", ["updated_at.gte", "updated_at.lte", "created_at.gt", "status"])
    def test_employments_take_only_updated_at_gt_lt_and_exact(self, personio_emulator, param):
        emu = personio_emulator
        response = get(emu, employments_path(emu), **{param: "2024-01-01T00:00:00Z"})
        assert response.status_code == 400 and param in response.json()["errors"][0]["detail"]

    @pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01", "last week"])
    def test_employment_filters_want_rfc3339_with_offset(self, personio_emulator, value):
        emu = personio_emulator
        assert get(emu, employments_path(emu), **{"updated_at.gt": value}).status_code == 400
        assert get(emu, employments_path(emu), **{"updated_at.gt": "2024-01-01T00:00:00+02:00"}).status_code == 200

    def test_org_units_accept_type_and_parent_chain(self, personio_emulator):
        emu = personio_emulator
        for params in ({"type": "team"}, {"type": "department", "include_parent_chain": "true"},
                       {"type": "team", "include_parent_chain": "false"}):
            assert get(emu, ORG, **params).status_code == 200

    def test_filters_next_to_a_cursor_are_400(self, make_personio_emulator):
        emu = make_personio_emulator(jobs=12)
        session = client(emu)
        href = get(emu, JOBS, session, limit=5).json()["_meta"]["links"]["next"]["href"]
        assert session.get(href, params={"name": "Controller"}, timeout=5).status_code == 400
        assert session.get(href, params={"limit": 7}, timeout=5).status_code == 200


# -- scopes and modules -----------------------------------------------------------------------

class TestScopes:
    @pytest.mark.parametrize("stream,path,most,default,scope,params", ENDPOINTS, ids=ENDPOINT_IDS)
    def test_each_scope_missing_is_403_naming_it(self, make_personio_emulator, stream, path, most, default, scope,
                                                 params):
        emu = make_personio_emulator(granted_scopes=set(ALL_SCOPES - {scope}))
        response = get(emu, path(emu), **needs(emu, params))
        assert response.status_code == 403 and error_title(response) == "Insufficient access scope"
        assert scope in response.json()["errors"][0]["detail"]

    def test_a_token_narrowed_below_the_scope_is_403(self, personio_emulator):
        emu = personio_emulator
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {emu.issue_token({'personio:persons:read'})}"
        assert get(emu, employments_path(emu), session).status_code == 200
        assert get(emu, WORKPLACES, session).status_code == 403

    def test_employments_follow_the_persons_variant(self, make_personio_emulator):
        emu = make_personio_emulator(persons_missing_scope_status=401,
                                     granted_scopes=set(ALL_SCOPES - {"personio:persons:read"}))
        assert get(emu, employments_path(emu)).status_code == 401
        assert get(emu, TYPES).status_code == 200

    def test_projects_scope_variant(self, make_personio_emulator):
        emu = make_personio_emulator(projects_scope="personio:attendances:read",
                                     granted_scopes=set(ALL_SCOPES - {"personio:projects:read"}))
        assert get(emu, PROJECTS).status_code == 200
        emu.settings.granted_scopes = set(ALL_SCOPES - {"personio:attendances:read"})
        response = get(emu, PROJECTS)
        assert response.status_code == 403 and "personio:attendances:read" in response.json()["errors"][0]["detail"]

    def test_default_credential_holds_every_scope(self, personio_emulator):
        assert personio_emulator.settings.granted_scopes == set(ALL_SCOPES) and len(ALL_SCOPES) == 13

    def test_job_salary_bands_need_their_scope_too(self, make_personio_emulator):
        emu = make_personio_emulator(jobs=20, salary_bands=5)
        with_bands = walk(emu, JOBS)
        assert any(job["salary_band_ids"] for job in with_bands)
        emu.settings.granted_scopes = set(ALL_SCOPES - {"personio:salary-bands:read"})
        without = walk(emu, JOBS)
        assert ids(without) == ids(with_bands) and all(job["salary_band_ids"] == [] for job in without)


class TestModules:
    @pytest.mark.parametrize("stream,path,most,default,scope,params", ENDPOINTS, ids=ENDPOINT_IDS)
    def test_unlicensed_module_is_404_or_412_with_the_scope(self, make_personio_emulator, stream, path, most,
                                                            default, scope, params):
        emu = make_personio_emulator(unlicensed_modules={stream})
        response = get(emu, path(emu), **needs(emu, params))
        if stream == "legal_entities":
            assert response.status_code == 412 and error_title(response) == "No access to legal entities feature"
        else:
            assert response.status_code == 404 and error_title(response) == "Not Found"
        assert get(emu, TYPES if stream != "absence_types" else CATEGORIES).status_code == 200  # others stay on

    def test_switching_a_module_off_applies_to_the_next_request(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        assert get(emu, APPLICATIONS, session).status_code == 200
        emu.settings.unlicensed_modules = {"recruiting_applications", "recruiting_candidates", "recruiting_jobs",
                                           "recruiting_categories"}
        paths = (APPLICATIONS, CANDIDATES, RECRUITING_JOBS, CATEGORIES)
        assert {get(emu, p, session).status_code for p in paths} == {404}

    def test_unknown_module_name_is_refused(self):
        with pytest.raises(ValueError):
            EmulatorSettings(unlicensed_modules={"payroll"})


# -- employments ------------------------------------------------------------------------------

def person_with_two_employments(emu) -> str:
    return next(p["id"] for p in emu.company.records("persons") if len(p["employments"]) == 2)


class TestEmployments:
    def test_person_employment_ids_are_exactly_the_served_ones(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        session = client(emu)
        for person in walk(emu, "/v2/persons", session, limit=50):
            served = walk(emu, employments_path(emu, person["id"]), session)
            assert sorted(ids(served)) == sorted(e["id"] for e in person["employments"])
            assert all(e["person"]["id"] == person["id"] for e in served)

    def test_pagination_newest_first(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        person = person_with_two_employments(emu)
        session = client(emu)
        first = get(emu, employments_path(emu, person), session, limit=1).json()
        href = first["_meta"]["links"]["next"]["href"]
        second = session.get(href, timeout=5).json()
        assert "next" not in second["_meta"]["links"]
        stamps = [emu.company.updated_us("employments", r["id"]) for r in first["_data"] + second["_data"]]
        assert stamps == sorted(stamps, reverse=True) and len(stamps) == 2

    def test_a_cursor_belongs_to_its_person(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        person = person_with_two_employments(emu)
        other = next(p for p in emu.company.ids("persons") if p != person)
        session = client(emu)
        href = get(emu, employments_path(emu, person), session, limit=1).json()["_meta"]["links"]["next"]["href"]
        cursor = href.split("?", 1)[1]
        response = session.get(f"{emu.url}{employments_path(emu, other)}?{cursor}", timeout=5)
        assert response.status_code == 400 and "cursor" in response.json()["errors"][0]["detail"]

    def test_unknown_or_deleted_person_is_404(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.ids("persons")[0]
        assert get(emu, "/v2/persons/1/employments").status_code == 404
        assert get(emu, "/v2/persons/abc/employments").status_code == 404
        emu.company.delete("persons", person)
        response = get(emu, employments_path(emu, person))
        assert response.status_code == 404 and error_title(response) == "Not Found"

    def test_updated_at_filters_are_strict_and_exact(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.ids("persons")[0]
        [employment] = emu.company.employments(person)
        edge = employment["updated_at"]
        path = employments_path(emu, person)
        session = client(emu)

        def served(**params):
            return ids(get(emu, path, session, **params).json()["_data"])
        assert served(**{"updated_at.gt": edge}) == [] and served(**{"updated_at.lt": edge}) == []
        assert served(updated_at=edge) == [employment["id"]]
        us = emu.company.updated_us("employments", employment["id"])
        assert served(**{"updated_at.gt": render(us - 1), "updated_at.lt": render(us + 1)}) == [employment["id"]]
        assert served(**{"updated_at.gt": render(us - 1, 120)}) == [employment["id"]]  # the same instant at +02:00
        assert served(updated_at=render(us, -300)) == [employment["id"]]

    def test_shape_and_references(self, make_personio_emulator):
        emu = make_personio_emulator(persons=80)
        records = emu.company.records("employments")
        persons = {p["id"]: p for p in emu.company.records("persons")}
        for e in records:
            assert e["updated_at"].endswith(("Z", "+00:00")) and e["created_at"].endswith(("Z", "+00:00"))
            assert instant(e["created_at"]) <= instant(e["updated_at"])
            assert e["status"] in ("ACTIVE", "INACTIVE", "ONBOARDING", "LEAVE", "UNSPECIFIED")
            assert e["org_units"][0]["type"] == "department"
            assert sum(c["weight"] for c in e["cost_centers"]) == 100
            assert e["supervisor"] is None or e["supervisor"]["id"] != e["person"]["id"]
        last = {}
        for e in records:
            last.setdefault(e["person"]["id"], []).append(e)
        for person_id, held in last.items():
            current = max(held, key=lambda e: e["employment_start_date"])
            if persons[person_id]["status"] == "INACTIVE":
                assert current["status"] == "INACTIVE" and current["termination"] is not None
        stamps = [e["updated_at"] for e in records]
        assert any("." in s for s in stamps) and any(s.endswith("+00:00") for s in stamps)


    def test_person_brief_replays_the_person(self):
        generator = Generator(3)
        for ordinal in range(500):
            person = generator.person_fields(generator.person_rng(ordinal), str(10_000_000 + ordinal))
            assert generator.person_brief(ordinal) == (len(person["employments"]), person["status"] == "INACTIVE")


class TestEmploymentWhitelist:
    def test_none_whitelisted_leaves_id_person_status_meta(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_employment_attributes=set())
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "person", "status", "_meta"}

    def test_some_whitelisted(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_employment_attributes={"office", "cost_centers", "updated_at"})
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "person", "status", "_meta", "office", "cost_centers", "updated_at"}

    def test_person_omitted_variant(self, make_personio_emulator):
        emu = make_personio_emulator(employment_person_omitted=True)
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert "person" not in record and "office" in record
        emu.settings.whitelisted_employment_attributes = set()
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "status", "_meta"}


# -- breakdowns -------------------------------------------------------------------------------

class TestBreakdowns:
    def test_rows_follow_the_absence(self, make_personio_emulator):
        emu = make_personio_emulator(absence_periods=400)
        types = {t["id"]: t["unit"] for t in emu.company.records("absence_types")}
        halves = weekends = 0
        for absence in emu.company.records("absence_periods")[:150]:
            rows = emu.company.breakdowns(absence["id"])
            first = absence["starts_from"]["date_time"][:10]
            assert rows[0]["date"] == first
            if absence["ends_at"] is None:
                assert len(rows) == 30  # the documented horizon of an open-ended absence
            else:
                assert rows[-1]["date"] == absence["ends_at"]["date_time"][:10]
            unit = types[absence["absence_type"]["id"]]
            full = 1.0 if unit == "DAY" else 8.0
            for row in rows:
                assert set(row) == {"date", "effective_duration"}
                assert row["effective_duration"]["unit"] == unit
                assert row["effective_duration"]["value"] in (0.0, full / 2, full)
                weekend = calendar.weekday(*map(int, row["date"].split("-"))) >= 5
                weekends += weekend
                assert not weekend or row["effective_duration"]["value"] == 0.0
            if absence["starts_from"]["type"] == "SECOND_HALF" and rows[0]["effective_duration"]["value"]:
                assert rows[0]["effective_duration"]["value"] == full / 2
                halves += 1
        assert halves and weekends and {"DAY", "HOUR"} <= set(types.values())

    def test_open_ended_absence_paginates_28_a_page(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"] is None)
        session = client(emu)
        first = get(emu, breakdowns_path(emu, absence["id"]), session).json()
        assert len(first["_data"]) == 28
        rest = session.get(first["_meta"]["links"]["next"]["href"], timeout=5).json()
        assert len(rest["_data"]) == 2 and "next" not in rest["_meta"]["links"]
        assert first["_data"] + rest["_data"] == emu.company.breakdowns(absence["id"])
        assert len(walk(emu, breakdowns_path(emu, absence["id"]), session, limit=5)) == 30

    def test_unknown_or_deleted_absence_is_404(self, personio_emulator):
        emu = personio_emulator
        assert get(emu, breakdowns_path(emu, "00000000-0000-4000-8000-000000000000")).status_code == 404
        absence = emu.company.ids("absence_periods")[0]
        emu.company.delete("absence_periods", absence)
        assert get(emu, breakdowns_path(emu, absence)).status_code == 404


# -- compensations ----------------------------------------------------------------------------

class TestCompensations:
    @pytest.mark.parametrize("start,end,status", [
        ("2024-01-01", "2024-01-31", 200), ("2024-01-15", "2024-02-15", 200), ("2024-01-01", "2024-02-01", 200),
        ("2024-01-31", "2024-02-29", 200), ("2024-01-01", "2024-01-01", 200), ("2023-12-15", "2024-01-15", 200),
        ("2024-01-01", "2024-02-02", 400), ("2024-01-15", "2024-02-16", 400), ("2024-01-31", "2024-03-01", 400),
        ("2024-02-01", "2024-01-31", 400), ("2024-02-30", "2024-03-01", 400),
    ])
    def test_one_month_rule(self, personio_emulator, start, end, status):
        assert get(personio_emulator, COMPENSATIONS, start_date=start, end_date=end).status_code == status

    def test_a_month_serves_what_the_company_holds(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        month = a_month(emu)
        served = walk(emu, COMPENSATIONS, limit=7, **month)
        assert served == emu.company.compensations(month=month["start_date"][:7]) and served
        types = {t["id"] for t in emu.company.records("compensation_types")}
        for record in served:
            assert set(record) == {"id", "person", "legal_entity", "type", "amount", "interval", "effective_from"}
            assert record["type"]["id"] in types and record["interval"] in ("MONTHLY", "YEARLY", "ONE_TIME")
        person = served[0]["person"]["id"]
        only = walk(emu, COMPENSATIONS, **{"person.id": person}, **month)
        assert only and {r["person"]["id"] for r in only} == {person}

    def test_only_the_recent_months_have_any(self, personio_emulator):
        emu = personio_emulator
        months = emu.company.compensation_months()
        assert len(months) == 24
        assert get(emu, COMPENSATIONS, start_date="2019-01-01", end_date="2019-01-31").json()["_data"] == []

    def test_recurring_ids_same_every_month_or_distinct(self, make_personio_emulator):
        emu = make_personio_emulator(persons=40)
        months = emu.company.compensation_months()[-3:-1]

        def salaries(month):
            return {(r["person"]["id"], r["effective_from"]): r["id"] for r in emu.company.compensations(month=month)
                    if r["type"]["name"] == "Base salary"}
        first, second = salaries(months[0]), salaries(months[1])
        both = set(first) & set(second)
        assert both and all(first[k] == second[k] for k in both)
        emu.settings.compensation_ids_recur = False
        first, second = salaries(months[0]), salaries(months[1])
        assert all(first[k] != second[k] for k in both)
        assert set(first.values()) == {r["id"] for r in walk(emu, COMPENSATIONS, start_date=f"{months[0]}-01",
                                                               end_date=f"{months[0]}-28")
                                       if r["type"]["name"] == "Base salary"}

    def test_company_stays_small(self):
        company = Company(seed=2, persons=1000, absence_periods=10, attendance_periods=10)
        month = company.compensation_months()[-2]
        assert 900 < len(company.compensations(month=month)) < 1500


# -- recruiting -------------------------------------------------------------------------------

class TestRecruiting:
    @pytest.mark.parametrize("path", [APPLICATIONS, CANDIDATES])
    def test_gt_xor_lt(self, personio_emulator, path):
        both = get(personio_emulator, path, **{"updated_at.gt": "2022-01-01T00:00:00Z",
                                               "updated_at.lt": "2030-01-01T00:00:00Z"})
        assert both.status_code == 400 and "Only one" in both.json()["errors"][0]["detail"]
        for op in ("gt", "lt"):
            assert get(personio_emulator, path, **{f"updated_at.{op}": "2024-01-01T00:00:00+01:00"}).status_code == 200

    @pytest.mark.parametrize("stream,path", [("recruiting_applications", APPLICATIONS),
                                             ("recruiting_candidates", CANDIDATES)])
    def test_newest_first_and_strict(self, personio_emulator, stream, path):
        emu = personio_emulator
        session = client(emu)
        records = walk(emu, path, session, limit=7)
        stamps = [emu.company.updated_us(stream, r["id"]) for r in records]
        assert stamps == sorted(stamps, reverse=True) and ids(records) == emu.company.ids(stream)
        [edge] = emu.company.update(stream, at="2024-03-01T12:00:00Z")
        newer = ids(walk(emu, path, session, **{"updated_at.gt": "2024-03-01T12:00:00Z"}))
        older = ids(walk(emu, path, session, **{"updated_at.lt": "2024-03-01T13:00:00+01:00"}))
        assert edge not in newer and edge not in older
        assert edge in ids(walk(emu, path, session, **{"updated_at.gt": "2024-03-01T11:59:59Z"}))
        assert all(emu.company.updated_us(stream, i) > emu.company.updated_us(stream, edge) for i in newer)

    @pytest.mark.parametrize("mode", RECRUITING_TIMESTAMPS)
    def test_timestamp_variants(self, make_personio_emulator, mode):
        emu = make_personio_emulator(recruiting_timestamps=mode)
        records = walk(emu, APPLICATIONS) + walk(emu, CANDIDATES)
        values = [r[name] for r in records for name in ("created_at", "updated_at")]
        forms = {_form(v) for v in values}
        assert forms == ({"string", "string_offset", "string_naive", "object", "object_naive"} if mode == "mixed"
                         else {mode})
        assert any("." in (v["date-time"] if isinstance(v, dict) else v) for v in values)  # fractions, often

    def test_every_form_is_the_same_instant(self, make_personio_emulator):
        """Given one company in each form, each timestamp is the company's exact instant: an object without offset
        is wall time in its own timezone, a string without offset is UTC."""
        instants = {}
        for mode in ("string", "string_offset", "string_naive", "object", "object_naive"):
            emu = make_personio_emulator(recruiting_timestamps=mode)
            instants[mode] = {r["id"]: _instant(r["updated_at"]) for r in walk(emu, APPLICATIONS)}
        for record_id, instant in instants["string"].items():
            assert instant == emu.company.updated_us("recruiting_applications", record_id)
            assert {instants[mode][record_id] for mode in instants} == {instant}

    def test_shapes(self, personio_emulator):
        emu = personio_emulator
        application = emu.company.records("recruiting_applications")[0]
        assert {"id", "candidate", "job", "status", "created_at", "updated_at"} <= set(application)
        assert set(emu.company.records("recruiting_candidates")[0]) == {
            "id", "first_name", "last_name", "email", "created_at", "updated_at"}
        assert set(get(emu, RECRUITING_JOBS).json()["_data"][0]) == {"id", "name", "status", "category", "created_at"}
        assert set(get(emu, CATEGORIES).json()["_data"][0]) == {"id", "name"}
        assert any("stage" not in a for a in emu.company.records("recruiting_applications"))


def _form(value) -> str:
    """Which RECRUITING_TIMESTAMPS form a timestamp is in."""
    text = value["date-time"] if isinstance(value, dict) else value
    naive = text[-1] != "Z" and text[-6] not in "+-"
    if isinstance(value, dict):
        assert set(value) == {"date-time", "timezone"} and not text.endswith("Z")
        return "object_naive" if naive else "object"
    return "string_naive" if naive else ("string" if text.endswith("Z") else "string_offset")


def _instant(value) -> int:
    """Epoch microseconds of a timestamp in any form."""
    text = value["date-time"] if isinstance(value, dict) else value
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(value["timezone"]) if isinstance(value, dict) else timezone.utc)
    return (moment - datetime(1970, 1, 1, tzinfo=timezone.utc)) // timedelta(microseconds=1)


# -- the small lists --------------------------------------------------------------------------

class TestCatalogs:
    def test_absence_types_and_projects_are_the_generated_ids(self, personio_emulator):
        emu = personio_emulator
        generator = Generator(emu.settings.seed, emu.settings.data_end)
        types = walk(emu, TYPES)
        assert ids(types) == generator.absence_types
        assert all(t["category"] == t["category"].upper() and t["unit"] in ("DAY", "HOUR") for t in types)
        projects = walk(emu, PROJECTS, limit=3)
        assert ids(projects) == generator.projects
        assert set(projects[0]) == {"id", "name", "project_code", "client_name", "billable", "status", "cost_center",
                                    "parent_project", "created_at", "updated_at"}

    def test_org_unit_trees_and_parent_chain(self, make_personio_emulator):
        emu = make_personio_emulator(persons=300)
        departments = walk(emu, ORG, type="department", include_parent_chain="true")
        teams = walk(emu, ORG, type="team")
        assert all(u["type"] == "department" and (u["parent"] is None or u["parent"]["type"] == "department")
                   for u in departments)
        assert all(u["type"] == "team" and (u["parent"] is None or u["parent"]["type"] == "team") for u in teams)
        assert any(u["parent"] is None for u in teams) and any(u["parent"] for u in teams)
        assert all("parent_chain" not in u for u in teams)
        by_id = {u["id"]: u for u in departments}
        for unit in departments:
            chain, parent = [], unit["parent"]
            while parent:
                chain.append(parent["id"])
                parent = by_id[parent["id"]]["parent"]
            assert unit["parent_chain"] == chain
        assert all(u["id"].isdigit() for u in departments + teams)

    @pytest.mark.parametrize("collide", [False, True])
    def test_org_unit_ids_may_collide(self, make_personio_emulator, collide):
        emu = make_personio_emulator(org_unit_ids_collide=collide)
        shared = set(ids(walk(emu, ORG, type="department"))) & set(ids(walk(emu, ORG, type="team")))
        assert bool(shared) == collide

    def test_legal_entities_newest_first_and_filters(self, make_personio_emulator):
        emu = make_personio_emulator(legal_entities=5)
        entities = walk(emu, LEGAL, limit=2)
        assert [e["created_at"] for e in entities] == sorted((e["created_at"] for e in entities), reverse=True)
        assert ids(walk(emu, LEGAL, country="GB,ES")) == [e["id"] for e in entities if e["country"] in ("GB", "ES")]
        assert ids(walk(emu, LEGAL, id=entities[1]["id"])) == [entities[1]["id"]]

    @pytest.mark.parametrize("path", [WORKPLACES, COST_CENTERS, JOBS])
    def test_id_name_and_sort(self, make_personio_emulator, path):
        emu = make_personio_emulator(persons=400)
        records = walk(emu, path, limit=3)
        numbers = [int(i) if i.isdigit() else i for i in ids(records)]  # job ids are UUIDs
        assert numbers == sorted(numbers, reverse=path == JOBS)  # jobs: id descending by default
        by_name = walk(emu, path, sort="-name")
        assert [r["name"] for r in by_name] == sorted((r["name"] for r in records), reverse=True)
        assert ids(walk(emu, path, sort="id")) == sorted(ids(records), key=lambda i: int(i) if i.isdigit() else i)
        assert ids(walk(emu, path, name=records[1]["name"])) == [records[1]["id"]]
        assert ids(walk(emu, path, id=f"{records[0]['id']},{records[2]['id']}")) == [records[0]["id"], records[2]["id"]]


# -- references -------------------------------------------------------------------------------

class TestReferences:
    @pytest.mark.parametrize("seed,persons,collide", [(1, 50, False), (2, 7, True), (3, 300, False), (4, 1, True)])
    def test_every_reference_resolves(self, seed, persons, collide):
        company = Company(seed=seed, persons=persons, absence_periods=200, attendance_periods=400,
                          settings=EmulatorSettings(seed=seed, persons=persons, org_unit_ids_collide=collide))
        assert company.dangling() == []
        assert company.size("employments") >= persons and company.size("recruiting_applications") > 0
        assert company.records("compensations") or persons == 1  # a lone person may not be paid yet

    def test_the_list_names_every_reference_of_the_brief(self):
        pairs = {(r.stream, r.target) for r in REFERENCES}
        for pair in [("employments", "persons"), ("employments", "org_units"), ("employments", "cost_centers"),
                     ("employments", "workplaces"), ("employments", "legal_entities"), ("employments", "jobs"),
                     ("absence_periods", "absence_types"), ("attendance_periods", "projects"),
                     ("compensations", "persons"), ("compensations", "compensation_types"),
                     ("compensations", "legal_entities"), ("recruiting_applications", "recruiting_candidates"),
                     ("recruiting_applications", "recruiting_jobs"), ("recruiting_jobs", "recruiting_categories"),
                     ("projects", "cost_centers"), ("jobs", "salary_bands")]:
            assert pair in pairs
        assert all(r.stream in STREAMS and r.target in STREAMS for r in REFERENCES)

    def test_a_deleted_target_shows_up_as_dangling(self):
        company = Company(seed=1, persons=20, absence_periods=20, attendance_periods=20)
        person = company.records("absence_periods")[0]["person"]["id"]
        company.delete("persons", person)
        assert ("absence_periods", "person.id") in {(d[0], d[2]) for d in company.dangling()}

    def test_new_parts_of_a_1000_person_company_build_fast(self):
        company = Company(seed=5, persons=1000, absence_periods=10, attendance_periods=10)
        started = time.perf_counter()
        company.records("org_units")
        company.size("employments")
        company.compensations(month=company.compensation_months()[-1])
        company.size("recruiting_applications")
        assert time.perf_counter() - started < 1.0


# -- mutations --------------------------------------------------------------------------------

class TestMutations:
    def test_employment_update_leaves_its_person_alone(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.records("persons")[0]
        [employment] = emu.company.employments(person["id"])
        [changed] = emu.company.update("employments", record_id=employment["id"], at="2099-01-01T00:00:00Z")
        after = emu.company.get("employments", changed)
        assert after["updated_at"] == "2099-01-01T00:00:00Z"
        assert after["weekly_working_hours"] != employment["weekly_working_hours"]
        assert emu.company.get("persons", person["id"]) == person
        served = get(emu, employments_path(emu, person["id"]), **{"updated_at.gt": "2098-12-31T23:59:59Z"}).json()
        assert ids(served["_data"]) == [changed]

    def test_employment_update_by_count_stamps_now(self, personio_emulator):
        emu = personio_emulator
        before = time.time()
        changed = emu.company.update("employments", count=3)
        assert len(set(changed)) == 3
        assert all(emu.company.updated_us("employments", i) >= int(before) * 1_000_000 - 1000 for i in changed)

    def test_absence_update_moves_its_breakdowns(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"])
        rows = get(emu, breakdowns_path(emu, absence["id"])).json()["_data"]
        emu.company.update("absence_periods", record_id=absence["id"])
        longer = get(emu, breakdowns_path(emu, absence["id"])).json()["_data"]
        assert len(longer) == len(rows) + 1 and longer[:len(rows)] == rows

    @pytest.mark.parametrize("stream,path", [("recruiting_applications", APPLICATIONS),
                                             ("recruiting_candidates", CANDIDATES)])
    def test_recruiting_update_moves_to_the_top(self, personio_emulator, stream, path):
        emu = personio_emulator
        record_id = emu.company.ids(stream)[-1]  # the oldest
        before = emu.company.get(stream, record_id)
        emu.company.update(stream, record_id=record_id)
        top = get(emu, path, limit=1).json()["_data"][0]
        assert top["id"] == record_id and top != before

    def test_compensation_amount_changes_in_one_month_only(self, personio_emulator):
        emu = personio_emulator
        months = emu.company.compensation_months()[-3:]
        record = next(r for r in emu.company.compensations(month=months[1]) if r["interval"] != "ONE_TIME")
        [changed] = emu.company.update("compensations", record_id=record["id"], month=months[1], amount=12345.5)
        assert changed == record["id"]
        month = {"start_date": f"{months[1]}-01", "end_date": f"{months[1]}-28"}
        served = {r["id"]: r for r in walk(emu, COMPENSATIONS, **month)}
        assert served[record["id"]]["amount"]["value"] == 12345.5
        for other in (months[0], months[2]):
            again = [r for r in emu.company.compensations(month=other) if r["id"] == record["id"]]
            assert all(r["amount"] == record["amount"] for r in again)
        emu.company.update("compensations", record_id=record["id"], month=months[1])
        again = {r["id"]: r for r in emu.company.compensations(month=months[1])}
        assert again[record["id"]]["amount"]["value"] == 12445.5

    def test_what_cannot_be_updated_says_so(self, personio_emulator):
        company = personio_emulator.company
        for stream in ("workplaces", "absence_period_breakdowns"):
            with pytest.raises(ValueError):
                company.update(stream)
        with pytest.raises(ValueError):
            company.update("compensations", count=1)
        with pytest.raises(ValueError):
            company.create("employments")


# -- throttling, faults, control --------------------------------------------------------------

class TestRateLimitsAndFaults:
    def test_a_per_parent_endpoint_is_one_bucket(self, make_personio_emulator):
        emu = make_personio_emulator(rate_limits={"employments": (1, 2)})
        session = client(emu)
        people = emu.company.ids("persons")[:3]
        statuses = [get(emu, employments_path(emu, p), session).status_code for p in people]
        assert statuses == [200, 200, 429]
        assert get(emu, breakdowns_path(emu), session).status_code == 200
        assert emu.stats.throttled["employments"] == 1

    def test_personio_like_limits_cover_every_endpoint(self, make_personio_emulator):
        assert set(PERSONIO_LIKE_RATE_LIMITS) == set(STREAMS)
        assert PERSONIO_LIKE_RATE_LIMITS["persons"] == (30, 100) and PERSONIO_LIKE_RATE_LIMITS["employments"] == (10, 10)
        emu = make_personio_emulator(rate_limits=dict(PERSONIO_LIKE_RATE_LIMITS))
        response = get(emu, APPLICATIONS)
        assert response.headers["x-ratelimit-burst-capacity"] == "10"

    @pytest.mark.parametrize("stream,path", [("employments", employments_path), ("compensation_types",
                                                                                   lambda emu: COMPENSATION_TYPES)])
    def test_faults_target_new_streams(self, personio_emulator, stream, path):
        emu = personio_emulator
        emu.add_fault(Fault("status_503", stream=stream))
        session = client(emu)
        assert get(emu, path(emu), session).status_code == 503
        assert get(emu, path(emu), session).status_code == 200
        assert get(emu, TYPES, session).status_code == 200
        assert emu.stats.status_codes[stream][503] == 1

    def test_empty_page_with_next_on_breakdowns(self, personio_emulator):
        emu = personio_emulator
        absence = next(a for a in emu.company.records("absence_periods") if a["ends_at"] is None)
        emu.add_fault(Fault("empty_page_with_next", stream="absence_period_breakdowns"))
        session = client(emu)
        empty = get(emu, breakdowns_path(emu, absence["id"]), session).json()
        assert empty["_data"] == []
        rows = []
        href = empty["_meta"]["links"]["next"]["href"]
        while href:
            body = session.get(urljoin(emu.url, href), timeout=5).json()
            rows.extend(body["_data"])
            href = body["_meta"]["links"].get("next", {}).get("href")
        assert rows == emu.company.breakdowns(absence["id"])

    def test_relative_next_links(self, make_personio_emulator):
        emu = make_personio_emulator(relative_next_links=True, recruiting_candidates=30)
        href = get(emu, CANDIDATES, limit=10).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(CANDIDATES + "?cursor=")
        assert len(walk(emu, CANDIDATES, limit=10)) == 30

    def test_admin_patch_and_records(self, personio_emulator):
        emu = personio_emulator
        admin = emu.url + "/_emulator"
        patch = {"unlicensed_modules": ["recruiting_jobs"], "whitelisted_employment_attributes": [],
                 "recruiting_timestamps": "object", "rate_limits": {"absence_period_breakdowns": [5, 5]}}
        settings = requests.post(admin + "/settings", json=patch, timeout=5).json()
        assert settings["unlicensed_modules"] == ["recruiting_jobs"]
        assert emu.settings.unlicensed_modules == {"recruiting_jobs"}
        assert emu.settings.whitelisted_employment_attributes == set()
        assert get(emu, RECRUITING_JOBS).status_code == 404
        assert requests.post(admin + "/settings", json={"recruiting_timestamps": "epoch"}, timeout=5).status_code == 400
        records = requests.get(admin + "/records/workplaces", timeout=5).json()
        assert records == emu.company.records("workplaces")
        record = emu.company.compensations(month=emu.company.compensation_months()[-1])[0]
        body = {"action": "update", "stream": "compensations", "record_id": record["id"],
                "month": emu.company.compensation_months()[-1], "amount": 1}
        assert requests.post(admin + "/mutate", json=body, timeout=5).json() == {"ids": [record["id"]]}

    def test_cli_flags(self):
        args = parser().parse_args(["--personio-like-rate-limits", "--rate-limit", "employments=2/3",
                                    "--unlicensed", "legal_entities", "--recruiting-timestamps", "string",
                                    "--persons-burst", "30", "--beta-header-required", "--custom-attribute-values",
                                    "typed", "--unseen-nulls"])
        settings = settings_from(args)
        assert settings.rate_limits["employments"] == (2.0, 3) and settings.rate_limits["jobs"] == (10.0, 10)
        assert settings.rate_limits["persons"] == (30.0, 30) and settings.beta_header_required
        assert settings.custom_attribute_values == "typed" and settings.unseen_nulls
        assert settings.unlicensed_modules == {"legal_entities"} and settings.recruiting_timestamps == "string"

    def test_stats_name_the_stream_and_the_path(self, personio_emulator):
        emu = personio_emulator
        emu.stats.reset()
        session = client(emu)
        get(emu, employments_path(emu), session)
        [entry] = emu.stats.entries("employments")
        assert entry["path"] == employments_path(emu) and entry["status"] == 200


def test_every_endpoint_walks_with_every_new_setting_changed():
    """Given an emulator with every new setting away from its default, every endpoint still walks."""
    settings = EmulatorSettings(persons=30, absence_periods=30, attendance_periods=30, org_unit_ids_collide=True,
                                compensation_ids_recur=False, recruiting_timestamps="object", compensation_months=3,
                                whitelisted_employment_attributes={"office"}, employment_person_omitted=True)
    with Emulator(settings) as emu:
        session = client(emu)
        for stream, path, most, default, scope, params in ENDPOINTS:
            assert walk(emu, path(emu), session, limit=min(most, 3), **needs(emu, params)) is not None, stream
