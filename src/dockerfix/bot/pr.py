"""One pull request per repository: fix on a fresh worktree of the default branch, push to a
branch, open the pull request or bring the open one up to date. Returns results; never prints."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from dockerfix.bot.body import TITLE, body, ci_advice, commit_message
from dockerfix.bot.forge import Forge, ForgeError, api_url
from dockerfix.bot.git import Git, GitError, default_branch, owner_and_repo
from dockerfix.records import field, frozen, record, replace
from dockerfix.runner import FileReport, run
from dockerfix.settings import Mode, Settings

DEFAULT_BRANCH = "dockerfix/build-cache"
BOT_AUTHOR = ("dockerfix[bot]", "dockerfix-bot@users.noreply.github.com")


@frozen
class PrOptions:
    repo_dir: Path
    branch: str = DEFAULT_BRANCH
    remote: str = "origin"
    base: str | None = None
    api_url: str | None = None  # default: GITHUB_API_URL, else api.github.com
    slug: str | None = None  # owner/name when the remote URL does not say
    token: str | None = None
    author: tuple[str, str] | None = None  # (name, email)
    dry_run: bool = False
    reopen: bool = False
    allow_dirty: bool = False
    verify: bool = False
    network: str | None = None  # for --verify builds
    settings: Settings = field(default_factory=Settings)


@record
class PrResult:
    repo: str
    status: str  # opened, updated, unchanged, skipped, dry-run, failed
    message: str
    url: str = ""
    output: str = ""  # the dry run's branch, commit message, diff and body
    findings: dict[str, int] = field(default_factory=dict)  # by rule code: fixed and reported
    previous: dict[str, Any] | None = None  # the record of a previous run's summary, carried over

    @property
    def resumed(self) -> bool:
        return self.previous is not None

    @property
    def line(self) -> str:
        """``owner/name: status: message`` on one line (git's messages span several)."""
        return f"{self.repo}: {self.status}: {' '.join(self.message.split())}"

    @property
    def failed(self) -> bool:
        return self.status == "failed"


class _Fail(Exception):
    pass


ForgeFactory = Callable[[str, str, str, "str | None"], Forge]


def open_pull_request(options: PrOptions, make_forge: ForgeFactory = Forge) -> PrResult:
    job = _Run(options, make_forge)
    try:
        result = job.go()
    except (_Fail, GitError, ForgeError) as exc:
        result = PrResult(job.name(), "failed", str(exc))
    result.findings = job.findings
    return result


class _Run:
    def __init__(self, options: PrOptions, make_forge: ForgeFactory) -> None:
        self.o = options
        self.make_forge = make_forge
        self.git = Git(options.repo_dir, options.token)
        self.findings: dict[str, int] = {}

    def name(self) -> str:
        """The repository as owner/name: --repo, else from the remote's URL; the checkout's
        path when neither says."""
        o = self.o
        if o.slug:
            return o.slug
        url = self.git.run("remote", "get-url", o.remote, check=False) if o.repo_dir.is_dir() else ""
        found = owner_and_repo(url) if url else None
        return "/".join(found) if found else str(o.repo_dir.resolve())

    def go(self) -> PrResult:
        o, git = self.o, self.git
        if not o.repo_dir.is_dir() or not git.ok("rev-parse", "--is-inside-work-tree"):
            raise _Fail(f"{o.repo_dir} is not a git checkout")
        if not git.ok("remote", "get-url", o.remote):
            raise _Fail(f"the checkout has no remote {o.remote!r} (give --remote)")
        url = git.run("remote", "get-url", o.remote)
        slug = o.slug or ("/".join(owner_and_repo(url) or ()) or None)
        if slug is None or slug.count("/") != 1:
            raise _Fail(f"cannot tell owner/name from the remote URL {safe_url(url)} (give --repo OWNER/NAME)")
        owner, repo = slug.split("/")
        if not o.allow_dirty and git.run("status", "--porcelain"):
            raise _Fail("the checkout has uncommitted changes (commit them, or --allow-dirty)")
        git.run("fetch", "--quiet", o.remote)
        base = o.base or default_branch(git, o.remote)
        work = Path(tempfile.mkdtemp(prefix="dockerfix-pr-"))
        try:
            git.run("worktree", "add", "--quiet", "--detach", str(work), f"{o.remote}/{base}")
            return self._in_worktree(Git(work, o.token), work, slug, owner, repo, base)
        finally:
            git.run("worktree", "remove", "--force", str(work), check=False)
            shutil.rmtree(work, ignore_errors=True)
            git.run("worktree", "prune", check=False)

    def _in_worktree(self, wt: Git, work: Path, slug: str, owner: str, repo: str, base: str) -> PrResult:
        o = self.o
        tables = self._verify(work) if o.verify else []
        report = run([str(work)], replace(o.settings, mode=Mode.WRITE, context=None))
        self.findings = dict(sorted(Counter(f.code for r in report.files for f in r.findings).items()))
        changed = [_relative(f, work) for f in report.files if f.written]
        if not changed:
            problems = "; ".join(report.errors + [f"{d.code} {d.message}" for f in report.files for d in f.diagnostics])
            return PrResult(slug, "unchanged", "nothing to change" + (f" ({problems})" if problems else ""))
        message = commit_message(changed)
        text = body(changed, tables, [_relative(f, work) for f in ci_advice(report.files)])
        if o.dry_run:
            diff = wt.run("diff")
            output = (
                f"branch: {o.branch} (from {base})\n\n--- commit message ---\n{message}\n--- diff ---\n{diff}\n\n"
                f"--- pull request: {TITLE} ---\n{text}"
            )
            return PrResult(slug, "dry-run", f"would push {o.branch} and open a pull request into {base}", output=output)
        forge = self.make_forge(api_url(o.api_url), owner, repo, o.token)
        pulls = forge.pulls(o.branch)
        open_pulls = [p for p in pulls if p.state == "open"]
        closed = [p for p in pulls if p.state == "closed" and not p.merged]
        if not open_pulls and closed and not o.reopen:
            return PrResult(
                slug, "skipped", f"pull request #{closed[0].number} from {o.branch} was closed without merging; "
                "not reopened (--reopen does)", closed[0].url,
            )  # fmt: skip
        pushed = self._commit_and_push(wt, message)
        if open_pulls:
            pull = open_pulls[0]
            if not pushed and pull.title == TITLE and pull.body == text:
                return PrResult(slug, "unchanged", f"pull request #{pull.number} is up to date", pull.url)
            pull = forge.update(pull.number, TITLE, text)
            return PrResult(slug, "updated", f"updated pull request #{pull.number}", pull.url)
        if closed and o.reopen:
            pull = forge.update(closed[0].number, TITLE, text, reopen=True)
            return PrResult(slug, "updated", f"reopened pull request #{pull.number}", pull.url)
        pull = forge.create(TITLE, text, o.branch, base)
        return PrResult(slug, "opened", f"opened pull request #{pull.number}", pull.url)

    def _commit_and_push(self, wt: Git, message: str) -> bool:
        """Commit on the detached worktree and force-push it to the branch, unless the branch
        already holds the same tree. Whether it pushed."""
        o = self.o
        name, email = o.author or self._author()
        wt.run("add", "-A")
        wt.run("-c", f"user.name={name}", "-c", f"user.email={email}", "commit", "--quiet", "-m", message)
        remote_ref = f"refs/remotes/{o.remote}/{o.branch}"
        if wt.ok("rev-parse", "--verify", "--quiet", remote_ref):
            if wt.run("rev-parse", f"{remote_ref}^{{tree}}") == wt.run("rev-parse", "HEAD^{tree}"):
                return False
        wt.run("push", "--quiet", "--force", o.remote, f"HEAD:refs/heads/{o.branch}")
        return True

    def _author(self) -> tuple[str, str]:
        name = self.git.run("config", "user.name", check=False)
        email = self.git.run("config", "user.email", check=False)
        return (name, email) if name and email else BOT_AUTHOR

    def _verify(self, work: Path) -> list[str]:
        """`dockerfix verify` on every Dockerfile that would change, as tables for the body."""
        from dockerfix.verify.procedure import VerifyOptions, verify
        from dockerfix.verify.report import render

        check = run([str(work)], replace(self.o.settings, mode=Mode.CHECK, context=None))
        tables = []
        for f in check.changed:
            report = verify(VerifyOptions(Path(f.path), settings=self.o.settings, network=self.o.network))
            if report.interrupted is not None:
                # verify removed what it made; the bot stops as the signal asks
                import signal

                signal.raise_signal(signal.Signals[report.interrupted])
            tables.append(render(report).replace(str(work) + "/", ""))
        return tables


def _relative(f: FileReport, work: Path) -> FileReport:
    path = Path(f.path)
    try:
        shown = path.resolve().relative_to(work.resolve()).as_posix()
    except ValueError:
        shown = f.path
    return replace(f, path=shown)


def safe_url(url: str) -> str:
    """A URL without credentials in it."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://{rest.split('@', 1)[1]}"
    return url
