"""A RUN's shell text as simple commands with word spans.

This is a reader for the shapes RUN lines take (``&&``, ``||``, ``;``, ``|``, subshells, ``if``
and loops, quotes, ``$(...)``), not a full shell. Spans are offsets into the text given, so that
a rule can ask the instruction where a word sits in the original lines. Anything the reader does
not understand marks the script ``opaque``: rules then leave the RUN alone.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable

from dockerfix.document.words import CACHED_TEXT
from dockerfix.records import field, frozen

_OPERATORS = ("&&", "||", ";;", ";", "|", "&", "(", ")")
_REDIRECT = re.compile(r"\d*(?:>>|>&|<&|&>>|&>|>\||<>|>|<)")
_PREFIX_WORDS = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time"})
_CLOSING_WORDS = frozenset({"fi", "done", "}", "esac"})
_OPENING_WORDS = frozenset({"if", "while", "until", "{"})
_ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


@frozen(slots=True)
class ShellWord:
    raw: str
    value: str  # quotes removed; expansions ($VAR, $(...)) kept as text
    start: int
    end: int
    expands: bool  # contains an unquoted or double-quoted expansion


@frozen
class Command:
    """A simple command: leading assignments, then argv."""

    assignments: tuple[ShellWord, ...]
    argv: tuple[ShellWord, ...]
    separator: str  # the operator before it ("" for the first)
    redirects: tuple[ShellWord, ...] = ()  # targets of > >> < ... (file names, not arguments)
    start: int = 0  # extent in the text: from its first token (keywords such as `then`
    end: int = 0  # included) to the end of its last word or redirect
    compound: bool = False  # a keyword of a compound command (if, then, fi, do ...) was taken off
    heredoc: bool = False  # reads a here-document (`cat <<EOF`); its body is not in the text

    @property
    def words(self) -> tuple[ShellWord, ...]:
        return self.assignments + self.argv

    @property
    def name(self) -> str:
        return self.argv[0].value if self.argv else ""


@frozen(slots=True)
class Operator:
    text: str  # && || ; | & ( ) ;; or "\n"
    start: int
    end: int


@frozen
class Script:
    commands: tuple[Command, ...]
    opaque: str | None = None  # why the script could not be read, if it could not
    exec_form: bool = False
    separators: tuple[str, ...] = field(default=())
    operators: tuple[Operator, ...] = field(default=())  # every operator, newlines included

    def operators_around(self, first: int, last: int) -> tuple[list[Operator], list[Operator]]:
        """The operators between commands[first] and the command before it (or the start), and
        between commands[last] and the command after it (or the end)."""
        lo = self.commands[first - 1].end if first > 0 else 0
        hi = self.commands[last + 1].start if last + 1 < len(self.commands) else None
        start, end = self.commands[first].start, self.commands[last].end
        before = [o for o in self.operators if o.start >= lo and o.end <= start]
        after = [o for o in self.operators if o.start >= end and (hi is None or o.end <= hi)]
        return before, after


class _Opaque(ValueError):
    pass


def _closing(text: str, i: int, ch: str) -> int:
    """The index of the ``ch`` that closes the one at ``i``."""
    j = text.find(ch, i + 1)
    if j < 0:
        raise _Opaque(f"unterminated {ch}")
    return j


def _skip_balanced(text: str, i: int, open_: str, close: str) -> int:
    """Return the index after the ``close`` that balances the ``open_`` just before ``i``."""
    depth = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == "'":
            i = _closing(text, i, "'") + 1
            continue
        if c == '"':
            i = _skip_double(text, i + 1)
            continue
        if c == open_:
            depth += 1
        elif c == close:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    raise _Opaque(f"unbalanced {open_!r}")


def _skip_double(text: str, i: int) -> int:
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            continue
        if c == '"':
            return i + 1
        if c == "$" and text.startswith("$(", i):
            i = _skip_balanced(text, i + 2, "(", ")")
            continue
        if c == "`":
            i = _closing(text, i, "`") + 1
            continue
        i += 1
    raise _Opaque("unterminated double quote")


def _plain() -> Callable[[str, int], re.Match[str] | None]:
    """A run of characters that neither end a word nor start a quote, an escape or an expansion."""
    return re.compile(r"[^ \t\n<>()&|;\\'\"$`]+").match


def _read_word(text: str, i: int, plain: Callable[[str, int], re.Match[str] | None]) -> tuple[ShellWord, int]:
    start = i
    n = len(text)
    m = plain(text, i)
    if m is not None and (m.end() == n or text[m.end()] in " \t\n<>);&|"):
        word = m.group()  # no quotes, escapes or $: the value is the text (one string for both)
        return ShellWord(word, word, start, m.end(), False), m.end()
    value: list[str] = []
    expands = False
    while i < n:
        m = plain(text, i)
        if m is not None:
            value.append(m.group())
            i = m.end()
            continue
        c = text[i]
        if c in " \t\n<>" or c == ")" or (c != "(" and text.startswith(_OPERATORS, i)):
            break
        if c == "(":
            raise _Opaque("unexpected '('")
        if c == "\\":
            if i + 1 < n and text[i + 1] != "\n":  # a backslash-newline joins lines
                value.append(text[i + 1])
            i += 2
            continue
        if c == "'":
            j = _closing(text, i, "'")
            value.append(text[i + 1 : j])
            i = j + 1
            continue
        if c == '"':
            j = _skip_double(text, i + 1)
            inner = text[i + 1 : j - 1]
            if "$" in inner or "`" in inner:
                expands = True
            value.append(re.sub(r'\\([\\"$`\n])', _unescape, inner))
            i = j
            continue
        if c == "$":
            expands = True
            if text.startswith("$(", i):
                j = _skip_balanced(text, i + 2, "(", ")")
            elif text.startswith("${", i):
                j = _skip_balanced(text, i + 2, "{", "}")
            else:
                m = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?").match(text, i)
                j = m.end() if m else i + 1
            value.append(text[i:j])
            i = j
            continue
        if c == "`":
            expands = True
            j = _closing(text, i, "`")
            value.append(text[i : j + 1])
            i = j + 1
            continue
        value.append(c)
        i += 1
    return ShellWord(text[start:i], "".join(value), start, i, expands), i


def _unescape(m: re.Match[str]) -> str:
    """Inside double quotes a backslash escapes \\ " $ ` and joins lines."""
    return "" if m.group(1) == "\n" else m.group(1)


