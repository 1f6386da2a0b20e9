"""What `check` says about the deletions stream: which webhooks' event logs it reads, or why it reads none.

The manifest finds the webhooks itself (the deletions stream's parent lists them); this only runs that same parent
once during `check` and puts the outcome in words, since a deletions stream that is off reads nothing without error.
CDK behaviour relied on (pinned by unit_tests/cdk_internals/test_deletions_hooks.py): a concurrent stream's `generate_partitions()` lists its parents, and each partition's
slice carries the parent's id under the manifest's `partition_field` (`parent_id`), as every per-parent stream
here relies on.
"""
import logging
from typing import Any, List, Optional, Tuple

STREAM = "deletions"
DELETION_EVENTS = "person.deleted, employment.deleted, absence-period.deleted and attendance-period.deleted"

HOW_TO_TURN_ON = (
    "To turn deletions on, create a webhook in Personio subscribed to {events} (the README's 'Deletions' section "
    "shows how) and grant the credential the scope personio:webhooks:read; set webhook_id to use one webhook."
)
READS = "Deletions: read from the event log of webhook {ids} ({how})."
OFF = "Deletions are off: no webhook of this company is subscribed to a deletion event. " + HOW_TO_TURN_ON
REFUSED = "Deletions are off: Personio refused the webhook list ({reason}). " + HOW_TO_TURN_ON
NOT_FOUND = (
    "The webhook_id setting names webhook '{webhook_id}', which is not among this company's webhooks in Personio: "
    "copy the id of the webhook subscribed to {events} (Personio lists them at GET /v2/webhooks), or leave "
    "webhook_id empty to use every webhook with a deletion event."
)


def report(source: Any, logger: logging.Logger) -> Tuple[bool, Optional[str]]:
    """Logs which webhooks the deletions stream reads, or that it is off and how to turn it on. Returns whether it
    reads any, and a message that fails `check` when `webhook_id` names a webhook Personio does not list."""
    configured = (source._config or {}).get("webhook_id")
    try:
        ids = webhook_ids(source)
    except Exception as error:  # a refused or failed webhook list: deletions only are off
        logger.warning(REFUSED.format(reason=_first_line(error), events=DELETION_EVENTS))
        return False, None
    if ids:
        how = "named by webhook_id" if configured else "found by its deletion events"
        logger.info(READS.format(ids=", ".join(str(i) for i in ids), how=how))
        return True, None
    if configured:
        return False, NOT_FOUND.format(webhook_id=configured, events=DELETION_EVENTS)
    logger.warning(OFF.format(events=DELETION_EVENTS))
    return False, None


def webhook_ids(source: Any) -> List[Any]:
    """The webhooks the deletions stream would read, as its parent lists them."""
    stream = next(s for s in source.streams(source._config) if s.name == STREAM)
    ids = []
    for partition in stream.generate_partitions():
        parent_id = partition.to_slice().partition.get("parent_id")
        if parent_id not in ids:
            ids.append(parent_id)
    return ids


def _first_line(error: Exception) -> str:
    text = getattr(error, "message", None) or str(error)
    return text.strip().splitlines()[0] if text.strip() else type(error).__name__
