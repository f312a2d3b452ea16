"""Tests of the rule-language parser: the DESIGN examples, literals, precedence, errors, safety."""

# ruff: noqa: E501  (expected error messages are quoted whole, source and caret lines included)

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from textwrap import dedent

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect.errors import PolicyError, Span
from arcollect.lang import ast, format_policy, parse
from arcollect.lang.parser import MAX_NESTING, MAX_POLICY_CHARS, _Builder, _grammar
from lang_strategies import FUZZ_TOKENS

ROOT = Path(__file__).parents[1]
STANDARD = ROOT / "rules" / "standard.arc"
DESIGN = ROOT.parent / "shared" / "DESIGN.md"
DESIGN_EXAMPLES = ROOT / "tests" / "data" / "design_examples.md"  # DESIGN.md's examples, verbatim
H = 'policy "P"\n'


def expr(source: str) -> ast.Expr:
    """Parse *source* as the value of a `let`."""
    return parse(f"{H}let x = {source}").lets[0].value


def num(value: str) -> ast.NumberLit:
    return ast.NumberLit(value=Decimal(value))


def name(dotted: str) -> ast.Name:
    return ast.Name(parts=tuple(dotted.split(".")))


def eur(amount: str) -> ast.MoneyLit:
    return ast.MoneyLit(amount=Decimal(amount), currency="EUR")


def paren(e: ast.Expr) -> str:
    """Render *e* fully parenthesized, to show how it was grouped."""
    match e:
        case ast.Name():
            return e.dotted
        case ast.NumberLit():
            return str(e.value)
        case ast.Binary() | ast.Compare() | ast.BoolOp():
            return f"({paren(e.left)} {e.op} {paren(e.right)})"
        case ast.Unary():
            return f"(-{paren(e.operand)})"
        case ast.Not():
            return f"(not {paren(e.operand)})"
        case ast.In():
            return f"({paren(e.item)} {'not in' if e.negated else 'in'} {paren(e.collection)})"
        case ast.Contains():
            return f"({paren(e.container)} contains {paren(e.item)})"
        case ast.Between():
            return f"({paren(e.value)} between {paren(e.low)} and {paren(e.high)})"
        case ast.Conditional():
            return f"({paren(e.then)} if {paren(e.condition)} else {paren(e.otherwise)})"
        case _:
            return repr(e)


def error_of(source: str | bytes) -> str:
    """Return the rendered `PolicyError` that parsing *source* (as ``p.arc``) raises."""
    with pytest.raises(PolicyError) as excinfo:
        parse(source, source_name="p.arc")
    return str(excinfo.value)


def _arc_blocks(markdown: str) -> list[str]:
    """Return the untagged code blocks of *markdown* that are rule text (policy or expect)."""
    blocks = re.findall(r"```\n(.*?)```", markdown, re.DOTALL)
    return [b for b in blocks if b.startswith(("policy ", "expect "))]


@pytest.fixture(scope="module")
def standard() -> ast.PolicyFile:
    """The parsed rules/standard.arc, shared by the tests of this module."""
    return parse(STANDARD.read_text(encoding="utf-8"), source_name=str(STANDARD))


