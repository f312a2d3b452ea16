"""Example data shipped with arcollect: the IBM accounts-receivable sample and a USD policy."""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Final

__all__ = ["DEMO_AS_OF", "demo_policy_text", "ibm_csv_text"]

#: The date `arcollect demo` plans for: a Friday with a varied worklist in the sample.
DEMO_AS_OF: Final = date(2012, 3, 16)


def demo_policy_text() -> str:
    """Return the text of the bundled USD version of the standard policy."""
    return resources.files(__name__).joinpath("standard-usd.arc").read_text(encoding="utf-8")


def ibm_csv_text() -> str:
    """Return the bundled copy of the IBM accounts-receivable sample (CSV)."""
    return (
        resources.files(__name__)
        .joinpath("ibm-accounts-receivable.csv")
        .read_text(encoding="utf-8")
    )
