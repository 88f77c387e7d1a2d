"""Records: the value classes of dockerfix (documents, effects, findings, reports).

`@frozen` and `@record` make a class from its annotated fields as `dataclasses.dataclass` does,
and type checkers read them as dataclasses (`typing.dataclass_transform`): `@frozen` as a
frozen one, so that assigning to a field is a type error, which `mypy --strict` reports in the
test suite (tests/test_typing.py); `@record` as a mutable one. `field`, `fields`, `replace` and
`asdict` work as the dataclasses functions of the same names (the only ones dockerfix uses).

At run time a record is equal, hashed (`@frozen`) and shown by its fields as a dataclass is
(tests/test_records.py compares them), but costs far less to make, which every run pays at
start-up for each class it loads:
- the dataclasses module is not imported, and with it `inspect`, `ast`, `dis` and `tokenize`;
- a `@frozen` record is not frozen at run time: a frozen dataclass's `__init__` sets each field
  through `object.__setattr__`, a call per field on every instance, and needs two more methods;
- only `__init__` is compiled for each class; `__eq__`, `__hash__` and `__repr__` are shared
  functions that read the class's fields (Python 3.11 compiles every generated method apart).
"""

from __future__ import annotations

from collections.abc import Callable
from operator import attrgetter
from typing import Any, ClassVar, Generic, TypeVar, cast, dataclass_transform, overload

T = TypeVar("T")

FIELDS = "__record_fields__"


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a record: its default or default factory, and whether `__init__` takes it,
    `repr` shows it and `==` (and the hash) compares it."""

    __slots__ = ("name", "default", "default_factory", "init", "repr", "compare")

    def __init__(self, default: Any, default_factory: Any, init: bool, repr: bool, compare: bool) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.init = init
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


@overload
def field(*, default: T, init: bool = True, repr: bool = True, compare: bool = True) -> T: ...
@overload
def field(*, default_factory: Callable[[], T], init: bool = True, repr: bool = True, compare: bool = True) -> T: ...
@overload
def field(*, init: bool = True, repr: bool = True, compare: bool = True) -> Any: ...
def field(
    *, default: Any = MISSING, default_factory: Any = MISSING, init: bool = True, repr: bool = True,
    compare: bool = True,
) -> Any:  # fmt: skip
    """A field's options, written as its default: `x: list[str] = field(default_factory=list)`."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot specify both default and default_factory")
    return Field(default, default_factory, init, repr, compare)


def fields(record: object) -> tuple[Field, ...]:
    """The fields of a record or record class, in order (a base class's first)."""
    found = getattr(record, FIELDS, None)
    if found is None:
        raise TypeError(f"{record!r} is not a record")
    return cast(tuple[Field, ...], found)


def replace(record: T, /, **changes: Any) -> T:
    """A new record with the fields of RECORD, and CHANGES."""
    for f in fields(record):
        if not f.init:
            if f.name in changes:
                raise ValueError(f"field {f.name} is declared with init=False, it cannot be specified with replace()")
        elif f.name not in changes:
            changes[f.name] = getattr(record, f.name)
    made: T = record.__class__(**changes)
    return made


