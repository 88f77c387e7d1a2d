"""What the image a stage starts from sets: its FROM reference normalised and matched to the
table of official images in dockerfix/data/base_images.toml (read once, when first needed).

The package reads the table from base_images.json, the same data that
`scripts/generate_docs.py` writes from the TOML (a test keeps the two equal): the standard
library reads JSON about a hundred times faster than TOML, and a lookup builds the facts of
the entries it matches only, so a run pays for the few images it meets.

A reference is matched by its repository name (Docker Hub's `docker.io/library/` left out) and
its tag. Build arguments are filled in from the defaults of the ARGs before the first FROM, and
only in the tag: an image whose name comes from a build argument is not known. A reference
pinned by digest alone says nothing of its variant, so only entries that hold for every tag
match it. Anything the table does not list stays unknown.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from dockerfix.document.words import UnknownVariable, expand, parse_assignments
from dockerfix.records import field, frozen

if TYPE_CHECKING:
    from dockerfix.document.model import Document, Stage

PACKAGE_MANAGERS = frozenset({"apt", "apk", "dnf4", "dnf5", "microdnf", "yum", "zypper", "none"})
_FACTS = {
    # field: (type, what `explain` calls it)
    "distro": (str, "distribution"),
    "distro_version": (str, "version"),
    "package_manager": (str, "package manager"),
    "docker_clean": (bool, "apt docker-clean"),
    "user": (str, "USER"),
    "workdir": (str, "WORKDIR"),
    "shell": (list, "SHELL"),
    "shell_program": (str, "SHELL runs"),
    "windows": (bool, "Windows"),
    "conda_prefix": (str, "conda prefix"),
    "pip_no_cache_config": (str, "pip configuration with no-cache-dir"),
    "env": (dict, "ENV"),
    "users": (list, "users"),
}
FIELDS = frozenset({"id", "names", "tags", "from", "source"} | set(_FACTS))
USER_FIELDS = frozenset({"name", "uid", "gid", "home"})
_HUB = ("docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com")


class TableError(ValueError):
    """The table of base images is malformed (a bug in the package, caught by its tests)."""


@frozen
class ImageUser:
    name: str
    uid: int | None = None
    gid: int | None = None
    home: str | None = None


@frozen
class ImageFacts:
    """One entry of the table: every fact is None (or empty) where it is not known."""

    id: str
    source: str
    distro: str | None = None
    distro_version: str | None = None
    package_manager: str | None = None
    docker_clean: bool | None = None
    user: str | None = None
    workdir: str | None = None
    shell: tuple[str, ...] | None = None
    shell_program: str | None = None
    windows: bool | None = None
    conda_prefix: str | None = None
    pip_no_cache_config: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    users: tuple[ImageUser, ...] = ()

    @property
    def root(self) -> bool | None:
        """Whether the image's USER is root; None when it is not known."""
        if self.user is None:
            return None
        return self.user.partition(":")[0] in ("root", "0")

    def described(self) -> Iterator[tuple[str, str]]:
        """(label, value) for every known fact, in the table's order."""
        for name, (_, label) in _FACTS.items():
            value = getattr(self, name)
            if value is None or value == () or value == {}:
                continue
            if isinstance(value, bool):
                text = "yes" if value else "no"
            elif name == "shell":
                text = " ".join(value)
            elif name == "env":
                text = " ".join(f"{k}={v}" for k, v in value.items())
            elif name == "users":
                text = ", ".join(_user_text(u) for u in value)
            else:
                text = str(value)
            yield label, text


def _user_text(user: ImageUser) -> str:
    ids = ":".join(str(x) for x in (user.uid, user.gid) if x is not None)
    home = f" {user.home}" if user.home else ""
    return f"{user.name} {ids}{home}".strip()


@frozen
class Reference:
    """A FROM reference as the table sees it. ``name`` is None when it cannot be read (then
    ``problem`` says why)."""

    written: str
    text: str  # with the build arguments filled in
    name: str | None = None
    tag: str | None = None  # None: pinned by digest alone
    digest: str | None = None
    problem: str | None = None


@frozen
class BaseImage:
    """The image a stage starts from and what is known of it (``facts`` None: nothing)."""

    reference: Reference
    facts: ImageFacts | None
    why: str | None = None  # why nothing is known

    @property
    def label(self) -> str:
        return self.reference.text


@frozen
class _Entry:
    facts: ImageFacts
    tags: re.Pattern[str] | None  # None: every tag


