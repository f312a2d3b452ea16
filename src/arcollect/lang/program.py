"""The compiled policy: what the engine consumes, every condition in a named slot.

`compile_policy` turns a `CheckedPolicy` into a `CompiledPolicy`: the segment functions, and per
timeline one generated function for all of its conditions, whose values come back by name
(`TimelineConditions`: which pauses and restarts hold, each step's ``when`` and ``unless``);
the channel rules, the ``assign`` rules, the priority score, the ``ties by`` keys and the tier
measure. The engine never compiles anything, never indexes into a tuple of values, and explains
with the interpreter's public `Interpreter.trace`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import attrs

from arcollect.errors import EvaluationError
from arcollect.facts import AccountFacts, InvoiceFacts
from arcollect.lang.compiler import Program
from arcollect.lang.interpreter import Interpreter
from arcollect.lang.ir import (
    CheckedAssignRule,
    CheckedChannelRule,
    CheckedPolicy,
    CheckedStep,
    CheckedTimeline,
    TExpr,
    reads_invoice,
)
from arcollect.lang.schema import FACTS

__all__ = [
    "CompiledPolicy",
    "CompiledTimeline",
    "TimelineConditions",
    "compile_policy",
]


@attrs.frozen
class TimelineConditions:
    """The values of a timeline's conditions for one account.

    *paused_by* and *restarted_by* are the texts of the ``pause while`` and ``restart when``
    conditions that hold; *when* and *unless* give, per step, the value of its condition (None
    where the step has none).
    """

    paused_by: tuple[str, ...]
    restarted_by: tuple[str, ...]
    when: tuple[bool | None, ...]
    unless: tuple[bool | None, ...]
    #: Per step, whether it may be taken: the first value of `holds`, worked out once.
    ok: tuple[bool, ...] = attrs.field(
        default=attrs.Factory(lambda self: _ok(self.when, self.unless), takes_self=True)
    )

    def holds(self, index: int, step: CheckedStep) -> tuple[bool, str]:
        """Whether step *index* may be taken, and if not, why (``when ... is false``)."""
        if self.when[index] is False and step.when is not None:
            return False, f"when {step.when.text} is false"
        if self.unless[index] and step.unless is not None:
            return False, f"unless {step.unless.text} is true"
        return True, ""


def _ok(when: tuple[bool | None, ...], unless: tuple[bool | None, ...]) -> tuple[bool, ...]:
    """Per step: its ``when`` is not false and its ``unless`` not true (`holds`)."""
    return tuple(w is not False and not u for w, u in zip(when, unless, strict=True))


def _conditions_maker(
    n_pause: int,
    pause_texts: tuple[str, ...],
    restart_texts: tuple[str, ...],
    when_slots: tuple[int | None, ...],
    unless_slots: tuple[int | None, ...],
) -> Callable[[tuple[Any, ...]], TimelineConditions]:
    """Return a function making a timeline's `TimelineConditions` from its values.

    Written out for the timeline's slots (the source holds nothing but integers; the texts and
    the class are bound by name): the conditions are made for every account.
    """

    def holding(texts: str, first: int, count: int) -> str:
        # The texts of the conditions whose values are true, in order.
        parts = [f"(({texts}[{k}],) if V[{first + k}] else ())" for k in range(count)]
        return " + ".join(parts) or "()"

    def picked(slots: tuple[int | None, ...]) -> str:
        items = ", ".join("None" if i is None else f"V[{int(i)}] is True" for i in slots)
        return f"({items}{',' if slots else ''})"

    def may(w: int | None, u: int | None) -> str:
        terms = [f"V[{int(w)}] is True"] if w is not None else []
        terms += [f"V[{int(u)}] is not True"] if u is not None else []
        return " and ".join(terms) or "True"

    ok = ", ".join(may(w, u) for w, u in zip(when_slots, unless_slots, strict=True))
    source = (
        f"lambda V: C({holding('P', 0, len(pause_texts))}, "
        f"{holding('R', n_pause, len(restart_texts))}, "
        f"{picked(when_slots)}, {picked(unless_slots)}, ({ok}{',' if when_slots else ''}))"
    )
    namespace = {"__builtins__": {}, "C": TimelineConditions, "P": pause_texts, "R": restart_texts}
    made: Callable[[tuple[Any, ...]], TimelineConditions] = eval(source, namespace)  # noqa: S307
    return made


def _no_values(_facts: AccountFacts) -> tuple[Any, ...]:
    return ()


def _no_invoice_values(_facts: AccountFacts, _invoice: InvoiceFacts) -> tuple[Any, ...]:
    return ()


@attrs.frozen
class CompiledTimeline:
    """A timeline with its conditions compiled into one function.

    *before_due* is the number of days before the due date its earliest step fires (0 if
    none does); *resume_index* the index of the step a broken promise resumes at.
    """

    timeline: CheckedTimeline
    before_due: int
    resume_index: int | None
    _values: Callable[[AccountFacts], tuple[Any, ...]] = attrs.field(repr=False)
    _n_pause: int = attrs.field(repr=False)
    _when_slots: tuple[int | None, ...] = attrs.field(repr=False)
    _unless_slots: tuple[int | None, ...] = attrs.field(repr=False)
    #: The conditions of per-invoice steps that read ``invoice.FIELD``: one function of the
    #: account's facts and the invoice, and each step's slots in its values.
    _invoice_values: Callable[[AccountFacts, InvoiceFacts], tuple[Any, ...]] = attrs.field(
        default=_no_invoice_values, repr=False
    )
    _invoice_when_slots: tuple[int | None, ...] = attrs.field(default=(), repr=False)
    _invoice_unless_slots: tuple[int | None, ...] = attrs.field(default=(), repr=False)
    # The values made into `TimelineConditions` (see `_conditions_maker`).
    _make_conditions: Callable[[tuple[Any, ...]], TimelineConditions] = attrs.field(
        init=False, repr=False, eq=False
    )

    #: The account-level steps (not per invoice), with their indexes; whether any step is per
    #: invoice; whether any is ``required``: what the engine asks of every account, once.
    account_steps: tuple[tuple[int, CheckedStep], ...] = attrs.field(
        init=False, repr=False, eq=False
    )
    has_per_invoice: bool = attrs.field(init=False, repr=False, eq=False)
    has_required: bool = attrs.field(init=False, repr=False, eq=False)
    #: Whether the timeline is *plain*: catch-up, every step account-level, none required, every
    #: step dated from the due date (``N days past due``, ``N days before due``). The engine
    #: decides the accounts of a plain timeline with a shorter function.
    plain: bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        steps = self.timeline.steps
        timeline = self.timeline
        maker = _conditions_maker(
            self._n_pause,
            tuple(e.text for e in timeline.pause_while),
            tuple(e.text for e in timeline.restart_when),
            self._when_slots,
            self._unless_slots,
        )
        object.__setattr__(self, "_make_conditions", maker)
        account_steps = tuple((i, s) for i, s in enumerate(steps) if not s.per_invoice)
        object.__setattr__(self, "account_steps", account_steps)
        object.__setattr__(self, "has_per_invoice", len(account_steps) < len(steps))
        object.__setattr__(self, "has_required", any(s.required for s in steps))
        plain = not (timeline.in_sequence or self.has_per_invoice or self.has_required)
        object.__setattr__(self, "plain", plain and all(s.anchor == "due" for s in steps))

    @classmethod
    def build(cls, timeline: CheckedTimeline, program: Program) -> CompiledTimeline:
        """Compile the conditions of *timeline*.

        A per-invoice step's condition that reads ``invoice.FIELD`` is compiled apart, as a
        function of the account's facts and the invoice; its slot in the account's values is
        empty (the step's condition is then true for the account, and decided per invoice).
        """
        exprs: list[TExpr] = [*timeline.pause_while, *timeline.restart_when]
        per_invoice: list[TExpr] = []

        def slot(expr: TExpr | None) -> int | None:
            if expr is None or reads_invoice(expr):
                return None
            exprs.append(expr)
            return len(exprs) - 1

        def invoice_slot(expr: TExpr | None) -> int | None:
            if expr is None or not reads_invoice(expr):
                return None
            per_invoice.append(expr)
            return len(per_invoice) - 1

        when = tuple(slot(s.when) for s in timeline.steps)
        unless = tuple(slot(s.unless) for s in timeline.steps)
        values = program.compile_many(exprs).fast if exprs else _no_values
        extra: dict[str, Any] = {}
        if any(reads_invoice(e) for s in timeline.steps for e in (s.when, s.unless)):
            extra = {
                "invoice_when_slots": tuple(invoice_slot(s.when) for s in timeline.steps),
                "invoice_unless_slots": tuple(invoice_slot(s.unless) for s in timeline.steps),
                "invoice_values": program.compile_for_invoice(per_invoice).fast,
            }
        resume = next(
            (
                i
                for i, s in enumerate(timeline.steps)
                if s.name == timeline.resume_on_broken_promise
            ),
            None,
        )
        before_due = max((-s.day for s in timeline.steps if s.day < 0), default=0)
        return cls(
            timeline, before_due, resume, values, len(timeline.pause_while), when, unless, **extra
        )

    @property
    def reads_invoice(self) -> bool:
        """Whether a per-invoice step's condition reads the invoice (`invoice_conditions`)."""
        return bool(self._invoice_when_slots)

    @property
    def name(self) -> str:
        """The timeline's name."""
        return self.timeline.name

    @property
    def steps(self) -> tuple[CheckedStep, ...]:
        """The timeline's steps, in day order."""
        return self.timeline.steps

    def conditions(self, facts: AccountFacts) -> TimelineConditions:
        """Evaluate every condition of the timeline for *facts* (under `MONEY_CONTEXT`)."""
        return self._make_conditions(self._values(facts))

    def invoice_conditions(
        self, facts: AccountFacts, invoice: InvoiceFacts, account: TimelineConditions
    ) -> TimelineConditions:
        """Return the account's *account* conditions, with those that read *invoice* evaluated.

        The conditions of per-invoice steps that read ``invoice.FIELD`` are evaluated for
        *invoice* (under `MONEY_CONTEXT`); the others are the account's.
        """
        if not self._invoice_when_slots:
            return account
        values = self._invoice_values(facts, invoice)

        def merged(
            own: tuple[bool | None, ...], slots: tuple[int | None, ...]
        ) -> tuple[bool | None, ...]:
            return tuple(
                v if i is None else values[i] is True for v, i in zip(own, slots, strict=True)
            )

        when = merged(account.when, self._invoice_when_slots)
        unless = merged(account.unless, self._invoice_unless_slots)
        return attrs.evolve(account, when=when, unless=unless, ok=_ok(when, unless))


@attrs.frozen
class CompiledPolicy:
    """A checked policy compiled for evaluation: everything the engine calls.

    The functions take an account's facts and must be called under `MONEY_CONTEXT` (the
    engine does); `CompiledExpr` objects from `program` set it themselves.
    """

    checked: CheckedPolicy
    program: Program = attrs.field(repr=False)
    interpreter: Interpreter = attrs.field(repr=False)
    #: Timelines in the order they are tried: those for a segment first, ``for all`` last.
    timelines: tuple[CompiledTimeline, ...] = attrs.field(repr=False)
    segments: Mapping[str, Callable[[AccountFacts], Any]] = attrs.field(repr=False)
    channel_rules: tuple[CheckedChannelRule, ...] = attrs.field(repr=False)
    #: The values of the channel rules' conditions (``otherwise`` has none), in rule order.
    channel_conditions: Callable[[AccountFacts], tuple[Any, ...]] = attrs.field(repr=False)
    score: Callable[[AccountFacts], Any] | None = attrs.field(repr=False)
    ties: Callable[[AccountFacts], tuple[Any, ...]] = attrs.field(repr=False)
    ties_descending: tuple[bool, ...] = attrs.field(repr=False)
    #: The fact tiers are measured by (``tiers by share of ...``; overdue by default).
    measure: Callable[[AccountFacts], Any] = attrs.field(repr=False)
    #: Whether each fee of the ``charges`` section applies (its ``when`` holds and its
    #: ``unless`` does not), in the section's order; empty without charges.
    fees_apply: Callable[[AccountFacts], tuple[bool, ...]] = attrs.field(repr=False)
    assign_rules: tuple[CheckedAssignRule, ...] = attrs.field(default=(), repr=False)
    #: The values of the ``assign`` rules: each rule's owner, then its condition if it has one.
    assign_values: Callable[[AccountFacts], tuple[Any, ...]] = attrs.field(
        default=_no_values, repr=False
    )

    def owner(self, facts: AccountFacts) -> tuple[str | None, int | None]:
        """Return the owner the ``assign`` rules give an account, and the index of the rule.

        The first rule whose condition holds (``otherwise`` always does) and whose owner has a
        value gives it; (None, None) when no rule does (the engine then falls back to the
        account's collector).
        """
        values = iter(self.assign_values(facts))
        for k, rule in enumerate(self.assign_rules):
            owner = next(values)
            holds = True if rule.condition is None else next(values) is True
            if holds and owner is not None and str(owner).strip():
                return str(owner), k
        return None, None

    def timeline_for(self, facts: AccountFacts) -> CompiledTimeline | None:
        """Return the timeline an account with *facts* follows (None if none applies)."""
        for tl in self.timelines:
            segment = tl.timeline.segment
            if segment is None or self.segments[segment](facts):
                return tl
        return None

    def expressions(self) -> Sequence[TExpr]:
        """Every expression the engine evaluates, in the order it evaluates them."""
        c = self.checked
        exprs: list[TExpr] = [*c.segments.values()]
        for t in c.timelines:
            exprs += [*t.pause_while, *t.restart_when]
            exprs += [e for s in t.steps for e in (s.when, s.unless) if e is not None]
        exprs += [r.condition for r in c.channel if r.condition is not None]
        exprs += _assign_exprs(c.assign)
        exprs += [e for e in (c.priority.score,) if e is not None]
        exprs += [e for e, _ in c.priority.ties]
        if c.charges is not None:
            exprs += [e for fee in c.charges.fees for e in (fee.when, fee.unless) if e is not None]
        return exprs

    def locate(self, facts: AccountFacts) -> EvaluationError | None:
        """Find the expression that cannot be evaluated for *facts*, as a located error.

        The slow path of an account that failed: each expression is evaluated on its own.
        """
        for expr in self.expressions():
            try:
                if reads_invoice(expr):  # evaluated for each invoice, by the interpreter
                    for invoice in facts.invoices:
                        self.interpreter.evaluate(expr, facts, invoice=invoice)
                else:
                    self.program.compile(expr)(facts)
            except EvaluationError as located:
                return located
        return None


def _assign_exprs(rules: Sequence[CheckedAssignRule]) -> list[TExpr]:
    """Return the expressions of the ``assign`` rules: each owner, then its condition if any."""
    return [e for r in rules for e in (r.owner, r.condition) if e is not None]


def compile_policy(checked: CheckedPolicy) -> CompiledPolicy:
    """Compile every expression of *checked* for the engine."""
    name = checked.source_name
    program = Program(checked.lets, checked.segments, name)
    interpreter = Interpreter(checked.lets, checked.segments, name)
    timelines = [CompiledTimeline.build(t, program) for t in checked.timelines]
    ordered = [t for t in timelines if t.timeline.segment is not None]
    ordered += [t for t in timelines if t.timeline.segment is None]
    conditions = [r.condition for r in checked.channel if r.condition is not None]
    pr = checked.priority
    ties = [expr for expr, _ in pr.ties]
    measure = FACTS.get(pr.tier_measure or "overdue", FACTS["overdue"])
    return CompiledPolicy(
        checked=checked,
        program=program,
        interpreter=interpreter,
        timelines=tuple(ordered),
        segments={n: program.compile(e).fast for n, e in checked.segments.items()},
        channel_rules=checked.channel,
        channel_conditions=program.compile_many(conditions).fast if conditions else _no_values,
        score=program.compile(pr.score).fast if pr.score is not None else None,
        ties=program.compile_many(ties).fast if ties else _no_values,
        ties_descending=tuple(desc for _, desc in pr.ties),
        measure=measure.get,
        fees_apply=_fees_apply(checked, program),
        assign_rules=checked.assign,
        assign_values=(
            program.compile_many(_assign_exprs(checked.assign)).fast
            if checked.assign
            else _no_values
        ),
    )


def _fees_apply(
    checked: CheckedPolicy, program: Program
) -> Callable[[AccountFacts], tuple[bool, ...]]:
    """Compile the fees' conditions into one function: per fee, whether it applies."""
    fees = checked.charges.fees if checked.charges is not None else ()
    exprs: list[TExpr] = []
    slots: list[tuple[int | None, int | None]] = []
    for fee in fees:
        when = unless = None
        if fee.when is not None:
            when = len(exprs)
            exprs.append(fee.when)
        if fee.unless is not None:
            unless = len(exprs)
            exprs.append(fee.unless)
        slots.append((when, unless))
    values = program.compile_many(exprs).fast if exprs else _no_values

    def apply(facts: AccountFacts) -> tuple[bool, ...]:
        got = values(facts)
        return tuple(
            (w is None or got[w] is True) and (u is None or got[u] is not True) for w, u in slots
        )

    return apply
