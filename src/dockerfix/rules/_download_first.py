"""DFX102's second shape: a whole-context copy before a build that downloads its dependencies
itself, with no dependencies-only step before it (`go build`, `mvn package`, `dotnet publish`).
The tool's own dependencies-only step is inserted before the copy, after a copy of the manifests
it reads (`go mod download`, `mvn dependency:go-offline`, `dotnet restore`), so that a code change
no longer downloads them all again; the build after the copy finds them where the step left them.

Each tool says, in a DownloadStep, which commands build, which are its dependencies-only step
already, what that step reads and how it is spelled for the build it warms up; this module holds
what is common: where the step can go, what must not change between it and the build, and the
edit."""

from __future__ import annotations

import re
from collections.abc import Callable

from dockerfix.context.build_context import BuildContext
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.records import frozen
from dockerfix.rules._split_reads import Reads, Skip, add_project, relative_to, tree_glob, tree_reader

Read = Callable[[str], "str | None"]  # a file of the build's folder, as the copy brings it in


@frozen
class DownloadStep:
    """A tool whose build downloads its dependencies, and its dependencies-only step."""

    tool: str  # as messages name it: "go", "Maven"
    subject: str  # what it downloads, as messages name it: "the Go modules"
    every: str  # the same, in "downloads every module again"
    # the file of the build's folder that makes it this tool's project: go.mod, pom.xml; "" for a
    # tool whose project file has no fixed name, which ``step`` looks for
    manifest: str
    builds: Callable[[Command], bool]  # a command that downloads the dependencies as part of its work
    downloads: Callable[[Command], bool]  # a command that is the dependencies-only step already
    env: re.Pattern[str]  # the variables that decide where and how it downloads
    # the dependencies-only step for the build at a RUN, given the files of its folder and those
    # that match a pattern: the command to insert and what it reads; None when the build is not
    # in a project of the copy (dotnet's *.csproj has no fixed name)
    step: Callable[[Instruction, State, Read, Glob], tuple[str, ProjectInstall] | None]
    # why the build downloads nothing or the step could fail where the build does not (raises Skip)
    check: Callable[[Instruction, State, Read], None]

def build_after(step: DownloadStep, stage: Stage, k: int) -> Instruction | None:
    """The first RUN after the copy at ``k`` that builds with the tool, unless its
    dependencies-only step comes before it."""
    for inst in stage.instructions[k + 1 :]:
        if inst.kind != "RUN" or inst.script.opaque:
            continue
        if any(step.downloads(c) for c in inst.script.commands):
            return None
        if any(step.builds(c) for c in inst.script.commands):
            return inst
    return None


def download_first(
    step: DownloadStep, doc: Document, stage: Stage, k: int, copy: Instruction, dest_abs: str, run: Instruction,
    build: BuildContext,
) -> tuple[str, Reads] | None:  # fmt: skip
    """The command to insert before the copy at ``k`` and what to copy before it: None when the
    build is not in a project of the copy or the dependencies are downloaded first already;
    Skip where the step could fail or download other things than the build."""
    for inst in stage.instructions[:k]:
        if inst.kind == "RUN" and not inst.script.opaque and any(step.downloads(c) for c in inst.script.commands):
            return None  # the dependencies are downloaded first already
    before, at = doc.state(copy), doc.state(run)
    if before.workdir != at.workdir or before.user != at.user:
        raise Skip(f"the WORKDIR or USER changes between the copy and the {step.tool} build at line {run.line_no}")
    cwd = at.workdir
    if relative_to(cwd, dest_abs) is None:
        return None
    read = tree_reader(at, cwd, dest_abs, build)
    if step.manifest and read(step.manifest) is None:
        return None
    for name in sorted(set(before.env) | set(at.env)):
        # a variable declared (ARG) or set between them, even to a value not known, counts
        if step.env.match(name) and (name in before.env, before.env.get(name)) != (name in at.env, at.env.get(name)):
            raise Skip(f"{name} is set between the copy and the {step.tool} build at line {run.line_no}")
    network = run.flag("network")
    if network is not None and network.value != "default":
        raise Skip(f"the {step.tool} build at line {run.line_no} runs with --network={network.value}")
    for m in mounts(run):
        if m.type in ("secret", "ssh"):
            raise Skip(f"the {step.tool} build at line {run.line_no} has a {m.type} mount, which a download may need too")
    step.check(run, at, read)
    planned = step.step(run, at, read, tree_glob(at, cwd, dest_abs, build))
    if planned is None:
        return None
    command, found = planned
    if found.problem:
        raise Skip(found.problem)
    reads = Reads()
    add_project(reads, found, at, cwd, dest_abs, build, run)
    return command, reads
