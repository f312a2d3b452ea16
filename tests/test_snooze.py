"""Snoozes: a collector pauses an account, or some of its invoices, until a date.

Peers: Upflow ("if the collection is paused until 1st of July, we guarantee that no actions will
be sent for that customer before the 30th of June included"; a pause is at the customer level,
or at the invoice level where collection is per invoice) and Chaser (a paused account resumes
"at the start of the selected day ... or the next such day").
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import arcollect
from arcollect.domain.account import Account
from arcollect.domain.records import Snooze
from arcollect.errors import DataError
from arcollect.facts import facts
from arcollect.policy import Policy, parse_policy
from arcollect.testing import account, activity, invoice, promise, snooze
from test_timeline_v2 import FORECAST, assert_forecasts_come_true

CATCH_UP = """policy "Snoozes"
calendar weekdays
timeline dunning for all
  step reminder 3 days past due  email "friendly_reminder"
  step nudge    5 days past due per invoice email "invoice_nudge"
  step demand   30 days past due letter "final_demand"
  step hold     60 days past due hold shipments
"""

SEQUENCE = CATCH_UP.replace("for all", "for all, in sequence")


def _policy(text: str = CATCH_UP) -> Policy:
    return parse_policy(text, name="t.arc")


def _steps(policy: Policy, acct: Account, on: date) -> list[tuple[str, str | None]]:
    return [(a.step, a.invoice) for a in policy.plan([acct], as_of=on).actions]


class TestSnoozeRecord:
    def test_describe_says_until_reason_and_who(self) -> None:
        """A snooze is said with its invoices, end, reason and who granted it."""
        assert Snooze(date(2026, 12, 15)).describe() == "snoozed until 2026-12-15"
        whole = Snooze(date(2026, 12, 15), "credit note coming", "Ann")
        assert whole.describe() == "snoozed until 2026-12-15: credit note coming (by Ann)"

    def test_active_from_since_up_to_the_day_before_until(self) -> None:
        """A snooze holds on the days since <= day < until, and from the start without since."""
        s = Snooze(date(2026, 12, 15), since=date(2026, 12, 1))
        assert [s.is_active(date(2026, 12, d)) for d in (1, 14, 15)] == [True, True, False]
        assert not s.is_active(date(2026, 11, 30))
        assert Snooze(date(2026, 12, 15)).is_active(date(1990, 1, 1))

    def test_since_must_come_before_until(self) -> None:
        """A snooze granted on or after its end is refused, at its until field."""
        with pytest.raises(DataError) as info:
            Snooze(date(2026, 12, 1), since=date(2026, 12, 1))
        assert str(info.value) == (
            "until: snoozed until 2026-12-01, not after it was granted (2026-12-01)"
        )

    def test_reading_reports_every_bad_field_with_its_path(self) -> None:
        """Bad dates, misspelt fields and unknown invoices are reported at their paths."""
        text = """currency: EUR
accounts:
  - id: C-1
    invoices:
      - {number: INV-1, issued: 2026-09-01, due: 2026-10-01, amount: 1000}
    snoozes:
      - {until: 2026-13-01, reason: x}
      - {until: 2026-12-01, invoices: [INV-2]}
      - {untill: 2026-12-01}
"""
        with pytest.raises(DataError) as info:
            arcollect.parse_portfolio(text)
        assert str(info.value).splitlines() == [
            "<string>: 4 problems",
            (
                "  accounts[0].snoozes[0].until: expected a date, got '2026-13-01': "
                "there is no such day"
            ),
            "  accounts[0].snoozes[2].untill: unknown field; did you mean 'until'?",
            "  accounts[0].snoozes[2].until: missing required field",
            "  accounts[0].snoozes[1].invoices[0]: unknown invoice 'INV-2'; did you mean 'INV-1'?",
        ]

    def test_an_account_refuses_a_snooze_of_an_unknown_invoice(self) -> None:
        """Built in Python, an account names the snooze's unknown invoice by its path."""
        with pytest.raises(DataError) as info:
            account(invoice("100 EUR", due="2026-10-01"), snooze("2026-12-01", "INV-7"))
        assert str(info.value) == (
            "snoozes[0].invoices[0]: unknown invoice 'INV-7'; did you mean 'INV-1'?"
        )

    def test_round_trip_through_the_data_format(self) -> None:
        """Snoozes are written out and read back unchanged."""
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            snooze("2026-12-01", "INV-1", reason="credit note", by="Ann", since="2026-11-01"),
        )
        text = arcollect.dump_portfolio([acct])
        assert "snoozes:" in text
        assert arcollect.parse_portfolio(text) == (acct,)


