"""The frame shared by the OS package cache rules (apt, apk, dnf/yum/microdnf, zypper).

A rule says, for one RUN, which cache mounts it wants, which options make the tool keep what
it downloads, and which commands only clean the caches. The frame does the rest the same way
for every tool: it leaves the RUN alone where a mount would hide files an earlier instruction
put there, drops the cleanups (and the `rm` operands) that would only empty the mounts, stops
where a command removes a folder that holds a mount or uses a mounted path in another way,
and writes the edit.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from typing import ClassVar

from dockerfix.document.edit import CannotEdit, InstructionEditor
from dockerfix.document.flags import Mount, cache_mount_flag
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command, Script, ShellWord
from dockerfix.document.state import State, is_known_dir
from dockerfix.ecosystems.commands import unwrap
from dockerfix.ecosystems.packages import Call, Grammar, read_call, runs_tool
from dockerfix.ecosystems.tools import command_names
from dockerfix.records import cached_property, field, frozen, record
from dockerfix.rules._common import (
    flags_end,
    insert_run_words,
    platform_problem,
    remove_run_word,
    run_user,
    run_with,
)
from dockerfix.rules._mounts import (
    Fillers,
    cache_id,
    covering,
    existing_mounts,
    mentions_path,
    rm_paths,
    within,
)
from dockerfix.rules.base import Finding, Fix, Rule, RuleContext


class NotAdded(Exception):
    """Leave the RUN as it is, for the reason given."""


@frozen
class CacheMount:
    target: str
    cache: str  # what it caches, the first part of its id ("apt-lists")
    optional: bool = False  # when it cannot be added, the rest of the fix still applies
    uid: int | None = None
    gid: int | None = None
    sharing: str | None = "locked"  # None: BuildKit's default (shared)


@record
class Plan:
    mounts: list[CacheMount]
    cleanups: list[tuple[Command, str]] = field(default_factory=list)  # (command, cache it empties)
    inserts: list[tuple[ShellWord, list[str]]] = field(default_factory=list)  # words after a word
    removals: list[ShellWord] = field(default_factory=list)
    replacements: list[tuple[ShellWord, str]] = field(default_factory=list)  # a word and its new text
    prefixes: list[tuple[Call, list[str]]] = field(default_factory=list)  # VAR=value to run a call with
    notes: list[str] = field(default_factory=list)


@record
class Run:
    """One RUN as the rules see it."""

    doc: Document
    stage: Stage
    inst: Instruction
    state: State
    script: Script
    calls: list[Call]
    ctx: RuleContext

    @property
    def exec_form(self) -> bool:
        return self.script.exec_form

    @cached_property
    def existing(self) -> dict[str, Mount]:
        return existing_mounts(self.inst, self.state)

    def position(self, call: Call) -> int:
        """Where the call's command stands among the RUN's commands."""
        for k, cmd in enumerate(self.script.commands):
            if cmd is call.invocation.command:
                return k
        raise ValueError("the call is not a command of this RUN")

    def cache_mounted(self, target: str) -> bool:
        m = covering(self.existing, target)
        return m is not None and m.type == "cache"


def _tools_used(doc: Document) -> dict[int, frozenset[str]]:
    """For every RUN and ONBUILD, the command names among the first words of its commands ("*"
    where the RUN cannot be read that way): one look per document for all the package rules."""

    def compute() -> dict[int, frozenset[str]]:
        used: dict[int, frozenset[str]] = {}
        for inst in doc.instructions:
            if inst.kind == "ONBUILD" or (inst.kind == "RUN" and inst.script.opaque):
                used[inst.index] = frozenset({"*"})
            elif inst.kind == "RUN":
                used[inst.index] = frozenset().union(*(command_names(cmd) for cmd in inst.script.commands))
        return used

    return doc.memo("tools used", compute)


def tools_named(doc: Document) -> frozenset[str]:
    """Every command name among the first words of the document's RUN commands, and "*" when a
    RUN cannot be read that way or an ONBUILD is there: a rule that looks only at the RUNs that
    run its tools finds nothing where none of them is named (and no "*")."""
    return doc.memo("tools named", lambda: frozenset().union(*_tools_used(doc).values()))


def _candidates(doc: Document, names: frozenset[str]) -> list[tuple[Stage, Instruction]]:
    """The RUNs and ONBUILDs that may run one of ``names``, in order. Every rule of every pass
    asks, each for its own tools: the document is indexed once, by command name."""

    def compute() -> dict[str, list[tuple[Stage, Instruction]]]:
        used = _tools_used(doc)
        index: dict[str, list[tuple[Stage, Instruction]]] = {}
        for stage in doc.stages:
            for inst in stage.instructions:
                for name in used.get(inst.index, ()):
                    index.setdefault(name, []).append((stage, inst))
        return index

    index = doc.memo("tool index", compute)
    found = [index[name] for name in (*names, "*") if name in index]
    if len(found) <= 1:
        return found[0] if found else []
    merged = {inst.index: (stage, inst) for runs in found for stage, inst in runs}
    return [merged[k] for k in sorted(merged)]


def removed_paths(run: Run) -> list[tuple[int, str]]:
    """(command position, absolute path) for every known path an `rm` of the RUN removes."""
    out: list[tuple[int, str]] = []
    for k, cmd in enumerate(run.script.commands):
        inv = unwrap(cmd)
        if inv is None or not inv.argv or posixpath.basename(inv.argv[0].value) != "rm":
            continue
        out += [(k, path) for _, path, _ in rm_paths([w.value for w in inv.argv], run.state) if path is not None]
    return out


class PackageCacheRule(Rule):
    grammar: ClassVar[Grammar]
    tool: ClassVar[str]  # how messages name the tool ("apt")

    def plan(self, run: Run) -> Plan | None:
        """The mounts and edits for one RUN, None when it needs none; raise NotAdded to leave it
        alone and say why."""
        raise NotImplementedError

    def root_installs(self, run: Run, subcommands: frozenset[str]) -> list[Call]:
        """The calls of the RUN that install (their subcommand is one of ``subcommands``); the
        tool must run as root (or through sudo), else NotAdded."""
        installs = [c for c in run.calls if c.subcommand in subcommands]
        if installs:
            user = run_user(run.state)
            if not user.root and not all(c.sudo for c in run.calls):
                raise NotAdded(user.problem or f"{self.tool} runs as user {user.name}, not as root")
        return installs

    def leaves(self, prior: Run, target: str) -> bool:
        """Whether an earlier RUN's tool leaves files at ``target`` in the image."""
        return False

    def fillers(self, doc: Document) -> Fillers:
        """What puts files where this tool's mounts go, for one pass over ``doc`` in order."""
        return Fillers(
            doc, {}, own=lambda cmd: read_call(cmd, self.grammar) is not None,
            mentions_tool=lambda text: runs_tool(text, self.grammar),
        )  # fmt: skip

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        quiet = ctx.suppressions
        fillers: Fillers | None = None  # made at the first RUN that runs the tool
        for stage, inst in _candidates(doc, self.grammar.names):
            fillers = fillers or self.fillers(doc)
            finding = self._check_instruction(doc, stage, inst, ctx, fillers)
            if finding is not None:
                if quiet is not None and quiet.suppresses(finding):
                    fillers.mounted.pop(inst.index, None)  # a suppressed fix is never applied
                yield finding

    def _check_instruction(
        self, doc: Document, stage: Stage, inst: Instruction, ctx: RuleContext, fillers: Fillers
    ) -> Finding | None:
        if inst.kind == "ONBUILD":
            if runs_tool(inst.command_text, self.grammar):
                return self.finding(inst.start, f"{self.tool} under ONBUILD is left alone: ONBUILD runs in other builds")
            return None
        if inst.kind != "RUN":
            return None
        if not runs_tool(inst.command_text, self.grammar):
            return None
        script = inst.script
        if script.opaque:
            return self.finding(inst.start, f"this RUN is left alone: cannot read its shell ({script.opaque})")
        calls = [c for c in (read_call(cmd, self.grammar) for cmd in script.commands) if c is not None]
        if not calls:
            return None
        run = Run(doc, stage, inst, doc.state(inst), script, calls, ctx)
        try:
            plan = self.plan(run)
            if plan is None:
                return None
            problem = platform_problem(doc, stage, run.state, inst)
            if problem:
                raise NotAdded(problem)
            return self._fix(run, plan, fillers)
        except (NotAdded, CannotEdit) as why:
            return self.finding(inst.start, f"{self.tool} cache mount not added: {why}")

    def _fix(self, run: Run, plan: Plan, fillers: Fillers) -> Finding | None:
        inst = run.inst
        existing = run.existing
        new: list[CacheMount] = []
        notes = list(plan.notes)
        for m in plan.mounts:
            inside = [p for p in existing if p != m.target and within(p, m.target)]
            if inside:
                raise NotAdded(f"a mount at {inside[0]} is already inside {m.target}")
            there = covering(existing, m.target)
            if there is not None:
                if there.type != "cache":
                    raise NotAdded(f"a {there.type} mount is already at {m.target}")
                continue
            filler = self._filled_by(run, plan, m.target, fillers)
            if filler is not None:
                why = f"line {filler.line_no} puts files in {m.target}, which a mount would hide"
                if not m.optional:
                    raise NotAdded(why)
                notes.append(f"no mount at {m.target}: {why}")
                continue
            new.append(m)
        guarded = [m.target for m in new] + [
            m.target for m in plan.mounts if (c := covering(existing, m.target)) is not None and c.type == "cache"
        ]
        if not new and not any(m for m in plan.mounts if m.target in guarded):
            return None
        editor = InstructionEditor(run.doc, inst)
        dropped = self._drop_cleanups(run, plan, guarded, editor)
        for word in plan.removals:
            remove_run_word(editor, run.inst, word)
        for word, text in plan.replacements:
            base = inst.shell.base
            editor.replace(base + word.start, base + word.end, f'"{text}"' if run.exec_form else text)
        for word, values in plan.inserts:
            insert_run_words(editor, inst, word, values)
        for call, assignments in plan.prefixes:
            run_with(editor, inst, call.invocation, call.tool, assignments=assignments)
        if not new and not editor.changes:
            return None
        if new:
            text = "".join(" " + self._flag(run, m) for m in new)
            editor.insert_after(flags_end(inst), text)
            fillers.mounted[inst.index] = [m.target for m in new]
        targets = [m.target for m in new]
        if len(targets) > 1:
            what = f"add cache mounts at {', '.join(targets[:-1])} and {targets[-1]}"
        elif targets:
            what = f"add a cache mount at {targets[0]}"
        else:
            what = f"make {self.tool} use the cache mounts this RUN already has"
        if dropped:
            notes.append("drops " + ", ".join(f"`{d}`" for d in dropped) + ", which would only empty the mounts")
        message = f"{self.tool} downloads again on every rebuild: {what}"
        if notes:
            message += " (" + "; ".join(dict.fromkeys(notes)) + ")"
        return self.finding(inst.start, message, Fix(what, (editor.edit(),)))

    def _flag(self, run: Run, m: CacheMount) -> str:
        options: dict[str, str | int] = {"id": cache_id(run.doc, run.stage, m.cache)}
        if m.sharing is not None:
            options = {"sharing": m.sharing, **options}
        if m.uid is not None:
            options["uid"] = m.uid
            if m.gid is not None:
                options["gid"] = m.gid
        return cache_mount_flag(m.target, **options)

    def _filled_by(self, run: Run, plan: Plan, target: str, fillers: Fillers) -> Instruction | None:
        """The earlier instruction whose files at ``target`` a mount there would hide, where that
        matters. Files the tool itself cached do not matter to the tool, which works with any
        cache, but they do when this RUN cleans ``target``: dropping that cleanup would keep them
        in the image."""
        doc = run.doc
        cleans = any(within(t, target) for _, t in plan.cleanups) or any(
            within(path, target) for _, path in removed_paths(run)
        )

        def fills(other: Instruction) -> bool:
            if not cleans:
                return False
            calls = [c for c in (read_call(cmd, self.grammar) for cmd in other.script.commands) if c is not None]
            prior = Run(doc, doc.stages[other.stage], other, doc.state(other), other.script, calls, run.ctx)
            return bool(calls) and self.leaves(prior, target)

        return fillers.first(run.inst, target, fills, key=cleans)

    def _drop_cleanups(self, run: Run, plan: Plan, guarded: list[str], editor: InstructionEditor) -> list[str]:
        """Remove the cleanups that would only empty the mounts; stop where a command removes a
        folder holding a mount or uses a mounted path otherwise."""
        doomed: list[Command] = []
        dropped: list[str] = []
        cleanup_ids: dict[int, list[str]] = {}
        for c, target in plan.cleanups:  # a command may empty several caches
            cleanup_ids.setdefault(id(c), []).append(target)
        relative_unknown = any(c.name == "cd" for c in run.script.commands)
        workdir_known = is_known_dir(run.state.workdir)
        # a `cd` came before (or may have, in a loop): relative paths are then relative to a
        # folder that is not followed
        after_cd = relative_unknown and re.search(r"(^|[;&|(\s])(for|while|until)\s", run.inst.shell.text) is not None
        for cmd in run.script.commands:
            after_cd = after_cd or cmd.name == "cd"
            # before any `cd`, relative paths are relative to the WORKDIR, where it is known
            unknown_folder = after_cd or (relative_unknown and not workdir_known)
            text = " ".join(w.value for w in cmd.argv)
            if id(cmd) in cleanup_ids:
                if all(any(within(t, g) for g in guarded) for t in cleanup_ids[id(cmd)]):
                    doomed.append(cmd)
                    dropped.append(text)
                continue
            inv = unwrap(cmd)
            if inv is None or not inv.argv:
                continue
            if posixpath.basename(inv.argv[0].value) == "rm":
                values = [w.value for w in inv.argv]
                operands = rm_paths(values, run.state)
                drop: list[int] = []
                for k, path, _glob in operands:
                    value = values[k]
                    if path is None and not value.startswith(("/", "$", "~")) and not unknown_folder:
                        path = run.state.resolve(value.removesuffix("/*"))
                    if path is None:
                        if "$" in value or unknown_folder:
                            why = "" if after_cd or "$" in value else " (relative to the base image's WORKDIR, which is not known)"
                            raise NotAdded(f"`{text}` removes a path that is not known{why}")
                        continue
                    for g in guarded:
                        if within(path, g):
                            drop.append(k)
                            break
                        if within(g, path):
                            raise NotAdded(f"`{text}` removes {path}, which holds the cache mount at {g}")
                if drop and len(drop) == len(operands):
                    doomed.append(cmd)
                    dropped.append(text)
                elif drop:
                    for k in drop:
                        remove_run_word(editor, run.inst, inv.argv[k])
                    dropped.append("rm " + " ".join(values[k] for k in drop))
                continue
            if read_call(cmd, self.grammar) is not None:
                continue
            for w in cmd.words + cmd.redirects:
                folder = posixpath.normpath(re.sub(r"/\.?\*$", "", w.value)) if w.value.startswith("/") else ""
                for g in guarded:
                    if mentions_path(w.value, g):
                        raise NotAdded(f"`{text}` uses {g}, where the cache mount would be")
                    if folder not in ("", "/") and within(g, folder):
                        raise NotAdded(f"`{text}` works on {folder}, which holds the cache mount at {g}")
        if doomed:
            editor.remove_commands(run.script, doomed)
        return dropped

