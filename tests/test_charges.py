from __future__ import annotations

import decimal
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, DataError, Money, facts
from arcollect.charges import (
    DayCount,
    Fee,
    InterestRule,
    RateTable,
    Receipt,
    account_charges,
    allocation_order,
    invoice_charges,
    parse_rates,
)
from arcollect.testing import account, invoice, payment
from strategies import accounts

D = date.fromisoformat
PRINCIPAL_FIRST = ("principal", "interest", "costs")
TEN = InterestRule(Decimal(10))


def eur(x: str | int) -> Money:
    return Money(Decimal(x), "EUR")


def pay(on: str, amount: str | int) -> Receipt:
    return Receipt(D(on), eur(amount))


class TestFixedRate:
    def test_erpnext_dunning_example(self) -> None:
        """ERPNext's dunning test: 100.00 for 15 days at 10 % a year and a 10.00 fee is 110.41."""
        detail = invoice_charges(
            "SINV-1",
            eur(100),
            due=D("2026-03-01"),
            as_of=D("2026-03-16"),
            rule=TEN,
            fees=[Fee(D("2026-03-16"), eur(10), "dunning fee")],
        )
        assert (detail.interest, detail.fees, detail.interest + detail.fees, detail.claim) == (
            eur("0.41"),
            eur(10),
            eur("10.41"),
            eur("110.41"),
        )

    def test_partial_payment_principal_first(self) -> None:
        """29 days on 10,000 then 30 days on 6,000 at 10 %: 79.452 + 49.315 = 128.77."""
        # 10,000 x 10 % x 29/365 = 79.4520548 (1 Feb - 1 Mar); the payment lowers the
        # principal from 2 Mar: 6,000 x 10 % x 30/365 = 49.3150685 (2 - 31 Mar).
        detail = invoice_charges(
            "I-1",
            eur(10_000),
            due=D("2026-01-31"),
            as_of=D("2026-03-31"),
            rule=TEN,
            receipts=[pay("2026-03-02", 4000)],
            allocation=PRINCIPAL_FIRST,
        )
        assert detail.interest == eur("128.77")
        assert [(p.start, p.end, p.days, p.principal, p.amount) for p in detail.periods] == [
            (D("2026-02-01"), D("2026-03-01"), 29, eur(10_000), eur("79.45")),
            (D("2026-03-02"), D("2026-03-31"), 30, eur(6000), eur("49.32")),
        ]
        assert (detail.principal_open, detail.interest_open) == (eur(6000), eur("128.77"))

    def test_partial_payment_pays_interest_first_by_default(self) -> None:
        """By § 367 BGB the 4,000 pays the 79.45 of interest first, leaving 6,079.45 principal."""
        # 79.4520548 to 1 Mar, rounded 79.45 is paid; 4,000 - 79.45 = 3,920.55 of principal.
        # 6,079.45 x 10 % x 30/365 = 49.9680822; 79.4520548 + 49.9680822 = 129.4201370.
        detail = invoice_charges(
            "I-1",
            eur(10_000),
            due=D("2026-01-31"),
            as_of=D("2026-03-31"),
            rule=TEN,
            receipts=[pay("2026-03-02", 4000)],
        )
        assert (detail.interest, detail.interest_paid, detail.principal_open) == (
            eur("129.42"),
            eur("79.45"),
            eur("6079.45"),
        )
        assert detail.claim == eur("6129.42")

    def test_act_360_against_act_365(self) -> None:
        """30 days on 10,000 at 5 % is 41.10 in act/365 and 41.67 in act/360."""
        # 10,000 x 5 x 30 / 36,500 = 41.0958904; / 36,000 = 41.6666667.
        results = [
            invoice_charges(
                "I-1",
                eur(10_000),
                due=D("2026-04-30"),
                as_of=D("2026-05-30"),
                rule=InterestRule(Decimal(5), day_count=count),
            ).interest
            for count in (DayCount.ACT_365, DayCount.ACT_360)
        ]
        assert results == [eur("41.10"), eur("41.67")]

    @pytest.mark.parametrize(
        ("principal", "expected"), [("0.50", "0.00"), ("1.50", "0.02"), ("2.50", "0.02")]
    )
    def test_total_rounds_half_to_even(self, principal: str, expected: str) -> None:
        """A year at 1 % of 0.50, 1.50 and 2.50 is exactly half a cent more: it rounds to even."""
        detail = invoice_charges(
            "I-1",
            eur(principal),
            due=D("2025-01-01"),
            as_of=D("2026-01-01"),
            rule=InterestRule(Decimal(1)),
        )
        assert detail.interest == eur(expected)

    def test_rounds_once_at_the_end(self) -> None:
        """Ten periods of under half a cent each (0.00 apiece if rounded alone) make 0.03."""
        # 10 days on 1.00 at 10 % is 0.0027397, at 11 % 0.0030137: five of each sum to
        # 1.00 x (10 x 50 + 11 x 50) / 36,500 = 0.0287671, which rounds to 0.03.
        start = D("2026-01-02")
        table = RateTable.of("T", [(start + timedelta(days=10 * k), 10 + k % 2) for k in range(10)])
        detail = invoice_charges(
            "I-1",
            eur(1),
            due=D("2026-01-01"),
            as_of=start + timedelta(days=99),
            rule=InterestRule(Decimal(0), table="T"),
            rates={"T": table},
        )
        assert detail.interest == eur("0.03")
        assert [p.days for p in detail.periods] == [10] * 10
        assert Money.sum((p.amount for p in detail.periods), "EUR") == eur("0.03")

    def test_nothing_accrues_before_due_or_on_the_due_date(self) -> None:
        """On its due date an invoice has accrued nothing; the next day it accrues one day."""
        due = D("2026-01-31")
        on_due, day_after = (
            invoice_charges("I-1", eur(36_500), due=due, as_of=d, rule=TEN)
            for d in (due, due + timedelta(days=1))
        )
        assert (on_due.interest, on_due.periods) == (eur(0), ())
        assert day_after.interest == eur(10)  # 36,500 x 10 % / 365


