"""Fluent builders for the requests the connector must send: the token call and every list endpoint.

Query parameters are matched exactly (never "any query params"): a list request built here matches only a
request carrying exactly `limit` (where the endpoint sends one) plus the parameters a test adds.
"""
from typing import Dict, Optional
from urllib.parse import urlencode

from airbyte_cdk.test.mock_http import HttpRequest

from tools.stream_facts import FACTS

from .config import CLIENT_ID, CLIENT_SECRET

API_URL = "https://api.personio.de"
ACCESS_TOKEN = "papi-test-access-token"
DEFAULT_APP_ID = "AIRBYTE_SOURCE_PERSONIO"

PERSONS_PAGE_SIZE = 50
PERIODS_PAGE_SIZE = 100
EMPLOYMENTS_PAGE_SIZE = 50
BREAKDOWNS_PAGE_SIZE = 28
COMPENSATIONS_PAGE_SIZE = 100
RECRUITING_PAGE_SIZE = 200
WEBHOOK_EVENTS_PAGE_SIZE = 200
LIST_PAGE_SIZE = 100

# The plain full-refresh lists (read whole, one list, a documented page size): stream name -> endpoint path under
# /v2 (each asked with `limit=100`).
PLAIN_LIST_ENDPOINTS = {
    stream.name: stream.endpoint for stream in FACTS if stream.kind == "whole" and not stream.partitions and stream.page_size
}


class TokenRequestBuilder:
    """POST {api_url}/v2/auth/token with the form body `grant_type=client_credentials&client_id=…&client_secret=…`."""

    def __init__(self) -> None:
        self._api_url = API_URL
        self._client_id = CLIENT_ID
        self._client_secret = CLIENT_SECRET
        self._app_id = DEFAULT_APP_ID

    def with_api_url(self, api_url: str) -> "TokenRequestBuilder":
        self._api_url = api_url
        return self

    def with_client_id(self, client_id: str) -> "TokenRequestBuilder":
        self._client_id = client_id
        return self

    def with_client_secret(self, client_secret: str) -> "TokenRequestBuilder":
        self._client_secret = client_secret
        return self

    def with_app_id(self, app_id: str) -> "TokenRequestBuilder":
        self._app_id = app_id
        return self

    def build(self) -> HttpRequest:
        body = urlencode(
            [("grant_type", "client_credentials"), ("client_id", self._client_id), ("client_secret", self._client_secret)]
        )
        return HttpRequest(
            url=f"{self._api_url}/v2/auth/token",
            headers={"X-Personio-App-ID": self._app_id, "Content-Type": "application/x-www-form-urlencoded"},
            body=body,
        )


class ListRequestBuilder:
    """GET {api_url}/v2/<endpoint> with `limit` and whatever `updated_at.*` or `cursor` parameters the test names."""

    @classmethod
    def persons(cls) -> "ListRequestBuilder":
        return cls("persons", PERSONS_PAGE_SIZE)

    @classmethod
    def absence_periods(cls) -> "ListRequestBuilder":
        return cls("absence-periods", PERIODS_PAGE_SIZE)

    @classmethod
    def attendance_periods(cls) -> "ListRequestBuilder":
        return cls("attendance-periods", PERIODS_PAGE_SIZE)

    @classmethod
    def employments(cls, person_id: str) -> "ListRequestBuilder":
        return cls(f"persons/{person_id}/employments", EMPLOYMENTS_PAGE_SIZE)

    @classmethod
    def absence_period_breakdowns(cls, absence_period_id: str) -> "ListRequestBuilder":
        return cls(f"absence-periods/{absence_period_id}/breakdowns", BREAKDOWNS_PAGE_SIZE)

    @classmethod
    def compensations(cls) -> "ListRequestBuilder":
        return cls("compensations", COMPENSATIONS_PAGE_SIZE)

    @classmethod
    def recruiting_applications(cls) -> "ListRequestBuilder":
        return cls("recruiting/applications", RECRUITING_PAGE_SIZE)

    @classmethod
    def recruiting_candidates(cls) -> "ListRequestBuilder":
        return cls("recruiting/candidates", RECRUITING_PAGE_SIZE)

    @classmethod
    def recruiting_jobs(cls) -> "ListRequestBuilder":
        """Personio documents no page size for it: no `limit` is sent."""
        return cls("recruiting/jobs", None)

    @classmethod
    def recruiting_categories(cls) -> "ListRequestBuilder":
        """Personio documents no page size for it: no `limit` is sent."""
        return cls("recruiting/categories", None)

    @classmethod
    def recruiting_application_stage_transitions(cls, application_id: str) -> "ListRequestBuilder":
        """Personio takes no paging parameters here: no `limit` is sent."""
        return cls(f"recruiting/applications/{application_id}/stage-transitions", None)

    @classmethod
    def webhooks(cls) -> "ListRequestBuilder":
        """Personio documents no page size for the webhook list: no `limit` is sent."""
        return cls("webhooks", None)

    @classmethod
    def webhook_events(cls, webhook_id: str) -> "ListRequestBuilder":
        return cls(f"webhooks/{webhook_id}/events", WEBHOOK_EVENTS_PAGE_SIZE)

    @classmethod
    def org_units(cls) -> "ListRequestBuilder":
        return cls("org-units", LIST_PAGE_SIZE)

    @classmethod
    def plain_list(cls, stream: str) -> "ListRequestBuilder":
        """One of `PLAIN_LIST_ENDPOINTS`, by stream name."""
        return cls(PLAIN_LIST_ENDPOINTS[stream], LIST_PAGE_SIZE)

    def __init__(self, endpoint: str, page_size: Optional[int]) -> None:
        self._endpoint = endpoint
        self._api_url = API_URL
        self._query_params: Dict[str, str] = {} if page_size is None else {"limit": str(page_size)}
        self._headers: Dict[str, str] = {
            "Authorization": f"Bearer {ACCESS_TOKEN}",
            "X-Personio-App-ID": DEFAULT_APP_ID,
        }

    @property
    def path(self) -> str:
        return f"/v2/{self._endpoint}"

    def with_api_url(self, api_url: str) -> "ListRequestBuilder":
        self._api_url = api_url
        return self

    def with_updated_at_gt(self, value: str) -> "ListRequestBuilder":
        return self.with_query_param("updated_at.gt", value)

    def with_updated_at_lt(self, value: str) -> "ListRequestBuilder":
        return self.with_query_param("updated_at.lt", value)

    def with_updated_at_gte(self, value: str) -> "ListRequestBuilder":
        return self.with_query_param("updated_at.gte", value)

    def with_updated_at_lte(self, value: str) -> "ListRequestBuilder":
        return self.with_query_param("updated_at.lte", value)

    def with_cursor(self, cursor: str) -> "ListRequestBuilder":
        """A follow-up page: the cursor (decoded, as Personio issued it) and `limit`, no window filters."""
        return self.with_query_param("cursor", cursor)

    def with_query_param(self, name: str, value: str) -> "ListRequestBuilder":
        self._query_params[name] = value
        return self

    def with_access_token(self, token: str) -> "ListRequestBuilder":
        return self.with_header("Authorization", f"Bearer {token}")

    def with_app_id(self, app_id: str) -> "ListRequestBuilder":
        return self.with_header("X-Personio-App-ID", app_id)

    def with_partner_id(self, partner_id: str) -> "ListRequestBuilder":
        return self.with_header("X-Personio-Partner-ID", partner_id)

    def with_header(self, name: str, value: str) -> "ListRequestBuilder":
        self._headers[name] = value
        return self

    def build(self) -> HttpRequest:
        return HttpRequest(url=f"{self._api_url}{self.path}", query_params=dict(self._query_params), headers=dict(self._headers))


