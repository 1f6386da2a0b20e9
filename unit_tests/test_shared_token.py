"""source_personio/shared_token.py at the level of the factory and the authenticator: which factories share, and
the race between two threads after a 401 that the CDK leaves open (one that mock-server reads cannot time)."""
import pkgutil
import threading
from typing import Any, Callable, Dict

import requests_mock
import yaml
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.sources.declarative.models.declarative_component_schema import OAuthAuthenticator
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

from source_personio.shared_token import SharedTokenAuthenticator, share_one_token

CONFIG = {"client_id": "test-client-id", "client_secret": "test-client-secret", "start_date": "2024-01-01T00:00:00Z"}
TOKEN_URL = "https://api.personio.de/v2/auth/token"


def _authenticator_definition() -> Dict[str, Any]:
    manifest = yaml.safe_load(pkgutil.get_data("source_personio", "manifest.yaml"))
    return manifest["definitions"]["authenticator"]


def _build(factory: ModelToComponentFactory, config: Dict[str, Any] = CONFIG) -> Any:
    return factory.create_component(OAuthAuthenticator, _authenticator_definition(), config)


def _in_a_thread(step: Callable[[], None]) -> None:
    thread = threading.Thread(target=step)
    thread.start()
    thread.join()


def test_a_marked_factory_builds_one_authenticator_per_token_request():
    factory = ModelToComponentFactory()
    share_one_token(factory)

    first, second = _build(factory), _build(factory)
    other_credential = _build(factory, {**CONFIG, "client_id": "test-other-client-id"})

    assert first is second
    assert isinstance(first, SharedTokenAuthenticator)
    assert other_credential is not first


def test_a_factory_not_marked_builds_the_cdks_authenticator_for_each_requester_as_before():
    # as the Connector Builder's and source-declarative-manifest's do, even in a process where a source shares
    share_one_token(ModelToComponentFactory())
    factory = ModelToComponentFactory()

    first, second = _build(factory), _build(factory)

    assert first is not second
    assert type(first) is DeclarativeOauth2Authenticator


def test_a_thread_whose_refused_token_was_replaced_meanwhile_retries_with_the_new_one():
    factory = ModelToComponentFactory()
    share_one_token(factory)
    authenticator = _build(factory)
    seen = {}
    with requests_mock.Mocker() as mocker:
        tokens = mocker.post(TOKEN_URL, [{"json": {"access_token": f"papi-{n}", "expires_in": 86400}} for n in (1, 2, 3)])
        # Given thread B sent papi-1, which Personio refused; the CDK has just compared it with the current token
        _in_a_thread(lambda: seen.update(b=authenticator.get_auth_header()))
        # and thread A, refused too, replaced it in the meantime
        _in_a_thread(lambda: (authenticator.get_auth_header(), authenticator.refresh_and_set_access_token()))

        # When the CDK asks on B's behalf for a new token
        _in_a_thread(lambda: (authenticator.refresh_and_set_access_token(), seen.update(retry=authenticator.get_auth_header())))

    # Then B retries with A's token, and no third token is minted
    assert seen["b"] == {"Authorization": "Bearer papi-1"}
    assert seen["retry"] == {"Authorization": "Bearer papi-2"}
    assert tokens.call_count == 2


def test_a_thread_whose_refused_token_is_still_current_mints_a_new_one():
    factory = ModelToComponentFactory()
    share_one_token(factory)
    authenticator = _build(factory)
    with requests_mock.Mocker() as mocker:
        tokens = mocker.post(TOKEN_URL, [{"json": {"access_token": f"papi-{n}", "expires_in": 86400}} for n in (1, 2)])
        # Given a thread sent papi-1, which Personio refused; When the CDK asks on its behalf for a new token
        _in_a_thread(lambda: (authenticator.get_auth_header(), authenticator.refresh_and_set_access_token()))

    # Then
    assert tokens.call_count == 2
    assert authenticator.get_auth_header() == {"Authorization": "Bearer papi-2"}
