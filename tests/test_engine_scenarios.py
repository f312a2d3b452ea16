"""Scenario tests of the engine: one collections practice per test, expected values by hand.

Calendar reminders for the dates used below (2026): 2026-10-01 is a Thursday, 2026-11-02 and
2026-11-23 are Mondays, 2026-11-28 is a Saturday, 2026-12-25 is a Friday (and a holiday of the
standard policy, like 2026-12-26 and 2027-01-01).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import attrs

from arcollect import Installment, PromiseStatus, facts
from arcollect.domain.account import Account
from arcollect.domain.money import Money
from arcollect.domain.records import Activity, Contact, Dispute, Invoice, Payment, Promise
from arcollect.engine.model import Plan, PlannedAction
from arcollect.policy import Policy, load_policy, parse_policy
from arcollect.testing import account, activity, contact, dispute, invoice, payment, promise

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")

ActionRow = dict[str, object]
Record = Invoice | Payment | Promise | Dispute | Activity | Contact


def _row(act: PlannedAction) -> ActionRow:
    """Return what a collector sees of an action, without its priority and explanation."""
    return {
        "step": act.step,
        "timeline": act.timeline,
        "action": act.action,
        "channel": act.channel,
        "contact": None if act.contact is None else (act.contact.name, act.contact.role),
        "template": act.template,
        "due": act.due,
        "needs_approval": act.needs_approval,
        "deferred": act.deferred,
        "tier": act.tier,
        "invoice": act.invoice,
    }


def _expected(**fields: object) -> ActionRow:
    """Return an action row with the defaults of an ordinary, undeferred action."""
    row: ActionRow = {
        "timeline": "standard",
        "contact": None,
        "template": None,
        "needs_approval": None,
        "deferred": False,
        "tier": None,
        "invoice": None,
    }
    row.update(fields)
    return row


def _rows(plan: Plan, account_id: str = "C-1") -> list[ActionRow]:
    return [_row(a) for a in plan.actions_for(account_id)]


def _policy(text: str) -> Policy:
    return parse_policy(text, name="scenario.arc")


# --------------------------------------------------------------------------------------------


COURTESY = _policy(
    """
policy "Courtesy" version 1
  currency EUR
  calendar weekdays
timeline standard for all
  step courtesy 3 days before due email "pre_due_notice" unless balance < 250 EUR
  step reminder 1 day past due email "friendly_reminder" to billing
