"""Tests of arcollect.letters.callsheet: call preparation sheets and voicemail scripts."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pytest

from arcollect import (
    Account,
    CallSheet,
    call_sheet,
    call_sheets,
    load_policy,
    read_portfolio_document,
)
from arcollect.letters.callsheet import WORDS_PER_MINUTE
from arcollect.testing import account, activity, contact, invoice, promise

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
AS_OF = date(2026, 11, 23)
DOC = read_portfolio_document(ROOT / "examples" / "portfolio.yaml")
PLAN = STANDARD.plan(DOC.accounts, as_of=AS_OF)
ACME = DOC.accounts[0]


def sheet_of(acct: Account, **kw: Any) -> CallSheet:
    plan = STANDARD.plan([acct], as_of=AS_OF)
    return call_sheet(acct, plan, policy=STANDARD, **kw)


class TestCallSheet:
    def test_contacts_in_order_of_authority(self) -> None:
        """The decision maker comes first, then accounts payable, each with a phone."""
        acct = account(
            contact("Al AP", "accounts_payable", phone="1"),
            contact("Sam Sales", "sales_rep"),
            contact("Dee Boss", can_authorize_payment=True, phone="2"),
            invoice("500 EUR", due="2026-11-10"),
        )
        text = sheet_of(acct).text
        lines = text.splitlines()
        at = lines.index("Contacts, in order of authority to pay:")
        assert lines[at + 1 : at + 4] == [
            "  1. Dee Boss [decision maker]: 2",
            "  2. Al AP: 1",
            "  3. Sam Sales: no phone",
        ]

    def test_the_acme_sheet_holds_every_element(self) -> None:
        """Invoices with PO, disputes with owner, promises, activities with notes, payments."""
        sheet = call_sheet(
            attrs.evolve(ACME, locale="en_US"), PLAN, policy=STANDARD, company=DOC.company
        )
        text = sheet.text
        for expected in (
            "  INV-1 order PO-77, due Oct 1, 2026: €10,000.00, 53 days past due",
            "  INV-2 order PO-81, due Nov 14, 2026: €3,400.00, 9 days past due, disputed",
            "  since Nov 18, 2026: pricing_error (our side), €500.00 on INV-2; owner sales",
            "  made Nov 2, 2026 by Jane Roe: €10,000.00 by Nov 15, 2026, broken (paid €0.00)",
            (
                '  Oct 12, 2026 call (first_call) with Jane Roe: promise; "Promised 10,000 by '
                'Nov 15; asked for a copy of INV-1."'
            ),
            "  Oct 20, 2026: €2,000.00 (TX-5531)",
            "  on average 19 days late",
            (
                "  The promise was broken. Ask why, politely and directly, and get a new, firm "
                "commitment: amount, date and method of payment."
            ),
            (
                "  Large balance: propose a specific action (€10,000.00 by Dec 7, 2026) and "
                "options: card payment, or instalments."
            ),
            (
                '  - "The check is in the mail": ask for the date sent, the amount and the check '
                "number."
            ),
        ):
            assert expected in text.splitlines(), expected
        assert sheet.situation == "broken_promise"
        assert "{{" not in sheet.render()
        assert "None" not in sheet.render()

    def test_first_call_objective_confirms_the_invoice(self) -> None:
        """Before any call in the episode, the objective: confirm the invoice, get a date."""
        sheet = sheet_of(account(invoice("500 EUR", due="2026-11-10", delivered=False)))
        assert sheet.situation == "first_call"
        assert (
            "  First call. Confirm the invoices were received and are correct (PO, delivery, "
            "prices), then get a payment date."
        ) in sheet.text.splitlines()
        line = (
            "  INV-1 (no order number), due Nov 10, 2026: €500.00, 13 days past due, NOT DELIVERED"
        )
        assert line in sheet.text.splitlines()
        assert "Large balance" not in sheet.text

    def test_after_a_call_it_is_a_follow_up(self) -> None:
        """A call logged in the episode makes the next one a follow-up."""
        acct = account(
            invoice("500 EUR", due="2026-11-10"), activity("2026-11-15", "call", outcome="reached")
        )
        assert sheet_of(acct).situation == "follow_up"

    def test_broken_promise_comes_first(self) -> None:
        """A broken last promise sets the objective even after calls."""
        acct = account(
            invoice("500 EUR", due="2026-10-10"),
            promise("500 EUR", due="2026-11-01", made="2026-10-20"),
            activity("2026-10-20", "call", outcome="promise"),
        )
        assert sheet_of(acct).situation == "broken_promise"

    def test_one_sheet_per_call_or_visit(self) -> None:
        """call_sheets prepares every call and visit of a plan, in plan order."""
        accts = [
            account(contact("A", "decision_maker"), invoice("500 EUR", due="2026-11-12"), id="C-1"),
            account(invoice("500 EUR", due="2026-11-20"), id="C-2"),
        ]
        plan = STANDARD.plan(accts, as_of=AS_OF)
        calls = [a.account for a in plan.actions if a.channel in {"call", "visit"}]
        sheets = call_sheets(plan, accts, policy=STANDARD)
        assert [s.account for s in sheets] == calls == ["C-1"]


class TestVoicemail:
    def test_elements_in_order(self) -> None:
        """Who, company, invoice and amount, action, name and number, the number again."""
        sheet = call_sheet(
            attrs.evolve(ACME, locale="en_US"), PLAN, policy=STANDARD, company=DOC.company
        )
        script = sheet.voicemail.splitlines()[2]
        assert script == (
            "Hello Jane Roe, this is Lena Vogt from Nordwind Industrie GmbH. I am calling about "
            "invoice INV-1 for €10,000.00. Please call me back today to confirm when the payment "
            "of €10,000.00 will be made. My name is Lena Vogt, my number is +49 40 5550123. "
            "Again, that is +49 40 5550123. Thank you."
        )
        parts = ["Lena Vogt", "Nordwind", "INV-1", "call me back", "My name", "+49", "Again"]
        positions = [script.index(p) for p in parts]
        assert positions == sorted(positions)

    def test_reading_time(self) -> None:
        """The estimate is the script's words at 130 a minute, rounded up, and says so."""
        sheet = call_sheet(
            attrs.evolve(ACME, locale="en_US"), PLAN, policy=STANDARD, company=DOC.company
        )
        script = sheet.voicemail.splitlines()[2]
        words = len(script.split())
        assert (sheet.words, sheet.seconds) == (words, -(-words * 60 // WORDS_PER_MINUTE))
        assert sheet.voicemail.splitlines()[-1] == (
            f"Reading time: about {sheet.seconds} seconds ({words} words at 130 words a minute)."
        )

    @pytest.mark.parametrize(
        ("locale", "start", "amount"),
        [
            ("de_DE", "Guten Tag Jane Roe, hier spricht Lena Vogt", "10.000,00\xa0€"),
            ("fr_FR", "Bonjour Jane Roe, ici Lena Vogt", "10\u202f000,00\xa0€"),
            ("en_GB", "Hello Jane Roe, this is Lena Vogt", "€10,000.00"),
        ],
    )
    def test_localized(self, locale: str, start: str, amount: str) -> None:
        """The script and the sheet are in the account's language, amounts in its format."""
        sheet = call_sheet(
            attrs.evolve(ACME, locale=locale), PLAN, policy=STANDARD, company=DOC.company
        )
        assert sheet.locale == locale
        assert sheet.voicemail.splitlines()[2].startswith(start)
        assert amount in sheet.voicemail
        assert "{{" not in sheet.render()
