"""Rows where Personio or the network fails: bursts, resets, cut-off transfers, timeouts, outages."""
import re
from typing import Callable, List

from tools.stream_facts import FACTS
from tools.fault_suite.connector import discovered_catalog
from tools.fault_suite.judge import count_emitted
from tools.fault_suite.scenario import COMPLETES, Context, FAILS, Scenario, _status_seen
from tools.fault_suite.settings import DEFAULT_WINDOWS, FAST_BUDGETS, READ_TIMEOUT_SECONDS
from tools.fault_suite.windows import outage_bound_seconds
from tools.personio_emulator.streams import ALL_STREAMS as ENDPOINTS


def _waited_for_the_read_timeout(context: Context) -> List[str]:
    """The held answer was given up on at the read timeout and the request retried: the sync took at
    least the timeout, and the request the emulator held was asked again."""
    if context.run.seconds < READ_TIMEOUT_SECONDS:
        return [f"the sync ended in {context.run.seconds:.0f} s, before the {READ_TIMEOUT_SECONDS} s read timeout:"
                " the held answer was not waited for"]
    return []


# The trace run.py prints when a request ran out of retries on 5xx, resets or timeouts (messages.UNAVAILABLE).
UNAVAILABLE = re.compile(r"Personio is unavailable: (?P<stream>\w+) kept failing after every retry \((?P<cause>.+?)\)\. "
                         r".*finished.*kept.*the next sync resumes", re.S)


def _stopped_at_the_outage(cause: str) -> Callable[[Context], List[str]]:
    """The read stopped at the first request that ran out of retries: an outage trace naming the stream
    and `cause`, a transient error, exit code 1."""
    def check(context: Context) -> List[str]:
        run, problems = context.run, []
        outages = [e for e in run.errors if UNAVAILABLE.search(e.get("message") or "")]
        if not outages:
            problems.append("no 'Personio is unavailable: … the next sync resumes' trace: the read did not stop at the outage")
        else:
            match = UNAVAILABLE.search(outages[-1]["message"])
            if cause not in match.group("cause"):
                problems.append(f"the outage trace names the cause {match.group('cause')!r}, not {cause!r}")
            if match.group("stream") not in context.scenario.streams:
                problems.append(f"the outage trace names {match.group('stream')!r}, which was not selected")
            if outages[-1].get("failure_type") != "transient_error":
                problems.append(f"the outage is a {outages[-1].get('failure_type')}, not a transient_error")
        if run.exit_code != 1:
            problems.append(f"exit code {run.exit_code}, expected 1")
        return problems
    return check


# The streams behind the persistent outage: the windowed lists, and both per-parent lists (one cursor each,
# saved when the stream ends), so the row shows the next sync re-reading what the stopped one had not saved.
OUTAGE_STREAMS = FACTS.windowed_lists + FACTS.of_kind("per_parent")

# Every stream of the manifest. The row that selects them all checks this against `discover`, and that every
# endpoint the emulator serves met its faults.
EVERY_STREAM = FACTS.names
# A small company for the row on every stream: its 24 months of compensations and its per-parent lists
# (a request per person, per absence) stay a few hundred requests.
SMALL_COMPANY = {"persons": 10, "absence_periods": 30, "attendance_periods": 60}


def _transient_faults_everywhere(context: Context) -> List[str]:
    """Every stream of the discovered catalog was selected and read to COMPLETE, with as many distinct
    records as the emulator holds (the loss accounting covers every stream through snapshot()), and every
    endpoint answered both a 503 and a reset: the faults hit every endpoint, not just the first ones."""
    run, stats, problems = context.run, context.emulator.stats, []
    discovered = {stream["name"] for stream in discovered_catalog()["streams"]}
    if discovered != set(context.scenario.streams):
        problems.append(f"the row's streams differ from discover: missing {sorted(discovered - set(context.scenario.streams))},"
                        f" unknown {sorted(set(context.scenario.streams) - discovered)}")
    emitted = count_emitted([run])
    for stream in context.scenario.streams:
        if run.stream_status.get(stream) != "COMPLETE":
            problems.append(f"{stream} ended {run.stream_status.get(stream)}, not COMPLETE")
        read = {key for (name, key) in emitted if name == stream}
        if not context.snap[stream]:
            problems.append(f"{stream}: the emulator holds no records, so its loss accounting proves nothing")
        elif read != set(context.snap[stream]):
            problems.append(f"{stream}: read {len(read)} distinct records, the emulator holds {len(context.snap[stream])}")
    for endpoint in ENDPOINTS:
        codes = stats.status_codes.get(endpoint, {})
        if not codes.get(503) or not codes.get("reset"):
            problems.append(f"{endpoint} answered {dict(codes)}: not both a 503 and a reset")
    return problems


