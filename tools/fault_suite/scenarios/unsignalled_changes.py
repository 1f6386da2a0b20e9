"""Rows where Personio changes a record without moving what the connector watches."""
import random
from datetime import datetime, timedelta, timezone
from typing import Dict, List

from tools.fault_suite.records import Key, cursor_at, exact
from tools.fault_suite.scenario import COMPLETES, Context, Scenario
from tools.fault_suite.settings import FAST_BUDGETS


def _change_employments_without_their_persons(context: Context) -> Dict[str, Dict[Key, datetime]]:
    """Between the syncs, five employments change and their persons do not (a new supervisor or a
    termination need not move the person's updated_at): one stamped now, one an hour ago (a late write),
    and three on the edges the next sync starts from: exactly the saved cursor, a second after it, and
    exactly the lookback before it. Returns them with their new updated_at: the next sync must read them."""
    emulator, company = context.emulator, context.emulator.company
    cursor = cursor_at(context.run, "employments")
    if cursor is None:
        raise RuntimeError("the first sync saved no employments state")
    lookback = timedelta(hours=int(context.config["lookback_window_hours"]))
    now = datetime.now(timezone.utc)
    moments = [now, now - timedelta(hours=1), cursor, cursor + timedelta(seconds=1), cursor - lookback]
    older = sorted(i for i in company.ids("employments") if exact(emulator, "employments", i) < min(moments))
    chosen = random.Random(5).sample(older, len(moments))
    owners = {i: company.get("employments", i)["person"]["id"] for i in chosen}
    persons_before = {person: company.updated_us("persons", person) for person in owners.values()}
    for record_id, at in zip(chosen, moments):
        company.update("employments", record_id=record_id, at=at)
    moved = [person for person, us in persons_before.items() if company.updated_us("persons", person) != us]
    if moved:
        raise RuntimeError(f"the emulator moved the updated_at of persons {moved}: the scenario did not happen")
    context.prepared = owners
    return {"employments": {record_id: exact(emulator, "employments", record_id) for record_id in chosen}}


def _persons_not_reread(context: Context) -> List[str]:
    """Says whether the persons of the changed employments came again: they need not (their updated_at
    stayed), so the employments must have been found on their own."""
    owners = set((context.prepared or {}).values())
    again = {data.get("id") for name, data in (context.second.each_record() if context.second else []) if name == "persons"}
    context.notes.append(f"{len(owners & again)} of the {len(owners)} persons of the changed employments were"
                         f" re-read by persons (only the lookback brings them)")
    return []


ROWS = [
    # -- what Personio leaves out or refuses -------------------------------------------------------------
    # The person's updated_at need not move when an employment changes: every person is asked each sync.
    Scenario("employment changed without its person", "5 employments changed between two incremental syncs"
             " (now, a late write, on the saved cursor, a second after it, on the lookback edge), persons untouched",
             COMPLETES, streams=("persons", "employments"), config=FAST_BUDGETS,
             between=_change_employments_without_their_persons, check=_persons_not_reread),
]
