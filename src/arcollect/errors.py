"""The errors arcollect raises.

Every error derives from one root, `ArcollectError`, and also from the builtin it resembles, so
callers may catch either::

    ArcollectError
    ├── DataError (ValueError)              bad records: each problem names the path of the field
    ├── PolicyError (ValueError)            bad rule files: each diagnostic has a source span
    ├── CurrencyError (ValueError)          an unknown ISO 4217 currency code
    ├── CurrencyMismatchError (TypeError)   arithmetic or comparison across two currencies
    ├── InexactAmountError (TypeError)      a float where an exact amount is needed
    ├── EvaluationError (ValueError)        a policy expression that cannot be evaluated on data
    ├── UnknownAccountError (LookupError)   a plan asked about an account it does not hold
    └── UnknownInvoiceError (LookupError)   an account asked for an invoice it does not have

Errors that translate a lower-level exception are raised ``from None``: the message says all
there is to say, and the caller never sees a traceback from deep inside a parser.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Literal

import attrs

__all__ = [
    "MAX_REPORTED_ERRORS",
    "ArcollectError",
    "CurrencyError",
    "CurrencyMismatchError",
    "DataError",
    "Diagnostic",
    "EvaluationError",
    "InexactAmountError",
    "PolicyError",
    "Problem",
    "Span",
    "TooLargeError",
    "UnknownAccountError",
    "UnknownInvoiceError",
]


class ArcollectError(Exception):
    """The root of every error arcollect raises on purpose."""


class CurrencyError(ArcollectError, ValueError):
    """A currency code that is not an ISO 4217 code known to Babel."""


class CurrencyMismatchError(ArcollectError, TypeError):
    """Money of two different currencies was added, subtracted or compared."""


class InexactAmountError(ArcollectError, TypeError):
    """A float was given where an exact (Decimal or integer) amount is required."""


class UnknownAccountError(ArcollectError, LookupError):
    """A plan was asked about an account it does not hold."""


class UnknownInvoiceError(ArcollectError, LookupError):
    """An account was asked for an invoice it does not have."""


class EvaluationError(ArcollectError, ValueError):
    """A checked policy expression could not be evaluated on the given data.

    The message says it all (``p.arc:8:21: cannot evaluate `x` for account 'C-1': ...``); the
    same facts are attributes: *span* and *source_name* locate the expression in its rule file
    (None when the error is about the account's data rather than an expression), *account* names
    the account (None when no account is concerned).
    """

    def __init__(
        self,
        message: str,
        *,
        span: Span | None = None,
        source_name: str | None = None,
        account: str | None = None,
    ) -> None:
        super().__init__(message)
        self.span = span
        self.source_name = source_name
        self.account = account


# --------------------------------------------------------------------------------------------
# Data errors: a path into the data and a message, all problems of a document at once.


@attrs.frozen
class Problem:
    """One thing wrong with a piece of data, at a path such as ``accounts[3].invoices[0].due``.

    An empty path means the document (or record) as a whole.
    """

    path: str
    message: str

    def under(self, prefix: str) -> Problem:
        """Return this problem as seen from a containing record at *prefix*.

        >>> Problem("due", "expected a date").under("invoices[0]")
        Problem(path='invoices[0].due', message='expected a date')
        >>> Problem("[2]", "unknown").under("tags")
        Problem(path='tags[2]', message='unknown')
        """
        if not prefix:
            return self
        if not self.path:
            return Problem(prefix, self.message)
        sep = "" if self.path.startswith("[") else "."
        return Problem(f"{prefix}{sep}{self.path}", self.message)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class DataError(ArcollectError, ValueError):
    """Records that do not describe valid AR data.

    ``problems`` lists every problem found, not just the first; ``source`` names the file or
    string the data came from, when known. The message has one line per problem::

        portfolio.yaml: 2 problems
          accounts[3].invoices[0].due: expected a date, got '31/02/2026'
          accounts[4].id: missing required field
    """

    problems: tuple[Problem, ...]
    source: str | None
    #: How many more problems were found but not listed (readers list the first ones only).
    omitted: int

    def __init__(
        self, problems: Iterable[Problem], source: str | None = None, omitted: int = 0
    ) -> None:
        self.problems = tuple(problems)
        self.source = source
        self.omitted = omitted
        super().__init__(self._render())

    @classmethod
    def at(cls, path: str, message: str) -> DataError:
        """Return an error with a single problem at *path*."""
        return cls([Problem(path, message)])

    def under(self, prefix: str) -> DataError:
        """Return the same problems as seen from a containing record at *prefix*."""
        return DataError([p.under(prefix) for p in self.problems], self.source, self.omitted)

    def with_source(self, source: str) -> DataError:
        """Return the same problems, attributed to *source* (a file name)."""
        return DataError(self.problems, source, self.omitted)

    def _render(self) -> str:
        if len(self.problems) == 1 and self.source is None and not self.omitted:
            return str(self.problems[0])
        head = self.source or "data"
        count = len(self.problems) + self.omitted
        lines = [f"{head}: {count} problem{'s' if count != 1 else ''}"]
        lines += [f"  {p}" for p in self.problems]
        if self.omitted:
            lines.append(f"  ... and {self.omitted} more problems")
        return "\n".join(lines)


class TooLargeError(DataError):
    """Data of *size* bytes, more than the *limit* a reader was given.

    The message ends with *hint*, which says how to lift the limit: by default to a Python
    caller (``max_bytes=``); the command line says its ``--max-bytes`` instead (`hinted`).
    """

    #: The hint of a reader called from Python.
    HINT = "pass a larger max_bytes= to read it"

    size: int
    limit: int
    hint: str

    def __init__(self, size: int, limit: int, source: str | None = None, hint: str = HINT) -> None:
        self.size, self.limit, self.hint = size, limit, hint
        message = f"the data is {size} bytes, more than the {limit} bytes allowed; {hint}"
        super().__init__([Problem("", message)], source)

    def hinted(self, hint: str) -> TooLargeError:
        """Return the same error, its message ending with *hint*."""
        return TooLargeError(self.size, self.limit, self.source, hint)

    def with_source(self, source: str) -> TooLargeError:
        """Return the same error, attributed to *source* (a file name)."""
        return TooLargeError(self.size, self.limit, source, self.hint)


# --------------------------------------------------------------------------------------------
# Policy errors: a span in a rule file, rendered with the source line and a caret.


@attrs.frozen(order=True)
class Span:
    """A region of source text: 1-based line and column of its start, and of its end (exclusive).

    ``start`` and ``end`` are 0-based character offsets into the text.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    start: int = attrs.field(default=0, eq=False, order=False)
    end: int = attrs.field(default=0, eq=False, order=False)


Severity = Literal["error", "warning"]


@attrs.frozen
class Diagnostic:
    """One error or warning about a rule file, located by a span.

    ``render`` gives ``file:line:col: error: message``, then the source line with a caret line
    under the whole span (its first line, when the span covers several), then the hint if any.
    """

    message: str
    span: Span | None
    source_name: str = "<policy>"
    severity: Severity = "error"
    hint: str | None = None

    def render(self, source: str | None) -> str:
        """Render this diagnostic against *source*, the text the span points into.

        >>> d = Diagnostic("unknown fact `overdu`", Span(1, 9, 1, 15), "p.arc",
        ...                hint="did you mean `overdue`?")
        >>> print(d.render("let x = overdu < 250 EUR"))
        p.arc:1:9: error: unknown fact `overdu`
          1 | let x = overdu < 250 EUR
            |         ^^^^^^
          hint: did you mean `overdue`?
        """
        return self.render_lines(_LINE_END.split(source) if source is not None else None)

    def render_lines(self, source_lines: Sequence[str] | None) -> str:
        """Render this diagnostic against the source already split into lines."""
        if self.span is None:
            lines = [f"{self.source_name}: {self.severity}: {self.message}"]
        else:
            sp = self.span
            lines = [f"{self.source_name}:{sp.line}:{sp.column}: {self.severity}: {self.message}"]
            if source_lines is not None:
                lines += _excerpt(source_lines, sp)
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


_MAX_EXCERPT = 120

#: As the parser counts lines: \r\n, \r or \n ends one; \f or \u2028 do not.
_LINE_END = re.compile(r"\r\n|\r|\n")


def _excerpt(src_lines: Sequence[str], span: Span) -> list[str]:
    if not 1 <= span.line <= len(src_lines):
        return []
    text = src_lines[span.line - 1].expandtabs(1)
    start = max(span.column - 1, 0)
    end = span.end_column - 1 if span.end_line == span.line else len(text)
    end = max(end, start + 1)
    shift = 0
    if len(text) > _MAX_EXCERPT:  # keep long (or minified) lines readable around the caret
        shift = max(0, start - 40)
        text = text[shift : shift + _MAX_EXCERPT]
    text = "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in text)
    gutter = str(span.line)
    pad = " " * len(gutter)
    carets = " " * (start - shift) + "^" * max(1, min(end, shift + _MAX_EXCERPT) - start)
    return [f"  {gutter} | {text}".rstrip(), f"  {pad} | {carets}"]


#: The most errors one `PolicyError` reports; past these, it says how many more there were.
MAX_REPORTED_ERRORS = 100


class PolicyError(ArcollectError, ValueError):
    """A rule file that does not parse or check. Carries the diagnostics found.

    ``str(error)`` renders each diagnostic with its source excerpt, exactly once. At most
    `MAX_REPORTED_ERRORS` errors are kept (the first found, with the warnings among them);
    ``omitted`` counts the errors left out, and the rendering ends with
    ``... and N more errors``. Readers that find more stop building diagnostics and pass the
    count as *omitted*.
    """

    diagnostics: tuple[Diagnostic, ...]
    source: str | None
    omitted: int

    def __init__(
        self, diagnostics: Sequence[Diagnostic], source: str | None = None, omitted: int = 0
    ) -> None:
        kept: list[Diagnostic] = []
        errors = 0
        for d in diagnostics:
            if d.severity == "error":
                errors += 1
                if errors > MAX_REPORTED_ERRORS:
                    omitted += 1
                    continue
            kept.append(d)
        self.diagnostics = tuple(kept)
        self.source = source
        self.omitted = omitted
        super().__init__(self.render())

    def render(self) -> str:
        """Return the diagnostics rendered against the source, separated by blank lines."""
        lines = _LINE_END.split(self.source) if self.source is not None else None
        parts = [d.render_lines(lines) for d in self.diagnostics]
        if self.omitted:
            parts.append(f"... and {self.omitted} more error{'s' if self.omitted != 1 else ''}")
        return "\n\n".join(parts)

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        """The diagnostics of severity ``error``."""
        return tuple(d for d in self.diagnostics if d.severity == "error")
