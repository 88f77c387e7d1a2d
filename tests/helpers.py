"""Shared test helpers: run the pipeline on text, on a fixture directory, or through the CLI."""

from __future__ import annotations

import shutil
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dockerfix.context.build_context import MemoryContext
from dockerfix.document.parse import parse
from dockerfix.document.source import SourceText
from dockerfix.engine import fix_document
from dockerfix.rules.base import Finding, RuleContext
from dockerfix.discovery import is_workflow_path
from dockerfix.runner import FileReport, process_file, process_workflow_file, selected_rules, selected_workflow_rules
from dockerfix.settings import Settings
from dockerfix.workflow.engine import fix_workflow
from dockerfix.workflow.model import parse_workflow, with_dockerfiles

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
# a Dockerfile that both DFX101 and DFX201 change
BOTH = (
    "FROM python:3.12\n"
    "WORKDIR /app\n"
    "COPY . .\n"
    "RUN pip install -r requirements.txt\n"
)
CASE_FILES = ("input.txt", "expected.txt", "case.toml")


def fix_text(
    text: str, files: Mapping[str, str] | None = None, settings: Settings | None = None
) -> tuple[str, list[Finding]]:
    """Run the selected rules on ``text`` with an in-memory build context."""
    settings = settings or Settings()
    ctx = RuleContext(MemoryContext(files or {}), settings)
    result = fix_document(parse(SourceText.from_text(text)), selected_rules(settings), ctx)
    return result.output.text(), list(result.findings)


def fix_workflow_text(
    text: str, files: Mapping[str, str] | None = None, settings: Settings | None = None
) -> tuple[str, list[Finding]]:
    """Run the selected workflow rules on ``text`` as `.github/workflows/ci.yml` of a repository
    holding ``files`` (in memory)."""
    settings = settings or Settings()
    root = "/repo"
    data = {f"{root}/{name}": content.encode() for name, content in (files or {}).items()}
    doc = parse_workflow(SourceText.from_text(text), f"{root}/.github/workflows/ci.yml", root)
    result = fix_workflow(with_dockerfiles(doc, data.get), selected_workflow_rules(settings), RuleContext(None, settings))
    return result.output.text(), list(result.findings)


@dataclass(frozen=True)
class Case:
    code: str
    name: str
    path: Path
    dockerfile: str = "Dockerfile"
    context: str = "."
    select: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    messages: tuple[str, ...] = field(default=())
    valid: bool = False  # nothing to change and nothing to report

    @property
    def id(self) -> str:
        return f"{self.code}/{self.name}"

    @property
    def workflow(self) -> bool:
        """The case is a repository whose workflow file is the input."""
        return is_workflow_path(Path("/repo", self.dockerfile))

    @property
    def input(self) -> bytes:
        return (self.path / "input.txt").read_bytes()

    @property
    def expected(self) -> bytes:
        return (self.path / "expected.txt").read_bytes()

    def settings(self, **overrides: object) -> Settings:
        base = dict(select=self.select, unsafe_fixes=self.unsafe_fixes)
        base.update(overrides)
        return Settings(**base)  # type: ignore[arg-type]


def load_cases() -> list[Case]:
    cases: list[Case] = []
    for code_dir in sorted(p for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("DFX")):
        for case_dir in sorted(p for p in code_dir.iterdir() if p.is_dir()):
            meta: dict[str, object] = {}
            toml = case_dir / "case.toml"
            if toml.exists():
                meta = tomllib.loads(toml.read_text())
            message = meta.get("message")
            messages = tuple(meta.get("messages", ())) + ((str(message),) if message else ())  # type: ignore[arg-type]
            cases.append(
                Case(
                    code=code_dir.name,
                    name=case_dir.name,
                    path=case_dir,
                    dockerfile=str(meta.get("workflow", meta.get("dockerfile", "Dockerfile"))),
                    context=str(meta.get("context", ".")),
                    select=tuple(meta.get("select", ())),  # type: ignore[arg-type]
                    unsafe_fixes=bool(meta.get("unsafe-fixes", False)),
                    messages=messages,
                    valid=bool(meta.get("valid", False)),
                )
            )
    return cases


def materialise(case: Case, tmp: Path, data: bytes | None = None) -> Path:
    """Copy the fixture's build context to ``tmp`` and write the Dockerfile there (or the
workflow file: the case folder is then the repository)."""
    for item in case.path.iterdir():
        if item.name in CASE_FILES:
            continue
        target = tmp / item.name
        if item.is_dir():
            shutil.copytree(item, target)
        else:
            shutil.copy2(item, target)
    dockerfile = tmp / case.dockerfile
    dockerfile.parent.mkdir(parents=True, exist_ok=True)
    dockerfile.write_bytes(case.input if data is None else data)
    return dockerfile


def run_case(case: Case, tmp: Path, data: bytes | None = None, **overrides: object) -> FileReport:
    dockerfile = materialise(case, tmp, data)
    settings = case.settings(context=tmp / case.context, **overrides)
    if case.workflow:
        return process_workflow_file(dockerfile, case.dockerfile, settings, selected_workflow_rules(settings))
    return process_file(dockerfile, case.dockerfile, settings, selected_rules(settings))
