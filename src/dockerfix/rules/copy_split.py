"""DFX101: a whole-context COPY before an install that only needs the requirement files."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockerfix.context.build_context import BuildContext
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.ecosystems.pip import mentions_install
from dockerfix.edits import Edit
from dockerfix.rules._common import windows_image
from dockerfix.rules._split_plan import manifest_copies, plan_moves, unit_start
from dockerfix.rules._split_reads import (
    ADD_ONLY_FLAGS,
    KEPT_FLAGS,
    Missing,
    Reads,
    ReadWhole,
    Skip,
    Tree,
    bind_targets,
    context_copy_words,
    copied_earlier,
    find_install,
    folder_view,
    install_reads,
    install_tool,
    installs_after,
    installs_by_name,
    tree_copy,
)
from dockerfix.rules.base import Example, Finding, Fix, Rule, RuleContext


class CopyAllBeforeInstall(Rule):
    """
    ## What it does
    Finds a `COPY` (or `ADD`) of the whole build context (`COPY . .`, `COPY . /app`,
    `ADD . $APP_HOME`, with any flags), or a `COPY` of one of its folders (`COPY services/api
    /srv/api`), that comes before a `RUN` in the same stage whose install reads only dependency
    manifests: `pip install -r` (and `uv pip install -r`), `uv sync`, `poetry install`,
    `pipenv install`/`sync`, `pdm install`/`sync`, `conda`/`mamba`/`micromamba` with an
    environment file; Node's `npm ci`/`npm install`, `yarn`/`yarn install`, `pnpm install`,
    `pnpm fetch`, `bun install`; Go's `go mod download`; cargo's `cargo fetch`; Maven's `mvn
    dependency:go-offline` (`resolve`, `resolve-plugins`); Gradle's `gradle dependencies`;
    .NET's `dotnet restore` and `dotnet tool restore`; Bundler's `bundle install`; or, when there is
    none, an install of named packages (`pip install flask gunicorn`, `uv pip install flask`),
    which reads nothing from the copy. The message names the tool.

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
    copied too. The build context is the one `--context` or the configuration names, else the
    one(s) the repository's compose, bake, workflow, devcontainer and Makefile files build the
    Dockerfile with (the split is made only if it holds for each of them; see docs/contexts.md),
    else the Dockerfile's directory; `.dockerignore` (or `<Dockerfile>.dockerignore`) is applied
    with Docker's rules.

    The project tools read fixed files in their folder, copied when they are in the context:
    uv `pyproject.toml`, `uv.lock`, `.python-version`, `uv.toml`; Poetry `pyproject.toml`,
    `poetry.lock`, `poetry.toml`; pipenv `Pipfile`, `Pipfile.lock`; PDM `pyproject.toml`,
    `pdm.lock`, `pdm.toml`, `.pdm-python`; conda the `-f` environment file. A lock file the
    command requires (`uv sync --locked`, `pipenv install --deploy`) must be there.

    Node, Go and cargo read these files of their folder, copied when they are in the context:
    npm `package.json`, `package-lock.json`, `npm-shrinkwrap.json`, `.npmrc`; yarn
    `package.json`, `yarn.lock`, `.yarnrc`, `.yarnrc.yml` (and its `yarnPath`), `.npmrc`, the
    folders `.yarn/releases`, `.yarn/plugins`, `.yarn/patches`, `.yarn/cache`; pnpm
    `package.json`, `pnpm-lock.yaml`, `pnpm-workspace.yaml`, `.npmrc`, `.pnpmfile.cjs`,
    `.pnpmfile.mjs`, the folder `patches` (`pnpm fetch` reads no package.json); bun
    `package.json`, `bun.lock`, `bun.lockb`, `bunfig.toml`, `.npmrc`; every workspace member's
    `package.json` (from package.json's `workspaces` or pnpm-workspace.yaml's `packages`, with
    `*` patterns), every patch file a dependency takes (pnpm's and bun's `patchedDependencies`,
    yarn's `patch:` protocol), yarn 1's `.yarnclean`. `go mod download` reads `go.mod`, `go.sum`, `go.work`, `go.work.sum`, the
    `go.mod` (and `go.sum`) of every module go.work uses and the `go.mod` of every local
    `replace` target. `cargo fetch` reads `Cargo.toml`, `Cargo.lock`, `.cargo/config.toml`,
    `rust-toolchain(.toml)`, `build.rs`, and `src/main.rs`/`src/lib.rs` (cargo needs a target
    to read the manifest; it compiles nothing, so copying them early changes no build), for the
    package, every workspace member (`members`, with `*` patterns) and every path dependency
    inside the copied folder. `dotnet restore` reads the project or solution it names (or the
    one file of its folder), every project a solution lists (`.sln`, `.slnx`), every
    `<ProjectReference>` and `<Import>` they hold, followed, the `Directory.Build.props`,
    `Directory.Build.targets`, `Directory.Packages.props`, `Directory.Build.rsp` and
    `NuGet.Config` of every folder from each project up to the copied folder (MSBuild and NuGet
    walk up; above the copy, those files are the image's, which the split does not move),
    `global.json`, each project's `packages.lock.json`, the local package sources a NuGet.Config
    or `-s` names and the `--configfile`; `dotnet tool restore` reads `.config/dotnet-tools.json`.
    The files keep their folders.

    Maven (`mvn`, `./mvnw`) reads `pom.xml` (or the one `-f` names), the pom of every module
    (`<modules>`, also in `<profiles>`, recursively), a parent pom inside the copied folder,
    `.mvn/`, the wrapper script it runs, the files `-s`, `-gs`, `-t` name, `<systemPath>` jars and
    `file:` repositories under `${project.basedir}`. Gradle (`gradle`, `./gradlew`) reads
    `settings.gradle(.kts)`, `build.gradle(.kts)`, `gradle.properties` and the lock files of the
    root and of every project `include` names, `gradle/`, `buildSrc/`, every `includeBuild`
    folder, the wrapper script and `-I` init scripts. A goal or task beside (`mvn
    dependency:go-offline package`) needs the source.

    Bundler (`bundle install`) reads the Gemfile (or `gems.rb`) and its lock, `.bundle/config`
    where it is read (not in the ruby images, whose `BUNDLE_APP_CONFIG` moves it), the gemspecs
    a `gemspec` line names and the files they load (`require_relative`, or from `lib/`), the
    folders of `path:` gems, `eval_gemfile` targets, the `ruby file:` and `vendor/cache`.

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
    install is under `ONBUILD` or in a heredoc run by another program than a POSIX shell, a path depends on a variable whose value is not
    known, the build context is unknown, the image is a Windows image, or the requirement files
    are already copied or bind-mounted before the install (then there is nothing to do). Each
    case is reported.

    For Node, Go and cargo it also leaves the copy in place where: the root package (or a
    workspace member) has a `preinstall`, `install`, `postinstall` or `prepare` script (it runs
    during the install and may read any file; `--ignore-scripts` lifts this) or a `binding.gyp`;
    a dependency comes from a local path (`file:`, `link:`); the install may rewrite a lock file
    that is in the context (`npm install` with a package-lock.json, `yarn` without
    `--frozen-lockfile`/`--immutable`, `pnpm install` without `--frozen-lockfile`, `bun install`
    without `--frozen-lockfile`, `cargo fetch` without `--locked`, `go mod download` when go.sum
    lacks the hash of a module go.mod requires or go.mod declares a go version before 1.17,
    whose go.mod does not list the whole build list): the moved copy would put the old file back; the
    context holds `node_modules` (or a Plug'n'Play file) that `.dockerignore` does not exclude;
    `npm install <package>` adds to package.json; a workspace member has `bin` entries (the
    install makes their files executable, files the moved copy brings in later); go.mod or
    go.work points outside the copied folder, or go.work (or a module it uses) replaces a module
    with a local path; cargo's configuration replaces or patches sources (`[source]`, `[patch]`,
    `paths`); a Cargo.toml declares its targets (`[[bin]]`, `[lib]`), names its workspace root or
    takes a path dependency from outside the copied folder; a module pom that is missing or
    outside the copy, a pom that does not parse, a `<systemPath>` or `file:` repository through
    another property, core extensions in `.mvn/extensions.xml` (they run when Maven starts); a
    settings.gradle line that is not one of the plain ones (`include`, `includeBuild` with
    strings, `rootProject.name`, plugin and repository blocks: a loop, `file(...)`, `projectDir =`
    stop it, with the line), a build script that may read other files while Gradle configures it
    (`apply from:`, `file(...)`, `fileTree`, `exec`; with `.git/` in the copy, a mention of git),
    `--write-locks` or `--write-verification-metadata`, `-p`/`-b`/`-c`, and a `.gradle/` (or
    `buildSrc/build`) that `.dockerignore` does not exclude. For .NET: a project that imports a
    file or references a project outside the copied folder, or through a property (`$(Dir)`) or
    a wildcard; a project file or NuGet.Config that does not parse; a folder with several (or
    no) project and solution files, where dotnet itself stops; a solution filter (`.slnf`); a
    local package source outside the copy; an `obj` folder in the context that `.dockerignore`
    does not exclude (the moved copy would put its assets file over the restore's; `bin` does
    not matter: the full copy brings it before the build in both orders). For Bundler: a Gemfile
    line that is not one of the plain ones (the message names it), a gemspec that runs a command
    (`git ls-files`) or lists files with `Dir[...]`, a gemspec that names executables (Bundler
    writes a wrapper for each, and makes it executable, only when it finds it in the source), a
    path outside the copied folder, an install
    that may rewrite Gemfile.lock (Bundler 2 adds the platform it runs on to a lock that lacks
    it: without `BUNDLE_FROZEN`, `BUNDLE_DEPLOYMENT` or `--deployment`, the moved copy would put
    the old lock back), and an install folder inside the project that the context holds
    (`vendor/bundle` in deployment mode, a relative `BUNDLE_PATH`).

    ## Fix safety
    Safe: the image ends up with the same files; only the layer boundaries change (the
    requirement files are stored in two layers). Instructions are reordered only where the
    effects model proves that the order of every pair that does not commute is kept.
    """

    code = "DFX101"
    name = "copy-all-before-install"
    summary = "the whole build context is copied before a dependency install"
    reads_context = True

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
            FROM node:20-slim
            WORKDIR /app
            COPY . .
            RUN npm ci --omit=dev
            CMD ["node", "server.js"]
            """,
            """
            FROM node:20-slim
            WORKDIR /app
            COPY package-lock.json package.json ./
            RUN npm ci --omit=dev
            COPY . .
            CMD ["node", "server.js"]
            """,
            files={"package.json": '{"dependencies": {"ms": "2.1.3"}}\n', "package-lock.json": "{}\n", ".dockerignore": "node_modules\n"},
        ),
        Example(
            """
            FROM golang:1.22 AS build
            WORKDIR /src
            COPY . .
            RUN go mod download
            RUN go build -o /bin/app .
            """,
            """
            FROM golang:1.22 AS build
            WORKDIR /src
            COPY go.mod go.sum ./
            RUN go mod download
            COPY . .
            RUN go build -o /bin/app .
            """,
            files={"go.mod": "module example.com/app\n\ngo 1.22\n", "go.sum": "", "main.go": "package main\n"},
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
                if inst.kind not in _COPY_KINDS:
                    continue  # the quick answer for most instructions
                tree = tree_copy(inst, ctx.build)
                if tree is None and _hash_in_sources(inst):
                    yield self.finding(
                        inst.start,
                        f"{inst.kind} at line {inst.line_no} is left in place: `#` after an instruction is not a "
                        "comment, so this copies files named after the words that follow it",
                    )
                    continue
                if tree is None:
                    if inst.kind == "ONBUILD" and _onbuild_whole_copy(inst):
                        if any(mentions_install(i.command_text) for i in stage.instructions[k + 1 :] if i.kind == "ONBUILD"):
                            yield self.finding(inst.start, "the copy and the install are under ONBUILD, which is never rewritten")
                    continue
                try:
                    finding = self._split(doc, ctx, stage, k, inst, tree)
                except ReadWhole:
                    continue
                except Skip as why:
                    reason = str(why)
                    if isinstance(why, Missing) and ctx.settings.context is None and ctx.context_origin is None:
                        reason += " (taken to be the Dockerfile's folder; give --context if it is another)"
                    finding = self.finding(inst.start, f"{inst.kind} at line {inst.line_no} is left in place: {reason}")
                if finding is not None:
                    yield finding

    def _split(self, doc: Document, ctx: RuleContext, stage: Stage, k: int, copy: Instruction, tree: Tree) -> Finding | None:
        dest = tree.dest
        copy_state = doc.state(copy)
        dest_abs = copy_state.resolve(dest.value)
        build = folder_view(ctx.build, tree)
        run, blocker = find_install(doc, stage, k, copy, dest_abs, build)
        if run is None:
            return None
        if windows_image(doc, stage):
            raise Skip("this is a Windows image, which is not rewritten")
        if blocker:
            raise Skip(blocker)
        if run.script.opaque:
            raise Skip(f"the install at line {run.line_no} cannot be read ({run.script.opaque})")
        if dest_abs is None:
            raise Skip(f"the destination {dest.value} uses a variable whose value is not known")
        for flag in copy.flags:
            if flag.name in ("exclude", "parents"):
                raise Skip(f"--{flag.name} is not supported by the split")
            if flag.name not in KEPT_FLAGS + ADD_ONLY_FLAGS:
                raise Skip(f"unknown flag --{flag.name}")
        if build is None:
            raise Skip(ctx.context_unknown or "the build context is unknown (give --context)")
        reads = install_reads(doc, copy, run, dest_abs, build)
        ad_hoc = not (reads.files or reads.dirs or reads.outside)
        bound = bind_targets(run, doc.state(run))
        for path in sorted(reads.outside):
            if path in bound:
                raise Skip(f"{path} is bind-mounted into the install at line {run.line_no}: nothing to do")
        if reads.outside and not reads.files and not reads.dirs:
            raise Skip(
                f"the install at line {run.line_no} reads {', '.join(reads.outside)}, which this COPY "
                "does not provide: the requirement files are already copied first, nothing to do"
            )
        if ad_hoc and not installs_by_name(run):
            raise Skip(f"the install at line {run.line_no} reads no requirement file from the build context")
        for rel in sorted(reads.files):
            if posixpath.normpath(posixpath.join(dest_abs, rel)) in bound:
                raise Skip(f"{rel} is bind-mounted into the install: nothing to do")
        installs = _installs(doc, stage, k, copy, tree, dest_abs, build, run, reads)
        earlier = copied_earlier(doc, stage, k, dest_abs, reads.files)
        if earlier:
            raise Skip(f"{earlier[0]} is already copied at line {earlier[1]}: nothing to do")
        plan = plan_moves(doc, stage, k, copy, tree, installs, reads, dest_abs, build)
        if plan.clash is not None:
            raise Skip(plan.clash)
        last = installs[-1]
        lines = manifest_copies(doc, copy, tree, plan.manifests) if plan.manifests.files or plan.manifests.dirs else []
        before = copy.comment_start
        moved = list(doc.lines[before : copy.end])
        if before > 0 and not doc.lines[before - 1].strip():
            moved.insert(0, "")
        edits = [Edit(before, copy.end, tuple(lines))]
        for inst in plan.after:
            start = unit_start(doc, stage, inst)
            edits.append(Edit(start, inst.end, ()))
            moved += ([""] if start < inst.comment_start else []) + list(doc.lines[inst.comment_start : inst.end])
        edits.append(Edit(last.end, last.end, tuple(moved)))
        fix = Fix("copy the requirement files first and the rest after the install", tuple(edits))
        what = "the whole context" if tree.source == "." else f"the folder {tree.source}"
        where = f"{install_tool(run)} at line {run.line_no}" if last is run else f"installs at lines {run.line_no}-{last.line_no}"
        also = ""
        if plan.after:
            also = " (with " + ", ".join(f"the {i.kind} at line {i.line_no}" for i in plan.after) + ", which must stay after it)"
        if ad_hoc and not lines:
            return self.finding(
                copy.start,
                f"{copy.kind} at line {copy.line_no} copies {what} before the {where}, which reads "
                f"nothing from it, so any code change reinstalls the packages: move the copy after the install{also}",
                fix,
            )
        files = ", ".join(sorted(plan.manifests.files | {d + "/" for d in plan.manifests.dirs})) or "nothing"
        first = f"copy {files} first and the rest after the install" if lines else "move the copy after the install"
        return self.finding(
            copy.start,
            f"{copy.kind} at line {copy.line_no} copies {what} before the {where}, "
            f"so any code change reinstalls every dependency: {first}{also}",
            fix,
        )


