"""The columnar decision of quiet accounts (`arcollect.frame._decide`).

The end-to-end proof is `test_frame.TestSamePlan` (the columnar plan is the row plan over
generated portfolios and the policies of the repository and the language reference, five of
which this path decides); these tests hold each piece to the row engine on its own.
"""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Channel, DataError, Money, Policy, parse_ibm_csv
from arcollect.data import ibm_csv_text
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.calendar import BusinessCalendar
from arcollect.facts import PromiseStatus, facts
from arcollect.lang.schema import FACTS
from arcollect.policy import parse_policy
from arcollect.testing import account, activity, contact, dispute, invoice, payment, promise

pl = pytest.importorskip("polars")

from polars.testing import assert_frame_equal  # noqa: E402 - after the skip

from arcollect import frame  # noqa: E402 - needs polars
from arcollect.engine.planner import _AccountPlan  # noqa: E402
from arcollect.engine.priority import standing_fields  # noqa: E402
from arcollect.engine.timeline import decide  # noqa: E402
from arcollect.frame import Tables  # noqa: E402
from arcollect.frame import _expr as expr_frame  # noqa: E402
from arcollect.frame._decide import (  # noqa: E402
    FRAME_FACTS,
    Decided,
    _translated,
    eligible,
    facts_frame,
    given_position,
    promise_facts,
    quiet,
)
from arcollect.frame._plan import _Later, _reads_activities, _Work  # noqa: E402
from test_frame import (  # noqa: E402
    AS_OFS,
    POLICIES,
    _unique,
    assert_same_plan,
    complex_accounts,
    plain_accounts,
)

AS_OF = date(2026, 11, 23)
#: The roles the generated contacts have, and one none has.
ROLES = ("billing", "decision_maker", "executive", "accounts_payable", "buchhaltung")
#: The policies whose every expression the facts frame decides (the others: row by row).
#: A policy that reads contacts' roles and the facts a frame has beyond `rules/standard.arc`.
ROLES_POLICY = """\
policy "Roles" version 1
  currency EUR
timeline careful for segment staffed
  pause while balance <= 0 EUR
  step remind 2 days past due email "r" to billing unless has executive
  step call   9 days past due call to decision_maker when current < unapplied + 500 EUR
  step hold  30 days past due hold shipments when account.terms > 20 days
timeline rest for all
  step remind 4 days past due email "r"
segment staffed when has billing or has decision_maker
priority
  score days_past_due + days_since_contact
  ties by balance desc, account.id
"""
#: A policy whose steps address every contact of a role, copy another, do two things, go
#: along with someone, need approval; its channel rules read roles and the last contact.
DRESSING_POLICY = """\
policy "Dressing" version 1
  currency EUR
timeline t for all
  pause while balance <= 0 EUR
  step remind 2 days past due email "r" to all billing cc decision_maker
  step call   9 days past due call to decision_maker with executive
  step both  20 days past due letter "second" and email "second" to accounts_payable
  step hold  30 days past due hold shipments requires approval by credit_manager
channel
  sms   when overdue >= 5,000 EUR and has executive
  call  when last_contact.outcome == irate
  email otherwise
priority
  score days_past_due
"""
#: The policies whose every expression the facts frame decides (the others: row by row).
DECIDED: dict[str, Policy] = {
    **{n: POLICIES[n] for n in ("standard.arc", "standard.yaml", "language.md[0]")},
    "language.md[1]": POLICIES["language.md[1]"],
    "roles": parse_policy(ROLES_POLICY, name="roles.arc"),
    "dressing": parse_policy(DRESSING_POLICY, name="dressing.arc"),
}


#: Mixed portfolios, by account id (plain accounts and the row engine's), and a date.
PORTFOLIOS = st.tuples(
    st.tuples(st.lists(plain_accounts(), max_size=6), st.lists(complex_accounts(), max_size=2)).map(
        lambda pc: {a.id: a for a in _unique(pc[0] + pc[1])}
    ),
    AS_OFS,
)


def _decision(policy: Policy, accts: list[Account], as_of: date) -> Decided:
    work = _Work(Tables.from_accounts(accts), as_of)
    planner = policy.planner
    return quiet(planner.policy, planner.calendar, work, as_of)