class TestDesignExamples:
    """Every example of DESIGN.md parses and means what it says."""

    def test_rules_file_holds_the_design_text(self) -> None:
        """rules/standard.arc holds DESIGN.md's policy and expect blocks, as `fmt` lays them out.

        The blocks are copied verbatim in tests/data/design_examples.md; formatted, with their
        comments, each must appear in the shipped file word for word.
        """
        arc = _arc_blocks(DESIGN_EXAMPLES.read_text(encoding="utf-8"))
        assert [block.split("\n", 1)[0] for block in arc] == [
            'policy "Standard B2B" version 3',
            'expect "a promise pauses escalation" as of 2026-11-23',
        ]
        policy, expects = arc
        text = STANDARD.read_text(encoding="utf-8")
        assert format_policy(parse(policy)) in text
        assert format_policy(parse(H + expects)).removeprefix(H + "\n") in text
        assert parse(policy + "\n" + expects) == parse(text)

    def test_design_examples_are_a_copy_of_design_md(self) -> None:
        """Where ../shared/DESIGN.md is beside the checkout, the repository's copy matches it."""
        if not DESIGN.exists():  # the test above reads the copy, which always exists
            pytest.skip("no ../shared/DESIGN.md beside the checkout to compare the copy with")
        copy = _arc_blocks(DESIGN_EXAMPLES.read_text(encoding="utf-8"))
        assert copy == _arc_blocks(DESIGN.read_text(encoding="utf-8"))

    def test_header(self, standard: ast.PolicyFile) -> None:
        """The header gives name, version, currency, locale, calendar and timezone."""
        assert standard.header == ast.Header(
            name="Standard B2B",
            version=3,
            currency="EUR",
            locale="en_US",
            calendar=ast.Calendar(
                days="weekdays",
                holidays=(date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1)),
            ),
            timezone="Europe/Berlin",
        )

    def test_let_and_segments(self, standard: ast.PolicyFile) -> None:
        """`let` and `segment` name expressions; `250,000 EUR` is Decimal 250000 in EUR."""
        assert standard.lets == (
            ast.Let(
                name="small_balance",
                value=ast.Compare(op="<", left=name("overdue"), right=eur("250")),
            ),
        )
        key, new = standard.segments
        assert key.name == "key"
        assert key.condition == ast.BoolOp(
            op="or",
            left=ast.Contains(container=name("account.tags"), item=ast.StringLit(value="key")),
            right=ast.Compare(op=">=", left=name("account.credit_limit"), right=eur("250000")),
        )
        assert new.condition == ast.Compare(
            op=">",
            left=name("account.customer_since"),
            right=ast.Binary(op="-", left=name("today"), right=ast.DurationLit(days=180)),
        )

    def test_standard_timeline_clauses(self, standard: ast.PolicyFile) -> None:
        """The standard timeline's pause, restart, resume and gap clauses are kept in order."""
        timeline = standard.timelines[0]
        assert (timeline.name, timeline.segment) == ("standard", None)
        assert timeline.pause_while[0] == name("promise.active")
        assert timeline.restart_when == (
            ast.Compare(op="==", left=name("overdue"), right=eur("0")),
        )
        assert timeline.on_events == (ast.OnEvent(event=name("promise.broken"), step="first_call"),)
        assert timeline.min_gap == ast.DurationLit(days=3)
        assert [s.name for s in timeline.steps] == [
            "courtesy", "reminder", "first_call", "follow_up", "demand", "hold", "agency", "attorney",
        ]  # fmt: skip
        assert [s.timing.days_past_due for s in timeline.steps] == [-3, 1, 10, 20, 45, 60, 90, 120]

    def test_demand_step(self, standard: ast.PolicyFile) -> None:
        """The demand step sends letter `final_demand` when overdue >= 100 EUR, with approval."""
        demand = standard.timelines[0].steps[4]
        assert demand == ast.Step(
            name="demand",
            timing=ast.StepTiming(relation="past_due", offset=ast.DurationLit(days=45)),
            action=ast.Action(kind="letter", template="final_demand"),
            when=ast.Compare(op=">=", left=name("overdue"), right=eur("100")),
            approval="credit_manager",
        )

    def test_other_steps(self, standard: ast.PolicyFile) -> None:
        """Each step of the standard timeline has its action and modifiers."""
        steps = {s.name: s for s in standard.timelines[0].steps}
        assert steps["courtesy"].unless == name("small_balance")
        assert steps["reminder"].to_role == "billing"
        assert steps["first_call"].action == ast.Action(kind="call")
        assert steps["follow_up"].repeat == ast.Repeat(
            every=ast.DurationLit(days=7), until=ast.DurationLit(days=45)
        )
        assert steps["hold"].action.kind == "hold_shipments"
        assert steps["agency"].action.kind == "refer_agency"
        assert steps["agency"].when == ast.BoolOp(
            op="and",
            left=ast.Compare(op=">=", left=name("overdue"), right=eur("1000")),
            right=ast.Not(operand=name("key")),
        )
        assert steps["attorney"].action.kind == "refer_attorney"

    def test_key_accounts_timeline(self, standard: ast.PolicyFile) -> None:
        """The key-accounts timeline applies to segment `key` and visits with the sales rep."""
        timeline = standard.timelines[1]
        assert (timeline.name, timeline.segment) == ("key_accounts", "key")
        courtesy, visit, escalate = timeline.steps
        assert courtesy.timing == ast.StepTiming(
            relation="before_due", offset=ast.DurationLit(days=5)
        )
        assert visit.action == ast.Action(kind="visit")
        assert (visit.with_role, visit.min_interval) == ("sales_rep", ast.DurationLit(days=90))
        assert (escalate.to_role, escalate.approval) == ("executive", "cfo")

    def test_channel(self, standard: ast.PolicyFile) -> None:
        """The channel section calls big, key or irate accounts and emails the others."""
        assert standard.channel is not None
        call, email = standard.channel.rules
        assert call.channel == "call"
        assert email == ast.ChannelRule(channel="email")
        assert isinstance(call.condition, ast.BoolOp)
        assert call.condition.right == ast.Compare(
            op="==", left=name("last_contact.outcome"), right=name("irate")
        )

    def test_priority(self, standard: ast.PolicyFile) -> None:
        """Tiers are A 80%, B 15%, C 5%; capacity 40 calls; ties by overdue desc, account.id."""
        priority = standard.priority
        assert priority is not None
        assert priority.tiers == ast.Tiers(
            measure="overdue",
            tiers=tuple(
                ast.Tier(name=n, share=ast.PercentLit(value=Decimal(v)))
                for n, v in (("A", 80), ("B", 15), ("C", 5))
            ),
        )
        assert priority.tiers.tiers[0].share.fraction == Decimal("0.8")
        assert priority.capacity == ast.Capacity(calls_per_day=40)
        assert priority.ties == (
            ast.TieKey(key=name("overdue"), descending=True),
            ast.TieKey(key=name("account.id")),
        )
        assert priority.score is not None
        assert paren(priority.score).startswith(
            "((((((overdue / MoneyLit(amount=Decimal('1000'), currency='EUR')) * 10)"
        )

    def test_expects(self, standard: ast.PolicyFile) -> None:
        """The three expect blocks give their accounts, dates and outcomes."""
        pause, agency, big = standard.expects
        assert pause.name == "a promise pauses escalation"
        assert pause.as_of == date(2026, 11, 23)
        assert pause.account.records == (
            ast.InvoiceRecord(amount=eur("1200"), due=date(2026, 10, 1)),
            ast.PromiseRecord(amount=eur("1200"), due=date(2026, 11, 30), made=date(2026, 11, 20)),
        )
        assert pause.then == (ast.ThenNoAction(),)
        assert agency.account.attributes == (
            ast.AccountAttr(key="tags", values=(ast.StringLit(value="wholesale"),)),
        )
        assert agency.account.records[1] == ast.DoneRecord(
            steps=("reminder", "first_call", "follow_up", "demand", "hold")
        )
        assert agency.then == (ast.ThenStep(name="agency"), ast.ThenAction(kind="refer_agency"))
        assert big.then == (ast.ThenPriority(op=">", value=Decimal(400)),)

    def test_more_expect_lines(self) -> None:
        """Expect blocks also take payments, disputes, contacts and the last contact."""
        tree = parse(
            H
            + dedent("""\
            expect "all lines" as of 2026-11-23
              account id "C-1" credit_limit 50,000 EUR terms 30 days locale en_US
                invoice 500 EUR due 2026-10-01 issued 2026-09-01 number "INV-1" po "PO-7"
                payment 100 EUR on 2026-10-20
                dispute 50 EUR opened 2026-10-25 reason pricing_error
                contact "Jane Roe" as decision_maker
                last contact 2026-11-01 call irate
              then tier A, channel call, priority >= -5
            """)
        )
        account = tree.expects[0].account
        assert [a.key for a in account.attributes] == ["id", "credit_limit", "terms", "locale"]
        assert account.attributes[3].values == (name("en_US"),)
        assert account.records == (
            ast.InvoiceRecord(
                amount=eur("500"), due=date(2026, 10, 1), issued=date(2026, 9, 1),
                number="INV-1", po="PO-7",
            ),
            ast.PaymentRecord(amount=eur("100"), paid_on=date(2026, 10, 20)),
            ast.DisputeRecord(amount=eur("50"), opened=date(2026, 10, 25), reason="pricing_error"),
            ast.ContactRecord(name="Jane Roe", role="decision_maker"),
            ast.LastContactRecord(on=date(2026, 11, 1), channel="call", outcome="irate"),
        )  # fmt: skip
        assert tree.expects[0].then == (
            ast.ThenTier(name="A"),
            ast.ThenChannel(channel="call"),
            ast.ThenPriority(op=">=", value=Decimal(-5)),
        )

    @pytest.mark.parametrize("path", sorted((ROOT / "rules").glob("*.arc")), ids=lambda p: p.name)
    def test_shipped_rule_files_parse(self, path: Path) -> None:
        """Every rule file shipped in rules/ parses and formats back to the same tree."""
        tree = parse(path.read_bytes(), source_name=path.name)
        assert parse(format_policy(tree)) == tree

    def test_bytes_and_calendar_all_days(self) -> None:
        """UTF-8 bytes parse like text; `calendar all days` has no holidays."""
        tree = parse(b'policy "\xc3\xa9t\xc3\xa9" calendar all days')
        assert tree.header == ast.Header(name="été", calendar=ast.Calendar(days="all"))


