"""Where a repository says which build context each Dockerfile is built with: compose files,
bake files, GitHub workflows, devcontainer.json and Makefiles.

A repository is scanned once (`RepositoryIndex`); only files with those names are read, by the
readers of context/readers.py, imported only when a repository has such a file. Each
reference says which Dockerfile (a path, or a pattern when part of it is a variable) is built
with which context (a folder, or unknown and why) and the file and line that say so. A file
outside what the readers understand makes every Dockerfile of the repository unknown when it
could name one: a guess could plan a split against the wrong tree.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
import re
from pathlib import Path

from dockerfix.context.repository import Listing
from dockerfix.discovery import SKIPPED_DIRS
from dockerfix.folders import posix, real_path
from dockerfix.records import frozen

_COMPOSE = ("compose.yaml", "compose.yml", "compose.*.yaml", "compose.*.yml", "docker-compose*.yml", "docker-compose*.yaml")
_BAKE = ("docker-bake*.hcl", "docker-bake*.json")
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile", "*.mk")
# one test of a file name before any Path is made: the walk sees every file of the repository
_NAMES = re.compile(
    "|".join(fnmatch.translate(p) for p in (*_COMPOSE, *_BAKE, *_MAKEFILES, "devcontainer.json", ".devcontainer.json"))
)


@frozen
class Origin:
    path: Path  # the file that says it
    line: int  # 1-based

    def name(self, root: Path) -> str:
        """The file, relative to the repository root."""
        try:
            return self.path.relative_to(root).as_posix()
        except ValueError:
            return self.path.as_posix()


@frozen
class Reference:
    """A build of ``dockerfile`` (exact), or of any Dockerfile matching ``pattern``, with
    ``context`` (None: not known, ``unknown`` says why)."""

    origin: Origin
    dockerfile: str | None  # absolute, POSIX
    pattern: str | None
    context: str | None
    unknown: str | None = None

    def matches(self, dockerfile: str) -> bool | None:
        """True: this builds it; None: it may (a pattern); False: it does not."""
        if self.dockerfile is not None:
            return self.dockerfile == dockerfile
        if self.pattern is not None and pattern_matches(self.pattern, dockerfile):
            return None
        return False


def pattern_matches(pattern: str, path: str) -> bool:
    """Whether ``path`` may be what ``pattern`` (with `*` for what is not known) names. A segment
    that is only a variable may stand for any number of folders, so only what follows the last
    variable must match."""
    segments = pattern.split("/")
    last = max((k for k, s in enumerate(segments) if "*" in s), default=-1)
    if last < 0:
        return posixpath.normpath(pattern) == path
    tail = [s for s in segments[last + 1 :] if s not in ("", ".")]
    parts = path.split("/")
    if len(parts) < len(tail) + 1 or (tail and parts[-len(tail) :] != tail):
        return False
    return segments[last] == "*" or fnmatch.fnmatchcase(parts[-len(tail) - 1], segments[last])


def _kind(path: Path, root: Path) -> str | None:
    name = path.name
    if any(fnmatch.fnmatchcase(name, p) for p in _COMPOSE):
        return "compose"
    if any(fnmatch.fnmatchcase(name, p) for p in _BAKE):
        return "bake-json" if name.endswith(".json") else "bake-hcl"
    if path.parent == root / ".github" / "workflows" and path.suffix in (".yml", ".yaml"):
        return "workflow"
    if name == ".devcontainer.json" or (
        name == "devcontainer.json" and ".devcontainer" in (path.parent.name, path.parent.parent.name)
    ):
        return "devcontainer"
    if any(fnmatch.fnmatchcase(name, p) for p in _MAKEFILES):
        return "makefile"
    return None


def candidate_files(root: Path, listing: Listing | None = None) -> list[tuple[Path, str]]:
    """The files of the repository at ``root`` that may name build contexts, with their kind;
    ``listing``: git's list of its files, when it was started before."""
    listed = (listing or Listing(root)).files()
    if listed is not None:
        found: list[tuple[Path, str]] = []
        venvs = tuple(rel[: -len("pyvenv.cfg")] for rel in listed if rel.endswith("/pyvenv.cfg"))
        for rel in sorted(listed):
            folder, _, name = rel.rpartition("/")
            if not (_NAMES.match(name) or folder == ".github/workflows"):
                continue
            if any(part in SKIPPED_DIRS for part in folder.split("/")) or rel.startswith(venvs):
                continue
            path = root / rel
            kind = _kind(path, root)
            if kind is not None:
                found.append((path, kind))
        return found
    return _walked_candidates(root)


def _walked_candidates(root: Path) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    workflows = os.path.join(root, ".github", "workflows")
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg"))
        )
        in_workflows = dirpath == workflows
        for name in sorted(filenames):
            if not (_NAMES.match(name) or in_workflows):
                continue
            path = Path(dirpath, name)
            kind = _kind(path, root)
            if kind is not None:
                found.append((path, kind))
    return found


class RepositoryIndex:
    """Every reference in one repository, read once."""

    def __init__(self, root: Path, listing: Listing | None = None, real_paths: dict[str, str] | None = None) -> None:
        self.root = root
        self.references: list[Reference] = []
        self._real_paths = {} if real_paths is None else real_paths
        found = candidate_files(root, listing)
        if found:  # the readers are imported only for a repository that has such files
            from dockerfix.context.readers import read_references

            for path, kind in found:
                self.references.extend(read_references(path, kind, root))
        # by the Dockerfile they name, so that each Dockerfile of a large repository is not
        # compared with every reference: exact paths by path, patterns in a list
        self._exact: dict[str, list[int]] = {}
        self._patterns: list[int] = []
        for at, ref in enumerate(self.references):
            if ref.dockerfile is not None:
                self._exact.setdefault(ref.dockerfile, []).append(at)
            elif ref.pattern is not None:
                self._patterns.append(at)

    def _realpath(self, path: Path) -> str:
        """``os.path.realpath(path)``, each path and folder resolved once in the run."""
        return real_path(path, self._real_paths)

    def for_dockerfile(self, dockerfile: Path) -> list[tuple[Reference, bool]]:
        """The references that build ``dockerfile`` (True) or may (False), in their order."""
        names = (posix(os.path.abspath(dockerfile)), posix(self._realpath(dockerfile)))
        hits: dict[int, bool] = {}
        for name in names:
            hits.update((at, True) for at in self._exact.get(name, ()))
        for at in self._patterns:
            if any(self.references[at].matches(name) is None for name in names):
                hits[at] = False
        return [(self.references[at], hits[at]) for at in sorted(hits)]


class ContextDiscovery:
    """The repositories of one run, each scanned once. ``listings``: git's lists of files,
    started before (context/repository.py); those never used are stopped by :meth:`close`."""

    def __init__(self, listings: dict[Path, Listing] | None = None) -> None:
        self._indexes: dict[Path, RepositoryIndex] = {}
        self._listings = dict(listings or {})
        self.roots: dict[Path, Path | None] = {}  # folder -> its git root (repository.git_root)
        self.real_paths: dict[str, str] = {}  # path -> its real path (folders.real_path)

    def index(self, root: Path) -> RepositoryIndex:
        if root not in self._indexes:
            self._indexes[root] = RepositoryIndex(root, self._listings.pop(root, None), self.real_paths)
        return self._indexes[root]

    def close(self) -> None:
        for listing in self._listings.values():
            listing.close()
        self._listings.clear()
