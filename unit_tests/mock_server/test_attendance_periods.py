from unittest import TestCase

import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import assert_utc_instant, query_params, read_stream, record_data, record_ids, state_values
from .request_builder import API_URL, ListRequestBuilder, attendance_periods_window, token_request
from .response_builder import PageBuilder, attendance_period, filtering_endpoint, token_response

_STREAM = "attendance_periods"
_NOW = "2024-03-01T00:00:00Z"


@freeze_time(_NOW)
class TestAttendancePeriodsStream(TestCase):
    """GET /v2/attendance-periods, as the manifest declares it:

    - page size `limit=100`; records are read from `_data`; next links are followed whether absolute or relative
      (this endpoint has sent `/v2/attendance-periods?cursor=…`), the opaque cursor passed verbatim and the
      window filters not repeated;
    - windows of `window_size_days` from `start_date` up to now, contiguous to the second;
    - inclusive filters whose values carry NO offset (a `Z` value is rejected by this endpoint):
      `updated_at.gte = window_start`, `updated_at.lte = window_end + 1s`, and no `updated_at.lte` at all on a
      window ending within the last 15 hours (`window_end > now - 15h`: always the last window);
    - `updated_at` re-emitted in UTC; state after each window; the next sync starts `lookback_window_hours`
      before the state.
    """

    @HttpMocker()
    def test_full_refresh_reads_records_of_one_window(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.attendance_periods()
            .with_record(attendance_period("t-1"))
            .with_record(attendance_period("t-2").with_field("end", None).with_field("project", None))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert record_ids(output) == ["t-1", "t-2"]
        assert record_data(output)[1].get("end") is None  # the CDK serialiser drops top-level nulls

    @HttpMocker()
    def test_follows_a_relative_next_link_with_its_cursor_verbatim(self, http_mocker: HttpMocker) -> None:
        # Given a relative next link whose cursor holds an encoded '+' and '='
        token = token_request()
        http_mocker.post(token, token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.attendance_periods()
            .with_record(attendance_period("t-1"))
            .with_next_link("/v2/attendance-periods?cursor=a%2Bb%3D")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.attendance_periods().with_cursor("a+b=").build(),
            PageBuilder.attendance_periods().with_record(attendance_period("t-2")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["t-1", "t-2"]
        http_mocker.assert_number_of_calls(token, 1)

    @HttpMocker()
    def test_updated_at_is_emitted_in_utc(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.attendance_periods()
            .with_record(attendance_period("t-1", "2024-01-15T12:00:00+02:00"))
            .with_record(attendance_period("t-2", "2024-01-15T07:30:00.123456-05:00"))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        emitted = [record["updated_at"] for record in record_data(output)]
        assert emitted[0] == "2024-01-15T10:00:00Z"
        assert_utc_instant(emitted[1], "2024-01-15T12:30:00.123456Z")
        assert state_values(output)[-1] == "2024-01-15T12:30:00Z"

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_windows_are_window_size_days_long_and_contiguous(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            attendance_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-2", "2024-02-10T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then
        assert sorted(record_ids(output)) == ["t-1", "t-2"]

    @freeze_time("2024-02-15T12:00:00Z")
    def test_records_on_and_between_window_boundaries_are_read_under_inclusive_operators(self) -> None:
        # Given a fake Personio applying inclusive operators to offset-less values (read as UTC)
        records = [
            attendance_period("end-of-first", "2024-01-30T23:59:59Z"),
            attendance_period("between", "2024-01-30T23:59:59.500000Z"),
            attendance_period("start-of-second", "2024-01-31T00:00:00Z"),
            attendance_period("offset-between", "2024-01-31T00:59:59.750+01:00"),
        ]
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": "papi-test-access-token", "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/attendance-periods", json=filtering_endpoint(_STREAM, records))

            # When
            output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then
        assert set(record_ids(output)) == {"end-of-first", "between", "start-of-second", "offset-between"}
        windows = [query_params(request) for request in mocker.request_history if request.method == "GET"]
        assert sorted(windows, key=lambda w: w["updated_at.gte"]) == [
            {"updated_at.gte": ["2024-01-01T00:00:00"], "updated_at.lte": ["2024-01-31T00:00:00"], "limit": ["100"]},
            {"updated_at.gte": ["2024-01-31T00:00:00"], "limit": ["100"]},  # ends now: open-ended
        ]

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_state_is_emitted_per_window_and_never_moves_backwards(self, http_mocker: HttpMocker) -> None:
        # Given one worker and three windows, the middle one empty
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-21T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-1", "2024-01-10T08:00:00Z")).build(),
        )
        http_mocker.get(attendance_periods_window(gte="2024-01-21T00:00:00", lte="2024-02-10T00:00:00"), PageBuilder.attendance_periods().build())
        http_mocker.get(
            attendance_periods_window(gte="2024-02-10T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-3", "2024-02-12T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(20).with_num_workers(1).build())

        # Then
        states = state_values(output)
        assert states[0] == "2024-01-10T08:00:00Z"
        assert states[-1] == "2024-02-12T08:00:00Z"
        assert states == sorted(states)
        assert all(value.endswith("Z") for value in states)

    @HttpMocker()
    def test_resuming_from_state_starts_the_first_window_lookback_hours_before_it(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T06:30:00Z and a 48 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-02-08T06:30:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-9", "2024-02-20T00:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T06:30:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_lookback_window_hours(48).build(), state=state)

        # Then
        assert record_ids(output) == ["t-9"]
        assert state_values(output)[-1] == "2024-02-20T00:00:00Z"

    @freeze_time("2024-01-31T15:00:00Z")
    @HttpMocker()
    def test_a_window_ending_more_than_15_hours_ago_is_bounded_and_the_last_one_is_open_ended(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] (ending 15 h and 1 s before now) and [01-31 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            attendance_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-2", "2024-01-31T10:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then the first window carries `updated_at.lte = end + 1s`, the last one no `updated_at.lte`
        assert sorted(record_ids(output)) == ["t-1", "t-2"]

    @freeze_time("2024-01-31T14:59:58Z")
    @HttpMocker()
    def test_only_the_short_last_window_is_open_ended_a_full_window_ending_within_15_hours_keeps_its_bound(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] (a full 30 days, ending 14 h 59 min 59 s before now) and a
        # short [01-31 00:00:00, now]: both end within the last 15 hours
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            attendance_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            attendance_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.attendance_periods().with_record(attendance_period("t-2", "2024-01-31T10:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then the full window keeps `updated_at.lte` (read in company time, it and the next window shift alike and
        # leave no gap; without it, it would read the next window's records again) and only the last is open-ended
        assert sorted(record_ids(output)) == ["t-1", "t-2"]
