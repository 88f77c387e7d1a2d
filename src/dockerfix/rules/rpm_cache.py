"""DFX204: dnf, yum and microdnf download metadata and packages again on every build."""

from __future__ import annotations

import re

from dockerfix.document.base_images import ImageFacts
from dockerfix.ecosystems.packages import DNF, Call
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run
from dockerfix.rules.base import Example

DNF4_CACHE = "/var/cache/dnf"
DNF5_CACHE = "/var/cache/libdnf5"
MICRODNF_CACHE = "/var/cache/yum"
KEEP = "--setopt=keepcache=1"
REFRESH = "--refresh"
INSTALLS = frozenset(
    """install in localinstall reinstall upgrade update up distro-sync dsync downgrade swap groupinstall
    group module builddep makecache""".split()
)

def dnf_flavour(call: Call, facts: ImageFacts | None) -> str | None:
    """dnf4, dnf5 or microdnf for this call on this base image, or None when it is not known
    (the base image is not known, or has yum 3 or no package manager of this family)."""
    if call.name == "dnf5":
        return "dnf5"
    manager = facts.package_manager if facts is not None else None
    if manager == "dnf5":
        if call.name == "microdnf":
            return None
        return "dnf4" if call.name == "dnf4" else "dnf5"
    if manager in ("dnf4", "microdnf"):
        # yum is dnf 4 there; a minimal image may have installed dnf itself
        return "microdnf" if call.name == "microdnf" else "dnf4"
    return None


def _unknown_flavour(name: str, facts: ImageFacts | None) -> str:
    manager = facts.package_manager if facts is not None else None
    if manager == "yum":
        return f"{name} has yum 3, which cannot refresh on demand"
    if manager is not None:
        return f"{name} has no such dnf (its package manager: {manager})"
    return (
        f"it is not known which dnf {name} has: dnf 4 caches in {DNF4_CACHE}, "
        f"dnf 5 in {DNF5_CACHE}, microdnf in {MICRODNF_CACHE}, yum 3 cannot refresh on demand"
    )


_CACHE = {"dnf4": DNF4_CACHE, "dnf5": DNF5_CACHE, "microdnf": MICRODNF_CACHE}