def _decided(policy: Policy, accts: list[Account], as_of: date) -> dict[str, _AccountPlan]:
    return _decision(policy, accts, as_of).plans


def _changed(tables: Tables, table: str, column: str, value: object) -> Tables:
    """Return *tables* with *value* in *column* of the first row of *table*."""
    frames = tables.frames
    rows = frames[table].to_dicts()
    rows[0][column] = value
    frames[table] = pl.DataFrame(rows, schema=frames[table].schema)
    return Tables.of(**frames)


def _assert_refused_alike(bad: Tables) -> None:
    """Assert `frame.plan` of *bad* raises the located error `to_accounts` raises."""
    with pytest.raises(DataError) as expected:
        bad.to_accounts()
    with pytest.raises(DataError) as planned:
        frame.plan(POLICIES["standard.arc"], bad, AS_OF)
    assert str(planned.value) == str(expected.value)


_DAYS_2026 = st.integers(0, 540).map(lambda k: date(2026, 1, 1) + timedelta(days=k))


@st.composite
def promised_accounts(draw: st.DrawFn) -> Account:
    """Draw a plain account with promises (some kept, some broken or partly kept, some open),
    disputes (open, resolved, not yet opened) and payments dated around them (some naming no
    invoice), so that `_decide.promise_facts` judges every kind."""
    acct = draw(plain_accounts())
    made = []
    for k in range(draw(st.integers(0, 3))):
        on = draw(_DAYS_2026)
        made.append(
            promise(
                f"{draw(st.integers(1, 400))} EUR",
                made=on,
                due=on + timedelta(days=draw(st.integers(0, 60))),
                grace_days=draw(st.integers(0, 10)),
                by=draw(st.sampled_from([None, "Ana", "Bo"])),
                note=draw(st.sampled_from([None, f"note {k}"])),
            )
        )
    opened = []
    numbers = [i.number for i in acct.invoices]
    for _ in range(draw(st.integers(0, 2))):
        on = draw(_DAYS_2026)
        resolved = draw(st.sampled_from([None, 0, 20, 200]))
        named = draw(st.lists(st.sampled_from(numbers), max_size=2)) if numbers else []
        amount = draw(st.sampled_from([None, 50, 5000]))
        opened.append(
            dispute(
                *named,
                opened=on,
                resolved=None if resolved is None else on + timedelta(days=resolved),
                reason=draw(st.sampled_from(["pricing_error", "unspecified", "damaged"])),
                amount=None if amount is None else Money(amount, "EUR"),
                id=draw(st.sampled_from([None, "D-1", "D-2"])),
            )
        )
    reviews = [  # most disputes reviewed some days after they opened (one review a dispute)
        activity(
            d.opened + timedelta(days=draw(st.integers(0, 30))),
            draw(st.sampled_from(["review", "note"])),
            step=draw(st.sampled_from([None, "dispute_review"])),
        )
        for d in opened
        if draw(st.integers(0, 3))
    ]
    pays = [
        payment(f"{draw(st.integers(1, 300))} EUR", on=draw(_DAYS_2026))
        for _ in range(draw(st.integers(0, 4)))
    ]
    return attrs.evolve(
        acct,
        promises=made,
        disputes=opened,
        payments=[*acct.payments, *pays],
        activities=[*acct.activities, *reviews],
    )


