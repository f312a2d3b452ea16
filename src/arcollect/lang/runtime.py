"""The runtime: everything generated code may touch, and the interpreter's arithmetic.

The compiler (`arcollect.lang.compiler`) emits Python that calls only the names of `NAMESPACE`
(jinja2's discipline: its generated modules import from ``jinja2.runtime`` and nothing else),
plus ``F`` (the account's facts), ``E`` (an invoice's facts), ``K`` (the rule file's constants)
and ``L``/``S`` (the policy's lets and segments). The interpreter
(`arcollect.lang.interpreter`) uses the same functions, so both evaluators share one semantics:

- arithmetic with an absent value is absent; ``<``, ``<=``, ``>``, ``>=`` and ``between`` with
  an absent value are false; ``==`` is true only if both are absent, ``!=`` its negation;
- amounts of two currencies never compare equal or unequal: ``==`` and ``!=`` between them
  raise `CurrencyMismatchError`, as ``<`` does;
- dates and durations stay within `datetime`'s range: a step outside it raises
  `OverflowError`, which the callers turn into a located `EvaluationError`.

>>> add(Decimal(2), None) is None
True
>>> eq(Money("1", "EUR"), Money("1", "EUR")), eq(None, None)
(True, True)
"""

from __future__ import annotations

import decimal
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from types import MappingProxyType
from typing import Any, Final, Protocol

from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent
from arcollect.errors import CurrencyMismatchError, EvaluationError, Span
from arcollect.facts import AccountFacts, PromiseStatus

__all__ = [
    "FACT_NAMESPACE",
    "NAMESPACE",
    "Located",
    "absolute",
    "add",
    "between",
    "days_of",
    "div",
    "duration_sum",
    "eq",
    "evaluation_error",
    "ge",
    "gt",
    "has_role",
    "le",
    "lt",
    "maximum",
    "minimum",
    "money_sum",
    "mul",
    "ne",
    "neg",
    "num",
    "number_sum",
    "round_to",
    "same_currency",
    "sub",
]


def _to_days(value: int | None) -> timedelta | None:
    return None if value is None else timedelta(days=value)


#: The names the trusted fact expressions of `arcollect.lang.schema` may use, besides ``F``
#: (the account's facts) and ``E`` (an invoice's).
FACT_NAMESPACE: Final[Mapping[str, Any]] = MappingProxyType(
    {
        "_days": _to_days,
        "_BROKEN": PromiseStatus.BROKEN,
        "_PARTIAL": PromiseStatus.PARTIALLY_KEPT,
        "Decimal": Decimal,
    }
)


def num(value: Any) -> Decimal:
    """Return *value* as a Decimal (counts and days arrive as ints)."""
    return value if isinstance(value, Decimal) else Decimal(value)


def div(a: Any, b: Any) -> Any:
    """Divide; durations by durations give a number; absent if either side is."""
    if a is None or b is None:
        return None
    if isinstance(a, timedelta):
        return Decimal(a.days) / Decimal(b.days)
    if isinstance(a, Money):
        return a / b
    return num(a) / num(b)


def mul(a: Any, b: Any) -> Any:
    """Multiply; a duration times a number is rounded half-even to whole days."""
    if a is None or b is None:
        return None
    if isinstance(a, timedelta) or isinstance(b, timedelta):
        d, n = (a, b) if isinstance(a, timedelta) else (b, a)
        return timedelta(days=int((Decimal(d.days) * n).to_integral_value(ROUND_HALF_EVEN)))
    return a * b


def add(a: Any, b: Any) -> Any:
    """Add; absent if either side is."""
    return None if a is None or b is None else a + b


def sub(a: Any, b: Any) -> Any:
    """Subtract; absent if either side is."""
    return None if a is None or b is None else a - b


def neg(a: Any) -> Any:
    """Negate; absent stays absent."""
    return None if a is None else -a


def lt(a: Any, b: Any) -> bool:
    """Return ``a < b``; false if either side is absent."""
    return a is not None and b is not None and a < b


def le(a: Any, b: Any) -> bool:
    """Return ``a <= b``; false if either side is absent."""
    return a is not None and b is not None and a <= b


def gt(a: Any, b: Any) -> bool:
    """Return ``a > b``; false if either side is absent."""
    return a is not None and b is not None and a > b


def ge(a: Any, b: Any) -> bool:
    """Return ``a >= b``; false if either side is absent."""
    return a is not None and b is not None and a >= b


def between(v: Any, lo: Any, hi: Any) -> bool:
    """Return ``lo <= v <= hi``; false if any is absent."""
    return v is not None and lo is not None and hi is not None and lo <= v <= hi


def money_sum(values: Iterable[Money], facts: AccountFacts) -> Money:
    """Sum amounts in the account's currency (zero for none)."""
    return Money.sum(values, facts.account.currency)


def number_sum(values: Iterable[Any]) -> Any:
    """Sum numbers (zero for none)."""
    total: Any = None
    for v in values:
        total = v if total is None else total + v
    return Decimal(0) if total is None else total


def duration_sum(values: Iterable[timedelta]) -> timedelta:
    """Sum durations (zero days for none)."""
    return sum(values, timedelta())


def maximum(values: Iterable[Any]) -> Any:
    """Return the largest value; absent for none, or if any is absent."""
    vals = list(values)
    return None if not vals or any(v is None for v in vals) else max(vals)


def minimum(values: Iterable[Any]) -> Any:
    """Return the smallest value; absent for none, or if any is absent."""
    vals = list(values)
    return None if not vals or any(v is None for v in vals) else min(vals)


