"""DFX102: dependencies first, then the project, where the install needs the project's source."""

from __future__ import annotations

import importlib
import json
import posixpath
import re
import shlex
from collections.abc import Callable, Iterator

from dockerfix.context.build_context import BuildContext
from dockerfix.document.edit import CannotEdit, InstructionEditor, without_continuation
from dockerfix.document.effects import RUN_READS, Effects, Paths, conflict, instruction_effects
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command, Script, ShellWord
from dockerfix.document.state import State
from dockerfix.document.words import Word
from dockerfix.ecosystems import pip_stub, tools
from dockerfix.ecosystems.command_effects import run_effects
from dockerfix.ecosystems.dependencies import declared_dependencies, named_files
from dockerfix.ecosystems.pip import PipCall, is_local_reference
from dockerfix.ecosystems.projects import context_free_tool, project_install, uv_pip_command
from dockerfix.edits import Edit
from dockerfix.rules._common import insert_run_words, json_separator, remove_run_word, windows_image
from dockerfix.rules._download_first import DownloadStep, build_after, download_first
from dockerfix.rules._package_cache import tools_named
from dockerfix.rules._split_plan import manifest_copies, same_case
from dockerfix.rules._split_reads import (
    ADD_ONLY_FLAGS,
    KEPT_FLAGS,
    Reads,
    Skip,
    Tree,
    add_file,
    add_reads,
    check_environments,
    context_has,
    find_install,
    pip_command,
    pip_option_reads,
    read_nothing,
    relative_to,
    tree_predicate,
    tree_reader,
    whole_context_dest,
)
from dockerfix.rules.base import Applicability, Example, Finding, Fix, Rule, RuleContext


def _needs_source(cmd: Command, read: Callable[[str], str | None]) -> bool:
    """Whether the command installs the project from its source (a local path for pip)."""
    project = project_install(cmd, read)
    if project is not None:
        return project.source is not None
    call = pip_command(cmd)
    if call is None or call.subcommand != "install":
        return False
    return bool(call.values("editable")) or call.names_local_path


def _check_named_files(read: Callable[[str], str | None], cwd: str, dest_abs: str, build: BuildContext) -> None:
    """Stop where pyproject.toml names a readme or license file that the copy does not bring in:
    installing the project fails then, before or after any rewrite."""
    text = read("pyproject.toml")
    for key, name in named_files(text) if text is not None else []:
        rel = relative_to(posixpath.normpath(posixpath.join(cwd, name)), dest_abs)
        if rel is None or context_has(build, rel):
            continue
        where = "is excluded by .dockerignore" if build.is_file(rel) else "is not in the build context"
        raise Skip(
            f"pyproject.toml names {name} ({key}), which {where}, so installing the project fails "
            "with or without this fix"
        )


# the tools whose builds download their dependencies, with their dependencies-only steps: the
# module and name of each step, and the tool names its commands run (a step is imported for a
# Dockerfile that names one of them; its builds and downloads are commands of those tools)
DOWNLOAD_STEPS = (
    ("dockerfix.rules._go_first", "GO_FIRST", tools.GO),
    ("dockerfix.rules._maven_first", "MAVEN_FIRST", tools.MAVEN),
    ("dockerfix.rules._dotnet_first", "DOTNET_FIRST", tools.DOTNET),
)


def download_steps(doc: Document) -> Iterator[DownloadStep]:
    """The download steps of the tools the document's RUNs name, in DOWNLOAD_STEPS's order."""
    named = tools_named(doc)
    for module, name, names in DOWNLOAD_STEPS:
        if named & names:
            yield getattr(importlib.import_module(module), name)


# commands that may run a second time in the dependencies-only RUN without harm
_REPEATABLE = frozenset({"set", ":", "true", "echo", "export"})


