"""Properties of the shipped templates: each renders cleanly for any account in any locale."""

from __future__ import annotations

import decimal
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arcollect import (
    Account,
    ActionKind,
    CallOutcome,
    Company,
    Money,
    Outcome,
    PlanChannel,
    PlannedAction,
    call_sheet,
    facts,
    load_policy,
    summarize,
)
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import ContactRef
from arcollect.letters.context import build_context
from arcollect.letters.render import _block
from arcollect.letters.sandbox import TEMPLATE_DIR, environment, find
from arcollect.letters.summary import DisputeRaised, DocumentToSend, PromiseMade
from strategies import accounts, dates

ROOT = Path(__file__).parent.parent
STANDARD = load_policy(ROOT / "rules" / "standard.arc")
CALENDAR = BusinessCalendar.of(STANDARD.checked.business_days, STANDARD.checked.holidays)
COMPANY = Company("Nordwind", address=["Hafen 1"], phone="+49 1", iban="DE89", bic="COBA")
#: The shipped locales, their regional variants, and locales that fall back to en_US.
LOCALES = ("en_US", "de_DE", "fr_FR", "en_GB", "de_AT", "fr_CA", "it_IT", "es")
SPECIAL = frozenset({"call_sheet", "voicemail", "call_summary"})
DOCUMENTS = sorted({p.name.split(".")[0] for p in TEMPLATE_DIR.glob("*.txt")} - SPECIAL)
FORBIDDEN = ("None", "Decimal(", "{{", "{%", "}}", "%}")

names = st.from_regex(r"[A-Z][a-z]{1,8}", fullmatch=True)


@st.composite
def plain_accounts(draw: st.DrawFn) -> Account:
    """Draw an account whose free texts (names, references) cannot contain a forbidden word."""
    acct = draw(accounts(max_invoices=4))
    contacts = tuple(
        attrs.evolve(c, name=f"{draw(names)} {i}", title=None, language=None)
        for i, c in enumerate(acct.contacts)
    )
    return attrs.evolve(
        acct,
        name=draw(st.none() | names),
        contacts=contacts,
        payments=tuple(attrs.evolve(p, reference=None) for p in acct.payments),
        promises=tuple(attrs.evolve(p, by=None) for p in acct.promises),
        locale=draw(st.sampled_from(LOCALES)),
    )


def assert_clean(out: str) -> None:
    for word in FORBIDDEN:
        assert word not in out, (word, out)


def action(acct: Account, template: str, channel: PlanChannel, as_of: date) -> PlannedAction:
    c = acct.contacts[0] if acct.contacts else None
    return PlannedAction(
        account=acct.id,
        step=template,
        timeline="standard",
        action=ActionKind(str(channel)),
        channel=channel,
        contact=None if c is None else ContactRef(c.name, "billing", c.phone, c.email),
        template=template,
        due=as_of,
        priority=decimal.Decimal(0),
        tier=None,
        needs_approval=None,
        deferred=False,
        invoice=None,
        explanation=["test"],
    )


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class TestShippedTemplates:
    @SETTINGS
    @given(plain_accounts(), dates, st.booleans())
    def test_documents_render_cleanly(self, acct: Account, as_of: date, company: bool) -> None:
        """Every letter, e-mail and SMS template renders with no None, Decimal or Jinja syntax."""
        env = environment(None)
        for name in DOCUMENTS:
            found = find(env, name, (acct.locale or "en_US", "en_US"), "txt")
            assert found is not None, name
            file, locale = found
            with decimal.localcontext(MONEY_CONTEXT):
                f = facts(acct, as_of)
                for channel in (PlanChannel.EMAIL, PlanChannel.SMS):
                    ctx = build_context(
                        f,
                        action(acct, name, channel, as_of),
                        locale=locale,
                        company=COMPANY if company else None,
                        calendar=CALENDAR,
                        deadline_days=10,
                    )
                    tmpl = env.get_template(file)
                    for block in ("subject", "text", "sms"):
                        assert_clean(_block(tmpl, block, ctx) or "")
                    html = file.replace(".txt", ".html")
                    if (TEMPLATE_DIR / html).exists():
                        assert_clean(env.get_template(html).render(ctx))

    @SETTINGS
    @given(plain_accounts(), dates, st.booleans())
    def test_call_sheet_and_voicemail_render_cleanly(
        self, acct: Account, as_of: date, company: bool
    ) -> None:
        """The call sheet and the voicemail script render cleanly for any account."""
        plan = STANDARD.plan([acct], as_of=as_of)
        sheet = call_sheet(acct, plan, policy=STANDARD, company=COMPANY if company else None)
        assert_clean(sheet.render())
        assert sheet.voicemail.strip()

    @SETTINGS
    @given(plain_accounts(), dates, st.data())
    def test_call_summary_renders_cleanly(self, acct: Account, on: date, data: Any) -> None:
        """The call summary renders cleanly for any outcome, promise, dispute and documents."""
        numbers = [i.number for i in acct.invoices]
        promise = data.draw(
            st.none()
            | st.builds(
                PromiseMade,
                amount=st.integers(1, 10**7).map(lambda n: Money(n, acct.currency)),
                due=st.integers(0, 30).map(lambda d: on + timedelta(days=d)),
                method=st.sampled_from(["bank_transfer", "card", "cheque", "direct_debit"]),
            )
        )
        dispute = data.draw(
            st.none()
            | st.builds(
                DisputeRaised,
                reason=st.sampled_from(
                    ["pricing_error", "not_delivered", "quality", "other", "unspecified"]
                ),
                invoices=st.lists(st.sampled_from(numbers), max_size=2, unique=True)
                if numbers
                else st.just([]),
            )
        )
        if promise is not None:
            outcome = Outcome.PROMISE
        elif dispute is not None:
            outcome = Outcome.DISPUTE
        else:
            outcome = data.draw(st.sampled_from([Outcome.REACHED, Outcome.REFUSED]))
        docs = data.draw(
            st.lists(st.builds(DocumentToSend, what=names, sender=st.sampled_from(["us", "them"])))
        )
        who = acct.contacts[0].name if acct.contacts else data.draw(names)
        call = CallOutcome(on, who, outcome, promise=promise, dispute=dispute, documents=docs[:3])
        s = summarize(acct, call, policy=STANDARD, company=COMPANY)
        assert_clean(s.subject + s.text)
        if promise is not None:
            assert s.promise is not None
            assert s.promise.due == promise.due
