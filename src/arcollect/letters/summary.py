"""Call summaries: what was agreed on a call, repeated back to the customer and logged.

A collector records the outcome of a call as a `CallOutcome`: the date, the contact spoken to,
the `Outcome`, and what was agreed: a promise to pay (amount, date, method), a dispute raised
(reason, invoices, amount), the documents to send and who sends them, the next follow-up date
and free notes. `summarize` turns it into a `CallSummary`: the confirmation to send to the
customer (rendered from the shipped template ``call_summary.LOCALE.txt``, blocks ``subject``
and ``text``, in the contact's language, else the account's, the policy's, ``en_US``), and the
records to log: an `Activity` (and a `Promise` and/or a `Dispute`). Logged on the account
(``attrs.evolve``), a promise pauses escalation until its date, and the next plan on that date
follows it up.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs

from arcollect._suggest import did_you_mean
from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import (
    Activity,
    Company,
    Dispute,
    DisputeReason,
    Outcome,
    Promise,
    member,
    of_type,
    records,
    strings,
)
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import ContactRef, Plan, PlannedAction
from arcollect.errors import DataError, Problem
from arcollect.facts import facts
from arcollect.letters.context import build_context, choose_locale
from arcollect.letters.filters import TemplateError
from arcollect.letters.render import _block, _render, payment_deadline
from arcollect.letters.sandbox import environment, find
from arcollect.policy import Policy

__all__ = [
    "CallOutcome",
    "CallSummary",
    "CallView",
    "DisputeRaised",
    "DocumentToSend",
    "PaymentMethod",
    "PromiseMade",
    "Sender",
    "summarize",
]

#: The template of the confirmation.
TEMPLATE = "call_summary"


class PaymentMethod(enum.StrEnum):
    """How the customer said they will pay."""

    BANK_TRANSFER = "bank_transfer"
    CARD = "card"
    CHEQUE = "cheque"
    DIRECT_DEBIT = "direct_debit"
    CASH = "cash"
    OTHER = "other"


class Sender(enum.StrEnum):
    """Who sends a document agreed on a call: we (the seller) or they (the customer)."""

    US = "us"
    THEM = "them"


_DATE = of_type(date, "a date")
_OPT_DATE = of_type(date, "a date", optional=True)
_OPT_STR = of_type(str, "a string", optional=True)


def _nonempty(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value.strip():
        raise DataError.at(attribute.name, f"expected a non-empty string, got {value!r}")


def _positive(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, Money):
        raise DataError.at(attribute.name, f"expected an amount (Money), got {value!r}")
    if value.amount <= 0:
        raise DataError.at(attribute.name, f"expected an amount above zero, got {value}")


def _opt_positive(inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None:
        _positive(inst, attribute, value)


def _method(value: PaymentMethod | str) -> PaymentMethod:
    return member(PaymentMethod, value, "method")


def _sender(value: Sender | str) -> Sender:
    return member(Sender, value, "sender")


def _reason(value: DisputeReason | str) -> DisputeReason:
    return member(DisputeReason, value, "reason")


def _outcome(value: Outcome | str) -> Outcome:
    return member(Outcome, value, "outcome")


def _invoices(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(strings(value, "invoices"))


@attrs.frozen
class PromiseMade:
    """A promise made on the call: *amount* by *due*, paid by *method*."""

    amount: Money = attrs.field(validator=_positive)
    due: date = attrs.field(validator=_DATE)
    method: PaymentMethod = attrs.field(default=PaymentMethod.BANK_TRANSFER, converter=_method)


@attrs.frozen
class DisputeRaised:
    """A dispute raised on the call: why, over which invoices, and (optionally) how much."""

    reason: DisputeReason = attrs.field(converter=_reason)
    invoices: tuple[str, ...] = attrs.field(default=(), converter=_invoices)
    amount: Money | None = attrs.field(default=None, validator=_opt_positive)


@attrs.frozen
class DocumentToSend:
    """A document agreed on the call (a copy of an invoice, a proof of delivery) and its sender."""

    what: str = attrs.field(validator=_nonempty)
    sender: Sender = attrs.field(converter=_sender)


def _documents(value: Iterable[DocumentToSend]) -> tuple[DocumentToSend, ...]:
    return records(value, DocumentToSend, "documents")


def _opt_record(kind: type, what: str) -> Any:
    def check(_inst: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, kind):
            raise DataError.at(
                attribute.name, f"expected {what} ({kind.__name__}) or None, got {value!r}"
            )

    return check


#: The outcomes a promise or a dispute may come with.
_AGREED = frozenset({Outcome.PROMISE, Outcome.DISPUTE})


@attrs.frozen
class CallOutcome:
    """What came of a call: who was spoken to on *date*, the outcome, and what was agreed.

    An outcome ``promise`` needs *promise*, ``dispute`` needs *dispute*; a promise or a dispute
    comes with one of those two outcomes only. The promise's date and *next_follow_up* are on
    or after the call.
    """

    date: dt.date = attrs.field(validator=_DATE)
    contact: str = attrs.field(validator=_nonempty)
    outcome: Outcome = attrs.field(converter=_outcome)
    promise: PromiseMade | None = attrs.field(
        default=None, validator=_opt_record(PromiseMade, "a promise")
    )
    dispute: DisputeRaised | None = attrs.field(
        default=None, validator=_opt_record(DisputeRaised, "a dispute")
    )
    documents: tuple[DocumentToSend, ...] = attrs.field(default=(), converter=_documents)
    next_follow_up: dt.date | None = attrs.field(default=None, validator=_OPT_DATE)
    notes: str | None = attrs.field(default=None, validator=_OPT_STR)

    def __attrs_post_init__(self) -> None:
        problems = []
        if self.outcome is Outcome.PROMISE and self.promise is None:
            problems.append(
                Problem("promise", "the outcome 'promise' needs the promise: amount, due, method")
            )
        if self.outcome is Outcome.DISPUTE and self.dispute is None:
            problems.append(
                Problem("dispute", "the outcome 'dispute' needs the dispute: reason, invoices")
            )
        problems.extend(
            Problem(
                name,
                f"a {name} comes with the outcome 'promise' or 'dispute', "
                f"not {str(self.outcome)!r}",
            )
            for name in ("promise", "dispute")
            if getattr(self, name) is not None and self.outcome not in _AGREED
        )
        if self.promise is not None and self.promise.due < self.date:
            problems.append(
                Problem(
                    "promise.due",
                    f"the promised date {self.promise.due} is before the call ({self.date})",
                )
            )
        if self.next_follow_up is not None and self.next_follow_up < self.date:
            problems.append(
                Problem(
                    "next_follow_up",
                    f"the follow-up date {self.next_follow_up} is before the call ({self.date})",
                )
            )
        if problems:
            raise DataError(problems)


@attrs.frozen
class PromiseTermsView:
    """The promise as the confirmation repeats it."""

    amount: Money
    due: date
    method: str


@attrs.frozen
class DisputeRaisedView:
    """The dispute as the confirmation repeats it (``amount`` is None when not given)."""

    reason: str
    internal_cause: bool
    invoices: tuple[str, ...]
    amount: Money | None


@attrs.frozen
class DocumentView:
    """A document to send, and who sends it (``us`` or ``them``)."""

    what: str
    sender: str


@attrs.frozen
class CallView:
    """The template's ``call``: the call's date, contact, outcome and what was agreed."""

    date: dt.date
    contact: str
    outcome: str
    promise: PromiseTermsView | None
    dispute: DisputeRaisedView | None
    documents: tuple[DocumentView, ...]
    documents_ours: tuple[DocumentView, ...]
    documents_theirs: tuple[DocumentView, ...]
    next_follow_up: dt.date | None
    notes: str | None


@attrs.frozen
class CallSummary:
    """The confirmation of a call (subject and text, in *locale*) and the records to log.

    Log them by adding `activity` (and `promise`, `dispute`) to the account's records, e.g.
    ``attrs.evolve(account, activities=(*account.activities, s.activity), ...)``.
    """

    account: str
    locale: str
    subject: str
    text: str
    activity: Activity
    promise: Promise | None
    dispute: Dispute | None
    template: str

    def log(self, account: Account) -> Account:
        """Return *account* with this summary's records added."""
        return attrs.evolve(
            account,
            activities=(*account.activities, self.activity),
            promises=(*account.promises, *(() if self.promise is None else (self.promise,))),
            disputes=(*account.disputes, *(() if self.dispute is None else (self.dispute,))),
        )


