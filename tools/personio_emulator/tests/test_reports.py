"""The Report API v2 endpoints (reports.py): the list of reports, a report's pages by cursor with `limit`,
both row shapes, and the refusals a report can meet. Each test reads Given / When / Then."""
from urllib.parse import urljoin

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.reports import OVERTIME_ROWS
from tools.personio_emulator.tests.helpers import client, error_title, get, walk

REPORTS = "/v2/reports"


def listed(emu):
    return {report["name"]: report["id"] for report in walk(emu, REPORTS)}


def pages_of(emu, report_id, limit):
    """Every page of a report, following next links verbatim: (columns of the first page, rows, pages)."""
    session = client(emu)
    response = session.get(f"{emu.url}{REPORTS}/{report_id}", params={"limit": limit}, timeout=5)
    rows, pages, columns = [], 0, None
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        columns = columns or body["_meta"]["columns"]
        rows.extend(body["_data"])
        pages += 1
        nxt = body["_meta"]["links"].get("next")
        if not nxt:
            return columns, rows, pages
        response = session.get(urljoin(emu.url, nxt["href"]), params={"limit": limit}, timeout=5)


class TestReports:
    def test_the_list_names_every_report_made_available_to_the_api(self, personio_emulator):
        # When
        reports = listed(personio_emulator)

        # Then
        assert set(reports) == {"Headcount by Department", "Überstunden pro Mitarbeiter (März)", "Absences 2025 (historical)"}
        assert listed(personio_emulator) == reports  # the same ids every time (from the seed)

    def test_rows_come_as_cells_in_the_order_of_the_columns_across_pages(self, personio_emulator):
        # Given
        report_id = listed(personio_emulator)["Überstunden pro Mitarbeiter (März)"]

        # When
        columns, rows, pages = pages_of(personio_emulator, report_id, 100)

        # Then
        assert [c["name"] for c in columns] == ["employee_id", "first_name", "last_name", "week", "overtime_hours", "approved",
                                                "last_change"]
        assert all(set(c) == {"name", "display", "type"} for c in columns)
        assert len(rows) == OVERTIME_ROWS and pages == 3
        assert all(isinstance(row, list) and len(row) == len(columns) for row in rows)
        assert len({(row[0], row[3]) for row in rows}) == OVERTIME_ROWS  # no row twice, none lost
        assert {str(row[0]) for row in rows} <= set(personio_emulator.company.ids("persons"))  # the persons' ids

    def test_rows_come_as_objects_when_set(self, make_personio_emulator):
        # Given
        emu = make_personio_emulator(report_rows="objects")
        report_id = listed(emu)["Headcount by Department"]

        # When
        columns, rows, _ = pages_of(emu, report_id, 1000)

        # Then
        assert rows and all(set(row) == {c["name"] for c in columns} for row in rows)

    def test_a_report_not_shared_is_403_and_a_deleted_one_404(self, personio_emulator):
        # Given
        reports = listed(personio_emulator)
        hidden, gone = reports["Headcount by Department"], reports["Absences 2025 (historical)"]
        personio_emulator.settings.reports_refused = {hidden: 403, gone: 404}

        # When / Then
        assert get(personio_emulator, f"{REPORTS}/{hidden}").status_code == 403
        assert get(personio_emulator, f"{REPORTS}/{gone}").status_code == 404
        assert get(personio_emulator, f"{REPORTS}/no-such-report").status_code == 404
        assert get(personio_emulator, f"{REPORTS}/{reports['Überstunden pro Mitarbeiter (März)']}").status_code == 200

    def test_only_limit_may_ride_next_to_the_cursor(self, personio_emulator):
        # Given a next link
        report_id = listed(personio_emulator)["Überstunden pro Mitarbeiter (März)"]
        first = get(personio_emulator, f"{REPORTS}/{report_id}", limit=100, locale="de").json()
        next_href = urljoin(personio_emulator.url, first["_meta"]["links"]["next"]["href"])

        # When another parameter is sent next to the cursor
        refused = client(personio_emulator).get(next_href, params={"locale": "de"}, timeout=5)

        # Then
        assert refused.status_code == 400 and error_title(refused) == "Invalid request content"
        assert client(personio_emulator).get(next_href, params={"limit": 100}, timeout=5).status_code == 200

    def test_the_reports_scope_is_needed(self, personio_emulator):
        # Given a credential without the reports scope
        personio_emulator.settings.granted_scopes -= {"personio:reports:read"}

        # When / Then
        assert get(personio_emulator, REPORTS).status_code == 403
