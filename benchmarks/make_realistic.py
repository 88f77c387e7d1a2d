#!/usr/bin/env python3
"""Generate a deterministic corpus of repositories whose Dockerfiles are shaped like real ones.

The proportions follow a survey of 1,149 public Dockerfiles (the numbers in brackets below):
every ecosystem, not only Python; manifests copied before the install in most files and the
whole context first in about one in ten [78 of ~800]; multi-stage builds [34%]; line
continuations [61%], comment lines inside them [11%]; heredocs [4%]; ``# syntax=`` [7%] and
``# check=`` [1%]; ``COPY --chown`` [10%], ``--link``/``--chmod`` [1% each]; glob and multi-source
copies [14%, 13%]; variables in COPY paths [9%]; no WORKDIR [33%]; cache mounts [6%]; pip's
``--no-cache-dir`` [48% of pip users]; apt lists removed [70% of apt users]; installs hidden in
scripts [8%]; ``.dockerignore`` [41%, a few of them allow-lists]; a build context that is not
the Dockerfile's folder [23%], named by a compose file or a Makefile or not at all; a few Windows
files with a backtick escape. Sizes have a long tail: most files are 10-60 lines, a few hundreds.
The ecosystem mix (Python about a third, then Node, plain OS images, Go, JVM, PHP, Rust, Ruby,
.NET) is an estimate from the same survey.

Each repository is a folder holding one to eight Dockerfiles with their manifests, lockfiles and
a few source files, so that the rules really engage. The corpus as a whole is made a git work
tree (``git init``, nothing committed) so that dockerfix reads it as one repository, as it would
read a monorepo. The same ``--seed`` and ``--count`` always give byte-identical files.

    python benchmarks/make_realistic.py [TARGET] [--count N] [--seed S]
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_corpus  # noqa: E402
from make_corpus import apt_run, pick_weighted, pyproject, read_manifest, requirement_lines, run_lines  # noqa: E402

DEFAULT_COUNT = 1200
DEFAULT_SEED = 4099
CORPUS_VERSION = 1  # bump when the generator changes, so run.py regenerates old corpora
MANIFEST = ".corpus.json"
DEFAULT_TARGET = Path(__file__).resolve().parent / "corpus-realistic"

ECOSYSTEMS = (
    ("pip", 26), ("uv", 4), ("poetry", 2), ("conda", 2), ("pipenv", 1),
    ("node", 20), ("os", 12), ("go", 9), ("maven", 4), ("gradle", 3), ("php", 5),
    ("rust", 3), ("ruby", 3), ("dotnet", 3), ("static", 3),
)  # fmt: skip
# How the install meets the code: manifests first, the whole context first, or a script.
ORDERS = (("manifest-first", 80), ("copy-all-first", 12), ("script", 8))
RUN_COMMENTS = ("keep this list sorted", "pinned for reproducible builds", "see docs/build.md", "needed at runtime")
NOTES = (
    "Build: docker build -t app .",
    "Keep the layers that change least at the top.",
    "Secrets come from the environment, never from the image.",
    "This image is rebuilt nightly.",
    "TODO: pin the base image by digest",
    "Maintained by the platform team",
)
NPM_DEPS = ("express", "react", "next", "axios", "lodash", "dotenv", "pg", "typescript", "vite", "zod")
GEMS = ("rails", "puma", "pg", "sidekiq", "bootsnap", "redis", "nokogiri")


@dataclass
class Options:
    """The cross-cutting choices one Dockerfile is written with."""

    order: str
    workdir: bool
    mount: bool
    heredoc: bool
    chown: bool
    comments: bool  # comment lines inside continuations
    arg_paths: bool  # a variable in a COPY destination
    padding: int


@dataclass
class Gen:
    """One Dockerfile being written, and its build context's files."""

    rng: random.Random
    opt: Options
    out: list[str] = field(default_factory=list)
    files: dict[str, str] = field(default_factory=dict)
    home: str = ""  # the application folder, when no WORKDIR names it

    def add(self, *lines: str) -> None:
        self.out.extend(lines)

    def blank(self, p: float = 0.7) -> None:
        if self.out and self.out[-1] != "" and self.rng.random() < p:
            self.out.append("")

    def comment(self, p: float, *texts: str) -> None:
        if self.rng.random() < p:
            self.out.append(f"# {self.rng.choice(texts)}")

    def run(self, commands: list[str], flags: str = "", app: bool = False) -> None:
        """A RUN; with ``app``, in the application folder (``cd`` there when there is no WORKDIR)."""
        commands = self.cd(commands) if app else commands
        if self.rng.random() < 0.4:  # short chains stay on one line more often than run_lines writes them
            self.out.append(" ".join(("RUN", flags, " && ".join(commands))).replace("RUN  ", "RUN "))
            return
        comments = RUN_COMMENTS if self.opt.comments else ()
        self.out.extend(run_lines(self.rng, commands, flags, comments))

    def cd(self, commands: list[str]) -> list[str]:
        return [f"cd {self.home}", *commands] if self.home else commands

    def install(self, commands: list[str], cache: str | None = None) -> None:
        """The dependency install: a cache mount in a few files, a heredoc in a few others."""
        commands = self.cd(commands)
        flags = f"--mount=type=cache,target={cache}" if cache and self.opt.mount else ""
        if self.opt.heredoc and not flags:
            self.out += ["RUN <<EOF", "set -e", *commands, "EOF"]
            self.opt.heredoc = False
            return
        self.run(commands, flags)

    def workdir(self, path: str) -> str:
        """WORKDIR (in two files of three); the destination that means it."""
        if not self.opt.workdir:
            self.home = path
            return path + "/"
        if self.opt.arg_paths:
            self.add(f"ARG APP_HOME={path}", "WORKDIR $APP_HOME")
            return "$APP_HOME/"
        self.add(f"WORKDIR {path}")
        return "./"

    def chown(self, owner: str) -> str:
        return f"--chown={owner} " if self.opt.chown else ""

    def copy_code(self, manifests: str, dest: str, install: Callable[[], None], *, sources: str = ".") -> None:
        """The copies around the install, in the file's order."""
        code = f"COPY {self.chown('1000:1000')}{sources} {dest if sources == '.' else dest + sources}"
        if self.opt.order == "manifest-first":
            self.comment(0.3, "dependencies first, for the layer cache", "install dependencies")
            self.add(f"COPY {manifests} {dest}")
            install()
            self.blank(0.5)
            self.add(code)
        elif self.opt.order == "copy-all-first":
            self.add(code)
            install()
        else:
            self.add(f"COPY {self.chown('1000:1000')}. {dest}")
            self.run([f"chmod +x {dest}scripts/install-deps.sh", f"{dest}scripts/install-deps.sh"])
            self.files["scripts/install-deps.sh"] = "#!/bin/sh\nset -eu\n# installs the dependencies\n"


