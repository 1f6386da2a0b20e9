from unittest import TestCase

import jsonschema
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import assert_utc_instant, read_stream, record_data, record_ids, run_discover, state_values
from .request_builder import API_URL, ListRequestBuilder, persons_window, token_request
from .response_builder import PageBuilder, filtering_endpoint, person, token_response

_STREAM = "persons"
_NOW = "2024-03-01T00:00:00Z"


@freeze_time(_NOW)
class TestPersonsStream(TestCase):
    """GET /v2/persons, as the manifest declares it:

    - page size `limit=50`; records are read from `_data`; the next link is followed without the window filters;
    - windows of `persons_window_size_days` (default 3,650) from `start_date` (default 2010-01-01T00:00:00Z) up to
      now, the next window starting one second after the previous one ends;
    - Personio's strict filters, widened by one second on both sides: `updated_at.gt = window_start - 1s` and
      `updated_at.lt = window_end + 1s`, formatted `%Y-%m-%dT%H:%M:%SZ`;
    - `updated_at` re-emitted in UTC (`AddFields` + `format_datetime`), fractions kept;
    - state `{"updated_at": "…Z"}` after each window; the next sync starts `lookback_window_hours` (default 24)
      before it;
    - a person without `updated_at` (nothing whitelisted) is still a valid record.
    """

    @HttpMocker()
    def test_full_refresh_reads_records_of_one_window(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001")).with_record(person("1002")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert record_ids(output) == ["1001", "1002"]
        assert record_data(output)[0]["custom_attributes"][4]["value"] == {"floor": 2}

    @HttpMocker()
    def test_follows_next_link_without_repeating_the_window_filters(self, http_mocker: HttpMocker) -> None:
        # Given
        token = token_request()
        http_mocker.post(token, token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001")).with_next_link(f"{API_URL}/v2/persons?cursor=page-2").build(),
        )
        http_mocker.get(
            ListRequestBuilder.persons().with_cursor("page-2").build(),
            PageBuilder.persons().with_record(person("1002")).with_next_link(f"{API_URL}/v2/persons?cursor=page-3").build(),
        )
        http_mocker.get(ListRequestBuilder.persons().with_cursor("page-3").build(), PageBuilder.persons().with_record(person("1003")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001", "1002", "1003"]
        http_mocker.assert_number_of_calls(token, 1)

    @HttpMocker()
    def test_updated_at_is_emitted_in_utc_with_fractions_kept(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons()
            .with_record(person("1001", "2024-01-15T12:00:00+02:00"))
            .with_record(person("1002", "2024-01-15T12:00:00.250-01:00"))
            .with_record(person("1003", "2024-01-15T12:00:00Z"))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        emitted = [record["updated_at"] for record in record_data(output)]
        assert emitted[0] == "2024-01-15T10:00:00Z"
        assert_utc_instant(emitted[1], "2024-01-15T13:00:00.25Z")
        assert emitted[2] == "2024-01-15T12:00:00Z"
        assert state_values(output)[-1] == "2024-01-15T13:00:00Z"

    @HttpMocker()
    def test_windows_default_to_3650_days(self, http_mocker: HttpMocker) -> None:
        # Given start 2014-01-01: windows [2014-01-01 00:00:00, 2023-12-29 23:59:59] and [2023-12-30 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2013-12-31T23:59:59Z", lt="2023-12-30T00:00:00Z"),
            PageBuilder.persons().with_record(person("1001", "2014-01-01T00:00:00Z")).build(),
        )
        http_mocker.get(
            persons_window(gt="2023-12-29T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1002", "2024-02-01T00:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_start_date("2014-01-01T00:00:00Z").build())

        # Then
        assert sorted(record_ids(output)) == ["1001", "1002"]

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_windows_are_persons_window_size_days_long_and_contiguous(self, http_mocker: HttpMocker) -> None:
        # Given windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-01-31T00:00:00Z"),
            PageBuilder.persons().with_record(person("1001", "2024-01-20T08:00:00Z")).build(),
        )
        http_mocker.get(
            persons_window(gt="2024-01-30T23:59:59Z", lt="2024-02-15T12:00:01Z"),
            PageBuilder.persons().with_record(person("1002", "2024-02-10T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_persons_window_size_days(30).with_window_size_days(1).build())

        # Then
        assert sorted(record_ids(output)) == ["1001", "1002"]

    @freeze_time("2024-02-15T12:00:00Z")
    def test_records_on_a_window_boundary_are_read_under_strict_operators(self) -> None:
        # Given a fake Personio applying the strict `.gt` / `.lt` operators, and records exactly on the edges
        # of the windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now]
        records = [
            person("start", "2024-01-01T00:00:00Z"),
            person("end-of-first", "2024-01-30T23:59:59Z"),
            person("start-of-second", "2024-01-31T00:00:00Z"),
            person("now", "2024-02-15T12:00:00Z"),
        ]
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": "papi-test-access-token", "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/persons", json=filtering_endpoint(_STREAM, records))

            # When
            output = read_stream(_STREAM, ConfigBuilder().with_persons_window_size_days(30).build())

        # Then
        assert set(record_ids(output)) == {"start", "end-of-first", "start-of-second", "now"}

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_state_is_emitted_per_window_as_the_latest_updated_at_in_utc(self, http_mocker: HttpMocker) -> None:
        # Given one worker, so the windows complete in order
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-01-31T00:00:00Z"),
            PageBuilder.persons()
            .with_record(person("1001", "2024-01-20T10:00:00+02:00"))
            .with_record(person("1002", "2024-01-05T08:00:00Z"))
            .build(),
        )
        http_mocker.get(
            persons_window(gt="2024-01-30T23:59:59Z", lt="2024-02-15T12:00:01Z"),
            PageBuilder.persons().with_record(person("1003", "2024-02-10T08:00:00Z")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_persons_window_size_days(30).with_num_workers(1).build())

        # Then
        states = state_values(output)
        assert states[0] == "2024-01-20T08:00:00Z"
        assert states[-1] == "2024-02-10T08:00:00Z"
        assert states == sorted(states)

    @HttpMocker()
    def test_incremental_sync_from_state_starts_lookback_hours_before_it(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and the default 24 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2024-02-08T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001", "2024-02-20T00:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert record_ids(output) == ["1001"]
        assert state_values(output)[-1] == "2024-02-20T00:00:00Z"

    @HttpMocker()
    def test_lookback_window_hours_is_configurable(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and a 6 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(persons_window(gt="2024-02-09T17:59:59Z", lt="2024-03-01T00:00:01Z"), PageBuilder.persons().build())
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_lookback_window_hours(6).build(), state=state)

        # Then
        assert record_ids(output) == []

    @HttpMocker()
    def test_state_never_moves_back_when_only_records_inside_the_lookback_arrive(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and a record read again from the lookback period
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2024-02-08T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001", "2024-02-09T12:00:00Z")).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert record_ids(output) == ["1001"]
        assert state_values(output) and all(value >= "2024-02-10T00:00:00Z" for value in state_values(output))

    @HttpMocker()
    def test_full_refresh_rereads_from_start_date_after_an_incremental_sync(self, http_mocker: HttpMocker) -> None:
        # Given an incremental sync that saved state; the platform starts every full refresh job without state
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            [
                PageBuilder.persons().with_record(person("1001", "2024-02-10T00:00:00Z")).build(),
                PageBuilder.persons().with_record(person("1001", "2024-02-10T00:00:00Z")).with_record(person("1002", "2024-01-02T00:00:00Z")).build(),
            ],
        )
        incremental = read_stream(_STREAM, ConfigBuilder().build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert state_values(incremental)[-1] == "2024-02-10T00:00:00Z"
        assert record_ids(output) == ["1001", "1002"]

    @HttpMocker()
    def test_start_date_defaults_to_2010(self, http_mocker: HttpMocker) -> None:
        # Given no start date and 3650-day windows: [2010-01-01, 2019-12-29 23:59:59] and [2019-12-30, now]
        http_mocker.post(token_request(), token_response())
        http_mocker.get(persons_window(gt="2009-12-31T23:59:59Z", lt="2019-12-30T00:00:00Z"), PageBuilder.persons().build())
        http_mocker.get(
            persons_window(gt="2019-12-29T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001")).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().without("start_date").with_persons_window_size_days(3650).build())

        # Then
        assert record_ids(output) == ["1001"]

    @HttpMocker()
    def test_person_without_updated_at_is_emitted_and_matches_the_schema(self, http_mocker: HttpMocker) -> None:
        # Given a credential with no whitelisted attributes: persons hold only id, employments and _meta
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons()
            .with_record(person("1001").only_fields("id", "employments", "_meta"))
            .with_record(person("1002").only_fields("id", "employments", "_meta"))
            .build(),
        )
        schema = next(s for s in run_discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == _STREAM).json_schema

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001", "1002"]
        for record in record_data(output):
            assert set(record) == {"id", "employments", "_meta"}
            jsonschema.validate(record, schema)
