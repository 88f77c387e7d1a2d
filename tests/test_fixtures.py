"""Golden fixtures: fixtures/<CODE>/<case>/ (fixtures/e2e/ holds the end-to-end scenarios instead) holds input.txt, the build-context files,
expected.txt (the expected output; equal to input.txt where the file is left alone) and case.toml
(options: select, unsafe-fixes, dockerfile, context; message/messages that must be reported;
valid = true when nothing may be reported). With `workflow = ".github/workflows/ci.yml"`, the
input is that workflow file and the case folder is the repository (its Dockerfiles beside it).

Over every fixture: the expected output, idempotence, a round trip with every rule off, the
CRLF / BOM / no-final-newline variants, and BuildKit's own parser accepting the output.
Set DOCKERFIX_UPDATE_FIXTURES=1 to rewrite expected.txt from the current output.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import dockerfile
import pytest

from helpers import Case, load_cases, run_case

CASES = load_cases()
# BuildKit's parser and the cache-mount checks read Dockerfiles, not workflow files
DOCKERFILE_CASES = [c for c in CASES if not c.workflow]
UPDATE = os.environ.get("DOCKERFIX_UPDATE_FIXTURES") == "1"


def _ids(cases: list[Case]) -> list[str]:
    return [c.id for c in cases]


def _messages(report) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(
        [f"{f.code} {f.message}" for f in report.findings] + [f"{d.code} {d.message}" for d in report.diagnostics]
    )


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixture_output(case: Case, tmp_path: Path) -> None:
    report = run_case(case, tmp_path)
    assert report.output is not None, _messages(report)
    if UPDATE:
        (case.path / "expected.txt").write_bytes(report.output)
    assert report.output.decode() == case.expected.decode()
    text = _messages(report)
    for message in case.messages:
        assert message in text, f"{message!r} not reported; got:\n{text}"
    if case.valid:
        assert not report.findings and not report.diagnostics, text
    elif case.expected == case.input:
        assert case.messages, "a leave-alone fixture must say which reason it expects (case.toml message)"
    for finding in report.findings:
        assert finding.code.startswith("DFX")


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixture_is_complete(case: Case) -> None:
    for name in ("input.txt", "expected.txt", "case.toml"):
        assert (case.path / name).is_file(), f"{case.id} has no {name}"


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixture_idempotent(case: Case, tmp_path: Path) -> None:
    report = run_case(case, tmp_path, case.expected)
    assert report.output == case.expected, "a second run changed the file"


@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixture_round_trip_with_every_rule_off(case: Case, tmp_path: Path) -> None:
    report = run_case(case, tmp_path, select=("DFX000",))
    assert report.output == case.input


def _crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _bom(data: bytes) -> bytes:
    return b"\xef\xbb\xbf" + data


def _no_final_newline(data: bytes) -> bytes:
    return data.rstrip(b"\n")


@pytest.mark.parametrize("variant", [_crlf, _bom, _no_final_newline], ids=["crlf", "bom", "no-final-newline"])
@pytest.mark.parametrize("case", CASES, ids=_ids(CASES))
def test_fixture_variants(case: Case, variant, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    report = run_case(case, tmp_path, variant(case.input))
    assert report.output == variant(case.expected)


@pytest.mark.parametrize("case", DOCKERFILE_CASES, ids=_ids(DOCKERFILE_CASES))
def test_fixture_output_parses_with_buildkit(case: Case) -> None:
    before = dockerfile.parse_string(case.input.decode("utf-8-sig"))
    after = dockerfile.parse_string(case.expected.decode("utf-8-sig"))
    untouched = ("COPY", "ADD", "RUN")
    keep = [(c.cmd.upper(), c.value) for c in before if c.cmd.upper() not in untouched]
    assert [(c.cmd.upper(), c.value) for c in after if c.cmd.upper() not in untouched] == keep
    runs_after = sum(c.cmd.upper() == "RUN" for c in after)
    runs_before = sum(c.cmd.upper() == "RUN" for c in before)
    # safe fixes never add a step; the unsafe dependencies-first fix adds one install
    assert runs_after == runs_before or (case.unsafe_fixes and runs_after > runs_before)
    assert sum(c.cmd.upper() in ("COPY", "ADD") for c in after) >= sum(c.cmd.upper() in ("COPY", "ADD") for c in before)
    existing = {flag for c in before for flag in c.flags}
    for c in after:
        for flag in c.flags:
            if flag.startswith("--mount=") and "type=cache" in flag and flag not in existing:
                assert flag.startswith("--mount=type=cache,"), flag
                assert "sharing=private" not in flag


MOUNT_FLAG = re.compile(r"--mount=(\S+)")


@pytest.mark.parametrize("case", DOCKERFILE_CASES, ids=_ids(DOCKERFILE_CASES))
def test_added_cache_mounts_follow_the_shared_rules(case: Case) -> None:
    """Every cache mount dockerfix writes starts with type=cache, names an id, never asks for
    sharing=private (Podman rejects it), and locks the caches of tools that need it (the OS
    package managers, Poetry, Maven, Gradle); pip, uv, pipenv and PDM cope with a shared cache."""
    before = set(MOUNT_FLAG.findall(case.input.decode("utf-8-sig")))
    for value in MOUNT_FLAG.findall(case.expected.decode("utf-8-sig")):
        if value in before:
            continue
        options = dict(part.partition("=")[::2] for part in value.split(","))
        assert value.startswith("type=cache,target="), value
        assert options.get("sharing") != "private", value
        assert options.get("id"), value
        if options["id"].split("-")[0] in ("apt", "apk", "dnf", "zypper", "poetry", "maven", "gradle"):
            assert options.get("sharing") == "locked", value