def pick(rng: random.Random, *values: str) -> str:
    return rng.choice(values)


# --------------------------------------------------------------------------------------------
# Ecosystems: each writes its stages into g.out and its manifests into g.files
# --------------------------------------------------------------------------------------------


def apt(g: Gen, packages: tuple[str, ...] = ()) -> None:
    if g.opt.mount and g.rng.random() < 0.5:
        mounts = "--mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt/lists,sharing=locked"
        g.run(["apt-get update", "apt-get install -y --no-install-recommends " + " ".join(packages or ("curl",))], mounts)
        return
    lines = apt_run(g.rng, packages)
    if g.rng.random() < 0.3:  # apt lists left in the image in about 30% of the files
        lines = keep_apt_lists(lines)
    g.add(*lines)


def keep_apt_lists(lines: list[str]) -> list[str]:
    """The apt RUN without its last command, ``rm -rf /var/lib/apt/lists/*``."""
    if len(lines) == 1:
        return [lines[0].replace(" && rm -rf /var/lib/apt/lists/*", "")]
    lines = lines[:-1]
    while lines[-1].lstrip().startswith("#"):
        lines.pop()
    last = lines[-1].removesuffix(" \\")
    lines[-1] = last.removesuffix(";").removesuffix("&&").rstrip()
    return lines


def python_base(g: Gen) -> str:
    py = pick(g.rng, "3.9", "3.10", "3.11", "3.12", "3.12", "3.13")
    image = pick(g.rng, f"python:{py}-slim", f"python:{py}-slim", f"python:{py}", f"python:{py}-alpine", f"python:{py}-slim-bookworm")
    g.add(f"FROM {image}")
    if g.rng.random() < 0.6:
        g.add(pick(g.rng, "ENV PYTHONUNBUFFERED=1", "ENV PYTHONDONTWRITEBYTECODE=1 \\\n    PYTHONUNBUFFERED=1"))
    if g.rng.random() < 0.015:
        g.add("ENV PIP_NO_CACHE_DIR=off")
    if "alpine" not in image and g.rng.random() < 0.35:
        apt(g, ("build-essential", "libpq-dev"))
    return image


