import logging
from typing import Any, List, Mapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteStateMessage, ConfiguredAirbyteCatalog, Status
from airbyte_cdk.sources.declarative.checks import CheckStream
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

STREAM_SCOPES = {
    "persons": "personio:persons:read",
    "absence_periods": "personio:absences:read",
    "attendance_periods": "personio:attendances:read",
}
STREAM_NAMES = tuple(STREAM_SCOPES)

# The CDK words a rejected client-credentials login as a rejected "refresh token", which is not
# what a Personio user has; say what they do have.
BAD_CREDENTIALS_HINT = (
    "Personio did not accept the Client ID and Client Secret: check both values against the API credential "
    "under Settings > Integrations > API credentials in Personio (the secret is shown only when it is created)."
)

REFUSED_FRESH_TOKEN = (
    "Stream {stream} is not available: Personio refused a freshly issued access token, so the API credential "
    "lacks the scope '{scope}' (or was revoked). Grant the scope in Personio under Settings > Integrations > "
    "API credentials > (your credential) > Scopes."
)


class SourcePersonio(YamlDeclarativeSource):
    """The declarative manifest, loaded from this package so the installed command works from any directory."""

    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        config_path: Optional[str] = None,
    ) -> None:
        super().__init__(
            path_to_yaml="manifest.yaml",
            catalog=catalog,
            config=config,
            state=state,
            config_path=config_path,
        )

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Checks every stream and reports every failure, not only the first.

        Personio grants one scope per endpoint, and the manifest's CheckStream stops at the first stream that
        fails, so a credential missing two scopes would need two rounds of check, fix, check. Each stream is
        checked with the manifest's own CheckStream, so the verdicts match the Connector Builder's.
        """
        failures: List[str] = []
        for stream_name in STREAM_NAMES:
            available, reason = CheckStream(stream_names=[stream_name], parameters={}).check_connection(
                self, logger, self._config
            )
            if available:
                continue
            reason = str(reason)
            if "rejected by the OAuth provider" in reason:
                # Wrong credentials fail every stream alike; one message says it all.
                return AirbyteConnectionStatus(status=Status.FAILED, message=f"{BAD_CREDENTIALS_HINT} ({reason})")
            if "token is rejected by the API" in reason:
                # A token Personio has just issued and then refuses means the right is missing: persons
                # answers 401 rather than 403 for a credential without its scope.
                reason = REFUSED_FRESH_TOKEN.format(stream=stream_name, scope=STREAM_SCOPES[stream_name])
            failures.append(reason)
        if failures:
            return AirbyteConnectionStatus(status=Status.FAILED, message="\n".join(failures))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)