def _installs(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    tree: Tree,
    dest_abs: str,
    build: BuildContext,
    run: Instruction,
    reads: Reads,
) -> list[Instruction]:
    """The installs that go before the full copy: ``run`` and those after it that can go too
    (adding what they read to ``reads``): `pip install -r requirements.txt` then
    `pip install -r requirements-dev.txt`, then `pip install gunicorn`. They stop at one that
    cannot be read, and at the first one the plan cannot move the copy below."""
    chain: list[tuple[Instruction, Reads]] = []  # each later install, with what all up to it read
    total = reads
    for nxt in installs_after(doc, stage, stage.instructions.index(run)):
        if nxt.kind != "RUN" or nxt.script.opaque:
            break
        try:
            more = install_reads(doc, copy, nxt, dest_abs, build)
        except Skip:
            break
        if not (more.files <= total.files and more.dirs <= total.dirs and not more.outside):
            total = Reads(total.files | more.files, total.dirs | more.dirs, total.outside + more.outside)
        chain.append((nxt, total))

    def fits(n: int) -> bool:
        installs = [run] + [i for i, _ in chain[:n]]
        return plan_moves(doc, stage, k, copy, tree, installs, chain[n - 1][1], dest_abs, build).clash is None

    # a longer chain only adds what must stay above the copy: the longest that fits is found by
    # halving (one plan when they all fit)
    fit, unfit = 0, len(chain) + 1
    if chain and fits(len(chain)):
        fit = len(chain)
    else:
        unfit = len(chain)
    while unfit - fit > 1:
        mid = (fit + unfit) // 2
        fit, unfit = (mid, unfit) if fits(mid) else (fit, mid)
    if fit:
        total = chain[fit - 1][1]
        reads.files, reads.dirs, reads.outside = total.files, total.dirs, total.outside
    return [run] + [i for i, _ in chain[:fit]]


_COPY_KINDS = frozenset({"COPY", "ADD", "ONBUILD"})  # what check looks further at


def _hash_in_sources(inst: Instruction) -> bool:
    """`COPY . . # comment`: the `#` words are sources, not a comment."""
    words = context_copy_words(inst)
    return (
        words is not None and len(words) > 2 and words[0].value in (".", "./")
        and any(w.raw.startswith("#") for w in words[1:])
    )  # fmt: skip


def _onbuild_whole_copy(inst: Instruction) -> bool:
    words = inst.words
    return (
        len(words) == 3 and words[0].value.upper() in ("COPY", "ADD") and words[1].value in (".", "./")
    )
