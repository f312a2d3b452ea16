from __future__ import annotations

from pathlib import Path

import pytest

from arcollect import load_policy, parse_ibm_csv
from arcollect.data import DEMO_AS_OF, ibm_csv_text
from commands import run

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def csv_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's own IBM accounts-receivable sample, written to a file for the command line."""
    path = tmp_path_factory.mktemp("data") / "ibm-accounts-receivable.csv"
    path.write_text(ibm_csv_text(), encoding="utf-8")
    return path


class TestValidate:
    def test_good_files(self, csv_path: Path) -> None:
        """`arcollect validate` summarizes good files and exits 0."""
        result = run("validate", str(ROOT / "examples" / "portfolio.yaml"), str(csv_path))
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines() == [
            f"{ROOT / 'examples' / 'portfolio.yaml'}: 3 accounts, 8 invoices",
            f"{csv_path}: 100 accounts, 2466 invoices",
        ]

    def test_bad_file(self, tmp_path: Path) -> None:
        """Problems go to stderr, with paths, and the exit code is 1."""
        bad = tmp_path / "bad.yaml"
        bad.write_text("currency: EUR\naccounts: [{id: A, terms: soon}]\n", encoding="utf-8")
        result = run("validate", str(bad))
        assert result.returncode == 1
        assert result.stderr == (
            f"{bad}: 1 problem\n  accounts[0].terms: expected a number of days such as "
            "'30 days', got 'soon'\n"
        )

    def test_policy_knows_the_portfolio(self) -> None:
        """With `--policy` and nothing unknown to it, the summary alone is printed: exit 0."""
        result = run("validate", PORTFOLIO, "--policy", POLICY)
        assert (result.returncode, result.stderr) == (0, "")
        assert result.stdout == f"{PORTFOLIO}: 3 accounts, 8 invoices\n"

    def test_policy_problems(self, tmp_path: Path) -> None:
        """Unknown roles and steps: a line each on stderr, `FILE: PATH: MESSAGE`; exit 1."""
        data = tmp_path / "p.yaml"
        data.write_text(
            "currency: EUR\naccounts:\n"
            "  - id: A\n"
            "    contacts: [{name: Ann, roles: [decison_maker]}]\n"
            "    activities: [{date: 2026-01-02, channel: email, step: remindr}]\n",
            encoding="utf-8",
        )
        result = run("validate", str(data), "--policy", POLICY)
        assert result.returncode == 1
        assert result.stdout == f"{data}: 1 accounts, 0 invoices\n"
        assert result.stderr == (
            f"{data}: accounts[0].contacts[0].roles: unknown role 'decison_maker'; "
            "did you mean 'decision_maker'?\n"
            f"{data}: accounts[0].activities[0].step: unknown step 'remindr'; "
            "did you mean 'reminder'?\n"
        )

    def test_declared_roles_pass(self, tmp_path: Path) -> None:
        """A role declared by the policy's `roles` line passes; without --policy none is checked."""
        data = tmp_path / "p.yaml"
        data.write_text(
            "currency: EUR\naccounts: [{id: A, contacts: [{name: P, roles: [buchhaltung]}]}]\n",
            encoding="utf-8",
        )
        key = str(ROOT / "rules" / "key_accounts.arc")
        assert run("validate", str(data), "--policy", key).returncode == 0
        assert run("validate", str(data)).returncode == 0
        standard = run("validate", str(data), "--policy", POLICY)
        assert (standard.returncode, standard.stderr) == (
            1,
            f"{data}: accounts[0].contacts[0].roles: unknown role 'buchhaltung'\n",
        )

    def test_bad_policy(self, tmp_path: Path) -> None:
        """A policy with errors is reported with its location, and no file is read: exit 1."""
        bad = tmp_path / "bad.arc"
        bad.write_text('policy "B"\n  roles Einkauf\n', encoding="utf-8")
        result = run("validate", PORTFOLIO, "--policy", str(bad))
        assert (result.returncode, result.stdout) == (1, "")
        assert result.stderr.startswith(f"{bad}:2:9: error: invalid role `Einkauf`")

    def test_usage(self) -> None:
        """No command is a usage error: exit 2."""
        assert run().returncode == 2


