"""The command line: the only part of arcollect that reads files and prints."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from arcollect import __version__
from arcollect.convert import read_ibm_csv, read_portfolio
from arcollect.errors import ArcollectError, PolicyError
from arcollect.lang.policy import load_policy

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arcollect",
        description="A collections-policy engine for B2B accounts receivable.",
    )
    parser.add_argument("--version", action="version", version=f"arcollect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    check = sub.add_parser(
        "check", help="parse and check rule files (.arc, .yaml); print every error found"
    )
    check.add_argument("files", nargs="+", metavar="FILE")
    validate = sub.add_parser(
        "validate",
        help="read portfolio files (.yaml, .json, or IBM-shape .csv) and report problems",
    )
    validate.add_argument("files", nargs="+", metavar="FILE")
    return parser


def _validate(files: Sequence[str]) -> int:
    status = EXIT_OK
    for name in files:
        try:
            accounts = read_ibm_csv(name) if name.lower().endswith(".csv") else read_portfolio(name)
        except ArcollectError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_ERRORS
        else:
            invoices = sum(len(a.invoices) for a in accounts)
            print(f"{name}: {len(accounts)} accounts, {invoices} invoices")
    return status


def _check(files: Sequence[str]) -> int:
    status = EXIT_OK
    for name in files:
        try:
            policy = load_policy(name)
        except PolicyError as exc:
            print(exc.render(), file=sys.stderr)
            status = EXIT_ERRORS
        else:
            for warning in policy.warnings:
                print(warning.render(policy.checked.source), file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args.files)
    if args.command == "validate":
        return _validate(args.files)
    parser.print_help(sys.stderr)
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
