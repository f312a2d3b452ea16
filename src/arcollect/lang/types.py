"""The types of the rule language.

Number (an exact Decimal), Money (with its currency, when known at check time), Duration (whole
days), Date, Bool, String, set of String, and the enumerations of the data model (a contact
channel, an outcome, a dispute reason), which compare with bare words (``irate``) or strings.
"""

from __future__ import annotations

import enum
from typing import Final

import attrs

from arcollect.domain.records import Channel, DisputeReason, Outcome

__all__ = [
    "BOOL",
    "DATE",
    "DURATION",
    "MAX_DECIMALS",
    "MAX_DURATION_DAYS",
    "MAX_INTEGER_DIGITS",
    "MAX_ROUND_PLACES",
    "NUMBER",
    "STRING",
    "STRING_SET",
    "Kind",
    "Type",
    "money",
]

# The bounds of literal and constant values: the parser and the checker refuse, located, any
# literal or constant expression beyond them, so that the evaluator can rely on them.

#: The most digits a number literal may have before its decimal point (less than 10**18).
MAX_INTEGER_DIGITS: Final = 18

#: The most decimals a number literal may have (money: no more than its currency has).
MAX_DECIMALS: Final = 18

#: The longest duration, in days (100 years), that a literal may write or that the checker
#: computes from constants (``30 days * 2``, ``2026-12-31 - 2026-01-01``), either sign.
MAX_DURATION_DAYS: Final = 36_525

#: The most decimals ``round(x, places)`` may ask for; *places* is a whole constant, 0 or more.
MAX_ROUND_PLACES: Final = 28


class Kind(enum.Enum):
    """The kind of a value."""

    NUMBER = "number"
    MONEY = "money"
    DURATION = "duration"
    DATE = "date"
    BOOL = "bool"
    STRING = "string"
    STRING_SET = "string set"
    ENUM = "enum"
    INVOICES = "invoices"


_ARTICLE = {
    Kind.NUMBER: "a number",
    Kind.MONEY: "money",
    Kind.DURATION: "a duration",
    Kind.DATE: "a date",
    Kind.BOOL: "a condition (true or false)",
    Kind.STRING: "a string",
    Kind.STRING_SET: "a set of strings",
    Kind.INVOICES: "the list of invoices",
}


@attrs.frozen
class Type:
    """A value's type.

    *currency* is set for money whose currency is known at check time; *enum* names the
    enumeration of an enum-typed value.
    """

    kind: Kind
    currency: str | None = None
    enum: type[enum.Enum] | None = attrs.field(default=None, eq=True)

    def describe(self) -> str:
        """Return the type in words, as error messages use it: ``money (EUR)``, ``a date``."""
        if self.kind is Kind.MONEY and self.currency:
            return f"money ({self.currency})"
        if self.kind is Kind.ENUM and self.enum is not None:
            return _ENUM_WORDS[self.enum]
        return _ARTICLE[self.kind]

    @property
    def is_orderable(self) -> bool:
        """Whether values of this type can be compared with ``<``."""
        return self.kind in (Kind.NUMBER, Kind.MONEY, Kind.DURATION, Kind.DATE, Kind.STRING)

    def same_as(self, other: Type) -> bool:
        """Whether two types are the same kind (money of unknown currency matches any money)."""
        if self.kind is not other.kind:
            return False
        if self.kind is Kind.ENUM:
            return self.enum is other.enum
        return True


_ENUM_WORDS: dict[type[enum.Enum], str] = {
    Channel: "a channel",
    Outcome: "a contact outcome",
    DisputeReason: "a dispute reason",
}

NUMBER = Type(Kind.NUMBER)
DURATION = Type(Kind.DURATION)
DATE = Type(Kind.DATE)
BOOL = Type(Kind.BOOL)
STRING = Type(Kind.STRING)
STRING_SET = Type(Kind.STRING_SET)
INVOICES = Type(Kind.INVOICES)


def money(currency: str | None) -> Type:
    """Return the money type in *currency* (None: known only when evaluated)."""
    return Type(Kind.MONEY, currency)


def enum_type(cls: type[enum.Enum]) -> Type:
    """Return the type of values of the enumeration *cls*."""
    return Type(Kind.ENUM, enum=cls)
