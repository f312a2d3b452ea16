"""Timeline model v2: sequential timelines, more anchors, required steps, counted repeats, events.

Scenarios follow the documented behaviour of peer systems, named in each test's docstring.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from arcollect.domain.account import Account
from arcollect.domain.records import Activity
from arcollect.engine.model import Plan
from arcollect.errors import PolicyError
from arcollect.lang.formatter import format_policy
from arcollect.lang.yaml_writer import to_yaml
from arcollect.policy import Policy, parse_policy
from arcollect.testing import account, activity, invoice, payment, promise
from strategies import accounts, shuffled

SEQUENCE = """policy "Sequential dunning"
timeline dunning for all, in sequence
  step reminder 3 days past due  email "friendly_reminder"
  step second   14 days after reminder letter "second_notice"
  step demand   30 days past due letter "final_demand"
  step hold     60 days past due hold shipments
"""

CATCH_UP = SEQUENCE.replace(", in sequence", "")


def _policy(text: str) -> Policy:
    return parse_policy(text, name="t.arc")


def _steps(plan: Plan) -> list[str]:
    return [a.step for a in plan.actions]


def _log(acct: Account, plan: Plan, day: date) -> Account:
    """Return *acct* with every action of *plan* due on *day* logged as done that day."""
    done = [
        Activity(day, a.logged_channel, step=a.step, timeline=a.timeline, invoice=a.invoice)
        for a in plan.actions
        if a.account == acct.id and a.due == day
    ]
    return attrs.evolve(acct, activities=(*acct.activities, *done))


def _replay(
    policy: Policy, acct: Account, start: date, days: int
) -> tuple[Account, list[tuple[date, str]]]:
    """Plan *acct* each day from *start*, logging what is planned; return the log."""
    taken: list[tuple[date, str]] = []
    for k in range(days):
        day = start + timedelta(days=k)
        plan = policy.plan([acct], as_of=day)
        taken += [(day, a.step) for a in plan.actions if a.due == day]
        acct = _log(acct, plan, day)
    return acct, taken


def assert_forecasts_come_true(policy: Policy, acct: Account, start: date, days: int) -> None:
    """Replay *acct* day by day from *start*, logging what is planned; each time a step is
    taken, it must be the step announced (`next_step`) on the day announced (`next_date`).
    """
    announced: tuple[date, str | None, date | None] | None = None
    for k in range(days):
        day = start + timedelta(days=k)
        plan = policy.plan([acct], as_of=day)
        taken = [a.step for a in plan.actions if a.due == day]
        if announced is not None and announced[1] is not None:
            when, step, on = announced
            if taken:
                assert (step, on) == (taken[0], day), f"announced on {when}"
            else:  # an announced step must come on its day
                assert on != day, f"{step} announced on {when} for {on} did not come"
        # No claim yet: ask again, unless today's actions wait for the next business day (the
        # forecast is of what comes after them).
        unclaimed = announced is None or announced[1] is None
        if taken or (unclaimed and not plan.actions):
            state = plan.state(acct.id)
            announced = (day, state.next_step, state.next_date)
        acct = _log(acct, plan, day)


class TestSequence:
    def test_a_late_account_starts_at_the_first_step(self) -> None:
        """Entering 60 days late, a sequential timeline plans the reminder, not the hold.

        OCA credit_control (``credit.control.policy.level.get_level_lines``): a level other than
        the first only takes move lines whose last credit line is at the previous level.
        """
        acct = account(invoice("1000 EUR", due="2026-09-01"))
        plan = _policy(SEQUENCE).plan([acct], as_of=date(2026, 10, 31))
        assert _steps(plan) == ["reminder"]
        (act,) = plan.actions
        assert act.explanation[0] == "step reminder (3 days past due) is next in sequence"
        st_ = plan.state(acct.id)
        assert st_.steps_skipped == ()
        assert "in sequence: demand, hold wait for reminder (no step is skipped)" in st_.notes
        # The catch-up mode goes straight to the most advanced step and skips the rest.
        catch_up = _policy(CATCH_UP).plan([acct], as_of=date(2026, 10, 31))
        assert _steps(catch_up) == ["hold"]
        assert catch_up.state(acct.id).steps_skipped == ("reminder", "demand")

    def test_a_step_timed_after_its_predecessor_moves_with_it(self) -> None:
        """`14 days after reminder` counts from the day the reminder was done, not from due.

        OCA credit_control's "Previous Reminder" computation mode: ``cr_line.date + delay``.
        """
        late = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-20", "email", step="reminder"),
        )
        policy = _policy(SEQUENCE)
        assert _steps(policy.plan([late], as_of=date(2026, 10, 3))) == []
        state = policy.plan([late], as_of=date(2026, 10, 3)).state(late.id)
        assert "second: next in sequence, from 2026-10-04" in state.notes
        assert (state.next_step, state.next_date) == ("second", date(2026, 10, 4))
        plan = policy.plan([late], as_of=date(2026, 10, 4))
        assert _steps(plan) == ["second"]
        assert plan.actions[0].explanation[0] == (
            "step second (14 days after reminder) is next in sequence, "
            "after reminder (done on 2026-09-20)"
        )

    def test_the_forecast_names_the_step_timed_after_todays(self) -> None:
        """When the reminder is planned today, the next step is 14 days after today."""
        acct = account(invoice("1000 EUR", due="2026-09-01"))
        state = _policy(SEQUENCE).plan([acct], as_of=date(2026, 10, 31)).state(acct.id)
        assert (state.next_step, state.next_date) == ("second", date(2026, 11, 14))

    def test_a_step_whose_condition_fails_is_passed_over(self) -> None:
        """A step whose `when` does not hold is not waited for: the next one is planned."""
        text = SEQUENCE.replace(
            'letter "second_notice"', 'letter "second_notice" when overdue >= 5,000 EUR'
        )
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-04", "email", step="reminder"),
        )
        plan = _policy(text).plan([acct], as_of=date(2026, 10, 1))
        assert _steps(plan) == ["demand"]
        assert (
            "second: passed over (when overdue >= 5,000 EUR is false)" in plan.state(acct.id).notes
        )

    def test_the_last_step_done_repeats_while_the_next_waits(self) -> None:
        """A repeating step repeats until the next step of the sequence is due."""
        text = SEQUENCE.replace(
            'email "friendly_reminder"', 'email "friendly_reminder" every 5 days'
        )
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-04", "email", step="reminder"),
        )
        plan = _policy(text).plan([acct], as_of=date(2026, 9, 9))
        assert _steps(plan) == ["reminder"]
        assert plan.actions[0].explanation[0] == (
            "step reminder repeats every 5 days; last done 2026-09-04"
        )

    def test_a_replay_takes_every_step_once_in_order(self) -> None:
        """Day by day from the due date, each step is taken once, in the timeline's order."""
        acct = account(invoice("1000 EUR", due="2026-09-01"))
        _, taken = _replay(_policy(SEQUENCE), acct, date(2026, 9, 1), 90)
        assert taken == [
            (date(2026, 9, 4), "reminder"),
            (date(2026, 9, 18), "second"),
            (date(2026, 10, 1), "demand"),
            (date(2026, 10, 31), "hold"),
        ]

    def test_per_invoice_steps_follow_each_invoice_in_sequence(self) -> None:
        """Per invoice, a sequential timeline takes each invoice's levels in order.

        OCA credit_control runs its levels per move line (one credit line per invoice and level).
        """
        text = """policy "p"
timeline t for all, in sequence
  step first  5 days past due per invoice email "friendly_reminder"
  step second 10 days after first per invoice letter "second_notice"
"""
        acct = account(
            invoice("100 EUR", due="2026-09-01", number="A"),
            invoice("100 EUR", due="2026-09-20", number="B"),
            activity("2026-09-06", "email", step="first", invoice="A"),
        )
        plan = _policy(text).plan([acct], as_of=date(2026, 9, 26))
        assert sorted((a.step, a.invoice) for a in plan.actions) == [
            ("first", "B"),
            ("second", "A"),
        ]


