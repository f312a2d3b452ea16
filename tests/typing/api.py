"""The public API as users call it: mypy --strict checks this file (it is not run).

If a public annotation is wrong or too loose, a line here stops type-checking.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import arcollect


def plan_today(policy_path: str, portfolio_path: str) -> list[str]:
    """Plan a portfolio and describe each action in one line."""
    policy: arcollect.Policy = arcollect.load_policy(policy_path)
    accounts: tuple[arcollect.Account, ...] = arcollect.read_portfolio(portfolio_path)
    plan: arcollect.Plan = policy.plan(accounts, as_of=date(2026, 11, 23))
    lines = []
    for action in plan.actions:
        who = action.contact.name if action.contact is not None else "nobody"
        priority: Decimal = action.priority
        lines.append(f"{action.account} {action.step} {action.channel} {who} {priority}")
    state: arcollect.AccountState = plan.states[0]
    lines.append(plan.explain(state.account))
    return lines


def overdue_of(account: arcollect.Account) -> arcollect.Money:
    """Read a fact."""
    facts: arcollect.AccountFacts = arcollect.facts(account, date(2026, 11, 23))
    total: arcollect.Money = facts.overdue + facts.current
    return total - facts.unapplied


def money_rules() -> Decimal:
    """Money arithmetic is typed: money / money is a number, money * number is money."""
    share: Decimal = arcollect.Money(250, "EUR") / arcollect.Money(1000, "EUR")
    doubled: arcollect.Money = arcollect.Money(1, "EUR") * 2
    parts: tuple[arcollect.Money, ...] = doubled.split(3)
    return share + parts[0].amount


def errors() -> str:
    """Errors are catchable by the root class and carry their details."""
    try:
        arcollect.parse_policy('policy "x"\nlet a = overdu', name="x.arc")
    except arcollect.PolicyError as exc:
        return exc.diagnostics[0].message
    try:
        arcollect.parse_portfolio("accounts: [{}]")
    except arcollect.DataError as exc:
        return exc.problems[0].path
    return ""


def interest_owed(policy: arcollect.Policy, account: arcollect.Account, rates_yaml: str) -> str:
    """Plan with rate tables and read the charges."""
    rates: dict[str, arcollect.RateTable] = arcollect.parse_rates(rates_yaml)
    plan: arcollect.Plan = policy.plan([account], as_of=date(2026, 11, 23), rates=rates)
    f: arcollect.AccountFacts = policy.facts(account, date(2026, 11, 23), rates=rates)
    claim: arcollect.Money = f.claim
    fees = [c.amount for a in plan.actions for c in a.charges]
    return f"{f.interest} {f.fees} {claim} {fees}"
