"""The facts a policy can read, with their types, and how to read each from `AccountFacts`.

Each fact has a Python expression over ``F`` (the account's `AccountFacts`) written here, by
us; the compiler inlines these expressions, and `Fact.get` is built from the same text, so the
evaluator and the generated code cannot disagree about what a fact means. No text of a rule
file ever becomes code.

Some facts may be *absent* (an account without payments has no ``last_payment.date``): they are
marked ``optional``; see the language reference for how absent values compare.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from arcollect.domain.records import Channel, DisputeReason, Outcome
from arcollect.lang.runtime import FACT_NAMESPACE
from arcollect.lang.types import (
    BOOL,
    DATE,
    DURATION,
    INVOICES,
    NUMBER,
    STRING,
    STRING_SET,
    Type,
    enum_type,
    money,
)

__all__ = ["FACTS", "INVOICE_FIELDS", "RUNTIME", "Fact", "fact_table"]


#: The names the trusted fact expressions may use, besides ``F`` (facts) and ``E`` (invoice).
RUNTIME: Final[Mapping[str, Any]] = FACT_NAMESPACE


@attrs.frozen
class Fact:
    """A fact a policy can read.

    Its dotted *name*, *type*, whether it may be absent, the trusted Python expression that
    reads it (over ``F``, or ``E`` for an invoice field), and what it means.
    """

    name: str
    type: Type
    code: str
    doc: str
    optional: bool = False
    get: Callable[[Any], Any] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        var = "E" if self.name.startswith("invoice.") else "F"
        # The code is a constant of this module, never text from a rule file.
        getter = eval(f"lambda {var}: {self.code}", dict(RUNTIME))  # noqa: S307
        object.__setattr__(self, "get", getter)


def _f(name: str, type_: Type, code: str, doc: str, *, optional: bool = False) -> Fact:
    return Fact(name, type_, code, doc, optional)


def _opt(attr: str, field: str) -> str:
    return f"(None if F.{attr} is None else F.{attr}.{field})"


_M = money(None)  # the account's money; the checker substitutes the policy currency

_FACT_LIST = [
    _f("today", DATE, "F.as_of", "The date the plan is made for (`as_of`)."),
    _f("account.id", STRING, "F.account.id", "The account's id."),
    _f("account.name", STRING, "F.account.name", "The customer's name.", optional=True),
    _f("account.tags", STRING_SET, "F.account.tags", "The account's tags."),
    _f("account.currency", STRING, "F.account.currency", "The account's currency code."),
    _f(
        "account.collector",
        STRING,
        _opt("account.collector", "name"),
        "The name of the account's collector (the portfolio's `collector`).",
        optional=True,
    ),
    _f(
        "account.credit_limit",
        _M,
        "F.account.credit_limit",
        "The account's credit limit.",
        optional=True,
    ),
    _f("account.terms", DURATION, "_days(F.account.terms)", "Payment terms.", optional=True),
    _f("account.risk", NUMBER, "F.account.risk", "External risk score.", optional=True),
    _f("account.country", STRING, "F.account.country", "Country code.", optional=True),
    _f("account.locale", STRING, "F.account.locale", "Locale for letters.", optional=True),
    _f(
        "account.customer_since",
        DATE,
        "F.account.customer_since",
        "Since when the account is a customer.",
        optional=True,
    ),
    _f(
        "contact.email",
        BOOL,
        "(F.default_contact is not None and F.default_contact.email not in (None, ''))",
        "Whether the account's first contact (whom a step without `to` addresses) has an "
        "e-mail address.",
    ),
    _f(
        "contact.phone",
        BOOL,
        "(F.default_contact is not None and F.default_contact.phone not in (None, ''))",
        "Whether the account's first contact (whom a step without `to` addresses) has a phone "
        "number.",
    ),
    _f("balance", _M, "F.balance", "Everything owed: open invoices less unapplied credit."),
    _f("overdue", _M, "F.overdue", "The open amount of invoices past their due date."),
    _f("current", _M, "F.current", "The open amount of invoices not yet due."),
    _f(
        "undisputed_overdue",
        _M,
        "F.undisputed_overdue",
        "Overdue money not covered by an open dispute.",
    ),
    _f("unapplied", _M, "F.unapplied", "Cash and credits not applied to any invoice."),
    _f(
        "interest",
        _M,
        "F.interest",
        "Late-payment interest accrued so far, by the policy's `charges` (0 without).",
    ),
    _f("fees", _M, "F.fees", "Fees charged so far, by the policy's `charges` (0 without)."),
    _f("claim", _M, "F.claim", "Overdue money with its charges: overdue + interest + fees."),
    _f(
        "days_past_due",
        NUMBER,
        "F.days_past_due",
        "Days past due of the oldest overdue invoice (0 if none is overdue).",
    ),
    _f(
        "oldest_due",
        DATE,
        "F.oldest_due",
        "The earliest due date of the open invoices.",
        optional=True,
    ),
    _f("invoices", INVOICES, "F.invoices", "The open invoices, for aggregates."),
    _f(
        "promise.active",
        BOOL,
        "(F.promise is not None and F.promise.active)",
        "Whether a promise to pay is open.",
    ),
    _f(
        "promise.broken",
        BOOL,
        "(F.promise is not None and F.promise.status in (_BROKEN, _PARTIAL))",
        "Whether the latest promise was broken or only partially kept.",
    ),
    _f("promise.amount", _M, _opt("promise", "amount"), "The promised amount.", optional=True),
    _f("promise.paid", _M, _opt("promise", "paid"), "Paid toward the promise.", optional=True),
    _f("promise.due", DATE, _opt("promise", "due"), "The promised date.", optional=True),
    _f(
        "promise.made_on",
        DATE,
        _opt("promise", "made_on"),
        "When the promise was made.",
        optional=True,
    ),
    _f("promises.kept", NUMBER, "F.promises_kept", "How many promises were kept."),
    _f("promises.broken", NUMBER, "F.promises_broken", "How many promises were broken."),
    _f(
        "promises.partially_kept",
        NUMBER,
        "F.promises_partially_kept",
        "How many promises were partially kept.",
    ),
    _f(
        "promises.kept_rate",
        NUMBER,
        "F.promises_kept_rate",
        "Kept promises over judged promises.",
        optional=True,
    ),
    _f("dispute.open", BOOL, "F.dispute_open", "Whether a dispute is open."),
    _f("dispute.amount", _M, "F.dispute_amount", "The amount in open disputes."),
    _f(
        "dispute.reason",
        enum_type(DisputeReason),
        "F.dispute_reason",
        "The reason of the oldest open dispute.",
        optional=True,
    ),
    _f(
        "snoozed",
        BOOL,
        "F.snoozed",
        "Whether the account's timeline is snoozed today (a snooze of the account, or of every "
        "overdue invoice).",
    ),
    _f(
        "last_payment.date",
        DATE,
        _opt("last_payment", "date"),
        "Date of the last payment.",
        optional=True,
    ),
    _f(
        "last_payment.amount",
        _M,
        _opt("last_payment", "amount"),
        "Amount of the last payment.",
        optional=True,
    ),
    _f(
        "days_since_payment",
        NUMBER,
        "F.days_since_payment",
        "Days since the last payment.",
        optional=True,
    ),
    _f(
        "last_contact.date",
        DATE,
        _opt("last_contact", "date"),
        "Date of the last contact.",
        optional=True,
    ),
    _f(
        "last_contact.channel",
        enum_type(Channel),
        _opt("last_contact", "channel"),
        "Channel of the last contact.",
        optional=True,
    ),
    _f(
        "last_contact.outcome",
        enum_type(Outcome),
        _opt("last_contact", "outcome"),
        "Outcome of the last contact.",
        optional=True,
    ),
    _f(
        "days_since_contact",
        NUMBER,
        "F.days_since_contact",
        "Days since the last contact.",
        optional=True,
    ),
]

#: Every fact a policy can read, by dotted name.
FACTS: Final[Mapping[str, Fact]] = MappingProxyType({f.name: f for f in _FACT_LIST})

_FIELD_LIST = [
    _f("invoice.number", STRING, "E.number", "The invoice number."),
    _f("invoice.amount", _M, "E.amount", "The invoiced amount."),
    _f("invoice.open", _M, "E.open", "What is still owed on it."),
    _f("invoice.issued", DATE, "E.issued", "The issue date."),
    _f("invoice.due", DATE, "E.due", "The due date."),
    _f("invoice.days_past_due", NUMBER, "E.days_past_due", "Days past its due date (0 if not)."),
    _f("invoice.overdue", BOOL, "E.overdue", "Whether it is past its due date."),
    _f("invoice.disputed", BOOL, "E.disputed", "Whether an open dispute names it."),
    _f("invoice.delivered", BOOL, "E.delivered", "Whether delivery is confirmed."),
    _f("invoice.po_number", STRING, "E.po_number", "The customer's PO number.", optional=True),
    _f("invoice.tags", STRING_SET, "E.tags", "The invoice's tags."),
    _f("invoice.snoozed", BOOL, "E.snoozed", "Whether a snooze active today covers it."),
]

#: The fields of one invoice, readable inside an aggregate (``invoices.open``, ``where ...``).
INVOICE_FIELDS: Final[Mapping[str, Fact]] = MappingProxyType(
    {f.name.removeprefix("invoice."): f for f in _FIELD_LIST}
)


def fact_table() -> list[tuple[str, str, bool, str]]:
    """Return (name, type, optional, meaning) for every fact, for the language reference."""
    return [(f.name, f.type.describe(), f.optional, f.doc) for f in _FACT_LIST]
