"""Node's package managers: the project file readers, and what the cache rules (DFX211-DFX214)
follow and refuse beyond their examples and fixtures."""

from __future__ import annotations

import pytest

from dockerfix.context.build_context import MemoryContext
from dockerfix.document.parse import parse
from dockerfix.document.source import SourceText
from dockerfix.ecosystems.node_config import (
    BERRY,
    Unreadable,
    bunfig_cache,
    npmrc,
    package_manager,
    yarn_major,
    yarnrc,
    yarnrc_yml,
)
from dockerfix.engine import fix_document
from dockerfix.runner import selected_rules
from dockerfix.rules.base import RuleContext
from dockerfix.settings import Settings

NODE_RULES = ("DFX211", "DFX212", "DFX213", "DFX214")


def test_npmrc_reads_settings_and_skips_comments() -> None:
    text = '; a comment\n# another\nregistry = https://r.example/\nCache="/opt/npm"\nnot a setting\n'
    assert npmrc(text) == {"registry": "https://r.example/", "cache": "/opt/npm"}


def test_yarnrc_reads_classic_settings() -> None:
    assert yarnrc('# yarn\ncache-folder "/srv/yarn"\n"--install.frozen-lockfile" true\n') == {
        "cache-folder": "/srv/yarn",
        "--install.frozen-lockfile": "true",
    }


def test_yarnrc_yml_reads_top_level_scalars() -> None:
    text = "nodeLinker: node-modules\nenableGlobalCache: false\npackageExtensions:\n  a@*:\n    b: c\n"
    assert yarnrc_yml(text) == {"nodeLinker": "node-modules", "enableGlobalCache": "false"}
    assert yarnrc_yml("") == {}


@pytest.mark.parametrize("text", ["- a\n- b\n", "a: !!tag b\n", "key: [unclosed\n"])
def test_yarnrc_yml_gives_up_on_what_it_does_not_read(text: str) -> None:
    with pytest.raises(Unreadable):
        yarnrc_yml(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", (False, None)),
        ("[install]\nproduction = true\n", (False, None)),
        ("[install.cache]\ndisable = true\n", (True, None)),
        ('[install.cache]\ndir = "/bun-cache"\n', (False, "/bun-cache")),
        ("[install]\ncache = false\n", (True, None)),
    ],
)
def test_bunfig_cache(text: str, expected: tuple[bool, str | None]) -> None:
    assert bunfig_cache(text) == expected


def test_bunfig_that_is_not_toml_is_unreadable() -> None:
    with pytest.raises(Unreadable):
        bunfig_cache("[install.cache\n")


def test_package_manager() -> None:
    assert package_manager('{"packageManager": "yarn@4.5.3+sha512.abc"}') == "yarn@4.5.3+sha512.abc"
    assert package_manager('{"name": "a"}') is None
    assert package_manager("[]") is None
    with pytest.raises(Unreadable):
        package_manager("{")


@pytest.mark.parametrize(
    ("spec", "major"),
    [
        ("yarn@4.5.3+sha512.abc", 4),
        ("1.22.22", 1),
        ("classic", 1),
        ("stable", BERRY),
        ("berry", BERRY),
        ("^3", 3),
        ("3.x", 3),
        (".yarn/releases/yarn-4.5.0.cjs", 4),
        (".yarn/releases/yarn-1.22.19.js", 1),
        (".yarn/releases/yarn-berry.cjs", BERRY),
        ("from-sources", None),
    ],
)
def test_yarn_major(spec: str, major: int | None) -> None:
    assert yarn_major(spec) == major


def _fix(
    text: str, files: dict[str, str] | None = None, dockerignore: str = "", context: bool = True
) -> tuple[str, str]:
    """The output and the findings' messages of the Node rules."""
    settings = Settings(select=NODE_RULES)
    ctx = RuleContext(MemoryContext(files or {}, dockerignore) if context else None, settings)
    result = fix_document(parse(SourceText.from_text(text)), selected_rules(settings), ctx)
    return result.output.text(), "\n".join(f"{f.code} {f.message}" for f in result.findings)


