"""The command line: the only part of arcollect that reads files and prints.

Exit codes: 0 when all is well, 1 for errors in policies or data (printed with their
locations) or failing policy tests, 2 for usage errors.
"""

from __future__ import annotations

import argparse
import csv
import decimal
import io
import json
import os
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path
from types import ModuleType

from babel.dates import format_date

from arcollect import __version__, kpi
from arcollect._suggest import did_you_mean
from arcollect._table_names import TABLE_NAMES
from arcollect.charges import RateTable, parse_rates
from arcollect.convert import parse_ibm_csv, read_ibm_csv, read_portfolio
from arcollect.convert.documents import read_text
from arcollect.data import DEMO_AS_OF, demo_policy_text, ibm_csv_text
from arcollect.domain.account import Account
from arcollect.domain.actions import PlanChannel
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.model import Plan, PlannedAction
from arcollect.errors import ArcollectError, PolicyError, TooLargeError
from arcollect.expect import run_expects
from arcollect.facts import facts
from arcollect.lang.formatter import format_policy
from arcollect.lang.yaml_writer import to_yaml, without_layout
from arcollect.policy import Policy, load_policy, parse_policy
from arcollect.simulate import backtest

__all__ = ["main"]

EXIT_OK = 0
EXIT_ERRORS = 1
EXIT_USAGE = 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD, got {text!r}") from None


#: The largest portfolio file the command line reads unless ``--max-bytes`` says otherwise.
#: Larger than the library's default (`arcollect.convert.MAX_BYTES`, 16 MiB): these are files
#: the user names on their own machine.
CLI_MAX_BYTES = 1 << 30

_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}


