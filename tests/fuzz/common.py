"""Inputs shared by the harnesses: the shipped rule files, the example portfolio, dates."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path

from arcollect import Account, read_portfolio
from arcollect.data import demo_policy_text, ibm_csv_text

__all__ = [
    "AS_OF",
    "EDGE_DATES",
    "ROOT",
    "csv_sample",
    "portfolio_text",
    "rule_files",
    "small_portfolio",
]

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2026, 11, 23)
#: Plan dates that probe the ends of the calendar.
EDGE_DATES = (AS_OF, date(1, 1, 2), date(9999, 12, 30), date(2026, 12, 25))


@functools.cache
def rule_files() -> tuple[tuple[str, str], ...]:
    """The shipped rule files, as (name, text): rules/ and the packaged demo policy."""
    files = [(p.name, p.read_text("utf-8")) for p in sorted((ROOT / "rules").iterdir())]
    return (*files, ("standard-usd.arc", demo_policy_text()))


@functools.cache
def portfolio_text() -> str:
    """The example portfolio's YAML text."""
    return (ROOT / "examples" / "portfolio.yaml").read_text("utf-8")


@functools.cache
def small_portfolio() -> tuple[Account, ...]:
    """The example portfolio's accounts."""
    return read_portfolio(ROOT / "examples" / "portfolio.yaml")


@functools.cache
def csv_sample(rows: int = 40) -> str:
    """The head of the packaged IBM CSV: its header and *rows* invoices."""
    return "\n".join(ibm_csv_text().split("\n")[: rows + 1]) + "\n"
