import os
import pkgutil
import sys
import traceback
from typing import Any, List, Mapping, Optional

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteConnectionStatus,
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    Status,
    TraceType,
    Type,
)
from airbyte_cdk.utils.datetime_helpers import ab_datetime_now
from airbyte_cdk.utils.yaml_loader import safe_load_yaml

from source_personio.config_errors import config_problems
from source_personio.source import PersonioUnavailable, SourcePersonio


def _connection_spec() -> Mapping[str, Any]:
    # The CDK's loader uses libyaml where PyYAML has it: the pure-Python one spends 0.15 s of every command here.
    manifest = safe_load_yaml(pkgutil.get_data("source_personio", "manifest.yaml"))
    return manifest["spec"]["connection_specification"]


def _print(message: AirbyteMessage) -> None:
    print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode())


def _print_error(message: str, internal: str, failure_type: FailureType, stack_trace: Optional[str] = None) -> None:
    _print(
        AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ERROR,
                emitted_at=ab_datetime_now().to_epoch_millis(),
                error=AirbyteErrorTraceMessage(
                    message=message,
                    internal_message=internal,
                    stack_trace=stack_trace,
                    failure_type=failure_type,
                ),
            ),
        )
    )


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    command = args[0] if args else None
    config_path = AirbyteEntrypoint.extract_config(args)
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        config = SourcePersonio.read_config(config_path) if config_path else None
        catalog = SourcePersonio.read_catalog(catalog_path) if catalog_path else None
        state = SourcePersonio.read_state(state_path) if state_path else None
    except Exception as error:  # a file that is missing or is not JSON
        _print_error(f"source-personio could not read its input files: {error}", str(error), FailureType.config_error,
                     traceback.format_exc())
        sys.exit(1)

    problems = config_problems(config, _connection_spec()) if config is not None else []
    if problems:
        message = "The config is not valid: " + " ".join(problems)
        if command == "check":
            _print(
                AirbyteMessage(
                    type=Type.CONNECTION_STATUS,
                    connectionStatus=AirbyteConnectionStatus(status=Status.FAILED, message=message),
                )
            )
            return
        _print_error(message, message, FailureType.config_error)
        sys.exit(1)

    # CDK 7 reads, checks and discovers with what the source was built with, so the source is
    # built from the parsed config, catalog and state rather than handed them later.
    source = SourcePersonio(config=config, catalog=catalog, state=state, config_path=config_path)
    try:
        launch(source, args)
    except PersonioUnavailable:
        # The outage's trace is out already (source.read yields it before raising).
        sys.stdout.flush()
        sys.stderr.flush()
        # Requests still in flight would each spend their retries before the interpreter could exit; what they
        # read after the last state message is read again by the next sync.
        os._exit(1)


if __name__ == "__main__":
    run()
