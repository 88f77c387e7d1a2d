"""Small in-place edits of one instruction, expressed over its logical text and turned into an
Edit of its original lines. Every character outside the changes is kept."""

from __future__ import annotations

from dockerfix.document.model import Document, Instruction
from dockerfix.edits import Edit


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
        content = [s.line for s in inst.segments]
        dropped: set[int] = set()
        for k, ln in enumerate(content):
            if k == 0 or ln not in by_line:
                continue
            stripped = lines[ln].strip(" \t")
            if stripped in ("", esc):
                dropped.add(ln)
                if k == len(content) - 1:
                    # the last line went away: the line before it must stop continuing
                    prev = next(c for c in reversed(content[:k]) if c not in dropped)
                    body = lines[prev].rstrip(" \t")
                    lines[prev] = body[:-1].rstrip(" \t") if body.endswith(esc) else body
        kept = tuple(lines[ln] for ln in range(inst.start, inst.end) if ln not in dropped)
        return Edit(inst.start, inst.end, kept)
