"""Harness 3: mutated portfolios (YAML, JSON, CSV, dicts) and the Python constructors.

A reader either returns accounts that plan, or refuses with a `DataError` whose every problem
has the path of its field. A constructor either builds a valid record or raises an
`ArcollectError`; a string where a collection belongs is refused, never split into characters.
"""

from __future__ import annotations

import functools
import json
import random
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
import yaml

from arcollect import (
    Account,
    Activity,
    Contact,
    Dispute,
    Installment,
    Invoice,
    Money,
    Payment,
    Policy,
    Promise,
    dump_portfolio,
    facts,
    parse_ibm_csv,
    parse_policy,
    parse_portfolio,
    portfolio_from_dict,
)
from arcollect.convert import documents
from arcollect.errors import DataError
from fuzz.common import AS_OF, csv_sample, portfolio_text, rule_files
from fuzz.mutate import HOSTILE_VALUES, mutate_text, mutate_tree
from fuzz.oracle import Campaign, describe


@functools.cache
def standard() -> Policy:
    return parse_policy(dict(rule_files())["standard.arc"], name="standard.arc")


@functools.cache
def standard_usd() -> Policy:
    return parse_policy(dict(rule_files())["standard-usd.arc"], name="standard-usd.arc")


@functools.cache
def portfolio_tree() -> Any:
    return yaml.safe_load(portfolio_text())


@functools.cache
def written_tree() -> Any:
    """The example portfolio as `dump_portfolio` writes it (every account reads fast)."""
    return json.loads(dump_portfolio(parse_portfolio(portfolio_text()), format="json"))


