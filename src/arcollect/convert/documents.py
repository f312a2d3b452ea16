"""Portfolio documents: the accounts of a portfolio as YAML or JSON text, and back.

The portfolio format (docs/data-format.md) is a mapping with an optional default ``currency``
and a list of ``accounts``. Amounts are written ``"1200.00 EUR"``, or as a bare number in the
account's currency; dates ``2026-10-01``; payment terms ``30 days``.

Every problem of a document is reported at once, each with the path of the offending field::

    portfolio.yaml: 2 problems
      accounts[3].invoices[0].due: expected a date (YYYY-MM-DD), got '31/02/2026'
      accounts[4].currency: unknown currency 'EUX': expected an ISO 4217 code such as 'EUR'
"""

from __future__ import annotations

import contextvars
import itertools
import json
import operator
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO, Final

import attrs
import yaml

from arcollect._describe import describe, shown
from arcollect._yaml import MAX_DEPTH, Dumper, load_yaml
from arcollect.convert.fast import CHUNK, FastReader
from arcollect.convert.hooks import (
    _FieldError,
    _structure_str,
    _unknown_field,
    structure,
    unstructure,
)
from arcollect.domain.account import Account
from arcollect.domain.money import WrittenNumber, currency_exponent
from arcollect.domain.records import Company
from arcollect.errors import CurrencyError, DataError, Problem, TooLargeError

__all__ = [
    "Portfolio",
    "dump_portfolio",
    "parse_portfolio",
    "parse_portfolio_document",
    "portfolio_document_from_dict",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_portfolio",
    "read_portfolio_document",
]


# --------------------------------------------------------------------------------------------
# Portfolios


@attrs.frozen
class Portfolio:
    """A whole portfolio document: its accounts and the *company* that writes to them."""

    accounts: tuple[Account, ...]
    company: Company | None = None


_TOP_KEYS: Final = ("currency", "company", "accounts")
_ID: Final = operator.attrgetter("id")
_SECOND: Final = operator.itemgetter(1)


def portfolio_from_dict(data: Any) -> tuple[Account, ...]:
    """Build the accounts of a portfolio document (already parsed into plain data).

    Every problem is reported at once: those of the document, then account by account, then
    duplicate account ids (checked among all accounts, also those that failed).
    """
    return portfolio_document_from_dict(data).accounts


def portfolio_document_from_dict(data: Any) -> Portfolio:
    """Build the whole `Portfolio` of a document: its accounts and its ``company:`` block."""
    return _document_from_dict(data, FastReader())


def _detailed_document_from_dict(data: Any) -> Portfolio:
    """`portfolio_document_from_dict` without the fast path: every account read in detail."""
    return _document_from_dict(data, None)


class _TooDeepError(Exception):
    """Data not yet bounded in depth nests too deeply: its reader must say where."""


class _Bound:
    """Bounds the depth of the parts of a document the detailed path reads, and counts.

    Called with a value and the nesting *level* it is held at; raises `_TooDeepError` if it
    nests more than `MAX_DEPTH` levels deep in all. `pairs` counts the key-value pairs of the
    mappings seen, `colons` the colons of their strings (keys and values).
    """

    def __init__(self) -> None:
        self.pairs = 0
        self.colons = 0

    def __call__(self, value: Any, level: int) -> None:
        if isinstance(value, str):
            self.colons += value.count(":")
            return
        if isinstance(value, dict):
            self.pairs += len(value)
            self.colons += sum(key.count(":") for key in value if isinstance(key, str))
            items: Iterable[Any] = value.values()
        elif isinstance(value, list):
            items = value
        else:
            return
        level += 1
        if level > MAX_DEPTH:
            raise _TooDeepError
        for item in items:
            self(item, level)


