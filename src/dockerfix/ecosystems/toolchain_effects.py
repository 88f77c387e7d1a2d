"""What the commands of Node's package managers, Go, cargo, Maven, Gradle, Bundler, Composer
and dotnet read and write in the image, for the effects model: their project installs (npm ci, yarn, pnpm,
bun, go mod download, cargo fetch, mvn dependency:go-offline, gradle dependencies, bundle
install, composer install, dotnet restore), and the commands that read nothing of a project (global installs,
configuration, cache commands, corepack, `go install pkg@version`, `go env`, `mvn --version`,
`gem install name`, `composer --version`, `dotnet --info`). `bundle config set --local` writes the project's
`.bundle/config`, unless BUNDLE_APP_CONFIG moves it."""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from dockerfix.document.effects import Effects, Paths, anything
from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems import tools
from dockerfix.ecosystems.packages import read_call
from dockerfix.ecosystems.project_install import ProjectInstall

Homes = Callable[..., Paths]  # home_paths(state, *names)

# where each tool keeps what it downloads, configures and installs globally, outside a project
_HOME = {
    "node": (".npm", ".npmrc", ".cache", ".config", ".local", ".yarn", ".yarnrc", ".bun", ".pnpm-store"),
    "go": ("go", ".cache", ".config"),
    "cargo": (".cargo", ".rustup", ".cache"),
    "maven": (".m2", ".java"),
    "gradle": (".gradle", ".m2", ".java", ".konan"),
    "ruby": (".bundle", ".gem", ".local/share/gem", ".cache"),
    "composer": (".composer", ".cache/composer", ".config/composer", ".local/share/composer"),
    # NuGet's packages and configuration, its HTTP cache, the SDK's first-run files and tools
    "dotnet": (".nuget", ".local/share/NuGet", ".dotnet", ".templateengine"),
}
_ENV = {
    "node": ("npm_config_cache", "NPM_CONFIG_CACHE", "npm_config_prefix", "NPM_CONFIG_PREFIX", "YARN_CACHE_FOLDER",
             "YARN_GLOBAL_FOLDER", "PNPM_HOME", "npm_config_store_dir", "BUN_INSTALL", "BUN_INSTALL_CACHE_DIR",
             "COREPACK_HOME", "XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"),
    "go": ("GOPATH", "GOMODCACHE", "GOCACHE", "GOBIN", "GOENV", "XDG_CACHE_HOME", "XDG_CONFIG_HOME"),
    "cargo": ("CARGO_HOME", "RUSTUP_HOME", "CARGO_TARGET_DIR", "XDG_CACHE_HOME"),
    "maven": ("MAVEN_CONFIG", "MAVEN_USER_HOME"),
    "gradle": ("GRADLE_USER_HOME", "GRADLE_RO_DEP_CACHE"),
    "ruby": ("GEM_HOME", "GEM_PATH", "GEM_SPEC_CACHE", "BUNDLE_PATH", "BUNDLE_APP_CONFIG", "BUNDLE_USER_HOME",
             "BUNDLE_USER_CACHE", "BUNDLE_USER_CONFIG", "BUNDLE_USER_PLUGIN", "XDG_CACHE_HOME", "XDG_DATA_HOME",
             "XDG_CONFIG_HOME"),
    "composer": ("COMPOSER_HOME", "COMPOSER_CACHE_DIR", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME"),
    "dotnet": ("NUGET_PACKAGES", "NUGET_HTTP_CACHE_PATH", "NUGET_PLUGINS_CACHE_PATH", "NUGET_SCRATCH",
               "DOTNET_CLI_HOME", "XDG_DATA_HOME"),
}  # fmt: skip
# set to a relative path, these name a folder of the project, which the project install tells
_PROJECT_RELATIVE = frozenset({"BUNDLE_PATH"})
# what they write outside the home folder: Node's global prefix and yarn 1's cache and global
# folder for root, pnpm's store at the root of the file system when it cannot link to its home
_SYSTEM = {
    "node": ("/usr/local/lib/node_modules", "/usr/local/bin", "/usr/local/share", "/usr/local/etc", "/.pnpm-store"),
    "go": (),
    "cargo": (),
    "maven": (),
    "gradle": (),
    # the gem folders and executables of a Ruby without GEM_HOME
    "ruby": ("/usr/local/lib/ruby", "/var/lib/gems", "/usr/lib/ruby", "/usr/local/bin"),
    "composer": (),
    # NuGet's scratch folder (/tmp/NuGetScratch<user>)
    "dotnet": ("/tmp/NuGetScratchroot", "/tmp/NuGetScratch"),
}
# the JVM options through which Maven and Gradle may take another local repository or home folder
_JVM_OPTIONS = ("MAVEN_OPTS", "MAVEN_ARGS", "GRADLE_OPTS", "JAVA_OPTS", "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS")
_JVM_PATHS = ("maven.repo.local", "user.home", "gradle.user.home")
_FAMILY = {"npm": "node", "yarn": "node", "pnpm": "node", "bun": "node", "corepack": "node", "go": "go", "cargo": "cargo",
           "mvn": "maven", "gradle": "gradle", "bundle": "ruby", "composer": "composer", "dotnet": "dotnet"}  # fmt: skip
TOOLCHAINS = frozenset(_FAMILY)  # the project installs whose effects this module tells


def tool_dirs(family: str, state: State, homes: Homes) -> Paths | str:
    """Where a tool of ``family`` writes outside its project; the reason when a variable that
    moves it has a value that is not known."""
    found: list[str] = list(_SYSTEM[family])
    for var in _ENV[family]:
        if var in state.env:
            value = state.env[var]
            if value is not None and var in _PROJECT_RELATIVE and not value.startswith(("/", "$", "~")):
                continue
            if value is None or not value.startswith("/"):
                return f"{var} is set to a value that is not known"
            found += [p for p in value.split(":") if p.startswith("/")]
    if family in ("maven", "gradle"):
        for var in _JVM_OPTIONS:
            value = state.env.get(var, "")
            if value is None or any(f"-D{name}=" in value for name in _JVM_PATHS):
                return f"{var} is set to a value that is not known or moves {family}'s folders"
    return homes(state, *_HOME[family]) | Paths.of(*found)


def install_effects(project: ProjectInstall, state: State, cwd: str, manifests: Paths, homes: Homes) -> Effects:
    """A project install of one of these tools: it reads its manifests and the tool's own folders,
    writes those folders, what it creates in its folder and the lock file beside the manifests."""
    family = _FAMILY[project.tool]
    outside = tool_dirs(family, state, homes)
    if isinstance(outside, str):
        return anything(outside)
    locks = [n for n in project.files + project.optional
             if n.endswith((".lock", "-lock.json", "lock.yaml", ".lockb", ".sum", ".locked", "packages.lock.json"))]  # fmt: skip
    own = Paths.of(*(posixpath.normpath(posixpath.join(cwd, n)) for n in (*project.environments, *project.dirs, *locks)))
    for value in project.call.values("-D") if family == "maven" else ():
        name, _, path = value.partition("=")
        if name in _JVM_PATHS and path.startswith("/"):
            outside = outside | Paths.of(path)  # a relative one is among the project's environments
    settings = Paths.of(*(posixpath.join(folder, ".cargo") for folder in _ancestors(cwd))) if family == "cargo" else Paths()
    return Effects(reads=manifests | outside | settings, writes=outside | own)


def tool_command_effects(command: Command, state: State, cwd: str, homes: Homes) -> Effects | None:
    """A command of one of these tools that reads nothing of the project it runs in (but for
    corepack's package.json and Bundler's local configuration), or None."""
    family = _tool_family(command)
    if family is None:
        return None
    outside = tool_dirs(family, state, homes)
    if isinstance(outside, str):
        return anything(outside)
    reads = outside
    writes = outside
    if family == "node" and _corepack_reads_project(command):
        reads = reads | Paths.of(*(posixpath.join(folder, "package.json") for folder in _ancestors(cwd)))
    if family == "ruby" and _bundle_config_local(command):
        # it finds the project by its Gemfile and writes .bundle/config there, or in BUNDLE_APP_CONFIG
        folders = _ancestors(cwd)
        reads = reads | Paths.of(*(posixpath.join(f, n) for f in folders for n in ("Gemfile", "gems.rb", ".bundle")))
        if "BUNDLE_APP_CONFIG" not in state.env:
            writes = writes | Paths.of(*(posixpath.join(f, ".bundle") for f in folders))
    return Effects(reads=reads, writes=writes)


def _bundle_config_local(command: Command) -> bool:
    from dockerfix.ecosystems.bundler import bundle_config_local

    return bundle_config_local(command) is not None


def _tool_family(command: Command) -> str | None:
    if not tools.command_names(command) & tools.ALL:
        return None  # none of these tools: their readers are not even imported
    from dockerfix.ecosystems.bundler import gem_tool_command
    from dockerfix.ecosystems.cargo import CARGO
    from dockerfix.ecosystems.composer import composer_tool_command
    from dockerfix.ecosystems.dotnet import dotnet_call
    from dockerfix.ecosystems.golang import GO
    from dockerfix.ecosystems.gradle import gradle_call
    from dockerfix.ecosystems.maven import maven_call
    from dockerfix.ecosystems.node import global_or_tool

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
    maven = maven_call(command)
    if maven is not None and maven.call.has("-v") and not maven.goals and not maven.unknown:
        return "maven"
    gradle = gradle_call(command)
    if gradle is not None and gradle.has("--version", "-v") and not gradle.subcommand:
        return "gradle"
    if gem_tool_command(command) or _bundle_config_local(command):
        return "ruby"
    if composer_tool_command(command):
        return "composer"
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
