"""What-if: two policies' plans of one portfolio, compared (`arcollect.diff`, `arcollect diff`)."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest

from arcollect import Account, diff, diff_range, parse_ibm_csv
from arcollect.cli import main
from arcollect.data import demo_policy_text, ibm_csv_text
from arcollect.errors import ArcollectError
from arcollect.policy import load_policy, parse_policy
from arcollect.testing import account, contact, invoice

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")

WINDOW = """policy "{name}"
  currency EUR
timeline t for all
  step reminder 1 day past due email "friendly_reminder"
  step demand {day} days past due letter "final_demand"
"""
AS_OF = date(2026, 11, 23)


def _portfolio() -> list[Account]:
    """One account for each day past due from -5 to 70, with nothing done."""
    return [
        account(
            contact("Ann", "billing"),
            invoice("500 EUR", due=AS_OF - timedelta(days=d)),
            id=f"D{d + 10:03d}",
        )
        for d in range(-5, 71)
    ]


class TestDiff:
    def test_a_policy_against_itself_is_empty(self) -> None:
        """The same policy twice differs on no account, on the IBM sample and on a portfolio."""
        usd = parse_policy(demo_policy_text(), name="standard-usd.arc")
        ibm = parse_ibm_csv(ibm_csv_text(), currency="USD")
        same = diff(usd, usd, ibm, as_of=date(2012, 6, 4))
        assert not same
        assert same.compared == len(ibm)
        assert same.a_totals == same.b_totals
        assert not diff(STANDARD, STANDARD, _portfolio(), as_of=AS_OF)

    def test_moving_one_step_names_exactly_the_accounts_in_the_window(self) -> None:
        """Demand at 40 instead of 45 days changes the plan of accounts 40 to 44 days late.

        Before 40 days both plan the reminder; from 45 days both plan the demand.
        """
        a = parse_policy(WINDOW.format(name="A", day=45), name="a.arc")
        b = parse_policy(WINDOW.format(name="B", day=40), name="b.arc")
        portfolio = _portfolio()
        compared = diff(a, b, portfolio, as_of=AS_OF)
        expected = [f"D{d + 10:03d}" for d in range(40, 45)]
        assert [d.account for d in compared.accounts] == expected
        first = compared.account("D050")
        assert first is not None
        assert first.changes[0] == (
            "actions: reminder (email, to Ann (billing)) -> demand (letter, to Ann (billing))"
        )
        assert first.a_why[0] == "step reminder (1 day past due) is the most advanced step due"
        assert first.b_why == ("step demand (40 days past due) is the most advanced step due",)
        assert (compared.a_totals["letters"], compared.b_totals["letters"]) == (26, 31)
        assert (compared.a_totals["emails"], compared.b_totals["emails"]) == (44, 39)

    def test_an_account_planned_under_one_policy_only(self) -> None:
        """An account a policy cannot plan (another currency) is named, with the error."""
        eur = parse_policy(WINDOW.format(name="EUR", day=45), name="eur.arc")
        usd = parse_policy(WINDOW.format(name="USD", day=45).replace("EUR", "USD"), name="u.arc")
        acct = account(invoice("500 EUR", due="2026-10-01"), id="C-1")
        compared = diff(eur, usd, [acct], as_of=AS_OF)
        (d,) = compared.accounts
        assert d.changes[0] == "planned under A only"
        assert d.a_error is None
        assert d.b_error is not None
        assert "the account is in EUR, the policy in USD" in d.b_error
        assert (compared.a_totals["errors"], compared.b_totals["errors"]) == (0, 1)

    def test_json(self) -> None:
        """The comparison as JSON: accounts, their changes and views, totals side by side."""
        a = parse_policy(WINDOW.format(name="A", day=45), name="a.arc")
        b = parse_policy(WINDOW.format(name="B", day=40), name="b.arc")
        data = json.loads(diff(a, b, _portfolio(), as_of=AS_OF).to_json())
        assert (data["a"], data["b"], data["compared"], data["differ"]) == ("A", "B", 76, 5)
        assert data["accounts"][0]["b_actions"][0]["step"] == "demand"
        assert data["totals"]["letters"] == {"a": 26, "b": 31}

    def test_a_range_counts_the_differing_accounts_each_day(self) -> None:
        """Over a week, the window of differing accounts slides but keeps its five accounts."""
        a = parse_policy(WINDOW.format(name="A", day=45), name="a.arc")
        b = parse_policy(WINDOW.format(name="B", day=40), name="b.arc")
        days = diff_range(a, b, _portfolio(), start=AS_OF, end=AS_OF + timedelta(days=2))
        assert days == (
            (AS_OF, 5),
            (AS_OF + timedelta(days=1), 5),
            (AS_OF + timedelta(days=2), 5),
        )
        with pytest.raises(ArcollectError):
            diff_range(a, b, [], start=AS_OF, end=AS_OF - timedelta(days=1))


class TestCommand:
    def _files(self, tmp_path: Path) -> tuple[str, str]:
        a, b = tmp_path / "a.arc", tmp_path / "b.arc"
        a.write_text(WINDOW.format(name="A", day=45), encoding="utf-8")
        b.write_text(WINDOW.format(name="B", day=40), encoding="utf-8")
        return str(a), str(b)

    def test_table(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`arcollect diff A B PORTFOLIO --as-of` prints the accounts that differ and totals."""
        a, b = self._files(tmp_path)
        portfolio = str(ROOT / "examples" / "portfolio.yaml")
        assert main(["diff", a, b, portfolio, "--as-of", "2026-11-23"]) == 0
        out = capsys.readouterr().out
        assert out.splitlines()[0].startswith("A -> B as of 2026-11-23: ")
        assert "totals" in out

    def test_range_json(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--from --to --format json` gives the count of differing accounts per day."""
        a, b = self._files(tmp_path)
        portfolio = str(ROOT / "examples" / "portfolio.yaml")
        argv = ["diff", a, b, portfolio, "--from", "2026-11-01", "--to", "2026-11-03"]
        assert main([*argv, "--format", "json"]) == 0
        data = json.loads(capsys.readouterr().out)
        assert [row["date"] for row in data["days"]] == ["2026-11-01", "2026-11-02", "2026-11-03"]
        assert all(isinstance(row["differ"], int) for row in data["days"])

    def test_from_needs_to(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        """`--from` without `--to` is a clear error, not a traceback."""
        a, b = self._files(tmp_path)
        portfolio = str(ROOT / "examples" / "portfolio.yaml")
        assert main(["diff", a, b, portfolio, "--from", "2026-11-01"]) == 1
        assert capsys.readouterr().err == "--from needs --to: the last day of the range\n"
