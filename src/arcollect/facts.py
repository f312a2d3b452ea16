"""What a policy may ask about one account, as of one date: a pure function of the records.

`facts(account, as_of)` replays the account's history up to and including *as_of* (events dated
later are ignored, so a history can be replayed day by day) and returns an immutable
`AccountFacts`.

How money is applied, in date order (ties: credit notes before payments, then by reference):

1. A payment first pays the invoices it names (``applies_to``), in the order named, up to each
   one's open amount; a credit note first reduces the invoice it ``credits``.
2. What is left is *unapplied cash*: it pays the open invoices oldest-due first (ties: earlier
   issue date, then invoice number).
3. What is still left stays on the account as a credit (``unapplied``), and lowers the balance.

An invoice is *overdue* when it is open and its due date is before *as_of*; its days past due are
``as_of - due``. Only invoices issued on or before *as_of* exist.

Promises are judged as SAP judges them: after ``due + grace_days`` has passed. Payments dated from
the day the promise was made up to that deadline count toward it. A promise paid in full is
*kept* (as soon as it is); one whose deadline passed with nothing paid is *broken*, with something
but not all paid *partially kept*; otherwise it is *open*. With installments, each installment's
deadline is judged against the cumulative amount promised by then.
"""

from __future__ import annotations

import bisect
import decimal
import enum
import functools
import itertools
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final, TypeVar

import attrs

from arcollect._describe import describe
from arcollect.domain.account import Account
from arcollect.domain.actions import CONTACT_CHANNELS
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import (
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Invoice,
    Payment,
    Promise,
    Snooze,
)
from arcollect.errors import DataError

if TYPE_CHECKING:
    from arcollect.charges import AccountCharges

__all__ = [
    "CONTACT_FALLBACK",
    "DEFAULT_AGING_BOUNDS",
    "FACT_FIELDS",
    "AccountFacts",
    "AgingBucket",
    "InvoiceFacts",
    "PromiseFacts",
    "PromiseStatus",
    "allocate",
    "contact_order",
    "delinquent_since",
    "disputed",
    "facts",
    "paid_off",
    "received",
]

#: The order in which a step without (or with an unavailable) contact role looks for someone.
CONTACT_FALLBACK: Final = ("decision_maker", "accounts_payable", "billing")

#: The upper bounds, in days past due, of the default aging buckets after "current":
#: 1-30, 31-60, 61-90, 91-120, then over 120.
DEFAULT_AGING_BOUNDS: tuple[int, ...] = (30, 60, 90, 120)

_ZERO = Decimal(0)
_ONE_DAY: Final = timedelta(days=1)
_money = Money._exact_sum  # noqa: SLF001 - facts only sums amounts already valid in the currency


class PromiseStatus(enum.StrEnum):
    """Where a promise to pay stands on a given date."""

    OPEN = "open"
    KEPT = "kept"
    PARTIALLY_KEPT = "partially_kept"
    BROKEN = "broken"


@attrs.frozen
class InvoiceFacts:
    """An open invoice as of the facts' date.

    *open* is what is still owed after payments and credit notes; *days_past_due* is 0 until the
    day after *due*; *disputed* says whether an open dispute names the invoice; *snoozed*
    whether a snooze active on the facts' date names it or covers the whole account.
    """

    number: str
    amount: Money
    open: Money
    issued: date
    due: date
    days_past_due: int
    disputed: bool
    delivered: bool
    po_number: str | None
    tags: frozenset[str]
    snoozed: bool = False

    @property
    def overdue(self) -> bool:
        """Whether the invoice is open and past its due date."""
        return self.days_past_due > 0


@attrs.frozen
class PromiseFacts:
    """A promise to pay and how it stands as of the facts' date.

    *deadline* is ``due + grace_days``; *paid* the payments counted toward it so far; *closed_on*
    the day a kept promise was fulfilled or a failed one was judged (the day after the deadline
    it missed), None while open.
    """

    made_on: date
    amount: Money
    due: date
    deadline: date
    paid: Money
    status: PromiseStatus
    closed_on: date | None
    by: str | None

    @property
    def active(self) -> bool:
        """Whether the promise is still open (it pauses escalation)."""
        return self.status is PromiseStatus.OPEN


