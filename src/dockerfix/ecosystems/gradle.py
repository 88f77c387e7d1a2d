"""Gradle: `gradle dependencies` (or `./gradlew dependencies`) as the dependencies-only step of a
Gradle build. It configures the build: it reads settings.gradle(.kts), the build script of the
root project and of every project settings includes, gradle.properties, the `gradle/` folder
(wrapper, version catalog, verification metadata), lock files, buildSrc/ and included builds,
and the wrapper script it runs. It writes Gradle's user home, and `.gradle/` in the project
(buildSrc's and included builds' `build/` too).

Settings are read line by line, and only what is known is taken (`rootProject.name`, `include`,
`includeBuild` with plain strings, plugin and repository blocks): any other line (a loop, a
`file(...)`, `projectDir =`...) stops the split, with the line. Build scripts are not read, but
one that reads other files during configuration (`apply from:`, `file(...)`, `fileTree`...) stops
it too."""

from __future__ import annotations

import posixpath
import re

from dockerfix.document.shell import Command
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.maven import drop_inside
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import ProjectInstall

NAMES = frozenset({"gradle", "gradlew"})

# options that take a value (Gradle 8's command line)
_LONG_VALUES = frozenset({
    "--exclude-task", "--project-dir", "--gradle-user-home", "--settings-file", "--build-file", "--system-prop",
    "--project-prop", "--init-script", "--include-build", "--console", "--warning-mode", "--max-workers",
    "--priority", "--write-verification-metadata", "--dependency-verification", "--project-cache-dir",
    "--update-locks", "--configuration-cache-problems", "--tests",
})  # fmt: skip
GRADLE = Grammar(NAMES, _LONG_VALUES, frozenset("xpgcbDPIMF"))
# options that make it work elsewhere or write files of the project
_ELSEWHERE = ("-p", "--project-dir", "-b", "--build-file", "-c", "--settings-file")
_WRITES = ("--write-locks", "--update-locks", "-M", "--write-verification-metadata", "--export-keys")

_SETTINGS = ("settings.gradle", "settings.gradle.kts")
_BUILD_FILES = ("build.gradle", "build.gradle.kts", "gradle.properties", "gradle.lockfile", "buildscript-gradle.lockfile")

_S = r"""(?:'[^'$\\]*'|"[^"$\\]*")"""  # a plain string
_STRING = re.compile(r"""'([^'$\\]*)'|"([^"$\\]*)\"""")
_INCLUDE = re.compile(rf"^include\s*\(?\s*{_S}(?:\s*,\s*{_S})*\s*,?\s*\)?$")
_INCLUDE_BUILD = re.compile(rf"^includeBuild\s*\(?\s*{_S}\s*\)?$")
# the other settings lines that are read: they change neither the projects nor the files read
_KNOWN = [re.compile(p) for p in (
    r"^[{}()\s]*$",
    rf"^rootProject\.name\s*=\s*{_S}$",
    r"^(?:pluginManagement|dependencyResolutionManagement|repositories|plugins)\s*\{$",
    r"^(?:gradlePluginPortal|mavenCentral|google|mavenLocal)\s*\(\s*\)$",
    rf"^maven\s*\(\s*(?:url\s*=\s*)?(?:uri\s*\(\s*)?{_S}\s*\)?\s*\)$",
    rf"^maven\s*\{{\s*(?:url\s*(?:=\s*)?(?:uri\s*\(\s*)?{_S}\s*\)?\s*\}})?$",
    rf"^url\s*(?:=\s*)?(?:uri\s*\(\s*)?{_S}\s*\)?$",
    rf"^(?:id|kotlin)\s*\(?\s*{_S}\s*\)?(?:\s+version\s*\(?\s*{_S}\s*\)?)?(?:\s+apply\s*\(?\s*(?:true|false)\s*\)?)?$",
    r"^repositoriesMode\s*(?:\.set\s*\(|=)\s*RepositoriesMode\.\w+\s*\)?$",
    rf"^enableFeaturePreview\s*\(?\s*{_S}\s*\)?$",
)]  # fmt: skip
# what a build script may read of other files while Gradle configures it
_READS_FILES = re.compile(
    r"\bapply\s*\(?\s*from\b|\b(?:file|files|fileTree|File|uri)\s*\(|\bflatDir\b|\bprojectDir\b|\brootDir\b"
    r"|\bsettingsDir\b|\blayout\.(?:projectDirectory|settingsDirectory)|\.read(?:Text|Lines|Bytes)\b"
    r"|\bProperties\s*\(|\bexec\s*[({]|\bproviders\.(?:exec|fileContents)\b|\.execute\s*\(|\bfrom\s*\(?\s*[\"']"
)

_GIT = re.compile(r"git", re.IGNORECASE)


def gradle_call(command: Command) -> Call | None:
    """The gradle command ``command`` runs (`gradle`, `./gradlew`), if it runs one; its tasks are
    the call's subcommand and operands."""
    return read_call(command, GRADLE)


def _dependencies_task(task: str) -> bool:
    """`dependencies`, or a project's (`:app:dependencies`)."""
    return task.rsplit(":", 1)[-1] == "dependencies" and ("/" not in task)


