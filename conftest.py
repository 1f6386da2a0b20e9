# pytest only honours pytest_plugins in the rootdir conftest.
pytest_plugins = [
    "airbyte_cdk.test.standard_tests.pytest_hooks",
    "tools.personio_emulator.pytest_plugin",
]
