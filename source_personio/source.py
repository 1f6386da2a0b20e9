import logging
from typing import Any, Dict, Iterator, List, Mapping, Optional

from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    TraceType,
    Type,
)
from airbyte_cdk.sources.declarative.checks import CheckStream
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_personio import deletion_webhooks, deletions_retention, pagination_guard
from source_personio.messages import (
    BAD_CREDENTIALS,
    UNAVAILABLE,
    RetryWording,
    outage_cause,
    personio_wording,
    reword_summary,
)
from source_personio.report_columns import read_unknown_column_types_as_strings
from source_personio.resume_state import resume_after_finished_windows
from source_personio.shared_token import share_one_token
from source_personio.stream_turns import take_turns

# Streams read from the same endpoint and scope as a required one need no probe of their own; breakdowns are
# probed through absence types (same scope), since reaching a first absence can take many empty windows.
PROBE_INSTEAD = {
    "person_custom_attributes": None,
    "absence_period_breakdowns": "absence_types",
    "recruiting_application_stage_transitions": "recruiting_applications",
}


REPORTS_NONE = (
    "No report stream (check passes): Personio lists no report for this credential. Reports need the scope "
    "'personio:reports:read' and an administrator who makes each report available to the API; a refused list is "
    "logged above."
)
REPORTS_NOT_LISTED = (
    "'report_ids' names reports Personio does not list for this credential: {ids}. Check the ids, and ask an "
    "administrator to make those reports available to the API; until then they are not synced."
)


class PersonioUnavailable(Exception):
    """Raised after the outage message is out: run.py ends the process without waiting for requests in flight."""


