"""Where everything goes when a copy is split: the copies of the requirement files, the
instructions that move down with the full copy (planned on the effects model), and the edits."""

from __future__ import annotations

import posixpath

from dockerfix.context.build_context import BuildContext, FolderContext
from dockerfix.document.effects import RUN_READS, Effects, Paths, conflict, instruction_effects, plan_order
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.state import is_known_dir
from dockerfix.ecosystems.command_effects import run_effects
from dockerfix.records import field, record
from dockerfix.rules._common import copied_files
from dockerfix.rules._split_reads import KEPT_FLAGS, PLAIN_PATH, Reads, Skip, Tree, moved_copy_effects


def manifest_copies(doc: Document, copy: Instruction, tree: Tree, reads: Reads) -> list[str]:
    dest = tree.dest
    source = "" if tree.source == "." else tree.source.rstrip("/") + "/"
    if copy.exec_form is not None:
        raise Skip("the JSON form of COPY is not rewritten")
    for rel in reads.files | reads.dirs:
        if not PLAIN_PATH.match(rel):
            raise Skip(f"{rel!r} would need quoting in a COPY")
    keyword = copy.keyword if copy.kind == "COPY" else same_case("COPY", copy.keyword)
    flags = "".join(f.raw + " " for f in copy.flags if f.name in KEPT_FLAGS)
    base = dest.raw if dest.raw.endswith("/") else dest.raw + "/"
    groups: dict[str, list[str]] = {}
    for rel in sorted(reads.files):
        groups.setdefault(posixpath.dirname(rel), []).append(rel)
    lines: list[str] = []
    indent = doc.lines[copy.start][: len(doc.lines[copy.start]) - len(doc.lines[copy.start].lstrip(" \t"))]
    for folder in sorted(groups, key=lambda d: (d != "", d)):
        target = base + (folder + "/" if folder else "")
        lines.append(f"{indent}{keyword} {flags}{' '.join(source + f for f in groups[folder])} {target}")
    for folder in sorted(reads.dirs):
        lines.append(f"{indent}{keyword} {flags}{source}{folder}/ {base}{folder}/")
    return lines


@record
class Plan:
    manifests: Reads  # what the copy at the old place brings in
    after: list[Instruction] = field(default_factory=list)  # instructions that move down with the copy
    clash: str | None = None


def plan_moves(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    tree: Tree,
    installs: list[Instruction],
    reads: Reads,
    dest_abs: str,
    build: BuildContext,
) -> Plan:
    """Plan the split on the instructions' effects: the full copy moves below the installs, and
    every instruction between that does not commute with it moves down with it; the installs,
    and everything they depend on, stay above. A requirement file that a COPY between puts where
    the full copy would (same file, same flags) comes from that COPY, not from a new one."""
    region = list(stage.instructions[k : k + installs[-1].index - copy.index + 1])
    at = {inst.index: i for i, inst in enumerate(region)}
    overlays = {i for i, inst in enumerate(region) if i and same_files(doc, copy, inst, tree, dest_abs)}
    first_install = at[installs[0].index]
    provided = {
        rel for rel in reads.files for i in overlays
        if i < first_install and writes_file(doc, region[i], posixpath.join(dest_abs, rel))
    }  # fmt: skip
    manifests = Reads(reads.files - provided, set(reads.dirs), list(reads.outside))
    existing = existing_dirs(doc, stage, k, dest_abs)
    if manifests.files or manifests.dirs:
        # the copy of the requirement files at the old place makes the destination and its parents
        folder = dest_abs
        while folder not in existing:
            existing.add(folder)
            folder = posixpath.dirname(folder)
    creates = dest_abs not in existing
    # readers see the requirement files as the copy at the old place left them; a writer of one
    # would have its change undone by the moved copy
    tree_effects = moved_copy_effects(doc, copy, dest_abs, build, set(), creates_dest=creates)
    readable = moved_copy_effects(doc, copy, dest_abs, build, reads.files, creates_dest=creates)
    known = Paths.of(
        *(posixpath.join(dest_abs, f) for f in reads.files), *(posixpath.join(dest_abs, d) for d in reads.dirs), *reads.outside
    )
    positions = {at[i.index] for i in installs}
    effects: list[Effects] = []
    for i, inst in enumerate(region):
        if inst is copy:
            effects.append(tree_effects)
        elif i in positions:
            effects.append(run_effects(inst, doc.state(inst), known) | Effects(reads=RUN_READS))
        else:
            effects.append(instruction_effects(doc, inst, run_effects, build.build if isinstance(build, FolderContext) else build))
    frozen = frozenset(existing)

    def clash(i: int, j: int) -> str | None:
        if (i == 0 and j in overlays) or (j == 0 and i in overlays):
            return None  # it writes the same files as the full copy does
        if (i == 0 and j in positions) or (j == 0 and i in positions):
            return None  # what the install reads of the copy is copied first (install_reads)
        if 0 in (i, j):
            other = effects[i or j]
            hit = other.writes.meets(tree_effects.writes)
            if hit is not None:
                return f"both write {hit}"
            return conflict(readable, other, frozen)
        return conflict(effects[i], effects[j], frozen)

    names = [f"the {inst.kind} at line {inst.line_no}" for inst in region]
    order = plan_order(names, clash, {0}, positions)
    if order.clash is not None:
        return Plan(manifests, clash=order.clash)
    return Plan(manifests, [region[i] for i in order.after])


