"""What each instruction runs with: ENV/ARG values, WORKDIR, USER, SHELL and the users that
earlier RUNs created, followed through a stage and the stages it is built FROM. A stage starts
from what its base image is known to set (document/base_images.py), or from nothing known."""

from __future__ import annotations

import itertools
import posixpath
import re
from collections.abc import Mapping
from typing import Any

from dockerfix.document.base_images import BaseImage, ImageFacts, base_image
from dockerfix.document.model import Document, Instruction
from dockerfix.document.options import split_options
from dockerfix.document.shell import ShellWord
from dockerfix.document.words import UnknownVariable, expand, parse_assignments
from dockerfix.records import field, frozen

IMAGE_WORKDIR = "/<image-workdir>"  # the base image's WORKDIR, not known statically
_unknown = itertools.count()


def unknown_dir() -> str:
    return f"/<unknown-{next(_unknown)}>"


def is_known_dir(path: str) -> bool:
    return "<" not in path


@frozen
class UserInfo:
    name: str
    uid: int | None
    gid: int | None
    home: str | None


@frozen
class State:
    env: Mapping[str, str | None] = field(default_factory=dict)  # None: value not known
    env_line: Mapping[str, int] = field(default_factory=dict)  # where each variable was set
    workdir: str = IMAGE_WORKDIR
    user: str | None = None  # None: the base image's user (taken to be root)
    user_line: int | None = None
    shell: tuple[str, ...] | None = None  # None: the default /bin/sh -c
    users: Mapping[str, UserInfo] = field(default_factory=dict)
    groups: Mapping[str, int] = field(default_factory=dict)
    raw_env: Mapping[str, str] = field(default_factory=dict)  # each ENV value as written
    base: BaseImage | None = None  # the image the stage starts from (None: not looked up)

    def changed(self, **changes: Any) -> State:
        """This state with some fields changed: ``records.replace`` without its checks (the
        fields are only copied; there is no __post_init__ to run), for the step every
        instruction takes."""
        new = object.__new__(State)
        new.__dict__.update(self.__dict__, **changes)
        return new

    @property
    def image(self) -> ImageFacts | None:
        """What the base image is known to set, or None."""
        return self.base.facts if self.base is not None else None

    @property
    def image_name(self) -> str:
        """How messages name the base image."""
        return f"the base image {self.base.label}" if self.base is not None else "the base image"

    def account(self, name: str) -> UserInfo | None:
        """The account a USER names, by name or by uid (a numeric USER runs as the account with
        that uid, in its primary group)."""
        info = self.users.get(name)
        if info is None and name.isdigit():
            info = next((u for u in self.users.values() if u.uid == int(name)), None)
        return info

    def expand(self, value: str, escape: str = "\\") -> str | None:
        try:
            return expand(value, self.env, escape)
        except UnknownVariable:
            return None

    def resolve(self, path: str, cwd: str | None = None) -> str | None:
        """An absolute, normalised path, or None when a variable in it is not known."""
        value = self.expand(path)
        if value is None:
            return None
        if value.startswith("/"):  # posixpath.join would give it as it is
            return posixpath.normpath(value)
        return posixpath.normpath(posixpath.join(cwd or self.workdir, value))


def compute_states(doc: Document) -> dict[int, State]:
    """The state before each instruction, keyed by instruction index."""
    states: dict[int, State] = {}
    end_of_stage: dict[int, State] = {}
    for stage in doc.stages:
        base = base_image(doc, stage)
        parent = doc.stage_named(stage.base)
        if base is None and parent is not None:
            state = end_of_stage[parent.index]
        else:
            state = initial_state(base)
        states[stage.from_.index] = state
        for inst in stage.instructions:
            states[inst.index] = state
            state = _step(state, inst)
        end_of_stage[stage.index] = state
    for inst in doc.instructions:
        if inst.index not in states:  # before the first FROM
            states[inst.index] = State()
    return states


def initial_state(base: BaseImage | None) -> State:
    """The state a stage starts with: what its base image sets, where that is known."""
    facts = base.facts if base is not None else None
    if facts is None:
        return State(base=base)
    users = {u.name: UserInfo(u.name, u.uid, u.gid, u.home) for u in facts.users}
    return State(
        env=dict(facts.env),
        workdir=facts.workdir if facts.workdir and facts.workdir.startswith("/") else IMAGE_WORKDIR,
        user=None if facts.root in (True, None) else facts.user,
        shell=facts.shell,
        users=users,
        base=base,
    )


