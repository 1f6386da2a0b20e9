"""Link writings and loop faults, on a windowed list (attendance periods), a per-person list (employments),
a per-month list (compensations) and a recruiting list. Each test reads Given / When / Then; every walk that
could loop is bounded."""
from typing import List, NamedTuple, Optional
from urllib.parse import unquote, urljoin, urlsplit

import pytest
import requests

from tools.personio_emulator import Fault
from tools.personio_emulator.__main__ import parser, settings_from
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import EmulatorSettings
from tools.personio_emulator.tests.helpers import a_month, client, ids, person_with_two_employments


class List_(NamedTuple):
    stream: str
    path: object  # emu -> path
    params: object  # emu -> the first page's filters
    limit: int


LISTS = [
    List_("attendance_periods", lambda emu: "/v2/attendance-periods",
          lambda emu: {"updated_at.gte": "2021-01-01T00:00:00", "updated_at.lte": "2030-01-01T00:00:00"}, 40),
    List_("employments", lambda emu: f"/v2/persons/{person_with_two_employments(emu)}/employments",
          lambda emu: {"updated_at.gt": "2000-01-01T00:00:00Z"}, 1),
    List_("compensations", lambda emu: "/v2/compensations", a_month, 7),
    List_("recruiting_applications", lambda emu: "/v2/recruiting/applications",
          lambda emu: {"updated_at.lt": "2099-01-01T00:00:00Z"}, 10),
]
LIST_IDS = [entry.stream for entry in LISTS]


class Page(NamedTuple):
    asked: str  # the URL requested
    ids: List[str]
    self: str
    next: Optional[str]


def cursor_of(href: Optional[str]) -> Optional[str]:
    """The cursor a link names, percent-decoded (a raw `+` stays a `+`), or None."""
    for part in urlsplit(href or "").query.split("&"):
        name, _, value = part.partition("=")
        if name == "cursor":
            return unquote(value)
    return None


def read(emu, entry: List_, hops: int, session=None, **settings) -> List[Page]:
    """A naive reader: the first page, then every next link as given (with `limit` added when the link has
    none, as the connector's paginator does), at most `hops` pages."""
    for name, value in settings.items():
        setattr(emu.settings, name, value)
    session = session or client(emu)
    url = emu.url + entry.path(emu)
    response = session.get(url, params={**entry.params(emu), "limit": entry.limit}, timeout=5)
    pages = []
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        links = body["_meta"]["links"]
        nxt = (links.get("next") or {}).get("href")
        pages.append(Page(response.url, ids(body["_data"]), links["self"]["href"], nxt))
        if nxt is None or len(pages) >= hops:
            return pages
        extra = {} if "limit=" in nxt else {"limit": entry.limit}
        response = session.get(urljoin(emu.url, nxt), params=extra, timeout=5)


def every_id(emu, entry: List_) -> List[str]:
    return [i for page in read(emu, entry, 1000, client(emu)) for i in page.ids]


@pytest.fixture(params=LISTS, ids=LIST_IDS)
def listed(request, make_personio_emulator):
    """(emulator, list): a small company whose list has several pages at the list's limit (employments:
    two, the most a person has; the others three or more)."""
    emu = make_personio_emulator(persons=60, compensation_months=3)
    entry = request.param
    assert len(read(emu, entry, 1000)) >= (2 if entry.stream == "employments" else 3)
    return emu, entry


# -- link writings ---------------------------------------------------------------------------------------

