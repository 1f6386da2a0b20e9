"""A report column of a type the manifest does not map becomes a nullable string column, instead of stopping
discover.

Why this is Python and not manifest: the manifest's DynamicSchemaLoader maps Personio's column types (every
spelling known, in either case) to JSON-schema types, and the CDK fails the whole schema, so the whole discover,
on a type it was not told about. Personio does not document its column types, so a report with a new one must
still be synced: its values arrive as Personio sends them, under a string column, and a log line names the type.

CDK internal relied on (pinned by unit_tests/cdk_internals/test_report_columns_hooks.py): the static method
`DynamicSchemaLoader._get_airbyte_type(field_type)` turns each mapped type into its schema and raises ValueError
for a type it does not know.
"""
import logging
from typing import Any, MutableMapping

from airbyte_cdk.sources.declarative.schema.dynamic_schema_loader import DynamicSchemaLoader

UNKNOWN_TYPE = (
    "A report column has the type {type!r}, which the connector does not know: it is read as a string column "
    "(its values as Personio sends them)."
)
_logger = logging.getLogger("airbyte")


def read_unknown_column_types_as_strings() -> None:
    """Installs the fallback once per process."""
    cdk_type = DynamicSchemaLoader.__dict__["_get_airbyte_type"].__func__
    if getattr(cdk_type, "personio_fallback", False):
        return

    def airbyte_type(field_type: str) -> MutableMapping[str, Any]:
        try:
            return cdk_type(field_type)
        except ValueError:
            _logger.warning(UNKNOWN_TYPE.format(type=field_type))
            return cdk_type("string")

    airbyte_type.personio_fallback = True  # type: ignore[attr-defined]
    airbyte_type.cdk_type = cdk_type  # type: ignore[attr-defined]
    DynamicSchemaLoader._get_airbyte_type = staticmethod(airbyte_type)  # type: ignore[method-assign]
