"""Which files are Dockerfiles, and which folders are never searched."""

from __future__ import annotations

import fnmatch
import os
import re
import subprocess
from pathlib import Path

SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}
)  # fmt: skip
_PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*", "Containerfile.*")
_NOT_DOCKERFILES = (".dockerignore", ".md", ".txt", ".orig", ".rej", ".bak", ".swp", ".dockerfix")


_DOCKERFILE_NAME = re.compile("|".join(fnmatch.translate(p) for p in _PATTERNS))  # one test for every name of a tree


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(_NOT_DOCKERFILES):
        return False
    return _DOCKERFILE_NAME.match(name) is not None


def _git_ignored(root: Path, candidates: list[Path]) -> set[Path]:
    """The candidates git ignores, if root is in a git work tree (else none)."""
    if not candidates:
        return set()
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-z", "--stdin"],
            input=b"\0".join(str(p.relative_to(root)).encode() for p in candidates) + b"\0",
            capture_output=True,
            timeout=20,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return set()
    if proc.returncode not in (0, 1):
        return set()
    return {root / p.decode() for p in proc.stdout.split(b"\0") if p}


_WORKFLOW_SUFFIXES = (".yml", ".yaml")


def is_workflow_file(folder: str | Path, name: str) -> bool:
    """A GitHub Actions workflow: `.github/workflows/*.yml` or `*.yaml`."""
    if not name.endswith(_WORKFLOW_SUFFIXES):
        return False  # the quick answer for every other file: no path object made
    parent = Path(folder)
    return parent.name == "workflows" and parent.parent.name == ".github"


def is_workflow_path(path: Path) -> bool:
    if not path.name.endswith(_WORKFLOW_SUFFIXES):
        return False  # the quick answer for every Dockerfile: its absolute path is not worked out
    full = Path(os.path.abspath(path))
    return is_workflow_file(full.parent, full.name)


def find_dockerfiles(path: Path, workflows: bool = False) -> tuple[list[Path], list[str]]:
    """Files named on the command line are taken as they are; folders are searched (with
    ``workflows``, for GitHub workflow files too)."""
    if not path.exists():
        if os.path.islink(path):  # a link to nothing or to itself: reading it says which
            return [path], []
        return [], [f"{path}: no such file or directory"]
    if not path.is_dir():
        return [path], []
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = sorted(
            d for d in dirnames if d not in SKIPPED_DIRS and not os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg"))
        )
        for f in sorted(filenames):
            if is_dockerfile_name(f) or (workflows and is_workflow_file(dirpath, f)):
                found.append(Path(dirpath, f))  # path objects only for the files found
    if found and _inside_git(path):
        # a folder named on the command line is searched even if git ignores it as a whole;
        # only what git ignores below it is skipped
        ignored = _git_ignored(path, [*found, path / ".dockerfix-probe"])
        if path / ".dockerfix-probe" not in ignored:
            found = [f for f in found if f not in ignored]
    return found, []


def _inside_git(path: Path) -> bool:
    for parent in (path.resolve(), *path.resolve().parents):
        if (parent / ".git").exists():
            return True
    return False
