"""The customer account: who the customer is, and its whole AR history."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs
import babel

from arcollect._describe import describe, shown
from arcollect._suggest import did_you_mean
from arcollect.domain.money import Money, currency_exponent
from arcollect.domain.records import (
    Activity,
    Collector,
    Contact,
    Dispute,
    Invoice,
    Payment,
    Promise,
    Snooze,
    of_type,
    records,
    strings,
)
from arcollect.errors import CurrencyError, DataError, Problem, UnknownInvoiceError

__all__ = ["Account", "account_problems"]


def _check_currency(_inst: object, _attr: object, code: str) -> None:
    if not isinstance(code, str):
        raise DataError.at("currency", f"expected an ISO 4217 code, got {describe(code)}")
    try:
        currency_exponent(code)
    except CurrencyError as exc:
        raise DataError.at("currency", str(exc)) from None


def _check_locale(_inst: object, _attr: object, value: str | None) -> None:
    if value is None:
        return
    if not isinstance(value, str):
        raise DataError.at("locale", f"expected a locale code, got {describe(value)}")
    try:
        babel.Locale.parse(value)
    except (ValueError, babel.UnknownLocaleError):
        raise DataError.at(
            "locale", f"unknown locale {shown(value)}: expected a code such as 'en_US' or 'de_DE'"
        ) from None


def _check_terms(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise DataError.at("terms", f"expected a whole number of days >= 0, got {shown(value)}")


def _tags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(strings(value, "tags"))


def _risk(value: Decimal | int | None) -> Decimal | None:
    if value is None or (isinstance(value, Decimal) and value.is_finite()):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    raise DataError.at("risk", f"expected a Decimal or int, got {describe(value)}")


# One named converter per field: attrs' mypy plugin types each parameter from its converter.


def _contacts(value: Iterable[Contact]) -> tuple[Contact, ...]:
    return records(value, Contact, "contacts")


def _invoices(value: Iterable[Invoice]) -> tuple[Invoice, ...]:
    return records(value, Invoice, "invoices")


def _payments(value: Iterable[Payment]) -> tuple[Payment, ...]:
    return records(value, Payment, "payments")


def _promises(value: Iterable[Promise]) -> tuple[Promise, ...]:
    return records(value, Promise, "promises")


def _disputes(value: Iterable[Dispute]) -> tuple[Dispute, ...]:
    return records(value, Dispute, "disputes")


def _snoozes(value: Iterable[Snooze]) -> tuple[Snooze, ...]:
    return records(value, Snooze, "snoozes")


def _activities(value: Iterable[Activity]) -> tuple[Activity, ...]:
    return records(value, Activity, "activities")


@attrs.frozen
class Account:
    """A customer account and its AR history.

    *terms* is the payment term in days (``30`` for "net 30"); *risk* an external risk score
    (higher is riskier); *currency* the currency every amount of the account is in;
    *collector* who is in charge of it (who signs its letters).

    Construction checks the account as a whole and reports every problem with its path:
    duplicate invoice numbers, payments, credit notes, disputes and snoozes naming unknown
    invoices, and amounts in another currency.
    """

    id: str = attrs.field()
    currency: str = attrs.field(validator=_check_currency)
    name: str | None = attrs.field(default=None, validator=of_type(str, "a string", optional=True))
    credit_limit: Money | None = attrs.field(
        default=None, validator=of_type(Money, "an amount (Money)", optional=True)
    )
    terms: int | None = attrs.field(default=None, validator=_check_terms)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_tags)
    risk: Decimal | None = attrs.field(default=None, converter=_risk)
    country: str | None = attrs.field(
        default=None, validator=of_type(str, "a string", optional=True)
    )
    locale: str | None = attrs.field(default=None, validator=_check_locale)
    customer_since: date | None = attrs.field(
        default=None, validator=of_type(date, "a date", optional=True)
    )
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=_contacts)
    invoices: tuple[Invoice, ...] = attrs.field(default=(), converter=_invoices)
    payments: tuple[Payment, ...] = attrs.field(default=(), converter=_payments)
    promises: tuple[Promise, ...] = attrs.field(default=(), converter=_promises)
    disputes: tuple[Dispute, ...] = attrs.field(default=(), converter=_disputes)
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=_activities)
    collector: Collector | None = attrs.field(
        default=None, validator=of_type(Collector, "a Collector", optional=True)
    )
    snoozes: tuple[Snooze, ...] = attrs.field(default=(), converter=_snoozes)

    @id.validator
    def _check_id(self, _attr: object, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise DataError.at("id", f"expected a non-empty string, got {describe(value)}")

    def __attrs_post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise DataError(problems)

    def _problems(self) -> Iterable[Problem]:
        return account_problems(
            self.id,
            self.currency,
            self.credit_limit,
            invoices=list(enumerate(self.invoices)),
            payments=list(enumerate(self.payments)),
            promises=list(enumerate(self.promises)),
            disputes=list(enumerate(self.disputes)),
            activities=list(enumerate(self.activities)),
            snoozes=list(enumerate(self.snoozes)),
        )

    def invoice(self, number: str) -> Invoice:
        """Return the invoice (or credit note) numbered *number*."""
        for inv in self.invoices:
            if inv.number == number:
                return inv
        raise UnknownInvoiceError(f"account {self.id!r} has no invoice {number!r}")

    @property
    def decision_makers(self) -> tuple[Contact, ...]:
        """The contacts who can authorize payment."""
        return tuple(c for c in self.contacts if c.is_decision_maker)

    def contacts_with_role(self, role: str) -> tuple[Contact, ...]:
        """Return the contacts who have *role* (decision makers include payment authorizers)."""
        if role == "decision_maker":
            return self.decision_makers
        return tuple(c for c in self.contacts if role in c.roles)

    def zero(self) -> Money:
        """Zero in the account's currency."""
        return Money.zero(self.currency)


