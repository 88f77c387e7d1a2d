"""The result of a verification, as data, as a short table and as JSON."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field


@dataclass
class StepReport:
    line: int  # 1-based, in the rewritten file
    instruction: str  # shortened
    tool: str
    expected_cached: bool
    original: str = "-"  # ran, cached, or - (not found in the log)
    rewritten: str = "-"


@dataclass
class VerifyReport:
    dockerfile: str
    context: str
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
    manifest: str | None = None
    cache_evidence: str | None = None  # the line that shows the cache mount was read
    cache_read: bool | None = None  # None: the tool prints nothing that shows it
    problems: list[str] = field(default_factory=list)  # why a check failed
    notes: list[str] = field(default_factory=list)  # worth knowing, not a failure
    error: str | None = None  # why the verification could not run

    @property
    def passed(self) -> bool:
        if self.error is not None or self.problems:
            return False
        if not self.changed:
            return True
        return bool(self.files_equal and self.config_equal)

    @property
    def exit_code(self) -> int:
        if self.error is not None:
            return 2
        return 0 if self.passed else 1

    def to_json(self) -> str:
        data = asdict(self)
        data["passed"] = self.passed
        return json.dumps(data, indent=2)


def _yes(value: bool | None) -> str:
    return "-" if value is None else "yes" if value else "NO"


def render(report: VerifyReport) -> str:
    lines = [f"dockerfix verify {report.dockerfile} (context {report.context})"]
    if report.engine:
        lines.append(f"  engine           {report.engine}")
    if report.error is not None:
        lines.append(f"  cannot verify: {report.error}")
        return "\n".join(lines) + "\n"
    if not report.changed:
        lines.append("  dockerfix does not change this file: nothing to verify")
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
        lines.append(f"    {'line':>4}  {'step':<48} {'original':<9} {'rewritten':<9} expected")
        for s in report.steps:
            expected = "cached" if s.expected_cached else "ran"
            lines.append(f"    {s.line:>4}  {s.instruction:<48} {s.original:<9} {s.rewritten:<9} {expected}")
    if report.manifest or report.cache_evidence or report.cache_read is not None:
        what = report.manifest or "the install step"
        lines.append(f"  cache mount read after changing {what}: {_yes(report.cache_read)}")
        if report.cache_evidence:
            lines.append(f"    {report.cache_evidence}")
    for n in report.notes:
        lines.append(f"  note: {n}")
    for p in report.problems:
        lines.append(f"  problem: {p}")
    lines.append("  result: " + ("verified" if report.passed else "NOT verified"))
    return "\n".join(lines) + "\n"
