"""`check` against the emulator: succeeds with every scope, names bad credentials and every missing required
scope, takes one token."""
from typing import Iterator

import pytest

from integration_tests.syncs import ALL_SCOPES, ALL_STREAMS, SCOPES, STREAMS, run_connector
from tools.personio_emulator import Emulator
from tools.personio_emulator.settings import ALL_SCOPES as EVERY_EMULATED_SCOPE


@pytest.fixture
def emulator_for_check(check_emulator) -> Iterator[Emulator]:
    """The check emulator, its credential settings put back after each test."""
    settings = check_emulator.settings
    saved = (set(settings.granted_scopes), settings.auth_error_status, settings.persons_missing_scope_status)
    yield check_emulator
    settings.granted_scopes, settings.auth_error_status, settings.persons_missing_scope_status = saved


def test_check_succeeds_with_a_credential_holding_every_scope(successful_check):
    assert successful_check.result.exit_code == 0
    assert successful_check.result.connection_status == {"status": "SUCCEEDED"}
    assert {e["endpoint"] for e in successful_check.requests} >= {"token", *STREAMS}
    readable = [log["message"] for log in successful_check.result.logs
                if log["message"].startswith("Optional streams this credential can read")]
    assert readable, "check did not say which optional streams it can read"
    for stream in set(ALL_STREAMS) - set(STREAMS):
        assert stream in readable[0], f"{stream} is not listed as readable: {readable[0]}"


def test_check_takes_one_access_token_for_every_stream_it_probes(successful_check):
    # Personio throttles its token endpoint past 150 calls a minute; one token may serve every request (§1).
    assert len(successful_check.requests_to("token")) == 1


@pytest.mark.parametrize("auth_error_status", [400, 401], ids=["personio-answers-400", "personio-answers-401"])
def test_check_fails_clearly_for_a_wrong_client_secret(emulator_for_check, auth_error_status):
    emulator_for_check.settings.auth_error_status = auth_error_status
    wrong_secret = "wrong-secret-" + "x" * 20

    run = run_connector(emulator_for_check, "check", emulator_for_check.config(client_secret=wrong_secret))

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert "Client ID and Client Secret" in status["message"]
    assert not any(wrong_secret in line for line in run.output)
    assert not [e for e in run.requests if e["endpoint"] in STREAMS], "no data call without a token"


@pytest.mark.parametrize("missing_stream", STREAMS)
def test_check_names_the_one_missing_scope(emulator_for_check, missing_stream):
    missing = SCOPES[missing_stream]
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {missing}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert missing in status["message"]
    for granted in ALL_SCOPES - {missing}:
        assert granted not in status["message"]


def test_check_names_the_persons_scope_when_personio_answers_401(emulator_for_check):
    """The contract's other variant: /v2/persons answers a credential without the persons right with 401."""
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {SCOPES["persons"]}
    emulator_for_check.settings.persons_missing_scope_status = 401

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["persons"] in status["message"], status["message"]


def test_check_names_both_missing_scopes(emulator_for_check):
    emulator_for_check.settings.granted_scopes = set(EVERY_EMULATED_SCOPE) - {
        SCOPES["absence_periods"], SCOPES["attendance_periods"]}

    run = run_connector(emulator_for_check, "check", emulator_for_check.config())

    status = run.result.connection_status
    assert status is not None and status["status"] == "FAILED"
    assert SCOPES["absence_periods"] in status["message"]
    assert SCOPES["attendance_periods"] in status["message"]
    assert SCOPES["persons"] not in status["message"]
