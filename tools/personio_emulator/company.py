"""The in-memory company the emulator serves, and the mutations tests make between syncs.

One store keyed by stream: the company API (records, ids, size, get, update…) asks the stream's part
(parts.py), chosen by its table entry. Persons and periods live here, in an index: each stream keeps a
list of (updated_at microseconds, id) keys in sorted order, so an updated_at window is two bisects and
a cursor position is one more; each record's JSON bytes are cached, so a page is a join of bytes. The
other streams are built on first use (on_demand.py). One lock guards index, rows and caches; mutations
keep them consistent.
"""
import bisect
import json
import random
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Hashable, List, Optional, Union

from . import times
from .generator import PERIOD_STYLES, Generator, uuid_from
from .index_rows import Row, dumps, id_of, index_key, whitelisted
from .on_demand import OnDemand
from .pages import Page
from .parts import KEEP, PARTS, Part
from .person_dialect import person_dialect
from .table import LISTS
from .webhooks import WebhookLog

# The streams held in the (updated_at, id) index; on_demand.py builds every other stream on first use.
STREAMS = ("persons", "absence_periods", "attendance_periods")
Moment = Union[str, datetime, None]


class Company:
    def __init__(self, seed: int = 1, persons: int = 50, absence_periods: int = 200,
                 attendance_periods: int = 1000, end: Optional[datetime] = None,
                 clock: Callable[[], float] = time.time, settings=None):
        from .settings import EmulatorSettings  # here: settings.py must not need this module loaded
        # the structure counts and the per-request variants of the built-on-use streams live in the
        # settings; the Emulator passes its own, so a test's change applies to the next request
        self.settings = settings if settings is not None else EmulatorSettings(
            seed=seed, persons=persons, absence_periods=absence_periods, attendance_periods=attendance_periods,
            data_end=end)
        self.seed = seed
        self.clock = clock  # seconds since the epoch; the emulator swaps in its adjustable clock
        self.base_url = ""
        self.version = 0  # bumped by every mutation; keys the sorted-view cache
        self._lock = threading.RLock()
        self._gen = Generator(seed, end, self.settings.data_start)
        self._mutation_rng = random.Random(f"mutations-{seed}")  # mutations repeat for a seed too
        self._edits = 0
        self._rows = {s: {} for s in STREAMS}
        self._keys = {s: [] for s in STREAMS}
        # index key -> the record's JSON bytes, filled on first use and dropped on every change;
        # keyed like the index so a page's bytes are one map(dict.get) over its keys
        self._blobs = {s: {} for s in STREAMS}
        self._next_ordinal = {s: 0 for s in STREAMS}
        self._sorted_views = {}
        self._person_dialect = (self.settings.custom_attribute_values, self.settings.unseen_nulls)

        # one rng per stream, so changing one stream's size leaves the others byte-identical
        skeletons = self._gen.person_skeletons(random.Random(f"{seed}-persons"), persons)
        self._load("persons", skeletons)
        self._max_person_id = max((int(s[0]) for s in skeletons), default=10_000_000)
        person_ids = [s[0] for s in skeletons]
        self._initial_person_ids = person_ids  # supervisors are drawn from these, whatever happens later
        self.on_demand = OnDemand(self)
        self.webhook_log = WebhookLog(self)  # deletion events: see webhooks.py
        for stream, count in (("absence_periods", absence_periods), ("attendance_periods", attendance_periods)):
            self._load(stream, self._gen.period_skeletons(random.Random(f"{seed}-{stream}"), count, person_ids))
        # every stream of the table, by name: its part does what the company API asks of it
        self._parts = {e.stream: PARTS[e.source](self, e) for e in LISTS}

    @property
    def extra(self) -> OnDemand:
        """The old name of on_demand, kept for callers."""
        return self.on_demand

    def _load(self, stream: str, skeletons) -> None:
        rows = self._rows[stream]
        for ordinal, (record_id, updated_us, style, person_id, noise) in enumerate(skeletons):
            rows[record_id] = Row(record_id, ordinal, updated_us, style, person_id, noise)
        self._next_ordinal[stream] = len(skeletons)
        self._keys[stream] = sorted([f"{s[1]:020d} {s[0]}" for s in skeletons])  # index_key, inlined

    # -- reading ----------------------------------------------------------------------------

    def set_base_url(self, url: str) -> None:
        """Persons link to their employments under the API base, known only once a port is bound."""
        with self._lock:
            self.base_url = url
            self._blobs["persons"].clear()
            for row in self._rows["persons"].values():
                row.variants = None

    def person_blob(self, person_id: str, whitelist: Optional[frozenset]) -> Optional[bytes]:
        """One person's JSON as the list serves it; None when there is no such person."""
        with self._lock:
            row = self._rows["persons"].get(person_id)
            return None if row is None else self._blob("persons", row, whitelist)

    def employment_blob(self, person_id: str, employment_id: str) -> Optional[bytes]:
        """One employment's JSON as the person's list serves it; None when either is unknown."""
        settings = self.settings
        allowed = settings.whitelisted_employment_attributes
        with self._lock:
            for employment in self.on_demand.employments_of(person_id) or []:
                if employment.id == employment_id:
                    return employment.render(self.base_url, None if allowed is None else frozenset(allowed),
                                             settings.employment_person_omitted)
        return None

    def part(self, stream: str) -> Part:
        part = self._parts.get(stream)
        if part is None:
            raise KeyError(f"unknown stream {stream!r}")
        return part

    def size(self, stream: str) -> int:
        with self._lock:
            return self.part(stream).size()

    def ids(self, stream: str) -> List[str]:
        """Ids in served order: the indexed streams ascending (updated_at, id) (see README; breakdowns: the
        absence ids, as rows have none)."""
        with self._lock:
            return self.part(stream).ids()

    def get(self, stream: str, record_id: str) -> Optional[dict]:
        with self._lock:
            return self.part(stream).get(record_id)

    def records(self, stream: str, whitelist: Optional[frozenset] = None) -> List[dict]:
        """Every current record as the API renders it, in the order its endpoint serves (the indexed streams
        ascending (updated_at, id); compensations: every month in turn)."""
        with self._lock:
            part = self.part(stream)
            # a whitelist applies to persons (the index renders it); the other streams have their own settings
            return part.records(whitelist) if whitelist is not None and stream in STREAMS else part.records()

    def indexed_records(self, stream: str, whitelist: Optional[frozenset]) -> List[dict]:
        rows = self._rows[stream]
        blobs = [self._blob(stream, rows[id_of(key)], whitelist) for key in self._keys[stream]]
        return [json.loads(blob) for blob in blobs]

    def updated_us(self, stream: str, record_id: str) -> int:
        """The exact instant behind a record's rendered updated_at."""
        with self._lock:
            return self.part(stream).updated_us(record_id)

    # -- reads of the built-on-use streams, for tests -------------------------------------------------------------

    def employments(self, person_id: str) -> Optional[List[dict]]:
        """A person's employments as served (newest first), None for an unknown person."""
        with self._lock:
            found = self.on_demand.employments_of(person_id)
            if found is None:
                return None
            ordered = sorted(found, key=lambda e: e.key())
            return [json.loads(e.render(self.base_url, None, False)) for e in ordered]

    def breakdowns(self, absence_id: str) -> Optional[List[dict]]:
        """An absence's breakdown rows as served, None for an unknown absence."""
        with self._lock:
            return self.part("absence_period_breakdowns").get(absence_id)

    def compensations(self, month: Optional[str] = None, start: Optional[str] = None, end: Optional[str] = None,
                      recur: Optional[bool] = None) -> List[dict]:
        """What GET /v2/compensations serves for a calendar month ("YYYY-MM") or for start..end
        ("YYYY-MM-DD"); `recur` defaults to settings.compensation_ids_recur."""
        with self._lock:
            return self.on_demand.compensations(month=month, start=start, end=end, recur=recur)

    def compensation_months(self) -> List[str]:
        """The months ("YYYY-MM") compensations exist in, oldest first."""
        with self._lock:
            return self.on_demand.window_months()

    def references(self):
        """Every (stream, field path, target stream) reference; see references.py."""
        from .references import REFERENCES
        return list(REFERENCES)

    def dangling(self) -> List[tuple]:
        """References that do not resolve right now; [] for a generated company."""
        from .references import dangling
        return dangling(self)

    def page(self, stream: str, *, lower: Optional[int] = None, upper: Optional[int] = None,
             after=None, limit: int = 100,
             match: Optional[Callable[[dict], bool]] = None,
             order: Optional[Callable[[dict], tuple]] = None, order_token: Hashable = None,
             whitelist: Optional[frozenset] = None) -> Page:
        """Up to `limit` records with lower <= updated_us <= upper (inclusive bounds, micros).

        Without `order` records come in (updated_at, id) order and `after` is an index key. With
        `order` (a tuple sort key of a rendered record) the filtered window is sorted once per
        company version and `order_token`, and `after` is a tuple key of that order.
        """
        with self._lock:
            if stream == "persons":
                self._follow_person_dialect()
            keys = self._keys[stream]
            lo = 0 if lower is None else bisect.bisect_left(keys, index_key(lower))
            hi = len(keys) if upper is None else bisect.bisect_left(keys, index_key(upper + 1))
            if order is None:
                picked_keys, more = self._scan(stream, keys, lo, hi, after, limit, match)
            else:
                picked_keys, more = self._sorted_slice(stream, keys, lo, hi, after, limit, match, order, order_token)
            index_keys = picked_keys if order is None else [k[-1] for k in picked_keys]
            if whitelist is None or stream != "persons":
                blobs = list(map(self._blobs[stream].get, index_keys))
                if None in blobs:
                    rows = self._rows[stream]
                    blobs = [b if b is not None else self._blob(stream, rows[id_of(k)], None)
                             for b, k in zip(blobs, index_keys)]
            else:
                rows = self._rows[stream]
                blobs = [self._blob(stream, rows[id_of(k)], whitelist) for k in index_keys]
            last = picked_keys[-1] if picked_keys else after
        return Page(blobs, last, more)

    def _scan(self, stream, keys, lo, hi, after, limit, match):
        if after is not None:
            lo = max(lo, bisect.bisect_right(keys, after))
        if match is None:
            picked = keys[lo:min(hi, lo + limit)]
            return picked, lo + limit < hi
        rows = self._rows[stream]
        picked = []
        for i in range(lo, hi):
            if match(self._record(stream, rows[id_of(keys[i])])):
                if len(picked) == limit:
                    return picked, True
                picked.append(keys[i])
        return picked, False

    def _sorted_slice(self, stream, keys, lo, hi, after, limit, match, order, order_token):
        cache_key = (stream, self.version, lo, hi, order_token)
        view = self._sorted_views.get(cache_key)
        if view is None:
            rows = self._rows[stream]
            view = []
            for key in keys[lo:hi]:
                record = self._record(stream, rows[id_of(key)])
                if match is None or match(record):
                    view.append(order(record) + (key,))  # the index key last: unique, holds the id
            view.sort()
            if len(self._sorted_views) > 64:  # a view per window and order: a year of windows in flight fits
                self._sorted_views.clear()
            self._sorted_views[cache_key] = view
        start = 0 if after is None else bisect.bisect_right(view, tuple(after))
        return view[start:start + limit], start + limit < len(view)

    def _created_us(self, stream: str, row: Row) -> int:
        if row.created_us is None:
            if stream == "persons":
                self._fields(stream, row)  # drawn from the same rng as the person
            else:
                row.created_us = self._gen.period_created_at(row.noise, row.updated_us)
        return row.created_us

    def _fields(self, stream: str, row: Row) -> dict:
        """The record as an editable dict; created_at/updated_at in it are re-rendered anyway."""
        if row.fields is None:
            if stream == "persons":
                rng = self._gen.person_rng(row.ordinal)
                row.fields = self._gen.person_fields(rng, row.id)
                created = self._gen.created_at(rng, row.updated_us)
                if row.created_us is None:
                    row.created_us = created
            else:
                row.fields = self._record(stream, row)
        return row.fields

    def _text(self, stream: str, row: Row) -> str:
        """The record's JSON text: straight from its noise while unedited, else from its dict."""
        created_us = self._created_us(stream, row)
        if row.fields is None and stream != "persons":
            build = self._gen.absence_json if stream == "absence_periods" else self._gen.attendance_json
            return build(row.id, row.person_id, row.updated_us, created_us, row.style, row.noise)
        record = dict(self._fields(stream, row))
        if stream == "persons":
            record = person_dialect(record, self.settings)
        record["created_at"] = times.render(created_us, row.style)
        record["updated_at"] = times.render(row.updated_us, row.style)
        if stream == "persons":
            href = f"{self.base_url}/v2/persons/{row.id}/employments"
            record["_meta"] = {"links": {"employments": {"href": href}}}
        return json.dumps(record, ensure_ascii=False, separators=(",", ":"))

    def _record(self, stream: str, row: Row) -> dict:
        """A fresh dict of the record as served (for filters, sorting and callers)."""
        return json.loads(self._blob(stream, row, None))

    def _blob(self, stream: str, row: Row, whitelist: Optional[frozenset]) -> bytes:
        if stream == "persons":
            self._follow_person_dialect()
        cache = self._blobs[stream]
        key = row.key
        full = cache.get(key)
        if full is None:
            full = cache[key] = self._text(stream, row).encode()
        if whitelist is None or stream != "persons":
            return full
        if row.variants is None:
            row.variants = {}
        blob = row.variants.get(whitelist)
        if blob is None:
            blob = row.variants[whitelist] = dumps(whitelisted(json.loads(full), whitelist))
        return blob

    def _follow_person_dialect(self) -> None:
        """Cached persons were rendered in one dialect; a test may switch it between requests."""
        dialect = (self.settings.custom_attribute_values, self.settings.unseen_nulls)
        if dialect != self._person_dialect:
            self._person_dialect = dialect
            self._blobs["persons"].clear()
            for row in self._rows["persons"].values():
                row.variants = None

    def prerender(self) -> None:
        """Build every record's JSON bytes now, so the first sync measures the connector only."""
        with self._lock:
            for stream in STREAMS:
                for row in self._rows[stream].values():
                    self._blob(stream, row, None)

    # -- mutation ---------------------------------------------------------------------------

    def update(self, stream: str, record_id: Optional[str] = None, count: Optional[int] = None,
               fraction: Optional[float] = None, at: Moment = None, month: Optional[str] = None,
               amount: Optional[float] = None) -> List[str]:
        """Edit records and set their updated_at to now (or `at`); returns the changed ids.

        Picks `record_id`, else `count` records, else `fraction` of them, else one record,
        chosen by the company's seeded mutation rng. Works for the three indexed streams,
        employments (its person's updated_at stays), recruiting_applications and
        recruiting_candidates. Compensations have no updated_at: update("compensations",
        record_id=..., month="YYYY-MM", amount=None) changes that one month's amount (to `amount`,
        by default 100 more).
        """
        with self._lock:
            part = self.part(stream)
            if month is not None or amount is not None or stream == "compensations":
                if stream == "compensations" and (record_id is None or month is None):
                    raise ValueError("compensations: give record_id and month='YYYY-MM'")
                chosen = part.update_month(record_id, month, amount)
                self.version += 1
                return chosen
            population = part.population()
            if record_id is not None:
                if record_id not in population:
                    raise KeyError(f"no {stream} record {record_id!r}")
                chosen = [record_id]
            else:
                if count is None and fraction is not None:
                    count = max(1, round(len(population) * fraction)) if fraction > 0 else 0
                elif count is None:
                    count = 1
                chosen = self._mutation_rng.sample(population, min(count, len(population)))
            updated_us, style = self._stamp(stream, at)
            part.update(chosen, updated_us, style)
            self.version += 1
            return chosen

    def edit_indexed(self, stream: str, chosen: List[str], updated_us: int, style) -> None:
        rows = self._rows[stream]
        for rid in chosen:
            row = rows[rid]
            self._created_us(stream, row)
            self._edit(stream, self._fields(stream, row))
            self._move(stream, row, updated_us, row.style if style is KEEP else style)

    def create(self, stream: str, count: int = 1, at: Moment = None) -> List[str]:
        """Add `count` new records updated (and created) now, or at `at`; returns their ids.
        The three indexed streams only (a new person brings its own employments)."""
        if stream not in STREAMS:
            raise ValueError(f"create: {stream} is not supported, only {', '.join(STREAMS)}")
        with self._lock:
            rng = self._mutation_rng
            person_ids = [id_of(key) for key in self._keys["persons"]] or ["0"]
            created = []
            for _ in range(count):
                updated_us, style = self._stamp(stream, at)
                if stream == "persons":
                    self._max_person_id += rng.randint(1, 40)
                    record_id, person_id, style, noise = str(self._max_person_id), None, None, None
                else:
                    record_id, person_id = uuid_from(rng), rng.choice(person_ids)
                    style = rng.choice(PERIOD_STYLES) if style is KEEP else style
                    noise = rng.getrandbits(96)
                row = Row(record_id, self._next_ordinal[stream], updated_us, style, person_id, noise)
                self._next_ordinal[stream] += 1
                row.created_us = updated_us  # a new record: created when last updated
                self._rows[stream][record_id] = row
                bisect.insort(self._keys[stream], row.key)
                created.append(record_id)
            self.version += 1
            return created

    def delete(self, stream: str, record_id: str) -> bool:
        """Remove a record; the API just stops returning it (no tombstones). The three indexed
        streams only; a deleted person's employments answer 404, a deleted absence's breakdowns too."""
        if stream not in STREAMS:
            raise ValueError(f"delete: {stream} is not supported, only {', '.join(STREAMS)}")
        with self._lock:
            if record_id not in self._rows[stream]:
                return False
            # Personio records a deleted person's employments as deleted too
            gone = [("employments", e.id) for e in self.on_demand.employments_of(record_id) or []] \
                if stream == "persons" else []
            row = self._rows[stream].pop(record_id)
            for what, rid in [(stream, record_id)] + gone:
                self.webhook_log.deleted(what, rid)
            self._blobs[stream].pop(row.key, None)
            keys = self._keys[stream]
            del keys[bisect.bisect_left(keys, row.key)]
            self.version += 1
            return True

    def _stamp(self, stream: str, at: Moment):
        """(updated_us, style) for a mutation; style KEEP means keep the record's own style."""
        if at is None:
            now = int(self.clock() * times.SECOND)
            # persons carry whole seconds; periods get millisecond precision like a database clock
            return (now - now % times.SECOND if stream == "persons" else now - now % 1000), KEEP
        if isinstance(at, datetime):
            aware = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
            us = times.micros(aware)
            style = KEEP
        else:
            parsed = times.parse(at)
            if parsed is None:
                raise ValueError(f"not an RFC 3339 date-time: {at!r}")
            us = times.instant(parsed, timezone.utc)
            style = times.style_of(parsed)
        if stream == "persons":
            return us - us % times.SECOND, None
        return us, style

    def _move(self, stream: str, row: Row, updated_us: int, style) -> None:
        keys = self._keys[stream]
        del keys[bisect.bisect_left(keys, row.key)]
        self._blobs[stream].pop(row.key, None)
        row.updated_us, row.style = updated_us, style
        row.created_us = min(row.created_us, updated_us)
        bisect.insort(keys, row.key)
        row.variants = None

    def _edit(self, stream: str, fields: dict) -> None:
        """Change one visible field, so an updated record differs from its old version."""
        self._edits += 1
        if stream == "persons":
            fields["preferred_name"] = f"Edit {self._edits}"
        else:
            fields["comment"] = f"Edited by emulator mutation #{self._edits}"
        if stream == "absence_periods" and fields.get("ends_at"):
            # one day longer, so the absence's breakdowns change with it
            ends = fields["ends_at"]
            day = times.parse(ends["date_time"]).wall + timedelta(days=1)
            fields["ends_at"] = dict(ends, date_time=times.wall_text(day))
