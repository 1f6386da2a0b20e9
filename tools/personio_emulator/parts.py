"""The company's store, one part per stream: what the company API (records, ids, size, get, updated_us,
update, create, delete) does for a stream is its part's job. Which part a stream has follows from its
table entry's `source`, so a new endpoint needs no line here.

Every method runs under the company's lock (company.py takes it).
"""
import json
from typing import Dict, List, Optional

from . import recruiting
from .pages import View, generator
from .table import Endpoint


class Part:
    """What every stream answers; mutations are refused unless a part knows how to make them."""

    def __init__(self, company, endpoint: Endpoint):
        self.company = company
        self.stream = endpoint.stream
        self.endpoint = endpoint

    @property
    def store(self):
        return self.company.on_demand

    def records(self) -> List[dict]:
        raise NotImplementedError

    def ids(self) -> List[str]:
        return list(dict.fromkeys(record["id"] for record in self.records()))

    def size(self) -> int:
        return len(self.records())

    def get(self, record_id: str):
        return next((r for r in self.records() if r["id"] == record_id), None)

    def updated_us(self, record_id: str) -> int:
        raise KeyError(f"{self.stream} records have no updated_at the store keeps")

    def population(self) -> List[str]:
        """The ids update() may pick from."""
        raise ValueError(f"{self.stream} cannot be updated: it is static, derived, or changes by month "
                         f"(compensations: update(..., record_id=..., month='YYYY-MM'))")

    def update(self, chosen: List[str], updated_us: int, style) -> None:
        raise ValueError(f"{self.stream} cannot be updated this way")

    def update_month(self, record_id: str, month: str, amount: Optional[float]) -> List[str]:
        raise ValueError("month and amount apply to compensations only")


class Indexed(Part):
    """Persons, absence and attendance periods: the company's (updated_at, id) index (company.py)."""

    def records(self, whitelist: Optional[frozenset] = None) -> List[dict]:
        return self.company.indexed_records(self.stream, whitelist)

    def ids(self) -> List[str]:
        return self.population()

    def size(self) -> int:
        return len(self.company._rows[self.stream])

    def get(self, record_id: str):
        row = self.company._rows[self.stream].get(record_id)
        return None if row is None else json.loads(self.company._blob(self.stream, row, None))

    def updated_us(self, record_id: str) -> int:
        return self.company._rows[self.stream][record_id].updated_us

    def population(self) -> List[str]:
        return [key[21:] for key in self.company._keys[self.stream]]

    def update(self, chosen: List[str], updated_us: int, style) -> None:
        self.company.edit_indexed(self.stream, chosen, updated_us, style)


class Employments(Part):
    def _rendered(self, employment) -> dict:
        return json.loads(employment.render(self.company.base_url, None, False))

    def records(self) -> List[dict]:
        return [self._rendered(e) for e in self.store.all_employments()]

    def ids(self) -> List[str]:
        return self.population()

    def size(self) -> int:
        return self.store.employment_count()

    def get(self, record_id: str):
        employment = self.store.employment(record_id)
        return None if employment is None else self._rendered(employment)

    def updated_us(self, record_id: str) -> int:
        employment = self.store.employment(record_id)
        if employment is None:
            raise KeyError(record_id)
        return employment.updated_us

    def population(self) -> List[str]:
        return [e.id for e in self.store.all_employments()]

    def update(self, chosen: List[str], updated_us: int, style) -> None:
        for employment_id in chosen:
            employment = self.store.employment(employment_id)
            if employment is None:
                raise KeyError(f"no employments record {employment_id!r}")
            # employments render UTC only: `Z`, or `+00:00` when `at` was written so
            employment.edit(updated_us, employment.style if style is KEEP else (0 if style == 0 else None))


class Recruiting(Part):
    """Applications and candidates: a board each, newest first (recruiting.py)."""

    @property
    def board(self) -> recruiting.Board:
        return self.store.boards[self.stream]

    def _rendered(self, record) -> dict:
        return json.loads(record.render(self.company.settings.recruiting_timestamps))

    def records(self) -> List[dict]:
        return [self._rendered(r) for r in self.board.in_order()]

    def ids(self) -> List[str]:
        return self.population()

    def size(self) -> int:
        return len(self.board.keys)

    def get(self, record_id: str):
        record = self.board.rows.get(record_id)
        return None if record is None else self._rendered(record)

    def updated_us(self, record_id: str) -> int:
        return self.board.rows[record_id].updated_us

    def population(self) -> List[str]:
        return [key[21:] for key in self.board.keys]

    def update(self, chosen: List[str], updated_us: int, style) -> None:
        board = self.board
        for record_id in chosen:
            record = board.rows.get(record_id)
            if record is None:
                raise KeyError(f"no {self.stream} record {record_id!r}")
            recruiting.edit(self.stream, record, self.store.next_edit())
            board.move(record, updated_us)


class Compensations(Part):
    """Every month in turn (ids repeat across months); get() finds a record's latest month."""

    def records(self) -> List[dict]:
        return [r for month in self.store.window_months() for r in self.store.compensations(month=month)]

    def get(self, record_id: str):
        return next((r for r in reversed(self.records()) if r["id"] == record_id), None)

    def update_month(self, record_id: str, month: str, amount: Optional[float]) -> List[str]:
        return self.store.update_compensation(record_id, month, amount)


class Breakdowns(Part):
    """Rows carry no id: their absence stands in (ids, get), and get() answers that absence's rows."""

    def records(self) -> List[dict]:
        return [json.loads(b) for absence_id in self.company.ids("absence_periods")
                for b in self.store.breakdown_rows(absence_id)[1]]

    def ids(self) -> List[str]:
        return self.company.ids("absence_periods")

    def get(self, record_id: str):
        found = self.store.breakdown_rows(record_id)
        return None if found is None else [json.loads(b) for b in found[1]]


class Listed(Part):
    """Records a generator makes (the entry's `records`), as served without filters; per-parent ones of
    every parent (the generator is asked with parent None)."""

    def records(self) -> List[dict]:
        scopes = frozenset(self.company.settings.granted_scopes)
        made = generator(self.endpoint)(View(self.store, self.endpoint, {}, None, scopes))
        return json.loads(json.dumps(made or []))  # copies: a caller may change them


class _Keep:
    def __repr__(self):
        return "KEEP"


KEEP = _Keep()  # update(style=KEEP): each record keeps its own way of writing offsets
PARTS: Dict[str, type] = {"indexed": Indexed, "employments": Employments, "recruiting": Recruiting,
                          "compensations": Compensations, "breakdowns": Breakdowns, "listed": Listed}
