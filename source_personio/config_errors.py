"""Names the config field behind every problem, before the CDK builds streams from a bad config.

The CDK validates the config against the spec only after the source is built, and building it already
evaluates some fields (concurrency, start date), so a wrong type or an impossible date would otherwise
surface as an error about internals rather than about the field the user typed.
"""
from datetime import datetime, timezone
from typing import Any, List, Mapping

import jsonschema


def config_problems(config: Mapping[str, Any], spec: Mapping[str, Any]) -> List[str]:
    problems = []
    validator = jsonschema.Draft7Validator(spec)
    for error in sorted(validator.iter_errors(config), key=lambda e: list(e.path)):
        field = ".".join(str(part) for part in error.path)
        if error.path and spec.get("properties", {}).get(error.path[0], {}).get("airbyte_secret"):
            # jsonschema's messages quote the value, and a secret must never reach the output.
            problems.append(f"'{field}' is not valid: it must be {_expected(error)}.")
        elif error.validator == "required":
            problems.append(f"{error.message}: add it to the config.")
        elif error.validator == "pattern":
            descriptor = error.schema.get("pattern_descriptor", error.validator_value)
            problems.append(f"'{field}' is {error.instance!r}, which is not of the form {descriptor}.")
        else:
            problems.append(f"'{field}': {error.message}.")
    start_date = config.get("start_date")
    if isinstance(start_date, str) and start_date and not any(p.startswith("'start_date'") for p in problems):
        problems.extend(_start_date_problems(start_date))
    return problems


def _expected(error: jsonschema.ValidationError) -> str:
    if error.validator == "type":
        return f"a {error.validator_value}"
    if error.validator == "minLength":
        return "non-empty"
    return f"valid ({error.validator})"


def _start_date_problems(value: str) -> List[str]:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        return [f"'start_date' is {value!r}, which is not a real date and time ({error})."]
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    if parsed > datetime.now(timezone.utc):
        return [f"'start_date' is {value!r}, which lies in the future: nothing could be read. Use a past date or leave it empty."]
    return []
