"""Builders for Personio's answers, from the JSON templates under `resource/http/response/`, on the CDK's own
`airbyte_cdk.test.mock_http.response_builder`: `find_template` reads a template, `create_record_builder` takes its
first record; these builders add Personio's envelope (`_data`, `_meta.links`) and the shortcuts the tests use."""
import copy
import json
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Union
from urllib.parse import parse_qs, urlparse

from airbyte_cdk.test.mock_http import HttpResponse
from airbyte_cdk.test.mock_http.response_builder import FieldPath, Path
from airbyte_cdk.test.mock_http.response_builder import RecordBuilder as CdkRecordBuilder
from airbyte_cdk.test.mock_http.response_builder import create_record_builder, find_template
from dateutil.parser import isoparse


def _template(name: str) -> Dict[str, Any]:
    return find_template(name, __file__)


class RecordBuilder(CdkRecordBuilder):
    """One record, starting from the first record of a stream's template (the CDK's builder, with its id and
    `updated_at` paths where the template has them), plus what Personio's records need: fields named by a string,
    fields left out."""

    @classmethod
    def for_stream(cls, stream: str) -> "RecordBuilder":
        template = _template(stream)
        first = template["_data"][0]
        id_path = FieldPath("id") if first.get("id") else None
        cursor_path = FieldPath("updated_at") if first.get("updated_at") else None
        return cls(create_record_builder(template, FieldPath("_data"), id_path, cursor_path).build(), id_path, cursor_path)

    def with_updated_at(self, updated_at: Any) -> "RecordBuilder":
        return self.with_field("updated_at", updated_at)

    def with_field(self, path: Union[str, Path], value: Any) -> "RecordBuilder":
        super().with_field(FieldPath(path) if isinstance(path, str) else path, value)
        return self

    def without_field(self, name: str) -> "RecordBuilder":
        self._record.pop(name, None)
        return self

    def only_fields(self, *names: str) -> "RecordBuilder":
        self._record = {name: value for name, value in self._record.items() if name in names}
        return self

    def build(self) -> Dict[str, Any]:
        return copy.deepcopy(super().build())


def person(record_id: str = "1001", updated_at: Optional[str] = "2024-01-15T10:00:00Z") -> RecordBuilder:
    builder = RecordBuilder.for_stream("persons").with_id(record_id)
    return builder.with_updated_at(updated_at) if updated_at else builder.without_field("updated_at")


def absence_period(record_id: str, updated_at: str = "2024-01-15T10:00:00Z") -> RecordBuilder:
    return RecordBuilder.for_stream("absence_periods").with_id(record_id).with_updated_at(updated_at)


def attendance_period(record_id: str, updated_at: str = "2024-01-15T10:00:00Z") -> RecordBuilder:
    return RecordBuilder.for_stream("attendance_periods").with_id(record_id).with_updated_at(updated_at)


def custom_attribute(attribute_id: str, value: Any, attribute_type: str = "string", label: Optional[str] = "Label") -> Dict[str, Any]:
    """One item of a person's `custom_attributes`; `label=None` leaves the label out, as Personio may."""
    item: Dict[str, Any] = {"id": attribute_id, "global_id": attribute_id.replace("dynamic_", ""), "type": attribute_type, "value": value}
    if label is not None:
        item["label"] = label
    return item


def employment(record_id: str, person_id: str = "1001", updated_at: str = "2024-01-15T10:00:00Z") -> RecordBuilder:
    return RecordBuilder.for_stream("employments").with_id(record_id).with_field("person", {"id": person_id}).with_updated_at(updated_at)


def breakdown(date: str, value: float = 1.0, unit: str = "DAY") -> RecordBuilder:
    """One day of an absence; Personio's row carries neither an id nor the absence's id."""
    return RecordBuilder.for_stream("absence_period_breakdowns").with_field("date", date).with_field(
        "effective_duration", {"unit": unit, "value": value}
    )


def compensation(record_id: str) -> RecordBuilder:
    return RecordBuilder.for_stream("compensations").with_id(record_id)


def recruiting_application(record_id: Any, updated_at: Any = "2024-01-15T10:00:00Z") -> RecordBuilder:
    return RecordBuilder.for_stream("recruiting_applications").with_id(record_id).with_updated_at(updated_at)


def recruiting_candidate(record_id: Any, updated_at: Any = "2024-01-15T10:00:00Z") -> RecordBuilder:
    return RecordBuilder.for_stream("recruiting_candidates").with_id(record_id).with_updated_at(updated_at)


def berlin_time(date_time: str) -> Dict[str, str]:
    """A recruiting timestamp in the object shape Personio sometimes sends instead of a string."""
    return {"date-time": date_time, "timezone": "Europe/Berlin"}


def org_unit(record_id: Any, org_unit_type: Optional[str] = "department") -> RecordBuilder:
    """`org_unit_type=None` leaves `type` out of the record."""
    builder = RecordBuilder.for_stream("org_units").with_id(record_id)
    return builder.with_field("type", org_unit_type) if org_unit_type else builder.without_field("type")


def list_record(stream: str, record_id: Any) -> RecordBuilder:
    """A record of one of the plain structure lists (legal_entities, workplaces, …), from its template."""
    return RecordBuilder.for_stream(stream).with_id(record_id)


