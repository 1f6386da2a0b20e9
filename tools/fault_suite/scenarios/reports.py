"""Rows on a report stream (Personio's Report API v2): a 429 storm, a burst of 5xx, and an interruption that
the next sync repairs. The report is the emulator's overtime report, 250 rows on three pages of 100; its rows
have no key, so each row's content names it in the loss accounting (records.key_of)."""
from typing import Callable, List

from tools.personio_emulator.generator import hashed_uuid
from tools.fault_suite.scenario import COMPLETES, Context, FAILS, Scenario
from tools.fault_suite.settings import COMPANY
from tools.fault_suite.windows import outage_bound_seconds

# The emulator's overtime report for the suite's seed, and the stream the connector names after it.
OVERTIME_REPORT_ID = hashed_uuid(COMPANY["seed"], "report", "overtime")
OVERTIME_STREAM = "report_ueberstunden_pro_mitarbeiter_maerz_" + OVERTIME_REPORT_ID.replace("-", "")[-8:]
REPORT_CONFIG = {"report_ids": [OVERTIME_REPORT_ID]}


def _answered(status) -> Callable[[Context], List[str]]:
    def check(context: Context) -> List[str]:
        codes = context.emulator.stats.status_codes.get("report_rows", {})
        context.notes.append(f"report pages answered {dict(codes)}")
        return [] if codes.get(status) else [f"no report page was answered {status}: the fault did not happen"]
    return check


def report_rows() -> List[Scenario]:
    return [
        # The connector's budget for the Report API (10/s) over a bucket of one request per 2 s: throttled all along.
        Scenario("report: 429 storm", "a bucket of 1 refilled every 2 s on /v2/reports/{id}; 429 without Retry-After",
                 COMPLETES, settings={"rate_limits": {"report_rows": (0.5, 1)}, "retry_after_on_429": False},
                 config=REPORT_CONFIG, streams=(OVERTIME_STREAM,), bound_seconds=120, check=_answered(429)),
        Scenario("report: 5xx burst", "the 2nd to 4th report page requests answer 502",
                 COMPLETES, faults=({"kind": "status_502", "stream": "report_rows", "after": 1, "count": 3},),
                 config=REPORT_CONFIG, streams=(OVERTIME_STREAM,), bound_seconds=120, check=_answered(502)),
        # Resets from the third report request on, for good: the sync stops at the outage; the next one, the
        # fault gone, reads the report whole (a report has no state) and the two hold every row.
        Scenario("report: interruption", "every report page request from the 3rd on is reset, for good",
                 FAILS, faults=({"kind": "reset", "stream": "report_rows", "after": 2, "count": None},),
                 config=REPORT_CONFIG, streams=(OVERTIME_STREAM,),
                 message=r"Personio is unavailable.*connections reset or refused", failure_type="transient_error",
                 persistent=True, resume=True, bound_seconds=outage_bound_seconds() + 60),
    ]


ROWS = report_rows()
