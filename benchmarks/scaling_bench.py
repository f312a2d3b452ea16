"""Scaling check: how `Policy.plan` time grows with each dimension of a portfolio.

Five curves, each timed at doubling sizes (best of N taking turns, GC on) under
rules/standard.arc as of 2026-11-23, in CPU time of the process (`time.process_time`): on a
machine shared with other work, wall time drifts by tens of percent between runs, which is
enough to fake a slope; CPU time drifts much less (the garbage collector's work is in it).

- **accounts**: `plan_bench.generate(n)` (10 invoices per account on average);
- **invoices per account**: one account with *n* invoices, half of them paid by payments that
  name them, a tenth of the rest by unapplied cash;
- **promises x payments**: one account with *n* promises (kept, partially kept, broken, open,
  some in installments) and *n* payments, so a check of every promise against every payment
  shows as a slope of 2;
- **activities**: one overdue account with *n* logged activities (steps of the timeline in this
  episode and earlier ones, contacts, reviews);
- **disputes**: one account with *n* invoices and *n* disputes over them (a quarter resolved),
  and *n* / 4 reviews logged.

For each curve the report prints the times and the least-squares slope of log(time) against
log(size): 1 is linear, 2 quadratic. A slope above 1.1 is flagged as superlinear. The same
curve with the garbage collector off (a diagnostic line, not flagged) tells the collector's
share of a slope from the algorithm's: sorting alone gives about 1.05. The single-
account curves plan a few copies of the account (under distinct ids, each with records of its
own) so that the fixed cost of a call stays small against the cost that grows.

``--large`` plans instead one large account: 100,000 invoices (half paid by name, some by
unapplied cash) and 1,000 promises with their payments (GC on, CPU and wall time, one run).

Usage: ``python benchmarks/scaling_bench.py [--quick | --large]`` (``--quick``: smaller sizes,
2 runs).
"""

from __future__ import annotations

import gc
import math
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
from _timing import interleaved
from plan_bench import generate

from arcollect import (
    Account,
    Activity,
    Channel,
    Dispute,
    Installment,
    Invoice,
    Money,
    Outcome,
    Payment,
    Promise,
)
from arcollect.policy import Policy, load_policy

ROOT = Path(__file__).parent.parent
AS_OF = date(2026, 11, 23)
TARGET = 1.1
COPIES = 4


def _day(offset: int) -> date:
    return AS_OF + timedelta(days=offset)


def _eur(cents: int) -> Money:
    return Money(Decimal(cents).scaleb(-2), "EUR")


def _invoices(n: int, span: int = 700) -> list[Invoice]:
    """*n* invoices issued over the last *span* days, net 30, of 100.00 to 999.00 EUR."""
    out = []
    for k in range(n):
        issued = -span + (k * span) // n
        out.append(
            Invoice(f"INV-{k:06d}", _day(issued), _day(issued + 30), _eur(10_000 + k % 900 * 100))
        )
    return out


def many_invoices(n: int) -> Account:
    """One account with *n* invoices: half paid by name, a tenth of the rest by unapplied cash."""
    invoices = _invoices(n)
    payments = []
    for k, inv in enumerate(invoices):
        if k % 2 == 0:
            payments.append(Payment(inv.due, inv.amount, applies_to=(inv.number,)))
        elif k % 20 == 1:
            payments.append(Payment(min(inv.due + timedelta(days=5), AS_OF), inv.amount))
    return Account("BIG", "EUR", invoices=invoices, payments=payments)


