"""`Policy.validate`: what in a portfolio the policy does not know, reported as warnings."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from arcollect.errors import Problem
from arcollect.policy import parse_policy
from arcollect.testing import account, activity, contact, invoice

POLICY = parse_policy(
    """\
policy "V"
  currency EUR
  roles buchhaltung
timeline standard for all
  step reminder 1 day past due email "r"
  step first_call 10 days past due call to decision_maker
timeline other for all
  step letter 30 days past due letter "l"
""",
    name="v.arc",
)


class TestContactRoles:
    """Contacts whose roles the policy does not know."""

    def test_a_misspelt_role_is_reported_with_a_suggestion(self) -> None:
        """`decison_maker` is reported at the contact's roles, with the closest known role."""
        accounts = [
            account(invoice("10 EUR", due="2026-01-01"), id="A"),
            account(contact("Ann", "billing"), contact("Bob", "decison_maker"), id="B"),
        ]
        assert POLICY.validate(accounts) == (
            Problem(
                "accounts[1].contacts[1].roles",
                "unknown role 'decison_maker'; did you mean 'decision_maker'?",
            ),
        )

    def test_declared_and_built_in_roles_are_known(self) -> None:
        """A role of the policy's `roles` line and a built-in role are no problem."""
        accounts = [account(contact("Petra", "buchhaltung", "owner"))]
        assert POLICY.validate(accounts) == ()

    def test_a_declared_role_is_unknown_to_a_policy_without_it(self) -> None:
        """Another policy, which does not declare `buchhaltung`, reports it (no close word)."""
        plain = parse_policy('policy "P"\n', name="p.arc")
        accounts = [account(contact("Petra", "buchhaltung", "zz_other"))]
        assert plain.validate(accounts) == (
            Problem("accounts[0].contacts[0].roles", "unknown role 'buchhaltung'"),
            Problem("accounts[0].contacts[0].roles", "unknown role 'zz_other'"),
        )


class TestActivities:
    """Activities naming steps or timelines the policy lacks."""

    def test_a_misspelt_step_is_reported(self) -> None:
        """`remindr` names no step of any timeline: reported at the step, with a suggestion."""
        accounts = [account(activity("2026-01-02", "email", "remindr"))]
        assert POLICY.validate(accounts) == (
            Problem(
                "accounts[0].activities[0].step",
                "unknown step 'remindr'; did you mean 'reminder'?",
            ),
        )

    def test_steps_of_any_timeline_and_of_the_engine_are_known(self) -> None:
        """Steps of every timeline, the engine's own steps and no step at all are no problem."""
        accounts = [
            account(
                activity("2026-01-02", "email", "reminder"),
                activity("2026-01-03", "letter", "letter"),
                activity("2026-01-04", "call", "promise_follow_up"),
                activity("2026-01-05", "call", "dispute_review"),
                activity("2026-01-06", "call"),
            )
        ]
        assert POLICY.validate(accounts) == ()

    def test_an_unknown_timeline_is_reported(self) -> None:
        """A `timeline` naming no timeline is reported; its step is checked against all steps."""
        accounts = [account(activity("2026-01-02", "email", "reminder", timeline="standart"))]
        assert POLICY.validate(accounts) == (
            Problem(
                "accounts[0].activities[0].timeline",
                "unknown timeline 'standart'; did you mean 'standard'?",
            ),
        )

    def test_a_step_of_another_timeline_is_reported(self) -> None:
        """A step must belong to the timeline the activity names: the engine reads it there only."""
        accounts = [
            account(
                activity("2026-01-02", "letter", "letter", timeline="standard"),
                activity("2026-01-03", "call", "promise_follow_up", timeline="standard"),
            )
        ]
        assert POLICY.validate(accounts) == (
            Problem(
                "accounts[0].activities[0].step",
                "unknown step 'letter' in timeline 'standard'",
            ),
        )

    def test_problems_come_in_the_order_of_the_data(self) -> None:
        """Problems of several accounts come account by account, contacts before activities."""
        accounts = [
            account(activity("2026-01-02", "email", "x1"), contact("A", "r1"), id="Z"),
            account(contact("B", "r2"), id="A"),
        ]
        assert [p.path for p in POLICY.validate(accounts)] == [
            "accounts[0].contacts[0].roles",
            "accounts[0].activities[0].step",
            "accounts[1].contacts[0].roles",
        ]


class TestInvariants:
    """Validation only reports: it never raises and never changes a plan."""

    @settings(max_examples=50, deadline=None)
    @given(
        st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), max_size=4),
        st.lists(st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True), max_size=4),
    )
    def test_one_problem_per_unknown_name(self, roles: list[str], steps: list[str]) -> None:
        """Each unknown role and step is reported exactly once, and known ones never."""
        accounts = [
            account(
                contact("C", *roles),
                *(activity("2026-01-02", "call", s) for s in steps),
            )
        ]
        problems = POLICY.validate(accounts)
        known_steps = {"reminder", "first_call", "letter", "promise_follow_up", "dispute_review"}
        unknown_roles = sorted(set(roles) - POLICY.checked.roles)
        unknown_steps = [s for s in steps if s not in known_steps]
        role_paths = ["accounts[0].contacts[0].roles"] * len(unknown_roles)
        step_paths = [
            f"accounts[0].activities[{i}].step" for i, s in enumerate(steps) if s not in known_steps
        ]
        assert [p.path for p in problems] == role_paths + step_paths
        assert [p.message.split("'")[1] for p in problems] == unknown_roles + unknown_steps
