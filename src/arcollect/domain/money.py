"""Money: an exact Decimal amount in an ISO 4217 currency, rounded to the currency's minor unit.

Arithmetic never reads the process-wide Decimal context: every operation uses `MONEY_CONTEXT`
and rounds half to even ("banker's rounding") to the currency's minor unit, as Babel reports it
(EUR 2 decimals, JPY 0, KWD 3). Adding, subtracting or comparing two currencies raises
`CurrencyMismatchError`; floats are refused with `InexactAmountError`.

>>> Money("12.30", "EUR") + Money(5, "EUR")
Money('17.30', 'EUR')
>>> Money("100", "EUR").allocate([1, 1, 1])
(Money('33.34', 'EUR'), Money('33.33', 'EUR'), Money('33.33', 'EUR'))
"""

from __future__ import annotations

import decimal
import functools
import re
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, SupportsIndex, overload

import attrs
import babel.numbers

from arcollect._describe import shown
from arcollect.errors import CurrencyError, CurrencyMismatchError, DataError, InexactAmountError

__all__ = [
    "MAX_AMOUNT_DIGITS",
    "MONEY_CONTEXT",
    "Money",
    "WrittenNumber",
    "amount_text",
    "currency_exponent",
    "is_currency",
]

#: At most this many digits before the decimal point in an amount (below 10**18, a
#: quintillion): sums of up to 10**39 such amounts stay exact in `MONEY_CONTEXT`.
MAX_AMOUNT_DIGITS: Final = 18

#: The Decimal context of all money arithmetic: wide enough that sums and products of amounts
#: are exact before the final rounding to the minor unit, which is half-to-even.
MONEY_CONTEXT: Final = decimal.Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)


@functools.cache
def _currencies() -> frozenset[str]:
    return frozenset(babel.numbers.list_currencies())


def is_currency(code: str) -> bool:
    """Return whether *code* is an ISO 4217 currency code that Babel knows.

    >>> is_currency("EUR"), is_currency("EURO"), is_currency("eur")
    (True, False, False)
    """
    return code in _currencies()


@functools.cache
def currency_exponent(code: str) -> int:
    """Return the number of decimals of *code*'s minor unit (EUR 2, JPY 0, KWD 3).

    >>> currency_exponent("JPY"), currency_exponent("EUR"), currency_exponent("KWD")
    (0, 2, 3)
    """
    if not is_currency(code):
        raise CurrencyError(
            f"unknown currency {shown(code)}: expected an ISO 4217 code such as 'EUR'"
        )
    return int(babel.numbers.get_currency_precision(code))


#: The zero of each currency `Money._exact_sum` has made: shared, as a Money never changes.
_ZEROS: dict[str, Money] = {}


@functools.cache
def _quantum(code: str) -> Decimal:
    return Decimal(1).scaleb(-currency_exponent(code))


def _to_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise InexactAmountError(f"{what} must be a finite number, got {value}")
        return value
    if isinstance(value, bool):
        raise InexactAmountError(f"{what} must be a Decimal or int, got a bool")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        raise InexactAmountError(
            f"{what} must be exact: got the float {value!r}; "
            f"use Decimal({str(value)!r}) or the string {str(value)!r}"
        )
    if isinstance(value, str):
        try:
            dec = Decimal(value.strip())
        except decimal.InvalidOperation:
            raise DataError.at("", f"{what} must be a number, got {shown(value)}") from None
        if not dec.is_finite():
            raise DataError.at("", f"{what} must be a finite number, got {shown(value)}")
        return dec
    raise InexactAmountError(
        f"{what} must be a Decimal, int or numeric string, got {type(value).__name__}"
    )


class WrittenNumber(Decimal):
    """A number read from a document, its digits exactly as written (``1.000`` stays ``1.000``).

    The data readers build these for YAML and JSON numbers, so that `amount_text` can check
    what the author wrote: ``amount: 1.000`` must not silently become one euro.
    """

    __slots__ = ()


# Digit groups a reader must not guess at: "1.000" (a German thousand, or one to three
# decimals?), "1.000.000", "2.500,00" and "12,5" (decimal commas).
_DOT_THOUSANDS = re.compile(r"[-+]?[1-9]\d{0,2}\.\d{3}")
_DOT_GROUPS = re.compile(r"[-+]?[1-9]\d{0,2}(?:\.\d{3}){2,}")
_COMMA_GROUPS = re.compile(r"[-+]?[1-9]\d{0,2}(?:,\d{3})+(?:\.\d*)?")
_DECIMAL_COMMA = re.compile(r"([-+]?)((?:[1-9]\d{0,2}(?:\.\d{3})+)|\d+),(\d+)")


