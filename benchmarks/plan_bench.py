"""Benchmark the planner: `Policy.plan` over a generated portfolio, against hand-written code.

A seeded portfolio of N accounts (default 100,000) with 10 invoices each on average (exactly
``10 * N`` for an even N), in EUR: invoices paid on time, late, short or not at all, payments
applied, grouped, partial and unapplied, promises (open, due today, kept, partially kept,
broken, in installments), disputes (on invoices or on the account, some resolved, some
reviewed), key accounts, credit limits, contacts with roles, and an activity log in which
many accounts have already had steps of the standard policy done (some of them in an earlier
episode, for another timeline or for one invoice only), so that every step of
rules/standard.arc can fire.

``policy.plan(accounts, as_of=2026-11-23)`` with rules/standard.arc is timed against
`hand_written_plan`: the same plan computed by plain Python straight from the parsed records,
the way a developer would write it for this one policy. It computes everything the engine's
`Plan` holds but its texts: every action (in order, with its step, timeline, action, channel,
contact, template, due date, priority, tier, approval, deferral, invoice and owner) and every
account's state (timeline, episode start, cycle start, day, the stage, steps done, steps
skipped, what pauses it, priority, tier, overdue, and the forecast: the next step and its
business day, with min gap and ``every 7 days until 45 days past due``). Notes and explanations
are left out. The baseline calls nothing of arcollect: it reads the records' attributes (amounts
as their ``.amount`` Decimals) and replays payments, credit notes, promises, disputes and the
activity log itself, as `arcollect.facts` documents it. All run end to end from the parsed
records to the plan, with the garbage collector on, best of N taking turns. They are checked to
agree on every field of every account and action (untimed) after the first timed turn, on this
portfolio and on `edge_cases` (credit notes, installments judged in the past, records dated
after the plan's date); a disagreement names the account and the field and the run exits
non-zero: that agreement is what shows the baseline is right. Deliberately broken copies of the
baseline (`BROKEN`: a forecast ignoring min gap, repeats or the calendar, none while paused,
skipped steps ignoring conditions, contacts without fallback) must each fail that check, or the
run exits non-zero. The target is at most 2x.

The old, narrower baseline (`narrow_plan`: today's actions and every account's priority only,
no state, forecast, contact or owner) is timed in the same turns and checked on what it
computes; its ratio is printed beside the headline one, engine / full baseline.

Peak memory is reported twice: what each side allocates while planning (tracemalloc, in an
extra untimed turn; ``--no-memory`` skips it, as it slows that turn several times) and the
process's maximum resident set size (``ru_maxrss``), before and after planning.

Usage: ``python benchmarks/plan_bench.py [ACCOUNTS] [--no-memory]``.
"""

from __future__ import annotations

import decimal
import gc
import random
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast

from arcollect import (
    Account,
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Money,
    Outcome,
    Payment,
    Promise,
)
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.model import AccountState, Plan, PlannedAction
from arcollect.policy import load_policy

ROOT = Path(__file__).parent.parent
AS_OF = date(2026, 11, 23)
T = TypeVar("T")

# --------------------------------------------------------------------------------------------
# The standard policy, by hand: (name, day, action) of each step, in the order of the file.

STANDARD_STEPS: tuple[tuple[str, int, str], ...] = (
    ("courtesy", -3, "email"),
    ("reminder", 1, "email"),
    ("first_call", 10, "call"),
    ("follow_up", 20, "email"),
    ("demand", 45, "letter"),
    ("hold", 60, "hold_shipments"),
    ("agency", 90, "refer_agency"),
    ("attorney", 120, "refer_attorney"),
)
KEY_STEPS: tuple[tuple[str, int, str], ...] = (
    ("courtesy", -5, "call"),
    ("visit", 30, "visit"),
    ("escalate", 45, "call"),
)

# --------------------------------------------------------------------------------------------
# Generation. Immutable records that recur (dates, amounts, contacts, activities, invoice
# numbers and the tuples naming them) are shared between accounts, to keep memory low.