def eco_pip(g: Gen) -> None:
    python_base(g)
    dest = g.workdir(pick(g.rng, "/app", "/app", "/code", "/usr/src/app"))
    reqs = requirement_lines(g.rng, 3, 12)
    if g.rng.random() < 0.1:
        g.files["requirements-base.txt"] = "\n".join(reqs) + "\n"
        g.files["requirements.txt"] = "-r requirements-base.txt\ngunicorn==23.0.0\n"
        manifests = pick(g.rng, "requirements*.txt", "requirements.txt requirements-base.txt")
    else:
        g.files["requirements.txt"] = "\n".join(reqs) + "\n"
        manifests = pick(g.rng, "requirements.txt", "requirements.txt", "requirements*.txt")
    no_cache = "--no-cache-dir " if g.rng.random() < 0.48 and not g.opt.mount else ""
    req = "requirements.txt" if dest == "./" else dest + "requirements.txt"

    def install() -> None:
        commands = [f"pip install {no_cache}-r {req}"]
        if g.rng.random() < 0.3:
            commands.insert(0, f"pip install {no_cache}--upgrade pip")
        g.install(commands, "/root/.cache/pip")

    g.copy_code(manifests, dest, install)
    g.files["app.py"] = "print('hello')\n"
    g.add(pick(g.rng, 'CMD ["python", "app.py"]', 'CMD ["gunicorn", "-b", "0.0.0.0:8000", "app:app"]'))


def eco_uv(g: Gen) -> None:
    python_base(g)
    g.add(f"COPY --from=ghcr.io/astral-sh/uv:{pick(g.rng, '0.4', '0.5', 'latest')} /uv /uvx /bin/")
    dest = g.workdir("/app")
    g.files["pyproject.toml"] = pyproject()
    g.files["uv.lock"] = 'version = 1\nrequires-python = ">=3.11"\n\n[[package]]\nname = "flask"\nversion = "3.0.3"\n'
    g.add("ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy")

    def install() -> None:
        g.install(["uv sync --frozen --no-install-project --no-dev"], "/root/.cache/uv")

    g.copy_code("pyproject.toml uv.lock", dest, install)
    g.run(["uv sync --frozen --no-dev"], app=True)
    g.add('CMD ["uv", "run", "python", "-m", "service"]')


def eco_poetry(g: Gen) -> None:
    python_base(g)
    g.add(f"RUN pip install poetry=={pick(g.rng, '1.7.1', '1.8.3')}")
    dest = g.workdir("/app")
    g.files["pyproject.toml"] = pyproject() + '\n[tool.poetry]\nname = "service"\nversion = "0.1.0"\n'
    g.files["poetry.lock"] = '[[package]]\nname = "flask"\nversion = "3.0.3"\n'

    def install() -> None:
        g.install(["poetry config virtualenvs.create false", "poetry install --no-root --only main --no-interaction"], "/root/.cache/pypoetry")

    g.copy_code("pyproject.toml poetry.lock", dest, install)
    g.add('CMD ["python", "-m", "service"]')


def eco_pipenv(g: Gen) -> None:
    python_base(g)
    dest = g.workdir("/app")
    g.files["Pipfile"] = '[packages]\nflask = "==3.0.3"\n\n[requires]\npython_version = "3.12"\n'
    g.files["Pipfile.lock"] = '{"_meta": {"hash": {"sha256": "0"}}, "default": {}, "develop": {}}\n'

    def install() -> None:
        g.install(["pip install pipenv", "pipenv install --system --deploy"], "/root/.cache/pip")

    g.copy_code("Pipfile Pipfile.lock", dest, install)
    g.add('CMD ["python", "app.py"]')


def eco_conda(g: Gen) -> None:
    g.add(f"FROM {pick(g.rng, 'continuumio/miniconda3', 'mambaorg/micromamba:1.5', 'condaforge/miniforge3')}")
    dest = g.workdir("/app")
    g.files["environment.yml"] = "name: app\nchannels:\n  - conda-forge\ndependencies:\n  - python=3.11\n  - numpy\n"

    def install() -> None:
        g.install(["conda env update -n base -f environment.yml", "conda clean -afy"], "/opt/conda/pkgs")

    g.copy_code("environment.yml", dest, install)
    g.add('CMD ["python", "main.py"]')


def node_files(g: Gen, manager: str) -> str:
    deps = ", ".join(f'"{d}": "^{g.rng.randint(1, 18)}.{g.rng.randint(0, 9)}.0"' for d in g.rng.sample(NPM_DEPS, 4))
    scripts = '"build": "vite build", "start": "node server.js"'
    if g.rng.random() < 0.1:
        scripts += ', "postinstall": "node scripts/setup.js"'
        g.files["scripts/setup.js"] = "console.log('setup')\n"
    g.files["package.json"] = f'{{\n  "name": "web",\n  "version": "1.0.0",\n  "scripts": {{{scripts}}},\n  "dependencies": {{{deps}}}\n}}\n'
    g.files["server.js"] = "require('http').createServer((q, r) => r.end('ok')).listen(3000)\n"
    if manager == "yarn":
        g.files["yarn.lock"] = "# yarn lockfile v1\n\n"
        return "package.json yarn.lock"
    if manager == "pnpm":
        g.files["pnpm-lock.yaml"] = "lockfileVersion: '9.0'\n"
        return "package.json pnpm-lock.yaml"
    g.files["package-lock.json"] = '{"name": "web", "lockfileVersion": 3, "requires": true, "packages": {}}\n'
    return pick(g.rng, "package*.json", "package.json package-lock.json")


