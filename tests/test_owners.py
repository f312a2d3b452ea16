"""Owners: the ``assign`` rules, each action's owner, per-collector capacity and worklists."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arcollect import Collector, PolicyError, parse_policy
from arcollect.domain.account import Account
from arcollect.engine.model import PlannedAction
from arcollect.expect import run_expects
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.lang.yaml_writer import to_yaml
from arcollect.letters.worklist import worklist
from arcollect.report import NO_COLLECTOR, build_report
from arcollect.testing import Record, account, contact, dispute, invoice, promise

AS_OF = date(2026, 10, 11)
VOGT = Collector("Lena Vogt")
BRAUN = Collector("Tom Braun")

SOURCE = """\
policy "Owners" version 1
  currency EUR

segment key when account.tags contains "key"

timeline standard for all
  step first_call 10 days past due call to decision_maker

assign "Key accounts desk" when key
assign account.collector   otherwise

priority
  score overdue / 1,000 EUR
  capacity 1 calls per day per collector
"""
OWNERS = parse_policy(SOURCE, name="owners.arc")
OWNERS_YAML = parse_policy(to_yaml(parse(SOURCE)), name="owners.yaml")


def customer(id: str, amount: str, *records: Record, **fields: Any) -> Account:
    """An account 10 days past due with a decision maker to call, and *records*."""
    return account(
        invoice(amount, due="2026-10-01", number="INV-1"),
        contact("Jo", "decision_maker"),
        *records,
        id=id,
        **fields,
    )


def portfolio() -> list[Account]:
    """A key account, two of Lena Vogt's, one of Tom Braun's, one without a collector."""
    return [
        customer("C-1", "9000 EUR", tags={"key"}, collector=VOGT),
        customer("C-2", "5000 EUR", collector=VOGT),
        customer("C-3", "4000 EUR", collector=VOGT),
        customer("C-4", "3500 EUR", collector=BRAUN),
        customer("C-5", "3000 EUR"),
    ]


def owners(actions: tuple[PlannedAction, ...]) -> list[tuple[str, str | None, str, bool]]:
    return [(a.account, a.owner, a.due.isoformat(), a.deferred) for a in actions]


def error(source: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(source, name="p.arc")
    return str(info.value)


class TestAssignSyntax:
    def test_formatting_is_canonical_and_aligns_owners(self) -> None:
        """`arcollect fmt` keeps one rule a line, the owners padded into a column."""
        messy = SOURCE.replace(
            'assign "Key accounts desk" when key\nassign account.collector   otherwise',
            'assign   "Key accounts desk"  when key\nassign account.collector otherwise',
        )
        assert format_policy(parse(messy)) == SOURCE

    def test_the_yaml_twin_reads_back_to_the_same_tree(self) -> None:
        """The YAML spelling of `assign` and `per collector` gives the same syntax tree."""
        text = to_yaml(parse(SOURCE))
        assert "assign:\n- owner: '\"Key accounts desk\"'\n  when: key\n" in text
        assert "capacity: 1 calls per day per collector\n" in text
        assert parse_policy(text, name="o.yaml").checked == OWNERS.checked

    def test_yaml_and_arc_give_identical_plans(self) -> None:
        """The same portfolio planned under both spellings gives the same JSON."""
        arc = OWNERS.plan(portfolio(), as_of=AS_OF)
        yml = OWNERS_YAML.plan(portfolio(), as_of=AS_OF)
        assert arc.to_json().replace("owners.arc", "X") == yml.to_json().replace("owners.yaml", "X")

    def test_a_yaml_owner_that_is_not_an_expression_is_located(self) -> None:
        """A YAML owner written as a bare phrase is refused at the value, with the quoting hint."""
        text = "policy: P\nassign:\n  - {owner: Key desk, when: otherwise}\n"
        with pytest.raises(PolicyError) as info:
            parse_policy(text, name="p.yaml")
        assert str(info.value) == (
            "p.yaml:3:13: error: expected an owner, got `Key desk`\n"
            "  3 |   - {owner: Key desk, when: otherwise}\n"
            "    |             ^^^^^^^^\n"
            "  hint: an owner is a fact such as `account.collector` or a string in double "
            "quotes: owner: '\"Key accounts desk\"'"
        )

    def test_a_yaml_rule_needs_both_keys(self) -> None:
        """An `assign` rule without `when` is refused, naming the key."""
        with pytest.raises(PolicyError) as info:
            parse_policy("policy: P\nassign:\n  - {owner: account.collector}\n", name="p.yaml")
        assert str(info.value).splitlines()[0] == (
            "p.yaml:3:5: error: an `assign` rule needs `when`"
        )


class TestAssignChecker:
    def test_an_unknown_bare_owner_suggests_quotes(self) -> None:
        """A bare word that is no fact is an error with the hint to quote a person's name."""
        assert error('policy "P"\nassign Lena otherwise\n') == (
            "p.arc:2:8: error: unknown fact `Lena`\n"
            "  2 | assign Lena otherwise\n"
            "    |        ^^^^\n"
            '  hint: write a person or a team in double quotes: "Lena"'
        )

    def test_a_misspelt_fact_gets_did_you_mean(self) -> None:
        """A misspelt `account.collector` is an error with a suggestion."""
        assert error('policy "P"\nassign account.colector otherwise\n') == (
            "p.arc:2:8: error: unknown fact `account.colector`\n"
            "  2 | assign account.colector otherwise\n"
            "    |        ^^^^^^^^^^^^^^^^\n"
            "  hint: did you mean `account.collector`?"
        )

    def test_an_owner_must_be_a_string(self) -> None:
        """A segment (a condition) cannot own actions: the error says what it is."""
        source = 'policy "P"\nsegment key when overdue > 0 EUR\nassign key otherwise\n'
        assert error(source) == (
            "p.arc:3:8: error: an owner is a string, got a condition (true or false) (`key`)\n"
            "  3 | assign key otherwise\n"
            "    |        ^^^\n"
            '  hint: use `account.collector` or a name in double quotes, "Key accounts desk"'
        )

    def test_an_empty_owner_is_an_error(self) -> None:
        """An owner of blanks names no one."""
        assert error('policy "P"\nassign " " otherwise\n') == (
            "p.arc:2:8: error: an owner cannot be empty\n"
            '  2 | assign " " otherwise\n'
            "    |        ^^^\n"
            "  hint: name a person or a team"
        )

    def test_the_condition_must_be_a_condition(self) -> None:
        """`when` takes a condition: money is refused at the expression."""
        message = error('policy "P"\n  currency EUR\nassign "Desk" when overdue\n')
        assert message.splitlines()[0] == (
            "p.arc:3:20: error: an `assign` rule needs a condition (true or false), got money (EUR)"
        )

    def test_rules_after_otherwise_and_never_true_rules_warn(self) -> None:
        """An `otherwise` before other rules, and a rule that is always false, are warnings."""
        policy = parse_policy(
            'policy "P"\nassign "A" otherwise\nassign "B" when false\n', name="p.arc"
        )
        assert [(w.span.line if w.span else 0, w.message) for w in policy.warnings] == [
            (2, "an `otherwise` rule is not last: the rules after it never apply"),
            (3, "this `assign` rule never applies: its condition is false"),
        ]

    def test_assign_is_a_section_keyword(self) -> None:
        """After a mistake, parsing resumes at the next `assign` line, reporting both errors."""
        message = error('policy "P"\nlet x = = 1\nassign "A" when\n')
        assert [line for line in message.splitlines() if ": error: " in line] == [
            "p.arc:2:9: error: expected an expression, found `=`",
            "p.arc:3:16: error: expected an expression, found the end of the file",
        ]


