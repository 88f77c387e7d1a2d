"""DFX102 for .NET: a whole-context copy before a `dotnet publish` (`build`, `test`, `run`,
`pack`) that restores its packages itself, with no `dotnet restore` first. The restore is run
before the copy, from the project files, with the same project and the options of the build that
decide what it restores, so that a code change no longer downloads every package again.

The build keeps its own restore (no `--no-restore` is added): with the same inputs it finds the
assets in place and changes nothing, and were they to differ in any way, it restores what the
build needs, as it did before. Adding `--no-restore` would be faster only where the two restores
are provably the same, and would break the build where they are not.
"""

from __future__ import annotations

import re

from dockerfix.document.model import Instruction
from dockerfix.document.shell import Command, parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.dotnet import (
    PROJECT_SUFFIXES,
    SOLUTION_SUFFIXES,
    DotnetCall,
    dotnet_call,
    msbuild_files,
    restore_reads,
    restores,
)
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.rules._download_first import DownloadStep, Read
from dockerfix.rules._split_reads import Skip

# options of the build that the restore takes as they are written
_CARRIED = frozenset({
    "--runtime", "--arch", "--os", "--use-current-runtime", "--property", "--configfile", "--source", "--packages",
    "--disable-parallel", "--no-cache", "--no-http-cache", "--ignore-failed-sources", "--interactive", "--force",
    "--no-dependencies", "--disable-build-servers",
})  # fmt: skip
# options that decide the restore as the MSBuild property they set
_PROPERTIES = {"--configuration": "Configuration", "--self-contained": "SelfContained", "--no-self-contained": "SelfContained"}
# options that change nothing of what is restored
_DROPPED = frozenset({
    "--output", "--verbosity", "--nologo", "--tl", "--version-suffix", "--no-incremental", "--target", "-bl",
    "-m", "-maxcpucount", "--logger", "--filter", "--results-directory", "--collect", "--settings", "--diag",
    "--blame", "--blame-crash", "--blame-hang", "--blame-hang-timeout", "--blame-crash-dump-type",
    "--blame-hang-dump-type", "--test-adapter-path", "--launch-profile", "--no-launch-profile", "--environment",
    "--include-symbols", "--include-source", "--serviceable", "--manifest", "--project",
})  # fmt: skip


def _building(run: Instruction) -> list[DotnetCall]:
    """The dotnet commands of the RUN that build, and restore first."""
    calls = [c for c in (dotnet_call(cmd) for cmd in run.script.commands) if c is not None]
    return [c for c in calls if c.verb != "restore" and restores(c)]


def _words(call: DotnetCall) -> list[str]:
    """The restore's words for the build ``call``: its project, then the options that decide
    what it restores; Skip for an option that cannot be carried."""
    if call.problem:
        raise Skip(f"`{call.call.text}`: {call.problem}")
    words = ["dotnet", "restore"]
    if call.verb == "run":
        if call.operands:
            raise Skip(f"`{call.call.text}` passes arguments that could name a file to run")
        words += [w.raw for o in call.call.options if o.name == "--project" for w in o.words[1:]]
    elif call.operands:
        words.append(call.operands[0].raw)
    for option in call.call.options:
        raw = [w.raw for w in option.words]
        if option.name in _CARRIED:
            words += raw
        elif option.name in _PROPERTIES:
            value = "false" if option.name == "--no-self-contained" else (option.value or "true")
            if not re.fullmatch(r"[\w.${}-]+", value):
                raise Skip(f"{' '.join(raw)} of `{call.call.text}` cannot be passed on as a property")
            words.append(f"-p:{_PROPERTIES[option.name]}={value}")
        elif option.name == "--framework":
            raise Skip(f"`{call.call.text}` builds one framework ({' '.join(raw)}), and `dotnet restore` takes no -f")
        elif option.name not in _DROPPED:
            raise Skip(f"{option.words[0].value} of `{call.call.text}` is not known to leave the restore unchanged")
    return words


def _step(run: Instruction, state: State, read: Read, glob: Glob) -> tuple[str, ProjectInstall] | None:
    calls = _building(run)
    if not calls:
        return None
    spelled = {" ".join(_words(c)) for c in calls}
    if len(spelled) > 1:
        raise Skip(f"the dotnet commands at line {run.line_no} would restore differently")
    command = spelled.pop()
    restore = dotnet_call(parse_shell(command).commands[0])
    assert restore is not None
    named = restore.project
    if named is None:
        listed = glob("*") or []
        if not any(n.endswith(PROJECT_SUFFIXES + SOLUTION_SUFFIXES) or n.endswith("proj") for n in listed):
            return None  # no .NET project in the build's folder
    found = restore_reads(restore, read, glob)
    build = calls[0]
    if not build.has("--configuration"):
        for name in msbuild_files(found):
            text = read(name)
            if text is not None and "$(Configuration)" in text.replace(" ", ""):
                raise Skip(
                    f"{name} uses $(Configuration), and `{build.call.text}` picks its configuration itself (pass -c)"
                )
    return command, found


def _check(run: Instruction, state: State, read: Read) -> None:
    """dotnet always restores (unless told not to, which DFX102 never sees as a build)."""


def _downloads(command: Command) -> bool:
    call = dotnet_call(command)
    return call is not None and call.verb == "restore"


def _builds(command: Command) -> bool:
    call = dotnet_call(command)
    return call is not None and call.verb != "restore" and restores(call)


DOTNET_FIRST = DownloadStep(
    tool="dotnet",
    subject="the NuGet packages",
    every="every package",
    manifest="",
    builds=_builds,
    downloads=_downloads,
    # MSBuild reads every variable as a property: any change between the copy and the build counts
    env=re.compile(r"^\w"),
    step=_step,
    check=_check,
)
