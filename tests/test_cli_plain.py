"""A plain fix run is read without typer (dockerfix.cli), every other command line by typer
(dockerfix.commands): both give the same output and exit status for a plain run, and typer
still reads everything else."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dockerfix import cli, commands, fix_command

PIP = "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\nCMD [\"python\", \"app.py\"]\n"
CLEAN = "FROM alpine:3.20\nRUN echo hello\n"
UNPARSABLE = b"FROM alpine\napt-get install x\n"

# typer's path: the same entry, but every command line goes to dockerfix.commands
THROUGH_TYPER = "import sys\nfrom dockerfix.commands import dispatch\ndispatch(sys.argv[1:])\n"
THROUGH_CLI = "import sys\nfrom dockerfix.cli import main\nmain(sys.argv[1:])\n"
# the program itself (console script, python -m dockerfix): a plain run ends its process at once
THROUGH_PROGRAM = "from dockerfix.cli import program\nprogram()\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Two services to fix, a clean one, one that cannot be parsed and one that cannot be decoded."""
    for name in ("api", "worker"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "Dockerfile").write_text(PIP)
        (tmp_path / name / "requirements.txt").write_text("flask==3.0.3\n")
        (tmp_path / name / "app.py").write_text("print('hi')\n")
    (tmp_path / "clean").mkdir()
    (tmp_path / "clean" / "Dockerfile").write_text(CLEAN)
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "Dockerfile").write_bytes(UNPARSABLE)
    (tmp_path / "latin").mkdir()
    (tmp_path / "latin" / "Dockerfile").write_bytes(b"FROM alpine\n# caf\xe9\n")
    return tmp_path


