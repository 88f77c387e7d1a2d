"""Docker/BuildKit ``.dockerignore`` semantics, reproduced exactly.

This module mirrors, step by step, what BuildKit does with a ``.dockerignore``
file:

* ``github.com/moby/patternmatcher/ignorefile.ReadAll`` turns the file into a
  list of patterns: it strips a UTF-8 BOM from the first line, skips lines
  whose *first column* is ``#``, trims whitespace (Go's ``strings.TrimSpace``),
  handles the ``!`` prefix, applies ``filepath.Clean`` and drops a leading
  ``/``;
* ``patternmatcher.New`` trims and cleans each pattern again, splits off the
  ``!`` (a bare ``!`` is an error) and validates the rest with Go's
  ``filepath.Match`` syntax rules;
* ``Pattern.compile`` classifies each pattern as an exact, prefix (``foo/**``),
  suffix (``**/foo``) or regular-expression match and builds the Go regular
  expression; here that Go expression is then translated into an equivalent
  Python :mod:`re` expression (Go's RE2 syntax differs from Python's in places
  that a pattern can reach, e.g. ``\\d`` is ASCII-only and ``[[:alpha:]]`` is
  a POSIX class);
* ``PatternMatcher.MatchesOrParentMatches`` decides whether a path is
  excluded: the last matching pattern wins, and a pattern also matches a path
  when it matches one of the path's parent directories.

Besides the standard library, only dockerfix's records and folders are used.
Patterns are compiled once, in :meth:`DockerIgnore.parse`; a pattern that
Docker would reject (the build fails with an error) raises
:class:`DockerIgnoreError` there.
"""

from __future__ import annotations

import enum
import os
import re
import stat
from pathlib import Path
from typing import Final

from dockerfix.folders import file_mode
from dockerfix.records import field, frozen

__all__ = [
    "DockerIgnore",
    "DockerIgnoreError",
    "IgnorePattern",
    "MatchType",
    "load_dockerignore",
]


class DockerIgnoreError(ValueError):
    """A ``.dockerignore`` pattern that Docker rejects (the build would fail)."""


# ---------------------------------------------------------------------------
# Go helpers: strings.TrimSpace, path.Clean
# ---------------------------------------------------------------------------

# unicode.IsSpace: the ASCII/Latin-1 spaces plus the Unicode White_Space
# property.  (Python's str.strip() also strips U+001C..U+001F, Go does not.)
_GO_SPACE: Final = (
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_UTF8_BOM: Final = "\ufeff"


def _trim_space(s: str) -> str:
    return s.strip(_GO_SPACE)


def _go_clean(path: str) -> str:
    """Go's ``path.Clean`` (``filepath.Clean`` on a Unix system)."""
    if not path:
        return "."
    rooted = path[0] == "/"
    out: list[str] = []
    for part in path.split("/"):
        if part == "" or part == ".":
            continue
        if part == "..":
            if out and out[-1] != "..":
                out.pop()
            elif not rooted:
                out.append("..")
            continue
        out.append(part)
    cleaned = "/".join(out)
    if rooted:
        return "/" + cleaned
    return cleaned or "."


# ---------------------------------------------------------------------------
# filepath.Match syntax check (patternmatcher.New calls Match(p, ".") only for
# its error result)
# ---------------------------------------------------------------------------


def _is_invalid_rune(ch: str) -> bool:
    # A byte that was not valid UTF-8, carried through "surrogateescape".
    return "\udc80" <= ch <= "\udcff"


def _glob_get_esc(p: str, i: int) -> int:
    """``getEsc`` from Go's path/filepath: one (possibly escaped) class char."""
    n = len(p)
    if i >= n or p[i] == "-" or p[i] == "]":
        raise DockerIgnoreError(f"syntax error in pattern {p!r}")
    if p[i] == "\\":
        i += 1
        if i >= n:
            raise DockerIgnoreError(f"syntax error in pattern {p!r}")
    if _is_invalid_rune(p[i]):
        raise DockerIgnoreError(f"syntax error in pattern {p!r}")
    i += 1
    if i >= n:
        raise DockerIgnoreError(f"syntax error in pattern {p!r}")
    return i


def _check_glob_syntax(p: str) -> None:
    """Raise exactly when Go's ``filepath.Match(p, ".")`` returns ErrBadPattern.

    Since Go 1.16 Match validates the whole pattern even after a mismatch, so
    this is a plain syntax check: ``\\`` must escape something and every
    ``[...]`` class must be well formed (non-empty, ``^`` for negation, ranges
    ``lo-hi`` with both ends present, ``-`` and ``]`` escaped).
    """
    n = len(p)
    i = 0
    while i < n:
        ch = p[i]
        if ch == "\\":
            if i + 1 >= n:
                raise DockerIgnoreError(f"syntax error in pattern {p!r}")
            i += 2
        elif ch == "[":
            i += 1
            if i < n and p[i] == "^":
                i += 1
            nrange = 0
            while True:
                if i < n and p[i] == "]" and nrange > 0:
                    i += 1
                    break
                i = _glob_get_esc(p, i)
                if p[i] == "-":
                    i = _glob_get_esc(p, i + 1)
                nrange += 1
        else:
            i += 1


# ---------------------------------------------------------------------------
# Go regexp (RE2 syntax, syntax.Perl flags) -> Python re
# ---------------------------------------------------------------------------

_Ranges = list[tuple[int, int]]

_MAX_RUNE: Final = 0x10FFFF

_DIGIT: Final[_Ranges] = [(0x30, 0x39)]
_WORD: Final[_Ranges] = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]

