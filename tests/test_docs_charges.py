"""docs/charges.md against the code: its policies check, and its YAML is the first policy's."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from arcollect.policy import parse_policy

DOC = Path(__file__).parent.parent / "docs" / "charges.md"


def blocks(language: str) -> list[str]:
    """Return the fenced blocks of *language* in the page."""
    text = DOC.read_text(encoding="utf-8")
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def policies() -> list[str]:
    """Return the page's complete policies."""
    return [b for b in blocks("arc") if b.lstrip().startswith("policy ")]


def test_the_page_has_its_presets() -> None:
    """The page shows the example and the four statutory presets."""
    names = [p.splitlines()[0] for p in policies()]
    assert names == [
        'policy "Charges" version 1',
        'policy "EU minimum" version 1',
        'policy "DE § 288" version 1',
        'policy "UK Late Payment Act" version 1',
        'policy "FR L441-10" version 1',
    ]


@pytest.mark.parametrize("source", policies(), ids=lambda s: s.splitlines()[0])
def test_every_policy_checks(source: str) -> None:
    """Every policy of the page parses and checks without warnings, and charges something."""
    policy = parse_policy(source, name="charges.md")
    assert policy.warnings == ()
    assert policy.checked.charges is not None


def test_the_yaml_says_what_the_first_policy_says() -> None:
    """The page's YAML charges section reads as the first policy's charges."""
    (yaml_block,) = blocks("yaml")
    text = 'policy: "Charges"\ncurrency: EUR\n' + yaml_block
    expected = parse_policy(policies()[0], name="charges.md").checked.charges
    assert parse_policy(text, name="charges.yaml").checked.charges == expected
