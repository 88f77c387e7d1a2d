"""Text to Document. The only module that imports dockerfile-parse.

dockerfile-parse gives the line range of each instruction; our own scanner gives the same ranges
from BuildKit's rules (escape character, comment lines inside continuations, heredoc bodies).
The two must agree on every instruction and every line must be accounted for, or the file is
refused with a ParseError: a file we cannot map exactly is never rewritten.
"""

from __future__ import annotations

import io
import itertools
import re
from array import array

from dockerfix.document.model import (
    KEYWORDS,
    Directive,
    Document,
    Flag,
    Heredoc,
    Instruction,
    Stage,
)
from dockerfix.document.segments import NUMBERS, Segments
from dockerfix.document.source import SourceText
from dockerfix.document.words import split_words
from dockerfix.records import frozen, record

_DIRECTIVE = re.compile(r"^#\s*([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$")
_KNOWN_DIRECTIVES = ("syntax", "escape", "check")
_HEREDOC_WORD = re.compile(r"^(\d*)<<(-?)\s*([^<]*)$")
_HEREDOC_KINDS = ("RUN", "COPY", "ADD")


class ParseError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line  # 0-based
        self.message = message


@record(slots=True)
class _Raw:
    start: int
    last: int  # last line of the instruction proper (before heredoc bodies)
    end: int
    content_lines: array[int]  # lines that carry instruction text (interior comments excluded)


def _is_comment(line: str) -> bool:
    return line.lstrip(" \t").startswith("#")


def _continues(line: str, escape: str) -> bool:
    return line.rstrip(" \t").endswith(escape)


def parse_directives(lines: tuple[str, ...]) -> tuple[list[Directive], int]:
    directives: list[Directive] = []
    seen: set[str] = set()
    i = 0
    for i, line in enumerate(lines):
        m = _DIRECTIVE.match(line)
        if not m:
            return directives, i
        name = m.group(1).lower()
        if name not in _KNOWN_DIRECTIVES:
            return directives, i
        if name in seen:
            raise ParseError(i, f"a second {name} directive (BuildKit allows only one)")
        seen.add(name)
        directives.append(Directive(name, m.group(2), i))
    return directives, len(lines)


def parse(source: SourceText, cross_check: bool = True) -> Document:
    """The document of ``source``. ``cross_check`` has dockerfile-parse index the same text and
    agree on every instruction; the engine turns it off for its own output, which it verifies
    against the checked input instead."""
    lines = source.lines
    directives, directive_end = parse_directives(lines)
    escape = "\\"
    for d in directives:
        if d.name == "escape":
            if d.value not in ("\\", "`"):
                raise ParseError(d.line, f"invalid escape directive {d.value!r}")
            escape = d.value

    raws = _scan(lines, directive_end, escape)
    if cross_check:
        _cross_check(lines, directives, raws, escape)
    return _build(source, escape, directives, directive_end, raws)


def _scan(lines: tuple[str, ...], first: int, escape: str) -> list[_Raw]:
    raws: list[_Raw] = []
    i = first
    n = len(lines)
    while i < n:
        line = lines[i]
        head = line.lstrip()
        if not head or head[0] == "#" and _is_comment(line):
            i += 1
            continue
        start = i
        content = array(NUMBERS, (i,))  # numbers, not ints: a RUN may go on for thousands of lines
        while _continues(line, escape):
            k = i + 1
            # BuildKit skips comment lines and (with a warning) empty lines inside a
            # continuation, and ends an instruction where the file ends
            while k < n and (_is_comment(lines[k]) or not lines[k].strip()):
                k += 1
            if k >= n:
                break
            i = k
            line = lines[i]
            content.append(i)
        raw = _Raw(start, i, i + 1, content)
        keyword = head.split(None, 1)[0].upper()
        if keyword not in KEYWORDS:
            raise ParseError(start, f"unknown instruction {head.split(None, 1)[0]!r}")
        if "<" in head or i > start:
            raw.end = _heredoc_end(lines, raw, escape)
        raws.append(raw)
        i = raw.end
    return raws


@frozen(slots=True)
class _HeredocWord:
    name: str
    strip_tabs: bool
    quoted: bool


def _heredoc_names(text: str, escape: str) -> list[_HeredocWord]:
    names: list[_HeredocWord] = []
    for w in split_words(text, escape):
        m = _HEREDOC_WORD.match(w.raw)
        if m and m.group(3):
            name = m.group(3)
            quoted = len(name) >= 2 and name[0] == name[-1] and name[0] in "'\""
            if quoted:
                name = name[1:-1]
            names.append(_HeredocWord(name, m.group(2) == "-", quoted))
    return names


