"""Tests of the rule-language formatter: canonical layout, round trips, idempotence."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect.lang import ast, format_policy, parse
from arcollect.lang.formatter import format_decimal, format_expr
from lang_strategies import expressions, policy_files

STANDARD = Path(__file__).parents[1] / "rules" / "standard.arc"
H = 'policy "P"\n'

CANONICAL_STANDARD = """\
policy "Standard B2B" version 3
  currency EUR
  locale en_US
  calendar weekdays, holidays 2026-12-25, 2026-12-26, 2027-01-01
  timezone "Europe/Berlin"  # optional; affects nothing but letter dates

# Named conditions and segments, reusable anywhere below.
let small_balance = overdue < 250 EUR

segment key when account.tags contains "key" or account.credit_limit >= 250,000 EUR
segment new when account.customer_since > today - 180 days

# An escalation timeline. Steps fire by days past due of the oldest overdue invoice
# (or "per invoice"). Each step happens at most once per delinquency episode.
timeline standard for all
  pause while promise.active  # a promise to pay suspends escalation
  pause while dispute.open and undisputed_overdue == 0 EUR
  restart when overdue == 0 EUR  # episode ends; next delinquency starts fresh
  on promise.broken resume at first_call  # broken promise: back into the protocol
  min gap 3 days between contacts  # never hound a customer
  step courtesy   3 days before due email "pre_due_notice" unless small_balance
  step reminder   1 day past due    email "friendly_reminder" to billing
  step first_call 10 days past due  call to decision_maker
  step follow_up  20 days past due  email "follow_up" every 7 days until 45 days past due
  step demand     45 days past due  letter "final_demand" when overdue >= 100 EUR
                                    requires approval by credit_manager
  step hold       60 days past due  hold shipments
  step agency     90 days past due  refer agency when overdue >= 1,000 EUR and not key
  step attorney   120 days past due refer attorney when overdue >= 25,000 EUR

# Key accounts: fewer letters, more conversations.
timeline key_accounts for segment key
  pause while promise.active or dispute.open
  step courtesy 5 days before due call to decision_maker
  step visit    30 days past due  visit with sales_rep, at most every 90 days
  step escalate 45 days past due  call to executive requires approval by cfo

# Which channel: call where a call pays for itself, otherwise write.
channel
  call  when overdue >= 5,000 EUR or key or last_contact.outcome == irate
  email otherwise

priority
  score overdue / 1,000 EUR * 10
      + days_past_due * 2
      + promises.broken * 15
      + (50 if key else 0)
      - (100 if dispute.open else 0)
  tiers by share of overdue: A 80%, B 15%, C 5%  # the 80/20 rule
  capacity 40 calls per day  # beyond it, calls roll to the next business day
  ties by overdue desc, account.id

expect "a promise pauses escalation" as of 2026-11-23
  account
    invoice 1,200 EUR due 2026-10-01
    promise 1,200 EUR due 2026-11-30 made 2026-11-20
  then no action

expect "old debt goes to the agency" as of 2026-11-23
  account tags "wholesale"
    invoice 3,000 EUR due 2026-08-01
    done reminder, first_call, follow_up, demand, hold
  then step agency, action refer_agency

expect "big balances come first" as of 2026-11-23
  account
    invoice 40,000 EUR due 2026-10-01
  then priority > 400
