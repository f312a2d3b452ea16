"""Back-tests (`arcollect.simulate`): history replayed day by day under a policy."""

from __future__ import annotations

from datetime import date

from arcollect.policy import Policy, parse_policy
from arcollect.simulate import backtest
from arcollect.testing import account, invoice, payment


def _policy(text: str) -> Policy:
    return parse_policy(text, name="scenario.arc")


class TestBacktest:
    def test_backtest_keys_invoices_by_account(self) -> None:
        """Two accounts with an INV-1 each are counted apart, in any order."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 10 days past due email "a"\n'
        )
        a = account(
            invoice("100 EUR", due="2026-10-01"), payment("100 EUR", on="2026-10-02"), id="A"
        )
        b = account(
            invoice("100 EUR", due="2026-10-05"), payment("100 EUR", on="2026-11-30"), id="B"
        )
        start, end = date(2026, 9, 25), date(2026, 10, 31)
        for accts in ([a, b], [b, a]):
            (step,) = backtest(policy, accts, start, end).steps
            assert step.paid_before == 1
