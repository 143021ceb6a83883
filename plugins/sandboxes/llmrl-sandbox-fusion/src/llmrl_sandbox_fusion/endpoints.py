"""Several Fusion endpoints as one: where the next request goes, under a cap per endpoint and in total.

An endpoint that failed a connection (or declined with 503/429) cools down: it gets no new
requests while another endpoint is up, and the first answer it gives makes it up again.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass(eq=False)
class Endpoint:
    """One replica and what the client has seen of it."""

    url: str
    in_flight: int = 0
    down_until: float = 0.0
    sent: int = 0
    """Requests sent (or tried)."""
    answered: int = 0
    """Requests answered (any HTTP answer but a 503/429 refusal)."""
    failed: int = 0
    """Requests without an answer (no connection, a broken one, a timeout) or refused with 503/429."""
    send_memory: bool | None = None
    """Whether to send memory_limit_MB (None: not yet known)."""
    scheme: str = field(init=False)
    host: str = field(init=False)
    port: int | None = field(init=False)
    path: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        self.scheme, self.host, self.port = parts.scheme, parts.hostname or "", parts.port
        self.path = parts.path.rstrip("/") + "/run_code"

    def is_up(self, now: float) -> bool:
        return self.down_until <= now


class EndpointPool:
    """Hands out endpoints: the least loaded one that is up, never more than the caps allow."""

    def __init__(self, urls: list[str], *, max_total: int, max_each: int, cooldown_s: float):
        self.endpoints = [Endpoint(u) for u in urls]
        self.max_total, self.max_each, self.cooldown_s = max_total, max_each, cooldown_s
        self._total = 0
        self._cond = threading.Condition()

    def acquire(self, avoid: Collection[Endpoint] = ()) -> Endpoint:
        """Block until a slot is free; prefer endpoints that are up and not in ``avoid``."""
        with self._cond:
            while (ep := self._pick(avoid)) is None:
                self._cond.wait(timeout=0.2)  # also wakes when a cooldown ends
            ep.in_flight += 1
            ep.sent += 1
            self._total += 1
            return ep

    def _pick(self, avoid: Collection[Endpoint]) -> Endpoint | None:
        if self._total >= self.max_total:
            return None
        now = time.monotonic()
        free = [e for e in self.endpoints if e.in_flight < self.max_each]
        if any(e.is_up(now) for e in self.endpoints):
            # wait for a slot on a live endpoint rather than send to one that is cooling down
            up = [e for e in free if e.is_up(now)]
            preferred = [e for e in up if e not in avoid] or up
            return min(preferred, key=lambda e: (e.in_flight, e.sent)) if preferred else None
        # every endpoint is cooling down: try the one that recovers first
        return min(free, key=lambda e: e.down_until) if free else None

    def release(self, ep: Endpoint, *, answered: bool, down: bool = False) -> None:
        """Return ``ep``'s slot; an answer proves it is up, ``down`` starts its cooldown."""
        with self._cond:
            ep.in_flight -= 1
            self._total -= 1
            if answered:
                ep.answered += 1
                ep.down_until = 0.0
            else:
                ep.failed += 1
                if down:
                    ep.down_until = time.monotonic() + self.cooldown_s
            self._cond.notify_all()

    def any_up(self, avoid: Collection[Endpoint] = ()) -> bool:
        """Whether some endpoint outside ``avoid`` is up (then a re-send need not wait)."""
        now = time.monotonic()
        with self._cond:
            return any(e.is_up(now) and e not in avoid for e in self.endpoints)