def absolute(a: Any) -> Any:
    """Return the absolute value; absent stays absent."""
    return None if a is None else abs(a)


def round_to(a: Any, places: Any = 0) -> Any:
    """Round half-even to *places* decimals (money: at most the currency's minor unit)."""
    if a is None or places is None:
        return None
    quantum = Decimal(1).scaleb(-int(places))
    if isinstance(a, Money):
        places_allowed = currency_exponent(a.currency)
        exact = Decimal(1).scaleb(-min(int(places), places_allowed))
        return Money(a.amount.quantize(exact, context=MONEY_CONTEXT), a.currency)
    return num(a).quantize(quantum, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT)


def days_of(a: Any) -> Any:
    """Return a duration as its number of days."""
    return None if a is None else Decimal(a.days)


def end_of_month(d: Any) -> Any:
    """Return the last day of the month of date *d*."""
    if d is None:
        return None
    first_next = (d.replace(day=28) + timedelta(days=4)).replace(day=1)
    return first_next - timedelta(days=1)


def day_of_month(d: Any) -> Any:
    """Return the day of the month of date *d* (1 to 31)."""
    return None if d is None else Decimal(d.day)


def weekday(d: Any) -> Any:
    """Return the ISO weekday of date *d*: 1 for Monday to 7 for Sunday."""
    return None if d is None else Decimal(d.isoweekday())


def episode_start(facts: AccountFacts, lookback: int) -> date | None:
    """Return the first day of the account's episode, *lookback* days before its due date.

    The episode is about the due date before `AccountFacts.delinquent_since` (or, before
    anything is overdue, the oldest open due date); steps done from *lookback* days before it
    (a courtesy step before due) count for it. None: the account has no open invoices.
    """
    anchor = (
        facts.delinquent_since - timedelta(days=1)
        if facts.delinquent_since is not None
        else facts.oldest_due
    )
    if anchor is None:
        return None
    try:
        return anchor - timedelta(days=lookback)
    except OverflowError:
        return date.min


def times_done(facts: AccountFacts, step: str, lookback: Decimal) -> Decimal:
    """Return how often the account-level *step* was done in the account's episode."""
    start = episode_start(facts, int(lookback))
    if start is None:
        return Decimal(0)
    return Decimal(
        sum(1 for a in facts.activities if a.step == step and a.invoice is None and a.date >= start)
    )


def has_role(facts: AccountFacts, role: str) -> bool:
    """Return whether the account has a contact with *role*."""
    return bool(facts.contacts_with_role(role))


def same_currency(a: Any, b: Any) -> None:
    """Raise `CurrencyMismatchError` if *a* and *b* are amounts of two currencies."""
    if isinstance(a, Money) and isinstance(b, Money) and a.currency != b.currency:
        raise CurrencyMismatchError(f"cannot compare {a.currency} with {b.currency}")


def eq(a: Any, b: Any) -> bool:
    """Return ``a == b``: absent equals absent only; two currencies are an error."""
    same_currency(a, b)
    return bool(a == b)


def ne(a: Any, b: Any) -> bool:
    """Return ``a != b``, the negation of `eq`."""
    same_currency(a, b)
    return bool(a != b)


class Located(Protocol):
    """What an evaluation error needs of an expression: where it is, and how it was written.

    (A typed IR expression; taken as a protocol so the runtime imports nothing of the IR.)
    """

    @property
    def span(self) -> Span:
        """The expression's place in its rule file."""
        ...

    @property
    def text(self) -> str:
        """The expression as written."""
        ...


def evaluation_error(
    expr: Located, source_name: str, facts: AccountFacts, exc: BaseException
) -> EvaluationError:
    """Return the error for *expr* failing on *facts* with *exc*."""
    what = str(exc) if isinstance(exc, CurrencyMismatchError) else _arith(exc)
    sp: Span = expr.span
    return EvaluationError(
        f"{source_name}:{sp.line}:{sp.column}: cannot evaluate `{expr.text}` "
        f"for account {facts.account.id!r}: {what}",
        span=sp,
        source_name=source_name,
        account=facts.account.id,
    )


def _arith(exc: BaseException) -> str:
    """Say in words what went wrong in the arithmetic."""
    if isinstance(exc, decimal.DivisionByZero | ZeroDivisionError):
        return "division by zero"
    if isinstance(exc, OverflowError):
        return "a date or duration out of range (dates run from 0001-01-01 to 9999-12-31)"
    if isinstance(exc, decimal.Overflow):
        return "a number too large to compute exactly"
    signals = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    if decimal.DivisionUndefined in signals:  # 0 / 0
        return "division by zero"
    return f"invalid arithmetic ({type(exc).__name__})"


#: Every name generated code may call, with the fact namespace.
NAMESPACE: Final[Mapping[str, Any]] = MappingProxyType(
    {
        **FACT_NAMESPACE,
        "_div": div,
        "_mul": mul,
        "_add": add,
        "_sub": sub,
        "_neg": neg,
        "_lt": lt,
        "_le": le,
        "_gt": gt,
        "_ge": ge,
        "_between": between,
        "_msum": money_sum,
        "_nsum": number_sum,
        "_dsum": duration_sum,
        "_max": maximum,
        "_min": minimum,
        "_abs": absolute,
        "_round": round_to,
        "_dayn": days_of,
        "_eom": end_of_month,
        "_dom": day_of_month,
        "_wday": weekday,
        "_times": times_done,
        "_has": has_role,
        "_eq": eq,
        "_ne": ne,
    }
)
