"""arcollect.plot: the charts' bars, lines and labels, PNG rendering, and the missing extra."""

from __future__ import annotations

import io
import math
import sys
from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta
from typing import TYPE_CHECKING

import pytest

from arcollect import Account, Invoice, kpi, parse_ibm_csv, plot
from arcollect.cli import demo_plan
from arcollect.data import ibm_csv_text
from arcollect.domain.money import Money
from arcollect.errors import ArcollectError, DataError
from arcollect.simulate import BacktestReport, StepStats

pytest.importorskip("matplotlib")  # in the dev extra, so CI always has it

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

AS_OF = date(2013, 12, 2)


def png(fig: Figure) -> bytes:
    """Render *fig* as PNG bytes."""
    out = io.BytesIO()
    fig.savefig(out, format="png")
    return out.getvalue()


def heights(ax: Axes) -> list[float]:
    """The heights of the bars of *ax*, in drawing order."""
    from matplotlib.patches import Rectangle  # noqa: PLC0415 - after the skip

    return [p.get_height() for p in ax.patches if isinstance(p, Rectangle)]


def ydata(line: Line2D) -> list[float]:
    """The y values of *line*, as floats."""
    import numpy as np  # noqa: PLC0415 - matplotlib's dependency, after the skip

    return [float(y) for y in np.asarray(line.get_ydata(), dtype=float)]


def legend(ax: Axes) -> list[str]:
    """The texts of the legend of *ax*."""
    box = ax.get_legend()
    assert box is not None
    return [t.get_text() for t in box.get_texts()]


@pytest.fixture(scope="module")
def ibm() -> tuple[Account, ...]:
    """The bundled IBM sample."""
    return parse_ibm_csv(ibm_csv_text())


def _inv(number: str, issued: date, amount: int, currency: str) -> Invoice:
    return Invoice(
        number, issued=issued, due=issued + timedelta(days=30), amount=Money(amount, currency)
    )


class TestAgingChart:
    def test_bars_and_labels(self, ibm: tuple[Account, ...]) -> None:
        """One bar per bucket, as high as its amount, labelled with its share; axes labelled."""
        rep = kpi.report(ibm, AS_OF)
        fig = plot.aging_chart(rep)
        (ax,) = fig.axes
        usd = rep.get("USD")
        assert heights(ax) == [float(b.amount.amount) for b in usd.aging]
        assert [t.get_text() for t in ax.texts] == [
            f"{float(b.share or 0):.1f}%" for b in usd.aging
        ]
        assert [t.get_text() for t in ax.get_xticklabels()] == [b.label for b in usd.aging]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("Days past due", "Open amount (USD)")
        assert ax.get_title() == "Aging as of 2013-12-02"
        assert png(fig).startswith(b"\x89PNG")

    def test_group(self) -> None:
        """group= draws that group's buckets and names it in the title."""
        day = date(2026, 3, 31)
        a = Account("A", "EUR", tags=["key"], invoices=[_inv("A1", date(2026, 3, 1), 100, "EUR")])
        b = Account("B", "EUR", invoices=[_inv("B1", date(2026, 1, 1), 300, "EUR")])
        rep = kpi.report([a, b], day, 30, by=lambda acc: "key" if "key" in acc.tags else None)
        (ax,) = plot.aging_chart(rep, group="key").axes
        assert heights(ax)[:2] == [100.0, 0.0]
        assert ax.get_title() == "Aging as of 2026-03-31, key"

    def test_several_currencies(self) -> None:
        """With two currencies and none chosen the chart is refused, naming them."""
        day = date(2026, 3, 31)
        eur = Account("E", "EUR", invoices=[_inv("E1", date(2026, 3, 1), 300, "EUR")])
        usd = Account("U", "USD", invoices=[_inv("U1", date(2026, 3, 1), 100, "USD")])
        rep = kpi.report([eur, usd], day, 30)
        with pytest.raises(DataError) as info:
            plot.aging_chart(rep)
        assert str(info.value) == (
            "currency: the report has figures in EUR, USD: choose one with currency="
        )
        (ax,) = plot.aging_chart(rep, "USD").axes
        assert heights(ax)[0] == 100.0


