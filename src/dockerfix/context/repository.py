"""A Dockerfile's repository: its root folder, and the files git lists there.

Listing a repository runs `git ls-files`, which takes a good part of a short run's time. A run
starts it with :func:`start_listing` as soon as it knows its paths, before it loads the rules,
so that git works on another core while Python imports; :class:`Listing` collects the result
when the build contexts are first looked up.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dockerfix.folders import nearest

_GIT = ("ls-files", "-z", "--cached", "--others", "--exclude-standard")
_TIMEOUT = 20  # seconds


def repository_root(dockerfile: Path, config_root: Path | None, seen: dict[Path, Path | None] | None = None) -> Path:
    """The nearest folder above the Dockerfile that holds `.git`, else the configuration's
    folder, else the Dockerfile's folder. ``seen``: as for :func:`git_root`."""
    folder = Path(os.path.abspath(dockerfile)).parent
    found = git_root(folder, seen)
    if found is not None:
        return found
    return Path(os.path.abspath(config_root)) if config_root is not None else folder


def git_root(folder: Path, seen: dict[Path, Path | None] | None = None) -> Path | None:
    """The nearest folder from ``folder`` up that holds `.git`; None if there is none.
    ``seen`` remembers the answer for every folder on the way (the files of one tree share them)."""
    return nearest(folder, lambda f: f if os.path.exists(os.path.join(f, ".git")) else None, seen)


class Listing:
    """`git ls-files` of one work tree, running in the background until :meth:`files` is asked."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._process: subprocess.Popen[bytes] | None = None
        if not (root / ".git").exists():
            return
        try:
            self._process = subprocess.Popen(
                ["git", "-C", str(root), *_GIT], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        except OSError:
            self._process = None

    def files(self) -> list[str] | None:
        """The files of the work tree that git does not ignore (tracked or not), relative to
        the root; None where git cannot say. One `git ls-files` is much faster than a walk of a
        large repository, and leaves out the build output and caches that git ignores."""
        process, self._process = self._process, None
        if process is None:
            return None
        try:
            out, _ = process.communicate(timeout=_TIMEOUT)
        except subprocess.SubprocessError:
            process.kill()
            process.communicate()
            return None
        if process.returncode != 0:
            return None
        return [p for p in out.decode("utf-8", "surrogateescape").split("\0") if p]

    def close(self) -> None:
        """Stop git if its result was never asked for."""
        process, self._process = self._process, None
        if process is not None:
            process.kill()
            process.communicate()


def start_listing(paths: list[str]) -> dict[Path, Listing]:
    """A listing started for the repository of each path (a Dockerfile or a folder) that is in
    a git work tree."""
    started: dict[Path, Listing] = {}
    for item in paths:
        path = Path(item)
        folder = path if path.is_dir() else path.parent
        root = git_root(Path(os.path.abspath(folder)))
        if root is not None and root not in started:
            started[root] = Listing(root)
    return started
