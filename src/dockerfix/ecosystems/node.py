"""Project installs of Node's package managers (npm, yarn 1 and berry, pnpm, bun): the files
each reads in its folder, the folders it writes there, and why a split could change the image.

An install with no package names reads the manifest (package.json), a lock file, the tool's
configuration files and, for a workspace, every member's package.json. The root package's
lifecycle scripts run during the install and may read anything: an install that runs one is
never split. An install that may rewrite its lock file is not split either when the build
context holds that file: the full copy, moved after it, would put the old one back.
"""

from __future__ import annotations

import json
import posixpath
import re
from typing import TYPE_CHECKING, Any

from dockerfix.document.shell import Command
from dockerfix.ecosystems.dependencies import ReadText

if TYPE_CHECKING:  # the YAML reader is imported when a project has a YAML file to read
    from dockerfix.context.yaml_subset import Node
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall

NPM = Grammar(
    frozenset({"npm"}),
    frozenset("--cache --prefix -C -w --workspace --omit --include --registry --loglevel --tag --userconfig "
              "--globalconfig --install-strategy --before".split()),
    frozenset("wC"),
)  # fmt: skip
YARN = Grammar(
    frozenset({"yarn", "yarnpkg"}),
    frozenset("--cache-folder --cwd --modules-folder --mutex --network-timeout --registry --global-folder "
              "--link-folder --mode".split()),
    frozenset(),
)  # fmt: skip
PNPM = Grammar(
    frozenset({"pnpm"}),
    frozenset("--store-dir -C --dir --filter -F --reporter --registry --modules-dir --virtual-store-dir "
              "--network-concurrency --child-concurrency --config --workspace-dir".split()),
    frozenset("CF"),
)  # fmt: skip
BUN = Grammar(frozenset({"bun"}), frozenset("--cache-dir --backend --cwd -c --config --registry --filter".split()), frozenset("c"))
NAMES = NPM.names | YARN.names | PNPM.names | BUN.names

# what an install writes in its folder besides the lock file; from the context, the moved copy
# would put them over what the install made
_OUTPUTS = ("node_modules",)
_YARN_OUTPUTS = (
    "node_modules", ".pnp.cjs", ".pnp.loader.mjs", ".pnp.data.json", ".yarn/unplugged", ".yarn/install-state.gz",
    ".yarn/build-state.yml",
)  # fmt: skip
_NPM_SCRIPTS = ("preinstall", "install", "postinstall", "prepublish", "preprepare", "prepare", "postprepare")
_SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")
_LOCAL = ("file:", "link:", "portal:", "./", "../", "/", "~/")


def node_install(command: Command, read: ReadText, glob: Glob | None) -> ProjectInstall | None:
    """The project install ``command`` makes with a Node package manager, if it is one."""
    for grammar, reader in ((NPM, _npm), (YARN, _yarn), (PNPM, _pnpm), (BUN, _bun)):
        call = read_call(command, grammar)
        if call is not None:
            return reader(call, read, glob)
    return None


def global_or_tool(command: Command) -> bool:
    """A Node tool's command that reads nothing of the project it runs in: a global install of
    named packages, a configuration or cache command, a version query."""
    for grammar in (NPM, YARN, PNPM, BUN):
        call = read_call(command, grammar)
        if call is None:
            continue
        if call.subcommand in ("config", "cache", "--version", "-v") or call.has("--version", "-v"):
            return True
        if call.name == "yarn" and call.subcommand == "global":
            return True
        if call.name == "pnpm" and call.subcommand == "store":
            return True
        installs = ("install", "i", "add") if call.name != "yarn" else ()
        if call.subcommand in installs and call.has("-g", "--global") and call.operands:
            return all(not w.value.startswith(_LOCAL) and w.value not in (".", "..") for w in call.operands)
    return False


def _npm(call: Call, read: ReadText, glob: Glob | None) -> ProjectInstall | None:
    sub = call.subcommand
    if sub not in ("ci", "clean-install", "ic", "install-clean", "install", "i", "isntall", "add"):
        return None
    if call.has("-g", "--global"):
        return None
    found = ProjectInstall("npm", call, ["package.json"], ["package-lock.json", "npm-shrinkwrap.json", ".npmrc"])
    found.environments = _OUTPUTS
    if call.has("--prefix", "-C"):
        found.problem = f"`{call.text}` works in another folder (--prefix)"
    if sub not in ("ci", "clean-install", "ic", "install-clean"):
        if call.operands:
            found.problem = found.problem or f"`{call.text}` adds packages to package.json, which the full copy would put back"
        elif not call.has("--no-package-lock", "--package-lock-only") and call.values("--package-lock") != ["false"]:
            lock = next((n for n in ("npm-shrinkwrap.json", "package-lock.json") if read(n) is not None), None)
            if lock:
                found.problem = found.problem or _rewrites(call, lock, "use `npm ci`")
    _manifest(found, read, glob, () if _ignores_scripts(call) else _NPM_SCRIPTS)
    return found


