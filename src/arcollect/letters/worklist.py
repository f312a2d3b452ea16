"""The collector's worklist: a plan joined with its accounts, and the accounts it could not plan.

A `Plan` says what to do for which account id; a collector also needs the customer's name,
what is overdue and for how long, the contact's phone and e-mail, the template and who is in
charge. `worklist` joins each planned action with its account (`WorkItem`), keeps the
customer contacts apart from the team's internal tasks (holds, referrals, reviews), can keep
only one collector's (the actions' owner: see the policy's ``assign`` section), channel's or
tier's actions, and lists every account the policy could
not plan with its error (`Worklist.errors`): such an account is never dropped without a word.

Outputs: `Worklist.render_table` (customer contacts, then internal tasks, then the accounts
that could not be planned), `Worklist.to_dict`/`to_json` (the plan's JSON with the worklist
keys added to each action and a top-level ``errors`` list), and `Worklist.to_csv` (one row per
action, then one row per account that could not be planned, its ``error`` column set).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Final

import attrs

from arcollect._suggest import did_you_mean
from arcollect.domain.account import Account
from arcollect.domain.actions import PlanChannel
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.engine.model import Plan, PlannedAction
from arcollect.errors import ArcollectError, UnknownAccountError
from arcollect.facts import AccountFacts, facts

__all__ = ["WORKLIST_KEYS", "PlanFailure", "WorkItem", "Worklist", "worklist"]

#: The keys a worklist adds to an action's record (`PlannedAction.RECORD_KEYS`).
EXTRA_KEYS: Final = (
    "customer",
    "overdue",
    "days_past_due",
    "phone",
    "email",
    "collector",
    "task",
)
#: The keys of a worklist record, in order: the columns of the CSV (the last, ``error``, is
#: set only on the rows of accounts that could not be planned).
WORKLIST_KEYS: Final = (*PlannedAction.RECORD_KEYS, *EXTRA_KEYS, "error")

_CENT = Decimal("0.01")


@attrs.frozen
class WorkItem:
    """One planned action with what a collector needs to carry it out.

    *overdue* is the account's overdue amount; *days_past_due* the step's invoice's days past
    due for a per-invoice step, else the account's oldest overdue invoice's. *task* is
    ``contact`` for an action that reaches the customer, ``internal`` for the team's own.
    *collector* is the account's collector; `owner` who carries the action out.
    """

    action: PlannedAction
    customer: str
    overdue: Money
    days_past_due: int
    collector: str | None

    @property
    def owner(self) -> str | None:
        """Who carries the action out: the action's owner, else the account's collector."""
        return self.action.owner or self.collector

    @property
    def task(self) -> str:
        """``internal`` for a hold, referral or review; ``contact`` for the rest."""
        return "internal" if self.action.channel is PlanChannel.INTERNAL else "contact"

    @property
    def phone(self) -> str | None:
        """The contact's phone number, if any."""
        return None if self.action.contact is None else self.action.contact.phone

    @property
    def email(self) -> str | None:
        """The contact's e-mail address, if any."""
        return None if self.action.contact is None else self.action.contact.email

    def to_record(self) -> dict[str, Any]:
        """Return the action's record (`PlannedAction.to_record`) with the worklist keys."""
        return {
            **self.action.to_record(),
            "customer": self.customer,
            "overdue": str(self.overdue),
            "days_past_due": self.days_past_due,
            "phone": self.phone,
            "email": self.email,
            "collector": self.collector,
            "task": self.task,
        }


@attrs.frozen
class PlanFailure:
    """An account the policy could not plan, and why."""

    account: str
    customer: str
    collector: str | None
    error: str

    def to_record(self) -> dict[str, Any]:
        """Return the failure as plain data: ``account``, ``customer``, ``collector``, ``error``."""
        return {
            "account": self.account,
            "customer": self.customer,
            "collector": self.collector,
            "error": self.error,
        }