# \d \s \w are ASCII-only in Go.  (\s has no \v.)
_PERL_GROUPS: Final[dict[str, _Ranges]] = {
    "d": _DIGIT,
    "s": [(0x09, 0x0A), (0x0C, 0x0D), (0x20, 0x20)],
    "w": _WORD,
}

_POSIX_GROUPS: Final[dict[str, _Ranges]] = {
    "alnum": [(0x30, 0x39), (0x41, 0x5A), (0x61, 0x7A)],
    "alpha": [(0x41, 0x5A), (0x61, 0x7A)],
    "ascii": [(0x00, 0x7F)],
    "blank": [(0x09, 0x09), (0x20, 0x20)],
    "cntrl": [(0x00, 0x1F), (0x7F, 0x7F)],
    "digit": _DIGIT,
    "graph": [(0x21, 0x7E)],
    "lower": [(0x61, 0x7A)],
    "print": [(0x20, 0x7E)],
    "punct": [(0x21, 0x2F), (0x3A, 0x40), (0x5B, 0x60), (0x7B, 0x7E)],
    "space": [(0x09, 0x0D), (0x20, 0x20)],
    "upper": [(0x41, 0x5A)],
    "word": _WORD,
    "xdigit": [(0x30, 0x39), (0x41, 0x46), (0x61, 0x66)],
}

_C_ESCAPES: Final = {"a": 0x07, "f": 0x0C, "n": 0x0A, "r": 0x0D, "t": 0x09, "v": 0x0B}
_ASCII_ALNUM: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_OCTAL: Final = frozenset("01234567")
_HEX: Final = "0123456789abcdef"
_REPEAT_RE: Final = re.compile(r"\{[0-9]+(?:,[0-9]*)?\}")
_UNSUPPORTED_UNICODE_CLASS: Final = (
    "Unicode classes (\\p, \\P) in .dockerignore patterns are not supported"
)


def _negate(ranges: _Ranges) -> _Ranges:
    out: _Ranges = []
    nxt = 0
    for lo, hi in sorted(ranges):
        if lo > nxt:
            out.append((nxt, lo - 1))
        nxt = max(nxt, hi + 1)
    if nxt <= _MAX_RUNE:
        out.append((nxt, _MAX_RUNE))
    return out


def _emit_class(ranges: _Ranges, negate: bool) -> str:
    """A Python character class for the union of ``ranges`` (negated if asked)."""
    if not ranges:  # unreachable: a Go class has at least one item
        return "[^\\x00-\\U0010ffff]" if not negate else "[\\x00-\\U0010ffff]"
    parts: list[str] = []
    for lo, hi in sorted(ranges):
        a = re.escape(chr(lo))
        parts.append(a if lo == hi else f"{a}-{re.escape(chr(hi))}")
    return ("[^" if negate else "[") + "".join(parts) + "]"


def _hexval(ch: str) -> int:
    return _HEX.find(ch.lower()) if len(ch) == 1 else -1


