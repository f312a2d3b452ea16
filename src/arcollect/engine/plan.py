"""The plan: what each collector should do on a date, for whom, in what order, and why.

`Planner` evaluates a compiled policy over accounts as of one date. For each account it
derives the facts, picks the timeline (the first whose segment holds, ``for all`` timelines
last), and works out where the account stands in its delinquency **episode** — the unbroken
stretch of overdue money it is in (see `AccountFacts.delinquent_since`):

- the account's **day** is ``as_of`` minus the due date of its oldest open invoice: negative
  before that date, the days past due after it;
- a step is *due* when its day has come and its ``when``/``unless`` conditions hold; the most
  advanced due step is the account's stage. It is planned unless it was done in the episode
  (an activity naming the step) — a repeating step is planned again every N days until its
  ``until`` day; earlier due steps never done are reported as *skipped* (no burst of stale
  letters);
- ``pause while`` stops escalation (the state says which condition paused it); while a
  ``restart when`` condition holds the episode is over and nothing past due escalates (a new
  episode begins with the next stretch of overdue money); a broken promise, in a timeline with
  ``on promise.broken resume at STEP``, begins a new episode on the day it broke, and STEP is
  planned first; ``min gap`` postpones a contact too close
  to the last one, and lets one contact out a day; ``at most every`` keeps a step from
  recurring sooner, across episodes;
- an open promise gets a ``follow_up`` on its deadline (due + grace); an open dispute gets a
  ``review`` until one is logged after it was opened;
- weekends and holidays of the policy's calendar roll actions to the next business day.

Then every account gets its priority score and its tier (the Pareto share of overdue money),
actions are put in one total order (priority, ``ties by`` keys, account id, step), and calls
beyond ``capacity`` move to the next business day, marked ``deferred``.

Nothing here reads the clock or a file: the same policy, accounts and date give the same plan,
whatever the order of the accounts or of their records.
"""

from __future__ import annotations

import decimal
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import total_ordering
from typing import Any, ClassVar, Final

import attrs

from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import Activity, Channel, Contact
from arcollect.engine.calendar import BusinessCalendar
from arcollect.errors import CurrencyMismatchError, EvaluationError
from arcollect.facts import AccountFacts, PromiseStatus, facts
from arcollect.lang.checked import CheckedPolicy, CheckedStep, CheckedTimeline, TExpr, day_words
from arcollect.lang.compiler import Interpreter, Program
from arcollect.lang.schema import FACTS

__all__ = [
    "CONTACT_FALLBACK",
    "AccountState",
    "ContactRef",
    "Plan",
    "PlannedAction",
    "Planner",
]

#: The order in which a step without (or with an unavailable) contact role looks for someone.
CONTACT_FALLBACK: Final = ("decision_maker", "accounts_payable", "billing")

_CONTACT_ACTIONS: Final = frozenset({"email", "letter", "sms", "call", "voicemail", "visit"})
# Channel rules choose between a call and writing for written contact steps (a reminder becomes a
# call where a call pays); steps written as a call, letter, voicemail or visit keep their channel.
_CHANNEL_RULED: Final = frozenset({"email", "sms"})
_ZERO = Decimal(0)
_ONE_DAY = timedelta(days=1)

PROMISE_FOLLOW_UP: Final = "promise_follow_up"
DISPUTE_REVIEW: Final = "dispute_review"


@attrs.frozen
class ContactRef:
    """Who to contact: a contact's name and the role it was chosen for."""

    name: str
    role: str | None
    phone: str | None = None
    email: str | None = None


Part = str | Callable[[], list[str]]


class _Explanation:
    """Explanation lines, some computed on first use (tracing conditions costs time)."""

    __slots__ = ("_lines", "_parts")

    def __init__(self, parts: Iterable[Part]) -> None:
        self._parts: list[Part] = list(parts)
        self._lines: tuple[str, ...] | None = None

    def lines(self) -> tuple[str, ...]:
        if self._lines is None:
            out: list[str] = []
            with decimal.localcontext(MONEY_CONTEXT):
                for part in self._parts:
                    out += [part] if isinstance(part, str) else part()
            self._lines, self._parts = tuple(out), []
        return self._lines


def _explanation(value: Iterable[Part] | _Explanation) -> _Explanation:
    return value if isinstance(value, _Explanation) else _Explanation(value)


