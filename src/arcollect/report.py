"""One self-contained static HTML page of a portfolio on a date: KPIs, worklist, letters.

`html_report` plans the accounts under a policy and writes one page that needs nothing else to
be read: no network, no external file, the style inline, the aging chart an inline PNG (drawn
by `arcollect.plot.aging_chart`; a plain table when matplotlib is not installed). In order:
the KPIs and the aging of each currency, the worklist grouped by collector (each action's
reasons in a ``<details>``), the accounts that could not be planned with their errors, and
the documents to send (subject and text, each in a ``<details>``). Every value is escaped
with `html.escape`; the page holds no date but *as_of*, so the same input gives the same bytes.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal

from arcollect import kpi
from arcollect.charges import RateTable
from arcollect.domain.account import Account
from arcollect.domain.money import MONEY_CONTEXT, Money
from arcollect.domain.records import Company
from arcollect.letters.render import Document, render_documents
from arcollect.letters.worklist import WorkItem, Worklist, worklist
from arcollect.policy import Policy

__all__ = ["NO_COLLECTOR", "html_report"]

#: The heading of the worklist group of actions whose account has no collector.
NO_COLLECTOR = kpi.NO_COLLECTOR

_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
    "table{border-collapse:collapse;margin:.5em 0 1.5em}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "td.num{text-align:right}"
    "pre{white-space:pre-wrap;background:#f6f6f6;padding:.5em}"
    "section{margin-bottom:2em}"
)

_AMOUNTS = ("receivables", "current", "overdue", "beginning_receivables", "credit_sales")
_WORK_COLUMNS = (
    "#",
    "account",
    "customer",
    "step",
    "action",
    "channel",
    "contact",
    "due",
    "overdue",
    "dpd",
    "priority",
    "tier",
    "why",
)


def _esc(value: object) -> str:
    return html.escape(str(value))


def _number(value: Decimal | None, places: str = "0.1") -> str:
    """Write *value* rounded to *places* in the money context; ``-`` when there is none."""
    if value is None:
        return "-"
    return format(value.quantize(Decimal(places), context=MONEY_CONTEXT), "f")


def _money(value: Money) -> str:
    return f"{_number(value.amount, '0.01')} {value.currency}"


def _kpi_section(rep: kpi.KpiReport) -> str:
    out = [
        '<section id="kpis"><h2>KPIs</h2>',
        f"<p>{_esc(rep.start)} to {_esc(rep.as_of)} ({rep.period_days} days)</p>",
    ]
    if not rep.figures:
        out.append("<p>No accounts.</p></section>")
        return "".join(out)
    out.append("<table><thead><tr><th></th>")
    out += [f"<th>{_esc(f.currency)}</th>" for f in rep.figures]
    out.append("</tr></thead><tbody>")
    out.append(
        "<tr><th>accounts</th>"
        + "".join(
            f'<td class="num" data-kpi="accounts" data-currency="{_esc(f.currency)}">'
            f"{f.accounts}</td>"
            for f in rep.figures
        )
        + "</tr>"
    )
    for name in _AMOUNTS:
        out.append(
            f"<tr><th>{_esc(name)}</th>"
            + "".join(
                f'<td class="num" data-kpi="{_esc(name)}" data-currency="{_esc(f.currency)}">'
                f"{_esc(_money(getattr(f, name)))}</td>"
                for f in rep.figures
            )
            + "</tr>"
        )
    for name, variant in kpi.KPI_VARIANTS.items():
        out.append(
            f"<tr><th>{_esc(name)}</th>"
            + "".join(
                f'<td class="num" data-kpi="{_esc(name)}" data-currency="{_esc(f.currency)}" '
                f'title="{_esc(variant)}">{_esc(_number(getattr(f, name)))}</td>'
                for f in rep.figures
            )
            + "</tr>"
        )
    out.append("</tbody></table>")
    out += [
        f'<p class="note" data-kpi="{_esc(name)}">{_esc(name)}: {_esc(text)}</p>'
        for name, text in rep.notes.items()
    ]
    out.append("</section>")
    return "".join(out)


def _aging_table(figures: kpi.KpiFigures) -> str:
    rows = "".join(
        f"<tr><td>{_esc(b.label)}</td><td class='num'>{_esc(_money(b.amount))}</td>"
        f"<td class='num'>{b.count}</td><td class='num'>{_esc(_number(b.share))}%</td></tr>"
        for b in figures.aging
    )
    return (
        f'<table class="aging" data-currency="{_esc(figures.currency)}">'
        "<thead><tr><th>days past due</th><th>open</th><th>invoices</th><th>share</th></tr>"
        f"</thead><tbody>{rows}</tbody></table>"
    )


def _aging_png(rep: kpi.KpiReport, currency: str) -> str | None:
    """Return the aging chart of *currency* as a base64 PNG; None without matplotlib."""
    try:
        import matplotlib.figure  # noqa: F401, PLC0415 - optional: a table without it
    except ImportError:
        return None
    from arcollect.plot import aging_chart  # noqa: PLC0415 - needs matplotlib

    fig = aging_chart(rep, currency)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _aging_section(rep: kpi.KpiReport) -> str:
    out = ['<section id="aging"><h2>Aging</h2>']
    for f in rep.figures:
        out.append(f"<h3>{_esc(f.currency)}</h3>")
        png = _aging_png(rep, f.currency)
        if png is None:
            out.append(_aging_table(f))
        else:
            alt = f"Aging of the {f.currency} accounts as of {rep.as_of}"
            out.append(f'<img alt="{_esc(alt)}" src="data:image/png;base64,{png}">')
    out.append("</section>")
    return "".join(out)


def _worklist_section(work: Worklist) -> str:
    out = ['<section id="worklist"><h2>Worklist</h2>']
    if not work.items:
        out.append("<p>No actions are due.</p>")
    groups: dict[str, list[tuple[int, WorkItem]]] = {}
    for n, item in enumerate(work.items, start=1):
        groups.setdefault(item.owner or NO_COLLECTOR, []).append((n, item))
    names = sorted(g for g in groups if g != NO_COLLECTOR)
    names += [NO_COLLECTOR] if NO_COLLECTOR in groups else []
    head = "".join(f"<th>{_esc(c)}</th>" for c in _WORK_COLUMNS)
    for name in names:
        rows = []
        for n, item in groups[name]:
            act = item.action
            why = "".join(f"<li>{_esc(w)}</li>" for w in act.explanation)
            cells = (
                str(n),
                act.account,
                item.customer,
                act.step + (f" [{act.invoice}]" if act.invoice else ""),
                act.action + (f" (approval: {act.needs_approval})" if act.needs_approval else ""),
                act.channel,
                act.contact.name if act.contact else "-",
                f"{act.due}" + (" (deferred)" if act.deferred else ""),
                _money(item.overdue),
                str(item.days_past_due),
                _number(act.priority, "0.01"),
                act.tier or "-",
            )
            rows.append(
                "<tr>"
                + "".join(f"<td>{_esc(c)}</td>" for c in cells)
                + f"<td><details><summary>why</summary><ul>{why}</ul></details></td></tr>"
            )
        out.append(
            f'<h3 class="collector">{_esc(name)} ({len(rows)})</h3>'
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    out.append("</section>")
    return "".join(out)


def _failures_section(work: Worklist) -> str:
    out = ['<section id="not-planned"><h2>Could not plan</h2>']
    if not work.errors:
        out.append("<p>Every account was planned.</p></section>")
        return "".join(out)
    out.append(
        "<table><thead><tr><th>account</th><th>customer</th><th>collector</th><th>error</th>"
        "</tr></thead><tbody>"
    )
    out += [
        f"<tr><td>{_esc(e.account)}</td><td>{_esc(e.customer)}</td>"
        f"<td>{_esc(e.collector or '-')}</td><td>{_esc(e.error)}</td></tr>"
        for e in work.errors
    ]
    out.append("</tbody></table></section>")
    return "".join(out)


def _documents_section(docs: Iterable[Document]) -> str:
    out = ['<section id="documents"><h2>Documents to send</h2>']
    items = [
        f'<details class="document"><summary>{_esc(d.account)}, {_esc(d.step)} '
        f"({_esc(d.channel)}, {_esc(d.locale)}): {_esc(d.subject or '(no subject)')}</summary>"
        f"<pre>{_esc(d.text)}</pre></details>"
        for d in docs
    ]
    out += items or ["<p>No documents to send.</p>"]
    out.append("</section>")
    return "".join(out)


def build_report(
    policy: Policy,
    accounts: Iterable[Account],
    *,
    as_of: date,
    company: Company | None = None,
    period_days: int = 90,
    rates: Mapping[str, RateTable] | None = None,
) -> tuple[str, Worklist]:
    """Return the page of `html_report` and the worklist it shows (for its errors).

    *rates* are the rate tables the policy's charges need (see `Policy.plan`).
    """
    accts = tuple(accounts)
    plan = policy.plan(accts, as_of=as_of, rates=rates)
    work = worklist(plan, accts)
    rep = kpi.report(accts, as_of, period_days)
    docs = render_documents(plan, accts, policy=policy, company=company)
    title = f"Collections report: {policy.name}, {as_of}"
    sender = f"<p>{_esc(company.name)}</p>" if company is not None else ""
    page = "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            f"<title>{_esc(title)}</title><style>{_STYLE}</style></head><body>",
            f"<h1>{_esc(title)}</h1>{sender}",
            _kpi_section(rep),
            _aging_section(rep),
            _worklist_section(work),
            _failures_section(work),
            _documents_section(docs),
            "</body></html>\n",
        ]
    )
    return page, work


def html_report(
    policy: Policy,
    accounts: Iterable[Account],
    *,
    as_of: date,
    company: Company | None = None,
    period_days: int = 90,
) -> str:
    """Return one self-contained HTML page of *accounts* planned under *policy* on *as_of*.

    The KPIs over the *period_days* days ending on *as_of* and the aging come first, then the
    worklist by collector, the accounts that could not be planned and the documents to send
    (written as from *company*). The page loads nothing from the network or from files.
    """
    return build_report(policy, accounts, as_of=as_of, company=company, period_days=period_days)[0]
