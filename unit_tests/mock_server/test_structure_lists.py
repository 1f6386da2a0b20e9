from unittest import TestCase

import pytest
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, record_ids, run_discover
from .request_builder import API_URL, PLAIN_LIST_ENDPOINTS, ListRequestBuilder, org_units_of_type, token_request
from .response_builder import PageBuilder, list_record, org_unit, token_response

_NOW = "2024-03-01T00:00:00Z"


@freeze_time(_NOW)
class TestOrgUnitsStream(TestCase):
    """GET /v2/org-units, as the manifest declares it:

    - a `ListPartitionRouter` over `type`: one request for `type=department`, one for `type=team` (Personio
      requires `type`), each with `include_parent_chain=true` and `limit=100`;
    - next links are followed with `limit` only (no `type`, no `include_parent_chain`: the cursor carries them);
    - a record without `type` gets it from the request (`AddFields`, `stream_partition.type`); a record's own
      `type` is kept;
    - full refresh only; primary key (`type`, `id`), since a department and a team may share an id.
    """

    @HttpMocker()
    def test_asks_departments_and_teams_separately(self, http_mocker: HttpMocker) -> None:
        # Given a department and a team with the same id
        http_mocker.post(token_request(), token_response())
        departments, teams = org_units_of_type("department"), org_units_of_type("team")
        http_mocker.get(departments, PageBuilder.for_stream("org_units").with_record(org_unit(7, "department")).build())
        http_mocker.get(teams, PageBuilder.for_stream("org_units").with_record(org_unit(7, "team").with_field("name", "Payments")).build())

        # When
        output = read_stream("org_units", ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert sorted((record["type"], record["id"]) for record in record_data(output)) == [("department", 7), ("team", 7)]
        team = next(record for record in record_data(output) if record["type"] == "team")
        assert team["name"] == "Payments" and team["parent_chain"] == [400]
        http_mocker.assert_number_of_calls(departments, 1)
        http_mocker.assert_number_of_calls(teams, 1)

    @HttpMocker()
    def test_follows_next_links_without_the_filters(self, http_mocker: HttpMocker) -> None:
        # Given two pages of departments
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            org_units_of_type("department"),
            PageBuilder.for_stream("org_units").with_record(org_unit(1)).with_next_link(f"{API_URL}/v2/org-units?cursor=d2").build(),
        )
        http_mocker.get(ListRequestBuilder.org_units().with_cursor("d2").build(), PageBuilder.for_stream("org_units").with_record(org_unit(2)).build())
        http_mocker.get(org_units_of_type("team"), PageBuilder.for_stream("org_units").build())

        # When
        output = read_stream("org_units", ConfigBuilder().build())

        # Then
        assert sorted(record_ids(output)) == [1, 2]

    @HttpMocker()
    def test_type_is_filled_in_from_the_request_when_missing(self, http_mocker: HttpMocker) -> None:
        # Given records without `type`, including one on a second page
        http_mocker.post(token_request(), token_response())
        http_mocker.get(org_units_of_type("department"), PageBuilder.for_stream("org_units").with_record(org_unit(1, None)).build())
        http_mocker.get(
            org_units_of_type("team"),
            PageBuilder.for_stream("org_units").with_record(org_unit(2, None)).with_next_link(f"{API_URL}/v2/org-units?cursor=t2").build(),
        )
        http_mocker.get(ListRequestBuilder.org_units().with_cursor("t2").build(), PageBuilder.for_stream("org_units").with_record(org_unit(3, None)).build())

        # When
        output = read_stream("org_units", ConfigBuilder().build())

        # Then
        assert sorted((record["id"], record["type"]) for record in record_data(output)) == [(1, "department"), (2, "team"), (3, "team")]

    def test_primary_key_is_type_and_id_and_only_full_refresh_is_offered(self) -> None:
        # When
        stream = next(s for s in run_discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == "org_units")

        # Then
        assert stream.source_defined_primary_key == [["type"], ["id"]]
        assert stream.supported_sync_modes == [SyncMode.full_refresh]


# --- the plain lists: one request with limit=100, next links followed, nothing else -----------------------------


def _as_emitted(record: dict) -> dict:
    """The record as the CDK prints it: its serializer leaves out top-level fields whose value is null."""
    return {name: value for name, value in record.items() if value is not None}


@freeze_time(_NOW)
@pytest.mark.parametrize("stream", sorted(PLAIN_LIST_ENDPOINTS))
def test_plain_list_reads_its_path_with_limit_100_and_follows_next_links(stream: str) -> None:
    """`list_stream` (legal_entities, workplaces, cost_centers, jobs, salary_bands, absence_types, projects,
    compensation_types): `GET /v2/<endpoint>?limit=100` and no other parameter; the next link's path and cursor
    (relative or absolute) with `limit=100`, until a page has no next link; records from `_data` as sent."""
    with HttpMocker() as http_mocker:
        # Given three pages, the first next link relative, the second absolute
        http_mocker.post(token_request(), token_response())
        path = ListRequestBuilder.plain_list(stream).path
        first = ListRequestBuilder.plain_list(stream).build()
        http_mocker.get(
            first,
            PageBuilder.for_stream(stream)
            .with_record(list_record(stream, 11))
            .with_record(list_record(stream, 12))
            .with_next_link(f"{path}?cursor=p2")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.plain_list(stream).with_cursor("p2").build(),
            PageBuilder.for_stream(stream).with_record(list_record(stream, 21)).with_next_link(f"{API_URL}{path}?cursor=p3").build(),
        )
        http_mocker.get(ListRequestBuilder.plain_list(stream).with_cursor("p3").build(), PageBuilder.for_stream(stream).with_record(list_record(stream, 31)).build())

        # When
        output = read_stream(stream, ConfigBuilder().build(), SyncMode.full_refresh)

        # Then
        assert not output.errors
        assert record_ids(output) == [11, 12, 21, 31]
        assert record_data(output)[:2] == [_as_emitted(list_record(stream, 11).build()), _as_emitted(list_record(stream, 12).build())]
        http_mocker.assert_number_of_calls(first, 1)
