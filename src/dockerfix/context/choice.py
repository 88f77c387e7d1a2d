"""Which build context(s) a Dockerfile is built with, and how to say where each came from.

First choice: `--context` or the configuration's `[context]` table. Then what the repository
says (sources.py): every context some file builds the Dockerfile with, with the file and line;
where a file only may build it (a variable in the Dockerfile's path), the Dockerfile's folder
stays a candidate too. Last, the Dockerfile's folder, as docker build assumes.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from dockerfix.folders import posix
from dockerfix.records import frozen

if TYPE_CHECKING:
    from dockerfix.context.sources import ContextDiscovery


@frozen
class ContextChoice:
    folder: Path | None  # None: not known
    sources: tuple[tuple[str, int], ...] = ()  # (file relative to the repository, line) naming it
    unknown: str | None = None  # why it is not known
    label: str = "."  # the folder relative to the repository root, as shown
    own_folder: bool = False  # the Dockerfile's folder, a candidate when a file may build it

    @property
    def where(self) -> str:
        named = ", ".join(f"{name} line {line}" for name, line in self.sources)
        if self.own_folder:
            return "the Dockerfile's folder" + (f", {named}" if named else "")
        return named

    def describe(self) -> str:
        if self.folder is None:
            return f"{self.where}: {self.unknown}"
        return f"`{self.label}` " + (f"({self.where})" if self.own_folder else f"from {self.where}")


@frozen
class Contexts:
    """The build contexts of one Dockerfile and how they were chosen: "given" (`--context` or
    the configuration), "discovered" (the repository's files name them: findings that depend
    on them say so) or "default" (the Dockerfile's folder)."""

    choices: tuple[ContextChoice, ...]
    kind: str = "default"
    root: Path | None = None

    @property
    def discovered(self) -> bool:
        return self.kind == "discovered"

    @property
    def known(self) -> list[ContextChoice]:
        return [c for c in self.choices if c.folder is not None]

    @property
    def unknown(self) -> str | None:
        reasons = [c.describe() for c in self.choices if c.folder is None]
        return "; ".join(reasons) if reasons else None

    def describe(self) -> str:
        known = self.known
        noun = "build context" if len(known) == 1 else "build contexts"
        return noun + " " + " and ".join(c.describe() for c in known)


def _label(folder: Path | str, root: Path) -> str:
    """The folder relative to ``root`` (as Path.relative_to gives it, in strings: a run asks for
    every Dockerfile), else as it is."""
    full = os.path.abspath(folder)
    top = os.fspath(root)
    if full == top:
        return "."
    inside = top if top.endswith(os.sep) else top + os.sep
    if full.startswith(inside):
        return posix(full[len(inside) :])
    return Path(folder).as_posix()


def discovered_contexts(dockerfile: Path, discovery: ContextDiscovery, root: Path) -> Contexts | None:
    """The contexts the repository at ``root`` builds ``dockerfile`` with; None if no file
    there names it."""
    refs = discovery.index(root).for_dockerfile(dockerfile)
    if not refs:
        return None
    folders: dict[str, list[tuple[str, int]]] = {}
    unknown: list[ContextChoice] = []
    for ref, _ in refs:
        where = (ref.origin.name(root), ref.origin.line)
        if ref.context is None:
            choice = ContextChoice(None, (where,), ref.unknown or "not known")
            if choice not in unknown:
                unknown.append(choice)
            continue
        named = folders.setdefault(ref.context, [])
        if where not in named:
            named.append(where)
    own = posix(os.path.dirname(os.path.abspath(dockerfile)))
    maybe_only = not any(exact for _, exact in refs)
    if maybe_only:  # no file surely builds it: the Dockerfile's folder comes first
        folders = {own: folders.get(own, []), **folders}
    choices = [
        ContextChoice(Path(f), tuple(s), None, _label(f, root), maybe_only and f == own)
        for f, s in folders.items()
    ]
    return Contexts(tuple(choices + unknown), "discovered", root)


def contexts_for(
    dockerfile: Path | None, given: Path | None, discovery: ContextDiscovery | None, root: Path | None
) -> Contexts:
    """``given``: `--context` or the configuration's; ``discovery`` and ``root``: where to look
    when there is none (no discovery: the Dockerfile's folder)."""
    if given is not None:
        return Contexts((ContextChoice(given, label=_label(given, root) if root else given.as_posix()),), "given", root)
    if dockerfile is None:
        return Contexts(())
    if discovery is not None and root is not None:
        found = discovered_contexts(dockerfile, discovery, root)
        if found is not None:
            return found
    folder = dockerfile.parent
    label = _label(os.path.abspath(folder), root) if root else folder.as_posix()
    return Contexts((ContextChoice(folder, label=label, own_folder=True),), "default", root)

