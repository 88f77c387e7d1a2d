"""`go mod download`: the dependencies-only step of a Go module. It reads go.mod and go.sum
(go.work and go.work.sum in workspace mode, with every used module's go.mod, and the go.mod of
every module a local `replace` points at) and writes only the module cache, and go.sum when
go.sum lacks the hash of a module it needs: then the split is not made (the full copy, moved
after it, would put the old go.sum back). go.sum is taken to be complete when it has the
go.mod hash of every module go.mod requires and go.mod declares go 1.17 or later (a pruned
module graph, which go.mod lists in full), as `go mod tidy` writes them."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping

from dockerfix.document.shell import Command
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import ProjectInstall

# go's flags take one dash, each its own word (`-modfile=x`, `-o out`): read through go_words;
# only -C, which takes a folder, comes before the subcommand
GO = Grammar(frozenset({"go"}), frozenset(), frozenset("C"))
# the go commands that load packages: they read modules and may compile
LOADS = frozenset({"build", "test", "install", "vet", "run", "generate", "list", "get", "mod", "work", "tool", "fix"})
_MOD_LOADS = frozenset({"download", "tidy", "vendor", "verify", "graph", "why"})
# of those, the ones that build or list the packages of the module they run in
_MODULE_BUILDS = frozenset({"build", "test", "install", "vet", "run", "generate", "list"})

_REQUIRE = re.compile(r"^\s*(?:require\s+)?([^\s()]+)\s+(v[^\s]+)\s*(?://.*)?$")
_REPLACE = re.compile(r"^\s*(?:replace\s+)?([^\s()]+)(?:\s+v[^\s]+)?\s+=>\s+([^\s]+)(?:\s+v[^\s]+)?\s*(?://.*)?$")


def go_download(command: Command, read: ReadText, check_sums: bool = True) -> ProjectInstall | None:
    """The `go mod download` (or `go mod verify`) ``command`` runs, if it runs one. With
    ``check_sums``, a go.sum that lacks a hash it would add is a problem."""
    call = read_call(command, GO)
    if call is None or call.subcommand != "mod" or not call.operands:
        return None
    if call.operands[0].value not in ("download", "verify"):
        return None
    found = ProjectInstall("go", call, ["go.mod"], ["go.sum", "go.work", "go.work.sum"], environments=())
    if call.has("-C") or _has_flag(call, "-modfile"):
        found.problem = f"`{call.text}` works with another go.mod (-C, -modfile)"
    work = read("go.work")
    if work is not None:
        for module, target in _replacements(work):
            if _local(target):
                found.problem = found.problem or f"go.work replaces {module} with {target}, which is not followed"
        for folder in _directives(work, "use"):
            if _outside(folder):
                found.problem = found.problem or f"go.work uses {folder}, outside the copied folder"
                continue
            member = posixpath.normpath(posixpath.join(folder, "go.mod"))
            found.files.append(member)
            found.optional.append(posixpath.normpath(posixpath.join(folder, "go.sum")))
            text = read(member) if folder not in (".", "./") else None
            if text is not None and any(_local(target) for _, target in _replacements(text)):
                found.problem = found.problem or f"{member} replaces a module with a local path, which is not followed"
    mod = read("go.mod")
    if mod is None:
        return found  # a missing go.mod is reported by the caller
    replaced: set[str] = set()
    for module, target in _replacements(mod):
        replaced.add(module)
        if not _local(target):
            continue
        if _outside(target):
            found.problem = found.problem or f"go.mod replaces {module} with {target}, outside the copied folder"
            continue
        found.files.append(posixpath.normpath(posixpath.join(target, "go.mod")))
    sums = read("go.sum")
    if check_sums and sums is not None and call.operands[0].value == "download" and len(call.operands) == 1:
        version = re.search(r"(?m)^go\s+1\.(\d+)", mod)
        if version is None or int(version.group(1)) < 17:
            found.problem = found.problem or (
                "go.mod declares no go version of 1.17 or later, so it does not list every module of the "
                "build list and `go mod download` may add hashes to go.sum, which the full copy would put back"
            )
        for line in _block_lines(mod, "require"):
            m = _REQUIRE.match(line)
            if m is None or m.group(1) in replaced:
                continue
            if f"{m.group(1)} {m.group(2)}/go.mod h1:" not in sums:
                found.problem = found.problem or (
                    f"go.sum has no hash for {m.group(1)} {m.group(2)}, so `{call.text}` may add it, and the full "
                    "copy after it would put the old go.sum back (run `go mod tidy`)"
                )
    return found


def _replacements(text: str) -> list[tuple[str, str]]:
    """(module, replacement) of each `replace` directive of a go.mod or go.work."""
    return [(m.group(1), m.group(2)) for line in _block_lines(text, "replace") if (m := _REPLACE.match(line)) is not None]


def _local(target: str) -> bool:
    """A replacement that is a folder, not a module: Go's rule (./, ../, / or . and ..)."""
    return target.startswith(("./", "../", "/")) or target in (".", "..")


