"""`docker build` command lines in shell text (a workflow's `run:` step, a Makefile's recipe):
the Dockerfile and the build context each names, following `cd` in the same shell.

A word that expands a variable or a command (`$VAR`, `$(...)`, a backquote) is not known, and
neither is anything after a `cd` to such a word; the caller reports it as unknown.
"""

from __future__ import annotations

import posixpath
import re

from dockerfix.document.options import split_options
from dockerfix.document.shell import Command, ShellWord, parse_shell
from dockerfix.records import frozen

# options of `docker build` / `docker buildx build` that take a value
_VALUE_OPTIONS = frozenset({
    "--add-host", "--allow", "--annotation", "--attest", "--build-arg", "--build-context", "--builder",
    "--cache-from", "--cache-to", "--call", "--cgroup-parent", "--cpu-period", "--cpu-quota", "--cpu-shares",
    "--cpuset-cpus", "--cpuset-mems", "--file", "--iidfile", "--isolation", "--label", "--memory",
    "--memory-swap", "--metadata-file", "--network", "--output", "--platform", "--progress", "--secret",
    "--security-opt", "--shm-size", "--ssh", "--tag", "--target", "--ulimit", "--provenance", "--sbom",
    "--userns", "--volume", "--format", "--jobs", "--os", "--arch", "--variant", "--layers", "--authfile",
    "--creds", "--env", "--ignorefile",
})  # fmt: skip
_FLAG_OPTIONS = frozenset({
    "--check", "--compress", "--debug", "--disable-content-trust", "--force-rm", "--load", "--no-cache",
    "--pull", "--push", "--quiet", "--rm", "--squash", "--help", "--tls-verify",
})  # fmt: skip
_SHORT_VALUES = "ftmo"  # -f FILE, -t TAG, -m MEMORY, -o OUTPUT
_SHORT_FLAGS = "q"
_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)")


@frozen
class DockerBuild:
    """One `docker build`: its Dockerfile and context as absolute paths (POSIX), each None when
    not known (``unknown`` then says why); ``dockerfile_pattern`` is the Dockerfile's path with
    `*` for what is not known."""

    line: int  # 1-based, in the file the text came from
    dockerfile: str | None
    dockerfile_pattern: str | None
    context: str | None
    unknown: str | None = None
    options: frozenset[str] = frozenset()  # the options given (`--cache-from`, `--no-cache`...)
    target: str | None = None  # the `--target` stage as written, `*` for each expansion; None: none


def _has_expansion(word: ShellWord) -> bool:
    return word.expands or "`" in word.raw


def _pattern(word: ShellWord) -> str:
    """The word's value with `*` for each expansion."""
    return re.sub(r"\$(?:\{[^}]*\}|\([^)]*\)|[A-Za-z_][A-Za-z0-9_]*|.)|`[^`]*`", "*", word.value)


def _is_build(argv: tuple[ShellWord, ...]) -> int:
    """How many words name the build (`docker build`: 2, `docker buildx build`: 3), else 0."""
    names = [w.value for w in argv[:3]]
    if not names or posixpath.basename(names[0]) not in ("docker", "podman"):
        return 0
    if names[1:2] == ["build"]:
        return 2
    if names[1:3] in (["buildx", "build"], ["buildx", "b"], ["image", "build"]):
        return 3
    return 0


def _unwrap(command: Command) -> tuple[ShellWord, ...]:
    argv = command.argv
    while argv and argv[0].value in ("sudo", "exec", "command", "time", "nohup"):
        argv = argv[1:]
    return argv


def _line_of(text: str, offset: int, first_line: int) -> int:
    return first_line + text.count("\n", 0, offset)