class TestAccountSnooze:
    def test_nothing_escalates_until_the_day_it_ends(self) -> None:
        """Snoozed until 2026-11-10, the demand due on 2026-10-31 waits, then goes out that day.

        Upflow: paused until a date, no action is sent before it; the action appears again on
        the date the collection was paused until.
        """
        policy = _policy()
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            snooze("2026-11-10", reason="awaiting credit note", by="Ann"),
        )
        plan = policy.plan([acct], as_of=date(2026, 11, 2))
        assert plan.actions == ()
        state = plan.state(acct.id)
        assert state.paused_by == ("snoozed until 2026-11-10: awaiting credit note (by Ann)",)
        assert (state.next_step, state.next_date) == ("demand", date(2026, 11, 10))
        assert "  paused by: snoozed until 2026-11-10: awaiting credit note (by Ann)" in (
            plan.explain(acct.id).splitlines()
        )
        assert state.to_record()["paused_by"] == [
            "snoozed until 2026-11-10: awaiting credit note (by Ann)"
        ]
        assert _steps(policy, acct, date(2026, 11, 9)) == []
        assert sorted(_steps(policy, acct, date(2026, 11, 10))) == [
            ("demand", None),
            ("nudge", "INV-1"),
        ]

    def test_a_snooze_ending_on_a_weekend_resumes_on_the_next_business_day(self) -> None:
        """Chaser resumes "on that date if it's one of your regular chase days, or the next"."""
        acct = account(invoice("1000 EUR", due="2026-10-01"), snooze("2026-11-07"))  # Saturday
        state = _policy().plan([acct], as_of=date(2026, 11, 2)).state(acct.id)
        assert (state.next_step, state.next_date) == ("demand", date(2026, 11, 9))

    def test_a_snooze_to_the_end_of_the_calendar(self) -> None:
        """Snoozed until 9999-12-31 (and an invoice due then): the forecast names that day."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            invoice("5 EUR", due="9999-12-31", issued="2026-01-01"),
            snooze("9999-12-31"),
        )
        state = _policy().plan([acct], as_of=date(2026, 11, 2)).state(acct.id)
        assert (state.next_step, state.next_date) == ("hold", date(9999, 12, 31))

    def test_a_snooze_not_yet_granted_changes_nothing(self) -> None:
        """Before its since day, a snooze does not hold: a history replays day by day."""
        policy = _policy()
        plain = account(invoice("1000 EUR", due="2026-10-01"))
        later = account(
            invoice("1000 EUR", due="2026-10-01"), snooze("2026-11-20", since="2026-11-05")
        )
        on = date(2026, 11, 2)
        assert policy.plan([later], as_of=on).to_json() == policy.plan([plain], as_of=on).to_json()
        assert _steps(policy, later, date(2026, 11, 5)) == []

    def test_per_invoice_steps_wait_too(self) -> None:
        """A snooze of the account holds its per-invoice steps as well."""
        acct = account(
            invoice("1000 EUR", due="2026-10-28"), snooze("2026-11-20", reason="holiday")
        )
        assert _steps(_policy(), acct, date(2026, 11, 2)) == []
        assert sorted(_steps(_policy(), acct, date(2026, 11, 20))) == [
            ("nudge", "INV-1"),
            ("reminder", None),
        ]

    def test_a_promise_follow_up_is_still_planned(self) -> None:
        """The follow-up of a promise is not a timeline step: a snooze does not hold it."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            promise("1000 EUR", due="2026-11-02", made="2026-10-20"),
            snooze("2026-11-20"),
        )
        steps = _steps(_policy(), acct, date(2026, 11, 2))
        assert steps == [("promise_follow_up", None)]

    def test_the_fact_snoozed_reads_in_conditions(self) -> None:
        """`snoozed` is true while a snooze of the account holds, and a segment can use it."""
        text = CATCH_UP.replace(
            "timeline dunning for all",
            "segment resting when snoozed\ntimeline rest for segment resting\n  step r 1 day past "
            'due review "look"\ntimeline dunning for all',
        )
        acct = account(invoice("1000 EUR", due="2026-10-01"), snooze("2026-11-20"))
        plan = _policy(text).plan([acct], as_of=date(2026, 11, 2))
        assert plan.state(acct.id).timeline == "rest"
        assert facts(acct, date(2026, 11, 2)).snoozed
        assert not facts(acct, date(2026, 11, 20)).snoozed


