"""No pagination shape can make a sync run forever, and a refused stream is asked once.

Pages are served by `_Site`, which answers from a table keyed by the page a request names (its cursor, or its path
and filters), so a test states the links as a server wrote them, in any spelling, and reads back the raw requests.
"""
from typing import Any, Dict, List, Optional
from unittest import TestCase
from urllib.parse import unquote, urlsplit

import requests_mock
from airbyte_cdk.models import FailureType, SyncMode
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, read_streams, records_of, states_of, stream_errors
from .request_builder import ACCESS_TOKEN, API_URL
from .response_builder import (
    PageBuilder,
    attendance_period,
    compensation,
    employment,
    person,
    recruiting_application,
)

_NOW = "2024-03-01T00:00:00Z"
_ATTENDANCE = "/v2/attendance-periods"
_FIRST_ATTENDANCE_PAGE = ("first", _ATTENDANCE)
# A cursor as Personio makes them, holding the characters links may or may not escape.
_C1 = "c1+/x="
_C1_ESCAPED = "c1%2B%2Fx%3D"


class _Site:
    """Answers GETs from `pages`: a cursor -> page body, or ("first", path) -> the body of a request without cursor.
    Any other cursor is a 404 naming it, so a test cannot pass on a request it did not plan."""

    def __init__(self, mocker: requests_mock.Mocker, pages: Dict[Any, Dict[str, Any]]) -> None:
        self.pages = pages
        self.requests: List[str] = []
        mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
        mocker.get(requests_mock.ANY, json=self._answer)

    def _answer(self, request: Any, context: Any) -> Dict[str, Any]:
        parts = urlsplit(request.url)
        self.requests.append(f"{parts.path}?{parts.query}")
        cursor = self.cursor_of(parts.query)
        key = cursor if cursor is not None else ("first", parts.path)
        if key not in self.pages:
            context.status_code = 404
            return {"errors": [{"title": "Not Found", "detail": f"no page {key!r} in this test"}]}
        return self.pages[key]

    @staticmethod
    def cursor_of(query: str) -> Optional[str]:
        for pair in query.split("&"):
            name, _, value = pair.partition("=")
            if name == "cursor":
                return unquote(value)
        return None

    def requests_to(self, path: str) -> List[str]:
        return [request for request in self.requests if request.split("?")[0] == path]


def _page(stream: str, *records: Any, next_link: Optional[str] = None, self_link: Optional[str] = None) -> Dict[str, Any]:
    page = PageBuilder.for_stream(stream).with_records(records)
    if next_link:
        page = page.with_next_link(next_link)
    if self_link:
        page = page.with_self_link(self_link)
    return page.build_body()


def _attendance(*ids: str, next_link: Optional[str] = None, self_link: Optional[str] = None) -> Dict[str, Any]:
    return _page("attendance_periods", *(attendance_period(i) for i in ids), next_link=next_link, self_link=self_link)


def _loop_error(output: Any, stream: str) -> str:
    errors = stream_errors(output)
    assert stream in errors, f"{stream} did not fail: {errors}"
    message = errors[stream][0].message
    assert "loop" in message and stream in message, message
    assert errors[stream][0].failure_type == FailureType.system_error
    return message


