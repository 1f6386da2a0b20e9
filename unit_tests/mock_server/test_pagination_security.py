from typing import List
from unittest import TestCase

import requests_mock
from airbyte_cdk.test.mock_http import HttpMocker
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import query_params, read_stream, record_ids
from .request_builder import ACCESS_TOKEN, API_URL, persons_window, token_request
from .response_builder import PageBuilder, absence_period, attendance_period, person, token_response

_NOW = "2024-03-01T00:00:00Z"
_FIRST_PERSONS_PAGE = f"{API_URL}/v2/persons?updated_at.gt=2023-12-31T23:59:59Z"


def _given_token(mocker: requests_mock.Mocker, api_url: str = API_URL) -> None:
    mocker.post(f"{api_url}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})


def _data_requests(mocker: requests_mock.Mocker) -> List[requests_mock.request._RequestObjectProxy]:
    return [request for request in mocker.request_history if request.method == "GET"]


@freeze_time(_NOW)
class TestPaginationSecurity(TestCase):
    """The manifest's paginator (`CursorPagination` on `_meta.links.next.href`, injected as `RequestPath`):

    - only the path and query of a next link are kept, so every page is requested at the configured API URL
      and the bearer token never reaches another host, whatever host the link names;
    - relative links resolve against the API URL; the opaque cursor is sent byte for byte as Personio encoded it;
    - follow-up pages carry the cursor and `limit` only (`ignore_stream_slicer_parameters_on_paginated_requests`
      and the `'' if next_page_token` filters);
    - reading stops without a next link, on an empty page even if it has a next link, and on a next link equal
      to the page's own self link.
    """

    @HttpMocker()
    def test_stops_on_a_page_without_next_link(self, http_mocker: HttpMocker) -> None:
        # Given
        http_mocker.post(token_request(), token_response())
        window = persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z")
        http_mocker.get(window, PageBuilder.persons().with_record(person("1001")).build())

        # When
        output = read_stream("persons", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["1001"]
        http_mocker.assert_number_of_calls(window, 1)

    def test_stops_on_an_empty_page_that_still_has_a_next_link(self) -> None:
        # Given
        with requests_mock.Mocker() as mocker:
            _given_token(mocker)
            mocker.get(_FIRST_PERSONS_PAGE, json=PageBuilder.persons().with_next_link(f"{API_URL}/v2/persons?cursor=more").build_body())
            mocker.get(f"{API_URL}/v2/persons?cursor=more", json=PageBuilder.persons().with_record(person("1001")).build_body())

            # When
            output = read_stream("persons", ConfigBuilder().build())

        # Then
        assert record_ids(output) == []
        assert not output.errors
        assert len(_data_requests(mocker)) == 1

    def test_a_next_link_to_the_page_itself_fails_instead_of_looping_or_skipping(self) -> None:
        # Given a second page whose next link repeats its own self link (once in absolute, once in relative form)
        with requests_mock.Mocker() as mocker:
            _given_token(mocker)
            mocker.get(
                f"{API_URL}/v2/attendance-periods?updated_at.gte=2024-01-01T00:00:00",
                json=PageBuilder.attendance_periods()
                .with_record(attendance_period("t-1"))
                .with_next_link("/v2/attendance-periods?cursor=loop")
                .build_body(),
            )
            mocker.get(
                f"{API_URL}/v2/attendance-periods?cursor=loop",
                json=PageBuilder.attendance_periods()
                .with_record(attendance_period("t-2"))
                .with_self_link(f"{API_URL}/v2/attendance-periods?cursor=loop")
                .with_next_link("/v2/attendance-periods?cursor=loop")
                .build_body(),
            )

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build())

        # Then
        # Then the loop is not followed, and the sync fails loudly instead of ending the window early
        assert record_ids(output) == ["t-1"]
        assert "points at the page just read" in " ".join(e.trace.error.message for e in output.errors)
        assert len(_data_requests(mocker)) == 2

    def test_a_next_link_to_a_foreign_host_is_requested_at_the_api_url_host(self) -> None:
        for foreign_link in (
            "https://evil.example.com/v2/persons?cursor=x",
            "http://evil.example.com:8443/v2/persons?cursor=x",
            "//evil.example.com/v2/persons?cursor=x",
            "https://api.personio.de.evil.example.com/v2/persons?cursor=x",
        ):
            with self.subTest(foreign_link), requests_mock.Mocker() as mocker:
                # Given a catch-all that answers (and records) any host
                _given_token(mocker)
                mocker.get(requests_mock.ANY, json=PageBuilder.persons().build_body())
                mocker.get(_FIRST_PERSONS_PAGE, json=PageBuilder.persons().with_record(person("1001")).with_next_link(foreign_link).build_body())
                mocker.get(f"{API_URL}/v2/persons?cursor=x", json=PageBuilder.persons().with_record(person("1002")).build_body())

                # When
                output = read_stream("persons", ConfigBuilder().build())

                # Then
                assert record_ids(output) == ["1001", "1002"]
                assert [request.hostname for request in mocker.request_history] == ["api.personio.de"] * 3
                second_page = _data_requests(mocker)[1]
                assert second_page.url == f"{API_URL}/v2/persons?cursor=x&limit=50"

    def test_every_page_stays_on_a_custom_api_url_even_when_links_name_personio(self) -> None:
        # Given an emulator or proxy as API URL, whose pages link to Personio's own host
        api_url = "http://localhost:8080"
        with requests_mock.Mocker() as mocker:
            _given_token(mocker, api_url)
            mocker.get(requests_mock.ANY, json=PageBuilder.absence_periods().build_body())
            mocker.get(
                f"{api_url}/v2/absence-periods?updated_at.gte=2024-01-01T00:00:00",
                json=PageBuilder.absence_periods()
                .with_record(absence_period("a-1"))
                .with_next_link(f"{API_URL}/v2/absence-periods?cursor=p2")
                .build_body(),
            )
            mocker.get(f"{api_url}/v2/absence-periods?cursor=p2", json=PageBuilder.absence_periods().with_record(absence_period("a-2")).build_body())

            # When
            output = read_stream("absence_periods", ConfigBuilder().with_api_url(api_url).build())

        # Then
        assert record_ids(output) == ["a-1", "a-2"]
        assert {(request.scheme, request.netloc) for request in mocker.request_history} == {("http", "localhost:8080")}
        assert all(request.headers["Authorization"] == f"Bearer {ACCESS_TOKEN}" for request in _data_requests(mocker))

    def test_the_cursor_is_sent_verbatim_and_follow_ups_carry_no_window_filters(self) -> None:
        # Given cursors holding encoded '+', '/' and '='
        with requests_mock.Mocker() as mocker:
            _given_token(mocker)
            mocker.get(
                f"{API_URL}/v2/attendance-periods?updated_at.gte=2024-01-01T00:00:00",
                json=PageBuilder.attendance_periods()
                .with_record(attendance_period("t-1"))
                .with_next_link("/v2/attendance-periods?cursor=a%2Bb%3D")
                .build_body(),
            )
            mocker.get(
                f"{API_URL}/v2/attendance-periods?cursor=a%2Bb%3D",
                json=PageBuilder.attendance_periods()
                .with_record(attendance_period("t-2"))
                .with_next_link(f"{API_URL}/v2/attendance-periods?cursor=c%2Fd%2B%2B%3D%3D")
                .build_body(),
            )
            mocker.get(
                f"{API_URL}/v2/attendance-periods?cursor=c%2Fd%2B%2B%3D%3D",
                json=PageBuilder.attendance_periods().with_record(attendance_period("t-3")).build_body(),
            )

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build())

        # Then
        assert record_ids(output) == ["t-1", "t-2", "t-3"]
        first, second, third = _data_requests(mocker)
        assert query_params(first) == {"updated_at.gte": ["2024-01-01T00:00:00"], "limit": ["100"]}  # last window: open-ended
        assert second.url == f"{API_URL}/v2/attendance-periods?cursor=a%2Bb%3D&limit=100"
        assert third.url == f"{API_URL}/v2/attendance-periods?cursor=c%2Fd%2B%2B%3D%3D&limit=100"
        assert query_params(second) == {"cursor": ["a+b="], "limit": ["100"]}