def _planned(account: Account, plan: Plan | None) -> PlannedAction | None:
    if plan is None:
        return None
    return next(
        (
            a
            for a in plan.actions_for(account.id)
            if a.channel in {PlanChannel.CALL, PlanChannel.VISIT}
        ),
        None,
    )


def _check_against(account: Account, outcome: CallOutcome) -> None:
    problems = []
    cur = account.currency
    if outcome.promise is not None and outcome.promise.amount.currency != cur:
        problems.append(
            Problem(
                "promise.amount",
                f"expected an amount in {cur}, the account's currency, "
                f"got {outcome.promise.amount}",
            )
        )
    if outcome.dispute is not None:
        d = outcome.dispute
        if d.amount is not None and d.amount.currency != cur:
            problems.append(
                Problem(
                    "dispute.amount",
                    f"expected an amount in {cur}, the account's currency, got {d.amount}",
                )
            )
        numbers = [inv.number for inv in account.invoices]
        for i, number in enumerate(d.invoices):
            if number not in numbers:
                hint = did_you_mean(number, numbers)
                problems.append(
                    Problem(
                        f"dispute.invoices[{i}]",
                        f"account {account.id} has no invoice {number!r}"
                        + (f"; {hint}" if hint else ""),
                    )
                )
    if problems:
        raise DataError(problems)


