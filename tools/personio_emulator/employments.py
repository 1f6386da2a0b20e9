"""A person's employments (contracts, not a history), derived from (seed, person id) alone.

The ids are the ones the person lists (generator.employment_id); the content comes from an rng of
its own, so building one person's employments never touches another's. An inactive person's last
employment is terminated; a person with two employments left the first one before the second.
Every reference points into the catalog, and a supervisor is another person of the company.
"""
import random
from datetime import date, timedelta
from typing import List, Optional

from . import times
from .generator import employment_id
from .replies import json_bytes

EPOCH_DAY = date(1970, 1, 1)
EARLIEST_START = (date(2012, 1, 1) - EPOCH_DAY).days
HOURS = [40.0, 32.0, 30.0, 24.0, 20.0]
# from the published enum (contract §8): resignation, dismissal, mutual agreement
TERMINATION_TYPES = ["EMPLOYEE", "FIRED", "AGREEMENT"]
TERMINATION_REASONS = [None, "New job", "Relocation", "Restructuring", "Personal reasons", "Studium / Ausbildung"]
# Always visible, whatever the credential's whitelist says (contract section 7)
ALWAYS_VISIBLE = ("id", "person", "status", "_meta")


class Employment:
    __slots__ = ("id", "person_id", "created_us", "updated_us", "style", "fields", "basis", "blobs")

    def __init__(self, employment_id: str, person_id: str, created_us: int, updated_us: int, style, fields: dict,
                 basis: tuple):
        self.id = employment_id
        self.person_id = person_id
        self.created_us = created_us
        self.updated_us = updated_us
        self.style = style  # None renders `Z`, 0 renders `+00:00`
        self.fields = fields  # the record without created_at, updated_at and _meta
        # (start day, end day or None, legal entity id, weekly hours, full-time hours) as generated:
        # what compensations are derived from, so editing an employment leaves its pay alone
        self.basis = basis
        self.blobs = {}  # (whitelist, person omitted, base url) -> JSON bytes

    def key(self) -> str:
        """Sorts newest first, ties by id: the order the endpoint serves and its cursors hold."""
        return f"{times.MAX_US - self.updated_us:020d} {self.id}"

    def render(self, base_url: str, whitelist: Optional[frozenset], omit_person: bool) -> bytes:
        variant = (whitelist, omit_person, base_url)
        blob = self.blobs.get(variant)
        if blob is None:
            record = dict(self.fields)
            record["created_at"] = times.render(self.created_us, self.style)
            record["updated_at"] = times.render(self.updated_us, self.style)
            record["_meta"] = {"links": {"person": {"href": f"{base_url}/v2/persons?id={self.person_id}"}}}
            if whitelist is not None:
                record = {k: v for k, v in record.items() if k in ALWAYS_VISIBLE or k in whitelist}
            if omit_person:
                record.pop("person", None)
            blob = self.blobs[variant] = json_bytes(record)
        return blob

    def edit(self, updated_us: int, style) -> None:
        """A visible change (the weekly hours) and a new updated_at; the person is not touched."""
        hours = self.fields.get("weekly_working_hours")
        following = (HOURS.index(hours) + 1) % len(HOURS) if hours in HOURS else 0
        self.fields["weekly_working_hours"] = HOURS[following]
        self.updated_us = updated_us
        self.created_us = min(self.created_us, updated_us)
        self.style = style
        self.blobs.clear()


def build(seed: int, person_id: str, count: int, inactive: bool, catalog, supervisors: List[str],
          end_us: int) -> List[Employment]:
    """The person's `count` employments, oldest first."""
    out = []
    for k, (erng, basis, status, current) in enumerate(_spans(seed, person_id, count, inactive, catalog, end_us)):
        out.append(_employment(erng, seed, person_id, k, basis, status, current, catalog, supervisors, end_us))
    return out


def bases(seed: int, person_id: str, count: int, inactive: bool, catalog, end_us: int) -> List[tuple]:
    """(employment id, basis) of the person's employments without building them: what
    compensations need, at a fraction of the cost (whole-company reads of a large company)."""
    return [(employment_id(seed, person_id, k), basis)
            for k, (_, basis, _, _) in enumerate(_spans(seed, person_id, count, inactive, catalog, end_us))]


def _spans(seed, person_id, count, inactive, catalog, end_us):
    """(rng, basis, status, is current) per employment. Each employment draws from an rng of its
    own, seeded from the person's, and draws its basis first, so bases() can stop there."""
    # an int seed costs half a text one; person ids are digit strings (the seed keeps seeds apart)
    rng = random.Random(int(person_id) * 1_000_003 + seed * 7919 if person_id.isdigit() else f"{seed}-{person_id}")
    end_day = end_us // times.DAY
    if count > 1:
        first_start = EARLIEST_START + rng.randrange(2000)
        first_end = first_start + 180 + rng.randrange(720)
        spans = [(first_start, first_end)]
        start = first_end + 1 + rng.randrange(200)
    else:
        spans = []
        start = EARLIEST_START + rng.randrange(max(1, end_day - EARLIEST_START - 30))
    status = "ACTIVE"
    if inactive:
        start = min(start, end_day - 120)  # room for a last working day before the data ends
        last = start + 60 + rng.randrange(max(1, end_day - start - 60))
        spans.append((start, last))
        status = "INACTIVE"
    else:
        r = rng.random()
        if r < 0.03:
            start, status = end_day + 1 + rng.randrange(60), "ONBOARDING"  # starts after the data ends
        elif r < 0.06:
            status = "LEAVE"
        spans.append((start, None))
    out = []
    for k, (first, last) in enumerate(spans):
        erng = random.Random(rng.getrandbits(64))
        legal_entity = erng.choice(catalog.legal_entities)["id"]
        full = 38.5 if erng.random() < 0.2 else 40.0
        weekly = full if erng.random() < 0.75 else erng.choice(HOURS[1:])
        current = k == len(spans) - 1
        out.append((erng, (first, last, legal_entity, weekly, full), status if current else "INACTIVE", current))
    return out


