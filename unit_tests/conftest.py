"""Unit tests never sleep for real.

- The backoff library's waits and the CDK's Retry-After waits are recorded instead (`sleeps.waits`), so retry
  tests can assert how long the connector would have waited.
- The CDK's API budget (`api_budget` in the manifest) waits for call credits after a 429; under a frozen clock
  that wait could never end, so it moves the frozen clock forward by the requested time instead
  (`sleeps.budget_waits`).
"""
import time as real_time
from typing import List

import backoff._sync
import pytest
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
