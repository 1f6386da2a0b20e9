from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import failed_streams, finished_ranges, read_stream, record_ids, states_of
from .request_builder import absence_periods_window, breakdowns_of, compensations_month, persons_window, token_request
from .response_builder import PageBuilder, absence_period, breakdown, compensation, person, problem_response, token_response

_NOW = "2024-04-10T00:00:00Z"
# 30-day windows from 2024-01-01 to now: [01-01, 01-30 23:59:59], [01-31, 02-29 23:59:59], [03-01, 03-30 23:59:59],
# [03-31, now]. Each period request asks up to one second past its window's end; the last one is open-ended.
_JANUARY = absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00")
_FEBRUARY = absence_periods_window(gte="2024-01-31T00:00:00", lte="2024-03-01T00:00:00")
_MARCH = absence_periods_window(gte="2024-03-01T00:00:00", lte="2024-03-31T00:00:00")
_APRIL = absence_periods_window(gte="2024-03-31T00:00:00")


def _ranges(*pairs):
    return StateBuilder().with_stream_state("absence_periods", {
        "state_type": "date-range",
        "slices": [{"start": start, "end": end} for start, end in pairs],
    }).build()


@freeze_time(_NOW)
class TestWindowedStreamsSaveEveryFinishedWindow(TestCase):
    """The state the installed connector writes for a windowed stream (`source_personio/resume_state.py`):

    - the CDK's date-range form, `{"state_type": "date-range", "slices": [{"start", "end",
      "most_recent_cursor_value"}]}`, one range per run of finished windows, written after each window;
    - a window that did not finish leaves a gap, and the windows finished after it are saved all the same;
    - a sync given that state asks for the gaps and for what follows the last range (from its end minus the
      lookback), and for nothing a range holds;
    - the one-value state of 0.3.0 (`{"updated_at": …}`) is still read, and answered with the date-range form.
    """

    def _config(self):
        return ConfigBuilder().with_window_size_days(30).with_num_workers(1).build()

    @HttpMocker()
    def test_the_windows_finished_after_a_failed_one_are_saved(self, http_mocker: HttpMocker) -> None:
        # Given February's window fails (Personio refuses the request) and the others are read
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, PageBuilder.absence_periods().with_record(absence_period("jan", "2024-01-20T08:00:00Z")).build())
        http_mocker.get(_FEBRUARY, problem_response(400, "Bad Request", "Invalid request content."))
        http_mocker.get(_MARCH, PageBuilder.absence_periods().with_record(absence_period("mar", "2024-03-20T08:00:00Z")).build())
        http_mocker.get(_APRIL, PageBuilder.absence_periods().with_record(absence_period("apr", "2024-04-05T08:00:00Z")).build())

        # When
        output = read_stream("absence_periods", self._config(), expect_failure=True)

        # Then the ranges are January (from one second before the start date) and March on, with a gap between;
        # the last one ends at its newest record, where the next sync starts (minus the lookback), as from 0.3.0's
        assert failed_streams(output) == ["absence_periods"]
        assert sorted(record_ids(output)) == ["apr", "jan", "mar"]
        assert states_of(output, "absence_periods")[-1] == {
            "state_type": "date-range",
            "slices": [
                {"start": "2023-12-31T23:59:59Z", "end": "2024-01-30T23:59:59Z", "most_recent_cursor_value": "2024-01-20T08:00:00Z"},
                {"start": "2024-03-01T00:00:00Z", "end": "2024-04-05T08:00:00Z", "most_recent_cursor_value": "2024-04-05T08:00:00Z"},
            ],
        }

    @HttpMocker()
    def test_a_resumed_sync_asks_only_the_gap_and_what_follows_the_last_range(self, http_mocker: HttpMocker) -> None:
        # Given the state the sync above left, read a day later
        state = _ranges(("2023-12-31T23:59:59Z", "2024-01-30T23:59:59Z"), ("2024-03-01T00:00:00Z", "2024-04-09T00:00:00Z"))
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_FEBRUARY, PageBuilder.absence_periods().with_record(absence_period("feb", "2024-02-10T08:00:00Z")).build())
        after = absence_periods_window(gte="2024-04-08T00:00:00")  # the last range's end minus the 24 h lookback
        http_mocker.get(after, PageBuilder.absence_periods().with_record(absence_period("apr", "2024-04-09T08:00:00Z")).build())

        # When
        output = read_stream("absence_periods", self._config(), state=state)

        # Then January and March are not asked again (an unexpected request fails the read), and all is one range
        http_mocker.assert_number_of_calls(_FEBRUARY, 1)
        http_mocker.assert_number_of_calls(after, 1)
        assert sorted(record_ids(output)) == ["apr", "feb"]
        assert finished_ranges(output, "absence_periods") == [["2023-12-31T23:59:59Z", "2024-04-09T08:00:00Z"]]

    @HttpMocker()
    def test_a_first_window_left_unfinished_is_read_again_from_the_start_date(self, http_mocker: HttpMocker) -> None:
        # Given a kill before the first window finished, after the others did: the first range is the second
        # before the start date
        state = _ranges(("2023-12-31T23:59:59Z", "2023-12-31T23:59:59Z"), ("2024-01-31T00:00:00Z", "2024-04-10T00:00:00Z"))
        http_mocker.post(token_request(), token_response())
        http_mocker.get(_JANUARY, PageBuilder.absence_periods().with_record(absence_period("jan", "2024-01-01T00:00:00Z")).build())
        after = absence_periods_window(gte="2024-04-09T00:00:00")
        http_mocker.get(after, PageBuilder.absence_periods().build())

        # When
        output = read_stream("absence_periods", self._config(), state=state)

        # Then January is asked from the start date's first second on
        http_mocker.assert_number_of_calls(_JANUARY, 1)
        assert record_ids(output) == ["jan"]

    @HttpMocker()
    def test_the_state_of_0_3_0_is_read_and_answered_with_finished_windows(self, http_mocker: HttpMocker) -> None:
        # Given the one-value state 0.3.0 wrote
        state = StateBuilder().with_stream_state("absence_periods", {"updated_at": "2024-04-05T06:30:00Z"}).build()
        http_mocker.post(token_request(), token_response())
        window = absence_periods_window(gte="2024-04-04T06:30:00")  # the state minus the 24 h lookback
        http_mocker.get(window, PageBuilder.absence_periods().with_record(absence_period("a", "2024-04-06T08:00:00Z")).build())

        # When
        output = read_stream("absence_periods", self._config(), state=state)

        # Then one range from the start date to the newest record
        http_mocker.assert_number_of_calls(window, 1)
        assert states_of(output, "absence_periods")[-1] == {
            "state_type": "date-range",
            "slices": [{"start": "2024-01-01T00:00:00Z", "end": "2024-04-06T08:00:00Z", "most_recent_cursor_value": "2024-04-06T08:00:00Z"}],
        }

    @HttpMocker()
    def test_a_window_unfinished_inside_the_lookback_is_not_claimed(self, http_mocker: HttpMocker) -> None:
        # Given a 0.3.0 state and 24 h windows: the first window (the lookback) fails, the next one is read
        config = ConfigBuilder().with_window_size_days(1).with_num_workers(1).build()
        state = StateBuilder().with_stream_state("absence_periods", {"updated_at": "2024-04-08T12:00:00Z"}).build()
        http_mocker.post(token_request(), token_response())
        lookback = absence_periods_window(gte="2024-04-07T12:00:00", lte="2024-04-08T12:00:00")
        http_mocker.get(lookback, problem_response(400, "Bad Request", "Invalid request content."))
        # (the next full window keeps its bound; the short last one, ending now, is open-ended)
        http_mocker.get(absence_periods_window(gte="2024-04-08T12:00:00", lte="2024-04-09T12:00:00"),
                        PageBuilder.absence_periods().build())
        http_mocker.get(absence_periods_window(gte="2024-04-09T12:00:00"), PageBuilder.absence_periods().build())

        # When
        output = read_stream("absence_periods", config, state=state, expect_failure=True)

        # Then the saved ranges stop where the lookback begins, so the next sync reads it
        assert finished_ranges(output, "absence_periods") == [
            ["2024-01-01T00:00:00Z", "2024-04-07T11:59:59Z"],
            ["2024-04-08T12:00:00Z", "2024-04-10T00:00:00Z"],
        ]


