"""arcollect.frame._expr: policy expressions as polars expressions, equal to the row engine."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, event, given, note, settings
from hypothesis import strategies as st

from arcollect import Account, ArcollectError, CurrencyMismatchError, DataError, Money
from arcollect.domain import currency_exponent
from arcollect.errors import PolicyError
from arcollect.facts import AccountFacts, facts
from arcollect.lang.ir import TExpr
from arcollect.lang.types import Kind
from arcollect.policy import Policy, load_policy, parse_policy
from arcollect.testing import account, activity, contact, invoice, payment, promise
from strategies import accounts

pl = pytest.importorskip("polars")

from arcollect.frame._expr import FALLBACK, Translation, facts_frame, translate  # noqa: E402

AS_OF = date(2026, 11, 23)
RAISES = object()

# -- generated expressions -------------------------------------------------------------------


@attrs.frozen
class G:
    """A generated expression: its text, and whether the translator must translate it."""

    text: str
    ok: bool = True


NUMBER_FACTS = [
    "days_past_due",
    "promises.kept",
    "promises.broken",
    "promises.partially_kept",
    "days_since_payment",
    "days_since_contact",
]
MONEY_FACTS = [
    "balance",
    "overdue",
    "current",
    "undisputed_overdue",
    "unapplied",
    "interest",
    "fees",
    "claim",
    "dispute.amount",
    "account.credit_limit",
    "promise.amount",
    "promise.paid",
    "last_payment.amount",
]
DATE_FACTS = [
    "today",
    "oldest_due",
    "account.customer_since",
    "promise.due",
    "promise.made_on",
    "last_payment.date",
    "last_contact.date",
]
STRING_FACTS = [
    "account.id",
    "account.name",
    "account.currency",
    "account.collector",
    "account.country",
    "account.locale",
]
BOOL_FACTS = [
    "contact.email",
    "contact.phone",
    "promise.active",
    "promise.broken",
    "dispute.open",
    "snoozed",
]
ENUMS = {
    "last_contact.outcome": ["sent", "reached", "irate", "refused", "promise", "no_answer"],
    "last_contact.channel": ["email", "letter", "call", "sms", "visit"],
    "dispute.reason": ["pricing_error", "missing_po", "damaged", "other"],
}
#: Divisors, and whether their quotients terminate (2**a * 5**b * 10**k).
DIVISORS = [("2", True), ("4", True), ("8", True), ("10", True), ("1000", True), ("0.5", True)]
DIVISORS += [("12.5", True), ("0.25", True), ("3", False), ("7", False), ("6", False)]
STRINGS = ["C-1", "EUR", "USD", "key", "DE", "", "x", "en_US"]

KINDS = ["number", "money", "duration", "date", "string", "bool"]


def _join(fmt: str, *parts: G, ok: bool = True) -> G:
    return G(fmt.format(*(p.text for p in parts)), ok and all(p.ok for p in parts))


def number_literals() -> st.SearchStrategy[G]:
    """Numbers as written: whole, with 1, 2 or 4 decimals (3 would read as grouping), or %."""
    plain = st.builds(
        lambda n, places: format(Decimal(n).scaleb(-places), "f"),
        st.integers(0, 10**6),
        st.sampled_from([0, 0, 1, 2, 4]),
    )
    percent = st.builds(lambda n: f"{n}%", st.sampled_from(["5", "12.5", "80", "100"]))
    return st.one_of(plain, percent).map(G)


def money_literals(cur: str, *, nonzero: bool = False) -> st.SearchStrategy[G]:
    """Amounts in *cur* with no more decimals than it has (and never exactly three)."""
    places = min(2, currency_exponent(cur))
    return st.builds(
        lambda n: G(f"{format(Decimal(n).scaleb(-places), 'f')} {cur}"),
        st.integers(1 if nonzero else 0, 10**8),
    )


def leaves(kind: str, cur: str, refs: bool) -> st.SearchStrategy[G]:
    """The facts and literals of *kind* (and the lets ``n0``, ``m0``, segment ``s0``)."""
    if kind == "number":
        return st.one_of(
            st.sampled_from(NUMBER_FACTS).map(G),
            number_literals(),
            *([st.just(G("n0"))] if refs else []),
        )
    if kind == "money":
        return st.one_of(
            st.sampled_from(MONEY_FACTS).map(G),
            money_literals(cur),
            *([st.just(G("m0"))] if refs else []),
        )
    if kind == "duration":
        return st.one_of(
            st.just(G("account.terms")),
            st.integers(2, 400).map(lambda n: G(f"{n} days")),
            st.sampled_from(["1 day", "2 weeks", "1 week"]).map(G),
        )
    if kind == "date":
        return st.one_of(
            st.sampled_from(DATE_FACTS).map(G),
            st.dates(date(2025, 6, 1), date(2027, 6, 1)).map(lambda d: G(d.isoformat())),
        )
    if kind == "string":
        return st.one_of(
            st.sampled_from(STRING_FACTS).map(G),
            st.sampled_from(STRINGS).map(lambda s: G(f'"{s}"')),
        )
    return st.one_of(
        st.sampled_from(BOOL_FACTS).map(G),
        st.sampled_from(["true", "false", "has decision_maker", "has billing"]).map(G),
        *([st.just(G("s0"))] if refs else []),
    )


@functools.cache
def expressions(
    kind: str, cur: str, depth: int, *, refs: bool = True, leafy: bool = True
) -> st.SearchStrategy[G]:
    """Expressions of *kind* at most *depth* operators deep, money literals in *cur*.

    *leafy*: or a bare fact or literal (else at least one operator).
    """
    leaf = leaves(kind, cur, refs)
    if depth == 0:
        return leaf

    def sub(k: str) -> st.SearchStrategy[G]:
        return expressions(k, cur, depth - 1, refs=refs)

    def build(fmt: str, *kinds: str) -> st.SearchStrategy[G]:
        return st.tuples(*(sub(k) for k in kinds)).map(lambda ps: _join(fmt, *ps))

    def divided(numerator: str, unit: Callable[[str], str]) -> st.SearchStrategy[G]:
        return st.tuples(sub(numerator), st.sampled_from(DIVISORS)).map(
            lambda p: G(f"({p[0].text} / {unit(p[1][0])})", p[0].ok and p[1][1])
        )

    cond = "({} if {} else {})"
    options: list[st.SearchStrategy[G]] = [leaf] if leafy else []
    options.append(build(cond, kind, "bool", kind))
    if kind == "number":
        options += [
            build("({} + {})", "number", "number"),
            build("({} - {})", "number", "number"),
            build("({} * {})", "number", "number"),
            build("(-{})", "number"),
            build("min({}, {})", "number", "number"),
            build("max({}, {})", "number", "number"),
            build("abs({})", "number"),
            build("round({})", "number"),
            build("round({}, 1)", "number"),
            build("days({})", "duration"),
            build("day_of_month({})", "date"),
            build("weekday({})", "date"),
            divided("number", lambda d: d),
            divided("money", lambda d: f"{d} {cur}"),
            divided("duration", lambda d: f"{d} days" if "." not in d else "10 days"),
        ]
    elif kind == "money":
        options += [
            build("({} + {})", "money", "money"),
            build("({} - {})", "money", "money"),
            build("({} * {})", "money", "number"),
            build("({} * {})", "number", "money"),
            build("(-{})", "money"),
            build("min({}, {})", "money", "money"),
            build("max({}, {})", "money", "money"),
            build("abs({})", "money"),
            build("round({})", "money"),
            build("round({}, 1)", "money"),
            divided("money", lambda d: d),
        ]
    elif kind == "duration":
        options += [
            build("({} + {})", "duration", "duration"),
            build("({} - {})", "duration", "duration"),
            build("({} - {})", "date", "date"),
            build("({} * {})", "duration", "number"),
            build("(-{})", "duration"),
            build("abs({})", "duration"),
        ]
    elif kind == "date":
        options += [
            build("({} + {})", "date", "duration"),
            build("({} - {})", "date", "duration"),
            build("({} + {})", "duration", "date"),
            build("end_of_month({})", "date"),
        ]
    elif kind == "bool":
        ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
        orderable = st.sampled_from(["number", "money", "duration", "date", "string"])
        options += [
            st.tuples(orderable, ops).flatmap(lambda p: build(f"({{}} {p[1]} {{}})", p[0], p[0])),
            orderable.flatmap(lambda k: build("({} between {} and {})", k, k, k)),
            st.sampled_from(sorted(ENUMS)).flatmap(
                lambda f: st.tuples(
                    st.sampled_from(["==", "!=", "in", "not in"]),
                    st.lists(st.sampled_from(ENUMS[f]), min_size=1, max_size=3),
                ).map(
                    lambda p: (
                        G(f"({f} {p[0]} {p[1][0]})")
                        if p[0] in ("==", "!=")
                        else G(f"({f} {p[0]} [{', '.join(p[1])}])")
                    )
                )
            ),
            st.tuples(orderable, st.sampled_from(["in", "not in"]), st.integers(1, 3)).flatmap(
                lambda p: st.tuples(
                    sub(p[0]), st.lists(sub(p[0]), min_size=p[2], max_size=p[2])
                ).map(
                    lambda q: G(
                        f"({q[0].text} {p[1]} [{', '.join(i.text for i in q[1])}])",
                        q[0].ok and all(i.ok for i in q[1]),
                    )
                )
            ),
            build("({} in account.tags)", "string"),
            st.sampled_from(["key", "x", "a"]).map(lambda t: G(f'(account.tags contains "{t}")')),
            build("({} and {})", "bool", "bool"),
            build("({} or {})", "bool", "bool"),
            build("(not {})", "bool"),
            build("({} == {})", "bool", "bool"),
        ]
    return st.one_of(*options)


def money_conditions(cur: str) -> st.SearchStrategy[G]:
    """Conditions on money: comparisons, ``between`` and lists of amounts, joined by and/or."""
    money = expressions("money", cur, 2)
    op = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
    compare = st.tuples(money, op, money).map(lambda p: _join(f"({{}} {p[1]} {{}})", p[0], p[2]))
    between = st.tuples(money, money, money).map(lambda p: _join("({} between {} and {})", *p))
    listed = st.tuples(money, st.lists(money, min_size=1, max_size=3)).map(
        lambda p: G(
            f"({p[0].text} in [{', '.join(i.text for i in p[1])}])",
            p[0].ok and all(i.ok for i in p[1]),
        )
    )
    one = st.one_of(compare, between, listed)
    joined = st.tuples(one, st.sampled_from(["and", "or"]), one).map(
        lambda p: _join(f"({{}} {p[1]} {{}})", p[0], p[2])
    )
    return st.one_of(one, joined)


@attrs.frozen
class Case:
    """A generated policy with one expression ``x`` to translate, and accounts to run it on."""

    policy: Policy
    text: str
    ok: bool
    currency: str
    accounts: tuple[Account, ...]
    as_of: date


@st.composite
def cases(draw: st.DrawFn, *, mixed: bool = False, numbers: bool = False) -> Case:
    """Draw a policy (lets ``n0``, ``m0``, segment ``s0``, let ``x``) and accounts of one currency.

    Money literals are in one currency; the header names it or no currency; the accounts are
    mostly in it, sometimes in another (so money meets two currencies when evaluated); if
    *mixed*, always in another, and the expression a condition or money; if *numbers*, the
    expression is a number.
    """
    cur = draw(st.sampled_from(["EUR", "JPY", "KWD", "USD"]))
    header = draw(st.sampled_from([f"  currency {cur}\n", ""]))
    if mixed:
        acct_cur = "GBP"
        kind = draw(st.sampled_from(["bool", "money"]))
    else:
        acct_cur = draw(st.sampled_from([cur, cur, cur, "EUR", "GBP"]))
        kind = "number" if numbers else draw(st.sampled_from(KINDS))
    n0 = draw(expressions("number", cur, 1, refs=False))
    m0 = draw(expressions("money", cur, 1, refs=False))
    s0 = draw(expressions("bool", cur, 1, refs=False))
    if mixed and kind == "bool":
        x = draw(money_conditions(cur))
    else:
        x = draw(expressions(kind, cur, 3, leafy=False))
    text = f'policy "t"\n{header}let n0 = {n0.text}\nlet m0 = {m0.text}\n'
    text += f"segment s0 when {s0.text}\nlet x = {x.text}\n"
    try:
        policy = parse_policy(text, name="t.arc")
    except PolicyError:  # a constant out of bounds, say; rare
        assume(False)  # noqa: FBT003 - hypothesis' own signature
        raise
    accts = draw(st.lists(accounts(currency=acct_cur, max_invoices=3), min_size=1, max_size=3))
    as_of = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 500)))
    used = [
        d for name, d in (("n0", n0), ("m0", m0), ("s0", s0)) if re.search(rf"\b{name}\b", x.text)
    ]
    ok = x.ok and all(d.ok for d in used)
    return Case(policy, text, ok, acct_cur if acct_cur == cur else "", tuple(accts), as_of)


def row_value(policy: Policy, expr: TExpr, f: AccountFacts) -> Any:
    """The row engine's value of *expr* for *f*, or `RAISES`."""
    try:
        return policy.interpreter.evaluate(expr, f)
    except ArcollectError:
        return RAISES


