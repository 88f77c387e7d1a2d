"""What `dockerfix [OPTIONS] [PATHS]` does once its options are read and checked: run the
runner, write the diffs, findings and summary to the streams, and return the exit code.

Shared by the typer command (dockerfix.commands) and the plain-run path of dockerfix.cli, so it
imports neither typer nor anything the run does not use."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dockerfix.runner import RunReport
    from dockerfix.settings import Settings

EXIT_CLEAN, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2
FORMATS = ("text", "json", "sarif", "github")


def codes(values: list[str] | None) -> tuple[str, ...]:
    """Rule codes given as options, each possibly comma-separated, in capitals."""
    out: list[str] = []
    for value in values or []:
        out.extend(v.strip().upper() for v in value.split(",") if v.strip())
    return tuple(out)


def known_codes() -> list[str]:
    from dockerfix.diagnostics import CODES
    from dockerfix.rules import CODES as RULE_CODES

    return list(RULE_CODES) + list(CODES)


def err(line: str) -> None:
    sys.stderr.write(line + "\n")


def run_fix(
    settings: Settings, paths: list[str] | None, *, jobs: int | None = None, output_format: str = "text",
    output_file: Path | None = None, statistics: bool = False, quiet: bool = False, verbose: bool = False,
    stdin_diff: bool = False,
) -> int:  # fmt: skip
    """Fix PATHS (default: the current folder) with checked options; return the exit code."""
    from dockerfix.runner import STDIN, run, usable_cpus

    targets = paths or ["."]
    stdin = sys.stdin.buffer.read() if STDIN in targets else None
    report = run(targets, settings, stdin, jobs=usable_cpus() if jobs is None else jobs)
    if output_format != "text" or output_file is not None or statistics:
        return _emit_report(report, settings, output_format, output_file, statistics, stdin_diff)
    return _emit(report, settings, quiet, verbose, stdin_diff)


def _emit_report(
    report: RunReport, settings: Settings, output_format: str, output_file: Path | None, statistics: bool,
    stdin_diff: bool,
) -> int:  # fmt: skip
    """A report in one format, to standard output or a file; diffs are left out (the report is
    for a program), the fixed file of standard input is still written back."""
    from dockerfix.render import formats
    from dockerfix.render.text import finding_lines

    if statistics:
        text = formats.statistics(report)
    elif output_format == "json":
        text = formats.to_json(report)
    elif output_format == "sarif":
        text = formats.to_sarif(report)
    elif output_format == "github":
        text = formats.to_github(report)
    else:
        text = "".join(line + "\n" for f in report.files for line in finding_lines(f))
        text = "".join(f"error: {e}\n" for e in report.errors) + text
    if output_file is not None:
        try:
            output_file.write_text(text, encoding="utf-8")
        except OSError as exc:
            err(f"error: cannot write {output_file}: {exc.strerror or exc}")
            return EXIT_ERROR
    else:
        sys.stdout.write(text)
    return _exit_code(report, settings, stdin_diff)


def _emit(report: RunReport, settings: Settings, quiet: bool, verbose: bool, stdin_diff: bool = False) -> int:
    """Diffs or file content to stdout, messages to stderr; return the exit code.

    Standard input gets the fixed file back on stdout, or a diff with an explicit --diff, or
    nothing with --check."""
    from dockerfix.render.diff import colorize, unified_diff
    from dockerfix.render.text import finding_lines, summary
    from dockerfix.settings import Mode

    for error in report.errors:
        err(f"error: {error}")
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    out = sys.stdout
    for f in report.files:
        for line in finding_lines(f):
            if not quiet or line.split(": ", 1)[1].startswith("DFX9"):
                err(line)
        if f.path == "-":
            if settings.mode is Mode.CHECK or (stdin_diff and f.output is None):
                continue
            if stdin_diff:
                out.write(unified_diff(f.original or b"", f.output or b"", "-"))
            else:
                out.buffer.write(f.output if f.output is not None else f.original or b"")
            continue
        if f.changed and settings.mode is Mode.DIFF:
            text = unified_diff(f.original or b"", f.output or b"", f.path)
            out.write(colorize(text) if colour else text)
        elif f.changed and settings.mode is Mode.CHECK and not quiet:
            err(f"would rewrite {f.path}")
        elif f.written and not quiet:
            err(f"rewrote {f.path}")
        elif verbose and not f.changed:
            err(f"unchanged {f.path}")
    out.flush()
    if not quiet and any(f.path != "-" for f in report.files):
        err(summary(report, settings.mode))
    return _exit_code(report, settings, stdin_diff)


def _exit_code(report: RunReport, settings: Settings, stdin_diff: bool) -> int:
    from dockerfix.settings import Mode

    if report.failed:
        return EXIT_ERROR
    pending = [f for f in report.changed if f.path != "-" or settings.mode is Mode.CHECK or stdin_diff]
    if pending and settings.mode is not Mode.WRITE:
        return EXIT_CHANGES
    return EXIT_CLEAN