class TestRequired:
    POLICY = """policy "p"
timeline t for all
  step reminder 1 day past due email "friendly_reminder"
  step demand 45 days past due letter "final_demand" required
  step hold 60 days past due hold shipments
  step agency 90 days past due refer agency
"""

    def test_a_required_step_is_planned_before_a_later_one(self) -> None:
        """No hold without the final demand: the demand is planned instead, and says why.

        ERPNext dunning and the German practice of a "letzte Mahnung" before a referral: a
        written demand must precede the escalation.
        """
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-02", "email", step="reminder"),
        )
        plan = _policy(self.POLICY).plan([acct], as_of=date(2026, 11, 10))
        assert _steps(plan) == ["demand"]
        assert plan.actions[0].explanation[0] == (
            "step demand (45 days past due) is required before hold: not done in this episode"
        )
        state = plan.state(acct.id)
        assert state.step_reached == "demand"
        assert (state.next_step, state.next_date) == ("hold", date(2026, 11, 11))

    def test_once_done_the_escalation_goes_on(self) -> None:
        """With the demand done, the most advanced step due is planned again."""
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-02", "email", step="reminder"),
            activity("2026-11-10", "letter", step="demand"),
        )
        plan = _policy(self.POLICY).plan([acct], as_of=date(2026, 12, 5))
        assert _steps(plan) == ["agency"]
        assert plan.state(acct.id).steps_skipped == ("hold",)

    def test_without_required_the_catch_up_skips_it(self) -> None:
        """The default catch-up mode is unchanged: the most advanced step wins."""
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            activity("2026-09-02", "email", step="reminder"),
        )
        plan = _policy(self.POLICY.replace(" required", "")).plan([acct], as_of=date(2026, 11, 10))
        assert _steps(plan) == ["hold"]


