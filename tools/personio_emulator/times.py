"""Instants as UTC epoch microseconds, and the text forms Personio writes and accepts for them.

Records keep an exact instant plus a rendering style, so the same instant can be shown as `Z`,
`+00:00` or another offset while filters still compare exact instants.
"""
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from typing import NamedTuple, Optional

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
SECOND = 1_000_000
HOUR = 3600 * SECOND
DAY = 24 * HOUR
MAX_US = 10 ** 19  # above any instant: `MAX_US - us` as 20 digits sorts newest first

_DATE_TIME = re.compile(
    r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?(Z|[+-]\d{2}:\d{2})?\Z"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


class TimeText(NamedTuple):
    """A parsed filter or `at` value, before any time zone is assumed for it."""

    wall: datetime  # naive, exactly as written
    offset: Optional[timedelta]  # None when the text carries no offset
    zulu: bool  # written with `Z` rather than a numeric offset
    date_only: bool


def parse(text: str) -> Optional[TimeText]:
    """Parse RFC 3339-like text; None when it is not a date or date-time we understand."""
    if _DATE.match(text):
        try:
            return TimeText(datetime.fromisoformat(text), None, False, True)
        except ValueError:
            return None
    match = _DATE_TIME.match(text)
    if not match:
        return None
    whole, fraction, zone = match.groups()
    try:
        wall = datetime.fromisoformat(whole)
    except ValueError:
        return None
    if fraction:
        wall = wall.replace(microsecond=int(fraction.ljust(6, "0")))
    if zone is None:
        return TimeText(wall, None, False, False)
    if zone == "Z":
        return TimeText(wall, timedelta(0), True, False)
    sign = -1 if zone[0] == "-" else 1
    hours, minutes = int(zone[1:3]), int(zone[4:6])
    if hours > 23 or minutes > 59:
        return None
    return TimeText(wall, sign * timedelta(hours=hours, minutes=minutes), False, False)


def instant(value: TimeText, naive_zone: tzinfo) -> int:
    """Epoch microseconds of a parsed value; offset-less values are read in `naive_zone`."""
    if value.offset is not None:
        aware = value.wall.replace(tzinfo=timezone(value.offset))
    else:
        aware = value.wall.replace(tzinfo=naive_zone)
    return micros(aware)


def micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def micros_of_date(day: date) -> int:
    return micros(datetime(day.year, day.month, day.day, tzinfo=timezone.utc))


def style_of(value: TimeText) -> Optional[int]:
    """The rendering style that reproduces how `value` was written: None for `Z`, else offset minutes."""
    if value.offset is None or value.zulu:
        return None
    return int(value.offset.total_seconds() // 60)


# Rendering runs once per record served, so its pieces are cached: day texts (a few thousand),
# clock texts for every second and minute of a day, and offset suffixes.
_day_texts = {}  # day number since the epoch -> "YYYY-MM-DD"
_CLOCK = [f"T{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]
_WALL_MINUTES = _CLOCK[::60]
_suffixes = {None: "Z"}


def day_text(day: int) -> str:
    text = _day_texts.get(day)
    if text is None:
        text = _day_texts[day] = (EPOCH + timedelta(days=day)).strftime("%Y-%m-%d")
    return text


def _suffix(offset_minutes: int) -> str:
    sign = "-" if offset_minutes < 0 else "+"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = _suffixes[offset_minutes] = f"{sign}{hours:02d}:{minutes:02d}"
    return text


def render(us: int, offset_minutes: Optional[int] = None) -> str:
    """RFC 3339 text for an instant; `offset_minutes` None means `Z`.

    Fractions are written only when the instant has them, trailing zeros dropped (`.5`).
    """
    shifted = us if offset_minutes is None else us + offset_minutes * 60 * SECOND
    day, rest = divmod(shifted, DAY)
    second, fraction = divmod(rest, SECOND)
    suffix = _suffixes.get(offset_minutes) or _suffix(offset_minutes)
    date = _day_texts.get(day) or day_text(day)
    if fraction:
        return date + _CLOCK[second] + f".{fraction:06d}".rstrip("0") + suffix
    return date + _CLOCK[second] + suffix


def wall_minutes(day: int, minute: int) -> str:
    """Offset-less local wall time `minute` minutes after the start of `day` (may pass midnight)."""
    extra, minute = divmod(minute, 1440)
    return (_day_texts.get(day + extra) or day_text(day + extra)) + _WALL_MINUTES[minute]


def wall_text(moment: datetime) -> str:
    """Local wall time without offset, the form period start/end values take."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")
