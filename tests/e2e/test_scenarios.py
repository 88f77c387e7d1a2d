"""Every scenario under fixtures/e2e/, built for real: both versions build, the images are the
same, an application edit leaves the install to the layer cache in the rewritten version only,
and the install reads its cache mount after a dependency change."""

from __future__ import annotations

import fnmatch
import functools
import json
import os
import subprocess
import tempfile
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import ROOT, SCENARIOS, Environment

from dockerfix.settings import Settings
from dockerfix.verify.procedure import VerifyOptions, verify
from dockerfix.verify.report import CacheCheck, StepReport, VerifyReport

pytestmark = pytest.mark.e2e

CASES = sorted(p for p in SCENARIOS.iterdir() if (p / "scenario.toml").is_file())


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _check(report: VerifyReport, expected: dict[str, object]) -> None:
    assert report.error is None, report.error
    assert report.changed
    known = expected.get("known_differences", [])
    assert isinstance(known, list)
    if known:
        # a difference the rewrite is documented to make: exactly that, and nothing else
        assert report.file_differences, "the documented difference did not show"
        unexpected = [d for d in report.file_differences if not any(fnmatch.fnmatchcase(d, k) for k in known)]
        assert not unexpected, unexpected
        report.problems = [p for p in report.problems if not p.startswith("the images differ")]
    else:
        assert report.files_equal, report.file_differences
    left_out = expected.get("left_out", [])  # paths that differ in every build, so left out
    assert isinstance(left_out, list)
    for path in left_out:
        assert any(i.startswith(f"{path} (") for i in report.ignored), (path, report.ignored)
    assert report.config_equal, report.config_differences
    assert report.edited_file, "no application file was edited"
    installs = [s for s in report.steps if s.tool == expected["tool"]]
    assert installs, report.steps
    for step in installs:
        assert step.rewritten == ("cached" if step.expected_cached else "ran"), step
    assert any(s.expected_cached for s in installs) == expected["install_cached"], installs
    assert any(s.original == "ran" for s in installs) == expected["original_reruns"], installs
    if expected["cache_read"]:
        assert report.cache_read is True, (report.cache_checks, report.notes)
        told = {c.tool for c in report.cache_checks if c.read}
        assert set(expected.get("cache_read_by", [])) <= told, report.cache_checks
    assert report.problems == [], report.problems
    assert report.exit_code == (1 if known else 0)


@functools.cache
def _builder_lacks(feature: str, docker: str, network: str) -> str | None:
    """Why this engine's BuildKit cannot build a scenario that needs ``feature``, or None."""
    assert feature == "heredocs", feature
    with tempfile.TemporaryDirectory() as folder:
        Path(folder, "Dockerfile").write_text("FROM debian:bookworm-slim\nRUN <<EOT\ntrue\nEOT\n")
        proc = subprocess.run(
            [docker, "build", "-q", "--network", network, folder],
            capture_output=True, text=True, check=False, env={**os.environ, "DOCKER_BUILDKIT": "1"},
        )  # fmt: skip
    if proc.returncode == 0:
        return None
    return (
        "this engine's built-in Dockerfile frontend does not read heredocs (it needs Dockerfile frontend "
        f"1.4 or newer, built into Docker Engine 23.0 and later): {proc.stderr.strip().splitlines()[-1:]}"
    )


@pytest.mark.parametrize("scenario", CASES, ids=[p.name for p in CASES])
def test_scenario(scenario: Path, e2e: Environment, tmp_path: Path) -> None:
    work = tmp_path / scenario.name
    expected = tomllib.loads((scenario / "scenario.toml").read_text())
    for feature in expected.get("requires", []):
        missing = _builder_lacks(feature, e2e.docker, e2e.network)
        if missing is not None:
            pytest.skip(missing)  # a capability of the engine, not a failure of the rewrite
    source = ROOT / str(expected["source"]) if "source" in expected else scenario  # a folder of the project
    subprocess.run(["cp", "-a", str(source), str(work)], check=True)
    before = _files(work)
    if scenario.name == "issue-example":
        # through the command line, as a user runs it
        proc = subprocess.run(
            [sys.executable, "-m", "dockerfix", "verify", "--json", "--network", e2e.network, "--docker", e2e.docker,
             str(work / "Dockerfile")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        data = json.loads(proc.stdout)
        for derived in ("passed", "cache_read", "manifest", "cache_evidence"):
            data.pop(derived)
        data["steps"] = [StepReport(**s) for s in data["steps"]]
        data["cache_checks"] = [CacheCheck(**c) for c in data["cache_checks"]]
        report = VerifyReport(**data)
        assert proc.returncode == report.exit_code, proc.stderr
    else:
        settings = Settings(unsafe_fixes=bool(expected.get("unsafe_fixes", False)))
        report = verify(VerifyOptions(work / "Dockerfile", settings=settings, network=e2e.network, docker=e2e.docker))
    _check(report, expected)
    assert _files(work) == before, "verify changed the user's files"
