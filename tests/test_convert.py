from __future__ import annotations

import contextlib
import json
import os
import textwrap
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import (
    Account,
    Activity,
    Contact,
    DataError,
    Dispute,
    Invoice,
    Money,
    Payment,
    Promise,
    TooLargeError,
    dump_portfolio,
    parse_ibm_csv,
    parse_portfolio,
    portfolio_from_dict,
    read_ibm_csv,
    read_portfolio,
    structure,
    unstructure,
)
from arcollect._yaml import MAX_DEPTH, load_yaml
from arcollect.convert import documents
from arcollect.domain import Installment
from strategies import accounts, contacts, invoices, money, promises

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "portfolio.yaml"


def problems(text: str, fmt: str = "yaml") -> list[str]:
    """Parse a portfolio expected to be bad; return its problems as 'path: message' lines."""
    with pytest.raises(DataError) as exc:
        parse_portfolio(textwrap.dedent(text), format=fmt, source="p.yaml")
    return [str(p) for p in exc.value.problems]


BASE_ACCOUNT = """
currency: EUR
accounts:
  - id: C-1
    invoices:
      - {number: INV-1, issued: 2026-09-01, due: 2026-10-01, amount: 100.00 EUR}
"""


class TestBadData:
    def test_missing_field(self) -> None:
        """A missing required field is reported at its path."""
        assert problems(
            """
            accounts:
              - id: C-1
                currency: EUR
                invoices:
                  - {number: INV-1, due: 2026-10-01, amount: 100 EUR}
            """
        ) == ["accounts[0].invoices[0].issued: missing required field"]

    def test_wrong_type(self) -> None:
        """A list where a date belongs, and a number where a string belongs."""
        assert problems(
            """
            currency: EUR
            accounts:
              - id: 1001
                invoices:
                  - {number: INV-1, issued: [2026], due: 2026-10-01, amount: 100 EUR}
            """
        ) == [
            "accounts[0].id: expected a string, got 1001 (a number) (quote it: '1001')",
            "accounts[0].invoices[0].issued: expected a date (YYYY-MM-DD), got a list",
        ]

    def test_impossible_date(self) -> None:
        """February 31st is reported with its path, not as a traceback from inside YAML."""
        assert problems(BASE_ACCOUNT.replace("due: 2026-10-01", "due: 2026-02-31")) == [
            "accounts[0].invoices[0].due: expected a date, got '2026-02-31': there is no such day"
        ]

    def test_date_in_another_format(self) -> None:
        """A day-first date is not guessed at."""
        assert problems(BASE_ACCOUNT.replace("due: 2026-10-01", "due: 31/02/2026")) == [
            "accounts[0].invoices[0].due: expected a date (YYYY-MM-DD), got '31/02/2026'"
        ]

    def test_unknown_currency(self) -> None:
        """An unknown currency code is named."""
        assert problems(BASE_ACCOUNT.replace("100.00 EUR", "100.00 EUX")) == [
            (
                "accounts[0].invoices[0].amount: unknown currency 'EUX' in '100.00 EUX': "
                "expected an ISO 4217 code such as 'EUR'"
            )
        ]

    def test_float_where_exactness_is_lost(self) -> None:
        """A Python float too large to hold cents exactly is refused, with the fix."""
        data = {
            "currency": "EUR",
            "accounts": [
                {
                    "id": "C-1",
                    "invoices": [
                        {
                            "number": "INV-1",
                            "issued": "2026-09-01",
                            "due": "2026-10-01",
                            "amount": 12345678901234567.89,
                        }
                    ],
                }
            ],
        }
        with pytest.raises(DataError) as exc:
            portfolio_from_dict(data)
        assert [str(p) for p in exc.value.problems] == [
            (
                "accounts[0].invoices[0].amount: expected an exact amount, "
                "got 1.2345678901234568e+16, a number too large to be read exactly; "
                "write it as a string, e.g. '12345678901234567.89 EUR'"
            )
        ]

    def test_written_numbers_become_plain_decimals(self) -> None:
        """A YAML or JSON risk score is stored as a plain Decimal, not the reader's own type."""
        (acct,) = parse_portfolio("currency: EUR\naccounts:\n  - {id: C-1, risk: 0.50}\n")
        (twin,) = parse_portfolio(
            '{"currency": "EUR", "accounts": [{"id": "C-1", "risk": 0.50}]}', format="json"
        )
        assert (type(acct.risk), type(twin.risk)) == (Decimal, Decimal)
        assert acct.risk == twin.risk == Decimal("0.50")

    def test_yaml_numbers_are_read_as_written(self) -> None:
        """A long YAML number is read exactly, digit for digit, not through a float."""
        (acct,) = parse_portfolio(BASE_ACCOUNT.replace("100.00 EUR", "12345678901234567.89"))
        assert acct.invoices[0].amount == Money("12345678901234567.89", "EUR")

    def test_float_with_too_many_decimals(self) -> None:
        """A YAML amount finer than the minor unit is refused, not rounded."""
        assert problems(BASE_ACCOUNT.replace("100.00 EUR", "100.0051")) == [
            "accounts[0].invoices[0].amount: 100.0051 has more decimals than EUR allows (2)"
        ]

    def test_exact_float_is_accepted(self) -> None:
        """A plain YAML number such as 1234.5 stands for exactly 1234.50."""
        (acct,) = parse_portfolio(BASE_ACCOUNT.replace("100.00 EUR", "1234.5"))
        assert acct.invoices[0].amount == Money("1234.50", "EUR")

    def test_due_before_issued(self) -> None:
        """An invoice due before it was issued is refused."""
        assert problems(BASE_ACCOUNT.replace("due: 2026-10-01", "due: 2026-08-01")) == [
            "accounts[0].invoices[0].due: due date 2026-08-01 is before the issue date 2026-09-01"
        ]

    def test_duplicate_invoice_number(self) -> None:
        """Two invoices with one number are refused, naming the first."""
        text = BASE_ACCOUNT + (
            "      - {number: INV-1, issued: 2026-09-05, due: 2026-10-05, amount: 5.00 EUR}\n"
        )
        assert problems(text) == [
            "accounts[0].invoices[1].number: duplicate invoice number 'INV-1' (also invoices[0])"
        ]

    def test_payment_applied_to_an_unknown_invoice(self) -> None:
        """A payment naming an invoice the account does not have is refused, with a suggestion."""
        text = BASE_ACCOUNT + (
            "    payments:\n      - {date: 2026-10-02, amount: 50 EUR, applies_to: [INV-l]}\n"
        )
        assert problems(text) == [
            "accounts[0].payments[0].applies_to[0]: unknown invoice 'INV-l'; did you mean 'INV-1'?"
        ]

    def test_extra_unknown_field(self) -> None:
        """A misspelt field is an error with a suggestion, not silently ignored."""
        assert problems(BASE_ACCOUNT.replace("number: INV-1", "numbr: INV-1, number: INV-1")) == [
            "accounts[0].invoices[0].numbr: unknown field; did you mean 'number'?"
        ]

    def test_unknown_enum_value(self) -> None:
        """An unknown channel gets the closest known one."""
        text = BASE_ACCOUNT + "    activities:\n      - {date: 2026-10-02, channel: emial}\n"
        assert problems(text) == [
            (
                "accounts[0].activities[0].channel: unknown value 'emial'; did you mean 'email'? "
                "(one of email, letter, sms, call, voicemail, visit, hold_shipments, release_hold, "
                "refer_agency, refer_attorney, review, note)"
            )
        ]

    def test_string_is_not_a_list(self) -> None:
        """`tags: key` is an error: a string is not a list of characters."""
        assert problems(BASE_ACCOUNT.replace("  - id: C-1", "  - id: C-1\n    tags: key")) == [
            "accounts[0].tags: expected a list, got 'key'"
        ]

    def test_currency_mismatch_within_an_account(self) -> None:
        """An amount in another currency than the account's is refused."""
        assert problems(BASE_ACCOUNT.replace("100.00 EUR", "100.00 USD")) == [
            "accounts[0].invoices[0].amount: amount is in USD, but the account is in EUR"
        ]

    def test_all_problems_are_reported(self) -> None:
        """Every problem in a document is reported at once, in document order."""
        text = """
            accounts:
              - id: C-1
                colour: red
                invoices:
                  - {number: INV-1, issued: 2026-09-01, due: 31/02/2026, amount: 1 EUR}
              - id: C-2
                currency: EUR
                terms: thirty
        """
        assert problems(text) == [
            "accounts[0].colour: unknown field; did you mean 'collector'?",
            "accounts[0].currency: missing required field (or a portfolio-wide currency)",
            "accounts[0].invoices[0].due: expected a date (YYYY-MM-DD), got '31/02/2026'",
            "accounts[1].terms: expected a number of days such as '30 days', got 'thirty'",
        ]

    def test_rendered_message_names_the_file(self) -> None:
        """The error message lists every problem under the file name."""
        with pytest.raises(DataError) as exc:
            parse_portfolio("accounts: [{id: C-1}, {currency: EUR}]", source="p.yaml")
        assert str(exc.value) == (
            "p.yaml: 2 problems\n"
            "  accounts[0].currency: missing required field (or a portfolio-wide currency)\n"
            "  accounts[1].id: missing required field"
        )

    def test_duplicate_account_ids(self) -> None:
        """Two accounts with one id are refused."""
        assert problems("currency: EUR\naccounts: [{id: A}, {id: A}]") == [
            "accounts[1].id: duplicate account id 'A' (also accounts[0])"
        ]

    def test_top_level_shape(self) -> None:
        """The document must be a mapping with accounts and nothing unknown."""
        assert problems("- 1") == ["expected a mapping with 'accounts', got a list"]
        assert problems("acounts: []") == [
            "acounts: unknown field; did you mean 'accounts'?",
            "accounts: missing required field",
        ]