class TestAnchors:
    def test_end_of_month(self) -> None:
        """`30 days past due, end of month` fires on the last day of the month due + 30 is in.

        OCA credit_control's "Due Date, End Of Month" mode:
        ``date_trunc('MONTH', date_maturity + delay) + INTERVAL '1 MONTH - 1 day'``.
        """
        text = (
            'policy "p"\ntimeline t for all\n  step s 30 days past due, end of month letter "x"\n'
        )
        acct = account(invoice("100 EUR", due="2026-10-10"))  # due + 30 = 2026-11-09
        policy = _policy(text)
        before = policy.plan([acct], as_of=date(2026, 11, 29))
        assert _steps(before) == []
        assert before.state(acct.id).next_date == date(2026, 11, 30)
        assert _steps(policy.plan([acct], as_of=date(2026, 11, 30))) == ["s"]

    def test_after_issue(self) -> None:
        """`40 days after issue` counts from the oldest open invoice's issue date."""
        text = 'policy "p"\ntimeline t for all\n  step s 40 days after issue email "x"\n'
        acct = account(invoice("100 EUR", due="2026-10-31", issued="2026-10-01"))
        policy = _policy(text)
        assert _steps(policy.plan([acct], as_of=date(2026, 11, 9))) == []
        plan = policy.plan([acct], as_of=date(2026, 11, 10))
        assert _steps(plan) == ["s"]
        assert plan.actions[0].explanation[0] == (
            "step s (40 days after issue) is the most advanced step due"
        )

    @pytest.mark.parametrize(
        ("condition", "as_of", "fires"),
        [
            ("weekday(today) == 1", date(2026, 11, 30), True),  # a Monday
            ("weekday(today) == 1", date(2026, 12, 1), False),
            ("day_of_month(today) == 15", date(2026, 11, 15), True),
            ("end_of_month(today) == today", date(2026, 2, 28), True),
            ("end_of_month(today) == today", date(2024, 2, 28), False),  # a leap year
            ("end_of_month(oldest_due) == 2026-01-31", date(2026, 2, 28), True),
        ],
    )
    def test_date_functions(self, condition: str, as_of: date, fires: bool) -> None:
        """`weekday` (ISO, Monday = 1), `day_of_month` and `end_of_month` in a condition."""
        text = f'policy "p"\ntimeline t for all\n  step s on due email "x" when {condition}\n'
        acct = account(invoice("100 EUR", due="2026-01-01" if as_of.year == 2026 else "2024-01-01"))
        assert bool(_steps(_policy(text).plan([acct], as_of=as_of))) is fires


