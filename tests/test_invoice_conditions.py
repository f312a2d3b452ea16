"""Per-invoice steps see their invoice: ``when invoice.open >= 50 EUR`` in a ``per invoice`` step.

Peers: Peakflo ("disable reminders if an invoice value is under a certain value"), ERPNext and
Invoice Ninja (reminders and dunning per sales invoice, by that invoice's own amount and dates).
"""

from __future__ import annotations

import decimal
from datetime import date

import pytest
from hypothesis import given, settings

from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.errors import EvaluationError, PolicyError
from arcollect.facts import facts
from arcollect.lang.formatter import format_policy
from arcollect.lang.yaml_writer import to_yaml
from arcollect.policy import Policy, parse_policy
from arcollect.testing import account, activity, dispute, invoice
from strategies import accounts

POLICY = """policy "Per invoice"
  currency EUR
timeline t for all
  step nudge 5 days past due per invoice email "nudge" when invoice.open >= 50 EUR
  step po 10 days past due per invoice email "po" unless invoice.po_number == "PO-1"
  step big 30 days past due per invoice letter "big" when invoice.amount >= 500 EUR and not invoice.disputed and days_past_due >= 30
"""  # noqa: E501 - a policy line as a user writes it


def _policy(text: str = POLICY) -> Policy:
    return parse_policy(text, name="t.arc")


def _acct() -> Account:
    return account(
        invoice("40 EUR", due="2026-10-25", number="A"),
        invoice("60 EUR", due="2026-10-25", number="B"),
        invoice("900 EUR", due="2026-09-15", number="C", po_number="PO-1"),
        invoice("800 EUR", due="2026-09-20", number="D"),
        invoice("700 EUR", due="2026-09-20", number="E"),
        dispute("E", opened="2026-10-01"),
    )


def _error(text: str) -> str:
    with pytest.raises(PolicyError) as err:
        _policy(text)
    return str(err.value)


class TestChecker:
    def test_outside_a_per_invoice_step_it_is_a_located_error(self) -> None:
        """An account-level step cannot read `invoice.open`; the hint says what to write."""
        text = (
            'policy "p"\ntimeline t for all\n'
            '  step s 5 days past due email "x" when invoice.open > 0 EUR\n'
        )
        assert _error(text) == (
            "t.arc:3:41: error: `invoice.open` is only known in the conditions of a `per invoice` "
            "step\n"
            '  3 |   step s 5 days past due email "x" when invoice.open > 0 EUR\n'
            "    |                                         ^^^^^^^^^^^^\n"
            "  hint: make the step `per invoice`, or use an aggregate over `invoices` "
            "(`invoices.open`, or `open` in `where`)"
        )

    def test_in_a_let_it_is_an_error(self) -> None:
        """A `let` is the account's: `invoice.due` there is an error."""
        text = 'policy "p"\nlet late = invoice.due < today\n'
        assert _error(text).splitlines()[0] == (
            "t.arc:2:12: error: `invoice.due` is only known in the conditions of a `per invoice` "
            "step"
        )

    def test_inside_an_aggregate_fields_go_without_the_prefix(self) -> None:
        """In `where`, `invoice.open` is an error: fields there are named bare, as always."""
        text = (
            'policy "p"\ntimeline t for all\n  step s 5 days past due per invoice email "x" '
            "when count(invoices where invoice.open > 0 EUR) > 1\n"
        )
        lines = _error(text).splitlines()
        assert lines[0] == (
            "t.arc:3:74: error: `invoice.open` inside an aggregate: name the fields without "
            "`invoice.`"
        )
        assert lines[-1] == (
            "  hint: in `where`, `open` is the field of the invoice being looked at"
        )

    def test_an_unknown_field_gets_a_suggestion(self) -> None:
        """`invoice.opne` is no field of an invoice; did you mean `open`?"""
        text = 'policy "p"\ntimeline t for all\n  step s 5 days past due per invoice email "x" when invoice.opne > 0 EUR\n'  # noqa: E501
        lines = _error(text).splitlines()
        assert lines[0] == "t.arc:3:53: error: invoices have no field `opne`"
        assert lines[-1] == "  hint: did you mean `open`?"

    def test_types_are_checked(self) -> None:
        """`invoice.open` is money: comparing it with a number is a located type error."""
        text = 'policy "p"\ntimeline t for all\n  step s 5 days past due per invoice email "x" when invoice.open > 50\n'  # noqa: E501
        assert _error(text).splitlines()[0] == (
            "t.arc:3:53: error: cannot compare money with a number"
        )

    def test_an_account_fact_named_like_a_field_is_warned_about(self) -> None:
        """`days_past_due` in a per-invoice condition reads the account: a warning says so."""
        policy = _policy(
            'policy "p"\ntimeline t for all\n'
            '  step s 5 days past due per invoice email "x" when days_past_due > 40\n'
        )
        (warning,) = policy.warnings
        assert (warning.message, warning.hint) == (
            "`days_past_due` is the account's, not this invoice's",
            "for the invoice the step is about, write `invoice.days_past_due`",
        )


