"""dotnet commands and what `dotnet restore` reads, as the split, DFX102 and DFX221 see them."""

from __future__ import annotations

import pytest

from dockerfix.document.effects import Paths
from dockerfix.document.shell import parse_shell
from dockerfix.document.state import State
from dockerfix.ecosystems.command_effects import command_effects
from dockerfix.ecosystems.dotnet import dotnet_call, dotnet_restore, restores
from dockerfix.ecosystems.project_install import ProjectInstall
from dockerfix.ecosystems.projects import project_install
from dockerfix.rules._dotnet_first import _words
from dockerfix.rules._split_reads import Skip
from dockerfix.settings import Settings
from helpers import fix_text


def _command(text: str):  # type: ignore[no-untyped-def]
    return parse_shell(text).commands[0]


def _glob(files: dict[str, str]):  # type: ignore[no-untyped-def]
    def glob(pattern: str) -> list[str]:
        folder = pattern.rsplit("/", 1)[0] if "/" in pattern else "."
        prefix = "" if folder == "." else folder + "/"
        return sorted(n for n in files if n.startswith(prefix) and "/" not in n[len(prefix) :])

    return glob


def _restore(text: str, files: dict[str, str]) -> ProjectInstall:
    found = dotnet_restore(_command(text), files.get, _glob(files))
    assert found is not None
    return found


def _copied(found: ProjectInstall, files: dict[str, str]) -> set[str]:
    """What the split would copy first: the files named, and the optional ones the context has."""
    return set(found.files) | {n for n in found.optional if n in files}


_WEB = '<Project Sdk="Microsoft.NET.Sdk.Web"><ItemGroup><ProjectReference Include="..\\Core\\Core.csproj" /></ItemGroup></Project>'
_CORE = '<Project Sdk="Microsoft.NET.Sdk"></Project>'
_SLN = (
    'Project("{2150E333-8FDC-42A3-9474-1A3956D46DE8}") = "src", "src", "{8E1A7C52-7A3B-4C8B-9F2E-1B3C5D7E9F01}"\r\n'
    'EndProject\r\n'
    'Project("{FAE04EC0-301F-11D3-BF4B-00C04F79EFBC}") = "Web", "src\\Web\\Web.csproj", "{3F2A1B4C-5D6E-4F70-8192-A3B4C5D6E7F8}"\r\n'
    'EndProject\r\n'
)


def test_options_are_read_in_every_spelling() -> None:
    call = dotnet_call(_command("dotnet publish App.csproj -c:Release --runtime=linux-x64 -p:A=1 /p:B=2 --property C=3 -o /app"))
    assert call is not None and call.verb == "publish" and call.project == "App.csproj"
    assert call.values("--configuration") == ["Release"] and call.values("--runtime") == ["linux-x64"]
    assert call.values("--property") == ["A=1", "B=2", "C=3"]
    assert call.values("--output") == ["/app"]


def test_one_letter_options_follow_the_verb() -> None:
    test = dotnet_call(_command("dotnet test -s test.runsettings"))
    locals_ = dotnet_call(_command("dotnet nuget locals all -c"))
    assert test is not None and test.values("--settings") == ["test.runsettings"] and not test.has("--source")
    assert locals_ is not None and locals_.verb == "nuget locals" and locals_.has("--clear")


@pytest.mark.parametrize(
    ("text", "restoring"),
    [("dotnet restore", True), ("dotnet build", True), ("dotnet publish -o /app", True), ("dotnet run --project x", True),
     ("dotnet publish --no-restore -o /app", False), ("dotnet test --no-build", False), ("dotnet test out/x.dll", False),
     ("dotnet app.dll", False), ("dotnet --info", False)],
)  # fmt: skip
def test_which_commands_restore(text: str, restoring: bool) -> None:
    call = dotnet_call(_command(text))
    assert call is not None and restores(call) is restoring


def test_restore_is_a_project_install_and_builds_are_not() -> None:
    found = project_install(_command("dotnet restore"), {}.get)
    assert found is not None and found.tool == "dotnet"
    assert project_install(_command("dotnet publish -o /app"), {}.get) is None


def test_the_single_project_of_the_folder_is_found() -> None:
    files = {"Api.csproj": _CORE, "Program.cs": "", "global.json": "{}", "packages.lock.json": "{}"}
    found = _restore("dotnet restore", files)
    assert found.problem is None
    assert _copied(found, files) == {"Api.csproj", "global.json", "packages.lock.json"}
    assert "obj" in found.environments