"""
)


class TestCourtesy:
    def test_courtesy_notice_is_sent_three_days_before_due(self) -> None:
        """Three days before the due date the pre-due notice goes to the decision maker."""
        acct = account(
            invoice("1,000 EUR", due="2026-11-26"),
            contact("Bill Payer", "billing"),
            contact("Bob Boss", "decision_maker"),
        )
        plan = COURTESY.plan([acct], as_of=date(2026, 11, 23))
        assert _rows(plan) == [
            _expected(
                step="courtesy",
                action="email",
                channel="email",
                contact=("Bob Boss", "decision_maker"),
                template="pre_due_notice",
                due=date(2026, 11, 23),
            )
        ]
        (act,) = plan.actions
        assert act.explanation[0] == (
            "step courtesy (3 days before due) is the most advanced step due"
        )
        st = plan.state("C-1")
        assert (st.day, st.episode_start, st.step_reached, st.steps_skipped) == (
            -3,
            None,
            "courtesy",
            (),
        )
        assert (st.next_step, st.next_date) == ("reminder", date(2026, 11, 27))

    def test_no_courtesy_notice_earlier_than_three_days_before_due(self) -> None:
        """Six days before the due date nothing happens; the courtesy notice is next, in 3 days."""
        acct = account(invoice("1,000 EUR", due="2026-11-26"), contact("Bob", "decision_maker"))
        plan = COURTESY.plan([acct], as_of=date(2026, 11, 20))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert (st.day, st.step_reached) == (-6, None)
        assert (st.next_step, st.next_date) == ("courtesy", date(2026, 11, 23))

    def test_small_balance_gets_no_courtesy_notice(self) -> None:
        """An `unless` condition that holds keeps the courtesy step from firing, and says so."""
        acct = account(invoice("200 EUR", due="2026-11-26"), contact("Bob", "decision_maker"))
        plan = COURTESY.plan([acct], as_of=date(2026, 11, 23))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.step_reached is None
        (note,) = st.notes
        assert note.startswith("courtesy: not taken (unless balance < 250 EUR")


# --------------------------------------------------------------------------------------------


class TestPromises:
    @staticmethod
    def _promised() -> list[Record]:
        return [
            invoice("1,200 EUR", due="2026-10-01"),
            promise("1,200 EUR", due="2026-11-30", made="2026-11-20", by="Jane Roe", grace_days=2),
            contact("Dan Decider", "decision_maker"),
            contact("Jane Roe", "accounts_payable"),
        ]

    def test_open_promise_pauses_escalation(self) -> None:
        """An open promise to pay pauses the timeline: no action, the state says why."""
        acct = account(*self._promised())
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 23))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.paused_by == ("promise.active",)
        assert st.day == 53
        assert st.step_reached == "demand"
        assert st.steps_skipped == ("courtesy", "reminder", "first_call", "follow_up")
        # 1,200 EUR -> 12, 53 days past due -> 106
        assert st.priority == Decimal(118)

    def test_no_follow_up_before_the_promise_deadline(self) -> None:
        """On the promised date itself, within the grace days, there is nothing to do yet."""
        acct = account(*self._promised())
        plan = STANDARD.plan([acct], as_of=date(2026, 12, 1))
        assert plan.actions == ()
        assert plan.state("C-1").paused_by == ("promise.active",)

    def test_promise_gets_a_follow_up_call_on_its_deadline(self) -> None:
        """On due + grace the promise gets a follow-up call to whoever made it."""
        acct = account(*self._promised())
        plan = STANDARD.plan([acct], as_of=date(2026, 12, 2))
        assert _rows(plan) == [
            _expected(
                step="promise_follow_up",
                action="follow_up",
                channel="call",
                contact=("Jane Roe", None),
                due=date(2026, 12, 2),
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert act.explanation[0] == (
            "promise of 1200.00 EUR made on 2026-11-20 is due 2026-11-30 (+2 days grace); "
            "paid so far 0.00 EUR: follow up precisely on the promised date"
        )
        assert "contact: Jane Roe, who made the promise" in act.explanation
        assert plan.state("C-1").paused_by == ("promise.active",)

    def test_logged_follow_up_is_not_planned_again(self) -> None:
        """Once the promise follow-up is logged, it is not planned a second time."""
        acct = account(
            *self._promised(),
            activity("2026-12-02", "call", step="promise_follow_up", outcome="reached"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 12, 2))
        assert plan.actions == ()

    def test_a_renewed_promise_gets_its_own_follow_up(self) -> None:
        """The follow-up of an earlier promise does not count for the promise made that day."""
        acct = account(
            contact("Jane", "decision_maker"),
            invoice("1200 EUR", due="2026-10-01"),
            promise("1200 EUR", due="2026-10-20", made="2026-10-12"),
            activity("2026-10-20", "call", "promise_follow_up", outcome="promise"),
            promise("1200 EUR", due="2026-10-30", made="2026-10-20"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 30))
        assert [
            (a.step, a.channel, a.contact.name if a.contact else None) for a in plan.actions
        ] == [("promise_follow_up", "call", "Jane")]

    def test_every_promise_due_today_is_followed_up(self) -> None:
        """Of two open promises, the one due today is followed up though a later one is open."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            promise("500 EUR", made="2026-11-01", due="2026-11-10"),
            promise("500 EUR", made="2026-11-02", due="2026-11-30"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 10))
        (act,) = plan.actions
        assert (act.step, act.channel) == ("promise_follow_up", "call")
        assert act.explanation[0].startswith("promise of 500.00 EUR made on 2026-11-01")

    def test_a_weekend_deadline_is_followed_up_on_monday(self) -> None:
        """A promise due on Saturday is followed up on Monday, though it broke on Sunday."""
        policy = _policy(
            'policy "t"\n  currency EUR\n  calendar weekdays\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
        )
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            activity("2026-10-02", "email", "reminder"),
            promise("1000 EUR", made="2026-11-20", due="2026-11-28"),
        )
        friday = policy.plan([acct], as_of=date(2026, 11, 27))
        assert friday.actions == ()
        monday = policy.plan([acct], as_of=date(2026, 11, 30))
        assert [(a.step, a.due) for a in monday.actions] == [
            ("promise_follow_up", date(2026, 11, 30))
        ]
        tuesday = policy.plan([acct], as_of=date(2026, 12, 1))
        assert [a.step for a in tuesday.actions] == []

    def test_broken_promise_resumes_at_first_call(self) -> None:
        """A promise broken with nothing paid begins a new episode at `first_call`."""
        acct = account(
            invoice("1,200 EUR", due="2026-10-01"),
            promise("1,200 EUR", due="2026-10-30", made="2026-10-20"),
            contact("Dana Decider", "decision_maker"),
            activity("2026-09-28", "email", step="courtesy", outcome="sent"),
            activity("2026-10-02", "email", step="reminder", outcome="sent"),
            activity("2026-10-12", "call", step="first_call", outcome="reached"),
            activity("2026-10-20", "call", outcome="promise"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert _rows(plan) == [
            _expected(
                step="first_call",
                action="call",
                channel="call",
                contact=("Dana Decider", "decision_maker"),
                due=date(2026, 11, 2),
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert act.explanation[0] == (
            "promise of 1200.00 EUR due 2026-10-30 was broken (paid 0.00 EUR): resume at first_call"
        )
        st = plan.state("C-1")
        assert st.paused_by == ()
        assert st.step_reached == "first_call"
        # The episode begins the day the promise broke (the day after its deadline): what was
        # done before it does not count, and the steps before first_call are behind, not skipped.
        assert st.episode_start == date(2026, 10, 31)
        assert st.steps_done == ()
        assert st.steps_skipped == ()
        # follow_up (day 20) is behind the resume step and comes next, once the min gap of 3
        # days after today's call has passed: the resume does not announce demand (day 45).
        assert (st.next_step, st.next_date) == ("follow_up", date(2026, 11, 5))
        nov5 = STANDARD.plan(
            [
                attrs.evolve(
                    acct,
                    activities=(
                        *acct.activities,
                        activity("2026-11-02", "call", step="first_call"),
                    ),
                )
            ],
            as_of=date(2026, 11, 5),
        )
        assert [a.step for a in nov5.actions] == ["follow_up"]
        # 12 for the money, 32 days past due * 2, one broken promise * 15
        assert st.priority == Decimal(91)

    def test_resuming_early_moves_the_next_step_on(self) -> None:
        """After resuming at first_call before its day, the next step is the one after it."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            promise("1000 EUR", due="2026-10-03", made="2026-10-02"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 6))
        assert [a.step for a in plan.actions] == ["first_call"]
        state = plan.state("C-1")
        assert (state.next_step, state.next_date) == ("follow_up", date(2026, 10, 21))

    def test_steps_before_the_resume_step_stay_behind(self) -> None:
        """After the resumed first_call is done, the reminder does not come back."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01", issued="2026-09-01"),
            activity("2026-09-28", "email", "courtesy"),
            activity("2026-10-02", "email", "reminder"),
            promise("1000 EUR", made="2026-10-03", due="2026-10-05"),
            activity("2026-10-06", "call", "first_call"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 9))
        assert plan.actions == ()
        state = plan.state("C-1")
        assert state.step_reached == "first_call"
        assert (state.next_step, state.next_date) == ("follow_up", date(2026, 10, 21))


class TestInstallmentJudgement:
    def test_a_judged_installment_stays_judged(self) -> None:
        """A payment after a missed installment's deadline does not rewrite its status."""
        prom = promise(
            "1000 EUR",
            due="2026-11-15",
            made="2026-10-20",
            installments=[
                Installment(date(2026, 11, 1), Money(500, "EUR")),
                Installment(date(2026, 11, 15), Money(500, "EUR")),
            ],
        )
        acct = account(
            invoice("1000 EUR", due="2026-10-01"), prom, payment("100 EUR", on="2026-11-05")
        )
        for as_of in (date(2026, 11, 3), date(2026, 11, 6)):
            p = facts(acct, as_of).promise
            assert p is not None
            assert (p.status, p.closed_on) == (PromiseStatus.BROKEN, date(2026, 11, 2))


# --------------------------------------------------------------------------------------------


EPISODES = _policy(
    """
policy "Episodes" version 1
  currency EUR
timeline standard for all
  restart when overdue == 0 EUR
  step reminder 1 day past due email "friendly_reminder"
  step first_call 10 days past due call
"""
)


class TestEpisodes:
    def test_partial_payment_does_not_end_the_episode(self) -> None:
        """After a partial payment the episode goes on: steps done before still count."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            payment("400 EUR", on="2026-10-10"),
            activity("2026-10-02", "email", step="reminder"),
        )
        plan = EPISODES.plan([acct], as_of=date(2026, 10, 15))
        st = plan.state("C-1")
        assert st.episode_start == date(2026, 10, 2)
        assert st.overdue == Money("600", "EUR")
        assert st.steps_done == ("reminder",)
        assert st.steps_skipped == ()
        assert [(a.step, a.action) for a in plan.actions] == [("first_call", "call")]

    def test_steps_of_a_partly_paid_episode_are_not_repeated(self) -> None:
        """A new invoice falling due while the old one is still partly open joins its episode."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            invoice("500 EUR", due="2026-11-01"),
            payment("900 EUR", on="2026-10-20", to=["INV-1"]),
            activity("2026-10-02", "email", step="reminder"),
            activity("2026-10-12", "call", step="first_call"),
        )
        plan = EPISODES.plan([acct], as_of=date(2026, 11, 13))
        st = plan.state("C-1")
        assert st.episode_start == date(2026, 10, 2)
        assert st.day == 43
        assert st.steps_done == ("reminder", "first_call")
        assert plan.actions == ()
        assert st.notes == ("first_call: done on 2026-10-12",)

    def test_full_payment_ends_the_episode_and_a_new_one_starts_fresh(self) -> None:
        """After everything overdue was paid, a new overdue invoice starts a new episode."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            invoice("500 EUR", due="2026-11-01"),
            payment("1,000 EUR", on="2026-10-20", to=["INV-1"]),
            activity("2026-10-02", "email", step="reminder"),
            activity("2026-10-12", "call", step="first_call"),
        )
        plan = EPISODES.plan([acct], as_of=date(2026, 11, 13))
        st = plan.state("C-1")
        assert st.episode_start == date(2026, 11, 2)
        assert st.day == 12
        assert st.steps_done == ()
        assert st.steps_skipped == ("reminder",)
        assert [(a.step, a.action) for a in plan.actions] == [("first_call", "call")]

    def test_restart_condition_ends_the_episode(self) -> None:
        """While a `restart when` condition holds past due, the episode is over: no action."""
        policy = _policy(
            """
policy "Restart" version 1
  currency EUR
timeline standard for all
  restart when overdue < 50 EUR
  step reminder 1 day past due email "friendly_reminder"
"""
        )
        acct = account(invoice("1,000 EUR", due="2026-10-01"), payment("980 EUR", on="2026-10-05"))
        plan = policy.plan([acct], as_of=date(2026, 10, 15))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.notes == ("episode over: restart when overdue < 50 EUR",)
        assert st.step_reached is None


# --------------------------------------------------------------------------------------------


class TestDisputes:
    def test_fully_disputed_account_pauses_and_gets_a_review(self) -> None:
        """A dispute covering everything overdue pauses collection; the dispute gets a review."""
        acct = account(
            invoice("2,000 EUR", due="2026-10-01"),
            dispute("INV-1", opened="2026-10-05", reason="pricing_error"),
            contact("Dan", "decision_maker"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert _rows(plan) == [
            _expected(
                step="dispute_review",
                timeline=None,
                action="review",
                channel="internal",
                due=date(2026, 11, 2),
                tier="A",
                invoice="INV-1",
            )
        ]
        (act,) = plan.actions
        assert act.explanation[0].startswith(
            "dispute over INV-1 opened 2026-10-05, reason pricing_error "
            "(an internal cause: fix it, do not collect it)"
        )
        assert "no owner: assign one" in act.explanation[0]
        st = plan.state("C-1")
        assert st.paused_by == ("dispute.open and undisputed_overdue == 0 EUR",)
        # 20 for the money + 32 days * 2 - 100 for the open dispute
        assert st.priority == Decimal(-16)

    def test_undisputed_overdue_money_is_still_collected(self) -> None:
        """With undisputed money overdue the timeline goes on beside the dispute review."""
        acct = account(
            invoice("2,000 EUR", due="2026-10-01"),
            invoice("1,000 EUR", due="2026-10-01"),
            dispute("INV-1", opened="2026-10-05", reason="quality"),
            contact("Dan", "decision_maker"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert _rows(plan) == [
            _expected(
                step="dispute_review",
                timeline=None,
                action="review",
                channel="internal",
                due=date(2026, 11, 2),
                tier="A",
                invoice="INV-1",
            ),
            _expected(
                step="follow_up",
                action="email",
                channel="email",
                contact=("Dan", "decision_maker"),
                template="follow_up",
                due=date(2026, 11, 2),
                tier="A",
            ),
        ]
        review = plan.actions[0]
        assert review.explanation[0].startswith(
            "dispute over INV-1 opened 2026-10-05, reason quality"
        )
        assert "internal cause" not in review.explanation[0]
        st = plan.state("C-1")
        assert st.paused_by == ()
        assert st.steps_skipped == ("courtesy", "reminder", "first_call")

    def test_review_logged_after_the_dispute_opened_ends_the_review_actions(self) -> None:
        """A review logged after the dispute opened stops the review action; an older one not."""
        records: list[Record] = [
            invoice("2,000 EUR", due="2026-10-01"),
            dispute("INV-1", opened="2026-10-05", reason="pricing_error"),
        ]
        reviewed = account(*records, activity("2026-10-06", "review", step="dispute_review"))
        too_early = account(
            *records, activity("2026-10-04", "review", step="dispute_review"), id="C-2"
        )
        plan = STANDARD.plan([reviewed, too_early], as_of=date(2026, 11, 2))
        assert plan.actions_for("C-1") == ()
        assert [(a.step, a.action) for a in plan.actions_for("C-2")] == [
            ("dispute_review", "review")
        ]
        assert plan.state("C-1").paused_by == ("dispute.open and undisputed_overdue == 0 EUR",)


# --------------------------------------------------------------------------------------------


class TestKeyAccounts:
    @staticmethod
    def _key_account(last_visit: str) -> list[Record]:
        # A first episode (INV-1, paid 2026-08-15) with a visit; the second starts 2026-10-02.
        return [
            invoice("5,000 EUR", due="2026-07-01"),
            invoice("5,000 EUR", due="2026-10-01"),
            payment("5,000 EUR", on="2026-08-15", to=["INV-1"]),
            activity(last_visit, "visit", step="visit", outcome="reached"),
            contact("Sam Seller", "sales_rep"),
            contact("Vera Boss", "decision_maker"),
        ]

    def test_visit_waits_until_ninety_days_after_the_last_one(self) -> None:
        """A visit 84 days ago, in the previous episode, keeps the visit step from firing."""
        acct = account(*self._key_account("2026-08-10"), tags={"key"})
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.timeline == "key_accounts"
        assert st.episode_start == date(2026, 10, 2)
        assert st.step_reached == "visit"
        assert st.steps_done == ()
        assert st.notes == (
            "visit: at most every 90 days; last on 2026-08-10, next from 2026-11-08",
        )

    def test_visit_is_planned_once_ninety_days_have_passed(self) -> None:
        """A visit 94 days ago does not stop a new visit, with the sales rep along."""
        acct = account(*self._key_account("2026-07-31"), tags={"key"})
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert _rows(plan) == [
            _expected(
                step="visit",
                timeline="key_accounts",
                action="visit",
                channel="visit",
                contact=("Vera Boss", "decision_maker"),
                due=date(2026, 11, 2),
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert "with sales_rep" in act.explanation
        assert "timeline key_accounts (segment key)" in act.explanation
        st = plan.state("C-1")
        assert st.steps_skipped == ("courtesy",)
        # 50 for the money, 32 days * 2, 50 for a key account
        assert st.priority == Decimal(164)

    def test_key_escalation_needs_the_cfo_approval(self) -> None:
        """The key-account escalation is a call to the executive that the CFO must approve."""
        acct = account(
            invoice("5,000 EUR", due="2026-10-01"),
            activity("2026-10-31", "visit", step="visit"),
            contact("Eve Exec", "executive"),
            contact("Vera Boss", "decision_maker"),
            tags={"key"},
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 16))
        assert _rows(plan) == [
            _expected(
                step="escalate",
                timeline="key_accounts",
                action="call",
                channel="call",
                contact=("Eve Exec", "executive"),
                due=date(2026, 11, 16),
                needs_approval="cfo",
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert "requires approval by cfo" in act.explanation
        assert "contact: Eve Exec (executive)" in act.explanation
        st = plan.state("C-1")
        assert (st.steps_done, st.steps_skipped) == (("visit",), ("courtesy",))

    def test_any_dispute_pauses_a_key_account(self) -> None:
        """The key timeline pauses on any open dispute, even with undisputed money overdue."""
        acct = account(
            invoice("5,000 EUR", due="2026-10-01"),
            invoice("1,000 EUR", due="2026-10-01"),
            dispute("INV-2", opened="2026-10-10", reason="damaged"),
            contact("Vera Boss", "decision_maker"),
            tags={"key"},
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert [(a.step, a.action) for a in plan.actions] == [("dispute_review", "review")]
        assert plan.state("C-1").paused_by == ("promise.active or dispute.open",)


# --------------------------------------------------------------------------------------------


class TestMinGap:
    def test_contact_too_soon_after_the_last_one_is_postponed(self) -> None:
        """A follow-up email two days after a call waits until three days have passed."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            activity("2026-10-20", "call", outcome="reached"),
            contact("Dan", "decision_maker"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 22))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.step_reached == "follow_up"
        postponed = (
            "follow_up: postponed to 2026-10-23: min gap 3 days between contacts "
            "(last contact 2026-10-20, call)"
        )
        assert st.notes == (postponed,)

    def test_min_gap_does_not_hold_back_an_internal_action(self) -> None:
        """Holding shipments is not a contact: a letter the day before does not postpone it."""
        acct = account(
            invoice("1,000 EUR", due="2026-08-01"),
            activity("2026-07-29", "email", step="courtesy"),
            activity("2026-08-02", "email", step="reminder"),
            activity("2026-08-11", "call", step="first_call"),
            activity("2026-08-21", "email", step="follow_up"),
            activity("2026-09-15", "letter", step="demand"),
            activity("2026-09-29", "letter", outcome="sent"),
            contact("Dan", "decision_maker"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 9, 30))
        assert _rows(plan) == [
            _expected(
                step="hold",
                action="hold_shipments",
                channel="internal",
                due=date(2026, 9, 30),
                tier="A",
            )
        ]
        st = plan.state("C-1")
        assert st.steps_skipped == ()
        assert not any("postponed" in note for note in st.notes)

    def test_min_gap_allows_one_contact_a_day(self) -> None:
        """Under min gap, only the most advanced contact goes out; the rest wait out the gap."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            "  min gap 3 days between contacts\n"
            '  step reminder 1 day past due per invoice email "r"\n'
            "  step first_call 10 days past due call\n"
        )
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            invoice("200 EUR", due="2026-10-10"),
            invoice("300 EUR", due="2026-10-10"),
        )
        plan = policy.plan([acct], as_of=date(2026, 10, 11))
        assert [(a.step, a.invoice) for a in plan.actions] == [("first_call", None)]
        notes = plan.state("C-1").notes
        for number in ("INV-1", "INV-2", "INV-3"):
            assert (
                f"reminder for {number}: postponed to 2026-10-14: min gap 3 days between contacts "
                "(first_call is planned today)"
            ) in notes


# --------------------------------------------------------------------------------------------


CALLS = _policy(
    """
