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
GHA = "cache-from: type=gha,scope=Dockerfile\n          cache-to: type=gha,mode=max,scope=Dockerfile\n"
FIXED = WORKFLOW + "          " + GHA


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
            "          " + GHA,
        ),
        (  # `|+` keeps its trailing blank lines: the inputs go after them
            "        with:\n          build-args: |+\n            A=1\n\n      - run: echo\n",
            "        with:\n          build-args: |+\n            A=1\n\n"
            "          " + GHA + "      - run: echo\n",
        ),
        (  # no `with:`: it goes after the whole of the step's last value
            "        if: |\n          true\n          # x\n",
            "        if: |\n          true\n          # x\n"
            "        with:\n          " + GHA,
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


def test_builds_of_different_dockerfiles_and_targets_get_scopes_of_their_own() -> None:
    step = "      - uses: docker/build-push-action@v6\n        with:\n          file: {file}\n{extra}"
    text = WORKFLOW + "".join(
        step.format(file=file, extra=extra)
        for file, extra in [
            ("services/api/Dockerfile", ""),
            (".docker/Dockerfile.prod", ""),
            ("Dockerfile", "          target: App\n"),
        ]
    )
    dockerfile = DOCKERFILE.replace("FROM python:3.12\n", "FROM python:3.12 AS app\n")
    files = {name: dockerfile for name in ("Dockerfile", "services/api/Dockerfile", ".docker/Dockerfile.prod")}
    output, findings = fix_workflow_text(text, files, Settings(select=("DFX301",), unsafe_fixes=True))
    scopes = [line.partition("scope=")[2] for line in output.splitlines() if "cache-to:" in line]
    assert scopes == ["Dockerfile", "services-api-Dockerfile", ".docker-Dockerfile.prod", "Dockerfile-app"]
    assert [f.line for f in findings] == [6, 9, 12, 15]
    assert "`cache-from: type=gha,scope=services-api-Dockerfile`" in findings[1].message


def _run_step(command: str) -> str:
    return WORKFLOW.partition("      - uses: docker/build-push")[0] + f"      - run: {command}\n"


def test_a_run_step_is_told_its_scope() -> None:
    text = _run_step("docker build --target=APP -f ci/Dockerfile .")
    dockerfile = DOCKERFILE.replace("FROM python:3.12\n", "FROM python:3.12 AS app\n")
    _, findings = fix_workflow_text(text, {"ci/Dockerfile": dockerfile}, Settings(select=("DFX301",)))
    assert "`--cache-from type=gha,scope=ci-Dockerfile-app --cache-to type=gha,mode=max,scope=ci-Dockerfile-app`" in findings[0].message


STAGES = (
    "FROM python:3.12 AS deps\n"
    "RUN --mount=type=cache,target=/root/.cache/pip pip wheel -w /wheels flask\n"
    "FROM python:3.12 AS base\n"
    "WORKDIR /app\n"
    "FROM base AS dev\n"
    "RUN --mount=type=cache,target=/root/.cache/pip pip install pytest\n"
    "FROM base AS prod\n"
    "COPY . .\n"
)
SHARED = "\n".join(STAGES.splitlines()[2:]).replace("WORKDIR /app", STAGES.splitlines()[1]) + "\n"  # mounts in base


@pytest.mark.parametrize(
    ("build", "dockerfile", "lines"),
    [
        ("target: dev", STAGES, [6]),  # its own stage
        ("target: prod", STAGES, []),  # dev and deps are skipped
        ("target: nope", STAGES, []),  # docker stops: no such stage
        ("target: ''", STAGES, []),  # no target: the last stage, prod
        ("push: false", STAGES + "FROM prod AS final\nCOPY --from=deps /wheels /wheels\n", [2]),  # COPY --from
        ("target: prod", STAGES.replace("COPY . .", "COPY --from=0 /wheels /wheels"), [2]),  # --from by index
        ("target: prod", STAGES.replace("COPY . .", "RUN --mount=from=deps,target=/w ls /w"), [2]),  # RUN --mount=from
        ("target: prod", STAGES.replace("FROM base AS prod", "FROM dev AS prod"), [6]),  # FROM a stage
        ("target: prod", STAGES.replace("COPY . .", "COPY --from=$S /wheels /wheels"), []),  # an ARG: counts none
        ("target: ${{ matrix.target }}", STAGES, []),  # the stages every target runs: none (deps runs alone)
        ("target: ${{ matrix.target }}", SHARED, [2]),  # base: every target runs it
    ],
)
def test_only_the_stages_the_build_runs_count(build: str, dockerfile: str, lines: list[int]) -> None:
    text = WORKFLOW.replace("push: false", build)
    _, findings = fix_workflow_text(text, {"Dockerfile": dockerfile}, Settings(select=("DFX302",)))
    assert [int(f.message.partition("(line ")[2].partition(")")[0]) for f in findings] == lines


@pytest.mark.parametrize("command", ["docker build --target dev .", "docker buildx build --target=dev ."])
def test_the_target_of_a_run_step_counts(command: str) -> None:
    text = _run_step(command)
    _, findings = fix_workflow_text(text, {"Dockerfile": STAGES})
    assert [(f.code, "(line 6)" in f.message) for f in findings] == [("DFX301", True), ("DFX302", True)]
    _, findings = fix_workflow_text(text.replace("dev", "prod"), {"Dockerfile": STAGES})
    assert findings == []


def test_a_target_from_an_expression_is_reported_without_a_fix() -> None:
    text = WORKFLOW.replace("push: false", "target: ${{ matrix.target }}")
    output, findings = fix_workflow_text(text, {"Dockerfile": SHARED}, Settings(select=("DFX301",), unsafe_fixes=True))
    assert output == text
    assert findings[0].fix is None and "an expression gives its `target`" in findings[0].message


def test_a_run_step_with_a_target_from_a_variable_counts_the_stages_every_target_runs() -> None:
    text = _run_step('docker build --target "$T" .')
    assert fix_workflow_text(text, {"Dockerfile": STAGES})[1] == []
    _, findings = fix_workflow_text(text, {"Dockerfile": SHARED}, Settings(select=("DFX301",)))
    assert "(line 2)" in findings[0].message and "`--cache-from type=gha,scope=<one per target>" in findings[0].message
