"""What the tools and tests build around a run of the connector: configured catalogs from a discovered one (as
Airbyte builds them), the discovered catalog itself (asked once per process), the cursor a stream's state holds,
and a config without its secrets for showing.

    from tools.catalogs import configured_catalog, cursor_value, discovered_catalog, redacted
"""
import threading
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from tools.sync_runner import SourceRunner


def configured_catalog(catalog: Mapping[str, Any], sync_mode: str = "incremental",
                       streams: Optional[Sequence[str]] = None, strict: bool = False) -> Dict[str, Any]:
    """A configured catalog from a discovered one, as Airbyte builds it: every stream (or `streams`) in
    `sync_mode` with the source-defined cursor and primary key, appending with dedup (incremental) or
    overwriting (full refresh).

    A stream that does not support `sync_mode` (the structure lists are full refresh only) is configured in
    full refresh instead, unless `strict`, which raises ValueError for it.
    """
    configured = []
    for stream in catalog["streams"]:
        if streams is not None and stream["name"] not in streams:
            continue
        mode = sync_mode
        if mode not in stream.get("supported_sync_modes", []):
            if strict or "full_refresh" not in stream.get("supported_sync_modes", []):
                raise ValueError(f"stream {stream['name']} does not support {sync_mode}")
            mode = "full_refresh"
        entry = {
            "stream": stream,
            "sync_mode": mode,
            "destination_sync_mode": "append_dedup" if mode == "incremental" else "overwrite",
        }
        if mode == "incremental":
            entry["cursor_field"] = stream.get("default_cursor_field") or []
        if stream.get("source_defined_primary_key"):
            entry["primary_key"] = stream["source_defined_primary_key"]
        configured.append(entry)
    if streams is not None and len(configured) != len(set(streams)):
        missing = set(streams) - {entry["stream"]["name"] for entry in configured}
        raise ValueError(f"not in the catalog: {', '.join(sorted(missing))}")
    return {"streams": configured}


# Placeholder credentials for discover, which reads the manifest's schemas and asks Personio nothing.
DISCOVER_ONLY_CONFIG = {"client_id": "discover-only", "client_secret": "discover-only"}
_discovered: Dict[tuple, Dict[str, Any]] = {}
_discovered_lock = threading.Lock()


def discovered_catalog(command: Union[str, Sequence[str], None] = None, extra_args: Sequence[str] = ()) -> Dict[str, Any]:
    """What `discover` returns, asked once per process and command (the manifest's schemas need no API call)."""
    key = (str(command), tuple(extra_args))
    with _discovered_lock:
        if key not in _discovered:
            config = {**DISCOVER_ONLY_CONFIG, "api_url": "http://127.0.0.1:9"}
            run = SourceRunner(command, timeout=300).run("discover", config=config, extra_args=extra_args)
            if run.catalog is None:
                raise RuntimeError(f"discover gave no catalog: {run.error_messages[:1]} {run.stderr[-500:]}")
            _discovered[key] = run.catalog
        return _discovered[key]


def cursor_value(stream_state: Any) -> Optional[str]:
    """The cursor value a stream's state holds, whatever its shape: `{"updated_at": …}` (windowed and recruiting
    lists), `{"month": …}` (compensations), `{"use_global_cursor": true, "state": {<cursor>: …}, …}` (per-parent
    streams); None for a stream read whole (`{"__ab_no_cursor_state_message": true}`) or no state. The finished
    windows' form (`{"state_type": "date-range", "slices": […]}`) holds the value the one-value form would: the
    latest cursor value of its first range, the windows finished without a gap since the start date (None while
    that range holds no record)."""
    if not isinstance(stream_state, Mapping):
        return None
    if stream_state.get("state_type") == "date-range":
        first = (stream_state.get("slices") or [{}])[0]
        return first.get("most_recent_cursor_value")
    if isinstance(stream_state.get("state"), Mapping):
        stream_state = stream_state["state"]
    values = [value for name, value in stream_state.items()
              if not name.startswith("__ab_") and name not in ("use_global_cursor", "lookback_window", "parent_state",
                                                               "states")]
    return values[0] if len(values) == 1 and isinstance(values[0], str) else None


def sync_modes(catalog: Mapping[str, Any]) -> Dict[str, str]:
    """Each configured stream's sync mode, by name."""
    return {entry["stream"]["name"]: entry["sync_mode"] for entry in catalog["streams"]}


_SECRET_WORDS = ("secret", "token", "password", "api_key", "apikey")


def secret_fields(spec: Optional[Mapping[str, Any]] = None) -> List[str]:
    """Top-level config fields marked `airbyte_secret` in a spec (its connectionSpecification)."""
    if spec is None:
        return []
    properties = (spec.get("connectionSpecification") or spec).get("properties", {})
    return [name for name, schema in properties.items() if isinstance(schema, Mapping) and schema.get("airbyte_secret")]


def redacted(config: Mapping[str, Any], spec: Optional[Mapping[str, Any]] = None) -> Dict[str, Any]:
    """The config without its secrets: fields the spec marks `airbyte_secret`, and any field whose name
    looks secret, are left out."""
    hidden = set(secret_fields(spec))
    return {
        name: value
        for name, value in config.items()
        if name not in hidden and not any(word in name.lower() for word in _SECRET_WORDS)
    }
