"""The timeline decides: where an account stands in its escalation, and which steps are due.

`decide` takes one account's facts and the compiled timeline it follows and returns a frozen
`Position`; it chooses nothing about channels, contacts or order (that is `actions` and
`priority`). The rules, for an account in a delinquency **episode** (the unbroken stretch of
overdue money it is in, see `AccountFacts.delinquent_since`):

- the account's **day** is ``as_of`` minus the due date of its oldest open invoice: negative
  before that date, the days past due after it;
- each step has a **date**: its day counted from that due date (``10 days past due``; with
  ``, end of month``, the last day of the month that day falls in), from the oldest open
  invoice's issue date (``40 days after issue``), or from the first day another step was done in
  the episode (``14 days after reminder``: no date until that step was done). A step is *due*
  when its date has come and its ``when``/``unless`` conditions hold;
- **catch-up** (the default): the most advanced due step is the account's **stage**. It is
  planned unless it was done in the episode (an activity naming the step); a repeating step is
  planned again every N days until its ``until`` day, at most ``at most N times``; earlier due
  steps never done are *skipped* (no burst of stale letters), except a ``required`` one: while a
  required step due before the stage was not done in the episode, it is planned instead;
- **in sequence** (``timeline t for all, in sequence``): no step is skipped. The step planned is
  the first whose conditions hold and that was not done in the episode, once its date has come;
  an account that enters late starts at the first step. While it waits, the last step done may
  repeat;
- ``pause while`` stops escalation (the position says which condition paused it); while a
  ``restart when`` condition holds the episode is over and nothing past due escalates;
- a **snooze** active today (`AccountFacts.snoozes`) of the whole account pauses every step, as
  ``pause while`` does, and ``paused_by`` says ``snoozed until D: REASON (by NAME)``. A snooze
  of invoices keeps per-invoice steps off them; account-level steps pause when the snoozes cover
  every overdue invoice (every open one if none is overdue), and otherwise the account's day
  (and the ``after issue`` anchor) counts from the oldest open invoice not snoozed: a collector
  snoozes an invoice to take it out of the chase, so it must not drive the escalation of the
  rest; the cycle is not moved (steps done stay done). Under a snooze the forecast decides
  the timeline again on the days something may change (`_Decision.after_snooze`);
- a broken promise, in a timeline with ``on promise.broken resume at STEP``, begins a new episode
  on the day it broke, and STEP is planned first; the steps before it are behind the account;
- ``on paid release hold``: once nothing is overdue, a hold done (a ``hold shipments`` step) and
  not yet released is released, once (the built-in step ``release_hold``);
- ``, by oldest invoice``: the episode is the oldest open invoice's: steps count as done from its
  own due date (moved back by the longest before-due step), so when it is paid while other debt
  stays overdue, the next oldest invoice starts its own escalation;
- per-invoice steps are decided for each open invoice on its own dates, in the same mode, their
  conditions evaluated for that invoice where they read it (``invoice.open >= 50 EUR``);
- ``at most every`` keeps a step from recurring sooner, across episodes; ``min gap`` postpones a
  contact too close to the last one, and lets one contact out a day (the most advanced).

Steps are counted as done from the *cycle start*: the episode's first day, or the due date it is
about, moved back by the longest before-due step (so a courtesy step sent before the due date
counts for the episode that follows).

Two account-level steps of a catch-up timeline on the same day: the later one is the most
advanced step due, so only it is planned (the checker warns).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Protocol, assert_never

import attrs

from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind
from arcollect.domain.records import Activity
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import say_day
from arcollect.facts import AccountFacts, InvoiceFacts, PromiseStatus, facts
from arcollect.lang.ir import CheckedStep
from arcollect.lang.program import CompiledTimeline, TimelineConditions
from arcollect.lang.runtime import end_of_month

__all__ = ["RELEASE_HOLD", "Position", "StepDue", "decide", "release_hold", "undecided"]

_ONE_DAY = timedelta(days=1)
#: How many days of change the forecast under a snooze decides again at most.
_JUMPS = 12
_BROKEN = (PromiseStatus.BROKEN, PromiseStatus.PARTIALLY_KEPT)


@attrs.frozen
class StepDue:
    """A step to take today: its place in the timeline, why, and for which invoice."""

    index: int
    step: CheckedStep
    reason: str
    invoice: str | None = None


@attrs.frozen
class Position:
    """Where an account stands in its timeline on a date, and the steps due today.

    *planned* are the steps to take today, after ``at most every`` and ``min gap`` had their
    say; *notes* say why other steps were not taken. See `AccountState` for the other fields.
    """

    timeline: CompiledTimeline | None
    episode_start: date | None
    cycle_start: date | None = None
    day: int | None = None
    stage: str | None = None
    steps_done: tuple[str, ...] = ()
    steps_skipped: tuple[str, ...] = ()
    paused_by: tuple[str, ...] = ()
    next_step: str | None = None
    next_date: date | None = None
    planned: tuple[StepDue, ...] = ()
    notes: tuple[str, ...] = ()
    #: Account-level steps due today but held back (``at most every``, ``min gap``), each with
    #: the first day it may be taken.
    postponed: tuple[tuple[str, date], ...] = ()


#: The built-in step `on paid release hold` plans.
RELEASE_HOLD = "release_hold"


def undecided(timeline: CompiledTimeline | None, f: AccountFacts) -> Position:
    """Return the position of an account without a timeline, or without open invoices."""
    if timeline is None:
        return Position(None, f.delinquent_since, notes=("no timeline applies to this account",))
    release = release_hold(timeline, f)
    return Position(
        timeline,
        f.delinquent_since,
        planned=(release,) if release else (),
        notes=("no open invoices",),
    )


def decide(
    tl: CompiledTimeline, f: AccountFacts, as_of: date, calendar: BusinessCalendar
) -> Position:
    """Decide the position of the account with facts *f* in timeline *tl* on *as_of*."""
    if tl.plain:
        found = _plain(tl, f, as_of, calendar)
        if found is not None:
            return found
    return _Decision(tl, f, as_of, calendar).position()


class _Taken:
    """The notes and the held-back steps of a plain decision (`_Noted`)."""

    __slots__ = ("notes", "postponed")

    def __init__(self) -> None:
        self.notes: list[str] = []
        self.postponed: list[tuple[str, date]] = []


def _plain(
    tl: CompiledTimeline, f: AccountFacts, as_of: date, calendar: BusinessCalendar
) -> Position | None:
    """`decide`, for a plain timeline (`CompiledTimeline.plain`); None: decide in full.

    The decision `_Decision` makes, for what a plain timeline can hold: no sequence, no step per
    invoice or required, every step dated from the due date. Accounts with snoozes, and those
    a broken promise resumes, are left to `_Decision` (None). A property test holds the two
    to the same `Position` on every account.
    """
    if f.account.snoozes:
        return None
    assert f.oldest_due is not None  # noqa: S101 - see `undecided` for accounts without
    timeline = tl.timeline
    oldest = f.oldest_due
    day = (as_of - oldest).days
    since = f.delinquent_since
    anchor = oldest if timeline.by_oldest_invoice or since is None else since - _ONE_DAY
    cycle_start = anchor - timedelta(days=tl.before_due)
    if tl.resume_index is not None:
        promise = f.promise
        if (
            promise is not None
            and promise.status in _BROKEN
            and promise.closed_on is not None
            and promise.closed_on >= cycle_start
        ):
            return None  # resumed: a new episode, from the resume step
    # The steps of the timeline logged: the last day each was done in the cycle, and how often.
    name = tl.name
    last_done: dict[str, date] = {}
    times_done: dict[str, int] = {}
    for a in f.activities:
        step_name = a.step
        if (
            step_name
            and a.invoice is None
            and a.date >= cycle_start
            and (a.timeline is None or a.timeline == name)
        ):
            last_done[step_name] = a.date
            times_done[step_name] = times_done.get(step_name, 0) + 1
    steps = tl.steps
    done = tuple([s.name for s in steps if s.name in last_done]) if last_done else ()
    values = tl.conditions(f)
    ok = values.ok
    paused = values.paused_by
    out = _Taken()
    notes = out.notes
    if values.restarted_by and day > 0:
        notes.append(f"episode over: restart when {values.restarted_by[0]}")
        return Position(
            tl, since, cycle_start, day, steps_done=done, paused_by=paused, notes=tuple(notes)
        )

    # The stage: the most advanced step due whose conditions hold.
    top = -1
    chosen: StepDue | None = None
    for i in range(len(steps) - 1, -1, -1):
        step = steps[i]
        if step.day > day:
            continue
        if not ok[i]:
            notes.append(f"{step.name}: not taken ({values.holds(i, step)[1]})")
            continue
        top = i
        last = last_done.get(step.name)
        if last is None:
            reason = f"step {step.name} ({say_day(step.day)}) is the most advanced step due"
            chosen = StepDue(i, step, reason)
        else:
            chosen = _repeat(i, step, last, as_of, day, times_done, notes)
        break

    def last_ever(step_name: str) -> date | None:  # in any episode (``at most every``)
        return max(
            (
                a.date
                for a in f.activities
                if a.step == step_name and (a.timeline is None or a.timeline == name)
            ),
            default=None,
        )

    planned: tuple[StepDue, ...] = ()
    if (
        not paused
        and chosen is not None
        and _may_take(chosen, tl, f, as_of, calendar, last_ever, out)
    ):
        planned = (chosen,)

    # The forecast (`_Decision.forecast_of`, `next_step`).
    next_step: str | None = None
    next_date: date | None = None
    if paused:
        notes.append(f"next: once the pause ends ({'; '.join(paused)})")
    else:
        taken = chosen if planned else None
        gap = timeline.min_gap
        floor: date | None = None
        if gap is not None:
            contact = f.last_contact
            when_last = contact.date if contact is not None else None
            if taken is not None and taken.step.action.is_contact:
                when_last = as_of
            if when_last is not None:
                floor = _roll(calendar, when_last, gap)
        best: tuple[date, int] | None = None
        n = len(steps)
        # Only steps after the stage: none of them has its date come with its conditions
        # holding (the stage is the most advanced such step).
        for j in range(top + 1, n):
            s = steps[j]
            if s.day <= day or s.name in last_done or not ok[j]:
                continue
            try:
                raw: date | None = oldest + timedelta(days=s.day)
            except OverflowError:
                raw = None
            when = _roll(calendar, raw, 0) if raw is not None else None
            # The steps' own days only grow: once past the best day (or the calendar's end),
            # no later step comes first, even lifted to the min gap's floor.
            if best is not None and (when is None or when > best[0]):
                break
            if when is not None and floor is not None and s.action.is_contact:
                when = max(when, floor)
            key = (when, -j) if when is not None else (date.max, j)
            if best is None or key < best:
                best, next_step, next_date = key, s.name, when
        if top >= 0 and steps[top].every is not None:  # the stage may repeat first
            step = steps[top]
            every = step.every
            today = taken is not None and taken.step is step
            last = as_of if today else last_done.get(step.name) if taken is None else None
            count = times_done.get(step.name, 0) + today
            if (
                last is not None
                and every is not None
                and (step.max_times is None or count < step.max_times)
            ):
                nxt = last + timedelta(days=every)
                when = _roll(calendar, nxt, 0)
                if when is not None and floor is not None and step.action.is_contact:
                    when = max(when, floor)
                sooner = next_step is None or next_date is None or (when and when < next_date)
                if sooner and (step.until is None or (nxt - oldest).days <= step.until):
                    next_step, next_date = step.name, when
        if chosen is not None and taken is None and out.postponed:  # the stage held back
            held, held_on = out.postponed[0]
            held_date = _roll(calendar, held_on, 0)
            if (
                held == chosen.step.name
                and held_date is not None
                and (next_date is None or held_date < next_date)
            ):
                next_step, next_date = held, held_date

    skipped: tuple[str, ...] = ()
    if top > 0:
        chosen_name = chosen.step.name if chosen else None
        skipped = tuple(
            [
                s.name
                for i, s in enumerate(steps[:top])
                if s.day <= day and s.name not in last_done and ok[i] and s.name != chosen_name
            ]
        )
    return Position(
        tl,
        since,
        cycle_start,
        day,
        steps[top].name if top >= 0 else None,
        done,
        skipped,
        paused,
        next_step,
        next_date,
        planned,
        tuple(notes),
        tuple(out.postponed),
    )


def _roll(calendar: BusinessCalendar, start: date, days: int) -> date | None:
    """Return the business day *days* after *start*; None beyond the calendar's end."""
    try:
        return calendar.roll_forward(start + timedelta(days=days))
    except OverflowError:
        return None


