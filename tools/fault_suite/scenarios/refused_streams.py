"""Rows where Personio refuses a selected stream: a missing scope (403) or module (404)."""
from typing import Callable, List, Mapping

from tools.stream_facts import FACTS
from tools.fault_suite.connector import catalog
from tools.fault_suite.scenario import Context, FAILS, Scenario
from tools.fault_suite.scenarios.outages import UNAVAILABLE
from tools.fault_suite.settings import FAST_BUDGETS
from tools.personio_emulator.settings import ALL_SCOPES


def _refused_alone(refused: Mapping[str, str]) -> Callable[[Context], List[str]]:
    """`refused`: stream -> what its error must name (the scope or the module). Those streams fail with a
    config error saying so; every other selected stream completes, each incremental one with its state
    emitted; the closing summary names the refused streams; the read is not taken for an outage."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        for stream, named in refused.items():
            errors = [e for e in run.errors if (e.get("stream_descriptor") or {}).get("name") == stream]
            if not errors:
                problems.append(f"{stream}: no error trace of its own")
            elif not all(named in (e.get("message") or "") for e in errors):
                wrong = next(e for e in errors if named not in (e.get("message") or ""))
                problems.append(f"{stream}: an error does not name {named!r}: {(wrong.get('message') or '')[:200]!r}")
            elif any(e.get("failure_type") != "config_error" for e in errors):
                problems.append(f"{stream}: failure types {sorted({e.get('failure_type') for e in errors})}, not config_error")
            if run.stream_status.get(stream) == "COMPLETE":
                problems.append(f"{stream} was refused yet reported COMPLETE")
        incremental = {entry["stream"]["name"] for entry in catalog("incremental", context.scenario.streams)["streams"]
                       if entry["sync_mode"] == "incremental"}
        for stream in context.scenario.streams:
            if stream in refused:
                continue
            if run.stream_status.get(stream) != "COMPLETE":
                problems.append(f"{stream} (not refused) ended {run.stream_status.get(stream)}, not COMPLETE")
            if stream in incremental and stream not in run.stream_states:
                problems.append(f"{stream} (not refused) emitted no state: it was not checkpointed")
        summary = [e for e in run.errors if "did not sync successfully" in (e.get("message") or "")]
        if not summary:
            problems.append("no closing 'did not sync successfully' error")
        else:
            missing = [stream for stream in refused if stream not in summary[-1]["message"]]
            if missing:
                problems.append(f"the closing error does not name {', '.join(missing)}")
        if any(UNAVAILABLE.search(e.get("message") or "") for e in run.errors):
            problems.append("a refusal was reported as an outage")
        if run.exit_code == 0:
            problems.append("exit code 0 although streams were refused")
        return problems
    return check


RECRUITING_STREAMS = FACTS.needing_module("Recruiting")

ROWS = [
    Scenario("optional stream refused (403)", "the credential lacks personio:compensations:read (compensations selected)",
             FAILS, settings={"granted_scopes": set(ALL_SCOPES) - {"personio:compensations:read"}},
             streams=("persons", "absence_periods", "employments", "org_units", "workplaces", "compensations"),
             config=FAST_BUDGETS, failure_type="config_error",
             check=_refused_alone({"compensations": "personio:compensations:read"})),
    Scenario("recruiting module missing (404)", "the company has no Recruiting module (recruiting streams selected)",
             FAILS, settings={"unlicensed_modules": set(RECRUITING_STREAMS)},
             streams=("persons", "employments", "recruiting_applications", "recruiting_jobs", "workplaces", "jobs"),
             config=FAST_BUDGETS, failure_type="config_error",
             check=_refused_alone({"recruiting_applications": "Recruiting module", "recruiting_jobs": "Recruiting module"})),
]