def eco_node(g: Gen) -> None:
    version = pick(g.rng, "18", "20", "20", "22")
    multi = g.rng.random() < 0.55
    if g.rng.random() < 0.2:
        g.add(f"ARG NODE_VERSION={version}", "FROM node:${NODE_VERSION}-alpine" + (" AS build" if multi else ""))
    else:
        g.add(f"FROM node:{version}{pick(g.rng, '-alpine', '-slim', '', '-bookworm-slim')}" + (" AS build" if multi else ""))
    manager = pick_weighted(g.rng, (("npm", 70), ("yarn", 20), ("pnpm", 10)))
    dest = g.workdir(pick(g.rng, "/app", "/usr/src/app", "/home/node/app"))
    manifests = node_files(g, manager)
    command = {"npm": pick(g.rng, "npm ci", "npm install", "npm ci --omit=dev"), "yarn": "yarn install --frozen-lockfile"}
    if manager == "pnpm":
        g.add("RUN corepack enable")
    cache = {"npm": "/root/.npm", "yarn": "/usr/local/share/.cache/yarn", "pnpm": "/root/.local/share/pnpm/store"}[manager]

    def install() -> None:
        commands = [command.get(manager, "pnpm install --frozen-lockfile")]
        if g.opt.order == "copy-all-first" and g.rng.random() < 0.4:
            commands.append(f"{manager} run build")  # an install RUN that also builds
        g.install(commands, cache)

    g.copy_code(manifests, dest, install)
    if multi:
        g.run([f"{manager} run build"], app=True)
        g.blank(1.0)
        if g.rng.random() < 0.5:
            g.add("FROM nginx:1.27-alpine", "COPY --from=build /app/dist /usr/share/nginx/html", "EXPOSE 80")
            return
        g.add(f"FROM node:{version}-alpine", "WORKDIR /app", "ENV NODE_ENV=production")
        g.add("COPY --from=build /app/dist ./dist", "COPY --from=build /app/node_modules ./node_modules")
    g.add("EXPOSE 3000")
    if g.rng.random() < 0.4:
        g.add("USER node")
    g.add(pick(g.rng, 'CMD ["node", "server.js"]', 'CMD ["npm", "start"]', "CMD npm run start"))


def eco_go(g: Gen) -> None:
    g.add(f"FROM golang:{pick(g.rng, '1.21', '1.22', '1.23')}{pick(g.rng, '-alpine', '', '-bookworm')} AS build")
    dest = g.workdir(pick(g.rng, "/src", "/app", "/go/src/app"))
    g.files["go.mod"] = "module example.com/app\n\ngo 1.22\n\nrequire github.com/go-chi/chi/v5 v5.0.12\n"
    g.files["go.sum"] = "github.com/go-chi/chi/v5 v5.0.12 h1:9euLV5sTrTNTRUU9POmDUvfxyj6LAABLUcEWO+JJb4s=\n"
    g.files["main.go"] = "package main\n\nfunc main() {}\n"
    build = "CGO_ENABLED=0 go build -ldflags='-s -w' -o /out/app ."

    def install() -> None:
        g.install(["go mod download"], "/go/pkg/mod")

    if g.opt.order == "copy-all-first":
        g.add(f"COPY . {dest}")  # the build itself fetches the modules
        g.install([build], "/root/.cache/go-build")
    else:
        g.copy_code("go.mod go.sum", dest, install)
        g.run([build], app=True)
    g.blank(1.0)
    g.add(f"FROM {pick(g.rng, 'gcr.io/distroless/static-debian12', 'alpine:3.20', 'scratch')}")
    g.add(f"COPY --from=build {'--chmod=0755 ' if g.rng.random() < 0.05 else ''}/out/app /app", 'ENTRYPOINT ["/app"]')