POLICY = str(ROOT / "rules" / "standard.arc")
PORTFOLIO = str(ROOT / "examples" / "portfolio.yaml")


class TestDemo:
    def test_prints_the_worklist(self) -> None:
        """`arcollect demo` prints a header, the ranked worklist, a summary and one explanation."""
        result = run("demo")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == (
            'arcollect demo: policy "Standard B2B (USD)" on the IBM accounts-receivable sample '
            "(100 customers, 2,466 invoices)"
        )
        assert lines[1] == "Worklist for Friday 2012-03-16, in priority order:"
        assert lines[3].split() == [
            "#",
            "account",
            "step",
            "action",
            "channel",
            "contact",
            "due",
            "priority",
            "tier",
        ]
        rows = [line for line in lines[5:] if line[:3].strip().isdigit()]
        assert len(rows) >= 10
        assert rows[0].split()[0] == "1"
        assert any("first_call" in r and " call " in r for r in rows)
        assert any(line.startswith("Why ") for line in lines)
        letter = lines.index("What to send 0688-XNJRO (email, en_US; arcollect letters ...):")
        assert lines[letter + 2] == "Subject: Second reminder: $86.31 overdue on account 0688-XNJRO"
        assert "  Amount due: $86.31" in lines[letter:]
        at = next(i for i, line in enumerate(lines) if line.startswith("Call sheet for "))
        assert at > letter
        assert lines[at + 2].startswith("CALL SHEET: ")
        assert "VOICEMAIL SCRIPT (speak slowly)" in lines[at:]
        assert lines[-1].startswith("Reading time: about ")


class TestCallsheet:
    def test_prints_sheet_and_voicemail(self) -> None:
        """`arcollect callsheet` prints the German sheet of a German account and its voicemail."""
        result = run("callsheet", POLICY, PORTFOLIO, "C-1001", "--as-of", "2026-11-23")
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == "GESPRÄCHSVORBEREITUNG: Acme GmbH (C-1001), 23. November 2026"
        assert "TEXT FÜR DIE MAILBOX (langsam sprechen)" in lines
        assert lines[-1].startswith("Sprechzeit: etwa ")

    def test_unknown_account(self) -> None:
        """An unknown account is an error with a did-you-mean, exit 1."""
        result = run("callsheet", POLICY, PORTFOLIO, "C-101", "--as-of", "2026-11-23")
        assert (result.returncode, result.stderr) == (
            1,
            f"{PORTFOLIO}: no account 'C-101'; did you mean 'C-1001'?\n",
        )


