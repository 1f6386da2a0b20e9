"""personio-client (PyPI, MIT), code we did not write, reads the emulator with no error.

Its models are generated from Personio's published OpenAPI files (auth, persons, employments) and its authors
checked it against a live account, so where the emulator encodes our own guesses this client fails. It runs with
`.venv-personio-client/bin/python` (installed by `make test` from integration_tests/personio-client-requirements.txt)
through integration_tests/personio_client_driver.py, which records every call's result or error. Checked:
- its token call;
- `iter_persons()` without a filter and with each filter of the published definition, several pages each (the
  client sends every filter again next to each cursor), finding exactly the persons the filter selects;
- every person through `get_person`, every person's employments through `iter_employments` (one per page) and
  each one through `get_employment`;
- every page and record parses with the generated models, and the parsed record holds what the emulator sent.
"""
import json
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any, Dict, List

import pytest

from integration_tests import REPO_ROOT
from tools.personio_emulator import Emulator, EmulatorSettings


CLIENT_PYTHON = REPO_ROOT / ".venv-personio-client" / "bin" / "python"
DRIVER = Path(__file__).parent / "personio_client_driver.py"
# Three pages of 50 unfiltered; filtered runs ask for 2 a page.
COMPANY = {"seed": 5, "persons": 120, "absence_periods": 10, "attendance_periods": 10}


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def runs(persons: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    """name -> {"filters", "limit", "expected" ids in served order}: one run per published filter."""
    def most_common(field):
        return Counter(p[field] for p in persons if p.get(field)).most_common(1)[0][0]

    by_created = sorted(persons, key=lambda p: instant(p["created_at"]))
    by_updated = sorted(persons, key=lambda p: instant(p["updated_at"]))
    created, updated = by_created[len(persons) // 2]["created_at"], by_updated[len(persons) // 2]["updated_at"]
    picked = [p["id"] for p in persons[3::25]]
    emails = [p["email"] for p in persons[5::30]]
    first, last, preferred = most_common("first_name"), most_common("last_name"), most_common("preferred_name")

    def at(text):
        return {"datetime": instant(text).isoformat()}  # what the client sends: isoformat with +00:00
    selections = {
        "all": ({}, lambda p: True),
        "id": ({"id": picked}, lambda p: p["id"] in picked),
        "email": ({"email": emails}, lambda p: p["email"] in emails),
        "first_name": ({"first_name": first}, lambda p: p["first_name"] == first),
        "last_name": ({"last_name": last}, lambda p: p["last_name"] == last),
        "preferred_name": ({"preferred_name": preferred}, lambda p: p["preferred_name"] == preferred),
        "created_at": ({"created_at": at(created)}, lambda p: instant(p["created_at"]) == instant(created)),
        "created_at.gt": ({"created_at_gt": at(created)}, lambda p: instant(p["created_at"]) > instant(created)),
        "created_at.lt": ({"created_at_lt": at(created)}, lambda p: instant(p["created_at"]) < instant(created)),
        "updated_at": ({"updated_at": at(updated)}, lambda p: instant(p["updated_at"]) == instant(updated)),
        "updated_at.gt": ({"updated_at_gt": at(updated)}, lambda p: instant(p["updated_at"]) > instant(updated)),
        "updated_at.lt": ({"updated_at_lt": at(updated)}, lambda p: instant(p["updated_at"]) < instant(updated)),
        "status=ACTIVE": ({"status": "ACTIVE"}, lambda p: p["status"] == "ACTIVE"),
        "status=INACTIVE": ({"status": "INACTIVE"}, lambda p: p["status"] == "INACTIVE"),
    }
    return {name: {"filters": filters, "limit": 50 if name == "all" else 2,
                   "expected": [p["id"] for p in persons if keep(p)]}
            for name, (filters, keep) in selections.items()}


def as_parsed(record: Dict[str, Any]) -> Dict[str, Any]:
    """A record as the client's models give it back: date-times compared as instants."""
    return {key: instant(value) if key in ("created_at", "updated_at") else value for key, value in record.items()}


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    assert CLIENT_PYTHON.exists(), "run `make personio-client` (make test builds it) for .venv-personio-client"
    workdir = tmp_path_factory.mktemp("personio-client")
    with Emulator(EmulatorSettings(**COMPANY)) as emu:
        persons = emu.company.records("persons")
        plan = {"url": emu.url, "client_id": emu.client_id, "client_secret": emu.client_secret, "runs": runs(persons)}
        (workdir / "plan.json").write_text(json.dumps(plan))
        completed = subprocess.run([str(CLIENT_PYTHON), str(DRIVER), str(workdir / "plan.json"), str(workdir / "out.json")],
                                   capture_output=True, text=True, timeout=300)
        assert completed.returncode == 0, completed.stderr[-3000:]
        employments = {p["id"]: emu.company.employments(p["id"]) for p in persons}
        yield {"out": json.loads((workdir / "out.json").read_text()), "plan": plan, "persons": persons,
               "employments": employments, "stats": emu.stats}


def test_the_token_call(result):
    token = result["out"]["token"]
    assert token["access_token"].startswith("papi-") and token["token_type"] == "Bearer" and token["expires_in"] == 86400


def test_iter_persons_with_and_without_each_filter(result):
    wrong = {name: (result["out"]["runs"][name], run["expected"]) for name, run in result["plan"]["runs"].items()
             if result["out"]["runs"][name] != {"ok": run["expected"]}}
    assert not wrong, wrong
    pages = [len(run["expected"]) // run["limit"] + 1 for run in result["plan"]["runs"].values()]
    assert sum(p > 1 for p in pages) >= 10  # most runs span several pages
    assert result["stats"].filters_with_cursor > 0  # the client did send its filters next to the cursors


def test_every_person_parses_and_get_person_agrees(result):
    everyone = result["out"]["persons"]
    assert "ok" in everyone, everyone
    assert [as_parsed(p) for p in everyone["ok"]] == [as_parsed(p) for p in result["persons"]]
    assert {pid: one.get("ok") for pid, one in result["out"]["person"].items()} == {p["id"]: p for p in everyone["ok"]}


def test_every_employment_parses_through_the_list_and_one_by_one(result):
    listed = result["out"]["employments"]
    errors = {pid: e for pid, e in listed.items() if "ok" not in e}
    assert not errors, errors
    for pid, employments in result["employments"].items():
        assert [as_parsed(e) for e in listed[pid]["ok"]] == [as_parsed(e) for e in employments]
    singles = result["out"]["employment"]
    assert sum(len(e) for e in result["employments"].values()) == len(singles) > len(listed)  # some have two
    for key, one in singles.items():
        pid, eid = key.split("/")
        assert one.get("ok") == next(e for e in listed[pid]["ok"] if e["id"] == eid), (key, one)
