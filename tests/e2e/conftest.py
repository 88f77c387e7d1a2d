"""The end-to-end environment: a Docker engine with BuildKit, a local base image that behaves like
the official python and Debian images (docker-clean included), and a local package index that
sends caching headers, so that pip's cache can be seen at work.

Without Docker the tests are skipped and say why. `DOCKERFIX_E2E=1` (or `CI=true`, which
`.ci/run` sets) lets them install and start what they need with scripts/e2e_env.py (root and the
Debian mirrors required); under `CI=true` a missing environment fails the run instead.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "fixtures" / "e2e"
# the names the scenarios' FROM lines use; the local base image is tagged with each
BASE_NAMES = ["python:3.10.2-slim", "python:3.11-slim", "debian:bookworm-slim"]
APT3_NAMES = ["debian:trixie-slim"]  # the Debian 13 image (APT 3)
NODE_NAMES = ["node:18-bookworm-slim"]  # the base image with Debian's nodejs and npm
PHP_NAMES = ["php:8.2-cli-bookworm"]  # the base image with Debian's PHP 8.2 and Composer


def _e2e_env() -> ModuleType:
    spec = importlib.util.spec_from_file_location("e2e_env", ROOT / "scripts" / "e2e_env.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["e2e_env"] = module
    spec.loader.exec_module(module)
    return module


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _unavailable(reason: str) -> None:
    if _ci():
        pytest.fail(f"end-to-end environment unavailable under CI=true: {reason}", pytrace=False)
    pytest.skip(f"end-to-end tests skipped: {reason}")


@dataclass(frozen=True)
class Environment:
    docker: str
    index_url: str
    network: str = "host"  # the daemon runs without a bridge network


@pytest.fixture(scope="session")
def e2e() -> Iterator[Environment]:
    env = _e2e_env()
    from wheel_index import WheelIndex

    port = env.default_port()
    setup = _ci() or os.environ.get("DOCKERFIX_E2E") == "1"
    try:
        if setup:
            env.up()
        elif not (
            env.daemon_ready()
            and env.image_exists(env.base_image_tag())
            and env.image_exists(env.base_image_tag(env.APT3_SUITE))
            and all(env.image_exists(env.tool_image_tag(tool)) for tool in env.TOOL_PACKAGES)
        ):
            _unavailable("no running Docker engine with the base image; set DOCKERFIX_E2E=1 to let the tests "
                         "install and start it (root), or run `python scripts/e2e_env.py up`")
        requirements = [
            line.strip()
            for line in (SCENARIOS / "wheels.txt").read_text().splitlines()
            if line.strip() and not line.startswith("#")
        ]
        wheelhouse = env.ensure_wheelhouse(requirements)
    except env.EnvironmentProblem as exc:
        _unavailable(str(exc))
    try:
        index = WheelIndex(wheelhouse, port=port).start()  # port 0: a free port, whatever else listens
    except OSError as exc:
        _unavailable(str(exc))
    try:
        # the base images get a pip.conf for the port the index got, under the names the scenarios use
        env.tag_base(BASE_NAMES, index.port, env.base_image_tag())
        env.tag_base(APT3_NAMES, index.port, env.base_image_tag(env.APT3_SUITE))
        env.tag_base(NODE_NAMES, index.port, env.tool_image_tag("node"))
        env.tag_base(PHP_NAMES, index.port, env.tool_image_tag("php"))
    except env.EnvironmentProblem as exc:
        index.stop()
        _unavailable(str(exc))
    try:
        yield Environment(env.docker_binary(), index.url)
    finally:
        index.stop()
