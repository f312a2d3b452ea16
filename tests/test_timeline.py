"""Tests of arcollect.engine.timeline: the Position a timeline decides for an account."""

from __future__ import annotations

from datetime import date

from arcollect import parse_policy
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.timeline import Position, StepDue, decide, undecided
from arcollect.facts import facts
from arcollect.testing import account, activity, contact, invoice, payment, promise

AS_OF = date(2026, 11, 23)  # a Monday

POLICY = parse_policy(
    """
policy "Timeline" version 1
  currency EUR
timeline standard for all
  pause while promise.active
  on promise.broken resume at demand
  step reminder   1 day past due    email "friendly_reminder"
  step first_call 10 days past due  call
  step demand     45 days past due  letter "final_demand"
  step agency     90 days past due  refer agency
""",
    name="timeline.arc",
)
TIMELINE = POLICY.compiled.timelines[0]
CALENDAR = BusinessCalendar("all")


def position(*records: object, as_of: date = AS_OF) -> Position:
    acct = account(contact("Jane", "decision_maker"), *records)  # type: ignore[arg-type]
    return decide(TIMELINE, facts(acct, as_of), as_of, CALENDAR)


class TestStage:
    def test_the_most_advanced_due_step_is_planned_and_earlier_ones_skipped(self) -> None:
        """An account 53 days past due is at the demand stage, the two steps before skipped."""
        pos = position(invoice("500 EUR", due="2026-10-01"))
        assert (pos.day, pos.stage, pos.steps_skipped) == (53, "demand", ("reminder", "first_call"))
        assert pos.planned == (
            StepDue(
                2, TIMELINE.steps[2], "step demand (45 days past due) is the most advanced step due"
            ),
        )
        assert (pos.next_step, pos.next_date) == ("agency", date(2026, 12, 30))

    def test_a_done_stage_is_not_planned_again(self) -> None:
        """A step logged in the episode is done: nothing is planned, a note says when."""
        pos = position(
            invoice("500 EUR", due="2026-10-01"), activity("2026-11-16", "letter", "demand")
        )
        assert pos.planned == ()
        assert pos.steps_done == ("demand",)
        assert pos.notes == ("demand: done on 2026-11-16",)

    def test_a_pause_keeps_the_stage_but_plans_nothing(self) -> None:
        """An active promise pauses escalation: the position says what paused it."""
        pos = position(
            invoice("500 EUR", due="2026-10-01"),
            promise("500 EUR", due="2026-11-30", made="2026-11-20"),
        )
        assert (pos.stage, pos.paused_by, pos.planned) == ("demand", ("promise.active",), ())

    def test_an_account_without_open_invoices_is_undecided(self) -> None:
        """An account that paid everything has no day, no stage, and says why."""
        acct = account(
            invoice("500 EUR", due="2026-10-01"), payment("500 EUR", on="2026-10-05", to=["INV-1"])
        )
        pos = undecided(TIMELINE, facts(acct, AS_OF))
        assert (pos.day, pos.stage, pos.notes) == (None, None, ("no open invoices",))


class TestResume:
    def test_resume_at_a_step_that_cannot_fire_does_not_crash(self) -> None:
        """A broken promise resumes at a step whose condition fails: it stands there, waiting.

        Regression: the next-step computation asked for the last date the resume step was done,
        of no dates at all (``max() arg is an empty sequence``).
        """
        policy = parse_policy(
            """
policy "Resume" version 1
  currency EUR
timeline standard for all
  on promise.broken resume at demand
  step reminder 1 day past due email "r"
  step demand 45 days past due letter "d" when overdue > 1,000,000 EUR
""",
            name="resume.arc",
        )
        acct = account(
            invoice("500 EUR", due="2026-10-01"),
            promise("500 EUR", due="2026-11-10", made="2026-11-01"),
        )
        tl = policy.compiled.timelines[0]
        pos = decide(tl, facts(acct, AS_OF), AS_OF, CALENDAR)
        assert (pos.episode_start, pos.stage, pos.planned) == (date(2026, 11, 11), "demand", ())
        assert (pos.next_step, pos.steps_skipped) == (None, ())
        assert pos.notes == ("demand: not taken (when overdue > 1,000,000 EUR is false)",)

    def test_resume_plans_the_resume_step(self) -> None:
        """A broken promise at 53 days past due plans the resume step, the reason saying so."""
        pos = position(
            invoice("500 EUR", due="2026-10-01"),
            promise("500 EUR", due="2026-11-10", made="2026-11-01"),
        )
        assert [d.step.name for d in pos.planned] == ["demand"]
        assert pos.planned[0].reason == (
            "promise of 500.00 EUR due 2026-11-10 was broken (paid 0.00 EUR): resume at demand"
        )


