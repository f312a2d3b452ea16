"""Tests of arcollect.letters.summary: call outcomes, confirmations and the records to log."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from arcollect import (
    Account,
    CallOutcome,
    CallSummary,
    DataError,
    DisputeReason,
    Money,
    Outcome,
    load_policy,
    read_portfolio_document,
    summarize,
)
from arcollect.letters.summary import DisputeRaised, DocumentToSend, PromiseMade
from arcollect.testing import account, contact, invoice

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
DOC = read_portfolio_document(ROOT / "examples" / "portfolio.yaml")
ACME = DOC.accounts[0]
CALL_DAY = date(2026, 11, 23)
PROMISED = date(2026, 12, 4)


def eur(text: str) -> Money:
    return Money.parse(f"{text} EUR")


def debtor(**fields: Any) -> Account:
    return account(
        contact("Dee Boss", "decision_maker", phone="+49 1"),
        invoice("6000 EUR", due="2026-11-10", number="INV-7"),
        **fields,
    )


def promised(**fields: Any) -> CallOutcome:
    return CallOutcome(
        CALL_DAY,
        "Dee Boss",
        Outcome.PROMISE,
        promise=PromiseMade(eur("6000"), PROMISED, "bank_transfer"),
        **fields,
    )


def message(exc: pytest.ExceptionInfo[DataError]) -> str:
    return str(exc.value)


class TestConfirmation:
    def test_german_confirmation_repeats_the_agreement(self) -> None:
        """Amount, date, method, the dispute and the documents with their sender come back."""
        outcome = CallOutcome(
            CALL_DAY,
            "Jane Roe",
            "promise",
            promise=PromiseMade(eur("3000.00"), PROMISED, "bank_transfer"),
            dispute=DisputeRaised("pricing_error", ["INV-2"], eur("500")),
            documents=[
                DocumentToSend("eine Kopie der Rechnung INV-1", "us"),
                DocumentToSend("den Liefernachweis zu PO-81", "them"),
            ],
        )
        s = summarize(ACME, outcome, policy=STANDARD, company=DOC.company)
        assert s.locale == "de_DE"
        assert s.subject == (
            "Zusammenfassung unseres Telefonats vom 23. November 2026, Kundennummer C-1001"
        )
        lines = s.text.splitlines()
        for expected in (
            "Guten Tag Jane Roe,",
            "Zahlung: Sie zahlen 3.000,00\xa0€ bis zum 4. Dezember 2026 per Überweisung.",
            (
                "Beanstandung: Sie haben einen Preisfehler gemeldet, betroffen Rechnung INV-2 "
                "(500,00\xa0€). Wir prüfen den Vorgang und melden uns; die übrigen Rechnungen "
                "bleiben fällig."
            ),
            "  - eine Kopie der Rechnung INV-1",
            "  - den Liefernachweis zu PO-81",
            "Lena Vogt, Credit Controller",
        ):
            assert expected in lines
        assert lines.index("Wir senden Ihnen:") + 1 == lines.index(
            "  - eine Kopie der Rechnung INV-1"
        )
        assert lines.index("Bitte senden Sie uns:") + 1 == lines.index(
            "  - den Liefernachweis zu PO-81"
        )

    def test_locale_follows_contact_then_account_then_policy(self) -> None:
        """The contact's language wins, then the account's locale, then the policy's en_US."""
        fr = account(
            contact("Zoé", language="fr_FR"), invoice("600 EUR", due="2026-11-10"), locale="de_DE"
        )
        outcome = CallOutcome(CALL_DAY, "Zoé", Outcome.REACHED)
        assert summarize(fr, outcome, policy=STANDARD).locale == "fr_FR"
        de = attrs.evolve(fr, contacts=(contact("Zoé"),))
        assert summarize(de, outcome, policy=STANDARD).locale == "de_DE"
        en = attrs.evolve(de, locale=None)
        s = summarize(en, outcome, policy=STANDARD)
        assert s.locale == "en_US"
        assert s.subject == "Summary of our call of November 23, 2026, account C-1"

    def test_follow_up_date_is_named(self) -> None:
        """A next follow-up date is repeated in the contact's locale."""
        outcome = promised(next_follow_up=date(2026, 12, 7))
        text = summarize(debtor(), outcome, policy=STANDARD).text
        assert "We will be in touch again on December 7, 2026." in text.splitlines()


