"""The small readers behind build-context discovery: the YAML subset, JSON with comments, the
HCL subset, `docker build` command lines, and Dockerfile path patterns."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dockerfix.context.build_commands import docker_builds
from dockerfix.context.hcl_subset import HclError, parse_hcl
from dockerfix.context.jsonc import parse_jsonc
from dockerfix.context.readers import makefile_references
from dockerfix.context.sources import pattern_matches
from dockerfix.context.yaml_subset import Node, YamlError, parse_yaml


def plain(node: Node) -> object:
    if isinstance(node.value, dict):
        return {k: plain(v) for k, v in node.value.items()}
    if isinstance(node.value, tuple):
        return [plain(v) for v in node.value]
    return node.value


def yaml(text: str) -> Node:
    return parse_yaml(textwrap.dedent(text).lstrip("\n"))


def test_yaml_block_mappings_sequences_and_scalars() -> None:
    doc = yaml("""
        # a comment
        services:
          api:
            build: ./api   # trailing comment
            image: "x:1"
            command: ['a', "b c", d]
            environment: {A: '1', B: it's}
            labels:
            - one
            - "two # not a comment"
            empty:
            nothing: ~
          list:
            - key: v
              other: w
            - - n
              - m
        """)
    assert plain(doc) == {
        "services": {
            "api": {"build": "./api", "image": "x:1", "command": ["a", "b c", "d"],
                    "environment": {"A": "1", "B": "it's"}, "labels": ["one", "two # not a comment"],
                    "empty": None, "nothing": None},
            "list": [{"key": "v", "other": "w"}, ["n", "m"]],
        }
    }  # fmt: skip
    api = doc.get("services").get("api")  # type: ignore[union-attr]
    assert api is not None
    assert [api.get(k).line for k in ("build", "image", "labels")] == [4, 5, 9]  # type: ignore[union-attr]


def test_yaml_anchors_aliases_and_merge_keys() -> None:
    doc = yaml("""
        x-base: &base
          build:
            context: ..
          restart: always
        services:
          a:
            <<: *base
            restart: "no"
          b: *base
        """)
    services = plain(doc)["services"]  # type: ignore[index]
    assert services["a"] == {"build": {"context": ".."}, "restart": "no"}
    assert services["b"] == {"build": {"context": ".."}, "restart": "always"}


def test_yaml_block_scalars_keep_their_first_line() -> None:
    doc = yaml("""
        steps:
          - run: |
              cd api  # kept: inside a block scalar
              docker build .

          - run: >-
              docker build
              -f x .
          - run: |+
              keep

        after: 1
        """)
    steps = doc.get("steps")
    assert steps is not None
    first, second, third = steps.items
    assert first.get("run").text == "cd api  # kept: inside a block scalar\ndocker build .\n"  # type: ignore[union-attr]
    assert first.get("run").line == 3  # type: ignore[union-attr]
    assert second.get("run").text == "docker build -f x ."  # type: ignore[union-attr]
    assert third.get("run").text == "keep\n\n"  # type: ignore[union-attr]
    assert doc.get("after").text == "1"  # type: ignore[union-attr]


def test_yaml_a_kept_block_scalar_at_the_end_of_the_file_ends_with_its_own_lines() -> None:
    assert parse_yaml("a: |+\n  x\n\n").get("a").text == "x\n\n"  # type: ignore[union-attr]
    assert parse_yaml("a: |+\n  x\n").get("a").text == "x\n"  # type: ignore[union-attr]


def test_yaml_flow_collections_over_several_lines_and_quoted_escapes() -> None:
    doc = yaml("""
        a: [one,
            "t\\u0077o", # comment
            three]
        b: "tab\\there"
        c: 'it''s'
        """)
    assert plain(doc) == {"a": ["one", "two", "three"], "b": "tab\there", "c": "it's"}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: !reset null\n", 1, "tags are not read"),
        ("a: 1\n---\nb: 2\n", 2, "a second document is not read"),
        ("a:\n\t- x\n", 2, "a tab in the indentation"),
        ("? complex\n: value\n", 1, "complex mapping keys"),
        ("a: 1\na: 2\n", 2, "duplicate key 'a'"),
        ("a: [1, 2\n", 1, "unterminated flow collection"),
        ('a: "open\n  close"\n', 1, "unterminated double quote"),
        ("a: *nowhere\n", 1, "unknown alias"),
        ("a:\n  b: 1\n   c: 2\n", 3, "unexpected indentation"),
        ("%YAML 1.2\n---\na: 1\n", 1, "directives"),
    ],
)
def test_yaml_gives_up_with_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(YamlError) as info:
        parse_yaml(text)
    assert info.value.line == line
    assert message in info.value.message


def test_jsonc_comments_trailing_commas_and_lines() -> None:
    doc = parse_jsonc('// head\n{\n  "build": {\n    /* note */ "dockerfile": "Dockerfile", // x\n    "context": "..",\n  },\n  "url": "http://a//b",\n}\n')
    assert plain(doc) == {"build": {"dockerfile": "Dockerfile", "context": ".."}, "url": "http://a//b"}
    assert doc.get("build").get("context").line == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "message"), [("[1, 2]", "expected a JSON object"), ('{"a": 1 /* open', "unterminated"), ('{"a" 1}', "expected ':'")])
def test_jsonc_gives_up(text: str, message: str) -> None:
    with pytest.raises(YamlError) as info:
        parse_jsonc(text)
    assert message in info.value.message


def test_hcl_blocks_attributes_and_unknown_expressions() -> None:
    attrs, blocks = parse_hcl(textwrap.dedent('''
        # comment
        variable "TAG" { default = "1" }
        target "app" {
          context = "."   // comment
          dockerfile = "${DIR}/Dockerfile"
          args = { A = "b" }
          tags = ["app:${TAG}", "app:latest"]
          platforms = split(",", PLATFORMS)
          script = <<EOT
          echo hi
          EOT
          /* block
             comment */
          escaped = "$${literal}"
        }
        '''))  # fmt: skip
    assert attrs == {}
    variable, target = blocks
    assert (variable.type, variable.labels, variable.attributes["default"].text) == ("variable", ("TAG",), "1")
    a = target.attributes
    assert (a["context"].kind, a["context"].text, a["context"].line) == ("string", ".", 5)
    assert (a["dockerfile"].kind, a["dockerfile"].source) == ("unknown", '"${DIR}/Dockerfile"')
    assert [i.kind for i in a["tags"].items] == ["unknown", "string"]
    assert a["platforms"].kind == "unknown"
    assert a["args"].kind == "unknown"
    assert a["escaped"].text == "${literal}"


@pytest.mark.parametrize(
    ("text", "message"),
    [('target "a" {\n  context = "open\n}\n', "unterminated string"), ('target "a" {\n  context = "."\n', "unterminated block"),
     ('target "a" {\n  = "."\n}\n', "unexpected '='"), ('target "a" {\n  context = "."\n  context = ".."\n}\n', "set twice")],
)  # fmt: skip
def test_hcl_gives_up_with_the_line(text: str, message: str) -> None:
    with pytest.raises(HclError) as info:
        parse_hcl(text)
    assert message in info.value.message


def builds(text: str, cwd: str | None = "/r") -> list[tuple[str | None, str | None, str | None, str | None, int]]:
    return [(b.dockerfile, b.dockerfile_pattern, b.context, b.unknown, b.line) for b in docker_builds(text, cwd, 10)]


def test_docker_build_lines() -> None:
    assert builds("docker build -t app .") == [("/r/Dockerfile", "/r/Dockerfile", "/r", None, 10)]
    assert builds("echo hi\nsudo docker buildx build --push --file=docker/Dockerfile \\\n  --build-arg A=1 api") == [
        ("/r/docker/Dockerfile", "/r/docker/Dockerfile", "/r/api", None, 11)
    ]
    assert builds("cd svc && docker image build -fbuild/Dockerfile ..") == [("/r/svc/build/Dockerfile", "/r/svc/build/Dockerfile", "/r", None, 10)]
    assert builds("podman build -q -t x:1 -f Containerfile ctx") == [("/r/Containerfile", "/r/Containerfile", "/r/ctx", None, 10)]


def test_docker_build_lines_that_build_no_local_dockerfile() -> None:
    assert builds("docker build - < Dockerfile") == []
    assert builds("docker build https://github.com/a/b.git") == []
    assert builds("docker build -f - .") == []
    assert builds("docker build") == []
    assert builds("docker run --rm app build") == []
    assert builds("echo docker build .") == []


def test_docker_build_lines_with_what_is_not_known() -> None:
    assert builds("docker build -f $DOCKERFILE .") == [(None, "/r/*", "/r", None, 10)]
    assert builds('docker build -f "docker/${SVC}.Dockerfile" .') == [(None, "/r/docker/*.Dockerfile", "/r", None, 10)]
    assert builds("docker build -t x $(CTX)") == [(None, "/r/*/Dockerfile", None, "the context `$(CTX)` is not known", 10)]
    (unknown_cd,) = builds("cd $DIR\n\ndocker build .")
    assert unknown_cd[:3] == (None, "*/Dockerfile", None)
    assert unknown_cd[3] == "the folder of `cd $DIR` (line 10) is not known"
    assert builds("docker build .", None)[0][3] == "the working folder is not known"
    assert builds("docker build --new-flag .")[0][1:4] == ("*", None, "`docker build` has an option it cannot read (--new-flag)")
    assert builds("docker build $ARGS .")[0][3] == "the arguments `$ARGS .` of `docker build` are not known"
    assert builds("docker build . <<EOF\nx\nEOF")[0][3] is not None


@pytest.mark.parametrize(
    ("pattern", "path", "expected"),
    [
        ("/r/docker/Dockerfile", "/r/docker/Dockerfile", True),
        ("/r/docker/Dockerfile", "/r/Dockerfile", False),
        ("/r/*", "/r/any/where/Dockerfile.dev", True),
        ("/r/*/Dockerfile", "/elsewhere/Dockerfile", True),
        ("/r/*/Dockerfile", "/r/Containerfile", False),
        ("/r/docker/*.Dockerfile", "/r/docker/api.Dockerfile", True),
        ("/r/docker/*.Dockerfile", "/r/docker/Dockerfile", False),
        ("*", "/x/Dockerfile", True),
    ],
)
def test_dockerfile_patterns(pattern: str, path: str, expected: bool) -> None:
    assert pattern_matches(pattern, path) is expected


@pytest.mark.parametrize(
    ("makefile", "context"),
    [
        ("CTX = api\nbuild:\n\tdocker build -f api/Dockerfile $(CTX)\n", "/r/api"),
        ("export CTX := api\nbuild:\n\tdocker build -f api/Dockerfile ${CTX}\n", "/r/api"),
        # what `make CTX=...` or the environment is expected to set is not known
        ("CTX ?= api\nbuild:\n\tdocker build -f api/Dockerfile $(CTX)\n", None),
        ("CTX = api\nCTX += web\nbuild:\n\tdocker build -f api/Dockerfile $(CTX)\n", None),
        ("ifdef CI\nCTX = api\nendif\nbuild:\n\tdocker build -f api/Dockerfile $(CTX)\n", None),
        ("CTX = $(ROOT)/api\nbuild:\n\tdocker build -f api/Dockerfile $(CTX)\n", None),
        ("build:\n\tdocker build -f api/Dockerfile $(CTX)\n", None),
    ],
)
def test_makefile_variables_set_once_to_a_plain_value(makefile: str, context: str | None) -> None:
    refs = makefile_references(Path("/r/Makefile"), makefile)
    assert [(r.dockerfile, r.context) for r in refs] == [("/r/api/Dockerfile", context)]
