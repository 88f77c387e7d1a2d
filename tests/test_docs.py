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
