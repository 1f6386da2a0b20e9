"""Hygiene of every sync above: state in UTC `Z` (compensations: a month), never decreasing, the newest updated_at
read; no output line carries the client secret or an access token."""
from datetime import date
from typing import Dict


from integration_tests.syncs import EmulatedRun, ISSUED_TOKENS, STREAMS, instant, utc_z, whole_second
from tools.sync_runner import cursor_value


def _all_reads(incremental, full_refresh, persons_without_attributes) -> Dict[str, EmulatedRun]:
    return {
        "full refresh": full_refresh,
        "first incremental": incremental.first,
        "incremental without lookback": incremental.without_lookback,
        "incremental with default lookback": incremental.default_lookback,
        "full refresh after changes": incremental.full_refresh_after,
        "persons without attributes": persons_without_attributes,
    }


def test_state_is_utc_and_never_decreases_within_a_sync(incremental, full_refresh, persons_without_attributes):
    for name, run in _all_reads(incremental, full_refresh, persons_without_attributes).items():
        assert run.result.state_history, f"{name}: no state emitted"
        for stream, history in run.result.state_history.items():
            values = [cursor_value(state) for state in history]
            values = [value for value in values if value is not None]  # streams read whole keep no cursor
            if stream == "compensations":  # a calendar month's first day
                assert all(date.fromisoformat(value).day == 1 for value in values), (name, values)
                assert values == sorted(values), (name, stream, values)
                continue
            assert all(value.endswith("Z") for value in values), (name, stream, values)
            instants = [instant(value) for value in values]
            assert instants == sorted(instants), (name, stream, values)


def test_state_after_a_sync_is_the_newest_updated_at_it_read(incremental):
    for run in (incremental.without_lookback, incremental.default_lookback):
        for stream in STREAMS:
            newest = max(instant(record["updated_at"]) for record in run.records(stream))
            assert cursor_value(run.result.states[stream]) == utc_z(whole_second(newest))


def test_no_output_carries_the_client_secret_or_an_access_token(
    incremental, full_refresh, persons_without_attributes, successful_check, restricted_read
):
    runs = {**_all_reads(incremental, full_refresh, persons_without_attributes), "check": successful_check,
            "read without optional streams": restricted_read}
    secret = incremental.emulator.client_secret
    tokens = list(ISSUED_TOKENS)
    assert tokens, "the emulators issued no token: nothing was looked for"

    for name, run in runs.items():
        for line in run.output:
            assert secret not in line, f"{name} printed the client secret"
            leaked = [token for token in tokens if token in line]
            assert not leaked, f"{name} printed an access token"
