"""Incremental syncs: a second sync from the first one's state returns the changed and created records plus exactly
those within the lookback, asks Personio for exactly that range, reads a changed absence's breakdowns, a corrected
compensation, a changed application and an employment whose person did not change; deletions reach the destination
only through a full refresh."""
from collections import Counter
from datetime import date, timedelta
from typing import Set

import pytest

from integration_tests.syncs import (
    ALL_STREAMS,
    DEFAULT_LOOKBACK,
    EmulatedRun,
    INCREMENTAL_STREAMS,
    SECOND,
    STREAMS,
    assert_succeeded,
    first_window_request,
    instant,
    micros,
    month_before,
    months_through,
    parent_of,
    utc_z,
)
from tools.sync_runner import cursor_value


def test_first_incremental_sync_reads_everything_and_saves_the_newest_updated_at(incremental):
    assert_succeeded(incremental.first)
    assert set(incremental.first.result.record_counts) == set(ALL_STREAMS)
    for stream in STREAMS:
        held_then = set(incremental.emulator.company.ids(stream)) - set(incremental.created[stream])
        assert incremental.first.ids(stream) == held_then | set(incremental.deleted[stream])
        assert cursor_value(incremental.first.result.states[stream]) == utc_z(incremental.state_instant)


def test_first_incremental_sync_saves_state_for_every_incremental_stream(incremental):
    states = incremental.first.result.states

    for stream in INCREMENTAL_STREAMS:
        assert cursor_value(states.get(stream)), (stream, states.get(stream))
    for stream in ("employments", "absence_period_breakdowns"):  # one cursor for all parents
        assert states[stream]["use_global_cursor"] is True, states[stream]
    # the absences read as breakdowns' parents keep 0.3.0's one value; the absence_periods stream its finished windows
    assert cursor_value(states["absence_period_breakdowns"]["parent_state"]["absence_periods"]) == cursor_value(
        states["absence_periods"])
    for stream in ("persons", "absence_periods", "attendance_periods", "compensations", "recruiting_applications"):
        assert states[stream]["state_type"] == "date-range", states[stream]
    assert date.fromisoformat(cursor_value(states["compensations"])).day == 1


@pytest.mark.parametrize("stream", STREAMS)
def test_incremental_without_lookback_returns_the_changed_records(incremental, stream):
    """Exactly the updated and created records, plus what shares the state's instant: the lower bound is
    inclusive, since another record may have been written at that instant after the first sync."""
    run = incremental.without_lookback
    assert_succeeded(run)

    at_the_state = incremental.unchanged_within(stream, timedelta(0))
    assert at_the_state == {incremental.at_state[stream]}
    assert run.ids(stream) == incremental.changed(stream) | at_the_state


@pytest.mark.parametrize("stream", STREAMS)
def test_incremental_with_default_lookback_adds_exactly_the_records_within_it(incremental, stream):
    run = incremental.default_lookback
    assert_succeeded(run)

    within = incremental.unchanged_within(stream, DEFAULT_LOOKBACK)
    assert within == set(incremental.inside_lookback[stream])  # the placed records, edge included
    assert run.ids(stream) == incremental.changed(stream) | within
    assert not run.ids(stream) & set(incremental.outside_lookback[stream])


@pytest.mark.parametrize("stream", STREAMS)
@pytest.mark.parametrize("lookback", [timedelta(0), DEFAULT_LOOKBACK], ids=["no-lookback", "default-lookback"])
def test_incremental_asks_personio_from_state_minus_lookback(incremental, stream, lookback):
    run = incremental.without_lookback if lookback == timedelta(0) else incremental.default_lookback
    lower = incremental.state_instant - lookback

    query = first_window_request(run, stream)

    if stream == "persons":  # only the strict updated_at.gt exists: one second earlier, in UTC
        assert query.get("updated_at.gt") == utc_z(lower - SECOND)
    else:  # inclusive, UTC wall time without offset (attendance periods reject one)
        assert query.get("updated_at.gte") == lower.strftime("%Y-%m-%dT%H:%M:%S")


