"""The rule registry: an explicit, ordered list (a test checks that no Rule is missing)."""

from __future__ import annotations

from dockerfix.rules.apk_cache import ApkCacheMount
from dockerfix.rules.apt_cache import AptCacheMount
from dockerfix.rules.base import RuleInfo
from dockerfix.rules.ci_cache import CacheMountsNotPersisted, LayerCacheNotPersisted
from dockerfix.rules.bundler_cache import BundlerCacheMount
from dockerfix.rules.cargo_cache import CargoCacheMount
from dockerfix.rules.composer_cache import ComposerCacheMount
from dockerfix.rules.copy_split import CopyAllBeforeInstall
from dockerfix.rules.deps_first import DependenciesFirst
from dockerfix.rules.go_cache import GoCacheMount
from dockerfix.rules.gradle_cache import GradleCacheMount
from dockerfix.rules.maven_cache import MavenCacheMount
from dockerfix.rules.node_cache import BunCacheMount, NpmCacheMount, PnpmCacheMount, YarnCacheMount
from dockerfix.rules.nuget_cache import NugetCacheMount
from dockerfix.rules.pip_cache import PipCacheMount
from dockerfix.rules.python_cache import (
    CondaCacheMount,
    PdmCacheMount,
    PipenvCacheMount,
    PoetryCacheMount,
    UvCacheMount,
)
from dockerfix.rules.rpm_cache import RpmCacheMount
from dockerfix.rules.zypper_cache import ZypperCacheMount

ALL_RULES: tuple[type[RuleInfo], ...] = (
    CopyAllBeforeInstall,
    DependenciesFirst,
    PipCacheMount,
    AptCacheMount,
    ApkCacheMount,
    RpmCacheMount,
    ZypperCacheMount,
    UvCacheMount,
    PoetryCacheMount,
    PipenvCacheMount,
    PdmCacheMount,
    CondaCacheMount,
    NpmCacheMount,
    YarnCacheMount,
    PnpmCacheMount,
    BunCacheMount,
    GoCacheMount,
    CargoCacheMount,
    MavenCacheMount,
    GradleCacheMount,
    BundlerCacheMount,
    ComposerCacheMount,
    NugetCacheMount,
    LayerCacheNotPersisted,
    CacheMountsNotPersisted,
)


def rule_by_code(code: str) -> type[RuleInfo] | None:
    for rule in ALL_RULES:
        if rule.code == code.upper():
            return rule
    return None
