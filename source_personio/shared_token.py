"""One access token for the whole sync (and for `check`), shared by every stream and worker thread.

Why: the CDK's component factory builds one OAuthAuthenticator per requester, and each mints its own token, so a
sync of the 20 streams made 22 token calls (the parents of employments and breakdowns, built by factories of their
own, take one each) and `check` 19. Personio throttles its token endpoint past 150 calls a minute (then 1 a second
for a minute), and a token may serve any number of requests, in parallel, for its whole lifetime (contract §1).

What: `share_one_token(factory)` makes every OAuthAuthenticator that factory builds, and every one built by the
factories it makes for parent streams, one instance per token request (URL, form body, headers). The CDK's own
locking then mints for everyone: a missing or expired token is minted by the first thread, under the class-wide
refresh lock, and the others re-check and use it; after a 401 (the manifest's `REFRESH_TOKEN_THEN_RETRY`) the CDK
re-mints only when the token the refused request carried is still the current one. `SharedTokenAuthenticator`
closes the one gap left there: between the CDK reading the current token and asking for a new one, another thread
may have re-minted already; each thread remembers the token it last used, and one that is no longer current is
not re-minted. A token refused right after it was issued ends as before (the CDK fails that request with a config
error; messages.py words it).

The manifest is unchanged: factories not passed to `share_one_token` (the Connector Builder's,
`source-declarative-manifest`'s, any other source in the process) build authenticators exactly as the CDK does.

CDK internals relied on (airbyte-cdk 7.39.1; unit_tests/test_shared_token_cdk_pins.py fails when one changes, and
for the factory hook that reaches the parents' factories, unit_tests/cdk_internals/test_factory_hooks.py):
- `ConcurrentDeclarativeSource._constructor`: the source's component factory, which builds its streams each time
  `streams()` is called (so a shared authenticator, kept in the factory, outlives every rebuild `check` makes).
- `ModelToComponentFactory.create_oauth_authenticator(self, model, config, **kwargs)` builds every
  OAuthAuthenticator. The shared instances are kept in the factory's `_rate_limited_authenticators` under this
  module's key, so they reach the parents' factories (factory_hooks.py).
- `AbstractOauth2Authenticator`: `_token_refresh_lock` (a class-wide RLock), `get_access_token` (re-checks
  expiry under it), `refresh_and_set_access_token` (what `HttpClient._handle_error_resolution` calls on a 401,
  after `_auth_header_changed_since` compared the refused request's token with `get_auth_header`'s),
  `token_has_expired`, `_current_access_token_or_none`, and the `build_refresh_request_*` methods.
"""
import hashlib
import json
import threading
from typing import Any, Dict, Mapping

from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeOauth2Authenticator
from airbyte_cdk.sources.declarative.models.declarative_component_schema import OAuthAuthenticator
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory

from source_personio.factory_hooks import hook

# This module's entry in a factory's `_rate_limited_authenticators`: token request digest -> authenticator.
REGISTRY_KEY = "source_personio.shared_token"

_registry_lock = threading.Lock()


class SharedTokenAuthenticator(DeclarativeOauth2Authenticator):
    """The manifest's authenticator, used by every requester of a source at once."""

    def get_access_token(self) -> str:
        token = super().get_access_token()
        self._last_used.token = token
        return token

    def refresh_and_set_access_token(self) -> None:
        with self._token_refresh_lock:
            # A token that expired is replaced whoever asks. Otherwise this is a 401: another thread may have
            # replaced the refused token since this one last used it, and its token is the one to retry with.
            if self.token_has_expired() or self._current_access_token_or_none() == getattr(self._last_used, "token", None):
                super().refresh_and_set_access_token()


def share_one_token(factory: ModelToComponentFactory) -> None:
    """From now on, the OAuthAuthenticators `factory` and its parent streams' factories build share one token."""
    hook(factory, OAuthAuthenticator, "create_oauth_authenticator", REGISTRY_KEY, _shared, value={})


def _shared(built: Any, shared: Dict[str, SharedTokenAuthenticator]) -> Any:
    # Refresh-token flows that write tokens back to the config are left alone: they are not Personio's.
    if type(built) is not DeclarativeOauth2Authenticator:
        return built
    key = _token_request_digest(built)
    with _registry_lock:
        if key not in shared:
            # Same fields, two methods more; the CDK gives no way to choose the class it builds.
            built.__class__ = SharedTokenAuthenticator
            built._last_used = threading.local()
            shared[key] = built
        return shared[key]


def _token_request_digest(authenticator: DeclarativeOauth2Authenticator) -> str:
    """Two authenticators sending the same token request get interchangeable tokens (the secret is in the request,
    so only its digest is kept)."""
    request = {
        "url": authenticator.get_token_refresh_endpoint(),
        "body": authenticator.build_refresh_request_body(),
        "headers": authenticator.build_refresh_request_headers(),
        "query": authenticator.build_refresh_request_query_params(),
    }
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()
