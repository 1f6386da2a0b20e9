"""Without the recruiting module and the compensations scope: check succeeds and names what each optional stream
lacks; a read fails only those streams, naming the module or scope, and syncs every other."""
from collections import Counter


from integration_tests.syncs import ALL_STREAMS, CURSORS, STREAMS, UNREADABLE
from tools.catalogs import cursor_value
from tools.stream_facts import FACTS


def test_check_succeeds_without_the_optional_streams_and_names_what_each_lacks(restricted_check):
    assert restricted_check.result.connection_status == {"status": "SUCCEEDED"}
    logs = [log["message"] for log in restricted_check.result.logs]
    readable = next(line for line in logs if line.startswith("Optional streams this credential can read"))

    for stream, lacking in UNREADABLE.items():
        said = [line for line in logs if "not readable" in line and f"{stream}:" in line]
        assert said, f"check did not name {stream}: {logs}"
        assert lacking in said[0], said[0]
        assert f" {stream}," not in readable + "," and f" {stream}." not in readable
    for stream in set(ALL_STREAMS) - set(STREAMS) - set(UNREADABLE):
        assert stream in readable, readable


def test_read_fails_only_the_unreadable_streams_naming_the_module_or_scope(restricted_read):
    result = restricted_read.result

    assert result.exit_code != 0
    assert set(result.stream_errors) == set(UNREADABLE)
    for stream, lacking in UNREADABLE.items():
        assert result.stream_status.get(stream) == "INCOMPLETE", stream
        assert any(lacking in message for message in result.stream_errors[stream]), result.stream_errors[stream]
        assert not result.record_counts.get(stream)
    for stream in set(ALL_STREAMS) - set(UNREADABLE):
        assert result.stream_status.get(stream) == "COMPLETE", (stream, result.stream_status.get(stream))
        assert result.record_counts.get(stream), f"no records for {stream}"
        if CURSORS[stream]:
            assert cursor_value(result.states.get(stream)), f"no state for {stream}"


def test_read_is_refused_only_by_the_unreadable_endpoints(restricted_read):
    refused = Counter(entry["endpoint"] for entry in restricted_read.requests if entry["status"] != 200)

    # a per-parent stream is not asked for once its parent list is refused (stage transitions: the applications)
    assert set(refused) == {stream for stream in UNREADABLE if FACTS[stream].parent not in UNREADABLE}
    assert {entry["status"] for entry in restricted_read.requests if entry["status"] != 200} == {403, 404}
