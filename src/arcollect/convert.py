"""Conversion between the domain types and plain data: dicts, JSON, YAML and CSV rows.

The portfolio format (docs/data-format.md) is a mapping with an optional default ``currency``
and a list of ``accounts``. Amounts are written ``"1200.00 EUR"``, or as a bare number in the
account's currency; dates ``2026-10-01``; payment terms ``30 days``.

Reading is strict and complete: an unknown field, a wrong type, an impossible date, an unknown
currency or an inexact float is an error, and every error of a document is reported at once,
each with the path of the offending field::

    portfolio.yaml: 2 problems
      accounts[3].invoices[0].due: expected a date (YYYY-MM-DD), got '31/02/2026'
      accounts[4].currency: unknown currency 'EUX': expected an ISO 4217 code such as 'EUR'

>>> acct = structure({"id": "C-1", "currency": "EUR", "terms": "30 days"}, Account)
>>> acct.terms
30
>>> unstructure(acct)
{'id': 'C-1', 'currency': 'EUR', 'terms': '30 days'}
"""

from __future__ import annotations

import contextvars
import csv
import difflib
import enum
import io
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
import cattrs.errors
import yaml
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from arcollect._yaml import Dumper, load_yaml
from arcollect.domain.account import Account
from arcollect.domain.money import Money, currency_exponent
from arcollect.domain.records import (
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
)
from arcollect.errors import ArcollectError, CurrencyError, DataError, Problem

__all__ = [
    "IBM_CSV_COLUMNS",
    "dump_portfolio",
    "parse_ibm_csv",
    "parse_portfolio",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_ibm_csv",
    "read_portfolio",
    "structure",
    "unstructure",
]

T = TypeVar("T")

_RECORD_TYPES: Final = (
    Account,
    Activity,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Payment,
    Promise,
)

_ENUMS: Final = (Channel, Outcome, DisputeReason)

# The currency that bare-number amounts are in, while an account (or portfolio) is structured.
_default_currency: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "arcollect_default_currency", default=None
)


class _FieldError(ValueError):
    """A leaf value that does not fit its field; the message is shown as is."""


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (a boolean)"
    if isinstance(value, int | float | Decimal):
        return f"{value} (a number)"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    return type(value).__name__


# --------------------------------------------------------------------------------------------
# Leaf hooks


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        hint = f" (quote it: '{value}')" if isinstance(value, int | float | Decimal) else ""
        raise _FieldError(f"expected a string, got {_describe(value)}{hint}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"expected true or false, got {_describe(value)}")
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"expected a whole number, got {_describe(value)}")
    return value


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}\Z")


def _structure_date(value: Any, _: type) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise _FieldError(f"expected a date, got {value!r}: there is no such day") from None
    raise _FieldError(f"expected a date (YYYY-MM-DD), got {_describe(value)}")


def _float_to_decimal(value: float, currency: str | None) -> Decimal:
    """Accept a float only if it certainly stands for the decimal the author wrote."""
    if not math.isfinite(value):
        raise _FieldError(f"expected an amount, got {value}")
    dec = Decimal(repr(value))
    # Beyond this magnitude a float cannot tell neighbouring minor units apart: digits were lost.
    exp = currency_exponent(currency) if currency else 2
    if math.ulp(value) * 2 > 10.0**-exp:
        raise _FieldError(
            f"expected an exact amount, got {value!r}, a number too large to be read exactly; "
            "write it as a string, e.g. '12345678901234567.89 EUR'"
        )
    return dec


