"""The summary of a campaign as JSON (`dockerfix pr --summary-json`): one record per repository,
written atomically, and read back by `--resume`.

```json
{"version": 1,
 "repositories": [
   {"repository": "owner/name", "state": "opened", "url": "https://...", "message": "...",
    "findings": {"DFX101": 1}, "error": null}
 ]}
```
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # bot.pr brings in the runner; `dockerfix campaign summary` reads records without it
    from dockerfix.bot.pr import PrResult

VERSION = 1
STATES = ("opened", "updated", "unchanged", "skipped", "dry-run", "failed")
DONE = ("opened", "updated", "unchanged")  # what --resume does not do again


class SummaryError(ValueError):
    """A summary that cannot be read; the message names the file and what is wrong."""


def dumps(records: Sequence[dict[str, Any]]) -> str:
    return json.dumps({"version": VERSION, "repositories": list(records)}, indent=2, ensure_ascii=False) + "\n"


def load(path: Path) -> list[Any]:
    """The records of a summary file, as they are (see ``normalise``). Raises FileNotFoundError
    when there is no such file, SummaryError when it cannot be read or is no summary."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise
    except (OSError, UnicodeDecodeError) as exc:
        raise SummaryError(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SummaryError(f"{path} is not JSON: {exc}") from None
    items = data.get("repositories") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise SummaryError(f"{path} is not a dockerfix pr summary (no list of repositories)")
    if data.get("version") != VERSION:
        raise SummaryError(f"{path} is not a dockerfix pr summary: version {data.get('version')!r}, not {VERSION}")
    return items


def normalise(item: Any) -> dict[str, Any] | None:
    """A record with the fields of the format, each of its type; None without a repository and
    a state."""
    if not isinstance(item, dict):
        return None
    repo, state = item.get("repository"), item.get("state")
    if not isinstance(repo, str) or not repo or not isinstance(state, str) or not state:
        return None
    findings = item.get("findings")
    record: dict[str, Any] = {
        "repository": repo,
        "state": state,
        "url": item.get("url") if isinstance(item.get("url"), str) else None,
        "message": str(item.get("message") or ""),
        "findings": {
            str(code): n for code, n in (findings.items() if isinstance(findings, dict) else []) if isinstance(n, int)
        },
        "error": str(item["error"]) if item.get("error") else None,
    }
    if "resumed" in item:
        record["resumed"] = bool(item["resumed"])
    return record


def to_record(result: PrResult) -> dict[str, Any]:
    if result.previous is not None:
        return {**result.previous, "resumed": True}
    return {
        "repository": result.repo,
        "state": result.status,
        "url": result.url or None,
        "message": result.message,
        "findings": dict(result.findings),
        "error": result.message if result.failed else None,
    }


def summary_json(results: Sequence[PrResult]) -> str:
    return dumps([to_record(r) for r in results])


def write_summary(path: Path, results: Sequence[PrResult]) -> None:
    """Replace the file at once: a reader (or an interrupted run) never sees half of it."""
    from dockerfix.runner import write_atomic

    write_atomic(path, summary_json(results).encode("utf-8"))


class SummaryWriter:
    """Writes the summary each time it is given the results so far. A write that fails does not
    stop the run: the first error is kept for the end."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.error: str | None = None

    def __call__(self, results: Sequence[PrResult]) -> None:
        try:
            write_summary(self.path, results)
        except OSError as exc:
            self.error = self.error or f"cannot write {self.path}: {exc.strerror or exc}"


def read_done(path: Path) -> dict[str, PrResult] | None:
    """The repositories a previous summary says are done (opened, updated or unchanged), by
    name; None when there is no such file. Raises SummaryError when it cannot be read, or a
    record lacks a repository or a known state."""
    from dockerfix.bot.pr import PrResult

    try:
        items = load(path)
    except FileNotFoundError:
        return None
    done: dict[str, PrResult] = {}
    for k, item in enumerate(items, start=1):
        record = normalise(item)
        if record is None or record["state"] not in STATES:
            raise SummaryError(f"{path}: repository record {k} lacks a repository name or a known state")
        if record["state"] in DONE:
            done[record["repository"]] = PrResult(
                record["repository"], record["state"], record["message"], url=record["url"] or "",
                findings=record["findings"], previous=item,
            )  # fmt: skip
    return done
