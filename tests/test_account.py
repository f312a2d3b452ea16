"""The account validates its records and cross-references, reporting every problem."""

from __future__ import annotations

import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import (
    Account,
    Activity,
    Contact,
    DataError,
    Invoice,
    Money,
    Payment,
    Promise,
    UnknownInvoiceError,
    facts,
    parse_policy,
)

D = date(2026, 10, 1)
EUR = Money(100, "EUR")


def problems(**kwargs: Any) -> list[str]:
    """Build an account expected to be refused; return its problems."""
    with pytest.raises(DataError) as exc:
        Account("C-1", "EUR", **kwargs)
    return [str(p) for p in exc.value.problems]


class TestConstructor:
    def test_a_string_is_not_a_set_of_tags(self) -> None:
        """`Account(tags="key")` is refused rather than becoming {'k', 'e', 'y'}."""
        assert problems(tags="key") == ["tags: expected a list, got 'key'"]

    def test_a_dict_is_not_a_contact(self) -> None:
        """A dict passed as a contact is refused at once, with the way to build one."""
        assert problems(contacts=[Contact("Ann"), {"name": "Bob"}]) == [
            (
                "contacts[1]: expected a Contact, got a mapping "
                "(build it with arcollect.structure(data, Contact))"
            )
        ]

    def test_a_record_of_the_wrong_type(self) -> None:
        """A payment among the invoices is refused at its index."""
        pay = Payment(D, Money(1, "EUR"))
        assert problems(invoices=[pay]) == ["invoices[0]: expected an Invoice, got a Payment"]

    def test_a_single_record_is_not_a_list(self) -> None:
        """One contact where a list of contacts belongs is refused."""
        assert problems(contacts=Contact("Ann")) == [
            "contacts: expected a list of Contact records, got a Contact"
        ]

    def test_wrong_scalars(self) -> None:
        """The id, the currency, the risk and the dates are checked for their type."""
        with pytest.raises(DataError) as exc:
            Account("C-1", 978)  # type: ignore[arg-type]
        assert str(exc.value) == "currency: expected an ISO 4217 code, got 978 (a number)"
        assert problems(risk=0.5) == ["risk: expected a Decimal or int, got 0.5 (a number)"]
        assert problems(customer_since="2020-01-01") == [
            "customer_since: expected a date, got '2020-01-01'"
        ]
        assert Account("C-1", "EUR", risk=3).risk == Decimal(3)


class TestReferences:
    def test_an_invoice_is_found_by_number_and_a_missing_one_is_an_error_of_ours(self) -> None:
        """Account.invoice returns the invoice numbered so, or raises UnknownInvoiceError."""
        inv = Invoice("INV-1", issued=D, due=D, amount=EUR)
        acct = Account("C-1", "EUR", invoices=[inv])
        assert acct.invoice("INV-1") is inv
        with pytest.raises(UnknownInvoiceError) as exc:
            acct.invoice("INV-2")
        assert str(exc.value) == "account 'C-1' has no invoice 'INV-2'"
        assert isinstance(exc.value, LookupError)

    def test_many_misspelt_references_are_refused_quickly(self) -> None:
        """1,600 misspelt invoice references among 1,600 invoices are refused in under 2 s."""
        invoices = [
            Invoice(f"INV-{i:05d}", issued=D, due=D, amount=Money(1, "EUR")) for i in range(1600)
        ]
        payments = [Payment(D, Money(1, "EUR"), applies_to=[f"INV-{i:05d}x"]) for i in range(1600)]
        start = time.perf_counter()
        with pytest.raises(DataError) as exc:
            Account("C-1", "EUR", invoices=invoices, payments=payments)
        assert time.perf_counter() - start < 2
        assert len(exc.value.problems) == 1600
        assert str(exc.value.problems[0]) == (
            "payments[0].applies_to[0]: unknown invoice 'INV-00000x'; did you mean 'INV-00000'?"
        )
        assert str(exc.value.problems[-1]) == (
            "payments[1599].applies_to[0]: unknown invoice 'INV-01599x'"
        )


