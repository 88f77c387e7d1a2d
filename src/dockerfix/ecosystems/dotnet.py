""".NET's `dotnet` commands: their options, and what `dotnet restore` (and `dotnet tool restore`)
reads, the dependencies-only step of a .NET project.

A restore reads the project or solution it is given (or the single one of its folder: with
several, dotnet stops with an error), every project a solution lists (`.sln` lines, `.slnx`
XML), every `<ProjectReference>` and `<Import>` of them, followed, the MSBuild and NuGet files
found by walking up from each project (`Directory.Build.props`, `Directory.Build.targets`,
`Directory.Packages.props`, `NuGet.Config`), `global.json`, each project's `packages.lock.json`,
and the local package sources a NuGet.Config or the command names. Those files keep their
folder layout. A path it cannot follow (a `$(Property)`, a wildcard, a file outside the copy, a
file that does not parse) makes it a problem: the split is then not made, with the reason.

The reader is XML through the standard library: MSBuild files usually have no namespace, but
may have MSBuild's; both are read alike.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING

from dockerfix.document.options import Option
from dockerfix.document.shell import Command, ShellWord
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.records import field, frozen, record, replace

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

# the words after `dotnet` are read by dotnet_call: the grammar only finds the verb
DOTNET = Grammar(frozenset({"dotnet"}), frozenset(), frozenset())

# the verbs that build a project, and restore it first unless told not to
BUILDS = frozenset({"build", "publish", "test", "run", "pack"})
# project and solution files dotnet picks in a folder
PROJECT_SUFFIXES = (".csproj", ".fsproj", ".vbproj", ".proj", ".sqlproj", ".esproj")
SOLUTION_SUFFIXES = (".sln", ".slnx")

_ALIASES = {
    "-c": "--configuration", "-r": "--runtime", "-a": "--arch", "-f": "--framework", "-o": "--output",
    "-s": "--source", "-v": "--verbosity", "-p": "--property", "-property": "--property", "/p": "--property",
    "/property": "--property", "--ucr": "--use-current-runtime", "--sc": "--self-contained", "-e": "--environment",
    "-l": "--logger", "-d": "--diag", "-t": "--target", "-target": "--target", "/t": "--target",
}  # fmt: skip
# the verbs whose one-letter options mean something else
_VERB_ALIASES = {"test": {"-s": "--settings"}, "pack": {"-s": "--serviceable"}, "nuget locals": {"-c": "--clear", "-l": "--list"}}
_VALUES = frozenset({
    "--configuration", "--runtime", "--arch", "--os", "--framework", "--output", "--source", "--verbosity",
    "--property", "--configfile", "--packages", "--lock-file-path", "--version-suffix", "--project",
    "--launch-profile", "--environment", "--logger", "--filter", "--results-directory", "--settings", "--collect",
    "--diag", "--test-adapter-path", "--blame-hang-timeout", "--blame-crash-dump-type", "--blame-hang-dump-type",
    "--manifest", "--tool-manifest", "--file",
})  # fmt: skip
# options that take true or false when followed by one
_BOOLEANS = frozenset({"--self-contained", "--use-current-runtime"})
_SWITCH = re.compile(r"^(/[A-Za-z][\w-]*)[:=](.*)$", re.S)  # MSBuild's /p:Name=Value

# what MSBuild and NuGet find by walking up from a project (the spellings NuGet looks for)
WALKED_UP = (
    "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props", "Directory.Build.rsp",
    "NuGet.Config", "nuget.config", "NuGet.config",
)  # fmt: skip
_CONFIGS = ("NuGet.Config", "nuget.config", "NuGet.config")
_LEVELS_ABOVE = 8  # how far above the install's folder a walk up is listed (outside the copy: dropped)


@frozen
class DotnetCall:
    """A dotnet command, its options named as the CLI documents them (`-c` is --configuration,
    `-p:X=Y` and `/p:X=Y` are --property X=Y)."""

    call: Call
    verb: str  # "" when there is none
    operands: tuple[ShellWord, ...]
    problem: str | None = None  # a word this reader cannot place

    @property
    def project(self) -> str | None:
        return self.operands[0].value if self.operands else None

    def has(self, *names: str) -> bool:
        return self.call.has(*names)

    def values(self, *names: str) -> list[str]:
        return self.call.values(*names)


def dotnet_call(command: Command) -> DotnetCall | None:
    """The dotnet command ``command`` runs, if it runs one."""
    call = read_call(command, DOTNET)
    if call is None:
        return None
    words = call.invocation.argv[1:]
    verb_at = next((k for k, w in enumerate(words) if not w.value.startswith("-")), None)
    if verb_at is None:
        return DotnetCall(call, "", ())
    verb = words[verb_at].value
    rest = words[verb_at + 1 :]
    if verb in ("tool", "nuget", "workload", "new", "sln", "add", "remove", "list") and rest and not rest[0].value.startswith("-"):
        verb = f"{verb} {rest[0].value}"
        rest = rest[1:]
    options, operands, problem = _options(words[:verb_at] + rest, _VERB_ALIASES.get(verb, {}))
    return DotnetCall(replace(call, options=tuple(options), operands=tuple(operands)), verb, tuple(operands), problem)


def _options(words: tuple[ShellWord, ...], aliases: dict[str, str]) -> tuple[list[Option], list[ShellWord], str | None]:
    options: list[Option] = []
    operands: list[ShellWord] = []
    problem: str | None = None
    k = 0
    while k < len(words):
        w = words[k]
        v = w.value
        k += 1
        if v == "--":
            break  # what follows goes to the application (`dotnet run -- args`)
        switch = _SWITCH.match(v)
        if not v.startswith("-") and switch is None:
            operands.append(w)
            continue
        if switch is not None:
            name, value = switch.group(1), switch.group(2)
        else:
            cut = min((i for i in (v.find(":"), v.find("=")) if i > 0), default=-1)
            name, value = (v[:cut], v[cut + 1 :]) if cut > 0 else (v, None)
        name = aliases.get(name) or _ALIASES.get(name) or name
        spelled: tuple[ShellWord, ...] = (w,)
        if value is None and name in _VALUES:
            if k >= len(words):
                problem = problem or f"{v} has no value"
                continue
            value = words[k].value
            spelled = (w, words[k])
            k += 1
        elif value is None and name in _BOOLEANS and k < len(words) and words[k].value in ("true", "false"):
            value = words[k].value
            spelled = (w, words[k])
            k += 1
        options.append(Option(name, value, spelled))
    return options, operands, problem


def restores(call: DotnetCall) -> bool:
    """Whether the command restores a project: `dotnet restore`, or a build without --no-restore."""
    if call.verb == "restore":
        return True
    if call.verb not in BUILDS or call.has("--no-restore", "--no-build"):
        return False
    return not (call.verb == "test" and call.project is not None and call.project.endswith((".dll", ".exe")))


@record
class _Walk:
    found: ProjectInstall
    read: ReadText
    seen: set[str] = field(default_factory=set)
    folders: set[str] = field(default_factory=set)  # the folders of the projects read

    def fail(self, why: str) -> None:
        self.found.problem = self.found.problem or why


def dotnet_restore(command: Command, read: ReadText, glob: Glob | None = None) -> ProjectInstall | None:
    """The `dotnet restore` (or `dotnet tool restore`) ``command`` runs, if it runs one."""
    call = dotnet_call(command)
    if call is None or call.verb not in ("restore", "tool restore"):
        return None
    return restore_reads(call, read, glob)


def restore_reads(call: DotnetCall, read: ReadText, glob: Glob | None = None) -> ProjectInstall:
    """What the restore of a dotnet command reads in its folder (a `dotnet restore`, or the
    implicit restore of `dotnet build`)."""
    found = ProjectInstall("dotnet", call.call, [], _ancestors(".", "global.json"), environments=())
    walk = _Walk(found, read)
    if call.problem:
        walk.fail(f"`{call.call.text}`: {call.problem}")
    if call.verb == "tool restore":
        manifests = _ancestors(".", ".config/dotnet-tools.json", "dotnet-tools.json")
        found.files += [n for n in manifests[:1] if read(n) is not None]
        found.optional += [n for n in manifests + _ancestors(".", *_CONFIGS) if n not in found.files]
        _command_inputs(call, walk)
        return found
    if len(call.operands) > 1:
        walk.fail(f"`{call.call.text}` names more than one project")
    target = _target(call, walk, glob)
    if target is not None:
        if target.endswith(SOLUTION_SUFFIXES):
            _solution(target, walk)
        else:
            _project(target, walk)
    for folder in sorted(walk.folders):
        found.optional += [n for n in _ancestors(folder, *WALKED_UP) if n not in found.optional]
        lock = _join(folder, "packages.lock.json")
        if lock not in found.optional:
            found.optional.append(lock)
        found.environments += (_join(folder, "obj"),)
    for name in [n for n in found.optional if posixpath.basename(n) in _CONFIGS]:
        _config(name, walk)
    for name in [n for n in found.optional if posixpath.basename(n).startswith("Directory.")]:
        text = read(name)
        if text is not None and name.endswith((".props", ".targets")):
            _msbuild(name, text, walk)
    _command_inputs(call, walk)
    return found


def _target(call: DotnetCall, walk: _Walk, glob: Glob | None) -> str | None:
    """The project or solution file the command works on, relative to its folder."""
    given = call.values("--project") + ([call.project] if call.project is not None else [])
    name = _path(given[0]) if given else "."
    if name is None:
        walk.fail(f"`{call.call.text}` names its project through a variable")
        return None
    name = _join(".", name)
    if name.endswith(PROJECT_SUFFIXES + SOLUTION_SUFFIXES) or name.endswith("proj"):
        return name
    if name.endswith(".slnf"):
        walk.fail(f"`{call.call.text}` restores a solution filter ({name}), which is not followed")
        return None
    if glob is None:
        # the folder's files cannot be listed (a caller without a context): its project's obj/
        walk.found.environments += (_join(name, "obj"),)
        return None
    listed = glob(_join(name, "*"))
    if listed is None:
        walk.fail(f"the folder of `{call.call.text}` is not in the copy")
        return None
    candidates = sorted(n for n in listed if n.endswith(SOLUTION_SUFFIXES) or n.endswith("proj"))
    if len(candidates) != 1:
        what = "no project or solution file" if not candidates else f"several ({', '.join(candidates)})"
        walk.fail(f"`{call.call.text}` runs in a folder with {what}, where dotnet stops with an error")
        return None
    return candidates[0]


def _solution(name: str, walk: _Walk) -> None:
    text = walk.read(name)
    if text is None:
        walk.found.files.append(name)  # a missing solution is reported by the caller
        return
    walk.found.files.append(name)
    here = posixpath.dirname(name)
    walk.found.optional += [n for n in (_join(here, "Directory.Solution.props"), _join(here, "Directory.Solution.targets"))]
    if name.endswith(".slnx"):
        root = _xml(name, text, walk)
        paths = [e.get("Path") or "" for e in root.iter() if _tag(e) == "Project"] if root is not None else []
    else:
        paths = re.findall(r'(?m)^\s*Project\("[^"]*"\)\s*=\s*"[^"]*"\s*,\s*"([^"]+)"', text)
    for path in paths:
        if not path.replace("\\", "/").endswith("proj"):
            continue  # a solution folder
        _reference(name, path, walk, "lists")


def _project(name: str, walk: _Walk) -> None:
    if name in walk.seen:
        return
    walk.seen.add(name)
    walk.found.files.append(name)
    walk.folders.add(posixpath.dirname(name) or ".")
    text = walk.read(name)
    if text is not None:
        _msbuild(name, text, walk)


def _msbuild(name: str, text: str, walk: _Walk) -> None:
    """Follow a project's (or an imported file's) project references and imports."""
    root = _xml(name, text, walk)
    if root is None:
        return
    for element in root.iter():
        tag = _tag(element)
        if tag == "ProjectReference" and element.get("Include"):
            for include in (element.get("Include") or "").split(";"):
                if include.strip():
                    _reference(name, include.strip(), walk, "references")
        elif tag == "Import" and element.get("Project"):
            _import(name, element.get("Project") or "", walk)


def _reference(owner: str, include: str, walk: _Walk, verb: str) -> None:
    path = _path(include)
    if path is None or any(c in include for c in "*?"):
        walk.fail(f"{owner} {verb} {include}, which is not followed (a property or a wildcard)")
        return
    target = _join(posixpath.dirname(owner), path)
    if _outside(target):
        walk.fail(f"{owner} {verb} {include}, outside the copied folder")
        return
    _project(target, walk)


def _import(owner: str, project: str, walk: _Walk) -> None:
    path = _path(project)
    if path is None or any(c in project for c in "*?"):
        if project.replace(" ", "").startswith("$(MSBuildExtensionsPath") or "GetPathOfFileAbove" in project:
            return  # the SDK's own files, or the next Directory.Build.* up, which the walk lists
        walk.fail(f"{owner} imports {project}, which is not followed (a property or a wildcard)")
        return
    target = _join(posixpath.dirname(owner), path)
    if _outside(target) or target.startswith("/"):
        walk.fail(f"{owner} imports {project}, outside the copied folder")
        return
    if target in walk.seen:
        return
    walk.seen.add(target)
    text = walk.read(target)
    walk.found.files.append(target)
    if text is not None:
        _msbuild(target, text, walk)


def _config(name: str, walk: _Walk) -> None:
    """A NuGet.Config's local package sources, and a packages folder it moves."""
    text = walk.read(name)
    if text is None:
        return
    root = _xml(name, text, walk)
    if root is None:
        return
    here = posixpath.dirname(name)
    for section in root:
        if _tag(section) != "packageSources":
            continue
        for entry in section:
            value = entry.get("value") or ""
            if _tag(entry) != "add" or "://" in value:
                continue
            _local_source(name, here, value, walk)