class TestLiterals:
    """Numbers, percentages, money, durations, dates, strings and booleans."""

    @pytest.mark.parametrize(
        ("source", "value"),
        [("1,000", "1000"), ("1_000", "1000"), ("12.5", "12.5"), ("1,234,567.89", "1234567.89"),
         ("007", "7"), ("0", "0")],
    )  # fmt: skip
    def test_numbers(self, source: str, value: str) -> None:
        """Commas and underscores group digits; numbers are exact Decimals."""
        parsed = expr(source)
        assert parsed == num(value)
        assert isinstance(parsed, ast.NumberLit)
        assert type(parsed.value) is Decimal

    def test_comma_groups_need_three_digits(self) -> None:
        """`1,00` is not a number with a comma: in an argument list it is two arguments."""
        assert expr("max(1,00)") == ast.Call(func="max", args=(num("1"), num("0")))
        assert expr("max(1, 200)") == ast.Call(func="max", args=(num("1"), num("200")))
        assert "`max` aggregates one collection" in error_of(H + "let x = max(1,200)")

    def test_percent(self) -> None:
        """`80%` is a PercentLit of 80 whose fraction is 0.8."""
        parsed = expr("80%")
        assert parsed == ast.PercentLit(value=Decimal(80))
        assert isinstance(parsed, ast.PercentLit)
        assert parsed.fraction == Decimal("0.8")

    def test_money(self) -> None:
        """A number followed by a three-letter code is money."""
        assert expr("1,000 EUR") == eur("1000")
        assert expr("12.50 JPY") == ast.MoneyLit(amount=Decimal("12.5"), currency="JPY")

    @pytest.mark.parametrize(
        ("source", "days", "unit"),
        [("30 days", 30, "day"), ("1 day", 1, "day"), ("2 weeks", 14, "week"),
         ("1 week", 7, "week"), ("1,000 days", 1000, "day")],
    )  # fmt: skip
    def test_durations(self, source: str, days: int, unit: str) -> None:
        """Durations are whole days; weeks count seven, and compare equal to the same days."""
        parsed = expr(source)
        assert parsed == ast.DurationLit(days=days)
        assert isinstance(parsed, ast.DurationLit)
        assert parsed.unit == unit

    def test_dates_strings_bools(self) -> None:
        """Dates are ISO dates, strings decode escapes, booleans are keywords."""
        assert expr("2026-12-25") == ast.DateLit(value=date(2026, 12, 25))
        assert expr(r'"a\"b\\c\n\t\u{20AC}"') == ast.StringLit(value='a"b\\c\n\t€')
        assert expr("true") == ast.BoolLit(value=True)
        assert expr("false") == ast.BoolLit(value=False)

    def test_sets_roles_and_today(self) -> None:
        """Set literals, `has ROLE` and `today` (a name) are atoms."""
        assert expr('["DE", "AT"]') == ast.SetLiteral(
            items=(ast.StringLit(value="DE"), ast.StringLit(value="AT"))
        )
        assert expr("[]") == ast.SetLiteral(items=())
        assert expr("has decision_maker") == ast.HasRole(role="decision_maker")
        assert expr("today") == name("today")


