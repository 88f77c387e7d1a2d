"""What the commands of Node's package managers, Go, cargo and dotnet read and write in the
image, for the effects model: their project installs (npm ci, yarn, pnpm, bun, go mod download,
cargo fetch, dotnet restore), and the commands that read nothing of a project (global installs,
configuration, cache commands, corepack, `go install pkg@version`, `go env`, `dotnet --info`)."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from dockerfix.document.effects import Effects, Paths, anything
from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems.cargo import CARGO
from dockerfix.ecosystems.dotnet import dotnet_call
from dockerfix.ecosystems.golang import GO
from dockerfix.ecosystems.node import global_or_tool
from dockerfix.ecosystems.packages import read_call
from dockerfix.ecosystems.project_install import ProjectInstall

Homes = Callable[..., Paths]  # home_paths(state, *names)

# where each tool keeps what it downloads, configures and installs globally, outside a project
_HOME = {
    "node": (".npm", ".npmrc", ".cache", ".config", ".local", ".yarn", ".yarnrc", ".bun", ".pnpm-store"),
    "go": ("go", ".cache", ".config"),
    "cargo": (".cargo", ".rustup", ".cache"),
    # NuGet's packages and configuration, its HTTP cache, the SDK's first-run files and tools
    "dotnet": (".nuget", ".local/share/NuGet", ".dotnet", ".templateengine"),
}
_ENV = {
    "node": ("npm_config_cache", "NPM_CONFIG_CACHE", "npm_config_prefix", "NPM_CONFIG_PREFIX", "YARN_CACHE_FOLDER",
             "YARN_GLOBAL_FOLDER", "PNPM_HOME", "npm_config_store_dir", "BUN_INSTALL", "BUN_INSTALL_CACHE_DIR",
             "COREPACK_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"),
    "go": ("GOPATH", "GOMODCACHE", "GOCACHE", "GOBIN", "GOENV", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"),
    "cargo": ("CARGO_HOME", "RUSTUP_HOME", "CARGO_TARGET_DIR", "XDG_CACHE_HOME"),
    "dotnet": ("NUGET_PACKAGES", "NUGET_HTTP_CACHE_PATH", "NUGET_PLUGINS_CACHE_PATH", "NUGET_SCRATCH",
               "DOTNET_CLI_HOME", "XDG_DATA_HOME"),
}  # fmt: skip
# what they write outside the home folder: Node's global prefix and yarn 1's cache and global
# folder for root, pnpm's store at the root of the file system when it cannot link to its home
_SYSTEM = {
    "node": ("/usr/local/lib/node_modules", "/usr/local/bin", "/usr/local/share", "/usr/local/etc", "/.pnpm-store"),
    "go": (),
    "cargo": (),
    # NuGet's scratch folder (/tmp/NuGetScratch<user>)
    "dotnet": ("/tmp/NuGetScratchroot", "/tmp/NuGetScratch"),
}
_FAMILY = {"npm": "node", "yarn": "node", "pnpm": "node", "bun": "node", "corepack": "node", "go": "go", "cargo": "cargo",
           "dotnet": "dotnet"}  # fmt: skip
TOOLCHAINS = frozenset(_FAMILY)  # the project installs whose effects this module tells


def tool_dirs(family: str, state: State, homes: Homes) -> Paths | str:
    """Where a tool of ``family`` writes outside its project; the reason when a variable that
    moves it has a value that is not known."""
    found: list[str] = list(_SYSTEM[family])
    for var in _ENV[family]:
        if var in state.env:
            value = state.env[var]
            if value is None or not value.startswith("/"):
                return f"{var} is set to a value that is not known"
            found += [p for p in value.split(":") if p.startswith("/")]
    return homes(state, *_HOME[family]) | Paths.of(*found)


def install_effects(project: ProjectInstall, state: State, cwd: str, manifests: Paths, homes: Homes) -> Effects:
    """A Node, Go or cargo project install: it reads its manifests and the tool's own folders,
    writes those folders, what it creates in its folder and the lock file beside the manifests."""
    family = _FAMILY[project.tool]
    outside = tool_dirs(family, state, homes)
    if isinstance(outside, str):
        return anything(outside)
    locks = [n for n in project.files + project.optional
             if n.endswith((".lock", "-lock.json", "lock.yaml", ".lockb", ".sum", "packages.lock.json"))]  # fmt: skip
    own = Paths.of(*(posixpath.normpath(posixpath.join(cwd, n)) for n in (*project.environments, *project.dirs, *locks)))
    settings = Paths.of(*(posixpath.join(folder, ".cargo") for folder in _ancestors(cwd))) if family == "cargo" else Paths()
    return Effects(reads=manifests | outside | settings, writes=outside | own)


def tool_command_effects(command: Command, state: State, cwd: str, homes: Homes) -> Effects | None:
    """A Node, Go or cargo command that reads nothing of the project it runs in, or None."""
    family = _tool_family(command)
    if family is None:
        return None
    outside = tool_dirs(family, state, homes)
    if isinstance(outside, str):
        return anything(outside)
    reads = outside
    if family == "node" and _corepack_reads_project(command):
        reads = reads | Paths.of(*(posixpath.join(folder, "package.json") for folder in _ancestors(cwd)))
    return Effects(reads=reads, writes=outside)


def _tool_family(command: Command) -> str | None:
    if global_or_tool(command):
        return "node"
    rest = _corepack_words(command)
    if rest and rest[0] in ("enable", "disable", "prepare", "install", "--version", "-v"):
        return "node"
    go = read_call(command, GO)
    if go is not None:
        if go.subcommand in ("version", "env") and (go.subcommand == "version" or not go.has("-u")):
            return "go"
        if go.subcommand == "install" and go.operands and all("@" in w.value for w in go.operands):
            return "go"  # `go install pkg@version` ignores the go.mod of the folder it runs in
    cargo = read_call(command, CARGO)
    if cargo is not None and (cargo.has("--version", "-V") or cargo.subcommand == "--version"):
        return "cargo"
    dotnet = dotnet_call(command)
    if dotnet is not None and (dotnet.verb in _DOTNET_QUIET or (not dotnet.verb and not dotnet.operands)):
        return "dotnet"  # `dotnet --info`, `dotnet nuget locals all --clear`
    return None


_DOTNET_QUIET = frozenset({"nuget locals", "workload list", "sdk check", "dev-certs"})


def _corepack_reads_project(command: Command) -> bool:
    """`corepack prepare` and `corepack install` without a package manager read package.json's
    packageManager field."""
    rest = _corepack_words(command) or []
    return bool(rest) and rest[0] in ("prepare", "install") and not [v for v in rest[1:] if not v.startswith("-")]


def _corepack_words(command: Command) -> list[str] | None:
    """The words after `corepack` when it is among the command's first words, else None."""
    values = [w.value for w in command.argv]
    names = [v.rsplit("/", 1)[-1] for v in values[:4]]
    return values[names.index("corepack") + 1 :] if "corepack" in names else None


def _ancestors(folder: str) -> list[str]:
    out = [folder]
    while out[-1] != "/":
        out.append(posixpath.dirname(out[-1]))
    return out
