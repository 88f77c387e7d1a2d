"""The command line, end to end: exit codes, streams, stdin, --write, discovery and options.

Most tests call ``dockerfix.cli.main(argv)`` in-process (it raises SystemExit with the exit
code); stdin mode and the terminal-colour check run ``python -m dockerfix`` in a subprocess.
Every test works on copies in ``tmp_path``, never on the repository's files.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from helpers import BOTH

from dockerfix import __version__
from dockerfix.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "python-service"

# A Dockerfile both rules change (with requirements.txt next to it).
# Only DFX201 applies (no build context is needed).
PIP_ONLY = "FROM python:3.12\nRUN pip install flask\n"
PIP_ONLY_FIXED = "FROM python:3.12\nRUN --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 pip install flask\n"
# Nothing to change.
CLEAN = "FROM alpine:3.20\nRUN echo hello\nCMD [\"sh\"]\n"

SPLIT_LINE = "+COPY requirements.txt ./"
MOUNT = "--mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12"
ANSI = re.compile(r"\x1b\[")

UNMAPPABLE = {
    "unknown-instruction": b"FROM alpine\napt-get install x\n",
    "unterminated-quoted-heredoc": b"FROM alpine\nRUN <<'EOF'\necho hi\n EOF\n",
    "unterminated-heredoc": b"FROM alpine\nRUN <<EOF\necho hi\n",
    "dash-heredoc-indented-with-spaces": b"FROM alpine\nRUN <<-EOF\necho hi\n  EOF\n",
    "repeated-directive": b"# syntax = docker/dockerfile:1\n# syntax=docker/dockerfile:1.7\nFROM python:3.12\nRUN pip install flask\n",
}


@dataclass
class Result:
    code: int
    out: str
    err: str
    out_bytes: bytes


def run_main(capsysbinary: pytest.CaptureFixture[bytes], *args: str) -> Result:
    capsysbinary.readouterr()  # drop anything captured before
    with pytest.raises(SystemExit) as exc:
        main(list(args))
    captured = capsysbinary.readouterr()
    code = exc.value.code
    if code is None:
        code = 0
    assert isinstance(code, int), code
    return Result(code, captured.out.decode("utf-8", "surrogateescape"), captured.err.decode("utf-8", "replace"), captured.out)


def run_module(*args: str, stdin: bytes = b"", cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[bytes]:
    environment = dict(os.environ)
    environment.pop("NO_COLOR", None)
    if env:
        environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dockerfix", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env=environment,
        timeout=120,
        check=False,
    )


def finding_lines(err: str, code: str | None = None) -> list[str]:
    pattern = re.compile(r"^.+:\d+: (DFX\d{3}) ")
    lines = [line for line in err.splitlines() if pattern.match(line)]
    if code is not None:
        lines = [line for line in lines if pattern.match(line).group(1) == code]  # type: ignore[union-attr]
    return lines


def would_rewrite(err: str) -> set[str]:
    return {line[len("would rewrite ") :] for line in err.splitlines() if line.startswith("would rewrite ")}


def diff_headers(out: str) -> set[str]:
    return {line[4:] for line in out.splitlines() if line.startswith("--- ")}


# --------------------------------------------------------------------------------------------
# exit codes


def test_nothing_to_change_exits_0(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_text(CLEAN)
    r = run_main(capsysbinary, "Dockerfile")
    assert r.code == 0
    assert r.out == ""
    assert finding_lines(r.err) == []
    r = run_main(capsysbinary, "--check", "Dockerfile")
    assert r.code == 0
    assert would_rewrite(r.err) == set()


def test_diff_is_the_default_and_exits_1(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    before = (project / "Dockerfile").read_bytes()
    r = run_main(capsysbinary, "Dockerfile")
    assert r.code == 1
    assert r.out.startswith("--- Dockerfile\n+++ Dockerfile\n@@ ")
    assert SPLIT_LINE in r.out
    assert "+RUN " + MOUNT + " pip install -r requirements.txt" in r.out
    assert (project / "Dockerfile").read_bytes() == before  # --diff writes nothing
    explicit = run_main(capsysbinary, "--diff", "Dockerfile")
    assert explicit.code == 1
    assert explicit.out == r.out


def test_check_exits_1_and_names_the_file(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    before = (project / "Dockerfile").read_bytes()
    r = run_main(capsysbinary, "--check", "Dockerfile")
    assert r.code == 1
    assert r.out == ""
    assert would_rewrite(r.err) == {"Dockerfile"}
    assert (project / "Dockerfile").read_bytes() == before


def test_write_exits_0_changes_the_file_and_a_second_run_is_clean(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    before = (project / "Dockerfile").read_text()
    r = run_main(capsysbinary, "--write", "Dockerfile")
    assert r.code == 0
    assert r.out == ""
    assert "rewrote Dockerfile" in r.err
    after = (project / "Dockerfile").read_text()
    assert after != before
    assert after == (
        "FROM python:3.12\n"
        "WORKDIR /app\n"
        "COPY requirements.txt ./\n"
        f"RUN {MOUNT} pip install -r requirements.txt\n"
        "COPY . .\n"
    )
    again = run_main(capsysbinary, "--diff", "Dockerfile")
    assert again.code == 0
    assert again.out == ""
    assert run_main(capsysbinary, "--check", "Dockerfile").code == 0


def test_write_on_a_clean_file_exits_0_and_leaves_it(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_text(CLEAN)
    mtime = (project / "Dockerfile").stat().st_mtime_ns
    r = run_main(capsysbinary, "--write", "Dockerfile")
    assert r.code == 0
    assert (project / "Dockerfile").read_text() == CLEAN
    assert (project / "Dockerfile").stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    "args",
    [
        ["--no-such-option", "Dockerfile"],
        ["--diff", "--write", "Dockerfile"],
        ["--check", "--write", "Dockerfile"],
        ["--select", "DFX777", "Dockerfile"],
        ["--ignore", "NOPE", "Dockerfile"],
        ["--context", "missing-dir", "Dockerfile"],
        ["--context", "requirements.txt", "Dockerfile"],
    ],
    ids=["unknown-option", "diff-and-write", "check-and-write", "unknown-select", "unknown-ignore", "context-missing", "context-is-a-file"],
)
def test_usage_errors_exit_2_and_touch_nothing(
    args: list[str], project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    before = (project / "Dockerfile").read_bytes()
    r = run_main(capsysbinary, *args)
    assert r.code == 2
    assert r.out == ""
    assert r.err.strip(), "a usage error must say what is wrong"
    assert finding_lines(r.err) == []  # nothing was processed
    assert (project / "Dockerfile").read_bytes() == before


def test_usage_error_messages(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    assert "--no-such-option" in run_main(capsysbinary, "--no-such-option").err
    assert "exclude each other" in run_main(capsysbinary, "--diff", "--write", "Dockerfile").err
    assert "DFX777" in run_main(capsysbinary, "--select", "DFX777", "Dockerfile").err
    assert "not a directory" in run_main(capsysbinary, "--context", "missing-dir", "Dockerfile").err


def test_not_utf8_exits_2_and_other_files_are_still_processed(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    bad = project / "bad.Dockerfile"
    data = b"FROM alpine\nRUN echo caf\xe9 && pip install flask\n"
    bad.write_bytes(data)
    r = run_main(capsysbinary, "bad.Dockerfile", "Dockerfile")
    assert r.code == 2
    assert any(line.startswith("bad.Dockerfile:") and " DFX902 " in line for line in r.err.splitlines()), r.err
    assert diff_headers(r.out) == {"Dockerfile"}
    assert SPLIT_LINE in r.out
    assert bad.read_bytes() == data


@pytest.mark.parametrize("name", sorted(UNMAPPABLE))
def test_unmappable_file_exits_2_and_other_files_are_still_processed(
    name: str, project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    bad = project / "bad.Dockerfile"
    bad.write_bytes(UNMAPPABLE[name])
    r = run_main(capsysbinary, "bad.Dockerfile", "Dockerfile")
    assert r.code == 2
    assert any(line.startswith("bad.Dockerfile:") and " DFX901 " in line for line in r.err.splitlines()), r.err
    assert diff_headers(r.out) == {"Dockerfile"}
    assert SPLIT_LINE in r.out
    assert bad.read_bytes() == UNMAPPABLE[name]


@pytest.mark.parametrize("name", sorted(UNMAPPABLE))
def test_write_skips_an_unmappable_file_and_writes_the_others(
    name: str, project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    (project / "b.Dockerfile").write_bytes(UNMAPPABLE[name])
    (project / "c.Dockerfile").write_bytes(b"FROM alpine\nRUN echo \xff\n")
    r = run_main(capsysbinary, "--write", "b.Dockerfile", "c.Dockerfile", "Dockerfile")
    assert r.code == 2
    assert (project / "b.Dockerfile").read_bytes() == UNMAPPABLE[name]
    assert (project / "c.Dockerfile").read_bytes() == b"FROM alpine\nRUN echo \xff\n"
    assert "COPY requirements.txt ./" in (project / "Dockerfile").read_text()
    assert "rewrote Dockerfile" in r.err


def test_missing_path_exits_2_and_other_files_are_still_processed(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    r = run_main(capsysbinary, "does-not-exist", "Dockerfile")
    assert r.code == 2
    assert "does-not-exist" in r.err
    assert "no such file or directory" in r.err
    assert diff_headers(r.out) == {"Dockerfile"}


def test_missing_path_alone_exits_2(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "nowhere/Dockerfile")
    assert r.code == 2
    assert r.out == ""


def test_error_wins_over_pending_changes_under_check(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "bad.Dockerfile").write_bytes(UNMAPPABLE["unknown-instruction"])
    r = run_main(capsysbinary, "--check", "Dockerfile", "bad.Dockerfile")
    assert r.code == 2
    assert would_rewrite(r.err) == {"Dockerfile"}


# --------------------------------------------------------------------------------------------
# streams


def test_diff_goes_to_stdout_and_findings_to_stderr(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--diff", "Dockerfile")
    assert r.out.startswith("--- ")
    for line in r.out.splitlines():
        assert line[:1] in ("-", "+", " ", "@", "\\"), f"not a diff line on stdout: {line!r}"
    assert "DFX" not in r.out
    assert re.search(r"^Dockerfile:3: DFX101 ", r.err, re.M), r.err
    assert re.search(r"^Dockerfile:4: DFX201 ", r.err, re.M), r.err
    assert "--- " not in r.err and "+++ " not in r.err


def test_check_prints_would_rewrite_on_stderr_only(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--check", "Dockerfile")
    assert r.out == ""
    assert "would rewrite Dockerfile" in r.err.splitlines()
    assert finding_lines(r.err, "DFX101") and finding_lines(r.err, "DFX201")


def test_quiet_suppresses_findings_but_not_errors(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "bad.Dockerfile").write_bytes(b"FROM alpine\nRUN echo \xff\n")
    (project / "worse.Dockerfile").write_bytes(UNMAPPABLE["unterminated-heredoc"])
    r = run_main(capsysbinary, "-q", "bad.Dockerfile", "worse.Dockerfile", "Dockerfile")
    assert r.code == 2
    assert finding_lines(r.err, "DFX101") == []
    assert finding_lines(r.err, "DFX201") == []
    assert len(finding_lines(r.err, "DFX902")) == 1
    assert len(finding_lines(r.err, "DFX901")) == 1
    assert "would be rewritten" not in r.err  # no summary either
    quiet = run_main(capsysbinary, "--quiet", "Dockerfile")
    assert quiet.code == 1
    assert finding_lines(quiet.err) == []


def test_verbose_names_unchanged_files(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "clean.Dockerfile").write_text(CLEAN)
    r = run_main(capsysbinary, "-v", "--check", "clean.Dockerfile", "Dockerfile")
    assert "unchanged clean.Dockerfile" in r.err.splitlines()
    assert would_rewrite(r.err) == {"Dockerfile"}


def test_summary_line(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "clean.Dockerfile").write_text(CLEAN)
    r = run_main(capsysbinary, "--check", "clean.Dockerfile", "Dockerfile")
    assert "1 file would be rewritten, 1 unchanged." in r.err.splitlines()


def test_no_ansi_escapes_when_stdout_is_not_a_terminal(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "Dockerfile")
    assert r.code == 1
    assert not ANSI.search(r.out)
    assert not ANSI.search(r.err)
    proc = run_module("Dockerfile", cwd=project)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- Dockerfile\n")
    assert b"\x1b[" not in proc.stdout
    assert b"\x1b[" not in proc.stderr


def _run_in_pty(args: list[str], cwd: Path, env: dict[str, str]) -> tuple[int, bytes]:
    pty = pytest.importorskip("pty")
    try:
        master, slave = pty.openpty()
    except OSError as exc:  # no pseudo-terminals in this environment
        pytest.skip(f"cannot open a pseudo-terminal: {exc}")
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "dockerfix", *args],
            stdin=subprocess.DEVNULL,
            stdout=slave,
            stderr=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
        )
        os.close(slave)
        slave = -1
        chunks: list[bytes] = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
        code = proc.wait(timeout=120)
    finally:
        if slave >= 0:
            os.close(slave)
        os.close(master)
    return code, b"".join(chunks)


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_colour_on_a_terminal_and_not_with_no_color(project: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    code, out = _run_in_pty(["Dockerfile"], project, env)
    assert code == 1
    assert b"\x1b[32m+COPY requirements.txt ./" in out
    code, out = _run_in_pty(["Dockerfile"], project, {**env, "NO_COLOR": "1"})
    assert code == 1
    assert b"+COPY requirements.txt ./" in out
    assert b"\x1b[" not in out


# --------------------------------------------------------------------------------------------
# the diff itself


def test_diff_marks_a_missing_final_newline(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_bytes(PIP_ONLY.rstrip("\n").encode())
    r = run_main(capsysbinary, "Dockerfile")
    assert r.code == 1
    assert r.out == (
        "--- Dockerfile\n"
        "+++ Dockerfile\n"
        "@@ -1,2 +1,2 @@\n"
        " FROM python:3.12\n"
        "-RUN pip install flask\n"
        "\\ No newline at end of file\n"
        f"+RUN {MOUNT} pip install flask\n"
        "\\ No newline at end of file\n"
    )


def test_diff_with_a_final_newline_has_no_marker(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / "Dockerfile").write_text(PIP_ONLY)
    r = run_main(capsysbinary, "Dockerfile")
    assert "No newline at end of file" not in r.out
    assert r.out.endswith(f"+RUN {MOUNT} pip install flask\n")


@pytest.mark.parametrize("char", ["\x0c", "\x1d", "\r", "\u2028"], ids=["form-feed", "group-separator", "lone-cr", "line-separator"])
def test_diff_keeps_a_line_with_a_unicode_line_boundary_whole(
    char: str, project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # The file model splits lines only at "\n" (a form feed is not a line break in a
    # Dockerfile); the diff must not split there either, and the file does end in "\n".
    (project / "Dockerfile").write_bytes(f"FROM python:3.12\nRUN echo a{char}b && pip install flask\n".encode())
    r = run_main(capsysbinary, "Dockerfile")
    assert r.code == 1
    assert "No newline at end of file" not in r.out
    assert f"-RUN echo a{char}b && pip install flask\n" in r.out
    assert f"+RUN {MOUNT} echo a{char}b && pip install flask\n" in r.out


# --------------------------------------------------------------------------------------------
# stdin


def test_stdin_writes_the_fixed_file_to_stdout(tmp_path: Path) -> None:
    proc = run_module("-", stdin=PIP_ONLY.encode(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == PIP_ONLY_FIXED.encode()
    assert b"-:2: DFX201 " in proc.stderr
    assert b"would be rewritten" not in proc.stderr  # no summary for stdin alone


def test_stdin_keeps_crlf_and_a_missing_final_newline(tmp_path: Path) -> None:
    data = b"FROM python:3.12\r\nRUN pip install flask"
    proc = run_module("-", stdin=data, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"FROM python:3.12\r\nRUN " + MOUNT.encode() + b" pip install flask"


def test_stdin_keeps_a_bom(tmp_path: Path) -> None:
    data = b"\xef\xbb\xbf" + PIP_ONLY.encode()
    proc = run_module("-", stdin=data, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == b"\xef\xbb\xbf" + PIP_ONLY_FIXED.encode()


def test_stdin_unchanged_is_echoed(tmp_path: Path) -> None:
    proc = run_module("-", stdin=CLEAN.encode(), cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout == CLEAN.encode()


def test_check_stdin_exits_1_when_it_would_change(tmp_path: Path) -> None:
    proc = run_module("--check", "-", stdin=PIP_ONLY.encode(), cwd=tmp_path)
    assert proc.returncode == 1
    assert b"DFX201" in proc.stderr
    assert proc.stdout == b"", "--check writes nothing, not even to stdout"
    clean = run_module("--check", "-", stdin=CLEAN.encode(), cwd=tmp_path)
    assert clean.returncode == 0


def test_explicit_diff_on_stdin_prints_a_diff(tmp_path: Path) -> None:
    proc = run_module("--diff", "-", stdin=PIP_ONLY.encode(), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith(b"--- -\n+++ -\n@@ ")
    assert b"+RUN --mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12 " in proc.stdout


def test_stdin_not_utf8_exits_2_and_echoes_the_input(tmp_path: Path) -> None:
    data = b"FROM alpine\r\nRUN echo caf\xe9 && pip install flask"
    proc = run_module("-", stdin=data, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == data
    assert b"-:1: DFX902 " in proc.stderr


def test_stdin_unmappable_exits_2_and_echoes_the_input(tmp_path: Path) -> None:
    data = UNMAPPABLE["unterminated-heredoc"]
    proc = run_module("-", stdin=data, cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stdout == data
    assert b"DFX901" in proc.stderr


def test_stdin_without_context_leaves_the_copy_and_says_why(tmp_path: Path) -> None:
    proc = run_module("-", stdin=BOTH.encode(), cwd=tmp_path)
    assert proc.returncode == 0
    assert b"COPY requirements.txt" not in proc.stdout
    assert b"-:3: DFX101 " in proc.stderr
    assert b"build context is unknown" in proc.stderr


def test_stdin_with_context_splits_the_copy(tmp_path: Path) -> None:
    (tmp_path / "requirements.txt").write_text("flask\n")
    proc = run_module("--context", ".", "-", stdin=BOTH.encode(), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == (
        "FROM python:3.12\n"
        "WORKDIR /app\n"
        "COPY requirements.txt ./\n"
        f"RUN {MOUNT} pip install -r requirements.txt\n"
        "COPY . .\n"
    ).encode()


# --------------------------------------------------------------------------------------------
# --write


def test_write_keeps_mode_crlf_and_bom_and_leaves_no_temporary_files(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    path = project / "Dockerfile"
    path.write_bytes(b"\xef\xbb\xbf" + BOTH.replace("\n", "\r\n").encode())
    os.chmod(path, 0o640)
    listing = sorted(p.name for p in project.iterdir())
    r = run_main(capsysbinary, "--write", "Dockerfile")
    assert r.code == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfFROM python:3.12\r\n")
    assert data == b"\xef\xbb\xbf" + (
        "FROM python:3.12\r\n"
        "WORKDIR /app\r\n"
        "COPY requirements.txt ./\r\n"
        f"RUN {MOUNT} pip install -r requirements.txt\r\n"
        "COPY . .\r\n"
    ).encode()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(p.name for p in project.iterdir()) == listing


def test_write_keeps_no_final_newline(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    path = project / "Dockerfile"
    path.write_bytes(PIP_ONLY.rstrip("\n").encode())
    assert run_main(capsysbinary, "--write", "Dockerfile").code == 0
    assert path.read_bytes() == PIP_ONLY_FIXED.rstrip("\n").encode()


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_write_through_a_symlink_keeps_the_link_and_updates_the_target(
    project: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    target = project / "real.Dockerfile.in"
    target.write_text(PIP_ONLY)
    link = project / "Dockerfile"
    link.unlink()
    link.symlink_to(target.name)
    r = run_main(capsysbinary, "--write", "Dockerfile")
    assert r.code == 0
    assert link.is_symlink(), "--write replaced the symlink with a regular file"
    assert target.read_text() == PIP_ONLY_FIXED


def test_leftover_temporary_files_are_not_dockerfiles(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    (project / ".Dockerfile.abc123.dockerfix").write_text(PIP_ONLY)
    (project / "Dockerfile.abc123.dockerfix").write_text(PIP_ONLY)
    r = run_main(capsysbinary, "--check", ".")
    assert {Path(p).as_posix() for p in would_rewrite(r.err)} == {"Dockerfile"}


def test_write_the_readme_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    work = tmp_path / "python-service"
    shutil.copytree(EXAMPLE, work)
    monkeypatch.chdir(work)
    original = (EXAMPLE / "Dockerfile").read_bytes()
    r = run_main(capsysbinary, "--write", ".")
    assert r.code == 0
    text = (work / "Dockerfile").read_text()
    mount = "--mount=type=cache,target=/root/.cache/pip,id=pip-python-3.10.2-slim"
    assert text.index("COPY requirements.txt ./") < text.index(mount) < text.index("COPY . .")
    assert "env -u PIP_NO_CACHE_DIR pip install -r requirements.txt" in text
    assert (EXAMPLE / "Dockerfile").read_bytes() == original  # the repository's copy is untouched
    assert run_main(capsysbinary, "--check", ".").code == 0


# --------------------------------------------------------------------------------------------
# folders


def _write_dockerfiles(root: Path, names: list[str]) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(PIP_ONLY)


FOUND = ["Dockerfile", "Containerfile", "api.Dockerfile", "Dockerfile.prod", "sub/worker.dockerfile"]
NEVER = [
    "node_modules/Dockerfile",
    "node_modules/pkg/Dockerfile",
    "venvdir/Dockerfile",
    "Dockerfile.md",
    "Dockerfile.bak",
    "notes.txt",
    "README.md",
]


def test_folder_discovery_in_a_git_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    subprocess.run([git, "init", "-q", str(tmp_path)], check=True, capture_output=True)
    _write_dockerfiles(tmp_path, FOUND + NEVER + ["ignored.Dockerfile", "build/Dockerfile"])
    (tmp_path / ".git" / "Dockerfile").write_text(PIP_ONLY)
    (tmp_path / "venvdir" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / ".gitignore").write_text("ignored.Dockerfile\nbuild/\n")
    monkeypatch.chdir(tmp_path)

    r = run_main(capsysbinary, "--check", ".")
    assert r.code == 1
    assert {Path(p).as_posix() for p in would_rewrite(r.err)} == set(FOUND)

    r = run_main(capsysbinary, "--diff", ".")
    assert {Path(p).as_posix() for p in diff_headers(r.out)} == set(FOUND)

    # from outside the repository, through a relative path
    monkeypatch.chdir(tmp_path.parent)
    r = run_main(capsysbinary, "--check", tmp_path.name)
    assert {Path(p).relative_to(tmp_path.name).as_posix() for p in would_rewrite(r.err)} == set(FOUND)

    # --write leaves every skipped file alone
    monkeypatch.chdir(tmp_path)
    assert run_main(capsysbinary, "--write", ".").code == 0
    for name in NEVER + ["ignored.Dockerfile", "build/Dockerfile", ".git/Dockerfile"]:
        assert (tmp_path / name).read_text() == PIP_ONLY, name
    for name in FOUND:
        assert (tmp_path / name).read_text() == PIP_ONLY_FIXED, name


def test_folder_discovery_outside_git_ignores_gitignore(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _write_dockerfiles(tmp_path, FOUND + NEVER + ["ignored.Dockerfile", ".venv/Dockerfile"])
    (tmp_path / "venvdir" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / ".gitignore").write_text("ignored.Dockerfile\n")
    monkeypatch.chdir(tmp_path)
    r = run_main(capsysbinary, "--check", ".")
    assert r.code == 1
    assert {Path(p).as_posix() for p in would_rewrite(r.err)} == set(FOUND) | {"ignored.Dockerfile"}


def test_a_file_named_on_the_command_line_is_taken_whatever_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    _write_dockerfiles(tmp_path, ["node_modules/Dockerfile", "build.txt"])
    monkeypatch.chdir(tmp_path)
    r = run_main(capsysbinary, "--check", "node_modules/Dockerfile", "build.txt")
    assert r.code == 1
    assert {Path(p).as_posix() for p in would_rewrite(r.err)} == {"node_modules/Dockerfile", "build.txt"}


def test_default_path_is_the_current_folder(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--check")
    assert r.code == 1
    assert {Path(p).as_posix() for p in would_rewrite(r.err)} == {"Dockerfile"}


# --------------------------------------------------------------------------------------------
# rule selection and options


@pytest.mark.parametrize(
    "args",
    [["--select", "DFX2"], ["--select", "dfx201"], ["--ignore", "DFX101"], ["--ignore", "DFX1"]],
    ids=["select-DFX2", "select-lowercase", "ignore-DFX101", "ignore-DFX1"],
)
def test_only_the_pip_cache_mount(args: list[str], project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, *args, "Dockerfile")
    assert r.code == 1
    assert f"+RUN {MOUNT} pip install -r requirements.txt" in r.out
    assert SPLIT_LINE not in r.out
    assert finding_lines(r.err, "DFX101") == []
    assert len(finding_lines(r.err, "DFX201")) == 1


@pytest.mark.parametrize(
    "args",
    [["--select", "DFX101"], ["--select", "DFX1"], ["--ignore", "DFX201"], ["--ignore", "DFX2,DFX9"]],
    ids=["select-DFX101", "select-DFX1", "ignore-DFX201", "ignore-comma-list"],
)
def test_only_the_copy_split(args: list[str], project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, *args, "Dockerfile")
    assert r.code == 1
    assert SPLIT_LINE in r.out
    assert MOUNT not in r.out
    assert finding_lines(r.err, "DFX201") == []


def test_select_both_with_a_comma_list_and_repeated_options(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    full = run_main(capsysbinary, "Dockerfile")
    assert run_main(capsysbinary, "--select", "DFX101,DFX201", "Dockerfile").out == full.out
    assert run_main(capsysbinary, "--select", "DFX101", "--select", "DFX201", "Dockerfile").out == full.out


def test_select_and_ignore_everything_changes_nothing(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--select", "DFX1", "--ignore", "DFX1", "Dockerfile")
    assert r.code == 0
    assert r.out == ""
    assert finding_lines(r.err) == []


def test_unsafe_fixes_is_accepted(project: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    full = run_main(capsysbinary, "Dockerfile")
    r = run_main(capsysbinary, "--unsafe-fixes", "Dockerfile")
    assert r.code == 1
    assert r.out == full.out


def test_version(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "--version")
    assert r.code == 0
    assert r.out == f"dockerfix {__version__}\n"


def test_version_through_python_m(tmp_path: Path) -> None:
    proc = run_module("--version", cwd=tmp_path)
    assert proc.returncode == 0
    assert proc.stdout.decode().strip() == f"dockerfix {__version__}"


def test_rules_lists_every_rule(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "rules")
    assert r.code == 0
    codes = [line.split()[0] for line in r.out.splitlines() if line.strip()]
    assert "DFX101" in codes and "DFX201" in codes
    assert "DFX901" in codes and "DFX902" in codes
    assert re.search(r"^DFX101\s+copy-all-before-install\s", r.out, re.M)
    assert re.search(r"^DFX201\s+pip-cache-not-mounted\s", r.out, re.M)


def test_rules_prints_the_documentation_of_one_rule(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    from dockerfix.rules.copy_split import CopyAllBeforeInstall

    r = run_main(capsysbinary, "rules", "DFX101")
    assert r.code == 0
    assert r.out.startswith("# DFX101 copy-all-before-install\n")
    assert "## What it does" in r.out
    assert CopyAllBeforeInstall.documentation() in r.out
    lower = run_main(capsysbinary, "rules", "dfx201")
    assert lower.code == 0
    assert lower.out.startswith("# DFX201 pip-cache-not-mounted\n")
    diag = run_main(capsysbinary, "rules", "DFX902")
    assert diag.code == 0
    assert diag.out.startswith("# DFX902 not-utf8\n")


def test_rules_unknown_code_exits_2(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    r = run_main(capsysbinary, "rules", "NOPE")
    assert r.code == 2
    assert r.out == ""
    assert "unknown rule code 'NOPE'" in r.err


# --------------------------------------------------------------------------------------------
# --context


def _context_layout(tmp_path: Path) -> Path:
    (tmp_path / "requirements.txt").write_text("flask\n")
    (tmp_path / "app.py").write_text("print('hi')\n")
    docker = tmp_path / "docker"
    docker.mkdir()
    (docker / "Dockerfile").write_text(BOTH)
    return docker / "Dockerfile"


def test_without_context_the_requirements_file_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    dockerfile = _context_layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = run_main(capsysbinary, "--select", "DFX101", "docker/Dockerfile")
    assert r.code == 0
    assert r.out == ""
    lines = finding_lines(r.err, "DFX101")
    assert len(lines) == 1
    assert lines[0].startswith("docker/Dockerfile:3: DFX101 ")
    assert "requirements.txt is missing from the build context" in lines[0]
    assert "[*]" not in lines[0]
    assert dockerfile.read_text() == BOTH


def test_with_context_the_copy_is_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    dockerfile = _context_layout(tmp_path)
    monkeypatch.chdir(tmp_path)
    r = run_main(capsysbinary, "--select", "DFX101", "--context", ".", "docker/Dockerfile")
    assert r.code == 1
    assert diff_headers(r.out) == {"docker/Dockerfile"}
    assert SPLIT_LINE in r.out
    assert "missing from the build context" not in r.err
    absolute = run_main(capsysbinary, "--select", "DFX101", "--context", str(tmp_path), "--write", str(dockerfile))
    assert absolute.code == 0
    assert dockerfile.read_text() == (
        "FROM python:3.12\n"
        "WORKDIR /app\n"
        "COPY requirements.txt ./\n"
        "RUN pip install -r requirements.txt\n"
        "COPY . .\n"
    )


def test_a_file_named_twice_is_processed_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(PIP_ONLY)
    with pytest.raises(SystemExit) as exit_info:
        main(["--diff", str(dockerfile), str(tmp_path)])
    assert exit_info.value.code == 1
    out = capsys.readouterr().out
    assert out.count("+++ ") == 1
