"""The connector across the emulator's dialects: where Personio varies or is unknown, every variant is read right.

The variants (the emulator README's "Dialects" and "Links, short pages and loops"): `self` links echoing the
request with `limit` or carrying the cursor alone; next links with the cursor alone or `limit` after or before
it, absolute or relative, the cursor percent-encoded or raw; recruiting timestamps as strings or
{"date-time", "timezone"} objects, with and without an offset; `Beta: true` required or not; custom attribute
values as strings or typed, nulls Personio was not seen to send; persons bursts of 30 or 100; and the four loop
shapes of the pagination guard.

SYNCS full syncs run, three at a time, each against its own small emulator whose lists are cut into short
pages. Every value of every variant is played in one of them; which values meet in one sync is a seeded
shuffle, printed at the start (`DIALECT_SEED=<n>` replays it). In each sync one loop shape plays on attendance
periods: that stream must fail with the connector's documented loop message, and every other stream must
complete with every record the emulator holds exactly once, with its values as held and every updated_at (and
recruiting created_at) the instant sent, fractions of a second included.
"""
import os
import random
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, List, Tuple

import pytest

from integration_tests import load_json

from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.personio_emulator.faults import LOOP_KINDS
from tools.personio_emulator.links import CURSOR_ESCAPES, NEXT_LINKS, SELF_LINKS
from tools.personio_emulator.table import LIST_OF
from tools.personio_emulator.settings import (BETA_STREAMS, CUSTOM_ATTRIBUTE_VALUES, PERSONS_BURSTS,
                                             RECRUITING_TIMESTAMPS)
from integration_tests.syncs import instant, micros
from tools.stream_facts import FACTS
from tools.catalogs import configured_catalog
from tools.sync_runner import RunResult, SourceRunner

SEED = int(os.environ.get("DIALECT_SEED") or random.SystemRandom().randrange(1, 10**6))
VARIANTS: Dict[str, tuple] = {
    "self_link": ("echo", "cursor"),
    "next_link": ("cursor", "cursor_limit", "limit_cursor"),
    "link_cursor_escaping": ("percent", "raw"),
    "relative_next_links": (False, True),
    "recruiting_timestamps": ("string", "string_offset", "string_naive", "object", "object_naive", "mixed"),
    "beta_header_required": (False, True),
    "custom_attribute_values": ("string", "typed"),
    "unseen_nulls": (False, True),
    "personio_like_burst": (30, 100),
}
LOOPED = "attendance_periods"
# kind -> (after, count): as the fault suite plays them (tools/fault_suite/scenarios/links_and_loops.py)
LOOP_SHAPES = {"next_repeat": (3, None), "next_back": (1, None), "last_page_loops": (1, 1),
               "repeat_forever": (2, 1)}
SYNCS = max(len(values) for values in VARIANTS.values())
COMPANY = {"persons": 8, "absence_periods": 5, "attendance_periods": 40, "recruiting_candidates": 12,
           "compensation_months": 2}
# The streams these variants touch; attendance periods only loop. Rewritten times: compared as instants.
OPEN_ENDED = FACTS.of_kind("open_ended")
CHECKED = (*FACTS.with_scope(FACTS.scopes["persons"]), *OPEN_ENDED, *sorted(BETA_STREAMS - set(OPEN_ENDED)))
# Small pages so every checked stream pages; one employment a page, so a person's list pages too.
# (Not where Personio does not page: a stream read out of another's records, custom attributes out of persons,
# or a list that refuses `limit`, stage transitions.)
PAGE_CAPS = {stream: 1 if stream in FACTS.of_kind("per_parent") else 4 if stream in OPEN_ENDED else 2
             for stream in (*CHECKED, LOOPED) if stream in LIST_OF and "limit" not in LIST_OF[stream].refused}
TIMES = {"recruiting_applications": ("updated_at", "created_at"),
         "recruiting_candidates": ("updated_at", "created_at")}
