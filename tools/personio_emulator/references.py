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


def _from(stream: str, targets: dict, typed: frozenset = frozenset()) -> tuple:
    return tuple(Reference(stream, path, target, path in typed) for path, target in targets.items())


# stream -> {path: target}; org unit references are typed
REFERENCES = (
    *_from("persons", {"employments[].id": "employments"}),
    *_from("employments", {
        "person.id": "persons", "supervisor.id": "persons", "office.id": "workplaces", "org_units[].id": "org_units",
        "cost_centers[].id": "cost_centers", "legal_entity.id": "legal_entities", "job.id": "jobs",
    }, typed=frozenset({"org_units[].id"})),
    *_from("org_units", {"parent.id": "org_units"}, typed=frozenset({"parent.id"})),
    *_from("absence_periods", {"person.id": "persons", "absence_type.id": "absence_types"}),
    *_from("attendance_periods", {"person.id": "persons", "project.id": "projects"}),
    *_from("projects", {"cost_center.id": "cost_centers", "parent_project.id": "projects"}),
    *_from("jobs", {"salary_band_ids[]": "salary_bands"}),
    *_from("compensations", {"person.id": "persons", "type.id": "compensation_types",
                             "legal_entity.id": "legal_entities"}),
    *_from("recruiting_applications", {"candidate.id": "recruiting_candidates", "job.id": "recruiting_jobs"}),
    *_from("recruiting_jobs", {"category.id": "recruiting_categories"}),
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

