"""Running the installed connector for one row of the fault suite, through tools/sync_runner.py."""
from typing import Any, Dict, Mapping, Optional, Sequence

from tools.fault_suite.settings import Message, STREAMS
from tools.sync_runner import RunResult, SourceRunner, configured_catalog, discovered_catalog


def run_connector(command: str, config: Mapping[str, Any], catalog: Optional[Mapping[str, Any]] = None,
                  state: Optional[Sequence[Message]] = None, kill_after_lines: Optional[int] = None,
                  deadline: float = 900, sleep_scale: float = 1, extra_args: Sequence[str] = ()) -> RunResult:
    """Run `source-personio <command>`, every line it prints kept for the secret scan; kill it after
    `kill_after_lines` stdout lines or at `deadline` (the result says why in `killed`). `sleep_scale` > 1
    shortens the connector's backoff sleeps that many times (`real_seconds` estimates the real time)."""
    runner = SourceRunner(timeout=deadline, kill_at_timeout=True, keep_output=True, sleep_scale=sleep_scale)
    return runner.run(command, config=config, catalog=catalog, state=state, extra_args=extra_args,
                      stop_after_lines=kill_after_lines)


def catalog(sync_mode: str = "incremental", streams: Sequence[str] = STREAMS) -> Dict[str, Any]:
    """A configured catalog of `streams`, built from the discovered one as Airbyte builds it: each stream in
    `sync_mode` where it supports it, else (the lists read whole) in full refresh."""
    discovered = discovered_catalog()
    entries = configured_catalog(discovered, sync_mode, streams)["streams"]
    order = {name: n for n, name in enumerate(streams)}
    return {"streams": sorted(entries, key=lambda entry: order[entry["stream"]["name"]])}
