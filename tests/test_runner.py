"""The runner's guarantees: atomic writes that lose nothing, and a report instead of exceptions."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from dockerfix import engine
from dockerfix.runner import process_file, run, selected_rules, write_atomic
from dockerfix.settings import Mode, Settings

BEFORE = b"FROM python:3.12\nRUN pip install flask\n"


def test_a_failed_rename_keeps_the_original_and_leaves_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(BEFORE)

    def broken_replace(src: str, dst: str) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    settings = Settings(mode=Mode.WRITE)
    report = process_file(target, "Dockerfile", settings, selected_rules(settings))
    assert target.read_bytes() == BEFORE
    assert [p.name for p in tmp_path.iterdir()] == ["Dockerfile"]
    assert [d.code for d in report.diagnostics] == ["DFX905"]
    assert "No space left on device" in report.diagnostics[0].message
    assert not report.written


def test_write_atomic_replaces_the_content_and_keeps_the_mode(tmp_path: Path) -> None:
    target = tmp_path / "Dockerfile"
    target.write_bytes(BEFORE)
    target.chmod(0o604)
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert target.stat().st_mode & 0o777 == 0o604


def test_an_unexpected_error_in_a_rule_is_reported_and_the_file_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "a" / "Dockerfile"
    fine = tmp_path / "b" / "Dockerfile"
    for path in (broken, fine):
        path.parent.mkdir()
        path.write_bytes(BEFORE)
    real = engine.fix_document

    def explode(doc, rules, ctx):  # type: ignore[no-untyped-def]
        if "a" in str(ctx.build.root.name if ctx.build else ""):
            raise RuntimeError("boom")
        return real(doc, rules, ctx)

    monkeypatch.setattr(engine, "fix_document", explode)  # the runner imports it when it fixes
    report = run([str(tmp_path)], Settings(mode=Mode.WRITE))
    by_path = {Path(f.path).parent.name: f for f in report.files}
    assert [d.code for d in by_path["a"].diagnostics] == ["DFX999"]
    assert "RuntimeError: boom" in by_path["a"].diagnostics[0].message
    assert broken.read_bytes() == BEFORE
    assert by_path["b"].written and fine.read_bytes() != BEFORE
    assert report.failed


def test_a_dockerfile_that_links_to_itself_is_reported_and_the_others_are_fixed(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to("Dockerfile")  # a loop: reading it fails
    (tmp_path / "api.Dockerfile").write_bytes(BEFORE)
    report = run([str(tmp_path)], Settings(mode=Mode.CHECK))
    by_name = {Path(f.path).name: f for f in report.files}
    assert set(by_name) == {"Dockerfile", "api.Dockerfile"}
    assert [d.code for d in by_name["Dockerfile"].diagnostics] == ["DFX905"]
    assert by_name["api.Dockerfile"].output is not None and by_name["api.Dockerfile"].output != BEFORE


def test_a_dockerfile_named_that_links_to_itself_says_why_it_cannot_be_read(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").symlink_to("Dockerfile")
    report = run([str(tmp_path / "Dockerfile")], Settings(mode=Mode.CHECK))
    assert not report.errors
    [only] = report.files
    assert [d.code for d in only.diagnostics] == ["DFX905"]
    assert "symbolic links" in only.diagnostics[0].message
