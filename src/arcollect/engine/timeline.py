"""The timeline decides: where an account stands in its escalation, and which steps are due.

`decide` takes one account's facts and the compiled timeline it follows and returns a frozen
`Position`; it chooses nothing about channels, contacts or order (that is `actions` and
`priority`). The rules, for an account in a delinquency **episode** (the unbroken stretch of
overdue money it is in, see `AccountFacts.delinquent_since`):

- the account's **day** is ``as_of`` minus the due date of its oldest open invoice: negative
  before that date, the days past due after it;
- a step is *due* when its day has come and its ``when``/``unless`` conditions hold; the most
  advanced due step is the account's **stage**. It is planned unless it was done in the episode
  (an activity naming the step); a repeating step is planned again every N days until its
  ``until`` day; earlier due steps never done are *skipped* (no burst of stale letters);
- ``pause while`` stops escalation (the position says which condition paused it); while a
  ``restart when`` condition holds the episode is over and nothing past due escalates;
- a broken promise, in a timeline with ``on promise.broken resume at STEP``, begins a new episode
  on the day it broke, and STEP is planned first; the steps before it are behind the account;
- per-invoice steps are decided for each open invoice on its own days past due;
- ``at most every`` keeps a step from recurring sooner, across episodes; ``min gap`` postpones a
  contact too close to the last one, and lets one contact out a day (the most advanced).

Steps are counted as done from the *cycle start*: the episode's first day, or the due date it is
about, moved back by the longest before-due step (so a courtesy step sent before the due date
counts for the episode that follows).
"""

from __future__ import annotations

from datetime import date, timedelta

import attrs

from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import say_day
from arcollect.facts import AccountFacts, PromiseStatus
from arcollect.lang.ir import CheckedStep
from arcollect.lang.program import CompiledTimeline, TimelineConditions

__all__ = ["Position", "StepDue", "decide", "undecided"]

_ONE_DAY = timedelta(days=1)
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


def undecided(timeline: CompiledTimeline | None, f: AccountFacts) -> Position:
    """Return the position of an account without a timeline, or without open invoices."""
    if timeline is None:
        return Position(None, f.delinquent_since, notes=("no timeline applies to this account",))
    return Position(timeline, f.delinquent_since, notes=("no open invoices",))


def decide(
    tl: CompiledTimeline, f: AccountFacts, as_of: date, calendar: BusinessCalendar
) -> Position:
    """Decide the position of the account with facts *f* in timeline *tl* on *as_of*."""
    return _Decision(tl, f, as_of, calendar).position()


