"""Hypothesis strategies for the domain model."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import attrs
from hypothesis import strategies as st

from arcollect import (
    Account,
    Activity,
    Channel,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Money,
    Outcome,
    Payment,
    Promise,
)
from arcollect.domain import currency_exponent

CURRENCIES = ("EUR", "USD", "JPY", "KWD", "GBP", "CHF")
BASE = date(2026, 1, 1)

currencies = st.sampled_from(CURRENCIES)
idents = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda s: s.strip() == s and s)
dates = st.integers(min_value=0, max_value=500).map(lambda d: BASE + timedelta(days=d))


@st.composite
def amounts(draw: st.DrawFn, currency: str, *, low: int = -(10**9), high: int = 10**9) -> Decimal:
    """Draw an amount exactly representable in *currency*'s minor unit."""
    units = draw(st.integers(min_value=low, max_value=high))
    return Decimal(units).scaleb(-currency_exponent(currency))


@st.composite
def money(
    draw: st.DrawFn, currency: str | None = None, *, positive: bool = False, high: int = 10**9
) -> Money:
    """Draw Money in *currency* (or any test currency)."""
    cur = currency or draw(currencies)
    return Money(draw(amounts(cur, low=1 if positive else -high, high=high)), cur)


@st.composite
def invoices(draw: st.DrawFn, currency: str, number: str) -> Invoice:
    """Draw a positive invoice numbered *number*."""
    issued = draw(dates)
    return Invoice(
        number,
        issued=issued,
        due=issued + timedelta(days=draw(st.integers(0, 90))),
        amount=draw(money(currency, positive=True, high=10**7)),
        po_number=draw(st.none() | words),
        delivered=draw(st.booleans()),
        tags=draw(st.frozensets(idents, max_size=2)),
    )


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    """Draw a contact."""
    return Contact(
        draw(words),
        title=draw(st.none() | words),
        roles=draw(st.frozensets(st.sampled_from(["decision_maker", "billing", "executive"]))),
        can_authorize_payment=draw(st.booleans()),
        email=draw(st.none() | st.just("x@example.com")),
        preferred_channel=draw(st.none() | st.sampled_from(Channel)),
    )


@st.composite
def promises(draw: st.DrawFn, currency: str) -> Promise:
    """Draw a promise, sometimes in installments."""
    made = draw(dates)
    total = draw(money(currency, positive=True, high=10**6))
    n = draw(st.integers(1, 3))
    parts = total.split(n) if total.amount >= n else (total,)
    if len(parts) > 1 and all(not p.is_zero for p in parts):
        offsets = sorted(
            draw(st.sets(st.integers(0, 60), min_size=len(parts), max_size=len(parts)))
        )
        insts = tuple(
            Installment(made + timedelta(days=o), p) for o, p in zip(offsets, parts, strict=True)
        )
        return Promise(
            made, total, insts[-1].due, installments=insts, grace_days=draw(st.integers(0, 5))
        )
    return Promise(
        made,
        total,
        made + timedelta(days=draw(st.integers(0, 30))),
        by=draw(st.none() | words),
        grace_days=draw(st.integers(0, 5)),
    )


@st.composite
def accounts(draw: st.DrawFn, *, max_invoices: int = 6, currency: str | None = None) -> Account:
    """Draw a consistent account: payments, disputes and credit notes name its own invoices."""
    cur = currency or draw(currencies)
    n = draw(st.integers(0, max_invoices))
    invs = [draw(invoices(cur, f"INV-{i}")) for i in range(n)]
    numbers = [i.number for i in invs]
    with_credit_note = draw(st.booleans())
    if numbers and with_credit_note:
        target = draw(st.sampled_from(invs))
        invs.append(
            Invoice(
                "CN-1",
                issued=target.issued,
                due=target.issued,
                amount=-draw(money(cur, positive=True, high=10**6)),
                credits=target.number,
            )
        )
    pays = draw(
        st.lists(
            st.builds(
                Payment,
                date=dates,
                amount=money(cur, positive=True, high=10**7),
                reference=st.none() | words,
                applies_to=st.lists(st.sampled_from(numbers), max_size=2, unique=True)
                if numbers
                else st.just([]),
            ),
            max_size=4,
        )
    )
    disputes = draw(
        st.lists(
            st.builds(
                Dispute,
                opened=dates,
                reason=st.sampled_from(DisputeReason),
                invoices=st.lists(st.sampled_from(numbers), max_size=2, unique=True)
                if numbers
                else st.just([]),
                amount=st.none() | money(cur, positive=True, high=10**6),
            ),
            max_size=2,
        )
    )
    acts = draw(
        st.lists(
            st.builds(
                Activity,
                date=dates,
                channel=st.sampled_from(Channel),
                step=st.none() | idents,
                outcome=st.none() | st.sampled_from(Outcome),
            ),
            max_size=4,
        )
    )
    return Account(
        draw(st.from_regex(r"C-[0-9]{1,4}", fullmatch=True)),
        cur,
        name=draw(st.none() | words),
        credit_limit=draw(st.none() | money(cur, positive=True)),
        terms=draw(st.none() | st.integers(0, 120)),
        tags=draw(st.frozensets(idents, max_size=3)),
        risk=draw(st.none() | st.decimals(min_value=0, max_value=100, places=2)),
        customer_since=draw(st.none() | dates),
        contacts=draw(st.lists(contacts(), max_size=2)),
        invoices=invs,
        payments=pays,
        promises=draw(st.lists(promises(cur), max_size=2)),
        disputes=disputes,
        activities=acts,
    )


def shuffled(acct: Account, rnd: random.Random) -> Account:
    """Return *acct* with each of its collections of records in a random order."""

    def mix(items: tuple[Any, ...]) -> list[Any]:
        out = list(items)
        rnd.shuffle(out)
        return out

    return attrs.evolve(
        acct,
        invoices=mix(acct.invoices),
        payments=mix(acct.payments),
        promises=mix(acct.promises),
        disputes=mix(acct.disputes),
        activities=mix(acct.activities),
        contacts=mix(acct.contacts),
        snoozes=mix(acct.snoozes),
    )
