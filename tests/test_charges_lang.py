"""The ``charges`` section of the rule language: parse, format, check, and its YAML twin."""

from __future__ import annotations

from decimal import Decimal

import pytest

from arcollect.charges import DayCount, InterestRule
from arcollect.domain.money import Money
from arcollect.errors import PolicyError
from arcollect.lang import ast
from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse
from arcollect.lang.yaml_writer import to_yaml, without_layout
from arcollect.policy import parse_policy

HEAD = 'policy "t" version 1\n  currency EUR\n'

CHARGES = (
    HEAD + "charges\n"
    '  interest 9% above rate "DE-base" from due, act/360\n'
    "  fee 40 EUR per invoice when days_past_due >= 1\n"
    "  fee 5 EUR with letter unless key\n"
    "  payments pay principal, interest, costs\n"
    'let key = account.tags contains "key"\n'
)

CHARGES_YAML = """\
policy: t
version: 1
currency: EUR
let:
  key: account.tags contains "key"
charges:
  interest: {rate: 9%, above: DE-base, day_count: act/360}
  fees:
    - {amount: 40 EUR, per: invoice, when: days_past_due >= 1}
    - {amount: 5 EUR, with: letter, unless: key}
  payments: [principal, interest, costs]
"""


def error_of(text: str, name: str = "t.arc") -> str:
    with pytest.raises(PolicyError) as info:
        parse_policy(text, name=name)
    return str(info.value)


class TestParse:
    def test_the_section_becomes_its_nodes(self) -> None:
        """Each clause of `charges` becomes its node, in the order written within its kind."""
        block = parse(CHARGES).charges
        days = ast.Compare(
            op=">=", left=ast.Name(parts=("days_past_due",)), right=ast.NumberLit(value=Decimal(1))
        )
        assert block == ast.ChargesBlock(
            interest=(
                ast.InterestClause(
                    rate=ast.PercentLit(value=Decimal(9)), table="DE-base", day_count="act/360"
                ),
            ),
            fees=(
                ast.FeeClause(
                    amount=ast.MoneyLit(amount=Decimal(40), currency="EUR"),
                    basis="invoice",
                    condition=days,
                ),
                ast.FeeClause(
                    amount=ast.MoneyLit(amount=Decimal(5), currency="EUR"),
                    basis="letter",
                    unless=ast.Name(parts=("key",)),
                ),
            ),
            payments=(ast.PaymentOrder(parts=("principal", "interest", "costs")),),
        )

    def test_a_second_section_is_an_error(self) -> None:
        """A policy has one `charges` section."""
        text = HEAD + "charges\n  fee 5 EUR with letter\ncharges\n  fee 6 EUR with letter\n"
        assert error_of(text) == (
            "t.arc:5:1: error: a policy has one `charges` section; this is a second one\n"
            "  5 | charges\n"
            "    | ^"
        )

    def test_a_misplaced_word_says_what_a_clause_may_be(self) -> None:
        """After `charges`, an unknown word is met with the clauses the section has."""
        assert error_of(HEAD + "charges\n  interst 9% per year from due\n") == (
            "t.arc:4:3: error: unknown keyword `interst`: "
            "expected a `charges` clause or a new section\n"
            "  4 |   interst 9% per year from due\n"
            "    |   ^^^^^^^\n"
            "  hint: did you mean `interest`?"
        )


class TestFormat:
    def test_canonical_text(self) -> None:
        """Interest first, then fees, then the payment order; each clause on its line."""
        text = (
            HEAD + "charges\n"
            "  payments   pay principal,interest,costs\n"
            "  fee 40 EUR per invoice when days_past_due>=1  # compensation\n"
            '  interest 9.50%  above rate "DE-base" from due act/360\n'
        )
        assert format_policy(parse(text)) == (
            'policy "t" version 1\n'
            "  currency EUR\n"
            "\n"
            "charges\n"
            '  interest 9.50% above rate "DE-base" from due, act/360\n'
            "  fee 40 EUR per invoice when days_past_due >= 1  # compensation\n"
            "  payments pay principal, interest, costs\n"
        )

    def test_parse_inverts_format(self) -> None:
        """The formatted text parses back to the same tree."""
        tree = parse(CHARGES)
        assert parse(format_policy(tree)) == tree


