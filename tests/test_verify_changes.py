"""`dockerfix verify --before` and `--changed-since` without a Docker engine: reading the old
version from a file or from git, finding the Dockerfiles a branch changed, the reports for
pull requests, and stopping cleanly on SIGTERM and SIGINT (with a docker client that only
pretends to build)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dockerfix.verify.changes import ChangeError, changed_dockerfiles, file_settings, read_at, read_before
from dockerfix.settings import Settings
from dockerfix.verify.report import CacheCheck, VerifyReport, render
from dockerfix.verify.summary import github, markdown

OLD = "FROM debian:bookworm-slim\nCOPY . .\nRUN echo one\n"
NEW = "FROM debian:bookworm-slim\nRUN echo one\nCOPY . .\n"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _commit(repo: Path, files: dict[str, str | None]) -> None:
    for name, text in files.items():
        path = repo / name
        if text is None:
            path.unlink()
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "change")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """main: Dockerfile, svc/Dockerfile, old.Dockerfile; branch `work`: all three changed (the
    third renamed), one added, a README changed; main then moves on."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "dev@example.com")
    _git(repo, "config", "user.name", "Dev")
    _commit(repo, {"Dockerfile": OLD, "svc/Dockerfile": OLD, "old.Dockerfile": OLD + "RUN echo renamed\n", "README": "x\n"})
    _git(repo, "checkout", "-q", "-b", "work")
    _commit(repo, {"Dockerfile": NEW, "svc/Dockerfile": NEW, "old.Dockerfile": None,
                   "new.Dockerfile": OLD + "RUN echo renamed\nRUN true\n", "added/Dockerfile": OLD, "README": "y\n"})  # fmt: skip
    _git(repo, "checkout", "-q", "main")
    _commit(repo, {"Dockerfile": OLD + "RUN echo later\n"})  # main moves on after the branch
    _git(repo, "checkout", "-q", "work")
    return repo


def test_read_before_from_a_file_and_from_git(repo: Path) -> None:
    assert read_before("main:svc/Dockerfile", repo) == OLD.encode()
    assert read_before("svc/Dockerfile", repo) == NEW.encode()  # a file wins
    assert read_before("main:./Dockerfile", repo / "svc") == OLD.encode()  # ./: from the current folder
    with pytest.raises(ChangeError, match="main:nowhere"):
        read_before("main:nowhere", repo)
    with pytest.raises(ChangeError, match="neither a file nor REV:path"):
        read_before("missing.Dockerfile", repo)


def test_changed_dockerfiles_since_the_merge_base(repo: Path) -> None:
    changes = changed_dockerfiles("main", repo)
    found = {c.path.relative_to(repo).as_posix(): (c.status, c.old) for c in changes.changed}
    assert found == {
        "Dockerfile": ("M", "Dockerfile"),
        "svc/Dockerfile": ("M", "svc/Dockerfile"),
        "new.Dockerfile": ("R", "old.Dockerfile"),
        "added/Dockerfile": ("A", "added/Dockerfile"),
    }
    # main moved on: the base is where the branch left it, named by its hash
    assert changes.base == _git(repo, "merge-base", "main", "HEAD").strip() and changes.label == changes.base[:12]
    top = next(c for c in changes.changed if c.old == "Dockerfile")
    assert read_at(changes, top) == OLD.encode()  # not main's later version
    # a folder or a file limits the search; work tree changes count
    (repo / "svc" / "Dockerfile").write_text(NEW + "RUN echo uncommitted\n")
    assert [c.path.name for c in changed_dockerfiles("main", repo / "svc").changed] == ["Dockerfile"]
    assert [c.old for c in changed_dockerfiles("work~1", repo / "svc" / "Dockerfile").changed] == ["svc/Dockerfile"]
    with pytest.raises(ChangeError, match="not a revision"):
        changed_dockerfiles("no-such-branch", repo)


