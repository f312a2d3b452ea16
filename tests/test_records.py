"""The records validate what their constructors take, with the file reader's messages."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from arcollect import (
    Account,
    Activity,
    Contact,
    CurrencyError,
    DataError,
    Dispute,
    Installment,
    Invoice,
    Money,
    Payment,
    Promise,
    parse_portfolio,
)

D = date(2026, 10, 1)
EUR = Money(100, "EUR")
CHANNELS = (
    "email, letter, sms, call, voicemail, visit, hold_shipments, release_hold, refer_agency, "
    "refer_attorney, review, note"
)


def problems(make: Any, *args: Any, **kwargs: Any) -> list[str]:
    """Call a constructor expected to refuse its arguments; return the problems."""
    with pytest.raises(DataError) as exc:
        make(*args, **kwargs)
    return [str(p) for p in exc.value.problems]


class TestCollections:
    def test_a_string_is_not_a_set_of_tags(self) -> None:
        """`tags="key"` is refused rather than split into characters."""
        assert problems(Invoice, "I-1", issued=D, due=D, amount=EUR, tags="key") == [
            "tags: expected a list, got 'key'"
        ]

    def test_a_string_is_not_a_set_of_roles(self) -> None:
        """`roles="billing"` is refused rather than split into characters."""
        assert problems(Contact, "Ann", roles="billing") == [
            "roles: expected a list, got 'billing'"
        ]

    def test_a_string_is_not_a_list_of_references(self) -> None:
        """`applies_to="INV-1"` and `invoices="INV-1"` are refused."""
        assert problems(Payment, D, EUR, applies_to="INV-1") == [
            "applies_to: expected a list, got 'INV-1'"
        ]
        assert problems(Dispute, D, invoices="INV-1") == ["invoices: expected a list, got 'INV-1'"]

    def test_items_must_be_strings(self) -> None:
        """Every item that is not a string is reported at its index."""
        assert problems(Payment, D, EUR, applies_to=["INV-1", 7, None]) == [
            "applies_to[1]: expected a string, got 7 (a number)",
            "applies_to[2]: expected a string, got nothing (null)",
        ]

    def test_installments_must_be_installments(self) -> None:
        """A dict among the installments is refused with the way to build one."""
        assert problems(Promise, D, EUR, D, installments=[{"due": D, "amount": EUR}]) == [
            (
                "installments[0]: expected an Installment, got a mapping "
                "(build it with arcollect.structure(data, Installment))"
            )
        ]

    def test_lists_and_sets_are_accepted(self) -> None:
        """Any collection of strings is accepted and normalised."""
        assert Payment(D, EUR, applies_to=["A", "B"]).applies_to == ("A", "B")
        assert Contact("Ann", roles={"billing"}).roles == frozenset({"billing"})
        inst = Installment(D, EUR)
        assert Promise(D, EUR, D, installments=[inst]).installments == (inst,)


class TestEnums:
    def test_misspelt_channel(self) -> None:
        """A misspelt channel gets the valid values and a suggestion."""
        assert problems(Activity, D, channel="emial") == [
            f"channel: unknown value 'emial'; did you mean 'email'? (one of {CHANNELS})"
        ]

    def test_same_message_as_the_reader(self) -> None:
        """The constructor and the file reader say the same words about a bad channel."""
        text = (
            "currency: EUR\naccounts:\n  - id: C-1\n    activities:\n"
            "      - {date: 2026-10-02, channel: emial}\n"
        )
        with pytest.raises(DataError) as exc:
            parse_portfolio(text)
        (read,) = exc.value.problems
        (built,) = problems(Activity, D, channel="emial")
        assert f"accounts[0].activities[0].{built}" == str(read)

    def test_unknown_reason_without_a_close_word(self) -> None:
        """A reason that resembles none lists the valid values."""
        assert problems(Dispute, D, reason="zzz") == [
            (
                "reason: expected one of 'pricing_error', 'wrong_quantity', 'missing_po', "
                "'not_delivered', 'damaged', 'duplicate_billing', 'billing_error', "
                "'wrong_product', 'quality', 'service', 'other', 'unspecified'; got 'zzz'"
            )
        ]

    def test_misspelt_reason_outcome_and_preferred_channel(self) -> None:
        """Every enum field is checked at its own path."""
        assert problems(Dispute, D, reason="pricing")[0].startswith(
            "reason: unknown value 'pricing'; did you mean 'pricing_error'?"
        )
        assert problems(Activity, D, "call", outcome="reachd")[0].startswith(
            "outcome: unknown value 'reachd'; did you mean 'reached'?"
        )
        assert problems(Contact, "Ann", preferred_channel=3)[0].startswith(
            "preferred_channel: expected one of 'email', "
        )


class TestScalars:
    def test_wrong_scalar_types(self) -> None:
        """A string where a date belongs, a float where Money belongs: refused at the field."""
        assert problems(Invoice, "I-1", issued="2026-10-01", due=D, amount=EUR) == [
            "issued: expected a date, got '2026-10-01'"
        ]
        assert problems(Payment, D, 100.0) == [
            "amount: expected an amount (Money), got 100.0 (a number)"
        ]
        assert problems(Activity, datetime(2026, 10, 1, tzinfo=UTC), "call") == [
            "date: expected a date, got a datetime"
        ]
        assert problems(Contact, "Ann", can_authorize_payment="yes") == [
            "can_authorize_payment: expected true or false, got 'yes'"
        ]


class TestCalendarEnds:
    def test_a_grace_period_past_the_last_day_is_refused(self) -> None:
        """A promise whose deadline (due + grace) would pass 9999-12-31 is refused at grace_days."""
        last = date.max
        assert problems(Promise, date(9999, 12, 1), EUR, last, grace_days=1) == [
            "grace_days: due + grace runs past 9999-12-31: 9999-12-31 + 1 day"
        ]
        assert problems(Promise, D, EUR, date(9999, 12, 30), grace_days=10**12) == [
            f"grace_days: due + grace runs past 9999-12-31: 9999-12-30 + {10**12} days"
        ]

    def test_a_deadline_on_the_last_day_is_allowed(self) -> None:
        """Due + grace may land exactly on 9999-12-31."""
        promise = Promise(date(9999, 12, 1), EUR, date(9999, 12, 30), grace_days=1)
        assert promise.grace_days == 1

    def test_the_reader_names_the_field(self) -> None:
        """In a portfolio the refusal carries the path of the promise's grace_days."""
        text = (
            "currency: EUR\naccounts:\n  - id: C-1\n    promises:\n"
            "      - {made_on: 9999-12-01, amount: 100, due: 9999-12-31, grace_days: 3}\n"
        )
        with pytest.raises(DataError) as exc:
            parse_portfolio(text)
        assert [str(p) for p in exc.value.problems] == [
            (
                "accounts[0].promises[0].grace_days: due + grace runs past 9999-12-31: "
                "9999-12-31 + 3 days"
            )
        ]


class TestHugeValues:
    def test_a_huge_integer_is_described_not_written_out(self) -> None:
        """An id or currency of 5,000 digits gets a message naming its size (unprintable)."""
        with pytest.raises(DataError) as ident:
            Account(10**5000, "EUR")  # type: ignore[arg-type]
        assert str(ident.value) == "id: expected a non-empty string, got an integer of 5001 digits"
        with pytest.raises(CurrencyError) as cur:
            Money("1", 10**5000)  # type: ignore[arg-type]
        assert str(cur.value) == (
            "unknown currency an integer of 5001 digits: expected an ISO 4217 code such as 'EUR'"
        )
