from __future__ import annotations

import decimal
import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Money, PromiseStatus, facts
from arcollect.domain import Installment
from arcollect.facts import FACT_FIELDS, AccountFacts
from arcollect.testing import account, activity, contact, dispute, invoice, payment, promise
from strategies import BASE, accounts, shuffled

D = date.fromisoformat
NOV23 = D("2026-11-23")


def eur(x: str | int) -> Money:
    return Money(Decimal(x), "EUR")


class TestOpenAmounts:
    def test_partial_payment_leaves_the_rest_open(self) -> None:
        """A 400 payment on a 1,000 invoice leaves 600 open and overdue, 53 days past due."""
        f = facts(
            account(
                invoice("1000 EUR", due="2026-10-01"),
                payment("400 EUR", on="2026-10-20", to=["INV-1"]),
            ),
            NOV23,
        )
        assert f.invoices[0].open == eur(600)
        assert (f.balance, f.overdue, f.current) == (eur(600), eur(600), eur(0))
        assert f.days_past_due == 53
        assert f.oldest_due == D("2026-10-01")

    def test_later_events_do_not_count_yet(self) -> None:
        """A payment after as_of and an invoice issued after as_of are ignored."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            invoice("500 EUR", due="2026-12-31", issued="2026-12-01"),
            payment("1000 EUR", on="2026-11-24", to=["INV-1"]),
        )
        f = facts(acct, NOV23)
        assert [i.number for i in f.invoices] == ["INV-1"]
        assert f.balance == eur(1000)
        later = facts(acct, D("2026-12-01"))
        assert later.balance == eur(500)
        assert later.overdue == eur(0)

    def test_credit_note_reduces_the_invoice_it_credits(self) -> None:
        """A credit note naming an invoice reduces that invoice from its issue date."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            invoice("300 EUR", due="2026-11-01"),
            invoice(
                "-150 EUR", due="2026-10-10", issued="2026-10-10", number="CN-1", credits="INV-2"
            ),
        )
        f = facts(acct, NOV23)
        assert [(i.number, i.open) for i in f.invoices] == [
            ("INV-1", eur(1000)),
            ("INV-2", eur(150)),
        ]
        assert f.balance == eur(1150)
        assert facts(acct, D("2026-10-09")).balance == eur(1300)

    def test_unnamed_credit_note_goes_oldest_due_first(self) -> None:
        """A credit note crediting no invoice is applied like unapplied cash."""
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            invoice("300 EUR", due="2026-11-01"),
            invoice("-150 EUR", due="2026-10-10", issued="2026-10-10", number="CN-1"),
        )
        assert [i.open for i in facts(acct, NOV23).invoices] == [eur(250)]

    def test_unapplied_cash_pays_oldest_due_first(self) -> None:
        """Unapplied cash pays the oldest-due invoice first, then the next."""
        acct = account(
            invoice("700 EUR", due="2026-11-01", issued="2026-09-01"),
            invoice("500 EUR", due="2026-10-01", issued="2026-09-15"),
            payment("600 EUR", on="2026-11-05"),
        )
        f = facts(acct, NOV23)
        assert [(i.number, i.open) for i in f.invoices] == [("INV-1", eur(600))]
        assert f.days_past_due == (NOV23 - D("2026-11-01")).days

    def test_overpayment_of_a_named_invoice_flows_on(self) -> None:
        """What a named invoice does not need pays the others, then stays as credit."""
        acct = account(
            invoice("100 EUR", due="2026-10-01"),
            invoice("200 EUR", due="2026-11-01"),
            payment("450 EUR", on="2026-11-05", to=["INV-2"]),
        )
        f = facts(acct, NOV23)
        assert f.invoices == ()
        assert f.unapplied == eur(150)
        assert f.balance == eur(-150)
        assert f.overdue == eur(0)

    def test_due_today_is_not_overdue(self) -> None:
        """An invoice due on as_of is current; the next day it is 1 day past due."""
        acct = account(invoice("100 EUR", due="2026-11-23"))
        assert (facts(acct, NOV23).days_past_due, facts(acct, NOV23).current) == (0, eur(100))
        assert facts(acct, D("2026-11-24")).days_past_due == 1

    def test_leap_day_due_date(self) -> None:
        """Days past due count real calendar days across a leap day."""
        acct = account(invoice("100 EUR", due="2028-02-29", issued="2028-01-30"))
        assert facts(acct, D("2028-03-01")).days_past_due == 1
        assert facts(acct, D("2029-02-28")).days_past_due == 365
        assert facts(acct, D("2028-02-29")).days_past_due == 0

    def test_ignores_the_global_decimal_context(self) -> None:
        """A tiny process-wide Decimal precision does not round balances."""
        acct = account(
            invoice("123456.78 EUR", due="2026-10-01"), invoice("0.01 EUR", due="2026-10-02")
        )
        with decimal.localcontext() as ctx:
            ctx.prec = 3
            f = facts(acct, NOV23)
        assert f.overdue == eur("123456.79")


class TestDelinquency:
    def test_stretch_spans_overlapping_invoices(self) -> None:
        """Overdue money from one invoice into the next keeps one stretch, from the first."""
        acct = account(
            invoice("100 EUR", due="2026-09-01"),
            invoice("100 EUR", due="2026-10-01"),
            payment("100 EUR", on="2026-10-15", to=["INV-1"]),
        )
        assert facts(acct, NOV23).delinquent_since == D("2026-09-02")

    def test_a_day_without_overdue_money_starts_a_new_stretch(self) -> None:
        """Paying everything overdue ends the stretch; the next overdue invoice starts anew."""
        acct = account(
            invoice("100 EUR", due="2026-09-01"),
            invoice("100 EUR", due="2026-10-01"),
            payment("100 EUR", on="2026-09-20", to=["INV-1"]),
        )
        assert facts(acct, NOV23).delinquent_since == D("2026-10-02")
        assert facts(acct, D("2026-09-19")).delinquent_since == D("2026-09-02")
        assert facts(acct, D("2026-09-25")).delinquent_since is None

    def test_partial_payment_does_not_end_the_stretch(self) -> None:
        """A partial payment leaves money overdue: the stretch goes on."""
        acct = account(
            invoice("100 EUR", due="2026-09-01"), payment("60 EUR", on="2026-09-20", to=["INV-1"])
        )
        assert facts(acct, NOV23).delinquent_since == D("2026-09-02")


class TestAging:
    def test_bucket_boundaries(self) -> None:
        """Default buckets: current, 1-30, 31-60, 61-90, 91-120, over 120, bounds inclusive."""
        dpds = [0, 1, 30, 31, 60, 61, 90, 91, 120, 121, 400]
        acct = account(
            *(invoice(f"{10 + d} EUR", due=date.fromordinal(NOV23.toordinal() - d)) for d in dpds)
        )
        aging = facts(acct, NOV23).aging
        assert [(b.label, b.count, b.amount) for b in aging] == [
            ("current", 1, eur(10)),
            ("1-30", 2, eur(11 + 40)),
            ("31-60", 2, eur(41 + 70)),
            ("61-90", 2, eur(71 + 100)),
            ("91-120", 2, eur(101 + 130)),
            ("over 120", 2, eur(131 + 410)),
        ]
        assert [(b.low, b.high) for b in aging] == [
            (0, 0),
            (1, 30),
            (31, 60),
            (61, 90),
            (91, 120),
            (121, None),
        ]

    def test_configurable_bounds(self) -> None:
        """Bucket bounds can be set: (15, 45) gives current, 1-15, 16-45, over 45."""
        acct = account(invoice("10 EUR", due="2026-11-08"), invoice("20 EUR", due="2026-10-01"))
        aging = facts(acct, NOV23, aging_bounds=(15, 45)).aging
        assert [(b.label, b.amount) for b in aging] == [
            ("current", eur(0)),
            ("1-15", eur(10)),
            ("16-45", eur(0)),
            ("over 45", eur(20)),
        ]

    def test_bounds_must_increase(self) -> None:
        """Bounds that do not increase are refused."""
        with pytest.raises(ValueError, match="aging bounds must be increasing"):
            facts(account(), NOV23, aging_bounds=(30, 30))


