"""The example data shipped in `arcollect.data`: the USD policy and the IBM sample."""

from __future__ import annotations

from pathlib import Path

from arcollect.data import demo_policy_text
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

    def test_demo_data_is_the_recorded_data_set(self) -> None:
        """The bundled CSV has the SHA-256 recorded in tests/data for the published sample."""
        import hashlib  # noqa: PLC0415
        from importlib import resources  # noqa: PLC0415

        bundled = resources.files("arcollect.data").joinpath("ibm-accounts-receivable.csv")
        assert _recorded_sha256() == hashlib.sha256(bundled.read_bytes()).hexdigest()

    def test_recorded_data_set_is_the_shared_one(self) -> None:
        """Where ../shared/data is beside the checkout, it has the recorded SHA-256 too."""
        import hashlib  # noqa: PLC0415

        import pytest  # noqa: PLC0415

        shared = ROOT.parent / "shared" / "data" / "ibm-accounts-receivable.csv"
        if not shared.exists():  # the always-running test above checks the bundled copy
            pytest.skip("no ../shared/data beside the checkout to compare the record with")
        assert _recorded_sha256() == hashlib.sha256(shared.read_bytes()).hexdigest()


def _recorded_sha256() -> str:
    """The SHA-256 recorded for the IBM sample (``sha256sum`` format) in tests/data."""
    record = ROOT / "tests" / "data" / "ibm-accounts-receivable.csv.sha256"
    digest, name = record.read_text(encoding="utf-8").split()
    assert name == "ibm-accounts-receivable.csv"
    return digest
