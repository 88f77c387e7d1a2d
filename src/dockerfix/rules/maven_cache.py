"""DFX217: Maven builds without a cache mount on its local repository."""

from __future__ import annotations

import posixpath
import re

from dockerfix.document.model import Document
from dockerfix.document.options import Option
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.maven import MAVEN, MavenCall, defined, maven_call, text_args
from dockerfix.ecosystems.packages import Call
from dockerfix.rules._jvm_cache import JvmStoreRule, absolute, java_home, one
from dockerfix.rules._mounts import earlier, mentions_path, within
from dockerfix.rules._package_cache import NotAdded, Run
from dockerfix.rules.base import Example, RuleContext

_INFO = frozenset({"-v", "-h"})
_INSTALLS = re.compile(r"^(install|deploy)$|^([\w.-]+:)?maven-(install|deploy)-plugin:|^(install|deploy):")
# what in .mvn/maven.config or .mvn/jvm.config moves the local repository or makes Maven offline
_CONFIG_MOVES = re.compile(r"(?<![\w.-])(-o|--offline|-g?s\S*|--settings|--global-settings)(?![\w.-])|maven\.repo\.local|user\.home")


def _maven(call: Call) -> MavenCall:
    found = maven_call(call.invocation.command)
    assert found is not None  # the frame found it through MAVEN
    return found


