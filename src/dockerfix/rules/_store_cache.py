"""The frame of the rules that mount a tool's store: a folder the tool both downloads into and
reads back later (Go's module cache, Cargo's registry and git folders).

A mount there takes the store out of the image. That is safe only when every RUN that needs it
gets the same mount (same target, same id), so that a RUN whose layer BuildKit rebuilds finds
the store or downloads it again. Stages built FROM one another share one file system, so the
decision is made once for each family of stages (a stage built from an image and every stage
built FROM it), before any RUN is fixed: all of the family's RUNs that need the store get the
mount, or none does, and the findings say why.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator, Mapping
from typing import ClassVar

from dockerfix.document.edit import CannotEdit
from dockerfix.document.flags import cache_mount_flag, mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.ecosystems.packages import read_call, runs_tool
from dockerfix.records import frozen
from dockerfix.rules._common import platform_problem, source_stage, stage_chain
from dockerfix.rules._mounts import existing_mounts, within
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run
from dockerfix.rules.base import Finding, RuleContext


@frozen
class StoreMount(CacheMount):
    """A cache mount of the store. ``written`` is the target as the family's existing mounts
    write it: a new mount then repeats that text, their id (none when they name none, so that
    BuildKit keys both alike) and their sharing mode."""

    written: str | None = None
    fixed_id: str | None = None
    fixed_sharing: str | None = None


@frozen
class Store:
    """What a family's RUNs that need the store get: its mounts, or why none."""

    mounts: tuple[StoreMount, ...] = ()
    problem: str | None = None


def family_root(doc: Document, stage: Stage) -> int:
    """The first stage of the family ``stage`` belongs to: the one built from an image."""
    return min(stage_chain(doc, stage.from_))


def family(doc: Document, root: int) -> list[Stage]:
    return [s for s in doc.stages if family_root(doc, s) == root]


def final_image_problem(doc: Document, stages: set[int], target: str) -> str | None:
    """Why the family cannot have ``target`` mounted because it holds the final image, whose
    files it is."""
    last = doc.stages[-1]
    return f"stage {last.name or last.index} is the final image, which would lose {target}" if last.index in stages else None


def copied_from(doc: Document, stages: set[int], paths: list[str]) -> str | None:
    """Why a later instruction reads one of ``paths`` out of a stage of the family (a COPY
    --from or a bind mount from it, of the path, a folder above it or a path not known)."""
    for inst in doc.instructions:
        if inst.kind in ("COPY", "ADD"):
            flag = inst.flag("from")
            sources = [w.value for w in inst.words[:-1]] if flag is not None and flag.value else []
            origin = flag.value if flag is not None else None
        elif inst.kind == "RUN":
            binds = [m for m in mounts(inst) if m.type == "bind" and m.options.get("from")]
            for m in binds:
                why = _reads(doc, inst, stages, m.options["from"], [m.options.get("source", "/")], paths)
                if why:
                    return why
            continue
        else:
            continue
        if origin:
            why = _reads(doc, inst, stages, origin, sources, paths)
            if why:
                return why
    return None


def _reads(doc: Document, inst: Instruction, stages: set[int], origin: str, sources: list[str], paths: list[str]) -> str | None:
    stage = source_stage(doc, doc.state(inst).expand(origin) or origin)
    if stage is None or stage.index not in stages:
        return None
    for source in sources:
        value = doc.state(inst).expand(source)
        if value is None:
            return f"line {inst.line_no} copies {source} out of stage {stage.name or stage.index}, a path not known"
        path = posixpath.normpath(posixpath.join("/", value))
        for p in paths:
            if within(p, path) or within(path, p):
                return f"line {inst.line_no} copies {path} out of stage {stage.name or stage.index}"
    return None


def credentials(inst: Instruction) -> frozenset[str]:
    """The secret and ssh mounts of a RUN: a download that needs them needs them again."""
    return frozenset(f"{m.type} {m.options.get('id') or m.target or ''}" for m in mounts(inst) if m.type in ("secret", "ssh"))


