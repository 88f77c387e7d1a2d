"""The lossless document model: the original lines are the truth, everything else is an index."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

from dockerfix.document.memo import forget
from dockerfix.document.segments import Segments
from dockerfix.document.shell import Script, exec_script, parse_shell
from dockerfix.document.source import SourceText

if TYPE_CHECKING:
    from dockerfix.document.state import State
from dockerfix.document.words import CACHED_TEXT, Word, split_words
from dockerfix.records import cached_property, field, frozen

T = TypeVar("T")

# BuildKit's instruction set (frontend/dockerfile/command); MAINTAINER is deprecated but valid.
KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip


@frozen(slots=True)
class Directive:
    name: str  # lower-case: syntax, escape, check
    value: str
    line: int


@frozen(slots=True)
class Flag:
    """An instruction flag such as ``--mount=type=cache,target=/x`` or ``--link``."""

    name: str  # lower-case, without the leading dashes
    value: str | None  # text after "=", quotes removed; None for a bare flag
    raw: str
    start: int  # offsets in Instruction.logical
    end: int


@frozen(slots=True)
class Heredoc:
    name: str
    body_start: int  # first body line
    end: int  # line after the terminator
    lines: tuple[str, ...] = ()  # the body, without the terminator line
    strip_tabs: bool = False  # <<-NAME
    quoted: bool = False  # <<'NAME' or <<"NAME": the body is taken as written


@frozen(slots=True)
class ShellText:
    """The text a RUN's shell reads, where it sits and why it cannot be read if it cannot.
    ``base`` maps an offset in ``text`` to one that Instruction.position() understands: the
    arguments of the instruction, or the body of the heredoc that is the script."""

    text: str
    base: int
    opaque: str | None = None
    heredoc: Heredoc | None = None  # the heredoc whose body is the script


# Shells whose language is the POSIX shell's (what the shell reader reads).
POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash"})
_DATA_READERS = frozenset({"cat", "tee"})  # commands that take a heredoc as data, not as a program
_SHELL_OPTION = re.compile(r"^-[euxvo]+$")


_NO_SEGMENTS = Segments()

# The cached readings of an instruction's text that Instruction.let_go forgets.
_READINGS = ("args", "words", "shell", "command_text", "script", "exec_form")


@frozen
class Instruction:
    index: int
    keyword: str  # as written
    start: int  # first physical line
    end: int  # one past the last physical line, heredoc bodies included
    logical: str  # the instruction with continuations joined and interior comment lines dropped
    segments: Segments
    flags: tuple[Flag, ...]
    args_start: int  # offset in logical where the arguments after the flags begin
    heredocs: tuple[Heredoc, ...]
    comment_start: int  # first line of the comment block directly above (== start if none)
    stage: int
    escape: str

    @cached_property
    def kind(self) -> str:
        return self.keyword.upper()

    @cached_property
    def args(self) -> str:
        # kept: a copy of the arguments for each reader would be as long as the instruction
        return self.logical[self.args_start :]

    @property
    def line_no(self) -> int:
        """1-based line number, for messages."""
        return self.start + 1

    @cached_property
    def words(self) -> list[Word]:
        """The arguments after the flags, split into words (offsets relative to ``args``)."""
        return split_words(self.args, self.escape)

    @cached_property
    def body_base(self) -> int:
        """Offsets from here on name characters of heredoc bodies (see ``position``)."""
        return len(self.logical) + 1

    @cached_property
    def body_segments(self) -> Segments:
        """One segment for each line of each heredoc body, offsets from ``body_base`` on, the
        bodies one after another with a newline between lines."""

        if not self.heredocs:
            return _NO_SEGMENTS
        numbers: list[int] = []
        offset = self.body_base
        for heredoc in self.heredocs:
            for k, text in enumerate(heredoc.lines):
                numbers += (offset, heredoc.body_start + k, 0, len(text))
                offset += len(text) + 1
        return Segments(numbers)

    @cached_property
    def shell(self) -> ShellText:
        """What the shell reads for a RUN in shell form. A heredoc RUN runs its body as the
        script when the heredoc is all there is (`RUN <<EOF`, without a shebang or with one that
        names a POSIX shell) or is fed to a POSIX shell (`RUN bash <<'EOF'`); BuildKit writes
        other heredocs below the command line, which the shell reads with its here-documents."""
        if not self.heredocs:
            return ShellText(self.args, self.args_start)
        words = self.words
        first = self.heredocs[0]
        body = "\n".join(first.lines)
        base = self.body_base
        if len(words) == 1 and len(self.heredocs) == 1:
            head = first.lines[0].lstrip("\t") if first.strip_tabs and first.lines else body
            if head.startswith("#!"):
                interpreter = _shebang(head.split("\n", 1)[0])
                if interpreter not in POSIX_SHELLS:
                    return ShellText(body, base, f"the heredoc is run by {interpreter}, not a POSIX shell", first)
            return ShellText(body, base, None, first)
        fed = self._heredoc_command(words)
        if fed is not None and len(self.heredocs) == 1:
            if fed not in POSIX_SHELLS:
                return ShellText(body, base, f"the heredoc is run by {fed}, not a POSIX shell", first)
            if not first.quoted and re.search(r"[$`\\]", body):
                return ShellText(
                    body,
                    base,
                    f"the body of `{fed} <<{first.name}` is expanded by the shell before {fed} reads it "
                    f"(quote the delimiter, <<'{first.name}', to have it read)",
                    first,
                )
            return ShellText(body, base, None, first)
        return ShellText(self.args, self.args_start)

    def _heredoc_command(self, words: list[Word]) -> str | None:
        """The program a lone heredoc is fed to, in `RUN prog [-opts] <<EOF`; None otherwise."""
        if len(words) < 2 or not words[-1].raw.lstrip("0").startswith("<<"):
            return None
        prog = posixpath.basename(words[0].value)
        options = [w.value for w in words[1:-1]]
        if prog in POSIX_SHELLS and not all(_SHELL_OPTION.match(o) or o == "pipefail" for o in options):
            return None
        return prog if prog in POSIX_SHELLS or not options else None

    @cached_property
    def command_text(self) -> str:
        """The arguments and every heredoc body: text to search for a tool's name."""
        return "\n".join([self.args, *("\n".join(h.lines) for h in self.heredocs)])

    @cached_property
    def script(self) -> Script:
        """A RUN's commands, shell or exec form, or the shell script of its heredoc. As in
        Docker, text that is not a JSON string array is shell form, even where it starts with `[`
        (`[ -f x ] && ...`)."""
        shell = self.shell
        if shell.opaque is not None:
            return Script((), opaque=shell.opaque)
        if shell.heredoc is not None:
            return parse_shell(shell.text)
        if self.heredocs:
            script = parse_shell(shell.text, heredocs=True)
            fed = next((c.name for c in script.commands if c.heredoc and c.name not in _DATA_READERS), None)
            if fed is not None:
                return Script((), opaque=f"a heredoc is input to {posixpath.basename(fed)}, which is not analysed")
            return script
        if self.args.lstrip().startswith("["):
            script = exec_script(self.args)
            if script.opaque is None:
                return script
        return parse_shell(self.args)

    @cached_property
    def exec_form(self) -> list[str] | None:
        text = self.args.strip()
        if not text.startswith("["):
            return None
        try:
            value = json.loads(text)
        except ValueError:
            return None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return value
        return None

    @property
    def size(self) -> int:
        """The characters of its text and of its heredoc bodies."""
        return len(self.logical) + sum(len(line) + 1 for h in self.heredocs for line in h.lines)

    def let_go(self) -> None:
        """Forget what was read of the text (its words, its commands and what the ecosystem
        readers made of them), to be read again if asked for. Of an instruction over
        CACHED_TEXT characters this is most of the memory its document holds."""
        script = self.__dict__.get("script")
        if script is not None:
            forget(script.commands)
        for name in _READINGS:
            self.__dict__.pop(name, None)

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> list[Flag]:
        return [f for f in self.flags if f.name == name]

    def segments_at(self, offset: int) -> Segments:
        """The segments an offset belongs to: the instruction's lines or its heredoc bodies."""
        return self.body_segments if offset >= self.body_base and self.heredocs else self.segments

    def position(self, offset: int) -> tuple[int, int]:
        """Map an offset in ``logical`` (or its end), or in the heredoc bodies from
        ``body_base`` on, to (physical line, column)."""
        return self.segments_at(offset).position(offset)