def _size(text: str) -> int:
    """Parse a size: bytes, or a number with K, M or G (binary: ``64M`` is 64 MiB)."""
    number, unit = text[:-1], text[-1:].lower()
    if unit not in _UNITS or unit == "":
        number, unit = text, ""
    if not number.isdigit() or int(number) == 0:
        raise argparse.ArgumentTypeError(f"expected a size such as 500M or 2G, got {text!r}")
    return int(number) * _UNITS[unit]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arcollect",
        description="A collections-policy engine for B2B accounts receivable.",
    )
    parser.add_argument("--version", action="version", version=f"arcollect {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sized = argparse.ArgumentParser(add_help=False)
    rated = argparse.ArgumentParser(add_help=False)
    rated.add_argument(
        "--rates",
        metavar="FILE",
        help="rate tables (YAML, or CSV) that the policy's charges need",
    )
    sized.add_argument(
        "--max-bytes",
        type=_size,
        default=CLI_MAX_BYTES,
        metavar="SIZE",
        help="read portfolio files up to SIZE (such as 500M or 4G; default 1G)",
    )

    p = sub.add_parser("check", help="parse and check rule files; print every error found")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--templates", metavar="DIR", default=None, help="also check the letter templates"
    )

    p = sub.add_parser("fmt", help="print rule files in canonical form")
    p.add_argument("files", nargs="+", metavar="FILE")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="exit 1 if a file is not canonical")
    mode.add_argument(
        "--write", action="store_true", help="rewrite files in place (comments are kept)"
    )

    p = sub.add_parser("convert", help="write a .arc policy as a YAML rule file, or back")
    p.add_argument("file", metavar="FILE", help="a rule file (.arc, .yaml)")
    p.add_argument("--to", choices=("yaml", "arc"), required=True, help="the form to write")
    p.add_argument("-o", "--output", metavar="OUT", help="write to OUT (default: print)")

    p = sub.add_parser("test", help="run the expect blocks of rule files")
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--rates",
        metavar="FILE",
        help="rate tables (YAML, or CSV) that the policies' charges need",
    )

    for name, text in (
        ("plan", "print the worklist: the actions due on a date, in order"),
        ("explain", "explain where one account stands and why"),
    ):
        p = sub.add_parser(name, help=text, parents=[sized, rated])
        p.add_argument("policy", metavar="POLICY", help="a rule file (.arc, .yaml)")
        p.add_argument(
            "portfolio",
            metavar="PORTFOLIO",
            help="accounts: .yaml, .json, IBM-shape .csv, or (plan) a directory of tables",
        )
        if name == "explain":
            p.add_argument("account", metavar="ACCOUNT", help="the account id")
        p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD")
        p.add_argument(
            "--currency", default=None, help="a CSV's currency (default: the policy's, else USD)"
        )
        if name == "plan":
            p.add_argument("--format", choices=("table", "json", "csv"), default="table")
            p.add_argument("--collector", metavar="NAME", help="only this collector's accounts")
            p.add_argument(
                "--channel", choices=[str(c) for c in PlanChannel], help="only this channel"
            )
            p.add_argument("--tier", metavar="TIER", help="only the actions of this tier")

    p = sub.add_parser(
        "report", help="write one static HTML page: KPIs, worklist, letters", parents=[sized, rated]
    )
    p.add_argument("policy", metavar="POLICY", help="a rule file (.arc, .yaml)")
    p.add_argument(
        "portfolio", metavar="PORTFOLIO", help="accounts: .yaml, .json, or IBM-shape .csv"
    )
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--out", metavar="FILE", required=True, help="the HTML file to write")
    p.add_argument("--period", type=int, default=90, metavar="DAYS", help="days (default: 90)")
    p.add_argument(
        "--currency", default=None, help="a CSV's currency (default: the policy's, else USD)"
    )

    p = sub.add_parser(
        "letters", help="render the e-mails, letters and SMS of a plan", parents=[sized, rated]
    )
    p.add_argument("policy", metavar="POLICY", help="a rule file (.arc, .yaml)")
    p.add_argument("portfolio", metavar="PORTFOLIO", help="accounts: .yaml or .json")
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--templates", metavar="DIR", default=None, help="user templates first")
    p.add_argument("--out", metavar="DIR", default=None, help="write files here (default: print)")

    p = sub.add_parser(
        "callsheet",
        help="print the call sheet and voicemail script of an account",
        parents=[sized, rated],
    )
    p.add_argument("policy", metavar="POLICY", help="a rule file (.arc, .yaml)")
    p.add_argument("portfolio", metavar="PORTFOLIO", help="accounts: .yaml or .json")
    p.add_argument("account", metavar="ACCOUNT", help="the account id")
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--templates", metavar="DIR", default=None, help="user templates first")

    sub.add_parser("demo", help="plan the bundled policy on the bundled IBM sample")

    p = sub.add_parser(
        "backtest",
        help="replay a portfolio's history day by day under a policy",
        parents=[sized, rated],
    )
    p.add_argument("policy", metavar="POLICY", help="a rule file (.arc, .yaml)")
    p.add_argument(
        "csv", metavar="PORTFOLIO", help="accounts with history: .yaml, .json, or IBM-shape .csv"
    )
    p.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE")
    p.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE")
    p.add_argument(
        "--currency", help="the CSV's currency (default: the policy's, else USD)", default=None
    )

    p = sub.add_parser(
        "kpi", help="DSO, CEI, average days delinquent and aging of a portfolio", parents=[sized]
    )
    p.add_argument(
        "portfolio", metavar="PORTFOLIO", help="accounts: .yaml, .json, or IBM-shape .csv"
    )
    p.add_argument("--as-of", type=_date, required=True, metavar="DATE", help="YYYY-MM-DD")
    p.add_argument("--period", type=int, default=90, metavar="DAYS", help="days (default: 90)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--policy", metavar="POLICY", help="a rule file whose segments --by uses")
    p.add_argument(
        "--by",
        choices=("segment", "collector"),
        help="also report each segment of --policy, or each account's collector",
    )
    p.add_argument("--currency", default=None, help="a CSV's currency (default: USD)")

    p = sub.add_parser(
        "diff", help="what changes if policy B replaces policy A, on a portfolio", parents=[sized]
    )
    p.add_argument("a", metavar="POLICY_A", help="the current rule file (.arc, .yaml)")
    p.add_argument("b", metavar="POLICY_B", help="the rule file to compare with it")
    p.add_argument(
        "portfolio", metavar="PORTFOLIO", help="accounts: .yaml, .json, or IBM-shape .csv"
    )
    when = p.add_mutually_exclusive_group(required=True)
    when.add_argument("--as-of", type=_date, metavar="DATE", help="compare the plans of a day")
    when.add_argument("--from", dest="start", type=_date, metavar="DATE", help="first day")
    p.add_argument("--to", dest="end", type=_date, metavar="DATE", help="last day (with --from)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument(
        "--currency", default=None, help="a CSV's currency (default: policy A's, else USD)"
    )

    for name, text in (
        ("simulate", "simulate a policy's effect on cash under a behaviour model"),
        ("compare", "simulate two policies with the same customers and compare them"),
    ):
        p = sub.add_parser(name, help=text, parents=[sized])
        p.add_argument("policy", metavar="POLICY" if name == "simulate" else "POLICY_A")
        if name == "compare":
            p.add_argument("policy_b", metavar="POLICY_B")
        p.add_argument(
            "portfolio", metavar="PORTFOLIO", help="accounts: .yaml, .json, or IBM-shape .csv"
        )
        p.add_argument("--from", dest="start", type=_date, required=True, metavar="DATE")
        p.add_argument("--to", dest="end", type=_date, required=True, metavar="DATE")
        p.add_argument("--runs", type=int, default=10, metavar="N", help="runs (default: 10)")
        p.add_argument("--seed", type=int, default=0, metavar="S", help="seed (default: 0)")
        p.add_argument(
            "--model",
            metavar="FILE",
            help="a YAML behaviour model (default: fitted on the portfolio before --from)",
        )
        p.add_argument("--format", choices=("table", "json"), default="table")
        p.add_argument("--currency", default=None, help="a CSV's currency (default: USD)")

    p = sub.add_parser(
        "validate", help="read portfolio files and report their problems", parents=[sized]
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--policy",
        metavar="POLICY",
        help="also report contact roles, steps and timelines this rule file does not know",
    )
    return parser


