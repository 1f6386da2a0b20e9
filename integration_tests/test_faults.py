"""The fault suite: the installed `source-personio` against the emulator when things go wrong.

Scenarios, trials and bad configs are data in tools/fault_suite/scenarios/ (`make faults` prints them as a
table); every row runs its own emulator and connector process, all rows at once in a thread pool, and
each test below waits for its row and asserts one criterion of it: how the sync ends (exit status, failure type,
message), records lost, records repeated away from a window edge, time, that the fault happened, the row's own
check, the next sync. Each scenario selects the streams its fault concerns.

- Throttling (429 with and without Retry-After; a small bucket on the employments endpoint, under the
  connector's default per-parent budget), 5xx bursts, connection resets, cut-off transfers, a server
  silent past the 20 s read timeout, token expiry and revocation mid-sync, an unparseable updated_at
  (passed through, warned about once): the sync completes with every record.
- An employment changed without its person (Personio need not move the person's updated_at), stamped
  now, late, and on the edges of the saved cursor and the lookback: the next incremental sync reads it.
- An empty page with a next link, where a window's records end (Personio's documented quirk): the
  sync stops there, as the contract says a reader must, completes with every record, and never
  follows the link (its requests stay bounded).
- A persistent outage (503, or a server silent past every read timeout) at the default window sizes
  and num_workers: the first request to run out of retries stops the whole read, with "Personio is
  unavailable: …" as a transient error and exit 1, within one request's retries (36 s; with the
  timeouts 6 x 20 s more), under 3 minutes; its state claims only windows it finished, and the next
  sync, the outage over, resumes from it and completes: no record is in neither.
- A selected stream refused (a missing scope: 403; the Recruiting module: 404): that stream fails
  with a config error naming the scope or the module, every other stream completes and is
  checkpointed, and the sync ends failed, naming the refused streams.
- A revoked credential, a withdrawn scope, hostile bodies that cannot be read and a next link to the
  page just read: the sync fails with a message that says what happened, within a bounded time.
- Other hostile pages (a next link to another host, huge pages, records without updated_at): either
  every record arrives or the sync fails clearly; never a silent loss, never the token sent abroad.
- Link writings (self echoing the request or carrying the cursor alone; next with the cursor alone, or
  limit after or before it; the cursor percent-encoded or raw; absolute or relative), on pages the
  emulator keeps short: the sync follows every one and completes with every record.
- Loops, each in another link writing, on attendance periods, employments, compensations and recruiting
  applications: a next link back to the page just read, an A -> B -> A cycle, a last page that links back
  to itself and then to itself for good (the shape that made one independent server's sync loop), and new
  cursors to the same records forever. The sync ends (the runner kills it at 150 s), the looping stream
  fails with a message naming it and the loop, the other stream completes, the exit status is non-zero,
  and the next sync, the fault gone, loses nothing.
- Interruption: a sync killed at a seeded random line and resumed from the last state it emitted, at the
  default settings, loses nothing, and per stream reads twice at most twice the records of its largest
  window (the state holds every finished window, so only the unfinished ones and the lookback come again).
- Bad config: `check` and `read` name the field at fault.

Real-time cost: bursts cost the connector's first backoff (2 s) each; the storms 20 to 40 s; the
persistent faults about 40 s until the stop plus the resumed sync; the silent server about 160 s; the
read timeout 30 s; each link or loop row 20 to 50 s (150 s at most each sync). All rows run at once, six
at a time: about six minutes.
"""
import re

import pytest

from tools.fault_suite.judge import (
    ENDING, HAPPENED, IN_TIME, NEXT_SYNC, NO_DUPLICATES, NOTHING_LOST, OWN_CHECK, READ_TWICE, Outcome,
)
from tools.fault_suite.scenario import COMPLETES, FAILS
from tools.fault_suite.scenarios import SCENARIO_LIST, SCENARIOS
from tools.fault_suite.scenarios.bad_configs import BAD_CONFIGS
from tools.fault_suite.scenarios.interruptions import interruption_trials
from tools.fault_suite.settings import OUTAGE_LIMIT_SECONDS
from tools.fault_suite.suite import TEST_OPTIONS, suite_for_tests

TRIALS = interruption_trials(TEST_OPTIONS["trials"])
ROWS = [scenario.name for scenario in SCENARIO_LIST]
CHECKED_ROWS = [scenario.name for scenario in SCENARIO_LIST if scenario.check is not None]
RESUMED_ROWS = [scenario.name for scenario in SCENARIO_LIST if scenario.resume or scenario.between is not None]
BAD_CONFIG_ROWS = {f"bad config: {case.name}": case for case in BAD_CONFIGS}


@pytest.fixture(scope="session")
def fault_suite(request):
    return suite_for_tests(request.session.items)


def explain(outcome: Outcome) -> str:
    lines = [f"{outcome.name}: {outcome.fault}", f"  expected: {outcome.expected}", f"  outcome:  {outcome.result}"
             f" (lost {outcome.lost}, duplicated {outcome.duplicated}, {outcome.real_seconds:.0f} s)"]
    if outcome.error:
        lines.append(f"  first error: {outcome.error[:300]}")
    lines += [f"  {criterion}: {problem}" for criterion, problems in outcome.found.items() for problem in problems]
    return "\n".join(lines)


# -- every fault row, one criterion per test ---------------------------------------------------------------------