class TestDisputes:
    def test_undisputed_overdue_excludes_disputed_invoices(self) -> None:
        """An open dispute over one overdue invoice removes it from undisputed overdue."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            invoice("300 EUR", due="2026-10-15"),
            dispute("INV-2", opened="2026-10-20", reason="pricing_error"),
        )
        f = facts(acct, NOV23)
        assert f.overdue == eur(1300)
        assert f.undisputed_overdue == eur(1000)
        assert f.dispute_open
        assert f.dispute_amount == eur(300)
        assert [i.disputed for i in f.invoices] == [False, True]
        assert f.dispute_reason is not None
        assert f.dispute_reason.is_internal_cause

    def test_disputed_amount_caps_the_disputed_part(self) -> None:
        """A dispute of 100 over a 300 invoice leaves 200 of it undisputed."""
        acct = account(
            invoice("300 EUR", due="2026-10-15"),
            dispute("INV-1", opened="2026-10-20", amount=eur(100)),
        )
        f = facts(acct, NOV23)
        assert (f.undisputed_overdue, f.dispute_amount) == (eur(200), eur(100))

    def test_dispute_counts_only_while_open(self) -> None:
        """A dispute counts from its opening day until the day it is resolved."""
        acct = account(
            invoice("300 EUR", due="2026-10-15"),
            dispute("INV-1", opened="2026-10-20", resolved=D("2026-11-10")),
        )
        assert not facts(acct, D("2026-10-19")).dispute_open
        assert facts(acct, D("2026-10-20")).undisputed_overdue == eur(0)
        assert facts(acct, D("2026-11-09")).dispute_open
        assert not facts(acct, D("2026-11-10")).dispute_open
        assert facts(acct, D("2026-11-10")).undisputed_overdue == eur(300)


class TestPromises:
    def acct(self, *pays: Any, grace: int = 0) -> Account:
        return account(
            invoice("1000 EUR", due="2026-10-01"),
            promise("600 EUR", due="2026-11-15", made="2026-11-02", grace_days=grace),
            *pays,
        )

    def test_open_until_the_deadline_passes(self) -> None:
        """A promise is open (active) on its due date and through its grace days."""
        f = facts(self.acct(grace=2), D("2026-11-17"))
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.OPEN
        assert f.promise.active
        assert f.promise.deadline == D("2026-11-17")

    def test_broken_the_day_after_due_plus_grace(self) -> None:
        """With nothing paid, the promise is broken the day after due + grace."""
        f = facts(self.acct(grace=2), D("2026-11-18"))
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.BROKEN
        assert f.promise.closed_on == D("2026-11-18")
        assert (f.promises_broken, f.promises_kept, f.promises_kept_rate) == (1, 0, Decimal(0))

    def test_payment_on_the_last_grace_day_keeps_it(self) -> None:
        """A full payment on due + grace keeps the promise."""
        f = facts(self.acct(payment("600 EUR", on="2026-11-17"), grace=2), NOV23)
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.KEPT
        assert f.promise.closed_on == D("2026-11-17")
        assert f.promises_kept_rate == Decimal(1)

    def test_payment_after_the_deadline_does_not_keep_it(self) -> None:
        """Paying after due + grace is too late for the promise (though it pays the invoice)."""
        f = facts(self.acct(payment("600 EUR", on="2026-11-18"), grace=2), NOV23)
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.BROKEN
        assert f.overdue == eur(400)

    def test_kept_early_as_soon_as_paid(self) -> None:
        """Paying in full before the due date keeps the promise at once."""
        f = facts(self.acct(payment("600 EUR", on="2026-11-05")), D("2026-11-06"))
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.KEPT
        assert not f.promise.active

    def test_partially_kept(self) -> None:
        """Some but not all paid by the deadline: partially kept."""
        f = facts(self.acct(payment("250 EUR", on="2026-11-10")), NOV23)
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.PARTIALLY_KEPT
        assert f.promise.paid == eur(250)
        assert f.promises_partially_kept == 1

    def test_payments_before_the_promise_do_not_count(self) -> None:
        """A payment made before the promise was made does not count toward it."""
        f = facts(self.acct(payment("600 EUR", on="2026-11-01")), NOV23)
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.BROKEN

    def test_a_missed_installment_closes_the_promise(self) -> None:
        """Installments are judged on their own dates against the cumulative amount."""
        prom = promise(
            "600 EUR",
            due="2026-12-15",
            made="2026-11-02",
            installments=[
                Installment(D("2026-11-15"), eur(300)),
                Installment(D("2026-12-15"), eur(300)),
            ],
        )
        paid_first = account(
            invoice("1000 EUR", due="2026-10-01"), prom, payment("300 EUR", on="2026-11-14")
        )
        f = facts(paid_first, NOV23)
        assert f.promise is not None
        assert f.promise.status is PromiseStatus.OPEN
        missed = account(
            invoice("1000 EUR", due="2026-10-01"), prom, payment("100 EUR", on="2026-11-14")
        )
        g = facts(missed, NOV23)
        assert g.promise is not None
        assert g.promise.status is PromiseStatus.PARTIALLY_KEPT
        assert g.promise.closed_on == D("2026-11-16")

    def test_the_active_promise_is_the_current_one(self) -> None:
        """`promise` is the open promise if any, else the most recent one; all are counted."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            promise("500 EUR", due="2026-10-20", made="2026-10-10"),
            promise("800 EUR", due="2026-11-30", made="2026-11-20"),
        )
        f = facts(acct, NOV23)
        assert f.promise is not None
        assert (f.promise.amount, f.promise.active) == (eur(800), True)
        assert [p.status for p in f.promises] == [PromiseStatus.BROKEN, PromiseStatus.OPEN]
        assert f.promises_kept_rate == Decimal(0)
        assert facts(acct, D("2026-11-01")).promise.amount == eur(500)  # type: ignore[union-attr]

    def test_no_promises(self) -> None:
        """Without promises there is no current promise and no kept rate."""
        f = facts(account(invoice("1 EUR", due="2026-10-01")), NOV23)
        assert (f.promise, f.promises_kept_rate, f.promises_broken) == (None, None, 0)


