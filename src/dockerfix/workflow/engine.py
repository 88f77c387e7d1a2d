"""The engine for workflow files: run the DFX3xx rules, apply their non-overlapping fixes, read
the result again, check that it only gained what the fixes add, repeat to a fixed point."""

from __future__ import annotations

from collections.abc import Sequence

from dockerfix.engine import FixResult, VerificationError, apply_edits, fixed_point
from dockerfix.records import replace
from dockerfix.rules.base import Finding, RuleContext, WorkflowRule
from dockerfix.suppressions import line_suppressions
from dockerfix.workflow.edit import contains
from dockerfix.workflow.model import WorkflowDocument


def run_workflow_rules(doc: WorkflowDocument, rules: Sequence[WorkflowRule], ctx: RuleContext) -> list[Finding]:
    """Every rule's findings, less those a `# dockerfix: ignore` comment suppresses."""
    quiet = line_suppressions(doc.lines)
    ctx = replace(ctx, suppressions=quiet)
    findings: list[Finding] = []
    for rule in rules:
        findings.extend(rule.check(doc, ctx))
    return quiet.filter(findings)


def fix_workflow(doc: WorkflowDocument, rules: Sequence[WorkflowRule], ctx: RuleContext) -> FixResult:
    """Run ``rules`` on ``doc`` to a fixed point. Raises VerificationError when a pass gives a
    file the YAML reader cannot read or one that lost or changed anything."""
    if line_suppressions(doc.lines).skip_file or doc.tree is None:
        return FixResult(doc.source, doc.source, (), True)

    def step(current: WorkflowDocument, chosen: list[Finding]) -> WorkflowDocument:
        codes = sorted({f.code for f in chosen})
        output, _ = apply_edits(current.source, [e for f in chosen if f.fix is not None for e in f.fix.edits])
        after = current.with_source(output)
        if after.tree is None:
            raise VerificationError(codes, f"the fixed workflow cannot be read ({after.problem})")
        if not contains(current.tree, after.tree):
            raise VerificationError(codes, "the fixed workflow lost or changed a value")
        return after

    settings = ctx.settings
    return fixed_point(doc, settings.unsafe_fixes, settings.max_iterations, lambda d: run_workflow_rules(d, rules, ctx), step)