class PageBuilder:
    """One page of Personio's list envelope: `{"_data": [...], "_meta": {"links": {"self": …, "next": …}}}`.

    The template's records are dropped; a page holds exactly the records added to it and, unless
    `with_next_link` is called, no next link (the last page).
    """

    def __init__(self, stream: str) -> None:
        self._page = _template(stream)
        self._page["_data"] = []
        self._page["_meta"]["links"].pop("next", None)
        self._status_code = 200
        self._headers: Dict[str, str] = {}

    @classmethod
    def persons(cls) -> "PageBuilder":
        return cls("persons")

    @classmethod
    def absence_periods(cls) -> "PageBuilder":
        return cls("absence_periods")

    @classmethod
    def attendance_periods(cls) -> "PageBuilder":
        return cls("attendance_periods")

    @classmethod
    def for_stream(cls, stream: str) -> "PageBuilder":
        """A page of any stream with a template under `resource/http/response/<stream>.json`."""
        return cls(stream)

    def with_record(self, record: RecordBuilder) -> "PageBuilder":
        self._page["_data"].append(record.build())
        return self

    def with_records(self, records: Iterable[RecordBuilder]) -> "PageBuilder":
        for record in records:
            self.with_record(record)
        return self

    def with_next_link(self, href: str) -> "PageBuilder":
        self._page["_meta"]["links"]["next"] = {"href": href}
        return self

    def with_self_link(self, href: str) -> "PageBuilder":
        self._page["_meta"]["links"]["self"] = {"href": href}
        return self

    def build_body(self) -> Dict[str, Any]:
        return copy.deepcopy(self._page)

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self._page), self._status_code, self._headers)


def token_response(access_token: str = "papi-test-access-token", expires_in: int = 86400) -> HttpResponse:
    body = _template("token")
    body["access_token"] = access_token
    body["expires_in"] = expires_in
    return HttpResponse(json.dumps(body), 200, {"Content-Type": "application/json"})


def token_error_response(error: str = "invalid_client", status_code: int = 400) -> HttpResponse:
    body = _template("token_error")
    body["error"] = error
    return HttpResponse(json.dumps(body), status_code, {"Content-Type": "application/json"})


def problem_response(
    status_code: int,
    title: str = "Bad Request",
    detail: str = "Invalid request content.",
    headers: Optional[Mapping[str, str]] = None,
) -> HttpResponse:
    """Personio's `application/problem+json` error body."""
    body = _template("problem")
    body["errors"][0]["title"] = title
    body["errors"][0]["detail"] = detail
    return HttpResponse(json.dumps(body), status_code, {"Content-Type": "application/problem+json", **(headers or {})})


def rate_limited_response(retry_after: Optional[str] = None) -> HttpResponse:
    """429 with the token-bucket headers a live probe saw, and Retry-After only when given."""
    headers = {
        "x-ratelimit-remaining": "0",
        "x-ratelimit-replenish-rate": "10",
        "x-ratelimit-burst-capacity": "10",
    }
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    return problem_response(429, title="Too Many Requests", detail="Rate limit exceeded.", headers=headers)


def raw_response(body: str, status_code: int = 200, content_type: str = "text/html") -> HttpResponse:
    return HttpResponse(body, status_code, {"Content-Type": content_type})


# --- a filtering fake, for the boundary tests -----------------------------------------------------------

def _parse_instant(value: str) -> datetime:
    """Personio's timestamps: `Z`, an offset, or (in period filters) no offset at all, read as UTC."""
    parsed = isoparse(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


_OPERATORS: Dict[str, Callable[[datetime, datetime], bool]] = {
    "updated_at.gt": lambda value, bound: value > bound,
    "updated_at.lt": lambda value, bound: value < bound,
    "updated_at.gte": lambda value, bound: value >= bound,
    "updated_at.lte": lambda value, bound: value <= bound,
}


def filtering_endpoint(stream: str, records: List[RecordBuilder]) -> Callable[[Any, Any], Dict[str, Any]]:
    """A requests-mock callback answering one page with the records that pass the request's `updated_at.*`
    filters, applied with Personio's own strict (persons) or inclusive (periods) semantics."""
    built = [record.build() for record in records]

    def answer(request: Any, context: Any) -> Dict[str, Any]:
        filters = {name: _parse_instant(values[0]) for name, values in parse_qs(urlparse(request.url).query).items() if name in _OPERATORS}
        page = PageBuilder(stream)
        for record in built:
            updated_at = _parse_instant(record["updated_at"])
            if all(_OPERATORS[name](updated_at, bound) for name, bound in filters.items()):
                page.with_record(RecordBuilder(record, None, None))
        context.status_code = 200
        return page.build_body()

    return answer


def webhook(webhook_id: str, *enabled_events: str) -> RecordBuilder:
    """A webhook subscription with the events it delivers (the template's four deletion events when none are named)."""
    builder = RecordBuilder.for_stream("webhooks").with_id(webhook_id)
    return builder.with_field("enabled_events", list(enabled_events)) if enabled_events else builder


def webhook_event(event_name: str, occurred_at: str, payload: Mapping[str, Any]) -> RecordBuilder:
    """One row of a webhook's event log, in the delivery envelope (`company_id`, `event_name`, `occurred_at`,
    `payload`, `meta`)."""
    builder = RecordBuilder.for_stream("deletions").with_field("event_name", event_name)
    return builder.with_field("occurred_at", occurred_at).with_field("payload", dict(payload))


def stage_transition(transition_id: str, stage: str, created_at: str, previous_stage: Optional[str] = None) -> RecordBuilder:
    builder = RecordBuilder.for_stream("recruiting_application_stage_transitions").with_id(transition_id)
    builder = builder.with_field("stage", {"id": stage.lower(), "name": stage}).with_field("created_at", created_at)
    previous = {"id": previous_stage.lower(), "name": previous_stage} if previous_stage else None
    return builder.with_field("previous_stage", previous)