class TestContactAndPayment:
    def test_last_payment_and_days_since(self) -> None:
        """The latest payment on or before as_of, and the days since it."""
        acct = account(
            invoice("1000 EUR", due="2026-10-01"),
            payment("100 EUR", on="2026-10-20"),
            payment("50 EUR", on="2026-11-03"),
            payment("75 EUR", on="2026-12-01"),
        )
        f = facts(acct, NOV23)
        assert f.last_payment is not None
        assert (f.last_payment.amount, f.days_since_payment) == (eur(50), 20)
        assert facts(acct, D("2026-10-01")).days_since_payment is None

    def test_last_contact_ignores_internal_actions(self) -> None:
        """Holds and notes are not contacts; the last contact is the last customer touch."""
        acct = account(
            activity("2026-11-01", "email", "reminder", outcome="sent"),
            activity("2026-11-10", "call", "first_call", outcome="irate"),
            activity("2026-11-12", "hold_shipments", "hold"),
            activity("2026-11-30", "call"),
        )
        f = facts(acct, NOV23)
        assert f.last_contact is not None
        assert (f.last_contact.channel.value, f.days_since_contact) == ("call", 13)
        assert f.last_contact.outcome is not None
        assert f.last_contact.outcome.value == "irate"
        assert len(f.activities) == 3

    def test_same_day_contacts_prefer_the_conversation(self) -> None:
        """Of an email and a call on the same day, the call is the last contact."""
        for order in (1, -1):
            acts = [
                activity("2026-11-10", "call", outcome="reached"),
                activity("2026-11-10", "email"),
            ]
            f = facts(account(*acts[::order]), NOV23)
            assert f.last_contact is not None
            assert f.last_contact.channel.value == "call"

    def test_no_contact_yet(self) -> None:
        """Without activities there is no last contact."""
        f = facts(account(), NOV23)
        assert (f.last_contact, f.days_since_contact) == (None, None)

    def test_decision_maker_by_role_or_authority(self) -> None:
        """A decision maker is known by role or by authority to approve payment."""
        assert facts(account(contact("A", "decision_maker")), NOV23).has_decision_maker
        assert facts(account(contact("B", can_authorize_payment=True)), NOV23).has_decision_maker
        assert not facts(account(contact("C", "billing")), NOV23).has_decision_maker

    def test_contacts_with_role(self) -> None:
        """Contacts are found by role; decision makers include payment authorizers."""
        acct = account(contact("A", "billing"), contact("B", can_authorize_payment=True))
        f = facts(acct, NOV23)
        assert [c.name for c in f.contacts_with_role("decision_maker")] == ["B"]
        assert [c.name for c in f.contacts_with_role("billing")] == ["A"]


