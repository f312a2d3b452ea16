"""The planner: a compiled policy over accounts as of one date, stage by stage.

For each account, on its own (the per-account phase, which could run partitioned):

1. `arcollect.facts` derives what the policy may read, as of the date;
2. `priority.standing_fields` evaluates the score, the ``ties by`` keys and the tier measure;
3. the account's timeline is the first whose segment holds (``for all`` timelines last), and
   `timeline.decide` works out its `Position`: stage, steps done and skipped, pause, next step,
   and the steps due today;
4. `actions.dress` turns those steps into actions with a channel and a contact, and adds the
   follow-ups of promises and the reviews of disputes.

Then, over the whole portfolio: `priority.tiers` and `priority.order` (the total order, and call
capacity).

The two phases can run apart: `Planner.partition` runs the per-account phase over any share of
the accounts and returns a `PartialPlan` (picklable: explanations are rendered to text when one
is pickled); `Planner.combine` runs the global phase over the partial plans of all the shares.
Partitioned by account, in any number of shares and any order, the result is the plan of the
whole portfolio, byte for byte: the per-account phase reads nothing but the account, and the
global phase sorts everything it is given.

An account the policy cannot be evaluated for (its data make an expression fail, or it is in
another currency than the policy) is not dropped: its state carries the error, located
at the expression, and the others go on.

Nothing here reads the clock or a file: the same policy, accounts and date give the same plan,
whatever the order of the accounts or of their records.
"""

from __future__ import annotations

import decimal
import itertools
from collections.abc import Iterable, Mapping
from datetime import date
from operator import attrgetter
from typing import Any, Final

import attrs

from arcollect._describe import describe
from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.engine.actions import Candidate, dress
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.fees import Charging
from arcollect.engine.model import AccountState, Plan
from arcollect.engine.priority import Standing, StandingFields, order, standing_fields, tiers
from arcollect.engine.timeline import Position, decide, undecided
from arcollect.errors import CurrencyMismatchError, DataError, EvaluationError, Problem
from arcollect.facts import DEFAULT_AGING_BOUNDS, AccountFacts, _facts
from arcollect.lang.program import CompiledPolicy, CompiledTimeline

__all__ = ["PartialPlan", "Planner"]

_ID: Final = attrgetter("id")


@attrs.frozen
class _AccountPlan(Standing):
    """The per-account phase's result: its standing, with its state and candidate actions.

    One object rather than three: a large plan keeps one per account until the global phase,
    and each object kept is one more the garbage collector walks.
    """

    state: AccountState = attrs.field(kw_only=True)
    candidates: tuple[Candidate, ...] = attrs.field(kw_only=True)


@attrs.frozen
class PartialPlan:
    """The per-account phase over a share of the accounts: what `Planner.combine` needs.

    *accounts* are the results by account, in account order; *policy* is the policy's name.
    """

    as_of: date
    policy: str
    accounts: tuple[_AccountPlan, ...] = attrs.field(repr=False)

    def __len__(self) -> int:
        return len(self.accounts)


