"""Run settings, frozen: what the CLI (or a test) decided, handed to the runner and the rules."""

from __future__ import annotations

import enum
from pathlib import Path

from dockerfix.config import OTHER_BUILDERS, Config
from dockerfix.records import frozen, replace


class Mode(enum.Enum):
    DIFF = "diff"  # print a unified diff, write nothing
    WRITE = "write"  # rewrite files in place
    CHECK = "check"  # name the files that would change


@frozen
class Settings:
    mode: Mode = Mode.DIFF
    select: tuple[str, ...] = ()  # code prefixes; empty selects every rule
    ignore: tuple[str, ...] = ()
    unsafe_fixes: bool = False
    context: Path | None = None  # the build context; None: the Dockerfile's directory
    max_iterations: int = 10
    config: Path | None = None  # --config: one configuration file for every Dockerfile
    isolated: bool = False  # --isolated: no configuration files at all
    builders: tuple[str, ...] = ()  # the builders the project targets (from the configuration)

    def for_file(self, config: Config | None, dockerfile: Path | None) -> Settings:
        """These settings with a configuration file's: the command line wins where it says
        something (`--select`, `--context`), adds to it where that makes sense (`--ignore`,
        `--unsafe-fixes`)."""
        if config is None:
            return self
        select = self.select or (config.select or ())
        if select and config.extend_select:
            select = select + config.extend_select
        context = self.context
        if context is None and dockerfile is not None:
            context = config.context_for(dockerfile)
        return replace(
            self,
            select=select,
            ignore=self.ignore + config.ignore,
            unsafe_fixes=self.unsafe_fixes or bool(config.unsafe_fixes),
            context=context,
            builders=config.builders,
        )

    @property
    def buildkit_only(self) -> bool:
        """No builder that would ignore or reject cache mounts is named."""
        return not any(b in OTHER_BUILDERS for b in self.builders)

    def enabled(self, code: str) -> bool:
        if self.select and not any(code.startswith(p) for p in self.select):
            return False
        return not any(code.startswith(p) for p in self.ignore)
