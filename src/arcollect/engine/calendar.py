"""The business calendar: which days collectors work, and rolling actions to the next one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Literal

import attrs

__all__ = ["BusinessCalendar"]

_SATURDAY = 5
_ONE_DAY = timedelta(days=1)


def _dates(days: Iterable[date]) -> frozenset[date]:
    return frozenset(days)


@attrs.frozen
class BusinessCalendar:
    """Business days: every day, or Monday to Friday; never a listed holiday.

    >>> cal = BusinessCalendar("weekdays", frozenset({date(2026, 12, 25)}))
    >>> cal.roll_forward(date(2026, 12, 25))  # a Friday holiday rolls to Monday
    datetime.date(2026, 12, 28)
    >>> cal.next_business_day(date(2026, 12, 23))
    datetime.date(2026, 12, 24)
    """

    days: Literal["weekdays", "all"] = "all"
    holidays: frozenset[date] = attrs.field(default=frozenset(), converter=_dates)
    # Where each day rolls to (itself, for a business day), remembered as days are rolled: a
    # long run of holidays is walked once, and a day looked up once, not once per account.
    _rolled: dict[date, date] = attrs.field(factory=dict, init=False, eq=False, repr=False)

    @classmethod
    def of(cls, days: Literal["weekdays", "all"], holidays: Iterable[date]) -> BusinessCalendar:
        """Return the calendar of *days* less *holidays*."""
        return cls(days, frozenset(holidays))

    def is_business_day(self, day: date) -> bool:
        """Whether collectors work on *day*."""
        if self.days == "weekdays" and day.weekday() >= _SATURDAY:
            return False
        return day not in self.holidays

    def roll_forward(self, day: date) -> date:
        """Return *day* if it is a business day, else the next one.

        Raise `OverflowError` if no business day follows before the end of the calendar
        (9999-12-31).
        """
        rolled = self._rolled
        known = rolled.get(day)
        if known is not None:
            return known
        walked = []
        while not self.is_business_day(day):
            known = rolled.get(day)
            if known is not None:
                day = known
                break
            walked.append(day)
            day += _ONE_DAY
        rolled[day] = day
        for d in walked:
            rolled[d] = day
        return day

    def next_business_day(self, day: date) -> date:
        """Return the first business day after *day*."""
        return self.roll_forward(day + _ONE_DAY)

    def why_not(self, day: date) -> str:
        """Say why *day* is not a business day (empty if it is one)."""
        if day in self.holidays:
            return "a holiday"
        if self.days == "weekdays" and day.weekday() >= _SATURDAY:
            return "a weekend"
        return ""
