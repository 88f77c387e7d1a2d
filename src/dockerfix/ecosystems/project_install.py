"""What a project install is, for every ecosystem: the files it reads in its folder, the folders
it writes there, and why it cannot be split or needs the project's source."""

from __future__ import annotations

from collections.abc import Callable

from dockerfix.ecosystems.packages import Call
from dockerfix.records import field, record

Glob = Callable[[str], "list[str] | None"]  # context files matching a pattern, relative to the install's folder

# what Python's project tools create in their folder
PYTHON_ENVIRONMENTS = (".venv", "__pypackages__")


@record
class ProjectInstall:
    tool: str
    call: Call
    files: list[str]  # files it reads, relative to its working folder; all must be in the context
    optional: list[str] = field(default_factory=list)  # read when present; copied when in the context
    source: str | None = None  # why it needs the project's source, if it does
    deps_only: list[str] = field(default_factory=list)  # options that install only the dependencies
    problem: str | None = None  # why its inputs cannot be told
    dirs: list[str] = field(default_factory=list)  # folders read when present; copied when in the context
    # what it creates in its folder: from the context, the moved copy would put them over its work
    environments: tuple[str, ...] = PYTHON_ENVIRONMENTS

    @property
    def text(self) -> str:
        return self.call.text