LOOP_MESSAGE = re.compile(r"Personio's (next link|page) for (?P<stream>\w+) .*(points at the page just read|leads "
                          r"back to a page already read in this window|holds only records already read in this "
                          r"window)")
DEADLINE_SECONDS = 150
KEYS = FACTS.primary_keys


def combinations(seed: int) -> List[Tuple[Dict[str, Any], str]]:
    """SYNCS (settings, loop kind): each value of each variant in at least one, met in a seeded order."""
    rng = random.Random(seed)
    columns = {}
    for name, values in {**VARIANTS, "loop": tuple(LOOP_SHAPES)}.items():
        column = list(values) + [rng.choice(values) for _ in range(SYNCS - len(values))]
        rng.shuffle(column)
        columns[name] = column
    rows = [{name: column[i] for name, column in columns.items()} for i in range(SYNCS)]
    return [({k: v for k, v in row.items() if k != "loop"}, row["loop"]) for row in rows]


def held(emulator: Emulator, stream: str) -> Dict[tuple, Dict[str, Any]]:
    """What the emulator holds, by primary key, as the connector emits it."""
    company = emulator.company
    if stream == "person_custom_attributes":
        records = [{**attribute, "person_id": person["id"], "updated_at": person["updated_at"]}
                   for person in company.records("persons") for attribute in person.get("custom_attributes") or []]
    else:
        records = company.records(stream)
    return {key_of(stream, record): record for record in records}


def key_of(stream: str, record: Dict[str, Any]) -> tuple:
    return tuple(str(record.get(name)) for name in KEYS[stream])


def comparable(stream: str, record: Dict[str, Any]) -> Dict[str, Any]:
    """Without the times compared as instants, what the connector adds, and top-level nulls (the CDK's message
    serializer omits those; a destination reads a missing field as null)."""
    left_out = {"updated_at", "created_at_original", "updated_at_original", "parent_chain", "application_updated_at",
                *TIMES.get(stream, ())}
    return {k: v for k, v in record.items() if v is not None and k not in left_out}


class Sync:
    """One dialect combination: its emulator, the connector's run, and what the emulator held."""

    def __init__(self, number: int, settings: Dict[str, Any], loop: str):
        self.number, self.settings, self.loop = number, settings, loop
        self.result: RunResult = None
        self.held: Dict[str, Dict[tuple, Dict[str, Any]]] = {}
        self.updated_us: Dict[str, Dict[str, int]] = {}

    def __repr__(self) -> str:
        return f"sync {self.number} (DIALECT_SEED={SEED}): {self.settings}, loop {self.loop} on {LOOPED}"

    def run(self, catalog: Dict[str, Any]) -> "Sync":
        after, count = LOOP_SHAPES[self.loop]
        settings = EmulatorSettings(seed=SEED % 1000 + self.number, page_cap=PAGE_CAPS, **COMPANY, **self.settings,
                                    faults=[Fault(self.loop, stream=LOOPED, after=after, count=count)])
        with Emulator(settings) as emulator:
            # the whole history (a full refresh reads only what changed since the start date), at the connector's
            # default request budgets, which the emulator's Personio-like buckets must not throttle
            config = {name: value for name, value in load_json("sample_config.json").items()
                      if not name.endswith("_requests_per_second")}
            config.update(api_url=emulator.url, start_date="2010-01-01T00:00:00Z")
            self.result = SourceRunner(timeout=DEADLINE_SECONDS).read(config, catalog)
            self.throttled = sum(emulator.stats.throttled.values())
            emulator.clear_faults()
            for stream in CHECKED:
                self.held[stream] = held(emulator, stream)
            for stream in ("recruiting_applications", "recruiting_candidates", "employments"):
                self.updated_us[stream] = {i: emulator.company.updated_us(stream, i)
                                           for i in emulator.company.ids(stream)}
        return self


