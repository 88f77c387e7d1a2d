"""`dockerfix verify` without a Docker engine: reading build logs, comparing file systems, what
it edits and expects, the report, and the command line when it cannot run."""

from __future__ import annotations

import json

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from dockerfix.context.build_context import DirectoryContext, MemoryContext
from dockerfix.document.parse import parse_text
from dockerfix.verify.buildlog import find_step, parse_buildah_log, parse_log
from dockerfix.verify.filesystem import Entry, compare, compare_config, differing, snapshot
from dockerfix.verify.plan import (
    added_mounts,
    comment_line,
    expectations,
    file_to_add,
    manifest_to_edit,
    source_to_edit,
)
from dockerfix.verify.procedure import network_hint
from dockerfix.verify.report import CacheCheck, StepReport, VerifyReport, render

LOG = """\
#1 [internal] load build definition from Dockerfile
#1 DONE 0.0s

#4 [1/4] FROM docker.io/library/python:3.12
#4 CACHED

#5 [2/4] WORKDIR /app
#5 CACHED

#6 [3/4] COPY . .
#6 DONE 0.1s

#7 [4/4] RUN pip install -r "/opt/req.txt"
#7 0.512 Collecting flask
#7 0.601   Using cached http://127.0.0.1:3141/files/flask-3.0.3-py3-none-any.whl (101 kB)
#7 DONE 1.2s
"""

ONE_STAGE = "FROM python:3.12\nWORKDIR /app\nENV R=/opt/req.txt\nCOPY . .\nRUN pip install -r \"$R\"\n"


def test_parse_log_reads_steps_cache_and_output() -> None:
    steps = {s.label: s for s in parse_log(LOG)}
    assert steps["2/4"].cached and not steps["3/4"].cached
    assert steps["4/4"].output[-1].strip().startswith("Using cached http://127.0.0.1:3141/files/flask")
    assert not steps["internal"].is_instruction and steps["4/4"].is_instruction


def test_find_step_by_position_even_with_variables_expanded() -> None:
    doc = parse_text(ONE_STAGE)
    run = doc.instructions[-1]
    step = find_step(parse_log(LOG), doc, run)
    assert step is not None and step.label == "4/4"
    # BuildKit labels a one-stage build "stage-0 4/4" when a RUN has a mount
    assert find_step(parse_log(LOG.replace("[4/4]", "[stage-0 4/4]")), doc, run) is not None


def test_find_step_in_a_named_stage() -> None:
    doc = parse_text("FROM python:3.12 AS build\nRUN pip install flask\nFROM python:3.12\nRUN true\n")
    log = "#5 [build 2/2] RUN pip install flask\n#5 CACHED\n#6 [stage-1 2/2] RUN true\n#6 DONE 0.1s\n"
    assert find_step(parse_log(log), doc, doc.instructions[1]).cached  # type: ignore[union-attr]
    assert not find_step(parse_log(log), doc, doc.instructions[3]).cached  # type: ignore[union-attr]


def test_find_step_when_buildkit_pads_the_position() -> None:
    # ten steps or more: BuildKit pads the position to the width of the count ("[ 3/12]"); a
    # verification's dependency change adds steps, so a nine-step file gets there too
    lines = ["FROM debian:bookworm-slim"] + [f"RUN echo {k}" for k in range(1, 12)]
    doc = parse_text("\n".join(lines) + "\n")
    log = "".join(f"#{k + 4} [{k + 1:>2}/12] {text}\n#{k + 4} DONE 0.1s\n" for k, text in enumerate(lines))
    assert "[ 3/12] RUN echo 2" in log
    step = find_step(parse_log(log), doc, doc.instructions[2])
    assert step is not None and step.instruction == "RUN echo 2" and step.is_instruction
    padded = log.replace("[ 3/12]", "[stage-0  3/12]")
    assert find_step(parse_log(padded), doc, doc.instructions[2]) is not None
    # a build for several platforms puts the platform before the stage
    named = parse_text("FROM debian:bookworm-slim AS builder\nRUN echo 1\n")
    log = "#5 [linux/amd64 builder 2/2] RUN echo 1\n#5 DONE 0.1s\n"
    assert find_step(parse_log(log), named, named.instructions[1]) is not None


def _tar(files: dict[str, bytes | None], modes: dict[str, int] | None = None) -> dict[str, Entry]:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.mode = (modes or {}).get(name, 0o755 if data is None else 0o644)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    buf.seek(0)
    return snapshot(buf)