class TestKpiTrend:
    def test_lines(self, ibm: tuple[Account, ...]) -> None:
        """A DSO line on the left axis and a CEI line on the right, one point per month end."""
        ends = [date(2013, 9, 30), date(2013, 10, 31), date(2013, 11, 30)]
        series = kpi.series(ibm, ends)
        fig = plot.kpi_trend(series)
        left, right = fig.axes
        (dso,) = left.lines
        (cei,) = right.lines
        assert ydata(dso) == [float(r.get("USD").dso or 0) for r in series]
        assert ydata(cei) == [float(r.get("USD").cei or 0) for r in series]
        assert len(ydata(dso)) == 3
        assert (left.get_xlabel(), left.get_ylabel(), right.get_ylabel()) == (
            "Month end",
            "DSO (days)",
            "CEI (%)",
        )
        assert png(fig).startswith(b"\x89PNG")

    def test_gap_without_sales(self) -> None:
        """A month without credit sales has no DSO: a gap (NaN) in the line."""
        acct = Account("C", "EUR", invoices=[_inv("I1", date(2026, 2, 10), 280, "EUR")])
        series = kpi.series([acct], [date(2026, 1, 31), date(2026, 2, 28)])
        (dso,) = plot.kpi_trend(series).axes[0].lines
        first, second = ydata(dso)
        assert math.isnan(first)
        assert second == 28.0

    def test_empty(self) -> None:
        """An empty series is refused."""
        with pytest.raises(DataError) as info:
            plot.kpi_trend([])
        assert str(info.value) == "series: expected at least one report"


class TestWorklistChart:
    def test_stacked_by_tier_and_channel(self) -> None:
        """One bar per tier and used channel; each tier's stack adds up to its actions."""
        _, _, plan = demo_plan()
        fig = plot.worklist_chart(plan)
        (ax,) = fig.axes
        tiers = [t.get_text() for t in ax.get_xticklabels()]
        channels = sorted({a.channel.value for a in plan.actions})
        assert len(ax.patches) == len(tiers) * len(channels)
        assert sorted(legend(ax)) == channels
        per_tier = Counter(a.tier or plot.NO_TIER for a in plan.actions)
        assert set(tiers) == set(per_tier)
        stacks: Counter[str] = Counter()
        for k, height in enumerate(heights(ax)):
            stacks[tiers[k % len(tiers)]] += int(height)
        assert stacks == per_tier
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("Tier", "Actions")
        assert png(fig).startswith(b"\x89PNG")

    def test_empty_plan(self) -> None:
        """A plan without actions is an empty chart, not an error."""
        _, _, plan = demo_plan()
        empty = type(plan)(plan.as_of, plan.policy, (), ())
        (ax,) = plot.worklist_chart(empty).axes
        assert len(ax.patches) == 0
        assert ax.get_title() == f"Worklist of {plan.as_of}: 0 actions"


class TestBacktestChart:
    def test_bars_per_step(self) -> None:
        """Two bars per step (actions, accounts) with the steps as tick labels."""
        steps = (
            StepStats("standard", "reminder", 1, 359, 57, 1585),
            StepStats("standard", "first_call", 10, 111, 30, 2083),
            StepStats(None, "dispute_review", None, 368, 63, 0),
        )
        rep = BacktestReport(
            "Standard", date(2012, 1, 1), date(2013, 12, 31), 731, 100, 2461, steps, 838
        )
        fig = plot.backtest_chart(rep)
        (ax,) = fig.axes
        assert heights(ax) == [359, 111, 368, 57, 30, 63]
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "standard/reminder",
            "standard/first_call",
            "-/dispute_review",
        ]
        assert legend(ax) == ["actions", "accounts"]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("Timeline/step", "Count")
        assert png(fig).startswith(b"\x89PNG")


class TestMissingExtra:
    @pytest.mark.parametrize(
        ("name", "call"),
        [
            ("aging_chart", lambda: plot.aging_chart(kpi.report([], AS_OF))),
            ("kpi_trend", lambda: plot.kpi_trend([kpi.report([], AS_OF)])),
            ("worklist_chart", lambda: plot.worklist_chart(demo_plan()[2])),
            (
                "backtest_chart",
                lambda: plot.backtest_chart(BacktestReport("P", AS_OF, AS_OF, 1, 0, 0, (), 0)),
            ),
        ],
    )
    def test_error_names_the_extra(
        self, monkeypatch: pytest.MonkeyPatch, name: str, call: Callable[[], object]
    ) -> None:
        """Without matplotlib each chart raises an ArcollectError naming the plot extra."""
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
        with pytest.raises(ArcollectError) as info:
            call()
        assert str(info.value) == (
            f"arcollect.plot.{name} needs matplotlib: pip install 'arcollect[plot]'"
        )
