"""The Node, Go and cargo installs as the split and the effects model read them."""

from __future__ import annotations

import pytest

from dockerfix.document.shell import parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.command_effects import command_effects
from dockerfix.ecosystems.node import global_or_tool
from dockerfix.ecosystems.projects import project_install


def _command(text: str):  # type: ignore[no-untyped-def]
    return parse_shell(text).commands[0]


def _reader(files: dict[str, str]):  # type: ignore[no-untyped-def]
    return files.get


@pytest.mark.parametrize(
    ("text", "tool"),
    [("npm ci --omit=dev", "npm"), ("npm i", "npm"), ("yarn", "yarn"), ("yarn install --frozen-lockfile", "yarn"),
     ("pnpm fetch --prod", "pnpm"), ("pnpm i --frozen-lockfile", "pnpm"), ("bun install", "bun"),
     ("go mod download -x", "go"), ("cargo fetch --locked", "cargo")],
)  # fmt: skip
def test_installs_are_recognised(text: str, tool: str) -> None:
    found = project_install(_command(text), _reader({}))
    assert found is not None and found.tool == tool


@pytest.mark.parametrize("text", ["npm run build", "npm install -g pnpm", "yarn build", "go build ./...", "cargo build", "bun run x"])
def test_other_commands_are_not_installs(text: str) -> None:
    assert project_install(_command(text), _reader({})) is None


def test_global_installs_and_tool_commands_read_no_project() -> None:
    assert global_or_tool(_command("npm install -g pnpm@9"))
    assert global_or_tool(_command("npm cache clean --force"))
    assert global_or_tool(_command("yarn global add serve"))
    assert not global_or_tool(_command("npm install -g ."))
    assert not global_or_tool(_command("npm ci"))


def test_effects_of_tool_commands() -> None:
    state = State(workdir="/app")
    corepack = command_effects(_command("corepack enable"), state, "/app")
    assert corepack.unknown is None and corepack.reads.meets(corepack.writes) is not None
    assert command_effects(_command("corepack install"), state, "/app").reads.meets(
        command_effects(_command("cat /app/package.json"), state, "/app").reads
    ) is not None  # reads packageManager
    go = command_effects(_command("go install golang.org/x/tools/cmd/goimports@v0.20.0"), state, "/app")
    assert go.unknown is None
    unknown = command_effects(_command("npm config set fund false"), State(env={"npm_config_cache": None}), "/app")
    assert unknown.unknown is not None and "npm_config_cache" in unknown.unknown


def test_npm_install_with_a_lock_would_rewrite_it() -> None:
    found = project_install(_command("npm install"), _reader({"package.json": "{}", "package-lock.json": "{}"}))
    assert found is not None and found.problem is not None and "package-lock.json" in found.problem
    found = project_install(_command("npm install"), _reader({"package.json": "{}"}))
    assert found is not None and found.problem is None


def test_workspace_members_are_listed_through_the_glob() -> None:
    files = {"package.json": '{"workspaces": ["packages/*"]}', "packages/a/package.json": "{}"}
    found = project_install(_command("npm ci"), _reader(files), lambda pattern: ["packages/a/package.json"])
    assert found is not None and "packages/a/package.json" in found.files
    assert "packages/a/node_modules" in found.environments


def test_pnpm_workspace_yaml() -> None:
    files = {
        "package.json": "{}", "pnpm-lock.yaml": "", "apps/web/package.json": "{}",
        "pnpm-workspace.yaml": "packages:\n  - 'apps/*'\n  - libs/* # all\npatchedDependencies:\n  left-pad@1.3.0: patches/left-pad.patch\n",
    }  # fmt: skip
    patterns: list[str] = []
    found = project_install(_command("pnpm i --frozen-lockfile"), _reader(files), lambda p: patterns.append(p) or [])
    assert found is not None and found.problem is None and "patches/left-pad.patch" in found.files
    assert patterns == ["apps/*/package.json", "libs/*/package.json"]
    files["pnpm-workspace.yaml"] = "packages: [\n"
    found = project_install(_command("pnpm i --frozen-lockfile"), _reader(files))
    assert found is not None and found.problem is not None and "pnpm-workspace.yaml" in found.problem


def test_patched_dependencies_are_read_first() -> None:
    package = (
        '{"dependencies": {"a": "patch:a@npm%3A1.0.0#./patches/a.patch::version=1.0.0&hash=x",'
        ' "ts": "patch:typescript@npm%3A5#optional!builtin<compat/typescript>"},'
        ' "pnpm": {"patchedDependencies": {"b@1": "patches/b.patch"}}}'
    )
    found = project_install(_command("yarn install --immutable"), _reader({"package.json": package}))
    assert found is not None and found.problem is None
    assert {"patches/a.patch", "patches/b.patch"} <= set(found.files)
    outside = '{"patchedDependencies": {"c@1": "../c.patch"}}'
    found = project_install(_command("bun install --frozen-lockfile"), _reader({"package.json": outside}))
    assert found is not None and found.problem is not None and "../c.patch" in found.problem


