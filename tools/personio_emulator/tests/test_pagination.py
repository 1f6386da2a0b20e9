"""Pagination of the indexed lists: cursors, windows, order.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import requests

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import ABSENCES, ATTENDANCES, PERSONS, client, follow, get, ids, walk


# -- pagination -------------------------------------------------------------------------------

class TestPagination:
    def test_walk_returns_every_record_once_in_updated_at_order(self, personio_emulator):
        emu = personio_emulator
        for path, stream, limit in ((PERSONS, "persons", 7), (ATTENDANCES, "attendance_periods", 13)):
            assert ids(walk(emu, path, limit=limit)) == emu.company.ids(stream)

    def test_cursor_holds_plus_slash_equals_and_is_url_encoded(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        href = get(emu, ATTENDANCES, session, limit=5).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(emu.url + ATTENDANCES + "?cursor=")
        assert "%2B" in href and "%2F" in href and "%3D" in href and "+" not in href
        assert session.get(href, timeout=5).status_code == 200
        raw = requests.utils.unquote(href.split("cursor=")[1])
        broken = session.get(f"{emu.url}{ATTENDANCES}?cursor={raw}", timeout=5)  # `+` unescaped reads as space
        assert broken.status_code == 400 and "cursor" in broken.json()["errors"][0]["detail"]

    def test_last_page_has_no_next_and_self_link(self, personio_emulator):
        body = get(personio_emulator, ABSENCES, limit=100).json()
        assert "next" not in body["_meta"]["links"]
        assert body["_meta"]["links"]["self"]["href"] == personio_emulator.url + ABSENCES + "?limit=100"

    def test_relative_next_links(self, make_personio_emulator):
        emu = make_personio_emulator(relative_next_links=True)
        href = get(emu, PERSONS).json()["_meta"]["links"]["next"]["href"]
        assert href.startswith(PERSONS + "?cursor=")
        assert len(walk(emu, PERSONS)) == emu.company.size("persons")

    def test_filters_next_to_a_cursor_are_400_and_counted(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        window = {"updated_at.gte": "2021-01-01T00:00:00", "limit": 5}
        href = get(emu, ATTENDANCES, session, **window).json()["_meta"]["links"]["next"]["href"]
        response = session.get(href, params={"updated_at.gte": "2021-01-01T00:00:00"}, timeout=5)
        assert response.status_code == 400 and emu.stats.filters_with_cursor == 1
        assert session.get(href, params={"limit": 7}, timeout=5).status_code == 200  # limit may ride along

    def test_cursor_keeps_the_window_and_position_across_changes(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        window = {"updated_at.gte": "2021-01-01T00:00:00", "updated_at.lte": "2023-12-31T23:59:59"}
        expected = emu.company.records("attendance_periods")
        expected = [r["id"] for r in expected if "2021" <= r["updated_at"][:4] <= "2023"]
        first = get(emu, ATTENDANCES, session, limit=10, **window).json()
        emu.company.update("attendance_periods", record_id=first["_data"][0]["id"])  # moves to now: out of the window
        rest = follow(emu, session, first["_meta"]["links"]["next"]["href"])
        assert ids(first["_data"]) + ids(rest) == expected

    def test_attendance_sort(self, personio_emulator):
        records = walk(personio_emulator, ATTENDANCES, limit=17, sort="person.id,-start.date_time")
        keys = [(int(r["person"]["id"]), r["start"]["date_time"]) for r in records]
        assert keys == sorted(keys, key=lambda k: (k[0], [-ord(c) for c in k[1]]))
        assert len(records) == personio_emulator.company.size("attendance_periods")
        assert get(personio_emulator, ATTENDANCES, sort="salary").status_code == 400