class _Pool:
    """The seeded random generator, and caches of shared immutable values."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.scales = _amount_scales(rnd)
        self.contact_sets = _contact_sets()
        self.limits = [Money(amount, "EUR") for amount in (10_000, 50_000, 100_000, 300_000)]
        self.days: dict[int, date] = {}
        self.money: dict[int, Money] = {}
        self.activities: dict[tuple[Any, ...], Activity] = {}
        self.numbers = [f"INV-{k:02d}" for k in range(40)]
        self.one = [(n,) for n in self.numbers]

    def day(self, offset: int) -> date:
        """Return AS_OF plus *offset* days."""
        d = self.days.get(offset)
        if d is None:
            d = self.days[offset] = AS_OF + timedelta(days=offset)
        return d

    def eur(self, cents: int) -> Money:
        """Return *cents* euro cents as Money."""
        m = self.money.get(cents)
        if m is None:
            m = self.money[cents] = Money(Decimal(cents).scaleb(-2), "EUR")
        return m

    def activity(
        self,
        on: date,
        channel: Channel,
        step: str | None = None,
        *,
        outcome: Outcome | None = None,
        timeline: str | None = None,
        invoice: str | None = None,
    ) -> Activity:
        """Return a shared activity."""
        key = (on, channel, step, outcome, timeline, invoice)
        act = self.activities.get(key)
        if act is None:
            act = self.activities[key] = Activity(
                on, channel, step=step, outcome=outcome, timeline=timeline, invoice=invoice
            )
        return act


def _contact_sets() -> list[tuple[Contact, ...]]:
    billing = Contact("Ana Weber", roles={"billing"}, email="ana@example.com")
    payables = Contact("Ben Ortiz", roles={"accounts_payable"}, email="ben@example.com")
    owner = Contact("Cora Lind", roles={"decision_maker"}, phone="+49 30 1234567")
    cfo = Contact("Dan Marsh", title="CFO", roles={"executive"}, can_authorize_payment=True)
    rep = Contact("Eve Sato", roles={"sales_rep"}, phone="+49 30 7654321")
    clerk = Contact("Finn Roe")
    return [
        (billing, owner),
        (billing, owner),
        (payables, owner, rep),
        (billing, payables, cfo, rep),
        (billing,),
        (owner,),
        (clerk,),
        (),
    ]


_STEP_CHANNEL = {
    "email": Channel.EMAIL,
    "call": Channel.CALL,
    "letter": Channel.LETTER,
    "visit": Channel.VISIT,
    "hold_shipments": Channel.HOLD_SHIPMENTS,
    "refer_agency": Channel.REFER_AGENCY,
    "refer_attorney": Channel.REFER_ATTORNEY,
}
_OUTCOMES = (
    Outcome.SENT,
    Outcome.REACHED,
    Outcome.NO_ANSWER,
    Outcome.VOICEMAIL,
    Outcome.PROMISE,
    Outcome.IRATE,
    Outcome.DONE,
)
_REASONS = tuple(DisputeReason)
_TAG_SETS: tuple[frozenset[str], ...] = (
    frozenset(),
    frozenset({"wholesale"}),
    frozenset({"retail"}),
    frozenset({"retail", "export"}),
)
_KEY_TAGS: tuple[frozenset[str], ...] = (frozenset({"key"}), frozenset({"key", "wholesale"}))


def _amount_scales(rnd: random.Random) -> list[list[int]]:
    """Invoice amounts in cents, log-uniform: small, mid-size and large customers."""
    scales = []
    for low, high in ((20, 180), (100, 6_000), (1_500, 60_000)):
        values = []
        for _ in range(1_500):
            euros = low * (high / low) ** rnd.random()
            cents = round(euros * 100) if rnd.random() < 0.6 else round(euros) * 100
            values.append(max(cents, 100))
        scales.append(values)
    return scales


def generate(n: int, seed: int = 23) -> list[Account]:
    """Return *n* accounts (seeded), with ``10 * n`` invoices in all for an even *n*."""
    rnd = random.Random(seed)
    pool = _Pool(rnd)
    accounts = []
    swing = 0
    for a in range(n):
        # Invoice counts vary from 5 to 15 but pair up to exactly 10 on average.
        if a % 2 == 0:
            swing = rnd.randint(-5, 5)
            count = 10 + swing
        else:
            count = 10 - swing
        accounts.append(_account(pool, a, count))
    return accounts


def _account(pool: _Pool, a: int, n_invoices: int) -> Account:
    rnd, limits = pool.rnd, pool.limits
    amounts = pool.scales[rnd.choices((0, 1, 2), (0.08, 0.72, 0.20))[0]]
    terms = rnd.choice((14, 30, 30, 30, 45, 60))
    span = rnd.randint(60, 330)
    issued_offsets = sorted(-rnd.randint(0, span) for _ in range(n_invoices))
    # When the customer stopped paying (None: pays everything, a little late at worst). The
    # oldest open invoice is then the first one due on or after that day.
    stop = None if rnd.random() < 0.25 else 15 - int(245 * rnd.random() ** 2.5)
    contacts = rnd.choice(pool.contact_sets)

    invoices: list[Invoice] = []
    payments: list[Payment] = []
    still_open: set[int] = set()  # the invoices left open (by index), roughly
    group: list[int] = []
    for k, off in enumerate(issued_offsets):
        cents = rnd.choice(amounts)
        due_off = off + terms
        invoices.append(Invoice(pool.numbers[k], pool.day(off), pool.day(due_off), pool.eur(cents)))
        paid_off = due_off + rnd.randint(-12, 20)
        if (stop is not None and due_off >= stop) or paid_off >= 0 or rnd.random() < 0.003:
            still_open.add(k)
            if due_off < 0 and rnd.random() < 0.12:  # a partial payment on an open invoice
                part = cents // 2
                payments.append(
                    Payment(
                        pool.day(rnd.randint(min(due_off, -1), -1)),
                        pool.eur(part),
                        applies_to=pool.one[k],
                    )
                )
            continue
        r = rnd.random()
        if r < 0.74:
            payments.append(Payment(pool.day(paid_off), pool.eur(cents), applies_to=pool.one[k]))
        elif r < 0.86:  # unapplied cash: paid oldest-due first
            payments.append(Payment(pool.day(paid_off), pool.eur(cents)))
        elif r < 0.995:  # one remittance for several invoices
            group.append(k)
            if len(group) == 3 or rnd.random() < 0.5:
                total = sum(invoices[i].amount.amount for i in group)
                names = tuple(pool.numbers[i] for i in group)
                payments.append(
                    Payment(pool.day(paid_off), pool.eur(int(total * 100)), "REM", applies_to=names)
                )
                group = []
        else:  # a short payment leaves a little open
            short = max(cents * 95 // 100, 1)
            payments.append(Payment(pool.day(paid_off), pool.eur(short), applies_to=pool.one[k]))
            still_open.add(k)
    still_open.update(group)  # the last remittance never came
    if rnd.random() < 0.04:  # money on account, unapplied
        payments.append(Payment(pool.day(-rnd.randint(1, 40)), pool.eur(rnd.choice(amounts))))

    overdue_open = [k for k in sorted(still_open) if issued_offsets[k] + terms < 0]
    oldest = min(still_open, default=None)
    day_est = -(issued_offsets[oldest] + terms) if oldest is not None else None

    key = rnd.random() < 0.05
    limit = rnd.choices(limits, (35, 35, 25, 5))[0] if rnd.random() < 0.8 else None
    tags = rnd.choice(_KEY_TAGS) if key else rnd.choice(_TAG_SETS)
    is_key = key or limit is limits[-1]

    promises, promise_acts = _promises(pool, payments, contacts, amounts, overdue_open)
    disputes, dispute_acts = _disputes(pool, invoices, still_open, overdue_open)
    activities = promise_acts + dispute_acts
    if day_est is not None:
        activities += _step_log(pool, day_est, is_key, invoices)
    if rnd.random() < 0.3:  # a contact outside the policy: recent ones hold off the next
        activities.append(
            pool.activity(
                pool.day(-rnd.randint(0, 20)),
                rnd.choice((Channel.CALL, Channel.EMAIL, Channel.CALL)),
                outcome=rnd.choice(_OUTCOMES),
            )
        )
    return Account(
        f"C{a:06d}",
        "EUR",
        name=f"Customer {a}",
        credit_limit=limit,
        terms=terms,
        tags=tags,
        customer_since=pool.day(-rnd.randint(30, 3_000)),
        contacts=contacts,
        invoices=invoices,
        payments=payments,
        promises=promises,
        disputes=disputes,
        activities=activities,
    )


def edge_cases(n: int, seed: int = 5) -> list[Account]:
    """Return *n* small accounts on the paths `generate` rarely or never takes (seeded).

    Credit notes (crediting an invoice or not), invoices, payments, promises, disputes and
    activities dated after the plan's date, promises in installments judged in the past (kept,
    partially kept, broken, with grace days), same-day contacts and irate outcomes. The plan of
    these is not timed: they only widen the check that the baseline agrees with the engine.
    """
    rnd = random.Random(seed)
    pool = _Pool(rnd)
    channels = (Channel.EMAIL, Channel.CALL, Channel.LETTER, Channel.VOICEMAIL, Channel.VISIT)
    accounts = []
    for a in range(n):
        invoices: list[Invoice] = []
        payments: list[Payment] = []
        for k in range(rnd.randint(1, 6)):
            issued = rnd.randint(-200, 5)
            due = issued + rnd.choice((0, 14, 30, 60))
            cents = rnd.choice((5_000, 20_000, 120_000, 700_000, 3_000_000))
            invoices.append(
                Invoice(pool.numbers[k], pool.day(issued), pool.day(due), pool.eur(cents))
            )
            if rnd.random() < 0.5:
                targets = pool.one[k] if rnd.random() < 0.7 else ()
                paid = rnd.choice((cents, cents // 2, cents * 2))
                payments.append(
                    Payment(
                        pool.day(due + rnd.randint(-10, 30)), pool.eur(paid), applies_to=targets
                    )
                )
        owed = [inv.number for inv in invoices]
        for k in range(len(invoices), len(invoices) + rnd.choice((0, 0, 1, 2))):  # credit notes
            issued = rnd.randint(-150, 3)
            target = rnd.choice(owed) if rnd.random() < 0.6 else None
            cents = rnd.choice((1_000, 10_000, 100_000))
            invoices.append(
                Invoice(
                    pool.numbers[k],
                    pool.day(issued),
                    pool.day(issued),
                    pool.eur(-cents),
                    credits=target,
                )
            )
        promises: list[Promise] = []
        for _ in range(rnd.choice((0, 1, 1, 2, 3))):
            made = rnd.randint(-90, 2)
            due = made + rnd.randint(2, 40)
            cents = rnd.choice((10_000, 50_000, 200_000))
            grace = rnd.choice((0, 1, 3))
            parts: tuple[Installment, ...] = ()
            if rnd.random() < 0.5:
                mid = made + (due - made) // 2
                parts = (
                    Installment(pool.day(mid), pool.eur(cents // 2)),
                    Installment(pool.day(due), pool.eur(cents - cents // 2)),
                )
            promises.append(
                Promise(
                    pool.day(made),
                    pool.eur(cents),
                    pool.day(due),
                    installments=parts,
                    grace_days=grace,
                )
            )
            for _ in range(rnd.choice((0, 1, 2))):
                paid = rnd.choice((cents, cents // 2, cents // 4))
                payments.append(
                    Payment(pool.day(made + rnd.randint(0, due - made + 5)), pool.eur(paid))
                )
        disputes = []
        for _ in range(rnd.choice((0, 0, 0, 1, 1, 2))):
            opened = rnd.randint(-60, 3)
            named = tuple(rnd.sample(owed, min(len(owed), rnd.choice((1, 1, 2)))))
            disputes.append(
                Dispute(
                    pool.day(opened),
                    invoices=named if rnd.random() < 0.7 else (),
                    amount=pool.eur(50_000) if rnd.random() < 0.4 else None,
                    resolved=pool.day(opened + rnd.randint(0, 30)) if rnd.random() < 0.3 else None,
                )
            )
        activities = [
            pool.activity(
                pool.day(rnd.randint(-60, 2)),
                rnd.choice(channels),
                rnd.choice(
                    (None, "reminder", "first_call", "follow_up", "promise_follow_up", "visit")
                ),
                outcome=rnd.choice((None, Outcome.IRATE, Outcome.REACHED)),
            )
            for _ in range(rnd.randint(0, 5))
        ]
        if rnd.random() < 0.2:
            activities.append(pool.activity(pool.day(rnd.randint(-30, 2)), Channel.REVIEW))
        tags = _KEY_TAGS[0] if rnd.random() < 0.15 else frozenset()
        accounts.append(
            Account(
                f"E{a:05d}",
                "EUR",
                tags=tags,
                invoices=invoices,
                payments=payments,
                promises=promises,
                disputes=disputes,
                activities=activities,
            )
        )
    return accounts


def _promises(
    pool: _Pool,
    payments: list[Payment],
    contacts: tuple[Contact, ...],
    amounts: list[int],
    overdue_open: list[int],
) -> tuple[list[Promise], list[Activity]]:
    """Promises to pay, and the payments and follow-ups that go with them."""
    rnd = pool.rnd
    if not overdue_open or rnd.random() > 0.22:
        return [], []
    promises: list[Promise] = []
    acts: list[Activity] = []
    if rnd.random() < 0.3:  # an old promise, kept
        made = -rnd.randint(150, 250)
        cents = rnd.choice(amounts)
        promises.append(Promise(pool.day(made), pool.eur(cents), pool.day(made + 10)))
        payments.append(Payment(pool.day(made + 5), pool.eur(cents)))
    by = rnd.choice(contacts).name if contacts and rnd.random() < 0.6 else None
    cents = rnd.choice(amounts)
    kind = rnd.choice(("open", "open", "due_today", "due_today", "broken", "partial", "kept"))
    grace = rnd.choice((0, 0, 2, 3))
    if kind == "open":
        made = -rnd.randint(0, 12)
        due = rnd.randint(1, 14)
        if rnd.random() < 0.3 and due - made >= 2:  # in two installments
            first = pool.eur(cents // 2)
            second = pool.eur(cents - cents // 2)
            mid = made + (due - made) // 2
            parts = (
                Installment(pool.day(mid), first),
                Installment(pool.day(due), second),
            )
            if mid < 0:
                payments.append(Payment(pool.day(mid), first))
            promises.append(
                Promise(pool.day(made), pool.eur(cents), pool.day(due), by=by, installments=parts)
            )
            return promises, acts
    elif kind == "due_today":  # the deadline (due + grace) is today: follow up
        made = -rnd.randint(grace + 1, grace + 12)
        due = -grace
        if rnd.random() < 0.3:  # already followed up
            on = pool.day(-rnd.randint(0, -made))
            acts.append(
                pool.activity(on, Channel.CALL, "promise_follow_up", outcome=Outcome.REACHED)
            )
    else:
        made = -rnd.randint(15, 90)
        due = made + rnd.randint(3, 14)
        if kind == "partial":
            payments.append(Payment(pool.day(due), pool.eur(max(cents // 3, 100))))
        elif kind == "kept":
            payments.append(Payment(pool.day(made + 1), pool.eur(cents)))
        elif rnd.random() < 0.3:  # the broken promise was already chased by a call
            on = pool.day(min(due + grace + rnd.randint(1, 6), 0))
            acts.append(pool.activity(on, Channel.CALL, "first_call", outcome=Outcome.REACHED))
    promises.append(
        Promise(pool.day(made), pool.eur(cents), pool.day(due), by=by, grace_days=grace)
    )
    return promises, acts


def _disputes(
    pool: _Pool,
    invoices: list[Invoice],
    still_open: set[int],
    overdue_open: list[int],
) -> tuple[list[Dispute], list[Activity]]:
    """Disputes over open invoices (or the account), and reviews of some."""
    rnd = pool.rnd
    if not still_open or rnd.random() > 0.06:
        return [], []
    opened = -rnd.randint(0, 60)
    reason = rnd.choice(_REASONS)
    owner = rnd.choice((None, "Grace Kim", "Hal Ames"))
    r = rnd.random()
    if r < 0.3 and overdue_open:  # everything overdue is disputed
        named = tuple(invoices[k].number for k in overdue_open)
        amount = None
    elif r < 0.85:
        named = (invoices[rnd.choice(sorted(still_open))].number,)
        amount = None
    else:  # a dispute over the account, for an amount
        named = ()
        amount = pool.eur(rnd.choice((5_000, 25_000, 100_000)))
    resolved = None
    if rnd.random() < 0.2:
        resolved = pool.day(opened + rnd.randint(0, 40))
    disputes = [
        Dispute(pool.day(opened), reason, named, amount, resolved=resolved, owner=owner, id="D1")
    ]
    acts = []
    if rnd.random() < 0.4:
        acts.append(
            pool.activity(pool.day(rnd.randint(opened - 5, 0)), Channel.REVIEW, outcome=None)
        )
    return disputes, acts


def _step_log(pool: _Pool, day_est: int, key: bool, invoices: list[Invoice]) -> list[Activity]:
    """Log steps of the account's timeline done in this episode (roughly) or an earlier one."""
    rnd = pool.rnd
    acts: list[Activity] = []
    diligence = rnd.choice((0.0, 0.5, 0.85, 0.95))
    steps = KEY_STEPS if key else STANDARD_STEPS
    name = "key_accounts" if key else "standard"
    anchor = -day_est  # the due date of the oldest open invoice, as an offset from AS_OF
    for step, step_day, action in steps:
        if step_day > day_est:
            break
        repeats = [step_day]
        if step == "follow_up":
            repeats = list(range(20, min(day_est, 45) + 1, 7))
        for rep in repeats:
            if rnd.random() >= diligence:
                continue
            off = min(anchor + rep + rnd.randint(0, 3), 0)
            channel = _STEP_CHANNEL[action]
            if channel is Channel.EMAIL and rnd.random() < 0.2:
                channel = Channel.CALL  # the channel rule made it a call
            timeline = rnd.choice((None, None, None, None, None, None, name, "legacy"))
            acts.append(
                pool.activity(
                    pool.day(off),
                    channel,
                    step,
                    outcome=rnd.choice(_OUTCOMES) if channel.is_contact else Outcome.DONE,
                    timeline=timeline,
                )
            )
    if rnd.random() < 0.08:  # an earlier episode: these do not count in this one
        off = anchor - (rnd.randint(8, 60) if key else rnd.randint(30, 200))
        step = "visit" if key else rnd.choice(("reminder", "first_call", "demand"))
        channel = Channel.VISIT if key else Channel.CALL
        acts.append(pool.activity(pool.day(off), channel, step, outcome=Outcome.REACHED))
    if rnd.random() < 0.03:  # a step done for one invoice only
        inv = rnd.choice(invoices)
        acts.append(
            pool.activity(
                pool.day(min(anchor + 2, 0)), Channel.EMAIL, "reminder", invoice=inv.number
            )
        )
    return acts


