"""DFX101: a whole-context COPY before a pip install that only needs the requirement files."""

from __future__ import annotations

import fnmatch
import json
import shlex
import posixpath
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from dockerfix.context.build_context import BuildContext, FolderContext
from dockerfix.document.effects import (
    NOTHING,
    RUN_READS,
    Effects,
    Paths,
    chown_reads,
    conflict,
    copy_effects,
    instruction_effects,
    plan_order,
)
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.edit import CannotEdit, InstructionEditor
from dockerfix.document.shell import Command, Script, ShellWord
from dockerfix.document.state import State, is_known_dir, unknown_dir
from dockerfix.document.words import Word
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.command_effects import command_effects, run_effects
from dockerfix.ecosystems.projects import ProjectInstall, context_free_tool, project_install, uv_pip_command
from dockerfix.ecosystems.pip import (
    PipCall,
    is_local_reference,
    is_url,
    mentions_install,
    parse_requirements,
    pip_call,
)
from dockerfix.ecosystems.dependencies import declared_dependencies, named_files
from dockerfix.ecosystems import pip_stub
from dockerfix.rules._common import copied_files, insert_run_words, json_separator, remove_run_word, windows_image
from dockerfix.rules.base import Applicability, Example, Finding, Fix, Rule, RuleContext
from dockerfix.edits import Edit

_KEPT_FLAGS = ("chown", "chmod", "link")
_ADD_ONLY_FLAGS = ("checksum", "keep-git-dir", "unpack")
_PLAIN_PATH = re.compile(r"^[A-Za-z0-9._+@%=,:-][A-Za-z0-9._+@%=,:/-]*$")
_WRITE_OPTIONS = ("target", "prefix", "root", "wheel-dir", "dest", "src")
_INSTALLS = ("install", "wheel", "download")


class _Skip(Exception):
    """Leave the COPY where it is, for the reason given."""


class _Missing(_Skip):
    """A file the install reads is not in the build context."""


@dataclass
class _Reads:
    files: set[str] = field(default_factory=set)  # context-relative manifest files
    dirs: set[str] = field(default_factory=set)  # context-relative --find-links directories
    outside: list[str] = field(default_factory=list)  # absolute paths read from outside the copy