def test_a_named_project_is_read_as_the_folder_holds_it() -> None:
    found = _restore('dotnet restore "./Api.csproj"', {"Api.csproj": _CORE})
    assert found.files == ["Api.csproj"] and found.problem is None


def test_several_projects_in_the_folder_is_left_to_dotnet_s_error() -> None:
    found = _restore("dotnet restore", {"A.csproj": _CORE, "B.sln": _SLN})
    assert found.problem is not None and "several" in found.problem


def test_a_solution_brings_its_projects_their_references_and_the_files_up_the_folders() -> None:
    files = {
        "Shop.sln": _SLN, "src/Web/Web.csproj": _WEB, "src/Core/Core.csproj": _CORE,
        "Directory.Build.props": "<Project />", "src/Directory.Packages.props": "<Project />", "NuGet.Config": "<configuration />",
    }  # fmt: skip
    found = _restore("dotnet restore Shop.sln", files)
    assert found.problem is None
    assert _copied(found, files) == set(files)
    assert {"src/Web/obj", "src/Core/obj"} <= set(found.environments)


def test_a_slnx_solution_is_read_as_xml() -> None:
    files = {"All.slnx": '<Solution><Folder Name="/src/"><Project Path="src/Core/Core.csproj" /></Folder></Solution>',
             "src/Core/Core.csproj": _CORE}  # fmt: skip
    found = _restore("dotnet restore All.slnx", files)
    assert found.problem is None and "src/Core/Core.csproj" in found.files


def test_an_import_inside_the_copy_is_copied_and_followed() -> None:
    files = {"app/Api.csproj": '<Project><Import Project="..\\build\\common.props" /></Project>',
             "build/common.props": '<Project><ItemGroup><ProjectReference Include="../lib/Lib.csproj" /></ItemGroup></Project>',
             "lib/Lib.csproj": _CORE}  # fmt: skip
    found = _restore("dotnet restore app/Api.csproj", files)
    assert found.problem is None
    assert {"app/Api.csproj", "build/common.props", "lib/Lib.csproj"} <= set(found.files)


@pytest.mark.parametrize(
    ("project", "why"),
    [('<Project><Import Project="..\\..\\shared.props" /></Project>', "outside the copied folder"),
     ('<Project><Import Project="$(SharedDir)\\x.props" /></Project>', "not followed"),
     ('<Project><ItemGroup><ProjectReference Include="..\\libs\\*\\*.csproj" /></ItemGroup></Project>', "wildcard"),
     ("<Project><PropertyGroup>", "does not parse")],
)  # fmt: skip
def test_what_cannot_be_followed_is_a_problem(project: str, why: str) -> None:
    found = _restore("dotnet restore app/Api.csproj", {"app/Api.csproj": project})
    assert found.problem is not None and why in found.problem


def test_msbuild_s_own_imports_are_not_problems() -> None:
    text = '<Project><Import Project="$([MSBuild]::GetPathOfFileAbove(Directory.Build.props, $(MSBuildThisFileDirectory)..))" /></Project>'
    found = _restore("dotnet restore", {"Directory.Build.props": text, "A.csproj": _CORE})
    assert found.problem is None


def test_a_namespaced_project_is_read_too() -> None:
    ns = '<Project xmlns="http://schemas.microsoft.com/developer/msbuild/2003"><ItemGroup><ProjectReference Include="B\\B.csproj" /></ItemGroup></Project>'
    found = _restore("dotnet restore A.csproj", {"A.csproj": ns, "B/B.csproj": _CORE})
    assert "B/B.csproj" in found.files


def test_local_package_sources_are_copied_and_outside_ones_are_problems() -> None:
    config = '<configuration><packageSources><add key="local" value="./feed" /><add key="org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>'
    found = _restore("dotnet restore", {"A.csproj": _CORE, "nuget.config": config})
    assert found.dirs == ["feed"] and found.problem is None
    outside = config.replace("./feed", "../feed")
    assert "outside" in (_restore("dotnet restore", {"A.csproj": _CORE, "nuget.config": outside}).problem or "")
    assert _restore("dotnet restore -s ./pkgs --configfile ci/nuget.config", {"A.csproj": _CORE}).dirs == ["pkgs"]


def test_tool_restore_reads_the_tool_manifest() -> None:
    files = {".config/dotnet-tools.json": "{}"}
    found = _restore("dotnet tool restore", files)
    assert found.files == [".config/dotnet-tools.json"]


