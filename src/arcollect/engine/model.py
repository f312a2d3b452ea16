"""The plan: what each collector should do on a date, for whom, in what order, and why.

These are the engine's output types. A `Plan` holds the `PlannedAction`s due on its date, in
their total order, and the `AccountState` of every account, those that could not be planned
included (their ``error`` says why). Every type turns into plain data (`to_record`,
`Plan.to_dict`) with the keys of the JSON output, and `Plan.to_json` is stable: sorted keys,
the same bytes for the same inputs on any machine.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any, ClassVar, Final

import attrs

from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import Activity
from arcollect.engine.explain import Explanation, Part
from arcollect.errors import ArcollectError, UnknownAccountError
from arcollect.lang.ir import day_words

__all__ = [
    "AccountState",
    "ContactRef",
    "Plan",
    "PlannedAction",
    "PlannedCharge",
    "decimal_text",
    "say_day",
]


@attrs.frozen
class ContactRef:
    """Who to contact: a contact's name and the role it was chosen for."""

    name: str
    role: str | None
    phone: str | None = None
    email: str | None = None


def _explanation(value: Iterable[Part] | Explanation) -> Explanation:
    return Explanation.of(value)


@attrs.frozen
class PlannedCharge:
    """A fee a planned action charges: the fee's *key*, its *amount*, the invoice it is on.

    *fee* is the policy's clause as written. Once the action is done, log `activity` with it:
    the facts then count the fee as charged, and the planner never charges it again.
    """

    key: str
    amount: Money
    invoice: str | None
    fee: str

    def activity(self, day: date) -> Activity:
        """Return the activity that records this charge as made on *day*."""
        return Activity(day, Channel.NOTE, step=self.key, invoice=self.invoice, notes=self.fee)

    def to_record(self) -> dict[str, Any]:
        """Return the charge as plain data."""
        return {"fee": self.key, "amount": str(self.amount), "invoice": self.invoice}


def _charges(value: Iterable[PlannedCharge]) -> tuple[PlannedCharge, ...]:
    return tuple(value)


