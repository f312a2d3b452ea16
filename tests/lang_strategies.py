"""Hypothesis strategies for rule-language syntax trees.

The trees are syntactically valid (they have a canonical text that parses back to them) but not
necessarily meaningful: names need not be facts, operand types need not match.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from hypothesis import strategies as st
from lark.lexer import PatternStr

from arcollect.lang import ast
from arcollect.lang.parser import _grammar

#: Every word the grammar uses as a keyword: generated names avoid them all.
KEYWORDS = frozenset(
    t.pattern.value
    for t in _grammar().terminals
    if isinstance(t.pattern, PatternStr) and t.pattern.value.isidentifier()
)
#: Every punctuation mark of the grammar.
PUNCTUATION = frozenset(
    t.pattern.value
    for t in _grammar().terminals
    if isinstance(t.pattern, PatternStr) and not t.pattern.value.isidentifier()
)

identifiers = st.one_of(
    st.sampled_from(["overdue", "key", "account", "tags", "days_past_due", "irate", "x", "_a1"]),
    st.from_regex(r"[a-z_][a-z0-9_]{0,7}", fullmatch=True),
).filter(lambda s: s not in KEYWORDS)

#: Names where the grammar accepts only a name, so keywords read as names there too.
loose_identifiers = st.one_of(identifiers, st.sampled_from(["hold", "call", "due", "on", "visit"]))

currencies = st.sampled_from(["EUR", "USD", "JPY", "ABC"])
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
decimals = st.one_of(
    st.integers(min_value=0, max_value=10**12).map(Decimal),
    st.decimals(min_value=0, max_value=10**7, places=2, allow_nan=False, allow_infinity=False),
)
_SURROGATES: list[Literal["Cs"]] = ["Cs"]
_BIN_OPS: tuple[ast.BinOp, ...] = ("+", "-", "*", "/")
_COMP_OPS: tuple[ast.CompOp, ...] = ("==", "!=", "<", "<=", ">", ">=")
_BOOL_OPS: tuple[Literal["and", "or"], ...] = ("and", "or")

texts = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8", exclude_categories=_SURROGATES),
        st.sampled_from('"\\\n\t\r#'),
    ),
    max_size=12,
)


def durations() -> st.SearchStrategy[ast.DurationLit]:
    """Draw a duration in days, or in whole weeks."""
    days = st.builds(ast.DurationLit, days=st.integers(0, 5000))
    weeks = st.integers(0, 500).map(lambda w: ast.DurationLit(days=7 * w, unit="week"))
    return st.one_of(days, weeks)


def money() -> st.SearchStrategy[ast.MoneyLit]:
    """Draw an amount of money."""
    return st.builds(ast.MoneyLit, amount=decimals, currency=currencies)


def names() -> st.SearchStrategy[ast.Name]:
    """Draw a name of one to three parts."""
    return st.lists(identifiers, min_size=1, max_size=3).map(lambda p: ast.Name(parts=tuple(p)))


def literals() -> st.SearchStrategy[ast.Expr]:
    """Draw any literal."""
    return st.one_of(
        st.builds(ast.NumberLit, value=decimals),
        st.builds(ast.PercentLit, value=decimals),
        money(),
        durations(),
        st.builds(ast.DateLit, value=dates),
        st.builds(ast.StringLit, value=texts),
        st.builds(ast.BoolLit, value=st.booleans()),
    )


def _compound(children: st.SearchStrategy[ast.Expr]) -> st.SearchStrategy[ast.Expr]:
    two = st.tuples(children, children)
    aggregate = st.builds(
        ast.Aggregate,
        func=st.sampled_from(["count", "sum", "any", "all", "max", "min"]),
        collection=identifiers,
        field=st.none() | identifiers,
        where=st.none() | children,
    )
    calls = st.one_of(
        st.builds(
            ast.Call,
            func=st.sampled_from(["min", "max"]),
            args=st.lists(children, min_size=2, max_size=3).map(tuple),
        ),
        st.builds(ast.Call, func=st.sampled_from(["abs", "days"]), args=st.tuples(children)),
        st.builds(
            ast.Call,
            func=st.just("round"),
            args=st.lists(children, min_size=1, max_size=2).map(tuple),
        ),
    )
    return st.one_of(
        st.builds(ast.Unary, operand=children),
        two.flatmap(
            lambda lr: st.sampled_from(_BIN_OPS).map(
                lambda op: ast.Binary(op=op, left=lr[0], right=lr[1])
            )
        ),
        two.flatmap(
            lambda lr: st.sampled_from(_COMP_OPS).map(
                lambda op: ast.Compare(op=op, left=lr[0], right=lr[1])
            )
        ),
        two.flatmap(
            lambda lr: st.sampled_from(_BOOL_OPS).map(
                lambda op: ast.BoolOp(op=op, left=lr[0], right=lr[1])
            )
        ),
        st.builds(ast.Not, operand=children),
        st.builds(ast.In, item=children, collection=children, negated=st.booleans()),
        st.builds(ast.Contains, container=children, item=children),
        st.builds(ast.Between, value=children, low=children, high=children),
        st.builds(ast.Conditional, then=children, condition=children, otherwise=children),
        aggregate,
        calls,
        st.builds(ast.SetLiteral, items=st.lists(children, max_size=3).map(tuple)),
    )


def expressions() -> st.SearchStrategy[ast.Expr]:
    """Draw an expression tree of a dozen leaves at most."""
    leaves = st.one_of(literals(), names(), st.builds(ast.HasRole, role=loose_identifiers))
    return st.recursive(leaves, _compound, max_leaves=12)


def _opt(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def headers() -> st.SearchStrategy[ast.Header]:
    """Draw a policy header."""
    calendars = st.builds(
        ast.Calendar,
        days=st.sampled_from(["weekdays", "all"]),
        holidays=st.lists(dates, max_size=3).map(tuple),
    )
    return st.builds(
        ast.Header,
        name=texts,
        version=_opt(st.integers(0, 10**6)),
        currency=_opt(currencies),
        locale=_opt(identifiers),
        calendar=_opt(calendars),
        timezone=_opt(texts),
        roles=st.lists(loose_identifiers, max_size=3).map(tuple),
        deadline=st.none() | st.integers(1, 365),
    )


_TEMPLATE_KINDS: dict[str, st.SearchStrategy[str | None]] = {
    "email": st.builds(str, texts),
    "letter": st.builds(str, texts),
    "sms": st.builds(str, texts),
    "call": _opt(texts),
    "voicemail": _opt(texts),
    "visit": _opt(texts),
    "review": _opt(texts),
    "hold_shipments": st.none(),
    "release_hold": st.none(),
    "refer_agency": st.none(),
    "refer_attorney": st.none(),
}


def actions() -> st.SearchStrategy[ast.Action]:
    """Draw a step action, with a template where the action takes one."""
    return st.sampled_from(sorted(_TEMPLATE_KINDS)).flatmap(
        lambda kind: _TEMPLATE_KINDS[kind].map(
            lambda template: ast.Action(kind=kind, template=template)
        )
    )


def timings() -> st.SearchStrategy[ast.StepTiming]:
    """Draw a step timing, of every form (the checker judges the names and the order)."""
    return st.one_of(
        st.builds(
            ast.StepTiming,
            relation=st.sampled_from(["before_due", "past_due", "past_due_eom", "after_issue"]),
            offset=durations(),
        ),
        st.builds(
            ast.StepTiming, relation=st.just("after_step"), offset=durations(), after=identifiers
        ),
        st.just(ast.StepTiming(relation="on_due")),
    )


def steps() -> st.SearchStrategy[ast.Step]:
    """Draw a timeline step with any modifiers."""
    return st.builds(
        ast.Step,
        name=loose_identifiers,
        timing=timings(),
        action=actions(),
        per_invoice=st.booleans(),
        to_role=_opt(loose_identifiers),
        with_role=_opt(loose_identifiers),
        when=_opt(expressions()),
        unless=_opt(expressions()),
        repeat=_opt(st.builds(ast.Repeat, every=durations(), until=_opt(durations()))),
        min_interval=_opt(durations()),
        approval=_opt(loose_identifiers),
        required=st.booleans(),
        max_times=_opt(st.integers(min_value=0, max_value=99)),
    )


def timelines() -> st.SearchStrategy[ast.Timeline]:
    """Draw a timeline."""
    return st.builds(
        ast.Timeline,
        name=loose_identifiers,
        segment=_opt(loose_identifiers),
        pause_while=st.lists(expressions(), max_size=2).map(tuple),
        restart_when=st.lists(expressions(), max_size=1).map(tuple),
        on_events=st.lists(
            st.builds(ast.OnEvent, event=names(), step=loose_identifiers), max_size=1
        ).map(tuple),
        min_gap=_opt(durations()),
        steps=st.lists(steps(), max_size=3).map(tuple),
        in_sequence=st.booleans(),
        by_oldest_invoice=st.booleans(),
        on_release=st.lists(st.builds(ast.OnRelease, event=names()), max_size=1).map(tuple),
    )


def channels() -> st.SearchStrategy[ast.ChannelBlock]:
    """Draw a channel section."""
    rule = st.builds(
        ast.ChannelRule,
        channel=st.sampled_from(["call", "email", "letter", "sms", "visit", "voicemail"]),
        condition=_opt(expressions()),
    )
    words = st.lists(
        st.sampled_from(["call", "email", "letter", "sms", "visit", "voicemail"]), max_size=3
    ).map(tuple)
    return st.builds(
        ast.ChannelBlock,
        rules=st.lists(rule, min_size=1, max_size=3).map(tuple),
        applies_to=words,
        fallback=st.booleans(),
    )


def priorities() -> st.SearchStrategy[ast.PriorityBlock]:
    """Draw a priority section."""
    tier = st.builds(
        ast.Tier,
        name=st.sampled_from(["A", "B", "C", "gold"]),
        share=st.builds(ast.PercentLit, value=decimals),
    )
    tiers = st.builds(
        ast.Tiers, measure=identifiers, tiers=st.lists(tier, min_size=1, max_size=3).map(tuple)
    )
    tie = st.builds(ast.TieKey, key=expressions(), descending=st.booleans())
    return st.builds(
        ast.PriorityBlock,
        score=_opt(expressions()),
        tiers=_opt(tiers),
        capacity=_opt(st.builds(ast.Capacity, calls_per_day=st.integers(0, 10**5))),
        ties=st.lists(tie, max_size=2).map(tuple),
    )


_ATTRIBUTE_KEYS = [
    "id",
    "name",
    "tags",
    "credit_limit",
    "terms",
    "risk",
    "country",
    "locale",
    "customer_since",
    "currency",
]


def expects() -> st.SearchStrategy[ast.Expect]:
    """Draw an expect block."""
    attribute = st.builds(
        ast.AccountAttr,
        key=st.sampled_from(_ATTRIBUTE_KEYS),
        values=st.lists(st.one_of(literals(), names()), min_size=1, max_size=2).map(tuple),
    )
    record = st.one_of(
        st.builds(
            ast.InvoiceRecord,
            amount=money(),
            due=dates,
            issued=_opt(dates),
            number=_opt(texts),
            po=_opt(texts),
        ),
        st.builds(ast.PaymentRecord, amount=money(), paid_on=dates),
        st.builds(ast.PromiseRecord, amount=money(), due=dates, made=dates),
        st.builds(ast.DisputeRecord, amount=money(), opened=dates, reason=_opt(loose_identifiers)),
        st.builds(ast.ContactRecord, name=texts, role=loose_identifiers),
        st.builds(
            ast.DoneRecord, steps=st.lists(loose_identifiers, min_size=1, max_size=3).map(tuple)
        ),
        st.builds(
            ast.LastContactRecord, on=dates, channel=loose_identifiers, outcome=loose_identifiers
        ),
    )
    account = st.builds(
        ast.ExpectAccount,
        attributes=st.lists(attribute, max_size=2).map(tuple),
        records=st.lists(record, max_size=3).map(tuple),
    )
    item = st.one_of(
        st.builds(ast.ThenStep, name=loose_identifiers),
        st.builds(ast.ThenAction, kind=loose_identifiers),
        st.builds(ast.ThenTier, name=loose_identifiers),
        st.builds(ast.ThenChannel, channel=loose_identifiers),
        st.builds(
            ast.ThenPriority,
            op=st.sampled_from(["==", "!=", "<", "<=", ">", ">="]),
            value=st.one_of(decimals, decimals.map(lambda d: -d)),
        ),
    )
    then = st.one_of(
        st.just((ast.ThenNoAction(),)), st.lists(item, min_size=1, max_size=3).map(tuple)
    )
    return st.builds(ast.Expect, name=texts, as_of=dates, account=account, then=then)


def charges() -> st.SearchStrategy[ast.ChargesBlock]:
    """Draw a charges section."""
    interest = st.builds(
        ast.InterestClause,
        rate=st.builds(ast.PercentLit, value=decimals),
        table=_opt(texts),
        day_count=_opt(st.sampled_from(["act/360", "act/365", "act/30"])),
    )
    basis = st.sampled_from(["invoice", "call", "email", "letter", "sms", "visit", "voicemail"])
    fee = st.one_of(
        st.builds(ast.FeeClause, amount=money(), basis=basis, condition=_opt(expressions())),
        st.builds(ast.FeeClause, amount=money(), basis=basis, unless=expressions()),
    )
    order = st.builds(
        ast.PaymentOrder,
        parts=st.lists(loose_identifiers, min_size=1, max_size=3).map(tuple),
    )
    return st.builds(
        ast.ChargesBlock,
        interest=st.lists(interest, max_size=2).map(tuple),
        fees=st.lists(fee, max_size=2).map(tuple),
        payments=st.lists(order, max_size=2).map(tuple),
    )


def policy_files() -> st.SearchStrategy[ast.PolicyFile]:
    """Draw a whole policy file, each section small."""
    return st.builds(
        ast.PolicyFile,
        header=headers(),
        lets=st.lists(st.builds(ast.Let, name=identifiers, value=expressions()), max_size=2).map(
            tuple
        ),
        segments=st.lists(
            st.builds(ast.Segment, name=loose_identifiers, condition=expressions()), max_size=2
        ).map(tuple),
        timelines=st.lists(timelines(), max_size=2).map(tuple),
        channel=_opt(channels()),
        priority=_opt(priorities()),
        expects=st.lists(expects(), max_size=2).map(tuple),
        charges=_opt(charges()),
    )


#: Pieces of rule text for the fuzz test: keywords, punctuation and literals.
FUZZ_TOKENS = st.one_of(
    st.sampled_from(sorted(KEYWORDS)),
    st.sampled_from(sorted(PUNCTUATION)),
    st.sampled_from(
        ["1,000", "12.5", "1_000", "7", "2026-12-25", "EUR", '"text"', "x", "a.b", "#", '"', "\n"]
    ),
)
