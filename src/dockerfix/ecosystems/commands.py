"""Generic knowledge about shell commands: wrappers (sudo, env, exec) and the variables a command
runs with. What commands read and write is in command_effects.py."""

from __future__ import annotations

import re

from dockerfix.document.memo import per_object
from dockerfix.document.shell import Command, ShellWord
from dockerfix.document.state import State
from dockerfix.records import frozen

_ASSIGNMENT = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)=(.*)$", re.S)
PYTHON = re.compile(r"^python(?:\d+(?:\.\d+)*)?$")  # an interpreter's name: python, python3, python3.12


@frozen
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


def _unwrap(command: Command) -> Invocation | None:
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


# the command with its wrappers taken off, read once per command: the readers of every tool and
# the rules of every pass ask (an Invocation is not changed by anyone)
unwrap = per_object(_unwrap)