def test_compare_leaves_out_caches_stubs_volatile_files_and_the_dockerfile() -> None:
    base = {"app": None, "app/main.py": b"print(1)\n", "etc": None}
    original = _tar(
        {**base, "app/Dockerfile": b"old", "root": None, "root/.cache": None, "root/.cache/pip": None,
         "root/.cache/pip/x": b"cached", "var": None, "var/log": None, "var/log/dpkg.log": b"t1",
         "app/__pycache__": None, "app/__pycache__/m.cpython-311.pyc": b"a"}
    )  # fmt: skip
    rewritten = _tar(
        {**base, "app/Dockerfile": b"new", "root": None, "var": None, "var/log": None, "var/log/dpkg.log": b"t2",
         "var/cache": None, "var/cache/pip-1001": None, "var/cache/pip-1001/.cache": None,
         "var/cache/pip-1001/.cache/pip": None, "app/__pycache__": None, "app/__pycache__/m.cpython-311.pyc": b"b"}
    )  # fmt: skip
    result = compare(original, rewritten, ["/var/cache/pip-1001/.cache/pip"], (b"old", b"new"))
    assert result.equal, result.differences
    reasons = " ".join(result.ignored)
    for why in ("package cache", "empty mount point", "differs between any two builds", "bytecode", "Dockerfile itself"):
        assert why in reasons


def test_compare_reports_content_mode_and_missing_files() -> None:
    original = _tar({"app": None, "app/a": b"1", "app/b": b"x", "app/c": b"c"})
    rewritten = _tar({"app": None, "app/a": b"2", "app/b": b"x", "app/d": b"d"}, modes={"app/b": 0o600})
    result = compare(original, rewritten, [])
    assert result.differences == (
        "/app/a: content",
        "/app/b: mode 644 -> 600",
        "/app/c: only in the original image",
        "/app/d: only in the rewritten image",
    )


def test_compare_leaves_out_random_ids_and_what_differs_between_two_builds_of_the_original() -> None:
    base = {"etc": None, "var": None, "var/lib": None, "var/lib/dbus": None, "app": None, "app/a": b"1"}
    original = _tar({**base, "var/lib/dbus/machine-id": b"1111", "etc/ssh": None, "etc/ssh/ssh_host_ed25519_key": b"k1",
                     "app/build-stamp": b"t1"})  # fmt: skip
    rewritten = _tar({**base, "var/lib/dbus/machine-id": b"2222", "etc/ssh": None, "etc/ssh/ssh_host_ed25519_key": b"k2",
                      "app/build-stamp": b"t2"})  # fmt: skip
    result = compare(original, rewritten, [])
    assert result.differences == ("/app/build-stamp: content",)  # the known random files are left out
    assert "/var/lib/dbus/machine-id (differs between any two builds)" in result.ignored
    again = _tar({**base, "var/lib/dbus/machine-id": b"3333", "etc/ssh": None, "etc/ssh/ssh_host_ed25519_key": b"k3",
                  "app/build-stamp": b"t3"})  # fmt: skip
    unstable = differing(original, again)
    assert "/app/build-stamp" in unstable and "/app/a" not in unstable
    result = compare(original, rewritten, [], unstable=unstable)
    assert result.equal and "/app/build-stamp (differs between two builds of the original)" in result.ignored
    # a path that is stable across builds of the original still counts
    changed = _tar({**base, "var/lib/dbus/machine-id": b"2222", "etc/ssh": None, "etc/ssh/ssh_host_ed25519_key": b"k2",
                    "app/build-stamp": b"t2", "app/a": b"2"})  # fmt: skip
    assert compare(original, changed, [], unstable=unstable).differences == ("/app/a: content",)


def test_network_setup_failures_say_to_pass_network_host() -> None:
    log = "#5 ERROR: executor failed running [/bin/sh -c echo hi]: network bridge not found\n"
    assert "run again with `--network host`" in network_hint(log, None)
    assert "network bridge not found" in network_hint(log, None)
    assert "--network host`" not in network_hint(log, "host")  # already given: only what failed
    assert network_hint("#5 ERROR: process returned a non-zero code: 1\n", None) == ""


