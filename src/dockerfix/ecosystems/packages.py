"""Reading OS package manager commands: the tool, its options and its subcommand.

apt-get/apt, apk, dnf/yum/microdnf and zypper all take global options, then a subcommand, then
its options and operands. ``read_call`` splits a command that way, knowing which options take a
value for each tool, so that rules can ask "does this RUN install packages, and how".
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable

from dockerfix.document.memo import per_object
from dockerfix.document.options import Option, split_options
from dockerfix.document.shell import Command, ShellWord
from dockerfix.ecosystems.commands import Invocation, unwrap
from dockerfix.ecosystems.tools import command_names
from dockerfix.records import frozen


@frozen
class Call:
    """One package manager command."""

    invocation: Invocation
    tool: ShellWord  # the word that names the tool
    name: str  # its base name: apt-get, apt, apk, dnf, dnf5, yum, microdnf, zypper
    subcommand: str  # "" when there is none
    subcommand_word: ShellWord | None
    options: tuple[Option, ...]  # global and subcommand options, in order
    operands: tuple[ShellWord, ...]

    def has(self, *names: str) -> bool:
        return any(o.name in names for o in self.options)

    def values(self, *names: str) -> list[str]:
        return [o.value for o in self.options if o.name in names and o.value is not None]

    def option_words(self, *names: str) -> list[ShellWord]:
        return [w for o in self.options if o.name in names for w in o.words]

    @property
    def sudo(self) -> bool:
        """Run through sudo (as root, whatever the USER)."""
        argv = self.invocation.command.argv
        return bool(argv) and argv[0].value == "sudo"

    @property
    def text(self) -> str:
        return " ".join(w.value for w in self.invocation.argv)


@frozen
class Grammar:
    names: frozenset[str]
    value_options: frozenset[str]  # options that take the next word as their value
    short_value: frozenset[str]  # single letters that take a value (-oX, -o X)


APT = Grammar(
    frozenset({"apt-get", "apt"}),
    frozenset({"-o", "--option", "-c", "--config-file", "-t", "--target-release", "--default-release",
               "-a", "--host-architecture", "-P", "--build-profiles", "--solver"}),
    frozenset("octaP"),
)  # fmt: skip
APK = Grammar(
    frozenset({"apk"}),
    frozenset({"-X", "--repository", "-p", "--root", "--arch", "--cache-dir", "--cache-max-age", "-t", "--virtual",
               "--keys-dir", "--repositories-file", "--progress-fd", "--timeout"}),
    frozenset("Xpt"),
)  # fmt: skip
DNF = Grammar(
    frozenset({"dnf", "dnf4", "dnf5", "yum", "microdnf", "tdnf"}),
    frozenset({"--setopt", "-c", "--config", "--releasever", "--installroot", "--enablerepo", "--disablerepo",
               "--repo", "--repoid", "-x", "--exclude", "--setvar", "--forcearch", "-d", "--debuglevel",
               "-e", "--errorlevel", "--rpmverbosity", "--downloaddir", "--destdir", "--disableplugin",
               "--enableplugin", "--comment", "--color"}),
    frozenset("cxde"),
)  # fmt: skip
ZYPPER = Grammar(
    frozenset({"zypper"}),
    frozenset({"-c", "--config", "-R", "--root", "--installroot", "-D", "--reposd-dir", "-C", "--cache-dir",
               "--raw-cache-dir", "--solv-cache-dir", "--pkg-cache-dir", "-r", "--repo", "-t", "--type",
               "-p", "--plus-repo", "--from", "--releasever", "--userdata"}),
    frozenset("cRDCrtp"),
)  # fmt: skip


_READERS: dict[Grammar, Callable[[Command], Call | None]] = {}


def read_call(command: Command, grammar: Grammar) -> Call | None:
    """The package manager call that ``command`` makes, if it runs one of ``grammar``'s tools
    (read once per command and grammar: the rules of a tool and its cleanups ask again)."""
    if command_names(command).isdisjoint(grammar.names):
        return None  # the quick answer: the tool is not among the first words (after wrappers)
    reader = _READERS.get(grammar)
    if reader is None:
        reader = _READERS[grammar] = per_object(lambda cmd: _read_call(cmd, grammar))
    return reader(command)


def _read_call(command: Command, grammar: Grammar) -> Call | None:
    inv = unwrap(command)
    if inv is None or not inv.argv:
        return None
    tool = inv.argv[0]
    name = posixpath.basename(tool.value)
    if name not in grammar.names:
        return None
    options, rest = split_options(inv.argv[1:], grammar.value_options, grammar.short_value, group_flags=False)
    subcommand = rest[0] if rest else None
    return Call(
        inv,
        tool,
        name,
        subcommand.value if subcommand else "",
        subcommand,
        tuple(options),
        tuple(rest[1:]),
    )


_MENTIONS: dict[frozenset[str], re.Pattern[str]] = {}


def runs_tool(text: str, grammar: Grammar) -> bool:
    """Whether text mentions one of the tools: a quick filter before a RUN is read, and the test
    for RUNs that cannot be read."""
    pattern = _MENTIONS.get(grammar.names)
    if pattern is None:
        names = "|".join(re.escape(n) for n in sorted(grammar.names))
        # the tool as a command word: not inside a longer name or a path such as /var/lib/apt/lists
        pattern = _MENTIONS[grammar.names] = re.compile(rf"(?<![\w.-])({names})(?=[\s;&|)\"',]|$)")
    return pattern.search(text) is not None
