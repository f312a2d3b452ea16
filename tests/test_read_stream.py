"""Large JSON portfolios are read one account at a time, to the same records.

`documents._stream_json` walks the top-level object and decodes, reads and lets go of one
account at a time; it answers only for the plain well-formed case (None otherwise, and the
whole-text readers then say what is wrong). These tests hold it to the detailed path: the same
records whenever it answers, never a wrong answer, and None for every unusual shape.
"""

from __future__ import annotations

import copy
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given, settings

from arcollect import Account, dump_portfolio
from arcollect.convert import documents
from arcollect.convert.fast import CHUNK
from test_read_fast import MUTATIONS, RICH, _portfolios, both_ways, outcome, strict


def detailed(text: str) -> Any:
    """The outcome of the detailed path alone on a JSON *text*."""
    return outcome(lambda: documents._parse_document(text, "json", "p", 1 << 30, fast=False))


class TestAgreement:
    @given(_portfolios())
    @settings(max_examples=60, deadline=None)
    def test_generated_portfolios_read_the_same(self, accts: list[Account]) -> None:
        """Generated portfolios stream to strictly the records the detailed path builds."""
        text = dump_portfolio(accts, format="json", currency="EUR")
        streamed = documents._stream_json(text)
        assert streamed is not None
        assert ("ok", strict(streamed)) == detailed(text)

    def test_the_rich_document_streams(self) -> None:
        """The document that sets every field streams, indented or written on one line."""
        for text in (json.dumps(RICH, indent=2), json.dumps(RICH, separators=(",", ":"))):
            streamed = documents._stream_json(text)
            assert streamed is not None
            assert ("ok", strict(streamed)) == detailed(text)

    def test_mutations_stream_right_or_not_at_all(self) -> None:
        """Each of the thousands of one-field mutations streams to the detailed outcome, or
        is left to the other readers (None); no mutation makes it raise or answer wrong.
        """
        answered = 0
        for name, doc in MUTATIONS:
            text = json.dumps(doc)
            streamed = documents._stream_json(text)
            if streamed is not None:
                answered += 1
                assert ("ok", strict(streamed)) == detailed(text), name
        assert 0 < answered < len(MUTATIONS)


SIMPLE = {
    "currency": "EUR",
    "accounts": [
        {
            "id": "C-1",
            "invoices": [
                {
                    "number": "I-1",
                    "issued": "2026-09-01",
                    "due": "2026-10-01",
                    "amount": "100.00 EUR",
                }
            ],
        },
        {"id": "C-2", "name": "Open 9:00-17:30 Ltd"},
    ],
}


def _text(**change: Any) -> str:
    return json.dumps({**SIMPLE, **change})


class TestUnusual:
    def test_a_colon_in_free_text_is_read(self) -> None:
        """A colon inside a string is not taken for a key twice."""
        streamed = documents._stream_json(_text())
        assert streamed is not None
        assert [a.id for a in streamed.accounts] == ["C-1", "C-2"]

    @pytest.mark.parametrize(
        ("name", "text"),
        [
            (
                "a key twice in an account",
                _text().replace('"id": "C-2"', '"id": "C-2", "id": "C-3"'),
            ),
            ("a top-level key twice", _text()[:-1] + ', "currency": "EUR"}'),
            (
                "currency after accounts",
                json.dumps({"accounts": SIMPLE["accounts"], "currency": "EUR"}),
            ),
            ("an account id twice", _text(accounts=[SIMPLE["accounts"][1], SIMPLE["accounts"][1]])),
            ("a trailing comma", _text().replace("}]}", "},]}")),
            ("text after the document", _text() + " x"),
            ("not an object", json.dumps([SIMPLE])),
            ("no accounts", json.dumps({"currency": "EUR"})),
            ("an unknown top-level key", _text(colour="red")),
            ("an account the fast path gives up", _text(accounts=[{"id": "C-1", "colour": 1}])),
            ("a syntax error", _text()[:-2]),
            (
                "a key twice in the company",
                _text()[:-1] + ', "company": {"name": "A", "name": "B"}}',
            ),
        ],
    )
    def test_unusual_documents_are_left_to_the_other_readers(self, name: str, text: str) -> None:
        """Anything but the plain well-formed case gives None: the whole-text readers say
        what is wrong, with the same messages as ever.
        """
        assert documents._stream_json(text) is None, name