def test_a_context_of_manifests_only_gets_a_new_file_to_edit(tmp_path: Path) -> None:
    text = "FROM python:3.11-slim\nWORKDIR /app\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n"
    (tmp_path / "Dockerfile").write_text(text)
    (tmp_path / "requirements.txt").write_text("flask\n")
    doc = parse_text(text)
    build = DirectoryContext.load(tmp_path, tmp_path / "Dockerfile")
    assert source_to_edit(doc, tmp_path, build, "Dockerfile") is None
    assert file_to_add(doc, tmp_path, build, "t0k") == "dockerfix-verify-t0k.txt"
    (tmp_path / ".dockerignore").write_text("*\n!requirements.txt\n")  # an allow-list: nothing new gets in
    build = DirectoryContext.load(tmp_path, tmp_path / "Dockerfile")
    assert file_to_add(doc, tmp_path, build, "t0k") is None
    # only the manifest is copied: a new file would not reach the image
    (tmp_path / ".dockerignore").unlink()
    only = parse_text("FROM python:3.11-slim\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\n")
    assert file_to_add(only, tmp_path, DirectoryContext.load(tmp_path, tmp_path / "Dockerfile"), "t0k") is None


def test_compare_config() -> None:
    assert compare_config({"Env": ["A=1"], "Cmd": ["x"]}, {"Env": ["A=1"], "Cmd": ["x"]}) == ()
    assert compare_config({"User": ""}, {"User": "app"}) == ("User: '' -> 'app'",)


def test_plan_for_the_split() -> None:
    old = parse_text("FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n")
    new = parse_text(
        "FROM python:3.12\nWORKDIR /app\nCOPY requirements.txt ./\n"
        "RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt\nCOPY . .\n"
    )
    assert added_mounts(old, new) == ["/root/.cache/pip"]
    assert [e.cached for e in expectations(new, "app.py")] == [True]
    assert [e.cached for e in expectations(old, "app.py")] == [False]
    build = MemoryContext({"requirements.txt": "flask\n", "app.py": "", "README": ""})
    assert manifest_to_edit(new, new.instructions[3], build) == "requirements.txt"


def test_source_to_edit_skips_manifests_and_prefers_code(tmp_path: Path) -> None:
    for name, text in {"requirements.txt": "flask\n", "notes.md": "", "src/app.py": "", "Dockerfile": ""}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    doc = parse_text("FROM python:3.12\nCOPY requirements.txt .\nRUN pip install -r requirements.txt\nCOPY . .\n")
    build = MemoryContext({"requirements.txt": "", "notes.md": "", "src/app.py": "", "Dockerfile": ""})
    assert source_to_edit(doc, tmp_path, build, "Dockerfile") == "src/app.py"


def test_expectations_follow_copy_from_a_stage_with_the_edit() -> None:
    doc = parse_text(
        "FROM python:3.12 AS build\nCOPY . /src\nRUN pip wheel -w /w /src\n"
        "FROM python:3.12\nRUN pip install flask\nCOPY --from=build /w /w\nRUN pip install /w/*\n"
    )
    assert [e.cached for e in expectations(doc, "app.py")] == [False, True, False]


@pytest.mark.parametrize(
    ("path", "line"),
    [("a.py", "# dockerfix verify T"), ("a.js", "// dockerfix verify T"), ("i.html", "<!-- dockerfix verify T -->"),
     ("requirements.txt", "# dockerfix verify T"), ("data.bin", None)],
)  # fmt: skip
def test_comment_line(path: str, line: str | None) -> None:
    assert comment_line(path, "T") == line


def test_report_exit_codes_and_table() -> None:
    report = VerifyReport("Dockerfile", ".", engine="Docker 20.10", changed=True, files_equal=True, config_equal=True)
    report.builds = {"original, after edit": 12.0, "rewritten, after edit": 0.4}
    report.edited_file = "app.py"
    report.steps = [StepReport(4, "RUN pip install -r requirements.txt", "pip", True, "ran", "cached")]
    report.cache_checks = [
        CacheCheck(3, "apt", None, True, "Need to get 0 B/185 kB"),
        CacheCheck(4, "pip", "requirements.txt", True, "Using cached x.whl"),
    ]
    text = render(report)
    assert report.cache_read is True and report.manifest == "requirements.txt"
    assert "line 3 (apt): cache mount read after changing the install step: yes" in text
    assert "line 4 (pip): cache mount read after changing requirements.txt: yes" in text
    data = json.loads(report.to_json())
    assert data["cache_read"] is True and data["cache_evidence"] == "Need to get 0 B/185 kB"
    assert [c["tool"] for c in data["cache_checks"]] == ["apt", "pip"]
    report.cache_checks[0].read = False  # one install downloaded again: not read, whatever the other did
    assert report.cache_read is False and "cache mount read after changing the install step: NO" in render(report)
    report.cache_checks[0].read = True
    assert report.exit_code == 0 and "result: verified" in text
    assert "ran       cached    cached" in text and "Using cached x.whl" in text
    report.problems.append("line 4: the pip install ran again after editing app.py")
    assert report.exit_code == 1 and "NOT verified" in render(report)
    assert VerifyReport("Dockerfile", ".", error="no docker").exit_code == 2


