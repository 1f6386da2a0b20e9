"""OAuth2 client credentials: the token and revoke endpoints, and bearer checks on data calls."""
import hmac
import secrets
import threading
from typing import Callable, NamedTuple, Optional, Union
from urllib.parse import parse_qs

from .replies import Reply, json_reply, oauth_error, problem
from .scopes import ALL_SCOPES

FORM = "application/x-www-form-urlencoded"


class Grant(NamedTuple):
    client_id: str
    scopes: frozenset
    expires_at: float


class TokenStore:
    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._grants = {}
        self._lock = threading.Lock()

    def issue(self, client_id: str, scopes: frozenset, lifetime: float) -> str:
        token = "papi-" + secrets.token_urlsafe(32)
        with self._lock:
            self._grants[token] = Grant(client_id, frozenset(scopes), self.clock() + lifetime)
        return token

    def grant(self, token: str) -> Optional[Grant]:
        """The live grant behind a token; None when unknown, revoked or expired."""
        with self._lock:
            grant = self._grants.get(token)
            if grant is not None and self.clock() >= grant.expires_at:
                del self._grants[token]
                grant = None
        return grant

    def revoke(self, token: str) -> bool:
        with self._lock:
            return self._grants.pop(token, None) is not None

    def revoke_all(self) -> None:
        with self._lock:
            self._grants.clear()


def _form(request) -> Optional[dict]:
    """Form fields as single values; None when the body is not form-encoded."""
    content_type = (request.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    if content_type != FORM:
        return None
    try:
        fields = parse_qs(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        return None
    return {name: values[-1] for name, values in fields.items()}


def token_endpoint(emu, request) -> Reply:
    settings = emu.settings
    wait = emu.limiter.check_token_endpoint(settings.token_rate_limit_per_minute)
    if wait is not None:
        reply = oauth_error(429, "too_many_requests", "Token endpoint rate limit exceeded")
        if settings.retry_after_on_429:
            reply.headers.append(("Retry-After", str(wait)))
        return reply
    form = _form(request)
    if form is None:
        return oauth_error(400, "invalid_request", f"The request body must be {FORM}")
    if "grant_type" not in form or "client_id" not in form or "client_secret" not in form:
        return oauth_error(400, "invalid_request", "grant_type, client_id and client_secret are required")
    if form["grant_type"] != "client_credentials":
        return oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported")
    known = hmac.compare_digest(form["client_id"].encode(), settings.client_id.encode())
    secret_ok = hmac.compare_digest(form["client_secret"].encode(), settings.client_secret.encode())
    if not (known and secret_ok):
        return oauth_error(settings.auth_error_status, "invalid_client", "Client authentication failed")
    held = frozenset(settings.granted_scopes)
    if form.get("scope"):
        asked = frozenset(form["scope"].split())
        if not asked <= held:
            bad = sorted(asked - held)
            kind = "unknown" if not set(bad) <= ALL_SCOPES else "not granted"
            return oauth_error(400, "invalid_scope", f"Scope {kind}: {' '.join(bad)}")
        scopes = asked
    else:
        scopes = held
    lifetime = settings.token_lifetime_seconds
    token = emu.tokens.issue(form["client_id"], scopes, lifetime)
    return json_reply(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                            "scope": " ".join(sorted(scopes))}, [("Cache-Control", "no-store")])


def revoke_endpoint(emu, request) -> Reply:
    form = _form(request)
    if form is None or not form.get("token"):
        return oauth_error(400, "invalid_request", f"A {FORM} body with `token` is required")
    emu.tokens.revoke(form["token"])
    return json_reply(200, {})


def authorize(emu, request) -> Union[Grant, Reply]:
    """The grant of the request's bearer token, or the 401 to answer."""
    header = request.headers.get("Authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return problem(401, "Unauthorized", "A bearer access token is required")
    grant = emu.tokens.grant(token.strip())
    if grant is None:
        return problem(401, "Unauthorized", "The access token is invalid or expired")
    return grant
