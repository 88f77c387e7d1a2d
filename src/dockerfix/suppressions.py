"""Inline suppressions: `# dockerfix: ignore=CODE[,CODE]` on a comment line directly above an
instruction (in a workflow file: above the line a finding is on), `# dockerfix: global ignore=CODE` anywhere (no codes: every rule), and
`# dockerfix: skip-file` anywhere (the file is left as it is, with nothing reported)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from dockerfix.document.model import Document
from dockerfix.records import frozen
from dockerfix.rules.base import Finding

_SKIP_FILE = re.compile(r"^\s*#\s*dockerfix:\s*skip-file\s*$", re.I)
_COMMENT = re.compile(r"^\s*#\s*dockerfix:\s*(global\s+)?ignore(?:\s*=\s*([A-Za-z0-9, ]+))?\s*$", re.I)
ALL = "*"


@frozen
class Suppressions:
    by_line: dict[int, frozenset[str]]  # instruction start line -> codes (ALL for every code)
    everywhere: frozenset[str]
    skip_file: bool = False

    def suppresses(self, finding: Finding) -> bool:
        codes = self.everywhere | self.by_line.get(finding.line, frozenset())
        return ALL in codes or finding.code in codes or any(finding.code.startswith(c) for c in codes)

    def filter(self, findings: Iterable[Finding]) -> list[Finding]:
        return [f for f in findings if not self.suppresses(f)]


def _codes(text: str | None) -> frozenset[str]:
    if not text:
        return frozenset({ALL})
    return frozenset(c.strip().upper() for c in text.split(",") if c.strip())


def suppressions(doc: Document) -> Suppressions:
    """The suppressions of a document (every rule asks; they are read once per document)."""
    return doc.memo("suppressions", lambda: _read(doc))


def _scan(lines: Sequence[str]) -> tuple[set[str], dict[int, frozenset[str]], bool]:
    """The codes ignored everywhere, the `ignore=` comments by line, and `skip-file`."""
    everywhere: set[str] = set()
    marked: dict[int, frozenset[str]] = {}
    skip = False
    for i, line in enumerate(lines):
        if "dockerfix" not in line:
            continue
        if _SKIP_FILE.match(line):
            skip = True
            continue
        m = _COMMENT.match(line)
        if not m:
            continue
        if m.group(1):
            everywhere |= _codes(m.group(2))
        else:
            marked[i] = _codes(m.group(2))
    return everywhere, marked, skip


def _read(doc: Document) -> Suppressions:
    everywhere, marked, skip = _scan(doc.lines)
    by_line: dict[int, frozenset[str]] = {}
    if marked:
        for inst in doc.instructions:
            codes = frozenset().union(*(marked.get(i, frozenset()) for i in range(inst.comment_start, inst.start)))
            if codes:
                by_line[inst.start] = codes
    return Suppressions(by_line, frozenset(everywhere), skip)


def line_suppressions(lines: Sequence[str]) -> Suppressions:
    """The suppressions of a file of `#` comments that is not a Dockerfile (a workflow): an
    `ignore=` comment applies to the first line below it that is not a comment."""
    everywhere, marked, skip = _scan(lines)
    by_line: dict[int, frozenset[str]] = {}
    pending: frozenset[str] = frozenset()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            pending |= marked.get(i, frozenset())
        elif pending:
            by_line[i] = pending
            pending = frozenset()
    return Suppressions(by_line, frozenset(everywhere), skip)