def _cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    return subprocess.run(
        [sys.executable, "-m", "dockerfix", "verify", *args], cwd=cwd, capture_output=True, text=True,
        env={**os.environ, **(env or {})}, check=False,
    )  # fmt: skip


def test_cli_without_docker_exits_2_and_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nRUN pip install flask\n")
    proc = _cli("Dockerfile", cwd=tmp_path, env={"DOCKERFIX_DOCKER": str(tmp_path / "no-docker")})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "cannot verify" in proc.stdout and "apt-get install docker.io" in proc.stdout


def test_cli_on_a_file_dockerfix_leaves_alone_exits_0(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM python:3.12\nRUN echo hello\n")
    proc = _cli("--json", "Dockerfile", cwd=tmp_path, env={"DOCKERFIX_DOCKER": str(tmp_path / "no-docker")})
    assert proc.returncode == 0, proc.stderr
    assert '"changed": false' in proc.stdout


def _fake_docker(folder: Path, client: str, buildx: bool) -> Path:
    """A docker client that answers `version` and `buildx version`, and records its arguments."""
    script = folder / f"docker-{client}-{'buildx' if buildx else 'plain'}"
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{folder}/calls"\n'
        f'if [ "$1" = version ]; then echo "{client} 24.0.7"; exit 0; fi\n'
        f'if [ "$1 $2" = "buildx version" ]; then exit {0 if buildx else 1}; fi\n'
        'if [ "$1" = build ] || [ "$1" = buildx ]; then echo "#5 [1/2] FROM x"; echo "#5 DONE 0.0s"; exit 0; fi\n'
        "exit 1\n"
    )
    script.chmod(0o755)
    return script


def test_engine_builds_through_buildx_when_the_client_has_it(tmp_path: Path) -> None:
    from dockerfix.verify.docker import find_engine

    engine = find_engine(str(_fake_docker(tmp_path, "27.1.0", buildx=True)))
    assert engine.buildx and "buildx" in engine.description
    result = engine.build(tmp_path, tmp_path / "Dockerfile", "t:1", no_cache=True, network="host")
    assert result.ok and result.steps[0].label == "1/2"
    last = (tmp_path / "calls").read_text().splitlines()[-1]
    assert last.startswith("buildx build --load --progress=plain -t t:1") and "--no-cache --network host" in last


def test_engine_uses_docker_buildkit_with_an_old_client(tmp_path: Path) -> None:
    from dockerfix.verify.docker import find_engine

    engine = find_engine(str(_fake_docker(tmp_path, "20.10.24", buildx=False)))
    assert not engine.buildx
    engine.build(tmp_path, tmp_path / "Dockerfile", "t:1")
    assert (tmp_path / "calls").read_text().splitlines()[-1].startswith("build --progress=plain")


# what Podman 4.3 (Buildah 1.28) printed for a two-stage build, the second time
BUILDAH_LOG = """\
[1/2] STEP 1/5: FROM python:3.11-slim AS base
[1/2] STEP 2/5: WORKDIR /app
--> Using cache 6c9f9b6c9165d9b9818e9ca543e3754baf894869840d71ba398cebaaf8ffd88f
--> 6c9f9b6c916
[1/2] STEP 3/5: ENV X=1
--> Using cache cbfd221404419e17ceebc9e8c07a4d07157d62df6d33c3c67d32270ea1107f59
--> cbfd2214044
[1/2] STEP 4/5: RUN --mount=type=cache,target=/root/.cache/pip pip install flask
Collecting flask
  Using cached http://127.0.0.1:3141/files/flask-3.0.3-py3-none-any.whl (101 kB)
--> 5c73c18a330
[1/2] STEP 5/5: COPY . .
--> b5f5e4912c6
[2/2] STEP 1/2: FROM b5f5e4912c68
[2/2] STEP 2/2: RUN echo two
two
[2/2] COMMIT pmtest
--> 96313e74eea
Successfully tagged localhost/pmtest:latest
96313e74eea61787dd4f200f778864e32f68a55db411f5bd2f0b913a803cc576
"""
BUILDAH_FILE = (
    "FROM python:3.11-slim AS base\nWORKDIR /app\nENV X=1\n"
    "RUN --mount=type=cache,target=/root/.cache/pip pip install flask\nCOPY . .\nFROM base\nRUN echo two\n"
)