def _logical(lines: tuple[str, ...], raw: _Raw, escape: str) -> tuple[str, Segments]:
    content = raw.content_lines
    if len(content) == 1:  # the quick answer for most instructions: one line
        ln = content[0]
        text = lines[ln]
        if _continues(text, escape):  # it continues where the file ends
            text = text.rstrip(" \t")[:-1]
        return text, Segments((0, ln, 0, len(text)))
    parts: list[str] = []
    numbers = array(NUMBERS)  # of the segments
    offset = 0
    last = content[-1]
    for ln in content:
        text = lines[ln]
        if ln != last or _continues(text, escape):  # the last line continues where the file ends
            text = text.rstrip(" \t")[:-1]
        numbers.extend((offset, ln, 0, len(text)))
        parts.append(text)
        offset += len(text)
    return "".join(parts), Segments(numbers)


def _heredoc_end(lines: tuple[str, ...], raw: _Raw, escape: str) -> int:
    if not any("<<" in lines[ln] for ln in range(raw.start, raw.last + 1)):
        return raw.end  # the quick answer for almost every instruction
    first = lines[raw.start].split(None, 1)
    kind = first[0].upper()
    text, _ = _logical(lines, raw, escape)
    body = text.lstrip().split(None, 1)
    rest = body[1] if len(body) > 1 else ""
    if kind == "ONBUILD":
        inner = rest.split(None, 1)
        if not inner or inner[0].upper() not in _HEREDOC_KINDS:
            return raw.end
        rest = inner[1] if len(inner) > 1 else ""
    elif kind not in _HEREDOC_KINDS:
        return raw.end
    if "<<" not in rest:
        return raw.end
    i = raw.end
    for word in _heredoc_names(rest, escape):
        while True:
            if i >= len(lines):
                raise ParseError(raw.start, f"heredoc {word.name!r} is never terminated")
            line = lines[i].lstrip("\t") if word.strip_tabs else lines[i]
            i += 1
            if line == word.name:
                break
    return i


def _cross_check(
    lines: tuple[str, ...], directives: list[Directive], raws: list[_Raw], escape: str
) -> None:
    """Index the file with dockerfile-parse and require the same instruction ranges."""
    from dockerfile_parse import DockerfileParser

    masked = list(lines)
    for d in directives:
        masked[d.line] = "#"
    if directives:
        masked[0] = f"# escape={escape}"
    for raw in raws:
        for ln in range(raw.start, raw.last + 1):
            if not masked[ln].strip():
                masked[ln] = "#"  # an empty line inside a continuation, which BuildKit skips
        if _continues(masked[raw.last], escape):
            masked[raw.last] = masked[raw.last].rstrip(" \t")[:-1]  # the file ends here
        for ln in range(raw.last + 1, raw.end):
            masked[ln] = ""
    given = _given_lines(masked, escape)
    data = ("\n".join(masked[ln] for ln in given) + "\n").encode("utf-8")
    # a binary stream: its readlines() splits at "\n" only (the stubs say text, the code reads bytes)
    parser = DockerfileParser(fileobj=io.BytesIO(data), env_replace=False)  # type: ignore[arg-type]
    theirs = [
        (given[s["startline"]], given[s["endline"]], s["instruction"])
        for s in parser.structure
        if s["instruction"] != "COMMENT"
    ]
    ours = [(r.start, r.last, lines[r.start].split(None, 1)[0].upper()) for r in raws]
    if theirs != ours:
        for a, b in itertools.zip_longest(theirs, ours):
            if a != b:
                line = (b or a)[0]
                raise ParseError(line, "the instruction index does not match this line")


def _given_lines(lines: list[str], escape: str) -> list[int]:
    """The lines to give dockerfile-parse, which joins an instruction's lines one by one (time
    growing with the square of their number): where several lines in a row are each a word, a
    blank and more, and continue (no comment), it reads the second to the last of them alike,
    whatever it read before (the first one starts an instruction or goes on with one; each
    after it goes on with it), so of those only the last is given. Its own tests decide."""
    comment = re.compile(r"^\s*#").match
    word = re.compile(r"^\s*(\S+)\s+(.*)$").match
    continues = re.compile(r"^.*" + re.escape(escape) + r"\s*$").match
    given: list[int] = []
    run = 0  # lines of the current run so far
    for ln, line in enumerate(lines):
        if escape not in line:  # the quick answer: it cannot continue
            run = 0
            given.append(ln)
            continue
        text = line + "\n"  # as dockerfile-parse reads it
        if comment(text) or not word(text) or not continues(text):
            run = 0
        else:
            run += 1
            if run > 2:
                given.pop()  # the previous line of the run is read as this one is
        given.append(ln)
    return given


