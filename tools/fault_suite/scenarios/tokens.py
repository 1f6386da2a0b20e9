"""Rows where tokens or the credential go wrong: expiry, revocation, a withdrawn scope, the token endpoint down."""
from typing import List

from tools.fault_suite.scenario import COMPLETES, Context, FAILS, Scenario, _status_seen
from tools.personio_emulator import Emulator


def _revoke_credential(emulator: Emulator) -> None:
    """The API credential is deleted in Personio: its secret stops working and its tokens die."""
    emulator.settings.client_secret = "rotated-" + emulator.settings.client_secret
    emulator.revoke_tokens()


def _withdraw_absences_scope(emulator: Emulator) -> None:
    emulator.settings.granted_scopes = emulator.settings.granted_scopes - {"personio:absences:read"}


def _renewed_tokens(context: Context) -> List[str]:
    issued = len(context.tokens.tokens)
    return [] if issued > 3 else [f"only {issued} tokens issued: no token expired mid-sync"]


ROWS = [
    # -- tokens and the credential ------------------------------------------------------------------
    Scenario("short token lifetime", "expires_in = 1 s, so tokens expire throughout the sync",
             COMPLETES, settings={"token_lifetime_seconds": 1, "latency_seconds": 0.2},
             config={"num_workers": 2}, check=_renewed_tokens),
    Scenario("token expired early", "the server expires every token after 10 requests (clock jump)",
             COMPLETES, trigger=(10, lambda emulator: emulator.advance_clock(2 * 86_400)),
             check=_status_seen(401)),
    Scenario("token revoked", "every token revoked after 10 requests; the credential still works",
             COMPLETES, trigger=(10, lambda emulator: emulator.revoke_tokens()), check=_status_seen(401)),
    Scenario("credential revoked", "secret rotated and tokens revoked after 10 requests",
             FAILS, trigger=(10, _revoke_credential), failure_type="config_error",
             message=r"(?i)client id|client secret|credential"),
    Scenario("scope withdrawn", "personio:absences:read withdrawn after 10 requests (403)",
             FAILS, trigger=(10, _withdraw_absences_scope), failure_type="config_error",
             message=r"personio:absences:read"),
    Scenario("token endpoint 503", "the token endpoint answers 503 twice",
             COMPLETES, faults=({"kind": "status_503", "stream": "token", "count": 2},)),
]