class TestRecords:
    def test_records_to_log(self) -> None:
        """An activity (call, outcome, notes), a promise by the contact, a dispute on the day."""
        outcome = promised(
            dispute=DisputeRaised(DisputeReason.NOT_DELIVERED, ["INV-7"]), notes="Pays Friday."
        )
        s = summarize(debtor(), outcome, policy=STANDARD)
        assert s.activity.channel == "call"
        assert s.activity.outcome is Outcome.PROMISE
        assert s.activity.contact == "Dee Boss"
        assert s.activity.notes == "Pays Friday."
        assert s.activity.step is None
        assert s.promise is not None
        assert (s.promise.made_on, s.promise.amount, s.promise.due, s.promise.by) == (
            CALL_DAY,
            eur("6000"),
            PROMISED,
            "Dee Boss",
        )
        assert s.dispute is not None
        assert (s.dispute.opened, s.dispute.reason, s.dispute.invoices) == (
            CALL_DAY,
            DisputeReason.NOT_DELIVERED,
            ("INV-7",),
        )

    def test_planned_call_is_the_step_logged(self) -> None:
        """With the plan, the call the plan has for the account is the activity's step."""
        acct = debtor()
        plan = STANDARD.plan([acct], as_of=CALL_DAY)
        assert [a.step for a in plan.actions_for(acct.id)] == ["first_call"]
        s = summarize(acct, promised(), policy=STANDARD, plan=plan)
        assert (s.activity.step, s.activity.timeline) == ("first_call", "standard")

    def test_logged_promise_is_followed_up_on_the_promised_date(self) -> None:
        """Logged, the promise pauses escalation until its date, then is followed up that day."""
        acct = debtor()
        plan = STANDARD.plan([acct], as_of=CALL_DAY)
        s: CallSummary = summarize(acct, promised(), policy=STANDARD, plan=plan)
        assert s.promise is not None
        logged = attrs.evolve(
            acct,
            activities=(*acct.activities, s.activity),
            promises=(*acct.promises, s.promise),
        )
        assert s.log(acct) == logged
        for day in (date(2026, 11, 24), date(2026, 11, 30), date(2026, 12, 3)):
            assert STANDARD.plan([logged], as_of=day).actions_for(acct.id) == (), day
        on_the_day = STANDARD.plan([logged], as_of=PROMISED).actions_for(acct.id)
        assert [(a.step, str(a.channel), a.contact and a.contact.name) for a in on_the_day] == [
            ("promise_follow_up", "call", "Dee Boss")
        ]


class TestValidation:
    def test_promise_outcome_needs_a_promise(self) -> None:
        """An outcome 'promise' without the promise is an error at `promise`."""
        with pytest.raises(DataError) as exc:
            CallOutcome(CALL_DAY, "Dee Boss", "promise")
        assert message(exc) == (
            "promise: the outcome 'promise' needs the promise: amount, due, method"
        )

    def test_promise_with_another_outcome_and_dates_before_the_call(self) -> None:
        """Every problem is listed with its path: outcome mismatch, past dates."""
        with pytest.raises(DataError) as exc:
            CallOutcome(
                CALL_DAY,
                "Dee Boss",
                "no_answer",
                promise=PromiseMade(eur("1"), date(2026, 11, 1)),
                next_follow_up=date(2026, 11, 2),
            )
        assert message(exc) == (
            "data: 3 problems\n"
            "  promise: a promise comes with the outcome 'promise' or 'dispute', not 'no_answer'\n"
            "  promise.due: the promised date 2026-11-01 is before the call (2026-11-23)\n"
            "  next_follow_up: the follow-up date 2026-11-02 is before the call (2026-11-23)"
        )

    def test_unknown_words_get_did_you_mean(self) -> None:
        """A misspelt method or sender is an error at its field, with a suggestion."""
        with pytest.raises(DataError) as exc:
            PromiseMade(eur("1"), PROMISED, "bank_transfr")
        assert message(exc) == (
            "method: unknown value 'bank_transfr'; did you mean 'bank_transfer'? "
            "(one of bank_transfer, card, cheque, direct_debit, cash, other)"
        )
        with pytest.raises(DataError) as exc:
            DocumentToSend("a copy", "we")
        assert message(exc).startswith("sender: ")

    def test_promise_and_dispute_must_fit_the_account(self) -> None:
        """Another currency or an unknown invoice is an error at the outcome's field path."""
        outcome = CallOutcome(
            CALL_DAY,
            "Dee Boss",
            "promise",
            promise=PromiseMade(Money.parse("10 USD"), PROMISED),
            dispute=DisputeRaised("quality", ["INV-8"]),
        )
        with pytest.raises(DataError) as exc:
            summarize(debtor(), outcome, policy=STANDARD)
        assert message(exc) == (
            "data: 2 problems\n"
            "  promise.amount: expected an amount in EUR, the account's currency, got 10.00 USD\n"
            "  dispute.invoices[0]: account C-1 has no invoice 'INV-8'; did you mean 'INV-7'?"
        )