def asdict(value: Any) -> Any:
    """A record as a dict of its fields, recursively (through lists, tuples and dicts)."""
    if hasattr(type(value), FIELDS):
        return {f.name: asdict(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(asdict(v) for v in value)
    if isinstance(value, dict):
        return type(value)((asdict(k), asdict(v)) for k, v in value.items())
    return value


@overload
def frozen(cls: type[T], /) -> type[T]: ...
@overload
def frozen(*, slots: bool = False, eq: bool = True) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def frozen(cls: type[T] | None = None, /, *, slots: bool = False, eq: bool = True) -> Any:
    """A record read-only for type checkers; with eq (the default), equal and hashed by its
    compared fields, unless the class writes its own `__eq__` or `__hash__`."""

    def make(c: type[T]) -> type[T]:
        return _make(c, slots=slots, eq=eq, hashed=eq)

    return make if cls is None else make(cls)


@overload
def record(cls: type[T], /) -> type[T]: ...
@overload
def record(*, slots: bool = False) -> Callable[[type[T]], type[T]]: ...
@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, /, *, slots: bool = False) -> Any:
    """A mutable record: equal by its compared fields and, as a mutable dataclass, not hashable
    unless the class writes its own `__hash__`."""

    def make(c: type[T]) -> type[T]:
        return _make(c, slots=slots, eq=True, hashed=False)

    return make if cls is None else make(cls)


def _make(cls: type[T], *, slots: bool, eq: bool, hashed: bool) -> type[T]:
    own = dict(cls.__dict__)
    writes_hash = own.get("__hash__") is not None or ("__hash__" in own and "__eq__" not in own)
    by_name: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        for f in base.__dict__.get(FIELDS, ()):
            by_name[f.name] = f
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_class_var(annotation):
            continue
        value = own.get(name, MISSING)
        if isinstance(value, Field):
            f = value
            if f.default is MISSING:
                delattr(cls, name)
            else:  # the default stays as the class's attribute, as with a dataclass
                setattr(cls, name, f.default)
        else:
            f = Field(value, MISSING, True, True, True)
        f.name = name
        by_name[name] = f
    all_fields = tuple(by_name.values())
    made: Any = _with_slots(cls, all_fields) if slots else cls
    setattr(made, FIELDS, all_fields)
    methods = made.__dict__
    if "__init__" not in methods:
        made.__init__ = _init(made, all_fields)
    if "__match_args__" not in methods:
        made.__match_args__ = tuple(f.name for f in all_fields if f.init)  # type: ignore[misc]
    if "__repr__" not in methods:
        made.__repr__ = _repr
    if eq:
        made._values_ = staticmethod(_values(tuple(f.name for f in all_fields if f.compare)))
        if "__eq__" not in methods:
            made.__eq__ = _eq
        if not writes_hash:
            made.__hash__ = _hash if hashed else None
    return cast(type[T], made)


class cached_property(Generic[T]):  # noqa: N801 - named as the functools one it stands for
    """A property computed on its first read and kept in the instance, as
    `functools.cached_property` does, without the lock that Python 3.11's takes on every first
    read (which cost about 2 % of a run: a run reads tens of thousands of them)."""

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> cached_property[T]: ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object | None, owner: type | None = None) -> T | cached_property[T]:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.func(instance)
        return value


def _is_class_var(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return annotation is ClassVar or getattr(annotation, "__origin__", None) is ClassVar


def _with_slots(cls: type, all_fields: tuple[Field, ...]) -> type:
    """CLS made again with a slot for each field its bases have no slot for."""
    inherited: set[str] = set()
    for base in cls.__mro__[1:-1]:
        slots = base.__dict__.get("__slots__", ())
        inherited.update((slots,) if isinstance(slots, str) else slots)
    body = dict(cls.__dict__)
    body["__slots__"] = tuple(f.name for f in all_fields if f.name not in inherited)
    for name in (*(f.name for f in all_fields), "__dict__", "__weakref__"):
        body.pop(name, None)
    made = type(cls)(cls.__name__, cls.__bases__, body)
    made.__qualname__ = cls.__qualname__
    return made


def _init(cls: type, all_fields: tuple[Field, ...]) -> Callable[..., None]:
    """The class's `__init__`, compiled from its fields."""
    names: dict[str, Any] = {"_record_missing": MISSING}
    params, body = ["self"], []
    seen_default = False
    for f in all_fields:
        if f.default is not MISSING:
            names[f"_record_default_{f.name}"] = f.default
        if f.default_factory is not MISSING:
            names[f"_record_factory_{f.name}"] = f.default_factory
        if not f.init:
            if f.default_factory is not MISSING:
                body.append(f"self.{f.name} = _record_factory_{f.name}()")
            elif f.default is not MISSING:
                body.append(f"self.{f.name} = _record_default_{f.name}")
            continue
        value = f.name
        if f.default is not MISSING:
            params.append(f"{f.name}=_record_default_{f.name}")
        elif f.default_factory is not MISSING:
            params.append(f"{f.name}=_record_missing")
            value = f"_record_factory_{f.name}() if {f.name} is _record_missing else {f.name}"
        elif seen_default:
            raise TypeError(f"non-default argument {f.name!r} follows default argument")
        else:
            params.append(f.name)
        seen_default = seen_default or f.default is not MISSING or f.default_factory is not MISSING
        body.append(f"self.{f.name} = {value}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    lines = "".join(f"    {line}\n" for line in body or ["pass"])
    exec(f"def __init__({', '.join(params)}):\n{lines}", names)
    init = cast(Callable[..., None], names["__init__"])
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


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
