"""The checker: resolves every name and types every expression of a parsed policy.

`check` reports **all** errors of a file at once, as one `PolicyError`, each located by the span
of the offending text; warnings (steps that can never fire, a channel section without
``otherwise``) come back on the checked policy.

Type rules, in short (the language reference has them all):

- ``+ -``: number ± number, money ± money (same currency), date ± duration, duration ± duration,
  date - date (a duration). ``*``: number * number, money * number, duration * number.
  ``/``: number / number, money / number (money), money / money (a number), duration / duration.
- Comparisons need two values of one type (money of one currency); ``==`` also compares strings,
  booleans and enumerations (``last_contact.outcome == irate``).
- Conditions (``when``, ``pause while``, segments, ``and``/``or``/``not``) must be true/false.
"""

from __future__ import annotations

import bisect
import enum
import re
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final, assert_never

import attrs
import babel

from arcollect._suggest import did_you_mean
from arcollect.charges import PARTS, DayCount, InterestRule
from arcollect.domain.actions import RULE_CHANNELS, ActionKind
from arcollect.domain.money import MONEY_CONTEXT, Money, is_currency
from arcollect.domain.records import KNOWN_ROLES, Channel, DisputeReason, Outcome
from arcollect.errors import MAX_REPORTED_ERRORS, Diagnostic, PolicyError, Span
from arcollect.lang import ast
from arcollect.lang.formatter import format_expr, format_money
from arcollect.lang.ir import (
    Anchor,
    CheckedAssignRule,
    CheckedChannelRule,
    CheckedCharges,
    CheckedFee,
    CheckedPolicy,
    CheckedPriority,
    CheckedStep,
    CheckedTimeline,
    TAgg,
    TBetween,
    TBinary,
    TBool,
    TCall,
    TCompare,
    TCond,
    TConst,
    TContains,
    TExpr,
    TFact,
    TField,
    THasRole,
    TIn,
    TLet,
    TNot,
    TSegment,
    TSet,
    TUnary,
    day_words,
)
from arcollect.lang.parser import line_ends
from arcollect.lang.schema import FACTS, INVOICE_FIELDS, Fact
from arcollect.lang.types import (
    BOOL,
    DATE,
    DURATION,
    MAX_DURATION_DAYS,
    MAX_ROUND_PLACES,
    NUMBER,
    STRING,
    STRING_SET,
    Kind,
    Type,
    enum_type,
    money,
)

__all__ = ["CONTACT_ROLES", "EVENTS", "check"]

#: Roles a step may address with ``to``/``with`` (contacts at the customer or our sales rep),
#: beside those a policy declares on its ``roles`` line.
CONTACT_ROLES = KNOWN_ROLES

#: What a declared role must look like: the contact records' roles are lower-case identifiers.
_ROLE_NAME: Final = re.compile(r"[a-z][a-z0-9_]*\Z")

#: The steps a plan has beside the timelines': promise follow-ups and dispute reviews, which
#: ``then step`` may name (engine/actions.py's PROMISE_FOLLOW_UP and DISPUTE_REVIEW).
BUILT_IN_STEPS: Final = ("dispute_review", "promise_follow_up")

#: Events a timeline can react to with ``on EVENT resume at STEP``.
EVENTS = ("promise.broken",)

#: Channels a ``channel`` section may choose (the vocabulary's contact channels).
CHANNELS = tuple(sorted(RULE_CHANNELS))

_CHANNEL_WORDS = tuple(c.value for c in Channel)

#: Actions a ``then action`` of an expect block may name: every action a plan can hold.
_ACTION_KINDS = tuple(a.value for a in ActionKind)
_ANCHORS: Final[Mapping[str, Anchor]] = {
    "past_due_eom": "due_eom",
    "after_issue": "issue",
    "after_step": "step",
}


def _quote(name: str) -> str:
    return f"`{name}`"


@attrs.frozen
class _Hint:
    """The hint for an unknown *word*, computed only if the error is reported."""

    word: str
    candidates: Iterable[str]
    also: str | None = None

    def __call__(self) -> str | None:
        """Return "did you mean" the closest candidate, then *also*."""
        close = did_you_mean(self.word, self.candidates, quote="`")
        if close is not None and self.also is not None:
            return f"{close} {self.also}"
        return close or self.also


_hint = _Hint


@attrs.define
class _Scope:
    in_aggregate: bool = False
    #: In the condition of a ``per invoice`` step: ``invoice.FIELD`` reads the invoice.
    per_invoice: bool = False


