"""DFX221: dotnet restores without a cache mount on NuGet's packages."""

from __future__ import annotations

import posixpath
import re

from dockerfix.document.effects import Paths
from dockerfix.document.model import Document
from dockerfix.document.shell import Command
from dockerfix.ecosystems.command_effects import run_effects
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.dotnet import DOTNET, DotnetCall, dotnet_call, restores
from dockerfix.rules._common import RunUser, run_user
from dockerfix.rules._package_cache import CacheMount, NotAdded, Plan, Run
from dockerfix.rules._store_cache import Store, StoreCacheRule, final_image_problem, located
from dockerfix.rules.base import Example, RuleContext

# the verbs that read the global packages folder: to restore into it, or to build from it
_READS_STORE = frozenset({"restore", "build", "publish", "test", "run", "pack", "clean", "msbuild", "tool restore",
                          "tool install", "tool update"})  # fmt: skip
# the verbs that download packages (besides the builds that restore)
_DOWNLOADS = frozenset({"tool restore", "tool install", "tool update"})
# the verbs that use neither the packages nor a local tool
_QUIET = frozenset({"", "nuget locals", "new", "sln", "sln add", "sln list", "list", "workload list", "sdk check",
                    "dev-certs", "help", "tool list", "tool uninstall", "tool search", "workload install",
                    "workload update", "workload restore", "workload repair"})  # fmt: skip
# files that may move the global packages folder (globalPackagesFolder, RestorePackagesPath)
_SETTINGS = ("NuGet.Config", "nuget.config", "NuGet.config", "Directory.Build.props", "Directory.Packages.props")
_MOVES = re.compile(r"globalPackagesFolder|RestorePackagesPath", re.I)
# a user or machine NuGet.Config the Dockerfile writes, or a setting it makes
_USER_CONFIG = re.compile(r"\.nuget/NuGet\b|\.config/NuGet\b|/etc/opt/NuGet|nuget\s+config\s+set|" + _MOVES.pattern, re.I)


# msbuild restores only when told to
_MSBUILD_RESTORE = re.compile(r"(?i)(?:-{1,2}|/)(?:r|restore)(?::true)?")


def _calls(run: Run) -> list[DotnetCall]:
    return [c for c in (dotnet_call(call.invocation.command) for call in run.calls) if c is not None]


def _tool_or_app(call: DotnetCall) -> bool:
    """`dotnet tool run x`, `dotnet ef ...` (a local tool, from the global packages folder);
    not `dotnet app.dll`, which runs what a build put out."""
    return call.verb not in _READS_STORE and call.verb not in _QUIET and not call.verb.endswith((".dll", ".exe"))


