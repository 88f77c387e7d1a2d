"""A reader for the part of HCL that docker-bake.hcl files are written in.

Blocks with labels (`target "api" { ... }`), attributes (`context = "."`), string literals, lists
and the rest of the expressions. A string with an interpolation (`"${TAG}"`), a reference, a
function call or an operator is kept as an *unknown* value with its text and line, never
evaluated. What the reader cannot read at all (an unterminated string or block, a stray token)
raises HclError with the line.
"""

from __future__ import annotations

import re

from dockerfix.records import field, frozen


class HclError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@frozen
class Value:
    """An attribute's value: a string (``text``), a list of values (``items``), or unknown."""

    kind: str  # "string", "list", "literal" (number, bool, null) or "unknown"
    source: str  # as written
    line: int
    text: str | None = None
    items: tuple[Value, ...] = ()


@frozen
class Block:
    type: str
    labels: tuple[str, ...]
    line: int
    attributes: dict[str, Value] = field(default_factory=dict)
    blocks: tuple[Block, ...] = ()


@frozen
class _Token:
    kind: str  # ident, string, template, number, punct, newline
    text: str  # the source text
    value: str  # a string's value
    line: int


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_HEREDOC = re.compile(r"<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\n")
_STRING_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _string(text: str, i: int, line: int) -> tuple[str, bool, int]:
    """The string starting after the quote at ``i - 1``: its value, whether it interpolates, and
    the index after the closing quote."""
    out: list[str] = []
    template = False
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            return "".join(out), template, i + 1
        if c == "\n":
            raise HclError(line, "unterminated string")
        if c == "\\":
            e = text[i + 1 : i + 2]
            if e == "u" or e == "U":
                width = 4 if e == "u" else 8
                out.append(chr(int(text[i + 2 : i + 2 + width], 16)))
                i += 2 + width
                continue
            out.append(_STRING_ESCAPES.get(e, e))
            i += 2
            continue
        if text.startswith(("$${", "%%{"), i):
            out.append(text[i + 1 : i + 3])
            i += 3
            continue
        if text.startswith(("${", "%{"), i):
            template = True
            depth = 0
            j = i + 1
            while j < n:
                if text[j] == "{":
                    depth += 1
                elif text[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                elif text[j] == "\n":
                    raise HclError(line, "unterminated interpolation")
                j += 1
            out.append(text[i : j + 1])
            i = j + 1
            continue
        out.append(c)
        i += 1
    raise HclError(line, "unterminated string")


def tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    line = 1
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            tokens.append(_Token("newline", c, c, line))
            line += 1
            i += 1
        elif c in " \t\r":
            i += 1
        elif c == "#" or text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise HclError(line, "unterminated /* comment")
            line += text.count("\n", i, j)
            i = j + 2
        elif c == '"':
            value, template, j = _string(text, i + 1, line)
            tokens.append(_Token("template" if template else "string", text[i:j], value, line))
            i = j
        elif (m := _HEREDOC.match(text, i)) is not None:
            end = re.compile(rf"^[ \t]*{m.group(1)}[ \t]*$", re.M).search(text, m.end())
            if end is None:
                raise HclError(line, f"unterminated heredoc <<{m.group(1)}")
            tokens.append(_Token("template", text[i : end.end()], "", line))
            line += text.count("\n", i, end.end())
            i = end.end()
        elif (m := _IDENT.match(text, i)) is not None:
            tokens.append(_Token("ident", m.group(0), m.group(0), line))
            i = m.end()
        elif (m := _NUMBER.match(text, i)) is not None:
            tokens.append(_Token("number", m.group(0), m.group(0), line))
            i = m.end()
        else:
            two = text[i : i + 2]
            op = two if two in ("==", "!=", "<=", ">=", "&&", "||", "=>", "...") else c
            tokens.append(_Token("punct", op, op, line))
            i += len(op)
    return tokens


_OPEN = {"{": "}", "[": "]", "(": ")"}


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.k = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.k] if self.k < len(self.tokens) else None

    def skip_newlines(self) -> None:
        while (t := self.peek()) is not None and t.kind == "newline":
            self.k += 1

    def body(self, closing: str | None, line: int) -> tuple[dict[str, Value], tuple[Block, ...]]:
        attributes: dict[str, Value] = {}
        blocks: list[Block] = []
        while True:
            self.skip_newlines()
            t = self.peek()
            if t is None:
                if closing is not None:
                    raise HclError(line, "unterminated block")
                return attributes, tuple(blocks)
            if closing is not None and t.text == closing:
                self.k += 1
                return attributes, tuple(blocks)
            if t.kind != "ident":
                raise HclError(t.line, f"unexpected {t.text!r}")
            self.k += 1
            nxt = self.peek()
            if nxt is not None and nxt.text in ("=", ":"):
                self.k += 1
                if t.text in attributes:
                    raise HclError(t.line, f"{t.text} is set twice")
                attributes[t.text] = self.expression(t.line)
                continue
            labels: list[str] = []
            while (nxt := self.peek()) is not None and nxt.kind in ("string", "ident"):
                labels.append(nxt.value)
                self.k += 1
            if nxt is None or nxt.text != "{":
                raise HclError(t.line, f"expected '{{' after {t.text}")
            self.k += 1
            inner, nested = self.body("}", t.line)
            blocks.append(Block(t.text, tuple(labels), t.line, inner, nested))

    def expression(self, line: int) -> Value:
        """The tokens up to the end of the line (outside brackets) or a closing brace."""
        start = self.k
        depth: list[str] = []
        while (t := self.peek()) is not None:
            if not depth and (t.kind == "newline" or t.text in ("}", ",")):
                break
            if t.text in _OPEN:
                depth.append(_OPEN[t.text])
            elif depth and t.text == depth[-1]:
                depth.pop()
            elif t.text in ("}", "]", ")"):
                raise HclError(t.line, f"unexpected {t.text!r}")
            self.k += 1
        if depth:
            raise HclError(line, f"unterminated expression (no {depth[-1]!r})")
        tokens = [t for t in self.tokens[start : self.k] if t.kind != "newline"]
        if not tokens:
            raise HclError(line, "an attribute without a value")
        return _value(tokens, line)


def _value(tokens: list[_Token], line: int) -> Value:
    source = " ".join(t.text for t in tokens)
    first = tokens[0]
    if len(tokens) == 1:
        if first.kind == "string":
            return Value("string", source, first.line, first.value)
        if first.kind == "number" or first.text in ("true", "false", "null"):
            return Value("literal", source, first.line, first.text)
        return Value("unknown", source, first.line)
    if first.text == "[" and tokens[-1].text == "]":
        items: list[Value] = []
        part: list[_Token] = []
        depth = 0
        for t in tokens[1:-1]:
            if t.text in _OPEN:
                depth += 1
            elif t.text in ("]", "}", ")"):
                depth -= 1
            if t.text == "," and depth == 0:
                items.append(_value(part, t.line) if part else Value("unknown", "", t.line))
                part = []
                continue
            part.append(t)
        if part:
            items.append(_value(part, line))
        return Value("list", source, first.line, None, tuple(items))
    return Value("unknown", source, first.line)


def parse_hcl(text: str) -> tuple[dict[str, Value], tuple[Block, ...]]:
    """The top-level attributes and blocks of ``text``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Parser(tokenize(text)).body(None, 1)