@frozen
class Stage:
    index: int
    from_: Instruction
    name: str | None  # lower-case
    base: str  # the image or parent stage as written
    instructions: tuple[Instruction, ...]


_NOT_YET = object()  # Document.memo: no value yet


@frozen
class Document:
    source: SourceText
    escape: str
    directives: tuple[Directive, ...]
    directive_end: int  # first line after the directive block
    instructions: tuple[Instruction, ...]
    stages: tuple[Stage, ...] = field(default=())
    _memo: dict[Hashable, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    @property
    def lines(self) -> tuple[str, ...]:
        return self.source.lines

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """A value derived from this document, computed once: several rules ask the same question
        of the same document in one pass (its suppressions, where an install is ...)."""
        value: Any = self._memo.get(key, _NOT_YET)
        if value is _NOT_YET:
            value = self._memo[key] = compute()
        return value  # type: ignore[no-any-return]  # what compute gave for this key

    def let_go(self) -> None:
        """Forget what was read of its instructions over CACHED_TEXT characters and what the
        rules derived from it, all of which is read again if asked for: the engine does so with
        a document it has fixed, which the caller may still hold."""
        for inst in self.instructions:
            if inst.size > CACHED_TEXT:
                inst.let_go()
        self._memo.clear()

    def directive(self, name: str) -> Directive | None:
        for d in self.directives:
            if d.name == name:
                return d
        return None

    @cached_property
    def keyword_upper(self) -> bool:
        """Whether the file writes keywords in upper case (the prevailing style)."""
        upper = sum(1 for i in self.instructions if i.keyword.isupper())
        return upper * 2 >= len(self.instructions)

    def keyword(self, kind: str) -> str:
        return kind.upper() if self.keyword_upper else kind.lower()

    @cached_property
    def states(self) -> dict[int, State]:
        """The ENV/WORKDIR/USER/SHELL state before each instruction (by index)."""
        from dockerfix.document.state import compute_states

        return compute_states(self)

    def state(self, inst: Instruction) -> State:
        return self.states[inst.index]

    def stage_named(self, name: str) -> Stage | None:
        lowered = name.lower()
        for s in self.stages:
            if s.name == lowered:
                return s
        return None


def _shebang(line: str) -> str:
    """The program a `#!` line names (through env(1) the one env runs)."""
    words = line[2:].split()
    if not words:
        return "the shebang line"
    prog = posixpath.basename(words[0])
    if prog == "env":
        rest = [w for w in words[1:] if not w.startswith("-")]
        return posixpath.basename(rest[0]) if rest else "env"
    return prog
