"""Every scenario under fixtures/e2e/, built for real: both versions build, the images are the
same, an application edit leaves the install to the layer cache in the rewritten version only,
and the install reads its cache mount after a dependency change."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import SCENARIOS, Environment

from dockerfix.verify.procedure import VerifyOptions, verify
from dockerfix.verify.report import StepReport, VerifyReport

pytestmark = pytest.mark.e2e

CASES = sorted(p for p in SCENARIOS.iterdir() if (p / "scenario.toml").is_file())


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(report: VerifyReport, expected: dict[str, object]) -> None:
    assert report.error is None, report.error
    assert report.changed
    assert report.files_equal, report.file_differences
    assert report.config_equal, report.config_differences
    assert report.edited_file, "no application file was edited"
    installs = [s for s in report.steps if s.tool == expected["tool"]]
    assert installs, report.steps
    for step in installs:
        assert step.rewritten == ("cached" if expected["install_cached"] else "ran"), step
        assert step.original == ("ran" if expected["original_reruns"] else "cached"), step
    if expected["cache_read"]:
        assert report.cache_read is True, (report.manifest, report.cache_evidence, report.notes)
    assert report.problems == [], report.problems
    assert report.exit_code == 0


@pytest.mark.parametrize("scenario", CASES, ids=[p.name for p in CASES])
def test_scenario(scenario: Path, e2e: Environment, tmp_path: Path) -> None:
    work = tmp_path / scenario.name
    subprocess.run(["cp", "-a", str(scenario), str(work)], check=True)
    before = _files(work)
    expected = tomllib.loads((scenario / "scenario.toml").read_text())
    if scenario.name == "issue-example":
        # through the command line, as a user runs it
        proc = subprocess.run(
            [sys.executable, "-m", "dockerfix", "verify", "--json", "--network", e2e.network, "--docker", e2e.docker,
             str(work / "Dockerfile")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        data = json.loads(proc.stdout)
        data.pop("passed")
        data["steps"] = [StepReport(**s) for s in data["steps"]]
        report = VerifyReport(**data)
        assert proc.returncode == report.exit_code, proc.stderr
    else:
        report = verify(VerifyOptions(work / "Dockerfile", network=e2e.network, docker=e2e.docker))
    _check(report, expected)
    assert _files(work) == before, "verify changed the user's files"