class TestPromiseFacts:
    @settings(max_examples=80, deadline=None)
    @given(st.lists(promised_accounts(), min_size=1, max_size=6).map(_unique), AS_OFS)
    def test_the_accounts_it_speaks_for_have_nothing_open(
        self, accts: list[Account], as_of: date
    ) -> None:
        """An account `promise_facts` speaks for has no dispute to review and no promise to
        follow up today; one it leaves has one of those; and the facts frame of its accounts,
        promise and dispute facts included, is the row facts' (`_expr.facts_frame` of
        `arcollect.facts`)."""
        calendar = BusinessCalendar.of("weekdays", ())
        work = _Work(Tables.from_accounts(accts), as_of)
        judged = set(promise_facts(work, calendar).get_column("account_id").to_list())
        today = calendar.roll_forward(as_of)
        with decimal.localcontext(MONEY_CONTEXT):
            for a in accts:
                if not a.promises and not a.disputes:
                    assert a.id not in judged
                    continue
                f = facts(a, as_of)
                last_review = max(
                    (
                        x.date
                        for x in f.activities
                        if x.channel is Channel.REVIEW or x.step == "dispute_review"
                    ),
                    default=None,
                )
                busy = any(
                    last_review is None or last_review < d.opened for d in f.open_disputes
                ) or any(
                    p.status is not PromiseStatus.KEPT
                    and p.deadline <= as_of
                    and calendar.roll_forward(p.deadline) == today
                    for p in f.promises
                )
                assert (a.id in judged) is not busy, (a.id, f.promises, f.open_disputes)
        rows = eligible(work, "EUR", calendar)
        ids = rows.get_column("account_id").to_list()
        names = FRAME_FACTS | {f"has {r}" for r in ROLES}
        got = facts_frame(rows, as_of, names, work.contact_rows)
        by_id = {a.id: a for a in accts}
        with decimal.localcontext(MONEY_CONTEXT):
            row_facts = [facts(by_id[i], as_of) for i in ids]
        expected = expr_frame.facts_frame(row_facts, names)
        assert_frame_equal(got, expected.select(got.columns))

    @settings(max_examples=40, deadline=None)
    @given(st.lists(promised_accounts(), min_size=1, max_size=6).map(_unique), AS_OFS)
    @pytest.mark.parametrize("name", ["standard.arc", "language.md[0]"])
    def test_the_plan_is_the_row_engines(
        self, name: str, accts: list[Account], as_of: date
    ) -> None:
        """With promises and disputes decided in columns, the plan is the row engine's,
        explanations included."""
        assert_same_plan(DECIDED[name], accts, as_of)

    @pytest.mark.parametrize(
        ("table", "column", "value"),
        [
            ("promises", "amount", "0"),
            ("promises", "amount", "-5"),
            ("promises", "grace_days", -1),
            ("promises", "due", date(2026, 1, 1)),
            ("promises", "installment_amounts", ["10"]),
            ("promises", "currency", "USD"),
            ("disputes", "reason", "no such reason"),
            ("disputes", "resolved", date(2025, 1, 1)),
            ("disputes", "amount", "0"),
            ("disputes", "invoices", [" "]),
        ],
    )
    def test_a_refused_promise_or_dispute_is_the_row_engines_error(
        self, table: str, column: str, value: object
    ) -> None:
        """An account whose promise or dispute the records refuse is not planned in columns:
        the plan raises the located error `to_accounts` raises."""
        quiet_one = account(
            invoice("900 EUR", due="2026-12-20"),
            contact("Ana", "billing"),
            promise("100 EUR", made="2026-03-02", due="2026-04-01"),
            dispute(opened="2026-02-01", resolved=date(2026, 2, 20)),
            id="C-1",
        )
        tables = Tables.from_accounts([quiet_one])
        assert sorted(_decided(POLICIES["standard.arc"], [quiet_one], AS_OF)) == ["C-1"]
        _assert_refused_alike(_changed(tables, table, column, value))

    def test_a_promise_not_in_whole_cents_is_the_row_engines(self) -> None:
        """A promise of 10.0015 EUR in the tables (which the records keep exact) is not read
        into cents: its account is planned by the row engine, as the records say."""
        acct = account(
            invoice("900 EUR", due="2026-10-20"),
            contact("Ana", "billing"),
            promise("100 EUR", made="2026-11-02", due="2026-11-10"),
            id="C-1",
        )
        tables = _changed(Tables.from_accounts([acct]), "promises", "amount", "10.0015")
        work = _Work(tables, AS_OF)
        calendar = POLICIES["standard.arc"].planner.calendar
        assert promise_facts(work, calendar).height == 0
        policy = POLICIES["standard.arc"]
        expected = policy.plan(tables.to_accounts(), as_of=AS_OF)
        assert frame.plan(policy, tables, AS_OF).to_json() == expected.to_json()