@attrs.frozen
class Worklist:
    """The actions of a plan, joined with their accounts, and the accounts not planned."""

    plan: Plan
    items: tuple[WorkItem, ...]
    errors: tuple[PlanFailure, ...]

    @property
    def contacts(self) -> tuple[WorkItem, ...]:
        """The actions that reach the customer, in plan order."""
        return tuple(i for i in self.items if i.task == "contact")

    @property
    def internal(self) -> tuple[WorkItem, ...]:
        """The team's own tasks (holds, referrals, reviews), in plan order."""
        return tuple(i for i in self.items if i.task == "internal")

    def to_records(self) -> list[dict[str, Any]]:
        """Return the actions as plain data: each action's record and the worklist keys."""
        return [i.to_record() for i in self.items]

    def to_dict(self) -> dict[str, Any]:
        """Return the plan's data (`Plan.to_dict`) with the worklist's actions and errors."""
        return {
            **self.plan.to_dict(),
            "actions": self.to_records(),
            "errors": [e.to_record() for e in self.errors],
        }

    def to_json(self) -> str:
        """Return the worklist as stable JSON: sorted keys, two-space indents, a final newline."""
        return json.dumps(self.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def to_csv(self) -> str:
        """Return CSV with `WORKLIST_KEYS` as columns: the actions, then the failed accounts."""
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=list(WORKLIST_KEYS), lineterminator="\n")
        writer.writeheader()
        for rec in self.to_records():
            row = dict(rec)
            contact = rec["contact"]
            row["contact"] = (
                "" if contact is None else f"{contact['name']} ({contact['role'] or '-'})"
            )
            row["explanation"] = " | ".join(rec["explanation"])
            writer.writerow({k: "" if v is None else v for k, v in row.items()})
        for err in self.errors:
            writer.writerow({k: "" if v is None else v for k, v in err.to_record().items()})
        return out.getvalue()

    def render_table(self) -> str:
        """Render the customer contacts, the internal tasks, and the accounts not planned."""
        parts: list[str] = []
        contacts, internal = self.contacts, self.internal
        if contacts:
            parts.append(f"Customer contacts ({len(contacts)})")
            parts.append(_table(_CONTACT_COLUMNS, [_contact_row(i) for i in contacts]))
        else:
            parts.append("Customer contacts: none")
        if internal:
            parts.append("")
            parts.append(f"Internal tasks ({len(internal)})")
            parts.append(_table(_TASK_COLUMNS, [_task_row(i) for i in internal]))
        if self.errors:
            parts.append("")
            parts.append(f"Could not plan ({len(self.errors)})")
            rows = [[e.account, e.customer, e.collector or "-", e.error] for e in self.errors]
            parts.append(_table(("account", "customer", "collector", "error"), rows))
        return "\n".join(parts) + "\n"