class TestCountedRepeats:
    def test_at_most_n_times(self) -> None:
        """`every 7 days at most 3 times`: a replay sends exactly three follow-ups.

        Lago dunning campaigns: "max attempts" bounds how often the campaign's e-mail is sent.
        """
        text = (
            'policy "p"\ntimeline t for all\n'
            '  step follow 5 days past due email "follow_up" every 7 days, at most 3 times\n'
        )
        acct = account(invoice("100 EUR", due="2026-09-01"))
        final, taken = _replay(_policy(text), acct, date(2026, 9, 1), 60)
        assert taken == [
            (date(2026, 9, 6), "follow"),
            (date(2026, 9, 13), "follow"),
            (date(2026, 9, 20), "follow"),
        ]
        state = _policy(text).plan([final], as_of=date(2026, 10, 30)).state(acct.id)
        assert "follow: done 3 times (at most 3)" in state.notes
        assert state.next_step is None

    def test_times_in_a_condition(self) -> None:
        """`times(reminder)` counts the reminders done in the episode."""
        text = (
            'policy "p"\ntimeline t for all\n'
            '  step reminder 1 day past due email "r" every 7 days\n'
            "  step call 20 days past due call when times(reminder) >= 3\n"
        )
        twice = account(
            invoice("100 EUR", due="2026-09-01"),
            activity("2026-09-02", "email", step="reminder"),
            activity("2026-09-09", "email", step="reminder"),
        )
        policy = _policy(text)
        plan = policy.plan([twice], as_of=date(2026, 9, 21))
        assert "call: not taken (when times(reminder) >= 3 is false)" in plan.state(twice.id).notes
        thrice = attrs.evolve(
            twice, activities=(*twice.activities, activity("2026-09-16", "email", step="reminder"))
        )
        assert _steps(policy.plan([thrice], as_of=date(2026, 9, 21))) == ["call"]
        # and on 2026-09-21 twice-reminded accounts get their third reminder instead
        assert _steps(plan) == ["reminder"]
        # A reminder of an earlier episode does not count.
        earlier = attrs.evolve(
            twice, activities=(*twice.activities, activity("2026-01-05", "email", step="reminder"))
        )
        assert _steps(policy.plan([earlier], as_of=date(2026, 9, 21))) == ["reminder"]


class TestReleaseHold:
    POLICY = """policy "p"
timeline t for all
  on paid release hold
  step reminder 1 day past due email "r"
  step hold 30 days past due hold shipments
"""

    def test_paid_after_a_hold_releases_it_once(self) -> None:
        """Once nothing is overdue after a hold, `release_hold` is planned, and only once.

        Kill Bill overdue: when the account's balance clears, the overdue state returns to clear
        and the blocking (e.g. of shipments) is lifted.
        """
        acct = account(
            invoice("100 EUR", due="2026-09-01", number="A"),
            activity("2026-09-02", "email", step="reminder"),
            activity("2026-10-01", "hold_shipments", step="hold"),
            payment("100 EUR", on="2026-10-10", to=["A"]),
        )
        policy = _policy(self.POLICY)
        plan = policy.plan([acct], as_of=date(2026, 10, 11))
        assert [(a.step, a.action) for a in plan.actions] == [("release_hold", "release_hold")]
        assert plan.actions[0].explanation[0] == (
            "nothing is overdue any more: release the hold done on 2026-10-01 (on paid)"
        )
        released = _log(acct, plan, date(2026, 10, 11))
        assert _steps(policy.plan([released], as_of=date(2026, 10, 12))) == []

    def test_no_hold_no_release(self) -> None:
        """Paid without a hold done: nothing to release."""
        acct = account(
            invoice("100 EUR", due="2026-09-01", number="A"),
            payment("100 EUR", on="2026-09-10", to=["A"]),
        )
        assert _steps(_policy(self.POLICY).plan([acct], as_of=date(2026, 10, 11))) == []

    def test_still_overdue_no_release(self) -> None:
        """A hold stays while money is overdue."""
        acct = account(
            invoice("100 EUR", due="2026-09-01"),
            activity("2026-10-01", "hold_shipments", step="hold"),
        )
        assert "release_hold" not in _steps(
            _policy(self.POLICY).plan([acct], as_of=date(2026, 10, 11))
        )


