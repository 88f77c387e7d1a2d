"""Prepare a machine for dockerfix's end-to-end tests.

The end-to-end tests build real images with Docker BuildKit, with and without the rewrites dockerfix applies,
and compare what the build cache does. They need:

* the Docker engine (``docker.io``) and ``debootstrap``, installed from the Debian mirrors;
* a running ``dockerd``;
* a local base image made with debootstrap that behaves like the official ``python`` images;
* at test time, a thin layer on it whose pip points at the local PEP 503 index (``tests/e2e/wheel_index.py``),
  which listens on a port chosen when it starts, so that pip's HTTP cache can be observed;
* a folder of wheels ("wheelhouse") for that index to serve.

Every step is idempotent and returns quickly when its work is already done.

Usage::

    python scripts/e2e_env.py up

The index binds a free port chosen at run time (``DOCKERFIX_E2E_PORT`` fixes one instead); the base images
do not depend on it: ``tag_base`` adds pip's and uv's configuration for the port in use.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

log = logging.getLogger("dockerfix.e2e")

DEFAULT_PORT = 0  # any free port, chosen when the index starts
PORT_VARIABLE = "DOCKERFIX_E2E_PORT"
CACHE_DIR = Path.home() / ".cache" / "dockerfix-e2e"
DEFAULT_WHEELHOUSE = CACHE_DIR / "wheels"
DEFAULT_LOG_DIR = CACHE_DIR / "logs"

SYSTEM_DOCKER = Path("/usr/bin/docker")
PACKAGES = ("docker.io", "debootstrap")
SUITE = "bookworm"
# Debian 13 (APT 3, whose images clean up with `apt-get dist-clean`), for the apt scenarios only
APT3_SUITE = "trixie"
MIRROR = "http://deb.debian.org/debian"
BASE_PACKAGES = ("python3", "python3-pip", "python3-venv", "ca-certificates")
BASE_REPOSITORY = "dockerfix-e2e/base"
HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DAEMON_TIMEOUT = 90.0
WHEELHOUSE_MARKER = ".requirements"

# The same file the official Debian images ship: apt deletes downloaded packages after every run.
DOCKER_CLEAN = """\
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };

Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
"""  # noqa: E501

WHEEL_PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "any")


class EnvironmentProblem(RuntimeError):
    """The machine cannot run the end-to-end tests; the message says why in one line."""


def default_port() -> int:
    """Return the port for the local wheel index: ``DOCKERFIX_E2E_PORT`` if set, else 0 (a free one)."""
    value = os.environ.get(PORT_VARIABLE, "").strip()
    if not value:
        return DEFAULT_PORT
    try:
        port = int(value)
    except ValueError:
        raise EnvironmentProblem(f"{PORT_VARIABLE}={value!r} is not a port number") from None
    return check_port(port)


def check_port(port: int) -> int:
    """Return ``port`` if it is a usable TCP port number, else raise EnvironmentProblem."""
    if not 0 <= port < 65536:
        raise EnvironmentProblem(f"port {port} is outside 0-65535")
    return port


def _last_line(text: str) -> str:
    """Return the last non-blank line of ``text`` (empty if there is none)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _tail(path: Path, count: int = 15) -> str:
    """Return the last ``count`` lines of a log file, or a note that it is missing."""
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return f"(no log at {path})"
    return "\n".join(lines[-count:])


def _require_root(action: str) -> None:
    """Raise EnvironmentProblem unless running as root."""
    if os.geteuid() != 0:
        raise EnvironmentProblem(f"{action} needs root; run this as root (or with sudo)")