def test_buildah_log_steps_count_every_instruction() -> None:
    steps = parse_buildah_log(BUILDAH_LOG)
    assert [s.label for s in steps] == ["stage-0 1/5", "stage-0 2/5", "stage-0 3/5", "stage-0 4/5", "stage-0 5/5",
                                        "stage-1 1/2", "stage-1 2/2"]  # fmt: skip
    doc = parse_text(BUILDAH_FILE)
    pip = find_step(steps, doc, doc.instructions[3])  # Buildah counts the ENV before it
    assert pip is not None and not pip.cached and pip.output[-1].strip().startswith("Using cached http://")
    workdir = find_step(steps, doc, doc.instructions[1])
    assert workdir is not None and workdir.cached
    last = find_step(steps, doc, doc.instructions[-1])
    assert last is not None and last.output == ["two"]


def _fake_podman(folder: Path, version: str) -> Path:
    script = folder / "podman"
    (folder / "build.log").write_text(BUILDAH_LOG)
    script.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> "{folder}/calls"\n'
        f'if [ "$1" = --version ]; then echo "podman version {version}"; exit 0; fi\n'
        'if [ "$1" = info ]; then echo overlay; exit 0; fi\n'
        f'if [ "$1" = build ]; then cat "{folder}/build.log"; exit 0; fi\n'
        "exit 1\n"
    )
    script.chmod(0o755)
    return script


def test_engine_builds_with_podman(tmp_path: Path) -> None:
    from dockerfix.verify.docker import DockerUnavailable, find_engine

    engine = find_engine(str(_fake_podman(tmp_path, "4.3.1")))
    assert engine.podman and engine.description.startswith("Podman 4.3.1")
    result = engine.build(tmp_path, tmp_path / "Dockerfile", "t:1", no_cache=True, network="host")
    assert result.ok and result.steps[3].label == "stage-0 4/5"
    last = (tmp_path / "calls").read_text().splitlines()[-1]
    assert last.startswith("build -t t:1 -f") and "--progress" not in last and "--no-cache --network host" in last
    with pytest.raises(DockerUnavailable, match="Podman 3.4.4 has no cache mounts"):
        find_engine(str(_fake_podman(tmp_path, "3.4.4")))


def test_engine_refuses_a_new_client_without_buildx(tmp_path: Path) -> None:
    from dockerfix.verify.docker import DockerUnavailable, find_engine

    with pytest.raises(DockerUnavailable, match="only through buildx"):
        find_engine(str(_fake_docker(tmp_path, "28.2.2", buildx=False)))


def test_npm_cache_reads_are_told_at_loglevel_http() -> None:
    from dockerfix.document.parse import parse_text
    from dockerfix.verify.procedure import DOWNLOADED, EVIDENCE, npm_logs_downloads

    doc = parse_text("FROM node:20\nENV npm_config_loglevel=http\nRUN npm ci\nFROM node:20\nRUN npm ci\nRUN npm ci --loglevel=silly\n")
    runs = [i for i in doc.instructions if i.kind == "RUN"]
    assert [npm_logs_downloads(doc, r) for r in runs] == [True, False, True]
    miss = "npm http fetch GET 200 https://registry.npmjs.org/ms/-/ms-2.1.3.tgz 1088ms (cache miss)"
    assert DOWNLOADED["npm"].search(miss) and not DOWNLOADED["npm"].search("added 2 packages in 950ms")
    assert EVIDENCE["npm"].search("added 2 packages in 950ms")


def test_package_json_changes_by_whitespace_that_spells_the_token() -> None:
    import json

    from dockerfix.verify.plan import comment_line

    first, second = comment_line("web/package.json", "ab12-1"), comment_line("package.json", "ab12-2")
    assert first and second and first != second and not first.strip(" \t")
    assert json.loads('{"name": "a"}\n' + first + "\n") == {"name": "a"}
