"""Back-tests: replay history day by day under a policy, as if collectors had followed it.

`backtest` plans every day from *start* to *end*: each action due that day is logged on its
account as an activity (so the next day's plan knows it was done), while the invoices,
payments and disputes arrive as the history says they did. The report counts, per step, how
many actions fired and on how many accounts, and how many of the invoices falling due in the
period were paid before the account would have reached the step (their days past due at
payment were fewer than the step's day): how much of the work each step's timing leaves to
customers who pay anyway.

Deterministic and pure: the same policy, accounts and dates give the same report.
"""

from __future__ import annotations

import html
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta
from typing import TYPE_CHECKING

import attrs

from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.records import Activity
from arcollect.errors import DataError
from arcollect.facts import paid_off

if TYPE_CHECKING:
    from arcollect.policy import Policy

__all__ = ["BacktestReport", "StepStats", "backtest"]


@attrs.frozen
class StepStats:
    """What one step did over a back-test."""

    timeline: str | None
    step: str
    day: int | None
    actions: int
    accounts: int
    paid_before: int


@attrs.frozen
class BacktestReport:
    """The outcome of a back-test: per-step statistics and totals."""

    policy: str
    start: date
    end: date
    days: int
    accounts: int
    invoices_due: int
    steps: tuple[StepStats, ...]
    actions: int

    def __repr__(self) -> str:
        return (
            f"<BacktestReport {self.policy!r} {self.start} to {self.end}: {self.actions} actions, "
            f"{len(self.steps)} steps, {self.accounts} accounts>"
        )

    def _repr_html_(self) -> str:
        esc = html.escape
        return f"<p>{esc(repr(self))}</p><pre>{esc(self.render())}</pre>"

    def render(self) -> str:
        """Return the report as a text table."""
        head = ("timeline", "step", "day", "actions", "accounts", "paid before")
        rows = [head]
        for s in self.steps:
            day = "-" if s.day is None else str(s.day)
            rows.append(
                (
                    s.timeline or "-",
                    s.step,
                    day,
                    str(s.actions),
                    str(s.accounts),
                    "-"
                    if s.day is None
                    else f"{s.paid_before} ({_share(s.paid_before, self.invoices_due)})",
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(len(head))]
        lines = [
            "  ".join(
                cell.rjust(widths[c]) if c >= 2 else cell.ljust(widths[c])
                for c, cell in enumerate(r)
            ).rstrip()
            for r in rows
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        title = (
            f'Back-test of "{self.policy}", {self.start} to {self.end} ({self.days} days): '
            f"{self.accounts} accounts, {self.invoices_due:,} invoices falling due, "
            f"{self.actions:,} actions"
        )
        return "\n".join([title, "", *lines]) + "\n"


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def backtest(
    policy: Policy,
    accounts: Sequence[Account],
    start: date,
    end: date,
    *,
    rates: Mapping[str, RateTable] | None = None,
) -> BacktestReport:
    """Replay *accounts* under *policy* each day from *start* to *end* (inclusive).

    Each action due that day is logged as done (`PlannedAction.logged`: its step, and the fees
    it charges); *rates* are the rate tables the policy's charges need.
    """
    if end < start:
        raise DataError.at("end", f"the back-test ends ({end}) before it starts ({start})")
    logs: dict[str, list[Activity]] = {a.id: list(a.activities) for a in accounts}
    fired: Counter[tuple[str | None, str]] = Counter()
    reached: dict[tuple[str | None, str], set[str]] = defaultdict(set)
    day = start
    days = 0
    while day <= end:
        current = [attrs.evolve(a, activities=logs[a.id]) for a in accounts]
        plan = policy.plan(current, as_of=day, rates=rates)
        for act in plan.actions:
            if act.due != day:
                continue  # rolled to a later business day: it is planned again then
            logs[act.account].extend(act.logged(day))  # the step, and any fees it charged
            fired[(act.timeline, act.step)] += 1
            reached[(act.timeline, act.step)].add(act.account)
        day += timedelta(days=1)
        days += 1
    due = [
        (a.id, inv)
        for a in accounts
        for inv in a.invoices
        if start <= inv.due <= end and not inv.is_credit_note
    ]
    paid_at = _paid_days_past_due(accounts, end)
    stats = []
    known: set[tuple[str | None, str]] = set()
    for t in policy.checked.timelines:
        for s in t.steps:
            key = (t.name, s.name)
            known.add(key)
            paid_before = sum(
                1 for acct_id, inv in due if paid_at.get((acct_id, inv.number), s.day) < s.day
            )
            stats.append(
                StepStats(t.name, s.name, s.day, fired[key], len(reached[key]), paid_before)
            )
    stats.extend(
        StepStats(key[0], key[1], None, fired[key], len(reached[key]), 0)
        for key in sorted(set(fired) - known, key=lambda k: (k[0] or "", k[1]))
    )
    return BacktestReport(
        policy=policy.name,
        start=start,
        end=end,
        days=days,
        accounts=len(accounts),
        invoices_due=len(due),
        steps=tuple(stats),
        actions=sum(fired.values()),
    )


def _paid_days_past_due(accounts: Iterable[Account], end: date) -> dict[tuple[str, str], int]:
    """Days past due at which each invoice, by (account, number), was paid off by *end*."""
    out: dict[tuple[str, str], int] = {}
    for acct in accounts:
        due = {inv.number: inv.due for inv in acct.invoices}
        for number, day in paid_off(acct, end).items():
            out[(acct.id, number)] = (day - due[number]).days
    return out
