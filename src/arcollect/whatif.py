r"""What would change if we adopted policy B instead of A: two plans of one portfolio, compared.

`diff` plans the accounts under both policies on one date and reports, per account, what a
collector would see change: the actions (step, action, channel, contact, due date, deferral,
approval, invoice), the priority score, the tier, the account's rank in the worklist, and
whether the account could be planned at all; with, side by side, the lines of the two
explanations (and the account's notes) found under one policy and not the other: the
conditions and values that decided the change. Totals count calls, letters, e-mails, text
messages, visits, holds, referrals, approvals, deferrals and failed accounts under each policy.

`diff_range` does the same for every day of a range and says how many accounts differ each
day. A policy compared with itself differs nowhere.

>>> from datetime import date
>>> from arcollect import parse_policy
>>> from arcollect.testing import account, invoice
>>> text = 'policy "{}"\ntimeline t for all\n  step demand {} days past due letter "d"\n'
>>> a = parse_policy(text.format("A", 45))
>>> b = parse_policy(text.format("B", 40))
>>> late = account(invoice("500 EUR", due="2026-10-01"), id="C-1")
>>> print(diff(a, b, [late], as_of=date(2026, 11, 12)).render(), end="")
A -> B as of 2026-11-12: 1 of 1 accounts differ
C-1
  actions: none -> demand (letter)
  B says: step demand (40 days past due) is the most advanced step due
  B says: timeline t (for all accounts)
  B says: no contact on file: find one before contacting
  B says: priority 0
totals     A   B
  actions  0   1
  letters  0   1
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

import attrs

from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind, PlanChannel
from arcollect.engine.model import Plan, PlannedAction, decimal_text
from arcollect.errors import ArcollectError
from arcollect.policy import Policy

__all__ = ["AccountDiff", "ActionView", "PolicyDiff", "Totals", "diff", "diff_range"]


@attrs.frozen
class ActionView:
    """What a collector sees of one planned action, as the two plans are compared."""

    step: str
    action: str
    channel: str
    contact: str | None
    owner: str | None
    due: date
    deferred: bool
    needs_approval: str | None
    invoice: str | None

    @classmethod
    def of(cls, act: PlannedAction) -> ActionView:
        """Return the view of *act*."""
        contact = None if act.contact is None else f"{act.contact.name} ({act.contact.role})"
        return cls(
            step=act.step,
            action=str(act.action),
            channel=str(act.channel),
            contact=contact,
            owner=act.owner,
            due=act.due,
            deferred=act.deferred,
            needs_approval=act.needs_approval,
            invoice=act.invoice,
        )

    def short(self) -> str:
        """Say the action in a few words: ``demand (letter)``, ``first_call (call, deferred)``."""
        extra = [self.channel if self.channel != "internal" else self.action]
        if self.invoice:
            extra.append(f"invoice {self.invoice}")
        if self.contact:
            extra.append(f"to {self.contact}")
        if self.owner:
            extra.append(f"owner {self.owner}")
        if self.deferred:
            extra.append(f"deferred to {self.due}")
        if self.needs_approval:
            extra.append(f"needs approval by {self.needs_approval}")
        return f"{self.step} ({', '.join(extra)})"

    def to_dict(self) -> dict[str, Any]:
        """Return the view as JSON-ready data."""
        data = attrs.asdict(self)
        data["due"] = self.due.isoformat()
        return data


@attrs.frozen
class AccountDiff:
    """How one account's plan differs between policy A and policy B.

    *changes* says what differs, one line each (``tier: A -> B``); *a_actions* and *b_actions*
    are the account's actions under each; *a_why* and *b_why* the lines of their explanations
    (and notes) found under one policy and not the other; *a_error* and *b_error* why the
    account could not be planned, if it could not.
    """

    account: str
    changes: tuple[str, ...]
    a_actions: tuple[ActionView, ...]
    b_actions: tuple[ActionView, ...]
    a_why: tuple[str, ...]
    b_why: tuple[str, ...]
    a_error: str | None = None
    b_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the difference as JSON-ready data."""
        return {
            "account": self.account,
            "changes": list(self.changes),
            "a_actions": [a.to_dict() for a in self.a_actions],
            "b_actions": [a.to_dict() for a in self.b_actions],
            "a_why": list(self.a_why),
            "b_why": list(self.b_why),
            "a_error": self.a_error,
            "b_error": self.b_error,
        }