class TestNumberBounds:
    """Numerals the parser refuses: too long, ambiguous grouping, decimal commas, long durations."""

    NINES = "9" * 59

    @pytest.mark.parametrize(
        ("source", "expected"),
        [
            pytest.param(
                f"let x = overdue > {NINES} EUR",
                f"""
                    p.arc:2:19: error: `999999999999...999999999999` is too large: numbers have at most 18 digits before the decimal point
                      2 | let x = overdue > {NINES} EUR
                        |                   {"^" * 59}
                      hint: no amount, count or duration in a policy needs more; look for a stray digit
                """,
                id="59 digits",
            ),
            pytest.param(
                "let x = 1.1234567890123456789",
                """
                    p.arc:2:9: error: `1.1234567890123456789` has 19 decimals; the most is 18
                      2 | let x = 1.1234567890123456789
                        |         ^^^^^^^^^^^^^^^^^^^^^
                      hint: round the number: money has no more decimals than its currency
                """,
                id="19 decimals",
            ),
            pytest.param(
                "let x = 2.500 EUR",
                """
                    p.arc:2:9: error: `2.500` is ambiguous: a dot followed by three digits may group thousands
                      2 | let x = 2.500 EUR
                        |         ^^^^^
                      hint: if the dot groups thousands, write `2,500` or `2500`; for a decimal number, write `2.50`
                """,
                id="2.500",
            ),
            pytest.param(
                "let x = 12.125",
                """
                    p.arc:2:9: error: `12.125` is ambiguous: a dot followed by three digits may group thousands
                      2 | let x = 12.125
                        |         ^^^^^^
                      hint: if the dot groups thousands, write `12,125` or `12125`; for a decimal number, write `12.1250`
                """,
                id="12.125",
            ),
            pytest.param(
                "let x = overdue > 2.500,00 EUR",
                """
                    p.arc:2:19: error: `2.500,00` uses a decimal comma: write `2,500.00`
                      2 | let x = overdue > 2.500,00 EUR
                        |                   ^^^^^^^^
                      hint: commas group thousands and a dot starts the decimals, as in `2,500.00 EUR`
                """,
                id="decimal comma",
            ),
            pytest.param(
                "let x = 1.000.000 EUR",
                """
                    p.arc:2:9: error: `1.000.000` groups thousands with dots: write `1,000,000`
                      2 | let x = 1.000.000 EUR
                        |         ^^^^^^^^^
                      hint: commas (or underscores) group thousands, as in `1,000,000`
                """,
                id="dots group thousands",
            ),
            pytest.param(
                "let x = today + 9999999999 days",
                """
                    p.arc:2:17: error: `9999999999 days` is too long: durations are at most 36,525 days (100 years)
                      2 | let x = today + 9999999999 days
                        |                 ^^^^^^^^^^^^^^^
                      hint: durations count days past due, gaps and intervals: check the number
                """,
                id="long duration",
            ),
            pytest.param(
                "timeline t for all\n  step s 5218 weeks past due call",
                """
                    p.arc:3:10: error: `5218 weeks` is too long: durations are at most 36,525 days (100 years)
                      3 |   step s 5218 weeks past due call
                        |          ^^^^^^^^^^
                      hint: durations count days past due, gaps and intervals: check the number
                """,
                id="long step timing",
            ),
        ],
    )
    def test_refused(self, source: str, expected: str) -> None:
        """Each refused numeral gets one located error with the number to write instead."""
        assert error_of(H + source + "\n") == dedent(expected).strip("\n")

    @pytest.mark.parametrize(
        ("source", "value"),
        [("0.125", "0.125"), ("2.50", "2.5"), ("1,000.500", "1000.5"), ("2500.125", "2500.125"),
         ("2.1250", "2.125"), ("999,999,999,999,999,999", "999999999999999999"),
         ("0.123456789012345678", "0.123456789012345678")],
    )  # fmt: skip
    def test_accepted(self, source: str, value: str) -> None:
        """A leading zero, two or four decimals, comma groups and 18 digits are unambiguous."""
        assert expr(source) == num(value)

    def test_longest_duration(self) -> None:
        """100 years (36,525 days) is the longest duration a literal may write."""
        assert expr("36,525 days") == ast.DurationLit(days=36_525)
        assert "too long" in error_of(H + "let x = 36,526 days\n")


class TestPrecedence:
    """Operators group by the documented precedence."""

    @pytest.mark.parametrize(
        ("source", "grouped"),
        [
            ("a + b * c", "(a + (b * c))"),
            ("a - b - c", "((a - b) - c)"),
            ("a / b * c", "((a / b) * c)"),
            ("-a * b", "((-a) * b)"),
            ("- - a", "(-(-a))"),
            ("a * -b", "(a * (-b))"),
            ("a + b < c * d", "((a + b) < (c * d))"),
            ("a or b and c", "(a or (b and c))"),
            ("a and b or c", "((a and b) or c)"),
            ("not a and b", "((not a) and b)"),
            ("not a == b", "(not (a == b))"),
            ("not not a", "(not (not a))"),
            ("a in b or c not in d", "((a in b) or (c not in d))"),
            ("a contains b and c", "((a contains b) and c)"),
            ("a between b + 1 and c and d", "((a between (b + 1) and c) and d)"),
            ("a if b else c if d else e", "(a if b else (c if d else e))"),
            ("a or b if c or d else e", "((a or b) if (c or d) else e)"),
            ("(a + b) * c", "((a + b) * c)"),
            ("((a))", "a"),
        ],
    )
    def test_grouping(self, source: str, grouped: str) -> None:
        """Each expression groups as the precedence table says."""
        assert paren(expr(source)) == grouped


class TestNamesAndCalls:
    """Dotted names, keywords used as names, aggregates and functions."""

    def test_keywords_read_as_names_where_no_keyword_fits(self) -> None:
        """Words that are keywords elsewhere are names inside expressions and after `step`."""
        assert expr("promise.active and dispute.open") == ast.BoolOp(
            op="and", left=name("promise.active"), right=name("dispute.open")
        )
        assert expr("last_contact.channel == call") == ast.Compare(
            op="==", left=name("last_contact.channel"), right=name("call")
        )
        assert expr("max(invoices.due)") == ast.Aggregate(
            func="max", collection="invoices", field="due"
        )
        tree = parse(H + "timeline t for all\n  step hold on due hold shipments")
        assert tree.timelines[0].steps[0].name == "hold"

    def test_words_are_read_whole(self) -> None:
        """A keyword never matches the start of a longer word: `letx` is not `let x`."""
        assert "unknown keyword `letx`" in error_of(H + "letx = 1")

    def test_aggregates(self) -> None:
        """count/sum/any/all always aggregate; min/max aggregate with one argument."""
        assert expr("count(invoices where days_past_due > 60)") == ast.Aggregate(
            func="count",
            collection="invoices",
            where=ast.Compare(op=">", left=name("days_past_due"), right=num("60")),
        )
        assert expr("sum(invoices.open where disputed)") == ast.Aggregate(
            func="sum", collection="invoices", field="open", where=name("disputed")
        )
        assert expr("any(invoices where not delivered)") == ast.Aggregate(
            func="any", collection="invoices", where=ast.Not(operand=name("delivered"))
        )
        assert expr("all(invoices)") == ast.Aggregate(func="all", collection="invoices")
        assert expr("min(invoices.due where open)") == ast.Aggregate(
            func="min", collection="invoices", field="due", where=name("open")
        )

    def test_functions(self) -> None:
        """min/max with two or more arguments, abs, round and days are calls."""
        assert expr("min(a, b)") == ast.Call(func="min", args=(name("a"), name("b")))
        assert expr("max(a, b, 1)") == ast.Call(func="max", args=(name("a"), name("b"), num("1")))
        assert expr("abs(x)") == ast.Call(func="abs", args=(name("x"),))
        assert expr("round(x, 2)") == ast.Call(func="round", args=(name("x"), num("2")))
        assert expr("days(today - oldest_due)") == ast.Call(
            func="days",
            args=(ast.Binary(op="-", left=name("today"), right=name("oldest_due")),),
        )


