"""One rate-limit budget shared by every request to a forge, whichever worker makes it.

A rate-limit reply (403/429 with `X-RateLimit-Remaining: 0` or `Retry-After`) pauses every worker
until the wait is over; the `X-RateLimit-Remaining` of successful replies is tracked, so that the
workers pause for the reset before the budget runs out rather than after. A wait longer than
`max_wait` is not waited out: every request until it is over fails with `RateLimited`, saying
when to try again, without going out.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

MAX_WAIT = 60.0  # a rate limit that resets sooner than this is waited out


class Headers(Protocol):
    """A reply's headers: urllib's, or a dict."""

    def get(self, name: str, /) -> str | None: ...


class RateLimited(RuntimeError):
    """The budget is used up for longer than the longest wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"try again in {int(wait)} s")
        self.wait = wait


class Budget:
    """Thread-safe. ``clock`` is wall-clock seconds (the epoch `X-RateLimit-Reset` counts in);
    ``sleep`` waits; both are injectable for tests."""

    def __init__(
        self,
        reserve: int = 0,
        max_wait: float = MAX_WAIT,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.reserve = reserve  # requests kept back: at this many left, wait for the reset
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._remaining: int | None = None  # what the last reply said, less the requests since
        self._reset: float | None = None  # when the window of _remaining ends (epoch seconds)

    def acquire(self) -> None:
        """Wait until a request may go out, and count it. Raises RateLimited when that would
        take longer than max_wait."""
        while True:
            with self._lock:
                now = self.clock()
                wait = self._paused_until - now
                if wait <= 0 and self._remaining is not None and self._remaining <= self.reserve:
                    if self._reset is not None and self._reset > now:
                        self._paused_until = self._reset
                        wait = self._reset - now
                    else:  # the window is over (or its end unknown): the next reply says anew
                        self._remaining = self._reset = None
                if wait <= 0:
                    if self._remaining is not None:
                        self._remaining -= 1
                    return
            if wait > self.max_wait:
                raise RateLimited(wait)
            self.sleep(wait)

    def observe(self, headers: Headers | None) -> None:
        """Track `X-RateLimit-Remaining` and `X-RateLimit-Reset` of a reply."""
        with self._lock:
            self._track(headers)

    def _track(self, headers: Headers | None) -> None:
        remaining, reset = _number(headers, "X-RateLimit-Remaining"), _number(headers, "X-RateLimit-Reset")
        if remaining is None:
            return
        if reset is not None and reset != self._reset:  # a new window: its count replaces ours
            self._remaining, self._reset = int(remaining), reset
        else:  # replies of one window can arrive out of order: the lowest count is the latest
            self._remaining = int(remaining) if self._remaining is None else min(self._remaining, int(remaining))

    def limited(self, headers: Headers | None) -> float:
        """A rate-limit reply: every worker pauses for the wait it asks (Retry-After seconds,
        else until X-RateLimit-Reset). Returns the wait. One beyond max_wait raises
        RateLimited, here and in every worker's acquire until it is over: no request goes out
        to be refused in the meantime."""
        wait = wait_seconds(headers, self.clock(), self.max_wait)
        with self._lock:
            self._paused_until = max(self._paused_until, self.clock() + wait)
            self._track(headers)
        if wait > self.max_wait:
            raise RateLimited(wait)
        return wait


def _number(headers: Headers | None, name: str) -> float | None:
    value = (headers.get(name) if headers is not None else None) or ""
    return float(value) if value.strip().isdigit() else None


def wait_seconds(headers: Headers | None, now: float, max_wait: float = MAX_WAIT) -> float:
    """How long a rate-limit reply asks to wait: Retry-After seconds, else until
    X-RateLimit-Reset; beyond max_wait when it says neither."""
    retry_after = _number(headers, "Retry-After")
    if retry_after is not None:
        return retry_after
    reset = _number(headers, "X-RateLimit-Reset")
    if reset is not None:
        return max(0.0, reset - now)
    return max_wait + 1
