"""Recruiting applications and candidates: newest first, timestamps in every dialect.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
import pytest

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.settings import RECRUITING_TIMESTAMPS
from tools.personio_emulator.tests.helpers import (APPLICATIONS, CANDIDATES, CATEGORIES, RECRUITING_JOBS, client, get,
                                                   ids, instant, timestamp_form, timestamp_instant, walk)


# -- recruiting -------------------------------------------------------------------------------

class TestRecruiting:
    @pytest.mark.parametrize("path", [APPLICATIONS, CANDIDATES])
    def test_gt_xor_lt(self, personio_emulator, path):
        both = get(personio_emulator, path, **{"updated_at.gt": "2022-01-01T00:00:00Z",
                                               "updated_at.lt": "2030-01-01T00:00:00Z"})
        assert both.status_code == 400 and "Only one" in both.json()["errors"][0]["detail"]
        for op in ("gt", "lt"):
            assert get(personio_emulator, path, **{f"updated_at.{op}": "2024-01-01T00:00:00+01:00"}).status_code == 200

    @pytest.mark.parametrize("stream,path", [("recruiting_applications", APPLICATIONS),
                                             ("recruiting_candidates", CANDIDATES)])
    def test_newest_first_and_strict(self, personio_emulator, stream, path):
        emu = personio_emulator
        session = client(emu)
        records = walk(emu, path, session, limit=7)
        stamps = [emu.company.updated_us(stream, r["id"]) for r in records]
        assert stamps == sorted(stamps, reverse=True) and ids(records) == emu.company.ids(stream)
        [edge] = emu.company.update(stream, at="2024-03-01T12:00:00Z")
        newer = ids(walk(emu, path, session, **{"updated_at.gt": "2024-03-01T12:00:00Z"}))
        older = ids(walk(emu, path, session, **{"updated_at.lt": "2024-03-01T13:00:00+01:00"}))
        assert edge not in newer and edge not in older
        assert edge in ids(walk(emu, path, session, **{"updated_at.gt": "2024-03-01T11:59:59Z"}))
        assert all(emu.company.updated_us(stream, i) > emu.company.updated_us(stream, edge) for i in newer)

    @pytest.mark.parametrize("mode", RECRUITING_TIMESTAMPS)
    def test_timestamp_variants(self, make_personio_emulator, mode):
        emu = make_personio_emulator(recruiting_timestamps=mode)
        records = walk(emu, APPLICATIONS) + walk(emu, CANDIDATES)
        values = [r[name] for r in records for name in ("created_at", "updated_at")]
        forms = {timestamp_form(v) for v in values}
        assert forms == ({"string", "string_offset", "string_naive", "object", "object_naive"} if mode == "mixed"
                         else {mode})
        assert any("." in (v["date-time"] if isinstance(v, dict) else v) for v in values)  # fractions, often

    def test_every_form_is_the_same_instant(self, make_personio_emulator):
        """Given one company in each form, each timestamp is the company's exact instant: an object without offset
        is wall time in its own timezone, a string without offset is UTC."""
        instants = {}
        for mode in ("string", "string_offset", "string_naive", "object", "object_naive"):
            emu = make_personio_emulator(recruiting_timestamps=mode)
            instants[mode] = {r["id"]: timestamp_instant(r["updated_at"]) for r in walk(emu, APPLICATIONS)}
        for record_id, instant in instants["string"].items():
            assert instant == emu.company.updated_us("recruiting_applications", record_id)
            assert {instants[mode][record_id] for mode in instants} == {instant}

    def test_shapes(self, personio_emulator):
        emu = personio_emulator
        application = emu.company.records("recruiting_applications")[0]
        assert {"id", "candidate", "job", "status", "created_at", "updated_at"} <= set(application)
        assert set(emu.company.records("recruiting_candidates")[0]) == {
            "id", "first_name", "last_name", "email", "created_at", "updated_at"}
        assert set(get(emu, RECRUITING_JOBS).json()["_data"][0]) == {"id", "name", "status", "category", "created_at"}
        assert set(get(emu, CATEGORIES).json()["_data"][0]) == {"id", "name"}
        assert any("stage" not in a for a in emu.company.records("recruiting_applications"))
