"""Every CDK internal source_personio/shared_token.py relies on, as it was in airbyte-cdk 7.39.1.

A failure here after a CDK upgrade does not mean the connector is broken: it means shared_token.py (one access
token for the whole sync) leans on something that moved. Revisit that module against the new CDK, then this file.
"""
import inspect
import threading

from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.models.declarative_component_schema import OAuthAuthenticator
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.streams.http.http_client import HttpClient
from airbyte_cdk.sources.streams.http.requests_native_auth.abstract_oauth import AbstractOauth2Authenticator

from source_personio import shared_token
from source_personio.factory_hooks import cdk_method

REVISIT = "CDK changed: revisit source_personio/shared_token.py (one token for the whole sync): "


def _parameters(function) -> list:
    return list(inspect.signature(function).parameters)


def test_the_source_builds_every_stream_with_the_factory_it_keeps():
    init = inspect.getsource(ConcurrentDeclarativeSource.__init__)
    streams = inspect.getsource(ConcurrentDeclarativeSource._create_streams)
    assert "self._constructor = (" in init and "self._constructor.create_component(" in streams, (
        REVISIT + "ConcurrentDeclarativeSource no longer builds its streams with the factory in self._constructor")


def test_the_factory_builds_every_oauth_authenticator_through_one_method():
    assert _parameters(cdk_method("create_oauth_authenticator")) == ["self", "model", "config", "kwargs"], (
        REVISIT + "ModelToComponentFactory.create_oauth_authenticator(self, model, config, **kwargs) has another signature")
    constructor = ModelToComponentFactory().PYDANTIC_MODEL_TO_CONSTRUCTOR.get(OAuthAuthenticator)
    assert getattr(constructor, "__name__", None) == "create_oauth_authenticator", (
        REVISIT + "OAuthAuthenticator is no longer built by create_oauth_authenticator")
    # that parent streams' factories share the source's registry is pinned in cdk_internals/test_factory_hooks.py


def test_the_oauth_authenticator_can_become_a_shared_one():
    assert "__slots__" not in vars(DeclarativeOauth2Authenticator), (
        REVISIT + "DeclarativeOauth2Authenticator has __slots__: its instances cannot take SharedTokenAuthenticator's class")
    assert issubclass(shared_token.SharedTokenAuthenticator, AbstractOauth2Authenticator)


def test_the_authenticator_serialises_minting_on_a_class_wide_reentrant_lock():
    lock = vars(AbstractOauth2Authenticator).get("_token_refresh_lock")
    assert isinstance(lock, type(threading.RLock())), (
        REVISIT + "AbstractOauth2Authenticator._token_refresh_lock is no longer a class-wide RLock")
    assert "_token_refresh_lock" in inspect.getsource(AbstractOauth2Authenticator.get_access_token), (
        REVISIT + "get_access_token no longer re-checks expiry under _token_refresh_lock")


def test_the_authenticator_methods_relied_on_keep_their_names_and_signatures():
    for name in (
        "get_access_token",
        "refresh_and_set_access_token",
        "token_has_expired",
        "_current_access_token_or_none",
        "get_auth_header",
        "get_token_refresh_endpoint",
        "build_refresh_request_body",
        "build_refresh_request_headers",
        "build_refresh_request_query_params",
    ):
        method = getattr(DeclarativeOauth2Authenticator, name, None)
        assert callable(method) and _parameters(method) == ["self"], (
            REVISIT + f"DeclarativeOauth2Authenticator.{name}(self) is gone or takes arguments now")
    assert "self.get_access_token()" in inspect.getsource(AbstractOauth2Authenticator.get_auth_header), (
        REVISIT + "get_auth_header no longer goes through get_access_token, where each thread's token is noted")


def test_a_401_refreshes_through_the_authenticator_after_comparing_the_refused_token():
    handling = inspect.getsource(HttpClient._handle_error_resolution)
    assert "self._auth_header_changed_since(request)" in handling and ".refresh_and_set_access_token()" in handling, (
        REVISIT + "HttpClient no longer compares the refused token, then calls refresh_and_set_access_token, on a 401")
    assert ".get_auth_header()" in inspect.getsource(HttpClient._auth_header_changed_since), (
        REVISIT + "HttpClient._auth_header_changed_since no longer reads the current token through get_auth_header")
