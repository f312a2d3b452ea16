r"""Late-payment interest and fees: exact arithmetic with documented conventions.

Conventions (the same for every caller; docs/charges.md explains them with examples):

- **Simple interest**, never compounded. A rate is a percentage per year (``9`` is 9 %).
- **Day count**: ``act/365`` (the default; every day is 1/365 of a year, leap years included)
  or ``act/360`` (1/360). Interest accrues for each day from the day after the due date up to
  and including *as_of*, on the principal open **at the end of that day**: a payment reduces the
  principal from its own date on.
- **Rate changes** apply from their effective date: a rate table's row ``2024-07-01, 3.37``
  prices 1 July 2024 and every later day up to the next row. A rate above a reference rate is
  the table's rate plus the spread, never below zero.
- **Rounding**: the exact interest of all days is summed and rounded half to even to the
  currency's minor unit **once**, at the end. Each period of the detail shows the rounded
  running total minus the rounded running total before it, so the periods add up to the total
  to the cent, and no period is more than a minor unit away from its exact share.
- **Interest stays owed** after the principal is paid: paying the principal stops the
  accrual, it does not cancel what accrued.
- **What a payment pays** is a policy choice, an order of ``costs`` (fees), ``interest`` and
  ``principal``. The default ``costs, interest, principal`` is the order of § 367 (1) BGB;
  ``principal, interest, costs`` pays the debt first. When a payment pays interest, it pays the
  interest accrued before its day, rounded to the minor unit (a creditor can only ask for
  whole cents); what is left of the exact interest keeps accruing, so the total is still
  rounded once. A credit note reduces the principal, whatever the order. What a receipt does
  not need is *excess*.

A published example, reproduced to the cent: ERPNext's dunning test
(``erpnext/accounts/doctype/dunning/test_dunning.py``, ``test_dunning_with_fees_and_interest``
in frappe/erpnext) dunns an invoice of 100.00 outstanding for 15 days at 10 % a year (ERPNext's
``dunning.py``: ``outstanding * rate / 100 / 365 * overdue_days``) with a fee of 10.00, and
expects interest 0.41, dunning amount 10.41 and grand total 110.41:

>>> from datetime import date
>>> rule = InterestRule(Decimal(10))
>>> detail = invoice_charges(
...     "SINV-1", Money(100, "EUR"), due=date(2026, 3, 1), as_of=date(2026, 3, 16), rule=rule,
...     fees=[Fee(date(2026, 3, 16), Money(10, "EUR"), "dunning fee")])
>>> detail.interest, detail.fees, detail.claim
(Money('0.41', 'EUR'), Money('10.00', 'EUR'), Money('110.41', 'EUR'))
>>> for p in detail.periods:
...     print(p.start, p.end, p.days, p.rate, p.principal, p.amount)
2026-03-02 2026-03-16 15 10 100.00 EUR 0.41 EUR
"""

from __future__ import annotations

import bisect
import csv
import decimal
import enum
import io
import itertools
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

import attrs

from arcollect._describe import describe, shown
from arcollect._suggest import did_you_mean
from arcollect._yaml import load_yaml
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.errors import DataError, Problem
from arcollect.facts import received

__all__ = [
    "DEFAULT_ALLOCATION",
    "PARTS",
    "AccountCharges",
    "DayCount",
    "Fee",
    "InterestPeriod",
    "InterestRule",
    "InvoiceCharges",
    "RateRow",
    "RateTable",
    "Receipt",
    "account_charges",
    "allocation_order",
    "invoice_charges",
    "parse_rates",
]

#: The three parts of a claim a payment can pay, in the words a policy uses.
PARTS: Final = ("costs", "interest", "principal")

#: The default order payments pay in: costs, then interest, then principal (§ 367 (1) BGB).
DEFAULT_ALLOCATION: Final = PARTS

_ZERO = Decimal(0)
_HUNDRED = Decimal(100)


class DayCount(enum.StrEnum):
    """How many days make the year a yearly rate is for."""

    ACT_365 = "act/365"
    ACT_360 = "act/360"

    @property
    def basis(self) -> int:
        """The number of days in the year of this convention."""
        return 360 if self is DayCount.ACT_360 else 365