def _local_source(owner: str, here: str, value: str, walk: _Walk) -> None:
    path = _path(value)
    if path is None or "%" in value:
        walk.fail(f"{owner} takes packages from {value}, a path not known")
        return
    if path.startswith("/"):
        return  # an image folder: the split does not move it
    folder = _join(here, path)
    if _outside(folder):
        walk.fail(f"{owner} takes packages from {value}, outside the copied folder")
        return
    if folder not in walk.found.dirs:
        walk.found.dirs.append(folder)


def _command_inputs(call: DotnetCall, walk: _Walk) -> None:
    """The files and folders the command's own options name."""
    for value in call.values("--configfile"):
        path = _path(value)
        if path is None:
            walk.fail(f"--configfile {value} is a path not known")
        elif not path.startswith("/"):
            walk.found.files.append(path)
            _config(path, walk)
    for value in call.values("--source"):
        if "://" not in value:
            _local_source(f"`{call.call.text}`", ".", value, walk)
    for value in call.values("--lock-file-path"):
        path = _path(value)
        if path is None:
            walk.fail(f"--lock-file-path {value} is a path not known")
        else:
            walk.found.optional.append(path)
    for value in call.values("--packages"):
        path = _path(value)
        if path is None:
            walk.fail(f"--packages {value} is a path not known")
        elif not path.startswith("/"):
            walk.found.environments += (path,)


