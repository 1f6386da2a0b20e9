"""Personio's words for what the CDK reports in its own: a rejected login, a refused token, a retried answer,
and an outage that stops the sync."""
import logging
import re
from typing import Mapping, Optional

BAD_CREDENTIALS = (
    "Personio did not accept the Client ID and Client Secret: check both values against the API credential "
    "under Settings > Integrations > API credentials in Personio (the secret is shown only when it is created)."
)

REFUSED_FRESH_TOKEN = (
    "Stream {stream} is not available: Personio refused a freshly issued access token, so the API credential "
    "lacks the scope '{scope}' (or was revoked). Grant the scope in Personio under Settings > Integrations > "
    "API credentials > (your credential) > Scopes."
)

UNAVAILABLE = (
    "Personio is unavailable: {stream} kept failing after every retry ({cause}). The sync stops now instead of "
    "waiting on every remaining window; every window finished before it is kept in the saved state, and the next "
    "sync resumes from there."
)

# The CDK's wording of a client-credentials login Personio refused, and of a token it refused right after issuing.
_CDK_REJECTED_LOGIN = ("rejected by the OAuth provider", "Refresh token")
_CDK_REFUSED_FRESH_TOKEN = "token is rejected by the API"
_CDK_EXHAUSTED = "Exhausted available request attempts"


def personio_wording(message: str, stream: Optional[str], scopes: Mapping[str, str]) -> Optional[str]:
    """The message a Personio user should read instead of the CDK's, or None to keep the CDK's."""
    if any(marker in message for marker in _CDK_REJECTED_LOGIN):
        return BAD_CREDENTIALS
    if _CDK_REFUSED_FRESH_TOKEN in message and stream:
        return REFUSED_FRESH_TOKEN.format(stream=stream, scope=scopes.get(stream, "its read scope"))
    return None


def reword_summary(message: str) -> str:
    """The CDK's closing "streams did not sync successfully" list quotes each stream's exception as the CDK
    worded it."""
    return message.replace(
        "Refresh token rejected by the OAuth token endpoint.", "Personio refused the Client ID and Client Secret."
    ).replace("Refresh token was rejected by the OAuth provider", "Personio refused the Client ID and Client Secret")


def outage_cause(message: str) -> Optional[str]:
    """What kept failing when a request ran out of retries for a reason other than throttling, else None."""
    if _CDK_EXHAUSTED not in message or "throttling" in message:
        return None
    if "server error" in message:
        return "server errors (HTTP 5xx)"
    if "Timeout" in message:
        return "no answer within the timeout"
    if "Connection" in message:
        return "connections reset or refused"
    return "no usable answer"


_RETRY_LOG = re.compile(r"Rate limit exceeded \(HTTP (\d{3})\)\. Retrying in ([0-9.]+) seconds\.")


class RetryWording(logging.Filter):
    """The CDK logs every retry it was told to make as "Rate limit exceeded (HTTP <status>)". Only a 429 is
    Personio's rate limit; the others are a server error or an answer that is not Personio's JSON list."""

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        match = _RETRY_LOG.search(text)
        if match is None:
            return True
        status, wait = match.group(1), match.group(2)
        if status == "429":
            return True
        if status == "200":
            what = "Personio answered HTTP 200 with a body that is not its JSON list (cut off, or from a proxy)"
        else:
            what = f"Personio answered HTTP {status}"
        record.msg, record.args = f"{what}; retrying in {wait} seconds.", None
        return True