ROWS = [
    # -- server errors and the network --------------------------------------------------------------
    Scenario("5xx burst on every endpoint", "503 twice, on the 3rd and 4th data request",
             COMPLETES, faults=({"kind": "status_503", "after": 2, "count": 2},)),
    Scenario("500 then 502 on one window", "500 then 502 on consecutive attendance requests",
             COMPLETES, faults=({"kind": "status_500", "stream": "attendance_periods", "after": 4},
                                {"kind": "status_502", "stream": "attendance_periods", "after": 4})),
    Scenario("connection resets", "2 connections reset without an answer (persons)",
             COMPLETES, faults=({"kind": "reset", "stream": "persons", "after": 1, "count": 2},),
             check=_status_seen("reset")),
    # Every stream selected, and on every endpoint its first request answers 503 and the retry finds the
    # connection reset: each stream retries twice (2 s + 3 s of backoff) and every stream completes whole.
    Scenario("transient faults on every stream", "on each of the 19 endpoints (20 streams): a 503, then a reset",
             COMPLETES, faults=tuple(fault for endpoint in ENDPOINTS for fault in (
                 {"kind": "status_503", "stream": endpoint, "count": 1}, {"kind": "reset", "stream": endpoint, "count": 1})),
             settings=SMALL_COMPANY, config=FAST_BUDGETS, streams=EVERY_STREAM, bound_seconds=60,
             check=_transient_faults_everywhere),
    Scenario("cut-off transfer", "Content-Length promises more bytes than are sent",
             COMPLETES, faults=({"kind": "short_body", "stream": "absence_periods", "after": 2},)),
    # Held past the 20 s read timeout, then answered (too late): the request is retried and the sync
    # completes, in about the timeout plus a backoff.
    Scenario("read timeout", f"one answer held back for {READ_TIMEOUT_SECONDS + 10} s (past the {READ_TIMEOUT_SECONDS} s read timeout)",
             COMPLETES, faults=({"kind": "timeout", "stream": "attendance_periods", "after": 2},),
             settings={"fault_hang_seconds": READ_TIMEOUT_SECONDS + 10}, bound_seconds=READ_TIMEOUT_SECONDS + 60,
             check=_waited_for_the_read_timeout),
    # At the default window sizes and num_workers: the first request to run out of retries stops the whole
    # read (one retry budget, 36 s, after the first 503), and the next sync, the outage over, resumes from the
    # state and completes: every record is in one of the two. After 120 requests the windowed lists are done,
    # employments nearly and the breakdowns in part (a per-parent stream's cursor is saved only when it ends,
    # so the next sync reads it again).
    Scenario("persistent outage", "every data request after the 120th answers 503, for good (5 streams)",
             FAILS, faults=({"kind": "status_503", "after": 120, "count": None},), streams=OUTAGE_STREAMS,
             config=DEFAULT_WINDOWS, message=r"Personio is unavailable.*server errors \(HTTP 5xx\)", failure_type="transient_error",
             persistent=True, resume=True, bound_seconds=outage_bound_seconds() + 60,
             check=_stopped_at_the_outage("server errors (HTTP 5xx)")),
    # The slowest outage: every attempt waits out the read timeout, six attempts of 20 s and 36 s of waits.
    # It stops the streams inside their windows in flight; the next sync reads those again.
    # The first error says Personio is unavailable (a transient error); the CDK's "Read timed out" stays in its
    # internal message.
    Scenario("persistent outage, silent server", f"every data request after the 12th is held {READ_TIMEOUT_SECONDS + 5} s,"
             f" past the {READ_TIMEOUT_SECONDS} s read timeout, for good",
             FAILS, faults=({"kind": "timeout", "after": 12, "count": None},),
             settings={"fault_hang_seconds": READ_TIMEOUT_SECONDS + 5}, config=DEFAULT_WINDOWS,
             message=r"Personio is unavailable.*no answer within the timeout", failure_type="transient_error",
             persistent=True, per_attempt_seconds=READ_TIMEOUT_SECONDS, resume=True,
             bound_seconds=outage_bound_seconds(READ_TIMEOUT_SECONDS) + 30,
             check=_stopped_at_the_outage("no answer within the timeout")),
]