SIMPLE_INVOICES: list[dict[str, str]] = [
    {"number": "I-1", "issued": "2026-09-01", "due": "2026-10-01", "amount": "100.00 EUR"}
]


def _many(**changes: Any) -> list[dict[str, Any]]:
    """Return 2 * CHUNK + 3 plain accounts; *changes* maps an index to what its account adds."""
    out: list[dict[str, Any]] = [
        {
            "id": f"C-{i}",
            "name": f"Customer {i}",
            "invoices": copy.deepcopy(SIMPLE_INVOICES),
        }
        for i in range(2 * CHUNK + 3)
    ]
    for where, change in changes.items():
        out[int(where.removeprefix("at_"))].update(change)
    return out


class TestChunks:
    def test_accounts_past_the_first_chunk_stream(self) -> None:
        """Accounts read in chunks stream to the detailed path's records, a colon in the free
        text of an account of the second chunk included.
        """
        text = _text(accounts=_many(**{f"at_{CHUNK + 2}": {"name": "Open 9:00-17:30"}}))
        streamed = documents._stream_json(text)
        assert streamed is not None
        assert ("ok", strict(streamed)) == detailed(text)
        assert len(streamed.accounts) == 2 * CHUNK + 3

    @pytest.mark.parametrize(
        ("name", "change"),
        [
            ("a key twice", {"name": "x"}),
            ("an account the fast path gives up", {"colour": "red"}),
        ],
    )
    def test_a_bad_account_in_a_later_chunk(self, name: str, change: dict[str, Any]) -> None:
        """An unusual account of the last chunk leaves the whole text to the other readers."""
        text = _text(accounts=_many(**{f"at_{2 * CHUNK + 1}": change}))
        if name == "a key twice":
            text = text.replace('"name": "x"', '"name": "x", "name": "y"')
        assert documents._stream_json(text) is None, name

    def test_an_id_seen_in_an_earlier_chunk(self) -> None:
        """An account id of the first chunk again in the last is left to the other readers."""
        text = _text(accounts=_many(**{f"at_{2 * CHUNK + 2}": {"id": "C-1"}}))
        assert documents._stream_json(text) is None


class TestTheReader:
    def test_every_mutation_reads_as_before_when_streamed(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """With streaming from the first character, each mutation reads exactly as by the
        detailed path: the same records, or the same error, message and problems.
        """
        monkeypatch.setattr(documents, "STREAM_FROM", 0)
        for name, doc in MUTATIONS:
            fast, slow = both_ways(json.dumps(doc), "json")
            assert fast == slow, name

    def test_only_large_texts_are_streamed(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Below `STREAM_FROM` characters the whole text is parsed at once."""
        calls: list[int] = []
        real = documents._stream_json

        def spy(text: str) -> Any:
            calls.append(len(text))
            return real(text)

        monkeypatch.setattr(documents, "_stream_json", spy)
        text = _text()
        documents.parse_portfolio_document(text, format="json")
        assert calls == []
        monkeypatch.setattr(documents, "STREAM_FROM", len(text))
        documents.parse_portfolio_document(text, format="json")
        assert calls == [len(text)]


class TestMemory:
    def test_streaming_holds_less_than_parsing_the_whole_text(self) -> None:
        """Streaming 2,000 accounts allocates at most 60 % of what reading them from the
        whole parsed text does (the accounts' parsed data is let go one account at a time;
        what stays is the records).
        """
        accts = [
            Account(f"C-{i:05d}", "EUR", invoices=RICH_INVOICES, name="A customer with a name")
            for i in range(2000)
        ]
        text = dump_portfolio(accts, format="json")

        def peak(read: Any) -> int:
            tracemalloc.start()
            try:
                read(text)
                return tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()

        assert documents._stream_json(text) is not None
        assert peak(documents._stream_json) < 0.6 * peak(documents._fast_json)


RICH_INVOICES = tuple(
    documents.portfolio_document_from_dict(
        {
            "accounts": [
                {
                    "id": "X",
                    "currency": "EUR",
                    "invoices": [
                        {
                            "number": f"INV-{k}",
                            "issued": "2026-09-01",
                            "due": "2026-10-01",
                            "amount": "1200.00 EUR",
                            "po_number": f"PO-{k}",
                        }
                        for k in range(10)
                    ],
                }
            ]
        }
    )
    .accounts[0]
    .invoices
)
