"""DFX201: a pip install without a BuildKit cache mount that pip will really use."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockerfix.context.build_context import BuildContext
from dockerfix.document.edit import CannotEdit, InstructionEditor
from dockerfix.document.flags import cache_mount_flag
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command, Script
from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env, unwrap
from dockerfix.ecosystems.pip import (
    CONFIG_PATHS,
    DEFAULT_ROOT_CACHE,
    PipCall,
    config_disables_cache,
    mentions_install,
    pip_call,
    sets_no_cache_by_command,
)
from dockerfix.rules._common import (
    RunUser,
    copied_files,
    flags_end,
    heredoc_files,
    platform_problem,
    remove_run_word,
    run_user,
    run_with,
    stage_chain,
)
from dockerfix.rules._mounts import Fillers, base_problem, cache_id, covering, existing_mounts, rm_paths, within
from dockerfix.rules.base import Example, Finding, Fix, Rule, RuleContext

NO_CACHE_VAR = "PIP_NO_CACHE_DIR"


class _NotAdded(Exception):
    """Leave the RUN without a cache mount, for the reason given."""


class PipCacheMount(Rule):
    """
    ## What it does
    Finds `RUN` instructions that run `pip install`, `pip wheel` or `pip download` without a
    BuildKit cache mount on pip's cache directory, or with a mount that pip would not use.

    ## Why is this bad?
    When the layer is rebuilt (a requirement changed, or an earlier layer did), pip downloads
    and builds every package again. A cache mount keeps pip's HTTP and wheel cache between
    builds without putting it in the image. A mount only helps if pip uses its cache:
    `--no-cache-dir` or a `PIP_NO_CACHE_DIR` variable (with *any* value, `off` and `0`
    included) turn the cache off, and the mount then does nothing.

    ## Example
    ```dockerfile
    FROM python:3.12
    ENV PIP_NO_CACHE_DIR=off
    RUN pip install --no-cache-dir -r requirements.txt
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12
    ENV PIP_NO_CACHE_DIR=off
    RUN --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 env -u PIP_NO_CACHE_DIR pip install -r requirements.txt
    ```

    ## The fix
    - adds `--mount=type=cache,target=<pip's cache dir>` after the existing flags (shell and
      exec form), unless a cache mount already covers that directory (`target`, `dst` or
      `destination`, any option order, trailing slashes ignored);
    - removes `--no-cache-dir` (and an inline `PIP_NO_CACHE_DIR=...`) from the pip commands of
      that `RUN`;
    - when an `ENV` of the stage (or of a known base image) sets `PIP_NO_CACHE_DIR`, runs pip as
      `env -u PIP_NO_CACHE_DIR pip ...` in that `RUN` only. `ENV` and `ARG` are never edited, so
      the image's configuration stays the same;
    - follows `--cache-dir`, `PIP_CACHE_DIR`, `XDG_CACHE_HOME` and `HOME` set in the stage, by a
      known base image or inline;
    - for a non-root `USER` whose numeric uid the Dockerfile or a known base image proves
      (`USER 1001:1001`, `useradd -u 1001 app` then `USER app`, the micromamba image's
      `mambauser`), mounts `/var/cache/pip-<uid>/.cache/pip` with
      `uid=`/`gid=` and points pip at it inline
      (`PIP_CACHE_DIR=/var/cache/pip-1001/.cache/pip pip ...`). The mount is deliberately
      outside the user's home: BuildKit before 0.11 leaves a root-owned directory at every
      mount target, which under `~/.cache` would take the user's own cache directory away at
      run time. The path ends in `.cache/pip` so that hadolint's DL3042 recognises the mount.
    - gives the mount an id made of `pip`, the uid for a non-root user, and the base image
      (`id=pip-python-3.12-slim`): pip's wheel cache holds wheels built on that image, which
      another image (other system libraries) should not reuse.

    ## When it leaves the RUN alone
    A non-root user whose uid is not known; a `USER` or cache path through a variable whose
    value is not known; a pip configuration that the Dockerfile sets up with `no-cache-dir` (a
    `pip.conf` it copies to `/etc/pip.conf` or `/root/.config/pip/`, `pip config set`) or that
    it does not show (`PIP_CONFIG_FILE` pointing elsewhere), or that the base image is known to
    set (NVIDIA's PyTorch images, see `dockerfix explain`); `pip cache purge` or an `rm` of the
    cache in the same `RUN`; an earlier instruction that copies files into pip's cache folder or
    writes there with another command (the mount would hide them; what an earlier pip cached
    there does not matter, as pip works with any cache); a heredoc run by another program than a POSIX shell or `ONBUILD`; a Windows image or a non-POSIX `SHELL`; a
    `# syntax=` pin to a frontend older than 1.2 (which has no `RUN --mount`); shell it cannot
    read. Each is reported with the reason.

    ## Fix safety
    Safe for BuildKit builds (Docker 23+ by default, Docker 20.10+ with `DOCKER_BUILDKIT=1`,
    buildx, Podman/Buildah 4+). The legacy builder rejects `--mount`. The first build after
    the change misses the layer cache for that `RUN` once. hadolint (2.15) accepts a pip cache
    mount in place of `--no-cache-dir` (DL3042).
    """

    code = "DFX201"
    name = "pip-cache-not-mounted"
    summary = "pip runs without a BuildKit cache mount it would use"

    VALID = (
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,dst=/root/.cache/pip/,sharing=locked pip install flask
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN pip --version && pip freeze
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            RUN pip install -r requirements.txt
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 pip install -r requirements.txt
            """,
        ),
        Example(
            """
            FROM python:3.12
            ENV PIP_NO_CACHE_DIR=off
            RUN --network=host python3 -m pip install --no-cache-dir flask
            """,
            """
            FROM python:3.12
            ENV PIP_NO_CACHE_DIR=off
            RUN --network=host --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 env -u PIP_NO_CACHE_DIR python3 -m pip install flask
            """,
        ),
        Example(
            """
            FROM python:3.12
            RUN ["pip", "install", "--no-cache-dir", "flask"]
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 ["pip", "install", "flask"]
            """,
        ),
        Example(
            """
            FROM python:3.12
            RUN useradd -m -u 1001 app
            USER app
            RUN pip install --user flask
            """,
            """
            FROM python:3.12
            RUN useradd -m -u 1001 app
            USER app
            RUN --mount=type=cache,target=/var/cache/pip-1001/.cache/pip,id=pip-1001-python-3.12,uid=1001 PIP_CACHE_DIR=/var/cache/pip-1001/.cache/pip pip install --user flask
            """,
        ),
        Example(
            """
            FROM python:3.12
            USER app
            RUN pip install --user flask
            """,
            None,
            message="numeric uid",
        ),
    )

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        quiet = ctx.suppressions
        sources: list[Instruction] | None = None
        mounted: dict[int, list[str]] = {}  # RUNs that get a mount in this pass
        fillers = Fillers(doc, mounted, own=_is_pip, mentions_tool=mentions_install)
        for stage in doc.stages:
            for inst in stage.instructions:
                if inst.kind == "ONBUILD":
                    if mentions_install(inst.command_text):
                        yield self.finding(
                            inst.start,
                            "pip under ONBUILD is left alone: ONBUILD triggers run in other builds",
                        )
                    continue
                if inst.kind != "RUN":
                    continue
                state = doc.state(inst)
                script = inst.script
                if script.opaque:
                    if mentions_install(inst.command_text):
                        yield self.finding(inst.start, f"this RUN is left alone: cannot read its shell ({script.opaque})")
                    continue
                every = [c for c in (pip_call(cmd) for cmd in script.commands) if c is not None]
                if not any(c.uses_cache for c in every):
                    continue
                if sources is None:
                    sources = _config_sources(doc)
                try:
                    finding = self._check_run(doc, stage, inst, state, script, every, ctx.build, sources, fillers)
                except _NotAdded as why:
                    finding = self.finding(inst.start, f"pip cache mount not added: {why}")
                if finding is not None:
                    if quiet is not None and quiet.suppresses(finding):
                        mounted.pop(inst.index, None)  # a suppressed fix is never applied
                    yield finding

    def _check_run(
        self,
        doc: Document,
        stage: Stage,
        inst: Instruction,
        state: State,
        script: Script,
        every: list[PipCall],
        build: BuildContext | None,
        sources: list[Instruction],
        fillers: Fillers,
    ) -> Finding | None:
        """The fix for one RUN, None when it needs none; raises _NotAdded to leave it alone."""
        problem = platform_problem(doc, stage, state, inst)
        if problem:
            raise _NotAdded(problem)
        for call in every:
            if call.subcommand == "cache" and call.positionals[:1] and call.positionals[0].value in ("purge", "remove"):
                words = " ".join(w.value for w in call.invocation.argv)
                raise _NotAdded(f"this RUN empties pip's cache (`{words}`)")
        user = run_user(state)
        if user.problem:
            raise _NotAdded(user.problem)
        config = base_problem(doc, stage, "pip") or _config_problem(doc, inst, state, build, sources)
        if config:
            raise _NotAdded(config)
        existing = existing_mounts(inst, state)
        editor = InstructionEditor(doc, inst)
        new_mounts: dict[str, dict[str, str | int]] = {}
        notes: list[str] = []
        try:
            for call in (c for c in every if c.uses_cache):
                target, inline = _cache_dir(state, call, user)
                if target is None:
                    raise _NotAdded(inline)
                wiper = _wipes(script, target, state, user)
                if wiper:
                    raise _NotAdded(f"this RUN empties the cache (`{wiper}`)")
                mount = covering(existing, target)
                if mount is not None and mount.type != "cache":
                    raise _NotAdded(f"a {mount.type} mount is already at {target}")
                if mount is None and target not in new_mounts:
                    filler = fillers.first(inst, target)
                    if filler is not None:
                        raise _NotAdded(f"line {filler.line_no} puts files in {target}, which a mount would hide")
                    # one cache per user: a root-owned cache is not writable for another uid
                    name = "pip" if user.root else f"pip-{user.uid}"
                    opts: dict[str, str | int] = {"id": cache_id(doc, stage, name)}
                    if not user.root and user.uid is not None:
                        opts["uid"] = user.uid
                        if user.gid is not None:
                            opts["gid"] = user.gid
                    new_mounts[target] = opts
                notes.extend(_neutralise(editor, inst, state, call, inline))
        except CannotEdit as exc:
            raise _NotAdded(str(exc)) from exc
        if not new_mounts and not editor.changes:
            return None
        if new_mounts:
            text = "".join(" " + cache_mount_flag(t, **o) for t, o in new_mounts.items())
            editor.insert_after(flags_end(inst), text)
            fillers.mounted[inst.index] = list(new_mounts)
        what = (
            f"add a cache mount at {', '.join(new_mounts)}"
            if new_mounts
            else "make pip use the cache mount this RUN already has"
        )
        message = f"pip downloads every package again on each rebuild: {what}"
        if notes:
            message += " (" + "; ".join(dict.fromkeys(notes)) + ")"
        return self.finding(inst.start, message, Fix(what, (editor.edit(),)))


