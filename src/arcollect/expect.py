"""Policy tests: the ``expect`` blocks of a rule file, run against the policy itself.

Each block describes a small account and a date, and what the plan must say about it. Steps
listed as ``done`` are logged as carried out on their own day of the episode (counted from the
oldest invoice's due date), as a collector following the policy would have done them.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import attrs

from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import (
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Invoice,
    Outcome,
    Payment,
    Promise,
)
from arcollect.engine.model import Plan
from arcollect.errors import DataError
from arcollect.facts import facts
from arcollect.lang import ast
from arcollect.lang.runtime import end_of_month

if TYPE_CHECKING:
    from arcollect.policy import Policy

__all__ = ["CaseResult", "TestReport", "expect_account", "run_expects"]

_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@attrs.frozen
class CaseResult:
    """The outcome of one ``expect`` block: *failures* says what the plan got wrong."""

    name: str
    failures: tuple[str, ...]
    plan: Plan

    @property
    def passed(self) -> bool:
        """Whether the plan said everything the block expects."""
        return not self.failures


@attrs.frozen
class TestReport:
    """The outcome of all ``expect`` blocks of a policy, and what no block exercised."""

    cases: tuple[CaseResult, ...]
    untested_steps: tuple[str, ...]
    untested_channel_rules: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """Whether every case passed."""
        return all(c.passed for c in self.cases)


def _money(lit: ast.MoneyLit) -> Money:
    return Money(lit.amount, lit.currency)


def _attr_value(node: ast.Expr) -> Any:
    if isinstance(node, ast.StringLit):
        return node.value
    if isinstance(node, ast.Name):
        return node.dotted
    if isinstance(node, ast.MoneyLit):
        return _money(node)
    if isinstance(node, ast.DurationLit):
        return node.days
    if isinstance(node, ast.NumberLit):
        return node.value
    if isinstance(node, ast.DateLit):
        return node.value
    raise TypeError(f"unexpected attribute value {node!r}")  # pragma: no cover - checked


def expect_account(block: ast.Expect, policy: Policy) -> Account:
    """Build the account an ``expect`` block describes."""
    fields: dict[str, Any] = {}
    for attr in block.account.attributes:
        values = [_attr_value(v) for v in attr.values]
        fields[attr.key] = frozenset(values) if attr.key == "tags" else values[0]
    records = block.account.records
    amounts = [r.amount for r in records if isinstance(r, ast.InvoiceRecord | ast.PaymentRecord)]
    currency = fields.pop("currency", None) or (
        amounts[0].currency if amounts else policy.checked.currency or "EUR"
    )
    invoices: list[Invoice] = []
    payments: list[Payment] = []
    promises: list[Promise] = []
    disputes: list[Dispute] = []
    contacts: list[Contact] = []
    activities: list[Activity] = []
    done: list[str] = []
    for rec in records:
        if isinstance(rec, ast.InvoiceRecord):
            number = rec.number or f"INV-{len(invoices) + 1}"
            issued = rec.issued or rec.due - timedelta(days=30)
            invoices.append(
                Invoice(
                    number, issued=issued, due=rec.due, amount=_money(rec.amount), po_number=rec.po
                )
            )
        elif isinstance(rec, ast.PaymentRecord):
            payments.append(Payment(rec.paid_on, _money(rec.amount)))
        elif isinstance(rec, ast.PromiseRecord):
            promises.append(Promise(rec.made, _money(rec.amount), rec.due))
        elif isinstance(rec, ast.DisputeRecord):
            reason = DisputeReason(rec.reason) if rec.reason else DisputeReason.UNSPECIFIED
            disputes.append(Dispute(rec.opened, reason, amount=_money(rec.amount)))
        elif isinstance(rec, ast.ContactRecord):
            contacts.append(Contact(rec.name, roles=frozenset({rec.role})))
        elif isinstance(rec, ast.DoneRecord):
            done += rec.steps
        elif isinstance(rec, ast.LastContactRecord):
            activities.append(Activity(rec.on, Channel(rec.channel), outcome=Outcome(rec.outcome)))
    if "terms" in fields:
        fields["terms"] = int(fields["terms"])
    if "risk" in fields:
        fields["risk"] = Decimal(fields["risk"])
    base = Account(
        fields.pop("id", "EXPECT"),
        currency,
        invoices=invoices,
        payments=payments,
        promises=promises,
        disputes=disputes,
        contacts=contacts,
        activities=activities,
        **fields,
    )
    return _with_done_steps(base, done, block, policy) if done else base


def _with_done_steps(base: Account, done: list[str], block: ast.Expect, policy: Policy) -> Account:
    """Log the steps of a ``done`` line on their own day of the account's current episode.

    Each is logged as the step of the timeline this account follows (two timelines may have
    steps of one name), on its day but before the block's date.
    """
    f = facts(base, block.as_of)
    with decimal.localcontext(MONEY_CONTEXT):
        compiled = policy.compiled.timeline_for(f)
    timeline = compiled.timeline if compiled else None
    own = {s.name: s for s in timeline.steps} if timeline else {}
    anywhere = {s.name: s for t in policy.checked.timelines for s in t.steps}
    anchor = (
        f.delinquent_since - timedelta(days=1)
        if f.delinquent_since
        else (f.oldest_due or block.as_of)
    )
    activities = list(base.activities)
    logged: dict[str, date] = {}
    for name in done:
        step = own.get(name) or anywhere[name]
        offset = timedelta(days=step.day)
        if step.anchor == "due_eom":
            day = end_of_month(anchor + offset)
        elif step.anchor == "issue" and f.invoices:
            day = f.invoices[0].issued + offset
        elif step.anchor == "step":  # after its predecessor, as logged on this line or before
            day = logged.get(step.after or "", anchor) + offset
        else:
            day = anchor + offset
        when = min(day, block.as_of - timedelta(days=1))
        logged[name] = when
        activities.append(
            Activity(
                when,
                step.action.logged_channel,
                step=name,
                timeline=timeline.name if timeline else None,
            )
        )
    return attrs.evolve(base, activities=activities)


def _check(block: ast.Expect, plan: Plan, account_id: str) -> list[str]:
    actions = plan.actions_for(account_id)
    state = plan.state(account_id)
    failures = []
    got = ", ".join(f"{a.step} ({a.action})" for a in actions) or "no action"
    for item in block.then:
        if isinstance(item, ast.ThenNoAction) and actions:
            failures.append(f"expected no action, got {got}")
        elif isinstance(item, ast.ThenStep) and not any(a.step == item.name for a in actions):
            failures.append(f"expected step {item.name}, got {got}")
        elif isinstance(item, ast.ThenAction) and not any(a.action == item.kind for a in actions):
            failures.append(f"expected action {item.kind}, got {got}")
        elif isinstance(item, ast.ThenChannel) and not any(
            a.channel == item.channel for a in actions
        ):
            channels = ", ".join(a.channel for a in actions) or "no action"
            failures.append(f"expected channel {item.channel}, got {channels}")
        elif isinstance(item, ast.ThenTier) and state.tier != item.name:
            failures.append(f"expected tier {item.name}, got {state.tier}")
        elif isinstance(item, ast.ThenPriority) and not _COMPARE[item.op](
            state.priority, item.value
        ):
            failures.append(f"expected priority {item.op} {item.value}, got {state.priority}")
    if state.error:
        failures.append(state.error)
    return failures


def run_expects(policy: Policy, *, rates: Mapping[str, RateTable] | None = None) -> TestReport:
    """Run every ``expect`` block of *policy*; report results and coverage.

    *rates* are the rate tables the policy's charges need (see `Policy.plan`).
    """
    cases = []
    reached: set[tuple[str | None, str]] = set()
    rules_used: set[int] = set()
    for block in policy.checked.expects:
        try:
            account = expect_account(block, policy)
        except DataError as exc:  # this case fails; the others still run
            empty = Plan(block.as_of, policy.name, (), ())
            cases.append(CaseResult(block.name, (f"the account is not valid: {exc}",), empty))
            continue
        except OverflowError:  # a date of the block runs past the ends of the calendar
            empty = Plan(block.as_of, policy.name, (), ())
            why = "the account is not valid: its dates run past 0001-01-01 or 9999-12-31"
            cases.append(CaseResult(block.name, (why,), empty))
            continue
        plan = policy.plan([account], as_of=block.as_of, rates=rates)
        cases.append(CaseResult(block.name, tuple(_check(block, plan, account.id)), plan))
        for act in plan.actions:
            reached.add((act.timeline, act.step))
            if act.channel_rule is not None:
                rules_used.add(act.channel_rule)
        state = plan.state(account.id)
        if state.step_reached:
            reached.add((state.timeline, state.step_reached))
    untested = tuple(
        f"{t.name}.{s.name}"
        for t in policy.checked.timelines
        for s in t.steps
        if (t.name, s.name) not in reached
    )
    rules = tuple(
        r.channel + (" otherwise" if r.condition is None else f" when {r.condition.text}")
        for k, r in enumerate(policy.checked.channel)
        if k not in rules_used
    )
    return TestReport(tuple(cases), untested, rules)
