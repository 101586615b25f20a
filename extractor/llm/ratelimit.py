"""Per-backend rate limit: requests per minute and tokens per minute, as two token buckets.

Each bucket refills continuously at ``per_minute / 60`` per second and holds at most
``BURST_SECONDS`` worth of refill, so a run starts with a short burst and then settles at the
configured rate. Every HTTP attempt takes one request and an *estimate* of its tokens (prompt
characters / 4 plus the completion cap) before it is sent; once the server reports usage the
difference is given back (or charged), so the long-run token rate follows real usage. A request
larger than the bucket waits for a full bucket and then drives it negative, delaying the next
ones by as much. Waiters are served first come, first served.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

BURST_SECONDS = 10.0
CHARS_PER_TOKEN = 4  # a rough, model-independent estimate (English text is ~4 chars a token)


def estimate_tokens(messages: Sequence[Any], max_tokens: int | None) -> int:
    """Tokens a request may spend before the server says: its messages, then the completion cap."""
    chars = sum(len(m.get("content") or "") if isinstance(m, dict) and
                isinstance(m.get("content"), str) else len(json.dumps(m, default=str))
                for m in messages)
    return math.ceil(chars / CHARS_PER_TOKEN) + (max_tokens or 0)


@dataclass
class Bucket:
    """A token bucket: ``rate`` per second, at most ``capacity``, starting full."""

    rate: float
    capacity: float
    level: float
    updated: float

    @classmethod
    def per_minute(cls, limit: float, now: float) -> Bucket:
        if limit <= 0:
            raise ValueError(f"a per-minute limit must be positive, got {limit}")
        capacity = max(1.0, limit * BURST_SECONDS / 60.0)
        return cls(rate=limit / 60.0, capacity=capacity, level=capacity, updated=now)

    def refill(self, now: float) -> None:
        if now > self.updated:
            self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = max(self.updated, now)

    def delay(self, amount: float, now: float) -> float:
        """Seconds until ``amount`` may be taken (an amount over capacity needs a full bucket)."""
        self.refill(now)
        needed = min(amount, self.capacity)
        return 0.0 if self.level >= needed else (needed - self.level) / self.rate

    def take(self, amount: float) -> None:
        self.level -= amount


class RateLimiter:
    """Requests/min and tokens/min for one backend; either limit may be None (unlimited)."""

    def __init__(self, requests_per_minute: float | None = None,
                 tokens_per_minute: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep) -> None:
        self._clock, self._sleep = clock, sleep
        now = clock()
        self.requests = Bucket.per_minute(requests_per_minute, now) if requests_per_minute \
            else None
        self.tokens = Bucket.per_minute(tokens_per_minute, now) if tokens_per_minute else None
        self._lock: asyncio.Lock | None = None
        self.waited = 0.0  # seconds spent waiting, for reports and tests

    @property
    def enabled(self) -> bool:
        return self.requests is not None or self.tokens is not None

    def delay(self, tokens: int) -> float:
        """Seconds to wait before a request estimated at ``tokens`` may be sent."""
        now = self._clock()
        waits = [0.0]
        if self.requests is not None:
            waits.append(self.requests.delay(1, now))
        if self.tokens is not None:
            waits.append(self.tokens.delay(tokens, now))
        return max(waits)

    async def acquire(self, tokens: int) -> int:
        """Wait for room, then take one request and ``tokens``; returns what was reserved."""
        if not self.enabled:
            return tokens
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # FIFO: an early waiter is never overtaken by a small request
            while (wait := self.delay(tokens)) > 0:
                self.waited += wait
                await self._sleep(wait)
            if self.requests is not None:
                self.requests.take(1)
            if self.tokens is not None:
                self.tokens.take(tokens)
        return tokens

    def settle(self, reserved: int, used: int | None) -> None:
        """Correct a reservation with the tokens the server reported (None: nothing was used)."""
        if self.tokens is not None:
            self.tokens.refill(self._clock())
            self.tokens.level += reserved - (used or 0)
            self.tokens.level = min(self.tokens.level, self.tokens.capacity)
