"""The fix engine: run the rules, apply non-overlapping fixes, re-parse, verify, repeat.

This is the only place where edits become text. Every line that no edit covers is copied from
the original unchanged, and after each pass the result must parse, keep its parser directives
first and keep every instruction outside the edits byte-identical.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from dockerfix.document.edit import without_continuation
from dockerfix.document.model import Document
from dockerfix.document.parse import ParseError, parse
from dockerfix.document.source import SourceText
from dockerfix.records import frozen, replace
from dockerfix.rules.base import Applicability, DockerfileRule, Edit, Finding, Fix, RuleContext
from dockerfix.suppressions import suppressions


class VerificationError(RuntimeError):
    def __init__(self, codes: Sequence[str], message: str) -> None:
        super().__init__(message)
        self.codes = tuple(codes)


@frozen
class FixResult:
    source: SourceText
    output: SourceText
    findings: tuple[Finding, ...]
    converged: bool

    @property
    def changed(self) -> bool:
        return self.output.to_bytes() != self.source.to_bytes()


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return a.start == b.start
    if a.start == a.end:
        return b.start < a.start < b.end
    if b.start == b.end:
        return a.start < b.start < a.end
    return a.start < b.end and b.start < a.end


def select_fixes(findings: Sequence[Finding], unsafe: bool) -> list[Finding]:
    """The findings whose fixes apply in this pass: enabled, and not overlapping an earlier one."""
    taken: list[Finding] = []
    edits: list[Edit] = []  # accepted so far, sorted by (start, end); they never overlap
    candidates = [f for f in findings if f.fix is not None and _applies(f.fix, unsafe)]
    for finding in sorted(candidates, key=lambda f: f.fix.span if f.fix else (0, 0)):
        assert finding.fix is not None
        if any(_clashes(e, edits) for e in finding.fix.edits):
            continue
        taken.append(finding)
        for e in finding.fix.edits:
            bisect.insort(edits, e, key=lambda x: (x.start, x.end))
    return taken


def _clashes(edit: Edit, accepted: list[Edit]) -> bool:
    # accepted edits do not overlap one another, so only the neighbours of edit's place can
    i = bisect.bisect_left(accepted, edit.start, key=lambda x: x.start)
    return any(_overlaps(edit, accepted[j]) for j in range(max(i - 1, 0), min(i + 2, len(accepted))))


def _applies(fix: Fix, unsafe: bool) -> bool:
    if fix.applicability is Applicability.SAFE:
        return True
    return fix.applicability is Applicability.UNSAFE and unsafe


def apply_edits(source: SourceText, edits: Sequence[Edit]) -> tuple[SourceText, dict[int, int]]:
    """Splice the edits into the source; return the new text and where each untouched original
    line went."""
    ordered = sorted(edits, key=lambda e: (e.start, e.end != e.start, e.end))
    lines: list[str] = []
    endings: list[str] = []
    moved: dict[int, int] = {}
    pos = 0
    for edit in ordered:
        for i in range(pos, edit.start):
            moved[i] = len(lines)
            lines.append(source.lines[i])
            endings.append(source.endings[i])
        for text in edit.lines:
            lines.append(text)
            endings.append(source.newline)
        pos = max(pos, edit.end)
    for i in range(pos, len(source.lines)):
        moved[i] = len(lines)
        lines.append(source.lines[i])
        endings.append(source.endings[i])
    return source.replace_lines(lines, endings), moved


def verify(before: Document, after: Document, edits: Sequence[Edit], moved: dict[int, int], codes: Sequence[str]) -> None:
    if [(d.name, d.value, d.line) for d in before.directives] != [
        (d.name, d.value, d.line) for d in after.directives
    ]:
        raise VerificationError(codes, "the parser directives changed")
    starts = {i.start: i for i in after.instructions}
    replaced = [0] * (len(before.lines) + 1)  # prefix sums of lines that an edit replaces
    for e in edits:
        for line in range(e.start, e.end):
            replaced[line + 1] = 1
    for k in range(len(before.lines)):
        replaced[k + 1] += replaced[k]
    inserts = sorted(e.start for e in edits if e.start == e.end)
    for inst in before.instructions:
        inside = bisect.bisect_right(inserts, inst.start) < bisect.bisect_left(inserts, inst.end)
        if inside or replaced[inst.end] > replaced[inst.start]:
            continue
        new_start = moved.get(inst.start)
        new = starts.get(new_start) if new_start is not None else None
        if new is None or new.end - new.start != inst.end - inst.start:
            raise VerificationError(codes, f"the instruction at line {inst.line_no} was not kept")
        for k in range(inst.end - inst.start):
            if after.lines[new.start + k] != before.lines[inst.start + k]:
                raise VerificationError(codes, f"the instruction at line {inst.line_no} changed")


def run_rules(doc: Document, rules: Sequence[DockerfileRule], ctx: RuleContext) -> list[Finding]:
    """Every rule's findings, less those that an inline `# dockerfix: ignore` suppresses."""
    quiet = suppressions(doc)
    ctx = replace(ctx, suppressions=quiet)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(rule.check(doc, ctx))
    return quiet.filter(findings)