def _structure_decimal(value: Any, _: type) -> Decimal:
    if isinstance(value, bool):
        raise _FieldError(f"expected a number, got {_describe(value)}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _float_to_decimal(value, None)
    if isinstance(value, str):
        try:
            dec = Decimal(value.strip().replace(",", "").replace("_", ""))
        except InvalidOperation:
            pass
        else:
            if dec.is_finite():
                return dec
    raise _FieldError(f"expected a number, got {_describe(value)}")


def _structure_money(value: Any, _: type) -> Money:
    default = _default_currency.get()
    try:
        if isinstance(value, str):
            return Money.parse(value, default_currency=default)
        if isinstance(value, Mapping):
            extra = set(value) - {"amount", "currency"}
            if extra or "amount" not in value:
                raise _FieldError(
                    "expected an amount such as '1200.00 EUR' or {amount: 1200.00, currency: EUR}"
                )
            currency = value.get("currency", default)
            if currency is None:
                raise _FieldError(f"amount {value['amount']} has no currency")
            amount = _structure_decimal(value["amount"], Decimal)
            return Money.exact(amount, _structure_str(currency, str))
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if default is None:
                raise _FieldError(
                    f"amount {value} has no currency: write it as '{value} EUR' "
                    "or give the account a currency"
                )
            if isinstance(value, float):
                value = _float_to_decimal(value, default)
            return Money.exact(value, default)
    except CurrencyError as exc:
        raise _FieldError(str(exc)) from None
    except DataError as exc:
        raise _FieldError(exc.problems[0].message) from None
    raise _FieldError(f"expected an amount such as '1200.00 EUR', got {_describe(value)}")


_DAYS = re.compile(r"(?:net\s+)?(\d+)(?:\s+days?)?\Z", re.IGNORECASE)


def _structure_days(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = _DAYS.match(value.strip())
        if m:
            return int(m.group(1))
    raise _FieldError(f"expected a number of days such as '30 days', got {_describe(value)}")


def _unstructure_days(value: int | None) -> str | None:
    return None if value is None else f"{value} day{'s' if value != 1 else ''}"


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    names = [str(m.value) for m in cls]

    def hook(value: Any, _: type) -> enum.Enum:
        try:
            return cls(value)
        except ValueError:
            pass
        msg = f"expected one of {', '.join(repr(n) for n in names)}; got {_describe(value)}"
        if isinstance(value, str):
            close = difflib.get_close_matches(value, names, n=1)
            if close:
                msg = (
                    f"unknown value {value!r}; did you mean {close[0]!r}? "
                    f"(one of {', '.join(names)})"
                )
        raise _FieldError(msg)

    return hook


# --------------------------------------------------------------------------------------------
# Containers: lists must be lists (a string is not a list of characters).


def _is_homogeneous_tuple(tp: Any) -> bool:
    args = get_args(tp)
    return get_origin(tp) is tuple and len(args) == 2 and args[1] is Ellipsis


def _is_frozenset(tp: Any) -> bool:
    return get_origin(tp) is frozenset


def _sequence_hook_factory(tp: Any, conv: cattrs.Converter) -> Callable[[Any, type], Any]:
    (item_type, *_) = get_args(tp)
    make = frozenset if _is_frozenset(tp) else tuple

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, list | tuple | set | frozenset):
            raise _FieldError(f"expected a list, got {_describe(value)}")
        items = []
        problems: list[Problem] = []
        for i, item in enumerate(value):
            try:
                items.append(conv.structure(item, item_type))
            except Exception as exc:  # noqa: BLE001 - every failure becomes a reported problem
                problems += [p.under(f"[{i}]") for p in _problems(exc)]
        if problems:
            raise DataError(problems)
        return make(items)

    return hook


# --------------------------------------------------------------------------------------------
# Records: a mapping is required, unknown fields are reported with a suggestion.


def _record_hook_factory(cls: type[Any], conv: cattrs.Converter) -> Callable[[Any, type], Any]:
    overrides: dict[str, Any] = {}
    if cls is Account:
        overrides["terms"] = override(struct_hook=_structure_days)
    inner = make_dict_structure_fn(
        cls, conv, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=True, **overrides
    )
    fields = [a.name for a in attrs.fields(cls)]

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise _FieldError(f"expected a mapping of fields, got {_describe(value)}")
        unknown = [
            Problem(str(k), _unknown_field(str(k), fields)) for k in value if k not in fields
        ]
        known = {k: v for k, v in value.items() if k in fields} if unknown else value
        try:
            result = _structure_account(known, inner) if cls is Account else inner(known, cls)
        except Exception as exc:  # noqa: BLE001 - reported together with the unknown fields
            raise DataError(unknown + _problems(exc)) from None
        if unknown:
            raise DataError(unknown)
        return result

    return hook


def _unknown_field(name: str, fields: Sequence[str]) -> str:
    close = difflib.get_close_matches(name, fields, n=1)
    if close:
        return f"unknown field; did you mean {close[0]!r}?"
    return f"unknown field (expected one of: {', '.join(fields)})"


def _structure_account(value: Mapping[str, Any], inner: Callable[[Any, type], Any]) -> Account:
    data = dict(value)
    currency = data.get("currency", _default_currency.get())
    if currency is None:
        raise DataError.at("currency", "missing required field (or a portfolio-wide currency)")
    data["currency"] = currency
    token = _default_currency.set(currency if isinstance(currency, str) else None)
    try:
        return inner(data, Account)  # type: ignore[no-any-return]
    finally:
        _default_currency.reset(token)


def _problems(exc: BaseException) -> list[Problem]:
    """Flatten a structuring failure into problems with relative paths."""
    if isinstance(exc, DataError):
        return list(exc.problems)
    if isinstance(exc, cattrs.errors.ClassValidationError):
        with_notes, without = exc.group_exceptions()
        out = [p.under(note.name) for e, note in with_notes for p in _problems(e)]
        return out + [p for e in without for p in _problems(e)]
    if isinstance(exc, cattrs.errors.IterableValidationError):
        with_notes_i, without_i = exc.group_exceptions()
        out = [p.under(f"[{note.index}]") for e, note in with_notes_i for p in _problems(e)]
        return out + [p for e in without_i for p in _problems(e)]
    if isinstance(exc, cattrs.errors.ForbiddenExtraKeysError):
        return [Problem(k, "unknown field") for k in sorted(exc.extra_fields)]
    if isinstance(exc, KeyError):
        return [Problem("", "missing required field")]
    if isinstance(exc, _FieldError | ArcollectError):
        return [Problem("", str(exc))]
    if isinstance(exc, cattrs.errors.StructureHandlerNotFoundError):
        raise exc
    return [Problem("", f"invalid value ({exc})")]


# --------------------------------------------------------------------------------------------
# The converter


def _unstructure_enum(value: enum.Enum) -> Any:
    return value.value


def _unstructure_money(value: Money) -> str:
    return str(value)


def _make_converter() -> cattrs.Converter:
    conv = cattrs.Converter(forbid_extra_keys=True, detailed_validation=True)
    # Class hooks win over predicate hooks in cattrs, and the one for `str` would also catch
    # our StrEnums: so each enum gets a class hook of its own.
    conv.register_structure_hook(str, _structure_str)
    conv.register_structure_hook(bool, _structure_bool)
    conv.register_structure_hook(int, _structure_int)
    for enum_cls in _ENUMS:
        conv.register_structure_hook(enum_cls, _enum_hook(enum_cls))
    conv.register_structure_hook(Decimal, _structure_decimal)
    conv.register_structure_hook(date, _structure_date)
    conv.register_structure_hook(Money, _structure_money)
    conv.register_structure_hook_factory(
        lambda t: _is_homogeneous_tuple(t) or _is_frozenset(t),
        lambda t: _sequence_hook_factory(t, conv),
    )
    for cls in _RECORD_TYPES:
        conv.register_structure_hook(cls, _record_hook_factory(cls, conv))

    conv.register_unstructure_hook(Money, _unstructure_money)
    conv.register_unstructure_hook(Decimal, str)
    conv.register_unstructure_hook(date, date.isoformat)
    conv.register_unstructure_hook_func(lambda t: t is frozenset or _is_frozenset(t), sorted)
    for enum_cls in _ENUMS:
        conv.register_unstructure_hook(enum_cls, _unstructure_enum)
    # A factory, so that each record's function is made when first needed, after every hook
    # above exists (nested records then leave out their defaults too).
    conv.register_unstructure_hook_factory(
        lambda t: t in _RECORD_TYPES, lambda t: _record_unstructure_fn(t, conv)
    )
    return conv


def _record_unstructure_fn(cls: type[Any], conv: cattrs.Converter) -> Callable[[Any], Any]:
    overrides: dict[str, Any] = {}
    if cls is Account:
        overrides["terms"] = override(unstruct_hook=_unstructure_days)
    return make_dict_unstructure_fn(cls, conv, _cattrs_omit_if_default=True, **overrides)


_CONVERTER: Final = _make_converter()


def structure(data: Any, cls: type[T], *, currency: str | None = None) -> T:
    """Build a domain object of type *cls* from plain data, or raise `DataError`.

    *currency* is the default for amounts written as bare numbers.

    >>> structure({"date": "2026-10-20", "amount": 2000}, Payment, currency="EUR").amount
    Money('2000.00', 'EUR')
    """
    token = _default_currency.set(currency)
    try:
        return _CONVERTER.structure(data, cls)
    except Exception as exc:  # noqa: BLE001 - translated into one complete DataError
        raise DataError(_problems(exc)) from None
    finally:
        _default_currency.reset(token)


def unstructure(obj: Any) -> Any:
    """Return plain data (dicts, lists, strings, numbers) for a domain object.

    Defaults are left out; money is written ``"1200.00 EUR"``, dates ISO, sets as sorted lists.
    """
    return _CONVERTER.unstructure(obj)


# --------------------------------------------------------------------------------------------
# Portfolios


def portfolio_from_dict(data: Any) -> tuple[Account, ...]:
    """Build the accounts of a portfolio document (already parsed into plain data)."""
    if not isinstance(data, Mapping):
        raise DataError.at("", f"expected a mapping with 'accounts', got {_describe(data)}")
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


# --------------------------------------------------------------------------------------------
# The IBM accounts-receivable CSV shape

#: The columns of the IBM Watson Analytics accounts-receivable sample, in order.
IBM_CSV_COLUMNS: Final = (
    "countryCode",
    "customerID",
    "PaperlessDate",
    "invoiceNumber",
    "InvoiceDate",
    "DueDate",
    "InvoiceAmount",
    "Disputed",
    "SettledDate",
    "PaperlessBill",
    "DaysToSettle",
    "DaysLate",
)

_US_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})\Z")


