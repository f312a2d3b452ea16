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
        """Data is never silently rounded: 1.005 EUR is an error."""
        with pytest.raises(DataError, match=r"1\.005 has more decimals than EUR allows \(2\)"):
            Money.parse("1.005 EUR")

    def test_format_is_localized(self) -> None:
        """format() uses Babel with an explicit locale."""
        assert Money("1200.5", "EUR").format("en_US") == "€1,200.50"
        assert Money("1200.5", "EUR").format("de_DE") == "1.200,50\xa0€"


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
