"""The pre-commit hooks, run by pre-commit itself on a temporary repository."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def hooks_rev() -> str:
    """The commit pre-commit installs the hooks from: this checkout's HEAD (uncommitted changes
    are not part of it)."""
    if not (ROOT / ".git").exists():
        pytest.skip("the project is not a git checkout, so pre-commit cannot install its hooks from it")
    return _git(ROOT, "rev-parse", "HEAD")


def _repo(tmp_path: Path, hook: str, rev: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir(parents=True)
    _git(repo, "init", "-q")
    (repo / "Dockerfile").write_text(DOCKERFILE)
    (repo / "requirements.txt").write_text("flask\n")
    (repo / "README.md").write_text("not a Dockerfile\n")
    (repo / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {ROOT}\n    rev: {rev}\n    hooks:\n      - id: {hook}\n"
    )
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "start")
    return repo


def _pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PRE_COMMIT_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repo, env=env, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip


def test_check_hook_reports_and_fix_hook_rewrites(tmp_path: Path, hooks_rev: str) -> None:
    home = tmp_path / "pre-commit-home"
    check = _repo(tmp_path / "check", "dockerfix-check", hooks_rev)
    proc = _pre_commit(check, home)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "DFX101" in proc.stdout and "would rewrite Dockerfile" in proc.stdout
    assert (check / "Dockerfile").read_text() == DOCKERFILE

    fix = _repo(tmp_path / "fix", "dockerfix", hooks_rev)
    proc = _pre_commit(fix, home)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # files were modified
    assert "rewrote Dockerfile" in proc.stdout
    text = (fix / "Dockerfile").read_text()
    assert text.index("COPY requirements.txt ./") < text.index("pip install") < text.index("COPY . .")
    again = _pre_commit(fix, home)
    assert again.returncode == 0, again.stdout + again.stderr
