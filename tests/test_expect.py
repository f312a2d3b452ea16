"""Policy tests (`arcollect.expect`): expect blocks run against their policy, and coverage."""

from __future__ import annotations

from pathlib import Path

from arcollect.expect import run_expects
from arcollect.policy import Policy, load_policy, parse_policy

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")


def _policy(text: str) -> Policy:
    return parse_policy(text, name="scenario.arc")


class TestRunExpects:
    def test_design_examples_pass(self) -> None:
        """The three expect blocks of the standard policy pass."""
        report = run_expects(STANDARD)
        assert [(c.name, c.passed) for c in report.cases] == [
            ("a promise pauses escalation", True),
            ("old debt goes to the agency", True),
            ("big balances come first", True),
        ]

    def test_a_failing_expectation_says_what_the_plan_did(self) -> None:
        """An expect block the plan contradicts fails with what was expected and what happened."""
        policy = parse_policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
            "  step first_call 10 days past due call\n"
            'expect "wrong" as of 2026-11-23\n  account\n    invoice 100 EUR due 2026-11-20\n'
            "  then step first_call\n",
            name="t.arc",
        )
        (case,) = run_expects(policy).cases
        assert case.failures == ("expected step first_call, got reminder (email)",)

    def test_an_invalid_expect_account_fails_only_its_case(self) -> None:
        """An expect block describing invalid data fails, and the other blocks still run."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
            'expect "bad" as of 2026-10-05\n  account currency "USD"\n'
            "    invoice 100 EUR due 2026-10-01\n  then step reminder\n"
            'expect "good" as of 2026-10-05\n  account\n'
            "    invoice 100 EUR due 2026-10-01\n  then step reminder\n"
        )
        bad, good = run_expects(policy).cases
        assert bad.failures == (
            (
                "the account is not valid: invoices[0].amount: amount is in EUR, but the account "
                "is in USD"
            ),
        )
        assert good.passed


class TestDoneSteps:
    def test_done_steps_belong_to_the_accounts_timeline(self) -> None:
        """`done courtesy` is the courtesy of the timeline the account follows."""
        policy = _policy(
            'policy "t"\n  currency EUR\n'
            'segment vip when account.tags contains "vip"\n'
            "timeline vips for segment vip\n  step courtesy 5 days before due call\n"
            "timeline standard for all\n  min gap 3 days between contacts\n"
            '  step courtesy 3 days before due email "c"\n'
            'expect "done is done" as of 2026-10-01\n  account\n'
            "    invoice 100 EUR due 2026-10-01\n    done courtesy\n  then no action\n"
        )
        (case,) = run_expects(policy).cases
        assert case.failures == ()

    def test_done_steps_fall_in_the_current_episode(self) -> None:
        """A paid-off older invoice does not pull `done` dates out of the current episode."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
            'expect "current episode" as of 2026-10-05\n  account\n'
            "    invoice 1,000 EUR due 2026-08-01\n    payment 1,000 EUR on 2026-08-01\n"
            "    invoice 1,000 EUR due 2026-10-01\n    done reminder\n  then no action\n"
        )
        (case,) = run_expects(policy).cases
        assert case.failures == ()


class TestCoverage:
    def test_coverage_lists_steps_no_case_reached(self) -> None:
        """Steps that no expect block reaches are reported."""
        report = run_expects(STANDARD)
        assert "standard.courtesy" in report.untested_steps
        assert "standard.agency" not in report.untested_steps

    def test_coverage_counts_only_rules_that_chose_a_channel(self) -> None:
        """A promise follow-up's call does not count as the `call when` rule being tested."""
        policy = _policy(
            'policy "t"\n  currency EUR\ntimeline t for all\n'
            '  pause while promise.active\n  step reminder 1 day past due email "r"\n'
            "channel\n  call when overdue >= 5,000 EUR\n  email otherwise\n"
            'expect "follow-up" as of 2026-11-23\n  account\n'
            "    invoice 1,000 EUR due 2026-10-01\n"
            "    promise 1,000 EUR due 2026-11-23 made 2026-11-20\n  then action follow_up\n"
        )
        report = run_expects(policy)
        assert report.passed
        assert report.untested_channel_rules == (
            "call when overdue >= 5,000 EUR",
            "email otherwise",
        )


class TestCalendarEnds:
    def test_an_expect_block_at_the_start_of_the_calendar_fails_with_a_reason(self) -> None:
        """An invoice due 0001-01-02 (issued 30 days before it) fails its case, no traceback.

        Regression: ``arcollect test`` printed an OverflowError traceback.
        """
        policy = parse_policy(
            'policy "E" version 1\n  currency EUR\ntimeline t for all\n'
            '  step reminder 1 day past due email "r"\n'
            'expect "ancient" as of 0001-01-20\n  account\n    invoice 100 EUR due 0001-01-02\n'
            "  then no action\n",
            name="e.arc",
        )
        (case,) = run_expects(policy).cases
        assert case.failures == (
            "the account is not valid: its dates run past 0001-01-01 or 9999-12-31",
        )