def eco_rust(g: Gen) -> None:
    g.add(f"FROM rust:{pick(g.rng, '1.78', '1.80', '1-slim-bookworm')} AS builder")
    dest = g.workdir("/usr/src/app")
    g.files["Cargo.toml"] = '[package]\nname = "app"\nversion = "0.1.0"\nedition = "2021"\n\n[dependencies]\nserde = "1"\n'
    g.files["Cargo.lock"] = 'version = 3\n\n[[package]]\nname = "serde"\nversion = "1.0.203"\n'
    g.files["src/main.rs"] = "fn main() {}\n"

    def install() -> None:
        g.run(['mkdir src && echo "fn main() {}" > src/main.rs', "cargo build --release", "rm -rf src"], app=True)

    g.copy_code("Cargo.toml Cargo.lock", dest, install)
    g.install(["cargo build --release"], "/usr/local/cargo/registry")
    g.blank(1.0)
    g.add("FROM debian:bookworm-slim")
    apt(g, ("ca-certificates",))
    g.add("COPY --from=builder /usr/src/app/target/release/app /usr/local/bin/app", 'CMD ["app"]')


def eco_maven(g: Gen) -> None:
    g.add(f"FROM maven:3.9-eclipse-temurin-{pick(g.rng, '17', '21')} AS build")
    dest = g.workdir("/app")
    g.files["pom.xml"] = "<project>\n  <modelVersion>4.0.0</modelVersion>\n  <groupId>com.example</groupId>\n  <artifactId>app</artifactId>\n  <version>1.0</version>\n</project>\n"
    g.files["src/main/java/App.java"] = "public class App { public static void main(String[] a) {} }\n"

    def install() -> None:
        g.install(["mvn -B dependency:go-offline"], "/root/.m2")

    if g.opt.order == "manifest-first":
        g.add(f"COPY pom.xml {dest}")
        install()
        g.add(f"COPY src {dest}src")
    else:
        g.add(f"COPY . {dest}")
    g.install(["mvn -B package -DskipTests"], "/root/.m2")
    g.blank(1.0)
    g.add(f"FROM eclipse-temurin:{pick(g.rng, '17-jre', '21-jre-alpine')}", "COPY --from=build /app/target/*.jar /app.jar")
    g.add('ENTRYPOINT ["java", "-jar", "/app.jar"]')


def eco_gradle(g: Gen) -> None:
    g.add(f"FROM gradle:8.{g.rng.randint(5, 10)}-jdk{pick(g.rng, '17', '21')} AS build")
    dest = g.workdir("/home/gradle/project")
    g.files["build.gradle"] = "plugins { id 'java' }\nrepositories { mavenCentral() }\n"
    g.files["settings.gradle"] = "rootProject.name = 'app'\n"
    g.files["src/main/java/App.java"] = "public class App {}\n"
    g.add(f"COPY --chown=gradle:gradle . {dest}")
    g.install(["gradle build --no-daemon -x test"], "/home/gradle/.gradle/caches")
    g.blank(1.0)
    g.add("FROM eclipse-temurin:21-jre", "COPY --from=build /home/gradle/project/build/libs/*.jar /app.jar")
    g.add('ENTRYPOINT ["java", "-jar", "/app.jar"]')


def eco_ruby(g: Gen) -> None:
    g.add(f"FROM ruby:{pick(g.rng, '3.2', '3.3')}-{pick(g.rng, 'slim', 'alpine', 'bookworm')}")
    if g.rng.random() < 0.6:
        apt(g, ("build-essential", "libpq-dev"))
    dest = g.workdir(pick(g.rng, "/app", "/rails", "/usr/src/app"))
    gems = g.rng.sample(GEMS, 4)
    g.files["Gemfile"] = 'source "https://rubygems.org"\n\n' + "".join(f'gem "{gem}"\n' for gem in gems)
    g.files["Gemfile.lock"] = "GEM\n  remote: https://rubygems.org/\n  specs:\n" + "".join(f"    {gem} (1.0.0)\n" for gem in gems)

    def install() -> None:
        g.install(["bundle config set --local without 'development test'", "bundle install --jobs 4"], "/usr/local/bundle/cache")

    g.copy_code("Gemfile Gemfile.lock", dest, install)
    g.add('CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]')


def eco_php(g: Gen) -> None:
    g.add(f"FROM php:{pick(g.rng, '8.2', '8.3')}-{pick(g.rng, 'fpm-alpine', 'apache', 'fpm', 'cli')}")
    g.run(["docker-php-ext-install pdo_mysql opcache"])
    g.add("COPY --from=composer:2 /usr/bin/composer /usr/bin/composer")
    dest = g.workdir("/var/www/html")
    g.files["composer.json"] = '{\n  "require": {"php": ">=8.2", "monolog/monolog": "^3.0"}\n}\n'
    g.files["composer.lock"] = '{"packages": [], "packages-dev": []}\n'
    g.files["index.php"] = "<?php echo 'ok';\n"

    def install() -> None:
        g.install(["composer install --no-dev --no-scripts --prefer-dist --no-interaction"], "/root/.composer/cache")

    g.copy_code("composer.json composer.lock", dest, install)
    g.add(f"RUN chown -R www-data:www-data {dest.rstrip('/') or '.'}")