class TestRateTable:
    DE_BASE = RateTable.of("DE-base", [("2023-07-01", "3.12"), ("2024-01-01", "3.62")])

    def test_rate_change_inside_the_period(self) -> None:
        """15 days at 12.12 % and 15 at 12.62 % on 1,000 (9 points above the table): 10.17."""
        # 1,000 x 12.12 x 15 / 36,500 = 4.9808219 (17 - 31 Dec 2023);
        # 1,000 x 12.62 x 15 / 36,500 = 5.1863014 (1 - 15 Jan 2024); total 10.1671233.
        detail = invoice_charges(
            "I-1",
            eur(1000),
            due=D("2023-12-16"),
            as_of=D("2024-01-15"),
            rule=InterestRule(Decimal(9), table="DE-base"),
            rates={"DE-base": self.DE_BASE},
        )
        assert detail.interest == eur("10.17")
        assert [(p.start, p.end, p.rate, p.amount) for p in detail.periods] == [
            (D("2023-12-17"), D("2023-12-31"), Decimal("12.12"), eur("4.98")),
            (D("2024-01-01"), D("2024-01-15"), Decimal("12.62"), eur("5.19")),
        ]

    def test_a_missing_table_is_named(self) -> None:
        """A rule above a table the caller did not give names the table and how to give it."""
        with pytest.raises(DataError) as info:
            invoice_charges(
                "I-1",
                eur(1000),
                due=D("2023-12-16"),
                as_of=D("2024-01-15"),
                rule=InterestRule(Decimal(9), table="DE-bse"),
                rates={"DE-base": self.DE_BASE},
            )
        assert str(info.value) == (
            "rates: the policy needs the rate table 'DE-bse' (given: DE-base); "
            "did you mean 'DE-base'?"
        )

    def test_a_day_before_the_first_row_is_an_error(self) -> None:
        """A table that starts after the first day that accrues says which day it lacks."""
        with pytest.raises(DataError) as info:
            self.DE_BASE.rate_on(D("2023-06-30"))
        assert str(info.value) == (
            "rates.DE-base: rate table 'DE-base' has no rate for 2023-06-30: "
            "its first row is effective from 2023-07-01"
        )

    def test_the_rate_never_falls_below_zero(self) -> None:
        """A negative reference rate plus a smaller spread accrues nothing."""
        table = RateTable.of("ECB", [("2020-01-01", "-0.88")])
        rule = InterestRule(Decimal("0.5"), table="ECB")
        assert rule.rate_on(D("2021-01-01"), {"ECB": table}) == Decimal(0)

    def test_dates_must_increase(self) -> None:
        """A table whose rows are out of order is refused at the row."""
        with pytest.raises(DataError) as info:
            RateTable.of("T", [("2024-01-01", 1), ("2024-01-01", 2)])
        assert str(info.value) == (
            "T[1].effective_from: dates must increase: 2024-01-01 is not after 2024-01-01"
        )


