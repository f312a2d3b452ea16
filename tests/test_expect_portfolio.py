"""Policy tests of a portfolio: named accounts in one ``expect`` block; the new ``then`` items."""

from __future__ import annotations

import pytest

from arcollect import PolicyError, parse_policy
from arcollect.engine.actions import DISPUTE_REVIEW, PROMISE_FOLLOW_UP
from arcollect.expect import CaseResult, run_expects
from arcollect.lang.checker import BUILT_IN_STEPS
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.lang.yaml_writer import to_yaml

POLICY = """\
policy "Portfolio tests" version 1
  currency EUR

segment key when account.tags contains "key"

timeline standard for all
  pause while promise.active
  step first_call 10 days past due call to decision_maker
  step demand     45 days past due letter "final_demand" requires approval by credit_manager

channel
  email otherwise
  fall back when unreachable

assign "Key accounts desk" when key
assign account.collector   otherwise

priority
  score overdue / 1,000 EUR
  tiers by share of overdue: A 80%, B 20%
  capacity 1 calls per day per collector
"""

PORTFOLIO = """
expect "capacity, tiers and order across a portfolio" as of 2026-10-11
  account "big" collector "Lena Vogt"
    invoice 9,000 EUR due 2026-10-01
    contact "Jo" as decision_maker phone "+49 30 1"
  account "small" collector "Lena Vogt"
    invoice 1,000 EUR due 2026-10-01
    contact "Al" as decision_maker phone "+49 30 2"
  account "key" tags "key" collector "Lena Vogt"
    invoice 500 EUR due 2026-10-01
    contact "Kim" as decision_maker email "kim@key.example"
  then "big" tier A, owner "Lena Vogt", not deferred, contact "Jo", no approval
  then "small" tier B, deferred, contact decision_maker, channel call
  then "key" owner "Key accounts desk", channel email, not deferred
  then order "big", "small", "key"
"""


def cases(source: str) -> tuple[CaseResult, ...]:
    return run_expects(parse_policy(POLICY + source, name="p.arc")).cases


def error(source: str) -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(POLICY + source, name="p.arc")
    return str(info.value)


class TestPortfolio:
    def test_a_portfolio_case_passes(self) -> None:
        """SAP FSCM Collections Management: each specialist's worklist, in valuation order.

        Three accounts planned together: the tiers split their overdue money, Lena Vogt's
        second call is deferred by her capacity, the key account goes to the desk (by e-mail: it
        has no phone), and the plan lists the accounts by priority.
        """
        (case,) = cases(PORTFOLIO)
        assert (case.name, case.failures) == ("capacity, tiers and order across a portfolio", ())
        assert [s.account for s in case.plan.states] == ["big", "key", "small"]

    def test_each_failure_names_its_account(self) -> None:
        """A contradicted item fails with the account's name, what was expected and what came."""
        wrong = (
            PORTFOLIO.replace(
                'then "big" tier A, owner "Lena Vogt"', 'then "big" tier B, owner "X"'
            )
            .replace("deferred, contact decision_maker", "not deferred, contact billing")
            .replace(
                '"key" owner "Key accounts desk", channel email', '"key" no owner, channel sms'
            )
            .replace('order "big", "small", "key"', 'order "small", "big", "key"')
        )
        (case,) = cases(wrong)
        assert case.failures == (
            '"big": expected tier B, got A',
            '"big": expected owner "X", got Lena Vogt',
            '"small": expected nothing deferred, got first_call deferred',
            '"small": expected contact billing, got Al (decision_maker)',
            '"key": expected no owner, got Key accounts desk',
            '"key": expected channel sms, got email',
            'expected order "small", "big", "key", got "big", "small", "key"',
        )

    def test_approval_and_no_action_items(self) -> None:
        """`needs_approval ROLE` holds for an action waiting on that role; `no approval` fails."""
        source = """
expect "the demand waits for the credit manager" as of 2026-11-15
  account "old"
    invoice 2,000 EUR due 2026-10-01
  account "paid"
    invoice 2,000 EUR due 2026-10-01
    payment 2,000 EUR on 2026-10-05
  then "old" step demand, needs_approval credit_manager
  then "paid" no action
  then "old" no approval, needs_approval cfo
"""
        (case,) = cases(source)
        assert case.failures == (
            '"old": expected no approval, got approval by credit_manager',
            '"old": expected approval by cfo, got approval by credit_manager',
        )

    def test_order_needs_every_account_to_have_an_action(self) -> None:
        """`then order` fails, naming them, when an account it lists has no action."""
        source = """
expect "paid accounts have no place in the order" as of 2026-10-11
  account "a"
    invoice 500 EUR due 2026-10-01
  account "b"
    invoice 500 EUR due 2026-10-01
    payment 500 EUR on 2026-10-02
  then order "a", "b"
"""
        (case,) = cases(source)
        assert case.failures == ('expected order "a", "b", but "b" has no action',)

    def test_built_in_steps_can_be_named(self) -> None:
        """Upflow and the collections practice: follow up on the promised date; review disputes.

        `then step promise_follow_up` and `then step dispute_review` name the plan's built-in
        steps, which no timeline declares.
        """
        source = """
expect "a promise is followed up on its date" as of 2026-10-20
  account
    invoice 900 EUR due 2026-10-01
    promise 900 EUR due 2026-10-20 made 2026-10-12
    dispute 100 EUR opened 2026-10-15 reason pricing_error
  then step promise_follow_up, step dispute_review, owner "Kim"
"""
        (case,) = cases(source)
        assert case.failures == ('expected owner "Kim", got no owner',)
        assert set(BUILT_IN_STEPS) == {PROMISE_FOLLOW_UP, DISPUTE_REVIEW}

    def test_a_named_single_account_is_named_in_failures(self) -> None:
        """One named account is the block's subject: `then` may leave the name out."""
        source = """
expect "named" as of 2026-10-11
  account "C-7"
    invoice 500 EUR due 2026-10-01
  then deferred
"""
        (case,) = cases(source)
        assert case.failures == (
            '"C-7": expected a deferred action, got first_call (call), none deferred',
        )
        assert case.plan.states[0].account == "C-7"