@attrs.frozen
class AgingBucket:
    """Open invoices whose days past due fall in ``low..high`` (``high`` None: no upper bound).

    The "current" bucket has ``low = high = 0``: invoices not yet due.
    """

    label: str
    low: int
    high: int | None
    amount: Money
    count: int


class _Replay:
    """What the replay of one account leaves for the facts derived on first read.

    *items* are the issued invoices (not credit notes), oldest due first; *open* their open
    amounts; *bounds* the aging bounds.
    """

    __slots__ = ("bounds", "current", "items", "open", "unapplied")

    def __init__(
        self,
        items: list[Invoice],
        open_amt: dict[str, Decimal],
        unapplied: Decimal,
        current: Decimal,
        bounds: tuple[int, ...],
    ) -> None:
        self.items, self.open, self.unapplied = items, open_amt, unapplied
        self.current, self.bounds = current, bounds


@attrs.frozen
class AccountFacts:
    """Everything a policy can read about *account* as of *as_of*.

    *delinquent_since* is the first day of the current unbroken stretch of overdue money (the
    delinquency episode), None when nothing is overdue.

    Amounts are in the account's currency. The tuples are in a canonical order (invoices by
    due date, issue date, number; promises by date made; activities by date), whatever the order
    of the account's records.

    What every plan reads (the overdue money and its age, the episode, promises, disputes,
    activities, the last contact) is derived when the facts are made; the rest (the open
    invoices one by one, aging, balance, current and unapplied money, the disputed share, the
    last payment, whether there is a decision maker) on first read, and then kept: a policy
    pays only for the facts it reads.
    """

    account: Account
    as_of: date
    overdue: Money
    days_past_due: int
    oldest_due: date | None
    delinquent_since: date | None
    promises: tuple[PromiseFacts, ...]
    promise: PromiseFacts | None
    open_disputes: tuple[Dispute, ...]
    activities: tuple[Activity, ...]
    last_contact: Activity | None
    days_since_contact: int | None
    #: The late-payment interest and fees by the policy's ``charges`` (None: it has none);
    #: `arcollect.Policy.facts` and the planner fill it in.
    charges: AccountCharges | None = None
    snoozes: tuple[Snooze, ...] = ()
    aging_bounds: tuple[int, ...] = DEFAULT_AGING_BOUNDS
    _replay: _Replay | None = attrs.field(default=None, alias="replay", eq=False, repr=False)

    @classmethod
    def of(
        cls,
        *,
        invoices: tuple[InvoiceFacts, ...],
        aging: tuple[AgingBucket, ...],
        balance: Money,
        current: Money,
        unapplied: Money,
        undisputed_overdue: Money,
        dispute_amount: Money,
        last_payment: Payment | None,
        has_decision_maker: bool,
        **fields: Any,
    ) -> AccountFacts:
        """Return facts with every value given, the derived ones too (nothing is replayed).

        For an engine that works the facts out another way (`arcollect.frame` does, from
        tables); *fields* are the constructor's.
        """
        f = cls(**fields)
        derived = {
            "invoices": invoices,
            "aging": aging,
            "balance": balance,
            "current": current,
            "unapplied": unapplied,
            "undisputed_overdue": undisputed_overdue,
            "dispute_amount": dispute_amount,
            "last_payment": last_payment,
            "has_decision_maker": has_decision_maker,
        }
        for name, value in derived.items():  # the cached properties' slots, filled
            object.__setattr__(f, name, value)
        return f

    def forget_replay(self) -> None:
        """Let go of the replay kept for the facts not yet derived (they replay again if read).

        The planner calls it once an account is planned: the facts its explanations keep then
        hold no copy of the account's open amounts.
        """
        object.__setattr__(self, "_replay", None)

    def _ledger(self) -> _Replay:
        replay = self._replay
        if replay is None:  # made by hand: replay the account
            with decimal.localcontext(MONEY_CONTEXT):
                items, open_amt, unapplied, _ = _apply_credits(self.account, self.as_of)
                current = sum(
                    (
                        open_amt[i.number]
                        for i in items
                        if open_amt[i.number] > 0 and i.due >= self.as_of
                    ),
                    _ZERO,
                )
            replay = _Replay(items, open_amt, unapplied, current, self.aging_bounds)
            object.__setattr__(self, "_replay", replay)
        return replay

    @functools.cached_property
    def invoices(self) -> tuple[InvoiceFacts, ...]:
        """The open invoices, in canonical order (due date, issue date, number)."""
        replay, as_of, cur = self._ledger(), self.as_of, self.account.currency
        disputed = {n for d in self.open_disputes for n in d.invoices}
        whole = any(not s.invoices for s in self.snoozes)
        snoozed = {n for s in self.snoozes for n in s.invoices}
        out = []
        with decimal.localcontext(MONEY_CONTEXT):
            for inv in replay.items:
                owed = replay.open[inv.number]
                if owed <= 0:
                    continue
                out.append(
                    InvoiceFacts(
                        number=inv.number,
                        amount=inv.amount,
                        open=_money(owed, cur),
                        issued=inv.issued,
                        due=inv.due,
                        days_past_due=max((as_of - inv.due).days, 0),
                        disputed=inv.number in disputed,
                        delivered=inv.delivered,
                        po_number=inv.po_number,
                        tags=inv.tags,
                        snoozed=whole or inv.number in snoozed,
                    )
                )
        return tuple(out)

    @functools.cached_property
    def aging(self) -> tuple[AgingBucket, ...]:
        """The open money by days past due: "current", then a bucket per aging bound, then older."""
        bounds, cur = self.aging_bounds, self.account.currency
        edges = (0, *bounds)
        amounts = [_ZERO] * (len(bounds) + 2)
        counts = [0] * (len(bounds) + 2)
        with decimal.localcontext(MONEY_CONTEXT):
            for inv in self.invoices:
                dpd = inv.days_past_due
                slot = next((k for k, edge in enumerate(edges) if dpd <= edge), len(edges))
                amounts[slot] += inv.open.amount
                counts[slot] += 1
            aging = [AgingBucket("current", 0, 0, _money(amounts[0], cur), counts[0])]
            for k in range(1, len(edges) + 1):
                low = edges[k - 1] + 1
                high = edges[k] if k < len(edges) else None
                aging.append(
                    AgingBucket(
                        _aging_label(low, high), low, high, _money(amounts[k], cur), counts[k]
                    )
                )
        return tuple(aging)

    @functools.cached_property
    def current(self) -> Money:
        """The open money not yet due."""
        return self._wrap(self._ledger().current)

    @functools.cached_property
    def unapplied(self) -> Money:
        """Cash and credit left on the account once every open invoice it could pay is paid."""
        return self._wrap(self._ledger().unapplied)

    @functools.cached_property
    def balance(self) -> Money:
        """What the account owes: overdue + current - unapplied."""
        replay = self._ledger()
        with decimal.localcontext(MONEY_CONTEXT):
            return self._wrap(self.overdue.amount + replay.current - replay.unapplied)

    @functools.cached_property
    def _disputed(self) -> tuple[Decimal, Decimal]:
        # From the replay, without making the invoices' facts (a policy may read the disputed
        # share of every account with a dispute, and nothing else of its invoices).
        replay, as_of = self._ledger(), self.as_of
        owed = replay.open
        rows = [
            (i.number, owed[i.number], i.due < as_of) for i in replay.items if owed[i.number] > 0
        ]
        with decimal.localcontext(MONEY_CONTEXT):
            return _disputed_share(rows, self.open_disputes, self.overdue.amount)

    @functools.cached_property
    def undisputed_overdue(self) -> Money:
        """The overdue money no open dispute covers."""
        with decimal.localcontext(MONEY_CONTEXT):
            return self._wrap(self.overdue.amount - self._disputed[0])

    @functools.cached_property
    def dispute_amount(self) -> Money:
        """The money the open disputes are about."""
        return self._wrap(self._disputed[1])

    @functools.cached_property
    def last_payment(self) -> Payment | None:
        """The latest payment received by the facts' date."""
        paid = [p for p in self.account.payments if p.date <= self.as_of]
        return max(paid, key=_payment_key) if paid else None

    @property
    def days_since_payment(self) -> int | None:
        """Days since the last payment (None without one)."""
        last = self.last_payment
        return (self.as_of - last.date).days if last else None

    @functools.cached_property
    def has_decision_maker(self) -> bool:
        """Whether a contact can authorize payment."""
        return any(c.is_decision_maker for c in self.account.contacts)

    def _wrap(self, amount: Decimal) -> Money:
        with decimal.localcontext(MONEY_CONTEXT):
            return _money(amount, self.account.currency)

    def as_dict(self) -> dict[str, object]:
        """Return every fact by name (the derived ones too), for comparing and inspecting."""
        return {name: getattr(self, name) for name in FACT_FIELDS}

    @property
    def interest(self) -> Money:
        """Late-payment interest accrued to the facts' date (zero without charges)."""
        return self.charges.interest if self.charges is not None else self.account.zero()

    @property
    def fees(self) -> Money:
        """The fees charged up to the facts' date (zero without charges)."""
        return self.charges.fees_charged if self.charges is not None else self.account.zero()

    @property
    def claim(self) -> Money:
        """What the overdue money comes to with its charges: overdue + interest + fees."""
        return self.overdue + self.interest + self.fees

    @property
    def snoozed(self) -> bool:
        """Whether the account's timeline is snoozed, by a snooze of the account or of its invoices.

        Invoice snoozes snooze the account when they cover every overdue invoice (every open
        invoice, when none is overdue).
        """
        if not self.snoozes:
            return False
        if any(not s.invoices for s in self.snoozes):
            return True
        overdue = [i for i in self.invoices if i.overdue] or self.invoices
        return bool(overdue) and all(i.snoozed for i in overdue)

    @property
    def currency(self) -> str:
        """The account's currency."""
        return self.account.currency

    @property
    def today(self) -> date:
        """The facts' date (``today`` in a policy)."""
        return self.as_of

    @property
    def dispute_open(self) -> bool:
        """Whether any dispute is open."""
        return bool(self.open_disputes)

    @property
    def dispute_reason(self) -> DisputeReason | None:
        """The reason of the oldest open dispute."""
        return self.open_disputes[0].reason if self.open_disputes else None

    def _count(self, status: PromiseStatus) -> int:
        if not self.promises:  # most accounts: no generator to make
            return 0
        return sum(1 for p in self.promises if p.status is status)

    @property
    def promises_kept(self) -> int:
        """How many promises were kept."""
        return self._count(PromiseStatus.KEPT)

    @property
    def promises_broken(self) -> int:
        """How many promises were broken (nothing paid by the deadline)."""
        return self._count(PromiseStatus.BROKEN)

    @property
    def promises_partially_kept(self) -> int:
        """How many promises were partially kept."""
        return self._count(PromiseStatus.PARTIALLY_KEPT)

    @property
    def promises_kept_rate(self) -> Decimal | None:
        """Kept promises over judged (kept, partially kept or broken) ones; None if none judged.

        The rate is exact to 4 decimals, rounded half to even.
        """
        judged = sum(1 for p in self.promises if p.status is not PromiseStatus.OPEN)
        if not judged:
            return None
        return (Decimal(self.promises_kept) / Decimal(judged)).quantize(
            Decimal("0.0001"), context=MONEY_CONTEXT
        )

    @property
    def default_contact(self) -> Contact | None:
        """The contact a step without ``to`` addresses (None if the account has none).

        The first role of `CONTACT_FALLBACK` that someone has, else anyone; among several, the
        first by name (then title, e-mail, phone). ``contact.email`` and ``contact.phone`` read
        this contact.
        """
        for role in CONTACT_FALLBACK:
            found = self.contacts_with_role(role)
            if found:
                return min(found, key=contact_order)
        return min(self.account.contacts, key=contact_order, default=None)

    def contacts_with_role(self, role: str) -> tuple[Contact, ...]:
        """Return the contacts who have *role* (decision makers include payment authorizers)."""
        return self.account.contacts_with_role(role)


