"""The KPI formulas: published worked examples, variants, exactness and refusals."""

from __future__ import annotations

import csv
import decimal
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcollect import Account, Collector, Invoice, Payment, kpi, parse_ibm_csv
from arcollect.data import ibm_csv_text
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.errors import ArcollectError, CurrencyMismatchError, DataError
from arcollect.facts import PromiseStatus

D = Decimal


def one(value: Decimal) -> Decimal:
    """Round to one decimal, as the sources print their figures."""
    return value.quantize(D("0.1"), rounding=decimal.ROUND_HALF_UP)


class TestDso:
    def test_creditguru_regular_dso(self) -> None:
        """creditguru.com, Average Days Delinquent: 15,000 AR, 10,000 sales in 30 days: 45 days."""
        assert kpi.dso(D(15_000), D(10_000), 30) == D(45)

    def test_trymesha_simple_method(self) -> None:
        """trymesha.com, "The 2 DSO Calculation Formulas": 150,000 on 1,800,000, 365 days: 30.4."""
        assert one(kpi.dso(D(150_000), D(1_800_000), 365)) == D("30.4")

    def test_equisettle_simple_method(self) -> None:
        """equisettle.co.uk, "Complete Guide to DSO Calculation": 200,000 on 2,000,000: 36.5."""
        assert kpi.dso(D(200_000), D(2_000_000), 365) == D("36.5")

    def test_money_arguments_in_one_currency(self) -> None:
        """Money arguments of one currency give the same Decimal as plain numbers."""
        assert kpi.dso(Money(600_000, "EUR"), Money(1_200_000, "EUR"), 30) == D(15)

    def test_currencies_mixed(self) -> None:
        """Two currencies among the arguments raise CurrencyMismatchError naming both."""
        with pytest.raises(CurrencyMismatchError) as info:
            kpi.dso(Money(1, "EUR"), Money(2, "USD"), 30)
        assert str(info.value) == (
            "KPI arguments must share one currency: receivables is EUR, credit_sales is USD"
        )
        assert isinstance(info.value, ArcollectError)

    def test_zero_sales(self) -> None:
        """Zero credit sales are refused with the argument's name as the path."""
        with pytest.raises(DataError) as info:
            kpi.dso(D(1), D(0), 30)
        assert str(info.value) == (
            "credit_sales: expected credit sales above zero (the formula divides by them), got 0"
        )

    def test_negative_days(self) -> None:
        """A negative day count is refused."""
        with pytest.raises(DataError) as info:
            kpi.dso(D(1), D(2), -30)
        assert str(info.value) == "days: expected a number of days above zero, got -30"

    def test_float_refused(self) -> None:
        """A float amount is refused as inexact."""
        with pytest.raises(DataError) as info:
            kpi.dso(1.5, D(2), 30)  # type: ignore[arg-type]
        assert str(info.value) == (
            "receivables: expected an exact amount (Money, Decimal or int), got the float 1.5"
        )

    def test_caller_context_ignored(self) -> None:
        """A coarse caller Decimal context does not change the result."""
        with decimal.localcontext(decimal.Context(prec=2)):
            assert kpi.dso(D(212_000), D(250_000), 90) == D("76.32")


class TestDsoAverage:
    def test_three_months(self) -> None:
        """Hand-computed (no published figure): (6,200 + 6,000 + 6,340) x 30 / 10,890 = 51.07."""
        value = kpi.dso_average([D(6200), D(6000), D(6340)], D(10890))
        assert value.quantize(D("0.01")) == D("51.07")

    @given(
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=1, max_value=10**9),
    )
    def test_one_month_is_the_period_method(self, receivables: int, sales: int) -> None:
        """Over one 30-day month the CRF form equals the period method."""
        assert kpi.dso_average([D(receivables)], D(sales)) == kpi.dso(D(receivables), D(sales), 30)

    def test_no_month(self) -> None:
        """An empty list of month ends is refused."""
        with pytest.raises(DataError) as info:
            kpi.dso_average([], D(1))
        assert str(info.value) == "month_end_receivables: expected at least one month-end amount"

    def test_bad_item_path(self) -> None:
        """A bad month-end amount is reported at its index."""
        with pytest.raises(DataError) as info:
            kpi.dso_average([D(1), "2"], D(1))  # type: ignore[list-item]
        assert str(info.value) == (
            "month_end_receivables[1]: expected an exact amount (Money, Decimal or int), got str"
        )


