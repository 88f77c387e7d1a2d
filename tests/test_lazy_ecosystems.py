"""A run loads the readers and rules of Node, Go, cargo, Maven, Gradle, Bundler, Composer and
NuGet only for a Dockerfile that runs one of their tools; the name tables this rests on are the
readers' own, and the rules left out find nothing where none of their tools runs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from dockerfix.document.parse import parse_text
from dockerfix.ecosystems import bundler, cargo, composer, dotnet, golang, gradle, maven, node, tools
from dockerfix.rules import ALL_RULES, CODES, TABLE, ToolRule
from dockerfix.rules._package_cache import PackageCacheRule, tools_named
from dockerfix.rules.deps_first import DOWNLOAD_STEPS

ECOSYSTEM_MODULES = (
    "dockerfix.ecosystems.node", "dockerfix.ecosystems.node_config", "dockerfix.ecosystems.golang",
    "dockerfix.ecosystems.cargo", "dockerfix.ecosystems.maven", "dockerfix.ecosystems.gradle",
    "dockerfix.ecosystems.bundler", "dockerfix.ecosystems.composer", "dockerfix.ecosystems.dotnet",
    "dockerfix.rules.node_cache", "dockerfix.rules.go_cache", "dockerfix.rules.cargo_cache",
    "dockerfix.rules.maven_cache", "dockerfix.rules.gradle_cache", "dockerfix.rules.bundler_cache",
    "dockerfix.rules.composer_cache", "dockerfix.rules.nuget_cache", "dockerfix.rules._go_first",
    "dockerfix.rules._maven_first", "dockerfix.rules._dotnet_first",
)  # fmt: skip


def test_the_name_tables_are_the_readers_own() -> None:
    assert tools.NODE == node.NAMES
    assert tools.GO == golang.GO.names
    assert tools.CARGO == cargo.CARGO.names
    assert tools.MAVEN == maven.NAMES == maven.MAVEN.names
    assert tools.GRADLE == gradle.NAMES == gradle.GRADLE.names
    assert tools.BUNDLER == bundler.BUNDLE.names
    assert tools.GEM == bundler.GEM.names
    assert tools.COMPOSER == composer.COMPOSER.names
    assert tools.DOTNET == dotnet.DOTNET.names


def test_the_table_is_the_registry_and_its_tools_are_each_rules_own() -> None:
    assert tuple(e.load() for e in TABLE) == ALL_RULES
    assert CODES == tuple(r.code for r in ALL_RULES)
    for entry in TABLE:
        if entry.tools is None:
            continue
        rule = entry.load()
        # a package cache rule looks only at the RUNs that name one of its tools (or cannot be read)
        assert issubclass(rule, PackageCacheRule), entry
        assert entry.tools == rule.grammar.names, entry


def test_each_download_step_runs_its_tools() -> None:
    for module, name, names in DOWNLOAD_STEPS:
        step = getattr(__import__(module, fromlist=[name]), name)
        assert names <= tools.ALL and step.tool.lower() in {"go", "maven", "dotnet"}


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("FROM python:3.12\nRUN pip install flask\n", {"pip", "install", "flask"}),
        ("FROM node:20\nRUN sudo -E npm ci && /usr/bin/yarn build\n", {"sudo", "-E", "npm", "ci", "yarn", "build"}),
        ("FROM node:20\nRUN npm ci $(cat flags\n", {"*"}),  # cannot be read: every rule runs
        ("FROM node:20\nONBUILD RUN npm ci\n", {"*"}),
    ],
)
def test_the_tools_a_dockerfile_names(text: str, named: set[str]) -> None:
    assert tools_named(parse_text(text)) == named


def test_a_rule_left_out_is_made_when_a_dockerfile_names_its_tool() -> None:
    from dockerfix.context.build_context import MemoryContext
    from dockerfix.rules.base import RuleContext
    from dockerfix.settings import Settings

    entry = next(e for e in TABLE if e.code == "DFX211")
    stand_in = ToolRule(entry)
    ctx = RuleContext(MemoryContext({"package.json": "{}", "package-lock.json": "{}"}), Settings())
    assert list(stand_in.check(parse_text("FROM python:3.12\nRUN pip install flask\n"), ctx)) == []
    assert stand_in._rule is None and not stand_in.reads_context
    found = list(stand_in.check(parse_text("FROM node:20\nCOPY package*.json ./\nRUN npm ci\n"), ctx))
    assert [f.code for f in found] == ["DFX211"] and stand_in._rule is not None and stand_in.reads_context


def _loaded(tmp_path: Path, dockerfile: str) -> list[str]:
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "package.json").write_text("{}\n")
    code = (
        "import sys, json\nfrom dockerfix.cli import main\n"
        "try:\n    main(['--check', '--isolated', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    argv = [sys.executable, "-c", code, str(tmp_path / "Dockerfile")]
    out = subprocess.run(argv, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def test_a_python_dockerfile_loads_no_other_ecosystem(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "FROM python:3.12-slim\nCOPY . .\nRUN pip install -r requirements.txt\n")
    assert "dockerfix.rules.pip_cache" in modules
    assert [m for m in ECOSYSTEM_MODULES if m in modules] == []


def test_a_node_dockerfile_loads_node_only(tmp_path: Path) -> None:
    modules = _loaded(tmp_path, "FROM node:20\nCOPY . .\nRUN npm install\n")
    assert "dockerfix.ecosystems.node" in modules and "dockerfix.rules.node_cache" in modules
    assert "dockerfix.rules.go_cache" not in modules and "dockerfix.ecosystems.gradle" not in modules
