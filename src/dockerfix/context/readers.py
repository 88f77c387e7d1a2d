"""What each file of a repository says about build contexts: the readers of compose files, bake
files, GitHub workflows, devcontainer.json and Makefiles (context/sources.py finds the files and
indexes what these return). Imported only when a repository has such a file."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from dockerfix.context.build_commands import DockerBuild, docker_builds
from dockerfix.context.hcl_subset import HclError, Value, parse_hcl
from dockerfix.context.jsonc import parse_jsonc
from dockerfix.context.sources import Origin, Reference
from dockerfix.context.yaml_subset import Node, YamlError, parse_yaml
from dockerfix.records import frozen

_REMOTE = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|github\.com/)")


@frozen
class _Field:
    """A path as a file writes it: its value (None when a variable makes it unknown), the value
    with `*` for each variable, and its line."""

    value: str | None
    pattern: str
    line: int
    raw: str


_DOLLAR = re.compile(r"\$\$|\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*")


def _compose_field(text: str, line: int) -> _Field:
    """Compose interpolation: `$$` is a `$`, `${VAR}` and `$VAR` come from the environment."""
    unknown = False

    def sub(m: re.Match[str], star: bool) -> str:
        nonlocal unknown
        if m.group(0) == "$$":
            return "$"
        unknown = True
        return "*" if star else m.group(0)

    pattern = _DOLLAR.sub(lambda m: sub(m, True), text)
    value = _DOLLAR.sub(lambda m: sub(m, False), text)
    return _Field(None if unknown else value, pattern, line, text)


def _template_field(text: str, line: int, known: dict[str, str], syntax: re.Pattern[str]) -> _Field:
    """A path with ``syntax`` expressions (`${{ github.workspace }}`, `${localEnv:X}`): those in
    ``known`` are replaced, any other makes the value unknown."""
    unknown = False

    def sub(m: re.Match[str]) -> str:
        nonlocal unknown
        expr = m.group(1).strip()
        if expr in known:
            return known[expr]
        unknown = True
        return "*"

    pattern = syntax.sub(sub, text)
    return _Field(None if unknown else pattern, pattern, line, text)


def _node_field(node: Node | None, convert: Callable[[str, int], _Field]) -> _Field | None:
    if node is None or node.text is None:
        return None
    return convert(node.text, node.line)


def _reference(
    origin: Origin, base: str, context: _Field | None, dockerfile: _Field | None, dockerfile_base: str | None
) -> Reference | None:
    """A reference from a context and a Dockerfile as written: the context relative to ``base``
    (default `.`), the Dockerfile relative to ``dockerfile_base`` (None: to the context; default
    `Dockerfile` in the context)."""
    ctx = context or _Field(".", ".", origin.line, ".")
    if _REMOTE.match(ctx.pattern):
        return None  # a remote context: no local Dockerfile in it
    ctx_path = posixpath.normpath(posixpath.join(base, ctx.value)) if ctx.value is not None else None
    ctx_pattern = posixpath.join(base, ctx.pattern)
    unknown = None if ctx_path is not None else f"the context `{ctx.raw}` is not known"
    if dockerfile is None:
        if ctx_path is None:
            return Reference(origin, None, posixpath.join(ctx_pattern, "Dockerfile"), None, unknown)
        path = posixpath.join(ctx_path, "Dockerfile")
        return Reference(origin, path, path, ctx_path, None)
    file_base = dockerfile_base if dockerfile_base is not None else ctx_path
    if dockerfile.value is not None and (file_base is not None or dockerfile.value.startswith("/")):
        path = posixpath.normpath(posixpath.join(file_base or "/", dockerfile.value))
        return Reference(origin, path, path, ctx_path, unknown)
    pattern = posixpath.join(file_base if file_base is not None else ctx_pattern, dockerfile.pattern)
    return Reference(origin, None, pattern, ctx_path, unknown)


def _line(default: int, *fields: _Field | None) -> int:
    return next((f.line for f in fields if f is not None), default)


def _unreadable(origin: Origin, what: str, message: str) -> Reference:
    return Reference(origin, None, "*", None, f"{what} cannot be read ({message})")


def compose_references(path: Path, text: str) -> list[Reference]:
    """`services.*.build` of a compose file: a string (the context) or a mapping with `context`
    (default `.`) and `dockerfile` (relative to the context); both relative to the file's folder."""
    doc = parse_yaml(text)
    base = path.parent.as_posix()
    found: list[Reference] = []
    services = doc.get("services")
    for service in services.mapping.values() if services is not None else ():
        build = service.get("build")
        if build is None or build.value is None:
            continue
        if build.text is not None:
            ref = _reference(Origin(path, build.line), base, _compose_field(build.text, build.line), None, None)
        elif isinstance(build.value, dict):
            if build.get("dockerfile_inline") is not None:
                continue
            context = _node_field(build.get("context"), _compose_field)
            dockerfile = _node_field(build.get("dockerfile"), _compose_field)
            ref = _reference(Origin(path, _line(build.line, context, dockerfile)), base, context, dockerfile, None)
        else:
            continue
        if ref is not None:
            found.append(ref)
    return found


