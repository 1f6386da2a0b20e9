"""The secret rows: a wrong client secret and a debug read print no secret."""
import re

from tools.fault_suite.connector import catalog, run_connector
from tools.fault_suite.judge import ENDING, NO_SECRET, Outcome, secrets_seen
from tools.fault_suite.observers import TokenLog
from tools.fault_suite.settings import WINDOWS
from tools.personio_emulator import Emulator, EmulatorSettings


def run_wrong_secret() -> Outcome:
    """A wrong client secret is still a secret: check and read must fail without printing it."""
    outcome = Outcome("wrong client secret", "secrets", "client_secret is wrong (check and read)",
                      "both fail with a credentials message; the wrong secret never printed")
    wrong = "wrong-" + "s3cr3t-" * 4
    with Emulator(EmulatorSettings(seed=3, persons=5, absence_periods=5, attendance_periods=5)) as emulator:
        tokens = TokenLog(emulator)
        config = emulator.config(**WINDOWS, client_secret=wrong)
        check = run_connector("check", config, deadline=180)
        read = run_connector("read", config, catalog(), deadline=180)
        outcome.secrets = secrets_seen(check.output + read.output, wrong, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = check.seconds + read.seconds
    status = check.connection_status or {}
    outcome.result = f"check {status.get('status')}, read {read.summary}"
    outcome.error = status.get("message") or ""
    if status.get("status") != "FAILED" or not re.search(r"(?i)client secret", outcome.error):
        outcome.add(ENDING, f"check does not point at the credentials: {status}")
    if read.succeeded or (read.errors[:1] or [{}])[0].get("failure_type") != "config_error":
        outcome.add(ENDING, f"read did not stop with a config error: {read.summary}")
    if outcome.secrets:
        outcome.add(NO_SECRET, f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome


def run_debug_read() -> Outcome:
    """`read --debug` logs every request and response: headers and bodies must come out masked."""
    outcome = Outcome("debug logging", "secrets", "read --debug (requests, headers and bodies logged)",
                      "completes; no secret or token in the debug output")
    with Emulator(EmulatorSettings(seed=3, persons=10, absence_periods=20, attendance_periods=40)) as emulator:
        tokens = TokenLog(emulator)
        run = run_connector("read", emulator.config(**WINDOWS), catalog(), extra_args=["--debug"], deadline=180)
        outcome.secrets = secrets_seen(run.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = run.seconds
    outcome.result = run.summary
    if not run.succeeded:
        outcome.add(ENDING, f"the debug read did not complete: {run.summary}")
    if outcome.secrets:
        outcome.add(NO_SECRET, f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome
