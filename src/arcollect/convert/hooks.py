"""The cattrs converter between the domain types and plain data, and its hooks.

Structuring is strict and complete: an unknown field (found once, by the record hook, with a
suggestion), a wrong type, an impossible date, an unknown currency or an inexact float is a
problem, and every problem of a value is reported at once, each with its path relative to the
value being structured.

>>> acct = structure({"id": "C-1", "currency": "EUR", "terms": "30 days"}, Account)
>>> acct.terms
30
>>> unstructure(acct)
{'id': 'C-1', 'currency': 'EUR', 'terms': '30 days'}
"""

from __future__ import annotations

import contextvars
import enum
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, TypeVar, get_args, get_origin

import attrs
import cattrs
import cattrs.errors
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn, override

from arcollect._describe import describe
from arcollect._suggest import did_you_mean
from arcollect.domain.account import Account, account_problems
from arcollect.domain.money import Money, WrittenNumber, amount_text, currency_exponent
from arcollect.domain.records import (
    Activity,
    Channel,
    Collector,
    Company,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
    Snooze,
    member,
)
from arcollect.errors import ArcollectError, CurrencyError, DataError, Problem

__all__ = ["structure", "unstructure"]

T = TypeVar("T")

_RECORD_TYPES: Final = (
    Account,
    Activity,
    Collector,
    Company,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Payment,
    Promise,
    Snooze,
)

_ENUMS: Final = (Channel, Outcome, DisputeReason)

# The currency that bare-number amounts are in, while an account (or portfolio) is structured.
_default_currency: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "arcollect_default_currency", default=None
)


class _FieldError(ValueError):
    """A leaf value that does not fit its field; the message is shown as is."""


# --------------------------------------------------------------------------------------------
# Leaf hooks


def _structure_str(value: Any, _: type) -> str:
    if not isinstance(value, str):
        hint = ""
        if isinstance(value, int | float | Decimal):
            try:
                text = str(value)
            except ValueError:  # an integer with too many digits to write out
                text = ""
            hint = f" (quote it: '{text}')" if 0 < len(text) <= 40 else ""
        raise _FieldError(f"expected a string, got {describe(value)}{hint}")
    return value


def _structure_bool(value: Any, _: type) -> bool:
    if not isinstance(value, bool):
        raise _FieldError(f"expected true or false, got {describe(value)}")
    return value


def _structure_int(value: Any, _: type) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _FieldError(f"expected a whole number, got {describe(value)}")
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
    raise _FieldError(f"expected a date (YYYY-MM-DD), got {describe(value)}")


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
        raise _FieldError(f"expected a number, got {describe(value)}")
    if isinstance(value, Decimal):
        return Decimal(value) if isinstance(value, WrittenNumber) else value  # a plain Decimal
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return _float_to_decimal(value, None)
    if isinstance(value, str):
        text = value.strip()
        try:
            if _DIGIT_GROUPS.fullmatch(text):  # groups read as amounts are: 1,5 is not 15
                dec = amount_text(text)
            else:
                dec = Decimal(text.replace("_", ""))
        except DataError as exc:
            raise _FieldError(exc.problems[0].message) from None
        except InvalidOperation:
            pass
        else:
            if dec.is_finite():
                return dec
    raise _FieldError(f"expected a number, got {describe(value)}")


_DIGIT_GROUPS = re.compile(r"[-+]?\d[\d,._]*")


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
            code = _structure_str(currency, str)
            number = value["amount"]
            if isinstance(number, str | WrittenNumber):
                amount = amount_text(str(number), code)
            else:
                amount = _structure_decimal(number, Decimal)
            return Money.exact(amount, code)
        if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
            if default is None:
                raise _FieldError(
                    f"amount {value} has no currency: write it as '{value} EUR' "
                    "or give the account a currency"
                )
            if isinstance(value, float):
                value = _float_to_decimal(value, default)
            elif isinstance(value, WrittenNumber):  # as written in the document: check it
                value = amount_text(str(value), default)
            return Money.exact(value, default)
    except CurrencyError as exc:
        raise _FieldError(str(exc)) from None
    except DataError as exc:
        raise _FieldError(exc.problems[0].message) from None
    raise _FieldError(f"expected an amount such as '1200.00 EUR', got {describe(value)}")


_DAYS = re.compile(r"(?:net\s+)?(\d+)(?:\s+days?)?\Z", re.IGNORECASE)


def _structure_days(value: Any, _: type) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        m = _DAYS.match(value.strip())
        if m:
            return int(m.group(1))
    raise _FieldError(f"expected a number of days such as '30 days', got {describe(value)}")


def _unstructure_days(value: int | None) -> str | None:
    return None if value is None else f"{value} day{'s' if value != 1 else ''}"


def _enum_hook(cls: type[enum.Enum]) -> Callable[[Any, type], Any]:
    def hook(value: Any, _: type) -> enum.Enum:
        return member(cls, value)  # the constructors' own check and message

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
            raise _FieldError(f"expected a list, got {describe(value)}")
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
    inner = make_dict_structure_fn(cls, conv, _cattrs_detailed_validation=True, **overrides)
    fields = [a.name for a in attrs.fields(cls)]

    def hook(value: Any, _: type) -> Any:
        if not isinstance(value, Mapping):
            raise _FieldError(f"expected a mapping of fields, got {describe(value)}")
        unknown = [
            Problem(str(k), _unknown_field(str(k), fields)) for k in value if k not in fields
        ]
        known = {k: v for k, v in value.items() if k in fields} if unknown else value
        try:
            result = _structure_account(known, inner, conv) if cls is Account else inner(known, cls)
        except Exception as exc:  # noqa: BLE001 - reported together with the unknown fields
            found = _problems(exc)
            if cls is not Account:  # every field's problem, not only the first validator's
                found = _field_failures(cls, known, conv)[1] or found
            raise DataError(unknown + found) from None
        if unknown:
            raise DataError(unknown)
        return result

    return hook


