"""DFX102 for Maven: a whole-context copy before an `mvn package` (any phase that compiles) with no
`mvn dependency:go-offline` first. The step is inserted before the copy, after a copy of pom.xml
and `.mvn/` (and the wrapper it runs), with the same executable and the options that decide what
is resolved (-s, -gs, -P, -D, -U, -pl, -am, -f...), so that a code change no longer downloads
every dependency again.

It is a warm-up at best: go-offline resolves the project's dependencies and plugins, but plugins
resolve more of their own when they run (surefire's providers, for one), and the build downloads
what go-offline missed, as before."""

from __future__ import annotations

import re
import shlex

from dockerfix.document.model import Instruction
from dockerfix.document.shell import Command, parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.maven import MavenCall, builds, maven_call, maven_install, modules
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.rules._download_first import DownloadStep, Read
from dockerfix.rules._split_reads import Skip

# the options the step keeps: those that decide what is resolved and how it is reported
_KEPT = frozenset({"-s", "-gs", "-t", "-gt", "-P", "-D", "-B", "-q", "-X", "-e", "-U", "-nsu", "-ntp", "-C", "-c",
                   "-pl", "-am", "-amd", "-f", "-fae", "-fn", "-llr", "-itr", "--color"})  # fmt: skip
_GOAL = "dependency:go-offline"


def _build_call(run: Instruction) -> MavenCall:
    found = next((c for c in (maven_call(cmd) for cmd in run.script.commands if builds(cmd)) if c is not None), None)
    assert found is not None  # build_after found it
    return found


def _spell(value: str, raw: str, exec_form: bool) -> str:
    return shlex.quote(value) if exec_form else raw


def _step(run: Instruction, state: State, read: Read, glob: Glob) -> tuple[str, ProjectInstall]:
    found = _build_call(run)
    exec_form = run.script.exec_form
    words = [_spell(w.value, w.raw, exec_form) for w in found.call.invocation.command.assignments]
    words.append(_spell(found.call.tool.value, found.call.tool.raw, exec_form))
    for option in found.call.options:
        if option.name in _KEPT:
            words += [_spell(w.value, w.raw, exec_form) for w in option.words]
    words.append(_GOAL)
    command = " ".join(words)
    install = maven_install(parse_shell(command).commands[0], read)
    assert install is not None
    return command, install


def _check(run: Instruction, state: State, read: Read) -> None:
    """Stop where the build downloads nothing, or go-offline could fail where it does not."""
    found = _build_call(run)
    call = found.call
    if found.unknown:
        raise Skip(f"the Maven build at line {run.line_no} has an option that is not known ({found.unknown})")
    if call.has("-o"):
        raise Skip(f"the Maven build at line {run.line_no} runs offline (-o), so it downloads nothing")
    if call.sudo:
        raise Skip(f"the Maven build at line {run.line_no} runs through sudo")
    config = read(".mvn/maven.config") or ""
    if re.search(r"(?m)(^|\s)(-o|--offline)(\s|$)", config):
        raise Skip(".mvn/maven.config makes Maven run offline, so the build downloads nothing")
    for name in call.values("-s"):
        settings = read(name)
        if settings is not None and re.search(r"<offline>\s*true\s*</offline>", settings):
            raise Skip(f"{name} makes Maven run offline, so the build downloads nothing")
    if call.name == "mvnw" and "/" in call.tool.value and read(".mvn/wrapper/maven-wrapper.properties") is None:
        raise Skip(".mvn/wrapper/maven-wrapper.properties is not in the copy, so the wrapper cannot run before it")
    pom = next((v if v.endswith(".xml") else v.rstrip("/") + "/pom.xml" for v in call.values("-f")), "pom.xml")
    listed = modules(pom, read)
    if listed is None and read(pom) is not None:
        raise Skip(f"{pom} does not parse as XML")
    if listed:
        raise Skip(
            f"{pom} lists modules, and go-offline cannot resolve a module that depends on another module "
            "of the build (MDEP-516): it would fail where the build does not"
        )


def _downloads(command: Command) -> bool:
    return maven_install(command, lambda _: None) is not None


MAVEN_FIRST = DownloadStep(
    tool="Maven",
    subject="the Maven dependencies",
    every="every dependency",
    manifest="pom.xml",
    builds=builds,
    downloads=_downloads,
    # what decides where and how Maven resolves
    env=re.compile(r"^(MAVEN_\w*|M2_HOME|JAVA_HOME|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|HTTPS?_PROXY|NO_PROXY|https?_proxy|no_proxy|HOME)$"),
    step=_step,
    check=_check,
)
