"""Unit tests never sleep for real.

- The backoff library's waits and the CDK's Retry-After waits are recorded instead (`sleeps.waits`), so retry
  tests can assert how long the connector would have waited.
- The CDK's API budget (`api_budget` in the manifest) waits for call credits after a 429; under a frozen clock
  that wait could never end, so it moves the frozen clock forward by the requested time instead
  (`sleeps.budget_waits`).

Every test builds the source anew, and parsing the 1,600-line manifest and the CDK's component schema was a
quarter of each test's time: each YAML text is parsed once per session and every build gets a deep copy of the
result (`_parse_yaml_once`), so a change to the manifest's text is still parsed afresh.
"""
import copy
import time as real_time
from typing import Any, Dict, List

import backoff._sync
import pytest
from airbyte_cdk.sources.declarative import concurrent_declarative_source, yaml_declarative_source
from airbyte_cdk.sources.streams import call_rate
from airbyte_cdk.sources.streams.http import rate_limiting
from freezegun.api import freeze_factories


class SleepRecorder:
    """Stands in for the `time` module where the retry code sleeps; keeps every requested wait."""

    def __init__(self) -> None:
        self.waits: List[float] = []
        self.budget_waits: List[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)


class _BudgetClock:
    """Stands in for the `time` module in the API budget: a wait for call credits lets frozen time pass (at least
    a tenth of a second per wait: under a frozen clock the budget may ask to wait 0 s and would spin)."""

    def __init__(self, recorder: SleepRecorder) -> None:
        self._recorder = recorder

    def sleep(self, seconds: float) -> None:
        self._recorder.budget_waits.append(seconds)
        if freeze_factories:
            freeze_factories[-1].tick(max(seconds, 0.1))
        else:
            real_time.sleep(min(seconds, 0.01))


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> SleepRecorder:
    recorder = SleepRecorder()
    monkeypatch.setattr(backoff._sync, "time", recorder)
    monkeypatch.setattr(rate_limiting, "time", recorder)
    monkeypatch.setattr(call_rate, "time", _BudgetClock(recorder))
    if request.instance is not None:  # unittest.TestCase methods cannot take fixtures as arguments
        request.instance.sleeps = recorder
    return recorder


_PARSED_YAML: Dict[Any, Any] = {}


def _parse_yaml_once(parse: Any) -> Any:
    def parse_once(stream: Any) -> Any:
        text = stream if isinstance(stream, (str, bytes)) else stream.read()
        if text not in _PARSED_YAML:
            _PARSED_YAML[text] = parse(text)
        return copy.deepcopy(_PARSED_YAML[text])

    return parse_once


@pytest.fixture(autouse=True, scope="session")
def _yaml_parsed_once() -> Any:
    patch = pytest.MonkeyPatch()
    for module in (concurrent_declarative_source, yaml_declarative_source):
        patch.setattr(module, "safe_load_yaml", _parse_yaml_once(module.safe_load_yaml))
    yield
    patch.undo()
