import itertools
import threading
from typing import Any, Callable, Dict, List
from unittest import TestCase

import requests_mock
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from source_personio.messages import BAD_CREDENTIALS
from tools.stream_facts import FACTS

from .config import ConfigBuilder
from .helpers import error_text, read_streams, records_of, stream_errors
from .request_builder import (
    API_URL,
    absence_periods_window,
    all_persons,
    attendance_periods_window,
    employments_of,
    persons_window,
    token_request,
)
from .response_builder import PageBuilder, absence_period, attendance_period, employment, person, token_response

_NOW = "2024-03-01T00:00:00Z"
# the required lists (persons and two lists of periods), and a per-parent stream whose parent (every person) is
# built by a factory of its own
_STREAMS = [*FACTS.required, "employments"]
_TOKEN_URL = f"{API_URL}/v2/auth/token"
_REFUSED_DETAIL = "The access token is invalid or expired"


class _Personio:
    """A requests-mock Personio: the token endpoint hands out papi-1, papi-2, … and each list answers one page, or
    401 to a token it refuses. Records every data request's token, per path."""

    def __init__(self, mocker: requests_mock.Mocker, expires_in: int = 86400) -> None:
        self.expires_in = expires_in
        self.refused: Dict[str, set] = {}  # path -> tokens answered with 401 ("*": every path)
        self.tokens_sent: Dict[str, List[str]] = {}  # path (and query, when answered apart) -> tokens, in order
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._mocker = mocker
        self.token_call = mocker.post(_TOKEN_URL, json=self._token)
        for path, body in {
            "/v2/persons": PageBuilder.persons().with_record(person("1001")).build_body(),
            "/v2/absence-periods": PageBuilder.absence_periods().with_record(absence_period("a-1")).build_body(),
            "/v2/attendance-periods": PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build_body(),
            "/v2/persons/1001/employments": PageBuilder.for_stream("employments").with_record(employment("e-1", "1001")).build_body(),
        }.items():
            self.answer(path, body)

    def answer(self, path: str, body: Dict[str, Any], query: str = "", then: Callable[[], None] = lambda: None) -> None:
        """`path` (and, with `query`, only requests carrying it) answers `body`, then does `then`."""
        self._mocker.get(f"{API_URL}{path}{query}", json=self._page(path, query, body, then))

    def refuse(self, token: str, path: str = "*") -> None:
        self.refused.setdefault(path, set()).add(token)

    def _token(self, request: Any, context: Any) -> Dict[str, Any]:
        with self._lock:
            return {"access_token": f"papi-{next(self._numbers)}", "token_type": "Bearer", "expires_in": self.expires_in}

    def _page(self, path: str, query: str, body: Dict[str, Any], then: Callable[[], None]) -> Any:
        def answer(request: Any, context: Any) -> Dict[str, Any]:
            token = request.headers["Authorization"].removeprefix("Bearer ")
            with self._lock:
                self.tokens_sent.setdefault(path + query, []).append(token)
            if token in self.refused.get(path, set()) | self.refused.get("*", set()):
                context.status_code = 401
                return {"errors": [{"title": "Unauthorized", "detail": _REFUSED_DETAIL}]}
            then()
            return body

        return answer