policy "Calls" version 1
  currency EUR
  calendar weekdays, holidays 2026-12-25, 2026-12-26
timeline standard for all
  step first_call 10 days past due call to decision_maker
priority
  score overdue / 1,000 EUR
  capacity 2 calls per day
"""
)


class TestCapacity:
    def test_calls_beyond_capacity_roll_to_the_next_business_day(self) -> None:
        """With room for two calls, the third, lowest-priority call is deferred to Monday."""
        accts = [
            account(invoice(amount, due="2026-10-01"), contact("Dan", "decision_maker"), id=ident)
            for ident, amount in (("C-1", "1,000 EUR"), ("C-2", "3,000 EUR"), ("C-3", "2,000 EUR"))
        ]
        plan = CALLS.plan(accts, as_of=date(2026, 10, 16))  # a Friday
        assert [(a.account, a.priority, a.deferred, a.due) for a in plan.actions] == [
            ("C-2", Decimal(3), False, date(2026, 10, 16)),
            ("C-3", Decimal(2), False, date(2026, 10, 16)),
            ("C-1", Decimal(1), True, date(2026, 10, 19)),
        ]
        assert "capacity 2 calls per day reached (call #3): moved to 2026-10-19" in (
            plan.actions[2].explanation
        )

    def test_deferred_call_skips_holidays_and_the_weekend(self) -> None:
        """A call deferred from Christmas Eve lands on the Monday after the holidays."""
        accts = [
            account(invoice(amount, due="2026-12-10"), contact("Dan", "decision_maker"), id=ident)
            for ident, amount in (("C-1", "1,000 EUR"), ("C-2", "3,000 EUR"), ("C-3", "2,000 EUR"))
        ]
        plan = CALLS.plan(accts, as_of=date(2026, 12, 24))
        assert [(a.account, a.deferred, a.due) for a in plan.actions] == [
            ("C-2", False, date(2026, 12, 24)),
            ("C-3", False, date(2026, 12, 24)),
            ("C-1", True, date(2026, 12, 28)),
        ]


# --------------------------------------------------------------------------------------------


class TestCalendar:
    def test_action_on_a_holiday_rolls_to_the_next_business_day(self) -> None:
        """A reminder falling due on Christmas Day is planned for the Monday after."""
        acct = account(invoice("1,000 EUR", due="2026-12-24"), contact("Bill", "billing"))
        plan = STANDARD.plan([acct], as_of=date(2026, 12, 25))
        assert _rows(plan) == [
            _expected(
                step="reminder",
                action="email",
                channel="email",
                contact=("Bill", "billing"),
                template="friendly_reminder",
                due=date(2026, 12, 28),
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert "rolled forward from 2026-12-25 (a holiday)" in act.explanation
        assert "channel email: no earlier channel rule holds" in act.explanation
        st = plan.state("C-1")
        assert st.steps_skipped == ("courtesy",)
        # first_call on day 10 is 2027-01-03, a Sunday
        assert (st.next_step, st.next_date) == ("first_call", date(2027, 1, 4))

    def test_action_on_a_saturday_rolls_to_monday(self) -> None:
        """A reminder falling due on a Saturday is planned for Monday, because of the weekend."""
        acct = account(invoice("1,000 EUR", due="2026-11-27"), contact("Bill", "billing"))
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 28))
        (act,) = plan.actions
        assert (act.step, act.due) == ("reminder", date(2026, 11, 30))
        assert "rolled forward from 2026-11-28 (a weekend)" in act.explanation


# --------------------------------------------------------------------------------------------


class TestCatchUp:
    def test_stale_steps_are_skipped_and_only_the_most_advanced_is_planned(self) -> None:
        """Fifty days past due with nothing done, only the demand letter is planned."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Bill Payer", "billing"),
            contact("Ann Payable", "accounts_payable"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 20))
        assert _rows(plan) == [
            _expected(
                step="demand",
                action="letter",
                channel="letter",
                contact=("Ann Payable", "accounts_payable"),
                template="final_demand",
                due=date(2026, 11, 20),
                needs_approval="credit_manager",
                tier="A",
            )
        ]
        (act,) = plan.actions
        assert act.explanation[0] == "step demand (45 days past due) is the most advanced step due"
        assert "when: overdue = 1000.00 EUR >= 100 EUR" in act.explanation
        assert "requires approval by credit_manager" in act.explanation
        st = plan.state("C-1")
        assert st.step_reached == "demand"
        assert st.steps_done == ()
        assert st.steps_skipped == ("courtesy", "reminder", "first_call", "follow_up")
        assert (st.next_step, st.next_date) == ("hold", date(2026, 11, 30))
        assert st.priority == Decimal(110)  # 10 for the money + 50 days * 2

    def test_a_step_done_in_the_episode_is_not_repeated(self) -> None:
        """A demand letter sent two days ago is not planned again."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            activity("2026-11-18", "letter", step="demand", outcome="sent"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 20))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.step_reached == "demand"
        assert st.steps_done == ("demand",)
        assert st.steps_skipped == ("courtesy", "reminder", "first_call", "follow_up")
        assert st.notes == ("demand: done on 2026-11-18",)


# --------------------------------------------------------------------------------------------


class TestRepeats:
    @staticmethod
    def _followed_up() -> list[Record]:
        return [
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Dan", "decision_maker"),
            activity("2026-10-02", "email", step="reminder"),
            activity("2026-10-12", "call", step="first_call"),
            activity("2026-10-21", "email", step="follow_up"),
        ]

    def test_repeating_step_waits_its_interval(self) -> None:
        """Six days after a follow-up email the next one is not due; it is announced for day 7."""
        acct = account(*self._followed_up())
        for as_of in (date(2026, 10, 23), date(2026, 10, 27)):
            plan = STANDARD.plan([acct], as_of=as_of)
            assert plan.actions == ()
            st = plan.state("C-1")
            assert st.notes == ("follow_up: done on 2026-10-21",)
            assert (st.next_step, st.next_date) == ("follow_up", date(2026, 10, 28))

    def test_repeating_step_fires_again_after_its_interval(self) -> None:
        """Seven days after the last follow-up email, the follow-up is planned again."""
        acct = account(*self._followed_up())
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 28))
        assert _rows(plan) == [
            _expected(
                step="follow_up",
                action="email",
                channel="email",
                contact=("Dan", "decision_maker"),
                template="follow_up",
                due=date(2026, 10, 28),
                tier="A",
            )
        ]
        assert plan.actions[0].explanation[0] == (
            "step follow_up repeats every 7 days until 45 days past due; last done 2026-10-21"
        )


# --------------------------------------------------------------------------------------------


class TestApproval:
    def test_step_requiring_approval_names_the_approver(self) -> None:
        """`requires approval by credit_manager` sets needs_approval on the planned action."""
        policy = _policy(
            """
