"""`GET /v2/recruiting/applications/{id}/stage-transitions`: the stages an application went through.

Built from the application as it is now, so an edit between syncs (a status moved on) shows in its history: a
hired application went through every stage to Hired, its last move at its `updated_at`; any other one up to its
current stage (the first, Unassigned, when it has none), its first move when it was created. Rows:
`{"id", "stage": {"id", "name"}, "previous_stage": {…} | null, "created_at"}`, oldest first, the row shape being one
Personio's reference does not show in full (contract §8: no paging parameters).
"""
import random
from typing import List, Optional

from . import times
from .generator import hashed_uuid
from .recruiting import STAGES

PATH = [stage for stage in STAGES if stage is not None] + [{"id": "5", "name": "Hired"}]


def stage_transitions(view) -> Optional[List[dict]]:
    """The transitions of the application `view.parent`, or None (404) for an unknown application. Asked with no
    parent (Company.records), every application's, each row with its `application_id`."""
    board = view.store.boards["recruiting_applications"]
    seed = view.store.company.seed
    if view.parent is None:
        return [{**row, "application_id": application.id}
                for application in board.in_order() for row in transitions_of(seed, application)]
    application = board.rows.get(view.parent)
    return None if application is None else transitions_of(seed, application)


def transitions_of(seed: int, application) -> List[dict]:
    fields = application.fields
    if fields.get("status") == "HIRED":
        steps = len(PATH)
    else:
        current = (fields.get("stage") or {}).get("id")
        steps = next((k + 1 for k, stage in enumerate(PATH) if stage["id"] == current), 1)
    start, end = application.created_us, max(application.updated_us, application.created_us)
    rng = random.Random(f"{seed}-stage-transitions-{application.id}")
    # the moves in between at increasing instants; a hired application's last one is its last change
    between = sorted(rng.randint(start, end) for _ in range(max(steps - 2, 0)))
    instants = [start] + between + ([end] if steps > 1 else [])
    rows, previous = [], None
    for k, (stage, at) in enumerate(zip(PATH[:steps], instants)):
        rows.append({"id": hashed_uuid(seed, "stage-transition", application.id, k), "stage": dict(stage),
                     "previous_stage": dict(previous) if previous else None,
                     "created_at": times.render(at)})
        previous = stage
    return rows