class TestParseRates:
    def test_yaml_with_source(self) -> None:
        """A YAML table may carry its source; percents may be written with a sign."""
        tables = parse_rates(
            "DE-base:\n  source: https://example.org/base\n  rates:\n"
            "    - {effective_from: 2024-01-01, rate: 3.62}\n"
            "    - {effective_from: 2024-07-01, rate: '3.37%'}\n"
        )
        table = tables["DE-base"]
        assert (table.source, table.rate_on(D("2024-07-01"))) == (
            "https://example.org/base",
            Decimal("3.37"),
        )

    def test_yaml_reports_every_bad_row(self) -> None:
        """Each bad row of a YAML file is reported at its path, all at once."""
        text = (
            "DE-base:\n"
            "  - {effective_from: 2024-01-01, rate: x}\n"
            "  - {effective_from: 2024-02-30, rate: 1}\n"
            "  - {effective_from: 2024-03-01, rat: 1}\n"
        )
        with pytest.raises(DataError) as info:
            parse_rates(text, source="rates.yaml")
        assert str(info.value) == (
            "rates.yaml: 3 problems\n"
            "  DE-base[0].rate: expected a rate in percent per year such as 3.62 or '3.62%', "
            "got 'x'\n"
            "  DE-base[1].effective_from: expected a date such as 2024-07-01, got '2024-02-30'\n"
            "  DE-base[2].rat: unknown key; expected effective_from and rate"
        )

    def test_csv_with_tables(self) -> None:
        """A CSV file with a table column holds several tables."""
        tables = parse_rates(
            "table,effective_from,rate\nDE-base,2024-01-01,3.62\nECB,2024-01-01,4.50\n"
            "DE-base,2024-07-01,3.37\n",
            kind="csv",
        )
        assert {n: [r.rate for r in t.rows] for n, t in tables.items()} == {
            "DE-base": [Decimal("3.62"), Decimal("3.37")],
            "ECB": [Decimal("4.50")],
        }

    def test_csv_errors_name_line_and_column(self) -> None:
        """A CSV row out of order or too short is reported at its line."""
        with pytest.raises(DataError) as info:
            parse_rates(
                "effective_from,rate\n2024-07-01,3.37\n2024-01-01,3.62\n2025-01-01\n",
                kind="csv",
                name="DE-base",
                source="de.csv",
            )
        assert str(info.value) == (
            "de.csv: 2 problems\n"
            "  line 4: expected 2 fields, got 1\n"
            "  line 3: effective_from: dates must increase in table 'DE-base': 2024-01-01 is "
            "not after 2024-07-01"
        )

    def test_csv_needs_its_columns(self) -> None:
        """A CSV file with other columns says which it expects."""
        with pytest.raises(DataError) as info:
            parse_rates("date,rate\n", kind="csv", name="X", source="x.csv")
        assert str(info.value) == (
            "x.csv: 1 problem\n"
            "  line 1: expected the columns table,effective_from,rate or effective_from,rate"
        )