def _document_from_dict(
    data: Any, fast: FastReader | None, bound: _Bound | None = None
) -> Portfolio:
    """Build the `Portfolio` of *data*, each account by *fast* if it can, else in detail.

    *bound*, given for data whose depth is not yet bounded, is called with each part that the
    detailed path is to read (and its nesting level) first; the accounts the fast path reads
    are bounded by their shape.
    """
    if bound is not None:
        if not isinstance(data, dict):
            bound(data, 0)
        else:
            bound.pairs += len(data)
            for key, value in data.items():
                if key != "accounts" or not isinstance(value, list | tuple):
                    bound(value, 1)
    if not isinstance(data, Mapping):
        raise DataError.at("", f"expected a mapping with 'accounts', got {describe(data)}")
    unknown = [k for k in data if k not in _TOP_KEYS]
    names = [k if isinstance(k, str) else shown(k) for k in unknown]
    problems = [Problem(k, _unknown_field(k, list(_TOP_KEYS))) for k in names]
    company: Company | None = None
    if data.get("company") is not None:
        try:
            company = structure(data["company"], Company)
        except DataError as exc:
            problems += [p.under("company") for p in exc.problems]
    currency = data.get("currency")
    bad_currency: str | None = None  # a portfolio currency already reported as unknown
    if currency is not None:
        try:
            currency_exponent(_structure_str(currency, str))
        except (CurrencyError, _FieldError) as exc:
            problems.append(Problem("currency", str(exc)))
            currency = bad_currency = currency if isinstance(currency, str) else shown(currency)
    if "accounts" not in data:
        problems.append(Problem("accounts", "missing required field"))
        raise DataError(problems)
    raw = data["accounts"]
    if not isinstance(raw, list | tuple):
        problems.append(Problem("accounts", f"expected a list, got {describe(raw)}"))
        raise DataError(problems)
    accounts: list[Account] = []
    ids: list[tuple[int, str]] = []
    # The reader's own parsed data, let go of as it is read:
    own = raw if bound is not None and isinstance(raw, list) else None
    start = 0
    while start < len(raw):
        # A chunk at a time (`FastReader.chunk`): the parsed data of each let go of (when the
        # reader's own) before the next is read, so that the collector has little to do.
        chunk = list(raw[start : start + (CHUNK if fast is None else fast.chunk)])
        built = [None] * len(chunk) if fast is None else fast.accounts(chunk, currency)
        start += len(chunk)
        if not any(map(operator.is_, built, repeat(None))):  # all read fast, as most
            accounts += built  # type: ignore[arg-type] # (no None)
            ids += zip(range(start - len(built), start), map(_ID, built), strict=True)
            if own is not None:
                own[start - len(built) : start] = [None] * len(built)
            continue
        for i, item, read in zip(range(start - len(chunk), start), chunk, built, strict=True):
            if read is not None:
                accounts.append(read)
                ids.append((i, read.id))
                if own is not None:
                    own[i] = None
                continue
            if bound is not None:
                bound(item, 2)
            try:
                acct = structure(item, Account, currency=currency)
            except DataError as exc:
                found = exc.problems
                if bad_currency is not None and not (
                    isinstance(item, Mapping) and "currency" in item
                ):
                    repeated = _unknown_currency(bad_currency)  # said once, at `currency`
                    found = tuple(p for p in found if p.message != repeated)
                problems += [p.under(f"accounts[{i}]") for p in found]
                acct_id = item.get("id") if isinstance(item, Mapping) else None
                if isinstance(acct_id, str) and acct_id.strip():
                    ids.append((i, acct_id))
            else:
                accounts.append(acct)
                ids.append((i, acct.id))
    seen: dict[str, int] = {}
    for i, acct_id in ids if len(set(map(_SECOND, ids))) < len(ids) else ():
        if acct_id in seen:
            problems.append(
                Problem(
                    f"accounts[{i}].id",
                    f"duplicate account id {acct_id!r} (also accounts[{seen[acct_id]}])",
                )
            )
        seen.setdefault(acct_id, i)
    if problems:
        raise DataError(problems)
    return Portfolio(tuple(accounts), company)


def _unknown_currency(code: str) -> str:
    try:
        currency_exponent(code)
    except CurrencyError as exc:
        return str(exc)
    return ""


def portfolio_to_dict(
    accounts: Iterable[Account], *, currency: str | None = None, company: Company | None = None
) -> dict[str, Any]:
    """Return the portfolio document for *accounts*; *currency* is written as its default.

    *company*, the sender of correspondence, becomes the ``company:`` block.
    """
    doc: dict[str, Any] = {}
    if currency is not None:
        doc["currency"] = currency
    if company is not None:
        doc["company"] = unstructure(company)
    doc["accounts"] = [unstructure(a) for a in accounts]
    return doc


