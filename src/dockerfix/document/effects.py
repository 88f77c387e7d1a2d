"""What each instruction reads and writes: image paths, the build context and the build state.

Two instructions commute (may swap places without changing the image) when neither writes a
path the other reads or writes, neither sets build state (USER, WORKDIR, SHELL, a variable) the
other uses or sets, and neither makes sure of a directory the other writes at or above. Paths
are as precise as the Dockerfile proves them; where it proves nothing, an instruction reads and
writes anything.

This module knows the instructions; what a shell command does is asked of a function the caller
passes in (``ecosystems.command_effects.run_effects``), so the document layer never imports the
ecosystems.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from dockerfix.document.model import Document, Instruction
from dockerfix.document.state import State, is_known_dir
from dockerfix.document.words import parse_assignments
from dockerfix.records import cached_property, field, frozen, record

ALL_ENV = "env:*"  # every variable: a RUN's processes see the whole environment


@frozen
class Area:
    """A path and everything below it, or only the files below it whose names match ``names``."""

    path: str  # absolute and normalised
    names: tuple[str, ...] = ()  # fnmatch patterns of file names; () for every file
    shallow: bool = False  # the names match only entries directly in ``path``

    def __str__(self) -> str:
        return self.path if not self.names else f"{self.path.rstrip('/')}/**/{{{','.join(self.names)}}}"


# folders that are links to others in current images (merged /usr, /var/run)
_LINKED = {"/bin": "/usr/bin", "/sbin": "/usr/sbin", "/lib": "/usr/lib", "/lib32": "/usr/lib32",
           "/lib64": "/usr/lib64", "/libx32": "/usr/libx32", "/var/run": "/run", "/var/lock": "/run/lock"}  # fmt: skip


def aliases(path: str) -> tuple[str, ...]:
    """A path, and the same path through the folder it may be a link to."""
    if not path.startswith(("/bin", "/sbin", "/lib", "/var/")):
        return (path,)
    for link, real in _LINKED.items():
        if path == link or path.startswith(link + "/"):
            return (path, real + path[len(link) :])
    return (path,)


def _below(path: str, top: str) -> bool:
    return path.startswith(top.rstrip("/") + "/")


def _below_or_at(path: str, top: str) -> bool:
    return path == top or _below(path, top)


def _related(a: str, b: str) -> bool:
    """Whether one path is the other or below it."""
    return _below_or_at(a, b) or _below(b, a)


def _names_meet(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether some file name can match a pattern of ``a`` and one of ``b``."""
    if not a or not b:
        return True
    for x in a:
        for y in b:
            if fnmatch.fnmatchcase(x, y) or fnmatch.fnmatchcase(y, x):
                return True
            if x.startswith("*") and y.startswith("*") and (x.endswith(y[1:]) or y.endswith(x[1:])):
                return True
    return False


def _one_way(a: Area, b: Area) -> bool:
    """Whether a file of ``b`` (whose path is strictly below ``a``'s) may be one of ``a``'s."""
    if a.shallow and a.names:
        rest = b.path[len(a.path.rstrip("/")) + 1 :]
        first, _, deeper = rest.partition("/")
        return not deeper and any(fnmatch.fnmatchcase(first, n) for n in a.names)
    return _names_meet(a.names, b.names)


def _areas_meet(a: Area, b: Area) -> str | None:
    if a.path == b.path:
        hit = _names_meet(a.names, b.names)
    elif _below(b.path, a.path):
        hit = _one_way(a, b)
    elif _below(a.path, b.path):
        hit = _one_way(b, a)
    else:
        return None
    return (a.path if len(a.path) >= len(b.path) else b.path) if hit else None


