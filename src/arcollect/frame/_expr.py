r"""Checked policy expressions as polars expressions over a facts frame, exact, or declined.

`translate` turns a checked expression (`arcollect.lang.ir.TExpr`) into a polars expression
that computes its value for every row of a **facts frame**: one row per account, one column per
fact the expression reads. It means exactly what the row engine's interpreter means
(`arcollect.lang.interpreter`, `arcollect.lang.runtime`): absent values, currencies, Decimal
arithmetic under `MONEY_CONTEXT`. What it cannot make exact it declines: `translate` returns
None and the caller evaluates that expression with the row engine.

**Exact numbers.** Numbers and money are integers with a scale chosen when translating, never
floats: money is Int128 minor units of its currency (money facts are in the frame's currency,
a literal in its own), a number is an Int128 ``n`` meaning ``n / 10**scale``; constants are
scaled to the common exponent of the operation. Money times a number is rounded half to even
to the minor unit, as `Money` rounds; durations are whole days. A division is translated only
by a constant whose quotients always terminate (a constant ``2**a * 5**b * 10**k``: ``/ 1,000
EUR``, ``/ 4``, ``* 10%``), where Python's Decimal is exact too; anything else is declined.
Every intermediate result stays below ``2**126`` in magnitude: where the static bounds do not
prove it, the operands are checked row by row and rows beyond are marked for the fallback.

**Rows the row engine refuses.** A `Translation` has a ``fallback`` expression, a Boolean that
is never null: true for the rows whose value the translation does not give, which the caller
must evaluate with the row engine. It is true on every row where the row engine raises (amounts
of two currencies compared, added or chosen between by ``min``/``max``; a date or duration out
of `datetime`'s range; ``round`` of money to 10**18 or more, which `Money` refuses), following
the evaluation order of the row engine (``and``/``or`` stop early, ``if ... else`` evaluates one
branch), and on the rows whose intermediate values are too large for the integer bound above.
On every other row ``value`` is exact.

**Declined** (None): aggregates over invoices and invoice fields (``count(invoices)``,
``invoice.open``), ``times(STEP)``, the facts ``account.risk`` (a Decimal of any exponent) and
``promises.kept_rate`` (a 60-digit ratio), division by anything but such a constant, equality
of sets of strings, ``if ... else`` between two currencies or between sets.

**The facts frame** (`facts_frame` builds one from row-engine facts, the reference the
columnar engine's own frame is checked against). Columns are named by the fact's dotted name:

=================================  ==============================================================
fact type                          column
=================================  ==============================================================
money (``overdue``, ...)           Int64, minor units of the frame's currency (250.00 EUR: 25000)
number (``days_past_due``, ...)    Int64 (every translated number fact is a whole number)
duration (``account.terms``)       Int64, days
date (``today``, ``oldest_due``)   Date
condition (``promise.active``)     Boolean, never null
string, enumeration                String (an enumeration member by its value: ``"irate"``)
set of strings (``account.tags``)  List(String), never null
``has ROLE``                       Boolean column named ``has ROLE`` (``has decision_maker``)
=================================  ==============================================================

An optional fact is null where it is absent; ``account.id`` is always there. All accounts of a frame
share one currency, the ``currency`` given to `translate`; `facts_frame` refuses accounts of two
currencies (`CurrencyMismatchError`: make one frame per currency) and an amount beyond Int64's range
in minor units (`DataError`, at the account and fact).

What a translation gives (`Translation.value`): a condition is Boolean, never null; a number Int128
at `Translation.scale`; money Int128 minor units of `Translation.currency`; a duration Int64 days; a
date Date; a string or enumeration String. A number also carries, per row, the exponent and the sign
of zero of the row engine's Decimal (`Translation.exponent`, `Translation.negative_zero`), so that
it prints alike (``0.25``, ``2.00E+3``, ``-0``; the plan prints scores), except where
`Translation.exact_text` says it is not followed (an ``if ... else`` between an int and a Decimal,
then multiplied; a quotient of such a value). `Translation.values` reads it back as the row engine's
Python values (Decimal, Money, timedelta, date, enumeration members), with `FALLBACK` on the rows to
fall back. (Evaluate the expressions lazily, as `Translation.values` does: polars 2.1's eager
``DataFrame.with_columns`` sizes some of them as a single row.)

>>> from arcollect import parse_policy
>>> policy = parse_policy(
...     'policy "P"\n  currency EUR\nsegment big when overdue >= 100 EUR and not promise.active')
>>> t = translate(policy.checked.segments["big"], policy.checked, currency="EUR")
>>> sorted(t.reads)
['overdue', 'promise.active']
>>> frame = pl.DataFrame({"overdue": [25_000, 9_999], "promise.active": [False, False]})
>>> t.values(frame)
[True, False]
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final, assert_never

import attrs
import polars as pl

from arcollect.domain.money import Money, currency_exponent
from arcollect.errors import CurrencyMismatchError, DataError
from arcollect.facts import AccountFacts
from arcollect.lang import runtime as rt
from arcollect.lang.ir import (
    CheckedPolicy,
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
from arcollect.lang.schema import FACTS
from arcollect.lang.types import Kind, Type

__all__ = ["FALLBACK", "Translation", "facts_frame", "translate"]


class _Fallback(enum.Enum):
    FALLBACK = "fallback"

    def __repr__(self) -> str:
        return "FALLBACK"


#: What `Translation.values` gives for a row the caller must evaluate with the row engine.
FALLBACK: Final = _Fallback.FALLBACK

#: Every integer a translation computes stays within this magnitude (Int128 holds 2**127).
LIMIT: Final = 2**126
_I64_BOUND: Final = 2**63
_EPOCH: Final = date(1970, 1, 1)
_DAY_MIN: Final = (date.min - _EPOCH).days
_DAY_MAX: Final = (date.max - _EPOCH).days
#: The largest number of days a `timedelta` holds, either sign.
_TD_MAX: Final = 999_999_999
#: The size from which `Money` refuses an amount (`MAX_AMOUNT_DIGITS` digits before the point).
_MONEY_TOO_LARGE: Final = 10**18

#: Number facts that are not whole numbers: declined.
_DECLINED_FACTS: Final = frozenset({"account.risk", "promises.kept_rate", "invoices"})
_NUMERIC: Final = (Kind.NUMBER, Kind.MONEY)
_INTS: Final = (Kind.DURATION, Kind.DATE)


class _Declined(Exception):  # noqa: N818 - not an error: a signal caught by `translate`
    """A construct the translation does not handle (caught by `translate`)."""


def _i128(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.Int128)


def _i64(value: int) -> pl.Expr:
    return pl.lit(value, dtype=pl.Int64)


def _or(*parts: pl.Expr | None) -> pl.Expr | None:
    """Return the disjunction of the failure marks that are not None (None: nothing fails)."""
    present = [p for p in parts if p is not None]
    if not present:
        return None
    out = present[0]
    for p in present[1:]:
        out = out | p
    return out


def _and(cond: pl.Expr, fails: pl.Expr | None) -> pl.Expr | None:
    return None if fails is None else cond & fails


def _present(*exprs: pl.Expr) -> pl.Expr:
    out = exprs[0].is_not_null()
    for e in exprs[1:]:
        out = out & e.is_not_null()
    return out


def _outside(expr: pl.Expr, low: int, high: int) -> pl.Expr:
    """Whether *expr* lies outside ``[low, high]`` (false where it is null)."""
    return ((expr < low) | (expr > high)).fill_null(value=False)


def _round_div(expr: pl.Expr, divisor: int) -> pl.Expr:
    """``expr / divisor`` rounded half to even (*divisor* positive), as Decimal's quantize."""
    if divisor == 1:
        return expr
    d = _i128(divisor)
    q = expr // d
    twice_r = (expr - q * d) * _i128(2)
    up = (twice_r > d) | ((twice_r == d) & (q % _i128(2) != _i128(0)))
    return q + up.cast(pl.Int128)