def eco_dotnet(g: Gen) -> None:
    version = pick(g.rng, "6.0", "8.0", "8.0")
    g.add(f"FROM mcr.microsoft.com/dotnet/sdk:{version} AS build", "WORKDIR /src")
    g.files["App/App.csproj"] = '<Project Sdk="Microsoft.NET.Sdk.Web">\n  <PropertyGroup><TargetFramework>net8.0</TargetFramework></PropertyGroup>\n</Project>\n'
    g.files["App/Program.cs"] = "var app = WebApplication.Create(args);\napp.Run();\n"
    if g.opt.order == "manifest-first":
        g.add('COPY ["App/App.csproj", "App/"]')
        g.install(['dotnet restore "App/App.csproj"'], "/root/.nuget/packages")
        g.add("COPY . .")
    else:
        g.add("COPY . .")
        g.install(['dotnet restore "App/App.csproj"'], "/root/.nuget/packages")
    g.add('WORKDIR "/src/App"', 'RUN dotnet publish "App.csproj" -c Release -o /app/publish /p:UseAppHost=false')
    g.blank(1.0)
    g.add(f"FROM mcr.microsoft.com/dotnet/aspnet:{version} AS final", "WORKDIR /app", "COPY --from=build /app/publish .")
    g.add('ENTRYPOINT ["dotnet", "App.dll"]')


def eco_os(g: Gen) -> None:
    kind = pick_weighted(g.rng, (("apt", 55), ("apk", 30), ("dnf", 10), ("windows", 5)))
    if kind == "windows":  # no padding, no comments: the backslash is not the escape here
        g.opt.padding, g.opt.comments = 0, False
        g.out.insert(0, "# escape=`")
        g.add("FROM mcr.microsoft.com/windows/servercore:ltsc2022", 'SHELL ["powershell", "-Command"]')
        g.add("RUN Invoke-WebRequest -Uri https://example.com/tool.zip -OutFile tool.zip ; `", "    Expand-Archive tool.zip -DestinationPath C:\\tool")
        g.add('ENTRYPOINT ["C:\\\\tool\\\\tool.exe"]')
        return
    if kind == "apt":
        g.add(f"FROM {pick(g.rng, 'ubuntu:22.04', 'ubuntu:24.04', 'debian:bookworm-slim', 'debian:12')}")
        g.add("ARG DEBIAN_FRONTEND=noninteractive")
        apt(g, ("ca-certificates", "curl"))
    elif kind == "apk":
        g.add(f"FROM alpine:{pick(g.rng, '3.18', '3.19', '3.20')}")
        flags = "--mount=type=cache,target=/var/cache/apk" if g.opt.mount else ""
        g.run(["apk add --no-cache bash curl ca-certificates" if not flags else "apk add bash curl ca-certificates"], flags)
    else:
        g.add(f"FROM {pick(g.rng, 'rockylinux:9', 'fedora:40', 'registry.access.redhat.com/ubi9/ubi-minimal')}")
        g.run(["dnf install -y curl tar", "dnf clean all"])
    g.run(["curl -fsSL https://example.com/tool.tar.gz -o /tmp/tool.tar.gz", "tar -xzf /tmp/tool.tar.gz -C /usr/local/bin", "rm /tmp/tool.tar.gz"])
    g.add(f"COPY {'--chmod=0755 ' if g.rng.random() < 0.1 else ''}entrypoint.sh /usr/local/bin/entrypoint.sh")
    g.files["entrypoint.sh"] = '#!/bin/sh\nexec "$@"\n'
    g.add('ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]')


def eco_static(g: Gen) -> None:
    g.add(f"FROM nginx:{pick(g.rng, '1.25', '1.27', 'stable')}-alpine")
    site = pick(g.rng, "dist", "public", "build")
    g.add("COPY nginx.conf /etc/nginx/conf.d/default.conf", f"COPY {site}/ /usr/share/nginx/html/")
    g.files["nginx.conf"] = "server { listen 80; root /usr/share/nginx/html; }\n"
    g.files[f"{site}/index.html"] = "<h1>ok</h1>\n"
    g.add("EXPOSE 80")


WRITERS: dict[str, Callable[[Gen], None]] = {
    "pip": eco_pip, "uv": eco_uv, "poetry": eco_poetry, "pipenv": eco_pipenv, "conda": eco_conda,
    "node": eco_node, "go": eco_go, "rust": eco_rust, "maven": eco_maven, "gradle": eco_gradle,
    "ruby": eco_ruby, "php": eco_php, "dotnet": eco_dotnet, "os": eco_os, "static": eco_static,
}  # fmt: skip