def _hcl_field(value: Value | None) -> _Field | None:
    if value is None:
        return None
    if value.kind == "string" and value.text is not None:
        return _Field(value.text, value.text, value.line, value.text)
    raw = value.source[1:-1] if value.source.startswith('"') and value.source.endswith('"') else value.source
    return _Field(None, re.sub(r"\$\{[^}]*\}|%\{[^}]*\}", "*", raw) if raw != value.source else "*", value.line, raw)


_Target = tuple[int, dict[str, "_Field | None"], list[str]]  # line, attributes, inherits


def _bake(path: Path, targets: dict[str, list[_Target]]) -> list[Reference]:
    def fields(name: str, seen: frozenset[str]) -> dict[str, _Field | None]:
        out: dict[str, _Field | None] = {}
        for _, attrs, parents in targets[name]:
            for parent in parents:
                if parent in targets and parent not in seen:
                    out.update(fields(parent, seen | {name}))
            out.update(attrs)
        return out

    found: list[Reference] = []
    for name, blocks in targets.items():
        attrs = fields(name, frozenset())
        if "dockerfile-inline" in attrs:
            continue
        context, dockerfile = attrs.get("context"), attrs.get("dockerfile")
        origin = Origin(path, _line(blocks[0][0], context, dockerfile))
        ref = _reference(origin, path.parent.as_posix(), context, dockerfile, None)
        if ref is not None:
            found.append(ref)
    return found


_BAKE_KEYS = ("context", "dockerfile", "dockerfile-inline")


def _parents(items: Iterable[Value | Node]) -> list[str]:
    return [i.text for i in items if i.text is not None]


def bake_hcl_references(path: Path, text: str) -> list[Reference]:
    """`target` blocks of a docker-bake.hcl: `context` (relative to the file's folder) and
    `dockerfile` (relative to the context), through `inherits`."""
    targets: dict[str, list[_Target]] = {}
    for block in parse_hcl(text)[1]:
        if block.type == "target" and len(block.labels) == 1:
            attrs = {key: _hcl_field(block.attributes[key]) for key in _BAKE_KEYS if key in block.attributes}
            inherits = block.attributes.get("inherits")
            parents = _parents(inherits.items) if inherits is not None else []
            targets.setdefault(block.labels[0], []).append((block.line, attrs, parents))
    return _bake(path, targets)


def bake_json_references(path: Path, text: str) -> list[Reference]:
    """The same in a docker-bake.json (`{"target": {"api": {"context": ...}}}`)."""
    table = parse_jsonc(text).get("target") or Node({}, 1)
    return _bake(path, {
        name: [(node.line, {key: _node_field(node.get(key), _compose_field) for key in _BAKE_KEYS if node.get(key)},
                _parents((node.get("inherits") or Node((), 1)).items))]
        for name, node in table.mapping.items()
    })  # fmt: skip


_GHA = re.compile(r"\$\{\{(.*?)\}\}")


@frozen
class WorkflowBuild:
    """One build a workflow step runs: a `docker/build-push-action` step (``command`` None) or a
    `docker build` line of a `run:` step, with the job and step it is in."""

    job: str
    job_node: Node
    index: int  # of the step in the job's steps
    step: Node
    reference: Reference
    command: DockerBuild | None = None