# --------------------------------------------------------------------------------------------


def contact_order(c: Contact) -> tuple[str, str, str, str]:
    """Return the key contacts of one role are chosen by: name, title, e-mail, phone."""
    return (c.name, c.title or "", c.email or "", c.phone or "")


_INVOICE_ORDER: Final = attrgetter("due", "issued", "number")


# Same-day activities: conversations outrank voicemail, which outranks writing.
_CONTACT_RANK = {
    Channel.EMAIL: 0,
    Channel.SMS: 1,
    Channel.LETTER: 2,
    Channel.VOICEMAIL: 3,
    Channel.CALL: 4,
    Channel.VISIT: 5,
}


def _activity_key(act: Activity) -> tuple[date, int, str, str, str, str, str, str, str]:
    return (
        act.date,
        _CONTACT_RANK.get(act.channel, -1),
        act.channel.value,
        act.step or "",
        act.outcome.value if act.outcome else "",
        act.contact or "",
        act.timeline or "",
        act.invoice or "",
        act.notes or "",
    )


def _payment_key(pay: Payment) -> tuple[date, str, Decimal, tuple[str, ...]]:
    return (pay.date, pay.reference or "", pay.amount.amount, pay.applies_to)


def _apply_credits(
    account: Account,
    as_of: date,
    log: dict[str, list[tuple[date, Decimal, bool]]] | None = None,
) -> tuple[list[Invoice], dict[str, Decimal], Decimal, dict[str, date]]:
    """Replay payments and credit notes up to *as_of*.

    Return the issued invoices (oldest due first), their open amounts, the unapplied credit,
    and the day each fully paid invoice was paid off. With *log*, record for each invoice
    what it received: ``(date, amount, from a credit note)``.
    """
    items: list[Invoice] = []
    notes: list[Invoice] = []
    for inv in account.invoices:
        if inv.issued <= as_of:
            (notes if inv.amount.amount < 0 else items).append(inv)
    items.sort(key=_INVOICE_ORDER)
    open_amt = {inv.number: inv.amount.amount for inv in items}

    # (date, kind, key, amount, targets): credit notes (kind 0) before payments (kind 1). The
    # key is unique but for payments equal in every field, so tuples sort in the key's order.
    events: list[tuple[date, int, tuple[object, ...], Decimal, tuple[str, ...]]] = [
        (cn.issued, 0, (cn.number,), -cn.amount.amount, (cn.credits,) if cn.credits else ())
        for cn in notes
    ]
    for p in account.payments:
        if p.date <= as_of:
            amount = p.amount.amount
            events.append(
                (p.date, 1, (p.date, p.reference or "", amount, p.applies_to), amount, p.applies_to)
            )
    if not events:
        return items, open_amt, _ZERO, {}
    events.sort()
    unapplied, paid_on = allocate(events, [inv.number for inv in items], open_amt, _ZERO, log)
    return items, open_amt, unapplied, paid_on