def many_promises(n: int) -> Account:
    """One account with *n* promises and *n* payments, on 100 invoices."""
    invoices = _invoices(100)
    promises = []
    payments = []
    for k in range(n):
        made = -700 + (k * 690) // n
        cents = 50_000
        kind = k % 5
        if kind == 4 and made < -20:  # in two installments
            parts = (
                Installment(_day(made + 5), _eur(25_000)),
                Installment(_day(made + 10), _eur(25_000)),
            )
            promises.append(Promise(_day(made), _eur(cents), _day(made + 10), installments=parts))
        else:
            promises.append(Promise(_day(made), _eur(cents), _day(made + 7), grace_days=k % 3))
        paid = (cents, cents // 2, 0, cents, cents // 2)[kind]
        payments.append(Payment(_day(min(made + 3, 0)), _eur(max(paid, 100))))
    return Account("BIG", "EUR", invoices=invoices, payments=payments, promises=promises)


_STEPS = ("courtesy", "reminder", "first_call", "follow_up", "demand", "hold", None, None)
_CHANNELS = (Channel.EMAIL, Channel.EMAIL, Channel.CALL, Channel.EMAIL, Channel.LETTER)


def many_activities(n: int) -> Account:
    """One overdue account with *n* activities: steps, contacts and reviews over two years."""
    invoices = _invoices(20, span=120)
    acts = []
    for k in range(n):
        on = _day(-730 + (k * 729) // n)
        step = _STEPS[k % len(_STEPS)]
        channel = Channel.REVIEW if k % 17 == 0 else _CHANNELS[k % len(_CHANNELS)]
        timeline = ("standard", None, "legacy")[k % 3]
        acts.append(Activity(on, channel, step=step, outcome=Outcome.REACHED, timeline=timeline))
    return Account("BIG", "EUR", invoices=invoices, activities=acts)


def many_disputes(n: int) -> Account:
    """One account with *n* invoices and *n* disputes over them, and *n* / 4 reviews."""
    invoices = _invoices(n)
    disputes = []
    for k, inv in enumerate(invoices):
        resolved = inv.due + timedelta(days=10) if k % 4 == 0 else None
        disputes.append(Dispute(inv.issued, invoices=(inv.number,), resolved=resolved, id=f"D{k}"))
    reviews = [Activity(_day(-700 + (k * 4 * 690) // n), Channel.REVIEW) for k in range(n // 4)]
    return Account("BIG", "EUR", invoices=invoices, disputes=disputes, activities=reviews)


def copies(build: Callable[[int], Account]) -> Callable[[int], list[Account]]:
    """Return a builder of `COPIES` accounts like ``build(n)``, under distinct ids.

    Each copy is built on its own, with records of its own, as the accounts of a portfolio
    have: copies sharing one account's records would make the heap a quarter of what the
    records are, and the collector's share of a plan four times what it is in a portfolio.
    """

    def accounts(n: int) -> list[Account]:
        return [attrs.evolve(build(n), id=f"BIG-{c}") for c in range(COPIES)]

    return accounts


def slope(sizes: Sequence[int], times: Sequence[float]) -> float:
    """Return the least-squares slope of log(time) against log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(t) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
        (x - mx) ** 2 for x in xs
    )


def curve(
    policy: Policy, build: Callable[[int], list[Account]], sizes: Sequence[int], runs: int
) -> tuple[list[float], list[float]]:
    """Return the best plan time at each size, GC on and GC off (all taking turns)."""
    portfolios = [build(n) for n in sizes]
    for accounts in portfolios:  # every account plans without an error
        errors = [s.account for s in policy.plan(accounts, as_of=AS_OF).states if s.error]
        if errors:
            raise SystemExit(f"plan failed for {errors[0]}")

    def on(accounts: list[Account]) -> Callable[[], object]:
        return lambda: policy.plan(accounts, as_of=AS_OF)

    def off(accounts: list[Account]) -> Callable[[], object]:
        def run() -> object:
            gc.disable()
            try:
                return policy.plan(accounts, as_of=AS_OF)
            finally:
                gc.enable()

        return run

    fns = [on(a) for a in portfolios] + [off(a) for a in portfolios]
    times = interleaved(runs, *fns, clock=time.process_time)
    return times[: len(sizes)], times[len(sizes) :]


def large_account() -> Account:
    """One account with 100,000 invoices and 1,000 promises (and their payments)."""
    big = many_invoices(100_000)
    promised = many_promises(1_000)
    return attrs.evolve(
        big,
        payments=(*big.payments, *promised.payments),
        promises=promised.promises,
    )


def large(policy: Policy) -> None:
    """Plan the large account once and print the time."""
    acct = large_account()
    wall, cpu = time.perf_counter(), time.process_time()
    plan = policy.plan([acct], as_of=AS_OF)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    if plan.states[0].error:
        raise SystemExit(f"plan failed: {plan.states[0].error}")
    print(
        f"one account, {len(acct.invoices):,} invoices, {len(acct.payments):,} payments,"
        f" {len(acct.promises):,} promises: plan {wall:.2f} s wall, {cpu:.2f} s CPU (GC on)"
    )


def main(argv: Sequence[str]) -> None:
    """Time every curve and print its slope."""
    if "--large" in argv:
        large(load_policy(ROOT / "rules" / "standard.arc"))
        return
    quick = "--quick" in argv
    runs = 2 if quick else 5
    policy = load_policy(ROOT / "rules" / "standard.arc")
    base = (500, 1_000, 2_000) if quick else (1_000, 2_000, 4_000, 8_000)
    accounts = (1_000, 2_000, 4_000) if quick else (2_500, 5_000, 10_000, 20_000)
    activities = tuple(4 * n for n in base)
    curves: list[tuple[str, Callable[[int], list[Account]], tuple[int, ...]]] = [
        ("accounts", generate, accounts),
        ("invoices per account", copies(many_invoices), base),
        ("promises x payments", copies(many_promises), base),
        ("activities", copies(many_activities), activities),
        ("disputes", copies(many_disputes), base),
    ]
    print(
        f"plan CPU time against size, rules/standard.arc as of {AS_OF}"
        f" (best of {runs}, taking turns, GC on)"
    )
    flagged = []
    for name, build, sizes in curves:
        times, no_gc = curve(policy, build, sizes, runs)
        s = slope(sizes, times)
        flag = "  SUPERLINEAR" if s > TARGET else ""
        points = ", ".join(f"{n:,}: {t * 1000:,.0f} ms" for n, t in zip(sizes, times, strict=True))
        print(f"  {name:<21} slope {s:.2f}{flag}  ({points})")
        points = ", ".join(f"{t * 1000:,.0f}" for t in no_gc)
        print(f"  {'':<21} GC off: slope {slope(sizes, no_gc):.2f}  ({points} ms)")
        if flag:
            flagged.append(name)
    verdict = f"superlinear: {', '.join(flagged)}" if flagged else "none superlinear"
    print(f"  target: slope at most {TARGET}; {verdict}")


if __name__ == "__main__":
    main(sys.argv[1:])
