"""The AR domain model: money, records and accounts, as frozen attrs classes."""

from arcollect.domain.account import Account
from arcollect.domain.actions import ActionKind, Channel, PlanChannel
from arcollect.domain.money import MONEY_CONTEXT, Money, currency_exponent, is_currency
from arcollect.domain.records import (
    KNOWN_ROLES,
    Activity,
    Collector,
    Company,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Outcome,
    Payment,
    Promise,
    Snooze,
)

__all__ = [
    "KNOWN_ROLES",
    "MONEY_CONTEXT",
    "Account",
    "ActionKind",
    "Activity",
    "Channel",
    "Collector",
    "Company",
    "Contact",
    "Dispute",
    "DisputeReason",
    "Installment",
    "Invoice",
    "Money",
    "Outcome",
    "Payment",
    "PlanChannel",
    "Promise",
    "Snooze",
    "currency_exponent",
    "is_currency",
]
