"""Human-readable report lines (they go to stderr)."""

from __future__ import annotations

from dockerfix.rules.base import Applicability
from dockerfix.runner import FileReport, RunReport
from dockerfix.settings import Mode


def finding_lines(report: FileReport) -> list[str]:
    lines: list[str] = []
    for d in report.diagnostics:
        lines.append(f"{report.path}:{d.line + 1}: {d.code} {d.message}")
    for f in sorted(report.findings, key=lambda f: (f.line, f.code)):
        unsafe = f.fix is not None and f.fix.applicability is Applicability.UNSAFE
        mark = "[*] " if f.fix is not None and not unsafe else ""
        tail = " (unsafe fix, applied with --unsafe-fixes)" if unsafe else ""
        lines.append(f"{report.path}:{f.line + 1}: {f.code} {mark}{f.message}{tail}")
    return lines


def summary(run: RunReport, mode: Mode) -> str:
    changed = len(run.changed)
    total = len(run.files)
    failed = sum(1 for f in run.files if f.error)
    noun = "file" if changed == 1 else "files"
    if mode is Mode.WRITE:
        head = f"{changed} {noun} rewritten"
    else:
        head = f"{changed} {noun} would be rewritten"
    parts = [head, f"{total - changed - failed} unchanged"]
    if failed:
        parts.append(f"{failed} failed")
    return ", ".join(parts) + "."
