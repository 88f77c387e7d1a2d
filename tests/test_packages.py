"""Reading package manager commands, base images and mount ids."""

from __future__ import annotations

import pytest

from dockerfix.document.base_images import lookup, parse_reference
from dockerfix.document.parse import parse_text
from dockerfix.document.shell import parse_shell
from dockerfix.ecosystems.commands import run_env, unwrap
from dockerfix.ecosystems.packages import APK, APT, DNF, ZYPPER, Grammar, read_call, runs_tool
from dockerfix.rules._mounts import cache_id, external_base, image_slug
from dockerfix.rules.rpm_cache import dnf_flavour


def _call(text: str, grammar: Grammar):  # type: ignore[no-untyped-def]
    (command,) = parse_shell(text).commands
    return read_call(command, grammar)


@pytest.mark.parametrize(
    ("text", "grammar", "name", "subcommand", "operands"),
    [
        ("apt-get -qq -o Acquire::Retries=3 install -y --no-install-recommends curl git", APT, "apt-get", "install", ["curl", "git"]),
        ("DEBIAN_FRONTEND=noninteractive apt install -y curl", APT, "apt", "install", ["curl"]),
        ("sudo apt-get -t bookworm-backports install curl", APT, "apt-get", "install", ["curl"]),
        ("apk --no-cache add --virtual .deps gcc", APK, "apk", "add", ["gcc"]),
        ("apk -X http://mirror/ add curl", APK, "apk", "add", ["curl"]),
        ("dnf --setopt=tsflags=nodocs -y install gcc", DNF, "dnf", "install", ["gcc"]),
        ("/usr/bin/microdnf install -y shadow-utils", DNF, "microdnf", "install", ["shadow-utils"]),
        ("zypper --non-interactive -r repo-oss in curl", ZYPPER, "zypper", "in", ["curl"]),
    ],
)
def test_read_call(text: str, grammar: Grammar, name: str, subcommand: str, operands: list[str]) -> None:
    call = _call(text, grammar)
    assert call is not None
    assert (call.name, call.subcommand, [w.value for w in call.operands]) == (name, subcommand, operands)


def test_read_call_ignores_other_tools() -> None:
    assert _call("apt-cache policy curl", APT) is None
    assert _call("pip install apk", APK) is None


def test_sudo_is_seen() -> None:
    call = _call("sudo apt-get install -y curl", APT)
    assert call is not None and call.sudo
    plain = _call("apt-get install -y curl", APT)
    assert plain is not None and not plain.sudo


@pytest.mark.parametrize(
    ("reference", "slug"),
    [
        ("python:3.12-slim", "python-3.12-slim"),
        ("docker.io/library/debian:bookworm@sha256:abc", "debian-bookworm"),
        ("ghcr.io/Org/Image:1.0", "ghcr.io-org-image-1.0"),
        ("${BASE}", "base"),
    ],
)
def test_image_slug(reference: str, slug: str) -> None:
    assert image_slug(reference) == slug


def test_external_base_follows_stages_and_global_arg_defaults() -> None:
    doc = parse_text("ARG BASE=ubuntu:24.04\nFROM ${BASE} AS a\nRUN true\nFROM a AS b\nRUN true\n")
    assert external_base(doc, doc.stages[1]) == "ubuntu:24.04"
    assert cache_id(doc, doc.stages[1], "apt-lists") == "apt-lists-ubuntu-24.04"


def test_external_base_without_a_default_keeps_the_text() -> None:
    doc = parse_text("ARG BASE\nFROM $BASE\nRUN true\n")
    assert external_base(doc, doc.stages[0]) == "$BASE"


@pytest.mark.parametrize(
    ("command", "base", "flavour"),
    [
        ("dnf install -y x", "fedora:42", "dnf5"),
        ("dnf install -y x", "fedora", "dnf5"),
        ("dnf install -y x", "fedora:40", "dnf4"),
        ("dnf install -y x", "rockylinux:9", "dnf4"),
        ("yum install -y x", "almalinux:8", "dnf4"),
        ("dnf install -y x", "quay.io/centos/centos:stream9", "dnf4"),
        ("microdnf install -y x", "registry.access.redhat.com/ubi9/ubi-minimal:9.4", "microdnf"),
        ("dnf install -y x", "amazonlinux:2023", "dnf4"),
        ("yum install -y x", "amazonlinux:2", None),
        ("yum install -y x", "centos:7", None),
        ("dnf install -y x", "registry.example.com/base:1", None),
        ("dnf5 install -y x", "registry.example.com/base:1", "dnf5"),
    ],
)
def test_dnf_flavour(command: str, base: str, flavour: str | None) -> None:
    call = _call(command, DNF)
    assert call is not None
    assert dnf_flavour(call, lookup(parse_reference(base)).facts) == flavour


@pytest.mark.parametrize(
    ("text", "grammar", "mentioned"),
    [
        ("apt-get install -y curl", APT, True),
        ("/usr/bin/apt-get install -y curl", APT, True),
        ('["apt", "install"]', APT, True),
        ("rm -rf /var/lib/apt/lists/*", APT, False),
        ("apt-cache policy", APT, False),
        ("apk add curl", APK, True),
        ("cp x.apk /tmp", APK, False),
        ("microdnf install x", DNF, True),
    ],
)
def test_runs_tool(text: str, grammar: Grammar, mentioned: bool) -> None:
    assert runs_tool(text, grammar) is mentioned


def test_run_env_expands_assignments_in_order_and_applies_env_u() -> None:
    doc = parse_text("FROM python:3.12\nENV A=old C=set\nRUN A=1 B=$A env -u C pip install x\n")
    run = doc.instructions[-1]
    (command,) = run.script.commands
    inv = unwrap(command)
    assert inv is not None
    env = run_env(doc.state(run), inv)
    assert env["A"] == "1" and env["B"] == "1"  # B sees the A before it, as the shell does
    assert "C" not in env


def test_read_call_is_read_once_per_command_and_grammar() -> None:
    (command,) = parse_shell("apt-get install -y curl").commands
    first = read_call(command, APT)
    assert first is not None and read_call(command, APT) is first
    assert read_call(command, APK) is None  # what one grammar read is not another's answer
    (another,) = parse_shell("apt-get install -y git").commands
    other = read_call(another, APT)
    assert other is not None and other.invocation.command is another and other.operands[0].value == "git"


def test_package_rules_take_the_runs_that_name_their_tools_in_order() -> None:
    from dockerfix.rules._package_cache import _candidates

    doc = parse_text(
        "FROM debian\n"
        "RUN apt-get update && apk add curl\n"
        "ONBUILD RUN true\n"
        "RUN echo hi\n"
        "FROM alpine\n"
        "RUN /sbin/apk add git\n"
        "RUN apt install vim\n"
    )
    lines = lambda names: [inst.line_no for _, inst in _candidates(doc, frozenset(names))]  # noqa: E731
    assert lines({"apt-get", "apt"}) == [2, 3, 7]  # ONBUILD is always looked at
    assert lines({"apk"}) == [2, 3, 6]
    assert lines({"zypper"}) == [3]
    stages = [stage.index for stage, _ in _candidates(doc, frozenset({"apk"}))]
    assert stages == [0, 0, 1]
