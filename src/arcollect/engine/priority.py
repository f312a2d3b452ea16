"""Priorities: the score of each account, its tier, and the one order of the plan.

The per-account part (`standing_fields`) evaluates the policy's ``score`` and ``ties by`` keys
and reads the tier measure; it needs nothing but the account. The portfolio part (`order`)
needs them all:

- **tiers** by share of the measure (``tiers by share of overdue: A 80%, B 15%, C 5%``): accounts
  ranked by the measure, each in the tier its predecessors' share falls in; within a currency,
  never summed across currencies;
- the **order**: priority score (highest first), the ``ties by`` keys, the account id, then within
  an account follow-ups, reviews and steps in timeline order. Total and deterministic;
- **capacity**: calls beyond ``capacity N calls per day`` move to the next business day, marked
  ``deferred``; with ``per collector``, each owner's calls are counted apart (the actions
  without an owner share one count), in the plan's order. The follow-up calls of promises due
  today are exempt: they are never moved past the promised date, and they take their pool's
  capacity first (the other calls get what is left, in the plan's order).

An absent score (a fact it reads has no value for the account, such as ``days_since_payment`` for
an account that never paid) counts as 0, and the account's notes say so; absent ``ties by`` keys
sort last, whatever their direction. Amounts compare within a currency only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal
from functools import total_ordering
from operator import attrgetter
from typing import Any, TypeAlias

import attrs

from arcollect.domain.money import Money
from arcollect.engine.actions import Candidate, Source
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.explain import Part
from arcollect.engine.model import PlannedAction, decimal_text
from arcollect.facts import AccountFacts
from arcollect.lang.ir import CheckedPriority
from arcollect.lang.program import CompiledPolicy

__all__ = ["Standing", "StandingFields", "order", "standing_fields", "tiers"]

_ZERO = Decimal(0)
_ACCOUNT = attrgetter("account")
_MEASURE = attrgetter("measure")


@total_ordering
class _Desc:
    """Reverses the order of a value inside a sort key."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and self.value == other.value

    def __lt__(self, other: _Desc) -> bool:
        return bool(other.value < self.value)

    def __hash__(self) -> int:
        return hash(self.value)


def _sortable(value: Any, descending: bool) -> tuple[Any, ...]:
    """Return *value* as parts of a flat sort key: absent values last, in either direction.

    The first part says whether the value is absent, so keys of different shapes (an amount
    is two parts: its currency, then its number) are never compared past it. Numbers in
    descending order are negated (exact: scores and amounts are computed under `MONEY_CONTEXT`,
    whose precision they fit); other values are wrapped in `_Desc`. A flat key of plain numbers
    and strings is one the garbage collector stops tracking.
    """
    if value is None:
        return (True, 0)  # absent values last, whatever the direction
    if isinstance(value, Money):  # amounts compare within a currency, never across
        amount = value.amount
        return (False, value.currency, -amount if descending else amount)
    if not descending:
        return (False, value)
    if isinstance(value, (Decimal, int)):
        return (False, -value)
    return (False, _Desc(value))


@attrs.frozen
class Standing:
    """An account's place in the portfolio: its score, sort key and tier measure."""

    account: str
    score: Decimal
    sort_key: tuple[Any, ...]
    measure_currency: str
    measure: Decimal
    #: Whether the account takes part in tiers (accounts that could not be planned do not).
    ranked: bool = True
    notes: tuple[str, ...] = ()

    @classmethod
    def unranked(cls, account: str, currency: str) -> Standing:
        """Return the standing of an account that could not be planned: last, in no tier."""
        return cls(account, _ZERO, (False, -_ZERO, account), currency, _ZERO, ranked=False)


#: The fields of a `Standing`, in their order.
StandingFields: TypeAlias = tuple[
    str, Decimal, tuple[Any, ...], str, Decimal, bool, tuple[str, ...]
]


def standing_fields(policy: CompiledPolicy, f: AccountFacts) -> StandingFields:
    """Evaluate the priority of the account with facts *f* (under `MONEY_CONTEXT`).

    Return the fields of its `Standing`, in their order: the planner's per-account result is
    a `Standing` that carries more, made from them without a `Standing` made first.
    """
    acct = f.account
    notes: tuple[str, ...] = ()
    value = None if policy.score is None else policy.score(f)
    if value is None:
        score = _ZERO
        if policy.score is not None:
            notes = ("priority score absent (a fact it reads has no value here): counted as 0",)
    else:
        score = value if type(value) is Decimal else Decimal(value)
    ties = policy.ties(f)
    key: tuple[Any, ...] = _sortable(score, descending=True)
    for v, d in zip(ties, policy.ties_descending, strict=True):
        key += _sortable(v, d)
    key += (acct.id,)
    measure = policy.measure(f)
    if isinstance(measure, Money):
        return (acct.id, score, key, measure.currency, measure.amount, True, notes)
    return (acct.id, score, key, acct.currency, _ZERO, True, notes)