def _close_open_end(doc: Document, edits: list[Edit]) -> list[Edit]:
    """Where the file ends inside a line continuation, BuildKit ends the last instruction there.
    Once an edit puts anything after that line, or moves the instruction, the line must stop
    continuing, or it would take in what now follows it."""
    if not doc.instructions or not edits:
        return edits
    last = doc.instructions[-1]
    line = last.segments[-1].line
    text = doc.lines[line]
    if not text.rstrip(" \t").endswith(doc.escape) or not any(e.end > line for e in edits):
        return edits
    closed = without_continuation(text, doc.escape)
    follows = any(e.start > line for e in edits)  # an edit puts text after the line
    out: list[Edit] = []
    for e in edits:
        lines = tuple(closed if t == text else t for t in e.lines)
        # an edit of the line itself (a cache mount added) still ends it with the escape
        if follows and e.start <= line < e.end and lines:
            lines = lines[:-1] + (without_continuation(lines[-1], doc.escape),)
        out.append(Edit(e.start, e.end, lines))
    if not any(e.start <= line < e.end for e in edits):
        out.append(Edit(line, line + 1, (closed,)))
    return out


class _Versioned(Protocol):
    """A document the fixed-point loop can run on: it has its source text."""

    @property
    def source(self) -> SourceText: ...


D = TypeVar("D", bound=_Versioned)


def fixed_point(
    doc: D, unsafe: bool, max_iterations: int, run: Callable[[D], list[Finding]], step: Callable[[D, list[Finding]], D]
) -> FixResult:
    """Run the rules (``run``) and apply the fixes chosen (``step``, which raises
    VerificationError when the result does not verify) until nothing is left to fix. The
    findings of the first pass are reported, and those of fixes deferred to a later pass."""
    reported: list[Finding] = []
    current = doc
    for iteration in range(max_iterations):
        findings = run(current)
        if iteration == 0:
            reported.extend(findings)
        chosen = select_fixes(findings, unsafe)
        if not chosen:
            return FixResult(doc.source, current.source, tuple(reported), True)
        if iteration > 0:
            # a fix deferred from an earlier pass was reported then already
            seen = {(f.code, f.message) for f in reported}
            reported.extend(f for f in chosen if (f.code, f.message) not in seen)
        current = step(current, chosen)
    return FixResult(doc.source, current.source, tuple(reported), False)


def fix_document(doc: Document, rules: Sequence[DockerfileRule], ctx: RuleContext) -> FixResult:
    """Run ``rules`` on ``doc`` to a fixed point. Raises VerificationError if a pass produced a
    file that does not verify (the caller then leaves the file untouched)."""
    if suppressions(doc).skip_file:
        return FixResult(doc.source, doc.source, (), True)

    def step(current: Document, chosen: list[Finding]) -> Document:
        edits = _close_open_end(current, [e for f in chosen if f.fix is not None for e in f.fix.edits])
        codes = sorted({f.code for f in chosen})
        current.let_go()  # the edits are made: from here on its lines are what is read of it
        output, moved = apply_edits(current.source, edits)
        try:
            after = parse(output, cross_check=False)
        except ParseError as exc:
            raise VerificationError(codes, f"the fixed file does not parse: {exc.message} (line {exc.line + 1})") from exc
        verify(current, after, edits, moved, codes)
        return after

    settings = ctx.settings
    return fixed_point(doc, settings.unsafe_fixes, settings.max_iterations, lambda d: run_rules(d, rules, ctx), step)