class TestOwners:
    def test_without_assign_the_collector_owns_and_nothing_is_said(self) -> None:
        """With no `assign` rules the account's collector owns its actions, silently."""
        policy = parse_policy(
            'policy "P"\ntimeline t for all\n  step c 10 days past due call\n', name="p.arc"
        )
        plan = policy.plan(portfolio(), as_of=AS_OF)
        assert [(a.account, a.owner) for a in plan.actions] == [
            ("C-1", "Lena Vogt"),
            ("C-2", "Lena Vogt"),
            ("C-3", "Lena Vogt"),
            ("C-4", "Tom Braun"),
            ("C-5", None),
        ]
        assert not any("owner" in line for a in plan.actions for line in a.explanation)

    def test_the_first_rule_that_applies_gives_the_owner_and_says_why(self) -> None:
        """Odoo's follow-up "responsible": each customer's reminders go to one named person.

        The key account goes to the desk whatever its collector; the others to their own.
        """
        plan = OWNERS.plan(portfolio(), as_of=AS_OF)
        assert [(a.account, a.owner) for a in plan.actions] == [
            ("C-1", "Key accounts desk"),
            ("C-2", "Lena Vogt"),
            ("C-3", "Lena Vogt"),
            ("C-4", "Tom Braun"),
            ("C-5", None),
        ]
        why = {a.account: a.explanation for a in plan.actions}
        assert "owner Key accounts desk (assign rule 1): key = true" in why["C-1"]
        assert "owner Tom Braun (assign rule 2): account.collector otherwise" in why["C-4"]
        assert "no owner: no assign rule applies and the account has no collector" in why["C-5"]

    def test_no_rule_applying_falls_back_to_the_collector(self) -> None:
        """When no rule holds, the account's collector owns its actions, and the line says so."""
        policy = parse_policy(
            'policy "P"\nsegment key when account.tags contains "key"\n'
            "timeline t for all\n  step c 10 days past due call\n"
            'assign "Desk" when key\n',
            name="p.arc",
        )
        act = policy.plan([customer("C-2", "100 EUR", collector=VOGT)], as_of=AS_OF).actions[0]
        assert act.owner == "Lena Vogt"
        assert "owner Lena Vogt: no assign rule applies: the account's collector" in (
            act.explanation
        )

    def test_follow_ups_and_reviews_have_the_account_owner(self) -> None:
        """A promise follow-up and a dispute review belong to the account's owner too."""
        acct = customer(
            "C-1",
            "900 EUR",
            promise("900 EUR", due="2026-10-11", made="2026-10-05"),
            dispute("INV-1", opened="2026-10-06"),
            tags={"key"},
        )
        plan = OWNERS.plan([acct], as_of=AS_OF)
        assert sorted((a.step, a.owner) for a in plan.actions) == [
            ("dispute_review", "Key accounts desk"),
            ("first_call", "Key accounts desk"),
            ("promise_follow_up", "Key accounts desk"),
        ]

    def test_the_owner_is_in_every_output(self) -> None:
        """Records, typed records, JSON, pandas and polars all carry the `owner`."""
        plan = OWNERS.plan(portfolio(), as_of=AS_OF)
        assert "owner" in PlannedAction.RECORD_KEYS
        assert plan.to_records()[0]["owner"] == "Key accounts desk"
        assert plan.to_records(typed=True)[4]["owner"] is None
        assert json.loads(plan.to_json())["actions"][1]["owner"] == "Lena Vogt"
        pytest.importorskip("pandas")
        assert list(plan.to_pandas()["owner"])[:2] == ["Key accounts desk", "Lena Vogt"]

    def test_polars_has_an_owner_column(self) -> None:
        """`Plan.to_polars` gives `owner` as a string column."""
        pl = pytest.importorskip("polars")
        frame = OWNERS.plan(portfolio(), as_of=AS_OF).to_polars()
        assert frame.schema["owner"] == pl.String
        assert frame["owner"].to_list()[-1] is None


