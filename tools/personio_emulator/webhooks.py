"""Webhooks and their event log: `GET /v2/webhooks` and `GET /v2/webhooks/{id}/events`.

Personio records an event for each change a webhook is subscribed to and serves the last 30 days of them. Here the
company's delete (company.py, and so the admin API) records `<entity>.deleted` events (a person's deletion also one
`employment.deleted` per employment of theirs, as Personio documents), and the log starts with a few seeded events
within the 30 days (records deleted before the company was generated), a few older ones that must never be served,
and `person.created` events the deletion webhook also carries. Events are served oldest first in the delivery
envelope (`company_id`, `event_name`, `occurred_at`, `payload`, `meta`), the deleted record's id written in the
shape `settings.deletion_event_shape` names (README "Dialects"), each row with an `id` of its own (the event's: a
connector must not take it for the deleted record's).
"""
import random
import threading
from typing import Dict, List, Optional

from . import times
from .generator import hashed_uuid, uuid_from

RETENTION_US = 30 * times.DAY
DELETION_EVENTS = {
    "persons": "person.deleted",
    "employments": "employment.deleted",
    "absence_periods": "absence-period.deleted",
    "attendance_periods": "attendance-period.deleted",
}
# How an event names the deleted record (README "Dialects"); "mixed" takes them in turn, event by event.
DELETION_EVENT_SHAPES = ("payload_id", "entity_object", "entity_value", "mixed")
ENTITY_KEYS = {"person.deleted": "person", "employment.deleted": "employment",
                "absence-period.deleted": "absence_period", "attendance-period.deleted": "attendance_period"}
SEEDED_RECENT = 6  # deletions within the 30 days when the log is first read
SEEDED_EXPIRED_DAYS = (35, 45)  # and deletions older than Personio keeps


class Event:
    __slots__ = ("number", "event_name", "occurred_us", "record_id")

    def __init__(self, number: int, event_name: str, occurred_us: int, record_id: str):
        self.number = number
        self.event_name = event_name
        self.occurred_us = occurred_us
        self.record_id = record_id


class WebhookLog:
    """The deletion webhook's events, seeded on first use from the company's seed and the emulator's clock."""

    def __init__(self, company):
        self.company = company
        self._events: Optional[List[Event]] = None
        self._lock = threading.RLock()

    def webhook_ids(self) -> Dict[str, str]:
        seed = self.company.seed
        return {"deletions": hashed_uuid("webhook", seed, "deletions"), "other": hashed_uuid("webhook", seed, "other")}

    def deleted(self, stream: str, record_id: str) -> None:
        """Records the deletion of one record, now (the emulator's clock)."""
        with self._lock:
            events = self._seeded()
            events.append(Event(len(events), DELETION_EVENTS[stream], self._now_us(), record_id))
            self.company.version += 1  # the served lists are cached per company version

    def served(self) -> List[Event]:
        """The events Personio still keeps, oldest first."""
        with self._lock:
            oldest = self._now_us() - RETENTION_US
            return sorted((e for e in self._seeded() if e.occurred_us >= oldest), key=lambda e: (e.occurred_us, e.number))

    def cache_key(self) -> tuple:
        """What the served log depends on besides the company's version: the events past the 30 days now."""
        with self._lock:
            oldest = self._now_us() - RETENTION_US
            return (sum(1 for e in self._seeded() if e.occurred_us < oldest),)

    def _now_us(self) -> int:
        now = int(self.company.clock() * times.SECOND)
        return now - now % 1000  # milliseconds, like a database clock

    def _seeded(self) -> List[Event]:
        if self._events is None:
            rng = random.Random(f"{self.company.seed}-webhook-events")
            now = self._now_us()
            events: List[Event] = []
            streams = list(DELETION_EVENTS)
            for k in range(SEEDED_RECENT):
                stream = streams[k % len(streams)]
                record_id = str(rng.randint(90_000_000, 99_999_999)) if stream == "persons" else uuid_from(rng)
                ago = rng.randint(1, 28 * times.DAY // 1000) * 1000
                events.append(Event(len(events), DELETION_EVENTS[stream], now - ago, record_id))
            for days in SEEDED_EXPIRED_DAYS:
                events.append(Event(len(events), "absence-period.deleted", now - days * times.DAY, uuid_from(rng)))
            for _ in range(2):  # the deletion webhook carries other events too
                ago = rng.randint(1, 28 * times.DAY // 1000) * 1000
                events.append(Event(len(events), "person.created", now - ago, str(rng.randint(90_000_000, 99_999_999))))
            self._events = events
        return self._events


def log_of(store) -> WebhookLog:
    return store.company.webhook_log


def webhooks(view) -> List[dict]:
    """`GET /v2/webhooks`: the deletion webhook (unless `settings.deletion_webhook` is off) and one that is not."""
    ids = log_of(view.store).webhook_ids()
    other = {"id": ids["other"], "url": "https://hooks.example.test/personio/onboarding", "status": "ENABLED",
             "description": "Onboarding", "enabled_events": ["person.created", "employment.created"]}
    if not view.store.company.settings.deletion_webhook:
        return [other]
    deletions = {"id": ids["deletions"], "url": "https://hooks.example.test/personio/deletions", "status": "ENABLED",
                 "description": "Deletions for the warehouse",
                 "enabled_events": ["person.created", *DELETION_EVENTS.values()]}
    return [deletions, other]


def events(view) -> Optional[List[dict]]:
    """`GET /v2/webhooks/{id}/events`: the deletion webhook's log, none for the other, 404 for an unknown id. Asked
    with no parent (Company.records), every webhook's: the deletion webhook's log."""
    ids = log_of(view.store).webhook_ids()
    if view.parent == ids["other"]:
        return []
    if view.parent not in (ids["deletions"], None) or not view.store.company.settings.deletion_webhook:
        return None
    return served_events(view.store.company)


webhooks.cache_key = lambda store: store.company.settings.deletion_webhook
events.cache_key = lambda store: (store.company.settings.deletion_webhook, store.company.settings.deletion_event_shape,
                                  log_of(store).cache_key())


def served_events(company) -> List[dict]:
    """The deletion webhook's events as `GET /v2/webhooks/{id}/events` serves them now (for tests and the demo)."""
    shape, company_id = company.settings.deletion_event_shape, str(company.seed * 1000 + 7)
    return [_render(event, shape, company_id) for event in company.webhook_log.served()]


def _render(event: Event, shape: str, company_id: str) -> dict:
    if shape == "mixed":
        shape = DELETION_EVENT_SHAPES[event.number % 3]
    entity = ENTITY_KEYS.get(event.event_name, "person")
    if shape == "entity_object":
        payload = {entity: {"id": event.record_id}}
    elif shape == "entity_value":
        payload = {entity: event.record_id}
    else:
        payload = {"id": event.record_id}
    # the event's own id (the events list may carry one; the delivery envelope has none): never the record's
    return {"id": hashed_uuid("webhook-event", company_id, event.number), "company_id": company_id,
            "event_name": event.event_name, "occurred_at": times.render(event.occurred_us), "payload": payload,
            "meta": {}}