def release_hold(tl: CompiledTimeline, f: AccountFacts) -> StepDue | None:
    """Under ``on paid release hold``: the release of a hold, once nothing is overdue."""
    timeline = tl.timeline
    if not timeline.release_on_paid or f.delinquent_since is not None:
        return None
    holds = {s.name for s in timeline.steps if s.action is ActionKind.HOLD_SHIPMENTS}
    mine = [a for a in f.activities if a.step and a.timeline in (None, timeline.name)]
    last_hold = max((a.date for a in mine if a.step in holds), default=None)
    if last_hold is None:
        return None
    last_release = max((a.date for a in mine if a.step == RELEASE_HOLD), default=None)
    if last_release is not None and last_release >= last_hold:
        return None
    step = CheckedStep(
        name=RELEASE_HOLD,
        day=0,
        action=ActionKind.RELEASE_HOLD,
        template=None,
        per_invoice=False,
        to_role=None,
        with_role=None,
        when=None,
        unless=None,
        every=None,
        until=None,
        min_interval=None,
        approval=None,
        span=timeline.span,
    )
    reason = f"nothing is overdue any more: release the hold done on {last_hold} (on paid)"
    return StepDue(len(timeline.steps), step, reason)


def _day_after(day: date) -> list[date]:
    """Return ``[day + 1]``, or nothing past the calendar's end."""
    return [] if day == date.max else [day + _ONE_DAY]


