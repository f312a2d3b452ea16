"""The planner dresses: a `Position`'s due steps become actions with a channel and a contact.

`dress` turns each step the timeline decided into a `PlannedAction` before its place in the plan
is known (priority, tier and capacity come from `arcollect.engine.priority`):

- the **channel**: steps that reach the customer in writing (email, sms) take the first channel
  rule of the policy that holds (a reminder becomes a call where a call pays); calls, letters,
  voicemails and visits keep their channel; holds, referrals and reviews are ``internal``;
- the **contact**: the role the step names, falling back through `CONTACT_FALLBACK`, then
  anyone on file (the explanation says so);
- the approval a step requires, and the roll forward to the next business day.

Two actions come from the facts rather than the timeline: an open promise gets a ``follow_up``
call on its deadline (due + grace), and open disputes get one ``review`` until one is logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import Final

import attrs

from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.records import Contact
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.explain import Part, Tracer
from arcollect.engine.model import ContactRef, PlannedAction
from arcollect.engine.timeline import Position, StepDue
from arcollect.facts import AccountFacts, PromiseStatus
from arcollect.lang.ir import CheckedStep
from arcollect.lang.program import CompiledPolicy

__all__ = [
    "CONTACT_FALLBACK",
    "DISPUTE_REVIEW",
    "PROMISE_FOLLOW_UP",
    "Candidate",
    "Source",
    "dress",
]

#: The order in which a step without (or with an unavailable) contact role looks for someone.
CONTACT_FALLBACK: Final = ("decision_maker", "accounts_payable", "billing")
#: The step name of the follow-up call on a promise's deadline.
PROMISE_FOLLOW_UP: Final = "promise_follow_up"
#: The step name of the review of an account's open disputes.
DISPUTE_REVIEW: Final = "dispute_review"

_ZERO = Decimal(0)


class Source(IntEnum):
    """Where a candidate action comes from; within an account, actions come in this order."""

    PROMISE = 0
    DISPUTE = 1
    TIMELINE = 2


@attrs.frozen
class Candidate:
    """A planned action before its place in the plan is known, with its rank in the account.

    Within an account, promise follow-ups come first, then dispute reviews, then timeline steps
    in the timeline's order (per-invoice ones by invoice number).
    """

    action: PlannedAction
    source: Source
    step_index: int = 0

    @property
    def rank(self) -> tuple[int, int, str]:
        """The candidate's order within its account."""
        return (self.source, self.step_index, self.action.invoice or "")


def dress(
    position: Position,
    f: AccountFacts,
    *,
    as_of: date,
    policy: CompiledPolicy,
    calendar: BusinessCalendar,
    tracer: Tracer,
) -> list[Candidate]:
    """Return the candidate actions of one account: its due steps, follow-ups and reviews."""
    dresser = _Dresser(f, as_of, policy, calendar, tracer)
    out = [dresser.step(position, due) for due in position.planned]
    out += dresser.promise_follow_up(position)
    out += dresser.dispute_reviews()
    return out


