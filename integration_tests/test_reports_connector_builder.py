"""The report streams in the Connector Builder's backend (`airbyte_cdk.manifest_server`), as the Builder UI asks
it, against the emulator: with reports on in the testing values, `full_resolve` turns the dynamic stream into one
stream per report, `discover` lists them, and a test read of a report stream returns its rows as objects; with
reports off (the default), the manifest resolves to the declared streams and asks the Report API nothing.
"""
from tools.stream_facts import FACTS
from typing import Any, Dict, Iterator

import pytest

from integration_tests.test_connector_builder import builder, post, problems, records_of  # noqa: F401
from tools.stream_facts import load_manifest
from tools.personio_emulator import Emulator, EmulatorSettings
from tools.personio_emulator.reports import reports as emulated_reports


@pytest.fixture(scope="module")
def report_emulator() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorSettings(seed=5, persons=30)).start()
    yield emulator
    emulator.stop()


@pytest.fixture(scope="module")
def manifest() -> Dict[str, Any]:
    return load_manifest()


def test_full_resolve_makes_one_stream_per_report_and_a_test_read_reads_it(builder, manifest, report_emulator):  # noqa: F811
    config = report_emulator.config(sync_reports=True)
    headcount = next(r for r in emulated_reports(report_emulator.company.on_demand) if r.name == "Headcount by Department")

    resolved = post(builder, "full_resolve", {"manifest": manifest, "config": config})["manifest"]
    names = [stream["name"] for stream in resolved["streams"] if stream["name"].startswith("report_")]
    assert len(names) == 3 and len(resolved["streams"]) == len(FACTS.names) + len(names)
    stream = next(name for name in names if name.startswith("report_headcount_by_department_"))

    stream_read = post(builder, "test_read", {"manifest": manifest, "config": config, "stream_name": stream})
    assert problems(stream_read) == []
    assert records_of(stream_read) == [
        {column["name"]: cell for column, cell in zip(headcount.columns, cells)} for cells in headcount.rows
    ]


def test_with_reports_off_the_manifest_resolves_without_asking_the_report_api(builder, manifest, report_emulator):  # noqa: F811
    report_emulator.stats.reset()

    resolved = post(builder, "full_resolve", {"manifest": manifest, "config": report_emulator.config()})["manifest"]

    assert len(resolved["streams"]) == len(FACTS.names)
    assert report_emulator.stats.requests["reports"] == 0
