"""Properties over generated Dockerfiles (tests/strategies.py), checked against BuildKit's parser.

Each generated Dockerfile and build context is run through dockerfix once, and every property
is checked on that run:

- dockerfix never raises: a refusal is a DFX9xx report, exit status 2, the file untouched; a
  file BuildKit's parser accepts is never refused as unparsable (DFX901), and one it rejects
  always is (a generated file is rejected only for a second `syntax` directive);
- every output parses with BuildKit's parser, to the same instructions as the input except where
  an edit was made: an instruction dockerfix does not edit is kept as BuildKit reads it, in the
  same order (an instruction a split moves below an install is kept whole, in its stage; no FROM
  moves); an edited RUN keeps
  its form, its flags and its heredocs and only gains `--mount=type=cache` flags; an added
  instruction is a COPY (or ADD) with no flag the file's own copies do not have, or, with
  `--unsafe-fixes`, a RUN;
- a second run changes nothing; with every rule off the bytes are unchanged; no comment line is
  lost;
- the command line's `--diff`, applied with `patch`, gives what `--write` writes, which is the
  in-process result.

BuildKit's parser is the `dockerfile` package (a test dependency): BuildKit v0.12.5's
frontend/dockerfile/parser built with Go 1.20. It parses heredocs (`RUN <<EOF`, `COPY <<EOF`,
`<<-` and quoted names), the `escape` directive, BOMs, CRLF, comment and empty lines inside
continuations and a file that ends inside one. It does not check instruction names (that is
BuildKit's next step), so the generator writes known instructions only. It predates the `check`
directive (BuildKit 0.14), which it takes for a comment that ends the directives, so the
generator writes `check` after the other directives and, in a file with `check`, no comment that
looks like a directive right below them: there the two BuildKits disagree, and dockerfix follows
the newer one.

Profiles: by default a bounded, derandomised run (CI_EXAMPLES examples drawn by Hypothesis, no
example database; RANDOM_EXAMPLES more from fixed seeds), so the normal suite stays fast and
stable. Two kinds of long run:

    DOCKERFIX_PROPERTY_EXAMPLES=5000 python -m pytest tests/test_properties.py -x \
        -p no:cacheprovider --hypothesis-show-statistics --hypothesis-seed=1

draws examples with Hypothesis (about 4 a second here), which shrinks the first failure it
finds and keeps it in `.hypothesis/` (git-ignored) to try first next time; and

    DOCKERFIX_RANDOM_EXAMPLES=50000 DOCKERFIX_RANDOM_SEED=0 python -m pytest \
        tests/test_properties.py -k random -p no:cacheprovider -s

draws them from seeded `random.Random`s (about 10 a second here, the command line checked on one
in COMMAND_LINE_EVERY), runs them all, and reports each kind of failure with its seeds and the
example cut down line by line to what still fails the same way (`strategies.random_examples`
gives an example back from its seed). Each failure found is fixed and kept as a regular fixture
(fixtures/<CODE>/<case>/, or a parse case in tests/test_document.py), so the normal suite checks
it from then on.
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import dockerfile
import pytest
from hypothesis import HealthCheck, given, settings

from strategies import Generated, generated, random_examples

from dockerfix.cli import main
from dockerfix.runner import FileReport, process_bytes, selected_rules
from dockerfix.settings import Settings

CI_EXAMPLES = 50
LONG_EXAMPLES = int(os.environ.get("DOCKERFIX_PROPERTY_EXAMPLES", "0"))
RANDOM_EXAMPLES = int(os.environ.get("DOCKERFIX_RANDOM_EXAMPLES", "30"))
RANDOM_SEED = int(os.environ.get("DOCKERFIX_RANDOM_SEED", "0"))
COMMAND_LINE_EVERY = 8
PROFILE = (
    settings(max_examples=LONG_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    if LONG_EXAMPLES
    else settings(
        max_examples=CI_EXAMPLES, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck), print_blob=True,
    )
)  # fmt: skip
# the diagnostics that mean a bug, whatever the input (DFX901 is checked against BuildKit)
NEVER = ("DFX902", "DFX903", "DFX904", "DFX906", "DFX999")
PATCH = shutil.which("patch")
# the build contexts are written to memory where the system has it (much faster than a disk here)
SCRATCH = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None

Command = Any  # dockerfile.Command


def _buildkit(data: bytes) -> list[Command] | None:
    """BuildKit's instructions, or None when its parser rejects the file."""
    try:
        return list(dockerfile.parse_string(data.decode("utf-8")))
    except dockerfile.GoParseError:
        return None


