"""The names of a portfolio's tables, for code that must know them without importing polars.

`arcollect.frame` reads and writes the tables (its schemas follow this order); the command
line tells a table directory or file by these names before it imports the columnar engine.
"""

from __future__ import annotations

from typing import Final

__all__ = ["TABLE_NAMES"]

#: The tables of a portfolio, in order: ``accounts`` (the only one required), then the tables
#: of each account's records.
TABLE_NAMES: Final = (
    "accounts",
    "contacts",
    "invoices",
    "payments",
    "promises",
    "disputes",
    "activities",
    "snoozes",
)
