"""`dockerfix pr`: real git (a bare repository as the remote) and a fake GitHub pulls API."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import TOKEN, FakeGitHub
from test_cli import run_main

from dockerfix.bot.forge import Forge, ForgeError
from dockerfix.bot.git import owner_and_repo
from dockerfix.bot.pr import PrOptions, open_pull_request

DOCKERFILE = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-c", "user.name=Dev", "-c", "user.email=dev@example.com", *args],
        cwd=cwd, check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip


@pytest.fixture
def forge() -> Iterator[FakeGitHub]:
    fake = FakeGitHub().start()
    yield fake
    fake.stop()


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bare remote with main holding a Dockerfile, and a clone of it."""
    remote = tmp_path / "remote.git"
    subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(remote)], check=True)
    seed = tmp_path / "seed"
    subprocess.run(["git", "clone", "-q", str(remote), str(seed)], check=True, capture_output=True)
    (seed / "Dockerfile").write_text(DOCKERFILE)
    (seed / "requirements.txt").write_text("flask\n")
    (seed / "app.py").write_text("print('hi')\n")
    git(seed, "checkout", "-q", "-b", "main")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "start")
    git(seed, "push", "-q", "origin", "main")
    work = tmp_path / "work"
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True, capture_output=True)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("DOCKERFIX_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    return work


def _pr(capsysbinary: pytest.CaptureFixture[bytes], forge: FakeGitHub, checkout: Path, *extra: str):  # type: ignore[no-untyped-def]
    return run_main(capsysbinary, "pr", str(checkout), "--repo", "acme/service", "--api-url", forge.url, *extra)


def _push_change(checkout: Path) -> None:
    seed = checkout.parent / "seed"
    (seed / "worker").mkdir(exist_ok=True)
    (seed / "worker" / "Dockerfile").write_text("FROM python:3.12\nRUN pip install --no-cache-dir celery\n")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "a worker")
    git(seed, "push", "-q", "origin", "main")


