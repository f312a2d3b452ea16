"""The engine: a compiled policy over accounts as of a date, stage by stage.

`timeline` decides where each account stands (a `Position`), `actions` dresses the steps due
into actions (channel, contact), `priority` scores, tiers and orders them, and `planner` runs the
stages; `model` holds the output types and `explain` the lazy explanations. See
docs/architecture.md.
"""

from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import AccountState, ContactRef, Plan, PlannedAction
from arcollect.engine.planner import PartialPlan, Planner

__all__ = [
    "AccountState",
    "BusinessCalendar",
    "ContactRef",
    "PartialPlan",
    "Plan",
    "PlannedAction",
    "Planner",
]
