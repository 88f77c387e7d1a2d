"""Small in-place edits of one instruction, expressed over its logical text and turned into an
Edit of its original lines. Every character outside the changes is kept."""

from __future__ import annotations

from collections.abc import Sequence

from dockerfix.document.model import Document, Instruction
from dockerfix.document.shell import Command, Operator, Script
from dockerfix.edits import Edit


def without_continuation(line: str, escape: str) -> str:
    """``line`` without the line continuation it ends with, if any: the last line of a file that
    ends inside a continuation, once an edit puts text after it (which would join it)."""
    stripped = line.rstrip(" \t")
    return stripped[:-1].rstrip(" \t") if stripped.endswith(escape) else line


class CannotEdit(ValueError):
    """The change would cross a line continuation; rules treat this as "leave alone"."""


class InstructionEditor:
    def __init__(self, doc: Document, inst: Instruction) -> None:
        self.doc = doc
        self.inst = inst
        self.changes: list[tuple[int, int, int, str]] = []  # (line, col_start, col_end, text)

    def _pos(self, offset: int) -> tuple[int, int]:
        return self.inst.position(offset)

    def _end_pos(self, offset: int) -> tuple[int, int]:
        if offset <= 0:
            return self._pos(0)
        line, col = self._pos(offset - 1)
        return line, col + 1

    def insert_after(self, offset: int, text: str) -> None:
        """Insert at a logical offset, on the line of the character before it."""
        line, col = self._end_pos(offset) if offset > 0 else self._pos(0)
        self.changes.append((line, col, col, text))

    def insert_before(self, offset: int, text: str) -> None:
        """Insert at a logical offset, on the line of the character after it."""
        line, col = self._pos(offset)
        self.changes.append((line, col, col, text))

    def replace(self, start: int, end: int, text: str) -> None:
        l1, c1 = self._pos(start)
        l2, c2 = self._end_pos(end)
        if l1 != l2:
            raise CannotEdit("the text to change spans a line continuation")
        self.changes.append((l1, c1, c2, text))

    def remove_word(self, start: int, end: int) -> None:
        """Remove a word and the blanks that separate it from its neighbour on the same line."""
        l1, c1 = self._pos(start)
        l2, c2 = self._end_pos(end)
        if l1 != l2:
            raise CannotEdit("the word spans a line continuation")
        line = self.doc.lines[l1]
        if not line[:c1].strip():
            while c2 < len(line) and line[c2] in " \t":
                c2 += 1
        else:
            while c1 > 0 and line[c1 - 1] in " \t":
                c1 -= 1
        self.changes.append((l1, c1, c2, ""))

    def remove_span(self, start: int, end: int) -> None:
        l1, c1 = self._pos(start)
        l2, c2 = self._end_pos(end)
        if l1 != l2:
            raise CannotEdit("the text to remove spans a line continuation")
        self.changes.append((l1, c1, c2, ""))

    def remove_range(self, start: int, end: int) -> None:
        """Remove logical text that may run over line continuations. On every line but the
        last, the blanks before the continuation are kept."""
        segments = self.inst.segments_at(start)
        for k, seg in enumerate(segments):
            s0, s1 = seg.logical, seg.logical + seg.length
            if s1 <= start or s0 >= end:
                continue
            a, b = max(start, s0), min(end, s1)
            if b == s1 and end > s1 and k + 1 < len(segments) and segments is self.inst.segments:
                text = self.inst.logical[a:b]
                b = a + len(text.rstrip(" \t")) if text.strip(" \t") else b
            if a < b:
                col = seg.col + (a - s0)
                self.changes.append((seg.line, col, col + (b - a), ""))

    def remove_commands(self, script: Script, doomed: Sequence[Command]) -> None:
        """Take whole commands out of a shell list together with one operator next to them, so
        that the commands that stay run exactly as before."""
        shell = self.inst.shell
        base = shell.base
        commands = list(script.commands)
        index = {id(c): k for k, c in enumerate(commands)}
        positions = sorted(index[id(c)] for c in doomed)
        groups: list[list[int]] = []
        for k in positions:
            if groups and groups[-1][-1] == k - 1:
                groups[-1].append(k)
            else:
                groups.append([k])
        text = shell.text
        for group in groups:
            first, last = commands[group[0]], commands[group[-1]]
            words = " ".join(w.value for w in first.argv)
            if any(commands[k].compound for k in group):
                raise CannotEdit(f"`{words}` is part of an if, loop or group")
            before, after = script.operators_around(group[0], group[-1])
            prev = _nearest(before, -1)
            nxt = _nearest(after, 0)
            if (group[0] > 0 and prev is None) or ((group[-1] + 1 < len(commands) or after) and nxt is None):
                raise CannotEdit(f"cannot take `{words}` out of the shell list around it")
            # a newline ends a command as `;` does
            p = ";" if prev and prev.text == "\n" else prev.text if prev else ""
            n = ";" if nxt and nxt.text == "\n" else nxt.text if nxt else ""
            drop_before = p in ("&&", ";") and (n in ("", ";", ")") or (p == "&&" and n in ("&&", "||")))
            drop_after = n in ("&&", ";") and (p in ("", ";", "(") or (p == "&&" and n == "&&"))
            if drop_before and drop_after:
                drop_before = not self._starts_line(base + first.start) or not self._same_line(
                    base + last.end, base + (nxt.start if nxt else last.end)
                )
            if drop_before and prev is not None:
                start = prev.start
                while start > 0 and text[start - 1] in " \t" and self._same_line(base + start - 1, base + prev.start):
                    start -= 1
                self.remove_range(base + start, base + last.end)
            elif drop_after and nxt is not None:
                end = nxt.end
                while end < len(text) and text[end] in " \t" and self._same_line(base + end, base + nxt.start):
                    end += 1
                self.remove_range(base + first.start, base + end)
            else:
                raise CannotEdit(f"cannot take `{words}` out of the shell list without changing what runs")

    def _same_line(self, a: int, b: int) -> bool:
        return self._pos(a)[0] == self._pos(b)[0]

    def _starts_line(self, offset: int) -> bool:
        line, col = self._pos(offset)
        return not self.doc.lines[line][:col].strip(" \t")

    def edit(self) -> Edit:
        inst = self.inst
        esc = inst.escape
        lines = {ln: self.doc.lines[ln] for ln in range(inst.start, inst.end)}
        by_line: dict[int, list[tuple[int, int, str]]] = {}
        for line, c1, c2, text in self.changes:
            by_line.setdefault(line, []).append((c1, c2, text))
        for line, changes in by_line.items():
            text = lines[line]
            for c1, c2, new in sorted(changes, key=lambda c: (c[0], c[1]), reverse=True):
                text = text[:c1] + new + text[c2:]
            lines[line] = text
        content = inst.segments.lines
        dropped: set[int] = set()
        for k, ln in enumerate(content):
            if k == 0 or ln not in by_line:
                continue
            stripped = lines[ln].strip(" \t")
            last = k == len(content) - 1
            if stripped in ("", esc) or (last and stripped.startswith("#")):
                dropped.add(ln)
                if last:
                    # the last line went away: the line before it must stop continuing, and a
                    # shell comment that followed the removed text moves up to it (on a line
                    # of its own inside the continuation, it would be a Dockerfile comment)
                    prev = next(c for c in reversed(content[:k]) if c not in dropped)
                    body = lines[prev].rstrip(" \t")
                    body = body[:-1].rstrip(" \t") if body.endswith(esc) else body
                    lines[prev] = f"{body} {stripped}" if stripped.startswith("#") else body
        for seg in inst.body_segments:
            if seg.line in by_line and not lines[seg.line].strip(" \t"):
                dropped.add(seg.line)  # a body line whose command was taken out
        kept = tuple(lines[ln] for ln in range(inst.start, inst.end) if ln not in dropped)
        return Edit(inst.start, inst.end, kept)


def _nearest(operators: list[Operator], end: int) -> Operator | None:
    """The one operator that joins a command to its neighbour: the only one that is not a
    newline (a line break after `&&` is only a blank), or else the newline nearest the command;
    None where two operators stand there."""
    real = [o for o in operators if o.text != "\n"]
    if len(real) == 1:
        return real[0]
    if not real and operators:
        return operators[end]
    return None
