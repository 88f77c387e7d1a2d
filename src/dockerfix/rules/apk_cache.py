"""DFX203: apk fetches its package index again on every build (`apk add --no-cache`)."""

from __future__ import annotations

from dockerfix.ecosystems.packages import APK, Call
from dockerfix.rules._mounts import within
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run, removed_paths
from dockerfix.rules.base import Example

CACHE = "/var/cache/apk"
INSTALLS = frozenset({"add", "upgrade", "fix"})
USES_INDEX = INSTALLS | frozenset({"update", "fetch", "search", "policy", "dot", "list"})
FRESH = ("-U", "--update-cache", "--update")


class ApkCacheMount(PackageCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that install packages with `apk` and fetch its package index
    afresh every time (`apk add --no-cache`, `apk update && apk add ... && rm -rf
    /var/cache/apk/*`) without a BuildKit cache mount that keeps the index.

    ## Why is this bad?
    `apk add --no-cache` downloads the index of every repository again on each rebuild. With the
    index in a cache mount, apk asks the mirror whether it changed (`If-Modified-Since`) and
    downloads it only when it did.

    ## Example
    ```dockerfile
    FROM alpine:3.20
    RUN apk add --no-cache curl
    ```

    ## Use instead
    ```dockerfile
    FROM alpine:3.20
    RUN --mount=type=cache,target=/var/cache/apk,sharing=locked,id=apk-alpine-3.20 apk add --update-cache curl
    ```

    ## The fix
    - mounts `/var/cache/apk` with `sharing=locked` and an id made of the base image;
    - replaces `--no-cache` with `--update-cache` (`-U`): `--no-cache` keeps apk from using any
      cache, and `--update-cache` makes it check the index on every run, so the packages it
      resolves are exactly as fresh as before;
    - drops `rm -rf /var/cache/apk/*` and `apk cache clean` in that `RUN`: with the mount, what
      they removed never reaches the image.

    ## What is and is not cached
    Only the package index. apk keeps package files only when `/etc/apk/cache` exists (a symlink
    or folder in the image); creating it would change the image, so dockerfix does not. When the
    Dockerfile itself links `/etc/apk/cache` to `/var/cache/apk` (Docker's documented pattern),
    the mount keeps the packages too.

    ## When it leaves the RUN alone
    - an `apk add` that neither fetches a fresh index (`--no-cache`, `-U`, or an `apk update`
      before it in the same `RUN`) reads the index an earlier step left in the image; a mount
      would hide it or serve an older one;
    - `--cache-dir`, `--root` or `/etc/apk/cache` in the `RUN`; apk run as a user other than root;
    - a command removes a folder that holds the mount, or uses `/var/cache/apk` otherwise;
    - an earlier `RUN` left an index in `/var/cache/apk` that this `RUN`'s `rm` would have removed;
    - ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The image is the same: the index only ever
    lands in the mount. hadolint (2.15) accepts the mount in place of `--no-cache` (DL3019).
    """

    code = "DFX203"
    name = "apk-cache-not-mounted"
    summary = "apk fetches its package index again on every build"
    grammar = APK
    tool = "apk"

    VALID = (
        Example(
            """
            FROM alpine:3.20
            RUN --mount=type=cache,target=/var/cache/apk,sharing=locked apk add -U curl
            """
        ),
        Example(
            """
            FROM alpine:3.20
            RUN apk del curl
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM alpine:3.20
            RUN apk add --no-cache curl
            """,
            """
            FROM alpine:3.20
            RUN --mount=type=cache,target=/var/cache/apk,sharing=locked,id=apk-alpine-3.20 apk add --update-cache curl
            """,
        ),
        Example(
            """
            FROM alpine:3.20
            RUN apk update && apk add curl && rm -rf /var/cache/apk/*
            """,
            """
            FROM alpine:3.20
            RUN --mount=type=cache,target=/var/cache/apk,sharing=locked,id=apk-alpine-3.20 apk update && apk add curl
            """,
        ),
        Example(
            """
            FROM alpine:3.20
            RUN apk add curl
            """,
            None,
            message="reads the index an earlier step left",
        ),
    )

    def plan(self, run: Run) -> Plan | None:
        installs = self.root_installs(run, INSTALLS)
        if not installs:
            return None
        for call in run.calls:
            for option in ("--cache-dir", "-p", "--root"):
                if call.has(option):
                    raise NotAdded(f"`{call.text}` sets its own {option}")
        for cmd in run.script.commands:
            if any("/etc/apk/cache" in w.value for w in cmd.words):
                raise NotAdded("this RUN sets up /etc/apk/cache itself")
        plan = Plan([CacheMount(CACHE, "apk")])
        updated = False
        for call in run.calls:
            if call.subcommand == "update":
                updated = True
            if call.subcommand not in USES_INDEX:
                continue
            no_cache = call.option_words("--no-cache")
            fresh = updated or call.has(*FRESH)
            if no_cache and fresh:
                plan.removals.extend(no_cache)
            elif no_cache:
                plan.replacements.append((no_cache[0], "--update-cache"))
                plan.removals.extend(no_cache[1:])
            elif not fresh and call.subcommand in INSTALLS and not run.cache_mounted(CACHE):
                raise NotAdded(
                    f"`{call.text}` reads the index an earlier step left in the image (no --no-cache, -U or "
                    "apk update before it); a mount would hide it"
                )
        for call in run.calls:
            if call.subcommand == "cache" and call.operands[:1] and call.operands[0].value in ("clean", "purge"):
                plan.cleanups.append((call.invocation.command, CACHE))
        if plan.replacements:
            plan.notes.append("replaces --no-cache with --update-cache: apk still checks for a fresh index")
        return plan

    def leaves(self, prior: Run, target: str) -> bool:
        if target != CACHE:
            return False
        writes = any(_keeps_index(c) for c in prior.calls)
        return writes and not any(within(path, CACHE) for _, path in removed_paths(prior))


def _keeps_index(call: Call) -> bool:
    return call.subcommand in USES_INDEX and not call.has("--no-cache")
