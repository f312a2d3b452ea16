"""Call preparation sheets and voicemail scripts, from the same context and filters as letters.

`call_sheet` prepares one call to an account: its contacts in order of authority to pay (the
decision makers first), the open invoices with PO number and delivery flags, the disputes with
reason and owner, the promises and how each stands, the last activities with their outcomes
and notes, the payment history (last payments, average days late), and the call's objective by
situation, the questions to ask and the answers to common excuses. `call_sheets` prepares one
for every ``call`` and ``visit`` action of a plan.

Each sheet holds a voicemail script: who you are, your company, which invoices by number and
amount, the action asked, your name and number, and the number again, with its reading time at
`WORDS_PER_MINUTE`. Both are rendered from the shipped templates ``call_sheet.LOCALE.txt`` and
``voicemail.LOCALE.txt`` (en, de, fr) in the sandbox, and a user directory overrides them.
"""

from __future__ import annotations

import decimal
import math
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import jinja2

from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import Company, Contact
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import ContactRef, Plan, PlannedAction
from arcollect.facts import AccountFacts, PromiseStatus
from arcollect.letters.context import PaymentView, build_context, choose_locale, plan_facts
from arcollect.letters.filters import TemplateError
from arcollect.letters.render import _block, _render, payment_deadline
from arcollect.letters.sandbox import environment, find
from arcollect.policy import Policy

__all__ = [
    "SITUATIONS",
    "WORDS_PER_MINUTE",
    "ActivityLine",
    "CallSheet",
    "DisputeLine",
    "PromiseLine",
    "call_sheet",
    "call_sheets",
]

#: The reading speed of a voicemail's reading-time estimate: slowly, as a message should be.
WORDS_PER_MINUTE: Final = 130
#: The situations a call's objective is chosen by, in order of precedence.
SITUATIONS: Final = ("broken_promise", "first_call", "follow_up")
#: The overdue amount (in the account's currency) from which a balance counts as large.
LARGE_BALANCE: Final = Decimal(10000)
#: How many activities and payments a sheet shows, newest first.
LAST_ACTIVITIES: Final = 5
LAST_PAYMENTS: Final = 3

_CALLED = frozenset({Channel.CALL, Channel.VISIT})


@attrs.frozen
class ContactLine:
    """A contact, as a call sheet lists it: who, in what role, and how to reach them."""

    name: str
    title: str | None
    roles: tuple[str, ...]
    decision_maker: bool
    phone: str | None
    email: str | None


@attrs.frozen
class DisputeLine:
    """An open dispute: since when, why, over which invoices, how much, and who owns it."""

    opened: date
    reason: str
    internal_cause: bool
    invoices: tuple[str, ...]
    amount: Money
    owner: str | None
    notes: str | None


@attrs.frozen
class PromiseLine:
    """A promise to pay and how it stands: open, kept, partially kept or broken."""

    made_on: date
    amount: Money
    due: date
    status: str
    by: str | None
    paid: Money


@attrs.frozen
class ActivityLine:
    """A logged activity: when, how, with whom, what came of it, and the notes taken."""

    date: date
    channel: str
    step: str | None
    outcome: str | None
    contact: str | None
    notes: str | None


@attrs.frozen
class CallSheet:
    """A prepared call: the sheet's text and the voicemail script, with its reading time."""

    account: str
    step: str
    locale: str
    situation: str
    text: str
    voicemail: str
    words: int
    seconds: int

    def render(self) -> str:
        """Return the sheet, then the voicemail script: what ``arcollect callsheet`` prints."""
        return f"{self.text}\n{self.voicemail}"


def _authority(c: Contact) -> tuple[int, int, str]:
    ap = 0 if {"accounts_payable", "billing"} & c.roles else 1
    return (0 if c.is_decision_maker else 1, ap, c.name)


def _average_days_late(account: Account) -> int | None:
    """Return the average days late of the payments that name their invoices (None without any)."""
    due = {inv.number: inv.due for inv in account.invoices}
    late = [
        max(0, (pay.date - due[ref]).days)
        for pay in account.payments
        for ref in pay.applies_to
        if ref in due
    ]
    if not late:
        return None
    with decimal.localcontext(MONEY_CONTEXT):
        avg = Decimal(sum(late)) / Decimal(len(late))
        return int(avg.to_integral_value(rounding=decimal.ROUND_HALF_EVEN))


def situation(f: AccountFacts) -> str:
    """Return the call's situation: after a broken promise, a first call, or a follow-up."""
    if f.promises and f.promises[-1].status is PromiseStatus.BROKEN:
        return "broken_promise"
    since = f.delinquent_since
    called = [
        a
        for a in f.activities
        if a.channel in _CALLED and (since is None or a.date >= since) and a.date <= f.as_of
    ]
    return "follow_up" if called else "first_call"


def _extra(f: AccountFacts, large_balance: Decimal) -> dict[str, Any]:
    acct = f.account
    contacts = tuple(
        ContactLine(c.name, c.title, tuple(sorted(c.roles)), c.is_decision_maker, c.phone, c.email)
        for c in sorted(acct.contacts, key=_authority)
    )
    disputes = tuple(
        DisputeLine(
            d.opened,
            str(d.reason),
            d.reason.is_internal_cause,
            d.invoices,
            d.amount
            if d.amount is not None
            else Money.sum((i.open for i in f.invoices if i.number in d.invoices), acct.currency),
            d.owner,
            d.notes,
        )
        for d in f.open_disputes
    )
    promises = tuple(
        PromiseLine(p.made_on, p.amount, p.due, str(p.status), p.by, p.paid) for p in f.promises
    )
    past = [a for a in f.activities if a.date <= f.as_of]
    activities = tuple(
        ActivityLine(
            a.date,
            str(a.channel),
            a.step,
            None if a.outcome is None else str(a.outcome),
            a.contact,
            a.notes,
        )
        for a in reversed(past[-LAST_ACTIVITIES:])
    )
    paid = sorted((p for p in acct.payments if p.date <= f.as_of), key=lambda p: p.date)
    payments = tuple(PaymentView(p.date, p.amount, p.reference) for p in reversed(paid[-3:]))
    return {
        "contacts": contacts,
        "disputes": disputes,
        "promises": promises,
        "activities": activities,
        "payments": payments,
        "average_days_late": _average_days_late(acct),
        "situation": situation(f),
        "large_balance": f.overdue.amount >= large_balance,
    }