def _grouped(value: Decimal) -> str:
    return format(value, ",")  # the format mini-language: "," groups by threes, no locale


def amount_text(text: str, currency: str | None = None) -> Decimal:
    """Read the number of an amount written as text, refusing digit groups that are ambiguous.

    Commas group thousands (``1,200.50``) and must group by threes; underscores may group too.
    A dot is the decimal point, so ``1.000`` is refused (is it a thousand, written the German
    way?) unless *currency* has three decimals, as the Kuwaiti dinar does; a decimal comma
    (``2.500,00``, ``12,5``) is refused with the amount written the right way. Raise
    `DataError` (without a path).

    >>> amount_text("1,200.50", "EUR"), amount_text("1.000", "KWD")
    (Decimal('1200.50'), Decimal('1.000'))
    >>> amount_text("2.500,00", "EUR")
    Traceback (most recent call last):
    ...
    arcollect.errors.DataError: '2.500,00' looks like a decimal comma: write 2,500.00
    """
    number = text.strip()
    exp = currency_exponent(currency) if currency is not None and is_currency(currency) else 2
    if (_DOT_THOUSANDS.fullmatch(number) and exp != 3) or _DOT_GROUPS.fullmatch(number):
        whole = Decimal(number.replace(".", ""))
        ways = [str(whole), _grouped(whole)]
        if exp:
            ways.append(f"{_grouped(whole)}.{'0' * exp}")
        raise DataError.at(
            "",
            f"ambiguous amount {number!r}: a dot is the decimal point: "
            f"write {', '.join(ways[:-1])} or {ways[-1]}",
        )
    if "," in number and not _COMMA_GROUPS.fullmatch(number.replace("_", "")):
        m = _DECIMAL_COMMA.fullmatch(number)
        if m:
            sign, whole_text, fraction = m.groups()
            fixed = Decimal(f"{sign}{whole_text.replace('.', '')}.{fraction}")
            raise DataError.at(
                "", f"{number!r} looks like a decimal comma: write {_grouped(fixed)}"
            )
        raise DataError.at(
            "",
            f"commas in {number!r} do not group digits by threes: "
            "write the amount as 1200.50 or 1,200.50",
        )
    try:
        return Decimal(number.replace(",", "").replace("_", ""))
    except decimal.InvalidOperation:
        raise DataError.at("", f"expected an amount such as '1200.00', got {text!r}") from None


def _check_currency(_inst: object, _attr: object, code: Any) -> None:
    if not isinstance(code, str) or not is_currency(code):
        raise CurrencyError(
            f"unknown currency {shown(code)}: expected an ISO 4217 code such as 'EUR'"
        )


def _check_size(amount: Decimal) -> Decimal:
    if amount and amount.adjusted() >= MAX_AMOUNT_DIGITS:
        digits = amount.adjusted() + 1
        raise DataError.at(
            "",
            f"an amount of {digits} digits before the decimal point is too large: "
            f"at most {MAX_AMOUNT_DIGITS} are allowed",
        )
    return amount


def _amount(value: Decimal | int | str) -> Decimal:
    return _check_size(_to_decimal(value, "amount"))


