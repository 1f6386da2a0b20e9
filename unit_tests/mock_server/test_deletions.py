from unittest import TestCase

from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import (
    connection_status,
    run_check,
    failed_streams,
    read_stream,
    read_streams,
    record_data,
    records_of,
    states_of,
    stream_errors,
)
from .request_builder import API_URL, ListRequestBuilder, recruiting_since, token_request, webhook_events_since
from .response_builder import (
    PageBuilder,
    problem_response,
    recruiting_candidate,
    token_response,
    webhook,
    webhook_event,
)

_STREAM = "deletions"
_NOW = "2024-03-01T00:00:00Z"
# Personio keeps events 30 days; the connector asks at most 30 days less an hour back.
_OLDEST_ASKED = "2024-01-31T01:00:00Z"


def _webhooks(*records) -> PageBuilder:
    return PageBuilder.for_stream("webhooks").with_records(records)


def _events(*records) -> PageBuilder:
    return PageBuilder.for_stream(_STREAM).with_records(records)


def _saved_state(occurred_at: str, webhook_id: str = "wh-1", lookback_window: int = 0) -> dict:
    """The state of one webhook's cursor, as the stream writes it (`lookback_window`: the last sync's seconds)."""
    return {
        "use_global_cursor": False,
        "states": [{"partition": {"parent_id": webhook_id, "parent_slice": {}}, "cursor": {"occurred_at": occurred_at}}],
        "state": {"occurred_at": occurred_at},
        "lookback_window": lookback_window,
    }


def _webhook_cursor(output, webhook_id: str) -> dict:
    """The last state's cursor of one webhook."""
    (found,) = [item["cursor"] for item in states_of(output, _STREAM)[-1]["states"] if item["partition"]["parent_id"] == webhook_id]
    return found


def _rows(output) -> list:
    return [(row["stream"], row["id"], row["occurred_at"], row["event_name"]) for row in record_data(output)]