_TOTALS = (
    "actions",
    "calls",
    "emails",
    "letters",
    "sms",
    "visits",
    "holds",
    "referrals",
    "approvals",
    "deferred",
    "errors",
)


@attrs.frozen
class Totals:
    """What a plan asks of the team: actions by kind, approvals, deferrals, failed accounts."""

    counts: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, plan: Plan) -> Totals:
        """Count the actions of *plan*."""
        c: Counter[str] = Counter()
        for act in plan.actions:
            c["actions"] += 1
            channel = {
                PlanChannel.CALL: "calls",
                PlanChannel.EMAIL: "emails",
                PlanChannel.LETTER: "letters",
                PlanChannel.SMS: "sms",
                PlanChannel.VISIT: "visits",
            }.get(act.channel)
            if channel:
                c[channel] += 1
            if act.action is ActionKind.HOLD_SHIPMENTS:
                c["holds"] += 1
            if act.action in (ActionKind.REFER_AGENCY, ActionKind.REFER_ATTORNEY):
                c["referrals"] += 1
            c["approvals"] += act.needs_approval is not None
            c["deferred"] += act.deferred
        c["errors"] = sum(1 for s in plan.states if s.error)
        return cls(tuple((k, c[k]) for k in _TOTALS))

    def __getitem__(self, key: str) -> int:
        return dict(self.counts)[key]


@attrs.frozen
class PolicyDiff:
    """The differences between the plans of policies A and B for one portfolio on one date."""

    as_of: date
    a: str
    b: str
    compared: int
    accounts: tuple[AccountDiff, ...]
    a_totals: Totals
    b_totals: Totals

    def __bool__(self) -> bool:
        """Whether any account differs."""
        return bool(self.accounts)

    def __len__(self) -> int:
        return len(self.accounts)

    def account(self, account_id: str) -> AccountDiff | None:
        """Return the difference of one account (None: the same under both)."""
        return next((d for d in self.accounts if d.account == account_id), None)

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data."""
        return {
            "as_of": self.as_of.isoformat(),
            "a": self.a,
            "b": self.b,
            "compared": self.compared,
            "differ": len(self.accounts),
            "accounts": [d.to_dict() for d in self.accounts],
            "totals": {
                k: {"a": va, "b": vb}
                for (k, va), (_, vb) in zip(self.a_totals.counts, self.b_totals.counts, strict=True)
            },
        }

    def to_json(self) -> str:
        """Return the comparison as JSON text (keys in a fixed order)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def render(self) -> str:
        """Return the comparison as text for a terminal."""
        lines = [
            (
                f"{self.a} -> {self.b} as of {self.as_of}: {len(self.accounts)} of "
                f"{self.compared} accounts differ"
            )
        ]
        for d in self.accounts:
            lines.append(d.account)
            lines += [f"  {change}" for change in d.changes]
            lines += [f"  A says: {why}" for why in d.a_why]
            lines += [f"  B says: {why}" for why in d.b_why]
        rows = [
            (k, va, vb)
            for (k, va), (_, vb) in zip(self.a_totals.counts, self.b_totals.counts, strict=True)
            if va or vb
        ]
        width = max([len(k) for k, _, _ in rows] + [6])
        wa = max([len(str(va)) for _, va, _ in rows] + [1])
        wb = max([len(str(vb)) for _, _, vb in rows] + [1])
        lines.append(f"{'totals'.ljust(width + 2)}  {'A'.rjust(wa)}   {'B'.rjust(wb)}")
        lines += [f"  {k.ljust(width)}  {va:>{wa}}   {vb:>{wb}}" for k, va, vb in rows]
        return "\n".join(lines) + "\n"