class RpmCacheMount(PackageCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that install packages with `dnf`, `yum` or `microdnf` without a
    BuildKit cache mount that keeps the repository metadata and the packages.

    ## Why is this bad?
    On every rebuild, dnf downloads the metadata of every repository (tens of megabytes for
    Fedora and EPEL) and every package again. A cache mount alone does not keep packages: dnf's
    `keepcache` is off by default, and a `dnf clean all` in the same `RUN` empties the mount.

    ## Example
    ```dockerfile
    FROM rockylinux:9
    RUN dnf install -y gcc && dnf clean all
    ```

    ## Use instead
    ```dockerfile
    FROM rockylinux:9
    RUN --mount=type=cache,target=/var/cache/dnf,sharing=locked,id=dnf-rockylinux-9 dnf --setopt=keepcache=1 --refresh install -y gcc
    ```

    ## The fix
    - mounts the cache folder of the dnf the base image has, with `sharing=locked`:
      `/var/cache/dnf` for dnf 4 (RHEL, UBI, Rocky, Alma, CentOS Stream 8 to 10, Amazon Linux 2023,
      Fedora up to 40, and `yum` there, which is dnf 4), `/var/cache/libdnf5` for dnf 5 (Fedora 41
      and later, `dnf5`), `/var/cache/yum` for `microdnf` on UBI minimal images;
    - adds `--setopt=keepcache=1` so that the packages stay in the mount, and `--refresh` so that
      dnf checks the repositories for new metadata on every run, as it did when it had no cache:
      the packages it resolves are as fresh as before;
    - drops `dnf clean all` (and `yum`/`microdnf clean`) and `rm -rf` of the cache folder in
      that `RUN`: with the mount, what they removed never reaches the image.

    ## What is and is not cached
    The repository metadata and the downloaded packages, in the mount. The RPM database and the
    installed files are the image's, as before.

    ## When it leaves the RUN alone
    - the base image is not one whose dnf is known (a `FROM` through a variable, a private
      image; `dockerfix explain` shows what the table of base images says): dnf 4 and dnf 5
      keep their caches in different folders, and a mount on the wrong one would cache nothing;
      CentOS 7, Oracle Linux 7 and Amazon Linux 2, whose `yum` is yum 3 (no `--refresh`);
    - `--cacheonly`/`-C`, `--installroot`, or a `--setopt` of `keepcache`, `cachedir` or
      `metadata_expire` of its own; dnf run as a user other than root;
    - a command removes a folder that holds the mount or uses the cache folder otherwise;
    - an earlier `RUN` left metadata in the cache folder that this `RUN`'s cleanup would have removed;
    - ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The image is the same: metadata and
    packages only ever land in the mount. `microdnf` needs a release that accepts
    `--setopt=keepcache=1` and `--refresh` (the ones on current UBI 8, 9 and 10 minimal images).
    hadolint (2.15) accepts the dnf 5 mount in place of `dnf clean all` but still reports DL3040
    for the dnf 4 and microdnf ones; silence it with `# hadolint ignore=DL3040` above the `RUN`.
    """

    code = "DFX204"
    name = "dnf-cache-not-mounted"
    summary = "dnf, yum or microdnf downloads metadata and packages again on every build"
    grammar = DNF
    tool = "dnf"

    VALID = (
        Example(
            """
            FROM fedora:42
            RUN --mount=type=cache,target=/var/cache/libdnf5,sharing=locked dnf --setopt=keepcache=1 --refresh install -y gcc
            """
        ),
        Example(
            """
            FROM rockylinux:9
            RUN dnf --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM rockylinux:9
            RUN dnf install -y gcc && dnf clean all
            """,
            """
            FROM rockylinux:9
            RUN --mount=type=cache,target=/var/cache/dnf,sharing=locked,id=dnf-rockylinux-9 dnf --setopt=keepcache=1 --refresh install -y gcc
            """,
        ),
        Example(
            """
            FROM fedora:42
            RUN dnf install -y gcc
            """,
            """
            FROM fedora:42
            RUN --mount=type=cache,target=/var/cache/libdnf5,sharing=locked,id=dnf-fedora-42 dnf --setopt=keepcache=1 --refresh install -y gcc
            """,
        ),
        Example(
            """
            FROM registry.example.com/base:1
            RUN dnf install -y gcc
            """,
            None,
            message="which dnf",
        ),
    )

    def plan(self, run: Run) -> Plan | None:
        installs = self.root_installs(run, INSTALLS)
        if not installs:
            return None
        facts = run.state.image
        targets: dict[str, str] = {}
        for call in installs:
            flavour = dnf_flavour(call, facts)
            if flavour is None:
                raise NotAdded(_unknown_flavour(run.state.image_name, facts))
            targets[_CACHE[flavour]] = flavour
        if len(targets) > 1:
            raise NotAdded("this RUN runs two dnf flavours with different caches")
        for call in run.calls:
            if call.has("-C", "--cacheonly", "--installroot"):
                raise NotAdded(f"`{call.text}` uses its own cache or root")
            for value in call.values("--setopt"):
                if value != KEEP.split("=", 1)[1] and re.match(r"^(keepcache|cachedir|system_cachedir|metadata_expire)=", value):
                    raise NotAdded(f"`{call.text}` sets {value.split('=')[0]} itself")
        target = next(iter(targets))
        plan = Plan([CacheMount(target, "dnf")])
        for call in run.calls:
            if call.subcommand == "clean":
                plan.cleanups.append((call.invocation.command, target))
        for call in installs:
            wanted = []
            if call.subcommand != "makecache" and KEEP.split("=", 1)[1] not in call.values("--setopt"):
                wanted.append(KEEP)
            if not call.has(REFRESH):
                wanted.append(REFRESH)
            if wanted:
                plan.inserts.append((call.tool, wanted))
        if plan.inserts:
            plan.notes.append("keeps the packages (keepcache) and still checks for fresh metadata (--refresh)")
        return plan

    def leaves(self, prior: Run, target: str) -> bool:
        installs = any(c.subcommand in INSTALLS for c in prior.calls)
        cleans = any(c.subcommand == "clean" for c in prior.calls)
        return installs and not cleans
