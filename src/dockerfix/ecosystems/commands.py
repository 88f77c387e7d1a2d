"""Generic knowledge about shell commands: wrappers, and which commands cannot read the sources."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from dockerfix.document.shell import Command, ShellWord
from dockerfix.document.state import State

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")  # an interpreter's name: python, python3, python3.12


@dataclass(frozen=True)
class Invocation:
    """A command with its wrappers (``sudo``, ``env -u X A=b``, ``exec``) taken off."""

    command: Command
    argv: tuple[ShellWord, ...]
    env: dict[str, str]  # inline assignments and env(1) assignments
    unset: frozenset[str]  # variables that env(1) -u removes
    at_start: bool  # argv[0] is the command's first word (an assignment may be prefixed)
    env_word: ShellWord | None  # the env(1) word, if the command already runs through env


def run_env(state: State, inv: Invocation) -> dict[str, str | None]:
    """The variables the command runs with: the instruction's, then its own assignments, each
    expanded with those before it as the shell does, less what `env -u` removes (None: a value
    that is not known)."""
    env: dict[str, str | None] = dict(state.env)
    for name, value in inv.env.items():
        env[name] = State(env=env).expand(value)
    for name in inv.unset:
        env.pop(name, None)
    return env


def unwrap(command: Command) -> Invocation | None:
    env: dict[str, str] = {}
    for w in command.assignments:
        m = _ASSIGNMENT.match(w.value)
        if m:
            env[m.group(1)] = m.group(2)
    unset: set[str] = set()
    argv = command.argv
    at_start = True
    env_word: ShellWord | None = None
    while argv:
        name = argv[0].value
        if name in ("sudo", "exec", "command", "nice", "nohup"):
            if len(argv) > 1 and argv[1].value.startswith("-"):
                return None  # options of a wrapper (sudo -u other) may change the user
            argv = argv[1:]
            at_start = False
            continue
        if name in ("env", "/usr/bin/env"):
            env_word = argv[0]
            argv = argv[1:]
            at_start = False
            while argv:
                v = argv[0].value
                if v in ("-u", "--unset") and len(argv) > 1:
                    unset.add(argv[1].value)
                    argv = argv[2:]
                elif v.startswith("--unset="):
                    unset.add(v.split("=", 1)[1])
                    argv = argv[1:]
                elif v.startswith("-"):
                    return None  # env -i, env -C ...: not worth guessing
                elif (m := _ASSIGNMENT.match(v)) is not None:
                    env[m.group(1)] = m.group(2)
                    argv = argv[1:]
                else:
                    break
            continue
        break
    return Invocation(command, argv, env, frozenset(unset), at_start, env_word)


# Commands whose arguments are never files of the build context: package managers, user
# management, shell built-ins that only print or set options.
_NO_FILE_ARGS = frozenset(
    """: true false set export unset echo sleep apt-get apt apk yum dnf microdnf zypper useradd
    groupadd adduser addgroup usermod groupmod update-ca-certificates ldconfig locale-gen""".split()
)
# Commands whose arguments are paths: fine while every path lies outside the copied tree.
_PATH_ARGS = frozenset("mkdir rm chmod chown chgrp touch ln".split())
_PACKAGE_FILE = re.compile(r"\.(deb|rpm|apk)$")
_VENV_TOOLS = frozenset({"virtualenv"})

# Answers whether a path argument (as the shell would see it) lies in the copied tree:
# True, False, or None when that cannot be proven.
InTree = Callable[[str], "bool | None"]


def context_free(command: Command, in_tree: InTree) -> str | None:
    """None when the command provably neither reads nor writes the copied tree, else why not."""
    for target in command.redirects:
        if not target.value.startswith("/dev/") and in_tree(target.value) is not False:
            return f"it redirects output to {target.value}"
    inv = unwrap(command)
    if inv is None or not inv.argv:
        return None if inv is not None and not inv.argv else "it runs a wrapper with options"
    name = posixpath.basename(inv.argv[0].value)
    args = [w for w in inv.argv[1:]]
    if name in _NO_FILE_ARGS:
        for w in args:
            v = w.value
            if _PACKAGE_FILE.search(v) or ("/" in v and not v.startswith("-") and in_tree(v) is not False):
                return f"`{name}` reads {v}"
        return None
    if name in _PATH_ARGS:
        for w in args:
            if w.value.startswith("-") or (name == "chmod" and _is_mode(w.value)):
                continue
            if name in ("chown", "chgrp") and w is args[_first_operand(args)]:
                continue
            if in_tree(w.value) is not False:
                return f"`{name} {w.value}` may touch the copied files"
        return None
    venv_dir = _venv_dir(name, inv.argv)
    if venv_dir is not None:
        if in_tree(venv_dir) is False:
            return None
        return f"it creates a virtualenv at {venv_dir}, inside the copied tree"
    return f"`{inv.argv[0].value}` may read the copied sources"


def _is_mode(value: str) -> bool:
    return bool(re.match(r"^[0-7]{3,4}$|^[ugoa]*[+=-][rwxXst]*$", value))


def _first_operand(args: list[ShellWord]) -> int:
    for k, w in enumerate(args):
        if not w.value.startswith("-"):
            return k
    return 0


def _venv_dir(name: str, argv: tuple[ShellWord, ...]) -> str | None:
    values = [w.value for w in argv]
    if name in _VENV_TOOLS or (name == "uv" and values[1:2] == ["venv"]):
        rest = [v for v in values[1 if name in _VENV_TOOLS else 2 :] if not v.startswith("-")]
        return rest[0] if rest else ".venv" if name == "uv" else None
    if PYTHON.match(name) and "-m" in values:
        k = values.index("-m")
        if values[k + 1 : k + 2] == ["venv"]:
            rest = [v for v in values[k + 2 :] if not v.startswith("-")]
            return rest[0] if rest else None
    return None