# --------------------------------------------------------------------------------------------


def _print_error(exc: ArcollectError) -> None:
    if isinstance(exc, TooLargeError):  # the readers' hint speaks to Python callers
        exc = exc.hinted("pass a larger --max-bytes")
    text = exc.render() if isinstance(exc, PolicyError) else str(exc)
    print(text, file=sys.stderr)


def _each(files: Sequence[str], fn: Callable[[str], int]) -> int:
    status = EXIT_OK
    for name in files:
        try:
            status = max(status, fn(name))
        except ArcollectError as exc:
            _print_error(exc)
            status = EXIT_ERRORS
    return status


def _check(name: str) -> int:
    policy = load_policy(name)
    for warning in policy.warnings:
        print(warning.render(policy.checked.source), file=sys.stderr)
    return EXIT_OK


def _fmt(check: bool, write: bool) -> Callable[[str], int]:
    def run(name: str) -> int:
        if not name.endswith(".arc"):
            print(f"{name}: only .arc rule files are formatted", file=sys.stderr)
            return EXIT_ERRORS
        policy = load_policy(name)
        source = policy.checked.source
        text = format_policy(policy.tree)
        if check:
            if text != source:
                print(f"{name}: not in canonical form", file=sys.stderr)
                return EXIT_ERRORS
            return EXIT_OK
        if write:
            if text != source:
                Path(name).write_text(text, encoding="utf-8")
                print(f"reformatted {name}")
            return EXIT_OK
        sys.stdout.write(text)
        return EXIT_OK

    return run


