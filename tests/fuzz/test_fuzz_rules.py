"""Harness 1: mutated rule files (.arc and YAML) through parse, check, format and plan."""

from __future__ import annotations

import random
from datetime import date

import pytest
import yaml

from arcollect import Policy, PolicyError, parse_policy
from arcollect.expect import run_expects
from arcollect.lang import format_policy
from fuzz.common import EDGE_DATES, rule_files, small_portfolio
from fuzz.mutate import mutate_text, mutate_tree
from fuzz.oracle import Campaign

pytestmark = pytest.mark.fuzz_harness("rules")


def _reproducer(text: str, name: str, step: str) -> str:
    return f"# {step}\nfrom arcollect import parse_policy\ntext = {text!r}\npolicy = parse_policy(text, name={name!r})"  # noqa: E501


def exercise(c: Campaign, text: str, name: str, as_of: date) -> None:
    """Run one rule text through every stage under the oracle."""
    policy: Policy | None = c.run(
        lambda: parse_policy(text, name=name), lambda: _reproducer(text, name, "parse/check")
    )
    if policy is None:
        return
    formatted = c.run(
        lambda: format_policy(policy.tree), lambda: _reproducer(text, name, "format_policy")
    )
    if formatted is not None:
        try:
            parse_policy(formatted, name="formatted.arc")
        except PolicyError as exc:
            c.wrong(
                "formatter output does not parse",
                "lang/formatter.py:format_policy",
                str(exc)[:300],
                lambda: _reproducer(text, name, "format_policy(tree) then parse_policy"),
            )
        except Exception:  # noqa: BLE001 - the oracle run below reports crashes
            c.run(
                lambda: parse_policy(formatted, name="formatted.arc"),
                lambda: _reproducer(formatted, "formatted.arc", "re-parse of formatted"),
            )
    accounts = small_portfolio()

    def plan() -> None:
        p = policy.plan(accounts, as_of=as_of)
        p.to_json()
        for acct in accounts:
            p.explain(acct.id)

    c.run(
        plan,
        lambda: (
            _reproducer(text, name, f"plan(examples/portfolio.yaml, as_of={as_of})")
            + f"\npolicy.plan(read_portfolio('examples/portfolio.yaml'), as_of={as_of!r})"
        ),
    )
    c.run(lambda: run_expects(policy), lambda: _reproducer(text, name, "run_expects(policy)"))


def _yaml_mutant(text: str, rng: random.Random) -> str | None:
    try:
        tree = yaml.safe_load(text)
    except yaml.YAMLError:
        return None
    try:
        return yaml.safe_dump(mutate_tree(tree, rng), sort_keys=False, allow_unicode=True)
    except (ValueError, RecursionError, yaml.YAMLError):  # a tree PyYAML cannot write
        return None


class TestRuleFileMutation:
    def test_mutated_rule_files_fail_only_with_located_errors(
        self, campaign: Campaign, rng: random.Random
    ) -> None:
        """Every mutant of a shipped rule file parses, checks, formats and plans, or is refused with a located PolicyError."""  # noqa: E501
        files = rule_files()
        while campaign.time_left():
            name, text = rng.choice(files)
            mutant = None
            if name.endswith(".yaml") and rng.random() < 0.4:
                mutant = _yaml_mutant(text, rng)
            if mutant is None:
                mutant = mutate_text(text, rng)
            as_of = rng.choice(EDGE_DATES) if rng.random() < 0.2 else EDGE_DATES[0]
            exercise(campaign, mutant, name, as_of)
        campaign.check()

    def test_shipped_rule_files_pass_the_oracle(self, campaign: Campaign) -> None:
        """The unmutated shipped rule files survive every stage on every edge date."""
        for name, text in rule_files():
            for as_of in EDGE_DATES:
                exercise(campaign, text, name, as_of)
        campaign.check()