class TestAllocation:
    def test_unknown_part_gets_a_hint(self) -> None:
        """A misspelt part of an allocation order is refused with a suggestion."""
        with pytest.raises(DataError) as info:
            allocation_order(["costs", "intrest", "principal"])
        assert str(info.value) == (
            "payments: unknown part 'intrest'; did you mean 'interest'? "
            "(one of costs, interest, principal)"
        )

    def test_fees_are_paid_first_by_default(self) -> None:
        """A 40.00 payment after a 40.00 fee pays the fee, not the principal."""
        detail = invoice_charges(
            "I-1",
            eur(1000),
            due=D("2026-01-31"),
            as_of=D("2026-02-10"),
            rule=None,
            fees=[Fee(D("2026-02-01"), eur(40), "compensation")],
            receipts=[pay("2026-02-05", 40)],
        )
        assert (detail.fees_paid, detail.principal_open, detail.claim) == (
            eur(40),
            eur(1000),
            eur(1000),
        )

    def test_credit_note_reduces_principal_only(self) -> None:
        """A credit note lowers the principal even when interest is owed."""
        detail = invoice_charges(
            "I-1",
            eur(36_500),
            due=D("2026-01-31"),
            as_of=D("2026-02-02"),
            rule=TEN,
            receipts=[Receipt(D("2026-02-02"), eur(500), credit=True)],
        )
        # 1 Feb on 36,500: 10.00; 2 Feb on 36,000: 9.8630137; total 19.86.
        assert (detail.principal_open, detail.interest_paid, detail.interest) == (
            eur(36_000),
            eur(0),
            eur("19.86"),
        )


class TestInterestKept:
    def test_interest_stays_owed_after_the_principal_is_paid(self) -> None:
        """Paying the principal in full (principal first) stops accrual but keeps the 7.95."""
        # 1,000 x 10 % x 29/365 = 7.9452055 (1 Feb - 1 Mar).
        detail = invoice_charges(
            "I-1",
            eur(1000),
            due=D("2026-01-31"),
            as_of=D("2026-06-30"),
            rule=TEN,
            receipts=[pay("2026-03-02", 1000)],
            allocation=PRINCIPAL_FIRST,
        )
        assert (detail.principal_open, detail.interest, detail.claim) == (
            eur(0),
            eur("7.95"),
            eur("7.95"),
        )

    def test_under_367_the_principal_left_keeps_accruing(self) -> None:
        """Paying 1,000 pays 7.95 of interest first; the 7.95 of principal left accrues on."""
        # 7.95 x 10 % x 121/365 = 0.2635479 (2 Mar - 30 Jun); 7.9452055 + 0.2635479 = 8.21.
        detail = invoice_charges(
            "I-1",
            eur(1000),
            due=D("2026-01-31"),
            as_of=D("2026-06-30"),
            rule=TEN,
            receipts=[pay("2026-03-02", 1000)],
        )
        assert (detail.principal_open, detail.interest, detail.interest_open, detail.claim) == (
            eur("7.95"),
            eur("8.21"),
            eur("0.26"),
            eur("8.21"),
        )

    def test_account_paid_in_full_still_owes_interest(self) -> None:
        """An account whose invoice facts call paid still shows the interest accrued on it."""
        acct = account(
            invoice("1000 EUR", due="2026-01-31"),
            payment("1000 EUR", on="2026-03-02", to=["INV-1"]),
        )
        charges = account_charges(acct, D("2026-06-30"), rule=TEN, allocation=PRINCIPAL_FIRST)
        assert facts(acct, D("2026-06-30")).overdue == eur(0)
        assert (charges.interest, charges.interest_open, [i.number for i in charges.invoices]) == (
            eur("7.95"),
            eur("7.95"),
            ["INV-1"],
        )


# -- properties --------------------------------------------------------------------------

receipt_lists = st.lists(
    st.builds(
        Receipt,
        date=st.integers(-10, 200).map(lambda d: D("2026-01-31") + timedelta(days=d)),
        amount=st.integers(1, 500_000).map(lambda c: Money(Decimal(c).scaleb(-2), "EUR")),
        credit=st.booleans(),
    ),
    max_size=5,
)
allocations = st.sampled_from([("costs", "interest", "principal"), PRINCIPAL_FIRST])
rules = st.builds(
    InterestRule,
    rate=st.integers(0, 2000).map(lambda r: Decimal(r).scaleb(-2)),
    day_count=st.sampled_from(DayCount),
)
terms = st.tuples(rules, allocations)
principals = st.integers(1, 10**8).map(lambda c: Decimal(c).scaleb(-2))


