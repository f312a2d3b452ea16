"""The planner dresses: a `Position`'s due steps become actions with a channel and a contact.

`dress` turns each step the timeline decided into a `PlannedAction` before its place in the plan
is known (priority, tier and capacity come from `arcollect.engine.priority`):

- the **channel**: steps that reach the customer in writing (email, sms) take the first channel
  rule of the policy that holds (a reminder becomes a call where a call pays); calls, letters,
  voicemails and visits keep their channel; holds, referrals and reviews are ``internal``;
- the **contact**: the role the step names, falling back through `CONTACT_FALLBACK`, then
  anyone on file (the explanation says so);
- **reachability**, under ``fall back when unreachable``: when the contact has no address for
  the channel, the channel falls back along `REACH_FALLBACK` (no phone: e-mail, else letter;
  no e-mail address: letter), and the explanation says so;
- the approval a step requires, and the roll forward to the next business day;
- the **owner** of every action of the account: the first ``assign`` rule of the policy that
  holds and names one (the explanation says which), else the account's collector.

Two actions come from the facts rather than the timeline: an open promise gets a ``follow_up``
call on its deadline (due + grace), and open disputes get one ``review`` until one is logged.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import IntEnum
from typing import Final

import attrs

from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.records import Activity, Contact, Dispute
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.explain import Explanation, Part, Tracer
from arcollect.engine.model import ContactRef, PlannedAction
from arcollect.engine.timeline import Position, StepDue
from arcollect.facts import (
    CONTACT_FALLBACK,
    AccountFacts,
    PromiseFacts,
    PromiseStatus,
    contact_order,
)
from arcollect.lang.ir import CheckedStep
from arcollect.lang.program import CompiledPolicy

__all__ = [
    "CONTACT_FALLBACK",
    "DISPUTE_REVIEW",
    "PROMISE_FOLLOW_UP",
    "REACH_FALLBACK",
    "Candidate",
    "Dressing",
    "Source",
    "dress",
    "reach",
    "reachable_sibling",
]

#: The step name of the follow-up call on a promise's deadline.
PROMISE_FOLLOW_UP: Final = "promise_follow_up"
#: The step name of the review of an account's open disputes.
DISPUTE_REVIEW: Final = "dispute_review"

#: Under ``fall back when unreachable``: the channels a contact without the address a channel
#: needs is reached on instead, tried in order. Letters go to the account's postal address and
#: visits in person, so they need nothing and never fall back.
REACH_FALLBACK: Final[dict[PlanChannel, tuple[PlanChannel, ...]]] = {
    PlanChannel.CALL: (PlanChannel.EMAIL, PlanChannel.LETTER),
    PlanChannel.VOICEMAIL: (PlanChannel.EMAIL, PlanChannel.LETTER),
    PlanChannel.SMS: (PlanChannel.EMAIL, PlanChannel.LETTER),
    PlanChannel.EMAIL: (PlanChannel.LETTER,),
}

_ZERO = Decimal(0)
_NEEDS: Final = {
    PlanChannel.CALL: "phone",
    PlanChannel.VOICEMAIL: "phone",
    PlanChannel.SMS: "phone",
    PlanChannel.EMAIL: "email",
}
_ADDRESS: Final = {"phone": "phone number", "email": "e-mail address"}
#: The channels a ``cc`` copies someone on.
_WRITTEN: Final = frozenset({PlanChannel.EMAIL, PlanChannel.LETTER})


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
        # The source's int, not the enum member: a tuple of plain values is one the garbage
        # collector stops tracking, and a plan's candidates are sorted by these.
        return (self.source.value, self.step_index, self.action.invoice or "")


class Dressing:
    """An account to dress without its facts: decided elsewhere (by the columnar engine).

    Its *account* record (its contacts and collector), the index of the channel rule that
    holds for it (None: none holds), decided already, and *facts*, which makes the account's
    facts when something needs them after all (an ``assign`` rule, a traced explanation). It
    has no promises or disputes (an account with any is dressed from its facts), and shows no
    activities: the dresser reads them only for promise follow-ups and dispute reviews.
    """

    __slots__ = ("account", "channel_rule", "facts")

    promises: tuple[PromiseFacts, ...] = ()
    open_disputes: tuple[Dispute, ...] = ()
    activities: tuple[Activity, ...] = ()

    def __init__(
        self, account: Account, channel_rule: int | None, facts: Callable[[], AccountFacts]
    ) -> None:
        self.account, self.channel_rule, self.facts = account, channel_rule, facts


def dress(
    position: Position,
    f: AccountFacts | Dressing,
    *,
    as_of: date,
    policy: CompiledPolicy,
    calendar: BusinessCalendar,
    tracer: Tracer | None = None,
) -> list[Candidate]:
    """Return the candidate actions of one account: its due steps, follow-ups and reviews.

    *tracer* makes the traced parts of their explanations (by default, one for *f*).
    """
    if not position.planned and not f.promises and not f.open_disputes:
        return []  # nothing to dress (most accounts on most days)
    if tracer is None:
        tracer = Tracer(policy.interpreter, f if isinstance(f, AccountFacts) else f.facts)
    dresser = _Dresser(f, as_of, policy, calendar, tracer)
    out = [c for due in position.planned for c in dresser.step(position, due)]
    out += dresser.promise_follow_up(position)
    out += dresser.dispute_reviews()
    return out


class _Dresser:
    def __init__(
        self,
        f: AccountFacts | Dressing,
        as_of: date,
        policy: CompiledPolicy,
        calendar: BusinessCalendar,
        tracer: Tracer,
    ) -> None:
        self.f, self.as_of, self.policy = f, as_of, policy
        self.calendar, self.tracer = calendar, tracer
        self._channel: tuple[PlanChannel, list[Part], int | None] | None = None
        self.owner_rule: int | None = None
        self._owned: tuple[str | None, list[Part]] | None = None  # computed when first needed

    @property
    def owner(self) -> str | None:
        """The owner of the account's actions."""
        if self._owned is None:
            self._owned = self._owner()
        return self._owned[0]

    @property
    def owner_why(self) -> list[Part]:
        """Why the account's actions have their owner (where ``assign`` rules decided)."""
        if self._owned is None:
            self._owned = self._owner()
        return self._owned[1]

    def _owner(self) -> tuple[str | None, list[Part]]:
        """Return the owner of the account's actions and, where ``assign`` rules decided, why."""
        f, rules = self.f, self.policy.assign_rules
        collector = f.account.collector.name if f.account.collector else None
        if not rules:
            return collector, []
        owner, k = self.policy.owner(f if isinstance(f, AccountFacts) else f.facts())
        self.owner_rule = k
        if owner is not None and k is not None:
            rule = rules[k]
            label = f"owner {owner} (assign rule {k + 1})"
            if rule.condition is None:
                return owner, [f"{label}: {rule.owner.text} otherwise"]
            return owner, [self.tracer.part(label, rule.condition, joined=True)]
        if collector is not None:
            return collector, [
                f"owner {collector}: no assign rule applies: the account's collector"
            ]
        return None, ["no owner: no assign rule applies and the account has no collector"]

    def step(self, position: Position, due: StepDue) -> list[Candidate]:
        """Dress one due step of the timeline: an action per action and recipient of the step."""
        tl = position.timeline
        assert tl is not None  # noqa: S101 - steps are only due in a timeline
        timeline, step, trace = tl.timeline, due.step, self.tracer.part
        common: list[Part] = [due.reason, _applies(timeline.name, timeline.segment)]
        for label, expr in (("when", step.when), ("unless", step.unless)):
            if expr is not None:
                common.append(trace(label, expr, invoice=due.invoice))
        common.extend(trace("not paused", e, joined=True) for e in timeline.pause_while)
        kinds = step.actions
        several = len(kinds) > 1
        out = []
        for kind, template in kinds:
            why = list(common)
            if several:
                words = " and ".join(str(k) for k, _ in kinds)
                why.append(f"step {step.name} does {words}: one contact for min gap")
            channel, channel_why, channel_rule = self.channel(kind)
            why += channel_why
            for contact, contact_why in self.recipients(step, kind):
                action = self.step_action(
                    due,
                    timeline=timeline.name,
                    kind=(kind, template),
                    channel=(channel, channel_rule),
                    contact=contact,
                    why=[*why, *contact_why],
                )
                out.append(Candidate(action, Source.TIMELINE, due.index))
        return out

    def recipients(
        self, step: CheckedStep, kind: ActionKind
    ) -> list[tuple[ContactRef | None, list[str]]]:
        """Return the contacts one action of *step* addresses, with why: one, or all of a role."""
        if not kind.is_contact:
            return [(None, [])]
        role = step.to_role
        if step.to_all and role is not None:
            found = _sorted_contacts(self.f.account.contacts_with_role(role))
            if found:
                n = len(found)
                return [
                    (_ref(c, role), [f"to all {role}: contact {c.name} ({k} of {n})"])
                    for k, c in enumerate(found, 1)
                ]
        return [choose_contact(self.f, role, companion=step.with_role)]

    def step_action(
        self,
        due: StepDue,
        *,
        timeline: str,
        kind: tuple[ActionKind, str | None],
        channel: tuple[PlanChannel, int | None],
        contact: ContactRef | None,
        why: list[Part],
    ) -> PlannedAction:
        """Return one planned action of a step, with its reachability, copy, owner and day.

        *kind* is the action and its template; *channel* the channel and the channel rule that
        chose it.
        """
        step = due.step
        (action, template), (plan_channel, channel_rule) = kind, channel
        if self.policy.checked.fallback:
            if not step.to_all:
                contact, sibling_why = reachable_sibling(self.f, contact, plan_channel)
                why += sibling_why
            plan_channel, reach_why = reach(plan_channel, contact)
            why += reach_why
        cc: tuple[ContactRef, ...] = ()
        if step.cc_role is not None and plan_channel in _WRITTEN:
            cc, cc_why = self.copy(step.cc_role, contact)
            why.append(cc_why)
        why += self.owner_why
        if step.approval:
            why.append(f"requires approval by {step.approval}")
        today = self.calendar.roll_forward(self.as_of)
        if today != self.as_of:
            why.append(f"rolled forward from {self.as_of} ({self.calendar.why_not(self.as_of)})")
        return PlannedAction(
            account=self.f.account.id,
            step=step.name,
            timeline=timeline,
            action=action,
            channel=plan_channel,
            contact=contact,
            template=template,
            due=today,
            priority=_ZERO,
            tier=None,
            needs_approval=step.approval,
            deferred=False,
            invoice=due.invoice,
            explanation=Explanation(why, self.tracer),
            channel_rule=channel_rule,
            owner=self.owner,
            cc=cc,
            owner_rule=self.owner_rule,
        )

    def copy(self, role: str, to: ContactRef | None) -> tuple[tuple[ContactRef, ...], str]:
        """Return the contact of *role* copied on a message to *to* (never *to*), and why."""
        others = [
            c
            for c in _sorted_contacts(self.f.account.contacts_with_role(role))
            if to is None or c.name != to.name
        ]
        if not others:
            return (), f"cc {role}: no other {role} contact on file to copy"
        c = others[0]
        return (_ref(c, role),), f"cc: {c.name} ({role})"

    # -- channel and contact -----------------------------------------------------------------

    def channel(self, action: ActionKind) -> tuple[PlanChannel, list[Part], int | None]:
        """Return the channel for *action*, why, and the index of the rule that chose it."""
        if not action.is_contact:
            return PlanChannel.INTERNAL, [], None
        if action not in self.policy.checked.channel_actions or not self.policy.channel_rules:
            return PlanChannel(action.value), [], None
        if self._channel is None:  # the rules read the account, not the step: decide once
            self._channel = self._ruled_channel(action)
        channel, why, rule = self._channel
        if rule is None:  # no rule held: each step keeps its own channel
            return PlanChannel(action.value), [f"channel {action}: no channel rule holds"], None
        return channel, list(why), rule

    def _ruled_channel(self, action: ActionKind) -> tuple[PlanChannel, list[Part], int | None]:
        f = self.f
        if isinstance(f, Dressing):  # the rule was decided already
            k = f.channel_rule
            return (PlanChannel(action.value), [], None) if k is None else self._rule(k)
        values = iter(self.policy.channel_conditions(f))
        for k, rule in enumerate(self.policy.channel_rules):
            if rule.condition is None or next(values):
                return self._rule(k)
        return PlanChannel(action.value), [], None

    def _rule(self, k: int) -> tuple[PlanChannel, list[Part], int]:
        """Return the channel of the channel rule *k* (which holds), why, and *k*."""
        rule = self.policy.channel_rules[k]
        if rule.condition is None:
            why: Part = f"channel {rule.channel}: no earlier channel rule holds"
            return PlanChannel(rule.channel), [why], k
        traced = self.tracer.part(f"channel {rule.channel}", rule.condition, joined=True)
        return PlanChannel(rule.channel), [traced], k

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
        channel, reach_why = PlanChannel.CALL, list[str]()
        if self.policy.checked.fallback:
            channel, reach_why = reach(channel, contact)
        tl = position.timeline
        action = PlannedAction(
            account=f.account.id,
            step=PROMISE_FOLLOW_UP,
            timeline=tl.name if tl else None,
            action=ActionKind.FOLLOW_UP,
            channel=channel,
            contact=contact,
            template=None,
            due=today,
            priority=_ZERO,
            tier=None,
            needs_approval=None,
            deferred=False,
            invoice=None,
            explanation=Explanation(
                [
                    *why,
                    "channel call: follow up a promise by phone",
                    *contact_why,
                    *reach_why,
                    *self.owner_why,
                ],
                self.tracer,
            ),
            owner=self.owner,
            owner_rule=self.owner_rule,
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
            explanation=Explanation([*why, *self.owner_why], self.tracer),
            owner=self.owner,
            owner_rule=self.owner_rule,
        )
        return [Candidate(action, Source.DISPUTE)]