#: The largest file (or text, in UTF-8 bytes) a reader accepts unless given ``max_bytes=``.
MAX_BYTES: Final = 16 * 1024 * 1024

#: JSON texts of at least this many characters are read one account at a time (`_stream_json`):
#: the parsed data of the whole text is never held at once, which halves the peak memory.
STREAM_FROM: Final = 128 * 1024 * 1024

#: At most this many problems of one file are listed; the rest are counted in a last line.
MAX_PROBLEMS: Final = 100


def parse_portfolio(
    text: str, *, format: str = "yaml", source: str = "<string>", max_bytes: int = MAX_BYTES
) -> tuple[Account, ...]:
    """Parse a portfolio document in *format* (``"yaml"`` or ``"json"``).

    Text of more than *max_bytes* UTF-8 bytes (16 MiB by default) is refused at once; batch
    users with bigger files pass a larger bound.
    """
    return parse_portfolio_document(
        text, format=format, source=source, max_bytes=max_bytes
    ).accounts


def parse_portfolio_document(
    text: str, *, format: str = "yaml", source: str = "<string>", max_bytes: int = MAX_BYTES
) -> Portfolio:
    """Parse a whole portfolio document (accounts and company), as `parse_portfolio` does."""
    return _parse_document(text, format, source, max_bytes, fast=True)


def _parse_document(
    text: str, format: str, source: str, max_bytes: int, *, fast: bool
) -> Portfolio:
    """Parse a portfolio document; *fast* False reads it all by the detailed path alone.

    The fast way: JSON is parsed by plain `json.loads` first (the exact checks of `_load_json`
    run again only when something is unusual, or is read in detail), YAML by the C loader where
    PyYAML has one, and accounts are built by the fast path where it can.
    """
    check_size(text, source, max_bytes)
    if format == "json":
        doc = None
        if fast:  # a large text one account at a time: half the memory, some more collecting
            doc = _stream_json(text) if len(text) >= STREAM_FROM else None
            doc = doc or _fast_json(text)
        if doc is not None:
            return doc
        data = _load_json(text, source)
    elif format == "yaml":
        data = load_yaml(text, source, written_numbers=True, c_loader=fast)
    else:
        raise DataError.at("format", f"unknown portfolio format {format!r}: expected yaml or json")
    try:
        return _document_from_dict(data, FastReader() if fast else None)
    except DataError as exc:
        raise capped(exc.problems, source) from None


def _fast_json(text: str) -> Portfolio | None:
    r"""Return the portfolio of a JSON *text* that is fine, read fast; None for any other.

    Plain `json.loads` first, without the checks of `_load_json`, which are proven otherwise:

    - depth: the accounts the fast path reads have the bounded shape of an account, and the
      rest of the document is walked (`_Bound`);
    - duplicate keys: the text has a colon per pair written (S) and one per colon written in
      its strings (L). `json.loads` keeps one pair per key: the data has P <= S pairs, P = S
      only if no key was there twice. Without ``\u003a`` escapes, the strings of the data
      hold at most L colons, and C, those counted in the strings of the parts walked, too. So
      P + C = S + L, the colons of the text, only if no key was there twice. Otherwise (a
      colon in the free text of an account, say) the text is parsed again, with the pairs
      hook that finds duplicates.

    None (a syntax error, a duplicate key, too deep, a problem found) means: read it again
    by the exact path, which says what is wrong.
    """
    for hooked in (False, True):
        data = _plain_json(text, hooked=hooked)
        if data is None:
            return None
        reader, bound = FastReader(), _Bound()
        try:
            doc = _document_from_dict(data, reader, bound)
        except (_TooDeepError, DataError):
            return None
        if hooked or (
            reader.pairs + bound.pairs + bound.colons == text.count(":")
            and ("\\" not in text or "\\u003" not in text)  # no colon written as an escape
        ):
            return doc
    return None  # pragma: no cover - the hooked pass returns


def read_portfolio(path: str | Path, *, max_bytes: int = MAX_BYTES) -> tuple[Account, ...]:
    """Read a portfolio file: ``.yaml``/``.yml`` or ``.json``, of at most *max_bytes* bytes."""
    return read_portfolio_document(path, max_bytes=max_bytes).accounts


