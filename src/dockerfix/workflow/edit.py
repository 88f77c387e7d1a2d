"""Edits of a workflow's text: new `with:` inputs inserted into a step at its own indentation,
every other byte kept. Where the step's layout is not the plain block style (a flow mapping,
`with:` from an anchor or merge key, the first key on a line of its own), there is no edit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dockerfix.context.yaml_subset import Node, strip_comment, walk
from dockerfix.edits import Edit

_WITH = re.compile(r"^with\s*:(.*)$")


class CannotEdit(ValueError):
    """Why a step cannot be edited in place."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> str:
    return strip_comment(line.lstrip(" "))


def _scalar_lines(lines: Sequence[str], node: Node) -> set[int]:
    """The lines (0-based) of the block scalars (`|`, `>`) under ``node``: a line there that
    starts with `#` is text, not a comment, and trailing blank lines that `|+` keeps are its."""
    inside: set[int] = set()
    for scalar in walk(node):
        if scalar.style not in ("literal", "folded") or not scalar.text:
            continue
        k = scalar.line - 1
        width = _indent(lines[k])
        keep = scalar.text.endswith("\n\n")
        last = k
        while k < len(lines) and (not lines[k].strip() or _indent(lines[k]) >= width):
            last = k if lines[k].strip() or keep else last
            k += 1
        inside.update(range(scalar.line - 1, last + 1))
    return inside


def _block_end(lines: Sequence[str], start: int, stop: int, col: int, inside: set[int]) -> int:
    """The line after the last content line that follows ``start`` (before ``stop``) indented
    more than ``col``, up to the first content line that is not."""
    end = start + 1
    for k in range(start + 1, stop):
        if k not in inside:
            if not _content(lines[k]):
                continue
            if _indent(lines[k]) <= col:
                break
        end = k + 1
    return end


def _step_lines(lines: Sequence[str], step: Node, inside: set[int]) -> tuple[int, int, int]:
    """The step's first line, the line after its last content line, and its keys' column."""
    first = step.line - 1
    head = lines[first] if 0 <= first < len(lines) else ""
    dash = _indent(head)
    if not head[dash:].startswith("- "):
        raise CannotEdit("its first key is not on the line of its `-`")
    key_col = dash + 1 + _indent(head[dash + 1 :])
    return first, _block_end(lines, first, len(lines), dash, inside), key_col


def add_inputs(lines: Sequence[str], step: Node, inputs: Sequence[tuple[str, str]]) -> Edit:
    """An insertion of ``inputs`` (name, value: plain scalars) into the step's `with:` block,
    after its last input, or of a new `with:` block after the step's last line."""
    if step.style != "block":
        raise CannotEdit("the step is not written in block style")
    inside = _scalar_lines(lines, step)
    first, end, key_col = _step_lines(lines, step, inside)
    inputs_node = step.get("with")
    if inputs_node is None:
        entries = tuple(f"{' ' * (key_col + 2)}{name}: {value}" for name, value in inputs)
        return Edit(end, end, (f"{' ' * key_col}with:", *entries))
    if inputs_node.style != "block" or not isinstance(inputs_node.value, dict):
        raise CannotEdit("its `with:` is not a block mapping")
    at = None
    for k in range(first, end):
        text = lines[k][key_col:] if k == first or _indent(lines[k]) == key_col else ""
        m = _WITH.match(strip_comment(text))
        if m is not None:
            if m.group(1).strip():
                raise CannotEdit("its `with:` has an anchor, alias or tag")
            at = k
            break
    lines_in = range(first + 1, end + 1)
    if at is None or not all(n.line in lines_in for n in (inputs_node, *inputs_node.mapping.values())):
        raise CannotEdit("its `with:` comes from an anchor or a merge key")
    col = _indent(lines[inputs_node.line - 1])
    last = _block_end(lines, at, end, key_col, inside)
    return Edit(last, last, tuple(f"{' ' * col}{name}: {value}" for name, value in inputs))


def contains(before: Node | None, after: Node | None) -> bool:
    """``after`` holds everything ``before`` does (mappings may have gained keys): what an edit
    that only adds inputs must leave."""
    if before is None or after is None:
        return before is after
    if isinstance(before.value, dict):
        return isinstance(after.value, dict) and all(
            k in after.value and contains(v, after.value[k]) for k, v in before.value.items()
        )
    if isinstance(before.value, tuple):
        return isinstance(after.value, tuple) and len(before.value) == len(after.value) and all(
            contains(a, b) for a, b in zip(before.value, after.value)
        )
    return before.value == after.value