policy "Approval" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder"
  step demand 30 days past due letter "final_demand" requires approval by credit_manager
"""
        )
        acct = account(invoice("500 EUR", due="2026-10-01"), contact("Bill", "billing"))
        early = policy.plan([acct], as_of=date(2026, 10, 2))
        late = policy.plan([acct], as_of=date(2026, 11, 2))
        assert [(a.step, a.needs_approval) for a in early.actions] == [("reminder", None)]
        assert [(a.step, a.needs_approval) for a in late.actions] == [("demand", "credit_manager")]


# --------------------------------------------------------------------------------------------


class TestChannels:
    def test_irate_customer_gets_a_call_instead_of_an_email(self) -> None:
        """After an irate contact, the written follow-up becomes a call (channel section)."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Dan", "decision_maker"),
            activity("2026-10-02", "email", step="reminder"),
            activity("2026-10-12", "call", step="first_call", outcome="irate"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 21))
        assert _rows(plan) == [
            _expected(
                step="follow_up",
                action="email",
                channel="call",
                contact=("Dan", "decision_maker"),
                template="follow_up",
                due=date(2026, 10, 21),
                tier="A",
            )
        ]
        channel_lines = [w for w in plan.actions[0].explanation if w.startswith("channel ")]
        assert len(channel_lines) == 1
        assert channel_lines[0].startswith("channel call: ")
        assert "irate" in channel_lines[0]

    def test_letter_step_stays_a_letter_for_an_irate_customer(self) -> None:
        """Channel rules change email and sms steps only: the demand letter stays a letter."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Dan", "decision_maker"),
            activity("2026-11-10", "call", step="follow_up", outcome="irate"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 16))
        assert [(a.step, a.action, a.channel) for a in plan.actions] == [
            ("demand", "letter", "letter")
        ]
        assert not any(w.startswith("channel ") for w in plan.actions[0].explanation)

    def test_call_step_stays_a_call_for_a_small_balance(self) -> None:
        """A step written as a call is a call even where the channel section would write."""
        acct = account(
            invoice("300 EUR", due="2026-10-01"),
            contact("Dan", "decision_maker"),
            activity("2026-10-02", "email", step="reminder"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 12))
        assert [(a.step, a.action, a.channel) for a in plan.actions] == [
            ("first_call", "call", "call")
        ]

    def test_big_balance_turns_a_reminder_into_a_call(self) -> None:
        """With 5,000 EUR or more overdue the reminder email is made by phone."""
        acct = account(
            invoice("5,000 EUR", due="2026-10-01"),
            contact("Bill", "billing"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 2))
        assert [(a.step, a.action, a.channel, a.template) for a in plan.actions] == [
            ("reminder", "email", "call", "friendly_reminder")
        ]


# --------------------------------------------------------------------------------------------


PER_INVOICE = _policy(
    """
