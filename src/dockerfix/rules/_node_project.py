"""The configuration files a Node package manager finds in the folder it runs in: the ones the
Dockerfile copies from the build context into the RUN's WORKDIR (a folder copied there, or the
files themselves), read through the build context. Where that cannot be followed (a `cd` or a
folder option, a copy from another stage, an unknown build context), what the folder holds is
unknown, with the reason."""

from __future__ import annotations

import fnmatch
import posixpath

from dockerfix.context.build_context import BuildContext
from dockerfix.document.model import Document, Instruction
from dockerfix.document.state import is_known_dir
from dockerfix.ecosystems.node_config import CONFIG_FILES
from dockerfix.ecosystems.packages import Call
from dockerfix.records import field, frozen
from dockerfix.rules._mounts import earlier
from dockerfix.rules._package_cache import Run

_GLOB = frozenset("*?[")


@frozen
class Project:
    files: dict[str, str] = field(default_factory=dict)  # file name → text
    unknown: str | None = None  # why what the folder holds is not known


def project(run: Run, call: Call, folder_options: tuple[str, ...]) -> Project:
    """What the folder ``call`` runs in holds of CONFIG_FILES (asked several times for each
    call: where the cache is, which Yarn runs; computed once)."""
    position = run.position(call)
    key = ("node project", run.inst.index, position, folder_options)
    return run.doc.memo(key, lambda: _project(run, call, position, folder_options))


def _project(run: Run, call: Call, position: int, folder_options: tuple[str, ...]) -> Project:
    if any(cmd.name == "cd" for cmd in run.script.commands[:position]) or call.has(*folder_options):
        return Project(unknown=f"`{call.text}` runs in a folder this RUN changes to")
    workdir = run.state.workdir
    if not is_known_dir(workdir):
        return Project(unknown="the WORKDIR is not known")
    files: dict[str, str] = {}
    for inst in earlier(run.doc, run.inst):
        if inst.kind not in ("COPY", "ADD") or inst.heredocs or len(inst.words) < 2:
            continue
        copied = _copied(run.doc, inst, workdir, run.ctx.build)
        if isinstance(copied, str):
            return Project(unknown=copied)
        files.update(copied)
    return Project(files)


def _copied(doc: Document, inst: Instruction, workdir: str, build: BuildContext | None) -> dict[str, str] | str:
    """The configuration files a COPY/ADD puts in ``workdir`` (name → text), or why they are not
    known."""
    words = [w.value for w in inst.words]
    dest = doc.state(inst).resolve(words[-1])
    into = words[-1].endswith("/") or words[-1] in (".", "./") or len(words) > 2
    if dest is None:
        return f"line {inst.line_no} copies to a path through a variable whose value is not known"
    out: dict[str, str] = {}
    for source in words[:-1]:
        if "://" in source:
            continue
        names = _names(source, dest, workdir, into)
        if not names and dest != workdir:
            continue
        other = inst.flag("from")
        if other is not None:
            return f"line {inst.line_no} copies into {workdir} from {other.value}"
        if build is None:
            return "the build context is unknown (give --context)"
        if dest == workdir and build.is_dir(source):
            names = [(posixpath.join(source, n), n) for n in CONFIG_FILES]
        for path, name in names:
            text = build.read_text(path) if not build.is_ignored(path) else None
            if text is not None:
                out[name] = text
    return out


def _names(source: str, dest: str, workdir: str, into: bool) -> list[tuple[str, str]]:
    """(context path, file name) for each configuration file a file source puts in ``workdir``."""
    base = posixpath.basename(source.rstrip("/"))
    folder = posixpath.dirname(source.rstrip("/"))
    out: list[tuple[str, str]] = []
    for name in CONFIG_FILES:
        if _GLOB & set(base):
            if dest == workdir and fnmatch.fnmatchcase(name, base):
                out.append((posixpath.join(folder, name), name))
        elif base == name and (dest == workdir if into else dest in (workdir, posixpath.join(workdir, name))):
            out.append((source, name))
    return out
