"""Image file systems as `docker export` gives them, and how two of them differ.

Compared: path, type, mode, owner, size, link target and a SHA-256 of the content; never the
modification times. A wheel's RECORD is compared without the lines of files that differ between
any two builds (bytecode, uv's uv_cache.json). Left out: what the rewrite mounts (and the empty folders older BuildKit
leaves at a mount point), logs and other files that differ between any two builds.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
import tarfile
from collections.abc import Iterable
from typing import IO

from dockerfix.records import frozen

# Differ between two builds of the same Dockerfile: timestamps inside logs and caches, the
# modification time Python records in bytecode, files `docker create` writes, identities a
# package's install script generates at random (dbus's machine-id, systemd's, SSH host keys).
VOLATILE = (
    "/var/log/*",
    "/var/cache/ldconfig/aux-cache",
    "/etc/machine-id",
    "/var/lib/dbus/machine-id",
    "/etc/ssh/ssh_host_*",
    "*/__pycache__/*.pyc",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/.dockerenv",
    "*.dist-info/uv_cache.json",  # uv records the modification times of the project's files
)
# lines of a wheel's RECORD that name volatile files (their hashes change with every build)
_RECORD_NOISE = ("uv_cache.json,", "__pycache__/")
CONTENT_ONLY_VOLATILE = ("*/__pycache__/*.pyc",)  # present in both is enough
# Package managers' own cache folders: what they hold may differ (the rewrite mounts them, or
# points the tool at a mount instead).
CACHE_FOLDERS = (
    "/root/.cache/pip",
    "/home/*/.cache/pip",
    "/var/cache/apt",
    "/var/lib/apt/lists",
    "/var/cache/apk",
    "/var/cache/dnf",
    "/var/cache/libdnf5",
    "/var/cache/yum",
    "/var/cache/zypp",
    "/root/.npm",
    "/home/*/.npm",
    "/usr/local/share/.cache/yarn",
    "/home/*/.cache/yarn",
    "/root/.local/share/pnpm/store",
    "/root/.bun/install/cache",
    "/root/.cache/go-build",
    "/usr/local/cargo/registry",
    "/usr/local/cargo/git",
    "/root/.m2/repository",
    "/root/.m2/wrapper",
    "/root/.gradle/caches",
    "/root/.gradle/wrapper",
    "/home/gradle/.gradle/caches",
    "/home/gradle/.gradle/wrapper",
    "/usr/local/bundle/cache",
    "/usr/local/bundle/ruby/*/cache",
    "/tmp/cache",
    "/root/.cache/composer",
    "/home/*/.cache/composer",
    "/root/.composer/cache",
    "/home/*/.composer/cache",
    "/var/cache/composer-*",
    "/root/.nuget/packages",
    "/root/.local/share/NuGet/v3-cache",
    "/var/cache/nuget-http-*",
)


@frozen(slots=True)
class Entry:
    kind: str  # file, dir, symlink, hardlink, other
    mode: int
    uid: int
    gid: int
    size: int
    digest: str  # SHA-256 of a file's content, "" otherwise
    link: str  # the target of a link


def snapshot(stream: IO[bytes]) -> dict[str, Entry]:
    """Every entry of a `docker export` tar stream, by absolute path."""
    entries: dict[str, Entry] = {}
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            name = member.name[2:] if member.name.startswith("./") else member.name
            name = posixpath.normpath(name).strip("/")
            path = "/" if name in ("", ".") else "/" + name
            digest = ""
            if member.isfile():
                kind = "file"
                fh = tar.extractfile(member)
                h = hashlib.sha256()
                if path.endswith(".dist-info/RECORD") and fh is not None:
                    lines = fh.read().decode("utf-8", "replace").splitlines()
                    h.update("\n".join(x for x in lines if not any(n in x for n in _RECORD_NOISE)).encode())
                while fh is not None and (chunk := fh.read(1 << 20)):
                    h.update(chunk)
                digest = h.hexdigest()
            elif member.isdir():
                kind = "dir"
            elif member.issym():
                kind = "symlink"
            elif member.islnk():
                kind = "hardlink"
            else:
                kind = "other"
            link = member.linkname if kind in ("symlink", "hardlink") else ""
            size = member.size if kind == "file" and not path.endswith(".dist-info/RECORD") else 0
            entries[path] = Entry(kind, member.mode, member.uid, member.gid, size, digest, link)
    return entries


@frozen
class Comparison:
    differences: tuple[str, ...]  # "path: what differs"
    ignored: tuple[str, ...]  # paths that differ but are left out, with the reason

    @property
    def equal(self) -> bool:
        return not self.differences


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _volatile(path: str) -> bool:
    return any(fnmatch.fnmatchcase(path, p) for p in VOLATILE)


def _cached(path: str, mounts: tuple[str, ...]) -> bool:
    """At or below a mounted folder or a package manager's cache folder."""
    if any(_under(path, m) for m in mounts):
        return True
    parts = path.split("/")
    prefixes = ["/".join(parts[:k]) for k in range(2, len(parts) + 1)]
    return any(fnmatch.fnmatchcase(prefix, pattern) for prefix in prefixes for pattern in CACHE_FOLDERS)