@freeze_time(_NOW)
class TestPersonsResume(TestCase):
    """persons (strict `updated_at.gt` / `.lt`, each widened by a second): a resumed sync asks the gap only."""

    @HttpMocker()
    def test_a_resumed_sync_asks_only_the_gap(self, http_mocker: HttpMocker) -> None:
        # Given 30-day windows; January and March to now finished
        config = ConfigBuilder().with_persons_window_size_days(30).with_num_workers(1).build()
        state = StateBuilder().with_stream_state("persons", {
            "state_type": "date-range",
            "slices": [{"start": "2023-12-31T23:59:59Z", "end": "2024-01-30T23:59:59Z"},
                       {"start": "2024-03-01T00:00:00Z", "end": "2024-04-10T00:00:00Z"}],
        }).build()
        http_mocker.post(token_request(), token_response())
        gap = persons_window(gt="2024-01-30T23:59:59Z", lt="2024-03-01T00:00:00Z")
        http_mocker.get(gap, PageBuilder.persons().with_record(person("p-feb", "2024-02-10T08:00:00Z")).build())
        after = persons_window(gt="2024-04-08T23:59:59Z", lt="2024-04-10T00:00:01Z")
        http_mocker.get(after, PageBuilder.persons().build())

        # When
        output = read_stream("persons", config, state=state)

        # Then
        http_mocker.assert_number_of_calls(gap, 1)
        assert record_ids(output) == ["p-feb"]
        assert finished_ranges(output, "persons") == [["2023-12-31T23:59:59Z", "2024-02-10T08:00:00Z"]]


