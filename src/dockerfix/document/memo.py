"""Values derived from an immutable object, computed once per object: several rules read the
same command of the same RUN (pip's options, the packages it names), and each pass of the
engine reads the RUNs its edits did not touch again."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")

_REMEMBERED: list[dict[int, tuple[Any, Any]]] = []  # what each per_object function remembers


def per_object(fn: Callable[[K], V], size: int = 4096) -> Callable[[K], V]:
    """``fn`` remembered by the identity of its argument, which must not change (a frozen
    Command). The argument is held while it is remembered, so its id cannot name another
    object; past ``size`` objects everything is forgotten, and ``forget`` forgets some."""
    seen: dict[int, tuple[Any, V]] = {}
    _REMEMBERED.append(seen)

    @functools.wraps(fn)
    def cached(key: K) -> V:
        hit = seen.get(id(key))
        if hit is not None and hit[0] is key:
            return hit[1]
        value = fn(key)
        if len(seen) >= size:
            seen.clear()
        seen[id(key)] = (key, value)
        return value

    return cached


def forget(keys: Iterable[object]) -> None:
    """Let go of what every per_object function remembers of these objects (and of them)."""
    for key in keys:
        for seen in _REMEMBERED:
            hit = seen.get(id(key))
            if hit is not None and hit[0] is key:
                del seen[id(key)]
