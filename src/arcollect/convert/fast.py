"""The fast path of portfolio reading: accounts built straight from plain, well-formed data.

`FastReader.account` builds the `Account` that the detailed path (`arcollect.convert.hooks`)
would build from the same data, with tight code specialised to the plain well-formed case: exact
types (``type(v) is str``), dates of the shape ``YYYY-MM-DD``, amounts written
``"1200.00 EUR"`` in the account's currency with exactly its minor unit (or none), known keys
only. Records are then made without running again the checks the fast path has just made.
`FastReader.batch` reads a chunk of accounts the same way, a field (a column) at a time: each
check and each record's construction is a pass at C speed over all the chunk's records of a
kind (`_Columns`), with no Python call per record; `FastReader.accounts` reads a list of
accounts by chunks, account by account where a chunk is not plain.

The moment anything else shows (an unknown key, another type, a value the detailed path would
convert, normalise, warn about or refuse), it gives up and returns None: the caller then runs
the detailed path on that account, which reports every problem with its path. So the fast path
never reports anything, and a record it builds is equal to the one the detailed path builds
(the tests hold it to that).

A document the fast path accepts is at most 7 collections deep (the shape of an account).
"""

from __future__ import annotations

import gc
import operator
import re
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from itertools import chain, islice, repeat
from typing import Any, Final, NamedTuple

import attrs

from arcollect.convert.hooks import _structure_days, _structure_decimal, structure
from arcollect.domain.account import Account, _check_locale, _risk
from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent
from arcollect.domain.records import (
    _IDENT,
    Activity,
    Channel,
    Collector,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
    Snooze,
)
from arcollect.errors import ArcollectError

__all__ = ["FastReader", "constructor"]

#: How deep the collections of an account the fast path accepts may nest (its own mapping
#: included): account, promises, a promise, installments, an installment.
ACCOUNT_DEPTH: Final = 5


class _SlowError(Exception):
    """The data is not the plain well-formed case: the detailed path must read it."""


def constructor(cls: type[Any], *given: str, slots: type[Any] | None = None) -> Callable[..., Any]:
    """Return a function building a *cls* from all its field values in order, unchecked.

    With *given* field names, the function takes only those, and the other fields are their
    defaults (immutable ones: None, True, an empty frozenset). The values must be those the
    validated constructor would store (after its converters): the caller has checked them
    already. Frozen slotted attrs classes store each field in a slot (of the class *slots*, the
    class itself by default, or the base class that declares it); the function sets the slots
    directly, as attrs' own ``__init__`` does. A private field ``_x`` is the parameter ``x``.
    """
    owner = slots or cls
    fields = attrs.fields(owner)
    names = list(given) or [a.name for a in fields]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build({', '.join(n.lstrip('_') for n in names)}):", "    self = new(cls)"]
    for field in fields:
        name = field.name
        # the slot's member descriptor, in the class that declares the field
        slot = next(k.__dict__[name] for k in owner.__mro__ if name in k.__dict__)
        namespace[f"set_{name}"] = slot.__set__
        if name in names:
            lines.append(f"    set_{name}(self, {name.lstrip('_')})")
        else:
            if field.default is attrs.NOTHING or isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                msg = f"{cls.__name__}.{name} has no default to build with"
                raise TypeError(msg)
            namespace[f"default_{name}"] = field.default
            lines.append(f"    set_{name}(self, default_{name})")
    lines.append("    return self")
    exec("\n".join(lines), namespace)  # noqa: S102 - the source above, made of field names
    build: Callable[..., Any] = namespace["build"]
    return build


_money: Final = constructor(Money)
_invoice: Final = constructor(Invoice)
_plain_invoice: Final = constructor(Invoice, "number", "issued", "due", "amount")
_payment: Final = constructor(Payment)
_activity: Final = constructor(Activity)
_contact: Final = constructor(Contact)
_promise: Final = constructor(Promise)
_account: Final = constructor(Account)

_EMPTY: Final[frozenset[str]] = frozenset()  # the default of tags and roles
_INVOICE_REQUIRED: Final = 4  # number, issued, due, amount
_INVOICE_FIELDS: Final = operator.itemgetter("number", "issued", "due", "amount")
_DICTS: Final = {dict}
_FOUR: Final = {_INVOICE_REQUIRED}
_AMOUNT: Final = operator.attrgetter("amount")
_MISSING: Final = object()
_NONE_GIVEN: Final[tuple[Any, ...]] = ()  # a record list not given: the default, empty

_INVOICE_KEYS: Final = frozenset(a.name for a in attrs.fields(Invoice))
_PAYMENT_KEYS: Final = frozenset(a.name for a in attrs.fields(Payment))
_ACTIVITY_KEYS: Final = frozenset(a.name for a in attrs.fields(Activity))
_CONTACT_KEYS: Final = frozenset(a.name for a in attrs.fields(Contact))
_PROMISE_KEYS: Final = frozenset(a.name for a in attrs.fields(Promise))
_INSTALLMENT_KEYS: Final = frozenset(a.name for a in attrs.fields(Installment))
_DISPUTE_KEYS: Final = frozenset(a.name for a in attrs.fields(Dispute))
_SNOOZE_KEYS: Final = frozenset(a.name for a in attrs.fields(Snooze))
_ACCOUNT_KEYS: Final = frozenset(a.name for a in attrs.fields(Account))

_CHANNELS: Final[dict[str, Channel]] = {m.value: m for m in Channel}
_OUTCOMES: Final[dict[str, Outcome]] = {m.value: m for m in Outcome}
_REASONS: Final[dict[str, DisputeReason]] = {m.value: m for m in DisputeReason}

