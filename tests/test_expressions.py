"""Expression semantics: values on given facts, through generated code and the interpreter."""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from arcollect import Account, EvaluationError, Money, facts
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.facts import AccountFacts
from arcollect.lang.ir import TExpr
from arcollect.policy import Policy, load_policy, parse_policy
from arcollect.testing import account, activity, contact, dispute, invoice, payment, promise
from strategies import accounts

AS_OF = date(2026, 11, 23)


def eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


D = Decimal

ACCOUNT = account(
    contact("Jane Roe", "decision_maker"),
    contact("Max Muster", "billing"),
    invoice("12000 EUR", due="2026-10-01", issued="2026-09-01", po_number="PO-77"),
    invoice("3400 EUR", due="2026-11-14"),
    invoice("980 EUR", due="2026-12-10"),
    invoice("500 EUR", due="2026-11-20", delivered=False),
    payment("2000 EUR", on="2026-10-20", to=["INV-1"]),
    promise("10000 EUR", due="2026-11-15", made="2026-11-02"),
    dispute("INV-2", opened="2026-11-18", reason="pricing_error", amount=eur("500")),
    activity("2026-10-02", "email", "reminder", outcome="sent"),
    activity("2026-11-12", "call", "first_call", outcome="irate"),
    id="C-9",
    tags=frozenset({"key", "wholesale"}),
    credit_limit=eur("50000"),
    terms=30,
    risk=D("7.5"),
    country="DE",
    locale="de_DE",
    customer_since=date(2019, 4, 1),
)
EMPTY = account(id="C-0", currency="EUR")

# The account above, as of 2026-11-23: INV-1 has 10,000 open (53 days past due), INV-2 3,400
# (9 days, disputed for 500), INV-4 500 (3 days, not delivered), INV-3 980 not yet due.
TABLE: list[tuple[str, Any]] = [
    ("1 + 2 * 3", D(7)),
    ("(1 + 2) * 3", D(9)),
    ("10 / 4", D("2.5")),
    ("7 - 10", D(-3)),
    ("-5 + 2", D(-3)),
    ("1,000 + 1_000", D(2000)),
    ("12.5 * 2", D(25)),
    ("80%", D("0.8")),
    ("50% * 10", D(5)),
    ("1 / 3 * 3", D("0." + "9" * 60)),  # exact to 60 digits, then rounded half to even
    ("overdue", eur("13900")),
    ("overdue + 100 EUR", eur("14000")),
    ("overdue - current", eur("12920")),
    ("overdue / 1,000 EUR", D("13.9")),
    ("overdue * 10%", eur("1390")),
    ("overdue / 3", eur("4633.33")),
    ("-overdue", eur("-13900")),
    ("balance", eur("14880")),
    ("undisputed_overdue", eur("13400")),
    ("unapplied", eur("0")),
    ("days_past_due", 53),
    ("days_past_due * 2", D(106)),
    ("days_past_due / 2", D("26.5")),
    ("days_past_due / days_since_contact", MONEY_CONTEXT.divide(D(53), D(11))),
    ("oldest_due", date(2026, 10, 1)),
    ("today", AS_OF),
    ("today - 180 days", date(2026, 5, 27)),
    ("today - oldest_due", timedelta(days=53)),
    ("days(today - oldest_due)", D(53)),
    ("2 weeks + 1 day", timedelta(days=15)),
    ("3 * 7 days", timedelta(days=21)),
    ("2 weeks / 7 days", D(2)),
    ("account.customer_since > today - 180 days", False),
    ('account.tags contains "key"', True),
    ('"wholesale" in account.tags', True),
    ('account.country in ["DE", "AT"]', True),
    ('account.country not in ["DE", "AT"]', False),
    ("account.credit_limit >= 250,000 EUR", False),
    ("account.terms", timedelta(days=30)),
    ("account.risk > 5", True),
    ('account.id == "C-9"', True),
    ("promise.active", False),
    ("promise.broken", True),
    ("promise.amount", eur("10000")),
    ("promise.due", date(2026, 11, 15)),
    ("promises.broken * 15", 15),
    ("promises.kept_rate", D("0.0000")),
    ("dispute.open", True),
    ("dispute.amount", eur("500")),
    ("dispute.reason == pricing_error", True),
    ('dispute.reason == "pricing_error"', True),
    ("dispute.reason in [pricing_error, missing_po]", True),
    ("last_contact.outcome == irate", True),
    ("last_contact.channel == call", True),
    ("last_contact.outcome != irate", False),
    ("last_contact.date + 7 days", date(2026, 11, 19)),
    ("days_since_contact", 11),
    ("days_since_payment > 30", True),
    ("days_since_payment - days_since_contact", 23),
    ("last_payment.amount", eur("2000")),
    ("has decision_maker", True),
    ("has billing", True),
    ("has executive", False),
    ("count(invoices)", 4),
    ("count(invoices where days_past_due > 30)", 1),
    ("count(invoices where overdue)", 3),
    ('count(invoices where po_number == "PO-77")', 1),
    ("sum(invoices.open)", eur("14880")),
    ("sum(invoices.open where disputed)", eur("3400")),
    ("sum(invoices.days_past_due)", 65),
    ("any(invoices where not delivered)", True),
    ("all(invoices where delivered)", False),
    ("any(invoices.disputed)", True),
    ("max(invoices.days_past_due)", 53),
    ("min(invoices.due)", date(2026, 10, 1)),
    ("max(invoices.open where days_past_due > 100)", None),
    ("min(1, 2, 3)", D(1)),
    ("max(overdue, 20,000 EUR)", eur("20000")),
    ("abs(-5)", D(5)),
    ("abs(current - overdue)", eur("12920")),
    ("round(2.5)", D(2)),
    ("round(3.5)", D(4)),
    ("round(3.14159, 2)", D("3.14")),
    ("round(overdue / 7)", eur("1986")),
    ("days_past_due between 30 and 60", True),
    ("overdue between 10,000 EUR and 20,000 EUR", True),
    ('(50 if account.tags contains "key" else 0)', D(50)),
    ("promise.active or dispute.open", True),
    ("not promise.active and days_past_due >= 45", True),
    ("true and false", False),
    ("overdue > 5,000 EUR or last_contact.outcome == irate", True),
]