def workflow_builds(path: Path, doc: Node, root: Path) -> Iterator[WorkflowBuild]:
    """The builds of a workflow's steps: `docker/build-push-action` (`with: context`, `file`,
    relative to the repository root) and `docker build` lines of `run:` steps (in their
    working-directory)."""
    known = {"github.workspace": root.as_posix(), "env.GITHUB_WORKSPACE": root.as_posix()}

    def field(node: Node | None) -> _Field | None:
        return _node_field(node, lambda t, line: _template_field(t, line, known, _GHA))

    top = _working_directory(doc, None)
    jobs = doc.get("jobs")
    for name, job in jobs.mapping.items() if jobs is not None else ():
        job_dir = _working_directory(job, top)
        steps = job.get("steps")
        for index, step in enumerate(steps.items if steps is not None else ()):
            uses = step.get("uses")
            if uses is not None and (uses.text or "").startswith("docker/build-push-action"):
                for ref in _build_push(path, root, step, field):
                    yield WorkflowBuild(name, job, index, step, ref)
            run = step.get("run")
            if run is not None and run.text is not None:
                wd = field(step.get("working-directory")) or job_dir
                script = _GHA.sub(lambda m: known.get(m.group(1).strip(), m.group(0)), run.text)
                cwd, why = _cwd(root, wd)
                for build in docker_builds(script, cwd, run.line, why):
                    for ref in _from_builds(path, (build,)):
                        yield WorkflowBuild(name, job, index, step, ref, build)


def workflow_references(path: Path, text: str, root: Path) -> list[Reference]:
    """The builds of a workflow's steps (`workflow_builds`) as references."""
    return [build.reference for build in workflow_builds(path, parse_yaml(text), root)]


def _working_directory(node: Node, inherited: _Field | None) -> _Field | None:
    run = (node.get("defaults") or Node(None, 0)).get("run")
    wd = run.get("working-directory") if run is not None else None
    if wd is None or wd.text is None:
        return inherited
    return _template_field(wd.text, wd.line, {}, _GHA)


def _cwd(root: Path, wd: _Field | None) -> tuple[str | None, str | None]:
    if wd is None:
        return root.as_posix(), None
    if wd.value is None:
        return None, f"the working-directory `{wd.raw}` (line {wd.line}) is not known"
    return posixpath.normpath(posixpath.join(root.as_posix(), wd.value)), None


def _build_push(path: Path, root: Path, step: Node, field: Callable[[Node | None], _Field | None]) -> list[Reference]:
    inputs = step.get("with") or Node({}, step.line)
    context = field(inputs.get("context"))
    if context is not None and context.value is not None:
        value = re.sub(r"^\{\{\s*defaultContext\s*\}\}:?", "", context.value) or "."
        context = _Field(value, value, context.line, context.raw)
    dockerfile = field(inputs.get("file"))
    origin = Origin(path, _line(step.line, context, dockerfile))
    ref = _reference(origin, root.as_posix(), context, dockerfile, root.as_posix())
    return [ref] if ref is not None else []


def _from_builds(path: Path, builds: Iterable[DockerBuild]) -> list[Reference]:
    return [
        Reference(Origin(path, b.line), b.dockerfile, b.dockerfile_pattern, b.context, b.unknown)
        for b in builds
        if b.dockerfile is not None or b.dockerfile_pattern is not None
    ]


_DEVCONTAINER = re.compile(r"\$\{([^}]*)\}")


def devcontainer_references(path: Path, text: str) -> list[Reference]:
    """`build.dockerfile` and `build.context` of a devcontainer.json (also the older top-level
    `dockerFile` and `context`), both relative to its folder."""
    doc = parse_jsonc(text)
    build = doc.get("build") or Node({}, doc.line)

    def field(node: Node | None) -> _Field | None:
        return _node_field(node, lambda t, line: _template_field(t, line, {}, _DEVCONTAINER))

    dockerfile = field(build.get("dockerfile") or doc.get("dockerFile") or doc.get("dockerfile"))
    if dockerfile is None:
        return []
    context = field(build.get("context") or doc.get("context"))
    base = path.parent.as_posix()
    ref = _reference(Origin(path, dockerfile.line), base, context, dockerfile, base)
    return [ref] if ref is not None else []