@freeze_time(_NOW)
class TestALinkBackToAPageAlreadyRead(TestCase):
    """A next link that leads to a page this window already read stops the window loudly, before the page is asked
    again, however the link is written: the page is named by its percent-decoded cursor (or, without a cursor, by its
    path and every parameter but `limit`). Finished windows keep their state; nothing read is withheld."""

    def test_the_independent_servers_shape_self_echoing_limit_next_carrying_the_cursor_alone(self) -> None:
        # Given a last page whose next link names it by its cursor alone, while its self link echoes cursor and limit
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", next_link=f"{API_URL}{_ATTENDANCE}?cursor={_C1_ESCAPED}"),
                _C1: _attendance("t-2", self_link=f"{API_URL}{_ATTENDANCE}?cursor={_C1_ESCAPED}&limit=100",
                                 next_link=f"{API_URL}{_ATTENDANCE}?cursor={_C1_ESCAPED}"),
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then the manifest's own check sees it on the page (self and next name one cursor) and fails the window
        # there: the looping page's record is left to the next sync, which reads the unfinished window again
        assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1"]
        assert "points at the page just read" in _loop_error(output, "attendance_periods")
        assert len(site.requests_to(_ATTENDANCE)) == 2

    def test_every_spelling_of_the_same_cursor_is_the_same_page(self) -> None:
        spellings = {
            "absolute": f"{API_URL}{_ATTENDANCE}?cursor={_C1_ESCAPED}",
            "relative": f"{_ATTENDANCE}?cursor={_C1_ESCAPED}",
            "with limit": f"{_ATTENDANCE}?cursor={_C1_ESCAPED}&limit=100",
            "limit first": f"{API_URL}{_ATTENDANCE}?limit=100&cursor={_C1_ESCAPED}",
            "raw + / =": f"{_ATTENDANCE}?cursor={_C1}",
            "lower-case escapes": f"{_ATTENDANCE}?cursor={_C1_ESCAPED.lower()}",
        }
        for name, repeat in spellings.items():
            with self.subTest(name), requests_mock.Mocker() as mocker:
                # Given a second page whose next link names it again, with no self link to compare against
                site = _Site(mocker, {
                    _FIRST_ATTENDANCE_PAGE: _attendance("t-1", next_link=f"{_ATTENDANCE}?cursor={_C1_ESCAPED}"),
                    _C1: _attendance("t-2", next_link=repeat),
                })

                # When
                output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

                # Then the page is not asked a second time
                assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1", "t-2"]
                assert "leads back to a page already read" in _loop_error(output, "attendance_periods")
                assert len(site.requests_to(_ATTENDANCE)) == 2

    def test_a_cycle_of_two_pages_is_stopped_before_the_first_is_asked_again(self) -> None:
        # Given first -> c1 -> c2 -> c1
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", next_link=f"{_ATTENDANCE}?cursor=c1"),
                "c1": _attendance("t-2", next_link=f"{_ATTENDANCE}?cursor=c2"),
                "c2": _attendance("t-3", next_link=f"{API_URL}{_ATTENDANCE}?cursor=c1&limit=100"),
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1", "t-2", "t-3"]
        assert "cursor=c1" in _loop_error(output, "attendance_periods")
        assert [_Site.cursor_of(r.split("?")[1]) for r in site.requests_to(_ATTENDANCE)] == [None, "c1", "c2"]

    def test_a_link_back_to_the_windows_first_page_with_its_filters_reordered_is_a_repeat(self) -> None:
        # Given a second page linking to the window's first request: no cursor, `limit` first, the colon escaped
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", next_link=f"{_ATTENDANCE}?cursor=c1"),
                "c1": _attendance("t-2", next_link=f"{_ATTENDANCE}?limit=100&updated_at.gte=2024-01-01T00%3A00%3A00"),
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then
        _loop_error(output, "attendance_periods")
        assert len(site.requests_to(_ATTENDANCE)) == 2

    def test_distinct_cursors_in_mixed_spellings_are_all_followed(self) -> None:
        # Given four pages whose links differ in every way but name different cursors (no false alarm)
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", next_link=f"{API_URL}{_ATTENDANCE}?cursor=a%2Bb"),
                "a+b": _attendance("t-2", next_link=f"{_ATTENDANCE}?limit=100&cursor=a%2Fb"),
                "a/b": _attendance("t-3", next_link=f"{_ATTENDANCE}?cursor=a%3Db&limit=100"),
                "a=b": _attendance("t-4"),
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build())

        # Then
        assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1", "t-2", "t-3", "t-4"]
        assert not output.errors
        assert len(site.requests_to(_ATTENDANCE)) == 4

    def test_finished_windows_keep_their_state_when_a_later_window_loops(self) -> None:
        # Given 30-day windows read one at a time: January's window is clean, the next one loops
        def window_pages(request: Any, context: Any) -> Dict[str, Any]:
            query = urlsplit(request.url).query
            cursor = _Site.cursor_of(query)
            if cursor == "loop":
                return _attendance("t-feb-2", next_link=f"{_ATTENDANCE}?cursor=loop&limit=100")
            if "updated_at.gte=2024-01-01" in unquote(query):
                return _attendance("t-jan")
            return _attendance("t-feb", next_link=f"{_ATTENDANCE}?cursor=loop")

        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}{_ATTENDANCE}", json=window_pages)
            config = ConfigBuilder().with_window_size_days(30).with_num_workers(1).build()

            # When
            output = read_stream("attendance_periods", config, expect_failure=True)

        # Then January's window is checkpointed as a finished range, and no range reaches into the window that looped
        _loop_error(output, "attendance_periods")
        states = states_of(output, "attendance_periods")
        assert states, "no state was saved"
        finished = [(r["start"], r["end"]) for r in states[-1]["slices"]]
        assert finished and finished[0][0] < "2024-01-01T00:00:01Z" <= finished[0][1], finished
        assert all(end < "2024-01-31" for _, end in finished), finished


