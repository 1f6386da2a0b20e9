from unittest import TestCase

from airbyte_cdk.models import SyncMode
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import run_discover

_BOTH = (SyncMode.full_refresh, SyncMode.incremental)
_FULL_REFRESH = (SyncMode.full_refresh,)

# stream: (sync modes, cursor field, primary key), as the manifest declares them
_CATALOG = {
    "persons": (_BOTH, ["updated_at"], [["id"]]),
    "absence_periods": (_BOTH, ["updated_at"], [["id"]]),
    "attendance_periods": (_BOTH, ["updated_at"], [["id"]]),
    "person_custom_attributes": (_BOTH, ["updated_at"], [["person_id"], ["id"]]),
    "employments": (_BOTH, ["updated_at"], [["id"]]),
    "absence_period_breakdowns": (_BOTH, ["absence_period_updated_at"], [["absence_period_id"], ["date"]]),
    "compensations": (_BOTH, ["month"], [["id"], ["month"]]),
    "recruiting_applications": (_BOTH, ["updated_at"], [["id"]]),
    "recruiting_candidates": (_BOTH, ["updated_at"], [["id"]]),
    "recruiting_application_stage_transitions": (_BOTH, ["application_updated_at"], [["application_id"], ["id"]]),
    "deletions": (_BOTH, ["occurred_at"], [["stream"], ["id"]]),
    "org_units": (_FULL_REFRESH, None, [["type"], ["id"]]),
    "legal_entities": (_FULL_REFRESH, None, [["id"]]),
    "workplaces": (_FULL_REFRESH, None, [["id"]]),
    "cost_centers": (_FULL_REFRESH, None, [["id"]]),
    "jobs": (_FULL_REFRESH, None, [["id"]]),
    "salary_bands": (_FULL_REFRESH, None, [["id"]]),
    "absence_types": (_FULL_REFRESH, None, [["id"]]),
    "projects": (_FULL_REFRESH, None, [["id"]]),
    "compensation_types": (_FULL_REFRESH, None, [["id"]]),
    "recruiting_jobs": (_FULL_REFRESH, None, [["id"]]),
    "recruiting_categories": (_FULL_REFRESH, None, [["id"]]),
}


@freeze_time("2024-03-01T00:00:00Z")
class TestDiscoverAllStreams(TestCase):
    """The manifest's twenty-two `streams` as discover shows them:

    - incremental (and full refresh): persons, absence_periods, attendance_periods, person_custom_attributes,
      employments and the recruiting applications and candidates on `updated_at`; absence_period_breakdowns on
      `absence_period_updated_at`; recruiting_application_stage_transitions on `application_updated_at`; compensations
      on `month`; deletions on `occurred_at`;
    - full refresh only: org_units and the structure, compensation-type and recruiting job/category lists;
    - primary keys: `id`, except person_custom_attributes (`person_id`, `id`), absence_period_breakdowns
      (`absence_period_id`, `date`), compensations (`id`, `month`), org_units (`type`, `id`), stage transitions
      (`application_id`, `id`) and deletions (`stream`, `id`);
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
