"""The local container engine: finding a Docker client that can build with BuildKit (or Podman,
which builds with Buildah), building, exporting and inspecting images. Everything goes through
the engine's command line."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

from dockerfix.records import frozen
from dockerfix.verify.buildlog import Step, parse_buildah_log, parse_log
from dockerfix.verify.filesystem import Entry, snapshot

HELP = (
    "dockerfix verify needs a Docker engine that builds with BuildKit: Docker 23 or later, "
    "Docker 20.10+ (it sets DOCKER_BUILDKIT=1), or docker buildx. On Debian or Ubuntu: "
    "`apt-get install docker.io` and start the daemon (`dockerd &` as root); elsewhere see "
    "https://docs.docker.com/engine/install/. Point dockerfix at a client with DOCKERFIX_DOCKER=/path/to/docker. "
    "Podman 4 or later works too (`--docker podman`)."
)
PODMAN_MINIMUM = (4, 0)  # Buildah's RUN --mount=type=cache, and cache mounts kept between builds


class DockerUnavailable(RuntimeError):
    """No usable Docker engine; the message says what is missing and how to get it."""


@frozen
class BuildResult:
    ok: bool
    seconds: float
    log: str
    steps: tuple[Step, ...]


def _run(argv: Sequence[str], env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(argv), capture_output=True, text=True, env=env, timeout=timeout, check=False)


def stop(proc: subprocess.Popen[str], grace: float = 20) -> None:
    """Stop a build: the client cancels it on SIGINT, as on Ctrl-C; killed if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGINT)
    try:
        proc.communicate(timeout=grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()


def _version(text: str) -> tuple[int, ...]:
    m = re.match(r"(\d+)\.(\d+)", text.strip())
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


@frozen
class Engine:
    docker: str  # the client binary
    buildx: bool  # build with `docker buildx build --load`
    client: str
    server: str
    podman: bool = False  # Podman: Buildah builds, whose log has its own shape

    @property
    def description(self) -> str:
        if self.podman:
            return f"Podman {self.server} ({self.docker}, Buildah)"
        how = "buildx" if self.buildx else "DOCKER_BUILDKIT=1"
        return f"Docker {self.server} ({self.docker}, {how})"

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["DOCKER_BUILDKIT"] = "1"
        env.setdefault("BUILDKIT_PROGRESS", "plain")
        return env

    def build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        *,
        no_cache: bool = False,
        network: str | None = None,
        timeout: float = 3600,
    ) -> BuildResult:
        argv = [self.docker, "buildx", "build", "--load"] if self.buildx else [self.docker, "build"]
        argv += ["-t", tag, "-f", str(dockerfile)] if self.podman else ["--progress=plain", "-t", tag, "-f", str(dockerfile)]
        if no_cache:
            argv.append("--no-cache")
        if network:
            argv += ["--network", network]
        argv.append(str(context))
        start = time.monotonic()
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=self._env()) as proc:
            try:
                log, _ = proc.communicate(timeout=timeout)
            except BaseException:  # a timeout, or a signal that stops the verification
                stop(proc)
                raise
        seconds = time.monotonic() - start
        steps = parse_buildah_log(log) if self.podman else parse_log(log)
        return BuildResult(proc.returncode == 0, seconds, log, tuple(steps))

    def files(self, image: str) -> dict[str, Entry]:
        """The image's file system, read through `docker export` of a container never started."""
        created = _run([self.docker, "create", image, "dockerfix-verify"])
        if created.returncode != 0:
            raise RuntimeError(f"docker create {image}: {created.stderr.strip()}")
        container = created.stdout.strip()
        try:
            with subprocess.Popen([self.docker, "export", container], stdout=subprocess.PIPE) as proc:
                assert proc.stdout is not None
                entries = snapshot(proc.stdout)
            if proc.returncode != 0:
                raise RuntimeError(f"docker export {image} failed")
            return entries
        finally:
            _run([self.docker, "rm", "-f", container])

    def config(self, image: str) -> dict[str, object]:
        proc = _run([self.docker, "image", "inspect", "--format", "{{json .Config}}", image])
        if proc.returncode != 0:
            raise RuntimeError(f"docker image inspect {image}: {proc.stderr.strip()}")
        value = json.loads(proc.stdout)
        return value if isinstance(value, dict) else {}

    def remove(self, *images: str) -> None:
        if images:
            _run([self.docker, "image", "rm", "-f", *images])


def _candidates(preferred: str | None) -> list[str]:
    if preferred:
        return [preferred]
    folders = [f for f in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/usr/local/bin"] if f]
    # every docker client first, then Podman: Docker is used where both are installed
    paths = [shutil.which("docker", path=folder) for folder in folders] + [shutil.which("podman")]
    found: list[str] = []
    for path in paths:
        if path and os.path.realpath(path) not in {os.path.realpath(f) for f in found}:
            found.append(path)
    return found


def _podman(binary: str) -> Engine | str | None:
    """The engine when ``binary`` is a Podman (also behind a `docker` name: podman-docker) that
    can verify; why not when it is a Podman that cannot; None when it is not a Podman."""
    try:
        proc = _run([binary, "--version"], timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.match(r"podman version (\S+)", proc.stdout.strip())
    if proc.returncode != 0 or m is None:
        return None
    version = m.group(1)
    if _version(version) < PODMAN_MINIMUM:
        return f"{binary}: Podman {version} has no cache mounts for builds (Podman 4 or later)"
    try:
        info = _run([binary, "info", "--format", "{{.Store.GraphDriverName}}"], timeout=60)
    except subprocess.TimeoutExpired:
        return f"{binary}: `podman info` did not answer within 60 s (another podman holding its storage lock?)"
    if info.returncode != 0:
        return f"{binary}: {(info.stderr.strip().splitlines() or ['podman info failed'])[-1]}"
    return Engine(binary, False, version, version, podman=True)


def find_engine(preferred: str | None = None) -> Engine:
    """A client that reaches a daemon and can build with BuildKit.

    Docker clients from 23 on build with BuildKit only through buildx; older ones (20.10, 22.x)
    do with DOCKER_BUILDKIT=1. The first client that works wins; DOCKERFIX_DOCKER names one."""
    preferred = preferred or os.environ.get("DOCKERFIX_DOCKER")
    candidates = _candidates(preferred)
    if not candidates:
        raise DockerUnavailable("no `docker` command found. " + HELP)
    problems: list[str] = []
    for docker in candidates:
        podman = _podman(docker)
        if isinstance(podman, Engine):
            return podman
        if podman is not None:
            problems.append(podman)
            continue
        try:
            version = _run([docker, "version", "--format", "{{.Client.Version}} {{.Server.Version}}"], timeout=30)
        except (OSError, subprocess.TimeoutExpired) as exc:
            problems.append(f"{docker}: {exc}")
            continue
        parts = version.stdout.split()
        if version.returncode != 0 or len(parts) < 2:
            reason = (version.stderr.strip().splitlines() or ["no answer"])[-1]
            problems.append(f"{docker}: {reason}")
            continue
        client, server = parts[0], parts[1]
        buildx = _run([docker, "buildx", "version"], timeout=30).returncode == 0
        if not buildx and _version(client) >= (23, 0):
            problems.append(f"{docker}: client {client} builds with BuildKit only through buildx, which is missing")
            continue
        if _version(server) < (18, 9):
            problems.append(f"{docker}: engine {server} has no BuildKit")
            continue
        return Engine(docker, buildx, client, server)
    raise DockerUnavailable("; ".join(problems) + ". " + HELP)
