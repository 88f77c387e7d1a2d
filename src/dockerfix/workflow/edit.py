"""Edits of a workflow's text: new `with:` inputs inserted into a step at its own indentation,
every other byte kept. Where the step's layout is not the plain block style (a flow mapping,
`with:` from an anchor or merge key, the first key on a line of its own), there is no edit."""

from __future__ import annotations

import re
from collections.abc import Sequence

from dockerfix.context.yaml_subset import Node, strip_comment
from dockerfix.edits import Edit

_WITH = re.compile(r"^with\s*:(.*)$")


class CannotEdit(ValueError):
    """Why a step cannot be edited in place."""


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _content(line: str) -> str:
    return strip_comment(line.lstrip(" "))


def _step_lines(lines: Sequence[str], step: Node) -> tuple[int, int, int]:
    """The step's first line, the line after its last content line, and its keys' column."""
    first = step.line - 1
    head = lines[first] if 0 <= first < len(lines) else ""
    dash = _indent(head)
    if not head[dash:].startswith("- "):
        raise CannotEdit("its first key is not on the line of its `-`")
    key_col = dash + 1 + _indent(head[dash + 1 :])
    end = first + 1
    for k in range(first + 1, len(lines)):
        if not _content(lines[k]):
            continue
        if _indent(lines[k]) <= dash:
            break
        end = k + 1
    return first, end, key_col


def add_inputs(lines: Sequence[str], step: Node, inputs: Sequence[tuple[str, str]]) -> Edit:
    """An insertion of ``inputs`` (name, value: plain scalars) into the step's `with:` block,
    after its last input, or of a new `with:` block after the step's last line."""
    if step.style != "block":
        raise CannotEdit("the step is not written in block style")
    first, end, key_col = _step_lines(lines, step)
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
    last = at + 1
    for k in range(at + 1, end):
        if not _content(lines[k]):
            continue
        if _indent(lines[k]) <= key_col:
            break
        last = k + 1
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