def _outside(path: str) -> bool:
    clean = posixpath.normpath(path)
    return clean.startswith(("..", "/"))


def _block_lines(text: str, keyword: str) -> list[str]:
    """The lines of go.mod's ``keyword`` directives: `keyword x v` and the lines of `keyword ( ... )`."""
    out: list[str] = []
    inside = False
    for raw in text.splitlines():
        line = raw.split("//", 1)[0].strip() if not inside else raw.strip()
        if inside:
            if line.startswith(")"):
                inside = False
            elif line and not line.startswith("//"):
                out.append(line)
            continue
        if re.match(rf"^{keyword}\s*\($", line):
            inside = True
        elif line.startswith(keyword + " ") or line.startswith(keyword + "\t"):
            out.append(line)
    return out


def _directives(text: str, keyword: str) -> list[str]:
    return [line.split()[-1] for line in _block_lines(text, keyword) if line.split()]


def go_words(call: Call) -> list[str]:
    """The words after `go`, with a flag's `--` written as go's one dash."""
    return [w.value.replace("--", "-", 1) if w.value.startswith("--") else w.value for w in call.invocation.argv[1:]]


def _has_flag(call: Call, flag: str) -> bool:
    return any(w == flag or w.startswith(flag + "=") for w in go_words(call))


def loads_packages(call: Call) -> bool:
    """Whether the go command loads packages, and so reads modules (and may compile)."""
    if call.subcommand == "mod":
        return call.operands[:1] != () and call.operands[0].value in _MOD_LOADS
    if call.subcommand == "work":
        return call.operands[:1] != () and call.operands[0].value in ("sync", "vendor")
    return call.subcommand in LOADS


def loads_module(command: Command) -> bool:
    """Whether ``command`` builds, tests or lists the packages of the module it runs in (`go
    build ./...`; not `go install pkg@version`, which ignores that module)."""
    call = read_call(command, GO)
    if call is None or call.subcommand not in _MODULE_BUILDS or call.has("-C") or _has_flag(call, "-modfile"):
        return False
    return not (call.subcommand in ("install", "run") and any("@" in w.value for w in call.operands))


def vendored(call: Call, env: Mapping[str, str | None]) -> bool:
    """Whether the go command builds from vendor/ (-mod=vendor, on its line or in GOFLAGS)."""
    words = go_words(call)
    flags = "-mod=vendor" in words or any(a == "-mod" and b == "vendor" for a, b in zip(words, words[1:]))
    return flags or "-mod=vendor" in (env.get("GOFLAGS") or "").split()


def proxy_off(env: Mapping[str, str | None]) -> bool:
    """Whether GOPROXY forbids downloads (`off` first in its list)."""
    return (env.get("GOPROXY") or "").replace("|", ",").split(",")[0].strip() == "off"
