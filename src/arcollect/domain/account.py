"""The customer account: who the customer is, and its whole AR history."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

import attrs
import babel

from arcollect.domain.money import Money, currency_exponent
from arcollect.domain.records import Activity, Contact, Dispute, Invoice, Payment, Promise
from arcollect.errors import CurrencyError, DataError, Problem

__all__ = ["Account"]


def _check_currency(_inst: object, _attr: object, code: str) -> None:
    try:
        currency_exponent(code)
    except CurrencyError as exc:
        raise DataError.at("currency", str(exc)) from None


def _check_locale(_inst: object, _attr: object, value: str | None) -> None:
    if value is None:
        return
    try:
        babel.Locale.parse(value)
    except (ValueError, babel.UnknownLocaleError):
        raise DataError.at(
            "locale", f"unknown locale {value!r}: expected a code such as 'en_US' or 'de_DE'"
        ) from None


def _check_terms(_inst: object, _attr: object, value: Any) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
        raise DataError.at("terms", f"expected a whole number of days >= 0, got {value!r}")


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _string_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


@attrs.frozen
class Account:
    """A customer account and its AR history.

    *terms* is the payment term in days (``30`` for "net 30"); *risk* an external risk score
    (higher is riskier); *currency* the currency every amount of the account is in.

    Construction checks the account as a whole and reports every problem with its path:
    duplicate invoice numbers, payments, credit notes and disputes naming unknown invoices,
    and amounts in another currency.
    """

    id: str = attrs.field()
    currency: str = attrs.field(validator=_check_currency)
    name: str | None = None
    credit_limit: Money | None = None
    terms: int | None = attrs.field(default=None, validator=_check_terms)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_string_set)
    risk: Decimal | None = None
    country: str | None = None
    locale: str | None = attrs.field(default=None, validator=_check_locale)
    customer_since: date | None = None
    contacts: tuple[Contact, ...] = attrs.field(default=(), converter=_tuple)
    invoices: tuple[Invoice, ...] = attrs.field(default=(), converter=_tuple)
    payments: tuple[Payment, ...] = attrs.field(default=(), converter=_tuple)
    promises: tuple[Promise, ...] = attrs.field(default=(), converter=_tuple)
    disputes: tuple[Dispute, ...] = attrs.field(default=(), converter=_tuple)
    activities: tuple[Activity, ...] = attrs.field(default=(), converter=_tuple)

    @id.validator
    def _check_id(self, _attr: object, value: Any) -> None:
        if not isinstance(value, str) or not value.strip():
            raise DataError.at("id", f"expected a non-empty string, got {value!r}")

    def __attrs_post_init__(self) -> None:
        problems = list(self._problems())
        if problems:
            raise DataError(problems)

    def _problems(self) -> Iterable[Problem]:
        cur = self.currency

        def money(path: str, value: Money | None) -> Iterable[Problem]:
            if value is not None and value.currency != cur:
                yield Problem(path, f"amount is in {value.currency}, but the account is in {cur}")

        yield from money("credit_limit", self.credit_limit)
        numbers: dict[str, int] = {}
        for i, inv in enumerate(self.invoices):
            if inv.number in numbers:
                first = numbers[inv.number]
                yield Problem(
                    f"invoices[{i}].number",
                    f"duplicate invoice number {inv.number!r} (also invoices[{first}])",
                )
            else:
                numbers[inv.number] = i
            yield from money(f"invoices[{i}].amount", inv.amount)
            if inv.account is not None and inv.account != self.id:
                yield Problem(
                    f"invoices[{i}].account",
                    f"invoice belongs to account {inv.account!r}, not {self.id!r}",
                )
        for i, inv in enumerate(self.invoices):
            if inv.credits is not None:
                target = numbers.get(inv.credits)
                if target is None:
                    yield Problem(f"invoices[{i}].credits", _unknown(inv.credits, numbers))
                elif self.invoices[target].is_credit_note:
                    yield Problem(
                        f"invoices[{i}].credits", f"{inv.credits!r} is itself a credit note"
                    )
        for i, pay in enumerate(self.payments):
            yield from money(f"payments[{i}].amount", pay.amount)
            for j, ref in enumerate(pay.applies_to):
                if ref not in numbers:
                    yield Problem(f"payments[{i}].applies_to[{j}]", _unknown(ref, numbers))
        for i, act in enumerate(self.activities):
            if act.invoice is not None and act.invoice not in numbers:
                yield Problem(f"activities[{i}].invoice", _unknown(act.invoice, numbers))
        for i, prom in enumerate(self.promises):
            yield from money(f"promises[{i}].amount", prom.amount)
        for i, disp in enumerate(self.disputes):
            yield from money(f"disputes[{i}].amount", disp.amount)
            for j, ref in enumerate(disp.invoices):
                if ref not in numbers:
                    yield Problem(f"disputes[{i}].invoices[{j}]", _unknown(ref, numbers))

    def invoice(self, number: str) -> Invoice:
        """Return the invoice (or credit note) numbered *number*."""
        for inv in self.invoices:
            if inv.number == number:
                return inv
        raise LookupError(f"account {self.id!r} has no invoice {number!r}")

    @property
    def decision_makers(self) -> tuple[Contact, ...]:
        """The contacts who can authorize payment."""
        return tuple(c for c in self.contacts if c.is_decision_maker)

    def zero(self) -> Money:
        """Zero in the account's currency."""
        return Money.zero(self.currency)


def _unknown(ref: str, known: dict[str, int]) -> str:
    import difflib  # noqa: PLC0415 - only on the error path

    msg = f"unknown invoice {ref!r}"
    close = difflib.get_close_matches(ref, list(known), n=1)
    if close:
        msg += f"; did you mean {close[0]!r}?"
    return msg
