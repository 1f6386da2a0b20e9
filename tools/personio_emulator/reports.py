"""Personio's Report API v2: the reports an administrator made available to the API (`GET /v2/reports`) and
each report's rows (`GET /v2/reports/{id}`), built from the seed and the company's structure.

Personio's reference does not show a row (contract §8). `settings.report_rows` plays both shapes a reader must
survive: "cells" (each row a list of cells in the order of `_meta.columns`, as the one third-party client reads
them) or "objects" (each row an object keyed by column name). `settings.reports_refused` answers a report's rows
with 403 (listed, but not shared with the credential) or 404 (deleted since it was listed).
"""
import random
from datetime import date, datetime, timedelta, timezone
from typing import List, Optional

from .generator import hashed_uuid
from .replies import json_bytes, problem

OVERTIME_ROWS = 250  # more than one page at the connector's limit of 100

FIRST_NAMES = ["Anna", "Jonas", "Lea", "Mehmet", "Sofia", "Lukas", "Chloé", "Björn", "Zoë", "Paul"]
LAST_NAMES = ["Müller", "Schmidt", "García", "O'Brien", "Nowak", "Rossi", "de Vries", "Öztürk", "Smith", "Berg"]


class Report:
    def __init__(self, report_id: str, name: str, columns: List[dict], rows: List[list]):
        self.id, self.name, self.columns, self.rows = report_id, name, columns, rows

    def listed(self) -> dict:
        return {"id": self.id, "name": self.name, "type": "CUSTOM", "status": "ENABLED"}

    def row(self, cells: list, shape: str):
        return cells if shape == "cells" else {c["name"]: cell for c, cell in zip(self.columns, cells)}


def _column(name: str, display: str, kind: str) -> dict:
    return {"name": name, "display": display, "type": kind}


def reports(store) -> List[Report]:
    """The company's reports, built once per store from the seed and its departments."""
    built = getattr(store, "_reports", None)
    if built is None:
        seed = store.company._gen.seed
        rng = random.Random(f"{seed}-reports")
        persons = [int(person_id) for person_id in store.company.ids("persons")]
        built = [_headcount(seed, rng, store.catalog.departments), _overtime(seed, rng, persons),
                 _absences(seed, rng, persons)]
        store._reports = built
    return built


def by_id(store, report_id: str) -> Optional[Report]:
    return next((r for r in reports(store) if r.id == report_id), None)


def _headcount(seed: int, rng: random.Random, departments: List[dict]) -> Report:
    columns = [_column("department", "Department", "string"), _column("headcount", "Headcount", "integer"),
               _column("average_weekly_hours", "Average weekly hours", "decimal"),
               _column("snapshot_date", "Snapshot date", "date")]
    snapshot = date(2026, 11, 30).isoformat()
    rows = [[d["name"], rng.randrange(3, 120), round(rng.uniform(30, 40), 1), snapshot] for d in departments]
    return Report(hashed_uuid(seed, "report", "headcount"), "Headcount by Department", columns, rows)


def _overtime(seed: int, rng: random.Random, persons: List[int]) -> Report:
    # Upper-case types: the contract does not say how Personio writes them.
    # One row per person and week from 2026-03-02 on, OVERTIME_ROWS in all; employee ids are the persons'.
    columns = [_column("employee_id", "Employee ID", "INTEGER"), _column("first_name", "First name", "STRING"),
               _column("last_name", "Last name", "STRING"), _column("week", "Week", "DATE"),
               _column("overtime_hours", "Overtime (hours)", "NUMBER"), _column("approved", "Approved", "BOOLEAN"),
               _column("last_change", "Last change", "DATETIME")]
    rows = []
    for k in range(OVERTIME_ROWS):
        week = datetime(2026, 3, 2, tzinfo=timezone.utc) + timedelta(weeks=k // len(persons))
        changed = week + timedelta(minutes=rng.randrange(7 * 24 * 60))
        rows.append([persons[k % len(persons)], rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES),
                     week.date().isoformat(), None if k % 17 == 0 else round(rng.uniform(-4, 25), 2),
                     rng.random() < 0.8, changed.strftime("%Y-%m-%dT%H:%M:%SZ")])
    return Report(hashed_uuid(seed, "report", "overtime"), "Überstunden pro Mitarbeiter (März)", columns, rows)


def _absences(seed: int, rng: random.Random, persons: List[int]) -> Report:
    columns = [_column("employee_id", "Employee ID", "integer"), _column("absence_type", "Absence type", "string"),
               _column("month", "Month", "date"), _column("days", "Days", "decimal")]
    rows = [[rng.choice(persons), rng.choice(["Paid vacation", "Sick leave", "Unpaid leave"]),
             date(2025, 1 + k % 12, 1).isoformat(), rng.choice([0.5, 1, 2, 3, 5])] for k in range(40)]
    return Report(hashed_uuid(seed, "report", "absences"), "Absences 2025 (historical)", columns, rows)


# -- the endpoint table's generators and source --------------------------------------------------------------

def report_list(view) -> List[dict]:
    """GET /v2/reports: every report made available to the API (the table's "listed" source pages them)."""
    return [r.listed() for r in reports(view.store)]


def rows_page(emu, endpoint, query, limit: int, scopes):
    """GET /v2/reports/{id}: a page of rows in the shape the settings ask, with the columns under `_meta`; a
    refused report is a 403 (or 404), an unknown one a 404 (None)."""
    from .pages import Page  # pages.py reaches this module lazily, through its `report_rows` source

    settings, store = emu.settings, emu.company.on_demand
    refused = settings.reports_refused.get(query.parent)
    if refused == 403:
        return problem(403, "Forbidden", f"The report {query.parent} is not shared with you")
    with emu.company._lock:
        report = None if refused == 404 else by_id(store, query.parent)
        if report is None:
            return None
        start = 0 if query.after is None else int(query.after) + 1
        picked = report.rows[start:start + limit]
        blobs = [json_bytes(report.row(cells, settings.report_rows)) for cells in picked]
    last = f"{start + len(picked) - 1:08d}" if picked else query.after
    return Page(blobs, last, start + limit < len(report.rows), {"columns": report.columns})