@freeze_time(_NOW)
class TestOneTokenForTheWholeSync(TestCase):
    """source_personio/shared_token.py: every stream, parent stream and worker thread of a source uses one token.

    - a read of several streams mints one token;
    - a token past its `expires_in` is replaced once, for every stream;
    - a 401 (the manifest's `token_refused`, `REFRESH_TOKEN_THEN_RETRY`) replaces the token once however many
      threads it reached, and every stream goes on with the new one;
    - a token refused right after it was issued, and a credential revoked mid-sync, end as with a token per stream:
      a config error naming the scope, or the Client ID and Client Secret.
    """

    @HttpMocker()
    def test_a_read_of_several_streams_takes_one_token(self, http_mocker: HttpMocker) -> None:
        # Given
        token = token_request()
        http_mocker.post(token, token_response())
        http_mocker.get(persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"), PageBuilder.persons().with_record(person("1001")).build())
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build())
        http_mocker.get(attendance_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build())
        http_mocker.get(all_persons(), PageBuilder.persons().with_record(person("1001")).with_record(person("1002")).build())
        http_mocker.get(employments_of("1001", gt="2023-12-31T23:59:59Z"), PageBuilder.for_stream("employments").with_record(employment("e-1", "1001")).build())
        http_mocker.get(employments_of("1002", gt="2023-12-31T23:59:59Z"), PageBuilder.for_stream("employments").with_record(employment("e-2", "1002")).build())

        # When
        output = read_streams(_STREAMS, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert not output.errors
        assert [record["id"] for record in records_of(output, "employments")] in (["e-1", "e-2"], ["e-2", "e-1"])
        assert all(records_of(output, stream) for stream in _STREAMS)
        http_mocker.assert_number_of_calls(token, 1)

    def test_an_expired_token_is_replaced_once_for_every_stream(self) -> None:
        with requests_mock.Mocker() as mocker, freeze_time(_NOW) as clock:
            # Given a token that lives one hour, and two hours passing once the first persons page is served
            personio = _Personio(mocker, expires_in=3600)
            first_page = PageBuilder.persons().with_record(person("1001")).with_next_link(f"{API_URL}/v2/persons?cursor=p2")
            personio.answer("/v2/persons", first_page.build_body(), query="?updated_at.gt=2023-12-31T23:59:59Z", then=lambda: clock.tick(7200))
            personio.answer("/v2/persons", PageBuilder.persons().with_record(person("1002")).build_body(), query="?cursor=p2")

            # When
            output = read_streams(_STREAMS, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then the second persons page, asked after the token expired, carried the one new token
        assert not output.errors
        assert [record["id"] for record in records_of(output, "persons")] == ["1001", "1002"]
        assert all(records_of(output, stream) for stream in _STREAMS)
        assert personio.token_call.call_count == 2
        assert personio.tokens_sent["/v2/persons?updated_at.gt=2023-12-31T23:59:59Z"] == ["papi-1"]
        assert personio.tokens_sent["/v2/persons?cursor=p2"] == ["papi-2"]
        assert "papi-3" not in str(personio.tokens_sent)

    def test_a_401_on_one_stream_replaces_the_token_once_and_every_stream_goes_on(self) -> None:
        with requests_mock.Mocker() as mocker:
            # Given persons refuses the first token; the other endpoints take it
            personio = _Personio(mocker)
            personio.refuse("papi-1", path="/v2/persons")

            # When
            output = read_streams(_STREAMS, ConfigBuilder().build())

        # Then
        assert not output.errors
        assert all(records_of(output, stream) for stream in _STREAMS)
        assert personio.token_call.call_count == 2
        assert personio.tokens_sent["/v2/persons"][-1] == "papi-2"
        assert "papi-3" not in str(personio.tokens_sent)

    def test_a_token_every_thread_sees_refused_is_replaced_once(self) -> None:
        with requests_mock.Mocker() as mocker:
            # Given Personio refuses the first token everywhere (revoked by an admin, say), the second nowhere
            personio = _Personio(mocker)
            personio.refuse("papi-1")

            # When
            output = read_streams(_STREAMS, ConfigBuilder().with_num_workers(10).build())

        # Then every stream was refused once and retried with the one new token
        assert not output.errors
        assert all(records_of(output, stream) for stream in _STREAMS)
        assert personio.token_call.call_count == 2
        for path, tokens in personio.tokens_sent.items():
            assert set(tokens) <= {"papi-1", "papi-2"} and tokens[-1] == "papi-2", path

    def test_a_token_refused_right_after_it_was_issued_fails_that_stream_naming_its_scope(self) -> None:
        with requests_mock.Mocker() as mocker:
            # Given a credential without the persons scope: Personio answers persons with 401 whatever the token
            personio = _Personio(mocker)
            for number in range(1, 10):
                personio.refuse(f"papi-{number}", path="/v2/persons")

            # When
            output = read_streams(["persons", "absence_periods", "attendance_periods"], ConfigBuilder().build(), expect_failure=True)

        # Then persons fails as it did with a token of its own; the other streams read on
        errors = stream_errors(output)
        assert set(errors) == {"persons"}
        assert errors["persons"][0].failure_type == FailureType.config_error
        assert "Personio refused a freshly issued access token" in errors["persons"][0].message
        assert "'personio:persons:read'" in errors["persons"][0].message
        assert records_of(output, "absence_periods") and records_of(output, "attendance_periods")
        assert personio.token_call.call_count == 2
        assert personio.tokens_sent["/v2/persons"] == ["papi-1", "papi-2"]

    def test_a_credential_revoked_mid_sync_fails_with_the_credentials_message(self) -> None:
        with requests_mock.Mocker() as mocker:
            # Given the first token is refused everywhere and the token endpoint then refuses the credential
            personio = _Personio(mocker)
            personio.refuse("papi-1")
            token_call = mocker.post(_TOKEN_URL, [{"json": {"access_token": "papi-1", "expires_in": 86400}},
                                     {"json": {"error": "invalid_client", "error_description": "Client authentication failed"}, "status_code": 400}])

            # When
            output = read_streams(["persons", "absence_periods"], ConfigBuilder().build(), expect_failure=True)

        # Then
        assert not output.records
        errors = stream_errors(output)
        assert set(errors) == {"persons", "absence_periods"}
        for stream, failures in errors.items():
            assert failures[0].failure_type == FailureType.config_error, stream
            assert failures[0].message.startswith(BAD_CREDENTIALS), stream
        assert "test-client-secret" not in error_text(output)
        assert token_call.call_count <= 3  # the first token, then one refused try per stream at most

