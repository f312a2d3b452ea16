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
import html
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Literal, TypeAlias, TypeVar, cast

import attrs

from arcollect._suggest import did_you_mean
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.engine.model import decimal_text
from arcollect.errors import ArcollectError, CurrencyMismatchError, DataError
from arcollect.facts import (
    DEFAULT_AGING_BOUNDS,
    AccountFacts,
    PromiseFacts,
    PromiseStatus,
    _aging_label,
    facts,
)

__all__ = [
    "NO_COLLECTOR",
    "Amount",
    "BucketFigure",
    "Grouping",
    "KpiFigures",
    "KpiReport",
    "average_days_delinquent",
    "best_possible_dso",
    "bucket_shares",
    "by_collector",
    "cei",
    "dso",
    "dso_average",
    "dso_countback",
    "percent_current",
    "promise_kept_rate",
    "report",
    "series",
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


# --------------------------------------------------------------------------------------------
# From a portfolio


@attrs.frozen
class BucketFigure:
    """One aging bucket across a portfolio: its open amount, invoice count and share (percent)."""

    label: str
    amount: Money
    count: int
    share: Decimal | None


#: The KPI fields of `KpiFigures`, with the variant each one is, for tables and records.
KPI_VARIANTS: dict[str, str] = {
    "dso": "period method: receivables / credit sales x days",
    "dso_average": "CRF: sum of 30-day month-end receivables x 30 / their sales",
    "dso_countback": "countback over 30-day months, newest first",
    "best_possible_dso": "current receivables / credit sales x days",
    "average_days_delinquent": "DSO - best possible DSO (period method)",
    "cei": "plain: the period's credit sales",
    "cei_monthly": "CRF: average monthly (30-day) credit sales",
    "percent_current": "current / open invoices, percent",
    "promise_kept_rate": "kept / judged in the period, percent",
}


@attrs.frozen
class KpiFigures:
    """The KPIs of one currency (and one group, when grouped) over the report's period.

    *receivables* is the net balance at the end of the period (open invoices less unapplied
    cash), *open* the open invoices alone, *current* those not yet due;
    *beginning_receivables* the net balance the day before the period began; *credit_sales*
    the net amount of invoices and credit notes issued in the period. A KPI whose denominator
    is zero is None. See `KPI_VARIANTS` for the variant each field is.
    """

    currency: str
    group: str | None
    accounts: int
    receivables: Money
    open: Money
    current: Money
    overdue: Money
    beginning_receivables: Money
    credit_sales: Money
    dso: Decimal | None
    dso_average: Decimal | None
    dso_countback: Decimal | None
    best_possible_dso: Decimal | None
    average_days_delinquent: Decimal | None
    cei: Decimal | None
    cei_monthly: Decimal | None
    percent_current: Decimal | None
    promises_judged: int
    promise_kept_rate: Decimal | None
    aging: tuple[BucketFigure, ...]

    def to_record(self, *, typed: bool = False) -> dict[str, Any]:
        """Return the figures as a flat dict: text (exact decimals) or, *typed*, Decimal and Money.

        Bucket amounts and shares come as ``aging[<label>]`` and ``share[<label>]``.
        """

        def num(value: Decimal | None) -> Any:
            if value is None or typed:
                return value
            return decimal_text(value)

        def amount(value: Money) -> Any:
            return value.amount if typed else decimal_text(value.amount)

        rec: dict[str, Any] = {
            "currency": self.currency,
            "group": self.group,
            "accounts": self.accounts,
            "receivables": amount(self.receivables),
            "open": amount(self.open),
            "current": amount(self.current),
            "overdue": amount(self.overdue),
            "beginning_receivables": amount(self.beginning_receivables),
            "credit_sales": amount(self.credit_sales),
        }
        rec.update({name: num(getattr(self, name)) for name in KPI_VARIANTS})
        rec["promises_judged"] = self.promises_judged
        for b in self.aging:
            rec[f"aging[{b.label}]"] = amount(b.amount)
            rec[f"share[{b.label}]"] = num(b.share)
        return rec


def _fmt(value: Decimal | None, places: str = "0.1") -> str:
    if value is None:
        return "-"
    return format(value.quantize(Decimal(places), context=MONEY_CONTEXT), "f")


@attrs.frozen
class KpiReport:
    """KPIs of a portfolio as of *as_of*, over the *period_days* days ending on it.

    *figures* holds one `KpiFigures` per currency (``group`` None: all its accounts) and, when
    grouped, one per currency and group after it. Currencies are never summed together.
    *buckets* are the aging bounds the figures were computed with. *notes* says, by KPI name,
    where a variant's window does not fit the period: a period shorter than the 30-day month
    that `dso_average` and `cei_monthly` average over leaves them None, and the countback
    counts 30-day months beyond it; a period that is not a whole number of 30-day months
    gives a `dso_average` over the whole months only.
    """

    as_of: date
    period_days: int
    start: date
    figures: tuple[KpiFigures, ...]
    buckets: tuple[int, ...] = DEFAULT_AGING_BOUNDS
    notes: Mapping[str, str] = attrs.field(factory=dict, hash=False)

    def get(self, currency: str, group: str | None = None) -> KpiFigures:
        """Return the figures of *currency* (and *group*)."""
        for f in self.figures:
            if f.currency == currency and f.group == group:
                return f
        have = ", ".join(f"{f.currency}/{f.group or '*'}" for f in self.figures) or "none"
        raise DataError.at("currency", f"no figures for {currency}/{group or '*'} (have {have})")

    def to_records(self, *, typed: bool = False) -> list[dict[str, Any]]:
        """Return one flat dict per `KpiFigures`, with the report's date and period."""
        head = {"as_of": self.as_of if typed else self.as_of.isoformat()}
        head["period_days"] = self.period_days  # type: ignore[assignment]
        return [{**head, **f.to_record(typed=typed)} for f in self.figures]

    def to_pandas(self) -> Any:
        """Return one row per `KpiFigures` as a pandas DataFrame (extra ``arcollect[pandas]``).

        The columns are those of `to_records`: ``as_of`` datetime64, ``currency`` and ``group``
        categories, ``accounts`` and ``promises_judged`` integers, and the amounts and KPIs
        exact Decimals (object; None where a KPI has no value).
        """
        try:
            import pandas as pd  # noqa: PLC0415 - optional, imported only when asked for
        except ImportError:
            raise ArcollectError(
                "KpiReport.to_pandas needs pandas: pip install 'arcollect[pandas]'"
            ) from None
        records = self.to_records(typed=True)
        frame = pd.DataFrame(records, columns=list(records[0]) if records else self.columns())
        frame["as_of"] = pd.to_datetime(frame["as_of"])
        for column in ("currency", "group"):
            if column in frame:
                frame[column] = frame[column].astype("category")
        for column in ("accounts", "promises_judged", "period_days"):
            if column in frame:
                frame[column] = frame[column].astype("int64")
        return frame

    def columns(self) -> list[str]:
        """Return the keys of `to_records`' dicts, in order, also when there are none.

        >>> report([], date(2026, 3, 31), buckets=[30]).columns()[-4:]
        ['aging[1-30]', 'share[1-30]', 'aging[over 30]', 'share[over 30]']
        """
        labels = ["current"] + [
            _aging_label(low + 1, high)
            for low, high in zip((0, *self.buckets), (*self.buckets, None), strict=True)
        ]
        amounts = ("receivables", "open", "current", "overdue", "beginning_receivables")
        return [
            "as_of", "period_days", "currency", "group", "accounts", *amounts, "credit_sales",
            *KPI_VARIANTS, "promises_judged",
            *(key for label in labels for key in (f"aging[{label}]", f"share[{label}]")),
        ]  # fmt: skip

    def render(self) -> str:
        """Return the report as a text table: one column per currency (and group), then notes."""
        cols = [f"{f.currency}" + (f" {f.group}" if f.group else "") for f in self.figures]
        rows: list[list[str]] = [["", *cols]]
        rows.append(["accounts", *(str(f.accounts) for f in self.figures)])
        amounts = ("receivables", "current", "overdue", "beginning_receivables", "credit_sales")
        rows += [[n, *(_fmt(getattr(f, n).amount, "0.01") for f in self.figures)] for n in amounts]
        rows += [[n, *(_fmt(getattr(f, n)) for f in self.figures)] for n in KPI_VARIANTS]
        rows.append(["promises_judged", *(str(f.promises_judged) for f in self.figures)])
        for k in range(len(self.figures[0].aging) if self.figures else 0):
            label = self.figures[0].aging[k].label
            rows.append(
                [
                    f"aging {label}",
                    *(
                        f"{_fmt(f.aging[k].amount.amount, '0.01')} ({_fmt(f.aging[k].share)}%)"
                        for f in self.figures
                    ),
                ]
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        head = f"KPIs as of {self.as_of}: {self.start} to {self.as_of} ({self.period_days} days)"
        lines = [head]
        lines += [
            "  ".join(
                cell.ljust(widths[c]) if c == 0 else cell.rjust(widths[c])
                for c, cell in enumerate(r)
            ).rstrip()
            for r in rows
        ]
        lines += [f"note: {name}: {text}" for name, text in self.notes.items()]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{f.currency}{'/' + f.group if f.group else ''} DSO {_fmt(f.dso)}"
            for f in self.figures[:6]
        )
        more = f", ... {len(self.figures) - 6} more" if len(self.figures) > 6 else ""
        return f"<KpiReport {self.as_of} ({self.period_days} days): {parts or 'no accounts'}{more}>"

    def _repr_html_(self) -> str:
        esc = html.escape
        cols = [f.currency + (f" {f.group}" if f.group else "") for f in self.figures]
        out = [
            (
                f"<table><caption>KPIs as of {esc(str(self.as_of))}, {self.period_days} days"
                "</caption><thead><tr><th></th>"
            ),
            *(f"<th>{esc(c)}</th>" for c in cols),
            "</tr></thead><tbody>",
        ]
        for name in ("receivables", "current", "overdue", "credit_sales"):
            cells = "".join(
                f"<td>{esc(_fmt(getattr(f, name).amount, '0.01'))}</td>" for f in self.figures
            )
            out.append(f"<tr><th>{esc(name)}</th>{cells}</tr>")
        for name, variant in KPI_VARIANTS.items():
            cells = "".join(f"<td>{esc(_fmt(getattr(f, name)))}</td>" for f in self.figures)
            out.append(
                f"<tr><th><details><summary>{esc(name)}</summary>{esc(variant)}</details></th>"
                f"{cells}</tr>"
            )
        for k in range(len(self.figures[0].aging) if self.figures else 0):
            label = self.figures[0].aging[k].label
            cells = "".join(
                f"<td>{esc(_fmt(f.aging[k].amount.amount, '0.01'))} "
                f"({esc(_fmt(f.aging[k].share))}%)</td>"
                for f in self.figures
            )
            out.append(f"<tr><th>aging {esc(label)}</th>{cells}</tr>")
        out.append("</tbody></table>")
        out += [f"<p>{esc(name)}: {esc(text)}</p>" for name, text in self.notes.items()]
        return "".join(out)


_MONTH = 30
_T = TypeVar("_T")


def _safe(fn: Callable[[], _T]) -> _T | None:
    """Return fn(), or None where its denominator is zero (no sales, nothing to collect)."""
    try:
        return fn()
    except DataError:
        return None


def _figures(  # noqa: PLR0917 - a private helper called twice, with every argument
    currency: str,
    group: str | None,
    accounts: Sequence[Account],
    as_of: date,
    period_days: int,
    bounds: tuple[int, ...],
) -> KpiFigures:
    start = as_of - timedelta(days=period_days - 1)
    cur = currency

    def at(day: date) -> list[AccountFacts]:
        return [facts(a, day, aging_bounds=bounds) for a in accounts]

    def balance(fs: Iterable[AccountFacts]) -> Decimal:
        return sum((f.balance.amount for f in fs), _ZERO)

    def sales(first: date, last: date) -> Decimal:
        return sum(
            (
                inv.amount.amount
                for a in accounts
                for inv in a.invoices
                if first <= inv.issued <= last
            ),
            _ZERO,
        )

    with decimal.localcontext(MONEY_CONTEXT):
        end = at(as_of)
        ar = balance(end)
        current = sum((f.current.amount for f in end), _ZERO)
        overdue = sum((f.overdue.amount for f in end), _ZERO)
        begin = balance(at(start - timedelta(days=1)))
        period_sales = sales(start, as_of)

        months = period_days // _MONTH
        dso_avg: Decimal | None = None
        if months:
            ends = [
                ar,
                *(balance(at(as_of - timedelta(days=_MONTH * k))) for k in range(1, months)),
            ]
            avg_sales = sales(as_of - timedelta(days=_MONTH * months - 1), as_of)
            dso_avg = _safe(lambda: dso_average(ends, avg_sales, _MONTH))

        # Countback over 30-day months back to the first invoice: net receivables never exceed
        # all the invoices issued, so the count always ends.
        issued = [inv.issued for a in accounts for inv in a.invoices if inv.issued <= as_of]
        monthly: list[tuple[Decimal, int]] = []
        if issued and ar > 0:
            last, left = as_of, ar
            while left > 0 and last >= min(issued):
                s = sales(last - timedelta(days=_MONTH - 1), last)
                monthly.append((s, _MONTH))
                left -= s
                last -= timedelta(days=_MONTH)
        countback = _safe(lambda: dso_countback(ar, monthly[::-1])) if ar > 0 else _ZERO

        judged = [
            p
            for f in end
            for p in f.promises
            if p.status is not PromiseStatus.OPEN
            and p.closed_on is not None
            and start <= p.closed_on <= as_of
        ]
        buckets = (
            [
                (b.label, sum((f.aging[k].amount.amount for f in end), _ZERO), b)
                for k, b in enumerate(end[0].aging)
            ]
            if end
            else []
        )
        counts = [sum(f.aging[k].count for f in end) for k in range(len(buckets))]
        open_total = sum((amt for _, amt, _ in buckets), _ZERO)
        shares = _safe(lambda: bucket_shares([amt for _, amt, _ in buckets])) if buckets else None

        def money(value: Decimal) -> Money:
            return Money(value, cur)

        return KpiFigures(
            currency=cur,
            group=group,
            accounts=len(accounts),
            receivables=money(ar),
            open=money(open_total),
            current=money(current),
            overdue=money(overdue),
            beginning_receivables=money(begin),
            credit_sales=money(period_sales),
            dso=_safe(lambda: dso(ar, period_sales, period_days)),
            dso_average=dso_avg,
            dso_countback=countback,
            best_possible_dso=_safe(lambda: best_possible_dso(current, period_sales, period_days)),
            average_days_delinquent=_safe(
                lambda: average_days_delinquent(ar, current, period_sales, period_days)
            ),
            cei=_safe(lambda: cei(begin, period_sales, ar, current)),
            # The period's sales per 30 days: a period of whole months divides by their number
            # (the CRF's form), any other by its exact length in 30-day months.
            cei_monthly=_safe(lambda: cei(begin, period_sales * _MONTH / period_days, ar, current))
            if months
            else None,
            percent_current=_safe(lambda: percent_current(current, open_total)),
            promises_judged=len(judged),
            promise_kept_rate=promise_kept_rate(judged),
            aging=tuple(
                BucketFigure(label, money(amt), counts[k], shares[k] if shares else None)
                for k, (label, amt, _) in enumerate(buckets)
            ),
        )


#: The group of accounts that have no collector, with ``by="collector"``.
NO_COLLECTOR = "(none)"

#: How to group a report: a function of the account (None: not in any group), or the name of
#: a built-in grouping.
Grouping: TypeAlias = Callable[[Account], str | None] | Literal["collector"]


def by_collector(account: Account) -> str:
    """Return the name of *account*'s collector, or ``"(none)"`` when it has none."""
    return account.collector.name if account.collector is not None else NO_COLLECTOR


_GROUPINGS: dict[str, Callable[[Account], str | None]] = {"collector": by_collector}


def _grouping(by: object) -> Callable[[Account], str | None] | None:
    if by is None:
        return None
    if isinstance(by, str):
        if by in _GROUPINGS:
            return _GROUPINGS[by]
        hint = did_you_mean(by, _GROUPINGS)
        known = ", ".join(repr(k) for k in sorted(_GROUPINGS))
        raise DataError.at(
            "by", f"unknown grouping {by!r} (known: {known})" + (f"; {hint}" if hint else "")
        )
    if callable(by):
        return cast("Callable[[Account], str | None]", by)
    raise DataError.at(
        "by", f"expected a function of the account or a grouping name, got {type(by).__name__}"
    )


def report(
    accounts: Iterable[Account],
    as_of: date,
    period_days: int = 90,
    *,
    buckets: Iterable[int] = DEFAULT_AGING_BOUNDS,
    by: Grouping | None = None,
) -> KpiReport:
    """Return the KPIs of *accounts* as of *as_of*, over the *period_days* days ending on it.

    Every input comes from the records: credit sales are the invoices (less credit notes)
    issued in the period, receivables at any date are replayed as `facts` replays them
    (payments and credit notes up to that day), current means not yet due. *buckets* are the
    aging bounds after "current" (as `facts` takes them). With *by*, the accounts are also
    grouped by ``by(account)`` (None: left out of the groups); ``by="collector"`` groups them
    by their collector's name (`by_collector`; accounts without one under ``"(none)"``).
    Accounts in different currencies are reported per currency, never summed.
    """
    group_of = _grouping(by)
    if not isinstance(as_of, date):
        raise DataError.at("as_of", f"expected a date, got {type(as_of).__name__}")
    n = _days(period_days, "period_days")
    bounds = tuple(buckets)
    if any(b <= a for a, b in zip((0, *bounds), bounds, strict=False)):
        raise DataError.at(
            "buckets", f"expected increasing positive day counts, got {list(bounds)}"
        )
    per_currency: dict[str, list[Account]] = defaultdict(list)
    for a in accounts:
        per_currency[a.currency].append(a)
    figures: list[KpiFigures] = []
    for currency in sorted(per_currency):
        accts = per_currency[currency]
        figures.append(_figures(currency, None, accts, as_of, n, bounds))
        if group_of is not None:
            groups: dict[str, list[Account]] = defaultdict(list)
            for a in accts:
                key = group_of(a)
                if key is not None:
                    groups[str(key)].append(a)
            figures += [_figures(currency, g, groups[g], as_of, n, bounds) for g in sorted(groups)]
    return KpiReport(
        as_of, n, as_of - timedelta(days=n - 1), tuple(figures), bounds, _window_notes(n)
    )


def _window_notes(period_days: int) -> dict[str, str]:
    """Say, by KPI name, where a 30-day-month variant's window does not fit the period."""
    months, rest = divmod(period_days, _MONTH)
    if not months:
        short = (
            f"not computed: the {period_days}-day period is shorter than the 30-day month "
            "it averages over"
        )
        return {
            "dso_average": short,
            "dso_countback": (
                f"counts 30-day months of sales back from the end of the period, beyond the "
                f"{period_days}-day period"
            ),
            "cei_monthly": short,
        }
    if rest:
        whole = "1 whole 30-day month" if months == 1 else f"{months} whole 30-day months"
        return {
            "dso_average": (
                f"over the last {months * _MONTH} days ({whole}), not the whole "
                f"{period_days}-day period"
            )
        }
    return {}


def series(
    accounts: Iterable[Account],
    month_ends: Sequence[date],
    *,
    buckets: Iterable[int] = DEFAULT_AGING_BOUNDS,
    by: Grouping | None = None,
) -> tuple[KpiReport, ...]:
    """Return one `report` per date of *month_ends* (increasing), each over its own month.

    Each period runs from the day after the previous date; the first one covers the days since
    the same day a month earlier (a calendar month when the dates are month ends).
    """
    ends = list(month_ends)
    if any(b <= a for a, b in itertools.pairwise(ends)):
        raise DataError.at("month_ends", "expected increasing dates")
    accts = tuple(accounts)
    bounds = tuple(buckets)
    out: list[KpiReport] = []
    for i, end in enumerate(ends):
        before = ends[i - 1] if i else _month_before(end)
        out.append(report(accts, end, (end - before).days, buckets=bounds, by=by))
    return tuple(out)


def _month_before(day: date) -> date:
    year, month = (day.year, day.month - 1) if day.month > 1 else (day.year - 1, 12)
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = (following - timedelta(days=1)).day
    if (
        day.day
        == (date(day.year + (day.month == 12), day.month % 12 + 1, 1) - timedelta(days=1)).day
    ):
        return date(year, month, last)  # a month end: the previous month end
    return date(year, month, min(day.day, last))
