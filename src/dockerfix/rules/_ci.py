"""What the CI rules (DFX3xx) ask of a workflow's build and of the Dockerfile it builds, and
their findings. Loaded when a workflow is checked, not with the rules: the workflow model and
the build-command readers it brings stay off the start-up path."""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockerfix.context.readers import WorkflowBuild
from dockerfix.context.yaml_subset import Node
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction
from dockerfix.records import frozen
from dockerfix.rules._common import built_stages
from dockerfix.rules._split_reads import context_copy_words, whole_context_dest
from dockerfix.rules.base import Applicability, Finding, Fix, WorkflowRule
from dockerfix.workflow.edit import CannotEdit, add_inputs
from dockerfix.workflow.model import WorkflowDocument, hosted_runner, job_steps, steps_before, uses

BUILDX = "docker/setup-buildx-action"
UNKNOWN = "*"  # a target an expression gives
_CACHE_INPUTS = ("cache-from", "cache-to")
_DANCE = "*/buildkit-cache-dance"
_UNSAFE = re.compile(r"[^A-Za-z0-9._]+")  # in a scope: what a CSV value or YAML plain scalar may not hold plainly
_LOCAL_DRIVERS = (None, "docker", "docker-container")


def cache_mount(doc: Document, stages: frozenset[int]) -> Instruction | None:
    """The first RUN of one of ``stages`` with a cache mount (`RUN --mount=type=cache`)."""
    for inst in doc.instructions:
        if inst.kind == "RUN" and inst.stage in stages and any(m.type == "cache" for m in mounts(inst)):
            return inst
    return None


def split_install(doc: Document, stages: frozenset[int]) -> Instruction | None:
    """The first RUN that comes, in one of ``stages``, after a copy of part of the build context
    and before a copy of the whole context: the shape in which a code edit keeps the install's
    layer (what DFX101 and DFX102 write)."""
    for stage in doc.stages:
        if stage.index not in stages:
            continue
        partial = False
        run: Instruction | None = None
        for inst in stage.instructions:
            if whole_context_dest(inst) is not None:
                if run is not None:
                    return run
                partial = False
            elif context_copy_words(inst) is not None:
                partial = True
            elif inst.kind == "RUN" and partial and run is None:
                run = inst
    return None


@frozen
class CiBuild:
    """A build on a GitHub-hosted runner whose Dockerfile is known and read."""

    build: WorkflowBuild
    dockerfile: Document
    name: str  # the Dockerfile, relative to the repository root
    target: str | None  # the stage it names, lower-case; None: none (the last stage); UNKNOWN
    stages: frozenset[int]  # the stages it runs (for an UNKNOWN target: those every target runs)

    @property
    def line(self) -> int:
        """The finding's line (0-based): the step's, or the `docker build` line's."""
        return (self.build.command.line if self.build.command is not None else self.build.step.line) - 1

    @property
    def scope(self) -> str | None:
        """The `scope=` of its GitHub Actions cache, one per build (builds that share one replace
        each other's layers): the Dockerfile's path with `-` for every character other than a
        letter, digit, `.` or `_`, and `-<target>`; None when an expression gives the target."""
        if self.target == UNKNOWN:
            return None
        name = _UNSAFE.sub("-", self.name).strip("-") or "Dockerfile"
        return f"{name}-{_UNSAFE.sub('-', self.target)}" if self.target else name

    @property
    def inputs(self) -> Node:
        return self.build.step.get("with") or Node({}, 0)

    def given(self, *names: str) -> bool:
        """The build sets one of these inputs (action) or options (`docker build`)."""
        if self.build.command is not None:
            return any(f"--{n}" in self.build.command.options for n in names)
        values = [self.inputs.get(n) for n in names]
        return any(v is not None and v.value not in (None, "", "false") for v in values)


def buildx_setup(build: WorkflowBuild) -> Node | None:
    """The `docker/setup-buildx-action` step's inputs that set up the build's builder (the last
    one before it in its job); None without one."""
    for step in reversed(steps_before(build)):
        if uses(step, BUILDX):
            return step.get("with") or step
    return None


def builder_on_runner(build: WorkflowBuild) -> bool:
    """The builder lives on the runner, and goes with it: not a remote, cloud or Kubernetes
    driver, nor one on another endpoint (nor one an expression picks), which keep their cache."""
    setup = buildx_setup(build)
    if setup is None:
        return True
    driver, endpoint = setup.get("driver"), setup.get("endpoint")
    return (driver is None or driver.value in _LOCAL_DRIVERS) and (endpoint is None or endpoint.value is None)


def hosted_builds(doc: WorkflowDocument) -> list[CiBuild]:
    """The builds of a known Dockerfile on a GitHub-hosted runner's own builder, without
    `no-cache`."""
    found: list[CiBuild] = []
    for build in doc.builds:
        dockerfile = doc.dockerfile(build)
        if dockerfile is None or build.reference.dockerfile is None or not hosted_runner(build.job_node):
            continue
        if not builder_on_runner(build):
            continue
        name = build.reference.dockerfile
        if name.startswith(doc.root.rstrip("/") + "/"):
            name = name[len(doc.root.rstrip("/")) + 1 :]
        target = build_target(build)
        stages = target_stages(dockerfile, target)
        if stages is None:  # docker stops at once: there is no such stage
            continue
        ci = CiBuild(build, dockerfile, name, target, stages)
        if not ci.given("no-cache"):
            found.append(ci)
    return found


