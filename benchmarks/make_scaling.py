#!/usr/bin/env python3
"""Generate the Dockerfiles that show how one file's cost grows with its size.

    python benchmarks/make_scaling.py TARGET

TARGET gets one folder per case, each with a Dockerfile and a requirements.txt:

- ``runs-500``, ``runs-2000``, ``runs-8000``: a whole-context ``COPY . .`` followed by that
  many ``RUN pip install ...`` lines (every one of them an install the rules look at);
- ``lines-80000``: one ``RUN pip install`` continued over 80,000 lines.

The files are the same on every call.
"""

from __future__ import annotations

import argparse
from pathlib import Path

RUN_COUNTS = (500, 2000, 8000)
CONTINUED_LINES = 80_000


def many_runs(count: int) -> str:
    head = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . .", "RUN pip install -r requirements.txt"]
    runs = [f"RUN pip install --no-cache-dir package-{i}==1.0.{i % 7}" for i in range(count)]
    return "\n".join(head + runs + ['CMD ["python", "app.py"]']) + "\n"


def one_long_run(lines: int) -> str:
    head = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . .", "RUN pip install --no-cache-dir \\"]
    body = [f"    package-{i}==1.0.{i % 7} \\" for i in range(lines - 1)]
    return "\n".join(head + body + ["    package-last==1.0.0", 'CMD ["python", "app.py"]']) + "\n"


def cases() -> dict[str, str]:
    found = {f"runs-{n}": many_runs(n) for n in RUN_COUNTS}
    found[f"lines-{CONTINUED_LINES}"] = one_long_run(CONTINUED_LINES)
    return found


def generate(target: Path) -> dict[str, Path]:
    """Write every case under ``target`` (only what differs is rewritten); return their Dockerfiles."""
    written: dict[str, Path] = {}
    for name, text in cases().items():
        folder = target / name
        folder.mkdir(parents=True, exist_ok=True)
        for path, content in ((folder / "Dockerfile", text), (folder / "requirements.txt", "flask==3.0.3\n")):
            if not path.is_file() or path.read_text(encoding="utf-8") != content:
                path.write_text(content, encoding="utf-8")
        written[name] = folder / "Dockerfile"
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", type=Path)
    args = parser.parse_args(argv)
    for name, path in generate(args.target).items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