policy "Per invoice" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due per invoice email "invoice_reminder"
"""
)


STAGED_PER_INVOICE = """
policy "t"
  currency EUR
timeline t for all
  min gap 3 days between contacts
  step r1 1 day past due per invoice email "a"
  step r2 10 days past due per invoice email "b"
  step r3 20 days past due per invoice letter "c"
"""


class TestPerInvoice:
    def test_one_action_per_overdue_invoice_not_yet_reminded(self) -> None:
        """Each invoice past its own step day gets its action, unless logged for that invoice."""
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            invoice("200 EUR", due="2026-10-10"),
            invoice("300 EUR", due="2026-10-12"),
            invoice("400 EUR", due="2026-10-20"),
            contact("Bill", "billing"),
            activity("2026-10-02", "email", step="reminder", invoice="INV-1"),
        )
        plan = PER_INVOICE.plan([acct], as_of=date(2026, 10, 15))
        assert _rows(plan) == [
            _expected(
                step="reminder",
                action="email",
                channel="email",
                contact=("Bill", "billing"),
                template="invoice_reminder",
                due=date(2026, 10, 15),
                invoice=number,
            )
            for number in ("INV-2", "INV-3")
        ]
        assert plan.actions[0].explanation[0] == (
            "step reminder (1 day past due) for invoice INV-2, 5 days past due"
        )
        assert plan.actions[1].explanation[0] == (
            "step reminder (1 day past due) for invoice INV-3, 3 days past due"
        )
        st = plan.state("C-1")
        assert st.day == 14
        assert st.step_reached is None

    def test_only_the_most_advanced_step_per_invoice(self) -> None:
        """An invoice 31 days past due gets r3 only, not r1, r2 and r3 at once."""
        acct = account(invoice("100 EUR", due="2026-10-01"))
        plan = _policy(STAGED_PER_INVOICE).plan([acct], as_of=date(2026, 11, 1))
        assert [(a.step, a.invoice) for a in plan.actions] == [("r3", "INV-1")]

    def test_no_step_comes_back_after_a_later_one(self) -> None:
        """Once r3 is done for an invoice, r2 is never planned for it."""
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            activity("2026-11-01", "letter", "r3", invoice="INV-1"),
        )
        for day in (date(2026, 11, 4), date(2026, 11, 7)):
            assert _policy(STAGED_PER_INVOICE).plan([acct], as_of=day).actions == ()


# --------------------------------------------------------------------------------------------


class TestAgency:
    @staticmethod
    def _old_debt(amount: str) -> list[Record]:
        return [
            invoice(amount, due="2026-08-01"),
            activity("2026-07-29", "email", step="courtesy"),
            activity("2026-08-02", "email", step="reminder"),
            activity("2026-08-11", "call", step="first_call"),
            activity("2026-08-21", "email", step="follow_up"),
            activity("2026-09-15", "letter", step="demand"),
            activity("2026-09-30", "hold_shipments", step="hold"),
        ]

    def test_old_debt_over_the_threshold_goes_to_the_agency(self) -> None:
        """At 90 days past due, 3,000 EUR of a non-key account is referred to an agency."""
        acct = account(*self._old_debt("3,000 EUR"), tags={"wholesale"})
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert _rows(plan) == [
            _expected(
                step="agency",
                action="refer_agency",
                channel="internal",
                due=date(2026, 11, 2),
                tier="A",
            )
        ]
        st = plan.state("C-1")
        assert st.day == 93
        assert st.steps_done == (
            "courtesy",
            "reminder",
            "first_call",
            "follow_up",
            "demand",
            "hold",
        )

    def test_debt_under_the_threshold_is_not_referred_and_says_why(self) -> None:
        """Under 1,000 EUR the agency step is not taken; the state says which condition failed."""
        acct = account(*self._old_debt("900 EUR"))
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 2))
        assert plan.actions == ()
        st = plan.state("C-1")
        assert st.step_reached == "hold"
        assert st.notes == (
            "agency: not taken (when overdue >= 1,000 EUR and not key is false)",
            "hold: done on 2026-09-30",
        )
        assert "agency: not taken (when overdue >= 1,000 EUR and not key is false)" in (
            plan.explain("C-1")
        )


# --------------------------------------------------------------------------------------------


CONTACTS = _policy(
    """