@attrs.frozen
class _V:
    """A translated value: its polars expression, its representation, and where it fails.

    NUMBER and MONEY: Int128 ``expr`` meaning ``expr / 10**scale`` (money: minor units of
    *currency*, scale its exponent), ``|expr| <= bound`` on every row that does not fail.
    DURATION and DATE: Int64 days (dates since 1970-01-01). BOOL: Boolean, never null.
    STRING, ENUM: String. STRING_SET: List(String), or the items of a written list.
    """

    kind: Kind
    expr: pl.Expr
    fails: pl.Expr | None = None
    scale: int = 0
    bound: int = 0
    currency: str | None = None
    items: tuple[_V, ...] | None = None
    #: NUMBER, as the row engine holds it: its Decimal's exponent (an int where the same on
    #: every row, an Int64 expression, None where not followed), whether it is a negative zero
    #: (None: never) and whether it is a Python int (None: on some rows).
    exp: int | pl.Expr | None = None
    neg0: pl.Expr | None = None
    pyint: bool | None = False


Exp = int | pl.Expr | None


def _exp_expr(e: int | pl.Expr) -> pl.Expr:
    return _i64(e) if isinstance(e, int) else e


def _emin(a: Exp, b: Exp) -> Exp:
    """Return the exponent of an exact sum: the smaller one."""
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return min(a, b)
    return pl.min_horizontal(_exp_expr(a), _exp_expr(b))


def _eplus(a: Exp, b: Exp) -> Exp:
    """Return the exponent of an exact product: the sum."""
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int):
        return a + b
    return _exp_expr(a) + _exp_expr(b)


def _ewhen(cond: pl.Expr, a: Exp, b: Exp) -> Exp:
    if a is None or b is None:
        return None
    if isinstance(a, int) and isinstance(b, int) and a == b:
        return a
    return pl.when(cond).then(_exp_expr(a)).otherwise(_exp_expr(b))


def _zwhen(cond: pl.Expr, a: pl.Expr | None, b: pl.Expr | None) -> pl.Expr | None:
    if a is None and b is None:
        return None
    no = pl.lit(value=False)
    return pl.when(cond).then(no if a is None else a).otherwise(no if b is None else b)


def _signbit(v: _V) -> pl.Expr:
    """Whether the row engine's Decimal has its sign set (negative, or a negative zero)."""
    negative = v.expr < _i128(0)
    return negative if v.neg0 is None else negative | v.neg0


