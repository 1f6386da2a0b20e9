"""The fault suite's link and loop rows cover what they claim: every loop on every looped list, every link
writing in a loop row and in a row without a fault, and every row killed quickly if the connector loops."""
from tools.fault_suite.scenario import COMPLETES, FAILS
from tools.fault_suite.scenarios import SCENARIO_LIST
from tools.fault_suite.scenarios.links_and_loops import LOOP_DEADLINE_SECONDS, LOOP_SHAPES, LOOPED, LOOPED_STREAMS, WRITINGS
from tools.stream_facts import FACTS
from tools.personio_emulator import EmulatorSettings
from tools.personio_emulator.faults import LOOP_KINDS

LINK_SETTINGS = ("relative_next_links", "next_link", "link_cursor_escaping", "self_link")


def rows(prefix):
    return [s for s in SCENARIO_LIST if s.name.startswith(prefix)]


def test_every_loop_kind_on_every_looped_list_fails_clearly_and_resumes():
    loops = rows("loop: ")
    assert set(LOOP_SHAPES) == LOOP_KINDS
    played = {(s.faults[0]["kind"], s.faults[0]["stream"]) for s in loops}
    assert played == {(kind, stream) for kind in LOOP_KINDS for stream in LOOPED_STREAMS}
    assert {FACTS[stream].kind for stream in LOOPED_STREAMS} == set(LOOPED) == {"windowed", "per_parent", "monthly", "open_ended"}
    assert all(FACTS[stream].kind == kind for kind, (stream, _) in LOOPED.items())
    for scenario in loops:
        assert scenario.expect == FAILS and scenario.resume and scenario.check is not None
        assert scenario.faults[0]["stream"] in scenario.streams and len(scenario.streams) == 2


def test_every_link_writing_meets_a_loop_and_a_clean_sync():
    def writing_of(scenario):
        return {k: v for k, v in scenario.settings.items() if k in LINK_SETTINGS}
    in_loops = [writing_of(s) for s in rows("loop: ")]
    clean = [writing_of(s) for s in rows("links: ")]
    for name, writing in WRITINGS.items():
        assert writing in in_loops, name
        assert writing in clean, name
    assert all(s.expect == COMPLETES and not s.faults for s in rows("links: "))
    for setting in LINK_SETTINGS:
        values = {w.get(setting) for w in in_loops}
        assert len(values) >= 2, f"loop rows never change {setting}"


def test_link_and_loop_rows_are_killed_at_the_short_deadline():
    for scenario in rows("loop: ") + rows("links: "):
        assert scenario.deadline == LOOP_DEADLINE_SECONDS <= 150
        EmulatorSettings(**scenario.settings)  # valid settings
