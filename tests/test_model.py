"""Tests of arcollect.engine.model: the plan's output types."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from arcollect import ActionKind, Channel, DataError, PlanChannel, load_policy
from arcollect.errors import ArcollectError, UnknownAccountError
from arcollect.testing import account, contact, invoice

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
AS_OF = date(2026, 11, 23)


def plan_of(*accounts: object) -> object:
    return STANDARD.plan(accounts, as_of=AS_OF)  # type: ignore[arg-type]


class TestPlan:
    def test_state_of_an_unknown_account_is_an_arcollect_error(self) -> None:
        """Asking a plan about an account it does not hold raises a LookupError of ours."""
        plan = STANDARD.plan([account(invoice("10 EUR", due="2026-11-01"))], as_of=AS_OF)
        with pytest.raises(UnknownAccountError) as info:
            plan.state("nope")
        assert str(info.value) == "the plan has no account 'nope'"
        assert isinstance(info.value, ArcollectError)
        assert isinstance(info.value, LookupError)
        assert plan.actions_for("nope") == ()

    def test_the_same_account_twice_is_a_data_error_with_both_places(self) -> None:
        """Planning a list that holds one account twice names both positions."""
        a = account(invoice("10 EUR", due="2026-11-01"), id="C-7")
        b = account(invoice("10 EUR", due="2026-11-01"), id="C-8")
        with pytest.raises(DataError) as info:
            STANDARD.plan([a, b, a], as_of=AS_OF)
        assert [(p.path, p.message) for p in info.value.problems] == [
            ("[2]", "account 'C-7' appears twice (also at [0])")
        ]

    def test_json_keys_and_words(self) -> None:
        """Actions serialize with the vocabulary's words: ``refer_agency``, ``internal``."""
        acct = account(contact("Jane", "decision_maker"), invoice("3,000 EUR", due="2026-08-01"))
        plan = STANDARD.plan([acct], as_of=AS_OF)
        record = json.loads(plan.to_json())["actions"][0]
        assert (record["step"], record["action"], record["channel"]) == (
            "agency",
            "refer_agency",
            "internal",
        )
        assert sorted(record) == [
            "account",
            "action",
            "channel",
            "contact",
            "deferred",
            "due",
            "explanation",
            "invoice",
            "needs_approval",
            "owner",
            "priority",
            "step",
            "template",
            "tier",
            "timeline",
        ]


class TestPlannedAction:
    def test_action_and_channel_are_the_vocabulary(self) -> None:
        """A planned action's action and channel are ActionKind and PlanChannel members."""
        acct = account(contact("Jane", "decision_maker"), invoice("3,000 EUR", due="2026-08-01"))
        (act,) = STANDARD.plan([acct], as_of=AS_OF).actions
        assert (act.action, act.channel) == (ActionKind.REFER_AGENCY, PlanChannel.INTERNAL)
        assert act.logged_channel is Channel.REFER_AGENCY
