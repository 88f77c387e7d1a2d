"""Tests for dockerfix.context.dockerignore: BuildKit's .dockerignore semantics."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockerfix.context.dockerignore import (
    DockerIgnore,
    DockerIgnoreError,
    IgnorePattern,
    MatchType,
    load_dockerignore,
)

ALLOW_LIST = "*\n!requirements.txt\n!src/**\n"

# (text of the .dockerignore file, path relative to the context, ignored?)
CASES: list[tuple[str, str, bool]] = [
    # --- comments, blank lines, whitespace -------------------------------
    ("# a comment\nfoo", "foo", True),
    ("#foo", "#foo", False),  # a comment, not a pattern
    (" #foo", "#foo", True),  # "#" is a comment only in column 1
    ("\n\n   \n\t\nfoo\n\n", "foo", True),
    ("   foo \t ", "foo", True),
    ("foo\r\nbar\r\n", "bar", True),  # CRLF line endings
    ("\ufeff*.md", "README.md", True),  # BOM on the first line
    ("\ufeff# comment\nfoo", "# comment", False),  # BOM, then a real comment
    ("", "anything", False),
    # --- "!" exceptions, last match wins ----------------------------------
    ("*.md\n!README.md", "README.md", False),
    ("*.md\n!README.md", "CHANGES.md", True),
    ("!README.md\n*.md", "README.md", True),  # order matters
    ("*.md\n!README.md\nREADME.md", "README.md", True),
    ("foo\n!   foo  ", "foo", False),  # the rest after "!" is trimmed too
    ("!foo", "foo", False),  # an exception alone ignores nothing
    # --- parent directories ------------------------------------------------
    ("build", "build", True),
    ("build", "build/x/y.txt", True),
    ("build\n!build/keep.txt", "build/keep.txt", False),
    ("build\n!build/keep.txt", "build/other.txt", True),
    ("build", "buildx/y.txt", False),
    ("*/tmp", "a/tmp/b/c.txt", True),
    ("node_modules", "src/node_modules/x.js", False),  # anchored at the root
    ("*", "a/b/c", True),  # "*" matches the parent "a"
    # --- ** at start, middle, end ------------------------------------------
    ("**/foo", "foo", True),
    ("**/foo", "a/b/foo", True),
    ("**/foo", "a/b/foo/x.txt", True),
    ("**/foo", "a/barfoo", False),
    ("**/*.pyc", "c.pyc", True),
    ("**/*.pyc", "a/b/c.pyc", True),
    ("**/*.pyc", "a/b/c.py", False),
    ("foo/**", "foo/a/b", True),
    ("foo/**", "foo", False),  # only what is inside foo
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("**", "any/thing", True),
    ("**.txt", "a/b/c.txt", True),  # patternmatcher's suffix match
    ("a/**/*.log", "a/logs/x.log", True),
    # --- * does not cross "/" ------------------------------------------------
    ("*.txt", "a.txt", True),
    ("*.txt", "dir/a.txt", False),  # unlike .gitignore
    ("*/a.txt", "dir/a.txt", True),
    ("*/a.txt", "x/dir/a.txt", False),
    ("a*", "abc", True),
    ("a*", "b/abc", False),
    # --- ? -------------------------------------------------------------------
    ("a?c", "abc", True),
    ("a?c", "a/c", False),
    ("a?c", "ac", False),
    # --- character classes -------------------------------------------------
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("[^a]x", "bx", True),
    ("[^a]x", "ax", False),
    ("[!a]x", "bx", False),  # "!" is not negation: it is a literal "!"
    ("[!a]x", "!x", True),
    ("a[^x]b", "a/b", True),  # a negated class (a Go regexp) can match "/"
    ("[[:digit:]].log", "7.log", True),  # POSIX class of Go's regexp
    # --- escapes -------------------------------------------------------------
    ("\\*", "*", True),
    ("\\*", "a", False),
    ("a\\?b", "a?b", True),
    ("a\\?b", "axb", False),
    ("foo\\[1\\].txt", "foo[1].txt", True),
    ("file\\d", "file7", True),  # "\d" reaches Go's regexp as a digit class
    ("a.b", "axb", False),  # regexp metacharacters are literal
    ("a+b(1)", "a+b(1)", True),
    ("$HOME", "$HOME", True),
    # --- leading "/" and "./" ------------------------------------------------
    ("/foo", "foo", True),
    ("/foo/bar", "foo/bar/baz", True),
    ("foo", "./foo", True),
    ("foo", "/foo", True),
    ("./foo", "foo", True),
    ("foo", "foo/", True),
    # --- cleaned patterns ----------------------------------------------------
    ("a//b", "a/b", True),
    ("a/./b", "a/b", True),
    ("a/x/../b", "a/b", True),
    ("foo/", "foo/x", True),
    ("../foo", "foo", False),
    ("/../foo", "foo", True),  # Clean("/../foo") is "/foo"
    (".", "foo", False),  # "." matches nothing
    ("./", "foo/bar", False),
    ("*", ".", False),  # the context root is never ignored
    ("*", "", False),
    # --- allow-list files ----------------------------------------------------
    (ALLOW_LIST, "requirements.txt", False),
    (ALLOW_LIST, "setup.py", True),
    (ALLOW_LIST, "src/app/main.py", False),
    (ALLOW_LIST, "src", True),  # "src/**" does not match "src" itself
    (ALLOW_LIST, "docs/index.md", True),
    ("*\n!src\nsrc/tests", "src/app.py", False),
    ("*\n!src\nsrc/tests", "src/tests/test_app.py", True),
]


@pytest.mark.parametrize(("text", "path", "expected"), CASES)
def test_is_ignored(text: str, path: str, expected: bool) -> None:
    assert DockerIgnore.parse(text).is_ignored(path) is expected


def test_enough_cases() -> None:
    assert len(CASES) >= 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# c\n\n  a/**/b  \n!  /x//y/ \n", [("a/**/b", False), ("x/y", True)]),
        ("/foo\n./bar/\nbaz/../qux", [("foo", False), ("bar", False), ("qux", False)]),
        ("  # not a comment", [("# not a comment", False)]),
    ],
)
def test_parsed_patterns(text: str, expected: list[tuple[str, bool]]) -> None:
    patterns = DockerIgnore.parse(text).patterns
    assert isinstance(patterns, tuple)
    assert [(p.pattern, p.exclusion) for p in patterns] == expected


def test_match_types() -> None:
    kinds = {
        p.pattern: p.match_type
        for p in DockerIgnore.parse("foo\nfoo/**\n**/foo\n*.txt").patterns
    }
    assert kinds == {
        "foo": MatchType.EXACT,
        "foo/**": MatchType.PREFIX,
        "**/foo": MatchType.SUFFIX,
        "*.txt": MatchType.REGEXP,
    }


def test_patterns_are_immutable() -> None:
    """Read-only for the type checker (DockerIgnore is @frozen, tests/test_records.py), and a tuple."""
    ignore = DockerIgnore.parse("foo\n!bar")
    assert isinstance(ignore.patterns, tuple)
    assert all(isinstance(p, IgnorePattern) for p in ignore.patterns)
    assert [p.text for p in ignore.patterns] == ["foo", "!bar"]


def test_empty_ignores_nothing() -> None:
    ignore = DockerIgnore()
    assert ignore.patterns == ()
    assert not ignore.is_ignored("foo")
    assert not ignore.is_ignored("a/b/c")


@pytest.mark.parametrize(
    "text",
    ["!", "! ", "[", "a\\", "[]a]", "[a-]", "[z-a]", "ok\nfile[", "x\\e"],
)
def test_invalid_patterns_raise(text: str) -> None:
    with pytest.raises(DockerIgnoreError):
        DockerIgnore.parse(text)
    assert issubclass(DockerIgnoreError, ValueError)


def test_error_mentions_line_number() -> None:
    with pytest.raises(DockerIgnoreError, match="line 3"):
        DockerIgnore.parse("foo\n# comment\n[bad")


# --- load_dockerignore ------------------------------------------------------


def test_load_context_dockerignore(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("*.log\n", encoding="utf-8")
    (tmp_path / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    ignore = load_dockerignore(tmp_path, tmp_path / "Dockerfile")
    assert ignore.is_ignored("debug.log")
    assert not ignore.is_ignored("app.py")
    assert ignore.source == tmp_path / ".dockerignore"
    # no Dockerfile given: the context's file still applies
    assert load_dockerignore(str(tmp_path), None).is_ignored("debug.log")


def test_load_per_dockerfile_ignore_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a.txt\n", encoding="utf-8")
    docker = tmp_path / "docker"
    docker.mkdir()
    dockerfile = docker / "Dockerfile.prod"
    dockerfile.write_text("FROM scratch\n", encoding="utf-8")
    specific = docker / "Dockerfile.prod.dockerignore"
    specific.write_text("b.txt\n", encoding="utf-8")

    ignore = load_dockerignore(tmp_path, dockerfile)
    assert ignore.source == specific
    assert ignore.is_ignored("b.txt")
    assert not ignore.is_ignored("a.txt")  # the context's file is not merged in

    # another Dockerfile without its own file falls back to the context's
    other = docker / "Dockerfile.dev"
    other.write_text("FROM scratch\n", encoding="utf-8")
    fallback = load_dockerignore(tmp_path, other)
    assert fallback.is_ignored("a.txt")
    assert not fallback.is_ignored("b.txt")


def test_load_default_dockerfile_name(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a.txt\n", encoding="utf-8")
    (tmp_path / "Dockerfile.dockerignore").write_text("b.txt\n", encoding="utf-8")
    ignore = load_dockerignore(tmp_path, tmp_path / "Dockerfile")
    assert ignore.is_ignored("b.txt")
    assert not ignore.is_ignored("a.txt")


def test_load_relative_dockerfile_resolved_against_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = tmp_path / "ctx"
    (context / "docker").mkdir(parents=True)
    (context / "docker" / "Dockerfile.prod.dockerignore").write_text("b.txt\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    ignore = load_dockerignore(context, "docker/Dockerfile.prod")
    assert ignore.is_ignored("b.txt")


def test_load_missing_ignores_nothing(tmp_path: Path) -> None:
    ignore = load_dockerignore(tmp_path, tmp_path / "Dockerfile")
    assert ignore.patterns == ()
    assert ignore.source is None
    assert not ignore.is_ignored("anything/at/all")
    assert load_dockerignore(tmp_path, None).patterns == ()


def test_load_strips_bom(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_bytes(
        b"\xef\xbb\xbf# comment after a BOM\nnode_modules\r\n!node_modules/keep\n"
    )
    ignore = load_dockerignore(tmp_path, None)
    assert [p.text for p in ignore.patterns] == ["node_modules", "!node_modules/keep"]
    assert ignore.is_ignored("node_modules/x/index.js")
    assert not ignore.is_ignored("node_modules/keep")


def test_load_decodes_utf8(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_bytes("données/\n".encode())
    ignore = load_dockerignore(tmp_path, None)
    assert ignore.is_ignored("données/a.csv")
    assert not ignore.is_ignored("donnees/a.csv")