@frozen
class Paths:
    """A set of image paths; ``anything`` when it cannot be told."""

    areas: tuple[Area, ...] = ()
    anything: bool = False

    @staticmethod
    def of(*paths: str, names: tuple[str, ...] = (), shallow: bool = False) -> Paths:
        return Paths(tuple(Area(a, names, shallow) for p in paths for a in aliases(posixpath.normpath(p))))

    def __or__(self, other: Paths) -> Paths:
        return Paths(self.areas + other.areas, self.anything or other.anything)

    def __bool__(self) -> bool:
        return self.anything or bool(self.areas)

    @cached_property
    def _by_top(self) -> dict[str, list[Area]]:
        """The areas by the first folder of their path ("" for the root): only areas under the
        same first folder, or the root, can meet."""
        out: dict[str, list[Area]] = {}
        for a in self.areas:
            out.setdefault(a.path.split("/", 2)[1], []).append(a)
        return out

    def meets(self, other: Paths) -> str | None:
        """A path both sets may hold, or None when they are apart."""
        if (self.anything and other) or (other.anything and self):
            example = next((a.path for a in (self.areas or other.areas)), None)
            return example or "any path"
        mine, theirs = self._by_top, other._by_top
        for top, areas in mine.items():
            candidates = theirs.get(top, []) + (theirs.get("", []) if top else [b for v in theirs.values() for b in v])
            for a in areas:
                for b in candidates:
                    hit = _areas_meet(a, b)
                    if hit is not None:
                        return hit
        for a in theirs.get("", []):
            for b in self.areas:
                hit = _areas_meet(b, a)
                if hit is not None:
                    return hit
        return None


NOTHING = Paths()
ANYTHING = Paths(anything=True)


@frozen
class Effects:
    """What one instruction (or one command of a RUN) does."""

    reads: Paths = NOTHING  # image paths it reads
    writes: Paths = NOTHING  # image paths it writes, creates or removes
    dirs: tuple[str, ...] = ()  # directories it creates when missing (WORKDIR, mkdir -p)
    uses: frozenset[str] = frozenset()  # build state it depends on: WORKDIR, USER, SHELL, env:NAME
    sets: frozenset[str] = frozenset()  # build state it changes
    context: tuple[str, ...] = ()  # build-context paths it reads ("." for all of it)
    unknown: str | None = None  # why its effects could not be told (then it reads and writes anything)

    def __or__(self, other: Effects) -> Effects:
        return Effects(
            self.reads | other.reads,
            self.writes | other.writes,
            self.dirs + other.dirs,
            self.uses | other.uses,
            self.sets | other.sets,
            self.context + other.context,
            self.unknown or other.unknown,
        )


def anything(why: str) -> Effects:
    return Effects(ANYTHING, ANYTHING, uses=frozenset({ALL_ENV, "WORKDIR", "USER", "SHELL"}), unknown=why)


def union(parts: Iterable[Effects]) -> Effects:
    out = Effects()
    for part in parts:
        out = out | part
    return out


def _state_meets(uses: frozenset[str], sets: frozenset[str]) -> str | None:
    for name in sorted(sets):
        if name in uses or (name.startswith("env:") and ALL_ENV in uses):
            return name
    return None


def _dirs_meet(dirs: tuple[str, ...], writes: Paths, existing: frozenset[str]) -> str | None:
    """A directory one side makes sure of that the other writes at or above, or below while it
    may not exist yet (the writer would create it, with its own owner)."""
    for d in dirs:
        if writes.anything:
            return d
        for area in writes.areas:
            if _below_or_at(d, area.path):
                return d
            if _below_or_at(area.path, d) and d not in existing:
                return d
    return None


def _made_and_read(dirs: tuple[str, ...], reads: Paths, existing: frozenset[str]) -> str | None:
    """A new (empty) folder changes what a reader sees only where it lists every name."""
    new = [d for d in dirs if d not in existing]
    if not new:
        return None
    return Paths.of(*new).meets(Paths(tuple(a for a in reads.areas if not a.names), reads.anything))


def _say_state(name: str) -> str:
    return f"the variable {name[4:]}" if name.startswith("env:") else name