def _both_int(*vs: _V) -> bool | None:
    if all(v.pyint is True for v in vs):
        return True
    if any(v.pyint is None for v in vs):
        return None
    return False


def _cap(v: _V, cap: int) -> tuple[pl.Expr | None, int]:
    """Bound *v* by *cap*: a row check where its static bound does not prove it."""
    if v.bound <= cap:
        return None, v.bound
    return _outside(v.expr, -cap, cap), cap


def _rescale(v: _V, scale: int) -> _V:
    """*v* (a number) at the finer *scale*, its integer multiplied by 10**(scale - v.scale)."""
    if scale == v.scale:
        return v
    factor = 10 ** (scale - v.scale)
    guard, bound = _cap(v, LIMIT // factor)
    return attrs.evolve(
        v, expr=v.expr * _i128(factor), fails=_or(v.fails, guard), scale=scale, bound=bound * factor
    )


def _align(*vs: _V) -> list[_V]:
    scale = max(v.scale for v in vs)
    return [_rescale(v, scale) for v in vs]


def _product(a: _V, b: _V) -> tuple[pl.Expr, pl.Expr | None, int]:
    """Return the product of two integers, checked to stay within `LIMIT`."""
    guards: list[pl.Expr | None] = []
    ba, bb = a.bound, b.bound
    if ba * bb > LIMIT:
        if ba <= _I64_BOUND:
            g, bb = _cap(b, LIMIT // max(ba, 1))
            guards.append(g)
        elif bb <= _I64_BOUND:
            g, ba = _cap(a, LIMIT // max(bb, 1))
            guards.append(g)
        else:
            ga, ba = _cap(a, _I64_BOUND)
            gb, bb = _cap(b, _I64_BOUND)
            guards += [ga, gb]
    return a.expr * b.expr, _or(a.fails, b.fails, *guards), ba * bb


def _scaled(value: Decimal, scale: int) -> int:
    """Return ``value * 10**scale`` as an integer (exact: *scale* covers the decimals)."""
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite: literals are
    coefficient = int("".join(map(str, digits)) or "0")
    shift = exponent + scale
    n = coefficient * 10**shift if shift >= 0 else coefficient // 10**-shift
    return int(-n if sign else n)


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 - finite
    return max(0, -exponent)


def _number(value: Decimal | int) -> _V:
    d = Decimal(value)
    scale = _decimals(d)
    n = _scaled(d, scale)
    exponent = d.as_tuple().exponent
    assert isinstance(exponent, int)  # noqa: S101 - finite
    return _V(Kind.NUMBER, _i128(n), scale=scale, bound=abs(n), exp=exponent)


def _quotient_exp(out: pl.Expr, scale: int, ea: Exp, eb: int) -> Exp:
    """Return the exponent of Python's exact quotient ``out / 10**scale`` (operands *ea*, *eb*).

    Decimal gives the ideal exponent ``ea - eb`` where the quotient has that many decimals or
    fewer (a zero, too), else just as many decimals as the quotient needs.
    """
    if not isinstance(ea, int):
        return None
    ideal = ea - eb
    need = scale + ideal  # how many trailing zeros of *out* move it to the ideal exponent
    if need <= 0:
        return ideal
    if need > 38:
        return None
    zeros = [(out % _i128(10**j) == _i128(0)).cast(pl.Int64) for j in range(1, need + 1)]
    return _i64(-scale) + pl.sum_horizontal(zeros)


def _days(expr: pl.Expr) -> pl.Expr:
    """Int64 days since 1970-01-01 as a polars Date (out of range only on failing rows)."""
    return expr.cast(pl.Int32, strict=False).cast(pl.Date)


def _const(node: TExpr) -> Any:
    """Return the value of a constant divisor (a literal, or a negated one), else `_Declined`."""
    if isinstance(node, TConst):
        return node.value
    if isinstance(node, TUnary) and isinstance(node.operand, TConst):
        return -node.operand.value
    raise _Declined


def _terminating(divisor: Decimal) -> tuple[int, int, int]:
    """For ``divisor = ±2**a * 5**b * 10**k``: (multiplier, extra scale, sign), else `_Declined`.

    ``x / divisor`` is ``x * multiplier / 10**extra`` exactly.
    """
    if not divisor:
        raise _Declined
    sign, digits, exponent = divisor.as_tuple()
    assert isinstance(exponent, int)  # noqa: S101 - finite
    c = int("".join(map(str, digits)))
    twos = fives = 0
    while c % 2 == 0:
        c //= 2
        twos += 1
    while c % 5 == 0:
        c //= 5
        fives += 1
    if c != 1:
        raise _Declined  # 1/3: Python's Decimal rounds it to 60 digits
    t = max(twos, fives)
    multiplier = 2 ** (t - twos) * 5 ** (t - fives)
    return multiplier, t + exponent, -1 if sign else 1


@attrs.frozen
class Translation:
    """A policy expression as polars expressions over a facts frame (see the module).

    *value* computes the expression; *fallback* (Boolean, never null) marks the rows whose
    value it does not give, to evaluate with the row engine; *reads* names the frame's columns
    it needs. *type* is the expression's type, *scale* the number of decimals of a number's
    integer and *currency* the currency of money (minor units).

    A number also has the exponent of the row engine's Decimal (*exponent*, Int64, or None
    where the translation does not follow it) and whether it is a negative zero
    (*negative_zero*, None: never); *whole*: the row engine's value is a Python int (None: on
    some rows). With them `values` gives Decimals that print as the row engine's do
    (``0.25``, ``2.00E+3``, ``-0``); `exact_text` says whether they are followed.
    """

    value: pl.Expr
    fallback: pl.Expr
    type: Type
    reads: frozenset[str]
    scale: int = 0
    currency: str | None = None
    exponent: pl.Expr | None = None
    negative_zero: pl.Expr | None = None
    whole: bool | None = False

    @property
    def exact_text(self) -> bool:
        """Whether `values` prints as the row engine's values (always, but for some numbers)."""
        return self.type.kind is not Kind.NUMBER or self.exponent is not None

    def values(self, frame: pl.DataFrame) -> list[Any]:
        """Evaluate over *frame*: the row engine's Python value per row, or `FALLBACK`."""
        # with_columns: a constant expression is one value per row of the frame, not one value
        no = pl.lit(None, dtype=pl.Int64)
        lazy = frame.lazy().with_columns(
            self.value.alias("_value"),
            self.fallback.alias("_fallback"),
            (no if self.exponent is None else self.exponent).alias("_exp"),
            (pl.lit(value=False) if self.negative_zero is None else self.negative_zero)
            .fill_null(value=False)
            .alias("_neg0"),
        )
        # lazily: polars 2.1's eager with_columns sizes some expressions as one row ("length 1
        # doesn't match the DataFrame height"); its lazy engine does not
        out = lazy.select("_value", "_fallback", "_exp", "_neg0").collect()
        if self.type.kind is Kind.NUMBER:
            number = self._number
            return [FALLBACK if fb else number(v, e, z) for v, fb, e, z in out.iter_rows()]
        convert = self._converter()
        return [FALLBACK if fb else convert(v) for v, fb, _, _ in out.iter_rows()]

    def _number(self, v: int | None, exp: int | None, neg0: bool) -> int | Decimal | None:
        if v is None:
            return None
        if self.whole is True:
            return int(v // 10**self.scale)
        if exp is None:
            return Decimal(f"{v}E-{self.scale}")
        shift = self.scale + exp
        coefficient = abs(v) // 10**shift if shift >= 0 else abs(v) * 10**-shift
        # the coefficient's digits at exponent *exp* (the same Decimal as from a digit tuple)
        return Decimal(f"{'-' if v < 0 or neg0 else ''}{coefficient}E{exp}")

    def _converter(self) -> Callable[[Any], Any]:
        kind = self.type.kind
        if kind is Kind.MONEY:
            cur = self.currency
            assert cur is not None  # noqa: S101 - money always has its currency
            exp = currency_exponent(cur)
            return lambda v: None if v is None else Money._exact_sum(Decimal(f"{v}E-{exp}"), cur)  # noqa: SLF001 - exact minor units
        if kind is Kind.DURATION:
            return lambda v: None if v is None else timedelta(days=v)
        if kind is Kind.ENUM:
            members = self.type.enum
            assert members is not None  # noqa: S101 - an enum type names its enum
            return lambda v: None if v is None else members(v)
        if kind is Kind.STRING_SET:
            return lambda v: None if v is None else frozenset(v)
        return lambda v: v


def translate(expr: TExpr, policy: CheckedPolicy, *, currency: str) -> Translation | None:
    """Translate *expr* (of *policy*) over a facts frame in *currency*; None if declined.

    Lets and segments are inlined from *policy*. See the module for what is declined and for
    the meaning of `Translation.fallback`.
    """
    tr = _Translator(policy, currency)
    try:
        v = tr.tr(expr)
    except _Declined:
        return None
    value = v.expr
    if v.kind is Kind.DATE:
        value = _days(value)
    elif v.kind is Kind.BOOL:
        value = value.fill_null(value=False)
    fallback = pl.lit(value=False) if v.fails is None else v.fails.fill_null(value=True)
    value = pl.when(fallback).then(None).otherwise(value)  # nothing out of range is converted
    return Translation(
        value=value,
        fallback=fallback,
        type=expr.type,
        reads=frozenset(tr.reads),
        scale=v.scale,
        currency=v.currency,
        exponent=None if v.exp is None else _exp_expr(v.exp),
        negative_zero=v.neg0,
        whole=v.pyint,
    )


class _Translator:
    """Translates the expressions of one policy for a frame in one currency."""

    def __init__(self, policy: CheckedPolicy, currency: str) -> None:
        self.policy = policy
        self.currency = currency
        self.exponent = currency_exponent(currency)
        self.reads: set[str] = set()
        self.defs: dict[tuple[str, str], _V] = {}

    def tr(self, node: TExpr) -> _V:
        """Translate *node*, or raise `_Declined`."""
        match node:
            case TConst():
                return self.constant(node.value, node.type)
            case TFact():
                return self.fact(node.fact.name, node.type)
            case TField() | TAgg():
                raise _Declined
            case TLet() | TSegment():
                key = ("let" if isinstance(node, TLet) else "segment", node.name)
                if key not in self.defs:
                    exprs = self.policy.lets if isinstance(node, TLet) else self.policy.segments
                    self.defs[key] = self.tr(exprs[node.name])
                return self.defs[key]
            case TUnary():
                v = self.tr(node.operand)  # (polars cannot negate an Int128: 0 - x)
                zero = _i128(0) if v.kind in _NUMERIC else _i64(0)
                return attrs.evolve(v, expr=zero - v.expr, neg0=None)  # -0 is 0 in Decimal
            case TBinary():
                return self.binary(node)
            case TCompare():
                return self.compare(node.op, self.tr(node.left), self.tr(node.right))
            case TBool():
                left, right = self.cond(node.left), self.cond(node.right)
                if node.op == "and":
                    fails = _or(left.fails, _and(left.expr, right.fails))
                    return _V(Kind.BOOL, left.expr & right.expr, fails)
                fails = _or(left.fails, _and(~left.expr, right.fails))
                return _V(Kind.BOOL, left.expr | right.expr, fails)
            case TNot():
                v = self.cond(node.operand)
                return _V(Kind.BOOL, ~v.expr, v.fails)
            case TSet():
                items = tuple(self.tr(i) for i in node.items)
                return _V(
                    Kind.STRING_SET, pl.lit(None), _or(*(i.fails for i in items)), items=items
                )
            case TIn():
                v = self.member(self.tr(node.item), self.tr(node.collection))
                return _V(Kind.BOOL, ~v.expr, v.fails) if node.negated else v
            case TContains():
                return self.member(self.tr(node.item), self.tr(node.container))
            case TBetween():
                return self.between(self.tr(node.value), self.tr(node.low), self.tr(node.high))
            case TCond():
                return self.choose(
                    self.cond(node.condition), self.tr(node.then), self.tr(node.otherwise)
                )
            case TCall():
                return self.call(node)
            case THasRole():
                name = f"has {node.role}"
                self.reads.add(name)
                return _V(Kind.BOOL, pl.col(name).fill_null(value=False))
            case _:  # pragma: no cover - mypy proves every node is handled
                assert_never(node)

    def cond(self, node: TExpr) -> _V:
        v = self.tr(node)
        return attrs.evolve(v, expr=v.expr.fill_null(value=False))

    # -- leaves ------------------------------------------------------------------------------

    def constant(self, value: Any, type_: Type) -> _V:
        kind = type_.kind
        if kind is Kind.BOOL:
            return _V(kind, pl.lit(bool(value)))
        if kind is Kind.NUMBER:
            return _number(value)
        if kind is Kind.MONEY:
            assert isinstance(value, Money)  # noqa: S101 - the checker's money literal
            exp = currency_exponent(value.currency)
            n = _scaled(value.amount, exp)
            return _V(kind, _i128(n), scale=exp, bound=abs(n), currency=value.currency)
        if kind is Kind.DURATION:
            return _V(kind, _i64(value.days))
        if kind is Kind.DATE:
            return _V(kind, _i64((value - _EPOCH).days))
        if kind is Kind.STRING:
            return _V(kind, pl.lit(str(value), dtype=pl.String))
        if kind is Kind.ENUM:
            return _V(kind, pl.lit(value.value, dtype=pl.String))
        raise _Declined

    def fact(self, name: str, type_: Type) -> _V:
        if name in _DECLINED_FACTS:
            raise _Declined
        self.reads.add(name)
        col = pl.col(name)
        kind = type_.kind
        if kind is Kind.MONEY:
            return _V(
                kind,
                col.cast(pl.Int128),
                scale=self.exponent,
                bound=_I64_BOUND,
                currency=self.currency,
            )
        if kind is Kind.NUMBER:  # the row engine reads an int
            return _V(kind, col.cast(pl.Int128), bound=_I64_BOUND, exp=0, pyint=True)
        if kind is Kind.DURATION:  # the row engine's timedelta refuses more days
            col = col.cast(pl.Int64)
            return _V(kind, col, _outside(col, -_TD_MAX, _TD_MAX))
        if kind is Kind.DATE:
            return _V(kind, col.cast(pl.Int32).cast(pl.Int64))
        if kind is Kind.BOOL:
            return _V(kind, col.fill_null(value=False))
        return _V(kind, col)

    # -- arithmetic --------------------------------------------------------------------------

    def binary(self, node: TBinary) -> _V:
        if node.op == "/":
            return self.divide(node)
        a, b = self.tr(node.left), self.tr(node.right)
        if node.op == "*":
            return self.multiply(a, b)
        sign = 1 if node.op == "+" else -1
        if a.kind in _NUMERIC and b.kind in _NUMERIC:
            return self.add(a, b, sign)
        if a.kind is Kind.DATE and b.kind is Kind.DATE:  # date - date: a duration, in range
            return _V(Kind.DURATION, a.expr - b.expr, _or(a.fails, b.fails))
        out = a.expr + b.expr if sign > 0 else a.expr - b.expr
        present = _present(a.expr, b.expr)
        if Kind.DATE in (a.kind, b.kind):  # the row engine's date refuses a date out of range
            return _V(
                Kind.DATE, out, _or(a.fails, b.fails, present & _outside(out, _DAY_MIN, _DAY_MAX))
            )
        return _V(
            Kind.DURATION, out, _or(a.fails, b.fails, present & _outside(out, -_TD_MAX, _TD_MAX))
        )

    def add(self, a: _V, b: _V, sign: int) -> _V:
        mismatch = self.mismatch(a, b)
        if mismatch is not None:  # an error where both are present; absent where either is not
            absent: pl.Expr = pl.when(mismatch).then(a.expr)
            return attrs.evolve(a, expr=absent, fails=_or(a.fails, b.fails, mismatch))
        a, b = _align(a, b)
        guards: list[pl.Expr | None] = []
        ba, bb = a.bound, b.bound
        if ba + bb > LIMIT:
            ga, ba = _cap(a, LIMIT // 2)
            gb, bb = _cap(b, LIMIT // 2)
            guards += [ga, gb]
        out = a.expr + b.expr if sign > 0 else a.expr - b.expr
        # an exact zero is negative only as -0 + -0, or -0 - 0 (Decimal, not int)
        if a.neg0 is None:
            neg0 = None
        elif sign > 0:
            neg0 = None if b.neg0 is None else a.neg0 & b.neg0
        else:
            neg0 = a.neg0 & (b.expr == _i128(0)) & ~_signbit(b)
        return _V(
            a.kind,
            out,
            _or(a.fails, b.fails, *guards),
            scale=a.scale,
            bound=ba + bb,
            currency=a.currency,
            exp=_emin(a.exp, b.exp),
            neg0=neg0,
            pyint=_both_int(a, b),
        )

    def mismatch(self, a: _V, b: _V) -> pl.Expr | None:
        """Where the row engine meets amounts of two currencies (both present), else None."""
        if a.kind is Kind.MONEY and b.kind is Kind.MONEY and a.currency != b.currency:
            return _present(a.expr, b.expr)
        return None

    def multiply(self, a: _V, b: _V) -> _V:
        if b.kind is not Kind.NUMBER:
            a, b = b, a  # the number on the right
        if b.kind is not Kind.NUMBER:  # pragma: no cover - the checker allows no other product
            raise _Declined
        if a.kind is Kind.NUMBER:
            out, fails, bound = _product(a, b)
            pyint = _both_int(a, b)
            exp = None if pyint is None else _eplus(a.exp, b.exp)
            neg0 = (out == _i128(0)) & (_signbit(a) ^ _signbit(b)) if pyint is False else None
            return _V(
                Kind.NUMBER,
                out,
                fails,
                scale=a.scale + b.scale,
                bound=bound,
                exp=exp,
                neg0=neg0,
                pyint=pyint,
            )
        if a.kind is Kind.MONEY:  # rounded half to even to the minor unit, as `Money` does
            out, fails, bound = _product(a, b)
            divisor = 10**b.scale
            return _V(
                Kind.MONEY,
                _round_div(out, divisor),
                fails,
                scale=a.scale,
                bound=bound // divisor + 1,
                currency=a.currency,
            )
        # a duration times a number: rounded half to even to whole days
        days = _V(Kind.NUMBER, a.expr.cast(pl.Int128), a.fails, bound=_TD_MAX)
        out, fails, _ = _product(days, b)
        whole = _round_div(out, 10**b.scale)
        present = _present(a.expr, b.expr)
        fails = _or(fails, present & _outside(whole, -_TD_MAX, _TD_MAX))
        return _V(Kind.DURATION, whole.cast(pl.Int64, strict=False), fails)

    def divide(self, node: TBinary) -> _V:
        """Division by a constant whose quotients terminate (see the module), else declined."""
        a = self.tr(node.left)
        divisor = _const(node.right)
        if isinstance(divisor, Money):
            if a.kind is not Kind.MONEY:  # pragma: no cover - the checker refuses it
                raise _Declined
            fails = _or(a.fails, a.expr.is_not_null() if divisor.currency != a.currency else None)
            a = _V(Kind.NUMBER, a.expr, fails, scale=a.scale, bound=a.bound, exp=-a.scale)
            divisor = divisor.amount
        elif isinstance(divisor, timedelta):
            a = _V(Kind.NUMBER, a.expr.cast(pl.Int128), a.fails, bound=_TD_MAX, exp=0)
            divisor = Decimal(divisor.days)
        divisor = Decimal(divisor)
        multiplier, extra, sign = _terminating(divisor)
        factor = _number(multiplier * sign)
        out, fails, bound = _product(a, factor)
        scale = a.scale + extra
        if scale < 0:
            v = _rescale(_V(Kind.NUMBER, out, fails, scale=scale, bound=bound), 0)
            out, fails, bound, scale = v.expr, v.fails, v.bound, 0
        if a.kind is Kind.NUMBER or a.currency is None:
            exponent = divisor.as_tuple().exponent
            assert isinstance(exponent, int)  # noqa: S101 - finite
            negative = pl.lit(value=sign < 0)
            return _V(
                Kind.NUMBER,
                out,
                fails,
                scale=scale,
                bound=bound,
                exp=_quotient_exp(out, scale, a.exp, exponent),
                neg0=(out == _i128(0)) & (_signbit(a) ^ negative),
            )
        # money by a number: Python's quotient is exact, then rounded to the minor unit
        v = _rescale(_V(Kind.NUMBER, out, fails, scale=scale, bound=bound), max(scale, a.scale))
        divisor_units = 10 ** (v.scale - a.scale)
        return _V(
            Kind.MONEY,
            _round_div(v.expr, divisor_units),
            v.fails,
            scale=a.scale,
            bound=v.bound // divisor_units + 1,
            currency=a.currency,
        )

    # -- conditions --------------------------------------------------------------------------

    def comparable(self, *vs: _V) -> list[_V]:
        kinds = {v.kind for v in vs}
        if len(kinds) != 1 or Kind.STRING_SET in kinds:
            raise _Declined
        if Kind.NUMBER in kinds or Kind.MONEY in kinds:
            if len({v.currency for v in vs}) == 1:
                return _align(*vs)
            return list(vs)  # two currencies: an error where evaluated, values unused
        return list(vs)

    def compare(self, op: str, a: _V, b: _V) -> _V:
        mismatch = self.mismatch(a, b)
        x, y = self.comparable(a, b)
        fails = _or(x.fails, y.fails, mismatch)
        if op == "==":
            return _V(Kind.BOOL, x.expr.eq_missing(y.expr), fails)
        if op == "!=":
            return _V(Kind.BOOL, x.expr.ne_missing(y.expr), fails)
        ops: Mapping[str, Callable[[pl.Expr, pl.Expr], pl.Expr]] = {
            "<": pl.Expr.lt,
            "<=": pl.Expr.le,
            ">": pl.Expr.gt,
            ">=": pl.Expr.ge,
        }
        return _V(Kind.BOOL, ops[op](x.expr, y.expr).fill_null(value=False), fails)

    def between(self, v: _V, lo: _V, hi: _V) -> _V:
        """``lo <= v <= hi``: Python compares ``lo <= v``, then ``v <= hi`` only if that holds."""
        x, low, high = self.comparable(v, lo, hi)
        present = _present(v.expr, lo.expr, hi.expr)
        fails = _or(x.fails, low.fails, high.fails)
        if v.kind is Kind.MONEY and lo.currency != v.currency:
            return _V(Kind.BOOL, pl.lit(value=False), _or(fails, present))
        first = (low.expr <= x.expr).fill_null(value=False)
        if v.kind is Kind.MONEY and hi.currency != v.currency:
            return _V(Kind.BOOL, pl.lit(value=False), _or(fails, present & first))
        second = (x.expr <= high.expr).fill_null(value=False)
        return _V(Kind.BOOL, present & first & second, fails)

    def member(self, item: _V, collection: _V) -> _V:
        """``item in collection``: a written list (Python's ``==``, absent equal to absent)."""
        if collection.items is None:  # a set of strings: an absent string is in none
            found = item.expr.is_not_null() & collection.expr.list.contains(item.expr)
            return _V(Kind.BOOL, found.fill_null(value=False), _or(item.fails, collection.fails))
        tests: list[pl.Expr] = []
        for element in collection.items:
            if item.kind in _NUMERIC and element.currency != item.currency:
                # amounts of two currencies are unequal in a set; two absent values are equal
                tests.append(item.expr.is_null() & element.expr.is_null())
                continue
            x, y = self.comparable(item, element)
            tests.append(x.expr.eq_missing(y.expr))
        found = pl.any_horizontal(tests) if tests else pl.lit(value=False)
        return _V(Kind.BOOL, found.fill_null(value=False), _or(item.fails, collection.fails))

    def choose(self, cond: _V, then: _V, other: _V) -> _V:
        if then.kind is Kind.STRING_SET or then.currency != other.currency:
            raise _Declined  # a value of two currencies, or a set: per row, not translated
        if then.kind is Kind.NUMBER or then.kind is Kind.MONEY:
            then, other = _align(then, other)
        fails = _or(cond.fails, _and(cond.expr, then.fails), _and(~cond.expr, other.fails))
        return _V(
            then.kind,
            pl.when(cond.expr).then(then.expr).otherwise(other.expr),
            fails,
            scale=then.scale,
            bound=max(then.bound, other.bound),
            currency=then.currency,
            exp=_ewhen(cond.expr, then.exp, other.exp),
            neg0=_zwhen(cond.expr, then.neg0, other.neg0),
            pyint=then.pyint if then.pyint == other.pyint else None,
        )

    # -- functions ---------------------------------------------------------------------------

    def call(self, node: TCall) -> _V:
        if node.func == "times":
            raise _Declined
        if node.func == "round":
            places = int(_const(node.args[1])) if len(node.args) > 1 else 0
            return self.round(self.tr(node.args[0]), places)
        args = [self.tr(a) for a in node.args]
        fails = _or(*(a.fails for a in args))
        if node.func in ("min", "max"):
            return self.extreme(node.func, args, fails)
        (a,) = args
        if node.func == "abs":
            return attrs.evolve(a, expr=a.expr.abs(), neg0=None)
        if node.func == "days":
            return _V(Kind.NUMBER, a.expr.cast(pl.Int128), fails, bound=_TD_MAX, exp=0)
        day = _days(a.expr)
        if node.func == "day_of_month":
            return _V(Kind.NUMBER, day.dt.day().cast(pl.Int128), fails, bound=31, exp=0)
        if node.func == "weekday":
            return _V(Kind.NUMBER, day.dt.weekday().cast(pl.Int128), fails, bound=7, exp=0)
        # end_of_month: the row engine steps to the 28th plus 4 days: past 9999-12 it overflows
        last_month = (date(9999, 12, 1) - _EPOCH).days
        eom = day.dt.month_end().cast(pl.Int32).cast(pl.Int64)
        return _V(Kind.DATE, eom, _or(fails, (a.expr >= last_month).fill_null(value=False)))

    def extreme(self, func: str, args: list[_V], fails: pl.Expr | None) -> _V:
        present = _present(*(a.expr for a in args))
        if len({a.currency for a in args}) > 1:  # Python's max compares across currencies
            out = pl.when(present).then(args[0].expr)
            return attrs.evolve(args[0], expr=out, fails=_or(fails, present))
        vs = self.comparable(*args)
        # Python's max and min keep the first of equal values: its exponent, its zero's sign
        best, exp, neg0 = vs[0].expr, vs[0].exp, vs[0].neg0
        for v in vs[1:]:
            better = (v.expr > best) if func == "max" else (v.expr < best)
            better = better.fill_null(value=False)
            exp, neg0 = _ewhen(better, v.exp, exp), _zwhen(better, v.neg0, neg0)
            best = pl.when(better).then(v.expr).otherwise(best)
        return attrs.evolve(
            vs[0],
            expr=pl.when(present).then(best),
            fails=fails,
            bound=max(v.bound for v in vs),
            exp=exp,
            neg0=neg0,
            pyint=_both_int(*vs),
        )

    def round(self, a: _V, places: int) -> _V:
        if a.kind is Kind.NUMBER:  # quantize keeps the sign of a zero
            if places >= a.scale:
                v = _rescale(a, places)
            else:
                step = 10 ** (a.scale - places)
                v = attrs.evolve(
                    a, expr=_round_div(a.expr, step), scale=places, bound=a.bound // step + 1
                )
            neg0 = (v.expr == _i128(0)) & _signbit(a)
            return attrs.evolve(v, exp=-places, neg0=neg0, pyint=False)
        # money: to at most its currency's decimals, then `Money` refuses 10**18 or more
        step = 10 ** (a.scale - min(places, a.scale))
        out = _round_div(a.expr, step) * _i128(step)
        too_large = _MONEY_TOO_LARGE * 10**a.scale
        big = (out.abs() >= _i128(too_large)).fill_null(value=False)
        return attrs.evolve(a, expr=out, fails=_or(a.fails, big), bound=a.bound + step)


# -- the facts frame ---------------------------------------------------------------------------


def _money_units(value: Any, currency: str, path: str) -> int | None:
    if value is None:
        return None
    if value.currency != currency:
        raise CurrencyMismatchError(
            f"{path} is in {value.currency}, not in the frame's currency {currency}"
        )
    n = _scaled(value.amount, currency_exponent(currency))
    if not -_I64_BOUND <= n < _I64_BOUND:
        raise DataError.at(path, f"{value} is too large for a facts frame (Int64 minor units)")
    return n


def _column(name: str, facts: Sequence[AccountFacts], currency: str) -> pl.Series:
    if name.startswith("has "):
        role = name.removeprefix("has ")
        return pl.Series(name, [rt.has_role(f, role) for f in facts], dtype=pl.Boolean)
    fact = FACTS.get(name)
    if fact is None or name in _DECLINED_FACTS:
        raise DataError.at("names", f"a facts frame has no column {name!r}")
    kind = fact.type.kind
    if name == "account.terms":  # raw days: the translation marks what timedelta refuses
        return pl.Series(name, [f.account.terms for f in facts], dtype=pl.Int64)
    values = [fact.get(f) for f in facts]
    if kind is Kind.MONEY:
        units = [_money_units(v, currency, f"accounts[{i}].{name}") for i, v in enumerate(values)]
        return pl.Series(name, units, dtype=pl.Int64)
    if kind is Kind.NUMBER:
        return pl.Series(name, values, dtype=pl.Int64)
    if kind is Kind.DATE:
        return pl.Series(name, values, dtype=pl.Date)
    if kind is Kind.BOOL:
        return pl.Series(name, values, dtype=pl.Boolean)
    if kind is Kind.ENUM:
        return pl.Series(name, [None if v is None else v.value for v in values], dtype=pl.String)
    if kind is Kind.STRING_SET:
        return pl.Series(name, [sorted(v) for v in values], dtype=pl.List(pl.String))
    return pl.Series(name, values, dtype=pl.String)


def facts_frame(facts: Sequence[AccountFacts], names: Iterable[str]) -> pl.DataFrame:
    """Build the facts frame of *facts* (one row each, in order) with the columns *names*.

    *names* are fact names (`arcollect.lang.schema.FACTS`) and ``has ROLE``; see the module for each
    column's type. ``account.id`` is always a column (so that a frame has a row per account even
    when an expression reads no fact). Raise `CurrencyMismatchError` for accounts of two currencies
    and `DataError` for an amount beyond Int64 minor units.
    """
    currencies = sorted({f.account.currency for f in facts})
    if len(currencies) > 1:
        raise CurrencyMismatchError(
            f"accounts in {' and '.join(currencies)} cannot share a facts frame: "
            "make one frame per currency"
        )
    currency = currencies[0] if currencies else "EUR"
    columns = sorted({"account.id", *names})
    return pl.DataFrame([_column(name, facts, currency) for name in columns])