# --------------------------------------------------------------------------------------------
# The baseline: the standard policy's plan, written by hand from the parsed records. It calls
# nothing of arcollect: it reads the records' attributes (amounts as their `.amount` Decimals)
# and replays the history itself, as `arcollect.facts` documents it.

_K0 = Decimal(0)
_K100, _K250, _K1000, _K5000, _K25000, _K250K = map(
    Decimal, (100, 250, 1_000, 5_000, 25_000, 250_000)
)
_CONTACT = frozenset({"email", "letter", "sms", "call", "voicemail", "visit"})
_CONTACT_RANK = {
    Channel.EMAIL: 0,
    Channel.SMS: 1,
    Channel.LETTER: 2,
    Channel.VOICEMAIL: 3,
    Channel.CALL: 4,
    Channel.VISIT: 5,
}
_HOLIDAYS = frozenset({date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)})
_TIERS = ((Decimal("0.80"), "A"), (Decimal("0.95"), "B"), (Decimal("1.00"), "C"))
_ONE_DAY = timedelta(days=1)
_OPEN, _KEPT, _PARTIAL, _BROKEN = "open", "kept", "partially_kept", "broken"
_IRATE = Outcome.IRATE
_REVIEW = Channel.REVIEW

#: (account, step, action, channel, due, deferred, priority, tier)
Row = tuple[str, str, str, str, date, bool, Decimal, str | None]


class _Promise(NamedTuple):
    """How a promise stands: its sort key, status, deadline and the day it closed."""

    order: tuple[object, ...]
    status: str
    deadline: date
    closed_on: date | None


