"""The streams of a Company that are built on first use, read and changed under the company's lock.

Nothing here is built with the company: the catalog on the first request that needs it, a
person's employments when that person is asked for, recruiting lists on first use, compensation
plans per person on the first compensations request. So a 100,000-person company costs nothing
extra until these endpoints are read. pages.py turns this state into pages.
"""
import json
from datetime import date
from typing import Dict, List, Optional

from . import breakdowns, compensations, employments, recruiting, times
from .catalog import Catalog, structure_sizes
from .replies import json_bytes



class OnDemand:
    def __init__(self, company):
        self.company = company
        self._catalog: Optional[Catalog] = None
        self._boards = None  # stream -> recruiting.Board
        self._employments: Dict[str, List[employments.Employment]] = {}  # person id -> oldest first
        self._owner: Dict[str, str] = {}  # employment id -> person id, for the ones built
        self._plans: Dict[str, list] = {}  # person id -> compensation plans
        self.overrides: Dict[tuple, float] = {}  # (plan id, month) -> amount set by a test
        self.overrides_version = 0
        self.breakdown_cache: Dict[str, tuple] = {}  # absence id -> (absence blob, dates, row blobs)
        self.view_cache: Dict[tuple, tuple] = {}  # pages.py's cache of filtered, rendered lists
        self._edits = 0

    # -- lazily built parts ------------------------------------------------------------------

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            settings = self.company.settings
            self._catalog = Catalog(self.company._gen, structure_sizes(settings), settings.org_unit_ids_collide)
        return self._catalog

    @property
    def boards(self) -> Dict[str, recruiting.Board]:
        if self._boards is None:
            gen, sizes = self.company._gen, structure_sizes(self.company.settings)
            people = recruiting.candidates(gen.seed, sizes["recruiting_candidates"], gen.start_us, gen.end_us)
            applied = recruiting.applications(gen.seed, sizes["recruiting_applications"], [c.id for c in people],
                                              [j["id"] for j in self.catalog.recruiting_jobs], gen.start_us, gen.end_us)
            self._boards = {"recruiting_candidates": recruiting.Board(people),
                            "recruiting_applications": recruiting.Board(applied)}
        return self._boards

    def employments_of(self, person_id: str) -> Optional[List[employments.Employment]]:
        """The person's employments (kept: they can be edited), or None for no such person."""
        row = self.company._rows["persons"].get(person_id)
        if row is None:
            return None
        cached = self._employments.get(person_id)
        if cached is None:
            gen = self.company._gen
            count, inactive = self._brief(row)
            cached = self._employments[person_id] = employments.build(
                gen.seed, person_id, count, inactive, self.catalog, self.company._initial_person_ids, gen.end_us)
            for e in cached:
                self._owner[e.id] = person_id
        return cached

    def person_ids(self) -> List[str]:
        """Current persons in id order (numeric)."""
        cache_key = ("persons by id", self.company.version)
        cached = self.view_cache.get(cache_key)
        if cached is None:
            cached = self.view_cache[cache_key] = sorted(self.company._rows["persons"], key=int)
        return cached

    def all_employments(self) -> List[employments.Employment]:
        """Every employment in served order: persons by id, each person's newest first."""
        out = []
        for person_id in self.person_ids():
            out.extend(sorted(self.employments_of(person_id), key=employments.Employment.key))
        return out

    def plans_of(self, person_id: str) -> list:
        plans = self._plans.get(person_id)
        if plans is None:
            gen = self.company._gen
            plans = []
            for employment_id, basis in self._bases(person_id):
                plans.extend(compensations.plans(gen.seed, employment_id, person_id, basis, self.catalog.currency,
                                                 self.window(), gen.end_us // times.DAY))
            self._plans[person_id] = plans
        return plans

    def _bases(self, person_id: str) -> List[tuple]:
        """(employment id, basis) of a person's employments, built or not."""
        built = self._employments.get(person_id)
        if built is not None:
            return [(e.id, e.basis) for e in built]
        row = self.company._rows["persons"].get(person_id)
        if row is None:
            return []
        gen = self.company._gen
        count, inactive = self._brief(row)
        return employments.bases(gen.seed, person_id, count, inactive, self.catalog, gen.end_us)

    def _brief(self, row) -> tuple:
        """(employment count, inactive) of a person, without building the person."""
        if row.fields is not None:
            return len(row.fields["employments"]), row.fields["status"] == "INACTIVE"
        return self.company._gen.person_brief(row.ordinal)

    def window(self):
        """(first, last) month numbers compensations exist in."""
        last = compensations.month_of(employments.day_date(self.company._gen.end_us // times.DAY))
        return last - self.company.settings.compensation_months + 1, last

    def breakdown_rows(self, absence_id: str) -> Optional[tuple]:
        """(dates, row blobs) of an absence, rebuilt whenever the absence's bytes change."""
        company = self.company
        row = company._rows["absence_periods"].get(absence_id)
        if row is None:
            return None
        blob = company._blob("absence_periods", row, None)
        cached = self.breakdown_cache.get(absence_id)
        if cached is None or (cached[0] is not blob and cached[0] != blob):
            absence = json.loads(blob)
            unit = self.catalog.unit_of_absence_type.get((absence.get("absence_type") or {}).get("id"), "DAY")
            rows = breakdowns.rows(absence, unit)
            cached = self.breakdown_cache[absence_id] = (blob, [r["date"] for r in rows], [json_bytes(r) for r in rows])
        return cached[1], cached[2]

    def compensation_items(self, start: date, end: date, person_ids=None, legal_entity_ids=None,
                           recur: bool = True) -> list:
        """[(order key, JSON bytes)] of a date range, ordered by person id, month, plan id."""
        types = self.catalog.compensation_types
        items = []
        for person_id in self.person_ids():
            if person_ids and person_id not in person_ids:
                continue
            for plan in self.plans_of(person_id):
                if legal_entity_ids and plan.legal_entity_id not in legal_entity_ids:
                    continue
                for month in compensations.shown(plan, start, end):
                    record = compensations.record(plan, month, recur, types, self.overrides.get((plan.id, month)))
                    # rendered at once: a month of a large company is a lot of small dicts otherwise
                    items.append((f"{int(person_id):020d} {month:06d} {plan.id}", json_bytes(record)))
        items.sort(key=lambda item: item[0])
        return items

    # -- what tests read ---------------------------------------------------------------------

    def month_range(self, month: Optional[str], start: Optional[str], end: Optional[str]):
        """A calendar month ("YYYY-MM"), or start and end dates (YYYY-MM-DD)."""
        if month is not None:
            m = compensations.parse_month(month)
            return compensations.month_start(m), compensations.month_end(m)
        return date.fromisoformat(start), date.fromisoformat(end)

    def compensations(self, month: Optional[str] = None, start: Optional[str] = None, end: Optional[str] = None,
                      recur: Optional[bool] = None) -> List[dict]:
        recur = self.company.settings.compensation_ids_recur if recur is None else recur
        first, last = self.month_range(month, start, end)
        return [json.loads(blob) for _, blob in self.compensation_items(first, last, recur=recur)]

    def window_months(self) -> List[str]:
        first, last = self.window()
        return [compensations.month_text(m) for m in range(first, last + 1)]

    def employment_count(self) -> int:
        """How many employments there are, without building them."""
        return sum(self._brief(self.company._rows["persons"][p])[0] for p in self.person_ids())

    def employment(self, employment_id: str) -> Optional[employments.Employment]:
        owner = self._owner.get(employment_id)
        if owner is None:
            for person_id in self.person_ids():  # not built yet: build them all once
                self.employments_of(person_id)
            owner = self._owner.get(employment_id)
        if owner is None or owner not in self.company._rows["persons"]:
            return None
        return next((e for e in self._employments[owner] if e.id == employment_id), None)

    # -- mutations ---------------------------------------------------------------------------

    def next_edit(self) -> int:
        """A number per edit, so an edited record differs from every earlier version of it."""
        self._edits += 1
        return self._edits

    def update_compensation(self, record_id: str, month: str, amount: Optional[float]) -> List[str]:
        """Change one compensation's amount in one month: by default 100 more than it was."""
        m = compensations.parse_month(month)
        first, last = self.month_range(month, None, None)
        recur = self.company.settings.compensation_ids_recur
        for person_id in self.person_ids():
            for plan in self.plans_of(person_id):
                if m not in compensations.shown(plan, first, last):
                    continue
                served = compensations.served_id(plan, m, recur)
                if record_id in (served, plan.id):
                    current = self.overrides.get((plan.id, m), plan.amount)
                    self.overrides[(plan.id, m)] = round(current + 100 if amount is None else float(amount), 2)
                    self.overrides_version += 1
                    return [served]
        raise KeyError(f"no compensations record {record_id!r} in {month}")