def _convert(name: str, to: str, output: str | None) -> int:
    tree = load_policy(name).tree
    if to == "yaml":
        text = to_yaml(tree, source_name=name)
    else:  # a tree read from YAML has spans in the YAML file: lay it out afresh
        text = format_policy(tree if name.endswith(".arc") else without_layout(tree))
    if output is None:
        sys.stdout.write(text)
    else:
        Path(output).write_text(text, encoding="utf-8")
    return EXIT_OK


def _tester(rates_file: str | None) -> Callable[[str], int]:
    rates = _rates(rates_file)
    return lambda name: _test(name, rates)


def _test(name: str, rates: dict[str, RateTable] | None = None) -> int:
    policy = load_policy(name)
    report = run_expects(policy, rates=rates)
    print(name)
    for case in report.cases:
        print(f"  {'PASS' if case.passed else 'FAIL'}  {case.name}")
        for failure in case.failures:
            print(f"        {failure}")
    passed = sum(c.passed for c in report.cases)
    print(f"{passed} passed, {len(report.cases) - passed} failed")
    if report.untested_steps:
        print(f"not exercised by any case: steps {', '.join(report.untested_steps)}")
    if report.untested_channel_rules:
        rules = "; ".join(report.untested_channel_rules)
        print(f"not exercised by any case: channel rules {rules}")
    if report.untested_assign_rules:
        rules = "; ".join(report.untested_assign_rules)
        print(f"not exercised by any case: {rules}")
    return EXIT_OK if report.passed else EXIT_ERRORS


def _accounts(
    name: str, currency: str | None = None, max_bytes: int = CLI_MAX_BYTES
) -> tuple[Account, ...]:
    """Read a portfolio file; an IBM-shape CSV (no currency of its own) in *currency*."""
    if name.lower().endswith(".csv"):
        return read_ibm_csv(name, currency=currency or "USD", max_bytes=max_bytes)
    return read_portfolio(name, max_bytes=max_bytes)


_TABLE_NAMES = frozenset(TABLE_NAMES)


def _is_tables(name: str) -> bool:
    """Whether *name* is a set of tables: a directory, a .parquet file, or NAME.csv of a table."""
    path = Path(name)
    suffix = path.suffix.lower()
    return (
        path.is_dir()
        or suffix == ".parquet"
        or (suffix == ".csv" and path.stem.lower() in _TABLE_NAMES)
    )


def _frame() -> ModuleType:
    """Import `arcollect.frame`; without polars it raises an `ArcollectError` saying so."""
    import arcollect.frame  # noqa: PLC0415 - optional: needs polars

    return arcollect.frame


def _csv_currency(policy: Policy, given: str | None) -> str | None:
    return given or policy.checked.currency


def _validate(policy_name: str | None, max_bytes: int) -> Callable[[str], int]:
    policy = None if policy_name is None else load_policy(policy_name)

    def run(name: str) -> int:
        accounts = _accounts(name, policy.checked.currency if policy else None, max_bytes)
        invoices = sum(len(a.invoices) for a in accounts)
        print(f"{name}: {len(accounts)} accounts, {invoices} invoices")
        problems = policy.validate(accounts) if policy else ()
        for problem in problems:
            print(f"{name}: {problem}", file=sys.stderr)
        return EXIT_ERRORS if problems else EXIT_OK

    return run


# --------------------------------------------------------------------------------------------
# Output


_COLUMNS = ("#", "account", "step", "action", "channel", "contact", "due", "priority", "tier")


def _two_places(value: Decimal) -> str:
    """Write *value* with two decimals, rounded half-even whatever the caller's context."""
    return format(value.quantize(_CENT, rounding=ROUND_HALF_EVEN, context=MONEY_CONTEXT), "f")


_CENT = Decimal("0.01")