def frame_values(t: Translation, fs: Sequence[AccountFacts]) -> list[Any]:
    return t.values(facts_frame(fs, t.reads))


def same(got: Any, want: Any) -> bool:
    """The same value, as the row engine sees it (int days and Decimal numbers alike)."""
    if isinstance(want, bool) or isinstance(got, bool):
        return type(got) is type(want) and got == want
    return bool(got == want)


#: The constructs whose bounds checks may fall back on rows the row engine evaluates (a value
#: beyond 2**126 in between); elsewhere a fallback must be a row the row engine refuses.
_TOLERANT_OF_FALLBACK = ("*", "/", "round(", "days(")


def check_case(case: Case) -> None:
    """Assert the translation of ``x`` gives the row engine's value on every account."""
    policy = case.policy
    note(case.text)
    expr = policy.checked.lets["x"]
    currency = case.currency or case.accounts[0].currency
    t = translate(expr, policy.checked, currency=currency)
    if not case.ok:
        assert t is None, case.text
        return
    if t is None:
        assert not case.currency, f"declined: {case.text}"  # two currencies in an if-else
        event("declined: two currencies")
        return
    event(f"translated {t.type.kind.value}")
    fs = [facts(a, case.as_of) for a in case.accounts]
    got = frame_values(t, fs)
    for f, value in zip(fs, got, strict=True):
        want = row_value(policy, expr, f)
        if want is RAISES:
            event("row engine raises")
            assert value is FALLBACK, (case.text, f.account.id)
        elif value is FALLBACK:  # only bounds guards fall back on rows that evaluate
            event("fallback without an error")
            assert any(s in case.text for s in _TOLERANT_OF_FALLBACK), case.text
        else:
            assert same(value, want), (case.text, f.account.id, value, want)
            if t.exact_text and t.type.kind in (Kind.NUMBER, Kind.MONEY):
                event("printed as the row engine prints it")
                assert str(value) == str(want), (case.text, f.account.id, value, want)