def parse_shell(text: str, heredocs: bool = False) -> Script:
    """The commands of a shell text (cached: each pass of the engine reads the same RUNs again,
    and a Script is immutable). With ``heredocs``, `<<NAME` reads a here-document whose body is
    not part of the text (a heredoc RUN's command line); otherwise it makes the text opaque.
    A text of over CACHED_TEXT characters is not kept once its instruction is gone."""
    if len(text) > CACHED_TEXT:
        return _parse_script(text, heredocs)
    return _cached_script(text, heredocs)


@functools.lru_cache(maxsize=4096)
def _cached_script(text: str, heredocs: bool) -> Script:
    return _parse_script(text, heredocs)


def _parse_script(text: str, heredocs: bool) -> Script:
    try:
        return _parse(text, heredocs)
    except _Opaque as exc:
        return Script((), opaque=str(exc))


def _parse(text: str, heredocs: bool = False) -> Script:
    commands: list[Command] = []
    separators: list[str] = []
    operators: list[Operator] = []
    words: list[ShellWord] = []
    redirects: list[ShellWord] = []
    separator = ""
    extent: list[int] = []  # start and end of the tokens of the command being read
    heredoc = False
    depth = 0  # compound commands (if, loops, groups) open around the command being read
    i = 0
    n = len(text)
    plain = _plain()
    blanks = re.compile(r" +").match

    def token(start: int, end: int) -> None:
        if not extent:
            extent.extend((start, end))
        extent[1] = end

    def flush(next_sep: str) -> None:
        nonlocal words, separator, redirects, heredoc, depth
        depth, inside = _nesting(words, depth)
        command = _command(words, separator, tuple(redirects), extent, heredoc, inside) if words else None
        redirects = []
        heredoc = False
        extent.clear()
        if command is not None and command.words:
            commands.append(command)
            separator = next_sep
        elif next_sep:
            separator = next_sep if not separator or next_sep in "()" else separator
        words = []

    while i < n:
        c = text[i]
        if c == "\\" and text.startswith("\\\n", i):  # a line continuation
            i += 2
            continue
        if c == " ":
            run = blanks(text, i)
            i = run.end() if run is not None else i + 1
            continue
        if c in "\t\n":
            if c == "\n":
                operators.append(Operator("\n", i, i + 1))
                flush(";")
            i += 1
            continue
        if c == "#" and (i == 0 or text[i - 1] in " \t\n;&|()"):
            nl = text.find("\n", i)
            if nl < 0:
                break
            i = nl
            continue
        op = next((o for o in _OPERATORS if text.startswith(o, i)), None) if c in "&|;()" else None
        if op is not None:
            separators.append(op)
            operators.append(Operator(op, i, i + len(op)))
            flush(op)
            i += len(op)
            continue
        m = _REDIRECT.match(text, i) if c in "<>&" or c.isdigit() else None
        if m:
            end = m.end()
            here = text.startswith("<<", i)
            if here:
                if not heredocs or text.startswith("<<<", i):
                    raise _Opaque("here-document inside the shell command")
                heredoc = True
                end = i + (3 if text.startswith("<<-", i) else 2)
            token(i, end)
            i = end
            while i < n and text[i] in " \t":
                i += 1
            if m.group(0).endswith("&") and i < n and (text[i].isdigit() or text[i] == "-"):
                i += 1
                token(i - 1, i)
                continue
            target, i = _read_word(text, i, plain)  # the redirect target is not an argument
            token(target.start, target.end)
            if not here:  # a heredoc's delimiter names no file
                redirects.append(target)
            continue
        word, i = _read_word(text, i, plain)
        token(word.start, word.end)
        words.append(word)
    flush("")
    return Script(tuple(commands), separators=tuple(separators), operators=tuple(operators))


