from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, state_values
from .request_builder import API_URL, ListRequestBuilder, compensations_month, token_request
from .response_builder import PageBuilder, compensation, token_response

_STREAM = "compensations"
_NOW = "2024-03-15T12:00:00Z"

_JANUARY = compensations_month("2024-01-01", "2024-01-31")
_FEBRUARY = compensations_month("2024-02-01", "2024-02-29")
_MARCH_SO_FAR = compensations_month("2024-03-01", "2024-03-15")


def _page() -> PageBuilder:
    return PageBuilder.for_stream(_STREAM)


def _id_and_month(output) -> list:
    return sorted((record["id"], record["month"]) for record in record_data(output))


@freeze_time(_NOW)
class TestCompensationsStream(TestCase):
    """GET /v2/compensations, as the manifest declares it:

    - one request per calendar month (`step: P1M`, `cursor_granularity: P1D`) from the month of `start_date` to
      the current month: `start_date=YYYY-MM-01` and `end_date=` the month's last day, or today in the current
      month (Personio answers 400 to a range longer than a month); page size `limit=100`; next links followed
      without the dates;
    - each record gets `month` (`YYYY-MM`, the month it was read for); primary key (`id`, `month`), so a recurring
      payment with the same id in every month is one row per month;
    - state `{"month": "YYYY-MM-01"}`; the next sync starts one month before it (`lookback_window: P1M`,
      last month's pay is often corrected) and never before `start_date`'s month.
    """

    @HttpMocker()
    def test_one_request_per_calendar_month_up_to_today(self, http_mocker: HttpMocker) -> None:
        # Given a start date in the middle of January; a recurring payment with the same id in every month
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, _page().with_record(compensation("c-1")).build())
        http_mocker.get(_FEBRUARY, _page().with_record(compensation("c-1")).with_record(compensation("c-2")).build())
        http_mocker.get(_MARCH_SO_FAR, _page().with_record(compensation("c-1")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_start_date("2024-01-15T08:00:00Z").build(), SyncMode.full_refresh)

        # Then
        assert _id_and_month(output) == [("c-1", "2024-01"), ("c-1", "2024-02"), ("c-1", "2024-03"), ("c-2", "2024-02")]
        for month in (_JANUARY, _FEBRUARY, _MARCH_SO_FAR):
            http_mocker.assert_number_of_calls(month, 1)

    @freeze_time("2025-01-10T23:00:00Z")
    @HttpMocker()
    def test_months_end_on_their_last_day_across_a_new_year(self, http_mocker: HttpMocker) -> None:
        # Given a start on the last day of November and today the tenth of January
        http_mocker.post(token_request(), token_response())
        http_mocker.get(compensations_month("2024-11-01", "2024-11-30"), _page().with_record(compensation("c-11")).build())
        http_mocker.get(compensations_month("2024-12-01", "2024-12-31"), _page().with_record(compensation("c-12")).build())
        http_mocker.get(compensations_month("2025-01-01", "2025-01-10"), _page().with_record(compensation("c-01")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_start_date("2024-11-30").build())

        # Then
        assert _id_and_month(output) == [("c-01", "2025-01"), ("c-11", "2024-11"), ("c-12", "2024-12")]

    @HttpMocker()
    def test_follows_next_link_without_repeating_the_dates(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, _page().with_record(compensation("c-1")).with_next_link(f"{API_URL}/v2/compensations?cursor=jan-2").build())
        http_mocker.get(ListRequestBuilder.compensations().with_cursor("jan-2").build(), _page().with_record(compensation("c-2")).build())
        http_mocker.get(_FEBRUARY, _page().build())
        http_mocker.get(_MARCH_SO_FAR, _page().build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert _id_and_month(output) == [("c-1", "2024-01"), ("c-2", "2024-01")]

    @HttpMocker()
    def test_state_is_the_latest_month_read(self, http_mocker: HttpMocker) -> None:
        # Given one worker, so the months complete in order
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, _page().with_record(compensation("c-1")).build())
        http_mocker.get(_FEBRUARY, _page().with_record(compensation("c-1")).build())
        http_mocker.get(_MARCH_SO_FAR, _page().with_record(compensation("c-1")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_num_workers(1).build())

        # Then
        states = state_values(output, "month")
        assert states[0] == "2024-01-01"
        assert states[-1] == "2024-03-01"
        assert states == sorted(states)

    @HttpMocker()
    def test_incremental_sync_rereads_from_the_month_before_the_saved_month(self, http_mocker: HttpMocker) -> None:
        # Given state March: February is read again, January is not (HttpMocker rejects any unmocked request)
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_FEBRUARY, _page().with_record(compensation("c-corrected")).build())
        http_mocker.get(_MARCH_SO_FAR, _page().with_record(compensation("c-1")).build())
        state = StateBuilder().with_stream_state(_STREAM, {"month": "2024-03-01"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert not output.errors
        assert _id_and_month(output) == [("c-1", "2024-03"), ("c-corrected", "2024-02")]
        http_mocker.assert_number_of_calls(_FEBRUARY, 1)
        assert state_values(output, "month")[-1] == "2024-03-01"

    @HttpMocker()
    def test_incremental_sync_never_reads_before_start_date(self, http_mocker: HttpMocker) -> None:
        # Given state January, the month of the start date: December 2023 is not asked
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, _page().build())
        http_mocker.get(_FEBRUARY, _page().build())
        http_mocker.get(_MARCH_SO_FAR, _page().with_record(compensation("c-1")).build())
        state = StateBuilder().with_stream_state(_STREAM, {"month": "2024-01-01"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert not output.errors
        assert _id_and_month(output) == [("c-1", "2024-03")]
        assert state_values(output, "month")[-1] == "2024-03-01"