@attrs.frozen
class PlannedAction:
    """One action due on the plan's date, with everything a collector needs and the reasons.

    ``explanation`` lists every rule that decided the action, with the values it saw.
    ``owner`` is who carries it out: the owner the policy's ``assign`` rules give the account,
    else the account's collector (None if neither names one).
    """

    account: str
    step: str
    timeline: str | None
    action: ActionKind
    channel: PlanChannel
    contact: ContactRef | None
    template: str | None
    due: date
    priority: Decimal
    tier: str | None
    needs_approval: str | None
    deferred: bool
    invoice: str | None
    _explanation: Explanation = attrs.field(
        alias="explanation", converter=_explanation, eq=False, repr=False
    )
    #: The index of the policy's channel rule that chose the channel, if one did.
    channel_rule: int | None = attrs.field(default=None, eq=False, repr=False)
    #: The fees this action charges (by the policy's ``charges``); in records only when any.
    charges: tuple[PlannedCharge, ...] = attrs.field(default=(), converter=_charges)
    owner: str | None = None
    #: Whom a written message is copied to (``cc ROLE``); in the explanation, not the record.
    cc: tuple[ContactRef, ...] = ()
    #: The index of the policy's ``assign`` rule that gave the owner, if one did.
    owner_rule: int | None = attrs.field(default=None, eq=False, repr=False)

    #: The keys of `to_record`, in its order: the fields of a JSON action, the columns of the CSV.
    RECORD_KEYS: ClassVar[tuple[str, ...]] = (
        "account",
        "step",
        "timeline",
        "action",
        "channel",
        "contact",
        "template",
        "due",
        "priority",
        "tier",
        "needs_approval",
        "deferred",
        "invoice",
        "owner",
        "explanation",
    )

    @property
    def logged_channel(self) -> Channel:
        """The channel of the activity that records this action once it is done."""
        if self.channel is PlanChannel.INTERNAL:
            return self.action.logged_channel
        return Channel(self.channel)

    @property
    def explanation(self) -> tuple[str, ...]:
        """The reasons for the action: each rule that decided it, with the values it saw."""
        return self._explanation.lines()

    def ordered(
        self,
        *,
        priority: Decimal,
        tier: str | None,
        due: date,
        deferred: bool,
        why: list[Part],
        in_place: bool = False,
    ) -> PlannedAction:
        """Return this action with its place in the plan: priority, tier, and capacity.

        *in_place* sets them on this action itself, for the planner's own candidates that
        nothing else holds (a plan in one process): no second copy of every action.
        """
        if in_place:
            for name, value in (
                ("priority", priority),
                ("tier", tier),
                ("due", due),
                ("deferred", deferred),
            ):
                object.__setattr__(self, name, value)
            self._explanation.extend(why)
            return self
        return PlannedAction(
            account=self.account,
            step=self.step,
            timeline=self.timeline,
            action=self.action,
            channel=self.channel,
            contact=self.contact,
            template=self.template,
            due=due,
            priority=priority,
            tier=tier,
            needs_approval=self.needs_approval,
            deferred=deferred,
            invoice=self.invoice,
            explanation=self._explanation.extended(why),
            channel_rule=self.channel_rule,
            charges=self.charges,
            owner=self.owner,
            cc=self.cc,
            owner_rule=self.owner_rule,
        )

    def __repr__(self) -> str:
        return (
            f"<PlannedAction {self.account} {self.step}: {self.action} via {self.channel} "
            f"due {self.due}, priority {decimal_text(self.priority)}>"
        )

    def to_typed_record(self) -> dict[str, Any]:
        """Return the action as data with its own types: Decimal, date, the contact as a dict."""
        c = self.contact
        return {
            **self.to_record(),
            "contact": None
            if c is None
            else {"name": c.name, "role": c.role, "phone": c.phone, "email": c.email},
            "due": self.due,
            "priority": self.priority,
        }

    def logged(self, day: date) -> tuple[Activity, ...]:
        """Return the activities that record this action as done on *day*.

        The step's own, then one per fee it charges (see `PlannedCharge.activity`).
        """
        contact = self.contact.name if self.contact else None
        done = Activity(
            day,
            self.logged_channel,
            step=self.step,
            timeline=self.timeline,
            invoice=self.invoice,
            contact=contact,
        )
        return (done, *(c.activity(day) for c in self.charges))

    def to_record(self) -> dict[str, Any]:
        """Return the action as plain data: the keys (`RECORD_KEYS`) and values of the JSON.

        An action that charges fees also has ``charges``: a list of `PlannedCharge` records.
        """
        record = self._record()
        if self.charges:
            record["charges"] = [c.to_record() for c in self.charges]
        return record

    def _record(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "step": self.step,
            "timeline": self.timeline,
            "action": str(self.action),
            "channel": str(self.channel),
            "contact": None
            if self.contact is None
            else {"name": self.contact.name, "role": self.contact.role},
            "template": self.template,
            "due": self.due.isoformat(),
            "priority": decimal_text(self.priority),
            "tier": self.tier,
            "needs_approval": self.needs_approval,
            "deferred": self.deferred,
            "invoice": self.invoice,
            "owner": self.owner,
            "explanation": list(self.explanation),
        }


