"""What a rule is and what it returns: findings, fixes made of edits over original lines."""

from __future__ import annotations

import enum
import re
import textwrap
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, ClassVar, Protocol

from dockerfix.edits import Edit
from dockerfix.records import field, frozen

__all__ = ["Applicability", "Edit", "Example", "Finding", "Fix", "Rule", "RuleContext", "RuleInfo", "WorkflowRule"]

if TYPE_CHECKING:
    from dockerfix.context.build_context import BuildContext
    from dockerfix.document.model import Document
    from dockerfix.settings import Settings
    from dockerfix.suppressions import Suppressions
    from dockerfix.workflow.model import WorkflowDocument


class Applicability(enum.Enum):
    SAFE = "safe"  # applied by default
    UNSAFE = "unsafe"  # applied only with --unsafe-fixes
    DISPLAY_ONLY = "display-only"  # shown, never applied


@frozen(slots=True)
class Fix:
    title: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE

    @property
    def span(self) -> tuple[int, int]:
        return min(e.start for e in self.edits), max(e.end for e in self.edits)


@frozen(slots=True)
class Finding:
    """A rule's report on one line: a fix, or why nothing was changed there."""

    code: str
    line: int  # 0-based
    message: str
    fix: Fix | None = None


@frozen
class RuleContext:
    """Everything a rule may look at besides the document. No I/O happens through it but the
    build context's reads."""

    build: BuildContext | None  # None when the build context is unknown (stdin without --context)
    settings: Settings
    # the document's inline `# dockerfix: ignore` comments, handed in by the engine for each pass
    # (a rule that reports one finding in place of another asks them first); None: none read
    suppressions: Suppressions | None = None
    # why the build context is not known, as a rule says it, when ``build`` is None for a
    # reason worth naming (a variable in the file that names it, contexts that disagree)
    context_unknown: str | None = None
    # where the build context came from, when a file of the repository named it (the runner
    # adds it to the findings of the rules that read the context)
    context_origin: str | None = None


@frozen
class Example:
    """An embedded example: ``source`` (dedented); for INVALID, ``expected`` output after the
    fixes (None when the rule only reports), and the build-context files it needs."""

    source: str
    expected: str | None = None
    files: Mapping[str, str] = field(default_factory=dict)
    message: str | None = None  # a substring the finding's message must contain

    @property
    def text(self) -> str:
        return textwrap.dedent(self.source).lstrip("\n")

    @property
    def expected_text(self) -> str | None:
        return None if self.expected is None else textwrap.dedent(self.expected).lstrip("\n")


class RuleInfo:
    """A rule: a stable code, a name for the pattern it finds, its documentation (the class
    docstring, in the sections What it does / Why is this bad? / Example / Fix safety) and
    examples that run as tests. `Rule` checks Dockerfiles, `WorkflowRule` GitHub workflows."""

    code: ClassVar[str]
    name: ClassVar[str]
    summary: ClassVar[str]
    VALID: ClassVar[tuple[Example, ...]] = ()
    INVALID: ClassVar[tuple[Example, ...]] = ()
    reads_context: ClassVar[bool] = False  # its findings depend on the build context

    def __init_subclass__(cls) -> None:
        super().__init_subclass__()
        if "code" not in vars(cls):
            return  # a shared base for a family of rules, not a rule
        if not re.fullmatch(r"DFX\d{3}", cls.code):
            raise TypeError(f"{cls.__name__}: bad rule code {cls.code!r}")
        if not re.fullmatch(r"[a-z][a-z0-9-]+", cls.name):
            raise TypeError(f"{cls.__name__}: bad rule name {cls.name!r}")
        if not cls.__doc__ or not cls.VALID or not cls.INVALID:
            raise TypeError(f"{cls.__name__}: a rule needs documentation, VALID and INVALID examples")

    def finding(self, line: int, message: str, fix: Fix | None = None) -> Finding:
        return Finding(self.code, line, message, fix)

    @classmethod
    def documentation(cls) -> str:
        return textwrap.dedent(cls.__doc__ or "").strip()


class Rule(RuleInfo):
    """A rule on a Dockerfile."""

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError


class DockerfileRule(Protocol):
    """What the engine asks of a rule on Dockerfiles: a `Rule`, or a stand-in that makes one when
    a Dockerfile needs it (rules/__init__.py's ToolRule)."""

    @property
    def code(self) -> str: ...

    @property
    def reads_context(self) -> bool: ...

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]: ...


class WorkflowRule(RuleInfo):
    """A rule on a GitHub Actions workflow file (`.github/workflows/*.yml`), which also sees the
    Dockerfiles its steps build. Its examples' ``files`` are the repository's files."""

    def check(self, doc: WorkflowDocument, ctx: RuleContext) -> Iterator[Finding]:
        raise NotImplementedError
