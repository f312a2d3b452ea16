"""The account validates its records and cross-references, reporting every problem."""

from __future__ import annotations

import time
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from arcollect import Account, Contact, DataError, Invoice, Money, Payment

D = date(2026, 10, 1)


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