@attrs.frozen
class AccountState:
    """Where an account stands in its timeline on the plan's date.

    *day* counts from the due date of the oldest open invoice (negative before it);
    *episode_start* is the first day of the current stretch of overdue money; *cycle_start*
    the day from which steps count as done (the episode's start, or the due date it is about,
    moved back by the longest before-due step); *step_reached*
    the most advanced step due (planned or already done); *next_step* and *next_date* what
    happens next if nothing changes. *notes* says why steps were not taken; *error* is set when
    the policy could not be evaluated for this account (and then it has no actions).
    """

    account: str
    timeline: str | None
    episode_start: date | None
    day: int | None
    step_reached: str | None
    steps_done: tuple[str, ...]
    steps_skipped: tuple[str, ...]
    paused_by: tuple[str, ...]
    next_step: str | None
    next_date: date | None
    priority: Decimal
    tier: str | None
    overdue: Money
    notes: tuple[str, ...] = ()
    error: str | None = None
    cycle_start: date | None = None
    #: The account's interest and fees (`arcollect.charges.AccountCharges`) when the policy
    #: has ``charges``; read by letters and call sheets, not part of the state's record.
    charges: Any = attrs.field(default=None, eq=False, repr=False)

    def with_tier(self, tier: str | None, *, in_place: bool = False) -> AccountState:
        """Return this state in *tier* (the global phase's tiers; `attrs.evolve`, faster).

        *in_place* sets the tier on this state itself (see `PlannedAction.ordered`).
        """
        if in_place:
            object.__setattr__(self, "tier", tier)
            return self
        new = object.__new__(AccountState)
        for name in _STATE_FIELDS:
            object.__setattr__(new, name, getattr(self, name))
        object.__setattr__(new, "tier", tier)
        return new

    def __repr__(self) -> str:
        if self.error:
            return f"<AccountState {self.account}: error>"
        return (
            f"<AccountState {self.account}: overdue {self.overdue}, "
            f"step {self.step_reached or '-'}, next {self.next_step or '-'}>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        rows = "".join(
            f"<tr><th>{esc(k)}</th><td>{esc('' if v is None else str(v))}</td></tr>"
            for k, v in self.to_record().items()
        )
        return f"<table>{rows}</table>"

    def to_record(self) -> dict[str, Any]:
        """Return the state as plain data: the keys and values of the JSON output."""
        return {
            "account": self.account,
            "timeline": self.timeline,
            "episode_start": None if self.episode_start is None else self.episode_start.isoformat(),
            "day": self.day,
            "cycle_start": None if self.cycle_start is None else self.cycle_start.isoformat(),
            "step_reached": self.step_reached,
            "steps_done": list(self.steps_done),
            "steps_skipped": list(self.steps_skipped),
            "paused_by": list(self.paused_by),
            "next_step": self.next_step,
            "next_date": None if self.next_date is None else self.next_date.isoformat(),
            "priority": decimal_text(self.priority),
            "tier": self.tier,
            "overdue": str(self.overdue),
            "notes": list(self.notes),
            "error": self.error,
        }


_STATE_FIELDS: Final = tuple(a.name for a in attrs.fields(AccountState))


