from __future__ import annotations

import sys
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import attrs
import pytest

from arcollect import (
    Account,
    Activity,
    Collector,
    Contact,
    Invoice,
    Money,
    html_report,
    kpi,
    load_policy,
    read_portfolio_document,
    render_documents,
)
from commands import run

ROOT = Path(__file__).parent.parent
POLICY_FILE = ROOT / "rules" / "standard.arc"
PORTFOLIO_FILE = ROOT / "examples" / "portfolio.yaml"
POLICY = load_policy(POLICY_FILE)
DOC = read_portfolio_document(PORTFOLIO_FILE)
AS_OF = date(2026, 11, 23)
GBP_ERROR = (
    "cannot evaluate the policy for this account: the account is in GBP, the policy in EUR: "
    "convert the amounts or use a policy in the account's currency"
)


class Page(HTMLParser):
    """The parts of a page the tests look at: sections, cells, links, texts by element."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.kpis: dict[tuple[str, str], str] = {}
        self.rows: list[list[str]] = []
        self.summaries: list[str] = []
        self.pres: list[str] = []
        self.collectors: list[str] = []
        self.items: list[str] = []
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._text: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Record the tag and start collecting its text."""
        at = dict(attrs)
        self.tags.append((tag, at))
        if tag == "section":
            self.sections.append(at["id"] or "")
        if tag == "tr":
            self.rows.append([])
        if tag not in {"meta", "img"}:
            self._stack.append((tag, at))
            self._text.append("")

    def handle_endtag(self, tag: str) -> None:
        """Close the element and file its text by what it is."""
        name, at = self._stack.pop()
        assert name == tag
        text = self._text.pop()
        if self._text:
            self._text[-1] += text
        if tag == "td":
            self.rows[-1].append(text)
            if "data-kpi" in at:
                self.kpis[at["data-kpi"] or "", at["data-currency"] or ""] = text
        elif tag == "summary":
            self.summaries.append(text)
        elif tag == "pre":
            self.pres.append(text)
        elif tag == "li":
            self.items.append(text)
        elif tag == "h3" and at.get("class") == "collector":
            self.collectors.append(text)

    def handle_data(self, data: str) -> None:
        """Add the text to every open element."""
        if self._text:
            self._text[-1] += data


def _fmt(value: Decimal | None) -> str:
    assert value is not None
    return format(value.quantize(Decimal("0.1")), "f")


def _demand_account(acct_id: str, name: str) -> Account:
    """An account 50 days overdue that has had its reminders: the policy writes a demand."""
    due = AS_OF - timedelta(50)
    done = [("reminder", 1), ("first_call", 10), ("follow_up", 20), ("follow_up", 27)]
    done += [("follow_up", 34), ("follow_up", 41)]
    return Account(
        acct_id,
        "EUR",
        name=name,
        locale="en_US",
        contacts=[Contact("Jana Berg", roles=["billing", "decision_maker"])],
        invoices=[
            Invoice("INV-1", issued=due - timedelta(30), due=due, amount=Money("1234.56", "EUR")),
        ],
        activities=[Activity(due + timedelta(d), "email", step=s, outcome="sent") for s, d in done],
        collector=Collector("Lena Vogt", phone="+49 40 1"),
    )


PAGE_TEXT = html_report(POLICY, DOC.accounts, as_of=AS_OF, company=DOC.company)
PAGE = Page(PAGE_TEXT)