@functools.lru_cache(maxsize=256)
def _roles_tried(role: str | None) -> tuple[str, ...]:
    """Return the roles `choose_contact` tries for a step naming *role* (None: none), in order."""
    return tuple(dict.fromkeys(r for r in (role, *CONTACT_FALLBACK) if r is not None))


@functools.lru_cache(maxsize=256)
def _applies(name: str, segment: str | None) -> str:
    """Say which accounts a timeline is for: ``timeline standard (for all accounts)``."""
    return f"timeline {name}" + (f" (segment {segment})" if segment else " (for all accounts)")


def _sorted_contacts(contacts: Sequence[Contact]) -> list[Contact]:
    return sorted(contacts, key=contact_order)


def choose_contact(
    f: AccountFacts | Dressing,
    role: str | None,
    *,
    companion: str | None = None,
    prefer: str | None = None,
) -> tuple[ContactRef | None, list[str]]:
    """Pick the contact for *role*, falling back through `CONTACT_FALLBACK`, and say why."""
    why: list[str] = []
    if companion:
        why.append(f"with {companion}")
    if prefer:
        for c in _sorted_contacts(f.account.contacts):
            if c.name == prefer:
                return _ref(c, None), [*why, f"contact: {c.name}, who made the promise"]
    for r in _roles_tried(role):
        found = _sorted_contacts(f.account.contacts_with_role(r))
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