class TestByOldestInvoice:
    POLICY = """policy "p"
timeline t for all, by oldest invoice
  step reminder 3 days past due email "r"
  step demand 30 days past due letter "final_demand"
"""

    def test_the_next_oldest_invoice_starts_its_own_escalation(self) -> None:
        """Paid the oldest invoice, the next oldest's own dates and history decide the stage.

        Odoo 17 follow-up: the follow-up level is kept per receivable line, so the overdue
        invoices that remain carry their own level.
        """
        acct = account(
            invoice("100 EUR", due="2026-09-01", number="A"),
            invoice("100 EUR", due="2026-09-20", number="B"),
            activity("2026-09-04", "email", step="reminder"),
            payment("100 EUR", on="2026-09-25", to=["A"]),
        )
        plan = _policy(self.POLICY).plan([acct], as_of=date(2026, 9, 26))
        assert _steps(plan) == ["reminder"]
        # By default the episode (overdue since 2026-09-02, unbroken) has had its reminder.
        default = _policy(self.POLICY.replace(", by oldest invoice", ""))
        assert _steps(default.plan([acct], as_of=date(2026, 9, 26))) == []


class TestChecks:
    @pytest.mark.parametrize(
        ("body", "message"),
        [
            (
                '  step b 14 days after a letter "x"\n  step a 1 day past due email "y"\n',
                (
                    "t.arc:3:24: error: step `b` is timed after `a`, which comes later in the "
                    "timeline: a step can only follow an earlier one"
                ),
            ),
            (
                '  step a 1 day past due email "y"\n  step b 14 days after z letter "x"\n',
                (
                    "t.arc:4:24: error: step `b` is timed after `z`, which is not a step of "
                    "timeline `t`"
                ),
            ),
            (
                '  step a 1 day past due email "y"\n  step b 14 days after b letter "x"\n',
                "t.arc:4:24: error: step `b` cannot be timed after itself",
            ),
            (
                '  step a 1 day past due email "y" when times(zz) > 1\n',
                "t.arc:3:46: error: `times(zz)`: no timeline has a step `zz`",
            ),
            (
                (
                    '  step a 1 day past due per invoice email "y"\n'
                    '  step b 14 days after a letter "x"\n'
                ),
                (
                    "t.arc:4:24: error: account-level step `b` cannot be timed after `a`: an "
                    "account-level step follows an account-level step"
                ),
            ),
        ],
    )
    def test_errors(self, body: str, message: str) -> None:
        """Timings and `times` that name no usable step are located errors."""
        with pytest.raises(PolicyError) as err:
            _policy(f'policy "p"\ntimeline t for all\n{body}')
        assert str(err.value).splitlines()[0] == message

    @pytest.mark.parametrize(
        ("text", "warning"),
        [
            (
                (
                    'policy "p"\ntimeline a for all\n  step s on due email "x"\n'
                    'timeline b for all\n  step s on due email "x"\n'
                ),
                (
                    "timeline `b` is for all accounts, like `a` before it: it never applies "
                    "(accounts take the first timeline for all)"
                ),
            ),
            (
                (
                    'policy "p"\ntimeline a for all\n  step s 5 days past due email "x"\n'
                    '  step u 5 days past due letter "y"\n'
                ),
                (
                    "steps `s` and `u` fire on the same day (5 days past due): only the later one, "
                    "`u`, is planned (the most advanced step due wins)"
                ),
            ),
            (
                'policy "p"\ntimeline a for all\n  step s on due email "x", at most 2 times\n',
                (
                    "step `s` says `at most 2 times` but does not repeat (no `every`): it fires "
                    "once an episode anyway"
                ),
            ),
            (
                'policy "p"\ntimeline a for all, in sequence\n  step s on due email "x" required\n',
                (
                    "step `s`: every step of a sequential timeline is required; `required` adds "
                    "nothing here"
                ),
            ),
            (
                (
                    'policy "p"\ntimeline a for all\n  on paid release hold\n'
                    '  step s on due email "x"\n'
                ),
                "timeline `a` has no `hold shipments` step: `on paid release hold` never fires",
            ),
        ],
    )
    def test_warnings(self, text: str, warning: str) -> None:
        """What can never apply, or does less than it says, is warned about."""
        policy = _policy(text)
        assert [w.message for w in policy.warnings] == [warning]

    def test_unknown_release_event(self) -> None:
        """`on EVENT release hold` knows one event, `paid`."""
        with pytest.raises(PolicyError) as err:
            _policy(
                'policy "p"\ntimeline t for all\n  on payed release hold\n'
                "  step h 30 days past due hold shipments\n"
            )
        assert str(err.value).splitlines()[0] == (
            "t.arc:3:6: error: unknown event `payed` for `release hold`"
        )