class _Facts(NamedTuple):
    """What the standard policy reads about one account."""

    overdue: Decimal
    days_past_due: int
    oldest_due: date | None
    delinquent_since: date | None
    undisputed_overdue: Decimal
    disputes: list[Dispute]
    promises: list[_Promise]
    promise: _Promise | None
    activities: list[Activity]
    last_contact: Activity | None


def _roll(day: date) -> date:
    while day.weekday() >= 5 or day in _HOLIDAYS:
        day += _ONE_DAY
    return day


def _activity_key(a: Activity) -> tuple[object, ...]:
    """Same-day contacts: conversations outrank voicemail, which outranks writing."""
    return (
        a.date,
        _CONTACT_RANK.get(a.channel, -1),
        a.channel.value,
        a.step or "",
        a.outcome.value if a.outcome else "",
        a.contact or "",
        a.timeline or "",
        a.invoice or "",
        a.notes or "",
    )


def _judge(q: Promise, payments: list[tuple[date, Decimal]], as_of: date) -> _Promise:
    """Judge a promise against the account's payments (sorted by date)."""
    grace = timedelta(days=q.grace_days)
    deadline = q.due + grace
    end = min(as_of, deadline)
    made = q.made_on
    target = q.amount.amount
    paid = _K0
    for day, amount in payments:  # kept as soon as the payments since it was made reach it
        if day > end:
            break
        if day >= made:
            paid += amount
            if paid >= target:
                return _Promise(_promise_key(q), _KEPT, deadline, day)
    status, closed = _OPEN, None
    promised = _K0
    for part in q.installments or (q,):  # each installment against the cumulative amount
        promised += part.amount.amount
        part_deadline = part.due + grace
        if as_of <= part_deadline:
            break
        by_then = sum((a for d, a in payments if made <= d <= part_deadline), _K0)
        if by_then < promised:
            status = _PARTIAL if by_then > 0 else _BROKEN
            closed = part_deadline + _ONE_DAY
            break
    return _Promise(_promise_key(q), status, deadline, closed)


def _promise_key(q: Promise) -> tuple[object, ...]:
    parts = tuple((i.due, i.amount.amount) for i in q.installments)
    return (q.made_on, q.due, q.amount.amount, q.by or "", q.grace_days, parts, q.note or "")


def _derive(acct: Account, as_of: date) -> _Facts:
    """Replay the account's payments and credit notes, and read what the policy needs."""
    issued = [inv for inv in acct.invoices if inv.issued <= as_of]
    items = sorted(
        (inv for inv in issued if inv.amount.amount > 0),
        key=lambda inv: (inv.due, inv.issued, inv.number),
    )
    owed = {inv.number: inv.amount.amount for inv in items}
    # Credit notes (kind 0) before payments (kind 1) on the same day, then by reference.
    events: list[tuple[date, int, tuple[object, ...], Decimal, tuple[str, ...]]] = [
        (cn.issued, 0, (cn.number,), -cn.amount.amount, (cn.credits,) if cn.credits else ())
        for cn in issued
        if cn.amount.amount < 0
    ]
    for p in acct.payments:
        if p.date <= as_of:
            amount = p.amount.amount
            key = (p.date, p.reference or "", amount, p.applies_to)
            events.append((p.date, 1, key, amount, p.applies_to))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    paid_on: dict[str, date] = {}
    first = 0  # the items before this one are paid
    for day, _, _, amount, targets in events:
        left = amount
        for number in targets:  # first the invoices it names, in order
            due = owed.get(number)
            if due is None or due <= 0 or left <= 0:
                continue
            take = min(due, left)
            owed[number] = due - take
            left -= take
            if owed[number] <= 0:
                paid_on[number] = day
        i = first
        while left > 0 and i < len(items):  # then the oldest due first
            number = items[i].number
            due = owed[number]
            if due > 0:
                take = min(due, left)
                owed[number] = due - take
                left -= take
                if owed[number] <= 0:
                    paid_on[number] = day
            i += 1
        while first < len(items) and owed[items[first].number] <= 0:
            first += 1

    overdue = _K0
    oldest: date | None = None
    for inv in items:
        left = owed[inv.number]
        if left > 0:
            if oldest is None:
                oldest = inv.due
            if inv.due < as_of:
                overdue += left

    since: date | None = None
    if overdue > 0:  # the unbroken stretch of overdue money that today is in
        spans = sorted(
            (inv.due + _ONE_DAY, paid_on.get(inv.number, date.max))
            for inv in items
            if inv.due < as_of
        )
        end = date.min
        for start, stop in spans:
            if start > end:
                since = start
            end = max(end, stop)
        if end <= as_of:
            since = None

    disputes = [
        d for d in acct.disputes if d.opened <= as_of and (d.resolved is None or d.resolved > as_of)
    ]
    disputed = _K0
    if disputes:  # per dispute, the overdue open money it names (or its amount), capped
        due_of = {inv.number: inv.due for inv in items if owed[inv.number] > 0}
        for d in disputes:
            named_open = named_overdue = _K0
            for number in d.invoices:
                if number in due_of:
                    named_open += owed[number]
                    if due_of[number] < as_of:
                        named_overdue += owed[number]
            amount = d.amount.amount if d.amount is not None else named_open
            disputed += min(amount, named_overdue) if d.invoices else amount
        disputed = min(disputed, overdue)

    promises: list[_Promise] = []
    promise = None
    if acct.promises:
        payments = sorted((p.date, p.amount.amount) for p in acct.payments)
        promises = sorted(
            (_judge(q, payments, as_of) for q in acct.promises if q.made_on <= as_of),
            key=lambda q: q.order,
        )
        active = [q for q in promises if q.status == _OPEN]
        promise = active[-1] if active else (promises[-1] if promises else None)

    activities = [a for a in acct.activities if a.date <= as_of]
    contacts = [a for a in activities if a.channel.value in _CONTACT]
    return _Facts(
        overdue=overdue,
        days_past_due=(as_of - oldest).days if overdue > 0 and oldest else 0,
        oldest_due=oldest,
        delinquent_since=since,
        undisputed_overdue=overdue - disputed,
        disputes=disputes,
        promises=promises,
        promise=promise,
        activities=activities,
        last_contact=max(contacts, key=_activity_key) if contacts else None,
    )


def narrow_plan(accounts: Sequence[Account], as_of: date) -> tuple[list[Row], dict[str, Decimal]]:
    """Plan by hand the old, narrower way: the actions in order and every priority, only.

    It decides today's step and stops: no state (steps done, skipped, pause), no forecast, no
    contact or owner. Kept to show what the full baseline (`hand_written_plan`) adds.
    """
    with decimal.localcontext(MONEY_CONTEXT):
        return _narrow_plan(accounts, as_of)