policy "Contacts" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder" to billing
  step escalate 10 days past due call to executive
"""
)


class TestContacts:
    def test_step_addresses_its_role(self) -> None:
        """A step `to billing` goes to the billing contact (the first by name if several)."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Zoe Billing", "billing"),
            contact("Bea Billing", "billing"),
            contact("Dan", "decision_maker"),
        )
        plan = CONTACTS.plan([acct], as_of=date(2026, 10, 2))
        (act,) = plan.actions
        assert act.contact is not None
        assert (act.contact.name, act.contact.role) == ("Bea Billing", "billing")
        assert "contact: Bea Billing (billing)" in act.explanation

    def test_missing_role_falls_back_to_the_decision_maker_first(self) -> None:
        """Without an executive, the call goes to the decision maker, and says it fell back."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Al Billing", "billing"),
            contact("Pat Payable", "accounts_payable"),
            contact("Otto", can_authorize_payment=True),
            activity("2026-10-02", "email", step="reminder"),
        )
        plan = CONTACTS.plan([acct], as_of=date(2026, 10, 12))
        (act,) = plan.actions
        assert act.step == "escalate"
        assert act.contact is not None
        assert (act.contact.name, act.contact.role) == ("Otto", "decision_maker")
        assert "no executive contact on file: fell back to Otto (decision_maker)" in (
            act.explanation
        )

    def test_fallback_goes_to_accounts_payable_before_billing(self) -> None:
        """Without executive or decision maker, accounts payable comes before billing."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Al Billing", "billing"),
            contact("Pat Payable", "accounts_payable"),
            activity("2026-10-02", "email", step="reminder"),
        )
        plan = CONTACTS.plan([acct], as_of=date(2026, 10, 12))
        (act,) = plan.actions
        assert act.contact is not None
        assert (act.contact.name, act.contact.role) == ("Pat Payable", "accounts_payable")
        assert "no executive contact on file: fell back to Pat Payable (accounts_payable)" in (
            act.explanation
        )

    def test_fallback_takes_anyone_when_no_known_role_is_on_file(self) -> None:
        """With no contact in the fallback roles, anyone on file is contacted, without a role."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            contact("Sue Sales", "sales_rep"),
            contact("Nina"),
        )
        plan = CONTACTS.plan([acct], as_of=date(2026, 10, 2))
        (act,) = plan.actions
        assert act.contact is not None
        assert (act.contact.name, act.contact.role) == ("Nina", None)
        assert "no billing contact on file: fell back to Nina" in act.explanation

    def test_no_contact_at_all_is_said_in_the_explanation(self) -> None:
        """An account with no contact still gets its action, with no contact and a warning."""
        acct = account(invoice("1,000 EUR", due="2026-10-01"))
        plan = CONTACTS.plan([acct], as_of=date(2026, 10, 2))
        (act,) = plan.actions
        assert (act.step, act.contact) == ("reminder", None)
        assert "no contact on file: find one before contacting" in act.explanation


# --------------------------------------------------------------------------------------------


class TestTimelineSelection:
    def test_first_declared_segment_wins_and_for_all_comes_last(self) -> None:
        """Segment timelines are tried in order before the `for all` one, whatever its place."""
        policy = _policy(
            """