class CopyAllBeforeInstall(Rule):
    """
    ## What it does
    Finds a `COPY` (or `ADD`) of the whole build context (`COPY . .`, `COPY . /app`,
    `ADD . $APP_HOME`, with any flags), or a `COPY` of one of its folders (`COPY services/api
    /srv/api`), that comes before a `RUN` in the same stage whose install reads only dependency
    manifests: `pip install -r` (and `uv pip install -r`), `uv sync`, `poetry install`,
    `pipenv install`/`sync`, `pdm install`/`sync`, `conda`/`mamba`/`micromamba` with an
    environment file; or, when there is none, an install of named packages (`pip install flask
    gunicorn`, `uv pip install flask`), which reads nothing from the copy.

    ## Why is this bad?
    Any edit to any file in the context changes the layer of the whole-context copy, and every
    instruction after it is rebuilt: pip downloads and installs every dependency again for a
    one-line code change. If only the files the install reads are copied first, the install
    layer stays cached until a requirement changes.

    ## Example
    ```dockerfile
    WORKDIR /app
    COPY . .
    RUN pip install -r requirements.txt
    ```

    ## Use instead
    ```dockerfile
    WORKDIR /app
    COPY requirements.txt ./
    RUN pip install -r requirements.txt
    COPY . .
    ```

    ## The fix
    At the place of the original copy, a `COPY` of exactly the files the install reads, with the
    original's `--chown`, `--chmod` and `--link`, to the same destination written with a
    trailing slash (files in subdirectories keep their layout: one `COPY` per directory; for a
    folder copy, the files are named inside the folder). The original copy, with the comments
    above it, moves to just below the install; when several installs follow one another (`-r
    requirements.txt`, then `-r requirements-dev.txt`), the files of all of them are copied first
    and the full copy moves below the last. An install of named packages needs no files: the
    copy just moves below it. The files are
    found by following `-r`/`-c`/`--requirement`/`--constraint` recursively (relative to the
    including file), local `--find-links` directories, paths relative to `WORKDIR` or to a `cd`,
    absolute paths and paths through variables the stage sets with `ENV`, for every spelling of
    pip (`pip`, `pip3`, `python -m pip`, a virtualenv's `bin/pip`). A `[ -f requirements.txt ]`
    test in the install is fine when the file it tests is one that is copied first. Files named
    through `PIP_REQUIREMENT`, `PIP_CONSTRAINT` and `PIP_FIND_LINKS` (set by `ENV` or inline) are
    copied too. The build context is the
    Dockerfile's directory unless `--context` says otherwise, and `.dockerignore` (or
    `<Dockerfile>.dockerignore`) is applied with Docker's rules.

    The project tools read fixed files in their folder, copied when they are in the context:
    uv `pyproject.toml`, `uv.lock`, `.python-version`, `uv.toml`; Poetry `pyproject.toml`,
    `poetry.lock`, `poetry.toml`; pipenv `Pipfile`, `Pipfile.lock`; PDM `pyproject.toml`,
    `pdm.lock`, `pdm.toml`, `.pdm-python`; conda the `-f` environment file. A lock file the
    command requires (`uv sync --locked`, `pipenv install --deploy`) must be there.

    ## What may stand between the copy and the install
    The split is planned on what each instruction reads and writes (the effects model, see
    docs/architecture.md). Two instructions may swap when neither writes a path the other reads
    or writes and neither sets build state (USER, WORKDIR, SHELL, a variable) the other uses.
    Every instruction between that does not commute with the full copy moves down with it, in
    its order; everything the install depends on stays above it. So:

    - a `USER` stays where it is (a `COPY` ignores `USER`: ownership comes from `--chown`);
    - a `COPY --from` another stage or image to another path (the uv image's binaries, an
      entrypoint) stays where it is;
    - a read-only step (`flake8 .`, `grep`, `test -f`, `cat`, `ls`) stays after the full copy,
      and the install, with the copy of its requirements, moves above both;
    - a step that changes copied files but not what the install reads (`chmod +x
      entrypoint.sh`) stays after the full copy;
    - a `COPY` that puts a file over one of the full copy (`COPY config/prod.py settings.py`)
      moves down with it and keeps its overlay order;
    - a `COPY` of a requirement file to the place where the full copy puts it (`COPY
      requirements.txt .` after `COPY . .`) provides the file and moves up with the install;
    - `ENV`, `ARG`, `LABEL`, `EXPOSE`, `WORKDIR` and package installs (`apt-get install`) stay
      where they are unless the copy depends on them.

    Commands in the install `RUN` beside the install may stay when they read nothing from the
    copy: `python -c "import click"` is fine when no `click.py`, `click/` or extension module
    of the copy is on the import path (the working folder, `PYTHONPATH`).

    ## When it leaves the COPY alone
    The install needs the sources (`.`, `-e`, local paths inside a requirements file; `uv sync`,
    `poetry install` and `pdm install` that install the project itself, unless it is a virtual
    project, `package-mode = false` or `distribution = false`; local path dependencies in the
    manifest; pip entries of a conda file that read local files), the context holds a `.venv` or
    `__pypackages__` that `.dockerignore` does not exclude (the moved copy would put it over the
    environment the install creates), a
    requirement file is missing from the context or excluded by `.dockerignore`, an
    instruction between the copy and the install must stay after the copy and before the
    install (the message names it and both clashes: a `sed -i requirements.txt`, a lint that
    loads plugins the install brings, a `COPY` of another file over a requirement file, a
    `useradd` that a `--chown` needs, a command whose effects are not known, such as a script
    or `pytest`), a command in the install `RUN` reads or writes the copied files (`python
    manage.py collectstatic`, an import of a module of the copy), the
    install is under `ONBUILD` or in a heredoc, a path depends on a variable whose value is not
    known, the build context is unknown, the image is a Windows image, or the requirement files
    are already copied or bind-mounted before the install (then there is nothing to do). Each
    case is reported.

    ## Fix safety
    Safe: the image ends up with the same files; only the layer boundaries change (the
    requirement files are stored in two layers). Instructions are reordered only where the
    effects model proves that the order of every pair that does not commute is kept.
    """

    code = "DFX101"
    name = "copy-all-before-install"
    summary = "the whole build context is copied before a dependency install"

    VALID = (
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY requirements.txt ./
            RUN pip install -r requirements.txt
            COPY . .
            """,
            files={"requirements.txt": "flask\n"},
        ),
        Example(
            """
            FROM python:3.12
            RUN pip install flask
            COPY . /app
            """,
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install -r requirements.txt
            CMD ["python", "app.py"]
            """,
            """
            FROM python:3.12
            WORKDIR /app
            COPY requirements.txt ./
            RUN pip install -r requirements.txt
            COPY . .
            CMD ["python", "app.py"]
            """,
            files={"requirements.txt": "flask\n"},
        ),
        Example(
            """
            FROM python:3.12
            COPY --chown=app:app . /srv/app
            RUN pip install -r /srv/app/requirements/prod.txt
            """,
            """
            FROM python:3.12
            COPY --chown=app:app requirements/base.txt requirements/prod.txt /srv/app/requirements/
            RUN pip install -r /srv/app/requirements/prod.txt
            COPY --chown=app:app . /srv/app
            """,
            files={"requirements/prod.txt": "-r base.txt\ngunicorn\n", "requirements/base.txt": "flask\n"},
        ),
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install -r requirements.txt
            """,
            None,
            files={"requirements.txt": "-e .\n"},
            message="needs the source",
        ),
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            USER nobody
            RUN chmod +x entrypoint.sh
            RUN pip install --user flask
            """,
            """
            FROM python:3.12
            WORKDIR /app
            USER nobody
            RUN pip install --user flask
            COPY . .
            RUN chmod +x entrypoint.sh
            """,
            files={"entrypoint.sh": "#!/bin/sh\n"},
        ),
    )

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        for stage in doc.stages:
            for k, inst in enumerate(stage.instructions):
                tree = _tree_copy(inst, ctx.build)
                if tree is None and _hash_in_sources(inst):
                    yield self.finding(
                        inst.start,
                        f"{inst.kind} at line {inst.line_no} is left in place: `#` after an instruction is not a "
                        "comment, so this copies files named after the words that follow it",
                    )
                    continue
                if tree is None:
                    if inst.kind == "ONBUILD" and _onbuild_whole_copy(inst):
                        if any(mentions_install(i.args) for i in stage.instructions[k + 1 :] if i.kind == "ONBUILD"):
                            yield self.finding(inst.start, "the copy and the install are under ONBUILD, which is never rewritten")
                    continue
                try:
                    finding = self._split(doc, ctx, stage, k, inst, tree)
                except _Skip as why:
                    reason = str(why)
                    if isinstance(why, _Missing) and ctx.settings.context is None:
                        reason += " (taken to be the Dockerfile's folder; give --context if it is another)"
                    finding = self.finding(inst.start, f"{inst.kind} at line {inst.line_no} is left in place: {reason}")
                if finding is not None:
                    yield finding

    def _split(self, doc: Document, ctx: RuleContext, stage: Stage, k: int, copy: Instruction, tree: _Tree) -> Finding | None:
        dest = tree.dest
        copy_state = doc.state(copy)
        dest_abs = copy_state.resolve(dest.value)
        build = _view(ctx.build, tree)
        run, blocker = _find_install(doc, stage, k, copy, dest_abs, build)
        if run is None:
            return None
        if windows_image(doc, stage):
            raise _Skip("this is a Windows image, which is not rewritten")
        if blocker:
            raise _Skip(blocker)
        if run.heredocs:
            raise _Skip(f"the install at line {run.line_no} is inside a heredoc")
        if dest_abs is None:
            raise _Skip(f"the destination {dest.value} uses a variable whose value is not known")
        for flag in copy.flags:
            if flag.name in ("exclude", "parents"):
                raise _Skip(f"--{flag.name} is not supported by the split")
            if flag.name not in _KEPT_FLAGS + _ADD_ONLY_FLAGS:
                raise _Skip(f"unknown flag --{flag.name}")
        if build is None:
            raise _Skip("the build context is unknown (give --context)")
        reads = _install_reads(doc, copy, run, dest_abs, build)
        ad_hoc = not (reads.files or reads.dirs or reads.outside)
        bound = _bind_targets(run, doc.state(run))
        for path in sorted(reads.outside):
            if path in bound:
                raise _Skip(f"{path} is bind-mounted into the install at line {run.line_no}: nothing to do")
        if reads.outside and not reads.files and not reads.dirs:
            raise _Skip(
                f"the install at line {run.line_no} reads {', '.join(reads.outside)}, which this COPY "
                "does not provide: the requirement files are already copied first, nothing to do"
            )
        if ad_hoc and not _installs_by_name(run):
            raise _Skip(f"the install at line {run.line_no} reads no requirement file from the build context")
        for rel in sorted(reads.files):
            if posixpath.normpath(posixpath.join(dest_abs, rel)) in bound:
                raise _Skip(f"{rel} is bind-mounted into the install: nothing to do")
        installs = _installs(doc, stage, k, copy, tree, dest_abs, build, run, reads)
        earlier = _copied_earlier(doc, stage, k, dest_abs, reads.files)
        if earlier:
            raise _Skip(f"{earlier[0]} is already copied at line {earlier[1]}: nothing to do")
        plan = _plan_moves(doc, stage, k, copy, tree, installs, reads, dest_abs, build)
        if plan.clash is not None:
            raise _Skip(plan.clash)
        last = installs[-1]
        lines = _manifest_copies(doc, copy, tree, plan.manifests) if plan.manifests.files or plan.manifests.dirs else []
        before = copy.comment_start
        moved = list(doc.lines[before : copy.end])
        if before > 0 and not doc.lines[before - 1].strip():
            moved.insert(0, "")
        edits = [Edit(before, copy.end, tuple(lines))]
        for inst in plan.after:
            start = _unit_start(doc, stage, inst)
            edits.append(Edit(start, inst.end, ()))
            moved += ([""] if start < inst.comment_start else []) + list(doc.lines[inst.comment_start : inst.end])
        edits.append(Edit(last.end, last.end, tuple(moved)))
        fix = Fix("copy the requirement files first and the rest after the install", tuple(edits))
        what = "the whole context" if tree.source == "." else f"the folder {tree.source}"
        where = f"line {run.line_no}" if last is run else f"lines {run.line_no}-{last.line_no}"
        also = ""
        if plan.after:
            also = " (with " + ", ".join(f"the {i.kind} at line {i.line_no}" for i in plan.after) + ", which must stay after it)"
        if ad_hoc and not lines:
            return self.finding(
                copy.start,
                f"{copy.kind} at line {copy.line_no} copies {what} before the install at {where}, which reads "
                f"nothing from it, so any code change reinstalls the packages: move the copy after the install{also}",
                fix,
            )
        files = ", ".join(sorted(plan.manifests.files | {d + "/" for d in plan.manifests.dirs})) or "nothing"
        first = f"copy {files} first and the rest after the install" if lines else "move the copy after the install"
        return self.finding(
            copy.start,
            f"{copy.kind} at line {copy.line_no} copies {what} before the install at {where}, "
            f"so any code change reinstalls every dependency: {first}{also}",
            fix,
        )


