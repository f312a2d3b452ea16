from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcollect import CurrencyError, CurrencyMismatchError, DataError, InexactAmountError, Money
from arcollect.domain import currency_exponent
from arcollect.domain.money import MAX_AMOUNT_DIGITS
from strategies import amounts, currencies, money


class TestConstruction:
    def test_rounds_to_the_minor_unit_half_even(self) -> None:
        """Amounts are rounded half to even to the currency's minor unit."""
        assert Money("0.125", "EUR").amount == Decimal("0.12")
        assert Money("0.135", "EUR").amount == Decimal("0.14")
        assert Money("2.5", "JPY").amount == Decimal(2)
        assert Money("1.0005", "KWD").amount == Decimal("1.000")

    def test_minor_units_come_from_babel(self) -> None:
        """JPY has no decimals, EUR two, KWD three."""
        assert [currency_exponent(c) for c in ("JPY", "EUR", "KWD")] == [0, 2, 3]
        assert str(Money(5, "KWD")) == "5.000 KWD"

    def test_unknown_currency_is_refused(self) -> None:
        """A code Babel does not know is a CurrencyError (a ValueError)."""
        with pytest.raises(CurrencyError) as exc:
            Money(1, "EURO")
        assert str(exc.value) == "unknown currency 'EURO': expected an ISO 4217 code such as 'EUR'"
        assert isinstance(exc.value, ValueError)

    def test_float_is_refused(self) -> None:
        """A float cannot hold most decimal amounts exactly and is refused."""
        with pytest.raises(InexactAmountError) as exc:
            Money(0.1, "EUR")  # type: ignore[arg-type]
        assert str(exc.value) == (
            "amount must be exact: got the float 0.1; use Decimal('0.1') or the string '0.1'"
        )
        assert isinstance(exc.value, TypeError)

    def test_no_negative_zero(self) -> None:
        """Rounding a tiny negative amount gives plain zero."""
        assert str(Money("-0.001", "EUR")) == "0.00 EUR"

    def test_ignores_the_global_decimal_context(self) -> None:
        """A process-wide Decimal context with tiny precision changes nothing."""
        with decimal.localcontext() as ctx:
            ctx.prec = 3
            ctx.rounding = decimal.ROUND_DOWN
            total = Money("123456.78", "EUR") + Money("0.01", "EUR")
            third = Money("100.00", "EUR") / 3
            parts = Money("1000000.00", "EUR").split(3)
        assert total == Money("123456.79", "EUR")
        assert third == Money("33.33", "EUR")
        assert parts == (
            Money("333333.34", "EUR"),
            Money("333333.33", "EUR"),
            Money("333333.33", "EUR"),
        )

    def test_parse_forms(self) -> None:
        """Money.parse reads 'AMOUNT CUR', 'CUR AMOUNT' and bare amounts with a default."""
        assert Money.parse("1,200.50 EUR") == Money("1200.50", "EUR")
        assert Money.parse("USD 3") == Money(3, "USD")
        assert Money.parse("1_000", default_currency="JPY") == Money(1000, "JPY")

    def test_parse_refuses_extra_decimals(self) -> None:
        """Data is never silently rounded: 0.005 EUR and 1.0005 KWD are errors."""
        with pytest.raises(DataError, match=r"^0\.005 has more decimals than EUR allows \(2\)$"):
            Money.parse("0.005 EUR")
        with pytest.raises(DataError, match=r"^1\.0005 has more decimals than KWD allows \(3\)$"):
            Money.parse("1.0005 KWD")

    def test_format_is_localized(self) -> None:
        """format() uses Babel with an explicit locale."""
        assert Money("1200.5", "EUR").format("en_US") == "€1,200.50"
        assert Money("1200.5", "EUR").format("de_DE") == "1.200,50\xa0€"


AMBIGUOUS_1000 = (
    "ambiguous amount '1.000': a dot is the decimal point: write 1000, 1,000 or 1,000.00"
)


def parse_problem(text: str) -> str:
    """Parse *text* expected to be refused; return the one problem's message."""
    with pytest.raises(DataError) as exc:
        Money.parse(text)
    (problem,) = exc.value.problems
    assert problem.path == ""
    return problem.message


