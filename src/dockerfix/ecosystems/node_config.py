"""What Node's package managers read from a project folder: the settings that move or turn off
their caches (`.npmrc`, `.yarnrc`, `.yarnrc.yml`, `pnpm-workspace.yaml`, `bunfig.toml`) and which
Yarn a project asks for (`packageManager` in package.json, `yarnPath`, `yarn set version`).

Each reader takes a file's text and returns what it says, or raises Unreadable where the file is
written in a way it does not read; the caller then treats the file's settings as unknown.
"""

from __future__ import annotations

import json
import posixpath
import re

# the files of a project folder that decide where the Node package managers cache
CONFIG_FILES = ("package.json", ".npmrc", ".yarnrc", ".yarnrc.yml", "pnpm-workspace.yaml", "bunfig.toml")

BERRY = 0  # a Yarn of version 2 or later whose major version is not known ("stable", "berry")


class Unreadable(ValueError):
    """A configuration file written in a way that is not read here."""


def npmrc(text: str) -> dict[str, str]:
    """The `key=value` settings of an .npmrc (keys lower case; `;` and `#` start comments)."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith((";", "#")):
            continue
        key, eq, value = line.partition("=")
        if not eq:
            continue
        out[key.strip().lower()] = value.strip().strip("\"'")
    return out


def yarnrc(text: str) -> dict[str, str]:
    """The settings of a Yarn 1 `.yarnrc`: `key value` or `key "value"` per line."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        m = re.match(r'^("[^"]+"|\S+)\s+(.*)$', line)
        if m:
            out[m.group(1).strip('"').lower()] = m.group(2).strip().strip('"')
    return out


def yarnrc_yml(text: str) -> dict[str, str]:
    """The top-level scalar settings of a `.yarnrc.yml` or `pnpm-workspace.yaml`."""
    from dockerfix.context.yaml_subset import YamlError, parse_yaml  # when there is one to read

    try:
        root = parse_yaml(text)
    except YamlError as e:
        raise Unreadable(str(e)) from None
    if root.value is None:
        return {}
    if not isinstance(root.value, dict):
        raise Unreadable("the file is not a mapping")
    return {key: node.text for key, node in root.value.items() if node.text is not None}


def bunfig_cache(text: str) -> tuple[bool, str | None]:
    """(whether the cache is turned off, the cache folder it sets) from a bunfig.toml."""
    import tomllib  # imported when a TOML file is read, not at start-up

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise Unreadable(str(e)) from None
    install = data.get("install")
    if not isinstance(install, dict):
        return False, None
    cache = install.get("cache")
    if cache is False:
        return True, None
    if not isinstance(cache, dict):
        return False, None
    folder = cache.get("dir")
    return cache.get("disable") is True, folder if isinstance(folder, str) else None


def package_manager(text: str) -> str | None:
    """The `packageManager` field of a package.json ("yarn@4.1.0+sha..."), or None."""
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Unreadable(str(e)) from None
    value = data.get("packageManager") if isinstance(data, dict) else None
    return value if isinstance(value, str) else None


def yarn_major(spec: str) -> int | None:
    """The major version of Yarn a version spec names (`4.1.0`, `yarn@1.22.22`, `classic`,
    `stable`; a release file `yarn-4.5.0.cjs`): 1 for Yarn 1, BERRY for a later Yarn whose
    major is not known, None when the spec says nothing known."""
    spec = spec.strip().strip("\"'").removeprefix("yarn@")
    if spec.endswith((".cjs", ".js")):  # a release file (yarnPath): yarn-4.5.0.cjs, yarn-berry.cjs
        m = re.search(r"yarn-(\d+)\.", posixpath.basename(spec))
        return int(m.group(1)) if m else BERRY
    if spec in ("classic", "1"):
        return 1
    if spec in ("berry", "stable", "latest", "canary", "rc"):
        return BERRY
    m = re.match(r"^[\^~>=v]*(\d+)(?:[.x*]|$)", spec)
    return int(m.group(1)) if m else None
