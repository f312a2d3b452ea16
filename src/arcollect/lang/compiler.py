"""The compiler: checked expressions become Python functions over `AccountFacts`.

Two evaluators share one semantics:

- `compile_expr` generates Python source **from the checked IR only** and compiles it once.
  Every value written in the rule file (numbers, money, strings, dates, names of roles) is
  passed in a constants tuple and referenced as ``K[i]``; the only identifiers in the source are
  ours (the fact expressions of `arcollect.lang.schema` and the helpers below). No text of a
  rule file becomes code, so a string literal can never be executed. This path is as fast as
  hand-written Python (see benchmarks/lang_bench.py).
- `Interpreter` walks the same IR. It is the reference the generated code is tested against,
  and it records the value of every comparison and condition it evaluates, for explanations
  (``days_past_due = 47 >= 45``).

Semantics of absent values (facts marked optional, such as ``last_payment.date`` for an account
that never paid): arithmetic with an absent value is absent; ``<``, ``<=``, ``>``, ``>=`` and
``between`` with an absent value are false; ``==`` is true only if both are absent, ``!=`` its
negation; an absent condition is false.

Numbers are exact Decimals (60 significant digits, division rounded half to even there); money
follows `arcollect.Money` (rounded to the currency's minor unit). Evaluation runs under
`MONEY_CONTEXT`, never the caller's Decimal context.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

import attrs

from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent
from arcollect.errors import CurrencyMismatchError, EvaluationError, Span
from arcollect.facts import AccountFacts
from arcollect.lang.checked import (
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
from arcollect.lang.schema import RUNTIME
from arcollect.lang.types import Kind

__all__ = ["CompiledExpr", "Interpreter", "Program", "Trace"]

# --------------------------------------------------------------------------------------------
# Runtime helpers, shared by the generated code and the interpreter.


def _num(value: Any) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value)


def _div(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, timedelta):
        return Decimal(a.days) / Decimal(b.days)
    if isinstance(a, Money):
        return a / b
    return _num(a) / _num(b)


def _mul(a: Any, b: Any) -> Any:
    if a is None or b is None:
        return None
    if isinstance(a, timedelta) or isinstance(b, timedelta):
        d, n = (a, b) if isinstance(a, timedelta) else (b, a)
        return timedelta(days=int((Decimal(d.days) * n).to_integral_value(ROUND_HALF_EVEN)))
    return a * b


def _add(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a + b


def _sub(a: Any, b: Any) -> Any:
    return None if a is None or b is None else a - b


def _neg(a: Any) -> Any:
    return None if a is None else -a


def _lt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a < b


def _le(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a <= b


def _gt(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a > b


def _ge(a: Any, b: Any) -> bool:
    return a is not None and b is not None and a >= b


def _between(v: Any, lo: Any, hi: Any) -> bool:
    return v is not None and lo is not None and hi is not None and lo <= v <= hi


def _msum(values: Iterable[Money], facts: AccountFacts) -> Money:
    return Money.sum(values, facts.account.currency)


def _nsum(values: Iterable[Any]) -> Any:
    total: Any = None
    for v in values:
        total = v if total is None else total + v
    return Decimal(0) if total is None else total


def _dsum(values: Iterable[timedelta]) -> timedelta:
    return sum(values, timedelta())


def _max(values: Iterable[Any]) -> Any:
    vals = list(values)
    return None if not vals or any(v is None for v in vals) else max(vals)


def _min(values: Iterable[Any]) -> Any:
    vals = list(values)
    return None if not vals or any(v is None for v in vals) else min(vals)


def _abs(a: Any) -> Any:
    return None if a is None else abs(a)


def _round(a: Any, places: Any = 0) -> Any:
    if a is None or places is None:
        return None
    quantum = Decimal(1).scaleb(-int(places))
    if isinstance(a, Money):
        places_allowed = currency_exponent(a.currency)
        return Money(
            a.amount.quantize(Decimal(1).scaleb(-min(int(places), places_allowed))), a.currency
        )
    return _num(a).quantize(quantum, rounding=ROUND_HALF_EVEN)


def _days(a: Any) -> Any:
    return None if a is None else Decimal(a.days)


def _has(facts: AccountFacts, role: str) -> bool:
    return bool(facts.contacts_with_role(role))


_HELPERS: Final[Mapping[str, Any]] = {
    **RUNTIME,
    "_div": _div,
    "_mul": _mul,
    "_add": _add,
    "_sub": _sub,
    "_neg": _neg,
    "_lt": _lt,
    "_le": _le,
    "_gt": _gt,
    "_ge": _ge,
    "_between": _between,
    "_msum": _msum,
    "_nsum": _nsum,
    "_dsum": _dsum,
    "_max": _max,
    "_min": _min,
    "_abs": _abs,
    "_round": _round,
    "_dayn": _days,
    "_has": _has,
}

_ORDER_HELPERS = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}


# --------------------------------------------------------------------------------------------
# Code generation


class _Gen:
    """Generates one Python expression for a typed expression; collects its constants."""

    def __init__(
        self,
        lets: Mapping[str, int],
        segments: Mapping[str, int],
        inline: Mapping[str, TExpr] | None = None,
    ) -> None:
        self.consts: list[Any] = []
        self.lets = lets
        self.segments = segments
        self.inline = inline or {}

    def const(self, value: Any) -> str:
        self.consts.append(value)
        return f"K[{len(self.consts) - 1}]"

    def gen(self, node: TExpr) -> str:
        if isinstance(node, TConst):
            return self.const(node.value)
        if isinstance(node, TFact | TField):
            return node.fact.code
        if isinstance(node, TLet | TSegment):
            key = f"{'let' if isinstance(node, TLet) else 'segment'} {node.name}"
            if key in self.inline:  # short definitions are inlined: no call per use
                return self.gen(self.inline[key])
            if isinstance(node, TLet):
                return f"L[{self.lets[node.name]}](F)"
            return f"S[{self.segments[node.name]}](F)"
        if isinstance(node, TUnary):
            inner = self.gen(node.operand)
            return f"_neg({inner})" if node.optional else f"(-{inner})"
        if isinstance(node, TBinary):
            left, right = self.gen(node.left), self.gen(node.right)
            lk, rk = node.left.type.kind, node.right.type.kind
            if node.op == "/":
                # int / int would give a float: only when both sides may be ints, convert.
                both_int = _maybe_int(node.left) and _maybe_int(node.right)
                if node.optional or lk is Kind.DURATION or both_int:
                    return f"_div({left}, {right})"
                return f"({left} / {right})"
            if node.op == "*" and (Kind.DURATION in (lk, rk) or node.optional):
                return f"_mul({left}, {right})"
            if node.optional:
                helper = {"+": "_add", "-": "_sub", "*": "_mul"}[node.op]
                return f"{helper}({left}, {right})"
            return f"({left} {node.op} {right})"
        if isinstance(node, TCompare):
            left, right = self.gen(node.left), self.gen(node.right)
            if node.op in _ORDER_HELPERS and (node.left.optional or node.right.optional):
                return f"{_ORDER_HELPERS[node.op]}({left}, {right})"
            return f"({left} {node.op} {right})"
        if isinstance(node, TBool):
            return f"({self.cond(node.left)} {node.op} {self.cond(node.right)})"
        if isinstance(node, TNot):
            return f"(not {self.cond(node.operand)})"
        if isinstance(node, TSet):
            if all(isinstance(i, TConst) for i in node.items):
                return self.const(frozenset(i.value for i in node.items if isinstance(i, TConst)))
            return f"frozenset(({', '.join(self.gen(i) for i in node.items)},))"
        if isinstance(node, TIn):
            item, coll = self.gen(node.item), self.gen(node.collection)
            return f"({item} {'not in' if node.negated else 'in'} {coll})"
        if isinstance(node, TContains):
            return f"({self.gen(node.item)} in {self.gen(node.container)})"
        if isinstance(node, TBetween):
            v, lo, hi = self.gen(node.value), self.gen(node.low), self.gen(node.high)
            if node.value.optional or node.low.optional or node.high.optional:
                return f"_between({v}, {lo}, {hi})"
            return f"({lo} <= {v} <= {hi})"
        if isinstance(node, TCond):
            then, other = self.gen(node.then), self.gen(node.otherwise)
            return f"({then} if {self.cond(node.condition)} else {other})"
        if isinstance(node, TAgg):
            return self.aggregate(node)
        if isinstance(node, TCall):
            args = [self.gen(a) for a in node.args]
            if node.func in ("min", "max"):
                return f"_{node.func}(({', '.join(args)},))"
            if node.func == "abs":
                return f"_abs({args[0]})"
            if node.func == "round":
                return f"_round({', '.join(args)})"
            return f"_dayn({args[0]})"
        if isinstance(node, THasRole):
            if node.role == "decision_maker":
                return "F.has_decision_maker"
            return f"_has(F, {self.const(node.role)})"
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

    def cond(self, node: TExpr) -> str:
        return f"({self.gen(node)} is True)" if node.optional else self.gen(node)

    def aggregate(self, node: TAgg) -> str:
        where = f" if {self.cond(node.where)}" if node.where is not None else ""
        loop = f"for E in F.invoices{where}"
        if node.func == "count":
            return f"sum(1 {loop})"
        if node.func in ("any", "all"):
            if node.field is None:
                pred = self.cond(node.where) if node.where is not None else "True"
                return f"{node.func}({pred} for E in F.invoices)"
            return f"{node.func}({node.field.code} {loop})"
        assert node.field is not None  # noqa: S101 - the checker guarantees it
        value = node.field.code
        if node.func == "sum":
            kind = node.type.kind
            if kind is Kind.MONEY:
                return f"_msum(({value} {loop}), F)"
            if kind is Kind.DURATION:
                return f"_dsum(({value} {loop}))"
            return f"_nsum(({value} {loop}))"
        return f"_{node.func}(({value} {loop}))"


_INT_FACTS: Final = frozenset(
    {
        "days_past_due",
        "promises.kept",
        "promises.broken",
        "promises.partially_kept",
        "days_since_payment",
        "days_since_contact",
        "invoice.days_past_due",
    }
)


def _maybe_int(node: TExpr) -> bool:
    """Whether a number may be a Python int at run time, so that ``/`` must convert it."""
    if isinstance(node, TFact | TField):
        return node.fact.name in _INT_FACTS
    if isinstance(node, TBinary):
        return node.op != "/" and _maybe_int(node.left) and _maybe_int(node.right)
    if isinstance(node, TUnary):
        return _maybe_int(node.operand)
    if isinstance(node, TCond):
        return _maybe_int(node.then) or _maybe_int(node.otherwise)
    if isinstance(node, TCall):
        return node.func in ("min", "max", "abs") and any(_maybe_int(a) for a in node.args)
    if isinstance(node, TAgg):
        return node.func == "count" or (node.field is not None and node.field.name in _INT_FACTS)
    return isinstance(node, TLet)  # not looked into: assume the worst


@attrs.frozen
class CompiledExpr:
    """A compiled expression: call it with an account's facts to get its value.

    ``fast`` is the bare generated function (for loops that already run under
    `MONEY_CONTEXT`); ``source`` the generated Python, for inspection.
    """

    expr: TExpr
    fast: Callable[[AccountFacts], Any] = attrs.field(repr=False)
    source: str = attrs.field(repr=False)
    source_name: str = "<policy>"

    def __call__(self, facts: AccountFacts) -> Any:
        """Evaluate for *facts*; raise `EvaluationError` if the data makes that impossible."""
        with decimal.localcontext(MONEY_CONTEXT):
            try:
                return self.fast(facts)
            except (CurrencyMismatchError, ArithmeticError) as exc:
                raise evaluation_error(self.expr, self.source_name, facts, exc) from None


def evaluation_error(
    expr: TExpr, source_name: str, facts: AccountFacts, exc: BaseException
) -> EvaluationError:
    """Return the error for *expr* failing on *facts* with *exc*."""
    what = str(exc) if isinstance(exc, CurrencyMismatchError) else _arith(exc)
    sp: Span = expr.span
    return EvaluationError(
        f"{source_name}:{sp.line}:{sp.column}: cannot evaluate `{expr.text}` "
        f"for account {facts.account.id!r}: {what}"
    )


def _arith(exc: BaseException) -> str:
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return "division by zero"
    signals = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    if decimal.DivisionUndefined in signals:  # 0 / 0
        return "division by zero"
    return f"invalid arithmetic ({type(exc).__name__})"


_counter = itertools.count()

#: Lets and segments whose generated code is at most this long are inlined where used.
_INLINE_LIMIT = 240


class Program:
    """The compiled lets and segments of a policy, and a compiler for its other expressions."""

    def __init__(
        self,
        lets: Mapping[str, TExpr],
        segments: Mapping[str, TExpr],
        source_name: str = "<policy>",
    ) -> None:
        self.source_name = source_name
        self.let_index = {name: i for i, name in enumerate(lets)}
        self.segment_index = {name: i for i, name in enumerate(segments)}
        self.let_exprs = dict(lets)
        self.segment_exprs = dict(segments)
        # All definitions become functions of one generated module (one compile for all).
        # Definitions whose code is short are also inlined where they are used (evaluation is
        # pure, so this changes nothing but speed); long ones stay calls: code cannot blow up.
        gen = _Gen(self.let_index, self.segment_index)
        defs: list[str] = []
        self._inline: dict[str, TExpr] = {}
        for kind, prefix, exprs in (("let", "L", lets), ("segment", "S", segments)):
            for i, (name, e) in enumerate(exprs.items()):
                body = gen.gen(e)
                defs.append(f"def {prefix}{i}(F):\n    return {body}\n")
                if len(body) <= _INLINE_LIMIT:
                    self._inline[f"{kind} {name}"] = e
        self._lets: list[Callable[[AccountFacts], Any]] = []
        self._segments: list[Callable[[AccountFacts], Any]] = []
        namespace = self._namespace(gen.consts)
        self._exec("".join(defs), namespace)
        self._lets += [namespace[f"L{i}"] for i in range(len(lets))]
        self._segments += [namespace[f"S{i}"] for i in range(len(segments))]

    def _namespace(self, consts: list[Any]) -> dict[str, Any]:
        return {
            **_HELPERS,
            "K": tuple(consts),
            "L": self._lets,
            "S": self._segments,
            "__builtins__": {"sum": sum, "any": any, "all": all, "frozenset": frozenset},
        }

    def _exec(self, source: str, namespace: dict[str, Any]) -> None:
        code = compile(source, f"<arcollect {self.source_name} #{next(_counter)}>", "exec")
        exec(code, namespace)  # noqa: S102 - source built from the checked IR, literals in K

    def compile(self, expr: TExpr) -> CompiledExpr:
        """Compile *expr* (which may refer to the lets and segments) into a function."""
        return self._build([expr], single=True)

    def compile_many(self, exprs: Iterable[TExpr]) -> CompiledExpr:
        """Compile several expressions into one function returning the tuple of their values.

        Evaluating an account's step conditions and score in one call saves a call per
        expression; errors name the first expression of the group.
        """
        return self._build(list(exprs), single=False)

    def _build(self, exprs: list[TExpr], *, single: bool) -> CompiledExpr:
        if not exprs:
            raise ValueError("nothing to compile")
        gen = _Gen(self.let_index, self.segment_index, self._inline)
        bodies = [gen.gen(e) for e in exprs]
        body = bodies[0] if single else "(" + "".join(f"{b}, " for b in bodies) + ")"
        source = f"def _compiled(F):\n    return {body}\n"
        namespace = self._namespace(gen.consts)
        self._exec(source, namespace)
        return CompiledExpr(exprs[0], namespace["_compiled"], source, self.source_name)


# --------------------------------------------------------------------------------------------
# The interpreter


Trace = list[str]


def _show(value: Any) -> str:
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

    def __init__(self, lets: Mapping[str, TExpr], segments: Mapping[str, TExpr]) -> None:
        self.lets = lets
        self.segments = segments

    def evaluate(self, expr: TExpr, facts: AccountFacts, trace: Trace | None = None) -> Any:
        """Return the value of *expr* for *facts*; append explanations to *trace* if given."""
        with decimal.localcontext(MONEY_CONTEXT):
            return self._eval(expr, facts, None, trace)

    def _eval(self, node: TExpr, f: AccountFacts, e: Any, trace: Trace | None) -> Any:
        ev = self._eval
        if isinstance(node, TConst):
            return node.value
        if isinstance(node, TFact):
            value = node.fact.get(f)
            if trace is not None and node.type.kind is Kind.BOOL:
                trace.append(f"{node.text} = {_show(value)}")
            return value
        if isinstance(node, TField):
            return node.fact.get(e)
        if isinstance(node, TLet):
            return ev(self.lets[node.name], f, e, trace)
        if isinstance(node, TSegment):
            value = ev(self.segments[node.name], f, e, None)
            if trace is not None:
                trace.append(f"{node.text} = {_show(value)}")
            return value
        if isinstance(node, TUnary):
            return _neg(ev(node.operand, f, e, trace))
        if isinstance(node, TBinary):
            a, b = ev(node.left, f, e, trace), ev(node.right, f, e, trace)
            if node.op == "+":
                return _add(a, b)
            if node.op == "-":
                return _sub(a, b)
            if node.op == "*":
                return _mul(a, b)
            return _div(a, b)
        if isinstance(node, TCompare):
            a, b = ev(node.left, f, e, None), ev(node.right, f, e, None)
            result = _compare(node.op, a, b)
            if trace is not None:
                shown = node.left.text
                if not isinstance(node.left, TConst):
                    shown += f" = {_show(a)}"
                right = (
                    node.right.text
                    if isinstance(node.right, TConst)
                    else f"{_show(b)} ({node.right.text})"
                )
                trace.append(f"{shown} {node.op if result else _NEGATED[node.op]} {right}")
            return result
        if isinstance(node, TBool):
            left = ev(node.left, f, e, trace) is True
            if node.op == "and" and not left:
                return False
            if node.op == "or" and left:
                return True
            return ev(node.right, f, e, trace) is True
        if isinstance(node, TNot):
            return ev(node.operand, f, e, trace) is not True
        if isinstance(node, TSet):
            return frozenset(ev(i, f, e, None) for i in node.items)
        if isinstance(node, TIn):
            item, coll = ev(node.item, f, e, None), ev(node.collection, f, e, None)
            result = (item not in coll) if node.negated else (item in coll)
            if trace is not None:
                trace.append(
                    f"{node.text}: {_show(item)} is{'' if result != node.negated else ' not'} "
                    f"in {_show(coll)}"
                )
            return result
        if isinstance(node, TContains):
            container, item = ev(node.container, f, e, None), ev(node.item, f, e, None)
            result = item in container
            if trace is not None:
                trace.append(
                    f"{node.text} = {_show(result)} ({node.container.text} = {_show(container)})"
                )
            return result
        if isinstance(node, TBetween):
            v, lo, hi = (ev(x, f, e, None) for x in (node.value, node.low, node.high))
            result = _between(v, lo, hi)
            if trace is not None:
                trace.append(
                    f"{node.text}: {node.value.text} = {_show(v)}, "
                    f"{'' if result else 'not '}between {_show(lo)} and {_show(hi)}"
                )
            return result
        if isinstance(node, TCond):
            cond = ev(node.condition, f, e, None) is True
            return ev(node.then if cond else node.otherwise, f, e, trace)
        if isinstance(node, TAgg):
            return self._aggregate(node, f, trace)
        if isinstance(node, TCall):
            args = [ev(a, f, e, trace) for a in node.args]
            if node.func == "min":
                return _min(args)
            if node.func == "max":
                return _max(args)
            if node.func == "abs":
                return _abs(args[0])
            if node.func == "round":
                return _round(*args)
            return _days(args[0])
        if isinstance(node, THasRole):
            result = _has(f, node.role)
            if trace is not None:
                trace.append(f"has {node.role} = {_show(result)}")
            return result
        raise AssertionError(f"unexpected node {node!r}")  # pragma: no cover

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
                    result = _msum(values, f)
                elif node.type.kind is Kind.DURATION:
                    result = _dsum(values)
                else:
                    result = _nsum(values)
            else:
                result = _max(values) if node.func == "max" else _min(values)
        if trace is not None:
            trace.append(f"{node.text} = {_show(result)}")
        return result


_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}


def _compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return bool(a == b)
    if op == "!=":
        return bool(a != b)
    if op == "<":
        return _lt(a, b)
    if op == "<=":
        return _le(a, b)
    if op == ">":
        return _gt(a, b)
    return _ge(a, b)