class TestPlan:
    def test_json(self) -> None:
        """`plan --format json` prints the documented keys, actions first-priority first."""
        import json  # noqa: PLC0415

        result = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--format", "json")
        assert result.returncode == 1  # the GBP account cannot be planned by the EUR policy
        doc = json.loads(result.stdout)
        assert set(doc) == {"as_of", "policy", "actions", "states", "errors"}
        assert (doc["as_of"], doc["policy"]) == ("2026-11-23", "Standard B2B")
        for action in doc["actions"]:
            assert set(action) >= {
                "account",
                "step",
                "timeline",
                "action",
                "channel",
                "contact",
                "template",
                "due",
                "priority",
                "tier",
                "needs_approval",
                "deferred",
                "explanation",
                "customer",
                "overdue",
                "days_past_due",
                "phone",
                "email",
                "collector",
                "task",
            }
        assert [(e["account"], e["customer"]) for e in doc["errors"]] == [
            ("C-1002", "Brixton Supplies Ltd")
        ]
        errors = {s["account"]: s["error"] for s in doc["states"]}
        assert errors["C-1002"].startswith("cannot evaluate the policy for this account")
        assert errors["C-1001"] is None

    def test_the_account_not_planned_is_never_silent(self) -> None:
        """The README's GBP account shows in the table, the CSV and on stderr, and exits 1."""
        table = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23")
        csv_out = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--format", "csv")
        message = (
            "cannot evaluate the policy for this account: the account is in GBP, the policy in "
            "EUR: convert the amounts or use a policy in the account's currency"
        )
        assert table.returncode == csv_out.returncode == 1
        assert (
            table.stderr
            == csv_out.stderr
            == (f"{PORTFOLIO}: account C-1002 (Brixton Supplies Ltd) was not planned: {message}\n")
        )
        lines = table.stdout.splitlines()
        at = lines.index("Could not plan (1)")
        assert lines[at + 3] == f"C-1002   Brixton Supplies Ltd  -          {message}"
        rows = csv_out.stdout.splitlines()
        assert rows[-1] == "C-1002" + "," * 15 + f'Brixton Supplies Ltd,,,,,,,"{message}"'

    def test_csv_columns_are_the_worklist_keys(self) -> None:
        """`plan --format csv` has the worklist's keys as columns, with or without actions."""
        from arcollect.letters.worklist import WORKLIST_KEYS  # noqa: PLC0415

        keys = ",".join(WORKLIST_KEYS)
        some = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--format", "csv")
        none = run("plan", POLICY, PORTFOLIO, "--as-of", "2020-01-01", "--format", "csv")
        assert some.stdout.splitlines()[0] == keys
        assert some.stdout.splitlines()[1].startswith("C-1001,dispute_review,")
        assert none.stdout.splitlines()[0] == keys
        assert none.returncode == 1  # the GBP account is still not planned

    def test_filters(self) -> None:
        """--collector, --channel and --tier narrow the worklist; a wrong collector is refused."""
        mine = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--collector", "Lena Vogt")
        assert "Acme GmbH" in mine.stdout
        assert "Brixton" not in mine.stdout  # nor its error: it is not Lena Vogt's account
        assert mine.returncode == 0, mine.stderr
        calls = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--channel", "call")
        assert calls.stdout.splitlines()[0] == "Customer contacts: none"
        assert "Internal tasks" not in calls.stdout
        wrong = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--collector", "Bob")
        assert (wrong.returncode, wrong.stderr) == (
            1,
            "no account has the collector 'Bob' (collectors: Lena Vogt)\n",
        )

    def test_ibm_csv_is_read_in_the_policy_currency(self, csv_path: Path) -> None:
        """A CSV without a currency of its own is planned in the policy's currency."""
        result = run("plan", POLICY, str(csv_path), "--as-of", "2012-03-16", "--format", "json")
        assert result.returncode == 0, result.stderr
        import json  # noqa: PLC0415

        doc = json.loads(result.stdout)
        assert all(s["error"] is None for s in doc["states"])
        assert len(doc["actions"]) > 10
        usd = run("plan", POLICY, str(csv_path), "--as-of", "2012-03-16", "--currency", "USD")
        assert usd.stdout.splitlines()[-1] == "0 actions (none); 0 calls; 0 need approval"

    def test_bad_date_is_a_usage_error(self) -> None:
        """A malformed --as-of exits 2 with the reason."""
        result = run("plan", POLICY, PORTFOLIO, "--as-of", "23/11/2026")
        assert result.returncode == 2
        assert "expected a date YYYY-MM-DD, got '23/11/2026'" in result.stderr

    def test_max_bytes_bounds_the_portfolio_read(self) -> None:
        """--max-bytes bounds what is read, says which option lifts it, and takes units."""
        size = Path(PORTFOLIO).stat().st_size
        small = run("plan", POLICY, PORTFOLIO, "--as-of", "2026-11-23", "--max-bytes", "100")
        assert small.returncode == 1
        assert small.stderr == (
            f"{PORTFOLIO}: 1 problem\n  the data is {size} bytes, more than the 100 bytes "
            "allowed; pass a larger --max-bytes\n"
        )
        for size_text in (str(size), "1K" if size <= 1024 else "1M", "2g"):
            ok = run("validate", PORTFOLIO, "--max-bytes", size_text)
            assert ok.returncode == 0, (size_text, ok.stderr)
        bad = run("kpi", PORTFOLIO, "--as-of", "2026-11-23", "--max-bytes", "lots")
        assert bad.returncode == 2
        assert "expected a size such as 500M or 2G, got 'lots'" in bad.stderr

    def test_explain(self) -> None:
        """`explain` tells where one account stands."""
        result = run("explain", POLICY, PORTFOLIO, "C-1001", "--as-of", "2026-11-23")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[:4] == [
            "Account C-1001 as of 2026-11-23",
            "  overdue 13400.00 EUR, priority 205, tier A",
            "  timeline: key_accounts",
            "  day: 53 days past due",
        ]
        unknown = run("explain", POLICY, PORTFOLIO, "C-9", "--as-of", "2026-11-23")
        assert unknown.returncode == 1
        assert unknown.stderr == f"{PORTFOLIO}: no account 'C-9'\n"


