"""The engine: timelines, priorities and the plan, evaluated from a compiled policy."""

from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.plan import AccountState, ContactRef, Plan, PlannedAction, Planner

__all__ = ["AccountState", "BusinessCalendar", "ContactRef", "Plan", "PlannedAction", "Planner"]
