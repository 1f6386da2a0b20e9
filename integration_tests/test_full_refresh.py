"""A full refresh of every stream: exactly the emulator's records (times in UTC), every window and page, one token,
employments person by person, breakdowns absence by absence, compensations month by month; the latest changes
read when Personio reads the period filters in local time."""
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

from integration_tests.syncs import (
    ALL_STREAMS,
    BY_ID_WITH_UPDATED_AT,
    FAST,
    REWRITTEN_TIMES,
    STREAMS,
    TINY_COMPANY,
    assert_succeeded,
    comparable,
    held_records,
    instant,
    key_of,
    micros,
    parent_of,
    run_connector,
    start_emulator,
)
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.sync_runner import configured_catalog


@pytest.mark.parametrize("stream", ALL_STREAMS)
def test_full_refresh_returns_exactly_the_records_personio_holds(company_emulator, full_refresh, stream):
    held = held_records(company_emulator, stream)
    records = full_refresh.records(stream)

    assert held, f"the emulated company holds no {stream}: nothing is compared"
    assert len(records) == len(held), f"{stream}: {len(records)} records read, {len(held)} held (a key read twice?)"
    assert full_refresh.keys(stream) == set(held)
    for record in records:
        expected = held[key_of(stream, record)]
        for name in REWRITTEN_TIMES.get(stream, ()):
            # the fields the connector rewrites: to UTC, the same instant
            assert record[name].endswith("Z"), (stream, name, record[name])
            assert instant(record[name]) == instant(expected[name]), (stream, name, record[name], expected[name])
        for name in ("created_at", "updated_at"):
            if isinstance(expected.get(name), dict):  # a recruiting timestamp object is kept as it came
                assert record[f"{name}_original"] == expected[name]
        assert comparable(stream, record) == comparable(stream, expected)


def test_the_beta_header_reads_the_endpoints_whose_reference_still_asks_for_it(discovered):
    """Personio's reference still documents `Beta: true` on org units, cost centers, workplaces and recruiting; an
    emulator that refuses requests without it (400) is read whole, and every other test (header not required) shows
    the header is harmless where it is not asked for."""
    from tools.personio_emulator.settings import BETA_STREAMS

    with Emulator(EmulatorSettings(seed=8, beta_header_required=True, **TINY_COMPANY)) as emulator:
        streams = sorted(BETA_STREAMS)
        run = run_connector(emulator, "read", emulator.config(**FAST),
                            catalog=configured_catalog(discovered, "full_refresh", streams))

        assert_succeeded(run)
        for stream in streams:
            assert run.keys(stream) == set(held_records(emulator, stream)), stream


def test_full_refresh_keeps_the_exact_updated_at_instants(company_emulator, full_refresh):
    for stream in BY_ID_WITH_UPDATED_AT:
        for record in full_refresh.records(stream):
            assert micros(instant(record["updated_at"])) == company_emulator.company.updated_us(stream, record["id"])


def test_full_refresh_pages_through_every_window_without_an_error(full_refresh):
    assert {entry["status"] for entry in full_refresh.requests} == {200}
    for stream in STREAMS:
        requests = [entry["query"] for entry in full_refresh.requests_to(stream)]
        windows = [query for query in requests if "cursor" not in query]
        pages = [query for query in requests if "cursor" in query]
        assert len(windows) >= 3 and pages, f"{stream}: the company is too small to test windows and pages"
    # a next page of any stream carries its opaque cursor and the page size, never the filters again
    for stream in ALL_STREAMS:
        pages = [entry["query"] for entry in full_refresh.requests_to(stream) if "cursor" in entry["query"]]
        assert all(set(query) <= {"cursor", "limit"} for query in pages), (stream, pages)


def test_full_refresh_of_every_stream_takes_one_access_token(full_refresh):
    # Every stream, every parent list (persons for employments, absences for breakdowns) and every worker thread
    # uses the same token: Personio throttles its token endpoint past 150 calls a minute (contract §1).
    read = {stream for stream in ALL_STREAMS if full_refresh.requests_to(stream)}
    assert read == set(ALL_STREAMS) - {"person_custom_attributes"}  # that one is read from the persons endpoint
    assert len(full_refresh.requests_to("token")) == 1


def test_full_refresh_asks_each_person_for_employments_once(company_emulator, full_refresh):
    asked = Counter(parent_of(entry) for entry in full_refresh.first_pages("employments"))

    assert set(asked) == set(company_emulator.company.ids("persons"))
    assert set(asked.values()) == {1}


def test_full_refresh_reads_each_absence_breakdown_once(company_emulator, full_refresh):
    company = company_emulator.company
    asked = Counter(parent_of(entry) for entry in full_refresh.first_pages("absence_period_breakdowns"))
    rows = defaultdict(list)
    for record in full_refresh.records("absence_period_breakdowns"):
        rows[record["absence_period_id"]].append({"date": record["date"],
                                                  "effective_duration": record["effective_duration"]})

    assert set(asked) == set(company.ids("absence_periods")) and set(asked.values()) == {1}
    for absence_id in company.ids("absence_periods"):
        assert rows[absence_id] == company.breakdowns(absence_id), absence_id
    # open-ended absences have 30 rows, more than a page of 28: their second page was followed
    assert any(len(rows[absence_id]) > 28 for absence_id in rows)


def test_full_refresh_reads_compensations_one_calendar_month_at_a_time(company_emulator, full_refresh):
    company = company_emulator.company
    read = defaultdict(set)
    for record in full_refresh.records("compensations"):
        read[record["month"]].add((record["id"], record["amount"]["value"]))
    windows = sorted((entry["query"] for entry in full_refresh.first_pages("compensations")),
                     key=lambda query: query["start_date"])

    for month in company.compensation_months():
        held = {(record["id"], record["amount"]["value"]) for record in company.compensations(month=month)}
        assert read[month] == held, month
    assert set(read) == set(company.compensation_months())
    # from the first to the last day of a calendar month; the current month up to today
    for query in windows[:-1]:
        start, end = date.fromisoformat(query["start_date"]), date.fromisoformat(query["end_date"])
        assert start.day == 1 and (end + timedelta(days=1)).day == 1 and start.month == end.month, query
    assert windows[0]["start_date"] == "2010-01-01"
    today = datetime.now(timezone.utc).date()  # the connector's clock is UTC
    assert windows[-1]["start_date"] == today.replace(day=1).isoformat()
    assert windows[-1]["end_date"] == today.isoformat()
    assert len(windows) == len({query["start_date"] for query in windows}), "a month asked twice"


def test_full_refresh_reads_the_latest_changes_when_personio_reads_filter_times_in_local_time(discovered):
    """Period filters carry no offset (attendance periods reject one), and the contract leaves open in which
    zone Personio reads them. Read in the company's zone (Europe/Berlin, UTC+1 or +2), a window that ends
    "now" in UTC ends an hour or two early: the changes of the last hour(s) must still be read."""
    emulator = start_emulator(seed=6, naive_filter_timezone="Europe/Berlin", **TINY_COMPANY)
    try:
        changed = {stream: emulator.company.update(stream, count=2) for stream in STREAMS}  # updated now

        windowed_catalog = configured_catalog(discovered, "full_refresh", STREAMS)
        run = run_connector(emulator, "read", emulator.config(**FAST), catalog=windowed_catalog)

        assert_succeeded(run)
        for stream in STREAMS:
            missed = set(changed[stream]) - run.ids(stream)
            assert run.ids(stream) == set(emulator.company.ids(stream)), f"{stream}: missed the changes {missed}"
    finally:
        emulator.stop()
