import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Callable, List, Tuple
from unittest import TestCase
from zoneinfo import ZoneInfo

import yaml

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun import freeze_time

from .config import ConfigBuilder
from .helpers import read_stream, record_data, record_ids, state_values
from .request_builder import API_URL, ListRequestBuilder, recruiting_since, token_request
from .response_builder import (
    PageBuilder,
    RecordBuilder,
    berlin_time,
    list_record,
    recruiting_application,
    recruiting_candidate,
    token_response,
)

_NOW = "2024-03-01T00:00:00Z"
_START_GT = "2023-12-31T23:59:59Z"  # start_date 2024-01-01T00:00:00Z minus one second


class _RecruitingListTests:
    """Shared by applications and candidates, which the manifest declares alike (`recruiting_stream`):

    - page size `limit=200`; next links followed without the filter;
    - one open-ended window (`open_ended_cursor`): only `updated_at.gt = start - 1s` (Personio answers 400 to
      `.gt` and `.lt` together), start being `start_date` or the saved state minus `lookback_window_hours`;
    - `recruiting_times_in_utc`: `updated_at` / `created_at` given as `{"date-time": …, "timezone": …}` objects
      are emitted as UTC strings, the object kept under `updated_at_original` / `created_at_original`; strings
      with an offset are converted to UTC; fractions of a second are kept; a date-time without offset is wall
      time in the object's own timezone (UTC for a string or a zone the manifest does not list);
    - state `{"updated_at": …}`: the largest `updated_at` read (Personio lists newest first).
    """

    stream: str
    record: Callable[..., RecordBuilder]
    # Each test opens its own HttpMocker: a decorator's mocker would be shared by both subclasses.

    def _page(self) -> PageBuilder:
        return PageBuilder.for_stream(self.stream)

    def _request(self) -> ListRequestBuilder:
        return getattr(ListRequestBuilder, self.stream)()

    def test_reads_one_open_ended_window_with_limit_200_and_updated_at_gt_only_and_follows_next_links(self) -> None:
        with HttpMocker() as http_mocker:
            # Given two pages, newest first
            http_mocker.post(token_request(), token_response())
            request = recruiting_since(self.stream, gt=_START_GT)
            http_mocker.get(
                request,
                self._page()
                .with_record(self.record(3, "2024-02-01T00:00:00Z"))
                .with_record(self.record(2))
                .with_next_link(f"{API_URL}{self._request().path}?cursor=r2")
                .build(),
            )
            http_mocker.get(self._request().with_cursor("r2").build(), self._page().with_record(self.record(1, "2024-01-02T00:00:00Z")).build())

            # When
            output = read_stream(self.stream, ConfigBuilder().build(), SyncMode.full_refresh)

            # Then
            assert record_ids(output) == [3, 2, 1]
            http_mocker.assert_number_of_calls(request, 1)

    def test_timestamps_become_utc_strings_the_objects_are_kept_and_state_is_the_largest_updated_at(self) -> None:
        with HttpMocker() as http_mocker:
            # Given one record with object-shaped timestamps, one with offset strings, an older one in UTC
            updated, created = berlin_time("2024-02-10T12:00:00+02:00"), berlin_time("2024-01-31T23:30:00+01:00")
            http_mocker.post(token_request(), token_response())
            http_mocker.get(
                recruiting_since(self.stream, gt=_START_GT),
                self._page()
                .with_record(self.record(1, updated).with_field("created_at", created))
                .with_record(self.record(2, "2024-02-09T09:30:00-05:00").with_field("created_at", "2024-02-01T01:00:00+01:00"))
                .with_record(self.record(3, "2024-01-05T00:00:00Z"))
                .build(),
            )

            # When
            output = read_stream(self.stream, ConfigBuilder().build())

            # Then
            first, second, third = record_data(output)
            assert (first["updated_at"], first["created_at"]) == ("2024-02-10T10:00:00Z", "2024-01-31T22:30:00Z")
            assert (first["updated_at_original"], first["created_at_original"]) == (updated, created)
            assert (second["updated_at"], second["created_at"]) == ("2024-02-09T14:30:00Z", "2024-02-01T00:00:00Z")
            assert second.get("updated_at_original") is None and second.get("created_at_original") is None
            assert third["updated_at"] == "2024-01-05T00:00:00Z"
            assert state_values(output)[-1] == "2024-02-10T10:00:00Z"

    def test_fractions_are_kept_and_a_wall_time_is_read_in_its_own_zone(self) -> None:
        with HttpMocker() as http_mocker:
            # Given fractions in every form, wall times without offset in Berlin (winter), New York, an unknown
            # zone, and a string without offset
            updated = {"date-time": "2024-02-10T12:00:00.123456", "timezone": "Europe/Berlin"}
            created = {"date-time": "2024-02-01T07:00:00", "timezone": "America/New_York"}
            http_mocker.post(token_request(), token_response())
            http_mocker.get(
                recruiting_since(self.stream, gt=_START_GT),
                self._page()
                .with_record(self.record(1, updated).with_field("created_at", "2024-02-10T11:59:59.5+01:00"))
                .with_record(self.record(2, "2024-02-09T09:30:00.25Z").with_field("created_at", created))
                .with_record(self.record(3, "2024-01-05T08:00:00").with_field("created_at", None))
                .with_record(self.record(4, {"date-time": "2024-01-04T10:00:00.001", "timezone": "Mars/Olympus_Mons"}))
                .build(),
            )

            # When
            output = read_stream(self.stream, ConfigBuilder().build())

            # Then the instants Personio sent, in UTC
            first, second, third, fourth = record_data(output)
            assert (first["updated_at"], first["created_at"]) == ("2024-02-10T11:00:00.123456Z", "2024-02-10T10:59:59.500000Z")
            assert first["updated_at_original"] == updated
            assert (second["updated_at"], second["created_at"]) == ("2024-02-09T09:30:00.250000Z", "2024-02-01T12:00:00Z")
            assert second["created_at_original"] == created
            assert third["updated_at"] == "2024-01-05T08:00:00Z" and third.get("created_at") is None
            assert fourth["updated_at"] == "2024-01-04T10:00:00.001000Z"
            # and the cursor parsed the largest one, fraction and all
            assert state_values(output)[-1] == "2024-02-10T11:00:00Z"

    def test_incremental_sync_asks_from_state_minus_lookback_minus_one_second(self) -> None:
        with HttpMocker() as http_mocker:
            # Given state 2024-02-10T00:00:00Z and the default 24 hour lookback
            http_mocker.post(token_request(), token_response())
            request = recruiting_since(self.stream, gt="2024-02-08T23:59:59Z")
            http_mocker.get(request, self._page().with_record(self.record(7, "2024-02-25T00:00:00Z")).build())
            state = StateBuilder().with_stream_state(self.stream, {"updated_at": "2024-02-10T00:00:00Z"}).build()

            # When
            output = read_stream(self.stream, ConfigBuilder().build(), state=state)

            # Then
            assert record_ids(output) == [7]
            http_mocker.assert_number_of_calls(request, 1)
            assert state_values(output)[-1] == "2024-02-25T00:00:00Z"