class MavenCacheMount(JvmStoreRule):
    """
    ## What it does
    Finds `RUN` instructions that run Maven (`mvn`, `./mvnw`) without a BuildKit cache mount on
    its local repository (`~/.m2/repository`).

    ## Why is this bad?
    Maven downloads every plugin and dependency again when the layer is rebuilt, and the final
    image of a single-stage build keeps all of them.

    ## Example
    ```dockerfile
    FROM maven:3.9-eclipse-temurin-21 AS build
    WORKDIR /app
    COPY pom.xml .
    RUN mvn dependency:go-offline
    COPY src ./src
    RUN mvn package -DskipTests

    FROM eclipse-temurin:21-jre
    COPY --from=build /app/target/*.jar app.jar
    ```

    ## Use instead
    ```dockerfile
    FROM maven:3.9-eclipse-temurin-21 AS build
    WORKDIR /app
    COPY pom.xml .
    RUN --mount=type=cache,target=/root/.m2/repository,sharing=locked,id=maven-repository-maven-3.9-eclipse-temurin-21 mvn dependency:go-offline
    COPY src ./src
    RUN --mount=type=cache,target=/root/.m2/repository,sharing=locked,id=maven-repository-maven-3.9-eclipse-temurin-21 mvn package -DskipTests

    FROM eclipse-temurin:21-jre
    COPY --from=build /app/target/*.jar app.jar
    ```

    ## The fix
    Mounts the local repository: `-Dmaven.repo.local` where the command line, `MAVEN_ARGS` or
    `MAVEN_OPTS` sets it, else `repository` under `.m2` in Java's home folder (`user.home`,
    which `-Duser.home` moves; `/root/.m2/repository` for root). Never `~/.m2` itself, which holds
    `settings.xml`. The compiler's class path points into the repository, so a family of stages
    (a stage built from an image and the stages built `FROM` it) gets the mount on all of its
    Maven `RUN`s, with the same target and id, or on none: a `RUN` whose layer BuildKit rebuilds
    then finds the repository or downloads it again. `sharing=locked`: Maven does not expect
    two builds writing one repository at once. A `RUN` that runs the wrapper (`./mvnw`) also gets
    a mount on the wrapper's distributions (`$MAVEN_USER_HOME/wrapper`, `~/.m2/wrapper` by
    default), which it downloads again where the mount is empty.

    `.mvn/maven.config` and `.mvn/jvm.config` are read in the build context (at its root and in
    its first-level folders): one that moves the repository or makes Maven offline (`-o`, `-s`,
    `maven.repo.local`, `user.home`) leaves the family alone, since a RUN that runs before the
    copy brings it in would fill the mount that an offline build then needs.

    ## When it leaves the RUN alone
    A Maven `RUN` of the family that could not download again (`-o`/`--offline`,
    `--network=none`, secret or ssh mounts that not all of them have); one that installs into
    the repository (`install`, `deploy`, `install:install-file`) followed by another Maven `RUN`
    that may read what it installed; a settings file that may move the repository or make Maven
    offline and is not read: `-s`/`-gs`, or one the Dockerfile copies or writes into `~/.m2`,
    `$MAVEN_HOME/conf` or `/etc/maven`; a later `COPY --from` or bind mount that reads the
    repository (or `~/.m2`) out of the family; another command of the family that names the
    repository (`find ~/.m2/repository`, `cp`; an `rm` is no reading); a final image whose `CMD` or `ENTRYPOINT` runs
    Maven, or that sets neither (the maven images' own command is `mvn`); a non-root user; a
    `HOME` other than root's; a `RUN` that runs the wrapper through a shell (`sh mvnw`);
    ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The image no longer holds the local
    repository (nor the wrapper's Maven distribution); a final image that runs `java -jar`
    does not read them.
    """

    code = "DFX217"
    name = "maven-cache-not-mounted"
    summary = "Maven builds without a cache mount on its local repository"
    grammar = MAVEN
    tool = "mvn"
    store_name = "the local repository"
    store_cache = "maven-repository"
    wrapper_cache = "maven-wrapper"
    wrappers = frozenset({"mvnw"})

    VALID = (
        Example(
            """
            FROM maven:3.9-eclipse-temurin-21 AS build
            RUN --mount=type=cache,target=/root/.m2 mvn package
            FROM eclipse-temurin:21-jre
            COPY --from=build /target/app.jar /app.jar
            """
        ),
        Example(
            """
            FROM maven:3.9-eclipse-temurin-21
            RUN mvn --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM maven:3.9-eclipse-temurin-21 AS build
            RUN mvn package
            FROM eclipse-temurin:21-jre
            COPY --from=build /target/app.jar /app.jar
            """,
            """
            FROM maven:3.9-eclipse-temurin-21 AS build
            RUN --mount=type=cache,target=/root/.m2/repository,sharing=locked,id=maven-repository-maven-3.9-eclipse-temurin-21 mvn package
            FROM eclipse-temurin:21-jre
            COPY --from=build /target/app.jar /app.jar
            """,
        ),
        Example(
            """
            FROM maven:3.9-eclipse-temurin-21 AS build
            RUN mvn dependency:go-offline
            RUN mvn -o package
            FROM eclipse-temurin:21-jre
            COPY --from=build /target/app.jar /app.jar
            """,
            None,
            message="-o",
        ),
    )

    def _args(self, run: Run, call: Call) -> tuple[list[Option], list[Option]]:
        """The call's options with MAVEN_ARGS's before them, and the -D options of MAVEN_OPTS."""
        env = run_env(run.state, call.invocation)
        read: dict[str, list[Option]] = {}
        for var in ("MAVEN_ARGS", "MAVEN_OPTS"):
            if var in env and env[var] is None:
                raise NotAdded(f"{var} is set to a value that is not known")
            found = text_args(env.get(var) or "")
            if found is None:
                raise NotAdded("MAVEN_ARGS or MAVEN_OPTS cannot be read")
            read[var] = found[0]
        return read["MAVEN_ARGS"] + list(_maven(call).call.options), [o for o in read["MAVEN_OPTS"] if o.name == "-D"]

    def needs(self, call: Call) -> bool:
        found = _maven(call)
        return bool(found.goals) or not found.call.has(*_INFO)

    def store_of(self, run: Run, call: Call) -> str:
        home = java_home(run, call)
        args, opts = self._args(run, call)
        settings = [o for o in args if o.name in ("-s", "-gs")]
        if settings:
            written = " ".join(w.value for w in settings[0].words)
            raise NotAdded(f"`{written}` names a settings file, which may move the local repository or make Maven offline, and is not read")
        user_home = one(defined(args, "user.home") + defined(opts, "user.home"), "user.home")
        if user_home is not None:
            home = absolute(run, "user.home", user_home)
        m2 = posixpath.join(home, ".m2")
        problem = self._settings_written(run, m2)
        if problem:
            raise NotAdded(problem)
        repo = one(defined(args, "maven.repo.local") + defined(opts, "maven.repo.local"), "maven.repo.local")
        if repo is not None:
            return absolute(run, "maven.repo.local", repo)
        return posixpath.join(m2, "repository")

    def _settings_written(self, run: Run, m2: str) -> str | None:
        """An earlier instruction that may put a settings.xml where Maven reads one."""
        maven_home = run.state.env.get("MAVEN_HOME")
        folders = [m2, "/etc/maven"] + ([posixpath.join(maven_home, "conf")] if maven_home else [])
        why = "where a settings.xml may move the local repository or make Maven offline (not read)"
        for inst in earlier(run.doc, run.inst):
            if inst.kind in ("COPY", "ADD") and inst.words:
                words = [w.value for w in inst.words]
                dest = run.doc.state(inst).resolve(words[-1])
                names = {posixpath.basename(w.rstrip("/")) for w in words[:-1]}
                if dest is None and names & {"settings.xml", ".m2"}:
                    return f"line {inst.line_no} copies {', '.join(sorted(names))} to a path that is not known, {why}"
                if dest is not None and (any(within(dest, f) for f in folders) or (".m2" in names and within(m2, dest))):
                    return f"line {inst.line_no} copies into {dest}, {why}"
            elif inst.kind == "RUN":
                for text in self.other_commands(inst):
                    if "settings.xml" in text or "~/.m2" in text or "HOME/.m2" in text or "HOME}/.m2" in text or any(mentions_path(text, f) for f in folders):
                        return f"line {inst.line_no} writes or names {m2} or a settings.xml, {why}"
        return None

    def wrapper_of(self, run: Run, call: Call) -> str:
        env = run_env(run.state, call.invocation)
        if "MAVEN_USER_HOME" in env:
            value = env["MAVEN_USER_HOME"]
            if value is None:
                raise NotAdded("MAVEN_USER_HOME is set to a value that is not known")
            return posixpath.join(absolute(run, "MAVEN_USER_HOME", value), "wrapper")
        return posixpath.join(java_home(run, call), ".m2", "wrapper")

    def offline(self, run: Run, call: Call) -> str | None:
        args, _ = self._args(run, call)
        return next((o.words[0].value for o in args if o.name == "-o"), None)

    def family_problem(self, doc: Document, ctx: RuleContext, stages: set[int], targets: list[str]) -> str | None:
        problem = super().family_problem(doc, ctx, stages, targets)
        build = ctx.build
        if problem or build is None:
            return problem
        folders = [""] + [e + "/" for e in build.entries("") or [] if build.is_dir(e)]
        for name in (f"{f}.mvn/{n}" for f in folders for n in ("maven.config", "jvm.config")):
            text = build.read_text(name) if build.is_file(name) and not build.is_ignored(name) else None
            m = _CONFIG_MOVES.search(text or "")
            if m is not None:
                return f"{name} in the build context has `{m.group(0)}`, which may move the local repository or make Maven offline"
        return None

    def store_problem(self, run: Run) -> str | None:
        problem = super().store_problem(run)
        if problem:
            return problem
        for call in run.calls:
            goals = [g for g in _maven(call).goals if _INSTALLS.match(g)]
            later = self.later_runs(run) if goals else []
            if later:
                return (
                    f"line {run.inst.line_no} installs into the local repository (`{goals[0]}`), which line "
                    f"{later[0].inst.line_no} may read, and could not download it again"
                )
        return None
