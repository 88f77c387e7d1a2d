"""Project configuration: `[tool.dockerfix]` in pyproject.toml, or `.dockerfix.toml`.

The nearest configuration above a Dockerfile applies to it (no merging between files, as in
ruff); in one folder `.dockerfix.toml` wins over pyproject.toml. `--config FILE` names one for
every file, `--isolated` ignores them all. Paths in a configuration are relative to its folder.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Any

from dockerfix.folders import nearest
from dockerfix.records import field, frozen

# Builders that run RUN --mount=type=cache as a cache; others ignore the mount (kaniko: the cache
# lands in the image) or reject it (the legacy builder).
BUILDKIT_BUILDERS = frozenset({"buildkit", "buildx", "docker", "podman", "buildah"})
OTHER_BUILDERS = frozenset({"kaniko", "legacy"})
_CODE = re.compile(r"^DFX\d{0,3}$")


class ConfigError(ValueError):
    """A configuration file that cannot be used; the message names the file and the key."""


@frozen
class Config:
    path: Path  # the file it came from
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool | None = None
    exclude: tuple[str, ...] = ()
    contexts: dict[Path, Path] = field(default_factory=dict)  # Dockerfile -> build context, absolute
    builders: tuple[str, ...] = ()

    @property
    def root(self) -> Path:
        return self.path.parent

    def excludes(self, path: Path) -> bool:
        """Whether a found file matches an `exclude` glob (relative to the configuration's folder)."""
        try:
            rel = path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return False
        parts = rel.split("/")
        candidates = ["/".join(parts[: k + 1]) for k in range(len(parts))] + parts
        return any(fnmatch.fnmatchcase(c, g.rstrip("/")) for g in self.exclude for c in candidates)

    def context_for(self, dockerfile: Path) -> Path | None:
        return self.contexts.get(dockerfile.resolve())


def _strings(value: Any, path: Path, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: {key} must be a list of strings")
    return tuple(value)


def _codes(value: Any, path: Path, key: str) -> tuple[str, ...]:
    codes = tuple(v.strip().upper() for v in _strings(value, path, key))
    bad = [c for c in codes if not _CODE.match(c)]
    if bad:
        raise ConfigError(f"{path}: {key}: {bad[0]!r} is not a rule code or prefix (DFX, DFX2, DFX201 ...)")
    return codes


def parse_config(path: Path, data: dict[str, Any]) -> Config:
    """A configuration from the `[tool.dockerfix]` table (or the whole `.dockerfix.toml`)."""
    known = {"select", "extend-select", "ignore", "unsafe-fixes", "exclude", "context", "builders"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{path}: unknown key {unknown[0]!r} (known: {', '.join(sorted(known))})")
    root = path.parent
    unsafe = data.get("unsafe-fixes")
    if unsafe is not None and not isinstance(unsafe, bool):
        raise ConfigError(f"{path}: unsafe-fixes must be true or false")
    contexts: dict[Path, Path] = {}
    table = data.get("context", {})
    if not isinstance(table, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in table.items()):
        raise ConfigError(f"{path}: context must map Dockerfile paths to build context folders, as strings")
    for dockerfile, folder in table.items():
        target = (root / folder).resolve()
        if not target.is_dir():
            raise ConfigError(f"{path}: context: {folder!r} (for {dockerfile}) is not a folder")
        contexts[(root / dockerfile).resolve()] = target
    builders = tuple(b.lower() for b in _strings(data.get("builders", []), path, "builders"))
    strange = [b for b in builders if b not in BUILDKIT_BUILDERS | OTHER_BUILDERS]
    if strange:
        choices = ", ".join(sorted(BUILDKIT_BUILDERS | OTHER_BUILDERS))
        raise ConfigError(f"{path}: builders: unknown builder {strange[0]!r} (one of {choices})")
    return Config(
        path=path,
        select=_codes(data["select"], path, "select") if "select" in data else None,
        extend_select=_codes(data.get("extend-select", []), path, "extend-select"),
        ignore=_codes(data.get("ignore", []), path, "ignore"),
        unsafe_fixes=unsafe,
        exclude=_strings(data.get("exclude", []), path, "exclude"),
        contexts=contexts,
        builders=builders,
    )


def load_config(path: Path) -> Config:
    """Read a `.dockerfix.toml` or the `[tool.dockerfix]` table of a pyproject.toml."""
    import tomllib  # imported when a TOML file is read, not at start-up

    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    if path.name == "pyproject.toml":
        tool = data.get("tool", {})
        data = tool.get("dockerfix", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: [tool.dockerfix] must be a table")
    return parse_config(path, data)


def _declares(pyproject: Path) -> bool:
    """Whether a pyproject.toml has a [tool.dockerfix] table."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return "[tool.dockerfix" in text


def find_config(start: Path, seen: dict[Path, Path | None] | None = None) -> Path | None:
    """The nearest configuration file in ``start`` (a folder) or above it. ``seen`` remembers the
    answer for every folder on the way (the files of one tree share them)."""
    return nearest(start, _declared_in, seen)


def _declared_in(folder: Path) -> Path | None:
    for name in (".dockerfix.toml", "pyproject.toml"):
        if os.path.isfile(os.path.join(folder, name)) and (name == ".dockerfix.toml" or _declares(folder / name)):
            return folder / name
    return None


class ConfigFinder:
    """The configuration of each Dockerfile, each file read once."""

    def __init__(self, given: Path | None = None, isolated: bool = False) -> None:
        self.given = given
        self.isolated = isolated
        self._loaded: dict[Path, Config | ConfigError] = {}
        self._found: dict[Path, Path | None] = {}  # folder -> its configuration file

    def _load(self, path: Path) -> Config:
        key = path.resolve()
        if key not in self._loaded:
            try:
                self._loaded[key] = load_config(path)
            except ConfigError as exc:
                self._loaded[key] = exc
        found = self._loaded[key]
        if isinstance(found, ConfigError):
            raise found
        return found

    def for_file(self, dockerfile: Path, resolved: Path | None = None) -> Config | None:
        """``resolved``: ``dockerfile.resolve()``, when the caller has it."""
        if self.isolated:
            return None
        if self.given is not None:
            return self._load(self.given)
        path = find_config((resolved or dockerfile.resolve()).parent, self._found)
        return self._load(path) if path is not None else None