class _Decision:
    """The working state of one `decide` call (a function split into readable steps)."""

    def __init__(
        self, tl: CompiledTimeline, f: AccountFacts, as_of: date, calendar: BusinessCalendar
    ) -> None:
        assert f.oldest_due is not None  # noqa: S101 - see `undecided` for accounts without
        self.tl, self.f, self.as_of, self.calendar = tl, f, as_of, calendar
        self.oldest_due: date = f.oldest_due
        self.day = (as_of - f.oldest_due).days
        self.values: TimelineConditions = tl.conditions(f)
        self.notes: list[str] = []
        anchor = (f.delinquent_since - _ONE_DAY) if f.delinquent_since else f.oldest_due
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
        name = tl.name
        self.history = [a for a in f.activities if a.step and a.timeline in (None, name)]
        self.in_cycle = [a for a in self.history if a.date >= self.cycle_start]
        self.done_steps = {a.step for a in self.in_cycle if a.invoice is None}
        self._last_ever: dict[str | None, date] | None = None

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
            stage, chosen = self.stage()
        if chosen is not None:
            stage = (chosen.index, chosen.step)
        if stage is None and self.lowest:  # resumed, and nothing after the resume step is due yet
            stage = (self.lowest, tl.steps[self.lowest])
        next_step, next_date = self.next_step(stage, repeat_pending=chosen is None)
        planned: list[StepDue] = []
        if not paused:
            planned = [due for due in (chosen,) if due is not None and self.may_take(due)]
            planned += self.per_invoice()
            planned = self.one_contact(planned)
        return self.make(
            done,
            paused,
            stage=stage[1].name if stage else None,
            steps_skipped=self.skipped(stage[0], chosen) if stage else (),
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
            paused_by=paused,
            next_step=next_step,
            next_date=next_date,
            planned=planned,
            notes=tuple(self.notes),
        )

    # -- which step ----------------------------------------------------------------------------

    def resume_step(self) -> StepDue | None:
        """After a broken promise, the resume step, unless already done or its conditions fail."""
        tl, promise = self.tl, self.f.promise
        if not self.resumed or promise is None or tl.resume_index is None:
            return None
        idx = tl.resume_index
        step = tl.steps[idx]
        if step.name in self.done_steps or not self.values.holds(idx, step)[0]:
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
            if step.per_invoice or step.day > self.day:
                continue
            ok, why = self.values.holds(i, step)
            if not ok:
                self.notes.append(f"{step.name}: not taken ({why})")
                continue
            last = self.last_done(step)
            if last is None:
                reason = f"step {step.name} ({say_day(step.day)}) is the most advanced step due"
                return (i, step), StepDue(i, step, reason)
            every = step.every
            if every is not None and self.repeating(step) and (self.as_of - last).days >= every:
                until = f" until {say_day(step.until)}" if step.until is not None else ""
                reason = f"step {step.name} repeats every {every} days{until}"
                return (i, step), StepDue(i, step, f"{reason}; last done {last}")
            self.notes.append(f"{step.name}: done on {last}")
            return (i, step), None
        return None, None

    def last_done(self, step: CheckedStep) -> date | None:
        """Return the last day the account-level *step* was done in this cycle."""
        dates = [a.date for a in self.in_cycle if a.step == step.name and a.invoice is None]
        return max(dates, default=None)

    def repeating(self, step: CheckedStep) -> bool:
        return step.every is not None and (step.until is None or self.day <= step.until)

    def skipped(self, stage_index: int, chosen: StepDue | None) -> tuple[str, ...]:
        """Due steps before the stage that were never done (after a resume: from the resume)."""
        chosen_name = chosen.step.name if chosen else None
        return tuple(
            s.name
            for i, s in enumerate(self.tl.steps[:stage_index])
            if i >= self.lowest
            and not s.per_invoice
            and s.day <= self.day
            and s.name not in self.done_steps
            and self.values.holds(i, s)[0]
            and s.name != chosen_name
        )

    def next_step(
        self, stage: tuple[int, CheckedStep] | None, *, repeat_pending: bool
    ) -> tuple[str | None, date | None]:
        """Return what comes next if nothing changes: the first step after today and stage."""
        steps, due = self.tl.steps, self.oldest_due
        after = max(self.day, stage[1].day) if stage is not None else self.day
        upcoming = [s for s in steps if s.day > after and not s.per_invoice]
        found: tuple[str | None, date | None] = (None, None)
        if upcoming:
            found = upcoming[0].name, self.roll(due, upcoming[0].day)
        if stage is not None and repeat_pending:  # the stage is done: a repeat may come sooner
            step = stage[1]
            last = self.last_done(step)
            if last is not None and step.every is not None and self.repeating(step):
                nxt = last + timedelta(days=step.every)
                if step.until is None or (nxt - due).days <= step.until:
                    found = step.name, self.calendar.roll_forward(nxt)
        return found

    def roll(self, start: date, days: int) -> date | None:
        """Return the business day *days* after *start*; None beyond the calendar's end."""
        try:
            return self.calendar.roll_forward(start + timedelta(days=days))
        except OverflowError:
            return None

    def per_invoice(self) -> list[StepDue]:
        """Per open invoice, the most advanced per-invoice step due, unless done for it."""
        steps = [
            (i, s)
            for i, s in enumerate(self.tl.steps)
            if s.per_invoice and self.values.holds(i, s)[0]
        ]
        if not steps:
            return []
        done: dict[tuple[str | None, str], date] = {}
        for a in self.history:
            if a.invoice is not None:
                key = (a.step, a.invoice)
                if key not in done or a.date > done[key]:
                    done[key] = a.date
        out = []
        for inv in self.f.invoices:
            inv_day = (self.as_of - inv.due).days
            due = [(i, s) for i, s in steps if s.day <= inv_day]
            if not due:
                continue
            idx, step = due[-1]  # steps are in day order: the last due is the most advanced
            start = inv.due - timedelta(days=self.tl.before_due)
            last = done.get((step.name, inv.number))
            if last is not None and last >= start:
                continue
            reason = (
                f"step {step.name} ({say_day(step.day)}) for invoice {inv.number}, "
                f"{say_day(inv_day)}"
            )
            candidate = StepDue(idx, step, reason, inv.number)
            if self.may_take(candidate):
                out.append(candidate)
        return out

    # -- what keeps a due step from being taken today ---------------------------------------

    def may_take(self, due: StepDue) -> bool:
        """Apply ``at most every`` and ``min gap`` to a due step, noting why it waits."""
        step, as_of = due.step, self.as_of
        if step.min_interval is not None:
            last = self.last_ever(step.name)
            if last is not None and (as_of - last).days < step.min_interval:
                self.notes.append(
                    f"{step.name}: at most every {step.min_interval} days; last on {last}, "
                    f"next from {last + timedelta(days=step.min_interval)}"
                )
                return False
        gap, last_contact = self.tl.timeline.min_gap, self.f.last_contact
        too_soon = (
            gap is not None
            and step.action.is_contact
            and last_contact is not None
            and (as_of - last_contact.date).days < gap
        )
        if too_soon and gap is not None and last_contact is not None:
            resume = self.calendar.roll_forward(last_contact.date + timedelta(days=gap))
            self.notes.append(
                f"{step.name}: postponed to {resume}: min gap {gap} days between "
                f"contacts (last contact {last_contact.date}, {last_contact.channel.value})"
            )
            return False
        return True

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
