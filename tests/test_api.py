from __future__ import annotations

import inspect

import arcollect


def test_all_is_sorted_and_complete() -> None:
    """`__all__` is sorted, and names exactly the public names the package defines."""
    assert list(arcollect.__all__) == sorted(arcollect.__all__)
    public = {
        name
        for name, value in vars(arcollect).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(arcollect.__all__) == public | {"__version__"}


def test_design_surface() -> None:
    """The names DESIGN.md promises are importable from the package."""
    for name in ("load_policy", "parse_policy", "read_portfolio", "read_ibm_csv", "facts", "Plan"):
        assert name in arcollect.__all__


def test_correspondence_surface() -> None:
    """The worklist, call sheet and call summary functions are exported from the package."""
    for name in (
        "worklist",
        "Worklist",
        "WorkItem",
        "PlanFailure",
        "call_sheet",
        "call_sheets",
        "CallOutcome",
        "CallSummary",
        "summarize",
        "html_report",
    ):
        assert name in arcollect.__all__


def test_every_export_is_documented() -> None:
    """Every exported class and function has a docstring."""
    for name in arcollect.__all__:
        obj = getattr(arcollect, name)
        if callable(obj):
            assert obj.__doc__, name


def test_errors_share_one_root_and_resemble_builtins() -> None:
    """Every error class derives from ArcollectError and the builtin it resembles."""
    assert issubclass(arcollect.DataError, ValueError)
    assert issubclass(arcollect.PolicyError, ValueError)
    assert issubclass(arcollect.CurrencyMismatchError, TypeError)
    assert issubclass(arcollect.InexactAmountError, TypeError)
    for name in arcollect.__all__:
        obj = getattr(arcollect, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, arcollect.ArcollectError), name
