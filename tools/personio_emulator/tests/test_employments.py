"""Employments: per-person lists, filters, whitelist, the one-record read.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
from tools.personio_emulator.generator import Generator
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import (client, employments_path, error_title, get, ids, instant,
                                                   person_with_two_employments, walk)
from tools.personio_emulator.times import render


# -- employments ------------------------------------------------------------------------------


class TestEmployments:
    def test_person_employment_ids_are_exactly_the_served_ones(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        session = client(emu)
        for person in walk(emu, "/v2/persons", session, limit=50):
            served = walk(emu, employments_path(emu, person["id"]), session)
            assert sorted(ids(served)) == sorted(e["id"] for e in person["employments"])
            assert all(e["person"]["id"] == person["id"] for e in served)

    def test_pagination_newest_first(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        person = person_with_two_employments(emu)
        session = client(emu)
        first = get(emu, employments_path(emu, person), session, limit=1).json()
        href = first["_meta"]["links"]["next"]["href"]
        second = session.get(href, timeout=5).json()
        assert "next" not in second["_meta"]["links"]
        stamps = [emu.company.updated_us("employments", r["id"]) for r in first["_data"] + second["_data"]]
        assert stamps == sorted(stamps, reverse=True) and len(stamps) == 2

    def test_a_cursor_belongs_to_its_person(self, make_personio_emulator):
        emu = make_personio_emulator(persons=60)
        person = person_with_two_employments(emu)
        other = next(p for p in emu.company.ids("persons") if p != person)
        session = client(emu)
        href = get(emu, employments_path(emu, person), session, limit=1).json()["_meta"]["links"]["next"]["href"]
        cursor = href.split("?", 1)[1]
        response = session.get(f"{emu.url}{employments_path(emu, other)}?{cursor}", timeout=5)
        assert response.status_code == 400 and "cursor" in response.json()["errors"][0]["detail"]

    def test_unknown_or_deleted_person_is_404(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.ids("persons")[0]
        assert get(emu, "/v2/persons/1/employments").status_code == 404
        assert get(emu, "/v2/persons/abc/employments").status_code == 404
        emu.company.delete("persons", person)
        response = get(emu, employments_path(emu, person))
        assert response.status_code == 404 and error_title(response) == "Not Found"

    def test_updated_at_filters_are_strict_and_exact(self, personio_emulator):
        emu = personio_emulator
        person = emu.company.ids("persons")[0]
        [employment] = emu.company.employments(person)
        edge = employment["updated_at"]
        path = employments_path(emu, person)
        session = client(emu)

        def served(**params):
            return ids(get(emu, path, session, **params).json()["_data"])
        assert served(**{"updated_at.gt": edge}) == [] and served(**{"updated_at.lt": edge}) == []
        assert served(updated_at=edge) == [employment["id"]]
        us = emu.company.updated_us("employments", employment["id"])
        assert served(**{"updated_at.gt": render(us - 1), "updated_at.lt": render(us + 1)}) == [employment["id"]]
        assert served(**{"updated_at.gt": render(us - 1, 120)}) == [employment["id"]]  # the same instant at +02:00
        assert served(updated_at=render(us, -300)) == [employment["id"]]

    def test_shape_and_references(self, make_personio_emulator):
        emu = make_personio_emulator(persons=80)
        records = emu.company.records("employments")
        persons = {p["id"]: p for p in emu.company.records("persons")}
        for e in records:
            assert e["updated_at"].endswith(("Z", "+00:00")) and e["created_at"].endswith(("Z", "+00:00"))
            assert instant(e["created_at"]) <= instant(e["updated_at"])
            assert e["status"] in ("ACTIVE", "INACTIVE", "ONBOARDING", "LEAVE", "UNSPECIFIED")
            assert e["org_units"][0]["type"] == "department"
            assert sum(c["weight"] for c in e["cost_centers"]) == 100
            assert e["supervisor"] is None or e["supervisor"]["id"] != e["person"]["id"]
        last = {}
        for e in records:
            last.setdefault(e["person"]["id"], []).append(e)
        for person_id, held in last.items():
            current = max(held, key=lambda e: e["employment_start_date"])
            if persons[person_id]["status"] == "INACTIVE":
                assert current["status"] == "INACTIVE" and current["termination"] is not None
        stamps = [e["updated_at"] for e in records]
        assert any("." in s for s in stamps) and any(s.endswith("+00:00") for s in stamps)


    def test_person_brief_replays_the_person(self):
        generator = Generator(3)
        for ordinal in range(500):
            person = generator.person_fields(generator.person_rng(ordinal), str(10_000_000 + ordinal))
            assert generator.person_brief(ordinal) == (len(person["employments"]), person["status"] == "INACTIVE")


class TestEmploymentWhitelist:
    def test_none_whitelisted_leaves_id_person_status_meta(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_employment_attributes=set())
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "person", "status", "_meta"}

    def test_some_whitelisted(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_employment_attributes={"office", "cost_centers", "updated_at"})
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "person", "status", "_meta", "office", "cost_centers", "updated_at"}

    def test_person_omitted_variant(self, make_personio_emulator):
        emu = make_personio_emulator(employment_person_omitted=True)
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert "person" not in record and "office" in record
        emu.settings.whitelisted_employment_attributes = set()
        [record] = get(emu, employments_path(emu)).json()["_data"]
        assert set(record) == {"id", "status", "_meta"}