class TestHtmlReport:
    def test_sections_in_order(self) -> None:
        """The page has the KPIs and aging first, then worklist, failures and documents."""
        assert PAGE.sections == ["kpis", "aging", "worklist", "not-planned", "documents"]

    def test_kpi_values_are_those_of_the_kpi_report(self) -> None:
        """Each currency's DSO and CEI cells show `kpi.report`'s figures, to one decimal."""
        rep = kpi.report(DOC.accounts, AS_OF, 90)
        eur, gbp = rep.get("EUR"), rep.get("GBP")
        assert PAGE.kpis["dso", "EUR"] == _fmt(eur.dso)
        assert PAGE.kpis["cei", "EUR"] == _fmt(eur.cei)
        assert PAGE.kpis["cei", "GBP"] == _fmt(gbp.cei)
        assert PAGE.kpis["dso", "GBP"] == "-"
        assert PAGE.kpis["accounts", "EUR"] == str(eur.accounts)

    def test_worklist_grouped_by_collector_with_explanation(self) -> None:
        """The review of C-1001 is under Lena Vogt, its reasons listed in a details."""
        plan = POLICY.plan(DOC.accounts, as_of=AS_OF)
        (action,) = plan.actions
        assert PAGE.collectors == ["Lena Vogt (1)"]
        row = next(r for r in PAGE.rows if r[:2] == ["1", "C-1001"])
        assert row[2:6] == ["Acme GmbH", "dispute_review [INV-2]", "review", "internal"]
        assert list(action.explanation)
        for line in action.explanation:
            assert line in PAGE.items

    def test_failed_account_with_its_error(self) -> None:
        """The GBP account is listed as not planned, with the whole error."""
        assert ["C-1002", "Brixton Supplies Ltd", "-", GBP_ERROR] in PAGE.rows

    def test_no_network_reference(self) -> None:
        """No src or href names anything but inline data; there is no script or stylesheet link."""
        for tag, at in PAGE.tags:
            assert tag not in {"script", "link", "iframe"}
            for key in ("src", "href"):
                value = at.get(key)
                if value is not None:
                    assert value.startswith("data:"), (tag, value)
        assert "http://" not in PAGE_TEXT
        assert "https://" not in PAGE_TEXT

    def test_aging_chart_is_inline_png(self) -> None:
        """Each currency's aging is an inline base64 PNG when matplotlib is installed."""
        pytest.importorskip("matplotlib")
        imgs = [at for tag, at in PAGE.tags if tag == "img"]
        assert [at["alt"] for at in imgs] == [
            "Aging of the EUR accounts as of 2026-11-23",
            "Aging of the GBP accounts as of 2026-11-23",
        ]
        assert all((at["src"] or "").startswith("data:image/png;base64,iVBOR") for at in imgs)

    def test_aging_table_without_matplotlib(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without matplotlib the aging is a table of each bucket's amount and share."""
        monkeypatch.setitem(sys.modules, "matplotlib", None)
        monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
        page = Page(html_report(POLICY, DOC.accounts, as_of=AS_OF))
        assert not [t for t, _ in page.tags if t == "img"]
        fig = kpi.report(DOC.accounts, AS_OF, 90).get("GBP")
        for b in fig.aging:
            share = "-" if b.share is None else _fmt(b.share)
            amount = f"{b.amount.amount.quantize(Decimal('0.01'))} GBP"
            assert [b.label, amount, str(b.count), f"{share}%"] in page.rows

    def test_same_bytes_twice(self) -> None:
        """Two reports of the same input are the same bytes."""
        again = html_report(POLICY, DOC.accounts, as_of=AS_OF, company=DOC.company)
        assert again.encode() == PAGE_TEXT.encode()

    def test_documents_subject_and_text(self) -> None:
        """Each document to send is in a details: its subject in the summary, its text in a pre."""
        accounts = (*DOC.accounts, _demand_account("D-1", "Demand Ltd"))
        page = Page(html_report(POLICY, accounts, as_of=AS_OF, company=DOC.company))
        plan = POLICY.plan(accounts, as_of=AS_OF)
        docs = render_documents(plan, accounts, policy=POLICY, company=DOC.company)
        assert docs
        for d in docs:
            assert f"{d.account}, {d.step} ({d.channel}, {d.locale}): {d.subject}" in page.summaries
            assert d.text in page.pres

    def test_values_are_escaped(self) -> None:
        """A customer name with markup appears as text, never as a script element."""
        evil = "<script>alert(1)</script> & Co"
        acct = attrs.evolve(DOC.accounts[0], name=evil)
        text = html_report(POLICY, [acct], as_of=AS_OF)
        page = Page(text)
        assert "<script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in text
        assert not [t for t, _ in page.tags if t == "script"]
        assert any(r[1:3] == ["C-1001", evil] for r in page.rows)

    def test_short_period_notes(self) -> None:
        """Over a period shorter than a month, the KPI section gives the report's notes."""
        text = html_report(POLICY, DOC.accounts, as_of=AS_OF, period_days=7)
        notes = kpi.report(DOC.accounts, AS_OF, 7).notes
        assert list(notes) == ["dso_average", "dso_countback", "cei_monthly"]
        for name, note in notes.items():
            assert f'<p class="note" data-kpi="{name}">{name}: {note}</p>' in text
        assert '<p class="note"' not in PAGE_TEXT

    def test_empty_portfolio(self) -> None:
        """No accounts: every section is there and says it is empty."""
        text = html_report(POLICY, [], as_of=AS_OF)
        assert Page(text).sections == ["kpis", "aging", "worklist", "not-planned", "documents"]
        assert "<p>No accounts.</p>" in text
        assert "<p>No actions are due.</p>" in text
        assert "<p>Every account was planned.</p>" in text
        assert "<p>No documents to send.</p>" in text


class TestReportCommand:
    def test_writes_the_page_and_exits_1_for_unplanned(self, tmp_path: Path) -> None:
        """`arcollect report` writes the page, prints its path, and exits 1 for the GBP account."""
        out = tmp_path / "report.html"
        result = run(
            "report", str(POLICY_FILE), str(PORTFOLIO_FILE), "--as-of", "2026-11-23",
            "--out", str(out),
        )  # fmt: skip
        assert result.returncode == 1
        assert result.stdout == f"{out}\n"
        assert result.stderr == (
            f"{PORTFOLIO_FILE}: account C-1002 (Brixton Supplies Ltd) was not planned: "
            f"{GBP_ERROR}\n"
        )
        assert out.read_text(encoding="utf-8") == PAGE_TEXT

    def test_all_planned_exits_0(self, tmp_path: Path) -> None:
        """A portfolio whose accounts are all planned gives exit code 0."""
        src = tmp_path / "eur.yaml"
        text = PORTFOLIO_FILE.read_text(encoding="utf-8")
        start = text.index("  - id: C-1002")
        end = text.index("  - id: C-1003")
        src.write_text(text[:start] + text[end:], encoding="utf-8")
        out = tmp_path / "r.html"
        result = run(
            "report", str(POLICY_FILE), str(src), "--as-of", "2026-11-23", "--out", str(out)
        )
        assert (result.returncode, result.stderr) == (0, "")
        assert Page(out.read_text(encoding="utf-8")).sections[-2] == "not-planned"
