"""The result of a verification, as data, as a short table and as JSON."""

from __future__ import annotations

import json
import signal
from collections import Counter

from dockerfix.records import asdict, field, record


@record
class StepReport:
    line: int  # 1-based, in the rewritten file
    instruction: str  # shortened
    tool: str
    expected_cached: bool
    original: str = "-"  # ran, cached, or - (not found in the log)
    rewritten: str = "-"


@record
class CacheCheck:
    """Whether one install read its cache mount when a dependency change made it run again."""

    line: int  # 1-based, in the rewritten file
    tool: str
    manifest: str | None = None  # the file changed, else a step was put above the install
    read: bool | None = None  # None: the tool prints nothing that shows it
    evidence: str | None = None  # the line that shows the cache mount was read


@record
class VerifyReport:
    dockerfile: str
    context: str
    before: str | None = None  # --before: the old version compared with (a path or REV:path)
    engine: str = ""
    changed: bool = False
    builds: dict[str, float] = field(default_factory=dict)  # name -> seconds
    files_equal: bool | None = None
    file_differences: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    config_equal: bool | None = None
    config_differences: list[str] = field(default_factory=list)
    edited_file: str | None = None
    rerun: dict[str, list[str]] = field(default_factory=dict)  # build -> the steps that ran again
    step_counts: dict[str, int] = field(default_factory=dict)  # build -> its instruction steps
    steps: list[StepReport] = field(default_factory=list)
    cache_checks: list[CacheCheck] = field(default_factory=list)  # one per install that ran again
    problems: list[str] = field(default_factory=list)  # why a check failed
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    error: str | None = None  # why the verification could not run
    interrupted: str | None = None  # the signal that stopped it (SIGINT, SIGTERM)

    @property
    def names(self) -> tuple[str, str]:
        """What the two builds are called: dockerfix's rewrite, or a change of the user's."""
        return ("before", "after") if self.before is not None else ("original", "rewritten")

    @property
    def cache_read(self) -> bool | None:
        """Every install whose output tells read its cache mount (None: none tells)."""
        told = [c.read for c in self.cache_checks if c.read is not None]
        return None if not told else all(told)

    @property
    def manifest(self) -> str | None:
        return next((c.manifest for c in self.cache_checks if c.manifest), None)

    @property
    def cache_evidence(self) -> str | None:
        return next((c.evidence for c in self.cache_checks if c.evidence), None)

    @property
    def passed(self) -> bool:
        if self.error is not None or self.problems or self.interrupted:
            return False
        if not self.changed:
            return True
        return bool(self.files_equal and self.config_equal)

    @property
    def exit_code(self) -> int:
        if self.interrupted is not None:
            return 128 + signal.Signals[self.interrupted].value  # 130 for SIGINT, 143 for SIGTERM
        if self.error is not None:
            return 2
        return 0 if self.passed else 1

    @property
    def result(self) -> str:
        if self.interrupted is not None:
            return "interrupted"
        if self.error is not None:
            return "cannot verify"
        return "verified" if self.passed else "NOT verified"

    def to_json(self) -> str:
        data = asdict(self)
        data.update(passed=self.passed, cache_read=self.cache_read, manifest=self.manifest, cache_evidence=self.cache_evidence)
        return json.dumps(data, indent=2)


def _yes(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "NO"


def title(report: VerifyReport) -> str:
    against = f" against {report.before}" if report.before is not None else ""
    context = f" (context {report.context})" if report.context else ""
    return f"{report.dockerfile}{against}{context}"


def interruption(report: VerifyReport) -> str:
    return f"interrupted by {report.interrupted}: the builds were stopped and their images and folders removed"


def unchanged(report: VerifyReport) -> str:
    if report.before is not None:
        return f"the file is the same as {report.before}: nothing to verify"
    return "dockerfix does not change this file: nothing to verify"


def render(report: VerifyReport) -> str:
    old, new = report.names
    lines = [f"dockerfix verify {title(report)}"]
    if report.engine:
        lines.append(f"  engine           {report.engine}")
    if report.interrupted is not None and not report.builds:
        lines.append(f"  {interruption(report)}")
        return "\n".join(lines) + "\n"
    if report.error is not None:
        lines.append(f"  cannot verify: {report.error}")
        return "\n".join(lines) + "\n"
    if not report.changed:
        lines.append(f"  {unchanged(report)}")
        return "\n".join(lines) + "\n"
    lines.append("  builds")
    for name, seconds in report.builds.items():
        lines.append(f"    {name:<34} {seconds:6.1f} s")
    lines.append(f"  same files       {_yes(report.files_equal)}")
    lines += [f"    {d}" for d in report.file_differences[:20]]
    if len(report.file_differences) > 20:
        lines.append(f"    ... and {len(report.file_differences) - 20} more")
    reasons = Counter(r.rsplit(" (", 1)[-1].rstrip(")") for r in report.ignored if " (" in r)
    if reasons:
        lines.append("    left out: " + ", ".join(f"{n} {why}" for why, n in sorted(reasons.items())))
    lines.append(f"  same config      {_yes(report.config_equal)}")
    lines += [f"    {d}" for d in report.config_differences]
    if report.edited_file:
        lines.append(f"  after editing {report.edited_file}:")
        for name, ran in report.rerun.items():
            total = report.step_counts.get(name, 0)
            took = f" in {report.builds[name + ', after edit']:.1f} s" if f"{name}, after edit" in report.builds else ""
            lines.append(f"    {name:<10} re-ran {len(ran)} of {total} steps{took}")
        if report.steps:
            lines.append(f"    {'line':>4}  {'step':<48} {old:<9} {new:<9} expected")
        for s in report.steps:
            expected = "cached" if s.expected_cached else "ran"
            lines.append(f"    {s.line:>4}  {s.instruction:<48} {s.original:<9} {s.rewritten:<9} {expected}")
    for c in report.cache_checks:
        what = c.manifest or "the install step"
        lines.append(f"  line {c.line} ({c.tool}): cache mount read after changing {what}: {_yes(c.read)}")
        if c.evidence:
            lines.append(f"    {c.evidence}")
    for n in report.notes:
        lines.append(f"  note: {n}")
    for p in report.problems:
        lines.append(f"  problem: {p}")
    if report.interrupted is not None:
        lines.append(f"  {interruption(report)}")
    lines.append(f"  result: {report.result}")
    return "\n".join(lines) + "\n"
