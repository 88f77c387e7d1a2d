"""What every cache mount dockerfix adds must respect: the id it gets, the mounts a RUN already
has, and the paths an earlier instruction has filled (a mount would hide them)."""

from __future__ import annotations

import functools
import posixpath
import re
from collections.abc import Callable, Hashable, Iterator
from typing import Any

from dockerfix.document.base_images import global_args
from dockerfix.document.flags import Mount, mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.document.words import UnknownVariable, expand
from dockerfix.ecosystems.commands import unwrap
from dockerfix.rules._common import copied_files, stage_chain


def external_base(doc: Document, stage: Stage) -> str:
    """The image a stage is ultimately built from, with global ARG defaults filled in (the text
    as written when a variable has no default)."""
    seen: set[int] = set()
    while stage.index not in seen:
        seen.add(stage.index)
        parent = doc.stage_named(stage.base)
        if parent is None or parent.index >= stage.index:
            break
        stage = parent
    try:
        return expand(stage.base, global_args(doc), doc.escape)
    except UnknownVariable:
        return stage.base


_NOT_SLUG = re.compile(r"[^a-z0-9._]+")


def image_slug(reference: str) -> str:
    """A short, stable name for an image reference: no registry default, tag kept, digest dropped."""
    ref = reference.lower().split("@", 1)[0]
    for prefix in ("docker.io/library/", "index.docker.io/library/", "docker.io/", "library/"):
        if ref.startswith(prefix):
            ref = ref[len(prefix) :]
            break
    slug = _NOT_SLUG.sub("-", ref).strip("-.")
    return slug or "image"


def base_problem(doc: Document, stage: Stage, tool: str) -> str | None:
    """Why the base image keeps ``tool`` from using a cache, if it is known to."""
    state = doc.state(stage.from_)
    facts = state.image
    if tool == "pip" and facts is not None and facts.pip_no_cache_config:
        return f"{state.image_name} sets no-cache-dir in {facts.pip_no_cache_config}"
    return None


def cache_id(doc: Document, stage: Stage, cache: str) -> str:
    """The id of a cache mount: what it caches and the base image, so that images built from
    different bases never share a cache that is not content-addressed."""
    return f"{cache}-{image_slug(external_base(doc, stage))}"


def existing_mounts(inst: Instruction, state: State) -> dict[str, Mount]:
    """The mounts a RUN already has, by absolute target."""
    out: dict[str, Mount] = {}
    for m in mounts(inst):
        path = m.target_path(state.workdir)
        if path:
            out[path] = m
    return out


def covering(existing: dict[str, Mount], target: str) -> Mount | None:
    """The mount at ``target`` or at a folder above it, if any (the nearest wins)."""
    best: tuple[int, Mount] | None = None
    for path, mount in existing.items():
        if within(target, path):
            if best is None or len(path) > best[0]:
                best = (len(path), mount)
    return best[1] if best else None


