"""An edit over original line numbers: the unit in which every change is expressed."""

from __future__ import annotations

from dockerfix.records import frozen


@frozen(slots=True)
class Edit:
    """Replace original lines [start, end) with ``lines`` (no line endings); start == end inserts."""

    start: int
    end: int
    lines: tuple[str, ...]
