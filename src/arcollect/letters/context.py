"""The template context: what a template may read, as frozen read-only views.

The context is documented (docs/correspondence.md) and stable: a template names only these
variables and their fields, and `arcollect.letters.check` holds templates to `SCHEMA`. The views
are built from an account's `AccountFacts` as of the plan's date, so call sheets and other
documents about an account can reuse `build_context`.

Top-level names: ``company``, ``collector``, ``account``, ``contact``, ``invoices`` (the open
invoices the document is about: all of the account's, or the step's invoice for a per-invoice
step), ``overdue_invoices``, ``upcoming_invoices``, ``totals``, ``step``, ``promise``,
``broken_promises``, ``dispute``, ``last_payment``, ``last_contact``, ``payment_deadline``,
``as_of``, ``locale``, ``channel``, ``charges`` and ``charge_lines``. ``collector``,
``contact``, ``promise``, ``dispute``, ``last_payment``, ``last_contact`` and ``charges`` may be
None (test them with ``{% if ... %}``); ``charges`` is None unless the policy charges interest
or fees.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any, Final

import attrs

from arcollect.domain.account import Account
from arcollect.domain.money import Money
from arcollect.domain.records import Company
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import Plan, PlannedAction
from arcollect.errors import UnknownAccountError
from arcollect.facts import AccountFacts, InvoiceFacts, facts

__all__ = [
    "SCHEMA",
    "AccountView",
    "ChargeLineView",
    "ChargesView",
    "CollectorView",
    "CompanyView",
    "ContactView",
    "DisputeView",
    "EventView",
    "InvoiceView",
    "PaymentView",
    "PromiseView",
    "StepView",
    "TotalsView",
    "build_context",
    "business_days_after",
    "choose_locale",
    "plan_facts",
]

#: The last locale of every fallback chain.
DEFAULT_LOCALE: Final = "en_US"


@attrs.frozen
class CompanyView:
    """The sender: name, address lines, phone, e-mail, website, bank details and signature."""

    name: str
    address: tuple[str, ...]
    phone: str | None
    email: str | None
    website: str | None
    bank_name: str | None
    iban: str | None
    bic: str | None
    signature: str | None


@attrs.frozen
class CollectorView:
    """The collector in charge of the account."""

    name: str
    title: str | None
    phone: str | None
    email: str | None


@attrs.frozen
class AccountView:
    """The customer: id, name (the id when it has none), number (the id), locale, terms."""

    id: str
    name: str
    number: str
    locale: str | None
    terms: int | None
    currency: str


@attrs.frozen
class ContactView:
    """The person written to, and the role they were chosen for."""

    name: str
    title: str | None
    role: str | None
    email: str | None
    phone: str | None


@attrs.frozen
class InvoiceView:
    """An open invoice: its amounts (``open`` is still owed), dates, and flags."""

    number: str
    po_number: str | None
    issued: date
    due: date
    amount: Money
    open: Money
    days_past_due: int
    overdue: bool
    disputed: bool
    delivered: bool


@attrs.frozen
class TotalsView:
    """Sums over the invoices of the document.

    ``demanded`` is what the document asks for: the overdue amount less the disputed invoices;
    the counts are of overdue, disputed overdue, and not yet due invoices.
    """

    overdue: Money
    undisputed_overdue: Money
    demanded: Money
    disputed: Money
    not_yet_due: Money
    balance: Money
    overdue_count: int
    disputed_count: int
    upcoming_count: int


@attrs.frozen
class StepView:
    """The step of the policy being carried out, and how often it was already sent."""

    name: str
    timeline: str | None
    times_sent: int
    invoice: str | None


@attrs.frozen
class PromiseView:
    """The current promise to pay."""

    amount: Money
    due: date
    made_on: date
    status: str


@attrs.frozen
class DisputeView:
    """The open disputes: the reason of the oldest, the amount of all."""

    reason: str
    amount: Money


@attrs.frozen
class PaymentView:
    """A payment received."""

    date: date
    amount: Money
    reference: str | None


@attrs.frozen
class EventView:
    """A logged contact: when, how, and what came of it."""

    date: date
    channel: str
    outcome: str | None


@attrs.frozen
class ChargeLineView:
    """The charges of one invoice of the document: interest still owed, and fees.

    *days* counts the days it accrued interest, *rate* (percent a year) is its latest period's;
    *fees* the fees owed on it, those this document charges included.
    """

    invoice: str
    interest: Money
    days: int
    rate: Decimal
    fees: Money


@attrs.frozen
class ChargesView:
    """Late-payment charges on the document's invoices, by the policy's ``charges``.

    *interest* is the interest still owed, *fees* the fees owed (*new_fees* of them charged by
    this document), *total* what the document asks for: ``totals.demanded`` with both.
    """

    interest: Money
    fees: Money
    new_fees: Money
    total: Money


#: The documented context: each top-level name's view class (None: a plain value, read
#: only through filters), and for tuples of views ``(tuple, view)``.
SCHEMA: Final[Mapping[str, Any]] = {
    "company": CompanyView,
    "collector": CollectorView,
    "account": AccountView,
    "contact": ContactView,
    "invoices": (tuple, InvoiceView),
    "overdue_invoices": (tuple, InvoiceView),
    "upcoming_invoices": (tuple, InvoiceView),
    "totals": TotalsView,
    "step": StepView,
    "promise": PromiseView,
    "broken_promises": None,
    "dispute": DisputeView,
    "last_payment": PaymentView,
    "last_contact": EventView,
    "payment_deadline": None,
    "as_of": None,
    "locale": None,
    "channel": None,
    "charges": ChargesView,
    "charge_lines": (tuple, ChargeLineView),
}


def plan_facts(account: Account, plan: Plan) -> AccountFacts:
    """Return *account*'s facts on the plan's date, with the charges the plan worked out."""
    found = facts(account, plan.as_of)
    try:
        charges = plan.state(account.id).charges
    except UnknownAccountError:
        return found
    return found if charges is None else attrs.evolve(found, charges=charges)


def business_days_after(calendar: BusinessCalendar, start: date, days: int) -> date:
    """Return the date *days* business days after *start* (*start* itself not counted)."""
    day = start
    for _ in range(days):
        day = calendar.next_business_day(day)
    return day


def choose_locale(
    account: Account, action: PlannedAction, policy_locale: str | None
) -> tuple[str, ...]:
    """Return the locales to try, best first: contact language, account, policy, ``en_US``."""
    chain: list[str] = []
    if action.contact is not None:
        for c in account.contacts:
            if c.name == action.contact.name and c.language:
                chain.append(c.language)
                break
    chain.extend(loc for loc in (account.locale, policy_locale, DEFAULT_LOCALE) if loc)
    return tuple(dict.fromkeys(chain))


def _invoice(inv: InvoiceFacts) -> InvoiceView:
    return InvoiceView(
        number=inv.number,
        po_number=inv.po_number,
        issued=inv.issued,
        due=inv.due,
        amount=inv.amount,
        open=inv.open,
        days_past_due=inv.days_past_due,
        overdue=inv.overdue,
        disputed=inv.disputed,
        delivered=inv.delivered,
    )


def _sum(zero: Money, items: list[InvoiceView]) -> Money:
    total = zero
    for inv in items:
        total += inv.open
    return total


def build_context(
    f: AccountFacts,
    action: PlannedAction,
    *,
    locale: str,
    company: Company | None,
    calendar: BusinessCalendar,
    deadline_days: int,
    episode_start: date | None = None,
) -> dict[str, Any]:
    """Return the template context for *action* on the account of *f*, in *locale*."""
    acct = f.account
    zero = acct.zero()
    invoices = [_invoice(i) for i in f.invoices if not i.open.is_zero and not i.open.is_negative]
    if action.invoice is not None:
        invoices = [i for i in invoices if i.number == action.invoice]
    overdue = [i for i in invoices if i.overdue]
    upcoming = [i for i in invoices if not i.overdue]
    undisputed = _sum(zero, [i for i in overdue if not i.disputed])
    contact = None
    if action.contact is not None:
        title = next((c.title for c in acct.contacts if c.name == action.contact.name), None)
        ref = action.contact
        contact = ContactView(ref.name, title, ref.role, ref.email, ref.phone)
    since = episode_start or f.delinquent_since
    sent = sum(
        1
        for a in f.activities
        if a.step == action.step and (since is None or a.date >= since) and a.date <= f.as_of
    )
    promise = None
    if f.promise is not None:
        p = f.promise
        promise = PromiseView(p.amount, p.due, p.made_on, str(p.status))
    dispute = None
    if f.open_disputes:
        dispute = DisputeView(str(f.open_disputes[0].reason), f.dispute_amount)
    pay = f.last_payment
    last = f.last_contact
    charges, lines = _charges(f, action, [i.number for i in invoices], undisputed)
    return {
        "company": None
        if company is None
        else CompanyView(
            company.name,
            company.address,
            company.phone,
            company.email,
            company.website,
            company.bank_name,
            company.iban,
            company.bic,
            company.signature,
        ),
        "collector": None
        if acct.collector is None
        else CollectorView(
            acct.collector.name, acct.collector.title, acct.collector.phone, acct.collector.email
        ),
        "account": AccountView(
            acct.id, acct.name or acct.id, acct.id, acct.locale, acct.terms, acct.currency
        ),
        "contact": contact,
        "invoices": tuple(invoices),
        "overdue_invoices": tuple(overdue),
        "upcoming_invoices": tuple(upcoming),
        "totals": TotalsView(
            overdue=_sum(zero, overdue),
            undisputed_overdue=undisputed,
            demanded=undisputed,
            disputed=_sum(zero, [i for i in overdue if i.disputed]),
            not_yet_due=_sum(zero, upcoming),
            balance=f.balance,
            overdue_count=len(overdue),
            disputed_count=sum(1 for i in overdue if i.disputed),
            upcoming_count=len(upcoming),
        ),
        "step": StepView(action.step, action.timeline, sent, action.invoice),
        "promise": promise,
        "broken_promises": f.promises_broken,
        "dispute": dispute,
        "last_payment": None if pay is None else PaymentView(pay.date, pay.amount, pay.reference),
        "last_contact": None
        if last is None
        else EventView(
            last.date, str(last.channel), None if last.outcome is None else str(last.outcome)
        ),
        "payment_deadline": business_days_after(calendar, f.as_of, deadline_days),
        "as_of": f.as_of,
        "locale": locale,
        "channel": str(action.channel),
        "charges": charges,
        "charge_lines": lines,
    }


def _charges(
    f: AccountFacts, action: PlannedAction, numbers: list[str], demanded: Money
) -> tuple[ChargesView | None, tuple[ChargeLineView, ...]]:
    """Return the charges of the document's invoices (*numbers*), and per invoice."""
    if f.charges is None:
        return None, ()
    zero = f.account.zero()
    new = dict.fromkeys(numbers, zero)
    new_on_account = zero
    for charge in action.charges:
        if charge.invoice is None:
            new_on_account += charge.amount
        elif charge.invoice in new:
            new[charge.invoice] += charge.amount
    lines = []
    for number in numbers:
        detail = f.charges.invoice(number)
        interest = detail.interest_open if detail is not None else zero
        fees = (detail.fees_open if detail is not None else zero) + new[number]
        if interest.is_zero and fees.is_zero:
            continue
        last = detail.periods[-1] if detail is not None and detail.periods else None
        lines.append(
            ChargeLineView(
                invoice=number,
                interest=interest,
                days=sum(p.days for p in detail.periods) if detail is not None else 0,
                rate=last.rate if last is not None else Decimal(0),
                fees=fees,
            )
        )
    interest = Money.sum((line.interest for line in lines), f.currency)
    fees = Money.sum((line.fees for line in lines), f.currency)
    new_fees = Money.sum(new.values(), f.currency) + new_on_account
    if action.invoice is None:  # fees on the account as a whole belong to account documents
        fees += Money.sum((fee.amount for fee in f.charges.fees), f.currency) + new_on_account
    view = ChargesView(interest, fees, new_fees, demanded + interest + fees)
    return view, tuple(lines)