class TestPlans:
    def test_each_invoice_is_judged_by_its_own_fields(self) -> None:
        """Small invoices get no nudge, the PO-1 invoice no `po` step, disputed ones no letter.

        Peakflo: reminders can be disabled for invoices under a fixed amount.
        """
        plan = _policy().plan([_acct()], as_of=date(2026, 11, 2))
        assert sorted((a.step, a.invoice) for a in plan.actions) == [
            ("big", "C"),
            ("big", "D"),
            ("dispute_review", "E"),
            ("nudge", "B"),
            ("po", "E"),
        ]

    def test_the_explanation_traces_the_condition_for_that_invoice(self) -> None:
        """Each action's explanation shows the values of its own invoice."""
        plan = _policy().plan([_acct()], as_of=date(2026, 11, 2))
        by_invoice = {a.invoice: a.explanation for a in plan.actions if a.step != "dispute_review"}
        assert by_invoice["B"][2] == "when: invoice.open = 60.00 EUR >= 50 EUR"
        assert by_invoice["C"][2:5] == (
            "when: invoice.amount = 900.00 EUR >= 500 EUR",
            "when: invoice.disputed = false",
            "when: days_past_due = 48 >= 30",
        )
        assert by_invoice["D"][2] == "when: invoice.amount = 800.00 EUR >= 500 EUR"
        assert by_invoice["E"][2] == 'unless: invoice.po_number = none != "PO-1"'

    def test_an_account_fact_reads_the_account(self) -> None:
        """`days_past_due` in a per-invoice condition is the account's, for every invoice."""
        text = POLICY.replace("days_past_due >= 30", "days_past_due >= 49")
        plan = _policy(text).plan([_acct()], as_of=date(2026, 11, 2))
        assert [a.invoice for a in plan.actions if a.step == "big"] == []

    def test_a_step_ruled_out_for_an_invoice_leaves_the_earlier_one(self) -> None:
        """In catch-up, the most advanced step whose conditions hold for the invoice is taken."""
        acct = account(invoice("100 EUR", due="2026-09-01", number="S"))
        plan = _policy().plan([acct], as_of=date(2026, 11, 2))
        assert [(a.step, a.invoice) for a in plan.actions] == [("po", "S")]

    def test_in_sequence_a_step_ruled_out_for_an_invoice_is_passed_over(self) -> None:
        """In sequence, the small invoice skips the nudge and gets the `po` step."""
        text = POLICY.replace("for all", "for all, in sequence")
        acct = account(invoice("30 EUR", due="2026-10-01", number="S"))
        plan = _policy(text).plan([acct], as_of=date(2026, 11, 2))
        assert [(a.step, a.invoice) for a in plan.actions] == [("po", "S")]

    def test_done_steps_stay_done_per_invoice(self) -> None:
        """A nudge logged for an invoice is not repeated, whatever its conditions."""
        acct = account(
            invoice("60 EUR", due="2026-10-25", number="B"),
            activity("2026-10-31", "email", step="nudge", invoice="B"),
        )
        assert _policy().plan([acct], as_of=date(2026, 11, 2)).actions == ()

    def test_an_evaluation_error_is_located_at_the_invoice_condition(self) -> None:
        """An invoice in another currency than the condition's amount: a located account error."""
        text = (
            'policy "p"\ntimeline t for all\n'
            '  step r 1 day past due per invoice email "r" when invoice.open >= 50 EUR\n'
        )
        acct = account(invoice("100 USD", due="2026-10-01"))
        state = _policy(text).plan([acct], as_of=date(2026, 10, 5)).state(acct.id)
        assert state.error == (
            "cannot evaluate the policy for this account: t.arc:3:52: cannot evaluate "
            "`invoice.open >= 50 EUR` for account 'C-1': cannot compare USD and EUR: convert to "
            "one currency first"
        )