class TestFactsFrame:
    @settings(max_examples=60, deadline=None)
    @given(
        st.lists(plain_accounts(), max_size=5).map(_unique),
        st.lists(complex_accounts(), max_size=3).map(_unique),
        AS_OFS,
    )
    def test_the_frame_is_that_of_the_row_facts(
        self, plain: list[Account], complex_: list[Account], as_of: date
    ) -> None:
        """Every fact of the frame built from the tables equals the column
        `_expr.facts_frame` makes of `arcollect.facts` of the records (promise facts
        included), for exactly the accounts on the vectorised and replayed paths without
        promises or disputes, or with only those `_decide.promise_facts` speaks for."""
        accts = {a.id: a for a in _unique(plain + complex_)}
        work = _Work(Tables.from_accounts(list(accts.values())), as_of)
        calendar = BusinessCalendar.of("weekdays", ())
        rows = eligible(work, "EUR", calendar)
        ids = rows.get_column("account_id").to_list()
        judged = set(promise_facts(work, calendar).get_column("account_id").to_list())
        expected_ids = sorted(
            a.id
            for a in accts.values()
            if a.id not in work.fallback and ((not a.promises and not a.disputes) or a.id in judged)
        )
        assert ids == expected_ids
        names = FRAME_FACTS | {f"has {r}" for r in ROLES}
        got = facts_frame(rows, as_of, names, work.contact_rows)
        with decimal.localcontext(MONEY_CONTEXT):
            row_facts = [facts(accts[i], as_of) for i in ids]
        expected = expr_frame.facts_frame(row_facts, names)
        assert_frame_equal(got, expected.select(got.columns))

    def test_every_fact_it_has_is_a_fact(self) -> None:
        """The frame names only facts of the language, and none the translator declines."""
        assert set(FACTS) >= FRAME_FACTS
        assert "promises.kept_rate" not in FRAME_FACTS
        assert "account.risk" not in FRAME_FACTS


class TestQuiet:
    @pytest.mark.parametrize("name", sorted(DECIDED))
    @settings(max_examples=30, deadline=None)
    @given(PORTFOLIOS)
    def test_each_result_is_the_row_engines(
        self, name: str, portfolio: tuple[dict[str, Account], date]
    ) -> None:
        """Each account decided in columns has the row engine's per-account result, field for
        field: standing (score, sort key, tier measure, notes), state, and no actions."""
        policy = DECIDED[name]
        accts, as_of = portfolio
        got = _decided(policy, list(accts.values()), as_of)
        for aid, result in got.items():
            expected = policy.planner.account(accts[aid], as_of)
            assert expected.candidates == ()
            assert result == expected

    @pytest.mark.parametrize("name", sorted(DECIDED))
    @settings(max_examples=30, deadline=None)
    @given(PORTFOLIOS)
    def test_accounts_with_steps_due_get_the_row_engines_position(
        self, name: str, portfolio: tuple[dict[str, Account], date]
    ) -> None:
        """An account decided in columns with steps due today gets the timeline, `Position`
        and standing fields the row engine works out, and dressed from them the row engine's
        result."""
        policy = DECIDED[name]
        accts, as_of = portfolio
        got = _decision(policy, list(accts.values()), as_of).given
        compiled, calendar = policy.planner.policy, policy.planner.calendar
        for aid, given_one in got.items():
            tl, position, fields = given_position(compiled, given_one)
            with decimal.localcontext(MONEY_CONTEXT):
                f = facts(accts[aid], as_of)
                assert compiled.timeline_for(f) is tl
                assert position == decide(tl, f, as_of, calendar)
                assert position.planned
                assert fields == standing_fields(compiled, f)
            expected = policy.planner.account(accts[aid], as_of)
            with decimal.localcontext(MONEY_CONTEXT):
                dressed = policy.planner._account(
                    facts(accts[aid], as_of), as_of, None, (tl, position, fields)
                )
            assert dressed == expected

    @pytest.mark.parametrize("name", sorted(DECIDED))
    def test_the_policies_are_decided_in_columns(self, name: str) -> None:
        """The five policies translate whole, and decide in columns every quiet account of
        the IBM sample that the facts frame has, as the row engine does."""
        policy = DECIDED[name]
        assert _translated(policy.planner.policy, "EUR").ok
        accts = list(parse_ibm_csv(ibm_csv_text(), currency="EUR"))
        as_of = date(2013, 6, 3)
        got = _decided(policy, accts, as_of)
        work = _Work(Tables.from_accounts(accts), as_of)
        framed = set(
            eligible(work, "EUR", policy.planner.calendar).get_column("account_id").to_list()
        )
        expected = {
            a.id: r
            for a in accts
            if a.id in framed and not (r := policy.planner.account(a, as_of)).candidates
        }
        assert len(expected) > len(accts) // 5
        assert got == expected

    def test_a_policy_it_cannot_translate_is_decided_row_by_row(self) -> None:
        """A policy reading a fact the frame does not have (``contact.email``) decides
        nothing in columns."""
        policy = parse_policy(
            'policy "P"\n  currency EUR\ntimeline t for all\n'
            '  step remind 5 days past due email "r" when contact.email\n',
            name="p.arc",
        )
        accts = [account(invoice("900 EUR", due="2026-12-20"), id="C-1")]
        assert not _translated(policy.planner.policy, "EUR").ok
        assert _decided(policy, accts, AS_OF) == {}

    def test_accounts_with_actions_are_left_to_the_row_engine(self) -> None:
        """An account with a step due today, a promise or a dispute is not decided here."""
        due = account(invoice("900 EUR", due="2026-11-22"), id="C-1")  # reminder today
        later = account(invoice("900 EUR", due="2026-12-20"), id="C-2")  # nothing yet
        paid = account(
            invoice("900 EUR", due="2026-10-01", number="I-1"),
            payment("900 EUR", on="2026-10-20", to=["I-1"]),
            activity("2026-10-02", "email", step="reminder"),
            id="C-3",
        )
        got = _decided(POLICIES["standard.arc"], [due, later, paid], AS_OF)
        assert sorted(got) == ["C-2", "C-3"]
        assert got["C-3"] == POLICIES["standard.arc"].planner.account(paid, AS_OF)

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("risk", "high"),
            ("credit_limit", "5,00"),
            ("collector_name", " "),
            ("locale", "xx_QQ"),
        ],
    )
    def test_a_refused_record_of_a_quiet_account_is_the_row_engines_error(
        self, column: str, value: object
    ) -> None:
        """A quiet account whose record the row engine refuses is not planned in columns: the
        plan raises the located error `to_accounts` raises."""
        quiet_one = account(
            invoice("900 EUR", due="2026-12-20"),
            contact("Ana", "billing"),
            id="C-1",
            risk=Decimal("0.5"),
            credit_limit=Money(5000, "EUR"),
        )
        tables = Tables.from_accounts([quiet_one])
        assert sorted(_decided(POLICIES["standard.arc"], [quiet_one], AS_OF)) == ["C-1"]
        _assert_refused_alike(_changed(tables, "accounts", column, value))