# --------------------------------------------------------------------------------------------
# What every file may carry
# --------------------------------------------------------------------------------------------


def padding(g: Gen) -> None:
    """The labels, variables, comments and extra steps of the longer files."""
    for _ in range(g.opt.padding):
        roll = g.rng.random()
        if roll < 0.2:
            g.blank(1.0)
            g.add(*(f"# {note}" for note in g.rng.sample(NOTES, g.rng.randint(1, 4))))
        elif roll < 0.4:
            g.add(f"ENV {g.rng.choice(('TZ=UTC', 'LANG=C.UTF-8', 'APP_ENV=production', 'LOG_LEVEL=info', 'PORT=8080'))}")
        elif roll < 0.55 and g.rng.random() < 0.5:
            g.add('LABEL org.opencontainers.image.source="https://example.com/git/app" \\', '      org.opencontainers.image.licenses="MIT"')
        elif roll < 0.55:
            g.add('LABEL maintainer="platform@example.com"')
        elif roll < 0.7:
            g.add("ARG VERSION=0.0.0", "ENV VERSION=${VERSION}")
        elif roll < 0.85:
            g.run(["mkdir -p /var/log/app /data"] + (["chmod 0775 /var/log/app"] if g.rng.random() < 0.3 else []))
        else:
            g.add(f"EXPOSE {g.rng.choice((80, 3000, 8000, 8080))}")


def header(rng: random.Random) -> list[str]:
    lines = []
    if rng.random() < 0.07:
        lines.append(rng.choice(("# syntax=docker/dockerfile:1", "# syntax=docker/dockerfile:1.7")))
    if rng.random() < 0.01:
        lines.append("# check=skip=JSONArgsRecommended")
    if rng.random() < 0.3:
        lines.append(f"# {rng.choice(NOTES)}")
    return lines


def plan_options(rng: random.Random) -> Options:
    return Options(
        order=pick_weighted(rng, ORDERS),
        workdir=rng.random() < 0.75,
        mount=rng.random() < 0.06,
        heredoc=rng.random() < 0.04,
        chown=rng.random() < 0.1,
        comments=rng.random() < 0.18,
        arg_paths=rng.random() < 0.09,
        padding=int(pick_weighted(rng, (("0", 20), ("1", 15), ("2", 15), ("3", 12), ("6", 18), ("12", 12), ("30", 6), ("80", 2)))),
    )


def user_tail(g: Gen) -> None:
    if g.rng.random() < 0.15 and not any(line.startswith("USER ") for line in g.out):
        at = len(g.out) - 1 if g.out[-1].startswith(("CMD", "ENTRYPOINT")) else len(g.out)
        g.out.insert(at, pick(g.rng, "USER 1000", "USER nobody", "USER 10001:10001"))


def write_dockerfile(rng: random.Random, eco: str) -> Gen:
    g = Gen(rng, plan_options(rng))
    WRITERS[eco](g)
    body = g.out
    cut = next((i for i, line in enumerate(body) if line.startswith(("WORKDIR", "COPY", "RUN"))), len(body))
    g.out = body[:cut]
    padding(g)  # the padding goes between FROM and the first step of the first stage
    g.out += body[cut:]
    user_tail(g)
    g.out = [line for text in g.out for line in text.split("\n")]
    escape = g.out[:1] == ["# escape=`"]
    g.out = (g.out[:1] if escape else []) + header(rng) + g.out[1 if escape else 0 :]
    return g


# --------------------------------------------------------------------------------------------
# Repositories
# --------------------------------------------------------------------------------------------


@dataclass
class Repo:
    slug: str
    dockerfiles: dict[str, bytes] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)
    ecosystems: list[str] = field(default_factory=list)


def dockerignore(rng: random.Random) -> str | None:
    kind = pick_weighted(rng, (("none", 59), ("standard", 39), ("allow", 2)))
    if kind == "none":
        return None
    if kind == "allow":
        return "*\n!package*.json\n!requirements*.txt\n!src/\n!app.py\n!go.mod\n!go.sum\n!main.go\n"
    lines = [".git"] if rng.random() < 0.45 else []
    lines += rng.sample(["node_modules", "**/__pycache__", "*.md", ".env", "dist/", "target/", "Dockerfile*", ".vscode", "coverage/"], rng.randint(2, 6))
    return "\n".join(lines) + "\n"


