from unittest import TestCase

from airbyte_cdk.models import SyncMode
from freezegun import freeze_time

from tools.stream_facts import FACTS

from .config import ConfigBuilder
from .helpers import run_discover

_BOTH = (SyncMode.full_refresh, SyncMode.incremental)
_FULL_REFRESH = (SyncMode.full_refresh,)

# stream: (sync modes, cursor field, primary key), as the manifest declares them (tools/stream_facts.py reads it)
_CATALOG = {
    stream.name: (_BOTH if stream.incremental else _FULL_REFRESH, [stream.cursor_field] if stream.incremental else None,
                  [[field] for field in stream.primary_key])
    for stream in FACTS
}


@freeze_time("2024-03-01T00:00:00Z")
class TestDiscoverAllStreams(TestCase):
    """The manifest's `streams` as discover shows them (today):

    - incremental (and full refresh): persons, absence_periods, attendance_periods, person_custom_attributes,
      employments and the recruiting applications and candidates on `updated_at`; absence_period_breakdowns on
      `absence_period_updated_at`; compensations on `month`;
    - full refresh only: org_units and the structure, compensation-type and recruiting job/category lists;
    - primary keys: `id`, except person_custom_attributes (`person_id`, `id`), absence_period_breakdowns
      (`absence_period_id`, `date`), compensations (`id`, `month`) and org_units (`type`, `id`);
    - every cursor and primary-key field is a property of the stream's schema.
    """

    @classmethod
    def setUpClass(cls) -> None:
        cls.streams = {stream.name: stream for stream in run_discover(ConfigBuilder().build()).catalog.catalog.streams}

    def test_the_exact_table_of_streams_sync_modes_cursors_and_primary_keys(self) -> None:
        # When discovered (setUpClass)
        actual = {
            name: (
                tuple(sorted(stream.supported_sync_modes, key=lambda mode: mode.value)),
                stream.default_cursor_field or None,
                stream.source_defined_primary_key,
            )
            for name, stream in self.streams.items()
        }

        # Then
        assert actual == _CATALOG
        for name, (modes, cursor, _) in _CATALOG.items():
            assert bool(self.streams[name].source_defined_cursor) is (cursor is not None), name

    def test_every_cursor_and_primary_key_field_is_in_the_schema(self) -> None:
        for name, (_, cursor, primary_key) in _CATALOG.items():
            properties = self.streams[name].json_schema["properties"]
            for field in (cursor or []) + [part[0] for part in primary_key]:
                assert field in properties, f"{name}.{field}"