def _json_default(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def use(
    c: Campaign, accounts: tuple[Account, ...], policy: Policy, repro: Callable[[], str]
) -> None:
    """Read accounts must have facts and plan: a reader must not accept what cannot be used."""

    def run() -> None:
        for acct in accounts:
            facts(acct, AS_OF)
        plan = policy.plan(accounts, as_of=AS_OF)
        plan.to_json()

    c.run(
        run,
        lambda: repro() + f"\n# then: facts() and {policy.name!r}.plan(accounts, as_of={AS_OF!r})",
    )


def read(c: Campaign, text: str, fmt: str) -> None:
    """Read a portfolio text under the oracle, then use what it read."""

    def repro() -> str:
        return f"from arcollect import parse_portfolio\naccounts = parse_portfolio({text!r}, format={fmt!r})"  # noqa: E501

    accounts = c.run(lambda: parse_portfolio(text, format=fmt, source=f"p.{fmt}"), repro)
    if accounts is not None:
        use(c, accounts, standard(), repro)


def streamed(c: Campaign, text: str) -> None:
    """Read a JSON text one account at a time (as texts from `STREAM_FROM` are): the stream
    either leaves it to the whole-text readers (None), or reads exactly what they read.
    """

    def repro() -> str:
        return f"from arcollect.convert import documents\ndocuments._stream_json({text!r})"

    def run() -> None:
        got = documents._stream_json(text)
        if got is None:
            return
        try:
            whole = documents._parse_document(text, "json", "p.json", 1 << 30, fast=False)
        except DataError as exc:
            raise AssertionError(f"streamed what the detailed reader refuses: {exc}") from None
        if got != whole:
            raise AssertionError("streamed other records than the detailed reader read")

    c.run(run, repro)


@pytest.mark.fuzz_harness("data")
class TestPortfolioTexts:
    def test_mutated_yaml_and_json_portfolios(self, campaign: Campaign, rng: random.Random) -> None:
        """Every byte/token/line or structure mutant of the example portfolio is read and planned, or refused with located problems."""  # noqa: E501
        while campaign.time_left():
            choice = rng.randrange(4)
            if choice == 0:
                read(campaign, mutate_text(portfolio_text(), rng), "yaml")
            elif choice == 1:
                tree = mutate_tree(portfolio_tree(), rng)
                try:
                    text = yaml.safe_dump(tree, sort_keys=False, allow_unicode=True)
                except (ValueError, RecursionError, yaml.YAMLError):
                    continue
                read(campaign, text, "yaml")
            else:
                tree = mutate_tree(portfolio_tree(), rng)
                try:
                    text = json.dumps(tree, default=_json_default)
                except (ValueError, RecursionError):
                    continue
                if choice == 3:
                    text = mutate_text(text, rng)
                read(campaign, text, "json")
                streamed(campaign, text)
                # The example as `dump_portfolio` writes it takes the fast path (the example
                # itself has forms that only the detailed path reads): mutate that too.
                tree = mutate_tree(written_tree(), rng)
                try:
                    text = json.dumps(tree, default=_json_default)
                except (ValueError, RecursionError):
                    continue
                streamed(campaign, mutate_text(text, rng) if choice == 3 else text)
        campaign.check()

    def test_duplicate_json_keys_are_refused(self, campaign: Campaign, rng: random.Random) -> None:
        """A JSON object with the same key twice is refused, never read with one of the values dropped."""  # noqa: E501
        tree = json.loads(json.dumps(portfolio_tree(), default=_json_default))
        while campaign.time_left():
            acct = rng.choice(tree["accounts"])
            key = rng.choice(sorted(acct))
            pairs = [*acct.items(), (key, acct[key])]
            rng.shuffle(pairs)
            obj = "{" + ", ".join(f"{json.dumps(k)}: {json.dumps(v)}" for k, v in pairs) + "}"
            text = '{"currency": "EUR", "accounts": [' + obj + "]}"
            accounts = campaign.run(
                lambda text=text: parse_portfolio(text, format="json"),  # type: ignore[misc]
                lambda text=text: f"parse_portfolio({text!r}, format='json')",  # type: ignore[misc]
            )
            if accounts is not None:
                campaign.wrong(
                    "duplicate JSON key accepted",
                    "convert.py:parse_portfolio",
                    f"key {key!r} appears twice in an account and the file was read",
                    lambda text=text: f"parse_portfolio({text!r}, format='json')",  # type: ignore[misc]
                )
            if len(campaign.findings) and campaign.inputs > 20:
                break
        campaign.check()


@pytest.mark.fuzz_harness("dicts")
class TestPortfolioDicts:
    def test_mutated_dicts(self, campaign: Campaign, rng: random.Random) -> None:
        """portfolio_from_dict reads every mutated tree or refuses it with located problems, and never reads a grouped amount as a decimal."""  # noqa: E501
        while campaign.time_left():
            tree = mutate_tree(portfolio_tree(), rng)

            def repro(tree: Any = tree) -> str:
                return f"from arcollect import portfolio_from_dict\nportfolio_from_dict({describe(tree, 3000)})"  # noqa: E501

            accounts = campaign.run(lambda tree=tree: portfolio_from_dict(tree), repro)  # type: ignore[misc]
            if accounts is not None:
                use(campaign, accounts, standard(), repro)
        for amount in ("1.000", "2.500 EUR", "12.345"):
            tree = {
                "accounts": [
                    {
                        "id": "A",
                        "currency": "EUR",
                        "invoices": [
                            {
                                "number": "I",
                                "issued": "2026-10-01",
                                "due": "2026-10-31",
                                "amount": amount,
                            }
                        ],
                    }
                ]
            }
            accounts = campaign.run(
                lambda tree=tree: portfolio_from_dict(tree),  # type: ignore[misc]
                lambda tree=tree: f"portfolio_from_dict({tree!r})",  # type: ignore[misc]
            )
            if accounts is not None:
                campaign.wrong(
                    "grouped amount read as a decimal",
                    "convert.py:_structure_money",
                    f"{amount!r} read as {accounts[0].invoices[0].amount}",
                    lambda tree=tree: f"portfolio_from_dict({tree!r})",  # type: ignore[misc]
                )
        campaign.check()


_CSV_VALUES = (
    "9" * 100,
    "1.000",
    "",
    "2/30/2013",
    "13/1/2013",
    "1/1/0001",
    '"a\rb"',
    '"' + "x" * 131_073 + '"',
    "Maybe",
    "-5",
    "NaN",
    "1e999",
)


@pytest.mark.fuzz_harness("csv")
class TestCsv:
    def test_mutated_csv(self, campaign: Campaign, rng: random.Random) -> None:
        """Every mutant of an IBM CSV sample is read and planned, or refused with problems naming the line and column."""  # noqa: E501
        base = csv_sample()
        lines = base.rstrip("\n").split("\n")
        while campaign.time_left():
            if rng.random() < 0.5:
                text = mutate_text(base, rng)
            else:
                rows = list(lines)
                i = rng.randrange(1, len(rows))
                fields = rows[i].split(",")
                fields[rng.randrange(len(fields))] = rng.choice(_CSV_VALUES)
                rows[i] = ",".join(fields)
                text = "\n".join(rows) + "\n"

            def repro(text: str = text) -> str:
                return f"from arcollect import parse_ibm_csv\nparse_ibm_csv({describe(text, 4000)})"

            accounts = campaign.run(lambda text=text: parse_ibm_csv(text, currency="USD"), repro)  # type: ignore[misc]
            if accounts is not None:
                use(campaign, accounts, standard_usd(), repro)
        campaign.check()


def _eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


D1 = date(2026, 10, 1)
D2 = date(2026, 10, 31)
#: Each constructor with valid keyword arguments; the harness breaks one at a time.
CONSTRUCTORS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "Money": (Money, {"amount": Decimal("10.00"), "currency": "EUR"}),
    "Invoice": (
        Invoice,
        {
            "number": "INV-1",
            "issued": D1,
            "due": D2,
            "amount": _eur("100"),
            "po_number": "PO-1",
            "delivered": True,
            "tags": frozenset({"x"}),
        },
    ),
    "Payment": (Payment, {"date": D2, "amount": _eur("10"), "applies_to": ("INV-1",)}),
    "Contact": (
        Contact,
        {"name": "Jane Roe", "roles": frozenset({"billing"}), "preferred_channel": "email"},
    ),
    "Installment": (Installment, {"due": D2, "amount": _eur("5")}),
    "Promise": (Promise, {"made_on": D1, "amount": _eur("50"), "due": D2, "grace_days": 2}),
    "Dispute": (
        Dispute,
        {"opened": D2, "reason": "pricing_error", "invoices": ("INV-1",), "amount": _eur("5")},
    ),
    "Activity": (Activity, {"date": D2, "channel": "email", "step": "reminder", "outcome": "sent"}),
    "Account": (
        Account,
        {
            "id": "C-1",
            "currency": "EUR",
            "name": "Acme",
            "credit_limit": _eur("1000"),
            "terms": 30,
            "tags": frozenset({"key"}),
            "risk": Decimal(5),
            "locale": "de_DE",
            "customer_since": D1,
            "contacts": (Contact("Jane", roles=frozenset({"billing"})),),
            "invoices": (Invoice("INV-1", issued=D1, due=D2, amount=_eur("100")),),
            "payments": (Payment(date=D2, amount=_eur("10"), applies_to=("INV-1",)),),
            "promises": (Promise(made_on=D1, amount=_eur("50"), due=D2),),
            "disputes": (Dispute(opened=D2, invoices=("INV-1",)),),
            "activities": (Activity(date=D2, channel="email"),),
        },
    ),
}
#: Fields that hold a collection: a string there must be refused.
COLLECTIONS = {
    "tags",
    "roles",
    "applies_to",
    "invoices",
    "contacts",
    "payments",
    "promises",
    "disputes",
    "activities",
    "installments",
}
_WRONG = (
    *HOSTILE_VALUES,
    date(1, 1, 1),
    date(9999, 12, 31),
    Decimal("1e999"),
    Decimal("NaN"),
    {"name": "Jane"},
    ({"name": "Jane"},),
    _eur("1"),
    Money(Decimal(1), "USD"),
    object(),
)


