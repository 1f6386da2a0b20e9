from typing import Any, Dict
from urllib.parse import parse_qs, urlparse
from unittest import TestCase

import requests_mock
from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from tools.stream_facts import FACTS

from .config import ConfigBuilder
from .helpers import failed_streams, low_water_mark, read_streams, records_of, states_of, stream_errors
from .request_builder import ACCESS_TOKEN, API_URL, PLAIN_LIST_ENDPOINTS, ListRequestBuilder, recruiting_since, token_request
from .response_builder import (
    PageBuilder,
    absence_period,
    list_record,
    person,
    problem_response,
    recruiting_candidate,
    token_response,
)

_NOW = "2024-03-01T00:00:00Z"

# Each stream beyond the required ones, with the scope its block in the manifest names.
_SCOPES = {stream.name: stream.scope for stream in FACTS if not stream.required}

_FORBIDDEN: Dict[str, Any] = {
    "status_code": 403,
    "json": {"personio_trace_id": "t", "errors": [{"title": "Forbidden", "detail": "Insufficient access scope."}]},
}


def _body(page: PageBuilder) -> Dict[str, Any]:
    return page.build_body()


@freeze_time(_NOW)
class TestOptionalStreams(TestCase):
    """Streams a credential or a company may lack, as the manifest's `error_handler` (and, for the per-parent
    streams, `substream_error_handler`, which runs it first) declares them:

    - 403 fails the stream (`FAIL`, `failure_type: config_error`) with a message naming the stream and the scope
      its `$parameters.scope` declares; the other streams of the same read are read all the same and save state;
    - 404 and 412 on a stream with `$parameters.module` fail it as a config error naming the module: Recruiting
      (the four recruiting streams, 404 for a company without it) and Legal Entities (412);
    - the read's closing error lists every failed stream and no other.
    """

    @HttpMocker()
    def test_a_403_fails_only_that_stream_naming_its_scope_and_the_other_stream_keeps_records_and_state(self, http_mocker: HttpMocker) -> None:
        # Given a credential without the cost-centers scope, reading cost_centers and recruiting_candidates
        http_mocker.post(token_request(), token_response())
        http_mocker.get(ListRequestBuilder.plain_list("cost_centers").build(), problem_response(403, "Forbidden", "Insufficient access scope."))
        http_mocker.get(
            recruiting_since("recruiting_candidates", gt="2023-12-31T23:59:59Z"),
            PageBuilder.for_stream("recruiting_candidates").with_record(recruiting_candidate(1, "2024-02-01T00:00:00Z")).build(),
        )

        # When
        output = read_streams(["cost_centers", "recruiting_candidates"], ConfigBuilder().build(), expect_failure=True)

        # Then
        assert [record["id"] for record in records_of(output, "recruiting_candidates")] == [1]
        assert low_water_mark(states_of(output, "recruiting_candidates")[-1]) == "2024-02-01T00:00:00Z"
        assert records_of(output, "cost_centers") == []
        errors = stream_errors(output)
        assert set(errors) == {"cost_centers"}
        assert errors["cost_centers"][0].failure_type == FailureType.config_error
        assert "personio:cost-centers:read" in errors["cost_centers"][0].message
        assert "cost_centers" in errors["cost_centers"][0].message
        assert failed_streams(output) == ["cost_centers"]

    def test_every_optional_stream_names_its_own_scope_on_403(self) -> None:
        # Given a credential holding only the persons and absences scopes the parents need: every optional stream's
        # own endpoint answers 403 (person_custom_attributes: the windowed persons read; employments and
        # absence_period_breakdowns: the per-parent requests, after their parents were listed)
        def persons(request: Any, context: Any) -> Dict[str, Any]:
            if "updated_at.gt" in parse_qs(urlparse(request.url).query):
                context.status_code = 403
                return _FORBIDDEN["json"]
            return _body(PageBuilder.persons().with_record(person("1001")))

        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/persons", json=persons)
            mocker.get(f"{API_URL}/v2/persons/1001/employments", **_FORBIDDEN)
            mocker.get(f"{API_URL}/v2/absence-periods", json=_body(PageBuilder.absence_periods().with_record(absence_period("a-1"))))
            mocker.get(f"{API_URL}/v2/absence-periods/a-1/breakdowns", **_FORBIDDEN)
            for path in ["compensations", "org-units", "webhooks", "recruiting/applications", "recruiting/candidates", "recruiting/jobs", "recruiting/categories"]:
                mocker.get(f"{API_URL}/v2/{path}", **_FORBIDDEN)
            for path in PLAIN_LIST_ENDPOINTS.values():
                mocker.get(f"{API_URL}/v2/{path}", **_FORBIDDEN)

            # When
            output = read_streams(list(_SCOPES), ConfigBuilder().build(), expect_failure=True)

        # Then each stream failed on its own, as a config error naming its scope
        errors = stream_errors(output)
        for stream, scope in _SCOPES.items():
            with self.subTest(stream):
                assert stream in errors, f"{stream} did not fail"
                assert errors[stream][0].failure_type == FailureType.config_error
                assert scope in errors[stream][0].message, errors[stream][0].message
        assert sorted(failed_streams(output)) == sorted(_SCOPES)

    @HttpMocker()
    def test_a_company_without_the_recruiting_or_legal_entities_module_gets_a_message_naming_it(self, http_mocker: HttpMocker) -> None:
        # Given a company without recruiting (404 on its lists) or legal entities (412), and workplaces readable
        http_mocker.post(token_request(), token_response())
        http_mocker.get(recruiting_since("recruiting_applications", gt="2023-12-31T23:59:59Z"), problem_response(404, "Not Found", "Not found."))
        http_mocker.get(ListRequestBuilder.recruiting_jobs().build(), problem_response(404, "Not Found", "Not found."))
        http_mocker.get(
            ListRequestBuilder.plain_list("legal_entities").build(),
            problem_response(412, "Precondition Failed", "No access to legal entities feature"),
        )
        http_mocker.get(
            ListRequestBuilder.plain_list("workplaces").build(),
            PageBuilder.for_stream("workplaces").with_record(list_record("workplaces", 301)).build(),
        )

        # When
        output = read_streams(["recruiting_applications", "recruiting_jobs", "legal_entities", "workplaces"], ConfigBuilder().build(), expect_failure=True)

        # Then
        assert [record["id"] for record in records_of(output, "workplaces")] == [301]
        errors = stream_errors(output)
        assert set(errors) == {"recruiting_applications", "recruiting_jobs", "legal_entities"}
        for stream, module in (("recruiting_applications", "Recruiting"), ("recruiting_jobs", "Recruiting"), ("legal_entities", "Legal Entities")):
            with self.subTest(stream):
                assert errors[stream][0].failure_type == FailureType.config_error
                assert f"{module} module" in errors[stream][0].message, errors[stream][0].message
                assert "API URL" not in errors[stream][0].message
        assert sorted(failed_streams(output)) == ["legal_entities", "recruiting_applications", "recruiting_jobs"]
