#!/usr/bin/env python3
"""Benchmark dockerfix: throughput over a generated corpus, and the start-up time of one process.

    python benchmarks/run.py [--count N] [--corpus DIR] [--repeat R] [--dockerfix PATH]

The corpus is generated (by make_corpus.py, deterministically) when it is missing or was made
with a different --count. The budgets are informational: the script exits 0 whatever the
numbers are, and non-zero only when dockerfix cannot be run at all.
"""

from __future__ import annotations

import argparse
import fnmatch
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus  # noqa: E402

COLD_BUDGET_MS = 150.0
THROUGHPUT_BUDGET = 500.0  # files per second
COLD_RUNS = 21
COLD_WARMUP = 2
MAX_PROBLEM_LINES = 25

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


@dataclass
class Census:
    """What one untimed, non-quiet run says about the corpus."""

    changed: int
    unchanged: int
    failed: int

    @property
    def seen(self) -> int:
        return self.changed + self.unchanged + self.failed


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


def timed(cmd: Sequence[str], env: dict[str, str] | None = None) -> tuple[float, subprocess.CompletedProcess[str]]:
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - start, proc


def ensure_corpus(corpus: Path, count: int) -> tuple[dict[str, object], bool]:
    manifest = make_corpus.read_manifest(corpus)
    fresh = (
        manifest is not None
        and manifest.get("count") == count
        and manifest.get("version") == make_corpus.CORPUS_VERSION
        and manifest.get("seed") == make_corpus.DEFAULT_SEED
    )
    if fresh:
        assert manifest is not None
        return manifest, False
    return make_corpus.generate(corpus, count), True


def census(cmd: list[str], corpus: Path, env: dict[str, str] | None) -> Census:
    _, proc = timed(cmd + ["--check", str(corpus)], env)
    for line in reversed(proc.stderr.splitlines()):
        m = _SUMMARY.match(line.strip())
        if m:
            return Census(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0))
    return Census(0, 0, 0)  # dockerfix prints no summary when it found no file


def run_environment() -> dict[str, str]:
    """The environment for the timed runs: like an installed package, Python may cache bytecode.

    (With PYTHONDONTWRITEBYTECODE set, every run of an editable install compiles the sources
    again, which measures the compiler, not dockerfix.)"""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def problems(stderr: str) -> tuple[list[str], int]:
    """The stderr lines that mention DFX9xx, and how many files failed (warnings excluded)."""
    lines = [line for line in stderr.splitlines() if "DFX9" in line]
    failed = set()
    for line in lines:
        m = _DFX9.match(line)
        if m and m.group("code") not in _WARNING_CODES:
            failed.add(m.group("path"))
    return lines, len(failed)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmark dockerfix (throughput and cold start).")
    parser.add_argument("--count", type=int, default=make_corpus.DEFAULT_COUNT, help="Dockerfiles in the corpus (default: %(default)s)")
    parser.add_argument("--corpus", type=Path, default=make_corpus.DEFAULT_TARGET, help="corpus folder (default: benchmarks/corpus)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs; the best is reported (default: %(default)s)")
    parser.add_argument("--dockerfix", metavar="PATH", help="the dockerfix executable (default: from PATH, else python -m dockerfix)")
    args = parser.parse_args(argv)
    if args.count < 1 or args.repeat < 1:
        parser.error("--count and --repeat must be at least 1")

    cmd = find_dockerfix(args.dockerfix)
    try:
        probe = subprocess.run(cmd + ["--version"], capture_output=True, text=True, check=False)
    except OSError as exc:
        print(f"error: cannot run {' '.join(cmd)}: {exc}", file=sys.stderr)
        return 2
    if probe.returncode != 0:
        print(f"error: {' '.join(cmd)} --version exited {probe.returncode}:\n{probe.stderr.strip()}", file=sys.stderr)
        return 2
    version = probe.stdout.strip() or "?"

    corpus: Path = args.corpus
    manifest, generated = ensure_corpus(corpus, args.count)
    files = count_dockerfiles(corpus)
    small = corpus / str(manifest["small"])
    lines = manifest.get("lines")
    total_lines = lines.get("total") if isinstance(lines, dict) else None

    notes: list[str] = []
    if generated:
        notes.append(f"generated the corpus (seed {manifest['seed']})")

    # An untimed run first: it warms the caches and says how many files dockerfix really sees.
    env = run_environment()
    seen = census(cmd, corpus, env)
    if seen.seen < files:
        notes.append(f"WARNING: dockerfix processed {seen.seen} of the {files} Dockerfiles")

    # Throughput: one process over the whole corpus, best of --repeat.
    best: float | None = None
    last: subprocess.CompletedProcess[str] | None = None
    codes: list[int] = []
    for _ in range(args.repeat):
        wall, proc = timed(cmd + ["--check", "-q", str(corpus)], env)
        codes.append(proc.returncode)
        if best is None or wall < best:
            best = wall
        last = proc
    assert best is not None and last is not None
    rate = files / best if best > 0 else float("inf")
    dfx9_lines, failed = problems(last.stderr)

    # Cold start: a fresh process on one small file, median of COLD_RUNS after COLD_WARMUP.
    cold_cmd = cmd + ["--diff", str(small)]
    cold_codes: set[int] = set()
    samples: list[float] = []
    for i in range(COLD_WARMUP + COLD_RUNS):
        wall, proc = timed(cold_cmd, env)
        cold_codes.add(proc.returncode)
        if i >= COLD_WARMUP:
            samples.append(wall * 1000)
    cold = statistics.median(samples)

    exit_codes = ", ".join(str(c) for c in sorted(set(codes)))
    print("dockerfix benchmark")
    print(f"  dockerfix    {version}  ({' '.join(cmd)})")
    print(f"  host         Python {platform.python_version()} on {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs")
    corpus_text = f"{display(corpus)}: {files} Dockerfiles" + (f", {total_lines} lines" if total_lines else "")
    print(f"  corpus       {corpus_text}")
    print(f"               {seen.changed} would change, {seen.unchanged} unchanged, {seen.failed} failed")
    throughput = f"{rate:,.0f} files/s  ({files} files in {best:.3f} s, best of {args.repeat}; exit {exit_codes})"
    startup = f"{cold:.1f} ms median  (min {min(samples):.1f}, max {max(samples):.1f}; {COLD_RUNS} runs)"
    width = max(len(throughput), len(startup)) + 3
    print(f"  throughput   {throughput:<{width}}budget >= {THROUGHPUT_BUDGET:.0f} files/s  {verdict(rate >= THROUGHPUT_BUDGET)}")
    print(f"  cold start   {startup:<{width}}budget <= {COLD_BUDGET_MS:.0f} ms        {verdict(cold <= COLD_BUDGET_MS)}")
    if 2 in codes or dfx9_lines:
        print(f"  problems     exit 2 from the corpus run; {failed} file(s) failed:" if 2 in codes else "  problems     DFX9xx warnings:")
        for line in dfx9_lines[:MAX_PROBLEM_LINES]:
            print(f"    {line}")
        if len(dfx9_lines) > MAX_PROBLEM_LINES:
            print(f"    ... and {len(dfx9_lines) - MAX_PROBLEM_LINES} more")
        other = [line for line in last.stderr.splitlines() if line.startswith("error:")]
        for line in other[:MAX_PROBLEM_LINES]:
            print(f"    {line}")
    if not cold_codes <= {0, 1}:
        notes.append(f"the cold-start run exited {sorted(cold_codes)} on {display(small)}")
    for note in notes:
        print(f"  note         {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