def _installs(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    tree: _Tree,
    dest_abs: str,
    build: BuildContext,
    run: Instruction,
    reads: _Reads,
) -> list[Instruction]:
    """The installs that go before the full copy: ``run`` and those after it that can go too
    (adding what they read to ``reads``): `pip install -r requirements.txt` then
    `pip install -r requirements-dev.txt`."""
    installs = [run]
    if not (reads.files or reads.dirs):
        return installs  # an install of named packages moves alone
    while True:
        nxt, blocker = _search_install(doc, stage, stage.instructions.index(installs[-1]), installs[-1], dest_abs, build)
        if nxt is None or blocker or nxt.kind != "RUN" or nxt.heredocs:
            return installs
        try:
            more = _install_reads(doc, copy, nxt, dest_abs, build)
        except _Skip:
            return installs
        if not (more.files or more.dirs):
            return installs
        merged = _Reads(reads.files | more.files, reads.dirs | more.dirs, reads.outside + more.outside)
        if _plan_moves(doc, stage, k, copy, tree, installs + [nxt], merged, dest_abs, build).clash is not None:
            return installs
        reads.files, reads.dirs, reads.outside = merged.files, merged.dirs, merged.outside
        installs.append(nxt)


@dataclass(frozen=True)
class _Tree:
    """A COPY/ADD of a folder of the build context (`.` for all of it) to a destination."""

    source: str  # context-relative and normalised; "." for the whole context
    dest: Word


def _context_copy_words(inst: Instruction) -> list[Word] | None:
    """The words of a COPY/ADD from the build context."""
    if inst.kind not in ("COPY", "ADD") or inst.heredocs or inst.flag("from") is not None:
        return None
    return inst.words or None


def _tree_copy(inst: Instruction, build: BuildContext | None) -> _Tree | None:
    """The copy of the whole context or of one of its folders that ``inst`` makes, if it does."""
    words = _context_copy_words(inst)
    if words is None or len(words) != 2:
        return None
    source = words[0].value
    if source in (".", "./"):
        return _Tree(".", words[1])
    if build is None or not _PLAIN_PATH.match(source.lstrip("/")):
        return None
    folder = posixpath.normpath(source.lstrip("/"))
    if folder.startswith("..") or not build.is_dir(folder) or build.is_ignored(folder):
        return None
    return _Tree(folder, words[1])


def _whole_context_dest(inst: Instruction) -> Word | None:
    words = _context_copy_words(inst)
    return words[1] if words is not None and len(words) == 2 and words[0].value in (".", "./") else None


def _view(build: BuildContext | None, tree: _Tree) -> BuildContext | None:
    """The build context as the copy's destination holds it."""
    if build is None or tree.source == ".":
        return build
    return FolderContext(build, tree.source)


def _hash_in_sources(inst: Instruction) -> bool:
    """`COPY . . # comment`: the `#` words are sources, not a comment."""
    words = _context_copy_words(inst)
    return (
        words is not None and len(words) > 2 and words[0].value in (".", "./")
        and any(w.raw.startswith("#") for w in words[1:])
    )  # fmt: skip


def _onbuild_whole_copy(inst: Instruction) -> bool:
    words = inst.words
    return (
        len(words) == 3 and words[0].value.upper() in ("COPY", "ADD") and words[1].value in (".", "./")
    )


InTree = Callable[[str], "bool | None"]


def _in_tree(state: State, cwd: str, dest_abs: str | None, build: BuildContext | None) -> InTree:
    """A predicate: does a path (as a command in the RUN sees it) touch what the full copy
    brings in? None when that cannot be told."""

    def in_tree(value: str) -> bool | None:
        if dest_abs is None or build is None:
            return None
        path = state.resolve(_glob_prefix(value), cwd)
        if path is None:
            return None
        if path == dest_abs or dest_abs.startswith(path.rstrip("/") + "/"):
            return True
        rel = _relative(path, dest_abs)
        if rel is not None:
            return _context_has(build, rel)
        if is_known_dir(path):
            if is_known_dir(dest_abs):
                return False
            # the destination is the base image's WORKDIR: any tail of the path may be in the tree
            parts = path.strip("/").split("/")
            return any(_context_has(build, "/".join(parts[i:])) for i in range(len(parts)))
        return None

    return in_tree


def _glob_prefix(value: str) -> str:
    parts = value.split("/")
    for i, part in enumerate(parts):
        if any(c in part for c in "*?["):
            return "/".join(parts[:i]) or ("/" if value.startswith("/") else ".")
    return value


def _context_has(build: BuildContext, rel: str) -> bool:
    if rel == ".":
        return True
    return (build.is_file(rel) or build.is_dir(rel)) and not build.is_ignored(rel)


def _find_install(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    dest_abs: str | None,
    build: BuildContext | None,
) -> tuple[Instruction | None, str | None]:
    """The install after the copy, and why it cannot be rewritten at all (see _search_install);
    DFX101 and DFX102 ask the same question of the same document."""
    return doc.memo(("install after", copy.index, k), lambda: _search_install(doc, stage, k, copy, dest_abs, build))


def _search_install(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    dest_abs: str | None,
    build: BuildContext | None,
) -> tuple[Instruction | None, str | None]:
    """The first RUN after the copy that installs from requirement files or a project's
    manifests; failing that, the first that installs packages by name. With a reason when it
    is one that is never rewritten (under ONBUILD)."""
    by_name: Instruction | None = None
    for inst in stage.instructions[k + 1 :]:
        if inst.kind == "RUN":
            script = inst.script
            if inst.heredocs:
                if mentions_install("\n".join(doc.lines[inst.start : inst.end])):
                    return inst, None
                continue
            if script.opaque:
                continue
            state = doc.state(inst)
            calls = [_pip(c) for c in script.commands]
            if any(c is not None and c.subcommand in _INSTALLS and _reads_files(c, state) for c in calls):
                return inst, None
            if any(project_install(c, _nothing) is not None for c in script.commands):
                return inst, None
            if by_name is None and any(c is not None and c.subcommand == "install" for c in calls):
                by_name = inst
        elif inst.kind == "ONBUILD" and mentions_install(inst.args):
            return inst, f"the install at line {inst.line_no} is under ONBUILD"
    return by_name, None