class Planner:
    """Plans a compiled policy; build one per policy and reuse it."""

    def __init__(self, policy: CompiledPolicy) -> None:
        self.policy = policy
        checked = policy.checked
        self.calendar = BusinessCalendar.of(checked.business_days, checked.holidays)

    def plan(
        self,
        accounts: Iterable[Account],
        as_of: date,
        rates: Mapping[str, RateTable] | None = None,
    ) -> Plan:
        """Return the plan for *accounts* on *as_of*, with the rate tables *rates*."""
        # The partial plan is this call's own: the global phase may place its actions and set
        # its states' tiers in place rather than copy them.
        return self._combine([self.partition(accounts, as_of, rates)], in_place=True)

    def partition(
        self,
        accounts: Iterable[Account],
        as_of: date,
        rates: Mapping[str, RateTable] | None = None,
    ) -> PartialPlan:
        """Run the per-account phase for a share of the accounts (see the module docstring)."""
        if not isinstance(as_of, date):
            raise DataError.at("as_of", f"expected a datetime.date, got {describe(as_of)}")
        charging = Charging.of(self.policy, rates)
        given = accounts if isinstance(accounts, list | tuple) else list(accounts)
        ordered = sorted(given, key=_ID)
        if any(a.id == b.id for a, b in itertools.pairwise(ordered)):
            _refuse_duplicates(sorted(enumerate(given), key=lambda ia: ia[1].id))
        with decimal.localcontext(MONEY_CONTEXT):
            results = tuple(self._planned(acct, as_of, charging) for acct in ordered)
        return PartialPlan(as_of, self.policy.checked.name, results)

    def combine(self, partials: Iterable[PartialPlan]) -> Plan:
        """Run the global phase (tiers, order, capacity) over the partial plans of all shares.

        The shares must be of one date and one policy, and no account may be in two of them.
        """
        return self._combine(partials, in_place=False)

    def _combine(self, partials: Iterable[PartialPlan], *, in_place: bool) -> Plan:
        shares = list(partials)
        if not shares:
            raise DataError.at("partials", "no partial plans to combine")
        as_of, name = shares[0].as_of, self.policy.checked.name
        for i, share in enumerate(shares):
            if share.as_of != as_of:
                raise DataError.at(
                    f"partials[{i}]", f"planned as of {share.as_of}, the first as of {as_of}"
                )
            if share.policy != name:
                raise DataError.at(
                    f"partials[{i}]", f"planned with policy {share.policy!r}, not {name!r}"
                )
        results = sorted((r for s in shares for r in s.accounts), key=lambda r: r.state.account)
        seen = [r.state.account for r in results]
        twice = sorted({a for a, b in itertools.pairwise(seen) if a == b})
        if twice:
            raise DataError.at("partials", f"accounts in more than one partition: {twice}")
        with decimal.localcontext(MONEY_CONTEXT):
            tier_of = tiers(self.policy.checked.priority, results)
            actions = order(
                self.policy.checked.priority,
                self.calendar,
                [(r, c) for r in results for c in r.candidates],
                tier_of,
                in_place=in_place,
            )
        states = tuple(
            r.state
            if r.state.error
            else r.state.with_tier(tier_of.get(r.state.account), in_place=in_place)
            for r in results
        )
        return Plan(as_of, self.policy.checked.name, actions, states)

    def account(self, acct: Account, as_of: date, charging: Charging | None = None) -> _AccountPlan:
        """Run the per-account phase for *acct*."""
        if not isinstance(as_of, date):
            raise DataError.at("as_of", f"expected a datetime.date, got {describe(as_of)}")
        with decimal.localcontext(MONEY_CONTEXT):
            return self._planned(acct, as_of, charging)

    def _planned(self, acct: Account, as_of: date, charging: Charging | None) -> _AccountPlan:
        # `account`, with *as_of* checked and under `MONEY_CONTEXT`: what `facts` would do.
        try:
            f = _facts(acct, as_of, DEFAULT_AGING_BOUNDS)
        except ArithmeticError as exc:  # dates beyond the calendar, in the account's data
            return _failed(acct, None, f"cannot work out the account's facts: {exc}")
        if charging is not None:
            try:
                f = charging.facts(f)
            except (DataError, EvaluationError, ArithmeticError) as exc:
                return _failed(acct, f, f"cannot work out the account's charges: {exc}")
        try:
            return self._account(f, as_of, charging)
        except (CurrencyMismatchError, ArithmeticError, EvaluationError) as exc:
            located = exc if isinstance(exc, EvaluationError) else self.policy.locate(f)
            return _failed(
                acct, f, f"cannot evaluate the policy for this account: {located or exc}"
            )

    def _account(
        self,
        f: AccountFacts,
        as_of: date,
        charging: Charging | None,
        given: tuple[CompiledTimeline | None, Position, StandingFields] | None = None,
    ) -> _AccountPlan:
        # *given*: the timeline, position and standing fields, decided already (the columnar
        # engine decides them for a table of accounts at once); only the dressing is left.
        acct, policy = f.account, self.policy
        currency = policy.checked.currency
        if currency is not None and acct.currency != currency:
            raise EvaluationError(
                f"the account is in {acct.currency}, the policy in {currency}: "
                "convert the amounts or use a policy in the account's currency",
                account=acct.id,
            )
        if given is not None:
            tl, position, fields = given
        else:
            fields = standing_fields(policy, f)
            tl = policy.timeline_for(f)
            if tl is None or f.oldest_due is None:
                position = undecided(tl, f)
            else:
                position = decide(tl, f, as_of, self.calendar)
        candidates = dress(position, f, as_of=as_of, policy=policy, calendar=self.calendar)
        if charging is not None:
            candidates = charging.charge(candidates, f)
        state = account_state(tl, position, fields, f.overdue, f.charges)
        # What the explanations trace later is derived again from the account if they need it:
        # a large plan keeps one replay less per account with actions.
        f.forget_replay()
        return _AccountPlan(*fields, state=state, candidates=tuple(candidates))


def account_state(
    tl: CompiledTimeline | None,
    position: Position,
    fields: StandingFields,
    overdue: Money,
    charges: Any = None,
) -> AccountState:
    """Return the state of an account in timeline *tl* at *position*, with its standing."""
    return AccountState(
        account=fields[0],
        timeline=tl.name if tl else None,
        episode_start=position.episode_start,
        day=position.day,
        step_reached=position.stage,
        steps_done=position.steps_done,
        steps_skipped=position.steps_skipped,
        paused_by=position.paused_by,
        next_step=position.next_step,
        next_date=position.next_date,
        priority=fields[1],
        tier=None,
        overdue=overdue,
        notes=position.notes + fields[6],
        cycle_start=position.cycle_start,
        charges=charges,
    )


def _failed(acct: Account, f: AccountFacts | None, message: str) -> _AccountPlan:
    unranked = Standing.unranked(acct.id, acct.currency)
    state = AccountState(
        account=acct.id,
        timeline=None,
        episode_start=None,
        day=None,
        step_reached=None,
        steps_done=(),
        steps_skipped=(),
        paused_by=(),
        next_step=None,
        next_date=None,
        priority=unranked.score,
        tier=None,
        overdue=f.overdue if f is not None else acct.zero(),
        error=message,
    )
    return _AccountPlan(*attrs.astuple(unranked, recurse=False), state=state, candidates=())


def _refuse_duplicates(ordered: list[tuple[int, Account]]) -> None:
    """Refuse accounts that appear more than once, naming where each copy is."""
    problems = [
        Problem(f"[{i}]", f"account {acct.id!r} appears twice (also at [{ordered[k - 1][0]}])")
        for k, (i, acct) in enumerate(ordered)
        if k and ordered[k - 1][1].id == acct.id
    ]
    if problems:
        raise DataError(problems)