class TestProperty:
    @settings(
        max_examples=1000,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(cases())
    def test_matches_row_engine(self, case: Case) -> None:
        """Each account's translated value is the row engine's; where it raises, a fallback."""
        check_case(case)

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(cases(numbers=True))
    def test_numbers_print_alike(self, case: Case) -> None:
        """Numbers: the row engine's values, printed alike (exponents, negative zeros)."""
        check_case(case)

    @settings(
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(cases(mixed=True))
    def test_two_currencies(self, case: Case) -> None:
        """Accounts in another currency than the literals': where the row engine raises."""
        check_case(case)


STANDARD = load_policy(Path(__file__).parent.parent / "rules" / "standard.arc")
STANDARD_EXPRS = [
    *(s.when for t in STANDARD.checked.timelines for s in t.steps if s.when is not None),
    *(s.unless for t in STANDARD.checked.timelines for s in t.steps if s.unless is not None),
    *(p for t in STANDARD.checked.timelines for p in t.pause_while),
    *(p for t in STANDARD.checked.timelines for p in t.restart_when),
    *(r.condition for r in STANDARD.checked.channel if r.condition is not None),
    *STANDARD.checked.segments.values(),
    *([STANDARD.checked.priority.score] if STANDARD.checked.priority.score is not None else []),
]


class TestStandardPolicy:
    def test_every_condition_and_the_score_translate(self) -> None:
        """rules/standard.arc's conditions and score are all translated, none declined."""
        assert len(STANDARD_EXPRS) == 12
        for e in STANDARD_EXPRS:
            assert translate(e, STANDARD.checked, currency="EUR") is not None, e.text

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        st.lists(accounts(currency="EUR", max_invoices=4), min_size=1, max_size=4),
        st.integers(0, 500),
    )
    def test_values_match_row_engine(self, accts: list[Account], day: int) -> None:
        """On generated accounts, each condition and the score equal the row engine's values."""
        fs = [facts(a, date(2026, 1, 1) + timedelta(days=day)) for a in accts]
        for e in STANDARD_EXPRS:
            t = translate(e, STANDARD.checked, currency="EUR")
            assert t is not None
            want = [row_value(STANDARD, e, f) for f in fs]
            got = frame_values(t, fs)
            assert [same(g, w) for g, w in zip(got, want, strict=True)] == [True] * len(fs)
            assert t.exact_text
            assert [str(g) for g in got] == [str(w) for w in want], e.text


# -- worked cases ----------------------------------------------------------------------------

ACCOUNT = account(
    contact("Jane Roe", "decision_maker"),
    invoice("12000 EUR", due="2026-10-01", issued="2026-09-01"),
    invoice("980 EUR", due="2026-12-10"),
    payment("2000 EUR", on="2026-10-20", to=["INV-1"]),
    promise("10000 EUR", due="2026-11-15", made="2026-11-02"),
    activity("2026-11-12", "call", "first_call", outcome="irate"),
    id="C-9",
    tags=frozenset({"key", "wholesale"}),
    terms=30,
    country="DE",
    customer_since=date(2019, 4, 1),
)
EMPTY = account(id="C-0", currency="EUR")


def let(expr: str, *, header: str = "  currency EUR\n", extra: str = "") -> tuple[Policy, TExpr]:
    policy = parse_policy(f'policy "t"\n{header}{extra}let x = {expr}\n', name="t.arc")
    return policy, policy.checked.lets["x"]


def run(expr: str, accts: Sequence[Account] = (ACCOUNT, EMPTY), **kw: str) -> list[Any]:
    """The translated values of *expr* for *accts*, after checking them against the row engine."""
    policy, typed = let(expr, **kw)
    t = translate(typed, policy.checked, currency=accts[0].currency)
    assert t is not None
    fs = [facts(a, AS_OF) for a in accts]
    got = frame_values(t, fs)
    for f, value in zip(fs, got, strict=True):
        want = row_value(policy, typed, f)
        assert value is FALLBACK if want is RAISES else same(value, want)
    return got


def eur(x: str) -> Money:
    return Money(Decimal(x), "EUR")


class TestAbsentValues:
    def test_order_with_absent_is_false(self) -> None:
        """``<`` and ``>=`` with an absent value are both false, as in the row engine."""
        assert run("last_payment.date < today") == [True, False]
        assert run("last_payment.date >= today") == [False, False]

    def test_equality_with_absent(self) -> None:
        """``==`` holds only between two absent values; ``!=`` is its negation."""
        assert run("last_contact.outcome == irate") == [True, False]
        assert run("last_contact.outcome != irate") == [False, True]
        assert run("last_payment.date == promise.due") == [False, True]
        assert run("account.name == account.collector") == [True, True]

    def test_arithmetic_with_absent_is_absent(self) -> None:
        """A sum with an absent value is absent, and a condition reading it false."""
        assert run("days_since_payment + 1") == [Decimal(35), None]
        assert run("days_since_contact between 1 and 20") == [True, False]
        assert run("min(days_since_payment, 5)") == [Decimal(5), None]

    def test_in_with_absent(self) -> None:
        """An absent value is in no set of tags, but is in a written list holding an absent."""
        assert run("account.country in account.tags") == [False, False]
        assert run('account.country in ["DE", account.name]') == [True, True]
        assert run('account.country not in ["DE", "AT"]') == [False, True]


class TestScales:
    def test_money_and_number_scales(self) -> None:
        """Money (minor units) and numbers of other scales compare exactly."""
        assert run("overdue * 12.5% >= 1,250 EUR") == [True, False]
        assert run("overdue * 12.5% > 1,250 EUR") == [False, False]
        assert run("overdue / 1,000 EUR * 10 + days_past_due * 2") == [
            Decimal(100) + Decimal(53) * 2,
            Decimal(0),
        ]

    def test_money_times_a_number_rounds_half_to_even(self) -> None:
        """Money times a number is rounded half to even to the minor unit, as `Money` rounds."""
        acct = account(invoice("0.05 EUR", due="2026-10-01"), id="R")
        assert run("overdue * 0.5", [acct]) == [eur("0.02")]
        assert run("overdue * 0.5 == 0.02 EUR", [acct]) == [True]

    def test_yen_has_no_minor_unit(self) -> None:
        """A frame in JPY counts whole yen; a third of 10 yen rounds as `Money` rounds."""
        acct = account(invoice("10 JPY", due="2026-10-01"), id="Y", currency="JPY")
        assert run("overdue / 4 * 3", [acct], header="  currency JPY\n") == [
            Money(Decimal(6), "JPY")
        ]

    def test_a_division_that_python_rounds_is_declined(self) -> None:
        """``/ 3`` would be rounded to 60 digits: declined, as is a division by a fact."""
        for text in ("overdue / 3 > 5 EUR", "overdue / current > 5", "10 / days_past_due > 1"):
            policy, typed = let(text)
            assert translate(typed, policy.checked, currency="EUR") is None


class TestPrinted:
    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("1000 / 0.5", ["2.00E+3", "2.00E+3"]),
            ("days_past_due / 4", ["13.25", "0"]),
            ("overdue / 1,000 EUR * 10", ["100", "0"]),
            ("2.50 * 4", ["10.00", "10.00"]),
            ("0.5 * 12.25 * 80%", ["4.90000", "4.90000"]),  # 80% is 0.80
            ("(-days_past_due) * 0", ["-0", "0"]),
            ("round(-0.4)", ["-0", "-0"]),
            ("(1.0 - 1.0) * -1 - 0", ["-0.0", "-0.0"]),
            ("max(1.0, 1)", ["1.0", "1.0"]),
            ("min(1, 1.0)", ["1", "1"]),
            ("(days_past_due if true else 1.5)", ["53", "0"]),
            ("overdue * 10%", ["1000.00 EUR", "0.00 EUR"]),
        ],
    )
    def test_numbers_print_as_the_row_engine_prints_them(self, text: str, shown: list[str]) -> None:
        """Each value has the row engine's Decimal exponent and sign of zero, so prints alike."""
        assert [str(v) for v in run(text)] == shown

    def test_the_standard_score(self) -> None:
        """rules/standard.arc's score prints as the row engine prints it."""
        score = STANDARD.checked.priority.score
        assert score is not None
        t = translate(score, STANDARD.checked, currency="EUR")
        assert t is not None
        assert t.exact_text
        fs = [facts(ACCOUNT, AS_OF), facts(EMPTY, AS_OF)]
        assert [str(v) for v in frame_values(t, fs)] == ["271", "0"]
        assert [str(row_value(STANDARD, score, f)) for f in fs] == ["271", "0"]


