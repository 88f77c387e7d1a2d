"""The stub wheel through which pip installs a project's dependencies alone (DFX102)."""

from __future__ import annotations

import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from dockerfix.ecosystems import pip_stub


@pytest.mark.parametrize(
    ("tool", "python"),
    [
        ("python", "python"),
        ("python3.11", "python3.11"),
        ("/opt/venv/bin/python", "/opt/venv/bin/python"),
        ("pip", "python3"),
        ("pip3", "python3"),
        ("/usr/local/bin/pip3.12", "/usr/local/bin/python3"),
        ("$VENV/bin/pip", "$VENV/bin/python3"),
        ('"$VENV/bin/pip"', "python3"),
    ],
)
def test_the_stub_is_written_by_the_python_of_the_pip_invocation(tool: str, python: str) -> None:
    assert pip_stub.python_for(tool) == python


def test_the_command_is_one_shell_command_with_the_script_as_one_word() -> None:
    command = pip_stub.write_command("python3", ["flask==3.0.3", shlex.quote('tomli; python_version < "3.11"')])
    assert "'" not in pip_stub.SCRIPT
    assert shlex.split(command) == [
        "python3", "-c", pip_stub.SCRIPT, pip_stub.WHEEL, "flask==3.0.3", 'tomli; python_version < "3.11"',
    ]  # fmt: skip


def test_the_wheel_requires_exactly_the_dependencies(tmp_path: Path) -> None:
    wheel = tmp_path / "dockerfix_deps-0-py3-none-any.whl"
    requirements = "flask>=2 # the web part\n\n# a comment\n-r other.txt\nrequests @ https://example.org/r.whl#sha256=ab\n"
    subprocess.run(
        [sys.executable, "-c", pip_stub.SCRIPT, str(wheel), "gunicorn==22.0.0", 'tomli; python_version < "3.11"',
         requirements],
        check=True,
    )  # fmt: skip
    with zipfile.ZipFile(wheel) as z:
        assert sorted(z.namelist()) == [f"dockerfix_deps-0.dist-info/{n}" for n in ("METADATA", "RECORD", "WHEEL")]
        metadata = z.read("dockerfix_deps-0.dist-info/METADATA").decode()
        wheel_info = z.read("dockerfix_deps-0.dist-info/WHEEL").decode()
    assert metadata == (
        "Metadata-Version: 2.1\nName: dockerfix-deps\nVersion: 0\n"
        "Requires-Dist: gunicorn==22.0.0\n"
        'Requires-Dist: tomli; python_version < "3.11"\n'
        "Requires-Dist: flask>=2\n"
        "Requires-Dist: requests @ https://example.org/r.whl#sha256=ab\n"
    )
    assert "Tag: py3-none-any\n" in wheel_info
    assert wheel.name == Path(pip_stub.WHEEL).name


def test_pip_installs_the_stub_with_nothing_to_download(tmp_path: Path) -> None:
    """A stub without requirements installs and uninstalls cleanly: pip accepts the wheel as written."""
    wheel = tmp_path / Path(pip_stub.WHEEL).name
    subprocess.run([sys.executable, "-c", pip_stub.SCRIPT, str(wheel)], check=True)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--isolated"]
    subprocess.run([*pip, "install", "-q", "--no-index", "--target", str(target), str(wheel)], check=True)
    assert (target / "dockerfix_deps-0.dist-info" / "METADATA").is_file()
    assert (target / "dockerfix_deps-0.dist-info" / "REQUESTED").is_file()