def _narrow_plan(accounts: Sequence[Account], as_of: date) -> tuple[list[Row], dict[str, Decimal]]:
    today = _roll(as_of)
    drafts: list[tuple[Decimal, Decimal, str, int, str, str, str, str]] = []
    measures: list[tuple[Decimal, str]] = []
    scores: dict[str, Decimal] = {}
    for acct in accounts:
        f = _derive(acct, as_of)
        aid = acct.id
        ov = f.overdue
        limit = acct.credit_limit
        key = "key" in acct.tags or (limit is not None and limit.amount >= _K250K)
        disputes = f.disputes
        p = f.promise
        active = p is not None and p.status == _OPEN
        broken = sum(1 for q in f.promises if q.status == _BROKEN)
        score = (
            ov / _K1000 * 10
            + f.days_past_due * 2
            + broken * 15
            + (50 if key else 0)
            - (100 if disputes else 0)
        )
        scores[aid] = score
        measures.append((ov, aid))
        neg = (-score, -ov, aid)

        # Promises whose deadline (due + grace) falls on today's business day are followed up
        # by phone: one call for all of them, even if one has just broken over a weekend.
        if any(
            q.status != _KEPT
            and q.deadline <= as_of
            and _roll(q.deadline) == today
            and not any(
                a.step == "promise_follow_up" and a.date >= q.deadline for a in f.activities
            )
            for q in f.promises
        ):
            drafts.append((*neg, -2, "", "promise_follow_up", "follow_up", "call"))
        # Open disputes get one review, until a review is logged after the last one opened.
        if disputes:
            last_review = max(
                (
                    a.date
                    for a in f.activities
                    if a.channel is _REVIEW or a.step == "dispute_review"
                ),
                default=None,
            )
            pending = [d for d in disputes if last_review is None or last_review < d.opened]
            if pending:
                only = pending[0].invoices if len(pending) == 1 else ()
                inv = only[0] if len(only) == 1 else ""
                drafts.append((*neg, -1, inv, "dispute_review", "review", "internal"))

        oldest = f.oldest_due
        if oldest is None:
            continue
        day = (as_of - oldest).days
        if key:
            steps, timeline, before = KEY_STEPS, "key_accounts", 5
            paused = active or bool(disputes)
        else:
            steps, timeline, before = STANDARD_STEPS, "standard", 3
            paused = active or (bool(disputes) and f.undisputed_overdue == _K0)
            if ov == _K0 and day > 0:  # restart when overdue == 0: the episode is over
                continue
        if paused:
            continue
        since = f.delinquent_since
        cycle_start = (since - _ONE_DAY if since else oldest) - timedelta(days=before)
        history = [
            a for a in f.activities if a.step and (a.timeline is None or a.timeline == timeline)
        ]

        resumed = False
        chosen = -1
        # After a broken (or partially kept) promise, a new episode begins at first_call.
        if (
            not key
            and p is not None
            and p.status in {_BROKEN, _PARTIAL}
            and p.closed_on is not None
            and p.closed_on >= cycle_start
        ):
            closed = p.closed_on
            cycle_start = closed  # the broken promise begins a new episode
            resumed = True
            if not any(a.step == "first_call" and a.date >= closed for a in history):
                chosen = 2
        lowest = 2 if resumed else 0  # after a resume, the steps before first_call are behind
        if chosen < 0:
            # The most advanced step due whose conditions hold is the stage.
            for i in range(len(steps) - 1, lowest - 1, -1):
                name, step_day, _ = steps[i]
                if step_day > day:
                    continue
                if not key and (
                    (name == "courtesy" and ov < _K250)
                    or (name == "demand" and ov < _K100)
                    or (name == "agency" and ov < _K1000)
                    or (name == "attorney" and ov < _K25000)
                ):
                    continue
                done = [
                    a.date
                    for a in history
                    if a.step == name and a.invoice is None and a.date >= cycle_start
                ]
                if not done:
                    chosen = i
                elif name == "follow_up" and day <= 45 and (as_of - max(done)).days >= 7:
                    chosen = i  # every 7 days until 45 days past due
                break
        if chosen < 0:
            continue
        name, _, action = steps[chosen]
        if name == "visit":  # at most every 90 days, across episodes
            last = max((a.date for a in history if a.step == name), default=None)
            if last is not None and (as_of - last).days < 90:
                continue
        lc = f.last_contact
        if action not in _CONTACT:
            channel = "internal"
        elif action == "email":
            call = ov >= _K5000 or key or (lc is not None and lc.outcome is _IRATE)
            channel = "call" if call else "email"
        else:
            channel = action
        if not key and channel in _CONTACT and lc is not None and (as_of - lc.date).days < 3:
            continue  # min gap 3 days between contacts
        drafts.append((*neg, chosen, "", name, action, channel))

    # Tiers: the Pareto share of overdue money held by the accounts ranked above.
    measures.sort(key=lambda m: (-m[0], m[1]))
    total = sum((m for m, _ in measures if m > 0), _K0)
    tiers: dict[str, str] = {}
    before_share = _K0
    for m, aid in measures:
        share = before_share / total if total > 0 else Decimal(1)
        tiers[aid] = next((n for bound, n in _TIERS if share < bound), "C")
        if m > 0:
            before_share += m

    drafts.sort()
    rows: list[Row] = []
    # Capacity: promise follow-ups are never deferred and take the day's calls first.
    calls = sum(1 for d in drafts if d[5] == "promise_follow_up")
    later = _roll(today + _ONE_DAY)
    for neg_score, _, aid, _, _, name, action, channel in drafts:
        deferred = False
        if channel == "call" and name != "promise_follow_up":
            calls += 1
            deferred = calls > 40
        rows.append(
            (
                aid,
                name,
                action,
                channel,
                later if deferred else today,
                deferred,
                -neg_score,
                tiers[aid],
            )
        )
    return rows, scores


# --------------------------------------------------------------------------------------------
# The full baseline: everything the engine's `Plan` holds, by hand. Besides today's actions
# (with their contact, owner, template, approval and invoice) it works out every account's
# state the way `arcollect.engine.timeline` does for this policy: timeline, episode, cycle
# start, day, stage, steps done, steps skipped, pauses, and the forecast (the next step and its
# business day, with min gap, ``every 7 days until 45 days past due`` and the stage's
# conditions). Only the texts are left out: notes and explanations.


class _Step(NamedTuple):
    """A step of a timeline by hand (``every`` 0: it does not repeat)."""

    name: str
    delta: timedelta  # its day, counted from the due date of the oldest open invoice
    day: int
    action: str
    contact: bool  # whether it reaches the customer (min gap, a contact)
    role: str | None  # the contact role it goes to
    template: str | None
    approval: str | None
    every: int
    until: int


def _step(  # noqa: PLR0917 - a table row
    name: str,
    day: int,
    action: str,
    role: str | None = None,
    template: str | None = None,
    approval: str | None = None,
    every: tuple[int, int] = (0, 0),
) -> _Step:
    contact = action in _CONTACT
    return _Step(name, timedelta(days=day), day, action, contact, role, template, approval, *every)


_STANDARD_FULL = (
    _step("courtesy", -3, "email", template="pre_due_notice"),
    _step("reminder", 1, "email", "billing", "friendly_reminder"),
    _step("first_call", 10, "call", "decision_maker"),
    _step("follow_up", 20, "email", template="follow_up", every=(7, 45)),
    _step("demand", 45, "letter", template="final_demand", approval="credit_manager"),
    _step("hold", 60, "hold_shipments"),
    _step("agency", 90, "refer_agency"),
    _step("attorney", 120, "refer_attorney"),
)
_KEY_FULL = (
    _step("courtesy", -5, "call", "decision_maker"),
    _step("visit", 30, "visit"),
    _step("escalate", 45, "call", "executive", approval="cfo"),
)
_RESUME = 2  # on promise.broken resume at first_call
_KEY_HOLDS = (True, True, True)  # the key timeline's steps have no conditions
_PAUSE_PROMISE = ("promise.active",)
_PAUSE_DISPUTE = ("dispute.open and undisputed_overdue == 0 EUR",)
_PAUSE_BOTH = _PAUSE_PROMISE + _PAUSE_DISPUTE
_PAUSE_KEY = ("promise.active or dispute.open",)
_FALLBACK = ("decision_maker", "accounts_payable", "billing")
_ROLE_ORDER: dict[str | None, tuple[str, ...]] = {
    None: _FALLBACK,
    **{
        r: tuple(dict.fromkeys((r, *_FALLBACK))) for r in ("billing", "decision_maker", "executive")
    },
}
_ROLE_ONLY: dict[str | None, tuple[str, ...]] = {r: (r,) if r else () for r in _ROLE_ORDER}
_MIN_GAP = timedelta(days=3)
_BEFORE = {False: timedelta(days=3), True: timedelta(days=5)}  # the longest before-due step
_CLOSED = frozenset({_BROKEN, _PARTIAL})

#: The deliberately broken copies of the full baseline (`hand_written_plan`'s *broken*): each
#: must fail the comparison, to show it catches errors in the state and the forecast.
BROKEN = (
    "forecast ignores min gap",
    "forecast ignores repeats",
    "skipped ignores conditions",
    "forecast on calendar days",
    "forecast while paused",
    "forecast of steps whose condition fails",
    "forecast takes the step held back",
    "contact without fallback",
)

#: A contact an action goes to: name, role, phone, e-mail (as the engine's ContactRef).
ContactRow = tuple[str, str | None, str | None, str | None]
#: (account, step, timeline, action, channel, contact, template, due, priority, tier,
#: needs_approval, deferred, invoice, owner)
FullRow = tuple[
    str,
    str,
    str | None,
    str,
    str,
    ContactRow | None,
    str | None,
    date,
    Decimal,
    str | None,
    str | None,
    bool,
    str | None,
    str | None,
]
#: (account, timeline, episode_start, cycle_start, day, step_reached, steps_done,
#: steps_skipped, paused_by, next_step, next_date, priority, overdue)
StateRow = tuple[
    str,
    str | None,
    date | None,
    date | None,
    int | None,
    str | None,
    tuple[str, ...],
    tuple[str, ...],
    tuple[str, ...],
    str | None,
    date | None,
    Decimal,
    Decimal,
]
_Payload = tuple[
    str, str | None, str, str, ContactRow | None, str | None, str | None, str | None, str | None
]