@pytest.mark.parametrize(
    ("dockerfile", "files", "wanted"),
    [
        # npm: an option, a variable, root's HOME, sudo
        ("FROM node:22\nRUN npm ci --cache /tmp/npm\n", {}, "target=/tmp/npm,"),
        ("FROM node:22\nENV NPM_CONFIG_CACHE=/cache/npm\nRUN npm ci\n", {}, "target=/cache/npm,"),
        ("FROM node:22\nENV HOME=/home/builder\nRUN npm ci\n", {}, "target=/home/builder/.npm,"),
        ("FROM node:22\nUSER node\nRUN sudo npm install -g serve\n", {}, "target=/root/.npm,"),
        # a non-root user's HOME is not followed: the cache goes outside the home
        (
            "FROM node:22\nENV HOME=/home/node\nUSER node\nRUN npm ci\n",
            {},
            "npm_config_cache=/var/cache/npm-1000 npm ci",
        ),
        # Yarn 1 from what the project asks for, or from the image's Yarn
        (
            "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN corepack enable && yarn install\n",
            {"package.json": '{"packageManager": "yarn@1.22.22"}'},
            "target=/usr/local/share/.cache/yarn,",
        ),
        (
            "FROM node:20\nRUN npm install -g yarn@1.22.19 && yarn global add serve\n",
            {},
            "/usr/local/share/.cache/yarn",
        ),
        (
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN yarn install\n",
            {"package.json": "{}", ".yarnrc": 'cache-folder "/srv/yarn-cache"\n'},
            "target=/srv/yarn-cache,",
        ),
        ("FROM node:20\nENV XDG_CACHE_HOME=/xdg\nRUN yarn global add serve\n", {}, "target=/xdg/yarn,"),
        # Yarn 2+ with node_modules and the global cache
        (
            "FROM node:22\nWORKDIR /app\nCOPY package.json .yarnrc.yml ./\nRUN yarn install\n",
            {"package.json": "{}", ".yarnrc.yml": "nodeLinker: node-modules\nenableGlobalCache: true\n"},
            "target=/root/.yarn/berry/cache,sharing=locked,id=yarn-berry-node-22",
        ),
        (
            "FROM node:22\nENV YARN_GLOBAL_FOLDER=/yarn-global YARN_NODE_LINKER=node-modules\nWORKDIR /app\n"
            "COPY package.json ./\nRUN yarn install\n",
            {"package.json": '{"packageManager": "yarn@4.1.1"}'},
            "target=/yarn-global/cache,",
        ),
        # pnpm: the XDG data folder, a project .npmrc
        ("FROM node:22\nENV XDG_DATA_HOME=/data\nRUN pnpm install\n", {}, "target=/data/pnpm/store,"),
        (
            "FROM node:22\nWORKDIR /app\nCOPY .npm* package.json ./\nRUN pnpm install\n",
            {"package.json": "{}", ".npmrc": "store-dir=/pnpm-store\n"},
            "target=/pnpm-store,",
        ),
        # Bun: BUN_INSTALL, an option, a bunfig dir
        ("FROM oven/bun:1\nENV BUN_INSTALL=/opt/bun\nRUN bun install\n", {}, "target=/opt/bun/install/cache,"),
        ("FROM oven/bun:1\nRUN bun install --cache-dir /bun-cache\n", {}, "target=/bun-cache,"),
        (
            "FROM oven/bun:1\nCOPY . .\nRUN bun install\n",
            {"package.json": "{}", "bunfig.toml": '[install.cache]\ndir = "/bc"\n'},
            "target=/bc,",
        ),
    ],
)
def test_cache_folder_followed(dockerfile: str, files: dict[str, str], wanted: str) -> None:
    output, messages = _fix(dockerfile, files)
    assert wanted in output, messages