def diff(a: Policy, b: Policy, accounts: Iterable[Account], *, as_of: date) -> PolicyDiff:
    """Compare the plans of policies *a* and *b* for *accounts* on *as_of*."""
    portfolio = list(accounts)
    return _compare(a, b, a.plan(portfolio, as_of=as_of), b.plan(portfolio, as_of=as_of))


def diff_range(
    a: Policy, b: Policy, accounts: Iterable[Account], *, start: date, end: date
) -> tuple[tuple[date, int], ...]:
    """For each day from *start* to *end*, how many accounts' plans differ between *a* and *b*.

    Each day is planned from the same records (nothing is logged as done in between): the
    question is what each policy would ask for that day.
    """
    if end < start:
        raise ArcollectError(f"the range ends ({end}) before it starts ({start})")
    portfolio = list(accounts)
    out = []
    day = start
    while day <= end:
        out.append((day, len(diff(a, b, portfolio, as_of=day))))
        day += timedelta(days=1)
    return tuple(out)


def _ranks(plan: Plan, among: set[str]) -> dict[str, int]:
    """Return the place of each account of *among* in the worklist, among them (1: first).

    Ranked among the accounts with actions under both policies, an account's rank changes when
    the order changes, not because another account gained or lost an action.
    """
    ranks: dict[str, int] = {}
    for act in plan.actions:
        if act.account in among:
            ranks.setdefault(act.account, len(ranks) + 1)
    return ranks


def _lines(plan: Plan, account: str) -> list[str]:
    out: list[str] = []
    for act in plan.actions_for(account):
        out += act.explanation
    return out + list(plan.state(account).notes)


def _minus(xs: Sequence[str], ys: Sequence[str]) -> tuple[str, ...]:
    """Return the lines of *xs* that *ys* does not have (counting repeats)."""
    left = Counter(ys)
    out = []
    for x in xs:
        if left[x]:
            left[x] -= 1
        else:
            out.append(x)
    return tuple(out)


def _say(views: Sequence[ActionView]) -> str:
    return "; ".join(v.short() for v in views) or "none"


def _compare(a: Policy, b: Policy, plan_a: Plan, plan_b: Plan) -> PolicyDiff:
    both = {x.account for x in plan_a.actions} & {x.account for x in plan_b.actions}
    rank_a, rank_b = _ranks(plan_a, both), _ranks(plan_b, both)
    diffs = []
    for state_a in plan_a.states:
        aid = state_a.account
        state_b = plan_b.state(aid)
        views_a = tuple(ActionView.of(x) for x in plan_a.actions_for(aid))
        views_b = tuple(ActionView.of(x) for x in plan_b.actions_for(aid))
        changes = []
        if state_a.error != state_b.error:
            changes.append(
                f"error: {state_a.error or 'none'} -> {state_b.error or 'none'}"
                if state_a.error and state_b.error
                else ("planned under B only" if state_a.error else "planned under A only")
            )
        if views_a != views_b:
            changes.append(f"actions: {_say(views_a)} -> {_say(views_b)}")
        if state_a.priority != state_b.priority and not (state_a.error or state_b.error):
            changes.append(
                f"priority: {decimal_text(state_a.priority)} -> {decimal_text(state_b.priority)}"
            )
        if state_a.tier != state_b.tier:
            changes.append(f"tier: {state_a.tier or 'none'} -> {state_b.tier or 'none'}")
        ra, rb = rank_a.get(aid), rank_b.get(aid)
        if ra != rb and ra is not None and rb is not None:
            changes.append(f"rank: {ra} -> {rb}")
        if not changes:
            continue
        la, lb = _lines(plan_a, aid), _lines(plan_b, aid)
        diffs.append(
            AccountDiff(
                account=aid,
                changes=tuple(changes),
                a_actions=views_a,
                b_actions=views_b,
                a_why=_minus(la, lb),
                b_why=_minus(lb, la),
                a_error=state_a.error,
                b_error=state_b.error,
            )
        )
    return PolicyDiff(
        as_of=plan_a.as_of,
        a=a.name,
        b=b.name,
        compared=len(plan_a.states),
        accounts=tuple(diffs),
        a_totals=Totals.of(plan_a),
        b_totals=Totals.of(plan_b),
    )