def worklist(
    plan: Plan,
    accounts: Iterable[Account],
    *,
    collector: str | None = None,
    channel: PlanChannel | str | None = None,
    tier: str | None = None,
) -> Worklist:
    """Join *plan* with *accounts*; keep only *collector*'s, *channel*'s or *tier*'s actions.

    *collector* keeps the actions it owns (`WorkItem.owner`: the owner the policy's ``assign``
    rules gave, else the account's collector). The accounts the plan could not plan are always
    in `Worklist.errors` (only *collector* narrows them, by the account's collector: they have
    no channel or tier). Raise `ArcollectError` for a *collector* no
    account has or a *channel* that is not one (with a did-you-mean), and `UnknownAccountError`
    when the plan names an account not given.
    """
    by_id = {a.id: a for a in accounts}
    if collector is not None:
        names = sorted(
            {a.collector.name for a in by_id.values() if a.collector}
            | {act.owner for act in plan.actions if act.owner}
        )
        if collector not in names:
            hint = did_you_mean(collector, names)
            listed = f" (collectors: {', '.join(names)})" if names else " (no account has one)"
            raise ArcollectError(
                f"no account has the collector {collector!r}" + (f"; {hint}" if hint else listed)
            )
    if channel is not None:
        words = [str(c) for c in PlanChannel]
        if str(channel) not in words:
            hint = did_you_mean(str(channel), words)
            raise ArcollectError(
                f"unknown channel {str(channel)!r}; "
                + (hint or f"expected one of {', '.join(words)}")
            )

    def account_of(account_id: str) -> Account:
        try:
            return by_id[account_id]
        except KeyError:
            raise UnknownAccountError(
                f"the plan names account {account_id!r}, which is not among the accounts given"
            ) from None

    def collector_of(acct: Account) -> str | None:
        return acct.collector.name if acct.collector else None

    items: list[WorkItem] = []
    known: dict[str, AccountFacts] = {}
    for act in plan.actions:
        acct = account_of(act.account)
        if collector is not None and (act.owner or collector_of(acct)) != collector:
            continue
        if channel is not None and str(act.channel) != str(channel):
            continue
        if tier is not None and act.tier != tier:
            continue
        f = known.get(acct.id)
        if f is None:
            f = known[acct.id] = facts(acct, plan.as_of)
        days = f.days_past_due
        if act.invoice is not None:
            days = next((i.days_past_due for i in f.invoices if i.number == act.invoice), days)
        items.append(WorkItem(act, acct.name or acct.id, f.overdue, days, collector_of(acct)))
    errors = []
    for st in plan.states:
        if st.error is None:
            continue
        acct = account_of(st.account)
        if collector is not None and collector_of(acct) != collector:
            continue
        errors.append(PlanFailure(acct.id, acct.name or acct.id, collector_of(acct), st.error))
    return Worklist(plan, tuple(items), tuple(errors))


# --------------------------------------------------------------------------------------------
# The table

_CONTACT_COLUMNS = (
    "#",
    "account",
    "customer",
    "step",
    "action",
    "channel",
    "contact",
    "phone",
    "email",
    "overdue",
    "dpd",
    "template",
    "due",
    "priority",
    "tier",
    "collector",
)
_TASK_COLUMNS = (
    "#",
    "account",
    "customer",
    "step",
    "action",
    "overdue",
    "dpd",
    "due",
    "priority",
    "tier",
    "collector",
)
_RIGHT = frozenset({"#", "overdue", "dpd", "priority"})


def _two_places(value: Decimal) -> str:
    return format(value.quantize(_CENT, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT), "f")


def _common(item: WorkItem) -> dict[str, str]:
    act = item.action
    step = act.step + (f" [{act.invoice}]" if act.invoice and act.step != "dispute_review" else "")
    action = act.action + (f" (approval: {act.needs_approval})" if act.needs_approval else "")
    return {
        "#": "",
        "account": act.account,
        "customer": item.customer,
        "step": step,
        "action": action,
        "channel": str(act.channel),
        "contact": act.contact.name if act.contact else "-",
        "phone": item.phone or "-",
        "email": item.email or "-",
        "overdue": str(item.overdue),
        "dpd": str(item.days_past_due),
        "template": act.template or "-",
        "due": act.due.isoformat() + (" (deferred)" if act.deferred else ""),
        "priority": _two_places(act.priority),
        "tier": act.tier or "-",
        "collector": item.owner or "-",
    }


def _contact_row(item: WorkItem) -> list[str]:
    cells = _common(item)
    return [cells[c] for c in _CONTACT_COLUMNS]


def _task_row(item: WorkItem) -> list[str]:
    cells = _common(item)
    return [cells[c] for c in _TASK_COLUMNS]


def _table(columns: Sequence[str], rows: list[list[str]]) -> str:
    if columns[0] == "#":
        rows = [[str(n), *r[1:]] for n, r in enumerate(rows, 1)]
    table = [list(columns), *rows]
    widths = [max(len(r[c]) for r in table) for c in range(len(columns))]
    lines = []
    for r in table:
        cells = [
            cell.rjust(widths[c]) if columns[c] in _RIGHT else cell.ljust(widths[c])
            for c, cell in enumerate(r)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