def conflict(a: Effects, b: Effects, existing: frozenset[str] = frozenset()) -> str | None:
    """None when ``a`` and ``b`` commute, else what they clash on, as words for a message
    ("both write /app/x"). ``existing``: directories known to exist before either runs."""
    if a.unknown or b.unknown:
        return a.unknown or b.unknown
    hit = a.writes.meets(b.writes)
    if hit is not None:
        return f"both write {hit}"
    hit = a.writes.meets(b.reads)
    if hit is None:
        hit = a.reads.meets(b.writes)
    if hit is not None:
        return f"one writes {hit}, which the other reads"
    state = _state_meets(a.uses, b.sets) or _state_meets(b.uses, a.sets) or _state_meets(a.sets, b.sets)
    if state is not None:
        return f"one sets {_say_state(state)}, which the other {'sets' if state in (a.sets & b.sets) else 'uses'}"
    d = _dirs_meet(a.dirs, b.writes, existing) or _dirs_meet(b.dirs, a.writes, existing)
    if d is None:
        d = next((x for x in a.dirs for y in b.dirs if _related(x, y)), None)
    if d is not None:
        return f"both may create {d}"
    made = _made_and_read(a.dirs, b.reads, existing) or _made_and_read(b.dirs, a.reads, existing)
    if made is not None:
        return f"one creates {made}, which the other reads"
    return None


def variables(text: str) -> frozenset[str]:
    """The state names of the variables a text refers to."""
    return frozenset(f"env:{n}" for n in re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))


# what every RUN reads besides its commands' own paths: the account files (BuildKit looks up the
# user and sets HOME from them) and the loader's configuration
RUN_READS = Paths.of("/etc/passwd", "/etc/group")
RunEffects = Callable[[Instruction, State], Effects]
_CONFIG_ONLY = frozenset({"LABEL", "EXPOSE", "CMD", "ENTRYPOINT", "HEALTHCHECK", "STOPSIGNAL", "MAINTAINER"})


class ContextFiles(Protocol):
    """What the effects need to know of the build context: which sources are files."""

    def is_file(self, path: str) -> bool: ...


def instruction_effects(doc: Document, inst: Instruction, run: RunEffects, files: ContextFiles | None = None) -> Effects:
    """What ``inst`` reads and writes; ``run`` tells a RUN's; ``files`` tells which sources of a
    COPY are files (then it writes exactly those names)."""
    return doc.memo(("effects", inst.index, files is None), lambda: _effects(doc, inst, run, files))


def _effects(doc: Document, inst: Instruction, run: RunEffects, files: ContextFiles | None) -> Effects:
    state = doc.state(inst)
    kind = inst.kind
    if kind in ("ENV", "ARG"):
        names = [n for n, _ in parse_assignments(inst.args, inst.escape)]
        return Effects(uses=variables(inst.args), sets=frozenset(f"env:{n}" for n in names))
    if kind in _CONFIG_ONLY:
        # image configuration only; the values may expand variables
        return Effects(uses=variables(inst.args), sets=frozenset({f"config:{kind}"}))
    if kind == "USER":
        return Effects(uses=variables(inst.args), sets=frozenset({"USER"}))
    if kind == "SHELL":
        return Effects(sets=frozenset({"SHELL"}))
    if kind == "WORKDIR":
        words = inst.words
        target = state.resolve(words[0].value) if words else None
        uses = variables(inst.args) | {"USER"}  # newer BuildKit creates it owned by USER
        if not words or not words[0].value.startswith("/"):
            uses |= {"WORKDIR"}
        if target is None or not is_known_dir(target):
            return Effects(writes=ANYTHING, uses=uses, sets=frozenset({"WORKDIR"}))
        return Effects(dirs=(target,), uses=uses, sets=frozenset({"WORKDIR"}), reads=RUN_READS)
    if kind in ("COPY", "ADD"):
        return copy_effects(doc, inst, files=files)
    if kind == "RUN":
        return run(inst, state) | Effects(reads=RUN_READS)
    return anything(f"{kind} at line {inst.line_no} is not analysed")


