import pytest

# pytest only honours pytest_plugins in the rootdir conftest.
pytest_plugins = [
    "airbyte_cdk.test.standard_tests.pytest_hooks",
    "tools.personio_emulator.pytest_plugin",
]

# Test files run together on one worker under `make test` (pytest-xdist, two workers, --dist loadgroup), first.
# The fault suite's rows (test_faults.py, test_secrets.py) run in a pool of their own and mostly wait (backoffs,
# timeouts, throttled buckets): one worker waits on them while the other runs the rest. The end-to-end topics
# share their syncs (session fixtures of integration_tests/conftest.py): one worker makes them once.
SHARED_UNITS = {
    "fault_suite": ("integration_tests/test_faults.py", "integration_tests/test_secrets.py"),
    "emulated_syncs": (
        "integration_tests/test_check_command.py", "integration_tests/test_discovered_catalog.py",
        "integration_tests/test_full_refresh.py", "integration_tests/test_references.py",
        "integration_tests/test_analytics.py", "integration_tests/test_incremental.py",
        "integration_tests/test_optional_stream_access.py", "integration_tests/test_whitelisting.py",
        "integration_tests/test_state_and_secrets.py", "integration_tests/test_demo.py",
    ),
}


def pytest_collection_modifyitems(config, items):
    """Every test file is one unit of work for xdist (its module fixtures run once), the files above share one, and
    the units of SHARED_UNITS come first, in that order (xdist hands out units in collection order)."""
    unit_of = {path: unit for unit, paths in SHARED_UNITS.items() for path in paths}
    order = list(SHARED_UNITS)
    for item in items:
        path = item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(unit_of.get(path, path)))
    items.sort(key=lambda item: order.index(unit_of[item.nodeid.split("::")[0]])
               if item.nodeid.split("::")[0] in unit_of else len(order))
