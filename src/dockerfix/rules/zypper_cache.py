"""DFX205: zypper downloads the repository metadata again on every build."""

from __future__ import annotations

from dockerfix.ecosystems.packages import ZYPPER
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run
from dockerfix.rules.base import Example

CACHE = "/var/cache/zypp"
INSTALLS = frozenset(
    "install in update up dist-upgrade dup patch source-install si install-new-recommends inr".split()
)
REFRESHES = frozenset({"refresh", "ref"})
CLEANS = frozenset({"clean", "cc"})


class ZypperCacheMount(PackageCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that refresh the repositories with `zypper refresh` and install
    packages without a BuildKit cache mount on zypper's cache, `/var/cache/zypp`.

    ## Why is this bad?
    Without a cache, every rebuild downloads the full metadata of every repository (tens of
    megabytes for openSUSE's main repository) and builds zypper's solver cache again. With the
    metadata in a mount, `zypper refresh` only checks whether it changed.

    ## Example
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN zypper --non-interactive refresh && zypper --non-interactive install -y curl && zypper clean --all
    ```

    ## Use instead
    ```dockerfile
    FROM opensuse/leap:15.6
    RUN --mount=type=cache,target=/var/cache/zypp,sharing=locked,id=zypper-opensuse-leap-15.6 zypper --non-interactive refresh && zypper --non-interactive install -y curl
    ```

    ## The fix
    - mounts `/var/cache/zypp` (metadata, solver cache and packages) with `sharing=locked` and an
      id made of the base image: zypper keys its cache by repository alias, which different
      images reuse for different repositories;
    - drops `zypper clean` and `rm -rf /var/cache/zypp/*` in that `RUN`: with the mount, what
      they removed never reaches the image.

    ## What is and is not cached
    The repository metadata and the solver cache. Not the packages: zypper deletes them after
    installing unless the repository has `keeppackages` set, and changing the repository
    configuration would change the image.

    ## When it leaves the RUN alone
    - the `RUN` installs without an explicit `zypper refresh` before it: zypper then trusts cached
      metadata younger than its refresh delay, so packages could resolve to older versions than a
      build without a cache would get. Add `zypper refresh` (or `zypper ref`) to the `RUN` and run
      dockerfix again;
    - `--no-refresh`, `--root`, or cache folders of its own (`--cache-dir`, `--pkg-cache-dir` ...);
      zypper run as a user other than root;
    - a command removes a folder that holds the mount or uses `/var/cache/zypp` otherwise;
    - an earlier `RUN` left metadata in `/var/cache/zypp` that this `RUN`'s cleanup would have
      removed; ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The image is the same: the metadata only
    ever lands in the mount.
    """

    code = "DFX205"
    name = "zypper-cache-not-mounted"
    summary = "zypper downloads the repository metadata again on every build"
    grammar = ZYPPER
    tool = "zypper"

    VALID = (
        Example(
            """
            FROM opensuse/tumbleweed
            RUN --mount=type=cache,target=/var/cache/zypp,sharing=locked zypper ref && zypper -n in curl
            """
        ),
        Example(
            """
            FROM opensuse/tumbleweed
            RUN zypper lr
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM opensuse/tumbleweed
            RUN zypper ref && zypper -n in curl && zypper cc -a
            """,
            """
            FROM opensuse/tumbleweed
            RUN --mount=type=cache,target=/var/cache/zypp,sharing=locked,id=zypper-opensuse-tumbleweed zypper ref && zypper -n in curl
            """,
        ),
        Example(
            """
            FROM opensuse/tumbleweed
            RUN zypper -n in curl && zypper clean -a
            """,
            None,
            message="without an explicit `zypper refresh`",
        ),
    )

    def plan(self, run: Run) -> Plan | None:
        installs = self.root_installs(run, INSTALLS)
        if not installs:
            return None
        for call in run.calls:
            own = ("--no-refresh", "-R", "--root", "--installroot", "-C", "--cache-dir", "--raw-cache-dir",
                   "--solv-cache-dir", "--pkg-cache-dir", "-c", "--config", "-D", "--reposd-dir")  # fmt: skip
            used = [o for o in own if call.has(o)]
            if used:
                raise NotAdded(f"`{call.text}` sets {used[0]}")
        first_install = min(run.position(c) for c in installs)
        refreshed = any(c.subcommand in REFRESHES and run.position(c) < first_install for c in run.calls)
        if not refreshed and not run.cache_mounted(CACHE):
            raise NotAdded(
                f"`{installs[0].text}` runs without an explicit `zypper refresh` before it: zypper would "
                "trust cached metadata younger than its refresh delay"
            )
        plan = Plan([CacheMount(CACHE, "zypper")])
        for call in run.calls:
            if call.subcommand in CLEANS:
                plan.cleanups.append((call.invocation.command, CACHE))
        return plan

    def leaves(self, prior: Run, target: str) -> bool:
        uses = any(c.subcommand in INSTALLS | REFRESHES for c in prior.calls)
        cleans = any(c.subcommand in CLEANS for c in prior.calls)
        return uses and not cleans
