"""The generated rule pages are up to date, and the README's example is what the tool prints."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from dockerfix.render.rule_docs import pages
from dockerfix.runner import process_file, selected_rules
from dockerfix.settings import Settings
from dockerfix.render.diff import unified_diff
from helpers import ROOT


def test_rule_pages_are_current() -> None:
    folder = ROOT / "docs" / "rules"
    wanted = pages()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.md")}
    assert on_disk == wanted, "docs/rules is stale: run python scripts/generate_docs.py"


def test_base_images_page_is_current() -> None:
    from dockerfix.render.base_images import table_page

    page = (ROOT / "docs" / "base-images.md").read_text(encoding="utf-8")
    assert page == table_page(), "docs/base-images.md is stale: run python scripts/generate_docs.py"
    assert "| python-12 |" in page and "https://github.com/docker-library/python" in page


def test_readme_example_diff_is_current(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.search(r"```diff\n(.*?)```", readme, re.S)
    assert shown, "README.md shows an example diff"
    example = ROOT / "examples" / "python-service"
    copy = tmp_path / "python-service"
    shutil.copytree(example, copy)
    settings = Settings()
    report = process_file(copy / "Dockerfile", "examples/python-service/Dockerfile", settings, selected_rules(settings))
    assert report.output is not None
    assert unified_diff(report.original or b"", report.output, "examples/python-service/Dockerfile") == shown.group(1)


def _assert_documented(app: object, page: str) -> None:
    """Every long option of a command appears (in backquotes) on its docs page."""
    import typer.main

    command = typer.main.get_command(app)  # type: ignore[arg-type]
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    assert len(command.params) > 10
    for param in command.params:
        for opt in getattr(param, "opts", []):
            if opt.startswith("--"):
                assert f"`{opt}" in text, f"{opt} is not documented in docs/{page}"


def test_cli_doc_names_every_option() -> None:
    """docs/cli.md lists every option of the command (a new option without docs fails here)."""
    from dockerfix.commands import app

    _assert_documented(app, "cli.md")


def test_configuration_doc_names_every_key() -> None:
    import re

    from dockerfix import config

    source = Path(config.__file__).read_text(encoding="utf-8")
    known = re.search(r"known = \{([^}]*)\}", source)
    assert known is not None
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    for key in re.findall(r'"([a-z-]+)"', known.group(1)):
        assert f"| `{key}` |" in text, f"{key} is not documented in docs/configuration.md"


def test_bot_doc_names_every_option() -> None:
    from dockerfix.commands import pr_app

    _assert_documented(pr_app, "bot.md")


def test_verify_doc_names_every_option() -> None:
    from dockerfix.commands import verify_app

    _assert_documented(verify_app, "verify.md")
