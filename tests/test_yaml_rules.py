"""YAML rule files (arcollect.lang.yaml_rules): hostile documents and values that say too much."""

from __future__ import annotations

import time

import pytest

from arcollect.errors import PolicyError
from arcollect.lang.yaml_rules import MAX_YAML_DEPTH
from arcollect.lang.yaml_writer import to_yaml
from arcollect.policy import parse_policy

HINT = "  hint: a value holds exactly what its key says: write each clause under its own key"


def error_of(text: str) -> str:
    """Return the rendered `PolicyError` that reading *text* as ``t.yaml`` raises."""
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, name="t.yaml")
    return str(exc.value)


def steps(*step: str) -> str:
    """Return a YAML rule file with one timeline holding the flow mappings *step*."""
    lines = ["policy: t", "currency: EUR", "timelines:", "  - name: t", "    steps:"]
    return "\n".join(lines + [f"      - {{{s}}}" for s in step]) + "\n"


class TestHostileDocuments:
    """Documents that once hung or crashed the reader are refused at once, located."""

    def test_nine_by_nine_alias_bomb(self) -> None:
        """73 aliases, each level nine times the last, are refused at the first alias, fast."""
        lines = ["policy: t", "x0: &a0 [" + ", ".join(["x"] * 9) + "]"]
        lines += [f"x{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
        started = time.perf_counter()
        message = error_of("\n".join(lines) + "\n")
        assert time.perf_counter() - started < 1
        assert message == (
            "t.yaml:3:10: error: invalid YAML: aliases (`*name`) are not allowed in rule files: "
            "write the value out\n"
            "  3 | x1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]\n"
            "    |          ^"
        )

    def test_one_alias_is_refused(self) -> None:
        """Even a single alias (a shared condition) is refused: write the value out."""
        text = "policy: t\nlet:\n  a: &c overdue > 5 EUR\n  b: *c\n"
        assert error_of(text).startswith(
            "t.yaml:4:6: error: invalid YAML: aliases (`*name`) are not allowed in rule files"
        )

    def test_deep_nesting(self) -> None:
        """10,000 nested lists are refused where they pass the depth bound, not by recursion."""
        message = error_of("policy: t\nlet: " + "[" * 10_000 + "]" * 10_000 + "\n")
        column = 5 + MAX_YAML_DEPTH
        assert message.split("\n")[0] == (
            f"t.yaml:2:{column}: error: invalid YAML: the document is nested more than "
            f"{MAX_YAML_DEPTH} levels deep"
        )


class TestValuesHoldWhatTheirKeySays:
    """A value that parses to a second clause is refused at the value, never obeyed."""

    def test_score_smuggling_capacity(self) -> None:
        """A score that also sets a capacity is refused at the score's value."""
        text = 'policy: t\npriority:\n  score: "1 capacity 1 calls per day"\n'
        assert error_of(text) == (
            "t.yaml:3:10: error: this value holds more than one expression\n"
            '  3 |   score: "1 capacity 1 calls per day"\n'
            "    |          ^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n" + HINT
        )

    def test_when_smuggling_approval(self) -> None:
        """A condition that also requires an approval is refused at the condition."""
        text = steps('name: s, at: 1 day past due, do: call, when: "true requires approval by cfo"')
        assert error_of(text) == (
            "t.yaml:6:55: error: this value holds more than one condition\n"
            '  6 |       - {name: s, at: 1 day past due, do: call, when: "true requires approval'
            ' by cfo"}\n'
            "    |                                                       "
            "^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n" + HINT
        )

    def test_when_smuggling_unless(self) -> None:
        """A second condition after the first is refused, though both are conditions."""
        text = steps("name: s, at: 1 day past due, do: call, when: true unless key")
        assert error_of(text).split("\n")[0] == (
            "t.yaml:6:55: error: this value holds more than one condition"
        )

    def test_role_smuggling_a_modifier(self) -> None:
        """A role is one word: a comma and a modifier after it are refused."""
        text = steps('name: s, at: 1 day past due, do: call, to: "billing,unless(true)"')
        assert error_of(text).split("\n")[0] == (
            "t.yaml:6:53: error: expected a contact role, got `billing,unless(true)`"
        )

    def test_action_smuggling_when(self) -> None:
        """An action that also sets a condition is refused at the action."""
        text = steps('name: s, at: 1 day past due, do: "call when false"')
        assert error_of(text).split("\n")[0] == (
            't.yaml:6:43: error: this value holds more than one action such as `email "reminder"`'
        )

    def test_then_smuggling_a_section(self) -> None:
        """An expectation followed by a whole `priority` section is refused at the value."""
        text = (
            steps("name: s, at: 1 day past due, do: call")
            + "expect:\n  - name: x\n    as_of: 2026-01-01\n"
            + "    account: invoice 1 EUR due 2025-12-01\n"
            + '    then: "step s\\npriority\\n  capacity 5 calls per day"\n'
        )
        assert error_of(text).split("\n")[0] == (
            "t.yaml:11:11: error: this value holds more than the expectation only"
        )

    def test_let_smuggling_a_let(self) -> None:
        """A second `let` inside a let's value is located at that value, not at 1:1."""
        assert error_of('policy: t\nlet:\n  a: "1\\nlet b = 2"\n') == (
            "t.yaml:3:6: error: this value holds more than one expression\n"
            '  3 |   a: "1\\nlet b = 2"\n'
            "    |      ^^^^^^^^^^^^^^\n" + HINT
        )

    def test_comment_in_a_value_ends_with_it(self) -> None:
        """A `#` in a quoted value comments out only the value's rest, not the next key."""
        text = steps(
            'name: s, at: 1 day past due, do: call, when: "promise.active # VIP", every: 3 days'
        )
        [step] = parse_policy(text, name="t.yaml").checked.timelines[0].steps
        assert (step.when is not None, step.every) == (True, 3)

    def test_plain_values_still_read(self) -> None:
        """Parenthesised, multi-word and commented values of every kind are accepted."""
        text = steps(
            'name: s, at: 3 days before due, do: email "r", to: billing, '
            'when: "(promise.active or overdue > 5 EUR)", every: 7 days until 30 days past due, '
            "at_most_every: 2 days"
        ) + (
            "priority:\n  score: overdue / 1 EUR\n  tiers: {A: 80%, B: 20%}\n"
            "  ties: [overdue desc]\n  capacity: 5\n"
        )
        policy = parse_policy(text, name="t.yaml")
        assert policy.checked.priority.capacity == 5

    def test_calendar_days_smuggling_a_section(self) -> None:
        """The calendar's days are `all` or `weekdays`, nothing after them."""
        text = 'policy: t\ncalendar:\n  days: "weekdays\\npriority\\n  capacity 1 calls per day"\n'
        assert error_of(text).split("\n")[0] == (
            "t.yaml:3:9: error: expected `all` or `weekdays`, "
            "got `weekdays priority capacity 1 calls pe...`"
        )


class TestCharacters:
    def test_a_control_character_is_located(self) -> None:
        """A vertical tab in a YAML rule file is a located error, not a yaml.ReaderError."""
        assert error_of('policy: "a\x0bb"\n').splitlines()[0] == (
            "t.yaml:1:11: error: invalid YAML: the character U+000B is not allowed in YAML"
        )


class TestRoles:
    """`roles: [A, B]` is the YAML twin of the `roles A, B` header line."""

    def test_roles_read_like_the_header_line(self) -> None:
        """A YAML `roles` list gives the tree and the known roles the `.arc` line gives."""
        arc = parse_policy('policy "t"\n  roles buchhaltung, einkauf\n', name="t.arc")
        yml = parse_policy("policy: t\nroles: [buchhaltung, einkauf]\n", name="t.yaml")
        assert yml.tree == arc.tree
        assert yml.checked.roles == arc.checked.roles
        assert {"buchhaltung", "einkauf"} <= yml.checked.roles

    def test_one_role_needs_no_list(self) -> None:
        """A single role may be written as a plain value."""
        tree = parse_policy("policy: t\nroles: einkauf\n", name="t.yaml").tree
        assert tree.header.roles == ("einkauf",)

    def test_role_spans_point_into_the_yaml(self) -> None:
        """Each role's span is its place in the YAML file."""
        tree = parse_policy("policy: t\nroles: [a, bc]\n", name="t.yaml").tree
        assert [(s.line, s.column, s.end_column) for s in tree.header.role_spans] == [
            (2, 9, 10),
            (2, 12, 14),
        ]

    def test_to_yaml_writes_roles(self) -> None:
        """`to_yaml` writes the roles as a list, and reading it back gives the same tree."""
        tree = parse_policy('policy "t" roles on, einkauf\n', name="t.arc").tree
        text = to_yaml(tree)
        assert text == "policy: t\nroles:\n- 'on'\n- einkauf\n"
        assert parse_policy(text, name="t.yaml").tree == tree
