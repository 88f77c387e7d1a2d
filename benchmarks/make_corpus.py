#!/usr/bin/env python3
"""Generate a deterministic corpus of Dockerfiles, each with its own build context.

Every sample is a directory holding one Dockerfile (``Dockerfile``, ``Dockerfile.prod`` or
``app.Dockerfile``), its requirement files, sometimes a ``.dockerignore``, and a few small
source files. The shapes follow what Python projects really ship: slim/alpine/full Python
images and Debian/Ubuntu images with a virtualenv, ``COPY . .`` before ``pip install -r``,
nested requirement files with ``-r``/``-c``, allow-list ``.dockerignore`` files, multi-stage
builds, files that are already optimal, files that install the project itself, CRLF line
endings, a BOM, no final newline. The corpus is made a git work tree of its own (``git init``,
nothing committed), as make_realistic.py's is, and its first sample, the small file of the
cold-start measurement, a work tree of its own inside it, as a project checked out alone is.

The same ``--seed`` and ``--count`` always give byte-identical files.

    python benchmarks/make_corpus.py [TARGET] [--count N] [--seed S] [--force]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_COUNT = 1200
DEFAULT_SEED = 1729
CORPUS_VERSION = 2  # bump when the generator changes, so run.py regenerates old corpora
MANIFEST = ".corpus.json"
DEFAULT_TARGET = Path(__file__).resolve().parent / "corpus"

PY_VERSIONS = ("3.8", "3.9", "3.10", "3.11", "3.12", "3.13")
PACKAGES = (
    ("flask", ("2.3.3", "3.0.3")),
    ("django", ("4.2.16", "5.1.2")),
    ("fastapi", ("0.110.3", "0.115.4")),
    ("uvicorn[standard]", ("0.29.0", "0.32.0")),
    ("gunicorn", ("21.2.0", "23.0.0")),
    ("requests", ("2.31.0", "2.32.3")),
    ("sqlalchemy", ("2.0.29", "2.0.36")),
    ("psycopg2-binary", ("2.9.9", "2.9.10")),
    ("redis", ("5.0.4", "5.2.0")),
    ("celery", ("5.3.6", "5.4.0")),
    ("pydantic", ("2.7.1", "2.9.2")),
    ("numpy", ("1.26.4", "2.1.3")),
    ("pandas", ("2.2.2", "2.2.3")),
    ("boto3", ("1.34.100", "1.35.50")),
    ("click", ("8.1.7",)),
    ("jinja2", ("3.1.4",)),
    ("httpx", ("0.27.2",)),
    ("alembic", ("1.13.1", "1.14.0")),
    ("structlog", ("24.1.0", "24.4.0")),
    ("sentry-sdk", ("2.1.1", "2.18.0")),
    ("python-dotenv", ("1.0.1",)),
    ("pyyaml", ("6.0.1", "6.0.2")),
    ("orjson", ("3.10.3", "3.10.11")),
    ("lxml", ("5.2.1", "5.3.0")),
    ("pillow", ("10.3.0", "11.0.0")),
)
NOTES = (
    "This image is rebuilt on every merge to main.",
    "Keep the layers that change least at the top.",
    "Secrets come from the orchestrator, never from the image.",
    "The health endpoint is /health.",
    "See docs/deploy.md for the release process.",
    "Do not run as root in production.",
)
DEV_PACKAGES = ("pytest==8.3.3", "pytest-cov==5.0.0", "ruff==0.7.2", "mypy==1.13.0", "black==24.10.0")
APT_PACKAGES = (
    "build-essential", "gcc", "libpq-dev", "libffi-dev", "libssl-dev", "curl", "ca-certificates",
    "git", "libxml2-dev", "libxslt1-dev", "libjpeg-dev", "zlib1g-dev", "tini", "netcat-openbsd",
)  # fmt: skip
APK_PACKAGES = ("gcc", "musl-dev", "libffi-dev", "openssl-dev", "postgresql-dev", "jpeg-dev", "zlib-dev", "cargo")
WORKDIRS = ("/app", "/app", "/app", "/srv/app", "/usr/src/app", "/code", "/opt/service")
DOCKERFILE_NAMES = (("Dockerfile", 78), ("Dockerfile.prod", 12), ("app.Dockerfile", 10))
BREAK_SYSTEM_PACKAGES = ("ubuntu:24.04", "ubuntu:noble", "debian:bookworm-slim", "debian:12")
CACHE_MOUNT = "--mount=type=cache,target=/root/.cache/pip"


@dataclass
class Sample:
    """One corpus entry: a Dockerfile and the files of its build context."""

    slug: str
    dockerfile: str
    lines: list[str]
    files: dict[str, str] = field(default_factory=dict)
    crlf: bool = False
    bom: bool = False
    final_newline: bool = True

    def dockerfile_bytes(self) -> bytes:
        newline = "\r\n" if self.crlf else "\n"
        text = newline.join(self.lines) + (newline if self.final_newline else "")
        return (("\ufeff" if self.bom else "") + text).encode("utf-8")


@dataclass
class Plan:
    """The choices one sample is built from."""

    family: str  # slim | full | alpine | debian | ubuntu
    image: str
    python: str  # the interpreter name inside the image
    workdir: str | None
    app_home: bool  # ENV APP_HOME=... and ADD . $APP_HOME
    venv: bool
    venv_var: bool  # ENV VENV_PATH=/opt/venv
    pip: str
    layout: str  # root | root-dev | nested | constraints | editable-req | none | local | editable
    no_cache: bool
    env_no_cache: bool
    chown: bool
    user: str  # none | uid | named-uid | named | before-install
    optimal: str  # no | copy-first | copy-first-mount | mount
    verbose: int  # 0..3: how much padding (labels, comments, extra RUNs)


def pick_weighted(rng: random.Random, options: tuple[tuple[str, int], ...]) -> str:
    total = sum(w for _, w in options)
    roll = rng.randrange(total)
    for value, weight in options:
        roll -= weight
        if roll < 0:
            return value
    raise AssertionError("unreachable")


# --------------------------------------------------------------------------------------------
# Build-context files
# --------------------------------------------------------------------------------------------


def requirement_lines(rng: random.Random, low: int, high: int) -> list[str]:
    chosen = rng.sample(PACKAGES, rng.randint(low, high))
    lines = []
    for name, versions in chosen:
        style = rng.random()
        version = rng.choice(versions)
        if style < 0.65:
            lines.append(f"{name}=={version}")
        elif style < 0.85:
            lines.append(f"{name}>={version.rsplit('.', 1)[0]}")
        else:
            lines.append(name)
    if rng.random() < 0.25:
        lines.insert(0, "# pinned with pip-compile")
    return lines


def context_files(rng: random.Random, plan: Plan, files: dict[str, str]) -> str:
    """Write the requirement files into ``files``; return the pip arguments that install them."""
    reqs = requirement_lines(rng, 2, 9)
    layout = plan.layout
    if layout == "root":
        files["requirements.txt"] = "\n".join(reqs) + "\n"
        return "-r requirements.txt"
    if layout == "root-dev":
        files["requirements.txt"] = "\n".join(reqs) + "\n"
        files["requirements-dev.txt"] = "-r requirements.txt\n" + "\n".join(DEV_PACKAGES[: rng.randint(2, 5)]) + "\n"
        return "-r requirements.txt"
    if layout == "nested":
        base, extra = reqs[: len(reqs) // 2 + 1], reqs[len(reqs) // 2 + 1 :]
        files["requirements/base.txt"] = "\n".join(base) + "\n"
        prod = ["-r base.txt"]
        if rng.random() < 0.5:
            prod.append("-c constraints.txt")
            files["requirements/constraints.txt"] = "urllib3<3\ncertifi>=2024.2.2\n"
        prod += extra or ["gunicorn==23.0.0"]
        files["requirements/prod.txt"] = "\n".join(prod) + "\n"
        files["requirements/dev.txt"] = "-r base.txt\n" + "\n".join(DEV_PACKAGES[:3]) + "\n"
        return "-r requirements/prod.txt"
    if layout == "constraints":
        files["requirements.txt"] = "\n".join(reqs) + "\n"
        files["constraints.txt"] = "urllib3==2.2.3\nidna==3.10\ncharset-normalizer==3.4.0\n"
        return "-r requirements.txt -c constraints.txt"
    if layout == "editable-req":  # the requirements file installs the project itself
        files["requirements.txt"] = "\n".join(reqs) + "\n-e .\n"
        files["pyproject.toml"] = pyproject()
        return "-r requirements.txt"
    if layout == "local":
        files["pyproject.toml"] = pyproject()
        return "."
    if layout == "editable":
        files["pyproject.toml"] = pyproject()
        return "-e ."
    # layout == "none": packages named on the command line
    specs = [r for r in reqs[:4] if not r.startswith("#")]
    return " ".join(f"'{r}'" if ">" in r or "[" in r else r for r in specs)


def pyproject() -> str:
    return (
        "[build-system]\nrequires = [\"setuptools>=68\"]\nbuild-backend = \"setuptools.build_meta\"\n\n"
        "[project]\nname = \"service\"\nversion = \"0.1.0\"\ndependencies = [\"flask>=3\"]\n"
    )


def source_files(rng: random.Random, files: dict[str, str]) -> None:
    files["app.py"] = (
        "from flask import Flask\n\napp = Flask(__name__)\n\n\n@app.get(\"/health\")\n"
        "def health() -> dict[str, str]:\n    return {\"status\": \"ok\"}\n"
    )
    if rng.random() < 0.6:
        files["service/__init__.py"] = "\"\"\"The service package.\"\"\"\n"
        files["service/settings.py"] = "import os\n\nDEBUG = os.environ.get(\"DEBUG\") == \"1\"\n"
    if rng.random() < 0.5:
        files["tests/test_app.py"] = (
            "from app import app\n\n\ndef test_health() -> None:\n"
            "    assert app.test_client().get(\"/health\").status_code == 200\n"
        )
    if rng.random() < 0.4:
        files["gunicorn.conf.py"] = "bind = \"0.0.0.0:8000\"\nworkers = 2\n"
    if rng.random() < 0.5:
        files["README.md"] = "# service\n\nBuild with `docker build .`.\n"


def dockerignore(rng: random.Random, plan: Plan) -> str | None:
    kind = pick_weighted(rng, (("none", 35), ("standard", 40), ("allow", 18), ("txt", 3), ("allow-forgot", 4)))
    if kind == "none":
        return None
    if kind == "standard":
        lines = [".git", rng.choice(("*.pyc", "**/*.pyc", "**/__pycache__")), "__pycache__/"]
        lines += rng.sample([".venv", "venv/", ".env", "*.md", "tests/", ".pytest_cache", "Dockerfile*", ".dockerignore", "build/", "dist/"], rng.randint(1, 6))
        if rng.random() < 0.3:
            lines.insert(0, "# keep the build context small")
        return "\n".join(lines) + "\n"
    if kind == "txt":  # excludes every .txt file, the requirements too: DFX101 must leave it alone
        return ".git\n*.txt\n*.pyc\n"
    lines = ["*"]
    if kind == "allow":
        if plan.layout == "nested":
            lines.append(rng.choice(("!requirements/", "!requirements/*.txt", "!requirements")))
        else:
            lines.append("!requirements*.txt" if rng.random() < 0.3 else "!requirements.txt")
            if plan.layout == "constraints":
                lines.append("!constraints.txt")
        if plan.layout in ("local", "editable", "editable-req"):
            lines.append("!pyproject.toml")
    lines += ["!app.py", "!service/", "!gunicorn.conf.py"]
    if rng.random() < 0.5:
        lines.append("**/__pycache__")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------
# Dockerfile pieces
# --------------------------------------------------------------------------------------------


def plan_sample(rng: random.Random) -> Plan:
    family = pick_weighted(rng, (("slim", 42), ("full", 10), ("alpine", 16), ("debian", 14), ("ubuntu", 18)))
    py = rng.choice(PY_VERSIONS)
    if family == "slim":
        image = rng.choice((f"python:{py}-slim", f"python:{py}-slim", f"python:{py}-slim-bookworm", f"python:{py}.4-slim"))
    elif family == "full":
        image = rng.choice((f"python:{py}", f"python:{py}-bookworm"))
    elif family == "alpine":
        image = rng.choice((f"python:{py}-alpine", f"python:{py}-alpine3.20"))
    elif family == "debian":
        image = rng.choice(("debian:bookworm-slim", "debian:12", "debian:bullseye-slim"))
    else:
        image = rng.choice(("ubuntu:22.04", "ubuntu:24.04", "ubuntu:jammy", "ubuntu:noble"))
    python = "python3" if family in ("debian", "ubuntu") else rng.choice(("python", "python", "python3"))
    venv = family in ("debian", "ubuntu") and rng.random() < 0.75 or family in ("slim", "full") and rng.random() < 0.2
    venv_var = venv and rng.random() < 0.6
    if venv:
        pip = rng.choice(("$VENV_PATH/bin/pip", "${VENV_PATH}/bin/pip", "pip") if venv_var else ("/opt/venv/bin/pip", "pip"))
    elif family in ("debian", "ubuntu"):
        pip = rng.choice(("pip3", "python3 -m pip"))
    else:
        pip = rng.choice(("pip", "pip", "pip3", f"{python} -m pip"))
    has_workdir = rng.random() < 0.78
    workdir = rng.choice(WORKDIRS) if has_workdir else None
    app_home = rng.random() < 0.12
    layout = pick_weighted(
        rng,
        (("root", 46), ("root-dev", 10), ("nested", 14), ("constraints", 6), ("editable-req", 4),
         ("none", 8), ("local", 7), ("editable", 5)),
    )  # fmt: skip
    user = pick_weighted(rng, (("none", 45), ("uid", 12), ("named-uid", 18), ("named", 15), ("before-install", 10)))
    optimal = pick_weighted(rng, (("no", 72), ("copy-first", 10), ("copy-first-mount", 10), ("mount", 8)))
    return Plan(
        family=family,
        image=image,
        python=python,
        workdir=workdir,
        app_home=app_home,
        venv=venv,
        venv_var=venv_var,
        pip=pip,
        layout=layout,
        no_cache=rng.random() < 0.55,
        env_no_cache=rng.random() < 0.15,
        chown=rng.random() < 0.2 and user != "none",
        user=user,
        optimal=optimal,
        verbose=rng.choice((0, 0, 1, 1, 2, 3)),
    )


def maybe_comment(rng: random.Random, out: list[str], p: float, texts: tuple[str, ...]) -> None:
    if rng.random() < p:
        out.append(f"# {rng.choice(texts)}")


def blank(rng: random.Random, out: list[str], p: float = 0.7) -> None:
    if out and out[-1] != "" and rng.random() < p:
        out.append("")


def run_lines(rng: random.Random, commands: list[str], flags: str = "", comments: tuple[str, ...] = ()) -> list[str]:
    """One RUN of ``commands``: on one line, as an && chain with continuations, or as set -eux;."""
    head = f"RUN {flags} " if flags else "RUN "
    style = rng.random()
    if len(commands) == 1 and style < 0.7 or style < 0.25:
        return [head + " && ".join(commands)]
    if style < 0.75 and len(commands) > 1:
        out = [head + commands[0] + " \\"]
        for i, cmd in enumerate(commands[1:], 1):
            if comments and rng.random() < 0.3:
                out.append(f"    # {rng.choice(comments)}")
            out.append(f"    && {cmd}" + (" \\" if i < len(commands) - 1 else ""))
        return out
    out = [head + "set -eux; \\"]
    for i, cmd in enumerate(commands):
        if comments and rng.random() < 0.35:
            out.append(f"    # {rng.choice(comments)}")
        out.append(f"    {cmd}" + ("; \\" if i < len(commands) - 1 else ""))
    return out


def apt_packages(rng: random.Random, extra: tuple[str, ...], most: int) -> list[str]:
    return list(extra) + [p for p in rng.sample(APT_PACKAGES, rng.randint(1, most)) if p not in extra]


def apt_commands(rng: random.Random, extra: tuple[str, ...] = ()) -> list[str]:
    packages = apt_packages(rng, extra, 5)
    install = "apt-get install -y --no-install-recommends " if rng.random() < 0.7 else "apt-get install -y "
    return ["apt-get update", install + " ".join(packages), "rm -rf /var/lib/apt/lists/*"]


def apt_run(rng: random.Random, extra: tuple[str, ...] = ()) -> list[str]:
    if rng.random() < 0.5:
        return run_lines(rng, apt_commands(rng, extra), comments=("system packages", "needed to build wheels"))
    packages = apt_packages(rng, extra, 6)
    # the classic one-package-per-line form
    out = ["RUN apt-get update \\", "    && apt-get install -y --no-install-recommends \\"]
    out += [f"        {p} \\" for p in packages]
    out.append("    && rm -rf /var/lib/apt/lists/*")
    return out


def header(rng: random.Random, plan: Plan, out: list[str]) -> None:
    if rng.random() < 0.2:
        out.append(rng.choice(("# syntax=docker/dockerfile:1", "# syntax=docker/dockerfile:1.7")))
    maybe_comment(rng, out, 0.35, ("Production image for the API", "Build: docker build -t service .", "syntax: see https://docs.docker.com/reference/dockerfile/"))
    if plan.verbose >= 2:
        out.append("ARG BUILD_DATE")
        out.append("ARG VCS_REF")


def labels(rng: random.Random, plan: Plan, out: list[str]) -> None:
    if plan.verbose == 0 and rng.random() < 0.7:
        return
    if rng.random() < 0.5:
        out.append('LABEL maintainer="platform team <platform@example.com>"')
        return
    keys = ["title=\"service\"", "source=\"https://example.com/git/service\"", "licenses=\"MIT\"", "vendor=\"Example\""]
    if plan.verbose >= 2:
        keys += ["created=$BUILD_DATE", "revision=$VCS_REF"]
    out.append(f"LABEL org.opencontainers.image.{keys[0]} \\")
    for i, key in enumerate(keys[1:], 1):
        out.append(f"      org.opencontainers.image.{key}" + (" \\" if i < len(keys) - 1 else ""))


def env_block(rng: random.Random, plan: Plan, out: list[str]) -> None:
    pairs = []
    if rng.random() < 0.7:
        pairs.append("PYTHONUNBUFFERED=1")
    if rng.random() < 0.5:
        pairs.append("PYTHONDONTWRITEBYTECODE=1")
    if plan.env_no_cache:
        pairs.append(rng.choice(("PIP_NO_CACHE_DIR=off", "PIP_NO_CACHE_DIR=1", "PIP_NO_CACHE_DIR=0")))
    if rng.random() < 0.3:
        pairs.append("PIP_DISABLE_PIP_VERSION_CHECK=1")
    if plan.venv_var:
        pairs.append("VENV_PATH=/opt/venv")
    if plan.app_home:
        pairs.append(f"APP_HOME={plan.workdir or '/app'}")
    if not pairs:
        return
    if len(pairs) == 1 or rng.random() < 0.3:
        out.extend(f"ENV {p}" for p in pairs)
    else:
        out.append(f"ENV {pairs[0]} \\")
        out += [f"    {p}" + (" \\" if i < len(pairs) - 1 else "") for i, p in enumerate(pairs[1:], 1)]


def system_packages(rng: random.Random, plan: Plan, out: list[str]) -> None:
    if plan.family in ("debian", "ubuntu"):
        py = ("python3", "python3-venv") if plan.venv else ("python3", "python3-pip")
        out += apt_run(rng, py)
    elif plan.family == "alpine":
        if rng.random() < 0.4:
            out.append("RUN apk add --no-cache " + " ".join(rng.sample(APK_PACKAGES, rng.randint(2, 5))))
    elif rng.random() < 0.45 or plan.verbose >= 2:
        out += apt_run(rng)
    if plan.venv:
        target = "$VENV_PATH" if plan.venv_var else "/opt/venv"
        out.append(f'RUN {plan.python} -m venv "{target}"' if rng.random() < 0.5 else f"RUN {plan.python} -m venv {target}")
        out.append(f'ENV PATH="{target}/bin:$PATH"')


def user_setup(rng: random.Random, plan: Plan, out: list[str]) -> str | None:
    """Create the user; return the argument of the USER line (or None)."""
    if plan.user == "none":
        return None
    if plan.user == "uid":
        return rng.choice(("1001", "1001:1001", "10001"))
    alpine = plan.family == "alpine"
    if plan.user == "named-uid" or plan.user == "before-install" and rng.random() < 0.6:
        if alpine:
            out.append("RUN addgroup -S -g 1001 app && adduser -S -u 1001 -G app app")
        else:
            out.append(rng.choice(("RUN useradd --create-home --uid 1001 app", "RUN groupadd -g 1001 app && useradd -m -u 1001 -g app app", "RUN useradd -m -u 1001 app")))
        return "app"
    out.append("RUN adduser -D app" if alpine else rng.choice(("RUN useradd --create-home app", "RUN adduser --system --group app")))
    return "app"


def install_commands(rng: random.Random, plan: Plan, args: str, req_prefix: str, cd: str | None) -> list[str]:
    """The commands of the install RUN (pip, and the tools around it)."""
    pip = plan.pip
    flags = []
    if plan.no_cache and plan.optimal in ("no", "copy-first"):
        flags.append("--no-cache-dir")
    if rng.random() < 0.15:
        flags.append("--disable-pip-version-check")
    if rng.random() < 0.1:
        flags.append("-q")
    if plan.user == "before-install" and not plan.venv:
        flags.append("--user")
    if plan.family in ("debian", "ubuntu") and not plan.venv and plan.image in BREAK_SYSTEM_PACKAGES:
        flags.append("--break-system-packages")
    if req_prefix and args.startswith("-r "):
        args = re.sub(r"(-[rc]) ", lambda m: f"{m.group(1)} {req_prefix}", args)
    commands = [f"cd {cd}"] if cd else []
    if rng.random() < 0.35:
        no_cache = "--no-cache-dir " if "--no-cache-dir" in flags else ""
        commands.append(f"{pip} install {no_cache}--upgrade pip setuptools wheel")
    commands.append(f"{pip} install {' '.join(flags + [args])}")
    if plan.family == "alpine" and rng.random() < 0.5:
        commands.insert(0, "apk add --no-cache --virtual .build-deps " + " ".join(rng.sample(APK_PACKAGES, 3)))
        commands.append("apk del .build-deps")
    if rng.random() < 0.15:
        commands.append(f"{plan.python} -m compileall -q .")
    return commands


def app_section(rng: random.Random, plan: Plan, out: list[str], args: str) -> None:
    """WORKDIR, the copies and the install of one single-stage image."""
    chown = "--chown=app:app " if plan.chown else ""
    dest_abs = plan.workdir or "/app"
    req_prefix, cd = "", None
    if plan.workdir:
        out.append("WORKDIR $APP_HOME" if plan.app_home and rng.random() < 0.6 else f"WORKDIR {plan.workdir}")
    blank(rng, out, 0.4)
    # the whole-context copy, and how the install finds the requirement files
    if plan.app_home:
        copy_all = f"ADD {chown}. $APP_HOME" if rng.random() < 0.6 else f"COPY {chown}. $APP_HOME"
        if not plan.workdir:
            req_prefix = "$APP_HOME/"
    elif plan.workdir:
        copy_all = f"COPY {chown}" + rng.choice((". .", ". .", ". ./", f". {plan.workdir}", f". {plan.workdir}/"))
        if rng.random() < 0.15:
            req_prefix = f"{plan.workdir}/"
    elif rng.random() < 0.85:
        copy_all = f"COPY {chown}. /app"
        if rng.random() < 0.6:
            req_prefix = "/app/"
        else:
            cd = "/app"
    else:
        copy_all = f"COPY {chown}. ."  # into / : rare, but it happens
        dest_abs = "/"
    commands = install_commands(rng, plan, args, req_prefix, cd)
    if plan.user == "before-install":
        out.append(f"USER {'app' if rng.random() < 0.5 else '1001'}")
    mount = CACHE_MOUNT if plan.optimal in ("copy-first-mount", "mount") else ""
    if plan.user == "before-install" and mount:
        mount = "--mount=type=cache,target=/home/app/.cache/pip,uid=1001,gid=1001"
    comments = ("install the dependencies", "pin pip first", "wheels for musl", "no dev tools here")
    if plan.optimal in ("copy-first", "copy-first-mount") and args.startswith("-r"):
        maybe_comment(rng, out, 0.5, ("Dependencies first, for the layer cache", "requirements change less often than code"))
        to = "./" if not (req_prefix or cd) else f"{dest_abs.rstrip('/')}/"
        if plan.layout == "nested":
            out.append(f"COPY {chown}requirements/ {to}requirements/")
        else:
            names = ["requirements.txt"] + (["constraints.txt"] if plan.layout == "constraints" else [])
            out.append(f"COPY {chown}{' '.join(names)} {to}")
        out += run_lines(rng, commands, mount, comments)
        blank(rng, out)
        maybe_comment(rng, out, 0.4, ("Then the code", "application code"))
        out.append(copy_all)
    else:
        maybe_comment(rng, out, 0.3, ("copy the project", "Copy everything", "application"))
        out.append(copy_all)
        if plan.verbose >= 2 and rng.random() < 0.4:
            out.append("EXPOSE 8000")  # harmless between the copy and the install
        blank(rng, out, 0.5)
        out += run_lines(rng, commands, mount, comments)
    if rng.random() < 0.12:
        out.append(f"RUN {plan.pip} check")


def tail(rng: random.Random, plan: Plan, out: list[str], user: str | None) -> None:
    blank(rng, out)
    if user and plan.user != "before-install":
        out.append(f"USER {user}")
    if rng.random() < 0.6 or plan.verbose >= 1:
        out.append(f"EXPOSE {rng.choice((8000, 8080, 5000, 80))}")
    if plan.verbose >= 2 and rng.random() < 0.6:
        out.append("HEALTHCHECK --interval=30s --timeout=3s \\")
        out.append(f"  CMD {plan.python} -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000/health')\" || exit 1")
    if plan.verbose >= 3:
        out.append("STOPSIGNAL SIGTERM")
    cmd = rng.choice(
        (
            f'CMD ["{plan.python}", "app.py"]',
            'CMD ["gunicorn", "--bind", "0.0.0.0:8000", "app:app"]',
            'CMD ["gunicorn", "--config", "gunicorn.conf.py", "app:app"]',
            'CMD ["uvicorn", "service.main:app", "--host", "0.0.0.0", "--port", "8000"]',
            f'ENTRYPOINT ["{plan.python}", "-m", "service"]\nCMD ["serve"]',
            'ENTRYPOINT ["tini", "--"]\nCMD ["python", "app.py"]',
        )
    )
    out.extend(cmd.split("\n"))


def padding(rng: random.Random, plan: Plan, out: list[str]) -> None:
    """Extra instructions that verbose real-world files carry."""
    for _ in range((0, 1, 3, 8)[plan.verbose]):
        choice = rng.random()
        if choice < 0.12:
            out.append("")
            out += [f"# {line}" for line in rng.sample(NOTES, rng.randint(2, len(NOTES)))]
        elif choice < 0.3:
            maybe_comment(rng, out, 1.0, ("TODO: move to a distroless base", "Static files are served by the CDN", "keep in sync with docker-compose.yml"))
        elif choice < 0.55:
            out.append(f"ENV TZ={rng.choice(('UTC', 'Europe/Berlin', 'America/New_York'))}")
        elif choice < 0.65:
            out.append("ARG APP_VERSION=0.0.0")
            out.append("ENV APP_VERSION=${APP_VERSION}")
        elif choice < 0.8:
            out += apt_run(rng)
        else:
            out.append("RUN mkdir -p /var/log/service /tmp/uploads && chmod 0775 /var/log/service")


# --------------------------------------------------------------------------------------------
# Whole samples
# --------------------------------------------------------------------------------------------


def single_stage(rng: random.Random, plan: Plan, files: dict[str, str]) -> list[str]:
    out: list[str] = []
    header(rng, plan, out)
    out.append(f"FROM {plan.image}")
    labels(rng, plan, out)
    blank(rng, out)
    env_block(rng, plan, out)
    blank(rng, out, 0.5)
    system_packages(rng, plan, out)
    padding(rng, plan, out)
    user = user_setup(rng, plan, out)
    blank(rng, out)
    args = context_files(rng, plan, files)
    app_section(rng, plan, out, args)
    tail(rng, plan, out, user)
    return out


def multi_stage(rng: random.Random, plan: Plan, files: dict[str, str]) -> list[str]:
    """builder + runtime: wheels, a --prefix install, or a virtualenv copied across."""
    plan.layout = rng.choice(("root", "root", "nested", "constraints"))
    plan.app_home = False
    plan.user = rng.choice(("none", "uid", "named-uid"))
    args = context_files(rng, plan, files)
    py = rng.choice(PY_VERSIONS)
    builder_image = rng.choice((f"python:{py}", f"python:{py}-slim", f"python:{py}-bookworm"))
    runtime_image = rng.choice((f"python:{py}-slim", f"python:{py}-slim-bookworm", f"python:{py}-slim"))
    kind = rng.choice(("wheels", "prefix", "venv"))
    pip = rng.choice(("pip", "pip3", "python -m pip"))
    no_cache = "--no-cache-dir " if plan.no_cache else ""
    mount = plan.optimal in ("copy-first-mount", "mount")
    out: list[str] = []
    header(rng, plan, out)
    maybe_comment(rng, out, 0.6, ("---- build stage ----", "Stage 1: build the dependencies"))
    out.append(f"FROM {builder_image} AS {rng.choice(('builder', 'build', 'deps'))}")
    stage = out[-1].rsplit(" ", 1)[1]
    env_block(rng, plan, out)
    if rng.random() < 0.7:
        out += apt_run(rng, ("build-essential",))
    if kind == "venv":
        out.append("RUN python -m venv /opt/venv")
        out.append('ENV PATH="/opt/venv/bin:$PATH"')
    out.append(f"WORKDIR {rng.choice(('/build', '/app', '/src'))}")
    if kind == "wheels":
        cmd = f"{pip} wheel {no_cache}--wheel-dir /wheels {args}"
    elif kind == "prefix":
        cmd = f"{pip} install {no_cache}--prefix=/install {args}"
    else:
        cmd = f"{pip} install {no_cache}{args}"
    flags = CACHE_MOUNT if mount else ""
    if plan.optimal in ("copy-first", "copy-first-mount"):
        out.append("COPY requirements/ requirements/" if plan.layout == "nested" else "COPY requirements.txt " + ("constraints.txt " if plan.layout == "constraints" else "") + "./")
        out += run_lines(rng, [cmd], flags)
        out.append("COPY . .")
    else:
        out.append("COPY . .")
        out += run_lines(rng, [f"{pip} install --upgrade pip", cmd] if rng.random() < 0.4 else [cmd], flags, ("build wheels once",))
        if rng.random() < 0.3:
            out.append("RUN python -m pytest -q || true")
    blank(rng, out, 1.0)
    maybe_comment(rng, out, 0.6, ("---- runtime stage ----", "Stage 2: the slim image we ship"))
    out.append(f"FROM {runtime_image}" + (" AS runtime" if rng.random() < 0.5 else ""))
    labels(rng, plan, out)
    env_block(rng, plan, out)
    user = user_setup(rng, plan, out)
    workdir = rng.choice(WORKDIRS)
    out.append(f"WORKDIR {workdir}")
    if kind == "wheels":
        out.append(f"COPY --from={stage} /wheels /wheels")
        out += run_lines(rng, [f"pip install {no_cache}/wheels/*", "rm -rf /wheels"])
    elif kind == "prefix":
        out.append(f"COPY --from={stage} /install /usr/local")
    else:
        out.append(f"COPY --from={stage} /opt/venv /opt/venv")
        out.append('ENV PATH="/opt/venv/bin:$PATH"')
    out.append(f"COPY {'--chown=app:app ' if user and rng.random() < 0.5 else ''}. .")
    tail(rng, plan, out, user)
    return out


def make_sample(rng: random.Random, index: int) -> Sample:
    files: dict[str, str] = {}
    plan = plan_sample(rng)
    multi = rng.random() < 0.18
    lines = multi_stage(rng, plan, files) if multi else single_stage(rng, plan, files)
    source_files(rng, files)
    ignore = dockerignore(rng, plan)
    name = pick_weighted(rng, DOCKERFILE_NAMES)
    if ignore is not None:
        # BuildKit reads <Dockerfile>.dockerignore first when it exists
        files[f"{name}.dockerignore" if name != "Dockerfile" and rng.random() < 0.25 else ".dockerignore"] = ignore
    while lines and lines[-1] == "":
        lines.pop()
    kind = "multi" if multi else plan.family
    slug = f"{index:04d}-{kind}-{plan.layout}"
    return Sample(
        slug=slug,
        dockerfile=name,
        lines=lines,
        files=files,
        crlf=rng.random() < 0.06,
        bom=rng.random() < 0.04,
        final_newline=rng.random() >= 0.07,
    )


def small_sample() -> Sample:
    """Entry 0: the small, classic file the cold-start measurement runs on (it has a fix)."""
    lines = [
        "FROM python:3.12-slim",
        "",
        "ENV PYTHONUNBUFFERED=1",
        "WORKDIR /app",
        "",
        "COPY . .",
        "RUN pip install --no-cache-dir -r requirements.txt",
        "",
        'CMD ["python", "app.py"]',
    ]
    files = {"requirements.txt": "flask==3.0.3\ngunicorn==23.0.0\n", "app.py": "print('hello')\n"}
    return Sample("0000-small", "Dockerfile", lines, files)


def fresh_folder(target: Path, manifest: str = MANIFEST) -> None:
    """Make ``target`` an empty folder; it must not exist, be empty or hold an earlier corpus
    (a ``manifest`` file), which is removed."""
    if target.exists():
        if not (target / manifest).is_file() and any(target.iterdir()):
            raise SystemExit(f"{target} exists and is not a corpus made by this script; refusing to replace it")
        shutil.rmtree(target)
    target.mkdir(parents=True)


def init_work_tree(target: Path) -> bool:
    """Make the corpus a git work tree of its own (nothing committed), as a user's repository
    is: else dockerfix would take the repository it sits in (this one, with its test fixtures'
    compose, bake and workflow files) for the corpus's. Whether git could."""
    if shutil.which("git") is None:
        return False
    return subprocess.run(["git", "init", "-q", str(target)], check=False).returncode == 0