class TestCurrencies:
    POLICY = """\
policy "Any currency" version 1
timeline main for all
  step remind 5 days past due email "r" unless promise.active
  step call  20 days past due call
priority
  score days_past_due
  ties by overdue desc, account.id
"""

    def test_a_policy_without_currency_decides_each_currency_apart(self) -> None:
        """Without a policy currency each currency's accounts get their own facts frame and
        are decided as the row engine decides them."""
        policy = parse_policy(self.POLICY, name="any.arc")
        euro = account(invoice("900 EUR", due="2026-12-20"), id="C-1")
        dollar = account(invoice("900 USD", due="2026-12-20"), id="C-2", currency="USD")
        yen = account(invoice("900 JPY", due="2026-11-20"), id="C-3", currency="JPY")
        late = account(invoice("900 USD", due="2026-11-01"), id="C-4", currency="USD")
        accts = [euro, dollar, yen, late]
        got = _decided(policy, accts, AS_OF)
        assert sorted(got) == ["C-1", "C-2", "C-3"]
        for a in (euro, dollar, yen):
            assert got[a.id] == policy.planner.account(a, AS_OF)
        expected = policy.plan(accts, as_of=AS_OF).to_json()
        assert frame.plan(policy, Tables.from_accounts(accts), AS_OF).to_json() == expected

    def test_amounts_the_policy_cannot_compare_are_the_row_engines(self) -> None:
        """An account whose amounts a condition cannot compare (USD against 100 EUR) is left
        to the row engine, which reports it; the others are decided in columns."""
        text = self.POLICY.replace("unless promise.active", "when overdue >= 100 EUR")
        policy = parse_policy(text, name="any.arc")
        euro = account(invoice("900 EUR", due="2026-12-20"), id="C-1")
        dollar = account(invoice("900 USD", due="2026-12-20"), id="C-2", currency="USD")
        got = _decided(policy, [euro, dollar], AS_OF)
        assert sorted(got) == ["C-1"]
        expected = policy.plan([euro, dollar], as_of=AS_OF)
        assert "cannot evaluate" in (expected.state("C-2").error or "")
        got_plan = frame.plan(policy, Tables.from_accounts([euro, dollar]), AS_OF)
        assert got_plan.to_json() == expected.to_json()

    def test_accounts_in_another_currency_than_the_policys_are_the_row_engines(self) -> None:
        """Under a policy in EUR an account in USD is not decided in columns: the row engine
        reports the mismatch."""
        policy = POLICIES["standard.arc"]
        dollar = account(invoice("900 USD", due="2026-12-20"), id="C-2", currency="USD")
        assert _decided(policy, [dollar], AS_OF) == {}
        expected = policy.plan([dollar], as_of=AS_OF)
        assert expected.state("C-2").error is not None
        got = frame.plan(policy, Tables.from_accounts([dollar]), AS_OF)
        assert got.to_json() == expected.to_json()