_NAME = re.compile(r"[a-z0-9._:/-]+")
_TAG = re.compile(r"[\w][\w.-]*")


def parse_reference(written: str, args: Mapping[str, str | None] | None = None, escape: str = "\\") -> Reference:
    """Normalise an image reference (registry, Docker Hub's library/, digest, tag). Variables
    are filled in from ``args`` where they stand in the tag only."""
    text = written.strip()
    if "$" in text:
        literal = text[: text.index("$")]
        if ":" not in literal[literal.rfind("/") + 1 :] or "@" in literal:
            return Reference(written, text, problem="the image is chosen by a build argument")
        try:
            text = expand(text, args or {}, escape)
        except UnknownVariable as exc:
            what = str(exc.args[0]).lstrip("{") if exc.args else ""
            return Reference(written, text, problem=f"the tag uses ${what}, a build argument without a default")
    ref, _, digest = text.partition("@")
    tag: str | None = None
    if ":" in ref.rsplit("/", 1)[-1]:
        ref, _, tag = ref.rpartition(":")
    elif not digest:
        tag = "latest"
    name = ref.lower()
    parts = name.split("/")
    if len(parts) > 1 and parts[0] in _HUB:
        parts = parts[1:]
    if len(parts) == 2 and parts[0] == "library":
        parts = parts[1:]
    name = "/".join(parts)
    if not name or not _NAME.fullmatch(name) or (tag is not None and not _TAG.fullmatch(tag)):
        return Reference(written, text, problem=f"{text} is not an image reference")
    return Reference(written, text, name, tag, digest or None)


def _name_matches(pattern: str, name: str) -> bool:
    """A table name against a repository name; `*` stands for one path part."""
    if "*" not in pattern:
        return pattern == name
    regex = "[^/]+".join(re.escape(p) for p in pattern.split("*"))
    return re.fullmatch(regex, name) is not None


def lookup(reference: Reference) -> BaseImage:
    if reference.name is None:
        return BaseImage(reference, None, reference.problem)
    named = False
    for index in _named_entries(reference.name):
        entry = _entry(index)
        named = True
        if entry.tags is None:
            return BaseImage(reference, entry.facts)
        if reference.tag is not None and entry.tags.fullmatch(reference.tag):
            return BaseImage(reference, entry.facts)
    if not named:
        return BaseImage(reference, None, f"{reference.name} is not in the table of known images")
    if reference.tag is None:
        return BaseImage(reference, None, f"{reference.name} is pinned by digest alone, so its variant is not known")
    return BaseImage(reference, None, f"the tag {reference.tag} of {reference.name} is not one the table knows")


def global_args(doc: Document) -> dict[str, str | None]:
    """The defaults of the ARGs before the first FROM (None: declared without a default)."""
    defaults: dict[str, str | None] = {}
    for inst in doc.instructions:
        if inst.stage >= 0:
            break
        if inst.kind == "ARG":
            for name, raw in parse_assignments(inst.args, inst.escape):
                defaults[name] = raw or None  # no default (an empty image name is no image)
    return defaults


def base_image(doc: Document, stage: Stage) -> BaseImage | None:
    """What the image ``stage`` starts FROM sets; None when it starts from an earlier stage."""
    parent = doc.stage_named(stage.base)
    if parent is not None and parent.index < stage.index:
        return None
    return doc.memo(("base image", stage.index), lambda: lookup(parse_reference(stage.base, global_args(doc), doc.escape)))


def entries() -> list[ImageFacts]:
    """Every entry of the table, in its order (each checked as it is built)."""
    return [_entry(i).facts for i in range(len(_raw()))]


def validate() -> None:
    """Build every entry, so that a malformed table raises TableError."""
    entries()


def raw_table() -> list[dict[str, Any]]:
    """The table as base_images.toml writes it (the source the JSON copy is made from)."""
    import tomllib

    return _images(tomllib.loads(_data_file("base_images.toml")))


def _data_file(name: str) -> str:
    """A file of the package's data folder: read from disk where the package is a folder (the
    usual install; importlib.resources costs more to import than the read), else through it."""
    beside = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", name)
    try:
        with open(beside, encoding="utf-8") as f:
            return f.read()
    except OSError:
        from importlib.resources import files  # a package inside a zip file, say

        return files("dockerfix.data").joinpath(name).read_text(encoding="utf-8")


