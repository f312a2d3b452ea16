"""Collection KPIs: DSO and its variants, average days delinquent, CEI, promises kept, aging.

The formulas are pure and exact: every argument is `Money` or a `Decimal` (or an int), all
amounts of one call in one currency (`CurrencyMismatchError` otherwise), and every result is a
`Decimal` computed in `MONEY_CONTEXT` (60 significant digits, half-even), never the caller's
Decimal context. Round for display only. Bad input raises `DataError` whose path is the name of
the argument.

Published sources disagree on the same numbers, so each variant has its own name:

=========================  ===============================================================
`dso`                      period method: receivables / credit sales x days
`dso_average`              Credit Research Foundation: sum of month-end receivables x days
                           per month / credit sales of those months
`dso_countback`            countback (exhaustion): months of sales, newest first, until the
                           receivables are used up
`best_possible_dso`        current (not yet due) receivables / credit sales x days
`average_days_delinquent`  DSO - best possible DSO
`cei`                      collection effectiveness index, percent; ``months=`` for the
                           CRF/creditguru variant that uses average monthly credit sales
`promise_kept_rate`        kept promises / judged promises, percent
`percent_current`          current receivables / total receivables, percent
`bucket_shares`            each aging bucket's share of the total, percent
=========================  ===============================================================

>>> dso(Decimal(15_000), Decimal(10_000), 30)
Decimal('45')
>>> cei(6200, 10890, 6340, 3590).quantize(Decimal("0.1"))
Decimal('79.6')
>>> cei(6200, 10890, 6340, 3590, months=3).quantize(Decimal("0.1"))
Decimal('55.9')
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import TypeAlias

from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.errors import CurrencyMismatchError, DataError
from arcollect.facts import PromiseFacts, PromiseStatus

__all__ = [
    "Amount",
    "average_days_delinquent",
    "best_possible_dso",
    "bucket_shares",
    "cei",
    "dso",
    "dso_average",
    "dso_countback",
    "percent_current",
    "promise_kept_rate",
]

#: What a formula accepts for an amount: Money, or a plain number (Decimal or int).
Amount: TypeAlias = Money | Decimal | int

_HUNDRED = Decimal(100)
_ZERO = Decimal(0)


class _Currency:
    """The one currency of a formula's Money arguments, checked as they are read."""

    __slots__ = ("code", "first")

    def __init__(self) -> None:
        self.code: str | None = None
        self.first = ""

    def amount(self, value: object, name: str) -> Decimal:
        """Return *value* (the argument *name*) as a Decimal, checking its type and currency."""
        if isinstance(value, Money):
            if self.code is None:
                self.code, self.first = value.currency, name
            elif value.currency != self.code:
                raise CurrencyMismatchError(
                    f"KPI arguments must share one currency: {self.first} is {self.code}, "
                    f"{name} is {value.currency}"
                )
            return value.amount
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            got = f"the float {value!r}" if isinstance(value, float) else type(value).__name__
            raise DataError.at(name, f"expected an exact amount (Money, Decimal or int), got {got}")
        dec = Decimal(value)
        if not dec.is_finite():
            raise DataError.at(name, f"expected a finite amount, got {value}")
        return dec


def _sequence(value: object, name: str, what: str) -> Sequence[object]:
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise DataError.at(name, f"expected a sequence of {what}, got {type(value).__name__}")
    return value