def _is_pip(command: Command) -> bool:
    return pip_call(command) is not None


def _config_sources(doc: Document) -> list[Instruction]:
    """The instructions that may configure pip: RUNs that set no-cache-dir, and every COPY/ADD."""
    out: list[Instruction] = []
    for i in doc.instructions:
        if i.kind in ("COPY", "ADD"):
            out.append(i)
        elif i.kind == "RUN":
            text = i.command_text
            if sets_no_cache_by_command(text):
                out.append(i)
    return out


def _config_problem(
    doc: Document, inst: Instruction, state: State, build: BuildContext | None, sources: list[Instruction]
) -> str | None:
    """Why a pip configuration the Dockerfile sets up may turn pip's cache off, or None."""
    watched = set(CONFIG_PATHS)
    config_file: str | None = None
    if "PIP_CONFIG_FILE" in state.env:
        config_file = state.env["PIP_CONFIG_FILE"]
        if config_file is None:
            return "PIP_CONFIG_FILE is set to a value that is not known"
        watched.add(config_file)
    chain = stage_chain(doc, inst)
    provided: set[str] = set()
    for earlier in sources:
        if earlier.index >= inst.index or earlier.stage not in chain:
            continue
        if earlier.kind == "RUN":
            return f"the RUN at line {earlier.line_no} configures pip with no-cache-dir, which turns the cache off"
        for written, text in heredoc_files(doc, earlier):
            if (written is None or written in watched) and config_disables_cache(text):
                return f"the pip configuration written at line {earlier.line_no} sets no-cache-dir"
            if written is not None:
                provided.add(written)
        for source, target in copied_files(doc, earlier):
            if target not in watched:
                continue
            provided.add(target)
            content = build.read_text(source) if build is not None and earlier.flag("from") is None else None
            if content is None:
                return f"line {earlier.line_no} puts a pip configuration at {target} that cannot be read"
            if config_disables_cache(content):
                return f"the pip configuration copied to {target} at line {earlier.line_no} sets no-cache-dir"
    if config_file and config_file != "/dev/null" and config_file not in provided:
        return f"pip reads its configuration from {config_file} (PIP_CONFIG_FILE), which the Dockerfile does not show"
    return None