class TestCountback:
    MONTHS = ((D(70_000), 30), (D(80_000), 30), (D(100_000), 30))

    def test_benjipays_example(self) -> None:
        """benjipays.com "The Count-Back Method Explained" (and trymesha.com): 212,000 is 73.7."""
        value = kpi.dso_countback(D(212_000), self.MONTHS)
        assert one(value) == D("73.7")
        assert value == MONEY_CONTEXT.add(60, MONEY_CONTEXT.divide(D(960_000), D(70_000)))

    def test_within_the_newest_month(self) -> None:
        """Receivables below the newest month's sales are a fraction of it (hand-computed)."""
        assert kpi.dso_countback(D(50_000), self.MONTHS) == D(15)

    def test_real_month_lengths(self) -> None:
        """Each whole month adds its own number of days (hand-computed: 31 + 28 + 15.5)."""
        months = ((D(62), 31), (D(100), 28), (D(100), 31))
        assert kpi.dso_countback(D(231), months) == D("74.5")

    def test_nothing_owed(self) -> None:
        """Receivables of zero count back no day."""
        assert kpi.dso_countback(D(0), self.MONTHS) == D(0)

    def test_not_exhausted(self) -> None:
        """Receivables larger than all the sales given are refused."""
        with pytest.raises(DataError) as info:
            kpi.dso_countback(D(300_000), self.MONTHS)
        assert str(info.value) == (
            "monthly_sales: the receivables are not exhausted by the 3 months of sales given "
            "(50000 left); give more months"
        )

    def test_bad_pair(self) -> None:
        """A month that is not a (sales, days) pair is reported at its index."""
        with pytest.raises(DataError) as info:
            kpi.dso_countback(D(1), [(D(1), 30), D(2)])  # type: ignore[list-item]
        assert str(info.value) == (
            "monthly_sales[1]: expected a pair (sales, days in month), got Decimal('2')"
        )


class TestBestPossibleAndDelinquent:
    def test_growfin_best_possible(self) -> None:
        """growfin.ai "What is Best Possible DSO?": 8,000 current on 30,000 over 28 days is 7.47."""
        value = kpi.best_possible_dso(D(8_000), D(30_000), 28)
        assert value.quantize(D("0.01")) == D("7.47")

    def test_creditguru_add(self) -> None:
        """creditguru.com: DSO 45, best possible DSO 12 (4,000 current), ADD 33 days."""
        assert kpi.best_possible_dso(D(4_000), D(10_000), 30) == D(12)
        assert kpi.average_days_delinquent(D(15_000), D(4_000), D(10_000), 30) == D(33)

    def test_quadient_add(self) -> None:
        """quadient.com "What Is Average Days Delinquent?": DSO 50, best DSO 12, ADD 38."""
        assert kpi.dso(D(25_000), D(15_000), 30) == D(50)
        assert kpi.best_possible_dso(D(6_000), D(15_000), 30) == D(12)
        assert kpi.average_days_delinquent(D(25_000), D(6_000), D(15_000), 30) == D(38)

    @given(
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=0, max_value=10**9),
        st.integers(min_value=1, max_value=10**9),
        st.integers(min_value=1, max_value=400),
    )
    def test_add_is_dso_minus_best(self, ar: int, current: int, sales: int, days: int) -> None:
        """Average days delinquent is exactly DSO minus best possible DSO."""
        add = kpi.average_days_delinquent(D(ar), D(current), D(sales), days)
        with decimal.localcontext(MONEY_CONTEXT):
            expected = kpi.dso(D(ar), D(sales), days) - kpi.best_possible_dso(
                D(current), D(sales), days
            )
        assert add == expected


class TestCei:
    def test_creditguru_crf_variant(self) -> None:
        """creditguru.com CEI page, Jan-Mar with N = 3 months: CEI = 55.9%."""
        value = kpi.cei(D(6_200), D(10_890), D(6_340), D(3_590), months=3)
        assert one(value) == D("55.9")

    def test_variants_differ_on_the_same_numbers(self) -> None:
        """The plain variant (accountingtools.com) gives 79.6% on creditguru's numbers, not 55.9."""
        plain = kpi.cei(D(6_200), D(10_890), D(6_340), D(3_590))
        assert one(plain) == D("79.6")
        assert plain == MONEY_CONTEXT.divide(D(1_075_000), D(13_500))

    def test_one_month_variants_agree(self) -> None:
        """With months=1 the two variants are the same."""
        assert kpi.cei(D(100), D(50), D(80), D(30), months=1) == kpi.cei(
            D(100), D(50), D(80), D(30)
        )

    def test_nothing_to_collect(self) -> None:
        """A zero denominator is refused with a message saying what it is."""
        with pytest.raises(DataError) as info:
            kpi.cei(D(0), D(0), D(0), D(0))
        assert str(info.value) == (
            "ending_current: nothing was available to collect: beginning receivables + "
            "credit sales - ending current receivables is 0"
        )

    def test_bad_months(self) -> None:
        """Zero months are refused."""
        with pytest.raises(DataError) as info:
            kpi.cei(D(1), D(1), D(1), D(1), months=0)
        assert str(info.value) == "months: expected a number of days above zero, got 0"