def offline_flag(inst: Instruction) -> str | None:
    flag = inst.flag("network")
    return f"line {inst.line_no} runs with --network=none" if flag is not None and flag.value == "none" else None


def located(env: Mapping[str, str | None], places: tuple[tuple[str, str], ...], default: str) -> str:
    """The first of ``places`` (a variable and the path under it) whose variable is set (a list
    such as GOPATH counts by its first entry), else ``default``; NotAdded where the value is not a
    known absolute path."""
    for var, suffix in places:
        if var in env:
            value = env[var]
            first = value.split(":")[0] if value else ""
            if not first.startswith("/"):
                raise NotAdded(f"{var} is set to a value that is not a known absolute path")
            return posixpath.normpath(posixpath.join(first, suffix))
    return default


class StoreCacheRule(PackageCacheRule):
    """A tool whose store the family's RUNs mount all together, or not at all."""

    store_name: ClassVar[str]  # how messages name the store ("the module cache")

    def store_targets(self, run: Run) -> list[str]:
        """Where the store is for this RUN; raise NotAdded when that is not known."""
        raise NotImplementedError

    def needs_store(self, run: Run) -> bool:
        raise NotImplementedError

    def store_problem(self, run: Run) -> str | None:
        """Why this RUN keeps the family from mounting the store (it cannot download again)."""
        return None

    def family_problem(self, doc: Document, ctx: RuleContext, stages: set[int], targets: list[str]) -> str | None:
        """Why the family as a whole keeps its store in the image."""
        return None

    def plan_with(self, run: Run, store: Store) -> Plan | None:
        raise NotImplementedError

    def plan(self, run: Run) -> Plan | None:
        return self.plan_with(run, self.store(run))

    def store(self, run: Run) -> Store:
        decisions = run.doc.memo((self.code, "store"), lambda: self._decide(run.doc, run.ctx))
        return decisions.get(family_root(run.doc, run.stage), Store())

    def tool_runs(self, doc: Document, ctx: RuleContext, stages: set[int]) -> Iterator[Run | Instruction]:
        """The family's RUNs that run the tool: as Runs, or the instruction where it cannot be read."""
        for stage in doc.stages:
            if stage.index not in stages:
                continue
            for inst in stage.instructions:
                if inst.kind != "RUN" or not runs_tool(inst.command_text, self.grammar):
                    continue
                if inst.script.opaque:
                    yield inst
                    continue
                calls = [c for c in (read_call(cmd, self.grammar) for cmd in inst.script.commands) if c is not None]
                if calls:
                    yield Run(doc, stage, inst, doc.state(inst), inst.script, calls, ctx)

    def _decide(self, doc: Document, ctx: RuleContext) -> dict[int, Store]:
        out: dict[int, Store] = {}
        for root in sorted({family_root(doc, s) for s in doc.stages}):
            stages = {s.index for s in family(doc, root)}
            try:
                out[root] = Store(self._family_mounts(doc, ctx, stages))
            except NotAdded as why:
                out[root] = Store(problem=str(why))
        return out

    def _family_mounts(self, doc: Document, ctx: RuleContext, stages: set[int]) -> tuple[StoreMount, ...]:
        runs: list[Run] = []
        for item in self.tool_runs(doc, ctx, stages):
            if isinstance(item, Instruction):
                raise NotAdded(f"line {item.line_no} runs {self.tool} in a shell that cannot be read")
            if self.needs_store(item):
                runs.append(item)
        if not runs:
            return ()
        places: dict[tuple[str, ...], Run] = {}
        for run in runs:
            try:
                places.setdefault(tuple(self.store_targets(run)), run)
            except NotAdded as why:
                raise NotAdded(f"line {run.inst.line_no}: {why}") from None
        if len(places) > 1:
            a, b = list(places.values())[:2]
            raise NotAdded(f"lines {a.inst.line_no} and {b.inst.line_no} keep {self.store_name} in different folders")
        targets = list(next(iter(places)))
        for run in runs:
            problem = self.store_problem(run) or offline_flag(run.inst)
            if problem:
                raise NotAdded(problem)
        keys = {credentials(r.inst) for r in runs}
        if len(keys) > 1:
            raise NotAdded(f"the {self.tool} RUNs do not all have the same secret or ssh mounts, which a download again would need")
        problem = self.family_problem(doc, ctx, stages, targets) or copied_from(doc, stages, targets)
        if problem:
            raise NotAdded(problem)
        store = Store(self._layout(runs, targets))
        self._try(doc, ctx, stages, store)
        return store.mounts

    def _layout(self, runs: list[Run], targets: list[str]) -> tuple[StoreMount, ...]:
        """The mounts every RUN gets: the ones the family's RUNs already have, else new ones."""
        layouts: dict[frozenset[tuple[str, str, str | None, str | None]], Run] = {}
        for run in runs:
            there: set[tuple[str, str, str | None, str | None]] = set()
            for path, m in existing_mounts(run.inst, run.state).items():
                if not any(within(path, t) or within(t, path) for t in targets):
                    continue
                if m.type != "cache" or not any(within(path, t) for t in targets):
                    raise NotAdded(f"line {run.inst.line_no} has a {m.type} mount at {path}")
                there.add((path, m.target or path, m.options.get("id"), m.options.get("sharing")))
            if there:
                layouts.setdefault(frozenset(there), run)
        if len(layouts) > 1:
            a, b = list(layouts.values())[:2]
            raise NotAdded(f"lines {a.inst.line_no} and {b.inst.line_no} mount {self.store_name} differently")
        if layouts:
            return tuple(
                StoreMount(path, self.tool, sharing=None, written=written, fixed_id=id_, fixed_sharing=sharing)
                for path, written, id_, sharing in sorted(next(iter(layouts)), key=str)
            )
        return tuple(StoreMount(t, f"{self.tool}-{posixpath.basename(t)}", sharing=None) for t in targets)

    def _try(self, doc: Document, ctx: RuleContext, stages: set[int], store: Store) -> None:
        """Fix every RUN of the family on paper: the store goes in only if it can go everywhere."""
        fillers = self.fillers(doc)
        quiet = ctx.suppressions
        for item in self.tool_runs(doc, ctx, stages):
            assert isinstance(item, Run)
            plan = self.plan_with(item, store)
            if plan is None or not self.needs_store(item):
                continue
            try:
                problem = platform_problem(doc, item.stage, item.state, item.inst)
                if problem:
                    raise NotAdded(problem)
                finding = self._fix(item, plan, fillers)
            except (NotAdded, CannotEdit) as why:
                raise NotAdded(f"line {item.inst.line_no} cannot have it ({why})") from None
            if finding is not None and quiet is not None and quiet.suppresses(finding):
                raise NotAdded(f"line {item.inst.line_no} suppresses {self.code}")

    def store_note(self, store: Store, run: Run) -> str | None:
        if store.problem and self.needs_store(run):
            return f"no mount on {self.store_name}: {store.problem}"
        return None

    def _flag(self, run: Run, m: CacheMount) -> str:
        if isinstance(m, StoreMount) and m.written is not None:
            options: dict[str, str | int] = {"sharing": m.fixed_sharing} if m.fixed_sharing else {}
            if m.fixed_id:
                options["id"] = m.fixed_id
            return cache_mount_flag(m.written, **options)
        return super()._flag(run, m)


def store_finding(rule: StoreCacheRule, finding: Finding | None, wording: str) -> Finding | None:
    """The frame's finding, worded for a tool that builds as well as downloads."""
    if finding is None:
        return None
    return rule.finding(finding.line, finding.message.replace(f"{rule.tool} downloads again", wording, 1), finding.fix)