@pytest.mark.parametrize("row", ROWS)
def test_the_sync_completes_or_fails_as_the_row_expects(fault_suite, row):
    """Completes (exit 0, no error), or fails with the row's failure type and message and a non-zero exit status."""
    scenario, outcome = SCENARIOS[row], fault_suite.outcome(row)
    assert outcome.completed is not None, explain(outcome)
    if scenario.expect == COMPLETES:
        assert outcome.completed and outcome.exit_code == 0, explain(outcome)
    if scenario.expect == FAILS:
        assert not outcome.completed, explain(outcome)
    if not outcome.completed:
        assert outcome.exit_code != 0, explain(outcome)
        if scenario.failure_type:
            assert outcome.failure_type == scenario.failure_type, explain(outcome)
        if scenario.message:
            assert re.search(scenario.message, outcome.error), explain(outcome)
    assert ENDING not in outcome.found, explain(outcome)


@pytest.mark.parametrize("row", ROWS)
def test_no_record_is_lost(fault_suite, row):
    """Nothing the emulator held is missing from what the sync (and the next one, for a row that resumes) emitted
    and its state claims done."""
    outcome = fault_suite.outcome(row)
    assert outcome.lost is not None, explain(outcome)
    assert NOTHING_LOST not in outcome.found, explain(outcome)


@pytest.mark.parametrize("row", ROWS)
def test_records_repeat_only_on_window_edges(fault_suite, row):
    """A record emitted twice lies within a second of a window edge (the manifest widens windows by a second)."""
    outcome = fault_suite.outcome(row)
    assert outcome.unexplained_duplicates == 0 and NO_DUPLICATES not in outcome.found, explain(outcome)


@pytest.mark.parametrize("row", ROWS)
def test_the_sync_ends_within_the_rows_bound(fault_suite, row):
    outcome = fault_suite.outcome(row)
    assert IN_TIME not in outcome.found, explain(outcome)


@pytest.mark.parametrize("row", ROWS)
def test_the_fault_happened(fault_suite, row):
    """Every fault of the row fired, and a change planned mid-sync was made: the row tested what it says."""
    outcome = fault_suite.outcome(row)
    assert HAPPENED not in outcome.found, explain(outcome)


@pytest.mark.parametrize("row", CHECKED_ROWS)
def test_the_rows_own_check_holds(fault_suite, row):
    """What the row looks at beyond the others (its `check`: a throttled storm, the outage trace, a refusal named…)."""
    outcome = fault_suite.outcome(row)
    check = SCENARIOS[row].check
    assert OWN_CHECK not in outcome.found, f"{check.__doc__ or check.__qualname__}\n{explain(outcome)}"


@pytest.mark.parametrize("row", RESUMED_ROWS)
def test_the_next_sync_completes_with_every_record(fault_suite, row):
    """The fault gone, a sync from the first one's state completes; the two hold every record, the second every
    change made in between."""
    outcome = fault_suite.outcome(row)
    assert NEXT_SYNC not in outcome.found and outcome.lost == 0, explain(outcome)


@pytest.mark.parametrize("row", ROWS)
def test_nothing_else_went_wrong(fault_suite, row):
    outcome = fault_suite.outcome(row)
    assert outcome.ok, explain(outcome)


@pytest.mark.parametrize("row", [scenario.name for scenario in SCENARIO_LIST if scenario.persistent])
def test_an_outage_stops_the_read_in_under_three_minutes_and_the_next_sync_loses_nothing(fault_suite, row):
    """From the first failing answer to the end of the process, at the default window sizes and workers."""
    outcome = fault_suite.outcome(row)
    assert outcome.outage_seconds is not None, explain(outcome)
    assert outcome.outage_seconds < OUTAGE_LIMIT_SECONDS, explain(outcome)
    assert outcome.lost == 0, explain(outcome)


# -- interruptions -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", [trial.name for trial in TRIALS])
def test_interrupted_sync_resumes_without_loss(fault_suite, row):
    """Killed at a random line (it was), resumed from the last state it emitted (it completes): no record is lost."""
    outcome = fault_suite.outcome(row)
    assert HAPPENED not in outcome.found, explain(outcome)
    assert outcome.completed and NEXT_SYNC not in outcome.found, explain(outcome)
    assert outcome.lost == 0, explain(outcome)
    assert set(outcome.found) <= {READ_TWICE}, explain(outcome)


def test_interrupted_sync_reads_at_most_two_windows_twice_per_stream(fault_suite):
    """At the default settings, a resumed sync reads again only the windows unfinished at the kill (the state
    holds every finished one) and the lookback: per stream, the records both syncs read stay within twice the
    records of the stream's largest window."""
    outcomes = [fault_suite.outcome(t.name) for t in TRIALS]
    assert all(o.read_twice for o in outcomes), "a trial measured nothing"
    over = [o for o in outcomes if any(twice > bound for twice, bound in o.read_twice.values())]
    assert not over, f"{len(over)} of {len(outcomes)} trials read more twice:\n" + "\n".join(
        f"{o.name} ({o.fault}): {o.bound_violation}" for o in over
    )


# -- bad configs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("row", BAD_CONFIG_ROWS)
def test_check_fails_naming_the_field(fault_suite, row):
    outcome, field = fault_suite.outcome(row), BAD_CONFIG_ROWS[row].field
    assert outcome.result.startswith("check FAILED"), explain(outcome)
    assert f"'{field}'" in outcome.error, explain(outcome)


@pytest.mark.parametrize("row", BAD_CONFIG_ROWS)
def test_read_stops_with_a_config_error_naming_the_field(fault_suite, row):
    outcome, field = fault_suite.outcome(row), BAD_CONFIG_ROWS[row].field
    assert outcome.failure_type == "config_error", explain(outcome)
    assert f"'{field}'" in outcome.read_error, explain(outcome)
    assert outcome.exit_code not in (0, None), explain(outcome)
