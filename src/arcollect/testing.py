"""Builders for tests: small accounts in a line or two, with sensible defaults.

For arcollect's own tests and for users testing their policies and integrations.

>>> from datetime import date
>>> acct = account(invoice("1200 EUR", due="2026-10-01"), payment("200 EUR", on="2026-10-20"))
>>> acct.invoices[0].number, acct.invoices[0].issued, acct.payments[0].applies_to
('INV-1', datetime.date(2026, 9, 1), ())
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import attrs

from arcollect.domain.account import Account
from arcollect.domain.money import Money
from arcollect.domain.records import (
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Invoice,
    Payment,
    Promise,
    Snooze,
)
from arcollect.errors import DataError

__all__ = [
    "AUTO_NUMBER",
    "account",
    "activity",
    "contact",
    "day",
    "dispute",
    "invoice",
    "payment",
    "promise",
    "snooze",
]

#: The placeholder number of an invoice that `account` numbers by position.
AUTO_NUMBER = "INV-?"

Record = Invoice | Payment | Promise | Dispute | Activity | Contact | Snooze


def day(value: date | str, field: str = "date") -> date:
    """Return *value* as a date; strings are ISO dates (``"2026-10-01"``).

    A string that is not one raises `DataError` at *field*, as the records do.
    """
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise DataError.at(field, f"expected an ISO date (YYYY-MM-DD), got {value!r}") from None


def _money(value: Money | str) -> Money:
    return value if isinstance(value, Money) else Money.parse(value)


def invoice(
    amount: Money | str,
    *,
    due: date | str,
    issued: date | str | None = None,
    number: str = AUTO_NUMBER,
    **fields: Any,
) -> Invoice:
    """Return an invoice; *issued* defaults to 30 days before *due*.

    Without a *number*, `account` numbers it ``INV-n`` by its position among the invoices.
    """
    due_d = day(due, "due")
    issued_d = day(issued, "issued") if issued is not None else due_d - timedelta(days=30)
    return Invoice(number, issued=issued_d, due=due_d, amount=_money(amount), **fields)


def payment(
    amount: Money | str, *, on: date | str, to: Iterable[str] = (), **fields: Any
) -> Payment:
    """Return a payment on *on*, applied to the invoices *to* (none: unapplied cash)."""
    return Payment(day(on), _money(amount), applies_to=tuple(to), **fields)


def promise(amount: Money | str, *, due: date | str, made: date | str, **fields: Any) -> Promise:
    """Return a promise to pay *amount* by *due*, made on *made*."""
    return Promise(day(made, "made_on"), _money(amount), day(due, "due"), **fields)


def dispute(
    *invoices: str,
    opened: date | str,
    reason: DisputeReason | str = DisputeReason.UNSPECIFIED,
    **fields: Any,
) -> Dispute:
    """Return a dispute over *invoices*, opened on *opened*."""
    return Dispute(day(opened, "opened"), reason, invoices=invoices, **fields)


def snooze(until: date | str, *invoices: str, **fields: Any) -> Snooze:
    """Return a snooze until *until*: of the whole account, or of *invoices* if named."""
    if isinstance(fields.get("since"), str):
        fields["since"] = day(fields["since"], "since")
    return Snooze(day(until, "until"), invoices=invoices, **fields)


def activity(
    on: date | str, channel: Channel | str, step: str | None = None, **fields: Any
) -> Activity:
    """Return a logged activity; *channel* and *outcome* may be given as words."""
    return Activity(day(on), channel, step=step, **fields)


def contact(name: str, *roles: str, **fields: Any) -> Contact:
    """Return a contact with *roles*."""
    return Contact(name, roles=frozenset(roles), **fields)


def account(
    *records: Record, id: str = "C-1", currency: str | None = None, **fields: Any
) -> Account:
    """Return an account holding *records*, sorted into their kinds.

    Invoices without a number get ``INV-1``, ``INV-2``... in order; the currency defaults to
    that of the first amount (EUR if there is none).
    """
    amounts = [r.amount for r in records if isinstance(r, Invoice | Payment | Promise)]
    cur = currency or (amounts[0].currency if amounts else "EUR")
    numbering = itertools.count(1)
    invoices = [
        attrs.evolve(r, number=f"INV-{next(numbering)}") if r.number == AUTO_NUMBER else r
        for r in records
        if isinstance(r, Invoice)
    ]
    return Account(
        id,
        cur,
        invoices=invoices,
        payments=[r for r in records if isinstance(r, Payment)],
        promises=[r for r in records if isinstance(r, Promise)],
        disputes=[r for r in records if isinstance(r, Dispute)],
        activities=[r for r in records if isinstance(r, Activity)],
        contacts=[r for r in records if isinstance(r, Contact)],
        snoozes=[r for r in records if isinstance(r, Snooze)],
        **fields,
    )
