"""The fast path of portfolio reading: accounts built straight from plain, well-formed data.

`fast_account` builds the `Account` that the detailed path (`arcollect.convert.hooks`) would
build from the same data, with tight code specialised to the plain well-formed case: exact
types (``type(v) is str``), dates of the shape ``YYYY-MM-DD``, amounts written
``"1200.00 EUR"`` in the account's currency with exactly its minor unit (or none), known keys
only. Records are then made without running again the checks the fast path has just made.

The moment anything else shows (an unknown key, another type, a value the detailed path would
convert, normalise, warn about or refuse), it gives up and returns None: the caller then runs
the detailed path on that account, which reports every problem with its path. So the fast path
never reports anything, and a record it builds is equal to the one the detailed path builds
(the tests hold it to that).

A document the fast path accepts is at most 7 collections deep (the shape of an account).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any, Final

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

__all__ = ["FastReader"]

#: How deep the collections of an account the fast path accepts may nest (its own mapping
#: included): account, promises, a promise, installments, an installment.
ACCOUNT_DEPTH: Final = 5


class _SlowError(Exception):
    """The data is not the plain well-formed case: the detailed path must read it."""


def _constructor(cls: type[Any], *given: str) -> Callable[..., Any]:
    """Return a function building a *cls* from all its field values in order, unchecked.

    With *given* field names, the function takes only those, and the other fields are their
    defaults (immutable ones: None, True, an empty frozenset). The values must be those the
    validated constructor would store (after its converters): the fast path has checked them
    already. Frozen slotted attrs classes store each field in a slot; the function sets the
    slots directly, as attrs' own ``__init__`` does.
    """
    fields = attrs.fields(cls)
    names = list(given) or [a.name for a in fields]
    namespace: dict[str, Any] = {"new": object.__new__, "cls": cls}
    lines = [f"def build({', '.join(names)}):", "    self = new(cls)"]
    for field in fields:
        name = field.name
        namespace[f"set_{name}"] = cls.__dict__[name].__set__  # the slot's member descriptor
        if name in names:
            lines.append(f"    set_{name}(self, {name})")
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


_money: Final = _constructor(Money)
_invoice: Final = _constructor(Invoice)
_plain_invoice: Final = _constructor(Invoice, "number", "issued", "due", "amount")
_payment: Final = _constructor(Payment)
_activity: Final = _constructor(Activity)
_contact: Final = _constructor(Contact)
_account: Final = _constructor(Account)

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
_TERMS: dict[str, int] = {}
#: Contact roles already found to be identifiers.
_GOOD_ROLES: set[str] = set()

_fromisoformat: Final = date.fromisoformat


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
        money = self.seen[value] = _money(amount, self.currency)
        return money


class FastReader:
    """Reads the accounts of one document by the fast path; its caches last for the document."""

    def __init__(self) -> None:
        self._dates: dict[str, date] = {}
        self._amounts: dict[str, _Amounts] = {}
        self._amounts_seen: dict[str, Money] = {}  # those of the account's currency
        self._singles: dict[str, tuple[str]] = {}  # one-item tuples of invoice numbers
        self._account_id = ""  # the id of the account being read
        #: How many key-value pairs the mappings of the accounts read so far hold.
        self.pairs = 0
        self._pairs = 0  # those of the account being read

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

    def _account(self, data: Any, default_currency: str | None) -> Account:
        if type(data) is not dict or not _ACCOUNT_KEYS.issuperset(data):
            raise _SlowError
        self._pairs = len(data)
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
        read = amounts.read
        self._amounts_seen = amounts.seen
        day = self._date

        credit_limit = get("credit_limit")
        if credit_limit is not None:
            credit_limit = read(credit_limit)
        terms = data.get("terms", _MISSING)
        if terms is _MISSING:
            terms = None
        elif type(terms) is str:
            days = _TERMS.get(terms)
            if days is None:
                days = _structure_days(terms, int)
                if len(_TERMS) < _KEPT:
                    _TERMS[terms] = days
            terms = days
        else:
            terms = _structure_days(terms, int)
        tags = get("tags", _MISSING)
        tags = _EMPTY if tags is _MISSING else frozenset(_strings(tags))
        risk = get("risk")
        if risk is not None:
            risk = _risk(_structure_decimal(risk, Decimal))  # the hook, then the converter
        locale = get("locale")
        if locale is not None and locale not in _GOOD_LOCALES:
            if type(locale) is not str:
                raise _SlowError
            _check_locale(None, None, locale)
            if len(_GOOD_LOCALES) < _KEPT:
                _GOOD_LOCALES.add(locale)
        customer_since = get("customer_since")
        if customer_since is not None:
            customer_since = day(customer_since)
        collector = get("collector")
        if collector is not None:
            if type(collector) is not dict:
                raise _SlowError
            self._pairs += len(collector)
            collector = structure(collector, Collector)

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
        name = _opt_str(get("name"))
        country = _opt_str(get("country"))
        self.pairs += self._pairs  # last: only the pairs of accounts read are counted
        return _account(  # type: ignore[no-any-return]
            acct_id,
            currency,
            name,
            credit_limit,
            terms,
            tags,
            risk,
            country,
            locale,
            customer_since,
            contacts,
            invoices,
            payments,
            promises,
            disputes,
            activities,
            collector,
            snoozes,
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
            out.append(
                Promise(
                    day(d["made_on"]),
                    read(d["amount"]),
                    day(d["due"]),
                    _opt_str(get("by")),
                    installments,
                    grace,
                    _opt_str(get("note")),
                )
            )
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
