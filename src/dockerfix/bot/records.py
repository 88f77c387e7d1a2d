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
from typing import Any

from dockerfix.bot.pr import PrResult

VERSION = 1
STATES = ("opened", "updated", "unchanged", "skipped", "dry-run", "failed")
DONE = ("opened", "updated", "unchanged")  # what --resume does not do again


class SummaryError(ValueError):
    """A previous summary that cannot be read; the message names the file and what is wrong."""


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
    data = {"version": VERSION, "repositories": [to_record(r) for r in results]}
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


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
    name; None when there is no such file. Raises SummaryError when it cannot be read."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise SummaryError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise SummaryError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("version") != VERSION or not isinstance(data.get("repositories"), list):
        raise SummaryError(f"{path} is not a dockerfix pr summary (version {VERSION} with a list of repositories)")
    done: dict[str, PrResult] = {}
    for k, record in enumerate(data["repositories"], start=1):
        result = _from_record(record)
        if result is None:
            raise SummaryError(f"{path}: repository record {k} lacks a repository name or a known state")
        if result.status in DONE:
            done[result.repo] = result
    return done


def _from_record(record: Any) -> PrResult | None:
    if not isinstance(record, dict):
        return None
    name, state = record.get("repository"), record.get("state")
    if not isinstance(name, str) or not name or state not in STATES:
        return None
    findings = record.get("findings")
    return PrResult(
        name, str(state), str(record.get("message") or ""), url=str(record.get("url") or ""),
        findings={str(k): v for k, v in findings.items() if isinstance(v, int)} if isinstance(findings, dict) else {},
        previous=record,
    )  # fmt: skip
