"""Policy tests: the ``expect`` blocks of a rule file, run against the policy itself.

Each block describes a small account (or a small portfolio of named accounts, planned
together, so that tiers, call capacity and the order of the plan can be tested) and a date, and
what the plan must say about each. Steps listed as ``done`` are logged as carried out on their
own day of the episode (counted from the oldest invoice's due date), as a collector following
the policy would have done them.

Each ``then`` item holds when *some* action of its account says it (``step first_call``,
``owner "Lena Vogt"``, ``deferred``); ``no action``, ``no approval``, ``no owner`` and
``not deferred`` when *no* action contradicts them; ``tier`` and ``priority`` are about the
account; ``order "a", "b"`` about the plan: the accounts' first actions come in this order.
"""

from __future__ import annotations

import decimal
import operator
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, assert_never

import attrs

from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import (
    Activity,
    Channel,
    Collector,
    Contact,
    Dispute,
    DisputeReason,
    Invoice,
    Outcome,
    Payment,
    Promise,
)
from arcollect.engine.model import Plan, PlannedAction
from arcollect.errors import DataError
from arcollect.facts import facts
from arcollect.lang import ast
from arcollect.lang.runtime import end_of_month

if TYPE_CHECKING:
    from arcollect.policy import Policy

__all__ = ["CaseResult", "TestReport", "expect_account", "expect_accounts", "run_expects"]

#: The id of the account of a block whose one account has neither a name nor an ``id``.
DEFAULT_ID = "EXPECT"

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
    #: The ``assign`` rules that gave no action of any case its owner.
    untested_assign_rules: tuple[str, ...] = ()

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
    """Build the (first) account an ``expect`` block describes."""
    return _build(block.account, block, policy)


def expect_accounts(block: ast.Expect, policy: Policy) -> tuple[Account, ...]:
    """Build every account an ``expect`` block describes, in the order written."""
    return tuple(_build(acct, block, policy) for acct in block.accounts)