_MAKE_ASSIGNMENT = re.compile(r"^(?:export\s+|override\s+)?[A-Za-z_.][A-Za-z0-9_.-]*\s*(?:::=|:=|\?=|\+=|!=|=)\s*")


_MAKE_CONDITIONAL = re.compile(r"^\s*(ifeq|ifneq|ifdef|ifndef|else|endif)\b")
_MAKE_PLAIN = re.compile(r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(::=|:=|\?=|\+=|!=|=)\s*(.*?)\s*$")


def _make_variables(lines: list[str]) -> dict[str, str]:
    """Variables a Makefile sets once, outside any conditional, to a plain value (no `$`, no
    `?=`/`+=`/`!=`): what `$(NAME)` is unless `make NAME=...` overrides it, as a Dockerfile's
    ARG default is what a build gets unless `--build-arg` overrides it."""
    values: dict[str, str | None] = {}
    depth = 0
    for line in lines:
        if line.startswith("\t"):
            continue  # a recipe line
        cond = _MAKE_CONDITIONAL.match(line)
        if cond:
            depth += {"endif": -1, "else": 0}.get(cond.group(1), 1)
            continue
        m = _MAKE_PLAIN.match(line)
        if m is None:
            continue
        name, op, value = m.groups()
        plain = depth == 0 and name not in values and op in ("=", ":=", "::=") and "$" not in value and "#" not in value
        values[name] = value if plain else None
    return {name: value for name, value in values.items() if value is not None}


def makefile_references(path: Path, text: str) -> list[Reference]:
    """`docker build` lines of a Makefile's recipes (and of variables that hold one), run in
    the Makefile's folder; `$(CURDIR)` is that folder, a variable the Makefile sets once to a
    plain value is that value, other variables are not known."""
    folder = path.parent.as_posix()
    found: list[Reference] = []
    lines = text.split("\n")
    variables = _make_variables(lines)
    k = 0
    while k < len(lines):
        start = k
        logical = lines[k]
        while logical.endswith("\\") and k + 1 < len(lines):
            k += 1
            logical += "\n" + lines[k]
        k += 1
        if "build" not in logical:
            continue
        if logical.startswith("\t"):
            shell = logical[1:].lstrip("@-+ \t")
        else:
            m = _MAKE_ASSIGNMENT.match(logical)
            if m is None:
                continue
            shell = logical[m.end() :]
        shell = re.sub(r"\$[({]CURDIR[)}]", folder, shell)
        shell = re.sub(
            r"(?<!\$)\$[({]([A-Za-z_][A-Za-z0-9_]*)[)}]", lambda m: variables.get(m.group(1), m.group(0)), shell
        ).replace("$$", "$")
        found.extend(_from_builds(path, docker_builds(shell, folder, start + 1)))
    return found


# words that make a file that cannot be read one that might name a Dockerfile
_MIGHT_BUILD = {"compose": ("build",), "workflow": ("docker", "build"), "devcontainer": ("ockerfile",),
                "makefile": ("docker", "build"), "bake-hcl": (), "bake-json": ()}  # fmt: skip
_WHAT = {"compose": "the compose file", "workflow": "the workflow", "devcontainer": "devcontainer.json",
         "makefile": "the Makefile", "bake-hcl": "the bake file", "bake-json": "the bake file"}  # fmt: skip


def read_references(path: Path, kind: str, root: Path) -> list[Reference]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return [_unreadable(Origin(path, 1), _WHAT[kind], str(getattr(exc, "strerror", None) or exc))]
    try:
        if kind == "compose":
            return compose_references(path, text)
        if kind == "bake-hcl":
            return bake_hcl_references(path, text)
        if kind == "bake-json":
            return bake_json_references(path, text)
        if kind == "workflow":
            return workflow_references(path, text, root)
        if kind == "devcontainer":
            return devcontainer_references(path, text)
        return makefile_references(path, text)
    except (YamlError, HclError) as exc:
        if not all(word in text for word in _MIGHT_BUILD[kind]):
            return []
        return [_unreadable(Origin(path, exc.line), _WHAT[kind], exc.message)]
