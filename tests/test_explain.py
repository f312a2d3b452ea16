"""Tests of arcollect.engine.explain: explanations traced when first read, from fresh facts."""

from __future__ import annotations

import gc
from datetime import date
from pathlib import Path

import pytest

from arcollect import Account, AccountFacts, facts, load_policy
from arcollect.testing import account, invoice

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
AS_OF = date(2026, 11, 23)


def _accounts() -> list[Account]:
    return [
        account(invoice("3000 EUR", due="2026-10-01"), id="C-1"),
        account(invoice("50 EUR", due="2026-08-01"), id="C-2"),
    ]


def _live_facts() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, AccountFacts))


class TestTracer:
    def test_a_plan_keeps_no_facts_alive(self) -> None:
        """A plan whose explanations are not read yet holds none of its accounts' facts."""
        before = _live_facts()
        plan = STANDARD.plan(_accounts(), as_of=AS_OF)
        assert len(plan.actions) == 2
        assert _live_facts() == before

    def test_traced_lines_show_the_values_the_plan_saw(self) -> None:
        """The conditions are traced, when read, with the values the account was planned on."""
        plan = STANDARD.plan(_accounts(), as_of=AS_OF)
        assert plan.actions[1].account == "C-1"
        assert plan.actions[1].explanation == (
            "step demand (45 days past due) is the most advanced step due",
            "timeline standard (for all accounts)",
            "when: overdue = 3000.00 EUR >= 100 EUR",
            "not paused: promise.active = false",
            "not paused: dispute.open = false",
            "no contact on file: find one before contacting",
            "requires approval by credit_manager",
            "priority 136, tier A",
        )

    def test_facts_are_derived_once_per_account_read(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Reading an account's explanations derives its facts once, for all its conditions."""
        plan = STANDARD.plan(_accounts(), as_of=AS_OF)
        derived: list[str] = []

        def counting(acct: Account, as_of: date) -> AccountFacts:
            derived.append(acct.id)
            return facts(acct, as_of)

        monkeypatch.setattr("arcollect.engine.explain.facts", counting)
        plan.explain("C-1")
        plan.explain("C-1")
        assert derived == ["C-1"]
        plan.explain("C-2")
        assert derived == ["C-1", "C-2"]