class TestLinkWritings:
    @pytest.mark.parametrize("next_link,query_start", [("cursor", "cursor="), ("cursor_limit", "cursor="),
                                                       ("limit_cursor", "limit=")])
    @pytest.mark.parametrize("escaping", ["percent", "raw"])
    @pytest.mark.parametrize("relative", [False, True])
    def test_every_writing_walks_every_record_once(self, listed, next_link, query_start, escaping, relative):
        emu, entry = listed
        expected = every_id(emu, entry)
        pages = read(emu, entry, 1000, next_link=next_link, link_cursor_escaping=escaping, relative_next_links=relative)
        assert [i for page in pages for i in page.ids] == expected
        href = pages[0].next
        assert href.startswith(("" if relative else emu.url) + entry.path(emu) + "?" + query_start)
        assert ("&limit=" in href) == (next_link == "cursor_limit")
        assert ("?limit=" in href) == (next_link == "limit_cursor")
        escaped = "%2B" in href and "%2F" in href and "%3D" in href
        assert escaped == (escaping == "percent") and ("+" in href) == (escaping == "raw")

    def test_self_echoes_the_request_or_carries_the_cursor_alone(self, listed):
        emu, entry = listed
        echoed = read(emu, entry, 2)
        assert echoed[1].self == echoed[1].asked  # cursor and limit, as sent
        assert "limit=" in echoed[1].self and "limit=" not in echoed[0].next
        pages = read(emu, entry, 2, self_link="cursor")
        assert urlsplit(pages[1].self).query == "cursor=" + urlsplit(pages[0].next).query.split("cursor=")[1]
        session = client(emu)
        for page in pages:  # the first page's self is a cursor that leads to it too
            assert urlsplit(page.self).query.startswith("cursor=")
            again = session.get(urljoin(emu.url, page.self), params={"limit": entry.limit}, timeout=5).json()
            assert ids(again["_data"]) == page.ids

    def test_a_raw_plus_is_read_back_only_when_links_are_raw(self, make_personio_emulator):
        emu = make_personio_emulator(link_cursor_escaping="raw")
        session = client(emu)
        body = session.get(emu.url + "/v2/persons", params={"limit": 5}, timeout=5).json()
        href = body["_meta"]["links"]["next"]["href"]
        assert "+" in cursor_of(href) and "%" not in href
        assert session.get(href, timeout=5).status_code == 200  # `+` arrives as a space and is read as `+`
        emu.settings.link_cursor_escaping = "percent"
        assert session.get(href, timeout=5).status_code == 400  # as strict as before for percent-encoded links

    def test_a_page_cap_sends_short_pages_that_link_on(self, listed):
        emu, entry = listed
        expected = every_id(emu, entry)
        emu.settings.page_cap = {entry.stream: 1}
        pages = read(emu, entry, 1000, next_link="cursor_limit")
        assert [len(page.ids) for page in pages] == [1] * len(expected)
        assert [i for page in pages for i in page.ids] == expected
        assert f"&limit={entry.limit}" in pages[0].next  # the limit asked rides on; the cap is the server's

    def test_the_admin_endpoint_sets_the_writings(self, personio_emulator):
        emu = personio_emulator
        patch = {"next_link": "limit_cursor", "link_cursor_escaping": "raw", "page_cap": {"persons": 2}}
        assert requests.post(emu.url + "/_emulator/settings", json=patch, timeout=5).status_code == 200
        body = client(emu).get(emu.url + "/v2/persons", params={"limit": 5}, timeout=5).json()
        assert len(body["_data"]) == 2
        assert body["_meta"]["links"]["next"]["href"].startswith(emu.url + "/v2/persons?limit=5&cursor=+/")
        refused = requests.post(emu.url + "/_emulator/settings", json={"self_link": "both"}, timeout=5)
        assert refused.status_code == 400 and emu.settings.self_link == "echo"

    def test_settings_refuse_unknown_writings_and_the_cli_sets_them(self):
        for name in ("self_link", "next_link", "link_cursor_escaping"):
            with pytest.raises(ValueError):
                EmulatorSettings(**{name: "sideways"})
        with pytest.raises(ValueError):
            EmulatorSettings(page_cap={"employments": 0})
        with pytest.raises(ValueError, match="not paged"):  # Personio sends every transition in one answer
            EmulatorSettings(page_cap={"recruiting_application_stage_transitions": 1})
        settings = settings_from(parser().parse_args(["--self-link", "cursor", "--next-link", "limit_cursor",
                                                      "--link-cursor-escaping", "raw", "--relative-next-links",
                                                      "--page-cap", "employments=1"]))
        assert settings.page_cap == {"employments": 1}
        assert (settings.self_link, settings.next_link, settings.link_cursor_escaping) == ("cursor", "limit_cursor", "raw")
        assert settings.relative_next_links


# -- loop faults -----------------------------------------------------------------------------------------

def fault(emu, kind: str, entry: List_, **options) -> Fault:
    return emu.add_fault(Fault(kind, stream=entry.stream, **options))


def looped(listed, kind: str):
    """(emulator, list, every id in order, the pages read) with one `kind` loop fault on the list."""
    emu, entry = listed
    expected = every_id(emu, entry)
    fault(emu, kind, entry)
    return emu, entry, expected, read(emu, entry, 1000)