def _us_date(text: str) -> date:
    m = _US_DATE.match(text.strip())
    if m is None:
        raise _FieldError(f"expected a date (M/D/YYYY), got {text!r}")
    month, day, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        raise _FieldError(f"expected a date, got {text!r}: there is no such day") from None


def parse_ibm_csv(
    text: str, *, source: str = "<string>", currency: str = "USD"
) -> tuple[Account, ...]:
    """Load accounts from CSV text of the IBM accounts-receivable shape (see `IBM_CSV_COLUMNS`).

    Each row is one invoice, settled in full on ``SettledDate`` by one payment applied to it.
    ``Disputed=Yes`` adds a dispute on the invoice, opened on its due date (or its settlement
    date, if earlier) and resolved on its settlement date. ``PaperlessBill`` becomes the invoice
    tag ``paper`` or ``electronic``. An account's terms are its most common invoice term (the
    shorter one on a tie). Accounts come sorted by id; amounts are in *currency*.
    """
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise DataError([Problem("", "the file is empty; expected a header row")], source)
    if tuple(h.strip().lstrip("\ufeff") for h in header) != IBM_CSV_COLUMNS:
        raise DataError(
            [Problem("line 1", f"expected the columns {', '.join(IBM_CSV_COLUMNS)}")], source
        )
    problems: list[Problem] = []
    rows: dict[str, list[tuple[str, Invoice, Payment, Dispute | None]]] = defaultdict(list)
    numbers: dict[str, int] = {}
    for lineno, row in enumerate(reader, start=2):
        if not row:
            continue
        where = f"line {lineno}"
        if len(row) != len(IBM_CSV_COLUMNS):
            problems.append(
                Problem(where, f"expected {len(IBM_CSV_COLUMNS)} fields, got {len(row)}")
            )
            continue
        rec = dict(zip(IBM_CSV_COLUMNS, (c.strip() for c in row), strict=True))
        row_problems: list[Problem] = []

        def get(
            column: str,
            parse: Callable[[str], Any],
            rec: dict[str, str] = rec,
            row_problems: list[Problem] = row_problems,
            where: str = where,
        ) -> Any:
            try:
                return parse(rec[column])
            except (_FieldError, ArcollectError) as exc:
                message = exc.problems[0].message if isinstance(exc, DataError) else str(exc)
                row_problems.append(Problem(f"{where}: {column}", message))
                return None

        issued = get("InvoiceDate", _us_date)
        due = get("DueDate", _us_date)
        settled = get("SettledDate", _us_date)
        amount = get("InvoiceAmount", lambda s: Money.parse(s, default_currency=currency))
        disputed = get("Disputed", _yes_no)
        paperless = get("PaperlessBill", _paperless)
        number = rec["invoiceNumber"]
        customer = rec["customerID"]
        if not number:
            row_problems.append(Problem(f"{where}: invoiceNumber", "expected an invoice number"))
        if not customer:
            row_problems.append(Problem(f"{where}: customerID", "expected a customer id"))
        if number in numbers:
            row_problems.append(
                Problem(
                    f"{where}: invoiceNumber",
                    f"duplicate invoice number {number!r} (also line {numbers[number]})",
                )
            )
        if row_problems:
            problems += row_problems
            continue
        numbers[number] = lineno
        try:
            invoice = Invoice(number, issued=issued, due=due, amount=amount, tags={paperless})
            payment = Payment(
                settled, amount, reference=f"settlement {number}", applies_to=(number,)
            )
            dispute = (
                Dispute(min(due, settled), invoices=(number,), resolved=settled)
                if disputed
                else None
            )
        except DataError as exc:
            problems += [Problem(f"{where}: {p.path}", p.message) for p in exc.problems]
            continue
        rows[customer].append((rec["countryCode"], invoice, payment, dispute))
    if problems:
        raise DataError(problems, source)

    accounts = []
    for customer in sorted(rows):
        entries = rows[customer]
        terms = Counter((inv.due - inv.issued).days for _, inv, _, _ in entries)
        common = max(terms.values())
        accounts.append(
            Account(
                customer,
                currency,
                name=customer,
                country=entries[0][0] or None,
                terms=min(t for t, n in terms.items() if n == common),
                invoices=[inv for _, inv, _, _ in entries],
                payments=[pay for _, _, pay, _ in entries],
                disputes=[d for _, _, _, d in entries if d is not None],
            )
        )
    return tuple(accounts)


def _yes_no(text: str) -> bool:
    if text in ("Yes", "No"):
        return text == "Yes"
    raise _FieldError(f"expected Yes or No, got {text!r}")


def _paperless(text: str) -> str:
    if text in ("Paper", "Electronic"):
        return text.lower()
    raise _FieldError(f"expected Paper or Electronic, got {text!r}")


def read_ibm_csv(path: str | Path, *, currency: str = "USD") -> tuple[Account, ...]:
    """Read a CSV file of the IBM accounts-receivable shape; see `parse_ibm_csv`."""
    p = Path(path)
    return parse_ibm_csv(_read_text(p), source=str(p), currency=currency)