def _yarn(call: Call, read: ReadText, glob: Glob | None) -> ProjectInstall | None:
    if call.subcommand not in ("", "install") or (call.subcommand == "" and call.has("--version", "-v", "--help", "-h")):
        return None
    found = ProjectInstall("yarn", call, ["package.json"], ["yarn.lock", ".yarnrc", ".yarnrc.yml", ".npmrc", ".yarnclean"])
    found.dirs = [".yarn/releases", ".yarn/plugins", ".yarn/patches", ".yarn/cache"]
    found.environments = _YARN_OUTPUTS
    if call.operands:
        found.problem = f"`{call.text}` takes arguments that are not read"
    if call.has("--cwd", "--modules-folder"):
        found.problem = found.problem or f"`{call.text}` works in another folder"
    frozen = call.has("--frozen-lockfile", "--pure-lockfile", "--immutable")
    if not frozen and read("yarn.lock") is not None:
        found.problem = found.problem or _rewrites(call, "yarn.lock", "use --frozen-lockfile (yarn 1) or --immutable")
    settings = read(".yarnrc.yml")
    if settings is not None:
        m = re.search(r"(?m)^yarnPath:\s*['\"]?([^'\"\s#]+)", settings)
        if m and not m.group(1).startswith(".yarn/releases/"):
            found.optional.append(posixpath.normpath(m.group(1)))
    skip = _ignores_scripts(call) or call.values("--mode") == ["skip-build"]
    _manifest(found, read, glob, () if skip else ("preinstall", "install", "postinstall", "prepare"))
    return found


def _pnpm(call: Call, read: ReadText, glob: Glob | None) -> ProjectInstall | None:
    sub = call.subcommand
    if sub == "fetch":
        found = ProjectInstall("pnpm", call, ["pnpm-lock.yaml"], [".npmrc", "pnpm-workspace.yaml", ".pnpmfile.cjs", ".pnpmfile.mjs"])
        found.dirs = ["patches"]
        found.environments = _OUTPUTS
        if call.has("--dir", "-C", "--filter", "-F"):
            found.problem = f"`{call.text}` works in another folder"
        return found
    if sub not in ("install", "i"):
        return None
    found = ProjectInstall("pnpm", call, ["package.json"], ["pnpm-lock.yaml", "pnpm-workspace.yaml", ".npmrc", ".pnpmfile.cjs", ".pnpmfile.mjs"])  # fmt: skip
    found.dirs = ["patches"]
    found.environments = _OUTPUTS
    if call.operands:
        found.problem = f"`{call.text}` takes arguments that are not read"
    if call.has("--dir", "-C", "--workspace-dir"):
        found.problem = found.problem or f"`{call.text}` works in another folder"
    if not call.has("--frozen-lockfile", "--lockfile-only") and read("pnpm-lock.yaml") is not None:
        found.problem = found.problem or _rewrites(call, "pnpm-lock.yaml", "use --frozen-lockfile")
    workspace = read("pnpm-workspace.yaml")
    patterns: list[str] = []
    if workspace is not None:
        settings = _yaml(workspace)
        if settings is None:
            found.problem = found.problem or "pnpm-workspace.yaml is written in a form that is not read"
        else:
            packages = settings.get("packages")
            patterns = [n.text for n in packages.items if n.text is not None] if packages is not None else []
            patched = settings.get("patchedDependencies")
            _add_patches(found, [n.text for n in patched.mapping.values()] if patched is not None else [], "pnpm-workspace.yaml")
    _manifest(found, read, glob, () if _ignores_scripts(call) else _NPM_SCRIPTS[:3] + ("prepare",), patterns)
    return found


def _bun(call: Call, read: ReadText, glob: Glob | None) -> ProjectInstall | None:
    if call.subcommand not in ("install", "i"):
        return None
    found = ProjectInstall("bun", call, ["package.json"], ["bun.lock", "bun.lockb", "bunfig.toml", ".npmrc"])
    found.environments = _OUTPUTS
    if call.operands:
        found.problem = f"`{call.text}` adds packages to package.json, which the full copy would put back"
    if call.has("--cwd"):
        found.problem = found.problem or f"`{call.text}` works in another folder"
    lock = next((n for n in ("bun.lock", "bun.lockb") if read(n) is not None), None)
    if lock and not call.has("--frozen-lockfile", "--no-save"):
        found.problem = found.problem or _rewrites(call, lock, "use --frozen-lockfile")
    _manifest(found, read, glob, () if _ignores_scripts(call) else ("preinstall", "install", "postinstall", "prepare"))
    return found


def _rewrites(call: Call, lock: str, advice: str) -> str:
    return f"`{call.text}` may rewrite {lock}, and the full copy after it would put the old one back ({advice})"


