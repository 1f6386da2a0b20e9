"""The emulator's README lists every endpoint, setting, fault kind and dialect value the code knows, so a reader learns what
the emulator can play from one page; a setting added without a line there fails here."""
import dataclasses
from pathlib import Path

from tools.personio_emulator import pages
from tools.personio_emulator.describe import BEGIN, END, endpoint_table
from tools.personio_emulator.faults import KINDS
from tools.personio_emulator.links import CURSOR_ESCAPES, NEXT_LINKS, SELF_LINKS
from tools.personio_emulator.settings import (CUSTOM_ATTRIBUTE_VALUES, PERSONS_BURSTS, RECRUITING_TIMESTAMPS,
                                             EmulatorSettings)
from tools.personio_emulator.table import ENDPOINTS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [f.name for f in dataclasses.fields(EmulatorSettings) if f"`{f.name}`" not in README]

    assert not missing, f"settings missing from tools/personio_emulator/README.md: {missing}"


def test_every_fault_kind_is_documented():
    missing = sorted(kind for kind in KINDS if f"`{kind}`" not in README)

    assert not missing, f"fault kinds missing from tools/personio_emulator/README.md: {missing}"


def test_the_endpoint_list_is_the_table():
    """The README's endpoint list is what describe.py writes from table.py: an endpoint added, changed or
    removed in one shows in the other."""
    start, end = README.index(BEGIN), README.index(END) + len(END)

    assert README[start:end] == endpoint_table(), (
        "tools/personio_emulator/README.md: paste the output of `python -m tools.personio_emulator.describe`")


def test_every_endpoint_is_listed_and_served_by_a_source():
    for endpoint in ENDPOINTS:
        assert f"`{endpoint.method} {endpoint.path}`" in README
        if endpoint.method == "GET":
            assert callable(getattr(pages, endpoint.source, None)), endpoint.path
        if endpoint.source == "listed":
            assert callable(pages.generator(endpoint)), endpoint.records


def test_every_dialect_value_is_documented():
    values = {"recruiting_timestamps": RECRUITING_TIMESTAMPS, "custom_attribute_values": CUSTOM_ATTRIBUTE_VALUES,
              "self_link": SELF_LINKS, "next_link": NEXT_LINKS, "link_cursor_escaping": CURSOR_ESCAPES}
    missing = [(name, value) for name, known in values.items() for value in known if f'"{value}"' not in README]
    missing += [("personio_like_burst", burst) for burst in PERSONS_BURSTS if str(burst) not in README]

    assert not missing, f"dialect values missing from tools/personio_emulator/README.md: {missing}"
