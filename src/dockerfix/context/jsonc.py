"""JSON with comments (`//`, `/* */`) and trailing commas, as devcontainer.json is written, with
the line of every value. Read through yaml_subset's flow reader; what it cannot read raises
YamlError with the line."""

from __future__ import annotations

from dockerfix.context.yaml_subset import Node, YamlError, parse_flow


def strip_comments(text: str) -> str:
    """The text with its comments blanked out (newlines kept, so lines stay where they were)."""
    out: list[str] = []
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == '"':
            j = i + 1
            while j < n and text[j] not in '"\n':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            if j < 0:
                raise YamlError(text.count("\n", 0, i) + 1, "unterminated /* comment")
            out.append("".join(ch if ch == "\n" else " " for ch in text[i : j + 2]))
            i = j + 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def parse_jsonc(text: str) -> Node:
    if text.startswith("\ufeff"):
        text = text[1:]
    node = parse_flow(strip_comments(text), 1, hash_comments=False)
    if not isinstance(node.value, dict):
        raise YamlError(node.line, "expected a JSON object")
    return node