class TestTwins:
    def test_format_round_trip(self) -> None:
        """`invoice.FIELD` formats back to text that parses to the same policy."""
        policy = _policy()
        text = format_policy(policy.tree)
        assert "when invoice.open >= 50 EUR" in text
        assert _policy(text).tree == policy.tree

    def test_yaml_twin_plans_the_same(self) -> None:
        """The YAML spelling gives identical plans and explanations."""
        policy = _policy()
        twin = parse_policy(to_yaml(policy.tree), name="t.yaml")
        assert twin.tree == policy.tree
        day = date(2026, 11, 2)
        mine, theirs = policy.plan([_acct()], as_of=day), twin.plan([_acct()], as_of=day)
        assert theirs.to_json() == mine.to_json()
        assert theirs.explain("C-1") == mine.explain("C-1")


COMPARED = """policy "Compared"
timeline t for all
  step a 1 day past due per invoice email "a" when invoice.open >= 100 EUR or invoice.tags contains "x"
  step b 20 days past due per invoice email "b" unless invoice.disputed or invoice.due < oldest_due + 10 days
"""  # noqa: E501


@settings(max_examples=60, deadline=None)
@given(acct=accounts(currency="EUR"))
def test_compiled_invoice_conditions_agree_with_the_interpreter(acct: Account) -> None:
    """For every invoice, the generated code and the reference interpreter give one value."""
    policy = _policy(COMPARED)
    (tl,) = policy.compiled.timelines
    f = facts(acct, date(2026, 11, 2))
    with decimal.localcontext(MONEY_CONTEXT):
        base = tl.conditions(f)
        for inv in f.invoices:
            got = tl.invoice_conditions(f, inv, base)
            for i, step in enumerate(tl.steps):
                for expr, values in ((step.when, got.when), (step.unless, got.unless)):
                    if expr is not None:
                        expected = policy.interpreter.evaluate(expr, f, invoice=inv) is True
                        assert values[i] is expected


class TestPolicyApi:
    def test_evaluate_and_trace_take_the_invoice(self) -> None:
        """`Policy.evaluate` and `Policy.trace` read `invoice.FIELD` from the invoice given."""
        policy = _policy()
        when = policy.checked.timelines[0].steps[0].when
        assert when is not None
        f = facts(_acct(), date(2026, 11, 2))
        small, large = f.invoices[-2:]
        assert (small.number, large.number) == ("A", "B")
        assert policy.evaluate(when, f, invoice=small) is False
        assert policy.trace(when, f, invoice=large) == (
            True,
            ["invoice.open = 60.00 EUR >= 50 EUR"],
        )

    def test_without_the_invoice_it_is_an_evaluation_error(self) -> None:
        """A condition that reads the invoice, evaluated without one, says what is missing."""
        policy = _policy()
        when = policy.checked.timelines[0].steps[0].when
        assert when is not None
        f = facts(_acct(), date(2026, 11, 2))
        for call in (policy.evaluate, policy.trace):
            with pytest.raises(EvaluationError) as err:
                call(when, f)
            assert str(err.value) == (
                "`invoice.open >= 50 EUR` reads `invoice.`: pass the invoice, one of the facts' "
                "invoices (invoice=facts.invoices[0])"
            )