FULL = """policy "Everything v2"
timeline t for all, in sequence, by oldest invoice
  on paid release hold
  step reminder 3 days past due email "friendly_reminder"
  step second 14 days after reminder letter "second_notice", every 7 days, at most 2 times
  step demand 30 days past due, end of month letter "final_demand"
  step late 90 days after issue call when weekday(today) <= 5 and times(second) >= 1
  step hold 60 days past due hold shipments required
"""


class TestRoundTrips:
    def test_format_round_trip(self) -> None:
        """Every new construct formats back to text that parses to the same policy."""
        policy = _policy(FULL.replace(" required", ""))
        text = format_policy(policy.tree)
        assert _policy(text).tree == policy.tree
        assert "timeline t for all, in sequence, by oldest invoice" in text
        assert "at most 2 times" in text

    def test_yaml_twin_plans_the_same(self) -> None:
        """The YAML spelling of the new constructs gives identical plans."""
        policy = _policy(FULL.replace(" required", ""))
        twin = parse_policy(to_yaml(policy.tree), name="t.yaml")
        assert twin.tree == policy.tree
        acct = account(
            invoice("1000 EUR", due="2026-09-01", issued="2026-08-01"),
            activity("2026-09-04", "email", step="reminder"),
        )
        for day in (date(2026, 9, 18), date(2026, 10, 31), date(2026, 11, 30)):
            assert (
                twin.plan([acct], as_of=day).to_json() == policy.plan([acct], as_of=day).to_json()
            )


_SEQ_STEPS = ("reminder", "second", "demand", "hold")


@settings(max_examples=40, deadline=None)
@given(
    due_offset=st.integers(min_value=-10, max_value=120),
    gap=st.integers(min_value=1, max_value=20),
)
def test_a_sequential_replay_never_skips_nor_repeats(due_offset: int, gap: int) -> None:
    """Replayed day by day, a sequential timeline takes its steps in order, each at most once.

    Whenever it enters (due before or long before the replay starts) and however its steps are
    spaced, no step is taken before every earlier one, and none twice in the episode.
    """
    text = SEQUENCE.replace("14 days after reminder", f"{gap} days after reminder")
    start = date(2026, 6, 1)
    acct = account(invoice("1000 EUR", due=start - timedelta(days=due_offset)))
    _, taken = _replay(_policy(text), acct, start, 100)
    names = [name for _, name in taken]
    assert names == list(_SEQ_STEPS[: len(names)])
    days = [d for d, _ in taken]
    assert days == sorted(set(days))  # one step a day at most, in order
    assert names, "an overdue account gets at least its reminder in 100 days"


FORECAST = """policy "Forecast"
calendar weekdays
timeline t for all{mode}
  pause while promise.active
  min gap {gap} days between contacts
  step courtesy 3 days before due email "pre_due_notice"
  step reminder 1 day past due email "friendly_reminder" every 9 days, at most 2 times
  step call {call} days past due call{required}
  step demand 45 days past due letter "final_demand"
  step hold 60 days past due hold shipments
  step agency 90 days past due refer agency when overdue >= 5,000 EUR
"""