class _Decision:
    """The working state of one `decide` call (a function split into readable steps)."""

    def __init__(
        self,
        tl: CompiledTimeline,
        f: AccountFacts,
        as_of: date,
        calendar: BusinessCalendar,
        *,
        forecast: bool = True,
    ) -> None:
        assert f.oldest_due is not None  # noqa: S101 - see `undecided` for accounts without
        self.tl, self.f, self.as_of, self.calendar = tl, f, as_of, calendar
        self.forecast = forecast  # False: the days after a snooze are not looked into
        self.oldest_due: date = f.oldest_due
        self.sequence = tl.timeline.in_sequence
        self.day = (as_of - f.oldest_due).days
        self.values: TimelineConditions = tl.conditions(f)
        self.ok = self.values.ok  # per step: its conditions hold
        self.notes: list[str] = []
        self._first_invoice: InvoiceFacts | None = None  # f.invoices[0], when first needed
        # Snoozes: texts of those that pause the account-level steps, whether they pause the
        # whole timeline, the day they end, and why the account's day moved (see `snooze`).
        self.snooze_pause: tuple[str, ...] = ()
        self.whole_snooze = False
        self.snooze_end: date | None = None
        self.anchor_note: str | None = None
        self.invoice_snooze: dict[str, str] = {}
        self.postponed: list[tuple[str, date]] = []
        if f.account.snoozes:
            self.snooze()
        if tl.timeline.by_oldest_invoice or f.delinquent_since is None:
            anchor = f.oldest_due  # the cycle is not moved by a snooze: done steps stay done
        else:
            anchor = f.delinquent_since - _ONE_DAY
        self.cycle_start = anchor - timedelta(days=tl.before_due)
        self.episode_start = f.delinquent_since
        # A broken promise, where the timeline resumes on one, begins a new episode from the day
        # it broke: back into the protocol at the resume step, and no step twice in an episode.
        promise = f.promise
        self.resumed = (
            tl.resume_index is not None
            and promise is not None
            and promise.status in _BROKEN
            and promise.closed_on is not None
            and promise.closed_on >= self.cycle_start
        )
        if self.resumed and promise is not None and promise.closed_on is not None:
            self.cycle_start = promise.closed_on
            self.episode_start = promise.closed_on
        # After a resume, the steps before the resume step are behind the account.
        self.lowest = tl.resume_index if self.resumed and tl.resume_index is not None else 0
        # The timeline's steps logged (in date order); those of the cycle; for account-level
        # steps of the cycle, the first day each was done, the last, and how often.
        name, cycle_start = tl.name, self.cycle_start
        history: list[Activity] = []
        in_cycle: list[Activity] = []
        first_done: dict[str, date] = {}
        last_done: dict[str, date] = {}
        times_done: dict[str, int] = {}
        for a in f.activities:
            step = a.step
            if not step or (a.timeline is not None and a.timeline != name):
                continue
            history.append(a)
            if a.date >= cycle_start:
                in_cycle.append(a)
                if a.invoice is None:
                    if step not in first_done:
                        first_done[step] = a.date
                    last_done[step] = a.date
                    times_done[step] = times_done.get(step, 0) + 1
        self.history, self.in_cycle = history, in_cycle
        self.first_done, self.times_done, self._last_done = first_done, times_done, last_done
        self.done_steps = first_done.keys()
        self._last_ever: dict[str | None, date] | None = None
        self._invoice_done: dict[str, list[Activity]] | None = None

    @property
    def first_invoice(self) -> InvoiceFacts:
        """The oldest open invoice (not snoozed, if a snooze moved the account's day)."""
        if self._first_invoice is None:
            self._first_invoice = self.f.invoices[0]
        return self._first_invoice

    def snooze(self) -> None:
        """Apply the snoozes active today (see the module's docstring).

        An account-wide snooze pauses the whole timeline. Invoice snoozes keep per-invoice steps
        off those invoices; account-level steps pause when they cover every overdue invoice
        (every open one, if none is overdue); otherwise the account's day counts from its oldest
        open invoice that is not snoozed.

        *snooze_end* is the first day this may change if nothing else does (a snooze ends or
        begins, an invoice falls overdue): the forecast looks past it (`after_snooze`).
        """
        f, as_of = self.f, self.as_of
        ends = [s.since for s in f.account.snoozes if s.since is not None and s.since > as_of]
        if not f.snoozes and not ends:  # every snooze is over: as if there were none
            return
        whole = [s for s in f.snoozes if not s.invoices]
        if whole:
            self.snooze_pause = tuple(s.describe() for s in whole)
            self.whole_snooze = True
            self.snooze_end = max(s.until for s in whole)
            return
        for s in f.snoozes:
            for number in s.invoices:
                self.invoice_snooze.setdefault(number, s.describe())

        def free_on(number: str) -> date:  # the day an invoice's last snooze ends
            return max(s.until for s in f.snoozes if number in s.invoices)

        carrying = [i for i in f.invoices if i.overdue] or list(f.invoices)
        if f.snoozes and not carrying[0].overdue:  # the first to fall overdue then carries
            ends += _day_after(max(min(i.due for i in f.invoices), as_of))
        if f.snoozes and all(i.snoozed for i in carrying):
            numbers = {i.number for i in carrying}
            covering = [s for s in f.snoozes if numbers.intersection(s.invoices)]
            self.snooze_pause = tuple(s.describe() for s in covering)
            ends += [free_on(i.number) for i in carrying]
            # ... and so does an invoice not snoozed falling overdue.
            for i in f.invoices:
                if not i.snoozed and not i.overdue:
                    ends += _day_after(i.due)
            what = "overdue" if carrying[0].overdue else "open"
            self.notes.append(f"every {what} invoice is snoozed: account-level steps wait")
        else:
            first = next(i for i in f.invoices if not i.snoozed)
            if first is not f.invoices[0]:
                older = [i.number for i in f.invoices if i.snoozed and i.due <= first.due]
                ends += [free_on(number) for number in older]
                self._first_invoice = first
                self.oldest_due = first.due
                self.day = (as_of - first.due).days
                self.anchor_note = (
                    f"{', '.join(older)} snoozed: the account's day counts from {first.number} "
                    f"(due {first.due})"
                )
                self.notes.append(self.anchor_note)
        self.snooze_end = min(ends, default=None)

    # -- the whole decision ------------------------------------------------------------------

    def position(self) -> Position:
        tl = self.tl
        done = tuple(s.name for s in tl.steps if s.name in self.done_steps)
        paused = self.values.paused_by
        restarted = self.values.restarted_by
        if restarted and self.day > 0:
            self.notes.append(f"episode over: restart when {restarted[0]}")
            return self.make(done, paused)
        chosen = self.resume_step()
        stage: tuple[int, CheckedStep] | None = None
        if chosen is None:
            stage, chosen = self.in_sequence() if self.sequence else self.stage()
        if chosen is not None:
            stage = (chosen.index, chosen.step)
        if not self.sequence and stage is not None:
            stage, chosen = self.required(stage, chosen)
        if stage is None and self.lowest:  # resumed, and nothing after the resume step is due yet
            stage = (self.lowest, tl.steps[self.lowest])
        if chosen is not None and self.anchor_note is not None:
            chosen = attrs.evolve(chosen, reason=f"{chosen.reason}; {self.anchor_note}")
        planned: list[StepDue] = []
        if not paused and not self.whole_snooze:
            if not self.snooze_pause:
                planned = [due for due in (chosen,) if due is not None and self.may_take(due)]
            planned += self.per_invoice()
            planned = self.one_contact(planned)
        next_step, next_date = self.forecast_of(stage, chosen, planned, paused)
        if self.snooze_end is not None and self.forecast:
            next_step, next_date = self.after_snooze(next_step, next_date, planned)
        skipped: tuple[str, ...] = ()
        if stage is not None and not self.sequence:
            skipped = self.skipped(stage[0], chosen)
        return self.make(
            done,
            paused,
            stage=stage[1].name if stage else None,
            steps_skipped=skipped,
            next_step=next_step,
            next_date=next_date,
            planned=tuple(planned),
        )

    def make(
        self,
        done: tuple[str, ...],
        paused: tuple[str, ...],
        *,
        stage: str | None = None,
        steps_skipped: tuple[str, ...] = (),
        next_step: str | None = None,
        next_date: date | None = None,
        planned: tuple[StepDue, ...] = (),
    ) -> Position:
        """Return the position decided, with the notes taken on the way."""
        return Position(
            self.tl,
            self.episode_start,
            cycle_start=self.cycle_start,
            day=self.day,
            stage=stage,
            steps_done=done,
            steps_skipped=steps_skipped,
            paused_by=paused + self.snooze_pause,
            next_step=next_step,
            next_date=next_date,
            planned=planned,
            notes=tuple(self.notes),
            postponed=tuple(self.postponed),
        )

    # -- when a step's date comes ------------------------------------------------------------

    def date_of(self, step: CheckedStep, invoice: InvoiceFacts | None = None) -> date | None:
        """Return the day *step* falls due (for *invoice*, if per invoice); None: no date yet.

        A step timed ``after STEP`` has a date once STEP was done: the first day it was done in
        the episode (or, per invoice, for that invoice).
        """
        due = invoice.due if invoice is not None else self.oldest_due
        try:
            match step.anchor:
                case "due":
                    return due + timedelta(days=step.day)
                case "due_eom":
                    return end_of_month(due + timedelta(days=step.day))  # type: ignore[no-any-return]
                case "issue":
                    issued = invoice.issued if invoice is not None else self.first_invoice.issued
                    return issued + timedelta(days=step.day)
                case "step":
                    first = (
                        self.first_done.get(step.after or "")
                        if invoice is None
                        else self.invoice_done(invoice).get(step.after or "")
                    )
                    return None if first is None else first + timedelta(days=step.day)
                case _:  # pragma: no cover - mypy proves every anchor is handled
                    assert_never(step.anchor)
        except OverflowError:
            return None

    def has_come(self, step: CheckedStep, invoice: InvoiceFacts | None = None) -> bool:
        """Whether the date of *step* has come (for *invoice*, if per invoice)."""
        if step.anchor == "due" and invoice is None:  # the common case, without a date
            return step.day <= self.day
        when = self.date_of(step, invoice)
        return when is not None and when <= self.as_of

    # -- which step ----------------------------------------------------------------------------

    def resume_step(self) -> StepDue | None:
        """After a broken promise, the resume step, unless already done or its conditions fail."""
        tl, promise = self.tl, self.f.promise
        if not self.resumed or promise is None or tl.resume_index is None:
            return None
        idx = tl.resume_index
        step = tl.steps[idx]
        if step.name in self.done_steps or not self.ok[idx]:
            return None
        reason = (
            f"promise of {promise.amount} due {promise.due} was "
            f"{promise.status.value.replace('_', ' ')} (paid {promise.paid}): "
            f"resume at {step.name}"
        )
        return StepDue(idx, step, reason)

    def stage(self) -> tuple[tuple[int, CheckedStep] | None, StepDue | None]:
        """Return the most advanced account-level step due, and whether to take it today."""
        steps = self.tl.steps
        for i in range(len(steps) - 1, self.lowest - 1, -1):
            step = steps[i]
            if step.per_invoice or not self.has_come(step):
                continue
            if not self.ok[i]:
                self.notes.append(f"{step.name}: not taken ({self.values.holds(i, step)[1]})")
                continue
            last = self.last_done(step)
            if last is None:
                reason = f"step {step.name} ({self.say(step)}) is the most advanced step due"
                return (i, step), StepDue(i, step, reason)
            return (i, step), self.repeat(i, step, last)
        return None, None

    def in_sequence(self) -> tuple[tuple[int, CheckedStep] | None, StepDue | None]:
        """In a sequential timeline: the first step not done, once its date has come."""
        steps = self.tl.steps
        last_done: int | None = None
        for i in range(self.lowest, len(steps)):
            step = steps[i]
            if step.per_invoice:
                continue
            if not self.ok[i]:
                self.notes.append(f"{step.name}: passed over ({self.values.holds(i, step)[1]})")
                continue
            if step.name in self.done_steps:
                last_done = i
                continue
            waiting = [
                s.name
                for j, s in enumerate(steps[i + 1 :], i + 1)
                if not s.per_invoice
                and s.name not in self.done_steps
                and s.from_due
                and self.has_come(s)
                and self.ok[j]
            ]
            if waiting:
                self.notes.append(
                    f"in sequence: {', '.join(waiting)} "
                    f"{'waits' if len(waiting) == 1 else 'wait'} for {step.name} "
                    "(no step is skipped)"
                )
            if self.has_come(step):
                after = (
                    f", after {steps[last_done].name} (done on {self.last_done(steps[last_done])})"
                    if last_done is not None
                    else ""
                )
                reason = f"step {step.name} ({self.say(step)}) is next in sequence{after}"
                return (i, step), StepDue(i, step, reason)
            when = self.date_of(step)
            self.notes.append(
                f"{step.name}: next in sequence, "
                + (f"from {when}" if when is not None else f"once {step.after} is done")
            )
            break
        if last_done is None:
            return None, None
        step = steps[last_done]
        last = self.last_done(step)
        assert last is not None  # noqa: S101 - the step is done
        return (last_done, step), self.repeat(last_done, step, last)

    def repeat(self, i: int, step: CheckedStep, last: date) -> StepDue | None:
        """Return the repeat of the done *step* if its ``every`` has come again, else None."""
        return _repeat(i, step, last, self.as_of, self.day, self.times_done, self.notes)

    def required(
        self, stage: tuple[int, CheckedStep], chosen: StepDue | None
    ) -> tuple[tuple[int, CheckedStep] | None, StepDue | None]:
        """Put first a ``required`` step before the stage that was not done in the episode."""
        found = self.first_required(stage[0]) if self.tl.has_required else None
        if found is None:
            return stage, chosen
        i, step = found
        later = stage[1].name
        if not self.has_come(step):
            self.notes.append(f"{later}: waits for required step {step.name} ({self.say(step)})")
            return stage, None
        reason = (
            f"step {step.name} ({self.say(step)}) is required before {later}: "
            "not done in this episode"
        )
        return (i, step), StepDue(i, step, reason)

    def first_required(
        self, before: int, *, planned: str | None = None
    ) -> tuple[int, CheckedStep] | None:
        """Return the first pending ``required`` step before step *before*, if any.

        Pending: account-level, its conditions hold, not done in the episode nor *planned* today.
        """
        if not self.tl.has_required:
            return None
        steps = self.tl.steps
        for i in range(self.lowest, before):
            step = steps[i]
            if (
                step.required
                and not step.per_invoice
                and step.name not in self.done_steps
                and step.name != planned
                and self.ok[i]
            ):
                return i, step
        return None

    def say(self, step: CheckedStep) -> str:
        """Say when *step* falls due, as written: ``10 days past due``, ``14 days after x``."""
        return say_day(step.day) if step.anchor == "due" else step.timing_words()

    def last_done(self, step: CheckedStep) -> date | None:
        """Return the last day the account-level *step* was done in this cycle."""
        return self._last_done.get(step.name)

    def skipped(self, stage_index: int, chosen: StepDue | None) -> tuple[str, ...]:
        """Due steps before the stage that were never done (after a resume: from the resume)."""
        chosen_name = chosen.step.name if chosen else None
        return tuple(
            s.name
            for i, s in enumerate(self.tl.steps[:stage_index])
            if i >= self.lowest
            and not s.per_invoice
            and self.has_come(s)
            and s.name not in self.done_steps
            and self.ok[i]
            and s.name != chosen_name
        )

    def forecast_of(
        self,
        stage: tuple[int, CheckedStep] | None,
        chosen: StepDue | None,
        planned: list[StepDue],
        paused: tuple[str, ...],
    ) -> tuple[str | None, date | None]:
        """Return what comes next if nothing changes, once today's steps are decided.

        While a ``pause while`` condition holds, nothing is forecast: what comes depends on when
        the pause ends. The stage's step held back today (``min gap``, ``at most every``) comes
        on the day it may go; in a catch-up timeline, unless a later step comes first (or on the
        same day: the most advanced step due is taken).
        """
        if paused:
            self.notes.append(f"next: once the pause ends ({'; '.join(paused)})")
            return None, None
        taken = chosen is not None and any(d is chosen for d in planned)
        next_step, next_date = self.next_step(stage, chosen if taken else None)
        if chosen is not None and not taken and chosen.invoice is None:
            held = self.held_back(planned)
            if (
                held is not None
                and held[0] == chosen.step.name
                and held[1] is not None
                and (self.sequence or next_date is None or held[1] < next_date)
            ):
                return held  # in sequence, nothing passes the step held back
        return next_step, next_date

    def next_step(
        self, stage: tuple[int, CheckedStep] | None, chosen: StepDue | None
    ) -> tuple[str | None, date | None]:
        """Return what comes next if nothing changes, and on which day.

        A step whose date has come but that waits (behind the resume step, a required step or
        its predecessor in sequence) comes on the next business day; otherwise the step whose
        date comes first after today.
        """
        start = stage[0] + 1 if stage is not None else self.lowest
        planned = chosen.step.name if chosen is not None else None
        floor = self.contact_floor(chosen)

        def at(step: CheckedStep, when: date | None) -> date | None:
            if when is not None and floor is not None and step.action.is_contact:
                return max(when, floor)
            return when

        account_level = [(i, s) for i, s in self.tl.account_steps if i >= start]
        found: tuple[str | None, date | None] = (None, None)
        if self.sequence:
            for i, s in account_level:
                if s.name in self.done_steps:
                    continue
                if not self.ok[i]:  # passed over: judged on today's facts
                    continue
                if s.anchor == "step" and s.after == planned and planned is not None:
                    found = (s.name, at(s, self.roll(self.as_of, s.day)))
                elif self.has_come(s):
                    found = (s.name, at(s, self.roll(self.as_of, 1)))
                else:
                    raw = self.date_of(s)
                    found = (s.name, at(s, self.roll(raw, 0) if raw is not None else None))
                break
        else:
            # Behind what is planned today (a resume, a required step), a step whose date has
            # come: tomorrow the most advanced of them is the stage, taken unless done.
            come = [(i, s) for i, s in account_level if self.has_come(s)]
            come = [(i, s) for i, s in come if self.ok[i]]
            best: tuple[date, int] | None = None

            def consider(i: int, s: CheckedStep, when: date | None) -> None:
                # The first day something comes; on a tie the most advanced step wins. Beyond
                # the calendar's end: named, without a date.
                nonlocal best, found
                when = at(s, when)
                key = (when, -i) if when is not None else (date.max, i)
                if best is None or key < best:
                    best, found = key, (s.name, when)

            if come:
                top, step = come[-1]
                if step.name not in self.done_steps:
                    consider(top, step, self.roll(self.as_of, 1))
                account_level = [(i, s) for i, s in account_level if i > top]
            for i, s in account_level:
                if s.name in self.done_steps or self.has_come(s):
                    continue
                if not self.ok[i]:  # its conditions, judged on today's facts
                    continue
                if s.anchor == "step" and s.after == planned and planned is not None:
                    consider(i, s, self.roll(self.as_of, s.day))
                    continue
                raw = self.date_of(s)
                if raw is None and s.anchor == "step":  # no date until its predecessor is done
                    continue
                consider(i, s, self.roll(raw, 0) if raw is not None else None)
            if best is not None and found[1] is not None:
                found = self.required_first(-best[1], found[1], planned, at)
        if stage is not None:  # the stage may repeat before the next step comes
            step = stage[1]
            today = chosen is not None and chosen.step is step and chosen.invoice is None
            last = self.as_of if today else self.last_done(step) if chosen is None else None
            count = self.times_done.get(step.name, 0) + today
            if (
                last is not None
                and step.every is not None
                and (step.max_times is None or count < step.max_times)
            ):
                nxt = last + timedelta(days=step.every)
                when = at(step, self.roll(nxt, 0))
                sooner = found[0] is None or found[1] is None or (when and when < found[1])
                if sooner and (step.until is None or (nxt - self.oldest_due).days <= step.until):
                    return step.name, when
        return found

    def required_first(
        self,
        index: int,
        when: date,
        planned: str | None,
        at: Callable[[CheckedStep, date | None], date | None],
    ) -> tuple[str | None, date | None]:
        """Return the step that comes on *when*: step *index*, or a required one before it."""
        found = self.first_required(index, planned=planned)
        if found is None:
            return self.tl.steps[index].name, when
        s = found[1]
        raw = self.date_of(s)
        own = at(s, self.roll(raw, 0)) if raw is not None else None
        return s.name, None if own is None else max(own, when)

    def after_snooze(
        self, next_step: str | None, next_date: date | None, planned: list[StepDue]
    ) -> tuple[str | None, date | None]:
        """Return the forecast under a snooze that changes what the account-level steps do.

        The timeline is decided again on the days something may change (the forecast's day, a
        step held back may go, the snooze ends or begins, an invoice falls overdue), as if
        nothing changed but the planned steps being done: the first account-level step planned,
        on its day; after `_JUMPS` such days, the last day's own forecast. (A snooze of some
        invoices may move the account's day back when it ends, past steps already done.)
        """
        assert self.snooze_end is not None  # noqa: S101 - only called under a snooze
        resume = self.roll(self.snooze_end, 0)
        if resume is None:
            return next_step, None
        held = self.held_back(planned)
        soon = () if self.snooze_pause else (next_date, held[1] if held else None)
        day = min(d for d in (resume, *soon) if d is not None)
        if day <= self.as_of:  # pragma: no cover - every forecast is after today
            return next_step, next_date
        account = self.logged(self.f.account, planned, self.as_of)
        found: tuple[str | None, date | None] = (next_step, next_date)
        for _ in range(_JUMPS):
            try:
                later = facts(account, day)
            except ArithmeticError:  # pragma: no cover - dates beyond the calendar
                return found
            if later.oldest_due is None:
                return None, None
            decision = _Decision(self.tl, later, day, self.calendar, forecast=False)
            then = decision.position()
            taken = [d for d in then.planned if d.invoice is None]
            if taken:
                return taken[0].step.name, day
            found = (then.next_step, then.next_date)
            held = decision.held_back(list(then.planned))
            end = decision.snooze_end and self.roll(decision.snooze_end, 0)
            soon = () if decision.snooze_pause else (then.next_date, held[1] if held else None)
            changes = [d for d in (end, *soon) if d is not None and d > day]
            if not changes:
                return found
            account = self.logged(account, list(then.planned), day)
            day = min(changes)
        return found

    def logged(self, account: Account, planned: list[StepDue], day: date) -> Account:
        """Return *account* with the *planned* steps logged as done on *day*."""
        if not planned:
            return account
        done = tuple(
            Activity(
                day,
                d.step.action.logged_channel,
                step=d.step.name,
                timeline=self.tl.name,
                invoice=d.invoice,
            )
            for d in planned
        )
        return attrs.evolve(account, activities=(*account.activities, *done))

    def held_back(self, planned: list[StepDue]) -> tuple[str, date | None] | None:
        """Return the account-level step held back today (none planned), and when it may go."""
        if not self.postponed or any(d.invoice is None for d in planned):
            return None
        name, when = self.postponed[0]
        return name, self.roll(when, 0)

    def contact_floor(self, chosen: StepDue | None) -> date | None:
        """Under ``min gap``: the first day the next contact may be made, if any."""
        gap = self.tl.timeline.min_gap
        if gap is None:
            return None
        last = self.f.last_contact.date if self.f.last_contact is not None else None
        if chosen is not None and chosen.step.action.is_contact:
            last = self.as_of
        return None if last is None else self.roll(last, gap)

    def roll(self, start: date, days: int) -> date | None:
        """Return the business day *days* after *start*; None beyond the calendar's end."""
        try:
            return self.calendar.roll_forward(start + timedelta(days=days))
        except OverflowError:
            return None

    def invoice_done(self, inv: InvoiceFacts) -> dict[str, date]:
        """Per-invoice steps done for *inv* in its cycle: the first day each was done."""
        if self._invoice_done is None:  # one pass over the log for all the invoices
            by_invoice: dict[str, list[Activity]] = {}
            for a in self.history:
                if a.invoice is not None and a.step is not None:
                    by_invoice.setdefault(a.invoice, []).append(a)
            self._invoice_done = by_invoice
        start = inv.due - timedelta(days=self.tl.before_due)
        first: dict[str, date] = {}
        for a in self._invoice_done.get(inv.number, ()):
            if a.date >= start and a.step is not None:
                first.setdefault(a.step, a.date)
        return first

    def per_invoice(self) -> list[StepDue]:
        """Per open invoice, the step due for it (the mode's rule), unless done for it."""
        if not self.tl.has_per_invoice:
            return []
        steps = [(i, s) for i, s in enumerate(self.tl.steps) if s.per_invoice and self.ok[i]]
        if not steps:
            return []
        out = []
        tl, values = self.tl, self.values
        for inv in self.f.invoices:
            done = self.invoice_done(inv)
            mine = steps
            if tl.reads_invoice:  # conditions that read the invoice, decided for this one
                here = tl.invoice_conditions(self.f, inv, values)
                mine = [(i, s) for i, s in steps if here.ok[i]]
            picked = self.invoice_step(inv, mine, done)
            if picked is None:
                continue
            idx, step, why = picked
            if inv.snoozed:
                self.notes.append(
                    f"{step.name} for invoice {inv.number}: waits, "
                    f"{self.invoice_snooze.get(inv.number, 'snoozed')}"
                )
                continue
            inv_day = (self.as_of - inv.due).days
            reason = f"step {step.name} ({self.say(step)}) for invoice {inv.number}, " + (
                why or say_day(inv_day)
            )
            candidate = StepDue(idx, step, reason, inv.number)
            if self.may_take(candidate):
                out.append(candidate)
        return out

    def invoice_step(
        self,
        inv: InvoiceFacts,
        steps: list[tuple[int, CheckedStep]],
        done: dict[str, date],
    ) -> tuple[int, CheckedStep, str] | None:
        """Return the per-invoice step to take for *inv* today, with a reason suffix, or None."""
        if self.sequence:
            for idx, step in steps:
                if step.name in done:
                    continue
                if not self.has_come(step, inv):
                    return None
                return idx, step, f"next in sequence, {say_day((self.as_of - inv.due).days)}"
            return None
        due = [(i, s) for i, s in steps if self.has_come(s, inv)]
        if not due:
            return None
        idx, step = due[-1]  # the last due is the most advanced
        for i, s in due[:-1]:
            if s.required and s.name not in done:
                return i, s, f"required before {step.name}: not done for it in this episode"
        if step.name in done:
            return None
        return idx, step, ""

    # -- what keeps a due step from being taken today ---------------------------------------

    def may_take(self, due: StepDue) -> bool:
        """Apply ``at most every`` and ``min gap`` to a due step, noting why it waits."""
        return _may_take(due, self.tl, self.f, self.as_of, self.calendar, self.last_ever, self)

    def last_ever(self, step_name: str) -> date | None:
        """Return the last day *step_name* was done, in any episode (``at most every``)."""
        if self._last_ever is None:
            last: dict[str | None, date] = {}
            for a in self.history:
                if a.step not in last or a.date > last[a.step]:
                    last[a.step] = a.date
            self._last_ever = last
        return self._last_ever.get(step_name)

    def one_contact(self, planned: list[StepDue]) -> list[StepDue]:
        """Under ``min gap``, keep today's most advanced contact; postpone the others."""
        gap = self.tl.timeline.min_gap
        contacts = [d for d in planned if d.step.action.is_contact]
        if gap is None or len(contacts) <= 1:
            return planned
        later = self.calendar.roll_forward(self.as_of + timedelta(days=gap))
        contacts.sort(key=lambda d: (-d.index, d.invoice or ""))
        kept, postponed = contacts[0], contacts[1:]
        for d in postponed:
            what = d.step.name + (f" for {d.invoice}" if d.invoice else "")
            self.notes.append(
                f"{what}: postponed to {later}: min gap {gap} days between "
                f"contacts ({kept.step.name} is planned today)"
            )
        waiting = {id(d) for d in postponed}
        return [d for d in planned if id(d) not in waiting]