class TestCapacityPerCollector:
    def test_each_owner_has_their_own_capacity(self) -> None:
        """SAP FSCM Collections Management: each collection specialist works their own worklist.

        With `capacity 1 calls per day per collector`, Lena Vogt's second call moves to the next
        day; the desk, Tom Braun and the unowned account keep theirs.
        """
        assert owners(OWNERS.plan(portfolio(), as_of=AS_OF).actions) == [
            ("C-1", "Key accounts desk", "2026-10-11", False),
            ("C-2", "Lena Vogt", "2026-10-11", False),
            ("C-3", "Lena Vogt", "2026-10-12", True),
            ("C-4", "Tom Braun", "2026-10-11", False),
            ("C-5", None, "2026-10-11", False),
        ]
        deferred = OWNERS.plan(portfolio(), as_of=AS_OF).actions_for("C-3")[0]
        assert (
            "capacity 1 calls per day per collector reached for Lena Vogt (call #2): "
            "moved to 2026-10-12"
        ) in deferred.explanation

    def test_actions_without_owner_share_one_count(self) -> None:
        """The calls of accounts without an owner are counted together."""
        plan = OWNERS.plan([customer("C-8", "200 EUR"), customer("C-9", "100 EUR")], as_of=AS_OF)
        assert owners(plan.actions) == [
            ("C-8", None, "2026-10-11", False),
            ("C-9", None, "2026-10-12", True),
        ]
        assert (
            "capacity 1 calls per day per collector reached for the actions without owner "
            "(call #2): moved to 2026-10-12"
        ) in plan.actions[1].explanation

    def test_a_team_capacity_counts_everyone_together(self) -> None:
        """Without `per collector` the limit is the team's: the second call of all defers."""
        policy = parse_policy(SOURCE.replace(" per collector", ""), name="team.arc")
        assert [a.deferred for a in policy.plan(portfolio(), as_of=AS_OF).actions] == [
            False,
            True,
            True,
            True,
            True,
        ]