class TestProperties:
    @settings(max_examples=200)
    @given(principals, st.tuples(st.integers(0, 300), st.integers(0, 60)), terms, receipt_lists)
    def test_monotone_in_time(
        self,
        principal: Decimal,
        span: tuple[int, int],
        term: tuple[InterestRule, tuple[str, ...]],
        receipts: list[Receipt],
    ) -> None:
        """Interest accrued by a later date is never less than by an earlier one."""
        (days, more), (rule, order) = span, term
        due = D("2026-01-31")
        early, late = (
            invoice_charges(
                "I-1",
                Money(principal, "EUR"),
                due=due,
                as_of=due + timedelta(days=d),
                rule=rule,
                receipts=receipts,
                allocation=order,
            )
            for d in (days, days + more)
        )
        assert late.interest >= early.interest

    @settings(max_examples=200)
    @given(principals, principals, st.integers(0, 300), terms, receipt_lists)
    def test_monotone_in_the_open_amount(
        self,
        a: Decimal,
        b: Decimal,
        days: int,
        term: tuple[InterestRule, tuple[str, ...]],
        receipts: list[Receipt],
    ) -> None:
        """A larger principal, with the same receipts, never accrues less interest."""
        rule, order = term
        due = D("2026-01-31")
        small, large = (
            invoice_charges(
                "I-1",
                Money(p, "EUR"),
                due=due,
                as_of=due + timedelta(days=days),
                rule=rule,
                receipts=receipts,
                allocation=order,
            )
            for p in sorted((a, b))
        )
        assert large.interest >= small.interest

    @settings(max_examples=200)
    @given(principals, st.integers(0, 300), terms, receipt_lists)
    def test_nothing_negative_and_no_cent_lost(
        self,
        principal: Decimal,
        days: int,
        term: tuple[InterestRule, tuple[str, ...]],
        receipts: list[Receipt],
    ) -> None:
        """No part is negative, receipts are all accounted for, and the periods add up."""
        rule, order = term
        due = D("2026-01-31")
        as_of = due + timedelta(days=days)
        d = invoice_charges(
            "I-1",
            Money(principal, "EUR"),
            due=due,
            as_of=as_of,
            rule=rule,
            receipts=receipts,
            allocation=order,
        )
        zero = eur(0)
        parts = (d.interest, d.interest_open, d.principal_open, d.fees_open, d.excess)
        assert all(p >= zero for p in parts)
        taken = Money.sum((r.amount for r in receipts if r.date <= as_of), "EUR")
        assert d.principal_paid + d.interest_paid + d.fees_paid + d.excess == taken
        assert Money.sum((p.amount for p in d.periods), "EUR") == d.interest

    @settings(max_examples=100)
    @given(accounts(currency="EUR"), st.integers(0, 500), allocations)
    def test_claim_is_open_principal_plus_charges(
        self, acct: Account, days: int, order: tuple[str, ...]
    ) -> None:
        """Per invoice, the claim is the open amount facts sees plus all interest and fees."""
        as_of = D("2026-01-01") + timedelta(days=days)
        f = facts(acct, as_of)
        charges = account_charges(acct, as_of, rule=TEN, allocation=order)
        open_by = {i.number: i.open for i in f.invoices}
        for detail in charges.invoices:
            expected = open_by.get(detail.number, eur(0)) + detail.interest + detail.fees
            assert detail.claim == expected

    def test_ignores_the_global_decimal_context(self) -> None:
        """A caller's coarse Decimal context changes nothing."""
        args = {"due": D("2026-01-31"), "as_of": D("2026-03-31"), "rule": TEN}
        expected = invoice_charges("I-1", eur(10_000), **args).interest  # type: ignore[arg-type]
        with decimal.localcontext(decimal.Context(prec=3, rounding=decimal.ROUND_DOWN)):
            got = invoice_charges("I-1", eur(10_000), **args).interest  # type: ignore[arg-type]
        assert got == expected