@freeze_time(_NOW)
class TestDeletionsStream(TestCase):
    """GET /v2/webhooks/{id}/events, as the manifest declares the `deletions` stream:

    - parents (`deletion_webhooks`): `GET /v2/webhooks` without `limit`; the webhook `webhook_id` names, else every
      webhook with one of the four deletion events in `enabled_events`; one events request per webhook;
    - `limit=200` and the inclusive `occurred_at.gte` only, at whole seconds: the window start (start date, or the
      saved state) but never further back than 30 days less an hour; no lookback;
    - rows: only `person.deleted`, `employment.deleted`, `absence-period.deleted`, `attendance-period.deleted`,
      each with `stream`, the deleted record's `id` (from `payload.id` or under the entity's name, as an object's id
      or the id itself), `occurred_at` in UTC, `event_name`, `webhook_id`, and the event as sent in `raw_event`;
    - an event after the saved state only (an event at the state was read by the sync that saved it);
    - one cursor per webhook (not `global_substream_cursor`, which would start a sync earlier by the last one's
      duration): the latest `occurred_at` read, to the microsecond;
    - a deletion event without any id fails the stream naming the event (`deletion_without_id`);
    - 403 fails the stream as a config error naming `personio:webhooks:read`;
    - a saved state older than 30 days less an hour fails the stream alone before any request
      (`deletions_retention.py`), while the other streams are read.
    """

    @HttpMocker()
    def test_finds_the_webhook_with_deletion_events_and_reads_each_shape_of_event(self, http_mocker: HttpMocker) -> None:
        # Given two webhooks, only the second subscribed to a deletion event, and its log holding every shape
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            ListRequestBuilder.webhooks().build(),
            _webhooks(webhook("wh-created", "person.created"), webhook("wh-deleted", "person.created", "Absence-Period.deleted")).build(),
        )
        events = webhook_events_since("wh-deleted", gte=_OLDEST_ASKED)
        http_mocker.get(
            events,
            _events(
                webhook_event("person.deleted", "2024-02-10T10:00:00Z", {"id": "1001"}),
                webhook_event("person.created", "2024-02-10T11:00:00Z", {"id": "1002"}),
                webhook_event("absence-period.deleted", "2024-02-11T12:00:00+01:00", {"absence_period": {"id": "ab-1"}}),
                webhook_event("attendance-period.deleted", "2024-02-12T09:00:00.5Z", {"attendance-period": "at-1"}),
                webhook_event("employment.deleted", "2024-02-13T09:00:00Z", {"employment": {"id": 77}, "person": {"id": "1001"}}),
            ).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert _rows(output) == [
            ("persons", "1001", "2024-02-10T10:00:00Z", "person.deleted"),
            ("absence_periods", "ab-1", "2024-02-11T11:00:00Z", "absence-period.deleted"),
            ("attendance_periods", "at-1", "2024-02-12T09:00:00.500000Z", "attendance-period.deleted"),
            ("employments", 77, "2024-02-13T09:00:00Z", "employment.deleted"),
        ]
        first = record_data(output)[0]
        assert first["webhook_id"] == "wh-deleted"
        assert first["raw_event"] == webhook_event("person.deleted", "2024-02-10T10:00:00Z", {"id": "1001"}).build()
        assert "payload" not in first and "company_id" not in first
        http_mocker.assert_number_of_calls(events, 1)
        assert _webhook_cursor(output, "wh-deleted") == {"occurred_at": "2024-02-13T09:00:00.000000Z"}

    @HttpMocker()
    def test_reads_only_the_webhook_the_config_names(self, http_mocker: HttpMocker) -> None:
        # Given two webhooks with deletion events and webhook_id naming the second
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1"), webhook("wh-2", "person.created")).build())
        http_mocker.get(
            webhook_events_since("wh-2", gte=_OLDEST_ASKED),
            _events(webhook_event("person.deleted", "2024-02-10T10:00:00Z", {"id": "1001"})).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_field("webhook_id", "wh-2").build())

        # Then (an unmocked request to wh-1 would have failed the read)
        assert [(row["webhook_id"], row["id"]) for row in record_data(output)] == [("wh-2", "1001")]

    @HttpMocker()
    def test_an_incremental_sync_keeps_only_events_after_the_state_and_follows_next_links(self, http_mocker: HttpMocker) -> None:
        # Given a state with a fraction of a second, and events on and around it over two pages
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1")).build())
        http_mocker.get(
            webhook_events_since("wh-1", gte="2024-02-20T10:00:00Z"),
            _events(
                webhook_event("person.deleted", "2024-02-20T10:00:00.100000Z", {"id": "before"}),
                webhook_event("person.deleted", "2024-02-20T10:00:00.250000Z", {"id": "on-the-state"}),
            )
            .with_next_link(f"{API_URL}/v2/webhooks/wh-1/events?cursor=c2")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.webhook_events("wh-1").with_cursor("c2").build(),
            _events(
                webhook_event("person.deleted", "2024-02-20T10:00:00.250001Z", {"id": "just-after"}),
                webhook_event("employment.deleted", "2024-02-21T00:00:00Z", {"id": "e-9"}),
            ).build(),
        )
        # (the last sync took 120 s: a stream-wide cursor would start that much earlier, a webhook's does not)
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-02-20T10:00:00.250000Z", lookback_window=120)).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert [row["id"] for row in record_data(output)] == ["just-after", "e-9"]
        assert _webhook_cursor(output, "wh-1") == {"occurred_at": "2024-02-21T00:00:00.000000Z"}

    @HttpMocker()
    def test_an_event_at_the_start_date_is_read_on_a_first_sync(self, http_mocker: HttpMocker) -> None:
        # Given a start date within Personio's 30 days and an event exactly on it (the window starts a microsecond
        # before the start date, and the request at the whole second below)
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1")).build())
        http_mocker.get(
            webhook_events_since("wh-1", gte="2024-02-14T23:59:59Z"),
            _events(webhook_event("person.deleted", "2024-02-15T00:00:00Z", {"id": "1001"})).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_start_date("2024-02-15T00:00:00Z").build())

        # Then
        assert [row["id"] for row in record_data(output)] == ["1001"]

    @HttpMocker()
    def test_a_deletion_event_without_an_id_fails_the_stream_naming_the_event(self, http_mocker: HttpMocker) -> None:
        # Given an absence deletion whose payload holds no id anywhere
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1")).build())
        http_mocker.get(
            webhook_events_since("wh-1", gte=_OLDEST_ASKED),
            _events(
                webhook_event("person.deleted", "2024-02-10T10:00:00Z", {"id": "1001"}),
                webhook_event("absence-period.deleted", "2024-02-11T10:00:00Z", {"absence_period": {"status": "gone"}}),
            ).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), expect_failure=True)

        # Then nothing of the page is emitted, and the error names the event
        assert record_data(output) == []
        errors = stream_errors(output)[_STREAM]
        assert "absence-period.deleted at 2024-02-11T10:00:00Z" in errors[0].message
        assert "without the deleted record's id" in errors[0].message

    @HttpMocker()
    def test_a_credential_without_the_webhooks_scope_fails_only_deletions(self, http_mocker: HttpMocker) -> None:
        # Given a 403 on the webhook list, and recruiting candidates readable
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), problem_response(403, "Forbidden", "Insufficient access scope."))
        http_mocker.get(
            recruiting_since("recruiting_candidates", gt="2023-12-31T23:59:59Z"),
            PageBuilder.for_stream("recruiting_candidates").with_record(recruiting_candidate(1, "2024-02-01T00:00:00Z")).build(),
        )

        # When
        output = read_streams([_STREAM, "recruiting_candidates"], ConfigBuilder().build(), expect_failure=True)

        # Then
        assert [row["id"] for row in records_of(output, "recruiting_candidates")] == [1]
        errors = stream_errors(output)
        assert set(errors) == {_STREAM}
        assert errors[_STREAM][0].failure_type == FailureType.config_error
        assert "personio:webhooks:read" in errors[_STREAM][0].message
        assert failed_streams(output) == [_STREAM]

    @HttpMocker()
    def test_no_webhook_with_deletion_events_reads_nothing_and_succeeds(self, http_mocker: HttpMocker) -> None:
        # Given one webhook, without deletion events
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1", "person.updated")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_data(output) == []
        assert stream_errors(output) == {}