def _repeat(  # noqa: PLR0917 - the decision's own values
    i: int,
    step: CheckedStep,
    last: date,
    as_of: date,
    day: int,
    times_done: dict[str, int],
    notes: list[str],
) -> StepDue | None:
    """Return the repeat of the done *step* if its ``every`` has come again, else None."""
    every = step.every
    if (
        every is not None
        and (step.until is None or day <= step.until)
        and (as_of - last).days >= every
    ):
        if step.max_times is not None and times_done.get(step.name, 0) >= step.max_times:
            notes.append(
                f"{step.name}: done {times_done.get(step.name, 0)} times (at most {step.max_times})"
            )
            return None
        until = f" until {say_day(step.until)}" if step.until is not None else ""
        reason = f"step {step.name} repeats every {every} days{until}"
        return StepDue(i, step, f"{reason}; last done {last}")
    notes.append(f"{step.name}: done on {last}")
    return None


class _Noted(Protocol):
    """Where a decision takes its notes, and the steps it holds back."""

    notes: list[str]
    postponed: list[tuple[str, date]]


def _may_take(  # noqa: PLR0917 - the decision's own values
    due: StepDue,
    tl: CompiledTimeline,
    f: AccountFacts,
    as_of: date,
    calendar: BusinessCalendar,
    last_ever: Callable[[str], date | None],
    out: _Noted,
) -> bool:
    """Apply ``at most every`` and ``min gap`` to a due step, noting in *out* why it waits."""
    step = due.step
    if step.min_interval is not None:
        last = last_ever(step.name)
        if last is not None and (as_of - last).days < step.min_interval:
            out.notes.append(
                f"{step.name}: at most every {step.min_interval} days; last on {last}, "
                f"next from {last + timedelta(days=step.min_interval)}"
            )
            if due.invoice is None:
                out.postponed.append((step.name, last + timedelta(days=step.min_interval)))
            return False
    gap, last_contact = tl.timeline.min_gap, f.last_contact
    if (
        gap is not None
        and last_contact is not None
        and step.action.is_contact
        and (as_of - last_contact.date).days < gap
    ):
        resume = calendar.roll_forward(last_contact.date + timedelta(days=gap))
        out.notes.append(
            f"{step.name}: postponed to {resume}: min gap {gap} days between "
            f"contacts (last contact {last_contact.date}, {last_contact.channel.value})"
        )
        if due.invoice is None:
            out.postponed.append((step.name, resume))
        return False
    return True
