"""`arcollect kpi` through the console entry point."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from arcollect import kpi, parse_ibm_csv, read_portfolio
from arcollect.data import ibm_csv_text
from commands import run

ROOT = Path(__file__).parent.parent
AS_OF = "2013-12-02"
DAY = date(2013, 12, 2)


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled IBM sample, written to a file for the command line."""
    path = tmp_path_factory.mktemp("data") / "ibm.csv"
    path.write_text(ibm_csv_text(), encoding="utf-8")
    return path


class TestKpiCommand:
    def test_table(self, csv_path: Path) -> None:
        """The table is the report's text rendering, and the exit code 0."""
        result = run("kpi", str(csv_path), "--as-of", AS_OF)
        assert result.returncode == 0, result.stderr
        expected = kpi.report(parse_ibm_csv(ibm_csv_text()), DAY).render()
        assert result.stdout == expected
        assert "dso                                 23.8" in result.stdout.splitlines()

    def test_json_is_exact(self, csv_path: Path) -> None:
        """JSON carries exact decimals equal to the library's figures."""
        result = run("kpi", str(csv_path), "--as-of", AS_OF, "--period", "60", "--format", "json")
        assert result.returncode == 0, result.stderr
        records = json.loads(result.stdout)
        fig = kpi.report(parse_ibm_csv(ibm_csv_text()), DAY, 60).get("USD")
        assert len(records) == 1
        assert Decimal(records[0]["dso"]) == fig.dso
        assert records[0]["period_days"] == 60

    def test_csv(self, csv_path: Path) -> None:
        """CSV has one row per currency with the record keys as columns."""
        result = run("kpi", str(csv_path), "--as-of", AS_OF, "--format", "csv")
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["currency"], r["group"], r["accounts"]) for r in rows] == [("USD", "", "100")]

    def test_by_segment(self, csv_path: Path) -> None:
        """With --policy and --by segment, each account goes to its first segment (or none)."""
        policy = ROOT / "src" / "arcollect" / "data" / "standard-usd.arc"
        result = run(
            "kpi", str(csv_path), "--as-of", AS_OF, "--policy", str(policy), "--by", "segment",
            "--format", "csv",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["group"], r["accounts"]) for r in rows] == [("", "100"), ("(none)", "100")]

    def test_by_collector(self) -> None:
        """--by collector groups each currency's accounts by collector name, "(none)" without."""
        portfolio = ROOT / "examples" / "portfolio.yaml"
        result = run(
            "kpi", str(portfolio), "--as-of", "2026-11-23", "--by", "collector", "--format", "csv"
        )
        assert result.returncode == 0, result.stderr
        rows = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [(r["currency"], r["group"], r["accounts"]) for r in rows] == [
            ("EUR", "", "2"),
            ("EUR", "(none)", "1"),
            ("EUR", "Lena Vogt", "1"),
            ("GBP", "", "1"),
            ("GBP", "(none)", "1"),
        ]
        accounts = read_portfolio(portfolio)
        lena = [a for a in accounts if a.collector is not None]
        expected = kpi.report(lena, date(2026, 11, 23)).get("EUR")
        assert Decimal(rows[2]["receivables"]) == expected.receivables.amount
        assert Decimal(rows[2]["dso"]) == expected.dso

    def test_by_collector_table(self) -> None:
        """The table has one column per currency and collector, as the library renders it."""
        portfolio = ROOT / "examples" / "portfolio.yaml"
        result = run("kpi", str(portfolio), "--as-of", "2026-11-23", "--by", "collector")
        assert result.returncode == 0, result.stderr
        rep = kpi.report(read_portfolio(portfolio), date(2026, 11, 23), by="collector")
        assert result.stdout == rep.render()
        assert result.stdout.splitlines()[1].split() == [
            "EUR", "EUR", "(none)", "EUR", "Lena", "Vogt", "GBP", "GBP", "(none)",
        ]  # fmt: skip

    def test_notes_on_stderr_for_json_and_csv(self, csv_path: Path) -> None:
        """With --format json or csv the report's notes go to stderr, the data alone to stdout."""
        notes = kpi.report(parse_ibm_csv(ibm_csv_text()), DAY, 7).notes
        expected = "".join(f"note: {name}: {text}\n" for name, text in notes.items())
        for fmt in ("json", "csv"):
            result = run("kpi", str(csv_path), "--as-of", AS_OF, "--period", "7", "--format", fmt)
            assert (result.returncode, result.stderr) == (0, expected)
            assert "note:" not in result.stdout
        table = run("kpi", str(csv_path), "--as-of", AS_OF, "--period", "7")
        assert (table.stderr, table.stdout.endswith(expected)) == ("", True)

    def test_csv_of_no_accounts_has_the_header(self, tmp_path: Path) -> None:
        """A portfolio without accounts gives a CSV of the full header and no rows."""
        empty = tmp_path / "empty.yaml"
        empty.write_text("accounts: []\n", encoding="utf-8")
        result = run("kpi", str(empty), "--as-of", AS_OF, "--format", "csv")
        assert result.returncode == 0, result.stderr
        assert result.stdout == ",".join(kpi.report([], DAY).columns()) + "\n"

    def test_by_without_policy(self, csv_path: Path) -> None:
        """--by segment without --policy is a usage error."""
        result = run("kpi", str(csv_path), "--as-of", AS_OF, "--by", "segment")
        assert result.returncode == 2
        assert result.stderr == "arcollect kpi: --by segment needs --policy\n"

    def test_bad_period(self, csv_path: Path) -> None:
        """A period of zero days is refused with its name, exit code 1."""
        result = run("kpi", str(csv_path), "--as-of", AS_OF, "--period", "0")
        assert result.returncode == 1
        assert result.stderr == "period_days: expected a number of days above zero, got 0\n"
