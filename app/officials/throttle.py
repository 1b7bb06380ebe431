"""Login throttling, kept in each worker's memory (like the rate limiters of :mod:`app.ratelimit`).

Failures are counted per (username, client network), never per account: someone guessing from one network slows
down guesses at that name from that network only, and an official logging in from another network is never
locked out by them. A name that is no official's is counted exactly like a real one, so the answers (401, then
429 with the same message and the same Retry-After) say nothing about which names exist.

- **Network**: IPv4 /24, IPv6 /48 (an IPv4-mapped IPv6 address counts as IPv4); an address that is not an IP
  address counts as itself.
- **Growing waits**: after :data:`FREE_FAILURES` failures in a row, a (name, network) pair waits
  :data:`LOCK_BASE_SECONDS`, then twice as long after each further failure, at most :data:`LOCK_MAX_SECONDS`. While
  it waits no password is checked. A success clears the count; so does :data:`FORGET_AFTER_SECONDS` without a
  failure. Attempts still being checked count as failures until they are decided, so a burst of parallel guesses
  gets no more tries than a sequence.
- **Budget**: at most :data:`CHECKS_PER_NETWORK_PER_MINUTE` password checks (argon2, successful or not, real or
  dummy) per network per minute; beyond it 429 without hashing, so the CPU one network can spend on argon2 is
  bounded whatever names it tries.

With N workers each keeps its own counts (up to N times the tries), as for the other limiters.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from app.errors import TooManyRequests
from app.networks import network_of
from app.ratelimit import RateLimiter

FREE_FAILURES = 5
LOCK_BASE_SECONDS = 60.0
LOCK_MAX_SECONDS = 3600.0
FORGET_AFTER_SECONDS = 24 * 3600.0
CHECKS_PER_NETWORK_PER_MINUTE = 30
MAX_KEYS = 100_000  # (name, network) pairs kept; beyond it the idle, then the oldest, are forgotten

LOCKED_MESSAGE = "too many failed logins for this username from your network; retry in {seconds} seconds"
BUDGET_MESSAGE = "too many login attempts from your network; retry in {seconds} seconds"


def network(client_ip: str | None) -> str:
    """The client's network: IPv4 /24, IPv6 /48 (``app.networks``); "?" when unknown."""
    return "?" if client_ip is None else network_of(client_ip)


def lock_seconds(failures: int) -> float:
    """How long a (name, network) pair waits after its ``failures``-th failure in a row (0: not at all)."""
    if failures < FREE_FAILURES:
        return 0.0
    return min(LOCK_BASE_SECONDS * 2.0 ** min(failures - FREE_FAILURES, 20), LOCK_MAX_SECONDS)


@dataclass
class _Record:
    failures: int = 0
    pending: int = 0
    locked_until: float = 0.0
    last_failure: float = 0.0


@dataclass
class Attempt:
    """One login attempt let through: say how it ended with :meth:`failed` or :meth:`succeeded`."""

    throttle: LoginThrottle
    key: tuple[str, str]
    decided: bool = field(default=False)

    def failed(self) -> float:
        """Count the failure; returns the seconds the pair now waits (0: none yet)."""
        self.decided = True
        return self.throttle._failed(self.key)

    def succeeded(self) -> None:
        self.decided = True
        self.throttle._succeeded(self.key)


class LoginThrottle:
    def __init__(self, *, clock: Callable[[], float] = time.monotonic, max_keys: int = MAX_KEYS) -> None:
        self.clock = clock
        self.max_keys = max_keys
        self._records: dict[tuple[str, str], _Record] = {}
        self._budget = RateLimiter(CHECKS_PER_NETWORK_PER_MINUTE, 60.0)
        self._lock = threading.Lock()

    @contextmanager
    def attempt(self, name: str, client_ip: str | None) -> Iterator[Attempt]:
        """Let one attempt at ``name`` (as :func:`app.officials.usernames.login_name` gives it) through, or raise
        429 (:class:`TooManyRequests`) without any password check. Not deciding counts as neither outcome."""
        net = network(client_ip)
        key = (name, net)
        now = self.clock()
        with self._lock:
            record = self._records.get(key)
            if record is None or (now - record.last_failure > FORGET_AFTER_SECONDS and record.pending == 0):
                record = _Record()  # kept only if the attempt goes ahead (a refused flood of names costs no memory)
            if record.locked_until > now:
                raise _too_many(LOCKED_MESSAGE, record.locked_until - now)
            # Each undecided attempt may be a failure: no more of them than failures are left before a wait.
            left = FREE_FAILURES - record.failures if record.failures < FREE_FAILURES else 1
            if record.pending >= left:
                raise _too_many(LOCKED_MESSAGE, 0.5)  # (Retry-After: 1)
            wait = self._budget.retry_after(net, now=now)
            if wait > 0:
                raise _too_many(BUDGET_MESSAGE, wait)
            if self._records.get(key) is not record:
                if len(self._records) >= self.max_keys:
                    self._forget(now)
                self._records[key] = record
            record.pending += 1
        attempt = Attempt(self, key)
        try:
            yield attempt
        finally:
            if not attempt.decided:
                with self._lock:
                    record.pending = max(record.pending - 1, 0)

    def _failed(self, key: tuple[str, str]) -> float:
        now = self.clock()
        with self._lock:
            record = self._records.setdefault(key, _Record())
            record.pending = max(record.pending - 1, 0)
            record.failures += 1
            record.last_failure = now
            wait = lock_seconds(record.failures)
            record.locked_until = now + wait if wait else 0.0
            return wait

    def _succeeded(self, key: tuple[str, str]) -> None:
        with self._lock:
            record = self._records.get(key)
            if record is not None:
                record.pending = max(record.pending - 1, 0)
                record.failures, record.locked_until = 0, 0.0
                if record.pending == 0:
                    del self._records[key]

    def _forget(self, now: float) -> None:
        """Make room: drop pairs that wait for nothing and have nothing pending, oldest failures first; if all
        wait, those whose wait ends first."""
        idle = sorted(
            (key for key, record in self._records.items() if record.locked_until <= now and record.pending == 0),
            key=lambda key: self._records[key].last_failure,
        )
        for key in idle[: max(len(self._records) // 2, 1)]:
            del self._records[key]
        if len(self._records) >= self.max_keys:
            by_end = sorted(self._records, key=lambda key: self._records[key].locked_until)
            for key in by_end[: len(by_end) // 2]:
                del self._records[key]


def _too_many(message: str, wait: float) -> TooManyRequests:
    """429 whose message names the same number of seconds as its Retry-After header."""
    return TooManyRequests(message.format(seconds=int(wait) + 1), retry_after_seconds=wait)


_creating = threading.Lock()


def throttle_of(app: Any) -> LoginThrottle:
    """The worker's throttle, kept on the application (one per app, so each test's app starts afresh)."""
    throttle: LoginThrottle | None = getattr(app.state, "login_throttle", None)
    if throttle is None:
        with _creating:
            throttle = getattr(app.state, "login_throttle", None)
            if throttle is None:
                throttle = app.state.login_throttle = LoginThrottle()
    return throttle