class TestActivitiesLetGo:
    POLICY = """\
policy "Counts" version 1
  currency EUR
let nagged = times(remind) >= 2
timeline main for all
  step remind 1 day past due email "r" every 3 days until 30 days past due
  step call   8 days past due call when nagged
priority
  score days_past_due + times(remind) * 10
"""

    def test_only_a_policy_reading_times_keeps_the_activities(self) -> None:
        """The facts let go of their activities once planned unless an expression (a let, a
        segment, a condition, the score) calls ``times``; the explanations, which trace the
        facts, are the row engine's either way."""
        counting = parse_policy(self.POLICY, name="counts.arc")
        assert _reads_activities(counting.planner.policy)
        assert not _reads_activities(POLICIES["standard.arc"].planner.policy)
        accts = [
            account(
                invoice("900 EUR", due="2026-11-01"),
                activity("2026-11-02", "email", step="remind"),
                activity("2026-11-05", "email", step="remind"),
                activity("2026-11-08", "email", step="remind"),
                id=f"C-{k}",
            )
            for k in range(3)
        ]
        for policy in (counting, POLICIES["standard.arc"]):
            expected = policy.plan(accts, as_of=AS_OF)
            got = frame.plan(policy, Tables.from_accounts(accts), AS_OF)
            assert got.to_json() == expected.to_json()
            assert [got.explain(a.id) for a in accts] == [expected.explain(a.id) for a in accts]


