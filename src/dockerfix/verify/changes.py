"""What `dockerfix verify --before` and `--changed-since` compare: an old version of a Dockerfile
(a file, or `REV:path` read from git), the Dockerfiles a branch changed since a revision, and
the build context each is verified with (found as for the rest of dockerfix)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from dockerfix.discovery import is_dockerfile_name
from dockerfix.records import field, frozen, record
from dockerfix.settings import Settings

_TIMEOUT = 60  # seconds, for one git command


class ChangeError(RuntimeError):
    """The old version, the revision or the build context cannot be found; the message says why."""


def _git(cwd: Path, *args: str) -> bytes:
    try:
        proc = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, timeout=_TIMEOUT, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChangeError(f"git {' '.join(args)}: {exc}") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ChangeError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return proc.stdout


def read_before(spec: str, cwd: Path) -> bytes:
    """The old Dockerfile: the file ``spec`` names, else ``REV:path`` as git reads it from ``cwd``
    (the path is from the repository's root; `REV:./path` is from ``cwd``)."""
    path = cwd / spec
    if path.is_file():
        try:
            return path.read_bytes()
        except OSError as exc:
            raise ChangeError(f"cannot read {spec}: {exc.strerror or exc}") from None
    if ":" not in spec:
        raise ChangeError(f"{spec} is neither a file nor REV:path")
    return _git(cwd, "cat-file", "blob", spec)


@frozen
class Change:
    """A Dockerfile the branch changed: ``path`` in the work tree, ``old`` its path at the base."""

    path: Path
    old: str  # relative to the repository's root
    status: str  # "M" modified, "R" renamed, "A" added


@record
class Changes:
    root: Path  # the repository
    base: str  # the commit the changes are measured from
    since: str  # the revision as given
    label: str = ""  # how to name the base: ``since``, or the merge base's short hash when it is older
    changed: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def changed_dockerfiles(since: str, within: Path) -> Changes:
    """The Dockerfiles under ``within`` that differ from their version at the merge base of
    ``since`` and HEAD (the base a pull request is compared with; ``since`` itself when the
    branch is up to date with it), work tree changes included."""
    folder = within if within.is_dir() else within.parent
    root = Path(_git(folder, "rev-parse", "--show-toplevel").decode().strip())
    try:
        tip = _git(root, "rev-parse", "--verify", "--quiet", f"{since}^{{commit}}").decode().strip()
    except ChangeError:
        raise ChangeError(f"{since} is not a revision of {root}") from None
    notes: list[str] = []
    try:
        base = _git(root, "merge-base", since, "HEAD").decode().strip()
    except ChangeError:
        # a shallow clone may miss the history that joins them: compare with the revision itself
        base = tip
        notes.append(f"no merge base of {since} and HEAD (a shallow clone?): compared with {since} itself")
    out = _git(root, "diff", "--name-status", "-z", "-M", "--no-ext-diff", base, "--")
    fields = out.decode("utf-8", "surrogateescape").split("\0")
    changes = Changes(root, base, since, since if base == tip else base[:12], notes=notes)
    scope = Path(os.path.abspath(within))
    k = 0
    while k < len(fields) - 1:
        status = fields[k][:1]
        if status in ("R", "C"):
            old, new, k = fields[k + 1], fields[k + 2], k + 3
        else:
            old = new = fields[k + 1]
            k += 2
        path = root / new
        if status not in ("M", "R", "A", "T") or not is_dockerfile_name(path.name):
            continue
        if path != scope and scope not in path.parents:
            continue
        changes.changed.append(Change(path, old, "M" if status == "T" else status))
    return changes


def read_at(changes: Changes, change: Change) -> bytes:
    """The changed Dockerfile as it is at the base."""
    return _git(changes.root, "cat-file", "blob", f"{changes.base}:{change.old}")


def file_settings(dockerfile: Path, settings: Settings) -> tuple[Settings, Path, list[str]]:
    """The settings to verify ``dockerfile`` with (the command line's and its configuration
    file's, as for the rest of dockerfix), its build context, and notes on how the context was
    chosen: `--context` or the configuration's, else the one the repository builds it with
    (compose, bake, workflows, Makefiles), else the Dockerfile's folder."""
    from dockerfix.config import ConfigError, ConfigFinder
    from dockerfix.context.sources import ContextDiscovery
    from dockerfix.runner import file_contexts

    try:
        config = ConfigFinder(settings.config, settings.isolated).for_file(dockerfile)
    except ConfigError as exc:
        raise ChangeError(str(exc)) from None
    settings = settings.for_file(config, dockerfile)
    discovery = ContextDiscovery()
    try:
        contexts = file_contexts(dockerfile, settings, config, discovery)
    finally:
        discovery.close()
    known = contexts.known
    if not known:
        raise ChangeError(f"the build context is not known ({contexts.unknown}): pass --context")
    folder = known[0].folder
    assert folder is not None
    notes = [f"verified with the {contexts.describe()}"] if contexts.discovered else []
    if len(known) > 1:
        notes.append(f"verified with the first of them, `{known[0].label}`; pass --context for another")
    return settings, folder, notes
