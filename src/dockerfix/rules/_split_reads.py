"""What the split asks of a copy and the install after it: which files of the copied folder the
install reads (to be copied first), and where it, or another command of its RUN, would touch
the rest of the copy (DFX101 and DFX102)."""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Callable, Iterator

from dockerfix.context.build_context import BuildContext, FolderContext
from dockerfix.document.effects import NOTHING, Effects, Paths, chown_reads, copy_effects
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import Command
from dockerfix.document.state import State, is_known_dir, unknown_dir
from dockerfix.document.words import Word
from dockerfix.ecosystems.command_effects import command_effects, glob_prefix
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.pip import PipCall, is_local_reference, is_url, mentions_install, parse_requirements, pip_call
from dockerfix.ecosystems.project_install import ProjectInstall
from dockerfix.ecosystems.projects import context_free_tool, project_install, uv_pip_command
from dockerfix.records import field, frozen, record
from dockerfix.rules._common import copied_files

KEPT_FLAGS = ("chown", "chmod", "link")


ADD_ONLY_FLAGS = ("checksum", "keep-git-dir", "unpack")


PLAIN_PATH = re.compile(r"^[A-Za-z0-9._+@%=,:-][A-Za-z0-9._+@%=,:/-]*$")


WRITE_OPTIONS = ("target", "prefix", "root", "wheel-dir", "dest", "src")


INSTALLS = ("install", "wheel", "download")


class Skip(Exception):
    """Leave the COPY where it is, for the reason given."""


class Missing(Skip):
    """A file the install reads is not in the build context."""


class ReadWhole(Skip):
    """The install reads all of the copied folder (`COPY patches ./patches` before `pnpm
    install`): the copy is a dependencies-only copy already, nothing to do."""


@record
class Reads:
    files: set[str] = field(default_factory=set)  # context-relative manifest files
    dirs: set[str] = field(default_factory=set)  # context-relative --find-links directories
    outside: list[str] = field(default_factory=list)  # absolute paths read from outside the copy


@frozen
class Tree:
    """A COPY/ADD of a folder of the build context (`.` for all of it) to a destination."""

    source: str  # context-relative and normalised; "." for the whole context
    dest: Word


def context_copy_words(inst: Instruction) -> list[Word] | None:
    """The words of a COPY/ADD from the build context."""
    if inst.kind not in ("COPY", "ADD") or inst.heredocs or inst.flag("from") is not None:
        return None
    return inst.words or None


def tree_copy(inst: Instruction, build: BuildContext | None) -> Tree | None:
    """The copy of the whole context or of one of its folders that ``inst`` makes, if it does."""
    words = context_copy_words(inst)
    if words is None or len(words) != 2:
        return None
    source = words[0].value
    if source in (".", "./"):
        return Tree(".", words[1])
    if build is None or not PLAIN_PATH.match(source.lstrip("/")):
        return None
    folder = posixpath.normpath(source.lstrip("/"))
    if folder.startswith("..") or not build.is_dir(folder) or build.is_ignored(folder):
        return None
    return Tree(folder, words[1])


def whole_context_dest(inst: Instruction) -> Word | None:
    words = context_copy_words(inst)
    return words[1] if words is not None and len(words) == 2 and words[0].value in (".", "./") else None


def folder_view(build: BuildContext | None, tree: Tree) -> BuildContext | None:
    """The build context as the copy's destination holds it."""
    if build is None or tree.source == ".":
        return build
    return FolderContext(build, tree.source)


InTree = Callable[[str], "bool | None"]


