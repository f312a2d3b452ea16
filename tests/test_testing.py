"""The builders of `arcollect.testing` build what their docstrings say, and compose into accounts.

Users call these builders in their own tests, so each is checked as a user sees it: the whole
record it returns, with its defaults, its dates parsed and its amounts in their currency.
"""

from __future__ import annotations

from datetime import date

import pytest

import arcollect
from arcollect import (
    Account,
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Money,
    Outcome,
    Payment,
    Promise,
    testing,
)
from arcollect.testing import (
    AUTO_NUMBER,
    account,
    activity,
    contact,
    day,
    dispute,
    invoice,
    payment,
    promise,
)


class TestModule:
    def test_all_lists_the_builders(self) -> None:
        """`__all__` is sorted and names the placeholder and every builder."""
        assert testing.__all__ == [
            "AUTO_NUMBER",
            "account",
            "activity",
            "contact",
            "day",
            "dispute",
            "invoice",
            "payment",
            "promise",
            "snooze",
        ]


class TestDay:
    def test_parses_an_iso_date(self) -> None:
        """A string is read as an ISO date."""
        assert day("2026-10-01") == date(2026, 10, 1)

    def test_keeps_a_date(self) -> None:
        """A date is returned as it is."""
        assert day(date(2026, 2, 28)) == date(2026, 2, 28)


class TestInvoice:
    def test_defaults(self) -> None:
        """An invoice is issued 30 days before it is due and waits for `account` to number it."""
        assert invoice("1,200 EUR", due="2026-10-01") == Invoice(
            AUTO_NUMBER,
            issued=date(2026, 9, 1),
            due=date(2026, 10, 1),
            amount=Money("1200.00", "EUR"),
        )
        assert AUTO_NUMBER == "INV-?"

    def test_every_field_can_be_given(self) -> None:
        """Number, issue date, a Money amount and the invoice's other fields pass through."""
        built = invoice(
            Money("99.5", "USD"),
            due=date(2026, 3, 31),
            issued="2026-03-15",
            number="A-7",
            po_number="PO-1",
            delivered=False,
        )
        assert built == Invoice(
            "A-7",
            issued=date(2026, 3, 15),
            due=date(2026, 3, 31),
            amount=Money("99.50", "USD"),
            po_number="PO-1",
            delivered=False,
        )

    def test_amount_keeps_its_currency(self) -> None:
        """The amount's text gives the currency, with its minor unit (none for yen)."""
        built = invoice("100000 JPY", due="2026-10-01")
        assert (built.amount, str(built.amount.amount)) == (Money("100000", "JPY"), "100000")


class TestPayment:
    def test_unapplied_by_default(self) -> None:
        """A payment without *to* is unapplied cash."""
        assert payment("200 EUR", on="2026-10-20") == Payment(
            date(2026, 10, 20), Money("200.00", "EUR"), applies_to=()
        )

    def test_applied_to_invoices(self) -> None:
        """*to* lists the invoices the payment applies to, in order; other fields pass through."""
        built = payment("300 EUR", on="2026-10-20", to=["INV-2", "INV-1"], reference="wire 42")
        assert built == Payment(
            date(2026, 10, 20),
            Money("300.00", "EUR"),
            reference="wire 42",
            applies_to=("INV-2", "INV-1"),
        )


class TestPromise:
    def test_promise(self) -> None:
        """A promise to pay an amount by a date, made on a date, with nothing else by default."""
        assert promise("1,000 EUR", due="2026-11-30", made="2026-11-20") == Promise(
            date(2026, 11, 20), Money("1000.00", "EUR"), date(2026, 11, 30)
        )

    def test_fields_pass_through(self) -> None:
        """Who made it, its grace days and its installments are the promise's own fields."""
        part = Installment(date(2026, 11, 15), Money("500", "EUR"))
        built = promise(
            "500 EUR",
            due="2026-11-15",
            made="2026-11-01",
            by="Jane",
            grace_days=2,
            installments=[part],
        )
        assert built == Promise(
            date(2026, 11, 1),
            Money("500.00", "EUR"),
            date(2026, 11, 15),
            by="Jane",
            installments=(part,),
            grace_days=2,
        )


