"""DFX220: Composer installs without a cache mount it would use.

Composer's cache (downloaded archives, repository metadata, git mirrors) is a pure download
cache: what it installs goes to vendor/. Where the cache is depends on COMPOSER_CACHE_DIR, then
COMPOSER_HOME, then on whether Composer takes the XDG folders (any XDG_* variable, or /etc/xdg
in the image) and whether ~/.composer exists: where the first two do not say, the rule points
Composer at the mount inline, for that command only.
"""

from __future__ import annotations

import posixpath

from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.composer import COMPOSER
from dockerfix.ecosystems.packages import Call
from dockerfix.rules._common import RunUser, run_user
from dockerfix.rules._package_cache import NotAdded, Run
from dockerfix.rules.base import Example
from dockerfix.rules.python_cache import Location, PythonToolCache

_GLOBAL_INSTALLS = frozenset({"require", "update", "install", "upgrade", "u", "i"})


class ComposerCacheMount(PythonToolCache):
    """
    ## What it does
    Finds `RUN` instructions that install with Composer (`composer install`, `update`,
    `require`, `create-project`, `global require`) without a BuildKit cache mount on Composer's
    cache.

    ## Why is this bad?
    Composer downloads every package archive again when the layer is rebuilt. With its cache in a
    mount, a rebuild unpacks the archives from the cache instead.

    ## Example
    ```dockerfile
    FROM composer:2
    COPY composer.json composer.lock ./
    RUN composer install --no-dev --no-scripts --no-autoloader
    ```

    ## Use instead
    ```dockerfile
    FROM composer:2
    COPY composer.json composer.lock ./
    RUN --mount=type=cache,target=/tmp/cache,id=composer-composer-2 composer install --no-dev --no-scripts --no-autoloader
    ```

    ## The fix
    - mounts Composer's cache where the Dockerfile says it is: `COMPOSER_CACHE_DIR`, or
      `$COMPOSER_HOME/cache` (`/tmp/cache` in the composer image, which sets
      `COMPOSER_HOME=/tmp`);
    - elsewhere (composer copied into a `php` image), the cache folder depends on the image
      (`~/.composer/cache` or `~/.cache/composer`): the rule mounts `/root/.cache/composer` and
      sets `COMPOSER_CACHE_DIR` to it inline, for that command only;
    - for a non-root user with a known uid, mounts `/var/cache/composer-<uid>` with
      `uid=`/`gid=` and sets `COMPOSER_CACHE_DIR` inline;
    - drops `--no-cache`, `composer clear-cache` and `rm -rf` of the cache in that `RUN`.

    ## When it leaves the RUN alone
    `COMPOSER_CACHE_DIR=/dev/null` (the cache is off) or a cache folder through a variable whose
    value is not known; a non-root user whose uid is not known; ONBUILD, non-shell heredocs,
    Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+: the cache only holds downloads, and
    `vendor/` is never mounted. Only the cache's place changes, and only for the command.
    """

    code = "DFX220"
    name = "composer-cache-not-mounted"
    summary = "Composer installs without a cache mount it would use"
    grammar = COMPOSER
    tool = "composer"
    cache_var = "COMPOSER_CACHE_DIR"
    folder = "composer"
    cache_option = None
    installs = frozenset({"install", "i", "update", "u", "upgrade", "require", "create-project", "reinstall"})
    cleans = frozenset({"clear-cache", "clearcache", "cc"})
    no_cache_options = ("--no-cache",)

    VALID = (
        Example(
            """
            FROM composer:2
            RUN --mount=type=cache,target=/tmp/cache composer install --no-dev
            """
        ),
        Example(
            """
            FROM composer:2
            RUN composer --version && composer dump-autoload --optimize
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM composer:2
            RUN composer install --no-dev --no-cache
            """,
            """
            FROM composer:2
            RUN --mount=type=cache,target=/tmp/cache,id=composer-composer-2 composer install --no-dev
            """,
        ),
        Example(
            """
            FROM php:8.3-fpm
            COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
            RUN composer install --no-dev
            """,
            """
            FROM php:8.3-fpm
            COPY --from=composer:2 /usr/bin/composer /usr/bin/composer
            RUN --mount=type=cache,target=/root/.cache/composer,id=composer-php-8.3-fpm COMPOSER_CACHE_DIR=/root/.cache/composer composer install --no-dev
            """,
        ),
        Example(
            """
            FROM composer:2
            ENV COMPOSER_CACHE_DIR=/dev/null
            RUN composer install
            """,
            None,
            message="/dev/null",
        ),
    )

    def uses_cache(self, call: Call) -> bool:
        if call.subcommand == "global":
            return bool(call.operands) and call.operands[0].value in _GLOBAL_INSTALLS
        return call.subcommand in self.installs

    def _location(self, run: Run, call: Call) -> Location:
        env = run_env(run.state, call.invocation)
        user = run_user(run.state)
        if user.problem and not call.sudo:
            raise NotAdded(user.problem)
        if call.sudo:
            user = RunUser(True)
        for var, suffix in (("COMPOSER_CACHE_DIR", ""), ("COMPOSER_HOME", "cache")):
            if var in env:
                value = env[var]
                if value is None or not value.startswith("/"):
                    raise NotAdded(f"{var} is set to a value that is not a known absolute path")
                if value == "/dev/null":
                    raise NotAdded(f"{var}=/dev/null turns Composer's cache off")
                return Location(posixpath.normpath(posixpath.join(value, suffix)), [], user)
        # Composer picks ~/.composer/cache or the XDG cache folder by what the image holds
        root = "/root/.cache/composer" if user.root else f"/var/cache/composer-{user.uid}"
        return Location(root, [f"COMPOSER_CACHE_DIR={root}"], user)
