"""What a plain run loads: the start-up path stays free of what it does not use.

Each check runs in a fresh interpreter, since this test process has imported everything."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# never on the path of `dockerfix --diff FILE`: verify, the bot and campaigns, libcst (setup.py),
# the report formats other than text, the rule documentation, the pool of workers
NOT_AT_START = (
    "dockerfix.verify", "dockerfix.bot", "libcst", "dockerfix.render.formats", "dockerfix.render.rule_docs",
    "dockerfix.render.campaign", "dockerfix.render.contexts", "dockerfix.render.base_images", "dockerfix.pool",
    "dockerfix.workflow", "dockerfix.rules._ci", "multiprocessing", "concurrent.futures",
)  # fmt: skip
# loaded only when a file of their kind is read: TOML and INI, the package's data files through
# importlib.resources (where they are not on disk), and the readers of compose, bake, workflow,
# devcontainer and Makefiles and of YAML (pnpm-workspace.yaml, .yarnrc.yml)
ONLY_WHEN_NEEDED = (
    "tomllib", "configparser", "importlib.resources", "dockerfix.context.readers", "dockerfix.context.yaml_subset",
    "dockerfix.context.hcl_subset", "dockerfix.context.build_commands",
    # the ecosystems outside Python and the OS package managers (tests/test_lazy_ecosystems.py)
    "dockerfix.ecosystems.node", "dockerfix.ecosystems.golang", "dockerfix.ecosystems.maven",
    "dockerfix.ecosystems.gradle", "dockerfix.ecosystems.dotnet", "dockerfix.rules.node_cache",
)  # fmt: skip


def loaded(code: str, *args: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running ``code``."""
    script = code + "\nimport sys, json\nprint(json.dumps(sorted(sys.modules)))"
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.splitlines()[-1])


def offending(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return [m for m in modules if any(m == n or m.startswith(n + ".") for n in names)]


def test_importing_the_cli_loads_neither_the_runner_nor_the_rules() -> None:
    modules = loaded("import dockerfix.cli")
    assert offending(modules, NOT_AT_START) == []
    assert [m for m in modules if m.startswith("dockerfix")] == ["dockerfix", "dockerfix.cli"]


@pytest.mark.parametrize("mode", ["--diff", "--check", "--write"])
def test_a_plain_run_on_one_file_loads_only_what_it_uses(tmp_path: Path, mode: str) -> None:
    """No configuration file, no setup.cfg or pyproject.toml: no TOML or INI reader either."""
    (tmp_path / "requirements.txt").write_text("flask==3.0.3\n")
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n"
    )
    code = (
        "import sys\nfrom dockerfix.cli import main\n"
        "try:\n    main([sys.argv[1], '--isolated', sys.argv[2]])\nexcept SystemExit as exc:\n    assert exc.code in (0, 1), exc.code\n"
    )
    modules = loaded(code, mode, str(tmp_path / "Dockerfile"))
    assert "dockerfix.engine" in modules  # the run did fix the file
    assert offending(modules, NOT_AT_START + ONLY_WHEN_NEEDED) == []
    # a plain run's command line is read without typer (tests/test_cli_plain.py)
    assert offending(modules, ("typer", "click", "dockerfix.commands")) == []


def test_a_report_format_loads_its_renderer(tmp_path: Path) -> None:
    """The check above would pass if nothing were ever loaded: the formats do load when asked."""
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    code = (
        "import sys\nfrom dockerfix.cli import main\n"
        "try:\n    main(['--format', 'json', '--isolated', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
    )
    modules = loaded(code, str(tmp_path / "Dockerfile"))
    assert "dockerfix.render.formats" in modules
    assert "typer" in modules  # an option that takes a value is read by typer


def test_a_repository_with_a_compose_file_loads_its_readers(tmp_path: Path) -> None:
    """The readers left out above do load when the repository has a file for them."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "compose.yaml").write_text("services:\n  app:\n    build: .\n")
    code = (
        "import sys\nfrom dockerfix.cli import main\n"
        "try:\n    main(['--check', sys.argv[1]])\nexcept SystemExit:\n    pass\n"
    )
    modules = loaded(code, str(tmp_path / "Dockerfile"))
    assert "dockerfix.context.readers" in modules and "dockerfix.context.yaml_subset" in modules
