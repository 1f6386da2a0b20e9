"""Fails the deletions stream alone when its saved state is older than Personio keeps webhook events.

Why this is Python and not manifest: the manifest can keep a request within the 30 days (it does), but it cannot tell
a first sync from a sync whose saved state fell out of them: both ask from before the retention. Only the state says
which, and nothing in a declarative stream can fail on the state before a request is made. Read alone, the manifest
(Connector Builder, manifest-only runtime) would read the last 30 days and carry on silently.

What it does: when the catalog reads `deletions` incrementally and its saved state is older than the retention (30
days, less the hour the manifest keeps between the two clocks), the stream is left out of the read, its error is
reported first, the other streams are read as usual, and the read ends failed naming it, as a failed stream does in
the CDK. The saved state is left as it was: only a full refresh of the affected streams (and of deletions) repairs it.

CDK behaviour relied on (pinned by unit_tests/cdk_internals/test_deletions_hooks.py): the read selects the streams
of the catalog passed to it, and the closing error is the CDK's own `generate_failed_streams_error_message`.
"""
from datetime import datetime, timedelta, timezone
from typing import Any, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteStateMessage,
    AirbyteStreamStatus,
    ConfiguredAirbyteCatalog,
    FailureType,
    StreamDescriptor,
    SyncMode,
)
from airbyte_cdk.exception_handler import generate_failed_streams_error_message
from airbyte_cdk.utils.stream_status_utils import as_airbyte_message as stream_status_message
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from dateutil.parser import isoparse

STREAM = "deletions"
CURSOR_FIELD = "occurred_at"
# Personio keeps webhook events for 30 days; the manifest asks at most this far back (30 days less an hour).
RETENTION = timedelta(days=30) - timedelta(hours=1)
AFFECTED_STREAMS = "persons, employments, absence_periods and attendance_periods"

STALE_STATE = (
    "The deletions stream was last synced up to {saved}, and Personio keeps webhook events for 30 days only: "
    "deletions since {saved_date} may be missed, so rows deleted in Personio since then may still be in the "
    "persons, employments, absence_periods and attendance_periods tables. A full refresh of the affected streams "
    "({affected}) and of deletions repairs it. Every other stream was read."
)


def saved_cursor(state: Optional[List[AirbyteStateMessage]]) -> Optional[datetime]:
    """The deletions stream's saved cursor: the oldest of its webhooks' (one cursor per webhook), else the one value
    of a stream-wide or plain state."""
    for message in state or []:
        stream = getattr(message, "stream", None)
        if stream is None or stream.stream_descriptor.name != STREAM:
            continue
        value = _plain(stream.stream_state) or {}
        per_webhook = [(item.get("cursor") or {}).get(CURSOR_FIELD) for item in value.get("states") or []]
        cursors = [c for c in per_webhook if c] or [(value.get("state") or {}).get(CURSOR_FIELD) or value.get(CURSOR_FIELD)]
        parsed = [isoparse(c) for c in cursors if c]
        if parsed:
            return min(p if p.tzinfo else p.replace(tzinfo=timezone.utc) for p in parsed)
    return None


def stale_state_error(
    catalog: Optional[ConfiguredAirbyteCatalog], state: Optional[List[AirbyteStateMessage]], now: Optional[datetime] = None
) -> Optional[AirbyteTracedException]:
    """The error to fail `deletions` with, or None when it is not read incrementally or its state is recent."""
    if catalog is None or not any(
        s.stream.name == STREAM and s.sync_mode == SyncMode.incremental for s in catalog.streams
    ):
        return None
    saved = saved_cursor(state)
    now = now or datetime.now(timezone.utc)
    if saved is None or saved >= now - RETENTION:
        return None
    message = STALE_STATE.format(
        saved=saved.strftime("%Y-%m-%dT%H:%M:%SZ"), saved_date=saved.strftime("%Y-%m-%d"), affected=AFFECTED_STREAMS
    )
    return AirbyteTracedException(
        message=message,
        internal_message=message,
        failure_type=FailureType.config_error,
        stream_descriptor=StreamDescriptor(name=STREAM),
    )


def without_deletions(catalog: ConfiguredAirbyteCatalog) -> ConfiguredAirbyteCatalog:
    return ConfiguredAirbyteCatalog(streams=[s for s in catalog.streams if s.stream.name != STREAM])


def failure_messages(error: AirbyteTracedException) -> List[Any]:
    """What a failed stream reports: its status, then its error."""
    descriptor = StreamDescriptor(name=STREAM)
    return [
        stream_status_message(descriptor, AirbyteStreamStatus.INCOMPLETE),
        error.as_airbyte_message(stream_descriptor=descriptor),
    ]


def closing_error(error: AirbyteTracedException, others: Optional[AirbyteTracedException] = None) -> AirbyteTracedException:
    """The read's closing error, listing deletions with the streams the CDK's own closing error lists, if any."""
    if others is None:
        summary = generate_failed_streams_error_message({STREAM: [error]})
        return AirbyteTracedException(message=summary, internal_message=summary, failure_type=FailureType.config_error)
    line = generate_failed_streams_error_message({STREAM: [error]}).split(": ", 1)[1]
    others.message = f"{others.message}\n{line}"
    others.internal_message = f"{others.internal_message or ''}\n{line}"
    return others


def _plain(value: Any) -> Any:
    if hasattr(value, "__dict__") and not isinstance(value, type):
        value = value.__dict__
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value
