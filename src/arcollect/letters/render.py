"""Rendering: every written action of a plan (email, letter, sms) becomes a `Document`."""

from __future__ import annotations

import decimal
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Final

import attrs
import jinja2
import jinja2.exceptions

from arcollect.domain.account import Account
from arcollect.domain.actions import PlanChannel
from arcollect.domain.money import MONEY_CONTEXT
from arcollect.domain.records import Company
from arcollect.engine.calendar import BusinessCalendar
from arcollect.engine.model import Plan, PlannedAction
from arcollect.letters.context import build_context, choose_locale, plan_facts
from arcollect.letters.filters import TemplateError
from arcollect.letters.sandbox import environment, find
from arcollect.policy import Policy

__all__ = ["WRITTEN_CHANNELS", "Document", "render_documents"]

#: The channels whose actions are written documents.
WRITTEN_CHANNELS: Final = frozenset({PlanChannel.EMAIL, PlanChannel.LETTER, PlanChannel.SMS})

#: Business days from the plan's date to the payment deadline a document names.
DEFAULT_DEADLINE_DAYS: Final = 10


@attrs.frozen
class Document:
    """One rendered document: an e-mail, a letter or an SMS to an account.

    ``html`` is None for an SMS (and when no HTML template exists); ``subject`` is empty for an
    SMS. ``template`` is the file the text came from.
    """

    account: str
    step: str
    channel: str
    locale: str
    subject: str
    text: str
    html: str | None
    template: str
    #: What tells apart documents of one account and step (a step that writes a letter and an
    #: e-mail, or to every contact of a role): ``letter``, ``email-2``; empty when alone.
    part: str = ""

    @property
    def stem(self) -> str:
        """The file name without its extension: ``ACCOUNT-STEP``, or ``ACCOUNT-STEP-PART``."""
        return f"{self.account}-{self.step}" + (f"-{self.part}" if self.part else "")


def payment_deadline(policy: Policy) -> int:
    """Return the business days a policy's correspondence gives to pay (its ``deadline``)."""
    return policy.checked.payment_deadline_days or DEFAULT_DEADLINE_DAYS


def template_name(action: PlannedAction) -> str:
    """Return the template an action renders: the step's template, else the step's name."""
    return action.template or action.step


def _block(tmpl: jinja2.Template, name: str, ctx: dict[str, Any]) -> str | None:
    fn = tmpl.blocks.get(name)
    if fn is None:
        return None
    return "".join(fn(tmpl.new_context(ctx))).strip("\n")


def _render(file: str, what: str, run: Any) -> Any:
    try:
        return run()
    except jinja2.exceptions.SecurityError as exc:
        raise TemplateError(f"{file}: refused by the sandbox: {exc}") from None
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or file}:{exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise TemplateError(f"{file}: {what}: {exc.message}") from None
    except TemplateError as exc:
        raise TemplateError(f"{file}: {what}: {exc}") from None
    except (jinja2.TemplateError, TypeError, ValueError, ArithmeticError) as exc:
        raise TemplateError(f"{file}: {what}: {exc}") from None


def render_documents(
    plan: Plan,
    accounts: Iterable[Account],
    *,
    policy: Policy,
    templates: str | Path | None = None,
    company: Company | None = None,
    deadline_days: int | None = None,
) -> tuple[Document, ...]:
    """Render every written action of *plan* (email, letter, sms), in plan order.

    *templates* is a directory of user templates that override the shipped ones; *company* the
    sender; the payment deadline is *deadline_days* business days (of the policy's calendar)
    after the plan's date: by default the policy's ``deadline`` line, else
    `DEFAULT_DEADLINE_DAYS`. Raise `TemplateError` for a template that is missing, does not
    compile, reads an unknown name, or tries to leave the sandbox.
    """
    by_id = {a.id: a for a in accounts}
    env = environment(templates)
    checked = policy.checked
    calendar = BusinessCalendar.of(checked.business_days, checked.holidays)
    if deadline_days is None:
        deadline_days = payment_deadline(policy)
    out: list[Document] = []
    with decimal.localcontext(MONEY_CONTEXT):
        for action in plan.actions:
            if action.channel not in WRITTEN_CHANNELS:
                continue
            account = by_id.get(action.account)
            if account is None:
                raise TemplateError(f"the plan names account {action.account!r}, not given")
            out.append(
                _document(
                    env, action, account, plan, checked.locale, company, calendar, deadline_days
                )
            )
    return _apart(out)


def _apart(docs: list[Document]) -> tuple[Document, ...]:
    """Give the documents that would share a file name a `Document.part`: never overwrite one."""
    stems = Counter(d.stem for d in docs)
    by_channel = Counter((d.stem, d.channel) for d in docs)
    seen: Counter[tuple[str, str]] = Counter()
    out = []
    for d in docs:
        if stems[d.stem] == 1:
            out.append(d)
            continue
        seen[d.stem, d.channel] += 1
        n = seen[d.stem, d.channel]
        part = d.channel + (f"-{n}" if by_channel[d.stem, d.channel] > 1 else "")
        out.append(attrs.evolve(d, part=part))
    return tuple(out)


def _document(  # noqa: PLR0917 - the parts of one document
    env: jinja2.Environment,
    action: PlannedAction,
    account: Account,
    plan: Plan,
    policy_locale: str | None,
    company: Company | None,
    calendar: BusinessCalendar,
    deadline_days: int,
) -> Document:
    name = template_name(action)
    chain = choose_locale(account, action, policy_locale)
    found = find(env, name, chain, "txt")
    if found is None:
        raise TemplateError(
            f"no template {name!r} for locales {', '.join(chain)} "
            f"(looked for {name}.LOCALE.txt and {name}.LANGUAGE.txt)"
        )
    file, locale = found
    f = plan_facts(account, plan)
    state = plan.state(account.id)
    ctx = build_context(
        f,
        action,
        locale=locale,
        company=company,
        calendar=calendar,
        deadline_days=deadline_days,
        episode_start=state.episode_start,
    )
    tmpl = _render(file, "compile", lambda: env.get_template(file))
    is_sms = action.channel is PlanChannel.SMS
    if is_sms:
        text = _render(file, "sms", lambda: _block(tmpl, "sms", ctx))
        if text is None:
            text = _render(file, "text", lambda: _block(tmpl, "text", ctx))
        subject, html = "", None
    else:
        subject = _render(file, "subject", lambda: _block(tmpl, "subject", ctx)) or ""
        text = _render(file, "text", lambda: _block(tmpl, "text", ctx))
        html = None
        html_file = f"{file[: -len('.txt')]}.html"
        try:
            env.loader.get_source(env, html_file)  # type: ignore[union-attr]
        except jinja2.TemplateNotFound:
            pass
        else:
            html_tmpl = _render(html_file, "compile", lambda: env.get_template(html_file))
            html = _render(html_file, "html", lambda: html_tmpl.render(ctx)).strip("\n") + "\n"
    if text is None:
        raise TemplateError(f"{file}: has no `text` block")
    return Document(
        account=account.id,
        step=action.step,
        channel=str(action.channel),
        locale=locale,
        subject=subject.strip(),
        text=text + "\n",
        html=html,
        template=file,
    )