def _installs_by_name(run: Instruction) -> bool:
    """Whether the RUN installs packages by name with pip (or uv's pip interface)."""
    return any(
        (call := _pip(c)) is not None and call.subcommand == "install" and call.positionals for c in run.script.commands
    )


def _reads_files(call: PipCall, state: State) -> bool:
    """Whether a pip command may read files (requirement files, local paths, a local
    --find-links folder, or any of them named through PIP_* variables)."""
    if call.values("requirement") or call.values("constraint") or call.values("editable"):
        return True
    if any(not is_url(v) for v in call.values("find-links")):
        return True
    env = {**state.env, **call.invocation.env}
    if any(var in env and var not in call.invocation.unset for var in _PIP_ENV_READS):
        return True
    return any(is_local_reference(w.value) or w.expands for w in call.positionals)


def _pip_option_reads(
    call: PipCall, state: State, cwd: str, in_tree: InTree, dest_abs: str,
    build: BuildContext, reads: _Reads,
) -> State:  # fmt: skip
    """Add what a pip install reads besides its positional arguments (requirement files, local
    --find-links folders, also through PIP_* variables) to ``reads``; stop where it reads or
    writes the copied tree in a way a split cannot keep. Returns the state the call runs in."""
    env = run_env(state, call.invocation)
    sub = State(env=env, workdir=cwd)
    requirements = call.values("requirement") + call.values("constraint")
    links = call.values("find-links")
    for var, bucket in _PIP_ENV_FILES:
        if var in env:
            setting = env[var]
            if setting is None:
                raise _Skip(f"{var} is set to a value that is not known")
            (links if bucket == "find-links" else requirements).extend(setting.split())
    if "PIP_EDITABLE" in env:
        raise _Skip("PIP_EDITABLE is set, so the install needs the source")
    config = env.get("PIP_CONFIG_FILE", "/dev/null")
    if config is None or in_tree(config) is not False:
        raise _Skip(f"pip reads its configuration from {config}, which may come from the copy")
    for name in _WRITE_OPTIONS:
        for value in call.values(name):
            if in_tree(value) is not False:
                raise _Skip(f"pip --{name} {value} writes where the full copy lands")
    for value, what in [(v, "requirement") for v in requirements] + [(v, "--find-links") for v in links]:
        if is_url(value):
            continue
        path = sub.resolve(value)
        if path is None:
            raise _Skip(f"the {what} path {value} uses a variable whose value is not known")
        if what == "requirement":
            _add_file(reads, path, dest_abs, build, set())
        else:
            _add_dir(reads, path, dest_abs, build)
    return sub


def _install_reads(doc: Document, copy: Instruction, run: Instruction, dest_abs: str, build: BuildContext) -> _Reads:
    """What the install RUN reads from the copied tree (to be copied first); stops where it, or
    another command of the RUN, reads or writes the rest of the tree."""
    state = doc.state(run)
    script = run.script
    reads = _Reads()
    probes: list[tuple[str, str]] = []  # (file a test command looks at, the command)
    checks: list[tuple[Command, str]] = []  # commands whose effects must stay clear of the tree
    cwd = state.workdir
    for cmd in script.commands:
        if cmd.name == "cd" and len(cmd.argv) == 2:
            cwd = state.resolve(cmd.argv[1].value, cwd) or unknown_dir()
            continue
        call = _pip(cmd)
        in_tree = _in_tree(state, cwd, dest_abs, build)
        if context_free_tool(cmd):
            continue
        project = project_install(cmd, _reader(state, cwd, dest_abs, build))
        if project is not None:
            _add_project(reads, project, state, cwd, dest_abs, build, run)
            continue
        if call is None and cmd.name in _TESTS and not cmd.redirects:
            probes.extend(_test_operands(cmd, state, cwd, dest_abs, run))
            continue
        checks.append((cmd, cwd))
        if call is None or call.subcommand not in _INSTALLS:
            continue
        sub = _pip_option_reads(call, state, cwd, in_tree, dest_abs, build, reads)
        for value in call.values("editable"):
            raise _Skip(f"the install uses -e {value}, which needs the source")
        for w in call.positionals:
            if w.expands and sub.expand(w.value) is None:
                raise _Skip(f"the install argument {w.value} uses a variable whose value is not known")
            if is_local_reference(sub.expand(w.value) or w.value):
                raise _Skip(f"the install reads the local path {w.value}, which needs the source")
    for rel, text in probes:
        # `[ -f requirements.txt ]` gives the same answer after the split only if the file
        # is copied first, or is not in the context at all
        if rel not in reads.files and _context_has(build, rel):
            raise _Skip(f"`{text}` in the install RUN looks at {rel}, which would not be copied yet")
    tree = _tree_effects(doc, copy, dest_abs, build, reads.files, creates_dest=False)
    full = _tree_effects(doc, copy, dest_abs, build, set(), creates_dest=False)
    for cmd, where in checks:
        # the requirement files are copied first: what else the command reads must not come
        # from the copy (a smoke test's `python -c "import app"` with app/ in the tree)
        effects = command_effects(cmd, state, where, NOTHING)
        text = " ".join(w.value for w in cmd.argv)
        if effects.unknown:
            raise _Skip(f"in the install RUN at line {run.line_no}, {effects.unknown}")
        hit = effects.reads.meets(tree.writes) or effects.writes.meets(full.writes)
        if hit is not None:
            raise _Skip(f"in the install RUN at line {run.line_no}, `{text}` reads or writes {hit}, which the copy brings in")
    return reads


def _tree_effects(
    doc: Document, copy: Instruction, dest_abs: str, build: BuildContext, manifests: set[str], creates_dest: bool
) -> Effects:
    """What the full copy does once it has moved below the install: it writes what the copied
    folder holds (less the manifests, which the copy at its old place brought in with the same
    content), and creates the destination if nothing else has."""
    key = ("tree effects", copy.index, dest_abs, frozenset(manifests), creates_dest)
    return doc.memo(key, lambda: _compute_tree_effects(doc, copy, dest_abs, build, manifests, creates_dest))


def _compute_tree_effects(
    doc: Document, copy: Instruction, dest_abs: str, build: BuildContext, manifests: set[str], creates_dest: bool
) -> Effects:
    own = copy_effects(doc, copy)
    entries = doc.memo(("tree entries", copy.index), lambda: _tree_entries(build))
    written = [posixpath.join(dest_abs, e) for e in entries if not (e in manifests and build.is_file(e))]
    return Effects(
        reads=chown_reads(copy), writes=Paths.of(*written), dirs=(dest_abs,) if creates_dest else (), uses=own.uses
    )


def _tree_entries(build: BuildContext) -> list[str]:
    """What the copied folder holds at its top (a folder that .dockerignore excludes may still
    have files it lets in)."""
    return [e for e in build.entries(".") or [] if not build.is_ignored(e) or build.is_dir(e)]