def reachable_sibling(
    f: AccountFacts | Dressing, contact: ContactRef | None, channel: PlanChannel
) -> tuple[ContactRef | None, list[str]]:
    """Prefer another contact of the same role who has the address *channel* needs.

    Under ``fall back when unreachable``, before the channel falls back: the first contact of
    the role (in the order contacts are chosen) with the phone number or e-mail address the
    chosen one lacks takes their place, and the explanation says so. Otherwise *contact* stays.
    """
    need = _NEEDS.get(channel)
    if contact is None or need is None or getattr(contact, need) or contact.role is None:
        return contact, []
    for c in _sorted_contacts(f.account.contacts_with_role(contact.role)):
        other = _ref(c, contact.role)
        if other.name != contact.name and getattr(other, need):
            why = (
                f"{contact.name} has no {_ADDRESS[need]}: {other.name} ({contact.role}) "
                f"has one, so {other.name} instead (fall back when unreachable)"
            )
            return other, [why]
    return contact, []


def reach(channel: PlanChannel, contact: ContactRef | None) -> tuple[PlanChannel, list[str]]:
    """Return the channel *contact* can be reached on, falling back along `REACH_FALLBACK`.

    A channel the contact has the address for (or one that needs none) stays, silently; so does
    every channel when there is no contact (the explanation already asks to find one).
    """
    if contact is None or channel not in _NEEDS or getattr(contact, _NEEDS[channel]):
        return channel, []
    missing = [_ADDRESS[_NEEDS[channel]]]
    for other in REACH_FALLBACK[channel]:
        need = _NEEDS.get(other)
        if need is None or getattr(contact, need):
            why = (
                f"unreachable by {channel}: {contact.name} has no {' or '.join(missing)}, "
                f"so {other} instead (fall back when unreachable)"
            )
            return other, [why]
        if _ADDRESS[need] not in missing:
            missing.append(_ADDRESS[need])
    return channel, []  # pragma: no cover - every fallback ends with a letter


def _ref(c: Contact, role: str | None) -> ContactRef:
    return ContactRef(c.name, role, c.phone, c.email)