class TestAmbiguousGrouping:
    def test_a_dot_before_three_digits_is_refused(self) -> None:
        """`1.000 EUR` and `12.500 EUR` could be German thousands: refused, with the fix."""
        assert parse_problem("1.000 EUR") == AMBIGUOUS_1000
        assert parse_problem("EUR 12.500") == (
            "ambiguous amount '12.500': a dot is the decimal point: "
            "write 12500, 12,500 or 12,500.00"
        )
        assert parse_problem("-1.000 EUR") == (
            "ambiguous amount '-1.000': a dot is the decimal point: "
            "write -1000, -1,000 or -1,000.00"
        )
        assert parse_problem("1.000.000 EUR") == (
            "ambiguous amount '1.000.000': a dot is the decimal point: "
            "write 1000000, 1,000,000 or 1,000,000.00"
        )

    def test_the_hint_fits_the_currency(self) -> None:
        """A currency without decimals is not told to write any."""
        assert parse_problem("1.000 JPY") == (
            "ambiguous amount '1.000': a dot is the decimal point: write 1000 or 1,000"
        )

    def test_three_decimal_currencies_are_exact(self) -> None:
        """In a currency of three decimals (KWD, BHD) `1.000` is exactly one."""
        assert Money.parse("1.000 KWD") == Money(1, "KWD")
        assert Money.parse("12.500 BHD") == Money("12.5", "BHD")
        assert currency_exponent("BHD") == 3

    def test_unambiguous_forms_are_read(self) -> None:
        """Comma groups, a leading zero, four digits after the dot and plain numbers are fine."""
        assert Money.parse("1,000 EUR") == Money(1000, "EUR")
        assert Money.parse("1,000.00 EUR") == Money(1000, "EUR")
        assert Money.parse("1,234,567.5 EUR") == Money("1234567.50", "EUR")
        assert Money.parse("0.500 EUR") == Money("0.50", "EUR")
        assert Money.parse("1000.5 EUR") == Money("1000.50", "EUR")
        assert Money.parse("1.5 EUR") == Money("1.50", "EUR")

    def test_a_decimal_comma_is_refused(self) -> None:
        """`2.500,00 EUR` is no longer read as 2.50: the message writes it the right way."""
        assert (
            parse_problem("2.500,00 EUR") == "'2.500,00' looks like a decimal comma: write 2,500.00"
        )
        assert parse_problem("12,5 EUR") == "'12,5' looks like a decimal comma: write 12.5"
        assert parse_problem("1,00 EUR") == "'1,00' looks like a decimal comma: write 1.00"
        assert parse_problem("1.234.567,89 EUR") == (
            "'1.234.567,89' looks like a decimal comma: write 1,234,567.89"
        )

    def test_commas_that_do_not_group_by_threes(self) -> None:
        """Commas in other places are refused rather than stripped."""
        assert parse_problem("1,2,3 EUR") == (
            "commas in '1,2,3' do not group digits by threes: "
            "write the amount as 1200.50 or 1,200.50"
        )
        assert parse_problem("1,000,00.5 EUR") == (
            "commas in '1,000,00.5' do not group digits by threes: "
            "write the amount as 1200.50 or 1,200.50"
        )

    @given(st.integers(1, 999), st.integers(0, 999))
    def test_every_dot_thousand_is_refused(self, high: int, low: int) -> None:
        """No amount of the form `H.LLL` is read in a two-decimal currency."""
        with pytest.raises(DataError, match=r"^ambiguous amount"):
            Money.parse(f"{high}.{low:03d} EUR")


class TestArithmetic:
    def test_mixing_currencies_names_both(self) -> None:
        """Adding EUR to USD is a TypeError naming both currencies."""
        with pytest.raises(CurrencyMismatchError) as exc:
            Money(1, "EUR") + Money(1, "USD")
        assert str(exc.value) == "cannot add EUR and USD: convert to one currency first"
        assert isinstance(exc.value, TypeError)

    def test_comparing_currencies_is_refused(self) -> None:
        """Ordering EUR against USD raises; equality is simply False."""
        with pytest.raises(CurrencyMismatchError, match="cannot compare EUR and USD"):
            _ = Money(1, "EUR") < Money(2, "USD")
        assert Money(1, "EUR") != Money(1, "USD")

    def test_multiplying_by_a_float_is_refused(self) -> None:
        """Money times a float raises; times a Decimal or int is fine."""
        with pytest.raises(InexactAmountError):
            _ = Money(1, "EUR") * 1.5  # type: ignore[operator]
        assert Money(1, "EUR") * Decimal("1.5") == Money("1.50", "EUR")
        assert 3 * Money(1, "EUR") == Money(3, "EUR")

    def test_money_over_money_is_a_ratio(self) -> None:
        """Dividing same-currency money gives an exact Decimal."""
        assert Money(250, "EUR") / Money(1000, "EUR") == Decimal("0.25")

    def test_sum_of_nothing_is_zero_in_the_given_currency(self) -> None:
        """Money.sum of an empty sequence is zero in the currency asked for."""
        assert Money.sum([], "JPY") == Money(0, "JPY")
        with pytest.raises(CurrencyMismatchError):
            Money.sum([Money(1, "EUR")], "USD")

    def test_zero_results_are_one_unsigned_zero_per_currency(self) -> None:
        """Sums that come to zero share one zero per currency: unsigned, at the minor unit."""
        exact = Money._exact_sum
        eur = exact(Decimal("-0.001"), "EUR")
        assert eur is exact(Decimal(0), "EUR") is exact(Decimal("0.004"), "EUR")
        assert (str(eur), eur.amount.is_signed()) == ("0.00 EUR", False)
        assert eur == Money.zero("EUR")
        assert str(exact(Decimal("-0"), "JPY")) == "0 JPY"
        assert exact(Decimal("0.01"), "EUR") is not exact(Decimal("0.01"), "EUR")

    @given(currencies.flatmap(lambda c: st.tuples(money(c), money(c), money(c))))
    def test_addition_is_exact_and_associative(self, abc: tuple[Money, Money, Money]) -> None:
        """Sums are exact: associative, and subtraction undoes addition."""
        a, b, c = abc
        assert (a + b) + c == a + (b + c)
        assert (a + b) - b == a
        assert (a + b).amount == a.amount + b.amount

    @given(money(), money())
    def test_currency_safety(self, a: Money, b: Money) -> None:
        """Any two amounts in different currencies cannot be added or compared."""
        if a.currency == b.currency:
            assert (a + b).currency == a.currency
        else:
            with pytest.raises(CurrencyMismatchError):
                _ = a + b
            with pytest.raises(CurrencyMismatchError):
                _ = a <= b