class Baseline(NamedTuple):
    """The full baseline's plan: the actions in order, every account's state, and tiers."""

    actions: list[FullRow]
    states: list[StateRow]
    tiers: dict[str, str]


def _contact_order(c: Contact) -> tuple[str, str, str, str]:
    return (c.name, c.title or "", c.email or "", c.phone or "")


def _choose(
    contacts: tuple[Contact, ...], role: str | None, orders: dict[str | None, tuple[str, ...]]
) -> ContactRow | None:
    """Return the contact for *role*: the role, then the fallback roles, then anyone on file."""
    for r in orders[role]:
        if r == "decision_maker":  # decision makers include payment authorizers
            found = [c for c in contacts if c.can_authorize_payment or r in c.roles]
        else:
            found = [c for c in contacts if r in c.roles]
        if found:
            c = min(found, key=_contact_order)
            return (c.name, r, c.phone, c.email)
    if contacts:
        c = min(contacts, key=_contact_order)
        return (c.name, None, c.phone, c.email)
    return None


def _promiser(contacts: tuple[Contact, ...], by: str) -> ContactRow | None:
    """Return the contact a promise's follow-up goes to: who made it, else as for any step."""
    if by:
        named = [c for c in contacts if c.name == by]
        if named:
            c = min(named, key=_contact_order)
            return (c.name, None, c.phone, c.email)
    return _choose(contacts, None, _ROLE_ORDER)


def hand_written_plan(accounts: Sequence[Account], as_of: date, broken: str = "") -> Baseline:
    """Plan the standard policy by hand: every action and every account's state.

    *broken* names one of the deliberately broken copies (`BROKEN`), for the check that the
    comparison catches them; empty, the baseline is right.
    """
    if broken and broken not in BROKEN:
        raise ValueError(f"no broken copy {broken!r}; there are {BROKEN}")
    with decimal.localcontext(MONEY_CONTEXT):
        return _hand_written_plan(accounts, as_of, broken)


def _hand_written_plan(accounts: Sequence[Account], as_of: date, broken: str) -> Baseline:
    gap_forecast = broken != "forecast ignores min gap"
    repeat_forecast = broken != "forecast ignores repeats"
    skipped_holds = broken != "skipped ignores conditions"
    paused_forecast = broken == "forecast while paused"
    future_holds = broken != "forecast of steps whose condition fails"
    held_forecast = broken != "forecast takes the step held back"
    orders = _ROLE_ONLY if broken == "contact without fallback" else _ROLE_ORDER
    rolled: dict[date, date] = {}
    if broken == "forecast on calendar days":
        rolled = {as_of + timedelta(days=k): as_of + timedelta(days=k) for k in range(1, 400)}

    def roll(day: date) -> date:  # the business day on or after *day*, remembered
        r = rolled.get(day)
        if r is None:
            r = rolled[day] = _roll(day)
        return r

    today = roll(as_of)
    tomorrow = as_of + _ONE_DAY
    drafts: list[tuple[Decimal, Decimal, str, int, _Payload]] = []
    measures: list[tuple[Decimal, str]] = []
    states: list[StateRow] = []
    for acct in accounts:
        if acct.snoozes:  # not in these portfolios; the engine's snooze rules are not here
            raise NotImplementedError(f"{acct.id}: the hand-written baseline knows no snoozes")
        f = _derive(acct, as_of)
        aid = acct.id
        ov = f.overdue
        limit = acct.credit_limit
        key = "key" in acct.tags or (limit is not None and limit.amount >= _K250K)
        disputes = f.disputes
        p = f.promise
        active = p is not None and p.status == _OPEN
        score = (
            ov / _K1000 * 10
            + f.days_past_due * 2
            + sum(1 for q in f.promises if q.status == _BROKEN) * 15
            + (50 if key else 0)
            - (100 if disputes else 0)
        )
        measures.append((ov, aid))
        neg_score, neg_ov = -score, -ov
        timeline = "key_accounts" if key else "standard"
        acts = f.activities
        owner = acct.collector.name if acct.collector is not None else None

        # Promises whose deadline (due + grace) falls on today's business day are followed up
        # by phone: one call for all of them, to whoever made the first.
        for q in f.promises:
            if (
                q.status != _KEPT
                and q.deadline <= as_of
                and roll(q.deadline) == today
                and not any(a.step == "promise_follow_up" and a.date >= q.deadline for a in acts)
            ):
                contact = _promiser(acct.contacts, cast("str", q.order[3]))
                follow: _Payload = (
                    "promise_follow_up",
                    timeline,
                    "follow_up",
                    "call",
                    contact,
                    None,
                    None,
                    None,
                    owner,
                )
                drafts.append((neg_score, neg_ov, aid, -2, follow))
                break
        # Open disputes get one review, until a review is logged after the last one opened.
        if disputes:
            last_review = max(
                (a.date for a in acts if a.channel is _REVIEW or a.step == "dispute_review"),
                default=None,
            )
            pending = [d for d in disputes if last_review is None or last_review < d.opened]
            if pending:
                only = pending[0].invoices if len(pending) == 1 else ()
                inv = only[0] if len(only) == 1 else None
                review: _Payload = (
                    "dispute_review",
                    None,
                    "review",
                    "internal",
                    None,
                    None,
                    None,
                    inv,
                    owner,
                )
                drafts.append((neg_score, neg_ov, aid, -1, review))

        oldest = f.oldest_due
        since = f.delinquent_since
        if oldest is None:  # nothing open: no position in the timeline
            states.append(
                (aid, timeline, since, None, None, None, (), (), (), None, None, score, ov)
            )
            continue
        day = (as_of - oldest).days
        steps: tuple[_Step, ...]
        holds: tuple[bool, ...]
        paused: tuple[str, ...]
        if key:
            steps, holds = _KEY_FULL, _KEY_HOLDS
            paused = _PAUSE_KEY if active or disputes else ()
        else:
            steps = _STANDARD_FULL
            # unless small_balance; when overdue >= 100, >= 1,000 (and not key), >= 25,000
            holds = (ov >= _K250, True, True, True, ov >= _K100, True, ov >= _K1000, ov >= _K25000)
            no_undisputed = bool(disputes) and f.undisputed_overdue == _K0
            if active:
                paused = _PAUSE_BOTH if no_undisputed else _PAUSE_PROMISE
            else:
                paused = _PAUSE_DISPUTE if no_undisputed else ()
        # Steps count as done from the cycle start: the episode's first day (or the due date),
        # moved back by the longest before-due step. A broken promise begins a new episode.
        cycle_start = (since - _ONE_DAY if since else oldest) - _BEFORE[key]
        episode = since
        lowest = 0
        if (
            not key
            and p is not None
            and p.status in _CLOSED
            and p.closed_on is not None
            and p.closed_on >= cycle_start
        ):
            cycle_start = episode = p.closed_on
            lowest = _RESUME  # the steps before first_call are behind the account
        last_done: dict[str, date] = {}  # account-level steps done in the cycle: the last day
        for a in acts:
            s = a.step
            if (
                s
                and a.invoice is None
                and a.date >= cycle_start
                and (a.timeline is None or a.timeline == timeline)
            ):
                d = last_done.get(s)
                if d is None or a.date > d:
                    last_done[s] = a.date
        done = tuple(st.name for st in steps if st.name in last_done)
        if not key and ov == _K0 and day > 0:  # restart when overdue == 0: the episode is over
            row = (aid, timeline, episode, cycle_start, day, None, done, (), paused, None, None)
            states.append((*row, score, ov))
            continue

        # The stage: the most advanced step due whose conditions hold (after a resume, the
        # resume step first); it is taken today unless done in the cycle (or due to repeat).
        n = len(steps)
        stage = chosen = -1
        if lowest and "first_call" not in last_done:
            stage = chosen = lowest
        else:
            for i in range(n - 1, lowest - 1, -1):
                st = steps[i]
                if st.day > day or not holds[i]:
                    continue
                stage = i
                last = last_done.get(st.name)
                if last is None or (
                    st.every and day <= st.until and (as_of - last).days >= st.every
                ):
                    chosen = i
                break
            if stage < 0 and lowest:
                stage = lowest

        # Is the step chosen taken today? Not while paused; not within 90 days of the last
        # visit (at most every 90 days, across episodes); not within min gap of the last
        # contact. A step held back comes on the day it may go.
        taken = chosen >= 0 and not paused
        held_d: date | None = None
        if taken:
            st = steps[chosen]
            lc = f.last_contact
            if st.name == "visit":
                last_visit = max(
                    (
                        a.date
                        for a in acts
                        if a.step == "visit" and (a.timeline is None or a.timeline == timeline)
                    ),
                    default=None,
                )
                if last_visit is not None and (as_of - last_visit).days < 90:
                    taken, held_d = False, roll(last_visit + timedelta(days=90))
            if taken and not key and st.contact and lc is not None and (as_of - lc.date).days < 3:
                taken, held_d = False, roll(lc.date + _MIN_GAP)
        held_i = chosen if chosen >= 0 and not taken and held_d is not None else -1
        if not held_forecast:
            taken = chosen >= 0

        # The forecast: nothing while paused; otherwise the first step to come after the
        # stage whose conditions hold today, on its business day, no sooner than min gap
        # allows after the last contact (today's, if a contact is taken today); the stage's
        # repeat if it comes first; a step held back today if it may go before the others.
        taken_i = chosen if taken else -1
        floor: date | None = None
        if not key and gap_forecast:
            last_contact = f.last_contact
            if taken_i >= 0 and steps[taken_i].contact:
                floor = roll(as_of + _MIN_GAP)
            elif last_contact is not None:
                floor = roll(last_contact.date + _MIN_GAP)
        start = stage + 1 if stage >= 0 else lowest
        next_i, next_d = -1, None
        rest = start
        for j in range(n - 1, start - 1, -1):  # behind the stage, a step whose date has come
            st = steps[j]
            if st.day <= day and holds[j]:
                if st.name not in last_done:
                    when = roll(tomorrow)
                    if floor is not None and st.contact and when < floor:
                        when = floor
                    next_i, next_d = j, when
                rest = j + 1
                break
        for j in range(rest, n):
            st = steps[j]
            if st.day <= day or st.name in last_done or (future_holds and not holds[j]):
                continue
            when = roll(oldest + st.delta)
            if floor is not None and st.contact and when < floor:
                when = floor
            if next_d is None or when < next_d or (when == next_d and j > next_i):
                next_i, next_d = j, when
        if stage >= 0 and repeat_forecast and steps[stage].every:  # the stage may repeat first
            st = steps[stage]
            last = as_of if taken_i == stage else last_done.get(st.name) if chosen < 0 else None
            if last is not None:
                again = last + timedelta(days=st.every)
                when = roll(again)
                if floor is not None and st.contact and when < floor:
                    when = floor
                if (next_d is None or when < next_d) and (again - oldest).days <= st.until:
                    next_i, next_d = stage, when
        if held_forecast and held_i >= 0 and (next_d is None or (held_d and held_d < next_d)):
            next_i, next_d = held_i, held_d
        if paused and not paused_forecast:
            next_i, next_d = -1, None
        skipped: tuple[str, ...] = ()
        if stage > lowest:  # due steps before the stage never done: skipped
            skipped = tuple(
                steps[i].name
                for i in range(lowest, stage)
                if steps[i].day <= day
                and (holds[i] or not skipped_holds)
                and steps[i].name not in last_done
                and i != chosen
            )
        states.append(
            (
                aid,
                timeline,
                episode,
                cycle_start,
                day,
                steps[stage].name if stage >= 0 else None,
                done,
                skipped,
                paused,
                steps[next_i].name if next_i >= 0 else None,
                next_d,
                score,
                ov,
            )
        )

        if not taken or paused:
            continue
        st = steps[chosen]
        lc = f.last_contact
        action = st.action
        if action == "email":
            call = ov >= _K5000 or key or (lc is not None and lc.outcome is _IRATE)
            channel = "call" if call else "email"
        else:
            channel = action if st.contact else "internal"
        contact = _choose(acct.contacts, st.role, orders) if st.contact else None
        payload: _Payload = (
            st.name,
            timeline,
            action,
            channel,
            contact,
            st.template,
            st.approval,
            None,
            owner,
        )
        drafts.append((neg_score, neg_ov, aid, chosen, payload))

    # Tiers: the Pareto share of overdue money held by the accounts ranked above.
    measures.sort(key=lambda m: (-m[0], m[1]))
    total = sum((m for m, _ in measures if m > 0), _K0)
    tiers: dict[str, str] = {}
    before_share = _K0
    for m, aid in measures:
        share = before_share / total if total > 0 else Decimal(1)
        tiers[aid] = next((t for bound, t in _TIERS if share < bound), "C")
        if m > 0:
            before_share += m

    drafts.sort()  # (score, overdue, account, rank) never tie: the payloads are not compared
    rows: list[FullRow] = []
    # Capacity: promise follow-ups are never deferred and take the day's calls first.
    calls = sum(1 for d in drafts if d[4][0] == "promise_follow_up")
    later = roll(today + _ONE_DAY)
    for neg_score, _, aid, _, item in drafts:
        name, on, action, channel, contact, template, approval, invoice, owner = item
        deferred = False
        if channel == "call" and name != "promise_follow_up":
            calls += 1
            deferred = calls > 40
        rows.append(
            (
                aid,
                name,
                on,
                action,
                channel,
                contact,
                template,
                later if deferred else today,
                -neg_score,
                tiers[aid],
                approval,
                deferred,
                invoice,
                owner,
            )
        )
    return Baseline(rows, states, tiers)