class _Dresser:
    def __init__(
        self,
        f: AccountFacts,
        as_of: date,
        policy: CompiledPolicy,
        calendar: BusinessCalendar,
        tracer: Tracer,
    ) -> None:
        self.f, self.as_of, self.policy = f, as_of, policy
        self.calendar, self.tracer = calendar, tracer
        self._channel: tuple[PlanChannel, list[Part], int | None] | None = None

    def step(self, position: Position, due: StepDue) -> Candidate:
        """Dress one due step of the timeline."""
        tl = position.timeline
        assert tl is not None  # noqa: S101 - steps are only due in a timeline
        timeline, step, trace = tl.timeline, due.step, self.tracer.part
        why: list[Part] = [due.reason]
        why.append(
            f"timeline {timeline.name}"
            + (f" (segment {timeline.segment})" if timeline.segment else " (for all accounts)")
        )
        for label, expr in (("when", step.when), ("unless", step.unless)):
            if expr is not None:
                why.append(trace(label, expr, invoice=due.invoice))
        why.extend(trace("not paused", e, joined=True) for e in timeline.pause_while)
        channel, channel_why, channel_rule = self.channel(step.action)
        why += channel_why
        contact, contact_why = self.contact(step)
        why += contact_why
        if step.approval:
            why.append(f"requires approval by {step.approval}")
        today = self.calendar.roll_forward(self.as_of)
        if today != self.as_of:
            why.append(f"rolled forward from {self.as_of} ({self.calendar.why_not(self.as_of)})")
        action = PlannedAction(
            account=self.f.account.id,
            step=step.name,
            timeline=timeline.name,
            action=step.action,
            channel=channel,
            contact=contact,
            template=step.template,
            due=today,
            priority=_ZERO,
            tier=None,
            needs_approval=step.approval,
            deferred=False,
            invoice=due.invoice,
            explanation=why,
            channel_rule=channel_rule,
        )
        return Candidate(action, Source.TIMELINE, due.index)

    # -- channel and contact -----------------------------------------------------------------

    def channel(self, action: ActionKind) -> tuple[PlanChannel, list[Part], int | None]:
        """Return the channel for *action*, why, and the index of the rule that chose it."""
        if not action.is_contact:
            return PlanChannel.INTERNAL, [], None
        if not action.channel_ruled or not self.policy.channel_rules:
            return PlanChannel(action.value), [], None
        if self._channel is None:  # the rules read the account, not the step: decide once
            self._channel = self._ruled_channel(action)
        channel, why, rule = self._channel
        if rule is None:  # no rule held: each step keeps its own channel
            return PlanChannel(action.value), [f"channel {action}: no channel rule holds"], None
        return channel, list(why), rule

    def _ruled_channel(self, action: ActionKind) -> tuple[PlanChannel, list[Part], int | None]:
        values = iter(self.policy.channel_conditions(self.f))
        for k, rule in enumerate(self.policy.channel_rules):
            if rule.condition is None:
                why: Part = f"channel {rule.channel}: no earlier channel rule holds"
                return PlanChannel(rule.channel), [why], k
            if next(values):
                traced = self.tracer.part(f"channel {rule.channel}", rule.condition, joined=True)
                return PlanChannel(rule.channel), [traced], k
        return PlanChannel(action.value), [], None

    def contact(self, step: CheckedStep) -> tuple[ContactRef | None, list[str]]:
        if not step.action.is_contact:
            return None, []
        return choose_contact(self.f, step.to_role, companion=step.with_role)

    # -- actions from the facts ----------------------------------------------------------------

    def promise_follow_up(self, position: Position) -> list[Candidate]:
        """One follow-up call for the promises whose deadline is today's business day.

        A deadline on a weekend or holiday is followed up on the next business day (when the
        promise has just broken, and the follow-up finds out why).
        """
        f, as_of = self.f, self.as_of
        candidates = [
            p for p in f.promises if p.status is not PromiseStatus.KEPT and p.deadline <= as_of
        ]
        if not candidates:
            return []
        today = self.calendar.roll_forward(as_of)
        last_follow_up = max(
            (a.date for a in f.activities if a.step == PROMISE_FOLLOW_UP), default=None
        )
        due = [
            p
            for p in candidates
            if self.calendar.roll_forward(p.deadline) == today
            and (last_follow_up is None or last_follow_up < p.deadline)
        ]
        if not due:
            return []
        why: list[Part] = [
            f"promise of {p.amount} made on {p.made_on} is due {p.due}"
            + (f" (+{(p.deadline - p.due).days} days grace)" if p.deadline != p.due else "")
            + f"; paid so far {p.paid}: follow up precisely on the promised date"
            for p in due
        ]
        contact, contact_why = choose_contact(f, None, prefer=due[0].by)
        tl = position.timeline
        action = PlannedAction(
            account=f.account.id,
            step=PROMISE_FOLLOW_UP,
            timeline=tl.name if tl else None,
            action=ActionKind.FOLLOW_UP,
            channel=PlanChannel.CALL,
            contact=contact,
            template=None,
            due=today,
            priority=_ZERO,
            tier=None,
            needs_approval=None,
            deferred=False,
            invoice=None,
            explanation=[*why, "channel call: follow up a promise by phone", *contact_why],
        )
        return [Candidate(action, Source.PROMISE)]

    def dispute_reviews(self) -> list[Candidate]:
        """One review of the account's open disputes that no review was logged for since."""
        f = self.f
        if not f.open_disputes:
            return []
        last_review = max(
            (
                a.date
                for a in f.activities
                if a.channel is Channel.REVIEW or a.step == DISPUTE_REVIEW
            ),
            default=None,
        )
        pending = [d for d in f.open_disputes if last_review is None or last_review < d.opened]
        if not pending:
            return []
        why: list[Part] = []
        for d in pending:
            what = ", ".join(d.invoices) if d.invoices else "the account"
            cause = (
                " (an internal cause: fix it, do not collect it)"
                if d.reason.is_internal_cause
                else ""
            )
            owner = f"; route to {d.owner}" if d.owner else "; no owner: assign one"
            why.append(
                f"dispute over {what} opened {d.opened}, reason {d.reason.value}{cause}{owner}"
            )
        only = pending[0].invoices if len(pending) == 1 else ()
        action = PlannedAction(
            account=f.account.id,
            step=DISPUTE_REVIEW,
            timeline=None,
            action=ActionKind.REVIEW,
            channel=PlanChannel.INTERNAL,
            contact=None,
            template=None,
            due=self.calendar.roll_forward(self.as_of),
            priority=_ZERO,
            tier=None,
            needs_approval=None,
            deferred=False,
            invoice=only[0] if len(only) == 1 else None,
            explanation=why,
        )
        return [Candidate(action, Source.DISPUTE)]


def _sorted_contacts(contacts: Sequence[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: (c.name, c.title or "", c.email or "", c.phone or ""))


def choose_contact(
    f: AccountFacts, role: str | None, *, companion: str | None = None, prefer: str | None = None
) -> tuple[ContactRef | None, list[str]]:
    """Pick the contact for *role*, falling back through `CONTACT_FALLBACK`, and say why."""
    why: list[str] = []
    if companion:
        why.append(f"with {companion}")
    if prefer:
        for c in _sorted_contacts(f.account.contacts):
            if c.name == prefer:
                return _ref(c, None), [*why, f"contact: {c.name}, who made the promise"]
    order = list(dict.fromkeys(r for r in (role, *CONTACT_FALLBACK) if r is not None))
    for r in order:
        found = _sorted_contacts(f.contacts_with_role(r))
        if found:
            c = found[0]
            if role is not None and r != role:
                why.append(f"no {role} contact on file: fell back to {c.name} ({r})")
            else:
                why.append(f"contact: {c.name} ({r})")
            return _ref(c, r), why
    anyone = _sorted_contacts(f.account.contacts)
    if anyone:
        c = anyone[0]
        wanted = role or "decision maker, accounts payable or billing"
        why.append(f"no {wanted} contact on file: fell back to {c.name}")
        return _ref(c, None), why
    why.append("no contact on file: find one before contacting")
    return None, why


def _ref(c: Contact, role: str | None) -> ContactRef:
    return ContactRef(c.name, role, c.phone, c.email)
