"""Fluent builders for the requests the connector must send: the token call and the three list endpoints.

Query parameters are matched exactly (never "any query params"): a list request built here matches only a
request carrying exactly `limit` plus the parameters a test adds.
"""
from typing import Dict, Optional
from urllib.parse import urlencode

from airbyte_cdk.test.mock_http import HttpRequest

from .config import CLIENT_ID, CLIENT_SECRET

API_URL = "https://api.personio.de"
ACCESS_TOKEN = "papi-test-access-token"
DEFAULT_APP_ID = "AIRBYTE_SOURCE_PERSONIO"

PERSONS_PAGE_SIZE = 50
PERIODS_PAGE_SIZE = 100


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

    def __init__(self, endpoint: str, page_size: int) -> None:
        self._endpoint = endpoint
        self._api_url = API_URL
        self._query_params: Dict[str, str] = {"limit": str(page_size)}
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
    sends that for every window ending within the last 15 hours (Personio may read an offset-less bound in the
    company's zone, up to UTC+14); older windows carry `updated_at.lte = window_end + 1s`.
    """
    return _periods_window(ListRequestBuilder.absence_periods(), gte, lte)


def attendance_periods_window(gte: str, lte: Optional[str] = None) -> HttpRequest:
    """First page of an attendance-periods window: as `absence_periods_window`, `lte=None` meaning open-ended."""
    return _periods_window(ListRequestBuilder.attendance_periods(), gte, lte)


def token_request(api_url: Optional[str] = None) -> HttpRequest:
    builder = TokenRequestBuilder()
    if api_url:
        builder = builder.with_api_url(api_url)
    return builder.build()