AMBIGUOUS = "ambiguous amount '{}': a dot is the decimal point: write {}"


def block_account(amount: str, currency: str = "EUR") -> str:
    """A one-invoice portfolio in block style whose amount is written *amount*."""
    return (
        f"currency: {currency}\n"
        "accounts:\n"
        "  - id: C-1\n"
        "    invoices:\n"
        "      - number: INV-1\n"
        "        issued: 2026-09-01\n"
        "        due: 2026-10-01\n"
        f"        amount: {amount}\n"
    )


def json_account(amount: str, currency: str = "EUR") -> str:
    """The JSON twin of `block_account`: *amount* is JSON text (a number or a string)."""
    invoice = '{"number": "INV-1", "issued": "2026-09-01", "due": "2026-10-01", "amount": %s}'
    return (
        f'{{"currency": "{currency}", "accounts": [{{"id": "C-1", "invoices": ['
        + invoice % amount
        + "]}]}"
    )


class TestAmbiguousAmounts:
    THOUSAND = AMBIGUOUS.format("1.000", "1000, 1,000 or 1,000.00")
    TWELVE_FIVE = AMBIGUOUS.format("12.500", "12500, 12,500 or 12,500.00")
    COMMA = "'2.500,00' looks like a decimal comma: write 2,500.00"

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("1.000", THOUSAND),
            ('"1.000"', THOUSAND),
            ("1.000 EUR", THOUSAND),
            ("12.500 EUR", TWELVE_FIVE),
            ("-12.500", AMBIGUOUS.format("-12.500", "-12500, -12,500 or -12,500.00")),
            ("{amount: 1.000, currency: EUR}", THOUSAND),
            ("2.500,00 EUR", COMMA),
            ("2.500,00", COMMA),
            ("12,5", "'12,5' looks like a decimal comma: write 12.5"),
            ("1,00 EUR", "'1,00' looks like a decimal comma: write 1.00"),
        ],
    )
    def test_yaml(self, amount: str, message: str) -> None:
        """A YAML amount whose grouping is ambiguous is refused at its path, not misread."""
        assert problems(block_account(amount)) == [f"accounts[0].invoices[0].amount: {message}"]

    @pytest.mark.parametrize(
        ("amount", "message"),
        [
            ("1.000", THOUSAND),
            ('"1.000 EUR"', THOUSAND),
            ('"12.500 EUR"', TWELVE_FIVE),
            ('{"amount": 1.000, "currency": "EUR"}', THOUSAND),
            ('{"amount": "1.000", "currency": "EUR"}', THOUSAND),
            ('"2.500,00 EUR"', COMMA),
            ('"12,5"', "'12,5' looks like a decimal comma: write 12.5"),
        ],
    )
    def test_json(self, amount: str, message: str) -> None:
        """A JSON amount is checked as written: the number 1.000 keeps its three zeros."""
        assert problems(json_account(amount), "json") == [
            f"accounts[0].invoices[0].amount: {message}"
        ]

    @pytest.mark.parametrize(
        ("yaml_amount", "json_amount", "expected"),
        [
            ("1.000", "1.000", "1"),
            ('"1.000 KWD"', '"1.000 KWD"', "1"),
            ("12.500", "12.500", "12.5"),
            ("{amount: 1.000}", '{"amount": 1.000}', "1"),
        ],
    )
    def test_three_decimal_currencies_are_exact(
        self, yaml_amount: str, json_amount: str, expected: str
    ) -> None:
        """In KWD, which has three decimals, `1.000` is exactly one dinar: YAML and JSON agree."""
        (acct,) = parse_portfolio(block_account(yaml_amount, "KWD"))
        (twin,) = parse_portfolio(json_account(json_amount, "KWD"), format="json")
        assert acct.invoices[0].amount == twin.invoices[0].amount == Money(expected, "KWD")

    @pytest.mark.parametrize(
        ("amount", "expected"),
        [
            ("1000", "1000"),
            ("1,000", "1000"),
            ("1,000.00", "1000"),
            ("1000.5", "1000.50"),
            ("0.500", "0.50"),
            ("1.5", "1.50"),
            ('"1,234,567.89 EUR"', "1234567.89"),
        ],
    )
    def test_unambiguous_amounts_are_read(self, amount: str, expected: str) -> None:
        """Plain numbers, comma groups and short decimals are read as before."""
        (acct,) = parse_portfolio(block_account(amount))
        assert acct.invoices[0].amount == Money(expected, "EUR")

    def test_ibm_csv(self) -> None:
        """The CSV adapter refuses ambiguous amounts too, naming line and column."""
        row = "391,A-1,4/6/2013,{},1/2/2013,2/1/2013,{},No,1/15/2013,Paper,13,0\n"
        text = HEADER + row.format(1, "1.000") + row.format(2, '"2.500,00"')
        text += row.format(3, "12.500") + row.format(4, '"1,000.50"')
        with pytest.raises(DataError) as exc:
            parse_ibm_csv(text, source="ar.csv")
        assert [str(p) for p in exc.value.problems] == [
            "line 2: InvoiceAmount: " + AMBIGUOUS.format("1.000", "1000, 1,000 or 1,000.00"),
            "line 3: InvoiceAmount: '2.500,00' looks like a decimal comma: write 2,500.00",
            "line 4: InvoiceAmount: " + AMBIGUOUS.format("12.500", "12500, 12,500 or 12,500.00"),
        ]
        (acct,) = parse_ibm_csv(HEADER + row.format(4, '"1,000.50"'))
        assert acct.invoices[0].amount == Money("1000.50", "USD")


