"""What the Maven and Gradle rules share: a store under the tool's user folder (Maven's local
repository, Gradle's caches) mounted through the store frame, and the wrapper's distributions
(`./mvnw`, `./gradlew`) mounted next to it on the RUNs that run the wrapper.

Both tools find their user folder through Java's `user.home`, which the JVM takes from the
user account, not from `HOME`: a `HOME` other than root's makes the folder not known. A final
image whose command runs the tool keeps the store, which it would otherwise download at every
start.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import ClassVar

from dockerfix.document.model import Document, Instruction
from dockerfix.document.state import is_known_dir
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.packages import Call, read_call, runs_tool
from dockerfix.records import replace
from dockerfix.rules._common import run_user, stage_chain
from dockerfix.rules._mounts import Fillers, mentions_path
from dockerfix.rules._package_cache import CacheMount, NotAdded, Plan, Run
from dockerfix.rules._store_cache import (
    Store,
    StoreCacheRule,
    StoreMount,
    copied_from,
    family,
    family_root,
    store_finding,
)
from dockerfix.rules.base import Finding, RuleContext

_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh"})
_ROOT_HOME = "/root"


def java_home(run: Run, call: Call) -> str:
    """The folder Java's `user.home` names for the call: root's, where HOME does not say
    otherwise; NotAdded for another user (the mount would be owned by root) or another HOME."""
    user = run_user(run.state)
    if not user.root and not call.sudo:
        raise NotAdded(user.problem or f"{posixpath.basename(call.tool.value)} runs as user {user.name}, not as root")
    env = run_env(run.state, call.invocation)
    if "HOME" in env and env["HOME"] is not None and posixpath.normpath(env["HOME"]) != _ROOT_HOME and not call.sudo:
        raise NotAdded(f"HOME is set to {env['HOME']}, and Java takes the home folder from the user account")
    if "HOME" in env and env["HOME"] is None:
        raise NotAdded("HOME is set to a value that is not known")
    return _ROOT_HOME


def absolute(run: Run, what: str, value: str) -> str:
    """A folder an option or variable names, made absolute against the WORKDIR (before any `cd`
    of the RUN); NotAdded where that is not known."""
    if "$" in value or value.startswith("~"):
        raise NotAdded(f"{what} is {value}, a path that is not known")
    if value.startswith("/"):
        return posixpath.normpath(value)
    if any(cmd.name == "cd" for cmd in run.script.commands) or not is_known_dir(run.state.workdir):
        raise NotAdded(f"{what} is the relative path {value}, from a folder that is not known")
    return posixpath.normpath(posixpath.join(run.state.workdir, value))


def one(values: list[str], what: str) -> str | None:
    """The one value an option is given (the same in every place it is set), or None."""
    distinct = list(dict.fromkeys(values))
    if len(distinct) > 1:
        raise NotAdded(f"{what} is set to different values ({', '.join(distinct)})")
    return distinct[0] if distinct else None


class JvmStoreRule(StoreCacheRule):
    """A JVM build tool: its store under the user folder, its wrapper's distributions."""

    wrappers: ClassVar[frozenset[str]]  # the wrapper scripts' names ("mvnw")
    store_cache: ClassVar[str]  # the first part of the store mount's id ("maven-repository")
    wrapper_cache: ClassVar[str]

    def needs(self, call: Call) -> bool:
        """Whether the call runs a build (anything but --version, --help)."""
        raise NotImplementedError

    def store_of(self, run: Run, call: Call) -> str:
        raise NotImplementedError

    def wrapper_of(self, run: Run, call: Call) -> str:
        """Where the wrapper keeps the distributions it downloads."""
        raise NotImplementedError

    def offline(self, run: Run, call: Call) -> str | None:
        """The option that keeps the call from downloading, if any."""
        raise NotImplementedError

    def wrapped(self, call: Call) -> bool:
        return call.name in self.wrappers

    def needs_store(self, run: Run) -> bool:
        return any(self.needs(c) for c in run.calls)

    def store_targets(self, run: Run) -> list[str]:
        places = {self.store_of(run, c) for c in run.calls if self.needs(c)}
        if len(places) > 1:
            raise NotAdded(f"its {self.tool} commands use different folders for {self.store_name}")
        return [places.pop()]

    def store_problem(self, run: Run) -> str | None:
        for call in run.calls:
            if self.needs(call):
                option = self.offline(run, call)
                if option:
                    return f"line {run.inst.line_no} runs {self.tool} with {option}, which could not download into an emptied cache"
        return None

    def tool_runs(self, doc: Document, ctx: RuleContext, stages: set[int]) -> Iterator[Run | Instruction]:
        """The frame's RUNs, and a RUN that runs the wrapper through a shell (`sh mvnw`), which
        is not read: it counts as one that cannot be read."""
        yield from super().tool_runs(doc, ctx, stages)
        for stage in doc.stages:
            if stage.index not in stages:
                continue
            for inst in stage.instructions:
                if inst.kind == "RUN" and not inst.script.opaque and self._through_shell(inst):
                    yield inst

    def _through_shell(self, inst: Instruction) -> bool:
        for cmd in inst.script.commands:
            words = [posixpath.basename(w.value) for w in cmd.argv[:2]]
            if len(words) == 2 and words[0] in _SHELLS and words[1] in self.wrappers:
                return True
        return False

    def family_problem(self, doc: Document, ctx: RuleContext, stages: set[int], targets: list[str]) -> str | None:
        wrappers = sorted({self.wrapper_of(r, c) for r in self._runs(doc, ctx, stages) for c in r.calls if self.wrapped(c) and self.needs(c)})
        return self._final_problem(doc, stages, targets) or copied_from(doc, stages, wrappers) or self._read_elsewhere(doc, stages, targets)

    def other_commands(self, inst: Instruction) -> list[str]:
        """The text of a RUN's commands that do not run the tool (the whole RUN where its shell
        is not read)."""
        if inst.script.opaque:
            return [inst.command_text]
        return [" ".join(w.value for w in cmd.words + cmd.redirects) for cmd in inst.script.commands
                if read_call(cmd, self.grammar) is None]  # fmt: skip

    def spellings(self, target: str) -> list[str]:
        """How a command may name ``target``: as it is, and through `~` or $HOME for root's."""
        rest = target.removeprefix(_ROOT_HOME)
        if rest == target or not rest.startswith("/"):
            return [target]
        return [target] + [home + rest for home in ("~", "$HOME", "${HOME}")]

    def _read_elsewhere(self, doc: Document, stages: set[int], targets: list[str]) -> str | None:
        """A RUN of the family that names the store other than through the tool (`find`, `cp`,
        `java -cp`): it would find it empty. Removing it (`rm -rf ~/.m2`) is no reading."""
        names = [n for t in targets for n in self.spellings(t)]
        for inst in doc.instructions:
            if inst.stage not in stages or inst.kind != "RUN":
                continue
            for text in self.other_commands(inst):
                if text.split(" ", 1)[0] == "rm":
                    continue
                name = next((n for n in names if mentions_path(text, n)), None)
                if name is not None:
                    return f"line {inst.line_no} reads {name} other than through {self.tool}, and would find it empty"
        return None

    def _runs(self, doc: Document, ctx: RuleContext, stages: set[int]) -> Iterator[Run]:
        return (r for r in self.tool_runs(doc, ctx, stages) if isinstance(r, Run))

    def _final_problem(self, doc: Document, stages: set[int], targets: list[str]) -> str | None:
        """Why the final image must keep the store: its command may run the tool."""
        last = doc.stages[-1]
        if last.index not in stages:
            return None
        chain = stage_chain(doc, last.instructions[0]) if last.instructions else frozenset({last.index})
        commands = [i for i in doc.instructions if i.stage in chain and i.kind in ("CMD", "ENTRYPOINT")]
        name = last.name or last.index
        if not commands:
            return (
                f"stage {name} is the final image and sets no CMD or ENTRYPOINT: the command of its base image "
                f"may run {self.tool}, which would find {targets[0]} empty"
            )
        for inst in commands:
            if runs_tool(inst.args, self.grammar):
                return f"line {inst.line_no} runs {self.tool} in the final image, which would find {targets[0]} empty"
        return None

    def later_runs(self, run: Run) -> list[Run]:
        """The family's RUNs of the tool after ``run``."""
        stages = {s.index for s in family(run.doc, family_root(run.doc, run.stage))}
        return [r for r in self._runs(run.doc, run.ctx, stages) if r.inst.index > run.inst.index]

    def _layout(self, runs: list[Run], targets: list[str]) -> tuple[StoreMount, ...]:
        if all(run.cache_mounted(t) for run in runs for t in targets):
            # every RUN already has a cache mount there or above (`docker init` mounts ~/.m2)
            return tuple(StoreMount(t, self.store_cache, sharing="locked") for t in targets)
        mounts = super()._layout(runs, targets)
        return tuple(replace(m, cache=self.store_cache, sharing="locked") if m.written is None else m for m in mounts)

    def plan_with(self, run: Run, store: Store) -> Plan | None:
        if not self.needs_store(run):
            return None
        if store.problem:
            raise NotAdded(f"no mount on {self.store_name}: {store.problem}")
        if not store.mounts:
            return None
        mounts: list[CacheMount] = list(store.mounts)
        for folder in sorted({self.wrapper_of(run, c) for c in run.calls if self.wrapped(c) and self.needs(c)}):
            mounts.append(CacheMount(folder, self.wrapper_cache, optional=True))
        return Plan(mounts)

    def _fix(self, run: Run, plan: Plan, fillers: Fillers) -> Finding | None:
        return store_finding(self, super()._fix(run, plan, fillers), f"{self.tool} downloads again")
