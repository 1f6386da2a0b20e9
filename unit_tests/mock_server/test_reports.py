from unittest import TestCase

from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from tools.stream_facts import FACTS

from .config import ConfigBuilder
from .helpers import connection_status, error_text, read_streams, run_check, run_discover, stream_errors
from .report_builders import (
    ReportPageBuilder,
    report,
    report_columns_request,
    report_request,
    reports_list,
    reports_list_request,
    rows,
)
from .request_builder import absence_periods_window, attendance_periods_window, persons_window, token_request
from .response_builder import PageBuilder, absence_period, attendance_period, person, problem_response, token_response

_NOW = "2024-03-01T00:00:00Z"
HEADCOUNT_ID = "0b6a1f3e-5d1c-4c1e-9a38-2f1c7d9e4b21"
HEADCOUNT = "report_headcount_by_department_7d9e4b21"
OVERTIME_ID = "4711"
OVERTIME = "report_ueberstunden_maerz_2026_4711"


def _discovered(output):
    return {stream.name: stream for stream in output.catalog.catalog.streams}


def _given_two_reports(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())
    http_mocker.get(
        reports_list_request(),
        reports_list(report(HEADCOUNT_ID, "Headcount by Department"), report(OVERTIME_ID, "Überstunden März 2026")),
    )


