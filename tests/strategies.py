"""Generated Dockerfiles and build contexts for the property tests (tests/test_properties.py).

A Dockerfile is drawn as stages of instructions (every instruction BuildKit knows, in upper,
lower and mixed case; shell, exec JSON and heredoc forms; the flags each takes), with shell
bodies built from the commands the rules know (pip, uv, Poetry, apt, apk, dnf, npm, go, cargo,
...) joined by `&&`, `||`, `;`, pipes, subshells, groups and `if`. It is then laid out: parser
directives (`syntax`, `escape` with a backtick, `check`), line continuations between any two
words with comment and blank lines inside them, indentation, trailing blanks, comment and blank
lines between instructions, LF, CRLF or mixed line endings, a BOM, a file that ends without a
newline or inside a continuation. Beside it, a build context: manifests present or absent,
sources, and a `.dockerignore` of common patterns (sometimes an allow-list).

Its instructions are all known ones, and BuildKit's parser accepts it but for one shape: a
comment right below a `syntax` directive that reads as a second one, which BuildKit refuses, and
so must dockerfix.

The generator makes its choices through a `Choices`: `HypothesisChoices` draws them from
Hypothesis (which then shrinks a failing example to a small one), `RandomChoices` from a seeded
`random.Random`, some thirty times faster, for long runs (`random_examples`).
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

from hypothesis import strategies as st

T = TypeVar("T")


class Choices(Protocol):
    def integer(self, low: int, high: int) -> int:
        """A number from ``low`` to ``high``, both included; the low end is the simpler."""
        ...


class HypothesisChoices:
    def __init__(self, draw: st.DrawFn) -> None:
        self._draw = draw

    def integer(self, low: int, high: int) -> int:
        return self._draw(_integers(low, high))


_STRATEGIES: dict[tuple[int, int], st.SearchStrategy[int]] = {}


def _integers(low: int, high: int) -> st.SearchStrategy[int]:
    found = _STRATEGIES.get((low, high))
    if found is None:
        found = _STRATEGIES[(low, high)] = st.integers(low, high)
    return found


class RandomChoices:
    def __init__(self, seed: int) -> None:
        self._random = random.Random(seed)

    def integer(self, low: int, high: int) -> int:
        return self._random.randint(low, high)


def pick(c: Choices, options: Sequence[T]) -> T:
    """One of ``options``; the first is the simplest."""
    return options[c.integer(0, len(options) - 1)]


def chance(c: Choices, one_in: int) -> bool:
    """True one time in ``one_in`` (False is the simpler)."""
    return c.integer(0, one_in - 1) == one_in - 1


def some(c: Choices, options: Sequence[T], most: int, least: int = 0) -> list[T]:
    """Up to ``most`` of ``options``, each at most once, in the order drawn."""
    pool = list(options)
    out: list[T] = []
    for _ in range(c.integer(least, most)):
        if not pool:
            break
        out.append(pool.pop(c.integer(0, len(pool) - 1)))
    return out


# --- shell -------------------------------------------------------------------------------------

# Simple commands, one string each (words split at blanks; no word holds a blank or a backslash,
# so the layout may break a line between any two of them).
COMMANDS: dict[str, tuple[str, ...]] = {
    "pip": (
        "pip install -r requirements.txt",
        "pip install --no-cache-dir -r requirements.txt",
        "pip3 install --no-cache-dir --upgrade pip",
        "python -m pip install -r requirements.txt -r requirements-dev.txt",
        "pip install flask gunicorn",
        "pip install .",
        "pip install -e .",
        "pip install --no-cache-dir -c constraints.txt -r requirements.txt",
        "PIP_NO_CACHE_DIR=1 pip install -r requirements.txt",
        "/venv/bin/pip install -r requirements.txt",
        "pip cache purge",
    ),
    "python": (
        "uv sync --locked",
        "uv sync --frozen --no-install-project",
        "uv pip install --system -r requirements.txt",
        "poetry install --no-root",
        "poetry install --no-interaction --only main",
        "pipenv install --deploy --system",
        "pdm install --prod",
        "conda env create -f environment.yml",
        "conda install -y numpy",
        "conda clean -afy",
        "python manage.py collectstatic --noinput",
        "python -c 'import flask'",
    ),
    "apt": (
        "apt-get update",
        "apt-get install -y --no-install-recommends curl git",
        "apt-get -y install gcc",
        "apt-get clean",
        "rm -rf /var/lib/apt/lists/*",
        "apt update",
        "apt install -y curl",
        "DEBIAN_FRONTEND=noninteractive apt-get install -yq ca-certificates",
        "apt-get purge -y --auto-remove gcc",
    ),
    "os": (
        "apk add --no-cache curl",
        "apk update",
        "apk add build-base",
        "rm -rf /var/cache/apk/*",
        "dnf install -y gcc",
        "dnf clean all",
        "yum install -y make",
        "yum clean all",
        "microdnf install -y tar",
        "zypper --non-interactive install curl",
        "zypper clean -a",
    ),
    "node": (
        "npm ci",
        "npm install",
        "npm ci --omit=dev",
        "npm cache clean --force",
        "npm run build",
        "yarn install --frozen-lockfile",
        "yarn",
        "pnpm install --frozen-lockfile",
        "pnpm fetch",
        "bun install",
        "npm install -g pnpm",
    ),
    "build": (
        "go mod download",
        "go build -o /bin/app .",
        "CGO_ENABLED=0 go build ./...",
        "cargo fetch",
        "cargo build --release",
        "mvn -B dependency:go-offline",
        "mvn -B package -DskipTests",
        "gradle dependencies",
        "./gradlew build",
        "dotnet restore",
        "dotnet publish -c Release -o /out",
        "bundle install",
        "gem install bundler",
        "composer install --no-dev",
    ),
    "other": (
        "echo hello",
        "mkdir -p /app/data",
        "cd /app",
        "useradd -m app",
        "chown -R app /app",
        "flake8 .",
        "true",
        "test -f requirements.txt",
        "export PIP_NO_CACHE_DIR=1",
        "ls -la",
        "rm -rf /root/.cache",
        "cat /etc/os-release",
    ),
}
ALL_COMMANDS: tuple[str, ...] = tuple(c for group in COMMANDS.values() for c in group)


ALL_COMMANDS: tuple[str, ...] = tuple(c for group in COMMANDS.values() for c in group)
FAMILIES = tuple(sorted(COMMANDS))


def simple_command(c: Choices) -> list[str]:
    return pick(c, COMMANDS[pick(c, FAMILIES)]).split(" ")


def script(c: Choices, depth: int = 2) -> list[str]:
    """A shell script as its words: joined by blanks it is the text the shell reads."""
    if depth == 0 or c.integer(0, 2) < 2:
        return simple_command(c)
    form = c.integer(0, 8)
    a = script(c, depth - 1)
    if form == 0:
        return a + ["&&"] + script(c, depth - 1)
    if form == 1:
        return a + ["||"] + script(c, depth - 1)
    if form == 2:
        return a[:-1] + [a[-1] + ";"] + script(c, depth - 1)
    if form == 3:
        return a + ["|"] + script(c, depth - 1)
    if form == 4:
        return ["("] + a + [")"]
    if form == 5:
        return ["{"] + a + [";", "}"]
    if form == 6:
        return ["if", "[", "-f", "requirements.txt", "];", "then"] + a + [";", "else"] + script(c, depth - 1) + [";", "fi"]
    if form == 7:
        return ["if", "command", "-v", "apt-get;", "then"] + a + [";", "fi"]
    return ["set", "-eux;"] + a


# --- instructions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heredoc:
    marker: str  # what follows the words on the command line: <<EOF, cat <<-'EOF' > file
    body: tuple[str, ...]
    terminator: str


@dataclass(frozen=True)
class Inst:
    """One instruction before layout: its words (the keyword first) and its heredocs."""

    words: tuple[str, ...]
    heredocs: tuple[Heredoc, ...] = ()

    @property
    def breakable(self) -> bool:
        """A line may break between any two of its words (not on a heredoc's line)."""
        return not self.heredocs


IMAGES = (
    "python:3.12-slim", "python:3.11", "python:3.10-alpine", "node:20", "node:20-alpine", "golang:1.22",
    "rust:1.79", "debian:bookworm", "ubuntu:24.04", "alpine:3.20", "fedora:40", "maven:3.9-eclipse-temurin-21",
    "gradle:8-jdk21", "ruby:3.3", "composer:2", "mcr.microsoft.com/dotnet/sdk:8.0", "continuumio/miniconda3",
    "opensuse/leap:15.6", "ghcr.io/astral-sh/uv:python3.12-bookworm", "scratch", "${BASE}",
)  # fmt: skip
RUN_FLAGS = (
    "--mount=type=cache,target=/root/.cache/pip",
    "--mount=type=cache,target=/var/cache/apt,sharing=locked",
    "--mount=type=bind,source=requirements.txt,target=/tmp/requirements.txt",
    "--mount=type=bind,target=.",
    "--mount=type=secret,id=npmrc,target=/root/.npmrc",
    "--mount=type=ssh",
    "--mount=type=tmpfs,target=/tmp",
    "--mount=target=/root/.npm,type=cache",
    "--network=host",
    "--network=none",
)
COPY_FLAGS = ("--chown=app:app", "--chown=1000", "--chmod=755", "--link", "--chown=$UID:$GID", "--from")
DESTINATIONS = (".", "./", "/app", "/app/", "$APP", "${APP}/", "/srv/app")
SOURCES = (
    "requirements.txt", "requirements*.txt", "package.json", "package*.json", "go.mod", "go.sum",
    "pyproject.toml", "poetry.lock", "Cargo.toml", "src", "app.py", "$SRC",
)  # fmt: skip


def json_words(words: Sequence[str]) -> list[str]:
    """``["a", "b"]`` cut into pieces a line may break between (after each comma)."""
    items = [json.dumps(w) for w in words]
    return [("[" if i == 0 else "") + item + ("," if i < len(items) - 1 else "]") for i, item in enumerate(items)]


def run_instruction(c: Choices) -> Inst:
    flags = some(c, RUN_FLAGS, 2)
    form = pick(c, ("shell", "shell", "shell", "shell", "json", "heredoc", "heredoc-sh", "heredoc-data"))
    if form == "json":
        words = pick(c, ALL_COMMANDS).split(" ")
        if chance(c, 2):
            words = ["sh", "-c", " ".join(words)]
        return Inst(("RUN", *flags, *json_words(words)))
    if form.startswith("heredoc"):
        return Inst(("RUN", *flags), (run_heredoc(c, form),))
    trailing = ["#", "trailing", "comment"] if chance(c, 4) else []
    return Inst(("RUN", *flags, *script(c), *trailing))


def run_heredoc(c: Choices, form: str) -> Heredoc:
    name = pick(c, ("EOF", "EOT", "SCRIPT"))
    strip = chance(c, 2)
    quote = pick(c, ("", "'", '"'))
    marker = f"<<{'-' if strip else ''}{quote}{name}{quote}"
    indent = "\t" if strip and chance(c, 2) else ""
    if form == "heredoc-data":
        body = [pick(c, ("[global]", "x = 1", "# note", "")) for _ in range(c.integer(1, 3))]
        marker = f"cat {marker} > {pick(c, ('/etc/pip.conf', '/app/config.ini'))}"
    else:
        body = [" ".join(script(c)) if c.integer(0, 4) else "# a shell comment" for _ in range(c.integer(1, 4))]
        if chance(c, 2):
            body.insert(0, "set -eux")
        if form == "heredoc-sh":
            interpreter = pick(c, ("bash", "sh", "python3"))
            marker = f"{interpreter} {marker}"
            if interpreter == "python3":
                body = ["import sys", "print(sys.version)"]
        elif chance(c, 2):
            body.insert(0, "#!/bin/sh")
    return Heredoc(marker, tuple(indent + line for line in body), name)


def copy_instruction(c: Choices, stages: Sequence[str]) -> Inst:
    """A COPY or ADD; ``stages``: the names of the earlier stages (for --from)."""
    keyword = pick(c, ("COPY", "COPY", "COPY", "ADD"))
    flags = some(c, COPY_FLAGS, 2)
    if "--from" in flags:
        flags.remove("--from")
        if stages and keyword == "COPY":
            flags.append(f"--from={pick(c, stages)}")
    kind = pick(c, ("all", "all", "all", "sources", "json", "heredoc"))
    dest = pick(c, DESTINATIONS)
    if kind == "all":
        return Inst((keyword, *flags, ".", dest))
    if kind == "json":
        return Inst((keyword, *flags, *json_words([pick(c, SOURCES), dest])))
    if kind == "heredoc":
        return Inst((keyword, *flags), (Heredoc("<<EOF /app/settings.ini", ("[app]", "debug = false"), "EOF"),))
    sources = some(c, SOURCES, 3, least=1)
    if len(sources) > 1 and not dest.endswith("/"):
        dest += "/"
    return Inst((keyword, *flags, *sources, dest))


OTHER_INSTRUCTIONS: tuple[tuple[str, ...], ...] = (
    ("WORKDIR", "/app"),
    ("WORKDIR", "$APP"),
    ("WORKDIR", "src"),
    ("ENV", "APP=/app"),
    ("ENV", "PIP_NO_CACHE_DIR=1", "PYTHONUNBUFFERED=1"),
    ("ENV", "PIP_NO_CACHE_DIR", "off"),
    ("ENV", "PATH=/venv/bin:$PATH"),
    ("ENV", 'MSG="hello world"'),
    ("ENV", "NPM_CONFIG_CACHE=/tmp/npm"),
    ("ARG", "APP=/app"),
    ("ARG", "UID"),
    ("ARG", "SRC=requirements.txt"),
    ("USER", "app"),
    ("USER", "1000:1000"),
    ("USER", "root"),
    ("USER", "$UID"),
    ("LABEL", "org.opencontainers.image.title=app", '"a b"="c"'),
    ("EXPOSE", "8000", "53/udp"),
    ("CMD", *json_words(["python", "app.py"])),
    ("CMD", "python", "app.py"),
    ("ENTRYPOINT", *json_words(["/entrypoint.sh"])),
    ("HEALTHCHECK", "--interval=30s", "CMD", "curl", "-f", "http://localhost/", "||", "exit", "1"),
    ("HEALTHCHECK", "NONE"),
    ("SHELL", *json_words(["/bin/bash", "-o", "pipefail", "-c"])),
    ("SHELL", *json_words(["powershell", "-Command"])),
    ("STOPSIGNAL", "SIGTERM"),
    ("VOLUME", "/data"),
    ("VOLUME", *json_words(["/data", "/logs"])),
    ("MAINTAINER", "someone@example.com"),
    ("ONBUILD", "RUN", "pip", "install", "-r", "requirements.txt"),
    ("ONBUILD", "COPY", ".", "/app"),
)


def instruction(c: Choices, stages: Sequence[str]) -> Inst:
    kind = pick(c, ("run", "copy", "other", "run", "copy", "other", "run"))
    if kind == "run":
        return run_instruction(c)
    if kind == "copy":
        return copy_instruction(c, stages)
    return Inst(pick(c, OTHER_INSTRUCTIONS))


STAGE_NAMES = ("base", "builder", "deps", "final")
# the installs that read only manifests, which a copy of everything before them should not precede
INSTALLS = (
    "pip install -r requirements.txt", "npm ci", "go mod download", "poetry install --no-root", "uv sync --locked",
    "pipenv install --deploy --system", "cargo fetch", "bundle install", "composer install --no-dev",
    "dotnet restore", "mvn -B dependency:go-offline", "yarn install --frozen-lockfile", "pip install flask gunicorn",
    "pip install --no-cache-dir -r requirements.txt -r requirements-dev.txt", "pnpm install --frozen-lockfile",
)  # fmt: skip


def stages(c: Choices) -> Iterator[Inst]:
    if chance(c, 5):
        yield Inst(("ARG", "BASE=python:3.12-slim"))
    names: list[str] = []
    for index in range(c.integer(1, 3)):
        earlier = list(names)
        words = ["FROM", *some(c, ("--platform=$BUILDPLATFORM", "--platform=linux/amd64"), 1)]
        words.append(pick(c, IMAGES + tuple(earlier)))
        if chance(c, 2):
            names.append(STAGE_NAMES[index])
            words += [pick(c, ("AS", "as")), STAGE_NAMES[index]]
        yield Inst(tuple(words))
        # the common shape first, sometimes: a WORKDIR, the copy of everything, an install
        if chance(c, 2):
            yield Inst(("WORKDIR", pick(c, ("/app", "/srv"))))
            yield copy_instruction(c, earlier)
            if chance(c, 2):
                yield Inst(("RUN", *pick(c, INSTALLS).split(" ")))
        for _ in range(c.integer(0, 6)):
            yield instruction(c, earlier)


# --- layout ------------------------------------------------------------------------------------

COMMENTS = ("# a comment", "#", "    # indented comment", "# syntax=not-a-directive-here", "#\tdockerfix said nothing")


def _case(c: Choices, keyword: str) -> str:
    style = pick(c, ("upper", "lower", "title", "upper", "upper"))
    return {"upper": keyword.upper(), "lower": keyword.lower(), "title": keyword.title()}[style]


def _break(c: Choices, escape: str) -> list[str]:
    """A line continuation: the end of the line, the lines inside it, the next line's indent."""
    inside = [pick(c, ("", "  ", *COMMENTS[:3])) for _ in range(c.integer(0, 2))]
    return [" " + escape + pick(c, ("", " ", "\t", "", "")), *inside, pick(c, ("", "    ", "  ", "\t"))]


def layout(c: Choices, inst: Inst, escape: str) -> list[str]:
    """The lines of one instruction."""
    words = list(inst.words)
    words[0] = _case(c, words[0])
    if words[0].upper() == "ONBUILD":
        words[1] = _case(c, words[1])
    lines = [pick(c, ("", " ", "\t", "", "", "")) + words[0]]
    for word in words[1:]:
        if inst.breakable and chance(c, 6):
            pieces = _break(c, escape)
            lines[-1] += pieces[0]
            lines += pieces[1:]
            lines[-1] += word
        else:
            lines[-1] += " " + word
    for doc in inst.heredocs:
        lines[-1] += " " + doc.marker
    if chance(c, 8):
        lines[-1] += pick(c, (" ", "\t", "  "))
    for doc in inst.heredocs:
        lines += [*doc.body, doc.terminator]
    return lines


def directives(c: Choices) -> tuple[list[str], str]:
    """The parser directives' lines, and the escape character."""
    escape = "\\"
    lines: list[str] = []
    # `check` comes last: BuildKit before 0.14 (the test oracle's) ends the directives at a name
    # it does not know, so an `escape` after `check` is a directive to newer BuildKit (and to
    # dockerfix) and a comment to the oracle
    # (the backtick escape marks a Windows image, which no rule rewrites: one file in six)
    names = some(c, ("syntax", "escape", "check"), 3) if chance(c, 3) else []
    for name in sorted(names, key=lambda n: n == "check"):
        if name == "syntax":
            value = "docker/dockerfile:1"
        elif name == "check":
            value = pick(c, ("skip=JSONArgsRecommended", "error=true"))
        else:
            escape = value = pick(c, ("\\", "`"))
        lines.append(pick(c, ("# {}={}", "#{}={}", "# {} = {}")).format(name, value))
    return lines, escape


def dockerfile_lines(c: Choices) -> list[str]:
    """The physical lines of a Dockerfile, without their endings."""
    lines, escape = directives(c)
    # BuildKit before 0.14 ends the directives at `check` (above): a comment that looks like a
    # directive is one to newer BuildKit only, which refuses a second `syntax`
    comments = COMMENTS if not any("check" in line for line in lines) else COMMENTS[:3]
    for inst in stages(c):
        if chance(c, 3):
            lines.append(pick(c, ("", *comments, " ")))
        lines += layout(c, inst, escape)
    tail = pick(c, ("", "blank", "comment", "continuation", "continuation-blank", "", "", ""))
    if tail == "blank":
        lines.append("")
    elif tail == "comment":
        lines.append("# the end")
    elif tail.startswith("continuation") and not lines[-1].endswith(("EOF", "EOT", "SCRIPT")):
        lines[-1] += " " + escape
        if tail == "continuation-blank":
            lines.append("")
    return lines


def dockerfile_bytes(c: Choices) -> bytes:
    lines = dockerfile_lines(c)
    endings = pick(c, ("lf", "crlf", "mixed", "lf", "lf"))
    if endings == "mixed":
        ends = [pick(c, ("\n", "\r\n")) for _ in lines]
    else:
        ends = ["\r\n" if endings == "crlf" else "\n"] * len(lines)
    if chance(c, 6):
        ends[-1] = ""
    bom = "\ufeff" if chance(c, 7) else ""
    return (bom + "".join(line + end for line, end in zip(lines, ends))).encode("utf-8")


# --- build contexts ----------------------------------------------------------------------------

CONTEXT_FILES: dict[str, str] = {
    "requirements.txt": "flask==3.0.3\ngunicorn\n",
    "requirements-dev.txt": "-r requirements.txt\npytest\n",
    "constraints.txt": "flask<4\n",
    "pyproject.toml": '[project]\nname = "svc"\nversion = "1.0"\ndependencies = ["flask"]\n\n[tool.poetry]\nname = "svc"\nversion = "1.0"\n',
    "poetry.lock": "# lock\n",
    "uv.lock": "version = 1\n",
    "Pipfile": "[packages]\nflask = '*'\n",
    "Pipfile.lock": "{}\n",
    "environment.yml": "name: app\ndependencies:\n  - numpy\n",
    "package.json": '{"name": "app", "version": "1.0.0"}\n',
    "package-lock.json": '{"lockfileVersion": 3}\n',
    "yarn.lock": "# yarn lockfile v1\n",
    "pnpm-lock.yaml": "lockfileVersion: '9.0'\n",
    "go.mod": "module example.com/app\n\ngo 1.22\n",
    "go.sum": "",
    "main.go": "package main\n\nfunc main() {}\n",
    "Cargo.toml": '[package]\nname = "app"\nversion = "0.1.0"\n',
    "Cargo.lock": "version = 3\n",
    "src/main.rs": "fn main() {}\n",
    "pom.xml": "<project><modelVersion>4.0.0</modelVersion></project>\n",
    "build.gradle": "plugins { id 'java' }\n",
    "Gemfile": "source 'https://rubygems.org'\ngem 'rails'\n",
    "Gemfile.lock": "GEM\n",
    "composer.json": '{"require": {}}\n',
    "app.py": "print('hi')\n",
    "manage.py": "print('manage')\n",
    "README.md": "# app\n",
}
DOCKERIGNORE_PATTERNS = (
    ".git", "*.md", "node_modules", "**/__pycache__", "requirements.txt", "!requirements.txt", "*.lock",
    "src", "!README.md", "# a comment", "", "/build", "**/*.pyc",
)  # fmt: skip


CONTEXT_NAMES = tuple(sorted(CONTEXT_FILES))
ALLOW_LIST = ("*", "!requirements.txt", "!app.py", "!package*.json")


def context_files(c: Choices) -> dict[str, bytes]:
    files = {name: CONTEXT_FILES[name].encode() for name in some(c, CONTEXT_NAMES, 16)}
    if chance(c, 3):
        patterns = [pick(c, DOCKERIGNORE_PATTERNS) for _ in range(c.integer(0, 4))]
        if chance(c, 4):
            patterns = [*ALLOW_LIST, *patterns]
        files[".dockerignore"] = ("\n".join(patterns) + "\n").encode()
    return files


@dataclass(frozen=True)
class Generated:
    """A Dockerfile and its build context."""

    dockerfile: bytes
    files: dict[str, bytes] = field(default_factory=dict)
    unsafe_fixes: bool = False

    def __repr__(self) -> str:
        files = "".join(f"\n  {name}: {data!r}" for name, data in sorted(self.files.items()))
        text = self.dockerfile.decode("utf-8-sig")
        return f"Generated(unsafe_fixes={self.unsafe_fixes})\n{text}\n--- {self.dockerfile!r}{files}"


def example(c: Choices) -> Generated:
    return Generated(dockerfile_bytes(c), context_files(c), chance(c, 4))


@st.composite
def generated(draw: st.DrawFn) -> Generated:
    """Examples drawn by Hypothesis, which shrinks a failing one."""
    return example(HypothesisChoices(draw))


def random_examples(seed: int, count: int) -> Iterator[tuple[int, Generated]]:
    """``count`` examples, each from its own seed (``seed``, ``seed + 1``, ...), for long runs."""
    for n in range(seed, seed + count):
        yield n, example(RandomChoices(n))
