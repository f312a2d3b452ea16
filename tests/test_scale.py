"""Plans in parts: pickled policies, per-partition plans combined, and Dask on a local cluster."""

from __future__ import annotations

import pickle
import random
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect import Account, Plan, parse_ibm_csv
from arcollect.data import demo_policy_text, ibm_csv_text
from arcollect.errors import ArcollectError, DataError
from arcollect.policy import Policy, load_policy, parse_policy
from strategies import accounts

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
AS_OF = date(2012, 6, 4)


@pytest.fixture(scope="module")
def ibm() -> tuple[Account, ...]:
    return parse_ibm_csv(ibm_csv_text(), currency="USD")


@pytest.fixture(scope="module")
def usd() -> Policy:
    return parse_policy(demo_policy_text(), name="standard-usd.arc")


def _bytes(plan: Plan) -> str:
    """Everything a plan shows: its JSON and every account's explanation."""
    return plan.to_json() + "".join(plan.explain(s.account) for s in plan.states)


class TestPickle:
    def test_a_policy_pickles_by_its_source(self, usd: Policy) -> None:
        """A pickled policy is small (its text), and plans the same once unpickled."""
        data = pickle.dumps(usd)
        assert len(data) < 2 * len(demo_policy_text()) + 200
        again = pickle.loads(data)
        assert again.checked == usd.checked
        assert again.checked.source_name == "standard-usd.arc"

    def test_a_process_compiles_one_source_once(self, usd: Policy) -> None:
        """Unpickling the same policy twice in one process gives the one compiled policy."""
        data = pickle.dumps(usd)
        assert pickle.loads(data) is pickle.loads(data)

    def test_yaml_and_tree_policies_pickle(self) -> None:
        """A YAML policy travels as its YAML; one built from a tree alone, as its tree."""
        yaml_policy = load_policy(ROOT / "rules" / "standard.yaml")
        assert pickle.loads(pickle.dumps(yaml_policy)).tree == yaml_policy.tree
        bare = Policy.from_tree(STANDARD.tree)
        assert pickle.loads(pickle.dumps(bare)).checked == bare.checked

    def test_a_plan_pickles_with_its_explanations(
        self, usd: Policy, ibm: tuple[Account, ...]
    ) -> None:
        """A plan's lazy explanations are rendered when it is pickled: nothing is lost."""
        plan = usd.plan(ibm, as_of=AS_OF)
        assert _bytes(pickle.loads(pickle.dumps(plan))) == _bytes(plan)


class TestPartitions:
    def test_three_shares_in_any_order_give_the_whole_plan(
        self, usd: Policy, ibm: tuple[Account, ...]
    ) -> None:
        """Planned in three pickled shares, combined in reverse, the IBM plan is the same.

        Tiers and call capacity are portfolio-wide: planning the halves as two plans changes
        an account's tier, combining them does not.
        """
        whole = usd.plan(ibm, as_of=AS_OF)
        shares = [
            pickle.loads(pickle.dumps(usd.plan_partition(ibm[i::3], as_of=AS_OF))) for i in range(3)
        ]
        assert sum(len(s) for s in shares) == len(ibm)
        assert _bytes(usd.combine(shares[::-1])) == _bytes(whole)
        halves = [usd.plan(ibm[i::2], as_of=AS_OF) for i in range(2)]
        tiers = {s.account: s.tier for h in halves for s in h.states}
        assert tiers != {s.account: s.tier for s in whole.states}

    def test_an_account_in_two_shares_is_refused(
        self, usd: Policy, ibm: tuple[Account, ...]
    ) -> None:
        """Combining shares that overlap is a data error naming the account."""
        a = usd.plan_partition(ibm[:2], as_of=AS_OF)
        b = usd.plan_partition(ibm[1:3], as_of=AS_OF)
        with pytest.raises(DataError) as err:
            usd.combine([a, b])
        assert str(err.value) == (f"partials: accounts in more than one partition: [{ibm[1].id!r}]")

    def test_shares_of_two_dates_are_refused(self, usd: Policy, ibm: tuple[Account, ...]) -> None:
        """Every share must be planned as of one date."""
        a = usd.plan_partition(ibm[:2], as_of=AS_OF)
        b = usd.plan_partition(ibm[2:4], as_of=date(2012, 6, 5))
        with pytest.raises(DataError) as err:
            usd.combine([a, b])
        assert str(err.value) == "partials[1]: planned as of 2012-06-05, the first as of 2012-06-04"

    def test_nothing_to_combine(self, usd: Policy) -> None:
        """Combining no shares is an error, not an empty plan of no date."""
        with pytest.raises(DataError):
            usd.combine([])

    @settings(max_examples=30, deadline=None)
    @given(
        portfolio=st.lists(
            accounts(max_invoices=4, currency="EUR"),
            min_size=1,
            max_size=8,
            unique_by=lambda a: a.id,
        ),
        shares=st.integers(min_value=1, max_value=4),
        seed=st.integers(min_value=0, max_value=2**32 - 1),
    )
    def test_any_partition_gives_the_whole_plan(
        self, portfolio: list[Account], shares: int, seed: int
    ) -> None:
        """However the accounts are dealt into shares, the combined plan is the plan."""
        rnd = random.Random(seed)
        dealt: list[list[Account]] = [[] for _ in range(shares)]
        for acct in portfolio:
            dealt[rnd.randrange(shares)].append(acct)
        as_of = date(2026, 11, 23)
        combined = STANDARD.combine(STANDARD.plan_partition(d, as_of=as_of) for d in dealt)
        assert _bytes(combined) == _bytes(STANDARD.plan(portfolio, as_of=as_of))


class TestDask:
    def test_a_local_cluster_plans_the_same(self, usd: Policy, ibm: tuple[Account, ...]) -> None:
        """On a dask.distributed local cluster of two worker processes, the plan is the same.

        The policy and the partial plans cross process boundaries by pickle.
        """
        import distributed  # noqa: PLC0415 - the dev extra installs it: never skipped

        import arcollect.dask  # noqa: PLC0415

        with (
            distributed.LocalCluster(  # type: ignore[no-untyped-call]
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            distributed.Client(cluster),  # type: ignore[no-untyped-call]
        ):
            bag = arcollect.dask.from_accounts(ibm, npartitions=4)
            plan = arcollect.dask.plan(usd, bag, as_of=AS_OF)
        assert _bytes(plan) == _bytes(usd.plan(ibm, as_of=AS_OF))

    def test_it_takes_a_bag(self, usd: Policy, ibm: tuple[Account, ...]) -> None:
        """A list instead of a bag is a clear error."""
        import arcollect.dask  # noqa: PLC0415

        with pytest.raises(ArcollectError) as err:
            arcollect.dask.plan(usd, list(ibm), as_of=AS_OF)
        assert str(err.value) == "arcollect.dask.plan takes a dask.bag.Bag of accounts, got list"
