"""GET /v2/persons/{id} and GET /v2/persons/{person_id}/employments/{id}: one record as its list shows it, bare
(not in `_data`), behind the list's token check, bucket, scope and whitelist (contract §8). No faults here."""
import re
from typing import Optional, Tuple

from .api import refusal, throttled
from .replies import Reply, problem
from .settings import PERSONS_SCOPE

_PERSON = re.compile(r"/v2/persons/([^/]+)\Z")
_EMPLOYMENT = re.compile(r"/v2/persons/([^/]+)/employments/([^/]+)\Z")


def route(path: str) -> Optional[Tuple[str, str, Optional[str]]]:
    """(stream, person id, employment id or None) for a one-record path, else None."""
    match = _EMPLOYMENT.match(path)
    if match:
        return "employments", match.group(1), match.group(2)
    match = _PERSON.match(path)
    if match:
        return "persons", match.group(1), None
    return None


def one_record(emu, target, request) -> Reply:
    return throttled(emu, target[0], request, lambda grant: _answer(emu, target, request, grant))


def _answer(emu, target, request, grant) -> Reply:
    stream, person_id, employment_id = target
    settings = emu.settings
    refused = refusal(settings, grant, stream, PERSONS_SCOPE, request.path, settings.persons_missing_scope_status)
    if refused is not None:
        return refused
    if request.query:
        return problem(400, "Invalid request content", f"Unknown query parameter(s): {', '.join(sorted(request.query))}")
    if stream == "persons":
        allowed = settings.whitelisted_person_attributes
        blob = emu.company.person_blob(person_id, None if allowed is None else frozenset(allowed))
        missing = f"Person {person_id} not found"
    else:
        blob = emu.company.employment_blob(person_id, employment_id)
        missing = f"Employment {employment_id} of person {person_id} not found"
    if blob is None:
        return problem(404, "Not Found", missing)
    return Reply(200, blob)
