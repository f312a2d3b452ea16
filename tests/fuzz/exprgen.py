"""Random well-typed expressions of the rule language, as text, by type (hypothesis).

Each strategy draws the source text of an expression of one type: ``number``, ``money`` (EUR),
``duration``, ``date``, ``bool``. Leaves are facts (optional ones included), literals (with
edge values: digits beyond the decimal context, dates at the ends of the calendar) and, inside
an aggregate's ``where``, the invoice's fields. Every compound is parenthesized, so precedence
never decides the type.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["TYPES", "by_type"]

TYPES = ("number", "money", "duration", "date", "bool")

_NUMBERS = st.one_of(
    st.integers(0, 1000).map(str),
    st.sampled_from(["0", "1", "2.5", "0.001", "1,000", "1_000", "99999999", "9" * 59, "80%"]),
)
_NUMBER_FACTS = st.sampled_from(
    [
        "days_past_due",
        "days_since_payment",
        "days_since_contact",
        "account.risk",
        "promises.kept",
        "promises.broken",
        "promises.partially_kept",
        "promises.kept_rate",
        "count(invoices)",
        "sum(invoices.days_past_due)",
        "max(invoices.days_past_due)",
    ]
)
_MONEY_FACTS = st.sampled_from(
    [
        "overdue",
        "balance",
        "current",
        "undisputed_overdue",
        "unapplied",
        "dispute.amount",
        "promise.amount",
        "promise.paid",
        "account.credit_limit",
        "last_payment.amount",
        "sum(invoices.open)",
        "max(invoices.amount)",
        "min(invoices.open)",
    ]
)
_DATE_FACTS = st.sampled_from(
    [
        "today",
        "oldest_due",
        "promise.due",
        "promise.made_on",
        "last_payment.date",
        "last_contact.date",
        "account.customer_since",
        "min(invoices.due)",
        "max(invoices.issued)",
    ]
)
_BOOL_FACTS = st.sampled_from(
    [
        "promise.active",
        "promise.broken",
        "dispute.open",
        "has billing",
        "has decision_maker",
        'account.tags contains "key"',
        '"key" in account.tags',
        'account.country in ["DE", "AT"]',
        "last_contact.outcome == irate",
        "last_contact.channel == call",
        "dispute.reason == pricing_error",
        "any(invoices.disputed)",
        "true",
        "false",
    ]
)
_DURATIONS = st.one_of(
    st.integers(0, 400).map(lambda d: f"{d} days"),
    st.integers(0, 50).map(lambda w: f"{w} weeks"),
    st.sampled_from(["1 day", "9999999999 days", "account.terms"]),
)
_DATES = st.one_of(
    st.dates().map(lambda d: f"{d:%Y}-{d:%m}-{d:%d}"),
    st.sampled_from(["0001-01-01", "9999-12-31", "2026-11-23"]),
)
_WHERE = st.sampled_from(
    [
        "overdue",
        "disputed",
        "not delivered",
        "days_past_due > 30",
        "open > 100 EUR",
        "due < today",
        'po_number == "PO-77"',
        'tags contains "x"',
    ]
)


def _p(text: str) -> str:
    return f"({text})"


def by_type(kind: str, depth: int = 3) -> st.SearchStrategy[str]:
    """Draw the text of an expression of type *kind*, nested at most *depth* levels."""
    if depth <= 0:
        return _leaf(kind)
    sub = {k: st.deferred(lambda k=k: by_type(k, depth - 1)) for k in TYPES}  # type: ignore[misc]
    return st.one_of(_leaf(kind), _leaf(kind), _compound(kind, sub))


def _leaf(kind: str) -> st.SearchStrategy[str]:
    return {
        "number": st.one_of(_NUMBERS, _NUMBER_FACTS),
        "money": st.one_of(_NUMBERS.map(lambda n: f"{n} EUR"), _MONEY_FACTS),
        "duration": _DURATIONS,
        "date": st.one_of(_DATES, _DATE_FACTS),
        "bool": _BOOL_FACTS,
    }[kind]


def _bin(
    a: st.SearchStrategy[str], ops: list[str], b: st.SearchStrategy[str]
) -> st.SearchStrategy[str]:
    return st.tuples(a, st.sampled_from(ops), b).map(lambda t: _p(f"{t[0]} {t[1]} {t[2]}"))


def _call(func: str, *args: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*args).map(lambda a: f"{func}({', '.join(a)})")


def _cond(kind: str, sub: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    return st.tuples(sub[kind], sub["bool"], sub[kind]).map(
        lambda t: _p(f"{t[0]} if {t[1]} else {t[2]}")
    )


def _compound(kind: str, sub: dict[str, st.SearchStrategy[str]]) -> st.SearchStrategy[str]:
    n, m, d, t, b = (sub[k] for k in TYPES)
    options: list[st.SearchStrategy[str]] = [_cond(kind, sub)]
    if kind == "number":
        options += [
            _bin(n, ["+", "-", "*", "/"], n),
            _bin(m, ["/"], m),
            _bin(d, ["/"], d),
            n.map(lambda x: _p(f"-{x}")),
            _call("abs", n),
            _call("days", d),
            _call("round", n),
            _call("round", n, st.sampled_from(["0", "2", "99999999"])),
            _call("min", n, n),
            _call("max", n, n),
            _WHERE.map(lambda w: f"count(invoices where {w})"),
        ]
    elif kind == "money":
        options += [
            _bin(m, ["+", "-"], m),
            _bin(m, ["*", "/"], n),
            _bin(n, ["*"], m),
            m.map(lambda x: _p(f"-{x}")),
            _call("abs", m),
            _call("round", m),
            _call("min", m, m),
            _call("max", m, m),
            _WHERE.map(lambda w: f"sum(invoices.open where {w})"),
            _WHERE.map(lambda w: f"max(invoices.amount where {w})"),
        ]
    elif kind == "duration":
        options += [
            _bin(d, ["+", "-"], d),
            _bin(d, ["*"], n),
            _bin(n, ["*"], d),
            _bin(t, ["-"], t),
            _call("abs", d),
            _call("min", d, d),
        ]
    elif kind == "date":
        options += [_bin(t, ["+", "-"], d), _call("min", t, t), _call("max", t, t)]
    else:
        comparisons = ["==", "!=", "<", "<=", ">", ">="]
        options += [
            _bin(b, ["and", "or"], b),
            b.map(lambda x: _p(f"not {x}")),
            _bin(n, comparisons, n),
            _bin(m, comparisons, m),
            _bin(d, comparisons, d),
            _bin(t, comparisons, t),
            st.tuples(n, n, n).map(lambda x: _p(f"{x[0]} between {x[1]} and {x[2]}")),
            st.tuples(m, m, m).map(lambda x: _p(f"{x[0]} between {x[1]} and {x[2]}")),
            _WHERE.map(lambda w: f"any(invoices where {w})"),
            _WHERE.map(lambda w: f"all(invoices where {w})"),
        ]
    return st.one_of(*options)
