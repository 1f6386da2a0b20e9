"""Throttling: a token bucket per endpoint (the shape one live probe saw), an optional bucket per
credential across endpoints (the shape another client assumes), and the token endpoint's limit."""
import math
import threading
from typing import Callable, List, NamedTuple, Optional, Tuple

from .settings import PERSONIO_LIKE_RATE_LIMITS, personio_like_rate_limits


class TokenBucket:
    def __init__(self, rate: float, burst: int, now: float):
        self.rate, self.burst = float(rate), int(burst)
        self.tokens = float(burst)
        self.stamp = now
        self._lock = threading.Lock()

    def take(self, now: float) -> Tuple[bool, float]:
        """Spend one token if there is one; returns (allowed, tokens left)."""
        with self._lock:
            self.tokens = min(self.burst, self.tokens + max(0.0, now - self.stamp) * self.rate)
            self.stamp = now
            if self.tokens >= 1:
                self.tokens -= 1
                return True, self.tokens
            return False, self.tokens

    def wait(self) -> float:
        """Seconds until the next token."""
        return max(0.0, (1 - self.tokens) / self.rate)


class Verdict(NamedTuple):
    allowed: bool
    headers: List[Tuple[str, str]]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class RateLimiter:
    def __init__(self, clock: Callable[[], float]):
        self.clock = clock
        self._buckets = {}  # key -> (config, bucket); rebuilt when the settings change
        self._lock = threading.Lock()
        self._token_window = (0.0, 0)  # (window start, requests in it)
        self._token_penalty_until = 0.0
        self._token_last_grant = 0.0

    def _bucket(self, key, rate: float, burst: int) -> TokenBucket:
        with self._lock:
            config, bucket = self._buckets.get(key, (None, None))
            if config != (rate, burst):
                bucket = TokenBucket(rate, burst, self.clock())
                self._buckets[key] = ((rate, burst), bucket)
            return bucket

    def check(self, stream: str, settings, client_id: str) -> Verdict:
        """Every answer carries the x-ratelimit-* headers, as on Personio: from the stream's enforced bucket, or
        else from a bucket with Personio's figures that only counts (it never refuses)."""
        now = self.clock()
        limit = settings.rate_limits.get(stream)
        if limit is None and settings.personio_like_burst is not None:
            limit = personio_like_rate_limits(settings.personio_like_burst)[stream]
        enforced = limit is not None
        rate, burst = limit if enforced else PERSONIO_LIKE_RATE_LIMITS[stream]
        bucket = self._bucket(("stream" if enforced else "advertised", stream), rate, burst)
        allowed, left = bucket.take(now)
        if not enforced:
            allowed = True
        headers = [
            ("x-ratelimit-remaining", str(int(left))),
            ("x-ratelimit-replenish-rate", _number(rate)),
            ("x-ratelimit-burst-capacity", str(int(burst))),
            ("x-ratelimit-requested-tokens", "1"),
        ]
        wait = bucket.wait()
        per_minute = settings.credential_rate_limit_per_minute
        if allowed and per_minute:
            bucket = self._bucket(("credential", client_id), per_minute / 60.0, per_minute)
            allowed, _ = bucket.take(now)
            wait = bucket.wait()
        if not allowed and settings.retry_after_on_429:
            headers.append(("Retry-After", str(max(1, math.ceil(wait)))))
        return Verdict(allowed, headers)

    def check_token_endpoint(self, per_minute: int) -> Optional[int]:
        """None when allowed, else the seconds to wait. Past the per-minute limit the endpoint
        allows one request a second for 60 seconds."""
        now = self.clock()
        with self._lock:
            if now < self._token_penalty_until:
                if now - self._token_last_grant >= 1.0:
                    self._token_last_grant = now
                    return None
                return 1
            start, count = self._token_window
            if now - start >= 60:
                start, count = now, 0
            count += 1
            self._token_window = (start, count)
            if count > per_minute:
                self._token_penalty_until = now + 60
                self._token_last_grant = now
                return 1
            return None
