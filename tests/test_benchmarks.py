"""The benchmark's generators and measuring helpers (benchmarks/)."""

from __future__ import annotations

import sys
from pathlib import Path

import dockerfile
import pytest

from helpers import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
import make_realistic  # noqa: E402
import run  # noqa: E402


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file() and ".git" not in p.parts}


@pytest.fixture(scope="module")
def realistic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("realistic") / "corpus"
    make_realistic.generate(target, count=80)
    return target


def test_realistic_corpus_is_deterministic_and_has_the_count(realistic: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    manifest = make_realistic.generate(again, count=80)
    assert tree(again) == tree(realistic)
    assert run.count_dockerfiles(realistic) == 80
    assert manifest["count"] == 80 and sum(manifest["ecosystems"].values()) == 80  # type: ignore[union-attr]
    assert make_realistic.read_manifest(realistic) == manifest


def test_realistic_corpus_mixes_ecosystems_and_build_contexts(realistic: Path) -> None:
    manifest = make_realistic.read_manifest(realistic)
    assert manifest is not None
    ecosystems = manifest["ecosystems"]
    assert isinstance(ecosystems, dict) and len(ecosystems) >= 8
    files = tree(realistic)
    assert any(name.endswith("package.json") for name in files) and any(name.endswith("go.mod") for name in files)
    assert any(name.endswith("compose.yaml") for name in files) or any(name.endswith("Makefile") for name in files)


def test_realistic_dockerfiles_parse_as_buildkit_parses_them(realistic: Path) -> None:
    names = [p for p in realistic.rglob("*") if p.is_file() and run.is_dockerfile_name(p.name)]
    assert len(names) == 80
    for path in names:
        text = path.read_bytes().decode("utf-8-sig")
        commands = dockerfile.parse_string(text)
        assert commands[0].cmd in ("FROM", "ARG"), path
        assert all(c.cmd in {"FROM", "ARG", "ENV", "LABEL", "WORKDIR", "COPY", "RUN", "CMD", "ENTRYPOINT",
                             "EXPOSE", "USER", "SHELL"} for c in commands), path  # fmt: skip


def test_import_time_sums_the_top_level_imports() -> None:
    stderr = (
        "import time: self [us] | cumulative | imported package\n"
        "import time:       100 |        100 |   inner\n"
        "import time:       500 |        600 | outer\n"
        "import time:      1400 |       1400 | other\n"
    )
    assert run.import_time_ms(stderr) == 2.0
    assert run.import_time_ms("no imports here") is None


def test_interpreter_reads_the_shebang(tmp_path: Path) -> None:
    script = tmp_path / "tool"
    script.write_text("#!/opt/py/bin/python3.12\nprint()\n")
    assert run.interpreter([str(script)]) == "/opt/py/bin/python3.12"
    assert run.interpreter(["/usr/bin/python3", "-m", "dockerfix"]) == "/usr/bin/python3"
    assert run.interpreter([str(tmp_path / "missing")]) == sys.executable


def test_measure_reports_exit_output_and_the_process_own_memory() -> None:
    small = run.measure([sys.executable, "-c", "import sys; print('out'); sys.exit(3)"])
    assert (small.returncode, small.stdout.strip(), small.timed_out) == (3, "out", False)
    big = run.measure([sys.executable, "-c", "b = bytearray(120 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"])
    assert big.maxrss_kib > 120 * 1024 > small.maxrss_kib


def test_measure_stops_a_process_at_the_timeout() -> None:
    stopped = run.measure([sys.executable, "-c", "import time; time.sleep(30)"], timeout=0.5)
    assert stopped.timed_out and stopped.wall == 0.5