_N = TypeVar("_N", Decimal, int)


def allocate(
    events: Sequence[tuple[date, int, tuple[object, ...], _N, tuple[str, ...]]],
    numbers: Sequence[str],
    open_amt: dict[str, _N],
    zero: _N,
    log: dict[str, list[tuple[date, _N, bool]]] | None = None,
) -> tuple[_N, dict[str, date]]:
    """Apply *events* in their order to the open amounts *open_amt* (changed in place).

    *events* are ``(date, kind, key, amount, targets)``, kind 0 a credit note, 1 a payment;
    *numbers* the invoices oldest due first. Each event first pays the invoices it names, in
    order, then the open ones oldest due first; what is left is unapplied. Return the unapplied
    total (from *zero*: Decimal amounts, or integer minor units as `arcollect.frame` replays
    them) and the day each invoice was paid off. With *log*, record what each invoice received.
    """
    unapplied = zero
    paid_on: dict[str, date] = {}
    first_open = 0  # the invoices before this index are fully paid
    n = len(numbers)
    for day, kind, _, amount, targets in events:
        left = amount
        for number in targets:
            owed = open_amt.get(number)
            if owed is None or owed <= 0 or left <= 0:
                continue
            take = left if left < owed else owed  # noqa: FURB136 - min() costs a call per payment
            rest = owed - take
            open_amt[number] = rest
            left -= take
            if rest <= 0:
                paid_on[number] = day
            if log is not None:
                log.setdefault(number, []).append((day, take, kind == 0))
        i = first_open
        while left > 0 and i < n:
            number = numbers[i]
            owed = open_amt[number]
            if owed > 0:
                take = left if left < owed else owed  # noqa: FURB136 - min() costs a call per payment
                rest = owed - take
                open_amt[number] = rest
                left -= take
                if rest <= 0:
                    paid_on[number] = day
                if log is not None:
                    log.setdefault(number, []).append((day, take, kind == 0))
            i += 1
        while first_open < n and open_amt[numbers[first_open]] <= 0:
            first_open += 1
        unapplied += left
    return unapplied, paid_on


