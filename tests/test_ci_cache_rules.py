"""GitHub workflow files (DFX3xx): discovery next to the Dockerfiles, the command line's
selection, configuration and suppressions, the in-place edit, and the bot's advice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dockerfix.bot.body import body, ci_advice
from dockerfix.context.yaml_subset import parse_yaml
from dockerfix.runner import run
from dockerfix.settings import Mode, Settings
from dockerfix.workflow.edit import CannotEdit, add_inputs, contains
from helpers import fix_workflow_text
from test_cli import run_main

DOCKERFILE = (
    "FROM python:3.12\n"
    "WORKDIR /app\n"
    "COPY requirements.txt .\n"
    "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\n"
    "COPY . .\n"
)
WORKFLOW = """\
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: docker/setup-buildx-action@v3
      - uses: docker/build-push-action@v6  # the image
        with:
          push: false
"""
FIXED = WORKFLOW + "          cache-from: type=gha\n          cache-to: type=gha,mode=max\n"


def _repo(tmp_path: Path, workflow: str = WORKFLOW, dockerfile: str = DOCKERFILE) -> Path:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text(workflow)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "requirements.txt").write_text("flask\n")
    return tmp_path


def _codes(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> tuple[int, str]:
    result = run_main(capsysbinary, *args)
    return result.code, result.err


def test_a_folder_reports_the_dockerfile_and_the_workflow(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    repo = _repo(tmp_path, dockerfile=DOCKERFILE.replace("RUN --mount=type=cache,target=/root/.cache/pip ", "RUN "))
    _, err = _codes(capsysbinary, "--diff", str(repo))
    assert "Dockerfile:4: DFX201" in err
    assert ".github/workflows/ci.yml:7: DFX301" in err


def test_select_ignore_and_configuration(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    repo = _repo(tmp_path)
    _, err = _codes(capsysbinary, "--diff", "--select", "DFX301", str(repo))
    assert "DFX301" in err and "DFX302" not in err
    _, err = _codes(capsysbinary, "--diff", "--ignore", "DFX3", str(repo))
    assert "DFX30" not in err
    (repo / ".dockerfix.toml").write_text('ignore = ["DFX302"]\n')
    _, err = _codes(capsysbinary, "--diff", str(repo))
    assert "DFX301" in err and "DFX302" not in err


def test_write_with_unsafe_fixes_edits_the_workflow_in_place(tmp_path: Path) -> None:
    repo = _repo(tmp_path, workflow=WORKFLOW.replace("\n", "\r\n"))
    path = repo / ".github" / "workflows" / "ci.yml"
    report = run([str(path)], Settings(mode=Mode.WRITE, unsafe_fixes=True))
    assert [f.written for f in report.files] == [True]
    assert path.read_bytes() == FIXED.replace("\n", "\r\n").encode()
    again = run([str(path)], Settings(mode=Mode.WRITE, unsafe_fixes=True))
    assert not again.changed


def test_without_unsafe_fixes_nothing_is_written(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    report = run([str(repo)], Settings(mode=Mode.WRITE))
    assert not report.changed
    workflow = next(f for f in report.files if f.path.endswith("ci.yml"))
    assert {f.code for f in workflow.findings} == {"DFX301", "DFX302"}


def test_json_names_the_workflow(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    repo = _repo(tmp_path)
    result = run_main(capsysbinary, "--format", "json", "--select", "DFX302", str(repo))
    findings = json.loads(result.out)["findings"]
    assert [(f["code"], f["filename"].endswith(".github/workflows/ci.yml"), f["line"]) for f in findings] == [
        ("DFX302", True, 7)
    ]


def test_an_ignore_comment_above_the_step_silences_it() -> None:
    text = WORKFLOW.replace("      - uses: docker/build-push", "      # dockerfix: ignore=DFX302\n      - uses: docker/build-push")
    _, findings = fix_workflow_text(text, {"Dockerfile": DOCKERFILE})
    assert [f.code for f in findings] == ["DFX301"]


def test_a_workflow_outside_the_yaml_subset_is_left_alone() -> None:
    text = WORKFLOW + "          tags: !!str x\n"
    output, findings = fix_workflow_text(text, {"Dockerfile": DOCKERFILE}, Settings(unsafe_fixes=True))
    assert (output, findings) == (text, [])


def test_a_dockerfile_that_gains_nothing_from_the_cache_is_not_reported() -> None:
    _, findings = fix_workflow_text(WORKFLOW, {"Dockerfile": "FROM alpine\nCOPY . .\nRUN make\n"})
    assert findings == []


def test_a_missing_dockerfile_is_not_reported() -> None:
    assert fix_workflow_text(WORKFLOW, {}) == (WORKFLOW, [])


def test_setup_buildx_with_the_docker_driver_gives_no_fix() -> None:
    text = WORKFLOW.replace(
        "      - uses: docker/setup-buildx-action@v3\n",
        "      - uses: docker/setup-buildx-action@v3\n        with:\n          driver: docker\n",
    )
    output, findings = fix_workflow_text(text, {"Dockerfile": DOCKERFILE}, Settings(select=("DFX301",), unsafe_fixes=True))
    assert output == text
    assert "`driver: docker`" in findings[0].message and findings[0].fix is None


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("steps:\n  - {uses: docker/build-push-action@v6}\n", "block style"),
        ("steps:\n  - uses: docker/build-push-action@v6\n    with: {push: false}\n", "not a block mapping"),
        ("x: &w\n  push: false\nsteps:\n  - uses: docker/build-push-action@v6\n    with: *w\n", "anchor"),
    ],
)
def test_steps_that_are_not_plain_block_style_are_not_edited(text: str, why: str) -> None:
    step = parse_yaml(text).mapping["steps"].items[0]
    with pytest.raises(CannotEdit, match=why):
        add_inputs(text.splitlines(), step, (("cache-from", "type=gha"),))


def test_contains_allows_only_added_keys() -> None:
    before = parse_yaml("a:\n  b: 1\nc: [1, 2]\n")
    assert contains(before, parse_yaml("a:\n  b: 1\n  new: 2\nc: [1, 2]\n"))
    assert not contains(before, parse_yaml("a:\n  b: 2\nc: [1, 2]\n"))
    assert not contains(before, parse_yaml("a:\n  b: 1\nc: [1]\n"))


def test_the_pull_request_body_gives_the_ci_findings_as_advice(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    report = run([str(repo)], Settings(mode=Mode.CHECK))
    text = body([], None, ci_advice(report.files))
    assert "### CI that keeps the cache" in text
    assert "ci.yml` line 7: DFX301" in text and "ci.yml` line 7: DFX302" in text
    assert "changed in this pull request" not in text


@pytest.mark.parametrize(
    ("step", "fixed"),
    [
        (  # a block scalar's last line starts with `#`: it is the scalar's, not a comment
            "        with:\n          build-args: |\n            A=1\n            # B=2\n",
            "        with:\n          build-args: |\n            A=1\n            # B=2\n"
            "          cache-from: type=gha\n          cache-to: type=gha,mode=max\n",
        ),
        (  # `|+` keeps its trailing blank lines: the inputs go after them
            "        with:\n          build-args: |+\n            A=1\n\n      - run: echo\n",
            "        with:\n          build-args: |+\n            A=1\n\n"
            "          cache-from: type=gha\n          cache-to: type=gha,mode=max\n      - run: echo\n",
        ),
        (  # no `with:`: it goes after the whole of the step's last value
            "        if: |\n          true\n          # x\n",
            "        if: |\n          true\n          # x\n"
            "        with:\n          cache-from: type=gha\n          cache-to: type=gha,mode=max\n",
        ),
    ],
)
def test_the_inputs_go_after_a_block_scalar_that_ends_the_step(step: str, fixed: str) -> None:
    head = WORKFLOW.partition("        with:\n")[0]
    output, findings = fix_workflow_text(head + step, {"Dockerfile": DOCKERFILE}, Settings(select=("DFX301",), unsafe_fixes=True))
    assert output == head + fixed
    assert [f.code for f in findings] == ["DFX301"]


@pytest.mark.parametrize("value", ["''", "false", ""])
def test_an_empty_cache_input_is_reported_but_not_given_a_second_time(value: str) -> None:
    text = WORKFLOW + f"          cache-to: {value}\n"
    output, findings = fix_workflow_text(text, {"Dockerfile": DOCKERFILE}, Settings(select=("DFX301",), unsafe_fixes=True))
    assert output == text
    assert [f.code for f in findings] == ["DFX301"]
    assert findings[0].fix is None and "already sets `cache-to` (empty or false)" in findings[0].message


@pytest.mark.parametrize(
    "inputs",
    [
        "driver: remote\n          endpoint: tcp://buildkitd:1234\n",
        "driver: cloud\n          endpoint: acme/builder\n",
        "driver: kubernetes\n",
        "endpoint: ssh://builder.example\n",
        "driver: ${{ inputs.driver }}\n",
    ],
)
def test_a_builder_that_lives_beyond_the_runner_is_left_alone(inputs: str) -> None:
    text = WORKFLOW.replace(
        "      - uses: docker/setup-buildx-action@v3\n",
        f"      - uses: docker/setup-buildx-action@v3\n        with:\n          {inputs}",
    )
    assert fix_workflow_text(text, {"Dockerfile": DOCKERFILE}, Settings(unsafe_fixes=True)) == (text, [])
