"""Unified diffs of a file's bytes, with the missing-final-newline marker and optional colour."""

from __future__ import annotations

import difflib

NO_NEWLINE = "\\ No newline at end of file\n"


def _lines(data: bytes) -> list[str]:
    """Lines split at "\n" only, as the document model splits them (not at form feeds etc.)."""
    text = data.decode("utf-8", errors="surrogateescape")
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def unified_diff(before: bytes, after: bytes, path: str) -> str:
    out: list[str] = []
    for line in difflib.unified_diff(_lines(before), _lines(after), f"{path}", f"{path}", n=3):
        if line.endswith("\n"):
            out.append(line)
        else:
            out.append(line + "\n" + NO_NEWLINE)
    return "".join(out)


def colorize(diff: str) -> str:
    colours = {"+": "\x1b[32m", "-": "\x1b[31m", "@": "\x1b[36m"}
    out: list[str] = []
    for line in diff.splitlines(keepends=True):
        if line.startswith(("+++", "---")):
            out.append("\x1b[1m" + line.rstrip("\n") + "\x1b[0m\n")
        elif line[:1] in colours:
            out.append(colours[line[:1]] + line.rstrip("\n") + "\x1b[0m\n")
        else:
            out.append(line)
    return "".join(out)