def _run_logged(command: Sequence[str], log_file: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Run ``command`` with its output appended to ``log_file``; raise EnvironmentProblem if it fails."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as sink:
        sink.write(f"$ {' '.join(command)}\n")
        sink.flush()
        try:
            result = subprocess.run(command, stdout=sink, stderr=subprocess.STDOUT, env=env, check=False)
        except OSError as error:
            raise EnvironmentProblem(f"{what} could not start: {error}") from error
    if result.returncode != 0:
        last = _last_line(_tail(log_file, 5))
        raise EnvironmentProblem(f"{what} failed (exit {result.returncode}): {last} [log: {log_file}]")


def docker_binary() -> str:
    """Return the Docker client to use: the distribution's ``/usr/bin/docker`` if present, else the one on PATH."""
    if SYSTEM_DOCKER.exists():
        return str(SYSTEM_DOCKER)
    found = shutil.which("docker")
    if found is None:
        raise EnvironmentProblem("no docker client found; run `python scripts/e2e_env.py up` as root to install it")
    return found


def _debootstrap_binary() -> str | None:
    """Return the path of debootstrap, looking in the sbin folders too (they are not on every user's PATH)."""
    found = shutil.which("debootstrap")
    if found:
        return found
    for candidate in (Path("/usr/sbin/debootstrap"), Path("/sbin/debootstrap")):
        if candidate.exists():
            return str(candidate)
    return None


def ensure_packages(log_dir: Path = DEFAULT_LOG_DIR) -> bool:
    """Install docker.io and debootstrap with apt if either is missing; return True if anything was installed."""
    if SYSTEM_DOCKER.exists() and _debootstrap_binary() is not None:
        log.info("packages: docker.io and debootstrap already installed")
        return False
    _require_root("installing docker.io and debootstrap")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt_log = log_dir / "apt.log"
    log.info("packages: installing %s (log: %s)", " ".join(PACKAGES), apt_log)
    _run_logged(["apt-get", "update"], apt_log, "apt-get update", env)
    _run_logged(["apt-get", "install", "-y", "--no-install-recommends", *PACKAGES], apt_log, "apt-get install", env)
    if not SYSTEM_DOCKER.exists() or _debootstrap_binary() is None:
        raise EnvironmentProblem(
            f"apt-get install finished but docker or debootstrap is still missing [log: {apt_log}]"
        )
    return True


def docker(*args: str, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Run the Docker client with ``args``; the result is returned whatever the exit status."""
    return subprocess.run([docker_binary(), *args], capture_output=True, text=True, timeout=timeout, check=False)


def daemon_ready() -> bool:
    """Return True if the Docker daemon answers ``docker info``."""
    try:
        return docker("info", timeout=20).returncode == 0
    except (subprocess.TimeoutExpired, EnvironmentProblem):
        return False


def _start_daemon(log_file: Path) -> subprocess.Popen[bytes]:
    """Start dockerd detached from this process (own session, output to ``log_file``)."""
    dockerd = shutil.which("dockerd") or "/usr/bin/dockerd"
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as sink:
        try:
            return subprocess.Popen(
                [dockerd, "--iptables=false", "--bridge=none"],
                stdin=subprocess.DEVNULL,
                stdout=sink,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as error:
            raise EnvironmentProblem(f"could not start dockerd: {error}") from error


def ensure_daemon(log_dir: Path = DEFAULT_LOG_DIR, timeout: float = DAEMON_TIMEOUT) -> bool:
    """Start dockerd unless it already answers; return True if it was started here."""
    if daemon_ready():
        log.info("daemon: dockerd already running")
        return False
    _require_root("starting dockerd")
    log_file = log_dir / "dockerd.log"
    log.info("daemon: starting dockerd (log: %s)", log_file)
    process = _start_daemon(log_file)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if daemon_ready():
            log.info("daemon: dockerd ready after %.0f s", timeout - (deadline - time.monotonic()))
            return True
        if process.poll() is not None:
            raise EnvironmentProblem(
                f"dockerd exited with status {process.returncode}: {_last_line(_tail(log_file))} [log: {log_file}]"
            )
        time.sleep(1)
    raise EnvironmentProblem(
        f"dockerd did not answer within {timeout:.0f} s: {_last_line(_tail(log_file))} [log: {log_file}]"
    )


def base_image_tag(suite: str = SUITE) -> str:
    """Return the tag of the base image of ``suite``."""
    return f"{BASE_REPOSITORY}:{suite}"


def image_exists(tag: str) -> bool:
    """Return True if the daemon has an image called ``tag``."""
    return docker("image", "inspect", tag, timeout=60).returncode == 0


def pip_conf(port: int) -> str:
    """Return the pip.conf of the base image: only the local index, trusted so that pip caches its answers."""
    return f"[global]\nindex-url = http://127.0.0.1:{port}/simple/\ntrusted-host = 127.0.0.1\n"


def uv_toml(port: int) -> str:
    """Return uv's system-wide configuration: the same local index as pip's."""
    return f'index-url = "http://127.0.0.1:{port}/simple/"\n'


def _debootstrap(root: Path, log_file: Path, suite: str = SUITE) -> None:
    """Install a minimal Debian into ``root``: with Python for the main suite, bare for the others."""
    binary = _debootstrap_binary()
    if binary is None:
        raise EnvironmentProblem("debootstrap is not installed; run `python scripts/e2e_env.py up` as root")
    packages = BASE_PACKAGES if suite == SUITE else ("ca-certificates",)
    command = [binary, "--variant=minbase", f"--include={','.join(packages)}", suite, str(root), MIRROR]
    _run_logged(command, log_file, "debootstrap")


def _link(link: Path, target: str) -> None:
    """Create (or replace) the symbolic link ``link`` pointing at ``target``."""
    link.parent.mkdir(parents=True, exist_ok=True)
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(target)


def _clear(folder: Path, pattern: str) -> None:
    """Delete everything in ``folder`` matching ``pattern`` (files and folders alike)."""
    for entry in folder.glob(pattern):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def customise_root(root: Path) -> None:
    """Make a debootstrapped tree behave like an official python image."""
    for marker in root.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    _link(root / "usr/local/bin/python", "/usr/bin/python3")
    _link(root / "usr/local/bin/pip", "/usr/bin/pip3")
    (root / "etc/apt/apt.conf.d").mkdir(parents=True, exist_ok=True)
    (root / "etc/apt/apt.conf.d/docker-clean").write_text(DOCKER_CLEAN, encoding="utf-8")
    _clear(root / "var/lib/apt/lists", "*")
    _clear(root / "var/cache/apt/archives", "*.deb")
    if HOST_CA_BUNDLE.exists():
        shutil.copyfile(HOST_CA_BUNDLE, root / "etc/ssl/certs/ca-certificates.crt")


def _import_root(root: Path, tag: str) -> None:
    """Import the tree at ``root`` as the image ``tag``, with the PATH and CMD of the official images."""
    changes = ["--change", f"ENV PATH={IMAGE_PATH}", "--change", 'CMD ["/bin/sh"]']
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    assert tar.stdout is not None
    try:
        result = subprocess.run(
            [docker_binary(), "import", *changes, "-", tag],
            stdin=tar.stdout,
            capture_output=True,
            text=True,
            check=False,
        )
    finally:
        tar.stdout.close()
        tar.wait()
    if tar.returncode != 0 or result.returncode != 0:
        reason = _last_line(result.stderr) or f"tar exited with status {tar.returncode}"
        raise EnvironmentProblem(f"docker import of {tag} failed: {reason}")


def ensure_base_image(log_dir: Path = DEFAULT_LOG_DIR, suite: str = SUITE) -> str:
    """Build and import the base image of ``suite`` unless it exists; return its tag."""
    tag = base_image_tag(suite)
    if image_exists(tag):
        log.info("base image: %s already exists", tag)
        return tag
    _require_root("building the base image with debootstrap")
    log_file = log_dir / f"debootstrap-{suite}.log"
    log.info("base image: building %s with debootstrap (log: %s)", tag, log_file)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="dockerfix-e2e-root-", dir="/var/tmp"))
    try:
        _debootstrap(root, log_file, suite)
        customise_root(root)
        _import_root(root, tag)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    log.info("base image: %s imported in %.0f s", tag, time.monotonic() - started)
    return tag


# Debian's packages of a tool on the base image, for the scenarios of that tool: Node.js and npm
# (npm's registry is reachable), PHP's CLI and Composer (whose scenario installs from a path
# repository, as Packagist is not reachable)
TOOL_PACKAGES = {
    "node": ("nodejs", "npm"),
    "php": ("composer", "unzip"),
}
TOOL_DOCKERFILE = """\
FROM {base}
RUN apt-get update && apt-get install -y --no-install-recommends {packages} && rm -rf /var/lib/apt/lists/*
"""


def tool_image_tag(tool: str) -> str:
    """Return the tag of the image with Debian's packages of ``tool`` on the base image."""
    return f"dockerfix-e2e/{tool}:{SUITE}"


def ensure_tool_image(tool: str, log_dir: Path = DEFAULT_LOG_DIR) -> str:
    """Build the image of ``tool`` on the base image unless it exists; return its tag."""
    tag = tool_image_tag(tool)
    if image_exists(tag):
        log.info("%s image: %s already exists", tool, tag)
        return tag
    log_file = log_dir / f"{tool}-image.log"
    log.info("%s image: building %s (log: %s)", tool, tag, log_file)
    with tempfile.TemporaryDirectory(prefix=f"dockerfix-e2e-{tool}-") as folder:
        text = TOOL_DOCKERFILE.format(base=base_image_tag(), packages=" ".join(TOOL_PACKAGES[tool]))
        Path(folder, "Dockerfile").write_text(text, encoding="utf-8")
        env = dict(os.environ, DOCKER_BUILDKIT="1")
        _run_logged([docker_binary(), "build", "--network", "host", "-t", tag, folder], log_file, f"building the {tool} image", env)
    return tag


INDEX_LAYER = """\
FROM {source}
COPY pip.conf /etc/pip.conf
COPY uv.toml /etc/uv/uv.toml
"""


def tag_base(names: list[str], port: int, source: str, log_dir: Path = DEFAULT_LOG_DIR) -> None:
    """Build ``source`` plus a pip.conf and a uv.toml for the local index on ``port``, tagged as
    each of ``names`` (e.g. ``python:3.11-slim``): a layer of two small files, quick to make for
    whichever port the index got."""
    log_file = log_dir / "index-layer.log"
    with tempfile.TemporaryDirectory(prefix="dockerfix-e2e-index-") as folder:
        Path(folder, "Dockerfile").write_text(INDEX_LAYER.format(source=source), encoding="utf-8")
        Path(folder, "pip.conf").write_text(pip_conf(port), encoding="utf-8")
        Path(folder, "uv.toml").write_text(uv_toml(port), encoding="utf-8")
        env = dict(os.environ, DOCKER_BUILDKIT="1")
        tags = [option for name in names for option in ("-t", name)]
        _run_logged([docker_binary(), "build", *tags, folder], log_file, f"adding the index layer to {source}", env)
    for name in names:
        log.info("base image: %s with the index on port %d tagged as %s", source, port, name)


def _recorded_requirements(directory: Path) -> set[str]:
    """Return the requirements already downloaded into ``directory`` according to its marker file."""
    try:
        text = (directory / WHEELHOUSE_MARKER).read_text(encoding="utf-8")
    except OSError:
        return set()
    return {line.strip() for line in text.splitlines() if line.strip()}


def pip_download_command(requirements: Sequence[str], directory: Path) -> list[str]:
    """Return the pip command that downloads wheels of ``requirements`` for the base image's CPython 3.11."""
    platforms = [option for platform in WHEEL_PLATFORMS for option in ("--platform", platform)]
    return [
        sys.executable, "-m", "pip", "download", "--only-binary=:all:",
        "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311", *platforms,
        "-d", str(directory), *requirements,
    ]  # fmt: skip


def ensure_wheelhouse(requirements: list[str], directory: Path = DEFAULT_WHEELHOUSE) -> Path:
    """Download wheels of ``requirements`` and their dependencies into ``directory`` unless already there."""
    wanted = {requirement.strip() for requirement in requirements if requirement.strip()}
    recorded = _recorded_requirements(directory)
    if wanted <= recorded and any(directory.glob("*.whl")):
        log.info("wheelhouse: %s already holds %s", directory, " ".join(sorted(wanted)))
        return directory
    directory.mkdir(parents=True, exist_ok=True)
    log.info("wheelhouse: downloading %s into %s", " ".join(sorted(wanted)), directory)
    result = subprocess.run(
        pip_download_command(sorted(wanted), directory), capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        reason = _last_line(result.stderr) or _last_line(result.stdout)
        raise EnvironmentProblem(f"pip download failed (exit {result.returncode}): {reason}")
    (directory / WHEELHOUSE_MARKER).write_text("\n".join(sorted(wanted | recorded)) + "\n", encoding="utf-8")
    return directory


def docker_version() -> str:
    """Return the version of the Docker daemon."""
    result = docker("version", "--format", "{{.Server.Version}}", timeout=30)
    if result.returncode != 0:
        raise EnvironmentProblem(f"docker version failed: {_last_line(result.stderr)}")
    return result.stdout.strip()


def up(log_dir: Path = DEFAULT_LOG_DIR) -> dict[str, str]:
    """Install Docker, start the daemon and build the base images; return what the tests need to know."""
    ensure_packages(log_dir)
    ensure_daemon(log_dir)
    tag = ensure_base_image(log_dir)
    ensure_base_image(log_dir, APT3_SUITE)
    for tool in TOOL_PACKAGES:
        ensure_tool_image(tool, log_dir)
    return {"docker": docker_binary(), "docker_version": docker_version(), "base_image": tag}


def _parser() -> argparse.ArgumentParser:
    """Return the command-line parser."""
    parser = argparse.ArgumentParser(description="Prepare this machine for dockerfix's end-to-end tests.")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("up", help="install Docker, start dockerd and build the base images")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    _parser().parse_args(argv)  # `up`, the only command, takes no options
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    started = time.monotonic()
    try:
        info = up()
    except (EnvironmentProblem, OSError, subprocess.SubprocessError) as error:
        print(f"e2e_env: error: {error}", file=sys.stderr)
        return 1
    for key, value in info.items():
        print(f"{key}: {value}")
    print(f"ready in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
