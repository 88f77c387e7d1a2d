"""What a Python project declares, read without running it."""

from __future__ import annotations

from dockerfix.ecosystems.dependencies import named_files


def test_named_files_lists_the_readme_and_a_license_file() -> None:
    text = "[project]\nname = 'a'\nreadme = 'README.md'\nlicense = {file = 'LICENSE.txt'}\n"
    assert named_files(text) == [("[project] readme", "README.md"), ("[project] license", "LICENSE.txt")]


def test_named_files_reads_tables_and_poetry_lists() -> None:
    text = (
        "[project]\nname = 'a'\nreadme = {file = 'docs/intro.rst', content-type = 'text/x-rst'}\n"
        "[tool.poetry]\nreadme = ['README.md', 'CHANGES.md']\n"
    )
    assert named_files(text) == [
        ("[project] readme", "docs/intro.rst"),
        ("[tool.poetry] readme", "README.md"),
        ("[tool.poetry] readme", "CHANGES.md"),
    ]


def test_a_license_expression_or_text_names_no_file() -> None:
    assert named_files("[project]\nname = 'a'\nlicense = 'MIT'\n") == []
    assert named_files("[project]\nname = 'a'\nlicense = {text = 'MIT'}\n") == []


def test_a_broken_pyproject_names_nothing() -> None:
    assert named_files("[project\n") == []