class NugetCacheMount(StoreCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that run `dotnet restore` (or `build`, `publish`, `test`, `run`,
    `pack`, which restore first, and `dotnet tool restore`) without a BuildKit cache mount on
    NuGet's global packages folder, or, where that folder must stay in the image, on its HTTP
    cache.

    ## Why is this bad?
    When the layer is rebuilt, NuGet downloads every package again.

    ## Example
    ```dockerfile
    FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
    WORKDIR /source
    COPY *.csproj .
    RUN dotnet restore
    COPY . .
    RUN dotnet publish -c Release -o /app

    FROM mcr.microsoft.com/dotnet/aspnet:8.0
    COPY --from=build /app /app
    ```

    ## Use instead
    ```dockerfile
    FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
    WORKDIR /source
    COPY *.csproj .
    RUN --mount=type=cache,target=/root/.nuget/packages,id=dotnet-packages-mcr.microsoft.com-dotnet-sdk-8.0 dotnet restore
    COPY . .
    RUN --mount=type=cache,target=/root/.nuget/packages,id=dotnet-packages-mcr.microsoft.com-dotnet-sdk-8.0 dotnet publish -c Release -o /app

    FROM mcr.microsoft.com/dotnet/aspnet:8.0
    COPY --from=build /app /app
    ```

    ## The fix
    NuGet's global packages folder (`NUGET_PACKAGES`, else `~/.nuget/packages`:
    `/root/.nuget/packages` for root) is a store, not a download cache: the assets file a restore
    writes (`obj/project.assets.json`) points into it, and build, publish and test read the
    assemblies from there. So a family of stages (a stage built from an image and the stages
    built `FROM` it) gets the mount on all of its `RUN`s that restore or build, with the same
    target and id, or on none. Each of them restores before it builds, so one whose layer
    BuildKit rebuilds with an emptied cache downloads the packages again.

    That is why a `--no-restore` (or `--no-build`) build keeps the store out of the mount: BuildKit
    may reuse the layer of the restore and rebuild only the build, with a cache that was pruned
    in between or never filled on this builder; the build then cannot download the packages, and
    fails. Keeping the same id on both `RUN`s is not enough. A local tool run from the store
    (`dotnet tool run`, `dotnet ef`), a `dotnet msbuild` without `-restore` (msbuild restores
    only when told to), and a later `RUN` of the family that gets no mount but may read the
    store (a build script, `./build.sh`, that runs dotnet) stop it the same way.

    Where the store cannot be mounted, each `RUN` that restores gets a mount on NuGet's HTTP cache
    alone (`NUGET_HTTP_CACHE_PATH`, else `$XDG_DATA_HOME/NuGet/v3-cache`, else
    `~/.local/share/NuGet/v3-cache`): a pure download cache, from which NuGet extracts the
    packages into the global packages folder, which stays in the image. For a non-root user with
    a known uid (`USER app` or `USER $APP_UID` on the .NET images: uid 1654), that mount is
    `/var/cache/nuget-http-<uid>` with `uid=`/`gid=`, and `NUGET_HTTP_CACHE_PATH` is set inline:
    a mount inside the home would create the folders above it owned by root.

    `~/.nuget` (where the user's `NuGet/NuGet.Config` lives), `~/.dotnet`, `bin/` and `obj/` are
    never mounted.

    ## When it leaves the RUN alone
    The store is kept in the image, with the reason, when the family holds the last stage of the
    file (the final image would lose the packages), when a later `COPY --from` or bind mount
    reads it out of the family, when a `RUN` builds with `--no-restore` or `--no-build`, runs
    `dotnet msbuild` without `-restore` or runs a local tool, when a later `RUN` may read it
    without the mount, when a `RUN` runs with `--network=none` or not all have the same secret or ssh
    mounts, for a non-root user (a mount would create `~/.nuget` owned by root, and NuGet writes
    its `NuGet.Config` there), when a command names its own folder (`--packages`, a
    `RestorePackagesPath` property) or a `NuGet.Config` or `Directory.Build.props` of the build
    context, or one the Dockerfile puts in place, may move it (`globalPackagesFolder`,
    `RestorePackagesPath`), and when `NUGET_PACKAGES` or `DOTNET_CLI_HOME` has a value that is not
    known. A `RUN` whose restores all use `--no-http-cache` gets no HTTP cache mount. ONBUILD,
    non-shell heredocs, Windows images and non-POSIX shells are left alone.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. A build that stops at an earlier stage
    (`--target`) whose family got the store mount gives an image without the packages.
    """

    code = "DFX221"
    name = "nuget-cache-not-mounted"
    summary = "dotnet restores without a cache mount on NuGet's packages"
    reads_context = True
    grammar = DOTNET
    tool = "dotnet"
    store_name = "the global packages folder"

    VALID = (
        Example(
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            RUN --mount=type=cache,target=/root/.nuget/packages dotnet publish -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app /app
            """
        ),
        Example(
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0
            RUN dotnet --info
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            RUN dotnet publish -c Release -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app /app
            """,
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            RUN --mount=type=cache,target=/root/.nuget/packages,id=dotnet-packages-mcr.microsoft.com-dotnet-sdk-8.0 dotnet publish -c Release -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app /app
            """,
        ),
        Example(
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            RUN dotnet restore
            RUN dotnet publish --no-restore -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app /app
            """,
            """
            FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
            RUN --mount=type=cache,target=/root/.local/share/NuGet/v3-cache,id=dotnet-http-mcr.microsoft.com-dotnet-sdk-8.0 dotnet restore
            RUN dotnet publish --no-restore -o /app
            FROM mcr.microsoft.com/dotnet/aspnet:8.0
            COPY --from=build /app /app
            """,
            message="--no-restore",
        ),
    )

    def needs_store(self, run: Run) -> bool:
        return any(c.verb in _READS_STORE or _tool_or_app(c) for c in _calls(run))

    def store_targets(self, run: Run) -> list[str]:
        places: set[str] = set()
        for call in _calls(run):
            if call.verb not in _READS_STORE and not _tool_or_app(call):
                continue
            if call.has("--packages") or any(_MOVES.search(v) for v in call.values("--property")):
                raise NotAdded(f"`{call.call.text}` names its own packages folder")
            env = run_env(run.state, call.call.invocation)
            if "DOTNET_CLI_HOME" in env:
                raise NotAdded("DOTNET_CLI_HOME is set, and where NuGet then keeps its packages is not followed")
            user = run_user(run.state)
            if not user.root and not call.call.sudo:
                raise NotAdded(user.problem or (
                    f"dotnet runs as user {user.name}, and a mount would create ~/.nuget owned by root, "
                    "where NuGet writes its NuGet.Config"
                ))  # fmt: skip
            places.add(located(env, (("NUGET_PACKAGES", ""), ("HOME", ".nuget/packages")), "/root/.nuget/packages"))
        if len(places) > 1:
            raise NotAdded("its dotnet commands use different packages folders")
        return [places.pop()]

    def store_problem(self, run: Run) -> str | None:
        line = run.inst.line_no
        for call in _calls(run):
            offline = [o for o in ("--no-restore", "--no-build") if call.has(o)]
            if offline and call.verb in _READS_STORE:
                return (
                    f"line {line} builds with {offline[0]}, and could not download the packages again "
                    "into an emptied cache"
                )
            if call.verb == "msbuild" and not any(_MSBUILD_RESTORE.fullmatch(w.value) for w in call.call.invocation.argv):
                return (
                    f"line {line} runs `dotnet msbuild` without -restore, which reads the packages and could not "
                    "download them again into an emptied cache"
                )
            if _tool_or_app(call):
                return f"line {line} runs `{call.call.text}`, a local tool from the global packages folder, which an emptied cache would not hold"
        return None

    def family_problem(self, doc: Document, ctx: RuleContext, stages: set[int], targets: list[str]) -> str | None:
        problem = final_image_problem(doc, stages, targets[0])
        if problem:
            return problem
        problem = self._read_elsewhere(doc, ctx, stages, targets[0])
        if problem:
            return problem
        for inst in doc.instructions:
            if inst.stage in stages and inst.kind in ("COPY", "ADD", "RUN") and _USER_CONFIG.search(inst.args):
                return f"line {inst.line_no} writes NuGet's settings, which may move {targets[0]}"
        build = ctx.build
        if build is not None:
            folders = [""] + [e + "/" for e in build.entries("") or [] if build.is_dir(e)]
            for name in (f + n for f in folders for n in _SETTINGS):
                text = build.read_text(name) if build.is_file(name) else None
                if text is not None and _MOVES.search(text):
                    return f"{name} in the build context may move the packages folder"
        return None

    def _read_elsewhere(self, doc: Document, ctx: RuleContext, stages: set[int], target: str) -> str | None:
        """Why a RUN of the family after the first one that gets the mount, and that gets none
        itself, may read the packages (a build script that runs dotnet): it would find them gone."""
        mounted = [r.inst.index for r in self.tool_runs(doc, ctx, stages) if isinstance(r, Run) and self.needs_store(r)]
        if not mounted:
            return None
        store = Paths.of(target)
        for inst in doc.instructions:
            if inst.kind != "RUN" or inst.stage not in stages or inst.index <= min(mounted) or inst.index in mounted:
                continue
            effects = run_effects(inst, doc.state(inst))
            if effects.reads.meets(store):
                why = effects.unknown or f"the RUN at line {inst.line_no} reads {target}"
                return f"{why}, and would not find the packages in {target}, which it does not mount"
        return None

    def plan_with(self, run: Run, store: Store) -> Plan | None:
        calls = _calls(run)
        if not any(c.verb in _READS_STORE or _tool_or_app(c) or c.verb == "nuget locals" for c in calls):
            return None
        if store.mounts and self.needs_store(run):
            plan = Plan(list(store.mounts))
            plan.cleanups += self._cleanups(calls, {"global-packages": store.mounts[0].target})
            return plan
        downloading = [c for c in calls if restores(c) or c.verb in _DOWNLOADS]
        note = self.store_note(store, run)
        if not downloading:
            if note and self.needs_store(run):
                raise NotAdded(note)
            return None
        using = [c for c in downloading if not c.has("--no-http-cache", "--no-cache")]
        if not using:
            raise NotAdded("; ".join(filter(None, [note, "its restores use --no-http-cache"])))
        plan = self._http_plan(run, using)
        if note:
            plan.notes.append(note)
        return plan

    def _http_plan(self, run: Run, calls: list[DotnetCall]) -> Plan:
        """A mount on NuGet's HTTP cache, a download cache that may leave the image alone."""
        user = run_user(run.state)
        if user.problem and not all(c.call.sudo for c in calls):
            raise NotAdded(user.problem)
        places: set[tuple[str, bool]] = set()
        for call in calls:
            env = run_env(run.state, call.call.invocation)
            places.add(self._http_cache(env, user if not call.call.sudo else RunUser(True)))
        if len(places) > 1:
            raise NotAdded("its dotnet commands use different HTTP cache folders")
        target, moved = places.pop()
        root = user.root or all(c.call.sudo for c in calls)
        inline = [f"NUGET_HTTP_CACHE_PATH={target}"] if moved else []
        mount = CacheMount(target, "dotnet-http" if root else f"dotnet-http-{user.uid}", uid=None if root else user.uid,
                           gid=None if root else user.gid, sharing=None)  # fmt: skip
        plan = Plan([mount])
        if inline:
            plan.prefixes += [(c.call, inline) for c in calls]
        plan.cleanups += self._cleanups(_calls(run), {"http-cache": target})
        return plan

    def _http_cache(self, env: dict[str, str | None], user: RunUser) -> tuple[str, bool]:
        """Where NuGet's HTTP cache is, and whether NUGET_HTTP_CACHE_PATH must point there."""
        for var, suffix in (("NUGET_HTTP_CACHE_PATH", ""), ("XDG_DATA_HOME", "NuGet/v3-cache")):
            if var in env:
                value = env[var]
                if value is None or not value.startswith("/"):
                    raise NotAdded(f"{var} is set to a value that is not a known absolute path")
                return posixpath.normpath(posixpath.join(value, suffix)), False
        if user.root:
            home = env.get("HOME", "/root")
            if home is None or not home.startswith("/"):
                raise NotAdded("HOME is set to a value that is not a known absolute path")
            return posixpath.join(home, ".local/share/NuGet/v3-cache"), False
        # outside the home: a mount there would leave root-owned folders above it
        return f"/var/cache/nuget-http-{user.uid}", True

    def _cleanups(self, calls: list[DotnetCall], mounted: dict[str, str]) -> list[tuple[Command, str]]:
        """`dotnet nuget locals <folder> --clear` of a mounted folder: it would only empty the mount."""
        out: list[tuple[Command, str]] = []
        for call in calls:
            if call.verb != "nuget locals" or not call.has("--clear") or not call.operands:
                continue
            which = call.operands[0].value
            if which in mounted:
                out.append((call.call.invocation.command, mounted[which]))
        return out