@pytest.fixture(scope="module")
def syncs(discovered_streams) -> List[Sync]:
    print(f"\ndialect syncs, DIALECT_SEED={SEED}:")
    planned = [Sync(i, settings, loop) for i, (settings, loop) in enumerate(combinations(SEED))]
    for sync in planned:
        print(f"  {sync!r}")
    catalog = configured_catalog(discovered_streams, "full_refresh", [*CHECKED, LOOPED])
    with ThreadPoolExecutor(max_workers=3) as pool:
        done = list(pool.map(lambda sync: sync.run(catalog), planned))
    print("  seconds per sync:", [round(sync.result.seconds) for sync in done],
          "requests throttled:", [sync.throttled for sync in done])
    return done


@pytest.fixture(scope="module")
def discovered_streams() -> Dict[str, Any]:
    """The connector's catalog, as discover returns it (configured catalogs are made from it)."""
    with Emulator(EmulatorSettings(seed=1, persons=2, absence_periods=1, attendance_periods=1)) as emulator:
        result = SourceRunner(timeout=120).discover({**load_json("sample_config.json"), "api_url": emulator.url})
    assert result.catalog is not None, (result.error_messages, result.stderr[-2000:])
    return result.catalog


def test_the_variants_are_every_value_the_emulator_knows():
    known = {"self_link": SELF_LINKS, "next_link": NEXT_LINKS, "link_cursor_escaping": CURSOR_ESCAPES,
             "recruiting_timestamps": RECRUITING_TIMESTAMPS, "custom_attribute_values": CUSTOM_ATTRIBUTE_VALUES,
             "personio_like_burst": PERSONS_BURSTS}
    for name, values in known.items():
        assert set(VARIANTS[name]) == set(values), f"{name}: play every value the emulator knows"
    assert set(LOOP_SHAPES) == set(LOOP_KINDS)


def test_every_value_of_every_variant_is_played():
    planned = combinations(SEED)
    for name, values in VARIANTS.items():
        assert {settings[name] for settings, _ in planned} == set(values), name
    assert {loop for _, loop in planned} == set(LOOP_SHAPES)


@pytest.mark.parametrize("number", range(SYNCS))
def test_every_record_arrives_once_with_the_values_sent(syncs, number):
    sync = syncs[number]
    records = sync.result.records
    for stream in CHECKED:
        expected, got = sync.held[stream], records.get(stream, [])
        assert expected, f"{sync!r}: the emulator holds no {stream}: nothing is compared"
        keys = [key_of(stream, record) for record in got]
        assert len(keys) == len(set(keys)) and set(keys) == set(expected), (
            f"{sync!r}: {stream}: {len(keys)} read ({len(set(keys))} distinct), {len(expected)} held; statuses "
            f"{sync.result.stream_status}; errors {[m[:300] for m in sync.result.error_messages]}")
        for record in got:
            sent = expected[key_of(stream, record)]
            assert comparable(stream, record) == comparable(stream, sent), (repr(sync), stream, record, sent)
            for name in ("updated_at", *TIMES.get(stream, ())):
                if name in sent:
                    assert record[name].endswith("Z") and instant(record[name]) == instant(sent[name]), (
                        repr(sync), stream, name, record[name], sent[name])
            if stream in sync.updated_us:  # the exact instant behind it, fraction of a second included
                assert micros(instant(record["updated_at"])) == sync.updated_us[stream][record["id"]], (
                    repr(sync), stream, record["id"], record["updated_at"])


@pytest.mark.parametrize("number", range(SYNCS))
def test_the_loop_ends_with_the_documented_message(syncs, number):
    sync = syncs[number]
    said = [message for message in sync.result.error_messages
            if (found := LOOP_MESSAGE.search(message)) and found["stream"] == LOOPED]
    assert said, f"{sync!r}: no loop message for {LOOPED}; errors: {sync.result.error_messages[:3]}"
    assert sync.result.exit_code != 0, repr(sync)
    statuses = sync.result.stream_status
    assert statuses.get(LOOPED) != "COMPLETE", repr(sync)
    for stream in CHECKED:
        assert statuses.get(stream) == "COMPLETE", (repr(sync), stream, statuses.get(stream))
