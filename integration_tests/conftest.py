"""Fixtures of the integration tests; the helpers they share are in integration_tests/__init__.py."""
from typing import Iterator

import pytest

from integration_tests import shared_emulator, stop_shared_emulator
from tools.personio_emulator import Emulator


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The running Personio emulator every integration test reads from; stopped when the session ends."""
    yield shared_emulator()
    stop_shared_emulator()
