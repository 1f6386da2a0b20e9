"""Running one fault row: its emulator, the fault, the sync (and the next one), judged."""

from tools.fault_suite.connector import catalog, run_connector
from tools.fault_suite.judge import HAPPENED, NO_SECRET, OWN_CHECK, Outcome, judge, judge_next_sync, secrets_seen
from tools.fault_suite.observers import AfterRequests, FirstFired, ForeignHost, TokenLog
from tools.fault_suite.records import parse_instant, snapshot
from tools.fault_suite.scenario import Context, Scenario
from tools.fault_suite.settings import COMPANY
from tools.fault_suite.windows import config_over_windows
from tools.personio_emulator import Emulator, EmulatorSettings, Fault


def run_scenario(scenario: Scenario, sleep_scale: float = 1) -> Outcome:
    """One sync under `scenario` (and, for a scenario that resumes, the next one), judged. `sleep_scale`
    applies to persistent scenarios only."""
    scale = sleep_scale if scenario.persistent else 1
    outcome = Outcome(scenario.name, scenario.group, scenario.fault, scenario.expect, compressed=scale != 1)
    emulator = Emulator(EmulatorSettings(**{**COMPANY, **scenario.settings}))
    foreign = ForeignHost() if scenario.foreign_host else None
    if foreign is not None:
        emulator.settings.foreign_base_url = foreign.url + "/"
    emulator.start()
    try:
        tokens = TokenLog(emulator)
        config = config_over_windows(emulator, scenario.config)
        snap = snapshot(emulator, scenario.streams, parse_instant(config["start_date"]))
        faults = [emulator.add_fault(Fault(**spec)) for spec in scenario.faults]
        trigger = AfterRequests(emulator, *scenario.trigger) if scenario.trigger else None
        prepared = scenario.prepare(emulator) if scenario.prepare else None
        selected = catalog("incremental", scenario.streams)
        bound = scenario.bound_for(config)
        first_failure = FirstFired(faults)
        # Killed well past the bound, so the measured (or estimated) time, not the kill, tells how long it takes.
        deadline = scenario.deadline or (bound * 2 + (120 if scenario.persistent else 0)) / scale + 30
        run = run_connector("read", config, selected, deadline=deadline, sleep_scale=scale)
        if scenario.persistent and first_failure.at is not None:
            outcome.outage_seconds = run.ended - first_failure.at + run.skipped_sleep
        judge(outcome, scenario, run, snap, config, bound)
        context = Context(scenario, emulator, run, tokens, foreign, snap, config, prepared)
        if scenario.resume or scenario.between is not None:
            emulator.clear_faults()
            must_read = scenario.between(context) if scenario.between is not None else {}
            context.second = run_connector("read", config, selected, state=list(run.stream_states.values()),
                                           deadline=scenario.deadline or 600)
            judge_next_sync(outcome, run, context.second, snap, must_read)
        outcome.secrets = secrets_seen(run.output + (context.second.output if context.second else ""),
                                       emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
        if outcome.secrets:
            outcome.add(NO_SECRET, f"secret seen in the output: {', '.join(outcome.secrets)}")
        for fault in faults:
            if not fault.fired:
                outcome.add(HAPPENED, f"fault {fault.kind} never fired: the scenario did not happen")
        if trigger is not None and not trigger.fired:
            outcome.add(HAPPENED, "the mid-sync change never happened (too few requests)")
        if foreign is not None:
            outcome.notes.append(f"{len(foreign.requests)} request(s) reached the foreign host")
        token_answers = {s: n for s, n in emulator.stats.status_codes.get("token", {}).items() if s != 200}
        if token_answers:
            outcome.notes.append("token endpoint also answered " + ", ".join(f"{s} x{n}" for s, n in token_answers.items()))
        if scenario.check is not None:
            for problem in scenario.check(context):
                outcome.add(OWN_CHECK, problem)
        outcome.notes.extend(context.notes)
        return outcome
    finally:
        emulator.stop()
        if foreign is not None:
            foreign.stop()