def allocation_order(parts: Iterable[str]) -> tuple[str, ...]:
    """Return *parts* as an allocation order: each of `PARTS` exactly once.

    >>> allocation_order(["principal", "interest", "costs"])
    ('principal', 'interest', 'costs')
    >>> allocation_order(["costs", "principal"])
    Traceback (most recent call last):
    ...
    arcollect.errors.DataError: payments: name each of costs, interest, principal once; \
missing interest
    """
    order = tuple(parts)
    for part in order:
        if part not in PARTS:
            hint = did_you_mean(part, PARTS)
            raise DataError.at(
                "payments",
                f"unknown part {shown(part)}"
                + (f"; {hint}" if hint else "")
                + f" (one of {', '.join(PARTS)})",
            )
    missing = [p for p in PARTS if p not in order]
    if missing or len(order) != len(PARTS):
        detail = f"missing {', '.join(missing)}" if missing else "a part is named twice"
        raise DataError.at("payments", f"name each of {', '.join(PARTS)} once; {detail}")
    return order


# --------------------------------------------------------------------------------------------
# Rate tables


@attrs.frozen
class RateRow:
    """A reference rate, in percent per year, in force from *effective_from* on."""

    effective_from: date
    rate: Decimal


def _rows(value: Iterable[RateRow]) -> tuple[RateRow, ...]:
    return tuple(value)


@attrs.frozen
class RateTable:
    """A named reference rate over time (the German base rate, the ECB main refinancing rate).

    Rows are in strictly increasing date order; a row's rate holds from its date up to the
    next row's. A table is data the caller supplies: arcollect ships none.

    >>> table = RateTable.of("DE-base", [("2024-01-01", "3.62"), ("2024-07-01", "3.37")])
    >>> table.rate_on(date(2024, 6, 30)), table.rate_on(date(2024, 7, 1))
    (Decimal('3.62'), Decimal('3.37'))
    """

    name: str
    rows: tuple[RateRow, ...] = attrs.field(converter=_rows)
    source: str | None = None
    _dates: tuple[date, ...] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_dates", tuple(r.effective_from for r in self.rows))
        if not self.rows:
            raise DataError.at(self.name, "a rate table needs at least one row")
        for i, (before, row) in enumerate(itertools.pairwise(self.rows), 1):
            if row.effective_from <= before.effective_from:
                raise DataError.at(
                    f"{self.name}[{i}].effective_from",
                    f"dates must increase: {row.effective_from} is not after "
                    f"{before.effective_from}",
                )

    @classmethod
    def of(
        cls,
        name: str,
        rows: Iterable[tuple[date | str, Decimal | int | str]],
        source: str | None = None,
    ) -> RateTable:
        """Build a table from ``(effective_from, rate)`` pairs; ISO dates and percents as text."""
        built = []
        problems = []
        for i, (day, rate) in enumerate(rows):
            try:
                built.append(RateRow(_date(day), _rate(rate)))
            except _RowError as exc:
                problems.append(Problem(f"{name}[{i}].{exc.field}", exc.message))
        if problems:
            raise DataError(problems)
        return cls(name, built, source)

    def rate_on(self, day: date) -> Decimal:
        """Return the rate in force on *day*; raise `DataError` before the first row."""
        i = bisect.bisect_right(self._dates, day) - 1
        if i < 0:
            raise DataError.at(
                f"rates.{self.name}",
                f"rate table {self.name!r} has no rate for {day}: "
                f"its first row is effective from {self.rows[0].effective_from}",
            )
        return self.rows[i].rate

    def changes(self, start: date, end: date) -> list[date]:
        """Return the dates after *start* up to *end* on which a new row takes effect."""
        lo = bisect.bisect_right(self._dates, start)
        hi = bisect.bisect_right(self._dates, end)
        return list(self._dates[lo:hi])


