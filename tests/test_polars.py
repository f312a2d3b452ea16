"""Plan.to_polars, with the optional polars extra (in the dev extra, so CI always has it)."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from arcollect import Account, Contact, Invoice, Money
from arcollect.cli import demo_plan
from arcollect.engine.model import PlannedAction
from arcollect.errors import ArcollectError
from arcollect.policy import load_policy

pl = pytest.importorskip("polars")


class TestToPolars:
    def test_dtypes(self) -> None:
        """One row per action with Date, Enum, Categorical, Boolean and exact Decimal columns."""
        _, _, plan = demo_plan()
        frame = plan.to_polars()
        assert frame.columns == list(PlannedAction.RECORD_KEYS)
        assert frame.height == len(plan.actions)
        assert frame.schema["due"] == pl.Date
        assert frame.schema["deferred"] == pl.Boolean
        assert frame.schema["tier"] == pl.Categorical
        assert isinstance(frame.schema["action"], pl.Enum)
        assert isinstance(frame.schema["priority"], pl.Decimal)
        assert frame["priority"].to_list() == [a.priority for a in plan.actions]
        assert frame["due"].to_list() == [a.due for a in plan.actions]
        assert frame["channel"].to_list() == [a.channel.value for a in plan.actions]
        assert frame["explanation"].to_list()[0] == list(plan.actions[0].explanation)

    def test_contact_struct(self) -> None:
        """The contact is a struct with its name, role, phone and e-mail."""
        policy = load_policy("rules/standard.arc")
        jane = Contact("Jane Roe", roles=["accounts_payable"], email="jane@acme.example")
        acct = Account(
            "C-1",
            "EUR",
            contacts=[jane],
            invoices=[
                Invoice("I-1", issued=_day("2026-09-01"), due=_day("2026-10-01"),
                        amount=Money(5000, "EUR")),
            ],
        )  # fmt: skip
        plan = policy.plan([acct], as_of=_day("2026-10-02"))
        assert plan.actions, "the standard policy plans a reminder a day after the due date"
        frame = plan.to_polars()
        first = frame["contact"].to_list()[0]
        assert first == plan.to_records(typed=True)[0]["contact"]
        assert isinstance(frame.schema["contact"], pl.Struct)

    def test_empty_plan(self) -> None:
        """A plan without actions is an empty frame with the same columns and dtypes."""
        _, _, plan = demo_plan()
        empty = type(plan)(plan.as_of, plan.policy, (), ())
        frame = empty.to_polars()
        assert frame.height == 0
        assert frame.columns == list(PlannedAction.RECORD_KEYS)
        assert frame.schema["due"] == pl.Date

    def test_missing_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without polars the error names the extra to install."""
        _, _, plan = demo_plan()
        monkeypatch.setitem(sys.modules, "polars", None)
        with pytest.raises(ArcollectError) as info:
            plan.to_polars()
        assert str(info.value) == "Plan.to_polars needs polars: pip install 'arcollect[polars]'"


def _day(text: str) -> date:
    return date.fromisoformat(text)