def _unknown_field(name: str, fields: Sequence[str]) -> str:
    hint = did_you_mean(name, fields)
    if hint:
        return f"unknown field; {hint}"
    return f"unknown field (expected one of: {', '.join(fields)})"


def _structure_account(
    value: Mapping[str, Any], inner: Callable[[Any, type], Any], conv: cattrs.Converter
) -> Account:
    data = dict(value)
    currency = data.get("currency", _default_currency.get())
    if currency is not None:
        data["currency"] = currency
    token = _default_currency.set(currency if isinstance(currency, str) else None)
    try:
        problems: list[Problem] = []
        if currency is not None:
            try:
                return inner(data, Account)  # type: ignore[no-any-return]
            except Exception as exc:  # noqa: BLE001 - every problem of the account, in one pass
                problems = _problems(exc)
        raise DataError(_account_failure(data, conv) or problems) from None
    finally:
        _default_currency.reset(token)


_NO_CURRENCY: Final = "missing required field (or a portfolio-wide currency)"

# The record lists of an account, by field.
_ACCOUNT_RECORDS: Final[Mapping[str, type]] = {
    "contacts": Contact,
    "invoices": Invoice,
    "payments": Payment,
    "promises": Promise,
    "disputes": Dispute,
    "activities": Activity,
    "snoozes": Snooze,
}


def _account_failure(data: Mapping[str, Any], conv: cattrs.Converter) -> list[Problem]:
    """Return every problem of an account that could not be built, in one pass.

    Each field is structured and checked on its own, each record of a list too; then the
    account-wide checks (`account_problems`) run on the records that are fine, at their own
    indices. References to an invoice that itself failed are not reported as unknown.
    """
    lists: dict[str, list[tuple[int, Any]]] = {}
    failed_invoices: list[tuple[int, str]] = []
    good, problems = _field_failures(Account, data, conv, lists, failed_invoices)
    problems += account_problems(
        good.get("id"),
        good.get("currency"),
        good.get("credit_limit"),
        invoices=sorted([*lists.get("invoices", []), *failed_invoices], key=lambda e: e[0]),
        payments=lists.get("payments", []),
        promises=lists.get("promises", []),
        disputes=lists.get("disputes", []),
        activities=lists.get("activities", []),
        snoozes=lists.get("snoozes", []),
    )
    return problems


def _field_failures(
    cls: type[Any],
    data: Mapping[str, Any],
    conv: cattrs.Converter,
    lists: dict[str, list[tuple[int, Any]]] | None = None,
    failed_invoices: list[tuple[int, str]] | None = None,
) -> tuple[dict[str, Any], list[Problem]]:
    """Structure and check each field of a *cls* record on its own; return the good and the bad.

    For an account (*lists* given), each record of its record lists is structured on its own
    too: the good ones go to *lists* with their indices, the numbers of failed invoices to
    *failed_invoices*. The record's own cross-field checks (``__attrs_post_init__``) cannot run
    without all its fields, and do not.
    """
    problems: list[Problem] = []
    good: dict[str, Any] = {}
    for field in attrs.fields(attrs.resolve_types(cls)):
        name = field.name
        if name not in data:
            if cls is Account and name == "currency":
                problems.append(Problem(name, _NO_CURRENCY))
            elif field.default is attrs.NOTHING:
                problems.append(Problem(name, "missing required field"))
            continue
        if lists is not None and name in _ACCOUNT_RECORDS:
            items, failed, item_problems = _salvage(data[name], _ACCOUNT_RECORDS[name], conv)
            problems += [p.under(name) for p in item_problems]
            lists[name] = items
            if name == "invoices" and failed_invoices is not None:
                failed_invoices += failed
            continue
        try:
            if cls is Account and name == "terms":
                value = _structure_days(data[name], int)
            else:
                value = conv.structure(data[name], field.type or Any)
        except Exception as exc:  # noqa: BLE001 - reported at the field
            problems += [p.under(name) for p in _problems(exc)]
            continue
        try:  # the constructor's own checks; their problems name the field already
            if field.converter is not None:
                value = field.converter(value)
            if field.validator is not None:
                field.validator(None, field, value)
        except DataError as exc:
            problems += exc.problems
            continue
        good[name] = value
    return good, problems


def _salvage(
    value: Any, cls: type, conv: cattrs.Converter
) -> tuple[list[tuple[int, Any]], list[tuple[int, str]], list[Problem]]:
    """Structure a list of *cls* records item by item.

    Return the records that are fine with their indices, the numbers of the invoices that
    failed (when *cls* is `Invoice`) and the problems of the others.
    """
    if not isinstance(value, list | tuple | set | frozenset):
        return [], [], [Problem("", f"expected a list, got {describe(value)}")]
    good: list[tuple[int, Any]] = []
    failed: list[tuple[int, str]] = []
    problems: list[Problem] = []
    for i, item in enumerate(value):
        try:
            good.append((i, conv.structure(item, cls)))
        except Exception as exc:  # noqa: BLE001 - every failure becomes a reported problem
            problems += [p.under(f"[{i}]") for p in _problems(exc)]
            number = item.get("number") if isinstance(item, Mapping) else None
            if cls is Invoice and isinstance(number, str) and number.strip():
                failed.append((i, number))
    return good, failed, problems


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
    # Unknown fields are found by the record hook alone (with a suggestion), not by cattrs too.
    conv = cattrs.Converter(detailed_validation=True)
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
