"""The Emulator: a company, its credential and a threaded HTTP server on 127.0.0.1."""
import dataclasses
import gc
import threading
import time
from typing import Optional

from . import app
from .auth import TokenStore
from .company import Company
from .faults import Fault
from .rate_limit import RateLimiter
from .server import HOST, EmulatorHTTPServer
from .settings import EmulatorSettings
from .stats import Stats


class Emulator:
    """Use as a context manager, or call start() and stop().

    `settings` may be changed while running; each request reads them afresh. The company is
    generated here, from the company fields of the settings, so it is ready before start().
    """

    def __init__(self, settings: Optional[EmulatorSettings] = None, **overrides):
        settings = settings or EmulatorSettings()
        if overrides:
            settings = dataclasses.replace(settings, **overrides)
        self.settings = settings
        self._skew = 0.0
        self.company = Company(seed=settings.seed, persons=settings.persons,
                               absence_periods=settings.absence_periods,
                               attendance_periods=settings.attendance_periods,
                               end=settings.data_end, clock=self.now, settings=settings)
        # The company is hundreds of thousands of long-lived objects. Frozen, the cyclic GC stops
        # rescanning them on every full collection, in this process's clients too (a connector
        # under test allocates a lot); they are still freed by reference counting.
        gc.freeze()
        self.stats = Stats(settings.request_log_size)
        self.tokens = TokenStore(self.now)
        self.limiter = RateLimiter(self.now)
        self._server: Optional[EmulatorHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> "Emulator":
        if self._server is not None:
            return self
        self._server = EmulatorHTTPServer(self, self.settings.port)
        self.company.set_base_url(self.url)
        if self.settings.prerender:
            self.company.prerender()
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"personio-emulator-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the calling thread until KeyboardInterrupt (the CLI's loop)."""
        self.start()
        try:
            while True:
                time.sleep(3600)
        finally:
            self.stop()

    def __enter__(self) -> "Emulator":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- where and who ----------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        """The API base; the token endpoint is url + "/v2/auth/token"."""
        return f"http://{HOST}:{self.port}"

    @property
    def token_url(self) -> str:
        return self.url + "/v2/auth/token"

    @property
    def client_id(self) -> str:
        return self.settings.client_id

    @property
    def client_secret(self) -> str:
        return self.settings.client_secret

    def config(self, **overrides) -> dict:
        """A connector config pointing at this emulator."""
        config = {"client_id": self.client_id, "client_secret": self.client_secret,
                  "api_url": self.url, "start_date": "2020-01-01T00:00:00Z"}
        config.update(overrides)
        return config

    # -- run-time control -------------------------------------------------------------------

    def now(self) -> float:
        """The emulator's clock (seconds since the epoch): wall time plus advance_clock()."""
        return time.time() + self._skew

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock on: expires tokens and refills rate buckets without sleeping.
        Mutations stamped "now" use this clock too."""
        self._skew += seconds

    def add_fault(self, fault: Fault) -> Fault:
        self.settings.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.settings.faults.clear()

    def revoke_tokens(self) -> None:
        self.tokens.revoke_all()

    def issue_token(self, scopes=None) -> str:
        """A valid access token without an HTTP round trip (for tests of the data endpoints)."""
        granted = frozenset(self.settings.granted_scopes if scopes is None else scopes)
        return self.tokens.issue(self.client_id, granted, self.settings.token_lifetime_seconds)

    def handle(self, request: "app.Request"):
        return app.handle(self, request)