def _key(c: Command) -> tuple[object, ...]:
    heredocs = tuple((h.name, h.content) for h in c.heredocs)
    return (c.cmd.upper(), (c.sub_cmd or "").upper(), c.json, c.flags, c.value, heredocs)


def _cache_mount(flag: str) -> bool:
    return flag.startswith("--mount=type=cache,")


def _describe(c: Command) -> str:
    return f"line {c.start_line}: {c.original!r}"


def check_instructions(before: list[Command], after: list[Command], unsafe: bool) -> None:
    """The output's instructions are the input's, as BuildKit reads them, except where edited."""
    old = [_key(c) for c in before]
    new = [_key(c) for c in after]
    removed: list[Command] = []
    added: list[Command] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "equal":
            removed += before[i1:i2]
            added += after[j1:j2]
    stage = {id(c): n for commands in (before, after) for n, c in _staged(commands)}
    # moved: taken out whole in one place and put back whole in another of the same stage
    for c in list(removed):
        same = next((a for a in added if _key(a) == _key(c) and stage[id(a)] == stage[id(c)]), None)
        if same is not None:
            assert c.cmd.upper() != "FROM", f"{_describe(c)} moved: instructions changed stages"
            removed.remove(c)
            added.remove(same)
    for c in removed:
        assert c.cmd.upper() == "RUN", f"{_describe(c)} was changed or lost"
    # each edited RUN paired with the added one most like it, the likest pairs first (one at a
    # time, a RUN whose command gained a variable could take a shorter one's place)
    pairs = sorted(
        (
            (-difflib.SequenceMatcher(None, " ".join(c.value), " ".join(a.value)).ratio(), i, j)
            for i, c in enumerate(removed)
            for j, a in enumerate(added)
            if a.cmd.upper() == "RUN" and stage[id(a)] == stage[id(c)] and _edited_run(c, a)
        ),
        key=lambda pair: pair[0],
    )
    paired: dict[int, int] = {}
    for _, i, j in pairs:
        if i not in paired and j not in paired.values():
            paired[i] = j
    for i, c in enumerate(removed):
        assert i in paired, f"{_describe(c)} was changed beyond its cache mounts and commands"
    added = [a for j, a in enumerate(added) if j not in paired.values()]
    copy_flags = {f for c in before if c.cmd.upper() in ("COPY", "ADD") for f in c.flags}
    for a in added:
        kind = a.cmd.upper()
        if kind == "RUN":
            assert unsafe, f"{_describe(a)} was added without --unsafe-fixes"
            continue
        assert kind in ("COPY", "ADD"), f"{_describe(a)} was added"
        assert set(a.flags) <= copy_flags, f"{_describe(a)} has flags no copy of the input has"


def _staged(commands: list[Command]) -> list[tuple[int, Command]]:
    """Each instruction with the number of its stage (-1 before the first FROM)."""
    out: list[tuple[int, Command]] = []
    n = -1
    for c in commands:
        n += c.cmd.upper() == "FROM"
        out.append((n, c))
    return out


def _edited_run(old: Command, new: Command) -> bool:
    """``new`` is ``old`` with cache mounts added and its commands edited."""
    shape = (old.sub_cmd, old.json, [h.name for h in old.heredocs])
    if shape != (new.sub_cmd, new.json, [h.name for h in new.heredocs]):
        return False
    extra = Counter(new.flags) - Counter(old.flags)
    return not (Counter(old.flags) - Counter(new.flags)) and all(_cache_mount(f) for f in extra)


def comment_lines(data: bytes, commands: Sequence[Command]) -> Counter[str]:
    """The Dockerfile comment lines (not lines of a heredoc's body), as written."""
    lines = data.decode("utf-8").removeprefix("\ufeff").split("\n")
    bodies = {n for c in commands if c.heredocs for n in range(c.start_line, c.end_line)}  # 0-based: after the first
    return Counter(
        line.rstrip("\r") for n, line in enumerate(lines) if n not in bodies and line.lstrip(" \t").startswith("#")
    )


def _settings(root: Path, unsafe: bool, **overrides: Any) -> Settings:
    return Settings(context=root, unsafe_fixes=unsafe, isolated=True, **overrides)


