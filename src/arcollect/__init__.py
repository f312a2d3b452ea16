"""arcollect: a collections-policy engine for B2B accounts receivable.

The public API is re-exported here; everything else is private and may change.
"""

from arcollect.charges import RateTable, parse_rates
from arcollect.convert import (
    Portfolio,
    dump_portfolio,
    parse_ibm_csv,
    parse_portfolio,
    portfolio_from_dict,
    portfolio_to_dict,
    read_ibm_csv,
    read_portfolio,
    read_portfolio_document,
    structure,
    unstructure,
)
from arcollect.domain import (
    Account,
    ActionKind,
    Activity,
    Channel,
    Collector,
    Company,
    Contact,
    Dispute,
    DisputeReason,
    Installment,
    Invoice,
    Money,
    Outcome,
    Payment,
    PlanChannel,
    Promise,
)
from arcollect.engine import (
    AccountState,
    BusinessCalendar,
    ContactRef,
    PartialPlan,
    Plan,
    PlannedAction,
)
from arcollect.errors import (
    ArcollectError,
    CurrencyError,
    CurrencyMismatchError,
    DataError,
    EvaluationError,
    InexactAmountError,
    PolicyError,
    Problem,
)
from arcollect.facts import (
    AccountFacts,
    AgingBucket,
    InvoiceFacts,
    PromiseFacts,
    PromiseStatus,
    facts,
)
from arcollect.kpi import KpiReport
from arcollect.letters import Document, TemplateError, check_templates, render_documents
from arcollect.letters.callsheet import CallSheet, call_sheet, call_sheets
from arcollect.letters.summary import CallOutcome, CallSummary, summarize
from arcollect.letters.worklist import PlanFailure, WorkItem, Worklist, worklist
from arcollect.policy import Policy, load_policy, parse_policy
from arcollect.report import html_report
from arcollect.whatif import PolicyDiff, diff, diff_range

__version__ = "0.1.0.dev0"

__all__ = [
    "Account",
    "AccountFacts",
    "AccountState",
    "ActionKind",
    "Activity",
    "AgingBucket",
    "ArcollectError",
    "BusinessCalendar",
    "CallOutcome",
    "CallSheet",
    "CallSummary",
    "Channel",
    "Collector",
    "Company",
    "Contact",
    "ContactRef",
    "CurrencyError",
    "CurrencyMismatchError",
    "DataError",
    "Dispute",
    "DisputeReason",
    "Document",
    "EvaluationError",
    "InexactAmountError",
    "Installment",
    "Invoice",
    "InvoiceFacts",
    "KpiReport",
    "Money",
    "Outcome",
    "PartialPlan",
    "Payment",
    "Plan",
    "PlanChannel",
    "PlanFailure",
    "PlannedAction",
    "Policy",
    "PolicyDiff",
    "PolicyError",
    "Portfolio",
    "Problem",
    "Promise",
    "PromiseFacts",
    "PromiseStatus",
    "RateTable",
    "TemplateError",
    "WorkItem",
    "Worklist",
    "__version__",
    "call_sheet",
    "call_sheets",
    "check_templates",
    "diff",
    "diff_range",
    "dump_portfolio",
    "facts",
    "html_report",
    "load_policy",
    "parse_ibm_csv",
    "parse_policy",
    "parse_portfolio",
    "parse_rates",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_ibm_csv",
    "read_portfolio",
    "read_portfolio_document",
    "render_documents",
    "structure",
    "summarize",
    "unstructure",
    "worklist",
]