# A policy with every kind of step: before due, past due, repeated, approval, holds.
ENDS_POLICY = """policy "ends" version 1
  currency EUR
  calendar weekdays

segment key when account.tags contains "key"
let recent = account.customer_since > today - 180 days

timeline standard for all
  pause while promise.active
  on promise.broken resume at first_call
  min gap 3 days between contacts
  step courtesy   3 days before due   email "pre_due_notice"
  step reminder   1 day past due      email "friendly_reminder"
  step first_call 10 days past due    call to decision_maker
  step follow_up  20 days past due    email "follow_up" every 7 days until 45 days past due
  step hold       60 days past due    hold shipments when not recent

priority
  score overdue / 1,000 EUR * 10 + days_past_due * 2 + promises.broken * 15
  capacity 2 calls per day
"""

FIRST, LAST = date.min, date.max
NEAR_ENDS = st.one_of(
    st.integers(0, 120).map(lambda d: FIRST + timedelta(days=d)),
    st.integers(0, 120).map(lambda d: LAST - timedelta(days=d)),
)


@st.composite
def accounts_near_the_ends(draw: st.DrawFn, n: int) -> Account:
    """An account whose records all fall within 120 days of 0001-01-01 or of 9999-12-31."""
    eur = Money(draw(st.integers(1, 10**6)), "EUR")
    issued, due, paid, made, promised, contacted, since = sorted(
        draw(st.lists(NEAR_ENDS, min_size=7, max_size=7))
    )
    kwargs: dict[str, Any] = {
        "terms": draw(st.integers(0, 90)),
        "customer_since": since if draw(st.booleans()) else None,
        "tags": ["key"] if draw(st.booleans()) else [],
        "invoices": [Invoice("I-1", issued=issued, due=due, amount=eur)],
        "contacts": [Contact("Ann", roles={"decision_maker"})],
    }
    if draw(st.booleans()):
        kwargs["payments"] = [Payment(paid, Money(1, "EUR"), applies_to=["I-1"])]
    if draw(st.booleans()):
        kwargs["activities"] = [Activity(contacted, "call", step="reminder")]
    if draw(st.booleans()):
        grace = draw(st.integers(0, 30))
        if grace <= (LAST - promised).days:
            kwargs["promises"] = [Promise(made, eur, promised, grace_days=grace)]
    return Account(f"C-{n}", "EUR", **kwargs)


class TestCalendarEnds:
    policy = parse_policy(ENDS_POLICY, name="ends.arc")

    def test_planning_on_the_last_and_first_day(self) -> None:
        """An invoice due 9999-12-30 with terms and a promise due 9999-12-31 plan on either end."""
        acct = Account(
            "C-1",
            "EUR",
            terms=30,
            invoices=[Invoice("I-1", issued=date(9999, 11, 1), due=date(9999, 12, 30), amount=EUR)],
            promises=[Promise(date(9999, 12, 1), EUR, LAST)],
        )
        for as_of in (LAST, FIRST):
            state = self.policy.plan([acct], as_of=as_of).state("C-1")
            assert state.error is None or state.error.startswith("cannot ")

    @given(NEAR_ENDS, NEAR_ENDS, st.integers(0, 200), NEAR_ENDS)
    def test_a_promise_is_refused_or_its_facts_work(
        self, made: date, due: date, grace: int, as_of: date
    ) -> None:
        """A promise near the last day either is refused at grace_days or gets a deadline."""
        made, due = min(made, due), max(made, due)
        if (LAST - due).days < grace:
            with pytest.raises(DataError) as exc:
                Promise(made, EUR, due, grace_days=grace)
            assert [p.path for p in exc.value.problems] == ["grace_days"]
            return
        promise = Promise(made, EUR, due, grace_days=grace)
        acct = Account("C-1", "EUR", promises=[promise], payments=[Payment(made, EUR)])
        f = facts(acct, as_of)
        assert f.promises == () or f.promises[0].deadline == due + timedelta(days=grace)

    @settings(max_examples=60, deadline=None)
    @given(
        st.integers(1, 3).flatmap(
            lambda n: st.tuples(*(accounts_near_the_ends(i) for i in range(n)))
        ),
        st.sampled_from([FIRST, LAST]),
    )
    def test_only_arcollect_errors_near_the_ends(
        self, accts: tuple[Account, ...], as_of: date
    ) -> None:
        """Planning accounts near either end of the calendar raises nothing; a state carries it."""
        plan = self.policy.plan(accts, as_of=as_of)
        for acct in accts:
            state = plan.state(acct.id)
            assert state.error is None or state.error.startswith("cannot ")