class TestSetsAndTags:
    def test_tags(self) -> None:
        """``contains`` and ``in`` read the list of tags."""
        assert run('account.tags contains "key"') == [True, False]
        assert run('"wholesale" in account.tags') == [True, False]
        assert run('"x" not in account.tags') == [True, True]

    def test_written_lists(self) -> None:
        """Members of enumerations and amounts in written lists."""
        assert run("last_contact.outcome in [irate, refused]") == [True, False]
        assert run("last_contact.channel not in [call]") == [False, True]
        assert run("overdue in [10,000 EUR, 1 EUR]") == [True, False]
        assert run("days_past_due in [53, 0]") == [True, True]


class TestDates:
    def test_dates_and_durations(self) -> None:
        """Dates minus dates, plus durations, and the calendar functions."""
        assert run("today - oldest_due") == [timedelta(days=53), None]
        assert run("account.customer_since + 30 days") == [date(2019, 5, 1), None]
        assert run("end_of_month(promise.due)") == [date(2026, 11, 30), None]
        assert run("weekday(today) + day_of_month(today)") == [Decimal(24), Decimal(24)]
        assert run("account.terms * 1.5") == [timedelta(days=45), None]
        assert run("days(today - oldest_due) > 45") == [True, False]

    def test_a_date_out_of_range_falls_back(self) -> None:
        """Where the row engine's date overflows, the row is marked for the fallback."""
        acct = account(id="D", currency="EUR", terms=999_999_999)
        assert run("today + account.terms * 10 > today", [acct, EMPTY]) == [FALLBACK, False]
        assert run("end_of_month(9999-12-05) > today", [EMPTY]) == [FALLBACK]