def _pip(command: Command) -> PipCall | None:
    """pip, or uv's pip interface, which reads requirement files the same way."""
    mirrored = uv_pip_command(command)
    return pip_call(mirrored if mirrored is not None else command)


def _nothing(_: str) -> str | None:
    return None


def _reader(state: State, cwd: str, dest_abs: str, build: BuildContext) -> Callable[[str], str | None]:
    """Reads a file named relative to the install's folder from the build context, if the full
    copy brings it in."""

    def read(name: str) -> str | None:
        path = state.resolve(name, cwd)
        rel = _relative(path, dest_abs) if path is not None else None
        return build.read_text(rel) if rel is not None and not build.is_ignored(rel) else None

    return read


# written by project installs into their folder; from the context, the moved copy would replace them
_ENVIRONMENTS = (".venv", "__pypackages__")


def _check_environments(project: ProjectInstall, cwd: str, dest_abs: str, build: BuildContext) -> None:
    """Stop where the context holds an environment the moved copy would put over the one the
    install creates in its folder."""
    here = _relative(cwd, dest_abs)
    for name in _ENVIRONMENTS:
        rel = posixpath.normpath(posixpath.join(here, name)) if here is not None else None
        if rel is not None and _context_has(build, rel):
            raise _Skip(
                f"the build context has {rel}, which the full copy would put over the environment "
                f"`{project.text}` creates: add {name} to .dockerignore"
            )


def _add_project(
    reads: _Reads, project: ProjectInstall, state: State, cwd: str, dest_abs: str, build: BuildContext, run: Instruction
) -> None:
    if project.problem:
        raise _Skip(project.problem)
    if project.source:
        raise _Skip(f"{project.source}, which needs the source")
    _check_environments(project, cwd, dest_abs, build)
    for name in project.files + project.optional:
        path = state.resolve(name, cwd)
        if path is None:
            raise _Skip(f"the path {name} uses a variable whose value is not known")
        rel = _relative(path, dest_abs)
        if rel is None:
            if name in project.files:
                reads.outside.append(path)
            continue
        if name in project.optional and not _context_has(build, rel):
            continue
        _check_context(build, rel, "file")
        reads.files.add(rel)


# pip reads any option from PIP_<OPTION>; these name files the install reads
_PIP_ENV_FILES = (("PIP_REQUIREMENT", "requirement"), ("PIP_CONSTRAINT", "constraint"), ("PIP_FIND_LINKS", "find-links"))
_PIP_ENV_READS = tuple(var for var, _ in _PIP_ENV_FILES) + ("PIP_EDITABLE", "PIP_CONFIG_FILE")
_TESTS = frozenset({"[", "test"})
_TEST_OPERATORS = frozenset({"]", "!", "=", "!=", "-a", "-o"})


def _test_operands(
    cmd: Command, state: State, cwd: str, dest_abs: str, run: Instruction
) -> list[tuple[str, str]]:
    """The files in the copied tree that a `[ ... ]` or `test ...` looks at."""
    text = " ".join(w.value for w in cmd.argv)
    out: list[tuple[str, str]] = []
    for w in cmd.argv[1:]:
        if w.value in _TEST_OPERATORS or (w.value.startswith("-") and len(w.value) == 2):
            continue
        path = state.resolve(w.value, cwd)
        if path is None:
            raise _Skip(f"`{text}` in the install RUN at line {run.line_no} uses a variable whose value is not known")
        rel = _relative(path, dest_abs)
        if rel is not None:
            out.append((rel, text))
    return out


def _relative(path: str, dest_abs: str) -> str | None:
    base = dest_abs.rstrip("/")
    if path == dest_abs:
        return "."
    if path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return None


def _check_context(build: BuildContext, rel: str, what: str) -> None:
    exists = build.is_file(rel) if what == "file" else build.is_dir(rel)
    if not exists:
        raise _Missing(f"{rel} is missing from the build context")
    if build.is_ignored(rel):
        raise _Skip(f"{rel} is excluded by .dockerignore, so the copy would fail")


def _add_file(reads: _Reads, path: str, dest_abs: str, build: BuildContext, seen: set[str]) -> None:
    rel = _relative(path, dest_abs)
    if rel is None:
        if is_known_dir(path) or not is_known_dir(dest_abs):
            if not is_known_dir(dest_abs) and is_known_dir(path):
                raise _Skip(f"cannot tell whether {path} comes from the copy (the base image's WORKDIR is not known)")
            reads.outside.append(path)
            return
        raise _Skip(f"cannot tell where {path} comes from")
    if rel in seen:
        return
    seen.add(rel)
    _check_context(build, rel, "file")
    text = build.read_text(rel)
    if text is None:
        raise _Skip(f"cannot read {rel}")
    parsed = parse_requirements(text)
    if parsed.local:
        raise _Skip(f"{rel} installs {parsed.local[0]!r}, which needs the source")
    if parsed.variables:
        raise _Skip(f"{rel} uses an environment variable ({parsed.variables[0]!r})")
    reads.files.add(rel)
    here = posixpath.dirname(path)
    for _kind, inc in parsed.includes:
        if is_url(inc):
            continue
        _add_file(reads, posixpath.normpath(posixpath.join(here, inc)), dest_abs, build, seen)
    for link in parsed.find_links:
        if is_url(link):
            continue
        beside = posixpath.normpath(posixpath.join(here, link))
        rel_beside = _relative(beside, dest_abs)
        if rel_beside is not None and build.is_dir(rel_beside):
            _add_dir(reads, beside, dest_abs, build)
        else:
            raise _Skip(f"{rel} uses --find-links {link}, which is not a directory beside it")


def _add_dir(reads: _Reads, path: str, dest_abs: str, build: BuildContext) -> None:
    rel = _relative(path, dest_abs)
    if rel is None:
        reads.outside.append(path)
        return
    if rel == ".":
        raise _Skip("--find-links points at the whole copied tree")
    _check_context(build, rel, "dir")
    reads.dirs.add(rel)


def _bind_targets(run: Instruction, state: State) -> set[str]:
    out: set[str] = set()
    for m in mounts(run):
        if m.type == "bind":
            target = m.target_path(state.workdir)
            if target:
                out.add(target)
    return out


def _copied_earlier(doc: Document, stage: Stage, k: int, dest_abs: str, files: set[str]) -> tuple[str, int] | None:
    """A requirement file that an earlier COPY of the stage already puts where the install reads it."""
    wanted = {posixpath.normpath(posixpath.join(dest_abs, rel)): rel for rel in files}
    for inst in stage.instructions[:k]:
        if inst.kind not in ("COPY", "ADD") or inst.flag("from") is not None:
            continue
        for _source, target in copied_files(doc, inst):
            for path, rel in sorted(wanted.items()):
                if fnmatch.fnmatchcase(path, target):
                    return rel, inst.line_no
    return None


def _manifest_copies(doc: Document, copy: Instruction, tree: _Tree, reads: _Reads) -> list[str]:
    dest = tree.dest
    source = "" if tree.source == "." else tree.source.rstrip("/") + "/"
    if copy.exec_form is not None:
        raise _Skip("the JSON form of COPY is not rewritten")
    for rel in reads.files | reads.dirs:
        if not _PLAIN_PATH.match(rel):
            raise _Skip(f"{rel!r} would need quoting in a COPY")
    keyword = copy.keyword if copy.kind == "COPY" else _same_case("COPY", copy.keyword)
    flags = "".join(f.raw + " " for f in copy.flags if f.name in _KEPT_FLAGS)
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


