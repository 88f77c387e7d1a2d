"""The effects model: what instructions and shell commands read and write, when two commute, and
how a copy is planned below an install."""

from __future__ import annotations

import pytest

from dockerfix.document.effects import Effects, Paths, conflict, instruction_effects, plan_order
from dockerfix.document.parse import parse_text
from dockerfix.ecosystems.command_effects import imported_modules, run_effects


def _effects(text: str) -> list[Effects]:
    doc = parse_text(text)
    return [instruction_effects(doc, inst, run_effects) for inst in doc.stages[0].instructions]


def _run(body: str, before: str = "WORKDIR /app\n") -> Effects:
    return _effects(f"FROM python:3.12\n{before}RUN {body}\n")[-1]


def test_paths_meet_on_the_same_subtree_only() -> None:
    assert Paths.of("/app").meets(Paths.of("/app/x.py")) == "/app/x.py"
    assert Paths.of("/app/a").meets(Paths.of("/app/b")) is None
    assert Paths.of("/app", names=("*.py",)).meets(Paths.of("/app/wheels", names=("*.whl",))) is None
    assert Paths.of("/app", names=("*.py",)).meets(Paths.of("/app/src", names=("*.py",))) == "/app/src"


def test_a_shallow_name_pattern_looks_at_one_folder_only() -> None:
    modules = Paths.of("/app", names=("click.*",), shallow=True)
    assert modules.meets(Paths.of("/app/click.py")) is not None
    assert modules.meets(Paths.of("/app/src/click.py")) is None
    assert modules.meets(Paths.of("/app/main.py")) is None


def test_merged_usr_folders_are_the_same_place() -> None:
    assert Paths.of("/bin/tool").meets(Paths.of("/usr/bin")) is not None


@pytest.mark.parametrize(
    ("body", "reads", "writes"),
    [
        ("test -f requirements.txt", "/app/requirements.txt", None),
        ("grep -q flask requirements.txt", "/app/requirements.txt", None),
        ("chmod +x entrypoint.sh", None, "/app/entrypoint.sh"),
        ("sed -i 's/a/b/' settings.py", "/app/settings.py", "/app/settings.py"),
        ("echo hi > /app/log.txt", "/app/log.txt", "/app/log.txt"),
        ("cd /srv && rm -rf cache", None, "/srv/cache"),
        ("cp config/prod.py settings.py", "/app/config/prod.py", "/app/settings.py"),
        ("ln -s /app/bin/run /usr/local/bin/run", None, "/usr/local/bin/run"),
    ],
)
def test_known_commands_read_and_write_their_operands(body: str, reads: str | None, writes: str | None) -> None:
    effects = _run(body)
    assert effects.unknown is None
    if reads is not None:
        assert effects.reads.meets(Paths.of(reads)) is not None
    if writes is not None:
        assert effects.writes.meets(Paths.of(writes)) is not None
    else:
        assert not effects.writes


@pytest.mark.parametrize(
    "body",
    ["./build.sh", "pytest", "python manage.py collectstatic", "echo $(cat VERSION)", "curl -fsSL x | sh", "ruff check --fix ."],
)
def test_unknown_commands_read_and_write_anything(body: str) -> None:
    effects = _run(body)
    assert effects.unknown is not None
    assert conflict(effects, Effects()) is not None


def test_flake8_reads_python_files_and_plugins_and_writes_nothing() -> None:
    effects = _run("flake8 --ignore=E501 .")
    assert effects.reads.meets(Paths.of("/app/app.py")) is not None
    assert effects.reads.meets(Paths.of("/app/wheels", names=("*.whl",))) is None
    assert effects.reads.meets(Paths.of("/usr/local/lib")) is not None  # plugins
    assert not effects.writes


def test_ruff_and_mypy_write_their_caches_into_the_folder() -> None:
    assert _run("ruff check .").writes.meets(Paths.of("/app/.ruff_cache")) is not None
    assert _run("mypy src").writes.meets(Paths.of("/app/.mypy_cache")) is not None


def test_pip_installs_write_the_environment_and_read_their_files() -> None:
    install = _run("pip install -r requirements.txt")
    assert install.writes.meets(Paths.of("/usr/local/lib/python3.12/site-packages")) is not None
    assert install.writes.meets(Paths.of("/app")) is None
    wheel = _run("pip wheel --wheel-dir /app/wheels -r requirements.txt")
    assert wheel.writes.meets(Paths.of("/app/wheels/flask.whl")) is not None
    assert wheel.writes.meets(Paths.of("/usr/local/lib")) is None
    venv = _run("/home/app/venv/bin/pip install flask")
    assert venv.writes.meets(Paths.of("/home/app/venv/lib")) is not None