def paid_off(account: Account, as_of: date) -> dict[str, date]:
    """Return, for each invoice fully paid by *as_of*, the day it was paid off.

    Payments and credit notes are applied as `facts` applies them.
    """
    with decimal.localcontext(MONEY_CONTEXT):
        return _apply_credits(account, as_of)[3]


def received(account: Account, as_of: date) -> dict[str, list[tuple[date, Decimal, bool]]]:
    """Return, for each invoice, what it received by *as_of*: ``(date, amount, credit note)``.

    Payments and credit notes are applied as `facts` applies them, in the order applied.
    """
    log: dict[str, list[tuple[date, Decimal, bool]]] = {}
    with decimal.localcontext(MONEY_CONTEXT):
        _apply_credits(account, as_of, log)
    return log


def _delinquent_since(
    items: Sequence[Invoice], paid_on: dict[str, date], as_of: date
) -> date | None:
    """Return the first day of the unbroken stretch of overdue money that *as_of* is in."""
    return delinquent_since(((inv.due, inv.number) for inv in items), paid_on, as_of)


def delinquent_since(
    dues: Iterable[tuple[date, str]], paid_on: dict[str, date], as_of: date
) -> date | None:
    """Return the first day of the unbroken stretch of overdue money that *as_of* is in.

    *dues* are the invoices' ``(due date, number)`` in due order; *paid_on* the day each fully
    paid one was paid off. Each invoice was overdue from the day after its due date until the
    day it was paid off; open amounts only decrease, so the union of these intervals is exactly
    when the account had overdue money.
    """
    since: date | None = None
    end = date.min
    for due, number in dues:  # in due order: the stretches' starts come in order
        if due >= as_of:
            break
        start = due + _ONE_DAY
        if start > end:  # a gap: a new stretch begins
            since = start
        end = max(end, paid_on.get(number, date.max))
    return since if end > as_of else None