# An account with no history: absent values compare false, `==` only with absent.
ABSENT_TABLE: list[tuple[str, Any]] = [
    ("last_payment.date < today", False),
    ("last_payment.date >= today", False),
    ("last_contact.outcome == irate", False),
    ("last_contact.outcome != irate", True),
    ("days_since_payment + 1", None),
    ("not (days_since_contact > 30)", True),
    ("days_since_contact between 1 and 5", False),
    ("max(invoices.open)", None),
    ("sum(invoices.open)", eur("0")),
    ("count(invoices)", 0),
    ("min(days_since_payment, 5)", None),
    ("promise.active", False),
    ("promises.kept_rate", None),
    ("account.credit_limit > 0 EUR", False),
]


def compile_let(expr: str) -> tuple[Policy, TExpr]:
    policy = parse_policy(f'policy "t"\n  currency EUR\nlet x = {expr}\n', name="t.arc")
    return policy, policy.checked.lets["x"]


def both(expr: str, f: AccountFacts) -> tuple[Any, Any]:
    policy, typed = compile_let(expr)
    return policy.compile(typed)(f), policy.trace(typed, f)[0]


class TestSemantics:
    @pytest.mark.parametrize(("expr", "expected"), TABLE, ids=[e for e, _ in TABLE])
    def test_value(self, expr: str, expected: Any) -> None:
        """The expression has the hand-computed value, in generated code and interpreter alike."""
        compiled, interpreted = both(expr, facts(ACCOUNT, AS_OF))
        assert compiled == expected
        assert interpreted == expected
        assert type(compiled) is type(expected) or isinstance(expected, int)

    @pytest.mark.parametrize(("expr", "expected"), ABSENT_TABLE, ids=[e for e, _ in ABSENT_TABLE])
    def test_absent_values(self, expr: str, expected: Any) -> None:
        """Absent facts follow the documented rules in both evaluators."""
        compiled, interpreted = both(expr, facts(EMPTY, AS_OF))
        assert compiled == expected
        assert interpreted == expected

    def test_table_size(self) -> None:
        """The table has at least 60 expressions."""
        assert len(TABLE) + len(ABSENT_TABLE) >= 60

    def test_global_decimal_context_is_ignored(self) -> None:
        """A tiny process-wide Decimal precision does not change results."""
        policy, typed = compile_let("overdue / 1,000 EUR * 10 + days_past_due / 3")
        f = facts(ACCOUNT, AS_OF)
        expected = policy.compile(typed)(f)
        with decimal.localcontext() as ctx:
            ctx.prec = 2
            assert policy.compile(typed)(f) == expected
            assert policy.trace(typed, f)[0] == expected


