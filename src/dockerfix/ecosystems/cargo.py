"""`cargo fetch`: the dependencies-only step of a Rust package. It reads Cargo.toml, Cargo.lock
and cargo's configuration; loading the manifest also needs the package's targets to exist
(src/main.rs or src/lib.rs), so those are copied first too. It writes the registry under
CARGO_HOME, and Cargo.lock when the lock is missing or out of date: with a Cargo.lock in the
context the split needs `--locked` (or `--frozen`), so that cargo never rewrites it.

Workspaces, path dependencies and targets declared in the manifest are not followed: the split
is then not made, with the reason."""

from __future__ import annotations

from typing import Any

from dockerfix.document.shell import Command
from dockerfix.ecosystems.dependencies import ReadText, parse_toml
from dockerfix.ecosystems.packages import Grammar, read_call
from dockerfix.ecosystems.project_install import ProjectInstall

CARGO = Grammar(frozenset({"cargo"}), frozenset({"--manifest-path", "--target", "--config", "-Z", "--color"}), frozenset("Z"))

_TARGETS = ("lib", "bin", "example", "test", "bench")
_DEPENDENCIES = ("dependencies", "dev-dependencies", "build-dependencies")


def cargo_fetch(command: Command, read: ReadText) -> ProjectInstall | None:
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
    text = read("Cargo.toml")
    if text is None:
        return found
    data, error = parse_toml(text)
    if data is None:
        found.problem = found.problem or f"Cargo.toml does not parse ({error})"
        return found
    found.problem = found.problem or _manifest_problem(data)
    roots = [name for name in ("src/main.rs", "src/lib.rs") if read(name) is not None]
    if not roots:
        found.problem = found.problem or "neither src/main.rs nor src/lib.rs is in the copy, and cargo needs a target to read the manifest"
    found.files += roots
    return found


def _manifest_problem(data: dict[str, Any]) -> str | None:
    if "workspace" in data:
        return "Cargo.toml defines a workspace, whose members are not followed"
    for key in _TARGETS:
        if key in data:
            return f"Cargo.toml declares its targets ([{key}]), which cargo checks when it reads the manifest"
    package = data.get("package")
    if isinstance(package, dict) and isinstance(package.get("build"), str) and package["build"] != "build.rs":
        return f"Cargo.toml names a build script ({package['build']})"
    tables = [data] + [t for t in (data.get("target") or {}).values() if isinstance(t, dict)]
    for table in tables:
        for section in _DEPENDENCIES:
            deps = table.get(section)
            if not isinstance(deps, dict):
                continue
            for name, spec in deps.items():
                if isinstance(spec, dict) and "path" in spec:
                    return f"Cargo.toml takes {name} from a local path ({spec['path']})"
    return None
