"""Charges in plans: facts interest, fees and claim; fees on actions, logged, never twice."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from arcollect import (
    Account,
    DataError,
    Money,
    Plan,
    Policy,
    call_sheet,
    parse_policy,
    render_documents,
)
from arcollect.charges import RateTable
from arcollect.engine.model import PlannedAction, PlannedCharge
from arcollect.simulate import backtest
from arcollect.testing import account, contact, invoice, payment
from commands import run
from strategies import accounts

D = date.fromisoformat

POLICY = """\
policy "Charges" version 1
  currency EUR
let big_claim = claim >= 1,050 EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder" to billing
  step demand 30 days past due letter "final_demand" to billing
  step big 40 days past due call to billing when big_claim
charges
  interest 10% per year from due
  fee 40 EUR per invoice when days_past_due >= 1
  fee 5 EUR with letter
"""

ABOVE = """\
policy "Above" version 1
  currency EUR
timeline standard for all
  step reminder 1 day past due email "friendly_reminder" to billing
charges
  interest 9% above rate "DE-base" from due
"""

DE_BASE = RateTable.of("DE-base", [("2026-01-01", "1.27")])


def eur(x: str | int) -> Money:
    return Money(Decimal(x), "EUR")


def customer(*records: object) -> Account:
    return account(
        invoice("1000 EUR", due="2026-01-31"),
        contact("Bea", "billing", email="bea@example.com"),
        *records,  # type: ignore[arg-type]
    )


class TestFacts:
    def test_interest_fees_and_claim(self) -> None:
        """Policy.facts adds the interest accrued, the fees logged, and the claim."""
        policy = parse_policy(POLICY, name="c.arc")
        fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
        acct = attrs.evolve(customer(), activities=[fee])
        f = policy.facts(acct, D("2026-03-02"))
        # 1,000 x 10 % x 30/365 = 8.2191781: 1 Feb - 2 Mar.
        assert (f.interest, f.fees, f.claim) == (eur("8.22"), eur(40), eur("1048.22"))
        assert f.charges is not None
        (detail,) = f.charges.invoices
        assert [(p.start, p.end, p.days, p.rate) for p in detail.periods] == [
            (D("2026-02-01"), D("2026-03-02"), 30, Decimal(10))
        ]

    def test_without_charges_the_facts_are_plain(self) -> None:
        """A policy without charges reads zero interest and fees, and the claim is overdue."""
        policy = parse_policy(POLICY.split("charges", maxsplit=1)[0], name="c.arc")
        f = policy.facts(customer(), D("2026-03-02"))
        assert (f.charges, f.interest, f.fees, f.claim) == (None, eur(0), eur(0), eur(1000))

    def test_claim_in_a_condition(self) -> None:
        """A step whose condition reads `claim` fires once interest and fees lift it to 1,050."""
        day40 = D("2026-03-12")
        fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
        acct = attrs.evolve(customer(), activities=[fee])
        # 1,000 x 10 % x 40/365 = 10.9589041 and the 40.00 fee: the claim is 1,050.96.
        policy = parse_policy(POLICY, name="c.arc")
        plain = parse_policy(POLICY.split("charges", maxsplit=1)[0], name="c.arc")
        assert policy.facts(acct, day40).claim == eur("1050.96")
        assert "big" in [a.step for a in policy.plan([acct], as_of=day40).actions]
        assert "big" not in [a.step for a in plain.plan([acct], as_of=day40).actions]

    def test_interest_after_the_principal_is_paid(self) -> None:
        """An account paid in full still owes the interest accrued before."""
        policy = parse_policy(ABOVE, name="a.arc")
        acct = customer(payment("1000 EUR", on="2026-03-02", to=["INV-1"]))
        f = policy.facts(acct, D("2026-06-30"), rates={"DE-base": DE_BASE})
        # by § 367 the 1,000 pays 8.34 of interest first (1,000 x 10.27 % x 29/365 = 8.1597)...
        assert f.overdue == eur(0)
        assert f.charges is not None
        (detail,) = f.charges.invoices
        assert (detail.interest_paid, detail.principal_open) == (eur("8.16"), eur("8.16"))
        # ... and the 8.16 of principal left accrues 10.27 % for 2 Mar - 30 Jun (121 days).
        assert f.interest == eur("8.44")


class TestRates:
    def test_a_missing_table_is_an_error_at_plan_time(self) -> None:
        """Planning without the table the policy names fails at once, naming it."""
        policy = parse_policy(ABOVE, name="a.arc")
        with pytest.raises(DataError) as info:
            policy.plan([customer()], as_of=D("2026-03-02"))
        assert str(info.value) == (
            "rates: the policy a.arc charges interest above the rate table 'DE-base', which was "
            "not given (given: none); pass rates={'DE-base': ...} or --rates FILE"
        )

    def test_a_table_that_starts_too_late_fails_the_account(self) -> None:
        """An account whose interest needs a day the table lacks is not planned, and says why."""
        policy = parse_policy(ABOVE, name="a.arc")
        late = RateTable.of("DE-base", [("2026-02-15", "1.27")])
        plan = policy.plan([customer()], as_of=D("2026-03-02"), rates={"DE-base": late})
        assert plan.state("C-1").error == (
            "cannot work out the account's charges: rates.DE-base: rate table 'DE-base' has "
            "no rate for 2026-02-01: its first row is effective from 2026-02-15"
        )


class TestActions:
    def test_the_first_action_carries_the_per_invoice_fee(self) -> None:
        """On day 1 the reminder charges the 40 EUR compensation for the overdue invoice."""
        plan = parse_policy(POLICY, name="c.arc").plan([customer()], as_of=D("2026-02-01"))
        (act,) = plan.actions
        assert act.charges == (
            PlannedCharge(
                "fee.invoice", eur(40), "INV-1", "fee 40 EUR per invoice when days_past_due >= 1"
            ),
        )
        assert act.to_record()["charges"] == [
            {"fee": "fee.invoice", "amount": "40.00 EUR", "invoice": "INV-1"}
        ]
        assert (
            "    + charges 40.00 EUR on INV-1: fee 40 EUR per invoice when days_past_due >= 1"
            in plan.explain("C-1").splitlines()
        )

    def test_a_letter_carries_its_fee(self) -> None:
        """The demand letter charges the 5 EUR letter fee, on the account."""
        fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
        acct = attrs.evolve(customer(), activities=[fee])
        plan = parse_policy(POLICY, name="c.arc").plan([acct], as_of=D("2026-03-02"))
        letters = [a for a in plan.actions if a.step == "demand"]
        assert [c.key for c in letters[0].charges] == ["fee.letter"]

    def test_actions_without_charges_have_no_charges_key(self) -> None:
        """A policy without charges writes the records it always wrote."""
        plain = parse_policy(POLICY.split("charges", maxsplit=1)[0], name="c.arc")
        (act,) = plain.plan([customer()], as_of=D("2026-02-01")).actions
        assert "charges" not in act.to_record()


class TestValidate:
    def test_logged_fees_are_known_steps(self) -> None:
        """An activity logging a fee of the policy is not an unknown step."""
        policy = parse_policy(POLICY, name="c.arc")
        fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
        assert policy.validate([attrs.evolve(customer(), activities=[fee])]) == ()


class TestReplay:
    def test_day_by_day_each_fee_is_charged_once(self) -> None:
        """Replayed daily for 60 days, the invoice fee is charged once and each letter once."""
        policy = parse_policy(POLICY, name="c.arc")
        acct = customer()
        charged: list[tuple[date, str]] = []
        day = D("2026-01-25")
        while day <= D("2026-03-31"):
            plan = policy.plan([acct], as_of=day)
            logged = [a for act in plan.actions if act.due == day for a in act.logged(day)]
            charged += [(a.date, a.step or "") for a in logged if (a.step or "").startswith("fee.")]
            acct = attrs.evolve(acct, activities=[*acct.activities, *logged])
            day += timedelta(days=1)
        assert charged == [(D("2026-02-01"), "fee.invoice"), (D("2026-03-02"), "fee.letter")]
        f = policy.facts(acct, D("2026-03-31"))
        # interest 1 Feb - 31 Mar: 1,000 x 10 % x 59/365 = 16.1643836
        assert (f.fees, f.interest, f.claim) == (eur(45), eur("16.16"), eur("1061.16"))

    def test_backtest_logs_fees_too(self) -> None:
        """The back-test logs the fees charged: the claim with them reaches 1,050 on day 40."""
        policy = parse_policy(POLICY, name="c.arc")
        report = backtest(policy, [customer()], D("2026-01-25"), D("2026-03-31"))
        assert [(s.step, s.actions) for s in report.steps] == [
            ("reminder", 1),
            ("demand", 1),
            ("big", 1),
        ]


PORTFOLIO = """\
currency: EUR
accounts:
  - id: C-1
    contacts: [{name: Bea, roles: [billing], email: bea@example.com}]
    invoices: [{number: INV-1, issued: 2026-01-01, due: 2026-01-31, amount: 1000.00 EUR}]
