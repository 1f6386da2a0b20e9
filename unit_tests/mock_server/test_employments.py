from unittest import TestCase

import jsonschema
import requests_mock
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, record_ids, run_discover, states_of
from .request_builder import API_URL, ListRequestBuilder, all_persons, employments_of, token_request
from .response_builder import PageBuilder, employment, person, problem_response, rate_limited_response, token_response

_STREAM = "employments"
_NOW = "2024-03-01T00:00:00Z"
_START_GT = "2023-12-31T23:59:59Z"  # start_date 2024-01-01T00:00:00Z minus one second


def _employments_page() -> PageBuilder:
    return PageBuilder.for_stream(_STREAM)


def _persons(*person_ids: str) -> PageBuilder:
    return PageBuilder.persons().with_records(person(person_id) for person_id in person_ids)


def _global_state(updated_at: str) -> dict:
    return {"use_global_cursor": True, "state": {"updated_at": updated_at}, "lookback_window": 0, "parent_state": {}}


@freeze_time(_NOW)
class TestEmploymentsStream(TestCase):
    """GET /v2/persons/{person_id}/employments, as the manifest declares it:

    - parents: every person, read by `all_persons` without windows or filters (`GET /v2/persons?limit=50`, next
      links followed), one employments request per person id (`SubstreamPartitionRouter`, `parent_id`);
    - page size `limit=50`; the next link is followed without repeating the filter;
    - one open-ended window (`per_parent_cursor` = `open_ended_cursor`): `updated_at.gt = start - 1s` where start
      is `start_date` or the saved state minus `lookback_window_hours` (default 24); never `updated_at.lt`;
    - `global_substream_cursor: true`: ONE state for the whole stream,
      `{"use_global_cursor": true, "state": {"updated_at": …}, …}`, never a state per person;
    - `updated_at` re-emitted in UTC (`updated_at_in_utc`); `person` filled in as `{"id": <parent_id>}` when the
      record has none;
    - `substream_error_handler`: a 404 for one person (deleted since listed) is ignored, the others are read;
      every other answer is judged by the shared `error_handler` as for any stream (401: a new token and a retry,
      429: wait and retry).
    """

    @HttpMocker()
    def test_asks_every_person_listed_by_an_unwindowed_persons_read_and_follows_next_links(self, http_mocker: HttpMocker) -> None:
        # Given two persons on two persons pages; the first person's employments on two pages
        http_mocker.post(token_request(), token_response())
        persons = all_persons()
        http_mocker.get(persons, _persons("1001").with_next_link(f"{API_URL}/v2/persons?cursor=p2").build())
        http_mocker.get(ListRequestBuilder.persons().with_cursor("p2").build(), _persons("1002").build())
        first = employments_of("1001", gt=_START_GT)
        second = employments_of("1002", gt=_START_GT)
        http_mocker.get(
            first,
            _employments_page().with_record(employment("e-1", "1001")).with_next_link(f"{API_URL}/v2/persons/1001/employments?cursor=e2").build(),
        )
        http_mocker.get(
            ListRequestBuilder.employments("1001").with_cursor("e2").build(),
            _employments_page().with_record(employment("e-1b", "1001")).build(),
        )
        http_mocker.get(second, _employments_page().with_record(employment("e-2", "1002")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then each person's employments were asked exactly once, with `limit=50` and `updated_at.gt` only; the
        # next page with `limit` and the cursor only
        assert sorted(record_ids(output)) == ["e-1", "e-1b", "e-2"]
        http_mocker.assert_number_of_calls(persons, 1)
        http_mocker.assert_number_of_calls(first, 1)
        http_mocker.assert_number_of_calls(second, 1)

    @HttpMocker()
    def test_person_is_filled_in_from_the_request_when_the_record_lacks_it(self, http_mocker: HttpMocker) -> None:
        # Given one employment without `person`, one with `person: null`, one naming its person
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001").build())
        http_mocker.get(
            employments_of("1001", gt=_START_GT),
            _employments_page()
            .with_record(employment("e-1").without_field("person"))
            .with_record(employment("e-2").with_field("person", None))
            .with_record(employment("e-3", person_id="1001"))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert [record["person"] for record in record_data(output)] == [{"id": "1001"}] * 3

    @HttpMocker()
    def test_a_record_with_only_id_person_status_and_meta_is_valid(self, http_mocker: HttpMocker) -> None:
        # Given a credential with no whitelisted attributes
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001").build())
        http_mocker.get(
            employments_of("1001", gt=_START_GT),
            _employments_page().with_record(employment("e-1").only_fields("id", "person", "status", "_meta")).build(),
        )
        schema = next(s for s in run_discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == _STREAM).json_schema

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then the record is emitted as it came (no updated_at, so no state moves past the start)
        assert record_ids(output) == ["e-1"]
        record = record_data(output)[0]
        assert set(record) == {"id", "person", "status", "_meta"}
        jsonschema.validate(record, schema)
        assert not output.errors

    @HttpMocker()
    def test_updated_at_is_emitted_in_utc_and_the_state_is_one_global_cursor(self, http_mocker: HttpMocker) -> None:
        # Given three persons whose employments carry offsets
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001", "1002", "1003").build())
        http_mocker.get(
            employments_of("1001", gt=_START_GT),
            _employments_page().with_record(employment("e-1", "1001", "2024-02-10T12:00:00+02:00")).build(),
        )
        http_mocker.get(
            employments_of("1002", gt=_START_GT),
            _employments_page().with_record(employment("e-2", "1002", "2024-01-20T08:00:00-01:00")).build(),
        )
        http_mocker.get(employments_of("1003", gt=_START_GT), _employments_page().build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        updated = {record["id"]: record["updated_at"] for record in record_data(output)}
        assert updated == {"e-1": "2024-02-10T10:00:00Z", "e-2": "2024-01-20T09:00:00Z"}
        final = states_of(output, _STREAM)[-1]
        assert final["use_global_cursor"] is True
        assert final["state"] == {"updated_at": "2024-02-10T10:00:00Z"}
        assert "states" not in final, "the state must not hold one cursor per person"

    @HttpMocker()
    def test_incremental_sync_asks_every_person_again_from_state_minus_lookback(self, http_mocker: HttpMocker) -> None:
        # Given a saved global state 2024-02-10T00:00:00Z and the default 24 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001", "1002").build())
        first = employments_of("1001", gt="2024-02-08T23:59:59Z")
        second = employments_of("1002", gt="2024-02-08T23:59:59Z")
        http_mocker.get(first, _employments_page().with_record(employment("e-1", "1001", "2024-02-20T00:00:00Z")).build())
        http_mocker.get(second, _employments_page().build())
        state = StateBuilder().with_stream_state(_STREAM, _global_state("2024-02-10T00:00:00Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then both persons were asked, with the later `.gt`
        assert record_ids(output) == ["e-1"]
        http_mocker.assert_number_of_calls(first, 1)
        http_mocker.assert_number_of_calls(second, 1)
        assert states_of(output, _STREAM)[-1]["state"] == {"updated_at": "2024-02-20T00:00:00Z"}

    @HttpMocker()
    def test_incremental_lookback_window_hours_is_configurable(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and a 6 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001").build())
        http_mocker.get(employments_of("1001", gt="2024-02-09T17:59:59Z"), _employments_page().build())
        state = StateBuilder().with_stream_state(_STREAM, _global_state("2024-02-10T00:00:00Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_lookback_window_hours(6).build(), state=state)

        # Then
        assert record_ids(output) == []
        assert not output.errors
        assert all(value["state"]["updated_at"] >= "2024-02-10T00:00:00Z" for value in states_of(output, _STREAM))

    @HttpMocker()
    def test_a_person_deleted_meanwhile_answers_404_and_is_skipped(self, http_mocker: HttpMocker) -> None:
        # Given three persons, the second deleted between the persons read and its employments request
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001", "1002", "1003").build())
        deleted = employments_of("1002", gt=_START_GT)
        http_mocker.get(employments_of("1001", gt=_START_GT), _employments_page().with_record(employment("e-1", "1001", "2024-02-01T00:00:00Z")).build())
        http_mocker.get(deleted, problem_response(404, "Not Found", "Person not found."))
        http_mocker.get(employments_of("1003", gt=_START_GT), _employments_page().with_record(employment("e-3", "1003", "2024-02-02T00:00:00Z")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert sorted(record_ids(output)) == ["e-1", "e-3"]
        assert not output.errors
        http_mocker.assert_number_of_calls(deleted, 1)
        assert states_of(output, _STREAM)[-1]["state"] == {"updated_at": "2024-02-02T00:00:00Z"}

    def test_a_401_on_a_per_person_request_gets_a_new_token_and_is_retried(self) -> None:
        # Given a token Personio stops accepting in the middle of the per-person requests (as persons handles it);
        # each stream may hold its own token, so the fake counts tokens instead of naming them
        tokens = iter(f"papi-token-{number}" for number in range(1, 10))
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json=lambda request, context: {"access_token": next(tokens), "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/persons", json=_persons("1001").build_body())
            employments = mocker.get(
                f"{API_URL}/v2/persons/1001/employments",
                [
                    {"status_code": 401, "json": {"errors": [{"title": "Unauthorized", "detail": "The access token expired."}]}},
                    {"status_code": 200, "json": _employments_page().with_record(employment("e-1")).build_body()},
                ],
            )

            # When
            output = read_stream(_STREAM, ConfigBuilder().build())

            history = [request.path for request in mocker.request_history]

        # Then a new token was fetched between the 401 and the retry
        assert record_ids(output) == ["e-1"]
        assert not output.errors
        assert employments.call_count == 2
        first_try = history.index("/v2/persons/1001/employments")
        assert "/v2/auth/token" in history[first_try + 1:history.index("/v2/persons/1001/employments", first_try + 1)]

    @HttpMocker()
    def test_a_429_on_a_per_person_request_is_retried(self, http_mocker: HttpMocker) -> None:
        # Given per-person requests are where Personio throttles hardest
        http_mocker.post(token_request(), token_response())
        http_mocker.get(all_persons(), _persons("1001").build())
        request = employments_of("1001", gt=_START_GT)
        http_mocker.get(request, [rate_limited_response(retry_after="2"), _employments_page().with_record(employment("e-1")).build()])

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["e-1"]
        assert not output.errors
        http_mocker.assert_number_of_calls(request, 2)