@attrs.frozen
class PlannedAction:
    """One action due on the plan's date, with everything a collector needs and the reasons.

    ``explanation`` lists every rule that decided the action, with the values it saw.
    """

    account: str
    step: str
    timeline: str | None
    action: str
    channel: str
    contact: ContactRef | None
    template: str | None
    due: date
    priority: Decimal
    tier: str | None
    needs_approval: str | None
    deferred: bool
    invoice: str | None
    _explanation: _Explanation = attrs.field(
        alias="explanation", converter=_explanation, eq=False, repr=False
    )
    #: The index of the policy's channel rule that chose the channel, if one did.
    channel_rule: int | None = attrs.field(default=None, eq=False, repr=False)

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
        "explanation",
    )

    @property
    def logged_channel(self) -> Channel:
        """The channel of the activity that records this action once it is done."""
        return Channel(self.action if self.channel == "internal" else self.channel)

    @property
    def explanation(self) -> tuple[str, ...]:
        """The reasons for the action: each rule that decided it, with the values it saw."""
        return self._explanation.lines()

    def to_record(self) -> dict[str, Any]:
        """Return the action as plain data: the keys (`RECORD_KEYS`) and values of the JSON."""
        return {
            "account": self.account,
            "step": self.step,
            "timeline": self.timeline,
            "action": self.action,
            "channel": self.channel,
            "contact": None
            if self.contact is None
            else {"name": self.contact.name, "role": self.contact.role},
            "template": self.template,
            "due": self.due.isoformat(),
            "priority": _decimal_text(self.priority),
            "tier": self.tier,
            "needs_approval": self.needs_approval,
            "deferred": self.deferred,
            "invoice": self.invoice,
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
            "priority": _decimal_text(self.priority),
            "tier": self.tier,
            "overdue": str(self.overdue),
            "notes": list(self.notes),
            "error": self.error,
        }


@attrs.frozen
class Plan:
    """The plan for *as_of*: ordered actions and the state of every account."""

    as_of: date
    policy: str
    actions: tuple[PlannedAction, ...]
    states: tuple[AccountState, ...]

    _by_account: dict[str, tuple[AccountState, list[PlannedAction]]] = attrs.field(
        init=False, eq=False, repr=False
    )

    def __attrs_post_init__(self) -> None:
        index: dict[str, tuple[AccountState, list[PlannedAction]]] = {
            st.account: (st, []) for st in self.states
        }
        for act in self.actions:
            index[act.account][1].append(act)
        object.__setattr__(self, "_by_account", index)

    def state(self, account_id: str) -> AccountState:
        """Return the state of the account *account_id*."""
        try:
            return self._by_account[account_id][0]
        except KeyError:
            raise LookupError(f"the plan has no account {account_id!r}") from None

    def actions_for(self, account_id: str) -> tuple[PlannedAction, ...]:
        """Return the actions planned for *account_id*, in plan order."""
        entry = self._by_account.get(account_id)
        return tuple(entry[1]) if entry else ()

    def to_records(self) -> list[dict[str, Any]]:
        """Return the actions as plain dicts, with the keys of the JSON output."""
        return [a.to_record() for a in self.actions]

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
            f"  overdue {st.overdue}, priority {_decimal_text(st.priority)}, tier {st.tier or '-'}"
        )
        lines.append(f"  timeline: {st.timeline or 'none'}")
        if st.day is not None:
            lines.append(f"  day: {_day_words(st.day)}")
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
        if st.next_step:
            lines.append(f"  next: {st.next_step} on {st.next_date}")
        return "\n".join(lines)


def _decimal_text(value: Decimal) -> str:
    """Write a Decimal without exponent or trailing zeros: ``56.8631``, ``205``, ``0``."""
    text = format(value.normalize(MONEY_CONTEXT), "f")  # never the caller's Decimal context
    return "0" if text == "-0" else text


def _day_words(day: int) -> str:
    """Say an account's or a step's day: ``due today`` for 0, else as `day_words` does."""
    return "due today" if day == 0 else day_words(day)


