"""Plan.to_pandas, with the optional pandas extra (in the dev extra, so CI always has it)."""

from __future__ import annotations

import pytest

from arcollect.cli import demo_plan

pd = pytest.importorskip("pandas")


class TestToPandas:
    def test_dtypes(self) -> None:
        """The frame has one row per action, datetime due dates, categories and exact priorities."""
        _, _, plan = demo_plan()
        frame = plan.to_pandas()
        assert len(frame) == len(plan.actions)
        assert str(frame["due"].dtype).startswith("datetime64")
        assert str(frame["action"].dtype) == "category"
        assert frame["priority"].iloc[0] == plan.actions[0].priority