class DependenciesFirst(Rule):
    """
    ## What it does
    Finds a whole-context `COPY` before an install that needs the project's source: `pip install
    .` (or `-e .`, `.[extra]`), `poetry install` with the root package, `uv sync` that installs
    the project, `pdm install` with the project itself, a `go build` with no `go mod download`
    before it, an `mvn package` with no `mvn dependency:go-offline` before it, a `dotnet publish`
    with no `dotnet restore` before it, a `composer install`. DFX101 cannot split those.

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

    ## Go
    A whole-context copy before a `go build` (`go test`, `go install`, `go vet`, `go run`, `go
    generate`, `go list`) of the module it copies, with no `go mod download` before it, gets
    `COPY go.mod go.sum ./` (with go.work, go.work.sum and local `replace` targets' go.mod) and
    `RUN go mod download` before the copy. It is left alone, with the reason, where the build
    uses `vendor/` or `GOPROXY=off`, needs a secret or SSH mount or another network, or where a
    Go variable, the WORKDIR or the USER changes between the copy and the build (the download
    would run with other settings). The image then also holds the modules of go.mod's build list
    that the build itself would not have downloaded (in the module cache, or nowhere when DFX215
    mounts it).

    ## Maven
    A whole-context copy before an `mvn` (or `./mvnw`) run of a phase that compiles (`package`,
    `verify`, `install`, `test`...), with no `dependency:go-offline` (or `resolve`) before it, gets
    `COPY pom.xml ./` (with `.mvn/`, the wrapper it runs, the settings files it names) and `RUN mvn
    <options> dependency:go-offline` before the copy: the same executable, with the build's
    options that decide what is resolved (`-s`, `-gs`, `-P`, `-D...`, `-B`, `-q`, `-U`, `-pl`,
    `-am`, `-f`); the others (`-T`, `-l`...) are left out. It is a warm-up: go-offline resolves the
    project's dependencies and plugins, but plugins resolve more of their own when they run, so
    the build may still download some artifacts, as before. It is left alone, with the reason,
    for a pom that lists modules (go-offline cannot resolve a module that depends on another
    module of the same build, MDEP-516, and would fail where the build does not), a build that
    runs offline (`-o`, in `.mvn/maven.config` or `<offline>` in its settings file), a wrapper
    whose `.mvn/wrapper/maven-wrapper.properties` is not in the copy, core extensions in
    `.mvn/extensions.xml`, a pom that does not parse, a secret or SSH mount or another network,
    or a Maven variable, the WORKDIR or the USER that changes between the copy and the build.

    Gradle gets no such step: its closest, `gradle dependencies`, reports the dependency graph
    of one project (the root, or the one named), which takes the modules' metadata but, as far as
    could be checked, not every artifact the build then needs; the gain is not shown, so nothing
    is inserted. DFX101 splits a copy before a `gradle dependencies` the Dockerfile already runs.

    ## .NET
    A whole-context copy before a `dotnet publish` (`build`, `test`, `run`, `pack`) that restores
    (no `--no-restore`, no `--no-build`), with no `dotnet restore` before it, gets the files the
    restore reads (as DFX101 copies them, in their folders) and `RUN dotnet restore` before the
    copy, with the same project or solution and the options of the build that decide what is
    restored: `-r`/`--runtime`, `-a`/`--arch`, `--os`, `--ucr`, `-p:`/`/p:` properties,
    `--configfile`, `-s`/`--source`, `--packages`, `--disable-parallel`, `--no-http-cache`,
    `--ignore-failed-sources`, `--force`, `--no-dependencies`; `-c Release` becomes
    `-p:Configuration=Release` and `--sc` `-p:SelfContained=true`. Output, logging and test
    options are left out. The build is kept as it was, with its own restore: given the same
    inputs it finds the assets in place and downloads nothing, and if anything differed it
    would restore what the build needs, as before; `--no-restore` is never added. It is left
    alone, with the reason, for `-f`/`--framework` (which `dotnet restore` does not take), an
    option it does not know, `dotnet run` with arguments (they may name a file to run), a
    project that uses `$(Configuration)` when the build gives no `-c` (`dotnet publish` picks
    Release itself on .NET 8), several dotnet builds in the `RUN` that would restore
    differently, any variable set between the copy and the build (MSBuild reads every variable
    as a property), and everything that stops DFX101's .NET split.

    ## Composer
    `composer install` needs the source: it writes the autoloader, whose `classmap` and `files`
    entries must exist, and runs the project's scripts. Its dependencies-only form is the same
    install with `--no-scripts --no-autoloader`, after a copy of composer.json, composer.lock,
    auth.json and the folders of path and artifact repositories inside the project. The original
    install follows the full copy, unchanged: it finds `vendor/` complete, installs nothing,
    writes the autoloader and runs the scripts (`post-autoload-dump`, `post-install-cmd`) as a
    one-step install does, so `vendor/` is the same. A `composer dump-autoload` or `composer
    run-script` after the install in the same `RUN` is left out of the dependencies-only copy:
    it runs after the full copy, in the original `RUN`, as before. Composer before 2.6.4 names
    the autoloader class at random unless `autoloader-suffix` is set: two builds of the same
    file differ there too. It is left alone, with the reason, where something would run at another time than in
    one step: a Composer plugin in the lock (a `composer-plugin` package; those of `packages-dev`
    count unless `--no-dev`), which runs during the first install even with `--no-scripts` and
    may read or write the project (symfony/flex writes recipes, composer/installers moves
    packages), unless the install has `--no-plugins`; scripts on `pre-install-cmd` or on
    package events; patches (`extra.patches`); and where the install's folders are not known:
    `COMPOSER`, `COMPOSER_VENDOR_DIR` or `COMPOSER_BIN_DIR` set, `--working-dir`, a repository
    outside the project, a `vendor/` in the context that `.dockerignore` does not exclude.

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
    reads_context = True

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
                if copy.kind not in ("COPY", "ADD"):
                    continue  # the quick answer for most instructions
                dest = whole_context_dest(copy)
                if dest is None:
                    continue
                dest_abs = doc.state(copy).resolve(dest.value)
                if any(f.name not in KEPT_FLAGS + ADD_ONLY_FLAGS for f in copy.flags):
                    continue
                run, blocker = find_install(doc, stage, k, copy, dest_abs, ctx.build)
                if run is None and dest_abs is not None:
                    finding = self._download_first(doc, stage, k, copy, dest, dest_abs, ctx.build)
                    if finding is not None:
                        yield finding
                    continue
                if run is None or blocker or dest_abs is None or run.script.opaque:
                    continue
                try:
                    finding = self._plan(doc, stage, k, copy, dest, dest_abs, run, ctx.build)
                except (Skip, CannotEdit) as why:
                    finding = self.finding(
                        copy.start, f"{copy.kind} at line {copy.line_no}: dependencies cannot be installed first: {why}"
                    )
                if finding is not None:
                    yield finding

    def _download_first(
        self, doc: Document, stage: Stage, k: int, copy: Instruction, dest: Word, dest_abs: str, build: BuildContext
    ) -> Finding | None:
        """A build after the copy that downloads its dependencies itself (`go build`, `mvn
        package`...), with no dependencies-only step first: run that step before the copy."""
        for step in download_steps(doc):
            build_run = build_after(step, stage, k)
            if build_run is None:
                continue
            try:
                planned = download_first(step, doc, stage, k, copy, dest_abs, build_run, build)
                if planned is None:
                    continue
                command, reads = planned
                lines = manifest_copies(doc, copy, Tree(".", dest), reads)
            except Skip as why:
                return self.finding(
                    copy.start, f"{copy.kind} at line {copy.line_no}: {step.subject} cannot be downloaded first: {why}"
                )
            indent = lines[0][: len(lines[0]) - len(lines[0].lstrip(" \t"))]
            lines.append(f"{indent}{same_case('RUN', copy.keyword)} {command}")
            fix = Fix(
                f"download {step.subject} before the full copy",
                (Edit(copy.comment_start, copy.comment_start, tuple(lines)),),
                Applicability.UNSAFE,
            )
            files = ", ".join(sorted(reads.files | {d + "/" for d in reads.dirs}))
            return self.finding(
                copy.start,
                f"{copy.kind} at line {copy.line_no} comes before the {step.tool} build at line {build_run.line_no}, "
                f"which downloads {step.every} again on each code change: copy {files} and run `{command}` first",
                fix,
            )
        return None

    def _plan(
        self, doc: Document, stage: Stage, k: int, copy: Instruction, dest: Word, dest_abs: str,
        run: Instruction, build: BuildContext,
    ) -> Finding | None:  # fmt: skip
        state = doc.state(run)
        cwd = state.workdir
        read = tree_reader(state, cwd, dest_abs, build)
        if not any(_needs_source(cmd, read) for cmd in run.script.commands):
            return None  # DFX101's case, or nothing to do
        _check_named_files(read, cwd, dest_abs, build)
        editor = InstructionEditor(doc, run)
        reads = Reads()
        what: str | None = None
        installer: str | None = None
        source_steps: list[Command] = []  # what the install's tool does with the source after it
        for cmd in run.script.commands:
            if cmd.name == "cd":
                raise Skip(f"the install RUN at line {run.line_no} changes directory")
            project = project_install(cmd, read, None, state)
            if project is not None:
                if project.problem:
                    raise Skip(project.problem)
                if not project.source:
                    return None  # DFX101's case
                if not project.deps_only or what is not None:
                    raise Skip(f"{project.source}, and it has no dependencies-only mode here")
                check_environments(project, cwd, dest_abs, build)
                word = project.call.subcommand_word
                assert word is not None
                options = project.deps_only
                insert_run_words(editor, run, word, options)
                add_reads(reads, project, state, cwd, dest_abs, build)
                what = f"`{project.text} {' '.join(options)}`"
                installer = project.tool
                continue
            call = pip_command(cmd)
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
            if installer == "composer" and _composer_source_step(cmd):
                source_steps.append(cmd)  # it runs after the full copy, in the original RUN
                continue
            raise Skip(f"`{' '.join(w.value for w in cmd.argv)}` in the install RUN would run twice")
        if what is None:
            return None
        if source_steps:
            editor.remove_commands(run.script, source_steps)
        _check_between(doc, stage, k, run, Paths.of(*(posixpath.join(dest_abs, f) for f in (*reads.files, *reads.dirs))))
        new_run = [part for line in editor.edit().lines for part in line.split("\n")]  # edits may break lines
        # the copy follows it: an install on the last line of a file that ends inside a continuation ends here
        new_run[-1] = without_continuation(new_run[-1], doc.escape)
        done = _signature(_run_script(new_run, doc.escape))
        for earlier_inst in stage.instructions[:k]:
            if earlier_inst.kind == "RUN" and _signature(earlier_inst.script) & done:
                return None  # the dependencies are installed first already (other rules may have edited that RUN)
        lines = (manifest_copies(doc, copy, Tree(".", dest), reads) if reads.files or reads.dirs else []) + new_run
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
        self, cmd: Command, call: PipCall, local: list[ShellWord], read: Callable[[str], str | None], reads: Reads,
        editor: InstructionEditor, run: Instruction, dest_abs: str, state: State, cwd: str, build: BuildContext,
        what: str | None,
    ) -> str:  # fmt: skip
        if what is not None:
            raise Skip("the RUN installs more than one project")
        if any(o.name == "no-deps" for o in call.options):
            raise Skip("the install uses --no-deps")
        if call.values("requirement") or call.values("constraint"):
            raise Skip("the install also reads requirement files")
        if len(local) != 1:
            raise Skip("the install names more than one local path")
        m = re.fullmatch(r"\./?(?:\[([A-Za-z0-9_,.-]+)\])?", local[0].value)
        if not m:
            raise Skip(f"the install reads {local[0].value}, not the project in its folder")
        # uv marks every package it installs as requested, so installing the dependencies by name
        # records them as the project's install does; pip needs them installed as dependencies
        stub = uv_pip_command(cmd) is None
        if stub:
            _check_stub(cmd, call, run)
        # the dependencies-only install runs before the full copy: what else it reads comes first
        pip_option_reads(call, state, cwd, tree_predicate(state, cwd, dest_abs, build), dest_abs, build, reads)
        extras = [e for e in (m.group(1) or "").split(",") if e]
        declared = declared_dependencies(read, extras)
        if declared.unknown:
            raise Skip(declared.unknown)
        words: list[str] = []
        for name in declared.files:
            rel = relative_to(posixpath.normpath(posixpath.join(cwd, name)), dest_abs)
            if rel is None:
                raise Skip(f"{declared.source} reads {name} from outside the copy")
            add_file(reads, posixpath.normpath(posixpath.join(cwd, name)), dest_abs, build, set())
            words += [f'"$(cat {shlex.quote(name)})"'] if stub else ["-r", name]
        words += [shlex.quote(w) for w in declared.requirements] if stub else declared.requirements
        if not words:
            raise Skip(f"{declared.source} declares no dependencies")
        base = run.shell.base
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
                    raise Skip("the install uses -e. without a space")
        how = " (through a stub wheel that requires them, uninstalled after)" if stub else ""
        return f"`pip install` of what {declared.source} declares{how}"


def _check_between(doc: Document, stage: Stage, k: int, run: Instruction, manifests: Paths) -> None:
    """The dependencies-only install runs where the copy was: every instruction between the copy
    and the install must commute with it."""
    deps = run_effects(run, doc.state(run), manifests) | Effects(reads=RUN_READS)
    for inst in stage.instructions[k + 1 : stage.instructions.index(run)]:
        why = conflict(instruction_effects(doc, inst, run_effects), deps)
        if why is not None:
            raise Skip(f"the {inst.kind} at line {inst.line_no} would come after it ({why})")


# options of pip install that also apply to pip uninstall and decide whether it can run
_UNINSTALL_OPTIONS = frozenset({"isolated", "require-virtualenv", "python", "break-system-packages", "root-user-action"})


_STUB_BEFORE = frozenset({"", "&&", ";", "\n", "("})


_STUB_AFTER = frozenset({"", "&&", ";", "\n", ")", "||"})


def _check_stub(cmd: Command, call: PipCall, run: Instruction) -> None:
    """Stop where the stub's install and uninstall cannot be chained around the pip command."""
    if run.script.exec_form:
        raise Skip("the install RUN is in exec form, and installing the dependencies alone needs a shell")
    if any(o.name == "require-hashes" for o in call.options):
        raise Skip("the install uses --require-hashes, and the stub wheel has no hash to check")
    place = next((o.name for o in call.options if o.name in ("target", "prefix", "root")), None)
    if place is not None:
        raise Skip(f"the install uses --{place}, where pip uninstall cannot remove the stub it installs")
    k = next(i for i, c in enumerate(run.script.commands) if c is cmd)
    before, after = run.script.operators_around(k, k)
    if (before[-1].text if before else "") not in _STUB_BEFORE or (after[0].text if after else "") not in _STUB_AFTER:
        raise Skip("the pip install is part of a pipeline or an `||` list")


def _install_stub(
    cmd: Command, call: PipCall, local: ShellWord, words: list[str], editor: InstructionEditor, run: Instruction
) -> None:
    """Write the stub wheel, install it in place of the project, uninstall it, remove it."""
    text = run.shell.text
    base = run.shell.base
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
        project = project_install(cmd, read_nothing)
        if project is not None and project.deps_only and project.call.has(*project.deps_only):
            out.add(f"{project.tool} {project.call.subcommand} {' '.join(project.deps_only)}")
            continue
        call = pip_command(cmd)
        if call is not None and call.subcommand == "install" and call.positionals:
            out.add("pip " + " ".join(sorted(w.value for w in call.positionals)))
        if call is not None and call.values("requirement"):
            out.add("pip -r " + " ".join(sorted(call.values("requirement"))))
    return out


def _composer_source_step(cmd: Command) -> bool:
    from dockerfix.ecosystems.composer import composer_source_step  # for a composer install only

    return composer_source_step(cmd)