class TestCheck:
    def test_checked_section(self) -> None:
        """The checked section holds the interest rule, the fees with their keys, the order."""
        charges = parse_policy(CHARGES, name="t.arc").checked.charges
        assert charges is not None
        assert charges.interest == InterestRule(Decimal(9), "DE-base", DayCount.ACT_360)
        assert [(f.key, f.amount, f.basis, f.text) for f in charges.fees] == [
            (
                "fee.invoice",
                Money(40, "EUR"),
                "invoice",
                "fee 40 EUR per invoice when days_past_due >= 1",
            ),
            ("fee.letter", Money(5, "EUR"), "letter", "fee 5 EUR with letter unless key"),
        ]
        assert (charges.payments, charges.tables) == (
            ("principal", "interest", "costs"),
            ("DE-base",),
        )

    def test_a_second_fee_of_a_basis_gets_its_own_key(self) -> None:
        """Two fees with letters are logged apart: fee.letter and fee.letter.2."""
        text = HEAD + "charges\n  fee 5 EUR with letter\n  fee 7 EUR with letter\n"
        charges = parse_policy(text, name="t.arc").checked.charges
        assert charges is not None
        assert [f.key for f in charges.fees] == ["fee.letter", "fee.letter.2"]

    def test_defaults(self) -> None:
        """Without a day count and a payment order: act/365, costs, interest, principal."""
        text = HEAD + "charges\n  interest 10% per year from due\n"
        charges = parse_policy(text, name="t.arc").checked.charges
        assert charges is not None
        assert charges.interest == InterestRule(Decimal(10))
        assert (charges.payments, charges.tables) == (("costs", "interest", "principal"), ())

    def test_every_error_located_with_a_hint(self) -> None:
        """Bad rates, day counts, currencies, channels, amounts and parts: each located."""
        text = (
            HEAD + "charges\n"
            "  interest 120% per year from due, act/30\n"
            "  interest 9% per year from due\n"
            "  fee 40 USD per invoice when overdue\n"
            "  fee 5 EUR with lettre\n"
            "  fee 0 EUR with letter\n"
            "  payments pay costs, intrest, principal\n"
            "  payments pay costs, principal\n"
        )
        assert error_of(text) == (
            "t.arc:4:12: error: an interest rate of 120% a year is out of range\n"
            "  4 |   interest 120% per year from due, act/30\n"
            "    |            ^^^^\n"
            "  hint: write a yearly rate from 0% to under 100%, e.g. `interest 9% per year`\n"
            "\n"
            "t.arc:4:36: error: unknown day count `act/30`\n"
            "  4 |   interest 120% per year from due, act/30\n"
            "    |                                    ^^^\n"
            "  hint: write `act/365` (the default: a day is 1/365 of a year) or `act/360`\n"
            "\n"
            "t.arc:5:3: error: the `charges` section has one `interest` clause; "
            "this is a second one\n"
            "  5 |   interest 9% per year from due\n"
            "    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: a policy charges one rate of interest: keep the one that applies\n"
            "\n"
            "t.arc:6:7: error: the fee is in USD, but the policy is in EUR\n"
            "  6 |   fee 40 USD per invoice when overdue\n"
            "    |       ^^^^^^\n"
            "  hint: write the fee in EUR\n"
            "\n"
            "t.arc:6:31: error: the fee 40 USD per invoice needs a condition (true or false), "
            "got money (EUR)\n"
            "  6 |   fee 40 USD per invoice when overdue\n"
            "    |                               ^^^^^^^\n"
            "\n"
            "t.arc:7:18: error: unknown channel `lettre` for a fee\n"
            "  7 |   fee 5 EUR with lettre\n"
            "    |                  ^^^^^^\n"
            "  hint: did you mean `letter`? (charge a fee `per invoice` or `with` a channel)\n"
            "\n"
            "t.arc:8:7: error: a fee must be above zero\n"
            "  8 |   fee 0 EUR with letter\n"
            "    |       ^^^^^\n"
            "  hint: leave the fee out instead\n"
            "\n"
            "t.arc:9:23: error: unknown part `intrest` of a claim\n"
            "  9 |   payments pay costs, intrest, principal\n"
            "    |                       ^^^^^^^\n"
            "  hint: did you mean `interest`? (payments pay costs, interest and principal)\n"
            "\n"
            "t.arc:10:3: error: the `charges` section has one `payments pay` clause; "
            "this is a second one\n"
            "  10 |   payments pay costs, principal\n"
            "     |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^"
        )

    def test_an_order_missing_a_part(self) -> None:
        """A payment order that leaves a part out says which."""
        text = HEAD + "charges\n  payments pay costs, principal\n"
        assert error_of(text) == (
            "t.arc:4:3: error: `payments pay` names each of costs, interest and principal once: "
            "`interest` is missing\n"
            "  4 |   payments pay costs, principal\n"
            "    |   ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: e.g. `payments pay costs, interest, principal` (§ 367 BGB, the default)"
        )

    def test_charges_facts_read_like_any_other(self) -> None:
        """`interest`, `fees` and `claim` are money facts usable in conditions and scores."""
        text = (
            HEAD
            + "let big = claim >= 1,000 EUR and interest > fees\npriority\n  score claim / 1 EUR\n"
        )
        assert parse_policy(text, name="t.arc").checked.lets["big"].type.kind.value == "bool"