@freeze_time("2024-03-15T00:00:00Z")
class TestCompensationsResume(TestCase):
    """compensations (calendar months, a month of lookback): the saved ranges keep the next sync on month
    boundaries; after a complete sync it starts the month before the latest month read, as 0.3.0 did."""

    @HttpMocker()
    def test_a_complete_sync_saves_its_range_up_to_the_latest_month_read(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(compensations_month("2024-01-01", "2024-01-31"), PageBuilder.for_stream("compensations").with_record(compensation("c-1")).build())
        http_mocker.get(compensations_month("2024-02-01", "2024-02-29"), PageBuilder.for_stream("compensations").with_record(compensation("c-2")).build())
        http_mocker.get(compensations_month("2024-03-01", "2024-03-15"), PageBuilder.for_stream("compensations").build())

        output = read_stream("compensations", ConfigBuilder().build())

        # February is the latest month with compensations: the next sync starts in January
        assert finished_ranges(output, "compensations") == [["2023-12-31", "2024-02-01"]]

    @HttpMocker()
    def test_the_next_sync_reads_last_month_and_this_one(self, http_mocker: HttpMocker) -> None:
        state = StateBuilder().with_stream_state("compensations", {
            "state_type": "date-range", "slices": [{"start": "2023-12-31", "end": "2024-03-01"}]}).build()
        http_mocker.post(token_request(), token_response())
        february = compensations_month("2024-02-01", "2024-02-29")
        march = compensations_month("2024-03-01", "2024-03-15")
        http_mocker.get(february, PageBuilder.for_stream("compensations").build())
        http_mocker.get(march, PageBuilder.for_stream("compensations").build())

        read_stream("compensations", ConfigBuilder().build(), state=state)

        http_mocker.assert_number_of_calls(february, 1)
        http_mocker.assert_number_of_calls(march, 1)

    @HttpMocker()
    def test_months_finished_after_a_failed_one_are_saved_and_only_the_gap_and_the_last_month_are_read_again(self, http_mocker: HttpMocker) -> None:
        # Given January fails and February is read; March is read too
        config = ConfigBuilder().with_num_workers(1).build()
        january = compensations_month("2024-01-01", "2024-01-31")
        february = compensations_month("2024-02-01", "2024-02-29")
        http_mocker.post(token_request(), token_response())
        http_mocker.get(january, problem_response(400, "Bad Request", "Invalid request content."))
        http_mocker.get(february, PageBuilder.for_stream("compensations").with_record(compensation("c-2")).build())
        http_mocker.get(compensations_month("2024-03-01", "2024-03-15"), PageBuilder.for_stream("compensations").build())

        output = read_stream("compensations", config, expect_failure=True)

        # Then the range of February and March is saved up to the latest month read; January stays a gap
        assert finished_ranges(output, "compensations") == [["2023-12-31", "2023-12-31"], ["2024-02-01", "2024-02-01"]]


@freeze_time("2024-03-15T00:00:00Z")
class TestBreakdownsResume(TestCase):
    """absence_period_breakdowns (one cursor for all absences): the absences' progress is saved each time it moves
    (the CDK's own pace is once every ten minutes), so a killed sync resumes after the absences it finished."""

    @HttpMocker()
    def test_the_absences_progress_is_saved_each_time_it_moves(self, http_mocker: HttpMocker) -> None:
        # Given three windows of absences, one absence in each
        config = ConfigBuilder().with_window_size_days(30).with_num_workers(1).build()
        http_mocker.post(token_request(), token_response())
        http_mocker.get(absence_periods_window(gte="2024-01-01T00:00:00", lte="2024-01-31T00:00:00"),
                        PageBuilder.absence_periods().with_record(absence_period("a-1", "2024-01-10T00:00:00Z")).build())
        http_mocker.get(absence_periods_window(gte="2024-01-31T00:00:00", lte="2024-03-01T00:00:00"),
                        PageBuilder.absence_periods().with_record(absence_period("a-2", "2024-02-10T00:00:00Z")).build())
        http_mocker.get(absence_periods_window(gte="2024-03-01T00:00:00"),
                        PageBuilder.absence_periods().with_record(absence_period("a-3", "2024-03-10T00:00:00Z")).build())
        for absence in ("a-1", "a-2", "a-3"):
            http_mocker.get(breakdowns_of(absence), PageBuilder.for_stream("absence_period_breakdowns").with_record(breakdown("2024-06-03")).build())

        # When
        output = read_stream("absence_period_breakdowns", config)

        # Then states with the first and with the first two windows of absences done come before the last one
        progress = [state.get("parent_state") for state in states_of(output, "absence_period_breakdowns")]
        assert progress[-1] == {"absence_periods": {"updated_at": "2024-03-10T00:00:00Z"}}
        assert {"absence_periods": {"updated_at": "2024-01-10T00:00:00Z"}} in progress[:-1]
        assert {"absence_periods": {"updated_at": "2024-02-10T00:00:00Z"}} in progress[:-1]
