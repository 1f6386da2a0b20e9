"""Every reference between streams, for tests that check a company is consistent (or that a
connector's output joins up). A path is dotted; `name[]` walks a list, a trailing `[]` means the
list holds the ids themselves. Org units are keyed by (type, id): with org_unit_ids_collide a
team and a department may share an id, so a reference names its type next to the id.
"""
from typing import List, NamedTuple


class Reference(NamedTuple):
    stream: str
    path: str
    target: str
    typed: bool = False  # True: the object holding the id also holds the target's `type`


REFERENCES = (
    Reference("persons", "employments[].id", "employments"),
    Reference("employments", "person.id", "persons"),
    Reference("employments", "supervisor.id", "persons"),
    Reference("employments", "office.id", "workplaces"),
    Reference("employments", "org_units[].id", "org_units", typed=True),
    Reference("employments", "cost_centers[].id", "cost_centers"),
    Reference("employments", "legal_entity.id", "legal_entities"),
    Reference("employments", "job.id", "jobs"),
    Reference("org_units", "parent.id", "org_units", typed=True),
    Reference("absence_periods", "person.id", "persons"),
    Reference("absence_periods", "absence_type.id", "absence_types"),
    Reference("attendance_periods", "person.id", "persons"),
    Reference("attendance_periods", "project.id", "projects"),
    Reference("projects", "cost_center.id", "cost_centers"),
    Reference("projects", "parent_project.id", "projects"),
    Reference("jobs", "salary_band_ids[]", "salary_bands"),
    Reference("compensations", "person.id", "persons"),
    Reference("compensations", "type.id", "compensation_types"),
    Reference("compensations", "legal_entity.id", "legal_entities"),
    Reference("recruiting_applications", "candidate.id", "recruiting_candidates"),
    Reference("recruiting_applications", "job.id", "recruiting_jobs"),
    Reference("recruiting_jobs", "category.id", "recruiting_categories"),
)


def values(record: dict, path: str) -> List[tuple]:
    """(value, the object holding it) for every non-null value at `path`."""
    holders = [record]
    parts = path.split(".")
    for part in parts[:-1]:
        name, many = part.rstrip("[]"), part.endswith("[]")
        nxt = []
        for holder in holders:
            value = holder.get(name) if isinstance(holder, dict) else None
            if many and isinstance(value, list):
                nxt.extend(value)
            elif value is not None:
                nxt.append(value)
        holders = nxt
    last = parts[-1]
    out = []
    for holder in holders:
        if not isinstance(holder, dict):
            continue
        if last.endswith("[]"):
            out.extend((v, holder) for v in holder.get(last[:-2]) or [])
        elif holder.get(last) is not None:
            out.append((holder[last], holder))
    return out


def dangling(company, references=REFERENCES) -> List[tuple]:
    """(stream, record id, path, value) for every reference that does not resolve."""
    records = {}

    def of(stream):
        if stream not in records:
            records[stream] = company.records(stream)
        return records[stream]
    out = []
    for ref in references:
        targets = {(r["type"], r["id"]) if ref.typed else r["id"] for r in of(ref.target)}
        for record in of(ref.stream):
            for value, holder in values(record, ref.path):
                key = (holder.get("type"), value) if ref.typed else value
                if key not in targets:
                    out.append((ref.stream, record.get("id"), ref.path, value))
    return out