def generate(target: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> dict[str, object]:
    """Write ``count`` samples into ``target`` (created; must be empty or an earlier corpus)."""
    fresh_folder(target)
    rng = random.Random(seed)
    samples = [small_sample()] + [make_sample(rng, i) for i in range(1, count)]
    lengths = []
    for sample in samples:
        folder = target / sample.slug
        folder.mkdir()
        (folder / sample.dockerfile).write_bytes(sample.dockerfile_bytes())
        lengths.append(len(sample.lines))
        for rel, text in sorted(sample.files.items()):
            path = folder / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))
    manifest: dict[str, object] = {
        "version": CORPUS_VERSION,
        "seed": seed,
        "count": count,
        # the small sample, a project checked out alone: a repository of its own in the corpus's
        "git": init_work_tree(target) and init_work_tree(target / samples[0].slug),
        "small": f"{samples[0].slug}/{samples[0].dockerfile}",
        "lines": {"min": min(lengths), "max": max(lengths), "total": sum(lengths)},
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def read_manifest(target: Path) -> dict[str, object] | None:
    try:
        data = json.loads((target / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def arguments(doc: str | None, target: Path, count: int, seed: int, argv: list[str] | None) -> argparse.Namespace:
    """The command line of a corpus generator: TARGET, --count, --seed (also make_realistic.py's)."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("target", nargs="?", type=Path, default=target, help=f"output folder (default: {target})")
    parser.add_argument("--count", type=int, default=count, help=f"number of Dockerfiles (default: {count})")
    parser.add_argument("--seed", type=int, default=seed, help=f"random seed (default: {seed})")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = arguments(__doc__, DEFAULT_TARGET, DEFAULT_COUNT, DEFAULT_SEED, argv)
    manifest = generate(args.target, args.count, args.seed)
    lines = manifest["lines"]
    assert isinstance(lines, dict)
    print(f"wrote {args.count} Dockerfiles ({lines['min']}-{lines['max']} lines, {lines['total']} in all) to {args.target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