@pytest.mark.parametrize("lookback", ["no-lookback", "default-lookback"])
def test_incremental_asks_breakdowns_only_for_the_absences_it_reads(incremental, lookback):
    """The changed absences (and those within the lookback) are asked for their breakdowns, no other: the
    absences' own state rides in the breakdowns' state."""
    run = incremental.without_lookback if lookback == "no-lookback" else incremental.default_lookback
    company = incremental.emulator.company
    asked = Counter(parent_of(entry) for entry in run.first_pages("absence_period_breakdowns"))

    assert set(asked) == run.ids("absence_periods") and set(asked.values()) == {1}
    assert incremental.changed("absence_periods") <= set(asked)
    assert len(asked) < len(incremental.first.first_pages("absence_period_breakdowns")) / 10
    for absence_id in incremental.changed("absence_periods"):  # an update moved ends_at: the rows followed
        rows = [{"date": r["date"], "effective_duration": r["effective_duration"]}
                for r in run.records("absence_period_breakdowns") if r["absence_period_id"] == absence_id]
        assert rows == company.breakdowns(absence_id), absence_id


def test_incremental_reads_compensations_from_the_month_before_the_saved_one_up_to_this_month(incremental):
    """The rule as docs/streams.md states it; the saved month and this month differ whenever the clock has moved into a
    month the emulator's data does not reach, so both are taken from the run, never assumed equal."""
    run = incremental.default_lookback
    saved_month = cursor_value(incremental.first.result.states["compensations"])[:7]
    record_id, month, amount = incremental.compensation

    asked = sorted(entry["query"]["start_date"][:7] for entry in run.first_pages("compensations"))

    # The run may have started in one month and ended in the next (a sync across midnight on the last day).
    this_month_at_start, this_month_at_end = (run.started_at.strftime("%Y-%m"), run.ended_at.strftime("%Y-%m"))
    assert asked in (months_through(month_before(saved_month), this_month_at_start),
                     months_through(month_before(saved_month), this_month_at_end))
    assert {record["month"] for record in run.records("compensations")} <= set(asked)
    changed = [r for r in run.records("compensations") if r["id"] == record_id and r["month"] == month]
    assert [r["amount"]["value"] for r in changed] == [amount]
    assert len(incremental.first.first_pages("compensations")) > 12, "the first sync read many more months"


def _read_since_the_request(run: EmulatedRun, incremental, stream: str) -> Set[str]:
    """The records of `stream` Personio holds updated strictly after the lower bound the run asked with
    (updated_at.gt, one filter for the whole stream)."""
    bounds = {entry["query"].get("updated_at.gt") for entry in run.first_pages(stream)}
    assert len(bounds) == 1 and None not in bounds, bounds
    lower = micros(instant(bounds.pop()))
    company = incremental.emulator.company
    return {record_id for record_id in company.ids(stream) if company.updated_us(stream, record_id) > lower}


def test_incremental_reads_a_changed_employment_although_its_person_did_not_change(incremental):
    run = incremental.default_lookback
    changed = incremental.emulator.company.get("employments", incremental.employment)
    saved = instant(incremental.first.result.states["employments"]["state"]["updated_at"])

    asked = Counter(parent_of(entry) for entry in run.first_pages("employments"))
    lower = instant(first_window_request(run, "employments")["updated_at.gt"])

    assert incremental.employment in run.ids("employments")
    assert changed["person"]["id"] not in run.ids("persons")
    assert set(asked) == set(incremental.emulator.company.ids("persons"))  # every person, every sync
    assert lower <= saved - DEFAULT_LOOKBACK - SECOND  # from the saved state minus the lookback
    assert lower >= saved - DEFAULT_LOOKBACK - timedelta(minutes=10)
    assert run.ids("employments") == _read_since_the_request(run, incremental, "employments")


def test_incremental_reads_a_changed_application_and_the_lookback(incremental):
    run = incremental.default_lookback
    saved = instant(cursor_value(incremental.first.result.states["recruiting_applications"]))
    lower = instant(first_window_request(run, "recruiting_applications")["updated_at.gt"])

    assert incremental.application in run.ids("recruiting_applications")
    assert lower == saved - DEFAULT_LOOKBACK - SECOND
    assert run.ids("recruiting_applications") == _read_since_the_request(run, incremental, "recruiting_applications")
    assert len(run.ids("recruiting_applications")) < len(incremental.first.ids("recruiting_applications"))


def test_deletions_reach_the_destination_only_through_a_full_refresh(incremental):
    """Expected behaviour, not a bug: Personio lists no deleted records, so an incremental sync cannot report
    a deletion and the destination keeps the record until the next full refresh."""
    assert_succeeded(incremental.full_refresh_after)
    for stream in STREAMS:
        deleted = set(incremental.deleted[stream])
        assert deleted <= incremental.first.ids(stream)
        assert not deleted & incremental.default_lookback.ids(stream)
        assert incremental.full_refresh_after.ids(stream) == set(incremental.emulator.company.ids(stream))
        assert not deleted & incremental.full_refresh_after.ids(stream)
