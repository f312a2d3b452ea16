"""The plain decision: the short function for plain timelines decides as `_Decision` does."""

from __future__ import annotations

import decimal
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect import Account, Activity, Channel, facts
from arcollect.data import demo_policy_text
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.timeline import Position, _Decision, _plain, decide
from arcollect.lang.program import CompiledTimeline
from arcollect.policy import parse_policy
from arcollect.testing import account, invoice, promise
from strategies import BASE, accounts

#: Conditions a step may carry (each true for some accounts and false for others).
CONDITIONS = (
    "",
    " when overdue >= 100 EUR",
    " unless overdue < 250 EUR",
    " when overdue >= 1,000 EUR and not promise.active",
    " when promises.broken > 0",
    " unless dispute.open",
    " when days_since_contact > 10",
)
#: How a step may repeat or be spaced.
REPEATS = (
    "",
    " every 7 days",
    " every 5 days until 40 days past due",
    " every 4 days",
    " every 7 days, at most 2 times",
    ", at most every 30 days",
)
ACTIONS = (
    'email "friendly_reminder"',
    "call",
    'letter "final_demand"',
    "hold shipments",
    "refer agency",
    'sms "friendly_reminder"',
)
OPTIONS = (
    "  pause while promise.active\n",
    "  pause while dispute.open and undisputed_overdue == 0 EUR\n",
    "  restart when overdue == 0 EUR\n",
)


@st.composite
def plain_timelines(draw: st.DrawFn) -> tuple[str, tuple[str, ...]]:
    """Draw the source of a policy with one plain timeline, and its step names."""
    days = sorted(draw(st.lists(st.integers(-6, 130), min_size=1, max_size=5, unique=True)))
    names = tuple(f"s{k}" for k in range(len(days)))
    lines = []
    for name, day in zip(names, days, strict=True):
        when = f"{-day} days before due" if day < 0 else f"{day} days past due"
        action = draw(st.sampled_from(ACTIONS))
        repeat = draw(st.sampled_from(REPEATS)) if action != "hold shipments" else ""
        condition = draw(st.sampled_from(CONDITIONS))
        lines.append(f"  step {name} {when} {action}{repeat}{condition}\n")
    options = draw(st.lists(st.sampled_from(OPTIONS), unique=True, max_size=3))
    gap = draw(st.sampled_from((None, 3, 9)))  # 9: longer than some repeats
    if gap is not None:
        options.append(f"  min gap {gap} days between contacts\n")
    if draw(st.booleans()):
        options.append(f"  on promise.broken resume at {draw(st.sampled_from(names))}\n")
    by_oldest = ", by oldest invoice" if draw(st.booleans()) else ""
    source = (
        'policy "plain"\n  currency EUR\n  calendar weekdays, holidays 2026-05-01\n'
        f"timeline t for all{by_oldest}\n{''.join(options)}{''.join(lines)}"
    )
    return source, names


@st.composite
def cases(draw: st.DrawFn) -> tuple[CompiledTimeline, Account, date, BusinessCalendar]:
    """Draw a plain timeline, an account whose log names its steps, and a date."""
    source, names = draw(plain_timelines())
    compiled = parse_policy(source, name="plain.arc").compiled
    (tl,) = compiled.timelines
    acct = draw(accounts(max_invoices=4, currency="EUR"))
    as_of = BASE + timedelta(days=draw(st.integers(0, 520)))
    logged = draw(
        st.lists(
            st.builds(
                Activity,  # most of them lately: min gap and repeats have their say
                date=st.integers(-120, 0).map(lambda d: as_of + timedelta(days=d)),
                channel=st.sampled_from(Channel),
                step=st.sampled_from(names),
                timeline=st.sampled_from((None, "t", "other")),
            ),
            max_size=6,
        )
    )
    acct = attrs.evolve(acct, activities=(*acct.activities, *logged))
    calendar = BusinessCalendar.of(compiled.checked.business_days, compiled.checked.holidays)
    return tl, acct, as_of, calendar