class TestInvoiceSnooze:
    def test_after_issue_counts_from_the_invoice_not_snoozed(self) -> None:
        """`40 days after issue` is timed by the issue date of the oldest invoice not snoozed."""
        text = CATCH_UP.replace(
            "  step demand   30 days past due",
            "  step late 40 days after issue call\n  step demand   30 days past due",
        )
        acct = account(
            invoice("1000 EUR", due="2026-09-01", issued="2026-08-01"),
            invoice("300 EUR", due="2026-10-25", issued="2026-09-25"),
            snooze("2026-12-20", "INV-1"),
        )
        policy = _policy(text)
        assert ("late", None) not in _steps(policy, acct, date(2026, 11, 3))
        assert ("late", None) in _steps(policy, acct, date(2026, 11, 4))

    def _acct(self, *snoozed: str) -> Account:
        return account(
            invoice("1000 EUR", due="2026-09-01"),
            invoice("300 EUR", due="2026-10-25"),
            snooze("2026-11-20", *snoozed, reason="credit note coming", by="Ann"),
        )

    def test_the_account_day_counts_from_the_oldest_invoice_not_snoozed(self) -> None:
        """INV-1 snoozed: the account is 8 days past due by INV-2, so it gets the reminder.

        Upflow pauses at the invoice level where collection is per invoice; the rest of the debt
        is chased at its own age, not by the invoice the collector agreed to wait for.
        """
        policy = _policy()
        plan = policy.plan([self._acct("INV-1")], as_of=date(2026, 11, 2))
        assert [(a.step, a.invoice) for a in plan.actions] == [
            ("reminder", None),
            ("nudge", "INV-2"),
        ]
        state = plan.state("C-1")
        assert state.day == 8
        assert state.step_reached == "reminder"
        assert state.paused_by == ()
        note = "INV-1 snoozed: the account's day counts from INV-2 (due 2026-10-25)"
        assert note in state.notes
        assert (
            "nudge for invoice INV-1: waits, INV-1 snoozed until 2026-11-20: credit note coming "
            "(by Ann)"
        ) in state.notes
        assert plan.actions[0].explanation[0] == (
            f"step reminder (3 days past due) is the most advanced step due; {note}"
        )

    def test_snoozing_every_overdue_invoice_pauses_the_account_level_steps(self) -> None:
        """Both overdue invoices snoozed: no account-level step, and the state says why."""
        plan = _policy().plan([self._acct("INV-1", "INV-2")], as_of=date(2026, 11, 2))
        assert plan.actions == ()
        state = plan.state("C-1")
        assert state.paused_by == (
            "INV-1, INV-2 snoozed until 2026-11-20: credit note coming (by Ann)",
        )
        assert "every overdue invoice is snoozed: account-level steps wait" in state.notes
        assert (state.next_step, state.next_date) == ("hold", date(2026, 11, 20))

    def test_an_invoice_not_yet_due_keeps_its_steps(self) -> None:
        """Every overdue invoice snoozed: per-invoice steps of the others still go out."""
        acct = account(
            invoice("1000 EUR", due="2026-09-01"),
            invoice("300 EUR", due="2026-11-10"),
            snooze("2026-12-20", "INV-1"),
        )
        text = CATCH_UP.replace(
            '  step nudge    5 days past due per invoice email "invoice_nudge"\n', ""
        ).replace(
            "step reminder", 'step nudge 3 days before due per invoice email "n"\n  step reminder'
        )
        plan = _policy(text).plan([acct], as_of=date(2026, 11, 9))
        assert [(a.step, a.invoice) for a in plan.actions] == [("nudge", "INV-2")]
        assert facts(acct, date(2026, 11, 9)).snoozed

    def test_in_sequence_the_day_also_counts_from_the_invoice_not_snoozed(self) -> None:
        """A sequential timeline starts at its first step, timed by the invoice not snoozed."""
        policy = _policy(SEQUENCE)
        acct = self._acct("INV-1")
        assert _steps(policy, acct, date(2026, 10, 27)) == []
        assert _steps(policy, acct, date(2026, 10, 28)) == [("reminder", None)]

    def test_the_invoice_field_snoozed_reads_in_aggregates(self) -> None:
        """`count(invoices where snoozed)` counts the snoozed invoices: no hold while one is."""
        text = CATCH_UP.replace(
            "hold shipments", "hold shipments when count(invoices where snoozed) == 0"
        )
        plan = _policy(text).plan([self._acct("INV-2")], as_of=date(2026, 11, 19))
        assert sorted((a.step, a.invoice) for a in plan.actions) == [
            ("demand", None),
            ("nudge", "INV-1"),
        ]
        assert "hold: not taken (when count(invoices where snoozed) == 0 is false)" in (
            plan.state("C-1").notes
        )
        assert [i.snoozed for i in facts(self._acct("INV-2"), date(2026, 11, 19)).invoices] == [
            False,
            True,
        ]