def test_the_build_context_is_found_as_for_the_rest_of_dockerfix(repo: Path) -> None:
    (repo / "compose.yaml").write_text("services:\n  svc:\n    build:\n      context: .\n      dockerfile: svc/Dockerfile\n")
    settings, folder, notes = file_settings(repo / "svc" / "Dockerfile", Settings())
    assert folder == repo and notes and "compose.yaml line 4" in notes[0]
    _, folder, notes = file_settings(repo / "Dockerfile", Settings())
    assert folder == repo and notes == []  # nothing names it: its folder
    given = repo / "svc"
    assert file_settings(repo / "Dockerfile", Settings(context=given))[1] == given


def _dockerfix(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "dockerfix", "verify", *args], cwd=cwd, capture_output=True, text=True, check=False, env=env
    )


def test_cli_before_the_same_file_has_nothing_to_verify(repo: Path) -> None:
    proc = _dockerfix(repo, "--before", "work:Dockerfile", "--docker", "/nonexistent/docker")
    assert proc.returncode == 0, proc.stderr
    assert "the file is the same as work:Dockerfile: nothing to verify" in proc.stdout
    proc = _dockerfix(repo, "--before", "nowhere:Dockerfile")
    assert proc.returncode == 2 and "nowhere:Dockerfile" in proc.stderr
    proc = _dockerfix(repo, "--before", "main:Dockerfile", "--changed-since", "main")
    assert proc.returncode == 2 and "not both" in proc.stderr


