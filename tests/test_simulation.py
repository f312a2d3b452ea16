"""The behaviour model (fitted and assumed), simulations and comparisons of policies."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Activity, Invoice, Payment, parse_ibm_csv
from arcollect.behaviour import BANDS, BehaviourModel, band_of, fit, load_model
from arcollect.cli import main
from arcollect.data import ibm_csv_text
from arcollect.errors import DataError
from arcollect.facts import paid_off
from arcollect.policy import Policy, parse_policy
from arcollect.simulation import _uniform, compare, simulate
from arcollect.testing import account, activity, contact, invoice, payment

START = date(2026, 6, 1)
POLICY = """policy "{name}"
  currency EUR
timeline t for all
  step reminder 3 days past due {action}
  step demand 30 days past due letter "final_demand"
"""


def _policy(name: str, action: str = 'email "friendly_reminder"') -> Policy:
    return parse_policy(POLICY.format(name=name, action=action), name=f"{name}.arc")


def _portfolio(n: int = 12) -> list[Account]:
    """Accounts with one invoice each, due around the start, some already paid long ago."""
    out = []
    for k in range(n):
        due = START - timedelta(days=10 * (k % 4))
        out.append(
            account(
                contact("Ann", "billing"),
                invoice("1000 EUR", due=due, issued=due - timedelta(days=30), number=f"I{k}"),
                invoice("200 EUR", due="2026-01-31", issued="2026-01-01", number=f"H{k}"),
                payment("200 EUR", on=date(2026, 2, 1) + timedelta(days=k), to=[f"H{k}"]),
                id=f"C{k:02d}",
            )
        )
    return out


FLAT = BehaviourModel(hazard=(0.01, 0.02, 0.05, 0.03, 0.03, 0.03, 0.03, 0.02, 0.01), source="t")


class TestFit:
    def test_hand_computed_hazard(self) -> None:
        """Ten invoices issued 10 days before due, all paid on the due date.

        At risk: 10 invoice-days each in the band -14..-1 (none paid there: hazard 0), one day
        each on the due date (all paid: hazard 1). The bands before and after saw no invoice:
        extrapolated (the first from nothing: 0).
        """
        accts = [
            account(
                invoice("100 EUR", due="2026-03-11", issued="2026-03-01", number=f"N{k}"),
                payment("100 EUR", on="2026-03-11", to=[f"N{k}"]),
                id=f"A{k}",
            )
            for k in range(10)
        ]
        model = fit(accts, as_of=date(2026, 6, 30))
        assert model.hazard[band_of(-5)] == 0.0
        assert model.hazard[band_of(0)] == 1.0
        assert model.extrapolated == (0, *range(band_of(1), len(BANDS)))
        assert model.measured == ("hazard", "customer", "dispute")
        # Every customer behaved exactly as expected: multipliers of 1.
        assert all(abs(v - 1.0) < 1e-9 for v in model.customer.values())

    def test_nothing_paid_nothing_to_fit(self) -> None:
        """A portfolio with no paid invoice cannot be fitted: a clear error."""
        with pytest.raises(DataError) as err:
            fit([account(invoice("100 EUR", due="2026-03-11"))], as_of=date(2026, 6, 30))
        assert str(err.value) == "accounts: no invoice was paid off: nothing to fit"

    def test_the_fitted_ibm_model_reproduces_its_days_to_pay(self) -> None:
        """Calibration: invoices drawn from the model fitted on the IBM sample pay as it did.

        Each invoice of the bundled sample is replayed from its issue date with the model's
        daily probabilities (no actions: the history holds none), and the share paid by due
        date, 15 and 30 days past due is compared with the data's own: within 3 points.
        """
        accts = parse_ibm_csv(ibm_csv_text(), currency="USD")
        model = fit(accts, as_of=date(2013, 12, 31))
        real: list[int] = []
        drawn: list[int] = []
        for acct in accts:
            paid = paid_off(acct, date(2013, 12, 31))
            for inv in acct.invoices:
                if inv.number not in paid:
                    continue
                real.append((paid[inv.number] - inv.due).days)
                day = (inv.issued - inv.due).days
                while day < 400:
                    p = model.probability(acct.id, day, disputed=False, action=None)
                    if _uniform(7, 0, acct.id, inv.number, day) < p:
                        break
                    day += 1
                drawn.append(day)
        for cut in (0, 15, 30):
            share_real = sum(d <= cut for d in real) / len(real)
            share_drawn = sum(d <= cut for d in drawn) / len(drawn)
            assert abs(share_real - share_drawn) < 0.03, (cut, share_real, share_drawn)


class TestModel:
    def test_a_stronger_action_never_lowers_the_chance(self) -> None:
        """p = 1 - (1 - h)^m grows with the multiplier: a call beats an e-mail."""
        for day in (-20, 0, 5, 40, 120):
            email = FLAT.probability("C", day, disputed=False, action="email")
            call = FLAT.probability("C", day, disputed=False, action="call")
            none = FLAT.probability("C", day, disputed=False, action=None)
            assert none <= email <= call <= 1

    def test_yaml_overrides(self, tmp_path: Path) -> None:
        """A YAML file overrides what it names; the rest comes from the base model."""
        path = tmp_path / "model.yaml"
        path.write_text("promise_kept: 0.5\nactions:\n  call: 3\n", encoding="utf-8")
        model = load_model(path, base=FLAT)
        assert (model.promise_kept, model.actions, model.hazard) == (
            0.5,
            {"call": 3.0},
            FLAT.hazard,
        )
        assert model.source == str(path)

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            ("promise_kept: 1.5\n", "promise_kept: a probability is between 0 and 1, got 1.5"),
            ("speed: 3\n", "speed: unknown key; expected one of hazard, customer, dispute"),
            ("actions:\n  fax: 2\n", "actions.fax: unknown action 'fax'"),
            ("hazard: [0.1]\n", "hazard: expected 9 bands, got 1"),
        ],
    )
    def test_yaml_errors(self, tmp_path: Path, text: str, message: str) -> None:
        """A bad model file names the bad key."""
        path = tmp_path / "model.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(DataError) as err:
            load_model(path, base=FLAT)
        assert message in str(err.value)


class TestSimulate:
    def test_same_seed_same_bytes_other_seed_other_run(self) -> None:
        """A seed fixes the simulation's every byte; another seed gives another run."""
        policy, accts = _policy("A"), _portfolio()
        end = START + timedelta(days=20)
        one = simulate(policy, accts, start=START, end=end, model=FLAT, runs=2, seed=3)
        two = simulate(policy, accts, start=START, end=end, model=FLAT, runs=2, seed=3)
        other = simulate(policy, accts, start=START, end=end, model=FLAT, runs=2, seed=4)
        assert one.to_json() == two.to_json()
        assert one.to_json() != other.to_json()
        data = json.loads(one.to_json())
        assert data["assumed"] == [
            "actions",
            "effect_days",
            "call_reach",
            "promise_rate",
            "promise_days",
            "promise_kept",
        ]

    def test_money_adds_up(self) -> None:
        """Cash by week adds up to the cash collected; never more than was open."""
        accts = _portfolio()
        report = simulate(
            _policy("A"), accts, start=START, end=START + timedelta(days=27), model=FLAT, seed=1
        )
        for run in report.runs:
            assert sum(run.cash_by_week, Decimal(0)) == run.cash
            assert Decimal(0) <= run.cash <= Decimal(1000) * len(accts)
            assert len(run.cash_by_week) == 4

    @settings(max_examples=6, deadline=None)
    @given(seed=st.integers(min_value=0, max_value=10**6))
    def test_calls_instead_of_emails_never_collect_less(self, seed: int) -> None:
        """Under common random numbers, a policy that calls where the other e-mails collects
        at least as much in every run (the model makes a call the stronger action).
        """
        accts = _portfolio(8)
        end = START + timedelta(days=30)
        cmp = compare(
            _policy("Email"),
            _policy("Call", "call"),
            accts,
            start=START,
            end=end,
            model=FLAT,
            runs=2,
            seed=seed,
        )
        for a, b in zip(cmp.a.runs, cmp.b.runs, strict=True):
            assert b.cash >= a.cash

    def test_a_verdict_in_plain_words(self) -> None:
        """`compare` states the difference in cash and calls plainly."""
        accts = _portfolio(8)
        cmp = compare(
            _policy("Email"),
            _policy("Call", "call"),
            accts,
            start=START,
            end=START + timedelta(days=30),
            model=FLAT,
            runs=3,
            seed=5,
        )
        verdict = cmp.verdict()
        assert verdict.startswith("Call collects ")
        assert "cash by day 31" in verdict
        assert verdict.endswith(" than Email")


