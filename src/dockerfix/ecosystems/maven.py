"""Maven: `mvn dependency:go-offline` (or `resolve`, `resolve-plugins`) as the dependencies-only
step of a Maven project, and the reading of mvn's command line and of pom.xml that it needs.

The step reads the pom.xml it runs on, the pom of every module (`<modules>`, also in
`<profiles>`, followed recursively), a parent pom inside the copied folder (`<relativePath>`,
`../pom.xml` by default), `.mvn/` (wrapper, maven.config, jvm.config, extensions.xml), the
wrapper script it runs, the settings and toolchains files its options name, `<systemPath>` jars
and `file:` repositories under the project's folder. It writes the local repository (outside the
project, unless `-Dmaven.repo.local`, on the command line or in `.mvn/maven.config`, names a
relative folder). A pom that does not parse, a
module outside the copy or missing, a path through another property: the split is not made."""

from __future__ import annotations

import posixpath
import re
import shlex
from collections.abc import Sequence
from typing import TYPE_CHECKING

from dockerfix.document.options import Option
from dockerfix.document.shell import Command, ShellWord
from dockerfix.ecosystems.commands import unwrap
from dockerfix.ecosystems.dependencies import ReadText
from dockerfix.ecosystems.packages import Call, Grammar
from dockerfix.ecosystems.project_install import ProjectInstall
from dockerfix.records import frozen

if TYPE_CHECKING:
    from xml.etree import ElementTree

NAMES = frozenset({"mvn", "mvnw"})

# mvn's options (Maven 3.9, `mvn --help`), by the short name they are known as here; True: it
# takes a value (the next word, or the rest of the word for -D, -P...)
_SHORT = {
    "-am": False, "-amd": False, "-B": False, "-b": True, "-C": False, "-c": False, "-cpu": False, "-D": True,
    "-e": False, "-emp": True, "-ep": True, "-f": True, "-fae": False, "-ff": False, "-fn": False, "-gs": True,
    "-gt": True, "-h": False, "-itr": False, "-l": True, "-llr": False, "-N": False, "-npr": False,
    "-npu": False, "-nsu": False, "-ntp": False, "-o": False, "-P": True, "-pl": True, "-q": False, "-rf": True,
    "-s": True, "-t": True, "-T": True, "-U": False, "-up": False, "-v": False, "-V": False, "-X": False,
}  # fmt: skip
_LONG = {
    "--also-make": "-am", "--also-make-dependents": "-amd", "--batch-mode": "-B", "--builder": "-b",
    "--strict-checksums": "-C", "--lax-checksums": "-c", "--check-plugin-updates": "-cpu", "--define": "-D",
    "--errors": "-e", "--encrypt-master-password": "-emp", "--encrypt-password": "-ep", "--file": "-f",
    "--fail-at-end": "-fae", "--fail-fast": "-ff", "--fail-never": "-fn", "--global-settings": "-gs",
    "--global-toolchains": "-gt", "--help": "-h", "--ignore-transitive-repositories": "-itr", "--log-file": "-l",
    "--legacy-local-repository": "-llr", "--non-recursive": "-N", "--no-plugin-registry": "-npr",
    "--no-plugin-updates": "-npu", "--no-snapshot-updates": "-nsu", "--no-transfer-progress": "-ntp",
    "--offline": "-o", "--activate-profiles": "-P", "--projects": "-pl", "--quiet": "-q", "--resume-from": "-rf",
    "--settings": "-s", "--toolchains": "-t", "--threads": "-T", "--update-snapshots": "-U",
    "--update-plugins": "-up", "--version": "-v", "--show-version": "-V", "--debug": "-X", "--color": "--color",
}  # fmt: skip
_LONG_VALUES = frozenset({"--color"})
# the frame of the cache rules finds mvn's commands through it; ``maven_call`` reads them
MAVEN = Grammar(
    NAMES,
    frozenset([k for k, v in _SHORT.items() if v] + [k for k, v in _LONG.items() if v in _LONG_VALUES or _SHORT.get(v)]),
    frozenset("DPT"),
)

