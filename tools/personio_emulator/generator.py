"""Deterministic, realistic record content for one seed.

Generation is split in two so hundreds of thousands of periods stay cheap. `*_skeletons` draw
eagerly, from one seeded rng per stream, only what the store indexes (id, updated_at, the person)
plus 96 random bits per period (`noise`). The rest of a period is derived from its noise when it is
first served, straight into JSON text: no rng object, no dict, no json.dumps per record, which is
what keeps a never-served page at well under a millisecond. Persons are few and richer, so they
use an rng seeded by (seed, ordinal) and ordinary dicts.
"""
import hashlib
import json
import random
from datetime import date, datetime, timedelta, timezone
from typing import Optional

from . import times

STREAM_NUMBERS = {"persons": 1, "absence_periods": 2, "attendance_periods": 3}
DATA_START = datetime(2021, 1, 1)

FIRST_NAMES = [
    "Anna", "Ben", "Chiara", "Dmitri", "Elif", "Fatima", "Georg", "Hanna", "Ines", "Jürgen",
    "Kai", "Lena", "Mateo", "Noah", "Olga", "Paul", "Quinn", "Rosa", "Søren", "Tobias",
    "Uma", "Vera", "Wei", "Xenia", "Yusuf", "Zoë", "Ana María", "Jean-Luc", "Łukasz", "Mia",
]
LAST_NAMES = [
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "García", "Rossi", "O'Brien", "Nowak", "Kowalski", "Dubois", "Smith", "Nguyen",
    "Yılmaz", "van der Berg", "Ferreira", "Jensen", "Novák", "Popescu", "Ivanova", "Chen",
]
COMMENTS = [
    "Doctor's appointment", "Family matters", "Moved shift — see \"planning\" sheet",
    "Umzug / moving day", "Conference in Lisbon\nflight at 06:00", "Überstunden ausgleichen",
    "Kita closed 🧸", "Back-office cover", "Inventur", "<b>not html</b> & friends",
]
TIMEZONES = [
    "Europe/Berlin", "Europe/Berlin", "Europe/Berlin", "Europe/London", "Europe/Madrid",
    "Europe/Amsterdam", "America/New_York", "Asia/Kolkata", "Australia/Sydney",
]
GENDERS = ["MALE", "FEMALE", "DIVERSE", "UNSPECIFIED"]
APPROVALS = ["APPROVED"] * 14 + ["PENDING"] * 3 + ["DELETION_PENDING", "SUBSTITUTE_REQUESTED"]
ATTENDANCE_STATUSES = ["CONFIRMED"] * 7 + ["PENDING"] * 2 + ["REJECTED"]
HALVES = ["FIRST_HALF", "SECOND_HALF"]
# Rendering styles for period timestamps: None = `Z`, else an offset in minutes (0 = `+00:00`).
PERIOD_STYLES = [None] * 10 + [0] * 3 + [120] * 3 + [-300] * 2 + [60, 330]

# (id, global_id, label or None, type): label is missing on some, as seen on live accounts.
CUSTOM_ATTRIBUTES = [
    ("dynamic_305", "305", "Cost center", "string"),
    ("dynamic_306", "306", "Seniority level", "int"),
    ("dynamic_307", "307", "FTE", "double"),
    ("dynamic_308", "308", "Probation end", "date"),
    ("dynamic_309", "309", "Works remotely", "boolean"),
    ("dynamic_310", "310", "Languages", "string_list"),
    ("dynamic_311", "311", None, "unspecified"),
    ("dynamic_312", "312", None, "string"),
]


def default_end() -> datetime:
    """Yesterday 00:00 UTC: records stop a day before now, and the same seed gives the same
    company all day long (a clock-based end would break byte-identical regeneration)."""
    today = datetime.now(timezone.utc).date()
    return datetime(today.year, today.month, today.day) - timedelta(days=1)


