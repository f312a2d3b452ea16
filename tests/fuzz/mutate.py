"""A mutation driver: byte, token and line mutations of text, and mutations of data trees.

Every mutation takes a seeded `random.Random`, so a seed replays the same sequence of inputs.
The interesting values are the ones that broke things before: digits beyond the decimal
context, dates at the ends of the calendar, control characters, deep nesting, German number
grouping, strings where lists belong.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "HOSTILE_TOKENS",
    "HOSTILE_VALUES",
    "mutate_text",
    "mutate_tree",
]

#: Tokens spliced into rule and data text.
HOSTILE_TOKENS: tuple[str, ...] = (
    "9" * 59,
    "99999999",
    "9999999999 days",
    "999999999999",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "2.500",
    "2.500,00",
    "1.000",
    "1e999",
    "-0",
    "0",
    "0 EUR",
    "100 USD",
    "NaN",
    "Infinity",
    "\x01",
    "\x0b",
    "\r",
    "\t",
    "\u2028",
    "\ufeff",
    "\x00",
    "é",
    '"',
    "'",
    "#",
    ":",
    "- ",
    "[",
    "]",
    "{",
    "}",
    "&a",
    "*a",
    "!!int x",
    "!!python/object:os.system",
    "%",
    "(",
    ")",
    ",",
    " per invoice",
    " requires approval by cfo",
    " capacity 1 calls per day",
    "round(overdue, 99999999)",
    "max(invoices.days_past_due)",
    "days_since_payment",
    "account.risk",
    "today + 9999999999 days",
    "0001-01-01 - 1 day",
    "30 days * 999999999999",
    "overdue / 0",
    "promise.broken",
    "resume at nowhere",
    "roles buchhaltung",
)

#: Values put into data trees in place of a field, an element or a whole record.
HOSTILE_VALUES: tuple[Any, ...] = (
    None,
    "",
    "x",
    "key",
    0,
    -1,
    10**5000,
    "9" * 100,
    "9" * 58 + " EUR",
    1.5,
    float("nan"),
    True,
    [],
    {},
    ["x"],
    {"x": 1},
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "1.000",
    "2.500,00 EUR",
    "1000 XYZ",
    "\x01",
    "a\rb",
    "emial",
    "decison_maker",
    "pricing",
)


def _token_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in re.finditer(r"\w+|[^\w\s]|\s+", text)]


def mutate_text(text: str, rng: random.Random, extra_tokens: tuple[str, ...] = ()) -> str:
    """Return *text* with one to four random byte, token or line mutations."""
    tokens = HOSTILE_TOKENS + extra_tokens
    for _ in range(rng.randint(1, 4)):
        text = rng.choice(_TEXT_MUTATIONS)(text, rng, tokens)
    return text


def _insert_char(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    i = rng.randint(0, len(text))
    ch = chr(rng.choice([rng.randint(0, 127), rng.randint(0, 0x2FFF)]))
    if 0xD800 <= ord(ch) <= 0xDFFF:
        ch = "?"
    return text[:i] + ch + text[i:]


def _delete_span(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    if not text:
        return text
    i = rng.randrange(len(text))
    return text[:i] + text[i + rng.randint(1, 8) :]


def _flip_byte(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    data = bytearray(text.encode("utf-8"))
    if not data:
        return text
    data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    return data.decode("utf-8", errors="replace")


def _replace_token(text: str, rng: random.Random, tokens: tuple[str, ...]) -> str:
    spans = _token_spans(text)
    if not spans:
        return text
    a, b = rng.choice(spans)
    source = rng.choice([tokens, tuple(text[x:y] for x, y in spans)])
    return text[:a] + rng.choice(source) + text[b:]


def _insert_token(text: str, rng: random.Random, tokens: tuple[str, ...]) -> str:
    spans = _token_spans(text)
    i = rng.choice(spans)[0] if spans else 0
    return text[:i] + rng.choice(tokens) + " " + text[i:]


def _swap_tokens(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    spans = _token_spans(text)
    if len(spans) < 2:
        return text
    (a, b), (c, d) = sorted(rng.sample(spans, 2))
    return text[:a] + text[c:d] + text[b:c] + text[a:b] + text[d:]


def _line_op(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    op = rng.randrange(6)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(rng.randrange(len(lines) + 1), lines[i])
    elif op == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        lines[i] = " " * rng.choice([1, 2, 4, 8]) + lines[i]
    elif op == 4:
        lines[i] = lines[i].lstrip()
    else:
        lines = lines[: i + 1] * rng.randint(2, 50)
    return rng.choice(["\n", "\n", "\n", "\r\n", "\r"]).join(lines)


def _nest(text: str, rng: random.Random, _tokens: tuple[str, ...]) -> str:
    i = rng.randint(0, len(text))
    depth = rng.choice([50, 1000, 10_000])
    opener, closer = rng.choice([("(", ")"), ("[", "]"), ("{", "}"), ("- ", "")])
    return text[:i] + opener * depth + "1" + closer * depth + text[i:]


_TEXT_MUTATIONS: tuple[Callable[[str, random.Random, tuple[str, ...]], str], ...] = (
    _insert_char,
    _delete_span,
    _flip_byte,
    _replace_token,
    _replace_token,
    _insert_token,
    _insert_token,
    _swap_tokens,
    _line_op,
    _nest,
)


def _paths(tree: Any, max_depth: int = 40) -> list[tuple[Any, ...]]:
    """Every path into *tree*, not deeper than *max_depth* (iterative: trees may be deep)."""
    out: list[tuple[Any, ...]] = []
    todo: list[tuple[tuple[Any, ...], Any]] = [((), tree)]
    while todo:
        prefix, node = todo.pop()
        out.append(prefix)
        if len(prefix) >= max_depth:
            continue
        if isinstance(node, dict):
            todo += [((*prefix, k), v) for k, v in node.items()]
        elif isinstance(node, list):
            todo += [((*prefix, i), v) for i, v in enumerate(node)]
    return out


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for p in path:
        tree = tree[p]
    return tree


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def mutate_tree(tree: Any, rng: random.Random) -> Any:
    """Return a mutated copy of a JSON-like *tree*: a node replaced, dropped, doubled or nested."""
    import copy  # noqa: PLC0415 - only the tree mutator needs it

    tree = copy.deepcopy(tree)
    for _ in range(rng.randint(1, 3)):
        paths = _paths(tree)
        path = rng.choice(paths[1:] or paths)
        if not path:
            return rng.choice(HOSTILE_VALUES)
        parent = _get(tree, path[:-1])
        key = path[-1]
        op = rng.randrange(7)
        if op <= 2:
            parent[key] = rng.choice(HOSTILE_VALUES)
        elif op == 3:
            if isinstance(parent, dict):
                del parent[key]
            else:
                parent.pop(key)
        elif op == 4:
            if isinstance(parent, list):
                parent.insert(key, copy.deepcopy(parent[key]))
            else:
                parent[f"{key}x"] = copy.deepcopy(parent[key])
        elif op == 5:
            value = parent[key]
            parent[key] = [value] if rng.random() < 0.5 else str(value)
        else:
            parent[key] = _deep(rng.choice([10, 200]))  # deeper nesting: `_nest` on text
    return tree
