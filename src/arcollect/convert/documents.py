"""Portfolio documents: the accounts of a portfolio as YAML or JSON text, and back.

The portfolio format (docs/data-format.md) is a mapping with an optional default ``currency``
and a list of ``accounts``. Amounts are written ``"1200.00 EUR"``, or as a bare number in the
account's currency; dates ``2026-10-01``; payment terms ``30 days``.

Every problem of a document is reported at once, each with the path of the offending field::

    portfolio.yaml: 2 problems
      accounts[3].invoices[0].due: expected a date (YYYY-MM-DD), got '31/02/2026'
      accounts[4].currency: unknown currency 'EUX': expected an ISO 4217 code such as 'EUR'
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from arcollect._yaml import Dumper, load_yaml
from arcollect.convert.hooks import (
    _FieldError,
    _structure_str,
    _unknown_field,
    structure,
    unstructure,
)
from arcollect.domain.account import Account
from arcollect.domain.money import currency_exponent
from arcollect.domain.records import describe
from arcollect.errors import CurrencyError, DataError, Problem

__all__ = [
    "dump_portfolio",
    "parse_portfolio",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_portfolio",
]


# --------------------------------------------------------------------------------------------
# Portfolios


def portfolio_from_dict(data: Any) -> tuple[Account, ...]:
    """Build the accounts of a portfolio document (already parsed into plain data)."""
    if not isinstance(data, Mapping):
        raise DataError.at("", f"expected a mapping with 'accounts', got {describe(data)}")
    unknown = [k for k in data if k not in ("currency", "accounts")]
    problems = [Problem(str(k), _unknown_field(str(k), ["currency", "accounts"])) for k in unknown]
    currency = data.get("currency")
    if currency is not None:
        try:
            currency_exponent(_structure_str(currency, str))
        except (CurrencyError, _FieldError) as exc:
            problems.append(Problem("currency", str(exc)))
            currency = None
    if "accounts" not in data:
        problems.append(Problem("accounts", "missing required field"))
    if problems:
        raise DataError(problems)
    try:
        accounts = structure(data["accounts"], tuple[Account, ...], currency=currency)
    except DataError as exc:
        raise exc.under("accounts") from None
    seen: dict[str, int] = {}
    for i, acct in enumerate(accounts):
        if acct.id in seen:
            problems.append(
                Problem(
                    f"accounts[{i}].id",
                    f"duplicate account id {acct.id!r} (also accounts[{seen[acct.id]}])",
                )
            )
        seen.setdefault(acct.id, i)
    if problems:
        raise DataError(problems)
    return accounts


def portfolio_to_dict(
    accounts: Iterable[Account], *, currency: str | None = None
) -> dict[str, Any]:
    """Return the portfolio document for *accounts*; *currency* is written as its default."""
    doc: dict[str, Any] = {}
    if currency is not None:
        doc["currency"] = currency
    doc["accounts"] = [unstructure(a) for a in accounts]
    return doc


def parse_portfolio(
    text: str, *, format: str = "yaml", source: str = "<string>"
) -> tuple[Account, ...]:
    """Parse a portfolio document in *format* (``"yaml"`` or ``"json"``)."""
    if format == "json":
        try:
            data = json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            raise DataError([Problem(where, exc.msg)], source) from None
    elif format == "yaml":
        data = load_yaml(text, source)
    else:
        raise ValueError(f"unknown portfolio format {format!r}: expected 'yaml' or 'json'")
    try:
        return portfolio_from_dict(data)
    except DataError as exc:
        raise exc.with_source(source) from None


def read_portfolio(path: str | Path) -> tuple[Account, ...]:
    """Read a portfolio file: ``.yaml``/``.yml`` or ``.json``."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        fmt = "yaml"
    elif suffix == ".json":
        fmt = "json"
    else:
        raise DataError([Problem("", "expected a .yaml, .yml or .json portfolio file")], str(p))
    return parse_portfolio(_read_text(p), format=fmt, source=str(p))


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            [Problem(f"byte {exc.start}", "the file is not valid UTF-8")], str(path)
        ) from None
    except OSError as exc:
        raise DataError([Problem("", exc.strerror or str(exc))], str(path)) from None


def dump_portfolio(
    accounts: Iterable[Account],
    *,
    format: str = "yaml",
    currency: str | None = None,
) -> str:
    """Write *accounts* as a portfolio document in *format* (``"yaml"`` or ``"json"``)."""
    doc = portfolio_to_dict(accounts, currency=currency)
    if format == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if format == "yaml":
        return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)
    raise ValueError(f"unknown portfolio format {format!r}: expected 'yaml' or 'json'")