class TestCurrencies:
    def test_two_currencies_fall_back(self) -> None:
        """An account in USD compared with EUR amounts falls back; where absent it does not."""
        usd = account(invoice("5 USD", due="2026-10-01"), id="U-1", currency="USD")
        none = account(id="U-2", currency="USD")
        assert run("overdue >= 100 EUR", [usd, none], header="") == [FALLBACK, FALLBACK]
        assert run("account.credit_limit >= 100 EUR", [usd], header="") == [False]
        assert run("promise.active and overdue > 1 EUR", [usd], header="") == [False]

    def test_absent_amounts_of_two_currencies_are_equal_in_a_list(self) -> None:
        """An absent sum is in a list holding an absent amount, whatever the currencies."""
        none = account(id="U-2", currency="USD")
        text = "(account.credit_limit + 0 EUR) in [account.credit_limit]"
        assert run(text, [none], header="") == [True]

    def test_round_of_huge_money_falls_back(self) -> None:
        """``round`` of money past 10**18, which `Money` refuses, falls back."""
        assert run("round(overdue * 10,000,000,000,000,000)", [ACCOUNT]) == [FALLBACK]

    def test_an_if_between_currencies_is_declined(self) -> None:
        """An ``if ... else`` choosing between two currencies is declined."""
        policy, typed = let(
            "(overdue if key else 5 EUR) > 1 EUR", header="", extra="let key = true\n"
        )
        assert translate(typed, policy.checked, currency="USD") is None


