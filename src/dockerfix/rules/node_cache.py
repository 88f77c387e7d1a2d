"""DFX211-DFX214: npm, Yarn, pnpm and Bun install without a cache mount they would use.

The four share the shape of the Python tools: a per-user download cache (an option, a variable,
a project configuration file or the home folder decide where), commands that clean it, and a
non-root user whose mount goes outside the home. Each rule says where its tool's cache is and
what would make a mount there useless or harmful: an offline install that needs what an earlier
layer downloaded, a cache that holds the installed packages themselves (Yarn's Plug'n'Play), a
store whose place the install records.
"""

from __future__ import annotations

import posixpath
import re
from typing import ClassVar

from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.node import BUN, NPM, PNPM, YARN
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
from dockerfix.ecosystems.packages import Call, Grammar, runs_tool
from dockerfix.records import frozen, replace
from dockerfix.rules._common import RunUser, run_user, stage_chain
from dockerfix.rules._mounts import earlier, within
from dockerfix.rules._node_project import Project, project
from dockerfix.rules._package_cache import NotAdded, Plan, Run, removed_paths
from dockerfix.rules.base import Example
from dockerfix.rules.python_cache import _FALSE, _TRUE, Location, PythonToolCache, _configured


@frozen
class Layout:
    """Where a tool's cache is for one call, in the order the tool looks."""

    sources: list[tuple[str, str | None]]  # (how it is set, value; None: not known), first wins
    places: tuple[tuple[str, str], ...]  # (variable, folder below it): the first that is set
    root: str  # root's cache folder when nothing else is set
    inline: str | None  # the variable that moves the cache to /var/cache/<folder>-<uid>
    not_moved: str = ""  # why a non-root user's cache is not moved (inline None)


def _expanded(env: dict[str, str | None], value: str) -> str | None:
    return State(env=env).expand(value)


class NodeToolCache(PythonToolCache):
    """A Node package manager with a per-user download cache."""

    reads_context = True
    cache_option = None
    no_cache_options: ClassVar[tuple[str, ...]] = ()
    folder_options: ClassVar[tuple[str, ...]] = ()  # options that run the tool in another folder
    config_set: ClassVar[str] = ""  # a `<tool> config set <key>` that moves the cache
    what: ClassVar[str] = "cache"  # how messages name the cache ("store")

    def layout(self, run: Run, call: Call, env: dict[str, str | None], user: RunUser) -> Layout:
        raise NotImplementedError

    def _location(self, run: Run, call: Call) -> Location:
        env = run_env(run.state, call.invocation)
        user = RunUser(True) if call.sudo else run_user(run.state)  # sudo runs it as root
        if user.problem:
            raise NotAdded(user.problem)
        if call.has("--offline") or (env.get("npm_config_offline") or "").lower() in _TRUE:
            raise NotAdded(
                f"`{call.text}` installs offline, only from what an earlier layer left in its {self.what}: "
                "a mount would hand it one that may be empty"
            )
        if self.config_set and _configured(run, self.config_set):
            raise NotAdded(f"the Dockerfile moves the {self.what} with `{self.tool} config set`, which is not followed")
        where = self.layout(run, call, env, user)
        # what is set decides, in the tool's order: its options and settings, then the variables;
        # a non-root user's HOME is not followed, as a mount there would leave root-owned folders
        found = where.sources + [
            (f"{var} ({env[var]})", None if env[var] is None else posixpath.join(env[var] or "", below))
            for var, below in where.places
            if var in env and (user.root or var != "HOME")
        ]
        if found:
            how, value = found[0]
            if value is None or not value.startswith("/"):
                raise NotAdded(f"{how} is not a known absolute path")
            return Location(posixpath.normpath(value), [], user)
        if user.root:
            return Location(where.root, [], user)
        if where.inline is None:
            raise NotAdded(where.not_moved)
        # outside the home: older BuildKit leaves a root-owned folder at a mount point
        root = f"/var/cache/{self.folder}-{user.uid}"
        return Location(root, [f"{where.inline}={root}"], user)

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        later = _later_offline(run, self.grammar)
        if later is not None:
            raise NotAdded(
                f"line {later} runs {self.tool} --offline on what this RUN downloads: a rebuild that reuses this "
                f"layer would find the mounted {self.what} emptied (use --prefer-offline there)"
            )

    def leaves(self, prior: Run, target: str) -> bool:
        installs = any(self.uses_cache(c) for c in prior.calls)
        cleans = any(self.cleaning(c) for c in prior.calls)
        return installs and not cleans and not any(within(path, target) for _, path in removed_paths(prior))

    def project(self, run: Run, call: Call) -> Project:
        return project(run, call, self.folder_options)

    def option(self, call: Call, env: dict[str, str | None], name: str) -> list[tuple[str, str | None]]:
        """The last value of an option that sets the cache folder, as a layout source."""
        return [(f"{name} {v}", _expanded(env, v)) for v in call.values(name)][-1:]

    def variables(self, env: dict[str, str | None], *names: str) -> list[tuple[str, str | None]]:
        return [(name, env[name]) for name in names if name in env][:1]

    def setting(self, run: Run, call: Call, file: str, key: str) -> list[tuple[str, str | None]]:
        """A project configuration file's setting of the cache folder, as a layout source."""
        text = self.project(run, call).files.get(file)
        if text is None:
            return []
        try:
            settings = yarnrc_yml(text) if file.endswith((".yml", ".yaml")) else npmrc(text)
        except Unreadable as e:
            raise NotAdded(f"the project's {file} cannot be read ({e})") from None
        value = settings.get(key)
        return [] if value is None else [(f"{key} in the project's {file} ({value})", value)]