policy "Timelines" version 1
  currency EUR
segment big when overdue >= 10,000 EUR
segment key when account.tags contains "key"
timeline general for all
  step reminder 1 day past due email "general_reminder"
timeline big_accounts for segment big
  step reminder 1 day past due call
timeline key_accounts for segment key
  step reminder 1 day past due visit
"""
        )
        accts = [
            account(invoice("20,000 EUR", due="2026-10-01"), id="C-1", tags={"key"}),
            account(invoice("1,000 EUR", due="2026-10-01"), id="C-2", tags={"key"}),
            account(invoice("1,000 EUR", due="2026-10-01"), id="C-3"),
            account(invoice("20,000 EUR", due="2026-10-01"), id="C-4"),
        ]
        plan = policy.plan(accts, as_of=date(2026, 10, 2))
        assert [(s.account, s.timeline) for s in plan.states] == [
            ("C-1", "big_accounts"),
            ("C-2", "key_accounts"),
            ("C-3", "general"),
            ("C-4", "big_accounts"),
        ]
        assert sorted((a.account, a.timeline, a.action) for a in plan.actions) == [
            ("C-1", "big_accounts", "call"),
            ("C-2", "key_accounts", "visit"),
            ("C-3", "general", "email"),
            ("C-4", "big_accounts", "call"),
        ]

    def test_key_segment_by_credit_limit_uses_the_key_timeline(self) -> None:
        """A credit limit of 250,000 EUR or more puts an account in the key segment."""
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            credit_limit=Money("300000", "EUR"),
        )
        plan = STANDARD.plan([acct], as_of=date(2026, 10, 2))
        assert plan.state("C-1").timeline == "key_accounts"


# --------------------------------------------------------------------------------------------


TIERS = _policy(
    """
policy "Tiers" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder"
priority
  score overdue / 1,000 EUR
  tiers by share of overdue: A 80%, B 15%, C 5%
"""
)


class TestTiers:
    def test_tiers_follow_the_pareto_share_of_overdue_money(self) -> None:
        """Of 10,000 EUR overdue, the account with 8,000 is tier A, 1,500 tier B, 500 tier C."""
        accts = [
            account(invoice("500 EUR", due="2026-10-01"), id="C-1"),
            account(invoice("8,000 EUR", due="2026-10-01"), id="C-2"),
            account(invoice("1,500 EUR", due="2026-10-01"), id="C-3"),
        ]
        plan = TIERS.plan(accts, as_of=date(2026, 10, 2))
        assert [(s.account, s.tier) for s in plan.states] == [
            ("C-1", "C"),
            ("C-2", "A"),
            ("C-3", "B"),
        ]
        assert [(a.account, a.tier, a.priority) for a in plan.actions] == [
            ("C-2", "A", Decimal(8)),
            ("C-3", "B", Decimal("1.5")),
            ("C-1", "C", Decimal("0.5")),
        ]


# --------------------------------------------------------------------------------------------


class TestOrdering:
    @staticmethod
    def _accounts() -> list[Account]:
        return [
            account(invoice("1,000 EUR", due="2026-10-01"), id="C-1"),
            account(invoice("3,000 EUR", due="2026-10-01"), id="C-3"),
            account(invoice("3,000 EUR", due="2026-10-01"), id="C-2"),
            account(invoice("100 EUR", due="2026-09-01"), id="C-4"),
        ]

    def test_priority_then_ties_then_account_id(self) -> None:
        """Highest score first; equal scores by `ties by overdue desc`, then by account id."""
        policy = _policy(
            """
policy "Order" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder"
priority
  score days_past_due
  ties by overdue desc
"""
        )
        accts = self._accounts()
        forward = policy.plan(accts, as_of=date(2026, 10, 15))
        backward = policy.plan(reversed(accts), as_of=date(2026, 10, 15))
        expected = [("C-4", Decimal(44)), ("C-2", Decimal(14)), ("C-3", Decimal(14))]
        expected.append(("C-1", Decimal(14)))
        assert [(a.account, a.priority) for a in forward.actions] == expected
        assert backward.to_json() == forward.to_json()

    def test_ascending_tie_key(self) -> None:
        """A tie key without `desc` orders equal scores smallest first."""
        policy = _policy(
            """
