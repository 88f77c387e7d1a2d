"""`--jobs`: many files fixed in worker processes give what one process gives, byte for byte.

The tree is built from the golden fixtures: each case's build context with its input as the
Dockerfile (or the workflow file), in a folder of its own, plus files that cannot be processed.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import load_cases, materialise
from test_cli import Result, run_main

from dockerfix import runner
from dockerfix.document import parse as document_parse
from dockerfix.document.model import Document
from dockerfix.document.source import SourceText
from dockerfix.pool import chunk_size
from dockerfix.discovery import find_dockerfiles
from dockerfix.runner import POOL_MIN_FILES, FileReport, RunReport, run, use_pool, usable_cpus
from dockerfix.settings import Mode, Settings

# Every third workflow case and every twelfth Dockerfile case: enough files for the pool, and
# runs that stay short.
CASES = [c for i, c in enumerate(load_cases()) if i % (3 if c.workflow else 12) == 0]
BROKEN = {
    "DFX101/aa-unparsable/Dockerfile": b"FROM alpine\napt-get install x\n",
    "DFX201/aa-undecodable/Dockerfile": b"FROM alpine\nRUN echo \xff\n",
    "DFX901/unparsable/Dockerfile": b"FROM alpine\nRUN <<EOF\necho hi\n",
}


def make_tree(root: Path) -> Path:
    for case in CASES:
        folder = root / case.code / case.name
        folder.mkdir(parents=True)
        materialise(case, folder)
    for name, data in BROKEN.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    return root


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tree(tmp_path_factory.mktemp("tree"))


@pytest.fixture(scope="module")
def serial(pristine: Path) -> RunReport:
    return run([str(pristine)], Settings(mode=Mode.CHECK), jobs=1)


def copy_of(pristine: Path, tmp_path: Path, name: str) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / name))


def files_of(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def in_tree(capsysbinary: pytest.CaptureFixture[bytes], root: Path, *args: str) -> Result:
    """The CLI run in ``root`` on ``.`` (so the paths it prints do not name the folder)."""
    cwd = Path.cwd()
    os.chdir(root)
    try:
        return run_main(capsysbinary, *args, ".")
    finally:
        os.chdir(cwd)


@pytest.fixture(params=["found-first", "streamed"])
def streamed(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> bool:
    """Both ways a pool starts: after every file is found (the tree is smaller than
    stream_after), and while the rest are still being found (after the first dozen)."""
    if request.param == "streamed":
        monkeypatch.setattr(runner, "stream_after", lambda jobs: POOL_MIN_FILES)
    return bool(request.param == "streamed")


def test_the_tree_is_large_enough_for_a_pool(serial: RunReport) -> None:
    assert use_pool(len(serial.files), 2)
    assert any(f.path.endswith(".yml") for f in serial.files)  # workflow files too


@pytest.mark.parametrize(
    "args",
    [("--diff",), ("--check", "-v"), ("--format", "json")],
    ids=["diff", "check", "json"],
)
def test_two_workers_print_what_one_process_prints(
    pristine: Path, capsysbinary: pytest.CaptureFixture[bytes], args: tuple[str, ...], streamed: bool
) -> None:
    serial = in_tree(capsysbinary, pristine, *args, "--jobs", "1")
    pooled = in_tree(capsysbinary, pristine, *args, "--jobs", "2")
    assert serial.code == 2  # the files that cannot be processed
    assert (pooled.code, pooled.out_bytes, pooled.err) == (serial.code, serial.out_bytes, serial.err)
    assert serial.out_bytes or serial.err


def test_two_workers_write_what_one_process_writes(
    pristine: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], streamed: bool
) -> None:
    """Under --write, a workflow file is done in the run's own process, between the files
    before it (written first) and those after it (streamed to the workers once it is written)."""
    one, two = copy_of(pristine, tmp_path, "one"), copy_of(pristine, tmp_path, "two")
    serial = in_tree(capsysbinary, one, "--write", "--jobs", "1")
    pooled = in_tree(capsysbinary, two, "--write", "--jobs", "2")
    assert "rewrote DFX101/" in serial.err
    assert (pooled.code, pooled.out_bytes, pooled.err) == (serial.code, serial.out_bytes, serial.err)
    assert files_of(one) != files_of(pristine)
    assert files_of(two) == files_of(one)
    # and a second run has nothing left to do
    again = in_tree(capsysbinary, two, "--check", "-q", "--jobs", "2")
    assert "would rewrite" not in again.err


def test_hard_links_give_what_one_process_gives(
    pristine: Path, tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    # a write replaces the file (atomically), so each name of a hard-linked file is read and
    # fixed as it was, in one process as in two
    one, two = copy_of(pristine, tmp_path, "one"), copy_of(pristine, tmp_path, "two")
    fixed = next(c for c in CASES if c.code == "DFX101" and c.expected != c.input)
    for root in (one, two):
        os.link(root / fixed.code / fixed.name / "Dockerfile", root / fixed.code / fixed.name / "Dockerfile.linked")
    serial = in_tree(capsysbinary, one, "--write", "--jobs", "1")
    pooled = in_tree(capsysbinary, two, "--write", "--jobs", "2")
    for name in ("Dockerfile", "Dockerfile.linked"):
        assert f"rewrote {fixed.code}/{fixed.name}/{name}\n" in serial.err
    assert (pooled.code, pooled.out_bytes, pooled.err) == (serial.code, serial.out_bytes, serial.err)
    assert files_of(two) == files_of(one)


def test_a_file_that_cannot_be_processed_keeps_its_place(pristine: Path, serial: RunReport) -> None:
    pooled = run([str(pristine)], Settings(mode=Mode.CHECK), jobs=2)
    assert pooled == serial
    codes = {Path(f.path).relative_to(pristine).as_posix(): [d.code for d in f.diagnostics] for f in pooled.files}
    assert codes["DFX101/aa-unparsable/Dockerfile"] == ["DFX901"]
    assert codes["DFX201/aa-undecodable/Dockerfile"] == ["DFX902"]
    assert codes["DFX901/unparsable/Dockerfile"] == ["DFX901"]
    assert pooled.failed
    # in the order discovery found them, the files that failed among the others
    assert [f.path for f in pooled.files] == [str(p) for p in find_dockerfiles(pristine, workflows=True)[0]]


def test_standard_input_among_many_files_keeps_its_place(pristine: Path) -> None:
    stdin = b"FROM python:3.12\nRUN pip install flask\n"
    paths = [str(pristine / "DFX101"), "-", str(pristine / "DFX201")]
    serial = run(paths, Settings(), stdin, jobs=1)
    pooled = run(paths, Settings(), stdin, jobs=2)
    assert pooled == serial
    assert [f.path for f in pooled.files].count("-") == 1
    assert b"--mount=type=cache" in (next(f for f in pooled.files if f.path == "-").output or b"")


FORKED = pytest.mark.skipif(sys.platform != "linux", reason="the workers inherit the test's patches by fork")


@FORKED
def test_an_error_and_a_dead_worker_cost_one_file_each(
    pristine: Path, serial: RunReport, monkeypatch: pytest.MonkeyPatch, streamed: bool
) -> None:
    victims = [f.path for f in serial.files if f.path.endswith("Dockerfile")][3:5]
    process_bytes = runner.process_bytes

    def flaky(data: bytes, display: str, *args: object, **kwargs: object) -> FileReport:
        if display == victims[0]:
            raise RuntimeError("boom")
        if display == victims[1]:
            os._exit(3)  # the worker dies, as on a segmentation fault
        return process_bytes(data, display, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "process_bytes", flaky)
    pooled = run([str(pristine)], Settings(mode=Mode.CHECK), jobs=2)
    assert [f.path for f in pooled.files] == [f.path for f in serial.files]
    by_path = {f.path: f for f in pooled.files}
    assert [(d.code, d.message) for d in by_path[victims[0]].diagnostics] == [("DFX999", "internal error: RuntimeError: boom")]
    assert [d.code for d in by_path[victims[1]].diagnostics] == ["DFX999"]
    assert "worker process stopped" in by_path[victims[1]].diagnostics[0].message
    assert [f for f in pooled.files if f.path not in victims] == [f for f in serial.files if f.path not in victims]


def test_an_error_in_one_process_is_that_files_dfx999_too(pristine: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(source: SourceText) -> Document:
        raise RuntimeError("no document")

    monkeypatch.setattr(document_parse, "parse", broken)  # the runner imports it when it parses
    report = run([str(pristine / "DFX101")], Settings(mode=Mode.CHECK), jobs=1)
    assert len(report.files) > 1
    assert all([(d.code, d.message) for d in f.diagnostics] == [("DFX999", "internal error: RuntimeError: no document")] for f in report.files)


@FORKED
def test_ctrl_c_stops_the_workers(pristine: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C reaches the run's process while the workers are busy: they are stopped, not
    waited for (each would leave a mark when its file was done)."""
    marks = tmp_path / "marks"
    marks.mkdir()

    def slow(data: bytes, display: str, *args: object, **kwargs: object) -> FileReport:
        try:  # the first file a worker starts interrupts the run's process
            os.close(os.open(tmp_path / "interrupted", os.O_CREAT | os.O_EXCL))
            os.kill(os.getppid(), signal.SIGINT)
        except FileExistsError:
            pass
        time.sleep(30)
        (marks / str(os.getpid())).touch()
        return FileReport(display)

    monkeypatch.setattr(runner, "process_bytes", slow)
    # as in a terminal: a job started in the background of a script has SIGINT ignored
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            run([str(pristine)], Settings(mode=Mode.CHECK), jobs=2)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert multiprocessing.active_children() == []
    assert list(marks.iterdir()) == []