# --------------------------------------------------------------------------------------------


class Mismatch(Exception):  # noqa: N818 - what it is, not an error of the program
    """The engine and a baseline disagree: the message says on which account and field."""


#: The fields of `StateRow` and `FullRow`, in order, to name the field that differs.
STATE_FIELDS = (
    "account",
    "timeline",
    "episode_start",
    "cycle_start",
    "day",
    "step_reached",
    "steps_done",
    "steps_skipped",
    "paused_by",
    "next_step",
    "next_date",
    "priority",
    "overdue",
)
ACTION_FIELDS = (
    "account",
    "step",
    "timeline",
    "action",
    "channel",
    "contact",
    "template",
    "due",
    "priority",
    "tier",
    "needs_approval",
    "deferred",
    "invoice",
    "owner",
)


def engine_state(st: AccountState) -> StateRow:
    """Return the engine's state of an account as a baseline state row."""
    return (
        st.account,
        st.timeline,
        st.episode_start,
        st.cycle_start,
        st.day,
        st.step_reached,
        st.steps_done,
        st.steps_skipped,
        st.paused_by,
        st.next_step,
        st.next_date,
        st.priority,
        st.overdue.amount,
    )


def engine_action(a: PlannedAction) -> FullRow:
    """Return one of the engine's actions as a full baseline row."""
    c = a.contact
    return (
        a.account,
        a.step,
        a.timeline,
        str(a.action),
        str(a.channel),
        None if c is None else (c.name, c.role, c.phone, c.email),
        a.template,
        a.due,
        a.priority,
        a.tier,
        a.needs_approval,
        a.deferred,
        a.invoice,
        a.owner,
    )