def _action(account: Account, outcome: CallOutcome, planned: PlannedAction | None) -> PlannedAction:
    c = next((c for c in account.contacts if c.name == outcome.contact), None)
    role = None
    if c is not None:
        role = "decision_maker" if c.is_decision_maker else next(iter(sorted(c.roles)), None)
    ref = ContactRef(
        outcome.contact, role, None if c is None else c.phone, None if c is None else c.email
    )
    return PlannedAction(
        account=account.id,
        step=planned.step if planned is not None else "call_summary",
        timeline=None if planned is None else planned.timeline,
        action=ActionKind.CALL,
        channel=PlanChannel.CALL,
        contact=ref,
        template=TEMPLATE,
        due=outcome.date,
        priority=Decimal(0),
        tier=None,
        needs_approval=None,
        deferred=False,
        invoice=None if planned is None else planned.invoice,
        explanation=["summary of a call"],
    )


def _view(outcome: CallOutcome) -> CallView:
    p, d = outcome.promise, outcome.dispute
    docs = tuple(DocumentView(doc.what, str(doc.sender)) for doc in outcome.documents)
    return CallView(
        date=outcome.date,
        contact=outcome.contact,
        outcome=str(outcome.outcome),
        promise=None if p is None else PromiseTermsView(p.amount, p.due, str(p.method)),
        dispute=None
        if d is None
        else DisputeRaisedView(str(d.reason), d.reason.is_internal_cause, d.invoices, d.amount),
        documents=docs,
        documents_ours=tuple(doc for doc in docs if doc.sender == Sender.US),
        documents_theirs=tuple(doc for doc in docs if doc.sender == Sender.THEM),
        next_follow_up=outcome.next_follow_up,
        notes=outcome.notes,
    )


def summarize(
    account: Account,
    outcome: CallOutcome,
    *,
    policy: Policy,
    plan: Plan | None = None,
    company: Company | None = None,
    templates: str | Path | None = None,
) -> CallSummary:
    """Summarize the call to *account* that *outcome* records.

    With *plan*, a call or visit the plan has for the account is the step the activity logs.
    Raise `DataError` (paths relative to *outcome*) for a promise or dispute that does not fit
    the account (another currency, an unknown invoice), `TemplateError` for a failing template.
    """
    if not isinstance(outcome, CallOutcome):
        raise DataError.at("", f"expected a CallOutcome, got {type(outcome).__name__}")
    _check_against(account, outcome)
    planned = _planned(account, plan)
    action = _action(account, outcome, planned)
    env = environment(templates)
    checked = policy.checked
    calendar = BusinessCalendar.of(checked.business_days, checked.holidays)
    chain = choose_locale(account, action, checked.locale)
    found = find(env, TEMPLATE, chain, "txt")
    if found is None:
        raise TemplateError(f"no template {TEMPLATE!r} for locales {', '.join(chain)}")
    file, locale = found
    with decimal.localcontext(MONEY_CONTEXT):
        f = facts(account, outcome.date)
        ctx = {
            **build_context(
                f,
                action,
                locale=locale,
                company=company,
                calendar=calendar,
                deadline_days=payment_deadline(policy),
            ),
            "call": _view(outcome),
        }
        tmpl = _render(file, "compile", lambda: env.get_template(file))
        subject = str(_render(file, "subject", lambda: _block(tmpl, "subject", ctx)) or "")
        text = _render(file, "text", lambda: _block(tmpl, "text", ctx))
    if text is None:
        raise TemplateError(f"{file}: has no `text` block")
    channel = (
        Channel.VISIT
        if planned is not None and planned.channel is PlanChannel.VISIT
        else (Channel.CALL)
    )
    activity = Activity(
        outcome.date,
        channel,
        step=None if planned is None else planned.step,
        outcome=outcome.outcome,
        contact=outcome.contact,
        timeline=None if planned is None else planned.timeline,
        invoice=None if planned is None else planned.invoice,
        notes=outcome.notes,
    )
    p, d = outcome.promise, outcome.dispute
    promise = (
        None
        if p is None
        else Promise(outcome.date, p.amount, p.due, by=outcome.contact, note=f"method: {p.method}")
    )
    dispute = (
        None if d is None else Dispute(outcome.date, d.reason, invoices=d.invoices, amount=d.amount)
    )
    return CallSummary(
        account=account.id,
        locale=locale,
        subject=subject.strip(),
        text=str(text) + "\n",
        activity=activity,
        promise=promise,
        dispute=dispute,
        template=file,
    )
