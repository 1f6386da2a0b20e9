"""The yardsticks of the benchmark and the fault suite: the fewest requests and the windows they assume must
follow the manifest."""
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from tools.benchmark.minimum import compensation_months, lookback_records, minimum, spans_to_read
from tools.fault_suite.settings import DEFAULT_NUM_WORKERS
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.benchmark.reference_reader import plan, window_days
from tools.stream_facts import FACTS

MANIFEST = Path(__file__).resolve().parents[2] / "source_personio" / "manifest.yaml"


def test_default_window_lengths_and_workers_are_the_manifests():
    text = MANIFEST.read_text()
    workers = re.search(r"config\.get\('num_workers'\) or (\d+)", text)
    assert workers and DEFAULT_NUM_WORKERS == int(workers.group(1))
    periods = re.search(r"config\.get\('window_size_days'\) or (\d+)", text)
    persons = re.search(r"config\.get\('persons_window_size_days'\) or (\d+)", text)
    assert periods and persons
    for stream in FACTS.windowed_lists:
        default = persons if FACTS[stream].window_setting == "persons_window_size_days" else periods
        assert FACTS.window_days(stream, {}) == window_days({}, plan()[stream]) == int(default.group(1)), stream
    assert FACTS.window_days("absence_periods", {"window_size_days": 30}) == 30
    assert window_days({"window_size_days": 30}, plan()["absence_periods"]) == 30
    assert FACTS.window_days("person_custom_attributes", {"persons_window_size_days": 7}) == 7


def test_compensation_months_run_from_the_start_month_to_now_across_a_year_end():
    months = compensation_months(datetime(2024, 11, 15, tzinfo=timezone.utc), datetime(2025, 2, 1, tzinfo=timezone.utc))
    assert months == ["2024-11", "2024-12", "2025-01", "2025-02"]


@pytest.fixture(scope="module")
def company():
    with Emulator(EmulatorSettings(seed=3, persons=120, absence_periods=400, attendance_periods=2_500,
                                   data_start=datetime(2016, 1, 1))) as emu:
        yield emu


def test_the_unwindowed_minimum_is_pages_at_the_largest_size(company):
    config = {"start_date": "2010-01-01T00:00:00Z"}
    now = datetime.now(timezone.utc)
    least = minimum(company, config, now)
    assert least.flat_pages == {"persons": 3, "absence_periods": 4, "attendance_periods": 25}
    assert least.flat_total == 3 + 4 + 25 + 1  # one token call for the whole sync
    # 365-day windows from 2010 up to now (how many depends on today's date), over a history from 2016: every
    # window costs at least one request
    windows = least.windows["attendance_periods"]
    assert windows[0][0] == datetime(2010, 1, 1, tzinfo=timezone.utc)
    assert all(end - start == timedelta(days=365, seconds=-1) for start, end in windows[:-1])
    assert all(later[0] - earlier[1] == timedelta(seconds=1) for earlier, later in zip(windows, windows[1:]))
    assert windows[-1][0] <= now <= windows[-1][0] + timedelta(days=365)
    assert least.pages["attendance_periods"] >= max(25, len(windows))
    assert least.matched["attendance_periods"] >= 2_500  # boundary records may count twice, none is missed


def test_lookback_records_count_those_updated_in_the_hours_before_the_state(company):
    keys = sorted(company.company.updated_us("attendance_periods", i) for i in company.company.ids("attendance_periods"))
    middle = datetime.fromtimestamp(keys[len(keys) // 2] / 1e6, timezone.utc).replace(microsecond=0)
    state = {"stream": {"stream_state": {"updated_at": middle.strftime("%Y-%m-%dT%H:%M:%SZ")}}}
    low, high = middle - timedelta(hours=24), middle + timedelta(seconds=1)
    expected = sum(1 for k in keys if low.timestamp() * 1e6 <= k <= high.timestamp() * 1e6)
    assert lookback_records(company, "attendance_periods", state, 24) == expected
    assert lookback_records(company, "attendance_periods", None, 24) == 0


def test_the_windows_read_from_finished_ranges_are_the_gaps_and_what_follows_the_last_range():
    # as in unit_tests/mock_server/test_resume_state.py: 30-day windows, January and March on finished
    utc = timezone.utc
    state = {"state_type": "date-range", "slices": [{"start": "2023-12-31T23:59:59Z", "end": "2024-01-30T23:59:59Z"},
                                                     {"start": "2024-03-01T00:00:00Z", "end": "2024-04-09T00:00:00Z"}]}
    spans = spans_to_read(state, datetime(2024, 1, 1, tzinfo=utc), timedelta(hours=24), 30,
                          datetime(2024, 4, 10, tzinfo=utc))
    assert spans == [(datetime(2024, 1, 31, tzinfo=utc), datetime(2024, 2, 29, 23, 59, 59, tzinfo=utc)),
                     (datetime(2024, 4, 8, tzinfo=utc), datetime(2024, 4, 10, tzinfo=utc))]
    # 0.3.0's one value: from it minus the lookback
    assert spans_to_read({"updated_at": "2024-04-09T00:00:00Z"}, datetime(2024, 1, 1, tzinfo=utc), timedelta(hours=24),
                         30, datetime(2024, 4, 10, tzinfo=utc)) == [(datetime(2024, 4, 8, tzinfo=utc), datetime(2024, 4, 10, tzinfo=utc))]
