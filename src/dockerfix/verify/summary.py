"""Verification reports for pull requests: GitHub Actions annotations (`--format github`) and a
Markdown summary for a job summary or a pull-request comment (`--format markdown`,
`--summary FILE`), for one report or for every Dockerfile a branch changed."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dockerfix.render.formats import escape_data, escape_property
from dockerfix.verify.report import VerifyReport, interruption, title, unchanged

_LINE = re.compile(r"line (\d+): ")
_SHOWN_PATHS = 10  # differing paths named in an annotation and in the summary


def _problem_lines(report: VerifyReport) -> list[tuple[int | None, str]]:
    """Each problem, with the line of the new file it names (if any). The paths that differ
    are added to the problem that counts them."""
    out: list[tuple[int | None, str]] = []
    for problem in report.problems:
        m = _LINE.match(problem)
        if problem.startswith("the images differ") and report.file_differences:
            shown = report.file_differences[:_SHOWN_PATHS]
            more = len(report.file_differences) - len(shown)
            problem += ":\n" + "\n".join(shown) + (f"\n... and {more} more" if more > 0 else "")
        if problem.startswith("the image configurations differ") and report.config_differences:
            problem += ":\n" + "\n".join(report.config_differences)
        out.append((int(m.group(1)) if m else None, problem[m.end() :] if m else problem))
    return out


def github(reports: Sequence[VerifyReport], errors: Sequence[str] = ()) -> str:
    """One workflow command per problem (on its line where it names one), per verification that
    could not run or was interrupted, and a notice per verified change."""
    lines = [f"::error title=dockerfix verify::{escape_data(e)}" for e in errors]
    for report in reports:
        where = f"file={escape_property(report.dockerfile)}"
        label = "dockerfix verify" + (f" against {report.before}" if report.before else "")
        heading = f"title={escape_property(label)}"
        if report.interrupted is not None:
            lines.append(f"::warning {where},{heading}::{escape_data(interruption(report))}")
        elif report.error is not None:
            lines.append(f"::error {where},{heading}::{escape_data('cannot verify: ' + report.error)}")
        elif report.problems:
            for line, problem in _problem_lines(report):
                at = f",line={line}" if line is not None else ""
                lines.append(f"::error {where}{at},{heading}::{escape_data(problem)}")
        elif report.changed:
            lines.append(f"::notice {where},{heading}::{escape_data(_verdict(report))}")
    return "".join(line + "\n" for line in lines)


def _verdict(report: VerifyReport) -> str:
    """What a verified change was shown to do, in one sentence."""
    old, new = report.names
    text = "same files and configuration"
    if report.edited_file and report.rerun:
        counts = {name: len(report.rerun.get(name, [])) for name in report.names}
        text += f"; after editing {report.edited_file}, {counts[new]} steps ran again ({old}: {counts[old]})"
    read = [c for c in report.cache_checks if c.read]
    if read:
        text += "; cache mounts read: " + ", ".join(f"line {c.line} ({c.tool})" for c in read)
    return text


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _yes(value: bool | None) -> str:
    return "–" if value is None else "yes" if value else "**no**"


def _reruns(report: VerifyReport) -> str:
    if not report.edited_file or not report.rerun:
        return "–"
    old, new = report.names
    return f"{len(report.rerun.get(old, []))} → {len(report.rerun.get(new, []))}"


def _mounts(report: VerifyReport) -> str:
    told = [c for c in report.cache_checks if c.read is not None]
    if not told:
        return "–"
    return ", ".join(f"{c.tool} (line {c.line}) {'read' if c.read else '**not read**'}" for c in told)


def markdown(
    reports: Sequence[VerifyReport], heading: str = "dockerfix verify", added: Sequence[str] = (), errors: Sequence[str] = ()
) -> str:
    """A table with a row per Dockerfile, then what failed, in GitHub-flavoured Markdown."""
    lines = [f"### {heading}", ""]
    lines += [f"> **error:** {e}" for e in errors]
    if reports:
        lines += [
            "| Dockerfile | compared with | same files | same config | steps re-run after an edit | cache mounts | result |",
            "|---|---|---|---|---|---|---|",
        ]
    for r in reports:
        against = f"`{r.before}`" if r.before is not None else "dockerfix's rewrite"
        if r.interrupted is not None or r.error is not None or not r.changed:
            why = interruption(r) if r.interrupted else f"cannot verify: {r.error}" if r.error else unchanged(r)
            lines.append(f"| `{r.dockerfile}` | {against} | – | – | – | – | {_cell(why)} |")
            continue
        result = "✅ verified" if r.passed else "❌ not verified"
        lines.append(
            f"| `{r.dockerfile}` | {against} | {_yes(r.files_equal)} | {_yes(r.config_equal)} | {_reruns(r)} "
            f"| {_cell(_mounts(r))} | {result} |"
        )
    if added:
        lines.append("")
    lines += [f"- `{path}` is new: there is no earlier version to compare it with" for path in added]
    for r in reports:
        if not r.problems:
            continue
        lines += ["", f"**{title(r)}**", ""]
        for line, problem in _problem_lines(r):
            first, *rest = problem.split("\n")
            lines.append(f"- {'line ' + str(line) + ': ' if line is not None else ''}{first}")
            lines += [f"  - `{path}`" for path in rest]
    if not reports and not added and not errors:
        lines.append("No Dockerfile changed.")
    return "\n".join(lines) + "\n"