class TestMinGap:
    def test_one_contact_a_day_under_min_gap(self) -> None:
        """With a min gap, of two contacts due today only the most advanced is planned."""
        policy = parse_policy(
            """
policy "Gap" version 1
  currency EUR
timeline standard for all
  min gap 3 days between contacts
  step reminder 1 day past due email "r" per invoice
  step first_call 10 days past due call
""",
            name="gap.arc",
        )
        tl = policy.compiled.timelines[0]
        acct = account(invoice("100 EUR", due="2026-11-20"), invoice("100 EUR", due="2026-11-01"))
        pos = decide(tl, facts(acct, AS_OF), AS_OF, CALENDAR)
        assert [(d.step.name, d.invoice) for d in pos.planned] == [("first_call", None)]
        assert pos.notes == tuple(
            f"reminder for {inv}: postponed to 2026-11-26: min gap 3 days between contacts "
            "(first_call is planned today)"
            for inv in ("INV-1", "INV-2")
        )


class TestCalendarEnd:
    def test_next_date_beyond_the_calendar_is_absent(self) -> None:
        """A next step whose day would pass 9999-12-31 has no date, and nothing crashes."""
        as_of = date(9999, 12, 1)
        pos = position(invoice("500 EUR", due="9999-11-25"), as_of=as_of)
        assert (pos.stage, pos.next_step, pos.next_date) == (
            "reminder",
            "first_call",
            date(9999, 12, 5),
        )
        late = position(invoice("500 EUR", due="9999-11-25"), as_of=date(9999, 12, 30))
        assert (late.stage, late.next_step, late.next_date) == ("first_call", "demand", None)


FORECAST = parse_policy(
    """
policy "Forecast" version 1
  currency EUR
timeline standard for all
  pause while promise.active
  min gap 3 days between contacts
  step reminder   1 day past due    email "friendly_reminder"
  step first_call 10 days past due  call
  step hold       60 days past due  hold shipments
  step attorney  120 days past due  refer attorney when overdue >= 25,000 EUR
""",
    name="forecast.arc",
)


def forecast(*records: object, as_of: date = AS_OF) -> Position:
    acct = account(contact("Jane", "decision_maker"), *records)  # type: ignore[arg-type]
    return decide(FORECAST.compiled.timelines[0], facts(acct, as_of), as_of, CALENDAR)


class TestForecast:
    """What comes next if nothing changes (found by the full hand-written baseline)."""

    def test_a_step_whose_condition_fails_is_not_announced(self) -> None:
        """118 days late on 126.42 EUR, the attorney (from 25,000 EUR) is not what comes next."""
        pos = forecast(
            invoice("126.42 EUR", due="2026-07-28"),
            activity("2026-11-01", "email", step="reminder"),
            activity("2026-11-05", "call", step="first_call"),
        )
        assert (pos.stage, pos.next_step, pos.next_date) == ("hold", None, None)

    def test_a_paused_account_is_announced_nothing(self) -> None:
        """While a promise pauses the timeline, what comes depends on when the pause ends."""
        pos = forecast(
            invoice("610.03 EUR", due="2026-11-14"),
            activity("2026-11-18", "email", step="reminder"),
            promise("610.03 EUR", due="2026-11-30", made="2026-11-20"),
        )
        assert (pos.paused_by, pos.next_step, pos.next_date) == (("promise.active",), None, None)
        assert "next: once the pause ends (promise.active)" in pos.notes

    def test_a_step_held_back_by_min_gap_comes_when_it_may(self) -> None:
        """A reminder postponed by min gap to the 26th is next, not the call of the 30th."""
        pos = forecast(
            invoice("329.33 EUR", due="2026-11-20"),
            activity("2026-11-23", "email", outcome="no_answer"),
        )
        assert pos.planned == ()
        assert (pos.next_step, pos.next_date) == ("reminder", date(2026, 11, 26))