policy "Order" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder"
priority
  score days_past_due
  ties by overdue
"""
        )
        plan = policy.plan(self._accounts(), as_of=date(2026, 10, 15))
        assert [a.account for a in plan.actions] == ["C-4", "C-1", "C-2", "C-3"]


# --------------------------------------------------------------------------------------------


class TestAccountsWithoutWork:
    def test_account_with_no_open_invoice_gets_no_action(self) -> None:
        """A paid-up account, or one without invoices, has nothing to do and says so."""
        paid = account(
            invoice("500 EUR", due="2026-10-01"), payment("500 EUR", on="2026-10-15"), id="C-1"
        )
        empty = account(contact("Dan", "decision_maker"), id="C-2")
        plan = STANDARD.plan([paid, empty], as_of=date(2026, 11, 2))
        assert plan.actions == ()
        for ident in ("C-1", "C-2"):
            st = plan.state(ident)
            assert st.notes == ("no open invoices",)
            assert (st.timeline, st.day, st.episode_start, st.step_reached) == (
                "standard",
                None,
                None,
                None,
            )
            assert st.overdue == Money("0", "EUR")


# --------------------------------------------------------------------------------------------


class TestAccountsInError:
    def test_account_in_another_currency_gets_an_error_and_others_are_planned(self) -> None:
        """A USD account under a EUR policy gets an error and no action; the EUR one is planned."""
        eur = account(invoice("1,000 EUR", due="2026-10-01"), id="C-1")
        usd = account(invoice("1,000 USD", due="2026-10-01"), id="C-2")
        plan = STANDARD.plan([usd, eur], as_of=date(2026, 11, 20))
        assert [(a.account, a.step, a.tier) for a in plan.actions] == [("C-1", "demand", "A")]
        st = plan.state("C-2")
        assert st.error is not None
        assert st.error.startswith("cannot evaluate the policy for this account: ")
        assert "USD" in st.error
        assert "EUR" in st.error
        assert (st.timeline, st.tier, st.step_reached) == (None, None, None)
        assert plan.state("C-1").error is None
        assert "error: cannot evaluate the policy for this account" in plan.explain("C-2")

    def test_an_account_in_another_currency_is_an_error(self) -> None:
        """A USD account under an EUR policy is refused, even when no amount is compared."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
        )
        plan = policy.plan(
            [account(invoice("1000 USD", due="2026-10-01"), id="U-1")], as_of=date(2026, 10, 2)
        )
        assert plan.actions == ()
        assert plan.state("U-1").error == (
            "cannot evaluate the policy for this account: the account is in USD, "
            "the policy in EUR: convert the amounts or use a policy in the account's currency"
        )

    def test_evaluation_error_names_the_expression(self) -> None:
        """A score that cannot be computed for an account says which, where and why."""
        policy = _policy('policy "t"\n  currency EUR\npriority\n  score overdue / overdue\n')
        plan = policy.plan([account(id="Z", currency="EUR")], as_of=date(2026, 11, 23))
        assert plan.state("Z").error == (
            "cannot evaluate the policy for this account: scenario.arc:4:9: cannot evaluate "
            "`overdue / overdue` for account 'Z': division by zero"
        )


# --------------------------------------------------------------------------------------------


class TestPauses:
    def test_every_pausing_condition_is_named(self) -> None:
        """Each `pause while` that holds is listed in paused_by, in the policy's order."""
        policy = _policy(
            """
policy "Pauses" version 1
  currency EUR
timeline standard for all
  pause while promise.active
  pause while overdue < 100 EUR
  pause while dispute.open
  step reminder 1 day past due email "friendly_reminder"
"""
        )
        acct = account(
            invoice("1,000 EUR", due="2026-10-01"),
            promise("1,000 EUR", due="2026-10-30", made="2026-10-05"),
            dispute("INV-1", opened="2026-10-06", reason="quality"),
        )
        plan = policy.plan([acct], as_of=date(2026, 10, 15))
        st = plan.state("C-1")
        assert st.paused_by == ("promise.active", "dispute.open")
        assert st.step_reached == "reminder"
        assert [(a.step, a.action) for a in plan.actions] == [("dispute_review", "review")]

    def test_explain_names_the_pause(self) -> None:
        """The plain-text explanation of a paused account says what paused it."""
        acct = account(
            invoice("1,200 EUR", due="2026-10-01"),
            promise("1,200 EUR", due="2026-11-30", made="2026-11-20"),
        )
        text = STANDARD.plan([acct], as_of=date(2026, 11, 23)).explain("C-1")
        assert "  paused by: promise.active" in text.splitlines()
        assert "  no action today" in text.splitlines()


# --------------------------------------------------------------------------------------------


class TestCurrenciesApart:
    def test_tiers_are_shares_within_each_currency(self) -> None:
        """Without a policy currency, euros and yen are never added up for tiers."""
        policy = _policy(
            'policy "t"\npriority\n  score days_past_due\n'
            "  tiers by share of overdue: A 80%, B 20%\n"
        )
        accts = [
            account(invoice("1000 EUR", due="2026-10-01"), id="E1"),
            account(invoice("10 EUR", due="2026-10-01"), id="E2"),
            account(invoice("100000 JPY", due="2026-10-01"), id="J1"),
        ]
        plan = policy.plan(accts, as_of=date(2026, 11, 23))
        assert [(s.account, s.tier) for s in plan.states] == [("E1", "A"), ("E2", "B"), ("J1", "A")]


# --------------------------------------------------------------------------------------------


class TestExplanations:
    def test_unless_note_says_the_condition_held(self) -> None:
        """A step blocked by `unless` says its condition was true."""
        acct = account(invoice("100 EUR", due="2026-11-25"))
        plan = STANDARD.plan([acct], as_of=date(2026, 11, 23))
        assert "courtesy: not taken (unless small_balance is true)" in plan.state("C-1").notes

    def test_explanations_print_plain_numbers(self) -> None:
        """A whole number in an explanation reads 30, not 3E+1."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step s 1 day past due email "a" when days(account.terms) > 20\n'
        )
        acct = account(invoice("10 EUR", due="2026-10-01"), terms=30)
        (act,) = policy.plan([acct], as_of=date(2026, 10, 5)).actions
        assert "when: days(account.terms) = 30 > 20" in act.explanation