class TestAllocation:
    def test_split_gives_leftover_cents_to_the_first(self) -> None:
        """100 EUR in 3 installments is 33.34, 33.33, 33.33."""
        assert Money(100, "EUR").split(3) == (
            Money("33.34", "EUR"),
            Money("33.33", "EUR"),
            Money("33.33", "EUR"),
        )

    def test_allocate_by_ratios(self) -> None:
        """Ratios 1:2 of 10.00 give 3.33 and 6.67: the leftover cent goes to the larger share."""
        assert Money(10, "EUR").allocate([1, 2]) == (Money("3.33", "EUR"), Money("6.67", "EUR"))

    def test_negative_amounts_allocate_symmetrically(self) -> None:
        """A credit splits like a debit, with the sign kept."""
        assert Money(-100, "EUR").split(3) == tuple(-m for m in Money(100, "EUR").split(3))

    @given(
        currencies.flatmap(lambda c: st.tuples(st.just(c), amounts(c))),
        st.lists(st.integers(min_value=0, max_value=1000), min_size=1, max_size=12).filter(any),
    )
    def test_allocation_never_loses_or_invents_a_cent(
        self, cur_amount: tuple[str, Decimal], ratios: list[int]
    ) -> None:
        """The parts sum exactly to the whole, and no part is off its share by a unit or more."""
        cur, amount = cur_amount
        whole = Money(amount, cur)
        parts = whole.allocate(ratios)
        assert Money.sum(parts, cur) == whole
        unit = Decimal(1).scaleb(-currency_exponent(cur))
        for part, ratio in zip(parts, ratios, strict=True):
            share = amount * ratio / sum(ratios)
            assert abs(part.amount - share) < unit

    @given(money(high=10**12), st.integers(min_value=1, max_value=60))
    def test_installments_sum_to_the_total(self, total: Money, n: int) -> None:
        """Splitting into n installments sums to the total; parts differ by at most a unit."""
        parts = total.split(n)
        assert len(parts) == n
        assert Money.sum(parts, total.currency) == total
        assert max(parts).amount - min(parts).amount <= Decimal(1).scaleb(
            -currency_exponent(total.currency)
        )


class TestBounds:
    def test_amounts_beyond_the_bound_are_refused(self) -> None:
        """Money of more than MAX_AMOUNT_DIGITS integer digits is a DataError when made."""
        with pytest.raises(DataError) as exc:
            Money(10**MAX_AMOUNT_DIGITS, "EUR")
        assert str(exc.value) == (
            "an amount of 19 digits before the decimal point is too large: at most 18 are allowed"
        )
        with pytest.raises(DataError):
            Money.parse("1e99999 EUR")
        assert Money("9" * MAX_AMOUNT_DIGITS + ".99", "EUR").amount == Decimal("9" * 18 + ".99")

    def test_sums_of_bounded_amounts_are_exact(self) -> None:
        """Sums beyond the bound (arithmetic results) stay exact."""
        top = Money("9" * MAX_AMOUNT_DIGITS, "EUR")
        assert (top + top).amount == Decimal("1" + "9" * 17 + "8")
