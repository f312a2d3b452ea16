"""The AR records: invoices, payments, contacts, promises to pay, disputes, snoozes, activities.

All are frozen, slotted attrs classes validated on construction; update them with
`attrs.evolve`. A record that is not valid raises `DataError` whose problem paths are relative
to the record (``due``, ``installments[1].amount``), so that a loader can prefix where the
record sits in its document.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any, TypeVar

import attrs

from arcollect._describe import describe, shown
from arcollect._suggest import did_you_mean
from arcollect.domain.actions import Channel
from arcollect.domain.money import Money
from arcollect.errors import DataError, Problem

__all__ = [
    "KNOWN_ROLES",
    "Activity",
    "Channel",
    "Collector",
    "Company",
    "Contact",
    "Dispute",
    "DisputeReason",
    "Installment",
    "Invoice",
    "Outcome",
    "Payment",
    "Promise",
    "Snooze",
]


class Outcome(enum.StrEnum):
    """What came of an activity."""

    SENT = "sent"
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    VOICEMAIL = "voicemail"
    PROMISE = "promise"
    DISPUTE = "dispute"
    PAID = "paid"
    IRATE = "irate"
    WRONG_CONTACT = "wrong_contact"
    REFUSED = "refused"
    BOUNCED = "bounced"
    DONE = "done"


class DisputeReason(enum.StrEnum):
    """Why a customer disputes an invoice.

    The first seven are *internal causes* — a problem on the seller's side (the collections
    literature puts 35-50% of delinquencies there): they go to resolution, not to collection.
    """

    PRICING_ERROR = "pricing_error"
    WRONG_QUANTITY = "wrong_quantity"
    MISSING_PO = "missing_po"
    NOT_DELIVERED = "not_delivered"
    DAMAGED = "damaged"
    DUPLICATE_BILLING = "duplicate_billing"
    BILLING_ERROR = "billing_error"
    WRONG_PRODUCT = "wrong_product"
    QUALITY = "quality"
    SERVICE = "service"
    OTHER = "other"
    UNSPECIFIED = "unspecified"

    @property
    def is_internal_cause(self) -> bool:
        """Whether the cause lies with the seller's own systems or processes."""
        return self in _INTERNAL_CAUSES


_INTERNAL_CAUSES = frozenset(
    {
        DisputeReason.PRICING_ERROR,
        DisputeReason.WRONG_QUANTITY,
        DisputeReason.MISSING_PO,
        DisputeReason.NOT_DELIVERED,
        DisputeReason.DAMAGED,
        DisputeReason.DUPLICATE_BILLING,
        DisputeReason.BILLING_ERROR,
        DisputeReason.WRONG_PRODUCT,
    }
)

#: Contact roles the engine knows how to fall back between; any other identifier is allowed.
KNOWN_ROLES = frozenset(
    {"decision_maker", "accounts_payable", "billing", "executive", "sales_rep", "owner"}
)

_IDENT = re.compile(r"[a-z][a-z0-9_]*\Z")

_E = TypeVar("_E", bound=enum.Enum)
_R = TypeVar("_R")


def enum_message(cls: type[enum.Enum], value: object) -> str:
    """Return the one message (the reader's and the constructors') for a non-member of *cls*."""
    names = [str(m.value) for m in cls]
    if isinstance(value, str):
        hint = did_you_mean(value, names)
        if hint:
            return f"unknown value {value!r}; {hint} (one of {', '.join(names)})"
    return f"expected one of {', '.join(repr(n) for n in names)}; got {describe(value)}"


def member(cls: type[_E], value: object, path: str = "") -> _E:
    """Return the member of *cls* that *value* names, or raise `DataError` at *path*."""
    if isinstance(value, cls):
        return value
    if isinstance(value, str):
        try:
            return cls(value)
        except ValueError:
            pass
    raise DataError.at(path, enum_message(cls, value))