_DAY = date(2026, 11, 2)


@st.composite
def _snoozed_accounts(draw: st.DrawFn) -> tuple[Account, Account]:
    """An account with invoices and logged steps, without and with snoozes."""
    n = draw(st.integers(1, 4))
    invoices = [
        invoice("100 EUR", due=_DAY - timedelta(days=draw(st.integers(-10, 90))), number=f"I{i}")
        for i in range(n)
    ]
    numbers = [i.number for i in invoices]
    logged = [
        activity(
            _DAY - timedelta(days=draw(st.integers(1, 60))),
            "email",
            draw(st.sampled_from(["reminder", "demand", "nudge"])),
        )
        for _ in range(draw(st.integers(0, 2)))
    ]
    snoozes = [
        snooze(
            _DAY + timedelta(days=draw(st.integers(-5, 20))),
            *draw(st.lists(st.sampled_from(numbers), max_size=n, unique=True)),
        )
        for _ in range(draw(st.integers(1, 2)))
    ]
    plain = account(*invoices, *logged)
    return plain, account(*invoices, *logged, *snoozes)


@settings(max_examples=60, deadline=None)
@given(pair=_snoozed_accounts(), sequence=st.booleans())
def test_a_snooze_never_plans_what_it_snoozes_nor_a_later_stage(
    pair: tuple[Account, Account], sequence: bool
) -> None:
    """With snoozes: no step for a snoozed invoice, none at all under an account-wide snooze,
    the account-level stage never more advanced than without them, and expired snoozes change
    nothing at all (the same plan, byte for byte).
    """
    plain, snoozed = pair
    policy = _policy(SEQUENCE if sequence else CATCH_UP)
    without, with_ = policy.plan([plain], as_of=_DAY), policy.plan([snoozed], as_of=_DAY)
    active = [s for s in snoozed.snoozes if s.is_active(_DAY)]
    if not active:
        assert with_.to_json() == without.to_json()
        assert with_.explain("C-1") == without.explain("C-1")
        return
    names = {n for s in active for n in s.invoices}
    whole = any(not s.invoices for s in active)
    for act in with_.actions:
        assert not whole
        assert act.invoice not in names
    order = ["reminder", "demand", "hold"]
    reached, before = with_.state("C-1").step_reached, without.state("C-1").step_reached
    if reached is not None and before is not None:
        assert order.index(reached) <= order.index(before)


@settings(max_examples=40, deadline=None)
@given(
    due_offset=st.integers(min_value=-10, max_value=80),
    length=st.integers(min_value=1, max_value=40),
    invoice_level=st.booleans(),
    sequence=st.booleans(),
    younger=st.none() | st.integers(min_value=1, max_value=60),
    delay=st.none() | st.integers(min_value=1, max_value=30),
)
def test_the_forecast_under_a_snooze_is_what_the_next_days_bring(
    *,
    due_offset: int,
    length: int,
    invoice_level: bool,
    sequence: bool,
    younger: int | None,
    delay: int | None,
) -> None:
    """Replayed day by day under a snooze of the account (or of its oldest invoice, with or
    without a younger one; granted from the start or later), the next step announced is the
    next timeline step planned, on the day announced.
    """
    text = FORECAST.format(mode=", in sequence" if sequence else "", gap=3, call=10, required="")
    policy = _policy(text)
    start = date(2026, 6, 1)
    held = ("INV-1",) if invoice_level else ()
    due = start - timedelta(days=due_offset)
    others = [] if younger is None else [invoice("500 EUR", due=due + timedelta(days=younger))]
    acct = account(
        invoice("1000 EUR", due=due),
        *others,
        snooze(
            start + timedelta(days=length + (delay or 0)),
            *held,
            since=None if delay is None else start + timedelta(days=delay),
        ),
    )
    assert_forecasts_come_true(policy, acct, start, 100)