@functools.total_ordering
@attrs.frozen(repr=False, eq=True, order=False)
class Money:
    """An exact amount of money in one currency.

    *amount* may be a `Decimal`, an `int` or a numeric string; it is rounded half to even to
    the currency's minor unit. A float is refused: it cannot hold most decimal amounts exactly,
    and so is an amount of more than `MAX_AMOUNT_DIGITS` digits before the decimal point.

    >>> Money("0.125", "EUR")
    Money('0.12', 'EUR')
    >>> Money(1000, "JPY")
    Money('1000', 'JPY')
    >>> Money(0.1, "EUR")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    arcollect.errors.InexactAmountError: amount must be exact: got the float 0.1; use Decimal(...
    """

    amount: Decimal = attrs.field(converter=_amount)
    currency: str = attrs.field(validator=_check_currency)

    def __attrs_post_init__(self) -> None:
        rounded = self.amount.quantize(_quantum(self.currency), context=MONEY_CONTEXT)
        if rounded.is_zero():
            rounded = abs(rounded)  # no negative zero
        object.__setattr__(self, "amount", rounded)

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def _exact_sum(cls, amount: Decimal, currency: str) -> Money:
        """Wrap a Decimal computed from amounts already valid in *currency* (a sum, a difference).

        Skips the validation and conversion of the public constructor (and its bound on the
        size of an amount: results of arithmetic may exceed it): the hot paths of facts and
        evaluation build many such values. The amount is rounded half to even to the minor
        unit, which is exact for sums and differences.
        """
        amount = amount.quantize(_quantum(currency), context=MONEY_CONTEXT)
        if not amount:  # one zero per currency (never negative): many results are zero
            zero = _ZEROS.get(currency)
            if zero is None:
                zero = _ZEROS[currency] = cls.zero(currency)
            return zero
        money = object.__new__(cls)
        object.__setattr__(money, "amount", amount)
        object.__setattr__(money, "currency", currency)
        return money

    @classmethod
    def zero(cls, currency: str) -> Money:
        """Return zero in *currency*."""
        return cls(Decimal(0), currency)

    @classmethod
    def sum(cls, items: Iterable[Money], currency: str) -> Money:
        """Return the sum of *items*, all in *currency*; zero for an empty iterable.

        >>> Money.sum([], "EUR")
        Money('0.00', 'EUR')
        >>> Money.sum([Money(1, "EUR"), Money("2.5", "EUR")], "EUR")
        Money('3.50', 'EUR')
        """
        total = Decimal(0)
        for item in items:
            if item.currency != currency:
                raise CurrencyMismatchError(
                    f"cannot sum {item.currency} into a total in {currency}"
                )
            total = MONEY_CONTEXT.add(total, item.amount)
        return cls._exact_sum(total, currency)

    @classmethod
    def parse(cls, text: str, default_currency: str | None = None) -> Money:
        """Parse ``"1,200.50 EUR"``, ``"EUR 1200.50"`` or, given a default currency, ``"1200.50"``.

        Commas and underscores group thousands, a dot is the decimal point: an ambiguous amount
        such as ``"1.000 EUR"`` or ``"2.500,00 EUR"`` is refused (see `amount_text`). The amount
        must not have more decimals than the currency's minor unit (no silent rounding of data).

        >>> Money.parse("1,200.50 EUR")
        Money('1200.50', 'EUR')
        >>> Money.parse("12", default_currency="JPY")
        Money('12', 'JPY')
        """
        parts = text.split()
        if len(parts) == 2 and parts[0].isalpha():
            parts.reverse()
        if len(parts) == 2:
            number, currency = parts
        elif len(parts) == 1 and default_currency is not None:
            number, currency = parts[0], default_currency
        else:
            raise DataError.at(
                "", f"expected an amount with a currency such as '1200.00 EUR', got {text!r}"
            )
        if not is_currency(currency):
            raise CurrencyError(
                f"unknown currency {currency!r} in {text!r}: "
                "expected an ISO 4217 code such as 'EUR'"
            )
        try:
            amount = amount_text(number, currency)
        except DataError as exc:
            message = exc.problems[0].message
            if message.startswith("expected an amount"):
                message = f"expected an amount such as '1200.00 {currency}', got {text!r}"
            raise DataError.at("", message) from None
        return cls.exact(amount, currency)

    @classmethod
    def exact(cls, amount: Decimal | int, currency: str) -> Money:
        """Return Money for *amount*, refusing amounts finer than the currency's minor unit.

        >>> Money.exact(Decimal("1.005"), "EUR")
        Traceback (most recent call last):
        ...
        arcollect.errors.DataError: 1.005 has more decimals than EUR allows (2)
        """
        dec = _check_size(_to_decimal(amount, "amount"))
        exp = currency_exponent(currency)
        if not dec.is_finite() or dec != dec.quantize(_quantum(currency), context=MONEY_CONTEXT):
            raise DataError.at("", f"{dec} has more decimals than {currency} allows ({exp})")
        return cls(dec, currency)

    # -- arithmetic --------------------------------------------------------------------------

    def _same(self, other: Money, verb: str) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatchError(
                f"cannot {verb} {self.currency} and {other.currency}: convert to one currency first"
            )

    def __add__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "add")
        return Money._exact_sum(MONEY_CONTEXT.add(self.amount, other.amount), self.currency)

    def __sub__(self, other: object) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "subtract")
        return Money._exact_sum(MONEY_CONTEXT.subtract(self.amount, other.amount), self.currency)

    def __neg__(self) -> Money:
        return Money._exact_sum(MONEY_CONTEXT.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._exact_sum(MONEY_CONTEXT.abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        dec = _to_decimal(factor, "a money factor")
        return Money._exact_sum(MONEY_CONTEXT.multiply(self.amount, dec), self.currency)

    __rmul__ = __mul__

    @overload
    def __truediv__(self, other: Money) -> Decimal: ...
    @overload
    def __truediv__(self, other: Decimal | int) -> Money: ...
    def __truediv__(self, other: Money | Decimal | int) -> Money | Decimal:
        """Divide by a number (giving Money) or by Money of the same currency (giving a ratio)."""
        if isinstance(other, Money):
            if self.currency != other.currency:
                self._same(other, "divide")
            return MONEY_CONTEXT.divide(self.amount, other.amount)
        dec = _to_decimal(other, "a money divisor")
        return Money._exact_sum(MONEY_CONTEXT.divide(self.amount, dec), self.currency)

    def ratio(self, other: Money) -> Decimal:
        """Return ``self / other`` as an exact Decimal ratio (same currency only)."""
        self._same(other, "divide")
        return MONEY_CONTEXT.divide(self.amount, other.amount)

    # All four comparisons are written out (total_ordering's derived ones cost two calls each:
    # policies compare amounts on every account).
    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "compare")
        return self.amount < other.amount

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "compare")
        return self.amount <= other.amount

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "compare")
        return self.amount > other.amount

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Money):
            return NotImplemented
        if self.currency != other.currency:
            self._same(other, "compare")
        return self.amount >= other.amount

    def __bool__(self) -> bool:
        return not self.amount.is_zero()

    @property
    def is_zero(self) -> bool:
        """Whether the amount is zero."""
        return self.amount.is_zero()

    @property
    def is_negative(self) -> bool:
        """Whether the amount is below zero (a credit)."""
        return self.amount < 0

    # -- allocation --------------------------------------------------------------------------

    def allocate(self, ratios: Sequence[Decimal | int]) -> tuple[Money, ...]:
        """Split into parts proportional to *ratios*, losing and inventing no minor unit.

        Each part is first rounded toward zero; the leftover minor units go one each to the
        parts with the largest remainders (ties: the earlier part). The parts sum to ``self``.

        >>> Money("10.00", "EUR").allocate([1, 2])
        (Money('3.33', 'EUR'), Money('6.67', 'EUR'))
        """
        with decimal.localcontext(MONEY_CONTEXT):
            return self._allocate([_to_decimal(r, "a ratio") for r in ratios])

    def _allocate(self, weights: list[Decimal]) -> tuple[Money, ...]:
        if not weights:
            raise ValueError("cannot allocate into zero parts")
        if any(w < 0 for w in weights):
            raise ValueError("allocation ratios must not be negative")
        total_weight = MONEY_CONTEXT.add(Decimal(0), sum(weights, Decimal(0)))
        if total_weight.is_zero():
            raise ValueError("allocation ratios must not all be zero")
        exp = currency_exponent(self.currency)
        units = int(self.amount.scaleb(exp))  # total in minor units, exact
        sign = -1 if units < 0 else 1
        units = abs(units)
        shares = [
            MONEY_CONTEXT.divide(MONEY_CONTEXT.multiply(w, units), total_weight) for w in weights
        ]
        floors = [int(s) for s in shares]  # int() truncates toward zero; shares are >= 0
        leftover = units - sum(floors)
        order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
        for i in order[:leftover]:
            floors[i] += 1
        return tuple(Money(Decimal(sign * f).scaleb(-exp), self.currency) for f in floors)

    def split(self, parts: SupportsIndex) -> tuple[Money, ...]:
        """Split into *parts* equal installments (the first ones take any leftover minor units).

        >>> Money("100.00", "EUR").split(3)
        (Money('33.34', 'EUR'), Money('33.33', 'EUR'), Money('33.33', 'EUR'))
        """
        n = int(parts)
        if n < 1:
            raise ValueError(f"cannot split into {n} parts")
        return self.allocate([1] * n)

    # -- text --------------------------------------------------------------------------------

    def __repr__(self) -> str:
        return f"Money({str(self.amount)!r}, {self.currency!r})"

    def __str__(self) -> str:
        """Return the plain interchange form, ``'1200.50 EUR'`` (see `Money.parse`)."""
        return f"{self.amount} {self.currency}"

    def format(self, locale: str) -> str:
        r"""Format for people in *locale*, e.g. ``'€1,200.50'`` (en_US) or ``'1.200,50 €'`` (de_DE).

        >>> Money("1200.5", "EUR").format("de_DE")
        '1.200,50\xa0€'
        """
        return str(babel.numbers.format_currency(self.amount, self.currency, locale=locale))
