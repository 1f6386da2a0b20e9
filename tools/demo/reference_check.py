"""Do the synced tables join up? Every reference between source-personio's streams, checked the way an analyst
joins them: a value in one stream's records must be the key of a record in another's.

    from tools.demo.reference_check import check, dangling
    results = check({"employments": [...], "persons": [...], ...})   # records per stream, as synced
    for result in results:
        print(result.line())        # "employments.person.id -> persons: 55 references resolved"
    dangling(results)               # [] when every reference resolves

Ids are compared as text: Personio sends some ids as numbers on one endpoint and strings on another, and a
destination joins them after a cast (see docs/querying.md). A null or missing reference (an employment
without a supervisor, a period without a project) is no reference. A reference is checked only when both its
stream and its target were synced; otherwise it is reported as not checked.

Records updated before the config's start_date are not synced, by design: a sync that starts late leaves
references to them dangling. Check a sync that reads the whole history.

`python -m tools.demo.reference_check DIR` checks the `<stream>.jsonl` files in DIR (what `make demo` writes).
"""
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

Key = Tuple[str, ...]


@dataclass(frozen=True)
class Reference:
    """`stream` points at `target` from the object(s) at `holder` (dotted; `name[]` walks each item of a list;
    "" is the record itself). The holder's `fields` must equal the target record's `target_fields`; with no
    `fields` the items of the list at `holder` are the ids themselves."""

    stream: str
    holder: str
    fields: Tuple[str, ...]
    target: str
    target_fields: Tuple[str, ...] = ("id",)

    @property
    def name(self) -> str:
        where = [self.stream] + ([self.holder] if self.holder else [])
        if len(self.fields) == 1:
            where.append(self.fields[0])
        elif self.fields:
            where.append("(" + ", ".join(self.fields) + ")")
        return ".".join(where)

    def __str__(self) -> str:
        return f"{self.name} -> {self.target}"


def ref(stream: str, path: str, target: str, target_fields: Tuple[str, ...] = ("id",)) -> Reference:
    """A reference written as a path: `person.id`, `org_units[].(type,id)`, `salary_band_ids[]`, `person_id`."""
    holder, _, last = path.rpartition(".")
    if last.endswith("[]") and not holder:  # a list of ids
        return Reference(stream, last, (), target, target_fields)
    if last.startswith("("):
        fields = tuple(part.strip() for part in last.strip("()").split(","))
    else:
        fields = (last,)
    return Reference(stream, holder, fields, target, target_fields)


# Every join between the streams, the way docs/querying.md and an analyst make them.
REFERENCES: Tuple[Reference, ...] = (
    ref("persons", "employments[].id", "employments"),
    ref("person_custom_attributes", "person_id", "persons"),
    ref("employments", "person.id", "persons"),
    ref("employments", "supervisor.id", "persons"),
    ref("employments", "office.id", "workplaces"),
    ref("employments", "org_units[].(type,id)", "org_units", ("type", "id")),
    ref("employments", "cost_centers[].id", "cost_centers"),
    ref("employments", "legal_entity.id", "legal_entities"),
    ref("employments", "job.id", "jobs"),
    ref("org_units", "parent.(type,id)", "org_units", ("type", "id")),
    ref("jobs", "salary_band_ids[]", "salary_bands"),
    ref("absence_periods", "person.id", "persons"),
    ref("absence_periods", "absence_type.id", "absence_types"),
    ref("absence_period_breakdowns", "absence_period_id", "absence_periods"),
    ref("attendance_periods", "person.id", "persons"),
    ref("attendance_periods", "project.id", "projects"),
    ref("projects", "cost_center.id", "cost_centers"),
    ref("projects", "parent_project.id", "projects"),
    ref("compensations", "person.id", "persons"),
    ref("compensations", "type.id", "compensation_types"),
    ref("compensations", "legal_entity.id", "legal_entities"),
    ref("recruiting_applications", "candidate.id", "recruiting_candidates"),
    ref("recruiting_applications", "job.id", "recruiting_jobs"),
    ref("recruiting_jobs", "category.id", "recruiting_categories"),
    ref("recruiting_application_stage_transitions", "application_id", "recruiting_applications"),
)


@dataclass
class Dangling:
    record: str  # the referring record's id (or its key, for rows without one)
    value: Key  # what it points at