def _stub(path: str, entries: dict[str, Entry], mounts: tuple[str, ...]) -> bool:
    """A folder that holds nothing but cache folders (or nothing at all) on the way to one: a
    mount point older BuildKit leaves behind, or the ~/.cache a tool created for its cache."""
    entry = entries.get(path)
    if entry is None or entry.kind != "dir":
        return False
    prefix = path.rstrip("/") + "/"
    inside = [p for p in entries if p.startswith(prefix)]
    leads_to_cache = any(_under(m, path) for m in mounts) or any(_cached(p, mounts) for p in inside)
    if not leads_to_cache:
        return False
    return all(_cached(p, mounts) or (entries[p].kind == "dir" and _stub(p, entries, mounts)) for p in inside)


def _describe(a: Entry, b: Entry) -> str:
    parts = []
    for name in ("kind", "mode", "uid", "gid", "size", "digest", "link"):
        x, y = getattr(a, name), getattr(b, name)
        if x != y:
            if name == "mode":
                parts.append(f"mode {x:o} -> {y:o}")
            elif name == "digest":
                parts.append("content")
            else:
                parts.append(f"{name} {x} -> {y}")
    return ", ".join(parts)


def compare(
    original: dict[str, Entry],
    rewritten: dict[str, Entry],
    mounts: Iterable[str],
    dockerfiles: tuple[bytes, bytes] | None = None,
    unstable: Iterable[str] = (),
    sides: tuple[str, str] = ("original", "rewritten"),
) -> Comparison:
    """How the rewritten image's files differ from the original's, leaving out the mounted cache
    folders, their empty mount-point stubs, volatile files, the paths that differed between two
    builds of the original itself (``unstable``), and the Dockerfile itself where the build
    copies it in (``dockerfiles``: its original and rewritten content)."""
    unstable = frozenset(unstable)
    mounts = tuple(mounts)
    digests = tuple(hashlib.sha256(d).hexdigest() for d in dockerfiles) if dockerfiles else ("", "")
    differences: list[str] = []
    ignored: list[str] = []
    for path in sorted(set(original) | set(rewritten)):
        a, b = original.get(path), rewritten.get(path)
        if a == b:
            continue
        if a is not None and b is not None and (a.digest, b.digest) == digests and a.digest:
            ignored.append(f"{path} (the Dockerfile itself)")
            continue
        if _cached(path, mounts):
            ignored.append(f"{path} (package cache)")
            continue
        if a is not None and b is not None and any(fnmatch.fnmatchcase(path, p) for p in CONTENT_ONLY_VOLATILE):
            ignored.append(f"{path} (bytecode timestamp)")
            continue
        if _volatile(path):
            ignored.append(f"{path} (differs between any two builds)")
            continue
        if path in unstable:
            ignored.append(f"{path} (differs between two builds of the original)")
            continue
        if a is None or b is None:
            side, files = (sides[1], rewritten) if a is None else (sides[0], original)
            if _stub(path, files, mounts):
                ignored.append(f"{path} (empty mount point)")
            else:
                differences.append(f"{path}: only in the {side} image")
        else:
            differences.append(f"{path}: {_describe(a, b)}")
    return Comparison(tuple(differences), tuple(ignored))


def differing(first: dict[str, Entry], second: dict[str, Entry]) -> frozenset[str]:
    """The paths whose entries differ between two snapshots (two builds of one Dockerfile)."""
    return frozenset(p for p in set(first) | set(second) if first.get(p) != second.get(p))


CONFIG_KEYS = ("Env", "Cmd", "Entrypoint", "WorkingDir", "User", "OnBuild", "Labels", "ExposedPorts", "Volumes")


def compare_config(original: dict[str, object], rewritten: dict[str, object]) -> tuple[str, ...]:
    """The image configuration fields that differ."""
    return tuple(
        f"{key}: {original.get(key)!r} -> {rewritten.get(key)!r}"
        for key in CONFIG_KEYS
        if original.get(key) != rewritten.get(key)
    )