def read_portfolio_document(path: str | Path, *, max_bytes: int = MAX_BYTES) -> Portfolio:
    """Read a whole portfolio file (accounts and company), as `read_portfolio` does."""
    return _read_document(path, max_bytes, fast=True)


def _read_document(path: str | Path, max_bytes: int = MAX_BYTES, *, fast: bool) -> Portfolio:
    """Read a portfolio file; *fast* False reads it by the detailed path alone."""
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in (".yaml", ".yml"):
        fmt = "yaml"
    elif suffix == ".json":
        fmt = "json"
    else:
        raise DataError([Problem("", "expected a .yaml, .yml or .json portfolio file")], str(p))
    text = read_text(p, max_bytes)
    return _parse_document(text, fmt, str(p), max_bytes, fast=fast)


def capped(problems: Sequence[Problem], source: str) -> DataError:
    """Return the error for *problems* of *source*, listing at most `MAX_PROBLEMS` of them."""
    if len(problems) <= MAX_PROBLEMS:
        return DataError(problems, source)
    return DataError(problems[:MAX_PROBLEMS], source, len(problems) - MAX_PROBLEMS)


def check_size(text: str, source: str, max_bytes: int) -> None:
    """Refuse *text* of more than *max_bytes* UTF-8 bytes."""
    if len(text) > max_bytes or (  # ASCII text (known at once) has a byte per character
        4 * len(text) > max_bytes and not text.isascii() and len(text.encode()) > max_bytes
    ):
        raise TooLargeError(len(text.encode()), max_bytes, source)


def read_text(path: Path, max_bytes: int) -> str:
    """Read a UTF-8 file of at most *max_bytes* bytes (checked before reading it all)."""
    try:
        with path.open("rb") as f:
            data = _read_at_most(f, max_bytes + 1)
        if len(data) > max_bytes:
            size = max(path.stat().st_size, len(data))
            raise TooLargeError(size, max_bytes, str(path))
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(
            [Problem(f"byte {exc.start}", "the file is not valid UTF-8")], str(path)
        ) from None
    except OSError as exc:
        raise DataError([Problem("", exc.strerror or str(exc))], str(path)) from None


def _read_at_most(f: BinaryIO, limit: int) -> bytes:
    """Return the first *limit* bytes of *f* (all of it, if shorter).

    A buffer of *limit* bytes is never asked for (a generous ``max_bytes`` would not fit in
    memory): the file's size is read first, and a file longer than it said, or of no known
    size (a pipe), is read on in pieces.
    """
    size = os.fstat(f.fileno()).st_size
    data = f.read(min(limit, size + 1)) if size else b""
    if len(data) <= size and size:
        return data  # all of it, as the size said
    pieces = [data]
    left = limit - len(data)
    while left > 0:
        piece = f.read(min(left, 1 << 20))
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


# JSON: duplicate keys are refused (json would keep the last), nesting is bounded as in YAML.

_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class _Duplicates(dict[str, Any]):
    """A JSON object that had a key twice; `duplicates` names those keys."""

    duplicates: list[str]


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):  # no key twice: the common case, at C speed
        return obj
    seen: set[str] = set()
    dups: list[str] = []
    for key, _ in pairs:
        if key in seen:
            dups.append(key)
        seen.add(key)
    marked = _Duplicates(obj)
    marked.duplicates = dups
    _DUPLICATES_SEEN.set(True)
    return marked


#: Whether the document being read had a duplicate key (so that its problems are looked for).
_DUPLICATES_SEEN: contextvars.ContextVar[bool] = contextvars.ContextVar("duplicates", default=False)


def _duplicate_problems(value: Any, path: str = "") -> list[Problem]:
    if isinstance(value, dict):
        out = [
            Problem(Problem(key, "").under(path).path, f"duplicate key {key!r}")
            for key in getattr(value, "duplicates", ())
        ]
        for key, item in value.items():
            out += _duplicate_problems(item, Problem(key, "").under(path).path)
        return out
    if isinstance(value, list):
        return [
            p for i, item in enumerate(value) for p in _duplicate_problems(item, f"{path}[{i}]")
        ]
    return []