def chown_reads(inst: Instruction) -> Paths:
    """A --chown by name looks the names up in the image's account files."""
    flag = inst.flag("chown")
    if flag is None or flag.value is None:
        return NOTHING
    if all(part.isdigit() for part in flag.value.split(":") if part):
        return NOTHING
    return Paths.of("/etc/passwd", "/etc/group")


def copy_effects(doc: Document, inst: Instruction, files: ContextFiles | None = None) -> Effects:
    """A COPY/ADD writes under its destination; a copy from the build context reads it, one
    --from another stage or image reads nothing of this one. A source that ``files`` says is a
    file of the build context is written under its own name only."""
    state = doc.state(inst)
    words = [w.value for w in inst.words]
    uses = variables(inst.args + " ".join(f.raw for f in inst.flags))
    if inst.heredocs or len(words) < 2:
        return anything(f"{inst.kind} at line {inst.line_no} is not analysed")
    dest_word = words[-1]
    if not dest_word.startswith("/"):
        uses |= {"WORKDIR"}
    dest = state.resolve(dest_word)
    if dest is None or not is_known_dir(dest):
        return Effects(writes=ANYTHING, uses=uses)
    sources = words[:-1]
    from_other = inst.flag("from") is not None
    folder = dest_word.endswith("/") or dest_word in (".", "..") or len(sources) > 1
    writes: list[str] = []
    exact: list[Area] = []
    for source in sources:
        plain = not any(c in source for c in "*?[$") and not source.startswith(("http://", "https://", "git@"))
        if inst.kind == "ADD" and not from_other:
            writes.append(dest)  # an archive unpacks, a URL or repository lands under dest
        elif plain and folder and not from_other and files is not None and files.is_file(source.lstrip("/")):
            exact += Paths.of(dest, names=(posixpath.basename(source),), shallow=True).areas
        elif plain and folder and source not in (".", "./", "/"):
            writes.append(posixpath.join(dest, posixpath.basename(source.rstrip("/"))))
        else:
            writes.append(dest)
    return Effects(
        reads=chown_reads(inst),
        writes=Paths.of(*writes) | Paths(tuple(exact)),
        dirs=(dest,),
        uses=uses,
        context=() if from_other else tuple(sources),
    )


@record
class Order:
    """Which instructions between a copy and an install must move down with the copy (see
    plan_order)."""

    after: list[int] = field(default_factory=list)  # positions that move down with the copy
    clash: str | None = None  # why no order works


def plan_order(names: list[str], clash: Callable[[int, int], str | None], first: set[int], last: set[int]) -> Order:
    """For a sequence of instructions (``names`` for messages, ``clash(i, j)`` telling why two do
    not commute), where the positions in ``first`` (the copy) move below those in ``last`` (the
    installs): every instruction that does not commute with one that moves down before it moves
    down too, keeping its order; every one that does not commute with an install after it must
    stay above. One that must do both makes the plan fail, and the reason names both clashes."""
    down: dict[int, str] = {i: "" for i in first}
    for j in range(len(names)):
        if j in down or j in last:
            continue
        for i in sorted(down):
            why = clash(i, j) if i < j else None
            if why is not None:
                down[j] = f"{names[i]} ({why})"
                break
    up: dict[int, str] = {i: "" for i in last}
    for j in range(len(names) - 1, -1, -1):
        if j in up:
            continue
        for i in sorted(up):
            why = clash(j, i) if i > j else None
            if why is not None:
                up[j] = f"{names[i]} ({why})"
                break
    # the copy itself can only be held up by an instruction that must also move down with it:
    # name that one
    for j in sorted(down, key=lambda j: (j in first, j)):
        if j in up:
            if j in first:
                return Order(clash=f"{names[j]} must stay before {up[j]}")
            return Order(clash=f"{names[j]} must stay after {down[j]} and before {up[j]}")
    return Order(after=sorted(j for j in down if j not in first))
