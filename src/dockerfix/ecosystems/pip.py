"""pip: how to recognise it in a command, what an install reads, where its cache lives."""

from __future__ import annotations

import posixpath
import re

from dockerfix.document.memo import per_object
from dockerfix.document.options import Option, split_options
from dockerfix.document.shell import Command, ShellWord
from dockerfix.ecosystems.commands import PYTHON, Invocation, unwrap
from dockerfix.records import cached_property, frozen

_PIP = re.compile(r"^pip(?:\d+(?:\.\d+)*)?$")
_PYTHON_VALUE_FLAGS = frozenset({"-W", "-X"})
SUBCOMMANDS_USING_CACHE = frozenset({"install", "wheel", "download"})
_INSTALL_TEXT = re.compile(r"\b(pip\d*(\.\d+)?|-m\s+pip)\s+(\S+\s+)*?(install|wheel|download)\b")
DEFAULT_ROOT_CACHE = "/root/.cache/pip"

# pip options that take a value (long names without dashes, and the short aliases).
_VALUE_OPTIONS = frozenset(
    """requirement constraint editable find-links index-url extra-index-url target prefix root src
    upgrade-strategy platform python-version implementation abi progress-bar log log-file proxy
    retries timeout exists-action trusted-host cert client-cert cache-dir global-option
    install-option build-option config-settings no-binary only-binary python report
    root-user-action keyring-provider use-feature use-deprecated dest wheel-dir build group
    resume-retries""".split()
)
_SHORT = {
    "r": "requirement", "c": "constraint", "e": "editable", "f": "find-links", "i": "index-url",
    "t": "target", "d": "dest", "w": "wheel-dir", "C": "config-settings", "b": "build",
}  # fmt: skip
_LONG_VALUES = frozenset("--" + name for name in _VALUE_OPTIONS)
_ARCHIVE = re.compile(r"\.(whl|zip|tar\.gz|tgz|tar\.bz2|tar\.xz|tar)$", re.I)
_REQ_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*(@|[<>=!~;]|$)")


@frozen
class PipCall:
    invocation: Invocation
    tool: ShellWord  # first word of the pip invocation (pip, python, /opt/venv/bin/pip)
    subcommand: str
    options: tuple[Option, ...]
    positionals: tuple[ShellWord, ...]
    subcommand_word: ShellWord | None = None  # the word that names the subcommand

    def values(self, name: str) -> list[str]:
        return [o.value for o in self.options if o.name == name and o.value is not None]

    @property
    def no_cache_words(self) -> list[ShellWord]:
        return [w for o in self.options if o.name == "no-cache-dir" for w in o.words]

    @property
    def uses_cache(self) -> bool:
        return self.subcommand in SUBCOMMANDS_USING_CACHE

    @cached_property
    def names_local_path(self) -> bool:
        """Whether an argument names a local path as it is written (read once: the split and
        the dependencies-first rule ask about every package of an install)."""
        return any(is_local_reference(w.value) for w in self.positionals)


def pip_call(command: Command) -> PipCall | None:
    """The pip command ``command`` runs (through python -m, sudo, env), or None; read once per
    command, which several rules ask about."""
    return _pip_calls(command)


def _read_pip_call(command: Command) -> PipCall | None:
    inv = unwrap(command)
    if inv is None or not inv.argv:
        return None
    argv = inv.argv
    tool = argv[0]
    base = posixpath.basename(tool.value)
    rest: tuple[ShellWord, ...]
    if _PIP.match(base):
        rest = argv[1:]
    elif PYTHON.match(base):
        k = 1
        while k < len(argv) and argv[k].value.startswith("-") and argv[k].value != "-m":
            k += 2 if argv[k].value in _PYTHON_VALUE_FLAGS else 1
        if k + 1 < len(argv) and argv[k].value == "-m" and argv[k + 1].value == "pip":
            rest = argv[k + 2 :]
        elif k < len(argv) and argv[k].value == "-mpip":
            rest = argv[k + 1 :]
        else:
            return None
    else:
        return None
    options, positionals = _parse_options(rest)
    sub = positionals[0] if positionals else None
    return PipCall(inv, tool, sub.value if sub else "", tuple(options), tuple(positionals[1:]), sub)


_pip_calls = per_object(_read_pip_call)


