"""The command names of the tools of each ecosystem outside Python and the OS package managers,
without the modules that read their commands.

A command runs a tool when the tool's name is the last path part of one of its first eight words
(after `sudo`, `env` and the like): that is how every reader of these ecosystems recognises one
(``packages.read_call``). A run imports an ecosystem's readers and rules only for a Dockerfile
whose commands name one of its tools; `tests/test_lazy_ecosystems.py` keeps these sets equal to
the readers' own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dockerfix.document.memo import per_object

if TYPE_CHECKING:
    from dockerfix.document.shell import Command

NODE = frozenset({"npm", "yarn", "yarnpkg", "pnpm", "bun"})
COREPACK = frozenset({"corepack"})
GO = frozenset({"go"})
CARGO = frozenset({"cargo"})
MAVEN = frozenset({"mvn", "mvnw"})
GRADLE = frozenset({"gradle", "gradlew"})
BUNDLER = frozenset({"bundle", "bundler"})
GEM = frozenset({"gem"})
COMPOSER = frozenset({"composer", "composer.phar"})
DOTNET = frozenset({"dotnet"})
# every name above: a command that names none of them runs none of these tools
ALL = NODE | COREPACK | GO | CARGO | MAVEN | GRADLE | BUNDLER | GEM | COMPOSER | DOTNET


def _command_names(command: Command) -> frozenset[str]:
    """The names a command's first eight words would run (the last part of each path): the test
    of ``packages.read_call``, and what the package cache rules index a Dockerfile by."""
    return frozenset(w.value.rsplit("/", 1)[-1] for w in command.argv[:8])


# read once per command: every rule of every pass asks
command_names = per_object(_command_names)
