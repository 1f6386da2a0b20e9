"""Observation and control: stats, the admin endpoints, the CLI, the data span.
Each test reads Given / When / Then; no test sleeps except where latency itself is under test."""
from datetime import datetime, timezone
import json

import pytest
import requests

from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.__main__ import parser, settings_from
from tools.personio_emulator.pytest_plugin import make_personio_emulator, personio_emulator  # noqa: F401
from tools.personio_emulator.tests.helpers import ABSENCES, BOUNDARY, PERSONS, client, get


# -- observation and control ------------------------------------------------------------------

class TestStatsAndAdmin:
    def test_request_log_without_secrets(self, personio_emulator):
        emu = personio_emulator
        emu.stats.reset()
        session = client(emu, **{"X-Personio-App-ID": "AIRBYTE_SOURCE", "X-Personio-Partner-ID": "AIRBYTE"})
        get(emu, ABSENCES, session, limit=5, **{"updated_at.gte": "2021-01-01T00:00:00"})
        [entry] = emu.stats.entries("absence_periods")
        assert entry["query"] == {"limit": "5", "updated_at.gte": "2021-01-01T00:00:00"}
        assert entry["headers"]["authorization"] is True
        assert entry["headers"]["x-personio-app-id"] == "AIRBYTE_SOURCE"
        assert entry["headers"]["x-personio-partner-id"] == "AIRBYTE"
        assert entry["headers"]["host"] == emu.url[len("http://"):]
        assert emu.stats.requests == {"token": 1, "absence_periods": 1}
        assert emu.stats.status_codes["absence_periods"][200] == 1
        dump = json.dumps(emu.stats.snapshot())
        assert emu.client_secret not in dump and session.headers["Authorization"][7:] not in dump

    def test_admin_endpoints(self, personio_emulator):
        emu = personio_emulator
        admin = emu.url + "/_emulator"
        ids_ = requests.post(admin + "/mutate", json={"action": "create", "stream": "persons", "at": BOUNDARY}, timeout=5).json()["ids"]
        records = requests.get(admin + "/records/persons", timeout=5).json()
        assert [r for r in records if r["id"] == ids_[0]][0]["updated_at"] == BOUNDARY
        patched = requests.post(admin + "/settings", json={"faults": [{"kind": "status_502"}], "latency_seconds": 0}, timeout=5)
        assert patched.status_code == 200 and emu.settings.faults[0].kind == "status_502"
        assert get(emu, PERSONS).status_code == 502
        assert requests.get(admin + "/stats", timeout=5).json()["status_codes"]["persons"] == {"502": 1}
        assert requests.post(admin + "/settings", json={"no_such": 1}, timeout=5).status_code == 400

    def test_unknown_path_and_method(self, personio_emulator):
        assert get(personio_emulator, "/v2/employees").status_code == 404
        assert get(personio_emulator, "/v2/persons/").status_code == 404
        assert requests.post(personio_emulator.url + PERSONS, timeout=5).status_code == 405

    def test_config_and_cli_settings(self, personio_emulator):
        config = personio_emulator.config(start_date="2024-01-01T00:00:00Z")
        assert config["api_url"] == personio_emulator.url and config["start_date"] == "2024-01-01T00:00:00Z"
        args = parser().parse_args(["--port", "0", "--rate-limit", "persons=30/30", "--whitelist", "none",
                                    "--fault", "reset:attendance_periods:3:all", "--retry-after", "--latency-ms", "5"])
        settings = settings_from(args)
        assert settings.rate_limits == {"persons": (30.0, 30)} and settings.whitelisted_person_attributes == set()
        assert (settings.faults[0].kind, settings.faults[0].after, settings.faults[0].count) == ("reset", 3, None)
        assert settings.retry_after_on_429 and settings.latency_seconds == 0.005

    def test_binds_loopback_only_and_stops_cleanly(self):
        emu = Emulator(EmulatorSettings(persons=3, absence_periods=3, attendance_periods=3)).start()
        assert emu._server.server_address[0] == "127.0.0.1"
        session = client(emu)
        assert get(emu, PERSONS, session).status_code == 200
        url = emu.url
        emu.stop()
        with pytest.raises(requests.ConnectionError):  # the keep-alive connection is closed too
            session.get(url + PERSONS, timeout=2)


def test_data_start_spreads_the_history_from_that_date():
    # Given a company whose history starts in 2016 instead of 2021
    start, end = datetime(2016, 1, 1), datetime(2026, 1, 1)
    company = Emulator(EmulatorSettings(persons=30, absence_periods=100, attendance_periods=300, data_start=start,
                                        data_end=end)).company
    # Then every updated_at falls between the two, and some fall before 2021
    instants = [company.updated_us(stream, record_id) / 1e6 for stream in ("persons", "attendance_periods")
                for record_id in company.ids(stream)]
    assert min(instants) >= start.replace(tzinfo=timezone.utc).timestamp()
    assert max(instants) <= end.replace(tzinfo=timezone.utc).timestamp()
    assert min(instants) < datetime(2021, 1, 1, tzinfo=timezone.utc).timestamp()


def test_data_start_after_data_end_is_refused():
    with pytest.raises(ValueError, match="data_start"):
        EmulatorSettings(data_start=datetime(2026, 1, 2), data_end=datetime(2026, 1, 1))