class TestShares:
    def test_promise_kept_rate_judged_only(self) -> None:
        """Open promises are left out; partially kept ones count as not kept (hand-computed 50%)."""
        statuses = [
            PromiseStatus.KEPT,
            PromiseStatus.OPEN,
            PromiseStatus.BROKEN,
            PromiseStatus.KEPT,
            PromiseStatus.PARTIALLY_KEPT,
            PromiseStatus.OPEN,
        ]
        assert kpi.promise_kept_rate(statuses) == D(50)

    def test_promise_kept_rate_none_judged(self) -> None:
        """With no judged promise the rate is None."""
        assert kpi.promise_kept_rate([PromiseStatus.OPEN]) is None

    def test_percent_current(self) -> None:
        """4,000 current of 15,000 is 26.67% (hand-computed)."""
        assert kpi.percent_current(D(4_000), D(15_000)).quantize(D("0.01")) == D("26.67")

    @given(st.lists(st.integers(min_value=0, max_value=10**12), min_size=1, max_size=8))
    def test_bucket_shares_sum_to_100(self, amounts: list[int]) -> None:
        """Bucket shares add up to 100 (to the context's precision) when the total is positive."""
        if sum(amounts) == 0:
            with pytest.raises(DataError):
                kpi.bucket_shares([D(a) for a in amounts])
            return
        shares = kpi.bucket_shares([D(a) for a in amounts])
        with decimal.localcontext(MONEY_CONTEXT):
            assert abs(sum(shares, D(0)) - 100) < D("1e-55")


def _us(text: str) -> date:
    month, day, year = (int(p) for p in text.split("/"))
    return date(year, month, day)


def _inv(number: str, issued: date, amount: int, currency: str = "EUR", terms: int = 30) -> Invoice:
    return Invoice(
        number, issued=issued, due=issued + timedelta(days=terms), amount=Money(amount, currency)
    )