class TestDressedWithoutFacts:
    @pytest.mark.parametrize("name", sorted(DECIDED))
    @settings(max_examples=30, deadline=None)
    @given(PORTFOLIOS)
    def test_the_accounts_dressed_without_facts_get_the_row_engines_actions(
        self, name: str, portfolio: tuple[dict[str, Account], date]
    ) -> None:
        """The accounts with steps due that the columnar engine dresses without their facts
        (every one of them: these policies have no ``assign`` rules) get the row engine's
        actions, explanation, channel rule and owner rule included, and its state."""
        policy = DECIDED[name]
        accts, as_of = portfolio
        decision = _decision(policy, list(accts.values()), as_of)
        assert sorted(decision.dressed) == sorted(decision.given)
        got = frame.plan(policy, Tables.from_accounts(list(accts.values())), as_of)
        expected = policy.plan(list(accts.values()), as_of=as_of)
        for aid in decision.dressed:
            assert got.state(aid) == expected.state(aid)
            mine, theirs = got.actions_for(aid), expected.actions_for(aid)
            assert mine == theirs
            assert [(a.channel_rule, a.owner_rule, a.explanation) for a in mine] == [
                (a.channel_rule, a.owner_rule, a.explanation) for a in theirs
            ]

    def test_the_channel_rule_each_account_is_dressed_with(self) -> None:
        """The channel rule that holds is decided in columns: the first whose condition
        holds, ``otherwise`` when none does; the explanation traces the one that held."""
        policy = DECIDED["dressing"]
        big = account(
            invoice("9,000 EUR", due="2026-11-21"),
            contact("Ana", "billing"),
            contact("Eve", "executive"),
            id="C-1",
        )
        irate = account(
            invoice("900 EUR", due="2026-11-21"),
            contact("Bo", "billing"),
            activity("2026-10-01", "call", outcome="irate"),
            id="C-2",
        )
        plain = account(invoice("900 EUR", due="2026-11-21"), contact("Cy", "billing"), id="C-3")
        accts = [big, irate, plain]
        decision = _decision(policy, accts, AS_OF)
        assert decision.dressed == {"C-1": 0, "C-2": 1, "C-3": 2}
        got = frame.plan(policy, Tables.from_accounts(accts), AS_OF)
        assert [got.actions_for(a.id)[0].channel.value for a in accts] == ["sms", "call", "email"]
        assert any(
            line.startswith("channel sms: ") and "has executive" in line
            for line in got.actions_for("C-1")[0].explanation
        )
        assert_same_plan(policy, accts, AS_OF)

    def test_a_policy_with_assign_rules_is_dressed_from_facts(self) -> None:
        """An ``assign`` rule reads the account's facts: no account is dressed without them,
        and the plan is the row engine's."""
        text = DRESSING_POLICY.replace(
            "priority\n",
            'assign "ana" when overdue >= 1,000 EUR\nassign "bo" otherwise\npriority\n',
        )
        policy = parse_policy(text, name="assign.arc")
        accts = [
            account(invoice(f"{k}00 EUR", due="2026-11-21"), contact("Cy", "billing"), id=f"C-{k}")
            for k in (5, 50)
        ]
        decision = _decision(policy, accts, AS_OF)
        assert sorted(decision.given) == ["C-5", "C-50"]
        assert decision.dressed == {}
        assert_same_plan(policy, accts, AS_OF)
        got = frame.plan(policy, Tables.from_accounts(accts), AS_OF)
        assert [got.actions_for(a.id)[0].owner for a in accts] == ["bo", "ana"]

    def test_an_account_that_cannot_be_dressed_so_is_planned_from_its_facts(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Should dressing without facts fail for an account (a date beyond the calendar),
        the account is planned by the row engine from its facts: the row engine's result."""
        from arcollect.frame import _plan  # noqa: PLC0415 - the module patched

        policy = DECIDED["dressing"]
        accts = [
            account(invoice("900 EUR", due="2026-11-21"), contact("Cy", "billing"), id=f"C-{k}")
            for k in (1, 2)
        ]
        assert sorted(_decision(policy, accts, AS_OF).dressed) == ["C-1", "C-2"]
        from arcollect.engine.actions import dress  # noqa: PLC0415 - the function patched

        def failing(position: Any, f: Any, **kwargs: Any) -> Any:
            if f.account.id == "C-2":
                raise OverflowError("date value out of range")
            return dress(position, f, **kwargs)

        monkeypatch.setattr(_plan, "dress", failing)
        assert_same_plan(policy, accts, AS_OF)


class TestLaterFacts:
    def test_facts_are_made_when_first_asked_a_few_alone_then_the_rest(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """`_Later` makes the facts of the accounts it is given when an explanation first
        asks: the row engine's facts of their records; the first few one by one, then every
        one not yet made at once, after which it lets go of the tables."""
        accts = [
            account(
                invoice(f"{100 + k} EUR", due="2026-11-01"),
                contact("Ana", "billing"),
                id=f"C-{k:02}",
            )
            for k in range(_Later.ONE_BY_ONE + 4)
        ]
        tables = Tables.from_accounts(accts)
        later = _Later(tables, AS_OF, [a.id for a in accts])
        built: list[set[str]] = []
        build = Tables.build

        def counting(self: Tables, only: set[str] | None) -> list[Account]:
            built.append(set(only or ()))
            return build(self, only)

        monkeypatch.setattr(Tables, "build", counting)
        for k, acct in enumerate(accts):
            with decimal.localcontext(MONEY_CONTEXT):
                expected = facts(acct, AS_OF)
            assert later.facts(acct.id).as_dict() == expected.as_dict()
            assert later.facts(acct.id) is later.facts(acct.id)
            assert len(built) == min(k + 1, _Later.ONE_BY_ONE + 1)
        assert built[: _Later.ONE_BY_ONE] == [{a.id} for a in accts[: _Later.ONE_BY_ONE]]
        assert built[-1] == {a.id for a in accts[_Later.ONE_BY_ONE :]}
        assert later._tables is None