@freeze_time(_NOW)
class TestDeletionsRetention(TestCase):
    """Personio keeps webhook events 30 days: a saved state older than that (less the hour the manifest keeps)
    fails `deletions` alone, before any request, saying since when deletions may be missed and what repairs it;
    every other stream of the read is read and saves state."""

    @HttpMocker()
    def test_a_state_older_than_personio_keeps_events_fails_deletions_alone(self, http_mocker: HttpMocker) -> None:
        # Given a deletions state from 2024-01-20 (40 days back) and candidates readable; no webhook request mocked
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            recruiting_since("recruiting_candidates", gt="2023-12-31T23:59:59Z"),
            PageBuilder.for_stream("recruiting_candidates").with_record(recruiting_candidate(1, "2024-02-01T00:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-01-20T08:00:00.000000Z")).build()

        # When
        output = read_streams([_STREAM, "recruiting_candidates"], ConfigBuilder().build(), state=state, expect_failure=True)

        # Then
        assert [row["id"] for row in records_of(output, "recruiting_candidates")] == [1]
        assert states_of(output, "recruiting_candidates")
        assert records_of(output, _STREAM) == [] and states_of(output, _STREAM) == []
        errors = stream_errors(output)
        assert set(errors) == {_STREAM}
        message = errors[_STREAM][0].message
        assert "deletions since 2024-01-20 may be missed" in message
        assert "full refresh" in message and "persons, employments, absence_periods and attendance_periods" in message
        assert errors[_STREAM][0].failure_type == FailureType.config_error
        assert failed_streams(output) == [_STREAM]

    @HttpMocker()
    def test_a_state_just_inside_the_window_is_read_from_the_state(self, http_mocker: HttpMocker) -> None:
        # Given a state 30 days less two hours back
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1")).build())
        events = webhook_events_since("wh-1", gte="2024-01-31T02:00:00Z")
        http_mocker.get(events, _events(webhook_event("person.deleted", "2024-02-01T00:00:00Z", {"id": "1001"})).build())
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-01-31T02:00:00.000000Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert [row["id"] for row in record_data(output)] == ["1001"]
        http_mocker.assert_number_of_calls(events, 1)

    @HttpMocker()
    def test_a_full_refresh_ignores_an_old_state(self, http_mocker: HttpMocker) -> None:
        # Given an old state, and the stream read in full refresh mode
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-1")).build())
        http_mocker.get(
            webhook_events_since("wh-1", gte=_OLDEST_ASKED),
            _events(webhook_event("person.deleted", "2024-02-10T10:00:00Z", {"id": "1001"})).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2023-06-01T00:00:00.000000Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh, state=state)

        # Then
        assert [row["id"] for row in record_data(output)] == ["1001"]


