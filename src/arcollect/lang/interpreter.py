"""The reference interpreter: evaluates typed expressions by walking them, and says why.

It shares its semantics with the generated code (both call `arcollect.lang.runtime`), and it is
the reference the generated code is tested against. `Interpreter.trace` also records the value
of every comparison and condition it evaluates, which is what explanations are made of
(``days_past_due = 47 >= 45``).
"""

from __future__ import annotations

import decimal
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any, assert_never

from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.errors import CurrencyMismatchError
from arcollect.facts import AccountFacts, InvoiceFacts
from arcollect.lang import runtime as rt
from arcollect.lang.ir import (
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
)
from arcollect.lang.runtime import evaluation_error
from arcollect.lang.types import Kind

__all__ = ["Interpreter", "Trace", "show"]


Trace = list[str]


def show(value: Any) -> str:
    """Write a value as explanations show it: ``250.00 EUR``, ``30 days``, ``true``, ``none``."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Money):
        return str(value)
    if isinstance(value, timedelta):
        return f"{value.days} day{'s' if value.days != 1 else ''}"
    if isinstance(value, Decimal):  # 30, not 3E+1; 0.5, not 5E-1
        return format(value.normalize(MONEY_CONTEXT), "f")
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(str(v) for v in value)) + "]"
    if hasattr(value, "value") and isinstance(getattr(value, "value", None), str):
        return str(value.value)
    return str(value)


class Interpreter:
    """Evaluates typed expressions by walking them, recording what decided each condition."""

    def __init__(
        self,
        lets: Mapping[str, TExpr],
        segments: Mapping[str, TExpr],
        source_name: str = "<policy>",
    ) -> None:
        self.lets = lets
        self.segments = segments
        self.source_name = source_name

    def evaluate(
        self, expr: TExpr, facts: AccountFacts, *, invoice: InvoiceFacts | None = None
    ) -> Any:
        """Return the value of *expr* for *facts*.

        *invoice* is the invoice ``invoice.FIELD`` reads in the condition of a ``per invoice``
        step. Raise `EvaluationError`, located at *expr*, if the data makes that impossible.
        """
        return self._run(expr, facts, None, invoice)

    def trace(
        self, expr: TExpr, facts: AccountFacts, *, invoice: InvoiceFacts | None = None
    ) -> tuple[Any, Trace]:
        r"""Return the value of *expr* for *facts* and what decided it, one line a condition.

        >>> from arcollect import parse_policy, facts, Account, Invoice, Money
        >>> from datetime import date
        >>> policy = parse_policy(
        ...     'policy "P" version 1\n  currency EUR\nlet big = overdue >= 100 EUR',
        ...     name="p.arc")
        >>> acct = Account("C-1", currency="EUR", invoices=[
        ...     Invoice("I-1", issued=date(2026, 1, 1), due=date(2026, 2, 1),
        ...             amount=Money("250", "EUR"))])
        >>> policy.interpreter.trace(policy.checked.lets["big"], facts(acct, date(2026, 3, 1)))
        (True, ['overdue = 250.00 EUR >= 100 EUR'])
        """
        trace: Trace = []
        value = self._run(expr, facts, trace, invoice)
        return value, trace

    def _run(
        self, expr: TExpr, facts: AccountFacts, trace: Trace | None, invoice: InvoiceFacts | None
    ) -> Any:
        with decimal.localcontext(MONEY_CONTEXT):
            try:
                return self._eval(expr, facts, invoice, trace)
            except (CurrencyMismatchError, ArithmeticError) as exc:
                raise evaluation_error(expr, self.source_name, facts, exc) from None

    def _eval(self, node: TExpr, f: AccountFacts, e: Any, trace: Trace | None) -> Any:
        """Evaluate *node* (*e* is the invoice inside an aggregate, or of a per-invoice step).

        One case per node kind, and long for that reason: a `match` that mypy proves complete
        (`assert_never`), kept in one piece so that it reads beside `compiler._Gen.gen`.
        """
        ev = self._eval
        match node:
            case TConst():
                return node.value
            case TFact():
                value = node.fact.get(f)
                if trace is not None and node.type.kind is Kind.BOOL:
                    trace.append(f"{node.text} = {show(value)}")
                return value
            case TField():
                value = node.fact.get(e)
                if trace is not None and node.type.kind is Kind.BOOL:
                    trace.append(f"{node.text} = {show(value)}")
                return value
            case TLet():
                return ev(self.lets[node.name], f, e, trace)
            case TSegment():
                value = ev(self.segments[node.name], f, e, None)
                if trace is not None:
                    trace.append(f"{node.text} = {show(value)}")
                return value
            case TUnary():
                return rt.neg(ev(node.operand, f, e, trace))
            case TBinary():
                a, b = ev(node.left, f, e, trace), ev(node.right, f, e, trace)
                if node.op == "+":
                    return rt.add(a, b)
                if node.op == "-":
                    return rt.sub(a, b)
                if node.op == "*":
                    return rt.mul(a, b)
                return rt.div(a, b)
            case TCompare():
                a, b = ev(node.left, f, e, None), ev(node.right, f, e, None)
                result = _compare(node.op, a, b)
                if trace is not None:
                    shown = node.left.text
                    if not isinstance(node.left, TConst):
                        shown += f" = {show(a)}"
                    right = (
                        node.right.text
                        if isinstance(node.right, TConst)
                        else f"{show(b)} ({node.right.text})"
                    )
                    trace.append(f"{shown} {node.op if result else _NEGATED[node.op]} {right}")
                return result
            case TBool():
                left = ev(node.left, f, e, trace) is True
                if node.op == "and" and not left:
                    return False
                if node.op == "or" and left:
                    return True
                return ev(node.right, f, e, trace) is True
            case TNot():
                return ev(node.operand, f, e, trace) is not True
            case TSet():
                return frozenset(ev(i, f, e, None) for i in node.items)
            case TIn():
                item, coll = ev(node.item, f, e, None), ev(node.collection, f, e, None)
                result = (item not in coll) if node.negated else (item in coll)
                if trace is not None:
                    trace.append(
                        f"{node.text}: {show(item)} is{'' if result != node.negated else ' not'} "
                        f"in {show(coll)}"
                    )
                return result
            case TContains():
                container, item = ev(node.container, f, e, None), ev(node.item, f, e, None)
                result = item in container
                if trace is not None:
                    trace.append(
                        f"{node.text} = {show(result)} ({node.container.text} = {show(container)})"
                    )
                return result
            case TBetween():
                v, lo, hi = (ev(x, f, e, None) for x in (node.value, node.low, node.high))
                result = rt.between(v, lo, hi)
                if trace is not None:
                    trace.append(
                        f"{node.text}: {node.value.text} = {show(v)}, "
                        f"{'' if result else 'not '}between {show(lo)} and {show(hi)}"
                    )
                return result
            case TCond():
                cond = ev(node.condition, f, e, None) is True
                return ev(node.then if cond else node.otherwise, f, e, trace)
            case TAgg():
                return self._aggregate(node, f, trace)
            case TCall():
                args = [ev(a, f, e, trace) for a in node.args]
                if node.func == "min":
                    return rt.minimum(args)
                if node.func == "max":
                    return rt.maximum(args)
                if node.func == "abs":
                    return rt.absolute(args[0])
                if node.func == "round":
                    return rt.round_to(*args)
                if node.func == "times":
                    return rt.times_done(f, *args)
                if node.func == "end_of_month":
                    return rt.end_of_month(args[0])
                if node.func == "day_of_month":
                    return rt.day_of_month(args[0])
                if node.func == "weekday":
                    return rt.weekday(args[0])
                return rt.days_of(args[0])
            case THasRole():
                result = rt.has_role(f, node.role)
                if trace is not None:
                    trace.append(f"has {node.role} = {show(result)}")
                return result
            case _:  # pragma: no cover - mypy proves every node is handled
                assert_never(node)

    def _aggregate(self, node: TAgg, f: AccountFacts, trace: Trace | None) -> Any:
        chosen = [
            inv
            for inv in f.invoices
            if node.where is None or self._eval(node.where, f, inv, None) is True
        ]
        if node.func == "count":
            result: Any = len(chosen)
        elif node.func in ("any", "all"):
            if node.field is None:
                result = bool(chosen) if node.func == "any" else len(chosen) == len(f.invoices)
            else:
                values = [node.field.get(inv) for inv in chosen]
                result = any(values) if node.func == "any" else all(values)
        else:
            assert node.field is not None  # noqa: S101 - the checker guarantees it
            values = [node.field.get(inv) for inv in chosen]
            if node.func == "sum":
                if node.type.kind is Kind.MONEY:
                    result = rt.money_sum(values, f)
                elif node.type.kind is Kind.DURATION:
                    result = rt.duration_sum(values)
                else:
                    result = rt.number_sum(values)
            else:
                result = rt.maximum(values) if node.func == "max" else rt.minimum(values)
        if trace is not None:
            trace.append(f"{node.text} = {show(result)}")
        return result


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return rt.eq(a, b)
    if op == "!=":
        return rt.ne(a, b)
    if op == "<":
        return rt.lt(a, b)
    if op == "<=":
        return rt.le(a, b)
    if op == ">":
        return rt.gt(a, b)
    return rt.ge(a, b)
