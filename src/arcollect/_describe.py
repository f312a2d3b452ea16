"""Values as error messages show them: short, and safe for any value a caller may pass.

A message must never fail to be written: Python refuses to turn an integer of more than 4,300
digits into text, and a megabyte string makes an unreadable message. `shown` is ``repr`` with
those two cut down; `describe` says what kind of value it is as well.

>>> shown("emial"), shown(10**5000)
("'emial'", 'an integer of 5001 digits')
>>> shown("x" * 100)
"'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100 characters)"
>>> describe(3), describe([1]), describe(None)
('3 (a number)', 'a list', 'nothing (null)')
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Final

__all__ = ["describe", "shown"]

_LONGEST: Final = 40  # characters of a string shown before it is cut
_MOST_DIGITS: Final = 40  # digits of an integer shown before only its length is


def shown(value: object) -> str:
    """Return ``repr(value)``, cut short for long strings and integers."""
    if isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        digits = _digits(value)
        return repr(value) if digits <= _MOST_DIGITS else f"an integer of {digits} digits"
    if isinstance(value, str) and len(value) > _LONGEST:
        return f"{value[:_LONGEST]!r}... ({len(value)} characters)"
    try:
        text = repr(value)
    except ValueError:  # a container holding an integer too long to write out
        return f"a {type(value).__name__}"
    return text if len(text) <= 2 * _LONGEST else f"{text[: 2 * _LONGEST]}..."


def describe(value: object) -> str:
    """Describe *value* for a message: a string quoted, a number as such, a list as "a list"."""
    if isinstance(value, str):
        return shown(value)
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int) and _digits(value) > _MOST_DIGITS:
        return shown(value)
    if isinstance(value, int | float | Decimal):
        return f"{shown(value)} (a number)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return f"a {type(value).__name__}"


def _digits(value: int) -> int:
    """Return the number of decimal digits of *value*, without writing it out."""
    if value == 0:
        return 1
    bits = abs(value).bit_length()
    estimate = int(bits * math.log10(2)) + 1
    return estimate if estimate > 4000 else len(str(abs(value)))
