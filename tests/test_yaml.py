"""The shared YAML loader refuses what it cannot read with a located DataError."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from arcollect import DataError
from arcollect._yaml import MAX_DEPTH, load_yaml
from arcollect.domain.money import WrittenNumber


def problems(text: str) -> list[str]:
    """Load YAML expected to be refused; return its problems."""
    with pytest.raises(DataError) as exc:
        load_yaml(text, "p.yaml")
    assert exc.value.source == "p.yaml"
    return [str(p) for p in exc.value.problems]


class TestLoadYaml:
    def test_control_characters(self) -> None:
        """A control character is refused at its line and column, with the escape to use."""
        assert problems("a: 1\nb: x\x01") == [
            (
                "line 2, column 5: the character U+0001 is not allowed in YAML; remove it, "
                'or write it as the escape "\\u0001" in a double-quoted string'
            )
        ]
        assert problems("a: [1, \x0b]") == [
            (
                "line 1, column 8: the character U+000B is not allowed in YAML; remove it, "
                'or write it as the escape "\\u000b" in a double-quoted string'
            )
        ]

    def test_deep_nesting_is_refused(self) -> None:
        """10,000 nested lists are refused at the level past MAX_DEPTH, not a RecursionError."""
        expected = f"the document is nested more than {MAX_DEPTH} levels deep"
        assert problems("[" * 10_000) == [f"line 1, column {MAX_DEPTH + 1}: {expected}"]

    def test_nesting_up_to_the_bound_is_read(self) -> None:
        """MAX_DEPTH levels are fine."""
        value = load_yaml("[" * MAX_DEPTH + "]" * MAX_DEPTH)
        for _ in range(MAX_DEPTH - 1):
            (value,) = value
        assert value == []

    def test_unreadable_scalars(self) -> None:
        """A 5,000-digit integer and explicit tags that cannot read their text are located."""
        assert problems("a: " + "9" * 5000) == [
            "line 1, column 4: cannot read '" + "9" * 40 + "... (5000 characters)' as int"
        ]
        assert problems("a: !!int x") == ["line 1, column 4: cannot read 'x' as int"]
        assert problems("a: !!bool x") == ["line 1, column 4: cannot read 'x' as bool"]
        assert problems("a: !!timestamp x") == ["line 1, column 4: cannot read 'x' as timestamp"]


class TestWrittenNumbers:
    def test_portfolio_floats_keep_their_digits(self) -> None:
        """With written_numbers, `1.000` is the Decimal 1.000 as written, not the float 1.0."""
        data = load_yaml("a: 1.000\nb: 1_000.50\nc: -0.5\nd: 7", written_numbers=True)
        assert data == {
            "a": Decimal("1.000"),
            "b": Decimal("1000.50"),
            "c": Decimal("-0.5"),
            "d": 7,
        }
        assert [type(v) for v in data.values()] == [WrittenNumber] * 3 + [int]
        assert str(data["a"]) == "1.000"

    def test_non_finite_floats_stay_floats(self) -> None:
        """`.inf` and `.nan` are read as YAML reads them (the data layer refuses them)."""
        data = load_yaml("a: .inf\nb: -.inf", written_numbers=True)
        assert data == {"a": math.inf, "b": -math.inf}

    def test_rule_files_are_not_affected(self) -> None:
        """Without the option (YAML rule files) a float is still a float."""
        assert load_yaml("a: 1.000") == {"a": 1.0}
        assert type(load_yaml("a: 1.000")["a"]) is float
