"""Per-caller rate limiting: an in-memory token bucket for each API key (or client address)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """Allows ``per_minute`` requests per caller, refilled continuously; thread-safe.

    A caller may spend its whole minute at once (the bucket holds ``per_minute``
    tokens). At most ``max_callers`` buckets are kept; the least recently used
    is forgotten first, so a flood of addresses cannot exhaust memory.
    """

    def __init__(
        self,
        per_minute: int,
        max_callers: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_callers = max_callers
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, caller: str) -> float:
        """Seconds until ``caller`` has a token again (0.0 when it has one); takes nothing."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.rate

    def acquire(self, caller: str) -> float:
        """Take one token: 0.0 when allowed, else the seconds until the next token."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(caller, (self.capacity, now))
            tokens = min(self.capacity, tokens + (now - last) * self.rate)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.rate
            self._buckets[caller] = (tokens, now)
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
            return wait
