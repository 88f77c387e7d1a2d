"""Configuration files, skip-file, and the machine-readable reports (JSON, SARIF, GitHub)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import BOTH
from test_cli import run_main

from dockerfix.config import ConfigError, find_config, load_config



def test_pyproject_ignore_keeps_pip_mounts_away(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "pyproject.toml").write_text('[project]\nname = "x"\n\n[tool.dockerfix]\nignore = ["DFX201"]\n')
    r = run_main(capsysbinary, "--diff", ".")
    assert r.code == 1
    assert "COPY requirements.txt ./" in r.out and "--mount" not in r.out
    # --isolated ignores the configuration
    assert "--mount=type=cache" in run_main(capsysbinary, "--diff", "--isolated", ".").out


def test_nearest_configuration_wins_and_dockerfix_toml_beats_pyproject(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.dockerfix]\nselect = ["DFX1"]\n')
    sub = tmp_path / "svc"
    sub.mkdir()
    (sub / "pyproject.toml").write_text('[tool.dockerfix]\nselect = ["DFX2"]\n')
    (sub / ".dockerfix.toml").write_text('select = ["DFX201"]\n')
    assert find_config(sub) == sub / ".dockerfix.toml"
    assert load_config(sub / ".dockerfix.toml").select == ("DFX201",)
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "pyproject.toml").write_text('[project]\nname = "y"\n')  # no [tool.dockerfix]
    assert find_config(tmp_path / "other") == tmp_path / "pyproject.toml"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('selct = ["DFX1"]\n', "unknown key 'selct'"),
        ('select = "DFX1"\n', "select must be a list of strings"),
        ('ignore = ["E501"]\n', "'E501' is not a rule code"),
        ('unsafe-fixes = "yes"\n', "unsafe-fixes must be true or false"),
        ('builders = ["bazel"]\n', "unknown builder 'bazel'"),
        ('[context]\n"docker/Dockerfile" = "nowhere"\n', "'nowhere' (for docker/Dockerfile) is not a folder"),
        ("select = [\n", "not valid TOML"),
    ],
)
def test_bad_configuration_names_file_and_key_and_exits_2(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes], text: str, says: str
) -> None:
    (project / ".dockerfix.toml").write_text(text)
    with pytest.raises(ConfigError, match="dockerfix.toml"):
        load_config(project / ".dockerfix.toml")
    r = run_main(capsysbinary, "--check", ".")
    assert r.code == 2
    assert str(project / ".dockerfix.toml") in r.err and says in r.err
    assert (project / "Dockerfile").read_text() == BOTH


def test_context_mapping_for_a_dockerfile_in_a_subfolder(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "docker").mkdir()
    (project / "Dockerfile").rename(project / "docker" / "Dockerfile")
    # without the mapping the context is docker/, where requirements.txt is missing
    assert "left in place" in run_main(capsysbinary, "--check", "--select", "DFX101", ".").err
    (project / ".dockerfix.toml").write_text('[context]\n"docker/Dockerfile" = "."\n')
    r = run_main(capsysbinary, "--diff", "--select", "DFX101", ".")
    assert r.code == 1 and "+COPY requirements.txt ./" in r.out


def test_exclude_skips_found_files_but_not_named_ones(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "legacy").mkdir()
    (project / "legacy" / "Dockerfile").write_text(BOTH)
    (project / "legacy" / "requirements.txt").write_text("flask\n")
    (project / ".dockerfix.toml").write_text('exclude = ["legacy/"]\n')
    r = run_main(capsysbinary, "--check", ".")
    assert "legacy" not in r.err and "would rewrite Dockerfile" in r.err
    assert "would rewrite legacy/Dockerfile" in run_main(capsysbinary, "--check", "legacy/Dockerfile").err


def test_kaniko_among_the_builders_means_no_cache_mounts(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / ".dockerfix.toml").write_text('builders = ["buildkit", "kaniko"]\n')
    r = run_main(capsysbinary, "--diff", ".")
    assert "COPY requirements.txt ./" in r.out and "--mount" not in r.out


def test_extend_select_and_unsafe_fixes_from_config(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_text("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install .\n")
    (project / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\ndependencies = ["flask"]\n\n'
        '[tool.dockerfix]\nselect = ["DFX1"]\nextend-select = ["DFX201"]\nunsafe-fixes = true\n'
    )
    r = run_main(capsysbinary, "--diff", ".")
    assert "+RUN --mount=type=cache" in r.out and "/tmp/dockerfix_deps-0-py3-none-any.whl flask \\\n" in r.out


def test_skip_file_leaves_the_file_and_reports_nothing(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_text("# dockerfix: skip-file\n" + BOTH)
    r = run_main(capsysbinary, "--check", ".")
    assert r.code == 0 and "DFX" not in r.err


def test_ignore_comment_keeps_one_copy(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    text = BOTH.replace("COPY . .", "# dockerfix: ignore=DFX101\nCOPY . .")
    (project / "Dockerfile").write_text(text)
    r = run_main(capsysbinary, "--diff", ".")
    assert "COPY requirements.txt" not in r.out and "--mount=type=cache" in r.out


def test_json_report(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--format", "json", ".")
    data = json.loads(r.out)
    assert r.code == 1 and data["version"] == 1
    codes = {(f["code"], f["line"], f["fix"]["applicability"]) for f in data["findings"]}
    assert codes == {("DFX101", 3, "safe"), ("DFX201", 4, "safe")}
    assert data["files"] == [{"filename": "Dockerfile", "changed": True, "written": False, "error": False}]


def test_github_annotations(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--format", "github", ".")
    lines = r.out.splitlines()
    assert lines[0].startswith("::warning file=Dockerfile,line=3,title=DFX101::COPY at line 3")
    assert lines[1].startswith("::warning file=Dockerfile,line=4,title=DFX201::")


def test_sarif_check_rejects_what_the_schema_rejects() -> None:
    good = {"version": "2.1.0", "$schema": "x", "runs": [{"tool": {"driver": {"name": "d", "rules": []}}, "results": []}]}
    _check_sarif(good)
    bad = json.loads(json.dumps(good))
    bad["runs"][0]["results"] = [{"ruleId": "DFX101", "level": "fatal", "message": {"text": "m"}, "locations": []}]
    with pytest.raises(Exception, match="level"):
        _check_sarif(bad)


def test_sarif_report_is_sarif_2_1_0(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    out = project / "report.sarif"
    r = run_main(capsysbinary, "--format", "sarif", "--output-file", str(out), ".")
    assert r.code == 1 and r.out == ""
    log = json.loads(out.read_text())
    _check_sarif(log)
    results = log["runs"][0]["results"]
    assert [x["ruleId"] for x in results] == ["DFX101", "DFX201"]
    fix = results[0]["fixes"][0]["artifactChanges"][0]
    assert fix["artifactLocation"]["uri"] == "Dockerfile"
    assert any("COPY requirements.txt ./" in r["insertedContent"]["text"] for r in fix["replacements"])


def _check_sarif(log: dict[str, object]) -> None:
    """The log against SARIF 2.1.0: sarif-pydantic's model of the schema (required properties,
    types, enumerations), then what code scanning relies on (rule ids, levels, lines, fixes)."""
    from sarif_pydantic import Sarif

    Sarif.model_validate(log)
    assert log["version"] == "2.1.0" and isinstance(log["$schema"], str)
    runs = log["runs"]
    assert isinstance(runs, list) and len(runs) == 1
    run = runs[0]
    driver = run["tool"]["driver"]
    assert isinstance(driver["name"], str) and driver["name"]
    rule_ids = [rule["id"] for rule in driver["rules"]]
    assert len(set(rule_ids)) == len(rule_ids)
    for rule in driver["rules"]:
        assert set(rule) <= {"id", "name", "shortDescription", "fullDescription", "help", "defaultConfiguration"}
        assert isinstance(rule["shortDescription"]["text"], str)
        assert rule["defaultConfiguration"]["level"] in ("none", "note", "warning", "error")
    for result in run["results"]:
        assert isinstance(result["message"]["text"], str) and result["message"]["text"]
        assert result["level"] in ("none", "note", "warning", "error")
        if "ruleIndex" in result:
            assert rule_ids[result["ruleIndex"]] == result["ruleId"]
        for location in result["locations"]:
            physical = location["physicalLocation"]
            assert isinstance(physical["artifactLocation"]["uri"], str)
            assert physical["region"]["startLine"] >= 1
        for fix in result.get("fixes", []):
            for change in fix["artifactChanges"]:
                assert change["replacements"]
                for replacement in change["replacements"]:
                    region = replacement["deletedRegion"]
                    assert region["startLine"] >= 1 and region["endLine"] >= region["startLine"]
                    assert isinstance(replacement["insertedContent"]["text"], str)


def test_statistics(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--statistics", ".")
    assert r.code == 1
    assert r.out.splitlines() == [
        "    1  DFX101  copy-all-before-install      [*] 1 fixable",
        "    1  DFX201  pip-cache-not-mounted        [*] 1 fixable",
    ]
