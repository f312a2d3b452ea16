"""Reachability: ``fall back when unreachable``; the facts ``contact.email``, ``contact.phone``."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcollect import Account, Policy, PolicyError, facts, parse_policy
from arcollect.domain.actions import PlanChannel
from arcollect.engine.actions import REACH_FALLBACK, choose_contact, reach
from arcollect.engine.model import ContactRef
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.lang.yaml_writer import to_yaml
from arcollect.testing import account, contact, invoice, promise

SOURCE = """\
policy "Reach" version 1
  currency EUR

timeline standard for all
  step reminder   1 day past due   email "friendly_reminder" to billing
  step first_call 10 days past due call to decision_maker
  step nudge      12 days past due sms "nudge" to decision_maker

channel
  call   when overdue >= 5,000 EUR
  letter when not contact.email and not contact.phone
  fall back when unreachable
"""
REACH = parse_policy(SOURCE, name="reach.arc")
PLAIN = parse_policy(SOURCE.replace("  fall back when unreachable\n", ""), name="plain.arc")


def acme(amount: str = "900 EUR", **people: dict[str, str]) -> Account:
    """An account due 2026-10-01 with a billing clerk and a decision maker as given."""
    billing = people.get("billing", {})
    boss = people.get("boss", {})
    return account(
        invoice(amount, due="2026-10-01"),
        contact("Ana", "billing", **billing),
        contact("Dan", "decision_maker", **boss),
        id="C-1",
    )


def channel_on(day: str, acct: Account, policy: Policy = REACH) -> tuple[str, str, list[str]]:
    plan = policy.plan([acct], as_of=date.fromisoformat(day))
    act = plan.actions[0]
    return act.step, str(act.channel), [w for w in act.explanation if "unreachable" in w]


class TestSyntax:
    def test_formatting_keeps_the_line_last_in_the_channel_section(self) -> None:
        """`arcollect fmt` prints `fall back when unreachable` after the rules."""
        first = SOURCE.replace("  fall back when unreachable\n", "").replace(
            "channel\n", "channel\n  fall   back when  unreachable\n"
        )
        assert format_policy(parse(first)) == SOURCE

    def test_the_yaml_twin_plans_the_same(self) -> None:
        """In YAML the line is an item of the `channel` list; plans are identical."""
        text = to_yaml(parse(SOURCE))
        assert "- fall back when unreachable\n" in text
        twin = parse_policy(text, name="reach.yaml")
        assert twin.checked.fallback is REACH.checked.fallback is True
        acct = acme()
        assert (
            twin.plan([acct], as_of=date(2026, 10, 11)).to_records()
            == REACH.plan([acct], as_of=date(2026, 10, 11)).to_records()
        )

    def test_a_second_line_is_an_error(self) -> None:
        """The line may be written once."""
        with pytest.raises(PolicyError) as info:
            parse_policy(
                'policy "P"\nchannel\n  fall back when unreachable\n  fall back when unreachable\n',
                name="p.arc",
            )
        assert str(info.value) == (
            "p.arc:4:3: error: the `channel` section has more than one "
            "`fall back when unreachable`\n"
            "  4 |   fall back when unreachable\n"
            "    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^"
        )

    def test_a_yaml_item_that_is_neither_is_located(self) -> None:
        """A plain string in the YAML `channel` list must be the fallback line."""
        with pytest.raises(PolicyError) as info:
            parse_policy("policy: P\nchannel:\n  - fall back\n", name="p.yaml")
        assert str(info.value) == (
            "p.yaml:3:5: error: expected a channel rule or `fall back when unreachable`, "
            "got `fall back`\n"
            "  3 |   - fall back\n"
            "    |     ^^^^^^^^^\n"
            "  hint: a channel rule is a mapping such as `call: overdue >= 5,000 EUR`"
        )


class TestFallback:
    def test_channel_rules_can_ask_for_an_address(self) -> None:
        """`contact.email`/`contact.phone` in a channel rule: no address at all, a letter."""
        step, channel, why = channel_on("2026-10-02", acme())
        assert (step, channel, why) == ("reminder", "letter", [])
        assert channel_on("2026-10-02", acme(), PLAIN)[:2] == ("reminder", "letter")

    def test_no_email_address_means_a_letter(self) -> None:
        """Odoo follow-up levels send an e-mail and/or a letter: without an address, the letter.

        The reminder e-mails billing; Ana has no e-mail address, so it goes out as a letter.
        """
        assert channel_on("2026-10-02", acme(boss={"phone": "+49 30 1"})) == (
            "reminder",
            "letter",
            [
                (
                    "unreachable by email: Ana has no e-mail address, so letter instead "
                    "(fall back when unreachable)"
                )
            ],
        )

    def test_no_phone_means_email_then_letter(self) -> None:
        """A call to a decision maker without a phone becomes an e-mail, or a letter."""
        with_email = acme(boss={"email": "dan@acme.example"})
        assert channel_on("2026-10-11", with_email)[:2] == ("first_call", "email")
        neither = acme(billing={"email": "ana@acme.example"})
        assert channel_on("2026-10-11", neither) == (
            "first_call",
            "letter",
            [
                (
                    "unreachable by call: Dan has no phone number or e-mail address, so letter "
                    "instead (fall back when unreachable)"
                )
            ],
        )

    def test_another_contact_of_the_role_who_has_the_address_is_preferred(self) -> None:
        """Before falling back to a letter, the e-mail goes to a billing colleague who has an
        address; the explanation names both.
        """
        acct = account(
            invoice("900 EUR", due="2026-10-01"),
            contact("Ana", "billing"),
            contact("Bea", "billing", email="bea@acme.example"),
            contact("Dan", "decision_maker", phone="+49 30 1"),
            id="C-1",
        )
        plan = REACH.plan([acct], as_of=date(2026, 10, 2))
        (act,) = plan.actions
        assert (act.step, str(act.channel), act.contact and act.contact.name) == (
            "reminder",
            "email",
            "Bea",
        )
        assert (
            "Ana has no e-mail address: Bea (billing) has one, so Bea instead "
            "(fall back when unreachable)"
        ) in act.explanation
        # Without the line, the first billing contact is addressed, as before.
        (plain,) = PLAIN.plan([acct], as_of=date(2026, 10, 2)).actions
        assert plain.contact is not None
        assert plain.contact.name == "Ana"

    def test_no_sms_number_means_email(self) -> None:
        """A text message needs the contact's phone: without one, an e-mail."""
        acct = acme(boss={"email": "dan@acme.example"})
        assert channel_on("2026-10-13", acct)[:2] == ("nudge", "email")

    def test_a_reachable_contact_keeps_the_channel_silently(self) -> None:
        """A contact with the address keeps the channel, with no line about reachability."""
        acct = acme(boss={"phone": "+49 30 1"})
        assert channel_on("2026-10-11", acct) == ("first_call", "call", [])

    def test_the_channel_a_rule_chose_falls_back_too(self) -> None:
        """A reminder a channel rule makes a call (a large balance) falls back without phone."""
        acct = acme("6000 EUR", billing={"email": "ana@acme.example"})
        assert channel_on("2026-10-02", acct)[:2] == ("reminder", "email")
        assert channel_on("2026-10-02", acct, PLAIN)[:2] == ("reminder", "call")

    def test_without_the_line_nothing_changes(self) -> None:
        """Without `fall back when unreachable` a call to someone without a phone stays a call."""
        assert channel_on("2026-10-11", acme(), PLAIN) == ("first_call", "call", [])

    def test_no_contact_keeps_the_channel(self) -> None:
        """An account without contacts keeps the channel: the explanation asks for a contact."""
        lonely = account(invoice("900 EUR", due="2026-10-01"), id="C-9")
        plan = REACH.plan([lonely], as_of=date(2026, 10, 11))
        assert str(plan.actions[0].channel) == "call"
        assert "no contact on file: find one before contacting" in plan.actions[0].explanation

    def test_a_promise_follow_up_without_phone_is_an_email(self) -> None:
        """The follow-up call on a promise's date falls back like any call."""
        acct = account(
            invoice("900 EUR", due="2026-10-20"),
            contact("Dan", "decision_maker", email="dan@acme.example"),
            promise("900 EUR", due="2026-10-25", made="2026-10-21", by="Dan"),
            id="C-1",
        )
        plan = REACH.plan([acct], as_of=date(2026, 10, 25))
        follow = next(a for a in plan.actions if a.step == "promise_follow_up")
        assert str(follow.channel) == "email"
        assert (
            "unreachable by call: Dan has no phone number, so email instead "
            "(fall back when unreachable)"
        ) in follow.explanation

    def test_fallen_back_calls_do_not_use_capacity(self) -> None:
        """Only calls count against the call capacity: a call that became an e-mail does not."""
        policy = parse_policy(SOURCE + "\npriority\n  capacity 1 calls per day\n", name="c.arc")
        first = acme(boss={"email": "d@x.example"})
        second = account(
            invoice("800 EUR", due="2026-10-01"),
            contact("Eve", "decision_maker", phone="+49 30 2"),
            id="C-2",
        )
        plan = policy.plan([first, second], as_of=date(2026, 10, 11))
        assert [(a.account, str(a.channel), a.deferred) for a in plan.actions] == [
            ("C-1", "email", False),
            ("C-2", "call", False),
        ]