class TestCommands:
    def test_simulate_fits_on_the_history(self, capsys: pytest.CaptureFixture[str]) -> None:
        """`arcollect simulate` fits the model on the portfolio's history before --from."""
        src = Path(__file__).parent.parent / "src" / "arcollect" / "data"
        argv = ["simulate", str(src / "standard-usd.arc"), str(src / "ibm-accounts-receivable.csv")]
        assert main([*argv, "--from", "2013-06-01", "--to", "2013-06-07", "--runs", "1"]) == 0
        out = capsys.readouterr().out
        assert "fitted on 1831 invoices of 100 accounts to 2013-05-31" in out
        assert "assumed, not measured: actions, effect_days" in out

    def test_without_history_a_model_is_needed(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """No paid invoice to fit on and no --model: a clear error."""
        policy = tmp_path / "p.arc"
        policy.write_text(POLICY.format(name="P", action='email "r"'), encoding="utf-8")
        portfolio = tmp_path / "p.yaml"
        portfolio.write_text(
            "accounts:\n  - id: C-1\n    currency: EUR\n    invoices:\n"
            "      - {number: I1, amount: 100 EUR, issued: 2026-05-01, due: 2026-05-31}\n",
            encoding="utf-8",
        )
        argv = [
            "simulate",
            str(policy),
            str(portfolio),
            "--from",
            "2026-06-01",
            "--to",
            "2026-06-02",
        ]
        assert main(argv) == 1
        assert "give one with --model FILE" in capsys.readouterr().err


class TestFitActions:
    def test_an_action_after_which_customers_pay_is_measured(self) -> None:
        """Where the log shows calls and customers paying right after them, the call's
        multiplier is measured above 1; kinds never logged keep their assumed values.
        """
        accts = []
        for k in range(100):
            due = date(2026, 3, 1)
            called = k % 2 == 0
            records: list[Invoice | Payment | Activity] = [
                invoice("100 EUR", due=due, issued=date(2026, 2, 1), number=f"N{k}"),
                payment(
                    "100 EUR",
                    on=due + timedelta(days=10 if called else 40),
                    to=[f"N{k}"],
                ),
            ]
            if called:
                records.append(activity(due + timedelta(days=1), "call"))
            accts.append(account(*records, id=f"A{k:02d}"))
        model = fit(accts, as_of=date(2026, 6, 30))
        assert "actions.call" in model.measured
        assert model.actions["call"] > 1.5
        assert model.actions["letter"] == 1.3  # assumed: no letter in the log
        call_line = next(x for x in model.describe().splitlines() if "after call:" in x)
        assert call_line.endswith("(measured)")

    def test_without_a_log_the_actions_stay_assumed(self) -> None:
        """The IBM sample logs no activity: every action effect is the assumed one."""
        model = fit(parse_ibm_csv(ibm_csv_text(), currency="USD"), as_of=date(2013, 12, 31))
        assert not [m for m in model.measured if m.startswith("actions.")]
        assert model.actions == BehaviourModel(hazard=model.hazard).actions