class TestYaml:
    def test_yaml_gives_the_same_policy(self) -> None:
        """The YAML twin of a charges section checks to the same policy."""
        arc = parse_policy(CHARGES, name="t.arc")
        yml = parse_policy(CHARGES_YAML, name="t.yaml")
        assert yml.checked.charges == arc.checked.charges
        assert without_layout(yml.tree) == without_layout(arc.tree)

    def test_to_yaml_round_trips(self) -> None:
        """Writing the tree as YAML and reading it back gives the same tree."""
        tree = parse(CHARGES)
        back = parse_policy(to_yaml(tree), name="t.yaml").tree
        assert without_layout(back) == without_layout(tree)

    def test_a_fee_needs_one_basis(self) -> None:
        """A YAML fee with both `per` and `with` is refused at the fee."""
        text = (
            "policy: t\ncurrency: EUR\ncharges:\n  fees:\n"
            "    - {amount: 5 EUR, per: invoice, with: letter}\n"
        )
        assert error_of(text, "t.yaml") == (
            "t.yaml:5:7: error: a fee needs exactly one of `per: invoice` and `with: CHANNEL`\n"
            "  5 |     - {amount: 5 EUR, per: invoice, with: letter}\n"
            "    |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: `per: invoice` charges it once per overdue invoice, `with: letter` per letter"
        )

    def test_an_amount_that_says_more_is_refused(self) -> None:
        """An amount holding a condition too is refused: each clause under its own key."""
        text = (
            "policy: t\ncurrency: EUR\ncharges:\n  fees:\n"
            "    - {amount: 5 EUR when overdue > 0 EUR, with: letter}\n"
        )
        assert error_of(text, "t.yaml") == (
            "t.yaml:5:16: error: expected an amount such as `40 EUR`, got "
            "`5 EUR when overdue > 0 EUR`\n"
            "  5 |     - {amount: 5 EUR when overdue > 0 EUR, with: letter}\n"
            "    |                ^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
            "  hint: a value holds exactly what its key says: write each clause under its own key"
        )