def disputed(
    invoices: Iterable[InvoiceFacts], open_disputes: Iterable[Dispute], overdue: Decimal
) -> tuple[Decimal, Decimal]:
    """Return the disputed overdue money and the money in dispute (under `MONEY_CONTEXT`).

    Per open dispute, the overdue open amount of the invoices it names (or, for a dispute
    naming no invoice, its amount), capped by the disputed amount; in all, capped by the
    *overdue* total. The money in dispute is each dispute's amount, else its invoices' open.
    """
    rows = [(f.number, f.open.amount, f.overdue) for f in invoices]
    return _disputed_share(rows, open_disputes, overdue)


def _disputed_share(
    invoices: Iterable[tuple[str, Decimal, bool]],
    open_disputes: Iterable[Dispute],
    overdue: Decimal,
) -> tuple[Decimal, Decimal]:
    """`disputed`, of the open invoices as ``(number, open amount, overdue)``."""
    by_number = {number: (owed, late) for number, owed, late in invoices}
    disputed_overdue = dispute_amount = _ZERO
    for d in open_disputes:
        named = [by_number[n] for n in d.invoices if n in by_number]
        named_open = sum((owed for owed, _ in named), _ZERO)
        named_overdue = sum((owed for owed, late in named if late), _ZERO)
        amount = d.amount.amount if d.amount is not None else named_open
        dispute_amount += amount
        disputed_overdue += min(amount, named_overdue) if d.invoices else amount
    return min(disputed_overdue, overdue), dispute_amount


def _aging_label(low: int, high: int | None) -> str:
    if high is None:
        return f"over {low - 1}"
    return f"{low}-{high}"