#: How many values each of the process-wide caches below keeps (any document brings new ones).
_KEPT: Final = 1024
#: Locales already found valid (`_check_locale` asks Babel, which is slow).
_GOOD_LOCALES: set[str] = set()
#: Payment terms already read (``"30 days"``: 30).
_TERMS: dict[Any, int | None] = {_MISSING: None}  # and terms not given: None
#: Contact roles already found to be identifiers.
_GOOD_ROLES: set[str] = set()

_fromisoformat: Final = date.fromisoformat
_TEN: Final = {10}
_DASHES: Final = operator.itemgetter(4, 7)
_TWO_DASHES: Final = {("-", "-")}


def _opt_str(value: object) -> Any:
    if value is not None and type(value) is not str:
        raise _SlowError
    return value


def _strings(value: object) -> list[str]:
    if type(value) is not list:
        raise _SlowError
    for item in value:
        if type(item) is not str:
            raise _SlowError
    return value


@attrs.define
class _Amounts:
    """How amounts of one currency are read: the shape of their number, and those seen."""

    currency: str
    #: The minor unit of the currency, when it has one (``0.01``), else None.
    quantum: Decimal | None
    shape: Callable[[str], object]
    seen: dict[str, Money] = attrs.Factory(dict)
    #: Whether any amount in `seen` is zero or below (else none is: nothing to check).
    any_not_positive: bool = False

    @classmethod
    def of(cls, currency: str) -> _Amounts:
        exp = currency_exponent(currency)
        fraction = rf"(?:\.[0-9]{{{exp}}})?" if exp else ""
        shape = re.compile(rf"-?[0-9]{{1,18}}{fraction}").fullmatch
        return cls(currency, Decimal(1).scaleb(-exp) if exp else None, shape)

    def read(self, value: Any) -> Money:
        """Return the Money *value* writes (``"1200.00 EUR"``), or raise `_SlowError`."""
        money: Money | None = self.seen.get(value)
        if money is not None:
            return money
        if type(value) is not str:
            raise _SlowError
        number, _, code = value.partition(" ")
        if code != self.currency or not self.shape(number):
            raise _SlowError
        amount = Decimal(number)
        if self.quantum is not None and "." not in number:  # a whole amount: 12 is 12.00
            amount = amount.quantize(self.quantum, context=MONEY_CONTEXT)
        if not amount:
            amount = amount.copy_abs()  # no negative zero
        if amount <= 0:
            self.any_not_positive = True
        money = self.seen[value] = _money(amount, self.currency)
        return money

    def read_all(self, values: Iterable[Any]) -> None:
        """Read each of *values* as `read` does, all at once, into `seen`; or raise `_SlowError`."""
        values = list(values)
        if not values:
            return
        if not _STR_ONLY.issuperset(map(type, values)):
            raise _SlowError
        numbers, _, codes = zip(*map(str.partition, values, repeat(" ")), strict=True)
        if set(codes) != {self.currency} or not all(map(self.shape, numbers)):
            raise _SlowError
        amounts = list(map(Decimal, numbers))
        quantum = self.quantum
        if quantum is not None and not all(map(operator.contains, numbers, repeat("."))):
            amounts = [  # a whole amount: 12 is 12.00
                amount if "." in number else amount.quantize(quantum, context=MONEY_CONTEXT)
                for number, amount in zip(numbers, amounts, strict=True)
            ]
        if not all(amounts):
            amounts = [amount or amount.copy_abs() for amount in amounts]  # no negative zero
        if min(amounts) <= 0:
            self.any_not_positive = True
        currencies = [self.currency] * len(amounts)
        built = _MONEYS.build(len(amounts), {"amount": amounts, "currency": currencies})
        self.seen.update(zip(values, built, strict=True))


def _terms(value: Any) -> int | None:
    """Return the payment terms *value* gives (``"30 days"``: 30), as the detailed path does."""
    if type(value) is not str:
        return _structure_days(value, int)
    days = _TERMS.get(value)
    if days is None:
        days = _structure_days(value, int)
        if len(_TERMS) < _KEPT:
            _TERMS[value] = days
    return days


def _locale(value: Any) -> None:
    """Check the locale *value* (None, or one Babel knows), or raise."""
    if value is not None:
        if type(value) is not str:
            raise _SlowError
        _check_locale(None, None, value)
        if len(_GOOD_LOCALES) < _KEPT:
            _GOOD_LOCALES.add(value)


def _collector(value: Any) -> Collector:
    if type(value) is not dict:
        raise _SlowError
    return structure(value, Collector)


class _Columns:
    """Builds the records of one class many at a time, a field (a column) at a time, unchecked.

    The objects are made first, empty; then each field's slot is set on all of them by one
    ``map`` over its slot's member descriptor (at C speed, no Python call per record). A field
    with no column given is set to its default (immutable ones only: None, True, an empty
    frozenset or tuple). As for `_constructor`, the values must be those the validated
    constructor would store.
    """

    def __init__(self, cls: type[Any]) -> None:
        self.cls = cls
        self.fields: list[tuple[str, Callable[[Any, Any], None]]] = []
        self.defaults: dict[str, Any] = {}
        for field in attrs.fields(cls):
            self.fields.append((field.name, cls.__dict__[field.name].__set__))
            if field.default is not attrs.NOTHING and not isinstance(field.default, attrs.Factory):  # type: ignore[arg-type]
                self.defaults[field.name] = field.default

    def build(self, n: int, columns: Mapping[str, Sequence[Any]]) -> list[Any]:
        """Return *n* records, field ``f`` of the i-th being ``columns[f][i]`` or its default."""
        objs = list(map(_new, repeat(self.cls, n)))
        for name, set_slot in self.fields:
            column: Iterable[Any] | None = columns.get(name)
            if column is None:
                column = repeat(self.defaults[name], n)  # a KeyError for a required field
            elif len(column) != n:  # type: ignore[arg-type] # a Sequence here
                msg = f"{len(column)} values of {name!r} for {n} {self.cls.__name__} records"  # type: ignore[arg-type]
                raise ValueError(msg)
            any(map(set_slot, objs, column))  # each call returns None: sets every slot
        return objs


