"""DFX206-DFX209: uv, Poetry, pipenv and PDM install without a cache mount they would use.

The four share one shape: a per-user cache folder (a variable, `XDG_CACHE_HOME` or
`~/.cache/<tool>` decide where), flags or variables that turn it off, and commands that clean it.
Each rule says where its tool's cache is and what would make a mount there useless or harmful.
"""

from __future__ import annotations

import posixpath
import re
from typing import ClassVar

from dockerfix.document.state import State
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.packages import Call, Grammar
from dockerfix.records import frozen
from dockerfix.rules._common import RunUser, run_user
from dockerfix.rules._mounts import earlier
from dockerfix.rules._package_cache import CacheMount, NotAdded, PackageCacheRule, Plan, Run
from dockerfix.rules.base import Example

_FALSE = frozenset({"0", "false", "no", "off"})
_TRUE = frozenset({"1", "true", "yes", "on"})


def _grammar(name: str, value_options: str) -> Grammar:
    return Grammar(frozenset({name}), frozenset(value_options.split()), frozenset())


@frozen
class Location:
    root: str  # the tool's cache folder
    inline: list[str]  # VAR=value that points the tool there (a non-root user's mount)
    user: RunUser


class PythonToolCache(PackageCacheRule):
    """A Python package tool with a per-user cache folder."""

    cache_var: ClassVar[str]  # UV_CACHE_DIR
    folder: ClassVar[str]  # the folder under ~/.cache (or $XDG_CACHE_HOME)
    cache_option: ClassVar[str | None] = "--cache-dir"
    installs: ClassVar[frozenset[str]]
    cleans: ClassVar[frozenset[str]] = frozenset()  # `<tool> cache clean`: the words after the tool
    no_cache_options: ClassVar[tuple[str, ...]] = ("--no-cache",)
    disabling_env: ClassVar[tuple[str, ...]] = ()  # set to a true value: no cache
    disabling_env_any: ClassVar[tuple[str, ...]] = ()  # set to anything: no cache (pip's rule)
    sharing: ClassVar[str | None] = None

    def uses_cache(self, call: Call) -> bool:
        return call.subcommand in self.installs

    def cleaning(self, call: Call) -> bool:
        words = " ".join([call.subcommand, *(w.value for w in call.operands[:1])]).strip()
        return any(words.startswith(c) for c in self.cleans)

    def plan(self, run: Run) -> Plan | None:
        calls = [c for c in run.calls if self.uses_cache(c)]
        if not calls:
            return None
        locations = {self._location(run, c).root: self._location(run, c) for c in calls}
        if len(locations) > 1:
            raise NotAdded(f"the {self.tool} commands of this RUN use different cache folders")
        where = next(iter(locations.values()))
        self.check_more(run, calls, where)
        user = where.user
        plan = Plan(
            [
                CacheMount(t, self.tool if user.root else f"{self.tool}-{user.uid}", uid=None if user.root else user.uid,
                           gid=None if user.root else user.gid, sharing=self.sharing)
                for t in self.targets(run, where)
            ]
        )  # fmt: skip
        for call in calls:
            plan.removals += call.option_words(*self.no_cache_options)
            assignments = list(where.inline) + self.inline(run, call)
            if assignments:
                plan.prefixes.append((call, assignments))
        if plan.removals:
            plan.notes.append(f"drops {plan.removals[0].value}, which keeps {self.tool} from using the cache")
        for call in run.calls:
            if self.cleaning(call):
                plan.cleanups.append((call.invocation.command, where.root))
        return plan

    def targets(self, run: Run, where: Location) -> list[str]:
        return [where.root]

    def inline(self, run: Run, call: Call) -> list[str]:
        """Variables this call needs set to work with a mount (besides the cache folder)."""
        return []

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        """Raise NotAdded where a mount would not work for this tool."""

    def _location(self, run: Run, call: Call) -> Location:
        state = run.state
        env = run_env(state, call.invocation)
        for var in self.disabling_env:
            if var in env and (env[var] or "").lower() not in _FALSE:
                raise NotAdded(f"{var} turns {self.tool}'s cache off")
        for var in self.disabling_env_any:
            if var in env:
                raise NotAdded(f"{var} turns {self.tool}'s cache off, whatever its value")
        user = run_user(state)
        if user.problem and not call.sudo:
            raise NotAdded(user.problem)
        if call.sudo:
            user = RunUser(True)
        given = call.values(self.cache_option) if self.cache_option else []
        if given:
            path = State(env=env, workdir=state.workdir).resolve(given[-1])
            if path is None or not given[-1].lstrip().startswith(("/", "$")):
                raise NotAdded(f"{self.cache_option} {given[-1]} is not an absolute path the Dockerfile defines")
            return Location(path, [], user)
        for var, suffix in ((self.cache_var, ""), ("XDG_CACHE_HOME", self.folder), ("HOME", ".cache/" + self.folder)):
            if var in env:
                value = env[var]
                if value is None or not value.startswith("/"):
                    raise NotAdded(f"{var} is set to a value that is not a known absolute path")
                return Location(posixpath.normpath(posixpath.join(value, suffix)), [], user)
        if user.root:
            return Location(f"/root/.cache/{self.folder}", [], user)
        # outside the home: older BuildKit leaves a root-owned folder at a mount point
        root = f"/var/cache/{self.folder}-{user.uid}"
        return Location(root, [f"{self.cache_var}={root}"], user)