MANY_PROBLEMS = """\
currency: EUR
colour: blue
accounts:
  - id: C-1
    locale: xx_XX
    tags: key
    invoices:
      - {number: INV-1, issued: 2026-09-01, due: 2026-31-10, amount: 100 EUR}
      - {number: INV-2, issued: 2026-09-01, due: 2026-10-01, amount: 1.000}
      - {number: INV-3, issued: 2026-09-01, due: 2026-10-01, amount: 50 EUR, colour: red}
      - {number: INV-3, issued: 2026-09-02, due: 2026-10-02, amount: 60 EUR}
      - {number: INV-4, issued: 2026-09-01, due: 2026-10-01, amount: 70 USD}
      - {number: '', issued: 2026-09-01, due: 2026-10-01, amount: 70 EUR}
    payments:
      - {date: 2026-10-05, amount: 100 EUR, applies_to: [INV-1, INV-2, INV-33]}
      - {date: 2026-10-06, amount: 10 EUR, applies_to: INV-3}
    activities:
      - {date: 2026-10-07, channel: emial, invoice: INV-1}
      - {date: 2026-10-08, channel: call, invoice: INV-5}
    disputes:
      - {opened: 2026-10-09, reason: pricing, invoices: [INV-4, INV-2]}
  - id: C-2
    terms: thirty
    contacts:
      - {name: Ann, roles: decision_maker}
  - id: C-1
    invoices:
      - {number: INV-9, issued: 2026-09-01, due: 2026-10-01, amount: 5 EUR}
  - id: C-2
    currency: EUX
"""

