"""arcollect.frame: portfolios as tables, and plans from them identical to the row engine's."""

from __future__ import annotations

import decimal
import pickle
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect import Account, DataError, Invoice, Money, Payment, Policy, parse_ibm_csv
from arcollect.data import demo_policy_text, ibm_csv_text
from arcollect.domain import currency_exponent
from arcollect.policy import load_policy, parse_policy
from arcollect.testing import account, activity, contact, dispute, invoice, payment, promise, snooze
from commands import run
from strategies import accounts

pl = pytest.importorskip("polars")

from arcollect import frame  # noqa: E402 - needs polars
from arcollect.domain.money import MONEY_CONTEXT  # noqa: E402 - after the skip
from arcollect.facts import facts  # noqa: E402 - after the skip
from arcollect.frame import Tables, read_tables  # noqa: E402 - needs polars
from arcollect.frame._build import fast_accounts, minor_units  # noqa: E402 - needs polars
from arcollect.frame._plan import _Work  # noqa: E402 - needs polars

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"

#: A policy with most of the language: sequences, per-invoice and repeating steps, required
#: steps, at most every, after issue, to all, cc, channel rules with reachability, assign rules,
#: an aggregate in the score, capacity, and an optional fact that can fail to evaluate.
WIDE = """\
policy "Wide" version 1
  currency EUR
  calendar weekdays, holidays 2026-12-25

let big = overdue >= 2,000 EUR

segment vip when account.tags contains "vip" or account.credit_limit >= 500,000 EUR

timeline careful for segment vip, in sequence
  on paid release hold
  step notice   2 days past due  email "notice" to billing cc decision_maker
  step talk     12 days past due call to all decision_maker
  step stop     40 days past due hold shipments

timeline main for all
  min gap 2 days between contacts
  restart when overdue == 0 EUR
  step early    5 days before due email "early" unless overdue < 50 EUR
  step inv      3 days past due per invoice email "invoice_reminder" when invoice.open >= 20 EUR
  step remind 7 days past due email "remind" every 5 days until 30 days past due, at most 3 times
  step letter1  25 days past due  letter "demand" required
  step call1    35 days past due  call to executive, at most every 30 days
  step nudge    40 days after issue sms "nudge"
  step refer    80 days past due  refer agency when big and days_since_contact >= 1

channel
  fall back when unreachable
  call when overdue >= 8,000 EUR or last_contact.outcome == irate
  sms when account.country == "DE"
  email otherwise

assign "Ann" when overdue >= 5,000 EUR
assign account.collector otherwise

priority
  score overdue / 100 EUR + days_past_due * 3 - days_since_contact
      + count(invoices where days_past_due > 30)
  tiers by share of overdue: A 70%, B 20%, C 10%
  capacity 3 calls per day
  ties by days_past_due desc, account.id
"""