class _Checker:
    def __init__(self, tree: ast.PolicyFile, source: str, source_name: str) -> None:
        self.tree = tree
        self.source = line_ends(source)
        self.source_name = source_name
        self.diagnostics: list[Diagnostic] = []
        self.currency = tree.header.currency
        self.let_nodes = {let.name: let for let in tree.lets}
        self.segment_nodes = {seg.name: seg for seg in tree.segments}
        self.lets: dict[str, TExpr | None] = {}
        self.resolving: list[str] = []
        self.errors = 0
        self.omitted = 0
        self.line_starts: list[int] | None = None
        self.names: dict[tuple[bool, bool], list[str]] = {}
        self.roles: frozenset[str] = CONTACT_ROLES

    # -- diagnostics -----------------------------------------------------------------------

    def error(self, span: Span, message: str, hint: str | _Hint | None = None) -> None:
        """Report an error; past `MAX_REPORTED_ERRORS`, only count it (no hint is computed)."""
        if self.errors >= MAX_REPORTED_ERRORS:
            self.omitted += 1
            return
        self.errors += 1
        text = hint() if isinstance(hint, _Hint) else hint
        self.diagnostics.append(Diagnostic(message, span, self.source_name, "error", text))

    def warn(self, span: Span, message: str, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(message, span, self.source_name, "warning", hint))

    def locate(self, span: Span, word: str) -> Span:
        """Return the span of *word* (a whole word) inside *span*, or *span* if not found."""
        if not self.source or span.end <= span.start:
            return span
        source = self.source
        at = span.start
        while (at := source.find(word, at, span.end)) >= 0:  # no regex: one per word is slow
            start, after = at, at + len(word)
            at += 1
            before = source[start - 1 : start] if start > span.start else ""
            following = source[after : after + 1] if after < span.end else ""
            if before == "." or _is_word(before) or _is_word(following):
                continue
            if self.line_starts is None:  # built once: locating is then a binary search
                self.line_starts = [0, *(m.end() for m in re.finditer("\n", self.source))]
            line = bisect.bisect_right(self.line_starts, start)
            col = start - self.line_starts[line - 1] + 1
            return Span(line, col, line, col + len(word), start, start + len(word))
        return span

    def text(self, span: Span) -> str:
        if self.source and span.end > span.start:
            return " ".join(self.source[span.start : span.end].split())
        return ""

    # -- names -----------------------------------------------------------------------------

    def all_names(self, scope: _Scope) -> list[str]:
        key = (scope.in_aggregate, scope.per_invoice and not scope.in_aggregate)
        if key not in self.names:
            names = [*FACTS, *self.let_nodes, *self.segment_nodes]
            if key[0]:
                names += list(INVOICE_FIELDS)
            if key[1]:
                names += [f.name for f in INVOICE_FIELDS.values()]
            self.names[key] = names
        return self.names[key]

    def fact_type(self, fact: Fact) -> Type:
        if fact.type.kind is Kind.MONEY:
            return money(self.currency)
        return fact.type

    def let(self, name: str, span: Span) -> TExpr | None:
        if name in self.lets:
            return self.lets[name]
        if name in self.resolving:
            cycle = " -> ".join([*self.resolving[self.resolving.index(name) :], name])
            self.error(span, f"`{name}` is defined in terms of itself ({cycle})")
            return None
        self.resolving.append(name)
        try:
            typed = self.expr(self.let_nodes[name].value, _Scope())
        finally:
            self.resolving.pop()
        self.lets[name] = typed
        return typed

    def name(self, node: ast.Name, scope: _Scope) -> TExpr | None:
        dotted = node.dotted
        span = node.span
        text = self.text(span) or dotted
        if scope.in_aggregate and dotted in INVOICE_FIELDS:
            f = INVOICE_FIELDS[dotted]
            return TField(type=self.fact_type(f), span=span, text=text, fact=f, optional=f.optional)
        if node.parts[0] == "invoice" and len(node.parts) == 2:
            return self.invoice_field(node, scope, text)
        if dotted in FACTS:
            f = FACTS[dotted]
            if scope.per_invoice and not scope.in_aggregate and dotted in INVOICE_FIELDS:
                self.warn(
                    span,
                    f"`{dotted}` is the account's, not this invoice's",
                    hint=f"for the invoice the step is about, write `invoice.{dotted}`",
                )
            if f.type.kind is Kind.INVOICES:
                self.error(
                    span,
                    "`invoices` is a list: use it in an aggregate",
                    hint="for example `count(invoices where days_past_due > 60)` "
                    "or `sum(invoices.open where disputed)`",
                )
                return None
            return TFact(type=self.fact_type(f), span=span, text=text, fact=f, optional=f.optional)
        if dotted in self.let_nodes:
            typed = self.let(dotted, span)
            if typed is None:
                return None
            return TLet(type=typed.type, span=span, text=text, name=dotted, optional=typed.optional)
        if dotted in self.segment_nodes:
            return TSegment(type=BOOL, span=span, text=text, name=dotted)
        if node.parts[0] == "invoices" and len(node.parts) == 2:
            field = node.parts[1]
            if field in INVOICE_FIELDS:
                self.error(
                    span,
                    f"`{dotted}` is one value per invoice: use it in an aggregate",
                    hint=f"for example `sum({dotted})` or `max({dotted})`",
                )
            else:
                self.error(
                    span,
                    f"invoices have no field `{field}`",
                    hint=_hint(field, INVOICE_FIELDS),
                )
            return None
        self.error(span, f"unknown fact `{dotted}`", _hint(dotted, self.all_names(scope)))
        return None

    def invoice_field(self, node: ast.Name, scope: _Scope, text: str) -> TExpr | None:
        """Type ``invoice.FIELD``: the invoice a ``per invoice`` step is about."""
        field = node.parts[1]
        span = node.span
        if field not in INVOICE_FIELDS:
            self.error(span, f"invoices have no field `{field}`", _hint(field, INVOICE_FIELDS))
            return None
        if scope.in_aggregate:
            self.error(
                span,
                f"`{node.dotted}` inside an aggregate: name the fields without `invoice.`",
                hint=f"in `where`, `{field}` is the field of the invoice being looked at",
            )
            return None
        if not scope.per_invoice:
            self.error(
                span,
                f"`{node.dotted}` is only known in the conditions of a `per invoice` step",
                hint=f"make the step `per invoice`, or use an aggregate over `invoices` "
                f"(`invoices.{field}`, or `{field}` in `where`)",
            )
            return None
        f = INVOICE_FIELDS[field]
        return TField(type=self.fact_type(f), span=span, text=text, fact=f, optional=f.optional)

    # -- expressions -----------------------------------------------------------------------

    def expr(self, node: ast.Expr, scope: _Scope) -> TExpr | None:
        """Type *node*: one arm per expression class, so mypy proves none is forgotten."""
        match node:
            case ast.NumberLit():
                return self.x_NumberLit(node, scope)
            case ast.PercentLit():
                return self.x_PercentLit(node, scope)
            case ast.MoneyLit():
                return self.x_MoneyLit(node, scope)
            case ast.DurationLit():
                return self.x_DurationLit(node, scope)
            case ast.DateLit():
                return self.x_DateLit(node, scope)
            case ast.StringLit():
                return self.x_StringLit(node, scope)
            case ast.BoolLit():
                return self.x_BoolLit(node, scope)
            case ast.Name():
                return self.x_Name(node, scope)
            case ast.Unary():
                return self.x_Unary(node, scope)
            case ast.Binary():
                return self.x_Binary(node, scope)
            case ast.Compare():
                return self.x_Compare(node, scope)
            case ast.BoolOp():
                return self.x_BoolOp(node, scope)
            case ast.Not():
                return self.x_Not(node, scope)
            case ast.In():
                return self.x_In(node, scope)
            case ast.Contains():
                return self.x_Contains(node, scope)
            case ast.Between():
                return self.x_Between(node, scope)
            case ast.Conditional():
                return self.x_Conditional(node, scope)
            case ast.Aggregate():
                return self.x_Aggregate(node, scope)
            case ast.Call():
                return self.x_Call(node, scope)
            case ast.HasRole():
                return self.x_HasRole(node, scope)
            case ast.SetLiteral():
                return self.x_SetLiteral(node, scope)
            case _:  # pragma: no cover - exhaustive
                assert_never(node)

    def const(self, node: ast.Node, type_: Type, value: Any) -> TConst:
        return TConst(type=type_, span=node.span, text=self.text(node.span), value=value)

    def x_NumberLit(self, node: ast.NumberLit, _: _Scope) -> TExpr:
        return self.const(node, NUMBER, node.value)

    def x_PercentLit(self, node: ast.PercentLit, _: _Scope) -> TExpr:
        return self.const(node, NUMBER, node.fraction)

    def x_MoneyLit(self, node: ast.MoneyLit, _: _Scope) -> TExpr | None:
        if not is_currency(node.currency):
            self.error(
                node.span,
                f"unknown currency `{node.currency}`: expected an ISO 4217 code such as `EUR`",
            )
            return None
        value = Money(node.amount, node.currency)
        if value.amount != node.amount:
            self.error(
                node.span,
                f"{node.amount} has more decimals than {node.currency} allows",
            )
            return None
        return self.const(node, money(node.currency), value)

    def x_DurationLit(self, node: ast.DurationLit, _: _Scope) -> TExpr:
        return self.const(node, DURATION, timedelta(days=node.days))

    def x_DateLit(self, node: ast.DateLit, _: _Scope) -> TExpr:
        return self.const(node, DATE, node.value)

    def x_StringLit(self, node: ast.StringLit, _: _Scope) -> TExpr:
        return self.const(node, STRING, node.value)

    def x_BoolLit(self, node: ast.BoolLit, _: _Scope) -> TExpr:
        return self.const(node, BOOL, node.value)

    def x_Name(self, node: ast.Name, scope: _Scope) -> TExpr | None:
        return self.name(node, scope)

    def x_HasRole(self, node: ast.HasRole, _: _Scope) -> TExpr | None:
        self.role(node.role, node.span)
        return THasRole(type=BOOL, span=node.span, text=self.text(node.span), role=node.role)

    def x_Unary(self, node: ast.Unary, scope: _Scope) -> TExpr | None:
        operand = self.expr(node.operand, scope)
        if operand is None:
            return None
        if operand.type.kind not in (Kind.NUMBER, Kind.MONEY, Kind.DURATION):
            self.error(node.span, f"cannot negate {operand.type.describe()}")
            return None
        return TUnary(
            type=operand.type,
            span=node.span,
            text=self.text(node.span),
            operand=operand,
            optional=operand.optional,
        )

    def x_Binary(self, node: ast.Binary, scope: _Scope) -> TExpr | None:
        left = self.expr(node.left, scope)
        right = self.expr(node.right, scope)
        if left is None or right is None:
            return None
        result = self.arithmetic(node, left.type, right.type)
        if result is None:
            return None
        if node.op == "/" and _is_zero(right):
            self.error(node.span, "division by zero: the divisor is always 0")
            return None
        typed = TBinary(
            type=result,
            span=node.span,
            text=self.text(node.span),
            op=node.op,
            left=left,
            right=right,
            optional=left.optional or right.optional,
        )
        return typed if self.in_range(typed) else None

    def in_range(self, typed: TExpr) -> bool:
        """Whether a duration or date computed from constants alone stays within bounds."""
        value = _fold(typed)
        if value is None:
            return True
        if typed.type.kind is Kind.DURATION and abs(int(value)) > MAX_DURATION_DAYS:
            self.error(
                typed.span,
                f"this duration is {_shorten(value)} days: durations are at most "
                f"{MAX_DURATION_DAYS:,} days (100 years) either way",
                hint="check the numbers: no step, gap or deadline needs more than 100 years",
            )
            return False
        if typed.type.kind is Kind.DATE and not 1 <= value <= _LAST_DAY:
            self.error(
                typed.span,
                "this date is out of range: dates run from 0001-01-01 to 9999-12-31",
                hint="check the date and the duration added to it",
            )
            return False
        return True

    def arithmetic(self, node: ast.Binary, lt: Type, rt: Type) -> Type | None:
        op = node.op
        lk, rk = lt.kind, rt.kind
        N, M, Du, Da = Kind.NUMBER, Kind.MONEY, Kind.DURATION, Kind.DATE  # noqa: N806
        result: Type | None = None
        if lk is N and rk is N:
            result = NUMBER
        elif op in "+-" and lk is M and rk is M:
            # A currency mismatch is reported by same_currency itself.
            return self.same_currency(node, lt, rt, "add" if op == "+" else "subtract")
        elif (op in "+-" and lk is Da and rk is Du) or (op == "+" and lk is Du and rk is Da):
            result = DATE
        elif (op == "-" and lk is Da and rk is Da) or (op in "+-" and lk is Du and rk is Du):
            result = DURATION
        elif op == "*" and {lk, rk} == {M, N}:
            result = lt if lk is M else rt
        elif op == "*" and {lk, rk} == {Du, N}:
            result = DURATION
        elif op == "/" and lk is M and rk is N:
            result = lt
        elif op == "/" and lk is M and rk is M:
            if self.same_currency(node, lt, rt, "divide") is None:
                return None
            result = NUMBER
        elif op == "/" and lk is Du and rk is Du:
            result = NUMBER
        if result is None:
            verb = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}[op]
            prep = {"+": "to", "-": "from", "*": "by", "/": "by"}[op]
            a, b = (rt, lt) if op in "+-" else (lt, rt)
            hint = None
            if Kind.NUMBER in (lk, rk) and Kind.MONEY in (lk, rk) and op in "+-":
                hint = "write the number as money, e.g. `100 EUR`"
            elif Kind.NUMBER in (lk, rk) and Kind.DURATION in (lk, rk) and op in "+-":
                hint = "write the number as a duration, e.g. `30 days`"
            self.error(node.span, f"cannot {verb} {a.describe()} {prep} {b.describe()}", hint)
        return result

    def same_currency(self, node: ast.Node, lt: Type, rt: Type, verb: str) -> Type | None:
        if lt.currency and rt.currency and lt.currency != rt.currency:
            self.error(
                node.span,
                f"cannot {verb} {lt.currency} and {rt.currency}: amounts must be in one currency",
            )
            return None
        return money(lt.currency or rt.currency)

    def x_Compare(self, node: ast.Compare, scope: _Scope) -> TExpr | None:
        left, right = self.enum_pair(node.left, node.right, scope)
        if left is None or right is None:
            return None
        lt, rt = left.type, right.type
        ok = lt.same_as(rt)
        if ok and node.op not in ("==", "!=") and not lt.is_orderable:
            self.error(node.span, f"cannot order {lt.describe()}: only `==` and `!=` compare them")
            return None
        if ok and lt.kind is Kind.MONEY and self.same_currency(node, lt, rt, "compare") is None:
            return None
        if not ok:
            hint = None
            kinds = {lt.kind, rt.kind}
            if kinds == {Kind.NUMBER, Kind.DURATION}:
                hint = (
                    "`days_past_due` and `days_since_...` are numbers of days: "
                    "compare them with a number, e.g. `days_past_due >= 45`"
                )
            elif kinds == {Kind.NUMBER, Kind.MONEY}:
                hint = "write the number as money, e.g. `overdue >= 100 EUR`"
            self.error(node.span, f"cannot compare {lt.describe()} with {rt.describe()}", hint)
            return None
        return TCompare(
            type=BOOL,
            span=node.span,
            text=self.text(node.span),
            op=node.op,
            left=left,
            right=right,
        )

    def enum_pair(
        self, a: ast.Expr, b: ast.Expr, scope: _Scope
    ) -> tuple[TExpr | None, TExpr | None]:
        """Type two operands; a bare word or string facing an enumeration is one of its members."""
        a_bare, b_bare = self.is_bare_word(a, scope), self.is_bare_word(b, scope)
        ta = None if a_bare else self.expr(a, scope)
        tb = None if b_bare else self.expr(b, scope)
        if a_bare:
            ta = self.enum_member(a, tb.type, scope) if tb is not None else self.expr(a, scope)
        if b_bare:
            tb = self.enum_member(b, ta.type, scope) if ta is not None else self.expr(b, scope)
        if ta is None or tb is None:
            return None, None
        ta = self.enum_string(ta, tb.type)
        tb = self.enum_string(tb, ta.type if ta is not None else tb.type)
        return ta, tb

    def is_bare_word(self, node: ast.Expr, scope: _Scope) -> bool:
        if not isinstance(node, ast.Name) or len(node.parts) != 1:
            return False
        word = node.parts[0]
        known = word in FACTS or word in self.let_nodes or word in self.segment_nodes
        return not known and not (scope.in_aggregate and word in INVOICE_FIELDS)

    def enum_member(self, node: ast.Expr, other: Type, scope: _Scope) -> TExpr | None:
        assert isinstance(node, ast.Name)  # noqa: S101 - is_bare_word said so
        word = node.parts[0]
        if other.kind is not Kind.ENUM or other.enum is None:
            self.expr(node, scope)  # an unknown name after all
            return None
        members = [str(m.value) for m in other.enum]
        if word not in members:
            self.error(
                node.span,
                f"`{word}` is not {other.describe()}",
                hint=_hint(word, members, f"one of: {', '.join(members)}"),
            )
            return None
        return self.const(node, other, other.enum(word))

    def enum_string(self, node: TExpr, other: Type) -> TExpr | None:
        """Check that a string literal compared with an enumeration names one of its members."""
        if not (isinstance(node, TConst) and node.type.kind is Kind.STRING):
            return node
        if other.kind is not Kind.ENUM or other.enum is None:
            return node
        members = [str(m.value) for m in other.enum]
        if node.value not in members:
            self.error(
                node.span,
                f'"{node.value}" is not {other.describe()}',
                hint=_hint(node.value, members, f"one of: {', '.join(members)}"),
            )
            return None
        return TConst(type=other, span=node.span, text=node.text, value=other.enum(node.value))

    def x_BoolOp(self, node: ast.BoolOp, scope: _Scope) -> TExpr | None:
        left = self.condition(node.left, scope, f"`{node.op}`")
        right = self.condition(node.right, scope, f"`{node.op}`")
        if left is None or right is None:
            return None
        return TBool(
            type=BOOL, span=node.span, text=self.text(node.span), op=node.op, left=left, right=right
        )

    def x_Not(self, node: ast.Not, scope: _Scope) -> TExpr | None:
        operand = self.condition(node.operand, scope, "`not`")
        if operand is None:
            return None
        return TNot(type=BOOL, span=node.span, text=self.text(node.span), operand=operand)

    def condition(self, node: ast.Expr, scope: _Scope, where: str) -> TExpr | None:
        typed = self.expr(node, scope)
        if typed is None:
            return None
        if typed.type.kind is not Kind.BOOL:
            self.error(
                node.span,
                f"{where} needs a condition (true or false), got {typed.type.describe()}",
            )
            return None
        return typed

    def x_SetLiteral(self, node: ast.SetLiteral, scope: _Scope) -> TExpr | None:
        items = [
            self.expr(i, scope) if not self.is_bare_word(i, scope) else None for i in node.items
        ]
        for raw, typed in zip(node.items, items, strict=True):
            if typed is None and not self.is_bare_word(raw, scope):
                return None
        return TSet(
            type=STRING_SET,
            span=node.span,
            text=self.text(node.span),
            items=tuple(i for i in items if i is not None),
        )

    def x_In(self, node: ast.In, scope: _Scope) -> TExpr | None:
        item = None if self.is_bare_word(node.item, scope) else self.expr(node.item, scope)
        if isinstance(node.collection, ast.SetLiteral):
            if item is None:
                self.expr(node.item, scope)
                return None
            members: list[TExpr] = []
            for raw in node.collection.items:
                if self.is_bare_word(raw, scope):
                    m = self.enum_member(raw, item.type, scope)
                else:
                    typed = self.expr(raw, scope)
                    m = None if typed is None else self.enum_string(typed, item.type)
                    if m is not None and not m.type.same_as(item.type):
                        self.error(
                            raw.span,
                            f"cannot look for {item.type.describe()} in a list holding "
                            f"{m.type.describe()}",
                        )
                        m = None
                if m is None:
                    return None
                members.append(m)
            coll: TExpr = TSet(
                type=STRING_SET,
                span=node.collection.span,
                text=self.text(node.collection.span),
                items=tuple(members),
            )
        else:
            typed_coll = self.expr(node.collection, scope)
            if item is None:
                self.expr(node.item, scope)
                return None
            if typed_coll is None:
                return None
            if typed_coll.type.kind is not Kind.STRING_SET or item.type.kind is not Kind.STRING:
                self.error(
                    node.span,
                    f"cannot look for {item.type.describe()} in {typed_coll.type.describe()}",
                )
                return None
            coll = typed_coll
        return TIn(
            type=BOOL,
            span=node.span,
            text=self.text(node.span),
            item=item,
            collection=coll,
            negated=node.negated,
        )

    def x_Contains(self, node: ast.Contains, scope: _Scope) -> TExpr | None:
        container = self.expr(node.container, scope)
        item = self.expr(node.item, scope)
        if container is None or item is None:
            return None
        if container.type.kind is not Kind.STRING_SET or item.type.kind is not Kind.STRING:
            self.error(
                node.span,
                f"`contains` looks for a string in a set of strings, "
                f"not for {item.type.describe()} in {container.type.describe()}",
            )
            return None
        return TContains(
            type=BOOL, span=node.span, text=self.text(node.span), container=container, item=item
        )

    def x_Between(self, node: ast.Between, scope: _Scope) -> TExpr | None:
        parts = [self.expr(n, scope) for n in (node.value, node.low, node.high)]
        value, low, high = parts
        if value is None or low is None or high is None:
            return None
        for bound in (low, high):
            if not bound.type.same_as(value.type) or not value.type.is_orderable:
                self.error(
                    node.span,
                    f"cannot compare {value.type.describe()} with {bound.type.describe()}",
                )
                return None
            if (
                value.type.kind is Kind.MONEY
                and self.same_currency(node, value.type, bound.type, "compare") is None
            ):
                return None
        return TBetween(
            type=BOOL,
            span=node.span,
            text=self.text(node.span),
            value=value,
            low=low,
            high=high,
            optional=False,
        )

    def x_Conditional(self, node: ast.Conditional, scope: _Scope) -> TExpr | None:
        cond = self.condition(node.condition, scope, "`if`")
        then = self.expr(node.then, scope)
        other = self.expr(node.otherwise, scope)
        if cond is None or then is None or other is None:
            return None
        if not then.type.same_as(other.type):
            self.error(
                node.span,
                f"both branches must have one type: {then.type.describe()} "
                f"if ... else {other.type.describe()}",
            )
            return None
        result = then.type
        if result.kind is Kind.MONEY:
            merged = self.same_currency(node, then.type, other.type, "mix")
            if merged is None:
                return None
            result = merged
        return TCond(
            type=result,
            span=node.span,
            text=self.text(node.span),
            then=then,
            condition=cond,
            otherwise=other,
            optional=then.optional or other.optional,
        )

    def x_Aggregate(self, node: ast.Aggregate, scope: _Scope) -> TExpr | None:
        if node.collection != "invoices":
            self.error(
                node.span,
                f"cannot aggregate over `{node.collection}`: only `invoices` is a list",
                hint=_hint(node.collection, ["invoices"]),
            )
            return None
        if scope.in_aggregate:
            self.error(node.span, "aggregates cannot be nested")
            return None
        inner = _Scope(in_aggregate=True)
        field: Fact | None = None
        if node.field is not None:
            if node.field not in INVOICE_FIELDS:
                self.error(
                    node.span,
                    f"invoices have no field `{node.field}`",
                    hint=_hint(node.field, INVOICE_FIELDS),
                )
                return None
            field = INVOICE_FIELDS[node.field]
        where = self.condition(node.where, inner, "`where`") if node.where is not None else None
        if node.where is not None and where is None:
            return None
        func = node.func
        result: Type
        optional = False
        if func == "count":
            if field is not None:
                self.error(node.span, "`count` counts invoices: write `count(invoices where ...)`")
                return None
            result = NUMBER
        elif func in ("any", "all"):
            if field is not None and field.type.kind is not Kind.BOOL:
                self.error(
                    node.span, f"`{func}` needs a condition, not {self.fact_type(field).describe()}"
                )
                return None
            result = BOOL
        else:
            if field is None:
                self.error(
                    node.span,
                    f"`{func}` needs a field to {'add up' if func == 'sum' else 'compare'}",
                    hint=f"for example `{func}(invoices.open)`",
                )
                return None
            ftype = self.fact_type(field)
            allowed = (
                (Kind.NUMBER, Kind.MONEY, Kind.DURATION)
                if func == "sum"
                else (
                    Kind.NUMBER,
                    Kind.MONEY,
                    Kind.DURATION,
                    Kind.DATE,
                )
            )
            if ftype.kind not in allowed:
                what = "adds numbers, money or durations" if func == "sum" else "compares values"
                self.error(node.span, f"`{func}` {what}, not {ftype.describe()}")
                return None
            result = ftype
            optional = func in ("max", "min")
        return TAgg(
            type=result,
            span=node.span,
            text=self.text(node.span),
            func=func,
            field=field,
            where=where,
            optional=optional,
        )

    def x_Call(self, node: ast.Call, scope: _Scope) -> TExpr | None:
        if node.func == "times":
            return self.times(node)
        args = [self.expr(a, scope) for a in node.args]
        if any(a is None for a in args):
            return None
        typed = [a for a in args if a is not None]
        func = node.func
        first = typed[0].type
        result: Type | None = None
        if func in ("min", "max"):
            if all(t.type.same_as(first) for t in typed) and first.is_orderable:
                result = first
                if first.kind is Kind.MONEY:
                    for t in typed[1:]:
                        merged = self.same_currency(node, first, t.type, "compare")
                        if merged is None:
                            return None
                        result = merged
        elif func == "abs":
            if first.kind in (Kind.NUMBER, Kind.MONEY, Kind.DURATION):
                result = first
        elif func == "round":
            if first.kind in (Kind.NUMBER, Kind.MONEY) and all(
                t.type.kind is Kind.NUMBER for t in typed[1:]
            ):
                result = first
                places = typed[1] if len(typed) == 2 else None
                if places is not None and not (
                    isinstance(places, TConst) and places.value == int(places.value)
                ):
                    self.error(node.args[1].span, "`round` takes a whole number of decimals")
                    return None
                if isinstance(places, TConst) and not 0 <= places.value <= MAX_ROUND_PLACES:
                    self.error(
                        node.args[1].span,
                        f"`round` takes 0 to {MAX_ROUND_PLACES} decimals, "
                        f"got {_shorten(places.value)}",
                        hint="for money, `round(x)` rounds to whole units and `round(x, 2)` "
                        "to cents",
                    )
                    return None
        elif func == "days" and first.kind is Kind.DURATION:
            result = NUMBER
        elif func == "end_of_month" and first.kind is Kind.DATE:
            result = DATE
        elif func in ("day_of_month", "weekday") and first.kind is Kind.DATE:
            result = NUMBER
        if result is None:
            kinds = ", ".join(t.type.describe() for t in typed)
            self.error(node.span, f"`{func}` cannot take {kinds}")
            return None
        return TCall(
            type=result,
            span=node.span,
            text=self.text(node.span),
            func=func,
            args=tuple(typed),
            optional=any(t.optional for t in typed),
        )

    def times(self, node: ast.Call) -> TExpr | None:
        """``times(STEP)``: how often STEP was done in the episode; STEP names a step."""
        arg = node.args[0] if node.args else None
        if not isinstance(arg, ast.Name) or len(arg.parts) != 1:
            self.error(
                node.span,
                "`times` takes the name of a step, as in `times(reminder)`",
            )
            return None
        name = arg.parts[0]
        if name not in self.step_lookback:
            self.error(
                arg.span,
                f"`times({name})`: no timeline has a step `{name}`",
                hint=_hint(name, self.step_lookback),
            )
            return None
        lookback = TConst(
            type=NUMBER,
            span=arg.span,
            text=str(self.step_lookback[name]),
            value=Decimal(self.step_lookback[name]),
        )
        step = TConst(type=STRING, span=arg.span, text=name, value=name)
        return TCall(
            type=NUMBER,
            span=node.span,
            text=self.text(node.span),
            func="times",
            args=(step, lookback),
        )

    # -- structure -------------------------------------------------------------------------

    def role(self, role: str, span: Span) -> None:
        if role not in self.roles:
            self.error(
                self.locate(span, role),
                f"unknown contact role `{role}`",
                hint=_hint(role, self.roles, f"roles: {', '.join(sorted(self.roles))}"),
            )

    def declared_roles(self) -> None:
        """Add the header's ``roles`` to the known ones; refuse a name no contact can have."""
        h = self.tree.header
        spans = h.role_spans if len(h.role_spans) == len(h.roles) else (h.span,) * len(h.roles)
        declared: set[str] = set()
        for role, span in zip(h.roles, spans, strict=True):
            at = self.locate(span, role)
            if not _ROLE_NAME.match(role):
                self.error(
                    at,
                    f"invalid role `{role}`: a role is a lower-case identifier",
                    hint=f"write `{role.lower()}`"
                    if _ROLE_NAME.match(role.lower())
                    else "letters, digits and `_`, starting with a lower-case letter",
                )
                continue
            if role in CONTACT_ROLES:
                self.warn(at, f"`{role}` is a built-in role: declaring it again changes nothing")
            elif role in declared:
                self.warn(at, f"role `{role}` is declared twice")
            declared.add(role)
        self.roles = CONTACT_ROLES | declared

    def header(self) -> None:
        h = self.tree.header
        self.declared_roles()
        if h.deadline is not None and not 1 <= h.deadline <= 365:
            self.error(
                self.locate(h.span, "deadline"),
                f"a payment deadline of {h.deadline} business days is out of range",
                hint="write 1 to 365 business days, e.g. `deadline 10 business days`",
            )
        if h.currency is not None and not is_currency(h.currency):
            self.error(
                self.locate(h.span, h.currency),
                f"unknown currency `{h.currency}`: expected an ISO 4217 code such as `EUR`",
            )
            self.currency = None
        if h.locale is not None:
            try:
                babel.Locale.parse(h.locale)
            except (ValueError, babel.UnknownLocaleError):
                self.error(
                    self.locate(h.span, h.locale),
                    f"unknown locale `{h.locale}`: expected a code such as `en_US`",
                )

    def unique(
        self,
        items: Iterable[tuple[str, Span]],
        what: str,
        taken: Mapping[str, str] | None = None,
        where: str = "",
    ) -> None:
        seen: set[str] = set()
        for name, span in items:
            at = self.locate(span, name)
            if name in seen:
                self.error(at, f"{what} `{name}` is defined twice{where}")
            elif taken and name in taken:
                self.error(at, f"{what} `{name}` has the name of {taken[name]}")
            seen.add(name)

    def segment_cycles(
        self, segments: dict[str, TExpr | None], lets: dict[str, TExpr | None]
    ) -> None:
        """Refuse segments defined in terms of themselves, directly or through lets."""

        def uses(expr: TExpr | None, seen_lets: frozenset[str] = frozenset()) -> set[str]:
            found: set[str] = set()
            stack = [expr]
            while stack:
                node = stack.pop()
                if node is None:
                    continue
                if isinstance(node, TSegment):
                    found.add(node.name)
                elif isinstance(node, TLet) and node.name not in seen_lets:
                    seen_lets |= {node.name}
                    stack.append(lets.get(node.name))
                else:
                    stack += [v for v in attrs.astuple(node, recurse=False) if _is_texpr(v)]
                    stack += [
                        item
                        for v in attrs.astuple(node, recurse=False)
                        if isinstance(v, tuple)
                        for item in v
                        if _is_texpr(item)
                    ]
            return found

        graph = {name: uses(expr) for name, expr in segments.items()}
        done: set[str] = set()
        for start in graph:
            cycle = _cycle_from(start, graph, done)
            if cycle:
                self.error(
                    self.segment_nodes[start].span,
                    f"segment `{start}` is defined in terms of itself ({' -> '.join(cycle)})",
                    hint="a segment may use other segments, but not itself",
                )
            done.add(start)

    def check(self) -> CheckedPolicy:
        tree = self.tree
        self.header()
        # `times(STEP)` may name the step of any timeline: it counts from the episode's start,
        # moved back by the longest before-due step of the timelines that have STEP.
        self.step_lookback: dict[str, int] = {}
        for t in tree.timelines:
            back = max(
                (-s.timing.days_past_due for s in t.steps if s.timing.relation == "before_due"),
                default=0,
            )
            for st in t.steps:
                self.step_lookback[st.name] = max(self.step_lookback.get(st.name, 0), back)
        facts_taken = dict.fromkeys(FACTS, "a fact")
        self.unique(((let.name, let.span) for let in tree.lets), "let", facts_taken)
        self.unique(
            ((s.name, s.span) for s in tree.segments),
            "segment",
            {**facts_taken, **dict.fromkeys(self.let_nodes, "a let")},
        )
        lets = {name: self.let(name, node.span) for name, node in self.let_nodes.items()}
        segments = {
            s.name: self.condition(s.condition, _Scope(), f"segment `{s.name}`")
            for s in tree.segments
        }
        self.segment_cycles(segments, lets)
        self.unique(((t.name, t.span) for t in tree.timelines), "timeline")
        timelines = tuple(self.timeline(t) for t in tree.timelines)
        for_all = [t for t in tree.timelines if t.segment is None]
        for extra in for_all[1:]:
            if extra.name == for_all[0].name:  # defined twice: an error already
                continue
            self.warn(
                extra.span,
                f"timeline `{extra.name}` is for all accounts, like `{for_all[0].name}` before "
                "it: it never applies (accounts take the first timeline for all)",
                hint="give it a segment (`for segment NAME`) or merge the two",
            )
        channel = self.channel()
        assign = self.assign()
        priority = self.priority()
        charges = self.charges()
        self.expects(timelines, priority)
        errors = [d for d in self.diagnostics if d.severity == "error"]
        if errors:
            raise PolicyError(sorted(self.diagnostics, key=_order), self.source, self.omitted)
        h = tree.header
        cal = h.calendar
        return CheckedPolicy(
            name=h.name,
            version=h.version,
            currency=self.currency,
            locale=h.locale,
            business_days=cal.days if cal else "all",
            holidays=tuple(sorted(set(cal.holidays))) if cal else (),
            timezone=h.timezone,
            lets={k: v for k, v in lets.items() if v is not None},
            segments={k: v for k, v in segments.items() if v is not None},
            timelines=timelines,
            channel=channel,
            priority=priority,
            expects=tree.expects,
            assign=assign,
            fallback=tree.channel is not None and tree.channel.fallback,
            roles=self.roles,
            payment_deadline_days=h.deadline,
            channel_actions=self.channel_actions(timelines),
            charges=charges,
            warnings=tuple(sorted(self.diagnostics, key=_order)),
            source=self.source,
            source_name=self.source_name,
        )

    def timeline(self, t: ast.Timeline) -> CheckedTimeline:
        if t.segment is not None and t.segment not in self.segment_nodes:
            self.error(
                self.locate(t.span, t.segment),
                f"unknown segment `{t.segment}`",
                hint=_hint(t.segment, self.segment_nodes),
            )
        pauses = tuple(
            c for c in (self.condition(p, _Scope(), "`pause while`") for p in t.pause_while) if c
        )
        restarts = tuple(
            c for c in (self.condition(p, _Scope(), "`restart when`") for p in t.restart_when) if c
        )
        step_names = [s.name for s in t.steps]
        self.unique(((s.name, s.span) for s in t.steps), "step", where=f" in timeline `{t.name}`")
        resume: str | None = None
        for ev in t.on_events:
            if ev.event.dotted not in EVENTS:
                self.error(
                    ev.event.span,
                    f"unknown event `{ev.event.dotted}`",
                    hint=_hint(ev.event.dotted, EVENTS, f"events: {', '.join(EVENTS)}"),
                )
            elif ev.step not in step_names:
                self.error(
                    self.locate(ev.span, ev.step),
                    f"cannot resume at `{ev.step}`: timeline `{t.name}` has no such step",
                    hint=_hint(ev.step, step_names),
                )
            else:
                resume = ev.step
        for rel in t.on_release:
            if rel.event.dotted != "paid":
                self.error(
                    rel.event.span,
                    f"unknown event `{rel.event.dotted}` for `release hold`",
                    hint=_hint(rel.event.dotted, ["paid"], "write `on paid release hold`"),
                )
        if t.on_release and not any(s.action.kind is ActionKind.HOLD_SHIPMENTS for s in t.steps):
            self.warn(
                t.on_release[0].span,
                f"timeline `{t.name}` has no `hold shipments` step: `on paid release hold` "
                "never fires",
            )
        steps = []
        previous: tuple[int, str] | None = None
        seen: dict[str, ast.Step] = {}
        for s in t.steps:
            day = s.timing.days_past_due
            if s.timing.from_due:
                if previous is not None and day < previous[0]:
                    self.error(
                        s.timing.span,
                        f"step `{s.name}` ({day_words(day)}) comes before step `{previous[1]}` "
                        f"({day_words(previous[0])}): steps must be in day order",
                    )
                same = (
                    previous is not None
                    and day == previous[0]
                    and not t.in_sequence
                    and not s.per_invoice
                    and not seen[previous[1]].per_invoice
                    and s.timing.relation == seen[previous[1]].timing.relation
                )
                if same and previous is not None:
                    self.warn(
                        s.span,
                        f"steps `{previous[1]}` and `{s.name}` fire on the same day "
                        f"({day_words(day)}): only the later one, `{s.name}`, is planned "
                        "(the most advanced step due wins)",
                    )
                previous = (day, s.name)
            self.step_anchor(t, s, seen)
            seen[s.name] = s
            steps.append(self.step(s, day, in_sequence=t.in_sequence))
        if not t.steps:
            self.warn(t.span, f"timeline `{t.name}` has no steps")
        return CheckedTimeline(
            name=t.name,
            segment=t.segment,
            pause_while=pauses,
            restart_when=restarts,
            resume_on_broken_promise=resume,
            min_gap=t.min_gap.days if t.min_gap else None,
            steps=tuple(steps),
            span=t.span,
            in_sequence=t.in_sequence,
            by_oldest_invoice=t.by_oldest_invoice,
            release_on_paid=bool(t.on_release),
        )

    def step_anchor(self, t: ast.Timeline, s: ast.Step, earlier: Mapping[str, ast.Step]) -> None:
        """Check an ``after STEP`` timing: STEP is an earlier step of the same kind."""
        after = s.timing.after
        if s.timing.relation != "after_step" or after is None:
            return
        at = self.locate(s.timing.span, after)
        if after == s.name:
            self.error(at, f"step `{s.name}` cannot be timed after itself")
        elif after not in earlier:
            later = any(x.name == after for x in t.steps)
            self.error(
                at,
                f"step `{s.name}` is timed after `{after}`, which "
                + (
                    "comes later in the timeline: a step can only follow an earlier one"
                    if later
                    else f"is not a step of timeline `{t.name}`"
                ),
                hint=None if later else _hint(after, list(earlier)),
            )
        elif earlier[after].per_invoice != s.per_invoice:
            kind = "per invoice" if s.per_invoice else "account-level"
            self.error(
                at,
                f"{kind} step `{s.name}` cannot be timed after `{after}`: "
                + (
                    "a per-invoice step follows a per-invoice step"
                    if s.per_invoice
                    else "an account-level step follows an account-level step"
                ),
            )

    def step(self, s: ast.Step, day: int, *, in_sequence: bool = False) -> CheckedStep:
        for role in (s.to_role, s.with_role, s.cc_role):
            if role is not None:
                self.role(role, s.span)
        self.step_actions(s)
        scope = _Scope(per_invoice=s.per_invoice)
        when = self.condition(s.when, scope, "`when`") if s.when is not None else None
        unless = self.condition(s.unless, scope, "`unless`") if s.unless is not None else None
        every = until = None
        if s.repeat is not None:
            every = s.repeat.every.days
            if every == 0:
                self.error(s.repeat.span, "a step cannot repeat every 0 days")
            until = s.repeat.until.days if s.repeat.until is not None else None
            if until is not None and until < day:
                self.warn(
                    s.repeat.span,
                    f"step `{s.name}` repeats until {day_words(until)}, "
                    f"before it starts ({day_words(day)}): it fires once",
                )
        if _always(when, value=False) or _always(unless, value=True):
            self.warn(s.span, f"step `{s.name}` can never fire: its condition is always false")
        if s.max_times is not None:
            if s.max_times < 1:
                self.error(s.span, f"step `{s.name}`: `at most {s.max_times} times` never fires")
            elif s.repeat is None:
                self.warn(
                    s.span,
                    f"step `{s.name}` says `at most {s.max_times} times` but does not repeat "
                    "(no `every`): it fires once an episode anyway",
                )
        if s.required and in_sequence:
            self.warn(
                s.span,
                f"step `{s.name}`: every step of a sequential timeline is required; "
                "`required` adds nothing here",
            )
        return CheckedStep(
            anchor=_ANCHORS.get(s.timing.relation, "due"),
            after=s.timing.after,
            required=s.required,
            max_times=s.max_times,
            name=s.name,
            day=day,
            action=s.action.kind,
            template=s.action.template,
            per_invoice=s.per_invoice,
            to_role=s.to_role,
            with_role=s.with_role,
            when=when,
            unless=unless,
            every=every,
            until=until,
            min_interval=s.min_interval.days if s.min_interval else None,
            approval=s.approval,
            span=s.span,
            also=tuple((a.kind, a.template) for a in s.also),
            cc_role=s.cc_role,
            to_all=s.to_all,
        )

    def channel_actions(self, timelines: tuple[CheckedTimeline, ...]) -> frozenset[ActionKind]:
        """Return the step actions the channel rules re-route; warn when no step is one."""
        block = self.tree.channel
        default = frozenset({ActionKind.EMAIL, ActionKind.SMS})
        if block is None:
            return default
        kinds = default
        if block.applies_to:
            kinds = frozenset(ActionKind(w) for w in block.applies_to if w in CHANNELS)
            for word in block.applies_to:
                if word not in CHANNELS:
                    self.error(
                        self.locate(block.span, word),
                        f"`channel for {word}`: not an action a channel rule can re-route",
                        hint=_hint(word, CHANNELS),
                    )
        steps = [s for t in timelines for s in t.steps]
        if steps and block.rules and not any(s.action in kinds for s in steps):
            said = ", ".join(sorted(kinds))
            self.warn(
                block.span,
                f"the channel rules re-route {said} steps, and no step is one: they never apply",
                hint="name the actions they re-route, e.g. `channel for email, sms, letter`",
            )
        return kinds

    def step_actions(self, s: ast.Step) -> None:
        """Check the actions of one step (``letter "t" and email "t"``) and its recipients."""
        seen = {(s.action.kind, s.action.template)}
        for extra in s.also:
            if (extra.kind, extra.template) in seen:
                self.error(extra.span, f"step `{s.name}` does `{_action_text(extra)}` twice")
            seen.add((extra.kind, extra.template))
            if extra.kind.is_contact and not s.action.kind.is_contact:
                self.error(
                    extra.span,
                    f"step `{s.name}` reaches the customer, but its first action "
                    f"`{_action_text(s.action)}` does not",
                    hint="write the contact first (the first action decides whether the step "
                    f"counts as a contact for `min gap`): `{_action_text(extra)} and "
                    f"{_action_text(s.action)}`",
                )
        contacts = [a for a in (s.action, *s.also) if a.kind.is_contact]
        if (s.cc_role is not None or s.to_all) and not contacts:
            word = "cc" if s.cc_role is not None else "to all"
            self.error(
                s.span, f"step `{s.name}` reaches no contact: `{word}` has no one to address"
            )
        if s.cc_role is not None and s.cc_role == s.to_role:
            self.warn(s.span, f"step `{s.name}` copies `{s.cc_role}`, whom it already addresses")

    def channel(self) -> tuple[CheckedChannelRule, ...]:
        block = self.tree.channel
        if block is None:
            return ()
        rules = []
        for i, rule in enumerate(block.rules):
            if rule.channel not in CHANNELS:
                self.error(
                    rule.span,
                    f"unknown channel `{rule.channel}`",
                    hint=_hint(rule.channel, CHANNELS),
                )
            cond = None
            if rule.condition is not None:
                cond = self.condition(rule.condition, _Scope(), f"channel `{rule.channel}`")
            elif i != len(block.rules) - 1:
                self.warn(
                    rule.span,
                    f"`{rule.channel} otherwise` is not last: the rules after it never apply",
                )
            rules.append(CheckedChannelRule(channel=rule.channel, condition=cond))
        if block.rules and block.rules[-1].condition is not None:
            self.warn(
                block.span,
                "the channel section has no `otherwise` rule: "
                "accounts no rule matches keep the step's own channel",
            )
        return tuple(rules)

    # -- charges: late-payment interest and fees ------------------------------------------

    def charges(self) -> CheckedCharges | None:
        block = self.tree.charges
        if block is None:
            return None
        for extra in block.interest[1:]:
            self.error(
                extra.span,
                "the `charges` section has one `interest` clause; this is a second one",
                hint="a policy charges one rate of interest: keep the one that applies",
            )
        for again in block.payments[1:]:
            self.error(
                again.span,
                "the `charges` section has one `payments pay` clause; this is a second one",
            )
        interest = self.interest(block.interest[0]) if block.interest else None
        counts: dict[str, int] = {}
        fees = []
        for fee in block.fees:
            counts[fee.basis] = counts.get(fee.basis, 0) + 1
            checked = self.fee(fee, counts[fee.basis])
            if checked is not None:
                fees.append(checked)
        payments = self.payment_order(block.payments[0]) if block.payments else PARTS
        return CheckedCharges(interest=interest, fees=tuple(fees), payments=payments)

    def interest(self, clause: ast.InterestClause) -> InterestRule | None:
        rate = clause.rate.value
        ok = True
        if not Decimal(0) <= rate < 100:
            self.error(
                clause.rate.span,
                f"an interest rate of {rate}% a year is out of range",
                hint="write a yearly rate from 0% to under 100%, e.g. `interest 9% per year`",
            )
            ok = False
        if clause.table is not None and not clause.table.strip():
            self.error(
                clause.span,
                "the rate table's name is empty",
                hint='name the table the caller supplies, e.g. `above rate "DE-base"`',
            )
            ok = False
        counts = tuple(str(d) for d in DayCount)
        day_count = DayCount.ACT_365
        if clause.day_count is not None:
            if clause.day_count in counts:
                day_count = DayCount(clause.day_count)
            else:
                self.error(
                    self.locate(clause.span, clause.day_count.split("/")[0]),
                    f"unknown day count `{clause.day_count}`",
                    hint="write `act/365` (the default: a day is 1/365 of a year) or `act/360`",
                )
                ok = False
        if not ok:
            return None
        return InterestRule(rate, clause.table, day_count)

    def fee(self, fee: ast.FeeClause, nth: int) -> CheckedFee | None:
        bases = ("invoice", *CHANNELS)
        ok = True
        if fee.basis not in bases:
            self.error(
                self.locate(fee.span, fee.basis),
                f"unknown channel `{fee.basis}` for a fee",
                hint=_hint(fee.basis, CHANNELS, "(charge a fee `per invoice` or `with` a channel)"),
            )
            ok = False
        amount = fee.amount
        typed = self.x_MoneyLit(amount, _Scope())
        if typed is None:
            ok = False
        elif amount.amount <= 0:
            self.error(amount.span, "a fee must be above zero", hint="leave the fee out instead")
            ok = False
        elif self.currency is not None and amount.currency != self.currency:
            self.error(
                amount.span,
                f"the fee is in {amount.currency}, but the policy is in {self.currency}",
                hint=f"write the fee in {self.currency}",
            )
            ok = False
        basis = "per invoice" if fee.basis == "invoice" else f"with {fee.basis}"
        where = f"the fee {amount.amount} {amount.currency} {basis}"
        when = unless = None
        if fee.condition is not None:
            when = self.condition(fee.condition, _Scope(), where)
            ok = ok and when is not None
        if fee.unless is not None:
            unless = self.condition(fee.unless, _Scope(), where)
            ok = ok and unless is not None
        if not ok:
            return None
        key = f"fee.{fee.basis}" + (f".{nth}" if nth > 1 else "")
        text = f"fee {format_money(amount)} {basis}"
        if fee.condition is not None:
            text += f" when {format_expr(fee.condition)}"
        if fee.unless is not None:
            text += f" unless {format_expr(fee.unless)}"
        return CheckedFee(
            key=key,
            amount=Money(amount.amount, amount.currency),
            basis=fee.basis,
            when=when,
            unless=unless,
            text=text,
        )

    def payment_order(self, order: ast.PaymentOrder) -> tuple[str, ...]:
        for part in order.parts:
            if part not in PARTS:
                self.error(
                    self.locate(order.span, part),
                    f"unknown part `{part}` of a claim",
                    hint=_hint(part, PARTS, "(payments pay costs, interest and principal)"),
                )
                return PARTS
        missing = [p for p in PARTS if p not in order.parts]
        if missing or len(order.parts) != len(PARTS):
            detail = f"`{missing[0]}` is missing" if missing else "a part is named twice"
            self.error(
                order.span,
                f"`payments pay` names each of costs, interest and principal once: {detail}",
                hint="e.g. `payments pay costs, interest, principal` (§ 367 BGB, the default)",
            )
            return PARTS
        return order.parts

    def assign(self) -> tuple[CheckedAssignRule, ...]:
        block = self.tree.assign
        if block is None:
            return ()
        rules = []
        for i, rule in enumerate(block.rules):
            owner = self.owner(rule.owner)
            cond = None
            if rule.condition is not None:
                cond = self.condition(rule.condition, _Scope(), "an `assign` rule")
                if _always(cond, value=False):
                    self.warn(rule.span, "this `assign` rule never applies: its condition is false")
            elif i != len(block.rules) - 1:
                self.warn(
                    rule.span, "an `otherwise` rule is not last: the rules after it never apply"
                )
            if owner is not None:
                rules.append(CheckedAssignRule(owner=owner, condition=cond))
        return tuple(rules)

    def owner(self, node: ast.StringLit | ast.Name) -> TExpr | None:
        """Type an ``assign`` rule's owner: a non-empty string, or a name of a string."""
        if isinstance(node, ast.StringLit):
            if not node.value.strip():
                self.error(node.span, "an owner cannot be empty", hint="name a person or a team")
                return None
            return self.expr(node, _Scope())
        dotted = node.dotted
        if (
            dotted not in FACTS
            and dotted not in self.let_nodes
            and dotted not in self.segment_nodes
        ):
            close = did_you_mean(dotted, self.all_names(_Scope()), quote="`")
            self.error(
                node.span,
                f"unknown fact `{dotted}`",
                hint=close or f'write a person or a team in double quotes: "{dotted}"',
            )
            return None
        typed = self.expr(node, _Scope())
        if typed is not None and typed.type.kind is not Kind.STRING:
            self.error(
                node.span,
                f"an owner is a string, got {typed.type.describe()} (`{dotted}`)",
                hint='use `account.collector` or a name in double quotes, "Key accounts desk"',
            )
            return None
        return typed

    def priority(self) -> CheckedPriority:
        block = self.tree.priority
        if block is None:
            return CheckedPriority(score=None, tiers=(), tier_measure=None, capacity=None, ties=())
        score = None
        if block.score is not None:
            score = self.expr(block.score, _Scope())
            if score is not None and score.type.kind is not Kind.NUMBER:
                self.error(
                    block.score.span,
                    f"the score must be a number, got {score.type.describe()}",
                    hint="divide money by money to get a number, e.g. `overdue / 1,000 EUR`",
                )
                score = None
        tiers: tuple[tuple[str, Decimal], ...] = ()
        measure = None
        if block.tiers is not None:
            measure = block.tiers.measure
            f = FACTS.get(measure)
            if f is None or f.type.kind is not Kind.MONEY:
                money_facts = [n for n, x in FACTS.items() if x.type.kind is Kind.MONEY]
                self.error(
                    self.locate(block.tiers.span, measure),
                    f"tiers are shares of an amount such as `overdue`, not `{measure}`",
                    hint=_hint(measure, money_facts),
                )
            self.unique(((t.name, t.span) for t in block.tiers.tiers), "tier")
            tiers = tuple((t.name, t.share.fraction) for t in block.tiers.tiers)
            total = sum((t.share.value for t in block.tiers.tiers), Decimal(0))
            if total != 100:
                self.error(block.tiers.span, f"tier shares add up to {total}%, not 100%")
        capacity = None
        if block.capacity is not None:
            capacity = block.capacity.calls_per_day
            if capacity <= 0:
                self.error(
                    block.capacity.span,
                    "a capacity of 0 calls per day would never call anyone",
                    hint="leave `capacity` out for no limit",
                )
        ties = []
        for key in block.ties:
            typed = self.expr(key.key, _Scope())
            if typed is not None:
                if not typed.type.is_orderable:
                    self.error(key.span, f"cannot order accounts by {typed.type.describe()}")
                else:
                    ties.append((typed, key.descending))
        per_owner = block.capacity is not None and block.capacity.per_collector
        return CheckedPriority(
            score=score,
            tiers=tiers,
            tier_measure=measure,
            capacity=capacity,
            ties=tuple(ties),
            capacity_per_owner=per_owner,
        )

    def member(self, span: Span, word: str, enum_cls: type[enum.Enum]) -> None:
        members = [str(m.value) for m in enum_cls]
        if word not in members:
            what = enum_type(enum_cls).describe()
            self.error(
                self.locate(span, word),
                f"`{word}` is not {what}",
                hint=_hint(word, members, f"one of: {', '.join(members)}"),
            )

    def expect_attribute(self, attr: ast.AccountAttr) -> None:
        kinds, words, several = _ATTRIBUTE_TYPES[attr.key]
        if len(attr.values) > 1 and not several:
            self.error(attr.span, f"`{attr.key}` takes one value, got {len(attr.values)}")
        for value in attr.values:
            if not isinstance(value, kinds):
                self.error(value.span, f"`{attr.key}` takes {words}")
            elif isinstance(value, ast.MoneyLit) and not is_currency(value.currency):
                self.error(value.span, f"unknown currency `{value.currency}`")

    def expects(self, timelines: tuple[CheckedTimeline, ...], priority: CheckedPriority) -> None:
        steps = {s.name for t in timelines for s in t.steps}
        then_steps = steps | set(BUILT_IN_STEPS)
        tier_names = {name for name, _ in priority.tiers}
        self.unique(((e.name, e.span) for e in self.tree.expects), "expect")
        for e in self.tree.expects:
            names = self.expect_accounts(e)
            for acct in e.accounts:
                for attr in acct.attributes:
                    self.expect_attribute(attr)
                for rec in acct.records:
                    self.record(rec, steps)
            unnamed: set[int] = set()  # the lines already told to name their account
            for item in e.then:
                several = len(e.accounts) > 1 and item.span.line not in unnamed
                if self.then_account(item, names, several=several):
                    unnamed.add(item.span.line)
                self.then_item(item, then_steps, tier_names)

    def expect_accounts(self, e: ast.Expect) -> list[str]:
        """Check the names of an expect block's accounts; return them."""
        several = len(e.accounts) > 1
        for acct in e.accounts:
            if acct.name is None and several:
                self.error(
                    _first_line_of(acct.span),
                    "an expect block with several accounts names each one",
                    hint='write `account "NAME"`; `then "NAME" ...` says what the plan must '
                    "say for it",
                )
            elif acct.name is not None:
                if not acct.name.strip():
                    self.error(acct.span, "an account's name cannot be empty")
                taken = next((a for a in acct.attributes if a.key == "id"), None)
                if taken is not None:
                    self.error(
                        taken.span,
                        "a named account has its name as id: drop `id`",
                        hint=f'the plan calls this account "{acct.name}"',
                    )
        names = [a.name for a in e.accounts if a.name is not None]
        seen: set[str] = set()
        for acct in e.accounts:
            if acct.name is not None and acct.name in seen:
                self.error(_first_line_of(acct.span), f'the account "{acct.name}" is named twice')
            seen.add(acct.name or "")
        return names

    def then_account(self, item: ast.ThenItem, names: list[str], *, several: bool) -> bool:
        """Check that a ``then`` item is about an account of its block.

        Return whether the item was told to name its account (*several*: the block has several
        accounts and the item's line was not told yet).
        """
        wanted = item.accounts if isinstance(item, ast.ThenOrder) else (item.account,)
        told = False
        for name in wanted:
            if name is None:
                if several:
                    self.error(
                        item.span,
                        "this block has several accounts: name the one this `then` is about",
                        hint=f'write `then "{names[0] if names else "NAME"}" ...`',
                    )
                    told = True
            elif name not in names:
                self.error(
                    self.locate(item.span, name) if name.isidentifier() else item.span,
                    f'unknown account "{name}"',
                    hint=did_you_mean(name, names, quote='"')
                    or (f"accounts: {', '.join(names)}" if names else 'name it: `account "NAME"`'),
                )
        if isinstance(item, ast.ThenOrder) and len(set(item.accounts)) != len(item.accounts):
            self.error(item.span, "`then order` names an account twice")
        return told

    def record(self, rec: ast.Record, steps: set[str]) -> None:
        match rec:
            case ast.InvoiceRecord() | ast.PaymentRecord() | ast.PromiseRecord():
                self.record_currency(rec.amount)
            case ast.DisputeRecord():
                if rec.reason is not None:
                    self.member(rec.span, rec.reason, DisputeReason)
                self.record_currency(rec.amount)
            case ast.ContactRecord():
                self.role(rec.role, rec.span)
            case ast.DoneRecord():
                for name in rec.steps:
                    if name not in steps:
                        self.error(
                            self.locate(rec.span, name),
                            f"unknown step `{name}`",
                            hint=_hint(name, steps),
                        )
            case ast.LastContactRecord():
                self.member(rec.span, rec.outcome, Outcome)
                if rec.channel not in _CHANNEL_WORDS:
                    self.error(
                        rec.span,
                        f"unknown channel `{rec.channel}`",
                        hint=_hint(rec.channel, _CHANNEL_WORDS),
                    )
            case _:  # pragma: no cover - exhaustive
                assert_never(rec)

    def record_currency(self, amount: ast.MoneyLit) -> None:
        if not is_currency(amount.currency):
            self.error(amount.span, f"unknown currency `{amount.currency}`")

    def then_item(self, item: ast.ThenItem, steps: set[str], tier_names: set[str]) -> None:
        match item:
            case ast.ThenStep():
                if item.name not in steps:
                    self.error(
                        self.locate(item.span, item.name),
                        f"unknown step `{item.name}`",
                        hint=_hint(item.name, steps),
                    )
            case ast.ThenAction():
                if item.kind not in _ACTION_KINDS:
                    self.error(
                        item.span,
                        f"unknown action `{item.kind}`",
                        hint=_hint(item.kind, _ACTION_KINDS),
                    )
            case ast.ThenTier():
                if item.name not in tier_names:
                    self.error(
                        self.locate(item.span, item.name),
                        f"unknown tier `{item.name}`",
                        hint=_hint(item.name, tier_names),
                    )
            case ast.ThenChannel():
                if item.channel not in CHANNELS:
                    self.error(
                        item.span,
                        f"unknown channel `{item.channel}`",
                        hint=_hint(item.channel, CHANNELS),
                    )
            case ast.ThenContact():
                if item.role is not None:
                    self.role(item.role, item.span)
            case (
                ast.ThenNoAction()
                | ast.ThenPriority()
                | ast.ThenApproval()
                | ast.ThenOwner()
                | ast.ThenDeferred()
                | ast.ThenOrder()
            ):
                pass
            case _:  # pragma: no cover - exhaustive
                assert_never(item)


