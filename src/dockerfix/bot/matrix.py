"""What the jobs of a campaign on GitHub Actions call (`dockerfix campaign`): the list of
repositories cut into a job matrix, and the per-chunk summaries of `dockerfix pr` merged into
one, as JSON or as Markdown for the run's job summary. Returns values; never prints."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from dockerfix.bot.git import owner_and_repo
from dockerfix.bot.records import SummaryError, dumps, load, normalise
from dockerfix.records import field, frozen, record

MAX_JOBS = 256  # GitHub Actions: jobs one matrix may generate
MAX_OUTPUT = 1_000_000  # GitHub Actions: bytes of one job's outputs (1 MB), with some room left
MAX_STEP_SUMMARY = 1_000_000  # GitHub Actions: bytes of one step's job summary (1 MiB), with room
STATES = ("failed", "opened", "updated", "skipped", "dry-run", "unchanged")  # the table's order


class CampaignError(ValueError):
    """A list or an option that cannot make a matrix; the message says why."""


def repositories(lines: Iterable[str]) -> list[str]:
    """The repositories of a --repos file: one per line, blank lines and `#` comments (whole
    lines, or after a space) left out, each repository once (in its first place; owner/name
    and a clone URL of the same repository count as one, regardless of case)."""
    seen: set[str] = set()
    out: list[str] = []
    for raw in lines:
        text = raw.split(" #", 1)[0].split("\t#", 1)[0].strip()
        if not text or text.startswith("#"):
            continue
        key = _key(text)
        if key not in seen:
            seen.add(key)
            out.append(text)
    return out


def _key(text: str) -> str:
    url, slug = clone_url(text, "")
    return (slug or url).removesuffix(".git").rstrip("/").lower()


def clone_url(line: str, clone_base: str) -> tuple[str, str | None]:
    """The clone URL for a line of --repos, and its owner/name when the line is one."""
    text = line.strip()
    if "://" in text or text.startswith(("/", ".")) or "@" in text:
        slug = owner_and_repo(text)
        return text, "/".join(slug) if slug else None
    return f"{clone_base.rstrip('/')}/{text}.git", text


@frozen
class Matrix:
    include: list[dict[str, Any]]
    chunk_size: int  # the size used: the one asked for, or larger to stay within max_jobs
    asked: int

    @property
    def grown(self) -> bool:
        return self.chunk_size != self.asked

    def to_json(self) -> str:
        return json.dumps({"include": self.include}, separators=(",", ":"))


def matrix(repos: list[str], chunk_size: int, max_jobs: int = MAX_JOBS) -> Matrix:
    """Chunks of ``chunk_size`` repositories, one matrix job each; the chunk size grows when the
    list would need more than ``max_jobs`` jobs. Raises CampaignError when the matrix would not
    fit in one job output."""
    if chunk_size < 1:
        raise CampaignError(f"the chunk size must be at least 1, not {chunk_size}")
    if not 1 <= max_jobs <= MAX_JOBS:
        raise CampaignError(f"the number of jobs must be between 1 and {MAX_JOBS} (GitHub's limit), not {max_jobs}")
    size = max(chunk_size, math.ceil(len(repos) / max_jobs))
    include = [
        {"chunk": k, "repos": "\n".join(repos[start : start + size])}
        for k, start in enumerate(range(0, len(repos), size))
    ]
    result = Matrix(include, size, chunk_size)
    length = len(result.to_json().encode("utf-8"))
    if length > MAX_OUTPUT:
        raise CampaignError(
            f"the matrix of {len(repos)} repositories takes {length} bytes, more than a job output holds "
            f"({MAX_OUTPUT}): split the list into several campaigns"
        )
    return result


def org_repositories(
    api_url: str, org: str, token: str | None, include_archived: bool = False, include_forks: bool = False
) -> list[str]:
    """owner/name of the organisation's repositories through the REST API; archived ones and
    forks only when asked for. Raises ForgeError."""
    from dockerfix.bot.forge import Forge, ForgeError

    try:
        found = Forge(api_url, org, "*", token).org_repositories(org)
    except ForgeError as exc:
        raise ForgeError(f"listing the repositories of {org}: {exc}") from None
    names = []
    for repo in found:
        if repo.get("archived") and not include_archived:
            continue
        if repo.get("fork") and not include_forks:
            continue
        name = repo.get("full_name")
        if isinstance(name, str) and name.count("/") == 1:
            names.append(name)
    return names


# --- summaries -------------------------------------------------------------------------------


@record
class Merged:
    repositories: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files missing or unreadable, records skipped

    @property
    def failed(self) -> bool:
        return bool(self.problems) or any(r["state"] == "failed" for r in self.repositories)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for r in self.repositories:
            counts[r["state"]] = counts.get(r["state"], 0) + 1
        return dict(sorted(counts.items(), key=lambda item: state_order(item[0])))

    def findings(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for r in self.repositories:
            for code, n in r["findings"].items():
                total[code] = total.get(code, 0) + n
        return dict(sorted(total.items()))

    def to_json(self) -> str:
        return dumps(self.repositories)


def state_order(state: str) -> int:
    return STATES.index(state) if state in STATES else len(STATES)


def merge(paths: Iterable[Path]) -> Merged:
    """The records of every summary file, in file order; a repository that two files name keeps
    its last record (a chunk run again). A missing or unreadable file is a problem, not an error:
    a chunk job may have died before it wrote its summary."""
    merged = Merged()
    by_repo: dict[str, dict[str, Any]] = {}
    for path in paths:
        try:
            items = load(path)
        except FileNotFoundError:
            merged.problems.append(f"{path}: missing (the chunk's job may have died before writing it)")
            continue
        except SummaryError as exc:
            merged.problems.append(str(exc))
            continue
        for k, item in enumerate(items, start=1):
            record = normalise(item)
            if record is None:
                merged.problems.append(f"{path}: record {k} has no repository and state; left out")
                continue
            by_repo.pop(record["repository"], None)
            by_repo[record["repository"]] = record
    merged.repositories = list(by_repo.values())
    return merged