def _ignores_scripts(call: Call) -> bool:
    return call.has("--ignore-scripts") and call.values("--ignore-scripts") in ([], ["true"])


def _package(text: str | None, name: str) -> tuple[dict[str, Any] | None, str | None]:
    if text is None:
        return None, None
    try:
        data = json.loads(text)
    except ValueError:
        return None, f"{name} does not parse as JSON"
    return (data, None) if isinstance(data, dict) else (None, f"{name} is not a JSON object")


def _manifest(
    found: ProjectInstall,
    read: ReadText,
    glob: Glob | None,
    scripts: tuple[str, ...],
    patterns: list[str] | None = None,
) -> None:
    """Check the root package.json (and each workspace member's) for what makes the split
    unsafe; add the members' manifests to the files the install reads."""
    data, error = _package(read("package.json"), "package.json")
    if data is None:
        found.problem = found.problem or error
        return
    problem = _package_problem(data, "package.json", scripts)
    _add_patches(found, _patch_paths(data), "package.json")
    if problem is None and scripts and read("binding.gyp") is not None:
        problem = "binding.gyp makes the install build the package's native code from its sources"
    if patterns is None:
        patterns = _workspaces(data)
        if patterns is None:
            problem = problem or "package.json lists its workspaces in a form that is not read"
            patterns = []
    for pattern in patterns:
        clean = posixpath.normpath(pattern.strip().rstrip("/"))
        if clean.startswith(("..", "/", "!")) or "**" in clean:
            problem = problem or f"the workspace pattern {pattern!r} is not followed"
            continue
        members = glob(posixpath.join(clean, "package.json")) if glob is not None else []
        if members is None:
            problem = problem or f"the workspace pattern {pattern!r} cannot be matched"
            continue
        for member in members:
            member_data, member_error = _package(read(member), member)
            problem = problem or member_error
            if member_data is not None:
                problem = problem or _package_problem(member_data, member, scripts)
                if member_data.get("bin") or (member_data.get("directories") or {}).get("bin"):
                    # the install links a member's programs and makes their files executable,
                    # files the moved copy would bring in later with their own mode
                    problem = problem or f"{member} has `bin` entries, whose files the install makes executable"
            found.files.append(member)
            folder = posixpath.dirname(member)
            found.environments = found.environments + tuple(posixpath.join(folder, e) for e in _OUTPUTS)
    found.problem = found.problem or problem


def _package_problem(data: dict[str, Any], name: str, scripts: tuple[str, ...]) -> str | None:
    defined = data.get("scripts")
    if isinstance(defined, dict):
        for script in scripts:
            if script in defined:
                return (
                    f"{name} has a `{script}` script (`{defined[script]}`), which the install runs and which may read "
                    "files that would not be copied yet"
                )
    for section in _SECTIONS:
        deps = data.get(section)
        if not isinstance(deps, dict):
            continue
        for dep, spec in deps.items():
            if isinstance(spec, str) and spec.startswith(_LOCAL):
                return f"{name} takes {dep} from a local path ({spec})"
    return None


def _workspaces(data: dict[str, Any]) -> list[str] | None:
    value = data.get("workspaces")
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("packages", [])
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def _yaml(text: str) -> Node | None:
    """A YAML file's top-level mapping, or None where it is outside the subset that is read."""
    from dockerfix.context.yaml_subset import YamlError, parse_yaml

    try:
        root = parse_yaml(text)
    except YamlError:
        return None
    return root if isinstance(root.value, dict) or root.value is None else None


def _patch_paths(data: dict[str, Any]) -> list[str | None]:
    """The patch files a package.json applies to its dependencies: pnpm's and bun's
    patchedDependencies, and yarn's `patch:` protocol (`patch:x@npm:1.0#./patches/x.patch`)."""
    out: list[str | None] = []
    pnpm = data.get("pnpm")
    for table in (pnpm.get("patchedDependencies") if isinstance(pnpm, dict) else None, data.get("patchedDependencies")):
        if isinstance(table, dict):
            out += [v if isinstance(v, str) else None for v in table.values()]
    for section in (*_SECTIONS, "resolutions"):
        deps = data.get(section)
        for spec in deps.values() if isinstance(deps, dict) else ():
            if isinstance(spec, str) and spec.startswith("patch:") and "#" in spec:
                path = spec.split("#", 1)[1].split("::", 1)[0]
                if "builtin<" not in path:
                    out.append(path.replace("%3A", ":").removeprefix("~/"))
    return out


def _add_patches(found: ProjectInstall, paths: list[str | None], name: str) -> None:
    for path in paths:
        clean = posixpath.normpath(path) if path else None
        if clean is None or clean.startswith(("..", "/")):
            found.problem = found.problem or f"{name} applies a patch from {path}, which is not followed"
        elif clean not in found.files:
            found.files.append(clean)