def _nesting(words: list[ShellWord], depth: int) -> tuple[int, bool]:
    """The depth of compound commands after these words, and whether the command they make is
    inside one (a script's `if ...; then` on one line and its body on the next)."""
    raws = [w.raw for w in words]
    k = 0
    while k < len(raws) and raws[k] in _CLOSING_WORDS:
        depth = max(depth - 1, 0)
        k += 1
    inside = depth > 0
    while k < len(raws) and raws[k] in _PREFIX_WORDS:
        depth += raws[k] in _OPENING_WORDS
        k += 1
    if k < len(raws) and raws[k] in ("for", "case", "select"):
        depth += 1
    return depth, inside


def _command(
    words: list[ShellWord],
    separator: str,
    redirects: tuple[ShellWord, ...],
    extent: list[int],
    heredoc: bool = False,
    inside: bool = False,
) -> Command:
    count = len(words)
    while words and words[0].raw in _PREFIX_WORDS:
        words = words[1:]
    if words and words[0].raw in _CLOSING_WORDS:
        words = words[1:]
    compound = len(words) != count or inside
    assignments: list[ShellWord] = []
    k = 0
    while k < len(words) and _ASSIGNMENT.match(words[k].raw):
        assignments.append(words[k])
        k += 1
    start, end = extent if extent else (0, 0)
    return Command(tuple(assignments), tuple(words[k:]), separator, redirects, start, end, compound, heredoc)


def exec_script(args: str) -> Script:
    """A JSON (exec form) argument list as a one-command script, spans pointing at elements."""
    elements = json_elements(args)
    if elements is None:
        return Script((), opaque="not a JSON string array")
    words = tuple(ShellWord(args[s:e], v, s, e, False) for v, s, e in elements)
    start, end = (words[0].start, words[-1].end) if words else (0, 0)
    return Script((Command((), words, "", (), start, end),), exec_form=True)


def json_elements(text: str) -> list[tuple[str, int, int]] | None:
    """Spans of the string elements of a JSON array in ``text``."""
    decoder = json.JSONDecoder()
    i = text.find("[")
    if i < 0 or text[:i].strip():
        return None
    i += 1
    out: list[tuple[str, int, int]] = []
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == "]" and not out:
            return out if not text[i + 1 :].strip() else None
        try:
            value, end = decoder.raw_decode(text, i)
        except ValueError:
            return None
        if not isinstance(value, str):
            return None
        out.append((value, i, end))
        i = end
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i < n and text[i] == ",":
            i += 1
            continue
        if i < n and text[i] == "]":
            return out if not text[i + 1 :].strip() else None
        return None