def _action_text(action: ast.Action) -> str:
    """Return an action as written: ``letter "final_demand"``, ``hold shipments``."""
    if not action.kind.takes_template:
        return action.kind.words
    if action.template is None:
        return str(action.kind)
    return f'{action.kind} "{action.template}"'


def _first_line_of(span: Span) -> Span:
    """Return the part of *span* on its first line (an account's records follow below)."""
    if span.end_line == span.line:
        return span
    return Span(
        span.line,
        span.column,
        span.line,
        span.column + len("account"),
        span.start,
        span.start + len("account"),
    )


_ATTRIBUTE_TYPES: dict[str, tuple[tuple[type[ast.Node], ...], str, bool]] = {
    # key: (literal node types accepted, what they are in words, several values allowed)
    "id": ((ast.StringLit, ast.Name), "a string", False),
    "name": ((ast.StringLit, ast.Name), "a string", False),
    "country": ((ast.StringLit, ast.Name), "a string", False),
    "locale": ((ast.StringLit, ast.Name), "a locale such as en_US", False),
    "currency": ((ast.StringLit, ast.Name), "a currency code", False),
    "tags": ((ast.StringLit,), "strings", True),
    "credit_limit": ((ast.MoneyLit,), "an amount such as `50,000 EUR`", False),
    "terms": ((ast.DurationLit,), "a duration such as `30 days`", False),
    "risk": ((ast.NumberLit,), "a number", False),
    "customer_since": ((ast.DateLit,), "a date", False),
    "collector": ((ast.StringLit,), "a name in double quotes", False),
}


