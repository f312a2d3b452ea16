"""The IR: the checked policy, every name resolved, every expression typed.

The checker turns the syntax tree into these nodes; the compiler turns them into evaluation
functions. A typed expression (`TExpr`) knows its `Type`, whether it may be absent at run time
(``optional``), its source span, and — through `text` — the source it was written as, which
explanations quote.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

import attrs

from arcollect.charges import DEFAULT_ALLOCATION, InterestRule
from arcollect.domain.actions import ActionKind
from arcollect.domain.money import Money
from arcollect.domain.records import KNOWN_ROLES
from arcollect.errors import Diagnostic, Span
from arcollect.lang.ast import Expect
from arcollect.lang.schema import Fact
from arcollect.lang.types import Type

__all__ = [
    "Anchor",
    "CheckedAssignRule",
    "CheckedChannelRule",
    "CheckedCharges",
    "CheckedFee",
    "CheckedPolicy",
    "CheckedPriority",
    "CheckedStep",
    "CheckedTimeline",
    "TAgg",
    "TBetween",
    "TBinary",
    "TBool",
    "TCall",
    "TCompare",
    "TCond",
    "TConst",
    "TContains",
    "TExpr",
    "TFact",
    "TField",
    "THasRole",
    "TIn",
    "TLet",
    "TNot",
    "TSegment",
    "TSet",
    "TUnary",
    "calls",
    "day_words",
    "reads_invoice",
]


def day_words(day: int) -> str:
    """Say a step's day in words: ``3 days before due``, ``on due``, ``1 day past due``."""
    if day < 0:
        return f"{-day} day{'s' if day != -1 else ''} before due"
    if day == 0:
        return "on due"
    return f"{day} day{'s' if day != 1 else ''} past due"


@attrs.frozen(kw_only=True)
class _T:
    type: Type
    span: Span = attrs.field(eq=False, repr=False)
    text: str = attrs.field(eq=False, repr=False)
    optional: bool = False


@attrs.frozen(kw_only=True)
class TConst(_T):
    """A literal value: Decimal, Money, timedelta, date, str, bool or an enum member."""

    value: Any


@attrs.frozen(kw_only=True)
class TFact(_T):
    """A fact of the account."""

    fact: Fact


@attrs.frozen(kw_only=True)
class TField(_T):
    """A field of the invoice an aggregate is looking at."""

    fact: Fact


@attrs.frozen(kw_only=True)
class TLet(_T):
    """A reference to a ``let``."""

    name: str


@attrs.frozen(kw_only=True)
class TSegment(_T):
    """A reference to a segment: whether the account is in it."""

    name: str


@attrs.frozen(kw_only=True)
class TUnary(_T):
    """Negation of a number, money or duration."""

    operand: TExpr


@attrs.frozen(kw_only=True)
class TBinary(_T):
    """Arithmetic."""

    op: Literal["+", "-", "*", "/"]
    left: TExpr
    right: TExpr


@attrs.frozen(kw_only=True)
class TCompare(_T):
    """A comparison."""

    op: Literal["==", "!=", "<", "<=", ">", ">="]
    left: TExpr
    right: TExpr


@attrs.frozen(kw_only=True)
class TBool(_T):
    """``and`` / ``or``."""

    op: Literal["and", "or"]
    left: TExpr
    right: TExpr


@attrs.frozen(kw_only=True)
class TNot(_T):
    """``not``."""

    operand: TExpr


@attrs.frozen(kw_only=True)
class TSet(_T):
    """A set literal."""

    items: tuple[TExpr, ...]


@attrs.frozen(kw_only=True)
class TIn(_T):
    """``item [not] in collection``."""

    item: TExpr
    collection: TExpr
    negated: bool


@attrs.frozen(kw_only=True)
class TContains(_T):
    """``container contains item``."""

    container: TExpr
    item: TExpr


@attrs.frozen(kw_only=True)
class TBetween(_T):
    """``value between low and high``, inclusive."""

    value: TExpr
    low: TExpr
    high: TExpr


@attrs.frozen(kw_only=True)
class TCond(_T):
    """``then if condition else otherwise``."""

    then: TExpr
    condition: TExpr
    otherwise: TExpr


