"""The nearest folder up from a start that has something, remembered for the folders walked."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def nearest(start: Path, has: Callable[[Path], T | None], seen: dict[Path, T | None] | None = None) -> T | None:
    """``has(folder)`` for the first folder from ``start`` up where it is not None; None if no
    folder has it. ``seen`` remembers the answer for every folder on the way, so that the files
    of one tree walk each folder once."""
    seen = {} if seen is None else seen
    walked: list[Path] = []
    found: T | None = None
    folder = start
    while True:
        if folder in seen:
            found = seen[folder]
            break
        walked.append(folder)
        found = has(folder)
        if found is not None or folder.parent == folder:
            break
        folder = folder.parent
    for each in walked:
        seen[each] = found
    return found
