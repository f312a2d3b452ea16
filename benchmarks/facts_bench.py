"""Benchmark: `facts()` over a generated portfolio, against a hand-written baseline.

The baseline computes only open, overdue and days past due straight from the records, with
Decimal and the same oldest-due-first application (what any hand-rolled AR script would do);
`facts()` derives everything a policy can read. Both run in the same process on the same data,
and the report gives their ratio. Usage: ``python benchmarks/facts_bench.py [ACCOUNTS]``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal

from _timing import interleaved

from arcollect import Account, Invoice, Money, Payment, facts

AS_OF = date(2026, 11, 23)


def generate(n_accounts: int, seed: int = 7) -> list[Account]:
    """Return *n_accounts* accounts with 10 invoices and about 6 payments each (seeded)."""
    rnd = random.Random(seed)
    accounts = []
    for a in range(n_accounts):
        invoices = []
        payments = []
        for i in range(10):
            issued = AS_OF - timedelta(days=rnd.randint(0, 200))
            amount = Money(Decimal(rnd.randint(100, 10**6)).scaleb(-2), "EUR")
            number = f"I{a}-{i}"
            invoices.append(
                Invoice(number, issued=issued, due=issued + timedelta(days=30), amount=amount)
            )
            if rnd.random() < 0.6:
                paid_on = issued + timedelta(days=rnd.randint(10, 90))
                payments.append(Payment(paid_on, amount, applies_to=(number,)))
        accounts.append(Account(f"C-{a}", "EUR", invoices=invoices, payments=payments))
    return accounts


def baseline(account: Account, as_of: date) -> tuple[Decimal, Decimal, int]:
    """Open, overdue and days past due, hand-written."""
    open_amt = {i.number: i.amount.amount for i in account.invoices if i.issued <= as_of}
    for p in sorted(account.payments, key=lambda p: p.date):
        if p.date > as_of:
            continue
        left = p.amount.amount
        for n in p.applies_to:
            if n in open_amt and left > 0:
                take = min(open_amt[n], left)
                open_amt[n] -= take
                left -= take
    dues = {i.number: i.due for i in account.invoices}
    total = sum(open_amt.values(), Decimal(0))
    overdue_items = [n for n, v in open_amt.items() if v > 0 and dues[n] < as_of]
    overdue = sum((open_amt[n] for n in overdue_items), Decimal(0))
    dpd = max(((as_of - dues[n]).days for n in overdue_items), default=0)
    return total, overdue, dpd


def main(argv: Sequence[str]) -> None:
    """Run the benchmark and print the report."""
    n = int(argv[0]) if argv else 5_000
    accounts = generate(n)
    for a in accounts[:200]:  # the two agree where they overlap
        f = facts(a, AS_OF)
        if baseline(a, AS_OF) != (f.balance.amount, f.overdue.amount, f.days_past_due):
            raise SystemExit(f"baseline and facts() disagree on account {a.id}")
    t_base, t_facts = interleaved(
        3,
        lambda: [baseline(a, AS_OF) for a in accounts],
        lambda: [facts(a, AS_OF) for a in accounts],
    )
    print(f"accounts: {n:,} (10 invoices each)")
    print(f"baseline (open, overdue, dpd): {t_base:.3f} s")
    print(f"facts() (everything):          {t_facts:.3f} s")
    print(f"ratio facts / baseline:        {t_facts / t_base:.2f}x")


if __name__ == "__main__":
    main(sys.argv[1:])
