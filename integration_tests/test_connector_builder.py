"""The Connector Builder path: manifest.yaml run by the CDK's Connector Builder backend, as the Builder UI runs it.

airbyte-cdk ships the Builder's backend as `airbyte_cdk.manifest_server` (the `manifest-server` extra): a FastAPI
app whose `/v1/manifest/*` endpoints the Builder UI calls with the manifest and the user's testing values. These
tests send it the same HTTP requests in-process (FastAPI's TestClient), against the Personio emulator:

- resolve: the manifest loads, and the resolved streams are the ones these tests enumerate;
- check: succeeds with the emulator's credential, fails with a wrong secret;
- discover: one catalog entry per declared stream;
- test read of EVERY stream the manifest declares (enumerated from the file, so streams added later are covered):
  records, every page answered 200, no ERROR log, and records the emulator holds.

The Builder reads a stream incrementally and shows only the first few slices (5 by default, 20 at most), so the
testing values carry a recent start date, as a user would enter one: the emulator's data runs up to yesterday, and
a start date in the past years would fill the first slices with empty windows. One kind of stream needs the
opposite: a stream read per record of a parent read whole (employments, per person) has the parent's first records
as its slices whatever the start date, and keeps only its records changed since the start date, so with a recent
one the first five persons rarely show an employment. Those streams are test-read with the Start Date left empty
(the connector's default, 2010), as a user would do for them; with the recent one they must still read without
error.
"""
import os


# The manifest server imports ddtrace (Datadog); keep it from tracing or reporting anything. Set before the import.
os.environ.setdefault("DD_TRACE_ENABLED", "false")
os.environ.setdefault("DD_INSTRUMENTATION_TELEMETRY_ENABLED", "false")

from datetime import date, timedelta  # noqa: E402
from typing import Any, Dict, Iterator, List, Set, Tuple  # noqa: E402

import pytest  # noqa: E402
from airbyte_cdk.manifest_server.app import app  # noqa: E402
from fastapi.testclient import TestClient  # noqa: E402

from tools.stream_facts import (  # noqa: E402
    FACTS,
    declared_streams,
    load_manifest,
    partitioned_by_an_unwindowed_parent,
    primary_keys,
)
from tools.personio_emulator import Emulator, EmulatorSettings  # noqa: E402
from tools.personio_emulator import settings as emulator_settings  # noqa: E402


# Enough people and periods that the last months hold records of every kind whatever day the tests run
# (the emulator spreads updated_at evenly from 2021 to yesterday).
COMPANY = {"seed": 11, "persons": 300, "absence_periods": 600, "attendance_periods": 1500}
# "Start Date" in the Builder's testing values: about four months back.
RECENT_START_DATE = (date.today() - timedelta(days=120)).isoformat()


STREAMS = declared_streams()
PER_PARENT_OF_A_WHOLE_LIST = partitioned_by_an_unwindowed_parent()


@pytest.fixture(scope="module")
def builder() -> Iterator[TestClient]:
    """The manifest server's HTTP API, in-process; requests without a JWT pass, as in a local Builder."""
    saved = os.environ.pop("AB_JWT_SIGNATURE_SECRET", None)
    with TestClient(app) as client:
        assert client.get("/health/").json() == {"status": "ok"}
        yield client
    if saved is not None:
        os.environ["AB_JWT_SIGNATURE_SECRET"] = saved


@pytest.fixture(scope="module")
def builder_emulator() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorSettings(**COMPANY)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def manifest() -> Dict[str, Any]:
    return load_manifest()


@pytest.fixture(scope="module")
def testing_values(builder_emulator) -> Dict[str, Any]:
    """The Builder's "Testing values": the credential, the API URL (the emulator) and a recent start date."""
    return builder_emulator.config(start_date=RECENT_START_DATE)


def post(builder: TestClient, endpoint: str, body: Dict[str, Any]) -> Dict[str, Any]:
    response = builder.post(f"/v1/manifest/{endpoint}", json=body)
    assert response.status_code == 200, f"{endpoint} answered {response.status_code}: {response.text[:3000]}"
    return response.json()


def records_of(stream_read: Dict[str, Any]) -> List[Dict[str, Any]]:
    return [record for piece in stream_read["slices"] for page in piece["pages"] for record in page["records"]]


