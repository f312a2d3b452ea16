"""Simulation: what a policy would do to cash, DSO and collector hours, under a behaviour model.

`simulate` runs a policy day by day over a portfolio from *start* to *end*: each day it plans,
performs the actions due that day (logged as activities; calls beyond capacity wait, as the plan
defers them), and lets the customers respond as `arcollect.behaviour` models them: invoices paid
(in full, on the day), calls that reach someone and end in a promise, promises kept on their
date or broken. The new payments, promises and activities carry into the next day.

The portfolio is taken as it stood the day before *start*: payments, activities and promises
dated from *start* on are left out (the simulation makes its own), disputes not yet resolved
then stay open; invoices issued later arrive on their issue dates.

Every random draw is a function of (seed, run, account, what is drawn, day), hashed with BLAKE2:
the same seed gives the same bytes on any machine, and two policies simulated with one seed see
the same customers (common random numbers), so `compare` measures the policies, not the luck.

Figures per run: cash collected (in total and by week from *start*), DSO and average days
delinquent at *end* (`arcollect.kpi`, over the simulated period), actions by kind, calls made,
promises made, referrals, and the open amount more than 120 days past due at *end* (at risk
of write-off). Over runs, each figure is given with its 10th, 50th and 90th percentile
(nearest rank).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from arcollect import kpi
from arcollect.behaviour import ASSUMED, BehaviourModel
from arcollect.domain.account import Account
from arcollect.domain.actions import PlanChannel
from arcollect.domain.records import Activity, Outcome, Payment, Promise
from arcollect.errors import ArcollectError, DataError
from arcollect.facts import PromiseStatus, facts

if TYPE_CHECKING:
    from arcollect.policy import Policy

__all__ = ["Comparison", "RunFigures", "SimulationReport", "compare", "simulate"]

#: Days past due beyond which an open amount at the horizon counts as at risk of write-off.
WRITE_OFF_DAYS = 120

_FIGURES = ("cash", "dso", "add", "actions", "calls", "promises", "referrals", "at_risk")


def _uniform(seed: int, run: int, *keys: object) -> float:
    """Return a draw in [0, 1) set by its keys alone (the same on every machine)."""
    text = "\x1f".join(str(k) for k in (seed, run, *keys)).encode("utf-8")
    digest = hashlib.blake2b(text, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@attrs.frozen
class RunFigures:
    """What one run of a simulation gave."""

    cash: Decimal
    cash_by_week: tuple[Decimal, ...]
    dso: Decimal | None
    add: Decimal | None
    actions: tuple[tuple[str, int], ...]
    calls: int
    promises: int
    referrals: int
    at_risk: Decimal

    def value(self, name: str) -> Decimal | None:
        """Return the figure *name* (one of the report's figures) as a Decimal."""
        if name == "actions":
            return Decimal(sum(n for _, n in self.actions))
        raw = getattr(self, name)
        return raw if raw is None or isinstance(raw, Decimal) else Decimal(raw)


def _quantile(values: Sequence[Decimal], q: float) -> Decimal:
    ordered = sorted(values)
    k = max(0, math.ceil(q * len(ordered)) - 1)
    return ordered[k]


def spread(values: Iterable[Decimal | None]) -> tuple[Decimal, Decimal, Decimal] | None:
    """Return the 10th, 50th and 90th percentiles (nearest rank) of *values*; None if none."""
    present = [v for v in values if v is not None]
    if not present:
        return None
    return (_quantile(present, 0.1), _quantile(present, 0.5), _quantile(present, 0.9))


def _fmt(value: Decimal, places: str = "0.01") -> str:
    return f"{value.quantize(Decimal(places)):,}"


@attrs.frozen
class SimulationReport:
    """The runs of a simulation of *policy* from *start* to *end* (see the module docstring)."""

    policy: str
    start: date
    end: date
    seed: int
    currency: str
    model: str
    assumed: tuple[str, ...]
    runs: tuple[RunFigures, ...]

    def spread(self, name: str) -> tuple[Decimal, Decimal, Decimal] | None:
        """Return the 10th, 50th and 90th percentile over the runs of figure *name*."""
        return spread(r.value(name) for r in self.runs)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data (Decimals as strings)."""
        figures = {}
        for name in _FIGURES:
            s = self.spread(name)
            figures[name] = (
                None if s is None else {"p10": str(s[0]), "p50": str(s[1]), "p90": str(s[2])}
            )
        weeks = max((len(r.cash_by_week) for r in self.runs), default=0)
        by_week = []
        for w in range(weeks):
            s = spread(r.cash_by_week[w] for r in self.runs if w < len(r.cash_by_week))
            if s is not None:
                by_week.append(
                    {"week": w + 1, "p10": str(s[0]), "p50": str(s[1]), "p90": str(s[2])}
                )
        kinds = sorted({k for r in self.runs for k, _ in r.actions})
        actions = {}
        for kind in kinds:
            s = spread(Decimal(dict(r.actions).get(kind, 0)) for r in self.runs)
            assert s is not None  # noqa: S101 - every run counts every kind
            actions[kind] = {"p10": str(s[0]), "p50": str(s[1]), "p90": str(s[2])}
        return {
            "policy": self.policy,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "runs": len(self.runs),
            "seed": self.seed,
            "currency": self.currency,
            "model": self.model,
            "assumed": list(self.assumed),
            "figures": figures,
            "cash_by_week": by_week,
            "actions_by_kind": actions,
        }

    def to_json(self) -> str:
        """Return the report as JSON text: the same bytes for the same seed."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def render(self) -> str:
        """Return the report as text for a terminal."""
        lines = [
            (
                f"simulation of {self.policy}, {self.start} to {self.end}: "
                f"{len(self.runs)} runs, seed {self.seed}, {self.model}"
            ),
            f"  assumed, not measured: {', '.join(self.assumed) or 'nothing'}",
            "  figure (10th / 50th / 90th percentile over runs)",
        ]
        labels = {
            "cash": f"cash collected ({self.currency})",
            "dso": "DSO at the end (days)",
            "add": "average days delinquent at the end",
            "actions": "actions",
            "calls": "calls made",
            "promises": "promises made",
            "referrals": "referrals",
            "at_risk": f"open > {WRITE_OFF_DAYS} days past due at the end ({self.currency})",
        }
        for name in _FIGURES:
            s = self.spread(name)
            text = "n/a" if s is None else " / ".join(_fmt(v, "0.1") for v in s)
            lines.append(f"  {labels[name]}: {text}")
        return "\n".join(lines) + "\n"


def simulate(
    policy: Policy,
    accounts: Iterable[Account],
    *,
    start: date,
    end: date,
    model: BehaviourModel,
    runs: int = 10,
    seed: int = 0,
) -> SimulationReport:
    """Simulate *policy* on *accounts* from *start* to *end* (inclusive), *runs* times."""
    if end < start:
        raise DataError.at("end", f"the simulation ends ({end}) before it starts ({start})")
    if runs < 1:
        raise DataError.at("runs", f"expected at least one run, got {runs}")
    portfolio = [_as_of_start(a, start) for a in accounts]
    currencies = {a.currency for a in portfolio}
    if len(currencies) > 1:
        raise DataError.at(
            "accounts", f"one currency a simulation, got {', '.join(sorted(currencies))}"
        )
    currency = currencies.pop() if currencies else (policy.checked.currency or "EUR")
    figures = tuple(_run(policy, portfolio, start, end, model, seed, run) for run in range(runs))
    measured_kinds = sorted(
        m.removeprefix("actions.") for m in model.measured if m.startswith("actions.")
    )
    assumed = tuple(
        (f"actions (but {', '.join(measured_kinds)})" if n == "actions" and measured_kinds else n)
        for n in ASSUMED
        if n not in model.measured
    )
    return SimulationReport(policy.name, start, end, seed, currency, model.source, assumed, figures)


def _as_of_start(acct: Account, start: date) -> Account:
    """Return the account as it stood the day before *start*."""
    return attrs.evolve(
        acct,
        payments=[p for p in acct.payments if p.date < start],
        activities=[a for a in acct.activities if a.date < start],
        promises=[p for p in acct.promises if p.made_on < start],
        disputes=[
            d if d.resolved is None or d.resolved < start else attrs.evolve(d, resolved=None)
            for d in acct.disputes
            if d.opened < start
        ],
    )


_REFERRALS = frozenset({"refer_agency", "refer_attorney"})


def _run(  # noqa: PLR0917 - a private helper with one caller
    policy: Policy,
    portfolio: list[Account],
    start: date,
    end: date,
    model: BehaviourModel,
    seed: int,
    run: int,
) -> RunFigures:
    state = {a.id: a for a in portfolio}
    cash = Decimal(0)
    weekly: list[Decimal] = []
    kinds: Counter[str] = Counter()
    calls = promises = referrals = 0
    day = start
    while day <= end:
        week = (day - start).days // 7
        if week >= len(weekly):
            weekly.append(Decimal(0))
        plan = policy.plan(list(state.values()), as_of=day)
        done: dict[str, list[Activity]] = {}
        new_promises: dict[str, list[Promise]] = {}
        for act in plan.actions:
            if act.due != day:
                continue  # deferred by capacity, or rolled to the next business day
            kinds[str(act.action)] += 1
            outcome = None
            if act.channel is PlanChannel.CALL:
                calls += 1
                reached = _uniform(seed, run, act.account, "reach", day) < model.call_reach
                outcome = Outcome.REACHED if reached else Outcome.NO_ANSWER
                if (
                    reached
                    and _uniform(seed, run, act.account, "promise", day) < model.promise_rate
                ):
                    overdue = facts(state[act.account], day).overdue
                    if overdue.amount > 0:
                        promises += 1
                        outcome = Outcome.PROMISE
                        due = day + timedelta(days=model.promise_days)
                        new_promises.setdefault(act.account, []).append(Promise(day, overdue, due))
            if str(act.action) in _REFERRALS:
                referrals += 1
            done.setdefault(act.account, []).append(
                Activity(
                    day,
                    act.logged_channel,
                    step=act.step,
                    timeline=act.timeline,
                    invoice=act.invoice,
                    outcome=outcome,
                    contact=act.contact.name if act.contact else None,
                )
            )
        for aid, acct in list(state.items()):
            paid = _respond(acct, day, model, seed, run)
            if aid in done or aid in new_promises or paid:
                state[aid] = attrs.evolve(
                    acct,
                    activities=[*acct.activities, *done.get(aid, ())],
                    promises=[*acct.promises, *new_promises.get(aid, ())],
                    payments=[*acct.payments, *paid],
                )
                amount = sum((p.amount.amount for p in paid), Decimal(0))
                cash += amount
                weekly[week] += amount
        day += timedelta(days=1)
    final = list(state.values())
    report = kpi.report(final, end, (end - start).days + 1) if final else None
    dso = add = None
    if report is not None and report.figures:
        fig = report.figures[0]
        dso, add = fig.dso, fig.average_days_delinquent
    at_risk = Decimal(0)
    for acct in final:
        f = facts(acct, end)
        at_risk += sum(
            (i.open.amount for i in f.invoices if i.days_past_due > WRITE_OFF_DAYS), Decimal(0)
        )
    return RunFigures(
        cash=cash,
        cash_by_week=tuple(weekly),
        dso=dso,
        add=add,
        actions=tuple(sorted(kinds.items())),
        calls=calls,
        promises=promises,
        referrals=referrals,
        at_risk=at_risk,
    )


def _respond(acct: Account, day: date, model: BehaviourModel, seed: int, run: int) -> list[Payment]:
    """Return the payments the customer of *acct* makes on *day* (drawn from the model)."""
    f = facts(acct, day)
    if not f.invoices:
        return []
    promise = f.promise
    due_today = (
        promise is not None and promise.status is PromiseStatus.OPEN and promise.deadline == day
    )
    if due_today and _uniform(seed, run, acct.id, "keep", day) < model.promise_kept:
        return [
            Payment(day, inv.open, applies_to=(inv.number,))
            for inv in f.invoices
            if inv.overdue and inv.open.amount > 0
        ]
    since = day - timedelta(days=model.effect_days)
    strongest: str | None = None
    best = 1.0
    for a in f.activities:
        if since <= a.date < day:
            effect = model.actions.get(str(a.channel), 1.0)
            if effect > best:
                strongest, best = str(a.channel), effect
    disputed = {n for d in f.open_disputes for n in d.invoices}
    out = []
    for inv in f.invoices:
        if inv.open.amount <= 0:
            continue
        p = model.probability(
            acct.id, (day - inv.due).days, disputed=inv.number in disputed, action=strongest
        )
        if _uniform(seed, run, acct.id, inv.number, day) < p:
            out.append(Payment(day, inv.open, applies_to=(inv.number,)))
    return out


@attrs.frozen
class Comparison:
    """Two policies simulated with common random numbers: *a*, *b*, and their paired differences."""

    a: SimulationReport
    b: SimulationReport

    def difference(self, name: str) -> tuple[Decimal, Decimal, Decimal] | None:
        """Return the spread over paired runs of (B - A) for figure *name*."""
        pairs = [
            (x.value(name), y.value(name)) for x, y in zip(self.a.runs, self.b.runs, strict=True)
        ]
        return spread(yb - xa for xa, yb in pairs if xa is not None and yb is not None)

    def relative(self, name: str) -> tuple[Decimal, Decimal, Decimal] | None:
        """Return the spread over paired runs of (B - A) / A for figure *name*, in percent."""
        pairs = [
            (x.value(name), y.value(name)) for x, y in zip(self.a.runs, self.b.runs, strict=True)
        ]
        return spread((yb - xa) / xa * 100 for xa, yb in pairs if xa and yb is not None)

    def verdict(self) -> str:
        """Say the comparison plainly: cash by the horizon, for how many more calls."""
        days = (self.a.end - self.a.start).days + 1
        cash = self.relative("cash")
        calls = self.relative("calls")
        if cash is None:
            return f"neither policy collected anything in {days} days"
        lo, mid, hi = cash
        word = "more" if mid >= 0 else "less"
        text = (
            f"{self.b.policy} collects {abs(mid):.1f} % {word} cash by day {days} "
            f"({lo:.1f} % to {hi:.1f} %)"
        )
        if calls is not None:
            c = calls[1]
            text += f" for {abs(c):.0f} % {'more' if c >= 0 else 'fewer'} calls"
        else:
            extra = self.difference("calls")
            if extra is not None:
                text += f" with {extra[1]:+} calls"
        return text + f" than {self.a.policy}"

    def to_dict(self) -> dict[str, Any]:
        """Return the comparison as JSON-ready data."""
        diffs = {}
        for name in _FIGURES:
            s = self.difference(name)
            diffs[name] = (
                None if s is None else {"p10": str(s[0]), "p50": str(s[1]), "p90": str(s[2])}
            )
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "b_minus_a": diffs,
            "verdict": self.verdict(),
        }

    def to_json(self) -> str:
        """Return the comparison as JSON text."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    def render(self) -> str:
        """Return the comparison as text for a terminal."""
        lines = [self.verdict(), "  B - A (10th / 50th / 90th percentile over paired runs)"]
        for name in _FIGURES:
            s = self.difference(name)
            text = "n/a" if s is None else " / ".join(_fmt(v, "0.1") for v in s)
            lines.append(f"  {name}: {text}")
        return "\n".join(lines) + "\n" + self.a.render() + self.b.render()


def compare(
    a: Policy,
    b: Policy,
    accounts: Iterable[Account],
    *,
    start: date,
    end: date,
    model: BehaviourModel,
    runs: int = 10,
    seed: int = 0,
) -> Comparison:
    """Simulate policies *a* and *b* with the same customer draws, and compare them run by run."""
    portfolio = list(accounts)
    if not portfolio:
        raise ArcollectError("nothing to compare: the portfolio has no accounts")
    return Comparison(
        simulate(a, portfolio, start=start, end=end, model=model, runs=runs, seed=seed),
        simulate(b, portfolio, start=start, end=end, model=model, runs=runs, seed=seed),
    )