@attrs.frozen
class Plan:
    """The plan for *as_of*: ordered actions and the state of every account."""

    as_of: date
    policy: str
    actions: tuple[PlannedAction, ...]
    states: tuple[AccountState, ...]

    # The states and the actions by account, made when first looked up (a large plan that is
    # only written out never needs them).
    _states: dict[str, AccountState] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )
    _actions: dict[str, list[PlannedAction]] | None = attrs.field(
        default=None, init=False, eq=False, repr=False
    )

    def _index(self) -> tuple[dict[str, AccountState], dict[str, list[PlannedAction]]]:
        if self._states is None or self._actions is None:
            actions: dict[str, list[PlannedAction]] = {}
            for act in self.actions:
                actions.setdefault(act.account, []).append(act)
            states = {st.account: st for st in self.states}
            object.__setattr__(self, "_states", states)
            object.__setattr__(self, "_actions", actions)
            return states, actions
        return self._states, self._actions

    def state(self, account_id: str) -> AccountState:
        """Return the state of the account *account_id*."""
        try:
            return self._index()[0][account_id]
        except KeyError:
            raise UnknownAccountError(f"the plan has no account {account_id!r}") from None

    def actions_for(self, account_id: str) -> tuple[PlannedAction, ...]:
        """Return the actions planned for *account_id*, in plan order."""
        return tuple(self._index()[1].get(account_id, ()))

    def to_records(self, *, typed: bool = False) -> list[dict[str, Any]]:
        """Return the actions as plain dicts, with the keys of the JSON output.

        *typed* keeps the values' own types: ``priority`` a Decimal, ``due`` a date, and the
        contact a dict with its name, role, phone and email.
        """
        if typed:
            return [a.to_typed_record() for a in self.actions]
        return [a.to_record() for a in self.actions]

    def to_pandas(self) -> Any:
        """Return the actions as a pandas DataFrame (the optional extra ``arcollect[pandas]``).

        ``due`` is a datetime64 column, ``deferred`` bool, ``action``, ``channel`` and ``tier``
        categories; ``priority`` keeps exact Decimals (object). When any action charges fees,
        a last column ``charges`` holds each action's list of charge records.
        """
        try:
            import pandas as pd  # noqa: PLC0415 - optional, imported only when asked for
        except ImportError:
            raise ArcollectError(
                "Plan.to_pandas needs pandas: pip install 'arcollect[pandas]'"
            ) from None
        columns = list(PlannedAction.RECORD_KEYS)
        if any(a.charges for a in self.actions):
            columns.append("charges")  # only for a policy that charges fees
        frame = pd.DataFrame(self.to_records(typed=True), columns=columns)
        frame["due"] = pd.to_datetime(frame["due"])
        frame["deferred"] = frame["deferred"].astype(bool)
        for column in ("action", "channel", "tier"):
            frame[column] = frame[column].astype("category")
        return frame

    def to_polars(self) -> Any:
        """Return the actions as a polars DataFrame (the optional extra ``arcollect[polars]``).

        ``due`` is a Date column, ``deferred`` Boolean, ``action`` and ``channel`` Enums of
        the whole vocabulary, ``tier`` Categorical, ``contact`` a Struct (name, role, phone,
        email), ``explanation`` a List of strings, and ``priority`` an exact Decimal with the
        scale of the most precise priority.
        """
        try:
            import polars as pl  # noqa: PLC0415 - optional, imported only when asked for
        except ImportError:
            raise ArcollectError(
                "Plan.to_polars needs polars: pip install 'arcollect[polars]'"
            ) from None
        scale = max((max(0, -int(a.priority.as_tuple().exponent)) for a in self.actions), default=0)
        text = pl.String
        schema: dict[str, Any] = {
            "account": text,
            "step": text,
            "timeline": text,
            "action": pl.Enum([k.value for k in ActionKind]),
            "channel": pl.Enum([c.value for c in PlanChannel]),
            "contact": pl.Struct({"name": text, "role": text, "phone": text, "email": text}),
            "template": text,
            "due": pl.Date,
            "priority": pl.Decimal(38, scale),
            "tier": pl.Categorical,
            "needs_approval": text,
            "deferred": pl.Boolean,
            "invoice": text,
            "owner": text,
            "explanation": pl.List(text),
        }
        if any(a.charges for a in self.actions):
            charge = pl.Struct({"fee": text, "amount": text, "invoice": text})
            schema["charges"] = pl.List(charge)  # only for a policy that charges fees
            records = [{"charges": [], **r} for r in self.to_records(typed=True)]
            return pl.DataFrame(records, schema=schema, orient="row")
        return pl.DataFrame(self.to_records(typed=True), schema=schema, orient="row")

    #: How many actions the notebook (HTML) view shows; it says how many more there are.
    HTML_ROWS: ClassVar[int] = 25

    def __repr__(self) -> str:
        errors = sum(1 for s in self.states if s.error)
        return (
            f"<Plan {self.as_of} {self.policy!r}: {len(self.actions)} actions, "
            f"{len(self.states)} accounts, {errors} errors>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        head = ("#", "account", "step", "action", "channel", "contact", "due", "priority", "tier")
        out = [
            f"<p>{esc(repr(self))}</p><table><thead><tr>",
            *(f"<th>{h}</th>" for h in head),
            "<th>why</th></tr></thead><tbody>",
        ]
        for i, a in enumerate(self.actions[: self.HTML_ROWS], start=1):
            cells = (
                str(i),
                a.account,
                a.step,
                str(a.action),
                str(a.channel),
                a.contact.name if a.contact else "-",
                a.due.isoformat(),
                decimal_text(a.priority),
                a.tier or "-",
            )
            why = "".join(f"<li>{esc(w)}</li>" for w in a.explanation)
            out.append(
                "<tr>"
                + "".join(f"<td>{esc(c)}</td>" for c in cells)
                + f"<td><details><summary>why</summary><ul>{why}</ul></details></td></tr>"
            )
        out.append("</tbody></table>")
        more = len(self.actions) - self.HTML_ROWS
        if more > 0:
            out.append(f"<p>... and {more} more actions (Plan.to_records() has them all)</p>")
        errors = [s for s in self.states if s.error]
        if errors:
            shown = "".join(f"<li>{esc(s.account)}: {esc(s.error or '')}</li>" for s in errors[:20])
            rest = f"<li>... and {len(errors) - 20} more</li>" if len(errors) > 20 else ""
            out.append(
                f"<details><summary>{len(errors)} accounts could not be planned</summary>"
                f"<ul>{shown}{rest}</ul></details>"
            )
        return "".join(out)

    def to_dict(self) -> dict[str, Any]:
        """Return the whole plan as plain data."""
        return {
            "as_of": self.as_of.isoformat(),
            "policy": self.policy,
            "actions": self.to_records(),
            "states": [s.to_record() for s in self.states],
        }

    def to_json(self) -> str:
        """Return the plan as stable JSON: sorted keys, two-space indents, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def explain(self, account_id: str) -> str:
        """Explain, in plain text, where *account_id* stands and why each action is planned."""
        st = self.state(account_id)
        lines = [f"Account {st.account} as of {self.as_of}"]
        if st.error:
            lines.append(f"  error: {st.error}")
            return "\n".join(lines)
        lines.append(
            f"  overdue {st.overdue}, priority {decimal_text(st.priority)}, tier {st.tier or '-'}"
        )
        if st.charges is not None:
            lines.append(
                f"  charges: interest {st.charges.interest}, fees {st.charges.fees_charged}"
            )
        lines.append(f"  timeline: {st.timeline or 'none'}")
        if st.day is not None:
            lines.append(f"  day: {say_day(st.day)}")
        if st.episode_start:
            lines.append(f"  episode since {st.episode_start}")
        if st.step_reached:
            lines.append(f"  stage: {st.step_reached}")
        if st.steps_done:
            lines.append(f"  done: {', '.join(st.steps_done)}")
        if st.steps_skipped:
            lines.append(f"  skipped: {', '.join(st.steps_skipped)}")
        if st.paused_by:
            lines.append(f"  paused by: {'; '.join(st.paused_by)}")
        lines += [f"  {note}" for note in st.notes]
        actions = self.actions_for(account_id)
        if not actions:
            lines.append("  no action today")
        for act in actions:
            who = f" to {act.contact.name} ({act.contact.role})" if act.contact else ""
            lines.append(
                f"  action: {act.action} via {act.channel}{who}, step {act.step}, due {act.due}"
            )
            lines += [f"    - {why}" for why in act.explanation]
            lines += [
                f"    + charges {c.amount}"
                + (f" on {c.invoice}" if c.invoice else "")
                + f": {c.fee}"
                for c in act.charges
            ]
        if st.next_step:
            lines.append(f"  next: {st.next_step} on {st.next_date}")
        return "\n".join(lines)


def decimal_text(value: Decimal) -> str:
    """Write a Decimal without exponent or trailing zeros: ``56.8631``, ``205``, ``0``."""
    text = format(value.normalize(MONEY_CONTEXT), "f")  # never the caller's Decimal context
    return "0" if text == "-0" else text


def say_day(day: int) -> str:
    """Say an account's or a step's day: ``due today`` for 0, else as `day_words` does."""
    return "due today" if day == 0 else day_words(day)