REASONS = (
    "pricing_error, wrong_quantity, missing_po, not_delivered, damaged, duplicate_billing, "
    "billing_error, wrong_product, quality, service, other, unspecified"
)
CHANNELS = (
    "email, letter, sms, call, voicemail, visit, hold_shipments, release_hold, refer_agency, "
    "refer_attorney, review, note"
)


class TestOnePass:
    def test_every_problem_of_a_file_at_once(self) -> None:
        """A file with many kinds of problem reports them all in one pass, in document order.

        The account-wide checks run on the records that are fine (at their own indices), a
        reference to an invoice that itself failed (INV-1, INV-2) is not called unknown, and
        duplicate account ids are found although accounts failed.
        """
        assert problems(MANY_PROBLEMS) == [
            "colour: unknown field (expected one of: currency, company, accounts)",
            "accounts[0].tags: expected a list, got 'key'",
            (
                "accounts[0].locale: unknown locale 'xx_XX': "
                "expected a code such as 'en_US' or 'de_DE'"
            ),
            "accounts[0].invoices[0].due: expected a date, got '2026-31-10': there is no such day",
            (
                "accounts[0].invoices[1].amount: ambiguous amount '1.000': a dot is the decimal "
                "point: write 1000, 1,000 or 1,000.00"
            ),
            (
                "accounts[0].invoices[2].colour: unknown field (expected one of: number, issued, "
                "due, amount, account, po_number, delivered, proof_of_delivery, credits, tags)"
            ),
            "accounts[0].invoices[5].number: expected a non-empty string, got ''",
            "accounts[0].payments[1].applies_to: expected a list, got 'INV-3'",
            (
                "accounts[0].disputes[0].reason: unknown value 'pricing'; "
                f"did you mean 'pricing_error'? (one of {REASONS})"
            ),
            (
                "accounts[0].activities[0].channel: unknown value 'emial'; "
                f"did you mean 'email'? (one of {CHANNELS})"
            ),
            "accounts[0].invoices[3].number: duplicate invoice number 'INV-3' (also invoices[2])",
            "accounts[0].invoices[4].amount: amount is in USD, but the account is in EUR",
            (
                "accounts[0].payments[0].applies_to[2]: unknown invoice 'INV-33'; "
                "did you mean 'INV-3'?"
            ),
            ("accounts[0].activities[1].invoice: unknown invoice 'INV-5'; did you mean 'INV-4'?"),
            "accounts[1].terms: expected a number of days such as '30 days', got 'thirty'",
            "accounts[1].contacts[0].roles: expected a list, got 'decision_maker'",
            (
                "accounts[3].currency: unknown currency 'EUX': "
                "expected an ISO 4217 code such as 'EUR'"
            ),
            "accounts[2].id: duplicate account id 'C-1' (also accounts[0])",
            "accounts[3].id: duplicate account id 'C-2' (also accounts[1])",
        ]

    def test_json_reports_the_same_problems(self) -> None:
        """The JSON twin of the file gets the very same list."""
        data = load_yaml(MANY_PROBLEMS, written_numbers=True)
        text = json.dumps(data, default=str).replace('"amount": "1.000"', '"amount": 1.000')
        assert problems(text, "json") == problems(MANY_PROBLEMS)

    def test_a_bad_portfolio_currency_is_reported_once(self) -> None:
        """Accounts relying on an unknown portfolio currency are still checked, without
        repeating the currency's problem for each of them."""
        text = """
            currency: EUX
            accounts:
              - id: C-1
                invoices:
                  - {number: INV-1, issued: 2026-09-01, due: 2026-13-01, amount: 100}
              - id: C-2
                currency: USD
                payments:
                  - {date: 2026-10-01, amount: 5, applies_to: [INV-7]}
        """
        assert problems(text) == [
            "currency: unknown currency 'EUX': expected an ISO 4217 code such as 'EUR'",
            "accounts[0].invoices[0].due: expected a date, got '2026-13-01': there is no such day",
            "accounts[1].payments[0].applies_to[0]: unknown invoice 'INV-7'",
        ]

    def test_a_failed_record_keeps_its_place(self) -> None:
        """Indices of the account-wide checks are the records' own, whatever failed before."""
        text = """
            currency: EUR
            accounts:
              - id: C-1
                payments:
                  - {date: 2026-10-01, amount: -5}
                  - {date: 2026-10-01, amount: 5 USD}
                  - {date: 2026-10-01, amount: 5, applies_to: [NOPE]}
        """
        assert problems(text) == [
            "accounts[0].payments[0].amount: expected an amount above zero, got -5.00 EUR",
            "accounts[0].payments[1].amount: amount is in USD, but the account is in EUR",
            "accounts[0].payments[2].applies_to[0]: unknown invoice 'NOPE'",
        ]