#: The ordinal of the last date there is, 9999-12-31.
_LAST_DAY: Final = date.max.toordinal()


def _fold(expr: TExpr) -> Decimal | int | None:
    """Return the value of a number, duration or date expression made of constants only.

    Numbers fold to Decimals (in `MONEY_CONTEXT`), durations to whole days and dates to their
    ordinal, as plain ints that never overflow; None if the expression reads data or cannot be
    computed (a division by zero, a number beyond the context).
    """
    kind = expr.type.kind
    if kind not in (Kind.NUMBER, Kind.DURATION, Kind.DATE):
        return None
    if isinstance(expr, TConst):
        value = expr.value
        if isinstance(value, timedelta):
            return value.days
        if isinstance(value, date):
            return value.toordinal()
        return value if isinstance(value, Decimal) else None
    if isinstance(expr, TUnary):
        operand = _fold(expr.operand)
        return None if operand is None else -operand
    if not isinstance(expr, TBinary):
        return None
    a, b = _fold(expr.left), _fold(expr.right)
    if a is None or b is None:
        return None
    try:
        return _apply(expr.op, a, b, kind)
    except ArithmeticError:
        return None


def _apply(op: str, a: Decimal | int, b: Decimal | int, kind: Kind) -> Decimal | int | None:
    ctx = MONEY_CONTEXT
    if op == "+":
        return ctx.add(a, b) if kind is Kind.NUMBER else int(a) + int(b)
    if op == "-":
        return ctx.subtract(a, b) if kind is Kind.NUMBER else int(a) - int(b)
    if op == "*" and kind is Kind.NUMBER:
        return ctx.multiply(a, b)
    if op == "*":  # a duration (whole days) times a number, rounded as the evaluator does
        product = ctx.multiply(Decimal(a), Decimal(b))
        return int(product.to_integral_value(rounding=ROUND_HALF_EVEN, context=ctx))
    if op == "/" and kind is Kind.NUMBER and b:
        return ctx.divide(a, b)
    return None


