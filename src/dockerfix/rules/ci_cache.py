"""DFX301 and DFX302: CI builds on GitHub-hosted runners that throw their caches away."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from dockerfix.rules.base import Example, Finding, RuleContext, WorkflowRule

if TYPE_CHECKING:
    from dockerfix.workflow.model import WorkflowDocument


_DOCKERFILE_MOUNTS = """\
    FROM python:3.12
    WORKDIR /app
    COPY requirements.txt .
    RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt
    COPY . .
"""
_DOCKERFILE_SPLIT = """\
    FROM python:3.12
    WORKDIR /app
    COPY requirements.txt .
    RUN pip install --no-cache-dir -r requirements.txt
    COPY . .
"""


class LayerCacheNotPersisted(WorkflowRule):
    """## What it does

    Finds a build in a GitHub Actions workflow (a `docker/build-push-action` step of any version,
    or `docker build` / `docker buildx build` in a `run:` step) that runs on a GitHub-hosted
    runner (`runs-on: ubuntu-*`, `windows-*`, `macos-*`) with no persistent layer cache: no
    `cache-from` / `cache-to` input (`--cache-from` / `--cache-to` on the command line), of any
    type (`gha`, `registry`, `s3`, `local` with a cache step...), and whose Dockerfile gains from
    the layer cache: it has a cache mount (`RUN --mount=type=cache`), or a stage runs an install
    after copying part of the build context and before copying all of it (the shape DFX101 and
    DFX102 write).

    Only the stages the build runs count, as BuildKit runs them: its `target` (`--target`), or
    else the last stage, and the stages that one is built `FROM`, copies from (`COPY --from`) or
    mounts from (`RUN --mount=from=`), through theirs. A target that names no stage is not
    reported (docker stops at once); for a target given by an expression, only the stages every
    target runs count.

    A self-hosted runner, a runner group, a label given by an expression or one that is not a
    GitHub-hosted one is left alone: such a builder may keep its cache between jobs. So is a
    build on a builder that does not live on the runner: a `docker/setup-buildx-action` step
    before it sets a `remote`, `cloud` or `kubernetes` driver, an `endpoint`, or a driver given
    by an expression. So is a build whose Dockerfile or context is an expression
    (`${{ ... }}`): which file it builds cannot be told. A build with `no-cache` wants no cache.
    A workflow outside the YAML subset dockerfix reads is left alone, with nothing reported.

    ## Why is this bad?

    A GitHub-hosted runner is a fresh machine for every job: its builder starts empty, so every
    run rebuilds every step, and splitting the copy or adding cache mounts saves nothing there.

    ## Example

    ```yaml
    - uses: docker/setup-buildx-action@v3
    - uses: docker/build-push-action@v6
      with:
        push: false
    ```

    Use instead:

    ```yaml
    - uses: docker/setup-buildx-action@v3
    - uses: docker/build-push-action@v6
      with:
        push: false
        cache-from: type=gha,scope=Dockerfile
        cache-to: type=gha,mode=max,scope=Dockerfile
    ```

    ## Fix safety

    Unsafe: the fix adds `cache-from: type=gha,scope=S` and `cache-to: type=gha,mode=max,scope=S`
    to a `docker/build-push-action` step (and `with:` where it has none), at the step's
    indentation, every other line kept. The layers then go to the repository's GitHub Actions
    cache, which changes where CI stores data (and uses its space). The scope `S` names the
    build, since builds that share a scope replace each other's cache: the Dockerfile's path from
    the repository root with `-` for every other character than a letter, a digit, `.` and `_`
    (`services/api/Dockerfile`: `services-api-Dockerfile`), then `-<target>` when the step sets
    one (`services-api-Dockerfile-dev`). `type=gha` needs a builder with the docker-container
    driver, so the fix is offered only after a `docker/setup-buildx-action` step (not set to
    `driver: docker`) in the same job; otherwise, for a `run:` step, for a target given by an
    expression (no scope can name the build), and where the step is not in plain block style (a
    flow mapping, `with:` from an anchor or a merge key), the build is reported without a fix.
    """

    code = "DFX301"
    name = "ci-layer-cache-not-persisted"
    summary = "a CI build on a GitHub-hosted runner keeps no layer cache between runs"
    VALID = (
        Example(
            """
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: docker/setup-buildx-action@v3
                  - uses: docker/build-push-action@v6
                    with:
                      cache-from: type=registry,ref=ghcr.io/acme/app:cache
                      cache-to: type=registry,ref=ghcr.io/acme/app:cache,mode=max
            """,
            files={"Dockerfile": _DOCKERFILE_SPLIT},
        ),
        Example(
            """
            jobs:
              build:
                runs-on: [self-hosted, linux]
                steps:
                  - uses: docker/build-push-action@v6
            """,
            files={"Dockerfile": _DOCKERFILE_SPLIT},
        ),
    )
    INVALID = (
        Example(
            """
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: docker/setup-buildx-action@v3
                  # build the image
                  - uses: docker/build-push-action@v6
                    with:
                      push: false  # only a check
            """,
            """
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: docker/setup-buildx-action@v3
                  # build the image
                  - uses: docker/build-push-action@v6
                    with:
                      push: false  # only a check
                      cache-from: type=gha,scope=Dockerfile
                      cache-to: type=gha,mode=max,scope=Dockerfile
            """,
            files={"Dockerfile": _DOCKERFILE_SPLIT},
            message="installs its dependencies before copying the whole context (line 4)",
        ),
        Example(
            """
            jobs:
              build:
                runs-on: ubuntu-24.04
                steps:
                  - run: docker build -t app .
            """,
            files={"Dockerfile": _DOCKERFILE_MOUNTS},
            message="`--cache-from type=gha,scope=Dockerfile --cache-to type=gha,mode=max,scope=Dockerfile`",
        ),
    )

    def check(self, doc: WorkflowDocument, ctx: RuleContext) -> Iterator[Finding]:
        from dockerfix.rules._ci import layer_cache_findings  # the workflow model, only for workflows

        yield from layer_cache_findings(self, doc)


class CacheMountsNotPersisted(WorkflowRule):
    """## What it does

    Finds a build in a GitHub Actions workflow (as DFX301 finds them: `docker/build-push-action`
    or `docker build` in a `run:` step, on a GitHub-hosted runner's own builder, its Dockerfile
    known) whose Dockerfile has cache mounts (`RUN --mount=type=cache`) in a stage the build
    runs (as DFX301 counts them, with its `target`), in a job with no step that saves and
    restores them: a step that uses `buildkit-cache-dance` (`reproducible-containers/
    buildkit-cache-dance`, or a fork of it under another owner), which injects the mounts'
    contents from an `actions/cache` folder into the builder and extracts them again.

    An `actions/cache` step alone does not count: the builder never sees its folder unless a
    step injects it, and dockerfix does not follow hand-written injection scripts. Where a job
    does that, silence the finding with `# dockerfix: ignore=DFX302` on the line above the step.

    ## Why is this bad?

    A cache mount lives in the builder, not in the image's layers, so the layer cache
    (`cache-to: type=gha` or a registry) does not keep its contents. On a fresh runner every
    install that runs again downloads everything again.

    ## Example

    ```yaml
    - uses: docker/build-push-action@v6
      with:
        cache-from: type=gha
        cache-to: type=gha,mode=max
    ```

    Use instead: `reproducible-containers/buildkit-cache-dance` before the build, with the
    mounts' targets and ids of the Dockerfile.

    ## Fix safety

    No fix: which mounts to keep, under which cache key, is the project's choice.
    """

    code = "DFX302"
    name = "ci-cache-mounts-not-persisted"
    summary = "a CI build on a GitHub-hosted runner throws its cache mounts away after each run"
    VALID = (
        Example(
            """
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: actions/cache@v4
                    with:
                      path: cache-mounts
                      key: mounts-${{ hashFiles('requirements.txt') }}
                  - uses: reproducible-containers/buildkit-cache-dance@v3
                    with:
                      cache-dir: cache-mounts
                  - uses: docker/build-push-action@v6
                    with:
                      cache-from: type=gha
                      cache-to: type=gha,mode=max
            """,
            files={"Dockerfile": _DOCKERFILE_MOUNTS},
        ),
    )
    INVALID = (
        Example(
            """
            jobs:
              build:
                runs-on: ubuntu-latest
                steps:
                  - uses: docker/build-push-action@v6
                    with:
                      cache-from: type=gha
                      cache-to: type=gha,mode=max
            """,
            files={"Dockerfile": _DOCKERFILE_MOUNTS},
            message="the layer cache does not keep them",
        ),
    )

    def check(self, doc: WorkflowDocument, ctx: RuleContext) -> Iterator[Finding]:
        from dockerfix.rules._ci import cache_mount_findings  # the workflow model, only for workflows

        yield from cache_mount_findings(self, doc)
