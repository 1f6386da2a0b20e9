"""Recruiting candidates and applications: generation, their newest-first index, and timestamps
that are strings or `{"date-time", "timezone"}` objects.

Each list keeps its keys sorted as `MAX_US - updated_us` (20 digits) then the id, so newest first
is ascending order, an updated_at bound is one bisect and a cursor is the last key served.
"""
import bisect
import functools
import random
from datetime import datetime, timezone
from typing import List, Optional, Tuple
from zoneinfo import ZoneInfo

from . import times
from .generator import FIRST_NAMES, LAST_NAMES
from .replies import json_bytes

ZONES = ["Europe/Berlin"] * 3 + ["Europe/London", "America/New_York", "Asia/Kolkata", "UTC"]
APPLICATION_STATUSES = ["IN_PROGRESS"] * 5 + ["REJECTED"] * 3 + ["HIRED", "WITHDRAWN"]
STAGES = [None, None, {"id": "1", "name": "Unassigned"}, {"id": "2", "name": "Screening"},
          {"id": "3", "name": "Interview"}, {"id": "4", "name": "Offer"}]


class Applicant:
    """One candidate or application (the class serves both: they differ only in fields)."""
    __slots__ = ("id", "created_us", "updated_us", "zone", "as_object", "fields", "blobs")

    def __init__(self, record_id: str, created_us: int, updated_us: int, zone: str, as_object: bool, fields: dict):
        self.id = record_id
        self.created_us = created_us
        self.updated_us = updated_us
        self.zone = zone  # the IANA zone an object timestamp names, and whose offset it carries
        self.as_object = as_object  # whether "mixed" renders this record's timestamps as objects
        self.fields = fields  # without created_at / updated_at
        self.blobs = {}  # timestamp mode -> JSON bytes

    def key(self) -> str:
        return f"{times.MAX_US - self.updated_us:020d} {self.id}"

    def render(self, mode: str) -> bytes:
        blob = self.blobs.get(mode)
        if blob is None:
            form = mode if mode != "mixed" else self._mixed_form()
            record = dict(self.fields)
            record["created_at"] = _stamp(self.created_us, self.zone, form)
            record["updated_at"] = _stamp(self.updated_us, self.zone, form)
            blob = self.blobs[mode] = json_bytes(record)
        return blob

    def _mixed_form(self) -> str:
        """Half objects, half strings (the drawn `as_object`); the id spreads each half over its forms."""
        number = int(self.id) if self.id.isdigit() else len(self.id)
        if self.as_object:
            return ("object", "object_naive")[number % 2]
        return ("string", "string_offset", "string_naive")[number % 3]


