"""A reader for the part of YAML that compose files and GitHub workflows are written in.

Block mappings and sequences, plain, single- and double-quoted scalars, literal (`|`) and folded
(`>`) block scalars, flow collections (`[a, b]`, `{a: b}`, also over several lines), comments,
anchors, aliases and merge keys (`<<: *common`). Every node keeps its line. What it does not read
(tags, complex `?` keys, several documents, tabs in indentation, multi-line quoted scalars, a
duplicate key) raises YamlError with the line: the caller then treats what the file says as
unknown instead of guessing.

`parse_flow` reads a flow collection on its own; jsonc.py reads JSON through it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from dockerfix.records import frozen


class YamlError(ValueError):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@frozen(eq=False)
class Node:
    """A scalar (str, or None for null), a sequence (tuple) or a mapping (dict), and its line
    (1-based; for a block scalar, the line of its first content line)."""

    value: str | tuple[Node, ...] | dict[str, Node] | None
    line: int
    style: str = "plain"  # plain, quoted, literal, folded, flow, block

    def get(self, key: str) -> Node | None:
        return self.value.get(key) if isinstance(self.value, dict) else None

    @property
    def text(self) -> str | None:
        return self.value if isinstance(self.value, str) else None

    @property
    def mapping(self) -> dict[str, Node]:
        return self.value if isinstance(self.value, dict) else {}

    @property
    def items(self) -> tuple[Node, ...]:
        return self.value if isinstance(self.value, tuple) else ()


_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "b": "\b", "f": "\f", "0": "\0", "/": "/", "\\": "\\", '"': '"',
            " ": " ", "e": "\x1b", "a": "\a", "v": "\v", "N": "\x85", "_": "\xa0", "\t": "\t"}  # fmt: skip
_HEX = {"x": 2, "u": 4, "U": 8}


def _plain(text: str, line: int) -> Node:
    return Node(None if text in _NULLS else text, line)


def _double(text: str, i: int, line: int) -> tuple[str, int]:
    """A double-quoted scalar starting after the quote at ``i - 1``; the index after its end."""
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\n":
            raise YamlError(line, "a quoted scalar over several lines is not read")
        if c == "\\":
            e = text[i + 1 : i + 2]
            if e in _HEX:
                digits = text[i + 2 : i + 2 + _HEX[e]]
                if not re.fullmatch(r"[0-9a-fA-F]+", digits) or len(digits) != _HEX[e]:
                    raise YamlError(line, f"bad escape \\{e}{digits}")
                out.append(chr(int(digits, 16)))
                i += 2 + _HEX[e]
                continue
            if e not in _ESCAPES:
                raise YamlError(line, f"unknown escape \\{e}")
            out.append(_ESCAPES[e])
            i += 2
            continue
        out.append(c)
        i += 1
    raise YamlError(line, "unterminated double quote")


def _single(text: str, i: int, line: int) -> tuple[str, int]:
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if c == "'":
            if text.startswith("''", i):
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        if c == "\n":
            raise YamlError(line, "a quoted scalar over several lines is not read")
        out.append(c)
        i += 1
    raise YamlError(line, "unterminated single quote")


def _quoted(text: str, i: int, line: int) -> tuple[str, int]:
    return (_double if text[i] == '"' else _single)(text, i + 1, line)


def strip_comment(text: str) -> str:
    """The line without its `#` comment (a `#` after a space, outside quotes) and trailing spaces."""
    i = 0
    n = len(text)
    scalar_start = True  # a quote here opens a quoted scalar
    while i < n:
        c = text[i]
        if c == "#" and (i == 0 or text[i - 1] in " \t"):
            return text[:i].rstrip()
        if c in "\"'" and scalar_start:
            try:
                _, i = _quoted(text, i, 0)
            except YamlError:
                return text.rstrip()
            scalar_start = False
            continue
        if c in "[{,":
            scalar_start = True
        elif c in ":-?" and (i + 1 == n or text[i + 1] in " \t"):
            scalar_start = True
        elif c not in " \t":
            scalar_start = False
        i += 1
    return text.rstrip()


class _Flow:
    """A flow collection or scalar in ``text`` (which may span lines), from ``line``."""

    def __init__(self, text: str, line: int, hash_comments: bool = True) -> None:
        self.text = text
        self.line = line
        self.i = 0
        self.hash_comments = hash_comments

    def here(self) -> int:
        return self.line + self.text.count("\n", 0, self.i)

    def skip(self) -> None:
        while self.i < len(self.text):
            c = self.text[self.i]
            if c in " \t\r\n":
                self.i += 1
            elif c == "#" and self.hash_comments:
                nl = self.text.find("\n", self.i)
                self.i = len(self.text) if nl < 0 else nl
            else:
                return

    def peek(self) -> str:
        self.skip()
        return self.text[self.i : self.i + 1]

    def value(self) -> Node:
        c = self.peek()
        line = self.here()
        if c == "[":
            return self.collection("]", line)
        if c == "{":
            return self.collection("}", line)
        if c in "\"'" and c:
            value, self.i = _quoted(self.text, self.i, line)
            return Node(value, line, "quoted")
        if not c or c in "]},":
            return Node(None, line)
        if c in "&*!|>%@`":
            raise YamlError(line, f"{c!r} inside a flow collection is not read")
        m = re.compile(r"(?:[^,\[\]{}:#\n]|:(?![\s,\[\]{}])|(?<! )#)+").match(self.text, self.i)
        raw = m.group(0) if m else ""
        self.i += len(raw)
        return _plain(raw.strip(), line)

    def collection(self, close: str, line: int) -> Node:
        self.i += 1
        items: list[Node] = []
        pairs: dict[str, Node] = {}
        while True:
            c = self.peek()
            if not c:
                raise YamlError(line, f"unterminated flow collection (no {close!r})")
            if c == close:
                self.i += 1
                if close == "]":
                    return Node(tuple(items), line, "flow")
                return Node(pairs, line, "flow")
            item = self.value()
            if self.peek() == ":":
                if close == "]":
                    raise YamlError(item.line, "a mapping inside a flow sequence is not read")
                self.i += 1
                key = item.text if item.text is not None else ""
                if key in pairs:
                    raise YamlError(item.line, f"duplicate key {key!r}")
                pairs[key] = self.value()
            elif close == "}":
                raise YamlError(item.line, "expected ':' in a flow mapping")
            else:
                items.append(item)
            c = self.peek()
            if c == ",":
                self.i += 1
            elif not c:
                raise YamlError(line, f"unterminated flow collection (no {close!r})")
            elif c != close:
                raise YamlError(self.here(), f"expected ',' or {close!r}")


def parse_flow(text: str, line: int = 1, hash_comments: bool = True) -> Node:
    """One flow value filling ``text`` (JSON is one)."""
    flow = _Flow(text, line, hash_comments)
    node = flow.value()
    if flow.peek():
        raise YamlError(flow.here(), "unexpected text after the value")
    return node


_KEY = re.compile(r"^((?:[^\s#'\"\[\]{},&*!|>%@`?-]|-(?=\S))(?:[^:]|:(?=\S))*?)\s*:(?:\s+|$)")


def _split_key(text: str, line: int) -> tuple[str, str] | None:
    """``key: rest`` → (key, rest); None if the line is not a mapping entry."""
    if text.startswith("? ") or text == "?":
        raise YamlError(line, "complex mapping keys ('?') are not read")
    if text[:1] in "\"'":
        key, end = _quoted(text, 0, line)
        m = re.compile(r"\s*:(?:\s+|$)").match(text, end)
        return (key, text[m.end() :]) if m else None
    m = _KEY.match(text)
    if not m:
        return None
    return m.group(1), text[m.end() :]


@frozen
class _Line:
    indent: int
    text: str  # without indentation and comment
    number: int  # 1-based
    index: int  # into the raw lines


class _Reader:
    def __init__(self, text: str) -> None:
        lines = text.split("\n")
        if text.endswith("\n"):  # the last newline ends the last line: it starts none
            lines.pop()
        self.raw = [line.rstrip("\r") for line in lines]
        self.i = 0  # the next raw line
        self.pending: _Line | None = None  # the rest of a `- key: value` line, as its own line
        self.anchors: dict[str, Node] = {}

    def _content(self, index: int) -> _Line | None:
        raw = self.raw[index]
        body = raw.lstrip(" ")
        indent = len(raw) - len(body)
        if body.startswith("\t") and strip_comment(body):
            raise YamlError(index + 1, "a tab in the indentation")
        text = strip_comment(body)
        return _Line(indent, text, index + 1, index) if text else None

    def peek(self) -> _Line | None:
        if self.pending is not None:
            return self.pending
        k = self.i
        while k < len(self.raw):
            found = self._content(k)
            if found is not None:
                return found
            k += 1
        return None

    def advance(self, line: _Line) -> None:
        if self.pending is line:
            self.pending = None
        else:
            self.i = line.index + 1

    def document(self) -> Node:
        first = self.peek()
        if first is not None and first.text.startswith("%"):
            raise YamlError(first.number, "directives are not read")
        if first is not None and first.text == "---":
            self.advance(first)
            first = self.peek()
        if first is None:
            return Node(None, 1)
        node = self.block(first.indent)
        rest = self.peek()
        if rest is not None and rest.text != "...":
            what = "a second document is not read" if rest.text.startswith("---") else "unexpected indentation"
            raise YamlError(rest.number, what)
        return node

    def block(self, indent: int) -> Node:
        line = self.peek()
        assert line is not None
        if line.indent != indent:
            raise YamlError(line.number, "unexpected indentation")
        if line.text == "-" or line.text.startswith("- "):
            return self.sequence(indent)
        if _split_key(line.text, line.number) is not None:
            return self.mapping(indent)
        self.advance(line)
        return self.value(line.text, line.number, indent - 1, in_mapping=False)

    def mapping(self, indent: int) -> Node:
        pairs: dict[str, Node] = {}
        merged: list[Node] = []
        first = self.peek()
        assert first is not None
        while (line := self.peek()) is not None and line.indent >= indent:
            if line.indent > indent:
                raise YamlError(line.number, "unexpected indentation")
            if line.indent == 0 and (line.text == "---" or line.text.startswith("--- ")):
                break
            entry = _split_key(line.text, line.number)
            if entry is None:
                raise YamlError(line.number, "expected `key: value`")
            key, rest = entry
            self.advance(line)
            value = self.value(rest, line.number, indent, in_mapping=True)
            if key == "<<" and line.text.startswith("<<"):
                merged.extend(value.items if isinstance(value.value, tuple) else (value,))
                continue
            if key in pairs:
                raise YamlError(line.number, f"duplicate key {key!r}")
            pairs[key] = value
        for source in merged:
            if not isinstance(source.value, dict):
                raise YamlError(source.line, "a merge key needs a mapping")
            for key, value in source.value.items():
                pairs.setdefault(key, value)
        return Node(pairs, first.number, "block")

    def sequence(self, indent: int) -> Node:
        items: list[Node] = []
        first = self.peek()
        assert first is not None
        while (line := self.peek()) is not None and line.indent == indent:
            if not (line.text == "-" or line.text.startswith("- ")):
                break
            self.advance(line)
            rest = line.text[1:]
            stripped = rest.strip()
            col = indent + 1 + len(rest) - len(rest.lstrip())
            if stripped and (stripped == "-" or stripped.startswith("- ") or (
                stripped[0] not in "&*!|>[{" and _split_key(stripped, line.number) is not None
            )):  # fmt: skip
                self.pending = _Line(col, stripped, line.number, line.index)
                items.append(self.block(col))
            else:
                items.append(self.value(stripped, line.number, indent, in_mapping=False))
        if (line := self.peek()) is not None and line.indent > indent:
            raise YamlError(line.number, "unexpected indentation")
        return Node(tuple(items), first.number, "block")

    def value(self, rest: str, number: int, parent: int, in_mapping: bool) -> Node:
        """The value after `key:` or `- ` (``rest``) on line ``number`` of a node at ``parent``."""
        anchor = None
        if rest.startswith("&"):
            anchor, _, rest = rest[1:].partition(" ")
            rest = rest.strip()
        if rest.startswith("!"):
            raise YamlError(number, "tags are not read")
        if rest.startswith("*"):
            name = rest[1:]
            if name not in self.anchors:
                raise YamlError(number, f"unknown alias *{name}")
            node = self.anchors[name]
        elif not rest:
            node = self.nested(number, parent, in_mapping)
        elif rest[0] in "|>":
            node = self.block_scalar(rest, number, parent)
        elif rest[0] in "[{":
            node = self.flow(rest, number)
        elif rest[0] in "\"'":
            text, end = _quoted(rest, 0, number)
            if rest[end:].strip():
                raise YamlError(number, "text after a quoted scalar")
            node = Node(text, number, "quoted")
        else:
            node = _plain(self.folded_plain(rest, parent), number)
        if anchor is not None:
            self.anchors[anchor] = node
        return node

    def nested(self, number: int, parent: int, in_mapping: bool) -> Node:
        nxt = self.peek()
        if nxt is None:
            return Node(None, number)
        if nxt.indent > parent:
            return self.block(nxt.indent)
        if in_mapping and nxt.indent == parent and (nxt.text == "-" or nxt.text.startswith("- ")):
            return self.sequence(parent)
        return Node(None, number)

    def folded_plain(self, first: str, parent: int) -> str:
        parts = [first]
        while (line := self.peek()) is not None and line.indent > parent and self.pending is None:
            if _split_key(line.text, line.number) is not None or line.text.startswith("- "):
                raise YamlError(line.number, "unexpected indentation")
            parts.append(line.text)
            self.advance(line)
        return " ".join(parts)

    def flow(self, rest: str, number: int) -> Node:
        text = rest
        index = number - 1
        while True:
            try:
                return parse_flow(text, number)
            except YamlError as exc:
                if "unterminated flow" not in exc.message or index + 1 >= len(self.raw):
                    raise
            index += 1
            text += "\n" + strip_comment(self.raw[index])
            self.i = index + 1

    def block_scalar(self, header: str, number: int, parent: int) -> Node:
        m = re.fullmatch(r"([|>])([+-]?)([1-9]?)([+-]?)", header)
        if not m or (m.group(2) and m.group(4)):
            raise YamlError(number, f"block scalar header {header!r} is not read")
        folded = m.group(1) == ">"
        chomp = m.group(2) or m.group(4)
        lines: list[str] = []
        k = number  # the raw index of the line after the header
        width = parent + int(m.group(3)) if m.group(3) else None
        start = number + 1
        while k < len(self.raw):
            raw = self.raw[k]
            body = raw.lstrip(" ")
            indent = len(raw) - len(body)
            if body:
                if width is None:
                    if indent <= parent:
                        break
                    width = indent
                    start = k + 1
                elif indent < width:
                    break
            lines.append(raw[width:] if width is not None else "")
            k += 1
        self.i = k
        while lines and not lines[-1].strip():
            lines.pop()
        kept = len(lines)
        trailing = 0
        for raw in self.raw[number + kept : k]:
            trailing += 1 if not raw.strip() else 0
        text = _fold(lines) if folded else "\n".join(lines)
        if lines and chomp != "-":
            text += "\n" * (1 + (trailing if chomp == "+" else 0))
        return Node(text, start, "folded" if folded else "literal")


def _fold(lines: list[str]) -> str:
    out = ""
    prev: str | None = None
    for line in lines:
        if prev is None:
            out = line
        elif not line:
            out += "\n"
        elif not prev:
            out += line
        elif line[0] in " \t" or prev[0] in " \t":
            out += "\n" + line
        else:
            out += " " + line
        prev = line
    return out


def parse_yaml(text: str) -> Node:
    """The one document of ``text``; YamlError with its line for what is outside the subset."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return _Reader(text).document()


def walk(node: Node) -> Iterator[Node]:
    """The node and every node below it."""
    yield node
    if isinstance(node.value, dict):
        for child in node.value.values():
            yield from walk(child)
    elif isinstance(node.value, tuple):
        for child in node.value:
            yield from walk(child)