@settings(max_examples=40, deadline=None)
@given(
    due_offset=st.integers(min_value=-10, max_value=100),
    gap=st.integers(min_value=1, max_value=6),
    call=st.integers(min_value=2, max_value=44),
    required=st.booleans(),
    sequence=st.booleans(),
    promise_in=st.none() | st.integers(min_value=0, max_value=30),
)
# Found by CI: the call (43 days, required) and the demand (45) fall on one Monday; the demand
# is the most advanced, but the required call is planned instead.
@example(due_offset=3, gap=1, call=43, required=True, sequence=False, promise_in=None)
# Found by the full hand-written baseline: the agency step, whose condition fails, was
# announced; a paused account was announced its next step; a step held back by min gap
# was announced as if taken.
@example(due_offset=80, gap=3, call=10, required=False, sequence=False, promise_in=None)
@example(due_offset=5, gap=3, call=10, required=False, sequence=False, promise_in=10)
@example(due_offset=-2, gap=6, call=10, required=False, sequence=False, promise_in=None)
def test_the_forecast_is_what_the_next_days_bring(
    *,
    due_offset: int,
    gap: int,
    call: int,
    required: bool,
    sequence: bool,
    promise_in: int | None,
) -> None:
    """If nothing changes but the actions planned being done, the next step announced is the
    next timeline step planned, on the day announced, and comes on that day.

    While a promise pauses the account nothing is announced; a step whose condition fails is
    never announced.
    """
    text = FORECAST.format(
        mode=", in sequence" if sequence else "",
        gap=gap,
        call=call,
        required=" required" if required and not sequence else "",
    )
    policy = _policy(text)
    start = date(2026, 6, 1)
    promises = (
        []
        if promise_in is None
        else [promise("1000 EUR", due=start + timedelta(days=promise_in), made=start)]
    )
    acct = account(invoice("1000 EUR", due=start - timedelta(days=due_offset)), *promises)
    assert_forecasts_come_true(policy, acct, start, 120)


class TestChannelFor:
    TEXT = """policy "p"
timeline t for all
  step s 1 day past due letter "final_demand"
channel for email, letter
  call  when overdue > 10 EUR
  email otherwise
"""

    def test_the_rules_reroute_the_actions_named(self) -> None:
        """`channel for email, letter` lets the rules turn a letter step into a call."""
        acct = account(invoice("100 EUR", due="2026-01-01"))
        plan = _policy(self.TEXT).plan([acct], as_of=date(2026, 1, 5))
        assert [(a.step, a.channel) for a in plan.actions] == [("s", "call")]

    def test_by_default_only_email_and_sms_are_rerouted(self) -> None:
        """Without `for`, a letter step keeps its channel, and the checker says the rules
        never apply in a policy with no e-mail or sms step.
        """
        policy = _policy(self.TEXT.replace(" for email, letter", ""))
        acct = account(invoice("100 EUR", due="2026-01-01"))
        plan = policy.plan([acct], as_of=date(2026, 1, 5))
        assert [(a.step, a.channel) for a in plan.actions] == [("s", "letter")]
        assert [w.message for w in policy.warnings] == [
            "the channel rules re-route email, sms steps, and no step is one: they never apply"
        ]

    def test_round_trips(self) -> None:
        """`channel for` formats, and its YAML spelling (`- for: ...`) reads back the same."""
        policy = _policy(self.TEXT)
        assert "channel for email, letter\n" in format_policy(policy.tree)
        yaml_text = to_yaml(policy.tree)
        assert "- for: email, letter\n" in yaml_text
        assert parse_policy(yaml_text, name="t.yaml").tree == policy.tree


_V2_STEPS = ("reminder", "second", "demand", "late", "hold", "release_hold")


@st.composite
def _v2_accounts(draw: st.DrawFn) -> Account:
    """An account of the shared strategy, with a log of the FULL policy's steps done."""
    acct = draw(accounts(max_invoices=4, currency="EUR"))
    log = draw(
        st.lists(
            st.builds(
                Activity,
                date=st.dates(date(2026, 6, 1), date(2026, 11, 30)),
                channel=st.sampled_from(["email", "letter", "call", "hold_shipments"]),
                step=st.sampled_from(_V2_STEPS),
            ),
            max_size=6,
        )
    )
    return attrs.evolve(acct, activities=(*acct.activities, *log))


@settings(max_examples=40, deadline=None)
@given(
    st.lists(_v2_accounts(), min_size=1, max_size=5, unique_by=lambda a: a.id),
    st.randoms(use_true_random=False),
)
def test_v2_plans_do_not_depend_on_the_order_of_anything(
    portfolio: list[Account], rnd: random.Random
) -> None:
    """Under every v2 construct at once, shuffled accounts and records plan byte-identically."""
    policy = _policy(FULL.replace(" required", ""))
    mixed = [shuffled(a, rnd) for a in portfolio]
    rnd.shuffle(mixed)
    as_of = date(2026, 11, 30)
    assert (
        policy.plan(mixed, as_of=as_of).to_json() == policy.plan(portfolio, as_of=as_of).to_json()
    )
