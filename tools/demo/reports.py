"""The demo's part for Personio's reports: one stream per report (named report_<name>_<end of its id>), rows
without a key, read whole on every sync. Shows a few rows of each from DuckDB and, against the emulator, checks
that every row of every report arrived."""
import json
from typing import Any, Dict, Iterable, List, Mapping

PREFIX = "report_"


def is_report(stream: str) -> bool:
    return stream.startswith(PREFIX)


def distinct_rows(records: Iterable[Mapping[str, Any]]) -> int:
    """A report row has no key: equal rows are one."""
    return len({json.dumps(dict(record), sort_keys=True) for record in records})


def show(say, connection, tables: Mapping[str, List[Dict[str, Any]]]) -> None:
    """Each synced report's row count and first rows, as DuckDB holds them."""
    from tools.demo import analytics

    reports = sorted(stream for stream in tables if is_report(stream))
    say()
    if not reports:
        say("reports   none synced (Sync Reports is on; the check's log says why there are none)")
        return
    for stream in reports:
        cursor = connection.execute(f'SELECT * FROM "{stream}" LIMIT 3')
        columns, rows = [column[0] for column in cursor.description], cursor.fetchall()
        say(f"  {stream}: {len(tables[stream])} rows; the first {len(rows)}:")
        for line in analytics.table_lines(columns, rows, indent="    "):
            say(line)


def problems(emulator, tables: Mapping[str, List[Dict[str, Any]]]) -> List[str]:
    """Against the emulator: a stream per report, holding every row of it."""
    from tools.personio_emulator.reports import reports

    found = []
    for report in reports(emulator.company.on_demand):
        stream = next((name for name in tables if is_report(name) and name.endswith(report.id.replace("-", "")[-8:])), None)
        if stream is None:
            found.append(f"the report {report.name!r} was not synced")
        elif len(tables[stream]) != len(report.rows):
            found.append(f"{stream}: {len(tables[stream])} rows synced, the report holds {len(report.rows)}")
    return found
