"""The dependencies a Python project declares, read without running anything: the `[project]`
table of pyproject.toml, `install_requires` in setup.cfg, and a literal `install_requires` in
setup.py (read with libcst, imported only when a setup.py has to be read).

The answer is either the list of requirement strings, requirement files that setup.py reads, or
the reason they cannot be known statically.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from dockerfix.records import field, record

ReadText = Callable[[str], "str | None"]


@functools.lru_cache(maxsize=64)
def parse_toml(text: str) -> tuple[dict[str, Any] | None, str | None]:
    """A TOML file's data, or None and why it does not parse. Memoized: every rule that looks at
    a project reads the same pyproject.toml. The data is shared: read it, never change it."""
    import tomllib  # imported when a TOML file is read, not at start-up

    try:
        return tomllib.loads(text), None
    except tomllib.TOMLDecodeError as exc:
        return None, str(exc)


@record
class Declared:
    requirements: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # requirement files setup.py reads
    source: str = ""  # the file the answer comes from
    unknown: str | None = None  # why the dependencies cannot be known


def declared_dependencies(read: ReadText, extras: list[str]) -> Declared:
    """What `pip install .[extras]` installs besides the project, read from its folder."""
    text = read("pyproject.toml")
    if text is not None:
        data, error = parse_toml(text)
        if data is None:
            return Declared(unknown=f"pyproject.toml does not parse ({error})")
        project = data.get("project")
        if isinstance(project, dict):
            dynamic = project.get("dynamic") or []
            if "dependencies" in dynamic or (extras and "optional-dependencies" in dynamic):
                return Declared(unknown="pyproject.toml declares its dependencies as dynamic")
            found = Declared(list(_strings(project.get("dependencies"))), source="pyproject.toml")
            optional = project.get("optional-dependencies") or {}
            for extra in extras:
                if extra not in optional:
                    return Declared(unknown=f"pyproject.toml has no extra {extra!r}")
                found.requirements += _strings(optional[extra])
            return found
    cfg = read("setup.cfg")
    from_cfg = _setup_cfg(cfg, extras) if cfg is not None else None
    if from_cfg is not None:
        return from_cfg
    script = read("setup.py")
    if script is not None:
        return _setup_py(script, extras)
    return Declared(unknown="no pyproject.toml [project] table, setup.cfg or setup.py declares the dependencies")


def named_files(text: str) -> list[tuple[str, str]]:
    """The files pyproject.toml names for the project's metadata, which building it reads:
    (what names it, the path). Globs (`license-files`) are left out."""
    data = parse_toml(text)[0]
    if data is None:
        return []
    out: list[tuple[str, str]] = []
    project = data.get("project")
    if isinstance(project, dict):
        for key in ("readme", "license"):
            value = project.get(key)
            if isinstance(value, dict):
                value = value.get("file")
            if isinstance(value, str) and (key == "readme" or isinstance(project.get(key), dict)):
                out.append((f"[project] {key}", value))
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict):
        readme = poetry.get("readme")
        for value in [readme] if isinstance(readme, str) else readme if isinstance(readme, list) else []:
            if isinstance(value, str):
                out.append(("[tool.poetry] readme", value))
    return out


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _lines(value: str) -> list[str]:
    return [line.strip() for line in value.splitlines() if line.strip() and not line.strip().startswith("#")]


def _setup_cfg(text: str, extras: list[str]) -> Declared | None:
    import configparser  # imported when a setup.cfg is read, not at start-up

    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text)
    except configparser.Error as exc:
        return Declared(unknown=f"setup.cfg does not parse ({exc})")
    if not parser.has_option("options", "install_requires"):
        return None
    value = parser.get("options", "install_requires")
    if value.strip().startswith(("file:", "attr:")):
        return Declared(unknown="setup.cfg reads install_requires from elsewhere")
    found = Declared(_lines(value), source="setup.cfg")
    for extra in extras:
        if not parser.has_option("options.extras_require", extra):
            return Declared(unknown=f"setup.cfg has no extra {extra!r}")
        found.requirements += _lines(parser.get("options.extras_require", extra))
    return found


def _setup_py(text: str, extras: list[str]) -> Declared:
    import libcst as cst

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return Declared(unknown="setup.py does not parse")
    names: dict[str, cst.BaseExpression] = {}
    calls: list[cst.Call] = []

    class Visitor(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    names[target.target.value] = node.value

        def visit_Call(self, node: cst.Call) -> None:
            func = node.func
            name = func.value if isinstance(func, cst.Name) else func.attr.value if isinstance(func, cst.Attribute) else ""
            if name == "setup":
                calls.append(node)

    module.visit(Visitor())
    if len(calls) != 1:
        return Declared(unknown="setup.py does not call setup() exactly once")
    arguments = {a.keyword.value: a.value for a in calls[0].args if a.keyword is not None}
    if any(a.keyword is None for a in calls[0].args):
        return Declared(unknown="setup.py passes arguments to setup() that are not named")
    found = Declared(source="setup.py")
    value = arguments.get("install_requires")
    if value is not None:
        if not _literal(value, names, found):
            return Declared(unknown="setup.py computes install_requires")
    if extras:
        table = arguments.get("extras_require")
        table = names.get(table.value, table) if isinstance(table, cst.Name) else table
        if not isinstance(table, cst.Dict):
            return Declared(unknown="setup.py computes extras_require")
        by_name = {
            e.key.evaluated_value: e.value
            for e in table.elements
            if isinstance(e, cst.DictElement) and isinstance(e.key, cst.SimpleString)
        }
        for extra in extras:
            if extra not in by_name or not _literal(by_name[extra], names, found):
                return Declared(unknown=f"setup.py does not list the extra {extra!r} literally")
    return found


def _literal(value: object, names: Mapping[str, object], found: Declared) -> bool:
    """Add a literal list of strings (through one variable at most), or the requirement file an
    `open("requirements.txt").read().splitlines()` reads; False for anything else."""
    import libcst as cst

    if isinstance(value, cst.Name) and value.value in names:
        value = names[value.value]
    if isinstance(value, cst.List | cst.Tuple):
        for element in value.elements:
            if not isinstance(element.value, cst.SimpleString):
                return False
            text = element.value.evaluated_value
            if not isinstance(text, str):
                return False
            found.requirements.append(text)
        return True
    path = _opened_file(value)
    if path is not None:
        found.files.append(path)
        return True
    return False


def _opened_file(value: object) -> str | None:
    """The file of `open("x").read().splitlines()` (or `.readlines()`), or None."""
    import libcst as cst

    node = value
    while isinstance(node, cst.Call) and isinstance(node.func, cst.Attribute):
        if node.func.attr.value not in ("read", "splitlines", "readlines", "strip"):
            return None
        node = node.func.value
    if isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and node.func.value == "open" and node.args:
        first = node.args[0].value
        if isinstance(first, cst.SimpleString) and isinstance(first.evaluated_value, str):
            return first.evaluated_value
    return None
