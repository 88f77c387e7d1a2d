"""`@frozen` (dockerfix.records): a dataclass equal and hashed by its fields, whose fields the
type checker refuses to assign."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest
from mypy import api

from helpers import ROOT

from dockerfix.records import frozen


@frozen
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = dataclasses.field(default=())


@frozen(slots=True)
class Slotted:
    name: str


@frozen(eq=False)
class Identity:
    value: int


@frozen
class OwnHash:
    key: str
    note: str

    def __hash__(self) -> int:
        return hash(self.key)


def test_equal_and_hashed_by_fields() -> None:
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert hash(Point(1, 2)) == hash(Point(1, 2))
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert dataclasses.replace(Point(1, 2), y=3) == Point(1, 3)
    assert repr(Point(1)) == "Point(x=1, y=0, tags=())"


def _twins(**options: bool) -> tuple[type, type]:
    """The same class made by @frozen and by a frozen dataclass."""

    def body() -> dict[str, object]:
        return {
            "__annotations__": {"a": "int", "b": "str", "hidden": "int", "ignored": "int"},
            "b": "x", "hidden": dataclasses.field(default=0, repr=False),
            "ignored": dataclasses.field(default=0, compare=False),
        }  # fmt: skip

    ours = frozen(**options)(type("Twin", (), body()))
    theirs = dataclasses.dataclass(frozen=True, **options)(type("Twin", (), body()))
    return ours, theirs


@pytest.mark.parametrize("options", [{}, {"slots": True}], ids=["plain", "slots"])
def test_like_a_frozen_dataclass(options: dict[str, bool]) -> None:
    ours, theirs = _twins(**options)
    for args in [(1,), (1, "y"), (1, "y", 2), (1, "y", 2, 3)]:
        mine, other = ours(*args), theirs(*args)
        assert repr(mine) == repr(other)
        assert hash(mine) == hash(other)
        assert dataclasses.astuple(mine) == dataclasses.astuple(other)
        assert [f.name for f in dataclasses.fields(mine)] == [f.name for f in dataclasses.fields(other)]
        for more in [(1,), (2,), (1, "y", 9), (1, "y", 2, 9)]:
            assert (mine == ours(*more)) == (other == theirs(*more))
    assert ours(1) != theirs(1) and ours(1).__eq__(theirs(1)) is NotImplemented


def test_options() -> None:
    assert not hasattr(Slotted("a"), "__dict__") and Slotted("a") == Slotted("a")
    assert Identity(1) != Identity(1)  # eq=False: compared by identity
    assert hash(OwnHash("k", "a")) == hash("k")  # a class's own __hash__ is kept
    assert pickle.loads(pickle.dumps(Slotted("a"))) == Slotted("a")  # crosses to the workers


def test_the_type_checker_refuses_an_assignment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from dockerfix.records import frozen\n\n\n@frozen\nclass A:\n    x: int\n\n\n"
        "@frozen(slots=True)\nclass B:\n    y: str\n\n\na = A(1)\na.x = 2\nB('b').y = 'c'\nA('not an int')\n"
    )
    monkeypatch.setenv("MYPYPATH", str(ROOT / "src"))
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(sample)])
    assert status == 1, out
    assert 'sample.py:15: error: Property "x" defined in "A" is read-only' in out
    assert 'sample.py:16: error: Property "y" defined in "B" is read-only' in out
    assert "sample.py:17: error: Argument 1 to \"A\" has incompatible type" in out


@pytest.mark.parametrize("path", sorted((ROOT / "src" / "dockerfix").rglob("*.py")), ids=lambda p: p.name)
def test_no_value_class_is_frozen_at_run_time(path: Path) -> None:
    """A frozen dataclass costs every start-up and every instance: the package uses @frozen."""
    assert "frozen=True" not in path.read_text(encoding="utf-8")