def _doc_policies() -> list[str]:
    """Return the complete EUR policies of the language reference (no charges)."""
    text = (DOCS / "language.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```arc\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [b for b in blocks if b.lstrip().startswith("policy ")]


POLICIES: dict[str, Policy] = {
    "standard.arc": load_policy(ROOT / "rules" / "standard.arc"),
    "key_accounts.arc": load_policy(ROOT / "rules" / "key_accounts.arc"),
    "standard.yaml": load_policy(ROOT / "rules" / "standard.yaml"),
    "wide": parse_policy(WIDE, name="wide.arc"),
    **{
        f"language.md[{k}]": parse_policy(src, name="language.md")
        for k, src in enumerate(_doc_policies())
    },
}
PATHS = ("vectorised", "replayed", "fallback")
AS_OFS = st.sampled_from([date(2026, 3, 2), date(2026, 6, 1), date(2026, 11, 23), date(2027, 5, 3)])


# -- portfolios: plain accounts (vectorised) and complex ones (the row engine's) -------------------


@st.composite
def plain_accounts(draw: st.DrawFn, currency: str = "EUR") -> Account:
    """Draw an account the columnar engine vectorises: no promise, dispute, snooze or credit note,
    and payments that each name their invoices and never pay more than they are owed."""
    acct = draw(accounts(max_invoices=5, currency=currency))
    invoices = [i for i in acct.invoices if not i.is_credit_note]
    exp = currency_exponent(currency)
    pays: list[Payment] = []
    rest = list(invoices)
    while rest:
        if not draw(st.booleans()):
            break
        inv = rest.pop(0)
        units = int(inv.amount.amount.scaleb(exp))
        two = draw(st.booleans())
        if rest and two:  # one remittance for two invoices, all or part of it
            other = rest.pop(0)
            total = units + int(other.amount.amount.scaleb(exp))
            paid = draw(st.integers(1, total))
            on = inv.due + timedelta(days=draw(st.integers(-20, 60)))
            pays.append(
                Payment(
                    on,
                    Money(Decimal(paid).scaleb(-exp), currency),
                    applies_to=(inv.number, other.number),
                )
            )
            continue
        left = units
        for _ in range(draw(st.integers(1, 3))):  # one invoice paid in parts, never above it
            if left <= 0:
                break
            part = draw(st.integers(1, left))
            left -= part
            on = inv.due + timedelta(days=draw(st.integers(-20, 90)))
            pays.append(
                Payment(on, Money(Decimal(part).scaleb(-exp), currency), applies_to=(inv.number,))
            )
    acts = [a for a in acct.activities if a.invoice is None]
    return attrs.evolve(
        acct,
        invoices=invoices,
        payments=pays,
        promises=(),
        disputes=(),
        activities=acts,
        contacts=[*acct.contacts, *draw(st.lists(_named_contacts, max_size=2))],
    )


_named_contacts = st.builds(
    contact,
    st.sampled_from(["Ana", "Ben", "Cora"]),
    st.sampled_from(["billing", "decision_maker", "executive", "accounts_payable"]),
    phone=st.none() | st.just("+49 30 1"),
    email=st.none() | st.just("a@example.com"),
)


@st.composite
def complex_accounts(draw: st.DrawFn) -> Account:
    """Draw an account the columnar engine leaves to the row engine (see `frame.split`)."""
    acct = draw(plain_accounts())
    kind = draw(st.sampled_from(["promise", "dispute", "snooze", "credit", "cash", "any"]))
    first = acct.invoices[0].number if acct.invoices else None
    if kind == "credit" and first is not None:
        credit = Invoice(
            "CN-9", date(2026, 1, 5), date(2026, 1, 5), Money(-5, "EUR"), credits=first
        )
        return attrs.evolve(acct, invoices=[*acct.invoices, credit])
    if kind == "cash":  # unapplied cash, dated before every plan date drawn
        return attrs.evolve(acct, payments=[*acct.payments, payment("10 EUR", on="2026-01-02")])
    if kind == "promise":
        made = promise("100 EUR", due="2026-04-01", made="2026-03-20")
        return attrs.evolve(acct, promises=[made])
    if kind == "dispute":
        return attrs.evolve(acct, disputes=[dispute(opened="2026-02-01")])
    if kind == "snooze":
        return attrs.evolve(acct, snoozes=[snooze("2026-07-01")])
    return draw(accounts(max_invoices=5, currency="EUR"))


def _unique(accts: list[Account]) -> list[Account]:
    seen: dict[str, Account] = {}
    for a in accts:
        seen.setdefault(a.id, a)
    return list(seen.values())


def _path(acct: Account, as_of: date) -> str:
    """Return the path `frame.split` must put *acct* on, on *as_of*."""
    numbers = {i.number for i in acct.invoices if i.issued <= as_of}
    named = [n for p in acct.payments if p.date <= as_of for n in p.applies_to]
    if acct.snoozes:
        return "fallback"
    paid = [p for p in acct.payments if p.date <= as_of]
    amount = {i.number: i.amount.amount for i in acct.invoices}
    times = {n: named.count(n) for n in named}
    several = [p for p in paid if len(p.applies_to) > 1]
    single = {n: sum(p.amount.amount for p in paid if p.applies_to == (n,)) for n in times}
    if (
        any(i.is_credit_note for i in acct.invoices)
        or any(not p.applies_to for p in paid)
        or any(n not in numbers for n in named)
        or any(p.amount.amount > sum(amount[n] for n in p.applies_to) for p in several)
        or any(times[n] > 1 for p in several for n in p.applies_to)
        or any(single[n] > amount[n] for n in times)
    ):
        return "replayed"  # paid otherwise than simply: named invoices, never above their amount
    return "vectorised"


def assert_same_plan(policy: Policy, accts: list[Account], as_of: date) -> None:
    """Assert the columnar plan of *accts* is the row engine's: JSON and every explanation."""
    expected = policy.plan(accts, as_of=as_of)
    got = frame.plan(policy, Tables.from_accounts(accts), as_of)
    assert got.to_json() == expected.to_json()
    for state in expected.states:
        assert got.explain(state.account) == expected.explain(state.account)
    rules = [(a.channel_rule, a.owner_rule) for a in got.actions]
    assert rules == [(a.channel_rule, a.owner_rule) for a in expected.actions]


# -- tables ---------------------------------------------------------------------------------------


class TestTableNames:
    def test_the_names_known_without_polars_are_the_schemas(self) -> None:
        """The table names the command line knows without polars are the tables' schemas, in
        their order."""
        from arcollect._table_names import TABLE_NAMES  # noqa: PLC0415 - the one test of it
        from arcollect.frame._tables import SCHEMAS  # noqa: PLC0415 - the one test of it

        assert tuple(SCHEMAS) == TABLE_NAMES == frame.TABLES


class TestRoundTrip:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(accounts(max_invoices=4), max_size=4).map(_unique))
    def test_accounts_round_trip(self, accts: list[Account]) -> None:
        """Accounts to tables and back are the same accounts, records in the same order."""
        assert Tables.from_accounts(accts).to_accounts() == tuple(accts)

    @settings(
        max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.lists(accounts(max_invoices=4), min_size=1, max_size=4).map(_unique))
    def test_parquet_round_trip(self, tmp_path: Path, accts: list[Account]) -> None:
        """Tables written as Parquet files and read back give the same accounts."""
        Tables.from_accounts(accts).write(tmp_path, format="parquet")
        assert read_tables(tmp_path).to_accounts() == tuple(accts)

    @settings(
        max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(st.lists(accounts(max_invoices=4), min_size=1, max_size=4).map(_unique))
    def test_csv_round_trip(self, tmp_path: Path, accts: list[Account]) -> None:
        """Tables written as CSV (lists as JSON arrays) and read back give the same accounts."""
        Tables.from_accounts(accts).write(tmp_path, format="csv")
        assert read_tables(tmp_path / "accounts.csv").to_accounts() == tuple(accts)

    def test_pandas_and_arrow_tables(self) -> None:
        """Pandas DataFrames and pyarrow tables make the same tables as polars DataFrames."""
        pytest.importorskip("pandas")
        pa = pytest.importorskip("pyarrow")
        accts = [account(invoice("120.50 EUR", due="2026-10-01"), contact("Ana", "billing"))]
        tables = Tables.from_accounts(accts)
        from_pandas = Tables.of(**{n: f.to_pandas() for n, f in tables.frames.items()})
        from_arrow = Tables.of(**{n: f.to_arrow() for n, f in tables.frames.items()})
        assert isinstance(tables.invoices.to_arrow(), pa.Table)
        assert from_pandas.to_accounts() == tuple(accts)
        assert from_arrow.to_accounts() == tuple(accts)

    def test_missing_tables_are_empty(self) -> None:
        """Only the accounts table is needed; the others default to no records."""
        accounts_only = pl.DataFrame({"account_id": ["C-1"], "currency": ["EUR"]})
        assert Tables.of(accounts=accounts_only).to_accounts() == (Account("C-1", "EUR"),)


def _tables_of(**frames: object) -> Tables:
    base: dict[str, object] = {
        "accounts": pl.DataFrame({"account_id": ["C-1"], "currency": ["EUR"]})
    }
    return Tables.of(**{**base, **frames})


_INVOICE = {
    "account_id": ["C-1", "C-1"],
    "number": ["I-1", "I-2"],
    "issued": [date(2026, 9, 1), date(2026, 9, 1)],
    "due": [date(2026, 10, 1), date(2026, 8, 1)],
    "amount": ["100.00", "50"],
    "currency": ["EUR", "EUR"],
}


class TestErrors:
    def test_missing_column(self) -> None:
        """A required column left out is named with its table."""
        with pytest.raises(DataError) as exc:
            _tables_of(invoices=pl.DataFrame({k: v for k, v in _INVOICE.items() if k != "due"}))
        assert str(exc.value) == "invoices.due: missing required column 'due'"

    def test_unknown_column(self) -> None:
        """A misspelt column is refused with the column it may mean."""
        data = {**_INVOICE, "amout": ["1", "2"]}
        with pytest.raises(DataError) as exc:
            _tables_of(invoices=pl.DataFrame(data))
        assert str(exc.value).startswith(
            "invoices.amout: unknown column 'amout'; did you mean 'amount'?"
        )

    def test_unknown_table(self) -> None:
        """A misspelt table is refused with the table it may mean."""
        with pytest.raises(DataError) as exc:
            _tables_of(invoice=pl.DataFrame(_INVOICE))
        assert str(exc.value) == (
            "invoice: unknown table 'invoice'; did you mean 'invoices'? (tables: accounts, "
            "contacts, invoices, payments, promises, disputes, activities, snoozes)"
        )

    def test_float_money_is_refused(self) -> None:
        """An amount column of floats is refused: money is exact."""
        with pytest.raises(DataError) as exc:
            _tables_of(invoices=pl.DataFrame({**_INVOICE, "amount": [100.0, 50.0]}))
        assert str(exc.value) == "invoices.amount: expected a column of text (String), got Float64"

    def test_bad_date_text_names_the_row(self) -> None:
        """A date column read as text names the row of the first value that is not a date."""
        data = {**_INVOICE, "due": ["2026-10-01", "2026-02-31"]}
        with pytest.raises(DataError) as exc:
            _tables_of(invoices=pl.DataFrame(data))
        assert (
            str(exc.value)
            == "invoices[1].due: expected a date such as 2026-11-23, got '2026-02-31'"
        )

    def test_bad_record_names_table_row_and_column(self) -> None:
        """A record the domain refuses (due before issue) is located at its table, row, column."""
        tables = _tables_of(invoices=pl.DataFrame(_INVOICE))
        message = "invoices[1].due: due date 2026-08-01 is before the issue date 2026-09-01"
        with pytest.raises(DataError) as exc:
            tables.to_accounts()
        assert str(exc.value) == message
        with pytest.raises(DataError) as exc:
            frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert str(exc.value) == message

    def test_bad_amount_is_located_on_both_paths(self) -> None:
        """An amount that is not a number is located, whether read back or planned."""
        tables = _tables_of(
            invoices=pl.DataFrame(
                {**_INVOICE, "due": [date(2026, 10, 1)] * 2, "amount": ["1x", "5"]}
            )
        )
        message = "invoices[0].amount: amount must be a number, got '1x'"
        with pytest.raises(DataError) as exc:
            frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert str(exc.value) == message

    def test_rows_of_no_account(self) -> None:
        """A row whose account is not in the accounts table is refused, on both paths."""
        data = {**_INVOICE, "account_id": ["C-1", "C-2"], "due": [date(2026, 10, 1)] * 2}
        tables = _tables_of(invoices=pl.DataFrame(data))
        message = "invoices[1].account_id: no account 'C-2' in the accounts table"
        with pytest.raises(DataError) as exc:
            tables.to_accounts()
        assert str(exc.value) == message
        with pytest.raises(DataError) as exc:
            frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert str(exc.value) == message

    def test_duplicate_account(self) -> None:
        """An account id twice in the accounts table is refused, naming both rows."""
        tables = Tables.of(
            accounts=pl.DataFrame({"account_id": ["C-1", "C-1"], "currency": ["EUR"] * 2})
        )
        with pytest.raises(DataError) as exc:
            frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert str(exc.value) == "accounts[1].account_id: duplicate account 'C-1' (also row 0)"

    def test_csv_error_names_the_file(self, tmp_path: Path) -> None:
        """A bad value in a CSV file is reported with the directory and the file's row."""
        Tables.from_accounts([account(invoice("10 EUR", due="2026-10-01"))]).write(
            tmp_path, format="csv"
        )
        path = tmp_path / "invoices.csv"
        path.write_text(
            path.read_text(encoding="utf-8").replace("2026-10-01", "01/10/2026"), encoding="utf-8"
        )
        with pytest.raises(DataError) as exc:
            read_tables(tmp_path)
        assert str(exc.value) == (
            f"{tmp_path}: 1 problem\n"
            "  invoices.csv[0].due: expected a date such as 2026-11-23, got '01/10/2026'"
        )

    def test_a_list_cell_nested_past_the_decoders_depth(self, tmp_path: Path) -> None:
        """A list cell nested deeper than JSON can decode is refused like any other bad cell.

        Found by the tables fuzz harness: it escaped as a RecursionError.
        """
        Tables.from_accounts([account(invoice("10 EUR", due="2026-10-01"))]).write(
            tmp_path, format="csv"
        )
        path = tmp_path / "invoices.csv"
        deep = "[" * 100_000 + "]" * 100_000
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[1] = lines[1].rsplit(",", 1)[0] + "," + deep
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with pytest.raises(DataError) as exc:
            read_tables(tmp_path)
        assert str(exc.value).startswith(
            f"{tmp_path}: 1 problem\n  invoices.csv[0].tags: expected a JSON array of text such "
            'as ["INV-1", "INV-2"], got '
        )

    def test_not_a_table_file(self, tmp_path: Path) -> None:
        """A file that is not one of the tables is refused, naming the files expected."""
        path = tmp_path / "portfolio.parquet"
        path.write_bytes(b"")
        with pytest.raises(DataError) as exc:
            read_tables(path)
        assert str(exc.value) == (
            f"{path}: expected a directory of tables or one of its files: accounts.parquet, "
            "contacts.parquet, invoices.parquet, payments.parquet, promises.parquet, "
            "disputes.parquet, activities.parquet, snoozes.parquet (or .csv)"
        )

    def test_no_accounts_table(self, tmp_path: Path) -> None:
        """A directory without an accounts table is refused, saying which file is missing."""
        with pytest.raises(DataError) as exc:
            read_tables(tmp_path)
        assert str(exc.value) == (
            f"{tmp_path / 'accounts.parquet'}: missing the accounts table "
            "(accounts.parquet or accounts.csv)"
        )


def _portfolio() -> Tables:
    """Return the tables of two accounts that have a record of every kind."""
    first = account(
        contact("Ana", "billing"),
        invoice("100.00 EUR", due="2026-10-01", number="I-1"),
        invoice("50 EUR", due="2026-11-01", number="I-2"),
        payment("30 EUR", on="2026-10-05", to=["I-1"]),
        promise("40 EUR", due="2026-12-01", made="2026-11-20"),
        dispute("I-2", opened="2026-11-02"),
        activity("2026-11-10", "call", outcome="irate", invoice="I-1"),
        id="C-1",
        locale="de_DE",
        terms=30,
        tags={"vip"},
        risk=Decimal("0.25"),
        credit_limit=Money(5000, "EUR"),
    )
    second = account(
        invoice("70 EUR", due="2026-10-15", number="J-1"), snooze("2027-01-01", "J-1"), id="C-2"
    )
    return Tables.from_accounts([first, second])


def _mutated(table: str, column: str, value: object) -> Tables:
    """Return `_portfolio` with *column* of the first row of *table* set to *value*."""
    tables = _portfolio()
    frames = tables.frames
    rows = frames[table].to_dicts()
    rows[0][column] = value
    frames[table] = pl.DataFrame(rows, schema=frames[table].schema)
    return Tables.of(**frames)


#: Values the records refuse, one cell at a time: (table, column, value).
REFUSED = [
    ("accounts", "currency", "EUX"),
    ("accounts", "locale", "xx_QQ"),
    ("accounts", "terms", -1),
    ("accounts", "tags", ["vip", None]),
    ("accounts", "risk", "high"),
    ("accounts", "risk", "NaN"),
    ("accounts", "credit_limit", "5,00"),
    ("accounts", "collector_name", " "),
    ("contacts", "name", ""),
    ("contacts", "roles", ["Bad Role"]),
    ("contacts", "preferred_channel", "pigeon"),
    ("invoices", "number", " "),
    ("invoices", "amount", "0"),
    ("invoices", "amount", "1x"),
    ("invoices", "currency", "USD"),
    ("invoices", "account", "C-9"),
    ("invoices", "number", "I-2"),
    ("invoices", "due", date(2026, 1, 1)),
    ("invoices", "credits", "I-2"),
    ("invoices", "tags", [None]),
    ("payments", "amount", "-5"),
    ("payments", "currency", "USD"),
    ("payments", "applies_to", ["I-9"]),
    ("payments", "applies_to", [None]),
    ("promises", "currency", "USD"),
    ("promises", "due", date(2026, 1, 1)),
    ("promises", "installment_amounts", ["40"]),
    ("promises", "grace_days", -2),
    ("disputes", "invoices", ["I-9"]),
    ("disputes", "amount", "5"),
    ("activities", "channel", "pigeon"),
    ("activities", "outcome", "meh"),
    ("activities", "invoice", "I-9"),
    ("snoozes", "invoices", ["J-9"]),
    ("snoozes", "since", date(2027, 2, 1)),
]


class TestFastRecords:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(accounts(max_invoices=4), max_size=4).map(_unique))
    def test_well_formed_tables_take_the_fast_path(self, accts: list[Account]) -> None:
        """Tables of valid records are built straight from the columns, every account, and the
        records equal those the detailed path builds."""
        tables = Tables.from_accounts(accts)
        fast = fast_accounts(tables, None)
        assert fast == list(accts)
        assert fast == tables._detailed(None)

    @pytest.mark.parametrize(("table", "column", "value"), REFUSED)
    def test_refused_values_get_the_detailed_error(
        self, table: str, column: str, value: object
    ) -> None:
        """A value the records refuse sends its account to the detailed path: `to_accounts` and
        `frame.plan` raise exactly the detailed path's located error, and the other account
        is still built fast."""
        tables = _mutated(table, column, value)
        with pytest.raises(DataError) as detailed:
            tables._detailed(None)
        with pytest.raises(DataError) as fast:
            tables.to_accounts()
        with pytest.raises(DataError) as planned:
            frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert str(fast.value) == str(detailed.value)
        assert str(planned.value) == str(detailed.value)
        built = fast_accounts(tables, None)
        assert built is not None
        assert "C-2" in [a.id for a in built if not isinstance(a, str)] or table == "snoozes"

    def test_digits_of_another_script_are_read_by_money_not_raised(self) -> None:
        """An amount in Arabic-Indic digits (which regular expressions call digits) is read by
        the detailed path as `Money` reads it; polars' failed cast escaped before."""
        tables = _mutated("invoices", "amount", "\u0663")  # ARABIC-INDIC DIGIT THREE
        assert tables.to_accounts()[0].invoices[0].amount == Money("\u0663", "EUR")
        plan = frame.plan(POLICIES["standard.arc"], tables, date(2026, 11, 23))
        assert (
            plan.to_json()
            == POLICIES["standard.arc"]
            .plan(tables.to_accounts(), as_of=date(2026, 11, 23))
            .to_json()
        )

    def test_amounts_written_otherwise_are_read_by_money(self) -> None:
        """An amount written otherwise than plain digits is not read fast: its account is read
        by the detailed path, as `Money` reads it."""
        tables = _mutated("invoices", "amount", " 1E2 ")
        assert fast_accounts(tables, None) == ["C-1", tables._detailed({"C-2"})[0]]
        assert tables.to_accounts()[0].invoices[0].amount == Money("100.00", "EUR")


