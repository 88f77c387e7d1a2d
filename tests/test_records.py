"""Records (dockerfix.records): made from annotated fields as dataclasses are, equal, hashed
and shown like them, and read-only for the type checker when `@frozen`."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path
from typing import Any, ClassVar

import pytest
from mypy import api

from helpers import ROOT

from dockerfix.records import asdict, cached_property, field, fields, frozen, record, replace


@frozen
class Point:
    x: int
    y: int = 0
    tags: tuple[str, ...] = field(default=())
    origin: ClassVar[str] = "zero"  # not a field


@frozen(slots=True)
class Slotted:
    name: str


@frozen(slots=True)
class SlottedChild(Slotted):
    size: int = 1


@frozen(eq=False)
class Identity:
    value: int


@frozen
class OwnHash:
    key: str
    note: str

    def __hash__(self) -> int:
        return hash(self.key)


@frozen
class Cached:
    text: str
    _seen: dict[str, int] = field(default_factory=dict, init=False, compare=False, repr=False)


@record
class Tally:
    items: list[str] = field(default_factory=list)
    count: int = 0


def _twins(decorator: Any, twin: Any) -> tuple[type, type]:
    """The same class made by a records decorator and by a dataclasses one."""

    def body() -> dict[str, object]:
        return {
            "__annotations__": {"a": "int", "b": "str", "hidden": "int", "ignored": "int", "later": "tuple[int, ...]"},
            "b": "x", "hidden": field(default=0, repr=False), "ignored": field(default=0, compare=False),
            "later": field(default_factory=tuple),
        }  # fmt: skip

    def dc_body() -> dict[str, object]:
        out = body()
        out.update(
            hidden=dataclasses.field(default=0, repr=False), ignored=dataclasses.field(default=0, compare=False),
            later=dataclasses.field(default_factory=tuple),
        )  # fmt: skip
        return out

    return decorator(type("Twin", (), body())), twin(type("Twin", (), dc_body()))


TWINS = {
    "frozen": (frozen, dataclasses.dataclass(frozen=True)),
    "frozen-slots": (frozen(slots=True), dataclasses.dataclass(frozen=True, slots=True)),
    "record": (record, dataclasses.dataclass),
}


@pytest.mark.parametrize("kind", TWINS)
def test_like_a_dataclass(kind: str) -> None:
    ours, theirs = _twins(*TWINS[kind])
    assert [f.name for f in fields(ours)] == [f.name for f in dataclasses.fields(theirs)]
    assert ours.__match_args__ == theirs.__match_args__  # type: ignore[attr-defined]
    for args in [(1,), (1, "y"), (1, "y", 2), (1, "y", 2, 3), (1, "y", 2, 3, (4,))]:
        mine, other = ours(*args), theirs(*args)
        assert repr(mine) == repr(other)
        assert asdict(mine) == dataclasses.asdict(other)
        if kind == "record":
            assert ours.__hash__ is None and theirs.__hash__ is None  # mutable: not hashable
        else:
            assert hash(mine) == hash(other)
        for more in [(1,), (2,), (1, "y", 9), (1, "y", 2, 9)]:
            assert (mine == ours(*more)) == (other == theirs(*more))
    assert ours(1) != theirs(1) and ours(1).__eq__(theirs(1)) is NotImplemented
    with pytest.raises(TypeError):
        ours()  # a field without a default must be given
    with pytest.raises(TypeError):
        ours(1, nope=2)


def test_fields_defaults_and_replace() -> None:
    assert [f.name for f in fields(Point)] == ["x", "y", "tags"]  # a ClassVar is no field
    assert Point.origin == "zero" and Point.y == 0  # a default stays the class's attribute
    assert replace(Point(1, 2), y=3) == Point(1, 3)
    assert Point(1, 2) == Point(1, 2) and Point(1, 2) != Point(2, 1)
    assert len({Point(1), Point(1), Point(2)}) == 2
    assert repr(Point(1)) == "Point(x=1, y=0, tags=())"
    assert Tally().items is not Tally().items  # a factory's value is new for each instance
    assert asdict(Tally(["a"], 1)) == {"items": ["a"], "count": 1}


def test_a_field_init_does_not_take() -> None:
    one = Cached("a")
    assert one._seen == {} and one == Cached("a") and repr(one) == "Cached(text='a')"
    with pytest.raises(ValueError, match="init=False"):
        replace(one, _seen={})
    assert replace(one, text="b") == Cached("b")


def test_options() -> None:
    assert not hasattr(Slotted("a"), "__dict__") and Slotted("a") == Slotted("a")
    child = SlottedChild("a", 2)
    assert not hasattr(child, "__dict__") and [f.name for f in fields(child)] == ["name", "size"]
    assert SlottedChild.__slots__ == ("size",)  # type: ignore[attr-defined]  # the base holds name's slot
    assert Identity(1) != Identity(1)  # eq=False: compared by identity
    assert hash(OwnHash("k", "a")) == hash("k")  # a class's own __hash__ is kept
    for value in (Slotted("a"), child, Point(1, 2, ("t",)), Cached("c")):
        assert pickle.loads(pickle.dumps(value)) == value  # records cross to the workers


@frozen
class Derived:
    text: str
    calls: list[str] = field(default_factory=list, compare=False, repr=False)

    @cached_property
    def upper(self) -> str:
        """The text in capitals."""
        self.calls.append("upper")
        return self.text.upper()


def test_a_cached_property_is_computed_once_per_instance() -> None:
    one, two = Derived("a"), Derived("b")
    assert (one.upper, one.upper, two.upper) == ("A", "A", "B")
    assert one.calls == ["upper"] and two.calls == ["upper"]
    assert one.__dict__["upper"] == "A"  # kept in the instance, as functools' is
    assert isinstance(Derived.upper, cached_property) and Derived.upper.__doc__ == "The text in capitals."
    assert pickle.loads(pickle.dumps(one)).upper == "A"


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
        frozen(type("Bad", (), {"__annotations__": {"a": "int", "b": "int"}, "a": 0}))


def test_the_type_checker_refuses_an_assignment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from dockerfix.records import field, frozen, record, replace\n\n\n"
        "@frozen\nclass A:\n    x: int\n    y: list[int] = field(default_factory=list)\n\n\n"
        "@frozen(slots=True)\nclass B:\n    y: str\n\n\n"
        "@record\nclass C:\n    z: int = 0\n\n\n"
        "a = A(1)\na.x = 2\nB('b').y = 'c'\nA('not an int')\nc = C()\nc.z = 3\nreveal_type(replace(a, x=3))\n"
    )
    monkeypatch.setenv("MYPYPATH", str(ROOT / "src"))
    out, _, status = api.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "cache"), str(sample)])
    assert status == 1, out
    errors = [line.split(": ", 1)[1] for line in out.splitlines() if line.startswith(str(sample))]
    assert errors == [
        'error: Property "x" defined in "A" is read-only  [misc]',
        'error: Property "y" defined in "B" is read-only  [misc]',
        'error: Argument 1 to "A" has incompatible type "str"; expected "int"  [arg-type]',
        'note: Revealed type is "sample.A"',
    ], out


@pytest.mark.parametrize("path", sorted((ROOT / "src" / "dockerfix").rglob("*.py")), ids=lambda p: p.name)
def test_the_package_makes_its_records_with_records(path: Path) -> None:
    """dataclasses costs every start-up (it imports inspect) and every frozen instance."""
    text = path.read_text(encoding="utf-8")
    assert "from dataclasses import" not in text and "import dataclasses" not in text
