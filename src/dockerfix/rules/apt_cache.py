"""DFX202: apt installs without cache mounts that keep the package lists and the .deb files."""

from __future__ import annotations

from dockerfix.ecosystems.packages import APT
from dockerfix.rules._mounts import within
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run, removed_paths
from dockerfix.rules.base import Example

CACHE = "/var/cache/apt"
LISTS = "/var/lib/apt/lists"
DIST_CLEAN = ("dist-clean", "distclean")  # APT 3 (Debian 13): clean, and remove the lists
ARCHIVES = "/var/cache/apt/debs/"  # inside the mount, where docker-clean's `rm` does not reach
ARCHIVES_OPTION = f"Dir::Cache::Archives={ARCHIVES}"
KEEP_OPTION = "APT::Keep-Downloaded-Packages=true"  # the `apt` binary deletes its downloads otherwise
DOWNLOADS = frozenset({"install", "upgrade", "dist-upgrade", "full-upgrade", "reinstall", "build-dep", "satisfy"})

class AptCacheMount(PackageCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that install packages with `apt-get` or `apt` without BuildKit cache
    mounts that keep what apt downloads: the package lists (`/var/lib/apt/lists`) and the
    `.deb` files.

    ## Why is this bad?
    Every time the layer is rebuilt, apt fetches the package lists and every package again. A
    plain `--mount=type=cache,target=/var/cache/apt` does not help on Debian and Ubuntu images:
    their `/etc/apt/apt.conf.d/docker-clean` deletes every downloaded `.deb` after each install,
    inside the mount too. And an `rm -rf /var/lib/apt/lists/*` in the same `RUN` empties the
    lists mount again.

    ## Example
    ```dockerfile
    FROM debian:bookworm-slim
    RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
    ```

    ## Use instead
    ```dockerfile
    FROM debian:bookworm-slim
    RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt-cache-debian-bookworm-slim --mount=type=cache,target=/var/lib/apt/lists,sharing=locked,id=apt-lists-debian-bookworm-slim apt-get update && apt-get -o Dir::Cache::Archives=/var/cache/apt/debs/ install -y --no-install-recommends curl
    ```

    ## The fix
    - mounts `/var/cache/apt`, with `sharing=locked`: apt locks its cache, and parallel stages
      or multi-platform builds fail on the lock otherwise;
    - runs every `apt-get install` (and `upgrade`, `dist-upgrade`, `reinstall`, `build-dep`)
      with `-o Dir::Cache::Archives=/var/cache/apt/debs/`: the packages are kept in a folder of
      the mount that docker-clean's `rm -f /var/cache/apt/archives/*.deb` does not reach, while
      docker-clean itself stays in the image. The `apt` binary also gets
      `-o APT::Keep-Downloaded-Packages=true`, since it deletes its downloads by default;
    - mounts `/var/lib/apt/lists` (also `sharing=locked`) when the `RUN` runs `apt-get update`
      before installing and removes the lists at the end (`rm -rf /var/lib/apt/lists/*`, or
      APT 3's `apt-get dist-clean` on Debian 13): the lists then never reached the image, so
      mounting them changes nothing in it (`dist-clean` keeps the Release files of the lists;
      with the mount, the lists folder holds what it held before the `RUN`);
    - drops, in that `RUN`, the cleanups that would only empty the mounts: `apt-get clean`,
      `apt-get dist-clean` (when both folders are mounted), `rm -rf /var/lib/apt/lists/*`,
      `rm -rf /var/cache/apt/*` (other operands of the same `rm` stay);
    - reads heredoc `RUN`s (`RUN <<EOF`, `RUN bash <<'EOF'`) as the shell script they are, and
      edits their bodies in place;
    - gives each mount an id made of what it caches and the base image
      (`apt-lists-debian-bookworm-slim`), so that images from different bases do not share lists.

    A second build after a change to the `RUN` prints "Need to get 0 B" for packages it has
    already downloaded. The image is the same as without the mounts: docker-clean, the lists
    folder and the package database are untouched; only apt's logs record the extra option.

    ## What is and is not cached
    The `.deb` files and, where the `RUN` updates and removes them, the package lists. The
    package database (`/var/lib/dpkg`) and apt's auto-installed marks (`/var/lib/apt/extended_states`)
    are never mounted: they belong to the image.

    ## When it leaves the RUN alone
    - the `RUN` runs apt as a user other than root (without `sudo`), sets `APT_CONFIG`, passes
      `-c` or a `Dir::` option of its own, or downloads only (`--download-only`);
    - an earlier instruction of the stage puts files in `/var/cache/apt` that a dropped cleanup
      would have removed (an unmounted apt run on a base image that is not known to keep
      docker-clean: the official Debian and Ubuntu images and those built on them keep it, see
      `dockerfix explain`), or copies files there: the mount would hide them;
    - a command removes a folder that holds a mount (`rm -rf /var/lib/apt`, which would fail on
      the mount point) or uses a mounted path in another way (`dpkg -i /var/cache/apt/archives/*.deb`);
    - a cleanup sits inside an `if`, a loop or a `||` list where taking it out would change what
      runs; ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    The lists mount alone is left out, and the `rm` of the lists kept, when the `RUN` does not
    update, updates without removing the lists (later steps and child images may need them), or
    when an earlier `RUN` left lists in the image (the mount would hide them).

    ## Fix safety
    Safe for BuildKit builds (Docker 23+, Docker 20.10+ with `DOCKER_BUILDKIT=1`, buildx,
    Podman/Buildah 4.0+ which also accept `sharing=locked`). The dropped cleanups assume the mounts
    are used: a builder that ignores `--mount` would keep the lists in the image. hadolint (2.15)
    accepts a lists mount in place of the `rm` (DL3009). Checked on Docker 20.10's BuildKit with
    Debian's docker-clean in place: the rewritten file builds, the image has the same files and
    configuration apart from apt's logs and the mounted folders, and a rebuild prints
    "Need to get 0 B", also for the `apt` binary.
    """

    code = "DFX202"
    name = "apt-cache-not-mounted"
    summary = "apt installs without cache mounts that keep the lists and the packages"
    grammar = APT
    tool = "apt"

    VALID = (
        Example(
            """
            FROM debian:bookworm
            RUN --mount=type=cache,target=/var/cache/apt,sharing=locked apt-get -o Dir::Cache::Archives=/var/cache/apt/debs/ install -y curl
            """
        ),
        Example(
            """
            FROM debian:bookworm
            RUN apt-get update
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM debian:bookworm
            RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
            """,
            """
            FROM debian:bookworm
            RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt-cache-debian-bookworm --mount=type=cache,target=/var/lib/apt/lists,sharing=locked,id=apt-lists-debian-bookworm apt-get update && apt-get -o Dir::Cache::Archives=/var/cache/apt/debs/ install -y curl
            """,
        ),
        Example(
            """
            FROM ubuntu:24.04
            RUN apt install -y curl
            """,
            """
            FROM ubuntu:24.04
            RUN --mount=type=cache,target=/var/cache/apt,sharing=locked,id=apt-cache-ubuntu-24.04 apt -o Dir::Cache::Archives=/var/cache/apt/debs/ -o APT::Keep-Downloaded-Packages=true install -y curl
            """,
        ),
        Example(
            """
            FROM debian:bookworm
            RUN apt-get update && apt-get install -y curl && rm -rf /var/cache
            """,
            None,
            message="holds the cache mount",
        ),
    )

    def plan(self, run: Run) -> Plan | None:
        downloads = self.root_installs(run, DOWNLOADS)
        if not downloads:
            return None
        self._preconditions(run)
        plan = Plan([CacheMount(CACHE, "apt-cache")])
        updates = [c for c in run.calls if c.subcommand == "update"]
        last_apt = max(run.position(c) for c in run.calls)
        if run.cache_mounted(LISTS):
            plan.mounts.append(CacheMount(LISTS, "apt-lists"))
        elif updates and min(run.position(c) for c in updates) < min(run.position(c) for c in downloads):
            if self._removes_lists(run, after=last_apt):
                plan.mounts.append(CacheMount(LISTS, "apt-lists", optional=True))
            else:
                plan.notes.append("no mount at /var/lib/apt/lists: this RUN keeps the package lists in the image")
        for call in run.calls:
            if call.subcommand in ("clean", *DIST_CLEAN):
                plan.cleanups.append((call.invocation.command, CACHE))
            if call.subcommand in DIST_CLEAN:
                plan.cleanups.append((call.invocation.command, LISTS))
        for call in downloads:
            options = call.values("-o", "--option")
            wanted = [] if ARCHIVES_OPTION in options else ["-o", ARCHIVES_OPTION]
            if call.name == "apt" and KEEP_OPTION not in options:
                wanted += ["-o", KEEP_OPTION]
            if wanted:
                plan.inserts.append((call.tool, wanted))
        if plan.inserts:
            plan.notes.append(f"keeps the packages in {ARCHIVES}, which docker-clean does not empty")
        return plan

    def _preconditions(self, run: Run) -> None:
        for call in run.calls:
            if "APT_CONFIG" in call.invocation.env:
                raise NotAdded("APT_CONFIG points apt at a configuration the Dockerfile does not show")
            if call.has("-c", "--config-file"):
                raise NotAdded(f"`{call.text}` reads a configuration file the Dockerfile does not show")
            for value in call.values("-o", "--option"):
                if value.lower().startswith("dir") and value != ARCHIVES_OPTION:
                    raise NotAdded(f"`{call.text}` sets apt's folders itself ({value})")
            if call.subcommand in DOWNLOADS and call.has("-d", "--download-only"):
                raise NotAdded("it downloads packages for a later step (--download-only)")
        if "APT_CONFIG" in run.state.env:
            raise NotAdded("APT_CONFIG points apt at a configuration the Dockerfile does not show")

    def _removes_lists(self, run: Run, after: int) -> bool:
        """An `rm` of the lists, or APT 3's `apt-get dist-clean` (which removes them but for the
        Release files), after the command at position ``after``."""
        if any(c.subcommand in DIST_CLEAN and run.position(c) >= after for c in run.calls):
            return True
        return any(within(path, LISTS) for k, path in removed_paths(run) if k > after)

    def leaves(self, prior: Run, target: str) -> bool:
        if target == LISTS:
            return any(c.subcommand == "update" for c in prior.calls) and not self._removes_lists(prior, after=-1)
        if target == CACHE:
            downloads = any(c.subcommand in DOWNLOADS for c in prior.calls)
            cleans = any(c.subcommand == "clean" for c in prior.calls)
            facts = prior.state.image
            docker_clean = facts is not None and facts.docker_clean is True
            return downloads and not cleans and not docker_clean
        return False
