"""Explanations: the lines that say why an action is planned, traced when first read.

Tracing a condition (walking it with the interpreter to record each value that decided it)
costs more than evaluating it, and most explanations of a large plan are never read. So an
`Explanation` holds *parts*: plain lines, and functions that trace a condition when the
explanation is first read. A `Tracer` makes those functions for one account, and traces each
condition once however many actions of the account show it (a per-invoice step on 3,000
invoices shows the same ``when``).
"""

from __future__ import annotations

import decimal
from collections.abc import Callable, Iterable

from arcollect.domain.money import MONEY_CONTEXT
from arcollect.errors import EvaluationError
from arcollect.facts import AccountFacts
from arcollect.lang.interpreter import Interpreter
from arcollect.lang.ir import TExpr, reads_invoice

__all__ = ["Explanation", "Part", "Tracer"]

#: A line of an explanation, or a function computing some lines when first needed.
Part = str | Callable[[], list[str]]


class Explanation:
    """Explanation lines, some computed on first use."""

    __slots__ = ("_lines", "_parts")

    def __init__(self, parts: Iterable[Part]) -> None:
        self._parts: list[Part] = list(parts)
        self._lines: tuple[str, ...] | None = None

    @classmethod
    def of(cls, value: Iterable[Part] | Explanation) -> Explanation:
        """Return *value* if it is an explanation, else an explanation of its parts."""
        return value if isinstance(value, Explanation) else cls(value)

    def extended(self, parts: Iterable[Part]) -> Explanation:
        """Return a new explanation: these lines, then *parts*."""
        head: list[Part] = list(self._lines) if self._lines is not None else list(self._parts)
        return Explanation([*head, *parts])

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
            with decimal.localcontext(MONEY_CONTEXT):
                for part in self._parts:
                    out += [part] if isinstance(part, str) else part()
            self._lines, self._parts = tuple(out), []
        return self._lines


class Tracer:
    """Makes the traced parts of one account's explanations; each condition traced once."""

    __slots__ = ("_cache", "_facts", "_interpreter")

    def __init__(self, interpreter: Interpreter, facts: AccountFacts) -> None:
        self._interpreter = interpreter
        self._facts = facts
        self._cache: dict[tuple[int, str | None], list[str]] = {}

    def part(
        self, label: str, expr: TExpr, *, joined: bool = False, invoice: str | None = None
    ) -> Callable[[], list[str]]:
        """Return a part giving the lines of *expr*, labelled: ``when: overdue = ... >= ...``.

        *joined* puts all of the condition's values on one line (``not paused: ...; ...``);
        *invoice* names the invoice of a per-invoice step, which ``invoice.FIELD`` reads.
        """
        return _Traced(self, label, expr, joined, invoice)

    def _trace(self, expr: TExpr, invoice: str | None = None) -> list[str]:
        # A condition that reads the invoice is traced per invoice; any other, once.
        number = invoice if invoice is not None and reads_invoice(expr) else None
        key = (id(expr), number)
        found = self._cache.get(key)
        if found is None:
            inv = next((i for i in self._facts.invoices if i.number == number), None)
            try:
                _, found = self._interpreter.trace(expr, self._facts, invoice=inv)
            except EvaluationError as exc:  # the generated code evaluated it: cannot happen
                found = [f"could not be traced: {exc}"]  # pragma: no cover
            self._cache[key] = found
        return found


class _Traced:
    """A traced part: the lines of one condition, labelled, traced when first read.

    One small object rather than a closure (a function and a cell per variable): a large plan
    keeps one per condition shown, and every object kept is one the garbage collector walks.
    """

    __slots__ = ("expr", "invoice", "joined", "label", "tracer")

    def __init__(
        self, tracer: Tracer, label: str, expr: TExpr, joined: bool, invoice: str | None
    ) -> None:
        self.tracer, self.label, self.expr = tracer, label, expr
        self.joined, self.invoice = joined, invoice

    def __call__(self) -> list[str]:
        label, expr = self.label, self.expr
        trace = self.tracer._trace(expr, self.invoice)  # noqa: SLF001 - the tracer's own part
        if self.joined:
            return [f"{label}: " + ("; ".join(trace) if trace else f"{expr.text} is false")]
        return [f"{label}: {t}" for t in trace] or [f"{label}: {expr.text}"]
