"""Plans on a cluster: a partitioned portfolio planned with Dask (the optional extra ``dask``).

A plan has two phases (see `arcollect.engine.planner`): the per-account phase, which needs
nothing but each account and runs on the workers, one partition at a time
(`Policy.plan_partition`); and the global phase (tiers, order, call capacity), which needs the
whole portfolio's standings and runs where `plan` is called (`Policy.combine`). The policy
travels to the workers by its source and is compiled once per worker process; the partial plans
come back with their explanations rendered as text.

::

    import arcollect.dask

    bag = arcollect.dask.from_accounts(accounts, npartitions=8)
    plan = arcollect.dask.plan(policy, bag, as_of=date(2026, 11, 23))

The plan is byte-identical to ``policy.plan(accounts, as_of=...)``, however the accounts are
partitioned, as long as each account is in one partition. Where no ``dask.distributed.Client``
is active, Dask's default scheduler for bags (processes) runs the partitions; with a client, the
cluster does. docs/scale.md says which sizes need which.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from arcollect.domain.account import Account
from arcollect.engine.model import Plan
from arcollect.engine.planner import PartialPlan
from arcollect.errors import ArcollectError

if TYPE_CHECKING:
    from arcollect.policy import Policy

__all__ = ["from_accounts", "plan"]


def _bag() -> Any:
    try:
        import dask.bag  # noqa: PLC0415 - optional, imported only when asked for
    except ImportError:
        raise ArcollectError("arcollect.dask needs dask: pip install 'arcollect[dask]'") from None
    return dask.bag


def from_accounts(accounts: Sequence[Account], *, npartitions: int) -> Any:
    """Return a ``dask.bag.Bag`` of *accounts* in *npartitions* partitions."""
    if npartitions < 1:
        raise ArcollectError(f"npartitions must be at least 1, got {npartitions}")
    return _bag().from_sequence(list(accounts), npartitions=npartitions)


def _partition(accounts: Iterable[Account], policy: Policy, as_of: date) -> list[PartialPlan]:
    return [policy.plan_partition(accounts, as_of=as_of)]


def plan(policy: Policy, accounts: Any, *, as_of: date, scheduler: str | None = None) -> Plan:
    """Plan the accounts of the bag *accounts* with *policy* on *as_of*, partition by partition.

    *accounts* is a ``dask.bag.Bag`` of `Account` (see `from_accounts`, or build one from
    files with ``dask.bag.read_text(...).map(...)``); *scheduler* is passed to
    ``Bag.compute`` (None: an active distributed client, else Dask's default).
    """
    bag = _bag()
    if not isinstance(accounts, bag.Bag):
        raise ArcollectError(
            f"arcollect.dask.plan takes a dask.bag.Bag of accounts, got {type(accounts).__name__}"
        )
    partials = accounts.map_partitions(_partition, policy, as_of)
    computed = partials.compute(scheduler=scheduler) if scheduler else partials.compute()
    return policy.combine(computed)