@pytest.mark.fuzz_harness("constructors")
class TestConstructors:
    def test_constructors_refuse_wrong_values(self, campaign: Campaign, rng: random.Random) -> None:
        """Each constructor, given one wrong value, raises an ArcollectError or builds a record that plans; strings are never split into characters."""  # noqa: E501
        while campaign.time_left():
            name = rng.choice(sorted(CONSTRUCTORS))
            cls, good = CONSTRUCTORS[name]
            field = rng.choice(sorted(good))
            value = rng.choice(_WRONG)
            kwargs = {**good, field: value}

            def repro(name: str = name, field: str = field, value: Any = value) -> str:
                return f"from arcollect import *\n{name}(**{{**valid_{name.lower()}_kwargs, {field!r}: {describe(value)}}})"  # noqa: E501

            built = campaign.run(lambda cls=cls, kwargs=kwargs: cls(**kwargs), repro, direct=True)  # type: ignore[misc]
            if built is None:
                continue
            if field in COLLECTIONS and isinstance(value, str):
                campaign.wrong(
                    "string accepted where a collection belongs",
                    f"domain:{name}.{field}",
                    f"{name}({field}={describe(value)}) gave {getattr(built, field)!r}",
                    repro,
                )
            if isinstance(built, Account):
                use(campaign, (built,), standard(), repro)
        campaign.check()
