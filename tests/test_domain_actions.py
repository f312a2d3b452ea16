"""Tests of arcollect.domain.actions: one vocabulary for the grammar, the engine and the log."""

from __future__ import annotations

import re
from importlib import resources

from arcollect import ActionKind, Channel, PlanChannel
from arcollect.domain.actions import CONTACT_CHANNELS, RULE_ACTIONS, RULE_CHANNELS
from arcollect.lang import checker, parse


def _grammar() -> str:
    return resources.files("arcollect.lang").joinpath("grammar.lark").read_text(encoding="utf-8")


class TestGrammar:
    def test_the_grammar_action_rules_are_the_rule_actions(self) -> None:
        """Every ``-> action_X`` alternative of the grammar is a rule action, and back."""
        words = set(re.findall(r"->\s*action_(\w+)", _grammar()))
        assert words == {str(a) for a in RULE_ACTIONS}

    def test_the_grammar_channel_words_are_the_contact_channels(self) -> None:
        """The grammar's ``channel_word`` lists exactly the channels a channel rule may name."""
        line = next(ln for ln in _grammar().splitlines() if ln.startswith("!channel_word"))
        assert set(re.findall(r'"(\w+)"', line)) == set(RULE_CHANNELS)

    def test_the_checker_takes_its_words_from_the_vocabulary(self) -> None:
        """The checker's channel list is the vocabulary's."""
        assert set(checker.CHANNELS) == set(RULE_CHANNELS)

    def test_every_rule_action_parses_to_its_kind(self) -> None:
        """``hold shipments`` parses to ActionKind.HOLD_SHIPMENTS, and so on for every action."""
        for kind in RULE_ACTIONS:
            template = (
                ' "t"' if kind in (ActionKind.EMAIL, ActionKind.LETTER, ActionKind.SMS) else ""
            )
            step = f"step s 1 day past due {kind.words}{template}"
            tree = parse(f'policy "P" version 1\ntimeline t for all\n  {step}')
            assert tree.timelines[0].steps[0].action.kind is kind


class TestWords:
    def test_plan_channels_are_contact_channels_and_internal(self) -> None:
        """A plan's channels are the activity log's contact channels plus ``internal``."""
        assert {str(c) for c in PlanChannel} == {str(c) for c in CONTACT_CHANNELS} | {"internal"}

    def test_every_action_is_logged_with_a_channel(self) -> None:
        """Done, each action is logged with a channel of the activity log (follow-up: a call)."""
        assert {a: a.logged_channel for a in ActionKind}[ActionKind.FOLLOW_UP] is Channel.CALL
        assert all(isinstance(a.logged_channel, Channel) for a in ActionKind)
