"""Tests of arcollect.engine.priority: scores, tiers, the order of the plan and capacity."""

from __future__ import annotations

import decimal
import random
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import load_policy, parse_policy
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.priority import Standing, tiers
from arcollect.testing import account, activity, contact, invoice, payment, promise

ROOT = Path(__file__).parent.parent
AS_OF = date(2026, 11, 23)


class TestAbsentScore:
    def test_an_absent_score_counts_as_zero_and_says_so(self) -> None:
        """A score over ``max(invoices.days_past_due)`` has no value without open invoices: 0.

        Regression: rules/key_accounts.arc crashed ``plan()`` with a TypeError for any account
        without open invoices.
        """
        policy = load_policy(ROOT / "rules" / "key_accounts.arc")
        paid = account(
            invoice("900 EUR", due="2026-10-01"),
            payment("900 EUR", on="2026-10-02", to=["INV-1"]),
            id="C-PAID",
        )
        owing = account(invoice("9,000 EUR", due="2026-10-01"), id="C-OWING")
        plan = policy.plan([paid, owing], as_of=AS_OF)
        state = plan.state("C-PAID")
        assert (state.priority, state.error) == (Decimal(0), None)
        assert state.notes == (
            "no open invoices",
            "priority score absent (a fact it reads has no value here): counted as 0",
        )
        assert plan.state("C-OWING").priority == Decimal(9 + 53)

    def test_an_absent_tie_key_sorts_last(self) -> None:
        """``ties by days_since_payment`` puts the account that never paid after those that did."""
        policy = parse_policy(
            """
policy "Ties" version 1
  currency EUR
timeline t for all
  step reminder 1 day past due email "r"
priority
  score 1
  ties by days_since_payment desc
""",
            name="ties.arc",
        )
        never = account(invoice("100 EUR", due="2026-11-01"), id="A-NEVER")
        paid = account(
            invoice("100 EUR", due="2026-11-01"),
            invoice("50 EUR", due="2026-10-01"),
            payment("50 EUR", on="2026-10-10", to=["INV-2"]),
            id="B-PAID",
        )
        plan = policy.plan([never, paid], as_of=AS_OF)
        assert [a.account for a in plan.actions] == ["B-PAID", "A-NEVER"]


class TestCapacity:
    def test_calls_beyond_capacity_at_the_end_of_the_calendar_stay(self) -> None:
        """A call beyond capacity on 9999-12-31 cannot move to a later day: it stays, marked."""
        policy = parse_policy(
            """
policy "Cap" version 1
  currency EUR
timeline t for all
  step first_call 1 day past due call
priority
  score overdue / 1 EUR
  capacity 1 calls per day
""",
            name="cap.arc",
        )
        accts = [
            account(contact("X", "billing"), invoice(f"{n}00 EUR", due="9999-12-01"), id=f"C-{n}")
            for n in (1, 2)
        ]
        plan = policy.plan(accts, as_of=date(9999, 12, 31))
        assert [(a.account, a.due, a.deferred) for a in plan.actions] == [
            ("C-2", date(9999, 12, 31), False),
            ("C-1", date(9999, 12, 31), True),
        ]
        assert plan.actions[1].explanation[-2:] == (
            "capacity 1 calls per day reached (call #2)",
            "priority 100",
        )

    def test_a_promise_follow_up_is_never_deferred_past_its_date(self) -> None:
        """Follow-ups on a promise's date take the capacity first; other calls are deferred.

        The lower-priority account's follow-up stays on its promised date; the higher-priority
        account's ordinary call moves to the next business day.
        """
        policy = parse_policy(
            """
policy "Cap" version 1
  currency EUR
timeline t for all
  pause while promise.active
  step first_call 1 day past due call
priority
  score overdue / 1 EUR
  capacity 1 calls per day
""",
            name="cap.arc",
        )
        big = account(contact("X", "billing"), invoice("900 EUR", due="2026-11-01"), id="C-big")
        promised = account(
            contact("Y", "billing"),
            invoice("100 EUR", due="2026-10-01"),
            activity("2026-10-02", "call", step="first_call"),
            promise("100 EUR", due="2026-11-30", made="2026-11-20"),
            id="C-promise",
        )
        plan = policy.plan([big, promised], as_of=date(2026, 11, 30))
        assert [(a.account, a.step, a.due, a.deferred) for a in plan.actions] == [
            ("C-big", "first_call", date(2026, 12, 1), True),
            ("C-promise", "promise_follow_up", date(2026, 11, 30), False),
        ]
        assert plan.actions[0].explanation[-2] == (
            "capacity 1 calls per day reached (call #2): moved to 2026-12-01"
        )


