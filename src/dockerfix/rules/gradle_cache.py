"""DFX218: Gradle builds without a cache mount on its dependency caches."""

from __future__ import annotations

import posixpath
import shlex

from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.gradle import GRADLE
from dockerfix.ecosystems.packages import Call
from dockerfix.rules._jvm_cache import JvmStoreRule, absolute, java_home, one
from dockerfix.rules._package_cache import NotAdded, Run
from dockerfix.rules.base import Example

_INFO = frozenset({"-v", "--version", "-h", "-?", "--help", "--stop", "--status"})
# The gradle images link root's Gradle folder to the gradle user's (`ln -s /home/gradle/.gradle
# /root/.gradle`, https://github.com/keeganwitt/docker-gradle/blob/master/jdk21-noble/Dockerfile):
# the mounts go on the folder the link points to.
_LINKED = {"gradle": {"/root/.gradle": "/home/gradle/.gradle"}, "gradle-alpine": {"/root/.gradle": "/home/gradle/.gradle"}}


class GradleCacheMount(JvmStoreRule):
    """
    ## What it does
    Finds `RUN` instructions that run Gradle (`gradle`, `./gradlew`) without a BuildKit cache
    mount on its caches (`$GRADLE_USER_HOME/caches`).

    ## Why is this bad?
    Gradle downloads every plugin and dependency again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM gradle:8.10-jdk21 AS build
    WORKDIR /app
    COPY . .
    RUN gradle build --no-daemon

    FROM eclipse-temurin:21-jre
    COPY --from=build /app/build/libs/*.jar app.jar
    ```

    ## Use instead
    ```dockerfile
    FROM gradle:8.10-jdk21 AS build
    WORKDIR /app
    COPY . .
    RUN --mount=type=cache,target=/home/gradle/.gradle/caches,sharing=locked,id=gradle-caches-gradle-8.10-jdk21 gradle build --no-daemon

    FROM eclipse-temurin:21-jre
    COPY --from=build /app/build/libs/*.jar app.jar
    ```

    ## The fix
    Mounts `caches` under the Gradle user home: `-g`/`--gradle-user-home`, else the
    `gradle.user.home` property (`-D`, `GRADLE_OPTS`, `JAVA_OPTS`), else `GRADLE_USER_HOME`,
    else `.gradle` in Java's home folder (`/root/.gradle` for root). On the gradle images,
    `/root/.gradle` is a link to `/home/gradle/.gradle`, so the mount goes there. The Gradle
    user home itself, which holds `gradle.properties` and `init.d`, is never mounted, nor the
    project's `build/` and `.gradle/`. The compiler's class path points into
    `caches/modules-2`, so a family of stages (a stage built from an image and the stages built
    `FROM` it) gets the mount on all of its Gradle `RUN`s, with the same target and id, or on
    none. `sharing=locked`: Gradle's locks between processes do not work across the network
    namespaces of parallel builds. A `RUN` that runs the wrapper (`./gradlew`) also gets a mount
    on `wrapper` (the Gradle distributions), which it downloads again where the mount is empty.

    The gradle images declare `VOLUME /home/gradle/.gradle`: the legacy builder drops what a
    `RUN` writes there, BuildKit keeps it, so under BuildKit the caches were in the image.

    ## When it leaves the RUN alone
    A Gradle `RUN` of the family that could not download again (`--offline`, `--network=none`,
    secret or ssh mounts that not all of them have); a later `COPY --from` or bind mount that
    reads the caches (or the Gradle user home) out of the family; another command of the family
    that names the caches (`ls ~/.gradle/caches`; an `rm` is no reading); a final image whose `CMD` or
    `ENTRYPOINT` runs Gradle, or that sets neither; a non-root user (the gradle images end with
    `USER root`, and a `USER gradle` is left alone); a `HOME` other than root's; a Gradle user
    home through a variable not known; a `RUN` that runs the wrapper through a shell
    (`sh gradlew`); ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The image no longer holds Gradle's caches
    (nor the wrapper's Gradle distribution); a final image that runs `java -jar` does not read
    them.
    """

    code = "DFX218"
    name = "gradle-cache-not-mounted"
    summary = "Gradle builds without a cache mount on its caches"
    grammar = GRADLE
    tool = "gradle"
    store_name = "the caches"
    store_cache = "gradle-caches"
    wrapper_cache = "gradle-wrapper"
    wrappers = frozenset({"gradlew"})

    VALID = (
        Example(
            """
            FROM gradle:8.10-jdk21 AS build
            RUN --mount=type=cache,target=/home/gradle/.gradle/caches,sharing=locked gradle build
            FROM eclipse-temurin:21-jre
            COPY --from=build /home/gradle/build/libs/app.jar /app.jar
            """
        ),
        Example(
            """
            FROM gradle:8.10-jdk21
            RUN gradle --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM gradle:8.10-jdk21 AS build
            RUN gradle build --no-daemon
            FROM eclipse-temurin:21-jre
            COPY --from=build /home/gradle/build/libs/app.jar /app.jar
            """,
            """
            FROM gradle:8.10-jdk21 AS build
            RUN --mount=type=cache,target=/home/gradle/.gradle/caches,sharing=locked,id=gradle-caches-gradle-8.10-jdk21 gradle build --no-daemon
            FROM eclipse-temurin:21-jre
            COPY --from=build /home/gradle/build/libs/app.jar /app.jar
            """,
        ),
        Example(
            """
            FROM gradle:8.10-jdk21 AS build
            RUN gradle dependencies --no-daemon
            RUN gradle build --offline --no-daemon
            FROM eclipse-temurin:21-jre
            COPY --from=build /home/gradle/build/libs/app.jar /app.jar
            """,
            None,
            message="--offline",
        ),
    )

    def needs(self, call: Call) -> bool:
        return bool(call.subcommand) or not any(o.name in _INFO for o in call.options)

    def _home(self, run: Run, call: Call) -> str:
        home = java_home(run, call)
        env = run_env(run.state, call.invocation)
        flag = one(call.values("-g", "--gradle-user-home"), "--gradle-user-home")
        if flag is not None:
            return absolute(run, "--gradle-user-home", flag)
        props: list[str] = [v.partition("=")[2] for v in call.values("-D", "--system-prop") if v.startswith("gradle.user.home=")]
        for var in ("GRADLE_OPTS", "JAVA_OPTS"):
            if var in env and env[var] is None:
                raise NotAdded(f"{var} is set to a value that is not known")
            try:
                words = shlex.split(env.get(var) or "")
            except ValueError:
                raise NotAdded(f"{var} cannot be read") from None
            props += [w.partition("=")[2] for w in words if w.startswith("-Dgradle.user.home=")]
        prop = one(props, "gradle.user.home")
        if prop is not None:
            return absolute(run, "gradle.user.home", prop)
        if "GRADLE_USER_HOME" in env:
            value = env["GRADLE_USER_HOME"]
            if value is None:
                raise NotAdded("GRADLE_USER_HOME is set to a value that is not known")
            return absolute(run, "GRADLE_USER_HOME", value)
        folder = posixpath.join(home, ".gradle")
        image = run.state.image
        return _LINKED.get(image.id, {}).get(folder, folder) if image is not None else folder

    def spellings(self, target: str) -> list[str]:
        linked = [k + target[len(v) :] for links in _LINKED.values() for k, v in links.items() if target.startswith(v + "/")]
        names = super().spellings(target)
        for other in dict.fromkeys(linked):  # /root/.gradle/caches for /home/gradle/.gradle/caches
            names += super().spellings(other)
        return names

    def store_of(self, run: Run, call: Call) -> str:
        return posixpath.join(self._home(run, call), "caches")

    def wrapper_of(self, run: Run, call: Call) -> str:
        return posixpath.join(self._home(run, call), "wrapper")

    def offline(self, run: Run, call: Call) -> str | None:
        return "--offline" if call.has("--offline") else None
