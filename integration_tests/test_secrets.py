"""Neither the client secret nor any access token ever appears in the connector's output.

Every row of the fault suite (tools/fault_suite/: every fault, interruption trial and bad config)
is scanned, stdout and stderr whole: records, logs, traces and errors. The tokens to look for are every
one the emulator issued during the row, revoked and expired ones included; anything shaped like a
Personio token (`papi-…`) counts too. Two rows exist for this file: a wrong client secret (a secret
still, though Personio rejects it) and `read --debug`, which logs every request and response.
test_invariants.py scans each of its syncs the same way.
"""
import pytest

from tools.fault_suite.judge import secrets_seen
from tools.fault_suite.scenarios import SCENARIO_LIST
from tools.fault_suite.scenarios.bad_configs import BAD_CONFIGS
from tools.fault_suite.scenarios.interruptions import interruption_trials
from tools.fault_suite.suite import TEST_OPTIONS, suite_for_tests


SYNC_ROWS = [s.name for s in SCENARIO_LIST] + [t.name for t in interruption_trials(TEST_OPTIONS["trials"])]
OTHER_ROWS = [f"bad config: {case.name}" for case in BAD_CONFIGS] + ["wrong client secret", "debug logging"]


@pytest.fixture(scope="session")
def fault_suite(request):
    return suite_for_tests(request.session.items)


@pytest.mark.parametrize("row", SYNC_ROWS + OTHER_ROWS)
def test_no_secret_in_any_output_line(fault_suite, row):
    outcome = fault_suite.outcome(row)
    assert not outcome.secrets, f"{row} ({outcome.fault}): {', '.join(outcome.secrets)} in the output"


@pytest.mark.parametrize("row", SYNC_ROWS)
def test_the_scan_knew_the_tokens_of_the_sync(fault_suite, row):
    """Each sync got tokens from the emulator, so the scan above looked for real tokens."""
    assert fault_suite.outcome(row).tokens_issued > 0


@pytest.mark.parametrize("row", ["wrong client secret", "debug logging"])
def test_secret_handling_rows_behave(fault_suite, row):
    """A wrong secret fails check and read with a credentials message; a debug read completes."""
    outcome = fault_suite.outcome(row)
    assert outcome.ok, f"{row}: {outcome.result}; " + "; ".join(outcome.problems)


def test_the_scan_finds_secrets_and_tokens():
    secret, token = "emulator-client-secret", "papi-" + "A1b2_C3d4-" * 4
    assert secrets_seen(f'{{"log": "client_secret={secret}"}}', secret, [token]) == ["client secret"]
    assert secrets_seen(f"Authorization: Bearer {token}", secret, [token]) == ["1 issued access token(s)"]
    assert secrets_seen("Bearer papi-" + "Z" * 30, secret, [token]) == ["a papi- token"]
    assert secrets_seen("Authorization: Bearer ****", secret, [token]) == []