class TestReport:
    AS_OF = date(2013, 12, 2)  # the sample's last invoice date

    def test_ibm_dso_equals_the_csv(self) -> None:
        """On the IBM sample the DSO, CEI and current equal a direct computation from the CSV."""
        rows = list(csv.DictReader(io.StringIO(ibm_csv_text())))
        as_of, start = self.AS_OF, self.AS_OF - timedelta(days=89)
        before = start - timedelta(days=1)

        def open_on(day: date) -> list[dict[str, str]]:
            return [r for r in rows if _us(r["InvoiceDate"]) <= day < _us(r["SettledDate"])]

        def total(rs: list[dict[str, str]]) -> Decimal:
            return sum((D(r["InvoiceAmount"]) for r in rs), D(0))

        ar = total(open_on(as_of))
        current = total([r for r in open_on(as_of) if _us(r["DueDate"]) >= as_of])
        sales = total([r for r in rows if start <= _us(r["InvoiceDate"]) <= as_of])
        begin = total(open_on(before))
        with decimal.localcontext(MONEY_CONTEXT):
            expected_dso = ar * 90 / sales
            expected_cei = (begin + sales - ar) * 100 / (begin + sales - current)

        got = kpi.report(parse_ibm_csv(ibm_csv_text()), as_of).get("USD")
        assert got.receivables == Money(ar, "USD")
        assert got.credit_sales == Money(sales, "USD")
        assert got.dso == expected_dso
        assert got.cei == expected_cei
        assert got.current == Money(current, "USD")
        assert got.aging[0].amount == Money(current, "USD")

    def test_currencies_apart(self) -> None:
        """Accounts in two currencies get one set of figures each, never summed."""
        day = date(2026, 3, 31)
        eur = Account("E", "EUR", invoices=[_inv("E1", date(2026, 3, 1), 300)])
        usd = Account("U", "USD", invoices=[_inv("U1", date(2026, 3, 1), 100, "USD")])
        rep = kpi.report([usd, eur], day, 30)
        assert [(f.currency, f.receivables) for f in rep.figures] == [
            ("EUR", Money(300, "EUR")),
            ("USD", Money(100, "USD")),
        ]

    def test_payments_replayed(self) -> None:
        """A payment before the date lowers the receivables; DSO and CEI follow (hand-computed)."""
        day = date(2026, 3, 31)
        acct = Account(
            "C",
            "EUR",
            invoices=[_inv("I1", date(2026, 1, 20), 400), _inv("I2", date(2026, 3, 10), 600)],
            payments=[Payment(date(2026, 3, 15), Money(400, "EUR"), applies_to=["I1"])],
        )
        fig = kpi.report([acct], day, 30).get("EUR")
        assert fig.beginning_receivables == Money(400, "EUR")
        assert fig.credit_sales == Money(600, "EUR")
        assert fig.receivables == Money(600, "EUR")
        assert fig.dso == D(30)
        assert fig.best_possible_dso == D(30)
        assert fig.average_days_delinquent == D(0)
        assert fig.cei == D(100)
        assert fig.dso_countback == D(30)
        assert [b.share for b in fig.aging][:2] == [D(100), D(0)]

    def test_no_sales(self) -> None:
        """Without credit sales in the period the sales-based KPIs are None, not an error."""
        acct = Account("C", "EUR", invoices=[_inv("I1", date(2025, 1, 1), 100)])
        fig = kpi.report([acct], date(2026, 3, 31), 30).get("EUR")
        assert (fig.dso, fig.best_possible_dso, fig.cei) == (None, None, D(0))
        assert fig.dso_countback is not None

    def test_grouped(self) -> None:
        """With by=, each group gets its figures after the currency's whole."""
        day = date(2026, 3, 31)
        a = Account("A", "EUR", tags=["key"], invoices=[_inv("A1", date(2026, 3, 1), 100)])
        b = Account("B", "EUR", invoices=[_inv("B1", date(2026, 3, 1), 300)])
        rep = kpi.report([a, b], day, 30, by=lambda acc: "key" if "key" in acc.tags else "other")
        assert [(f.group, f.receivables.amount) for f in rep.figures] == [
            (None, D(400)),
            ("key", D(100)),
            ("other", D(300)),
        ]

    def test_by_collector(self) -> None:
        """by="collector" groups by the collector's name; accounts without one are "(none)"."""
        day = date(2026, 3, 31)
        lena, max_ = Collector("Lena Vogt"), Collector("Max Muster")
        accts = [
            Account("A", "EUR", collector=max_, invoices=[_inv("A1", date(2026, 3, 1), 100)]),
            Account("B", "EUR", invoices=[_inv("B1", date(2026, 3, 1), 300)]),
            Account("C", "EUR", collector=lena, invoices=[_inv("C1", date(2026, 3, 1), 50)]),
            Account("D", "EUR", collector=lena, invoices=[_inv("D1", date(2026, 3, 5), 20)]),
        ]
        rep = kpi.report(accts, day, 30, by="collector")
        assert [(f.group, f.accounts, f.receivables.amount) for f in rep.figures] == [
            (None, 4, D(470)),
            ("(none)", 1, D(300)),
            ("Lena Vogt", 2, D(70)),
            ("Max Muster", 1, D(100)),
        ]
        assert rep == kpi.report(accts, day, 30, by=kpi.by_collector)
        month = kpi.report(accts, day, 31, by="collector")  # the series covers all of March
        assert kpi.series(accts, [day], by="collector") == (month,)

    def test_by_unknown_name(self) -> None:
        """An unknown grouping name is refused with the known ones and a suggestion."""
        with pytest.raises(DataError) as info:
            kpi.report([], date(2026, 1, 1), by="colector")  # type: ignore[arg-type]
        assert str(info.value) == (
            "by: unknown grouping 'colector' (known: 'collector'); did you mean 'collector'?"
        )

    def test_by_not_callable(self) -> None:
        """A grouping that is neither a name nor a function is refused."""
        with pytest.raises(DataError) as info:
            kpi.report([], date(2026, 1, 1), by=3)  # type: ignore[arg-type]
        assert str(info.value) == (
            "by: expected a function of the account or a grouping name, got int"
        )

    def test_bad_period(self) -> None:
        """A period of zero days is refused with the argument's name."""
        with pytest.raises(DataError) as info:
            kpi.report([], date(2026, 1, 1), 0)
        assert str(info.value) == "period_days: expected a number of days above zero, got 0"

    def test_series_per_month(self) -> None:
        """A series gives one report per month end, each over its own calendar month."""
        acct = Account("C", "EUR", invoices=[_inv("I1", date(2026, 2, 10), 280)])
        reps = kpi.series([acct], [date(2026, 1, 31), date(2026, 2, 28)])
        assert [(r.start, r.period_days) for r in reps] == [
            (date(2026, 1, 1), 31),
            (date(2026, 2, 1), 28),
        ]
        assert reps[1].get("EUR").dso == D(28)

    def test_repr_and_html(self) -> None:
        """The report's repr is one line; its HTML escapes group names and folds the variants."""
        acct = Account("C", "EUR", invoices=[_inv("I1", date(2026, 3, 10), 100)])
        rep = kpi.report([acct], date(2026, 3, 31), 30, by=lambda _a: "<b>")
        assert repr(rep) == "<KpiReport 2026-03-31 (30 days): EUR DSO 30.0, EUR/<b> DSO 30.0>"
        page = rep._repr_html_()
        assert "&lt;b&gt;" in page
        assert "<b>" not in page
        assert "<details><summary>dso</summary>period method" in page