def _process(data: bytes, root: Path, unsafe: bool, **overrides: Any) -> FileReport:
    run_settings = _settings(root, unsafe, **overrides)
    return process_bytes(data, "Dockerfile", root / "Dockerfile", run_settings, selected_rules(run_settings))


def _cli(*args: str) -> tuple[int, bytes]:
    """Run the command line in this process; its exit status and what it printed."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="surrogateescape", newline="")
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        try:
            main(list(args))
            code: object = 0
        except SystemExit as exc:
            code = exc.code or 0
    out.flush()
    assert isinstance(code, int)
    return code, out.buffer.getvalue()  # type: ignore[attr-defined]


def _write_context(root: Path, example: Generated) -> Path:
    for name, content in example.files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    dockerfile_path = root / "Dockerfile"
    dockerfile_path.write_bytes(example.dockerfile)
    return dockerfile_path


def check_example(example: Generated, root: Path, command_line: bool = True) -> None:
    data = example.dockerfile
    path = _write_context(root, example)
    before = _buildkit(data)
    report = _process(data, root, example.unsafe_fixes)
    codes = [d.code for d in report.diagnostics]
    assert not set(codes) & set(NEVER), report.diagnostics
    if before is None:
        assert "DFX901" in codes, "BuildKit's parser rejects the file, dockerfix does not"
    else:
        assert "DFX901" not in codes, f"BuildKit parses the file, dockerfix does not: {report.diagnostics}"
    assert _process(data, root, example.unsafe_fixes, ignore=("DFX",)).output in (data, None), "with every rule off"
    if command_line:
        check_command_line(path, data, report, example.unsafe_fixes)
    if report.output is None:
        assert report.error
        return
    output = report.output
    after = _buildkit(output)
    assert after is not None, "BuildKit's parser rejects the output"
    assert before is not None
    check_instructions(before, after, example.unsafe_fixes)
    lost = comment_lines(data, before) - comment_lines(output, after)
    assert not lost, f"comment lines lost: {sorted(lost)}"
    if output != data:  # the same bytes give the same output
        again = _process(output, root, example.unsafe_fixes)
        assert again.output == output, "a second run changed the file"


def check_command_line(path: Path, data: bytes, report: FileReport, unsafe: bool) -> None:
    """`--diff` applied with `patch` gives what `--write` writes; a refusal exits 2 and writes nothing."""
    options = ["--isolated", "--context", str(path.parent)] + (["--unsafe-fixes"] if unsafe else [])
    code, diff = _cli("--diff", *options, str(path))
    if report.output is None:
        assert code == 2 and path.read_bytes() == data
        return
    assert code == (1 if report.output != data else 0), code
    patched = path.with_name("patched")
    if diff:
        assert PATCH is not None
        patch = subprocess.run(
            [PATCH, "--quiet", "--force", "-o", str(patched), str(path)], input=diff, capture_output=True, check=False
        )
        assert patch.returncode == 0, patch.stdout + patch.stderr
    else:
        patched.write_bytes(data)
    code, _ = _cli("--write", *options, str(path))
    assert code == 0, code
    written = path.read_bytes()
    assert written == report.output, "--write wrote something else than the run in process"
    assert patched.read_bytes() == written, "--diff applied with patch differs from --write"


@pytest.mark.usefixtures("gnu_patch")
@settings(PROFILE)
@given(generated())
def test_generated_dockerfiles(example: Generated) -> None:
    with tempfile.TemporaryDirectory(prefix="dockerfix-props-", dir=SCRATCH) as tmp:
        check_example(example, Path(tmp))


@pytest.fixture
def gnu_patch() -> None:
    """GNU patch applies the diffs; CI (CI=true) must have it, elsewhere the tests are skipped."""
    if PATCH is None:
        if os.environ.get("CI") == "true":
            pytest.fail("GNU patch is not installed (apt-get install patch)")
        pytest.skip("GNU patch is not installed")


def _failure(example: Generated, command_line: bool = True) -> str | None:
    """What fails on ``example`` (its kind: the first line of the message, numbers left out)."""
    with tempfile.TemporaryDirectory(prefix="dockerfix-props-", dir=SCRATCH) as tmp:
        try:
            check_example(example, Path(tmp), command_line)
        except AssertionError as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return re.sub(r"\d+", "N", re.sub(r"'[^']*'", "'...'", first))[:200]
        except Exception as exc:  # noqa: BLE001 - dockerfix raised: a failure like the others
            return f"raised {type(exc).__name__}: {re.sub(r'[0-9]+', 'N', str(exc))[:150]}"
    return None


def shrink(example: Generated, kind: str) -> Generated:
    """``example`` with every line of the Dockerfile and every file of the context taken out
    that it still fails without, in the same way."""
    lines = example.dockerfile.splitlines(keepends=True)
    files = dict(example.files)
    progress = True
    while progress:
        progress = False
        for i in reversed(range(len(lines))):
            trial = replace(example, dockerfile=b"".join(lines[:i] + lines[i + 1 :]), files=files)
            if _failure(trial) == kind:
                del lines[i]
                progress = True
        for name in sorted(files):
            trial = replace(example, dockerfile=b"".join(lines), files={k: v for k, v in files.items() if k != name})
            if _failure(trial) == kind:
                del files[name]
                progress = True
    return replace(example, dockerfile=b"".join(lines), files=files)


@pytest.mark.usefixtures("gnu_patch")
def test_random_examples() -> None:
    """The same properties over examples from seeded random generators (DOCKERFIX_RANDOM_EXAMPLES
    of them from DOCKERFIX_RANDOM_SEED on); every failure is reported, by kind, cut down."""
    found: dict[str, list[int]] = {}
    for n, example in random_examples(RANDOM_SEED, RANDOM_EXAMPLES):
        kind = _failure(example, command_line=n % COMMAND_LINE_EVERY == 0)
        if kind is not None:
            found.setdefault(kind, []).append(n)
            if len(found[kind]) == 1:
                print(f"\nseed {n}: {kind}\n{shrink(example, kind)!r}", flush=True)
        if (n - RANDOM_SEED + 1) % 1000 == 0:
            print(f"{n - RANDOM_SEED + 1} examples, {sum(map(len, found.values()))} failing", flush=True)
    assert not found, "\n".join(f"{kind}: seeds {seeds[:5]} ({len(seeds)})" for kind, seeds in found.items())


def test_instruction_check_rejects_a_changed_instruction() -> None:
    """The instruction check itself fails when an instruction outside the edits changes."""
    before = _buildkit(b"FROM a\nRUN pip install x\nUSER app\n")
    after = _buildkit(b"FROM a\nRUN pip install x\nUSER root\n")
    assert before is not None and after is not None
    with pytest.raises(AssertionError, match="USER"):
        check_instructions(before, after, unsafe=False)


def test_instruction_check_accepts_a_split_and_a_mount() -> None:
    before = _buildkit(b"FROM a\nCOPY --chown=1 . .\nRUN pip install -r r.txt\n")
    after = _buildkit(b"FROM a\nCOPY --chown=1 r.txt ./\nRUN --mount=type=cache,target=/c pip install -r r.txt\nCOPY --chown=1 . .\n")
    assert before is not None and after is not None
    check_instructions(before, after, unsafe=False)
    changed = _buildkit(b"FROM a\nCOPY --chown=1 r.txt ./\nRUN --mount=type=bind,target=/c pip install -r r.txt\nCOPY --chown=1 . .\n")
    assert changed is not None
    with pytest.raises(AssertionError, match="RUN"):
        check_instructions(before, changed, unsafe=False)


def test_instruction_check_pairs_each_edited_run_with_the_likest() -> None:
    # the first RUN's command gains a variable, which makes it less like itself than like the
    # second RUN; each is still paired with its own edit (seed 2102199 of a long run)
    before = _buildkit(b"FROM a\nRUN composer install --no-dev\nRUN pdm install --prod\n")
    after = _buildkit(
        b"FROM a\nRUN --mount=type=cache,target=/c COMPOSER_CACHE_DIR=/root/.cache/composer composer install --no-dev\n"
        b"RUN --mount=type=cache,target=/d pdm install --prod\n"
    )
    assert before is not None and after is not None
    check_instructions(before, after, unsafe=False)


def test_instruction_check_rejects_a_move_to_another_stage() -> None:
    before = _buildkit(b"FROM a\nCOPY . .\nFROM b\nRUN make\n")
    after = _buildkit(b"FROM a\nFROM b\nCOPY . .\nRUN make\n")
    assert before is not None and after is not None
    with pytest.raises(AssertionError, match="stages"):
        check_instructions(before, after, unsafe=False)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, *sys.argv[1:]]))