class TestEvaluation:
    def test_literal_subexpressions_keep_the_frame_height(self) -> None:
        """An expression polars' eager engine sized as one row has one value per account."""
        text = (
            "(balance if (537 in [(days_past_due if contact.email else 0)])"
            " else (round(0.00 EUR) / 2))"
        )
        assert run(text) == [eur("0"), eur("0")]


class TestDeclined:
    @pytest.mark.parametrize(
        "text",
        [
            "count(invoices) > 1",
            "sum(invoices.open where disputed) > 0 EUR",
            "any(invoices where not delivered)",
            "times(reminder) >= 2",
            "account.risk > 5",
            "promises.kept_rate > 50%",
            "days_past_due / 7 > 1",
            "account.tags == account.tags",
            '(account.tags if promise.active else account.tags) contains "key"',
        ],
    )
    def test_declined(self, text: str) -> None:
        """Aggregates, times, inexact facts, rounding divisions and sets compared or chosen."""
        extra = 'timeline t for all\n  step reminder 1 day past due email "r"\n'
        policy = parse_policy(f'policy "t"\n  currency EUR\nlet x = {text}\n{extra}', name="t.arc")
        assert translate(policy.checked.lets["x"], policy.checked, currency="EUR") is None


class TestLetsAndSegments:
    def test_inlined(self) -> None:
        """Lets and segments are inlined from the checked policy."""
        extra = 'let big = overdue >= 5,000 EUR\nsegment key when account.tags contains "key"\n'
        assert run("big and key", extra=extra) == [True, False]
        policy, typed = let("big and key", extra=extra)
        t = translate(typed, policy.checked, currency="EUR")
        assert t is not None
        assert t.reads == frozenset({"overdue", "account.tags"})