def docker_builds(text: str, cwd: str | None, first_line: int, cwd_unknown: str | None = None) -> list[DockerBuild]:
    """The `docker build` commands of one shell's ``text`` (its first line is ``first_line`` of
    its file) run in ``cwd`` (None: not known, ``cwd_unknown`` says why)."""
    if "build" not in text or not re.search(r"\b(?:docker|podman)\b", text):
        return []
    joined = text.replace("\\\r\n", "   ").replace("\\\n", "  ")  # offsets and lines stay
    script = parse_shell(joined)
    if script.opaque:
        line = first_line + text[: text.find("build")].count("\n")
        return [DockerBuild(line, None, "*", None, f"the shell text cannot be read ({script.opaque})")]
    found: list[DockerBuild] = []
    why_cwd = cwd_unknown
    for command in script.commands:
        argv = _unwrap(command)
        line = _line_of(joined, command.start, first_line)
        if argv and argv[0].value in ("cd", "pushd", "popd"):
            target = argv[1] if len(argv) > 1 else None
            if target is None or argv[0].value == "popd" or _has_expansion(target) or target.value in ("-", "~") \
                    or target.value.startswith("~"):  # fmt: skip
                cwd = None
                why_cwd = f"the folder of `{' '.join(w.raw for w in argv)}` (line {line}) is not known"
            elif cwd is not None:
                cwd = posixpath.normpath(posixpath.join(cwd, target.value))
            continue
        skip = _is_build(argv)
        build = _read_build(argv[skip:], cwd, why_cwd, line) if skip else None
        if build is not None:
            found.append(build)
    return found


def _value_word(words: tuple[ShellWord, ...], value: str) -> ShellWord:
    """The word that spells an option's value (`-f FILE`, `--file=FILE`, `-fFILE`)."""
    w = words[-1]
    if len(words) > 1:
        return w
    return ShellWord(value, value, w.end - len(value), w.end, w.expands)


def _read_build(words: tuple[ShellWord, ...], cwd: str | None, why_cwd: str | None, line: int) -> DockerBuild | None:
    """One `docker build`'s arguments (after `build`); None when it builds no local Dockerfile."""
    options, operands = split_options(words, _VALUE_OPTIONS, _SHORT_VALUES, group_flags=False)
    strange = [o.name for o in options if o.value is None and o.name not in _FLAG_OPTIONS and o.name[1:] not in _SHORT_FLAGS]
    files = [o for o in options if o.name in ("-f", "--file")]
    file_word = _value_word(files[-1].words, files[-1].value or "") if files else None
    if strange:
        return DockerBuild(line, None, "*", None, f"`docker build` has an option it cannot read ({strange[0]})")
    if len(operands) != 1 and any(_has_expansion(w) for w in operands):
        spelled = " ".join(w.raw for w in operands)
        return DockerBuild(line, None, "*", None, f"the arguments `{spelled}` of `docker build` are not known")
    if len(operands) != 1:
        return None  # docker refuses it: it builds nothing
    given = frozenset(o.name.partition("=")[0] for o in options)
    targets = [o for o in options if o.name == "--target"]
    target = _pattern(_value_word(targets[-1].words, targets[-1].value or "")) if targets else None
    context_word = operands[0]
    if context_word.value == "-" or _REMOTE.match(context_word.value) or (file_word is not None and file_word.value == "-"):
        return None  # from standard input or a URL: no local files
    if cwd is None:
        why = why_cwd or "the working folder is not known"
        pattern = "*/" + (_pattern(file_word) if file_word else "Dockerfile")
        return DockerBuild(line, None, pattern, None, why, given, target)
    context = None if _has_expansion(context_word) else posixpath.normpath(posixpath.join(cwd, context_word.value))
    unknown = None if context is not None else f"the context `{context_word.raw}` is not known"
    if file_word is None:
        base = context if context is not None else posixpath.join(cwd, _pattern(context_word))
        path = posixpath.join(base, "Dockerfile")
        return DockerBuild(line, path if context is not None else None, path, context, unknown, given, target)
    if _has_expansion(file_word):
        return DockerBuild(line, None, posixpath.join(cwd, _pattern(file_word)), context, unknown, given, target)
    path = posixpath.normpath(posixpath.join(cwd, file_word.value))
    return DockerBuild(line, path, path, context, unknown, given, target)
