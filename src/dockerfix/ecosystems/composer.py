"""`composer install`: the files Composer reads in its folder, and why a split could change the image.

Composer reads composer.json, composer.lock and auth.json. Its install also needs the source: it
generates the autoloader (whose classmap and files entries must exist) and runs the project's
scripts. Its dependencies-only form is `--no-scripts --no-autoloader`; the original install, run
again after the full copy, finds vendor/ complete, installs nothing, and generates the autoloader
and runs the scripts as it did.

That second run only matches a one-step install when nothing runs per package or before the
install: scripts on package events or `pre-install-cmd` stop the split, and so does a plugin
(a `composer-plugin` package of the lock), which runs during the first install even with
`--no-scripts` and may read or write the project, unless the install has `--no-plugins`.
"""

from __future__ import annotations

import json
import posixpath
from typing import Any

from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall

COMPOSER = Grammar(
    frozenset({"composer", "composer.phar"}),
    frozenset("-d --working-dir --ignore-platform-req --prefer-install --apcu-autoloader-prefix".split()),
    frozenset("d"),
)  # fmt: skip

DEPS_ONLY = ["--no-scripts", "--no-autoloader"]
# script events that run per package, or before the install: after the split they would run at
# another time (or not at all) than in a one-step install
_ORDERED_EVENTS = (
    "pre-install-cmd", "pre-package-install", "post-package-install", "pre-package-update", "post-package-update",
    "pre-package-uninstall", "post-package-uninstall", "pre-operations-exec", "pre-pool-create",
)  # fmt: skip
_PLUGIN_TYPES = ("composer-plugin", "composer-installer")


def composer_install(command: Command, read: ReadText, glob: Glob | None = None, state: State | None = None) -> ProjectInstall | None:
    """The `composer install` ``command`` runs, if it runs one."""
    call = read_call(command, COMPOSER)
    if call is None or call.subcommand not in ("install", "i"):
        return None
    env = run_env(state, call.invocation) if state is not None else {}
    found = ProjectInstall("composer", call, ["composer.json"], ["composer.lock", "auth.json"], deps_only=[o for o in DEPS_ONLY if not call.has(o)] or list(DEPS_ONLY),
                           environments=("vendor",))  # fmt: skip
    if call.has("-d", "--working-dir"):
        found.problem = f"`{call.text}` works in another folder (--working-dir)"
    if call.operands:
        found.problem = found.problem or f"`{call.text}` takes arguments that are not read"
    for var in ("COMPOSER", "COMPOSER_VENDOR_DIR", "COMPOSER_BIN_DIR"):
        if var in env:
            found.problem = found.problem or f"{var} is set, which is not followed"
    if read("composer.lock") is not None:
        found.files.append("composer.lock")
        found.optional.remove("composer.lock")
    if not (call.has("--no-autoloader") and call.has("--no-scripts")):
        found.source = f"`{call.text}` generates the autoloader and runs the project's scripts"
    text = read("composer.json")
    if text is None:
        return found  # a missing composer.json is reported by the caller
    try:
        data = json.loads(text)
    except ValueError as error:
        found.problem = found.problem or f"composer.json does not parse ({error})"
        return found
    if not isinstance(data, dict):
        found.problem = found.problem or "composer.json is not an object"
        return found
    found.problem = found.problem or _manifest(found, call, data) or _plugins(call, read)
    return found


def _manifest(found: ProjectInstall, call: Call, data: dict[str, Any]) -> str | None:
    """What composer.json changes: its folders, repositories and scripts."""
    config = _object(data, "config")
    vendor = config.get("vendor-dir", "vendor")
    bin_dir = config.get("bin-dir", posixpath.join(str(vendor), "bin"))
    for name, value in (("vendor-dir", vendor), ("bin-dir", bin_dir)):
        if not isinstance(value, str) or value.startswith(("/", "..", "$", "~")) or "{" in value:
            return f"composer.json sets {name} to {value!r}, which is not followed"
    found.environments = tuple(dict.fromkeys(posixpath.normpath(v) for v in (vendor, bin_dir)))
    repositories = data.get("repositories")
    entries = repositories.values() if isinstance(repositories, dict) else repositories or []
    for repo in entries if isinstance(entries, (list, type({}.values()))) else []:
        if isinstance(repo, dict) and repo.get("type") in ("path", "artifact"):
            folder = _local_folder(repo.get("url"))
            if folder is None:
                return f"composer.json has a {repo['type']} repository ({repo.get('url')}), which is not followed"
            found.dirs.append(folder)
    extra = _object(data, "extra")
    if "patches" in extra or "patches-file" in extra:
        return "composer.json applies patches (extra.patches), which read files of the source"
    scripts = _object(data, "scripts")
    if not call.has("--no-scripts"):
        ordered = [e for e in _ORDERED_EVENTS if e in scripts]
        if ordered:
            return f"composer.json runs {ordered[0]} scripts, which would run at another time after the split"
    return None


def _local_folder(url: object) -> str | None:
    """The folder of the project a path or artifact repository reads (the part of its url before
    any wildcard), or None where it is outside the project or not a plain path."""
    if not isinstance(url, str) or not url or url.startswith(("/", "~", "$")) or "://" in url or "{" in url:
        return None
    head = url
    for i, c in enumerate(url):
        if c in "*?[":
            head = url[:i].rsplit("/", 1)[0] if "/" in url[:i] else "."
            break
    folder = posixpath.normpath(head)
    return None if folder == "." or folder.startswith("..") else folder


def _object(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _plugins(call: Call, read: ReadText) -> str | None:
    """A plugin of the lock runs during the dependencies-only install, --no-scripts or not."""
    if call.has("--no-plugins"):
        return None
    text = read("composer.lock")
    if text is None:
        return None
    try:
        lock = json.loads(text)
    except ValueError as error:
        return f"composer.lock does not parse ({error})"
    sections = ("packages",) if call.has("--no-dev") else ("packages", "packages-dev")
    for section in sections:
        for package in lock.get(section) or [] if isinstance(lock, dict) else []:
            if isinstance(package, dict) and package.get("type") in _PLUGIN_TYPES:
                return (
                    f"the lock installs the Composer plugin {package.get('name')}, which runs during the install, "
                    "--no-scripts or not, and may read or write the project (add --no-plugins if it is not needed)"
                )
    return None


def composer_source_step(command: Command) -> bool:
    """A Composer command that works on the source after an install: `dump-autoload` writes the
    autoloader, `run-script` runs the project's scripts."""
    call = read_call(command, COMPOSER)
    return call is not None and call.subcommand in _SOURCE_STEPS and not call.has("-d", "--working-dir")


_SOURCE_STEPS = frozenset({"dump-autoload", "dumpautoload", "run-script", "run"})


def composer_tool_command(command: Command) -> bool:
    """A Composer command that reads nothing of the project: the version, global configuration,
    cache commands, `composer global require` of named packages."""
    call = read_call(command, COMPOSER)
    if call is None:
        return False
    if call.has("--version", "-V") or call.subcommand in ("--version", "-V", "clear-cache", "clearcache", "cc", "diagnose"):
        return True
    if call.subcommand == "config" and call.has("-g", "--global"):
        return True
    return call.subcommand == "global" and bool(call.operands) and call.operands[0].value in ("require", "config")