def test_the_workers_start_while_files_are_still_found(
    pristine: Path, serial: RunReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dockerfix import pool

    events: list[str] = []
    jobs, submit = runner._jobs, pool.Pool._submit

    def found(*args: object) -> Iterator[runner.Job]:
        for job in jobs(*args):  # type: ignore[arg-type]
            events.append("found")
            yield job

    def sent(self: pool.Pool, chunk: list[runner.Task]) -> object:
        events.append("sent")
        return submit(self, chunk)

    monkeypatch.setattr(runner, "_jobs", found)
    monkeypatch.setattr(pool.Pool, "_submit", sent)
    monkeypatch.setattr(runner, "stream_after", lambda jobs: POOL_MIN_FILES)
    run([str(pristine)], Settings(mode=Mode.CHECK), jobs=2)
    assert events.index("sent") < len(events) - 1 - events[::-1].index("found")  # a chunk went out before the last file was found
    assert events.count("found") == len(serial.files)


def test_a_small_run_stays_in_one_process() -> None:
    assert not use_pool(1, 8)
    assert not use_pool(POOL_MIN_FILES - 1, 2)
    assert use_pool(POOL_MIN_FILES, 2)
    assert not use_pool(2 * 16 - 1, 16)  # fewer than two files per worker
    assert use_pool(2 * 16, 16)
    assert not use_pool(10_000, 1)  # --jobs 1: never


def test_a_one_file_run_does_not_import_the_pool(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM alpine:3.20\n")
    code = (
        "import sys; from dockerfix.cli import main\n"
        "try:\n    main(['--check', '-q', '--jobs', '4', sys.argv[1]])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('multiprocessing', 'concurrent', 'dockerfix.pool'))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_chunks_are_small_and_several_per_worker() -> None:
    assert chunk_size(1, 2) == 1
    assert chunk_size(40, 2) == 5  # four chunks per worker
    assert chunk_size(10_000, 2) == 8  # at most eight files


def test_the_default_is_the_usable_cores() -> None:
    assert 1 <= usable_cpus() <= (os.cpu_count() or 1)


def test_jobs_must_be_positive(capsysbinary: pytest.CaptureFixture[bytes], tmp_path: Path) -> None:
    r = run_main(capsysbinary, "--jobs", "0", str(tmp_path))
    assert r.code == 2
    assert "--jobs" in r.err
