"""Explanations: the lines that say why an action is planned, traced when first read.

Tracing a condition (walking it with the interpreter to record each value that decided it)
costs more than evaluating it, and most explanations of a large plan are never read. So an
`Explanation` holds *parts*: plain lines, and conditions to trace when the explanation is first
read, with the account's `Tracer`. The parts are shared by every account (one per condition and
label); the tracer traces each condition once however many actions of the account show it (a
per-invoice step on 3,000 invoices shows the same ``when``).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable
from typing import TypeAlias

from arcollect.domain.money import MONEY_CONTEXT
from arcollect.errors import EvaluationError
from arcollect.facts import AccountFacts
from arcollect.lang.interpreter import Interpreter
from arcollect.lang.ir import TExpr, reads_invoice

__all__ = ["Explanation", "Part", "Tracer"]

#: A line of an explanation, or what computes some lines when first needed: a condition to
#: trace (made by `Tracer.part`, traced with the explanation's tracer) or a function.
Part: TypeAlias = "str | _Traced | Callable[[], list[str]]"


class Explanation:
    """Explanation lines, some computed on first use.

    *tracer* traces the parts `Tracer.part` made (the tracer of the account explained); it is
    kept only while a part needs it.
    """

    __slots__ = ("_lines", "_parts", "_tracer")

    def __init__(self, parts: Iterable[Part], tracer: Tracer | None = None) -> None:
        self._parts: list[Part] = list(parts)
        self._lines: tuple[str, ...] | None = None
        # Kept only if a part needs it: the tracer keeps the account's facts alive.
        self._tracer = (
            tracer
            if tracer is not None and any(isinstance(p, _Traced) for p in self._parts)
            else None
        )

    @classmethod
    def of(cls, value: Iterable[Part] | Explanation) -> Explanation:
        """Return *value* if it is an explanation, else an explanation of its parts."""
        return value if isinstance(value, Explanation) else cls(value)

    def extended(self, parts: Iterable[Part]) -> Explanation:
        """Return a new explanation: these lines, then *parts*."""
        head: list[Part] = list(self._lines) if self._lines is not None else list(self._parts)
        return Explanation([*head, *parts], self._tracer)

    def extend(self, parts: Iterable[Part]) -> None:
        """Add *parts* after these lines, in place (see `PlannedAction.ordered`)."""
        if self._lines is not None:
            self._parts, self._lines = list(self._lines), None
        self._parts.extend(parts)

    def __reduce__(self) -> tuple[type[Explanation], tuple[list[str]]]:
        """Pickle as text: the traced parts are rendered first (they hold the account's facts)."""
        return (Explanation, (list(self.lines()),))

    def lines(self) -> tuple[str, ...]:
        """Return the lines, tracing what was left to trace."""
        if self._lines is None:
            out: list[str] = []
            tracer = self._tracer
            with decimal.localcontext(MONEY_CONTEXT):
                for part in self._parts:
                    if isinstance(part, str):
                        out.append(part)
                    elif isinstance(part, _Traced):
                        if tracer is None:  # pragma: no cover - `Tracer.part`'s parts come with one
                            raise TypeError("a traced part in an explanation without a tracer")
                        out += part.lines(tracer)
                    else:
                        out += part()
            self._lines, self._parts, self._tracer = tuple(out), [], None
        return self._lines


#: The parts `Tracer.part` made, by label, condition (its id: the part holds it, so the id is
#: not reused while the part is here), joined: one per condition shown, shared by every
#: account's explanations. Cleared when it grows past `_PARTS_KEPT` (policies come and go).
_PARTS: dict[tuple[str, int, bool], _Traced] = {}
_PARTS_KEPT = 4096


class Tracer:
    """Traces the conditions of one account's explanations; each condition traced once.

    *facts* are the account's facts, or what makes them when a condition is first traced
    (the columnar engine dresses actions without making facts: most explanations of a large
    plan are never read).
    """

    __slots__ = ("_cache", "_facts", "_interpreter")

    def __init__(
        self, interpreter: Interpreter, facts: AccountFacts | Callable[[], AccountFacts]
    ) -> None:
        self._interpreter = interpreter
        self._facts = facts
        self._cache: dict[tuple[int, str | None], list[str]] = {}

    @staticmethod
    def part(
        label: str, expr: TExpr, *, joined: bool = False, invoice: str | None = None
    ) -> _Traced:
        """Return a part giving the lines of *expr*, labelled: ``when: overdue = ... >= ...``.

        *joined* puts all of the condition's values on one line (``not paused: ...; ...``);
        *invoice* names the invoice of a per-invoice step, which ``invoice.FIELD`` reads. The
        part is traced with the tracer of the explanation it is in.
        """
        if invoice is not None:
            return _Traced(label, expr, joined, invoice)
        key = (label, id(expr), joined)
        found = _PARTS.get(key)
        if found is None:
            if len(_PARTS) >= _PARTS_KEPT:
                _PARTS.clear()
            found = _PARTS[key] = _Traced(label, expr, joined, None)
        return found

    def _trace(self, expr: TExpr, invoice: str | None = None) -> list[str]:
        # A condition that reads the invoice is traced per invoice; any other, once.
        number = invoice if invoice is not None and reads_invoice(expr) else None
        key = (id(expr), number)
        found = self._cache.get(key)
        if found is None:
            f = self._facts
            if not isinstance(f, AccountFacts):
                f = self._facts = f()
            inv = next((i for i in f.invoices if i.number == number), None)
            try:
                _, found = self._interpreter.trace(expr, f, invoice=inv)
            except EvaluationError as exc:  # the generated code evaluated it: cannot happen
                found = [f"could not be traced: {exc}"]  # pragma: no cover
            self._cache[key] = found
        return found


class _Traced:
    """A traced part: the lines of one condition, labelled, traced when first read.

    One small object rather than a closure, and one per condition rather than per account
    (the tracer is the explanation's): a large plan keeps its explanations, and every object
    kept is one the garbage collector walks.
    """

    __slots__ = ("expr", "invoice", "joined", "label")

    def __init__(self, label: str, expr: TExpr, joined: bool, invoice: str | None) -> None:
        self.label, self.expr = label, expr
        self.joined, self.invoice = joined, invoice

    def lines(self, tracer: Tracer) -> list[str]:
        """Return the part's lines, traced by *tracer* (the account's)."""
        label, expr = self.label, self.expr
        trace = tracer._trace(expr, self.invoice)  # noqa: SLF001 - the tracer's own part
        if self.joined:
            return [f"{label}: " + ("; ".join(trace) if trace else f"{expr.text} is false")]
        return [f"{label}: {t}" for t in trace] or [f"{label}: {expr.text}"]
