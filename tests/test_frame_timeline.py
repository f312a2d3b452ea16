"""The plain decision over a table: `frame._timeline.plain_positions` decides as `_plain` does."""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arcollect import Account, Activity, Channel, facts
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.timeline import _BROKEN, Position, _plain
from arcollect.facts import AccountFacts
from arcollect.lang.program import CompiledTimeline
from arcollect.policy import parse_policy
from arcollect.testing import account, activity, invoice
from strategies import BASE, accounts
from test_plain_decision import plain_timelines

pl = pytest.importorskip("polars")

from arcollect.frame._timeline import plain_positions, positions  # noqa: E402 - needs polars

Case = tuple[CompiledTimeline, list[AccountFacts], date, BusinessCalendar]


@st.composite
def cases(draw: st.DrawFn) -> Case:
    """Draw a plain timeline, a few accounts whose logs name its steps, and a date."""
    source, names = draw(plain_timelines())
    compiled = parse_policy(source, name="plain.arc").compiled
    (tl,) = compiled.timelines
    as_of = BASE + timedelta(days=draw(st.integers(0, 520)))
    calendar = BusinessCalendar.of(compiled.checked.business_days, compiled.checked.holidays)
    out = []
    for k in range(draw(st.integers(1, 4))):
        acct = draw(accounts(max_invoices=4, currency="EUR"))
        logged = draw(
            st.lists(
                st.builds(
                    Activity,
                    date=st.one_of(st.integers(-12, 0), st.integers(-120, 0)).map(
                        lambda d: as_of + timedelta(days=d)
                    ),
                    channel=st.sampled_from(Channel),
                    step=st.sampled_from(names),
                    timeline=st.sampled_from((None, "t", "t", "other")),
                    invoice=st.sampled_from(
                        (None, None, None, *(i.number for i in acct.invoices[:1]))
                    ),
                ),
                max_size=6,
            )
        )
        acct = attrs.evolve(acct, id=f"A-{k}", activities=(*acct.activities, *logged))
        with decimal.localcontext(MONEY_CONTEXT):
            f = facts(acct, as_of)
        if f.oldest_due is not None:
            out.append(f)
    return tl, out, as_of, calendar


def tables(tl: CompiledTimeline, fs: list[AccountFacts]) -> tuple[Any, Any]:
    """Return the accounts and activities tables `plain_positions` reads, from row facts."""
    rows: list[dict[str, Any]] = []
    for f in fs:
        with decimal.localcontext(MONEY_CONTEXT):
            values = tl.conditions(f)
        lc, promise = f.last_contact, f.promise
        row: dict[str, Any] = {
            "account_id": f.account.id,
            "oldest": f.oldest_due,
            "since": f.delinquent_since,
            "paused": list(values.paused_by),
            "restarted": list(values.restarted_by),
            "last_contact": lc.date if lc else None,
            "last_contact_channel": lc.channel.value if lc else None,
            "broken_on": promise.closed_on if promise and promise.status in _BROKEN else None,
            "snoozed": bool(f.account.snoozes),
        }
        for i in range(len(tl.steps)):
            row[f"when_{i}"], row[f"unless_{i}"] = values.when[i], values.unless[i]
        rows.append(row)
    schema: dict[str, Any] = {
        "account_id": pl.String,
        "oldest": pl.Date,
        "since": pl.Date,
        "paused": pl.List(pl.String),
        "restarted": pl.List(pl.String),
        "last_contact": pl.Date,
        "last_contact_channel": pl.String,
        "broken_on": pl.Date,
        "snoozed": pl.Boolean,
    }
    for i in range(len(tl.steps)):
        schema[f"when_{i}"] = schema[f"unless_{i}"] = pl.Boolean
    acts = [(f.account.id, a.date, a.step, a.invoice, a.timeline) for f in fs for a in f.activities]
    act_schema = {
        "account_id": pl.String,
        "date": pl.Date,
        "step": pl.String,
        "invoice": pl.String,
        "timeline": pl.String,
    }
    return (
        pl.DataFrame(rows, schema=schema),
        pl.DataFrame(acts, schema=act_schema, orient="row"),
    )


def decided(
    tl: CompiledTimeline, fs: list[AccountFacts], as_of: date, calendar: BusinessCalendar
) -> dict[str, Position | None]:
    accts, acts = tables(tl, fs)
    return positions(tl, plain_positions(tl, accts, acts, as_of, calendar))


