"""The webhook list, the deletion webhook's event log (deletes recorded, 30 days kept, each event shape) and the
stage transitions of an application."""
from datetime import datetime, timedelta, timezone

from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import get, walk
from tools.personio_emulator.webhooks import DELETION_EVENTS

WEBHOOKS = "/v2/webhooks"


def deletion_webhook(emu) -> str:
    (found,) = [w["id"] for w in walk(emu, WEBHOOKS) if "person.deleted" in w["enabled_events"]]
    return found


def events(emu, **params):
    return walk(emu, f"{WEBHOOKS}/{deletion_webhook(emu)}/events", **params)


def parsed(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class TestWebhooks:
    def test_one_webhook_has_the_deletion_events_and_a_setting_removes_it(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, absence_periods=5, attendance_periods=5)
        listed = walk(emu, WEBHOOKS)
        assert len(listed) == 2
        assert set(DELETION_EVENTS.values()) <= set(listed[0]["enabled_events"])
        emu.settings.deletion_webhook = False
        assert [w for w in walk(emu, WEBHOOKS) if "person.deleted" in w["enabled_events"]] == []

    def test_the_scope_is_needed(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, granted_scopes={"personio:persons:read"})
        assert get(emu, WEBHOOKS).status_code == 403


class TestDeletionEvents:
    def test_the_seeded_log_holds_only_the_last_30_days_oldest_first(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, absence_periods=5, attendance_periods=5)
        served = events(emu, limit=200)
        now = datetime.fromtimestamp(emu.now(), timezone.utc)
        times = [parsed(e["occurred_at"]) for e in served]
        assert times == sorted(times)
        assert all(now - timedelta(days=30) <= t <= now for t in times)
        assert {e["event_name"] for e in served} >= set(DELETION_EVENTS.values()) | {"person.created"}
        assert len(served) == len(emu.company.webhook_log.served()) == 8  # the two older ones are gone
        assert emu.company.records("deletions") == served

    def test_a_delete_is_recorded_with_the_persons_employments_and_expires_after_30_days(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, absence_periods=5, attendance_periods=5,
                                     deletion_event_shape="payload_id")
        person = emu.company.ids("persons")[0]
        employment_ids = [e["id"] for e in emu.company.employments(person)]
        absence = emu.company.ids("absence_periods")[0]
        emu.company.delete("persons", person)
        emu.company.delete("absence_periods", absence)

        newest = events(emu, limit=200)[-(2 + len(employment_ids)):]
        assert [(e["event_name"], e["payload"]["id"]) for e in newest] == (
            [("person.deleted", person)] + [("employment.deleted", e) for e in employment_ids]
            + [("absence-period.deleted", absence)])

        emu.advance_clock(31 * 86400)
        assert events(emu, limit=200) == []

    def test_filters_are_inclusive_and_event_name_is_exact(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, absence_periods=5, attendance_periods=5)
        served = events(emu, limit=200)
        edge = served[3]["occurred_at"]
        assert events(emu, **{"occurred_at.gte": edge})[0]["occurred_at"] == edge
        assert events(emu, **{"occurred_at.lte": edge})[-1]["occurred_at"] == edge
        assert {e["event_name"] for e in events(emu, event_name="person.deleted")} == {"person.deleted"}

    def test_each_shape_names_the_record(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5, absence_periods=5, attendance_periods=5)
        shapes = {}
        for shape in ("payload_id", "entity_object", "entity_value"):
            emu.settings.deletion_event_shape = shape
            shapes[shape] = events(emu, event_name="absence-period.deleted")[0]["payload"]
        record_id = shapes["payload_id"]["id"]
        assert shapes == {"payload_id": {"id": record_id}, "entity_object": {"absence_period": {"id": record_id}},
                          "entity_value": {"absence_period": record_id}}

    def test_an_unknown_webhook_is_a_404(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5)
        assert get(emu, f"{WEBHOOKS}/no-such-webhook/events").status_code == 404


class TestStageTransitions:
    def test_every_application_has_a_history_ending_hired_ones_in_hired(self, make_personio_emulator):
        emu = make_personio_emulator(persons=20)
        applications = emu.company.records("recruiting_applications")
        for application in applications[:15]:
            rows = walk(emu, f"/v2/recruiting/applications/{application['id']}/stage-transitions")
            assert rows and rows[0]["previous_stage"] is None
            assert [r["previous_stage"] for r in rows[1:]] == [r["stage"] for r in rows[:-1]]
            assert [parsed(r["created_at"]) for r in rows] == sorted(parsed(r["created_at"]) for r in rows)
            if application["status"] == "HIRED":
                assert rows[-1]["stage"]["name"] == "Hired"
        every = emu.company.records("recruiting_application_stage_transitions")
        assert {row["application_id"] for row in every} == {a["id"] for a in applications}

    def test_no_paging_parameters_and_404_for_an_unknown_application(self, make_personio_emulator):
        emu = make_personio_emulator(persons=5)
        application = emu.company.ids("recruiting_applications")[0]
        path = f"/v2/recruiting/applications/{application}/stage-transitions"
        assert get(emu, path, limit=10).status_code == 400
        assert get(emu, "/v2/recruiting/applications/1/stage-transitions").status_code == 404
