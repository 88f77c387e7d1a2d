"""Maven's and Gradle's dependencies-only steps as the split, DFX102 and the effects model read them."""

from __future__ import annotations

import pytest

from dockerfix.document.shell import parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.command_effects import command_effects
from dockerfix.ecosystems.maven import builds, dependency_goal, maven_call
from dockerfix.ecosystems.projects import project_install


def _command(text: str):  # type: ignore[no-untyped-def]
    return parse_shell(text).commands[0]


def _pom(body: str = "", parent: str = "") -> str:
    return (
        '<?xml version="1.0"?>\n<project xmlns="http://maven.apache.org/POM/4.0.0">\n'
        f"<modelVersion>4.0.0</modelVersion>{parent}<artifactId>a</artifactId>{body}</project>\n"
    )


def _install(text: str, files: dict[str, str]):  # type: ignore[no-untyped-def]
    found = project_install(_command(text), files.get)
    assert found is not None
    return found


@pytest.mark.parametrize(
    ("goal", "expected"),
    [("dependency:go-offline", True), ("dependency:resolve", True), ("dependency:resolve-plugins", True),
     ("org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline", True),
     ("org.apache.maven.plugins:maven-dependency-plugin:go-offline", True),
     ("dependency:tree", False), ("package", False), ("go-offline", False)],
)  # fmt: skip
def test_dependency_goals(goal: str, expected: bool) -> None:
    assert dependency_goal(goal) is expected


def test_mvn_options_are_told_from_goals() -> None:
    found = maven_call(_command("./mvnw -B -pl api -am -DskipTests -Pprod -s settings.xml -T 4 --also-make dependency:go-offline"))
    assert found is not None and found.unknown is None
    assert found.goals == ["dependency:go-offline"]
    assert found.call.values("-pl") == ["api"] and found.call.values("-P") == ["prod"] and found.call.values("-T") == ["4"]
    assert found.properties() == {"skipTests": "true"}
    assert maven_call(_command("mvn --frobnicate package")).unknown == "--frobnicate"  # type: ignore[union-attr]
    assert builds(_command("mvn -B clean package")) and builds(_command("/usr/bin/mvn verify"))
    assert not builds(_command("mvn dependency:go-offline")) and not builds(_command("mvn clean"))


def test_go_offline_reads_the_poms_of_its_modules_and_folders() -> None:
    files = {
        "pom.xml": _pom("<modules><module>api</module></modules>"
                        "<profiles><profile><modules><module>it/pom.xml</module></modules></profile></profiles>"),
        "api/pom.xml": _pom(parent="<parent><artifactId>p</artifactId></parent>"),
        "it/pom.xml": _pom(),
    }  # fmt: skip
    found = _install("./mvnw -s .mvn/settings.xml -t toolchains.xml dependency:go-offline", files)
    assert found.tool == "mvn" and found.problem is None and found.source is None
    assert set(found.files) == {"mvnw", "toolchains.xml", "pom.xml", "api/pom.xml", "it/pom.xml"}
    assert found.dirs == [".mvn"]  # .mvn/settings.xml comes with it
    assert found.environments == ()


@pytest.mark.parametrize(
    ("files", "problem"),
    [({"pom.xml": _pom("<modules><module>core</module></modules>")}, "the module pom core/pom.xml is not in the copy"),
     ({"pom.xml": _pom("<modules><module>../lib</module></modules>")}, "outside the copied folder"),
     ({"pom.xml": "<project><artifactId>a</project>"}, "pom.xml does not parse as XML"),
     ({"pom.xml": _pom("<dependencies><dependency><systemPath>${env.LIB}/x.jar</systemPath></dependency></dependencies>")},
      "systemPath ${env.LIB}/x.jar"),
     ({"pom.xml": _pom(), ".mvn/extensions.xml": "<extensions><extension><groupId>g</groupId></extension></extensions>"},
      "core extensions")],
)  # fmt: skip
def test_poms_that_are_not_followed(files: dict[str, str], problem: str) -> None:
    found = _install("mvn dependency:go-offline", files)
    assert found.problem is not None and problem in found.problem


def test_local_jars_repositories_and_parents_are_read_first() -> None:
    files = {
        "pom.xml": _pom(
            "<dependencies><dependency><systemPath>${project.basedir}/lib/x.jar</systemPath></dependency></dependencies>"
            "<repositories><repository><url>file://${basedir}/repo</url></repository></repositories>",
            parent="<parent><relativePath>parent/pom.xml</relativePath></parent>",
        ),
        "parent/pom.xml": _pom(),
    }
    found = _install("mvn -Dmaven.repo.local=.m2/repository dependency:resolve", files)
    assert found.problem is None
    assert "lib/x.jar" in found.optional and "parent/pom.xml" in found.optional and "repo" in found.dirs
    assert found.environments == (".m2/repository",)