class TestDispute:
    def test_unspecified_reason_by_default(self) -> None:
        """A dispute over invoices, opened on a date, has an unspecified reason by default."""
        assert dispute("INV-1", "INV-2", opened="2026-10-05") == Dispute(
            date(2026, 10, 5), DisputeReason.UNSPECIFIED, invoices=("INV-1", "INV-2")
        )

    def test_reason_as_a_word(self) -> None:
        """The reason may be given as its word; other fields pass through."""
        built = dispute("INV-1", opened="2026-10-05", reason="quality", owner="Sam")
        assert built == Dispute(
            date(2026, 10, 5), DisputeReason.QUALITY, invoices=("INV-1",), owner="Sam"
        )


class TestActivity:
    def test_channel_and_step(self) -> None:
        """An activity on a day, by a channel given as its word, for a step."""
        assert activity("2026-10-02", "email", "reminder") == Activity(
            date(2026, 10, 2), Channel.EMAIL, step="reminder"
        )

    def test_no_step_by_default(self) -> None:
        """Without a step the activity is not one of the policy's steps."""
        assert activity(date(2026, 10, 2), Channel.CALL) == Activity(
            date(2026, 10, 2), Channel.CALL
        )

    def test_outcome_as_a_word(self) -> None:
        """The outcome may be given as its word; other fields pass through."""
        built = activity("2026-10-12", "call", "first_call", outcome="irate", invoice="INV-1")
        assert built == Activity(
            date(2026, 10, 12),
            Channel.CALL,
            step="first_call",
            outcome=Outcome.IRATE,
            invoice="INV-1",
        )


class TestContact:
    def test_roles(self) -> None:
        """A contact's roles are the words after its name."""
        assert contact("Jane Roe", "billing", "decision_maker") == Contact(
            "Jane Roe", roles=frozenset({"billing", "decision_maker"})
        )

    def test_no_role_and_other_fields(self) -> None:
        """A contact may have no role; its other fields pass through."""
        assert contact("Otto", can_authorize_payment=True) == Contact(
            "Otto", roles=frozenset(), can_authorize_payment=True
        )


class TestAccount:
    def test_empty_account(self) -> None:
        """With no record and no currency, the account is C-1 in EUR."""
        assert account() == Account("C-1", "EUR")

    def test_records_are_sorted_into_their_kinds(self) -> None:
        """Each record goes to its kind, in the order given, whatever order the kinds come in."""
        inv = invoice("1,200 EUR", due="2026-10-01", number="A-1")
        pay = payment("200 EUR", on="2026-10-20")
        prom = promise("1,000 EUR", due="2026-11-30", made="2026-11-20")
        disp = dispute("A-1", opened="2026-10-05")
        act1 = activity("2026-10-02", "email", "reminder")
        act2 = activity("2026-10-12", "call", "first_call")
        jane = contact("Jane", "billing")
        built = account(act2, jane, prom, pay, disp, inv, act1, id="K-9", tags={"key"})
        assert built == Account(
            "K-9",
            "EUR",
            tags=frozenset({"key"}),
            contacts=(jane,),
            invoices=(inv,),
            payments=(pay,),
            promises=(prom,),
            disputes=(disp,),
            activities=(act2, act1),
        )

    def test_unnumbered_invoices_are_numbered_in_order(self) -> None:
        """Invoices without a number get INV-1, INV-2... in order; given numbers are kept."""
        built = account(
            invoice("100 EUR", due="2026-10-01"),
            invoice("200 EUR", due="2026-10-02", number="X-1"),
            invoice("300 EUR", due="2026-10-03"),
        )
        assert [(i.number, i.amount) for i in built.invoices] == [
            ("INV-1", Money("100", "EUR")),
            ("X-1", Money("200", "EUR")),
            ("INV-2", Money("300", "EUR")),
        ]

    def test_numbering_starts_again_for_each_account(self) -> None:
        """The counter belongs to one `account` call: every account's first invoice is INV-1."""
        first = account(invoice("100 EUR", due="2026-10-01"), invoice("1 EUR", due="2026-10-02"))
        second = account(invoice("100 EUR", due="2026-10-01"), id="C-2")
        assert [i.number for i in first.invoices] == ["INV-1", "INV-2"]
        assert [i.number for i in second.invoices] == ["INV-1"]

    def test_currency_is_that_of_the_first_amount(self) -> None:
        """Without a currency, the account takes that of its first invoice, payment or promise."""
        assert account(payment("5 JPY", on="2026-10-01")).currency == "JPY"
        assert account(contact("Ann"), invoice("5 USD", due="2026-10-01")).currency == "USD"

    def test_currency_can_be_given(self) -> None:
        """An explicit currency wins, and the account checks its amounts against it."""
        assert account(currency="GBP") == Account("C-1", "GBP")
        with pytest.raises(arcollect.DataError) as exc:
            account(invoice("5 EUR", due="2026-10-01"), currency="USD")
        assert str(exc.value) == "invoices[0].amount: amount is in EUR, but the account is in USD"


