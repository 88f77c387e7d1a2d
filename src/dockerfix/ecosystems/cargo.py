"""`cargo fetch`: the dependencies-only step of a Rust package. It reads Cargo.toml, Cargo.lock
and cargo's configuration; loading the manifest also needs the package's targets to exist
(src/main.rs or src/lib.rs), so those are copied first too. It writes the registry under
CARGO_HOME, and Cargo.lock when the lock is missing or out of date: with a Cargo.lock in the
context the split needs `--locked` (or `--frozen`), so that cargo never rewrites it.

A workspace's members (literal or `*` patterns) and path dependencies inside the copy are
followed: their manifests and root source files are copied first too. Targets declared in a
manifest ([[bin]], [lib]...), a nested workspace and paths outside the copy are not: the split is
then not made, with the reason."""

from __future__ import annotations

import posixpath
from typing import Any

from dockerfix.document.shell import Command
from dockerfix.ecosystems.dependencies import ReadText, parse_toml
from dockerfix.ecosystems.packages import Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall

CARGO = Grammar(frozenset({"cargo"}), frozenset({"--manifest-path", "--target", "--config", "-Z", "--color"}), frozenset("Z"))

_TARGETS = ("lib", "bin", "example", "test", "bench")
_ROOTS = ("src/main.rs", "src/lib.rs")
_DEPENDENCIES = ("dependencies", "dev-dependencies", "build-dependencies")


def cargo_fetch(command: Command, read: ReadText, glob: Glob | None = None) -> ProjectInstall | None:
    """The `cargo fetch` ``command`` runs, if it runs one."""
    call = read_call(command, CARGO)
    if call is None or call.subcommand != "fetch":
        return None
    found = ProjectInstall(
        "cargo", call, ["Cargo.toml"],
        ["Cargo.lock", ".cargo/config.toml", ".cargo/config", "rust-toolchain", "rust-toolchain.toml", "build.rs"],
        environments=(),
    )  # fmt: skip
    if call.has("--manifest-path", "--config", "-Z"):
        found.problem = f"`{call.text}` reads another manifest or configuration"
    locked = call.has("--locked", "--frozen")
    if locked:
        found.files.append("Cargo.lock")
        found.optional.remove("Cargo.lock")
    elif read("Cargo.lock") is not None:
        found.problem = found.problem or (
            f"`{call.text}` may rewrite Cargo.lock, and the full copy after it would put the old one back "
            "(use `cargo fetch --locked`)"
        )
    if read("Cargo.toml") is None:
        return found  # a missing Cargo.toml is reported by the caller
    for name in (".cargo/config.toml", ".cargo/config"):
        text = read(name)
        settings = parse_toml(text)[0] if text is not None else {}
        if settings is None:
            found.problem = found.problem or f"{name} does not parse"
        elif any(key in settings for key in ("patch", "paths", "source")):
            found.problem = found.problem or f"{name} replaces or patches sources ([source], [patch], paths), which is not followed"
    problem = _packages(found, read, glob)
    found.problem = found.problem or problem
    return found


def _packages(found: ProjectInstall, read: ReadText, glob: Glob | None) -> str | None:
    """Add the manifests and root source files of the package, of the workspace's members and
    of the path dependencies inside the copy; the reason when one cannot be followed."""
    todo = ["."]
    done: set[str] = set()
    while todo:
        folder = todo.pop()
        if folder in done:
            continue
        done.add(folder)
        name = posixpath.normpath(posixpath.join(folder, "Cargo.toml"))
        text = read(name)
        if text is None:
            return f"{name} is not in the copy"
        data, error = parse_toml(text)
        if data is None:
            return f"{name} does not parse ({error})"
        problem = _manifest_problem(data, name)
        if problem:
            return problem
        if name not in found.files:
            found.files.append(name)
        workspace = data.get("workspace")
        if isinstance(workspace, dict):
            if folder != ".":
                return f"{name} defines a nested workspace"
            for pattern in _strings(workspace.get("members")):
                clean = posixpath.normpath(pattern)
                if clean.startswith(("..", "/")) or "**" in clean:
                    return f"the workspace member pattern {pattern!r} is not followed"
                if not any(c in clean for c in "*?["):
                    todo.append(clean)
                    continue
                manifests = glob(posixpath.join(clean, "Cargo.toml")) if glob is not None else []
                if manifests is None:
                    return f"the workspace member pattern {pattern!r} cannot be matched"
                todo += [posixpath.dirname(m) for m in manifests]
        for spec in _path_dependencies(data):
            target = posixpath.normpath(posixpath.join(folder, spec))
            if target.startswith(("..", "/")):
                return f"{name} takes a dependency from {spec}, outside the copied folder"
            todo.append(target)
        if "package" not in data:
            continue  # a virtual workspace root has no targets
        roots = [r for r in (posixpath.normpath(posixpath.join(folder, f)) for f in _ROOTS) if read(r) is not None]
        if not roots:
            return f"neither src/main.rs nor src/lib.rs of {name} is in the copy, and cargo needs a target to read the manifest"
        found.files += [r for r in roots if r not in found.files]
        script = posixpath.normpath(posixpath.join(folder, "build.rs"))
        if folder != "." and read(script) is not None:
            found.files.append(script)
    return None


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _path_dependencies(data: dict[str, Any]) -> list[str]:
    """The paths of the path dependencies a manifest names, in its dependency tables (also per
    target and in [workspace.dependencies]), its [patch.<registry>] tables and [replace]."""
    tables = [data] + [t for t in (data.get("target") or {}).values() if isinstance(t, dict)]
    workspace = data.get("workspace")
    if isinstance(workspace, dict):
        tables.append(workspace)
    groups = [table.get(section) for table in tables for section in _DEPENDENCIES]
    patch = data.get("patch")
    groups += list(patch.values()) if isinstance(patch, dict) else []
    groups.append(data.get("replace"))
    out: list[str] = []
    for deps in groups:
        for spec in deps.values() if isinstance(deps, dict) else ():
            if isinstance(spec, dict) and isinstance(spec.get("path"), str):
                out.append(spec["path"])
    return out


def _manifest_problem(data: dict[str, Any], name: str) -> str | None:
    for key in _TARGETS:
        if key in data:
            return f"{name} declares its targets ([{key}]), which cargo checks when it reads the manifest"
    package = data.get("package")
    if isinstance(package, dict):
        if isinstance(package.get("build"), str) and package["build"] != "build.rs":
            return f"{name} names a build script ({package['build']})"
        if isinstance(package.get("workspace"), str):
            return f"{name} names its workspace root ({package['workspace']})"
    return None
