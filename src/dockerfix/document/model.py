"""The lossless document model: the original lines are the truth, everything else is an index."""

from __future__ import annotations

import bisect
import json
from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from dockerfix.document.shell import Script, exec_script, parse_shell
from dockerfix.document.source import SourceText

if TYPE_CHECKING:
    from dockerfix.document.state import State
from dockerfix.document.words import Word, split_words

T = TypeVar("T")

# BuildKit's instruction set (frontend/dockerfile/command); MAINTAINER is deprecated but valid.
KEYWORDS = frozenset(
    {
        "ADD", "ARG", "CMD", "COPY", "ENTRYPOINT", "ENV", "EXPOSE", "FROM", "HEALTHCHECK",
        "LABEL", "MAINTAINER", "ONBUILD", "RUN", "SHELL", "STOPSIGNAL", "USER", "VOLUME",
        "WORKDIR",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Directive:
    name: str  # lower-case: syntax, escape, check
    value: str
    line: int


@dataclass(frozen=True, slots=True)
class Flag:
    """An instruction flag such as ``--mount=type=cache,target=/x`` or ``--link``."""

    name: str  # lower-case, without the leading dashes
    value: str | None  # text after "=", quotes removed; None for a bare flag
    raw: str
    start: int  # offsets in Instruction.logical
    end: int


@dataclass(frozen=True, slots=True)
class Heredoc:
    name: str
    body_start: int  # first body line
    end: int  # line after the terminator


@dataclass(frozen=True, slots=True)
class Segment:
    logical: int  # offset in Instruction.logical
    line: int
    col: int
    length: int


@dataclass(frozen=True)
class Instruction:
    index: int
    keyword: str  # as written
    start: int  # first physical line
    end: int  # one past the last physical line, heredoc bodies included
    logical: str  # the instruction with continuations joined and interior comment lines dropped
    segments: tuple[Segment, ...]
    flags: tuple[Flag, ...]
    args_start: int  # offset in logical where the arguments after the flags begin
    heredocs: tuple[Heredoc, ...]
    comment_start: int  # first line of the comment block directly above (== start if none)
    stage: int
    escape: str

    @cached_property
    def kind(self) -> str:
        return self.keyword.upper()

    @property
    def args(self) -> str:
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
    def script(self) -> Script:
        """A RUN's commands, shell or exec form; heredoc RUNs are opaque. As in Docker, text that
        is not a JSON string array is shell form, even where it starts with `[` (`[ -f x ] && ...`)."""
        if self.heredocs:
            return Script((), opaque="the command is a heredoc")
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

    def flag(self, name: str) -> Flag | None:
        for f in self.flags:
            if f.name == name:
                return f
        return None

    def flags_named(self, name: str) -> list[Flag]:
        return [f for f in self.flags if f.name == name]

    def position(self, offset: int) -> tuple[int, int]:
        """Map an offset in ``logical`` (or its end) to (physical line, column)."""
        i = bisect.bisect_right(self.segments, offset, key=lambda s: s.logical) - 1
        seg = self.segments[max(i, 0)]
        return seg.line, seg.col + (offset - seg.logical)


@dataclass(frozen=True)
class Stage:
    index: int
    from_: Instruction
    name: str | None  # lower-case
    base: str  # the image or parent stage as written
    instructions: tuple[Instruction, ...]


@dataclass(frozen=True)
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
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(T, self._memo[key])

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
