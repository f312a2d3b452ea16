"""Replay of the real IBM accounts-receivable data set, checked against the raw CSV rows."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from decimal import Decimal

import pytest

from arcollect import Account, Money, facts, parse_ibm_csv
from arcollect.data import ibm_csv_text

MONTH_ENDS = [
    date.fromordinal(date(y + (m == 12), m % 12 + 1, 1).toordinal() - 1)  # day before the 1st
    for y in (2012, 2013)
    for m in range(1, 13)
]


def _us(text: str) -> date:
    return datetime.strptime(text, "%m/%d/%Y").date()  # noqa: DTZ007 - a date, no time zone


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(ibm_csv_text(), newline="")))


@pytest.fixture(scope="module")
def accounts() -> tuple[Account, ...]:
    return parse_ibm_csv(ibm_csv_text())


def test_month_ends_are_the_24_of_2012_and_2013() -> None:
    """The replay covers each month end from January 2012 to December 2013."""
    assert len(MONTH_ENDS) == 24
    assert (MONTH_ENDS[0], MONTH_ENDS[1], MONTH_ENDS[-1]) == (
        date(2012, 1, 31),
        date(2012, 2, 29),
        date(2013, 12, 31),
    )


@pytest.mark.parametrize("as_of", MONTH_ENDS, ids=str)
def test_open_and_overdue_match_the_raw_rows(
    as_of: date, rows: list[dict[str, str]], accounts: tuple[Account, ...]
) -> None:
    """Total open (InvoiceDate <= d < SettledDate) and overdue (also DueDate < d) agree."""
    expected_open = sum(
        (
            Decimal(r["InvoiceAmount"])
            for r in rows
            if _us(r["InvoiceDate"]) <= as_of < _us(r["SettledDate"])
        ),
        Decimal(0),
    )
    expected_overdue = sum(
        (
            Decimal(r["InvoiceAmount"])
            for r in rows
            if _us(r["InvoiceDate"]) <= as_of < _us(r["SettledDate"]) and _us(r["DueDate"]) < as_of
        ),
        Decimal(0),
    )
    all_facts = [facts(a, as_of) for a in accounts]
    assert Money.sum((f.balance for f in all_facts), "USD") == Money(expected_open, "USD")
    assert Money.sum((f.overdue for f in all_facts), "USD") == Money(expected_overdue, "USD")
    assert expected_open > 0
