"""DFX215: Go builds without cache mounts on its build cache and its module cache."""

from __future__ import annotations

import posixpath
from typing import ClassVar

from dockerfix.document.model import Document
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.golang import GO, LOADS, go_words, loads_packages, proxy_off, vendored
from dockerfix.ecosystems.packages import Call
from dockerfix.rules._common import run_user
from dockerfix.rules._mounts import Fillers
from dockerfix.rules._package_cache import NotAdded, Plan, Run
from dockerfix.rules._store_cache import Store, StoreCacheRule, final_image_problem, located, store_finding
from dockerfix.rules.base import Example, Finding, RuleContext
from dockerfix.rules.python_cache import PythonToolCache

_BUILD_CACHE_CLEANS = frozenset({"-cache", "-testcache", "-fuzzcache"})


class GoCacheMount(StoreCacheRule, PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that run `go build` (or `test`, `install`, `vet`, `run`, `generate`,
    `list`, `mod download`) without BuildKit cache mounts on Go's build cache (`GOCACHE`) and, where
    it is safe, its module cache (`GOMODCACHE`).

    ## Why is this bad?
    Without them, every rebuild of the layer downloads every module and compiles every package
    again, the standard library included.

    ## Example
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY go.mod go.sum ./
    RUN go mod download
    COPY . .
    RUN go build -o /out/app .

    FROM scratch
    COPY --from=build /out/app /app
    ```

    ## Use instead
    ```dockerfile
    FROM golang:1.22 AS build
    WORKDIR /src
    COPY go.mod go.sum ./
    RUN --mount=type=cache,target=/root/.cache/go-build,id=go-golang-1.22 --mount=type=cache,target=/go/pkg/mod,id=go-mod-golang-1.22 go mod download
    COPY . .
    RUN --mount=type=cache,target=/root/.cache/go-build,id=go-golang-1.22 --mount=type=cache,target=/go/pkg/mod,id=go-mod-golang-1.22 go build -o /out/app .

    FROM scratch
    COPY --from=build /out/app /app
    ```

    ## The fix
    - mounts the build cache on every `RUN` that loads packages: `GOCACHE`, else
      `$XDG_CACHE_HOME/go-build`, else `$HOME/.cache/go-build` (`/root/.cache/go-build` for
      root). It is a pure cache: what go builds is the same with or without it, so it is mounted
      even in the final image, where the cache folder is all that goes missing. A non-root user
      with a known uid gets `/var/cache/go-build-<uid>` with `uid=`/`gid=` and `GOCACHE` set
      inline;
    - mounts the module cache (`GOMODCACHE`, else `pkg/mod` under the first `GOPATH` entry, else
      `$HOME/go/pkg/mod`; `/go/pkg/mod` on the golang images) only where the modules need not be
      in the image. The modules live there, and later builds read them, so a family of stages (a
      stage built from an image and the stages built `FROM` it) gets it on all of its `RUN`s that
      load packages, with the same target and id, or on none. It is left out, and the message
      says why, when the family holds the last stage of the file (the final image would lose
      the modules), when a later `COPY --from` or bind mount reads the module cache (or `GOPATH`,
      `/`, or a path through a variable not known) out of it, when a `RUN` could not download
      them again (`GOPROXY=off`, a value of `GOPROXY` or `GOFLAGS` not known, `--network=none`,
      secret or ssh mounts that not all of them have), when the modules are vendored
      (`-mod=vendor`, `GOFLAGS=-mod=vendor`, or `vendor/modules.txt` in the build context: go then
      never reads the module cache), when one of them cannot have the mount (an earlier
      instruction filled the folder, a shell that cannot be read, a suppression comment), and for
      a non-root user (the mount would create the folders above it owned by root);
    - drops `go clean -cache` (`-testcache`, `-fuzzcache`) and `go clean -modcache`, and `rm -rf`
      of a mounted folder, in that `RUN`, which would only empty the mounts.

    `GOPATH` itself (`/go`, which holds the binaries of `go install`) is never mounted.

    ## When it leaves the RUN alone
    `GOCACHE=off` and no module cache to mount; a cache path through a variable not known; a
    non-root user whose uid is not known; ONBUILD, non-shell heredocs, Windows images and
    non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. A build that stops at an earlier stage
    (`--target`) whose family got the module cache mount gives an image without `/go/pkg/mod`.
    """

    code = "DFX215"
    name = "go-cache-not-mounted"
    summary = "Go builds without cache mounts on its build and module caches"
    reads_context = True
    grammar = GO
    tool = "go"
    store_name = "the module cache"
    cache_var = "GOCACHE"
    folder = "go-build"
    cache_option = None
    installs = LOADS
    no_cache_options = ()

    VALID = (
        Example(
            """
            FROM golang:1.22
            RUN --mount=type=cache,target=/root/.cache/go-build go build -o /app .
            """
        ),
        Example(
            """
            FROM golang:1.22
            RUN go version && go env
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM golang:1.22 AS build
            RUN go build -o /app .
            FROM scratch
            COPY --from=build /app /app
            """,
            """
            FROM golang:1.22 AS build
            RUN --mount=type=cache,target=/root/.cache/go-build,id=go-golang-1.22 --mount=type=cache,target=/go/pkg/mod,id=go-mod-golang-1.22 go build -o /app .
            FROM scratch
            COPY --from=build /app /app
            """,
        ),
        Example(
            """
            FROM golang:1.22
            RUN go build -o /app .
            """,
            """
            FROM golang:1.22
            RUN --mount=type=cache,target=/root/.cache/go-build,id=go-golang-1.22 go build -o /app .
            """,
            message="the final image",
        ),
    )

    wording: ClassVar[str] = "go downloads and compiles again"

    def uses_cache(self, call: Call) -> bool:
        return loads_packages(call)

    def cleaning(self, call: Call) -> bool:
        words = set(go_words(call)) - {"clean"}
        return call.subcommand == "clean" and bool(words) and words <= _BUILD_CACHE_CLEANS

    def needs_store(self, run: Run) -> bool:
        return any(loads_packages(c) for c in run.calls)

    def store_targets(self, run: Run) -> list[str]:
        places = {self._modcache(run, c) for c in run.calls if loads_packages(c)}
        if len(places) > 1:
            raise NotAdded("its go commands use different module caches")
        return [places.pop()]

    def _modcache(self, run: Run, call: Call) -> str:
        env = run_env(run.state, call.invocation)
        gopath = env.get("GOPATH")
        path = located(env, (("GOMODCACHE", ""), ("GOPATH", "pkg/mod"), ("HOME", "go/pkg/mod")), "/root/go/pkg/mod")
        user = run_user(run.state)
        if not user.root and not call.sudo:
            raise NotAdded(user.problem or f"go runs as user {user.name}, and a mount would create the folders above the module cache owned by root")
        for root in (gopath or "").split(":"):
            if root.startswith("/") and posixpath.normpath(root).startswith(path.rstrip("/")):
                raise NotAdded(f"the module cache {path} holds GOPATH, which is never mounted")
        return path

    def store_problem(self, run: Run) -> str | None:
        for call in run.calls:
            if not loads_packages(call):
                continue
            env = run_env(run.state, call.invocation)
            line = run.inst.line_no
            for var in ("GOPROXY", "GOFLAGS"):
                if var in env and env[var] is None:
                    raise NotAdded(f"line {line}: {var} is set to a value that is not known")
            if vendored(call, env):
                return f"line {line} builds from vendor/ (-mod=vendor), not from the module cache"
            if proxy_off(env):
                return f"line {line} builds with GOPROXY=off, and could not download the modules into an emptied cache"
        return None

    def family_problem(self, doc: Document, ctx: RuleContext, stages: set[int], targets: list[str]) -> str | None:
        problem = final_image_problem(doc, stages, targets[0])
        if problem:
            return problem
        build = ctx.build
        if build is not None:
            folders = [""] + [e + "/" for e in build.entries("") or [] if build.is_dir(e)]
            for folder in folders:
                if build.is_file(folder + "vendor/modules.txt"):
                    return f"the build context vendors the modules ({folder}vendor/modules.txt): go builds from vendor/, not from the module cache"
        return None

    def plan_with(self, run: Run, store: Store) -> Plan | None:
        if not any(loads_packages(c) or c.subcommand == "clean" for c in run.calls):
            return None
        notes: list[str] = []
        plan: Plan | None = Plan([])
        if any(loads_packages(c) and run_env(run.state, c.invocation).get("GOCACHE") == "off" for c in run.calls):
            notes.append("GOCACHE=off turns the build cache off")
        else:
            try:
                plan = PythonToolCache.plan(self, run)
            except NotAdded as why:
                notes.append(f"no mount on the build cache: {why}")
        plan = plan or Plan([])
        if store.mounts and self.needs_store(run):
            plan.mounts += store.mounts
            target = store.mounts[0].target
            plan.cleanups += [(c.invocation.command, target) for c in run.calls if c.subcommand == "clean" and "-modcache" in go_words(c)]
        note = self.store_note(store, run)
        if note:
            notes.append(note)
        if not plan.mounts:
            if notes and self.needs_store(run):
                raise NotAdded("; ".join(notes))
            return None
        plan.notes += notes
        return plan

    def _fix(self, run: Run, plan: Plan, fillers: Fillers) -> Finding | None:
        return store_finding(self, super()._fix(run, plan, fillers), self.wording)