"""


def fmt_expr(source: str) -> str:
    """Format the expression *source* after parsing it."""
    return format_expr(parse(f"{H}let x = {source}").lets[0].value)


class TestFormatPolicy:
    """`format_policy` prints one canonical text."""

    def test_standard_policy(self) -> None:
        """rules/standard.arc is the canonical snapshot, and formats to itself."""
        text = STANDARD.read_text(encoding="utf-8")
        assert text == CANONICAL_STANDARD
        assert format_policy(parse(text)) == text

    def test_sections_are_grouped_in_a_fixed_order(self) -> None:
        """Interleaved sections come out grouped: lets, segments, timelines, then the others."""
        source = H + 'expect "e" as of 2026-01-01 account then no action segment s when a let x = 1'
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            let x = 1

            segment s when a

            expect "e" as of 2026-01-01
              account
              then no action
            """)

    def test_header_and_optional_parts(self) -> None:
        """Optional parts appear only when present; `calendar all days` keeps its form."""
        source = (
            'policy "P" calendar all days timeline t for segment k step s on due per invoice call'
        )
        assert format_policy(parse(source)) == dedent("""\
            policy "P"
              calendar all days

            timeline t for segment k
              step s on due per invoice call
            """)

    def test_roles_line(self) -> None:
        """A `roles` line comes last in the header, its roles in their order, comma-separated."""
        source = 'policy "P" roles  einkauf ,buchhaltung  # ours\n  currency EUR\n'
        assert format_policy(parse(source)) == dedent("""\
            policy "P"
              currency EUR
              roles einkauf, buchhaltung  # ours
            """)

    def test_spacing_is_normalized_and_comments_kept(self) -> None:
        """Whitespace is normalized; comments stay beside the lines they were written on."""
        source = H + "let   x =\n  1 +   # one\n 2  # two\n"
        assert format_policy(parse(source)) == H + "\nlet x = 1  # one\n    + 2  # two\n"


class TestComments:
    """The formatter keeps every comment, beside the line it was written on."""

    def test_own_line_comments_go_before_the_next_line(self) -> None:
        """A comment on its own line goes before what follows it, indented like that line."""
        source = dedent("""\
            # about the file
            policy "P"
            # about x
               # and more
            let x = 1
            timeline t for all
                # about the step
              step s on due call
            # the end
            """)
        assert format_policy(parse(source)) == dedent("""\
            # about the file
            policy "P"

            # about x
            # and more
            let x = 1

            timeline t for all
              # about the step
              step s on due call
            # the end
            """)

    def test_end_of_line_comments_stay_on_their_line(self) -> None:
        """A comment after code is printed two spaces after the canonical line."""
        source = H + "timeline t for all   # the only one\n  step s   on due   call  #  spaced  \n"
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            timeline t for all  # the only one
              step s on due call  #  spaced
            """)

    def test_two_comments_for_one_printed_line(self) -> None:
        """When lines are joined, a second end-of-line comment gets a line of its own after."""
        source = H + "let x = max(1,  # first\n 2)  # second\nlet y = 3\n"
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            let x = max(1, 2)  # first
            # second
            let y = 3
            """)

    def test_a_hash_in_a_string_is_not_a_comment(self) -> None:
        """`#` inside a quoted template name is part of the string."""
        source = H + 'timeline t for all step s on due email "no #1"  # yes #2\n'
        tree = parse(source)
        assert [c.text for c in tree.comments] == ["# yes #2"]
        assert format_policy(tree).endswith('  step s on due email "no #1"  # yes #2\n')

    def test_comments_follow_sections_that_move(self) -> None:
        """A comment goes with its section when sections are put in canonical order."""
        source = H + "segment s when a  # seg\n# about x\nlet x = 1\n"
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            # about x
            let x = 1

            segment s when a  # seg
            """)

    def test_comments_in_an_expect_block(self) -> None:
        """Comments among an expect block's records stay with their records."""
        source = dedent("""\
            policy "P"
            expect "e" as of 2026-01-01
              account   # anyone
                # an old invoice
                invoice 10 EUR due 2025-01-01  # overdue
              then no action
            """)
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            expect "e" as of 2026-01-01
              account  # anyone
                # an old invoice
                invoice 10 EUR due 2025-01-01  # overdue
              then no action
            """)


class TestLineBreaks:
    """The author's line breaks in long expressions and steps are kept, indented canonically."""

    def test_a_long_score_stays_on_its_lines(self) -> None:
        """Breaks before `+`, `-`, `and`, `or` are kept; continuations get four more spaces."""
        source = H + "priority score a * 2\n+ b\n         - (c if d else 0)\n"
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            priority
              score a * 2
                  + b
                  - (c if d else 0)
            """)

    def test_a_break_after_the_operator_moves_before_it(self) -> None:
        """A line ending in an operator is written with the operator starting the next line."""
        source = H + "segment s when a and\n b or\n c\n"
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            segment s when a
                and b
                or c
            """)

    def test_breaks_elsewhere_are_joined(self) -> None:
        """A break that is not before an operator (here inside a call) is not kept."""
        assert (
            format_policy(parse(H + "let x = max(a,\n b) + 1\n")) == H + "\nlet x = max(a, b) + 1\n"
        )

    def test_a_step_modifier_on_a_new_line_aligns_with_the_action(self) -> None:
        """A modifier begun on a new line starts a line at the action's column."""
        source = dedent("""\
            policy "P"
            timeline t for all
              step first 1 day past due email "x" when a
                and b
                  requires approval by cfo
              step second_one on due call, at most every 7 days
            """)
        assert format_policy(parse(source)) == dedent("""\
            policy "P"

            timeline t for all
              step first      1 day past due email "x" when a
                                                 and b
                                             requires approval by cfo
              step second_one on due         call, at most every 7 days
            """)


