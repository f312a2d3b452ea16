"""The compiler: checked expressions become Python functions over `AccountFacts`.

`Program` generates Python source **from the checked IR only** and compiles it once. Every value
written in the rule file (numbers, money, strings, dates, names of roles) is passed in a
constants tuple and referenced as ``K[i]``; the only other identifiers in the source are the fact
expressions of `arcollect.lang.schema` and the names of `arcollect.lang.runtime.NAMESPACE`. No
text of a rule file becomes code, so a string literal can never be executed. This path is as fast
as hand-written Python (see benchmarks/lang_bench.py); the reference interpreter
(`arcollect.lang.interpreter`) walks the same IR with the same runtime, and the two are tested
against each other.

Numbers are exact Decimals (60 significant digits, division rounded half to even there); money
follows `arcollect.Money` (rounded to the currency's minor unit). Evaluation runs under
`MONEY_CONTEXT`, never the caller's Decimal context. The semantics of absent values and of
currencies are the runtime's (see `arcollect.lang.runtime`).
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final, assert_never

import attrs

from arcollect.domain.money import MONEY_CONTEXT
from arcollect.errors import CurrencyMismatchError
from arcollect.facts import AccountFacts
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
from arcollect.lang.runtime import NAMESPACE, evaluation_error
from arcollect.lang.types import Kind

__all__ = ["CompiledExpr", "Program"]

_ORDER_HELPERS: Final = {"<": "_lt", "<=": "_le", ">": "_gt", ">=": "_ge"}
_EQUALITY_HELPERS: Final = {"==": "_eq", "!=": "_ne"}
_CALL_HELPERS: Final = {"end_of_month": "_eom", "day_of_month": "_dom", "weekday": "_wday"}


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
        """Return the Python expression for *node*.

        One case per node kind, and long for that reason: a `match` that mypy proves complete
        (`assert_never`), kept in one piece so that it reads beside `Interpreter._eval`.
        """
        match node:
            case TConst():
                return self.const(node.value)
            case TFact() | TField():
                return node.fact.code
            case TLet() | TSegment():
                key = f"{'let' if isinstance(node, TLet) else 'segment'} {node.name}"
                if key in self.inline:  # short definitions are inlined: no call per use
                    return self.gen(self.inline[key])
                if isinstance(node, TLet):
                    return f"L[{self.lets[node.name]}](F)"
                return f"S[{self.segments[node.name]}](F)"
            case TUnary():
                inner = self.gen(node.operand)
                return f"_neg({inner})" if node.optional else f"(-{inner})"
            case TBinary():
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
            case TCompare():
                left, right = self.gen(node.left), self.gen(node.right)
                money = Kind.MONEY in (node.left.type.kind, node.right.type.kind)
                if node.op in _EQUALITY_HELPERS and money:
                    # amounts of two currencies are neither equal nor unequal: an error, as for <
                    return f"{_EQUALITY_HELPERS[node.op]}({left}, {right})"
                if node.op in _ORDER_HELPERS and (node.left.optional or node.right.optional):
                    return f"{_ORDER_HELPERS[node.op]}({left}, {right})"
                return f"({left} {node.op} {right})"
            case TBool():
                return f"({self.cond(node.left)} {node.op} {self.cond(node.right)})"
            case TNot():
                return f"(not {self.cond(node.operand)})"
            case TSet():
                if all(isinstance(i, TConst) for i in node.items):
                    return self.const(
                        frozenset(i.value for i in node.items if isinstance(i, TConst))
                    )
                return f"frozenset(({', '.join(self.gen(i) for i in node.items)},))"
            case TIn():
                item, coll = self.gen(node.item), self.gen(node.collection)
                return f"({item} {'not in' if node.negated else 'in'} {coll})"
            case TContains():
                return f"({self.gen(node.item)} in {self.gen(node.container)})"
            case TBetween():
                # A call, not Python's chained comparison: that would skip evaluating the upper
                # bound when the lower one fails, and so hide its errors from the interpreter's
                # semantics (all three are evaluated, as the operands of any operator are).
                v, lo, hi = self.gen(node.value), self.gen(node.low), self.gen(node.high)
                return f"_between({v}, {lo}, {hi})"
            case TCond():
                then, other = self.gen(node.then), self.gen(node.otherwise)
                return f"({then} if {self.cond(node.condition)} else {other})"
            case TAgg():
                return self.aggregate(node)
            case TCall():
                args = [self.gen(a) for a in node.args]
                if node.func in ("min", "max"):
                    return f"_{node.func}(({', '.join(args)},))"
                if node.func == "abs":
                    return f"_abs({args[0]})"
                if node.func == "round":
                    return f"_round({', '.join(args)})"
                if node.func == "times":
                    return f"_times(F, {', '.join(args)})"
                return f"{_CALL_HELPERS.get(node.func, '_dayn')}({args[0]})"
            case THasRole():
                if node.role == "decision_maker":
                    return "F.has_decision_maker"
                return f"_has(F, {self.const(node.role)})"
            case _:  # pragma: no cover - mypy proves every node is handled
                assert_never(node)

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
            **NAMESPACE,
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

    def compile_for_invoice(self, exprs: Iterable[TExpr]) -> CompiledExpr:
        """Compile the conditions of a ``per invoice`` step, which read ``invoice.FIELD``.

        Like `compile_many`, but the function takes the invoice too: ``fast(facts, invoice)``
        (calling the `CompiledExpr` itself is not supported: it needs the invoice).
        """
        return self._build(list(exprs), single=False, params="F, E")

    def _build(self, exprs: list[TExpr], *, single: bool, params: str = "F") -> CompiledExpr:
        if not exprs:
            raise ValueError("nothing to compile")
        gen = _Gen(self.let_index, self.segment_index, self._inline)
        bodies = [gen.gen(e) for e in exprs]
        body = bodies[0] if single else "(" + "".join(f"{b}, " for b in bodies) + ")"
        source = f"def _compiled({params}):\n    return {body}\n"
        namespace = self._namespace(gen.consts)
        self._exec(source, namespace)
        return CompiledExpr(exprs[0], namespace["_compiled"], source, self.source_name)