def test_other_goals_need_the_source_and_other_commands_are_not_installs() -> None:
    found = _install("mvn dependency:go-offline package", {"pom.xml": _pom()})
    assert found.source is not None and "package" in found.source
    assert project_install(_command("mvn -B package"), {"pom.xml": _pom()}.get) is None
    assert project_install(_command("gradle build"), {}.get) is None
    assert _install("mvn -f backend dependency:go-offline", {"backend/pom.xml": _pom()}).files == ["backend/pom.xml"]


def test_gradle_reads_settings_and_included_projects() -> None:
    files = {
        "settings.gradle": "// the build\nrootProject.name = 'shop'\ninclude 'app', ':libs:core'\n"
                           "pluginManagement {\n  includeBuild('build-logic')\n  repositories { gradlePluginPortal() }\n}\n",
        "build.gradle": "plugins { id 'java' }\n",
        "app/build.gradle": "dependencies { implementation project(':libs:core') }\n",
    }  # fmt: skip
    found = _install("./gradlew dependencies --no-daemon -x test", files)
    assert found.tool == "gradle" and found.problem is None and found.source is None
    assert found.files == ["settings.gradle", "gradlew"]
    assert {"app/build.gradle", "libs/core/build.gradle.kts", "gradle.properties"} <= set(found.optional)
    assert found.dirs == ["gradle", "buildSrc", "build-logic"]
    assert ".gradle" in found.environments and "build-logic/build" in found.environments


@pytest.mark.parametrize(
    ("command", "files", "problem"),
    [("gradle dependencies", {"settings.gradle": "rootProject.name = 'a'\n\nfile('x').eachDir { include it.name }\n"},
      "settings.gradle line 3 is not read"),
     ("gradle dependencies", {"settings.gradle.kts": 'include(":a")\nproject(":a").projectDir = file("x")\n'},
      "settings.gradle.kts line 2 is not read"),
     ("gradle dependencies", {"build.gradle": "apply from: 'deps.gradle'\n"}, "build.gradle line 1 may read other files"),
     ("gradle dependencies", {"build.gradle": "version = gitVersion()\n", ".git/HEAD": "ref: x\n"}, "(`git`)"),
     ("gradle dependencies --write-locks", {"build.gradle": ""}, "writes lock or verification files"),
     ("gradle -p app dependencies", {"build.gradle": ""}, "works with another folder"),
     ("gradle dependencies", {"settings.gradle": "includeBuild '../shared'\n"}, "outside the copied folder")],
)  # fmt: skip
def test_gradle_builds_that_are_not_followed(command: str, files: dict[str, str], problem: str) -> None:
    found = _install(command, files)
    assert found.problem is not None and problem in found.problem


def test_gradle_tasks_beside_need_the_source() -> None:
    found = _install("gradle dependencies build", {"build.gradle": ""})
    assert found.source is not None and "build" in found.source
    assert _install("gradle :app:dependencies", {"build.gradle": ""}).source is None


def test_effects_of_maven_and_gradle() -> None:
    state = State(workdir="/app", env={"HOME": "/root"})
    go_offline = command_effects(_command("mvn dependency:go-offline"), state, "/app")
    assert go_offline.unknown is None
    assert go_offline.writes.meets(command_effects(_command("cat /root/.m2/settings.xml"), state, "/app").reads) is not None
    assert command_effects(_command("mvn --version"), state, "/app").unknown is None
    moved = command_effects(_command("gradle dependencies"), State(workdir="/app", env={"GRADLE_OPTS": "-Dgradle.user.home=/x"}), "/app")
    assert moved.unknown is not None and "GRADLE_OPTS" in moved.unknown
    elsewhere = command_effects(_command("mvn -Dmaven.repo.local=/cache/m2 dependency:go-offline"), state, "/app")
    assert elsewhere.writes.meets(command_effects(_command("cat /cache/m2/x"), state, "/app").reads) is not None


def test_maven_config_moves_the_repository_the_split_writes() -> None:
    files = {"pom.xml": _pom(), ".mvn/maven.config": "-B\n-Dmaven.repo.local=.repo\n"}
    assert _install("mvn dependency:go-offline", files).environments == (".repo",)
    assert _install("mvn -Dmaven.repo.local=/r dependency:go-offline", files).environments == ()
    files[".mvn/maven.config"] = "-Dx='open\n"
    assert _install("mvn dependency:go-offline", files).problem == ".mvn/maven.config does not split into words"


def test_gradle_test_filters_are_not_tasks() -> None:
    found = _install("gradle test --tests com.example.AppTest dependencies", {"build.gradle": ""})
    assert found.call.subcommand == "test" and [w.value for w in found.call.operands] == ["dependencies"]
