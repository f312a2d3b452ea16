"""Properties of the planner: determinism, a total order, no step twice in an episode."""

from __future__ import annotations

import decimal
import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Activity
from arcollect.policy import load_policy
from arcollect.testing import account, invoice
from strategies import accounts, shuffled

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")

portfolios = st.lists(
    accounts(max_invoices=4, currency="EUR"), min_size=1, max_size=5, unique_by=lambda a: a.id
)


class TestDeterminism:
    @settings(max_examples=60, deadline=None)
    @given(portfolios, st.randoms(use_true_random=False))
    def test_plan_is_independent_of_input_order(
        self, accts: list[Account], rnd: random.Random
    ) -> None:
        """Shuffling accounts and their records gives the same plan, byte for byte."""
        as_of = date(2026, 6, 1)
        mixed = [shuffled(a, rnd) for a in accts]
        rnd.shuffle(mixed)
        assert (
            STANDARD.plan(mixed, as_of=as_of).to_json()
            == STANDARD.plan(accts, as_of=as_of).to_json()
        )

    @settings(max_examples=60, deadline=None)
    @given(portfolios)
    def test_order_is_total(self, accts: list[Account]) -> None:
        """Actions are distinct and ordered by priority, highest first; states by account id."""
        plan = STANDARD.plan(accts, as_of=date(2026, 6, 1))
        keys = [(a.account, a.step, a.invoice) for a in plan.actions]
        assert len(set(keys)) == len(keys)
        priorities = [a.priority for a in plan.actions]
        assert priorities == sorted(priorities, reverse=True)
        ids = [s.account for s in plan.states]
        assert ids == sorted(ids)
        assert len(set(ids)) == len(accts)

    def test_plan_text_ignores_the_callers_decimal_context(self) -> None:
        """Priorities print the same under a tiny process-wide Decimal precision."""
        acct = account(invoice("1234.56 EUR", due="2026-10-01"))
        expected = STANDARD.plan([acct], as_of=date(2026, 11, 23)).to_json()
        with decimal.localcontext() as ctx:
            ctx.prec = 3
            assert STANDARD.plan([acct], as_of=date(2026, 11, 23)).to_json() == expected
        assert '"priority": "118.3456"' in expected


_NON_REPEATING = {s.name for t in STANDARD.checked.timelines for s in t.steps if s.every is None}


class TestReplay:
    @settings(max_examples=25, deadline=None)
    @given(accounts(max_invoices=4, currency="EUR").map(lambda a: attrs.evolve(a, activities=())))
    def test_replay_never_performs_a_step_twice_in_an_episode(self, acct: Account) -> None:
        """Planning day by day, logging each action, never repeats a step in an episode."""
        day = date(2026, 1, 1)
        log: list[Activity] = []
        episodes: dict[tuple[date | None, str, str | None], list[date]] = defaultdict(list)
        for _ in range(150):
            current = attrs.evolve(acct, activities=log)
            plan = STANDARD.plan([current], as_of=day)
            since = plan.state(acct.id).cycle_start
            for act in plan.actions:
                if act.due != day:  # rolled to a later business day: done then, not today
                    continue
                log.append(
                    Activity(
                        day,
                        act.logged_channel,
                        step=act.step,
                        timeline=act.timeline,
                        invoice=act.invoice,
                    )
                )
                if act.step in _NON_REPEATING:
                    episodes[(since, act.step, act.invoice)].append(day)
            day += timedelta(days=1)
        for (since, step, number), days in episodes.items():
            assert len(days) == 1, (since, step, number, days)
