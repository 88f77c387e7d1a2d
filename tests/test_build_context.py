"""A build context on disk answers what a build context in memory answers."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockerfix.context.build_context import DirectoryContext, MemoryContext
from dockerfix.context.dockerignore import DockerIgnore


@pytest.fixture
def contexts(tmp_path: Path) -> tuple[DirectoryContext, MemoryContext]:
    files = {"app/main.py": "print()\n", "requirements.txt": "flask\n", "docs/a/b.md": "x\n"}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return DirectoryContext(tmp_path, DockerIgnore()), MemoryContext(files)


@pytest.mark.parametrize(
    "path",
    ["requirements.txt", "/requirements.txt", "app", "app/", "./app/main.py", "app/../requirements.txt", ".", "",
     "docs/a", "missing", "missing/x", "requirements.txt/x", "../outside", "/../../etc/passwd", "app\0x"],
)  # fmt: skip
def test_directory_context_types(contexts: tuple[DirectoryContext, MemoryContext], path: str) -> None:
    disk, memory = contexts
    answers = (disk.is_file(path), disk.is_dir(path))
    assert answers == (memory.is_file(path), memory.is_dir(path))
    assert answers == (disk.is_file(path), disk.is_dir(path))  # asked again: the same


def test_directory_context_follows_links(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "f").write_text("x")
    os.symlink("real", tmp_path / "linked")
    os.symlink("nowhere", tmp_path / "dangling")
    build = DirectoryContext(tmp_path, DockerIgnore())
    assert build.is_dir("linked") and build.is_file("linked/f") and not build.is_file("linked")
    assert not build.is_file("dangling") and not build.is_dir("dangling")
    assert build.entries("linked") == ["f"]
    assert build.entries("real/f") is None
