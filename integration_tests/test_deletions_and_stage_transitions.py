"""The deletions and recruiting_application_stage_transitions streams end to end: the installed command against the
emulator, whose company API records a deletion event for each record it deletes and builds each application's
stage history.

- deletions: records deleted between two syncs are each read once by the second (a deleted person's employments
  too), in every event shape the emulator plays, with nothing read twice on the state's edge; a state older than
  Personio's 30 days fails deletions alone and the other streams are read; `check` names the webhook, or says
  deletions are off when there is none.
- stage transitions: every application's history, and on an incremental sync only the changed applications are
  asked again; the median time to hire per recruiting job (the demo's query) matches the emulator's records.

The helpers `held_deletions`, `held_transitions` and `expected_median_days_to_hire` are what the stream-by-stream
(syncs.py's held_records) and analytics tests compare these streams with.
"""
import statistics
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from typing import Any, Dict, Iterator, List

import pytest

from integration_tests.syncs import (FAST, TINY_COMPANY, WHOLE_HISTORY, EmulatedRun as Run, assert_succeeded, instant,
                                     parent_of, run_connector, start_emulator)
from tools.personio_emulator import Emulator
from tools.personio_emulator.stage_transitions import transitions_of
from tools.personio_emulator.webhooks import DELETION_EVENTS, served_events
from tools.catalogs import configured_catalog, cursor_value

STREAM_OF_EVENT = {event: stream for stream, event in DELETION_EVENTS.items()}
TRANSITIONS = "recruiting_application_stage_transitions"
ENTITY_KEYS = ("person", "employment", "absence_period", "attendance_period")


# -- what the emulator holds, as the connector emits it ----------------------------------------------------------


def deleted_id(event: Dict[str, Any]) -> str:
    payload = event["payload"]
    if "id" in payload:
        return payload["id"]
    inner = next(payload[key] for key in ENTITY_KEYS if key in payload)
    return inner["id"] if isinstance(inner, dict) else inner


def held_deletions(emulator: Emulator) -> List[Dict[str, Any]]:
    webhook = emulator.company.webhook_log.webhook_ids()["deletions"]
    return [{"stream": STREAM_OF_EVENT[event["event_name"]], "id": deleted_id(event), "occurred_at": event["occurred_at"],
             "event_name": event["event_name"], "webhook_id": webhook, "raw_event": event}
            for event in served_events(emulator.company) if event["event_name"] in STREAM_OF_EVENT]


def held_transitions(emulator: Emulator) -> List[Dict[str, Any]]:
    company = emulator.company
    board = company.on_demand.boards["recruiting_applications"]
    return [{**row, "application_id": application["id"], "application_updated_at": application["updated_at"]}
            for application in company.records("recruiting_applications")
            for row in transitions_of(company.seed, board.rows[application["id"]])]


def expected_median_days_to_hire(company, today: date) -> List[tuple]:
    jobs = {job["id"]: job["name"] for job in company.records("recruiting_jobs")}
    board = company.on_demand.boards["recruiting_applications"]
    days = defaultdict(list)
    for application in company.records("recruiting_applications"):
        hired = [row for row in transitions_of(company.seed, board.rows[application["id"]])
                 if row["stage"]["name"] == "Hired"]
        if hired and application["job"]["id"] in jobs:
            took = instant(hired[0]["created_at"]) - instant(application["created_at"])
            days[jobs[application["job"]["id"]]].append(took.total_seconds() / 86400)
    return [(job, round(statistics.median(values), 1)) for job, values in days.items()]


# -- deletions -----------------------------------------------------------------------------------------------------


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=11, **TINY_COMPANY)
    yield emulator
    emulator.stop()


def read(emulator: Emulator, discovered, streams, state=None, **config) -> Run:
    catalog = configured_catalog(discovered, "incremental", streams)
    return run_connector(emulator, "read", emulator.config(**FAST, **WHOLE_HISTORY, **config), catalog=catalog,
                         state=state)


def rows(run: Run) -> List[tuple]:
    return sorted((record["stream"], str(record["id"])) for record in run.records("deletions"))