def account_problems(
    account_id: str | None,
    currency: str | None,
    credit_limit: Money | None,
    *,
    invoices: Sequence[tuple[int, Invoice | str]],
    payments: Sequence[tuple[int, Payment]],
    promises: Sequence[tuple[int, Promise]],
    disputes: Sequence[tuple[int, Dispute]],
    activities: Sequence[tuple[int, Activity]],
    snoozes: Sequence[tuple[int, Snooze]] = (),
) -> Iterator[Problem]:
    """Yield the account-wide problems of an account's records, each at its original index.

    Duplicate invoice numbers, references to unknown invoices, credit notes crediting credit
    notes, and amounts in another currency than *currency*. Each record comes with its index in
    the account, so that a reader can check the records that are fine while others failed: an
    invoice that failed is given as its number alone (a str), so that references to it are not
    reported as unknown. *account_id* or *currency* None skips the checks that need them.
    """

    def money(path: str, value: Money | None) -> Iterable[Problem]:
        if currency is not None and value is not None and value.currency != currency:
            yield Problem(path, f"amount is in {value.currency}, but the account is in {currency}")

    yield from money("credit_limit", credit_limit)
    numbers: dict[str, int] = {}
    by_number: dict[str, Invoice | str] = {}
    _unknown = _Unknown(numbers)
    for i, inv in invoices:
        number = inv if isinstance(inv, str) else inv.number
        if number in numbers:
            yield Problem(
                f"invoices[{i}].number",
                f"duplicate invoice number {number!r} (also invoices[{numbers[number]}])",
            )
        else:
            numbers[number] = i
            by_number[number] = inv
        if isinstance(inv, str):
            continue
        yield from money(f"invoices[{i}].amount", inv.amount)
        if account_id is not None and inv.account is not None and inv.account != account_id:
            yield Problem(
                f"invoices[{i}].account",
                f"invoice belongs to account {inv.account!r}, not {account_id!r}",
            )
    for i, inv in invoices:
        if isinstance(inv, str) or inv.credits is None:
            continue
        target = by_number.get(inv.credits)
        if target is None:
            yield Problem(f"invoices[{i}].credits", _unknown(inv.credits))
        elif isinstance(target, Invoice) and target.is_credit_note:
            yield Problem(f"invoices[{i}].credits", f"{inv.credits!r} is itself a credit note")
    for i, pay in payments:
        yield from money(f"payments[{i}].amount", pay.amount)
        for j, ref in enumerate(pay.applies_to):
            if ref not in numbers:
                yield Problem(f"payments[{i}].applies_to[{j}]", _unknown(ref))
    for i, act in activities:
        if act.invoice is not None and act.invoice not in numbers:
            yield Problem(f"activities[{i}].invoice", _unknown(act.invoice))
    for i, prom in promises:
        yield from money(f"promises[{i}].amount", prom.amount)
    for i, disp in disputes:
        yield from money(f"disputes[{i}].amount", disp.amount)
        for j, ref in enumerate(disp.invoices):
            if ref not in numbers:
                yield Problem(f"disputes[{i}].invoices[{j}]", _unknown(ref))
    for i, snooze in snoozes:
        for j, ref in enumerate(snooze.invoices):
            if ref not in numbers:
                yield Problem(f"snoozes[{i}].invoices[{j}]", _unknown(ref))


#: How many unknown invoice references of one account get a "did you mean" (each compares the
#: reference with every invoice number; refusing thousands of them must stay fast).
MAX_SUGGESTIONS: Final = 20


class _Unknown:
    """Messages for unknown invoice references; only the first `MAX_SUGGESTIONS` get a hint."""

    def __init__(self, known: dict[str, int]) -> None:
        self.known = known
        self.suggested = 0

    def __call__(self, ref: str) -> str:
        msg = f"unknown invoice {ref!r}"
        if self.suggested < MAX_SUGGESTIONS:
            self.suggested += 1
            hint = did_you_mean(ref, self.known)
            if hint:
                msg += f"; {hint}"
        return msg
