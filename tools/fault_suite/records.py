"""What the emulator holds, keyed as the connector emits it."""
import json
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Mapping, Optional, Sequence

from tools.catalogs import cursor_value
from tools.fault_suite.settings import STREAMS
from tools.personio_emulator import Emulator
from tools.personio_emulator.reports import reports
from tools.personio_emulator.webhooks import DELETION_EVENTS, ENTITY_KEYS
from tools.stream_facts import FACTS
from tools.sync_runner import RunResult


Key = Any  # a record's primary key: its id, or a tuple for composite keys
Snapshot = Dict[str, Dict[Key, Optional[datetime]]]  # stream -> key -> cursor instant (None: no cursor)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def key_of(stream: str, data: Mapping[str, Any]) -> Key:
    if stream.startswith("report_"):  # a report row has no key: its content names it
        return json.dumps(dict(data), sort_keys=True)
    return FACTS.key_of(stream, data)


def exact(emulator: Emulator, stream: str, record_id: str) -> datetime:
    """The instant behind a record's rendered updated_at (recruiting renders some as objects)."""
    return EPOCH + timedelta(microseconds=emulator.company.updated_us(stream, record_id))


def snapshot(emulator: Emulator, streams: Sequence[str] = STREAMS, start: Optional[datetime] = None) -> Snapshot:
    """Every record the emulator holds for `streams`, by primary key, with its cursor instant where the
    stream has one (breakdowns: their absence's updated_at; custom attributes: their person's). With
    `start` (the config's start_date), records whose cursor lies before it are left out: a sync reads
    only what changed since (employments reach back to 2012, the other generated data to 2021)."""
    company, snap = emulator.company, {}
    for stream in streams:
        if stream in STREAMS:
            snap[stream] = {r["id"]: parse_instant(r["updated_at"]) for r in company.records(stream)}
        elif stream.startswith("report_"):  # the report the stream is named after, rows as the connector emits them
            report = next(r for r in reports(company.on_demand) if stream.endswith(r.id.replace("-", "")[-8:]))
            snap[stream] = {key_of(stream, {c["name"]: cell for c, cell in zip(report.columns, cells) if cell is not None}): None
                            for cells in report.rows}
        elif FACTS[stream].kind in ("per_parent", "open_ended") and FACTS[stream].primary_key == ("id",):
            snap[stream] = {record_id: exact(emulator, stream, record_id) for record_id in company.ids(stream)}
        elif stream == "person_custom_attributes":
            snap[stream] = {(p["id"], a["id"]): parse_instant(p["updated_at"])
                            for p in company.records("persons") for a in p.get("custom_attributes") or []}
        elif stream == "absence_period_breakdowns":
            snap[stream] = {(a["id"], row["date"]): parse_instant(a["updated_at"])
                            for a in company.records("absence_periods") for row in company.breakdowns(a["id"]) or []}
        elif stream == "recruiting_application_stage_transitions":
            snap[stream] = {(r["application_id"], r["id"]): exact(emulator, "recruiting_applications", r["application_id"])
                            for r in company.records(stream)}
        elif stream == "deletions":
            snap[stream] = {(STREAM_OF_EVENT[e["event_name"]], deleted_id(e)): parse_instant(e["occurred_at"])
                            for e in company.records(stream) if e["event_name"] in STREAM_OF_EVENT}
        elif stream == "compensations":
            snap[stream] = {(r["id"], month): None for month in company.compensation_months()
                            for r in company.compensations(month=month)}
        else:
            snap[stream] = {key_of(stream, r): None for r in company.records(stream)}
    if start is not None:
        snap = {stream: {k: at for k, at in records.items() if at is None or at >= start} for stream, records in snap.items()}
    return snap


STREAM_OF_EVENT = {event: stream for stream, event in DELETION_EVENTS.items()}


def deleted_id(event: Mapping[str, Any]) -> Any:
    """The deleted record's id, in whichever shape the event names it."""
    payload = event["payload"]
    if "id" in payload:
        return payload["id"]
    inner = next(value for name, value in payload.items() if name in ENTITY_KEYS.values())
    return inner["id"] if isinstance(inner, Mapping) else inner


def parse_instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def cursor_at(run: RunResult, stream: str) -> Optional[datetime]:
    """The stream's last emitted cursor: the window cursor, or a per-parent stream's global one."""
    value = cursor_value(run.states.get(stream))
    return parse_instant(value) if value else None
