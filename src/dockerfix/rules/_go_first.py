"""DFX102 for Go: a whole-context copy before a `go build` with no `go mod download` first. The
modules are downloaded before the copy, from go.mod and go.sum, so that a code change no longer
downloads them all again; the build after the copy finds them in the module cache."""

from __future__ import annotations

import re
from collections.abc import Callable

from dockerfix.context.build_context import BuildContext
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.golang import GO, go_download, loads_module, proxy_off, vendored
from dockerfix.ecosystems.packages import read_call
from dockerfix.rules._split_reads import Reads, Skip, add_project, relative_to, tree_reader

# what decides where and how go downloads modules
_GO_ENV = re.compile(r"^(GO\w*|CGO_\w+|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|NETRC|HOME|XDG_\w+)$")
_DOWNLOAD = parse_shell("go mod download").commands[0]


def go_build_after(doc: Document, stage: Stage, k: int) -> Instruction | None:
    """The first RUN after the copy at ``k`` that builds the packages of a Go module, unless a
    `go mod download` comes before it."""
    for inst in stage.instructions[k + 1 :]:
        if inst.kind != "RUN" or inst.script.opaque:
            continue
        if any(go_download(c, lambda _: None) is not None for c in inst.script.commands):
            return None
        if any(loads_module(c) for c in inst.script.commands):
            return inst
    return None


def go_download_first(
    doc: Document, stage: Stage, k: int, copy: Instruction, dest_abs: str, run: Instruction, build: BuildContext
) -> Reads | None:
    """What to copy before the copy at ``k`` for a `go mod download` there: None when the build
    is not in a module of the copy or the modules are downloaded first already; Skip where the
    download could fail or differ from the build's."""
    before, at = doc.state(copy), doc.state(run)
    if before.workdir != at.workdir or before.user != at.user:
        raise Skip(f"the WORKDIR or USER changes between the copy and the go build at line {run.line_no}")
    cwd = at.workdir
    here = relative_to(cwd, dest_abs)
    if here is None:
        return None
    read = tree_reader(at, cwd, dest_abs, build)
    if read("go.mod") is None:
        return None
    for name in sorted(set(before.env) | set(at.env)):
        if _GO_ENV.match(name) and before.env.get(name) != at.env.get(name):
            raise Skip(f"{name} is set between the copy and the go build at line {run.line_no}")
    _check_network(at, run, read)
    for inst in stage.instructions[:k]:
        if inst.kind == "RUN" and not inst.script.opaque and any(go_download(c, read) for c in inst.script.commands):
            return None
    found = go_download(_DOWNLOAD, read, check_sums=False)
    assert found is not None
    reads = Reads()
    add_project(reads, found, at, cwd, dest_abs, build, run)
    return reads


def _check_network(state: State, run: Instruction, read: Callable[[str], str | None]) -> None:
    """Stop where the build does not download (vendored modules, no proxy) or needs what a new
    RUN would not have (secrets, SSH, no network)."""
    env = state.env
    if env.get("GOFLAGS", "") is None or env.get("GOPROXY", "") is None:
        raise Skip("GOFLAGS or GOPROXY is set to a value that is not known")
    calls = [c for c in (read_call(cmd, GO) for cmd in run.script.commands) if c is not None]
    if "-mod=vendor" in run.command_text or any(vendored(c, run_env(state, c.invocation)) for c in calls):
        raise Skip(f"the go build at line {run.line_no} uses vendor/, so it downloads nothing")
    if read("vendor/modules.txt") is not None:
        raise Skip("the module has a vendor/ folder, which go uses instead of downloading")
    if proxy_off(env):
        raise Skip("GOPROXY=off: go downloads nothing")
    network = run.flag("network")
    if network is not None and network.value != "default":
        raise Skip(f"the go build at line {run.line_no} runs with --network={network.value}")
    for m in mounts(run):
        if m.type in ("secret", "ssh"):
            raise Skip(f"the go build at line {run.line_no} has a {m.type} mount, which a download may need too")
