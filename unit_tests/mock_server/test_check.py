from unittest import TestCase

from airbyte_cdk.models import Status
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import connection_status, run_check
from .request_builder import ACCESS_TOKEN, ListRequestBuilder, absence_periods_window, attendance_periods_window, persons_window, token_request
from .response_builder import PageBuilder, absence_period, attendance_period, person, problem_response, token_response

_NOW = "2024-03-01T00:00:00Z"


def _forbidden():
    return problem_response(403, "Forbidden", "Insufficient access scope.")


@freeze_time(_NOW)
class TestCheck(TestCase):
    """`check` (SourcePersonio.check over the manifest's CheckStream): every stream's first window is read once;
    it succeeds only when all three answer, and a credential missing several scopes is told about ALL of them
    (scope names `personio:persons:read`, `personio:absences:read`, `personio:attendances:read`) and where to
    grant them, in one round; persons refusing even a freshly issued token (401 twice) is reported as its missing
    scope, not with the CDK's "Refreshed OAuth access token is rejected by the API"."""

    def _given_streams(self, http_mocker: HttpMocker, persons=None, absences=None, attendances=None) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            persons or PageBuilder.persons().with_record(person("1001")).build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            absences or PageBuilder.absence_periods().with_record(absence_period("a-1")).build(),
        )
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00"),
            attendances or PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build(),
        )

    @HttpMocker()
    def test_check_succeeds_when_every_stream_answers(self, http_mocker: HttpMocker) -> None:
        # Given
        self._given_streams(http_mocker)

        # When
        output = run_check(ConfigBuilder().build())

        # Then
        assert connection_status(output).status == Status.SUCCEEDED

    @HttpMocker()
    def test_check_succeeds_on_an_account_without_data(self, http_mocker: HttpMocker) -> None:
        # Given
        self._given_streams(
            http_mocker,
            persons=PageBuilder.persons().build(),
            absences=PageBuilder.absence_periods().build(),
            attendances=PageBuilder.attendance_periods().build(),
        )

        # When
        output = run_check(ConfigBuilder().build())

        # Then
        assert connection_status(output).status == Status.SUCCEEDED

    @HttpMocker()
    def test_check_names_the_one_missing_scope_and_where_to_grant_it(self, http_mocker: HttpMocker) -> None:
        # Given
        self._given_streams(http_mocker, persons=_forbidden())

        # When
        status = connection_status(run_check(ConfigBuilder().build()))

        # Then
        assert status.status == Status.FAILED
        assert "personio:persons:read" in status.message
        assert "Settings > Integrations > API credentials" in status.message
        assert "personio:absences:read" not in status.message
        assert "personio:attendances:read" not in status.message

    @HttpMocker()
    def test_check_names_both_missing_scopes(self, http_mocker: HttpMocker) -> None:
        # Given
        self._given_streams(http_mocker, absences=_forbidden(), attendances=_forbidden())

        # When
        status = connection_status(run_check(ConfigBuilder().build()))

        # Then
        assert status.status == Status.FAILED
        assert "personio:absences:read" in status.message
        assert "personio:attendances:read" in status.message
        assert "personio:persons:read" not in status.message

    @HttpMocker()
    def test_check_names_the_persons_scope_when_persons_refuses_even_a_fresh_token(self, http_mocker: HttpMocker) -> None:
        # Given persons answers 401 to the first token and again to the one issued after it (Personio's answer to a
        # credential without the persons scope); the refreshed token is then the one every later call gets
        http_mocker.post(token_request(), [token_response("papi-first-token"), token_response(ACCESS_TOKEN)])
        persons = ListRequestBuilder.persons().with_updated_at_gt("2023-12-31T23:59:59Z").with_updated_at_lt("2024-03-01T00:00:01Z")
        first_try = persons.with_access_token("papi-first-token").build()
        http_mocker.get(first_try, problem_response(401, "Unauthorized", "The access token is invalid."))
        after_refresh = persons.with_access_token(ACCESS_TOKEN).build()
        http_mocker.get(after_refresh, problem_response(401, "Unauthorized", "The access token is invalid."))
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.attendance_periods().with_record(attendance_period("t-1")).build()
        )

        # When
        status = connection_status(run_check(ConfigBuilder().build()))

        # Then only persons fails, with a message naming its scope instead of the CDK's generic wording
        assert status.status == Status.FAILED
        assert "Stream persons is not available" in status.message
        assert "personio:persons:read" in status.message
        assert "Settings > Integrations > API credentials" in status.message
        assert "Refreshed OAuth access token is rejected by the API" not in status.message
        assert "personio:absences:read" not in status.message
        assert "personio:attendances:read" not in status.message
        http_mocker.assert_number_of_calls(first_try, 1)
        http_mocker.assert_number_of_calls(after_refresh, 1)