def tree_predicate(state: State, cwd: str, dest_abs: str | None, build: BuildContext | None) -> InTree:
    """A predicate: does a path (as a command in the RUN sees it) touch what the full copy
    brings in? None when that cannot be told."""

    def in_tree(value: str) -> bool | None:
        if dest_abs is None or build is None:
            return None
        path = state.resolve(glob_prefix(value), cwd)
        if path is None:
            return None
        if path == dest_abs or dest_abs.startswith(path.rstrip("/") + "/"):
            return True
        rel = relative_to(path, dest_abs)
        if rel is not None:
            return context_has(build, rel)
        if is_known_dir(path):
            if is_known_dir(dest_abs):
                return False
            # the destination is the base image's WORKDIR: any tail of the path may be in the tree
            parts = path.strip("/").split("/")
            return any(context_has(build, "/".join(parts[i:])) for i in range(len(parts)))
        return None

    return in_tree


def context_has(build: BuildContext, rel: str) -> bool:
    if rel == ".":
        return True
    return (build.is_file(rel) or build.is_dir(rel)) and not build.is_ignored(rel)


Found = tuple[Instruction | None, str | None]  # the install, and why it is never rewritten


def find_install(doc: Document, stage: Stage, k: int, copy: Instruction, dest_abs: str | None, build: BuildContext | None) -> Found:
    """The install after the copy, and why it cannot be rewritten at all (see search_install);
    DFX101 and DFX102 ask the same question of the same document."""
    return doc.memo(("install after", copy.index, k), lambda: search_install(doc, stage, k, copy, dest_abs, build))


def search_install(
    doc: Document,
    stage: Stage,
    k: int,
    copy: Instruction,
    dest_abs: str | None,
    build: BuildContext | None,
) -> tuple[Instruction | None, str | None]:
    """The first RUN after the copy that installs from requirement files or a project's
    manifests; failing that, the first that installs packages by name. With a reason when it
    is one that is never rewritten (under ONBUILD)."""
    by_name: Instruction | None = None
    for inst in stage.instructions[k + 1 :]:
        kind = install_kind(doc, inst)
        if kind == "reads":
            return inst, None
        if kind == "onbuild":
            return inst, f"the install at line {inst.line_no} is under ONBUILD"
        if kind == "by-name" and by_name is None:
            by_name = inst
    return by_name, None


def installs_after(doc: Document, stage: Stage, k: int) -> Iterator[Instruction]:
    """The installs after the k-th instruction of the stage, in order, as search_install sees
    them (an install under ONBUILD ends them)."""
    for inst in stage.instructions[k + 1 :]:
        kind = install_kind(doc, inst)
        if kind == "onbuild":
            return
        if kind is not None:
            yield inst


def install_kind(doc: Document, inst: Instruction) -> str | None:
    """How the split sees one instruction: "reads" for a RUN that installs from requirement
    files or a project's manifests (or a heredoc that cannot be read but mentions an install),
    "by-name" for a pip install of named packages, "onbuild" for an install under ONBUILD
    (read once per document: DFX101 and DFX102 ask about the same RUNs)."""
    if inst.kind not in ("RUN", "ONBUILD"):
        return None
    return doc.memo(("install kind", inst.index), lambda: _install_kind(doc, inst))


def _install_kind(doc: Document, inst: Instruction) -> str | None:
    if inst.kind == "ONBUILD":
        return "onbuild" if mentions_install(inst.command_text) else None
    if inst.kind != "RUN":
        return None
    script = inst.script
    if script.opaque:
        return "reads" if inst.heredocs and mentions_install(inst.command_text) else None
    state = doc.state(inst)
    calls = [pip_command(c) for c in script.commands]
    if any(c is not None and c.subcommand in INSTALLS and reads_files(c, state) for c in calls):
        return "reads"
    if any(project_install(c, read_nothing) is not None for c in script.commands):
        return "reads"
    return "by-name" if any(c is not None and c.subcommand == "install" for c in calls) else None


_STEPS = {"go": "go mod download", "cargo": "cargo fetch", "mvn": "mvn dependency:go-offline", "gradle": "gradle dependencies",
          "dotnet": "dotnet restore"}