class TestYamlSafety:
    def test_duplicate_keys_are_errors(self) -> None:
        """PyYAML would keep the last of two equal keys; we refuse the document."""
        assert problems("currency: EUR\ncurrency: USD\naccounts: []") == [
            "line 2, column 1: duplicate key 'currency'"
        ]

    def test_python_tags_are_refused(self) -> None:
        """No YAML tag can build a Python object."""
        (msg,) = problems("accounts: !!python/object/apply:os.system ['true']")
        assert msg.startswith("line 1, column 11: could not determine a constructor")

    def test_alias_bomb_is_refused(self) -> None:
        """A billion-laughs document is refused before anything is expanded."""
        lines = ['a0: &a0 ["x", "x"]']
        lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 12)]
        (msg,) = problems("\n".join(lines))
        assert msg.endswith(
            "too many aliases (more than 100); the document looks like an alias bomb and is refused"
        )

    def test_syntax_error_has_a_location(self) -> None:
        """Broken YAML gives line and column."""
        assert problems("accounts: [\n") == [
            "line 2, column 1: expected the node content, but found '<stream end>'"
        ]

    def test_json_errors_have_a_location(self) -> None:
        """Broken JSON gives line and column."""
        assert problems('{"accounts": [}', fmt="json") == ["line 1, column 15: Expecting value"]


class TestRoundTrip:
    @settings(max_examples=60)
    @given(accounts())
    def test_account_dict_round_trip(self, acct: Account) -> None:
        """structure(unstructure(account)) is the identity, through JSON text too."""
        data = unstructure(acct)
        assert structure(data, Account) == acct
        assert structure(json.loads(json.dumps(data)), Account) == acct

    @settings(max_examples=30)
    @given(st.lists(accounts(max_invoices=3), max_size=3, unique_by=lambda a: a.id))
    def test_portfolio_yaml_and_json_round_trip(self, accts: list[Account]) -> None:
        """Dumping a portfolio to YAML or JSON and reading it back is the identity."""
        for fmt in ("yaml", "json"):
            assert parse_portfolio(dump_portfolio(accts, format=fmt), format=fmt) == tuple(accts)

    @given(
        st.one_of(
            invoices("EUR", "INV-9"),
            contacts(),
            promises("JPY"),
            st.builds(Payment, date=st.just(date(2026, 1, 2)), amount=money("KWD", positive=True)),
            st.builds(Dispute, opened=st.just(date(2026, 1, 2))),
            st.builds(Activity, date=st.just(date(2026, 1, 2)), channel=st.just("call")),
        )
    )
    def test_every_record_type_round_trips(self, record: Any) -> None:
        """Each record type survives unstructure then structure unchanged."""
        assert structure(unstructure(record), type(record)) == record

    def test_unstructure_leaves_out_defaults(self) -> None:
        """Plain data is short: defaults are omitted, money and dates are strings."""
        inv = Invoice("I-1", issued=date(2026, 9, 1), due=date(2026, 10, 1), amount=Money(5, "EUR"))
        assert unstructure(inv) == {
            "number": "I-1",
            "issued": "2026-09-01",
            "due": "2026-10-01",
            "amount": "5.00 EUR",
        }

    def test_money_forms(self) -> None:
        """Money may be a string, a bare number with a default currency, or a mapping."""
        assert structure("1,200.50 EUR", Money) == Money("1200.50", "EUR")
        assert structure(12, Money, currency="JPY") == Money(12, "JPY")
        assert structure({"amount": "3.5", "currency": "USD"}, Money) == Money("3.50", "USD")
        with pytest.raises(DataError, match="amount 12 has no currency"):
            structure(12, Money)

    def test_installments(self) -> None:
        """A promise in installments reads from plain data and is checked."""
        with pytest.raises(DataError) as exc:
            structure(
                {
                    "made_on": "2026-11-01",
                    "amount": "100 EUR",
                    "due": "2026-12-01",
                    "installments": [
                        {"due": "2026-11-15", "amount": "40 EUR"},
                        {"due": "2026-12-01", "amount": "50 EUR"},
                    ],
                },
                Promise,
            )
        assert str(exc.value) == (
            "installments: installments add up to 90.00 EUR, not to the promised 100.00 EUR"
        )
        ok = Promise(
            date(2026, 11, 1),
            Money(100, "EUR"),
            date(2026, 12, 1),
            installments=[
                Installment(date(2026, 11, 15), Money(40, "EUR")),
                Installment(date(2026, 12, 1), Money(60, "EUR")),
            ],
        )
        assert structure(unstructure(ok), Promise) == ok


