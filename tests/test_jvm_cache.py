"""Where the Maven and Gradle rules find the store, and what keeps them from mounting it."""

from __future__ import annotations

import pytest

from dockerfix.ecosystems.maven import defined, text_args
from dockerfix.settings import Settings
from helpers import fix_text

_FINAL = "FROM eclipse-temurin:21-jre\nCOPY --from=build /app/app.jar /app.jar\n"


def _fix(code: str, build: str) -> tuple[str, str]:
    output, findings = fix_text(build + _FINAL, settings=Settings(select=(code,)))
    return output, "\n".join(f.message for f in findings)


def test_maven_options_are_read_as_mvn_reads_them() -> None:
    found = text_args("-B -ntp -nsu -pl core,api -Dmaven.repo.local=/r -D skipTests verify")
    assert found is not None
    options, goals, unknown = found
    assert [g.value for g in goals] == ["verify"] and unknown is None
    assert defined(options, "maven.repo.local") == ["/r"] and defined(options, "skipTests") == ["true"]
    for text, value in [("-s ci.xml package", "ci.xml"), ("-sci.xml", "ci.xml"), ("--settings=g.xml", "g.xml")]:
        assert [(o.name, o.value) for o in text_args(text)[0]] == [("-s", value)]  # type: ignore[index]
    assert [(o.name, o.value) for o in text_args("-gsglobal.xml -plapi")[0]] == [("-gs", "global.xml"), ("-pl", "api")]  # type: ignore[index]
    assert text_args("-Dx='open") is None


@pytest.mark.parametrize(
    ("run", "target"),
    [("mvn -Dmaven.repo.local=/cache/m2 package", "/cache/m2"),
     ("MAVEN_OPTS=-Dmaven.repo.local=/cache/m2 mvn package", "/cache/m2"),
     ("mvn -Duser.home=/var/maven package", "/var/maven/.m2/repository"),
     ("mvn -Dmaven.repo.local=.m2repo package", "/app/.m2repo")],
)  # fmt: skip
def test_maven_repository_moves(run: str, target: str) -> None:
    output, _ = _fix("DFX217", f"FROM maven:3.9-eclipse-temurin-21 AS build\nWORKDIR /app\nRUN {run}\n")
    assert f"--mount=type=cache,target={target},sharing=locked,id=maven-repository-" in output


@pytest.mark.parametrize(
    ("lines", "reason"),
    [("RUN mvn -s ci-settings.xml package\n", "`-s ci-settings.xml` names a settings file"),
     ("RUN mvn package -nsu --offline\n", "runs mvn with --offline"),
     ("ENV MAVEN_ARGS=-o\nRUN mvn package\n", "runs mvn with -o"),
     ("RUN echo '<settings/>' > /root/.m2/settings.xml\nRUN mvn package\n", "line 3 writes or names /root/.m2"),
     ("ENV HOME=/app\nRUN mvn package\n", "HOME is set to /app"),
     ("USER 1000\nRUN mvn package\n", "not as root"),
     ("RUN mvn package\nRUN --network=none mvn verify\n", "runs with --network=none"),
     ("RUN sh mvnw package\nRUN mvn verify\n", "line 3 runs mvn in a shell that cannot be read")],
)  # fmt: skip
def test_maven_left_alone(lines: str, reason: str) -> None:
    text = "FROM maven:3.9-eclipse-temurin-21 AS build\nWORKDIR /app\n" + lines
    output, messages = _fix("DFX217", text)
    assert output == text + _FINAL
    assert reason in messages


def test_maven_install_in_the_last_run_is_mounted() -> None:
    output, _ = _fix("DFX217", "FROM maven:3.9-eclipse-temurin-21 AS build\nRUN mvn dependency:go-offline\nRUN mvn install\n")
    assert output.count("target=/root/.m2/repository,sharing=locked") == 2


def test_maven_final_image_that_runs_maven_keeps_its_repository() -> None:
    text = "FROM maven:3.9-eclipse-temurin-21\nRUN mvn package\nCMD [\"mvn\", \"spring-boot:run\"]\n"
    output, findings = fix_text(text, settings=Settings(select=("DFX217",)))
    assert output == text
    assert "line 3 runs mvn in the final image" in findings[0].message


@pytest.mark.parametrize(
    ("base", "run", "targets"),
    [("gradle:8.10-jdk21", "gradle build", ["/home/gradle/.gradle/caches"]),
     ("gradle:8.10-jdk21-alpine", "gradle build", ["/home/gradle/.gradle/caches"]),
     ("eclipse-temurin:21-jdk", "./gradlew build", ["/root/.gradle/caches", "/root/.gradle/wrapper"]),
     ("eclipse-temurin:21-jdk", "./gradlew -g /cache/g build", ["/cache/g/caches", "/cache/g/wrapper"]),
     ("eclipse-temurin:21-jdk", "GRADLE_OPTS=-Dgradle.user.home=/g gradle build", ["/g/caches"])],
)  # fmt: skip
def test_gradle_user_home(base: str, run: str, targets: list[str]) -> None:
    output, _ = _fix("DFX218", f"FROM {base} AS build\nRUN {run}\n")
    mounts = [m.removeprefix("--mount=type=cache,target=").split(",")[0] for m in output.split() if "type=cache" in m]
    assert mounts == targets
    assert all("sharing=locked" in m for m in output.split() if "type=cache" in m)


def test_gradle_home_through_an_unknown_variable_is_left_alone() -> None:
    text = "FROM eclipse-temurin:21-jdk AS build\nARG CACHE\nENV GRADLE_USER_HOME=$CACHE\nRUN gradle build\n"
    output, messages = _fix("DFX218", text)
    assert output == text + _FINAL
    assert "GRADLE_USER_HOME" in messages


@pytest.mark.parametrize(
    ("code", "base", "lines", "reason"),
    [("DFX217", "maven:3.9-eclipse-temurin-21", "RUN mvn install\nRUN cp -r ~/.m2/repository/com /deps\n",
      "line 4 reads ~/.m2/repository other than through mvn"),
     ("DFX218", "gradle:8.10-jdk21", "RUN gradle build\nRUN ls $HOME/.gradle/caches/modules-2\n",
      "line 4 reads $HOME/.gradle/caches other than through gradle")],
)  # fmt: skip
def test_store_read_by_another_command_is_left_alone(code: str, base: str, lines: str, reason: str) -> None:
    text = f"FROM {base} AS build\nWORKDIR /app\n{lines}"
    output, messages = _fix(code, text)
    assert output == text + _FINAL
    assert reason in messages


def test_store_removed_later_is_still_mounted() -> None:
    output, _ = _fix("DFX217", "FROM maven:3.9-eclipse-temurin-21 AS build\nRUN mvn package\nRUN rm -rf /root/.m2\n")
    assert "--mount=type=cache,target=/root/.m2/repository" in output


def test_maven_config_in_the_context_is_read() -> None:
    text = "FROM maven:3.9-eclipse-temurin-21 AS build\nWORKDIR /app\nCOPY . .\nRUN mvn package\n"
    for config, found in [("-s\nci.xml\n", "`-s`"), ("-Duser.home=/x", "`user.home`"), ("-B -ntp\n", None)]:
        output, findings = fix_text(text + _FINAL, files={"pom.xml": "<project/>", "backend/.mvn/maven.config": config},
                                    settings=Settings(select=("DFX217",)))  # fmt: skip
        messages = "\n".join(f.message for f in findings)
        assert (found is None) == ("type=cache" in output)
        assert found is None or f"backend/.mvn/maven.config in the build context has {found}" in messages