def msbuild_files(found: ProjectInstall) -> list[str]:
    """The MSBuild files (projects, imports, Directory.Build.*) among what a restore reads."""
    return [n for n in found.files + found.optional if n.endswith(("proj", ".props", ".targets"))]


def _xml(name: str, text: str, walk: _Walk) -> ET.Element | None:
    import xml.etree.ElementTree as ET  # only where a project file is read

    try:
        return ET.fromstring(text.lstrip("\ufeff"))
    except ET.ParseError as error:
        walk.fail(f"{name} does not parse as XML ({error})")
        return None


def _tag(element: ET.Element) -> str:
    tag = element.tag if isinstance(element.tag, str) else ""
    return tag.rsplit("}", 1)[-1]


def _path(value: str) -> str | None:
    """A path as MSBuild writes it (backslashes), with / between folders; None where it uses a
    property, an item or a variable."""
    if any(mark in value for mark in ("$(", "@(", "%(", "$")):
        return None
    return value.strip().replace("\\", "/")


def _join(folder: str, name: str) -> str:
    return posixpath.normpath(posixpath.join(folder, name))


def _outside(path: str) -> bool:
    return path == ".." or path.startswith("../")


def _ancestors(folder: str, *names: str) -> list[str]:
    """``names`` in ``folder`` and every folder above it, up to a few levels above the
    install's folder (those outside the copy are dropped by the caller)."""
    out: list[str] = []
    here = posixpath.normpath(folder)
    for _ in range(here.count("/") + (here != ".") + _LEVELS_ABOVE + 1):
        out += [_join(here, n) for n in names]
        here = _join(here, "..")
    return out