def install_tool(run: Instruction) -> str:
    """How messages name the install of the RUN: "pip install", "npm install", "go mod download"."""
    for cmd in run.script.commands:
        project = project_install(cmd, read_nothing)
        if project is not None:
            return _STEPS.get(project.tool, f"{project.tool} install")
    return "pip install"


def installs_by_name(run: Instruction) -> bool:
    """Whether the RUN installs packages by name with pip (or uv's pip interface)."""
    return any(
        (call := pip_command(c)) is not None and call.subcommand == "install" and call.positionals for c in run.script.commands
    )


def reads_files(call: PipCall, state: State) -> bool:
    """Whether a pip command may read files (requirement files, local paths, a local
    --find-links folder, or any of them named through PIP_* variables)."""
    if call.values("requirement") or call.values("constraint") or call.values("editable"):
        return True
    if any(not is_url(v) for v in call.values("find-links")):
        return True
    env = {**state.env, **call.invocation.env}
    if any(var in env and var not in call.invocation.unset for var in PIP_ENV_READS):
        return True
    return call.names_local_path or any(w.expands for w in call.positionals)


def pip_option_reads(
    call: PipCall, state: State, cwd: str, in_tree: InTree, dest_abs: str,
    build: BuildContext, reads: Reads,
) -> State:  # fmt: skip
    """Add what a pip install reads besides its positional arguments (requirement files, local
    --find-links folders, also through PIP_* variables) to ``reads``; stop where it reads or
    writes the copied tree in a way a split cannot keep. Returns the state the call runs in."""
    env = run_env(state, call.invocation)
    sub = State(env=env, workdir=cwd)
    requirements = call.values("requirement") + call.values("constraint")
    links = call.values("find-links")
    for var, bucket in PIP_ENV_FILES:
        if var in env:
            setting = env[var]
            if setting is None:
                raise Skip(f"{var} is set to a value that is not known")
            (links if bucket == "find-links" else requirements).extend(setting.split())
    if "PIP_EDITABLE" in env:
        raise Skip("PIP_EDITABLE is set, so the install needs the source")
    config = env.get("PIP_CONFIG_FILE", "/dev/null")
    if config is None or in_tree(config) is not False:
        raise Skip(f"pip reads its configuration from {config}, which may come from the copy")
    for name in WRITE_OPTIONS:
        for value in call.values(name):
            if in_tree(value) is not False:
                raise Skip(f"pip --{name} {value} writes where the full copy lands")
    for value, what in [(v, "requirement") for v in requirements] + [(v, "--find-links") for v in links]:
        if is_url(value):
            continue
        path = sub.resolve(value)
        if path is None:
            raise Skip(f"the {what} path {value} uses a variable whose value is not known")
        if what == "requirement":
            add_file(reads, path, dest_abs, build, set())
        else:
            add_dir(reads, path, dest_abs, build)
    return sub