@dataclass
class _Plan:
    manifests: _Reads  # what the copy at the old place brings in
    after: list[Instruction] = field(default_factory=list)  # instructions that move down with the copy
    clash: str | None = None


def _plan_moves(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    tree: _Tree,
    installs: list[Instruction],
    reads: _Reads,
    dest_abs: str,
    build: BuildContext,
) -> _Plan:
    """Plan the split on the instructions' effects: the full copy moves below the installs, and
    every instruction between that does not commute with it moves down with it; the installs,
    and everything they depend on, stay above. A requirement file that a COPY between puts where
    the full copy would (same file, same flags) comes from that COPY, not from a new one."""
    region = list(stage.instructions[k : stage.instructions.index(installs[-1]) + 1])
    overlays = {i for i, inst in enumerate(region) if i and _same_files(doc, copy, inst, tree, dest_abs)}
    first_install = region.index(installs[0])
    provided = {
        rel for rel in reads.files for i in overlays
        if i < first_install and _writes_file(doc, region[i], posixpath.join(dest_abs, rel))
    }  # fmt: skip
    manifests = _Reads(reads.files - provided, set(reads.dirs), list(reads.outside))
    existing = _existing_dirs(doc, stage, k, dest_abs)
    if manifests.files or manifests.dirs:
        existing |= {dest_abs}
    creates = dest_abs not in existing
    # readers see the requirement files as the copy at the old place left them; a writer of one
    # would have its change undone by the moved copy
    tree_effects = _tree_effects(doc, copy, dest_abs, build, set(), creates_dest=creates)
    readable = _tree_effects(doc, copy, dest_abs, build, reads.files, creates_dest=creates)
    known = Paths.of(
        *(posixpath.join(dest_abs, f) for f in reads.files), *(posixpath.join(dest_abs, d) for d in reads.dirs), *reads.outside
    )
    effects: list[Effects] = []
    for inst in region:
        if inst is copy:
            effects.append(tree_effects)
        elif inst in installs:
            effects.append(run_effects(inst, doc.state(inst), known) | Effects(reads=RUN_READS))
        else:
            effects.append(instruction_effects(doc, inst, run_effects, build.build if isinstance(build, FolderContext) else build))
    frozen = frozenset(existing)
    positions = {region.index(i) for i in installs}

    def clash(i: int, j: int) -> str | None:
        if (i == 0 and j in overlays) or (j == 0 and i in overlays):
            return None  # it writes the same files as the full copy does
        if (i == 0 and j in positions) or (j == 0 and i in positions):
            return None  # what the install reads of the copy is copied first (_install_reads)
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
        return _Plan(manifests, clash=order.clash)
    return _Plan(manifests, [region[i] for i in order.after])


def _same_files(doc: Document, copy: Instruction, inst: Instruction, tree: _Tree, dest_abs: str) -> bool:
    """Whether a COPY puts only files of the copied folder where the full copy puts them, with
    the same ownership and mode: then it commutes with the full copy."""
    if inst.kind != "COPY" or inst.heredocs or inst.flag("from") is not None or inst.exec_form is not None:
        return False
    if any(f.name not in _KEPT_FLAGS for f in inst.flags):
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


def _writes_file(doc: Document, inst: Instruction, path: str) -> bool:
    return any(t == path for _, t in copied_files(doc, inst))


def _existing_dirs(doc: Document, stage: Stage, k: int, dest_abs: str) -> set[str]:
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
    parent = posixpath.dirname(dest_abs)
    while parent not in out and parent != "/":
        # the destination's parents are there once a copy has been made to it
        out.add(parent)
        parent = posixpath.dirname(parent)
    return out


def _unit_start(doc: Document, stage: Stage, inst: Instruction) -> int:
    """The first line of what moves with an instruction: its comments, and the blank lines
    before them (down to the end of the instruction before)."""
    k = stage.instructions.index(inst)
    floor = stage.instructions[k - 1].end if k > 0 else stage.from_.end
    start = inst.comment_start
    while start > floor and not doc.lines[start - 1].strip():
        start -= 1
    return start


def _same_case(word: str, like: str) -> str:
    if like.isupper():
        return word.upper()
    if like.islower():
        return word.lower()
    return word.capitalize()


def _needs_source(cmd: Command, read: Callable[[str], str | None]) -> bool:
    """Whether the command installs the project from its source (a local path for pip)."""
    project = project_install(cmd, read)
    if project is not None:
        return project.source is not None
    call = _pip(cmd)
    if call is None or call.subcommand != "install":
        return False
    return bool(call.values("editable")) or any(is_local_reference(w.value) for w in call.positionals)


def _check_named_files(read: Callable[[str], str | None], cwd: str, dest_abs: str, build: BuildContext) -> None:
    """Stop where pyproject.toml names a readme or license file that the copy does not bring in:
    installing the project fails then, before or after any rewrite."""
    text = read("pyproject.toml")
    for key, name in named_files(text) if text is not None else []:
        rel = _relative(posixpath.normpath(posixpath.join(cwd, name)), dest_abs)
        if rel is None or _context_has(build, rel):
            continue
        where = "is excluded by .dockerignore" if build.is_file(rel) else "is not in the build context"
        raise _Skip(
            f"pyproject.toml names {name} ({key}), which {where}, so installing the project fails "
            "with or without this fix"
        )


# commands that may run a second time in the dependencies-only RUN without harm
_REPEATABLE = frozenset({"set", ":", "true", "echo", "export"})