def run(script: str, args: list[str], cwd: Path, stdin: bytes = b"") -> tuple[int, bytes, bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", cli.COMPLETE_VAR)}
    proc = subprocess.run(
        [sys.executable, "-c", script, *args], input=stdin, capture_output=True, cwd=cwd, env=env, timeout=120
    )
    return proc.returncode, proc.stdout, proc.stderr


PLAIN_LINES = [
    [],
    ["api/Dockerfile"],
    ["--diff", "api/Dockerfile"],
    ["--check", "."],
    ["api", "--check", "-q"],
    ["-v", "--diff", "clean", "api"],
    ["--quiet", "--verbose", "."],
    ["--isolated", "--unsafe-fixes", "worker/Dockerfile"],
    ["broken/Dockerfile", "latin/Dockerfile", "api/Dockerfile"],
    ["missing/Dockerfile", "clean/Dockerfile"],
    ["--diff", "--diff", "clean"],
    ["-"],
    ["--diff", "-"],
    ["--check", "-", "clean"],
]


@pytest.mark.parametrize("args", PLAIN_LINES, ids=lambda a: " ".join(a) or "no-arguments")
def test_a_plain_run_gives_what_typer_gives(tree: Path, args: list[str]) -> None:
    assert cli.plain_run(args) is not None  # this line does take the path without typer
    stdin = PIP.encode() if "-" in args else b""
    through_cli = run(THROUGH_CLI, args, tree, stdin)
    assert through_cli == run(THROUGH_TYPER, args, tree, stdin)
    assert through_cli == run(THROUGH_PROGRAM, args, tree, stdin)
    assert through_cli[0] in (0, 1, 2)


def test_write_gives_what_typer_gives(tmp_path: Path) -> None:
    results = []
    for script in (THROUGH_CLI, THROUGH_TYPER):
        project = tmp_path / str(len(results))
        project.mkdir()
        (project / "Dockerfile").write_text(PIP)
        (project / "requirements.txt").write_text("flask\n")
        results.append((run(script, ["--write", "Dockerfile"], project), (project / "Dockerfile").read_bytes()))
    assert results[0] == results[1]
    (code, _, err), written = results[0]
    assert code == 0 and b"rewrote Dockerfile" in err and b"COPY requirements.txt" in written


@pytest.mark.parametrize(
    "args",
    [
        ["rules"], ["verify", "x"], ["--help"], ["--version"], ["--select", "DFX201", "."], ["--select=DFX201"],
        ["--jobs", "2"], ["--format", "json"], ["--context", "."], ["--", "-weird"], ["-qv"], ["-x"], ["--dif"],
        ["--diff", "--write"], ["--check", "--write", "Dockerfile"],
    ],
)  # fmt: skip
def test_every_other_command_line_is_read_by_typer(args: list[str]) -> None:
    assert cli.plain_run(args) is None


def test_a_shell_completion_request_is_read_by_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(cli.COMPLETE_VAR, "bash_complete")
    assert cli.plain_run(["Dockerfile"]) is None


@pytest.mark.parametrize("args", [["--diff", "--write", "Dockerfile"], ["--jobs", "0", "Dockerfile"], ["--nope"]])
def test_a_usage_error_is_typer_s(tree: Path, args: list[str]) -> None:
    code, out, err = run(THROUGH_CLI, args, tree)
    assert (code, out, err) == run(THROUGH_TYPER, args, tree)
    assert code == 2 and err.startswith(b"Usage: dockerfix")


def _raises(exc: BaseException) -> Any:
    def run_fix(*args: object, **kwargs: object) -> int:
        raise exc

    return run_fix


@pytest.mark.parametrize(
    ("exc", "code"),
    [(KeyboardInterrupt(), 130), (EOFError(), 1), (OSError(errno.EPIPE, "Broken pipe"), 1)],
    ids=["ctrl-c", "end-of-input", "closed-pipe"],
)
def test_an_interrupted_run_ends_as_under_typer(
    exc: BaseException, code: int, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "stdout", sys.stdout)  # restored after the closed-pipe case replaces them
    monkeypatch.setattr(sys, "stderr", sys.stderr)
    monkeypatch.setattr(fix_command, "run_fix", _raises(exc))
    monkeypatch.setattr(commands, "run_fix", _raises(exc))
    ends = []
    for entry in (cli.main, commands.dispatch):
        with pytest.raises(SystemExit) as exit_:
            entry(["Dockerfile"])
        ends.append((exit_.value.code, capsys.readouterr().err))
    assert ends[0] == ends[1]
    assert ends[0][0] == code


SHUTDOWN = "import atexit\natexit.register(lambda: print('python shut down'))\n"


def test_the_program_ends_a_plain_run_without_python_s_shutdown(tree: Path) -> None:
    code, out, err = run(SHUTDOWN + THROUGH_PROGRAM, ["--diff", "api/Dockerfile"], tree)
    assert code == 1 and out.startswith(b"--- api/Dockerfile") and b"would be rewritten" in err
    assert b"python shut down" not in out
    # every other command line ends as usual, as main() ends every one
    assert b"python shut down" in run(SHUTDOWN + THROUGH_PROGRAM, ["--format", "json", "api"], tree)[1]
    assert b"python shut down" in run(SHUTDOWN + THROUGH_CLI, ["--diff", "api/Dockerfile"], tree)[1]


def test_the_program_writes_all_of_a_long_output_to_a_pipe(tree: Path) -> None:
    for n in range(250):  # a diff far longer than a pipe's buffer
        (tree / f"svc{n}").mkdir()
        (tree / f"svc{n}" / "Dockerfile").write_text(PIP)
        (tree / f"svc{n}" / "requirements.txt").write_text("flask\n")
    through_program = run(THROUGH_PROGRAM, ["."], tree)  # with worker processes where there are two cores
    assert through_program == run(THROUGH_TYPER, ["."], tree)
    assert len(through_program[1]) > 65536 and through_program[1].endswith(b"\n")


def test_another_os_error_is_not_swallowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fix_command, "run_fix", _raises(OSError(errno.ENOSPC, "No space left on device")))
    with pytest.raises(OSError):
        cli.main(["Dockerfile"])