@dataclass
class Result:
    reference: Reference
    resolved: int = 0
    dangling: List[Dangling] = field(default_factory=list)
    not_synced: Tuple[str, ...] = ()  # the stream or target missing from the records: not checked

    @property
    def checked(self) -> bool:
        return not self.not_synced

    def line(self, examples: int = 3) -> str:
        if not self.checked:
            return f"{self.reference}: not checked ({', '.join(self.not_synced)} not synced)"
        if not self.dangling:
            return f"{self.reference}: {self.resolved} references resolved"
        shown = ", ".join(f"{d.record} -> {'/'.join(d.value)}" for d in self.dangling[:examples])
        more = f", and {len(self.dangling) - examples} more" if len(self.dangling) > examples else ""
        return f"{self.reference}: {len(self.dangling)} DANGLING ({shown}{more}); {self.resolved} resolved"


def _holders(node: Any, steps: Sequence[str]) -> Iterator[Any]:
    """Every value at the path `steps` below `node`; a `name[]` step walks the items of a list."""
    if not steps:
        yield node
        return
    step, rest = steps[0], steps[1:]
    many = step.endswith("[]")
    value = node.get(step[:-2] if many else step) if isinstance(node, Mapping) else None
    if value is None:
        return
    if many:
        for item in value if isinstance(value, list) else []:
            if item is not None:
                yield from _holders(item, rest)
    else:
        yield from _holders(value, rest)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def references_of(record: Mapping[str, Any], reference: Reference) -> Iterator[Key]:
    """The keys `record` points at through `reference` (nulls left out)."""
    steps = reference.holder.split(".") if reference.holder else []
    for holder in _holders(record, steps):
        if not reference.fields:
            yield (_text(holder),)
            continue
        if not isinstance(holder, Mapping):
            continue
        values = [holder.get(name) for name in reference.fields]
        # the last field is the id; a type next to it is part of the key only where the id is there
        if values[-1] is None:
            continue
        yield tuple(_text(v) for v in values)


def _record_label(record: Mapping[str, Any]) -> str:
    if record.get("id") is not None:
        return _text(record["id"])
    return "/".join(_text(record.get(k)) for k in ("absence_period_id", "person_id", "date", "month") if k in record)


def check(records: Mapping[str, Iterable[Mapping[str, Any]]],
          references: Sequence[Reference] = REFERENCES) -> List[Result]:
    """One Result per reference, for the records per stream (lists, or iterables read once per reference)."""
    materialised = {stream: list(rows) for stream, rows in records.items()}
    keys: Dict[Tuple[str, Tuple[str, ...]], set] = {}
    results = []
    for reference in references:
        missing = tuple(s for s in dict.fromkeys((reference.stream, reference.target)) if s not in materialised)
        result = Result(reference, not_synced=missing)
        results.append(result)
        if missing:
            continue
        index = (reference.target, reference.target_fields)
        if index not in keys:
            keys[index] = {
                tuple(_text(target.get(name)) for name in reference.target_fields)
                for target in materialised[reference.target]
            }
        targets = keys[index]
        for record in materialised[reference.stream]:
            for key in references_of(record, reference):
                if key in targets:
                    result.resolved += 1
                else:
                    result.dangling.append(Dangling(_record_label(record), key))
    return results


def dangling(results: Iterable[Result]) -> Dict[str, List[Dangling]]:
    """The references with dangling values, by name (empty when every checked reference resolves)."""
    return {str(result.reference): result.dangling for result in results if result.dangling}


def read_jsonl_dir(directory: Path, streams: Optional[Iterable[str]] = None) -> Dict[str, List[Dict[str, Any]]]:
    """The records of each `<stream>.jsonl` file in `directory`."""
    records = {}
    if streams is None:
        paths = sorted(Path(directory).glob("*.jsonl"))
    else:
        paths = [Path(directory) / f"{stream}.jsonl" for stream in streams]
    for path in paths:
        if path.exists():
            with open(path, encoding="utf-8") as handle:
                records[path.stem] = [json.loads(line) for line in handle if line.strip()]
    return records


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m tools.demo.reference_check DIR  (DIR holds <stream>.jsonl files, e.g. output/)")
        return 2
    results = check(read_jsonl_dir(Path(argv[0])))
    for result in results:
        print(result.line())
    return 1 if dangling(results) else 0


if __name__ == "__main__":
    sys.exit(main())