@freeze_time(_NOW)
class TestNewCursorsOverRecordsAlreadyRead(TestCase):
    """A page whose records this window has all delivered already, under a cursor never seen before, is a loop that
    mints new cursors: the window stops loudly there, so every window is bounded by the pages that bring something
    new. A page that repeats some records but brings at least one new one is followed."""

    def test_a_page_of_repeats_under_a_new_cursor_stops_the_window_without_emitting_them(self) -> None:
        # Given a server that serves the same two records again under ever new cursors
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", "t-2", next_link=f"{_ATTENDANCE}?cursor=n1"),
                **{f"n{i}": _attendance("t-2", "t-1", next_link=f"{_ATTENDANCE}?cursor=n{i + 1}") for i in range(1, 50)},
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build(), expect_failure=True)

        # Then
        assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1", "t-2"]
        assert "only records already read" in _loop_error(output, "attendance_periods")
        assert len(site.requests_to(_ATTENDANCE)) == 2

    def test_a_page_that_repeats_some_records_but_brings_a_new_one_is_followed(self) -> None:
        # Given a second page overlapping the first by one record (a record that moved while paging)
        with requests_mock.Mocker() as mocker:
            _Site(mocker, {
                _FIRST_ATTENDANCE_PAGE: _attendance("t-1", "t-2", next_link=f"{_ATTENDANCE}?cursor=c1"),
                "c1": _attendance("t-2", "t-3"),
            })

            # When
            output = read_stream("attendance_periods", ConfigBuilder().build())

        # Then every record is delivered (the repeat too: the primary key deduplicates it downstream)
        assert [r["id"] for r in records_of(output, "attendance_periods")] == ["t-1", "t-2", "t-2", "t-3"]
        assert not output.errors

    def test_open_ended_recruiting_lists_stop_on_repeats_too(self) -> None:
        with requests_mock.Mocker() as mocker:
            path = "/v2/recruiting/applications"
            site = _Site(mocker, {
                ("first", path): _page("recruiting_applications", recruiting_application(2), recruiting_application(1),
                                       next_link=f"{path}?cursor=r1"),
                **{f"r{i}": _page("recruiting_applications", recruiting_application(1), recruiting_application(2),
                                  next_link=f"{API_URL}{path}?cursor=r{i + 1}&limit=200") for i in range(1, 50)},
            })

            # When
            output = read_stream("recruiting_applications", ConfigBuilder().build(), SyncMode.full_refresh, expect_failure=True)

        # Then
        assert [r["id"] for r in records_of(output, "recruiting_applications")] == [2, 1]
        _loop_error(output, "recruiting_applications")
        assert len(site.requests_to(path)) == 2


@freeze_time(_NOW)
class TestLoopsInPerParentAndMonthlyStreams(TestCase):
    """Each parent and each month is a window of its own: a loop stops that one, and the others are read."""

    def test_an_employments_cycle_stops_that_persons_list_and_the_other_persons_are_read(self) -> None:
        # Given two persons; the first one's employments go first -> e1 -> e2 -> e1
        first_path, second_path = "/v2/persons/1001/employments", "/v2/persons/1002/employments"
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                ("first", "/v2/persons"): _page("persons", person("1001"), person("1002")),
                ("first", first_path): _page("employments", employment("e-1", "1001"), next_link=f"{first_path}?cursor=e1"),
                "e1": _page("employments", employment("e-2", "1001"), next_link=f"{API_URL}{first_path}?cursor=e2"),
                "e2": _page("employments", employment("e-3", "1001"), next_link=f"{first_path}?limit=50&cursor=e1"),
                ("first", second_path): _page("employments", employment("e-9", "1002")),
            })
            config = ConfigBuilder().with_num_workers(1).build()

            # When
            output = read_stream("employments", config, SyncMode.full_refresh, expect_failure=True)

        # Then
        assert sorted(r["id"] for r in records_of(output, "employments")) == ["e-1", "e-2", "e-3", "e-9"]
        _loop_error(output, "employments")
        assert len(site.requests_to(first_path)) == 3
        assert len(site.requests_to(second_path)) == 1

    def test_a_loop_in_the_persons_list_that_employments_starts_from_is_stopped(self) -> None:
        # Given the unwindowed persons list (employments' parent) going first -> p1 -> p1, written with `limit`
        with requests_mock.Mocker() as mocker:
            site = _Site(mocker, {
                ("first", "/v2/persons"): _page("persons", person("1001"), next_link="/v2/persons?cursor=p1"),
                "p1": _page("persons", person("1002"), next_link=f"{API_URL}/v2/persons?limit=50&cursor=p1"),
                ("first", "/v2/persons/1001/employments"): _page("employments", employment("e-1", "1001")),
                ("first", "/v2/persons/1002/employments"): _page("employments", employment("e-2", "1002")),
            })

            # When
            output = read_stream("employments", ConfigBuilder().build(), SyncMode.full_refresh, expect_failure=True)

        # Then the persons list is not asked again, and the sync ends failed, saying why
        assert len(site.requests_to("/v2/persons")) == 2
        assert any("loop" in error.trace.error.message for error in output.errors), [e.trace.error.message for e in output.errors]

    def test_a_compensations_month_that_loops_stops_and_the_other_months_are_read(self) -> None:
        # Given January's pages going first -> m1 -> m2 -> m1; February (up to today, the 1st of March) is clean
        def months(request: Any, context: Any) -> Dict[str, Any]:
            query = unquote(urlsplit(request.url).query)
            cursor = _Site.cursor_of(query)
            if cursor == "m1":
                return _page("compensations", compensation("c-2"), next_link="/v2/compensations?cursor=m2")
            if cursor == "m2":
                return _page("compensations", compensation("c-3"), next_link="/v2/compensations?cursor=m1&limit=100")
            if "start_date=2024-01-01" in query:
                return _page("compensations", compensation("c-1"), next_link="/v2/compensations?cursor=m1")
            return _page("compensations", compensation("c-" + query.split("start_date=")[1][:7]))

        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/compensations", json=months)

            # When
            output = read_stream("compensations", ConfigBuilder().build(), SyncMode.full_refresh, expect_failure=True)
            asked = [unquote(urlsplit(r.url).query) for r in mocker.request_history if r.method == "GET"]

        # Then
        _loop_error(output, "compensations")
        assert sorted((r["id"], r["month"]) for r in records_of(output, "compensations")) == [
            ("c-1", "2024-01"), ("c-2", "2024-01"), ("c-2024-02", "2024-02"), ("c-3", "2024-01"),
        ]
        assert sum("cursor=m1" in query for query in asked) == 1


