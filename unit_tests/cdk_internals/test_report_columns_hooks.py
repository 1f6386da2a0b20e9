"""Pins the CDK internal that source_personio/report_columns.py relies on: a CDK upgrade that changes it fails here,
naming what to revisit (the behaviour itself is tested in unit_tests/mock_server/test_reports.py)."""
import inspect

import pytest
from airbyte_cdk.sources.declarative.schema.dynamic_schema_loader import DynamicSchemaLoader

from source_personio.report_columns import read_unknown_column_types_as_strings


def _cdk_type():
    method = DynamicSchemaLoader.__dict__["_get_airbyte_type"]
    assert isinstance(method, staticmethod), "revisit report_columns: _get_airbyte_type is no longer a static method"
    return getattr(method.__func__, "cdk_type", method.__func__)


def test_the_schema_is_built_through_a_static_type_lookup_that_refuses_an_unknown_type() -> None:
    cdk_type = _cdk_type()

    assert list(inspect.signature(cdk_type).parameters) == ["field_type"]
    assert cdk_type("string") == {"type": ["null", "string"]}
    with pytest.raises(ValueError):
        cdk_type("currency_range")
    assert "self._get_airbyte_type(" in inspect.getsource(DynamicSchemaLoader._get_type), (
        "revisit report_columns: column types are no longer looked up through _get_airbyte_type")


def test_installed_twice_the_fallback_wraps_the_cdks_lookup_once() -> None:
    read_unknown_column_types_as_strings()
    read_unknown_column_types_as_strings()

    installed = DynamicSchemaLoader.__dict__["_get_airbyte_type"].__func__
    assert installed.personio_fallback and not getattr(installed.cdk_type, "personio_fallback", False)
    assert DynamicSchemaLoader._get_airbyte_type("currency_range") == {"type": ["null", "string"]}
