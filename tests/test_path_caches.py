"""What a run remembers per folder (git roots, configuration files, resolved folders) gives the
answers it would get by asking again for each file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockerfix.config import find_config
from dockerfix.context.repository import git_root
from dockerfix.context.sources import RepositoryIndex
from dockerfix.folders import real_path


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "svc" / "api").mkdir(parents=True)
    (tmp_path / "repo" / "svc" / "api" / "Dockerfile").write_text("FROM alpine\n")
    (tmp_path / "repo" / ".dockerfix.toml").write_text("")
    (tmp_path / "repo" / "svc" / "pyproject.toml").write_text("[tool.dockerfix]\n")
    (tmp_path / "repo" / "linked").symlink_to(tmp_path / "repo" / "svc")
    (tmp_path / "repo" / "Dockerfile.link").symlink_to(tmp_path / "repo" / "svc" / "api" / "Dockerfile")
    (tmp_path / "repo" / "Dockerfile.loop").symlink_to("Dockerfile.loop")
    (tmp_path / "outside" / "deep").mkdir(parents=True)
    return tmp_path


def test_git_roots_remembered_per_folder(tree: Path) -> None:
    seen: dict[Path, Path | None] = {}
    folders = [tree / "repo" / "svc" / "api", tree / "repo" / "svc", tree / "repo", tree / "outside" / "deep"]
    for folder in folders + folders:  # the second time from what was remembered
        assert git_root(folder, seen) == git_root(folder)
    assert git_root(tree / "repo" / "svc" / "api", seen) == tree / "repo"
    assert seen[tree / "repo" / "svc"] == tree / "repo"


def test_configuration_files_remembered_per_folder(tree: Path) -> None:
    seen: dict[Path, Path | None] = {}
    for folder in [tree / "repo" / "svc" / "api", tree / "repo", tree / "repo" / "svc", tree / "outside" / "deep"] * 2:
        assert find_config(folder, seen) == find_config(folder)
    assert find_config(tree / "repo" / "svc" / "api", seen) == tree / "repo" / "svc" / "pyproject.toml"


def test_resolved_paths_as_realpath_gives_them(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = RepositoryIndex(tree / "repo")
    monkeypatch.chdir(tree / "repo" / "svc")
    paths = [
        tree / "repo" / "svc" / "api" / "Dockerfile", tree / "repo" / "linked" / "api" / "Dockerfile",
        tree / "repo" / "Dockerfile.link", Path("api/Dockerfile"), Path("../linked/api/Dockerfile"),
        Path("../linked/../svc/api/Dockerfile"), Path("Dockerfile"), Path("../Dockerfile.loop"),
    ]  # fmt: skip
    shared: dict[str, str] = {}
    for path in paths + paths:
        assert index._realpath(path) == os.path.realpath(path), path
        assert real_path(path, shared) == os.path.realpath(path), path