@freeze_time(_NOW)
class TestARefusedStreamIsAskedOnce(TestCase):
    """A stream that Personio refuses (403 scope, 404 module) fails alone after ONE refused request, however many
    windows, months or parents it has; its message is reported once; the other streams are read."""

    def test_compensations_without_the_scope_make_one_request_not_one_per_month(self) -> None:
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/compensations", status_code=403,
                       json={"errors": [{"title": "Forbidden", "detail": "Insufficient access scope."}]})
            mocker.get(f"{API_URL}{_ATTENDANCE}", json=_attendance("t-1"))
            config = ConfigBuilder().with_start_date("2021-01-01T00:00:00Z").build()  # 39 months

            # When
            output = read_streams(["compensations", "attendance_periods"], config, expect_failure=True)
            asked = [r for r in mocker.request_history if r.method == "GET" and r.path == "/v2/compensations"]

        # Then
        assert len(asked) == 1
        errors = stream_errors(output)
        assert set(errors) == {"compensations"}
        assert len(errors["compensations"]) == 1
        assert errors["compensations"][0].failure_type == FailureType.config_error
        assert "personio:compensations:read" in errors["compensations"][0].message
        assert {r["id"] for r in records_of(output, "attendance_periods")} == {"t-1"}  # each yearly window answered

    def test_employments_without_access_make_one_per_person_request_not_one_per_person(self) -> None:
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}/v2/persons", json=_page("persons", *(person(str(1000 + i)) for i in range(20))))
            for i in range(20):
                mocker.get(f"{API_URL}/v2/persons/{1000 + i}/employments", status_code=403,
                           json={"errors": [{"title": "Forbidden", "detail": "Insufficient access scope."}]})

            # When
            output = read_stream("employments", ConfigBuilder().build(), SyncMode.full_refresh, expect_failure=True)
            asked = [r for r in mocker.request_history if r.method == "GET" and r.path.endswith("/employments")]

        # Then
        assert len(asked) == 1
        assert len(stream_errors(output)["employments"]) == 1

    def test_a_stream_whose_first_window_succeeds_reads_every_window(self) -> None:
        # Given 30-day windows, each answered: the first answer opens the gate for the others
        with requests_mock.Mocker() as mocker:
            mocker.post(f"{API_URL}/v2/auth/token", json={"access_token": ACCESS_TOKEN, "expires_in": 86400})
            mocker.get(f"{API_URL}{_ATTENDANCE}", json=_attendance())
            config = ConfigBuilder().with_start_date("2023-01-01T00:00:00Z").with_window_size_days(30).build()

            # When
            output = read_stream("attendance_periods", config)
            asked = [r for r in mocker.request_history if r.method == "GET"]

        # Then every window of the 14 months was asked once
        assert not output.errors
        assert len(asked) == 15