class TestTiers:
    def test_tiers_by_share_of_overdue(self) -> None:
        """80/15/5: the biggest account alone holds 80 % and is A; the rest fall in B and C."""
        policy = parse_policy(
            """
policy "Tiers" version 1
  currency EUR
timeline t for all
  step reminder 1 day past due email "r"
priority
  tiers by share of overdue: A 80%, B 15%, C 5%
""",
            name="tiers.arc",
        )
        amounts = {"C-1": "8000 EUR", "C-2": "1500 EUR", "C-3": "400 EUR", "C-4": "100 EUR"}
        accts = [account(invoice(a, due="2026-11-01"), id=i) for i, a in amounts.items()]
        plan = policy.plan(accts, as_of=AS_OF)
        assert {s.account: s.tier for s in plan.states} == {
            "C-1": "A",
            "C-2": "B",
            "C-3": "C",
            "C-4": "C",
        }


def _tiers_by_division(bounds: list[tuple[Decimal, str]], measures: list[Decimal]) -> list[str]:
    """The Pareto tiers as first written: each account's share before it, divided out."""
    with decimal.localcontext(MONEY_CONTEXT):
        ranked = sorted(range(len(measures)), key=lambda i: (-measures[i], f"C-{i:04d}"))
        total = sum((max(m, Decimal(0)) for m in measures), Decimal(0))
        out = [""] * len(measures)
        before = Decimal(0)
        for i in ranked:
            share = before / total if total > 0 else Decimal(1)
            out[i] = next((n for b, n in bounds if share < b), bounds[-1][1])
            before += max(measures[i], Decimal(0))
        return out


TIERED = parse_policy(
    """
policy "Tiers" version 1
timeline t for all
  step reminder 1 day past due email "r"
priority
  score overdue / 1 EUR
  tiers by share of overdue: A 80%, B 15%, C 5%
""",
    name="tiers.arc",
)


class TestTiersWithoutDivision:
    @settings(max_examples=200, deadline=None)
    @given(
        st.lists(
            st.decimals(min_value=-1000, max_value=10**9, places=2, allow_nan=False),
            min_size=1,
            max_size=40,
        ),
        st.randoms(use_true_random=False),
    )
    def test_tiers_compare_without_dividing_exactly_as_dividing(
        self, measures: list[Decimal], rnd: random.Random
    ) -> None:
        """Comparing the measure before an account with bound x total gives the tiers the
        division of the share gave, ties, zeros and negative measures included, in whatever
        order the standings come.
        """
        priority = TIERED.checked.priority
        standings = [
            Standing(f"C-{i:04d}", Decimal(0), (f"C-{i:04d}",), "EUR", m)
            for i, m in enumerate(measures)
        ]
        bounds: list[tuple[Decimal, str]] = []
        acc = Decimal(0)
        for name, share in priority.tiers:
            acc += share
            bounds.append((acc, name))
        given = list(standings)
        rnd.shuffle(given)
        with decimal.localcontext(MONEY_CONTEXT):
            got = tiers(priority, given)
        assert [got[s.account] for s in standings] == _tiers_by_division(bounds, measures)
