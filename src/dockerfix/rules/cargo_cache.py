"""DFX216: Cargo builds without cache mounts on its registry and git folders."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from dockerfix.document.model import Document
from dockerfix.ecosystems.commands import run_env
from dockerfix.ecosystems.packages import Call, Grammar, read_call
from dockerfix.rules._common import run_user
from dockerfix.rules._mounts import mentions_path
from dockerfix.rules._package_cache import NotAdded, Plan, Run
from dockerfix.rules._store_cache import Store, StoreCacheRule, located
from dockerfix.rules.base import Example, Finding, RuleContext

_USES = frozenset({"build", "b", "check", "c", "test", "t", "run", "r", "bench", "doc", "d", "clippy", "fetch",
                   "install", "update", "generate-lockfile", "tree", "metadata", "vendor", "package", "publish",
                   "rustc", "rustdoc", "fix", "add"})  # fmt: skip
_BUILDS = frozenset({"build", "b", "rustc"})  # leave their artefacts in target/
_TRUE = frozenset({"1", "true", "yes", "on"})
CARGO = Grammar(
    frozenset({"cargo"}),
    frozenset({"--manifest-path", "-p", "--package", "--target", "--target-dir", "-F", "--features", "-j", "--jobs",
               "--bin", "--example", "--test", "--bench", "--profile", "--config", "-Z", "--color",
               "--message-format", "--recipe-path", "--root", "--version", "--vers", "--git", "--branch", "--tag",
               "--rev", "--path", "--registry", "--index", "--exclude"}),
    frozenset("pFjZ"),
)  # fmt: skip


def subcommand(call: Call) -> str:
    """The subcommand, after a `+toolchain`."""
    if call.subcommand.startswith("+"):
        return call.operands[0].value if call.operands else ""
    return call.subcommand


class CargoCacheMount(StoreCacheRule):
    """
    ## What it does
    Finds `RUN` instructions that run `cargo build` (or `fetch`, `test`, `run`, `install`,
    `check`, `doc`, `clippy`, ...) without BuildKit cache mounts on Cargo's registry and git
    folders (`$CARGO_HOME/registry`, `$CARGO_HOME/git`).

    ## Why is this bad?
    Cargo downloads the crate index and every crate again when the layer is rebuilt.

    ## Example
    ```dockerfile
    FROM rust:1.80
    WORKDIR /app
    COPY . .
    RUN cargo build --release && cp target/release/app /usr/local/bin/app
    ```

    ## Use instead
    ```dockerfile
    FROM rust:1.80
    WORKDIR /app
    COPY . .
    RUN --mount=type=cache,target=/usr/local/cargo/registry,id=cargo-registry-rust-1.80 --mount=type=cache,target=/usr/local/cargo/git,id=cargo-git-rust-1.80 cargo build --release && cp target/release/app /usr/local/bin/app
    ```

    ## The fix
    Mounts `registry` and `git` under `CARGO_HOME` (`$HOME/.cargo` by default, `/usr/local/cargo`
    on the rust images). These are package-manager caches: they may leave the final image. But
    `registry/src` and `git/checkouts` hold the sources rustc reads, so a family of stages (a
    stage built from an image and the stages built `FROM` it) gets the mounts on all of its
    cargo `RUN`s, with the same targets and ids, or on none: a `RUN` whose layer BuildKit
    rebuilds then finds the sources or downloads them again. Mounts the family already has
    (Docker's `registry` and `git/db`) are repeated as they are written. `CARGO_HOME` itself, its
    `bin/` (where `cargo install` puts binaries, which stay in the image), `RUSTUP_HOME` and
    `target/` are never mounted.

    ## When it leaves the RUN alone
    A cargo `RUN` of the family that could not download again (`--offline`, `--frozen`,
    `CARGO_NET_OFFLINE`, `--config net.offline=true`, `--network=none`, secret or ssh mounts that
    not all of them have); a later `COPY --from` or bind mount that reads the registry (or a
    folder above it) out of the family; a `RUN` that builds with a cache mount on `target/` and
    copies nothing out of it (what it built is not in the image: it is reported, without a fix);
    a non-root user; a Dockerfile that uses cargo-chef (`cargo chef cook`), whose cooked layer is
    the dependency cache: one finding, at its first `cargo chef`, and no edit; ONBUILD, non-shell
    heredocs, Windows images and non-POSIX shells.

    ## Fix safety
    Safe for BuildKit builds and Podman/Buildah 4.0+. The final image no longer holds the
    registry and git folders under `CARGO_HOME`.
    """

    code = "DFX216"
    name = "cargo-cache-not-mounted"
    summary = "Cargo builds without cache mounts on its registry and git folders"
    grammar = CARGO
    tool = "cargo"
    store_name = "the registry"

    VALID = (
        Example(
            """
            FROM rust:1.80
            RUN --mount=type=cache,target=/usr/local/cargo/registry --mount=type=cache,target=/usr/local/cargo/git/db cargo build --release
            """
        ),
        Example(
            """
            FROM rust:1.80
            RUN cargo --version && rustc --version
            """
        ),
    )
    INVALID = (
        Example(
            """
            FROM rust:1.80
            RUN cargo build --release
            """,
            """
            FROM rust:1.80
            RUN --mount=type=cache,target=/usr/local/cargo/registry,id=cargo-registry-rust-1.80 --mount=type=cache,target=/usr/local/cargo/git,id=cargo-git-rust-1.80 cargo build --release
            """,
        ),
        Example(
            """
            FROM rust:1.80
            RUN cargo fetch
            RUN cargo build --release --offline
            """,
            None,
            message="--offline",
        ),
    )

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        for inst in doc.instructions:
            if inst.kind == "RUN" and not inst.script.opaque:
                for cmd in inst.script.commands:
                    call = read_call(cmd, self.grammar)
                    if call is not None and subcommand(call) == "chef":
                        yield self.finding(
                            inst.start,
                            "cargo-chef is used here: its cooked layer is the dependency cache, "
                            "and the cargo RUNs of this file are left as they are",
                        )
                        return
        yield from super().check(doc, ctx)

    def needs_store(self, run: Run) -> bool:
        return any(subcommand(c) in _USES for c in run.calls)

    def store_targets(self, run: Run) -> list[str]:
        homes = set()
        for call in run.calls:
            if subcommand(call) not in _USES:
                continue
            env = run_env(run.state, call.invocation)
            home = located(env, (("CARGO_HOME", ""), ("HOME", ".cargo")), "/root/.cargo")
            user = run_user(run.state)
            if not user.root and not call.sudo:
                raise NotAdded(user.problem or f"cargo runs as user {user.name}, not as root")
            homes.add(home)
        if len(homes) > 1:
            raise NotAdded("its cargo commands use different CARGO_HOME folders")
        home = homes.pop()
        return [posixpath.join(home, "registry"), posixpath.join(home, "git")]

    def store_problem(self, run: Run) -> str | None:
        for call in run.calls:
            env = run_env(run.state, call.invocation)
            line = run.inst.line_no
            if "CARGO_NET_OFFLINE" in env and env["CARGO_NET_OFFLINE"] is None:
                return f"line {line}: CARGO_NET_OFFLINE is set to a value that is not known"
            offline = [o for o in ("--offline", "--frozen") if call.has(o)]
            if (env.get("CARGO_NET_OFFLINE") or "").lower() in _TRUE:
                offline.append("CARGO_NET_OFFLINE")
            if any(v.replace(" ", "") in ("net.offline=true",) for v in call.values("--config")):
                offline.append("--config net.offline=true")
            if offline:
                return f"line {line} runs cargo with {offline[0]}, which could not download into an emptied cache"
        return None

    def _target_problem(self, run: Run) -> str | None:
        """A cache mount on target/ in a RUN that builds and copies nothing out of it."""
        if not any(subcommand(c) in _BUILDS for c in run.calls):
            return None
        for path, m in run.existing.items():
            if m.type != "cache" or posixpath.basename(path) != "target":
                continue
            relative = ("target/", "./target/")
            for cmd in run.script.commands:
                if read_call(cmd, self.grammar) is not None:
                    continue
                if any(mentions_path(w.value, path) or w.value.startswith(relative) for w in cmd.words):
                    return None
            later = next(
                (i for i in run.doc.instructions if i.index > run.inst.index and i.kind in ("RUN", "COPY")
                 and (mentions_path(i.args, path) or any(w.value.startswith(relative) for w in i.words))),
                None,
            )  # fmt: skip
            why = f"; line {later.line_no} looks for it there" if later is not None else ""
            return (
                f"the cache mount at {path} holds what cargo builds, which is then not in the image{why}: "
                f"copy the binaries out of {path} in this RUN"
            )
        return None

    def plan_with(self, run: Run, store: Store) -> Plan | None:
        if not self.needs_store(run):
            return None
        problem = self._target_problem(run)
        if problem:
            raise NotAdded(problem)
        if store.problem:
            raise NotAdded(f"no mount on {self.store_name}: {store.problem}")
        return Plan(list(store.mounts)) if store.mounts else None
