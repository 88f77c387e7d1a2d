"""Where an instruction's text comes from: one segment for each line it takes text from."""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from dockerfix.records import frozen

# Unsigned ints of 4 bytes: offsets, lines and columns of a text of up to 4 GiB.
NUMBERS = "I"
_FIELDS = 4  # logical, line, col, length


@frozen(slots=True)
class Segment:
    logical: int  # offset in Instruction.logical
    line: int
    col: int
    length: int


class Segments(Sequence[Segment]):
    """Segments in the order of their logical offsets, held as one array of numbers (logical,
    line, col and length of each in turn): an instruction over thousands of lines would
    otherwise keep an object and its ints for each line. A Segment is made when one is asked
    for."""

    __slots__ = ("_numbers",)

    def __init__(self, numbers: Iterable[int] = ()) -> None:
        """``numbers``: the logical offset, line, column and length of each segment in turn,
        the segments by logical offset."""
        self._numbers = array(NUMBERS, numbers)

    def __len__(self) -> int:
        return len(self._numbers) // _FIELDS

    @overload
    def __getitem__(self, index: int) -> Segment: ...

    @overload
    def __getitem__(self, index: slice) -> Segments: ...

    def __getitem__(self, index: int | slice) -> Segment | Segments:
        if isinstance(index, slice):
            return Segments(n for k in range(len(self))[index] for n in self._row(k))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError("segment index out of range")
        return Segment(*self._row(index))

    def __iter__(self) -> Iterator[Segment]:
        numbers = iter(self._numbers)
        return (Segment(*row) for row in zip(numbers, numbers, numbers, numbers))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Segments):
            return NotImplemented
        return self._numbers == other._numbers

    def __hash__(self) -> int:
        return hash(self._numbers.tobytes())

    def __repr__(self) -> str:
        return f"Segments({list(self)!r})"

    @property
    def lines(self) -> list[int]:
        """The line of each segment."""
        return self._numbers[1::_FIELDS].tolist()

    def position(self, offset: int) -> tuple[int, int]:
        """The (line, column) of an offset, in the last segment starting at or before it (the
        first one for an offset before them all)."""
        numbers = self._numbers
        if not numbers:
            raise IndexError("no segments")
        k = 0
        if len(numbers) > _FIELDS:
            k = max(bisect.bisect_right(range(len(self)), offset, key=self._logical) - 1, 0) * _FIELDS
        return numbers[k + 1], numbers[k + 2] + (offset - numbers[k])

    def _row(self, index: int) -> array[int]:
        return self._numbers[index * _FIELDS : (index + 1) * _FIELDS]

    def _logical(self, index: int) -> int:
        return self._numbers[index * _FIELDS]