def _later_offline(run: Run, grammar: Grammar) -> int | None:
    """The line of a later RUN, in this stage or one built FROM it, that runs the tool offline."""
    doc = run.doc
    for other in doc.instructions[run.inst.index + 1 :]:
        if other.kind != "RUN" or run.inst.stage not in stage_chain(doc, other):
            continue
        text = other.command_text
        if runs_tool(text, grammar) and re.search(r"(?<![\w-])--offline\b", text):
            return other.line_no
    return None


class NpmCacheMount(NodeToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with npm (`npm ci`, `npm install`, `npm update`, global
    installs) without a BuildKit cache mount on npm's cache.

    ## Why is this bad?
    npm downloads every package again when the layer is rebuilt. `npm cache clean --force` in the
    same `RUN` keeps the cache out of the image, but also out of any cache.

    ## Example
    ```dockerfile
    FROM node:22-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN npm ci --omit=dev && npm cache clean --force
    ```

    ## Use instead
    ```dockerfile
    FROM node:22-slim
    WORKDIR /app
    COPY package.json package-lock.json ./
    RUN --mount=type=cache,target=/root/.npm,id=npm-node-22-slim npm ci --omit=dev
    ```

    ## The fix
    - mounts npm's cache: `--cache`, `npm_config_cache` (`NPM_CONFIG_CACHE`), `cache=` in the
      project's `.npmrc` (the one the Dockerfile copies into the `RUN`'s working folder), else
      `$HOME/.npm` as root (`/root/.npm`). `node_modules` and global installs stay in the image;
      only the download cache (and npm's logs in it) is in the mount;
    - for a non-root user with a known uid (`USER node` on the node images: uid 1000), mounts
      `/var/cache/npm-<uid>` with `uid=`/`gid=` and sets `npm_config_cache` inline: a mount inside
      the home would leave root-owned folders there on older BuildKit, which the user could then
      not write;
    - uses BuildKit's default sharing: npm's cache (cacache) is safe with concurrent writers;
    - drops `npm cache clean --force` and `rm -rf` of the cache in that `RUN`: with the mount,
      what they removed never reaches the image.

    ## When it leaves the RUN alone
    An offline install (`--offline`, `npm_config_offline`): it needs what an earlier layer left
    in the cache; a later `RUN` that installs offline from what this one downloads; the cache
    moved with `npm config set cache` or to a relative path; a non-root user whose uid is not
    known; ONBUILD, non-shell heredocs, Windows images and non-POSIX shells. An `.npmrc` that
    reaches the image another way (copied from another stage, a `cd` in the `RUN`) is not read.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+: npm copies packages out of its cache into
    `node_modules`, so the installed files are the same.
    """

    code = "DFX211"
    name = "npm-cache-not-mounted"
    summary = "npm installs without a cache mount on its cache"
    grammar = NPM
    tool = "npm"
    cache_var = "npm_config_cache"
    folder = "npm"
    installs = frozenset({"ci", "clean-install", "ic", "install", "i", "in", "isntall", "add", "update", "up",
                          "upgrade", "install-test", "it", "install-ci-test", "cit"})  # fmt: skip
    cleans = frozenset({"cache clean", "cache clear", "cache rm"})
    folder_options = ("--prefix", "-C")
    config_set = r"npm\s+config\s+set\s+cache\b"

    VALID = (
        Example(
            """
            FROM node:22
            RUN --mount=type=cache,target=/root/.npm npm ci
            """
        ),
        Example(
            """
            FROM node:22
            RUN npm --version && npm run build
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM node:22
            RUN npm ci --omit=dev && npm cache clean --force
            """,
            """
            FROM node:22
            RUN --mount=type=cache,target=/root/.npm,id=npm-node-22 npm ci --omit=dev
            """,
        ),
        Example(
            """
            FROM node:22
            USER node
            RUN npm install
            """,
            """
            FROM node:22
            USER node
            RUN --mount=type=cache,target=/var/cache/npm-1000,id=npm-1000-node-22,uid=1000,gid=1000 npm_config_cache=/var/cache/npm-1000 npm install
            """,
        ),
        Example(
            """
            FROM node:22
            RUN npm ci --offline
            """,
            None,
            message="offline",
        ),
    )

    def layout(self, run: Run, call: Call, env: dict[str, str | None], user: RunUser) -> Layout:
        sources = (
            self.option(call, env, "--cache")
            or self.variables(env, "npm_config_cache", "NPM_CONFIG_CACHE")
            or self.setting(run, call, ".npmrc", "cache")
        )
        return Layout(sources, (("HOME", ".npm"),), "/root/.npm", "npm_config_cache")


class YarnCacheMount(NodeToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with Yarn (`yarn`, `yarn install`, `yarn add`,
    `yarn global add`; `yarn workspaces focus` on Yarn 2+) without a BuildKit cache mount on
    Yarn's cache, where the mount would only hold downloads.

    ## Why is this bad?
    Yarn downloads every package again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM node:20
    WORKDIR /app
    COPY package.json yarn.lock ./
    RUN yarn install --frozen-lockfile && yarn cache clean
    ```

    ## Use instead
    ```dockerfile
    FROM node:20
    WORKDIR /app
    COPY package.json yarn.lock ./
    RUN --mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked,id=yarn-node-20 yarn install --frozen-lockfile
    ```

    ## The fix
    Yarn 1 and Yarn 2+ keep very different things in their caches, so the rule first finds
    which Yarn runs: `yarn set version` in the Dockerfile, `yarnPath` in the project's
    `.yarnrc.yml`, `packageManager` in its package.json, a `.yarnrc.yml` at all (Yarn 2+),
    `corepack prepare yarn@…` or `npm i -g yarn@…`; with none of these, the Yarn 1 of the node
    images (corepack, too, runs Yarn 1 for a project that names no version). The project is what
    the Dockerfile copies into the `RUN`'s working folder, read from the build context.

    - Yarn 1: mounts `--cache-folder`, `YARN_CACHE_FOLDER`, `cache-folder` of the project's
      `.yarnrc`, `$XDG_CACHE_HOME/yarn`, else `/usr/local/share/.cache/yarn` for root (Yarn 1
      puts root's cache under `/usr/local/share`, whatever `HOME` says); for a non-root user with
      a known uid, `/var/cache/yarn-<uid>` with `uid=`/`gid=` and `YARN_CACHE_FOLDER` inline;
    - Yarn 2+ with `nodeLinker: node-modules` and the global cache (the default from Yarn 4,
      `enableGlobalCache: true` before): mounts the `cache` folder of the global folder
      (`YARN_GLOBAL_FOLDER`, `globalFolder`, `$XDG_DATA_HOME/yarn/berry`, `~/.yarn/berry`), as
      root only; packages are unpacked into `node_modules`, so the cache is only downloads;
    - uses `sharing=locked`: Yarn 1 does not expect two installs writing its cache at once;
    - drops `yarn cache clean` and `rm -rf` of the cache in that `RUN`.

    ## When it leaves the RUN alone
    Yarn 2+ with Plug'n'Play (the default `nodeLinker`) or the `pnpm` linker: the packages are
    used from the cache, which a mount would take out of the image; Yarn 2+ with the cache in
    the project (`.yarn/cache`, `enableGlobalCache: false`, the default before Yarn 4), which is
    part of the project; Yarn 2+ whose version and global cache setting are not known; Yarn 2+
    as a non-root user (its global folder holds more than the cache); when it cannot tell Yarn 1
    from Yarn 2+ (an unknown build context, a copy from another stage into the working folder,
    a `cd` in the `RUN`); an offline install; the cache moved with `yarn config set`; a non-root
    user whose uid is not known; ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+.
    """

    code = "DFX212"
    name = "yarn-cache-not-mounted"
    summary = "Yarn installs without a cache mount on its download cache"
    grammar = YARN
    tool = "yarn"
    cache_var = "YARN_CACHE_FOLDER"
    folder = "yarn"
    installs = frozenset({"", "install", "add", "upgrade", "up", "global", "workspaces"})
    cleans = frozenset({"cache clean"})
    folder_options = ("--cwd",)
    config_set = (
        r"yarn\s+config\s+set\s+(-H\s+)?(cache-folder|cacheFolder|globalFolder|enableGlobalCache|nodeLinker|nmMode)\b"
    )
    sharing = "locked"

    VALID = (
        Example(
            """
            FROM node:20
            RUN --mount=type=cache,target=/usr/local/share/.cache/yarn yarn install --frozen-lockfile
            """
        ),
        Example(
            """
            FROM node:20
            RUN yarn build
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM node:20
            WORKDIR /app
            COPY package.json yarn.lock ./
            RUN yarn install --frozen-lockfile && yarn cache clean
            """,
            """
            FROM node:20
            WORKDIR /app
            COPY package.json yarn.lock ./
            RUN --mount=type=cache,target=/usr/local/share/.cache/yarn,sharing=locked,id=yarn-node-20 yarn install --frozen-lockfile
            """,
            files={"package.json": "{}\n", "yarn.lock": ""},
        ),
        Example(
            """
            FROM node:20
            WORKDIR /app
            COPY package.json yarn.lock .yarnrc.yml ./
            RUN yarn install --immutable
            """,
            None,
            files={"package.json": '{"packageManager": "yarn@4.5.0"}\n', "yarn.lock": "", ".yarnrc.yml": ""},
            message="Plug'n'Play",
        ),
    )

    def uses_cache(self, call: Call) -> bool:
        first = call.operands[0].value if call.operands else ""
        if call.subcommand == "":  # `yarn` alone installs
            return not call.operands and not call.has("--version", "-v", "--help", "-h")
        if call.subcommand == "global":
            return first == "add"
        if call.subcommand == "workspaces":
            return first == "focus"
        return call.subcommand in self.installs

    def plan(self, run: Run) -> Plan | None:
        plan = super().plan(run)
        calls = [c for c in run.calls if self.uses_cache(c)]
        if plan is not None and self._major(run, calls[0]) != 1:
            plan.mounts = [replace(m, cache=m.cache.replace("yarn", "yarn-berry", 1)) for m in plan.mounts]
        return plan

    def layout(self, run: Run, call: Call, env: dict[str, str | None], user: RunUser) -> Layout:
        if self._major(run, call) == 1:
            sources = (
                self.option(call, env, "--cache-folder")
                or self.variables(env, "YARN_CACHE_FOLDER")
                or self._yarnrc(run, call)
            )
            return Layout(sources, (("XDG_CACHE_HOME", "yarn"),), "/usr/local/share/.cache/yarn", "YARN_CACHE_FOLDER")
        return self._berry(run, call, env)

    def _yarnrc(self, run: Run, call: Call) -> list[tuple[str, str | None]]:
        text = self.project(run, call).files.get(".yarnrc")
        value = yarnrc(text).get("cache-folder") if text is not None else None
        return [] if value is None else [(f"cache-folder in the project's .yarnrc ({value})", value)]

    def _berry(self, run: Run, call: Call, env: dict[str, str | None]) -> Layout:
        major = self._major(run, call)
        text = self.project(run, call).files.get(".yarnrc.yml", "")
        try:
            settings = yarnrc_yml(text)
        except Unreadable as e:
            raise NotAdded(f"the project's .yarnrc.yml cannot be read ({e})") from None

        def setting(var: str, key: str) -> str | None:
            return env.get(var) if var in env else settings.get(key)

        linker = setting("YARN_NODE_LINKER", "nodeLinker") or "pnp"
        if linker != "node-modules":
            raise NotAdded(
                f"Yarn 2+ installs with nodeLinker: {linker} (Plug'n'Play is the default), whose packages are used "
                "from its cache: a mount would take them out of the image"
            )
        if setting("YARN_NM_MODE", "nmMode") == "hardlinks-global":
            raise NotAdded("Yarn's nmMode: hardlinks-global links node_modules to its global store, out of the image")
        enabled = (setting("YARN_ENABLE_GLOBAL_CACHE", "enableGlobalCache") or "").lower()
        if enabled not in _TRUE | _FALSE:
            if major == BERRY:
                raise NotAdded("cannot tell whether Yarn 2+ uses its global cache (its version is not known)")
            enabled = "true" if major >= 4 else "false"
        if enabled in _FALSE:
            raise NotAdded(
                "Yarn 2+ keeps its cache in the project (.yarn/cache, enableGlobalCache: false), which is part of the image"
            )
        sources: list[tuple[str, str | None]] = []
        if "YARN_GLOBAL_FOLDER" in env or "globalFolder" in settings:
            folder = setting("YARN_GLOBAL_FOLDER", "globalFolder")
            sources = [
                (f"Yarn's global folder ({folder})", None if folder is None else posixpath.join(folder, "cache"))
            ]
        return Layout(
            sources,
            (("XDG_DATA_HOME", "yarn/berry/cache"), ("HOME", ".yarn/berry/cache")),
            "/root/.yarn/berry/cache",
            None,
            "Yarn 2+ runs as a non-root user, whose global folder holds more than the cache",
        )

    def _major(self, run: Run, call: Call) -> int:
        """1 for Yarn 1, the major version (or BERRY) for a later Yarn; NotAdded when not known."""
        proj = self.project(run, call)
        texts = [i.command_text for i in earlier(run.doc, run.inst) if i.kind == "RUN"] + [run.inst.command_text]
        evidence: list[tuple[str, str]] = []
        try:
            settings = yarnrc_yml(proj.files[".yarnrc.yml"]) if ".yarnrc.yml" in proj.files else {}
            manager = package_manager(proj.files["package.json"]) if "package.json" in proj.files else None
        except Unreadable as e:
            raise NotAdded(f"cannot tell Yarn 1 from Yarn 2+: a project file cannot be read ({e})") from None
        if "yarnPath" in settings:
            evidence.append(("yarnPath in .yarnrc.yml", settings["yarnPath"]))
        for m in re.finditer(r"yarn\s+(?:set\s+version|policies\s+set-version)\s+(\S+)", "\n".join(texts)):
            evidence.append(("`yarn set version`", m.group(1)))
        if manager is not None and manager.startswith("yarn@"):
            evidence.append(("packageManager in package.json", manager))
        if ".yarnrc.yml" in proj.files:
            evidence.append(("a .yarnrc.yml", "berry"))
        if not evidence and proj.unknown:
            raise NotAdded(f"cannot tell Yarn 1 from Yarn 2+: {proj.unknown}")
        # the Yarn installed for the whole image, which a project without a version runs
        for m in re.finditer(r"(?:corepack|npm)\s[^;&|\n]*?(?<![\w/-])yarn@(\S+)|@yarnpkg/cli-dist", "\n".join(texts)):
            evidence.append(("the Dockerfile's Yarn", m.group(1) or "berry"))
        if not evidence:
            return 1
        how, spec = evidence[0]
        major = yarn_major(spec)
        if major is None:
            raise NotAdded(f"cannot tell Yarn 1 from Yarn 2+: {how} names {spec}")
        return major


class PnpmCacheMount(NodeToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with pnpm (`pnpm install`, `pnpm add`, `pnpm update`,
    `pnpm fetch`) without a BuildKit cache mount on pnpm's store.

    ## Why is this bad?
    pnpm downloads every package again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM node:22-slim
    ENV PNPM_HOME="/pnpm"
    ENV PATH="$PNPM_HOME:$PATH"
    RUN corepack enable
    WORKDIR /app
    COPY package.json pnpm-lock.yaml ./
    RUN pnpm install --prod --frozen-lockfile
    ```

    ## Use instead
    ```dockerfile
    FROM node:22-slim
    ENV PNPM_HOME="/pnpm"
    ENV PATH="$PNPM_HOME:$PATH"
    RUN corepack enable
    WORKDIR /app
    COPY package.json pnpm-lock.yaml ./
    RUN --mount=type=cache,target=/pnpm/store,id=pnpm-node-22-slim pnpm install --prod --frozen-lockfile
    ```

    ## The fix
    - mounts the store folder: `--store-dir`, `npm_config_store_dir`, `store-dir` in the
      project's `.npmrc` or `storeDir` in its `pnpm-workspace.yaml`, `$PNPM_HOME/store`,
      `$XDG_DATA_HOME/pnpm/store`, else `~/.local/share/pnpm/store` as root. Never `PNPM_HOME` itself,
      which holds the global binaries: pnpm also tests there whether it can link into the
      project, and would put its store in the project's file system if that failed;
    - packages are copied from the store into `node_modules` (a mount is another file system,
      so pnpm cannot hard-link), so the installed files are the same;
    - for a non-root user only where the store is set (`--store-dir`, a variable, a project
      setting or `PNPM_HOME`), with `uid=`/`gid=`;
    - uses BuildKit's default sharing: pnpm's store is content-addressed and safe with
      concurrent installs;
    - drops `pnpm store prune` and `rm -rf` of the store in that `RUN`.

    ## When it leaves the RUN alone
    `pnpm install --offline` (typically after `pnpm fetch`), and a `pnpm fetch` whose stage
    later installs `--offline`: BuildKit may reuse the fetch layer while the mount was emptied,
    and the offline install then fails (use `--prefer-offline`); a non-root user whose store is
    the home default: pnpm records the store's place in `node_modules/.modules.yaml`, so it is
    not moved for one `RUN`, and a mount inside the home would leave root-owned folders on older
    BuildKit; the store moved with `pnpm config set store-dir` or to a relative path; ONBUILD;
    a store set to `PNPM_HOME` or a folder above it; non-shell heredocs, Windows images and
    non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+.
    """

    code = "DFX213"
    name = "pnpm-store-not-mounted"
    summary = "pnpm installs without a cache mount on its store"
    grammar = PNPM
    tool = "pnpm"
    cache_var = "npm_config_store_dir"
    folder = "pnpm"
    installs = frozenset({"install", "i", "add", "update", "up", "upgrade", "fetch"})
    cleans = frozenset({"store prune"})
    folder_options = ("-C", "--dir")
    config_set = r"(pnpm|npm)\s+config\s+set\s+(-g\s+|--global\s+)?store-dir\b"
    what = "store"

    VALID = (
        Example(
            """
            FROM node:22
            ENV PNPM_HOME=/pnpm
            RUN --mount=type=cache,id=pnpm,target=/pnpm/store pnpm install --frozen-lockfile
            """
        ),
        Example(
            """
            FROM node:22
            RUN pnpm run build
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM node:22
            ENV PNPM_HOME=/pnpm
            RUN pnpm install --prod --frozen-lockfile && pnpm store prune
            """,
            """
            FROM node:22
            ENV PNPM_HOME=/pnpm
            RUN --mount=type=cache,target=/pnpm/store,id=pnpm-node-22 pnpm install --prod --frozen-lockfile
            """,
        ),
        Example(
            """
            FROM node:22
            RUN pnpm fetch --prod
            COPY . .
            RUN pnpm install -r --offline --prod
            """,
            None,
            message="--prefer-offline",
        ),
    )

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        super().check_more(run, calls, where)
        home = run.state.env.get("PNPM_HOME")
        if home and within(posixpath.normpath(home), where.root):
            raise NotAdded(f"the store at {where.root} holds PNPM_HOME ({home}), where pnpm keeps its global binaries")

    def layout(self, run: Run, call: Call, env: dict[str, str | None], user: RunUser) -> Layout:
        sources = (
            self.option(call, env, "--store-dir")
            or self.variables(env, "npm_config_store_dir", "NPM_CONFIG_STORE_DIR", "pnpm_config_store_dir")
            or self.setting(run, call, ".npmrc", "store-dir")
            or self.setting(run, call, "pnpm-workspace.yaml", "storeDir")
        )
        places = (("PNPM_HOME", "store"), ("XDG_DATA_HOME", "pnpm/store"), ("HOME", ".local/share/pnpm/store"))
        return Layout(
            sources,
            places,
            "/root/.local/share/pnpm/store",
            None,
            "pnpm records its store's place in node_modules/.modules.yaml, so the store of a non-root user is not "
            "moved out of the home (set PNPM_HOME or store-dir)",
        )


class BunCacheMount(NodeToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with Bun (`bun install`, `bun add`, `bun update`)
    without a BuildKit cache mount on Bun's package cache.

    ## Why is this bad?
    Bun downloads every package again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM oven/bun:1
    COPY package.json bun.lock ./
    RUN bun install --frozen-lockfile --production
    ```

    ## Use instead
    ```dockerfile
    FROM oven/bun:1
    COPY package.json bun.lock ./
    RUN --mount=type=cache,target=/root/.bun/install/cache,sharing=locked,id=bun-oven-bun-1 bun install --frozen-lockfile --production
    ```

    ## The fix
    - mounts Bun's cache: `BUN_INSTALL_CACHE_DIR`, `--cache-dir`, `dir` under `[install.cache]`
      in the project's `bunfig.toml`, `$BUN_INSTALL/install/cache`,
      `$XDG_CACHE_HOME/.bun/install/cache`, else `~/.bun/install/cache` as root (the oven/bun
      images' default user);
    - Bun hard-links packages from its cache into `node_modules` and copies them where it cannot
      (a mount is another file system), so the installed files are the same;
    - for a non-root user with a known uid (`USER bun`: uid 1000), mounts `/var/cache/bun-<uid>`
      with `uid=`/`gid=` and sets `BUN_INSTALL_CACHE_DIR` inline;
    - uses `sharing=locked`: Bun does not say that two installs may write its cache at once;
    - drops `--no-cache`, `bun pm cache rm` and `rm -rf` of the cache in that `RUN`.

    ## When it leaves the RUN alone
    The cache turned off in the project's `bunfig.toml` (`[install.cache] disable = true`);
    `--backend symlink`: `node_modules` would point into the mount; a cache path that is not a
    known absolute path; a non-root user whose uid is not known; ONBUILD, non-shell heredocs,
    Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+.
    """

    code = "DFX214"
    name = "bun-cache-not-mounted"
    summary = "Bun installs without a cache mount on its package cache"
    grammar = BUN
    tool = "bun"
    cache_var = "BUN_INSTALL_CACHE_DIR"
    folder = "bun"
    installs = frozenset({"install", "i", "add", "a", "update"})
    no_cache_options = ("--no-cache",)
    folder_options = ("--cwd",)
    sharing = "locked"

    VALID = (
        Example(
            """
            FROM oven/bun:1
            RUN --mount=type=cache,target=/root/.bun/install/cache bun install --frozen-lockfile
            """
        ),
        Example(
            """
            FROM oven/bun:1
            RUN bun run build
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM oven/bun:1
            RUN bun install --frozen-lockfile --no-cache
            """,
            """
            FROM oven/bun:1
            RUN --mount=type=cache,target=/root/.bun/install/cache,sharing=locked,id=bun-oven-bun-1 bun install --frozen-lockfile
            """,
        ),
        Example(
            """
            FROM oven/bun:1
            COPY package.json bun.lock bunfig.toml ./
            RUN bun install
            """,
            None,
            files={"package.json": "{}\n", "bun.lock": "", "bunfig.toml": "[install.cache]\ndisable = true\n"},
            message="disable",
        ),
    )

    def cleaning(self, call: Call) -> bool:
        words = [w.value for w in call.operands[:2]]
        return call.subcommand == "pm" and words[:1] == ["cache"] and words[1:] in (["rm"], ["clean"])

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        super().check_more(run, calls, where)
        if any(v == "symlink" for c in calls for v in c.values("--backend")):
            raise NotAdded("Bun installs with --backend symlink: node_modules would point into the mount")

    def layout(self, run: Run, call: Call, env: dict[str, str | None], user: RunUser) -> Layout:
        sources = self.variables(env, "BUN_INSTALL_CACHE_DIR") or self.option(call, env, "--cache-dir")
        text = self.project(run, call).files.get("bunfig.toml")
        if text is not None:
            try:
                disabled, folder = bunfig_cache(text)
            except Unreadable as e:
                raise NotAdded(f"the project's bunfig.toml cannot be read ({e})") from None
            if disabled:
                raise NotAdded("the project's bunfig.toml turns Bun's cache off ([install.cache] disable)")
            if folder is not None and not sources:
                sources = [(f"dir under [install.cache] in the project's bunfig.toml ({folder})", folder)]
        places = (
            ("BUN_INSTALL", "install/cache"),
            ("XDG_CACHE_HOME", ".bun/install/cache"),
            ("HOME", ".bun/install/cache"),
        )
        return Layout(sources, places, "/root/.bun/install/cache", "BUN_INSTALL_CACHE_DIR")
