"""Fixtures of the integration tests; the helpers they share are in integration_tests/__init__.py and
integration_tests/syncs.py."""
from typing import Any, Dict, Iterator

import pytest

from integration_tests import shared_emulator, stop_shared_emulator
from integration_tests.syncs import (
    COMPANY,
    COMPENSATIONS_SCOPE,
    EmulatedRun,
    FAST,
    IncrementalScenario,
    PAGED_COMPANY,
    PAGED_WINDOWS,
    RECRUITING,
    TINY_COMPANY,
    WHOLE_HISTORY,
    assert_succeeded,
    run_connector,
    start_emulator,
    start_incremental,
)
from tools.personio_emulator.settings import ALL_SCOPES as EVERY_EMULATED_SCOPE
from tools.sync_runner import configured_catalog
from tools.personio_emulator import Emulator, EmulatorSettings


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    """The running Personio emulator every integration test reads from; stopped when the session ends."""
    yield shared_emulator()
    stop_shared_emulator()


# -- the syncs several topics of the end-to-end tests look at, made once per session (per worker) ------------------


@pytest.fixture(scope="session")
def discovered() -> Dict[str, Any]:
    """The catalog discover returns; configured catalogs are built from it, as Airbyte builds them."""
    with Emulator(EmulatorSettings(seed=1, **TINY_COMPANY)) as emulator:
        run = run_connector(emulator, "discover", emulator.config())
    assert run.result.catalog is not None, (run.result.error_messages, run.result.stderr[-3000:])
    return run.result.catalog


@pytest.fixture(scope="session")
def check_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=2, **TINY_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def successful_check(check_emulator) -> EmulatedRun:
    return run_connector(check_emulator, "check", check_emulator.config())


@pytest.fixture(scope="session")
def company_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=3, **PAGED_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def full_refresh(company_emulator, discovered) -> EmulatedRun:
    config = company_emulator.config(**PAGED_WINDOWS, **FAST, **WHOLE_HISTORY)
    run = run_connector(company_emulator, "read", config, catalog=configured_catalog(discovered, "full_refresh"))
    assert_succeeded(run)
    return run


@pytest.fixture(scope="session")
def restricted_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=7, unlicensed_modules=set(RECRUITING),
                              granted_scopes=set(EVERY_EMULATED_SCOPE) - {COMPENSATIONS_SCOPE}, **TINY_COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def restricted_check(restricted_emulator) -> EmulatedRun:
    return run_connector(restricted_emulator, "check", restricted_emulator.config(**FAST))


@pytest.fixture(scope="session")
def restricted_read(restricted_emulator, discovered) -> EmulatedRun:
    config = restricted_emulator.config(**FAST, **WHOLE_HISTORY)
    return run_connector(restricted_emulator, "read", config, catalog=configured_catalog(discovered, "incremental"))


@pytest.fixture(scope="session")
def whitelisting_emulator() -> Iterator[Emulator]:
    emulator = start_emulator(seed=5, whitelisted_person_attributes=set(), **COMPANY)
    yield emulator
    emulator.stop()


@pytest.fixture(scope="session")
def persons_without_attributes(whitelisting_emulator, discovered) -> EmulatedRun:
    config = whitelisting_emulator.config(**FAST)
    persons_catalog = configured_catalog(discovered, "incremental", ["persons"])
    return run_connector(whitelisting_emulator, "read", config, catalog=persons_catalog)


@pytest.fixture(scope="session")
def incremental(discovered) -> Iterator[IncrementalScenario]:
    """A first sync of every stream, changes in Personio, then second syncs from the first one's state."""
    scenario = start_incremental(discovered)
    yield scenario
    scenario.emulator.stop()