def persons_window(gt: str, lt: str) -> HttpRequest:
    """First page of a persons window: strict operators, RFC 3339 with Z."""
    return ListRequestBuilder.persons().with_updated_at_gt(gt).with_updated_at_lt(lt).build()


def _periods_window(builder: ListRequestBuilder, gte: str, lte: Optional[str]) -> HttpRequest:
    builder = builder.with_updated_at_gte(gte)
    if lte is not None:
        builder = builder.with_updated_at_lte(lte)
    return builder.build()


def absence_periods_window(gte: str, lte: Optional[str] = None) -> HttpRequest:
    """First page of an absence-periods window: inclusive operators, no offset.

    `lte=None` is an open-ended window: exactly `limit` and `updated_at.gte`, no `updated_at.lte`. The connector
    sends that for the last window (shorter than a full step) when it ends within the last 15 hours (Personio may
    read an offset-less bound in the company's zone, up to UTC+14); every other window carries
    `updated_at.lte = window_end + 1s`.
    """
    return _periods_window(ListRequestBuilder.absence_periods(), gte, lte)


def attendance_periods_window(gte: str, lte: Optional[str] = None) -> HttpRequest:
    """First page of an attendance-periods window: as `absence_periods_window`, `lte=None` meaning open-ended."""
    return _periods_window(ListRequestBuilder.attendance_periods(), gte, lte)


def all_persons() -> HttpRequest:
    """The unwindowed persons read that lists the parents of per-person requests: `limit` only, no filters."""
    return ListRequestBuilder.persons().build()


def employments_of(person_id: str, gt: str) -> HttpRequest:
    """First page of one person's employments: the strict `updated_at.gt` only, RFC 3339 with Z, no `.lt`."""
    return ListRequestBuilder.employments(person_id).with_updated_at_gt(gt).build()


def breakdowns_of(absence_period_id: str) -> HttpRequest:
    """First page of one absence's day-by-day breakdowns: `limit=28` and no filter."""
    return ListRequestBuilder.absence_period_breakdowns(absence_period_id).build()


def compensations_month(start_date: str, end_date: str) -> HttpRequest:
    """First page of one calendar month of compensations: `start_date` and `end_date` as `YYYY-MM-DD`."""
    builder = ListRequestBuilder.compensations()
    return builder.with_query_param("start_date", start_date).with_query_param("end_date", end_date).build()


def recruiting_since(stream: str, gt: str) -> HttpRequest:
    """First page of a recruiting list (`recruiting_applications` or `recruiting_candidates`): `updated_at.gt`
    only, never `.lt` (Personio answers 400 to both)."""
    return getattr(ListRequestBuilder, stream)().with_updated_at_gt(gt).build()


def webhook_events_since(webhook_id: str, gte: str) -> HttpRequest:
    """First page of a webhook's event log: `limit=200` and the inclusive `occurred_at.gte` only (RFC 3339, whole
    seconds, Z)."""
    return ListRequestBuilder.webhook_events(webhook_id).with_query_param("occurred_at.gte", gte).build()


def stage_transitions_of(application_id: str) -> HttpRequest:
    """One application's stage transitions: no query parameters at all."""
    return ListRequestBuilder.recruiting_application_stage_transitions(application_id).build()


def org_units_of_type(org_unit_type: str) -> HttpRequest:
    """First page of one org-unit type: `type` (required by Personio) and `include_parent_chain=true`."""
    builder = ListRequestBuilder.org_units().with_query_param("type", org_unit_type)
    return builder.with_query_param("include_parent_chain", "true").build()


def token_request(api_url: Optional[str] = None) -> HttpRequest:
    builder = TokenRequestBuilder()
    if api_url:
        builder = builder.with_api_url(api_url)
    return builder.build()