def _parse_escape(src: str, i: int) -> tuple[int, int]:
    """Go's ``parser.parseEscape``: a single-character escape at ``src[i]``."""
    n = len(src)
    j = i + 1
    if j >= n:
        raise DockerIgnoreError("trailing backslash at end of expression")
    c = src[j]
    j += 1
    if c < "\x80" and c not in _ASCII_ALNUM:
        return ord(c), j  # escaped punctuation is itself
    if c in _OCTAL and (c == "0" or (j < n and src[j] in _OCTAL)):
        r = ord(c) - 0x30
        for _ in range(2):
            if j < n and src[j] in _OCTAL:
                r = r * 8 + ord(src[j]) - 0x30
                j += 1
            else:
                break
        return r, j
    if c == "x" and j < n:
        c2 = src[j]
        j += 1
        if c2 == "{":
            r = 0
            nhex = 0
            while j < n:
                c3 = src[j]
                j += 1
                if c3 == "}":
                    if nhex:
                        return r, j
                    break
                v = _hexval(c3)
                if v < 0:
                    break
                r = r * 16 + v
                if r > _MAX_RUNE:
                    break
                nhex += 1
        elif j < n:
            x, y = _hexval(c2), _hexval(src[j])
            if x >= 0 and y >= 0:
                return x * 16 + y, j + 1
    if c in _C_ESCAPES:
        return _C_ESCAPES[c], j
    raise DockerIgnoreError(f"invalid escape sequence: {src[i:j]!r}")


def _parse_class(src: str, i: int) -> tuple[str, int]:
    """Go's ``parser.parseClass`` (Perl flags) for ``[...]`` at ``src[i]``."""
    n = len(src)
    t = i + 1
    negate = False
    if t < n and src[t] == "^":
        negate = True
        t += 1
    ranges: _Ranges = []
    first = True  # "]" is a literal as the first class character
    while t >= n or src[t] != "]" or first:
        first = False
        if t >= n:
            raise DockerIgnoreError(f"missing closing ]: {src[i:]!r}")
        # POSIX [:alpha:] and [:^alpha:]; the ":]" is searched for in the
        # whole rest of the expression, as Go does.
        if n - t > 2 and src[t] == "[" and src[t + 1] == ":":
            end = src.find(":]", t + 2)
            if end >= 0:
                name = src[t + 2 : end]
                neg_group = name.startswith("^")
                group = _POSIX_GROUPS.get(name[1:] if neg_group else name)
                if group is None:
                    raise DockerIgnoreError(f"invalid character class range: {src[t:end + 2]!r}")
                ranges.extend(_negate(group) if neg_group else group)
                t = end + 2
                continue
        if src[t] == "\\" and t + 1 < n:
            esc = src[t + 1]
            if esc in "pP":
                raise DockerIgnoreError(_UNSUPPORTED_UNICODE_CLASS)
            if esc.lower() in _PERL_GROUPS:
                group = _PERL_GROUPS[esc.lower()]
                ranges.extend(_negate(group) if esc.isupper() else group)
                t += 2
                continue
        lo, t = _parse_class_char(src, t, i)
        hi = lo
        if n - t >= 2 and src[t] == "-" and src[t + 1] != "]":
            hi, t = _parse_class_char(src, t + 1, i)
            if hi < lo:
                raise DockerIgnoreError("invalid character class range")
        ranges.append((lo, hi))
    return _emit_class(ranges, negate), t + 1


def _parse_class_char(src: str, t: int, start: int) -> tuple[int, int]:
    if t >= len(src):
        raise DockerIgnoreError(f"missing closing ]: {src[start:]!r}")
    if src[t] == "\\":
        return _parse_escape(src, t)
    return ord(src[t]), t + 1


