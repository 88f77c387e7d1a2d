"""`dockerfix verify --before` and `--changed-since` on changes made by hand, built for real: an
equivalent reorder verifies, a reorder that changes the image is reported with the path that
differs, an inert cache mount is reported as not read; and a verification stopped by SIGTERM
or SIGINT leaves nothing of its own behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import Environment

from dockerfix.verify.procedure import VerifyOptions, verify

pytestmark = pytest.mark.e2e

PIP_BEFORE = """\
FROM python:3.11-slim
WORKDIR /app
COPY . .
RUN pip install -r requirements.txt
CMD ["python", "app.py"]
"""
# the reorder people make by hand: the manifest first, a cache mount, the sources last
PIP_AFTER = """\
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
COPY . .
CMD ["python", "app.py"]
"""
GENERATED_BEFORE = """\
FROM debian:bookworm-slim
WORKDIR /app
COPY . .
RUN echo generated > /app/config.txt
"""
# moved above the copy, the RUN's file is now overwritten by the context's config.txt
GENERATED_AFTER = """\
FROM debian:bookworm-slim
WORKDIR /app
RUN echo generated > /app/config.txt
COPY . .
"""


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def _repository(folder: Path, before: dict[str, str], after: dict[str, str]) -> Path:
    """A repository whose `origin/main` holds ``before`` and whose branch commits ``after``."""
    folder.mkdir()
    _git(folder, "init", "-q", "-b", "main")
    _git(folder, "config", "user.email", "dev@example.com")
    _git(folder, "config", "user.name", "Dev")
    for files in (before, after):
        for name, text in files.items():
            (folder / name).write_text(text)
        _git(folder, "add", "-A")
        _git(folder, "commit", "-q", "-m", "change")
        if files is before:
            _git(folder, "update-ref", "refs/remotes/origin/main", "HEAD")
            _git(folder, "checkout", "-q", "-b", "reorder")
    return folder


def _cli(repo: Path, e2e: Environment, *args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "dockerfix", "verify", "--network", e2e.network, "--docker", e2e.docker, *args]
    return subprocess.run(argv, cwd=repo, capture_output=True, text=True, check=False, **kwargs)  # type: ignore[call-overload]


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and ".git" not in p.parts}


def test_before_and_changed_since_in_a_repository_with_two_commits(e2e: Environment, tmp_path: Path) -> None:
    context = {"requirements.txt": "gunicorn==22.0.0\n", "app.py": "print('app')\n", "config.txt": "from the context\n"}
    repo = _repository(
        tmp_path / "repo",
        {**context, "Dockerfile": PIP_BEFORE, "Dockerfile.generated": GENERATED_BEFORE},
        {"Dockerfile": PIP_AFTER, "Dockerfile.generated": GENERATED_AFTER},
    )
    files = _files(repo)

    # one Dockerfile against its version on origin/main: equivalent, and the install stays cached
    proc = _cli(repo, e2e, "--before", "origin/main:Dockerfile", "--format", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["passed"] and report["files_equal"] and report["config_equal"], report
    assert report["before"] == "origin/main:Dockerfile"
    install = next(s for s in report["steps"] if s["tool"] == "pip")
    assert (install["original"], install["rewritten"]) == ("ran", "cached"), report["steps"]
    assert report["cache_read"] is True, report["cache_checks"]

    # the Dockerfiles the branch changed (limited to the second one, which the first run did not
    # build; tests/test_verify_changes.py lists several): it now loses the file its RUN wrote
    summary = tmp_path / "summary.md"
    proc = _cli(repo, e2e, "--changed-since", "origin/main", "--format", "json", "--summary", str(summary), "Dockerfile.generated")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    changes = json.loads(proc.stdout)
    assert [r["dockerfile"] for r in changes["reports"]] == ["Dockerfile.generated"]
    generated = changes["reports"][0]
    assert not generated["passed"] and generated["before"] == "origin/main:Dockerfile.generated"
    assert [d for d in generated["file_differences"] if d.startswith("/app/config.txt:")], generated["file_differences"]
    assert "the images differ in 1 path" in generated["problems"]
    text = summary.read_text()
    assert "/app/config.txt" in text and "| `Dockerfile.generated` | `origin/main:Dockerfile.generated` | **no**" in text
    assert _files(repo) == files, "verify changed the repository"


def test_an_inert_cache_mount_is_reported_as_not_read(e2e: Environment, tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("gunicorn==22.0.0\n")
    (tmp_path / "app.py").write_text("print('app')\n")
    before = PIP_AFTER.replace("--mount=type=cache,target=/root/.cache/pip ", "").replace("install", "install --no-cache-dir")
    (tmp_path / "Dockerfile").write_text(PIP_AFTER.replace("install", "install --no-cache-dir"))
    report = verify(
        VerifyOptions(tmp_path / "Dockerfile", network=e2e.network, docker=e2e.docker, before=before.encode(), before_name="old")
    )
    assert report.error is None, report.error
    assert report.files_equal and report.config_equal, (report.file_differences, report.config_differences)
    assert [c.read for c in report.cache_checks] == [False], report.cache_checks
    assert any("--no-cache-dir" in p and "cache mount" in p for p in report.problems), report.problems
    assert report.exit_code == 1


def _images(docker: str) -> set[str]:
    out = subprocess.run([docker, "images", "--format", "{{.Repository}}:{{.Tag}}"], capture_output=True, text=True, check=True)
    return {line for line in out.stdout.split() if line.startswith("dockerfix-verify-")}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stopped_verify_removes_what_it_made(e2e: Environment, tmp_path: Path, signum: int) -> None:
    (tmp_path / "work").mkdir()
    work = tmp_path / "work"
    (work / "app.py").write_text("print('app')\n")
    slow = "FROM debian:bookworm-slim\nWORKDIR /app\nCOPY . .\nRUN sleep 600\n"
    (work / "before.Dockerfile").write_text(slow)
    (work / "Dockerfile").write_text(slow.replace("COPY . .\nRUN sleep 600\n", "RUN sleep 600\nCOPY . .\n"))
    temp = tmp_path / "tmp"
    temp.mkdir()
    images = _images(e2e.docker)
    log = tmp_path / "stderr"
    argv = [sys.executable, "-m", "dockerfix", "verify", "--before", "before.Dockerfile", "--network", e2e.network,
            "--docker", e2e.docker]  # fmt: skip
    with log.open("w") as err:
        proc = subprocess.Popen(argv, cwd=work, stdout=subprocess.PIPE, stderr=err, text=True, env={**os.environ, "TMPDIR": str(temp)})
        deadline = time.monotonic() + 120
        while "building before, cold" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(5)  # well into the build's `sleep 600`
        assert list(temp.iterdir()), "verify made no temporary folder"
        proc.send_signal(signum)
        out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signum, (out, log.read_text())
    assert f"interrupted by {signal.Signals(signum).name}" in out
    assert "NOT verified" not in out
    assert list(temp.iterdir()) == [], "a temporary folder was left behind"
    assert _images(e2e.docker) == images, "an image was left behind"
