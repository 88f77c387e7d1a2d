"""What the CI rules (DFX3xx) ask of a workflow's build and of the Dockerfile it builds."""

from __future__ import annotations

from dataclasses import dataclass

from dockerfix.context.sources import WorkflowBuild
from dockerfix.context.yaml_subset import Node
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction
from dockerfix.rules._split_reads import context_copy_words, whole_context_dest
from dockerfix.workflow.model import WorkflowDocument, hosted_runner, steps_before, uses

BUILDX = "docker/setup-buildx-action"
_LOCAL_DRIVERS = (None, "docker", "docker-container")


def cache_mount(doc: Document) -> Instruction | None:
    """The first RUN with a cache mount (`RUN --mount=type=cache`)."""
    for inst in doc.instructions:
        if inst.kind == "RUN" and any(m.type == "cache" for m in mounts(inst)):
            return inst
    return None


def split_install(doc: Document) -> Instruction | None:
    """The first RUN that comes, in its stage, after a copy of part of the build context and
    before a copy of the whole context: the shape in which a code edit keeps the install's layer
    (what DFX101 and DFX102 write)."""
    for stage in doc.stages:
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

    @property
    def line(self) -> int:
        """The finding's line (0-based): the step's, or the `docker build` line's."""
        return (self.build.command.line if self.build.command is not None else self.build.step.line) - 1

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
        ci = CiBuild(build, dockerfile, name)
        if not ci.given("no-cache"):
            found.append(ci)
    return found
