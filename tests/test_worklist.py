"""Tests of arcollect.letters.worklist: the plan a collector can work from."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from pathlib import Path

import pytest

from arcollect import Collector, load_policy
from arcollect.engine.model import PlannedAction
from arcollect.errors import ArcollectError, UnknownAccountError
from arcollect.letters.worklist import WORKLIST_KEYS, worklist
from arcollect.testing import account, contact, invoice

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
AS_OF = date(2026, 11, 23)

VOGT = Collector("Lena Vogt", phone="+49 40 5550123")
BRAUN = Collector("Tom Braun")


def accounts() -> list:  # type: ignore[type-arg]
    """A call (11 days past due), an agency referral (114 days), and a GBP account (an error)."""
    return [
        account(
            contact(
                "Jane Roe", "decision_maker", phone="+49 30 1234567", email="jane@acme.example"
            ),
            invoice("1,200 EUR", due="2026-11-12", number="A-1"),
            id="C-1",
            name="Acme GmbH",
            collector=VOGT,
        ),
        account(
            contact("Max", "decision_maker"),
            invoice("3,000 EUR", due="2026-08-01"),
            id="C-2",
            collector=BRAUN,
        ),
        account(
            invoice("700 GBP", due="2026-10-01"),
            id="C-3",
            name="Brixton Supplies Ltd",
            collector=VOGT,
        ),
    ]


class TestWorklist:
    def test_items_carry_customer_overdue_days_contact_and_collector(self) -> None:
        """Each action carries the customer's name, overdue, days past due, phone and e-mail."""
        accts = accounts()
        work = worklist(STANDARD.plan(accts, as_of=AS_OF), accts)
        (call,) = work.contacts
        assert (call.action.step, call.customer, str(call.overdue), call.days_past_due) == (
            "first_call",
            "Acme GmbH",
            "1200.00 EUR",
            11,
        )
        assert (call.phone, call.email, call.collector, call.task) == (
            "+49 30 1234567",
            "jane@acme.example",
            "Lena Vogt",
            "contact",
        )

    def test_internal_tasks_are_apart(self) -> None:
        """A referral is an internal task, not a customer contact; a nameless account its id."""
        accts = accounts()
        work = worklist(STANDARD.plan(accts, as_of=AS_OF), accts)
        assert [(i.action.step, i.customer, i.task) for i in work.internal] == [
            ("agency", "C-2", "internal")
        ]

    def test_an_account_not_planned_is_listed_with_its_error(self) -> None:
        """The GBP account the EUR policy cannot plan is in the errors, with the reason."""
        accts = accounts()
        work = worklist(STANDARD.plan(accts, as_of=AS_OF), accts)
        assert [e.to_record() for e in work.errors] == [
            {
                "account": "C-3",
                "customer": "Brixton Supplies Ltd",
                "collector": "Lena Vogt",
                "error": "cannot evaluate the policy for this account: the account is in GBP, "
                "the policy in EUR: convert the amounts or use a policy in the account's "
                "currency",
            }
        ]

    def test_filters(self) -> None:
        """--collector keeps that collector's actions and errors; channel and tier narrow too."""
        accts = accounts()
        plan = STANDARD.plan(accts, as_of=AS_OF)
        braun = worklist(plan, accts, collector="Tom Braun")
        assert ([i.action.step for i in braun.items], braun.errors) == (["agency"], ())
        calls = worklist(plan, accts, channel="call")
        assert [i.action.step for i in calls.items] == ["first_call"]
        assert [e.account for e in calls.errors] == ["C-3"]  # errors have no channel
        tier = plan.actions[0].tier
        assert all(i.action.tier == tier for i in worklist(plan, accts, tier=tier).items)
        assert worklist(plan, accts, tier="Z").items == ()

    def test_an_unknown_collector_or_channel_is_an_error_with_a_hint(self) -> None:
        """A misspelt collector or channel is refused with a did-you-mean."""
        accts = accounts()
        plan = STANDARD.plan(accts, as_of=AS_OF)
        with pytest.raises(ArcollectError) as info:
            worklist(plan, accts, collector="Lena Vgot")
        assert (
            str(info.value) == "no account has the collector 'Lena Vgot'; did you mean 'Lena Vogt'?"
        )
        with pytest.raises(ArcollectError) as info:
            worklist(plan, accts, channel="cal")
        assert str(info.value) == "unknown channel 'cal'; did you mean 'call'?"

    def test_an_account_missing_from_the_accounts_is_an_error(self) -> None:
        """A plan naming an account not given is refused, never skipped."""
        accts = accounts()
        plan = STANDARD.plan(accts, as_of=AS_OF)
        with pytest.raises(UnknownAccountError) as info:
            worklist(plan, accts[1:])
        assert str(info.value) == (
            "the plan names account 'C-1', which is not among the accounts given"
        )


class TestOutputs:
    def test_json_adds_the_worklist_keys_and_errors(self) -> None:
        """The JSON is the plan's, with worklist keys on each action and an errors list."""
        accts = accounts()
        plan = STANDARD.plan(accts, as_of=AS_OF)
        work = worklist(plan, accts)
        doc = json.loads(work.to_json())
        assert set(doc) == {"as_of", "policy", "actions", "states", "errors"}
        assert list(work.to_records()[0]) == list(WORKLIST_KEYS[:-1])
        assert doc["actions"] == work.to_records()
        assert [e["account"] for e in doc["errors"]] == ["C-3"]
        assert doc["states"] == json.loads(plan.to_json())["states"]

    def test_csv_has_the_actions_then_the_errors(self) -> None:
        """The CSV has one row per action, then one per account not planned, its error set."""
        accts = accounts()
        text = worklist(STANDARD.plan(accts, as_of=AS_OF), accts).to_csv()
        rows = list(csv.DictReader(io.StringIO(text)))
        assert text.splitlines()[0] == ",".join(WORKLIST_KEYS)
        assert WORKLIST_KEYS[: len(PlannedAction.RECORD_KEYS)] == PlannedAction.RECORD_KEYS
        assert [(r["account"], r["step"], r["phone"], r["error"][:15]) for r in rows] == [
            ("C-2", "agency", "", ""),  # plan order: the larger overdue first
            ("C-1", "first_call", "+49 30 1234567", ""),
            ("C-3", "", "", "cannot evaluate"),
        ]

    def test_table_sections(self) -> None:
        """The table shows customer contacts, then internal tasks, then accounts not planned."""
        accts = accounts()
        lines = worklist(STANDARD.plan(accts, as_of=AS_OF), accts).render_table().splitlines()
        titles = [line for line in lines if line.endswith(" (1)")]
        assert titles == [
            "Customer contacts (1)",
            "Internal tasks (1)",
            "Could not plan (1)",
        ]
        assert lines[1].split() == [
            "#",
            "account",
            "customer",
            "step",
            "action",
            "channel",
            "contact",
            "phone",
            "email",
            "overdue",
            "dpd",
            "template",
            "due",
            "priority",
            "tier",
            "collector",
        ]
        assert lines[3].split()[:4] == ["1", "C-1", "Acme", "GmbH"]
        assert lines[-1].startswith("C-3      Brixton Supplies Ltd  Lena Vogt  cannot evaluate")