class TestExamplePortfolio:
    def test_reads(self) -> None:
        """The shipped example reads, with per-account currencies and defaults."""
        accts = read_portfolio(EXAMPLE)
        assert [a.id for a in accts] == ["C-1001", "C-1002", "C-1003"]
        assert [a.currency for a in accts] == ["EUR", "GBP", "EUR"]
        assert accts[1].invoices[0].amount == Money("7800.00", "GBP")
        assert accts[0].terms == 30
        assert accts[0].contacts[0] == Contact(
            "Jane Roe",
            title="CFO",
            roles=frozenset({"decision_maker"}),
            phone="+49 30 1234567",
            email="jane@acme.example",
        )

    def test_json_twin(self, tmp_path: Path) -> None:
        """The same portfolio written as JSON reads back equal."""
        accts = read_portfolio(EXAMPLE)
        path = tmp_path / "p.json"
        path.write_text(dump_portfolio(accts, format="json"), encoding="utf-8")
        assert read_portfolio(path) == accts

    def test_unknown_suffix_and_missing_file(self, tmp_path: Path) -> None:
        """Only .yaml, .yml and .json are portfolios; a missing file is a DataError."""
        with pytest.raises(DataError, match=r"expected a \.yaml, \.yml or \.json portfolio file"):
            read_portfolio(tmp_path / "p.txt")
        with pytest.raises(DataError, match="No such file or directory"):
            read_portfolio(tmp_path / "missing.yaml")

    def test_invalid_utf8(self, tmp_path: Path) -> None:
        """A file that is not UTF-8 is reported with the offset of the bad byte."""
        path = tmp_path / "p.yaml"
        path.write_bytes(b"accounts: []\n# caf\xe9\n")
        with pytest.raises(DataError) as exc:
            read_portfolio(path)
        assert [str(p) for p in exc.value.problems] == ["byte 18: the file is not valid UTF-8"]

    def test_portfolio_from_dict(self) -> None:
        """Plain dicts (e.g. from an API) are read the same way."""
        (acct,) = portfolio_from_dict({"currency": "USD", "accounts": [{"id": "X"}]})
        assert acct == Account("X", "USD")


HEADER = (
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
    "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate\n"
)


class TestIbmCsv:
    def test_rows_become_accounts(self) -> None:
        """Rows group into accounts with invoices, settlement payments and disputes."""
        text = HEADER + (
            "391,A-1,4/6/2013,0000611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
            "391,A-1,4/6/2013,0000611366,1/10/2013,2/9/2013,100.00,Yes,3/1/2013,Electronic,50,20\n"
            "406,B-2,3/3/2012,0007900770,1/26/2013,2/25/2013,61.74,No,3/3/2013,Electronic,36,6\n"
        )
        a, b = parse_ibm_csv(text)
        assert (a.id, a.currency, a.country, a.terms) == ("A-1", "USD", "391", 30)
        assert [i.number for i in a.invoices] == ["0000611365", "0000611366"]
        assert a.invoices[0].tags == frozenset({"paper"})
        assert a.payments[1] == Payment(
            date(2013, 3, 1),
            Money("100.00", "USD"),
            reference="settlement 0000611366",
            applies_to=("0000611366",),
        )
        assert a.disputes == (
            Dispute(date(2013, 2, 9), invoices=("0000611366",), resolved=date(2013, 3, 1)),
        )
        assert b.id == "B-2"

    def test_bad_rows_are_all_reported(self) -> None:
        """Every bad field of every row is reported with its line and column."""
        text = HEADER + (
            "391,A-1,4/6/2013,1,2/30/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
            "391,A-1,4/6/2013,2,1/2/2013,2/1/2013,abc,Maybe,1/15/2013,Paper,13,0\n"
            "391,A-1,4/6/2013,1,1/2/2013,2/1/2013,5.00,No,1/15/2013,Fax,13,0\n"
            "391,A-1\n"
        )
        with pytest.raises(DataError) as exc:
            parse_ibm_csv(text, source="ar.csv")
        assert str(exc.value).startswith("ar.csv: 5 problems\n  line 2: InvoiceDate")
        assert [str(p) for p in exc.value.problems] == [
            "line 2: InvoiceDate: expected a date, got '2/30/2013': there is no such day",
            "line 3: InvoiceAmount: expected an amount such as '1200.00 USD', got 'abc'",
            "line 3: Disputed: expected Yes or No, got 'Maybe'",
            "line 4: PaperlessBill: expected Paper or Electronic, got 'Fax'",
            "line 5: expected 12 fields, got 2",
        ]

    def test_wrong_header(self) -> None:
        """A CSV of another shape is refused at line 1."""
        with pytest.raises(DataError, match="line 1: expected the columns countryCode, customerID"):
            parse_ibm_csv("a,b\n1,2\n")

    def test_reads_the_bundled_data_set(self, tmp_path: Path) -> None:
        """The real data set loads from a file: 100 customers, 2,466 invoices, one payment each."""
        from arcollect.data import ibm_csv_text  # noqa: PLC0415 - this test's region only

        path = tmp_path / "ibm-accounts-receivable.csv"
        path.write_text(ibm_csv_text(), encoding="utf-8")
        accts = read_ibm_csv(path)
        assert len(accts) == 100
        assert sum(len(a.invoices) for a in accts) == 2466
        assert all(len(a.payments) == len(a.invoices) for a in accts)
        assert sum(len(a.disputes) for a in accts) > 0