def _without_account(f: AccountFacts) -> dict[str, Any]:
    return f.as_dict()


as_of_dates = st.integers(0, 600).map(lambda d: date.fromordinal(BASE.toordinal() + d))


class TestProperties:
    def test_records_that_tie_on_some_fields_still_sort_one_way(self) -> None:
        """Disputes and promises equal but for one field give the same facts in any order."""
        d1 = dispute(opened="2026-11-01", reason="pricing_error")
        d2 = dispute(opened="2026-11-01", reason="pricing_error", amount=eur("0.01"))
        p1 = promise("100 EUR", due="2026-12-01", made="2026-11-01")
        p2 = promise("100 EUR", due="2026-12-01", made="2026-11-01", note="by phone")
        one = facts(account(invoice("5 EUR", due="2026-10-01"), d1, d2, p1, p2), NOV23)
        other = facts(account(invoice("5 EUR", due="2026-10-01"), d2, d1, p2, p1), NOV23)
        assert _without_account(one) == _without_account(other)

    @settings(max_examples=150)
    @given(accounts(), as_of_dates, st.randoms(use_true_random=False))
    def test_independent_of_record_order(
        self, acct: Account, as_of: date, rnd: random.Random
    ) -> None:
        """Shuffling invoices, payments, activities, promises and disputes changes no fact."""
        assert _without_account(facts(shuffled(acct, rnd), as_of)) == _without_account(
            facts(acct, as_of)
        )

    @settings(max_examples=150)
    @given(accounts(), as_of_dates)
    def test_money_is_conserved(self, acct: Account, as_of: date) -> None:
        """Invoiced minus balance equals cash received plus credit notes: no cent lost."""
        f = facts(acct, as_of)
        cur = acct.currency
        issued = [i for i in acct.invoices if i.issued <= as_of]
        invoiced = Money.sum((i.amount for i in issued if not i.is_credit_note), cur)
        credit_notes = Money.sum((-i.amount for i in issued if i.is_credit_note), cur)
        received = Money.sum((p.amount for p in acct.payments if p.date <= as_of), cur)
        assert invoiced - f.balance == received + credit_notes
        assert f.overdue + f.current - f.unapplied == f.balance
        assert Money.sum((b.amount for b in f.aging), cur) == f.overdue + f.current
        assert Money.sum((i.open for i in f.invoices), cur) == f.overdue + f.current
        assert all(Money.zero(cur) < i.open <= i.amount for i in f.invoices)
        assert Money.zero(cur) <= f.undisputed_overdue <= f.overdue

    @settings(max_examples=100)
    @given(accounts(), as_of_dates)
    def test_derived_facts_are_those_of_a_fresh_replay(self, acct: Account, as_of: date) -> None:
        """Facts derived on first read (invoices, aging, balance...) equal a replay from scratch.

        The facts keep their replay for what is derived when first read; facts rebuilt without
        it (as `attrs.evolve` with ``replay=None`` does) replay the account again, with the same
        result, and reading in any order gives the same values.
        """
        f = facts(acct, as_of)
        bare = attrs.evolve(f, replay=None)
        assert bare.as_dict() == f.as_dict()
        late = facts(acct, as_of)
        assert {n: getattr(late, n) for n in reversed(FACT_FIELDS)} == f.as_dict()


