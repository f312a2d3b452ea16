"""The front (`arcollect.policy`): rule files loaded, checked and warned about; shipped rules."""

from __future__ import annotations

from pathlib import Path

import pytest

from arcollect.errors import PolicyError
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.policy import load_policy, parse_policy
from commands import run

ROOT = Path(__file__).parent.parent
RULES = sorted((ROOT / "rules").glob("*.arc")) + sorted((ROOT / "rules").glob("*.yaml"))


class TestRuleFiles:
    @pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
    def test_loads_without_errors_or_warnings(self, path: Path) -> None:
        """Every shipped rule file parses and checks cleanly."""
        policy = load_policy(path)
        assert policy.warnings == ()
        assert policy.checked.timelines

    @pytest.mark.parametrize("path", RULES, ids=lambda p: p.name)
    def test_formats_to_the_same_policy(self, path: Path) -> None:
        """Every rule file formats to canonical text that parses back to the same tree."""
        tree = load_policy(path).tree
        text = format_policy(tree)
        assert parse(text) == tree
        assert format_policy(parse(text)) == text

    def test_yaml_twin_is_the_same_policy(self) -> None:
        """rules/standard.yaml and rules/standard.arc give equal trees and checked policies."""
        arc = load_policy(ROOT / "rules" / "standard.arc")
        yml = load_policy(ROOT / "rules" / "standard.yaml")
        assert yml.tree == arc.tree
        assert yml.checked == arc.checked

    def test_standard_policy_says_what_design_says(self) -> None:
        """The standard policy's steps, days and actions are those of DESIGN.md."""
        checked = load_policy(ROOT / "rules" / "standard.arc").checked
        standard = checked.timelines[0]
        assert [(s.name, s.day, s.action) for s in standard.steps] == [
            ("courtesy", -3, "email"),
            ("reminder", 1, "email"),
            ("first_call", 10, "call"),
            ("follow_up", 20, "email"),
            ("demand", 45, "letter"),
            ("hold", 60, "hold_shipments"),
            ("agency", 90, "refer_agency"),
            ("attorney", 120, "refer_attorney"),
        ]
        follow_up = standard.steps[3]
        assert (follow_up.every, follow_up.until) == (7, 45)
        assert standard.steps[4].approval == "credit_manager"
        assert standard.resume_on_broken_promise == "first_call"
        assert standard.min_gap == 3
        assert checked.timelines[1].segment == "key"
        assert checked.timelines[1].steps[1].min_interval == 90
        assert [(n, str(s)) for n, s in checked.priority.tiers] == [
            ("A", "0.80"),
            ("B", "0.15"),
            ("C", "0.05"),
        ]
        assert checked.priority.capacity == 40
        assert checked.business_days == "weekdays"
        assert len(checked.holidays) == 3


class TestWarnings:
    def test_step_that_can_never_fire(self) -> None:
        """A step whose condition is always false is accepted with a warning."""
        policy = parse_policy(
            'policy "t"\ntimeline t for all\n  step s 1 day past due call when false\n',
            name="t.arc",
        )
        assert [d.render(policy.checked.source) for d in policy.warnings] == [
            (
                "t.arc:3:3: warning: step `s` can never fire: its condition is always false\n"
                "  3 |   step s 1 day past due call when false\n"
                "    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
            )
        ]

    def test_channel_without_otherwise(self) -> None:
        """A channel section without `otherwise` is accepted with a warning."""
        policy = parse_policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n  step s 1 day past due email "x"\n'
            "channel\n  call when overdue > 5 EUR\n",
            name="t.arc",
        )
        assert [d.message for d in policy.warnings] == [
            (
                "the channel section has no `otherwise` rule: "
                "accounts no rule matches keep the step's own channel"
            )
        ]


class TestLoading:
    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing rule file is a PolicyError naming it."""
        with pytest.raises(PolicyError) as exc:
            load_policy(tmp_path / "nope.arc")
        assert str(exc.value) == f"{tmp_path / 'nope.arc'}: error: No such file or directory"

    def test_yaml_invalid_utf8(self) -> None:
        """Invalid UTF-8 in a YAML rule file is located by line and column."""
        with pytest.raises(PolicyError) as exc:
            parse_policy(b"policy: t\nlet:\n  a: caf\xe9\n", name="t.yaml")
        assert str(exc.value) == "t.yaml:3:9: error: the file is not valid UTF-8"


class TestCheckCommand:
    def test_good_files_print_nothing(self) -> None:
        """`arcollect check` on good files prints nothing and exits 0."""
        result = run("check", *map(str, RULES))
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")

    def test_bad_file_prints_every_error(self, tmp_path: Path) -> None:
        """Errors go to stderr, rendered with caret, and the exit code is 1."""
        bad = tmp_path / "bad.arc"
        bad.write_text(
            'policy "t"\n  currency EUR\nlet a = overdu > 1 EUR\nlet b = 1 EUR + 1 USD\n'
        )
        result = run("check", str(bad))
        assert result.returncode == 1
        assert result.stdout == ""
        assert result.stderr == (
            f"{bad}:3:9: error: unknown fact `overdu`\n"
            "  3 | let a = overdu > 1 EUR\n"
            "    |         ^^^^^^\n"
            "  hint: did you mean `overdue`?\n"
            "\n"
            f"{bad}:4:9: error: cannot add EUR and USD: amounts must be in one currency\n"
            "  4 | let b = 1 EUR + 1 USD\n"
            "    |         ^^^^^^^^^^^^^\n"
        )
