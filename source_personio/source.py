import logging
from typing import Any, List, Mapping, Optional

from airbyte_cdk.models import AirbyteConnectionStatus, AirbyteStateMessage, ConfiguredAirbyteCatalog, Status
from airbyte_cdk.sources.declarative.checks import CheckStream
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource

STREAM_NAMES = ("persons", "absence_periods", "attendance_periods")

# The CDK words a rejected client-credentials login as a rejected "refresh token", which is not
# what a Personio user has; say what they do have.
BAD_CREDENTIALS_HINT = (
    "Personio did not accept the Client ID and Client Secret: check both values against the API credential "
    "under Settings > Integrations > API credentials in Personio (the secret is shown only when it is created)."
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
            failures.append(reason)
        if failures:
            return AirbyteConnectionStatus(status=Status.FAILED, message="\n".join(failures))
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)