class TestReachFunction:
    @given(
        channel=st.sampled_from(list(PlanChannel)),
        phone=st.booleans(),
        email=st.booleans(),
    )
    def test_the_channel_reached_is_one_the_contact_has_an_address_for(
        self, channel: PlanChannel, phone: bool, email: bool
    ) -> None:
        """Whatever the addresses, the result needs nothing the contact lacks, in the order."""
        who = ContactRef("X", None, "+1" if phone else None, "x@y" if email else None)
        got, why = reach(channel, who)
        has = {"phone": phone, "email": email}
        needs = {
            PlanChannel.CALL: "phone",
            PlanChannel.VOICEMAIL: "phone",
            PlanChannel.SMS: "phone",
            PlanChannel.EMAIL: "email",
        }
        assert got not in needs or has[needs[got]]
        assert (got == channel) == (not why)
        if got != channel:
            assert got in REACH_FALLBACK[channel]

    def test_facts_read_the_default_contact(self) -> None:
        """`contact.email`/`contact.phone` read the contact a step without `to` addresses."""
        acct = acme(billing={"email": "ana@x.example"}, boss={"phone": "+49 30 1"})
        f = facts(acct, date(2026, 10, 11))
        chosen, _ = choose_contact(f, None)
        assert f.default_contact is not None
        assert chosen is not None
        assert (f.default_contact.name, chosen.name) == ("Dan", "Dan")
        policy = parse_policy(
            'policy "F"\nlet e = contact.email\nlet p = contact.phone\n', name="f.arc"
        )
        values = {n: policy.evaluate(e, f) for n, e in policy.checked.lets.items()}
        assert values == {"e": False, "p": True}
        empty = facts(account(id="C-0"), date(2026, 10, 11))
        assert {n: policy.evaluate(e, empty) for n, e in policy.checked.lets.items()} == {
            "e": False,
            "p": False,
        }