def test_dry_run_prints_branch_commit_diff_and_body_and_pushes_nothing(
    checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    r = _pr(capsysbinary, forge, checkout, "--dry-run")
    assert r.code == 0, r.err
    assert "branch: dockerfix/build-cache (from main)" in r.out
    assert "Make Docker builds reuse their cache" in r.out
    assert "+COPY requirements.txt ./" in r.out
    assert "### DFX101 `copy-all-before-install`" in r.out and "What to check" in r.out
    assert forge.requests == []
    assert git(checkout, "ls-remote", "origin", "dockerfix/build-cache") == ""
    assert TOKEN not in r.out + r.err


def test_open_update_and_leave_alone(checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    first = _pr(capsysbinary, forge, checkout)
    assert first.code == 0, first.err
    assert "opened pull request #1" in first.out
    [created] = [q for q in forge.requests if q.method == "POST"]
    assert created.path == "/repos/acme/service/pulls"
    assert created.body["head"] == "dockerfix/build-cache" and created.body["base"] == "main"
    assert created.headers["authorization"] == f"Bearer {TOKEN}"
    assert created.headers["x-github-api-version"] == "2022-11-28"
    assert created.headers["accept"] == "application/vnd.github+json"
    listed = [q for q in forge.requests if q.method == "GET"][0]
    assert listed.query["head"] == ["acme:dockerfix/build-cache"] and listed.query["state"] == ["all"]
    pushed = subprocess.run(
        ["git", "--git-dir", str(checkout.parent / "remote.git"), "show", "dockerfix/build-cache:Dockerfile"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "COPY requirements.txt ./" in pushed
    assert git(checkout, "status", "--porcelain") == ""  # the user's checkout is untouched
    assert git(checkout, "branch", "--list", "dockerfix/*") == ""

    _push_change(checkout)
    forge.requests.clear()
    second = _pr(capsysbinary, forge, checkout)
    assert second.code == 0 and "updated pull request #1" in second.out
    assert [q.method for q in forge.requests] == ["GET", "PATCH"]
    assert "worker/Dockerfile" in forge.pulls[0]["body"]
    assert len(forge.pulls) == 1

    forge.requests.clear()
    third = _pr(capsysbinary, forge, checkout)
    assert third.code == 0 and "is up to date" in third.out
    assert [q.method for q in forge.requests] == ["GET"]


def test_closed_unmerged_is_not_reopened_unless_asked(
    checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    assert _pr(capsysbinary, forge, checkout).code == 0
    forge.pulls[0]["state"] = "closed"
    r = _pr(capsysbinary, forge, checkout)
    assert r.code == 0 and "closed without merging; not reopened" in r.out
    assert not any(q.method in ("POST", "PATCH") for q in forge.requests[2:])
    r = _pr(capsysbinary, forge, checkout, "--reopen")
    assert "reopened pull request #1" in r.out and forge.pulls[0]["state"] == "open"


def test_nothing_to_change_opens_nothing(checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    seed = checkout.parent / "seed"
    (seed / "Dockerfile").write_text("FROM python:3.12\nCMD [\"python\"]\n")
    git(seed, "commit", "-qam", "simple")
    git(seed, "push", "-q", "origin", "main")
    r = _pr(capsysbinary, forge, checkout)
    assert r.code == 0 and "nothing to change" in r.out and forge.requests == []


def test_bad_token_is_a_clear_error_and_never_shown(
    checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "wrong-token-value")
    r = _pr(capsysbinary, forge, checkout)
    assert r.code == 2
    assert "401 Bad credentials" in r.err and "GITHUB_TOKEN" in r.err
    assert "wrong-token-value" not in r.out + r.err
    config = (checkout / ".git" / "config").read_text()
    assert "wrong-token-value" not in config and TOKEN not in config


def test_rate_limit_waits_when_short_and_stops_when_long() -> None:
    fake = FakeGitHub().start()
    try:
        slept: list[float] = []
        forge = Forge(fake.url, "acme", "service", TOKEN, sleep=slept.append)
        reset = str(int(time.time()) + 5)
        fake.failures.append((403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset}, {"message": "API rate limit exceeded"}))
        assert forge.pulls("x") == []
        assert slept and 0 <= slept[0] <= 6
        far = str(int(time.time()) + 3600)
        fake.failures.append((403, {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": far}, {"message": "API rate limit exceeded"}))
        with pytest.raises(ForgeError, match=r"rate limited .* try again in \d+ s"):
            forge.pulls("x")
    finally:
        fake.stop()


def test_network_error(checkout: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "pr", str(checkout), "--repo", "acme/service", "--api-url", "http://127.0.0.1:9")
    assert r.code == 2 and "cannot reach http://127.0.0.1:9" in r.err


def test_dirty_checkout_and_missing_remote(checkout: Path, forge: FakeGitHub, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (checkout / "Dockerfile").write_text(DOCKERFILE + "# local edit\n")
    r = _pr(capsysbinary, forge, checkout)
    assert r.code == 2 and "uncommitted changes" in r.err
    assert _pr(capsysbinary, forge, checkout, "--allow-dirty", "--dry-run").code == 0
    git(checkout, "remote", "remove", "origin")
    r = _pr(capsysbinary, forge, checkout, "--allow-dirty")
    assert r.code == 2 and "no remote 'origin'" in r.err


def test_many_repositories_with_a_summary(checkout: Path, forge: FakeGitHub, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text(f"# the fleet\n{checkout.parent / 'remote.git'}\n{tmp_path / 'missing.git'}\n")
    r = run_main(capsysbinary, "pr", "--repos", str(listing), "--repo", "acme/service", "--api-url", forge.url)
    assert r.code == 2
    lines = r.out.splitlines()
    assert lines[0].split() == ["repository", "result", "details"]
    assert any(" opened " in line for line in lines) and any(" failed " in line for line in lines)
    assert lines[-1] == "1 opened, 1 failed"
    assert "[1/2]" in r.err and "[2/2]" in r.err


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://github.com/acme/service.git", ("acme", "service")),
        ("https://github.com/acme/service", ("acme", "service")),
        ("git@github.com:acme/service.git", ("acme", "service")),
        ("ssh://git@git.example.com:2222/acme/service.git", ("acme", "service")),
        ("https://gitea.example.com/org/sub/repo.git", ("sub", "repo")),
    ],
)
def test_owner_and_repo_from_remote_urls(url: str, slug: tuple[str, str]) -> None:
    assert owner_and_repo(url) == slug


def test_result_api(checkout: Path, forge: FakeGitHub) -> None:
    result = open_pull_request(PrOptions(checkout, slug="acme/service", api_url=forge.url, token=TOKEN))
    assert result.status == "opened" and result.url.endswith("/pull/1")