def _cache_dir(state: State, call: PipCall, user: RunUser) -> tuple[str | None, str | None]:
    """pip's cache directory for this call, and the inline PIP_CACHE_DIR to add (if any).

    On failure the first item is None and the second says why.
    """
    env = run_env(state, call.invocation)
    sub = State(env=env, workdir=state.workdir)
    given = call.values("cache-dir")
    if given:
        path = sub.expand(given[-1])
        if path is None or not path.startswith("/"):
            return None, f"--cache-dir {given[-1]} is not an absolute path the Dockerfile defines"
        return posixpath.normpath(path), None
    for var, suffix in (("PIP_CACHE_DIR", ""), ("XDG_CACHE_HOME", "pip"), ("HOME", ".cache/pip")):
        if var == "HOME" and not user.root and var not in state.env_line and var not in call.invocation.env:
            continue  # the base image's HOME: a mount there would leave a root-owned stub (below)
        if var in env:
            setting = env[var]
            if setting is None or not setting.startswith("/"):
                return None, f"{var} is set to a value that is not a known absolute path"
            return posixpath.normpath(posixpath.join(setting, suffix)), None
    if user.root:
        return DEFAULT_ROOT_CACHE, None
    # outside the home (no root-owned stub in ~/.cache on older BuildKit), ending in .cache/pip
    # (hadolint's DL3042 looks for that)
    path = f"/var/cache/pip-{user.uid}/.cache/pip"
    return path, path