def _images(data: Any) -> list[dict[str, Any]]:
    images = data.get("image") if isinstance(data, dict) else None
    if not isinstance(images, list) or set(data) != {"image"}:
        raise TableError("base_images: expected [[image]] tables only")
    return images


@functools.cache
def _raw() -> list[dict[str, Any]]:
    import json

    return _images(json.loads(_data_file("base_images.json")))


@functools.cache
def _positions() -> dict[str, int]:
    """Each entry's position by its id (the first, when an id repeats: building the second
    then raises)."""
    found: dict[str, int] = {}
    for i, item in enumerate(_raw()):
        ident = item.get("id")
        if isinstance(ident, str):
            found.setdefault(ident, i)
    return found


@functools.cache
def _entry(index: int) -> _Entry:
    """Entry ``index`` with its facts (its `from` parent built first)."""
    item = _raw()[index]
    parent = item.get("from")
    by_id: dict[str, ImageFacts] = {}
    if isinstance(parent, str):
        at = _positions().get(parent)
        if at is not None and at < index:
            by_id[parent] = _entry(at).facts
    ident = item.get("id")
    if isinstance(ident, str) and _positions()[ident] != index:
        raise TableError(f"an entry has a missing or repeated id: {ident!r}")
    facts = _facts(item, by_id)
    names = item.get("names")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) and n == n.lower() for n in names):
        raise TableError(f"{facts.id}: names must be a list of lower-case names")
    tags = item.get("tags")
    if tags is not None and not isinstance(tags, str):
        raise TableError(f"{facts.id}: tags must be a regular expression")
    try:
        pattern = re.compile(tags) if isinstance(tags, str) else None
    except re.error as exc:
        raise TableError(f"{facts.id}: bad tags pattern: {exc}") from None
    return _Entry(facts, pattern)


@functools.cache
def _named_entries(name: str) -> tuple[int, ...]:
    """The positions of the entries that name the repository ``name``, in the table's order
    (worked out once per name: a run meets few)."""
    found = []
    for index, item in enumerate(_raw()):
        names = item.get("names")
        if isinstance(names, list) and any(isinstance(n, str) and _name_matches(n, name) for n in names):
            found.append(index)
    return tuple(found)


def _facts(item: dict[str, Any], by_id: Mapping[str, ImageFacts]) -> ImageFacts:
    ident = item.get("id")
    if not isinstance(ident, str) or ident in by_id:
        raise TableError(f"an entry has a missing or repeated id: {ident!r}")
    unknown = set(item) - FIELDS
    if unknown:
        raise TableError(f"{ident}: unknown fields {sorted(unknown)}")
    source = item.get("source")
    if not isinstance(source, str) or not source.strip():
        raise TableError(f"{ident}: every entry cites its source")
    for name, (kind, _) in _FACTS.items():
        if name in item and not isinstance(item[name], kind):
            raise TableError(f"{ident}: {name} must be a {kind.__name__}")
    values: dict[str, Any] = {}
    parent_env: Mapping[str, str] = {}
    parent_users: tuple[ImageUser, ...] = ()
    if "from" in item:
        parent = by_id.get(item["from"])
        if parent is None:
            raise TableError(f"{ident}: from {item['from']!r} names no earlier entry")
        values = {n: getattr(parent, n) for n in _FACTS if n not in ("env", "users")}
        parent_env, parent_users = parent.env, parent.users
    for name in _FACTS:
        if name in item and name not in ("env", "users", "shell"):
            values[name] = item[name] if item[name] != "" else None  # "" : not known here
    if "shell" in item:
        values["shell"] = tuple(item["shell"])
    if values.get("package_manager") not in PACKAGE_MANAGERS | {None}:
        raise TableError(f"{ident}: unknown package manager {values['package_manager']!r}")
    env = dict(parent_env)
    for key, value in item.get("env", {}).items():
        if not isinstance(value, str):
            raise TableError(f"{ident}: env {key} must be a string")
        env[key] = value
    users = {u.name: u for u in parent_users}
    for user in item.get("users", []):
        if not isinstance(user, dict) or "name" not in user or set(user) - USER_FIELDS:
            raise TableError(f"{ident}: a user has a name, and uid, gid, home at most")
        users[user["name"]] = ImageUser(user["name"], user.get("uid"), user.get("gid"), user.get("home"))
    return ImageFacts(ident, source, env=env, users=tuple(users.values()), **values)
