"""Helpers shared by rules: reading a RUN's commands, the user it runs as, platform checks."""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Sequence

from dockerfix.document.edit import InstructionEditor
from dockerfix.document.flags import mounts
from dockerfix.document.model import Document, Instruction, Stage
from dockerfix.document.shell import ShellWord
from dockerfix.document.state import State, shell_program
from dockerfix.ecosystems.commands import Invocation
from dockerfix.records import frozen

_WINDOWS = re.compile(r"(?i)(windows|nanoserver|servercore)")
_POSIX_SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


_SYNTAX_PIN = re.compile(r"^(?:docker\.io/)?docker/dockerfile(?:-upstream)?:(\d+)\.(\d+)")


def frontend_problem(doc: Document) -> str | None:
    """Why the file's pinned frontend cannot run RUN --mount (a pin below 1.2), or None."""
    syntax = doc.directive("syntax")
    if syntax is None:
        return None
    m = _SYNTAX_PIN.match(syntax.value)
    if m and (int(m.group(1)), int(m.group(2))) < (1, 2) and "experimental" not in syntax.value:
        return f"the file pins the Dockerfile frontend {syntax.value}, which has no RUN --mount (1.2+)"
    return None


def platform_problem(doc: Document, stage: Stage, state: State, inst: Instruction) -> str | None:
    """Why RUN flags cannot be added to this RUN at all, or None."""
    frontend = frontend_problem(doc)
    if frontend:
        return frontend
    if windows_image(doc, stage):
        return "this is a Windows image; BuildKit cache mounts are not supported there"
    tool = shell_program(state)
    if state.shell is not None and tool not in _POSIX_SHELLS and inst.exec_form is None:
        return f"SHELL {list(state.shell)} is not a POSIX shell"
    return None


def windows_image(doc: Document, stage: Stage) -> bool:
    """A Windows base image (known as one, or named like one), or a file written for one (the
    backtick escape)."""
    facts = doc.state(stage.from_).image
    if facts is not None and facts.windows is not None:
        return facts.windows or doc.escape == "`"
    return doc.escape == "`" or bool(_WINDOWS.search(stage.base))


def stage_chain(doc: Document, inst: Instruction) -> frozenset[int]:
    """The stage of ``inst`` and the stages it is built FROM, as stage indices."""
    chain: set[int] = set()
    stage = doc.stages[inst.stage] if 0 <= inst.stage < len(doc.stages) else None
    while stage is not None and stage.index not in chain:
        chain.add(stage.index)
        parent = doc.stage_named(stage.base)
        stage = parent if parent is not None and parent.index < stage.index else None
    return frozenset(chain)


def source_stage(doc: Document, name: str) -> Stage | None:
    """The stage a `--from=` names, by name or index."""
    if name.isdigit():
        k = int(name)
        return doc.stages[k] if k < len(doc.stages) else None
    return doc.stage_named(name)


def _origins(inst: Instruction) -> list[str]:
    """What ``inst`` reads from another stage or image, as written: `COPY --from`, the `from`
    of a `RUN --mount`."""
    if inst.kind == "COPY":
        flag = inst.flag("from")
        return [flag.value] if flag is not None and flag.value else []
    if inst.kind == "RUN":
        return [m.options["from"] for m in mounts(inst) if m.options.get("from")]
    return []


def built_stages(doc: Document, target: Stage) -> frozenset[int]:
    """The stages a build of ``target`` runs (BuildKit skips every other one): it, the stages it
    is built FROM, and those it copies or mounts from, through theirs. A `--from` a variable
    hides, and that is not known, counts no stage: the result is never more than is built."""
    built: set[int] = set()
    todo = [target.index]
    while todo:
        k = todo.pop()
        if k in built:
            continue
        built.add(k)
        stage = doc.stages[k]
        todo.extend(stage_chain(doc, stage.from_))
        for inst in stage.instructions:
            for origin in _origins(inst):
                source = source_stage(doc, doc.state(inst).expand(origin) or origin)
                if source is not None:
                    todo.append(source.index)
    return frozenset(built)


def heredoc_files(doc: Document, inst: Instruction) -> list[tuple[str | None, str]]:
    """(absolute target or None where a variable hides it, content) of each file a
    `COPY <<EOF dest` writes: the destination itself for one heredoc into a path without a
    trailing slash, else a file named after the delimiter in that folder."""
    words = [w.value for w in inst.words]
    if inst.kind not in ("COPY", "ADD") or not inst.heredocs or not words:
        return []
    dest = doc.state(inst).resolve(words[-1])
    single = len(inst.heredocs) == 1 and not words[-1].endswith("/")
    out: list[tuple[str | None, str]] = []
    for heredoc in inst.heredocs:
        lines = [line.lstrip("\t") for line in heredoc.lines] if heredoc.strip_tabs else heredoc.lines
        target = None if dest is None else dest if single else posixpath.join(dest, heredoc.name)
        out.append((target, "\n".join(lines) + "\n"))
    return out


