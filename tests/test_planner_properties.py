"""Engine invariants: determinism, total order, no step twice; policy tests; the demo data."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Activity
from arcollect.data import demo_policy_text
from arcollect.expect import run_expects
from arcollect.policy import load_policy, parse_policy
from strategies import accounts

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")

portfolios = st.lists(
    accounts(max_invoices=4, currency="EUR"), min_size=1, max_size=5, unique_by=lambda a: a.id
)


def _shuffled(acct: Account, rnd: random.Random) -> Account:
    def mix(xs: tuple[Any, ...]) -> list[Any]:
        ys = list(xs)
        rnd.shuffle(ys)
        return ys

    return attrs.evolve(
        acct,
        invoices=mix(acct.invoices),
        payments=mix(acct.payments),
        activities=mix(acct.activities),
        promises=mix(acct.promises),
        disputes=mix(acct.disputes),
        contacts=mix(acct.contacts),
    )


class TestDeterminism:
    @settings(max_examples=60, deadline=None)
    @given(portfolios, st.randoms(use_true_random=False))
    def test_plan_is_independent_of_input_order(
        self, accts: list[Account], rnd: random.Random
    ) -> None:
        """Shuffling accounts and their records gives the same plan, byte for byte."""
        as_of = date(2026, 6, 1)
        shuffled = [_shuffled(a, rnd) for a in accts]
        rnd.shuffle(shuffled)
        assert (
            STANDARD.plan(shuffled, as_of=as_of).to_json()
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
        for (since, step, invoice), days in episodes.items():
            assert len(days) == 1, (since, step, invoice, days)


class TestPolicyTests:
    def test_design_examples_pass(self) -> None:
        """The three expect blocks of the standard policy pass."""
        report = run_expects(STANDARD)
        assert [(c.name, c.passed) for c in report.cases] == [
            ("a promise pauses escalation", True),
            ("old debt goes to the agency", True),
            ("big balances come first", True),
        ]

    def test_a_failing_expectation_says_what_the_plan_did(self) -> None:
        """An expect block the plan contradicts fails with what was expected and what happened."""
        policy = parse_policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
            "  step first_call 10 days past due call\n"
            'expect "wrong" as of 2026-11-23\n  account\n    invoice 100 EUR due 2026-11-20\n'
            "  then step first_call\n",
            name="t.arc",
        )
        (case,) = run_expects(policy).cases
        assert case.failures == ("expected step first_call, got reminder (email)",)

    def test_coverage_lists_steps_no_case_reached(self) -> None:
        """Steps that no expect block reaches are reported."""
        report = run_expects(STANDARD)
        assert "standard.courtesy" in report.untested_steps
        assert "standard.agency" not in report.untested_steps


class TestDemoData:
    def test_demo_policy_is_the_standard_policy_in_dollars(self) -> None:
        """The bundled USD policy says what rules/standard.arc says, in USD."""
        standard = (ROOT / "rules" / "standard.arc").read_text(encoding="utf-8")
        expected = standard.replace(" EUR", " USD").replace(
            'policy "Standard B2B" version 3', 'policy "Standard B2B (USD)" version 3'
        )
        text = demo_policy_text()
        assert text.split("\n", 2)[2] == expected
        assert parse_policy(text, name="usd.arc").checked.currency == "USD"

    def test_demo_data_is_the_shared_data_set(self) -> None:
        """The bundled CSV is a faithful copy of ../shared/data."""
        from arcollect.data import ibm_csv_text  # noqa: PLC0415

        shared = ROOT.parent / "shared" / "data" / "ibm-accounts-receivable.csv"
        assert ibm_csv_text() == shared.read_text(encoding="utf-8")