def strings(value: object, path: str) -> list[str]:
    """Return the items of a collection of strings, refusing a lone string and non-strings."""
    if isinstance(value, list | tuple) and all(type(item) is str for item in value):
        return list(value)  # the common case, without the slower checks below
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise DataError.at(path, f"expected a list, got {describe(value)}")
    items = list(value)
    problems = [
        Problem(f"{path}[{i}]", f"expected a string, got {describe(item)}")
        for i, item in enumerate(items)
        if not isinstance(item, str)
    ]
    if problems:
        raise DataError(problems)
    return items


def records(value: object, cls: type[_R], path: str) -> tuple[_R, ...]:
    """Return the items of a collection of *cls* records, refusing anything else."""
    if isinstance(value, list | tuple) and all(isinstance(item, cls) for item in value):
        return tuple(value)  # the common case, without the slower checks below
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise DataError.at(
            path, f"expected a list of {cls.__name__} records, got {describe(value)}"
        )
    items = tuple(value)
    article = "an" if cls.__name__[0] in "AEIOU" else "a"
    problems = [
        Problem(
            f"{path}[{i}]",
            f"expected {article} {cls.__name__}, got {describe(item)}"
            + (
                f" (build it with arcollect.structure(data, {cls.__name__}))"
                if isinstance(item, Mapping)
                else ""
            ),
        )
        for i, item in enumerate(items)
        if not isinstance(item, cls)
    ]
    if problems:
        raise DataError(problems)
    return items


def of_type(kind: type, what: str, *, optional: bool = False) -> Callable[..., None]:
    """Return an attrs validator: the value is a *kind* (never a bool for a number kind)."""

    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is None and optional:
            return
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
        if kind is date and isinstance(value, datetime):
            ok = False
        if not ok:
            raise DataError.at(attribute.name, f"expected {what}, got {describe(value)}")

    return check


_DATE = of_type(date, "a date")
_OPT_DATE = of_type(date, "a date", optional=True)
_MONEY = of_type(Money, "an amount (Money)")
_OPT_MONEY = of_type(Money, "an amount (Money)", optional=True)
_OPT_STR = of_type(str, "a string", optional=True)
_BOOL = of_type(bool, "true or false")


def _nonempty(_inst: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if not isinstance(value, str) or not value.strip():
        raise DataError.at(attribute.name, f"expected a non-empty string, got {describe(value)}")


def _roles(_inst: object, attribute: attrs.Attribute[Any], value: frozenset[str]) -> None:
    bad = sorted(repr(r) for r in value if not _IDENT.match(r))
    if bad:
        raise DataError.at(
            attribute.name,
            f"a role is a lower-case identifier such as 'decision_maker', got {bad[0]}",
        )


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: Money) -> None:
    _MONEY(_inst, attribute, value)
    if value.amount <= 0:
        raise DataError.at(attribute.name, f"expected an amount above zero, got {value}")


# Converters: attrs' mypy plugin types each parameter from its converter's argument, and a
# converter does not know its field, so each field has its own small named converter.


def _invoice_tags(value: Iterable[str]) -> frozenset[str]:
    return frozenset(strings(value, "tags"))


def _roles_set(value: Iterable[str]) -> frozenset[str]:
    return frozenset(strings(value, "roles"))