def copied_files(doc: Document, inst: Instruction) -> list[tuple[str, str]]:
    """(context source, absolute target) pairs for the sources of a COPY/ADD whose destination
    is known. A destination without a trailing slash may name the file itself or a folder that
    already exists, so both places are given for it."""
    words = [w.value for w in inst.words]
    if inst.heredocs or len(words) < 2:
        return []
    dest = doc.state(inst).resolve(words[-1])
    if dest is None:
        return []
    sources = words[:-1]
    folder_only = words[-1].endswith("/") or words[-1] in (".", "..") or len(sources) > 1
    out: list[tuple[str, str]] = []
    for source in sources:
        out.append((source, posixpath.normpath(posixpath.join(dest, posixpath.basename(source.rstrip("/"))))))
        if not folder_only:
            out.append((source, posixpath.normpath(dest)))
    return out


def keyword_end(inst: Instruction) -> int:
    return len(inst.logical) - len(inst.logical.lstrip(" \t")) + len(inst.keyword)


def flags_end(inst: Instruction) -> int:
    """Where a new flag goes: after the existing flags, or right after the keyword."""
    return inst.flags[-1].end if inst.flags else keyword_end(inst)


@frozen
class RunUser:
    root: bool
    uid: int | None = None
    gid: int | None = None
    name: str = "root"
    problem: str | None = None


def run_user(state: State) -> RunUser:
    user = state.user
    if state.user_line is not None:
        line = f" (USER at line {state.user_line + 1})"
    else:
        line = f" (the USER of {state.image_name})" if user is not None else ""
    if user is None:
        return RunUser(True)
    if "<" in user or "$" in user:
        return RunUser(False, problem=f"the USER{line} is set through a variable whose value is not known")
    name, _, group = user.partition(":")
    if name in ("root", "0") and group in ("", "root", "0"):
        return RunUser(True)
    info = state.account(name)
    uid = int(name) if name.isdigit() else (info.uid if info else None)
    gid: int | None
    if group:
        gid = int(group) if group.isdigit() else state.groups.get(group)
    else:
        gid = info.gid if info else None
    if uid is None:
        return RunUser(
            False,
            name=name,
            problem=f"it runs as user {name!r}{line}, whose numeric uid the Dockerfile does not show",
        )
    return RunUser(uid == 0, uid, gid, name)


def json_separator(args: str) -> str:
    """The separator an exec-form array uses between its elements."""
    m = re.search(r'"\s*(,\s*)"', args)
    return m.group(1) if m else ", "


def remove_json_element(editor: InstructionEditor, inst: Instruction, start: int, end: int) -> None:
    """Remove one element of an exec-form array with the comma next to it."""
    args = inst.args
    base = inst.args_start
    m = re.match(r"\s*,\s*", args[end:])
    if m:
        editor.remove_span(base + start, base + end + m.end())
        return
    m = re.search(r",\s*$", args[:start])
    if m:
        editor.remove_span(base + m.start(), base + end)
        return
    editor.remove_span(base + start, base + end)


def remove_run_word(editor: InstructionEditor, inst: Instruction, word: ShellWord) -> None:
    """Remove one word of a RUN the way the RUN is written: an exec-form element with its comma,
    a shell word with the blanks next to it."""
    if inst.script.exec_form:
        remove_json_element(editor, inst, word.start, word.end)
    else:
        editor.remove_word(inst.shell.base + word.start, inst.shell.base + word.end)


def insert_run_words(editor: InstructionEditor, inst: Instruction, word: ShellWord, values: Sequence[str]) -> None:
    """Insert words right after ``word`` of a RUN, as exec-form elements or as shell words."""
    if inst.script.exec_form:
        sep = json_separator(inst.args)
        text = "".join(f"{sep}{json.dumps(v)}" for v in values)
    else:
        text = "".join(" " + v for v in values)
    editor.insert_after(inst.shell.base + word.end, text)


def run_with(
    editor: InstructionEditor,
    inst: Instruction,
    invocation: Invocation,
    tool: ShellWord,
    unset: Sequence[str] = (),
    assignments: Sequence[str] = (),
) -> None:
    """Run one command of a RUN with variables unset (`env -u`) and set (`VAR=value`), written the
    way the RUN is: `VAR=value tool` where an assignment can stand first, else through env(1)
    (exec form, after sudo); options go after an env(1) the command already has, assignments
    right before the tool, after everything env(1) already takes."""
    base = inst.shell.base
    exec_form = inst.script.exec_form
    env_word = invocation.env_word
    prefix: list[str] = []
    if env_word is None and (unset or (assignments and (exec_form or not invocation.at_start))):
        prefix.append("env")
    options = [w for name in unset for w in ("-u", name)]
    if options and env_word is not None:
        insert_run_words(editor, inst, env_word, options)
    elif options:
        prefix += options
    prefix += assignments
    if prefix:
        if exec_form:
            sep = json_separator(inst.args)
            text = sep.join(json.dumps(p) for p in prefix) + sep
        else:
            text = " ".join(prefix) + " "
        editor.insert_before(base + tool.start, text)
