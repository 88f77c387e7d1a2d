"""Large files: every fix that applies is made in one pass, so that a file with hundreds of
installs, or one RUN over thousands of lines, is fixed (not left unchanged with DFX903), and the
cross-check with dockerfile-parse sees the same instructions when it is given fewer lines."""

from __future__ import annotations

import gc
import io
import weakref

import pytest
from dockerfile_parse import DockerfileParser

from dockerfix.context.build_context import MemoryContext
from dockerfix.document.parse import _given_lines, parse_text
from dockerfix.document.words import CACHED_TEXT
from dockerfix.ecosystems.pip import pip_call
from dockerfix.engine import FixResult, fix_document
from dockerfix.rules.base import RuleContext
from dockerfix.runner import selected_rules
from dockerfix.settings import Settings

MOUNT = "--mount=type=cache,target=/root/.cache/pip,id=pip-python-3.12-slim"
FILES = {"requirements.txt": "flask==3.0.3\n", "app.py": "print('hi')\n"}


def fix(text: str, max_iterations: int) -> FixResult:
    """The fixed file, with passes enough for one round of fixes and the round that finds
    nothing left (``max_iterations=2``), or for a second fix of the same file (3 and more)."""
    settings = Settings(max_iterations=max_iterations)
    return fix_document(parse_text(text), selected_rules(settings), RuleContext(MemoryContext(FILES), settings))


def test_a_copy_before_many_installs_is_split_and_every_install_mounted_in_one_pass() -> None:
    count = 300
    head = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . .", "RUN pip install -r requirements.txt"]
    runs = [f"RUN pip install --no-cache-dir package-{i}==1.0.{i % 7}" for i in range(count)]
    text = "\n".join(head + runs + ['CMD ["python", "app.py"]']) + "\n"
    result = fix(text, max_iterations=2)
    assert result.converged
    expected = (
        ["FROM python:3.12-slim", "WORKDIR /app", "COPY requirements.txt ./", f"RUN {MOUNT} pip install -r requirements.txt"]
        + [f"RUN {MOUNT} pip install package-{i}==1.0.{i % 7}" for i in range(count)]
        + ["COPY . .", 'CMD ["python", "app.py"]']
    )
    assert result.output.text() == "\n".join(expected) + "\n"
    assert [f.code for f in result.findings].count("DFX201") == count + 1
    again = fix(result.output.text(), max_iterations=2)
    assert again.converged and again.output.text() == result.output.text() and not again.findings


def test_the_copy_stops_above_the_first_install_it_cannot_go_below() -> None:
    # `import app` reads the copy (it moves down with it) and must run before the last install
    # (which writes where it reads): the copy goes below the first two installs only
    text = (
        "FROM python:3.12-slim\nWORKDIR /app\nCOPY . .\nRUN pip install -r requirements.txt\n"
        'RUN pip install gunicorn\nRUN python -c "import app"\nRUN pip install uvicorn\n'
    )
    result = fix(text, max_iterations=2)
    assert result.converged
    assert result.output.text() == (
        f"FROM python:3.12-slim\nWORKDIR /app\nCOPY requirements.txt ./\nRUN {MOUNT} pip install -r requirements.txt\n"
        f'RUN {MOUNT} pip install gunicorn\nCOPY . .\nRUN python -c "import app"\nRUN {MOUNT} pip install uvicorn\n'
    )
    assert "installs at lines 4-5" in next(f.message for f in result.findings if f.code == "DFX101")


def test_one_run_over_thousands_of_lines_is_fixed_in_one_pass() -> None:
    lines = 3000
    body = [f"    package-{i}==1.0.{i % 7} \\" for i in range(lines - 1)]
    head = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . .", "RUN pip install --no-cache-dir \\"]
    text = "\n".join(head + body + ["    package-last==1.0.0", 'CMD ["python", "app.py"]']) + "\n"
    result = fix(text, max_iterations=2)
    assert result.converged
    expected = ["FROM python:3.12-slim", "WORKDIR /app", f"RUN {MOUNT} pip install \\"]
    expected += body + ["    package-last==1.0.0", "COPY . .", 'CMD ["python", "app.py"]']
    assert result.output.text() == "\n".join(expected) + "\n"