class TestPolicyCommands:
    def test_test_runs_the_expect_blocks(self) -> None:
        """`arcollect test` reports each case and the coverage."""
        result = run("test", POLICY)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[:5] == [
            POLICY,
            "  PASS  a promise pauses escalation",
            "  PASS  old debt goes to the agency",
            "  PASS  big balances come first",
            "3 passed, 0 failed",
        ]
        assert lines[5].startswith("not exercised by any case: steps standard.courtesy")

    def test_fmt_prints_and_checks(self, tmp_path: Path) -> None:
        """`fmt` prints canonical text; `--check` accepts it and refuses another layout."""
        messy = tmp_path / "m.arc"
        messy.write_text('policy "t"\nlet   x =  1  # one\n', encoding="utf-8")
        printed = run("fmt", str(messy))
        assert (printed.returncode, printed.stdout) == (0, 'policy "t"\n\nlet x = 1  # one\n')
        canonical = tmp_path / "c.arc"
        canonical.write_text(printed.stdout, encoding="utf-8")
        assert run("fmt", "--check", str(canonical)).returncode == 0
        refused = run("fmt", "--check", str(messy))
        assert (refused.returncode, refused.stderr) == (1, f"{messy}: not in canonical form\n")

    def test_fmt_write_keeps_comments(self, tmp_path: Path) -> None:
        """`fmt --write` rewrites a commented file in canonical form, comments kept."""
        path = tmp_path / "p.arc"
        path.write_text('# mine\npolicy "t"  # ours\nlet x=1\n', encoding="utf-8")
        result = run("fmt", "--write", str(path))
        assert (result.returncode, result.stdout) == (0, f"reformatted {path}\n")
        assert path.read_text(encoding="utf-8") == '# mine\npolicy "t"  # ours\n\nlet x = 1\n'

    def test_shipped_rule_files_are_canonical(self) -> None:
        """`fmt --check` passes on every .arc file in rules/, comments and all."""
        files = [str(p) for p in RULE_FILES if p.suffix == ".arc"]
        result = run("fmt", "--check", *files)
        assert (result.returncode, result.stderr) == (0, "")


RULE_FILES = sorted(p for p in (ROOT / "rules").iterdir() if p.suffix in {".arc", ".yaml"})


class TestShippedRules:
    def test_there_are_rule_files(self) -> None:
        """rules/ ships the standard policy in both forms and the key-accounts policy."""
        assert [p.name for p in RULE_FILES] == ["key_accounts.arc", "standard.arc", "standard.yaml"]

    @pytest.mark.parametrize("path", RULE_FILES, ids=lambda p: p.name)
    def test_every_rule_file_passes_its_own_tests(self, path: Path) -> None:
        """`arcollect test` on each shipped rule file passes every expect block and exits 0."""
        result = run("test", str(path))
        assert (result.returncode, result.stderr) == (0, ""), result.stdout
        summary = next(line for line in result.stdout.splitlines() if " passed, " in line)
        assert summary.endswith(" passed, 0 failed")
        assert not summary.startswith("0 passed")