class TestFactsFrame:
    def test_columns(self) -> None:
        """Money in minor units, dates, tags, enumerations and roles, absent as null."""
        frame = facts_frame(
            [facts(ACCOUNT, AS_OF), facts(EMPTY, AS_OF)],
            ["overdue", "last_payment.date", "account.tags", "last_contact.outcome", "has billing"],
        )
        assert frame.schema == pl.Schema(
            {
                "account.id": pl.String,
                "account.tags": pl.List(pl.String),
                "has billing": pl.Boolean,
                "last_contact.outcome": pl.String,
                "last_payment.date": pl.Date,
                "overdue": pl.Int64,
            }
        )
        assert frame.rows() == [
            ("C-9", ["key", "wholesale"], False, "irate", date(2026, 10, 20), 1_000_000),
            ("C-0", [], False, None, None, 0),
        ]

    def test_one_currency(self) -> None:
        """Accounts of two currencies cannot share a frame."""
        usd = account(id="U", currency="USD")
        with pytest.raises(CurrencyMismatchError) as exc:
            facts_frame([facts(ACCOUNT, AS_OF), facts(usd, AS_OF)], ["overdue"])
        assert str(exc.value) == (
            "accounts in EUR and USD cannot share a facts frame: make one frame per currency"
        )

    def test_declined_facts_have_no_column(self) -> None:
        """A fact the translation declines has no column."""
        with pytest.raises(DataError) as exc:
            facts_frame([facts(ACCOUNT, AS_OF)], ["account.risk"])
        assert str(exc.value) == "names: a facts frame has no column 'account.risk'"
