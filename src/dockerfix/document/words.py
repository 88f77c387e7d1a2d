"""Dockerfile word splitting and variable expansion (for ENV, ARG, COPY, WORKDIR, USER, flags).

This follows BuildKit's lexer closely enough to read values: single and double quotes, the escape
character, ``$VAR`` and ``${VAR}``. Anything more elaborate (``${VAR:-x}`` and friends) is
reported as unknown, never guessed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping

from dockerfix.records import frozen

# The longest text whose reading (words here, commands in shell.py) is cached between
# documents: a RUN of thousands of lines is read once per document instead, so that the
# file's earlier versions can be let go.
CACHED_TEXT = 1 << 16

_VAR = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


@frozen(slots=True)
class Word:
    raw: str
    value: str  # quotes and escapes removed, variables NOT expanded
    start: int
    end: int


def split_words(text: str, escape: str = "\\") -> list[Word]:
    """Split on unquoted whitespace, keeping each word's span in ``text``."""
    if len(text) > CACHED_TEXT:  # not kept: see CACHED_TEXT
        return list(_split(text, escape))
    return list(_split_words(text, escape))


@functools.lru_cache(maxsize=8192)
def _split_words(text: str, escape: str) -> tuple[Word, ...]:
    # cached: every pass of the engine splits the same instructions again
    return _split(text, escape)


def _split(text: str, escape: str) -> tuple[Word, ...]:
    words: list[Word] = []
    i = 0
    n = len(text)
    while i < n:
        while i < n and text[i] in " \t\r\n":
            i += 1
        if i >= n:
            break
        start = i
        value: list[str] = []
        quote = ""
        while i < n:
            c = text[i]
            if quote:
                if c == quote:
                    quote = ""
                elif c == escape and quote == '"' and i + 1 < n and text[i + 1] in ('"', escape, "$"):
                    # keep "\$" so that expansion leaves it alone
                    if text[i + 1] == "$":
                        value.append(c)
                    i += 1
                    value.append(text[i])
                else:
                    value.append(c)
            elif c in "'\"":
                quote = c
            elif c == escape and i + 1 < n:
                i += 1
                if text[i] == "$":
                    value.append(escape)
                value.append(text[i])
            elif c in " \t\r\n":
                break
            else:
                value.append(c)
            i += 1
        words.append(Word(text[start:i], "".join(value), start, i))
    return tuple(words)


class UnknownVariable(LookupError):
    pass


def expand(value: str, env: Mapping[str, str | None], escape: str = "\\") -> str:
    """Expand ``$VAR``/``${VAR}`` from ``env``.

    A variable that is missing, or mapped to None (its value is not known, e.g. an ARG that a
    build may override), raises UnknownVariable. Other ``$`` forms raise it too.
    """
    if "$" not in value:
        return value
    out: list[str] = []
    i = 0
    while i < len(value):
        c = value[i]
        if c == escape and i + 1 < len(value) and value[i + 1] == "$":
            out.append("$")
            i += 2
            continue
        if c == "$":
            m = _VAR.match(value, i)
            if not m:
                raise UnknownVariable(value[i:])
            name = m.group(1) or m.group(2)
            got = env.get(name)
            if got is None:
                raise UnknownVariable(name)
            out.append(got)
            i = m.end()
            continue
        out.append(c)
        i += 1
    return "".join(out)


def parse_assignments(args: str, escape: str = "\\") -> list[tuple[str, str]]:
    """``ENV``/``ARG``/``LABEL`` arguments as (name, raw value) pairs, in order.

    Both forms are read: ``K=V K2="v v"`` and the legacy ``K V V``. For ARG a name without a
    value gives an empty-string marker of None-ness handled by the caller ("" here).
    """
    words = split_words(args, escape)
    if not words:
        return []
    if "=" not in words[0].value:
        # legacy form: ENV KEY rest of the line
        first = words[0]
        rest = args[first.end :].strip()
        return [(first.value, rest_value(rest, escape))]
    pairs: list[tuple[str, str]] = []
    for w in words:
        name, eq, val = w.value.partition("=")
        pairs.append((name, val if eq else "\0"))
    return pairs


def rest_value(text: str, escape: str) -> str:
    return " ".join(w.value for w in split_words(text, escape))
