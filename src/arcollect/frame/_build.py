"""Accounts from tables, fast: records built from column lists, unchecked where the tables are.

`Tables.to_accounts` validated every field of every record through the records' constructors
(their validators and converters) and `Account`'s cross-record checks: 10 s for 20,000 accounts.
Here polars checks, over whole columns, what those validators and checks would refuse
(`_suspects`), the records of the other accounts are built straight from the columns' values,
and an account with anything suspect is left to the detailed path, whose located errors are
then exactly those it always gave. The few records whose checks are not written out here
(contacts, collectors, promises, disputes, snoozes) are built by their own constructors, once
per distinct row; one they refuse sends its account to the detailed path too.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

import attrs
import polars as pl

from arcollect._table_names import TABLE_NAMES
from arcollect.convert.fast import constructor
from arcollect.domain.account import Account
from arcollect.domain.money import (
    MAX_AMOUNT_DIGITS,
    MONEY_CONTEXT,
    Money,
    currency_exponent,
    is_currency,
)
from arcollect.domain.records import (
    Activity,
    Channel,
    Collector,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
    Snooze,
)
from arcollect.errors import ArcollectError

if TYPE_CHECKING:
    from arcollect.frame._tables import Tables

__all__ = ["fast_accounts", "minor_units", "null_item", "paused_gc"]

#: Amounts read here: digits, a point, at most the minor unit's decimals (others: `Money`).
AMOUNT: Final = rf"^(-?)(\d{{1,{min(15, MAX_AMOUNT_DIGITS)}}})(?:\.(\d+))?$"
#: The most digits `minor_units` reads: 10**18 fits an Int64, with room for sums of a few.
_MINOR_DIGITS: Final = 18
_EMPTY: Final[frozenset[str]] = frozenset()
_CHANNELS: Final = {c.value: c for c in Channel}
_OUTCOMES: Final = {o.value: o for o in Outcome}
_ROLE: Final = r"^[a-z][a-z0-9_]*$"
_OTHERS: Final = TABLE_NAMES[1:]  # the tables of the accounts' records


def minor_units(amount: pl.Expr, exponent: pl.Expr) -> pl.Expr:
    """Return the amount text as integer minor units (null: not read exactly here).

    A text `AMOUNT` matches, with no more decimals than *exponent*, is its digits without the
    point, scaled by the decimals it lacks: ``"12.5"`` at exponent 2 is 1250. (Matching is
    cheap where extracting the regex's groups is not: a tenth of the time.) An amount of more
    than 18 digits in minor units is null too: Int64 arithmetic would overflow silently.
    """
    point = amount.str.find(".", literal=True)
    length = amount.str.len_chars()
    decimals = (length - point - 1).fill_null(0)
    whole = point.fill_null(length) - amount.str.starts_with("-").cast(pl.Int64)  # its digits
    fits = (
        amount.str.contains(AMOUNT) & (decimals <= exponent) & (whole + exponent <= _MINOR_DIGITS)
    )
    scale = pl.lit(10, dtype=pl.Int64).pow((exponent - decimals).clip(lower_bound=0))
    digits = amount.str.replace(".", "", literal=True)
    return pl.when(fits).then(digits.cast(pl.Int64, strict=False) * scale)


def null_item(column: str) -> pl.Expr:
    """Whether the list in *column* holds a null (the records refuse it)."""
    return pl.col(column).list.eval(pl.element().is_null()).list.any()


_money: Final = constructor(Money)
_invoice: Final = constructor(Invoice)
_payment: Final = constructor(Payment)
_activity: Final = constructor(Activity)
_account: Final = constructor(Account)


def _good_locale(value: str) -> bool:
    """Whether `Account` accepts the locale *value*."""
    try:
        Account("-", "EUR", locale=value)
    except ArcollectError:
        return False
    return True


def _ids(frame: pl.DataFrame) -> pl.Series:
    return frame.get_column("account_id")


def _suspects(accounts: pl.DataFrame, rows: dict[str, pl.DataFrame]) -> set[str]:
    """Return the accounts whose rows hold anything the records' checks would refuse.

    *rows* are the other tables' rows with their account's ``acct_currency`` and ``exp`` (its
    minor unit), and the amounts of invoices and payments in minor units (``minor``).
    """
    other = pl.col("currency") != pl.col("acct_currency")
    acc = accounts.select("account_id", "currency")
    bad = [
        _ids(
            acc.filter(
                ~pl.col("currency").is_in(
                    [c for c in acc.get_column("currency").unique().to_list() if is_currency(c)]
                )
            )
        ),
        _ids(
            accounts.filter(
                (pl.col("account_id").str.strip_chars() == "")
                | (pl.col("terms") < 0)
                | null_item("tags")
                | pl.col("locale").is_in(
                    [
                        v
                        for v in accounts.get_column("locale").drop_nulls().unique().to_list()
                        if not _good_locale(v)
                    ]
                )
            )
        ),
    ]
    inv = rows["invoices"]
    bad.append(
        _ids(
            inv.filter(
                pl.col("minor").is_null()
                | (pl.col("minor") == 0)
                | other
                | (pl.col("number").str.strip_chars() == "")
                | (pl.col("due") < pl.col("issued"))
                | (pl.col("credits").is_not_null() & (pl.col("minor") > 0))
                | (pl.col("account").is_not_null() & (pl.col("account") != pl.col("account_id")))
                | pl.struct("account_id", "number").is_duplicated()
                | null_item("tags")
            )
        )
    )
    known = inv.select("account_id", "number")
    notes = inv.filter(pl.col("minor") < 0).select("account_id", "number")
    credited = inv.filter(pl.col("credits").is_not_null()).select(
        "account_id", pl.col("credits").alias("number")
    )
    bad.append(_ids(credited.join(known, on=["account_id", "number"], how="anti")))
    bad.append(_ids(credited.join(notes, on=["account_id", "number"], how="semi")))

    def unknown(frame: pl.DataFrame, column: str) -> pl.Series:
        names = frame.select("account_id", pl.col(column).alias("number"))
        if isinstance(frame.schema[column], pl.List):
            names = names.explode("number")
        names = names.filter(pl.col("number").is_not_null())
        return _ids(names.join(known, on=["account_id", "number"], how="anti"))

    pay = rows["payments"]
    bad.append(
        _ids(
            pay.filter(
                pl.col("minor").is_null() | (pl.col("minor") <= 0) | other | null_item("applies_to")
            )
        )
    )
    bad.append(unknown(pay, "applies_to"))
    acts = rows["activities"]
    bad.append(
        _ids(
            acts.filter(
                ~pl.col("channel").is_in(list(_CHANNELS))
                | (pl.col("outcome").is_not_null() & ~pl.col("outcome").is_in(list(_OUTCOMES)))
            )
        )
    )
    bad.append(unknown(acts, "invoice"))
    bad.append(_ids(rows["promises"].filter(other)))
    disputes = rows["disputes"]
    bad.append(_ids(disputes.filter(pl.col("amount").is_not_null() & other)))
    bad.append(unknown(disputes, "invoices"))
    bad.append(unknown(rows["snoozes"], "invoices"))
    bad.append(
        _ids(
            rows["contacts"].filter(
                (pl.col("name").str.strip_chars() == "")
                | null_item("roles")
                | pl.col("roles").list.eval(~pl.element().str.contains(_ROLE)).list.any()
            )
        )
    )
    return set(pl.concat(bad).unique().to_list())


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building records from columns.

    The records form no cycles, and the collector would scan the hundreds of thousands being
    built again and again (as `arcollect.lang.parser` pauses it on large files).
    """
    pause = gc.isenabled()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        if pause:
            gc.enable()


def fast_accounts(t: Tables, only: set[str] | None) -> list[Account | str] | None:
    """Return the accounts of *t* (of ids *only*, or all) in the accounts table's order.

    An account left to the detailed path is given as its id. None: the tables have an account
    twice, or rows of no account: the detailed path reports it.
    """
    with paused_gc():
        return _fast_accounts(t, only)


def _fast_accounts(t: Tables, only: set[str] | None) -> list[Account | str] | None:
    acc = t.accounts
    if only is not None:
        acc = acc.filter(pl.col("account_id").is_in(list(only)))
    ids = acc.get_column("account_id")
    if ids.is_duplicated().any():
        return None
    frames = {name: getattr(t, name) for name in _OTHERS}
    if only is None:
        if any(f.join(acc, on="account_id", how="anti").height for f in frames.values()):
            return None
    else:
        keep = pl.col("account_id").is_in(ids.implode())
        frames = {name: f.filter(keep) for name, f in frames.items()}
    currencies = acc.get_column("currency").unique().to_list()
    exps = {c: currency_exponent(c) for c in currencies if is_currency(c)}
    heads = acc.select(
        "account_id",
        pl.col("currency").alias("acct_currency"),
        pl.col("currency").replace_strict(exps, default=None, return_dtype=pl.Int64).alias("exp"),
        pl.int_range(pl.len()).alias("_at"),
    )

    # Each table's rows in the accounts' order (stable: an account's rows in their order).
    def ordered(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(heads, on="account_id", how="inner").sort("_at", maintain_order=True)

    rows = {name: ordered(f) for name, f in frames.items()}
    for name in ("invoices", "payments"):
        rows[name] = rows[name].with_columns(
            minor_units(pl.col("amount"), pl.col("exp")).alias("minor")
        )
    suspects = _suspects(acc, rows)
    counts = heads.select("_at")
    for name, frame in rows.items():
        n = frame.group_by("_at").agg(pl.len().cast(pl.Int64).alias(name))
        counts = counts.join(n, on="_at", how="left")
    counts = counts.sort("_at").fill_null(0)
    ends = {name: counts.get_column(name).cum_sum().to_list() for name in rows}

    builder = _Builder(suspects)
    built = {
        "invoices": builder.invoices(rows["invoices"]),
        "payments": builder.payments(rows["payments"]),
        "activities": builder.activities(rows["activities"]),
        "contacts": builder.contacts(rows["contacts"]),
        "promises": builder.each(rows["promises"], _promise),
        "disputes": builder.each(rows["disputes"], _dispute),
        "snoozes": builder.each(rows["snoozes"], _snooze),
    }
    columns = [acc.get_column(c).to_list() for c in _ACCOUNT_COLUMNS]
    out: list[Account | str] = []
    start = dict.fromkeys(rows, 0)
    for k, row in enumerate(zip(*columns, strict=True)):
        aid = row[0]
        parts = {}
        for name in _OTHERS:
            end = ends[name][k]
            parts[name] = built[name][start[name] : end]
            start[name] = end
        if aid in suspects:
            out.append(aid)
            continue
        try:
            out.append(builder.account(row, parts))
        except (ArcollectError, ValueError, TypeError, ArithmeticError):
            out.append(aid)
    return out


_ACCOUNT_COLUMNS: Final = (
    "account_id",
    "currency",
    "name",
    "credit_limit",
    "terms",
    "tags",
    "risk",
    "country",
    "locale",
    "customer_since",
    "collector_name",
    "collector_title",
    "collector_phone",
    "collector_email",
)


class _Builder:
    """Builds the records of the tables' rows; a row it cannot build marks its account."""

    def __init__(self, suspects: set[str]) -> None:
        self.suspects = suspects
        self.minor: dict[str, dict[int, Money]] = {}  # by currency, by minor units
        self.money: dict[tuple[str, str], Money] = {}
        self.shared: dict[tuple[Any, ...], Any] = {}

    def amounts(self, frame: pl.DataFrame) -> list[Money | None]:
        """Return the Money of each row's ``minor``, ``exp`` and ``currency`` (None: suspect)."""
        ctx = MONEY_CONTEXT
        out: list[Money | None] = []
        last, known = None, self.minor.setdefault("", {})
        for minor, exp, cur in zip(
            frame.get_column("minor").to_list(),
            frame.get_column("exp").to_list(),
            frame.get_column("currency").to_list(),
            strict=True,
        ):
            if minor is None:
                out.append(None)
                continue
            if cur != last:  # the rows' currencies come in runs (one, mostly)
                last, known = cur, self.minor.setdefault(cur, {})
            found = known.get(minor)
            if found is None:
                found = known[minor] = _money(Decimal(minor).scaleb(-exp, ctx), cur)
            out.append(found)
        return out

    def invoices(self, frame: pl.DataFrame) -> list[Any]:
        c = _lists(frame, "number", "issued", "due")
        rest = _lists(frame, "account", "po_number", "delivered", "proof_of_delivery", "credits")
        tags = map(_tags, _lists(frame.select(_non_empty("tags")), "tags")[0])
        return list(map(_invoice, *c, self.amounts(frame), *rest, tags))

    def payments(self, frame: pl.DataFrame) -> list[Any]:
        frame = frame.with_columns(
            pl.col("applies_to").list.first().alias("one"),
            pl.when(pl.col("applies_to").list.len() > 1).then(pl.col("applies_to")).alias("all"),
        )
        on, reference, one, every = _lists(frame, "date", "reference", "one", "all")
        return list(map(_payment, on, self.amounts(frame), reference, map(_names, one, every)))

    def activities(self, frame: pl.DataFrame) -> list[Any]:
        on, channel, step, outcome, *rest = _lists(
            frame, "date", "channel", "step", "outcome", "contact", "timeline", "invoice", "notes"
        )
        # An unknown channel or outcome made the account suspect: its records are not used.
        return list(
            map(
                _activity,
                on,
                map(_CHANNELS.get, channel),
                step,
                map(_OUTCOMES.get, outcome),
                *rest,
            )
        )

    def contacts(self, frame: pl.DataFrame) -> list[Any]:
        columns = [c.name for c in _CONTACT_COLUMNS]
        out = []
        for aid, *row in zip(*_lists(frame, "account_id", *columns), strict=True):
            key = (Contact, *row[:2], tuple(row[2]), *row[3:])
            found = self.shared.get(key)
            if found is None:
                try:
                    found = self.shared[key] = Contact(**dict(zip(columns, row, strict=True)))
                except (ArcollectError, ValueError, TypeError):
                    self.suspects.add(aid)
            out.append(found)
        return out

    def each(self, frame: pl.DataFrame, make: Callable[[dict[str, Any]], Any]) -> list[Any]:
        """Return the record *make* builds of each row (None where it refused: suspect)."""
        out = []
        for row in frame.iter_rows(named=True):
            try:
                out.append(make(row))
            except (ArcollectError, ValueError, TypeError, ArithmeticError):
                self.suspects.add(row["account_id"])
                out.append(None)
        return out

    def account(self, row: Sequence[Any], parts: dict[str, list[Any]]) -> Account:
        aid, cur, name, limit, terms, tags, risk, country, locale, since, *collector = row
        if limit is not None:
            key = (limit, cur)
            found = self.money.get(key)
            if found is None:
                found = self.money[key] = Money(limit, cur)
            limit = found
        if risk is not None:
            risk = Decimal(risk.strip())
            if not risk.is_finite():
                raise ArithmeticError(risk)
        found_collector = None
        if collector[0] is not None:
            ckey = (Collector, *collector)
            found_collector = self.shared.get(ckey)
            if found_collector is None:
                found_collector = self.shared[ckey] = Collector(*collector)
        return _account(  # type: ignore[no-any-return]
            aid,
            cur,
            name,
            limit,
            terms,
            frozenset(tags) if tags else _EMPTY,
            risk,
            country,
            locale,
            since,
            tuple(parts["contacts"]),
            tuple(parts["invoices"]),
            tuple(parts["payments"]),
            tuple(parts["promises"]),
            tuple(parts["disputes"]),
            tuple(parts["activities"]),
            found_collector,
            tuple(parts["snoozes"]),
        )


def _non_empty(column: str) -> pl.Expr:
    """Return the lists of *column*, null for an empty one (nulls are cheaper to convert)."""
    return pl.when(pl.col(column).list.len() > 0).then(pl.col(column)).alias(column)


def _lists(frame: pl.DataFrame, *columns: str) -> list[list[Any]]:
    return [frame.get_column(c).to_list() for c in columns]


def _tags(value: list[str] | None) -> frozenset[str]:
    return frozenset(value) if value else _EMPTY


def _names(one: str | None, every: list[str] | None) -> tuple[str, ...]:
    """Return the invoices a payment names: from its first name, or its whole list if longer."""
    if every is not None:
        return tuple(every)
    return () if one is None else (one,)


def _promise(r: dict[str, Any]) -> Promise:
    dues, amounts, cur = r["installment_dues"], r["installment_amounts"], r["currency"]
    if len(dues) != len(amounts):
        raise ValueError(r)  # the detailed path says how
    return Promise(
        r["made_on"],
        Money(r["amount"], cur),
        r["due"],
        by=r["by"],
        installments=[Installment(d, Money(a, cur)) for d, a in zip(dues, amounts, strict=True)],
        grace_days=r["grace_days"],
        note=r["note"],
    )


def _dispute(r: dict[str, Any]) -> Dispute:
    amount = r["amount"]
    return Dispute(
        r["opened"],
        reason=r["reason"],
        invoices=r["invoices"],
        amount=None if amount is None else Money(amount, r["currency"]),
        resolved=r["resolved"],
        owner=r["owner"],
        id=r["id"],
        notes=r["notes"],
    )


def _snooze(r: dict[str, Any]) -> Snooze:
    return Snooze(r["until"], r["reason"], r["by"], r["invoices"], since=r["since"])


_CONTACT_COLUMNS: Final = attrs.fields(Contact)