def install_reads(doc: Document, copy: Instruction, run: Instruction, dest_abs: str, build: BuildContext) -> Reads:
    """What the install RUN reads from the copied tree (to be copied first); stops where it, or
    another command of the RUN, reads or writes the rest of the tree."""
    state = doc.state(run)
    script = run.script
    reads = Reads()
    probes: list[tuple[str, str]] = []  # (file a test command looks at, the command)
    checks: list[tuple[Command, str]] = []  # commands whose effects must stay clear of the tree
    cwd = state.workdir
    for cmd in script.commands:
        if cmd.name == "cd" and len(cmd.argv) == 2:
            cwd = state.resolve(cmd.argv[1].value, cwd) or unknown_dir()
            continue
        call = pip_command(cmd)
        in_tree = tree_predicate(state, cwd, dest_abs, build)
        if context_free_tool(cmd):
            continue
        project = project_install(cmd, tree_reader(state, cwd, dest_abs, build), tree_glob(state, cwd, dest_abs, build), state)
        if project is not None:
            add_project(reads, project, state, cwd, dest_abs, build, run)
            continue
        if call is None and cmd.name in TESTS and not cmd.redirects:
            probes.extend(test_operands(cmd, state, cwd, dest_abs, run))
            continue
        checks.append((cmd, cwd))
        if call is None or call.subcommand not in INSTALLS:
            continue
        sub = pip_option_reads(call, state, cwd, in_tree, dest_abs, build, reads)
        for value in call.values("editable"):
            raise Skip(f"the install uses -e {value}, which needs the source")
        for w in call.positionals:
            if w.expands and sub.expand(w.value) is None:
                raise Skip(f"the install argument {w.value} uses a variable whose value is not known")
            if is_local_reference(sub.expand(w.value) or w.value):
                raise Skip(f"the install reads the local path {w.value}, which needs the source")
    for rel, text in probes:
        # `[ -f requirements.txt ]` gives the same answer after the split only if the file
        # is copied first, or is not in the context at all
        if rel not in reads.files and context_has(build, rel):
            raise Skip(f"`{text}` in the install RUN looks at {rel}, which would not be copied yet")
    tree = moved_copy_effects(doc, copy, dest_abs, build, reads.files, creates_dest=False)
    full = moved_copy_effects(doc, copy, dest_abs, build, set(), creates_dest=False)
    for cmd, where in checks:
        # the requirement files are copied first: what else the command reads must not come
        # from the copy (a smoke test's `python -c "import app"` with app/ in the tree)
        effects = command_effects(cmd, state, where, NOTHING)
        text = " ".join(w.value for w in cmd.argv)
        if effects.unknown:
            raise Skip(f"in the install RUN at line {run.line_no}, {effects.unknown}")
        hit = effects.reads.meets(tree.writes) or effects.writes.meets(full.writes)
        if hit is not None:
            raise Skip(f"in the install RUN at line {run.line_no}, `{text}` reads or writes {hit}, which the copy brings in")
    return reads


def moved_copy_effects(
    doc: Document, copy: Instruction, dest_abs: str, build: BuildContext, manifests: set[str], creates_dest: bool
) -> Effects:
    """What the full copy does once it has moved below the install: it writes what the copied
    folder holds (less the manifests, which the copy at its old place brought in with the same
    content), and creates the destination if nothing else has."""
    key = ("tree effects", copy.index, dest_abs, frozenset(manifests), creates_dest)
    return doc.memo(key, lambda: compute_tree_effects(doc, copy, dest_abs, build, manifests, creates_dest))


def compute_tree_effects(
    doc: Document, copy: Instruction, dest_abs: str, build: BuildContext, manifests: set[str], creates_dest: bool
) -> Effects:
    own = copy_effects(doc, copy)
    entries = doc.memo(("tree entries", copy.index), lambda: tree_entries(build))
    written = [posixpath.join(dest_abs, e) for e in entries if not (e in manifests and build.is_file(e))]
    return Effects(
        reads=chown_reads(copy), writes=Paths.of(*written), dirs=(dest_abs,) if creates_dest else (), uses=own.uses
    )


def tree_entries(build: BuildContext) -> list[str]:
    """What the copied folder holds at its top (a folder that .dockerignore excludes may still
    have files it lets in)."""
    return [e for e in build.entries(".") or [] if not build.is_ignored(e) or build.is_dir(e)]


def pip_command(command: Command) -> PipCall | None:
    """pip, or uv's pip interface, which reads requirement files the same way."""
    mirrored = uv_pip_command(command)
    return pip_call(mirrored if mirrored is not None else command)


def read_nothing(_: str) -> str | None:
    return None


def tree_reader(state: State, cwd: str, dest_abs: str, build: BuildContext) -> Callable[[str], str | None]:
    """Reads a file named relative to the install's folder from the build context, if the full
    copy brings it in."""

    def read(name: str) -> str | None:
        path = state.resolve(name, cwd)
        rel = relative_to(path, dest_abs) if path is not None else None
        return build.read_text(rel) if rel is not None and not build.is_ignored(rel) else None

    return read