class TestChecker:
    def test_several_accounts_must_be_named(self) -> None:
        """A block with several accounts names each; the error points at the unnamed one."""
        source = (
            '\nexpect "x" as of 2026-10-11\n  account "a"\n    invoice 1 EUR due 2026-10-01\n'
            "  account\n    invoice 1 EUR due 2026-10-01\n"
            '  then "a" no action\n'
        )
        message = error(source)
        assert message.splitlines()[:3] == [
            "p.arc:26:3: error: an expect block with several accounts names each one",
            "  26 |   account",
            "     |   ^^^^^^^",
        ]

    def test_a_then_in_a_portfolio_names_its_account(self) -> None:
        """In a block of several accounts, a `then` without a name is an error with a hint."""
        source = PORTFOLIO.replace('then "small" tier B', "then tier B")
        assert error(source) == (
            "p.arc:34:8: error: this block has several accounts: name the one this `then` is "
            "about\n"
            "  34 |   then tier B, deferred, contact decision_maker, channel call\n"
            "     |        ^^^^^^\n"
            '  hint: write `then "big" ...`'
        )

    def test_an_unknown_account_gets_did_you_mean(self) -> None:
        """A misspelt account in `then` or `order` is an error with a suggestion."""
        source = PORTFOLIO.replace('then order "big", "small"', 'then order "bgi", "small"')
        message = error(source)
        assert message == (
            'p.arc:36:15: error: unknown account "bgi"\n'
            '  36 |   then order "bgi", "small", "key"\n'
            "     |               ^^^\n"
            '  hint: did you mean "big"?'
        )

    def test_names_are_unique_and_replace_id(self) -> None:
        """Two accounts of one name, or a name with an `id`, are errors."""
        source = (
            '\nexpect "x" as of 2026-10-11\n  account "a" id "C-1"\n'
            '  account "a"\n  then "a" no action\n'
        )
        lines = [line for line in error(source).splitlines() if ": error: " in line]
        assert lines == [
            "p.arc:24:15: error: a named account has its name as id: drop `id`",
            'p.arc:25:3: error: the account "a" is named twice',
        ]

    def test_unknown_step_suggests_the_built_in_ones(self) -> None:
        """`then step` knows the built-in steps: a misspelling gets a suggestion."""
        source = '\nexpect "x" as of 2026-10-11\n  account\n  then step promise_folow_up\n'
        assert error(source).splitlines()[-1] == "  hint: did you mean `promise_follow_up`?"

    def test_a_contact_role_must_be_known(self) -> None:
        """`then contact ROLE` checks the role like every role of the policy."""
        source = '\nexpect "x" as of 2026-10-11\n  account\n  then contact biling\n'
        assert error(source).splitlines()[0] == "p.arc:25:16: error: unknown contact role `biling`"


class TestSpellings:
    def test_the_formatter_prints_one_line_per_account(self) -> None:
        """`arcollect fmt` prints each account and each account's `then` line canonically."""
        source = POLICY + PORTFOLIO
        assert format_policy(parse(source)) == source

    def test_yaml_has_accounts_and_a_list_of_then_lines(self) -> None:
        """The YAML twin: `accounts: {NAME: ...}` and `then: [...]`; the case runs the same."""
        text = to_yaml(parse(POLICY + PORTFOLIO))
        assert '  accounts:\n    big: |\n      collector "Lena Vogt"\n' in text
        assert '  - order "big", "small", "key"\n' in text
        twin = parse_policy(text, name="p.yaml")
        assert [(c.name, c.failures) for c in run_expects(twin).cases] == [
            ("capacity, tiers and order across a portfolio", ())
        ]

    def test_yaml_needs_account_or_accounts(self) -> None:
        """A YAML expect block with both `account` and `accounts` is refused."""
        text = (
            "policy: P\nexpect:\n  - {name: x, as_of: 2026-10-11, account: '', "
            "accounts: {a: ''}, then: no action}\n"
        )
        with pytest.raises(PolicyError) as info:
            parse_policy(text, name="p.yaml")
        assert str(info.value).splitlines()[0] == (
            "p.yaml:3:5: error: an expect block needs `account` (one account) or `accounts` "
            "(named ones), not both"
        )
