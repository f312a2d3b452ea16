"""Diagnostics and their rendering (arcollect.errors): line ends, empty files, error bounds."""

from __future__ import annotations

import time

import pytest

from arcollect.errors import MAX_REPORTED_ERRORS, Diagnostic, PolicyError, Span
from arcollect.policy import parse_policy

UNKNOWN = (
    "t.arc:3:9: error: unknown fact `overdu`\n"
    "  3 | let a = overdu > 1 EUR\n"
    "    |         ^^^^^^\n"
    "  hint: did you mean `overdue`?"
)


def error_of(text: str, name: str = "t.arc") -> PolicyError:
    """Return the `PolicyError` that reading *text* as *name* raises."""
    with pytest.raises(PolicyError) as exc:
        parse_policy(text, name=name)
    return exc.value


class TestLineEnds:
    """Lines end with \\n, \\r\\n or a lone \\r, for line numbers and excerpts alike."""

    @pytest.mark.parametrize("end", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
    def test_rule_file(self, end: str) -> None:
        """The checker's error is on line 3 whatever the line ends, with a clean excerpt."""
        text = end.join(['policy "t"', "  currency EUR", "let a = overdu > 1 EUR", ""])
        assert str(error_of(text)) == UNKNOWN

    @pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["crlf", "cr"])
    def test_syntax_error(self, end: str) -> None:
        """The parser counts the same lines as the checker."""
        text = end.join(['policy "t"', "  currency EUR", "let a = = 1", ""])
        assert str(error_of(text)) == (
            "t.arc:3:9: error: expected an expression, found `=`\n"
            "  3 | let a = = 1\n"
            "    |         ^"
        )

    @pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["crlf", "cr"])
    def test_yaml_rule_file(self, end: str) -> None:
        """A YAML rule file's errors are mapped back onto the same lines YAML counts."""
        text = end.join(["policy: t", "currency: EUR", "let:", "  a: overdu > 1 EUR", ""])
        assert str(error_of(text, "t.yaml")) == (
            "t.yaml:4:6: error: unknown fact `overdu`\n"
            "  4 |   a: overdu > 1 EUR\n"
            "    |      ^^^^^^\n"
            "  hint: did you mean `overdue`?"
        )


class TestEmptyFiles:
    """An empty file is an error at 1:1, like any other."""

    @pytest.mark.parametrize("name", ["t.arc", "t.yaml"])
    def test_empty(self, name: str) -> None:
        """Both readers locate the error at line 1, column 1."""
        [diagnostic] = error_of("", name).diagnostics
        assert diagnostic.span == Span(1, 1, 1, 2)


class TestErrorBound:
    """At most MAX_REPORTED_ERRORS errors are reported; the rest are counted."""

    def test_many_checker_errors(self) -> None:
        """2,000 misspelt facts report the first 100, then say how many more, quickly."""
        lines = ['policy "t"', "  currency EUR"]
        lines += [f"let a{i} = overdu > 1 EUR" for i in range(2_000)]
        started = time.perf_counter()
        error = error_of("\n".join(lines) + "\n")
        assert time.perf_counter() - started < 5
        assert len(error.errors) == MAX_REPORTED_ERRORS
        assert error.omitted == 1_900
        assert str(error).endswith("\n\n... and 1900 more errors")
        assert str(error).startswith("t.arc:3:10: error: unknown fact `overdu`\n  3 | let a0 =")
        assert "let a99 = overdu" in str(error)
        assert "let a100 = overdu" not in str(error)

    def test_many_parser_errors(self) -> None:
        """The parser's own errors (ambiguous numbers here) are bounded the same way."""
        lines = ['policy "t"'] + [f"let a{i} = 2.500" for i in range(150)]
        error = error_of("\n".join(lines) + "\n")
        assert (len(error.errors), error.omitted) == (100, 50)
        assert str(error).endswith("\n\n... and 50 more errors")

    def test_bound_applies_to_any_list(self) -> None:
        """A PolicyError built from 101 errors keeps 100 and counts one more (singular)."""
        diagnostics = [Diagnostic(f"e{i}", None, "p.arc") for i in range(101)]
        error = PolicyError(diagnostics)
        assert (len(error.diagnostics), error.omitted) == (100, 1)
        assert str(error).endswith("p.arc: error: e99\n\n... and 1 more error")