"""


class TestCommandLine:
    def test_plan_reads_rates(self, tmp_path: Path) -> None:
        """`arcollect plan --rates FILE` plans a policy that charges above a table."""
        (tmp_path / "a.arc").write_text(ABOVE, encoding="utf-8")
        (tmp_path / "p.yaml").write_text(PORTFOLIO, encoding="utf-8")
        (tmp_path / "DE-base.csv").write_text("effective_from,rate\n2026-01-01,1.27\n", "utf-8")
        args = ["plan", str(tmp_path / "a.arc"), str(tmp_path / "p.yaml"), "--as-of", "2026-02-01"]
        ok = run(*args, "--rates", str(tmp_path / "DE-base.csv"), "--format", "json")
        assert ok.returncode == 0, ok.stderr
        assert '"step": "reminder"' in ok.stdout
        missing = run(*args)
        assert missing.returncode == 1
        assert missing.stderr == (
            f"rates: the policy {tmp_path / 'a.arc'} charges interest above the rate table "
            "'DE-base', which was not given (given: none); pass rates={'DE-base': ...} or "
            "--rates FILE\n"
        )

    def test_policy_tests_read_rates(self, tmp_path: Path) -> None:
        """`arcollect test --rates FILE` runs the expect blocks of a policy charging interest."""
        expect = (
            'expect "reminder" as of 2026-02-01\n'
            "  account\n"
            "    invoice 1,000 EUR due 2026-01-31\n"
            '    contact "Bea" as billing\n'
            "  then step reminder\n"
        )
        policy = tmp_path / "a.arc"
        policy.write_text(ABOVE + expect, encoding="utf-8")
        rates = tmp_path / "rates.yaml"
        rates.write_text("DE-base:\n  - {effective_from: 2026-01-01, rate: 1.27}\n", "utf-8")
        result = run("test", str(policy), "--rates", str(rates))
        assert (result.returncode, result.stdout) == (
            0,
            f"{policy}\n  PASS  reminder\n1 passed, 0 failed\n",
        )

    def test_a_bad_rates_file_is_located(self, tmp_path: Path) -> None:
        """A bad row of the rates file is reported with the file and line."""
        (tmp_path / "a.arc").write_text(ABOVE, encoding="utf-8")
        (tmp_path / "p.yaml").write_text(PORTFOLIO, encoding="utf-8")
        rates = tmp_path / "DE-base.csv"
        rates.write_text("effective_from,rate\n2026-01-01,one\n", "utf-8")
        result = run(
            "plan", str(tmp_path / "a.arc"), str(tmp_path / "p.yaml"),
            "--as-of", "2026-02-01", "--rates", str(rates),
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stderr == (
            f"{rates}: 1 problem\n  line 2: rate: expected a rate in percent per year such as "
            "3.62 or '3.62%', got 'one'\n"
        )


class TestLetters:
    def plan(self) -> tuple[Policy, Account, Plan]:
        policy = parse_policy(POLICY, name="c.arc")
        fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
        acct = attrs.evolve(customer(), activities=[fee])
        return policy, acct, policy.plan([acct], as_of=D("2026-03-02"))

    def test_a_final_demand_states_interest_and_fees(self) -> None:
        """The demand letter lists the interest, the fees (its own 5.00 too) and the total."""
        policy, acct, plan = self.plan()
        (doc,) = render_documents(plan, [acct], policy=policy)
        lines = doc.text.splitlines()
        start = lines.index("  Amount due: €1,000.00")
        assert lines[start : start + 5] == [
            "  Amount due: €1,000.00",
            "  Invoice INV-1: interest €8.22 (30 days at 10% a year), fees €40.00",
            "  Interest on late payment: €8.22",
            "  Fees: €45.00",
            "  Total with interest and fees: €1,053.22",
        ]
        assert "We hereby demand payment of €1,053.22 in full by March 12, 2026." in lines
        assert doc.html is not None
        assert '<tr><th colspan="3">Total with interest and fees</th><th>€1,053.22</th></tr>' in (
            doc.html
        )

    def test_a_call_sheet_states_them(self) -> None:
        """The call sheet says the interest and fees owed, and the claim with them."""
        policy, acct, plan = self.plan()
        text = call_sheet(acct, plan, policy=policy).render()
        assert text.splitlines()[3] == (
            "Interest on late payment €8.22; fees €40.00; with them €1,048.22"
        )

    def test_without_charges_nothing_is_added(self) -> None:
        """A policy without charges writes no charge line."""
        plain = parse_policy(POLICY.split("charges", maxsplit=1)[0], name="c.arc")
        acct = customer()
        plan = plain.plan([acct], as_of=D("2026-03-02"))
        (doc,) = render_documents(plan, [acct], policy=plain)
        assert "Interest" not in doc.text
        assert "Interest" not in call_sheet(acct, plan, policy=plain).render()


class TestFrames:
    def plan(self) -> Plan:
        return parse_policy(POLICY, name="c.arc").plan([customer()], as_of=D("2026-02-01"))

    def test_pandas_has_a_charges_column(self) -> None:
        """With charges, the pandas frame ends with a `charges` column of charge records."""
        pytest.importorskip("pandas")
        frame = self.plan().to_pandas()
        assert list(frame.columns) == [*PlannedAction.RECORD_KEYS, "charges"]
        assert frame["charges"][0] == [
            {"fee": "fee.invoice", "amount": "40.00 EUR", "invoice": "INV-1"}
        ]

    def test_polars_has_a_charges_column(self) -> None:
        """With charges, the polars frame has a `charges` list of structs."""
        pytest.importorskip("polars")
        frame = self.plan().to_polars()
        assert frame.columns == [*PlannedAction.RECORD_KEYS, "charges"]
        assert frame["charges"].to_list() == [
            [{"fee": "fee.invoice", "amount": "40.00 EUR", "invoice": "INV-1"}]
        ]


class TestExplain:
    def test_the_state_says_its_charges(self) -> None:
        """Plan.explain says the account's interest and fees when the policy has charges."""
        plan = parse_policy(POLICY, name="c.arc").plan([customer()], as_of=D("2026-03-02"))
        assert plan.explain("C-1").splitlines()[2] == "  charges: interest 8.22 EUR, fees 0.00 EUR"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de_DE", "  Gesamt mit Zinsen und Gebühren: 1.053,22\xa0€"),
        ("fr_FR", "  Total avec pénalités et frais : 1\u202f053,22\xa0€"),
    ],
)
def test_german_and_french_demands_state_the_total(locale: str, expected: str) -> None:
    """The German and French final demands state the total with interest and fees."""
    policy = parse_policy(POLICY, name="c.arc")
    fee = PlannedCharge("fee.invoice", eur(40), "INV-1", "x").activity(D("2026-02-01"))
    acct = attrs.evolve(customer(), activities=[fee], locale=locale)
    (doc,) = render_documents(policy.plan([acct], as_of=D("2026-03-02")), [acct], policy=policy)
    assert expected in doc.text.splitlines()


class TestReplayProperty:
    @settings(max_examples=30, deadline=None)
    @given(accounts(currency="EUR"), st.integers(0, 200))
    def test_no_fee_is_charged_twice(self, acct: Account, offset: int) -> None:
        """Replayed daily for 60 days, no invoice is charged the per-invoice fee twice."""
        policy = parse_policy(POLICY, name="c.arc")
        acct = attrs.evolve(acct, contacts=[contact("Bea", "billing", email="b@example.com")])
        day = D("2026-01-01") + timedelta(days=offset)
        keys: list[tuple[str, str | None]] = []
        for _ in range(60):
            plan = policy.plan([acct], as_of=day)
            logged = [a for act in plan.actions if act.due == day for a in act.logged(day)]
            keys += [(a.step, a.invoice) for a in logged if a.step == "fee.invoice"]
            acct = attrs.evolve(acct, activities=[*acct.activities, *logged])
            day += timedelta(days=1)
        event(f"fees charged: {min(len(keys), 3)}")
        assert len(keys) == len(set(keys))
        f = policy.facts(acct, day)
        assert f.fees == eur(40) * len(keys) + eur(5) * sum(
            1 for a in acct.activities if a.step == "fee.letter"
        )