def tree_glob(state: State, cwd: str, dest_abs: str, build: BuildContext) -> Callable[[str], list[str] | None]:
    """Lists the files of the full copy that match a pattern relative to the install's folder
    (`packages/*/package.json`), as paths relative to that folder; None when the folder is not
    in the copy."""

    def glob(pattern: str) -> list[str] | None:
        here = relative_to(cwd, dest_abs)
        if here is None:
            return None
        found = [posixpath.normpath(here)]
        for part in posixpath.normpath(pattern).split("/"):
            step: list[str] = []
            for folder in found:
                if not any(c in part for c in "*?["):
                    step.append(posixpath.normpath(posixpath.join(folder, part)))
                    continue
                names = build.entries(folder) or []
                step += [posixpath.normpath(posixpath.join(folder, n.rsplit("/", 1)[-1])) for n in names
                         if fnmatch.fnmatchcase(n.rsplit("/", 1)[-1], part)]  # fmt: skip
            found = [p for p in step if not build.is_ignored(p)]
        prefix = "" if here == "." else here + "/"
        return sorted(p[len(prefix) :] for p in found if build.is_file(p))

    return glob


def check_environments(project: ProjectInstall, cwd: str, dest_abs: str, build: BuildContext) -> None:
    """Stop where the context holds what the install creates in its folder (a virtualenv,
    node_modules): the moved copy would put it over the install's."""
    here = relative_to(cwd, dest_abs)
    for name in project.environments:
        rel = posixpath.normpath(posixpath.join(here, name)) if here is not None else None
        if rel is not None and context_has(build, rel):
            raise Skip(
                f"the build context has {rel}, which the full copy would put over the environment "
                f"`{project.text}` creates: add {name} to .dockerignore"
            )


def add_project(
    reads: Reads, project: ProjectInstall, state: State, cwd: str, dest_abs: str, build: BuildContext, run: Instruction
) -> None:
    if project.problem:
        raise Skip(project.problem)
    if project.source:
        raise Skip(f"{project.source}, which needs the source")
    check_environments(project, cwd, dest_abs, build)
    add_reads(reads, project, state, cwd, dest_abs, build)


def add_reads(reads: Reads, project: ProjectInstall, state: State, cwd: str, dest_abs: str, build: BuildContext) -> None:
    """The files and folders of the copy that the install reads."""
    for name in project.files + project.optional:
        path = state.resolve(name, cwd)
        if path is None:
            raise Skip(f"the path {name} uses a variable whose value is not known")
        rel = relative_to(path, dest_abs)
        if rel is None:
            if name in project.files:
                reads.outside.append(path)
            continue
        if name in project.optional and not context_has(build, rel):
            continue
        check_context(build, rel, "file")
        reads.files.add(rel)
    for name in project.dirs:
        path = state.resolve(name, cwd)
        rel = relative_to(path, dest_abs) if path is not None else None
        if rel == ".":
            raise ReadWhole(f"`{project.text}` reads all of {name}")
        if rel is not None and build.is_dir(rel) and not build.is_ignored(rel):
            reads.dirs.add(rel)


# pip reads any option from PIP_<OPTION>; these name files the install reads
PIP_ENV_FILES = (("PIP_REQUIREMENT", "requirement"), ("PIP_CONSTRAINT", "constraint"), ("PIP_FIND_LINKS", "find-links"))


PIP_ENV_READS = tuple(var for var, _ in PIP_ENV_FILES) + ("PIP_EDITABLE", "PIP_CONFIG_FILE")


TESTS = frozenset({"[", "test"})


TEST_OPERATORS = frozenset({"]", "!", "=", "!=", "-a", "-o"})


