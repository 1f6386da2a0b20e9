"""Fault injection: rules that make chosen requests fail in the ways real APIs and networks do."""
import random
import threading
from dataclasses import dataclass, field
from typing import Iterable, Optional

from .streams import ALL_STREAMS

# Faults decided before the page is built: the request never reaches the list logic.
EARLY_KINDS = frozenset({"status_500", "status_502", "status_503", "status_400", "reset", "timeout",
                         "non_json", "short_body"})
# Faults that corrupt a real page after it is built.
PAGE_KINDS = frozenset({"truncated_json", "data_missing", "data_not_list", "record_without_id",
                        "record_without_updated_at", "record_bad_updated_at", "next_self", "next_foreign",
                        "empty_page_with_next", "huge_page"})
# Next links that lead back to pages already read (loops.py). Each counts only the pages it can play on
# (see `Fault`), so it is picked once the page is built, apart from the kinds above.
LOOP_KINDS = frozenset({"next_repeat", "next_back", "last_page_loops", "repeat_forever"})
KINDS = EARLY_KINDS | PAGE_KINDS | LOOP_KINDS
REQUEST_KINDS = EARLY_KINDS | PAGE_KINDS  # picked when the request arrives
# The token endpoint has no page, so only these make sense there.
TOKEN_KINDS = EARLY_KINDS | {"truncated_json"}
TARGETS = ALL_STREAMS + ("token",)


@dataclass
class Fault:
    """One rule. It watches the requests it matches (its `stream`, or every data endpoint when
    None; "token" targets the token endpoint), lets the first `after` pass, then fires on the next
    `count` (None: no end), or, with `probability`, on each later one with that chance drawn from
    its own rng seeded by `seed`. When several rules are due, the first in the list fires and the
    others are not used up.

    `status_400` answers with `detail`; `timeout` holds the answer for settings.fault_hang_seconds;
    `reset` closes the connection without an answer; `short_body` promises more bytes than it sends.

    The loop kinds (LOOP_KINDS) write their next links as the settings choose (never a copy of `self`):
    `next_repeat` leads to the page just read (its cursor; a first page: its filters reversed, without
    `limit`); `next_back` goes on to the next page B, whose next link leads back (A -> B -> A);
    `last_page_loops`, on a page with no more records, leads to that page again under a new cursor,
    whose page then links to itself, for good; `repeat_forever` links to the same records under a fresh
    cursor each time, for good. `after` and `count` count only the pages with records a loop kind can play
    on (with more records for next_back, a last page for last_page_loops, any for the others); a page
    reached through a cursor a loop issued (next_back's B, the pages of last_page_loops and
    repeat_forever) plays its part and is not counted. With count None a loop kind fires on every page
    it can play on, so next_repeat and next_back then never let go either.
    """

    kind: str
    stream: Optional[str] = None
    after: int = 0
    count: Optional[int] = 1
    probability: Optional[float] = None
    seed: int = 0
    detail: str = "Invalid request content"
    seen: int = field(default=0, init=False, compare=False)
    fired: int = field(default=0, init=False, compare=False)
    _rng: random.Random = field(default=None, init=False, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(sorted(KINDS))}")
        if self.stream is not None and self.stream not in TARGETS:
            raise ValueError(f"unknown fault target {self.stream!r}; known: {', '.join(TARGETS)}")
        if self.stream == "token" and self.kind not in TOKEN_KINDS:
            raise ValueError(f"fault {self.kind!r} cannot apply to the token endpoint")
        self._rng = random.Random(self.seed)

    def matches(self, target: str) -> bool:
        if self.stream is None:
            return target != "token"
        return self.stream == target

    def _observe(self) -> bool:
        """Count one matching request; True when the rule is due to fire on it."""
        with self._lock:
            self.seen += 1
            if self.seen <= self.after:
                return False
            if self.count is not None and self.fired >= self.count:
                return False
            if self.probability is not None and self._rng.random() >= self.probability:
                return False
            return True

    def _consume(self) -> None:
        with self._lock:
            self.fired += 1

    @classmethod
    def parse(cls, spec: str) -> "Fault":
        """`KIND[:STREAM[:AFTER[:COUNT]]]`, as the CLI takes it; an empty STREAM means all data
        endpoints and COUNT `all` means no end."""
        parts = spec.split(":")
        if not 1 <= len(parts) <= 4:
            raise ValueError(f"bad fault spec {spec!r}: KIND[:STREAM[:AFTER[:COUNT]]]")
        kind = parts[0]
        stream = (parts[1] or None) if len(parts) > 1 else None
        after = int(parts[2]) if len(parts) > 2 and parts[2] else 0
        count = 1
        if len(parts) > 3:
            count = None if parts[3] in ("all", "*") else int(parts[3])
        return cls(kind, stream, after, count)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "stream": self.stream, "after": self.after, "count": self.count,
                "probability": self.probability, "seed": self.seed, "detail": self.detail,
                "seen": self.seen, "fired": self.fired}

    @classmethod
    def from_dict(cls, data: dict) -> "Fault":
        known = {"kind", "stream", "after", "count", "probability", "seed", "detail"}
        unknown = set(data) - known - {"seen", "fired"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        return cls(**{k: v for k, v in data.items() if k in known})


def pick(faults: Iterable[Fault], target: str, kinds: frozenset = KINDS) -> Optional[Fault]:
    """The rule that fires on this request, if any. Every matching rule sees the request."""
    chosen = None
    for fault in list(faults):
        if fault.kind in kinds and fault.matches(target) and fault._observe() and chosen is None:
            fault._consume()
            chosen = fault
    return chosen