def shell_program(state: State) -> str | None:
    """The program a shell-form RUN runs through (its base name), None for the default /bin/sh;
    for a SHELL of the base image that wraps a POSIX shell, that shell."""
    if state.shell is None:
        return None
    facts = state.image
    if facts is not None and facts.shell == state.shell and facts.shell_program:
        return facts.shell_program
    return posixpath.basename(state.shell[0]) if state.shell else ""


_ACCOUNT_TOOLS = re.compile(r"\b(useradd|adduser|groupadd|addgroup)\b")


def _step(state: State, inst: Instruction) -> State:
    kind = inst.kind
    if kind in ("ENV", "ARG"):
        env = dict(state.env)
        lines = dict(state.env_line)
        raws = dict(state.raw_env)
        for name, raw in parse_assignments(inst.args, inst.escape):
            raws[name] = raw
            if kind == "ARG":
                env[name] = None  # a build argument can always be overridden
            else:
                env[name] = None if raw == "\0" else state.expand(raw)
                if env[name] is None and raw != "\0":
                    # expansion failed: unknown value
                    env[name] = None
            lines[name] = inst.start
        return state.changed(env=env, env_line=lines, raw_env=raws)
    if kind == "WORKDIR":
        words = inst.words
        target = state.resolve(words[0].value) if words else None
        return state.changed(workdir=target if target else unknown_dir())
    if kind == "USER":
        words = inst.words
        user = state.expand(words[0].value) if words else None
        return state.changed(user=user if user is not None else "<unknown>", user_line=inst.start)
    if kind == "SHELL":
        form = inst.exec_form
        return state.changed(shell=tuple(form) if form else ("<unknown>",))
    if kind == "RUN" and inst.exec_form is None:
        if _ACCOUNT_TOOLS.search(inst.command_text):
            return _accounts(state, inst)
    return state


def _int(value: str | None) -> int | None:
    return int(value) if value is not None and value.isdigit() else None


def _accounts(state: State, inst: Instruction) -> State:
    users = dict(state.users)
    groups = dict(state.groups)
    for cmd in inst.script.commands:
        if not cmd.argv:
            continue
        tool = posixpath.basename(cmd.argv[0].value)
        opts, operands = _options(cmd.argv[1:])
        if tool in ("groupadd", "addgroup") and operands:
            gid = _int(opts.get("-g") or opts.get("--gid"))
            if gid is not None:
                groups[operands[-1]] = gid
            continue
        if tool not in ("useradd", "adduser") or not operands:
            continue
        name = operands[-1] if tool == "useradd" else operands[0]
        if tool == "adduser" and len(operands) == 2:
            # adduser USER GROUP adds an existing user to a group
            continue
        uid = _int(opts.get("-u") or opts.get("--uid"))
        group = opts.get("-g") or opts.get("--gid") or opts.get("--ingroup") or opts.get("-G")
        gid = _int(group) if group is not None else None
        if gid is None:
            gid = groups.get(group or name)
        home: str | None = opts.get("-d") or opts.get("--home-dir") or opts.get("--home") or opts.get("-h")
        if home is None:
            system = "-r" in opts or "--system" in opts or "-S" in opts
            home = None if (tool == "adduser" and system) else f"/home/{name}"
        users[name] = UserInfo(name, uid, gid, home)
    return state.changed(users=users, groups=groups)


_VALUE_OPTS = frozenset(
    "-u --uid -g --gid -d --home-dir --home -h -s --shell -c --comment -G --groups --ingroup --gecos "
    "-k --skel -e --expiredate -f --inactive -K --key -p --password -k --firstuid --lastuid".split()
)
_VALUE_LETTERS = frozenset(o[1] for o in _VALUE_OPTS if not o.startswith("--"))


def _options(words: tuple[ShellWord, ...]) -> tuple[dict[str, str | None], list[str]]:
    """useradd/adduser/groupadd/addgroup options by name ("-u", "--uid"), and the operands."""
    options, operands = split_options(words, _VALUE_OPTS, _VALUE_LETTERS, group_flags=False)
    return {o.name: o.value for o in options}, [w.value for w in operands]