class TestWorklistByOwner:
    def test_collector_keeps_the_actions_the_collector_owns(self) -> None:
        """Oracle Advanced Collections: a collector's work queue holds the accounts assigned.

        The key account Lena Vogt is the collector of belongs to the desk, not to her list.
        """
        plan = OWNERS.plan(portfolio(), as_of=AS_OF)
        assert [
            i.action.account for i in worklist(plan, portfolio(), collector="Lena Vogt").items
        ] == [
            "C-2",
            "C-3",
        ]
        desk = worklist(plan, portfolio(), collector="Key accounts desk")
        assert [(i.action.account, i.collector, i.owner) for i in desk.items] == [
            ("C-1", "Lena Vogt", "Key accounts desk")
        ]

    def test_the_report_groups_by_owner(self) -> None:
        """`arcollect report` lists the worklist under each owner's heading."""
        page, _work = build_report(OWNERS, portfolio(), as_of=AS_OF)
        headings = [
            line.split(">")[1].split("<")[0]
            for line in page.replace("<h3", "\n<h3").splitlines()
            if line.startswith('<h3 class="collector">')
        ]
        assert headings == [
            "Key accounts desk (1)",
            "Lena Vogt (2)",
            "Tom Braun (1)",
            f"{NO_COLLECTOR} (1)",
        ]

    def test_the_command_line_prints_one_owners_list(self, tmp_path: Path) -> None:
        """`arcollect plan --collector NAME` prints the actions NAME owns, as JSON too."""
        policy = tmp_path / "owners.arc"
        policy.write_text(SOURCE, encoding="utf-8")
        data = tmp_path / "p.yaml"
        data.write_text(
            "currency: EUR\naccounts:\n"
            "  - id: C-1\n    tags: [key]\n    collector: {name: Lena Vogt}\n"
            "    contacts: [{name: Jo, roles: [decision_maker]}]\n"
            "    invoices: [{number: I-1, issued: 2026-09-01, due: 2026-10-01, amount: 900 EUR}]\n"
            "  - id: C-2\n    collector: {name: Lena Vogt}\n"
            "    contacts: [{name: Jo, roles: [decision_maker]}]\n"
            "    invoices: [{number: I-2, issued: 2026-09-01, due: 2026-10-01, amount: 800 EUR}]\n",
            encoding="utf-8",
        )
        cmd = [sys.executable, "-m", "arcollect.cli", "plan", str(policy), str(data)]
        cmd += ["--as-of", "2026-10-11", "--format", "json", "--collector", "Key accounts desk"]
        out = subprocess.run(cmd, capture_output=True, encoding="utf-8", check=False)
        assert out.returncode == 0, out.stderr
        actions = json.loads(out.stdout)["actions"]
        assert [(a["account"], a["owner"], a["collector"]) for a in actions] == [
            ("C-1", "Key accounts desk", "Lena Vogt")
        ]


class TestCoverage:
    CASES = """
expect "the key account goes to the desk" as of 2026-10-11
  account tags "key" collector "Lena Vogt"
    invoice 900 EUR due 2026-10-01
  then owner "Key accounts desk", step first_call
"""

    def test_assign_rules_no_case_exercised_are_reported(self) -> None:
        """`arcollect test` coverage names the `assign` rules that gave no case its owner."""
        report = run_expects(parse_policy(SOURCE + self.CASES, name="o.arc"))
        assert [(c.name, c.failures) for c in report.cases] == [
            ("the key account goes to the desk", ())
        ]
        assert report.untested_assign_rules == ("assign account.collector otherwise",)

    def test_the_command_line_says_so(self, tmp_path: Path) -> None:
        """The report of `arcollect test` ends with the rules not exercised."""
        policy = tmp_path / "o.arc"
        policy.write_text(SOURCE + self.CASES, encoding="utf-8")
        cmd = [sys.executable, "-m", "arcollect.cli", "test", str(policy)]
        out = subprocess.run(cmd, capture_output=True, encoding="utf-8", check=False)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[-1] == (
            "not exercised by any case: assign account.collector otherwise"
        )


class TestDeterminism:
    @given(st.permutations(range(5)))
    def test_owners_and_capacity_do_not_depend_on_the_order_of_accounts(
        self, order: list[int]
    ) -> None:
        """Per-collector capacity counts in plan order: shuffled accounts give the same bytes."""
        accounts = portfolio()
        shuffled = [accounts[k] for k in order]
        assert OWNERS.plan(shuffled, as_of=AS_OF).to_json() == (
            OWNERS.plan(accounts, as_of=AS_OF).to_json()
        )