def test_go_mod_blocks_and_sums() -> None:
    mod = "module m\n\ngo 1.21\n\nrequire (\n\tgithub.com/a/b v1.0.0\n)\nrequire github.com/c/d v0.2.0 // indirect\nreplace github.com/e/f => ./f\n"
    sums = "github.com/a/b v1.0.0/go.mod h1:x\ngithub.com/c/d v0.2.0/go.mod h1:y\n"
    found = project_install(_command("go mod download"), _reader({"go.mod": mod, "go.sum": sums}))
    assert found is not None and found.problem is None and "f/go.mod" in found.files
    found = project_install(_command("go mod download"), _reader({"go.mod": mod, "go.sum": sums.splitlines()[0]}))
    assert found is not None and found.problem is not None and "github.com/c/d v0.2.0" in found.problem
    found = project_install(_command("go mod download"), _reader({"go.mod": mod.replace("go 1.21", "go 1.16"), "go.sum": sums}))
    assert found is not None and found.problem is not None and "1.17" in found.problem


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [('[package]\nname="a"\n[[bin]]\nname="x"\npath="src/x.rs"\n', "declares its targets"),
     ('[package]\nname="a"\n[dependencies]\nb = { path = "../b" }\n', "outside the copied folder"),
     ('[package]\nname="a"\n[target.\'cfg(unix)\'.dependencies]\nb = { path = "b" }\n', "b/Cargo.toml is not in the copy"),
     ('[package]\nname="a"\nworkspace = "../root"\n', "names its workspace root")],
)  # fmt: skip
def test_cargo_manifests_that_are_not_followed(manifest: str, problem: str) -> None:
    found = project_install(_command("cargo fetch --locked"), _reader({"Cargo.toml": manifest, "Cargo.lock": "", "src/main.rs": ""}))
    assert found is not None and found.problem is not None and problem in found.problem


def test_cargo_needs_a_target_file() -> None:
    found = project_install(_command("cargo fetch --locked"), _reader({"Cargo.toml": '[package]\nname="a"\n', "Cargo.lock": ""}))
    assert found is not None and found.problem is not None and "src/main.rs" in found.problem


def test_cargo_workspace_members_and_path_dependencies() -> None:
    files = {
        "Cargo.toml": '[workspace]\nmembers = ["crates/*", "tools/gen"]\n', "Cargo.lock": "",
        "crates/api/Cargo.toml": '[package]\nname="api"\n[dependencies]\ncore = { path = "../../libs/core" }\n',
        "crates/api/src/main.rs": "", "tools/gen/Cargo.toml": '[package]\nname="gen"\n', "tools/gen/src/main.rs": "",
        "tools/gen/build.rs": "", "libs/core/Cargo.toml": '[package]\nname="core"\n', "libs/core/src/lib.rs": "",
    }
    found = project_install(_command("cargo fetch --locked"), _reader(files), lambda pattern: ["crates/api/Cargo.toml"])
    assert found is not None and found.problem is None, found and found.problem
    assert set(found.files) == {
        "Cargo.toml", "Cargo.lock", "crates/api/Cargo.toml", "crates/api/src/main.rs", "libs/core/Cargo.toml",
        "libs/core/src/lib.rs", "tools/gen/Cargo.toml", "tools/gen/src/main.rs", "tools/gen/build.rs",
    }


def test_sources_that_are_not_followed() -> None:
    cargo = {"Cargo.toml": '[package]\nname="a"\n[patch.crates-io]\nb = { path = "../b" }\n', "Cargo.lock": "", "src/main.rs": ""}
    found = project_install(_command("cargo fetch --locked"), _reader(cargo))
    assert found is not None and found.problem is not None and "../b" in found.problem
    vendored = {**cargo, "Cargo.toml": '[package]\nname="a"\n', ".cargo/config.toml": '[source.vendored]\ndirectory = "vendor"\n'}
    found = project_install(_command("cargo fetch --locked"), _reader(vendored))
    assert found is not None and found.problem is not None and ".cargo/config.toml" in found.problem
    work = {"go.mod": "module m\n", "go.work": "go 1.22\nuse ./svc\nreplace x => ../x\n", "svc/go.mod": "module s\n"}
    found = project_install(_command("go mod download"), _reader(work))
    assert found is not None and found.problem is not None and "go.work replaces x" in found.problem
    members = {"package.json": '{"workspaces": ["tools/*"]}', "tools/cli/package.json": '{"bin": {"cli": "bin/cli.js"}}'}
    found = project_install(_command("npm ci"), _reader(members), lambda pattern: ["tools/cli/package.json"])
    assert found is not None and found.problem is not None and "`bin` entries" in found.problem


def test_go_reads_its_one_dash_flags() -> None:
    from dockerfix.ecosystems.golang import loads_module

    for text in ("go mod download -modfile=alt.mod", "go mod download -modfile alt.mod", "go -C sub mod download"):
        found = project_install(_command(text), _reader({"go.mod": "module m\n\ngo 1.22\n"}))
        assert found is not None and found.problem is not None and "another go.mod" in found.problem, text
    assert loads_module(_command("go build -o /app ./cmd/app"))
    assert not loads_module(_command("go -C svc build ./..."))
    assert not loads_module(_command("go build -modfile=tools.mod ./..."))
