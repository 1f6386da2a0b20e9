"""An absence period's breakdowns: one row per calendar day, derived from the absence as served.

Half days: an absence whose `starts_from.type` is SECOND_HALF begins at midday, one whose
`ends_at.type` is FIRST_HALF ends at midday; those edge days count half. Saturdays and Sundays
count 0. DAY units count 1 a day, HOUR units 8 hours a day (4 on a half day). An open-ended
absence (ends_at null) has rows for OPEN_ENDED_DAYS days from its start: the real API's horizon is
unknown, so this one is a documented choice that also makes such absences paginate (28 a page).
"""
from datetime import date, timedelta
from typing import List

OPEN_ENDED_DAYS = 30
FULL_DAY = {"DAY": 1.0, "HOUR": 8.0}


def rows(absence: dict, unit: str) -> List[dict]:
    """[{"date", "effective_duration": {"unit", "value"}}] in date order; no id, no absence id."""
    starts = absence.get("starts_from") or {}
    first = date.fromisoformat(starts["date_time"][:10])
    ends = absence.get("ends_at")
    last = first + timedelta(days=OPEN_ENDED_DAYS - 1) if ends is None else date.fromisoformat(ends["date_time"][:10])
    full = FULL_DAY.get(unit, 1.0)
    out = []
    day = first
    while day <= last:
        value = full
        if day.weekday() >= 5:
            value = 0.0
        elif (day == first and starts.get("type") == "SECOND_HALF") or (
                ends is not None and day == last and ends.get("type") == "FIRST_HALF"):
            value = full / 2
        out.append({"date": day.isoformat(), "effective_duration": {"unit": unit, "value": value}})
        day += timedelta(days=1)
    return out