class _Ledger:
    """The account's payments by date, with running totals: sums over any window by bisection.

    Judging every promise against every payment was quadratic (100,000 invoices with 1,000
    promises: 14.8 s); with the ledger each promise costs a few bisections. Payments are
    positive, so the running totals only grow.
    """

    __slots__ = ("dates", "totals")

    def __init__(self, payments: Iterable[Payment]) -> None:
        ordered = sorted(payments, key=_payment_key)
        self.dates = [p.date for p in ordered]
        self.totals = list(itertools.accumulate((p.amount.amount for p in ordered), initial=_ZERO))

    def start(self, day: date) -> int:
        """Return the index of the first payment on or after *day*."""
        return bisect.bisect_left(self.dates, day)

    def end(self, day: date) -> int:
        """Return the index after the last payment on or before *day*."""
        return bisect.bisect_right(self.dates, day)


_NO_PAYMENTS: Final = _Ledger(())


def _promise_facts(promise: Promise, ledger: _Ledger, as_of: date) -> PromiseFacts:
    cur = promise.amount.currency
    grace = timedelta(days=promise.grace_days)
    deadline = promise.due + grace
    totals = ledger.totals
    lo = ledger.start(promise.made_on)
    hi = max(lo, ledger.end(min(as_of, deadline)))
    paid = totals[hi] - totals[lo]

    status = PromiseStatus.OPEN
    closed_on: date | None = None
    # kept as soon as the running total reaches the amount
    reached = bisect.bisect_left(totals, totals[lo] + promise.amount.amount, lo + 1, hi + 1)
    if reached <= hi:
        status, closed_on = PromiseStatus.KEPT, ledger.dates[reached - 1]
    if status is PromiseStatus.OPEN:
        promised = _ZERO
        for inst in promise.schedule():
            promised += inst.amount.amount
            inst_deadline = inst.due + grace
            if as_of <= inst_deadline:
                break
            by_then = totals[max(lo, min(hi, ledger.end(inst_deadline)))] - totals[lo]
            if by_then < promised:  # judged by what was paid by then: later payments change nothing
                status = PromiseStatus.PARTIALLY_KEPT if by_then > 0 else PromiseStatus.BROKEN
                closed_on = inst_deadline + timedelta(days=1)
                break
    return PromiseFacts(
        made_on=promise.made_on,
        amount=promise.amount,
        due=promise.due,
        deadline=deadline,
        paid=_money(paid, cur),
        status=status,
        closed_on=closed_on,
        by=promise.by,
    )


# Sort keys cover every field, so that records equal in some fields but not all still sort
# the same whatever their input order (the facts must not depend on it).


def _promise_order(p: Promise) -> tuple[object, ...]:
    installments = tuple((i.due, i.amount.amount) for i in p.installments)
    return (p.made_on, p.due, p.amount.amount, p.by or "", p.grace_days, installments, p.note or "")


def _dispute_order(d: Dispute) -> tuple[object, ...]:
    return (
        d.opened,
        d.id or "",
        d.reason.value,
        d.invoices,
        d.amount.amount if d.amount is not None else Decimal(-1),
        d.resolved or date.min,
        d.owner or "",
        d.notes or "",
    )


def _snooze_order(s: Snooze) -> tuple[object, ...]:
    return (s.until, s.since or date.min, s.invoices, s.reason or "", s.by or "")


def facts(
    account: Account, as_of: date, *, aging_bounds: Iterable[int] = DEFAULT_AGING_BOUNDS
) -> AccountFacts:
    """Derive what a policy can read about *account* as of *as_of* (inclusive).

    *aging_bounds* are the increasing upper bounds, in days past due, of the aging buckets after
    "current"; a last bucket holds everything older.

    >>> from arcollect import Account, Invoice, Money, Payment
    >>> invoice = Invoice("I-1", issued=date(2026, 9, 1), due=date(2026, 10, 1),
    ...                   amount=Money(1000, "EUR"))
    >>> payment = Payment(date(2026, 10, 20), Money(400, "EUR"), applies_to=["I-1"])
    >>> acct = Account("C-1", "EUR", invoices=[invoice], payments=[payment])
    >>> f = facts(acct, date(2026, 11, 23))
    >>> f.overdue, f.days_past_due
    (Money('600.00', 'EUR'), 53)
    """
    if not isinstance(as_of, date):
        raise DataError.at("as_of", f"expected a datetime.date, got {describe(as_of)}")
    bounds = aging_bounds if aging_bounds is DEFAULT_AGING_BOUNDS else tuple(aging_bounds)
    if bounds is not DEFAULT_AGING_BOUNDS and any(
        b <= a for a, b in zip((0, *bounds), bounds, strict=False)
    ):
        raise DataError.at(
            "aging_bounds", f"aging bounds must be increasing positive day counts, got {bounds}"
        )
    with decimal.localcontext(MONEY_CONTEXT):  # never the caller's Decimal context
        return _facts(account, as_of, bounds)


