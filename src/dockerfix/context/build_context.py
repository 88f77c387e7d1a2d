"""What the build can see: the files of the build context, filtered by .dockerignore.

Rules read the context only through this interface; tests build one from a dict.
"""

from __future__ import annotations

import os
import posixpath
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from dockerfix.context.dockerignore import DockerIgnore, load_dockerignore
from dockerfix.folders import file_mode


class BuildContext(Protocol):
    def is_file(self, path: str) -> bool: ...
    def is_dir(self, path: str) -> bool: ...
    def read_text(self, path: str) -> str | None: ...
    def is_ignored(self, path: str) -> bool: ...
    def entries(self, path: str) -> list[str] | None: ...


def clean(path: str) -> str | None:
    """A context-relative path in canonical form, or None if it leaves the context."""
    p = posixpath.normpath(path.lstrip("/")) if path else "."
    if p == ".." or p.startswith("../"):
        return None
    return p


class DirectoryContext:
    """A build context on disk."""

    def __init__(self, root: Path, ignore: DockerIgnore) -> None:
        self.root = root
        self.ignore = ignore
        self._entries: dict[str, list[str] | None] = {}
        self._modes: dict[str, int | None] = {}  # clean path -> its st_mode, None: not there

    @classmethod
    def load(cls, root: Path, dockerfile: Path | None) -> DirectoryContext:
        return cls(root, load_dockerignore(root, dockerfile))

    def _path(self, path: str) -> Path | None:
        p = clean(path)
        return None if p is None else self.root / p

    def _mode(self, path: str) -> int | None:
        """The file type and mode of a path (following links), looked up once per path: the
        rules of each pass ask about the same files. None where it is not there (as pathlib's
        is_file and is_dir answer False; other errors are raised as they raise them)."""
        p = clean(path)
        if p is None:
            return None
        if p not in self._modes:
            self._modes[p] = file_mode(os.path.join(self.root, p))
        return self._modes[p]

    def is_file(self, path: str) -> bool:
        mode = self._mode(path)
        return mode is not None and stat.S_ISREG(mode)

    def is_dir(self, path: str) -> bool:
        mode = self._mode(path)
        return mode is not None and stat.S_ISDIR(mode)

    def read_text(self, path: str) -> str | None:
        p = self._path(path)
        if p is None:
            return None
        try:
            return p.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            return None

    def is_ignored(self, path: str) -> bool:
        p = clean(path)
        return p is None or self.ignore.is_ignored(p)

    def entries(self, path: str) -> list[str] | None:
        if path not in self._entries:
            p = self._path(path)
            try:
                self._entries[path] = sorted(e.name for e in p.iterdir()) if p is not None and self.is_dir(path) else None
            except OSError:
                self._entries[path] = None
        return self._entries[path]


class MemoryContext:
    """A build context from a mapping of relative paths to file contents (for tests)."""

    def __init__(self, files: Mapping[str, str], dockerignore: str = "") -> None:
        self.files = {clean(k) or k: v for k, v in files.items()}
        self.ignore = DockerIgnore.parse(dockerignore or files.get(".dockerignore", ""))

    def is_file(self, path: str) -> bool:
        p = clean(path)
        return p in self.files

    def is_dir(self, path: str) -> bool:
        p = clean(path)
        return p is not None and (p == "." or any(k.startswith(p + "/") for k in self.files))

    def read_text(self, path: str) -> str | None:
        p = clean(path)
        return None if p is None else self.files.get(p)

    def is_ignored(self, path: str) -> bool:
        p = clean(path)
        return p is None or self.ignore.is_ignored(p)

    def entries(self, path: str) -> list[str] | None:
        p = clean(path)
        if p is None or not self.is_dir(p):
            return None
        prefix = "" if p == "." else p + "/"
        return sorted({k[len(prefix) :].split("/")[0] for k in self.files if k.startswith(prefix)})


class FolderContext:
    """The view of one folder of a build context that a `COPY folder dest` copies: paths are
    relative to the folder, .dockerignore is matched against the full path."""

    def __init__(self, build: BuildContext, folder: str) -> None:
        self.build = build
        self.folder = folder

    def full(self, path: str) -> str:
        return posixpath.normpath(posixpath.join(self.folder, path.lstrip("/")))

    def is_file(self, path: str) -> bool:
        return self.build.is_file(self.full(path))

    def is_dir(self, path: str) -> bool:
        return self.build.is_dir(self.full(path))

    def read_text(self, path: str) -> str | None:
        return self.build.read_text(self.full(path))

    def is_ignored(self, path: str) -> bool:
        return self.build.is_ignored(self.full(path))

    def entries(self, path: str) -> list[str] | None:
        return self.build.entries(self.full(path))
