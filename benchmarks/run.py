#!/usr/bin/env python3
"""Benchmark dockerfix against its speed budgets: start-up, throughput, memory and scaling.

    python benchmarks/run.py [--only startup,throughput,memory,scaling] [--skip-scaling]
                             [--dockerfix PATH] [--repeat R] [--rounds N] [--scaling-timeout S]

The corpora are generated (by make_corpus.py and make_realistic.py, deterministically) when
they are missing or were made with other settings; the scaling files by make_scaling.py. The
budgets are informational: the script exits 0 whatever the numbers are, and non-zero only when
dockerfix cannot be run at all. benchmarks/README.md says what every line means.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import types
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import make_corpus  # noqa: E402
import make_realistic  # noqa: E402
import make_scaling  # noqa: E402

COLD_RATIO_BUDGET = 1.25  # cold `--diff` on one file / `python -c "import typer"`
THROUGHPUT_BUDGET = 1500.0  # files per second over the realistic corpus, on 2 cores
MEMORY_BUDGET_MIB = 80.0
SCALING_BUDGET = 24.0  # runs-8000 / runs-500; linear is 16
ROUNDS = 21
WARMUP_ROUNDS = 1
MAX_PROBLEM_LINES = 25
PARTS = ("startup", "throughput", "memory", "scaling")
SCALING_DIR = HERE / "scaling"

# The same names and skipped folders as dockerfix's own discovery (src/dockerfix/discovery.py).
_PATTERNS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile", "Dockerfile.*", "Containerfile.*")
_NOT_DOCKERFILES = (".dockerignore", ".md", ".txt", ".orig", ".rej", ".bak", ".swp", ".dockerfix")
_SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "node_modules", ".venv", "venv", ".tox", ".nox", "__pycache__",
     ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages"}
)  # fmt: skip
_DFX9 = re.compile(r"^(?P<path>.*?):(?P<line>\d+): (?P<code>DFX9\d\d)\b")
_SUMMARY = re.compile(r"^(\d+) files? would be rewritten, (\d+) unchanged(?:, (\d+) failed)?\.$")
_WARNING_CODES = frozenset({"DFX906"})  # a warning: the file is still processed
_IMPORT_TIME = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \| ( *)\S")


@dataclass
class Census:
    """What one untimed, non-quiet run says about a corpus."""

    changed: int
    unchanged: int
    failed: int

    @property
    def seen(self) -> int:
        return self.changed + self.unchanged + self.failed


@dataclass
class Run:
    """One finished (or stopped) process: wall time, exit code, output and peak memory."""

    wall: float
    returncode: int
    stdout: str
    stderr: str
    maxrss_kib: int
    timed_out: bool = False


@dataclass
class Peaks:
    """The largest resident set seen for each kind of run, in KiB."""

    by_label: dict[str, int] = field(default_factory=dict)

    def note(self, label: str, run: Run) -> None:
        self.by_label[label] = max(self.by_label.get(label, 0), run.maxrss_kib)


def is_dockerfile_name(name: str) -> bool:
    if name.endswith(_NOT_DOCKERFILES):
        return False
    return any(fnmatch.fnmatchcase(name, p) for p in _PATTERNS)


def count_dockerfiles(root: Path) -> int:
    total = 0
    for _dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in _SKIPPED_DIRS]
        total += sum(1 for f in filenames if is_dockerfile_name(f))
    return total


def find_dockerfix(option: str | None) -> list[str]:
    if option:
        return [option]
    found = shutil.which("dockerfix")
    if found:
        return [found]
    return [sys.executable, "-m", "dockerfix"]


def interpreter(cmd: Sequence[str]) -> str:
    """The Python that runs ``cmd``: its first word when that is `python -m ...`, else the
    interpreter its `#!` line names, else this one."""
    if len(cmd) > 1 and cmd[1] == "-m":
        return cmd[0]
    try:
        with open(cmd[0], "rb") as handle:
            first = handle.readline(300).decode("utf-8", "replace").strip()
    except OSError:
        return sys.executable
    if not first.startswith("#!"):
        return sys.executable
    words = first[2:].split()
    if len(words) >= 2 and os.path.basename(words[0]) == "env":
        return shutil.which(words[1]) or sys.executable
    return words[0] if words and "python" in os.path.basename(words[0]) else sys.executable


# Runs the command given after the report path, and writes "wall maxrss exit" there. The
# measured process is a child of this small interpreter, not of the benchmark: Linux carries
# the peak RSS of the process that forked into the one that execs, so a direct child of this
# (larger) script would report at least the script's own size.
_WRAPPER = """import os, sys, time
start = time.perf_counter()
pid = os.posix_spawnp(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    report.write(f"{wall} {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}")
"""


def measure(cmd: Sequence[str], env: dict[str, str] | None = None, timeout: float | None = None) -> Run:
    """Run ``cmd`` under _WRAPPER: its wall time, and its peak RSS as wait4 gives it (Linux: the
    largest of the process and every descendant it waited for, such as pool workers)."""
    with tempfile.TemporaryDirectory() as tmp, open(f"{tmp}/out", "w+b") as out, open(f"{tmp}/err", "w+b") as err:
        report = Path(tmp, "report")
        wrapped = [sys.executable, "-I", "-S", "-c", _WRAPPER, str(report), *cmd]
        proc = subprocess.Popen(wrapped, stdout=out, stderr=err, env=env, start_new_session=True)
        stopped: list[bool] = []

        def stop() -> None:
            stopped.append(True)
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the wrapper and what it started
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, stop) if timeout else None
        if timer:
            timer.start()
        try:
            proc.wait()
        except BaseException:  # interrupted: the processes are in their own session, stop them too
            stop()
            raise
        finally:
            if timer:
                timer.cancel()
        out.seek(0)
        err.seek(0)
        fields = report.read_text().split() if report.is_file() else []
        if len(fields) != 3 or stopped:
            wall, maxrss, code = (timeout or 0.0), 0, proc.returncode
        else:
            wall, maxrss, code = float(fields[0]), int(fields[1]), int(fields[2])
        return Run(
            wall,
            code,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
            maxrss,  # KiB on Linux
            bool(stopped),
        )


def run_environment() -> dict[str, str]:
    """The environment for the timed runs: like an installed package, Python may cache bytecode.

    (With PYTHONDONTWRITEBYTECODE set, every run of an editable install compiles the sources
    again, which measures the compiler, not dockerfix.)"""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def fresh(manifest: dict[str, object] | None, count: int, version: int, seed: int) -> bool:
    return (
        manifest is not None
        and manifest.get("count") == count
        and manifest.get("version") == version
        and manifest.get("seed") == seed
    )


def ensure(generator: types.ModuleType, corpus: Path, count: int) -> tuple[dict[str, object], bool]:
    """The corpus ``generator`` (make_corpus or make_realistic) writes, generated again when it
    is missing or was made with another count, version or seed; and whether it was."""
    manifest = generator.read_manifest(corpus)
    if fresh(manifest, count, generator.CORPUS_VERSION, generator.DEFAULT_SEED):
        assert manifest is not None
        return manifest, False
    return generator.generate(corpus, count), True


def ensure_corpus(corpus: Path, count: int) -> tuple[dict[str, object], bool]:
    return ensure(make_corpus, corpus, count)


def ensure_realistic(corpus: Path, count: int) -> tuple[dict[str, object], bool]:
    return ensure(make_realistic, corpus, count)


def census(cmd: list[str], corpus: Path, env: dict[str, str]) -> Census:
    run = measure(cmd + ["--check", str(corpus)], env)
    for line in reversed(run.stderr.splitlines()):
        m = _SUMMARY.match(line.strip())
        if m:
            return Census(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return Census(0, 0, 0)  # dockerfix prints no summary when it found no file


def problems(stderr: str) -> tuple[list[str], int]:
    """The stderr lines that mention DFX9xx, and how many files failed (warnings excluded)."""
    lines = [line for line in stderr.splitlines() if "DFX9" in line]
    failed = set()
    for line in lines:
        m = _DFX9.match(line)
        if m and m.group("code") not in _WARNING_CODES:
            failed.add(m.group("path"))
    return lines, len(failed)


def import_time_ms(stderr: str) -> float | None:
    """``-X importtime`` output: the sum of the cumulative times of the top-level imports, in ms."""
    total = 0
    seen = False
    for line in stderr.splitlines():
        m = _IMPORT_TIME.match(line)
        if m and not m.group(3):
            total += int(m.group(2))
            seen = True
    return total / 1000 if seen else None


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


def row(label: str, value: str, budget: str = "", width: int = 54) -> None:
    print(f"  {label:<32} {value:<{width}} {budget}".rstrip(), flush=True)


# --------------------------------------------------------------------------------------------
# Start-up
# --------------------------------------------------------------------------------------------


@dataclass
class Probe:
    label: str
    cmd: list[str]
    importtime: bool = False
    samples: list[float] = field(default_factory=list)
    codes: set[int] = field(default_factory=set)

    def median(self) -> float | None:
        return statistics.median(self.samples) if self.samples else None


def startup(cmd: list[str], small: Path, env: dict[str, str], rounds: int, peaks: Peaks) -> None:
    python = interpreter(cmd)
    cli_ok = measure([python, "-c", "import dockerfix.cli"], env).returncode == 0
    probes = [
        Probe("python -c pass", [python, "-c", "pass"]),
        Probe('python -c "import typer"', [python, "-c", "import typer"]),
        Probe("dockerfix --diff FILE", cmd + ["--diff", str(small)]),
        Probe("pass", [python, "-X", "importtime", "-c", "pass"], True),
        Probe("typer", [python, "-X", "importtime", "-c", "import typer"], True),
    ]
    if cli_ok:
        probes.append(Probe("dockerfix.cli", [python, "-X", "importtime", "-c", "import dockerfix.cli"], True))
        probes.append(Probe("-m dockerfix --diff", [python, "-X", "importtime", "-m", "dockerfix", "--diff", str(small)], True))
    for n in range(WARMUP_ROUNDS + rounds):
        shift = n % len(probes)  # each round starts with another command, so noise hits all alike
        for probe in probes[shift:] + probes[:shift]:
            run = measure(probe.cmd, env)
            probe.codes.add(run.returncode)
            if n < WARMUP_ROUNDS:
                continue
            value = import_time_ms(run.stderr) if probe.importtime else run.wall * 1000
            if value is not None:
                probe.samples.append(value)
            if probe.label == "dockerfix --diff FILE":
                peaks.note("cold --diff", run)
    bare, typer, cold = (p.median() for p in probes[:3])
    print(f"startup ({rounds} interleaved rounds after {WARMUP_ROUNDS} warm-up; medians; {python})", flush=True)
    for probe in probes[:3]:
        value = probe.median()
        row(probe.label, f"{value:8.1f} ms wall" if value is not None else "n/a")
    if typer is not None and bare is not None:
        row("typer's own import", f"{typer - bare:8.1f} ms  (import typer - pass)")
    for probe in probes[3:]:
        value = probe.median()
        row(f"importtime {probe.label}", f"{value:8.1f} ms  (top-level imports, cumulative)" if value is not None else "n/a")
    if not cli_ok:
        row("importtime dockerfix", f"n/a: {python} cannot import dockerfix.cli")
    if cold is not None and typer:
        ratio = cold / typer
        row("cold / typer", f"{ratio:8.2f}", f"budget <= {COLD_RATIO_BUDGET}  {verdict(ratio <= COLD_RATIO_BUDGET)}")
    codes = probes[2].codes
    if not codes <= {0, 1}:
        row("note", f"the cold-start run exited {sorted(codes)} on {display(small)}")


# --------------------------------------------------------------------------------------------
# Throughput
# --------------------------------------------------------------------------------------------


@dataclass
class Corpus:
    name: str
    path: Path
    files: int
    lines: object
    budget: bool  # the throughput budget applies to it


def throughput_line(cmd: list[str], corpus: Corpus, env: dict[str, str], repeat: int, peaks: Peaks, jobs: str | None) -> Run:
    best: Run | None = None
    codes: set[int] = set()
    extra = ["--jobs", jobs] if jobs else []
    for _ in range(repeat):
        run = measure(cmd + ["--check", "-q", *extra, str(corpus.path)], env)
        peaks.note(f"{corpus.name} --check" + (f" --jobs {jobs}" if jobs else ""), run)
        codes.add(run.returncode)
        if best is None or run.wall < best.wall:
            best = run
    assert best is not None
    rate = corpus.files / best.wall if best.wall > 0 else float("inf")
    text = f"{rate:8,.0f} files/s  ({best.wall:.2f} s, best of {repeat}; exit {', '.join(map(str, sorted(codes)))})"
    label = f"  {'--jobs ' + jobs if jobs else 'default jobs'}"
    budget = f"budget >= {THROUGHPUT_BUDGET:,.0f} files/s  {verdict(rate >= THROUGHPUT_BUDGET)}" if corpus.budget else "(no budget)"
    row(label, text, budget)
    return best


def throughput(cmd: list[str], corpora: list[Corpus], env: dict[str, str], repeat: int, peaks: Peaks, jobs: bool) -> None:
    print(f"throughput (dockerfix --check -q over the whole tree, one command; host has {os.cpu_count()} CPUs)", flush=True)
    if os.cpu_count() != 2:
        row("note", "the 1,500 files/s budget is set for 2 cores")
    for corpus in corpora:
        seen = census(cmd, corpus.path, env)
        lines = corpus.lines.get("total") if isinstance(corpus.lines, dict) else None
        row(corpus.name, f"{display(corpus.path)}: {corpus.files} Dockerfiles" + (f", {lines} lines" if lines else ""))
        row("", f"{seen.changed} would change, {seen.unchanged} unchanged, {seen.failed} failed")
        if seen.seen < corpus.files:
            row("", f"WARNING: dockerfix processed {seen.seen} of the {corpus.files} Dockerfiles")
        last = throughput_line(cmd, corpus, env, repeat, peaks, None)
        if jobs and corpus.budget:
            throughput_line(cmd, corpus, env, repeat, peaks, "1")
        report_problems(last)


def report_problems(last: Run) -> None:
    dfx9_lines, failed = problems(last.stderr)
    if last.returncode != 2 and not dfx9_lines:
        return
    row("  problems", f"exit 2; {failed} file(s) failed:" if last.returncode == 2 else "DFX9xx warnings:")
    for line in dfx9_lines[:MAX_PROBLEM_LINES]:
        print(f"      {line}")
    if len(dfx9_lines) > MAX_PROBLEM_LINES:
        print(f"      ... and {len(dfx9_lines) - MAX_PROBLEM_LINES} more")
    for line in [line for line in last.stderr.splitlines() if line.startswith("error:")][:MAX_PROBLEM_LINES]:
        print(f"      {line}")


# --------------------------------------------------------------------------------------------
# Memory and scaling
# --------------------------------------------------------------------------------------------


def memory(cmd: list[str], corpora: list[Corpus], small: Path, env: dict[str, str], peaks: Peaks) -> None:
    """The peak RSS of each kind of run; what the other parts did not run is run once here."""
    if "cold --diff" not in peaks.by_label:
        peaks.note("cold --diff", measure(cmd + ["--diff", str(small)], env))
    for corpus in corpora:
        if f"{corpus.name} --check" not in peaks.by_label:
            peaks.note(f"{corpus.name} --check", measure(cmd + ["--check", "-q", str(corpus.path)], env))
    print("memory (peak RSS of one dockerfix process: the largest of it and the workers it waited for)", flush=True)
    for label, kib in peaks.by_label.items():
        row(label, mib(kib))
    top = max(peaks.by_label.values()) / 1024
    row("peak", f"{top:.1f} MiB", f"budget <= {MEMORY_BUDGET_MIB:.0f} MiB  {verdict(top <= MEMORY_BUDGET_MIB)}")


def scaling(cmd: list[str], cases: list[str], env: dict[str, str], timeout: float, peaks: Peaks) -> None:
    files = make_scaling.generate(SCALING_DIR)
    print(f"scaling (dockerfix --check -q on one file; stopped after {timeout:g} s)", flush=True)
    times: dict[str, float | None] = {}
    for name in cases:
        run = measure(cmd + ["--check", "-q", str(files[name])], env, timeout)
        if run.timed_out:
            times[name] = None
            row(name, f"over {timeout:g} s")
            continue
        peaks.note(f"scaling {name}", run)
        times[name] = run.wall
        bad = "" if run.returncode in (0, 1) else f"; exit {run.returncode}: {' '.join(run.stderr.strip().splitlines()[-1:])}"
        row(name, f"{run.wall:8.2f} s   {mib(run.maxrss_kib)}{bad}")
    small, large = times.get("runs-500"), times.get("runs-8000")
    budget = f"budget <= {SCALING_BUDGET:g} (linear is 16)"
    if small and large:
        ratio = large / small
        row("runs-8000 / runs-500", f"{ratio:8.1f}", f"{budget}  {verdict(ratio <= SCALING_BUDGET)}")
    elif small and "runs-8000" in times:  # runs-8000 was stopped: the ratio is at least this
        ratio = timeout / small
        row("runs-8000 / runs-500", f"> {ratio:.1f}", f"{budget}  {verdict(False) if ratio > SCALING_BUDGET else 'n/a'}")
    else:
        row("runs-8000 / runs-500", "n/a (needs both cases)")


# --------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Benchmark dockerfix: start-up, throughput, memory and scaling.")
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts to run (default: %(default)s)")
    parser.add_argument("--skip-scaling", action="store_true", help="leave out the scaling part")
    parser.add_argument("--count", type=int, default=make_corpus.DEFAULT_COUNT, help="Dockerfiles in the Python corpus (default: %(default)s)")
    parser.add_argument("--corpus", type=Path, default=make_corpus.DEFAULT_TARGET, help="Python corpus folder (default: benchmarks/corpus)")
    parser.add_argument("--realistic-count", type=int, default=make_realistic.DEFAULT_COUNT, help="Dockerfiles in the realistic corpus (default: %(default)s)")
    parser.add_argument("--realistic-corpus", type=Path, default=make_realistic.DEFAULT_TARGET, help="realistic corpus folder (default: benchmarks/corpus-realistic)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs; the best is reported (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=ROUNDS, help="start-up rounds (default: %(default)s)")
    parser.add_argument("--scaling-timeout", type=float, default=300.0, help="seconds before a scaling case is stopped (default: %(default)s)")
    parser.add_argument("--scaling-cases", default=",".join(make_scaling.cases()), help="comma-separated scaling cases (default: %(default)s)")
    parser.add_argument("--dockerfix", metavar="PATH", help="the dockerfix executable (default: from PATH, else python -m dockerfix)")
    args = parser.parse_args(argv)
    args.parts = [p.strip() for p in args.only.split(",") if p.strip()]
    if args.skip_scaling and "scaling" in args.parts:
        args.parts.remove("scaling")
    args.cases = [c.strip() for c in args.scaling_cases.split(",") if c.strip()]
    if unknown := [p for p in args.parts if p not in PARTS]:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    if unknown := [c for c in args.cases if c not in make_scaling.cases()]:
        parser.error(f"unknown scaling case(s) {', '.join(unknown)}; choose from {', '.join(make_scaling.cases())}")
    if min(args.count, args.realistic_count, args.repeat, args.rounds) < 1 or args.scaling_timeout <= 0:
        parser.error("--count, --realistic-count, --repeat and --rounds must be at least 1, --scaling-timeout positive")
    return args


def load_corpora(args: argparse.Namespace, notes: list[str]) -> tuple[list[Corpus], Path]:
    """The realistic corpus (which the throughput budget is about) and the Python one."""
    corpora = []
    loaders: list[tuple[str, Path, Callable[[Path, int], tuple[dict[str, object], bool]], int, bool]] = [
        ("realistic", args.realistic_corpus, ensure_realistic, args.realistic_count, True),
        ("python", args.corpus, ensure_corpus, args.count, False),
    ]
    small = args.corpus
    for name, path, ensure, count, budget in loaders:
        manifest, generated = ensure(path, count)
        if generated:
            notes.append(f"generated the {name} corpus (seed {manifest['seed']})")
        if manifest.get("git") is False:
            notes.append(f"git could not make {display(path)} a work tree: compose files and Makefiles there are not read")
        corpora.append(Corpus(name, path, count_dockerfiles(path), manifest.get("lines"), budget))
        if "small" in manifest:
            small = path / str(manifest["small"])
    return corpora, small


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cmd = find_dockerfix(args.dockerfix)
    try:
        probe = subprocess.run(cmd + ["--version"], capture_output=True, text=True, check=False)
        helptext = subprocess.run(cmd + ["--help"], capture_output=True, text=True, check=False).stdout
    except OSError as exc:
        print(f"error: cannot run {' '.join(cmd)}: {exc}", file=sys.stderr)
        return 2
    if probe.returncode != 0:
        print(f"error: {' '.join(cmd)} --version exited {probe.returncode}:\n{probe.stderr.strip()}", file=sys.stderr)
        return 2
    jobs = "--jobs" in helptext

    notes: list[str] = []
    corpora, small = load_corpora(args, notes)
    env = run_environment()
    peaks = Peaks()
    print("dockerfix benchmark")
    row("dockerfix", f"{probe.stdout.strip() or '?'}  ({' '.join(cmd)}; --jobs {'accepted' if jobs else 'not accepted'})")
    row("host", f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    for note in notes:
        row("note", note)
    if "startup" in args.parts:
        startup(cmd, small, env, args.rounds, peaks)
    if "throughput" in args.parts:
        throughput(cmd, corpora, env, args.repeat, peaks, jobs)
    if "scaling" in args.parts:
        scaling(cmd, args.cases, env, args.scaling_timeout, peaks)
    if "memory" in args.parts:
        memory(cmd, corpora, small, env, peaks)
    return 0


if __name__ == "__main__":
    sys.exit(main())
