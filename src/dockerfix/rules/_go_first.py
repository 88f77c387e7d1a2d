"""DFX102 for Go: a whole-context copy before a `go build` with no `go mod download` first. The
modules are downloaded before the copy, from go.mod and go.sum, so that a code change no longer
downloads them all again; the build after the copy finds them in the module cache."""

from __future__ import annotations

import re

from dockerfix.document.model import Instruction
from dockerfix.document.shell import Command, parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.golang import GO, go_download, loads_module, proxy_off, vendored
from dockerfix.ecosystems.packages import read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.rules._download_first import DownloadStep, Read
from dockerfix.rules._split_reads import Skip

_DOWNLOAD = parse_shell("go mod download").commands[0]


def _step(run: Instruction, state: State, read: Read, glob: Glob) -> tuple[str, ProjectInstall]:
    found = go_download(_DOWNLOAD, read, check_sums=False)
    assert found is not None
    return "go mod download", found


def _check(run: Instruction, state: State, read: Read) -> None:
    """Stop where the build does not download: vendored modules, no proxy."""
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


def _downloads(command: Command) -> bool:
    return go_download(command, lambda _: None) is not None


GO_FIRST = DownloadStep(
    tool="go",
    subject="the Go modules",
    every="every module",
    manifest="go.mod",
    builds=loads_module,
    downloads=_downloads,
    # what decides where and how go downloads modules
    env=re.compile(r"^(GO\w*|CGO_\w+|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|NETRC|HOME|XDG_\w+)$"),
    step=_step,
    check=_check,
)
