"""What a verification edits and expects, read from the two Dockerfiles and the build context:
the cache folders the rewrite mounts, an application file to change, the install steps that
must then come from the layer cache, and the manifest that makes them run again."""

from __future__ import annotations

import fnmatch
import os
import posixpath
from pathlib import Path

from dockerfix.context.build_context import BuildContext
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction
from dockerfix.ecosystems.packages import APK, APT, DNF, ZYPPER, read_call
from dockerfix.ecosystems.pip import pip_call
from dockerfix.ecosystems.projects import project_install, uv_pip_command
from dockerfix.records import frozen

# comment syntax of the files a verification may append a line to
_COMMENTS = {
    ".py": "#", ".rb": "#", ".sh": "#", ".pl": "#", ".r": "#", ".js": "//", ".ts": "//", ".jsx": "//",
    ".tsx": "//", ".go": "//", ".java": "//", ".kt": "//", ".rs": "//", ".c": "//", ".cs": "//", ".php": "//",
    ".html": "<!--", ".css": "/*", ".md": "",
}  # fmt: skip
_PREFERRED = (".py", ".js", ".ts", ".go", ".rb")
_MANIFEST_COMMENTS = {".txt": "#", ".in": "#", ".toml": "#", ".cfg": "#", ".yml": "#", ".yaml": "#"}
_MANIFEST_NAMES = {"Pipfile": "#", "Gemfile": "#", "go.mod": "//"}
_SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".mypy_cache"})
_INSTALLS = frozenset({"install", "wheel", "download", "add", "upgrade", "update", "dist-upgrade", "full-upgrade",
                       "reinstall", "build-dep", "in", "dup", "groupinstall", "localinstall", "sync"})  # fmt: skip


# manifests in JSON, which has no comments: a line of blanks and tabs spelling the token changes them
_JSON_MANIFESTS = frozenset({"package.json"})


def comment_line(path: str, token: str) -> str | None:
    """A line that changes the file without changing what it means, or None for unknown files."""
    name = posixpath.basename(path)
    if name in _JSON_MANIFESTS:
        return "".join(" \t"[int(bit)] for ch in token for bit in format(ord(ch) % 256, "08b"))
    suffix = posixpath.splitext(name)[1].lower()
    mark = _MANIFEST_NAMES.get(name, _MANIFEST_COMMENTS.get(suffix, _COMMENTS.get(suffix)))
    if mark is None:
        return None
    closing = {"<!--": " -->", "/*": " */"}.get(mark, "")
    return f"{mark} dockerfix verify {token}{closing}".strip()


def install_kind(inst: Instruction) -> str | None:
    """The tool ("pip", "uv", "poetry", "apt" ...) when the RUN installs packages with it."""
    if inst.kind != "RUN" or inst.script.opaque:
        return None
    for cmd in inst.script.commands:
        project = project_install(cmd, lambda _: None)
        if project is not None:
            return project.tool
        if uv_pip_command(cmd) is not None:
            return "uv"
        pip = pip_call(cmd)
        if pip is not None and pip.uses_cache:
            return "pip"
        for name, grammar in (("apt", APT), ("apk", APK), ("dnf", DNF), ("zypper", ZYPPER)):
            call = read_call(cmd, grammar)
            if call is not None and call.subcommand in _INSTALLS:
                return name
    return None


def added_mounts(original: Document, rewritten: Document) -> list[str]:
    """The cache mount targets of the rewritten file that the original does not have."""

    def targets(doc: Document) -> set[str]:
        out: set[str] = set()
        for inst in doc.instructions:
            if inst.kind != "RUN":
                continue
            workdir = doc.state(inst).workdir
            for m in mounts(inst):
                path = m.target_path(workdir) if m.type == "cache" else None
                if path and path.startswith("/"):
                    out.add(path)
        return out

    return sorted(targets(rewritten) - targets(original))


def _sources(doc: Document, inst: Instruction) -> list[str] | None:
    """Context-relative source patterns of a COPY/ADD from the context, None for other steps."""
    if inst.kind not in ("COPY", "ADD") or inst.flag("from") is not None or inst.heredocs:
        return None
    state = doc.state(inst)
    out: list[str] = []
    for w in [w.value for w in inst.words][:-1]:
        value = state.expand(w)
        if value is None:
            out.append("*")  # a variable: it may be anything
            continue
        value = posixpath.normpath(value.lstrip("/")) if value not in ("", "/") else "."
        out.append(value)
    return out


