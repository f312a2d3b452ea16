"""Several actions and recipients in one step: ``and``, ``to all ROLE`` and ``cc ROLE``."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from arcollect import PolicyError, parse_policy
from arcollect.domain.account import Account
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.lang.yaml_writer import to_yaml
from arcollect.letters import check_templates, render_documents
from arcollect.testing import account, activity, contact, invoice

SOURCE = """\
policy "Second notice" version 1
  currency EUR

timeline standard for all
  min gap 3 days between contacts
  step second 14 days past due letter "second_notice" and email "second_notice"
                               to all billing cc decision_maker
  step third  16 days past due email "third"
"""
POLICY = parse_policy(SOURCE, name="second.arc")


def acme(*records: object) -> Account:
    """Two billing clerks and a decision maker, 900 EUR due 2026-10-01."""
    return account(
        invoice("900 EUR", due="2026-10-01"),
        contact("Bo", "billing"),
        contact("Ana", "billing", email="ana@acme.example"),
        contact("Dan", "decision_maker"),
        *records,  # type: ignore[arg-type]
        id="C-1",
    )


def error(source: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(source, name="p.arc")
    return str(info.value)


class TestSpellings:
    def test_formatting_is_canonical(self) -> None:
        """`and`, `to all` and `cc` print back as written, the line break kept."""
        assert format_policy(parse(SOURCE)) == SOURCE

    def test_yaml_twin_gives_identical_plans(self) -> None:
        """YAML: `do` joins the actions with `and`, `to: all billing`, `cc: decision_maker`."""
        text = to_yaml(parse(SOURCE))
        assert '    do: letter "second_notice" and email "second_notice"\n' in text
        assert "    to: all billing\n    cc: decision_maker\n" in text
        twin = parse_policy(text, name="second.yaml")
        day = date(2026, 10, 15)
        assert twin.plan([acme()], as_of=day).to_records() == (
            POLICY.plan([acme()], as_of=day).to_records()
        )

    def test_a_yaml_to_with_more_than_a_role_is_refused(self) -> None:
        """`to` holds a role or `all ROLE`, nothing more."""
        text = (
            "policy: P\ntimelines:\n  - name: t\n    steps:\n"
            "      - {name: s, at: 1 day past due, do: call, to: all billing now}\n"
        )
        with pytest.raises(PolicyError) as info:
            parse_policy(text, name="p.yaml")
        assert str(info.value).splitlines()[0] == (
            "p.yaml:5:53: error: expected a contact role, got `all billing now`"
        )


class TestPlans:
    def test_both_actions_to_every_billing_contact_with_a_copy(self) -> None:
        """Odoo follow-up levels may send an e-mail and print a letter at once.

        Here both, to each billing contact in name order, with the decision maker copied.
        """
        plan = POLICY.plan([acme()], as_of=date(2026, 10, 15))
        got = [(str(a.channel), a.contact.name if a.contact else None) for a in plan.actions]
        assert got == [("letter", "Ana"), ("letter", "Bo"), ("email", "Ana"), ("email", "Bo")]
        assert {tuple(c.name for c in a.cc) for a in plan.actions} == {("Dan",)}
        assert plan.actions[1].explanation == (
            "step second (14 days past due) is the most advanced step due",
            "timeline standard (for all accounts)",
            "step second does letter and email: one contact for min gap",
            "to all billing: contact Bo (2 of 2)",
            "cc: Dan (decision_maker)",
            "priority 0",
        )

    def test_one_contact_for_min_gap(self) -> None:
        """Both messages logged on day 14 are one contact: the next step waits 3 days from it."""
        done = acme(
            activity("2026-10-15", "letter", "second"), activity("2026-10-15", "email", "second")
        )
        assert POLICY.plan([done], as_of=date(2026, 10, 17)).actions == ()
        state = POLICY.plan([done], as_of=date(2026, 10, 17)).state("C-1")
        assert state.steps_done == ("second",)
        nxt = POLICY.plan([done], as_of=date(2026, 10, 18)).actions
        assert [(a.step, str(a.channel)) for a in nxt] == [("third", "email")]

    def test_the_step_is_done_once_either_action_is_logged(self) -> None:
        """A step of two actions is not planned again after one of them was logged."""
        half = acme(activity("2026-10-15", "letter", "second"))
        assert POLICY.plan([half], as_of=date(2026, 10, 16)).state("C-1").steps_done == ("second",)

    def test_to_all_without_anyone_of_the_role_falls_back_to_one_contact(self) -> None:
        """With no billing contact, `to all billing` addresses one contact, as `to` does."""
        lone = account(invoice("900 EUR", due="2026-10-01"), contact("Dan", "decision_maker"))
        plan = POLICY.plan([lone], as_of=date(2026, 10, 15))
        assert [(str(a.channel), a.contact.name if a.contact else None) for a in plan.actions] == [
            ("letter", "Dan"),
            ("email", "Dan"),
        ]
        assert "no billing contact on file: fell back to Dan (decision_maker)" in (
            plan.actions[0].explanation
        )
        assert "cc decision_maker: no other decision_maker contact on file to copy" in (
            plan.actions[0].explanation
        )

    def test_a_call_copies_no_one(self) -> None:
        """`cc` copies written messages only: a call has no `cc`."""
        policy = parse_policy(
            'policy "C"\ntimeline t for all\n'
            "  step c 10 days past due call to billing cc decision_maker\n",
            name="c.arc",
        )
        (call,) = policy.plan([acme()], as_of=date(2026, 10, 11)).actions
        assert call.cc == ()
        assert not any(line.startswith("cc") for line in call.explanation)

    def test_plans_do_not_depend_on_the_order_of_contacts(self) -> None:
        """Whatever the order the contacts come in, the plan is the same."""
        people = [
            contact("Bo", "billing"),
            contact("Ana", "billing"),
            contact("Dan", "decision_maker"),
            contact("Cy", "decision_maker"),
        ]
        plans = {
            POLICY.plan(
                [account(invoice("900 EUR", due="2026-10-01"), *order, id="C-1")],
                as_of=date(2026, 10, 15),
            ).to_json()
            for order in itertools.permutations(people)
        }
        assert len(plans) == 1


class TestChecker:
    def test_the_same_action_twice_is_an_error(self) -> None:
        """`email "a" and email "a"` is one e-mail written twice."""
        source = 'policy "P"\ntimeline t for all\n  step s 1 day past due email "a" and email "a"\n'
        assert error(source) == (
            'p.arc:3:39: error: step `s` does `email "a"` twice\n'
            '  3 |   step s 1 day past due email "a" and email "a"\n'
            "    |                                       ^^^^^^^^^"
        )

    def test_the_contact_comes_first(self) -> None:
        """A contact after an internal action is an error whose hint shows the order."""
        source = (
            'policy "P"\ntimeline t for all\n'
            '  step h 60 days past due hold shipments and letter "hold_notice"\n'
        )
        assert error(source) == (
            "p.arc:3:46: error: step `h` reaches the customer, but its first action "
            "`hold shipments` does not\n"
            '  3 |   step h 60 days past due hold shipments and letter "hold_notice"\n'
            "    |                                              ^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: write the contact first (the first action decides whether the step counts "
            'as a contact for `min gap`): `letter "hold_notice" and hold shipments`'
        )

    def test_cc_needs_a_contact(self) -> None:
        """`cc` on a step that reaches no one is an error; copying the addressee a warning."""
        source = (
            'policy "P"\ntimeline t for all\n  step h 60 days past due hold shipments cc billing\n'
        )
        assert error(source).splitlines()[0] == (
            "p.arc:3:3: error: step `h` reaches no contact: `cc` has no one to address"
        )
        policy = parse_policy(
            'policy "P"\ntimeline t for all\n'
            '  step e 1 day past due email "e" to billing cc billing\n',
            name="p.arc",
        )
        assert [w.message for w in policy.warnings] == [
            "step `e` copies `billing`, whom it already addresses"
        ]

    def test_an_unknown_cc_role_gets_did_you_mean(self) -> None:
        """The `cc` role is checked like every role."""
        source = 'policy "P"\ntimeline t for all\n  step e 1 day past due email "e" cc biling\n'
        assert error(source).splitlines()[0] == "p.arc:3:38: error: unknown contact role `biling`"


class TestDocuments:
    def test_documents_of_one_step_get_file_names_of_their_own(self) -> None:
        """A letter and an e-mail of one step are two documents, never one file overwritten."""
        policy = parse_policy(
            'policy "D"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due letter "friendly_reminder"'
            ' and email "friendly_reminder" to all billing\n',
            name="d.arc",
        )
        acct = acme()
        plan = policy.plan([acct], as_of=date(2026, 10, 2))
        docs = render_documents(plan, [acct], policy=policy)
        assert [(d.stem, d.channel) for d in docs] == [
            ("C-1-reminder-letter-1", "letter"),
            ("C-1-reminder-letter-2", "letter"),
            ("C-1-reminder-email-1", "email"),
            ("C-1-reminder-email-2", "email"),
        ]
        single = parse_policy(
            'policy "S"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "friendly_reminder" to billing\n',
            name="s.arc",
        )
        alone = render_documents(
            single.plan([acct], as_of=date(2026, 10, 2)), [acct], policy=single
        )
        assert [d.stem for d in alone] == ["C-1-reminder"]

    def test_the_templates_of_every_action_are_checked(self) -> None:
        """`arcollect check --templates` looks for the template of a step's `and` action too."""
        policy = parse_policy(
            'policy "T"\n  currency EUR\n  locale en_US\ntimeline t for all\n'
            '  step reminder 1 day past due letter "friendly_reminder" and email "no_such"\n',
            name="t.arc",
        )
        with pytest.raises(PolicyError) as info:
            check_templates(policy)
        assert [d.message for d in info.value.diagnostics] == [
            "no template `no_such` for locale en_US or en_US",
            "no template `no_such` for locale en or en_US",
            "no template `no_such` for locale de or en_US",
            "no template `no_such` for locale fr or en_US",
        ]
