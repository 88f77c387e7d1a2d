"""DFX9xx: the tool's own diagnostics. Each means the file was left exactly as it was."""

from __future__ import annotations

from dockerfix.records import frozen

CODES: dict[str, tuple[str, str]] = {
    # code: (name, what it means)
    "DFX901": ("unmappable-file", "The file could not be mapped exactly (an unknown instruction, an unterminated heredoc, or an index mismatch); it is left untouched."),
    "DFX902": ("not-utf8", "The file is not valid UTF-8; it is left untouched."),
    "DFX903": ("fixes-did-not-converge", "Applying fixes did not reach a fixed point within the pass limit; the file is left untouched."),
    "DFX904": ("fix-failed-verification", "A fix produced a file that does not re-parse, moved the parser directives or changed an instruction outside its edits; the file is left untouched. Please report it."),
    "DFX905": ("unreadable-file", "The file could not be read or written."),
    "DFX906": ("build-context-unreadable", "The build context or its .dockerignore could not be read; rules that need the context leave the file alone."),
    "DFX999": ("internal-error", "An unexpected error; the file is left untouched. Please report it."),
}
# DFX906 is a warning: the other rules still run, without the build context.
_WARNINGS = frozenset({"DFX906"})


@frozen(slots=True)
class Diagnostic:
    code: str
    line: int  # 0-based
    message: str

    @property
    def error(self) -> bool:
        return self.code not in _WARNINGS

    @classmethod
    def make(cls, code: str, line: int, message: str) -> Diagnostic:
        if code not in CODES:
            raise KeyError(code)
        return cls(code, line, message)