def build_target(build: WorkflowBuild) -> str | None:
    """The stage the build names (`target:`, `--target`), lower-case as BuildKit matches it;
    None: none; UNKNOWN: an expression (`${{ ... }}`, a shell variable) gives it."""
    if build.command is not None:
        text = build.command.target
    else:
        node = (build.step.get("with") or Node({}, 0)).get("target")
        text = None if node is None or node.value is None else node.text if node.text is not None else UNKNOWN
    if text is None or not text.strip():
        return None
    return UNKNOWN if UNKNOWN in text or "${{" in text else text.strip().lower()


def target_stages(doc: Document, target: str | None) -> frozenset[int] | None:
    """The stages a build of ``target`` runs (see ``build_target``); None: it names no stage.

    For a target an expression gives, the stages that every target runs: the rules report
    what a build surely runs, since a report on a stage the build may skip is noise, while
    one missed for a stage only some targets run is a missed improvement, no harm."""
    if not doc.stages:
        return frozenset()
    if target == UNKNOWN:
        return frozenset.intersection(*(built_stages(doc, stage) for stage in doc.stages))
    stage = doc.stages[-1] if target is None else doc.stage_named(target)
    return built_stages(doc, stage) if stage is not None else None


def gha_inputs(scope: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """`cache-from` and `cache-to` of the GitHub Actions cache, in the build's own ``scope``."""
    return ("cache-from", f"type=gha,scope={scope}"), ("cache-to", f"type=gha,mode=max,scope={scope}")


def _what(ci: CiBuild) -> str | None:
    """What in the stages the build runs the layer cache pays off for; None: nothing this rule
    knows."""
    inst = cache_mount(ci.dockerfile, ci.stages)
    if inst is not None:
        return f"`{ci.name}` has cache mounts (line {inst.line_no})"
    inst = split_install(ci.dockerfile, ci.stages)
    if inst is not None:
        return f"`{ci.name}` installs its dependencies before copying the whole context (line {inst.line_no})"
    return None


def _why_no_fix(ci: CiBuild) -> str | None:
    """Why the inputs cannot be added, if they cannot."""
    present = [name for name in _CACHE_INPUTS if name in ci.inputs.mapping]
    if present:  # empty or `false`: a second one would be a duplicate key
        return f"the step already sets `{present[0]}` (empty or false); set both inputs by hand"
    if ci.scope is None:  # builds of several targets would share one scope, and replace each other's cache
        return "an expression gives its `target`, so no scope that names the build can be given; add the inputs with a `scope=` per target by hand"
    return _buildx_driver(ci)


def _buildx_driver(ci: CiBuild) -> str | None:
    """Why `type=gha` cannot be added, if it cannot: no builder that exports caches."""
    setup = buildx_setup(ci.build)
    if setup is not None:
        driver = setup.get("driver")
        if driver is None or driver.text == "docker-container":
            return None
        return f"`{BUILDX}` sets `driver: {driver.text}`, and `type=gha` needs the docker-container driver"
    return (
        f"no `{BUILDX}` step comes before it, and the default docker driver rejects `cache-to: type=gha` "
        "(\"Cache export is not supported for the docker driver\"); add one first"
    )


def layer_cache_findings(rule: WorkflowRule, doc: WorkflowDocument) -> Iterator[Finding]:
    """DFX301's findings: builds whose Dockerfile gains from a layer cache that nothing keeps."""
    for ci in hosted_builds(doc):
        what = _what(ci)
        if what is None or ci.given(*_CACHE_INPUTS):
            continue
        head = (
            f"{what}, but this build on a GitHub-hosted runner keeps no layer cache: every run "
            "starts from an empty builder and rebuilds every step"
        )
        if ci.build.command is not None:
            (_, cache_from), (_, cache_to) = gha_inputs(ci.scope or "<one per target>")
            yield rule.finding(ci.line, (
                f"{head}; give it a persistent cache, e.g. `--cache-from {cache_from} "
                f"--cache-to {cache_to}` with a docker-container builder, or a registry cache "
                "(a `run:` script is not edited)"
            ))  # fmt: skip
            continue
        why, fix = _why_no_fix(ci), None
        if why is None and ci.scope is not None:  # (no scope: `_why_no_fix` says why)
            inputs = gha_inputs(ci.scope)
            spelled = f"`cache-from: {inputs[0][1]}` and `cache-to: {inputs[1][1]}`"
            try:
                fix = Fix(f"add {spelled}", (add_inputs(doc.lines, ci.build.step, inputs),), Applicability.UNSAFE)
            except CannotEdit as exc:
                why = f"the step cannot be edited in place: {exc}"
        if fix is not None:
            yield rule.finding(ci.line, (
                f"{head}; {spelled} keep the layers in the repository's GitHub Actions cache, in a scope "
                "of this build's own (unsafe: it changes where CI stores data, and uses its space)"
            ), fix)  # fmt: skip
        else:
            yield rule.finding(ci.line, f"{head}; not changed: {why}")


def cache_mount_findings(rule: WorkflowRule, doc: WorkflowDocument) -> Iterator[Finding]:
    """DFX302's findings: builds whose cache mounts no step of their job saves and restores."""
    for ci in hosted_builds(doc):
        inst = cache_mount(ci.dockerfile, ci.stages)
        if inst is None or any(uses(step, _DANCE) for step in job_steps(ci.build)):
            continue
        yield rule.finding(ci.line, (
            f"`{ci.name}` has cache mounts (line {inst.line_no}), but on a GitHub-hosted runner they start "
            "empty in every run and the layer cache does not keep them; save and restore them with a step "
            "such as `reproducible-containers/buildkit-cache-dance`"
        ))  # fmt: skip
