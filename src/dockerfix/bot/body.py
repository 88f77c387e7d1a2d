"""The title, commit message and body of the pull request: what changed, why, and what to check."""

from __future__ import annotations

from collections import defaultdict

from dockerfix.rules import rule_by_code
from dockerfix.runner import FileReport

TITLE = "Make Docker builds reuse their cache"

_WHY = {
    "DFX101": "The whole build context was copied before the dependency install, so any code edit "
    "re-ran the install. Now the files the install reads are copied first and the rest after it.",
    "DFX102": "The install needed the project's source, so every code edit reinstalled every "
    "dependency. Now the dependencies are installed first and the project after the full copy.",
}


def _why(code: str) -> str:
    if code in _WHY:
        return _WHY[code]
    rule = rule_by_code(code)
    summary = rule.summary if rule is not None else code
    return (
        f"Found here: {summary}. A BuildKit cache mount now keeps the downloads between builds, and "
        "nothing of it reaches the image."
    )


def commit_message(files: list[FileReport]) -> str:
    lines = [TITLE, ""]
    for f in files:
        codes = sorted({x.code for x in f.findings if x.fix is not None})
        lines.append(f"- {f.path}: {', '.join(codes)}")
    lines += ["", "Rewritten by dockerfix; every line outside the edits is unchanged."]
    return "\n".join(lines) + "\n"


def _ci(code: str) -> bool:
    """A finding on a workflow file (DFX3xx): advice in the body, whether or not it was fixed."""
    return code.startswith("DFX3")


def ci_advice(files: list[FileReport]) -> list[FileReport]:
    """The reports that have DFX3xx findings."""
    return [f for f in files if any(_ci(x.code) for x in f.findings)]


def _ci_section(files: list[FileReport]) -> list[str]:
    out = [
        "### CI that keeps the cache",
        "",
        "A GitHub-hosted runner starts every job with an empty builder, so the rewrite pays off there "
        "only if the workflow keeps the caches (docs/rules/DFX301.md, docs/rules/DFX302.md):",
        "",
    ]
    for f in files:
        for x in sorted(f.findings, key=lambda x: (x.line, x.code)):
            if _ci(x.code):
                done = " (changed in this pull request)" if f.written and x.fix is not None else ""
                out.append(f"- `{f.path}` line {x.line + 1}: {x.code} {x.message}{done}")
    return out + [""]


def body(files: list[FileReport], verify_tables: list[str] | None = None, ci: list[FileReport] | None = None) -> str:
    """The pull request's body; ``ci``: the workflow files whose DFX3xx findings it mentions as
    advice, fixed or not."""
    by_rule: dict[str, list[str]] = defaultdict(list)
    for f in files:
        for finding in f.findings:
            if finding.fix is not None and not _ci(finding.code):
                by_rule[finding.code].append(f"`{f.path}` line {finding.line + 1}: {finding.message}")
    out = [
        "dockerfix rewrote the Dockerfiles below so that Docker's build cache works. The images "
        "contain the same files and configuration; only layer boundaries and package caches change.",
        "",
    ]
    for code in sorted(by_rule):
        rule = rule_by_code(code)
        name = rule.name if rule is not None else ""
        out.append(f"### {code} `{name}` (docs/rules/{code}.md)")
        out.append("")
        out.append(_why(code))
        out.append("")
        out += [f"- {line}" for line in by_rule[code]]
        out.append("")
    if ci:
        out += _ci_section(ci)
    out += ["### What a rebuild skips", ""]
    if any(c.startswith("DFX1") for c in by_rule):
        out.append("- After a code edit, the dependency install comes from the layer cache.")
    if any(c.startswith("DFX2") for c in by_rule):
        out.append("- When an install runs again, packages come from the cache mount instead of the network.")
    out += [
        "",
        "### What to check",
        "",
        "- The builds need BuildKit: Docker 23 or later, Docker 20.10+ with `DOCKER_BUILDKIT=1`, "
        "`docker buildx`, or Podman/Buildah 4+. The legacy builder rejects `RUN --mount`.",
        "- Cache mounts live in the builder. On ephemeral CI runners they start empty every time unless "
        "the builder persists (a self-hosted runner) or the mounts are saved and restored (for GitHub "
        "Actions, `reproducible-containers/buildkit-cache-dance`); `docker build --no-cache` empties them too.",
        "- The first build after merging misses the layer cache once for the changed steps.",
    ]
    for table in verify_tables or []:
        out += ["", "### Measured with `dockerfix verify`", "", "```text", table.rstrip(), "```"]
    return "\n".join(out) + "\n"
