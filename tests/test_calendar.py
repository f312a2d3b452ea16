"""Tests of arcollect.engine.calendar: business days and rolling forward."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from arcollect.engine.calendar import BusinessCalendar


class TestRollForward:
    def test_a_long_run_of_holidays_rolls_to_the_first_business_day_after_it(self) -> None:
        """80,000 consecutive holidays roll to the business day after them, from any day inside.

        Every day of the run is walked once for the whole calendar (it was walked again for
        every account: 300 accounts took 16 s).
        """
        start = date(2030, 1, 1)
        cal = BusinessCalendar.of("weekdays", (start + timedelta(days=i) for i in range(80_000)))
        after = start + timedelta(days=80_000)  # 2249-01-13, a Saturday
        assert cal.roll_forward(start) == date(2249, 1, 15)
        assert cal.roll_forward(start + timedelta(days=40_000)) == date(2249, 1, 15)
        assert cal.roll_forward(after) == date(2249, 1, 15)
        # each day of the run and the weekend, walked once, and the business day they roll to
        assert len(cal._rolled) == 80_003

    def test_the_calendar_has_an_end(self) -> None:
        """Rolling past 9999-12-31 raises OverflowError, which the planner turns into notes."""
        cal = BusinessCalendar.of("weekdays", [date(9999, 12, 31)])
        with pytest.raises(OverflowError):
            cal.roll_forward(date(9999, 12, 31))

    def test_weekends_and_holidays_say_why(self) -> None:
        """why_not names a holiday before a weekend."""
        cal = BusinessCalendar.of("weekdays", [date(2026, 12, 26)])
        assert [cal.why_not(date(2026, 12, d)) for d in (25, 26, 27)] == [
            "",
            "a holiday",
            "a weekend",
        ]