def _go_regex_to_python(src: str) -> str:
    """Translate the Go regular expression built by patternmatcher to Python.

    Handles the whole syntax a ``.dockerignore`` pattern can reach; Go's
    semantics are kept (``^``/``$`` are text anchors, ``\\d``/``\\s``/``\\w``
    and ``\\b`` are ASCII-only, POSIX classes, ``\\Q...\\E``).  Errors that Go's
    ``regexp.Compile`` reports raise :class:`DockerIgnoreError`.
    """
    out: list[str] = []
    prev = "empty"  # "empty" | "atom" | "repeat": what a quantifier would apply to
    depth = 0
    i = 0
    n = len(src)
    while i < n:
        c = src[i]
        if c in "*+?" or (c == "{" and _REPEAT_RE.match(src, i)):
            if c == "{":  # unreachable: patternmatcher always escapes "{"
                raise DockerIgnoreError("counted repetition is not supported")
            if prev == "empty":
                raise DockerIgnoreError(f"missing argument to repetition operator: {c!r}")
            if prev == "repeat":
                raise DockerIgnoreError(f"invalid nested repetition operator: {c!r}")
            i += 1
            if i < n and src[i] == "?":  # non-greedy; irrelevant to whether it matches
                i += 1
            out.append(c)
            prev = "repeat"
            continue
        if c == "(":
            if src.startswith("(?", i):  # unreachable: "(" from a pattern is escaped
                raise DockerIgnoreError("regexp flags and named groups are not supported")
            depth += 1
            out.append("(?:")
            prev = "empty"
            i += 1
            continue
        if c == ")":
            if depth == 0:
                raise DockerIgnoreError("unexpected )")
            depth -= 1
            out.append(")")
            prev = "atom"
            i += 1
            continue
        if c == "|":
            out.append("|")
            prev = "empty"
            i += 1
            continue
        i += 1
        if c == "^":
            out.append(r"(?:\A)")
        elif c == "$":
            out.append(r"(?:\Z)")
        elif c == ".":
            out.append(".")  # any character but "\n", as in Go without (?s)
        elif c == "[":
            cls, i = _parse_class(src, i - 1)
            out.append(cls)
        elif c == "\\":
            i -= 1
            if i + 1 >= n:
                raise DockerIgnoreError("trailing backslash at end of expression")
            d = src[i + 1]
            if d in "AzbB":
                out.append({"A": r"(?:\A)", "z": r"(?:\Z)", "b": r"(?:\b)", "B": r"(?:\B)"}[d])
                i += 2
            elif d == "C":
                raise DockerIgnoreError("invalid escape sequence: '\\\\C'")
            elif d == "Q":
                end = src.find("\\E", i + 2)
                literal = src[i + 2 :] if end < 0 else src[i + 2 : end]
                i = n if end < 0 else end + 2
                if literal:
                    out.extend(re.escape(ch) for ch in literal)
                    prev = "atom"
                continue
            elif d in "pP":
                raise DockerIgnoreError(_UNSUPPORTED_UNICODE_CLASS)
            elif d.lower() in _PERL_GROUPS:
                out.append(_emit_class(_PERL_GROUPS[d.lower()], d.isupper()))
                i += 2
            else:
                r, i = _parse_escape(src, i)
                out.append(re.escape(chr(r)))
        else:
            out.append(re.escape(c))
        prev = "atom"
    if depth:
        raise DockerIgnoreError("missing closing )")
    return "".join(out)


# ---------------------------------------------------------------------------
# Patterns
# ---------------------------------------------------------------------------

_ESCAPED_META: Final = frozenset(".+()|{}$")


class MatchType(enum.Enum):
    """How patternmatcher evaluates a pattern (its ``matchType``)."""

    EXACT = "exact"
    PREFIX = "prefix"  # "foo/**": a plain prefix test
    SUFFIX = "suffix"  # "**/foo": a plain suffix test
    REGEXP = "regexp"


def _compile(pattern: str) -> tuple[MatchType, str | None]:
    """``Pattern.compile`` from patternmatcher: (match type, Go regexp or None)."""
    reg: list[str] = ["^"]
    detected = MatchType.EXACT
    n = len(pattern)
    pos = 1 if pattern.startswith(_UTF8_BOM) else 0  # text/scanner skips a leading BOM
    it = 0
    while pos < n:
        ch = pattern[pos]
        pos += 1
        if ch == "*":
            if pos < n and pattern[pos] == "*":  # some flavour of "**"
                pos += 1
                if pos < n and pattern[pos] == "/":  # "**/" is treated as "**"
                    pos += 1
                if pos >= n:  # "**" at the end matches everything below
                    if detected is MatchType.EXACT:
                        detected = MatchType.PREFIX
                    else:
                        reg.append(".*")
                        detected = MatchType.REGEXP
                else:  # any number of directories, even none
                    reg.append("(.*/)?")
                    detected = MatchType.REGEXP
                if it == 0:
                    detected = MatchType.SUFFIX
            else:
                reg.append("[^/]*")
                detected = MatchType.REGEXP
        elif ch == "?":
            reg.append("[^/]")
            detected = MatchType.REGEXP
        elif ch in _ESCAPED_META:
            reg.append("\\" + ch)
        elif ch == "\\":
            if pos < n:
                reg.append("\\" + pattern[pos])
                pos += 1
                detected = MatchType.REGEXP
            else:
                reg.append("\\")
        elif ch == "[" or ch == "]":
            reg.append(ch)
            detected = MatchType.REGEXP
        else:
            reg.append(ch)
        it += 1
    if detected is not MatchType.REGEXP:
        return detected, None
    reg.append("$")
    return detected, "".join(reg)


