"""DFX219: `bundle install` without a cache mount on the gem archives it downloads.

Bundler installs gems into its install folder (BUNDLE_PATH's `ruby/<version>`, else GEM_HOME)
and keeps each downloaded `.gem` archive in that folder's `cache/`; before downloading a gem it
looks there. The installed gems never go in `cache/`, so a mount there hides none of them: it
keeps the archives out of the image and gives them back to the next build.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Sequence

from dockerfix.document.shell import Command
from dockerfix.ecosystems.bundler import BUNDLE
from dockerfix.ecosystems.commands import run_env, unwrap
from dockerfix.ecosystems.packages import read_call
from dockerfix.rules._common import run_user, stage_chain
from dockerfix.rules._mounts import earlier, external_base, rm_paths
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run
from dockerfix.rules.base import Example

_TRUE = frozenset({"1", "true", "yes", "on"})
# the bundle commands that copy the gem archives out of the install folder's cache/
_COPIES_ARCHIVES = frozenset({"cache", "package", "pack"})
_RUBY_TAG = re.compile(r"(?:^|/)ruby:(\d+)\.(\d+)")


class BundlerCacheMount(PackageCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that run `bundle install` without a BuildKit cache mount on the
    folder where Bundler keeps the gem archives it downloads.

    ## Why is this bad?
    Bundler downloads every gem again when the layer is rebuilt, and the `.gem` archives stay in
    the image unless the `RUN` deletes them.

    ## Example
    ```dockerfile
    FROM ruby:3.3
    WORKDIR /app
    COPY Gemfile Gemfile.lock ./
    RUN bundle install
    ```

    ## Use instead
    ```dockerfile
    FROM ruby:3.3
    WORKDIR /app
    COPY Gemfile Gemfile.lock ./
    RUN --mount=type=cache,target=/usr/local/bundle/cache,sharing=locked,id=bundler-ruby-3.3 bundle install
    ```

    ## The fix
    - mounts the `cache/` folder of Bundler's install folder: `$GEM_HOME/cache`
      (`/usr/local/bundle/cache` in the official ruby image), or, where `BUNDLE_PATH` is set,
      `$BUNDLE_PATH/ruby/<version>/cache`, the version read from a `ruby:X.Y` base image. Bundler
      stores each downloaded archive there and reuses it before downloading; the installed
      gems are elsewhere in the install folder, and stay in the image;
    - for a non-root user with a known uid, adds `uid=`/`gid=`;
    - drops the `rm -rf` of that folder in the `RUN` (Rails' `"${BUNDLE_PATH}"/ruby/*/cache`),
      which would only empty the mount: the image has no archives either way.

    ## When it leaves the RUN alone
    `BUNDLE_GLOBAL_GEM_CACHE` set (Bundler then keeps the archives in `~/.bundle/cache`, and
    reinstalls compiled extensions from there, which the rule never mounts); an install folder
    in the project (a relative `BUNDLE_PATH`, or deployment mode without one: `vendor/bundle`);
    no `GEM_HOME` and no `BUNDLE_PATH` (the system gem folder is not known); a `BUNDLE_PATH`
    whose Ruby version is not known; an earlier `bundle config` that sets the path, the
    global gem cache, or the deployment mode where no `BUNDLE_PATH` names the install folder; a `bundle cache` (`package`) that copies the
    archives out of that folder in a later `RUN` of the stage or of a stage built `FROM` it, or
    in the same `RUN` after gems an earlier `RUN` installed (it would not find them in the
    mount, and fails); a non-root user whose uid is not known; ONBUILD,
    non-shell heredocs, Windows images and non-POSIX shells. A project `.bundle/config` that
    sets the path is not read: the mount is then unused, and harmless.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+: the image loses only the `.gem` archives,
    which nothing needs once the gems are installed (`gem pristine` downloads them again).
    """

    code = "DFX219"
    name = "bundler-cache-not-mounted"
    summary = "bundle install without a cache mount on the gem archives"
    grammar = BUNDLE
    tool = "bundler"

    VALID = (
        Example(
            """
            FROM ruby:3.3
            RUN --mount=type=cache,target=/usr/local/bundle/cache bundle install
            """
        ),
        Example(
            """
            FROM ruby:3.3
            RUN bundle config set --global without development && bundle --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM ruby:3.3
            RUN bundle install
            """,
            """
            FROM ruby:3.3
            RUN --mount=type=cache,target=/usr/local/bundle/cache,sharing=locked,id=bundler-ruby-3.3 bundle install
            """,
        ),
        Example(
            """
            FROM ruby:3.3
            ENV BUNDLE_GLOBAL_GEM_CACHE=true
            RUN bundle install
            """,
            None,
            message="BUNDLE_GLOBAL_GEM_CACHE",
        ),
    )

    def plan(self, run: Run) -> Plan | None:
        calls = [c for c in run.calls if c.subcommand in ("install", "") and not c.has("--version", "-v", "--help", "-h")]
        if not calls:
            return None
        targets: set[str] = set()
        homes: set[str] = set()  # the GEM_HOMEs the targets come from (no BUNDLE_PATH)
        for call in calls:
            env = run_env(run.state, call.invocation)
            if "BUNDLE_GLOBAL_GEM_CACHE" in env and (env["BUNDLE_GLOBAL_GEM_CACHE"] or "true").lower() in _TRUE:
                raise NotAdded("BUNDLE_GLOBAL_GEM_CACHE is set: Bundler keeps the gems in ~/.bundle/cache, which is not mounted")
            path: list[str | None] = [*call.values("--path")] or ([env["BUNDLE_PATH"]] if "BUNDLE_PATH" in env else [])
            deployment = call.has("--deployment") or (env.get("BUNDLE_DEPLOYMENT") or "").lower() in _TRUE
            if path:
                if path[-1] is None or not path[-1].startswith("/"):
                    raise NotAdded(f"BUNDLE_PATH is {path[-1] or 'not known'}, not a known absolute path")
                targets.add(posixpath.join(posixpath.normpath(path[-1]), "ruby", self._ruby_version(run), "cache"))
            elif deployment:
                raise NotAdded("deployment mode without BUNDLE_PATH installs the gems into the project (vendor/bundle)")
            else:
                home = env.get("GEM_HOME")
                if home is None or not home.startswith("/"):
                    raise NotAdded("GEM_HOME is not set to a known path, so where Bundler installs is not known")
                targets.add(posixpath.join(posixpath.normpath(home), "cache"))
                homes.add(posixpath.normpath(home))
        if len(targets) > 1:
            raise NotAdded("the bundle install commands of this RUN use different install folders")
        target = next(iter(targets))
        self._configured_earlier(run, pathed=not homes)
        self._archives_read(run, target)
        user = run_user(run.state)
        if user.problem:
            raise NotAdded(user.problem)
        mount = CacheMount(target, "bundler" if user.root else f"bundler-{user.uid}",
                           uid=None if user.root else user.uid, gid=None if user.root else user.gid)  # fmt: skip
        plan = Plan([mount])
        self._globbed_removals(run, target, plan)
        return plan

    def _ruby_version(self, run: Run) -> str:
        """The version that names the gem folder under BUNDLE_PATH (`ruby/3.3.0`)."""
        m = _RUBY_TAG.search(external_base(run.doc, run.stage))
        if m is None:
            raise NotAdded("BUNDLE_PATH is set, and the Ruby version that names its gem folder is not known")
        return f"{m.group(1)}.{m.group(2)}.0"

    def _configured_earlier(self, run: Run, pathed: bool) -> None:
        """A `bundle config` that moves the install folder; deployment mode moves it only where
        no BUNDLE_PATH (``pathed``) names it."""
        for inst in [*earlier(run.doc, run.inst), run.inst]:
            if inst.kind != "RUN":
                continue
            for m in re.finditer(r"\bbundle\s+config\b[^&;|\n]*\b(path|deployment|global_gem_cache|BUNDLE_PATH)\b", inst.command_text):
                if m.group(1) != "deployment" or not pathed:
                    raise NotAdded(f"`bundle config` at line {inst.line_no} sets {m.group(1)}, which is not followed")

    def _archives_read(self, run: Run, target: str) -> None:
        """`bundle cache` copies the archives out of ``target`` and fails on one it does not find:
        in a later RUN (whose mount may have been emptied since, or that has none), or after
        gems installed by an earlier RUN (their archives are in the image, under the mount)."""
        installed = any(
            _installs(inst.script.commands) for inst in earlier(run.doc, run.inst) if inst.kind == "RUN" and not inst.script.opaque
        )
        for inst in run.doc.instructions:
            if inst.kind != "RUN" or inst.index < run.inst.index or inst.script.opaque:
                continue
            if inst.index != run.inst.index and run.stage.index not in stage_chain(run.doc, inst):
                continue
            for cmd in inst.script.commands:
                call = read_call(cmd, BUNDLE)
                if call is None or call.subcommand not in _COPIES_ARCHIVES or call.has("--help", "-h"):
                    continue
                if inst.index != run.inst.index or installed:
                    raise NotAdded(
                        f"line {inst.line_no} runs `{call.text}`, which copies the gem archives from {target} "
                        "and would not find them in the mount"
                    )

    def _globbed_removals(self, run: Run, target: str, plan: Plan) -> None:
        """An `rm` of the archives through a pattern (`"${BUNDLE_PATH}"/ruby/*/cache`) would only
        empty the mount, and fail on its mount point: drop the operand, or the command."""
        for cmd in run.script.commands:
            inv = unwrap(cmd)
            if inv is None or not inv.argv or posixpath.basename(inv.argv[0].value) != "rm":
                continue
            operands = rm_paths([w.value for w in inv.argv], run.state)
            hits: list[int] = []
            for k, path, _ in operands:
                relation = _glob_relation(path, target) if path is not None else None
                if relation == "holds":
                    raise NotAdded(f"`rm {inv.argv[k].value}` removes the folder that holds {target}")
                if relation == "inside":
                    hits.append(k)
            if hits and len(hits) == len(operands):
                plan.cleanups.append((cmd, target))
            elif hits:
                plan.removals += [inv.argv[k] for k in hits]
                plan.notes.append(f"drops the removal of {inv.argv[hits[0]].value}, which would only empty the mount")


def _installs(commands: Sequence[Command]) -> bool:
    """Whether the commands install gems with Bundler."""
    for cmd in commands:
        call = read_call(cmd, BUNDLE)
        if call is not None and call.subcommand in ("install", "") and not call.has("--version", "-v", "--help", "-h"):
            return True
    return False


def _glob_relation(path: str, target: str) -> str | None:
    """How a removed path with `*` patterns stands to the mount: "inside" (it is the mounted
    folder or lies in it), "holds" (a folder above it), None (elsewhere). Plain paths are the
    frame's."""
    if not any(c in path for c in "*?["):
        return None
    p = path.strip("/").split("/")
    t = target.strip("/").split("/")
    if not all(fnmatch.fnmatchcase(a, b) for a, b in zip(t, p)):
        return None
    return "inside" if len(p) >= len(t) else "holds"