class TestSteps:
    """Step timing, actions and modifiers."""

    def step(self, text: str) -> ast.Step:
        return parse(f"{H}timeline t for all\n  step s {text}").timelines[0].steps[0]

    def test_timing(self) -> None:
        """Timing is before due (negative), on due (zero) or past due, in days or weeks."""
        assert self.step("3 days before due call").timing.days_past_due == -3
        assert self.step("on due call").timing.days_past_due == 0
        assert self.step("2 weeks past due call").timing.days_past_due == 14

    @pytest.mark.parametrize(
        ("text", "action"),
        [
            ('email "t"', ast.Action(kind="email", template="t")),
            ('letter "t"', ast.Action(kind="letter", template="t")),
            ('sms "t"', ast.Action(kind="sms", template="t")),
            ("call", ast.Action(kind="call")),
            ('call "script"', ast.Action(kind="call", template="script")),
            ("voicemail", ast.Action(kind="voicemail")),
            ("visit", ast.Action(kind="visit")),
            ('review "check po"', ast.Action(kind="review", template="check po")),
            ("hold shipments", ast.Action(kind="hold_shipments")),
            ("release hold", ast.Action(kind="release_hold")),
            ("refer agency", ast.Action(kind="refer_agency")),
            ("refer attorney", ast.Action(kind="refer_attorney")),
        ],
    )
    def test_actions(self, text: str, action: ast.Action) -> None:
        """Every action parses to its record name and template."""
        assert self.step(f"on due {text}").action == action

    def test_modifiers_in_any_order(self) -> None:
        """Modifiers may come in any order, with optional commas, `per invoice` anywhere."""
        one = self.step(
            'on due per invoice email "t" to billing, when a unless b every 7 days '
            "at most every 2 weeks requires approval by cfo"
        )
        other = self.step(
            'on due email "t" requires approval by cfo, at most every 14 days, every 7 days '
            "unless b when a to billing per invoice"
        )
        assert one == other
        assert one.per_invoice
        assert one.repeat == ast.Repeat(every=ast.DurationLit(days=7))
        assert one.min_interval == ast.DurationLit(days=14)


class TestRolesHeader:
    """`roles a, b` in the header declares the policy's own contact roles."""

    def test_roles_in_order(self) -> None:
        """The roles come back in the order written, each with its span; the line is recorded."""
        tree = parse('policy "P"\n  currency EUR\n  roles buchhaltung, einkauf\n')
        header = tree.header
        assert header == ast.Header(name="P", currency="EUR", roles=("buchhaltung", "einkauf"))
        assert header.role_spans == (Span(3, 9, 3, 20, 34, 45), Span(3, 22, 3, 29, 47, 54))
        assert header.lines == (("currency", 2), ("roles", 3))

    def test_roles_anywhere_in_the_header(self) -> None:
        """`roles` may come before the other header lines, and names that are keywords elsewhere."""
        tree = parse('policy "P" roles on, hold locale de_DE\n')
        assert tree.header == ast.Header(name="P", locale="de_DE", roles=("on", "hold"))

    def test_roles_twice(self) -> None:
        """A second `roles` line is an error, as for every header line."""
        with pytest.raises(PolicyError) as exc:
            parse('policy "P"\n  roles a\n  roles b\n', source_name="p.arc")
        assert str(exc.value) == (
            "p.arc:3:3: error: the policy header has more than one `roles`\n"
            "  3 |   roles b\n"
            "    |   ^^^^^^^"
        )

    def test_roles_without_a_name(self) -> None:
        """`roles` with no name after it says a name was expected."""
        with pytest.raises(PolicyError) as exc:
            parse('policy "P"\n  roles\nlet x = 1\n', source_name="p.arc")
        assert str(exc.value) == (
            "p.arc:3:1: error: expected a name, found `let`\n  3 | let x = 1\n    | ^^^"
        )


class TestSpans:
    """Every node knows where it was written."""

    def test_spans(self) -> None:
        """Spans are 1-based lines and columns, exclusive ends, 0-based offsets."""
        tree = parse(H + "let x = overdue >= 1,000 EUR\n")
        let = tree.lets[0]
        assert let.span == Span(2, 1, 2, 29)
        assert (let.span.start, let.span.end) == (11, 39)
        assert isinstance(let.value, ast.Compare)
        assert let.value.span == Span(2, 9, 2, 29)
        assert let.value.right.span == Span(2, 20, 2, 29)
        assert (let.value.right.span.start, let.value.right.span.end) == (30, 39)

    def test_parenthesized_span_covers_the_parentheses(self) -> None:
        """A parenthesized expression spans its parentheses."""
        value = expr("(a + b) * c")
        assert isinstance(value, ast.Binary)
        assert value.left.span == Span(2, 9, 2, 16)
        assert value.span == Span(2, 9, 2, 20)

    def test_multi_line_span(self) -> None:
        """A timeline spans from its keyword to the end of its last step."""
        tree = parse(H + "timeline t for all\n  step s on due call\n")
        assert tree.timelines[0].span == Span(2, 1, 3, 21)


