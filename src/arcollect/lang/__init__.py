r"""The rule language: parse ``.arc`` text into a syntax tree, and format it back.

>>> from arcollect.lang import format_policy, parse
>>> tree = parse('policy "P" version 1\nlet big = overdue >= 10000 EUR')
>>> print(format_policy(tree), end="")
policy "P" version 1
<BLANKLINE>
let big = overdue >= 10,000 EUR
"""

from arcollect.lang.formatter import format_policy
from arcollect.lang.parser import parse

__all__ = ["format_policy", "parse"]
