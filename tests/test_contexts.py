"""Build contexts found in a repository: fixtures/contexts/<case>/ is a repository (a `.git`
folder is made when it is copied) whose case.toml names the Dockerfile to check; expected.txt
is that Dockerfile after `dockerfix` (DFX101 only), contexts.txt what `dockerfix contexts`
prints, and `messages` what the findings must say. DOCKERFIX_UPDATE_FIXTURES=1 rewrites both
expected files."""

from __future__ import annotations

import json
import os
import shutil
import tomllib
from pathlib import Path

import pytest

from dockerfix.cli import main
from dockerfix.render.contexts import contexts_text
from dockerfix.runner import list_contexts, run
from dockerfix.settings import Settings
from helpers import FIXTURES

CASES = sorted(p for p in (FIXTURES / "contexts").iterdir() if p.is_dir())
UPDATE = os.environ.get("DOCKERFIX_UPDATE_FIXTURES") == "1"
EXPECTED = ("expected.txt", "contexts.txt", "case.toml")


def _repository(case: Path, tmp: Path) -> Path:
    repo = tmp / "repo"
    shutil.copytree(case, repo, ignore=lambda folder, names: [n for n in names if n in EXPECTED] if folder == str(case) else [])
    (repo / ".git").mkdir()
    return repo


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_context_fixture(case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    meta = tomllib.loads((case / "case.toml").read_text())
    repo = _repository(case, tmp_path)
    monkeypatch.chdir(repo)
    dockerfile = Path(meta["dockerfile"])
    report = run([str(dockerfile)], Settings(select=("DFX101",)))
    assert not report.errors
    (file,) = report.files
    assert file.output is not None
    listing = contexts_text(list_contexts(["."], Settings()))
    if UPDATE:
        (case / "expected.txt").write_bytes(file.output)
        (case / "contexts.txt").write_text(listing)
    assert file.output.decode() == (case / "expected.txt").read_text()
    assert listing == (case / "contexts.txt").read_text()
    text = "\n".join(f.message for f in file.findings)
    for message in meta["messages"]:
        assert message in text, f"{message!r} not reported; got:\n{text}"
    second = run([str(dockerfile)], Settings(select=("DFX101",)))
    dockerfile.write_bytes(file.output)
    again = run([str(dockerfile)], Settings(select=("DFX101",)))
    assert again.files[0].output == file.output, "a second run changed the file"
    assert second.files[0].output == file.output


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


DOCKERFILE = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"


def test_cli_diff_splits_a_dockerfile_in_a_subfolder_built_from_the_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "docker/Dockerfile": DOCKERFILE, "requirements.txt": "flask\n", "app.py": "print(1)\n",
        "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n",
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["--diff", "--select", "DFX101"])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1
    assert "+COPY requirements.txt ./" in out
    assert "(build context `.` from compose.yaml line 4)" in err
    assert (tmp_path / "docker/Dockerfile").read_text() == DOCKERFILE


def test_cli_context_option_wins_over_the_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "docker/Dockerfile": DOCKERFILE, "requirements.txt": "flask\n",
        "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n",
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["--diff", "--select", "DFX101", "--context", "docker"])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 0
    assert out == ""
    assert "requirements.txt is missing from the build context" in err
    assert "compose.yaml" not in err


def test_cli_contexts_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "docker/Dockerfile": DOCKERFILE, "web/Dockerfile": DOCKERFILE,
        "compose.yaml": "services:\n  app:\n    build:\n      context: .\n      dockerfile: docker/Dockerfile\n",
        "Makefile": "web:\n\tcd web && docker build -t web $(WEB_DIR)\n",
    })  # fmt: skip
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["contexts"])
    out, _ = capsys.readouterr()
    assert exit_info.value.code == 0
    # the Makefile's context is a variable: it may build either Dockerfile (`$(WEB_DIR)` may
    # be `../docker`), so both are unknown, and web/Dockerfile may also be built from its folder
    assert out == (
        "docker/Dockerfile\n"
        "  . (compose.yaml line 4)\n"
        "  unknown (Makefile line 2: the context `$(WEB_DIR)` is not known)\n"
        "web/Dockerfile\n"
        "  web (the Dockerfile's folder)\n"
        "  unknown (Makefile line 2: the context `$(WEB_DIR)` is not known)\n"
    )
    with pytest.raises(SystemExit):
        main(["contexts", "--format", "json", "docker"])
    data = json.loads(capsys.readouterr().out)
    (entry,) = data["dockerfiles"]
    assert entry["path"] == "docker/Dockerfile"
    assert entry["chosen_by"] == "discovered"
    assert entry["contexts"] == [
        {"context": ".", "path": str(tmp_path), "sources": [{"file": "compose.yaml", "line": 4}],
         "dockerfile_folder": False, "unknown": None},
        {"context": None, "path": None, "sources": [{"file": "Makefile", "line": 2}],
         "dockerfile_folder": False, "unknown": "the context `$(WEB_DIR)` is not known"},
    ]  # fmt: skip