class TestComposition:
    def test_built_account_plans(self) -> None:
        """An account of every kind of record, built in a few lines, plans as the policy says."""
        policy = arcollect.parse_policy(
            'policy "Builders" version 1\n  currency EUR\ntimeline standard for all\n'
            '  step reminder 1 day past due email "friendly_reminder" to billing\n'
            "  step first_call 10 days past due call to billing\n",
            name="builders.arc",
        )
        acct = account(
            invoice("1,200 EUR", due="2026-10-01"),
            invoice("300 EUR", due="2026-10-15"),
            payment("100 EUR", on="2026-10-09"),
            promise("100 EUR", due="2026-10-10", made="2026-10-05"),
            dispute("INV-1", opened="2026-10-03", reason="quality", resolved=date(2026, 10, 6)),
            activity("2026-10-02", "email", "reminder"),
            contact("Jane Roe", "billing"),
        )
        # Day 11 of the episode: the reminder was done on day 1, first_call (day 10) is due; the
        # promise was kept and the dispute resolved, so nothing pauses; INV-2 is not due yet and
        # the unapplied 100 EUR leaves 1,100 EUR overdue.
        plan = policy.plan([acct], as_of=date(2026, 10, 12))
        assert plan.to_dict() == {
            "as_of": "2026-10-12",
            "policy": "Builders",
            "actions": [
                {
                    "account": "C-1",
                    "step": "first_call",
                    "timeline": "standard",
                    "action": "call",
                    "channel": "call",
                    "contact": {"name": "Jane Roe", "role": "billing"},
                    "template": None,
                    "due": "2026-10-12",
                    "priority": "0",
                    "tier": None,
                    "needs_approval": None,
                    "deferred": False,
                    "invoice": None,
                    "owner": None,
                    "explanation": [
                        "step first_call (10 days past due) is the most advanced step due",
                        "timeline standard (for all accounts)",
                        "contact: Jane Roe (billing)",
                        "priority 0",
                    ],
                }
            ],
            "states": [
                {
                    "account": "C-1",
                    "timeline": "standard",
                    "episode_start": "2026-10-02",
                    "day": 11,
                    "cycle_start": "2026-10-01",
                    "step_reached": "first_call",
                    "steps_done": ["reminder"],
                    "steps_skipped": [],
                    "paused_by": [],
                    "next_step": None,
                    "next_date": None,
                    "priority": "0",
                    "tier": None,
                    "overdue": "1100.00 EUR",
                    "notes": [],
                    "error": None,
                }
            ],
        }


class TestBadWords:
    def test_bad_words_get_the_records_own_errors(self) -> None:
        """A misspelt channel, reason or date is a DataError at its field, as from the records."""
        with pytest.raises(arcollect.DataError) as channel:
            activity("2026-01-01", "emial")
        with pytest.raises(arcollect.DataError) as direct:
            arcollect.Activity(date(2026, 1, 1), "emial")
        assert channel.value.problems == direct.value.problems
        assert [p.path for p in channel.value.problems] == ["channel"]
        assert "did you mean 'email'?" in str(channel.value)
        with pytest.raises(arcollect.DataError) as reason:
            dispute("INV-1", opened="2026-01-01", reason="pricing")
        assert [p.path for p in reason.value.problems] == ["reason"]
        assert "did you mean 'pricing_error'?" in str(reason.value)
        with pytest.raises(arcollect.DataError) as due:
            invoice("1 EUR", due="2026-13-01")
        assert [(p.path, p.message) for p in due.value.problems] == [
            ("due", "expected an ISO date (YYYY-MM-DD), got '2026-13-01'")
        ]