class TestMinorUnits:
    @settings(max_examples=300, deadline=None)
    @given(
        st.lists(
            st.tuples(
                st.one_of(
                    st.from_regex(r"\A-?[0-9]{1,17}(\.[0-9]{0,6})?\Z"),
                    st.text("0123456789.-+ e", max_size=8),
                ),
                st.sampled_from([0, 2, 3, 4]),
            ),
            min_size=1,
            max_size=30,
        )
    )
    def test_amounts_are_read_exactly_or_not_at_all(self, rows: list[tuple[str, int]]) -> None:
        """An amount text is its exact value in minor units: digits, at most 15 before the point
        and no more decimals than the exponent, the whole at most 18 digits (Int64 never
        overflows); anything else is null, for the detailed path to read."""
        texts, exps = zip(*rows, strict=True)
        got = (
            pl.DataFrame({"a": texts, "e": exps}, schema={"a": pl.String, "e": pl.Int64})
            .select(minor_units(pl.col("a"), pl.col("e")))
            .to_series()
            .to_list()
        )
        for text, exp, units in zip(texts, exps, got, strict=True):
            m = re.fullmatch(r"(-?)([0-9]{1,15})(?:\.([0-9]+))?", text)
            decimals = len(m.group(3) or "") if m else 0
            digits = len(m.group(2)) + exp if m else 0
            if m is None or decimals > exp or digits > 18:  # the Int64 bound
                assert units is None, text
            else:
                assert units == int(Decimal(text).scaleb(exp)), text