def render_table(plan: Plan) -> str:
    """Render the plan's actions as a fixed-width table, one line per action."""
    rows = [list(_COLUMNS)]
    for i, act in enumerate(plan.actions, start=1):
        contact = act.contact.name if act.contact else "-"
        due = f"{act.due}" + (" (deferred)" if act.deferred else "")
        step = act.step + (
            f" [{act.invoice}]" if act.invoice and act.step != "dispute_review" else ""
        )
        action = act.action + (f" (approval: {act.needs_approval})" if act.needs_approval else "")
        priority = _two_places(act.priority)
        rows.append(
            [
                str(i),
                act.account,
                step,
                action,
                act.channel,
                contact,
                due,
                priority,
                act.tier or "-",
            ]
        )
    widths = [max(len(r[c]) for r in rows) for c in range(len(_COLUMNS))]
    right = {0, 7}
    lines = []
    for r in rows:
        cells = [
            cell.rjust(widths[c]) if c in right else cell.ljust(widths[c])
            for c, cell in enumerate(r)
        ]
        lines.append("  ".join(cells).rstrip())
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _summary(actions: Sequence[PlannedAction]) -> str:
    kinds = Counter(a.action for a in actions)
    parts = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    calls = sum(1 for a in actions if a.channel == "call")
    approvals = sum(1 for a in actions if a.needs_approval)
    return f"{len(actions)} actions ({parts or 'none'}); {calls} calls; {approvals} need approval"


#: The largest rate table file read (1 MiB: a table has a few rows a year).
MAX_RATES_BYTES = 1 << 20


def _rates(path: str | None) -> dict[str, RateTable] | None:
    """Read the rate tables of *path* (None: no file given); a CSV names one table by its stem."""
    if path is None:
        return None
    text = read_text(Path(path), MAX_RATES_BYTES)
    if path.lower().endswith(".csv"):
        return parse_rates(text, source=path, kind="csv", name=Path(path).stem)
    return parse_rates(text, source=path)


def _plan(args: argparse.Namespace) -> int:
    from arcollect.letters.worklist import worklist  # noqa: PLC0415 - only this command

    policy = load_policy(args.policy)
    if _is_tables(args.portfolio):  # tables: planned by the columnar engine
        frame = _frame()
        tables = frame.read_tables(args.portfolio)
        accounts = tables.to_accounts()
        plan = frame.plan(policy, tables, args.as_of, rates=_rates(args.rates))
    else:
        accounts = _accounts(args.portfolio, _csv_currency(policy, args.currency), args.max_bytes)
        plan = policy.plan(accounts, as_of=args.as_of, rates=_rates(args.rates))
    work = worklist(plan, accounts, collector=args.collector, channel=args.channel, tier=args.tier)
    if args.format == "json":
        sys.stdout.write(work.to_json())
    elif args.format == "csv":
        sys.stdout.write(work.to_csv())
    else:
        sys.stdout.write(work.render_table())
        print(_summary(tuple(i.action for i in work.items)))
    for err in work.errors:
        print(
            f"{args.portfolio}: account {err.account} ({err.customer}) was not planned: "
            f"{err.error}",
            file=sys.stderr,
        )
    return EXIT_ERRORS if work.errors else EXIT_OK


def _report(args: argparse.Namespace) -> int:
    from arcollect.convert import read_portfolio_document  # noqa: PLC0415 - only this command
    from arcollect.report import build_report  # noqa: PLC0415 - only this command

    policy = load_policy(args.policy)
    if args.portfolio.lower().endswith(".csv"):
        currency = _csv_currency(policy, args.currency)
        accounts, company = _accounts(args.portfolio, currency, args.max_bytes), None
    else:
        doc = read_portfolio_document(args.portfolio, max_bytes=args.max_bytes)
        accounts, company = doc.accounts, doc.company
    page, work = build_report(
        policy,
        accounts,
        as_of=args.as_of,
        company=company,
        period_days=args.period,
        rates=_rates(args.rates),
    )
    Path(args.out).write_text(page, encoding="utf-8")
    print(args.out)
    for err in work.errors:
        print(
            f"{args.portfolio}: account {err.account} ({err.customer}) was not planned: "
            f"{err.error}",
            file=sys.stderr,
        )
    return EXIT_ERRORS if work.errors else EXIT_OK