@freeze_time(_NOW)
class TestRecruitingApplicationsStream(_RecruitingListTests, TestCase):
    __doc__ = "GET /v2/recruiting/applications. " + (_RecruitingListTests.__doc__ or "")
    stream = "recruiting_applications"
    record = staticmethod(recruiting_application)


@freeze_time(_NOW)
class TestRecruitingCandidatesStream(_RecruitingListTests, TestCase):
    __doc__ = "GET /v2/recruiting/candidates. " + (_RecruitingListTests.__doc__ or "")
    stream = "recruiting_candidates"
    record = staticmethod(recruiting_candidate)


@freeze_time(_NOW)
class TestRecruitingJobsAndCategoriesStreams(TestCase):
    """GET /v2/recruiting/jobs and /v2/recruiting/categories, as the manifest declares them:

    - `paginator_default_size`: NO `limit` parameter (Personio documents no page size), next links followed;
    - full refresh only (no incremental_sync), no filter of any kind; records read from `_data` as they come.
    """

    def test_sends_no_limit_and_follows_next_links(self) -> None:
        for stream, builder, path in (
            ("recruiting_jobs", ListRequestBuilder.recruiting_jobs, "/v2/recruiting/jobs"),
            ("recruiting_categories", ListRequestBuilder.recruiting_categories, "/v2/recruiting/categories"),
        ):
            with self.subTest(stream), HttpMocker() as http_mocker:
                # Given
                http_mocker.post(token_request(), token_response())
                first = builder().build()
                http_mocker.get(
                    first,
                    PageBuilder.for_stream(stream).with_record(list_record(stream, 1)).with_next_link(f"{API_URL}{path}?cursor=n2").build(),
                )
                http_mocker.get(builder().with_cursor("n2").build(), PageBuilder.for_stream(stream).with_record(list_record(stream, 2)).build())

                # When
                output = read_stream(stream, ConfigBuilder().build(), SyncMode.full_refresh)

                # Then
                assert record_ids(output) == [1, 2]
                assert record_data(output)[0]["name"] == list_record(stream, 1).build()["name"]
                http_mocker.assert_number_of_calls(first, 1)


