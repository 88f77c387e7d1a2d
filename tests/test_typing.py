"""src/ type-checks under mypy --strict (configured in pyproject.toml)."""

from __future__ import annotations

from mypy import api

from helpers import ROOT


def test_mypy_strict() -> None:
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), str(ROOT / "src")])
    assert status == 0, out + err