class _RowError(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise _RowError("effective_from", f"expected a date such as 2024-07-01, got {describe(value)}")


def _rate(value: object) -> Decimal:
    number: Decimal | None = None
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            number = Decimal(text)
        except decimal.InvalidOperation:
            number = None
    if number is None or not number.is_finite() or abs(number) >= _HUNDRED:
        raise _RowError(
            "rate",
            f"expected a rate in percent per year such as 3.62 or '3.62%', got {describe(value)}",
        )
    return number


def parse_rates(
    text: str, *, source: str = "<string>", kind: str = "yaml", name: str | None = None
) -> dict[str, RateTable]:
    r"""Read rate tables from YAML or CSV text; report every bad row with its place.

    YAML maps each table's name to its rows (or to ``{source: ..., rates: [rows]}``), a row
    being ``{effective_from: 2024-07-01, rate: 3.37}``. CSV (*kind* ``"csv"``) has the header
    ``table,effective_from,rate``, or ``effective_from,rate`` for one table named *name*.
    Rates are percents per year: ``3.37`` or ``3.37%``.

    >>> tables = parse_rates("DE-base:\n  - {effective_from: 2024-07-01, rate: 3.37}\n")
    >>> tables["DE-base"].rate_on(date(2025, 1, 1))
    Decimal('3.37')
    >>> parse_rates("effective_from,rate\n2024-07-01,3.37\n2025-13-01,2.27\n", kind="csv",
    ...             name="DE-base", source="de.csv")
    Traceback (most recent call last):
    ...
    arcollect.errors.DataError: de.csv: 1 problem
      line 3: effective_from: expected a date such as 2024-07-01, got '2025-13-01'
    """
    if kind == "csv":
        return _parse_csv(text, source, name)
    if kind != "yaml":
        raise ValueError(f"kind must be 'yaml' or 'csv', got {kind!r}")
    doc = load_yaml(text, source, written_numbers=True)
    if not isinstance(doc, Mapping) or not doc:
        raise DataError(
            [Problem("", f"expected a mapping of table names to rows, got {describe(doc)}")],
            source,
        )
    tables: dict[str, RateTable] = {}
    problems: list[Problem] = []
    for key, body in doc.items():
        table_name = str(key)
        rows_value: Any = body
        where = table_name
        table_source: str | None = None
        if isinstance(body, Mapping):
            extra = sorted(str(k) for k in body if k not in {"source", "rates"})
            if extra:
                problems.append(
                    Problem(f"{where}.{extra[0]}", "unknown key; expected source or rates")
                )
                continue
            table_source = body.get("source")
            rows_value = body.get("rates")
            where = f"{table_name}.rates"
        if not isinstance(rows_value, list) or not rows_value:
            problems.append(Problem(where, f"expected a list of rows, got {describe(rows_value)}"))
            continue
        rows: list[RateRow] = []
        for i, row in enumerate(rows_value):
            at = f"{where}[{i}]"
            if not isinstance(row, Mapping):
                problems.append(
                    Problem(at, f"expected effective_from and rate, got {describe(row)}")
                )
                continue
            unknown = sorted(str(k) for k in row if k not in {"effective_from", "rate"})
            missing = [k for k in ("effective_from", "rate") if k not in row]
            if unknown or missing:
                problems.append(
                    Problem(
                        f"{at}.{(unknown or missing)[0]}",
                        "unknown key; expected effective_from and rate"
                        if unknown
                        else "missing required field",
                    )
                )
                continue
            try:
                rows.append(RateRow(_date(row["effective_from"]), _rate(row["rate"])))
            except _RowError as exc:
                problems.append(Problem(f"{at}.{exc.field}", exc.message))
        problems.extend(_order_problems(rows, where))
        if not problems:
            tables[table_name] = RateTable(table_name, rows, table_source)
    if problems:
        raise DataError(problems, source)
    return tables


def _order_problems(rows: Sequence[RateRow], where: str) -> list[Problem]:
    return [
        Problem(
            f"{where}[{i}].effective_from",
            f"dates must increase: {row.effective_from} is not after {before.effective_from}",
        )
        for i, (before, row) in enumerate(itertools.pairwise(rows), 1)
        if row.effective_from <= before.effective_from
    ]


def _parse_csv(text: str, source: str, name: str | None) -> dict[str, RateTable]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            raise DataError([Problem("", "the file is empty; expected a header row")], source)
        columns = tuple(h.strip().lstrip("\ufeff") for h in header)
        if columns not in {("table", "effective_from", "rate"), ("effective_from", "rate")}:
            raise DataError(
                [
                    Problem(
                        "line 1",
                        "expected the columns table,effective_from,rate or effective_from,rate",
                    )
                ],
                source,
            )
        if len(columns) == 2 and not name:
            raise DataError(
                [Problem("line 1", "a file without a table column needs a table name")], source
            )
        grouped: dict[str, list[tuple[int, RateRow]]] = {}
        problems: list[Problem] = []
        for lineno, row in enumerate(reader, start=2):
            if not row or all(not c.strip() for c in row):
                continue
            where = f"line {lineno}"
            if len(row) != len(columns):
                problems.append(Problem(where, f"expected {len(columns)} fields, got {len(row)}"))
                continue
            rec = dict(zip(columns, (c.strip() for c in row), strict=True))
            table = rec.get("table", name or "")
            if not table:
                problems.append(Problem(f"{where}: table", "expected a table name"))
                continue
            try:
                grouped.setdefault(table, []).append(
                    (lineno, RateRow(_date(rec["effective_from"]), _rate(rec["rate"])))
                )
            except _RowError as exc:
                problems.append(Problem(f"{where}: {exc.field}", exc.message))
    except csv.Error as exc:
        raise DataError(
            [Problem(f"line {reader.line_num}", f"not valid CSV: {exc}")], source
        ) from None
    tables: dict[str, RateTable] = {}
    for table, numbered in grouped.items():
        for (_, before), (at, after) in itertools.pairwise(numbered):
            if after.effective_from <= before.effective_from:
                problems.append(
                    Problem(
                        f"line {at}: effective_from",
                        f"dates must increase in table {table!r}: {after.effective_from} is not "
                        f"after {before.effective_from}",
                    )
                )
        if not problems:
            tables[table] = RateTable(table, [r for _, r in numbered])
    if problems:
        raise DataError(problems, source)
    return tables


# --------------------------------------------------------------------------------------------
# Interest and fees of one invoice


@attrs.frozen
class InterestRule:
    """How an invoice accrues interest: *rate* percent per year, above *table* if named.

    With a *table*, the rate of a day is the table's rate on that day plus *rate* (the spread),
    never below zero.
    """

    rate: Decimal
    table: str | None = None
    day_count: DayCount = DayCount.ACT_365

    def rate_on(self, day: date, tables: Mapping[str, RateTable]) -> Decimal:
        """Return the yearly rate, in percent, of *day*."""
        if self.table is None:
            return self.rate
        return max(_ZERO, MONEY_CONTEXT.add(_table(self.table, tables).rate_on(day), self.rate))


def _table(name: str, tables: Mapping[str, RateTable]) -> RateTable:
    table = tables.get(name)
    if table is None:
        hint = did_you_mean(name, tables)
        known = f" (given: {', '.join(sorted(tables))})" if tables else " (none was given)"
        raise DataError.at(
            "rates",
            f"the policy needs the rate table {name!r}{known}"
            + (f"; {hint}" if hint else "; pass it with rates= or --rates FILE"),
        )
    return table


@attrs.frozen
class Receipt:
    """Money an invoice received on *date*: a payment, or a credit note (*credit* true)."""

    date: date
    amount: Money
    credit: bool = False


@attrs.frozen
class Fee:
    """A fee (a cost of collection) charged on *date*, with a *label* for letters."""

    date: date
    amount: Money
    label: str


@attrs.frozen
class InterestPeriod:
    """Days *start* to *end* (inclusive) at *rate* percent a year on *principal*."""

    start: date
    end: date
    days: int
    rate: Decimal
    principal: Money
    amount: Money


@attrs.frozen
class InvoiceCharges:
    """The interest and fees of one invoice as of a date, and what receipts paid of them.

    *interest* is all the interest accrued (rounded once), *fees* all the fees charged;
    the ``*_paid`` amounts are what receipts paid of each part, *excess* what receipts did not
    need. *claim* is what is still owed in all.
    """

    number: str
    due: date
    principal: Money
    principal_paid: Money
    interest: Money
    interest_paid: Money
    fees: Money
    fees_paid: Money
    excess: Money
    periods: tuple[InterestPeriod, ...]

    @property
    def principal_open(self) -> Money:
        """The principal still owed."""
        return self.principal - self.principal_paid

    @property
    def interest_open(self) -> Money:
        """The interest still owed."""
        return self.interest - self.interest_paid

    @property
    def fees_open(self) -> Money:
        """The fees still owed."""
        return self.fees - self.fees_paid

    @property
    def claim(self) -> Money:
        """Everything still owed on the invoice: principal, interest and fees."""
        return self.principal_open + self.interest_open + self.fees_open


class _Accrual:
    """Exact accrued interest as ``numerator / (100 * basis)``, with the periods behind it."""

    def __init__(self, currency: str, basis: int) -> None:
        self.currency = currency
        self.divisor = Decimal(100 * basis)
        self.numerator = _ZERO
        self.periods: list[InterestPeriod] = []
        self.shown = _ZERO  # the rounded running total the periods so far add up to

    def rounded(self) -> Decimal:
        return Money(MONEY_CONTEXT.divide(self.numerator, self.divisor), self.currency).amount

    def add(self, start: date, days: int, rate: Decimal, principal: Decimal) -> None:
        if days <= 0 or principal <= 0 or rate <= 0:
            return
        step = MONEY_CONTEXT.multiply(MONEY_CONTEXT.multiply(principal, rate), Decimal(days))
        self.numerator = MONEY_CONTEXT.add(self.numerator, step)
        total = self.rounded()
        amount = MONEY_CONTEXT.subtract(total, self.shown)
        self.shown = total
        end = start + timedelta(days=days - 1)
        cur = self.currency
        last = self.periods[-1] if self.periods else None
        if (
            last is not None
            and last.end + timedelta(days=1) == start
            and last.rate == rate
            and last.principal.amount == principal
        ):
            self.periods[-1] = InterestPeriod(
                last.start,
                end,
                last.days + days,
                rate,
                last.principal,
                Money(MONEY_CONTEXT.add(last.amount.amount, amount), cur),
            )
        else:
            self.periods.append(
                InterestPeriod(start, end, days, rate, Money(principal, cur), Money(amount, cur))
            )


def invoice_charges(
    number: str,
    principal: Money,
    *,
    due: date,
    as_of: date,
    rule: InterestRule | None,
    rates: Mapping[str, RateTable] | None = None,
    receipts: Iterable[Receipt] = (),
    fees: Iterable[Fee] = (),
    allocation: Sequence[str] = DEFAULT_ALLOCATION,
) -> InvoiceCharges:
    """Return the interest and fees of invoice *number* as of *as_of* (see the conventions above).

    *receipts* and *fees* dated after *as_of* are ignored; so is interest when *rule* is None.
    Raise `DataError` when the rule names a table missing from *rates*, or a table has no rate
    for a day that accrues.
    """
    with decimal.localcontext(MONEY_CONTEXT):
        return _invoice_charges(
            number,
            principal,
            due,
            as_of,
            rule,
            rates or {},
            sorted((r for r in receipts if r.date <= as_of), key=lambda r: (r.date, not r.credit)),
            sorted((f for f in fees if f.date <= as_of), key=lambda f: f.date),
            allocation_order(allocation),
        )


def _invoice_charges(  # noqa: PLR0917 - private: one pass over the invoice's days
    number: str,
    principal: Money,
    due: date,
    as_of: date,
    rule: InterestRule | None,
    rates: Mapping[str, RateTable],
    receipts: list[Receipt],
    fees: list[Fee],
    order: tuple[str, ...],
) -> InvoiceCharges:
    cur = principal.currency
    for money in [r.amount for r in receipts] + [f.amount for f in fees]:
        if money.currency != cur:
            raise DataError.at(
                number, f"amount is in {money.currency}, but the invoice is in {cur}"
            )
    accrual = _Accrual(cur, rule.day_count.basis if rule else 365)
    start = due + timedelta(days=1)
    open_principal = principal.amount
    paid = {"costs": _ZERO, "interest": _ZERO, "principal": _ZERO}
    charged_fees = _ZERO
    excess = _ZERO

    # Breakpoints: every day on which the principal, the fees or the rate may change.
    points = {r.date for r in receipts} | {f.date for f in fees}
    if rule is not None and rule.table is not None and start <= as_of:
        table = _table(rule.table, rates)
        points.update(table.changes(start, as_of))
    edges = sorted({start, *points, as_of + timedelta(days=1)})
    ri = fi = 0
    for left, right in itertools.pairwise(edges):
        while fi < len(fees) and fees[fi].date <= left:
            charged_fees += fees[fi].amount.amount
            fi += 1
        while ri < len(receipts) and receipts[ri].date <= left:
            receipt = receipts[ri]
            ri += 1
            left_over = receipt.amount.amount
            owed = {
                "costs": charged_fees - paid["costs"],
                "interest": accrual.rounded() - paid["interest"],
                "principal": open_principal,
            }
            for part in ("principal",) if receipt.credit else order:
                take = min(left_over, max(owed[part], _ZERO))
                paid[part] += take
                left_over -= take
                if part == "principal":
                    open_principal -= take
            excess += left_over
        if rule is None or right <= start:
            continue
        first = max(left, start)
        accrual.add(first, (right - first).days, rule.rate_on(first, rates), open_principal)
    return InvoiceCharges(
        number=number,
        due=due,
        principal=principal,
        principal_paid=Money(paid["principal"], cur),
        interest=Money(accrual.rounded(), cur),
        interest_paid=Money(paid["interest"], cur),
        fees=Money(charged_fees, cur),
        fees_paid=Money(paid["costs"], cur),
        excess=Money(excess, cur),
        periods=tuple(accrual.periods),
    )


# --------------------------------------------------------------------------------------------
# Interest and fees of an account


@attrs.frozen
class AccountCharges:
    """The charges of an account as of *as_of*: per invoice, and fees on no invoice.

    *invoices* holds every invoice that accrued interest or was charged a fee, in due order;
    *fees* the fees charged on the account as a whole (with a letter, say).
    """

    as_of: date
    currency: str
    invoices: tuple[InvoiceCharges, ...]
    fees: tuple[Fee, ...]

    @property
    def interest(self) -> Money:
        """All interest accrued to *as_of* (paid or not)."""
        return Money.sum((i.interest for i in self.invoices), self.currency)

    @property
    def interest_open(self) -> Money:
        """The interest still owed."""
        return Money.sum((i.interest_open for i in self.invoices), self.currency)

    @property
    def fees_charged(self) -> Money:
        """All fees charged to *as_of*, on invoices and on the account."""
        on_invoices = Money.sum((i.fees for i in self.invoices), self.currency)
        return on_invoices + Money.sum((f.amount for f in self.fees), self.currency)

    def invoice(self, number: str) -> InvoiceCharges | None:
        """Return the charges of invoice *number*, None if it has none."""
        return next((i for i in self.invoices if i.number == number), None)


def account_charges(
    account: Account,
    as_of: date,
    *,
    rule: InterestRule | None,
    rates: Mapping[str, RateTable] | None = None,
    invoice_fees: Mapping[str, Sequence[Fee]] | None = None,
    account_fees: Iterable[Fee] = (),
    allocation: Sequence[str] = DEFAULT_ALLOCATION,
) -> AccountCharges:
    """Return the interest and fees of *account* as of *as_of*.

    Each invoice (not a credit note) issued by *as_of* accrues interest by *rule* from the day
    after its due date; what it received is what `arcollect.facts` applies to it (payments
    naming it, then unapplied cash oldest-due first, and credit notes). *invoice_fees* maps an
    invoice number to the fees charged on it; *account_fees* are fees on no invoice.
    """
    cur = account.currency
    fees_by = invoice_fees or {}
    unknown = sorted(set(fees_by) - {i.number for i in account.invoices})
    if unknown:
        raise DataError.at("fees", f"a fee names the unknown invoice {unknown[0]!r}")
    log = received(account, as_of)
    order = allocation_order(allocation)
    details = []
    for inv in sorted(account.invoices, key=lambda i: (i.due, i.issued, i.number)):
        if inv.is_credit_note or inv.issued > as_of:
            continue
        fees = fees_by.get(inv.number, ())
        if inv.due >= as_of and not fees:
            continue
        detail = invoice_charges(
            inv.number,
            inv.amount,
            due=inv.due,
            as_of=as_of,
            rule=rule,
            rates=rates,
            receipts=[
                Receipt(day, Money(amount, cur), credit)
                for day, amount, credit in log.get(inv.number, ())
            ],
            fees=fees,
            allocation=order,
        )
        if detail.interest or detail.fees:
            details.append(detail)
    return AccountCharges(
        as_of, cur, tuple(details), tuple(f for f in account_fees if f.date <= as_of)
    )
