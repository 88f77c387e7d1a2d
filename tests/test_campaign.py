"""`dockerfix pr --repos` as a campaign: repositories handled in parallel, one rate-limit budget
shared by every worker, the summary JSON and `--resume`."""

from __future__ import annotations

import json
import random
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_github import TOKEN, FakeGitHub
from test_bot import DOCKERFILE, git
from test_cli import run_main

from dockerfix.bot import campaign
from dockerfix.bot.budget import Budget, RateLimited
from dockerfix.bot.forge import Forge, ForgeError
from dockerfix.bot.pr import PrOptions, PrResult

NAMES = [f"acme/svc-{k:02}" for k in range(1, 12)]  # eleven that exist
LISTING = ["# the fleet", *NAMES[:5], "acme/missing", *NAMES[5:]]  # and one that does not


class FakeTime:
    """A clock that only moves when someone sleeps; every sleep is recorded, with its thread."""

    def __init__(self) -> None:
        self.now = 1_000_000.0
        self.slept: list[tuple[str, float]] = []
        self.lock = threading.Lock()

    def clock(self) -> float:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self.lock:
            self.slept.append((threading.current_thread().name, seconds))
            self.now += seconds


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    server = FakeGitHub().start()
    yield server
    server.stop()


@pytest.fixture
def remotes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Bare repositories remotes/acme/svc-NN.git, each with main holding a Dockerfile to fix."""
    seed = tmp_path / "seed"
    subprocess.run(["git", "init", "-q", "-b", "main", str(seed)], check=True)
    (seed / "Dockerfile").write_text(DOCKERFILE)
    (seed / "requirements.txt").write_text("flask\n")
    (seed / "app.py").write_text("print('hi')\n")
    git(seed, "add", ".")
    git(seed, "commit", "-qm", "start")
    root = tmp_path / "remotes"
    for name in NAMES:
        bare = root / f"{name}.git"
        subprocess.run(["git", "init", "-q", "--bare", "-b", "main", str(bare)], check=True)
        git(seed, "push", "-q", str(bare), "main")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    monkeypatch.delenv("DOCKERFIX_TOKEN", raising=False)
    monkeypatch.delenv("GITHUB_API_URL", raising=False)
    return root


def _campaign(capsysbinary: pytest.CaptureFixture[bytes], fake: FakeGitHub, remotes: Path, *extra: str):  # type: ignore[no-untyped-def]
    listing = remotes.parent / "repos.txt"
    listing.write_text("\n".join(LISTING) + "\n")
    return run_main(
        capsysbinary, "pr", "--repos", str(listing), "--clone-base", f"file://{remotes}", "--api-url", fake.url,
        "--summary-json", str(remotes.parent / "summary.json"), *extra,
    )  # fmt: skip


def _posts(fake: FakeGitHub) -> Counter[str]:
    """The pull requests created, by repository."""
    return Counter(q.path for q in fake.requests if q.method == "POST" and q.status == 201)


def test_parallel_campaign_with_a_failure_and_a_rate_limit_then_resume(
    fake: FakeGitHub, remotes: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # the fifth request gets a secondary rate limit: every worker waits a second, it is made again
    fake.failures_at[5] = (403, {"Retry-After": "1"}, {"message": "You have exceeded a secondary rate limit"})
    started = time.monotonic()
    r = _campaign(capsysbinary, fake, remotes, "--jobs", "4")
    assert r.code == 2, r.err  # one repository failed
    assert time.monotonic() - started >= 1
    assert [q.status for q in fake.requests].count(403) == 1  # the rate limit was met, and waited out
    assert _posts(fake) == Counter({f"/repos/{name}/pulls": 1 for name in NAMES})
    assert {slug: len(pulls) for slug, pulls in fake.by_repo.items()} == {name: 1 for name in NAMES}
    for name in NAMES:  # each branch was pushed
        bare = remotes / f"{name}.git"
        assert "COPY requirements.txt ./" in git(bare, "show", "dockerfix/build-cache:Dockerfile")

    data = json.loads((remotes.parent / "summary.json").read_text())
    assert data["version"] == 1
    records = data["repositories"]
    assert [rec["repository"] for rec in records] == LISTING[1:]  # the order of the file
    for rec in records:
        if rec["repository"] == "acme/missing":
            assert rec["state"] == "failed" and rec["url"] is None
            assert rec["error"] == rec["message"] and "git clone" in rec["error"]
            assert rec["findings"] == {}
        else:
            assert set(rec) == {"repository", "state", "url", "message", "findings", "error"}
            assert rec["state"] == "opened" and rec["error"] is None
            assert rec["url"] == f"https://github.example/{rec['repository']}/pull/1"
            assert rec["findings"] == {"DFX101": 1, "DFX201": 1}

    table = r.out.splitlines()
    assert [line.split()[0] for line in table[1:-1]] == LISTING[1:]
    assert table[-1] == "11 opened, 1 failed"
    for line in r.err.splitlines():  # every progress line names its repository
        assert any(f" {name}" in line for name in LISTING[1:]), line

    requests_before = len(fake.requests)
    again = _campaign(capsysbinary, fake, remotes, "--jobs", "4", "--resume")
    assert again.code == 2  # the missing repository is tried again, and fails again
    assert _posts(fake) == Counter({f"/repos/{name}/pulls": 1 for name in NAMES})  # nothing new
    assert len(fake.requests) == requests_before  # the done ones are not even looked at
    resumed = json.loads((remotes.parent / "summary.json").read_text())["repositories"]
    assert [rec["repository"] for rec in resumed] == LISTING[1:]
    for old, new in zip(records, resumed):
        if old["state"] == "opened":
            assert new == {**old, "resumed": True}
        else:
            assert new["state"] == "failed" and "resumed" not in new
    assert "(previous run) opened pull request #1" in again.out
    assert "in the previous run: not done again" in again.err


def test_one_job_keeps_the_order_and_output(fake: FakeGitHub, remotes: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    listing = remotes.parent / "repos.txt"
    listing.write_text(f"{NAMES[0]}\nacme/missing\n")
    r = run_main(capsysbinary, "pr", "--repos", str(listing), "--clone-base", f"file://{remotes}", "--api-url", fake.url)
    assert r.code == 2
    assert r.err.splitlines()[0] == f"[1/2] {NAMES[0]}"
    assert r.err.splitlines()[1] == f"[1/2] {NAMES[0]}: opened: opened pull request #1"
    assert r.err.splitlines()[2] == "[2/2] acme/missing"
    assert r.err.splitlines()[3].startswith("[2/2] acme/missing: failed: git clone: ")
    assert not (remotes.parent / "summary.json").exists()


def test_results_in_list_order_whatever_finishes_first(monkeypatch: pytest.MonkeyPatch) -> None:
    names = [f"acme/r{k}" for k in range(10)]

    def clone_and_open(entry: campaign.Entry, options: PrOptions, make_forge: object) -> PrResult:
        time.sleep(random.uniform(0, 0.05))
        if entry.name == "acme/r3":
            raise RuntimeError("boom")
        return PrResult(entry.name, "opened", "ok")

    monkeypatch.setattr(campaign, "_clone_and_open", clone_and_open)
    snapshots: list[list[str]] = []
    results = campaign.many(
        names, PrOptions(Path(".")), "https://github.com", jobs=4,
        on_result=lambda rs: snapshots.append([r.repo for r in rs]),
    )  # fmt: skip
    assert [r.repo for r in results] == names
    assert [r.status for r in results] == ["opened"] * 3 + ["failed"] + ["opened"] * 6
    assert "unexpected error: RuntimeError('boom')" in results[3].message
    assert len(snapshots) == len(names) and snapshots[-1] == names  # written as each one finishes
    for snapshot in snapshots:
        assert snapshot == sorted(snapshot, key=names.index)


def test_resume_needs_the_summary_and_reads_it_carefully(
    fake: FakeGitHub, remotes: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    listing = remotes.parent / "repos.txt"
    listing.write_text(f"{NAMES[0]}\n")
    r = run_main(capsysbinary, "pr", "--repos", str(listing), "--resume")
    assert r.code == 2 and "--summary-json" in r.err
    r = run_main(capsysbinary, "pr", "--resume")
    assert r.code == 2 and "needs --repos" in r.err
    broken = remotes.parent / "broken.json"
    for text, why in [
        ('{"version": 1, "repositories": [', "is not JSON"),
        ('{"version": 2, "repositories": []}', "not a dockerfix pr summary"),
        ('{"version": 1, "repositories": [{"repository": "acme/x", "state": "merged"}]}', "record 1"),
    ]:
        broken.write_text(text)
        r = run_main(capsysbinary, "pr", "--repos", str(listing), "--resume", "--summary-json", str(broken))
        assert r.code == 2 and why in r.err
        assert broken.read_text() == text  # left as it was
    # no summary yet: nothing to skip, and the run writes one
    fresh = remotes.parent / "fresh.json"
    r = run_main(
        capsysbinary, "pr", "--repos", str(listing), "--clone-base", f"file://{remotes}", "--api-url", fake.url,
        "--resume", "--summary-json", str(fresh),
    )  # fmt: skip
    assert r.code == 0 and "no summary at" in r.err
    assert [rec["state"] for rec in json.loads(fresh.read_text())["repositories"]] == ["opened"]
    r = run_main(capsysbinary, "pr", "--repos", str(listing), "--summary-json", str(remotes / "no" / "such.json"))
    assert r.code == 2 and "is not a directory" in r.err


def test_single_repository_failure_names_owner_and_repo(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path / "work"
    subprocess.run(["git", "init", "-q", str(work)], check=True)
    git(work, "remote", "add", "origin", "http://127.0.0.1:9/acme/service.git")
    monkeypatch.chdir(work)
    r = run_main(capsysbinary, "pr", "--summary-json", str(tmp_path / "one.json"))
    assert r.code == 2
    assert r.err.startswith("acme/service: failed: git fetch: "), r.err
    [record] = json.loads((tmp_path / "one.json").read_text())["repositories"]
    assert record["repository"] == "acme/service" and record["state"] == "failed"
    (tmp_path / "taken").mkdir()
    r = run_main(capsysbinary, "pr", "--summary-json", str(tmp_path / "taken"))
    assert r.code == 2 and f"error: cannot write {tmp_path / 'taken'}" in r.err  # said, after the result
    assert r.err.startswith("acme/service: failed: ")
    monkeypatch.chdir(tmp_path)
    r = run_main(capsysbinary, "pr", "elsewhere")
    assert r.err.startswith(f"{tmp_path / 'elsewhere'}: failed: "), r.err  # no owner/name to tell: the path


# the budget


def test_a_rate_limit_reply_pauses_every_worker() -> None:
    t = FakeTime()
    budget = Budget(sleep=t.sleep, clock=t.clock)
    assert budget.limited({"Retry-After": "7"}) == 7  # one worker's reply
    went_out: list[float] = []

    def worker() -> None:
        budget.acquire()
        went_out.append(t.clock())

    others = [threading.Thread(target=worker) for _ in range(3)]
    for thread in others:
        thread.start()
    for thread in others:
        thread.join()
    assert t.slept  # they waited
    assert len(went_out) == 3 and min(went_out) >= 1_000_007  # and none went out before the pause ended


def test_rate_limit_reset_is_honoured_and_long_waits_fail() -> None:
    t = FakeTime()
    budget = Budget(sleep=t.sleep, clock=t.clock)
    assert budget.limited({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.now) + 30)}) == 30
    budget.acquire()
    assert [s for _, s in t.slept] == [30]
    with pytest.raises(RateLimited, match="try again in 3600 s"):
        budget.limited({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.now) + 3600)})
    with pytest.raises(RateLimited, match="try again in 3600 s"):
        budget.acquire()  # nobody waits that long, and nobody asks in the meantime
    assert len(t.slept) == 1
    t.sleep(3600)
    budget.acquire()  # over: requests go out again
    assert len(t.slept) == 2


def test_a_long_retry_after_fails_at_once() -> None:
    t = FakeTime()
    budget = Budget(sleep=t.sleep, clock=t.clock)
    with pytest.raises(RateLimited, match="try again in 61 s"):
        budget.limited({"Retry-After": "61"})
    with pytest.raises(RateLimited):
        budget.acquire()
    assert t.slept == []


def test_remaining_is_tracked_so_workers_pause_before_zero() -> None:
    t = FakeTime()
    budget = Budget(sleep=t.sleep, clock=t.clock)
    budget.observe({"X-RateLimit-Remaining": "2", "X-RateLimit-Reset": str(int(t.now) + 20)})
    budget.acquire()
    budget.acquire()
    assert t.slept == []
    budget.acquire()  # the third would be refused: wait for the reset instead
    assert [s for _, s in t.slept] == [20]
    budget.observe({"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": str(int(t.now) + 3600)})
    budget.acquire()
    assert len(t.slept) == 1
    budget.observe({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.now) + 3600)})
    with pytest.raises(RateLimited):
        budget.acquire()


def test_forges_share_the_budget(fake: FakeGitHub) -> None:
    t = FakeTime()
    budget = Budget(sleep=t.sleep, clock=t.clock)
    fake.failures.append((429, {"Retry-After": "3"}, {"message": "slow down"}))
    one = Forge(fake.url, "acme", "one", TOKEN, budget=budget)
    two = Forge(fake.url, "acme", "two", TOKEN, budget=budget)
    assert one.pulls("x") == []  # waited and made again
    assert [s for _, s in t.slept] == [3]
    fake.headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(t.now) + 3600)})
    assert two.pulls("x") == []
    with pytest.raises(ForgeError, match=r"rate limited by .* for acme/one; try again in \d+ s"):
        one.pulls("x")  # the other forge's reply said the budget is spent


def test_resume_from_a_summary_of_another_list_keeps_its_other_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    summary = tmp_path / "summary.json"
    old = {"repository": "acme/old", "state": "opened", "url": "https://github.example/acme/old/pull/7",
           "message": "opened pull request #7", "findings": {"DFX101": 1}, "error": None}  # fmt: skip
    summary.write_text(json.dumps({"version": 1, "repositories": [old]}))
    listing = tmp_path / "repos.txt"
    listing.write_text("acme/new\n")
    monkeypatch.setattr(campaign, "_clone_and_open", lambda entry, options, make_forge: PrResult(entry.name, "opened", "ok"))
    r = run_main(capsysbinary, "pr", "--repos", str(listing), "--resume", "--summary-json", str(summary))
    assert r.code == 0, r.err
    records = json.loads(summary.read_text())["repositories"]
    assert [(rec["repository"], rec["state"]) for rec in records] == [("acme/new", "opened"), ("acme/old", "opened")]
    assert records[1] == {**old, "resumed": True}
    assert "acme/old: not in the list" in r.err


def test_a_repository_listed_twice_is_done_once() -> None:
    lines = ["acme/app", "# a comment", "", "https://github.com/Acme/App.git", "acme/lib  # trailing comment"]
    names = [e.name for e in campaign.entries(lines, PrOptions(Path(".")), "https://github.com")]
    assert names == ["acme/app", "acme/lib"]
