"""The pipeline for one workflow file's bytes: decode, read the YAML subset and the
Dockerfiles its builds name, fix to a fixed point, report. The repository root is the folder
that holds `.github/`."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from dockerfix.diagnostics import Diagnostic
from dockerfix.document.source import DecodeError, SourceText
from dockerfix.rules.base import RuleContext, WorkflowRule
from dockerfix.runner import FileReport, report_fix
from dockerfix.settings import Settings
from dockerfix.workflow.engine import fix_workflow
from dockerfix.workflow.model import parse_workflow, with_dockerfiles


def read_file(path: str) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except OSError:
        return None


def process_workflow(
    data: bytes, display: str, path: Path, settings: Settings, rules: Sequence[WorkflowRule]
) -> FileReport:  # fmt: skip
    try:
        source = SourceText.from_bytes(data)
    except DecodeError as exc:
        return FileReport(display, diagnostics=(Diagnostic.make("DFX902", 0, str(exc)),), original=data)
    full = Path(os.path.abspath(path))
    doc = parse_workflow(source, full.as_posix(), full.parent.parent.parent.as_posix())
    doc = with_dockerfiles(doc, read_file)
    return report_fix(display, data, settings, lambda: fix_workflow(doc, rules, RuleContext(None, settings)), [])