@functools.lru_cache(maxsize=None)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _offset_minutes(us: int, zone: str) -> int:
    moment = datetime.fromtimestamp(us // times.SECOND, timezone.utc).astimezone(_zone(zone))
    return int(moment.utcoffset().total_seconds() // 60)


def _stamp(us: int, zone: str, form: str):
    """One timestamp in a RECRUITING_TIMESTAMPS form. A naive object is wall time in its own `timezone`; a naive
    string has no zone to be read in but UTC."""
    if form == "string":
        return times.render(us)
    if form == "string_naive":
        return times.render(us)[:-1]  # without the `Z`
    with_offset = times.render(us, _offset_minutes(us, zone))  # a numeric offset, UTC too renders +00:00
    if form == "string_offset":
        return with_offset
    if form == "object_naive":
        return {"date-time": with_offset[:-6], "timezone": zone}
    return {"date-time": with_offset, "timezone": zone}


class Board:
    """One recruiting list in newest-first order."""

    def __init__(self, records: List[Applicant]):
        self.rows = {r.id: r for r in records}
        self.keys = sorted(r.key() for r in records)

    def window(self, gt: Optional[int], lt: Optional[int]) -> Tuple[int, int]:
        """Index range of the keys with updated_us > gt and < lt (strict)."""
        lo, hi = 0, len(self.keys)
        if gt is not None:  # newer than gt: a prefix of newest-first order
            hi = bisect.bisect_left(self.keys, f"{times.MAX_US - gt:020d}")
        if lt is not None:
            lo = bisect.bisect_left(self.keys, f"{times.MAX_US - lt + 1:020d}")
        return lo, hi

    def in_order(self) -> List[Applicant]:
        return [self.rows[key[21:]] for key in self.keys]

    def move(self, record: Applicant, updated_us: int) -> None:
        del self.keys[bisect.bisect_left(self.keys, record.key())]
        record.updated_us = updated_us
        record.created_us = min(record.created_us, updated_us)
        record.blobs.clear()
        bisect.insort(self.keys, record.key())


def _instants(rng: random.Random, start_us: int, end_us: int, previous: Optional[int]) -> Tuple[int, int]:
    """(created_us, updated_us): some share an instant (bulk moves), some sit on day edges, most carry a fraction."""
    span = (end_us - start_us) // times.SECOND
    r = rng.random()
    if previous is not None and r < 0.03:
        updated = previous
    elif r < 0.07:
        updated = start_us + rng.randrange(span // 86400) * times.DAY
    else:
        updated = start_us + rng.randrange(span) * times.SECOND
        updated += _fraction(updated)
    created = updated if rng.random() < 0.3 else max(start_us, updated - rng.randrange(200 * 86400) * times.SECOND)
    return created, updated


def _fraction(us: int) -> int:
    """Microseconds for six in ten instants, derived from the instant so no draw changes: an independent server
    sent fractions on 393 of 650 applications."""
    spread = (us // times.SECOND * 2654435761) % 10_000_000
    return spread // 10 if spread % 10 < 6 else 0


def candidates(seed: int, count: int, start_us: int, end_us: int) -> List[Applicant]:
    rng = random.Random(f"{seed}-recruiting-candidates")
    out, next_id, previous = [], 30_000_000 + rng.randrange(100_000), None
    for _ in range(count):
        next_id += rng.randint(1, 9)
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        created, previous = _instants(rng, start_us, end_us, previous)
        fields = {"id": str(next_id), "first_name": first, "last_name": last,
                  "email": f"{local}.{str(next_id)[-4:]}@candidates.example.test"}
        out.append(Applicant(str(next_id), created, previous, rng.choice(ZONES), rng.random() < 0.5, fields))
    return out


def applications(seed: int, count: int, candidate_ids: List[str], job_ids: List[str], start_us: int,
                 end_us: int) -> List[Applicant]:
    rng = random.Random(f"{seed}-recruiting-applications")
    out, next_id, previous = [], 40_000_000 + rng.randrange(100_000), None
    for k in range(count):
        next_id += rng.randint(1, 9)
        # every candidate applied at least once before anyone applies twice
        candidate = candidate_ids[k] if k < len(candidate_ids) else rng.choice(candidate_ids)
        created, previous = _instants(rng, start_us, end_us, previous)
        fields = {"id": str(next_id), "candidate": {"id": candidate}, "job": {"id": rng.choice(job_ids)},
                  "status": rng.choice(APPLICATION_STATUSES)}
        stage = rng.choice(STAGES)
        if stage is not None:  # stage is optional: some applications have none
            fields["stage"] = dict(stage)
        out.append(Applicant(str(next_id), created, previous, rng.choice(ZONES), rng.random() < 0.5, fields))
    return out


def edit(stream: str, record: Applicant, n: int) -> None:
    """A visible change: an application moves on a status, a candidate gets a new email."""
    if stream == "recruiting_applications":
        status = record.fields["status"]
        statuses = sorted(set(APPLICATION_STATUSES))
        record.fields["status"] = statuses[(statuses.index(status) + 1) % len(statuses)]
    else:
        local, _, domain = record.fields["email"].partition("@")
        record.fields["email"] = f"{local.split('+')[0]}+edit{n}@{domain}"
