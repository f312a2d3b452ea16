"""The walk-through, docs/walkthrough.md, run as a notebook: every block in order, one session.

Each ```python block runs after the ones before it, in one namespace, in an empty directory.
A ```text block right under a code block is what the code must print, exactly; a code block
with none must print nothing.
"""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOC = ROOT / "docs" / "walkthrough.md"
BLOCK = re.compile(
    r"^```python\n(?P<code>.*?)^```\n(?:\s*^```text\n(?P<out>.*?)^```\n)?",
    re.MULTILINE | re.DOTALL,
)


def blocks(text: str) -> list[tuple[int, str, str]]:
    """Return each code block of *text* as (its line, its code, the output it must print)."""
    return [
        (text.count("\n", 0, m.start()) + 1, m.group("code"), m.group("out") or "")
        for m in BLOCK.finditer(text)
    ]


def run(text: str) -> list[tuple[int, str, str]]:
    """Run the blocks of *text* in one namespace; return (line, expected, printed) for each."""
    namespace: dict[str, object] = {"__name__": "walkthrough"}
    results = []
    for line, code, expected in blocks(text):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code, f"{DOC.name}:{line}", "exec"), namespace)  # noqa: S102 - the doc's own code
        results.append((line, expected, out.getvalue()))
    return results


class TestWalkthrough:
    def test_every_block_prints_what_the_page_shows(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Run in order in one session, each block prints exactly the text shown under it."""
        pytest.importorskip("pandas")  # both in the dev extra: CI always has them
        pytest.importorskip("matplotlib")
        monkeypatch.chdir(tmp_path)
        results = run(DOC.read_text(encoding="utf-8"))
        assert [(line, printed) for line, _, printed in results] == [
            (line, expected) for line, expected, _ in results
        ]
        for chart in ("aging.png", "trend.png", "worklist.png"):
            assert (tmp_path / chart).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        page = (tmp_path / "report.html").read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>")
        assert "<title>Collections report: Standard B2B (USD), 2012-03-16</title>" in page

    def test_covers_the_session(self) -> None:
        """The page has its code blocks, and they call each step of the analyst's session."""
        text = DOC.read_text(encoding="utf-8")
        code = "".join(c for _, c, _ in blocks(text))
        assert len(blocks(text)) >= 12
        assert text.count("```python") == len(blocks(text))  # no block the pattern missed
        for call in (
            "policy.plan(", "arcollect.worklist(", "plan.explain(", "render_documents(",
            "kpi.report(", ".aging", "to_pandas()", "savefig(", "html_report(",
        ):  # fmt: skip
            assert call in code

    def test_a_wrong_output_is_caught(self) -> None:
        """A block whose shown output differs from what it prints is reported with its line."""
        text = "x\n```python\nprint(1 + 1)\n```\n\n```text\n3\n```\n```python\nprint('a')\n```\n"
        assert run(text) == [(2, "3\n", "2\n"), (9, "", "a\n")]

    def test_linked_from_the_readme(self) -> None:
        """README.md's docs list links the walk-through."""
        assert "(docs/walkthrough.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