def test_cli_contexts_of_a_dockerfile_no_file_names(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, {"Dockerfile": DOCKERFILE})
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as exit_info:
        main(["contexts"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == "Dockerfile\n  . (the Dockerfile's folder: no file names another)\n"
    with pytest.raises(SystemExit) as exit_info:
        main(["contexts", "--format", "yaml"])
    assert exit_info.value.code == 2


def test_a_file_that_may_build_the_dockerfile_keeps_its_folder_as_a_context(tmp_path: Path) -> None:
    """`-f $(DOCKERFILE)`: any Dockerfile may be the one, built from the Makefile's folder;
    its own folder stays a candidate, and the split must hold for both."""
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "Makefile": "image:\n\tdocker build -f $(DOCKERFILE) .\n",
        "svc/Dockerfile": DOCKERFILE, "svc/requirements.txt": "flask\n",
    })  # fmt: skip
    (listing,) = list_contexts([str(tmp_path / "svc")], Settings()).files
    assert [(c.label, c.own_folder, c.sources) for c in listing[1].choices] == [
        ("svc", True, ()), (".", False, (("Makefile", 2),))
    ]  # fmt: skip
    report = run([str(tmp_path / "svc")], Settings(select=("DFX101",)))
    assert report.files[0].output == DOCKERFILE.encode()
    assert "give different results" in report.files[0].findings[0].message


def test_an_unreadable_compose_file_makes_the_context_unknown(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "compose.yaml": "services:\n  app:\n    build: !reset null\n",
        "Dockerfile": DOCKERFILE, "requirements.txt": "flask\n",
    })  # fmt: skip
    report = run([str(tmp_path)], Settings(select=("DFX101",)))
    (file,) = report.files
    assert file.output == DOCKERFILE.encode()
    assert "compose.yaml line 3: the compose file cannot be read (tags are not read)" in file.findings[0].message


def test_skipped_folders_are_not_read(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    _write(tmp_path, {
        "node_modules/pkg/compose.yaml": "services:\n  x:\n    build: ${X}\n",
        "Dockerfile": DOCKERFILE, "requirements.txt": "flask\n",
    })  # fmt: skip
    report = run([str(tmp_path / "Dockerfile")], Settings(select=("DFX101",)))
    assert report.files[0].output != DOCKERFILE.encode()


def test_a_git_repository_is_listed_by_git_and_what_it_ignores_is_not_read(tmp_path: Path) -> None:
    import subprocess

    from dockerfix.context.sources import candidate_files

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / ".gitignore").write_text("build/\n")
    for folder in ("", "svc/", "build/", "node_modules/x/"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
        (tmp_path / folder / "compose.yaml").write_text("services: {}\n")
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "ci.yml").write_text("on: push\n")
    (tmp_path / "svc" / "notes.yml").write_text("a: b\n")
    (tmp_path / "env" / "share").mkdir(parents=True)  # a virtualenv git does not ignore
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    (tmp_path / "env" / "share" / "Makefile").write_text("all:\n\tdocker build .\n")
    found = [(str(p.relative_to(tmp_path)), kind) for p, kind in candidate_files(tmp_path)]
    assert found == [(".github/workflows/ci.yml", "workflow"), ("compose.yaml", "compose"), ("svc/compose.yaml", "compose")]


def test_the_listing_started_early_is_the_one_the_discovery_uses(tmp_path: Path) -> None:
    import subprocess

    from dockerfix.context.repository import Listing, start_listing
    from dockerfix.context.sources import ContextDiscovery

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    (tmp_path / "svc").mkdir()
    (tmp_path / "svc" / "Dockerfile").write_text("FROM alpine:3.20\n")
    (tmp_path / "compose.yaml").write_text("services:\n  api:\n    build:\n      context: svc\n")
    started = start_listing([str(tmp_path / "svc" / "Dockerfile"), str(tmp_path / "svc"), str(tmp_path.parent / "elsewhere" / "Dockerfile")])
    assert list(started) == [tmp_path]  # one listing per repository; none outside a work tree
    discovery = ContextDiscovery(started)
    refs = discovery.index(tmp_path).for_dockerfile(tmp_path / "svc" / "Dockerfile")
    assert [(ref.context, exact) for ref, exact in refs] == [(str(tmp_path / "svc"), True)]
    assert started[tmp_path].files() is None  # its result went to the index: asked again, nothing
    assert Listing(tmp_path / "svc").files() is None  # not the root of a work tree: git is not asked


def test_a_listing_never_asked_for_is_stopped(tmp_path: Path) -> None:
    import subprocess

    from dockerfix.context.repository import Listing
    from dockerfix.context.sources import ContextDiscovery

    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    listing = Listing(tmp_path)
    process = listing._process
    assert process is not None
    ContextDiscovery({tmp_path: listing}).close()
    assert process.returncode is not None and listing.files() is None


def test_each_context_is_planned_on_its_own_files(tmp_path: Path) -> None:
    """Two contexts whose copied folders differ: what the rules learn of one (its listing) must
    not be reused for the other. In b the full copy holds settings.py, so the overlay COPY must
    stay after it; in a it may stay above. The results differ, so nothing is split."""
    from dockerfix.context.choice import ContextChoice, Contexts
    from dockerfix.document.parse import parse_text
    from dockerfix.rules import ALL_RULES
    from dockerfix.runner import fix_in_contexts

    text = "FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY config/prod.py settings.py\nRUN pip install -r requirements.txt\n"
    a, b = tmp_path / "a", tmp_path / "b"
    for folder in (a, b):
        (folder / "config").mkdir(parents=True)
        (folder / "requirements.txt").write_text("flask\n")
        (folder / "config/prod.py").write_text("X = 1\n")
    (b / "settings.py").write_text("X = 0\n")
    rules = [r() for r in ALL_RULES if r.code == "DFX101"]

    def fixed(*folders: Path) -> bytes:
        contexts = Contexts(tuple(ContextChoice(f, label=f.name) for f in folders), kind="given")
        return fix_in_contexts(parse_text(text), rules, Settings(), contexts, None, []).output.to_bytes()

    alone_a, alone_b = fixed(a), fixed(b)
    assert alone_a != alone_b != text.encode()
    assert fixed(a, b) == text.encode()
