"""Tests of arcollect.engine.actions: due steps dressed with a channel and a contact."""

from __future__ import annotations

import pickle
from datetime import date
from typing import Any

import attrs

from arcollect import ActionKind, PlanChannel, parse_policy
from arcollect.engine.actions import Candidate, Source, choose_contact, dress
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.explain import Tracer
from arcollect.engine.timeline import decide
from arcollect.facts import AccountFacts, facts
from arcollect.testing import account, activity, contact, dispute, invoice, promise

AS_OF = date(2026, 11, 23)
CALENDAR = BusinessCalendar("weekdays")

POLICY = parse_policy(
    """
policy "Actions" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder" per invoice
  step hold 60 days past due hold shipments
channel
  call when sum(invoices.open) >= 5,000 EUR
  email otherwise
""",
    name="actions.arc",
)


def candidates(acct: Any, policy: Any = POLICY) -> list[Candidate]:
    f = facts(acct, AS_OF)
    tl = policy.compiled.timeline_for(f)
    pos = decide(tl, f, AS_OF, CALENDAR)
    tracer = Tracer(policy.interpreter, f)
    return dress(pos, f, as_of=AS_OF, policy=policy.compiled, calendar=CALENDAR, tracer=tracer)


class TestChannel:
    def test_channel_rules_are_evaluated_once_per_account(self) -> None:
        """A per-invoice step on 200 invoices evaluates the channel rules once, not 200 times.

        Regression: with an aggregate in a channel rule, planning was quadratic in invoices
        (16,000 invoices: 29 s).
        """
        calls = []

        def counting(f: AccountFacts) -> tuple[Any, ...]:
            calls.append(f.account.id)
            return POLICY.compiled.channel_conditions(f)

        policy = attrs.evolve(
            POLICY, compiled=attrs.evolve(POLICY.compiled, channel_conditions=counting)
        )
        acct = account(*(invoice("100 EUR", due="2026-11-10") for _ in range(200)))
        out = candidates(acct, policy)
        assert len(out) == 200
        assert calls == ["C-1"]
        assert {c.action.channel for c in out} == {PlanChannel.CALL}
        assert out[0].action.channel_rule == 0

    def test_written_steps_take_the_first_rule_that_holds(self) -> None:
        """A small balance keeps the email; the explanation says which rule chose it."""
        (c,) = candidates(account(contact("Ann", "billing"), invoice("100 EUR", due="2026-11-10")))
        assert (c.action.action, c.action.channel, c.action.channel_rule) == (
            ActionKind.EMAIL,
            PlanChannel.EMAIL,
            1,
        )
        assert "channel email: no earlier channel rule holds" in c.action.explanation

    def test_internal_actions_have_no_channel_or_contact(self) -> None:
        """A credit hold is an internal task: no contact, channel internal."""
        acct = account(contact("Ann", "billing"), invoice("100 EUR", due="2026-09-01"))
        holds = [c for c in candidates(acct) if c.action.step == "hold"]
        assert [(c.action.channel, c.action.contact) for c in holds] == [
            (PlanChannel.INTERNAL, None)
        ]


class TestFromFacts:
    def test_follow_up_and_review_come_before_steps(self) -> None:
        """Within an account: promise follow-up, then dispute review, then timeline steps."""
        acct = account(
            contact("Ann", "billing"),
            invoice("100 EUR", due="2026-11-10"),
            invoice("100 EUR", due="2026-11-10"),
            promise("100 EUR", due="2026-11-23", made="2026-11-16"),
            dispute("INV-2", opened="2026-11-20", reason="pricing_error"),
        )
        out = sorted(candidates(acct), key=lambda c: c.rank)
        assert [(c.source, c.action.step, c.action.invoice) for c in out] == [
            (Source.PROMISE, "promise_follow_up", None),
            (Source.DISPUTE, "dispute_review", "INV-2"),
            (Source.TIMELINE, "reminder", "INV-1"),
            (Source.TIMELINE, "reminder", "INV-2"),
        ]

    def test_a_logged_review_settles_disputes_opened_before_it(self) -> None:
        """A review logged after a dispute was opened means no new review for it.

        The last review is found once per account (many disputes and reviews stay linear).
        """
        disputes = [
            dispute("INV-1", opened=f"2026-11-{d:02d}", reason="pricing_error")
            for d in range(1, 21)
        ]
        reviews = [activity(f"2026-11-{d:02d}", "review") for d in range(1, 21)]
        acct = account(invoice("100 EUR", due="2026-11-10"), *disputes, *reviews)
        assert [c.action.step for c in candidates(acct) if c.source is Source.DISPUTE] == []

    def test_a_logged_follow_up_settles_promises_due_before_it(self) -> None:
        """A follow-up logged on the deadline means the promise is not followed up again."""
        acct = account(
            invoice("100 EUR", due="2026-11-10"),
            promise("100 EUR", due="2026-11-23", made="2026-11-16"),
            activity("2026-11-23", "call", "promise_follow_up"),
        )
        assert [c.source for c in candidates(acct)] == [Source.TIMELINE]


class TestContact:
    def test_fallback_to_the_decision_maker_is_said(self) -> None:
        """No billing contact: the decision maker is chosen, and the explanation says so."""
        acct = account(contact("Jane", "decision_maker"), invoice("1 EUR", due="2026-11-10"))
        ref, why = choose_contact(facts(acct, AS_OF), "billing")
        assert (ref.name if ref else None, ref.role if ref else None) == ("Jane", "decision_maker")
        assert why == ["no billing contact on file: fell back to Jane (decision_maker)"]

    def test_no_contact_on_file(self) -> None:
        """Without contacts, nobody is chosen and the collector is told to find one."""
        acct = account(invoice("1 EUR", due="2026-11-10"))
        assert choose_contact(facts(acct, AS_OF), "billing") == (
            None,
            ["no contact on file: find one before contacting"],
        )


class TestExplanationParts:
    def test_a_condition_is_one_part_for_every_account_traced_with_each_ones_values(
        self,
    ) -> None:
        """Two accounts share the channel rule's part; each explanation shows its own values.

        The part is the policy's (one per condition shown), the tracer the account's: a large
        plan keeps no traced part per action.
        """
        big = account(contact("Ann", "billing"), invoice("6000 EUR", due="2026-11-10"))
        bigger = account(contact("Bo", "billing"), invoice("7000 EUR", due="2026-11-10"))
        (a,), (b,) = candidates(big), candidates(bigger)
        rule = POLICY.compiled.channel_rules[0].condition
        assert rule is not None
        assert Tracer.part("channel call", rule, joined=True) is Tracer.part(
            "channel call", rule, joined=True
        )
        assert "channel call: sum(invoices.open) = 6000.00 EUR >= 5,000 EUR" in a.action.explanation
        assert "channel call: sum(invoices.open) = 7000.00 EUR >= 5,000 EUR" in b.action.explanation

    def test_a_pickled_action_carries_its_traced_lines(self) -> None:
        """Pickling renders the explanation with the account's tracer: the lines travel as text."""
        (c,) = candidates(account(contact("Ann", "billing"), invoice("6000 EUR", due="2026-11-10")))
        copy = pickle.loads(pickle.dumps(c.action))
        assert copy.explanation == c.action.explanation
        assert "channel call: sum(invoices.open) = 6000.00 EUR >= 5,000 EUR" in copy.explanation
