"""Instruction flag values: ``--mount`` parsed the way BuildKit reads it, and written back."""

from __future__ import annotations

import csv
import posixpath

from dockerfix.document.model import Flag, Instruction
from dockerfix.records import frozen

_ALIASES = {"dst": "target", "destination": "target", "src": "source", "readonly": "ro", "readwrite": "rw"}


@frozen
class Mount:
    type: str
    options: dict[str, str]  # canonical lower-case keys (target, source, id, sharing, uid, ...)
    flag: Flag

    @property
    def target(self) -> str | None:
        return self.options.get("target")

    def target_path(self, workdir: str) -> str | None:
        t = self.target
        if not t:
            return None
        return posixpath.normpath(posixpath.join(workdir, t))


def parse_mount(flag: Flag) -> Mount | None:
    if flag.value is None:
        return None
    try:
        fields = next(csv.reader([flag.value]))
    except (csv.Error, StopIteration):
        return None
    options: dict[str, str] = {}
    for f in fields:
        key, eq, value = f.partition("=")
        key = key.strip().lower()
        options[_ALIASES.get(key, key)] = value if eq else "true"
    return Mount(options.get("type", "bind").lower(), options, flag)


def mounts(inst: Instruction) -> list[Mount]:
    out: list[Mount] = []
    for flag in inst.flags_named("mount"):
        m = parse_mount(flag)
        if m is not None:
            out.append(m)
    return out


def cache_mount_flag(target: str, **options: str | int) -> str:
    """``--mount=type=cache,target=...`` with ``type`` first, then target, then the options."""
    parts = ["type=cache", f"target={target}"]
    parts += [f"{k}={v}" for k, v in options.items()]
    return "--mount=" + ",".join(parts)