class DependenciesFirst(Rule):
    """
    ## What it does
    Finds a whole-context `COPY` before an install that needs the project's source: `pip install
    .` (or `-e .`, `.[extra]`), `poetry install` with the root package, `uv sync` that installs
    the project, `pdm install` with the project itself. DFX101 cannot split those.

    ## Why is this bad?
    Every code edit re-runs the install, which downloads and installs every dependency again,
    although only the project itself changed.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY . .
    RUN poetry install
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    WORKDIR /app
    COPY poetry.lock pyproject.toml ./
    RUN poetry install --no-root
    COPY . .
    RUN poetry install
    ```

    ## The fix
    Before the full copy, it copies the manifests the tool reads and installs only the
    dependencies: `poetry install --no-root`, `uv sync --no-install-project`, `pdm install
    --no-self`, or, for pip, an install of the dependencies the project declares statically
    (the `[project]` table of pyproject.toml, `install_requires` in setup.cfg, or a literal
    `install_requires` in setup.py, read with libcst without running it; a requirements file that
    setup.py opens is copied and read at build time; a local `--find-links` folder is copied
    too). The dependencies-only `RUN` is the original `RUN` with that one change (for pip, the
    stub's commands around the install), flags included. Then the full copy and the original install
    follow, unchanged, so the image still contains the project, installed as before.

    pip marks the packages it installs on request (a `REQUESTED` file in the `.dist-info`),
    and not the ones it installs for another package. So that the dependencies are marked as
    the project's own install marks them, pip installs them through a stub: a one-line Python
    script writes a wheel, `dockerfix-deps`, that only requires them; pip installs it, then
    uninstalls it, and the wheel file is removed. Nothing of the stub stays in the image. uv
    marks every package it installs as requested, so `uv pip install .` gets the dependencies
    by name.

    ## When it leaves the COPY alone
    Dependencies that cannot be read statically (`dynamic`, computed in setup.py), local path
    dependencies, an install with `--no-deps`, other commands in the `RUN` that should not run
    twice, a `cd` in the `RUN`, a readme or license file that pyproject.toml names and the
    copy does not bring in (installing the project fails then, with or without the fix), and
    everything that stops DFX101. For pip also: an exec-form
    `RUN` (the stub needs a shell), `--target`, `--prefix` or `--root` (where `pip uninstall`
    cannot remove the stub), `--require-hashes`, and a pip install in a pipeline or after `||`.
    `pipenv install -e .` too: pipenv has no dependencies-only mode, and installing the Pipfile
    first, then the project, would lock twice, with the versions of the first step open to
    change in the second.

    For uv, Poetry and PDM, a `.venv` or `__pypackages__` in the context stops it, as it stops
    DFX101. A stale `*.egg-info` does not: no dependencies-only install writes one into the
    project's folder, and the full copy brings it in before the same install in both versions,
    which writes it again.

    ## Fix safety
    Unsafe (applied with `--unsafe-fixes`, shown otherwise): it adds an install step and relies
    on the tool installing the same dependencies in both steps. For pip, the dependency list is
    written into the Dockerfile, so it must be kept in step with the project's metadata (a stale
    list only costs cache hits: the final install still installs what the project declares).
    Poetry 1.7 exits 0 when the root package fails to install; check the build log once.
    `dockerfix verify` builds both versions and compares their files.
    """

    code = "DFX102"
    name = "install-needs-source"
    summary = "an install that needs the source reinstalls every dependency on each code change"

    VALID = (
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY poetry.lock pyproject.toml ./
            RUN poetry install --no-root
            COPY . .
            RUN poetry install
            """,
            files={"pyproject.toml": "[tool.poetry]\nname = 'a'\n", "poetry.lock": ""},
        ),
        Example(
            """
            FROM python:3.12
            COPY . /app
            RUN pip install flask
            """,
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install --no-cache-dir .
            """,
            f"""
            FROM python:3.12
            WORKDIR /app
            RUN {pip_stub.write_command("python3", ["flask==3.0.3", "'gunicorn>=22'"])} \\
                && pip install --no-cache-dir {pip_stub.WHEEL} \\
                && pip uninstall -y {pip_stub.NAME} && rm -f {pip_stub.WHEEL}
            COPY . .
            RUN pip install --no-cache-dir .
            """,
            files={"pyproject.toml": "[project]\nname = 'a'\nversion = '1'\ndependencies = ['flask==3.0.3', 'gunicorn>=22']\n"},
        ),
        Example(
            """
            FROM python:3.12
            WORKDIR /app
            COPY . .
            RUN pip install .
            """,
            None,
            files={"pyproject.toml": "[project]\nname = 'a'\ndynamic = ['dependencies', 'version']\n"},
            message="dynamic",
        ),
    )

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        if ctx.build is None:
            return
        for stage in doc.stages:
            if windows_image(doc, stage):
                continue
            for k, copy in enumerate(stage.instructions):
                dest = _whole_context_dest(copy)
                if dest is None:
                    continue
                dest_abs = doc.state(copy).resolve(dest.value)
                run, blocker = _find_install(doc, stage, k, copy, dest_abs, ctx.build)
                if run is None or blocker or run.heredocs or dest_abs is None or run.script.opaque:
                    continue
                if any(f.name not in _KEPT_FLAGS + _ADD_ONLY_FLAGS for f in copy.flags):
                    continue
                try:
                    finding = self._plan(doc, stage, k, copy, dest, dest_abs, run, ctx.build)
                except (_Skip, CannotEdit) as why:
                    finding = self.finding(
                        copy.start, f"{copy.kind} at line {copy.line_no}: dependencies cannot be installed first: {why}"
                    )
                if finding is not None:
                    yield finding

    def _plan(
        self, doc: Document, stage: Stage, k: int, copy: Instruction, dest: Word, dest_abs: str,
        run: Instruction, build: BuildContext,
    ) -> Finding | None:  # fmt: skip
        state = doc.state(run)
        cwd = state.workdir
        read = _reader(state, cwd, dest_abs, build)
        if not any(_needs_source(cmd, read) for cmd in run.script.commands):
            return None  # DFX101's case, or nothing to do
        _check_named_files(read, cwd, dest_abs, build)
        editor = InstructionEditor(doc, run)
        reads = _Reads()
        what: str | None = None
        for cmd in run.script.commands:
            if cmd.name == "cd":
                raise _Skip(f"the install RUN at line {run.line_no} changes directory")
            project = project_install(cmd, read)
            if project is not None:
                if project.problem:
                    raise _Skip(project.problem)
                if not project.source:
                    return None  # DFX101's case
                if not project.deps_only or what is not None:
                    raise _Skip(f"{project.source}, and it has no dependencies-only mode here")
                _check_environments(project, cwd, dest_abs, build)
                word = project.call.subcommand_word
                assert word is not None
                options = project.deps_only
                insert_run_words(editor, run, word, options)
                for name in project.files + project.optional:
                    rel = _relative(posixpath.normpath(posixpath.join(cwd, name)), dest_abs)
                    if rel is None or (name in project.optional and not _context_has(build, rel)):
                        continue
                    _check_context(build, rel, "file")
                    reads.files.add(rel)
                what = f"`{project.text} {' '.join(options)}`"
                continue
            call = _pip(cmd)
            if call is not None and call.subcommand == "install":
                local = [w for w in call.positionals if is_local_reference(w.value)] + [
                    w for o in call.options if o.name == "editable" for w in o.words[1:]
                ]
                if not local and not call.values("requirement") and not call.values("constraint"):
                    continue  # named packages: installing them twice is harmless
                what = self._pip_variant(cmd, call, local, read, reads, editor, run, dest_abs, state, cwd, build, what)
                continue
            if context_free_tool(cmd) or cmd.name in _REPEATABLE:
                continue
            raise _Skip(f"`{' '.join(w.value for w in cmd.argv)}` in the install RUN would run twice")
        if what is None:
            return None
        _check_between(doc, stage, k, run, Paths.of(*(posixpath.join(dest_abs, f) for f in reads.files)))
        new_run = [part for line in editor.edit().lines for part in line.split("\n")]  # edits may break lines
        done = _signature(_run_script(new_run, doc.escape))
        for earlier_inst in stage.instructions[:k]:
            if earlier_inst.kind == "RUN" and not earlier_inst.heredocs and _signature(earlier_inst.script) & done:
                return None  # the dependencies are installed first already (other rules may have edited that RUN)
        lines = (_manifest_copies(doc, copy, _Tree(".", dest), reads) if reads.files or reads.dirs else []) + new_run
        fix = Fix(
            "install the dependencies before the full copy, the project after it",
            (Edit(copy.comment_start, copy.comment_start, tuple(lines)),),
            Applicability.UNSAFE,
        )
        return self.finding(
            copy.start,
            f"{copy.kind} at line {copy.line_no} comes before an install that needs the source (line "
            f"{run.line_no}), so every code change reinstalls every dependency: run {what} before the copy "
            "and keep the original install after it",
            fix,
        )

    def _pip_variant(
        self, cmd: Command, call: PipCall, local: list[ShellWord], read: Callable[[str], str | None], reads: _Reads,
        editor: InstructionEditor, run: Instruction, dest_abs: str, state: State, cwd: str, build: BuildContext,
        what: str | None,
    ) -> str:  # fmt: skip
        if what is not None:
            raise _Skip("the RUN installs more than one project")
        if any(o.name == "no-deps" for o in call.options):
            raise _Skip("the install uses --no-deps")
        if call.values("requirement") or call.values("constraint"):
            raise _Skip("the install also reads requirement files")
        if len(local) != 1:
            raise _Skip("the install names more than one local path")
        m = re.fullmatch(r"\./?(?:\[([A-Za-z0-9_,.-]+)\])?", local[0].value)
        if not m:
            raise _Skip(f"the install reads {local[0].value}, not the project in its folder")
        # uv marks every package it installs as requested, so installing the dependencies by name
        # records them as the project's install does; pip needs them installed as dependencies
        stub = uv_pip_command(cmd) is None
        if stub:
            _check_stub(cmd, call, run)
        # the dependencies-only install runs before the full copy: what else it reads comes first
        _pip_option_reads(call, state, cwd, _in_tree(state, cwd, dest_abs, build), dest_abs, build, reads)
        extras = [e for e in (m.group(1) or "").split(",") if e]
        declared = declared_dependencies(read, extras)
        if declared.unknown:
            raise _Skip(declared.unknown)
        words: list[str] = []
        for name in declared.files:
            rel = _relative(posixpath.normpath(posixpath.join(cwd, name)), dest_abs)
            if rel is None:
                raise _Skip(f"{declared.source} reads {name} from outside the copy")
            _add_file(reads, posixpath.normpath(posixpath.join(cwd, name)), dest_abs, build, set())
            words += [f'"$(cat {shlex.quote(name)})"'] if stub else ["-r", name]
        words += [shlex.quote(w) for w in declared.requirements] if stub else declared.requirements
        if not words:
            raise _Skip(f"{declared.source} declares no dependencies")
        base = run.args_start
        if stub:
            _install_stub(cmd, call, local[0], words, editor, run)
        elif run.script.exec_form:
            sep = json_separator(run.args)
            editor.replace(base + local[0].start, base + local[0].end, sep.join(json.dumps(w) for w in words))
        else:
            editor.replace(base + local[0].start, base + local[0].end, " ".join(shlex.quote(w) for w in words))
        for option in call.options:
            if option.name == "editable":
                if len(option.words) > 1:
                    remove_run_word(editor, run, option.words[0])
                else:
                    raise _Skip("the install uses -e. without a space")
        how = " (through a stub wheel that requires them, uninstalled after)" if stub else ""
        return f"`pip install` of what {declared.source} declares{how}"