def _manifest_zones() -> List[str]:
    """The zones `recruiting_times_in_utc` knows the rules of, read from the manifest's `rules` table."""
    manifest = yaml.safe_load((Path(__file__).parents[2] / "source_personio" / "manifest.yaml").read_text())
    template = next(f["value"] for f in manifest["definitions"]["recruiting_times_in_utc"]["fields"] if "rules" in f["value"])
    return re.findall(r"'([A-Za-z_]+/[A-Za-z_/]+|UTC|GMT)': \[", template)


def _wall_times(zone: str) -> List[Tuple[str, str]]:
    """(wall time without offset, the UTC instant zoneinfo gives it) for every hour of each day on which the
    zone's offset changes in 2024-2026, and a day in each month; a wall time that occurs twice is the first one."""
    tz = ZoneInfo(zone)
    days = []
    day = datetime(2024, 1, 1)
    while day.year < 2027:
        changes = (day.replace(tzinfo=tz).utcoffset() != (day + timedelta(hours=23)).replace(tzinfo=tz).utcoffset())
        if changes or day.day == 15:
            days.append(day)
        day += timedelta(days=1)
    out = []
    for day in days:
        for hour in range(24) if day.day != 15 else (3, 14):
            wall = day + timedelta(hours=hour, minutes=30, microseconds=hour * 10_001)
            utc = wall.replace(tzinfo=tz).astimezone(timezone.utc)
            out.append((wall.isoformat(), utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if utc.microsecond else "%Y-%m-%dT%H:%M:%SZ")))
    return out


@freeze_time("2027-01-02T00:00:00Z")
class TestRecruitingWallTimes(TestCase):
    """GET /v2/recruiting/applications: `recruiting_times_in_utc` reads `{"date-time": <no offset>, "timezone"}` as
    wall time in that zone, for every zone in its `rules` table, as Python's zoneinfo does: around each change of
    offset in 2024-2026 (skipped and repeated hours included) and once a month."""

    def test_every_listed_zone_agrees_with_zoneinfo(self) -> None:
        zones = _manifest_zones()
        assert {"Europe/Berlin", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"} <= set(zones)
        cases = [(zone, wall, utc) for zone in zones for wall, utc in _wall_times(zone)]
        with HttpMocker() as http_mocker:
            # Given one page holding every case
            page = PageBuilder.for_stream("recruiting_applications")
            for number, (zone, wall, _) in enumerate(cases, start=1):
                page = page.with_record(recruiting_application(number, {"date-time": wall, "timezone": zone}))
            http_mocker.post(token_request(), token_response())
            http_mocker.get(recruiting_since("recruiting_applications", gt=_START_GT), page.build())

            # When
            output = read_stream("recruiting_applications", ConfigBuilder().build())

            # Then
            emitted = {str(r["id"]): r["updated_at"] for r in record_data(output)}
            wrong = [(zone, wall, emitted.get(str(n)), utc) for n, (zone, wall, utc) in enumerate(cases, start=1)
                     if emitted.get(str(n)) != utc]
            assert not wrong, f"{len(wrong)} of {len(cases)} differ, e.g. {wrong[:5]}"