def uuid_from(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng` (uuid.uuid4 would use the OS entropy)."""
    return _uuid_text(rng.randbytes(16).hex())


def hashed_uuid(*parts) -> str:
    """A version-4-shaped UUID fixed by `parts`: ids derived from their owner, with no rng to keep."""
    return _uuid_text(hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=16).hexdigest())


def employment_id(seed: int, person_id: str, k: int) -> str:
    """The k-th employment of a person; persons list these ids and employments.py builds them."""
    return hashed_uuid(seed, "employment", person_id, k)


def _uuid_text(h: str) -> str:
    """32 random hex digits as a version-4, RFC 4122 variant UUID."""
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class Generator:
    def __init__(self, seed: int, end: Optional[datetime] = None, start: Optional[datetime] = None):
        self.seed = seed
        self.start_us = times.micros_of_date((start or DATA_START).date())
        end = end or default_end()
        self.end_us = times.micros(end.replace(tzinfo=timezone.utc))
        catalog = random.Random(f"catalog-{seed}")
        self.absence_types = [uuid_from(catalog) for _ in range(6)]
        self.projects = [uuid_from(catalog) for _ in range(8)]

    # -- eager part -------------------------------------------------------------------------

    def updated_at(self, rng: random.Random, previous: Optional[int], fractions: bool) -> int:
        """An updated_at instant; a share lands exactly on day or hour edges, or ties another."""
        # int(random() * n) rather than randrange: same determinism, a third of the cost
        rand = rng.random
        span = self.end_us - self.start_us
        r = rand()
        if previous is not None and r < 0.03:
            return previous  # bulk edits: many records share one instant, ids break the tie
        if r < 0.05:
            return self.start_us + int(rand() * (span // times.DAY)) * times.DAY
        if r < 0.09:
            return self.start_us + int(rand() * (span // times.HOUR)) * times.HOUR
        us = self.start_us + int(rand() * (span // times.SECOND)) * times.SECOND
        if fractions:
            r = rand()
            if r < 0.2:
                us += 1 + int(rand() * (times.SECOND - 1))
            elif r < 0.25:
                us += times.SECOND // 2
            elif r < 0.3:
                us += (1 + int(rand() * 999)) * 1000
        return us

    def person_skeletons(self, rng: random.Random, count: int, first_id: int = 0):
        """(id, updated_us, style) for persons: digit ids, whole-second `Z` timestamps."""
        next_id = first_id or 10_000_000 + rng.randrange(1_000_000)
        previous = None
        out = []
        for _ in range(count):
            previous = self.updated_at(rng, previous, fractions=False)
            out.append((str(next_id), previous, None, None, None))
            next_id += rng.randint(1, 40)
        return out

    def period_skeletons(self, rng: random.Random, count: int, person_ids: list):
        """(id, updated_us, style, person_id, noise) for absence or attendance periods."""
        previous = None
        out = []
        styles = PERIOD_STYLES
        n_styles = len(styles)
        n_persons = len(person_ids)
        rand = rng.random
        updated_at = self.updated_at
        hexes = rng.randbytes(28 * count).hex()  # one call instead of two per record: generation speed
        for i in range(count):
            previous = updated_at(rng, previous, True)
            person = person_ids[int(rand() * n_persons)] if n_persons else "0"
            h = hexes[56 * i:56 * i + 56]
            out.append((_uuid_text(h[:32]), previous, styles[int(rand() * n_styles)], person, int(h[32:], 16)))
        return out

    # -- lazy part --------------------------------------------------------------------------

    def person_rng(self, ordinal: int) -> random.Random:
        return random.Random((self.seed << 40) ^ (STREAM_NUMBERS["persons"] << 36) ^ ordinal)

    def created_at(self, rng: random.Random, updated_us: int) -> int:
        """created_at <= updated_at; a third of the records were never edited after creation."""
        if rng.random() < 0.3:
            return updated_us
        back = rng.randrange(0, 400 * 24 * 3600) * times.SECOND
        return updated_us - back - updated_us % times.SECOND

    def person_brief(self, ordinal: int):
        """(employment count, inactive) of a person: the first draws of person_fields replayed, so
        employments and compensations of a large company need not build every person. Keep the
        two in step (a test compares them)."""
        rng = self.person_rng(ordinal)
        rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), rng.random()
        count = 1 + (rng.random() < 0.1)
        rng.choice(GENDERS)
        return count, not rng.random() < 0.85

    def person_fields(self, rng: random.Random, person_id: str) -> dict:
        """The record in contract order; created_at/updated_at/_meta are filled in at render time."""
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
        r = rng.random()
        preferred = None if r < 0.6 else ("" if r < 0.7 else first.split(" ")[0][:3])
        picture_url = f"https://api.personio.de/v2/persons/{person_id}/profile-picture"
        # one draw, as before, so every other field stays as it was for a seed
        employments = [{"id": employment_id(self.seed, person_id, k)} for k in range(1 + (rng.random() < 0.1))]
        return {
            "id": person_id,
            "email": f"{local}.{person_id[-4:]}@example-company.test",
            "first_name": first,
            "last_name": last,
            "preferred_name": preferred,
            "gender": rng.choice(GENDERS),
            "status": "ACTIVE" if rng.random() < 0.85 else "INACTIVE",
            "profile_picture": {"url": picture_url} if rng.random() < 0.9 else None,
            "created_at": None,
            "updated_at": None,
            "custom_attributes": [self._custom_attribute(rng, a) for a in CUSTOM_ATTRIBUTES],
            "employments": employments,
            "_meta": None,
        }

    def _custom_attribute(self, rng: random.Random, attribute) -> dict:
        attr_id, global_id, label, kind = attribute
        out = {"id": attr_id, "global_id": global_id}
        if label is not None:
            out["label"] = label
        out["type"] = kind
        out["value"] = None if rng.random() < 0.1 else self._custom_value(rng, kind)
        return out

    def _custom_value(self, rng: random.Random, kind: str):
        if kind == "string":
            return rng.choice(["CC-100", "CC-200", "Vertrieb", "R&D / Labs", ""])
        if kind == "int":
            return rng.randint(1, 9)
        if kind == "double":
            return rng.choice([1.0, 0.8, 0.5, 0.75, 0.9])
        if kind == "date":
            return (date(2021, 1, 1) + timedelta(days=rng.randrange(2000))).isoformat()
        if kind == "boolean":
            return rng.random() < 0.5
        if kind == "string_list":
            return rng.sample(["de", "en", "fr", "es", "it", "pl", "tr"], rng.randint(0, 3))
        # "unspecified": anything at all, including objects and lists of mixed types
        return rng.choice([
            {"size": rng.choice(["S", "M", "L"]), "fit": "regular", "extra": None},
            [1, "two", 3.5, True],
            rng.randint(-5, 5),
            "free text",
        ])

    def period_created_at(self, noise: int, updated_us: int) -> int:
        """created_at <= updated_at, from the top bits of a period's noise."""
        top = noise >> 64
        if top % 10 < 3:
            return updated_us
        back = (top // 10) % (400 * 24 * 3600) * times.SECOND
        return updated_us - back - updated_us % times.SECOND

    def absence_json(self, period_id: str, person_id: str, updated_us: int, created_us: int, style, noise: int) -> str:
        n = noise & _LOW_64
        n, shift = divmod(n, 151)  # absences are entered up to 60 days after and 90 days before
        n, start_half = divmod(n, 10)
        n, open_ended = divmod(n, 20)  # 5 %: no planned end, e.g. parental leave
        n, length = divmod(n, 8)
        n, end_half = divmod(n, 10)
        n, kind = divmod(n, len(self.absence_types))
        n, zone = divmod(n, len(TIMEZONES))
        n, comment = divmod(n, 100)
        n, approval = divmod(n, len(APPROVALS))
        first = updated_us // times.DAY + shift - 60
        if open_ended == 0:
            ends = "null"
        else:
            last = first + ABSENCE_LENGTHS[length]
            ends = f'{{"date_time":"{times.day_text(last)}T23:59:59","type":"{HALVES[end_half != 0]}"}}'
        return (
            f'{{"id":"{period_id}","person":{{"id":"{person_id}"}},'
            f'"absence_type":{{"id":"{self.absence_types[kind]}"}},'
            f'"starts_from":{{"date_time":"{times.day_text(first)}T00:00:00","type":"{HALVES[start_half == 0]}"}},'
            f'"ends_at":{ends},"timezone_id":"{TIMEZONES[zone]}",'
            f'"comment":{COMMENTS_JSON[comment // 3] if comment < len(COMMENTS_JSON) * 3 and comment % 3 == 0 else "null"},'
            f'"approval":{{"status":"{APPROVALS[approval]}"}},'
            f'"created_at":"{times.render(created_us, style)}","updated_at":"{times.render(updated_us, style)}"}}'
        )

    def attendance_json(self, period_id: str, person_id: str, updated_us: int, created_us: int, style, noise: int) -> str:
        n = noise & _LOW_64
        n, back = divmod(n, len(ATTENDANCE_DELAYS))  # recorded on the day or up to a month later
        n, kind = divmod(n, 5)
        n, night = divmod(n, 20)
        n, start_offset = divmod(n, 240)
        n, duration = divmod(n, 480)
        n, status = divmod(n, len(ATTENDANCE_STATUSES))
        n, comment = divmod(n, 100)
        n, project = divmod(n, 10 * len(self.projects))
        n, auto = divmod(n, 10)
        n, running = divmod(n, 100)
        day = updated_us // times.DAY - ATTENDANCE_DELAYS[back]
        if kind == 0:  # a break around lunch
            start = 690 + start_offset % 120
            end = start + BREAK_MINUTES[duration % len(BREAK_MINUTES)]
        elif night == 0:  # a night shift, ending the next day
            start = 1200 + start_offset % 180
            end = start + 360 + duration % 180
        else:
            start = 360 + start_offset
            end = start + 120 + duration
        if running == 0:
            end_part = ""  # still running: the key may be absent...
        elif running == 1:
            end_part = '"end":null,'  # ...or null
        else:
            end_part = f'"end":{{"date_time":"{times.wall_minutes(day, end)}"}},'
        project_part = "null" if project % 10 >= 4 else f'{{"id":"{self.projects[project // 10]}"}}'
        return (
            f'{{"id":"{period_id}","person":{{"id":"{person_id}"}},"type":"{"BREAK" if kind == 0 else "WORK"}",'
            f'"start":{{"date_time":"{times.wall_minutes(day, start)}"}},{end_part}'
            f'"attribution_date":"{times.day_text(day)}","status":"{ATTENDANCE_STATUSES[status]}",'
            f'"comment":{COMMENTS_JSON[comment] if comment < len(COMMENTS_JSON) else "null"},'
            f'"project":{project_part},"is_auto_generated":{"true" if auto == 0 else "false"},'
            f'"created_at":"{times.render(created_us, style)}","updated_at":"{times.render(updated_us, style)}"}}'
        )


_LOW_64 = (1 << 64) - 1
ABSENCE_LENGTHS = [0, 0, 0, 1, 2, 4, 9, 13]
ATTENDANCE_DELAYS = [0, 0, 0, 1, 1, 2, 3, 7, 14, 30]
BREAK_MINUTES = [15, 30, 30, 45, 60]
COMMENTS_JSON = [json.dumps(c, ensure_ascii=False) for c in COMMENTS]  # escaped once, pasted many times
