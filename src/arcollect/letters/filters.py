r"""The template filters: money, dates, numbers, percentages and day counts, backed by Babel.

Each takes the locale explicitly, never the process locale, and formats under
`MONEY_CONTEXT`, never the caller's Decimal context:

>>> from decimal import Decimal
>>> from arcollect.domain.money import Money
>>> format_money(Money(Decimal("1234.56"), "EUR"), "de_DE")
'1.234,56\xa0€'
>>> format_money(Money(Decimal("1234.56"), "EUR"), "en_US")
'€1,234.56'
>>> format_date(date(2026, 11, 23), "long", "de_DE")
'23. November 2026'
>>> format_days(1, "en_US"), format_days(15, "fr_FR")
('1 day', '15\xa0jours')
"""

from __future__ import annotations

import decimal
from datetime import date
from decimal import Decimal
from typing import Final

import babel.dates
import babel.numbers
import babel.units

from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.errors import ArcollectError

__all__ = [
    "DATE_FORMATS",
    "FILTER_NAMES",
    "TemplateError",
    "format_date",
    "format_days",
    "format_money",
    "format_number",
    "format_percent",
]

#: The lengths the ``date`` filter accepts.
DATE_FORMATS: Final = ("short", "medium", "long")
#: The filters a template may use: arcollect's own, and nothing else is registered.
FILTER_NAMES: Final = ("date", "days", "money", "number", "percent")


class TemplateError(ArcollectError, ValueError):
    """A template that cannot be found, compiled or rendered (the message says where)."""


def format_money(value: Money, locale: str) -> str:
    """Write *value* with its currency as *locale* writes amounts."""
    if not isinstance(value, Money):
        raise TemplateError(f"the money filter needs an amount, got {type(value).__name__}")
    with decimal.localcontext(MONEY_CONTEXT):
        return babel.numbers.format_currency(value.amount, value.currency, locale=locale)


def format_date(value: date, format: str, locale: str) -> str:
    """Write *value* in the *format* (short, medium, long) of *locale*."""
    if not isinstance(value, date):
        raise TemplateError(f"the date filter needs a date, got {type(value).__name__}")
    if format not in DATE_FORMATS:
        raise TemplateError(
            f"unknown date format {format!r}: expected one of {', '.join(DATE_FORMATS)}"
        )
    return babel.dates.format_date(value, format=format, locale=locale)


def _decimal(value: object, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TemplateError(f"the {name} filter needs a number, got {type(value).__name__}")
    return Decimal(value)


def format_number(value: Decimal | int, locale: str) -> str:
    """Write the number *value* as *locale* does (``1.234,5`` in German)."""
    with decimal.localcontext(MONEY_CONTEXT):
        return babel.numbers.format_decimal(_decimal(value, "number"), locale=locale)


def format_percent(value: Decimal | int, locale: str) -> str:
    """Write the fraction *value* as a percentage of *locale* (``0.25`` is ``25 %`` in German)."""
    with decimal.localcontext(MONEY_CONTEXT):
        return babel.numbers.format_percent(_decimal(value, "percent"), locale=locale)


def format_days(value: int, locale: str) -> str:
    """Write a number of days, with the plural of *locale* (``1 day``, ``15 Tage``)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TemplateError(f"the days filter needs a whole number, got {type(value).__name__}")
    with decimal.localcontext(MONEY_CONTEXT):
        return babel.units.format_unit(value, "duration-day", length="long", locale=locale)