_DEPENDENCY_GOALS = frozenset({"go-offline", "resolve", "resolve-plugins"})
_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:"

# the phases of Maven's default lifecycle from which a build compiles the project
BUILD_PHASES = frozenset({
    "compile", "process-classes", "generate-test-sources", "process-test-sources", "generate-test-resources",
    "process-test-resources", "test-compile", "process-test-classes", "test", "prepare-package", "package",
    "pre-integration-test", "integration-test", "post-integration-test", "verify", "install", "deploy",
})  # fmt: skip

_BASEDIR = re.compile(r"\$\{(?:project\.basedir|basedir|pom\.basedir)\}")


@frozen
class MavenCall:
    """One mvn (or Maven wrapper) command: its options by their short names, and its goals."""

    call: Call
    unknown: str | None  # an option that is not known, so the goals cannot be told apart

    @property
    def goals(self) -> list[str]:
        return [self.call.subcommand] + [w.value for w in self.call.operands] if self.call.subcommand else []

    def properties(self) -> dict[str, str]:
        """The system properties its -D options set."""
        out: dict[str, str] = {}
        for value in self.call.values("-D"):
            key, _, val = value.partition("=")
            out[key] = val or "true"
        return out


def maven_call(command: Command) -> MavenCall | None:
    """The mvn command ``command`` runs, if it runs one (`mvn`, `./mvnw`, `/usr/bin/mvn`)."""
    if not any(w.value.rsplit("/", 1)[-1] in NAMES for w in command.argv[:8]):
        return None
    inv = unwrap(command)
    if inv is None or not inv.argv or posixpath.basename(inv.argv[0].value) not in NAMES:
        return None
    options, goals, unknown = read_args(inv.argv[1:])
    call = Call(inv, inv.argv[0], posixpath.basename(inv.argv[0].value), goals[0].value if goals else "",
                goals[0] if goals else None, tuple(options), tuple(goals[1:]))  # fmt: skip
    return MavenCall(call, unknown)


def read_args(words: Sequence[ShellWord]) -> tuple[list[Option], list[ShellWord], str | None]:
    """mvn's options (by their short names), its goals, and the first option that is not known."""
    options: list[Option] = []
    goals: list[ShellWord] = []
    unknown: str | None = None
    k = 0
    while k < len(words):
        w = words[k]
        v = w.value
        name, value, takes = _option(v)
        if name is None:
            if v.startswith("-") and len(v) > 1:
                unknown = unknown or v
            else:
                goals.append(w)
        elif takes and value is None and k + 1 < len(words):
            options.append(Option(name, words[k + 1].value, (w, words[k + 1])))
            k += 1
        else:
            options.append(Option(name, value, (w,)))
        k += 1
    return options, goals, unknown


def text_args(text: str) -> tuple[list[Option], list[ShellWord], str | None] | None:
    """What the words of ``text`` (MAVEN_ARGS, MAVEN_OPTS, `.mvn/maven.config`) say, read as
    mvn's command line; None when the text does not split into words."""
    try:
        values = shlex.split(text, comments=False)
    except ValueError:
        return None
    return read_args([ShellWord(v, v, 0, 0, False) for v in values])


def defined(options: Sequence[Option], key: str) -> list[str]:
    """The values the -D options give the system property ``key``, in order."""
    found: list[str] = []
    for value in (o.value for o in options if o.name == "-D" and o.value is not None):
        name, eq, val = value.partition("=")
        if name == key:
            found.append(val if eq else "true")
    return found


def _option(word: str) -> tuple[str | None, str | None, bool]:
    """(short name, value written in the word, whether it takes a value) of an mvn option."""
    if word.startswith("--"):
        key, eq, value = word.partition("=")
        name = _LONG.get(key)
        if name is None:
            return None, None, False
        takes = name in _LONG_VALUES or _SHORT.get(name, False)
        return name, (value if eq else None), takes
    if not word.startswith("-") or len(word) < 2:
        return None, None, False
    if word in _SHORT:
        return word, None, _SHORT[word]
    # a value written right after the option: -DskipTests, -Pprod, -T4, -gsglobal.xml
    for end in range(min(len(word) - 1, 4), 1, -1):
        if _SHORT.get(word[:end]):
            return word[:end], word[end:], True
    return None, None, False