class TestPlainPositions:
    @settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases())
    def test_the_table_decides_as_the_plain_decision(self, case: Case) -> None:
        """Every account the table decides has the `Position` `_plain` gives, notes and all;
        the accounts it leaves to the full decision are those `_plain` leaves, or have dates
        far from today's."""
        tl, fs, as_of, calendar = case
        got = decided(tl, fs, as_of, calendar)
        assert sorted(got) == sorted(f.account.id for f in fs)
        event(f"decided by the table: {sum(p is not None for p in got.values())} of {len(fs)}")
        for f in fs:
            with decimal.localcontext(MONEY_CONTEXT):
                try:
                    want = _plain(tl, f, as_of, calendar)
                except ArithmeticError:  # dates beyond the calendar: the table leaves them
                    assert got[f.account.id] is None
                    continue
            if want is None:
                assert got[f.account.id] is None
            elif got[f.account.id] is not None:
                assert got[f.account.id] == want, f.account.id

    def _one(self, source: str, acct: Account, as_of: date) -> tuple[Position | None, Position]:
        policy = parse_policy(source, name="p.arc")
        (tl,) = policy.compiled.timelines
        calendar = BusinessCalendar.of(policy.checked.business_days, policy.checked.holidays)
        with decimal.localcontext(MONEY_CONTEXT):
            f = facts(acct, as_of)
            want = _plain(tl, f, as_of, calendar)
        assert want is not None
        return decided(tl, [f], as_of, calendar)[acct.id], want

    def test_a_step_held_back_by_min_gap_is_forecast_when_it_may_go(self) -> None:
        """A call 2 days after the last contact under a 3-day gap waits: noted, and forecast on
        the first business day after the gap."""
        source = (
            'policy "p"\n  currency EUR\n  calendar weekdays\ntimeline t for all\n'
            "  min gap 3 days between contacts\n  step a 1 day past due call\n"
        )
        acct = account(invoice("900.00 EUR", due="2026-10-01"), activity("2026-11-18", "email"))
        got, want = self._one(source, acct, date(2026, 11, 20))
        assert got == want
        assert (want.next_step, want.next_date) == ("a", date(2026, 11, 23))
        assert want.notes == (
            (
                "a: postponed to 2026-11-23: min gap 3 days between contacts "
                "(last contact 2026-11-18, email)"
            ),
        )

    def test_a_repeat_done_too_often_is_noted(self) -> None:
        """A step repeating at most 2 times, done twice: not chosen again, and said so."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  step a 1 day past due call every 5 days, at most 2 times\n"
        )
        acct = account(
            invoice("900.00 EUR", due="2026-10-01"),
            activity("2026-10-02", "call", "a"),
            activity("2026-10-07", "call", "a"),
        )
        got, want = self._one(source, acct, date(2026, 10, 20))
        assert got == want
        assert want.notes == ("a: done 2 times (at most 2)",)
        assert want.planned == ()

    def test_a_repeat_of_the_stage_is_forecast_from_its_last_day(self) -> None:
        """A call every 5 days done 2 days ago is forecast 5 days after it was done."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  step a 1 day past due call every 5 days\n"
        )
        acct = account(invoice("900.00 EUR", due="2026-10-01"), activity("2026-11-18", "call", "a"))
        got, want = self._one(source, acct, date(2026, 11, 20))
        assert got == want
        assert (want.next_step, want.next_date, want.notes) == (
            "a",
            date(2026, 11, 23),
            ("a: done on 2026-11-18",),
        )

    def test_of_two_steps_rolled_to_one_day_the_later_is_forecast(self) -> None:
        """Steps due on a Saturday and a Sunday both roll to Monday: the later one is next."""
        source = (
            'policy "p"\n  currency EUR\n  calendar weekdays\ntimeline t for all\n'
            "  step a 1 day past due call\n  step b 3 days past due call\n"
            "  step c 4 days past due call\n"
        )
        # Due Wednesday 2026-11-18: b on Saturday the 21st, c on Sunday the 22nd.
        got, want = self._one(
            source, account(invoice("900.00 EUR", due="2026-11-18")), date(2026, 11, 19)
        )
        assert got == want
        assert (want.stage, want.next_step, want.next_date) == ("a", "c", date(2026, 11, 23))

    def test_a_repeat_ends_on_its_until_day(self) -> None:
        """A step repeating until 40 days past due is chosen again on day 40, not on day 41."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  step a 1 day past due call every 5 days until 40 days past due\n"
        )
        for on, again in ((date(2026, 11, 10), True), (date(2026, 11, 11), False)):
            acct = account(
                invoice("900.00 EUR", due="2026-10-01"), activity("2026-11-01", "call", "a")
            )
            got, want = self._one(source, acct, on)
            assert got == want
            assert bool(want.planned) is again, on

    def test_a_restarted_episode_has_no_stage_and_takes_nothing(self) -> None:
        """Past due, a ``restart when`` that holds ends the episode: no stage, nothing planned,
        the steps done kept, and the note naming the condition."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  restart when overdue < 1,000 EUR\n"
            "  step a 1 day past due call\n  step b 10 days past due call\n"
        )
        acct = account(invoice("900.00 EUR", due="2026-10-01"), activity("2026-10-02", "call", "a"))
        got, want = self._one(source, acct, date(2026, 11, 20))
        assert got == want
        assert (want.stage, want.planned, want.steps_done, want.notes) == (
            None,
            (),
            ("a",),
            ("episode over: restart when overdue < 1,000 EUR",),
        )

    def test_a_step_at_most_every_30_days_waits_for_its_day(self) -> None:
        """A step done 10 days ago, before this episode, at most every 30 days: held back, noted
        with its last day and the day it may go, and forecast then."""
        source = (
            'policy "p"\n  currency EUR\n  calendar weekdays\ntimeline t for all\n'
            "  step a 1 day past due call, at most every 30 days\n"
        )
        acct = account(invoice("900.00 EUR", due="2026-11-01"), activity("2026-10-25", "call", "a"))
        got, want = self._one(source, acct, date(2026, 11, 4))
        assert got == want
        assert want.notes == ("a: at most every 30 days; last on 2026-10-25, next from 2026-11-24",)
        assert (want.next_step, want.next_date, want.postponed) == (
            "a",
            date(2026, 11, 24),
            (("a", date(2026, 11, 24)),),
        )

    def test_a_timeline_that_is_not_plain_is_refused(self) -> None:
        """Only plain timelines are decided by the table: a per-invoice one is refused."""
        policy = parse_policy(
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  step a 1 day past due call per invoice\n",
            name="p.arc",
        )
        (tl,) = policy.compiled.timelines
        with pytest.raises(ValueError, match="timeline 't' is not plain"):
            plain_positions(
                tl, pl.DataFrame(), pl.DataFrame(), date(2026, 1, 1), BusinessCalendar("weekdays")
            )
