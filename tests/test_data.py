"""The example data shipped in `arcollect.data`: the USD policy and the IBM sample."""

from __future__ import annotations

from pathlib import Path

from arcollect.data import demo_policy_text, ibm_csv_text
from arcollect.policy import parse_policy

ROOT = Path(__file__).parent.parent


class TestDemoData:
    def test_demo_policy_is_the_standard_policy_in_dollars(self) -> None:
        """The bundled USD policy says what rules/standard.arc says, in USD."""
        standard = (ROOT / "rules" / "standard.arc").read_text(encoding="utf-8")
        expected = standard.replace(" EUR", " USD").replace(
            'policy "Standard B2B" version 3', 'policy "Standard B2B (USD)" version 3'
        )
        text = demo_policy_text()
        assert text.split("\n", 2)[2] == expected
        assert parse_policy(text, name="usd.arc").checked.currency == "USD"

    def test_demo_data_is_the_shared_data_set(self) -> None:
        """The bundled CSV is a faithful copy of ../shared/data."""
        shared = ROOT.parent / "shared" / "data" / "ibm-accounts-receivable.csv"
        assert ibm_csv_text() == shared.read_text(encoding="utf-8")
