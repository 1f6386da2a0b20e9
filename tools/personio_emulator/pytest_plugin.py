"""pytest fixtures. Enable with `pytest_plugins = ["tools.personio_emulator.pytest_plugin"]` in a
root conftest.py, or import the two fixtures into a conftest.

    def test_sync(personio_emulator): ...                       # small company, seed 1
    def test_big(make_personio_emulator):
        emu = make_personio_emulator(attendance_periods=5000, rate_limits={"persons": (30, 30)})
"""
import pytest

from .emulator import Emulator
from .settings import EmulatorSettings

SMALL_COMPANY = {"seed": 1, "persons": 20, "absence_periods": 60, "attendance_periods": 150}


@pytest.fixture
def make_personio_emulator():
    """A factory: make_personio_emulator(**settings) starts an emulator (small company unless the
    sizes are given) and stops it when the test ends."""
    started = []

    def make(**settings) -> Emulator:
        emu = Emulator(EmulatorSettings(**{**SMALL_COMPANY, **settings})).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def personio_emulator(make_personio_emulator) -> Emulator:
    """A running emulator with a small seeded company and default (strict) settings."""
    return make_personio_emulator()
