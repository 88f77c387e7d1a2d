"""`@frozen`: the value classes of dockerfix (documents, effects, findings, reports).

A `@frozen` class is a dataclass that type checkers treat as frozen: assigning to a field of
one is a type error, which `mypy --strict` reports in the test suite (tests/test_typing.py).
At run time it is a plain dataclass with a hash of its fields, as a frozen one has. Frozen at
run time as well would cost every start-up and every object: Python 3.11 compiles two more
methods for each class, and a frozen class's `__init__` sets each field through
`object.__setattr__`, a call per field on every instance (about a sixth of a short run's work).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, field
from typing import Any, TypeVar, dataclass_transform, overload

T = TypeVar("T")


@overload
def frozen(cls: type[T], /) -> type[T]: ...
@overload
def frozen(*, slots: bool = False, eq: bool = True) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field, Field))
def frozen(cls: type[T] | None = None, /, *, slots: bool = False, eq: bool = True) -> Any:
    """A dataclass, read-only for type checkers; with eq (the default), equal and hashed by its
    fields, unless the class writes its own __hash__."""

    def make(c: type[T]) -> type[T]:
        return dataclass(c, slots=slots, eq=eq, unsafe_hash=eq and not _writes_hash(c))

    return make if cls is None else make(cls)


def _writes_hash(cls: type) -> bool:
    # a class that writes __eq__ and not __hash__ gets __hash__ = None from Python, not from its author
    written = cls.__dict__.get("__hash__", None)
    return written is not None or ("__hash__" in cls.__dict__ and "__eq__" not in cls.__dict__)
