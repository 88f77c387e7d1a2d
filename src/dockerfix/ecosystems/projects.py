"""Project installs of uv, Poetry, pipenv, PDM and conda/mamba: the files each reads, and whether
it also installs the project itself (which needs the source).

A project install reads a fixed set of manifests in its working folder (`pyproject.toml` and a
lock file), plus a few optional files that change what it does when they are there. Whether it
installs the project depends on its options and on the manifest (a virtual project, Poetry's
`package-mode = false`, PDM's `distribution = false`).
"""

from __future__ import annotations

import re
from typing import Any

from dockerfix.document.shell import Command
from dockerfix.document.state import State
from dockerfix.ecosystems import tools
from dockerfix.ecosystems.commands import unwrap
from dockerfix.ecosystems.dependencies import ReadText, parse_toml
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.ecosystems.project_install import Glob, ProjectInstall
from dockerfix.records import replace

_UV = Grammar(frozenset({"uv"}), frozenset("--project --directory --python -p --extra --group --only-group "
                                          "--package --index-url --extra-index-url --cache-dir --link-mode".split()),
              frozenset("p"))  # fmt: skip
_POETRY = Grammar(frozenset({"poetry"}), frozenset("-C --directory -P --project --only --with --without -E --extras".split()),
                  frozenset("CPE"))  # fmt: skip
_PIPENV = Grammar(frozenset({"pipenv"}), frozenset({"--python", "--categories"}), frozenset())
_PDM = Grammar(frozenset({"pdm"}), frozenset("-p --project -G --group -L --lockfile".split()), frozenset("pGL"))
_CONDA = Grammar(frozenset({"conda", "mamba", "micromamba"}),
                 frozenset("-f --file -n --name -p --prefix -c --channel".split()), frozenset("fnpc"))  # fmt: skip


def _toml(read: ReadText, path: str) -> dict[str, Any] | None:
    text = read(path)
    return parse_toml(text)[0] if text is not None else None


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, dict):
            return {}
        data = value
    return data


_TOOL_NAMES = frozenset({"uv", "poetry", "pipenv", "pdm", "conda", "mamba", "micromamba"})


def _mentions_tool(command: Command) -> bool:
    return any(w.value.rsplit("/", 1)[-1] in _TOOL_NAMES for w in command.argv[:8])


def project_install(
    command: Command, read: ReadText, glob: Glob | None = None, state: State | None = None
) -> ProjectInstall | None:
    """The project install ``command`` makes, if it is one: Python's project tools, Node's
    package managers, `go mod download`, `cargo fetch`, `mvn dependency:go-offline`, `gradle
    dependencies`, `bundle install`, `composer install`, `dotnet
    restore`. ``glob`` finds a workspace's members
    (relative patterns, as the tool's folder holds them); without it they are not listed.
    ``state`` gives the variables the command runs with, which Bundler and Composer read; without
    it only the command's own are seen."""
    names = tools.command_names(command)
    if names & _TOOL_NAMES:
        for reader in (_uv, _poetry, _pipenv, _pdm, _conda):
            found = reader(command, read)
            if found is not None:
                return found
    if not names & tools.ALL:
        return None
    # each ecosystem's reader is imported on the first command that names its tool
    if names & tools.NODE:
        from dockerfix.ecosystems.node import node_install

        return node_install(command, read, glob)
    if names & tools.GO:
        from dockerfix.ecosystems.golang import go_download

        return go_download(command, read)
    if names & tools.CARGO:
        from dockerfix.ecosystems.cargo import cargo_fetch

        return cargo_fetch(command, read, glob)
    if names & tools.MAVEN:
        from dockerfix.ecosystems.maven import maven_install

        return maven_install(command, read)
    if names & tools.GRADLE:
        from dockerfix.ecosystems.gradle import gradle_install

        return gradle_install(command, read)
    if names & tools.BUNDLER:
        from dockerfix.ecosystems.bundler import bundle_install

        return bundle_install(command, read, glob, state)
    if names & tools.COMPOSER:
        from dockerfix.ecosystems.composer import composer_install

        return composer_install(command, read, glob, state)
    if names & tools.DOTNET:
        from dockerfix.ecosystems.dotnet import dotnet_restore

        return dotnet_restore(command, read, glob)
    return None


def _elsewhere(call: Call, options: tuple[str, ...]) -> str | None:
    """Why the install's folder is not its working folder, if it is not."""
    used = [o for o in options if call.has(o)]
    return f"`{call.text}` works in another folder ({used[0]})" if used else None


def _uv(command: Command, read: ReadText) -> ProjectInstall | None:
    call = read_call(command, _UV)
    if call is None or call.subcommand != "sync":
        return None
    found = ProjectInstall("uv", call, ["pyproject.toml"], ["uv.lock", ".python-version", "uv.toml"],
                           deps_only=["--no-install-project"])  # fmt: skip
    if call.has("--locked", "--frozen"):
        found.files.append("uv.lock")
        found.optional.remove("uv.lock")
    found.problem = _elsewhere(call, ("--project", "--directory"))
    data = _toml(read, "pyproject.toml")
    if data is None:
        return found  # a missing or unreadable pyproject.toml is reported by the caller
    uv = _table(data, "tool", "uv")
    if uv.get("workspace") is not None:
        found.problem = found.problem or "the project is a uv workspace, whose members are not analysed"
    if any(isinstance(v, dict) and ("path" in v or "workspace" in v) for v in _table(uv, "sources").values()):
        found.problem = found.problem or "pyproject.toml takes a dependency from a local path"
    installs_project = not call.has("--no-install-project", "--no-install-workspace", "--only-dev")
    virtual = "build-system" not in data or uv.get("package") is False
    if installs_project and not virtual:
        found.source = f"`{call.text}` installs the project itself"
    return found


