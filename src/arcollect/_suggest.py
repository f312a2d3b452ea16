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
from collections.abc import Iterable
from typing import Final

__all__ = ["CUTOFF", "did_you_mean", "suggest"]

#: How alike two words must be (difflib's ratio) for one to be suggested for the other.
CUTOFF: Final = 0.6

#: Above this many candidates, only those sharing the first letter are compared (difflib is
#: quadratic in the word length and linear in the candidates; refusing a thousand misspelt
#: references must not take seconds).
_MANY: Final = 2_000


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """Return the candidate closest to *word*, or None if none is close enough."""
    pool = sorted(set(candidates))
    if len(pool) > _MANY and word:
        pool = [c for c in pool if c[:1].lower() == word[:1].lower()][:_MANY]
    matches = difflib.get_close_matches(word, pool, n=1, cutoff=CUTOFF)
    return matches[0] if matches else None


def did_you_mean(word: str, candidates: Iterable[str], *, quote: str = "'") -> str | None:
    """Return ``did you mean 'x'?`` for the closest candidate, or None if none is close."""
    close = suggest(word, candidates)
    if close is None:
        return None
    shown = repr(close) if quote == "'" else f"{quote}{close}{quote}"
    return f"did you mean {shown}?"
