from unittest import TestCase

import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import assert_utc_instant, finished_ranges, read_stream, record_data, record_ids, state_values
from .request_builder import API_URL, ListRequestBuilder, absence_periods_window, token_request
from .response_builder import PageBuilder, absence_period, filtering_endpoint, token_response

_STREAM = "absence_periods"
_NOW = "2024-03-01T00:00:00Z"


@freeze_time(_NOW)
class TestAbsencePeriodsStream(TestCase):
    """GET /v2/absence-periods, as the manifest declares it:

    - page size `limit=100`; records are read from `_data`; the next link is followed without the window filters;
    - windows of `window_size_days` (default 90) from `start_date` up to now, the next window starting one
      second after the previous one ends;
    - Personio's inclusive filters without offset: `updated_at.gte = window_start` and
      `updated_at.lte = window_end + 1s` (the extra second covers fractional timestamps between windows),
      formatted `%Y-%m-%dT%H:%M:%S`; a window ending within the last 15 hours (`window_end > now - 15h`, so always
      the last one) is open-ended, without `updated_at.lte`, because Personio may read the offset-less bound in
      the company's zone (up to UTC+14) and would end it hours early;
    - `updated_at` re-emitted in UTC, fractions kept;
    - state `{"updated_at": "…Z"}` after each window; the next sync starts `lookback_window_hours` before it.
    """

    @HttpMocker()
    def test_full_refresh_reads_records_of_one_window(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1")).with_record(absence_period("a-2")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert record_ids(output) == ["a-1", "a-2"]
        assert record_data(output)[0]["starts_from"] == {"date_time": "2024-06-03T00:00:00", "type": "FIRST_HALF"}

    @HttpMocker()
    def test_follows_absolute_next_link_without_repeating_the_window_filters(self, http_mocker: HttpMocker) -> None:
        # Given
        token = token_request()
        http_mocker.post(token, token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods()
            .with_record(absence_period("a-1"))
            .with_next_link(f"{API_URL}/v2/absence-periods?cursor=c2%2Fx%2By%3D")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.absence_periods().with_cursor("c2/x+y=").build(),
            PageBuilder.absence_periods().with_record(absence_period("a-2")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["a-1", "a-2"]
        http_mocker.assert_number_of_calls(token, 1)

    @HttpMocker()
    def test_updated_at_is_emitted_in_utc_with_fractions_kept(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods()
            .with_record(absence_period("a-1", "2024-01-15T12:00:00+02:00"))
            .with_record(absence_period("a-2", "2024-01-15T12:00:00+00:00"))
            .with_record(absence_period("a-3", "2024-01-15T12:00:00.5Z"))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        emitted = [record["updated_at"] for record in record_data(output)]
        assert emitted[:2] == ["2024-01-15T10:00:00Z", "2024-01-15T12:00:00Z"]
        assert_utc_instant(emitted[2], "2024-01-15T12:00:00.5Z")

    def test_state_advances_past_records_with_millisecond_and_nanosecond_fractions(self) -> None:
        # Given fractions of any precision, as Java's Instant writes them
        for updated_at, expected_state in (
            ("2024-02-01T00:00:00.123Z", "2024-02-01T00:00:00Z"),
            ("2024-02-02T00:00:00.123456789Z", "2024-02-02T00:00:00Z"),
        ):
            with self.subTest(updated_at), HttpMocker() as http_mocker:
                http_mocker.post(token_request(), token_response())
                http_mocker.get(
                    absence_periods_window(gte="2024-01-01T00:00:00"),
                    PageBuilder.absence_periods().with_record(absence_period("a-1", updated_at)).build(),
                )

                # When
                output = read_stream(_STREAM, ConfigBuilder().build())

                # Then
                assert_utc_instant(record_data(output)[0]["updated_at"], updated_at)
                assert state_values(output)[-1] == expected_state

    @freeze_time("2024-06-01T00:00:00Z")
    @HttpMocker()
    def test_windows_default_to_365_days(self, http_mocker: HttpMocker) -> None:
        # Given start 2023-01-01: windows [2023-01-01 00:00:00, 2023-12-31 23:59:59] and [2024-01-01 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2023-01-01T00:00:00", lte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2023-01-01T00:00:00Z")).build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-05-31T23:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_start_date("2023-01-01T00:00:00Z").build())

        # Then
        assert sorted(record_ids(output)) == ["a-1", "a-2"]

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_windows_are_window_size_days_long_and_contiguous(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now]; the persons window size does not apply
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-02-10T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).with_persons_window_size_days(1).build())

        # Then
        assert sorted(record_ids(output)) == ["a-1", "a-2"]

    @freeze_time("2024-02-15T12:00:00Z")
    def test_records_on_and_between_window_boundaries_are_read_under_inclusive_operators(self) -> None:
        # Given a fake Personio applying the inclusive `.gte` / `.lte` operators, records exactly on the edges of
        # the windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now], and one half a second after the
        # first window's last second
        records = [
            absence_period("start", "2024-01-01T00:00:00Z"),
            absence_period("end-of-first", "2024-01-30T23:59:59Z"),
            absence_period("between", "2024-01-30T23:59:59.500Z"),
            absence_period("start-of-second", "2024-01-31T00:00:00Z"),
            absence_period("now", "2024-02-15T12:00:00Z"),
        ]
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": "papi-test-access-token", "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/absence-periods", json=filtering_endpoint(_STREAM, records))

            # When
            output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then
        assert set(record_ids(output)) == {"start", "end-of-first", "between", "start-of-second", "now"}

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_state_is_emitted_per_window_as_the_latest_updated_at_in_utc(self, http_mocker: HttpMocker) -> None:
        # Given one worker, so the windows complete in order
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods()
            .with_record(absence_period("a-1", "2024-01-20T10:00:00+02:00"))
            .with_record(absence_period("a-2", "2024-01-05T08:00:00Z"))
            .build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-3", "2024-02-10T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).with_num_workers(1).build())

        # Then
        states = state_values(output)
        assert states[0] == "2024-01-20T08:00:00Z"
        assert states[-1] == "2024-02-10T08:00:00Z"
        assert states == sorted(states)

    @freeze_time("2024-02-15T12:00:00Z")
    def test_state_never_passes_a_window_that_has_not_finished(self) -> None:
        # Given the first window fails for good while the second one returns a later record
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": "papi-test-access-token", "expires_in": 86400})
            mocker.get(
                f"{API_URL}/v2/absence-periods?updated_at.gte=2024-01-01T00:00:00",
                status_code=400,
                json={"errors": [{"title": "Bad Request", "detail": "Invalid request content."}]},
            )
            mocker.get(
                f"{API_URL}/v2/absence-periods?updated_at.gte=2024-01-31T00:00:00",
                json=PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-02-10T08:00:00Z")).build_body(),
            )

            # When
            output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build(), expect_failure=True)

        # Then no state claims the first window: the first range ends before it (the one value, None, has no record)
        assert all(value is None or value <= "2024-01-01T00:00:00Z" for value in state_values(output))
        assert finished_ranges(output, _STREAM)[0][1] < "2024-01-01T00:00:00Z"

    @HttpMocker()
    def test_incremental_sync_from_state_starts_lookback_hours_before_it(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and the default 24 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-02-09T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-9", "2024-02-20T00:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert record_ids(output) == ["a-9"]
        assert state_values(output)[-1] == "2024-02-20T00:00:00Z"

    @HttpMocker()
    def test_state_never_moves_back_when_only_records_inside_the_lookback_arrive(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-02-09T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-02-09T12:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert state_values(output) and all(value >= "2024-02-10T00:00:00Z" for value in state_values(output))

    @freeze_time("2024-01-31T15:00:00Z")
    @HttpMocker()
    def test_a_window_ending_more_than_15_hours_ago_is_bounded_and_the_last_one_is_open_ended(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] (ending 15 h and 1 s before now) and [01-31 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-01-31T10:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then the first window carries `updated_at.lte = end + 1s`, the last one no `updated_at.lte`
        assert sorted(record_ids(output)) == ["a-1", "a-2"]

    @freeze_time("2024-01-31T14:59:58Z")
    @HttpMocker()
    def test_only_the_short_last_window_is_open_ended_a_full_window_ending_within_15_hours_keeps_its_bound(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] (a full 30 days, ending 14 h 59 min 59 s before now) and a
        # short [01-31 00:00:00, now]: both end within the last 15 hours
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            absence_periods_window(gte="2024-01-31T00:00:00"),
            PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-01-31T10:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_window_size_days(30).build())

        # Then the full window keeps `updated_at.lte` (read in company time, it and the next window shift alike and
        # leave no gap; without it, it would read the next window's records again) and only the last is open-ended
        assert sorted(record_ids(output)) == ["a-1", "a-2"]