_MAX_INT_DIGITS: Final = 100


def _json_int(text: str) -> int:
    if len(text) > _MAX_INT_DIGITS:
        raise ValueError(f"a number of {len(text)} digits is too long for any field")
    return int(text)


# The strings of `_JSON_TOKENS`, written as an unrolled loop (the same strings, matched fast).
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BRACKET_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


def _too_deep(text: str) -> bool:
    """Whether *text* may nest more than `MAX_DEPTH` levels (cheap: C-speed passes only)."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    return max(itertools.accumulate(map(_BRACKET_STEP.__getitem__, brackets)), default=0) > (
        MAX_DEPTH
    )


def _plain_json(text: str, *, hooked: bool) -> Any:
    """Parse *text* as `_load_json` does, but without bounding its depth; None if unusual.

    Without *hooked*, duplicate keys go unnoticed (the caller proves there are none). None (a
    syntax error, a huge integer, a duplicate key, a recursion too deep for the parser) means:
    let `_load_json` parse it and say what is wrong.
    """
    if not hooked:
        try:
            return json.loads(text, parse_float=WrittenNumber, parse_int=_json_int)
        except (ValueError, RecursionError):
            return None
    token = _DUPLICATES_SEEN.set(False)
    try:
        data = json.loads(
            text, parse_float=WrittenNumber, parse_int=_json_int, object_pairs_hook=_pairs
        )
    except (ValueError, RecursionError):
        return None
    finally:
        seen = _DUPLICATES_SEEN.get()
        _DUPLICATES_SEEN.reset(token)
    return None if seen else data


def _load_json(text: str, source: str) -> Any:
    depth = 0
    # The exact scan below says where the document is too deep; most documents are not.
    scan = _JSON_TOKENS.finditer(text) if _too_deep(text) else iter(())
    for m in scan:
        lexeme = m.group()
        if lexeme in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                line = text.count("\n", 0, m.start()) + 1
                column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
                message = f"the document is nested more than {MAX_DEPTH} levels deep"
                raise DataError([Problem(f"line {line}, column {column}", message)], source)
        elif lexeme in "]}":
            depth -= 1
    token = _DUPLICATES_SEEN.set(False)
    try:
        data = json.loads(
            text, parse_float=WrittenNumber, parse_int=_json_int, object_pairs_hook=_pairs
        )
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise DataError([Problem(where, exc.msg)], source) from None
    except ValueError as exc:  # _json_int's
        raise DataError([Problem("", str(exc))], source) from None
    finally:
        seen = _DUPLICATES_SEEN.get()
        _DUPLICATES_SEEN.reset(token)
    dups = _duplicate_problems(data) if seen else []
    if dups:
        raise DataError(dups, source)
    return data


def dump_portfolio(
    accounts: Iterable[Account],
    *,
    format: str = "yaml",
    currency: str | None = None,
    company: Company | None = None,
) -> str:
    """Write *accounts* (and *company*) as a portfolio document in *format* (yaml or json)."""
    if format not in ("json", "yaml"):
        raise DataError.at("format", f"unknown portfolio format {format!r}: expected yaml or json")
    doc = portfolio_to_dict(accounts, currency=currency, company=company)
    if format == "json":
        return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    return yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _space(text: str, pos: int) -> int:
    """Return where the JSON white space at *pos* of *text* ends."""
    found = _JSON_SPACE.match(text, pos)
    return found.end() if found else pos


def _stream_json(text: str) -> Portfolio | None:
    """Return the portfolio of a JSON *text* read one account at a time; None if unusual.

    `json.loads` of the whole text holds every account's parsed data at once (for a portfolio of
    100,000 accounts, several times the text); here the top-level object is walked and each
    account of ``accounts`` is decoded, read by the fast path and let go before the next. What
    `_fast_json` proves is proven per account: its depth by its shape; no key twice by
    counting (as many pairs read as colons in its text, else it is decoded again with the
    duplicate-finding hook). The parts around the accounts are decoded with the hook and
    checked as `_document_from_dict` checks them.

    None (anything but the plain well-formed case: an account the fast path gives up, a
    syntax error, ``currency`` after ``accounts``, a key twice, an account id twice) means:
    read the text the other ways, which say what is wrong.
    """
    decode = _STREAM_DECODER.raw_decode
    reader = FastReader()
    top: dict[str, Any] = {}
    accounts: list[Account] = []
    ids: set[str] = set()
    try:
        pos = _space(text, 0)
        if text[pos : pos + 1] != "{":
            return None
        pos = _space(text, pos + 1)
        while text[pos : pos + 1] == '"':
            key, pos = decode(text, pos)
            pos = _space(text, pos)
            if key in top or text[pos : pos + 1] != ":":
                return None
            pos = _space(text, pos + 1)
            if key == "accounts":
                top[key] = []
                currency = top.get("currency")
                if not isinstance(currency, str | None) or text[pos : pos + 1] != "[":
                    return None
                pos = _space(text, pos + 1)
                chunk = _Chunk(text, reader, currency)
                while text[pos : pos + 1] != "]":
                    start = pos
                    item, pos = decode(text, pos)
                    chunk.add(item, start, pos)
                    pos = _space(text, pos)
                    if text[pos : pos + 1] == ",":
                        pos = _space(text, pos + 1)
                        if text[pos : pos + 1] == "]":
                            return None  # a trailing comma: not JSON
                    elif text[pos : pos + 1] != "]":
                        return None
                    if len(chunk.items) >= reader.chunk and not chunk.read(ids, accounts):
                        return None
                if not chunk.read(ids, accounts):
                    return None
                pos += 1
            else:
                if key == "currency" and "accounts" in top:
                    return None  # the accounts were read without it
                _, end = decode(text, pos)
                value = _plain_json(text[pos:end], hooked=True)
                if value is None:
                    return None
                top[key], pos = value, end
            pos = _space(text, pos)
            if text[pos : pos + 1] == ",":
                pos = _space(text, pos + 1)
                if text[pos : pos + 1] != '"':
                    return None
            elif text[pos : pos + 1] != "}":
                return None
        if text[pos : pos + 1] != "}" or _space(text, pos + 1) != len(text):
            return None
    except (ValueError, RecursionError):  # not JSON, or too deep for the decoder
        return None
    if "accounts" not in top:
        return None
    try:
        head = _document_from_dict({**top, "accounts": []}, reader, _Bound())
    except (_TooDeepError, DataError):
        return None
    return Portfolio(tuple(accounts), head.company)


class _Chunk:
    """Accounts of a JSON text decoded one by one, to be read together (by `_stream_json`)."""

    def __init__(self, text: str, reader: FastReader, currency: str | None) -> None:
        self.text, self.reader, self.currency = text, reader, currency
        self.items: list[Any] = []
        self.spans: list[tuple[int, int]] = []  # where each item is written in the text

    def add(self, item: Any, start: int, end: int) -> None:
        """Add the account *item*, written from *start* to *end* in the text."""
        self.items.append(item)
        self.spans.append((start, end))

    def read(self, ids: set[str], accounts: list[Account]) -> bool:
        """Read the accounts added, onto *accounts*; False if any is not plain (or its id seen).

        Their colons are counted as `_fast_json` counts them: as many as the pairs read
        (only spaces and commas lie between them), else each account is read again with its
        own count, and decoded again with the hook that finds duplicate keys.
        """
        if not self.items:
            return True
        text, reader, spans = self.text, self.reader, self.spans
        before = reader.pairs
        built = reader.batch(self.items, self.currency)
        if built is None or text.count(":", spans[0][0], spans[-1][1]) != reader.pairs - before:
            built = []
            for item, (start, end) in zip(self.items, spans, strict=True):
                before = reader.pairs
                acct = reader.account(item, self.currency)
                if acct is None:
                    return False
                if text.count(":", start, end) != reader.pairs - before and (
                    _plain_json(text[start:end], hooked=True) is None
                ):
                    return False  # a key twice (or not JSON the hook accepts)
                built.append(acct)
        for acct in built:
            if acct.id in ids:
                return False
            ids.add(acct.id)
        accounts += built
        self.items, self.spans = [], []
        return True


_STREAM_DECODER: Final = json.JSONDecoder(parse_float=WrittenNumber, parse_int=_json_int)