def _build(spec: ast.ExpectAccount, block: ast.Expect, policy: Policy) -> Account:
    fields: dict[str, Any] = {}
    for attr in spec.attributes:
        values = [_attr_value(v) for v in attr.values]
        fields[attr.key] = frozenset(values) if attr.key == "tags" else values[0]
    if spec.name is not None:
        fields["id"] = spec.name
    if "collector" in fields:
        fields["collector"] = Collector(fields["collector"])
    records = spec.records
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
            contacts.append(
                Contact(rec.name, roles=frozenset({rec.role}), email=rec.email, phone=rec.phone)
            )
        elif isinstance(rec, ast.DoneRecord):
            done += rec.steps
        elif isinstance(rec, ast.LastContactRecord):
            activities.append(Activity(rec.on, Channel(rec.channel), outcome=Outcome(rec.outcome)))
    if "terms" in fields:
        fields["terms"] = int(fields["terms"])
    if "risk" in fields:
        fields["risk"] = Decimal(fields["risk"])
    base = Account(
        fields.pop("id", DEFAULT_ID),
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


def _got(actions: tuple[PlannedAction, ...]) -> str:
    return ", ".join(f"{a.step} ({a.action})" for a in actions) or "no action"


def _failure(item: ast.ThenItem, plan: Plan, account_id: str) -> str | None:
    """Return what the plan got wrong about *item* for *account_id*, or None."""
    actions = plan.actions_for(account_id)
    state = plan.state(account_id)
    got = _got(actions)
    match item:
        case ast.ThenNoAction():
            return f"expected no action, got {got}" if actions else None
        case ast.ThenStep():
            ok = any(a.step == item.name for a in actions)
            return None if ok else f"expected step {item.name}, got {got}"
        case ast.ThenAction():
            ok = any(a.action == item.kind for a in actions)
            return None if ok else f"expected action {item.kind}, got {got}"
        case ast.ThenChannel():
            if any(a.channel == item.channel for a in actions):
                return None
            channels = ", ".join(a.channel for a in actions) or "no action"
            return f"expected channel {item.channel}, got {channels}"
        case ast.ThenTier():
            return (
                None if state.tier == item.name else f"expected tier {item.name}, got {state.tier}"
            )
        case ast.ThenPriority():
            if _COMPARE[item.op](state.priority, item.value):
                return None
            return f"expected priority {item.op} {item.value}, got {state.priority}"
        case ast.ThenApproval():
            roles = [a.needs_approval for a in actions if a.needs_approval]
            if item.role is None:
                return (
                    f"expected no approval, got approval by {', '.join(roles)}" if roles else None
                )
            if item.role in roles:
                return None
            return f"expected approval by {item.role}, got " + (
                f"approval by {', '.join(roles)}" if roles else f"none ({got})"
            )
        case ast.ThenContact():
            contacts = [a.contact for a in actions if a.contact is not None]
            if any(c.name == item.name or (item.role and c.role == item.role) for c in contacts):
                return None
            wanted = f'"{item.name}"' if item.name is not None else str(item.role)
            shown = ", ".join(f"{c.name} ({c.role or '-'})" for c in contacts) or "no contact"
            return f"expected contact {wanted}, got {shown}"
        case ast.ThenOwner():
            owners = sorted({a.owner or "" for a in actions} - {""})
            if item.owner is None:
                return f"expected no owner, got {', '.join(owners)}" if owners else None
            if item.owner in owners:
                return None
            return f'expected owner "{item.owner}", got ' + (", ".join(owners) or "no owner")
        case ast.ThenDeferred():
            deferred = [a.step for a in actions if a.deferred]
            if item.deferred and not deferred:
                return f"expected a deferred action, got {got}, none deferred"
            if not item.deferred and deferred:
                return f"expected nothing deferred, got {', '.join(deferred)} deferred"
            return None
        case ast.ThenOrder():
            return _order_failure(item, plan)
        case _:  # pragma: no cover - exhaustive
            assert_never(item)


def _order_failure(item: ast.ThenOrder, plan: Plan) -> str | None:
    first: dict[str, int] = {}
    for k, act in enumerate(plan.actions):
        first.setdefault(act.account, k)
    missing = [name for name in item.accounts if name not in first]
    wanted = ", ".join(f'"{n}"' for n in item.accounts)
    if missing:
        return (
            f"expected order {wanted}, but "
            + ", ".join(f'"{n}"' for n in missing)
            + (" has no action" if len(missing) == 1 else " have no action")
        )
    actual = sorted(item.accounts, key=first.__getitem__)
    if actual == list(item.accounts):
        return None
    return f"expected order {wanted}, got " + ", ".join(f'"{n}"' for n in actual)


def _check(block: ast.Expect, plan: Plan, ids: tuple[str, ...]) -> list[str]:
    """Return what the plan got wrong about *block*, whose accounts have the ids *ids*."""
    named = len(ids) > 1 or block.account.name is not None
    failures = []
    for item in block.then:
        account_id = item.account if item.account is not None else ids[0]
        found = _failure(item, plan, account_id)
        if found is not None:
            about = f'"{account_id}": ' if named and not isinstance(item, ast.ThenOrder) else ""
            failures.append(about + found)
    for account_id in ids:
        error = plan.state(account_id).error
        if error:
            failures.append(f'"{account_id}": {error}' if named else error)
    return failures


def run_expects(policy: Policy, *, rates: Mapping[str, RateTable] | None = None) -> TestReport:
    """Run every ``expect`` block of *policy*; report results and coverage.

    *rates* are the rate tables the policy's charges need (see `Policy.plan`).
    """
    cases = []
    reached: set[tuple[str | None, str]] = set()
    rules_used: set[int] = set()
    owner_rules_used: set[int] = set()
    for block in policy.checked.expects:
        try:
            accounts = expect_accounts(block, policy)
        except DataError as exc:  # this case fails; the others still run
            empty = Plan(block.as_of, policy.name, (), ())
            cases.append(CaseResult(block.name, (f"the account is not valid: {exc}",), empty))
            continue
        except OverflowError:  # a date of the block runs past the ends of the calendar
            empty = Plan(block.as_of, policy.name, (), ())
            why = "the account is not valid: its dates run past 0001-01-01 or 9999-12-31"
            cases.append(CaseResult(block.name, (why,), empty))
            continue
        plan = policy.plan(accounts, as_of=block.as_of, rates=rates)
        ids = tuple(a.id for a in accounts)
        cases.append(CaseResult(block.name, tuple(_check(block, plan, ids)), plan))
        for act in plan.actions:
            reached.add((act.timeline, act.step))
            if act.channel_rule is not None:
                rules_used.add(act.channel_rule)
            if act.owner_rule is not None:
                owner_rules_used.add(act.owner_rule)
        for state in plan.states:
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
    owners = tuple(
        f"assign {r.owner.text} "
        + ("otherwise" if r.condition is None else f"when {r.condition.text}")
        for k, r in enumerate(policy.checked.assign)
        if k not in owner_rules_used
    )
    return TestReport(tuple(cases), untested, rules, owners)