def _days(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise DataError.at(name, f"expected a whole number of days, got {value!r}")
    if value <= 0:
        raise DataError.at(name, f"expected a number of days above zero, got {value}")
    return value


def _sales(value: Decimal, name: str) -> Decimal:
    """Check credit sales that a formula divides by: above zero."""
    if value <= 0:
        raise DataError.at(
            name, f"expected credit sales above zero (the formula divides by them), got {value}"
        )
    return value


def dso(receivables: Amount, credit_sales: Amount, days: int) -> Decimal:
    """Return days sales outstanding by the period method: ``receivables / credit_sales x days``.

    *receivables* is the total open at the end of the period, *credit_sales* the credit sales
    of the *days* days of the period. Sources: creditguru.com ("Regular DSO", Average Days
    Delinquent page), accountingtools.com, trymesha.com's "simple method".

    >>> dso(Decimal(150_000), Decimal(1_800_000), 365).quantize(Decimal("0.1"))
    Decimal('30.4')
    """
    cur = _Currency()
    ar = cur.amount(receivables, "receivables")
    sales = _sales(cur.amount(credit_sales, "credit_sales"), "credit_sales")
    n = _days(days, "days")
    with decimal.localcontext(MONEY_CONTEXT):
        return ar * n / sales


def dso_average(
    month_end_receivables: Sequence[Amount], credit_sales: Amount, days_per_month: int = 30
) -> Decimal:
    """Return the DSO in the Credit Research Foundation's form: mean receivables / daily sales.

    ``sum(month_end_receivables) x days_per_month / credit_sales``, where *credit_sales* are the
    sales of the months whose ends are given. The CRF's quarterly survey asks for the ending
    total receivables of each of the three months and the credit sales of the quarter and uses
    30 days per month; with one month it is the period method over 30 days.

    No worked figure is published with the CRF's survey form; the tests use hand-computed
    values (and check it equals `dso` over one month).

    >>> dso_average([Decimal(6200), Decimal(6000), Decimal(6340)], Decimal(10890)).quantize(
    ...     Decimal("0.01"))
    Decimal('51.07')
    """
    cur = _Currency()
    items = _sequence(month_end_receivables, "month_end_receivables", "amounts")
    if not items:
        raise DataError.at("month_end_receivables", "expected at least one month-end amount")
    ends = [cur.amount(v, f"month_end_receivables[{i}]") for i, v in enumerate(items)]
    sales = _sales(cur.amount(credit_sales, "credit_sales"), "credit_sales")
    n = _days(days_per_month, "days_per_month")
    with decimal.localcontext(MONEY_CONTEXT):
        return sum(ends, _ZERO) * n / sales


def dso_countback(receivables: Amount, monthly_sales: Sequence[tuple[Amount, int]]) -> Decimal:
    """Return the DSO by the countback (exhaustion) method.

    *monthly_sales* is a sequence of ``(credit_sales, days_in_month)``, oldest first and newest
    last. From the newest month back, each month whose sales the receivables still cover adds
    its days and its sales are taken off; the first month they do not cover adds the fraction
    ``left / sales`` of its days, and the count stops. Receivables of zero or less give 0.
    Receivables that the months given do not exhaust are an error (give more months).

    Source: benjipays.com, "Mastering DSO Calculation: The Count-Back Method Explained" and
    trymesha.com (sales 70,000, 80,000, 100,000; receivables 212,000: 73.7 days).

    >>> dso_countback(Decimal(212_000), [(Decimal(70_000), 30), (Decimal(80_000), 30),
    ...                                   (Decimal(100_000), 30)]).quantize(Decimal("0.1"))
    Decimal('73.7')
    """
    cur = _Currency()
    left = cur.amount(receivables, "receivables")
    months: list[tuple[Decimal, int]] = []
    for i, pair in enumerate(_sequence(monthly_sales, "monthly_sales", "(sales, days) pairs")):
        path = f"monthly_sales[{i}]"
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise DataError.at(path, f"expected a pair (sales, days in month), got {pair!r}")
        sales = cur.amount(pair[0], f"{path}[0]")
        if sales < 0:
            raise DataError.at(f"{path}[0]", f"expected credit sales of 0 or more, got {sales}")
        months.append((sales, _days(pair[1], f"{path}[1]")))
    total = _ZERO
    with decimal.localcontext(MONEY_CONTEXT):
        for sales, n in reversed(months):
            if left <= 0:
                return total
            if left >= sales:
                total += n
                left -= sales
            else:
                return total + left * n / sales
        if left > 0:
            raise DataError.at(
                "monthly_sales",
                f"the receivables are not exhausted by the {len(months)} months of sales given "
                f"({left} left); give more months",
            )
        return total


def best_possible_dso(current_receivables: Amount, credit_sales: Amount, days: int) -> Decimal:
    """Return the best possible DSO: ``current_receivables / credit_sales x days``.

    *current_receivables* are those not yet due: the DSO if every customer paid on its due
    date. Sources: creditguru.com, growfin.ai (8,000 current of 10,000 on 30,000 of sales over
    28 days: 7.47 days), The Hackett Group (same formula as the DSO, current balance on top).
    """
    cur = _Currency()
    current = cur.amount(current_receivables, "current_receivables")
    sales = _sales(cur.amount(credit_sales, "credit_sales"), "credit_sales")
    n = _days(days, "days")
    with decimal.localcontext(MONEY_CONTEXT):
        return current * n / sales


def average_days_delinquent(
    receivables: Amount, current_receivables: Amount, credit_sales: Amount, days: int
) -> Decimal:
    """Return the average days delinquent: ``dso - best_possible_dso``, both by the period method.

    Equal to ``(receivables - current_receivables) / credit_sales x days``: the overdue
    receivables in days of sales. Sources: creditguru.com (45 - 12 = 33 days),
    quadient.com (50 - 12 = 38 days).
    """
    cur = _Currency()
    ar = cur.amount(receivables, "receivables")
    current = cur.amount(current_receivables, "current_receivables")
    sales = _sales(cur.amount(credit_sales, "credit_sales"), "credit_sales")
    n = _days(days, "days")
    with decimal.localcontext(MONEY_CONTEXT):
        return ar * n / sales - current * n / sales


def cei(
    beginning_receivables: Amount,
    credit_sales: Amount,
    ending_receivables: Amount,
    ending_current: Amount,
    *,
    months: int | None = None,
) -> Decimal:
    """Return the collection effectiveness index, in percent: what was collected of what could be.

    ``(B + S - E) / (B + S - EC) x 100`` with *B* the receivables at the start of the period,
    *E* and *EC* the total and current (not yet due) receivables at its end, and *S*:

    - without *months* (the plain variant, accountingtools.com): the credit sales of the
      period;
    - with *months* (the variant of creditguru.com, after the CRF): the average monthly credit
      sales, ``credit_sales / months``.

    The two agree on one month and differ otherwise (creditguru's Jan-Mar example: 55.9% with
    ``months=3``, 79.6% plain). A denominator of zero or less (nothing to collect) is an error.
    """
    cur = _Currency()
    begin = cur.amount(beginning_receivables, "beginning_receivables")
    sales = cur.amount(credit_sales, "credit_sales")
    end = cur.amount(ending_receivables, "ending_receivables")
    end_current = cur.amount(ending_current, "ending_current")
    if sales < 0:
        raise DataError.at("credit_sales", f"expected credit sales of 0 or more, got {sales}")
    with decimal.localcontext(MONEY_CONTEXT):
        if months is not None:
            sales /= _days(months, "months")
        available = begin + sales - end_current
        if available <= 0:
            raise DataError.at(
                "ending_current",
                "nothing was available to collect: beginning receivables + credit sales - "
                f"ending current receivables is {available}",
            )
        return (begin + sales - end) * _HUNDRED / available


def promise_kept_rate(promises: Iterable[PromiseFacts | PromiseStatus]) -> Decimal | None:
    """Return kept promises over judged ones, in percent; None when no promise was judged.

    A promise is judged once it is kept, partially kept or broken (see `PromiseStatus`); open
    promises are left out, and a partially kept promise counts as not kept. No published
    figure: the tests use hand-computed values.
    """
    kept = judged = 0
    for i, p in enumerate(promises):
        status = p.status if isinstance(p, PromiseFacts) else p
        if not isinstance(status, PromiseStatus):
            raise DataError.at(
                f"promises[{i}]",
                f"expected PromiseFacts or a PromiseStatus, got {type(p).__name__}",
            )
        if status is PromiseStatus.OPEN:
            continue
        judged += 1
        kept += status is PromiseStatus.KEPT
    if not judged:
        return None
    with decimal.localcontext(MONEY_CONTEXT):
        return Decimal(kept) * _HUNDRED / judged


def percent_current(current_receivables: Amount, receivables: Amount) -> Decimal:
    """Return current (not yet due) receivables over total receivables, in percent.

    As the CRF's survey reports "percent current". No published worked figure: tests use
    hand-computed values.
    """
    cur = _Currency()
    current = cur.amount(current_receivables, "current_receivables")
    total = cur.amount(receivables, "receivables")
    if total <= 0:
        raise DataError.at("receivables", f"expected receivables above zero, got {total}")
    with decimal.localcontext(MONEY_CONTEXT):
        return current * _HUNDRED / total


def bucket_shares(amounts: Sequence[Amount]) -> tuple[Decimal, ...]:
    """Return each aging bucket's share of the buckets' total, in percent (they sum to 100).

    A total of zero or less is an error.
    """
    cur = _Currency()
    values = [cur.amount(v, f"amounts[{i}]") for i, v in enumerate(amounts)]
    with decimal.localcontext(MONEY_CONTEXT):
        total = sum(values, _ZERO)
        if total <= 0:
            raise DataError.at("amounts", f"expected a total above zero, got {total}")
        return tuple(v * _HUNDRED / total for v in values)