_BLANKS = re.compile(r"[ \t]*")
_KEYWORD = re.compile(r"([ \t]*)\s*(\S+)")  # the blanks before the keyword that count, and it
_SIMPLE_FLAGS = re.compile(r"[ \t]*(?:--[^\s\"'\\`$]+[ \t]+)*--[^\s\"'\\`$]+")


def _flags(logical: str, after_keyword: int, escape: str) -> tuple[list[Flag], int]:
    flags: list[Flag] = []
    args_start = _BLANKS.match(logical, after_keyword).end()  # type: ignore[union-attr]  # always matches
    if not logical.startswith("--", args_start):
        return flags, args_start
    rest = logical[after_keyword:]
    simple = _SIMPLE_FLAGS.match(rest)
    truncated = simple is not None and simple.end() < len(rest) and rest[simple.end()] in " \t"
    if truncated and simple is not None:
        rest = rest[: simple.end()]  # flags without quotes or escapes: split only them
    for w in split_words(rest, escape):
        if not w.raw.startswith("--") or len(w.raw) < 3:
            args_start = after_keyword + w.start
            break
        name, eq, value = w.value[2:].partition("=")
        flags.append(
            Flag(name.lower(), value if eq else None, w.raw, after_keyword + w.start, after_keyword + w.end)
        )
        args_start = after_keyword + w.end
    else:
        args_start = len(logical) if flags and not truncated else args_start
    # skip the blanks between the last flag (or keyword) and the arguments
    while args_start < len(logical) and logical[args_start] in " \t":
        args_start += 1
    return flags, args_start


def _build(
    source: SourceText,
    escape: str,
    directives: list[Directive],
    directive_end: int,
    raws: list[_Raw],
) -> Document:
    lines = source.lines
    instructions: list[Instruction] = []
    stage = -1
    prev_end = directive_end
    for idx, raw in enumerate(raws):
        logical, segments = _logical(lines, raw, escape)
        lead = _KEYWORD.match(logical)
        assert lead is not None  # _scan found the keyword
        stripped, keyword = lead.end(1), lead.group(2)
        flags, args_start = _flags(logical, stripped + len(keyword), escape)
        heredocs: list[Heredoc] = []
        if raw.end > raw.last + 1:
            i = raw.last + 1
            for word in _heredoc_names(logical[args_start:], escape):
                body = i
                while (lines[i].lstrip("\t") if word.strip_tabs else lines[i]) != word.name:
                    i += 1
                i += 1
                heredocs.append(Heredoc(word.name, body, i, lines[body : i - 1], word.strip_tabs, word.quoted))
        comment_start = raw.start
        while comment_start - 1 >= prev_end and _is_comment(lines[comment_start - 1]):
            comment_start -= 1
        if keyword.upper() == "FROM":
            stage += 1
        instructions.append(
            Instruction(
                index=idx,
                keyword=keyword,
                start=raw.start,
                end=raw.end,
                logical=logical,
                segments=segments,
                flags=tuple(flags),
                args_start=args_start,
                heredocs=tuple(heredocs),
                comment_start=comment_start,
                stage=stage,
                escape=escape,
            )
        )
        prev_end = raw.end
    return Document(
        source=source,
        escape=escape,
        directives=tuple(directives),
        directive_end=directive_end,
        instructions=tuple(instructions),
        stages=_stages(instructions),
    )


def _stages(instructions: list[Instruction]) -> tuple[Stage, ...]:
    groups: list[list[Instruction]] = []
    for inst in instructions:
        if inst.kind == "FROM":
            groups.append([inst])
        elif groups:
            groups[-1].append(inst)
    stages: list[Stage] = []
    for index, group in enumerate(groups):
        words = [w.value for w in group[0].words]
        name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
        stages.append(Stage(index, group[0], name, words[0] if words else "", tuple(group[1:])))
    return tuple(stages)


def parse_text(text: str) -> Document:
    return parse(SourceText.from_text(text))