def test_what_was_read_of_a_long_run_is_let_go_once_its_document_is_fixed() -> None:
    """The commands of a RUN over CACHED_TEXT characters, and pip's reading of them, are let go
    when the engine goes on with the fixed file, though the caller still holds the document:
    two versions of such a RUN read at once would double the memory a run takes."""
    body = [f"    package-{i}==1.0.{i % 7} \\" for i in range(CACHED_TEXT // 20)]
    head = ["FROM python:3.12-slim", "WORKDIR /app", "COPY . .", "RUN pip install --no-cache-dir \\"]
    doc = parse_text("\n".join(head + body + ["    package-last==1.0.0", 'CMD ["python", "app.py"]']) + "\n")
    run = doc.instructions[3]
    assert run.size > CACHED_TEXT
    command = run.script.commands[0]
    call = pip_call(command)
    assert call is not None and pip_call(command) is call  # remembered while the document is read
    words = [(w.raw, w.start, w.end) for w in command.argv]
    read = weakref.ref(command)
    del command, call
    settings = Settings(max_iterations=2)
    result = fix_document(doc, selected_rules(settings), RuleContext(MemoryContext(FILES), settings))
    assert result.converged and result.output.lines[2].startswith(f"RUN {MOUNT} pip install")
    gc.collect()
    assert read() is None
    assert [(w.raw, w.start, w.end) for w in run.script.commands[0].argv] == words  # read again alike


def _structure(lines: list[str], given: list[int], escape: str) -> list[tuple[int, int, str]]:
    """What dockerfile-parse reads of the ``given`` lines, in the lines' own numbers."""
    head = [f"# escape={escape}"] if escape != "\\" else []
    chosen = list(range(len(head))) + [len(head) + ln for ln in given]
    data = ("\n".join(head + lines) + "\n").split("\n")
    text = "\n".join(data[ln] for ln in chosen) + "\n"
    parser = DockerfileParser(fileobj=io.BytesIO(text.encode()), env_replace=False)  # type: ignore[arg-type]
    return [(chosen[s["startline"]], chosen[s["endline"]], s["instruction"]) for s in parser.structure]


@pytest.mark.parametrize(
    ("text", "escape"),
    [
        ("FROM a\nRUN x \\\n" + "".join(f"  p{i} \\\n" for i in range(40)) + "  last\nCMD y", "\\"),
        # comments, one-word lines (no blank after the word) and trailing blanks inside the run
        ("FROM a\nRUN x \\\n  p1 \\\n  p2 \\  \n# note\n  p3 \\\n  p4\\\n  p5 \\\n  p6 \\\n  p7\nUSER b \\\n  c \\\n  d", "\\"),
        # runs that end one instruction and start the next
        ("FROM a\nRUN x \\\n  p1 \\\n  p2\nRUN y \\\n  q1 \\\n  q2 \\\n  q3 \\\n  q4\n  ENV z \\\n  v=1 \\\n  w=2", "\\"),
        ("FROM a\nRUN x `\n  p1 `\n  p2 \\\n  p3 `\n  p4 `\n  p5 `\n  p6\nCMD y", "`"),
    ],
)
def test_dockerfile_parse_reads_the_given_lines_as_it_reads_the_whole_file(text: str, escape: str) -> None:
    lines = text.split("\n")
    given = _given_lines(lines, escape)
    assert len(given) < len(lines)
    assert _structure(lines, given, escape) == _structure(lines, list(range(len(lines))), escape)


def test_a_long_run_is_not_kept_in_the_parse_caches() -> None:
    """The shell and word caches keep short texts only: a RUN of thousands of lines is let go
    with its document, so that a large file's versions are not all held in memory."""
    from dockerfix.document import shell, words

    long_text = " ".join(f"package-{i}==1.0.0" for i in range(CACHED_TEXT // 10))
    assert len(long_text) > CACHED_TEXT
    scripts, splits = shell._cached_script.cache_info().currsize, words._split_words.cache_info().currsize
    script = shell.parse_shell("pip install " + long_text)
    assert len(script.commands[0].words) == CACHED_TEXT // 10 + 2
    assert len(words.split_words(long_text)) == CACHED_TEXT // 10
    assert shell._cached_script.cache_info().currsize == scripts
    assert words._split_words.cache_info().currsize == splits
    short = "pip install a-package-only-this-test-names"
    assert shell.parse_shell(short) is shell.parse_shell(short)  # a short text is kept


def test_a_plain_word_keeps_one_string_for_its_text_and_value() -> None:
    from dockerfix.document.shell import parse_shell

    word = parse_shell("pip install flask==3.0.3").commands[0].words[2]
    assert word.value == "flask==3.0.3" and word.raw is word.value