def _is_zero(expr: TExpr) -> bool:
    """Whether *expr* is a constant zero (a number, money or duration)."""
    if isinstance(expr, TConst) and isinstance(expr.value, Money):
        return expr.value.amount == 0
    return expr.type.kind in (Kind.NUMBER, Kind.DURATION) and _fold(expr) == 0


def _shorten(value: object) -> str:
    text = f"{value:,}" if isinstance(value, int) else str(value)
    return text if len(text) <= 30 else f"{text[:12]}...{text[-12:]}"


def _is_word(char: str) -> bool:
    return bool(char) and (char.isalnum() or char == "_")


def _is_texpr(value: object) -> bool:
    return isinstance(value, TExpr)


def _cycle_from(start: str, graph: dict[str, set[str]], done: set[str]) -> list[str] | None:
    """Return a cycle of *graph* through *start* (``a -> b -> a``), or None; depth first."""
    path: list[str] = [start]
    seen: set[str] = set()  # explored in this search without coming back to start
    stack: list[tuple[str, list[str]]] = [(start, sorted(graph[start]))]
    while stack:
        _, todo = stack[-1]
        if not todo:
            seen.add(path.pop())
            stack.pop()
            continue
        nxt = todo.pop(0)
        if nxt == start:
            return [*path, start]
        if nxt in path or nxt in done or nxt in seen or nxt not in graph:
            continue
        path.append(nxt)
        stack.append((nxt, sorted(graph[nxt])))
    return None


def _order(d: Diagnostic) -> tuple[int, int, int]:
    sp = d.span
    return (sp.line, sp.column, 0 if d.severity == "error" else 1) if sp else (0, 0, 0)


def _always(expr: TExpr | None, *, value: bool) -> bool:
    return isinstance(expr, TConst) and expr.value is value


def check(
    tree: ast.PolicyFile, *, source: str = "", source_name: str = "<policy>"
) -> CheckedPolicy:
    """Check *tree* (parsed from *source*) and return the checked policy.

    Raise `PolicyError` with every error (and warning) found; warnings alone come back on
    `CheckedPolicy.warnings`.
    """
    return _Checker(tree, source, source_name).check()