def _explain(
    policy_file: str,
    portfolio: str,
    account: str,
    as_of: date,
    currency: str | None,
    *,
    rates: str | None = None,
    max_bytes: int = CLI_MAX_BYTES,
) -> int:
    policy = load_policy(policy_file)
    accounts = _accounts(portfolio, _csv_currency(policy, currency), max_bytes)
    if account not in {a.id for a in accounts}:
        print(f"{portfolio}: no account {account!r}", file=sys.stderr)
        return EXIT_ERRORS
    plan = policy.plan(accounts, as_of=as_of, rates=_rates(rates))
    print(plan.explain(account))
    return EXIT_OK


def demo_plan() -> tuple[Policy, tuple[Account, ...], Plan]:
    """Plan the bundled USD standard policy on the bundled IBM sample at `DEMO_AS_OF`."""
    policy = parse_policy(demo_policy_text(), name="standard-usd.arc")
    accounts = parse_ibm_csv(ibm_csv_text(), source="ibm-accounts-receivable.csv")
    return policy, accounts, policy.plan(accounts, as_of=DEMO_AS_OF)


def _demo() -> int:
    policy, accounts, plan = demo_plan()
    invoices = sum(len(a.invoices) for a in accounts)
    print(
        f'arcollect demo: policy "{policy.name}" on the IBM accounts-receivable sample '
        f"({len(accounts)} customers, {invoices:,} invoices)"
    )
    weekday = format_date(plan.as_of, "EEEE", locale=policy.checked.locale or "en_US")
    print(f"Worklist for {weekday} {plan.as_of.isoformat()}, in priority order:")
    print()
    sys.stdout.write(render_table(plan))
    print()
    print(_summary(plan.actions))
    first = next((a for a in plan.actions if a.step != "dispute_review"), None)
    if first is not None:
        print()
        print(f"Why {first.account}? (arcollect explain ... {first.account} --as-of {plan.as_of})")
        print(plan.explain(first.account))
    from arcollect.letters import render_documents  # noqa: PLC0415 - only this command

    documents = render_documents(plan, accounts, policy=policy)
    if documents:
        doc = documents[0]
        print()
        print(f"What to send {doc.account} ({doc.channel}, {doc.locale}; arcollect letters ...):")
        print()
        if doc.subject:
            print(f"Subject: {doc.subject}")
            print()
        print(doc.text.rstrip("\n"))
    call = next((a for a in plan.actions if a.channel in {"call", "visit"}), None)
    if call is not None:
        from arcollect.letters.callsheet import call_sheet  # noqa: PLC0415 - only this command

        account = next(a for a in accounts if a.id == call.account)
        print()
        print(
            f"Call sheet for {call.account} (arcollect callsheet ... {call.account} --as-of ...):"
        )
        print()
        sys.stdout.write(call_sheet(account, plan, policy=policy, action=call).render())
    return EXIT_OK


def _callsheet(args: argparse.Namespace) -> int:
    from arcollect.convert import read_portfolio_document  # noqa: PLC0415 - only this command
    from arcollect.letters.callsheet import call_sheet  # noqa: PLC0415 - only this command

    policy = load_policy(args.policy)
    doc = read_portfolio_document(args.portfolio, max_bytes=args.max_bytes)
    account = next((a for a in doc.accounts if a.id == args.account), None)
    if account is None:
        hint = did_you_mean(args.account, [a.id for a in doc.accounts])
        print(
            f"{args.portfolio}: no account {args.account!r}" + (f"; {hint}" if hint else ""),
            file=sys.stderr,
        )
        return EXIT_ERRORS
    plan = policy.plan(doc.accounts, as_of=args.as_of, rates=_rates(args.rates))
    error = plan.state(account.id).error
    if error:
        print(f"{args.portfolio}: account {account.id} was not planned: {error}", file=sys.stderr)
    sheet = call_sheet(account, plan, policy=policy, templates=args.templates, company=doc.company)
    sys.stdout.write(sheet.render())
    return EXIT_ERRORS if error else EXIT_OK


