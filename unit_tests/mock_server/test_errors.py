from unittest import TestCase

import requests_mock
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import config_error_traces, error_text, read_stream, record_ids, state_values
from .request_builder import ACCESS_TOKEN, API_URL, absence_periods_window, attendance_periods_window, persons_window, token_request
from .response_builder import (
    PageBuilder,
    absence_period,
    attendance_period,
    person,
    problem_response,
    rate_limited_response,
    raw_response,
    token_response,
)

_NOW = "2024-03-01T00:00:00Z"
_MAX_ATTEMPTS = 6  # the first request and max_retries: 5

_PERSONS = persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z")
_ABSENCES = absence_periods_window(gte="2024-01-01T00:00:00")
_ATTENDANCES = attendance_periods_window(gte="2024-01-01T00:00:00")


@freeze_time(_NOW)
class TestErrors(TestCase):
    """The manifest's `DefaultErrorHandler` (`max_retries: 6`, `WaitTimeFromHeader` Retry-After then
    `ExponentialBackoffStrategy`):

    - 403 fails as a config error naming the stream's missing scope and where to grant it;
    - 429 is retried, after Retry-After when sent and with exponential backoff when not;
    - 500/502/503/504 are retried; a persistent one fails after 7 attempts;
    - 400 fails showing Personio's `errors[0].detail`; 404 names the API URL setting;
    - a 200 that is not Personio's envelope (non-JSON, or no `_data` list) is retried, then fails loudly;
    - a page holding a record without `id` fails with a message.
    Real waits are recorded by the `sleeps` fixture, never slept.
    """

    def test_403_is_a_config_error_naming_the_missing_scope_of_each_stream(self) -> None:
        for stream, request, scope in (
            ("persons", _PERSONS, "personio:persons:read"),
            ("absence_periods", _ABSENCES, "personio:absences:read"),
            ("attendance_periods", _ATTENDANCES, "personio:attendances:read"),
        ):
            with self.subTest(stream), HttpMocker() as http_mocker:
                # Given
                http_mocker.post(token_request(), token_response())
                http_mocker.get(request, problem_response(403, "Forbidden", "Insufficient access scope."))

                # When
                output = read_stream(stream, ConfigBuilder().build(), expect_failure=True)

                # Then
                assert record_ids(output) == []
                errors = config_error_traces(output)
                assert errors
                assert scope in errors[0].trace.error.message
                assert "Settings > Integrations > API credentials" in errors[0].trace.error.message
                http_mocker.assert_number_of_calls(request, 1)

    @HttpMocker()
    def test_429_with_retry_after_waits_that_long_and_the_sync_completes(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            _ABSENCES,
            [rate_limited_response(retry_after="3"), PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-02-01T00:00:00Z")).build()],
        )

        # When
        output = read_stream("absence_periods", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["a-1"]
        assert not output.errors
        assert state_values(output)[-1] == "2024-02-01T00:00:00Z"
        assert 3 <= max(self.sleeps.waits) <= 5  # Retry-After plus the CDK's one-second margin
        http_mocker.assert_number_of_calls(_ABSENCES, 2)

    @HttpMocker()
    def test_429_without_retry_after_backs_off_exponentially_and_the_sync_completes(self, http_mocker: HttpMocker) -> None:
        # Given the token-bucket 429 a live probe saw: x-ratelimit-* headers and no Retry-After
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            _ATTENDANCES,
            [
                rate_limited_response(),
                rate_limited_response(),
                rate_limited_response(),
                PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build(),
            ],
        )

        # When
        output = read_stream("attendance_periods", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["t-1"]
        assert not output.errors
        waits = [wait for wait in self.sleeps.waits if wait > 0]
        assert len(waits) == 3
        assert waits == sorted(waits) and waits[0] < waits[-1]
        http_mocker.assert_number_of_calls(_ATTENDANCES, 4)

    def test_server_errors_are_retried_and_then_succeed(self) -> None:
        for status_code in (500, 502, 503, 504):
            with self.subTest(status_code), HttpMocker() as http_mocker:
                # Given
                http_mocker.post(token_request(), token_response())
                http_mocker.get(
                    _PERSONS,
                    [
                        problem_response(status_code, "Server Error", "Something went wrong."),
                        problem_response(status_code, "Server Error", "Something went wrong."),
                        PageBuilder.persons().with_record(person("1001")).build(),
                    ],
                )

                # When
                output = read_stream("persons", ConfigBuilder().build())

                # Then
                assert record_ids(output) == ["1001"]
                assert not output.errors
                http_mocker.assert_number_of_calls(_PERSONS, 3)

    @HttpMocker()
    def test_a_persistent_500_fails_after_a_bounded_number_of_attempts(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_PERSONS, [problem_response(500, "Server Error", "Something went wrong.")] * _MAX_ATTEMPTS)

        # When
        output = read_stream("persons", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert record_ids(output) == []
        assert output.errors
        assert "server error (HTTP 5xx)" in error_text(output)
        http_mocker.assert_number_of_calls(_PERSONS, _MAX_ATTEMPTS)

    @HttpMocker()
    def test_400_shows_personios_error_detail(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_ATTENDANCES, problem_response(400, "Bad Request", "Filter 'updated_at.gte' has an invalid value."))

        # When
        output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert output.errors
        assert "Filter 'updated_at.gte' has an invalid value." in output.errors[0].trace.error.message
        http_mocker.assert_number_of_calls(_ATTENDANCES, 1)

    @HttpMocker()
    def test_404_is_a_config_error_naming_the_api_url_setting(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_PERSONS, problem_response(404, "Not Found", "No route."))

        # When
        output = read_stream("persons", ConfigBuilder().build(), expect_failure=True)

        # Then
        errors = config_error_traces(output)
        assert errors
        assert "API URL" in errors[0].trace.error.message
        assert output.errors[0].trace.error.failure_type == FailureType.config_error

    def test_a_200_that_is_not_the_list_envelope_is_retried_then_fails_with_a_message(self) -> None:
        for case, body in (
            ("html", raw_response("<html><body>Gateway</body></html>")),
            ("truncated json", raw_response('{"_data": [{"id": "1", "updated', content_type="application/json")),
            ("no _data", raw_response('{"_meta": {"links": {}}}', content_type="application/json")),
            ("_data not a list", raw_response('{"_data": {"id": "1"}}', content_type="application/json")),
        ):
            with self.subTest(case), HttpMocker() as http_mocker:
                # Given
                http_mocker.post(token_request(), token_response())
                http_mocker.get(_ABSENCES, [body] * _MAX_ATTEMPTS)

                # When
                output = read_stream("absence_periods", ConfigBuilder().build(), expect_failure=True)

                # Then
                assert record_ids(output) == []
                assert output.errors, "a broken page must not end the sync as if it were empty"
                assert "'_data'" in error_text(output)
                http_mocker.assert_number_of_calls(_ABSENCES, _MAX_ATTEMPTS)

    @HttpMocker()
    def test_a_200_that_is_not_the_list_envelope_once_is_retried_and_the_sync_completes(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            _ABSENCES,
            [raw_response("<html>proxy error</html>"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build()],
        )

        # When
        output = read_stream("absence_periods", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["a-1"]
        assert not output.errors

    @HttpMocker()
    def test_a_record_without_id_fails_with_a_message(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            _ATTENDANCES,
            PageBuilder.attendance_periods()
            .with_record(attendance_period("t-1"))
            .with_record(attendance_period("t-2").without_field("id"))
            .build(),
        )

        # When
        output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert output.errors
        assert "without an 'id'" in output.errors[0].trace.error.message


@freeze_time("2024-02-15T12:00:00Z")
class TestApiBudget(TestCase):
    """The manifest's `api_budget`: moving-window limits per endpoint, `persons_requests_per_second` (25) for
    /v2/persons and `periods_requests_per_second` (9) for each period endpoint. Budget waits are recorded by the
    `sleeps` fixture (`budget_waits`), which lets the frozen clock run instead of sleeping."""

    def _read_three_windows(self, config) -> None:
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            periods = mocker.get(f"{API_URL}/v2/absence-periods", json=PageBuilder.absence_periods().build_body())
            output = read_stream("absence_periods", config)
        assert not output.errors
        assert periods.call_count == 3

    def test_a_low_periods_rate_makes_requests_wait_for_the_budget(self) -> None:
        # Given three windows and one request per second
        self._read_three_windows(ConfigBuilder().with_window_size_days(20).with_field("periods_requests_per_second", 1).build())

        # Then
        assert sum(self.sleeps.budget_waits) >= 1

    def test_the_default_periods_rate_lets_three_requests_through_without_waiting(self) -> None:
        # Given three windows and the default nine requests per second
        self._read_three_windows(ConfigBuilder().with_window_size_days(20).build())

        # Then
        assert self.sleeps.budget_waits == []
