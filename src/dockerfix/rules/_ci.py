"""What the CI rules (DFX3xx) ask of a workflow's build and of the Dockerfile it builds."""

from __future__ import annotations

import re
from dataclasses import dataclass

from dockerfix.context.sources import WorkflowBuild
from dockerfix.context.yaml_subset import Node
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction
from dockerfix.rules._common import built_stages
from dockerfix.rules._split_reads import context_copy_words, whole_context_dest
from dockerfix.workflow.model import WorkflowDocument, hosted_runner, steps_before, uses

BUILDX = "docker/setup-buildx-action"
UNKNOWN = "*"  # a target an expression gives
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


@dataclass(frozen=True)
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