class TestPlainDecision:
    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(cases())
    def test_the_plain_decision_is_the_full_one(
        self, case: tuple[CompiledTimeline, Account, date, BusinessCalendar]
    ) -> None:
        """Where the plain function decides, its position equals `_Decision`'s, notes and all."""
        tl, acct, as_of, calendar = case
        assert tl.plain
        with decimal.localcontext(MONEY_CONTEXT):
            f = facts(acct, as_of)
            if f.oldest_due is None:
                return
            try:
                full = _Decision(tl, f, as_of, calendar).position()
            except ArithmeticError:  # dates beyond the calendar: both fail alike
                with pytest.raises(ArithmeticError):
                    _plain(tl, f, as_of, calendar)
                return
            plain = _plain(tl, f, as_of, calendar)
        assert plain is None or plain == full
        assert plain is not None or acct.snoozes or tl.resume_index is not None

    def test_the_standard_timelines_are_plain(self) -> None:
        """The bundled policy's timelines are plain; in sequence, per invoice or required: not."""
        bundled = parse_policy(demo_policy_text(), name="standard-usd.arc")
        assert [t.plain for t in bundled.compiled.timelines] == [True, True]
        text = (
            'policy "p"\n  currency EUR\ntimeline t for all{opts}\n  step a 1 day past due {step}\n'
        )
        plain = parse_policy(text.format(opts="", step="call"), name="p.arc")
        assert plain.compiled.timelines[0].plain
        for opts, step in (
            (", in sequence", "call"),
            ("", "call per invoice"),
            ("", 'letter "final_demand" required'),
        ):
            policy = parse_policy(text.format(opts=opts, step=step), name="p.arc")
            assert not policy.compiled.timelines[0].plain, (opts, step)

    def test_a_resumed_account_is_decided_in_full(self) -> None:
        """A broken promise the timeline resumes on leaves the account to `_Decision`."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n'
            "  on promise.broken resume at call\n"
            '  step reminder 1 day past due email "friendly_reminder"\n'
            "  step call 10 days past due call\n"
        )
        policy = parse_policy(source, name="p.arc")
        (tl,) = policy.compiled.timelines
        acct = account(
            invoice("900.00 EUR", due="2026-10-01"),
            promise("900.00 EUR", due="2026-10-20", made="2026-10-05"),
        )
        as_of = date(2026, 11, 2)
        calendar = BusinessCalendar.of(policy.checked.business_days, policy.checked.holidays)
        with decimal.localcontext(MONEY_CONTEXT):
            f = facts(acct, as_of)
            assert _plain(tl, f, as_of, calendar) is None
            position = decide(tl, f, as_of, calendar)
        assert position.planned[0].step.name == "call"
        assert "resume at call" in position.planned[0].reason

    def _both(self, source: str, acct: Account, as_of: date) -> tuple[Position | None, Position]:
        policy = parse_policy(source, name="p.arc")
        (tl,) = policy.compiled.timelines
        calendar = BusinessCalendar.of(policy.checked.business_days, policy.checked.holidays)
        with decimal.localcontext(MONEY_CONTEXT):
            f = facts(acct, as_of)
            return _plain(tl, f, as_of, calendar), _Decision(tl, f, as_of, calendar).position()

    def test_a_repeat_waits_for_the_min_gap(self) -> None:
        """A contact repeating every 5 days under a 9-day min gap is forecast after the gap."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n  min gap 9 days between contacts\n'
            "  step a 1 day past due call every 5 days\n"
        )
        acct = account(
            invoice("900.00 EUR", due="2026-10-01"),
            Activity(date(2026, 10, 10), Channel.CALL, step="a"),
        )
        plain, full = self._both(source, acct, date(2026, 10, 20))
        assert plain == full
        assert (full.next_step, full.next_date) == ("a", date(2026, 10, 29))

    def test_on_a_tie_the_later_step_comes_before_the_one_held_back(self) -> None:
        """The step held back by min gap and a later step due the same day: the later one."""
        source = (
            'policy "p"\n  currency EUR\ntimeline t for all\n  min gap 3 days between contacts\n'
            "  step a 1 day past due call\n  step b 19 days past due call\n"
        )
        acct = account(
            invoice("900.00 EUR", due="2026-10-01"),
            Activity(date(2026, 10, 17), Channel.CALL),
        )
        plain, full = self._both(source, acct, date(2026, 10, 18))
        assert plain == full
        assert (full.next_step, full.next_date) == ("b", date(2026, 10, 20))
        assert full.postponed == (("a", date(2026, 10, 20)),)
