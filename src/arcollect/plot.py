"""Charts of KPIs, worklists and back-tests (the optional extra ``arcollect[plot]``, matplotlib).

Each function returns a `matplotlib.figure.Figure` and never shows it: save it
(``fig.savefig("aging.png")``) or let a notebook display it. The figures are built with the
object API, not pyplot, so they touch no global state and need no backend. matplotlib is
imported only when a chart is asked for; without it the functions raise an `ArcollectError`
naming the extra.

Amounts are plotted as floats, for display only; the exact figures stay in the reports.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

from arcollect.domain.actions import PlanChannel
from arcollect.engine.model import Plan
from arcollect.errors import ArcollectError, DataError
from arcollect.kpi import KpiFigures, KpiReport
from arcollect.simulate import BacktestReport

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["NO_TIER", "aging_chart", "backtest_chart", "kpi_trend", "worklist_chart"]

#: The label of the actions that have no tier, in `worklist_chart`.
NO_TIER = "(no tier)"


def _figure(what: str, size: tuple[float, float] = (7.0, 4.0)) -> tuple[Figure, Axes]:
    """Return a new figure and its one Axes, or say which extra *what* needs."""
    try:
        from matplotlib.figure import Figure  # noqa: PLC0415 - optional, imported when asked for
    except ImportError:
        raise ArcollectError(
            f"arcollect.plot.{what} needs matplotlib: pip install 'arcollect[plot]'"
        ) from None
    fig = Figure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def _number(value: Decimal | None) -> float:
    """Return *value* as a float for plotting; None (no figure) is a gap."""
    return float("nan") if value is None else float(value)


def _pick(report: KpiReport, currency: str | None, group: str | None) -> KpiFigures:
    """Return the figures of *currency* and *group*; the currency may be left out if only one."""
    if currency is None:
        currencies = sorted({f.currency for f in report.figures})
        if len(currencies) != 1:
            have = ", ".join(currencies) or "none"
            raise DataError.at(
                "currency", f"the report has figures in {have}: choose one with currency="
            )
        currency = currencies[0]
    return report.get(currency, group)


def aging_chart(
    report: KpiReport, currency: str | None = None, *, group: str | None = None
) -> Figure:
    """Return a bar chart of the open amount in each aging bucket, labelled with its share.

    *currency* may be left out when the report has one; *group* picks one group of a grouped
    report (default: all the currency's accounts).
    """
    fig, ax = _figure("aging_chart")
    fig_data = _pick(report, currency, group)
    labels = [b.label for b in fig_data.aging]
    bars = ax.bar(labels, [float(b.amount.amount) for b in fig_data.aging], color="tab:blue")
    ax.bar_label(bars, labels=[f"{_number(b.share):.1f}%" for b in fig_data.aging])
    ax.set_xlabel("Days past due")
    ax.set_ylabel(f"Open amount ({fig_data.currency})")
    scope = f", {fig_data.group}" if fig_data.group else ""
    ax.set_title(f"Aging as of {report.as_of}{scope}")
    return fig


def kpi_trend(
    series: Sequence[KpiReport], currency: str | None = None, *, group: str | None = None
) -> Figure:
    """Return the DSO (days, left axis) and CEI (percent, right axis) of each report over time.

    *series* is what `arcollect.kpi.series` returns, one report per month end; a month with
    no credit sales (no DSO) or nothing to collect (no CEI) is a gap in its line.
    """
    if not series:
        raise DataError.at("series", "expected at least one report")
    fig, ax = _figure("kpi_trend")
    picked = [_pick(r, currency, group) for r in series]
    import numpy as np  # noqa: PLC0415 - matplotlib's own dependency, present once it is

    days = np.array([r.as_of for r in series], dtype="datetime64[D]")
    right = ax.twinx()
    (dso_line,) = ax.plot(
        days, [_number(f.dso) for f in picked], marker="o", color="tab:blue", label="DSO (days)"
    )
    (cei_line,) = right.plot(
        days, [_number(f.cei) for f in picked], marker="s", color="tab:green", label="CEI (%)"
    )
    ax.set_xlabel("Month end")
    ax.set_ylabel("DSO (days)")
    right.set_ylabel("CEI (%)")
    ax.set_title(f"DSO and CEI ({picked[0].currency})")
    ax.legend(handles=[dso_line, cei_line], loc="upper left")
    fig.autofmt_xdate()
    return fig


def worklist_chart(plan: Plan) -> Figure:
    """Return the plan's actions counted by tier (x) and channel (stacked bars, one per channel).

    Tiers are in the order of their first action in the plan (its priority order), actions
    without a tier last as ``(no tier)``; only the channels the plan uses are drawn.
    """
    fig, ax = _figure("worklist_chart")
    tiers: list[str] = []
    for a in plan.actions:
        if a.tier is not None and a.tier not in tiers:
            tiers.append(a.tier)
    if any(a.tier is None for a in plan.actions):
        tiers.append(NO_TIER)
    counts = Counter((a.tier or NO_TIER, a.channel) for a in plan.actions)
    bottom = [0] * len(tiers)
    for channel in PlanChannel:
        heights = [counts[tier, channel] for tier in tiers]
        if not any(heights):
            continue
        ax.bar(tiers, heights, bottom=bottom, label=channel.value)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    ax.set_xlabel("Tier")
    ax.set_ylabel("Actions")
    ax.set_title(f"Worklist of {plan.as_of}: {len(plan.actions)} actions")
    if plan.actions:
        ax.legend(title="Channel")
    return fig


def backtest_chart(report: BacktestReport) -> Figure:
    """Return the back-test's actions and accounts reached per step, as grouped bars."""
    fig, ax = _figure("backtest_chart", (max(7.0, 0.6 * len(report.steps) + 2), 4.5))
    names = [f"{s.timeline or '-'}/{s.step}" for s in report.steps]
    places = range(len(names))
    width = 0.4
    ax.bar(
        [p - width / 2 for p in places], [s.actions for s in report.steps], width, label="actions"
    )
    ax.bar(
        [p + width / 2 for p in places], [s.accounts for s in report.steps], width, label="accounts"
    )
    ax.set_xticks(list(places), names, rotation=45, ha="right")
    ax.set_xlabel("Timeline/step")
    ax.set_ylabel("Count")
    ax.set_title(f"Back-test of {report.policy}, {report.start} to {report.end}")
    ax.legend()
    return fig
