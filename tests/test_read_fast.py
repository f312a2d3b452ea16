"""The fast path of portfolio reading gives exactly what the detailed path gives.

Every document is read both ways: by the public readers (the fast path, falling back to the
detailed one) and by the detailed path alone (`documents._parse_document(..., fast=False)`,
`_detailed_document_from_dict`). Well-formed documents must give equal records, of the same
types and with the same digits; bad ones the same error, message and problems.
"""

from __future__ import annotations

import copy
import functools
import gc
import json
import textwrap
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
import yaml
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from arcollect import (
    Account,
    DataError,
    dump_portfolio,
    parse_ibm_csv,
    unstructure,
)
from arcollect import _yaml as yaml_loading
from arcollect.convert import documents, portfolio_document_from_dict, read_portfolio_document
from arcollect.convert.fast import CHUNK, FastReader, _Amounts, _Columns, _SlowError
from arcollect.data import ibm_csv_text
from arcollect.domain import Company, Contact, Invoice, Money, Promise
from strategies import accounts

ROOT = Path(__file__).parent.parent
HAS_C_LOADER = hasattr(yaml, "CSafeLoader")
NO_C_LOADER = "PyYAML was built without libyaml: yaml.CSafeLoader is absent"


# --------------------------------------------------------------------------------------------
# Comparing outcomes


def strict(value: Any) -> Any:
    """Return *value* as plain comparable data that also keeps types and Decimal digits."""
    if attrs.has(type(value)):
        return (
            type(value),
            tuple(strict(getattr(value, a.name)) for a in attrs.fields(type(value))),
        )
    if isinstance(value, Decimal):
        return (type(value), value.as_tuple())
    if isinstance(value, frozenset):
        return (frozenset, frozenset(strict(v) for v in value))
    if isinstance(value, tuple | list):
        return (type(value), tuple(strict(v) for v in value))
    return (type(value), value)


def outcome(read: Callable[[], Any]) -> Any:
    """Return what *read* gives, strictly, or the whole of the `DataError` it raises."""
    try:
        result = read()
    except DataError as exc:
        return ("error", type(exc), str(exc), exc.problems, exc.source, exc.omitted)
    return ("ok", strict(result))


def both_ways(text: str, fmt: str) -> tuple[Any, Any]:
    """Return the outcomes of parsing *text* the public way and by the detailed path alone."""
    fast = outcome(lambda: documents.parse_portfolio_document(text, format=fmt, source="p"))
    detailed = outcome(
        lambda: documents._parse_document(text, fmt, "p", documents.MAX_BYTES, fast=False)
    )
    return fast, detailed


def as_yaml(doc: Any) -> str:
    """Write *doc* (plain data) as YAML, as a person would."""
    return yaml.dump(doc, Dumper=yaml_loading.Dumper, sort_keys=False, allow_unicode=True)


# --------------------------------------------------------------------------------------------
# A document with every field of every record


RICH: dict[str, Any] = {
    "currency": "EUR",
    "company": {"name": "Acme", "address": ["1 Main St"], "website": "https://acme.example"},
    "accounts": [
        {
            "id": "C-1",
            "currency": "EUR",
            "name": "Customer One",
            "credit_limit": "5000.00 EUR",
            "terms": "30 days",
            "tags": ["key"],
            "risk": "12.5",
            "country": "DE",
            "locale": "de_DE",
            "customer_since": "2020-01-01",
            "collector": {"name": "Ann", "title": "Collector", "phone": "1", "email": "a@x.de"},
            "contacts": [
                {
                    "name": "Bo",
                    "title": "CFO",
                    "roles": ["decision_maker", "billing"],
                    "can_authorize_payment": True,
                    "phone": "+49 1",
                    "email": "bo@x.de",
                    "preferred_channel": "email",
                    "language": "de",
                }
            ],
            "invoices": [
                {
                    "number": "INV-1",
                    "issued": "2026-09-01",
                    "due": "2026-10-01",
                    "amount": "1200.00 EUR",
                },
                {
                    "number": "INV-2",
                    "issued": "2026-09-05",
                    "due": "2026-10-05",
                    "amount": "300.00 EUR",
                    "account": "C-1",
                    "po_number": "PO-9",
                    "delivered": False,
                    "proof_of_delivery": "pod-1",
                    "tags": ["x"],
                },
                {
                    "number": "CN-1",
                    "issued": "2026-09-10",
                    "due": "2026-09-10",
                    "amount": "-50.00 EUR",
                    "credits": "INV-1",
                },
            ],
            "payments": [
                {
                    "date": "2026-10-02",
                    "amount": "1000.00 EUR",
                    "reference": "R-1",
                    "applies_to": ["INV-1"],
                },
                {"date": "2026-10-03", "amount": "10.00 EUR"},
            ],
            "promises": [
                {
                    "made_on": "2026-10-10",
                    "amount": "200.00 EUR",
                    "due": "2026-10-20",
                    "by": "Bo",
                    "grace_days": 2,
                    "note": "by phone",
                    "installments": [
                        {"due": "2026-10-15", "amount": "100.00 EUR"},
                        {"due": "2026-10-20", "amount": "100.00 EUR"},
                    ],
                }
            ],
            "disputes": [
                {
                    "opened": "2026-10-06",
                    "reason": "damaged",
                    "invoices": ["INV-2"],
                    "amount": "100.00 EUR",
                    "resolved": "2026-10-08",
                    "owner": "ops",
                    "id": "D-1",
                    "notes": "crate broken",
                }
            ],
            "activities": [
                {
                    "date": "2026-10-07",
                    "channel": "email",
                    "step": "reminder",
                    "outcome": "sent",
                    "contact": "Bo",
                    "timeline": "standard",
                    "invoice": "INV-1",
                    "notes": "first",
                }
            ],
            "snoozes": [
                {
                    "until": "2026-12-01",
                    "reason": "credit note coming",
                    "by": "Ann",
                    "invoices": ["INV-2"],
                    "since": "2026-11-01",
                }
            ],
        },
        {
            "id": "C-2",
            "invoices": [
                {"number": "A", "issued": "2026-01-01", "due": "2026-02-01", "amount": "7 EUR"}
            ],
        },
        {"id": "C-3", "currency": "JPY", "credit_limit": "100000 JPY"},
        {"id": "C-4", "currency": "KWD", "credit_limit": "1.000 KWD"},
    ],
}

