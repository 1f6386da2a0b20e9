"""Records of the indexed lists: shapes, whitelisting, the generated company.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
from datetime import datetime, timezone
import json

from tools.personio_emulator.company import Company
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import ATTENDANCES, PERSONS, client, get, ids, walk


# -- records ----------------------------------------------------------------------------------

class TestWhitelisting:
    def test_none_whitelisted_leaves_id_employments_meta(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_person_attributes=set())
        for person in walk(emu, PERSONS):
            assert set(person) == {"id", "employments", "_meta"}

    def test_some_whitelisted(self, make_personio_emulator):
        emu = make_personio_emulator(whitelisted_person_attributes={"first_name", "email", "dynamic_305"})
        person = get(emu, PERSONS).json()["_data"][0]
        assert set(person) == {"id", "first_name", "email", "custom_attributes", "employments", "_meta"}
        assert [a["id"] for a in person["custom_attributes"]] == ["dynamic_305"]


class TestData:
    def test_same_seed_same_bytes_other_seed_other_data(self):
        end = datetime(2025, 6, 1)
        a, b = Company(seed=7, end=end), Company(seed=7, end=end)
        for stream in ("persons", "absence_periods", "attendance_periods"):
            assert json.dumps(a.records(stream)) == json.dumps(b.records(stream))
        assert Company(seed=8, end=end).records("persons") != a.records("persons")

    def test_shapes_forms_and_edges(self):
        company = Company(seed=3, persons=40, absence_periods=2000, attendance_periods=4000)
        persons = company.records("persons")
        assert all(p["id"].isdigit() and p["updated_at"].endswith("Z") and "." not in p["updated_at"] for p in persons)
        types = {a["type"] for p in persons for a in p["custom_attributes"]}
        assert types == {"string", "int", "double", "date", "boolean", "string_list"}  # lower case, values strings
        assert all(isinstance(a["value"], str) for p in persons for a in p["custom_attributes"])
        assert any("label" not in a for a in persons[0]["custom_attributes"])
        person_ids = {p["id"] for p in persons}
        stamps = []
        for stream in ("absence_periods", "attendance_periods"):
            for record in company.records(stream):
                assert record["person"]["id"] in person_ids
                created = datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))
                updated = datetime.fromisoformat(record["updated_at"].replace("Z", "+00:00"))
                assert created <= updated
                stamps.append((record["updated_at"], updated.astimezone(timezone.utc)))
        texts = [t for t, _ in stamps]
        assert any(t.endswith("Z") for t in texts) and any(t.endswith("+00:00") for t in texts)
        assert any(t.endswith("+02:00") for t in texts) and any(t.endswith("-05:00") for t in texts)
        assert any("." in t for t in texts)
        on_day = [u for _, u in stamps if (u.hour, u.minute, u.second, u.microsecond) == (0, 0, 0, 0)]
        assert 0.01 < len(on_day) / len(stamps) < 0.04
        attendance = company.records("attendance_periods")
        assert any("end" not in r for r in attendance) and any(r.get("end") is None and "end" in r for r in attendance)
        assert any(r["end"] and r["end"]["date_time"][:10] > r["start"]["date_time"][:10] for r in attendance if r.get("end"))
        assert any(r["ends_at"] is None for r in company.records("absence_periods"))

    def test_mutations_show_in_the_next_request(self, personio_emulator):
        emu = personio_emulator
        session = client(emu)
        recent = {"updated_at.gte": "2099-01-01T00:00:00"}
        assert get(emu, ATTENDANCES, session, **recent).json()["_data"] == []
        changed = emu.company.update("attendance_periods", count=2, at="2099-01-01T00:00:00Z")
        created = emu.company.create("attendance_periods", at="2099-01-02T00:00:00Z")
        seen = ids(get(emu, ATTENDANCES, session, **recent).json()["_data"])
        assert seen == sorted(changed) + created
        assert emu.company.delete("attendance_periods", created[0])
        assert created[0] not in ids(walk(emu, ATTENDANCES, session))
        [touched] = emu.company.update("persons", fraction=0.01)
        assert get(emu, PERSONS, session, **{"updated_at.gt": "2099-01-01T00:00:00Z"}).json()["_data"] == []
        assert ids(walk(emu, PERSONS, session))[-1] == touched  # stamped now: the latest
