from unittest import TestCase

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import failed_streams, read_stream, record_data, states_of, stream_errors
from .request_builder import API_URL, ListRequestBuilder, recruiting_since, stage_transitions_of, token_request
from .response_builder import PageBuilder, problem_response, recruiting_application, stage_transition, token_response

_STREAM = "recruiting_application_stage_transitions"
_NOW = "2024-03-01T00:00:00Z"
_START_GT = "2023-12-31T23:59:59Z"  # start_date minus one second, the recruiting lists' strict filter


def _applications(*records) -> PageBuilder:
    return PageBuilder.for_stream("recruiting_applications").with_records(records)


def _transitions(*records) -> PageBuilder:
    return PageBuilder.for_stream(_STREAM).with_records(records)


def _saved_state(updated_at: str) -> dict:
    return {
        "use_global_cursor": True,
        "state": {"application_updated_at": updated_at},
        "lookback_window": 0,
        "parent_state": {"recruiting_applications": {"updated_at": updated_at}},
    }


@freeze_time(_NOW)
class TestStageTransitionsStream(TestCase):
    """GET /v2/recruiting/applications/{id}/stage-transitions, as the manifest declares it:

    - parents: the `recruiting_applications` stream itself (`recruiting_applications_stream`: `limit=200`,
      `updated_at.gt` only), one request per application, with no query parameters (Personio takes none here); a
      next link, if one comes, is followed;
    - each row carries `application_id` (its type as Personio sent it) and `application_updated_at`; primary key
      `[application_id, id]`;
    - `per_parent_cursor` on `application_updated_at` with `incremental_dependency`: ONE state, the applications'
      own state inside it, so an incremental sync asks only applications changed since (minus the lookback);
    - refused like the other recruiting streams: 404 on the application list names the Recruiting module, 403
      names `personio:recruiting:read`; a 404 for one application (deleted since listed) is skipped.
    """

    @HttpMocker()
    def test_asks_each_application_without_parameters_and_labels_its_rows(self, http_mocker: HttpMocker) -> None:
        # Given two applications, one with ids as strings, and the first's transitions over two pages
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            recruiting_since("recruiting_applications", gt=_START_GT),
            _applications(recruiting_application(70001, "2024-02-02T00:00:00Z"), recruiting_application("a-2", "2024-02-01T00:00:00Z")).build(),
        )
        first = stage_transitions_of("70001")
        http_mocker.get(
            first,
            _transitions(stage_transition("t-1", "Screening", "2024-01-10T09:00:00Z"))
            .with_next_link(f"{API_URL}/v2/recruiting/applications/70001/stage-transitions?cursor=n2")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.recruiting_application_stage_transitions("70001").with_cursor("n2").build(),
            _transitions(stage_transition("t-2", "Interview", "2024-01-20T09:00:00Z", previous_stage="Screening")).build(),
        )
        http_mocker.get(stage_transitions_of("a-2"), _transitions(stage_transition("t-1", "Screening", "2024-01-15T09:00:00Z")).build())

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        rows = sorted(((row["application_id"], row["id"], row["stage"]["name"]) for row in record_data(output)), key=repr)
        assert rows == sorted([(70001, "t-1", "Screening"), (70001, "t-2", "Interview"), ("a-2", "t-1", "Screening")], key=repr)
        assert {row["application_updated_at"] for row in record_data(output)} == {"2024-02-02T00:00:00Z", "2024-02-01T00:00:00Z"}
        http_mocker.assert_number_of_calls(first, 1)

    @HttpMocker()
    def test_an_incremental_sync_asks_only_applications_changed_since_the_state(self, http_mocker: HttpMocker) -> None:
        # Given a state of 2024-02-10 and the default 24 hour lookback: the list is asked from 2024-02-08T23:59:59Z
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            recruiting_since("recruiting_applications", gt="2024-02-08T23:59:59Z"),
            _applications(recruiting_application(70009, "2024-02-20T00:00:00Z")).build(),
        )
        http_mocker.get(stage_transitions_of("70009"), _transitions(stage_transition("t-1", "Offer", "2024-02-19T09:00:00Z")).build())
        state = StateBuilder().with_stream_state(_STREAM, _saved_state("2024-02-10T00:00:00Z")).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert [(row["application_id"], row["id"]) for row in record_data(output)] == [(70009, "t-1")]
        final = states_of(output, _STREAM)[-1]
        assert final["state"] == {"application_updated_at": "2024-02-20T00:00:00Z"}
        assert final["parent_state"] == {"recruiting_applications": {"updated_at": "2024-02-20T00:00:00Z"}}

    @HttpMocker()
    def test_an_application_deleted_since_it_was_listed_is_skipped(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            recruiting_since("recruiting_applications", gt=_START_GT),
            _applications(recruiting_application(1, "2024-02-02T00:00:00Z"), recruiting_application(2, "2024-02-01T00:00:00Z")).build(),
        )
        http_mocker.get(stage_transitions_of("1"), problem_response(404, "Not Found", "Application not found."))
        http_mocker.get(stage_transitions_of("2"), _transitions(stage_transition("t-1", "Screening", "2024-01-15T09:00:00Z")).build())

        output = read_stream(_STREAM, ConfigBuilder().build())

        assert [(row["application_id"], row["id"]) for row in record_data(output)] == [(2, "t-1")]

    @HttpMocker()
    def test_a_company_without_recruiting_gets_the_module_named(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(recruiting_since("recruiting_applications", gt=_START_GT), problem_response(404, "Not Found", "Not found."))

        output = read_stream(_STREAM, ConfigBuilder().build(), expect_failure=True)

        errors = stream_errors(output)[_STREAM]
        assert errors[0].failure_type == FailureType.config_error
        assert "Recruiting module" in errors[0].message
        assert failed_streams(output) == [_STREAM]

    @HttpMocker()
    def test_a_credential_without_the_recruiting_scope_gets_it_named(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            recruiting_since("recruiting_applications", gt=_START_GT),
            _applications(recruiting_application(1, "2024-02-02T00:00:00Z")).build(),
        )
        http_mocker.get(stage_transitions_of("1"), problem_response(403, "Forbidden", "Insufficient access scope."))

        output = read_stream(_STREAM, ConfigBuilder().build(), expect_failure=True)

        errors = stream_errors(output)[_STREAM]
        assert errors[0].failure_type == FailureType.config_error
        assert "personio:recruiting:read" in errors[0].message and _STREAM in errors[0].message