class TestNextRepeat:
    def test_a_first_page_links_to_its_filters_reordered_without_limit(self, listed):
        emu, entry, expected, pages = looped(listed, "next_repeat")
        first, again = pages[0], pages[1]
        assert cursor_of(first.next) is None and "limit=" not in first.next and first.next != first.self
        sent = list(entry.params(emu))
        written = [part.split("=")[0] for part in urlsplit(first.next).query.split("&")]
        assert written == sent[::-1]
        assert again.ids == first.ids  # the page just read, again
        assert [i for page in pages[1:] for i in page.ids] == expected  # count 1: then it goes on

    def test_a_later_page_links_to_its_own_cursor_for_as_long_as_it_fires(self, listed):
        emu, entry = listed
        fault(emu, "next_repeat", entry, after=1, count=None)
        pages = read(emu, entry, 6, link_cursor_escaping="raw")
        second = pages[1]
        assert cursor_of(second.next) == cursor_of(second.asked) and second.next != second.self
        assert all(page.ids == second.ids and page.next == second.next for page in pages[2:])
        assert len(pages) == 6  # a naive reader never gets out


    def test_an_empty_page_is_not_looped(self, personio_emulator):
        emu = personio_emulator
        rule = emu.add_fault(Fault("next_repeat", stream="attendance_periods"))
        empty = {"updated_at.gte": "2000-01-01T00:00:00", "updated_at.lte": "2000-12-31T00:00:00"}
        body = client(emu).get(emu.url + "/v2/attendance-periods", params=empty, timeout=5).json()
        assert body["_data"] == [] and "next" not in body["_meta"]["links"] and rule.fired == 0


class TestNextBack:
    def test_a_goes_on_to_b_and_b_leads_back_to_a(self, listed):
        emu, entry, expected, pages = looped(listed, "next_back")
        a, b, a_again = pages[0], pages[1], pages[2]
        assert b.ids == expected[len(a.ids):len(a.ids) + len(b.ids)]  # B is the page after A
        assert a_again.ids == a.ids and cursor_of(b.next) is None  # back to A's filters: A was a first page
        assert [i for page in pages[2:] for i in page.ids] == expected  # count 1: then it goes on

    @pytest.mark.parametrize("entry", [e for e in LISTS if e.stream != "employments"],
                             ids=[s for s in LIST_IDS if s != "employments"])
    def test_with_count_none_the_cycle_never_ends_and_b_names_a_cursor(self, make_personio_emulator, entry):
        """A is a second page (reached by a cursor), so B's link back names A's cursor; employments have no
        person with three pages, so they are left out here."""
        emu = make_personio_emulator(persons=60, compensation_months=3)
        fault(emu, "next_back", entry, after=1, count=None)
        pages = read(emu, entry, 8, relative_next_links=True, next_link="limit_cursor")
        a, b = pages[1], pages[2]
        assert cursor_of(b.next) == cursor_of(a.asked) and b.next.startswith(entry.path(emu) + "?limit=")
        assert [page.ids for page in pages[1:7]] == [a.ids, b.ids] * 3
        assert len(pages) == 8


class TestLastPageLoops:
    def test_the_last_page_leads_back_to_itself_and_then_links_to_itself_for_good(self, listed):
        emu, entry = listed
        plain = read(emu, entry, 1000)
        fault(emu, "last_page_loops", entry)
        pages = read(emu, entry, len(plain) + 5)
        last = pages[len(plain) - 1]
        assert [p.ids for p in pages[:len(plain)]] == [p.ids for p in plain]
        assert last.next is not None and "limit=" not in last.next  # the cursor alone
        looped = pages[len(plain):]
        assert all(page.ids == last.ids for page in looped) and len(looped) == 5
        assert all(page.next == looped[0].asked.replace(f"&limit={entry.limit}", "") for page in looped)
        assert all(page.self == page.asked != page.next for page in looped)  # self echoes cursor and limit


class TestRepeatForever:
    def test_each_next_link_is_a_new_cursor_serving_the_same_records(self, listed):
        emu, entry = listed
        fault(emu, "repeat_forever", entry, after=1)
        pages = read(emu, entry, 7, self_link="cursor")
        firing = pages[1]
        cursors = [cursor_of(page.next) for page in pages[1:]]
        assert len(set(cursors)) == len(cursors) and cursor_of(firing.asked) not in cursors
        assert all(page.ids == firing.ids for page in pages[2:]) and len(pages) == 7


def test_loop_kinds_are_known_to_the_parser():
    for kind in ("next_repeat", "next_back", "last_page_loops", "repeat_forever"):
        assert Fault.parse(f"{kind}:attendance_periods:0:all").count is None