class TestBounds:
    def test_json_duplicate_keys_are_refused(self) -> None:
        """The same key twice in JSON is refused at its path, not silently dropped."""
        text = '{"currency": "EUR", "accounts": [{"id": "C-1"}], "accounts": []}'
        assert problems(text, "json") == ["accounts: duplicate key 'accounts'"]
        text = '{"currency": "EUR", "accounts": [{"id": "C-1", "tags": [], "tags": ["a"]}]}'
        assert problems(text, "json") == ["accounts[0].tags: duplicate key 'tags'"]

    def test_json_nesting_and_huge_integers(self) -> None:
        """10,000-deep JSON and a 5,000-digit integer are located errors."""
        assert problems("[" * 10_000, "json") == [
            "line 1, column 101: the document is nested more than 100 levels deep"
        ]
        assert problems('{"a": ' + "9" * 5000 + "}", "json") == [
            "a number of 5000 digits is too long for any field"
        ]

    def test_yaml_control_character_in_a_portfolio(self) -> None:
        """A control character in a portfolio is a DataError naming the file and place."""
        with pytest.raises(DataError) as exc:
            parse_portfolio("currency: EUR\x01", source="p.yaml")
        assert str(exc.value) == (
            "p.yaml: 1 problem\n  line 1, column 14: the character U+0001 is not allowed in "
            'YAML; remove it, or write it as the escape "\\u0001" in a double-quoted string'
        )

    def test_huge_amounts_are_refused(self) -> None:
        """A 58-digit amount is refused when read, not when facts are computed."""
        big = "9" * 58
        assert problems(BASE_ACCOUNT.replace("100.00 EUR", f"{big} EUR")) == [
            (
                "accounts[0].invoices[0].amount: an amount of 58 digits before the decimal point "
                "is too large: at most 18 are allowed"
            )
        ]

    def test_size_bound(self, tmp_path: Path) -> None:
        """Text beyond max_bytes is refused at once; a larger bound reads it."""
        text = textwrap.dedent(BASE_ACCOUNT)
        with pytest.raises(DataError) as exc:
            parse_portfolio(text, max_bytes=50)
        assert str(exc.value) == (
            f"<string>: 1 problem\n  the data is {len(text)} bytes, more than the 50 bytes "
            "allowed; pass a larger max_bytes= to read it"
        )
        assert isinstance(exc.value, TooLargeError)
        assert (exc.value.size, exc.value.limit) == (len(text), 50)
        path = tmp_path / "p.yaml"
        path.write_text(text)
        with pytest.raises(TooLargeError) as too_large:
            read_portfolio(path, max_bytes=50)
        assert str(too_large.value.hinted("say so")) == (
            f"{path}: 1 problem\n  the data is {len(text)} bytes, more than the 50 bytes "
            "allowed; say so"
        )
        assert len(read_portfolio(path, max_bytes=len(text))) == 1

    def test_a_generous_bound_asks_for_no_buffer_of_its_size(self, tmp_path: Path) -> None:
        """A bound of a terabyte reads a small file (it asked for a terabyte of memory)."""
        path = tmp_path / "p.yaml"
        path.write_text(textwrap.dedent(BASE_ACCOUNT))
        assert len(read_portfolio(path, max_bytes=1 << 40)) == 1

    def test_a_file_of_no_known_size_is_bounded_too(self, tmp_path: Path) -> None:
        """A pipe (its size unknown) is read up to the bound, and refused beyond it."""
        text = textwrap.dedent(BASE_ACCOUNT)
        fifo = tmp_path / "p.yaml"
        os.mkfifo(fifo)

        def feed() -> None:
            with contextlib.suppress(BrokenPipeError), fifo.open("w") as f:
                f.write(text)  # the reader may stop and close before the end

        for bound, expected in ((len(text), 1), (50, None)):
            writer = threading.Thread(target=feed)
            writer.start()
            try:
                if expected is None:
                    with pytest.raises(DataError) as exc:
                        read_portfolio(fifo, max_bytes=bound)
                    assert "more than the 50 bytes allowed" in str(exc.value)
                else:
                    assert len(read_portfolio(fifo, max_bytes=bound)) == expected
            finally:
                writer.join()

    def test_problems_are_capped(self) -> None:
        """At most 100 problems of a file are listed, then how many more there are."""
        invoices = "".join(
            f"      - {{number: I-{i}, issued: 2026-09-01, due: 2026-10-01, amount: x}}\n"
            for i in range(150)
        )
        text = "currency: EUR\naccounts:\n  - id: C-1\n    invoices:\n" + invoices
        found = problems(text)
        assert len(found) == 100
        assert found[0] == (
            "accounts[0].invoices[0].amount: expected an amount such as '1200.00 EUR', got 'x'"
        )
        with pytest.raises(DataError) as info:
            parse_portfolio(text)
        assert info.value.omitted == 50
        assert str(info.value).splitlines()[0] == "<string>: 150 problems"
        assert str(info.value).splitlines()[-1] == "  ... and 50 more problems"


IBM_HEADER = (
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,"
    "Disputed,SettledDate,PaperlessBill,DaysToSettle,DaysLate"
)


def ibm_row(number: int, amount: str) -> str:
    """One row of the IBM shape with *amount*."""
    return f"US,C1,1/1/2013,I{number},1/1/2013,1/31/2013,{amount},No,2/1/2013,Paper,31,1\n"


