"""Bad configs: check and read must name the field at fault."""
from dataclasses import dataclass
from typing import Any, Mapping

from tools.fault_suite.connector import catalog, run_connector
from tools.fault_suite.judge import CHECK_NAMES_FIELD, NO_SECRET, Outcome, READ_NAMES_FIELD, secrets_seen
from tools.fault_suite.observers import TokenLog
from tools.fault_suite.settings import WINDOWS
from tools.personio_emulator import Emulator, EmulatorSettings


@dataclass(frozen=True)
class BadConfig:
    name: str
    field: str  # the field the message must name
    change: Mapping[str, Any]  # over a working config; None removes the field


BAD_CONFIGS = [
    BadConfig("client_id of the wrong type", "client_id", {"client_id": 12345}),
    BadConfig("empty client_secret", "client_secret", {"client_secret": ""}),
    BadConfig("missing client_secret", "client_secret", {"client_secret": None}),
    BadConfig("malformed start_date", "start_date", {"start_date": "01/02/2024"}),
    BadConfig("impossible start_date", "start_date", {"start_date": "2024-02-30T00:00:00Z"}),
    BadConfig("future start_date", "start_date", {"start_date": "2999-01-01T00:00:00Z"}),
    BadConfig("plain-http api_url", "api_url", {"api_url": "http://api.personio.de"}),
    BadConfig("window size as text", "window_size_days", {"window_size_days": "ninety"}),
    BadConfig("negative lookback", "lookback_window_hours", {"lookback_window_hours": -1}),
]


def run_bad_config(case: BadConfig) -> Outcome:
    """`check` must fail and `read` must stop with a config error, both naming the field."""
    outcome = Outcome(f"bad config: {case.name}", "bad config", f"{case.field} = {case.change[case.field]!r}",
                      f"check FAILED and read config_error, naming '{case.field}'")
    # An emulator, so a config the connector wrongly accepted would sync rather than hang on retries.
    with Emulator(EmulatorSettings(seed=3, persons=5, absence_periods=5, attendance_periods=5)) as emulator:
        tokens = TokenLog(emulator)
        config = {**emulator.config(**WINDOWS), **case.change}
        config = {k: v for k, v in config.items() if v is not None}
        check = run_connector("check", config, deadline=120)
        read = run_connector("read", config, catalog(), deadline=120)
        outcome.secrets = secrets_seen(check.output + read.output, emulator.client_secret, tokens.tokens)
        outcome.tokens_issued = len(tokens.tokens)
    outcome.seconds = outcome.real_seconds = check.seconds + read.seconds
    status = check.connection_status or {}
    read_error = read.errors[0] if read.errors else {}
    outcome.result = f"check {status.get('status', 'no status')}, read {read.summary}"
    outcome.error = status.get("message") or ""
    outcome.exit_code, outcome.failure_type = read.exit_code, read_error.get("failure_type")
    outcome.read_error = read_error.get("message") or ""
    if status.get("status") != "FAILED":
        outcome.add(CHECK_NAMES_FIELD, f"check did not fail: {status}")
    elif f"'{case.field}'" not in (status.get("message") or ""):
        outcome.add(CHECK_NAMES_FIELD, f"check's message does not name '{case.field}': {status.get('message')!r}")
    if read.succeeded or read_error.get("failure_type") != "config_error":
        outcome.add(READ_NAMES_FIELD, f"read did not stop with a config error: {read.summary}")
    elif f"'{case.field}'" not in (read_error.get("message") or ""):
        outcome.add(READ_NAMES_FIELD, f"read's error does not name '{case.field}': {read_error.get('message')!r}")
    if read.exit_code == 0:
        outcome.add(READ_NAMES_FIELD, "read exited 0 on a bad config")
    if outcome.secrets:
        outcome.add(NO_SECRET, f"secret seen in the output: {', '.join(outcome.secrets)}")
    return outcome
