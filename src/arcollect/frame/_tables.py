"""The tables of a portfolio: one polars DataFrame per kind of record, and their schemas.

Every table has an ``account_id`` column naming the account a row belongs to; within an
account, rows keep their order (it is the order of the account's records). Amounts are exact
decimal text (``"1200.50"``) in an ``amount`` column with a ``currency`` column beside it: never
floats. Dates are polars ``Date``. A list of names (tags, roles, ``applies_to``) is a
``List(String)`` column; in CSV, where a cell holds no list, it is a JSON array
(``["INV-1", "INV-2"]``). Optional columns may be left out (their defaults are those of the
records).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

import attrs
import polars as pl

from arcollect._describe import shown
from arcollect._suggest import did_you_mean
from arcollect._table_names import TABLE_NAMES
from arcollect.domain.account import Account
from arcollect.domain.money import Money
from arcollect.domain.records import (
    Activity,
    Collector,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Payment,
    Promise,
)
from arcollect.errors import ArcollectError, DataError, Problem
from arcollect.frame._build import _snooze, fast_accounts

__all__ = ["SCHEMAS", "TABLES", "Column", "Tables", "read_tables"]

_STR: Final = pl.String()
_DATE: Final = pl.Date()
_BOOL: Final = pl.Boolean()
_INT: Final = pl.Int64()
_LIST: Final = pl.List(pl.String())


@attrs.frozen
class Column:
    """One column of a table: its name, polars dtype, and whether it may be left out."""

    name: str
    dtype: pl.DataType
    required: bool = False
    default: Any = None


def _cols(
    *specs: tuple[str, pl.DataType, bool] | tuple[str, pl.DataType, bool, Any],
) -> tuple[Column, ...]:
    return tuple(Column(*spec) for spec in specs)


#: The columns of each table (``account_id`` first), in the order they are written.
SCHEMAS: Final[Mapping[str, tuple[Column, ...]]] = {
    "accounts": _cols(
        ("account_id", _STR, True),
        ("currency", _STR, True),
        ("name", _STR, False),
        ("credit_limit", _STR, False),
        ("terms", _INT, False),
        ("tags", _LIST, False, []),
        ("risk", _STR, False),
        ("country", _STR, False),
        ("locale", _STR, False),
        ("customer_since", _DATE, False),
        ("collector_name", _STR, False),
        ("collector_title", _STR, False),
        ("collector_phone", _STR, False),
        ("collector_email", _STR, False),
    ),
    "contacts": _cols(
        ("account_id", _STR, True),
        ("name", _STR, True),
        ("title", _STR, False),
        ("roles", _LIST, False, []),
        ("can_authorize_payment", _BOOL, False, False),
        ("phone", _STR, False),
        ("email", _STR, False),
        ("preferred_channel", _STR, False),
        ("language", _STR, False),
    ),
    "invoices": _cols(
        ("account_id", _STR, True),
        ("number", _STR, True),
        ("issued", _DATE, True),
        ("due", _DATE, True),
        ("amount", _STR, True),
        ("currency", _STR, True),
        ("account", _STR, False),
        ("po_number", _STR, False),
        ("delivered", _BOOL, False, True),
        ("proof_of_delivery", _STR, False),
        ("credits", _STR, False),
        ("tags", _LIST, False, []),
    ),
    "payments": _cols(
        ("account_id", _STR, True),
        ("date", _DATE, True),
        ("amount", _STR, True),
        ("currency", _STR, True),
        ("reference", _STR, False),
        ("applies_to", _LIST, False, []),
    ),
    "promises": _cols(
        ("account_id", _STR, True),
        ("made_on", _DATE, True),
        ("amount", _STR, True),
        ("currency", _STR, True),
        ("due", _DATE, True),
        ("by", _STR, False),
        ("grace_days", _INT, False, 0),
        ("note", _STR, False),
        ("installment_dues", pl.List(pl.Date()), False, []),
        ("installment_amounts", _LIST, False, []),
    ),
    "disputes": _cols(
        ("account_id", _STR, True),
        ("opened", _DATE, True),
        ("reason", _STR, False, "unspecified"),
        ("invoices", _LIST, False, []),
        ("amount", _STR, False),
        ("currency", _STR, False),
        ("resolved", _DATE, False),
        ("owner", _STR, False),
        ("id", _STR, False),
        ("notes", _STR, False),
    ),
    "activities": _cols(
        ("account_id", _STR, True),
        ("date", _DATE, True),
        ("channel", _STR, True),
        ("step", _STR, False),
        ("outcome", _STR, False),
        ("contact", _STR, False),
        ("timeline", _STR, False),
        ("invoice", _STR, False),
        ("notes", _STR, False),
    ),
    "snoozes": _cols(
        ("account_id", _STR, True),
        ("until", _DATE, True),
        ("reason", _STR, False),
        ("by", _STR, False),
        ("invoices", _LIST, False, []),
        ("since", _DATE, False),
    ),
}

#: The tables of a portfolio, in order; only ``accounts`` is required.
TABLES: Final = TABLE_NAMES  # the schemas' order (a test holds them to it)


def _dtype_name(dtype: pl.DataType) -> str:
    return {
        "String": "text (String)",
        "Date": "a date (Date)",
        "Boolean": "true/false (Boolean)",
        "Int64": "a whole number (Int64)",
        "List(String)": "a list of text (List(String))",
        "List(Date)": "a list of dates (List(Date))",
    }.get(str(dtype), str(dtype))


def _first_bad(frame: pl.DataFrame, before: str, after: pl.Series) -> int:
    """Return the row of the first value of column *before* that did not convert."""
    bad = frame.get_column(before).is_not_null() & after.is_null()
    return int(bad.arg_true()[0])


def _convert(frame: pl.DataFrame, where: str, col: Column) -> pl.Series:
    """Return column *col* of *frame* in its dtype, converting text, or raise a located error."""
    series = frame.get_column(col.name)
    got, want = series.dtype, col.dtype
    if got == want:
        return series
    if got == pl.Null:
        return series.cast(want)
    at = f"{where}.{col.name}"
    if want == _STR and got.is_decimal():
        return series.cast(pl.String)
    if want == _STR and got.is_integer():
        return series.cast(pl.String)
    if want == _INT and got.is_integer():
        return series.cast(pl.Int64)
    if want == _INT and got.is_float():  # pandas holds whole numbers with gaps as floats
        whole = series.is_null() | (series == series.floor())
        if not whole.all():
            row = int((~whole).arg_true()[0])
            raise DataError.at(
                f"{where}[{row}].{col.name}", f"expected a whole number, got {series[row]!r}"
            )
        return series.cast(pl.Int64)
    if isinstance(got, pl.List) and got.inner == pl.Null and isinstance(want, pl.List):
        return series.cast(want)  # lists that are all empty
    if want == _DATE and isinstance(got, pl.Datetime):  # pandas holds dates as timestamps
        day = series.dt.date()
        exact = series.is_null() | (day.cast(got) == series)
        if not exact.all():
            row = int((~exact).arg_true()[0])
            raise DataError.at(
                f"{where}[{row}].{col.name}", f"expected a date, got the timestamp {series[row]}"
            )
        return day
    if got == pl.String:
        text = series.str.strip_chars()
        if want == _DATE:
            out = text.str.to_date("%Y-%m-%d", strict=False)
            what = "a date such as 2026-11-23"
        elif want == _BOOL:
            low = text.str.to_lowercase()
            out = (
                frame.select(
                    pl.when(low.is_in(["true", "1", "yes"]))
                    .then(True)  # noqa: FBT003 - a polars literal
                    .when(low.is_in(["false", "0", "no"]))
                    .then(False)  # noqa: FBT003 - a polars literal
                    .alias(col.name)
                )
                .get_column(col.name)
                .cast(pl.Boolean)
            )
            what = "true or false"
        elif want == _INT:
            out = text.cast(pl.Int64, strict=False)
            what = "a whole number"
        else:  # a list, written as a JSON array
            return _json_lists(series, want, at)
        if (out.is_null() & series.is_not_null()).any():
            row = _first_bad(frame, col.name, out)
            raise DataError.at(
                f"{where}[{row}].{col.name}", f"expected {what}, got {shown(series[row])}"
            )
        return out
    raise DataError.at(at, f"expected a column of {_dtype_name(want)}, got {got}")


def _json_lists(series: pl.Series, want: pl.DataType, at: str) -> pl.Series:
    items: list[list[Any] | None] = []
    is_date = want == pl.List(pl.Date())
    for row, cell in enumerate(series.to_list()):
        if cell is None or not cell.strip():
            items.append([])
            continue
        try:
            value = json.loads(cell)
        except (ValueError, RecursionError):  # not JSON, or nested past the decoder's depth
            value = None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            table, column = at.rsplit(".", 1)
            raise DataError.at(
                f"{table}[{row}].{column}",
                f'expected a JSON array of text such as ["INV-1", "INV-2"], got {shown(cell)}',
            )
        if is_date:
            try:
                items.append([date.fromisoformat(v) for v in value])
            except ValueError:
                table, column = at.rsplit(".", 1)
                raise DataError.at(
                    f"{table}[{row}].{column}",
                    f"expected dates such as 2026-11-23, got {shown(cell)}",
                ) from None
        else:
            items.append(value)
    return pl.Series(series.name, items, dtype=want)


def _normalise(name: str, frame: pl.DataFrame, where: str) -> pl.DataFrame:
    """Return *frame* with the columns of table *name*, in order and dtype, or raise."""
    schema = SCHEMAS[name]
    known = [c.name for c in schema]
    extra = [c for c in frame.columns if c not in known]
    if extra:
        hint = did_you_mean(extra[0], known)
        raise DataError.at(
            f"{where}.{extra[0]}",
            f"unknown column {extra[0]!r}"
            + (f"; {hint}" if hint else "")
            + f" (columns: {', '.join(known)})",
        )
    columns = []
    for col in schema:
        if col.name not in frame.columns:
            if col.required:
                raise DataError.at(f"{where}.{col.name}", f"missing required column {col.name!r}")
            columns.append(pl.Series(col.name, [col.default] * frame.height, dtype=col.dtype))
            continue
        series = _convert(frame, where, col).alias(col.name)
        if col.required and series.null_count():
            row = int(series.is_null().arg_true()[0])
            raise DataError.at(f"{where}[{row}].{col.name}", "missing value in a required column")
        if col.default is not None and series.null_count():
            series = series.fill_null(pl.lit(col.default, dtype=col.dtype))
        columns.append(series)
    return pl.DataFrame(columns)


def _frame(value: object, where: str) -> pl.DataFrame:
    """Return a polars DataFrame of *value*: polars, pandas or anything Arrow-compatible."""
    if isinstance(value, pl.DataFrame):
        return value
    if isinstance(value, pl.LazyFrame):
        return value.collect()
    try:
        if type(value).__module__.startswith("pandas"):
            return pl.from_pandas(value)
        return pl.DataFrame(value)  # type: ignore[arg-type]  # Arrow tables, anything tabular
    except (TypeError, ValueError, ImportError, pl.exceptions.PolarsError) as exc:
        raise DataError.at(
            where, f"expected a table (polars, pandas or Arrow), got {type(value).__name__}: {exc}"
        ) from None


@attrs.frozen
class Tables:
    """A portfolio as tables: one polars DataFrame per kind of record (see `SCHEMAS`).

    Build one with `Tables.of` (polars, pandas or pyarrow tables), `read_tables` (Parquet or
    CSV files) or `Tables.from_accounts`; `to_accounts` gives the records back, exactly.
    """

    accounts: pl.DataFrame
    contacts: pl.DataFrame
    invoices: pl.DataFrame
    payments: pl.DataFrame
    promises: pl.DataFrame
    disputes: pl.DataFrame
    activities: pl.DataFrame
    snoozes: pl.DataFrame
    #: The name each table came from (a file name, or the table's name), for error paths.
    sources: Mapping[str, str] = attrs.field(factory=dict, eq=False, repr=False)

    @classmethod
    def of(cls, **tables: object) -> Tables:
        """Return the tables given by name (``accounts=..., invoices=...``), checked.

        Each may be a polars DataFrame, a pandas DataFrame or a pyarrow Table; a table left
        out is empty. Raise `DataError` at ``TABLE.COLUMN`` (or ``TABLE[ROW].COLUMN``) for an
        unknown table or column, a missing required column or value, or a value of another
        type.
        """
        return cls.named(tables, {})

    @classmethod
    def named(cls, tables: Mapping[str, object], sources: Mapping[str, str]) -> Tables:
        """Return `Tables.of` *tables*, each named in error paths by *sources* (file names)."""
        names = dict(sources)
        unknown = [t for t in tables if t not in SCHEMAS]
        if unknown:
            hint = did_you_mean(unknown[0], TABLES)
            raise DataError.at(
                unknown[0],
                f"unknown table {unknown[0]!r}"
                + (f"; {hint}" if hint else "")
                + f" (tables: {', '.join(TABLES)})",
            )
        if "accounts" not in tables:
            raise DataError.at("accounts", "missing the accounts table")
        frames: dict[str, pl.DataFrame] = {}
        for name in TABLES:
            where = names.setdefault(name, name)
            if name in tables:
                frames[name] = _normalise(name, _frame(tables[name], where), where)
            else:
                frames[name] = pl.DataFrame(
                    [pl.Series(c.name, [], dtype=c.dtype) for c in SCHEMAS[name]]
                )
        return cls(**frames, sources=names)

    @classmethod
    def from_accounts(cls, accounts: Iterable[Account]) -> Tables:
        """Return the tables of *accounts* (each record a row, in the accounts' order)."""
        rows: dict[str, list[tuple[Any, ...]]] = {name: [] for name in TABLES}
        for acct in accounts:
            _rows_of(acct, rows)
        frames = {
            name: pl.DataFrame(
                rows[name],
                schema=[(c.name, c.dtype) for c in SCHEMAS[name]],
                orient="row",
            )
            for name in TABLES
        }
        return cls(**frames, sources={name: name for name in TABLES})

    def to_accounts(self) -> tuple[Account, ...]:
        """Return the accounts the tables describe, records in their rows' order.

        Raise `DataError` with the path of every bad value (``invoices[12].due``: the table, its
        row, its column); only `ArcollectError`s escape.
        """
        return tuple(self.build(None))

    def build(self, only: set[str] | None) -> list[Account]:
        """Return the accounts (of ids *only*, or all), in the accounts table's order.

        Records are built straight from the columns (`arcollect.frame._build`); an account with
        anything the records' checks would refuse is built by the detailed path below, whose
        errors name the table, row and column.
        """
        fast = fast_accounts(self, only)
        if fast is None:  # an account twice, or rows of no account
            return self._detailed(only)
        slow = {a for a in fast if isinstance(a, str)}
        if not slow:
            return fast  # type: ignore[return-value]  # no ids left: all accounts
        built = {a.id: a for a in self._detailed(slow)}
        return [built[a] if isinstance(a, str) else a for a in fast]

    def _detailed(self, only: set[str] | None) -> list[Account]:
        """Return the accounts (of ids *only*, or all), every record validated, or raise."""
        grouped = {name: self._grouped(name, only) for name in TABLES if name != "accounts"}
        where = self.sources.get("accounts", "accounts")
        problems: list[Problem] = []
        out: list[Account] = []
        accounts = self.accounts.with_row_index("_row")
        if only is not None:
            accounts = accounts.filter(pl.col("account_id").is_in(list(only)))
        seen: dict[str, int] = {}
        for row in accounts.iter_rows(named=True):
            aid, at = row["account_id"], f"{where}[{row['_row']}]"
            if aid in seen:
                problems.append(
                    Problem(f"{at}.account_id", f"duplicate account {aid!r} (also row {seen[aid]})")
                )
                continue
            seen[aid] = row["_row"]
            try:
                out.append(self._account(row, at, {k: g.get(aid, []) for k, g in grouped.items()}))
            except DataError as exc:
                problems.extend(exc.problems)
        for name, groups in grouped.items():
            stray = sorted(set(groups) - set(seen))
            if stray and only is None:
                rows = groups[stray[0]]
                problems.append(
                    Problem(
                        f"{self.sources.get(name, name)}[{rows[0][0]}].account_id",
                        f"no account {stray[0]!r} in the accounts table",
                    )
                )
        if problems:
            raise DataError(problems[:50], omitted=max(0, len(problems) - 50))
        return out

    def _grouped(
        self, name: str, only: set[str] | None
    ) -> dict[str, list[tuple[int, dict[str, Any]]]]:
        frame = getattr(self, name).with_row_index("_row")
        if only is not None:
            frame = frame.filter(pl.col("account_id").is_in(list(only)))
        out: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for row in frame.iter_rows(named=True):
            out.setdefault(row["account_id"], []).append((row.pop("_row"), row))
        return out

    def _account(
        self, row: dict[str, Any], at: str, records: dict[str, list[tuple[int, dict[str, Any]]]]
    ) -> Account:
        problems: list[Problem] = []
        currency = row["currency"]

        def each(name: str, make: Callable[[dict[str, Any]], Any]) -> list[Any]:
            built = []
            source = self.sources.get(name, name)
            for i, rec in records[name]:
                try:
                    built.append(make(rec))
                except DataError as exc:
                    problems.extend(p.under(f"{source}[{i}]") for p in exc.problems)
                except ArcollectError as exc:
                    problems.append(Problem(f"{source}[{i}]", str(exc)))
            return built

        try:
            limit = _money(row["credit_limit"], currency, "credit_limit")
            collector = (
                Collector(
                    row["collector_name"],
                    title=row["collector_title"],
                    phone=row["collector_phone"],
                    email=row["collector_email"],
                )
                if row["collector_name"] is not None
                else None
            )
            risk = _decimal(row["risk"], "risk")
        except DataError as exc:
            problems.extend(p.under(at) for p in exc.problems)
            limit = collector = risk = None
        contacts = each("contacts", _contact)
        invoices = each("invoices", _invoice)
        payments = each("payments", _payment)
        promises = each("promises", _promise)
        disputes = each("disputes", _dispute)
        activities = each("activities", _activity)
        snoozes = each("snoozes", _snooze)
        if problems:
            raise DataError(problems)
        try:
            return Account(
                row["account_id"],
                currency,
                name=row["name"],
                credit_limit=limit,
                terms=row["terms"],
                tags=row["tags"],
                risk=risk,
                country=row["country"],
                locale=row["locale"],
                customer_since=row["customer_since"],
                contacts=contacts,
                invoices=invoices,
                payments=payments,
                promises=promises,
                disputes=disputes,
                activities=activities,
                collector=collector,
                snoozes=snoozes,
            )
        except DataError as exc:
            raise exc.under(f"{at} (account {row['account_id']!r})") from None
        except ArcollectError as exc:
            raise DataError.at(at, str(exc)) from None

    @property
    def frames(self) -> dict[str, pl.DataFrame]:
        """The tables by name."""
        return {name: getattr(self, name) for name in TABLES}

    def write(self, directory: str | Path, *, format: str = "parquet") -> None:
        """Write each table to *directory* as ``NAME.parquet`` (or ``NAME.csv``)."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        for name, frame in self.frames.items():
            if format == "parquet":
                frame.write_parquet(out / f"{name}.parquet")
            elif format == "csv":
                lists = [c for c, t in frame.schema.items() if isinstance(t, pl.List)]
                frame.with_columns(
                    pl.col(c).map_elements(_json_text, return_dtype=pl.String) for c in lists
                ).write_csv(out / f"{name}.csv")
            else:
                raise DataError.at("format", f"expected 'parquet' or 'csv', got {format!r}")


def _json_text(items: pl.Series) -> str:
    return json.dumps([v.isoformat() if isinstance(v, date) else v for v in items.to_list()])


# -- records to rows and back --------------------------------------------------------------------


def _text(m: Money | None) -> str | None:
    return None if m is None else str(m.amount)


def _rows_of(acct: Account, rows: dict[str, list[tuple[Any, ...]]]) -> None:
    aid, col = acct.id, acct.collector
    rows["accounts"].append(
        (
            aid,
            acct.currency,
            acct.name,
            _text(acct.credit_limit),
            acct.terms,
            sorted(acct.tags),
            None if acct.risk is None else str(acct.risk),
            acct.country,
            acct.locale,
            acct.customer_since,
            col.name if col else None,
            col.title if col else None,
            col.phone if col else None,
            col.email if col else None,
        )
    )
    rows["contacts"] += [
        (
            aid,
            c.name,
            c.title,
            sorted(c.roles),
            c.can_authorize_payment,
            c.phone,
            c.email,
            c.preferred_channel.value if c.preferred_channel else None,
            c.language,
        )
        for c in acct.contacts
    ]
    rows["invoices"] += [
        (
            aid,
            i.number,
            i.issued,
            i.due,
            str(i.amount.amount),
            i.amount.currency,
            i.account,
            i.po_number,
            i.delivered,
            i.proof_of_delivery,
            i.credits,
            sorted(i.tags),
        )
        for i in acct.invoices
    ]
    rows["payments"] += [
        (aid, p.date, str(p.amount.amount), p.amount.currency, p.reference, list(p.applies_to))
        for p in acct.payments
    ]
    rows["promises"] += [
        (
            aid,
            p.made_on,
            str(p.amount.amount),
            p.amount.currency,
            p.due,
            p.by,
            p.grace_days,
            p.note,
            [i.due for i in p.installments],
            [str(i.amount.amount) for i in p.installments],
        )
        for p in acct.promises
    ]
    rows["disputes"] += [
        (
            aid,
            d.opened,
            d.reason.value,
            list(d.invoices),
            _text(d.amount),
            d.amount.currency if d.amount else None,
            d.resolved,
            d.owner,
            d.id,
            d.notes,
        )
        for d in acct.disputes
    ]
    rows["activities"] += [
        (
            aid,
            a.date,
            a.channel.value,
            a.step,
            a.outcome.value if a.outcome else None,
            a.contact,
            a.timeline,
            a.invoice,
            a.notes,
        )
        for a in acct.activities
    ]
    rows["snoozes"] += [
        (aid, s.until, s.reason, s.by, list(s.invoices), s.since) for s in acct.snoozes
    ]


def _decimal(text: str | None, field: str) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text.strip())
    except ArithmeticError:
        value = Decimal("NaN")
    if not value.is_finite():
        raise DataError.at(field, f"expected a number such as '0.25', got {shown(text)}")
    return value


def _money(text: str | None, currency: str | None, field: str) -> Money | None:
    if text is None:
        return None
    if currency is None:
        raise DataError.at(f"{field}", f"the amount {shown(text)} has no currency")
    try:
        return Money(text, currency)
    except DataError as exc:
        raise DataError.at(field, exc.problems[0].message) from None
    except ArcollectError as exc:
        raise DataError.at(field, str(exc)) from None


def _required_money(text: str, currency: str, field: str = "amount") -> Money:
    m = _money(text, currency, field)
    assert m is not None  # noqa: S101 - a required column has no nulls
    return m


def _contact(r: dict[str, Any]) -> Contact:
    return Contact(
        r["name"],
        title=r["title"],
        roles=r["roles"],
        can_authorize_payment=r["can_authorize_payment"],
        phone=r["phone"],
        email=r["email"],
        preferred_channel=r["preferred_channel"],
        language=r["language"],
    )


def _invoice(r: dict[str, Any]) -> Invoice:
    return Invoice(
        r["number"],
        r["issued"],
        r["due"],
        _required_money(r["amount"], r["currency"]),
        account=r["account"],
        po_number=r["po_number"],
        delivered=r["delivered"],
        proof_of_delivery=r["proof_of_delivery"],
        credits=r["credits"],
        tags=r["tags"],
    )


def _payment(r: dict[str, Any]) -> Payment:
    return Payment(
        r["date"],
        _required_money(r["amount"], r["currency"]),
        reference=r["reference"],
        applies_to=r["applies_to"],
    )


def _promise(r: dict[str, Any]) -> Promise:
    dues, amounts = r["installment_dues"], r["installment_amounts"]
    if len(dues) != len(amounts):
        raise DataError.at(
            "installment_amounts",
            f"{len(dues)} installment dates but {len(amounts)} installment amounts",
        )
    parts = [
        Installment(d, _required_money(a, r["currency"], f"installment_amounts[{k}]"))
        for k, (d, a) in enumerate(zip(dues, amounts, strict=True))
    ]
    return Promise(
        r["made_on"],
        _required_money(r["amount"], r["currency"]),
        r["due"],
        by=r["by"],
        installments=parts,
        grace_days=r["grace_days"],
        note=r["note"],
    )


def _dispute(r: dict[str, Any]) -> Dispute:
    return Dispute(
        r["opened"],
        reason=r["reason"],
        invoices=r["invoices"],
        amount=_money(r["amount"], r["currency"], "amount"),
        resolved=r["resolved"],
        owner=r["owner"],
        id=r["id"],
        notes=r["notes"],
    )


def _activity(r: dict[str, Any]) -> Activity:
    return Activity(
        r["date"],
        r["channel"],
        step=r["step"],
        outcome=r["outcome"],
        contact=r["contact"],
        timeline=r["timeline"],
        invoice=r["invoice"],
        notes=r["notes"],
    )


# -- files -----------------------------------------------------------------------------------


def read_tables(path: str | Path) -> Tables:
    """Read the tables of a portfolio: a directory of ``NAME.parquet`` or ``NAME.csv`` files.

    *path* may also be one of those files: its siblings are the other tables. Tables missing
    are empty, except ``accounts``. Raise `DataError` (with the file, row and column of a bad
    value); only `ArcollectError`s escape.
    """
    p = Path(path)
    directory = p if p.is_dir() else p.parent
    if not p.exists():
        raise DataError.at(str(p), "no such file or directory")
    if not p.is_dir() and (p.stem not in SCHEMAS or p.suffix not in (".parquet", ".csv")):
        raise DataError.at(
            str(p),
            "expected a directory of tables or one of its files: "
            + ", ".join(f"{name}.parquet" for name in TABLES)
            + " (or .csv)",
        )
    found: dict[str, object] = {}
    sources: dict[str, str] = {}
    for name in TABLES:
        for suffix in (".parquet", ".csv"):
            file = directory / f"{name}{suffix}"
            if not file.is_file():
                continue
            if name in found:
                raise DataError.at(
                    str(file), f"two files for the {name} table: {sources[name]} and {file.name}"
                )
            sources[name] = file.name
            try:
                if suffix == ".parquet":
                    found[name] = pl.read_parquet(file)
                else:
                    found[name] = pl.read_csv(file, infer_schema=False)
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise DataError.at(file.name, f"cannot read the table: {exc}") from None
    if "accounts" not in found:
        raise DataError.at(
            str(directory / "accounts.parquet"),
            "missing the accounts table (accounts.parquet or accounts.csv)",
        )
    try:
        return Tables.named(found, sources)
    except DataError as exc:
        raise exc.with_source(str(directory)) from None
