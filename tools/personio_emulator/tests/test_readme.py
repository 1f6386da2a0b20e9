"""The emulator's README lists every setting, fault kind and dialect value the code knows, so a reader learns what
the emulator can play from one page; a setting added without a line there fails here."""
import dataclasses
from pathlib import Path

from tools.personio_emulator.faults import KINDS
from tools.personio_emulator.settings import EmulatorSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_setting_is_documented():
    missing = [f.name for f in dataclasses.fields(EmulatorSettings) if f"`{f.name}`" not in README]

    assert not missing, f"settings missing from tools/personio_emulator/README.md: {missing}"


def test_every_fault_kind_is_documented():
    missing = sorted(kind for kind in KINDS if f"`{kind}`" not in README)

    assert not missing, f"fault kinds missing from tools/personio_emulator/README.md: {missing}"