def _facts(account: Account, as_of: date, bounds: tuple[int, ...]) -> AccountFacts:
    """Derive the facts every plan reads about *account* as of *as_of*, in one pass.

    The open amounts, then delinquency, disputes, promises and contacts, with the intermediate
    values shared; `AccountFacts` derives the rest from the replay when first read.
    """
    cur = account.currency
    items, open_amt, unapplied, paid_on = _apply_credits(account, as_of)

    overdue = current = _ZERO
    oldest_due: date | None = None
    for inv in items:
        owed = open_amt[inv.number]
        if owed <= 0:
            continue
        if oldest_due is None:
            oldest_due = inv.due  # items are in due order
        if inv.due < as_of:
            overdue += owed
        else:
            current += owed

    disputes = account.disputes
    open_disputes = (
        tuple(sorted((d for d in disputes if d.is_open(as_of)), key=_dispute_order))
        if disputes
        else ()
    )
    snoozes = (
        tuple(sorted((s for s in account.snoozes if s.is_active(as_of)), key=_snooze_order))
        if account.snoozes
        else ()
    )

    promises: tuple[PromiseFacts, ...] = ()
    promise: PromiseFacts | None = None
    if account.promises:
        ledger = _Ledger(account.payments)
        promises = tuple(
            _promise_facts(p, ledger, as_of)
            for p in sorted(account.promises, key=_promise_order)
            if p.made_on <= as_of
        )
        open_promises = [p for p in promises if p.active]
        promise = open_promises[-1] if open_promises else (promises[-1] if promises else None)

    activities = _activities(account.activities, as_of) if account.activities else ()
    last_contact = (
        next((a for a in reversed(activities) if a.channel in _CONTACTS), None)
        if activities
        else None
    )

    return AccountFacts(
        account=account,
        as_of=as_of,
        overdue=_money(overdue, cur),
        days_past_due=(as_of - oldest_due).days if overdue > 0 and oldest_due else 0,
        oldest_due=oldest_due,
        delinquent_since=_delinquent_since(items, paid_on, as_of) if overdue > 0 else None,
        promises=promises,
        promise=promise,
        open_disputes=open_disputes,
        activities=activities,
        last_contact=last_contact,
        days_since_contact=(as_of - last_contact.date).days if last_contact else None,
        snoozes=snoozes,
        aging_bounds=bounds,
        replay=_Replay(items, open_amt, unapplied, current, bounds),
    )


_CONTACTS: Final = CONTACT_CHANNELS
_BY_DATE: Final = attrgetter("date")


def _activities(activities: Iterable[Activity], as_of: date) -> tuple[Activity, ...]:
    """Return the activities up to *as_of* in canonical order (`_activity_key`).

    Sorted by date first; only when two share a date (rarely) by the whole key.
    """
    acts = sorted([a for a in activities if a.date <= as_of], key=_BY_DATE)
    if len({a.date for a in acts}) < len(acts):
        acts.sort(key=_activity_key)
    return tuple(acts)


#: The names of every fact of `AccountFacts`, derived or not (see `AccountFacts.as_dict`).
FACT_FIELDS: Final = (
    "as_of",
    "invoices",
    "balance",
    "overdue",
    "current",
    "unapplied",
    "undisputed_overdue",
    "days_past_due",
    "oldest_due",
    "delinquent_since",
    "aging",
    "promises",
    "promise",
    "open_disputes",
    "dispute_amount",
    "last_payment",
    "days_since_payment",
    "activities",
    "last_contact",
    "days_since_contact",
    "has_decision_maker",
    "charges",
    "snoozes",
)