def compare(plan: Plan, base: Baseline) -> None:
    """Raise `Mismatch` naming the account and the field, unless both agree on everything.

    Every field of every account's state (the tier included; not the notes) and of every
    action (not the explanation), in the plan's order.
    """
    mine = {s[0]: s for s in base.states}
    if len(plan.states) != len(mine):
        raise Mismatch(f"engine planned {len(plan.states)} accounts, baseline {len(mine)}")
    for st in plan.states:
        aid = st.account
        if st.error is not None:
            raise Mismatch(f"engine error on {aid}: {st.error}")
        row = mine.get(aid)
        if row is None:
            raise Mismatch(f"account {aid}: not in the baseline's states")
        if st.overdue.currency != "EUR":
            raise Mismatch(f"account {aid}, field overdue: engine in {st.overdue.currency}")
        pairs: list[tuple[str, object, object]] = [
            *zip(STATE_FIELDS, engine_state(st), row, strict=True)
        ]
        pairs.append(("tier", st.tier, base.tiers.get(aid)))
        for name, e, v in pairs:
            if e != v:
                raise Mismatch(
                    f"account {aid}, state field {name}: engine {e!r}, baseline {v!r}\n"
                    + plan.explain(aid)
                )
    for i, (a, b) in enumerate(zip(plan.actions, base.actions, strict=False)):
        if a.cc or a.charges:  # the standard policy has neither: the baseline knows none
            raise Mismatch(f"action #{i} ({a.account}): cc or charges, which the baseline lacks")
        for name, e, v in zip(ACTION_FIELDS, engine_action(a), b, strict=True):
            if e != v:
                aids = dict.fromkeys((a.account, b[0]))
                raise Mismatch(
                    f"action #{i}, account {a.account} (baseline {b[0]}), field {name}: "
                    f"engine {e!r}, baseline {v!r}\n" + "\n".join(plan.explain(x) for x in aids)
                )
    if len(plan.actions) != len(base.actions):
        k = min(len(plan.actions), len(base.actions))
        extra = plan.actions[k].account if k < len(plan.actions) else base.actions[k][0]
        raise Mismatch(
            f"engine planned {len(plan.actions)} actions, baseline {len(base.actions)}; "
            f"first extra on account {extra}\n" + plan.explain(extra)
        )


def engine_rows(plan: Plan) -> list[Row]:
    """Return the plan's actions as rows of the narrow baseline."""
    return [
        (a.account, a.step, a.action, a.channel, a.due, a.deferred, a.priority, a.tier)
        for a in plan.actions
    ]


def compare_narrow(plan: Plan, rows: list[Row], scores: dict[str, Decimal]) -> None:
    """Raise `Mismatch` unless the narrow baseline agrees with the engine on what it computes."""
    for st in plan.states:
        if st.error is not None:
            raise Mismatch(f"engine error on {st.account}: {st.error}")
        if st.priority != scores.get(st.account):
            raise Mismatch(
                f"priority of {st.account}: engine {st.priority}, baseline {scores.get(st.account)}"
            )
    if len(plan.states) != len(scores):
        raise Mismatch(f"engine planned {len(plan.states)} accounts, baseline {len(scores)}")
    mine = engine_rows(plan)
    for i, (e, b) in enumerate(zip(mine, rows, strict=False)):
        if e != b:
            raise Mismatch(
                f"first disagreement, action #{i}:\n  engine:   {e}\n  baseline: {b}\n"
                + "\n".join(plan.explain(aid) for aid in dict.fromkeys((e[0], b[0])))
            )
    if len(mine) != len(rows):
        extra = mine[len(rows)] if len(mine) > len(rows) else rows[len(mine)]
        raise Mismatch(
            f"engine planned {len(mine)} actions, baseline {len(rows)}; first extra: {extra}\n"
            + plan.explain(extra[0])
        )


def check_broken(cases: Sequence[tuple[Plan, Sequence[Account]]]) -> list[tuple[str, str]]:
    """Return, per broken copy of the full baseline, the first disagreement that caught it.

    Exit non-zero if one of them agrees with the engine on every case: then the comparison
    would not catch that error.
    """
    caught = []
    for broken in BROKEN:
        for plan, accounts in cases:
            try:
                compare(plan, hand_written_plan(accounts, AS_OF, broken))
            except Mismatch as exc:
                caught.append((broken, str(exc).partition("\n")[0]))
                break
        else:
            raise SystemExit(f"the broken copy {broken!r} agrees with the engine: not caught")
    return caught


def timed(fn: Callable[[], T]) -> tuple[float, T]:
    """Return the wall time of one call of *fn*, GC on (as an application runs), and its result.

    A full collection runs first (untimed), so that neither function pays for the other's garbage.
    """
    gc.collect()
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def traced_peak(fn: Callable[[], object]) -> float:
    """Return the peak of memory *fn* allocates (tracemalloc, MB), its result included."""
    gc.collect()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        return (tracemalloc.get_traced_memory()[1] - base) / 2**20
    finally:
        tracemalloc.stop()


def main(argv: Sequence[str]) -> None:
    """Generate the portfolio, check that all agree, time them and print the report."""
    try:
        _main(argv)
    except Mismatch as exc:
        print(exc)
        raise SystemExit(1) from None


def _main(argv: Sequence[str]) -> None:
    args = [a for a in argv if not a.startswith("-")]
    n = int(args[0]) if args else 100_000
    runs = 3 if n <= 20_000 else 2
    policy = load_policy(ROOT / "rules" / "standard.arc")
    start = time.perf_counter()
    accounts = generate(n)
    setup = time.perf_counter() - start
    invoices = sum(len(a.invoices) for a in accounts)
    rss_records = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    def engine() -> Plan:
        return policy.plan(accounts, as_of=AS_OF)

    def full() -> Baseline:
        return hand_written_plan(accounts, AS_OF)

    def narrow() -> tuple[list[Row], dict[str, Decimal]]:
        return narrow_plan(accounts, AS_OF)

    # The first turn: time all three, then check (untimed) that they agree on every account.
    t_engine, plan = timed(engine)
    t_full, base = timed(full)
    t_narrow, (rows, scores) = timed(narrow)
    compare(plan, base)
    compare_narrow(plan, rows, scores)
    edges = edge_cases(5_000)
    edge_plan = policy.plan(edges, as_of=AS_OF)
    compare(edge_plan, hand_written_plan(edges, AS_OF))
    compare_narrow(edge_plan, *narrow_plan(edges, AS_OF))
    caught = check_broken([(edge_plan, edges), (plan, accounts)])
    n_actions = len(plan.actions)
    by_step = Counter(a.step for a in plan.actions)
    deferred = sum(1 for a in plan.actions if a.deferred)
    forecasts = sum(1 for s in plan.states if s.next_date is not None)
    paused = sum(1 for s in plan.states if s.paused_by)
    del plan, base, rows, scores, edge_plan
    for _ in range(runs - 1):  # further turns, taking turns
        t, _plan = timed(engine)
        t_engine = min(t_engine, t)
        del _plan
        t, _base = timed(full)
        t_full = min(t_full, t)
        del _base
        t, _rows = timed(narrow)
        t_narrow = min(t_narrow, t)
        del _rows
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    memory = "--no-memory" not in argv
    if memory:  # an extra, untimed turn of each under tracemalloc
        m_engine = traced_peak(engine)
        m_full = traced_peak(full)
        m_narrow = traced_peak(narrow)

    print(f"plan, rules/standard.arc as of {AS_OF}: {n:,} accounts, {invoices:,} invoices (EUR)")
    print(f"  (portfolio generated in {setup:.1f} s)")
    print(
        "  engine and full baseline agree on every field of every account's state and of every"
        " action, here and on edge_cases(5000); the narrow baseline on actions and priorities"
    )
    print(f"  {n_actions:,} actions, {deferred:,} calls deferred beyond capacity; by step:")
    print("    " + ", ".join(f"{s} {c:,}" for s, c in sorted(by_step.items())))
    print(f"  {forecasts:,} accounts with a forecast (next step and date), {paused:,} paused")
    print("  broken copies of the full baseline, each caught by the comparison:")
    for broken, where in caught:
        print(f"    {broken}: {where}")
    print(f"  hand-written, full (every state and action field): {t_full:.2f} s")
    print(f"  hand-written, narrow (actions and priorities only): {t_narrow:.2f} s")
    print(f"  policy.plan:                                        {t_engine:.2f} s")
    print(f"  (best of {runs}, taking turns, GC on)")
    print(
        f"  ratio engine / full hand-written: {t_engine / t_full:.2f}x"
        " (the headline; target: at most 2x)"
    )
    print(
        f"  ratio engine / narrow hand-written (actions and priorities only):"
        f" {t_engine / t_narrow:.2f}x"
    )
    print(f"  (full / narrow hand-written: {t_full / t_narrow:.2f}x)")
    if memory:
        print(
            f"  peak allocated while planning (tracemalloc): policy.plan {m_engine:,.0f} MB,"
            f" full hand-written {m_full:,.0f} MB ({m_engine / m_full:.1f}x),"
            f" narrow {m_narrow:,.0f} MB"
        )
    print(
        f"  max RSS of the process: {rss_records:,.0f} MB with the records,"
        f" {rss:,.0f} MB after planning"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