class TestLiterals:
    """Literals have one written form."""

    @pytest.mark.parametrize(
        ("value", "text"),
        [("0", "0"), ("999", "999"), ("1000", "1,000"), ("1234567.50", "1,234,567.50"),
         ("1E+3", "1,000"), ("0.05", "0.05"), ("12.5", "12.5")],
    )  # fmt: skip
    def test_decimal(self, value: str, text: str) -> None:
        """Numbers of four integer digits or more get thousands commas; decimals are kept."""
        assert format_decimal(Decimal(value)) == text

    @pytest.mark.parametrize(
        ("source", "text"),
        [("1_000", "1,000"), ("80%", "80%"), ("1000 EUR", "1,000 EUR"), ("1 days", "1 day"),
         ("2 weeks", "2 weeks"), ("14 days", "14 days"), ("1 week", "1 week"),
         ("2026-01-02", "2026-01-02"), ('"a\\"b\\\\c\\td"', '"a\\"b\\\\c\\td"'),
         ("true", "true"), ('["a", "b"]', '["a", "b"]'), ("has cfo", "has cfo")],
    )  # fmt: skip
    def test_literal(self, source: str, text: str) -> None:
        """Each literal formats to its canonical text."""
        assert fmt_expr(source) == text

    def test_unprintable_characters_are_escaped(self) -> None:
        """Control characters in strings are written as escapes."""
        tree = ast.StringLit(value="a\x00b\u2028\n")
        assert format_expr(tree) == '"a\\u{0}b\\u{2028}\\n"'

    def test_weeks_that_are_not_whole_are_written_in_days(self) -> None:
        """A duration marked as weeks but not a multiple of seven is written in days."""
        assert format_expr(ast.DurationLit(days=10, unit="week")) == "10 days"


class TestParentheses:
    """The formatter writes the fewest parentheses the precedence allows."""

    @pytest.mark.parametrize(
        ("source", "text"),
        [
            ("(a + b) + c", "a + b + c"),
            ("a + (b + c)", "a + (b + c)"),
            ("a - (b - c)", "a - (b - c)"),
            ("(a * b) + c", "a * b + c"),
            ("(a + b) * c", "(a + b) * c"),
            ("-(a + b)", "-(a + b)"),
            ("-(-a)", "- -a"),
            ("(a or b) and c", "(a or b) and c"),
            ("a or (b and c)", "a or b and c"),
            ("not (a and b)", "not (a and b)"),
            ("(not a) == b", "(not a) == b"),
            ("(a == b) == c", "(a == b) == c"),
            ("(a if b else c) if d else e", "(a if b else c) if d else e"),
            ("a if b else (c if d else e)", "a if b else c if d else e"),
            ("x + (a if b else c)", "x + (a if b else c)"),
            ("min((a), (b + c))", "min(a, b + c)"),
            ("count(invoices where (a or b))", "count(invoices where a or b)"),
            ("(a between b and c) and d", "a between b and c and d"),
            ("a between (b and c) and d", "a between (b and c) and d"),
        ],
    )
    def test_minimal_parentheses(self, source: str, text: str) -> None:
        """Parentheses appear exactly where leaving them out would change the meaning."""
        assert fmt_expr(source) == text


