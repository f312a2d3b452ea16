"""Notebook-friendly results: short reprs, bounded HTML, typed records."""

from __future__ import annotations

import sys
from datetime import date
from decimal import Decimal

import attrs
import pytest

from arcollect import ArcollectError, Plan, parse_ibm_csv
from arcollect.cli import demo_plan
from arcollect.data import ibm_csv_text
from arcollect.simulate import backtest


class TestPlanRepr:
    def test_short_repr(self) -> None:
        """A plan's repr counts actions, accounts and errors instead of printing them."""
        _, _, plan = demo_plan()
        errors = sum(1 for s in plan.states if s.error)
        assert repr(plan) == (
            f"<Plan 2012-03-16 {plan.policy!r}: {len(plan.actions)} actions, "
            f"{len(plan.states)} accounts, {errors} errors>"
        )

    def test_html_of_a_10000_account_plan_is_small(self) -> None:
        """The HTML of a 10,000-account plan stays under 20 KB and says how many are left out."""
        _, _, plan = demo_plan()
        act = plan.actions[0]
        state = plan.states[0]
        actions = tuple(attrs.evolve(act, account=f"A{i}") for i in range(10_000))
        states = tuple(attrs.evolve(state, account=f"A{i}") for i in range(10_000))
        big = Plan(plan.as_of, plan.policy, actions, states)
        page = big._repr_html_()
        assert len(page.encode()) < 20_000
        assert f"... and {10_000 - Plan.HTML_ROWS} more actions" in page
        assert "<details><summary>why</summary>" in page

    def test_html_escapes(self) -> None:
        """Text in the HTML is escaped."""
        _, _, plan = demo_plan()
        odd = Plan(plan.as_of, "<script>", plan.actions[:1], plan.states)
        assert "<script>" not in odd._repr_html_()
        assert "&lt;script&gt;" in odd._repr_html_()

    def test_typed_records(self) -> None:
        """Typed records keep Decimal, date and the contact as a dict; plain ones stay text."""
        _, _, plan = demo_plan()
        typed = plan.to_records(typed=True)[0]
        plain = plan.to_records()[0]
        assert isinstance(typed["priority"], Decimal)
        assert isinstance(typed["due"], date)
        assert plain["due"] == typed["due"].isoformat()
        act = plan.actions[0]
        if act.contact is not None:
            assert typed["contact"] == {
                "name": act.contact.name,
                "role": act.contact.role,
                "phone": act.contact.phone,
                "email": act.contact.email,
            }


class TestOtherReprs:
    def test_action_and_state(self) -> None:
        """Actions and states have one-line reprs naming the account."""
        _, _, plan = demo_plan()
        act = plan.actions[0]
        assert repr(act).startswith(f"<PlannedAction {act.account} {act.step}: ")
        st = plan.state(act.account)
        assert repr(st) == (
            f"<AccountState {st.account}: overdue {st.overdue}, "
            f"step {st.step_reached or '-'}, next {st.next_step or '-'}>"
        )
        assert "<table>" in st._repr_html_()

    def test_backtest(self) -> None:
        """A back-test report's repr counts its actions and steps."""
        policy, _, _ = demo_plan()
        accounts = parse_ibm_csv(ibm_csv_text())[:5]
        rep = backtest(policy, accounts, date(2012, 3, 1), date(2012, 3, 5))
        assert repr(rep) == (
            f"<BacktestReport {rep.policy!r} 2012-03-01 to 2012-03-05: {rep.actions} actions, "
            f"{len(rep.steps)} steps, 5 accounts>"
        )
        assert rep._repr_html_().startswith("<p>&lt;BacktestReport")


class TestPandasMissing:
    def test_clear_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pandas, to_pandas raises an ArcollectError naming the extra."""
        monkeypatch.setitem(sys.modules, "pandas", None)
        _, _, plan = demo_plan()
        with pytest.raises(ArcollectError) as info:
            plan.to_pandas()
        assert str(info.value) == "Plan.to_pandas needs pandas: pip install 'arcollect[pandas]'"
