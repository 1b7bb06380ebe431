"""A sliding-window rate limiter kept in process memory.

Each worker process counts on its own, so with N workers a client can get up to N times the configured rate;
the limits are meant to stop floods and button-mashing, not to meter exactly.
"""

from __future__ import annotations

import threading
import time
from collections import deque


class RateLimiter:
    def __init__(self, limit: int, window_seconds: float, *, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str, *, now: float | None = None) -> float:
        """Record a hit for ``key``; returns 0 when allowed, else the seconds until the next hit is."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._hits.get(key)
            if hits is None:
                if len(self._hits) >= self.max_keys:
                    self._forget_idle(now)
                hits = self._hits[key] = deque()
            while hits and hits[0] <= now - self.window_seconds:
                hits.popleft()
            if len(hits) >= self.limit:
                return hits[0] + self.window_seconds - now
            hits.append(now)
            return 0.0

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, hits in self._hits.items() if not hits or hits[-1] <= now - self.window_seconds]
        for key in idle:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # still full of active keys: drop the oldest
            oldest = sorted(self._hits, key=lambda key: self._hits[key][-1])[: len(self._hits) // 2]
            for key in oldest:
                del self._hits[key]


class RecentlySeen:
    """What each key did within a sliding window, kept in process memory (like :class:`RateLimiter`, per worker):
    the caller decides what too much is. Used for the citizen form's bursts and hourly budgets (per client id, per
    network and link)."""

    def __init__(self, window_seconds: float, *, max_keys: int = 100_000) -> None:
        self.window_seconds = window_seconds
        self.max_keys = max_keys
        self._seen: dict[str, deque[tuple[float, str]]] = {}
        self._lock = threading.Lock()

    def recent(self, key: str, *, within: float | None = None, now: float | None = None) -> list[str]:
        """The items of ``key`` within the window (or the last ``within`` seconds of it), oldest first."""
        now = time.monotonic() if now is None else now
        since = now - (self.window_seconds if within is None else min(within, self.window_seconds))
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                return []
            while seen and seen[0][0] <= now - self.window_seconds:
                seen.popleft()
            return [item for moment, item in seen if moment > since]

    def add(self, key: str, item: str, *, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        with self._lock:
            seen = self._seen.get(key)
            if seen is None:
                if len(self._seen) >= self.max_keys:
                    self._forget_idle(now)
                seen = self._seen[key] = deque()
            seen.append((now, item))

    def _forget_idle(self, now: float) -> None:
        idle = [key for key, seen in self._seen.items() if not seen or seen[-1][0] <= now - self.window_seconds]
        for key in idle:
            del self._seen[key]
        if len(self._seen) >= self.max_keys:
            for key in sorted(self._seen, key=lambda key: self._seen[key][-1][0])[: len(self._seen) // 2]:
                del self._seen[key]