def same_files(doc: Document, copy: Instruction, inst: Instruction, tree: Tree, dest_abs: str) -> bool:
    """Whether a COPY puts only files of the copied folder where the full copy puts them, with
    the same ownership and mode: then it commutes with the full copy."""
    if inst.kind != "COPY" or inst.heredocs or inst.flag("from") is not None or inst.exec_form is not None:
        return False
    if any(f.name not in KEPT_FLAGS for f in inst.flags):
        return False
    for name in ("chown", "chmod"):
        mine, theirs = copy.flag(name), inst.flag(name)
        if (mine.value if mine else None) != (theirs.value if theirs else None):
            return False
    pairs = copied_files(doc, inst)
    targets: dict[str, set[str]] = {}
    for source, target in pairs:
        targets.setdefault(source, set()).add(target)
    if not targets:
        return False
    for source, places in targets.items():
        rel = posixpath.normpath(source.lstrip("/"))
        if any(c in source for c in "*?[$") or rel.startswith("..") or rel == ".":
            return False
        if tree.source != ".":
            if not rel.startswith(tree.source + "/"):
                return False
            rel = rel[len(tree.source) + 1 :]
        if posixpath.join(dest_abs, rel) not in places:
            return False
    return True


def writes_file(doc: Document, inst: Instruction, path: str) -> bool:
    return any(t == path for _, t in copied_files(doc, inst))


def existing_dirs(doc: Document, stage: Stage, k: int, dest_abs: str) -> set[str]:
    """Folders known to exist before the copy: the root, and the WORKDIRs before it in the
    stage (and theirs parents)."""
    out = {"/"}
    for inst in stage.instructions[:k]:
        if inst.kind == "WORKDIR":
            state = doc.state(inst)
            words = inst.words
            path = state.resolve(words[0].value) if words else None
            while path and is_known_dir(path) and path not in out:
                out.add(path)
                path = posixpath.dirname(path)
    return out


def unit_start(doc: Document, stage: Stage, inst: Instruction) -> int:
    """The first line of what moves with an instruction: its comments, and the blank lines
    before them (down to the end of the instruction before)."""
    k = stage.instructions.index(inst)
    floor = stage.instructions[k - 1].end if k > 0 else stage.from_.end
    start = inst.comment_start
    while start > floor and not doc.lines[start - 1].strip():
        start -= 1
    return start


def same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like.islower():
        return word.lower()
    return word.capitalize()