def _poetry(command: Command, read: ReadText) -> ProjectInstall | None:
    call = read_call(command, _POETRY)
    if call is None or call.subcommand not in ("install", "sync"):
        return None
    found = ProjectInstall("poetry", call, ["pyproject.toml"], ["poetry.lock", "poetry.toml"], deps_only=["--no-root"])
    found.problem = _elsewhere(call, ("-C", "--directory", "-P", "--project"))
    data = _toml(read, "pyproject.toml")
    if data is None:
        return found
    poetry = _table(data, "tool", "poetry")
    groups = [_table(poetry, "dependencies")] + [
        _table(g, "dependencies") for g in _table(poetry, "group").values() if isinstance(g, dict)
    ]
    if any(isinstance(v, dict) and "path" in v for deps in groups for v in deps.values()):
        found.problem = found.problem or "pyproject.toml takes a dependency from a local path"
    if not call.has("--no-root", "--no-directory") and poetry.get("package-mode") is not False:
        found.source = f"`{call.text}` installs the project itself"
    return found


def _pipenv(command: Command, read: ReadText) -> ProjectInstall | None:
    call = read_call(command, _PIPENV)
    if call is None or call.subcommand not in ("install", "sync"):
        return None
    found = ProjectInstall("pipenv", call, ["Pipfile"], ["Pipfile.lock"])
    if call.subcommand == "install" and call.operands:
        found.problem = f"`{call.text}` adds packages to the Pipfile, which the full copy would put back"
    if call.has("--deploy", "--ignore-pipfile") or call.subcommand == "sync":
        found.files.append("Pipfile.lock")
        found.optional.remove("Pipfile.lock")
    data = _toml(read, "Pipfile")
    if data is not None:
        for section in ("packages", "dev-packages"):
            if any(isinstance(v, dict) and ("path" in v or "file" in v) for v in _table(data, section).values()):
                found.source = "the Pipfile installs a local path, which needs the source"
    return found


def _pdm(command: Command, read: ReadText) -> ProjectInstall | None:
    call = read_call(command, _PDM)
    if call is None or call.subcommand not in ("install", "sync"):
        return None
    found = ProjectInstall("pdm", call, ["pyproject.toml"], ["pdm.lock", "pdm.toml", ".pdm-python"], deps_only=["--no-self"])
    if call.has("-L", "--lockfile"):
        found.problem = f"`{call.text}` names its own lock file"
    found.problem = found.problem or _elsewhere(call, ("-p", "--project"))
    data = _toml(read, "pyproject.toml")
    if data is None:
        return found
    dependencies = _table(data, "project").get("dependencies") or []
    if any(isinstance(d, str) and re.search(r"@\s*file:", d) for d in dependencies):
        found.problem = found.problem or "pyproject.toml takes a dependency from a local path"
    distribution = _table(data, "tool", "pdm").get("distribution")
    if not call.has("--no-self") and distribution is not False:
        found.source = f"`{call.text}` installs the project itself"
    return found


def _conda(command: Command, read: ReadText) -> ProjectInstall | None:
    call = read_call(command, _CONDA)
    if call is None:
        return None
    words = [call.subcommand] + [w.value for w in call.operands[:1]]
    creates = words[:2] in (["env", "create"], ["env", "update"]) or (
        call.name == "micromamba" and call.subcommand in ("create", "install", "update")
    ) or (call.subcommand in ("create", "install", "update") and call.has("-f", "--file"))
    files = call.values("-f", "--file")
    if not creates or not files:
        return None
    found = ProjectInstall("conda", call, list(files))
    for name in files:
        text = read(name)
        if text is None:
            continue
        pip_lines = _conda_pip_entries(text)
        if any(e.startswith(("-", ".", "/")) or "file:" in e for e in pip_lines):
            found.source = f"{name} has pip entries that read local files"
    return found


def _conda_pip_entries(text: str) -> list[str]:
    """The entries of a conda environment file's `pip:` list (a plain reading of the YAML)."""
    entries: list[str] = []
    indent: int | None = None
    for line in text.splitlines():
        stripped = line.strip()
        if re.match(r"^-\s*pip\s*:\s*$", stripped):
            indent = len(line) - len(line.lstrip())
            continue
        if indent is None or not stripped or stripped.startswith("#"):
            continue
        level = len(line) - len(line.lstrip())
        if level <= indent:
            indent = None
            continue
        if stripped.startswith("- "):
            entries.append(stripped[2:].strip().strip("'\""))
    return entries


_HARMLESS = {
    "conda": ("clean", "config"), "mamba": ("clean", "config"), "micromamba": ("clean", "config"),
    "poetry": ("config", "--version"), "pdm": ("config", "--version"), "uv": ("cache", "--version"),
    "pipenv": ("--version",),
}  # fmt: skip


def context_free_tool(command: Command) -> bool:
    """A project tool's command that reads no file of the build context (`conda clean -afy`,
    `poetry config virtualenvs.create false`, `uv cache clean`)."""
    if not _mentions_tool(command):
        return False
    for grammar in (_UV, _POETRY, _PIPENV, _PDM, _CONDA):
        call = read_call(command, grammar)
        if call is not None:
            first = call.subcommand or next((o.name for o in call.options), "")
            return first in _HARMLESS.get(call.name, ())
    return False


def uv_pip_command(command: Command) -> Command | None:
    """`uv pip install ...` as the `pip install ...` it mirrors (same requirement options)."""
    inv = unwrap(command)
    if inv is None or len(inv.argv) < 2:
        return None
    if inv.argv[0].value.rsplit("/", 1)[-1] == "uv" and inv.argv[1].value == "pip":
        return replace(command, argv=inv.argv[1:])
    return None