class TestBacktest:
    def test_short_window(self, csv_path: Path) -> None:
        """`backtest` over a quarter prints the title and one row per step."""
        result = run(
            "backtest",
            POLICY,
            str(csv_path),
            "--from",
            "2012-01-01",
            "--to",
            "2012-03-31",
            "--currency",
            "EUR",
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert lines[0] == (
            'Back-test of "Standard B2B", 2012-01-01 to 2012-03-31 (91 days): 100 accounts, '
            "189 invoices falling due, 85 actions"
        )
        assert lines[2].split() == [
            "timeline",
            "step",
            "day",
            "actions",
            "accounts",
            "paid",
            "before",
        ]
        assert [line.split()[1] for line in lines[4:]] == [
            "courtesy",
            "reminder",
            "first_call",
            "follow_up",
            "demand",
            "hold",
            "agency",
            "attorney",
            "courtesy",
            "visit",
            "escalate",
            "dispute_review",
        ]

    def test_a_yaml_portfolio(self) -> None:
        """`backtest` reads every portfolio format, not only the IBM CSV shape."""
        portfolio = str(ROOT / "examples" / "portfolio.yaml")
        result = run("backtest", POLICY, portfolio, "--from", "2026-11-01", "--to", "2026-11-23")
        assert result.returncode == 0, result.stderr
        assert result.stdout.splitlines()[0].startswith(
            'Back-test of "Standard B2B", 2026-11-01 to 2026-11-23 (23 days): 3 accounts, '
        )

    def test_docs_show_what_the_command_prints(self, csv_path: Path) -> None:
        """docs/backtest.md holds exactly the table the two-year back-test prints."""
        result = run(
            "backtest", POLICY, str(csv_path), "--from", "2012-01-01", "--to", "2013-12-31"
        )
        assert result.returncode == 0, result.stderr
        doc = (ROOT / "docs" / "backtest.md").read_text(encoding="utf-8")
        assert f"```text\n{result.stdout}```" in doc


class TestConvert:
    @pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.arc")), ids=lambda p: p.name)
    def test_yaml_and_back_plan_alike(self, path: Path, tmp_path: Path) -> None:
        """`convert --to yaml` gives a file with the same tree, checked policy and plans."""

        out = tmp_path / "p.yaml"
        result = run("convert", str(path), "--to", "yaml", "-o", str(out))
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        arc, yml = load_policy(path), load_policy(out)
        assert yml.tree == arc.tree
        assert yml.checked == arc.checked
        accounts = parse_ibm_csv(ibm_csv_text(), currency=arc.checked.currency or "USD")
        assert (
            yml.plan(accounts, as_of=DEMO_AS_OF).to_json()
            == arc.plan(accounts, as_of=DEMO_AS_OF).to_json()
        )
        back = run("convert", str(out), "--to", "arc")
        assert back.returncode == 0, back.stderr
        again = tmp_path / "again.arc"
        again.write_text(back.stdout, encoding="utf-8")
        assert load_policy(again).tree == arc.tree


class TestHostIndependence:
    def test_demo_ignores_the_callers_decimal_context(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """The demo prints the same bytes under a caller's hostile Decimal context.

        Regression: priorities were rounded in the caller's context (600.06 or 600.05).
        """
        import decimal  # noqa: PLC0415

        from arcollect.cli import main  # noqa: PLC0415

        assert main(["demo"]) == 0
        plain = capsys.readouterr().out
        with decimal.localcontext() as ctx:
            ctx.prec, ctx.rounding = 3, decimal.ROUND_DOWN
            ctx.traps[decimal.Inexact] = True
            assert main(["demo"]) == 0
        assert capsys.readouterr().out == plain
        assert "Worklist for Friday 2012-03-16, in priority order:" in plain
