from unittest import TestCase

import requests_mock
from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from .config import CLIENT_ID, CLIENT_SECRET, ConfigBuilder
from .helpers import config_error_traces, connection_status, error_text, read_stream, record_ids, run_check
from .request_builder import (
    ACCESS_TOKEN,
    API_URL,
    DEFAULT_APP_ID,
    ListRequestBuilder,
    TokenRequestBuilder,
    persons_window,
    token_request,
)
from .response_builder import PageBuilder, absence_period, attendance_period, person, problem_response, token_error_response, token_response

_NOW = "2024-03-01T00:00:00Z"


@freeze_time(_NOW)
class TestAuthentication(TestCase):
    """The manifest's `OAuthAuthenticator` (client credentials) and request headers:

    - the token is a form-encoded POST to `{api_url}/v2/auth/token`, body exactly
      `grant_type=client_credentials&client_id=…&client_secret=…`, with `X-Personio-App-ID`;
    - the bearer token is reused for every page and window of a stream;
    - a 401 on a data call (`REFRESH_TOKEN_THEN_RETRY`) gets exactly one new token and one retry; a second 401 is a
      config error saying the credential was revoked or lacks the stream's scope, which it names;
    - a rejected client id or secret (400 `invalid_client`) fails check with a message about the Client ID/Secret;
    - every data request carries `X-Personio-App-ID` (configurable) and `X-Personio-Partner-ID` only when set.
    """

    @HttpMocker()
    def test_token_call_is_a_form_post_and_the_bearer_is_reused_across_pages(self, http_mocker: HttpMocker) -> None:
        # Given
        token = TokenRequestBuilder().build()
        http_mocker.post(token, token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001")).with_next_link(f"{API_URL}/v2/persons?cursor=p2").build(),
        )
        http_mocker.get(
            ListRequestBuilder.persons().with_cursor("p2").build(),
            PageBuilder.persons().with_record(person("1002")).with_next_link(f"{API_URL}/v2/persons?cursor=p3").build(),
        )
        http_mocker.get(ListRequestBuilder.persons().with_cursor("p3").build(), PageBuilder.persons().with_record(person("1003")).build())

        # When
        output = read_stream("persons", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001", "1002", "1003"]
        http_mocker.assert_number_of_calls(token, 1)

    @freeze_time("2024-02-15T12:00:00Z")
    def test_one_token_serves_every_window_of_a_stream(self) -> None:
        # Given three windows read in parallel
        with requests_mock.Mocker() as mocker:
            token_call = mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            periods = mocker.get(f"{API_URL}/v2/absence-periods", json=PageBuilder.absence_periods().build_body())

            # When
            read_stream("absence_periods", ConfigBuilder().with_window_size_days(20).build())

        # Then
        assert periods.call_count == 3
        assert token_call.call_count == 1
        assert token_call.last_request.text == f"grant_type=client_credentials&client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}"
        assert token_call.last_request.headers["Content-Type"] == "application/x-www-form-urlencoded"

    @HttpMocker()
    def test_token_call_uses_the_api_url_and_app_id_from_the_config(self, http_mocker: HttpMocker) -> None:
        # Given
        api_url = "https://personio-proxy.example.com"
        token = TokenRequestBuilder().with_api_url(api_url).with_app_id("ACME_SYNC").build()
        http_mocker.post(token, token_response())
        http_mocker.get(
            ListRequestBuilder.absence_periods()
            .with_api_url(api_url)
            .with_app_id("ACME_SYNC")
            .with_updated_at_gte("2024-01-01T00:00:00")
            .build(),  # the only window ends now: open-ended, no updated_at.lte
            PageBuilder.absence_periods().with_record(absence_period("a-1")).build(),
        )

        # When
        output = read_stream("absence_periods", ConfigBuilder().with_api_url(f"{api_url}/").with_app_id("ACME_SYNC").build())

        # Then
        assert record_ids(output) == ["a-1"]
        http_mocker.assert_number_of_calls(token, 1)

    @HttpMocker()
    def test_a_401_gets_exactly_one_new_token_and_a_retry(self, http_mocker: HttpMocker) -> None:
        # Given the first token is rejected on the data call, the second one accepted
        token = token_request()
        http_mocker.post(token, [token_response("papi-expired-token"), token_response("papi-fresh-token")])
        window = ListRequestBuilder.persons().with_updated_at_gt("2023-12-31T23:59:59Z").with_updated_at_lt("2024-03-01T00:00:01Z")
        rejected = window.with_access_token("papi-expired-token").build()
        http_mocker.get(rejected, problem_response(401, "Unauthorized", "The access token is invalid."))
        accepted = window.with_access_token("papi-fresh-token").build()
        http_mocker.get(accepted, PageBuilder.persons().with_record(person("1001")).build())

        # When
        output = read_stream("persons", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001"]
        assert not output.errors
        http_mocker.assert_number_of_calls(token, 2)
        http_mocker.assert_number_of_calls(rejected, 1)
        http_mocker.assert_number_of_calls(accepted, 1)

    @HttpMocker()
    def test_a_second_401_is_a_config_error_about_a_revoked_or_limited_credential(self, http_mocker: HttpMocker) -> None:
        # Given
        token = token_request()
        http_mocker.post(token, [token_response(), token_response()])
        data = persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z")
        http_mocker.get(data, [problem_response(401, "Unauthorized", "The access token is invalid."), problem_response(401, "Unauthorized", "The access token is invalid.")])

        # When
        output = read_stream("persons", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert record_ids(output) == []
        assert config_error_traces(output)
        assert output.errors[0].trace.error.failure_type == FailureType.config_error
        assert "revoked or lacks the scope 'personio:persons:read'" in output.errors[0].trace.error.internal_message
        http_mocker.assert_number_of_calls(token, 2)
        http_mocker.assert_number_of_calls(data, 2)

    def test_a_rejected_client_secret_fails_check_with_a_message_about_the_credentials(self) -> None:
        for status_code in (400, 401):  # Personio answers 400; some clients saw 401
            with self.subTest(status_code), HttpMocker() as http_mocker:
                # Given
                token = TokenRequestBuilder().with_client_secret("test-wrong-secret").build()
                http_mocker.post(token, token_error_response("invalid_client", status_code))

                # When
                output = run_check(ConfigBuilder().with_client_secret("test-wrong-secret").build())

                # Then
                status = connection_status(output)
                assert status.status == Status.FAILED
                assert "Client ID and Client Secret" in status.message
                assert "test-wrong-secret" not in status.message

    @HttpMocker()
    def test_a_rejected_client_secret_fails_a_read_with_a_config_error(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(TokenRequestBuilder().with_client_secret("test-wrong-secret").build(), token_error_response("invalid_client", 400))

        # When
        output = read_stream("persons", ConfigBuilder().with_client_secret("test-wrong-secret").build(), expect_failure=True)

        # Then
        assert config_error_traces(output)
        assert "test-wrong-secret" not in error_text(output)

    def test_every_data_request_carries_the_default_app_id_and_no_partner_id(self) -> None:
        # Given
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(
                f"{API_URL}/v2/persons?updated_at.gt=2023-12-31T23:59:59Z",
                json=PageBuilder.persons().with_record(person("1001")).with_next_link(f"{API_URL}/v2/persons?cursor=p2").build_body(),
            )
            mocker.get(f"{API_URL}/v2/persons?cursor=p2", json=PageBuilder.persons().with_record(person("1002")).build_body())

            # When
            output = read_stream("persons", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001", "1002"]
        data_requests = [request for request in mocker.request_history if request.method == "GET"]
        assert len(data_requests) == 2
        for request in data_requests:
            assert request.headers["X-Personio-App-ID"] == DEFAULT_APP_ID
            assert request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}"
            assert "X-Personio-Partner-ID" not in request.headers

    def test_every_data_request_carries_the_configured_app_and_partner_ids(self) -> None:
        # Given
        with requests_mock.Mocker() as mocker:
            token_call = mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(
                f"{API_URL}/v2/attendance-periods?updated_at.gte=2024-01-01T00:00:00",
                json=PageBuilder.attendance_periods()
                .with_record(attendance_period("t-1"))
                .with_next_link("/v2/attendance-periods?cursor=p2")
                .build_body(),
            )
            mocker.get(f"{API_URL}/v2/attendance-periods?cursor=p2", json=PageBuilder.attendance_periods().build_body())

            # When
            read_stream("attendance_periods", ConfigBuilder().with_app_id("ACME_SYNC").with_partner_id("ACME_DATA").build())

        # Then
        assert token_call.last_request.headers["X-Personio-App-ID"] == "ACME_SYNC"
        data_requests = [request for request in mocker.request_history if request.method == "GET"]
        assert len(data_requests) == 2
        for request in data_requests:
            assert request.headers["X-Personio-App-ID"] == "ACME_SYNC"
            assert request.headers["X-Personio-Partner-ID"] == "ACME_DATA"