class TestErrors:
    """Syntax errors say, in English, where they are, what was expected and what was found."""

    @pytest.mark.parametrize(("source", "message"), [
    pytest.param(
        'policy "P"\ntimeline t for all\n  min gap 3 between contacts\n',
        """
            p.arc:3:13: error: expected a unit after `3` (`days` or `weeks`), found `between`
              3 |   min gap 3 between contacts
                |             ^^^^^^^
        """,
        id="missing duration unit",
    ),
    pytest.param(
        'policy "P"\nexpect "e" as of 2026-01-01\n  account\n    invoice 1200 due 2026-01-01\n  then no action\n',
        """
            p.arc:4:18: error: expected a currency code after `1200`, as in `1200 EUR`, found `due`
              4 |     invoice 1200 due 2026-01-01
                |                  ^^^
        """,
        id="missing currency",
    ),
    pytest.param(
        'policy "P"\npriority\n  tiers by share of overdue: A 80, B 20\n',
        """
            p.arc:3:34: error: expected `%` after `80`, as in `80%`, found `,`
              3 |   tiers by share of overdue: A 80, B 20
                |                                  ^
        """,
        id="missing percent",
    ),
    pytest.param(
        'policy "P"\nlet x = overdue = 5\n',
        """
            p.arc:2:17: error: `=` is not a comparison: use `==`
              2 | let x = overdue = 5
                |                 ^
        """,
        id="single equals",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  step reminder 1 day past due to billing\n',
        """
            p.arc:3:32: error: step `reminder` has no action: expected an action, found `to`
              3 |   step reminder 1 day past due to billing
                |                                ^^
              hint: an action is one of `email "template"`, `letter "template"`, `sms "template"`, `call`, `voicemail`, `visit`, `review`, `hold shipments`, `release hold`, `refer agency`, `refer attorney`
        """,
        id="step without action",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  step reminder 1 day past due\n',
        """
            p.arc:3:31: error: step `reminder` has no action: expected an action, found the end of the file
              3 |   step reminder 1 day past due
                |                               ^
              hint: an action is one of `email "template"`, `letter "template"`, `sms "template"`, `call`, `voicemail`, `visit`, `review`, `hold shipments`, `release hold`, `refer agency`, `refer attorney`
        """,
        id="step without action at end",
    ),
    pytest.param(
        'policy "P"\nlet x = "abc\n',
        """
            p.arc:2:9: error: unclosed string: expected a closing `"` before the end of the line
              2 | let x = "abc
                |         ^^^^
        """,
        id="unclosed string",
    ),
    pytest.param(
        'policy "P"\nlet x = \'a\'\n',
        """
            p.arc:2:9: error: unexpected character `'`: strings are written in double quotes
              2 | let x = 'a'
                |         ^
        """,
        id="single quotes",
    ),
    pytest.param(
        'policy "P"\ntimline t for all\n',
        """
            p.arc:2:1: error: unknown keyword `timline`: expected a header line or a new section
              2 | timline t for all
                | ^^^^^^^
              hint: did you mean `timeline`?
        """,
        id="unknown section keyword",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  pase while x\n',
        """
            p.arc:3:3: error: unknown keyword `pase`: expected a timeline clause or a new section
              3 |   pase while x
                |   ^^^^
              hint: did you mean `pause`?
        """,
        id="unknown clause keyword",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  pause whil x\n',
        """
            p.arc:3:9: error: expected `while`, found `whil`
              3 |   pause whil x
                |         ^^^^
              hint: did you mean `while`?
        """,
        id="misspelt keyword",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  step s 3 days past due emial "x"\n',
        """
            p.arc:3:26: error: expected `per` or an action, found `emial`
              3 |   step s 3 days past due emial "x"
                |                          ^^^^^
              hint: did you mean `email`?
        """,
        id="misspelt action",
    ),
    pytest.param(
        'policy "P"\nlet x = )\n',
        """
            p.arc:2:9: error: expected an expression, found `)`
              2 | let x = )
                |         ^
        """,
        id="missing expression",
    ),
    pytest.param(
        'policy "P"\nlet x = a b\n',
        """
            p.arc:2:11: error: expected an operator or a new section, found `b`
              2 | let x = a b
                |           ^
        """,
        id="two names",
    ),
    pytest.param(
        'policy "P"\nsegment k account.tags\n',
        """
            p.arc:2:11: error: expected `when`, found `account`
              2 | segment k account.tags
                |           ^^^^^^^
        """,
        id="missing when",
    ),
    pytest.param(
        'policy "P"\nlet x = (1 + 2\n',
        """
            p.arc:2:15: error: expected `)`, found the end of the file
              2 | let x = (1 + 2
                |               ^
        """,
        id="unclosed paren",
    ),
    pytest.param(
        'policy "P"\nlet x = 1 +\n',
        """
            p.arc:2:12: error: expected an expression, found the end of the file
              2 | let x = 1 +
                |            ^
        """,
        id="dangling operator",
    ),
    pytest.param(
        'policy "P"\nlet x = 5 $\n',
        """
            p.arc:2:11: error: unexpected character `$`
              2 | let x = 5 $
                |           ^
        """,
        id="stray character",
    ),
    pytest.param(
        'policy "P"\nlet x = a < b < c\n',
        """
            p.arc:2:15: error: expected an operator or a new section, found `<`
              2 | let x = a < b < c
                |               ^
        """,
        id="chained comparison",
    ),
    pytest.param(
        'policy "P"\nchannel\n  call when a\n  fax otherwise\n',
        """
            p.arc:4:3: error: unknown keyword `fax`: expected an operator, a channel rule or a new section
              4 |   fax otherwise
                |   ^^^
        """,
        id="unknown channel",
    ),
    pytest.param(
        "let x = 1\n",
        """
            p.arc:1:1: error: expected `policy`, found `let`
              1 | let x = 1
                | ^^^
        """,
        id="missing header",
    ),
    pytest.param(
        "",
        """
            p.arc:1:1: error: expected `policy`, found the end of the file
              1 |
                | ^
        """,
        id="empty file",
    ),
    pytest.param(
        'policy "P"\nexpect "e" as of 2026-01-01\n  account\n    invoice 1,200 EUR due 2026-01-01\n',
        """
            p.arc:4:37: error: expected `issued`, `number`, `po`, `then` or an account line, found the end of the file
              4 |     invoice 1,200 EUR due 2026-01-01
                |                                     ^
        """,
        id="missing then",
    ),
    pytest.param(
        'policy "P"\nlet x = 2026-02-30\n',
        """
            p.arc:2:9: error: `2026-02-30` is not a valid date: day is out of range for month
              2 | let x = 2026-02-30
                |         ^^^^^^^^^^
        """,
        id="invalid date",
    ),
    pytest.param(
        'policy "P"\nlet x = 1.5 days\n',
        """
            p.arc:2:9: error: a duration is a whole number of days, found `1.5 days`
              2 | let x = 1.5 days
                |         ^^^^^^^^
        """,
        id="fractional duration",
    ),
    pytest.param(
        'policy "P"\nlet x = abs(1, 2)\n',
        """
            p.arc:2:9: error: `abs` takes 1 argument, found 2
              2 | let x = abs(1, 2)
                |         ^^^^^^^^^
        """,
        id="abs arity",
    ),
    pytest.param(
        'policy "P"\nlet x = count(1 + 2)\n',
        """
            p.arc:2:15: error: `count` aggregates one collection, as in `count(invoices where ...)` or `count(invoices.amount)`
              2 | let x = count(1 + 2)
                |               ^^^^^
        """,
        id="aggregate of expression",
    ),
    pytest.param(
        'policy "P"\nlet x = "a\\qb"\n',
        r"""
            p.arc:2:11: error: unknown escape `\q` in a string
              2 | let x = "a\qb"
                |           ^^
              hint: the escapes are \" \\ \n \t \r and \u{hex}
        """,
        id="bad escape",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  step s 3 days past due email "x" when a when b\n',
        """
            p.arc:3:43: error: step `s` has more than one `when`
              3 |   step s 3 days past due email "x" when a when b
                |                                           ^^^^^^
        """,
        id="duplicate modifier",
    ),
    pytest.param(
        'policy "P"\n  currency EUR\n  currency USD\n',
        """
            p.arc:3:3: error: the policy header has more than one `currency`
              3 |   currency USD
                |   ^^^^^^^^^^^^
        """,
        id="duplicate header line",
    ),
    pytest.param(
        'policy "P"\nchannel\n  email otherwise\nchannel\n  call otherwise\n',
        """
            p.arc:4:1: error: a policy has one `channel` section; this is a second one
              4 | channel
                | ^
        """,
        id="second channel section",
    ),
    pytest.param(
        'policy "P"\nlet x = abs(a where b)\n',
        """
            p.arc:2:15: error: `abs(...)` takes no `where`; only aggregates over a collection do
              2 | let x = abs(a where b)
                |               ^^^^^^^
        """,
        id="where on a function",
    ),
    pytest.param(
        'policy "P"\ntimeline t for all\n  step s on due email to billing\n',
        """
            p.arc:3:23: error: expected a string, found `to`
              3 |   step s on due email to billing
                |                       ^^
        """,
        id="email without template",
    ),
    pytest.param(
        'policy "P"\ntimeline t\n  step s on due call\n',
        """
            p.arc:3:3: error: expected `for`, found `step`
              3 |   step s on due call
                |   ^^^^
        """,
        id="timeline without scope",
    ),
    pytest.param(
        'policy "P" version 1.5\n',
        """
            p.arc:1:20: error: a version must be a whole number, found `1.5`
              1 | policy "P" version 1.5
                |                    ^^^
        """,
        id="fractional version",
    ),
    pytest.param(
        'policy "P"\npriority\n  tiers by share of overdue: A 80% B 20%\n',
        """
            p.arc:3:36: error: expected `,`, a `priority` clause or a new section, found `B`
              3 |   tiers by share of overdue: A 80% B 20%
                |                                    ^
        """,
        id="missing comma in tiers",
    ),
    pytest.param(
        'policy "P"\nlet timeline = 1\n',
        """
            p.arc:2:5: error: expected a name, found `timeline`
              2 | let timeline = 1
                |     ^^^^^^^^
        """,
        id="keyword as let name",
    ),
    pytest.param(
        'policy "P"\nlet x = a not b\n',
        """
            p.arc:2:15: error: expected `in`, found `b`
              2 | let x = a not b
                |               ^
        """,
        id="not without in",
    ),
    pytest.param(
        'policy "P"\nlet x = a between 1 or 2\n',
        """
            p.arc:2:21: error: expected `+`, `-` or `and`, found `or`
              2 | let x = a between 1 or 2
                |                     ^^
        """,
        id="between without and",
    ),
    ])  # fmt: skip
    def test_message(self, source: str, message: str) -> None:
        """The error renders exactly as expected, caret line included."""
        assert error_of(source) == dedent(message).strip("\n")

    def test_diagnostic_fields(self) -> None:
        """Each diagnostic carries its span, source name and hint."""
        with pytest.raises(PolicyError) as excinfo:
            parse(H + "timline t for all", source_name="p.arc")
        (diagnostic,) = excinfo.value.diagnostics
        assert diagnostic.span == Span(2, 1, 2, 8, 11, 18)
        assert diagnostic.source_name == "p.arc"
        assert diagnostic.hint == "did you mean `timeline`?"

    def test_every_section_reports_its_errors(self) -> None:
        """After a syntax error, parsing resumes at the next section and reports its errors."""
        source = H + dedent("""\
            let a = 1 +
            let b = 2
            segment s account.tags
            timeline t for all
              step s 3 past due call
            let c = )
            """)
        lines = [line for line in error_of(source).splitlines() if ": error: " in line]
        assert lines == [
            "p.arc:3:1: error: expected an expression, found `let`",
            "p.arc:4:11: error: expected `when`, found `account`",
            "p.arc:6:12: error: expected a unit after `3` (`days` or `weeks`), found `past`",
            "p.arc:7:9: error: expected an expression, found `)`",
        ]

    def test_errors_found_while_building_are_all_reported(self) -> None:
        """Invalid values (dates, escapes, durations) are all reported at once."""
        source = H + 'let a = 2026-13-01\nlet b = "\\z"\nlet c = 0.5 weeks\n'
        lines = [line for line in error_of(source).splitlines() if ": error: " in line]
        assert [line.split(": error: ")[0] for line in lines] == [
            "p.arc:2:9",
            "p.arc:3:10",
            "p.arc:4:9",
        ]