def test_an_import_check_reads_the_modules_on_its_path() -> None:
    effects = _run('python -c "import click; from flask import Flask"')
    assert effects.unknown is None
    assert effects.reads.meets(Paths.of("/app/click")) is not None
    assert effects.reads.meets(Paths.of("/app/flask.py")) is not None
    assert effects.reads.meets(Paths.of("/app/main.py")) is None
    assert imported_modules("print(1)") is None


def test_instructions_state() -> None:
    doc_effects = _effects(
        "FROM python:3.12\nENV APP=/srv\nUSER app\nWORKDIR $APP\nCOPY --chown=app . $APP\nLABEL a=b\nRUN true\n"
    )
    env, user, workdir, copy, label, run = doc_effects
    assert "env:APP" in env.sets
    assert user.sets == {"USER"} and not user.writes
    assert workdir.dirs == ("/srv",) and "env:APP" in workdir.uses
    assert "env:APP" in copy.uses and "USER" not in copy.uses
    assert copy.reads.meets(Paths.of("/etc/passwd")) is not None  # --chown by name
    assert conflict(user, copy) is None
    assert conflict(env, copy) is not None
    assert conflict(user, run) is not None  # a RUN runs as USER
    assert conflict(label, copy) is None


def test_a_copy_from_another_stage_writes_its_destination_only() -> None:
    *_, copy, other = _effects("FROM python:3.12\nWORKDIR /app\nCOPY . .\nCOPY --from=tools /uv /uvx /bin/\n")
    assert other.writes.meets(Paths.of("/bin/uv")) is not None
    assert other.writes.meets(Paths.of("/app")) is None
    assert other.context == ()
    assert copy.context == (".",)


def test_plan_order_moves_what_must_follow_the_copy_and_names_a_clash() -> None:
    names = ["the COPY", "the RUN a", "the RUN b", "the install"]
    clashes = {(0, 1): "both write x", (1, 3): "one writes y"}

    def clash(i: int, j: int) -> str | None:
        return clashes.get((min(i, j), max(i, j)))

    order = plan_order(names, clash, {0}, {3})
    assert order.clash == "the RUN a must stay after the COPY (both write x) and before the install (one writes y)"
    clashes.pop((1, 3))
    assert plan_order(names, clash, {0}, {3}).after == [1]
    clashes[(1, 2)] = "both write z"
    assert plan_order(names, clash, {0}, {3}).after == [1, 2]


def test_build_contexts_list_a_folder_and_view_one_folder(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dockerfix.context.build_context import DirectoryContext, FolderContext, MemoryContext
    from dockerfix.context.dockerignore import DockerIgnore

    files = {"services/api/requirements.txt": "flask\n", "services/api/main.py": "", "README.md": ""}
    for rel, text in files.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    for build in (MemoryContext(files, "services/api/*.md\n"), DirectoryContext(tmp_path, DockerIgnore.parse("services/api/*.md\n"))):
        assert build.entries(".") == ["README.md", "services"]
        assert build.entries("services/api") == ["main.py", "requirements.txt"]
        assert build.entries("README.md") is None
        api = FolderContext(build, "services/api")
        assert api.entries(".") == ["main.py", "requirements.txt"]
        assert api.read_text("requirements.txt") == "flask\n"
        assert api.is_file("main.py") and not api.is_file("README.md")
        assert api.is_ignored("notes.md")  # matched against the full path


def test_a_user_s_home_is_found_by_name_or_uid_and_taken_to_be_under_home_otherwise() -> None:
    from dockerfix.ecosystems.command_effects import home_paths, homes

    doc = parse_text("FROM python:3.12\nRUN useradd -m -u 1001 app\nUSER 1001\nRUN a\nUSER nobody\nRUN b\nUSER ghost\nRUN c\n")
    runs = [i for i in doc.instructions if i.kind == "RUN"][1:]
    assert homes(doc.state(runs[0])) == ("/home/app",)
    assert homes(doc.state(runs[1])) == ("/nonexistent", "/")
    assert homes(doc.state(runs[2])) is None
    assert home_paths(doc.state(runs[2]), ".local").meets(Paths.of("/home/ghost/.local")) is not None
    assert home_paths(doc.state(runs[2]), ".local").meets(Paths.of("/app")) is None