class SourcePersonio(YamlDeclarativeSource):
    """The declarative manifest, loaded from this package so the installed command works from any directory."""

    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        config_path: Optional[str] = None,
    ) -> None:
        # Deletions whose saved state is past Personio's 30 days are not read; every other stream is: see
        # deletions_retention.py.
        self._stale_deletions = deletions_retention.stale_state_error(catalog, state)
        if self._stale_deletions is not None:
            catalog = deletions_retention.without_deletions(catalog)
        super().__init__(
            path_to_yaml="manifest.yaml",
            catalog=catalog,
            config=config,
            state=state,
            config_path=config_path,
        )
        share_one_token(self._constructor)  # one access token for every stream and thread: see shared_token.py
        _install_retry_wording()
        read_unknown_column_types_as_strings()  # a report column of a new type: see report_columns.py
        # No page read twice in a window, no endless loop, a refused stream asked once: see pagination_guard.py.
        pagination_guard.install(self._constructor)
        # Windowed streams save every finished window: a killed sync reads again only its unfinished windows.
        resume_after_finished_windows(self._constructor)
        # The workers serve the streams in turn, two windows of a stream at most: see stream_turns.py.
        take_turns(self)

    def required_streams(self) -> List[str]:
        """The streams `check` requires, as the manifest's own `check` names them; every other stream is optional."""
        return list(self.resolved_manifest["check"]["stream_names"])

    def stream_scopes(self) -> Dict[str, str]:
        """Each stream's scope, as its block in the manifest names it."""
        return {stream["name"]: _first_scope(stream) or "" for stream in self.resolved_manifest["streams"]}

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        """Checks every required stream and reports every failure, not only the first.

        Personio grants one scope per endpoint, and the manifest's CheckStream stops at the first stream that
        fails, so a credential missing two scopes would need two rounds of check, fix, check. Each stream is
        checked with the manifest's own CheckStream, so the verdicts match the Connector Builder's.
        """
        failures: List[str] = []
        scopes = self.stream_scopes()
        for stream_name in self.required_streams():
            available, reason = CheckStream(stream_names=[stream_name], parameters={}).check_connection(
                self, logger, self._config
            )
            if available:
                continue
            reason = str(reason)
            # persons answers 401 rather than 403 for a credential without its scope.
            reworded = personio_wording(reason, stream_name, scopes)
            if reworded == BAD_CREDENTIALS:
                # Wrong credentials fail every stream alike; one message says it all.
                return AirbyteConnectionStatus(status=Status.FAILED, message=f"{BAD_CREDENTIALS} ({reason})")
            failures.append(reworded or reason)
        if failures:
            return AirbyteConnectionStatus(status=Status.FAILED, message="\n".join(failures))
        deletions_read, wrong_webhook = deletion_webhooks.report(self, logger)
        self._log_optional_streams(logger, deletions_read)
        self._log_reports(logger)
        if wrong_webhook:
            return AirbyteConnectionStatus(status=Status.FAILED, message=wrong_webhook)
        return AirbyteConnectionStatus(status=Status.SUCCEEDED)

    def _log_optional_streams(self, logger: logging.Logger, deletions_read: bool) -> None:
        """Says which optional streams this credential can read, and what each of the others lacks.

        They do not fail `check`: a company without the recruiting module, or a credential without the
        compensations scope, still syncs everything else.
        """
        readable, refused = ([deletion_webhooks.STREAM] if deletions_read else []), []
        verdicts: Dict[str, Any] = {}
        required = self.required_streams()
        for name in self.stream_scopes():
            if name in required or name == deletion_webhooks.STREAM:  # reported on its own lines
                continue
            probe = PROBE_INSTEAD.get(name, name)
            if probe is None:
                readable.append(name)
                continue
            if probe not in verdicts:
                verdicts[probe] = CheckStream(stream_names=[probe], parameters={}).check_connection(
                    self, logger, self._config
                )
            available, reason = verdicts[probe]
            if available:
                readable.append(name)
            else:
                refused.append(f"{name}: {str(reason).replace(f'Stream {probe} is not available: ', '')}")
        logger.info("Optional streams this credential can read: %s.", ", ".join(readable) or "none")
        for line in refused:
            logger.warning("Optional stream not readable (check passes; deselect it or fix the access): %s", line)

    def _log_reports(self, logger: logging.Logger) -> None:
        """Says which report streams the credential gets, and why there are none; reports never fail `check`."""
        if not (self._config.get("sync_reports") or self._config.get("report_ids")):
            return
        try:
            listed = {stream["$parameters"]["report_id"]: stream["name"] for stream in self.dynamic_streams}
        except Exception as error:  # the list of reports failed after its retries: reports are optional
            logger.warning("Reports could not be listed (check passes; the sync will try again): %s", error)
            return
        if listed:
            logger.info("Report streams: %s.", ", ".join(sorted(listed.values())))
        else:
            logger.warning(REPORTS_NONE)
        missing = [str(report_id) for report_id in self._config.get("report_ids") or [] if str(report_id) not in listed]
        if missing:
            logger.warning(REPORTS_NOT_LISTED.format(ids=", ".join(missing)))

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        """The manifest's read, with errors in Personio's words, stopping at the first outage.

        A request that exhausts its retries on server errors, resets or timeouts fails only its window in the CDK,
        and every remaining window would spend its own retries before the sync ends. One such failure is enough to
        know Personio is down: the sync stops with that said, after the state of every finished window is out.
        """
        scopes = self.stream_scopes()
        stale = self._stale_deletions
        if stale is not None:
            catalog = deletions_retention.without_deletions(catalog)
            yield from deletions_retention.failure_messages(stale)
        try:
            yield from self._read_in_personio_words(logger, config, catalog, state, scopes)
        except AirbyteTracedException as summary:
            summary.message = reword_summary(summary.message or "")
            summary.internal_message = reword_summary(summary.internal_message or "")
            if stale is not None and summary.stream_descriptor is None:
                raise deletions_retention.closing_error(stale, summary)
            raise
        if stale is not None:
            raise deletions_retention.closing_error(stale)

    def _read_in_personio_words(self, logger, config, catalog, state, scopes) -> Iterator[AirbyteMessage]:
        # A refused stream fails each of its windows (a missing compensations scope, every month) with the same
        # message: the user needs it once.
        said = set()
        for message in super().read(logger, config, catalog, state):
            error = message.trace.error if message.type == Type.TRACE and message.trace.type == TraceType.ERROR else None
            if error is None:
                yield message
                continue
            stream = error.stream_descriptor.name if error.stream_descriptor else None
            # The first error a user reads says what happened, in Personio's terms; the CDK's words stay in the
            # internal message.
            reworded = personio_wording(error.message or "", stream, scopes)
            cause = outage_cause(error.message or "") if stream and not reworded else None
            if reworded or cause:
                error.internal_message = error.internal_message or error.message
                error.message = reworded or UNAVAILABLE.format(stream=stream, cause=cause)
                error.failure_type = FailureType.config_error if reworded else FailureType.transient_error
            if cause:
                yield message
                raise PersonioUnavailable(error.message)
            if (stream, error.message) in said:
                continue
            said.add((stream, error.message))
            yield message


def _first_scope(node: Any) -> Optional[str]:
    """The `scope` parameter of a stream block, wherever in it the manifest sets it."""
    if isinstance(node, Mapping):
        parameters = node.get("$parameters") or {}
        if parameters.get("scope"):
            return parameters["scope"]
        for value in node.values():
            found = _first_scope(value)
            if found:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _first_scope(value)
            if found:
                return found
    return None


def _install_retry_wording() -> None:
    # The CDK's retry code logs through the "airbyte" logger itself.
    target = logging.getLogger("airbyte")
    if not any(isinstance(f, RetryWording) for f in target.filters):
        target.addFilter(RetryWording())