def encode(rng: random.Random, lines: list[str]) -> bytes:
    while lines and lines[-1] == "":
        lines.pop()
    newline = "\r\n" if rng.random() < 0.03 else "\n"
    text = newline.join(lines) + ("" if rng.random() < 0.06 else newline)
    return (("\ufeff" if rng.random() < 0.01 else "") + text).encode("utf-8")


def add_service(rng: random.Random, repo: Repo, folder: str, eco: str, name: str) -> None:
    """One Dockerfile and its context; where the context is not the Dockerfile's folder, a
    compose file or a Makefile at the context's root may say so."""
    g = write_dockerfile(rng, eco)
    prefix = f"{folder}/" if folder else ""
    placement = pick_weighted(rng, (("here", 77), ("compose", 10), ("makefile", 6), ("unsaid", 7)))
    where = f"{prefix}{name}" if placement == "here" else f"{prefix}{rng.choice(('docker', 'deploy', 'build'))}/{name}"
    repo.dockerfiles[where] = encode(rng, g.out)
    repo.ecosystems.append(eco)
    for rel, text in g.files.items():
        repo.files.setdefault(prefix + rel, text)
    ignore = dockerignore(rng)
    if ignore:
        repo.files[prefix + ".dockerignore"] = ignore
    relative = where[len(prefix) :]
    service = folder.rsplit("/", 1)[-1] or "app"
    if placement == "compose":
        entry = f"  {service}:\n    build:\n      context: {'./' + folder if folder else '.'}\n      dockerfile: {relative}\n"
        repo.files["compose.yaml"] = repo.files.get("compose.yaml", "services:\n") + entry
    elif placement == "makefile":
        rule = f"build-{service}:\n\tdocker build -f {relative} -t {service} .\n\n"
        repo.files[prefix + "Makefile"] = repo.files.get(prefix + "Makefile", "") + rule


def make_repo(rng: random.Random, index: int, room: int) -> Repo:
    count = min(room, int(pick_weighted(rng, (("1", 58), ("2", 18), ("3", 10), ("4", 6), ("6", 5), ("8", 3)))))
    main = pick_weighted(rng, ECOSYSTEMS)
    repo = Repo(f"{index:04d}-{main}")
    if count == 1:
        add_service(rng, repo, "", main, pick_weighted(rng, (("Dockerfile", 90), ("Containerfile", 2), ("Dockerfile.prod", 8))))
        return repo
    for k in range(count):
        eco = main if k == 0 or rng.random() < 0.5 else pick_weighted(rng, ECOSYSTEMS)
        service = rng.choice(("api", "web", "worker", "frontend", "backend", "gateway", "jobs", "auth"))
        add_service(rng, repo, f"services/{service}{k}", eco, "Dockerfile" if rng.random() < 0.85 else f"{service}.Dockerfile")
    return repo


def generate(target: Path, count: int = DEFAULT_COUNT, seed: int = DEFAULT_SEED) -> dict[str, object]:
    """Write repositories holding ``count`` Dockerfiles in all into ``target`` (created; must be
    empty or an earlier corpus)."""
    make_corpus.fresh_folder(target, MANIFEST)
    rng = random.Random(seed)
    repos: list[Repo] = []
    written = 0
    while written < count:
        repo = make_repo(rng, len(repos) + 1, count - written)
        repos.append(repo)
        written += len(repo.dockerfiles)
    lengths: list[int] = []
    for repo in repos:
        for rel, data in [*repo.dockerfiles.items(), *((k, v.encode("utf-8")) for k, v in sorted(repo.files.items()))]:
            path = target / repo.slug / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        lengths += [data.count(b"\n") + (not data.endswith(b"\n")) for data in repo.dockerfiles.values()]
    git = make_corpus.init_work_tree(target)
    ecosystems = Counter(eco for repo in repos for eco in repo.ecosystems)
    manifest: dict[str, object] = {
        "version": CORPUS_VERSION,
        "seed": seed,
        "count": count,
        "repositories": len(repos),
        "git": git,
        "lines": {"min": min(lengths), "median": sorted(lengths)[len(lengths) // 2], "max": max(lengths), "total": sum(lengths)},
        "ecosystems": dict(ecosystems.most_common()),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    args = make_corpus.arguments(__doc__, DEFAULT_TARGET, DEFAULT_COUNT, DEFAULT_SEED, argv)
    manifest = generate(args.target, args.count, args.seed)
    lines = manifest["lines"]
    assert isinstance(lines, dict)
    print(
        f"wrote {args.count} Dockerfiles in {manifest['repositories']} repositories "
        f"({lines['min']}-{lines['max']} lines, median {lines['median']}) to {args.target}"
    )
    return 0


__all__ = ["generate", "read_manifest"]

if __name__ == "__main__":
    sys.exit(main())