def within(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or lies below it."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def earlier(doc: Document, inst: Instruction) -> Iterator[Instruction]:
    """The instructions before ``inst`` in its stage and the stages it is built FROM."""
    chain = stage_chain(doc, inst)
    for other in doc.instructions:
        if other.index >= inst.index:
            break
        if other.stage in chain and other.kind != "FROM":
            yield other


def copies_into(doc: Document, inst: Instruction, target: str) -> bool:
    """A COPY/ADD that may put files at or below ``target`` (a destination through an unknown
    variable counts)."""
    if inst.kind not in ("COPY", "ADD"):
        return False
    words = inst.words
    if inst.heredocs or len(words) < 2:
        return False
    dest = doc.state(inst).resolve(words[-1].value)
    if dest is None:
        return True
    if within(dest, target):
        return True
    return any(within(t, target) for _, t in copied_files(doc, inst))


def mentions_path(text: str, target: str) -> bool:
    """Whether shell text names ``target`` or a path below it."""
    return _mention(target).search(text) is not None


@functools.lru_cache(maxsize=256)
def _mention(target: str) -> re.Pattern[str]:
    # the rules ask about the same few cache folders in every RUN
    return re.compile(re.escape(target.rstrip("/")) + r"(?![\w.-])")


_GLOB_END = re.compile(r"/\.?\*$")


def rm_paths(argv_values: list[str], state: State, home: str | None = None) -> list[tuple[int, str | None, bool]]:
    """The operands of an ``rm``: (index in argv, absolute path or None when unknown, whether it
    ends in a glob that empties the folder). ``home`` is what `~` stands for, when known."""
    out: list[tuple[int, str | None, bool]] = []
    options_done = False
    for k, value in enumerate(argv_values[1:], start=1):
        if not options_done and value == "--":
            options_done = True
            continue
        if not options_done and value.startswith("-") and len(value) > 1:
            continue
        if home and value.startswith("~"):
            value = home + value[1:]
        glob = value.endswith("/*") or value.endswith("/.*")
        path = state.expand(_GLOB_END.sub("", value) or "/")
        if path is not None and path.startswith("/"):
            out.append((k, posixpath.normpath(path), glob))
        else:
            out.append((k, None, glob))
    return out


class Fillers:
    """The earlier instruction of the stage chain that leaves files at a path in the image: a
    COPY/ADD there, a RUN whose tool ``fills`` it, or a RUN whose other commands name it. RUNs
    with a cache mount there (``mounted``: the ones the rule mounts in this pass) do not.

    One rule's pass asks about its RUNs in document order, and what it decided for a RUN (its
    entry in ``mounted``) is final before it asks about a later one, so each instruction is
    looked at once per stage chain and path, however many RUNs ask."""

    def __init__(
        self,
        doc: Document,
        mounted: dict[int, list[str]],
        own: Callable[[Command], bool],
        mentions_tool: Callable[[str], bool],
    ) -> None:
        self.doc = doc
        self.mounted = mounted
        self.own = own
        self.mentions_tool = mentions_tool
        # (stage chain, path, fills' key) -> [the next instruction index to look at, the first filler]
        self._scans: dict[tuple[frozenset[int], str, Hashable], list[Any]] = {}

    def first(
        self, inst: Instruction, target: str, fills: Callable[[Instruction], bool] = lambda _: False, key: Hashable = None
    ) -> Instruction | None:
        """The filler of ``target`` before ``inst``; ``fills`` (told apart from other questions by
        ``key``) says whether a RUN's own tool leaves files there."""
        chain = stage_chain(self.doc, inst)
        scan = self._scans.setdefault((chain, target, key), [0, None])
        instructions = self.doc.instructions
        while scan[1] is None and scan[0] < inst.index:
            other = instructions[scan[0]]
            scan[0] += 1
            if other.stage in chain and other.kind != "FROM" and self._fills(other, target, fills):
                scan[1] = other
        found: Instruction | None = scan[1]
        return found if found is not None and found.index < inst.index else None

    def _fills(self, other: Instruction, target: str, fills: Callable[[Instruction], bool]) -> bool:
        doc = self.doc
        if copies_into(doc, other, target):
            return True
        if other.kind != "RUN":
            return False
        text = other.command_text
        if not self.mentions_tool(text) and not mentions_path(text, target):
            return False  # the quick answer for most RUNs
        if any(within(target, t) for t in self.mounted.get(other.index, ())):
            return False
        m = covering(existing_mounts(other, doc.state(other)), target)
        if m is not None and m.type == "cache":
            return False
        if other.script.opaque or fills(other):
            return True
        for cmd in other.script.commands:
            inv = unwrap(cmd)
            name = posixpath.basename(inv.argv[0].value) if inv and inv.argv else ""
            if name == "rm" or self.own(cmd):
                continue
            if any(mentions_path(w.value, target) for w in cmd.words + cmd.redirects):
                return True
        return False
