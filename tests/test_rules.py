"""Every rule's embedded examples run as tests, and the registry is complete and consistent."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import dockerfix.rules
from dockerfix.rules import ALL_RULES, rule_by_code
from dockerfix.rules.base import Example, Rule, RuleInfo, WorkflowRule
from dockerfix.settings import Settings
from helpers import fix_text, fix_workflow_text

CASES = [
    (rule, kind, i, ex)
    for rule in ALL_RULES
    for kind, examples in (("valid", rule.VALID), ("invalid", rule.INVALID))
    for i, ex in enumerate(examples)
]


@pytest.mark.parametrize(
    ("rule", "kind", "index", "example"), CASES, ids=[f"{r.code}-{k}-{i}" for r, k, i, _ in CASES]
)
def test_example(rule: type[RuleInfo], kind: str, index: int, example: Example) -> None:
    # unsafe fixes on: an example shows what the rule's fix does, safe or not
    settings = Settings(select=(rule.code,), unsafe_fixes=True)
    fix = fix_workflow_text if issubclass(rule, WorkflowRule) else fix_text
    output, findings = fix(example.text, example.files, settings)
    own = [f for f in findings if f.code == rule.code]
    if kind == "valid":
        assert own == [], [f.message for f in own]
        assert output == example.text
        return
    assert own, "an INVALID example must produce a finding"
    if example.expected_text is None:
        assert output == example.text
        assert all(f.fix is None for f in own)
    else:
        assert output == example.expected_text
        again, _ = fix(output, example.files, settings)
        assert again == output, "the fix is not idempotent"
    if example.message:
        assert any(example.message in f.message for f in own), [f.message for f in own]


def test_registry_is_complete() -> None:
    found: set[type[RuleInfo]] = set()
    for info in pkgutil.iter_modules(dockerfix.rules.__path__):
        module = importlib.import_module(f"dockerfix.rules.{info.name}")
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, RuleInfo) and "code" in vars(value):
                found.add(value)
    assert found == set(ALL_RULES)


def test_codes_and_names_are_unique() -> None:
    assert len({r.code for r in ALL_RULES}) == len(ALL_RULES)
    assert len({r.name for r in ALL_RULES}) == len(ALL_RULES)


def test_rule_by_code() -> None:
    assert rule_by_code("dfx101") is ALL_RULES[0]
    assert rule_by_code("DFX000") is None


def test_documentation_has_the_sections() -> None:
    for rule in ALL_RULES:
        doc = rule.documentation()
        for heading in ("## What it does", "## Why is this bad?", "## Example", "## Fix safety"):
            assert heading in doc, (rule.code, heading)


def test_a_rule_without_examples_is_refused() -> None:
    with pytest.raises(TypeError):

        class Bad(Rule):  # noqa: F841 - defining it is the test
            """Docs."""

            code = "DFX199"
            name = "bad"
            summary = "bad"