@attrs.frozen(kw_only=True)
class TAgg(_T):
    """An aggregate over the open invoices; *field* is read per invoice, *where* filters."""

    func: Literal["count", "sum", "any", "all", "max", "min"]
    field: Fact | None
    where: TExpr | None


@attrs.frozen(kw_only=True)
class TCall(_T):
    """A built-in function."""

    func: Literal[
        "min", "max", "abs", "round", "days", "end_of_month", "day_of_month", "weekday", "times"
    ]
    args: tuple[TExpr, ...]


@attrs.frozen(kw_only=True)
class THasRole(_T):
    """Whether the account has a contact with *role*."""

    role: str


TExpr = (
    TConst
    | TFact
    | TField
    | TLet
    | TSegment
    | TUnary
    | TBinary
    | TCompare
    | TBool
    | TNot
    | TSet
    | TIn
    | TContains
    | TBetween
    | TCond
    | TAgg
    | TCall
    | THasRole
)


def reads_invoice(expr: TExpr | None) -> bool:
    """Whether *expr* reads ``invoice.FIELD``: the invoice of a ``per invoice`` step.

    Fields inside an aggregate are the aggregate's invoice, and do not count.
    """
    if expr is None or isinstance(expr, TAgg):
        return False
    if isinstance(expr, TField):
        return True
    for field in attrs.fields(type(expr)):
        value = getattr(expr, field.name)
        items = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, _T) and reads_invoice(v) for v in items):  # type: ignore[arg-type]
            return True
    return False


def calls(expr: TExpr | None, func: str) -> bool:
    """Whether *expr* calls the built-in function *func* (``times``) anywhere in it."""
    if expr is None:
        return False
    if isinstance(expr, TCall) and expr.func == func:
        return True
    for field in attrs.fields(type(expr)):
        value = getattr(expr, field.name)
        items = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, _T) and calls(v, func) for v in items):  # type: ignore[arg-type]
            return True
    return False


#: What a step's timing counts from: the due date, the end of the month the due date plus the
#: offset falls in, the invoice's issue date, or the day another step (``after``) was done.
Anchor = Literal["due", "due_eom", "issue", "step"]


@attrs.frozen(kw_only=True)
class CheckedStep:
    """A step of a timeline, with its day (days past due; negative before due) resolved.

    *anchor* says what the step is timed from; *day* is its offset from that anchor in days
    (signed days past due for ``due``), *after* the step an ``after STEP`` timing names.
    *required* and *max_times* are the ``required`` and ``at most N times`` modifiers.
    """

    name: str
    day: int
    action: ActionKind = attrs.field(converter=ActionKind)
    template: str | None
    per_invoice: bool
    to_role: str | None
    with_role: str | None
    when: TExpr | None
    unless: TExpr | None
    every: int | None
    until: int | None
    min_interval: int | None
    approval: str | None
    span: Span = attrs.field(eq=False, repr=False)
    anchor: Anchor = "due"
    after: str | None = None
    required: bool = False
    max_times: int | None = None

    @property
    def from_due(self) -> bool:
        """Whether the step is timed from the due date (``due`` or ``due_eom``)."""
        return self.anchor in ("due", "due_eom")

    def timing_words(self) -> str:
        """Say the step's timing as written: ``14 days after reminder``."""
        n = self.day
        days = f"{n} day{'s' if n != 1 else ''}"
        if self.anchor == "due_eom":
            return f"{days} past due, end of month"
        if self.anchor == "issue":
            return f"{days} after issue"
        if self.anchor == "step":
            return f"{days} after {self.after}"
        return day_words(n)

    #: The actions after the first (``letter "t" and email "t"``), each with its template.
    also: tuple[tuple[ActionKind, str | None], ...] = ()
    #: ``cc ROLE``: the role of the contact copied on the step's messages.
    cc_role: str | None = None
    #: ``to all ROLE``: one action for every contact of ``to_role``.
    to_all: bool = False

    @property
    def actions(self) -> tuple[tuple[ActionKind, str | None], ...]:
        """Every action of the step with its template, the first (``action``) first."""
        return ((self.action, self.template), *self.also)


