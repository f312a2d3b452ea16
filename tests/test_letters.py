"""Tests of arcollect.letters: rendering, the sandbox, static checks, determinism."""

from __future__ import annotations

import decimal
import locale as pylocale
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from arcollect import (
    Account,
    Activity,
    Collector,
    Company,
    Contact,
    Invoice,
    Money,
    PolicyError,
    TemplateError,
    check_templates,
    load_policy,
    parse_policy,
    render_documents,
)

AS_OF = date(2026, 11, 23)
DONE = [("reminder", 1), ("first_call", 10), ("follow_up", 20), ("follow_up", 27)]
DONE += [("follow_up", 34), ("follow_up", 41)]
POLICY = load_policy(Path(__file__).parent.parent / "rules" / "standard.arc")
COMPANY = Company("Nordwind GmbH", address=["Hafenstr. 1"], iban="DE89 3704", bic="COBADEFFXXX")


def _account(acct_id: str, loc: str, days: int, *, demand: bool) -> Account:
    due = AS_OF - timedelta(days)
    return Account(
        acct_id,
        "EUR",
        name=f"{acct_id} AG",
        locale=loc,
        contacts=[Contact("Jana Berg", roles=["billing", "decision_maker"])],
        invoices=[
            Invoice("INV-1", issued=due - timedelta(30), due=due, amount=Money("1234.56", "EUR")),
            Invoice("INV-2", issued=due - timedelta(30), due=due, amount=Money("99.44", "EUR")),
        ],
        activities=[
            Activity(due + timedelta(d), "email", step=s, outcome="sent")
            for s, d in (DONE if demand else [])
        ],
        collector=Collector("Lena Vogt", phone="+49 40 1"),
    )


def _render(accounts: list[Account], templates: Path | None = None) -> tuple:  # type: ignore[type-arg]
    plan = POLICY.plan(accounts, as_of=AS_OF)
    return render_documents(plan, accounts, policy=POLICY, company=COMPANY, templates=templates)


class TestRender:
    def test_german_final_demand(self) -> None:
        """A de_DE account gets a German final demand with German amounts and dates."""
        (doc,) = _render([_account("DE-1", "de_DE", 50, demand=True)])
        assert (doc.step, doc.channel, doc.locale) == ("demand", "letter", "de_DE")
        assert doc.subject == "Letzte Mahnung: 1.334,00\xa0€ zahlbar bis 7. Dezember 2026"
        assert (
            "  Rechnung INV-1, fällig 04.10.2026: 1.234,56\xa0€, 50 Tage überfällig\n" in doc.text
        )
        assert "Inkassounternehmen" in doc.text

    def test_english_reminder(self) -> None:
        """An en_US account gets an English reminder listing every overdue invoice once."""
        (doc,) = _render([_account("EN-1", "en_US", 2, demand=False)])
        assert doc.subject == "Payment reminder: €1,334.00 overdue"
        assert "  Invoice INV-1, due Nov 21, 2026: €1,234.56, 2 days past due\n" in doc.text
        assert "  Invoice INV-2, due Nov 21, 2026: €99.44, 2 days past due\n" in doc.text
        assert doc.html is not None
        assert "<td>€1,234.56</td>" in doc.html

    def test_no_placeholders_in_output(self) -> None:
        """No output holds None, a raw Decimal, or template syntax."""
        docs = _render(
            [_account(f"A-{loc}", loc, 50, demand=True) for loc in ("de_DE", "fr_FR", "en_GB")]
        )
        assert len(docs) == 3
        for d in docs:
            for part in (d.subject, d.text, d.html or ""):
                for bad in ("None", "Decimal", "{{", "{%"):
                    assert bad not in part

    def test_bytes_do_not_depend_on_process_locale_or_decimal_context(self) -> None:
        """The same inputs give the same bytes whatever the Decimal context and locale."""
        accounts = [_account("DE-1", "de_DE", 50, demand=True)]
        first = _render(accounts)
        saved = pylocale.setlocale(pylocale.LC_ALL)
        try:
            with decimal.localcontext() as ctx:
                ctx.prec, ctx.rounding = 3, decimal.ROUND_UP
                pylocale.setlocale(pylocale.LC_ALL, "C")
                second = _render(accounts)
        finally:  # the process locale is shared: later tests decode subprocess output with it
            pylocale.setlocale(pylocale.LC_ALL, saved)
        assert first == second
        assert Decimal("1.5") + 0 == Decimal("1.5")


class TestSandbox:
    def test_escape_is_refused_at_render(self, tmp_path: Path) -> None:
        """A template reaching for __class__ is refused, never rendered."""
        (tmp_path / "friendly_reminder.en.txt").write_text(
            "{% block subject %}x{% endblock %}{% block text %}{{ ''.__class__ }}{% endblock %}"
        )
        with pytest.raises(TemplateError, match="refused by the sandbox"):
            _render([_account("EN-1", "en_US", 2, demand=False)], tmp_path)

    def test_user_template_overrides_shipped(self, tmp_path: Path) -> None:
        """A user template of the same name and locale wins over the shipped one."""
        (tmp_path / "friendly_reminder.en.txt").write_text(
            "{% block subject %}Hi {{ account.name }}{% endblock %}"
            "{% block text %}{{ totals.demanded | money }}{% endblock %}"
        )
        (doc,) = _render([_account("EN-1", "en_US", 2, demand=False)], tmp_path)
        assert (doc.subject, doc.text) == ("Hi EN-1 AG", "€1,334.00\n")


class TestCheck:
    def test_shipped_templates_pass(self) -> None:
        """Every template the standard policy names exists and reads only the context."""
        check_templates(POLICY)

    def test_errors_are_located_with_hints(self, tmp_path: Path) -> None:
        """Unknown names, fields and sandbox escapes are found with file, line and hint."""
        bad = tmp_path / "friendly_reminder.en.txt"
        bad.write_text(
            "{% block subject %}{{ acount.name }}{% endblock %}\n"
            "{% block text %}{{ x.__init__ }}{% endblock %}\n"
        )
        with pytest.raises(PolicyError) as info:
            check_templates(POLICY, tmp_path)
        assert str(info.value) == (
            f"{bad}:1:23: error: unknown variable `acount`\n"
            "  1 | {% block subject %}{{ acount.name }}{% endblock %}\n"
            "    |                       ^^^^^^\n"
            "  hint: did you mean 'account'?\n"
            f"{bad}:2:22: error: `__init__` is not allowed: templates run in a sandbox\n"
            "  2 | {% block text %}{{ x.__init__ }}{% endblock %}\n"
            "    |                      ^^^^^^^^\n"
            "  hint: use only the fields of the documented context (docs/correspondence.md)"
        )


class TestDeadline:
    def test_the_policy_names_the_payment_deadline(self) -> None:
        """``deadline 3 business days`` in the policy gives the letter's date to pay by."""
        text = (Path(__file__).parent.parent / "rules" / "standard.arc").read_text("utf-8")
        policy = parse_policy(
            text.replace("  currency EUR\n", "  currency EUR\n  deadline 3 business days\n", 1),
            name="standard.arc",
        )
        assert policy.checked.payment_deadline_days == 3
        accounts = [_account("DE-1", "de_DE", 50, demand=True)]
        plan = policy.plan(accounts, as_of=AS_OF)
        (doc,) = render_documents(plan, accounts, policy=policy, company=COMPANY)
        assert doc.subject == "Letzte Mahnung: 1.334,00\xa0€ zahlbar bis 26. November 2026"
