"""The preloaded launcher (tools/preloaded_launcher.py) stands in for the installed command in the tests: each
behaviour the tests read off a connector process is the same whether it runs as a real process or forked
from the launcher. The real side runs the console script as Airbyte does."""
import os
import signal
import time
from contextlib import contextmanager

import pytest

from tools import sync_runner
from tools.catalogs import configured_catalog
from tools.personio_emulator import Emulator, EmulatorSettings, Fault
from tools.preloaded_launcher import PreloadedProcess, _Server
from tools.stream_facts import FACTS
from tools.sync_runner import SourceRunner

STREAMS = list(FACTS.of_kind("windowed", "per_parent", "monthly"))


@contextmanager
def launcher(on: bool):
    before = sync_runner.PRELOADED["on"]
    sync_runner.PRELOADED["on"] = on
    try:
        yield
    finally:
        sync_runner.PRELOADED["on"] = before


def both_ways(run):
    """`run()` once as a real process and once forked from the launcher."""
    with launcher(False):
        real = run()
    with launcher(True):
        return real, run()


@pytest.fixture(scope="module")
def emulator():
    with Emulator(EmulatorSettings(seed=31, persons=12, absence_periods=20, attendance_periods=10)) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def catalog(emulator):
    return configured_catalog(SourceRunner().discover(emulator.config()).catalog, "incremental", STREAMS)


def comparable(result):
    records = {stream: sorted(map(repr, rows)) for stream, rows in result.records.items()}
    return result.exit_code, result.summary, records, result.states, result.error_messages


def test_a_read_and_the_next_one_from_its_state_are_the_same_either_way(emulator, catalog):
    config = emulator.config(start_date="2021-01-01T00:00:00Z")
    real, preloaded = both_ways(lambda: SourceRunner().read(config, catalog))
    assert real.succeeded and sum(real.record_counts.values()) > 50
    assert comparable(preloaded) == comparable(real)
    state = real.final_state
    real_next, preloaded_next = both_ways(lambda: SourceRunner().read(config, catalog, state=state))
    assert comparable(preloaded_next) == comparable(real_next)


def test_spec_check_and_a_config_error_are_the_same_either_way(emulator):
    real, preloaded = both_ways(lambda: SourceRunner().spec())
    assert preloaded.spec == real.spec and preloaded.exit_code == real.exit_code == 0
    real, preloaded = both_ways(lambda: SourceRunner().check(emulator.config()))
    assert preloaded.connection_status == real.connection_status == {"status": "SUCCEEDED"}
    bad = {"client_id": 7, "api_url": emulator.url}
    real, preloaded = both_ways(lambda: SourceRunner().run("read", config=bad, catalog={"streams": []}))
    assert real.exit_code == preloaded.exit_code == 1
    assert real.error_messages == preloaded.error_messages and "'client_secret'" in real.error_messages[0]


def test_an_outage_exits_1_with_its_trace_and_sleeps_shrink_either_way(catalog):
    """The outage path leaves through os._exit(1); the backoffs go through the sleep compression prelude."""
    def outage():
        with Emulator(EmulatorSettings(seed=32, persons=5, faults=[Fault(kind="status_503", count=1000)])) as emulator:
            return SourceRunner(sleep_scale=20).read(emulator.config(), catalog)
    real, preloaded = both_ways(outage)
    for result in (real, preloaded):
        assert result.exit_code == 1, result.summary
        assert any("unavailable" in message for message in result.error_messages), result.error_messages
        assert result.seconds < 20  # one request's backoffs take 36 s uncompressed (os._exit skips the sleep log)


@pytest.mark.parametrize("preloaded", [False, True], ids=["real", "preloaded"])
def test_a_kill_after_some_lines_ends_the_process_with_sigkill(preloaded, emulator, catalog):
    with launcher(preloaded):
        result = SourceRunner().read(emulator.config(start_date="2021-01-01T00:00:00Z"), catalog, stop_after_lines=3)
    assert result.killed == "after 3 lines" and result.exit_code == -signal.SIGKILL


def test_a_forked_command_is_a_child_of_the_launcher_and_sees_its_own_environment_and_directory(tmp_path):
    script = tmp_path / "probe.txt"
    with open(tmp_path / "stderr.txt", "w+b") as stderr:
        process = PreloadedProcess(["source-personio", "spec"], {"ONLY_HERE": "1", "PATH": os.environ["PATH"]},
                                   str(tmp_path), stderr,
                                   prelude=f"import os; open({str(script)!r}, 'w').write(os.getcwd() + ' ' + os.environ['ONLY_HERE'])")
        output = process.stdout.read()
        assert process.wait(timeout=60) == 0
    assert '"type":"SPEC"' in output.replace(" ", "")
    assert script.read_text() == f"{tmp_path} 1"
    assert process.pid != _Server.get().process.pid
    assert "ONLY_HERE" not in os.environ


def test_wait_with_a_timeout_raises_while_the_command_runs_and_kill_ends_it(tmp_path):
    with open(tmp_path / "stderr.txt", "w+b") as stderr:
        process = PreloadedProcess(["source-personio", "spec"], dict(os.environ), str(tmp_path), stderr,
                                   prelude="import time; time.sleep(30)")
        started = time.monotonic()
        with pytest.raises(Exception) as waited:
            process.wait(timeout=0.5)
        assert type(waited.value).__name__ == "TimeoutExpired" and process.poll() is None
        process.kill()
        assert process.wait(timeout=10) == -signal.SIGKILL and time.monotonic() - started < 10
        process.stdout.close()