@attrs.frozen(kw_only=True)
class CheckedTimeline:
    """A timeline: for which segment (None: all accounts), what pauses and restarts it.

    *in_sequence* (``, in sequence``): steps are taken in order, none skipped;
    *by_oldest_invoice*: the episode follows the oldest open invoice's own dates and history;
    *release_on_paid* (``on paid release hold``): a hold done is released once the episode ends.
    """

    name: str
    segment: str | None
    pause_while: tuple[TExpr, ...]
    restart_when: tuple[TExpr, ...]
    resume_on_broken_promise: str | None
    min_gap: int | None
    steps: tuple[CheckedStep, ...]
    span: Span = attrs.field(eq=False, repr=False)
    in_sequence: bool = False
    by_oldest_invoice: bool = False
    release_on_paid: bool = False


@attrs.frozen(kw_only=True)
class CheckedChannelRule:
    """``call when ...``; *condition* None for ``otherwise``."""

    channel: str
    condition: TExpr | None


@attrs.frozen(kw_only=True)
class CheckedAssignRule:
    """``"Key accounts desk" when key``: an owner (a string) and its condition (None: otherwise)."""

    owner: TExpr
    condition: TExpr | None


@attrs.frozen(kw_only=True)
class CheckedPriority:
    """The priority section: score, tiers (name, share as a fraction), capacity and ties.

    *capacity_per_owner*: ``capacity N calls per day per collector``, a limit for each owner.
    """

    score: TExpr | None
    tiers: tuple[tuple[str, Any], ...]
    tier_measure: str | None
    capacity: int | None
    ties: tuple[tuple[TExpr, bool], ...]
    capacity_per_owner: bool = False


@attrs.frozen(kw_only=True)
class CheckedFee:
    """A fee of the ``charges`` section, checked.

    *basis* is ``invoice`` (once per overdue invoice) or the channel whose actions carry it;
    *key* the step name its charges are logged under (``fee.invoice``, ``fee.letter``, and
    ``fee.letter.2`` for a second fee of the same basis); *text* the clause as written.
    """

    key: str
    amount: Money
    basis: str
    when: TExpr | None
    unless: TExpr | None
    text: str


@attrs.frozen(kw_only=True)
class CheckedCharges:
    """The ``charges`` section: the interest rule, the fees, and what payments pay first."""

    interest: InterestRule | None
    fees: tuple[CheckedFee, ...]
    payments: tuple[str, ...] = DEFAULT_ALLOCATION

    @property
    def tables(self) -> tuple[str, ...]:
        """The rate tables the policy needs from its caller."""
        table = self.interest.table if self.interest is not None else None
        return () if table is None else (table,)


@attrs.frozen(kw_only=True)
class CheckedPolicy:
    """A policy whose names all resolve and whose expressions all type-check."""

    name: str
    version: int | None
    currency: str | None
    locale: str | None
    business_days: Literal["weekdays", "all"]
    holidays: tuple[date, ...]
    timezone: str | None
    lets: Mapping[str, TExpr]
    segments: Mapping[str, TExpr]
    timelines: tuple[CheckedTimeline, ...]
    channel: tuple[CheckedChannelRule, ...]
    priority: CheckedPriority
    expects: tuple[Expect, ...]
    #: The ``assign`` rules, in order (none: each account's collector owns its actions).
    assign: tuple[CheckedAssignRule, ...] = ()
    #: ``fall back when unreachable`` in the ``channel`` section.
    fallback: bool = False
    #: Every contact role the policy knows: `KNOWN_ROLES` and those of its ``roles`` line.
    roles: frozenset[str] = KNOWN_ROLES
    #: The payment deadline correspondence names, in business days after its date
    #: (``deadline N business days``; None: the letters' default).
    payment_deadline_days: int | None = None
    #: The step actions the channel rules re-route (``channel for ...``; e-mail and sms unless
    #: the section says otherwise).
    channel_actions: frozenset[ActionKind] = frozenset({ActionKind.EMAIL, ActionKind.SMS})
    #: The ``charges`` section (None: the policy charges no interest and no fees).
    charges: CheckedCharges | None = None
    warnings: tuple[Diagnostic, ...] = ()
    source: str = attrs.field(default="", eq=False, repr=False)
    source_name: str = attrs.field(default="<policy>", eq=False)