def _wipes(script: Script, target: str, state: State, user: RunUser) -> str | None:
    home = "/root" if user.root else None
    for cmd in script.commands:
        inv = unwrap(cmd)
        if inv is None or not inv.argv or posixpath.basename(inv.argv[0].value) != "rm":
            continue
        for _, path, _ in rm_paths([w.value for w in inv.argv], state, home):
            if path is not None and (within(path, target) or within(target, path)):
                return " ".join(x.value for x in inv.argv)
    return None


def _neutralise(
    editor: InstructionEditor, inst: Instruction, state: State, call: PipCall, inline: str | None
) -> list[str]:
    """Edit one pip command so that it uses the cache; return notes for the message."""
    notes: list[str] = []
    for w in call.no_cache_words:
        remove_run_word(editor, inst, w)
        notes.append("drops --no-cache-dir, which keeps pip from using the cache")
    for w in call.invocation.command.words:
        if w.value.startswith(NO_CACHE_VAR + "="):
            remove_run_word(editor, inst, w)
            notes.append(f"drops the inline {NO_CACHE_VAR}, which disables pip's cache")
    unset = NO_CACHE_VAR in state.env and NO_CACHE_VAR not in call.invocation.unset
    if unset:
        line = state.env_line.get(NO_CACHE_VAR)
        where = f"the ENV at line {line + 1}" if line is not None else f"the ENV of {state.image_name}"
        notes.append(f"runs pip with {NO_CACHE_VAR} unset: {where} disables pip's cache")
    run_with(
        editor, inst, call.invocation, call.tool,
        unset=[NO_CACHE_VAR] if unset else [],
        assignments=[f"PIP_CACHE_DIR={inline}"] if inline else [],
    )  # fmt: skip
    return notes
