"""Paths and folders as a run looks them up: the nearest folder up from a start that has
something, real paths and file modes, each remembered where a run asks again."""

from __future__ import annotations

import errno
import os
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


def posix(path: str) -> str:
    """A path with "/" between its parts, as Path.as_posix writes it."""
    return path if os.sep == "/" else path.replace(os.sep, "/")


def real_path(path: str | os.PathLike[str], seen: dict[str, str]) -> str:
    """``os.path.realpath(path)``, each path and folder resolved once: ``seen`` remembers them,
    so that each of a run's files and folders costs one look, however often asked. Never raises
    for a symbolic link that points to itself (reading the file then says so)."""
    text = os.fspath(path)
    real = seen.get(text)
    if real is None:
        parent, name = os.path.split(text)
        if name in ("", ".", "..") or os.path.islink(text):
            real = os.path.realpath(text)
        else:  # what is not a link is where its folder really is
            real = os.path.join(real_path(parent, seen), name)
        seen[text] = real
    return real


_MISSING = frozenset({errno.ENOENT, errno.ENOTDIR, errno.EBADF, errno.ELOOP})  # as pathlib ignores them


def file_mode(path: str) -> int | None:
    """The type and mode of a path (following links), None where it is not there: as pathlib's
    is_file and is_dir answer False, and raise the other errors as they raise them."""
    try:
        return os.stat(path).st_mode
    except OSError as exc:
        if exc.errno not in _MISSING:
            raise
        return None
    except ValueError:  # a NUL in the path
        return None
