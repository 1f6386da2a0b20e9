"""The small lists: org units, legal entities, workplaces, cost centers, jobs, bands, types, projects.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import pytest

from tools.personio_emulator.generator import Generator
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import COST_CENTERS, JOBS, LEGAL, ORG, PROJECTS, TYPES, WORKPLACES, ids, walk


# -- the small lists --------------------------------------------------------------------------

class TestCatalogs:
    def test_absence_types_and_projects_are_the_generated_ids(self, personio_emulator):
        emu = personio_emulator
        generator = Generator(emu.settings.seed, emu.settings.data_end)
        types = walk(emu, TYPES)
        assert ids(types) == generator.absence_types
        assert all(t["category"] == t["category"].upper() and t["unit"] in ("DAY", "HOUR") for t in types)
        projects = walk(emu, PROJECTS, limit=3)
        assert ids(projects) == generator.projects
        assert set(projects[0]) == {"id", "name", "project_code", "client_name", "billable", "status", "cost_center",
                                    "parent_project", "created_at", "updated_at"}

    def test_org_unit_trees_and_parent_chain(self, make_personio_emulator):
        emu = make_personio_emulator(persons=300)
        departments = walk(emu, ORG, type="department", include_parent_chain="true")
        teams = walk(emu, ORG, type="team")
        assert all(u["type"] == "department" and (u["parent"] is None or u["parent"]["type"] == "department")
                   for u in departments)
        assert all(u["type"] == "team" and (u["parent"] is None or u["parent"]["type"] == "team") for u in teams)
        assert any(u["parent"] is None for u in teams) and any(u["parent"] for u in teams)
        assert all("parent_chain" not in u for u in teams)
        by_id = {u["id"]: u for u in departments}
        for unit in departments:
            chain, parent = [], unit["parent"]
            while parent:
                chain.append(parent["id"])
                parent = by_id[parent["id"]]["parent"]
            assert unit["parent_chain"] == chain
        assert all(u["id"].isdigit() for u in departments + teams)

    @pytest.mark.parametrize("collide", [False, True])
    def test_org_unit_ids_may_collide(self, make_personio_emulator, collide):
        emu = make_personio_emulator(org_unit_ids_collide=collide)
        shared = set(ids(walk(emu, ORG, type="department"))) & set(ids(walk(emu, ORG, type="team")))
        assert bool(shared) == collide

    def test_legal_entities_newest_first_and_filters(self, make_personio_emulator):
        emu = make_personio_emulator(legal_entities=5)
        entities = walk(emu, LEGAL, limit=2)
        assert [e["created_at"] for e in entities] == sorted((e["created_at"] for e in entities), reverse=True)
        assert ids(walk(emu, LEGAL, country="GB,ES")) == [e["id"] for e in entities if e["country"] in ("GB", "ES")]
        assert ids(walk(emu, LEGAL, id=entities[1]["id"])) == [entities[1]["id"]]

    @pytest.mark.parametrize("path", [WORKPLACES, COST_CENTERS, JOBS])
    def test_id_name_and_sort(self, make_personio_emulator, path):
        emu = make_personio_emulator(persons=400)
        records = walk(emu, path, limit=3)
        numbers = [int(i) if i.isdigit() else i for i in ids(records)]  # job ids are UUIDs
        assert numbers == sorted(numbers, reverse=path == JOBS)  # jobs: id descending by default
        by_name = walk(emu, path, sort="-name")
        assert [r["name"] for r in by_name] == sorted((r["name"] for r in records), reverse=True)
        assert ids(walk(emu, path, sort="id")) == sorted(ids(records), key=lambda i: int(i) if i.isdigit() else i)
        assert ids(walk(emu, path, name=records[1]["name"])) == [records[1]["id"]]
        assert ids(walk(emu, path, id=f"{records[0]['id']},{records[2]['id']}")) == [records[0]["id"], records[2]["id"]]