class TestEvaluationErrors:
    def test_currency_known_only_at_run_time(self) -> None:
        """An account in another currency than the policy's gets a clear evaluation error."""
        policy, typed = compile_let("overdue >= 100 EUR")
        usd = account(invoice("5 USD", due="2026-10-01"), id="U-1")
        with pytest.raises(EvaluationError) as exc:
            policy.compile(typed)(facts(usd, AS_OF))
        assert str(exc.value) == (
            "t.arc:3:9: cannot evaluate `overdue >= 100 EUR` for account 'U-1': "
            "cannot compare USD and EUR: convert to one currency first"
        )

    def test_division_by_zero(self) -> None:
        """Dividing by zero is an evaluation error naming the expression and the account."""
        policy, typed = compile_let("overdue / current")
        with pytest.raises(EvaluationError) as exc:
            policy.compile(typed)(facts(account(id="Z", currency="EUR"), AS_OF))
        assert str(exc.value) == (
            "t.arc:3:9: cannot evaluate `overdue / current` for account 'Z': division by zero"
        )


class TestExplanations:
    def test_trace_names_each_deciding_value(self) -> None:
        """The interpreter records every comparison and boolean fact with its value."""
        policy, typed = compile_let(
            "days_past_due >= 45 and not promise.active and last_contact.outcome == irate"
        )
        value, trace = policy.trace(typed, facts(ACCOUNT, AS_OF))
        assert value is True
        assert trace == [
            "days_past_due = 53 >= 45",
            "promise.active = false",
            "last_contact.outcome = irate == irate",
        ]

    def test_trace_of_a_failing_comparison_shows_the_negation(self) -> None:
        """A comparison that fails is shown with the operator that held instead."""
        policy, typed = compile_let("overdue >= 25,000 EUR")
        _, trace = policy.trace(typed, facts(ACCOUNT, AS_OF))
        assert trace == ["overdue = 13900.00 EUR < 25,000 EUR"]


STANDARD = load_policy(Path(__file__).parent.parent / "rules" / "standard.arc")
_EXPRS = [
    *(s.when for t in STANDARD.checked.timelines for s in t.steps if s.when is not None),
    *(s.unless for t in STANDARD.checked.timelines for s in t.steps if s.unless is not None),
    *(p for t in STANDARD.checked.timelines for p in t.pause_while),
    *(r.condition for r in STANDARD.checked.channel if r.condition is not None),
    *STANDARD.checked.segments.values(),
]
if STANDARD.checked.priority.score is not None:
    _EXPRS.append(STANDARD.checked.priority.score)
_COMPILED = [STANDARD.compile(e) for e in _EXPRS]


class TestGeneratedCodeMatchesInterpreter:
    @settings(max_examples=150)
    @given(accounts())
    def test_standard_policy_expressions(self, acct: Account) -> None:
        """Every expression of the standard policy has one value in both evaluators."""
        f = facts(acct, AS_OF)
        for expr, fn in zip(_EXPRS, _COMPILED, strict=True):
            try:
                fast = fn(f)
            except EvaluationError:
                with pytest.raises(Exception):  # noqa: B017, PT011 - same failure, other path
                    STANDARD.trace(expr, f)
                continue
            assert fast == STANDARD.trace(expr, f)[0]

    def test_string_literals_never_become_code(self) -> None:
        """A string that looks like Python is a constant, absent from the generated source."""
        policy, typed = compile_let("account.id == \"__import__('os').system('x')\"")
        compiled = policy.compile(typed)
        assert "__import__" not in compiled.source
        assert compiled(facts(ACCOUNT, AS_OF)) is False


class TestBetweenEvaluatesEveryBound:
    def test_an_error_in_the_upper_bound_is_an_error_in_both_evaluators(self) -> None:
        """``x between lo and hi`` evaluates hi even when x < lo, in both evaluators.

        Found by the fuzz suite: Python's chained comparison skipped the upper bound, so the
        generated code said false where the interpreter failed on a division by zero.
        """
        policy, typed = compile_let("1 between 2 and 1 / (promises.broken - promises.broken)")
        f = facts(ACCOUNT, AS_OF)
        with pytest.raises(EvaluationError):
            policy.compile(typed)(f)
        with pytest.raises(EvaluationError):
            policy.trace(typed, f)