def _day(day: int) -> str:
    return times.day_text(day)


def _employment(rng, seed, person_id, k, basis, status, current, catalog, supervisors, end_us) -> Employment:
    start, last, legal_entity, weekly, full = basis
    job = rng.choice(catalog.jobs)
    termination = None
    contract_end = None
    # an inactive person's current employment is always terminated; an earlier one may just have run out
    if last is not None and (current or rng.random() < 0.5):
        notice = max(start, last - 14 - rng.randrange(80))
        terminated_us = notice * times.DAY + (8 + rng.randrange(10)) * times.HOUR + rng.randrange(3600) * times.SECOND
        # terminated_at is a date in the published definition; the instant still bounds updated_at
        termination = {"termination_date": _day(notice), "last_working_day": _day(last),
                       "terminated_at": _day(notice), "type": rng.choice(TERMINATION_TYPES),
                       "reason": rng.choice(TERMINATION_REASONS)}
    elif last is not None:
        contract_end = _day(last)  # a fixed-term contract that ran out
    elif rng.random() < 0.1:
        contract_end = _day(start + 365 + rng.randrange(365))
    supervisor = None
    if rng.random() > 0.08 and len(supervisors) > 1:
        pick = rng.randrange(len(supervisors))
        if supervisors[pick] == person_id:
            pick = (pick + 1) % len(supervisors)
        supervisor = {"id": supervisors[pick]}
    org_units = [{"type": "department", "id": rng.choice(catalog.departments)["id"]}]
    if catalog.teams and rng.random() < 0.7:
        org_units.append({"type": "team", "id": rng.choice(catalog.teams)["id"]})
    centers = rng.sample(catalog.cost_centers, 2 if len(catalog.cost_centers) > 1 and rng.random() < 0.2 else 1)
    weights = [100] if len(centers) == 1 else list(rng.choice([(60, 40), (50, 50), (70, 30), (80, 20)]))
    title = job["name"] if rng.random() < 0.8 else f"Senior {job['name']}"
    r = rng.random()
    kind = "INTERNAL" if r < 0.92 else ("EXTERNAL" if r < 0.98 else "UNSPECIFIED")
    fields = {
        "id": employment_id(seed, person_id, k),
        "person": {"id": person_id},
        "position": {"title": title},
        "status": status,
        "type": kind,
        "weekly_working_hours": weekly,
        "full_time_weekly_working_hours": full,
        "employment_start_date": _day(start),
        "employment_end_date": None if last is None else _day(last),
        "contract_end_date": contract_end,
        "probation_end_date": _day(start + 182) if rng.random() < 0.8 else None,
        "supervisor": supervisor,
        "office": {"id": rng.choice(catalog.workplaces)["id"]},
        "org_units": org_units,
        "cost_centers": [{"id": c["id"], "weight": w} for c, w in zip(centers, weights)],
        "legal_entity": {"id": legal_entity},
        # a fifth hold no job, as the live check saw (a share fixed by the id, so no draw changes)
        "job": None if int(employment_id(seed, person_id, k)[:2], 16) < 52 else {"id": job["id"]},
        "termination": termination,
    }
    created_us, updated_us, style = _stamps(rng, start, end_us, None if termination is None else terminated_us)
    return Employment(fields["id"], person_id, created_us, updated_us, style, fields, basis)


def _stamps(rng, start_day: int, end_us: int, terminated_us):
    """created_at around the start (entered up to two months ahead), updated_at after it and after
    any termination, never past the data end; a few on exact day edges, some with fractions."""
    created = min(start_day * times.DAY - rng.randrange(60 * 86400) * times.SECOND, end_us - times.DAY)
    low = created
    if terminated_us is not None:
        low = max(low, terminated_us)
    low = min(low, end_us)
    r = rng.random()
    if r < 0.05:
        updated = min(end_us, (low // times.DAY + 1 + rng.randrange(max(1, (end_us - low) // times.DAY))) * times.DAY)
    else:
        updated = low + rng.randrange(max(1, (end_us - low) // times.SECOND)) * times.SECOND
        if r < 0.25:
            updated = min(end_us, updated + rng.randrange(1, 1000) * 1000)  # milliseconds, as a database writes
    style = 0 if rng.random() < 0.15 else None
    return created, max(updated, created), style


def day_number(text: str) -> int:
    """Days since the epoch of a YYYY-MM-DD text."""
    return (date.fromisoformat(text) - EPOCH_DAY).days


def day_date(day: int) -> date:
    return EPOCH_DAY + timedelta(days=day)