class TestIbmBounds:
    def test_csv_errors_are_located(self) -> None:
        """A field over the csv module's limit is a DataError at its line."""
        with pytest.raises(DataError) as exc:
            parse_ibm_csv(IBM_HEADER + "\n" + ibm_row(1, "x" * 200_000))
        assert str(exc.value) == (
            "<string>: 1 problem\n  line 2: not valid CSV: field larger than field limit (131072)"
        )

    def test_huge_amounts_are_refused(self) -> None:
        """Two 58-digit amounts are refused when read; 100 digits too."""
        with pytest.raises(DataError) as exc:
            parse_ibm_csv(IBM_HEADER + "\n" + ibm_row(1, "9" * 58) + ibm_row(2, "9" * 100))
        assert [str(p) for p in exc.value.problems] == [
            (
                "line 2: InvoiceAmount: an amount of 58 digits before the decimal point is too "
                "large: at most 18 are allowed"
            ),
            (
                "line 3: InvoiceAmount: an amount of 100 digits before the decimal point is too "
                "large: at most 18 are allowed"
            ),
        ]

    def test_size_bound(self, tmp_path: Path) -> None:
        """A CSV file beyond max_bytes is refused."""
        path = tmp_path / "ar.csv"
        path.write_text(IBM_HEADER + "\n" + ibm_row(1, "10.00"))
        with pytest.raises(DataError) as exc:
            read_ibm_csv(path, max_bytes=10)
        assert "more than the 10 bytes allowed" in str(exc.value)
        assert len(read_ibm_csv(path)) == 1


class TestHugeNumbers:
    def test_a_huge_integer_where_a_string_belongs(self) -> None:
        """An id of 5,000 digits is described by its size, with no hint to quote it."""
        with pytest.raises(DataError) as info:
            portfolio_from_dict({"currency": "EUR", "accounts": [{"id": 10**5000}]})
        assert str(info.value) == (
            "accounts[0].id: expected a string, got an integer of 5001 digits"
        )


class TestDecimalFields:
    def test_a_decimal_comma_in_a_number_field_is_refused(self) -> None:
        """``risk: "1,5"`` is not read as 15: a comma that does not group thousands is refused."""
        with pytest.raises(DataError) as info:
            portfolio_from_dict({"currency": "EUR", "accounts": [{"id": "A", "risk": "1,5"}]})
        assert str(info.value) == "accounts[0].risk: '1,5' looks like a decimal comma: write 1.5"

    def test_plain_numbers_in_text_are_read(self) -> None:
        """``"0.5"`` and ``"1_000"`` are numbers."""
        accounts = portfolio_from_dict(
            {
                "currency": "EUR",
                "accounts": [{"id": "A", "risk": "0.5"}, {"id": "B", "risk": "1_000"}],
            }
        )
        assert [a.risk for a in accounts] == [Decimal("0.5"), Decimal(1000)]


class TestHugeKeys:
    def test_a_huge_integer_key_or_currency_is_described(self) -> None:
        """A 5,000-digit key or currency at the top of a document gets a message, not a crash."""
        with pytest.raises(DataError) as key:
            portfolio_from_dict({10**5000: 1, "accounts": []})
        expected = "unknown field (expected one of: currency, company, accounts)"
        assert str(key.value) == f"an integer of 5001 digits: {expected}"
        with pytest.raises(DataError) as cur:
            portfolio_from_dict({"currency": 10**5000, "accounts": []})
        assert str(cur.value) == "currency: expected a string, got an integer of 5001 digits"


class TestDumpCompany:
    def test_the_company_block_round_trips(self) -> None:
        """dump_portfolio writes the company block; reading it back gives the same document."""
        from arcollect.convert import parse_portfolio_document, read_portfolio_document  # noqa: PLC0415

        doc = read_portfolio_document(ROOT / "examples" / "portfolio.yaml")
        assert doc.company is not None
        for fmt in ("yaml", "json"):
            text = dump_portfolio(doc.accounts, format=fmt, currency="EUR", company=doc.company)
            again = parse_portfolio_document(text, format=fmt)
            assert (again.company, again.accounts) == (doc.company, doc.accounts)

    def test_an_unknown_format_is_a_data_error(self) -> None:
        """Asking for a format the writer does not know is an ArcollectError naming the argument."""
        with pytest.raises(DataError) as info:
            dump_portfolio((), format="toml")
        assert str(info.value) == "format: unknown portfolio format 'toml': expected yaml or json"


class TestJsonDepthCheck:
    @settings(max_examples=200, deadline=None)
    @given(
        depth=st.integers(min_value=0, max_value=130),
        noise=st.text(alphabet='[]{}"\\ab', max_size=20),
        siblings=st.integers(min_value=0, max_value=150),
    )
    def test_the_quick_check_agrees_with_the_exact_scan(
        self, depth: int, noise: str, siblings: int
    ) -> None:
        """The C-speed pre-check finds a document too deep exactly when the exact scan does.

        Brackets inside strings (escaped quotes too) never count; many shallow brackets do not
        make a document deep.
        """
        inner = json.dumps(noise)
        text = "[" * depth + inner + "]" * depth + ", [[]]" * siblings
        exact = peak = 0
        for m in documents._JSON_TOKENS.finditer(text):
            lexeme = m.group()
            if lexeme in "[{":
                exact += 1
                peak = max(peak, exact)
            elif lexeme in "]}":
                exact -= 1
        assert documents._too_deep(text) is (peak > MAX_DEPTH)