@pytest.mark.parametrize("text", ["dotnet restore", "dotnet restore api/Api.csproj"])
def test_restore_effects_write_the_nuget_folders_and_obj(text: str) -> None:
    effects = command_effects(_command(text), State(env={}, workdir="/src"), "/src", None)
    folder = "/src/api" if "api" in text else "/src"
    assert not effects.unknown
    assert effects.writes.meets(Paths.of("/root/.nuget/packages/x"))
    assert effects.writes.meets(Paths.of(f"{folder}/obj/project.assets.json"))
    assert not effects.writes.meets(Paths.of("/src/Program.cs"))


def test_dotnet_info_reads_no_project() -> None:
    effects = command_effects(_command("dotnet --info"), State(env={}, workdir="/src"), "/src", None)
    assert not effects.unknown and not effects.reads.meets(Paths.of("/src/a"))


@pytest.mark.parametrize(
    ("build", "restore"),
    [("dotnet publish -c Release -o /app", "dotnet restore -p:Configuration=Release"),
     ("dotnet publish src/A.csproj -r linux-x64 --sc -p:PublishReadyToRun=true -o /out",
      "dotnet restore src/A.csproj -r linux-x64 -p:SelfContained=true -p:PublishReadyToRun=true"),
     ("dotnet build --ucr -a arm64 --os linux -v q", "dotnet restore --ucr -a arm64 --os linux"),
     ("dotnet run --project api/Api.csproj --launch-profile x", "dotnet restore api/Api.csproj"),
     ("dotnet run -c Release -- --urls http://+:80", "dotnet restore -p:Configuration=Release"),
     ('dotnet build "./Web.csproj" -c ${BUILD_CONFIGURATION} -o /app/build',
      'dotnet restore "./Web.csproj" -p:Configuration=${BUILD_CONFIGURATION}')],
)  # fmt: skip
def test_the_restore_carries_what_decides_it(build: str, restore: str) -> None:
    call = dotnet_call(_command(build))
    assert call is not None and " ".join(_words(call)) == restore


@pytest.mark.parametrize(
    ("build", "why"),
    [("dotnet publish -f net8.0 -o /app", "takes no -f"), ("dotnet build --frobnicate", "not known"),
     ("dotnet run app.cs", "could name a file")],
)  # fmt: skip
def test_what_the_restore_cannot_carry_is_skipped(build: str, why: str) -> None:
    call = dotnet_call(_command(build))
    assert call is not None
    with pytest.raises(Skip, match=why):
        _words(call)


_BUILD = """FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /src
RUN dotnet restore
RUN {later}
FROM mcr.microsoft.com/dotnet/aspnet:8.0
COPY --from=build /src/out /app
"""


@pytest.mark.parametrize(
    ("later", "store"),
    [("dotnet publish -o out", True), ("dotnet tool install -g dotnet-ef", True),
     ("dotnet ef migrations bundle -o out/bundle", False), ("dotnet build --no-restore -o out", False),
     ("dotnet test --no-build", False)],
)  # fmt: skip
def test_the_store_is_mounted_only_where_every_run_could_download_again(later: str, store: bool) -> None:
    out, findings = fix_text(_BUILD.format(later=later), settings=Settings(select=("DFX221",)))
    restore = out.splitlines()[2]
    assert ("target=/root/.nuget/packages" in restore) is store
    assert "target=/root/.local/share/NuGet/v3-cache" in restore or store
    if not store:
        assert any("global packages folder" in f.message for f in findings)


def test_a_nuget_config_that_moves_the_packages_keeps_the_store() -> None:
    config = '<configuration><config><add key="globalPackagesFolder" value="/packages" /></config></configuration>'
    out, findings = fix_text(_BUILD.format(later="dotnet publish -o out"), {"nuget.config": config}, Settings(select=("DFX221",)))
    assert "/root/.nuget/packages" not in out
    assert any("nuget.config in the build context may move" in f.message for f in findings)


def test_the_cleanup_of_a_mounted_http_cache_is_dropped() -> None:
    text = "FROM mcr.microsoft.com/dotnet/sdk:8.0\nRUN dotnet restore && dotnet nuget locals http-cache --clear\n"
    out, _ = fix_text(text, settings=Settings(select=("DFX221",)))
    assert "locals" not in out and "v3-cache" in out