@frozen(slots=True)
class IgnorePattern:
    """One compiled ``.dockerignore`` pattern."""

    pattern: str
    """The cleaned pattern, without the ``!`` (patternmatcher's ``cleanedPattern``)."""
    exclusion: bool
    """True for a ``!pattern`` line, which re-includes what it matches."""
    match_type: MatchType = field(compare=False)
    regex: re.Pattern[str] | None = field(default=None, compare=False, repr=False)
    _affix: str = field(default="", compare=False, repr=False)

    @classmethod
    def compile(cls, pattern: str, exclusion: bool) -> IgnorePattern:
        """Compile an already cleaned pattern; raise :class:`DockerIgnoreError` if invalid."""
        _check_glob_syntax(pattern)
        match_type, go_regex = _compile(pattern)
        regex: re.Pattern[str] | None = None
        affix = ""
        if match_type is MatchType.REGEXP:
            assert go_regex is not None
            try:
                regex = re.compile(_go_regex_to_python(go_regex), re.ASCII)
            except DockerIgnoreError as exc:
                raise DockerIgnoreError(f"bad pattern {pattern!r}: {exc}") from None
        elif match_type is MatchType.PREFIX:
            affix = pattern[:-2]  # strip the trailing "**"
        elif match_type is MatchType.SUFFIX:
            affix = pattern[2:]  # strip the leading "**"
        return cls(pattern, exclusion, match_type, regex, affix)

    @property
    def text(self) -> str:
        """The pattern as it would be written in the file (with ``!`` if an exclusion)."""
        return ("!" if self.exclusion else "") + self.pattern

    def matches(self, path: str) -> bool:
        """Whether this pattern matches ``path`` itself (no parent-directory matching)."""
        mt = self.match_type
        if mt is MatchType.EXACT:
            return path == self.pattern
        if mt is MatchType.PREFIX:
            return path.startswith(self._affix)
        if mt is MatchType.SUFFIX:
            suffix = self._affix
            # "**/foo" also matches "foo" itself
            return path.endswith(suffix) or (suffix[:1] == "/" and path == suffix[1:])
        assert self.regex is not None
        return self.regex.search(path) is not None


