"""Query strictness: `limit`, filter names and values, boundaries, required and refused parameters.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import pytest

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import (ABSENCES, APPLICATIONS, ATTENDANCES, BANDS, BOUNDARY, CANDIDATES,
                                                   COMPENSATIONS, COMPENSATION_TYPES, ENDPOINTS, ENDPOINT_IDS, JOBS,
                                                   LEGAL, ORG, PERSONS, PROJECTS, RECRUITING_JOBS, TYPES, WORKPLACES,
                                                   client, employments_path, error_title, get, ids, needs, walk)


# -- query strictness -------------------------------------------------------------------------

class TestLimits:
    @pytest.mark.parametrize("path,good,bad", [(PERSONS, 50, 51), (ABSENCES, 100, 101), (ATTENDANCES, 100, 101)])
    def test_limit_range(self, personio_emulator, path, good, bad):
        session = client(personio_emulator)
        assert get(personio_emulator, path, session, limit=good).status_code == 200
        for value in (bad, 0, -1, "ten"):
            response = get(personio_emulator, path, session, limit=value)
            assert response.status_code == 400 and error_title(response) == "Invalid request content"

    @pytest.mark.parametrize("path,default", [(PERSONS, 10), (ABSENCES, 60), (ATTENDANCES, 100)])
    def test_default_page_size(self, personio_emulator, path, default):
        assert len(get(personio_emulator, path).json()["_data"]) == default  # 60 = all absences of the small company


class TestFilterNames:
    @pytest.mark.parametrize("path,param", [
        (PERSONS, "updated_at.gte"), (PERSONS, "updated_at.lte"), (PERSONS, "created_at.gte"),
        (ABSENCES, "updated_at.gt"), (ATTENDANCES, "updated_at.lt"), (ATTENDANCES, "page"), (PERSONS, "sort"),
    ])
    def test_unknown_or_wrong_operator_is_400(self, personio_emulator, path, param):
        value = "2024-01-01T00:00:00Z" if path == PERSONS else "2024-01-01T00:00:00"
        response = get(personio_emulator, path, **{param: value})
        assert response.status_code == 400 and param in response.json()["errors"][0]["detail"]


class TestFilterValues:
    @pytest.mark.parametrize("value", ["2024-01-01T00:00:00Z", "2024-01-01T00:00:00+02:00", "2024-01-01", "yesterday"])
    def test_attendance_rejects_offsets_dates_and_junk(self, personio_emulator, value):
        response = get(personio_emulator, ATTENDANCES, **{"updated_at.gte": value})
        assert response.status_code == 400 and error_title(response) == "Invalid request content"

    @pytest.mark.parametrize("value", ["2024-01-01T00:00:00", "2024-01-01T00:00:00Z", "2024-01-01T02:00:00+02:00"])
    def test_absences_accept_with_and_without_offset(self, personio_emulator, value):
        assert get(personio_emulator, ABSENCES, **{"updated_at.gte": value}).status_code == 200

    @pytest.mark.parametrize("value,status", [("2024-01-01T00:00:00Z", 200), ("2024-01-01T00:00:00-05:00", 200),
                                              ("2024-01-01", 200), ("2024-01-01T00:00:00", 400)])
    def test_persons_want_rfc3339_or_a_date(self, personio_emulator, value, status):
        assert get(personio_emulator, PERSONS, **{"updated_at.gt": value}).status_code == status


class TestBoundaries:
    """A record exactly on a window edge: persons' strict .gt/.lt exclude it, the periods'
    inclusive .gte/.lte include it; fractions and offsets compare as exact instants."""

    def test_persons_strict(self, personio_emulator):
        emu = personio_emulator
        [edge] = emu.company.create("persons", at=BOUNDARY)
        session = client(emu)

        def window(**params):
            return ids(walk(emu, PERSONS, session, limit=50, **params))
        assert edge not in window(**{"updated_at.gt": BOUNDARY})
        assert edge not in window(**{"updated_at.lt": BOUNDARY})
        assert edge in window(**{"updated_at.gt": "2024-01-30T23:59:59Z", "updated_at.lt": "2024-01-31T00:00:01Z"})
        assert edge in window(**{"updated_at.gt": "2024-01-31T00:59:59+01:00", "updated_at.lt": "2024-01-31T01:00:01+01:00"})

    @pytest.mark.parametrize("path,stream", [(ATTENDANCES, "attendance_periods"), (ABSENCES, "absence_periods")])
    def test_periods_inclusive_with_exact_instants(self, personio_emulator, path, stream):
        emu = personio_emulator
        [edge] = emu.company.create(stream, at="2024-01-31T02:00:00+02:00")  # = BOUNDARY, rendered with +02:00
        [half] = emu.company.create(stream, at="2024-01-31T00:00:00.5Z")
        assert emu.company.get(stream, edge)["updated_at"] == "2024-01-31T02:00:00+02:00"
        session = client(emu)
        only_edge = walk(emu, path, session, **{"updated_at.gte": "2024-01-31T00:00:00", "updated_at.lte": "2024-01-31T00:00:00"})
        assert ids(only_edge) == [edge]
        assert half in ids(walk(emu, path, session, **{"updated_at.gte": "2024-01-31T00:00:00", "updated_at.lte": "2024-01-31T00:00:01"}))
        assert edge not in ids(walk(emu, path, session, **{"updated_at.lte": "2024-01-30T23:59:59"}))

    def test_offset_less_values_read_in_the_configured_zone(self, make_personio_emulator):
        emu = make_personio_emulator(naive_filter_timezone="Europe/Berlin")
        [edge] = emu.company.create("attendance_periods", at=BOUNDARY)  # 01:00 in Berlin
        session = client(emu)
        assert ids(walk(emu, ATTENDANCES, session, **{"updated_at.gte": "2024-01-31T01:00:00",
                                                      "updated_at.lte": "2024-01-31T01:00:00"})) == [edge]
        assert ids(walk(emu, ATTENDANCES, session, **{"updated_at.gte": "2024-01-31T00:00:00",
                                                      "updated_at.lte": "2024-01-31T00:59:59"})) == []


# -- query strictness -------------------------------------------------------------------------

class TestLimitsOfEveryList:
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