def test_cli_changed_since_without_docker_says_so_for_each_file(repo: Path, tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    env = {**os.environ, "DOCKERFIX_DOCKER": str(tmp_path / "no-docker")}
    proc = _dockerfix(repo, "--changed-since", "main", "--format", "json", "--summary", str(summary), env=env)
    assert proc.returncode == 2, proc.stderr
    data = json.loads(proc.stdout)
    assert data["since"] == "main" and data["added"] == ["added/Dockerfile"] and data["exit_code"] == 2
    assert sorted(r["dockerfile"] for r in data["reports"]) == ["Dockerfile", "new.Dockerfile", "svc/Dockerfile"]
    renamed = next(r for r in data["reports"] if r["dockerfile"] == "new.Dockerfile")
    assert renamed["before"].endswith(":old.Dockerfile") and "no-docker" in renamed["error"]
    assert "| `svc/Dockerfile` |" in summary.read_text() and "`added/Dockerfile` is new" in summary.read_text()
    proc = _dockerfix(repo, "--changed-since", "main", env=env)
    assert "Dockerfiles changed since main: 3 cannot verify" in proc.stdout
    proc = _dockerfix(repo, "--changed-since", "work", env=env)
    assert proc.returncode == 0 and "none to verify" in proc.stdout


def _report(**fields: object) -> VerifyReport:
    report = VerifyReport("svc/Dockerfile", "svc", before="origin/main:svc/Dockerfile", changed=True)
    report.files_equal, report.config_equal = True, True
    report.edited_file = "app.py"
    report.rerun = {"before": ["[3/4] COPY . .", "[4/4] RUN pip install -r requirements.txt"], "after": ["[4/4] COPY . ."]}
    for name, value in fields.items():
        setattr(report, name, value)
    return report


def test_reports_of_a_change_name_the_two_versions() -> None:
    text = render(_report())
    assert text.startswith("dockerfix verify svc/Dockerfile against origin/main:svc/Dockerfile (context svc)")
    assert "before     re-ran 2 of 0 steps" in text and "result: verified" in text
    assert github([_report()]) == (
        "::notice file=svc/Dockerfile,title=dockerfix verify against origin/main%3Asvc/Dockerfile::same files and "
        "configuration; after editing app.py, 1 steps ran again (before: 2)\n"
    )
    failed = _report(
        files_equal=False, file_differences=["/app/config.txt: content"], cache_checks=[CacheCheck(4, "pip", None, False)],
        problems=["the images differ in 1 path", "line 4: pip downloaded again instead of reading its cache mount (pip runs with --no-cache-dir)"],
    )  # fmt: skip
    lines = github([failed]).splitlines()
    assert lines[0].endswith("::the images differ in 1 path:%0A/app/config.txt: content")
    assert lines[1].startswith("::error file=svc/Dockerfile,line=4,") and lines[1].endswith("(pip runs with --no-cache-dir)")
    md = markdown([_report(), failed], added=["new/Dockerfile"])
    assert "| `svc/Dockerfile` | `origin/main:svc/Dockerfile` | yes | yes | 2 → 1 | – | ✅ verified |" in md
    assert "| **no** | yes | 2 → 1 | pip (line 4) **not read** | ❌ not verified |" in md
    assert "  - `/app/config.txt: content`" in md and "- line 4: pip downloaded again" in md
    assert "- `new/Dockerfile` is new" in md


def test_interrupted_reports_exit_128_plus_the_signal() -> None:
    for name, code in (("SIGINT", 130), ("SIGTERM", 143)):
        report = VerifyReport("Dockerfile", ".", interrupted=name)
        assert report.exit_code == code and not report.passed
        assert f"interrupted by {name}" in render(report) and "NOT verified" not in render(report)
        assert github([report]).startswith("::warning file=Dockerfile,")


def _sleeping_docker(folder: Path) -> Path:
    """A docker client whose builds never end; it records its calls."""
    script = folder / "docker"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{folder}/calls"\n'
        'if [ "$1" = version ]; then echo "20.10.24 20.10.24"; exit 0; fi\n'
        'if [ "$1 $2" = "buildx version" ]; then exit 1; fi\n'
        'if [ "$1" = build ]; then echo "#1 [1/3] FROM x"; exec sleep 587; fi\n'
        "exit 0\n"
    )
    script.chmod(0o755)
    return script


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_build_and_removes_what_verify_made(tmp_path: Path, signum: int) -> None:
    docker = _sleeping_docker(tmp_path)
    work = tmp_path / "work"
    work.mkdir()
    (work / "old.Dockerfile").write_text(OLD)
    (work / "Dockerfile").write_text(NEW)
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp)}
    argv = [sys.executable, "-m", "dockerfix", "verify", "--before", "old.Dockerfile", "--docker", str(docker)]
    proc = subprocess.Popen(argv, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    calls = tmp_path / "calls"
    deadline = time.monotonic() + 60
    while not (calls.exists() and "build " in calls.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(0.5)
    proc.send_signal(signum)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signum, err
    assert f"interrupted by {signal.Signals(signum).name}" in out and "NOT verified" not in out
    assert list(temp.iterdir()) == [], "the temporary folder was left behind"
    removed = [line for line in calls.read_text().splitlines() if line.startswith("image rm -f dockerfix-verify-")]
    assert removed and removed[0].endswith(":before"), calls.read_text()
    assert "sleep 587" not in subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def test_a_change_that_drops_a_cache_mount_is_a_problem(tmp_path: Path) -> None:
    mounted = "FROM python:3.12\nCOPY requirements.txt .\nRUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"
    (tmp_path / "old.Dockerfile").write_text(mounted)
    (tmp_path / "Dockerfile").write_text(mounted.replace("--mount=type=cache,target=/root/.cache/pip ", ""))
    (tmp_path / "requirements.txt").write_text("flask\n")
    env = {**os.environ, "DOCKERFIX_DOCKER": str(tmp_path / "no-docker")}
    proc = _dockerfix(tmp_path, "--before", "old.Dockerfile", "--format", "json", env=env)
    data = json.loads(proc.stdout)
    assert data["problems"] == ["the new Dockerfile no longer mounts a cache at /root/.cache/pip"]
    assert proc.returncode == 2 and data["error"]  # and without an engine it cannot build


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("RUN pip install --no-cache-dir flask\n", "pip runs with --no-cache-dir"),
        ("RUN env PIP_NO_CACHE_DIR=1 pip install flask\n", "pip runs with PIP_NO_CACHE_DIR set"),
        ("ENV PIP_NO_CACHE_DIR=1\nRUN pip install flask\n", "the stage sets PIP_NO_CACHE_DIR"),
        ("ENV PIP_NO_CACHE_DIR=1\nRUN env -u PIP_NO_CACHE_DIR pip install flask\n", None),
    ],
)
def test_why_pip_cannot_read_its_cache_mount(text: str, reason: str | None) -> None:
    from dockerfix.document.parse import parse_text
    from dockerfix.verify.procedure import cache_disabled

    doc = parse_text("FROM debian:bookworm-slim\n" + text)
    assert cache_disabled(doc, doc.instructions[-1]) == reason
