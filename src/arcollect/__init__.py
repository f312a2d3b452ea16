"""arcollect: a collections-policy engine for B2B accounts receivable.

The public API is re-exported here; everything else is private and may change.
"""

from arcollect.convert import (
    dump_portfolio,
    parse_ibm_csv,
    parse_portfolio,
    portfolio_from_dict,
    portfolio_to_dict,
    read_ibm_csv,
    read_portfolio,
    structure,
    unstructure,
)
from arcollect.domain import (
    Account,
    ActionKind,
    Activity,
    Channel,
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
from arcollect.engine import AccountState, BusinessCalendar, ContactRef, Plan, PlannedAction
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
from arcollect.policy import Policy, load_policy, parse_policy

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
    "Channel",
    "Contact",
    "ContactRef",
    "CurrencyError",
    "CurrencyMismatchError",
    "DataError",
    "Dispute",
    "DisputeReason",
    "EvaluationError",
    "InexactAmountError",
    "Installment",
    "Invoice",
    "InvoiceFacts",
    "KpiReport",
    "Money",
    "Outcome",
    "Payment",
    "Plan",
    "PlanChannel",
    "PlannedAction",
    "Policy",
    "PolicyError",
    "Problem",
    "Promise",
    "PromiseFacts",
    "PromiseStatus",
    "__version__",
    "dump_portfolio",
    "facts",
    "load_policy",
    "parse_ibm_csv",
    "parse_policy",
    "parse_portfolio",
    "portfolio_from_dict",
    "portfolio_to_dict",
    "read_ibm_csv",
    "read_portfolio",
    "structure",
    "unstructure",
]