def test_operands(
    cmd: Command, state: State, cwd: str, dest_abs: str, run: Instruction
) -> list[tuple[str, str]]:
    """The files in the copied tree that a `[ ... ]` or `test ...` looks at."""
    text = " ".join(w.value for w in cmd.argv)
    out: list[tuple[str, str]] = []
    for w in cmd.argv[1:]:
        if w.value in TEST_OPERATORS or (w.value.startswith("-") and len(w.value) == 2):
            continue
        path = state.resolve(w.value, cwd)
        if path is None:
            raise Skip(f"`{text}` in the install RUN at line {run.line_no} uses a variable whose value is not known")
        rel = relative_to(path, dest_abs)
        if rel is not None:
            out.append((rel, text))
    return out


def relative_to(path: str, dest_abs: str) -> str | None:
    base = dest_abs.rstrip("/")
    if path == dest_abs:
        return "."
    if path.startswith(base + "/"):
        return path[len(base) + 1 :]
    return None


def check_context(build: BuildContext, rel: str, what: str) -> None:
    exists = build.is_file(rel) if what == "file" else build.is_dir(rel)
    if not exists:
        raise Missing(f"{rel} is missing from the build context")
    if build.is_ignored(rel):
        raise Skip(f"{rel} is excluded by .dockerignore, so the copy would fail")


def add_file(reads: Reads, path: str, dest_abs: str, build: BuildContext, seen: set[str]) -> None:
    rel = relative_to(path, dest_abs)
    if rel is None:
        if is_known_dir(path) or not is_known_dir(dest_abs):
            if not is_known_dir(dest_abs) and is_known_dir(path):
                raise Skip(f"cannot tell whether {path} comes from the copy (the base image's WORKDIR is not known)")
            reads.outside.append(path)
            return
        raise Skip(f"cannot tell where {path} comes from")
    if rel in seen:
        return
    seen.add(rel)
    check_context(build, rel, "file")
    text = build.read_text(rel)
    if text is None:
        raise Skip(f"cannot read {rel}")
    parsed = parse_requirements(text)
    if parsed.local:
        raise Skip(f"{rel} installs {parsed.local[0]!r}, which needs the source")
    if parsed.variables:
        raise Skip(f"{rel} uses an environment variable ({parsed.variables[0]!r})")
    reads.files.add(rel)
    here = posixpath.dirname(path)
    for _kind, inc in parsed.includes:
        if is_url(inc):
            continue
        add_file(reads, posixpath.normpath(posixpath.join(here, inc)), dest_abs, build, seen)
    for link in parsed.find_links:
        if is_url(link):
            continue
        beside = posixpath.normpath(posixpath.join(here, link))
        rel_beside = relative_to(beside, dest_abs)
        if rel_beside is not None and build.is_dir(rel_beside):
            add_dir(reads, beside, dest_abs, build)
        else:
            raise Skip(f"{rel} uses --find-links {link}, which is not a directory beside it")


def add_dir(reads: Reads, path: str, dest_abs: str, build: BuildContext) -> None:
    rel = relative_to(path, dest_abs)
    if rel is None:
        reads.outside.append(path)
        return
    if rel == ".":
        raise Skip("--find-links points at the whole copied tree")
    check_context(build, rel, "dir")
    reads.dirs.add(rel)


def bind_targets(run: Instruction, state: State) -> set[str]:
    out: set[str] = set()
    for m in mounts(run):
        if m.type == "bind":
            target = m.target_path(state.workdir)
            if target:
                out.add(target)
    return out


def copied_earlier(doc: Document, stage: Stage, k: int, dest_abs: str, files: set[str]) -> tuple[str, int] | None:
    """A requirement file that an earlier COPY of the stage already puts where the install reads it."""
    wanted = {posixpath.normpath(posixpath.join(dest_abs, rel)): rel for rel in files}
    for inst in stage.instructions[:k]:
        if inst.kind not in ("COPY", "ADD") or inst.flag("from") is not None:
            continue
        for _source, target in copied_files(doc, inst):
            for path, rel in sorted(wanted.items()):
                if fnmatch.fnmatchcase(path, target):
                    return rel, inst.line_no
    return None