def _check_logs(output) -> list:
    return [message.log.message for message in output.logs if "eletion" in message.log.message]


@freeze_time(_NOW)
class TestDeletionsCheck(TestCase):
    """`check` lists the webhooks once more (the deletions stream's own parent) and says which webhooks it reads, or
    that deletions are off and how to turn them on; only a `webhook_id` Personio does not list fails it."""

    def _given_required_streams(self, http_mocker: HttpMocker) -> None:
        from .test_check import TestCheck

        TestCheck()._given_streams(http_mocker)

    @HttpMocker()
    def test_check_names_the_webhook_it_found(self, http_mocker: HttpMocker) -> None:
        self._given_required_streams(http_mocker)
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-7")).build())

        output = run_check(ConfigBuilder().build())

        assert connection_status(output).status == Status.SUCCEEDED
        assert "Deletions: read from the event log of webhook wh-7 (found by its deletion events)." in _check_logs(output)

    @HttpMocker()
    def test_check_says_deletions_are_off_and_how_to_turn_them_on(self, http_mocker: HttpMocker) -> None:
        self._given_required_streams(http_mocker)
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-7", "person.updated")).build())

        output = run_check(ConfigBuilder().build())

        assert connection_status(output).status == Status.SUCCEEDED
        (line,) = [line for line in _check_logs(output) if line.startswith("Deletions are off")]
        assert "create a webhook in Personio" in line and "personio:webhooks:read" in line and "webhook_id" in line

    @HttpMocker()
    def test_check_says_deletions_are_off_when_the_scope_is_missing(self, http_mocker: HttpMocker) -> None:
        self._given_required_streams(http_mocker)
        http_mocker.get(ListRequestBuilder.webhooks().build(), problem_response(403, "Forbidden", "Insufficient access scope."))

        output = run_check(ConfigBuilder().build())

        assert connection_status(output).status == Status.SUCCEEDED
        (line,) = [line for line in _check_logs(output) if line.startswith("Deletions are off")]
        assert "personio:webhooks:read" in line

    @HttpMocker()
    def test_check_fails_on_a_webhook_id_personio_does_not_list(self, http_mocker: HttpMocker) -> None:
        self._given_required_streams(http_mocker)
        http_mocker.get(ListRequestBuilder.webhooks().build(), _webhooks(webhook("wh-7")).build())

        output = run_check(ConfigBuilder().with_field("webhook_id", "wh-typo").build())

        status = connection_status(output)
        assert status.status == Status.FAILED
        assert "webhook_id" in status.message and "'wh-typo'" in status.message
