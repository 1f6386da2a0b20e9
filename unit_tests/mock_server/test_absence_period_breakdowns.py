from unittest import TestCase

import jsonschema
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, run_discover, states_of
from .request_builder import API_URL, ListRequestBuilder, absence_periods_window, breakdowns_of, token_request
from .response_builder import PageBuilder, absence_period, breakdown, problem_response, token_response

_STREAM = "absence_period_breakdowns"
_NOW = "2024-03-01T00:00:00Z"


def _breakdowns_page() -> PageBuilder:
    return PageBuilder.for_stream(_STREAM)


def _rows(output) -> list:
    """(absence_period_id, date) of every row, sorted: the stream's primary key."""
    return sorted((row["absence_period_id"], row["date"]) for row in record_data(output))


def _saved_state(updated_at: str) -> dict:
    return {
        "use_global_cursor": True,
        "state": {"absence_period_updated_at": updated_at},
        "lookback_window": 0,
        "parent_state": {"absence_periods": {"updated_at": updated_at}},
    }


@freeze_time(_NOW)
class TestAbsencePeriodBreakdownsStream(TestCase):
    """GET /v2/absence-periods/{absence_period_id}/breakdowns, as the manifest declares it:

    - parents: the `absence_periods` stream itself (same windows and filters: `updated_at.gte`, open-ended when
      the window ends within 15 hours), one breakdowns request per absence id;
    - page size `limit=28`, no filter; the next link is followed;
    - each row gets `absence_period_id` (the request's parent id) and `absence_period_updated_at` (the parent's
      `updated_at`, in UTC after the parent's `updated_at_in_utc`) through `extra_fields`;
    - primary key (`absence_period_id`, `date`); `rows_without_id: true` turns the no-id check off;
    - `incremental_dependency: true` + `global_substream_cursor: true`: one state
      `{"use_global_cursor": true, "state": {"absence_period_updated_at": …}, "parent_state": {"absence_periods":
      {"updated_at": …}}}`; the next sync reads absences changed since the parent state minus
      `lookback_window_hours` and asks breakdowns only for those;
    - a 404 for one absence (deleted since listed) is skipped.
    """

    @HttpMocker()
    def test_full_refresh_asks_each_absence_once_and_labels_its_rows(self, http_mocker: HttpMocker) -> None:
        # Given two absences, one with an offset in updated_at
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods()
            .with_record(absence_period("a-1", "2024-02-01T12:00:00+02:00"))
            .with_record(absence_period("a-2", "2024-01-20T00:00:00Z"))
            .build(),
        )
        first, second = breakdowns_of("a-1"), breakdowns_of("a-2")
        http_mocker.get(first, _breakdowns_page().with_record(breakdown("2024-06-03")).with_record(breakdown("2024-06-04", 0.5)).build())
        http_mocker.get(second, _breakdowns_page().with_record(breakdown("2024-06-10", 4, "HOUR")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert _rows(output) == [("a-1", "2024-06-03"), ("a-1", "2024-06-04"), ("a-2", "2024-06-10")]
        by_key = {(row["absence_period_id"], row["date"]): row for row in record_data(output)}
        assert by_key[("a-1", "2024-06-04")]["absence_period_updated_at"] == "2024-02-01T10:00:00Z"
        assert by_key[("a-1", "2024-06-04")]["effective_duration"] == {"unit": "DAY", "value": 0.5}
        assert by_key[("a-2", "2024-06-10")]["absence_period_updated_at"] == "2024-01-20T00:00:00Z"
        assert by_key[("a-2", "2024-06-10")]["effective_duration"] == {"unit": "HOUR", "value": 4}
        http_mocker.assert_number_of_calls(first, 1)
        http_mocker.assert_number_of_calls(second, 1)

    @HttpMocker()
    def test_rows_without_id_are_accepted_and_match_the_schema(self, http_mocker: HttpMocker) -> None:
        # Given Personio's rows, which carry neither an id nor the absence's id
        http_mocker.post(token_request(), token_response())
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build())
        http_mocker.get(breakdowns_of("a-1"), _breakdowns_page().with_record(breakdown("2024-06-03")).with_record(breakdown("2024-06-04")).build())
        schema = next(s for s in run_discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == _STREAM).json_schema

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert not output.errors
        assert _rows(output) == [("a-1", "2024-06-03"), ("a-1", "2024-06-04")]
        for row in record_data(output):
            assert "id" not in row
            jsonschema.validate(row, schema)

    @HttpMocker()
    def test_follows_next_link(self, http_mocker: HttpMocker) -> None:
        # Given an absence of more than 28 days, over two pages
        http_mocker.post(token_request(), token_response())
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00"), PageBuilder.absence_periods().with_record(absence_period("a-1")).build())
        http_mocker.get(
            breakdowns_of("a-1"),
            _breakdowns_page().with_record(breakdown("2024-06-03")).with_next_link(f"{API_URL}/v2/absence-periods/a-1/breakdowns?cursor=b2").build(),
        )
        http_mocker.get(
            ListRequestBuilder.absence_period_breakdowns("a-1").with_cursor("b2").build(),
            _breakdowns_page().with_record(breakdown("2024-07-01")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert _rows(output) == [("a-1", "2024-06-03"), ("a-1", "2024-07-01")]

    @HttpMocker()
    def test_state_is_one_global_cursor_with_the_absences_state_inside(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods()
            .with_record(absence_period("a-1", "2024-02-01T12:00:00+02:00"))
            .with_record(absence_period("a-2", "2024-01-20T00:00:00Z"))
            .build(),
        )
        http_mocker.get(breakdowns_of("a-1"), _breakdowns_page().with_record(breakdown("2024-06-03")).build())
        http_mocker.get(breakdowns_of("a-2"), _breakdowns_page().with_record(breakdown("2024-06-10")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        final = states_of(output, _STREAM)[-1]
        assert final["use_global_cursor"] is True
        assert final["state"] == {"absence_period_updated_at": "2024-02-01T10:00:00Z"}
        assert final["parent_state"] == {"absence_periods": {"updated_at": "2024-02-01T10:00:00Z"}}
        assert "states" not in final, "the state must not hold one cursor per absence"

    @HttpMocker()
    def test_incremental_sync_asks_breakdowns_only_of_absences_changed_since_the_state(self, http_mocker: HttpMocker) -> None:
        # Given a saved state 2024-02-10T00:00:00Z (parent state too) and the default 24 hour lookback: the
        # absences are read from 2024-02-09T00:00:00 on, open-ended, and only they are asked for breakdowns
        http_mocker.post(token_request(), token_response())
        absences = absence_periods_window(gte="2024-02-09T00:00:00")
        http_mocker.get(
            absences,
            PageBuilder.absence_periods()
            .with_record(absence_period("a-changed", "2024-02-20T00:00:00Z"))
            .with_record(absence_period("a-in-lookback", "2024-02-09T12:00:00Z"))
            .build(),
        )
        changed, in_lookback = breakdowns_of("a-changed"), breakdowns_of("a-in-lookback")
        http_mocker.get(changed, _breakdowns_page().with_record(breakdown("2024-06-03")).build())
        http_mocker.get(in_lookback, _breakdowns_page().with_record(breakdown("2024-05-01")).build())
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-02-10T00:00:00Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then no other absence (and no breakdowns of one) was asked for: HttpMocker rejects unmocked requests
        assert not output.errors
        assert _rows(output) == [("a-changed", "2024-06-03"), ("a-in-lookback", "2024-05-01")]
        http_mocker.assert_number_of_calls(absences, 1)
        http_mocker.assert_number_of_calls(changed, 1)
        http_mocker.assert_number_of_calls(in_lookback, 1)
        final = states_of(output, _STREAM)[-1]
        assert final["state"] == {"absence_period_updated_at": "2024-02-20T00:00:00Z"}
        assert final["parent_state"] == {"absence_periods": {"updated_at": "2024-02-20T00:00:00Z"}}

    @HttpMocker()
    def test_incremental_sync_with_no_changed_absence_asks_no_breakdowns_and_keeps_the_state(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(absence_periods_window(gte="2024-02-09T00:00:00"), PageBuilder.absence_periods().build())
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-02-10T00:00:00Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert record_data(output) == []
        assert not output.errors
        for saved in states_of(output, _STREAM):
            assert saved.get("state", {}).get("absence_period_updated_at", "2024-02-10T00:00:00Z") >= "2024-02-10T00:00:00Z"
            assert saved["parent_state"]["absence_periods"]["updated_at"] >= "2024-02-10T00:00:00Z"

    @HttpMocker()
    def test_an_absence_deleted_meanwhile_answers_404_and_is_skipped(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1")).with_record(absence_period("a-gone")).build(),
        )
        http_mocker.get(breakdowns_of("a-1"), _breakdowns_page().with_record(breakdown("2024-06-03")).build())
        http_mocker.get(breakdowns_of("a-gone"), problem_response(404, "Not Found", "Absence period not found."))

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert not output.errors
        assert _rows(output) == [("a-1", "2024-06-03")]