class TestSafety:
    """Hostile input gives a `PolicyError` with a location, never a crash or a hang."""

    def test_invalid_utf8(self) -> None:
        """Bytes that are not UTF-8 are located at the bad byte."""
        assert error_of(b'policy "P"\nlet x = "caf\xe9"\n') == dedent("""\
            p.arc:2:13: error: the text is not valid UTF-8: invalid continuation byte (byte 0xe9)
              2 | let x = "caf\ufffd"
                |             ^""")

    def test_nul(self) -> None:
        """A NUL character is refused where it is."""
        assert error_of(H + "let x = 1\0") == dedent("""\
            p.arc:2:10: error: NUL character (U+0000) in the policy text
              2 | let x = 1\ufffd
                |          ^""")

    @pytest.mark.parametrize(
        "source",
        ["(" * 10_000 + "1" + ")" * 10_000, "-" * 10_000 + "1", "not " * 10_000 + "a",
         " + ".join(["1"] * 10_000), "[" * 10_000 + "]" * 10_000,
         "a if b else " * 5_000 + "c", "abs(" * 10_000 + "1" + ")" * 10_000],
        ids=["parentheses", "minus", "not", "sum", "sets", "conditionals", "calls"],
    )  # fmt: skip
    def test_deep_nesting(self, source: str) -> None:
        """Expressions nested past the limit are refused with a location, without recursion."""
        message = error_of(H + "let x = " + source)
        assert message.startswith("p.arc:2:")
        assert f"error: expression nested too deeply: more than {MAX_NESTING} levels" in message

    def test_nesting_limit_is_inclusive(self) -> None:
        """An expression exactly at the limit parses."""
        assert expr("(" * (MAX_NESTING - 1) + "1" + ")" * (MAX_NESTING - 1)) == num("1")

    def test_unclosed_deep_nesting(self) -> None:
        """Ten thousand unclosed parentheses are a syntax error, not a crash."""
        assert "found the end of the file" in error_of(H + "let x = " + "(" * 10_000)

    def test_large_policy(self) -> None:
        """A policy just under the size bound (a megabyte of `let` lines) parses."""
        lines = [f"let v{i} = overdue >= {i} EUR and not key\n" for i in range(23_000)]
        source = H + "".join(lines)
        assert 1_000_000 < len(source) <= MAX_POLICY_CHARS
        tree = parse(source)
        assert len(tree.lets) == 23_000
        assert tree.lets[-1].span.line == 23_001

    def test_five_megabyte_policy(self) -> None:
        """A 5 MB policy is refused at once, located where it passes the bound."""
        line = "let v = overdue >= 1 EUR and not key # padding to a round 64 chars\n"
        source = H + line * (5_000_000 // len(line))
        message = error_of(source)
        head, excerpt, caret, hint = message.split("\n")
        line_no = source.count("\n", 0, MAX_POLICY_CHARS) + 1
        column = MAX_POLICY_CHARS - source.rfind("\n", 0, MAX_POLICY_CHARS)
        assert head == (
            f"p.arc:{line_no}:{column}: error: the policy is {len(source):,} characters long; "
            f"rule files are limited to {MAX_POLICY_CHARS:,}"
        )
        assert excerpt.endswith(line.rstrip("\n"))
        assert caret.endswith(" " * (column - 1) + "^")
        assert hint == "  hint: split it, or look for generated or repeated text"

    def test_many_errors_stop(self) -> None:
        """A file full of mistakes reports a bounded number of them."""
        with pytest.raises(PolicyError) as excinfo:
            parse(H + "let x = )\n" * 1_000)
        diagnostics = len(excinfo.value.diagnostics)
        assert 1 < diagnostics <= 20


class TestGrammar:
    """The grammar itself."""

    def test_every_rule_has_a_builder(self) -> None:
        """Every rule (or alias) that makes a node has a transformer method, so no Tree leaks."""
        names = {r.alias or r.origin.name for r in _grammar().rules}
        named = {str(n) for n in names if not str(n).startswith(("_", "__"))}
        missing = {n for n in named if not hasattr(_Builder, n)}
        inlined = {"expr", "conditional", "or_expr", "and_expr", "not_expr", "comparison", "sum",
                   "product", "unary", "atom", "literal", "attr_value", "action", "then_item",
                   "timeline_scope", "step_timing", "channel_rule", "then", "owner"}  # fmt: skip
        assert missing <= inlined

    def test_grammar_is_conflict_free(self) -> None:
        """The grammar loads in Lark's strict mode (no shift/reduce or reduce/reduce conflict)."""
        assert _grammar().options.strict


class TestFuzz:
    """Random input never escapes as anything but `PolicyError`."""

    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(FUZZ_TOKENS, max_size=40), st.booleans(), st.sampled_from([" ", "\n", ""]))
    def test_token_soup(self, tokens: list[str], header: bool, sep: str) -> None:
        """Sequences of keywords, punctuation and literals parse or raise PolicyError."""
        result = outcome((H if header else "") + sep.join(tokens))
        if isinstance(result, PolicyError):
            assert result.diagnostics
            assert all(d.span is not None and d.span.line >= 1 for d in result.diagnostics)
        else:
            assert isinstance(result, ast.PolicyFile)

    @settings(max_examples=150, deadline=None)
    @given(st.binary(max_size=60))
    def test_random_bytes(self, data: bytes) -> None:
        """Arbitrary bytes parse or raise PolicyError."""
        result = outcome(b'policy "P"\n' + data)
        assert isinstance(result, ast.PolicyFile) or result.diagnostics


def outcome(text: str | bytes) -> ast.PolicyFile | PolicyError:
    """Return what parsing *text* gives: a tree or the PolicyError raised."""
    try:
        return parse(text)
    except PolicyError as exc:
        return exc


class TestDeadlineHeader:
    def test_the_deadline_line_parses_formats_and_converts(self) -> None:
        """``deadline 14 business days`` round-trips through the formatter and the YAML writer."""
        from arcollect.lang.yaml_writer import to_yaml  # noqa: PLC0415
        from arcollect.policy import parse_policy  # noqa: PLC0415

        tree = parse('policy "P" version 1\n  currency EUR\n  deadline 14 business days\n')
        assert tree.header.deadline == 14
        assert parse(format_policy(tree)) == tree
        yaml_text = to_yaml(tree)
        assert "deadline: 14 business days" in yaml_text
        assert parse_policy(yaml_text, name="p.yaml").checked.payment_deadline_days == 14
        short = parse_policy("policy: P\ndeadline: 1\n", name="p.yaml")
        assert short.checked.payment_deadline_days == 1