def problems(stream_read: Dict[str, Any]) -> List[str]:
    """What the Builder would show in red: ERROR (or FATAL) logs, and pages whose request Personio refused."""
    found = [f"{log['level']}: {log['message']}" for log in stream_read["logs"] if log["level"] in ("ERROR", "FATAL")]
    for piece in stream_read["slices"]:
        for page in piece["pages"]:
            status = (page.get("response") or {}).get("status")
            if status != 200:
                found.append(f"page {page.get('request', {}).get('url')} answered {status}")
    return found


# Streams whose rows come from another stream's records, with the key field naming that record and that stream:
# a stream read from another's pages (custom attributes) or per parent with a composite key (breakdowns).
DERIVED = {
    stream.name: (stream.primary_key[0], stream.parent or FACTS.window_parent(stream.name))
    for stream in FACTS
    if len(stream.primary_key) > 1 and (stream.name not in FACTS.endpoints or stream.kind == "per_parent")
}


def read_and_held_keys(emulator: Emulator, stream: str, records: List[Dict[str, Any]]) -> Tuple[List[tuple], Set[tuple]]:
    """The keys of the records read, and the keys of every record the emulator holds (`company.records`): the
    primary key's fields that the emulator's records carry, or, for a derived stream, the record it comes from."""
    if stream == "deletions":  # its rows name records that are gone: compared with the webhook's events
        from integration_tests.test_deletions_and_stage_transitions import held_deletions

        key = lambda record: (record["stream"], str(record["id"]))  # noqa: E731
        return [key(record) for record in records], {key(record) for record in held_deletions(emulator)}
    if stream in DERIVED:
        field, parent = DERIVED[stream]
        return [(record[field],) for record in records], {(record["id"],) for record in emulator.company.records(parent)}
    assert stream in emulator_settings.STREAMS, f"{stream}: the emulator has no records for it to compare with"
    held = emulator.company.records(stream)
    fields = [field for field in primary_keys()[stream] if held and all(field in record for record in held)]
    assert fields, f"{stream}: the emulator's records carry no field of the primary key {primary_keys()[stream]}"
    return ([tuple(str(record[field]) for field in fields) for record in records],
            {tuple(str(record[field]) for field in fields) for record in held})


# -- the tests ---------------------------------------------------------------------------------------------------


def test_the_manifest_declares_the_first_three_streams_and_more():
    """A guard on the enumeration itself: it reads the manifest, not a list kept here."""
    assert set(FACTS.required) <= set(STREAMS)
    assert len(STREAMS) == len(set(STREAMS)), f"a stream name repeats: {STREAMS}"


def test_resolve_returns_every_declared_stream(builder, manifest):
    """What the Builder does when a YAML manifest is imported."""
    resolved = post(builder, "resolve", {"manifest": manifest})["manifest"]

    assert [stream["name"] for stream in resolved["streams"]] == STREAMS


def test_check_succeeds_with_the_testing_values(builder, manifest, testing_values):
    result = post(builder, "check", {"manifest": manifest, "config": testing_values})

    assert result == {"success": True, "message": None}


def test_check_fails_with_a_wrong_client_secret(builder, manifest, testing_values):
    config = {**testing_values, "client_secret": "wrong-secret-" + "x" * 20}

    result = post(builder, "check", {"manifest": manifest, "config": config})

    assert result["success"] is False
    assert result["message"]
    assert config["client_secret"] not in result["message"]


def test_discover_lists_every_declared_stream(builder, manifest, testing_values):
    catalog = post(builder, "discover", {"manifest": manifest, "config": testing_values})["catalog"]

    assert [stream["name"] for stream in catalog["streams"]] == STREAMS
    for stream in catalog["streams"]:
        assert stream["json_schema"].get("properties"), f"{stream['name']} has no schema properties"


def values_for_stream(stream: str, testing_values: Dict[str, Any]) -> Dict[str, Any]:
    """The testing values a user reads this stream with: the Start Date left empty for a per-parent stream."""
    if stream in PER_PARENT_OF_A_WHOLE_LIST:
        return {name: value for name, value in testing_values.items() if name != "start_date"}
    return testing_values