def _applies_to(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(strings(value, "applies_to"))


def _dispute_invoices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(strings(value, "invoices"))


def _snooze_invoices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(strings(value, "invoices"))


def _preferred_channel(value: Channel | str | None) -> Channel | None:
    return None if value is None else member(Channel, value, "preferred_channel")


def _channel(value: Channel | str) -> Channel:
    return member(Channel, value, "channel")


def _outcome(value: Outcome | str | None) -> Outcome | None:
    return None if value is None else member(Outcome, value, "outcome")


def _reason(value: DisputeReason | str) -> DisputeReason:
    return member(DisputeReason, value, "reason")


@attrs.frozen
class Invoice:
    """A document the customer owes money on; a negative amount makes it a credit note.

    A credit note reduces the invoice named by *credits* (or, without one, the oldest open
    invoices, like unapplied cash) from its *issued* date on.

    >>> inv = Invoice("INV-1", issued=date(2026, 9, 1), due=date(2026, 10, 1),
    ...               amount=Money(1200, "EUR"))
    >>> inv.is_credit_note, inv.currency
    (False, 'EUR')
    """

    number: str = attrs.field(validator=_nonempty)
    issued: date = attrs.field(validator=_DATE)
    due: date = attrs.field(validator=_DATE)
    amount: Money = attrs.field(validator=_MONEY)
    account: str | None = attrs.field(default=None, validator=_OPT_STR)
    po_number: str | None = attrs.field(default=None, validator=_OPT_STR)
    delivered: bool = attrs.field(default=True, validator=_BOOL)
    proof_of_delivery: str | None = attrs.field(default=None, validator=_OPT_STR)
    credits: str | None = attrs.field(default=None, validator=_OPT_STR)
    tags: frozenset[str] = attrs.field(default=frozenset(), converter=_invoice_tags)

    def __attrs_post_init__(self) -> None:
        problems = []
        if self.due < self.issued:
            problems.append(
                Problem("due", f"due date {self.due} is before the issue date {self.issued}")
            )
        if self.credits is not None and not self.is_credit_note:
            problems.append(
                Problem("credits", "only a credit note (a negative amount) can credit an invoice")
            )
        if self.amount.is_zero:
            problems.append(Problem("amount", "an invoice amount must not be zero"))
        if problems:
            raise DataError(problems)

    @property
    def currency(self) -> str:
        """The invoice's currency."""
        return self.amount.currency

    @property
    def is_credit_note(self) -> bool:
        """Whether this document is a credit note (negative amount)."""
        return self.amount.is_negative


@attrs.frozen
class Payment:
    """Money received on *date*.

    *applies_to* names the invoices it pays, in the customer's remittance order; an empty tuple
    is unapplied cash. What a payment does not need for the invoices it names is applied like
    unapplied cash: to the open invoices oldest-due first (see `arcollect.facts`).
    """

    date: date = attrs.field(validator=_DATE)
    amount: Money = attrs.field(validator=_positive)
    reference: str | None = attrs.field(default=None, validator=_OPT_STR)
    applies_to: tuple[str, ...] = attrs.field(default=(), converter=_applies_to)


@attrs.frozen
class Contact:
    """A person at the customer.

    *roles* are lower-case identifiers (see `KNOWN_ROLES`); a contact who can authorize payment
    is a decision maker whether or not the role is listed.
    """

    name: str = attrs.field(validator=_nonempty)
    title: str | None = attrs.field(default=None, validator=_OPT_STR)
    roles: frozenset[str] = attrs.field(default=frozenset(), converter=_roles_set, validator=_roles)
    can_authorize_payment: bool = attrs.field(default=False, validator=_BOOL)
    phone: str | None = attrs.field(default=None, validator=_OPT_STR)
    email: str | None = attrs.field(default=None, validator=_OPT_STR)
    preferred_channel: Channel | None = attrs.field(default=None, converter=_preferred_channel)
    language: str | None = attrs.field(default=None, validator=_OPT_STR)

    @property
    def is_decision_maker(self) -> bool:
        """Whether this contact can say yes to a payment."""
        return self.can_authorize_payment or "decision_maker" in self.roles


@attrs.frozen
class Installment:
    """One dated part of a promise to pay."""

    due: date = attrs.field(validator=_DATE)
    amount: Money = attrs.field(validator=_positive)


def _installments(value: Iterable[Installment]) -> tuple[Installment, ...]:
    return records(value, Installment, "installments")


@attrs.frozen
class Promise:
    """A customer's promise, made on *made_on*, to pay *amount* by *due*.

    The promise is judged after ``due + grace_days`` (as SAP does): see
    `arcollect.facts.PromiseStatus`. With *installments*, each installment is judged on its
    own date, against the cumulative amount promised by then; they must add up to *amount* and
    the last one falls on *due*.
    """

    made_on: date = attrs.field(validator=_DATE)
    amount: Money = attrs.field(validator=_positive)
    due: date = attrs.field(validator=_DATE)
    by: str | None = attrs.field(default=None, validator=_OPT_STR)
    installments: tuple[Installment, ...] = attrs.field(default=(), converter=_installments)
    grace_days: int = attrs.field(default=0)
    note: str | None = attrs.field(default=None, validator=_OPT_STR)

    def __attrs_post_init__(self) -> None:
        problems = []
        if self.due < self.made_on:
            problems.append(
                Problem(
                    "due", f"due date {self.due} is before the promise was made ({self.made_on})"
                )
            )
        if isinstance(self.grace_days, bool) or not isinstance(self.grace_days, int):
            problems.append(
                Problem(
                    "grace_days", f"expected a whole number of days, got {shown(self.grace_days)}"
                )
            )
        elif self.grace_days < 0:
            problems.append(
                Problem("grace_days", f"expected 0 or more days, got {shown(self.grace_days)}")
            )
        elif self.grace_days > (date.max - self.due).days:  # the deadline must be a date
            problems.append(
                Problem(
                    "grace_days",
                    f"due + grace runs past {date.max}: {self.due} + {shown(self.grace_days)} "
                    f"day{'' if self.grace_days == 1 else 's'}",
                )
            )
        if self.installments:
            dues = [i.due for i in self.installments]
            if dues != sorted(dues) or len(set(dues)) != len(dues):
                problems.append(
                    Problem("installments", "installment dates must be strictly increasing")
                )
            if dues[-1] != self.due:
                problems.append(
                    Problem(
                        "installments", f"the last installment must fall on the due date {self.due}"
                    )
                )
            if dues[0] < self.made_on:
                problems.append(
                    Problem(
                        "installments[0].due", "an installment is due before the promise was made"
                    )
                )
            try:
                total = Money.sum((i.amount for i in self.installments), self.amount.currency)
            except TypeError as exc:
                problems.append(Problem("installments", str(exc)))
            else:
                if total != self.amount:
                    problems.append(
                        Problem(
                            "installments",
                            f"installments add up to {total}, not to the promised {self.amount}",
                        )
                    )
        if problems:
            raise DataError(problems)

    def schedule(self) -> tuple[Installment, ...]:
        """Return the installments, or the whole amount as one installment on *due*."""
        return self.installments or (Installment(self.due, self.amount),)


@attrs.frozen
class Dispute:
    """A disagreement over invoices, opened on *opened* and resolved on *resolved* (if ever).

    *amount* is the disputed sum (default: the open amount of the named invoices); *owner* is
    who routes it to resolution.
    """

    opened: date = attrs.field(validator=_DATE)
    reason: DisputeReason = attrs.field(default=DisputeReason.UNSPECIFIED, converter=_reason)
    invoices: tuple[str, ...] = attrs.field(default=(), converter=_dispute_invoices)
    amount: Money | None = attrs.field(default=None, validator=_OPT_MONEY)
    resolved: date | None = attrs.field(default=None, validator=_OPT_DATE)
    owner: str | None = attrs.field(default=None, validator=_OPT_STR)
    id: str | None = attrs.field(default=None, validator=_OPT_STR)
    notes: str | None = attrs.field(default=None, validator=_OPT_STR)

    def __attrs_post_init__(self) -> None:
        if self.resolved is not None and self.resolved < self.opened:
            raise DataError.at(
                "resolved", f"resolved on {self.resolved}, before it was opened ({self.opened})"
            )
        if self.amount is not None and self.amount.amount <= 0:
            raise DataError.at("amount", f"expected an amount above zero, got {self.amount}")

    def is_open(self, as_of: date) -> bool:
        """Whether the dispute is open on *as_of*."""
        return self.opened <= as_of and (self.resolved is None or self.resolved > as_of)


@attrs.frozen
class Snooze:
    """A pause of the collection timeline granted until *until* (exclusive), for a reason.

    With *invoices*, only those invoices are snoozed; without, the whole account. *since* is the
    day it was granted (before it, it does not apply: a history replays day by day); *by* who
    granted it. A snooze is active on the days ``since <= day < until``.
    """

    until: date = attrs.field(validator=_DATE)
    reason: str | None = attrs.field(default=None, validator=_OPT_STR)
    by: str | None = attrs.field(default=None, validator=_OPT_STR)
    invoices: tuple[str, ...] = attrs.field(default=(), converter=_snooze_invoices)
    since: date | None = attrs.field(default=None, validator=_OPT_DATE)

    def __attrs_post_init__(self) -> None:
        if self.since is not None and self.since >= self.until:
            raise DataError.at(
                "until", f"snoozed until {self.until}, not after it was granted ({self.since})"
            )

    def is_active(self, as_of: date) -> bool:
        """Whether the snooze holds on *as_of*: granted by then, and *until* not reached."""
        return as_of < self.until and (self.since is None or self.since <= as_of)

    def describe(self) -> str:
        """Say the snooze as explanations do: ``snoozed until 2026-12-15: credit note (by Ann)``.

        >>> Snooze(date(2026, 12, 15), "credit note coming", "Ann", ["INV-1"]).describe()
        'INV-1 snoozed until 2026-12-15: credit note coming (by Ann)'
        """
        which = f"{', '.join(self.invoices)} " if self.invoices else ""
        reason = f": {self.reason}" if self.reason else ""
        by = f" (by {self.by})" if self.by else ""
        return f"{which}snoozed until {self.until}{reason}{by}"


@attrs.frozen
class Activity:
    """One logged contact or collection action: when, how, with whom, and what came of it.

    *step* names the policy step the activity carried out, if any: a step done in an episode
    is not repeated. *invoice* names the invoice it was about (for per-invoice steps).
    """

    date: date = attrs.field(validator=_DATE)
    channel: Channel = attrs.field(converter=_channel)
    step: str | None = attrs.field(default=None, validator=_OPT_STR)
    outcome: Outcome | None = attrs.field(default=None, converter=_outcome)
    contact: str | None = attrs.field(default=None, validator=_OPT_STR)
    timeline: str | None = attrs.field(default=None, validator=_OPT_STR)
    invoice: str | None = attrs.field(default=None, validator=_OPT_STR)
    notes: str | None = attrs.field(default=None, validator=_OPT_STR)


def _address(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(strings(value, "address"))


@attrs.frozen
class Company:
    """The company that sends the correspondence: the letterhead, the bank details, the signature.

    *address* is the postal address, one line per item; *signature* the closing of a letter
    (several lines allowed).
    """

    name: str = attrs.field(validator=_nonempty)
    address: tuple[str, ...] = attrs.field(default=(), converter=_address)
    phone: str | None = attrs.field(default=None, validator=_OPT_STR)
    email: str | None = attrs.field(default=None, validator=_OPT_STR)
    website: str | None = attrs.field(default=None, validator=_OPT_STR)
    bank_name: str | None = attrs.field(default=None, validator=_OPT_STR)
    iban: str | None = attrs.field(default=None, validator=_OPT_STR)
    bic: str | None = attrs.field(default=None, validator=_OPT_STR)
    signature: str | None = attrs.field(default=None, validator=_OPT_STR)


@attrs.frozen
class Collector:
    """The collector in charge of an account: who signs its letters and takes its calls."""

    name: str = attrs.field(validator=_nonempty)
    title: str | None = attrs.field(default=None, validator=_OPT_STR)
    phone: str | None = attrs.field(default=None, validator=_OPT_STR)
    email: str | None = attrs.field(default=None, validator=_OPT_STR)