# -- plans -----------------------------------------------------------------------------------------


class TestSamePlan:
    @pytest.mark.parametrize("name", sorted(POLICIES))
    @settings(max_examples=25, deadline=None)
    @given(
        st.lists(plain_accounts(), max_size=5).map(_unique),
        st.lists(complex_accounts(), max_size=3).map(_unique),
        AS_OFS,
    )
    def test_columnar_plan_is_the_row_plan(
        self, name: str, plain: list[Account], complex_: list[Account], as_of: date
    ) -> None:
        """Over mixed portfolios, the columnar plan is the row engine's, byte for byte."""
        accts = _unique(plain + complex_)
        assert_same_plan(POLICIES[name], accts, as_of)

    @settings(max_examples=40, deadline=None)
    @given(
        st.lists(plain_accounts(), max_size=6).map(_unique),
        st.lists(complex_accounts(), max_size=3).map(_unique),
        AS_OFS,
    )
    def test_exactly_the_complex_accounts_fall_back(
        self, plain: list[Account], complex_: list[Account], as_of: date
    ) -> None:
        """Plain accounts (promises and disputes included) are vectorised, those with credit
        notes or unapplied cash replayed, and exactly those with snoozes fall back."""
        accts = _unique(plain + complex_)
        got = frame.split(POLICIES["standard.arc"], Tables.from_accounts(accts), as_of)
        paths = {a.id: _path(a, as_of) for a in accts}
        vectorised, replayed, fallback = (
            tuple(sorted(a for a, p in paths.items() if p == path)) for path in PATHS
        )
        assert got == frame.Split(vectorised, replayed, fallback)

    def test_plain_portfolio_does_not_fall_back(self) -> None:
        """A portfolio of plain accounts has nothing planned by the row engine."""
        accts = [
            account(invoice("900 EUR", due="2026-10-01"), contact("Ana", "billing"), id="C-1"),
            account(
                invoice("40,000 EUR", due="2026-09-01", number="I-1"),
                invoice("300 EUR", due="2026-11-01", number="I-2"),
                payment("250 EUR", on="2026-11-02", to=["I-2"]),
                activity("2026-11-20", "call", outcome="irate"),
                id="C-2",
            ),
        ]
        tables = Tables.from_accounts(accts)
        as_of = date(2026, 11, 23)
        assert frame.split(POLICIES["standard.arc"], tables, as_of) == frame.Split(
            ("C-1", "C-2"), (), ()
        )
        assert_same_plan(POLICIES["standard.arc"], accts, as_of)

    def test_policy_with_charges_falls_back_whole(self) -> None:
        """Under a policy with charges every account goes to the row engine, and says why."""
        text = (DOCS / "charges.md").read_text(encoding="utf-8")
        source = next(
            b
            for b in re.findall(r"^```arc\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
            if b.startswith("policy ")
        )
        policy = parse_policy(source, name="charges.md")
        accts = [account(invoice("900 EUR", due="2026-10-01"))]
        got = frame.split(policy, Tables.from_accounts(accts), date(2026, 11, 23))
        assert got == frame.Split(
            (),
            (),
            ("C-1",),
            "the policy has charges (interest and fees need the account's records)",
        )

    def test_ibm_sample(self) -> None:
        """The bundled IBM sample plans the same from tables as from records."""
        policy = parse_policy(demo_policy_text(), name="standard-usd.arc")
        accts = list(parse_ibm_csv(ibm_csv_text(), currency="USD"))
        for as_of in (date(2012, 3, 16), date(2013, 6, 3)):
            assert_same_plan(policy, accts, as_of)
        assert frame.split(policy, Tables.from_accounts(accts), date(2012, 3, 16)).fallback == ()

    def test_partitions_combine(self) -> None:
        """Partial plans of two tables of accounts combine into the plan of the whole."""
        policy = POLICIES["standard.arc"]
        accts = list(parse_ibm_csv(ibm_csv_text(), currency="EUR"))
        as_of = date(2012, 3, 16)
        halves = [frame.partition(policy, Tables.from_accounts(accts[k::2]), as_of) for k in (0, 1)]
        shipped = [pickle.loads(pickle.dumps(half)) for half in reversed(halves)]
        assert policy.combine(shipped).to_json() == policy.plan(accts, as_of=as_of).to_json()


class TestFacts:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(plain_accounts(), max_size=4).map(_unique),
        st.lists(complex_accounts(), max_size=4).map(_unique),
        AS_OFS,
    )
    @pytest.mark.parametrize("whole", [False, True])
    def test_facts_are_those_of_arcollect_facts(
        self, whole: bool, plain: list[Account], complex_: list[Account], as_of: date
    ) -> None:
        """The facts built from the tables equal `arcollect.facts` of the records, field by
        field (derived ones too, after the planner let go of the replay), on the vectorised
        and the replayed paths, whether the open invoices are sliced off per account or
        converted whole; the light account is the account without the records the facts
        hold."""
        accts = {a.id: a for a in _unique(plain + complex_)}
        work = _Work(Tables.from_accounts(list(accts.values())), as_of)
        if whole:  # as when many accounts have read their open invoices already
            work.open_items.sliced = work.replay_items.sliced = 0
        with decimal.localcontext(MONEY_CONTEXT):
            built = list(work.facts())
        assert sorted(f.account.id for f in built) == sorted(
            a for a in accts if a not in work.fallback
        )
        for f in built:
            expected = facts(accts[f.account.id], as_of)
            f.forget_replay()  # as the planner does before explanations read the facts
            assert f.as_dict() == expected.as_dict()
            assert f.account == _light(expected.account)