@pytest.mark.parametrize("shape", ["payload_id", "entity_object", "entity_value", "mixed"])
def test_records_deleted_between_syncs_are_each_read_once_by_the_next(emulator, discovered, shape):
    emulator.settings.deletion_event_shape = shape
    first = read(emulator, discovered, ["deletions"])
    assert_succeeded(first)
    assert sorted((r["stream"], r["id"]) for r in held_deletions(emulator)) == rows(first)
    assert rows(first), "the emulator's seeded deletions were read"

    company = emulator.company
    person = company.ids("persons")[0]
    employments = [e["id"] for e in company.employments(person)]
    absence, attendance = company.ids("absence_periods")[0], company.ids("attendance_periods")[0]
    company.delete("persons", person)
    company.delete("absence_periods", absence)
    company.delete("attendance_periods", attendance)

    second = read(emulator, discovered, ["deletions"], state=first.result.final_state)

    assert_succeeded(second)
    assert rows(second) == sorted([("persons", person), ("absence_periods", absence),
                                   ("attendance_periods", attendance)] + [("employments", e) for e in employments])
    newest = max(instant(r["occurred_at"]) for r in second.records("deletions"))
    assert instant(cursor_value(second.result.states["deletions"])) == newest
    third = read(emulator, discovered, ["deletions"], state=second.result.final_state)
    assert_succeeded(third)
    assert rows(third) == [], "an event on the state's edge is read once"


def test_a_state_older_than_personio_keeps_events_fails_deletions_alone(emulator, discovered):
    old = (datetime.now(timezone.utc) - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "deletions"}, "stream_state": {
        "use_global_cursor": True, "state": {"occurred_at": old}, "lookback_window": 0, "parent_state": {}}}}]

    run = read(emulator, discovered, ["deletions", "persons"], state=state)

    assert run.result.exit_code != 0
    assert set(run.result.stream_errors) == {"deletions"}
    (message,) = {m for m in run.result.stream_errors["deletions"]}
    assert f"deletions since {old[:10]} may be missed" in message and "full refresh" in message
    assert run.result.stream_status.get("deletions") == "INCOMPLETE"
    assert run.result.record_counts.get("persons") == emulator.company.size("persons")
    assert cursor_value(run.result.states.get("persons"))
    assert not run.requests_to("deletions") and not run.requests_to("webhooks")


def test_check_names_the_webhook_or_says_deletions_are_off(emulator):
    webhook = emulator.company.webhook_log.webhook_ids()["deletions"]
    found = run_connector(emulator, "check", emulator.config(**FAST))
    logs = [log["message"] for log in found.result.logs]
    assert found.result.connection_status == {"status": "SUCCEEDED"}
    assert f"Deletions: read from the event log of webhook {webhook} (found by its deletion events)." in logs

    emulator.settings.deletion_webhook = False
    off = run_connector(emulator, "check", emulator.config(**FAST))
    assert off.result.connection_status == {"status": "SUCCEEDED"}
    assert any(line.startswith("Deletions are off") for line in [log["message"] for log in off.result.logs])

    named = run_connector(emulator, "check", emulator.config(**FAST, webhook_id="not-a-webhook"))
    assert named.result.connection_status["status"] == "FAILED"
    assert "not-a-webhook" in named.result.connection_status["message"]


# -- stage transitions --------------------------------------------------------------------------------------------


def test_stage_transitions_of_every_application_then_only_of_the_changed_ones(emulator, discovered):
    company = emulator.company
    first = read(emulator, discovered, [TRANSITIONS], lookback_window_hours=0)
    assert_succeeded(first)
    held = {(str(r["application_id"]), r["id"]) for r in held_transitions(emulator)}
    assert {(str(r["application_id"]), r["id"]) for r in first.records(TRANSITIONS)} == held
    assert len(first.first_pages(TRANSITIONS)) == company.size("recruiting_applications")

    changed = company.update("recruiting_applications", count=2)
    second = read(emulator, discovered, [TRANSITIONS], state=first.result.final_state, lookback_window_hours=0)

    assert_succeeded(second)
    saved = instant(cursor_value(first.result.states[TRANSITIONS]))
    # asked again: the changed applications, and those on the saved state's edge (Personio's filter is strict)
    expected = set(changed) | {a["id"] for a in company.records("recruiting_applications")
                               if instant(a["updated_at"]) >= saved - timedelta(seconds=1)}
    assert {parent_of(entry) for entry in second.first_pages(TRANSITIONS)} == expected
    assert {str(r["application_id"]) for r in second.records(TRANSITIONS)} == expected
    assert all(set(entry["query"]) == set() for entry in second.first_pages(TRANSITIONS)), "no paging parameters"