_new: Final = object.__new__
_ACCOUNTS: Final = _Columns(Account)
_MONEYS: Final = _Columns(Money)
_INVOICES: Final = _Columns(Invoice)
_PAYMENTS: Final = _Columns(Payment)
_ACTIVITIES: Final = _Columns(Activity)
_CONTACTS: Final = _Columns(Contact)

#: At most how many accounts are read at once (`FastReader.chunk`): enough to spread the cost
#: of each pass over many records.
CHUNK: Final = 64
#: About how many objects the collector tracks each account adds besides its records (the
#: account, the tuples of its records).
_PER_ACCOUNT: Final = 6

_DICT_ONLY: Final = frozenset({dict})
_LIST_ONLY: Final = frozenset({list})
_STR_ONLY: Final = frozenset({str})
_BOOL_ONLY: Final = frozenset({bool})
_OPT_STR: Final = frozenset({str, type(None)})
_NO_ITEMS: Final[list[Any]] = []  # a list not given (never changed)
_NONE: Final = (None,)
_NO_NUMBERS: Final[frozenset[str | None]] = frozenset(_NONE)
_INVOICE_REQUIRED_KEYS: Final = frozenset({"number", "issued", "due", "amount"})
#: The fields of an account that are not record lists (but its id and currency).
_HEAD_KEYS: Final = frozenset(
    {"name", "credit_limit", "terms", "tags", "risk", "country", "locale", "customer_since"}
    | {"collector"}
)
_LIST_KEYS: Final = ("invoices", "payments", "activities", "contacts")
_RARE_KEYS: Final = frozenset({"promises", "disputes", "snoozes"})
_OPT_CHANNELS: Final[dict[Any, Channel | None]] = {None: None, **_CHANNELS}
_OPT_OUTCOMES: Final[dict[Any, Outcome | None]] = {None: None, **_OUTCOMES}


def _column(items: list[dict[str, Any]], key: str) -> list[Any]:
    """Return the values of *key* in *items* (a KeyError if one lacks it)."""
    return list(map(dict.__getitem__, items, repeat(key)))


def _optional(items: list[dict[str, Any]], key: str, default: Any = None) -> list[Any]:
    return list(map(dict.get, items, repeat(key), repeat(default)))


def _owners(counts: list[int]) -> list[int]:
    """Return the index of the account of each record, listed account after account."""
    return list(chain.from_iterable(map(repeat, range(len(counts)), counts)))


def _plain_records(items: list[Any], known: frozenset[str]) -> set[str]:
    """Check that *items* are mappings with keys of *known* only; return the keys they use."""
    if not _DICT_ONLY.issuperset(map(type, items)):
        raise _SlowError
    keys = set(chain.from_iterable(items))
    if not known.issuperset(keys):
        raise _SlowError
    return keys


def _check_opt_str(values: list[Any]) -> list[Any]:
    if not _OPT_STR.issuperset(map(type, values)):
        raise _SlowError
    return values


def _string_lists(values: list[Any]) -> list[Any]:
    """Check that *values* are lists of strings; return all their strings, in order."""
    if not _LIST_ONLY.issuperset(map(type, values)):
        raise _SlowError
    flat = list(chain.from_iterable(values))
    if not _STR_ONLY.issuperset(map(type, flat)):
        raise _SlowError
    return flat


class _Head(NamedTuple):
    """The fields of an account that are not record lists, read; and its key-value pairs."""

    name: str | None
    credit_limit: Money | None
    terms: int | None
    tags: frozenset[str]
    risk: Decimal | None
    country: str | None
    locale: str | None
    customer_since: date | None
    collector: Collector | None
    pairs: int  # those of the account's mapping and its collector's

    def account(  # noqa: PLR0917 - the record lists of an account
        self,
        acct_id: str,
        currency: str,
        contacts: tuple[Contact, ...],
        invoices: tuple[Invoice, ...],
        payments: tuple[Payment, ...],
        promises: tuple[Promise, ...],
        disputes: tuple[Dispute, ...],
        activities: tuple[Activity, ...],
        snoozes: tuple[Snooze, ...],
    ) -> Account:
        """Return the account of these fields and record lists, unchecked."""
        return _account(  # type: ignore[no-any-return]
            acct_id,
            currency,
            self.name,
            self.credit_limit,
            self.terms,
            self.tags,
            self.risk,
            self.country,
            self.locale,
            self.customer_since,
            contacts,
            invoices,
            payments,
            promises,
            disputes,
            activities,
            self.collector,
            snoozes,
        )


