"""Many repositories (`dockerfix pr --repos`): each cloned into a temporary folder and given its
pull request, `jobs` at a time on threads (the work is git subprocesses and HTTP requests; the
fixing code keeps no state between calls but thread-safe memo caches). One failure never stops
the others; every request to the forge goes through one shared rate-limit budget; results come
back in the order of the list, whatever order they finish in. Never prints: progress lines go to
a callback."""

from __future__ import annotations

import functools
import shutil
import tempfile
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from dockerfix.bot.budget import Budget
from dockerfix.bot.forge import Forge
from dockerfix.bot.git import Git, GitError
from dockerfix.bot.matrix import clone_url, repositories
from dockerfix.bot.pr import ForgeFactory, PrOptions, PrResult, open_pull_request, safe_url
from dockerfix.records import frozen, replace


@frozen
class Entry:
    url: str
    slug: str | None  # owner/name, when the line says
    name: str  # how the results name it: owner/name (else --repo, else the URL)


def entries(lines: Sequence[str], options: PrOptions, clone_base: str) -> list[Entry]:
    """The repositories of a --repos file: one per line, without blank lines and `#` comments,
    each once (two workers on one repository would race to open the same pull request)."""
    out = []
    for line in repositories(lines):
        url, slug = clone_url(line, clone_base)
        out.append(Entry(url, slug, slug or options.slug or safe_url(url)))
    return out


def many(
    lines: Sequence[str], options: PrOptions, clone_base: str, progress: Callable[[str], None] = lambda _: None,
    make_forge: ForgeFactory | None = None, jobs: int = 1, done: Mapping[str, PrResult] | None = None,
    on_result: Callable[[list[PrResult]], None] | None = None, budget: Budget | None = None,
) -> list[PrResult]:  # fmt: skip
    """Open each repository's pull request, ``jobs`` at a time. Repositories in ``done`` (by
    name: a previous run's opened, updated and unchanged ones) are not done again: their results
    are carried over, after the list's those not on the list (the record of a pull request
    opened is never dropped). ``on_result`` gets the finished results, in list order, each time one
    finishes. Forges come from ``make_forge``, by default GitHub's API sharing ``budget``."""
    repos = entries(lines, options, clone_base)
    factory = make_forge or functools.partial(Forge, budget=budget or Budget())
    results: list[PrResult | None] = [None] * len(repos)
    listed = {entry.name for entry in repos}
    kept = [result for name, result in (done or {}).items() if name not in listed]
    for result in kept:
        progress(f"{result.repo}: not in the list; its record in the previous summary is kept")
    lock = threading.Lock()

    def finish(k: int, result: PrResult, line: str) -> None:
        with lock:
            results[k] = result
            progress(line)
            if on_result is not None:
                on_result([r for r in results if r is not None] + kept)

    todo = []
    for k, entry in enumerate(repos):
        previous = (done or {}).get(entry.name)
        if previous is None:
            todo.append(k)
        else:
            results[k] = previous
            progress(f"[{k + 1}/{len(repos)}] {entry.name}: {previous.status} in the previous run: not done again")

    def one(k: int) -> None:
        entry, count = repos[k], f"[{k + 1}/{len(repos)}]"
        with lock:
            progress(f"{count} {entry.name}")
        try:
            result = _clone_and_open(entry, options, factory)
        except Exception as exc:  # noqa: BLE001 - one repository's failure must not stop the others
            result = PrResult(entry.name, "failed", f"unexpected error: {exc!r}")
        finish(k, result, f"{count} {result.line}")

    with ThreadPoolExecutor(max_workers=max(1, jobs), thread_name_prefix="dockerfix-pr") as pool:
        list(pool.map(one, todo))
    return [r for r in results if r is not None] + kept


def _clone_and_open(entry: Entry, options: PrOptions, make_forge: ForgeFactory) -> PrResult:
    root = Path(tempfile.mkdtemp(prefix="dockerfix-clone-"))
    try:
        Git(root, options.token).run("clone", "--quiet", entry.url, "repo")
        result = open_pull_request(replace(options, repo_dir=root / "repo", slug=entry.slug or options.slug), make_forge)
    except GitError as exc:
        return PrResult(entry.name, "failed", str(exc))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    if not (entry.slug or options.slug):  # named after the temporary clone or its URL
        result.repo = entry.name
    return result


def summary(results: Sequence[PrResult]) -> str:
    width = max([len(r.repo) for r in results] + [10])
    lines = [f"{'repository':<{width}}  {'result':<9}  details"]
    for r in results:
        details = f"{'(previous run) ' if r.resumed else ''}{' '.join(r.message.split())}{'  ' + r.url if r.url else ''}"
        lines.append(f"{r.repo:<{width}}  {r.status:<9}  {details}")
    counts: dict[str, int] = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    lines.append(", ".join(f"{n} {status}" for status, n in counts.items()))
    return "\n".join(lines) + "\n"
