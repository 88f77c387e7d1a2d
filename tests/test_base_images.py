"""The table of base images: reading FROM references, matching tags, the table's own shape, the
state a known image starts a stage with, and `dockerfix explain`."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpers import ROOT, fix_text
from test_cli import run_main

from dockerfix.document import base_images
from dockerfix.document.base_images import (
    FIELDS,
    USER_FIELDS,
    ImageFacts,
    TableError,
    _facts,
    entries,
    lookup,
    validate,
    parse_reference,
    raw_table,
)
from dockerfix.document.parse import parse_text
from dockerfix.render.base_images import table_json
from dockerfix.document.state import IMAGE_WORKDIR, shell_program
from dockerfix.settings import Settings


def matched(reference: str, args: dict[str, str | None] | None = None) -> ImageFacts | None:
    return lookup(parse_reference(reference, args)).facts


@pytest.mark.parametrize(
    ("written", "name", "tag", "digest"),
    [
        ("python:3.12", "python", "3.12", None),
        ("docker.io/library/python:3.12-slim", "python", "3.12-slim", None),
        ("index.docker.io/library/python", "python", "latest", None),
        ("library/python:3", "python", "3", None),
        ("docker.io/mambaorg/micromamba:1.5.8", "mambaorg/micromamba", "1.5.8", None),
        ("Quay.io/Jupyter/base-notebook", "quay.io/jupyter/base-notebook", "latest", None),
        ("localhost:5000/python:3.12", "localhost:5000/python", "3.12", None),
        ("python:3.12@sha256:abcd", "python", "3.12", "sha256:abcd"),
        ("python@sha256:abcd", "python", None, "sha256:abcd"),
        ("registry.example.com/library/python:3", "registry.example.com/library/python", "3", None),
    ],
)
def test_references_are_normalised(written: str, name: str, tag: str | None, digest: str | None) -> None:
    ref = parse_reference(written)
    assert (ref.name, ref.tag, ref.digest, ref.problem) == (name, tag, digest, None)


def test_variables_are_filled_in_only_in_the_tag() -> None:
    ref = parse_reference("python:${PY}-slim", {"PY": "3.12"})
    assert (ref.name, ref.tag) == ("python", "3.12-slim")
    assert matched("python:${PY}-slim-bookworm", {"PY": "3.11"}).distro_version == "12"  # type: ignore[union-attr]
    assert "without a default" in (parse_reference("python:${PY}", {"PY": None}).problem or "")
    assert "without a default" in (parse_reference("python:$PY", {}).problem or "")
    assert "build argument" in (parse_reference("${BASE}", {"BASE": "python:3.12"}).problem or "")
    assert "build argument" in (parse_reference("$REGISTRY/python:3.12", {"REGISTRY": "docker.io"}).problem or "")
    assert lookup(parse_reference("${BASE}", {"BASE": "python"})).facts is None


def test_a_digest_alone_matches_only_entries_that_hold_for_every_tag() -> None:
    assert matched("python@sha256:abcd") is None
    assert "digest alone" in (lookup(parse_reference("python@sha256:abcd")).why or "")
    assert matched("quay.io/jupyter/base-notebook@sha256:abcd").id == "jupyter"  # type: ignore[union-attr]
    assert matched("python:3.12-slim@sha256:abcd").id == "python"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("reference", "entry"),
    [
        ("python:3.12-windowsservercore-ltsc2022", "python-windows"),
        ("golang:1.23-nanoserver-ltsc2022", "golang-windows"),
        ("mcr.microsoft.com/windows/servercore:ltsc2022", "windows"),
        ("mcr.microsoft.com/dotnet/sdk:8.0-nanoserver-ltsc2022", "dotnet-windows"),
        ("eclipse-temurin:21-windowsservercore", "eclipse-temurin-windows"),
    ],
)
def test_windows_tags(reference: str, entry: str) -> None:
    facts = matched(reference)
    assert facts is not None and facts.id == entry and facts.windows is True


@pytest.mark.parametrize(
    ("reference", "entry", "fact", "value"),
    [
        ("debian:bookworm-slim", "debian-12", "distro_version", "12"),
        ("debian:13", "debian-13", "distro_version", "13"),
        ("debian:trixie-20250101-slim", "debian-13", "docker_clean", True),
        ("python:3.12-slim-bookworm", "python-12", "distro_version", "12"),
        ("python:3.13-trixie", "python-13", "distro_version", "13"),
        ("python:3.12-slim", "python", "distro_version", None),  # the suite of a moving tag
        ("python:3.12-alpine3.20", "python-alpine", "package_manager", "apk"),
        ("fedora:40", "fedora-dnf4", "package_manager", "dnf4"),
        ("fedora:41", "fedora-dnf5", "package_manager", "dnf5"),
        ("fedora:latest", "fedora-dnf5", "package_manager", "dnf5"),
        ("rockylinux:9-minimal", "rockylinux-minimal", "package_manager", "microdnf"),
        ("almalinux:9", "almalinux", "package_manager", "dnf4"),
        ("amazonlinux:2", "amazonlinux-2", "package_manager", "yum"),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", "ubi-minimal", "package_manager", "microdnf"),
        ("redhat/ubi9", "ubi", "package_manager", "dnf4"),
        ("opensuse/leap:15.6", "opensuse", "package_manager", "zypper"),
        ("golang:1.23-alpine", "golang-alpine", "workdir", "/go"),
        ("php:8.3-apache", "php-web", "workdir", "/var/www/html"),
        ("php:8.3-cli", "php", "workdir", "/"),
        ("composer:2", "composer", "workdir", "/app"),
        ("gcr.io/distroless/static-debian12:nonroot", "distroless-nonroot", "user", "65532"),
        ("gcr.io/distroless/static-debian12", "distroless", "user", "root"),
        ("jupyter/scipy-notebook:latest", "jupyter", "user", "1000"),
        ("mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled", "dotnet-chiseled", "user", "1654"),
        ("condaforge/miniforge3:24.3.0-0", "miniforge3", "conda_prefix", "/opt/conda"),
    ],
)
def test_tags_are_told_apart(reference: str, entry: str, fact: str, value: object) -> None:
    facts = matched(reference)
    assert facts is not None and facts.id == entry
    assert getattr(facts, fact) == value


def test_users_of_the_image() -> None:
    def users(reference: str) -> dict[str, tuple[int | None, int | None, str | None]]:
        facts = matched(reference)
        assert facts is not None
        return {u.name: (u.uid, u.gid, u.home) for u in facts.users}

    assert users("ubuntu:24.04")["ubuntu"] == (1000, 1000, "/home/ubuntu")
    assert "ubuntu" not in users("ubuntu:22.04")
    assert users("node:22-alpine")["node"] == (1000, 1000, "/home/node")
    assert users("quay.io/jupyter/base-notebook")["jovyan"] == (1000, 100, "/home/jovyan")
    assert "ubuntu" not in users("gradle:jdk21")  # renamed to gradle there
    assert users("gradle:jdk21")["gradle"] == (1000, 1000, "/home/gradle")


def test_tags_the_table_cannot_place_stay_unknown() -> None:
    for reference in ("python:3.12-forky", "golang:1.23-bullseye", "fedora:41-weird", "registry.example.com/python:3"):
        assert matched(reference) is None, reference


def test_every_entry_cites_a_source_and_has_only_known_fields() -> None:
    raw = raw_table()
    assert len(raw) == len(entries()) > 50
    for item in raw:
        assert set(item) <= FIELDS, item["id"]
        assert isinstance(item.get("source"), str) and item["source"].strip(), item["id"]
        assert item.get("names"), item["id"]
        for user in item.get("users", []):
            assert set(user) <= USER_FIELDS and "name" in user
    covered = {n for item in raw for n in item["names"]}
    for name in (
        "python", "node", "golang", "rust", "ruby", "php", "composer", "eclipse-temurin", "maven", "gradle",
        "debian", "ubuntu", "alpine", "fedora", "rockylinux", "almalinux", "amazonlinux", "opensuse/leap",
        "opensuse/tumbleweed", "mambaorg/micromamba", "continuumio/miniconda3", "condaforge/miniforge3",
        "nvidia/cuda", "mcr.microsoft.com/dotnet/sdk", "mcr.microsoft.com/dotnet/aspnet",
        "mcr.microsoft.com/dotnet/runtime", "quay.io/jupyter/*", "jupyter/*", "gcr.io/distroless/*",
        "registry.access.redhat.com/ubi9/ubi-minimal", "registry.access.redhat.com/ubi8", "registry.access.redhat.com/ubi10",
    ):  # fmt: skip
        assert name in covered, name


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"id": "x", "names": ["x"]}, "source"),
        ({"id": "x", "names": ["x"], "source": "s", "colour": "red"}, "unknown fields"),
        ({"id": "x", "names": ["x"], "source": "s", "package_manager": "pacman"}, "package manager"),
        ({"id": "x", "names": ["x"], "source": "s", "docker_clean": "yes"}, "must be a bool"),
        ({"id": "x", "names": ["x"], "source": "s", "from": "nothing"}, "names no earlier entry"),
        ({"id": "x", "names": ["x"], "source": "s", "users": [{"uid": 1}]}, "a user has a name"),
    ],
)
def test_a_malformed_entry_is_refused(item: dict[str, object], problem: str) -> None:
    with pytest.raises(TableError, match=problem):
        _facts(item, {})


def test_the_table_ships_with_the_package() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for name in ("base_images.toml", "base_images.json"):
        assert name in pyproject["tool"]["setuptools"]["package-data"]["dockerfix.data"]
        assert (ROOT / "src" / "dockerfix" / "data" / name).is_file()


def test_the_json_the_package_reads_is_the_toml() -> None:
    """Regenerate with scripts/generate_docs.py after editing base_images.toml."""
    assert (ROOT / "src" / "dockerfix" / "data" / "base_images.json").read_text(encoding="utf-8") == table_json()
    assert base_images._raw() == raw_table()


def test_every_entry_of_the_table_builds() -> None:
    validate()  # raises TableError on a malformed entry


def test_a_repeated_id_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [{"id": "x", "names": ["x"], "source": "s"}, {"id": "x", "names": ["y"], "source": "s"}]
    monkeypatch.setattr(base_images, "_raw", lambda: items)
    clear_table_caches()
    with pytest.raises(TableError, match="repeated id"):
        validate()


def test_an_entry_builds_its_parent_first(monkeypatch: pytest.MonkeyPatch) -> None:
    items = [
        {"id": "base", "names": ["base"], "source": "s", "user": "app", "env": {"A": "1"}},
        {"id": "other", "names": ["other"], "source": "s"},
        {"id": "child", "names": ["child"], "source": "s", "from": "base", "env": {"B": "2"}},
    ]
    monkeypatch.setattr(base_images, "_raw", lambda: items)
    clear_table_caches()
    facts = lookup(parse_reference("child:1")).facts
    assert facts is not None and (facts.user, dict(facts.env)) == ("app", {"A": "1", "B": "2"})


def test_a_known_image_starts_the_stage_with_its_facts() -> None:
    doc = parse_text(
        "FROM mambaorg/micromamba:1.5.8 AS env\nRUN true\n"
        "FROM env\nRUN true\n"
        "FROM registry.example.com/base:1\nRUN true\n"
        "FROM scratch\nCOPY x /x\n"
        "FROM quay.io/jupyter/base-notebook\nRUN true\n"
    )
    micromamba, child, unknown, scratch, jupyter = (doc.state(doc.instructions[i]) for i in (1, 3, 5, 7, 9))
    assert (micromamba.user, micromamba.workdir, micromamba.env["MAMBA_ROOT_PREFIX"]) == ("mambauser", "/tmp", "/opt/conda")
    assert micromamba.users["mambauser"].uid == 57439
    assert shell_program(micromamba) == "bash"
    assert child.user == "mambauser" and child.image is micromamba.image  # FROM a stage inherits
    assert (unknown.user, unknown.workdir, unknown.image, dict(unknown.env)) == (None, IMAGE_WORKDIR, None, {})
    assert (scratch.workdir, scratch.user, dict(scratch.env)) == ("/", None, {})
    assert jupyter.shell == ("/bin/bash", "-o", "pipefail", "-c") and shell_program(jupyter) == "bash"


def clear_table_caches() -> None:
    for cached in (base_images._entry, base_images._positions, base_images._named_entries):
        cached.cache_clear()


@pytest.fixture(autouse=True)
def _fresh_table() -> Iterator[None]:
    """A test that swaps the table in leaves no entry of it in the caches."""
    yield
    clear_table_caches()


def test_pip_unsets_a_no_cache_variable_the_base_image_sets(monkeypatch: pytest.MonkeyPatch) -> None:
    """No image in the table sets PIP_NO_CACHE_DIR today; one that did would be handled like an
    ENV of the Dockerfile."""
    item = {"id": "pipless", "source": "test", "names": ["example/pipless"], "user": "root", "workdir": "/",
            "env": {"PIP_NO_CACHE_DIR": "1"}}  # fmt: skip
    monkeypatch.setattr(base_images, "_raw", lambda: [item])
    clear_table_caches()
    monkeypatch.setattr(base_images, "_raw", lambda: [item])
    out, findings = fix_text("FROM example/pipless:1\nRUN pip install flask\n", settings=Settings(select=("DFX201",)))
    assert "env -u PIP_NO_CACHE_DIR pip install flask" in out
    assert "the ENV of the base image example/pipless:1 disables pip's cache" in findings[0].message


def test_explain_names_the_entry_its_source_and_facts(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "ARG TAG=3.12-slim\nFROM python:${TAG} AS build\nFROM build\nFROM registry.example.com/base:1\n", encoding="utf-8"
    )
    result = run_main(capsysbinary, "explain", str(dockerfile))
    assert result.code == 0
    out = result.out
    assert "stage 1 (line 2): FROM python:${TAG} AS build" in out
    assert "image: python:3.12-slim (build arguments filled in with their defaults)" in out
    assert "matched: python\n" in out and "source: https://github.com/docker-library/python" in out
    assert "WORKDIR: /\n" in out and "package manager: apt" in out
    assert "starts from stage 'build'" in out
    assert "matched: not known (registry.example.com/base is not in the table of known images)" in out


def test_explain_refuses_bad_input_with_exit_2(tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_bytes(b"FROM x\n\x80\n")
    result = run_main(capsysbinary, "explain", str(bad))
    assert result.code == 2 and "not valid UTF-8" in result.err
    result = run_main(capsysbinary, "explain", str(tmp_path / "missing"))
    assert result.code == 2 and "cannot read" in result.err


def test_the_table_is_read_through_importlib_resources_where_it_is_not_on_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    from dockerfix.document import base_images

    on_disk = base_images._data_file("base_images.json")

    def missing(*args: object, **kwargs: object) -> None:
        raise FileNotFoundError("inside a zip file")

    monkeypatch.setattr(base_images, "open", missing, raising=False)
    assert base_images._data_file("base_images.json") == on_disk
