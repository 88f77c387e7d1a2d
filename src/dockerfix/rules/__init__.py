"""The rule registry: an explicit, ordered table (a test checks that no Rule is missing).

``ALL_RULES`` imports every rule. A run imports a package cache rule (apt, apk, dnf, zypper,
uv, Poetry, pipenv, PDM, conda, Node's, Go, cargo, Maven, Gradle, Bundler, Composer, NuGet) only
for a Dockerfile that runs one of its tools: such a rule looks only at the RUNs that name its
tools or cannot be read (see ``_package_cache.PackageCacheRule``), so on any other Dockerfile
it finds nothing and needs not be loaded (``ToolRule``).
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from dockerfix.ecosystems import tools
from dockerfix.records import frozen

if TYPE_CHECKING:
    from dockerfix.document.model import Document
    from dockerfix.rules.base import DockerfileRule, Finding, Rule, RuleContext, RuleInfo, WorkflowRule

    ALL_RULES: tuple[type[RuleInfo], ...]


@frozen
class Entry:
    code: str
    module: str  # under dockerfix.rules
    name: str  # the class
    tools: frozenset[str] | None = None  # loaded only for a Dockerfile that names one of these
    workflow: bool = False  # a rule on GitHub workflow files

    def load(self) -> type[RuleInfo]:
        return getattr(importlib.import_module(f"dockerfix.rules.{self.module}"), self.name)  # type: ignore[no-any-return]


TABLE: tuple[Entry, ...] = (
    Entry("DFX101", "copy_split", "CopyAllBeforeInstall"),
    Entry("DFX102", "deps_first", "DependenciesFirst"),
    Entry("DFX201", "pip_cache", "PipCacheMount"),
    Entry("DFX202", "apt_cache", "AptCacheMount", frozenset({"apt", "apt-get"})),
    Entry("DFX203", "apk_cache", "ApkCacheMount", frozenset({"apk"})),
    Entry("DFX204", "rpm_cache", "RpmCacheMount", frozenset({"dnf", "dnf4", "dnf5", "microdnf", "tdnf", "yum"})),
    Entry("DFX205", "zypper_cache", "ZypperCacheMount", frozenset({"zypper"})),
    Entry("DFX206", "python_cache", "UvCacheMount", frozenset({"uv"})),
    Entry("DFX207", "python_cache", "PoetryCacheMount", frozenset({"poetry"})),
    Entry("DFX208", "python_cache", "PipenvCacheMount", frozenset({"pipenv"})),
    Entry("DFX209", "python_cache", "PdmCacheMount", frozenset({"pdm"})),
    Entry("DFX210", "python_cache", "CondaCacheMount", frozenset({"conda", "mamba", "micromamba"})),
    Entry("DFX211", "node_cache", "NpmCacheMount", frozenset({"npm"})),
    Entry("DFX212", "node_cache", "YarnCacheMount", frozenset({"yarn", "yarnpkg"})),
    Entry("DFX213", "node_cache", "PnpmCacheMount", frozenset({"pnpm"})),
    Entry("DFX214", "node_cache", "BunCacheMount", frozenset({"bun"})),
    Entry("DFX215", "go_cache", "GoCacheMount", tools.GO),
    Entry("DFX216", "cargo_cache", "CargoCacheMount", tools.CARGO),
    Entry("DFX217", "maven_cache", "MavenCacheMount", tools.MAVEN),
    Entry("DFX218", "gradle_cache", "GradleCacheMount", tools.GRADLE),
    Entry("DFX219", "bundler_cache", "BundlerCacheMount", tools.BUNDLER),
    Entry("DFX220", "composer_cache", "ComposerCacheMount", tools.COMPOSER),
    Entry("DFX221", "nuget_cache", "NugetCacheMount", tools.DOTNET),
    Entry("DFX301", "ci_cache", "LayerCacheNotPersisted", workflow=True),
    Entry("DFX302", "ci_cache", "CacheMountsNotPersisted", workflow=True),
)
CODES: tuple[str, ...] = tuple(e.code for e in TABLE)


class ToolRule:
    """A rule of ``entry`` (one with tools), imported and made on the first Dockerfile whose
    RUNs name one of its tools or cannot be read; on any other it finds nothing."""

    def __init__(self, entry: Entry) -> None:
        assert entry.tools is not None
        self.code = entry.code
        self.entry = entry
        self.tools = entry.tools
        self._rule: Rule | None = None

    @property
    def reads_context(self) -> bool:
        # a rule not yet made has found nothing, so no message of it names the context
        return self._rule is not None and self._rule.reads_context

    def check(self, doc: Document, ctx: RuleContext) -> Iterator[Finding]:
        named = _tools_named()(doc)  # every stand-in asks on every pass: kept cheap
        if self.tools.isdisjoint(named) and "*" not in named:
            return iter(())
        if self._rule is None:
            self._rule = _made(self.entry)
        return self._rule.check(doc, ctx)


@functools.cache
def _tools_named() -> Callable[[Document], frozenset[str]]:
    """The package cache rules' index of the tools a Dockerfile names, imported on first use."""
    from dockerfix.rules._package_cache import tools_named

    return tools_named


def _made(entry: Entry) -> Rule:
    from dockerfix.rules.base import Rule

    rule = entry.load()
    assert issubclass(rule, Rule), entry
    return rule()


def dockerfile_rules(enabled: Callable[[str], bool]) -> list[DockerfileRule]:
    """The rules on Dockerfiles whose codes are ``enabled``, in the table's order; those with
    tools stand in until a Dockerfile needs them."""
    return [ToolRule(e) if e.tools is not None else _made(e) for e in TABLE if not e.workflow and enabled(e.code)]


def workflow_rules(enabled: Callable[[str], bool]) -> list[WorkflowRule]:
    """The rules on GitHub workflow files whose codes are ``enabled``."""
    from dockerfix.rules.base import WorkflowRule

    out: list[WorkflowRule] = []
    for entry in TABLE:
        if entry.workflow and enabled(entry.code):
            rule = entry.load()
            assert issubclass(rule, WorkflowRule), entry
            out.append(rule())
    return out


def __getattr__(name: str) -> Any:
    if name == "ALL_RULES":  # every rule class, imported on first use
        rules = tuple(entry.load() for entry in TABLE)
        globals()["ALL_RULES"] = rules
        return rules
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def rule_by_code(code: str) -> type[RuleInfo] | None:
    for entry in TABLE:
        if entry.code == code.upper():
            return entry.load()
    return None
