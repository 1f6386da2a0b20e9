"""The whole fault suite, run in a thread pool, and the shared runs the integration tests wait on."""
import concurrent.futures
import threading
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple

from tools.fault_suite.judge import HARNESS, Outcome
from tools.fault_suite.runner import run_scenario
from tools.fault_suite.scenarios import SCENARIOS, SCENARIO_LIST
from tools.fault_suite.scenarios.bad_configs import BAD_CONFIGS, run_bad_config
from tools.fault_suite.scenarios.interruptions import interruption_trials, run_trial
from tools.fault_suite.scenarios.secrets import run_debug_read, run_wrong_secret


class Suite:
    """Every scenario, trial, bad config and secret check, run in a thread pool (each with its own
    emulator and connector process); `outcome(name)` waits for one."""

    def __init__(self, sleep_scale: float = 1, trials: int = 20, seed: int = 20_241_125, workers: int = 6,
                 only: Optional[Callable[[str], bool]] = None):
        self.sleep_scale = sleep_scale
        self.jobs: Dict[str, Callable[[], Outcome]] = {}
        for scenario in SCENARIO_LIST:
            self.jobs[scenario.name] = lambda s=scenario: run_scenario(s, sleep_scale)
        for trial in interruption_trials(trials, seed):
            self.jobs[trial.name] = lambda t=trial: run_trial(t)
        for case in BAD_CONFIGS:
            self.jobs[f"bad config: {case.name}"] = lambda c=case: run_bad_config(c)
        self.jobs["wrong client secret"] = run_wrong_secret
        self.jobs["debug logging"] = run_debug_read
        if only is not None:
            self.jobs = {name: job for name, job in self.jobs.items() if only(name)}
        self.workers = workers
        self._pool: Optional[concurrent.futures.ThreadPoolExecutor] = None
        self._futures: Dict[str, concurrent.futures.Future] = {}
        self._lock = threading.Lock()

    def start(self) -> "Suite":
        """Submit everything; the longest (persistent faults, timeouts, throttling) first."""
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.workers, thread_name_prefix="fault")
                slow = sorted((n for n in self.jobs if n in SCENARIOS and SCENARIOS[n].bound_seconds > 60),
                              key=lambda n: -SCENARIOS[n].bound_seconds)
                for name in slow + [n for n in self.jobs if n not in slow]:
                    self._futures[name] = self._pool.submit(self._guarded, name)
        return self

    def _guarded(self, name: str) -> Outcome:
        try:
            return self.jobs[name]()
        except Exception as error:  # a broken harness shows as a row, not as a hung suite
            outcome = Outcome(name, "harness", "", "")
            outcome.result = "harness error"
            outcome.add(HARNESS, f"the harness failed: {error!r}")
            return outcome

    def names(self, group: Optional[str] = None) -> List[str]:
        names = list(self.jobs)
        if group == "faults":
            return [n for n in names if n in SCENARIOS]
        if group == "interruption":
            return [n for n in names if n.startswith("interruption #")]
        if group == "bad config":
            return [n for n in names if n.startswith("bad config: ")]
        return names

    def outcome(self, name: str) -> Outcome:
        self.start()
        return self._futures[name].result()

    def outcomes(self) -> Iterable[Outcome]:
        """Every outcome, in the order of `names()`, each as soon as it and those before it are done."""
        for name in self.names():
            yield self.outcome(name)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


_shared: Dict[Tuple, Suite] = {}
_shared_lock = threading.Lock()


def shared_suite(rows: Optional[frozenset] = None, **options) -> Suite:
    """One started Suite per set of rows and options in this process, so test modules share the runs."""
    key = (rows, tuple(sorted(options.items())))
    with _shared_lock:
        if key not in _shared:
            _shared[key] = Suite(only=None if rows is None else rows.__contains__, **options).start()
        return _shared[key]


# How the integration tests run the suite: in real time (the persistent faults wait 40 s on their backoff,
# the silent server about 160 s, the read timeout 30 s; all at once), 20 trials, six rows at a time.
TEST_OPTIONS = {"sleep_scale": 1, "trials": 20, "workers": 6}


def suite_for_tests(items: Iterable[Any]) -> Suite:
    """The shared Suite running just the rows the selected tests ask for (their `row` or `rows`
    parameter), all at once, so that test_faults.py and test_secrets.py wait on the same runs."""
    wanted = set()
    for item in items:
        params = getattr(getattr(item, "callspec", None), "params", {})
        if isinstance(params.get("row"), str):
            wanted.add(params["row"])
        wanted.update(params.get("rows") or ())
    return shared_suite(rows=frozenset(wanted), **TEST_OPTIONS)
