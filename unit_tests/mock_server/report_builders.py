"""Builders for Personio's Report API v2: the list of reports, a report's pages in either row shape, and the
requests the connector must send for them (exact query parameters, as everywhere in these tests)."""
import copy
import json
from urllib.parse import quote
from typing import Any, Dict, List, Mapping, Optional, Sequence

from airbyte_cdk.test.mock_http import HttpRequest, HttpResponse

from .request_builder import ListRequestBuilder

REPORT_PAGE_SIZE = 100

# A report's columns as the one third-party client that reads the Report API sees them (contract §8).
HEADCOUNT_COLUMNS = [
    {"name": "employee_id", "display": "Employee ID", "type": "INTEGER"},
    {"name": "department", "display": "Department", "type": "string"},
    {"name": "hire_date", "display": "Hire date", "type": "date"},
    {"name": "weekly_hours", "display": "Weekly hours", "type": "decimal"},
    {"name": "active", "display": "Active", "type": "boolean"},
    {"name": "updated", "display": "Last change", "type": "datetime"},
]


def reports_list_request() -> HttpRequest:
    """GET /v2/reports: no parameter at all (Personio's default page; next links followed)."""
    return ListRequestBuilder("reports", None).build()


def report_request(report_id: str, cursor: Optional[str] = None) -> HttpRequest:
    """A page of a report: `limit` alone on the first, `cursor` and `limit` alone on the next ones."""
    builder = ListRequestBuilder(f"reports/{report_id}", REPORT_PAGE_SIZE)
    return (builder.with_cursor(cursor) if cursor else builder).build()


def report_columns_request(report_id: str) -> HttpRequest:
    """The first row of a report, read for its columns (the stream's schema): `limit=1` alone."""
    return ListRequestBuilder(f"reports/{report_id}", 1).build()


def reports_list(*reports: Mapping[str, Any]) -> HttpResponse:
    body = {"_data": [dict(report) for report in reports], "_meta": {"links": {"self": {"href": "/v2/reports"}}}}
    return HttpResponse(json.dumps(body), 200, {"Content-Type": "application/json"})


def report(report_id: str, name: str) -> Dict[str, Any]:
    return {"id": report_id, "name": name, "type": "CUSTOM"}


class ReportPageBuilder:
    """One page of a report: rows as positional cells (`with_cells`) or as objects (`with_row`), the columns
    under `_meta.columns`, and a next link when `with_next_cursor` is called."""

    def __init__(self, report_id: str, columns: Sequence[Any] = HEADCOUNT_COLUMNS) -> None:
        self._report_id = report_id
        self._body: Dict[str, Any] = {
            "_data": [],
            "_meta": {"columns": copy.deepcopy(list(columns)), "links": {"self": {"href": f"/v2/reports/{report_id}"}}},
        }

    def with_cells(self, *cells: Any) -> "ReportPageBuilder":
        self._body["_data"].append(list(cells))
        return self

    def with_row(self, row: Mapping[str, Any]) -> "ReportPageBuilder":
        self._body["_data"].append(dict(row))
        return self

    def with_next_cursor(self, cursor: str) -> "ReportPageBuilder":
        self._body["_meta"]["links"]["next"] = {"href": f"https://api.personio.de/v2/reports/{self._report_id}?cursor={quote(cursor, safe='')}"}
        return self

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._body), 200, {"Content-Type": "application/json"})


def rows(output: Any, stream: str) -> List[Mapping[str, Any]]:
    return [message.record.data for message in output.records if message.record.stream == stream]
