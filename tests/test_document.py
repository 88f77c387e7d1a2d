"""The document model: SourceText, the parser (line ranges, logical text, directives, flags,
heredocs), the per-instruction state, the shell reader, the instruction editor and the engine's
edit splicing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dockerfix.document.edit import CannotEdit, InstructionEditor
from dockerfix.document.model import Document, Instruction
from dockerfix.document.parse import ParseError, parse, parse_text
from dockerfix.document.segments import Segment, Segments
from dockerfix.document.shell import exec_script, json_elements, parse_shell
from dockerfix.document.source import DecodeError, SourceText
from dockerfix.edits import Edit
from dockerfix.engine import apply_edits, fix_document, select_fixes
from dockerfix.rules.base import Applicability, Finding, Fix, RuleContext
from dockerfix.runner import process_bytes, selected_rules
from dockerfix.settings import Settings


def kinds(doc: Document) -> list[str]:
    return [i.kind for i in doc.instructions]


def ranges(doc: Document) -> list[tuple[str, int, int]]:
    return [(i.kind, i.start, i.end) for i in doc.instructions]


def only(doc: Document, kind: str) -> Instruction:
    found = [i for i in doc.instructions if i.kind == kind]
    assert len(found) == 1, found
    return found[0]


def parse_error(text: str) -> ParseError:
    with pytest.raises(ParseError) as exc:
        parse_text(text)
    return exc.value


def run_bytes(data: bytes):  # type: ignore[no-untyped-def]
    settings = Settings()
    return process_bytes(data, "Dockerfile", None, settings, selected_rules(settings))


# --------------------------------------------------------------------------------------------
# continuations


def test_continuation_is_one_instruction_with_a_logical_line() -> None:
    doc = parse_text("FROM debian\nRUN apt-get update && \\\n    apt-get install -y gcc\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 3)]
    run = only(doc, "RUN")
    assert run.logical == "RUN apt-get update &&     apt-get install -y gcc"
    assert "\\" not in run.logical
    assert run.args == "apt-get update &&     apt-get install -y gcc"
    assert [s.line for s in run.segments] == [1, 2]


def test_position_maps_logical_offsets_back_to_lines() -> None:
    doc = parse_text("FROM debian\nRUN apt-get update && \\\n    apt-get install -y gcc\n")
    run = only(doc, "RUN")
    lines = doc.lines
    assert run.position(0) == (1, 0)
    assert run.position(run.logical.index("update")) == (1, lines[1].index("update"))
    assert run.position(run.logical.index("&&")) == (1, lines[1].index("&&"))
    assert run.position(run.logical.index("apt-get install")) == (2, 4)
    assert run.position(run.logical.index("gcc")) == (2, lines[2].index("gcc"))
    assert run.position(len(run.logical)) == (2, len(lines[2]))
    # every character of the logical text comes from the line and column position() names
    for offset, char in enumerate(run.logical):
        line, col = run.position(offset)
        assert lines[line][col] == char, offset


def test_segments_read_as_a_sequence_of_segments() -> None:
    doc = parse_text("FROM debian\nRUN a \\\n  # note\n  bb \\\n  ccc\n")
    segments = only(doc, "RUN").segments
    assert list(segments) == [Segment(0, 1, 0, 6), Segment(6, 3, 0, 5), Segment(11, 4, 0, 5)]
    assert len(segments) == 3 and segments.lines == [1, 3, 4]
    assert segments[-1] == Segment(11, 4, 0, 5)
    assert segments[1:] == Segments([6, 3, 0, 5, 11, 4, 0, 5])
    with pytest.raises(IndexError):
        segments[3]
    # an offset belongs to the last segment starting at or before it
    assert [segments.position(k) for k in (0, 5, 6, 10, 11, 15)] == [(1, 0), (1, 5), (3, 0), (3, 4), (4, 0), (4, 4)]
    assert segments == parse_text(doc.source.text()).instructions[1].segments


def test_comment_line_inside_a_continuation() -> None:
    doc = parse_text("FROM alpine\nRUN a \\\n  # c\n  b\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 4)]
    run = only(doc, "RUN")
    assert "#" not in run.logical and " c" not in run.logical
    assert run.logical == "RUN a   b"
    assert [s.line for s in run.segments] == [1, 3]
    assert run.position(run.logical.index("b")) == (3, 2)


def test_trailing_blanks_after_the_escape_still_continue() -> None:
    doc = parse_text("FROM alpine\nRUN a \\  \t\n  b\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 3)]
    assert only(doc, "RUN").logical == "RUN a   b"


def test_empty_lines_inside_a_continuation_are_skipped_as_buildkit_does() -> None:
    doc = parse_text("FROM alpine\nRUN a \\\n\n   \n  b\nRUN c\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 5), ("RUN", 5, 6)]
    run = doc.instructions[1]
    assert run.logical == "RUN a   b"
    assert [s.line for s in run.segments] == [1, 4]


def test_empty_lines_inside_a_continuation_round_trip_through_the_runner() -> None:
    data = b"FROM alpine\nRUN a \\\n\n# note\n  b\n"
    report = run_bytes(data)
    assert report.diagnostics == ()
    assert report.output == data


def test_file_ending_inside_a_continuation_ends_the_instruction() -> None:
    for text in ("FROM alpine\nRUN a \\\n", "FROM alpine\nRUN a \\", "FROM alpine\nRUN a \\\n# only a comment\n\n"):
        doc = parse_text(text)
        run = doc.instructions[1]
        assert (run.kind, run.start, run.end) == ("RUN", 1, 2)
        assert run.logical == "RUN a "  # the escape is not part of the command
        assert run.script.commands[0].name == "a"
    doc = parse_text("FROM alpine\nRUN a \\\n  b \\\n")
    assert doc.instructions[1].logical == "RUN a   b "


# --------------------------------------------------------------------------------------------
# heredocs


def test_heredoc_is_one_instruction_up_to_its_terminator() -> None:
    text = "FROM alpine\nRUN <<EOF\napk add git\nRUN echo hi \\\nFROM scratch\nEOF\nUSER app\n"
    doc = parse_text(text)
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 6), ("USER", 6, 7)]
    run = only(doc, "RUN")
    assert run.logical == "RUN <<EOF"
    assert [(h.name, h.body_start, h.end) for h in run.heredocs] == [("EOF", 2, 6)]
    assert len(doc.stages) == 1  # "FROM scratch" in the body is not a stage


def test_heredoc_body_ending_in_a_backslash_before_the_terminator() -> None:
    doc = parse_text("FROM alpine\nRUN <<EOF\napk add \\\nEOF\nUSER app\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 4), ("USER", 4, 5)]


def test_heredoc_with_a_dash_strips_tabs_from_the_terminator() -> None:
    doc = parse_text("FROM alpine\nRUN <<-EOF\n\tapk add git\n\tEOF\nUSER app\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 4), ("USER", 4, 5)]
    assert [(h.name, h.body_start, h.end) for h in only(doc, "RUN").heredocs] == [("EOF", 2, 4)]


def test_heredoc_without_a_dash_needs_the_terminator_at_column_0() -> None:
    doc = parse_text("FROM alpine\nRUN <<EOF\n\tEOF\nEOF\nUSER app\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 4), ("USER", 4, 5)]


def test_two_heredocs_on_one_line() -> None:
    doc = parse_text("FROM alpine\nCOPY <<A <<B /dst/\nfirst\nA\nsecond\nB\nUSER app\n")
    assert ranges(doc) == [("FROM", 0, 1), ("COPY", 1, 6), ("USER", 6, 7)]
    copy = only(doc, "COPY")
    assert [(h.name, h.body_start, h.end) for h in copy.heredocs] == [("A", 2, 4), ("B", 4, 6)]
    assert copy.args == "<<A <<B /dst/"


def test_heredoc_with_a_quoted_name_flags_and_a_program() -> None:
    doc = parse_text(
        "FROM python\nRUN --mount=type=cache,target=/root/.cache python3 <<'PY'\nprint(1)\nPY\nUSER app\n"
    )
    run = only(doc, "RUN")
    assert (run.start, run.end) == (1, 4)
    assert [(h.name, h.body_start, h.end) for h in run.heredocs] == [("PY", 2, 4)]
    assert run.flag("mount") is not None


def test_heredoc_with_crlf_line_endings() -> None:
    doc = parse(SourceText.from_bytes(b"FROM alpine\r\nRUN <<EOF\r\necho hi\r\nEOF\r\nUSER app\r\n"))
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 4), ("USER", 4, 5)]


def _script(text: str) -> tuple[list[list[str]], str | None]:
    run = only(parse_text("FROM alpine\n" + text), "RUN")
    return [[w.value for w in c.argv] for c in run.script.commands], run.script.opaque


def test_a_lone_heredoc_is_the_script() -> None:
    assert _script("RUN <<EOF\nset -e\napt-get update\napk add \\\n  curl\nEOF\n") == (
        [["set", "-e"], ["apt-get", "update"], ["apk", "add", "curl"]],
        None,
    )
    assert _script("RUN <<'EOF'\necho $HOME\nEOF\n") == ([["echo", "$HOME"]], None)
    assert _script("RUN <<-EOF\n\techo a\n\tEOF\n") == ([["echo", "a"]], None)
    assert _script("RUN <<EOF\n#!/bin/bash\necho a\nEOF\n") == ([["echo", "a"]], None)
    assert _script("RUN <<EOF\n#!/usr/bin/env bash\necho a\nEOF\n") == ([["echo", "a"]], None)


def test_a_heredoc_fed_to_a_posix_shell_is_the_script() -> None:
    assert _script("RUN bash -eux <<'EOF'\necho $A\nEOF\n") == ([["echo", "$A"]], None)
    assert _script("RUN sh <<EOF\necho a\nEOF\n") == ([["echo", "a"]], None)
    # unquoted, /bin/sh expands the body before bash reads it
    _, why = _script("RUN bash <<EOF\nA=1; echo $A\nEOF\n")
    assert why is not None and "quote the delimiter" in why


@pytest.mark.parametrize(
    ("text", "program"),
    [
        ("RUN python3 <<EOF\nprint(1)\nEOF\n", "python3"),
        ("RUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n", "python3"),
        ("RUN <<-EOF\n\t#!/usr/bin/perl\n\tprint 1\n\tEOF\n", "perl"),
        ("RUN node <<EOF\nconsole.log(1)\nEOF\n", "node"),
    ],
)
def test_a_heredoc_run_by_another_interpreter_is_opaque(text: str, program: str) -> None:
    commands, why = _script(text)
    assert commands == []
    assert why == f"the heredoc is run by {program}, not a POSIX shell"


def test_heredocs_that_are_data_leave_the_command_line_readable() -> None:
    commands, why = _script("RUN cat <<A > /a && cat <<-B > /b && pip install x\none\nA\n\ttwo\n\tB\n")
    assert (commands, why) == ([["cat"], ["cat"], ["pip", "install", "x"]], None)
    run = only(parse_text("FROM alpine\nRUN cat <<A > /a\none\nA\n"), "RUN")
    assert [w.value for w in run.script.commands[0].redirects] == ["/a"]  # the delimiter is no file
    _, why = _script("RUN python3 -u <<A && echo\nprint(1)\nA\n")
    assert why == "a heredoc is input to python3, which is not analysed"


def test_heredoc_body_offsets_map_to_body_lines() -> None:
    run = only(parse_text("FROM alpine\nRUN <<EOF\nset -e\n  apk add curl\nEOF\n"), "RUN")
    cmd = run.script.commands[1]
    assert run.position(run.shell.base + cmd.start) == (3, 2)
    assert run.position(run.shell.base + cmd.end) == (3, 14)
    assert "apk add curl" in run.command_text


def test_unterminated_heredoc_is_a_parse_error() -> None:
    err = parse_error("FROM alpine\nRUN <<EOF\napk add git\n")
    assert err.line == 1
    assert "EOF" in err.message


# --------------------------------------------------------------------------------------------
# the escape directive and other parser directives


def test_backtick_escape_continues_lines() -> None:
    text = "# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir `\n  c:\\\nCOPY . c:\\app\\\nUSER app\n"
    doc = parse_text(text)
    assert doc.escape == "`"
    assert [(d.name, d.value, d.line) for d in doc.directives] == [("escape", "`", 0)]
    assert doc.directive_end == 1
    assert ranges(doc) == [("FROM", 1, 2), ("RUN", 2, 4), ("COPY", 4, 5), ("USER", 5, 6)]
    assert only(doc, "RUN").logical == "RUN dir   c:\\"
    assert only(doc, "COPY").logical == "COPY . c:\\app\\"
    assert all(i.escape == "`" for i in doc.instructions)


def test_backtick_is_not_an_escape_without_the_directive() -> None:
    doc = parse_text("FROM alpine\nRUN echo `\nUSER app\n")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 2), ("USER", 2, 3)]


def test_check_directive_before_escape_directive() -> None:
    doc = parse_text("# check=skip=all\n# escape=`\nFROM alpine\nRUN a `\n  b\n")
    assert [(d.name, d.value, d.line) for d in doc.directives] == [("check", "skip=all", 0), ("escape", "`", 1)]
    assert doc.escape == "`"
    assert doc.directive_end == 2
    assert ranges(doc) == [("FROM", 2, 3), ("RUN", 3, 5)]


def test_syntax_directive_is_recorded() -> None:
    doc = parse_text("# syntax=docker/dockerfile:1.7\nFROM alpine\n")
    syntax = doc.directive("syntax")
    assert syntax is not None
    assert (syntax.value, syntax.line) == ("docker/dockerfile:1.7", 0)
    assert doc.directive("escape") is None
    assert doc.escape == "\\"
    assert doc.directive_end == 1


def test_directive_names_are_case_insensitive_and_blanks_are_allowed() -> None:
    doc = parse_text("#  Syntax = docker/dockerfile:1\n#escape = `\nFROM alpine\n")
    assert [(d.name, d.value) for d in doc.directives] == [("syntax", "docker/dockerfile:1"), ("escape", "`")]
    assert doc.escape == "`"


@pytest.mark.parametrize(
    "between",
    ["\n", "# a plain comment\n", "FROM alpine\n"],
    ids=["blank-line", "comment", "instruction"],
)
def test_directives_stop_at_the_first_blank_line_comment_or_instruction(between: str) -> None:
    text = "# syntax=docker/dockerfile:1\n" + between + "# escape=`\nFROM alpine\nRUN echo `\nUSER app\n"
    doc = parse_text(text)
    assert [d.name for d in doc.directives] == ["syntax"]
    assert doc.directive_end == 1
    assert doc.escape == "\\"
    # the backtick is no escape: RUN and USER are separate instructions
    assert kinds(doc)[-2:] == ["RUN", "USER"]


def test_a_directive_after_an_instruction_is_a_comment() -> None:
    doc = parse_text("FROM alpine\n# escape=`\nRUN echo `\nUSER app\n")
    assert doc.directives == ()
    assert doc.escape == "\\"
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 2, 3), ("USER", 3, 4)]
    assert only(doc, "RUN").comment_start == 1


@pytest.mark.parametrize("text", ["# syntax=a\n# syntax=b\n", "# escape=`\n# check=skip=all\n#  Escape = `\n"])
def test_a_repeated_directive_is_a_parse_error(text: str) -> None:
    """BuildKit refuses the file: "only one syntax parser directive can be used"."""
    err = parse_error(text + "FROM alpine\n")
    assert err.line == text.count("\n") - 1
    assert "second" in err.message


def test_a_repeated_directive_after_the_block_is_a_comment() -> None:
    doc = parse_text("# syntax=a\n\n# syntax=b\nFROM alpine\n")
    assert [(d.name, d.value) for d in doc.directives] == [("syntax", "a")]
    assert doc.directive_end == 1


def test_an_unknown_directive_ends_the_block() -> None:
    doc = parse_text("# foo=bar\n# escape=`\nFROM alpine\n")
    assert doc.directives == ()
    assert doc.escape == "\\"


def test_an_invalid_escape_value_is_a_parse_error() -> None:
    assert parse_error("# escape=x\nFROM alpine\n").line == 0


# --------------------------------------------------------------------------------------------
# bytes: BOM, line endings, final newline


def test_bom_is_stripped_for_parsing_and_kept_on_output() -> None:
    data = b"\xef\xbb\xbf# escape=`\nFROM alpine\nRUN a `\n  b\n"
    source = SourceText.from_bytes(data)
    assert source.bom
    assert source.lines[0] == "# escape=`"
    doc = parse(source)
    assert doc.escape == "`"
    assert ranges(doc) == [("FROM", 1, 2), ("RUN", 2, 4)]
    assert source.to_bytes() == data
    assert source.text().startswith("\ufeff")


def test_crlf_lines_have_no_cr_and_round_trip() -> None:
    data = b"FROM alpine\r\nRUN a \\\r\n  b\r\nUSER app\r\n"
    source = SourceText.from_bytes(data)
    assert source.lines == ("FROM alpine", "RUN a \\", "  b", "USER app")
    assert source.endings == ("\r\n",) * 4
    assert source.newline == "\r\n"
    assert source.to_bytes() == data
    doc = parse(source)
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 3), ("USER", 3, 4)]
    assert "\r" not in only(doc, "RUN").logical


def test_mixed_line_endings_round_trip() -> None:
    data = b"FROM alpine\r\nRUN a\nRUN b\r\nUSER app"
    source = SourceText.from_bytes(data)
    assert source.endings == ("\r\n", "\n", "\r\n", "")
    assert source.to_bytes() == data


def test_no_final_newline_round_trips() -> None:
    data = b"FROM alpine\nUSER app"
    source = SourceText.from_bytes(data)
    assert source.lines == ("FROM alpine", "USER app")
    assert source.endings == ("\n", "")
    assert not source.final_newline
    assert source.to_bytes() == data


def test_form_feed_does_not_split_lines() -> None:
    data = b"FROM alpine\nRUN echo a\x0cb\n"
    source = SourceText.from_bytes(data)
    assert source.lines == ("FROM alpine", "RUN echo a\x0cb")
    assert source.to_bytes() == data
    doc = parse(source)
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 2)]
    assert only(doc, "RUN").args == "echo a\x0cb"


def test_empty_file() -> None:
    source = SourceText.from_bytes(b"")
    assert source.lines == ()
    assert source.to_bytes() == b""
    assert parse(source).instructions == ()


def test_not_utf8_is_a_decode_error() -> None:
    with pytest.raises(DecodeError) as exc:
        SourceText.from_bytes(b"FROM alpine\nRUN echo \xff\n")
    assert "0xff" in str(exc.value)


def test_last_line_without_newline_that_is_a_bare_keyword() -> None:
    doc = parse_text("FROM alpine\nRUN echo hi\nUSER")
    assert ranges(doc) == [("FROM", 0, 1), ("RUN", 1, 2), ("USER", 2, 3)]
    assert not doc.source.final_newline
    assert only(doc, "USER").args == ""


def test_last_line_without_newline_that_is_a_bare_unknown_word() -> None:
    err = parse_error("FROM alpine\nhello")
    assert err.line == 1
    assert "hello" in err.message


def test_unknown_instruction_word_is_a_parse_error() -> None:
    err = parse_error("FROM debian\napt-get install x\n")
    assert err.line == 1
    assert "apt-get" in err.message


def test_user_without_an_argument_parses() -> None:
    doc = parse_text("FROM alpine\nUSER\nRUN id\n")
    user = only(doc, "USER")
    assert user.args == ""
    assert user.words == []
    assert kinds(doc) == ["FROM", "USER", "RUN"]


def test_indented_instructions() -> None:
    doc = parse_text("  FROM alpine\n\tRUN echo hi\n")
    assert [i.keyword for i in doc.instructions] == ["FROM", "RUN"]
    assert only(doc, "RUN").args == "echo hi"


# --------------------------------------------------------------------------------------------
# flags, exec form, keywords


def test_from_with_platform_flag_and_stage_name() -> None:
    doc = parse_text("FROM --platform=$BUILDPLATFORM python:3.12 AS build\n")
    frm = only(doc, "FROM")
    assert [(f.name, f.value) for f in frm.flags] == [("platform", "$BUILDPLATFORM")]
    assert frm.args == "python:3.12 AS build"
    assert len(doc.stages) == 1
    assert doc.stages[0].name == "build"
    assert doc.stages[0].base == "python:3.12"
    assert doc.stage_named("BUILD") is doc.stages[0]


def test_run_with_two_flags() -> None:
    doc = parse_text("FROM python\nRUN --mount=type=cache,target=/x --network=host pip install y\n")
    run = only(doc, "RUN")
    assert [(f.name, f.value) for f in run.flags] == [("mount", "type=cache,target=/x"), ("network", "host")]
    assert run.args.startswith("pip")
    assert run.args == "pip install y"
    for f in run.flags:
        assert run.logical[f.start : f.end] == f.raw
    assert run.flag("network").raw == "--network=host"  # type: ignore[union-attr]
    assert [w.value for w in run.words] == ["pip", "install", "y"]


def test_copy_with_a_bare_flag() -> None:
    doc = parse_text("FROM alpine\nCOPY --chown=app:app --link . /app\n")
    copy = only(doc, "COPY")
    assert [(f.name, f.value) for f in copy.flags] == [("chown", "app:app"), ("link", None)]
    assert copy.flag("link").value is None  # type: ignore[union-attr]
    assert copy.args == ". /app"


def test_flags_on_a_continuation_line() -> None:
    doc = parse_text("FROM alpine\nRUN --mount=type=cache,target=/x \\\n    --network=none \\\n    make\n")
    run = only(doc, "RUN")
    assert [f.name for f in run.flags] == ["mount", "network"]
    assert run.args == "make"
    assert run.position(run.args_start) == (3, 4)


def test_exec_form() -> None:
    doc = parse_text('FROM python\nCMD ["python","app.py"]\nENTRYPOINT ["python", "app.py"\nRUN python app.py\n')
    assert only(doc, "CMD").exec_form == ["python", "app.py"]
    assert only(doc, "ENTRYPOINT").exec_form is None
    assert only(doc, "RUN").exec_form is None


def test_onbuild() -> None:
    doc = parse_text("FROM python\nONBUILD COPY . /app\n")
    onbuild = only(doc, "ONBUILD")
    assert onbuild.kind == "ONBUILD"
    assert onbuild.args == "COPY . /app"
    assert kinds(doc) == ["FROM", "ONBUILD"]


def test_keyword_case_is_kept() -> None:
    doc = parse_text("from alpine as base\nrun echo hi\n")
    frm = doc.instructions[0]
    assert frm.keyword == "from"
    assert frm.kind == "FROM"
    assert doc.stages[0].name == "base"
    assert doc.keyword_upper is False
    assert doc.keyword("COPY") == "copy"
    upper = parse_text("FROM alpine\nRUN echo hi\n")
    assert upper.keyword_upper is True
    assert upper.keyword("copy") == "COPY"


def test_comment_block_above_an_instruction() -> None:
    doc = parse_text("FROM alpine\n# far away\n\n# one\n# two\nRUN echo hi\nUSER app\n")
    run = only(doc, "RUN")
    assert run.start == 5
    assert run.comment_start == 3
    assert only(doc, "USER").comment_start == only(doc, "USER").start


def test_comment_block_does_not_reach_into_the_directives() -> None:
    doc = parse_text("# syntax=docker/dockerfile:1\n# a comment\nFROM alpine\n")
    assert only(doc, "FROM").comment_start == 1


# --------------------------------------------------------------------------------------------
# stages and state


def test_env_values_are_expanded() -> None:
    doc = parse_text("FROM alpine\nENV A=/x\nENV B=$A/y C=${A}/z\nRUN true\n")
    state = doc.state(only(doc, "RUN"))
    assert state.env["A"] == "/x"
    assert state.env["B"] == "/x/y"
    assert state.env["C"] == "/x/z"
    assert state.env_line["B"] == 2


def test_env_in_one_instruction_sees_the_values_from_before_it() -> None:
    # Docker expands every value of one ENV with the environment from before the instruction
    # (docs, "Environment replacement": ENV abc=bye def=$abc gives def the *old* abc).
    doc = parse_text("FROM alpine\nENV A=/x B=$A/y\nRUN true\n")
    state = doc.state(only(doc, "RUN"))
    assert state.env["A"] == "/x"
    assert state.env["B"] != "/x/y"
    assert state.env["B"] is None  # A is not known before this ENV
    doc = parse_text("FROM alpine\nENV A=/old\nENV A=/x B=$A/y\nRUN true\n")
    state = doc.state(only(doc, "RUN"))
    assert (state.env["A"], state.env["B"]) == ("/x", "/old/y")


def test_legacy_env_form() -> None:
    doc = parse_text("FROM alpine\nENV K v w\nRUN true\n")
    assert doc.state(only(doc, "RUN")).env["K"] == "v w"


def test_arg_values_are_unknown() -> None:
    doc = parse_text("FROM alpine\nARG V=1\nARG W\nENV X=$V/a\nRUN true\n")
    env = doc.state(only(doc, "RUN")).env
    assert "V" in env and env["V"] is None
    assert "W" in env and env["W"] is None
    assert env["X"] is None


def test_workdir_relative_to_the_previous_workdir() -> None:
    doc = parse_text(
        "FROM alpine\nWORKDIR /app\nRUN a\nWORKDIR sub\nRUN b\nWORKDIR ../other\nRUN c\nENV D=/srv\nWORKDIR $D\nRUN d\n"
    )
    runs = [i for i in doc.instructions if i.kind == "RUN"]
    assert [doc.state(r).workdir for r in runs] == ["/app", "/app/sub", "/app/other", "/srv"]


def test_user_is_recorded_with_its_line() -> None:
    doc = parse_text("FROM alpine\nRUN true\nUSER app\nRUN id\n")
    runs = [i for i in doc.instructions if i.kind == "RUN"]
    assert doc.state(runs[0]).user is None
    assert doc.state(runs[0]).user_line is None
    after = doc.state(runs[1])
    assert after.user == "app"
    assert after.user_line == 2


def test_users_and_groups_created_by_run() -> None:
    doc = parse_text(
        "FROM debian\n"
        "RUN groupadd -g 2000 grp && useradd -u 1001 -m app\n"
        "RUN adduser -D -u 1002 bob\n"
        "RUN useradd -u 1003 -g grp carol\n"
        "USER app\n"
    )
    state = doc.state(only(doc, "USER"))
    assert state.groups["grp"] == 2000
    assert state.users["app"].uid == 1001
    assert state.users["app"].home == "/home/app"
    assert state.users["bob"].uid == 1002
    assert state.users["carol"].uid == 1003
    assert state.users["carol"].gid == 2000


def test_account_options_in_every_spelling() -> None:
    doc = parse_text(
        "FROM debian\n"
        "RUN useradd -rm -u1004 -d /srv/dave dave\n"
        "RUN useradd --uid=1005 --home-dir /opt/erin --gid 2000 erin\n"
        "RUN adduser -S -h /var/lib/svc -u 1006 svc\n"
        "USER dave\n"
    )
    state = doc.state(only(doc, "USER"))
    assert (state.users["dave"].uid, state.users["dave"].home) == (1004, "/srv/dave")
    assert (state.users["erin"].uid, state.users["erin"].gid, state.users["erin"].home) == (1005, 2000, "/opt/erin")
    assert (state.users["svc"].uid, state.users["svc"].home) == (1006, "/var/lib/svc")


def test_a_stage_built_from_another_inherits_its_state() -> None:
    doc = parse_text(
        "FROM python:3.12 AS build\n"
        "ENV VENV=/opt/venv\n"
        "WORKDIR /app\n"
        "USER 1001\n"
        "FROM build AS final\n"
        "RUN true\n"
        "FROM alpine\n"
        "RUN true\n"
    )
    assert [(s.name, s.base) for s in doc.stages] == [("build", "python:3.12"), ("final", "build"), (None, "alpine")]
    final_run, other_run = [i for i in doc.instructions if i.kind == "RUN"]
    assert final_run.stage == 1
    inherited = doc.state(final_run)
    assert inherited.env["VENV"] == "/opt/venv"
    assert inherited.workdir == "/app"
    assert inherited.user == "1001"
    fresh = doc.state(other_run)
    assert "VENV" not in fresh.env
    assert fresh.workdir != "/app"
    assert fresh.user is None


# --------------------------------------------------------------------------------------------
# the shell reader


def _argvs(text: str) -> list[list[str]]:
    script = parse_shell(text)
    assert script.opaque is None, script.opaque
    return [[w.value for w in c.argv] for c in script.commands]


def _check_spans(text: str) -> None:
    for command in parse_shell(text).commands:
        for w in command.words + command.redirects:
            assert text[w.start : w.end] == w.raw, w


def test_shell_splits_on_operators() -> None:
    text = "a 1 && b 2 || c; d | e"
    script = parse_shell(text)
    assert [[w.value for w in c.argv] for c in script.commands] == [["a", "1"], ["b", "2"], ["c"], ["d"], ["e"]]
    assert [c.separator for c in script.commands] == ["", "&&", "||", ";", "|"]
    _check_spans(text)


def test_shell_splits_on_parentheses() -> None:
    assert _argvs("(cd sub && make) && echo done") == [["cd", "sub"], ["make"], ["echo", "done"]]


def test_shell_quotes_removed_but_spans_on_raw_text() -> None:
    text = "echo 'a b' \"c $X\" d\\ e"
    (command,) = parse_shell(text).commands
    assert [w.value for w in command.argv] == ["echo", "a b", "c $X", "d e"]
    assert [w.raw for w in command.argv] == ["echo", "'a b'", '"c $X"', "d\\ e"]
    assert [w.expands for w in command.argv] == [False, False, True, False]
    _check_spans(text)


def test_shell_command_substitution_is_one_word() -> None:
    text = "echo $(date && id -u) `uname -a` x"
    (command,) = parse_shell(text).commands
    assert [w.value for w in command.argv] == ["echo", "$(date && id -u)", "`uname -a`", "x"]
    assert command.argv[1].expands
    _check_spans(text)


def test_shell_if_then_fi() -> None:
    text = "if [ -f x ]; then rm x; fi"
    argvs = _argvs(text)
    assert ["rm", "x"] in argvs
    assert all(argv and argv[0] not in ("if", "then", "fi") for argv in argvs)


def test_shell_assignments_are_separated_from_argv() -> None:
    text = "A=1 B='2 3' pip install y"
    (command,) = parse_shell(text).commands
    assert [w.value for w in command.assignments] == ["A=1", "B=2 3"]
    assert [w.value for w in command.argv] == ["pip", "install", "y"]
    assert command.name == "pip"
    _check_spans(text)


def test_shell_redirect_targets_are_not_arguments() -> None:
    text = "echo hi > /tmp/out 2>&1 < in"
    (command,) = parse_shell(text).commands
    assert [w.value for w in command.argv] == ["echo", "hi"]
    assert [w.value for w in command.redirects] == ["/tmp/out", "in"]
    _check_spans(text)


def test_shell_comment_is_ignored() -> None:
    assert _argvs("pip install x # trailing comment && rm -rf /") == [["pip", "install", "x"]]
    assert _argvs("echo a#b") == [["echo", "a#b"]]


def test_shell_unreadable_text_is_opaque() -> None:
    assert parse_shell("echo 'unterminated").opaque is not None
    assert parse_shell("cat <<EOF").opaque is not None


def test_exec_script_spans_point_at_the_json_elements() -> None:
    args = '["python", "-m", "pip install"]'
    script = exec_script(args)
    assert script.exec_form
    assert script.opaque is None
    (command,) = script.commands
    assert [w.value for w in command.argv] == ["python", "-m", "pip install"]
    assert [args[w.start : w.end] for w in command.argv] == ['"python"', '"-m"', '"pip install"']
    assert exec_script("python app.py").opaque is not None


def test_json_elements() -> None:
    text = ' ["a", "b c"] '
    elements = json_elements(text)
    assert elements == [("a", 2, 5), ("b c", 7, 12)]
    assert json_elements("[]") == []
    assert json_elements('["a", 1]') is None
    assert json_elements('["a",') is None
    assert json_elements('x ["a"]') is None
    assert json_elements('["a"] x') is None


# --------------------------------------------------------------------------------------------
# the instruction editor


def _edited(text: str, change) -> tuple[Edit, bytes]:  # type: ignore[no-untyped-def]
    source = SourceText.from_text(text)
    doc = parse(source)
    inst = only(doc, "RUN")
    editor = InstructionEditor(doc, inst)
    change(editor, inst)
    edit = editor.edit()
    output, _ = apply_edits(source, [edit])
    assert parse(output)  # still a valid document
    return edit, output.to_bytes()


def _remove(word: str):  # type: ignore[no-untyped-def]
    def change(editor: InstructionEditor, inst: Instruction) -> None:
        i = inst.logical.index(word)
        editor.remove_word(i, i + len(word))

    return change


def test_removing_a_word_alone_on_a_continuation_line_drops_the_line() -> None:
    text = "FROM python\nRUN pip install \\\n    --no-cache-dir \\\n    -r req.txt\nUSER app\n"
    edit, out = _edited(text, _remove("--no-cache-dir"))
    assert edit == Edit(1, 4, ("RUN pip install \\", "    -r req.txt"))
    assert out == b"FROM python\nRUN pip install \\\n    -r req.txt\nUSER app\n"


def test_removing_the_only_word_of_the_last_continuation_line() -> None:
    text = "FROM python\nRUN pip install -r req.txt \\\n    --no-cache-dir\nUSER app\n"
    edit, out = _edited(text, _remove("--no-cache-dir"))
    assert edit == Edit(1, 3, ("RUN pip install -r req.txt",))
    assert out == b"FROM python\nRUN pip install -r req.txt\nUSER app\n"


def test_removing_the_last_continuation_line_at_the_end_of_a_file_without_newline() -> None:
    text = "FROM python\nRUN pip install -r req.txt \\\n    --no-cache-dir"
    _, out = _edited(text, _remove("--no-cache-dir"))
    assert out == b"FROM python\nRUN pip install -r req.txt"


def test_removing_a_word_inside_a_line_keeps_its_neighbours() -> None:
    text = "FROM python\nRUN pip install --no-cache-dir -r req.txt\n"
    _, out = _edited(text, _remove("--no-cache-dir"))
    assert out == b"FROM python\nRUN pip install -r req.txt\n"


@pytest.mark.parametrize("newline", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_inserting_keeps_every_other_line_byte_identical(newline: str) -> None:
    lines = [
        "FROM python",
        "# install",
        "RUN pip install \\",
        "\t  --no-cache-dir \\",
        "    # a comment inside  ",
        "    -r req.txt   ",
        "USER app",
    ]
    text = newline.join(lines) + newline
    flag = " --mount=type=cache,target=/root/.cache/pip"

    def change(editor: InstructionEditor, inst: Instruction) -> None:
        editor.insert_after(len(inst.keyword), flag)

    _, out = _edited(text, change)
    got = out.decode().split(newline)
    assert got[-1] == ""
    got = got[:-1]
    assert len(got) == len(lines)
    for k, (before, after) in enumerate(zip(lines, got)):
        if k == 2:
            assert after == "RUN" + flag + " pip install \\"
        else:
            assert after == before, k
    assert out.count(b"\r\n") == (len(lines) if newline == "\r\n" else 0)


def test_replacing_across_a_continuation_cannot_edit() -> None:
    doc = parse_text("FROM python\nRUN pip install \\\n    flask\n")
    run = only(doc, "RUN")
    editor = InstructionEditor(doc, run)
    with pytest.raises(CannotEdit):
        editor.replace(run.logical.index("install"), run.logical.index("flask") + 5, "x")


# --------------------------------------------------------------------------------------------
# the engine


def _finding(*edits: Edit, applicability: Applicability = Applicability.SAFE, code: str = "DFX000") -> Finding:
    return Finding(code, edits[0].start, "test", Fix("test", tuple(edits), applicability))


def test_overlapping_fixes_the_second_is_deferred() -> None:
    first = _finding(Edit(1, 3, ("a",)))
    second = _finding(Edit(2, 4, ("b",)))
    assert select_fixes([first, second], unsafe=False) == [first]
    assert select_fixes([second, first], unsafe=False) == [first]  # by position, not by order


def test_two_insertions_at_the_same_line_conflict() -> None:
    a = _finding(Edit(2, 2, ("a",)))
    b = _finding(Edit(2, 2, ("b",)))
    assert select_fixes([a, b], unsafe=False) == [a]


def test_an_insertion_at_the_end_of_a_replaced_range_does_not_conflict() -> None:
    replace = _finding(Edit(1, 3, ("a",)))
    insert = _finding(Edit(3, 3, ("b",)))
    assert select_fixes([replace, insert], unsafe=False) == [replace, insert]
    source = SourceText.from_text("L0\nL1\nL2\nL3\n")
    out, moved = apply_edits(source, [e for f in (replace, insert) for e in f.fix.edits])  # type: ignore[union-attr]
    assert out.text() == "L0\na\nb\nL3\n"
    assert moved == {0: 0, 3: 3}


def test_an_insertion_inside_a_replaced_range_conflicts() -> None:
    replace = _finding(Edit(1, 3, ("a",)))
    insert = _finding(Edit(2, 2, ("b",)))
    assert select_fixes([replace, insert], unsafe=False) == [replace]


def test_unsafe_and_display_only_fixes() -> None:
    unsafe = _finding(Edit(1, 2, ("a",)), applicability=Applicability.UNSAFE)
    shown = _finding(Edit(3, 4, ("b",)), applicability=Applicability.DISPLAY_ONLY)
    report_only = Finding("DFX000", 5, "no fix")
    assert select_fixes([unsafe, shown, report_only], unsafe=False) == []
    assert select_fixes([unsafe, shown, report_only], unsafe=True) == [unsafe]


def test_apply_edits_without_a_final_newline() -> None:
    source = SourceText.from_bytes(b"FROM alpine\nUSER app")
    appended, _ = apply_edits(source, [Edit(2, 2, ("RUN id",))])
    assert appended.to_bytes() == b"FROM alpine\nUSER app\nRUN id"
    assert not appended.final_newline
    replaced, _ = apply_edits(source, [Edit(1, 2, ("USER root",))])
    assert replaced.to_bytes() == b"FROM alpine\nUSER root"
    inserted, moved = apply_edits(source, [Edit(1, 1, ("RUN id",))])
    assert inserted.to_bytes() == b"FROM alpine\nRUN id\nUSER app"
    assert moved == {0: 0, 1: 2}


def test_apply_edits_keeps_crlf_and_bom() -> None:
    source = SourceText.from_bytes(b"\xef\xbb\xbfFROM alpine\r\nUSER app\r\n")
    out, _ = apply_edits(source, [Edit(1, 1, ("RUN id",))])
    assert out.to_bytes() == b"\xef\xbb\xbfFROM alpine\r\nRUN id\r\nUSER app\r\n"


class _Rewrite:
    """A rule-like object: replaces the instruction whose text is ``old`` by ``new``, with an
    edit that also covers ``extra`` lines before it."""

    def __init__(self, code: str, old: str, new: str, extra: int = 0) -> None:
        self.code, self.old, self.new, self.extra = code, old, new, extra

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        for inst in doc.instructions:
            if inst.logical == self.old:
                start = inst.start - self.extra
                lines = doc.lines[start : inst.start] + (self.new,)
                yield Finding(self.code, inst.start, "rewrite", Fix("rewrite", (Edit(start, inst.end, lines),)))


def test_fix_document_applies_a_deferred_fix_in_the_next_pass() -> None:
    doc = parse_text("FROM alpine\nRUN a\nRUN b\n")
    first = _Rewrite("DFX001", "RUN a", "RUN a1")
    second = _Rewrite("DFX002", "RUN b", "RUN b2", extra=1)  # its edit covers "RUN a" too
    result = fix_document(doc, [first, second], RuleContext(None, Settings()))  # type: ignore[list-item]
    assert result.converged
    assert result.output.text() == "FROM alpine\nRUN a1\nRUN b2\n"
    assert {f.code for f in result.findings} == {"DFX001", "DFX002"}


def test_a_deferred_fix_is_reported_once() -> None:
    # The first pass reports both findings; the second pass applies the deferred one and must
    # not report it a second time (it would be printed twice on stderr).
    doc = parse_text("FROM alpine\nRUN a\nRUN b\n")
    first = _Rewrite("DFX001", "RUN a", "RUN a1")
    second = _Rewrite("DFX002", "RUN b", "RUN b2", extra=1)
    result = fix_document(doc, [first, second], RuleContext(None, Settings()))  # type: ignore[list-item]
    assert sorted(f.code for f in result.findings) == ["DFX001", "DFX002"]


# --------------------------------------------------------------------------------------------
# taking commands out of a shell list


def _without(text: str, *names: str) -> str:
    def change(editor: InstructionEditor, inst: Instruction) -> None:
        doomed = [c for c in inst.script.commands if c.name in names or " ".join(w.value for w in c.argv) in names]
        editor.remove_commands(inst.script, doomed)

    _, out = _edited(text, change)
    return out.decode()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("RUN a && rm -rf /x\n", "RUN a\n"),
        ("RUN rm -rf /x && a\n", "RUN a\n"),
        ("RUN a; rm -rf /x; b\n", "RUN a; b\n"),
        ("RUN a; rm -rf /x && b\n", "RUN a; b\n"),
        ("RUN a && rm -rf /x || true\n", "RUN a || true\n"),
        ("RUN a \\\n    && b \\\n    && rm -rf /x\n", "RUN a \\\n    && b\n"),
        ("RUN a && \\\n    b && \\\n    rm -rf /x\n", "RUN a && \\\n    b\n"),
        ("RUN set -e; \\\n    rm -rf /x; \\\n    b\n", "RUN set -e; \\\n    b\n"),
        ("RUN a \\\n  && rm -rf /x \\\n  # note\n  && b\n", "RUN a \\\n  # note\n  && b\n"),
        ("RUN a && apt-get clean && rm -rf /x\n", "RUN a\n"),
        # a shell comment after the removed command stays, on a line the RUN still reaches
        ("RUN a && rm -rf /x # note\n", "RUN a # note\n"),
        ("RUN a && \\\n    rm -rf /x # note\n", "RUN a # note\n"),
        ("RUN a \\\n    && b \\\n    && rm -rf /x   # note\n", "RUN a \\\n    && b # note\n"),
        ("RUN a; \\\n    rm -rf /x; # note\n", "RUN a; # note\n"),
        ("RUN rm -rf /x && \\\n    a # note\n", "RUN \\\n    a # note\n"),
        ("RUN a || b && \\\n    rm -rf /x\n", "RUN a || b\n"),
        # the file ends inside the continuation
        ("RUN a && \\\n    rm -rf /x \\\n", "RUN a\n"),
        # heredoc bodies: a command on a line of its own goes with its line
        ("RUN <<EOF\na\nrm -rf /x\nb\nEOF\n", "RUN <<EOF\na\nb\nEOF\n"),
        ("RUN <<EOF\nset -e\na\n\n# tidy up\nrm -rf /x  # lists\nEOF\n", "RUN <<EOF\nset -e\na\n\n# tidy up\n  # lists\nEOF\n"),
        ("RUN <<EOF\nrm -rf /x\na\nEOF\n", "RUN <<EOF\na\nEOF\n"),
        ("RUN <<EOF\na && \\\n  rm -rf /x\nEOF\n", "RUN <<EOF\na\nEOF\n"),
        ("RUN <<-EOF\n\ta\n\trm -rf /x\n\tEOF\n", "RUN <<-EOF\n\ta\n\tEOF\n"),
        ("RUN bash <<'EOF'\na; rm -rf /x\nEOF\n", "RUN bash <<'EOF'\na\nEOF\n"),
        ("RUN cat <<EOF > /etc/x && rm -rf /x\nbody\nEOF\n", "RUN cat <<EOF > /etc/x\nbody\nEOF\n"),
    ],
)
def test_remove_commands_keeps_the_rest_running_as_before(text: str, expected: str) -> None:
    assert _without(text, "rm", "apt-get clean") == expected


@pytest.mark.parametrize(
    "text",
    [
        "RUN if a; then rm -rf /x; fi\n",  # inside a compound command
        "RUN a || rm -rf /x\n",  # only runs when a fails
        "RUN a; rm -rf /x || true\n",  # `a || true` would hide a's failure
        "RUN a && rm -rf /x | tee log\n",  # feeds a pipe
        "RUN a && rm -rf /x & b\n",  # in the background
        "RUN <<EOF\nif a; then\n  rm -rf /x\nfi\nEOF\n",  # the body of an if on lines of its own
        "RUN <<EOF\nfor f in a b; do\n  rm -rf /x\ndone\nEOF\n",  # a loop's body
    ],
)
def test_remove_commands_refuses_where_meaning_would_change(text: str) -> None:
    with pytest.raises(CannotEdit):
        _without(text, "rm")