def _read_patterns(text: str) -> list[tuple[int, str]]:
    """``ignorefile.ReadAll``: (line number, pattern string with optional "!")."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # bufio.ScanLines yields no token after a final newline
    out: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if line.endswith("\r"):
            line = line[:-1]
        if number == 1 and line.startswith(_UTF8_BOM):
            line = line[1:]
        # Comments are recognised before trimming: "#" must be in column 1.
        if line.startswith("#"):
            continue
        pattern = _trim_space(line)
        if not pattern:
            continue
        invert = pattern[0] == "!"
        if invert:
            pattern = _trim_space(pattern[1:])
        if pattern:
            pattern = _go_clean(pattern)
            if len(pattern) > 1 and pattern[0] == "/":
                pattern = pattern[1:]
        if invert:
            pattern = "!" + pattern
        out.append((number, pattern))
    return out


def _new_pattern(raw: str, number: int) -> IgnorePattern | None:
    """``patternmatcher.New`` for one pattern string."""
    p = _trim_space(raw)
    if not p:
        return None
    p = _go_clean(p)
    exclusion = p[0] == "!"
    if exclusion:
        if len(p) == 1:
            raise DockerIgnoreError(f'line {number}: illegal exclusion pattern: "!"')
        p = p[1:]
    try:
        return IgnorePattern.compile(p, exclusion)
    except DockerIgnoreError as exc:
        raise DockerIgnoreError(f"line {number}: {exc}") from None


def _normalize_path(path: str) -> str:
    """A context-relative, cleaned path; "." for the context root."""
    p = _go_clean(path)
    if p.startswith("/"):
        p = p.lstrip("/") or "."
    return p


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


@frozen(slots=True)
class DockerIgnore:
    """The compiled patterns of one ``.dockerignore`` file.

    ``DockerIgnore()`` ignores nothing.
    """

    patterns: tuple[IgnorePattern, ...] = ()
    source: Path | None = field(default=None, compare=False)
    """The file the patterns were read from, if any."""

    @classmethod
    def parse(cls, text: str, source: Path | None = None) -> DockerIgnore:
        """Parse the text of a ``.dockerignore`` file.

        Raises :class:`DockerIgnoreError` (a :class:`ValueError`) for a pattern
        Docker rejects, e.g. a lone ``!`` or an unterminated ``[``.
        """
        compiled: list[IgnorePattern] = []
        for number, raw in _read_patterns(text):
            pattern = _new_pattern(raw, number)
            if pattern is not None:
                compiled.append(pattern)
        return cls(tuple(compiled), source)

    def is_ignored(self, path: str) -> bool:
        """Whether Docker leaves ``path`` (relative to the context root) out of the context.

        ``path`` uses "/" separators; a leading "./" or "/" is accepted and the
        path is cleaned like ``filepath.Clean``.  The context root itself is
        never ignored.  This is patternmatcher's ``MatchesOrParentMatches``.
        """
        if not self.patterns:
            return False
        file = _normalize_path(path)
        if file == ".":
            return False
        slash = file.rfind("/")
        parents: list[str] = []
        if slash >= 0:  # filepath.Dir(file) != "."
            parent = file[:slash]
            end = parent.find("/")
            while end >= 0:
                parents.append(parent[:end])
                end = parent.find("/", end + 1)
            parents.append(parent)
        matched = False
        for pattern in self.patterns:
            # An inclusion cannot change an already ignored path, nor an
            # exclusion a path that is not ignored (patternmatcher skips them).
            if pattern.exclusion != matched:
                continue
            hit = pattern.matches(file)
            if not hit:
                for parent_dir in parents:
                    if pattern.matches(parent_dir):
                        hit = True
                        break
            if hit:
                matched = not pattern.exclusion
        return matched


def load_dockerignore(
    context_dir: os.PathLike[str] | str,
    dockerfile: os.PathLike[str] | str | None,
) -> DockerIgnore:
    """Load the ignore file that applies to a build, as BuildKit chooses it.

    ``<dockerfile-name>.dockerignore`` beside the Dockerfile takes precedence
    (``docker/Dockerfile.prod`` -> ``docker/Dockerfile.prod.dockerignore``);
    otherwise ``<context_dir>/.dockerignore``; otherwise an empty
    :class:`DockerIgnore` that ignores nothing.

    A relative ``dockerfile`` is taken as given (relative to the working
    directory, like ``docker build -f``) and, failing that, relative to
    ``context_dir``.  The file is decoded as UTF-8 (a BOM is stripped; invalid
    bytes are kept via ``surrogateescape``, like ``os.fsdecode`` paths).
    """
    context = os.fspath(context_dir)
    candidates: list[str] = []
    if dockerfile is not None and (df := Path(dockerfile)).name:
        # the file name with ".dockerignore" added (strings: a Path for each costs more than the look)
        candidates.append(os.fspath(df) + ".dockerignore")
        if not df.is_absolute():
            candidates.append(os.path.join(context, os.fspath(df)) + ".dockerignore")
    candidates.append(os.path.join(context, ".dockerignore"))
    for candidate in candidates:
        mode = file_mode(candidate)
        if mode is not None and stat.S_ISREG(mode):
            with open(candidate, "rb") as f:
                data = f.read()
            return _parsed(data, candidate)
    return DockerIgnore()


_PARSED: dict[tuple[bytes, str], DockerIgnore] = {}  # the Dockerfiles of one context share its file


def _parsed(data: bytes, path: str) -> DockerIgnore:
    key = (data, path)
    found = _PARSED.get(key)
    if found is None:
        found = DockerIgnore.parse(data.decode("utf-8", "surrogateescape"), source=Path(path))
        if len(_PARSED) >= 256:
            _PARSED.clear()
        _PARSED[key] = found
    return found