def _judge_by_scanning(p: Any, payments: list[Any], as_of: date) -> tuple[Any, ...]:
    """The promise judgement written the plain way: scan every payment (the reference)."""
    deadline = p.due + timedelta(days=p.grace_days)
    window = sorted(
        (x for x in payments if p.made_on <= x.date <= min(as_of, deadline)),
        key=lambda x: x.date,
    )
    paid = sum((x.amount.amount for x in window), Decimal(0))
    running = Decimal(0)
    for x in window:
        running += x.amount.amount
        if running >= p.amount.amount:
            return (PromiseStatus.KEPT, x.date, paid)
    promised = Decimal(0)
    for inst in p.schedule():
        promised += inst.amount.amount
        inst_deadline = inst.due + timedelta(days=p.grace_days)
        if as_of <= inst_deadline:
            break
        by_then = sum((x.amount.amount for x in window if x.date <= inst_deadline), Decimal(0))
        if by_then < promised:
            status = PromiseStatus.PARTIALLY_KEPT if by_then > 0 else PromiseStatus.BROKEN
            return (status, inst_deadline + timedelta(days=1), paid)
    return (PromiseStatus.OPEN, None, paid)


class TestPromiseLedger:
    @settings(max_examples=150)
    @given(
        st.lists(st.tuples(st.integers(0, 60), st.integers(1, 900)), max_size=12),
        st.lists(
            st.tuples(st.integers(0, 40), st.integers(1, 30), st.integers(0, 5), st.integers(1, 3)),
            min_size=1,
            max_size=4,
        ),
        st.integers(0, 80),
    )
    def test_promises_are_judged_as_a_scan_of_every_payment_would(
        self,
        pays: list[tuple[int, int]],
        proms: list[tuple[int, int, int, int]],
        today: int,
    ) -> None:
        """Judging by running totals (bisection) gives the status, date and sum of a full scan."""
        start = date(2026, 1, 1)
        payments = [payment(f"{amount} EUR", on=start + timedelta(days=d)) for d, amount in pays]
        promises = []
        for made, length, grace, parts in proms:
            days = [made + length + 3 * k for k in range(parts)]
            installments = [
                Installment(start + timedelta(days=d), Money("100", "EUR")) for d in days
            ]
            promises.append(
                promise(
                    f"{100 * parts} EUR",
                    due=start + timedelta(days=days[-1]),
                    made=start + timedelta(days=made),
                    grace_days=grace,
                    installments=installments if parts > 1 else (),
                )
            )
        acct = account(invoice("5000 EUR", due="2026-01-01"), *payments, *promises)
        as_of = start + timedelta(days=today)
        judged = {(p.made_on, p.deadline, p.amount): p for p in facts(acct, as_of).promises}
        for p in acct.promises:
            if p.made_on > as_of:
                continue
            got = judged[(p.made_on, p.due + timedelta(days=p.grace_days), p.amount)]
            status, closed_on, paid = _judge_by_scanning(p, list(acct.payments), as_of)
            assert (got.status, got.closed_on, got.paid.amount) == (status, closed_on, paid)


class TestGivenFacts:
    def test_facts_given_whole_are_those_given(self) -> None:
        """AccountFacts.of keeps every value given, the derived ones too, and replays nothing."""
        acct = account(invoice("100 EUR", due="2026-10-01"), invoice("50 EUR", due="2026-12-01"))
        f = facts(acct, NOV23)
        given = f.as_dict()
        bare = attrs.evolve(f, account=Account("C-1", "EUR"), replay=None)  # no records to replay
        derived: dict[str, Any] = {n: given[n] for n in _DERIVED}
        init: dict[str, Any] = {str(a.alias): getattr(bare, a.name) for a in _INIT}
        made = AccountFacts.of(**derived, **init)
        assert made.as_dict() == given
        assert (made.current, made.balance) == (eur(50), eur(150))
        assert bare.current == eur(0)  # replayed from an account without invoices: none due


_DERIVED = (
    "invoices",
    "aging",
    "balance",
    "current",
    "unapplied",
    "undisputed_overdue",
    "dispute_amount",
    "last_payment",
    "has_decision_maker",
)
_INIT = attrs.fields(AccountFacts)
