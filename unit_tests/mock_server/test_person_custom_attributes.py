from unittest import TestCase

import jsonschema
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, run_discover, state_values
from .request_builder import API_URL, ListRequestBuilder, persons_window, token_request
from .response_builder import PageBuilder, custom_attribute, person, token_response

_STREAM = "person_custom_attributes"
_NOW = "2024-03-01T00:00:00Z"
_WINDOW = persons_window(gt="2023-12-31T23:59:59Z", lt="2024-03-01T00:00:01Z")


def _keys(output) -> list:
    return sorted((row["person_id"], row["id"]) for row in record_data(output))


@freeze_time(_NOW)
class TestPersonCustomAttributesStream(TestCase):
    """One row per person and custom attribute, from GET /v2/persons, as the manifest declares it:

    - the same requests as `persons`: windows of `persons_window_size_days`, `limit=50`,
      `updated_at.gt = window_start - 1s`, `updated_at.lt = window_end + 1s`, next links without the filters;
    - a `RecordExpander` over `custom_attributes` (`on_no_records: skip`): each item becomes a row with `id`,
      `global_id`, `label`, `type` and `value` as sent (any JSON type), plus `person_id` (the person's `id`) and
      `updated_at` (the person's, re-emitted in UTC); a person without attributes gives no row;
    - primary key (`person_id`, `id`); state `{"updated_at": …}` like persons, the next sync starting
      `lookback_window_hours` before it.
    """

    @HttpMocker()
    def test_one_row_per_person_and_attribute_with_values_of_any_json_type(self, http_mocker: HttpMocker) -> None:
        # Given a person with attributes of every kind, a person with none and a person with an empty list
        http_mocker.post(token_request(), token_response())
        attributes = [
            custom_attribute("dynamic_1", "Platform", "string", "Team"),
            custom_attribute("dynamic_2", 3, "int", "Seniority"),
            custom_attribute("dynamic_3", 2.5, "double", "Bonus factor"),
            custom_attribute("dynamic_4", True, "boolean", "Remote"),
            custom_attribute("dynamic_5", ["a", "b"], "string_list", None),
            custom_attribute("dynamic_6", {"floor": 2, "desk": "B-12"}, "unspecified", "Desk"),
            custom_attribute("dynamic_7", None, "date", "Exit interview"),
        ]
        http_mocker.get(
            _WINDOW,
            PageBuilder.persons()
            .with_record(person("1001").with_field("custom_attributes", attributes))
            .with_record(person("1002").without_field("custom_attributes"))
            .with_record(person("1003").with_field("custom_attributes", []))
            .build(),
        )
        schema = next(s for s in run_discover(ConfigBuilder().build()).catalog.catalog.streams if s.name == _STREAM).json_schema

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        rows = {row["id"]: row for row in record_data(output)}
        assert _keys(output) == [("1001", f"dynamic_{number}") for number in range(1, 8)]
        assert rows["dynamic_1"] == {
            "person_id": "1001",
            "id": "dynamic_1",
            "global_id": "1",
            "label": "Team",
            "type": "string",
            "value": "Platform",
            "updated_at": "2024-01-15T10:00:00Z",
        }
        assert [rows[f"dynamic_{number}"].get("value") for number in range(2, 8)] == [3, 2.5, True, ["a", "b"], {"floor": 2, "desk": "B-12"}, None]
        assert rows["dynamic_5"].get("label") is None
        for row in rows.values():
            jsonschema.validate(row, schema)

    @HttpMocker()
    def test_updated_at_is_the_persons_in_utc_and_state_is_the_latest(self, http_mocker: HttpMocker) -> None:
        # Given persons on two pages, with offsets
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            _WINDOW,
            PageBuilder.persons()
            .with_record(person("1001", "2024-02-10T12:00:00+02:00").with_field("custom_attributes", [custom_attribute("dynamic_1", "x")]))
            .with_next_link(f"{API_URL}/v2/persons?cursor=p2")
            .build(),
        )
        http_mocker.get(
            ListRequestBuilder.persons().with_cursor("p2").build(),
            PageBuilder.persons()
            .with_record(person("1002", "2024-01-20T08:00:00-01:00").with_field("custom_attributes", [custom_attribute("dynamic_1", "y")]))
            .build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().build())

        # Then
        assert sorted((row["person_id"], row["updated_at"]) for row in record_data(output)) == [
            ("1001", "2024-02-10T10:00:00Z"),
            ("1002", "2024-01-20T09:00:00Z"),
        ]
        assert state_values(output)[-1] == "2024-02-10T10:00:00Z"

    @freeze_time("2024-02-15T12:00:00Z")
    @HttpMocker()
    def test_reads_the_persons_windows(self, http_mocker: HttpMocker) -> None:
        # Given 30-day persons windows [01-01 00:00:00, 01-30 23:59:59] and [01-31 00:00:00, now]; the periods
        # window size does not apply
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2023-12-31T23:59:59Z", lt="2024-01-31T00:00:00Z"),
            PageBuilder.persons().with_record(person("1001", "2024-01-20T08:00:00Z").with_field("custom_attributes", [custom_attribute("dynamic_1", 1)])).build(),
        )
        http_mocker.get(
            persons_window(gt="2024-01-30T23:59:59Z", lt="2024-02-15T12:00:01Z"),
            PageBuilder.persons().with_record(person("1002", "2024-02-10T08:00:00Z").with_field("custom_attributes", [custom_attribute("dynamic_1", 2)])).build(),
        )

        # When
        output = read_stream(_STREAM, ConfigBuilder().with_persons_window_size_days(30).with_window_size_days(1).with_num_workers(1).build())

        # Then
        assert _keys(output) == [("1001", "dynamic_1"), ("1002", "dynamic_1")]
        assert state_values(output) == sorted(state_values(output))
        assert state_values(output)[-1] == "2024-02-10T08:00:00Z"

    @HttpMocker()
    def test_incremental_sync_from_state_starts_lookback_hours_before_it(self, http_mocker: HttpMocker) -> None:
        # Given state 2024-02-10T00:00:00Z and the default 24 hour lookback
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            persons_window(gt="2024-02-08T23:59:59Z", lt="2024-03-01T00:00:01Z"),
            PageBuilder.persons().with_record(person("1001", "2024-02-20T00:00:00Z").with_field("custom_attributes", [custom_attribute("dynamic_1", "x")])).build(),
        )
        state = StateBuilder().with_stream_state(_STREAM, {"updated_at": "2024-02-10T00:00:00Z"}).build()

        # When
        output = read_stream(_STREAM, ConfigBuilder().build(), state=state)

        # Then
        assert _keys(output) == [("1001", "dynamic_1")]
        assert state_values(output)[-1] == "2024-02-20T00:00:00Z"