def _on_demand(f: AccountFacts) -> PlannedAction:
    """Return a call to the account's first contact by authority, for a sheet no plan asked for."""
    ordered = sorted(f.account.contacts, key=_authority)
    contact = None
    if ordered:
        c = ordered[0]
        role = "decision_maker" if c.is_decision_maker else next(iter(sorted(c.roles)), None)
        contact = ContactRef(c.name, role, c.phone, c.email)
    return PlannedAction(
        account=f.account.id,
        step="call",
        timeline=None,
        action=ActionKind.CALL,
        channel=PlanChannel.CALL,
        contact=contact,
        template=None,
        due=f.as_of,
        priority=Decimal(0),
        tier=None,
        needs_approval=None,
        deferred=False,
        invoice=None,
        explanation=["prepared on demand"],
    )


def call_sheet(
    account: Account,
    plan: Plan,
    *,
    policy: Policy,
    action: PlannedAction | None = None,
    templates: str | Path | None = None,
    company: Company | None = None,
    large_balance: Decimal = LARGE_BALANCE,
) -> CallSheet:
    """Prepare the call *action* of *plan* to *account* (default: its first call or visit).

    An account the plan has no call or visit for gets a sheet for a call to its first contact
    by authority. A balance from *large_balance* (in the account's currency) adds payment
    options to the objective. Raise `TemplateError` for a template that is missing or fails.
    """
    if action is None:
        action = next(
            (
                a
                for a in plan.actions_for(account.id)
                if a.channel in {PlanChannel.CALL, PlanChannel.VISIT}
            ),
            None,
        )
    with decimal.localcontext(MONEY_CONTEXT):
        f = plan_facts(account, plan)
        if action is None:
            action = _on_demand(f)
        return _sheet(f, action, plan, policy, templates, company, large_balance)


def call_sheets(
    plan: Plan,
    accounts: Iterable[Account],
    *,
    policy: Policy,
    templates: str | Path | None = None,
    company: Company | None = None,
) -> tuple[CallSheet, ...]:
    """Prepare every ``call`` and ``visit`` action of *plan*, in plan order."""
    by_id = {a.id: a for a in accounts}
    out = []
    for act in plan.actions:
        if act.channel not in {PlanChannel.CALL, PlanChannel.VISIT}:
            continue
        account = by_id.get(act.account)
        if account is None:
            raise TemplateError(f"the plan names account {act.account!r}, not given")
        out.append(
            call_sheet(
                account, plan, policy=policy, action=act, templates=templates, company=company
            )
        )
    return tuple(out)


def _sheet(  # noqa: PLR0917 - the parts of one sheet
    f: AccountFacts,
    action: PlannedAction,
    plan: Plan,
    policy: Policy,
    templates: str | Path | None,
    company: Company | None,
    large_balance: Decimal,
) -> CallSheet:
    env = environment(templates)
    checked = policy.checked
    calendar = BusinessCalendar.of(checked.business_days, checked.holidays)
    chain = choose_locale(f.account, action, checked.locale)
    state = plan.state(f.account.id) if _has_state(plan, f.account.id) else None
    extra = _extra(f, large_balance)

    def context(locale: str) -> dict[str, Any]:
        return {
            **build_context(
                f,
                action,
                locale=locale,
                company=company,
                calendar=calendar,
                deadline_days=payment_deadline(policy),
                episode_start=None if state is None else state.episode_start,
            ),
            **extra,
        }

    file, locale = _find(env, "call_sheet", chain)
    text = _part(env, file, "text", context(locale))
    vm_file, vm_locale = _find(env, "voicemail", chain)
    ctx = context(vm_locale)
    title = _part(env, vm_file, "title", ctx)
    script = _part(env, vm_file, "script", ctx)
    words = len(script.split())
    seconds = math.ceil(words * 60 / WORDS_PER_MINUTE)
    timing_ctx = {**ctx, "words": words, "seconds": seconds, "per_minute": WORDS_PER_MINUTE}
    timing = _part(env, vm_file, "timing", timing_ctx)
    voicemail = "\n\n".join(p for p in (title, script, timing) if p) + "\n"
    return CallSheet(
        account=f.account.id,
        step=action.step,
        locale=locale,
        situation=str(extra["situation"]),
        text=text.rstrip("\n") + "\n",
        voicemail=voicemail,
        words=words,
        seconds=seconds,
    )


def _find(env: jinja2.Environment, name: str, chain: tuple[str, ...]) -> tuple[str, str]:
    found = find(env, name, chain, "txt")
    if found is None:
        raise TemplateError(f"no template {name!r} for locales {', '.join(chain)}")
    return found


def _part(env: jinja2.Environment, file: str, block: str, ctx: dict[str, Any]) -> str:
    """Render the *block* of the template *file* in *ctx* ('' when it has no such block)."""
    tmpl = _render(file, "compile", lambda: env.get_template(file))
    return str(_render(file, block, lambda: _block(tmpl, block, ctx)) or "")


def _has_state(plan: Plan, account_id: str) -> bool:
    return any(s.account == account_id for s in plan.states)
