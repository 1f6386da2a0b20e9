"""What a `read` tells the user, in Personio's terms (source_personio/source.py and messages.py): a credential
revoked during the read, a token refused right after it was issued, a retried answer that is not a throttle, and
an outage, which stops the sync at the first request that runs out of retries."""
import logging
from unittest import TestCase

import pytest
from airbyte_cdk.models import FailureType, SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from source_personio.source import PersonioUnavailable, SourcePersonio

from .config import ConfigBuilder
from .helpers import config_error_traces, plain, read_stream, record_ids
from .request_builder import absence_periods_window, persons_window, token_request
from .response_builder import PageBuilder, absence_period, problem_response, raw_response, token_error_response, token_response

_NOW = "2024-03-01T00:00:00Z"
_PERSONS = persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z")
_ATTEMPTS = 6  # the first request and max_retries: 5


def _unauthorized():
    return problem_response(401, "Unauthorized", "The access token is invalid.")


@freeze_time(_NOW)
class TestReadWording(TestCase):
    """Errors met during `read` carry the same words as `check`."""

    @HttpMocker()
    def test_a_credential_revoked_during_the_read_is_named_as_the_client_id_and_secret(self, http_mocker: HttpMocker) -> None:
        # Given: the first token works, the data call then says the token is gone, and the new login is refused
        http_mocker.post(token_request(), [token_response(), token_error_response("invalid_client", 400)])
        http_mocker.get(_PERSONS, _unauthorized())

        # When
        output = read_stream("persons", ConfigBuilder().build(), expect_failure=True)

        # Then
        messages = [trace.trace.error.message for trace in config_error_traces(output)]
        assert any("did not accept the Client ID and Client Secret" in message for message in messages), messages
        assert not any("Refresh token" in message for message in messages), messages

    @HttpMocker()
    def test_a_token_refused_right_after_it_was_issued_names_the_missing_scope(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), [token_response(), token_response()])
        http_mocker.get(_PERSONS, [_unauthorized(), _unauthorized()])

        # When
        output = read_stream("persons", ConfigBuilder().build(), expect_failure=True)

        # Then
        stream_errors = [e.trace.error for e in output.errors if e.trace.error.stream_descriptor]
        assert stream_errors[0].failure_type == FailureType.config_error
        assert "lacks the scope 'personio:persons:read'" in stream_errors[0].message
        assert "Refreshed OAuth access token" not in stream_errors[0].message

    @HttpMocker()
    def test_a_retried_answer_that_is_not_the_list_is_logged_as_what_it_is(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            [raw_response("<html>proxy</html>"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build()],
        )

        # When
        output = read_stream("absence_periods", ConfigBuilder().build())

        # Then
        logs = [log.log.message for log in output.logs]
        assert record_ids(output) == ["a-1"]
        assert any("HTTP 200 with a body that is not its JSON list" in line for line in logs), logs
        assert not any("Rate limit exceeded (HTTP 200)" in line for line in logs)


@freeze_time(_NOW)
class TestOutage(TestCase):
    """A request that exhausts its retries on server errors, resets or timeouts stops the whole read at once, after
    the state of every finished window; the remaining windows are not tried."""

    def _read(self, config):
        catalog = CatalogBuilder().with_stream("absence_periods", SyncMode.incremental).build()
        source = SourcePersonio(config=config, catalog=catalog)
        messages = []
        with pytest.raises(PersonioUnavailable) as stop:
            for message in source.read(logging.getLogger("airbyte"), config, catalog, None):
                messages.append(message)
        return messages, str(stop.value)

    @HttpMocker()
    def test_a_persistent_server_error_stops_the_read_and_keeps_the_finished_window(self, http_mocker: HttpMocker) -> None:
        # Given: 30-day windows from 2024-01-01; the first works, the second keeps answering 503
        config = ConfigBuilder().with_window_size_days(30).with_num_workers(1).build()  # windows in order
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-01-20T00:00:00Z")).build(),
        )
        second = absence_periods_window(gte="2024-01-31T00:00:00")  # the last window, ending now: open-ended
        http_mocker.get(second, [problem_response(503, "Service Unavailable", "down")] * _ATTEMPTS)

        # When
        messages, stop = self._read(config)

        # Then
        records = [m.record.data["id"] for m in messages if m.type == Type.RECORD]
        states = [plain(m.state.stream.stream_state) for m in messages if m.type == Type.STATE]
        assert records == ["a-1"]
        # the first window, finished, is saved (from one second before the start date to its newest record)
        assert {"state_type": "date-range", "slices": [{"start": "2023-12-31T23:59:59Z", "end": "2024-01-20T00:00:00Z",
                                                        "most_recent_cursor_value": "2024-01-20T00:00:00Z"}]} in states
        assert "Personio is unavailable" in stop and "server errors (HTTP 5xx)" in stop
        assert "next sync resumes" in stop
        http_mocker.assert_number_of_calls(second, _ATTEMPTS)