def _backtest(
    policy_file: str,
    csv_file: str,
    start: date,
    end: date,
    currency: str | None,
    *,
    rates: str | None = None,
    max_bytes: int = CLI_MAX_BYTES,
) -> int:
    policy = load_policy(policy_file)
    accounts = _accounts(csv_file, _csv_currency(policy, currency), max_bytes)
    sys.stdout.write(backtest(policy, accounts, start, end, rates=_rates(rates)).render())
    return EXIT_OK


def _check_with_templates(templates: str) -> Callable[[str], int]:
    def run(name: str) -> int:
        code = _check(name)
        if code != EXIT_OK:
            return code
        from arcollect.letters import check_templates  # noqa: PLC0415 - only this command

        check_templates(load_policy(name), templates)
        return EXIT_OK

    return run


def _letters(
    policy_file: str,
    portfolio: str,
    as_of: date,
    templates: str | None,
    out: str | None,
    *,
    rates: str | None = None,
    max_bytes: int = CLI_MAX_BYTES,
) -> int:
    from arcollect.convert import read_portfolio_document  # noqa: PLC0415 - only this command
    from arcollect.letters import render_documents  # noqa: PLC0415 - only this command

    policy = load_policy(policy_file)
    doc = read_portfolio_document(portfolio, max_bytes=max_bytes)
    plan = policy.plan(doc.accounts, as_of=as_of, rates=_rates(rates))
    docs = render_documents(
        plan, doc.accounts, policy=policy, templates=templates, company=doc.company
    )
    target = None if out is None else Path(out)
    if target is not None:
        target.mkdir(parents=True, exist_ok=True)
    for d in docs:
        if target is None:
            print(f"=== {d.stem} ({d.channel}, {d.locale})")
            if d.subject:
                print(f"Subject: {d.subject}")
            print(d.text)
            continue
        (target / f"{d.stem}.txt").write_text(
            (f"Subject: {d.subject}\n\n" if d.subject else "") + d.text, encoding="utf-8"
        )
        files = [f"{d.stem}.txt"]
        if d.html is not None:
            (target / f"{d.stem}.html").write_text(d.html, encoding="utf-8")
            files.append(f"{d.stem}.html")
        print(f"{d.account}\t{d.step}\t{d.channel}\t{d.locale}\t{' '.join(files)}")
    return EXIT_OK


