"""Stopping a verification cleanly on SIGINT (Ctrl-C) and SIGTERM (a cancelled CI job, `timeout`).

While :func:`interruptible` is active, either signal raises :class:`Interrupted` in the main
thread, wherever it is waiting (most often on a `docker build`). The code that started a build
stops it, the verification removes what it made (its images and temporary folders) under
:func:`deferred`, which holds further signals back until the cleanup is done, and the report
says it was interrupted; the command then exits 128 + the signal's number (130, 143).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(Exception):
    """A signal asked the verification to stop."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(self.name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_code(self) -> int:
        return 128 + self.signum


def _raise(signum: int, frame: FrameType | None) -> None:
    raise Interrupted(signum)


def _active() -> bool:
    return signal.getsignal(signal.SIGTERM) is _raise


@contextmanager
def _handling(handler: Callable[[int, FrameType | None], None]) -> Iterator[dict[signal.Signals, object]]:
    """``handler`` for SIGINT and SIGTERM, the previous handlers back at the end (yielded)."""
    previous: dict[signal.Signals, object] = {s: signal.getsignal(s) for s in SIGNALS}
    for s in SIGNALS:
        signal.signal(s, handler)
    try:
        yield previous
    finally:
        for s, old in previous.items():
            signal.signal(s, old)  # type: ignore[arg-type]


@contextmanager
def interruptible() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` (only in the main thread, and once:
    nested uses keep the outer handlers)."""
    if threading.current_thread() is not threading.main_thread() or _active():
        yield
        return
    with _handling(_raise):
        yield


@contextmanager
def deferred() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM back while cleaning up; the list collects those that came. The
    first of them is raised at the end, when the handlers raise at all."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    came: list[int] = []
    with _handling(lambda signum, frame: came.append(signum)) as previous:
        yield came
    if came and previous[signal.SIGTERM] is _raise:
        raise Interrupted(came[0])