@total_ordering
class _Desc:
    """Reverses the order of a value inside a sort key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _sortable(value: Any, descending: bool) -> tuple[bool, Any]:
    if value is None:
        return (True, 0)  # absent values last, whatever the direction
    if isinstance(value, Money):  # amounts compare within a currency, never across
        amount = value.amount
        return (False, (value.currency, _Desc(amount) if descending else amount))
    return (False, _Desc(value) if descending else value)


# --------------------------------------------------------------------------------------------


@attrs.define
class _Draft:
    """An action before priorities, tiers and capacity are known."""

    step: str
    step_index: int
    timeline: str | None
    action: str
    channel: str
    contact: ContactRef | None
    template: str | None
    due: date
    needs_approval: str | None
    invoice: str | None
    explanation: list[Part]
    channel_rule: int | None = None


@attrs.define
class _Result:
    state: AccountState
    drafts: list[_Draft]
    sort_key: tuple[Any, ...]
    measure: tuple[str, Decimal]  # currency and amount of the tier measure


class _CompiledTimeline:
    """A timeline's conditions compiled into one function returning all their values."""

    def __init__(self, timeline: CheckedTimeline, program: Program) -> None:
        self.timeline = timeline
        exprs: list[TExpr] = [*timeline.pause_while, *timeline.restart_when]
        self.step_when: list[int | None] = []
        self.step_unless: list[int | None] = []
        for step in timeline.steps:
            self.step_when.append(_add(exprs, step.when))
            self.step_unless.append(_add(exprs, step.unless))
        self.exprs = exprs
        self.fn = program.compile_many(exprs).fast if exprs else (lambda _f: ())
        self.n_pause = len(timeline.pause_while)
        self.n_restart = len(timeline.restart_when)
        self.before_due = max((-s.day for s in timeline.steps if s.day < 0), default=0)
        self.resume_index = next(
            (
                i
                for i, s in enumerate(timeline.steps)
                if s.name == timeline.resume_on_broken_promise
            ),
            None,
        )


def _add(exprs: list[TExpr], expr: TExpr | None) -> int | None:
    if expr is None:
        return None
    exprs.append(expr)
    return len(exprs) - 1


