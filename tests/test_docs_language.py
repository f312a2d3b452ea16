"""The language reference, docs/language.md, against the language it documents."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arcollect.expect import run_expects
from arcollect.lang.schema import FACTS, INVOICE_FIELDS
from arcollect.policy import parse_policy

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "language.md"
GRAMMAR = ROOT / "src" / "arcollect" / "lang" / "grammar.lark"


def action_words() -> list[str]:
    """Return the action phrases of the grammar's `action` rule: `email`, `hold shipments`..."""
    rule = re.search(
        r"^action:(.*?)^\s*$", GRAMMAR.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL
    )
    assert rule is not None
    phrases = []
    for alternative in rule.group(1).split("->")[:-1]:
        words = re.findall(r'"([a-z]+)"', alternative)
        phrases.append(" ".join(words))
    return phrases


def arc_policies() -> list[str]:
    """Return every fenced ```arc block of the reference that is a complete policy."""
    blocks = re.findall(
        r"^```arc\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.MULTILINE | re.DOTALL
    )
    return [b for b in blocks if b.lstrip().startswith("policy ")]


def test_every_fact_field_and_action_is_documented() -> None:
    """Every fact, invoice field and action word of the language appears in the reference."""
    text = DOC.read_text(encoding="utf-8")
    actions = action_words()
    assert len(actions) == 11
    missing = [f"`{name}`" for name in [*FACTS, *INVOICE_FIELDS] if f"`{name}`" not in text]
    missing += [f"`{phrase}" for phrase in actions if f"`{phrase}" not in text]
    assert missing == []


@pytest.mark.parametrize("source", arc_policies(), ids=lambda s: s.splitlines()[0])
def test_example_policies_check(source: str) -> None:
    """Every complete example policy of the reference parses and checks without warnings."""
    policy = parse_policy(source, name="language.md")
    assert policy.warnings == ()


@pytest.mark.parametrize("source", arc_policies(), ids=lambda s: s.splitlines()[0])
def test_example_policy_tests_pass(source: str) -> None:
    """Every `expect` block of the reference's example policies passes."""
    report = run_expects(parse_policy(source, name="language.md"))
    assert [(c.name, c.failures) for c in report.cases if not c.passed] == []


def test_reference_has_example_policies() -> None:
    """The reference shows at least two complete policies in ```arc blocks."""
    assert len(arc_policies()) >= 2