def _light(acct: Account) -> Account:
    """Return *acct* without the records its facts hold (the columnar engine's account)."""
    return attrs.evolve(acct, invoices=(), payments=(), promises=(), disputes=(), activities=())


class TestOptional:
    def test_arcollect_imports_without_polars(self) -> None:
        """Without polars, arcollect and its command line import, and tables get a clear error."""
        code = (
            "import sys; sys.modules['polars'] = None\n"
            "import arcollect, arcollect.cli\n"
            "try:\n"
            "    arcollect.cli._frame()\n"
            "except arcollect.ArcollectError as exc:\n"
            "    print(exc)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, encoding="utf-8", check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == "reading tables needs polars: pip install 'arcollect[frame]'\n"

    def test_importing_the_module_without_polars_says_what_to_install(self) -> None:
        """`import arcollect.frame` without polars raises an ArcollectError, not ImportError."""
        code = (
            "import sys; sys.modules['polars'] = None\n"
            "import arcollect\n"
            "try:\n"
            "    import arcollect.frame\n"
            "except arcollect.ArcollectError as exc:\n"
            "    print(type(exc).__name__, exc)\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, encoding="utf-8", check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == (
            "ArcollectError reading tables needs polars: pip install 'arcollect[frame]'\n"
        )


class TestCommandLine:
    def test_plan_reads_parquet_tables(self, tmp_path: Path) -> None:
        """`arcollect plan POLICY DIR` plans a directory of Parquet tables like the portfolio."""
        accts = [account(invoice("900 EUR", due="2026-10-01"), contact("Ana", "billing"))]
        Tables.from_accounts(accts).write(tmp_path / "tables")
        (tmp_path / "p.json").write_text(_json_portfolio(accts), encoding="utf-8")
        policy = str(ROOT / "rules" / "standard.arc")
        args = ("--as-of", "2026-11-23", "--format", "json")
        tables = run("plan", policy, str(tmp_path / "tables"), *args)
        records = run("plan", policy, str(tmp_path / "p.json"), *args)
        assert tables.returncode == 0, tables.stderr
        assert tables.stdout == records.stdout

    def test_plan_reads_a_csv_table_set(self, tmp_path: Path) -> None:
        """`arcollect plan POLICY accounts.csv` reads the CSV tables beside it."""
        accts = [account(invoice("900 EUR", due="2026-10-01"))]
        Tables.from_accounts(accts).write(tmp_path, format="csv")
        policy = str(ROOT / "rules" / "standard.arc")
        got = run("plan", policy, str(tmp_path / "accounts.csv"), "--as-of", "2026-11-23")
        assert got.returncode == 0, got.stderr
        assert "reminder" in got.stdout or "first_call" in got.stdout or "demand" in got.stdout

    def test_bad_table_is_reported(self, tmp_path: Path) -> None:
        """A bad table is reported with its location, without a traceback."""
        Tables.from_accounts([account(invoice("10 EUR", due="2026-10-01"))]).write(tmp_path)
        pl.read_parquet(tmp_path / "invoices.parquet").drop("due").write_parquet(
            tmp_path / "invoices.parquet"
        )
        got = run(
            "plan", str(ROOT / "rules" / "standard.arc"), str(tmp_path), "--as-of", "2026-11-23"
        )
        assert got.returncode != 0
        assert "invoices.parquet.due: missing required column 'due'" in got.stderr
        assert "Traceback" not in got.stderr


def _json_portfolio(accts: list[Account]) -> str:
    from arcollect import dump_portfolio  # noqa: PLC0415 - only this helper

    return dump_portfolio(accts, format="json")