def dependency_goal(goal: str) -> bool:
    """`dependency:go-offline`, `dependency:resolve`, `dependency:resolve-plugins`, also through the
    plugin's full name (`org.apache.maven.plugins:maven-dependency-plugin:3.6.1:go-offline`)."""
    if goal.startswith("dependency:"):
        return goal.split(":", 1)[1] in _DEPENDENCY_GOALS
    if goal.startswith(_PLUGIN):
        return goal.rsplit(":", 1)[-1] in _DEPENDENCY_GOALS and goal.count(":") in (2, 3)
    return False


def builds(command: Command) -> bool:
    """Whether the mvn command runs a phase that compiles the project (`mvn package`)."""
    found = maven_call(command)
    return found is not None and any(g in BUILD_PHASES for g in found.goals)


def maven_install(command: Command, read: ReadText) -> ProjectInstall | None:
    """The dependencies-only step ``command`` runs, if it runs `mvn` with a dependency goal: what
    it reads; with other goals beside, why it needs the source."""
    found = maven_call(command)
    if found is None or not any(dependency_goal(g) for g in found.goals):
        return None
    call = found.call
    project = ProjectInstall("mvn", call, [], environments=())
    others = [g for g in found.goals if not dependency_goal(g)]
    if others:
        project.source = f"`{call.text}` also runs {others[0]}, which builds the project"
    if found.unknown:
        project.problem = f"`{call.text}` has an option that is not known ({found.unknown})"
    if "/" in call.tool.value:
        project.files.append(posixpath.normpath(call.tool.value))
    for option in ("-s", "-gs", "-t", "-gt"):
        project.files += [posixpath.normpath(v) for v in call.values(option)]
    properties = found.properties()
    if any(key.endswith(("outputFile", "outputDirectory")) for key in properties):
        project.problem = project.problem or f"`{call.text}` writes a file (an output property)"
    pom = "pom.xml"
    for value in call.values("-f"):
        pom = posixpath.normpath(value if value.endswith(".xml") else posixpath.join(value, "pom.xml"))
    base = posixpath.dirname(pom) or "."
    # .mvn/maven.config comes before the command line, which wins
    config = text_args(read(posixpath.normpath(posixpath.join(base, ".mvn/maven.config"))) or "")
    repos = defined((config[0] if config else []) + list(call.options), "maven.repo.local")
    repo = repos[-1] if repos else None
    if config is None:
        project.problem = project.problem or ".mvn/maven.config does not split into words"
    elif repo is not None and not repo.startswith("/"):
        if "$" in repo or posixpath.normpath(repo).startswith(".."):
            project.problem = project.problem or f"-Dmaven.repo.local={repo} is not followed"
        else:
            project.environments = (posixpath.normpath(repo),)
    project.files.append(pom)
    project.dirs.append(posixpath.normpath(posixpath.join(base, ".mvn")))
    if read(pom) is None:
        return project  # a missing pom.xml is reported by the caller
    problem = _follow(project, pom, read)
    extensions = read(posixpath.normpath(posixpath.join(base, ".mvn/extensions.xml")))
    if extensions is not None and "<extension>" in extensions:
        problem = problem or ".mvn/extensions.xml loads core extensions, which run when Maven starts and may read any file"
    project.problem = project.problem or problem
    drop_inside(project)
    return project


def drop_inside(project: ProjectInstall) -> None:
    """Files of the folders it copies whole (`-s .mvn/settings.xml`) come with them."""
    inside = tuple(d + "/" for d in project.dirs)
    project.files = [f for f in project.files if not f.startswith(inside)]
    project.optional = [f for f in project.optional if not f.startswith(inside)]


def modules(pom: str, read: ReadText) -> list[str] | None:
    """The modules a pom lists (also in its profiles), as poms relative to its folder; None when it
    cannot be read."""
    root = _parse(read(pom))
    return None if root is None else _modules(root, posixpath.dirname(pom))