@pytest.mark.parametrize(
    ("dockerfile", "files", "reason"),
    [
        ("FROM node:22\nRUN npm config set cache /x --global\nRUN npm ci\n", {}, "`npm config set`"),
        ("FROM node:22\nRUN npm ci --cache ./npm\n", {}, "--cache ./npm is not a known absolute path"),
        ("FROM node:22\nENV npm_config_offline=true\nRUN npm ci\n", {}, "installs offline"),
        ("FROM node:22 AS deps\nRUN npm ci\nFROM deps\nRUN npm ci --offline\n", {}, "line 4 runs npm --offline"),
        # which Yarn runs cannot be told
        (
            "FROM node:20\nWORKDIR /app\nCOPY package.json ./\nRUN yarn install\n",
            {},
            "cannot tell Yarn 1 from Yarn 2+: the build context is unknown",
        ),
        (
            "FROM node:20\nWORKDIR /app\nCOPY --from=src /src/ ./\nRUN yarn install\n",
            {},
            "cannot tell Yarn 1 from Yarn 2+: line 3 copies into /app from src",
        ),
        (
            "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN corepack enable && yarn install\n",
            {"package.json": '{"packageManager": "yarn@from-sources"}'},
            "packageManager in package.json names yarn@from-sources",
        ),
        # Yarn 2+ that a mount would break, or whose cache cannot be told
        ("FROM node:20\nRUN corepack prepare yarn@4.5.0 --activate && yarn global add x\n", {}, "nodeLinker: pnp"),
        (
            "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN yarn install\n",
            {
                "package.json": "{}",
                ".yarnrc.yml": "yarnPath: .yarn/releases/yarn-berry.cjs\nnodeLinker: node-modules\n",
            },
            "cannot tell whether Yarn 2+ uses its global cache",
        ),
        (
            "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN yarn install\n",
            {
                "package.json": '{"packageManager": "yarn@4.0.0"}',
                ".yarnrc.yml": "nodeLinker: node-modules\nnmMode: hardlinks-global\n",
            },
            "hardlinks-global",
        ),
        (
            "FROM node:22\nUSER node\nWORKDIR /home/node\nCOPY . .\nRUN yarn install\n",
            {"package.json": '{"packageManager": "yarn@4.0.0"}', ".yarnrc.yml": "nodeLinker: node-modules\n"},
            "whose global folder holds more than the cache",
        ),
        (
            "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN yarn install\n",
            {"package.json": "{}", ".yarnrc.yml": "- not a mapping\n"},
            "a project file cannot be read",
        ),
        ("FROM node:22\nRUN yarn config set cache-folder /y && yarn global add x\n", {}, "`yarn config set`"),
        # pnpm
        ("FROM node:22\nRUN pnpm install --store-dir .store\n", {}, "--store-dir .store is not a known absolute path"),
        ("FROM node:22\nRUN pnpm config set store-dir /s && pnpm install\n", {}, "`pnpm config set`"),
        ("FROM node:22\nENV HOME=/home/node\nUSER node\nRUN pnpm install\n", {}, "node_modules/.modules.yaml"),
        ("FROM node:22\nENV PNPM_HOME=/pnpm\nRUN pnpm install --store-dir /pnpm\n", {}, "holds PNPM_HOME (/pnpm)"),
        # Bun
        ("FROM oven/bun:1\nRUN bun install --backend=symlink\n", {}, "--backend symlink"),
        (
            "FROM oven/bun:1\nCOPY . .\nRUN bun install\n",
            {"package.json": "{}", "bunfig.toml": "[install.cache\n"},
            "bunfig.toml cannot be read",
        ),
    ],
)
def test_left_alone(dockerfile: str, files: dict[str, str], reason: str) -> None:
    context = "the build context is unknown" not in reason
    output, messages = _fix(dockerfile, files, context=context)
    assert output == dockerfile
    assert reason in messages


@pytest.mark.parametrize(
    "dockerfile",
    [
        "FROM node:22\nRUN yarn --version && npm --version && pnpm --help && bun --version\n",
        "FROM node:22\nRUN npm run build && yarn build && pnpm run lint && bun run test\n",
        "FROM oven/bun:1\nRUN bun pm cache\n",
    ],
)
def test_commands_that_do_not_install_are_not_reported(dockerfile: str) -> None:
    assert _fix(dockerfile) == (dockerfile, "")


def test_an_ignored_npmrc_is_not_read() -> None:
    dockerfile = "FROM node:22\nWORKDIR /app\nCOPY . .\nRUN npm ci\n"
    files = {"package.json": "{}", ".npmrc": "cache=/opt/npm\n"}
    output, _ = _fix(dockerfile, files, dockerignore=".npmrc\n")
    assert "target=/root/.npm," in output
    output, _ = _fix(dockerfile, files)
    assert "target=/opt/npm," in output


def test_a_folder_copied_into_the_workdir_is_read() -> None:
    dockerfile = "FROM node:22\nWORKDIR /app\nCOPY web/ ./\nRUN npm ci\n"
    output, _ = _fix(dockerfile, {"web/package.json": "{}", "web/.npmrc": "cache=/opt/web-npm\n"})
    assert "target=/opt/web-npm," in output


def test_pnpm_fetch_and_offline_install_in_one_stage_are_both_left_alone() -> None:
    dockerfile = "FROM node:22\nRUN pnpm fetch\nRUN pnpm install --offline\n"
    output, messages = _fix(dockerfile)
    assert output == dockerfile
    assert "line 3 runs pnpm --offline" in messages
    assert "`pnpm install --offline` installs offline" in messages