def builder_test_read(builder: TestClient, manifest: Dict[str, Any], config: Dict[str, Any], stream: str) -> Dict[str, Any]:
    """A Builder test read with the UI's default limits (5 slices, 5 pages per slice, 100 records)."""
    return post(builder, "test_read", {"manifest": manifest, "config": config, "stream_name": stream})


@pytest.fixture(scope="module")
def test_reads(builder, manifest, testing_values) -> Dict[str, Dict[str, Any]]:
    """One Builder test read per declared stream."""
    return {stream: builder_test_read(builder, manifest, values_for_stream(stream, testing_values), stream) for stream in STREAMS}


@pytest.mark.parametrize("stream", STREAMS)
def test_test_read_returns_records_without_errors(test_reads, builder_emulator, stream):
    stream_read = test_reads[stream]
    records = records_of(stream_read)

    assert problems(stream_read) == []
    assert stream_read["slices"], f"{stream}: no slice was read"
    assert records, (
        f"{stream}: the Builder's first {len(stream_read['slices'])} slice(s) hold no record; slices: "
        f"{[piece['slice_descriptor'] for piece in stream_read['slices']]}"
    )
    assert stream_read["inferred_schema"], f"{stream}: the Builder inferred no schema"
    read, held = read_and_held_keys(builder_emulator, stream, records)
    assert set(read) <= held, f"{stream}: records the emulator does not hold: {sorted(set(read) - held)[:5]}"


def test_per_parent_streams_find_the_parents_and_read_without_error_from_a_recent_start_date(
    builder, manifest, testing_values
):
    """The recent start date filters their records, not their parents: the read still reaches five parents."""
    assert "employments" in PER_PARENT_OF_A_WHOLE_LIST
    for stream in PER_PARENT_OF_A_WHOLE_LIST:
        stream_read = builder_test_read(builder, manifest, testing_values, stream)

        assert problems(stream_read) == []
        # deletions' parents are the webhooks with deletion events: the emulator has one
        assert len(stream_read["slices"]) == (1 if stream == "deletions" else 5), stream


def test_the_start_date_keeps_windowed_streams_to_recent_windows(test_reads):
    """The testing values' start date is where the first window of each windowed stream begins."""
    start = RECENT_START_DATE
    for stream in ("persons", "absence_periods", "attendance_periods"):
        first = test_reads[stream]["slices"][0]["slice_descriptor"]
        assert first["start_time"].startswith(start), (stream, first)


def test_a_failing_read_is_reported_as_an_error(builder, manifest, testing_values):
    """The control of the "no error" assertion above: a wrong secret shows up as an ERROR log and no record."""
    config = {**testing_values, "client_secret": "wrong-secret-" + "x" * 20}

    stream_read = post(builder, "test_read", {"manifest": manifest, "config": config, "stream_name": "persons"})

    assert not records_of(stream_read)
    assert [log for log in stream_read["logs"] if log["level"] == "ERROR"]
    assert problems(stream_read)


def test_a_test_read_from_the_connectors_finished_windows_asks_only_the_gap_and_what_follows(builder, manifest, testing_values):
    """The state the installed connector writes after a kill (its finished windows, with a gap) given to a Builder
    test read: the Builder reads the gap and then from the last range's end minus the 24 h lookback, nothing inside
    the ranges. (The Builder itself writes the CDK's one value, so after it the next sync starts from that.)"""
    start = date.fromisoformat(RECENT_START_DATE)
    day = lambda offset: f"{start + timedelta(days=offset)}T00:00:00Z"  # noqa: E731
    ranges = {"state_type": "date-range", "slices": [
        {"start": f"{start - timedelta(days=1)}T23:59:59Z", "end": f"{start + timedelta(days=29)}T23:59:59Z"},
        {"start": day(60), "end": day(90)},
    ]}
    state = [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "absence_periods"}, "stream_state": ranges}}]

    stream_read = post(builder, "test_read", {"manifest": manifest, "config": testing_values,
                                              "stream_name": "absence_periods", "state": state})

    assert problems(stream_read) == []
    windows = [piece["slice_descriptor"]["start_time"] for piece in stream_read["slices"]]
    assert windows == [day(30), day(89)], windows
