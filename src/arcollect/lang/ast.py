"""The syntax tree of a rule file: frozen, slotted attrs nodes, each with a source span.

`arcollect.lang.parser.parse` builds these nodes; `arcollect.lang.formatter.format_policy` turns
them back into canonical text. Every node has a ``span`` (where it was written), which is left
out of equality, hashing and ``repr``: two trees that say the same thing compare equal wherever
they were written, and a tree built by hand (with the default `NO_SPAN`) equals a parsed one.

Values are exact: numbers are `decimal.Decimal`, money is a Decimal amount and an ISO 4217 code,
durations are whole days, dates are `datetime.date`. No node holds a Lark tree or token.

>>> from decimal import Decimal
>>> MoneyLit(amount=Decimal("1000"), currency="EUR") == MoneyLit(
...     amount=Decimal("1000.00"), currency="EUR", span=Span(1, 1, 1, 10))
True
>>> DurationLit(days=14, unit="week") == DurationLit(days=14)
True
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any, Final, Literal

import attrs

from arcollect.domain.actions import ActionKind
from arcollect.errors import Span

__all__ = [
    "NO_SPAN",
    "AccountAttr",
    "Action",
    "ActionKind",
    "Aggregate",
    "AggregateFunc",
    "AssignBlock",
    "AssignRule",
    "Between",
    "BinOp",
    "Binary",
    "BoolLit",
    "BoolOp",
    "Calendar",
    "Call",
    "CallFunc",
    "Capacity",
    "ChannelBlock",
    "ChannelRule",
    "ChargesBlock",
    "Comment",
    "CompOp",
    "Compare",
    "Conditional",
    "ContactRecord",
    "Contains",
    "DateLit",
    "DisputeRecord",
    "DoneRecord",
    "DurationLit",
    "Expect",
    "ExpectAccount",
    "Expr",
    "FeeClause",
    "HasRole",
    "Header",
    "In",
    "InterestClause",
    "InvoiceRecord",
    "LastContactRecord",
    "Let",
    "MoneyLit",
    "Name",
    "Node",
    "Not",
    "NumberLit",
    "OnEvent",
    "OnRelease",
    "PaymentOrder",
    "PaymentRecord",
    "PercentLit",
    "PolicyFile",
    "PriorityBlock",
    "PromiseRecord",
    "Record",
    "Repeat",
    "Segment",
    "SetLiteral",
    "Step",
    "StepTiming",
    "StringLit",
    "ThenAction",
    "ThenApproval",
    "ThenChannel",
    "ThenContact",
    "ThenDeferred",
    "ThenItem",
    "ThenNoAction",
    "ThenOrder",
    "ThenOwner",
    "ThenPriority",
    "ThenStep",
    "ThenTier",
    "TieKey",
    "Tier",
    "Tiers",
    "Timeline",
    "TimingRelation",
    "Unary",
]

#: The span of a node that was not parsed from text (built by hand or by a program).
NO_SPAN: Final = Span(0, 0, 0, 0)

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CURRENCY = re.compile(r"[A-Z]{3}\Z")


def _non_negative(_inst: Any, attribute: attrs.Attribute[Any], value: Decimal | int) -> None:
    if not value >= 0:  # also refuses NaN
        msg = f"'{attribute.name}' must be a non-negative finite number (got {value!r})"
        raise ValueError(msg)
    if isinstance(value, Decimal) and not value.is_finite():
        msg = f"'{attribute.name}' must be a non-negative finite number (got {value!r})"
        raise ValueError(msg)


def _identifiers(_inst: Any, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    if not value or not all(_IDENT.match(part) for part in value):
        msg = f"'{attribute.name}' must be one or more identifiers (got {value!r})"
        raise ValueError(msg)


def _identifier(_inst: Any, attribute: attrs.Attribute[Any], value: str | None) -> None:
    if value is not None and not _IDENT.match(value):
        msg = f"'{attribute.name}' must be an identifier (got {value!r})"
        raise ValueError(msg)


def _currency_code(_inst: Any, attribute: attrs.Attribute[Any], value: str) -> None:
    if not _CURRENCY.match(value):
        msg = f"'{attribute.name}' must be three capital letters (got {value!r})"
        raise ValueError(msg)


@attrs.frozen(kw_only=True)
class Node:
    """The base of every node: ``span`` locates it in the source (`NO_SPAN` if built by hand)."""

    span: Span = attrs.field(default=NO_SPAN, eq=False, repr=False)


# ============================================================================================
# Expressions


@attrs.frozen(kw_only=True)
class NumberLit(Node):
    """A number literal: ``12.5``, ``1,000`` or ``1_000`` (both mean 1000). Never negative.

    A leading minus is the `Unary` operator: ``-5`` is ``Unary(op="-", operand=NumberLit(5))``.
    """

    value: Decimal = attrs.field(validator=_non_negative)


@attrs.frozen(kw_only=True)
class PercentLit(Node):
    """A percentage, ``80%``: ``value`` is the number written (80), `fraction` is 0.8."""

    value: Decimal = attrs.field(validator=_non_negative)

    @property
    def fraction(self) -> Decimal:
        """The percentage as a fraction of one: ``80%`` gives ``Decimal("0.8")``."""
        return self.value.scaleb(-2)


@attrs.frozen(kw_only=True)
class MoneyLit(Node):
    """An amount of money, ``1,000 EUR``: a Decimal amount and a three-letter currency code.

    The code is not checked against ISO 4217 here; that is the checker's job.
    """

    amount: Decimal = attrs.field(validator=_non_negative)
    currency: str = attrs.field(validator=_currency_code)


@attrs.frozen(kw_only=True)
class DurationLit(Node):
    """A duration in whole days: ``30 days``, ``1 day``, ``2 weeks`` (14 days).

    ``unit`` remembers whether weeks were written, for formatting only; it takes no part in
    equality, so ``2 weeks == 14 days``.
    """

    days: int = attrs.field(validator=_non_negative)
    unit: Literal["day", "week"] = attrs.field(default="day", eq=False)


@attrs.frozen(kw_only=True)
class DateLit(Node):
    """A calendar date written in ISO form, ``2026-12-25``."""

    value: date


@attrs.frozen(kw_only=True)
class StringLit(Node):
    r"""A double-quoted string, its escapes already decoded.

    The escapes are ``\"``, ``\\``, ``\n``, ``\t``, ``\r`` and ``\u{20AC}`` (a code point).
    """

    value: str


@attrs.frozen(kw_only=True)
class BoolLit(Node):
    """``true`` or ``false``."""

    value: bool


@attrs.frozen(kw_only=True)
class Name(Node):
    """A name, possibly dotted: ``overdue``, ``account.tags``, ``promise.active``, ``today``.

    Facts, ``let`` names, segment names, invoice fields inside an aggregate's ``where`` and bare
    words such as ``irate`` (``last_contact.outcome == irate``) are all `Name`; the checker tells
    them apart. ``today`` is a name too (a fact), not a keyword.
    """

    parts: tuple[str, ...] = attrs.field(validator=_identifiers)

    @property
    def dotted(self) -> str:
        """The name as written: its parts joined by dots."""
        return ".".join(self.parts)


@attrs.frozen(kw_only=True)
class Unary(Node):
    """Arithmetic negation, ``-x``."""

    op: Literal["-"] = "-"
    operand: Expr


BinOp = Literal["+", "-", "*", "/"]


@attrs.frozen(kw_only=True)
class Binary(Node):
    """Arithmetic, ``left op right`` with ``op`` one of ``+ - * /`` (all left-associative)."""

    op: BinOp
    left: Expr
    right: Expr


CompOp = Literal["==", "!=", "<", "<=", ">", ">="]


@attrs.frozen(kw_only=True)
class Compare(Node):
    """A comparison, ``left op right`` with ``op`` one of ``== != < <= > >=``; never chained."""

    op: CompOp
    left: Expr
    right: Expr


@attrs.frozen(kw_only=True)
class BoolOp(Node):
    """``left and right`` or ``left or right`` (both left-associative, ``and`` binds tighter)."""

    op: Literal["and", "or"]
    left: Expr
    right: Expr


@attrs.frozen(kw_only=True)
class Not(Node):
    """Boolean negation, ``not operand``."""

    operand: Expr


@attrs.frozen(kw_only=True)
class In(Node):
    """Membership, ``item in collection``; ``negated`` for ``item not in collection``."""

    item: Expr
    collection: Expr
    negated: bool = False


@attrs.frozen(kw_only=True)
class Contains(Node):
    """``container contains item``, as in ``account.tags contains "key"``."""

    container: Expr
    item: Expr


@attrs.frozen(kw_only=True)
class Between(Node):
    """``value between low and high`` (inclusive at both ends, by the evaluator's definition)."""

    value: Expr
    low: Expr
    high: Expr


@attrs.frozen(kw_only=True)
class Conditional(Node):
    """``then if condition else otherwise``, as in ``(50 if key else 0)``."""

    then: Expr
    condition: Expr
    otherwise: Expr


AggregateFunc = Literal["count", "sum", "any", "all", "max", "min"]


@attrs.frozen(kw_only=True)
class Aggregate(Node):
    """An aggregate over a collection of the account: ``func(collection[.field] [where cond])``.

    ``count(invoices where days_past_due > 60)`` is ``func="count"``, ``collection="invoices"``,
    ``field=None``; ``sum(invoices.open where disputed)`` has ``field="open"``. Inside ``where``
    bare names are the fields of one element (``days_past_due``, ``disputed``).

    ``count``, ``sum``, ``any`` and ``all`` always aggregate; ``min`` and ``max`` aggregate when
    given one argument (``max(invoices.days_past_due)``) and are a `Call` with two or more.
    """

    func: AggregateFunc
    collection: str = attrs.field(validator=_identifier)
    field: str | None = attrs.field(default=None, validator=_identifier)
    where: Expr | None = None


CallFunc = Literal[
    "min", "max", "abs", "round", "days", "end_of_month", "day_of_month", "weekday", "times"
]


@attrs.frozen(kw_only=True)
class Call(Node):
    """A built-in function call: ``min``, ``max``, ``abs``, ``round``, ``days`` and the others.

    ``min(a, b, ...)`` and ``max(a, b, ...)`` take two or more arguments, ``abs(x)`` and
    ``days(d)`` (a duration as a number of days) one, ``round(x)`` or ``round(x, n)`` one or two;
    ``end_of_month(d)`` (the month's last day), ``day_of_month(d)`` (1-31) and ``weekday(d)``
    (1 = Monday to 7 = Sunday, ISO 8601) take a date; ``times(STEP)`` names a step and counts how
    often it was done in the episode. The parser checks the count. There are no user-defined
    functions.
    """

    func: CallFunc
    args: tuple[Expr, ...]


@attrs.frozen(kw_only=True)
class HasRole(Node):
    """``has decision_maker``: whether the account has a contact with that role."""

    role: str


@attrs.frozen(kw_only=True)
class SetLiteral(Node):
    """A set literal for ``in``: ``["DE", "AT"]``; items keep the order written."""

    items: tuple[Expr, ...]


Expr = (
    NumberLit
    | PercentLit
    | MoneyLit
    | DurationLit
    | DateLit
    | StringLit
    | BoolLit
    | Name
    | Unary
    | Binary
    | Compare
    | BoolOp
    | Not
    | In
    | Contains
    | Between
    | Conditional
    | Aggregate
    | Call
    | HasRole
    | SetLiteral
)

# ============================================================================================
# The policy header and definitions


@attrs.frozen(kw_only=True)
class Calendar(Node):
    """``calendar weekdays, holidays 2026-12-25, ...`` or ``calendar all days``.

    ``days`` is ``"weekdays"`` (Monday to Friday are business days) or ``"all"``.
    """

    days: Literal["weekdays", "all"]
    holidays: tuple[date, ...] = ()


@attrs.frozen(kw_only=True)
class Header(Node):
    """``policy "Name" version N`` and its header lines.

    The ``currency``, ``locale``, ``calendar``, ``timezone`` and ``roles`` lines are optional,
    each at most once, in any order; ``version`` is optional too.
    """

    name: str
    version: int | None = None
    currency: str | None = None
    locale: str | None = None
    calendar: Calendar | None = None
    timezone: str | None = None
    #: ``roles buchhaltung, einkauf``: contact roles of the policy's own, beside `KNOWN_ROLES`.
    #: ``deadline 10 business days``: the payment deadline letters and call sheets name.
    deadline: int | None = None
    roles: tuple[str, ...] = ()
    #: The span of each of ``roles`` (left out of equality, like every span).
    role_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)
    #: Layout only (left out of equality): the source line of each header line, by field name.
    lines: tuple[tuple[str, int], ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Let(Node):
    """``let name = value``: a named expression, usable anywhere in the policy."""

    name: str
    value: Expr


@attrs.frozen(kw_only=True)
class Segment(Node):
    """``segment name when condition``: a named set of accounts; ``name`` reads as a Bool."""

    name: str
    condition: Expr


# ============================================================================================
# Timelines


@attrs.frozen(kw_only=True)
class OnEvent(Node):
    """``on promise.broken resume at first_call``: after ``event``, continue at ``step``."""

    event: Name
    step: str


@attrs.frozen(kw_only=True)
class OnRelease(Node):
    """``on paid release hold``: when the episode ends after a hold was done, release it once."""

    event: Name


#: What a step's timing counts from: the due date (``past due``, ``before due``, ``on due``,
#: ``past due, end of month``), the invoice's issue date (``after issue``) or the day another
#: step was done (``after STEP``).
TimingRelation = Literal[
    "before_due", "past_due", "on_due", "past_due_eom", "after_issue", "after_step"
]


@attrs.frozen(kw_only=True)
class StepTiming(Node):
    """When a step fires: ``10 days past due`` and its other forms.

    The forms: ``3 days before due``, ``10 days past due``, ``on due``, ``30 days past due, end
    of month``, ``40 days after issue`` and ``14 days after reminder``.
    ``relation`` names the form (`TimingRelation`); ``offset`` is the duration written (zero
    days for ``on due``); ``after`` the step named by ``after STEP``. `days_past_due` is the
    signed day number of the forms counted from the due date (for the others, the offset).
    """

    relation: TimingRelation
    offset: DurationLit = attrs.field(factory=lambda: DurationLit(days=0))
    after: str | None = None

    @property
    def from_due(self) -> bool:
        """Whether the step is timed from the due date (so comparable with others so timed)."""
        return self.relation in ("before_due", "past_due", "on_due", "past_due_eom")

    @property
    def days_past_due(self) -> int:
        """Days past due at which the step fires: negative before due, 0 on the due date."""
        if self.relation == "before_due":
            return -self.offset.days
        if self.relation == "on_due":
            return 0
        return self.offset.days


@attrs.frozen(kw_only=True)
class Action(Node):
    """What a step does, and with which template.

    ``email "t"``, ``letter "t"``, ``sms "t"`` (template required), ``call``, ``voicemail``,
    ``visit``, ``review`` (template optional), ``hold shipments``, ``release hold``,
    ``refer agency``, ``refer attorney`` (no template).

    ``kind`` is the action's record name, with an underscore for two-word actions
    (``hold_shipments``); ``template`` is the template name or None.
    """

    kind: ActionKind = attrs.field(converter=ActionKind)
    template: str | None = None


@attrs.frozen(kw_only=True)
class Repeat(Node):
    """``every 7 days until 45 days past due``: repeat the step.

    ``until`` (days past due) may be omitted: the step then repeats while the episode lasts.
    """

    every: DurationLit
    until: DurationLit | None = None


@attrs.frozen(kw_only=True)
class Step(Node):
    """``step name <timing> [per invoice] <action> [and <action> ...] [modifiers]``, one step.

    Modifiers come in any order, each at most once (an optional comma may precede each):
    ``to ROLE`` (``to_role``), ``to all ROLE`` (``to_role`` and ``to_all``: every contact of
    the role), ``cc ROLE`` (``cc_role``), ``with ROLE`` (``with_role``: ``visit with sales_rep``),
    ``when EXPR``, ``unless EXPR``, ``every N days [until M days past due]`` (``repeat``),
    ``at most every N days`` (``min_interval``), ``requires approval by ROLE``
    (``approval``) and ``per invoice`` (``per_invoice``: fire per overdue invoice instead of by
    the oldest one; it may also be written right after the timing).
    """

    name: str
    timing: StepTiming
    action: Action
    per_invoice: bool = False
    to_role: str | None = None
    with_role: str | None = None
    #: The actions after the first, ``letter "t" and email "t"``: one step, one contact.
    also: tuple[Action, ...] = ()
    #: ``cc ROLE``: a contact of this role is copied on the step's messages.
    cc_role: str | None = None
    #: ``to all ROLE``: every contact of ``to_role``, one action each.
    to_all: bool = False
    when: Expr | None = None
    unless: Expr | None = None
    repeat: Repeat | None = None
    min_interval: DurationLit | None = None
    approval: str | None = None
    #: ``required``: in a catch-up timeline, no later step is planned until this one is done.
    required: bool = False
    #: ``at most N times``: the step is done at most N times in an episode (with ``every``).
    max_times: int | None = None
    #: Layout only (left out of equality): the source line of each modifier, by field name, so
    #: that the formatter keeps the author's line breaks in a long step.
    lines: tuple[tuple[str, int], ...] = attrs.field(default=(), eq=False, repr=False)


@attrs.frozen(kw_only=True)
class Timeline(Node):
    """``timeline name for all`` or ``timeline name for segment S``, and its clauses.

    ``segment`` is None for ``for all``. ``pause_while`` and ``restart_when`` keep the
    conditions of every ``pause while`` / ``restart when`` clause in order; ``on_events`` the
    ``on EVENT resume at STEP`` clauses; ``min_gap`` the ``min gap N days between contacts``
    clause. Clauses may be written in any order; steps keep theirs.
    """

    name: str
    segment: str | None = None
    pause_while: tuple[Expr, ...] = ()
    restart_when: tuple[Expr, ...] = ()
    on_events: tuple[OnEvent, ...] = ()
    min_gap: DurationLit | None = None
    steps: tuple[Step, ...] = ()
    #: ``, in sequence``: steps are taken in order, none skipped (default: catch-up).
    in_sequence: bool = False
    #: ``, by oldest invoice``: the episode follows the oldest open invoice's own dates.
    by_oldest_invoice: bool = False
    #: ``on paid release hold`` clauses.
    on_release: tuple[OnRelease, ...] = ()


# ============================================================================================
# Channel and priority


@attrs.frozen(kw_only=True)
class ChannelRule(Node):
    """``call when EXPR`` or ``email otherwise`` (``condition`` None).

    The first rule whose condition holds picks the channel. ``channel`` is one of call, email,
    letter, sms, visit, voicemail.
    """

    channel: str
    condition: Expr | None = None


@attrs.frozen(kw_only=True)
class ChannelBlock(Node):
    """The ``channel`` section: its rules, ``fall back when unreachable`` and ``for ...``.

    ``applies_to`` are the step actions the rules re-route (``channel for email, sms, letter``);
    empty when the section does not say, which means e-mail and sms steps. ``fallback``: when
    the contact an action addresses has no address for its channel (no phone for a call, no
    e-mail address for an e-mail), the action falls back to a channel the contact can be
    reached on.
    """

    rules: tuple[ChannelRule, ...]
    applies_to: tuple[str, ...] = ()
    fallback: bool = False
    #: Layout only (left out of equality): the source line of ``fall back when unreachable``.
    fallback_line: int = attrs.field(default=0, eq=False, repr=False)


@attrs.frozen(kw_only=True)
class AssignRule(Node):
    """``assign "Key accounts desk" when key`` or ``assign account.collector otherwise``.

    ``condition`` is None for ``otherwise``.

    ``owner`` is a string literal or a name (a string fact such as ``account.collector``, or a
    ``let`` of a string). The first rule whose condition holds and whose owner has a value
    gives the owner of the account's actions.
    """

    owner: StringLit | Name
    condition: Expr | None = None


@attrs.frozen(kw_only=True)
class AssignBlock(Node):
    """The ``assign`` rules of a file, in source order: who owns an account's actions."""

    rules: tuple[AssignRule, ...]


@attrs.frozen(kw_only=True)
class Tier(Node):
    """One tier of ``tiers by share of overdue: A 80%, ...``: a name and its share."""

    name: str
    share: PercentLit


@attrs.frozen(kw_only=True)
class Tiers(Node):
    """``tiers by share of MEASURE: A 80%, B 15%, C 5%`` (``measure`` is a fact, ``overdue``)."""

    measure: str
    tiers: tuple[Tier, ...]


@attrs.frozen(kw_only=True)
class Capacity(Node):
    """``capacity N calls per day [per collector]``.

    ``per_collector``: the limit applies to each owner's calls (see `AssignBlock`), not to the
    team's together.
    """

    calls_per_day: int
    per_collector: bool = False


@attrs.frozen(kw_only=True)
class TieKey(Node):
    """One key of ``ties by overdue desc, account.id``: ascending unless ``descending``."""

    key: Expr
    descending: bool = False


@attrs.frozen(kw_only=True)
class PriorityBlock(Node):
    """The ``priority`` section.

    Its clauses ``score EXPR``, ``tiers ...``, ``capacity ...`` and ``ties by ...`` are each
    optional and at most once.
    """

    score: Expr | None = None
    tiers: Tiers | None = None
    capacity: Capacity | None = None
    ties: tuple[TieKey, ...] = ()


# ============================================================================================
# Charges: late-payment interest and fees


@attrs.frozen(kw_only=True)
class InterestClause(Node):
    """``interest 9% above rate "DE-base" from due, act/360`` or ``interest 10% per year ...``.

    *rate* is the yearly rate, or the spread above the rate table named *table*;
    *day_count* is ``act/365`` or ``act/360`` as written, None when left out (act/365).
    """

    rate: PercentLit
    table: str | None = None
    day_count: str | None = None


@attrs.frozen(kw_only=True)
class FeeClause(Node):
    """``fee 40 EUR per invoice when ...`` (*basis* ``invoice``) or ``fee 5 EUR with letter``.

    *basis* is ``invoice`` (once per overdue invoice) or the channel whose actions carry the
    fee; *condition* the ``when`` condition, *unless* the ``unless`` one.
    """

    amount: MoneyLit
    basis: str
    condition: Expr | None = None
    unless: Expr | None = None


@attrs.frozen(kw_only=True)
class PaymentOrder(Node):
    """``payments pay costs, interest, principal``: what a payment pays first."""

    parts: tuple[str, ...]


@attrs.frozen(kw_only=True)
class ChargesBlock(Node):
    """The ``charges`` section: interest clauses, fees, and the payment order, as written."""

    interest: tuple[InterestClause, ...] = ()
    fees: tuple[FeeClause, ...] = ()
    payments: tuple[PaymentOrder, ...] = ()


# ============================================================================================
# Policy tests: expect blocks


@attrs.frozen(kw_only=True)
class AccountAttr(Node):
    """An attribute of an expect block's account: ``tags "a", "b"``, ``credit_limit 5,000 EUR``.

    ``key`` is one of id, name, tags, credit_limit, terms, risk, country, locale,
    customer_since, currency; ``values`` are literals or names (``locale en_US``), in order.
    """

    key: str
    values: tuple[Expr, ...]


@attrs.frozen(kw_only=True)
class InvoiceRecord(Node):
    """``invoice 1,200 EUR due 2026-10-01 [issued D] [number "X"] [po "Y"]``."""

    amount: MoneyLit
    due: date
    issued: date | None = None
    number: str | None = None
    po: str | None = None


@attrs.frozen(kw_only=True)
class PaymentRecord(Node):
    """``payment 500 EUR on 2026-10-20``."""

    amount: MoneyLit
    paid_on: date


@attrs.frozen(kw_only=True)
class PromiseRecord(Node):
    """``promise 1,200 EUR due 2026-11-30 made 2026-11-20``."""

    amount: MoneyLit
    due: date
    made: date


@attrs.frozen(kw_only=True)
class DisputeRecord(Node):
    """``dispute 500 EUR opened 2026-10-25 [reason pricing_error]``."""

    amount: MoneyLit
    opened: date
    reason: str | None = None


@attrs.frozen(kw_only=True)
class ContactRecord(Node):
    """``contact "Jane Roe" as decision_maker [email "X"] [phone "Y"]``."""

    name: str
    role: str
    email: str | None = None
    phone: str | None = None


@attrs.frozen(kw_only=True)
class DoneRecord(Node):
    """``done reminder, first_call``: steps already done in the current episode."""

    steps: tuple[str, ...]


@attrs.frozen(kw_only=True)
class LastContactRecord(Node):
    """``last contact 2026-11-01 call irate``: date, channel and outcome of the last contact."""

    on: date
    channel: str
    outcome: str


Record = (
    InvoiceRecord
    | PaymentRecord
    | PromiseRecord
    | DisputeRecord
    | ContactRecord
    | DoneRecord
    | LastContactRecord
)


@attrs.frozen(kw_only=True)
class ExpectAccount(Node):
    """``account ["NAME"] [attributes]`` followed by its records, in the order written.

    ``name`` (the account's id in the plan) is required when a block has several accounts.
    """

    name: str | None = None
    attributes: tuple[AccountAttr, ...] = ()
    records: tuple[Record, ...] = ()


@attrs.frozen(kw_only=True)
class ThenNoAction(Node):
    """``then no action``: the plan must have no action for the account.

    Every ``then`` item has an ``account``: the name a ``then "NAME" ...`` line gives, or None
    for the block's one account.
    """

    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenStep(Node):
    """``step NAME`` in ``then``: an action comes from that step (or a built-in one)."""

    name: str
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenAction(Node):
    """``action NAME`` in ``then``: the planned action's kind (``refer_agency``)."""

    kind: str
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenTier(Node):
    """``tier NAME`` in ``then``: the account's priority tier."""

    name: str
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenChannel(Node):
    """``channel NAME`` in ``then``: the planned action's channel."""

    channel: str
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenPriority(Node):
    """``priority > 400`` in ``then``: a comparison of the priority score with a number."""

    op: CompOp
    value: Decimal
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenApproval(Node):
    """``needs_approval ROLE`` (an action needs that role's approval) or ``no approval``.

    ``role`` is None for ``no approval``: no action needs approval.
    """

    role: str | None
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenContact(Node):
    """``contact "Jane Roe"`` (by name) or ``contact billing`` (by role): whom an action reaches."""

    name: str | None = None
    role: str | None = None
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenOwner(Node):
    """``owner "Lena Vogt"`` (an action's owner) or ``no owner`` (``owner`` None: none has one)."""

    owner: str | None
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenDeferred(Node):
    """``deferred`` (an action is deferred by capacity) or ``not deferred`` (none is)."""

    deferred: bool
    account: str | None = None


@attrs.frozen(kw_only=True)
class ThenOrder(Node):
    """``then order "a", "b"``: the accounts' first actions come in this order in the plan."""

    accounts: tuple[str, ...]
    account: None = None


ThenItem = (
    ThenNoAction
    | ThenStep
    | ThenAction
    | ThenTier
    | ThenChannel
    | ThenPriority
    | ThenApproval
    | ThenContact
    | ThenOwner
    | ThenDeferred
    | ThenOrder
)


@attrs.frozen(kw_only=True)
class Expect(Node):
    """``expect "name" as of DATE``, its accounts, and ``then ...`` lines: a policy test.

    ``account`` is the first account, ``more_accounts`` the others (each then named). ``then``
    holds the items of every ``then`` line in order (``ThenNoAction`` for ``then no action``),
    each with the account it is about.
    """

    name: str
    as_of: date
    account: ExpectAccount
    then: tuple[ThenItem, ...]
    more_accounts: tuple[ExpectAccount, ...] = ()
    #: Layout only (left out of equality): the span of each ``then`` line after ``then``.
    then_spans: tuple[Span, ...] = attrs.field(default=(), eq=False, repr=False)

    @property
    def accounts(self) -> tuple[ExpectAccount, ...]:
        """Every account of the block, in the order written."""
        return (self.account, *self.more_accounts)


# ============================================================================================
# The file


@attrs.frozen(kw_only=True)
class Comment(Node):
    """A ``# ...`` comment: its text, from ``#`` to the end of the line (trailing blanks cut).

    ``own_line`` is true for a comment alone on its line, false for one after code.
    """

    text: str
    own_line: bool


@attrs.frozen(kw_only=True)
class PolicyFile(Node):
    """A whole rule file: the header, then its sections grouped by kind, each in source order.

    Sections may be interleaved in the source; ``channel``, ``assign`` and ``priority`` appear
    at most once.
    """

    header: Header
    lets: tuple[Let, ...] = ()
    segments: tuple[Segment, ...] = ()
    timelines: tuple[Timeline, ...] = ()
    channel: ChannelBlock | None = None
    priority: PriorityBlock | None = None
    assign: AssignBlock | None = None
    expects: tuple[Expect, ...] = ()
    charges: ChargesBlock | None = None
    #: The file's comments in source order: layout, left out of equality like the spans.
    comments: tuple[Comment, ...] = attrs.field(default=(), eq=False, repr=False)