def _check_between(doc: Document, stage: Stage, k: int, run: Instruction, manifests: Paths) -> None:
    """The dependencies-only install runs where the copy was: every instruction between the copy
    and the install must commute with it."""
    deps = run_effects(run, doc.state(run), manifests) | Effects(reads=RUN_READS)
    for inst in stage.instructions[k + 1 : stage.instructions.index(run)]:
        why = conflict(instruction_effects(doc, inst, run_effects), deps)
        if why is not None:
            raise _Skip(f"the {inst.kind} at line {inst.line_no} would come after it ({why})")


# options of pip install that also apply to pip uninstall and decide whether it can run
_UNINSTALL_OPTIONS = frozenset({"isolated", "require-virtualenv", "python", "break-system-packages", "root-user-action"})
_STUB_BEFORE = frozenset({"", "&&", ";", "\n", "("})
_STUB_AFTER = frozenset({"", "&&", ";", "\n", ")", "||"})


def _check_stub(cmd: Command, call: PipCall, run: Instruction) -> None:
    """Stop where the stub's install and uninstall cannot be chained around the pip command."""
    if run.script.exec_form:
        raise _Skip("the install RUN is in exec form, and installing the dependencies alone needs a shell")
    if any(o.name == "require-hashes" for o in call.options):
        raise _Skip("the install uses --require-hashes, and the stub wheel has no hash to check")
    place = next((o.name for o in call.options if o.name in ("target", "prefix", "root")), None)
    if place is not None:
        raise _Skip(f"the install uses --{place}, where pip uninstall cannot remove the stub it installs")
    k = next(i for i, c in enumerate(run.script.commands) if c is cmd)
    before, after = run.script.operators_around(k, k)
    if (before[-1].text if before else "") not in _STUB_BEFORE or (after[0].text if after else "") not in _STUB_AFTER:
        raise _Skip("the pip install is part of a pipeline or an `||` list")


def _install_stub(
    cmd: Command, call: PipCall, local: ShellWord, words: list[str], editor: InstructionEditor, run: Instruction
) -> None:
    """Write the stub wheel, install it in place of the project, uninstall it, remove it."""
    text = run.args
    base = run.args_start
    first = cmd.words[0]
    sub = call.subcommand_word
    assert sub is not None  # an install
    carried = [w.raw for o in call.options if o.name in _UNINSTALL_OPTIONS for w in o.words]
    uninstall = " ".join([text[first.start : sub.start].rstrip(), "uninstall", "-y", *carried, pip_stub.NAME])
    python = pip_stub.python_for(call.tool.raw)
    brk = f" {run.escape}\n    && "
    editor.insert_before(base + first.start, pip_stub.write_command(python, words) + brk)
    editor.replace(base + local.start, base + local.end, pip_stub.WHEEL)
    editor.insert_after(base + cmd.end, f"{brk}{uninstall} && rm -f {pip_stub.WHEEL}")


def _run_script(lines: list[str], escape: str) -> Script:
    """The commands of the RUN that ``lines`` spell."""
    from dockerfix.document.parse import parse_text

    prefix = f"# escape={escape}\n" if escape != "\\" else ""
    return parse_text(prefix + "FROM scratch\n" + "\n".join(lines) + "\n").instructions[-1].script


def _signature(script: Script) -> set[str]:
    """What a dependencies-only install looks like, whatever other rules did to its options:
    the tool with its dependencies-only option, or pip with the requirements it installs."""
    out: set[str] = set()
    for cmd in script.commands:
        project = project_install(cmd, _nothing)
        if project is not None and project.deps_only and project.call.has(*project.deps_only):
            out.add(f"{project.tool} {project.call.subcommand} {' '.join(project.deps_only)}")
            continue
        call = _pip(cmd)
        if call is not None and call.subcommand == "install" and call.positionals:
            out.add("pip " + " ".join(sorted(w.value for w in call.positionals)))
        if call is not None and call.values("requirement"):
            out.add("pip -r " + " ".join(sorted(call.values("requirement"))))
    return out