class TestPeriodWindows:
    """The 30-day-month variants on periods that are not whole 30-day months."""

    ACCT = Account(
        "C",
        "EUR",
        invoices=[_inv("I1", date(2026, 1, 5), 900), _inv("I2", date(2026, 2, 20), 600)],
        payments=[Payment(date(2026, 3, 1), Money(300, "EUR"), applies_to=["I1"])],
    )
    DAY = date(2026, 3, 31)
    SHORT = "not computed: the 7-day period is shorter than the 30-day month it averages over"

    def test_shorter_than_a_month_says_so(self) -> None:
        """Under 30 days the monthly variants are None and each variant's note says why."""
        rep = kpi.report([self.ACCT], self.DAY, 7)
        fig = rep.get("EUR")
        assert (fig.dso_average, fig.cei_monthly) == (None, None)
        assert fig.dso_countback is not None
        assert rep.notes == {
            "dso_average": self.SHORT,
            "dso_countback": (
                "counts 30-day months of sales back from the end of the period, beyond the "
                "7-day period"
            ),
            "cei_monthly": self.SHORT,
        }

    def test_notes_in_the_table_and_html(self) -> None:
        """The text table ends with one line per note; the notebook HTML shows them too."""
        rep = kpi.report([self.ACCT], self.DAY, 7)
        lines = rep.render().splitlines()
        assert lines[-3:] == [f"note: {name}: {text}" for name, text in rep.notes.items()]
        assert f"<p>dso_average: {self.SHORT}</p>" in rep._repr_html_()

    def test_whole_months_have_no_note(self) -> None:
        """A period of whole 30-day months needs no note, and CRF's CEI divides by their count."""
        rep = kpi.report([self.ACCT], self.DAY, 90)
        fig = rep.get("EUR")
        assert rep.notes == {}
        assert "note:" not in rep.render()
        assert fig.cei_monthly == kpi.cei(
            fig.beginning_receivables, fig.credit_sales, fig.receivables, fig.current, months=3
        )

    def test_part_month_averages_its_sales_per_30_days(self) -> None:
        """Over 45 days the monthly CEI takes 30 days of average sales, not all 45 as one month."""
        rep = kpi.report([self.ACCT], self.DAY, 45)
        fig = rep.get("EUR")
        with decimal.localcontext(MONEY_CONTEXT):
            monthly = fig.credit_sales.amount * 30 / 45
        assert fig.cei_monthly == kpi.cei(
            fig.beginning_receivables, monthly, fig.receivables, fig.current
        )
        assert fig.cei_monthly != fig.cei
        assert rep.notes == {
            "dso_average": (
                "over the last 30 days (1 whole 30-day month), not the whole 45-day period"
            )
        }

    def test_series_february(self) -> None:
        """A series' February (28 days) carries the short-period notes."""
        reps = kpi.series([self.ACCT], [date(2026, 1, 31), date(2026, 2, 28)])
        assert reps[1].notes["cei_monthly"] == (
            "not computed: the 28-day period is shorter than the 30-day month it averages over"
        )
        assert reps[0].notes == {
            "dso_average": (
                "over the last 30 days (1 whole 30-day month), not the whole 31-day period"
            )
        }