@freeze_time(_NOW)
class TestReportStreams(TestCase):
    """Personio's Report API v2, as the manifest's `dynamic_streams` declares it:

    - `GET /v2/reports` (no parameter) lists the reports; each becomes a full-refresh stream named
      `report_<name in lower case, umlauts spelled out>_<last 8 letters and digits of its id>`, without primary key;
      `sync_reports: true` or naming `report_ids` turns them on, `report_ids` keeping only those; off (the
      default) asks nothing;
    - its schema comes from the columns of the report's first row (`limit=1`): every column nullable, Personio's
      types in either case mapped to JSON-schema types;
    - pages: `limit=100` alone, then the cursor of the next link and `limit` alone;
    - a row is an object keyed by column name, whether Personio sends positional cells or an object;
    - a report refused with 403 or 404 fails its own stream, naming the report and what to change in Personio;
      a refused list leaves no report stream, and `check` still passes.
    """

    @HttpMocker()
    def test_each_listed_report_is_a_stream_named_after_it_with_a_schema_from_its_columns(self, http_mocker: HttpMocker) -> None:
        # Given two listed reports
        _given_two_reports(http_mocker)
        http_mocker.get(report_columns_request(HEADCOUNT_ID), ReportPageBuilder(HEADCOUNT_ID).with_cells(1, "Eng", "2020-01-01", 40, True, None).build())
        overtime_columns = [{"name": "person", "type": "STRING"}, {"name": "hours", "type": "NUMBER"}, {"name": "note"}]
        http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, overtime_columns).build())

        # When
        streams = _discovered(run_discover(ConfigBuilder().with_reports().build()))

        # Then
        assert {name for name in streams if name.startswith("report_")} == {HEADCOUNT, OVERTIME}
        assert len(streams) == len(FACTS.names) + 2
        headcount = streams[HEADCOUNT]
        assert headcount.supported_sync_modes == [SyncMode.full_refresh]
        assert not headcount.source_defined_primary_key
        properties = headcount.json_schema["properties"]
        assert properties["employee_id"] == {"type": ["null", "integer"]}
        assert properties["department"] == {"type": ["null", "string"]}
        assert properties["hire_date"] == {"type": ["null", "string"], "format": "date"}
        assert properties["weekly_hours"] == {"type": ["null", "number"]}
        assert properties["active"] == {"type": ["null", "boolean"]}
        assert properties["updated"] == {"type": ["null", "string"], "format": "date-time"}
        assert streams[OVERTIME].json_schema["properties"] == {
            "person": {"type": ["null", "string"]},
            "hours": {"type": ["null", "number"]},
            "note": {"type": ["null", "string"]},
        }

    @HttpMocker()
    def test_report_ids_keep_only_the_named_reports(self, http_mocker: HttpMocker) -> None:
        # Given two listed reports and a config naming one of them (which alone turns reports on)
        _given_two_reports(http_mocker)
        http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, [{"name": "hours", "type": "decimal"}]).build())

        # When
        streams = _discovered(run_discover(ConfigBuilder().with_field("report_ids", [OVERTIME_ID]).build()))

        # Then
        assert [name for name in streams if name.startswith("report_")] == [OVERTIME]

    @HttpMocker()
    def test_reports_off_asks_nothing(self, http_mocker: HttpMocker) -> None:
        # Given no answer at all (an unexpected request would fail the test)

        # When
        streams = _discovered(run_discover(ConfigBuilder().build()))

        # Then
        assert len(streams) == len(FACTS.names) and not [name for name in streams if name.startswith("report")]

    def test_a_refused_list_leaves_no_report_stream(self) -> None:
        for status in (403, 404):
            with self.subTest(status=status), HttpMocker() as http_mocker:
                # Given a credential without the reports scope
                http_mocker.post(token_request(), token_response())
                http_mocker.get(reports_list_request(), problem_response(status, "Forbidden", "Insufficient access scope."))

                # When
                output = run_discover(ConfigBuilder().with_reports().build())

                # Then every other stream is discovered, and the log says how to get reports
                assert len(_discovered(output)) == len(FACTS.names)
                assert any("personio:reports:read" in log.log.message for log in output.logs)

    @HttpMocker()
    def test_check_passes_without_reports_and_names_report_ids_not_listed(self, http_mocker: HttpMocker) -> None:
        # Given the three required streams, a list of reports refused, and a config naming a report
        http_mocker.post(token_request(), token_response())
        http_mocker.get(persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"), PageBuilder.persons().with_record(person("1001")).build())
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build())
        http_mocker.get(attendance_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build())
        http_mocker.get(reports_list_request(), problem_response(403, "Forbidden", "Insufficient access scope."))

        # When
        output = run_check(ConfigBuilder().with_reports(["4711"]).build())

        # Then
        assert connection_status(output).status == Status.SUCCEEDED
        logs = "\n".join(log.log.message for log in output.logs)
        assert "No report stream (check passes)" in logs
        assert "'report_ids' names reports Personio does not list for this credential: 4711" in logs

    @HttpMocker()
    def test_positional_cells_become_objects_keyed_by_column_name_across_pages(self, http_mocker: HttpMocker) -> None:
        # Given a report whose rows are cell arrays on two pages; one row is short, one has a cell past the columns
        _given_two_reports(http_mocker)
        http_mocker.get(report_columns_request(HEADCOUNT_ID), ReportPageBuilder(HEADCOUNT_ID).build())
        first_page, second_page = report_request(HEADCOUNT_ID), report_request(HEADCOUNT_ID, cursor="c2+/=")
        http_mocker.get(
            first_page,
            ReportPageBuilder(HEADCOUNT_ID)
            .with_cells(1, "Engineering", "2020-01-01", 40.0, True, "2024-02-01T10:00:00Z")
            .with_cells(2, "Sales")
            .with_next_cursor("c2+/=")
            .build(),
        )
        http_mocker.get(
            second_page,
            ReportPageBuilder(HEADCOUNT_ID).with_cells(3, "Ops", None, 20.5, False, None, "extra").build(),
        )

        # When
        output = read_streams([HEADCOUNT], ConfigBuilder().with_reports([HEADCOUNT_ID]).build(), SyncMode.full_refresh)

        # Then (the CDK leaves null values out of a record; a missing column reads as null in the destination)
        assert rows(output, HEADCOUNT) == [
            {"employee_id": 1, "department": "Engineering", "hire_date": "2020-01-01", "weekly_hours": 40.0, "active": True,
             "updated": "2024-02-01T10:00:00Z"},
            {"employee_id": 2, "department": "Sales"},
            {"employee_id": 3, "department": "Ops", "weekly_hours": 20.5, "active": False, "column_6": "extra"},
        ]
        http_mocker.assert_number_of_calls(first_page, 1)
        http_mocker.assert_number_of_calls(second_page, 1)
        assert not output.errors

    @HttpMocker()
    def test_object_rows_are_kept_as_they_come(self, http_mocker: HttpMocker) -> None:
        # Given a report whose rows are objects (no cell arrays)
        _given_two_reports(http_mocker)
        columns = [{"name": "person", "type": "string"}, {"name": "hours", "type": "decimal"}]
        http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).build())
        http_mocker.get(
            report_request(OVERTIME_ID),
            ReportPageBuilder(OVERTIME_ID, columns).with_row({"person": "Ann", "hours": 3.5}).with_row({"person": "Bo", "hours": 0, "value": [1, 2]}).build(),
        )

        # When
        output = read_streams([OVERTIME], ConfigBuilder().with_reports([OVERTIME_ID]).build(), SyncMode.full_refresh)

        # Then
        assert rows(output, OVERTIME) == [{"person": "Ann", "hours": 3.5}, {"person": "Bo", "hours": 0, "value": [1, 2]}]

    def test_a_report_not_shared_fails_alone_naming_it_and_what_to_change(self) -> None:
        for status in (403, 404):
            with self.subTest(status=status), HttpMocker() as http_mocker:
                # Given two reports; Personio refuses the first one's rows
                _given_two_reports(http_mocker)
                http_mocker.get(report_columns_request(HEADCOUNT_ID), problem_response(status, "Forbidden", "No access to this report."))
                http_mocker.get(report_request(HEADCOUNT_ID), problem_response(status, "Forbidden", "No access to this report."))
                columns = [{"name": "hours", "type": "decimal"}]
                http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).build())
                http_mocker.get(report_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).with_cells(7.5).build())

                # When
                output = read_streams([HEADCOUNT, OVERTIME], ConfigBuilder().with_reports().build(), SyncMode.full_refresh, expect_failure=True)

                # Then the other report is read, and only the refused one fails, saying what to do
                assert rows(output, OVERTIME) == [{"hours": 7.5}]
                assert list(stream_errors(output)) == [HEADCOUNT]
                assert HEADCOUNT in output.errors[-1].trace.error.message and OVERTIME not in output.errors[-1].trace.error.message
                message = stream_errors(output)[HEADCOUNT][0].message
                assert "Personio refused the report 'Headcount by Department'" in message and HEADCOUNT_ID in message
                assert "share the report with the credential's owner" in message
                assert "available to the API" in message
                assert "Traceback" not in error_text(output)

    @HttpMocker()
    def test_equal_rows_on_two_pages_are_all_delivered(self, http_mocker: HttpMocker) -> None:
        # Given a one-column report whose second page repeats the first (rows have no key: equal rows are data)
        _given_two_reports(http_mocker)
        columns = [{"name": "department", "type": "string"}]
        http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).build())
        http_mocker.get(report_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).with_cells("Eng").with_cells("Eng").with_next_cursor("p2").build())
        http_mocker.get(report_request(OVERTIME_ID, cursor="p2"), ReportPageBuilder(OVERTIME_ID, columns).with_cells("Eng").with_cells("Eng").build())

        # When
        output = read_streams([OVERTIME], ConfigBuilder().with_reports([OVERTIME_ID]).build(), SyncMode.full_refresh)

        # Then
        assert rows(output, OVERTIME) == [{"department": "Eng"}] * 4
        assert not output.errors

    @HttpMocker()
    def test_a_column_type_the_connector_does_not_know_is_a_string_column(self, http_mocker: HttpMocker) -> None:
        # Given a report whose column has a type no mapping names
        _given_two_reports(http_mocker)
        columns = [{"name": "band", "type": "SALARY_RANGE"}, {"name": "hours", "type": "decimal"}]
        http_mocker.get(report_columns_request(OVERTIME_ID), ReportPageBuilder(OVERTIME_ID, columns).build())

        # When
        output = run_discover(ConfigBuilder().with_reports([OVERTIME_ID]).build())

        # Then discover goes on, and says so
        assert _discovered(output)[OVERTIME].json_schema["properties"] == {
            "band": {"type": ["null", "string"]},
            "hours": {"type": ["null", "number"]},
        }
        assert any("'SALARY_RANGE'" in log.log.message for log in output.logs)