def _kpi(args: argparse.Namespace) -> int:
    if args.by == "segment" and not args.policy:
        print("arcollect kpi: --by segment needs --policy", file=sys.stderr)
        return EXIT_USAGE
    policy = load_policy(args.policy) if args.policy else None
    currency = args.currency or (policy.checked.currency if policy else None)
    accounts = _accounts(args.portfolio, currency, args.max_bytes)
    by: kpi.Grouping | None = "collector" if args.by == "collector" else None
    if policy is not None and args.by == "segment":
        segments = policy.compiled.segments
        as_of = args.as_of

        def segment_of(account: Account) -> str | None:
            known = facts(account, as_of)
            with decimal.localcontext(MONEY_CONTEXT):
                return next((name for name, test in segments.items() if test(known)), "(none)")

        by = segment_of

    rep = kpi.report(accounts, args.as_of, args.period, by=by)
    if args.format == "json":
        records = rep.to_records()
        sys.stdout.write(json.dumps(records, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    elif args.format == "csv":
        records = rep.to_records()
        out = io.StringIO()
        fields = rep.columns()
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in records)
        sys.stdout.write(out.getvalue())
    else:
        sys.stdout.write(rep.render())  # the notes are its last lines
    if args.format in {"json", "csv"}:
        for name, text in rep.notes.items():
            print(f"note: {name}: {text}", file=sys.stderr)
    return EXIT_OK


def _diff(args: argparse.Namespace) -> int:
    from arcollect.whatif import diff, diff_range  # noqa: PLC0415 - only this command

    a, b = load_policy(args.a), load_policy(args.b)
    accounts = _accounts(args.portfolio, _csv_currency(a, args.currency), args.max_bytes)
    if args.as_of is not None:
        if args.end is not None:
            raise ArcollectError("--to goes with --from, not with --as-of")
        compared = diff(a, b, accounts, as_of=args.as_of)
        sys.stdout.write(compared.to_json() if args.format == "json" else compared.render())
        return EXIT_OK
    if args.end is None:
        raise ArcollectError("--from needs --to: the last day of the range")
    days = diff_range(a, b, accounts, start=args.start, end=args.end)
    if args.format == "json":
        rows = [{"date": d.isoformat(), "differ": n} for d, n in days]
        doc = {"a": a.name, "b": b.name, "accounts": len(accounts), "days": rows}
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        return EXIT_OK
    print(f"{a.name} -> {b.name}: accounts whose plan differs, of {len(accounts)}")
    for d, n in days:
        print(f"  {d}  {n}")
    return EXIT_OK


def _simulate(args: argparse.Namespace) -> int:
    from arcollect.behaviour import fit, load_model  # noqa: PLC0415 - only these commands
    from arcollect.simulation import compare, simulate  # noqa: PLC0415

    a = load_policy(args.policy)
    accounts = _accounts(args.portfolio, _csv_currency(a, args.currency), args.max_bytes)
    base = None
    try:
        base = fit(accounts, as_of=args.start - timedelta(days=1))
    except ArcollectError:
        if args.model is None:
            raise ArcollectError(
                "the portfolio has no paid invoice before --from to fit a behaviour model on: "
                "give one with --model FILE (docs/what-if.md)"
            ) from None
    model = load_model(args.model, base=base) if args.model else base
    assert model is not None  # noqa: S101 - fitted, or read from --model
    options = {"start": args.start, "end": args.end, "model": model, "runs": args.runs}
    result = (
        simulate(a, accounts, **options, seed=args.seed)
        if args.command == "simulate"
        else compare(a, load_policy(args.policy_b), accounts, **options, seed=args.seed)
    )
    sys.stdout.write(result.to_json() if args.format == "json" else result.render())
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: ``sys.argv[1:]``); return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command
    try:
        if command == "check":
            if args.templates is not None:
                return _each(args.files, _check_with_templates(args.templates))
            return _each(args.files, _check)
        if command == "letters":
            return _letters(
                args.policy,
                args.portfolio,
                args.as_of,
                args.templates,
                args.out,
                rates=args.rates,
                max_bytes=args.max_bytes,
            )
        if command == "fmt":
            return _each(args.files, _fmt(args.check, args.write))
        if command == "convert":
            return _convert(args.file, args.to, args.output)
        if command == "test":
            return _each(args.files, _tester(args.rates))
        if command == "validate":
            return _each(args.files, _validate(args.policy, args.max_bytes))
        if command == "plan":
            return _plan(args)
        if command == "report":
            return _report(args)
        if command == "explain":
            return _explain(
                args.policy,
                args.portfolio,
                args.account,
                args.as_of,
                args.currency,
                rates=args.rates,
                max_bytes=args.max_bytes,
            )
        if command == "callsheet":
            return _callsheet(args)
        if command == "demo":
            return _demo()
        if command == "kpi":
            return _kpi(args)
        if command == "diff":
            return _diff(args)
        if command in ("simulate", "compare"):
            return _simulate(args)
        if command == "backtest":
            return _backtest(
                args.policy,
                args.csv,
                args.start,
                args.end,
                args.currency,
                rates=args.rates,
                max_bytes=args.max_bytes,
            )
    except ArcollectError as exc:
        _print_error(exc)
        return EXIT_ERRORS
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def entry() -> None:
    """Run `main` as the console script, quietly when the reader goes away (``| head``)."""
    try:
        code = main()
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python flushes stdout again at exit
        code = EXIT_OK
    sys.exit(code)


if __name__ == "__main__":
    entry()