def _configured(run: Run, pattern: str) -> bool:
    """Whether this RUN or an earlier one of the stage runs a command matching ``pattern``
    (a `poetry config ...` or `pdm config ...`)."""
    texts = [i.command_text for i in earlier(run.doc, run.inst) if i.kind == "RUN"] + [run.inst.command_text]
    return any(re.search(pattern, t) for t in texts)


class UvCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with uv (`uv sync`, `uv pip install`, `uv lock`,
    `uv add`, `uv tool install`) without a BuildKit cache mount on uv's cache.

    ## Why is this bad?
    uv downloads and unpacks every package again when the layer is rebuilt. With its cache in a
    mount, a rebuild links or copies packages from the cache instead.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN uv sync --locked --no-cache
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN --mount=type=cache,target=/root/.cache/uv,id=uv-python-3.12-slim UV_LINK_MODE=copy uv sync --locked
    ```

    ## The fix
    - mounts uv's cache (`--cache-dir`, `UV_CACHE_DIR`, `$XDG_CACHE_HOME/uv` or `~/.cache/uv`),
      with an id made of the base image;
    - drops `--no-cache` (`-n`);
    - runs uv with `UV_LINK_MODE=copy` inline where no link mode is set: the cache and the
      environment are then on different file systems, where uv cannot hard-link and warns;
      the installed files are the same;
    - for a non-root user with a known uid, mounts `/var/cache/uv-<uid>` with `uid=`/`gid=` and
      sets `UV_CACHE_DIR` inline;
    - drops `uv cache clean` and `rm -rf` of the cache in that `RUN`.

    ## When it leaves the RUN alone
    `UV_NO_CACHE` set; a symlink link mode (`UV_LINK_MODE=symlink`, `--link-mode symlink`): the
    environment would point into the mount, which the image does not have; a non-root user
    whose uid is not known; a cache path through an unknown variable; ONBUILD, non-shell heredocs,
    Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. `UV_COMPILE_BYTECODE` is never touched.
    """

    code = "DFX206"
    name = "uv-cache-not-mounted"
    summary = "uv installs without a cache mount it would use"
    grammar = _grammar("uv", "--cache-dir --link-mode -p --python --directory --project --config-file "
                       "--index-url --extra-index-url -r --requirement -c --constraint --extra --group")  # fmt: skip
    tool = "uv"
    cache_var = "UV_CACHE_DIR"
    folder = "uv"
    installs = frozenset({"sync", "lock", "add", "pip", "tool"})
    cleans = frozenset({"cache clean", "cache prune"})
    no_cache_options = ("--no-cache", "-n")
    disabling_env = ("UV_NO_CACHE",)

    VALID = (
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/uv UV_LINK_MODE=copy uv sync --locked
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN uv --version && uv pip list
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            RUN uv pip install --system -r requirements.txt
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/uv,id=uv-python-3.12 UV_LINK_MODE=copy uv pip install --system -r requirements.txt
            """,
        ),
        Example(
            """
            FROM python:3.12
            ENV UV_LINK_MODE=symlink
            RUN uv sync
            """,
            None,
            message="symlink",
        ),
    )

    def uses_cache(self, call: Call) -> bool:
        if call.subcommand == "pip":
            return call.operands[:1] != () and call.operands[0].value in ("install", "sync", "compile")
        if call.subcommand == "tool":
            return call.operands[:1] != () and call.operands[0].value == "install"
        return call.subcommand in ("sync", "lock", "add")

    def inline(self, run: Run, call: Call) -> list[str]:
        env = run_env(run.state, call.invocation)
        mode = (call.values("--link-mode") or [env.get("UV_LINK_MODE") or ""])[-1]
        return [] if mode else ["UV_LINK_MODE=copy"]

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        for call in calls:
            env = run_env(run.state, call.invocation)
            if "UV_LINK_MODE" in env and env["UV_LINK_MODE"] is None:
                raise NotAdded("UV_LINK_MODE is set to a value that is not known")
            mode = (call.values("--link-mode") or [env.get("UV_LINK_MODE") or ""])[-1]
            if mode == "symlink":
                raise NotAdded("uv links packages as symlinks into its cache, which the image would not have")


class PoetryCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that run `poetry install` (or `sync`, `add`, `update`, `lock`)
    without a BuildKit cache mount on Poetry's download caches.

    ## Why is this bad?
    Poetry downloads every distribution again when the layer is rebuilt. A mount keeps its
    caches between builds.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    ENV POETRY_VIRTUALENVS_CREATE=false
    RUN poetry install --no-root && rm -rf /root/.cache/pypoetry
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    ENV POETRY_VIRTUALENVS_CREATE=false
    RUN --mount=type=cache,target=/root/.cache/pypoetry,sharing=locked,id=poetry-python-3.12-slim poetry install --no-root
    ```

    ## The fix
    - Poetry keeps its virtualenvs in its cache folder (`{cache-dir}/virtualenvs`) unless told
      otherwise. So by default only `cache/` and `artifacts/` under the cache folder are mounted,
      and the virtualenv stays in the image. When the Dockerfile turns virtualenvs off or puts
      them in the project (`POETRY_VIRTUALENVS_CREATE=false`, `POETRY_VIRTUALENVS_IN_PROJECT=true`,
      `poetry config virtualenvs.create false`, or a `POETRY_VIRTUALENVS_PATH` elsewhere), the
      whole cache folder is mounted;
    - follows `POETRY_CACHE_DIR`, `XDG_CACHE_HOME` and `HOME`; uses `sharing=locked`;
    - drops `--no-cache`, `poetry cache clear` and `rm -rf` of the mounted folders in that `RUN`.

    ## When it leaves the RUN alone
    A non-root user (Poetry's virtualenvs and caches live under the home, and a mount owned by
    another user would break them); an `rm` of the cache folder while only its parts can be
    mounted; a cache path through an unknown variable; ONBUILD, non-shell heredocs, Windows images and
    non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+: the virtualenv never lands in the mount.
    """

    code = "DFX207"
    name = "poetry-cache-not-mounted"
    summary = "Poetry installs without a cache mount it would use"
    grammar = _grammar("poetry", "-C --directory -P --project --only --with --without -E --extras --source")
    tool = "poetry"
    cache_var = "POETRY_CACHE_DIR"
    folder = "pypoetry"
    cache_option = None
    installs = frozenset({"install", "sync", "add", "update", "lock"})
    cleans = frozenset({"cache clear"})
    sharing = "locked"

    VALID = (
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pypoetry/cache --mount=type=cache,target=/root/.cache/pypoetry/artifacts poetry install
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN poetry --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            RUN poetry install --no-root
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pypoetry/cache,sharing=locked,id=poetry-python-3.12 --mount=type=cache,target=/root/.cache/pypoetry/artifacts,sharing=locked,id=poetry-python-3.12 poetry install --no-root
            """,
        ),
        Example(
            """
            FROM python:3.12
            USER 1000
            RUN poetry install
            """,
            None,
            message="non-root",
        ),
    )

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        if not where.user.root:
            raise NotAdded("Poetry runs as a non-root user, whose virtualenvs live beside its caches")

    def targets(self, run: Run, where: Location) -> list[str]:
        if self._venv_elsewhere(run, where.root):
            return [where.root]
        return [posixpath.join(where.root, "cache"), posixpath.join(where.root, "artifacts")]

    def _venv_elsewhere(self, run: Run, root: str) -> bool:
        env = run.state.env
        if (env.get("POETRY_VIRTUALENVS_CREATE") or "").lower() in _FALSE and "POETRY_VIRTUALENVS_CREATE" in env:
            return True
        if (env.get("POETRY_VIRTUALENVS_IN_PROJECT") or "").lower() in _TRUE:
            return True
        path = env.get("POETRY_VIRTUALENVS_PATH")
        if path and path.startswith("/") and not (path == root or path.startswith(root.rstrip("/") + "/")):
            return True
        return _configured(run, r"poetry\s+config\s+(virtualenvs\.create\s+(false|0)|virtualenvs\.in-project\s+(true|1))")


class PipenvCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that run `pipenv install` (or `sync`, `update`, `lock`) without a
    BuildKit cache mount on pipenv's cache, which pipenv also hands to pip.

    ## Why is this bad?
    pipenv downloads every package again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN pipenv install --system --deploy
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN --mount=type=cache,target=/root/.cache/pipenv,id=pipenv-python-3.12-slim pipenv install --system --deploy
    ```

    ## The fix
    Mounts pipenv's cache (`PIPENV_CACHE_DIR`, `$XDG_CACHE_HOME/pipenv` or `~/.cache/pipenv`;
    `/var/cache/pipenv-<uid>` with `uid=`/`gid=` and `PIPENV_CACHE_DIR` set inline for a non-root
    user with a known uid) and drops `rm -rf` of it in that `RUN`. The virtualenvs pipenv creates
    live in `~/.local/share/virtualenvs` or the project, never in the mount.

    ## When it leaves the RUN alone
    `PIP_NO_CACHE_DIR` set (pipenv's pip then caches nothing); a non-root user whose uid is not
    known; a cache path through an unknown variable; ONBUILD, non-shell heredocs, Windows images and
    non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+.
    """

    code = "DFX208"
    name = "pipenv-cache-not-mounted"
    summary = "pipenv installs without a cache mount it would use"
    grammar = _grammar("pipenv", "--python")
    tool = "pipenv"
    cache_var = "PIPENV_CACHE_DIR"
    folder = "pipenv"
    cache_option = None
    installs = frozenset({"install", "sync", "update", "lock"})
    no_cache_options = ()
    disabling_env_any = ("PIP_NO_CACHE_DIR",)

    VALID = (
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pipenv pipenv sync --system
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN pipenv --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            RUN pipenv install --system --deploy
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pipenv,id=pipenv-python-3.12 pipenv install --system --deploy
            """,
        ),
        Example(
            """
            FROM python:3.12
            ENV PIP_NO_CACHE_DIR=1
            RUN pipenv install --system
            """,
            None,
            message="PIP_NO_CACHE_DIR",
        ),
    )


class PdmCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that run `pdm install` (or `sync`, `add`, `update`, `lock`) without
    a BuildKit cache mount on PDM's cache.

    ## Why is this bad?
    PDM downloads every package again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM python:3.12-slim
    RUN pdm install --prod --no-self
    ```

    ## Use instead
    ```dockerfile
    FROM python:3.12-slim
    RUN --mount=type=cache,target=/root/.cache/pdm,id=pdm-python-3.12-slim pdm install --prod --no-self
    ```

    ## The fix
    Mounts PDM's cache (`PDM_CACHE_DIR`, `$XDG_CACHE_HOME/pdm` or `~/.cache/pdm`;
    `/var/cache/pdm-<uid>` with `uid=`/`gid=` and `PDM_CACHE_DIR` set inline for a non-root user
    with a known uid) and drops `pdm cache clear` and `rm -rf` of it in that `RUN`.

    ## When it leaves the RUN alone
    PDM's `install.cache` turned on (`pdm config install.cache on`, `PDM_INSTALL_CACHE`): the
    environment then links into the cache, which the image would not have; a non-root user whose
    uid is not known; a cache path through an unknown variable; ONBUILD, non-shell heredocs, Windows
    images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+.
    """

    code = "DFX209"
    name = "pdm-cache-not-mounted"
    summary = "PDM installs without a cache mount it would use"
    grammar = _grammar("pdm", "-p --project -G --group -L --lockfile")
    tool = "pdm"
    cache_var = "PDM_CACHE_DIR"
    folder = "pdm"
    cache_option = None
    installs = frozenset({"install", "sync", "add", "update", "lock"})
    cleans = frozenset({"cache clear"})
    no_cache_options = ()

    VALID = (
        Example(
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pdm pdm sync --prod
            """
        ),
        Example(
            """
            FROM python:3.12
            RUN pdm --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM python:3.12
            RUN pdm install --prod --no-self
            """,
            """
            FROM python:3.12
            RUN --mount=type=cache,target=/root/.cache/pdm,id=pdm-python-3.12 pdm install --prod --no-self
            """,
        ),
        Example(
            """
            FROM python:3.12
            RUN pdm config install.cache on && pdm install
            """,
            None,
            message="install.cache",
        ),
    )

    def check_more(self, run: Run, calls: list[Call], where: Location) -> None:
        value = (run.state.env.get("PDM_INSTALL_CACHE") or "").lower()
        if value in _TRUE or _configured(run, r"pdm\s+config\s+(-\S+\s+)*install\.cache\s+(on|true|1)"):
            raise NotAdded("PDM's install.cache links the environment into its cache, which the image would not have")




class CondaCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that create or update conda environments (`conda env create`,
    `conda install`, `mamba`, `micromamba`) without a BuildKit cache mount on the package
    cache (`pkgs`).

    ## Why is this bad?
    conda downloads and extracts every package again when the layer is rebuilt, often hundreds of
    megabytes. `conda clean -afy` in the same `RUN` keeps them out of the image, but also out of
    any cache.

    ## Example
    ```dockerfile
    FROM continuumio/miniconda3
    RUN conda env create -f environment.yml && conda clean -afy
    ```

    ## Use instead
    ```dockerfile
    FROM continuumio/miniconda3
    RUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked,id=conda-continuumio-miniconda3 conda env create -f environment.yml
    ```

    ## The fix
    - mounts the package cache: the first folder of `CONDA_PKGS_DIRS`, else `pkgs` under
      `MAMBA_ROOT_PREFIX` or `CONDA_DIR` (set in the Dockerfile or by the base image), else
      `pkgs` under the conda prefix of a known base image (`/opt/conda` on the official
      miniconda, anaconda, miniforge, micromamba and Jupyter images; `dockerfix explain` shows
      it); never the environments (`envs`), which must stay in the image. Environments are
      linked from `pkgs` by hard links where they can be and copied across file systems, so the
      mount only changes how files get there;
    - runs as the user the `RUN` runs as, the base image's own included: on the micromamba image
      (`mambauser`, uid 57439) and the Jupyter images (`jovyan`, uid 1000, gid 100) it mounts
      with that `uid`/`gid` unless the Dockerfile switches user;
    - uses `sharing=locked` (conda locks its package cache) and an id made of the base image;
    - drops `conda clean` (`mamba`/`micromamba clean`) and `rm -rf` of the package cache in that
      `RUN`: with the mount, what they removed never reaches the image.

    ## When it leaves the RUN alone
    An installation whose prefix the Dockerfile does not show (conda installed by the Dockerfile
    into a folder no variable names, an unknown base image); soft links into the package cache
    (`CONDA_ALWAYS_SOFTLINK`, `conda config --set always_softlink true`): the environment would
    point into the mount, which the image does not have; a non-root user whose uid is not known;
    ONBUILD, non-shell heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The base image's own `pkgs` folder is taken
    to be empty, as the official images leave it; if it is not, dropping `conda clean` keeps those
    packages in the image (`dockerfix verify` shows it).
    """

    code = "DFX210"
    name = "conda-cache-not-mounted"
    summary = "conda, mamba or micromamba installs without a cache mount on the package cache"
    grammar = Grammar(frozenset({"conda", "mamba", "micromamba"}),
                      frozenset("-f --file -n --name -p --prefix -c --channel".split()), frozenset("fnpc"))  # fmt: skip
    tool = "conda"
    cache_var = "CONDA_PKGS_DIRS"
    folder = "conda"
    cache_option = None
    installs = frozenset({"install", "create", "update", "env"})
    cleans = frozenset({"clean"})
    no_cache_options = ()
    sharing = "locked"

    VALID = (
        Example(
            """
            FROM continuumio/miniconda3
            RUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked conda install -y numpy
            """
        ),
        Example(
            """
            FROM continuumio/miniconda3
            RUN conda info
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM continuumio/miniconda3
            RUN conda install -y numpy && conda clean -afy
            """,
            """
            FROM continuumio/miniconda3
            RUN --mount=type=cache,target=/opt/conda/pkgs,sharing=locked,id=conda-continuumio-miniconda3 conda install -y numpy
            """,
        ),
        Example(
            """
            FROM registry.example.com/base:1
            RUN conda install -y numpy
            """,
            None,
            message="prefix",
        ),
    )

    def uses_cache(self, call: Call) -> bool:
        if call.subcommand == "env":
            return call.operands[:1] != () and call.operands[0].value in ("create", "update")
        return call.subcommand in ("install", "create", "update")

    def cleaning(self, call: Call) -> bool:
        return call.subcommand == "clean"

    def _location(self, run: Run, call: Call) -> Location:
        env = run_env(run.state, call.invocation)
        user = run_user(run.state)
        if user.problem and not call.sudo:
            raise NotAdded(user.problem)
        if (env.get("CONDA_ALWAYS_SOFTLINK") or "").lower() in _TRUE or _configured(
            run, r"(conda|mamba|micromamba)\s+config\s+.*(always_softlink|allow_softlinks)\s+(true|yes|1)"
        ):
            raise NotAdded("conda links environments to its package cache with soft links, which the image would not have")
        if "CONDA_PKGS_DIRS" in env:
            value = env["CONDA_PKGS_DIRS"]
            first = value.split(",")[0].strip() if value else ""
            if not first.startswith("/"):
                raise NotAdded("CONDA_PKGS_DIRS is set to a value that is not a known absolute path")
            return Location(posixpath.normpath(first), [], user)
        for var in ("MAMBA_ROOT_PREFIX", "CONDA_DIR"):
            if var in env:
                value = env[var]
                if value is None or not value.startswith("/"):
                    raise NotAdded(f"{var} is set to a value that is not a known absolute path")
                return Location(posixpath.join(posixpath.normpath(value), "pkgs"), [], user)
        facts = run.state.image
        if facts is not None and facts.conda_prefix:
            return Location(posixpath.join(facts.conda_prefix, "pkgs"), [], user)
        raise NotAdded(
            f"the prefix of the conda installation is not known (set CONDA_PKGS_DIRS or CONDA_DIR; "
            f"{run.state.image_name} is not one whose conda is known)"
        )
