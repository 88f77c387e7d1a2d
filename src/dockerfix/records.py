"""`@frozen`: the value classes of dockerfix (documents, effects, findings, reports).

A `@frozen` class is a dataclass that type checkers treat as frozen: assigning to a field of
one is a type error, which `mypy --strict` reports in the test suite (tests/test_typing.py).
At run time it is equal, hashed and shown by its fields as a frozen dataclass is
(tests/test_records.py compares them), but made for a fraction of the cost, which every run
pays at start-up for each class it loads:
- it is not frozen at run time: a frozen class's `__init__` sets each field through
  `object.__setattr__`, a call per field on every instance, and needs two more methods;
- of its methods only `__init__` is compiled; `__eq__`, `__hash__` and `__repr__` are shared
  functions that read the class's fields (Python 3.11 compiles each generated method apart);
- a class without a docstring gets its name as one, where Python 3.11 would compute its
  signature for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field, fields
from operator import attrgetter
from typing import Any, TypeVar, cast, dataclass_transform, overload

T = TypeVar("T")


@overload
def frozen(cls: type[T], /) -> type[T]: ...
@overload
def frozen(*, slots: bool = False, eq: bool = True) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(cls: type[T] | None = None, /, *, slots: bool = False, eq: bool = True) -> Any:
    """A dataclass, read-only for type checkers; with eq (the default), equal and hashed by its
    fields, unless the class writes its own __eq__ or __hash__."""

    def make(c: type[T]) -> type[T]:
        explicit_hash = _writes_hash(c)
        if not c.__doc__:  # else Python 3.11 computes the class's signature to make one
            c.__doc__ = c.__name__
        made: Any = dataclass(c, slots=slots, repr=False, eq=False)  # compiles __init__ only
        own = made.__dict__
        if "__repr__" not in own:
            made.__repr__ = _repr
        if eq:
            made._values_ = staticmethod(_values(tuple(f.name for f in fields(made) if f.compare)))
            if "__eq__" not in own:
                made.__eq__ = _eq
            if not explicit_hash:
                made.__hash__ = _hash
        return cast(type[T], made)

    return make if cls is None else make(cls)


def _values(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The compared fields' values of an instance, as a tuple."""
    if len(names) > 1:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is self.__class__:
        values = self._values_
        return values(self) == values(other)
    return NotImplemented


def _hash(self: Any) -> int:
    return hash(self._values_(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)
    return f"{self.__class__.__qualname__}({shown})"


def _writes_hash(cls: type) -> bool:
    # a class that writes __eq__ and not __hash__ gets __hash__ = None from Python, not from its author
    written = cls.__dict__.get("__hash__", None)
    return written is not None or ("__hash__" in cls.__dict__ and "__eq__" not in cls.__dict__)
