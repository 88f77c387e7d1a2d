"""Run settings, frozen: what the CLI (or a test) decided, handed to the runner and the rules."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


class Mode(enum.Enum):
    DIFF = "diff"  # print a unified diff, write nothing
    WRITE = "write"  # rewrite files in place
    CHECK = "check"  # name the files that would change


@dataclass(frozen=True)
class Settings:
    mode: Mode = Mode.DIFF
    select: tuple[str, ...] = ()  # code prefixes; empty selects every rule
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    context: Path | None = None  # the build context; None: the Dockerfile's directory
    max_iterations: int = 10

    def enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)