#: Values put in place of each field: each is wrong somewhere, or right in another way.
VALUES: list[Any] = [
    None,
    True,
    0,
    7,
    -1,
    1.5,
    10**30,
    "",
    " ",
    "x",
    "2026-02-30",
    " 2026-10-01 ",
    "2026-10-1",
    "20261001",
    "2026-W01-1",
    "2020-01-01",
    "2026-10-15",
    "2030-01-01",
    "100 EUR",
    "100.00 EUR",
    "-100.00 EUR",
    "100.5 EUR",
    "1.000 EUR",
    "1,200.00 EUR",
    "EUR 100.00",
    "100.00  EUR",
    "100.00",
    "100.00 USD",
    "100.00 EUX",
    "-0.00 EUR",
    "0.00 EUR",
    "100.001 EUR",
    "1000000000000000000.00 EUR",
    "12 days",
    "net 30",
    "Email",
    "damaged",
    "INV-9",
    "INV-1",
    "CN-1",
    "C-2",
    "bad role",
    "en_XX",
    [],
    ["a"],
    [1],
    "abc",
    {},
    {"amount": "1.00", "currency": "EUR"},
]


def leaves(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Yield the path of every field under *value* (mappings' values, lists' items)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*path, key)
            yield from leaves(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, dict | list):
                yield from leaves(item, (*path, i))


def mutated(path: tuple[Any, ...], change: Callable[[Any, Any], None]) -> dict[str, Any]:
    """Return a copy of `RICH` with *change* applied to the container of *path* and its key."""
    doc = copy.deepcopy(RICH)
    holder = doc
    for key in path[:-1]:
        holder = holder[key]
    change(holder, path[-1])
    return doc


def mutations() -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (a name, a document): `RICH` with one field changed in one way."""
    for path in leaves(RICH):
        name = ".".join(map(str, path))

        def drop(holder: Any, key: Any) -> None:
            del holder[key]

        yield f"{name} removed", mutated(path, drop)
        for value in VALUES:

            def put(holder: Any, key: Any, value: Any = value) -> None:
                holder[key] = value

            yield f"{name} = {value!r}", mutated(path, put)
    for path in [(), *(p for p in leaves(RICH) if isinstance(_at(p), dict))]:
        doc = copy.deepcopy(RICH)
        _at(path, doc)["colour"] = "red"
        yield f"{'.'.join(map(str, path))} has an unknown key", doc
    for path in (p for p in leaves(RICH) if isinstance(_at(p), list) and _at(p)):

        def twice(holder: Any, key: Any) -> None:
            holder[key] = [*holder[key], holder[key][0]]

        yield f"{'.'.join(map(str, path))} has its first item twice", mutated(path, twice)


def _at(path: tuple[Any, ...], doc: Any = RICH) -> Any:
    value: Any = doc
    for key in path:
        value = value[key]
    return value


MUTATIONS = list(mutations())


class TestRichDocument:
    def test_the_fast_path_reads_every_account(self) -> None:
        """Each account of the rich document, every field set, is built by the fast path."""
        reader = FastReader()
        built = [reader.account(item, "EUR") for item in RICH["accounts"]]
        assert None not in built
        assert built == list(documents._detailed_document_from_dict(RICH).accounts)

    @pytest.mark.parametrize("fmt", ["json", "yaml"])
    def test_both_ways_agree(self, fmt: str) -> None:
        """The rich document reads to strictly equal records both ways."""
        text = json.dumps(RICH) if fmt == "json" else as_yaml(RICH)
        fast, detailed = both_ways(text, fmt)
        assert fast[0] == "ok"
        assert fast == detailed

    def test_the_callers_data_is_left_alone(self) -> None:
        """Reading a caller's dict by the fast path leaves it as it was."""
        doc = copy.deepcopy(RICH)
        portfolio_document_from_dict(doc)
        assert doc == RICH

    def test_there_are_many_mutations(self) -> None:
        """The table of mutations covers every field many times over."""
        assert len(MUTATIONS) > 4000


