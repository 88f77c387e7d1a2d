"""Bytes in, text out: BOM, newline style and final newline, recorded so they can be restored."""

from __future__ import annotations

from dockerfix.records import frozen

BOM = "\ufeff"


class DecodeError(ValueError):
    """The bytes are not UTF-8 text."""


@frozen(slots=True)
class SourceText:
    """A Dockerfile as physical lines, each without its line ending.

    ``endings[i]`` is the ending that followed ``lines[i]`` in the original bytes ("\\n",
    "\\r\\n" or "" for a last line without a final newline).
    """

    lines: tuple[str, ...]
    endings: tuple[str, ...]
    bom: bool
    newline: str

    @property
    def final_newline(self) -> bool:
        return not self.endings or self.endings[-1] != ""

    @classmethod
    def from_text(cls, text: str) -> SourceText:
        bom = text.startswith(BOM)
        if bom:
            text = text[1:]
        lines: list[str] = []
        endings: list[str] = []
        pos = 0
        size = len(text)
        while pos < size:
            nl = text.find("\n", pos)
            if nl < 0:
                lines.append(text[pos:])
                endings.append("")
                break
            if nl > pos and text[nl - 1] == "\r":
                lines.append(text[pos : nl - 1])
                endings.append("\r\n")
            else:
                lines.append(text[pos:nl])
                endings.append("\n")
            pos = nl + 1
        crlf = sum(1 for e in endings if e == "\r\n")
        lf = sum(1 for e in endings if e == "\n")
        newline = "\r\n" if crlf > lf else "\n"
        return cls(tuple(lines), tuple(endings), bom, newline)

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceText:
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DecodeError(
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
            ) from exc
        return cls.from_text(text)

    def text(self) -> str:
        body = "".join(line + end for line, end in zip(self.lines, self.endings))
        return (BOM if self.bom else "") + body

    def to_bytes(self) -> bytes:
        return self.text().encode("utf-8")

    def replace_lines(self, lines: list[str], endings: list[str]) -> SourceText:
        """A new text with the same BOM and newline style, and the same final-newline state."""
        for i in range(len(endings) - 1):
            if endings[i] == "":
                endings[i] = self.newline
        if endings:
            if self.final_newline:
                if endings[-1] == "":
                    endings[-1] = self.newline
            else:
                endings[-1] = ""
        return SourceText(tuple(lines), tuple(endings), self.bom, self.newline)