def _follow(project: ProjectInstall, pom: str, read: ReadText) -> str | None:
    """Add the poms of the modules and the parents inside the copy, the jars and repositories
    under the project; the reason when one cannot be followed."""
    todo = [(pom, True)]
    done: set[str] = set()
    while todo:
        name, with_modules = todo.pop(0)
        if name in done:
            continue
        done.add(name)
        text = read(name)
        if text is None:
            if with_modules:
                return f"the module pom {name} is not in the copy"
            continue
        root = _parse(text)
        if root is None:
            return f"{name} does not parse as XML"
        if name not in project.files and name not in project.optional:
            (project.files if with_modules else project.optional).append(name)
        folder = posixpath.dirname(name)
        if with_modules:
            for module in _modules(root, folder):
                if _outside(module):
                    return f"{name} lists the module {module}, outside the copied folder"
                todo.append((module, True))
        parent = _parent(root, folder)
        if parent is not None and not _outside(parent):
            todo.append((parent, False))
        problem = _local_files(project, root, name, folder)
        if problem:
            return problem
    return None


def _local_files(project: ProjectInstall, root: ElementTree.Element, name: str, folder: str) -> str | None:
    """`<systemPath>` jars and `file:` repositories: read through the project's folder."""
    for element in root.iter("systemPath"):
        path = _local_path(element.text or "", folder)
        if path is None:
            return f"{name} has the systemPath {element.text}, which is not followed"
        project.optional.append(path)
    for tag in ("repository", "pluginRepository"):
        for repository in root.iter(tag):
            url = (repository.findtext("url") or "").strip()
            if not url.startswith("file:"):
                continue
            path = _local_path(re.sub(r"^file:(//)?", "", url), folder)
            if path is None:
                return f"{name} has the file repository {url}, which is not followed"
            project.dirs.append(path)
    return None


def _local_path(value: str, folder: str) -> str | None:
    """A path of a pom, with the project's folder for ${project.basedir}, relative to the folder
    the command runs in (absolute ones stay so); None where it uses another property."""
    text = value.strip()
    if text.startswith("/") and "${" not in text:
        return posixpath.normpath(text)
    m = _BASEDIR.match(text)
    if m is None or "${" in text[m.end() :]:
        return None
    path = posixpath.normpath(posixpath.join(folder or ".", text[m.end() :].lstrip("/")))
    return None if _outside(path) else path


def _parse(text: str | None) -> ElementTree.Element | None:
    if text is None:
        return None
    from xml.etree import ElementTree  # only where a pom is read

    try:
        root = ElementTree.fromstring(text)
    except (ElementTree.ParseError, ValueError):
        return None
    for element in root.iter():
        if isinstance(element.tag, str):
            element.tag = element.tag.rsplit("}", 1)[-1]
    return root


def _modules(root: ElementTree.Element, folder: str) -> list[str]:
    parents = [root] + root.findall("profiles/profile")
    found = [m.text.strip() for p in parents for m in p.findall("modules/module") + p.findall("subprojects/subproject")
             if m.text and m.text.strip()]  # fmt: skip
    return [_pom_of(posixpath.join(folder or ".", m)) for m in found]


def _parent(root: ElementTree.Element, folder: str) -> str | None:
    """The parent pom's path, where Maven looks for it first (None: from the repository only)."""
    parent = root.find("parent")
    if parent is None:
        return None
    relative = parent.find("relativePath")
    if relative is None:
        return posixpath.normpath(posixpath.join(folder or ".", "../pom.xml"))
    text = (relative.text or "").strip()
    return _pom_of(posixpath.join(folder or ".", text)) if text else None


def _pom_of(path: str) -> str:
    """A module or parent named by its folder or by its pom file."""
    clean = posixpath.normpath(path)
    return clean if clean.endswith(".xml") else posixpath.normpath(posixpath.join(clean, "pom.xml"))


def _outside(path: str) -> bool:
    return posixpath.normpath(path).startswith(("..", "/"))