def gradle_install(command: Command, read: ReadText) -> ProjectInstall | None:
    """The dependencies-only step ``command`` runs, if it runs gradle's `dependencies` task: what
    it reads; with other tasks beside, why it needs the source."""
    call = gradle_call(command)
    if call is None:
        return None
    tasks = [call.subcommand] + [w.value for w in call.operands] if call.subcommand else []
    if not any(_dependencies_task(t) for t in tasks):
        return None
    present = [n for n in _SETTINGS + _BUILD_FILES[:2] if read(n) is not None]
    found = ProjectInstall("gradle", call, present[:1] or ["settings.gradle"], [], environments=(".gradle",))
    others = [t for t in tasks if not _dependencies_task(t)]
    if others:
        found.source = f"`{call.text}` also runs {others[0]}, which builds the project"
    elsewhere = [o.name for o in call.options if o.name in _ELSEWHERE]
    writes = [o.name for o in call.options if o.name in _WRITES]
    if elsewhere:
        found.problem = f"`{call.text}` works with another folder or build file ({elsewhere[0]})"
    elif writes:
        found.problem = f"`{call.text}` writes lock or verification files ({writes[0]}), which the full copy would put back"
    if "/" in call.tool.value:
        found.files.append(posixpath.normpath(call.tool.value))
    found.files += [posixpath.normpath(v) for v in call.values("-I", "--init-script")]
    builds = [posixpath.normpath(v) for v in call.values("--include-build")]
    cache = call.values("--project-cache-dir")
    if cache and (cache[0].startswith("/") or _outside(cache[0])):
        found.problem = found.problem or f"--project-cache-dir {cache[0]} is not followed"
    elif cache:
        found.environments = (posixpath.normpath(cache[0]),)
    found.optional += [n for n in _SETTINGS + _BUILD_FILES + ("settings-gradle.lockfile",) if n not in found.files]
    found.dirs += ["gradle", "buildSrc"]
    projects: list[str] = []
    for name in _SETTINGS:
        text = read(name)
        if text is None:
            continue
        read_settings = _settings(text, name)
        if isinstance(read_settings, str):
            found.problem = found.problem or read_settings
            continue
        projects += read_settings[0]
        builds += read_settings[1]
    for folder in builds:
        if _outside(folder):
            found.problem = found.problem or f"the included build {folder} is outside the copied folder"
    found.dirs += [b for b in builds if b not in found.dirs]
    for folder in ["buildSrc"] + builds:  # Gradle builds them while it configures the build
        found.environments += (f"{folder}/.gradle", f"{folder}/build")
    for folder in projects:
        if _outside(folder):
            found.problem = found.problem or f"the project {folder} is outside the copied folder"
            continue
        found.optional += [posixpath.join(folder, n) for n in _BUILD_FILES]
    git = read(".git/HEAD") is not None
    for name in [n for n in found.files + found.optional if n.endswith((".gradle", ".gradle.kts"))]:
        problem = _script_problem(name, read(name), git)
        found.problem = found.problem or problem
    drop_inside(found)
    return found


def _settings(text: str, name: str) -> tuple[list[str], list[str]] | str:
    """The project folders and the included builds of a settings file; the reason, with the line,
    when a line is not one that is read."""
    projects: list[str] = []
    builds: list[str] = []
    parts = [(n, p.strip()) for n, s in _statements(text) for p in re.split(r"(?<=\{)|(?=\})", s) if p.strip()]
    for line_no, statement in parts:  # `repositories { mavenCentral() }` as three
        if _INCLUDE.match(statement):
            projects += [s.strip(":").replace(":", "/") for s in _strings(statement)]
            continue
        if _INCLUDE_BUILD.match(statement):
            builds += [posixpath.normpath(s) for s in _strings(statement)]
            continue
        if not any(p.match(statement) for p in _KNOWN):
            return f"{name} line {line_no} is not read (`{statement[:60]}`), so the projects it includes are not known"
    return projects, builds


def _strings(statement: str) -> list[str]:
    return [m.group(1) if m.group(1) is not None else m.group(2) for m in _STRING.finditer(statement)]


def _statements(text: str) -> list[tuple[int, str]]:
    """The statements of a Groovy or Kotlin script without comments, with their first line; a
    statement goes on while a parenthesis is open or a line ends with a comma."""
    out: list[tuple[int, str]] = []
    pending = ""
    start = 0
    depth = 0
    for line_no, line in enumerate(_without_comments(text).split("\n"), 1):
        stripped = line.strip()
        if not stripped and not pending:
            continue
        if not pending:
            start = line_no
        pending = f"{pending} {stripped}".strip()
        depth += stripped.count("(") - stripped.count(")")
        if depth > 0 or pending.endswith(","):
            continue
        out += [(start, part.strip()) for part in pending.split(";") if part.strip()]
        pending, depth = "", 0
    if pending:
        out.append((start, pending))
    return out


def _without_comments(text: str) -> str:
    """``text`` with its // and /* */ comments blanked (line breaks kept), strings left alone."""
    out: list[str] = []
    k = 0
    quote = ""
    while k < len(text):
        c = text[k]
        if quote:
            out.append(c)
            if c == "\\" and k + 1 < len(text):
                out.append(text[k + 1])
                k += 1
            elif c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
            out.append(c)
        elif text.startswith("//", k):
            end = text.find("\n", k)
            k = len(text) if end < 0 else end
            continue
        elif text.startswith("/*", k):
            end = text.find("*/", k + 2)
            stop = len(text) if end < 0 else end + 2
            out.append("\n" * text.count("\n", k, stop))
            k = stop
            continue
        else:
            out.append(c)
        k += 1
    return "".join(out)


def _script_problem(name: str, text: str | None, git: bool) -> str | None:
    """Why a build script may read other files of the project while Gradle configures it (with
    ``git``, the copy brings .git/, which a versioning plugin reads)."""
    if text is None:
        return None
    for line_no, statement in _statements(text):
        m = _READS_FILES.search(statement)
        if m is None and git:
            m = _GIT.search(statement)
        if m is not None:
            return f"{name} line {line_no} may read other files of the project (`{m.group(0).strip()}`), which is not followed"
    return None


def _outside(path: str) -> bool:
    return posixpath.normpath(path).startswith(("..", "/"))