def tiers(priority: CheckedPriority, standings: Sequence[Standing]) -> dict[str, str]:
    """Pareto tiers by share of the measure, within each currency (never summed across)."""
    if not priority.tiers:
        return {}
    bounds: list[tuple[Decimal, str]] = []
    acc = _ZERO
    for name, share in priority.tiers:
        acc += share
        bounds.append((acc, name))
    by_currency: dict[str, list[Standing]] = defaultdict(list)
    for s in standings:
        if s.ranked:
            by_currency[s.measure_currency].append(s)
    out: dict[str, str] = {}
    for group in by_currency.values():
        # By measure, highest first, then by account: two stable sorts (the planner gives the
        # standings in account order already, which the first sort finds at once).
        ranked = sorted(group, key=_ACCOUNT)
        ranked.sort(key=_MEASURE, reverse=True)
        total = sum([m for m in map(_MEASURE, ranked) if m > 0], _ZERO)
        # The share held by the accounts ranked above is before / total; it is below a bound
        # exactly when before < bound * total (exact: both sides fit MONEY_CONTEXT's digits,
        # and a share that is not the bound is farther from it than division rounds).
        if total > 0:
            scaled = [(bound * total, n) for bound, n in bounds]
        else:  # no positive measure: every account holds the whole share, as 1 does
            scaled = [(_ZERO if Decimal(1) >= bound else Decimal(1), n) for bound, n in bounds]
        last = bounds[-1][1]
        before = _ZERO  # the measure of the accounts ranked above
        k, n_bounds = 0, len(scaled)  # the first bound above `before`: it only moves on
        for s in ranked:
            while k < n_bounds and not before < scaled[k][0]:
                k += 1
            out[s.account] = scaled[k][1] if k < n_bounds else last
            if s.measure > 0:
                before += s.measure
    return out


def order(
    priority: CheckedPriority,
    calendar: BusinessCalendar,
    candidates: Sequence[tuple[Standing, Candidate]],
    tier_of: dict[str, str],
    *,
    in_place: bool = False,
) -> tuple[PlannedAction, ...]:
    """Put every candidate action in the plan's total order, and apply the call capacity.

    *in_place* places the candidates' own actions (see `PlannedAction.ordered`).
    """
    ranked = sorted(candidates, key=lambda sc: (sc[0].sort_key, sc[1].rank))
    capacity = priority.capacity
    per_owner = priority.capacity_per_owner
    # Follow-ups of promises due today are never deferred past the promised date: they take
    # the day's capacity first, the other calls what is left, in the plan's order.
    calls: dict[str | None, int] = defaultdict(int)
    for _, c in ranked:
        if c.source is Source.PROMISE and c.action.channel == "call":
            calls[c.action.owner if per_owner else None] += 1
    out = []
    for s, c in ranked:
        act = c.action
        deferred, due = False, act.due
        why: list[Part] = []
        pool = act.owner if per_owner else None
        if act.channel == "call" and c.source is Source.PROMISE:
            if capacity is not None and calls[pool] > capacity:
                why.append(
                    f"capacity {capacity} calls per day: a promise's follow-up is not deferred"
                )
        elif act.channel == "call":
            calls[pool] += 1
            n = calls[pool]
            if capacity is not None and n > capacity:
                deferred = True
                limit = f"capacity {capacity} calls per day"
                if per_owner:
                    limit += (
                        f" per collector reached for {act.owner or 'the actions without owner'}"
                    )
                else:
                    limit += " reached"
                try:
                    due = calendar.next_business_day(act.due)
                except OverflowError:  # no later day in the calendar: it stays, marked
                    why.append(f"{limit} (call #{n})")
                else:
                    why.append(f"{limit} (call #{n}): moved to {due}")
        tier = tier_of.get(s.account)
        why.append(f"priority {decimal_text(s.score)}" + (f", tier {tier}" if tier else ""))
        out.append(
            act.ordered(
                priority=s.score, tier=tier, due=due, deferred=deferred, why=why, in_place=in_place
            )
        )
    return tuple(out)