class TestMutations:
    def test_json(self) -> None:
        """Every field changed in every way reads the same both ways: records or error."""
        differ = []
        for name, doc in MUTATIONS:
            fast, detailed = both_ways(json.dumps(doc), "json")
            if fast != detailed:
                differ.append((name, fast, detailed))
        assert differ == []

    def test_from_dict(self) -> None:
        """`portfolio_document_from_dict` agrees with the detailed path on every mutation."""
        differ = []
        for name, doc in MUTATIONS:
            fast = outcome(functools.partial(portfolio_document_from_dict, doc))
            detailed = outcome(functools.partial(documents._detailed_document_from_dict, doc))
            if fast != detailed:
                differ.append((name, fast, detailed))
        assert differ == []

    def test_yaml(self) -> None:
        """The mutations of one account, written in YAML, read the same both ways."""
        differ = []
        for name, doc in MUTATIONS[::13]:
            fast, detailed = both_ways(as_yaml(doc), "yaml")
            if fast != detailed:
                differ.append((name, fast, detailed))
        assert differ == []

    def test_python_values(self) -> None:
        """Values no reader makes (dates, Decimals, floats, tuples) agree too, from dicts."""
        odd: list[Any] = [
            date(2026, 10, 1),
            Decimal("100.00"),
            Decimal("Infinity"),
            float("nan"),
            0.1,
            ("a",),
            frozenset({"a"}),
        ]
        differ = []
        for path in leaves(RICH):
            for value in odd:

                def put(holder: Any, key: Any, value: Any = value) -> None:
                    holder[key] = value

                doc = mutated(path, put)
                fast = outcome(functools.partial(portfolio_document_from_dict, doc))
                detailed = outcome(functools.partial(documents._detailed_document_from_dict, doc))
                if fast != detailed:
                    differ.append((path, value, fast, detailed))
        assert differ == []


def _portfolios() -> st.SearchStrategy[list[Account]]:
    return st.lists(accounts(), max_size=4, unique_by=lambda a: a.id)


class TestGenerated:
    @given(_portfolios(), st.sampled_from(["json", "yaml"]))
    @settings(max_examples=60, deadline=None)
    def test_fast_equals_detailed(self, accts: list[Account], fmt: str) -> None:
        """Generated portfolios read to strictly equal records, fast and detailed."""
        text = dump_portfolio(accts, format=fmt, currency="EUR")
        fast, detailed = both_ways(text, fmt)
        assert fast == detailed
        assert fast == ("ok", strict(documents.Portfolio(tuple(accts))))

    @given(_portfolios())
    @settings(max_examples=60, deadline=None)
    def test_generated_accounts_take_the_fast_path(self, accts: list[Account]) -> None:
        """Well-formed accounts as `unstructure` writes them are all built by the fast path."""
        reader = FastReader()
        built = [reader.account(unstructure(a), None) for a in accts]
        assert built == accts

    @given(_portfolios(), st.data())
    @settings(max_examples=60, deadline=None)
    def test_a_field_made_wrong(self, accts: list[Account], data: st.DataObject) -> None:
        """A generated portfolio with one field replaced reads the same both ways."""
        doc = json.loads(dump_portfolio(accts, format="json", currency="EUR"))
        paths = list(leaves(doc))
        path = data.draw(st.sampled_from(paths))
        value = data.draw(st.sampled_from(VALUES))
        holder = doc
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = value
        fast, detailed = both_ways(json.dumps(doc), "json")
        assert fast == detailed


# --------------------------------------------------------------------------------------------
# JSON: the checks the fast path proves instead of making


def deep_json(levels: int) -> str:
    """Return a portfolio whose company block nests *levels* lists deep."""
    return (
        '{"accounts": [], "company": {"name": "A", "address": ' + "[" * levels + "]" * levels + "}}"
    )


