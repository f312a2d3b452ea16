"""Tests of arcollect.engine.planner: accounts that cannot be planned are reported, located."""

from __future__ import annotations

from datetime import date

import pytest

from arcollect import DataError, facts, parse_policy
from arcollect.errors import EvaluationError
from arcollect.testing import account, invoice

AS_OF = date(2026, 11, 23)

RATIO = parse_policy(
    """
policy "Ratio" version 1
timeline t for all
  step reminder 1 day past due email "r" when overdue / current > 2
""",
    name="ratio.arc",
)


class TestFailedAccounts:
    def test_division_by_zero_names_the_expression_and_the_account(self) -> None:
        """An account without current money cannot be divided by it: its state says where."""
        bad = account(invoice("100 EUR", due="2026-11-01"), id="C-BAD")
        good = account(
            invoice("100 EUR", due="2026-11-01"), invoice("10 EUR", due="2026-12-10"), id="C-OK"
        )
        plan = RATIO.plan([bad, good], as_of=AS_OF)
        assert plan.state("C-BAD").error == (
            "cannot evaluate the policy for this account: ratio.arc:4:47: cannot evaluate "
            "`overdue / current > 2` for account 'C-BAD': division by zero"
        )
        assert [a.account for a in plan.actions] == ["C-OK"]
        assert str(plan.state("C-BAD").overdue) == "100.00 EUR"

    def test_amounts_of_two_currencies_are_never_equal(self) -> None:
        """Without a currency line, ``overdue == 0 EUR`` on a USD account is an error, as ``>`` is.

        Regression: equality across currencies was silently false.
        """
        policy = parse_policy(
            """
policy "Eq" version 1
timeline t for all
  step reminder 1 day past due email "r" unless overdue == 0 EUR
""",
            name="eq.arc",
        )
        usd = account(invoice("100 USD", due="2026-11-01"), id="C-USD")
        state = policy.plan([usd], as_of=AS_OF).state("C-USD")
        assert state.error == (
            "cannot evaluate the policy for this account: eq.arc:4:49: cannot evaluate "
            "`overdue == 0 EUR` for account 'C-USD': cannot compare USD with EUR"
        )


class TestTrace:
    def test_interpreter_errors_are_located_evaluation_errors(self) -> None:
        """Tracing an expression that divides by zero raises a located EvaluationError.

        Regression: ``Policy.explain`` leaked ``decimal.DivisionByZero``.
        """
        from arcollect import facts  # noqa: PLC0415

        expr = RATIO.checked.timelines[0].steps[0].when
        assert expr is not None
        f = facts(account(invoice("100 EUR", due="2026-11-01"), id="C-BAD"), AS_OF)
        with pytest.raises(EvaluationError) as info:
            RATIO.trace(expr, f)
        exc = info.value
        assert (exc.source_name, exc.account) == ("ratio.arc", "C-BAD")
        assert exc.span is not None
        assert (exc.span.line, exc.span.column) == (4, 47)


class TestArguments:
    def test_a_date_that_is_not_a_date_is_a_data_error_naming_the_argument(self) -> None:
        """Planning or deriving facts as of a string says so, as an error of ours."""
        acct = account(invoice("10 EUR", due="2026-11-01"))
        with pytest.raises(DataError) as plan_error:
            RATIO.plan([acct], as_of="2026-11-23")  # type: ignore[arg-type]
        with pytest.raises(DataError) as facts_error:
            facts(acct, "2026-11-23")  # type: ignore[arg-type]
        for exc in (plan_error, facts_error):
            assert [str(p) for p in exc.value.problems] == [
                "as_of: expected a datetime.date, got '2026-11-23'"
            ]