class Planner:
    """Plans a checked, compiled policy; build one per policy and reuse it."""

    def __init__(self, checked: CheckedPolicy, program: Program, interpreter: Interpreter) -> None:
        self.checked = checked
        self.program = program
        self.interpreter = interpreter
        self.calendar = BusinessCalendar.of(checked.business_days, checked.holidays)
        self.segments = {
            name: program.compile(expr).fast for name, expr in checked.segments.items()
        }
        self.timelines = [_CompiledTimeline(t, program) for t in checked.timelines]
        ordered = [t for t in self.timelines if t.timeline.segment is not None]
        self.timeline_order = ordered + [t for t in self.timelines if t.timeline.segment is None]
        rules = checked.channel
        conditions = [r.condition for r in rules if r.condition is not None]
        self.channel_fn = program.compile_many(conditions).fast if conditions else None
        pr = checked.priority
        self.score_fn = program.compile(pr.score).fast if pr.score is not None else None
        ties = [expr for expr, _ in pr.ties]
        self.ties_fn = program.compile_many(ties).fast if ties else None
        self.ties_desc = [desc for _, desc in pr.ties]
        measure = FACTS.get(pr.tier_measure or "overdue", FACTS["overdue"])
        self.measure: Callable[[AccountFacts], Any] = measure.get

    # -- the plan ------------------------------------------------------------------------

    def plan(self, accounts: Iterable[Account], as_of: date) -> Plan:
        """Return the plan for *accounts* on *as_of*."""
        if not isinstance(as_of, date):
            raise TypeError(f"as_of must be a datetime.date, got {type(as_of).__name__}")
        results: list[_Result] = []
        seen: set[str] = set()
        with decimal.localcontext(MONEY_CONTEXT):
            for acct in sorted(accounts, key=lambda a: a.id):
                if acct.id in seen:
                    raise ValueError(f"account {acct.id!r} appears twice")
                seen.add(acct.id)
                results.append(self.account(acct, as_of))
            return self._finish(results, as_of)

    def _finish(self, results: list[_Result], as_of: date) -> Plan:
        tiers = self._tiers(results)
        drafts = [(r.sort_key, d.step_index, d, r) for r in results for d in r.drafts]
        drafts.sort(key=lambda x: (x[0], x[1], x[2].invoice or ""))
        capacity = self.checked.priority.capacity
        calls = 0
        actions = []
        for _, _, d, r in drafts:
            deferred = False
            due = d.due
            explanation: list[Part] = list(d.explanation)
            if d.channel == "call":
                calls += 1
                if capacity is not None and calls > capacity:
                    deferred = True
                    due = self.calendar.next_business_day(d.due)
                    explanation.append(
                        f"capacity {capacity} calls per day reached (call #{calls}): moved to {due}"
                    )
            tier = tiers.get(r.state.account)
            explanation.append(
                f"priority {_decimal_text(r.state.priority)}" + (f", tier {tier}" if tier else "")
            )
            actions.append(
                PlannedAction(
                    account=r.state.account,
                    step=d.step,
                    timeline=d.timeline,
                    action=d.action,
                    channel=d.channel,
                    contact=d.contact,
                    template=d.template,
                    due=due,
                    priority=r.state.priority,
                    tier=tier,
                    needs_approval=d.needs_approval,
                    deferred=deferred,
                    invoice=d.invoice,
                    explanation=explanation,
                    channel_rule=d.channel_rule,
                )
            )
        states = tuple(
            r.state if r.state.error else attrs.evolve(r.state, tier=tiers.get(r.state.account))
            for r in results
        )
        return Plan(as_of, self.checked.name, tuple(actions), states)

    def _tiers(self, results: list[_Result]) -> dict[str, str]:
        """Pareto tiers by share of the measure, within each currency (never summed across)."""
        tiers = self.checked.priority.tiers
        if not tiers:
            return {}
        bounds: list[tuple[Decimal, str]] = []
        acc = _ZERO
        for name, share in tiers:
            acc += share
            bounds.append((acc, name))
        by_currency: dict[str, list[_Result]] = defaultdict(list)
        for r in results:
            if r.state.error is None:
                by_currency[r.measure[0]].append(r)
        out: dict[str, str] = {}
        for group in by_currency.values():
            ranked = sorted(group, key=lambda r: (-r.measure[1], r.state.account))
            total = sum((max(r.measure[1], _ZERO) for r in ranked), _ZERO)
            before = _ZERO  # share of the total held by the accounts ranked above
            for r in ranked:
                share_before = before / total if total > 0 else Decimal(1)
                name = next((n for bound, n in bounds if share_before < bound), bounds[-1][1])
                out[r.state.account] = name
                before += max(r.measure[1], _ZERO)
        return out

    # -- one account ---------------------------------------------------------------------

    def account(self, acct: Account, as_of: date) -> _Result:
        """Evaluate the policy for one account."""
        f = facts(acct, as_of)
        try:
            return self._account(f, as_of)
        except (CurrencyMismatchError, ArithmeticError, EvaluationError) as exc:
            message = str(exc) if isinstance(exc, EvaluationError) else self._culprit(f, exc)
            state = AccountState(
                account=acct.id,
                timeline=None,
                episode_start=None,
                day=None,
                step_reached=None,
                steps_done=(),
                steps_skipped=(),
                paused_by=(),
                next_step=None,
                next_date=None,
                priority=_ZERO,
                tier=None,
                overdue=f.overdue,
                error=f"cannot evaluate the policy for this account: {message}",
            )
            return _Result(state, [], ((False, _Desc(_ZERO)), acct.id), (acct.currency, _ZERO))

    def _culprit(self, f: AccountFacts, exc: BaseException) -> str:
        """Find the expression that failed for *f*, for an error that names it and its place.

        The slow path of a failed account: each expression is evaluated on its own.
        """
        c = self.checked
        exprs: list[TExpr] = [*c.segments.values()]
        for t in c.timelines:
            exprs += [*t.pause_while, *t.restart_when]
            exprs += [e for s in t.steps for e in (s.when, s.unless) if e is not None]
        exprs += [r.condition for r in c.channel if r.condition is not None]
        exprs += [e for e in (c.priority.score,) if e is not None]
        exprs += [e for e, _ in c.priority.ties]
        for expr in exprs:
            try:
                self.program.compile(expr)(f)
            except EvaluationError as located:
                return str(located)
        return str(exc)  # pragma: no cover - every failure comes from one of the expressions

    def _account(self, f: AccountFacts, as_of: date) -> _Result:
        acct = f.account
        currency = self.checked.currency
        if currency is not None and acct.currency != currency:
            raise EvaluationError(
                f"the account is in {acct.currency}, the policy in {currency}: "
                "convert the amounts or use a policy in the account's currency"
            )
        score = _ZERO if self.score_fn is None else Decimal(self.score_fn(f))
        ties = self.ties_fn(f) if self.ties_fn is not None else ()
        sort_key = (
            _sortable(score, descending=True),
            *(_sortable(v, d) for v, d in zip(ties, self.ties_desc, strict=True)),
            acct.id,
        )
        measure = self.measure(f)
        measure_value = (
            (measure.currency, measure.amount)
            if isinstance(measure, Money)
            else (acct.currency, _ZERO)
        )

        notes: list[str] = []
        drafts: list[_Draft] = []
        tl = self._timeline(f)
        state_kw: dict[str, Any] = {
            "account": acct.id,
            "timeline": tl.timeline.name if tl else None,
            "episode_start": f.delinquent_since,
            "day": None,
            "step_reached": None,
            "steps_done": (),
            "steps_skipped": (),
            "paused_by": (),
            "next_step": None,
            "next_date": None,
            "priority": score,
            "tier": None,
            "overdue": f.overdue,
        }
        if tl is None:
            notes.append("no timeline applies to this account")
        elif f.oldest_due is None:
            notes.append("no open invoices")
        else:
            self._escalate(tl, f, as_of, state=state_kw, notes=notes, drafts=drafts)
        drafts += self._promise_follow_up(f, as_of, tl)
        drafts += self._dispute_reviews(f, as_of)
        state = AccountState(**state_kw, notes=tuple(notes))
        return _Result(state, drafts, sort_key, measure_value)

    def timeline_for(self, f: AccountFacts) -> CheckedTimeline | None:
        """Return the timeline an account with facts *f* follows (None if none applies)."""
        tl = self._timeline(f)
        return tl.timeline if tl else None

    def _timeline(self, f: AccountFacts) -> _CompiledTimeline | None:
        for tl in self.timeline_order:
            segment = tl.timeline.segment
            if segment is None or self.segments[segment](f):
                return tl
        return None

    def _escalate(
        self,
        tl: _CompiledTimeline,
        f: AccountFacts,
        as_of: date,
        *,
        state: dict[str, Any],
        notes: list[str],
        drafts: list[_Draft],
    ) -> None:
        timeline = tl.timeline
        assert f.oldest_due is not None  # noqa: S101 - checked by the caller
        day = (as_of - f.oldest_due).days
        state["day"] = day
        values = tl.fn(f)
        anchor = (f.delinquent_since - _ONE_DAY) if f.delinquent_since else f.oldest_due
        cycle_start = anchor - timedelta(days=tl.before_due)
        # A broken promise, where the timeline resumes on one, begins a new episode from the day
        # it broke: back into the protocol at the resume step, and no step twice in an episode.
        broken = f.promise
        resumed = (
            tl.resume_index is not None
            and broken is not None
            and broken.status in (PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT)
            and broken.closed_on is not None
            and broken.closed_on >= cycle_start
        )
        if resumed and broken is not None and broken.closed_on is not None:
            cycle_start = broken.closed_on
            state["episode_start"] = broken.closed_on
        state["cycle_start"] = cycle_start
        history = [a for a in f.activities if a.step and (a.timeline in (None, timeline.name))]
        in_cycle = [a for a in history if a.date >= cycle_start]
        done_steps = {a.step for a in in_cycle if a.invoice is None}
        state["steps_done"] = tuple(s.name for s in timeline.steps if s.name in done_steps)

        paused = [
            expr.text
            for expr, v in zip(timeline.pause_while, values[: tl.n_pause], strict=True)
            if v
        ]
        restarted = [
            expr.text
            for expr, v in zip(
                timeline.restart_when, values[tl.n_pause : tl.n_pause + tl.n_restart], strict=True
            )
            if v
        ]
        if paused:
            state["paused_by"] = tuple(paused)
        if restarted and day > 0:
            notes.append(f"episode over: restart when {restarted[0]}")
            return

        def holds(i: int) -> tuple[bool, str]:
            w, u = tl.step_when[i], tl.step_unless[i]
            if w is not None and not values[w]:
                return False, f"when {timeline.steps[i].when.text} is false"  # type: ignore[union-attr]
            if u is not None and values[u]:
                return False, f"unless {timeline.steps[i].unless.text} is true"  # type: ignore[union-attr]
            return True, ""

        chosen: tuple[int, CheckedStep, str] | None = None  # index, step, reason
        if resumed and broken is not None and tl.resume_index is not None:
            idx = tl.resume_index
            step = timeline.steps[idx]
            redone = step.name in done_steps
            ok, _ = holds(idx)
            if not redone and ok:
                chosen = (
                    idx,
                    step,
                    (
                        f"promise of {broken.amount} due {broken.due} was "
                        f"{broken.status.value.replace('_', ' ')} (paid {broken.paid}): "
                        f"resume at {step.name}"
                    ),
                )

        stage: tuple[int, CheckedStep] | None = None
        next_from = day  # the next step is the first after today and after the stage reached
        # After a resume, the steps before the resume step are behind the account.
        lowest = tl.resume_index if resumed and tl.resume_index is not None else 0
        if chosen is None:
            for i in range(len(timeline.steps) - 1, lowest - 1, -1):
                step = timeline.steps[i]
                if step.per_invoice or step.day > day:
                    continue
                ok, why = holds(i)
                if not ok:
                    notes.append(f"{step.name}: not taken ({why})")
                    continue
                stage = (i, step)
                done_dates = sorted(
                    a.date for a in in_cycle if a.step == step.name and a.invoice is None
                )
                repeating = step.every is not None and (step.until is None or day <= step.until)
                if not done_dates:
                    chosen = (
                        i,
                        step,
                        f"step {step.name} ({_day_words(step.day)}) is the most advanced step due",
                    )
                elif (
                    repeating
                    and step.every is not None
                    and (as_of - done_dates[-1]).days >= step.every
                ):
                    chosen = (
                        i,
                        step,
                        f"step {step.name} repeats every {step.every} days"
                        + (f" until {_day_words(step.until)}" if step.until is not None else "")
                        + f"; last done {done_dates[-1]}",
                    )
                else:
                    notes.append(f"{step.name}: done on {done_dates[-1]}")
                break
        if chosen is not None:
            stage = (chosen[0], chosen[1])
        if stage is None and lowest:  # resumed, and nothing after the resume step is due yet
            stage = (lowest, timeline.steps[lowest])
        if stage is not None:
            next_from = max(day, stage[1].day)
        upcoming = [s for s in timeline.steps if s.day > next_from and not s.per_invoice]
        if upcoming:
            state["next_step"] = upcoming[0].name
            state["next_date"] = self.calendar.roll_forward(
                f.oldest_due + timedelta(days=upcoming[0].day)
            )
        if stage is not None and chosen is None:  # the stage is done: a repeat may come sooner
            step = stage[1]
            last = max(a.date for a in in_cycle if a.step == step.name and a.invoice is None)
            if step.every is not None and (step.until is None or day <= step.until):
                nxt = last + timedelta(days=step.every)
                if step.until is None or (nxt - f.oldest_due).days <= step.until:
                    state["next_step"], state["next_date"] = (
                        step.name,
                        self.calendar.roll_forward(nxt),
                    )
        if stage is not None:
            state["step_reached"] = stage[1].name
            # After a broken promise the protocol re-enters at the resume step: the steps before
            # it are behind the account, not skipped.
            first = tl.resume_index if resumed and tl.resume_index is not None else 0
            state["steps_skipped"] = tuple(
                s.name
                for i, s in enumerate(timeline.steps[: stage[0]])
                if i >= first
                and not s.per_invoice
                and s.day <= day
                and s.name not in done_steps
                and holds(i)[0]
                and s.name != (chosen[1].name if chosen else None)
            )
        if paused:
            return
        if chosen is not None:
            idx, step, reason = chosen
            draft = self._draft(
                tl, f, as_of, at=(idx, step), explanation=[reason], notes=notes, history=history
            )
            if draft is not None:
                drafts.append(draft)
        per_invoice = [
            (i, s) for i, s in enumerate(timeline.steps) if s.per_invoice and holds(i)[0]
        ]
        if per_invoice:
            drafts += self._per_invoice(
                tl, f, as_of, steps=per_invoice, notes=notes, history=history
            )
        if timeline.min_gap is not None:
            later = self.calendar.roll_forward(as_of + timedelta(days=timeline.min_gap))
            self._one_contact(drafts, timeline.min_gap, later, notes)

    @staticmethod
    def _one_contact(drafts: list[_Draft], gap: int, later: date, notes: list[str]) -> None:
        """Under ``min gap``, keep today's most advanced contact; postpone the others."""
        contacts = [d for d in drafts if d.channel in _CONTACT_ACTIONS]
        if len(contacts) <= 1:
            return
        contacts.sort(key=lambda d: (-d.step_index, d.invoice or ""))
        kept = contacts[0]
        postponed = {id(d) for d in contacts[1:]}
        drafts[:] = [d for d in drafts if id(d) not in postponed]
        for d in contacts[1:]:
            what = d.step + (f" for {d.invoice}" if d.invoice else "")
            notes.append(
                f"{what}: postponed to {later}: min gap {gap} days between "
                f"contacts ({kept.step} is planned today)"
            )

    def _per_invoice(
        self,
        tl: _CompiledTimeline,
        f: AccountFacts,
        as_of: date,
        *,
        steps: list[tuple[int, CheckedStep]],
        notes: list[str],
        history: list[Activity],
    ) -> list[_Draft]:
        """Per invoice, the most advanced per-invoice step due, unless done for that invoice."""
        done: dict[tuple[str | None, str], list[date]] = defaultdict(list)
        for a in history:
            if a.invoice is not None:
                done[(a.step, a.invoice)].append(a.date)
        out = []
        for inv in f.invoices:
            inv_day = (as_of - inv.due).days
            due = [(i, s) for i, s in steps if s.day <= inv_day]
            if not due:
                continue
            idx, step = due[-1]  # steps are in day order: the last due is the most advanced
            start = inv.due - timedelta(days=tl.before_due)
            if any(d >= start for d in done[(step.name, inv.number)]):
                continue
            reason = (
                f"step {step.name} ({_day_words(step.day)}) for invoice {inv.number}, "
                f"{_day_words(inv_day)}"
            )
            draft = self._draft(
                tl,
                f,
                as_of,
                at=(idx, step),
                explanation=[reason],
                notes=notes,
                history=history,
                invoice=inv.number,
            )
            if draft is not None:
                out.append(draft)
        return out

    def _draft(
        self,
        tl: _CompiledTimeline,
        f: AccountFacts,
        as_of: date,
        *,
        at: tuple[int, CheckedStep],
        explanation: list[str],
        notes: list[str],
        history: list[Activity],
        invoice: str | None = None,
    ) -> _Draft | None:
        idx, step = at
        timeline = tl.timeline
        why: list[Part] = list(explanation)
        why.append(
            f"timeline {timeline.name}"
            + (f" (segment {timeline.segment})" if timeline.segment else " (for all accounts)")
        )
        for label, expr in (("when", step.when), ("unless", step.unless)):
            if expr is not None:
                why.append(self._traced(label, expr, f))
        why.extend(self._traced("not paused", e, f, joined=True) for e in timeline.pause_while)
        if step.min_interval is not None:
            last = max((a.date for a in history if a.step == step.name), default=None)
            if last is not None and (as_of - last).days < step.min_interval:
                notes.append(
                    f"{step.name}: at most every {step.min_interval} days; last on {last}, "
                    f"next from {last + timedelta(days=step.min_interval)}"
                )
                return None
        channel, channel_why, channel_rule = self._channel(step.action, f)
        why += channel_why
        if (
            timeline.min_gap is not None
            and channel in _CONTACT_ACTIONS
            and f.last_contact is not None
        ):
            gap = (as_of - f.last_contact.date).days
            if gap < timeline.min_gap:
                resume = self.calendar.roll_forward(
                    f.last_contact.date + timedelta(days=timeline.min_gap)
                )
                notes.append(
                    f"{step.name}: postponed to {resume}: min gap {timeline.min_gap} days between "
                    f"contacts (last contact {f.last_contact.date}, {f.last_contact.channel.value})"
                )
                return None
        contact, contact_why = self._contact(step, f)
        why += contact_why
        if step.approval:
            why.append(f"requires approval by {step.approval}")
        due = self.calendar.roll_forward(as_of)
        if due != as_of:
            why.append(f"rolled forward from {as_of} ({self.calendar.why_not(as_of)})")
        return _Draft(
            step=step.name,
            step_index=idx,
            timeline=timeline.name,
            action=step.action,
            channel=channel,
            contact=contact,
            template=step.template,
            due=due,
            needs_approval=step.approval,
            invoice=invoice,
            explanation=why,
            channel_rule=channel_rule,
        )

    def _traced(
        self, label: str, expr: TExpr, f: AccountFacts, *, joined: bool = False
    ) -> Callable[[], list[str]]:
        """Return a function giving the explanation lines of *expr*, traced when first needed."""

        def lines() -> list[str]:
            _, trace = self._trace(expr, f)
            if joined:
                return [f"{label}: " + ("; ".join(trace) if trace else f"{expr.text} is false")]
            return [f"{label}: {t}" for t in trace] or [f"{label}: {expr.text}"]

        return lines

    def _trace(self, expr: TExpr, f: AccountFacts) -> tuple[Any, list[str]]:
        trace: list[str] = []
        value = self.interpreter._eval(expr, f, None, trace)  # noqa: SLF001 - context is set
        return value, trace

    def _channel(self, action: str, f: AccountFacts) -> tuple[str, list[Part], int | None]:
        """Return the channel for *action*, why, and the index of the rule that chose it."""
        if action not in _CONTACT_ACTIONS:
            return "internal", [], None
        if action not in _CHANNEL_RULED or not self.checked.channel:
            return action, [], None
        values = iter(self.channel_fn(f) if self.channel_fn is not None else ())
        for k, rule in enumerate(self.checked.channel):
            if rule.condition is None:
                why = f"channel {rule.channel}: no earlier channel rule holds"
                return rule.channel, [why], k
            if next(values):
                traced = self._traced(f"channel {rule.channel}", rule.condition, f, joined=True)
                return rule.channel, [traced], k
        return action, [f"channel {action}: no channel rule holds"], None

    @staticmethod
    def _contact(step: CheckedStep, f: AccountFacts) -> tuple[ContactRef | None, list[str]]:
        if step.action not in _CONTACT_ACTIONS:
            return None, []
        return _choose_contact(f, step.to_role, companion=step.with_role)

    def _promise_follow_up(
        self, f: AccountFacts, as_of: date, tl: _CompiledTimeline | None
    ) -> list[_Draft]:
        """One follow-up call for the promises whose deadline is today's business day.

        A deadline on a weekend or holiday is followed up on the next business day (when the
        promise has just broken, and the follow-up finds out why).
        """
        today = self.calendar.roll_forward(as_of)
        due = [
            p
            for p in f.promises
            if p.status is not PromiseStatus.KEPT
            and p.deadline <= as_of
            and self.calendar.roll_forward(p.deadline) == today
            and not any(a.step == PROMISE_FOLLOW_UP and a.date >= p.deadline for a in f.activities)
        ]
        if not due:
            return []
        why: list[Part] = [
            f"promise of {p.amount} made on {p.made_on} is due {p.due}"
            + (f" (+{(p.deadline - p.due).days} days grace)" if p.deadline != p.due else "")
            + f"; paid so far {p.paid}: follow up precisely on the promised date"
            for p in due
        ]
        contact, contact_why = _choose_contact(f, None, prefer=due[0].by)
        return [
            _Draft(
                step=PROMISE_FOLLOW_UP,
                step_index=-2,
                timeline=tl.timeline.name if tl else None,
                action="follow_up",
                channel="call",
                contact=contact,
                template=None,
                due=today,
                needs_approval=None,
                invoice=None,
                explanation=[*why, "channel call: follow up a promise by phone", *contact_why],
            )
        ]

    def _dispute_reviews(self, f: AccountFacts, as_of: date) -> list[_Draft]:
        """One review of the account's open disputes that no review was logged for since."""
        reviews = [
            a for a in f.activities if a.channel is Channel.REVIEW or a.step == DISPUTE_REVIEW
        ]
        pending = [d for d in f.open_disputes if not any(a.date >= d.opened for a in reviews)]
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
        return [
            _Draft(
                step=DISPUTE_REVIEW,
                step_index=-1,
                timeline=None,
                action="review",
                channel="internal",
                contact=None,
                template=None,
                due=self.calendar.roll_forward(as_of),
                needs_approval=None,
                invoice=only[0] if len(only) == 1 else None,
                explanation=why,
            )
        ]


def _sorted_contacts(contacts: Sequence[Contact]) -> list[Contact]:
    return sorted(contacts, key=lambda c: (c.name, c.title or "", c.email or "", c.phone or ""))


def _choose_contact(
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
    order = [r for r in (role, *CONTACT_FALLBACK) if r is not None]
    order = list(dict.fromkeys(order))
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