class FastReader:
    """Reads the accounts of one document by the fast path; its caches last for the document."""

    def __init__(self) -> None:
        self._dates: dict[str, date] = {}
        self._amounts: dict[str, _Amounts] = {}
        self._amounts_seen: dict[str, Money] = {}  # those of the account's currency
        #: One-item tuples of invoice numbers (and None: the empty tuple).
        self._singles: dict[str | None, tuple[str, ...]] = {None: ()}
        self._sets: dict[frozenset[str], frozenset[str]] = {}  # one of each frozenset read
        self._account_id = ""  # the id of the account being read
        #: How many key-value pairs the mappings of the accounts read so far hold.
        self.pairs = 0
        self._pairs = 0  # those of the account being read
        #: How many accounts to read at once (`batch`): at first 16, then as many as make
        #: about 3/5 of the collector's threshold of new objects (records and their tuples),
        #: judged by the accounts read so far. When each chunk's parsed data is let go of
        #: before the next is read, the collector then has next to nothing to do.
        self.chunk = 16

    def _date(self, value: Any) -> date:
        day = self._dates.get(value)
        if day is None:
            if type(value) is not str or len(value) != 10 or value[4] != "-" or value[7] != "-":
                if type(value) is date:
                    return value
                raise _SlowError
            day = self._dates[value] = _fromisoformat(value)
        return day

    def _opt_date(self, value: Any) -> date | None:
        return None if value is None else self._date(value)

    def account(self, data: Any, default_currency: str | None) -> Account | None:
        """Return the account *data* describes, or None if only the detailed path may read it.

        *default_currency* is the portfolio's currency (for an account without its own).
        """
        try:
            return self._account(data, default_currency)
        except (_SlowError, ArcollectError, ValueError, TypeError, KeyError, AttributeError):
            return None

    def accounts(self, items: list[Any], default_currency: str | None) -> list[Account | None]:
        """Return the account each of *items* describes, None where only the detailed path may.

        `chunk` accounts at a time are read at once, their records a column at a time
        (`batch`); a chunk with anything the fast path does not read (or that it refuses) is
        read again account by account (`account`), so that only the accounts concerned are
        None.
        """
        out: list[Account | None] = []
        start = 0
        while start < len(items):
            chunk = items[start : start + self.chunk]
            start += len(chunk)
            built = self.batch(chunk, default_currency)
            if built is None:
                out += [self.account(data, default_currency) for data in chunk]
            else:
                out += built
        return out

    def batch(self, items: list[Any], default_currency: str | None) -> list[Account] | None:
        """Return the accounts *items* describe, all read at once; None unless all are plain.

        The same accounts `account` returns for each (the tests hold it to that), and `pairs`
        counts the same pairs; None if `account` would return None for any of them (or if
        they are not all in one currency).
        """
        before = self.pairs
        try:
            return self._batch(items, default_currency)
        except (_SlowError, ArcollectError, ValueError, TypeError, KeyError, AttributeError):
            self.pairs = before
            return None

    def _batch(self, items: list[Any], default_currency: str | None) -> list[Account]:
        """Read the accounts of *items*, as `_account` reads each, a field at a time."""
        if not items:
            return []
        keys = _plain_records(items, _ACCOUNT_KEYS)
        n = len(items)
        ids = _column(items, "id")
        if not _STR_ONLY.issuperset(map(type, ids)) or not all(map(str.strip, ids)):
            raise _SlowError
        currencies = set(_optional(items, "currency", default_currency))
        if len(currencies) != 1:
            raise _SlowError  # read account by account, each in its currency
        (currency,) = currencies
        if type(currency) is not str:
            raise _SlowError
        amounts = self._amounts.get(currency)
        if amounts is None:
            amounts = self._amounts[currency] = _Amounts.of(currency)
        read = amounts.read
        pairs = sum(map(len, items))
        columns: dict[str, Sequence[Any]] = {"id": ids, "currency": [currency] * n}
        for key in keys & _HEAD_KEYS:
            values = _optional(items, key)
            if key in {"name", "country"}:
                column = _check_opt_str(values)
            elif key == "credit_limit":
                column = self._opt_money_column(values, amounts)
            elif key == "terms":
                values = _optional(items, key, _MISSING)
                try:
                    column = list(map(_TERMS.__getitem__, values))
                except (KeyError, TypeError):
                    column = [None if value is _MISSING else _terms(value) for value in values]
            elif key == "tags":
                values = _optional(items, key, _NO_ITEMS)
                _string_lists(values)
                sets = list(map(frozenset, values))
                column = list(map(self._sets.setdefault, sets, sets))  # one of each set
            elif key == "risk":
                column = [
                    None if value is None else _risk(_structure_decimal(value, Decimal))
                    for value in values
                ]
            elif key == "locale":
                column = values
                for value in set(values).difference(_GOOD_LOCALES):
                    _locale(value)
            elif key == "customer_since":
                column = self._opt_dates_column(values)
            else:  # collector
                column = [None if value is None else _collector(value) for value in values]
                pairs += sum(len(value) for value in values if value is not None)
            columns[key] = column
        records: list[list[Any]] = []
        counted: dict[str, list[int]] = {}  # how many records each account has, by list
        for key in _LIST_KEYS:
            if key in keys:
                lists = _optional(items, key, _NO_ITEMS)
                if not _LIST_ONLY.issuperset(map(type, lists)):
                    for raw in lists:  # as `_invoices` and the others: a list, or nothing
                        if type(raw) is not list and raw != ():
                            raise _SlowError
                counts = list(map(len, lists))
                flat = list(chain.from_iterable(lists))
                pairs += sum(map(len, flat))
                records.append(flat)
                counted[key] = counts
            else:
                records.append([])
        self._pairs = 0  # those of the promises, disputes and snoozes: counted there
        refs: list[tuple[int, str]] = []  # the invoices the disputes and snoozes name
        if not keys.isdisjoint(_RARE_KEYS):
            nothing = (_NONE_GIVEN, _NONE_GIVEN, _NONE_GIVEN)
            rare = [
                nothing if _RARE_KEYS.isdisjoint(data) else self._rare(data, read, j, refs)
                for j, data in enumerate(items)
            ]
            columns["promises"], columns["disputes"], columns["snoozes"] = zip(*rare, strict=True)
        nothing_counted = [0] * n
        inv_counts = counted.get("invoices", nothing_counted)
        invoices, numbers = self._batch_invoices(records[0], inv_counts, ids, amounts)
        if any(ref not in numbers[j] for j, ref in refs):
            raise _SlowError  # a dispute or snooze naming an invoice not in its account
        built: tuple[list[Any], ...] = (
            invoices,
            self._batch_payments(
                records[1], numbers, counted.get("payments", nothing_counted), amounts
            ),
            self._batch_activities(records[2], numbers, counted.get("activities", nothing_counted)),
            self._batch_contacts(records[3]),
        )
        for key, made in zip(_LIST_KEYS, built, strict=True):
            if key in counted:
                records_of = repeat(iter(made))
                columns[key] = list(map(tuple, map(islice, records_of, counted[key])))
        accounts: list[Account] = _ACCOUNTS.build(n, columns)
        self.pairs += pairs + self._pairs
        tracked = sum(map(len, built)) + _PER_ACCOUNT * n  # new objects the collector tracks
        self.chunk = max(1, min(CHUNK, n * 3 * (gc.get_threshold()[0] or 1000) // (5 * tracked)))
        return accounts

    def _rare(
        self,
        data: dict[str, Any],
        read: Callable[[Any], Money],
        j: int,
        refs: list[tuple[int, str]],
    ) -> tuple[tuple[Promise, ...], tuple[Dispute, ...], tuple[Snooze, ...]]:
        """Read the promises, disputes and snoozes of account *j*; add what they name to *refs*."""
        get = data.get
        raw = get("promises", _NONE_GIVEN)
        promises = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._promises(raw, read))
        raw = get("disputes", _NONE_GIVEN)
        disputes = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._disputes(raw, read))
        raw = get("snoozes", _NONE_GIVEN)
        snoozes = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._snoozes(raw))
        for record in (*disputes, *snoozes):
            refs += zip(repeat(j), record.invoices)
        return promises, disputes, snoozes

    def _dates_column(self, values: Sequence[Any]) -> list[date]:
        dates = self._dates
        try:
            return list(map(dates.__getitem__, values))
        except KeyError:
            new = list(set(values).difference(dates))
            if (  # as `_date` checks each: a string of the shape YYYY-MM-DD
                _STR_ONLY.issuperset(map(type, new))
                and set(map(len, new)) == _TEN
                and set(map(_DASHES, new)) == _TWO_DASHES
            ):
                dates.update(zip(new, map(_fromisoformat, new), strict=True))
            else:
                for value in new:
                    if type(value) is date:  # from Python data: the date itself (not kept)
                        return list(map(self._date, values))
                    self._date(value)  # kept in dates, or a _SlowError
            return list(map(dates.__getitem__, values))

    def _opt_dates_column(self, values: list[Any]) -> list[date | None]:
        if None in values:
            day = self._date
            return [None if value is None else day(value) for value in values]
        return self._dates_column(values)  # type: ignore[return-value] # dates are dates or None

    @classmethod
    def _opt_money_column(cls, values: list[Any], amounts: _Amounts) -> list[Money | None]:
        if None in values:
            read = amounts.read
            return [None if value is None else read(value) for value in values]
        return cls._money_column(values, amounts)  # type: ignore[return-value] # as above

    @staticmethod
    def _money_column(values: Sequence[Any], amounts: _Amounts) -> list[Money]:
        seen = amounts.seen
        try:
            return list(map(seen.__getitem__, values))
        except KeyError:
            amounts.read_all(set(values).difference(seen))
            return list(map(seen.__getitem__, values))

    def _batch_invoices(
        self,
        items: list[Any],
        counts: list[int],
        ids: list[str],
        money: _Amounts,
    ) -> tuple[list[Invoice], list[Container[str | None]]]:
        """Build the invoices of *items* (*counts* of each account), as `_invoices` does.

        Return them and the invoice numbers of each account (each with None: no invoice).
        """
        if not items:
            return [], [_NO_NUMBERS] * len(counts)
        if not _DICT_ONLY.issuperset(map(type, items)):
            raise _SlowError
        keys: set[str] | frozenset[str]
        numbers: Sequence[Any]
        issued_: Sequence[Any]
        due_: Sequence[Any]
        amounts_: Sequence[Any]
        if set(map(len, items)) == _FOUR:  # those four keys each (a KeyError if not), as most
            keys = _INVOICE_REQUIRED_KEYS
            numbers, issued_, due_, amounts_ = zip(*map(_INVOICE_FIELDS, items), strict=True)
        else:
            keys = _plain_records(items, _INVOICE_KEYS)
            numbers, issued_, due_, amounts_ = (
                _column(items, key) for key in ("number", "issued", "due", "amount")
            )
        if not _STR_ONLY.issuperset(map(type, numbers)) or not all(map(str.strip, numbers)):
            raise _SlowError
        issued = self._dates_column(issued_)
        due = self._dates_column(due_)
        if not all(map(operator.le, issued, due)):
            raise _SlowError
        amounts = self._money_column(amounts_, money)
        if money.any_not_positive and not all(map(_AMOUNT, amounts)):
            raise _SlowError  # a zero amount
        columns: dict[str, Sequence[Any]] = {
            "number": numbers,
            "issued": issued,
            "due": due,
            "amount": amounts,
        }
        column: Sequence[Any]
        for key in keys - _INVOICE_REQUIRED_KEYS:
            if key == "delivered":
                column = _optional(items, key, True)  # noqa: FBT003 - the default
                if not _BOOL_ONLY.issuperset(map(type, column)):
                    raise _SlowError
            elif key == "tags":
                column = _optional(items, key, _NO_ITEMS)
                _string_lists(column)
                column = list(map(frozenset, column))
            else:
                column = _check_opt_str(_optional(items, key))
            columns[key] = column
        built: list[Invoice] = _INVOICES.build(len(items), columns)
        numbers_of: list[Container[str | None]] = list(
            map(set, map(chain, map(islice, repeat(iter(numbers)), counts), repeat(_NONE)))
        )
        if sum(map(len, numbers_of)) != len(built) + len(counts):  # type: ignore[arg-type]
            raise _SlowError  # a number twice in an account
        if "account" in columns:
            by = chain.from_iterable(map(repeat, ids, counts))
            for acct_id, acct in zip(by, columns["account"], strict=True):
                if acct is not None and acct != acct_id:
                    raise _SlowError
        if "credits" in columns:
            owners = _owners(counts)
            by_number = dict(zip(zip(owners, numbers, strict=True), built, strict=True))
            for owner, inv, credited in zip(owners, built, columns["credits"], strict=True):
                if credited is not None:
                    target = by_number.get((owner, credited))
                    if inv.amount.amount >= 0 or target is None or target.amount.amount < 0:
                        raise _SlowError
        return built, numbers_of

    def _batch_payments(
        self,
        items: list[Any],
        numbers: list[Container[str | None]],
        counts: list[int],
        money: _Amounts,
    ) -> list[Payment]:
        """Build the payments of *items* (*counts* of each account), as `_payments` does.

        *numbers* are the invoice numbers of each account.
        """
        if not items:
            return []
        keys = _plain_records(items, _PAYMENT_KEYS)
        amounts = self._money_column(_column(items, "amount"), money)
        if money.any_not_positive and min(map(_AMOUNT, amounts)) <= 0:
            raise _SlowError
        columns: dict[str, list[Any]] = {
            "date": self._dates_column(_column(items, "date")),
            "amount": amounts,
        }
        if "reference" in keys:
            columns["reference"] = _check_opt_str(_optional(items, "reference"))
        if "applies_to" in keys:
            lists = _optional(items, "applies_to", _NO_ITEMS)
            named = _string_lists(lists)
            lengths = list(map(len, lists))
            of_payment = chain.from_iterable(map(repeat, numbers, counts))
            longest = max(lengths)
            if longest > 1:
                by = chain.from_iterable(map(repeat, of_payment, lengths))
                if not all(map(operator.contains, by, named)):
                    raise _SlowError  # an invoice not in the payment's account
            # One invoice each, or none, as most: one tuple per number, shared.
            firsts = list(map(next, map(iter, lists), repeat(None)))
            if longest <= 1 and not all(map(operator.contains, of_payment, firsts)):
                raise _SlowError  # as above (None, no invoice, is in each)
            singles = self._singles
            for one in set(firsts).difference(singles):
                if one is not None:  # (it is there)
                    singles[one] = (one,)
            column = columns["applies_to"] = list(map(singles.__getitem__, firsts))
            if longest > 1:  # the payments of several invoices: a tuple each
                for k, length in enumerate(lengths):
                    if length > 1:
                        column[k] = tuple(lists[k])
        built: list[Payment] = _PAYMENTS.build(len(items), columns)
        return built

    def _batch_activities(
        self, items: list[Any], numbers: list[Container[str | None]], counts: list[int]
    ) -> list[Activity]:
        """Build the activities of *items* (*counts* of each account), as `_activities` does."""
        if not items:
            return []
        keys = _plain_records(items, _ACTIVITY_KEYS)
        columns: dict[str, list[Any]] = {
            "date": self._dates_column(_column(items, "date")),
            "channel": list(map(_CHANNELS.__getitem__, _column(items, "channel"))),
        }
        for key in keys - {"date", "channel"}:
            if key == "outcome":
                columns[key] = list(map(_OPT_OUTCOMES.__getitem__, _optional(items, key)))
                continue
            column = columns[key] = _check_opt_str(_optional(items, key))
            if key == "invoice":
                by = chain.from_iterable(map(repeat, numbers, counts))
                if any(
                    ref is not None and ref not in of for of, ref in zip(by, column, strict=True)
                ):
                    raise _SlowError
        built: list[Activity] = _ACTIVITIES.build(len(items), columns)
        return built

    def _batch_contacts(self, items: list[Any]) -> list[Contact]:
        """Build the contacts of *items*, as `_contacts` does."""
        if not items:
            return []
        keys = _plain_records(items, _CONTACT_KEYS)
        names = _column(items, "name")
        if not _STR_ONLY.issuperset(map(type, names)) or not all(map(str.strip, names)):
            raise _SlowError
        columns: dict[str, list[Any]] = {"name": names}
        column: list[Any]
        for key in keys - {"name"}:
            if key == "roles":
                lists = _optional(items, key, _NO_ITEMS)
                for role in set(_string_lists(lists)) - _GOOD_ROLES:
                    if not _IDENT.match(role):
                        raise _SlowError
                    if len(_GOOD_ROLES) < _KEPT:
                        _GOOD_ROLES.add(role)
                sets = list(map(frozenset, lists))
                column = list(map(self._sets.setdefault, sets, sets))
            elif key == "can_authorize_payment":
                column = _optional(items, key, False)  # noqa: FBT003 - the default
                if not _BOOL_ONLY.issuperset(map(type, column)):
                    raise _SlowError
            elif key == "preferred_channel":
                column = list(map(_OPT_CHANNELS.__getitem__, _optional(items, key)))
            else:
                column = _check_opt_str(_optional(items, key))
            columns[key] = column
        built: list[Contact] = _CONTACTS.build(len(items), columns)
        return built

    def _account(self, data: Any, default_currency: str | None) -> Account:
        acct_id, currency, amounts, head = self._head(data, default_currency)
        self._pairs = head.pairs
        read = amounts.read
        self._amounts_seen = amounts.seen
        get = data.get

        # Each list checks the references to invoices as it goes.
        numbers: dict[str, Invoice] = {}
        self._account_id = acct_id
        invoices = tuple(self._invoices(get("invoices", _NONE_GIVEN), read, numbers))
        raw = get("payments", _NONE_GIVEN)
        payments = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._payments(raw, read, numbers))
        raw = get("activities", _NONE_GIVEN)
        activities = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._activities(raw, numbers))
        raw = get("contacts", _NONE_GIVEN)
        contacts = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._contacts(raw))
        raw = get("promises", _NONE_GIVEN)
        promises = _NONE_GIVEN if raw is _NONE_GIVEN else tuple(self._promises(raw, read))
        disputes = snoozes = _NONE_GIVEN
        raw = get("disputes", _NONE_GIVEN)
        if raw is not _NONE_GIVEN:
            disputes = tuple(self._disputes(raw, read))
            for disp in disputes:
                for ref in disp.invoices:
                    if ref not in numbers:
                        raise _SlowError
        raw = get("snoozes", _NONE_GIVEN)
        if raw is not _NONE_GIVEN:
            snoozes = tuple(self._snoozes(raw))
            for snooze in snoozes:
                for ref in snooze.invoices:
                    if ref not in numbers:
                        raise _SlowError
        self.pairs += self._pairs  # last: only the pairs of accounts read are counted
        return head.account(
            acct_id, currency, contacts, invoices, payments, promises, disputes, activities, snoozes
        )

    def _head(self, data: Any, default_currency: str | None) -> tuple[str, str, _Amounts, _Head]:
        """Read the fields of account *data* that are not record lists, or raise `_SlowError`.

        Return its id, its currency, how its amounts are read, and the rest (`_Head`).
        """
        if type(data) is not dict or not _ACCOUNT_KEYS.issuperset(data):
            raise _SlowError
        pairs = len(data)
        get = data.get
        acct_id = data["id"]
        if type(acct_id) is not str or not acct_id.strip():
            raise _SlowError
        currency = get("currency", default_currency)
        if type(currency) is not str:
            raise _SlowError
        amounts = self._amounts.get(currency)
        if amounts is None:
            amounts = self._amounts[currency] = _Amounts.of(currency)
        credit_limit = get("credit_limit")
        if credit_limit is not None:
            credit_limit = amounts.read(credit_limit)
        terms = data.get("terms", _MISSING)
        terms = None if terms is _MISSING else _terms(terms)
        tags = get("tags", _MISSING)
        tags = _EMPTY if tags is _MISSING else frozenset(_strings(tags))
        risk = get("risk")
        if risk is not None:
            risk = _risk(_structure_decimal(risk, Decimal))  # the hook, then the converter
        locale = get("locale")
        if locale not in _GOOD_LOCALES:
            _locale(locale)
        customer_since = get("customer_since")
        if customer_since is not None:
            customer_since = self._date(customer_since)
        collector = get("collector")
        if collector is not None:
            pairs += len(collector)
            collector = _collector(collector)
        name = _opt_str(get("name"))
        country = _opt_str(get("country"))
        return (
            acct_id,
            currency,
            amounts,
            _Head(
                name,
                credit_limit,
                terms,
                tags,
                risk,
                country,
                locale,
                customer_since,
                collector,
                pairs,
            ),
        )

    # -- the record lists ----------------------------------------------------------------------

    def _invoices(
        self, items: Any, read: Callable[[Any], Money], numbers: dict[str, Invoice]
    ) -> list[Invoice]:
        """Read the invoices; put each in *numbers*; return them, or raise `_SlowError`.

        An invoice naming its account or the invoice it credits is checked against them here.
        """
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        if items and set(map(type, items)) == _DICTS and set(map(len, items)) == _FOUR:
            return self._plain_invoices(items, read, numbers)
        day = self._date
        day_seen = self._dates.get
        amount_seen = self._amounts_seen.get
        out = []
        linked = []
        for d in items:
            if type(d) is not dict:
                raise _SlowError
            number = d["number"]
            if type(number) is not str or not number.strip():
                raise _SlowError
            value = d["issued"]
            issued = day_seen(value) or day(value)
            value = d["due"]
            due = day_seen(value) or day(value)
            value = d["amount"]
            amount = amount_seen(value)
            if amount is None:
                amount = read(value)
            if due < issued or not amount.amount:
                raise _SlowError
            if len(d) == _INVOICE_REQUIRED:  # those four fields, nothing else
                inv = _plain_invoice(number, issued, due, amount)
                out.append(inv)
                numbers[number] = inv
                continue
            if not _INVOICE_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            delivered = get("delivered", True)
            if type(delivered) is not bool:
                raise _SlowError
            tags = get("tags", _MISSING)
            tags = _EMPTY if tags is _MISSING else frozenset(_strings(tags))
            credited = _opt_str(get("credits"))
            if credited is not None and amount.amount >= 0:
                raise _SlowError
            inv = _invoice(
                number,
                issued,
                due,
                amount,
                _opt_str(get("account")),
                _opt_str(get("po_number")),
                delivered,
                _opt_str(get("proof_of_delivery")),
                credited,
                tags,
            )
            out.append(inv)
            numbers[number] = inv
            if inv.account is not None or credited is not None:
                linked.append(inv)
        if len(numbers) != len(out):
            raise _SlowError  # a number twice
        for inv in linked:
            if inv.account is not None and inv.account != self._account_id:
                raise _SlowError
            if inv.credits is not None:
                target = numbers.get(inv.credits)
                if target is None or target.amount.amount < 0:
                    raise _SlowError
        return out

    def _plain_invoices(
        self, items: list[dict[str, Any]], read: Callable[[Any], Money], numbers: dict[str, Invoice]
    ) -> list[Invoice]:
        """Read invoices of four fields each (most are), a column at a time at C speed."""
        numbers_, issued_, due_, amounts_ = zip(*map(_INVOICE_FIELDS, items), strict=True)
        if not all(map(str.strip, numbers_)):  # a TypeError if one is not a string
            raise _SlowError
        issued = self._dates_of(issued_)
        due = self._dates_of(due_)
        if not all(map(operator.le, issued, due)):
            raise _SlowError
        try:
            amounts = list(map(self._amounts_seen.__getitem__, amounts_))
        except KeyError:
            amounts = [read(value) for value in amounts_]
        if not all(map(_AMOUNT, amounts)):
            raise _SlowError  # a zero amount
        out = list(map(_plain_invoice, numbers_, issued, due, amounts))
        numbers.update(zip(numbers_, out, strict=True))
        if len(numbers) != len(out):
            raise _SlowError  # a number twice
        return out

    def _dates_of(self, values: tuple[Any, ...]) -> list[date]:
        try:
            return list(map(self._dates.__getitem__, values))
        except (KeyError, TypeError):
            return [self._date(value) for value in values]

    def _payments(
        self, items: Any, read: Callable[[Any], Money], numbers: dict[str, Invoice]
    ) -> list[Payment]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        singles = self._singles
        day = self._date
        day_seen = self._dates.get
        amount_seen = self._amounts_seen.get
        out = []
        for d in items:
            if type(d) is not dict or not _PAYMENT_KEYS.issuperset(d):
                raise _SlowError
            value = d["date"]
            paid = day_seen(value) or day(value)
            value = d["amount"]
            amount = amount_seen(value)
            if amount is None:
                amount = read(value)
            if amount.amount <= 0:
                raise _SlowError
            get = d.get
            applies = get("applies_to", _MISSING)
            if applies is _MISSING:
                applies = ()
            elif type(applies) is list and len(applies) == 1 and type(applies[0]) is str:
                one = applies[0]  # most payments pay one invoice: one tuple per number
                if one not in numbers:
                    raise _SlowError
                applies = singles.get(one) or singles.setdefault(one, (one,))
            else:
                applies = tuple(_strings(applies))
                for ref in applies:
                    if ref not in numbers:
                        raise _SlowError
            reference = get("reference")
            if reference is not None and type(reference) is not str:
                raise _SlowError
            out.append(_payment(paid, amount, reference, applies))
        return out

    def _activities(self, items: Any, numbers: dict[str, Invoice]) -> list[Activity]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        day = self._date
        day_seen = self._dates.get
        out = []
        for d in items:
            if type(d) is not dict or not _ACTIVITY_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            value = d["date"]
            when = day_seen(value) or day(value)
            channel = _CHANNELS[d["channel"]]
            step = get("step")
            outcome = get("outcome")
            contact = get("contact")
            timeline = get("timeline")
            invoice = get("invoice")
            notes = get("notes")
            if outcome is not None:
                outcome = _OUTCOMES[outcome]
            if (
                (step is not None and type(step) is not str)
                or (contact is not None and type(contact) is not str)
                or (timeline is not None and type(timeline) is not str)
                or (invoice is not None and (type(invoice) is not str or invoice not in numbers))
                or (notes is not None and type(notes) is not str)
            ):
                raise _SlowError
            out.append(_activity(when, channel, step, outcome, contact, timeline, invoice, notes))
        return out

    def _contacts(self, items: Any) -> list[Contact]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        out = []
        for d in items:
            if type(d) is not dict or not _CONTACT_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            name = d["name"]
            if type(name) is not str or not name.strip():
                raise _SlowError
            roles = get("roles", _MISSING)
            if roles is _MISSING:
                roles = _EMPTY
            else:
                for role in _strings(roles):
                    if role not in _GOOD_ROLES:
                        if not _IDENT.match(role):
                            raise _SlowError
                        if len(_GOOD_ROLES) < _KEPT:
                            _GOOD_ROLES.add(role)
                roles = frozenset(roles)
            authorize = get("can_authorize_payment", False)
            if type(authorize) is not bool:
                raise _SlowError
            channel = get("preferred_channel")
            if channel is not None:
                channel = _CHANNELS[channel]
            out.append(
                _contact(
                    name,
                    _opt_str(get("title")),
                    roles,
                    authorize,
                    _opt_str(get("phone")),
                    _opt_str(get("email")),
                    channel,
                    _opt_str(get("language")),
                )
            )
        return out

    # The rarer records go through their own constructors (and checks), from checked fields.

    def _promises(self, items: Any, read: Callable[[Any], Money]) -> list[Promise]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        day = self._date
        out = []
        for d in items:
            if type(d) is not dict or not _PROMISE_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            installments = []
            parts = get("installments", ())
            if type(parts) is not list and parts != ():
                raise _SlowError
            for part in parts:
                if type(part) is not dict or not _INSTALLMENT_KEYS.issuperset(part):
                    raise _SlowError
                self._pairs += len(part)
                installments.append(Installment(day(part["due"]), read(part["amount"])))
            grace = get("grace_days", 0)
            if type(grace) is not int:
                raise _SlowError
            made_on, amount, due = day(d["made_on"]), read(d["amount"]), day(d["due"])
            by, note = _opt_str(get("by")), _opt_str(get("note"))
            if installments:
                out.append(Promise(made_on, amount, due, by, installments, grace, note))
                continue
            # Without installments, what the constructor checks is checked here.
            if amount.amount <= 0 or due < made_on or not 0 <= grace <= (date.max - due).days:
                raise _SlowError
            out.append(_promise(made_on, amount, due, by, _NONE_GIVEN, grace, note))
        return out

    def _disputes(self, items: Any, read: Callable[[Any], Money]) -> list[Dispute]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        out = []
        for d in items:
            if type(d) is not dict or not _DISPUTE_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            reason = get("reason", _MISSING)
            amount = get("amount")
            out.append(
                Dispute(
                    self._date(d["opened"]),
                    DisputeReason.UNSPECIFIED if reason is _MISSING else _REASONS[reason],
                    _strings(get("invoices", [])),
                    None if amount is None else read(amount),
                    self._opt_date(get("resolved")),
                    _opt_str(get("owner")),
                    _opt_str(get("id")),
                    _opt_str(get("notes")),
                )
            )
        return out

    def _snoozes(self, items: Any) -> list[Snooze]:
        if type(items) is not list and items != ():
            raise _SlowError
        self._pairs += sum(map(len, items))
        out = []
        for d in items:
            if type(d) is not dict or not _SNOOZE_KEYS.issuperset(d):
                raise _SlowError
            get = d.get
            out.append(
                Snooze(
                    self._date(d["until"]),
                    _opt_str(get("reason")),
                    _opt_str(get("by")),
                    _strings(get("invoices", [])),
                    self._opt_date(get("since")),
                )
            )
        return out