def brings_in(doc: Document, inst: Instruction, path: str) -> bool:
    """Whether the instruction puts the context file ``path`` into the image."""
    if inst.kind == "RUN":
        return any(m.type == "bind" and "from" not in m.options for m in mounts(inst))
    sources = _sources(doc, inst)
    if sources is None:
        return False
    for source in sources:
        if source in (".", "*") or fnmatch.fnmatchcase(path, source) or path.startswith(source.rstrip("/") + "/"):
            return True
    return False


@frozen
class Expectation:
    instruction: Instruction
    kind: str  # the install tool
    cached: bool  # expected from the layer cache after the edit


def expectations(doc: Document, edited: str | None) -> list[Expectation]:
    """Every install step of ``doc``, and whether a change to ``edited`` leaves it cached."""
    tainted: set[int] = set()  # stages that contain the edited file by the end
    out: list[Expectation] = []
    for stage in doc.stages:
        parent = doc.stage_named(stage.base)
        dirty = parent is not None and parent.index in tainted
        for inst in stage.instructions:
            if edited is not None and brings_in(doc, inst, edited):
                dirty = True
            source = inst.flag("from")
            if source is not None and source.value is not None:
                other = doc.stage_named(source.value)
                if other is not None and other.index in tainted:
                    dirty = True
            kind = install_kind(inst)
            if kind is not None:
                out.append(Expectation(inst, kind, not dirty))
        if dirty:
            tainted.add(stage.index)
    return out


def _context_files(root: Path, build: BuildContext) -> list[str]:
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            rel = os.path.relpath(os.path.join(folder, name), root).replace(os.sep, "/")
            if not build.is_ignored(rel):
                found.append(rel)
    return found


def _early_copies(doc: Document) -> list[Instruction]:
    """The COPY and ADD instructions that come before a stage's last install."""
    early: list[Instruction] = []
    for stage in doc.stages:
        installs = [i for i in stage.instructions if install_kind(i) is not None]
        if installs:
            early += [i for i in stage.instructions if i.index < installs[-1].index and i.kind in ("COPY", "ADD")]
    return early


def _comes_in_late(doc: Document, early: list[Instruction], rel: str) -> bool:
    """The build copies ``rel`` in, and only after its installs (or with a whole-context copy)."""
    if not any(brings_in(doc, i, rel) for i in doc.instructions):
        return False
    return not any(brings_in(doc, i, rel) for i in early) or _only_whole(doc, early, rel)


def source_to_edit(doc: Document, root: Path, build: BuildContext, dockerfile: str | None) -> str | None:
    """An application file that the build copies in after its installs: changing it must not
    re-run an install that the rewrite moved ahead of the full copy."""
    early = _early_copies(doc)
    candidates: list[str] = []
    for rel in _context_files(root, build):
        if rel == dockerfile or rel.endswith(".dockerignore") or comment_line(rel, "x") is None:
            continue
        if _comes_in_late(doc, early, rel):
            candidates.append(rel)
    if not candidates:
        return None
    for suffix in _PREFERRED:
        for rel in candidates:
            if rel.endswith(suffix):
                return rel
    return candidates[0]


def file_to_add(doc: Document, root: Path, build: BuildContext, token: str) -> str | None:
    """A new file at the top of the context that the build copies in after its installs (not
    excluded by .dockerignore): the application edit for a context that holds nothing but the
    manifests and the Dockerfile."""
    early = _early_copies(doc)
    for name in (f"dockerfix-verify-{token}.txt", f".dockerfix-verify-{token}"):
        if not (root / name).exists() and not build.is_ignored(name) and _comes_in_late(doc, early, name):
            return name
    return None


def _only_whole(doc: Document, early: list[Instruction], rel: str) -> bool:
    """The early copies that bring ``rel`` in are whole-context copies (the original shape that
    the rewrite could not split); the file is then still fine to edit."""
    return all(_sources(doc, i) in (["."], ["*"]) for i in early if brings_in(doc, i, rel))


def manifest_to_edit(doc: Document, inst: Instruction, build: BuildContext) -> str | None:
    """A dependency file copied in just for ``inst`` (nearest COPY before it in its stage) that a
    comment line can change without changing its meaning."""
    stage = doc.stages[inst.stage]
    for other in reversed([i for i in stage.instructions if i.index < inst.index]):
        sources = _sources(doc, other)
        if sources is None:
            continue
        for source in sources:
            if source in (".", "*") or any(c in source for c in "*?[") or not build.is_file(source):
                continue
            if comment_line(source, "x") is not None and posixpath.splitext(source)[1] not in _COMMENTS:
                return source
    return None
