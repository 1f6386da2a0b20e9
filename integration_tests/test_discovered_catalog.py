"""`discover` and the configured catalogs built from it: every stream, its sync modes, cursor and primary key."""

import pytest

from integration_tests.syncs import ALL_STREAMS, CURSORS, PRIMARY_KEYS
from tools.sync_runner import configured_catalog, sync_modes


def test_discover_lists_every_stream_with_its_sync_modes_cursor_and_key(discovered):
    streams = {stream["name"]: stream for stream in discovered["streams"]}

    assert sorted(streams) == sorted(ALL_STREAMS)
    for name, stream in streams.items():
        cursor = CURSORS[name]
        if cursor:
            assert set(stream["supported_sync_modes"]) == {"full_refresh", "incremental"}, name
            assert stream["source_defined_cursor"] is True, name
            assert stream["default_cursor_field"] == [cursor], name
            assert cursor in stream["json_schema"]["properties"], name
        else:
            assert stream["supported_sync_modes"] == ["full_refresh"], name
        assert stream["source_defined_primary_key"] == [[part] for part in PRIMARY_KEYS[name]], name
        assert set(PRIMARY_KEYS[name]) <= set(stream["json_schema"]["properties"]), name


def test_configured_catalog_is_incremental_wherever_a_stream_allows_it(discovered):
    modes = sync_modes(configured_catalog(discovered, "incremental"))

    assert modes == {name: "incremental" if CURSORS[name] else "full_refresh" for name in ALL_STREAMS}
    assert set(sync_modes(configured_catalog(discovered, "full_refresh")).values()) == {"full_refresh"}
    with pytest.raises(ValueError, match="org_units"):
        configured_catalog(discovered, "incremental", strict=True)