def _canonical(long: str) -> str:
    if len(long) >= len("no-cache") and "no-cache-dir".startswith(long):
        return "no-cache-dir"
    return long


def _parse_options(words: tuple[ShellWord, ...]) -> tuple[list[Option], list[ShellWord]]:
    """pip's options under their canonical long names (`-r` is "requirement", `--no-cache` is
    "no-cache-dir"; flags written together stay one option, "qU"), and the other words."""
    written, positionals = split_options(words, _LONG_VALUES, _SHORT, group_flags=True)
    options = [
        Option(_canonical(o.name[2:]) if o.name.startswith("--") else _SHORT.get(o.name[1:], o.name[1:]), o.value, o.words)
        for o in written
    ]
    return options, positionals


def is_local_reference(spec: str) -> bool:
    """Whether a requirement (command-line argument or requirements-file line) names a local path."""
    s = spec.strip()
    if not s:
        return False
    if s.startswith((".", "/", "~", "file:")) or "@ file:" in s or "@file:" in s:
        return True
    if "://" in s or s.startswith(("git+", "hg+", "svn+", "bzr+")):
        return False
    if _REQ_NAME.match(s) and "/" not in s.split(";")[0].split("@")[0]:
        return bool(_ARCHIVE.search(s.split(";")[0].strip()))
    return True


@frozen
class RequirementsFile:
    """What a requirements file makes pip read, besides the index."""

    includes: tuple[tuple[str, str], ...] = ()  # ("requirement" | "constraint", path as written)
    find_links: tuple[str, ...] = ()
    local: tuple[str, ...] = ()  # lines that install local paths or editables: need the source
    variables: tuple[str, ...] = ()  # lines using ${VAR} (expanded by pip from the environment)


def _logical_lines(text: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for raw in text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", raw)
        if line.endswith("\\"):
            buf += line[:-1]
            continue
        out.append(buf + line)
        buf = ""
    if buf:
        out.append(buf)
    return [line.strip() for line in out if line.strip()]


def parse_requirements(text: str) -> RequirementsFile:
    includes: list[tuple[str, str]] = []
    find_links: list[str] = []
    local: list[str] = []
    variables: list[str] = []
    for line in _logical_lines(text):
        if "${" in line:
            variables.append(line)
        if line.startswith("-"):
            words = [ShellWord(t, t, 0, 0, False) for t in line.split()]
            options, rest = _parse_options(tuple(words))
            for o in options:
                if o.name in ("requirement", "constraint") and o.value:
                    includes.append((o.name, o.value))
                elif o.name == "find-links" and o.value:
                    find_links.append(o.value)
                elif o.name == "editable":
                    local.append(line)
            if rest:
                local.append(line)
            continue
        spec = line.split(" --", 1)[0].strip()
        if is_local_reference(spec):
            local.append(line)
    return RequirementsFile(
        tuple(includes), tuple(find_links), tuple(local), tuple(variables)
    )


def mentions_install(text: str) -> bool:
    """Whether text that is not analysed (a heredoc body, an ONBUILD trigger) runs a pip install."""
    return bool(_INSTALL_TEXT.search(text))


def is_url(value: str) -> bool:
    return "://" in value


_CONFIG_NO_CACHE = re.compile(r"^\s*no[-_]cache[-_]dir\s*=", re.M | re.I)
CONFIG_PATHS = ("/etc/pip.conf", "/etc/xdg/pip/pip.conf", "/root/.config/pip/pip.conf", "/root/.pip/pip.conf")


def config_disables_cache(text: str) -> bool:
    """A pip configuration file that sets no-cache-dir, to any value, turns the cache off."""
    return bool(_CONFIG_NO_CACHE.search(text))


_CONFIG_SET = re.compile(r"\bconfig\s+(?:--?\S+\s+)*set\s+\S*no[-_]cache[-_]dir\b", re.I)
_INI_NO_CACHE = re.compile(r"no[-_]cache[-_]dir\s*=", re.I)


def sets_no_cache_by_command(script_text: str) -> bool:
    """`pip config set global.no-cache-dir ...`, or a command writing no-cache-dir to a pip.conf."""
    if _CONFIG_SET.search(script_text):
        return True
    return "pip.conf" in script_text and bool(_INI_NO_CACHE.search(script_text))
