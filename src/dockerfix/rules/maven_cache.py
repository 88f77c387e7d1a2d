"""DFX217: Maven builds without a cache mount on its local repository."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field

from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.rules._jvm_cache import JvmStoreRule, absolute, java_home, one
from dockerfix.rules._mounts import earlier, mentions_path, within
from dockerfix.rules._package_cache import NotAdded, Run
from dockerfix.rules.base import Example

_VALUES = frozenset({"-f", "--file", "-s", "--settings", "-gs", "--global-settings", "-t", "--toolchains", "-gt",
                     "--global-toolchains", "-pl", "--projects", "-rf", "--resume-from", "-P", "--activate-profiles",
                     "-T", "--threads", "-l", "--log-file", "-b", "--builder", "-D", "--define", "--color",
                     "-emp", "--encrypt-master-password", "-ep", "--encrypt-password"})  # fmt: skip
_SETTINGS = re.compile(r"^(-s|-gs|--settings|--global-settings)(?:$|=)|^-g?s\S")
_INFO = frozenset({"-v", "--version", "-h", "--help"})
_INSTALLS = re.compile(r"^(install|deploy)$|^([\w.-]+:)?maven-(install|deploy)-plugin:|^(install|deploy):")
MAVEN = Grammar(frozenset({"mvn", "mvnw"}), _VALUES, frozenset("DPT"))


@dataclass
class MavenArgs:
    """A Maven command line as Maven reads it: options are words of their own (`-pl`, `-ntp`)."""

    options: list[str] = field(default_factory=list)
    properties: dict[str, list[str]] = field(default_factory=dict)  # -Dname=value
    goals: list[str] = field(default_factory=list)
    settings: list[str] = field(default_factory=list)  # the settings options as written


def maven_args(words: Iterable[str]) -> MavenArgs:
    out = MavenArgs()
    items = list(words)
    k = 0
    while k < len(items):
        word = items[k]
        if word in ("-D", "--define") and k + 1 < len(items):
            k += 1
            _define(out, items[k])
        elif word.startswith("--define="):
            _define(out, word.partition("=")[2])
        elif word.startswith("-D") and len(word) > 2:
            _define(out, word[2:])
        elif word.startswith("-"):
            name = word.partition("=")[0] if word.startswith("--") else word
            out.options.append(name)
            written = word
            if name in _VALUES and "=" not in word and k + 1 < len(items):
                k += 1
                written = f"{word} {items[k]}"
            if _SETTINGS.match(word):
                out.settings.append(written)
        else:
            out.goals.append(word)
        k += 1
    return out


def _define(out: MavenArgs, text: str) -> None:
    name, eq, value = text.partition("=")
    out.properties.setdefault(name, []).append(value if eq else "true")


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

    `.mvn/maven.config` is not read. A `-Dmaven.repo.local` there leaves the mount unused and the
    image as it was; a `-o` there makes every Maven `RUN` offline, which works only on a
    repository filled before the first of them, by a `COPY` (which keeps the mount away) or by
    the base image.

    ## When it leaves the RUN alone
    A Maven `RUN` of the family that could not download again (`-o`/`--offline`,
    `--network=none`, secret or ssh mounts that not all of them have); one that installs into
    the repository (`install`, `deploy`, `install:install-file`) followed by another Maven `RUN`
    that may read what it installed; a settings file that may move the repository or make Maven
    offline and is not read: `-s`/`-gs`, or one the Dockerfile copies or writes into `~/.m2`,
    `$MAVEN_HOME/conf` or `/etc/maven`; a later `COPY --from` or bind mount that reads the
    repository (or `~/.m2`) out of the family; a final image whose `CMD` or `ENTRYPOINT` runs
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

    def _args(self, run: Run, call: Call) -> tuple[MavenArgs, dict[str, list[str]]]:
        """The call's arguments with MAVEN_ARGS before them, and the properties MAVEN_OPTS sets."""
        env = run_env(run.state, call.invocation)
        for var in ("MAVEN_ARGS", "MAVEN_OPTS"):
            if var in env and env[var] is None:
                raise NotAdded(f"{var} is set to a value that is not known")
        try:
            before = shlex.split(env.get("MAVEN_ARGS") or "")
            opts = shlex.split(env.get("MAVEN_OPTS") or "")
        except ValueError:
            raise NotAdded("MAVEN_ARGS or MAVEN_OPTS cannot be read") from None
        args = maven_args(before + [w.value for w in call.invocation.argv[1:]])
        return args, maven_args(w for w in opts if w.startswith("-D")).properties

    def needs(self, call: Call) -> bool:
        args = maven_args(w.value for w in call.invocation.argv[1:])
        return bool(args.goals) or not _INFO & set(args.options)

    def store_of(self, run: Run, call: Call) -> str:
        home = java_home(run, call)
        args, opts = self._args(run, call)
        if args.settings:
            raise NotAdded(f"`{args.settings[0]}` names a settings file, which may move the local repository or make Maven offline, and is not read")
        user_home = one(args.properties.get("user.home", []) + opts.get("user.home", []), "user.home")
        if user_home is not None:
            home = absolute(run, "user.home", user_home)
        m2 = posixpath.join(home, ".m2")
        problem = self._settings_written(run, m2)
        if problem:
            raise NotAdded(problem)
        repo = one(args.properties.get("maven.repo.local", []) + opts.get("maven.repo.local", []), "maven.repo.local")
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
                commands = [inst.command_text] if inst.script.opaque else [
                    " ".join(w.value for w in cmd.words + cmd.redirects)
                    for cmd in inst.script.commands if read_call(cmd, self.grammar) is None
                ]  # fmt: skip
                for text in commands:
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
        return next((o for o in args.options if o in ("-o", "--offline")), None)

    def store_problem(self, run: Run) -> str | None:
        problem = super().store_problem(run)
        if problem:
            return problem
        for call in run.calls:
            goals = [g for g in maven_args(w.value for w in call.invocation.argv[1:]).goals if _INSTALLS.match(g)]
            later = self.later_runs(run) if goals else []
            if later:
                return (
                    f"line {run.inst.line_no} installs into the local repository (`{goals[0]}`), which line "
                    f"{later[0].inst.line_no} may read, and could not download it again"
                )
        return None
