"""`dockerfix verify --changed-since REV`: every Dockerfile a branch changed, verified against its
version at the base of the branch, one after the other. Never prints, never exits."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from dockerfix.records import asdict, field, record, replace
from dockerfix.verify.changes import ChangeError, changed_dockerfiles, read_at
from dockerfix.verify.interrupt import Interrupted, interruptible
from dockerfix.verify.procedure import VerifyOptions, verify
from dockerfix.verify.report import VerifyReport


@record
class ChangesReport:
    since: str
    base: str = ""  # the commit compared with
    reports: list[VerifyReport] = field(default_factory=list)
    added: list[str] = field(default_factory=list)  # new Dockerfiles: nothing to compare them with
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # why the changes could not be found
    interrupted: str | None = None

    @property
    def exit_code(self) -> int:
        """The highest of the verifications': 0 all verified (or nothing to verify), 1 a check
        failed, 2 one could not run, 130 or 143 interrupted."""
        if self.interrupted is not None:
            return VerifyReport("", "", interrupted=self.interrupted).exit_code
        if self.error is not None:
            return 2
        return max((r.exit_code for r in self.reports), default=0)

    def to_json(self) -> str:
        data = asdict(self)
        data["reports"] = [json.loads(r.to_json()) for r in self.reports]
        data["exit_code"] = self.exit_code
        return json.dumps(data, indent=2)


def verify_changed(
    since: str, within: Path, options: VerifyOptions, progress: Callable[[str], None] = lambda _: None
) -> ChangesReport:
    """Verify each Dockerfile under ``within`` that differs from its version at the merge base
    of ``since`` and HEAD; ``options`` holds what the verifications share (no Dockerfile)."""
    report = ChangesReport(since)
    try:
        with interruptible():
            changes = changed_dockerfiles(since, within)
            report.base, report.notes = changes.base, changes.notes
            for change in changes.changed:
                shown = _shown(change.path)
                if change.status == "A":
                    report.added.append(shown)
                    continue
                old = f"{changes.label}:{change.old}"
                progress(f"verifying {shown} against {old}")
                one = replace(options, dockerfile=Path(shown), before=read_at(changes, change), before_name=old)
                report.reports.append(verify(one, progress))
                if report.reports[-1].interrupted is not None:
                    report.interrupted = report.reports[-1].interrupted
                    break
    except ChangeError as exc:
        report.error = str(exc)
    except Interrupted as exc:
        report.interrupted = exc.name
    return report


def _shown(path: Path) -> str:
    """The path as a user names it: from the current folder when it lies below it."""
    try:
        return path.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return path.as_posix()
