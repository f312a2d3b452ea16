"""The one "did you mean" of arcollect: the closest known word to a misspelt one.

Every reader and checker that refuses an unknown word (a fact, a key, a channel, an enum value,
an invoice reference) asks here, so that suggestions are made the same way everywhere, with one
cutoff, and always end up in the hint of a diagnostic or the message of a problem.

>>> suggest("overdu", ["overdue", "balance"])
'overdue'
>>> suggest("zzz", ["overdue", "balance"]) is None
True
>>> did_you_mean("emial", ["email", "letter"])
"did you mean 'email'?"
>>> did_you_mean("overdu", ["overdue"], quote="`")
'did you mean `overdue`?'
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Final

__all__ = ["CUTOFF", "did_you_mean", "suggest"]

#: How alike two words must be (difflib's ratio) for one to be suggested for the other.
CUTOFF: Final = 0.6

#: Above this many candidates, only the likeliest are compared by difflib (it is linear in the
#: candidates and quadratic in the word's length: refusing a thousand misspelt references must
#: not take seconds).
_MANY: Final = 200


_PUNCTUATION: Final = re.compile(r"[\W_]+")


def _key(word: str) -> str:
    return _PUNCTUATION.sub("", word.casefold())


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to *word*, or None if none is close enough.

    A candidate equal to *word* but for case and punctuation (``INV1`` for ``INV-1``) is the
    answer; otherwise difflib's closest. Among many candidates only those of about the word's
    length and with its first letter are compared, at most `_MANY` of them.
    """
    pool = set(candidates)
    if len(pool) > _MANY:
        first = word[:1].casefold()
        pool = {c for c in pool if abs(len(c) - len(word)) <= 2 and c[:1].casefold() == first}
    ordered = sorted(pool)
    key = _key(word)
    same = [c for c in ordered if _key(c) == key] if key else []
    if same:
        return same[0]
    matches = difflib.get_close_matches(word, ordered[:_MANY], n=1, cutoff=CUTOFF)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, quote: str = "'") -> str | None:
    """Return ``did you mean 'x'?`` for the closest candidate, or None if none is close."""
    close = suggest(word, candidates)
    if close is None:
        return None
    shown = repr(close) if quote == "'" else f"{quote}{close}{quote}"
    return f"did you mean {shown}?"
