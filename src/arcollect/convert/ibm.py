"""The adapter for CSV files of the IBM accounts-receivable sample (see `IBM_CSV_COLUMNS`)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any, Final

from arcollect.convert.documents import MAX_BYTES, capped, check_size, read_text
from arcollect.convert.hooks import _FieldError
from arcollect.domain.account import Account
from arcollect.domain.money import Money
from arcollect.domain.records import Dispute, Invoice, Payment
from arcollect.errors import ArcollectError, DataError, Problem

__all__ = ["IBM_CSV_COLUMNS", "parse_ibm_csv", "read_ibm_csv"]


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
    text: str, *, source: str = "<string>", currency: str = "USD", max_bytes: int = MAX_BYTES
) -> tuple[Account, ...]:
    """Load accounts from CSV text of the IBM accounts-receivable shape (see `IBM_CSV_COLUMNS`).

    Each row is one invoice, settled in full on ``SettledDate`` by one payment applied to it.
    ``Disputed=Yes`` adds a dispute on the invoice, opened on its due date (or its settlement
    date, if earlier) and resolved on its settlement date. ``PaperlessBill`` becomes the invoice
    tag ``paper`` or ``electronic``. An account's terms are its most common invoice term (the
    shorter one on a tie). Accounts come sorted by id; amounts are in *currency*. Text of
    more than *max_bytes* UTF-8 bytes (16 MiB by default) is refused at once.
    """
    check_size(text, source, max_bytes)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse_rows(reader, source, currency)
    except csv.Error as exc:
        where = f"line {reader.line_num}"
        raise DataError([Problem(where, f"not valid CSV: {exc}")], source) from None


def _parse_rows(reader: Iterator[list[str]], source: str, currency: str) -> tuple[Account, ...]:
    """Turn the rows of an IBM-shape CSV into accounts, collecting every problem of the file.

    Long for a reason: one pass over the rows that checks each column in place, so that each
    problem names its line and column, and a file is reported whole.
    """
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
        raise capped(problems, source)

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


def read_ibm_csv(
    path: str | Path, *, currency: str = "USD", max_bytes: int = MAX_BYTES
) -> tuple[Account, ...]:
    """Read a CSV file of the IBM accounts-receivable shape; see `parse_ibm_csv`."""
    p = Path(path)
    return parse_ibm_csv(
        read_text(p, max_bytes), source=str(p), currency=currency, max_bytes=max_bytes
    )