class TestRoundTrip:
    """Formatting and parsing are inverse, and formatting is idempotent."""

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(policy_files())
    def test_parse_inverts_format(self, tree: ast.PolicyFile) -> None:
        """Parsing the formatted text of any tree gives the same tree back."""
        assert parse(format_policy(tree)) == tree

    @settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(expressions())
    def test_expressions_round_trip(self, tree: ast.Expr) -> None:
        """Parsing a formatted expression gives the same expression back."""
        assert parse(f"{H}let x = {format_expr(tree)}").lets[0].value == tree

    @settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(policy_files())
    def test_formatting_is_idempotent(self, tree: ast.PolicyFile) -> None:
        """Formatting the parse of formatted text changes nothing."""
        text = format_policy(parse(format_policy(tree)))
        assert format_policy(parse(text)) == text


def _string_spans(line: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r'"(?:[^"\\]|\\.)*"', line)]


@st.composite
def commented_sources(draw: st.DrawFn) -> tuple[str, list[str]]:
    """Rule text from a random tree, with comments and line breaks added; and the comments."""
    lines = format_policy(draw(policy_files())).splitlines()
    comment_text = st.text(
        st.characters(whitelist_categories=("L", "N", "P", "Zs"), max_codepoint=0x2FF),
        max_size=12,
    ).map(lambda t: ("# " + t).rstrip())
    out: list[str] = []
    comments: list[str] = []
    for canonical in lines:
        line = canonical
        strings = _string_spans(line)
        spaces = [
            i
            for i, ch in enumerate(line)
            if ch == " " and line[:i].strip() and not any(a <= i < b for a, b in strings)
        ]
        if draw(st.booleans()) and len(spaces) > 0:
            cut = draw(st.sampled_from(spaces))
            line = line[:cut] + "\n" + " " * draw(st.integers(0, 6)) + line[cut + 1 :]
        if draw(st.booleans()):
            comments.append(draw(comment_text))
            out.append(" " * draw(st.integers(0, 4)) + comments[-1])
        if draw(st.booleans()):
            comments.append(draw(comment_text))
            line += " " * draw(st.integers(1, 3)) + comments[-1]
        out.append(line)
    return "\n".join(out) + "\n", comments


class TestCommentInvariants:
    """Formatting commented, re-broken text keeps its meaning and its comments, and is stable."""

    @settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(commented_sources())
    def test_format_keeps_meaning_and_comments(self, case: tuple[str, list[str]]) -> None:
        """parse(format(x)) == parse(x); every comment text survives; formatting is idempotent."""
        source, comments = case
        tree = parse(source)
        text = format_policy(tree)
        again = parse(text)
        assert again == tree
        assert sorted(c.text for c in tree.comments) == sorted(comments)
        assert sorted(c.text for c in again.comments) == sorted(comments)
        assert format_policy(again) == text


class TestAmbiguousNumbers:
    def test_three_decimals_get_a_fourth_so_the_text_parses_again(self) -> None:
        """A number 2.125 in a tree is written 2.1250: ``2.125`` is refused as ambiguous."""
        tree = parse('policy "P" version 1\nlet x = 2.1250 + 0.125 + 1,000.125')
        text = format_policy(tree)
        assert text.splitlines()[-1] == "let x = 2.1250 + 0.125 + 1,000.125"
        assert parse(text) == tree