BAD_JSON = {
    "duplicate key in an account": '{"accounts": [{"id": "C-1", "id": "C-2", "currency": "EUR"}]}',
    "duplicate key at the top": '{"accounts": [], "accounts": []}',
    "duplicate key and a colon in a note": (
        '{"accounts": [{"id": "C-1", "currency": "EUR", "id": "C-1", '
        '"activities": [{"date": "2026-01-01", "channel": "call", "notes": "at 10:30"}]}]}'
    ),
    "duplicate key hidden by an escaped colon": (
        '{"company": {"name": "\\u003a"}, "accounts": [{"id": "C-1", "id": "C-2", '
        '"currency": "EUR"}]}'
    ),
    "too deep in the company block": deep_json(150),
    "too deep for the parser": deep_json(5000),
    "too deep inside an account": (
        '{"accounts": [{"id": "C-1", "currency": "EUR", "name": ' + "[" * 120 + "]" * 120 + "}]}"
    ),
    "syntax error": '{"accounts": [}',
    "huge integer": '{"accounts": [], "currency": ' + "9" * 200 + "}",
    "not a mapping": "[1, 2]",
    "accounts not a list": '{"accounts": {"id": "C-1"}}',
    "trailing text": '{"accounts": []} x',
}


class TestJson:
    @pytest.mark.parametrize("name", sorted(BAD_JSON))
    def test_bad_documents(self, name: str) -> None:
        """Each bad JSON document raises the same error both ways."""
        fast, detailed = both_ways(BAD_JSON[name], "json")
        assert fast[0] == "error"
        assert fast == detailed

    def test_the_depth_error_is_located(self) -> None:
        """A document nested too deep is refused at its line and column, not structured."""
        with pytest.raises(DataError) as exc:
            documents.parse_portfolio_document(deep_json(150), format="json", source="p.json")
        assert str(exc.value) == (
            "p.json: 1 problem\n"
            "  line 1, column 152: the document is nested more than 100 levels deep"
        )

    def test_a_colon_in_free_text_is_read(self) -> None:
        """Colons in strings (no duplicate) cost a second parse, and read the same."""
        doc = copy.deepcopy(RICH)
        doc["accounts"][0]["activities"][0]["notes"] = "called at 10:30"
        doc["accounts"][0]["name"] = "\u003a"
        fast, detailed = both_ways(json.dumps(doc), "json")
        assert fast[0] == "ok"
        assert fast == detailed

    def test_company_urls_are_counted(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The colons of the parts the detailed path reads are counted: one parse suffices."""
        calls = []
        plain = documents._plain_json

        def spy(text: str, *, hooked: bool) -> Any:
            calls.append(hooked)
            return plain(text, hooked=hooked)

        monkeypatch.setattr(documents, "_plain_json", spy)
        assert documents._fast_json(json.dumps(RICH)) is not None
        assert calls == [False]


# --------------------------------------------------------------------------------------------
# YAML: libyaml where there is one, the same bounds and messages


BAD_YAML = {
    "duplicate key": "accounts: []\naccounts: []\n",
    "alias bomb": "a: &a [x]\n" + "".join(f"b{i}: *a\n" for i in range(101)) + "accounts: []\n",
    "too deep, flow": "accounts: []\ncompany: " + "[" * 101 + "]" * 101 + "\n",
    "too deep, block": "accounts:\n"
    + "".join("  " * i + "-\n" for i in range(1, 102))
    + "  " * 102
    + "x\n",
    "syntax error": "accounts: [\n",
    "bad indentation": "accounts:\n  - id: C-1\n   currency: EUR\n",
    "python tag": "accounts: !!python/object:os.system []\n",
    "unreadable int": "accounts: []\ncurrency: !!int x\n",
    "control character": "accounts: []\ncurrency: \x01\n",
    "lone surrogate": "accounts: []\ncurrency: \ud800\n",
    "tab indentation": "accounts:\n\t- id: C-1\n",
    "unclosed quote": "accounts: []\ncurrency: 'EUR\n",
    "two documents": "accounts: []\n---\naccounts: []\n",
    "huge integer": "accounts: []\ncurrency: " + "9" * 5000 + "\n",
    "impossible date": "currency: EUR\naccounts:\n- id: C-1\n  customer_since: 2026-02-30\n",
}


class TestYaml:
    @pytest.mark.skipif(not HAS_C_LOADER, reason=NO_C_LOADER)
    def test_the_c_loader_is_used(self) -> None:
        """With libyaml, portfolios are read by the C loader (not the Python fallback)."""
        text = as_yaml(RICH)
        assert yaml_loading._load_with_c(text) == yaml_loading.load_yaml(text, written_numbers=True)
        assert yaml_loading._load_with_c(text) is not yaml_loading._UNREAD

    @pytest.mark.skipif(not HAS_C_LOADER, reason=NO_C_LOADER)
    @pytest.mark.parametrize("name", sorted(BAD_YAML))
    def test_bad_documents(self, name: str) -> None:
        """Each bad YAML document raises the same error by the C and the Python loader."""
        text = BAD_YAML[name]

        def load(*, c_loader: bool) -> Any:
            return outcome(
                lambda: yaml_loading.load_yaml(
                    text, "p.yaml", written_numbers=True, c_loader=c_loader
                )
            )

        assert load(c_loader=True) == load(c_loader=False)
        fast, detailed = both_ways(text, "yaml")
        assert fast[0] == "error"
        assert fast == detailed

    @pytest.mark.skipif(not HAS_C_LOADER, reason=NO_C_LOADER)
    def test_bounds_hold_under_the_c_loader(self) -> None:
        """The C loader refuses what the Python one refuses, with the same message."""
        with pytest.raises(DataError) as exc:
            yaml_loading.load_yaml(
                BAD_YAML["alias bomb"], "p.yaml", written_numbers=True, c_loader=True
            )
        assert str(exc.value) == (
            "p.yaml: 1 problem\n  line 102, column 7: too many aliases (more than 100); "
            "the document looks like an alias bomb and is refused"
        )

    @pytest.mark.skipif(not HAS_C_LOADER, reason=NO_C_LOADER)
    def test_anchors_within_bounds_are_read(self) -> None:
        """Aliases within the bound, and numbers as written, read the same by both loaders."""
        text = textwrap.dedent(
            """\
            currency: EUR
            accounts:
            - id: C-1
              risk: 1.50
              terms: 30
              invoices: &inv
              - {number: I, issued: 2026-01-01, due: 2026-02-01, amount: 1200.00 EUR}
            - id: C-2
              invoices: *inv
            """
        )
        loads = [
            yaml_loading.load_yaml(text, written_numbers=True, c_loader=c) for c in (True, False)
        ]
        assert strict(loads[0]) == strict(loads[1])
        fast, detailed = both_ways(text, "yaml")
        assert fast[0] == "ok"
        assert fast == detailed


# --------------------------------------------------------------------------------------------
# Bundled data and fixtures


def fixtures() -> list[Path]:
    """Return the portfolio files of the repository: the examples and any under tests/data."""
    found = sorted((ROOT / "examples").glob("*.yaml"))
    for pattern in ("*.yaml", "*.yml", "*.json"):
        found += sorted((ROOT / "tests" / "data").rglob(pattern))
    return found


class TestBundled:
    def test_there_are_fixtures(self) -> None:
        """The repository has portfolio fixtures to read."""
        assert fixtures() != []

    @pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.name)
    def test_fixtures_read_the_same(self, path: Path) -> None:
        """Every portfolio fixture reads to strictly equal records both ways."""
        fast = outcome(lambda: read_portfolio_document(path))
        detailed = outcome(lambda: documents._read_document(path, fast=False))
        assert fast[0] == "ok"
        assert fast == detailed

    @pytest.mark.parametrize("fmt", ["json", "yaml"])
    def test_the_ibm_sample_reads_the_same(self, fmt: str, tmp_path: Path) -> None:
        """The bundled IBM sample, written as a portfolio, reads the same both ways."""
        accts = parse_ibm_csv(ibm_csv_text())
        company = Company("Acme AR", address=("1 Main St",), website="https://acme.example")
        path = tmp_path / f"ibm.{fmt}"
        path.write_text(
            dump_portfolio(accts, format=fmt, currency="USD", company=company), encoding="utf-8"
        )
        fast = outcome(lambda: read_portfolio_document(path))
        detailed = outcome(lambda: documents._read_document(path, fast=False))
        assert fast == detailed
        assert fast == ("ok", strict(documents.Portfolio(tuple(accts), company)))


# --------------------------------------------------------------------------------------------
# Many accounts at once: `FastReader.batch`, a field (a column) at a time


def _one_currency() -> st.SearchStrategy[list[Account]]:
    return st.lists(accounts(currency="EUR"), min_size=1, max_size=6, unique_by=lambda a: a.id)


def _account_by_account(items: list[Any]) -> tuple[list[Account | None], int]:
    """Return the accounts *items* give read one by one, and the pairs counted."""
    reader = FastReader()
    return [reader.account(item, "EUR") for item in items], reader.pairs


def _batched(items: list[Any]) -> tuple[list[Account] | None, int]:
    """Return the accounts *items* give read all at once (or None), and the pairs counted."""
    reader = FastReader()
    return reader.batch(items, "EUR"), reader.pairs


def two_accounts(first: dict[str, Any], second: dict[str, Any]) -> list[dict[str, Any]]:
    """Return two EUR accounts: ``A`` with the invoice ``A-1`` and *first*, ``B`` with *second*."""
    invoice = {"number": "A-1", "issued": "2026-01-01", "due": "2026-02-01", "amount": "5.00 EUR"}
    return [
        {"id": "A", "currency": "EUR", "invoices": [invoice], **first},
        {"id": "B", "currency": "EUR", **second},
    ]


#: Records of account B naming the invoice A-1 of account A (not its own): all refused.
CROSS_REFERENCES: dict[str, dict[str, Any]] = {
    "a payment": {
        "payments": [{"date": "2026-01-05", "amount": "1.00 EUR", "applies_to": ["A-1"]}]
    },
    "a payment of two": {
        "invoices": [
            {"number": "B-1", "issued": "2026-01-01", "due": "2026-02-01", "amount": "5.00 EUR"}
        ],
        "payments": [{"date": "2026-01-05", "amount": "1.00 EUR", "applies_to": ["B-1", "A-1"]}],
    },
    "an activity": {"activities": [{"date": "2026-01-05", "channel": "call", "invoice": "A-1"}]},
    "a dispute": {"disputes": [{"opened": "2026-01-05", "invoices": ["A-1"]}]},
    "a snooze": {"snoozes": [{"until": "2026-03-01", "invoices": ["A-1"]}]},
    "a credit note": {
        "invoices": [
            {
                "number": "CN",
                "issued": "2026-01-05",
                "due": "2026-01-05",
                "amount": "-1.00 EUR",
                "credits": "A-1",
            }
        ]
    },
    "an invoice of another account": {
        "invoices": [
            {
                "number": "B-1",
                "issued": "2026-01-01",
                "due": "2026-02-01",
                "amount": "5.00 EUR",
                "account": "A",
            }
        ]
    },
}

#: A promise without installments (built without its constructor), for `TestPlainPromise`.
PLAIN_PROMISE: dict[str, Any] = {
    "made_on": "2026-10-10",
    "amount": "200.00 EUR",
    "due": "2026-10-20",
    "by": "Bo",
    "grace_days": 2,
    "note": "by phone",
}


class TestBatch:
    @given(_one_currency())
    @settings(max_examples=60, deadline=None)
    def test_a_batch_reads_as_account_by_account(self, accts: list[Account]) -> None:
        """Accounts of one currency read at once give the records, and count the pairs, that
        reading them one by one gives.
        """
        items = [unstructure(a) for a in accts]
        built, pairs = _batched(items)
        assert built == accts
        assert (built, pairs) == _account_by_account(items)
        assert [strict(a) for a in built] == [strict(a) for a in accts]

    @given(_one_currency(), st.data())
    @settings(max_examples=60, deadline=None)
    def test_a_field_made_wrong_in_a_batch(self, accts: list[Account], data: st.DataObject) -> None:
        """Generated accounts of one currency with one field replaced read, as a batch, to the
        detailed path's records, or not at all; and as account by account when they do.
        """
        doc = json.loads(json.dumps({"accounts": [unstructure(a) for a in accts]}))
        path = data.draw(st.sampled_from(list(leaves(doc))))
        holder = doc
        for key in path[:-1]:
            holder = holder[key]
        holder[path[-1]] = data.draw(st.sampled_from(VALUES))
        items = doc.get("accounts")
        assume(isinstance(items, list))  # not the accounts list itself replaced
        built, pairs = _batched(copy.deepcopy(items))
        if built is not None:
            detailed = documents._detailed_document_from_dict({**doc, "currency": "EUR"})
            assert strict(tuple(built)) == strict(detailed.accounts)
            assert (built, pairs) == _account_by_account(copy.deepcopy(items))

    def test_every_mutation_batches_right_or_not_at_all(self) -> None:
        """For each one-field mutation of the rich document, a batch of its four accounts
        gives the detailed path's records, or None (never other records, never an error).
        """
        answered = 0
        for name, doc in MUTATIONS:
            items, currency = doc.get("accounts"), doc.get("currency")
            if not isinstance(items, list):
                continue
            reader = FastReader()
            built = reader.batch(copy.deepcopy(items), currency)
            if built is None:
                continue
            answered += 1
            alone = {"accounts": items} | ({} if currency is None else {"currency": currency})
            detailed = documents._detailed_document_from_dict(alone).accounts
            assert strict(tuple(built)) == strict(detailed), name
            one_by_one = FastReader()
            assert [one_by_one.account(i, currency) for i in copy.deepcopy(items)] == built
            assert one_by_one.pairs == reader.pairs, name
        assert 0 < answered < len(MUTATIONS)

    @pytest.mark.parametrize("name", sorted(CROSS_REFERENCES))
    def test_a_reference_to_another_accounts_invoice(self, name: str) -> None:
        """A record naming an invoice of another account read in the same batch is refused
        (that account is read in detail, and the error is the detailed path's).
        """
        items = two_accounts({}, CROSS_REFERENCES[name])
        assert _batched(copy.deepcopy(items)) == (None, 0)
        doc = {"accounts": items}
        fast = outcome(functools.partial(portfolio_document_from_dict, doc))
        detailed = outcome(functools.partial(documents._detailed_document_from_dict, doc))
        assert fast[0] == "error"
        assert fast == detailed

    def test_the_same_number_in_two_accounts(self) -> None:
        """Two accounts may each have an invoice A-1, each named by its own payment."""
        payment = {"date": "2026-01-05", "amount": "1.00 EUR", "applies_to": ["A-1"]}
        items = two_accounts({"payments": [payment]}, {})
        items[1]["invoices"] = copy.deepcopy(items[0]["invoices"])
        items[1]["payments"] = [payment]
        built, _ = _batched(copy.deepcopy(items))
        assert built is not None
        assert [a.payments[0].applies_to for a in built] == [("A-1",), ("A-1",)]
        assert built == list(documents._detailed_document_from_dict({"accounts": items}).accounts)

    def test_a_number_twice_in_one_account(self) -> None:
        """An account with the invoice A-1 twice is refused, whatever the other accounts."""
        items = two_accounts({}, {})
        items[0]["invoices"] *= 2
        assert _batched(items) == (None, 0)

    def test_accounts_in_two_currencies(self) -> None:
        """A batch of accounts in two currencies is refused; each is still read by itself."""
        items = [{"id": "A", "currency": "EUR"}, {"id": "B", "currency": "USD"}]
        assert _batched(items) == (None, 0)
        assert FastReader().accounts(items, None) == [Account("A", "EUR"), Account("B", "USD")]

    def test_only_the_odd_account_is_left(self) -> None:
        """In a long list of accounts read in chunks, only an account the fast path cannot
        read is None: the others of its chunk are read one by one.
        """
        items: list[Any] = [{"id": f"C-{i}", "currency": "EUR"} for i in range(3 * CHUNK + 2)]
        items[CHUNK + 3]["colour"] = "red"
        read = FastReader().accounts(items, None)
        assert [i for i, acct in enumerate(read) if acct is None] == [CHUNK + 3]
        assert [acct.id for acct in read if acct is not None] == [
            item["id"] for item in items if "colour" not in item
        ]

    @pytest.mark.parametrize(("invoices", "chunk"), [(0, CHUNK), (4, 42), (200, 2), (900, 1)])
    def test_the_chunk_follows_the_size_of_the_accounts(self, invoices: int, chunk: int) -> None:
        """After a batch, as many accounts are read at once as make about 3/5 of the
        collector's threshold of new objects (700 by default), at most `CHUNK`, at least one.
        """
        if gc.get_threshold()[0] != 700:
            pytest.skip("the figures are those of the default threshold")  # pragma: no cover
        reader = FastReader()
        item = {
            "id": "A",
            "currency": "EUR",
            "invoices": [
                {"number": f"I-{k}", "issued": "2026-01-01", "due": "2026-02-01", "amount": "5 EUR"}
                for k in range(invoices)
            ],
        }
        assert reader.batch([item], None) is not None
        assert reader.chunk == chunk


class TestPlainPromise:
    def test_it_is_read_fast(self) -> None:
        """A promise without installments is read by the fast path to the constructor's."""
        acct = FastReader().account(
            {"id": "A", "currency": "EUR", "promises": [PLAIN_PROMISE]}, None
        )
        assert acct is not None
        assert strict(acct.promises) == strict(
            (
                Promise(
                    date(2026, 10, 10),
                    Money("200", "EUR"),
                    date(2026, 10, 20),
                    "Bo",
                    (),
                    2,
                    "by phone",
                ),
            )
        )

    def test_every_field_made_wrong(self) -> None:
        """Each field of such a promise removed or changed in every way reads as by the
        detailed path: the same records, or the same error.
        """
        differ = []
        for key in [*PLAIN_PROMISE, "installments"]:
            changes: list[Any] = [_MISSING_FIELD, *VALUES, 10**6, date.max.isoformat()]
            for value in changes:
                promise = {k: v for k, v in PLAIN_PROMISE.items() if k != key}
                if value is not _MISSING_FIELD:
                    promise[key] = value
                doc = {"accounts": [{"id": "A", "currency": "EUR", "promises": [promise]}]}
                fast = outcome(functools.partial(portfolio_document_from_dict, doc))
                detailed = outcome(functools.partial(documents._detailed_document_from_dict, doc))
                if fast != detailed:
                    differ.append((key, value, fast, detailed))
        assert differ == []


_MISSING_FIELD = object()


class TestColumns:
    def test_records_built_a_field_at_a_time(self) -> None:
        """Records built a column at a time equal those of the constructor, defaults set."""
        amount = Money("12.50", "EUR")
        built = _Columns(Invoice).build(
            2,
            {
                "number": ["I-1", "I-2"],
                "issued": [date(2026, 1, 1)] * 2,
                "due": [date(2026, 2, 1)] * 2,
                "amount": [amount] * 2,
            },
        )
        assert built == [
            Invoice("I-1", date(2026, 1, 1), date(2026, 2, 1), amount),
            Invoice("I-2", date(2026, 1, 1), date(2026, 2, 1), amount),
        ]

    def test_a_column_of_another_length(self) -> None:
        """A column not as long as the records to build is an error, not a short record."""
        with pytest.raises(ValueError, match=r"^1 values of 'name' for 2 Contact records$"):
            _Columns(Contact).build(2, {"name": ["Bo"]})

    def test_a_field_without_default(self) -> None:
        """A field with no default must be given a column."""
        with pytest.raises(KeyError, match="'name'"):
            _Columns(Contact).build(1, {})


class TestAmounts:
    @given(
        st.lists(
            st.sampled_from(["0", "-0", "-0.00", "12", "12.5", "12.50", "-3.10", "7 USD", "x"])
            | st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
            min_size=1,
            max_size=8,
        )
    )
    @settings(max_examples=100, deadline=None)
    def test_all_at_once_as_one_by_one(self, numbers: list[str]) -> None:
        """Amounts read all at once give the Money (digits and all) read one by one gives,
        and are refused together if any one is; `any_not_positive` says if any is <= 0.
        """
        values = [n if " " in n else f"{n} EUR" for n in numbers]
        one_by_one = _Amounts.of("EUR")
        try:
            expected = {v: one_by_one.read(v) for v in values}
        except _SlowError:
            expected = None
        at_once = _Amounts.of("EUR")
        try:
            at_once.read_all(set(values))
        except _SlowError:
            assert expected is None
            return
        assert expected is not None
        assert strict(at_once.seen) == strict(expected)
        assert at_once.any_not_positive == any(m.amount <= 0 for m in expected.values())
        assert at_once.any_not_positive == one_by_one.any_not_positive


class TestSize:
    @pytest.mark.parametrize(
        ("text", "refused"),
        [
            ("a" * 50, False),
            ("a" * 51, True),
            ("é" * 25, False),
            ("é" * 26, True),
            ("é" * 13, False),
        ],
    )
    def test_the_bound_is_in_utf8_bytes(self, text: str, refused: bool) -> None:
        """Text is measured in UTF-8 bytes: ASCII a byte per character (known without
        encoding it), "é" two.
        """
        if not refused:
            documents.check_size(text, "p", 50)
            return
        with pytest.raises(DataError) as exc:
            documents.check_size(text, "p", 50)
        assert str(exc.value) == (
            f"p: 1 problem\n  the data is {len(text.encode())} bytes, more than the 50 bytes "
            "allowed; pass a larger max_bytes= to read it"
        )


class TestSharedTuples:
    def test_one_tuple_per_invoice_paid(self) -> None:
        """Payments of one invoice each share one ``applies_to`` tuple per number, also in a
        batch where another payment pays two.
        """
        invoices = [
            {"number": n, "issued": "2026-01-01", "due": "2026-02-01", "amount": "5.00 EUR"}
            for n in ("I-1", "I-2")
        ]

        def pay(*numbers: str) -> dict[str, Any]:
            return {"date": "2026-01-05", "amount": "1.00 EUR", "applies_to": list(numbers)}

        items = [
            {
                "id": "A",
                "currency": "EUR",
                "invoices": invoices,
                "payments": [pay("I-1"), pay("I-1", "I-2")],
            },
            {"id": "B", "currency": "EUR", "invoices": invoices, "payments": [pay("I-1"), pay()]},
        ]
        built, _ = _batched(copy.deepcopy(items))
        assert built is not None
        assert built == _account_by_account(items)[0]
        (a1, a2), (b1, b2) = (acct.payments for acct in built)
        assert (a1.applies_to, a2.applies_to, b1.applies_to, b2.applies_to) == (
            ("I-1",),
            ("I-1", "I-2"),
            ("I-1",),
            (),
        )
        assert a1.applies_to is b1.applies_to
