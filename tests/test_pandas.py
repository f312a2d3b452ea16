"""Plan.to_pandas and KpiReport.to_pandas, with the optional pandas extra (in dev, so CI has it)."""

from __future__ import annotations

import sys
from datetime import date

import pytest

from arcollect import kpi, parse_ibm_csv
from arcollect.cli import demo_plan
from arcollect.data import ibm_csv_text
from arcollect.errors import ArcollectError

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


class TestKpiReportToPandas:
    def test_rows_and_dtypes(self) -> None:
        """One row per figures, a datetime as_of, categories, ints and the exact Decimal KPIs."""
        accounts = parse_ibm_csv(ibm_csv_text())
        rep = kpi.report(accounts, date(2013, 12, 2), by="collector")
        frame = rep.to_pandas()
        assert list(frame.columns) == list(rep.to_records()[0])
        assert [(r["currency"], r["group"]) for r in rep.to_records()] == [
            ("USD", None),
            ("USD", "(none)"),
        ]
        assert len(frame) == len(rep.figures)
        assert str(frame["as_of"].dtype).startswith("datetime64")
        assert str(frame["currency"].dtype) == "category"
        assert str(frame["accounts"].dtype) == "int64"
        assert frame["dso"].iloc[0] == rep.figures[0].dso
        assert frame["receivables"].iloc[1] == rep.figures[1].receivables.amount
        assert frame["promise_kept_rate"].iloc[0] is None

    def test_missing_extra(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without pandas the error names the extra to install."""
        monkeypatch.setitem(sys.modules, "pandas", None)
        with pytest.raises(ArcollectError) as info:
            kpi.report([], date(2013, 12, 2)).to_pandas()
        assert str(info.value) == (
            "KpiReport.to_pandas needs pandas: pip install 'arcollect[pandas]'"
        )

    def test_empty_report_has_the_columns_and_dtypes(self) -> None:
        """A report of no accounts is an empty frame with a full report's columns and dtypes."""
        accounts = parse_ibm_csv(ibm_csv_text())
        for buckets in ((30, 60, 90, 120), (10, 45)):
            full = kpi.report(accounts, date(2013, 12, 2), buckets=buckets).to_pandas()
            empty = kpi.report([], date(2013, 12, 2), buckets=buckets).to_pandas()
            assert len(empty) == 0
            assert list(empty.columns) == list(full.columns)
            assert [str(t) for t in empty.dtypes] == [str(t) for t in full.dtypes]
        assert "aging[11-45]" in empty.columns
